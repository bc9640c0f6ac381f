package stats

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

func TestMannWhitneyKnown(t *testing.T) {
	tests := []struct {
		name  string
		a, b  []float64
		wantU float64
		wantP float64
		tol   float64
	}{
		// scipy 1.11: mannwhitneyu([1,2,3,4,5], [6,7,8,9,10], alternative='greater')
		// -> statistic 0.0, pvalue 1.0 (exact).
		{"a below b", seq(1, 5), seq(6, 10), 0, 1, 0},
		// scipy 1.11: statistic 25.0, pvalue 0.003968253968253968 = 1/C(10,5).
		{"a above b", seq(6, 10), seq(1, 5), 25, 1.0 / 252, 1e-15},
		// Ties, so the normal approximation with tie and continuity
		// correction (scipy's 'auto' picks 'asymptotic' with ties):
		//   pooled 1 2 3 3 4 4 5 5 6 7, mid-ranks 1 2 3.5 3.5 5.5 5.5 7.5 7.5 9 10
		//   R_a = 3.5+5.5+7.5+9+10 = 35.5, U_a = 35.5 − 15 = 20.5
		//   three pairs of ties: Σ(t³−t) = 3·6 = 18
		//   mu = 12.5, sigma² = 25/12 · (11 − 18/90) = 22.5, sigma = 4.743416490
		//   z = (20.5 − 12.5 − 0.5)/4.743416490 = 1.581138830
		//   p = 1 − Φ(1.581138830) = 0.056923149
		// (The 0.03894 once quoted for this case matches no variant of the
		// formula: without continuity p = 0.04587, without tie correction
		// 0.05857.)
		{"ties", seq(3, 7), seq(1, 5), 20.5, 0.05692314900332906, 1e-12},
		// n1 = n2 = 60 > ExactMax, no ties: U = 3600, mu = 1800,
		// sigma² = 3600·121/12 = 36300, z = 1799.5/190.5255 = 9.44494,
		// p = erfc(z/√2)/2 = 1.7782854874923884e-21.
		{"normal far tail", seq(61, 120), seq(1, 60), 3600, 1.7782854874923884e-21, 1e-9},
		// a = 1,3,...,119, b = 2,4,...,120: U = Σ(k−1) = 1770,
		// z = (1770 − 1800 − 0.5)/190.5255 = −0.160083, p = 0.5635923442716833.
		{"normal interleaved", odds(60), evens(60), 1770, 0.5635923442716833, 1e-12},
		// All values equal: sigma = 0, p = 1.
		{"all equal", []float64{2, 2, 2}, []float64{2, 2}, 3, 1, 0},
		// One value each: exact, P(U ≥ 1) = 1/2.
		{"one each", []float64{2}, []float64{1}, 1, 0.5, 0},
		{"one each below", []float64{1}, []float64{2}, 0, 1, 0},
		// Infinities are ordinary extremes.
		{"infinities", []float64{math.Inf(1)}, []float64{math.Inf(-1), 0}, 2, 1.0 / 3, 1e-15},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := MannWhitneyU(tt.a, tt.b)
			if err != nil || u != tt.wantU {
				t.Errorf("U = %v, %v; want %v", u, err, tt.wantU)
			}
			p, err := MannWhitneyGreater(tt.a, tt.b)
			if err != nil {
				t.Fatal(err)
			}
			if !close(p, tt.wantP, tt.tol) || (tt.tol == 0 && p != tt.wantP) {
				t.Errorf("p = %.17g, want %.17g", p, tt.wantP)
			}
		})
	}
}

func odds(n int) (s []float64) {
	for k := 1; k <= n; k++ {
		s = append(s, float64(2*k-1))
	}
	return s
}

func evens(n int) (s []float64) {
	for k := 1; k <= n; k++ {
		s = append(s, float64(2*k))
	}
	return s
}

func TestMannWhitneyErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		a, b []float64
	}{
		{"empty a", nil, []float64{1}},
		{"empty b", []float64{1}, nil},
		{"NaN in a", []float64{1, math.NaN()}, []float64{1}},
		{"NaN in b", []float64{1}, []float64{math.NaN()}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if p, err := MannWhitneyGreater(tt.a, tt.b); err == nil {
				t.Errorf("p = %v, want an error", p)
			}
		})
	}
}

// bruteGreater is P(U ≥ u) for samples of n1 and n2 distinct values, by
// enumerating every choice of the n1 ranks of the first sample.
func bruteGreater(n1, n2 int, u float64) float64 {
	n := n1 + n2
	hits, total := 0, 0
	for mask := 0; mask < 1<<n; mask++ {
		if popcount(mask) != n1 {
			continue
		}
		total++
		rankSum := 0
		for r := 0; r < n; r++ {
			if mask&(1<<r) != 0 {
				rankSum += r + 1
			}
		}
		if float64(rankSum-n1*(n1+1)/2) >= u {
			hits++
		}
	}
	return float64(hits) / float64(total)
}

func popcount(x int) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}

// TestMannWhitneyExactBrute compares the exact path with enumeration of all
// C(n1+n2, n1) rank assignments, for every U and every sample size up to
// n1 + n2 = 14.
func TestMannWhitneyExactBrute(t *testing.T) {
	for n1 := 1; n1 <= 10; n1++ {
		for n2 := 1; n1+n2 <= 14; n2++ {
			for u := 0; u <= n1*n2; u++ {
				got := exactGreater(n1, n2, u)
				want := bruteGreater(n1, n2, float64(u))
				if !close(got, want, 1e-14) {
					t.Fatalf("n1=%d n2=%d u=%d: exact %v, enumeration %v", n1, n2, u, got, want)
				}
			}
		}
	}
}

// TestMannWhitneyExactData runs the whole test (ranking included) on random
// tie-free data and checks it against enumeration.
func TestMannWhitneyExactData(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 300 {
		n1, n2 := 1+r.IntN(8), 1+r.IntN(8)
		perm := r.Perm(n1 + n2)
		a, b := make([]float64, n1), make([]float64, n2)
		for i := range a {
			a[i] = float64(perm[i]) * 1.5
		}
		for i := range b {
			b[i] = float64(perm[n1+i]) * 1.5
		}
		u, _ := MannWhitneyU(a, b)
		// U by its other definition: pairs with a > b.
		pairs := 0
		for _, x := range a {
			for _, y := range b {
				if x > y {
					pairs++
				}
			}
		}
		if u != float64(pairs) {
			t.Fatalf("U = %v, pairs = %d", u, pairs)
		}
		p, err := MannWhitneyGreater(a, b)
		if err != nil {
			t.Fatal(err)
		}
		if want := bruteGreater(n1, n2, u); !close(p, want, 1e-14) {
			t.Fatalf("a=%v b=%v: p = %v, enumeration %v", a, b, p, want)
		}
	}
}

// TestUDistributionBig checks the 128-bit counts against the textbook
// recurrence f(m, n, u) = f(m−1, n, u−n) + f(m, n−1, u) in math/big, up to
// 50 × 50, where the counts need 97 bits.
func TestUDistributionBig(t *testing.T) {
	if testing.Short() {
		t.Skip("big-integer reference is slow")
	}
	const N = ExactMax
	// prev[n] = f(m−1, n, ·), cur[n] = f(m, n, ·).
	prev := make([][]*big.Int, N+1)
	for n := range prev {
		prev[n] = []*big.Int{big.NewInt(1)} // f(0, n, 0) = 1
	}
	for m := 1; m <= N; m++ {
		cur := make([][]*big.Int, N+1)
		cur[0] = []*big.Int{big.NewInt(1)} // f(m, 0, 0) = 1
		for n := 1; n <= N; n++ {
			f := make([]*big.Int, m*n+1)
			for u := range f {
				f[u] = new(big.Int)
				if u-n >= 0 && u-n < len(prev[n]) {
					f[u].Add(f[u], prev[n][u-n])
				}
				if u < len(cur[n-1]) {
					f[u].Add(f[u], cur[n-1][u])
				}
			}
			cur[n] = f
			if m == n || m%7 == 0 && n%11 == 0 || m == N || n == N {
				got := uDistribution(m, n)
				if len(got) != len(f) {
					t.Fatalf("%d×%d: %d counts, want %d", m, n, len(got), len(f))
				}
				for u := range f {
					g := new(big.Int).Lsh(new(big.Int).SetUint64(got[u].hi), 64)
					g.Or(g, new(big.Int).SetUint64(got[u].lo))
					if g.Cmp(f[u]) != 0 {
						t.Fatalf("%d×%d: count of U=%d is %v, want %v", m, n, u, g, f[u])
					}
				}
			}
		}
		prev = cur
	}
}

// TestMannWhitneyExactVsNormal: at the exact bound the two methods agree
// closely in the body of the distribution.
func TestMannWhitneyExactVsNormal(t *testing.T) {
	for _, n := range []int{20, 35, ExactMax} {
		mu := n * n / 2
		for _, u := range []int{mu - n, mu, mu + n, mu + 3*n} {
			exact := exactGreater(n, n, u)
			approx := normalGreater(n, n, float64(u), 0)
			if math.Abs(exact-approx) > 0.005 {
				t.Errorf("n=%d u=%d: exact %v, normal %v", n, u, exact, approx)
			}
		}
	}
}

// TestMannWhitneyProperties: p in [0, 1]; for the exact path
// P(U ≥ u) + P(U ≤ u) = 1 + P(U = u), i.e. p(a, b) + p(b, a) = 1 + P(U = U_a);
// for the normal path, with continuity correction, p(a, b) + p(b, a) ≥ 1.
func TestMannWhitneyProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := range 500 {
		ties := i%2 == 0
		n1, n2 := 1+r.IntN(70), 1+r.IntN(70)
		a, b := randomSample(r, n1, ties), randomSample(r, n2, ties)
		pab, err1 := MannWhitneyGreater(a, b)
		pba, err2 := MannWhitneyGreater(b, a)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if pab < 0 || pab > 1 || pba < 0 || pba > 1 {
			t.Fatalf("p outside [0, 1]: %v, %v", pab, pba)
		}
		u, _ := MannWhitneyU(a, b)
		_, hasTies, _, _ := mannWhitneyU(a, b)
		if !hasTies && n1 <= ExactMax && n2 <= ExactMax {
			c := uDistribution(n1, n2)
			var total u128
			for _, x := range c {
				total = total.add(x)
			}
			want := 1 + c[int(u)].float()/total.float()
			if !close(pab+pba, want, 1e-12) {
				t.Fatalf("exact n1=%d n2=%d U=%v: p(a,b)+p(b,a) = %v, want %v", n1, n2, u, pab+pba, want)
			}
		} else if pab+pba < 1-1e-12 {
			t.Fatalf("normal n1=%d n2=%d U=%v: p(a,b)+p(b,a) = %v < 1", n1, n2, u, pab+pba)
		}
	}
}

func randomSample(r *rand.Rand, n int, ties bool) []float64 {
	s := make([]float64, n)
	for i := range s {
		if ties {
			s[i] = float64(r.IntN(20))
		} else {
			s[i] = r.Float64()
		}
	}
	return s
}

func TestMannWhitneyLarge(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	a, b := make([]float64, 10000), make([]float64, 10000)
	for i := range a {
		a[i] = 100 + 10*r.NormFloat64()
		b[i] = 100 + 10*r.NormFloat64()
	}
	p, err := MannWhitneyGreater(a, b)
	if err != nil || p < 0.001 || p > 0.999 {
		t.Errorf("same distribution: p = %v, %v", p, err)
	}
	for i := range a {
		a[i] += 1 // a tenth of a standard deviation
	}
	if p, _ := MannWhitneyGreater(a, b); p > 1e-6 {
		t.Errorf("shifted: p = %v, want tiny", p)
	}
	if p, _ := MannWhitneyGreater(b, a); p < 0.999999 {
		t.Errorf("shifted, reversed: p = %v, want near 1", p)
	}
}

func BenchmarkMannWhitney10k(b *testing.B) {
	r := rand.New(rand.NewPCG(9, 10))
	x, y := make([]float64, 10000), make([]float64, 10000)
	for i := range x {
		x[i], y[i] = r.Float64(), r.Float64()
	}
	for b.Loop() {
		if _, err := MannWhitneyGreater(x, y); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMannWhitneyExact50(b *testing.B) {
	r := rand.New(rand.NewPCG(11, 12))
	x, y := make([]float64, ExactMax), make([]float64, ExactMax)
	for i := range x {
		x[i], y[i] = r.Float64(), r.Float64()
	}
	for b.Loop() {
		if _, err := MannWhitneyGreater(x, y); err != nil {
			b.Fatal(err)
		}
	}
}
