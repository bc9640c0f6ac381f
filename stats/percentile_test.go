package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestPercentile(t *testing.T) {
	tests := []struct {
		name   string
		sorted []float64
		p      float64
		want   float64
	}{
		{"single", []float64{7}, 50, 7},
		{"single p0", []float64{7}, 0, 7},
		{"single p100", []float64{7}, 100, 7},
		{"median even", []float64{1, 2, 3, 4}, 50, 2.5},
		{"median odd", []float64{1, 2, 3, 4, 5}, 50, 3},
		{"p0 is min", []float64{1, 2, 3, 4}, 0, 1},
		{"p100 is max", []float64{1, 2, 3, 4}, 100, 4},
		// numpy.percentile([1,2,3,4], 90): h = 3*0.9 = 2.7 -> 3 + 0.7*(4-3)
		{"p90 of 4", []float64{1, 2, 3, 4}, 90, 3.7},
		{"p25 of 4", []float64{1, 2, 3, 4}, 25, 1.75},
		// Wikipedia's "second variant, C = 1" example: 40th percentile of
		// {15, 20, 35, 40, 50} is 29.
		{"wikipedia", []float64{15, 20, 35, 40, 50}, 40, 29},
		{"wikipedia p75", []float64{15, 20, 35, 40, 50}, 75, 40},
		{"ties", []float64{1, 1, 1, 2}, 50, 1},
		{"p99 of 1..100", seq(1, 100), 99, 99.01},
		{"p95 of 1..100", seq(1, 100), 95, 95.05},
		{"negative", []float64{-10, -5, 0}, 25, -7.5},
		{"inf max", []float64{1, math.Inf(1)}, 0, 1},
		{"clamped low", []float64{1, 2}, -5, 1},
		{"clamped high", []float64{1, 2}, 500, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Percentile(tt.sorted, tt.p)
			if !close(got, tt.want, 1e-12) {
				t.Errorf("Percentile(%v, %v) = %v, want %v", tt.sorted, tt.p, got, tt.want)
			}
		})
	}
	if got := Percentile(nil, 50); !math.IsNaN(got) {
		t.Errorf("Percentile(nil) = %v, want NaN", got)
	}
	if got := Percentile([]float64{1}, math.NaN()); !math.IsNaN(got) {
		t.Errorf("Percentile(p=NaN) = %v, want NaN", got)
	}
}

func TestPercentileOf(t *testing.T) {
	in := []float64{4, 1, 3, 2}
	got, err := PercentileOf(in, 50)
	if err != nil || got != 2.5 {
		t.Errorf("PercentileOf = %v, %v; want 2.5", got, err)
	}
	if !slices.Equal(in, []float64{4, 1, 3, 2}) {
		t.Errorf("PercentileOf modified its input: %v", in)
	}
	for _, tt := range []struct {
		name   string
		values []float64
		p      float64
	}{
		{"empty", nil, 50},
		{"p negative", []float64{1}, -0.1},
		{"p above 100", []float64{1}, 100.5},
		{"p NaN", []float64{1}, math.NaN()},
		{"NaN value", []float64{1, math.NaN()}, 50},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if v, err := PercentileOf(tt.values, tt.p); err == nil {
				t.Errorf("PercentileOf(%v, %v) = %v, want an error", tt.values, tt.p, v)
			}
		})
	}
}

// TestPercentileDefinition checks Percentile against the definition's
// other reading: the value at fractional 0-based index h of the sorted
// data, and monotonicity in p.
func TestPercentileDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		n := 1 + r.IntN(30)
		v := make([]float64, n)
		for i := range v {
			v[i] = math.Round(r.NormFloat64()*100) / 10
		}
		slices.Sort(v)
		prev := math.Inf(-1)
		for p := 0.0; p <= 100; p += 2.5 {
			got := Percentile(v, p)
			if got < prev {
				t.Fatalf("not monotone in p: %v at p=%v after %v", got, p, prev)
			}
			prev = got
			h := float64(n-1) * p / 100
			lo, hi := int(math.Floor(h)), int(math.Ceil(h))
			want := v[lo] + (h-float64(lo))*(v[hi]-v[lo])
			if !close(got, want, 1e-9) {
				t.Fatalf("Percentile(%v, %v) = %v, want %v", v, p, got, want)
			}
			if got < v[0] || got > v[n-1] {
				t.Fatalf("Percentile outside [min, max]: %v", got)
			}
		}
	}
}

func TestDescribe(t *testing.T) {
	if _, ok := Describe(nil); ok {
		t.Error("Describe(nil) reported ok")
	}
	in := seq(100, 1) // 100 down to 1
	d, ok := Describe(in)
	want := Distribution{Min: 1, Mean: 50.5, P50: 50.5, P90: 90.1, P95: 95.05, P99: 99.01, Max: 100}
	if !ok || !closeDist(d, want) {
		t.Errorf("Describe(100..1) = %+v, %v; want %+v", d, ok, want)
	}
	if in[0] != 100 {
		t.Error("Describe sorted its input")
	}
	d, _ = Describe([]float64{3})
	if d != (Distribution{3, 3, 3, 3, 3, 3, 3}) {
		t.Errorf("Describe([3]) = %+v", d)
	}
}

// seq returns from, from±1, ..., to.
func seq(from, to int) []float64 {
	var s []float64
	step := 1
	if to < from {
		step = -1
	}
	for i := from; ; i += step {
		s = append(s, float64(i))
		if i == to {
			return s
		}
	}
}

func close(got, want, tol float64) bool {
	if got == want {
		return true
	}
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

func closeDist(a, b Distribution) bool {
	return close(a.Min, b.Min, 1e-12) && close(a.Mean, b.Mean, 1e-12) && close(a.P50, b.P50, 1e-12) &&
		close(a.P90, b.P90, 1e-12) && close(a.P95, b.P95, 1e-12) && close(a.P99, b.P99, 1e-12) && close(a.Max, b.Max, 1e-12)
}
