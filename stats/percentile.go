package stats

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Percentile returns the p-th percentile (p in [0, 100]) of sorted, which
// must be in ascending order and free of NaN. The definition is linear
// interpolation between closest ranks, Hyndman & Fan's "type 7" (the
// default of R's quantile, numpy.percentile and Excel's PERCENTILE.INC):
//
//	h = (n-1) * p/100
//	Percentile = sorted[floor(h)] + (h - floor(h)) * (sorted[ceil(h)] - sorted[floor(h)])
//
// so p = 0 is the minimum, p = 100 the maximum and p = 50 the median (the
// mean of the two middle values for an even n). An empty slice gives NaN,
// and so does interpolating between -Inf and +Inf; p outside [0, 100] is
// clamped to it. Use PercentileOf for unsorted or
// unvalidated input.
func Percentile(sorted []float64, p float64) float64 {
	n := len(sorted)
	if n == 0 || math.IsNaN(p) {
		return math.NaN()
	}
	p = math.Max(0, math.Min(100, p))
	h := float64(n-1) * p / 100
	lo := math.Floor(h)
	i := int(lo)
	if i >= n-1 {
		return sorted[n-1]
	}
	frac := h - lo
	if frac == 0 || sorted[i] == sorted[i+1] {
		return sorted[i]
	}
	return sorted[i] + frac*(sorted[i+1]-sorted[i])
}

// ErrEmpty is returned for a statistic of no values.
var ErrEmpty = errors.New("no values")

// PercentileOf is Percentile of values in any order: it sorts a copy. It
// refuses an empty slice (ErrEmpty), a p that is NaN or outside [0, 100],
// and NaN values.
func PercentileOf(values []float64, p float64) (float64, error) {
	if math.IsNaN(p) || p < 0 || p > 100 {
		return math.NaN(), fmt.Errorf("percentile %v is outside [0, 100]", p)
	}
	if len(values) == 0 {
		return math.NaN(), ErrEmpty
	}
	s, err := sortedCopy(values)
	if err != nil {
		return math.NaN(), err
	}
	return Percentile(s, p), nil
}

// sortedCopy returns values sorted ascending in a new slice, or an error
// when one is NaN.
func sortedCopy(values []float64) ([]float64, error) {
	for i, v := range values {
		if math.IsNaN(v) {
			return nil, fmt.Errorf("value %d is NaN", i)
		}
	}
	s := slices.Clone(values)
	slices.Sort(s)
	return s, nil
}

// Distribution summarises a set of values; the percentiles are Percentile's.
type Distribution struct {
	Min, Mean, P50, P90, P95, P99, Max float64
}

// Describe summarises values (in any order; the slice is not modified),
// sorting one copy. It returns false for an empty slice. NaN values make
// the summary meaningless; callers keep them out (Sample does).
func Describe(values []float64) (Distribution, bool) {
	if len(values) == 0 {
		return Distribution{}, false
	}
	s := slices.Clone(values)
	slices.Sort(s)
	return describeSorted(s), true
}

func describeSorted(s []float64) Distribution {
	sum := 0.0
	for _, v := range s {
		sum += v
	}
	return Distribution{
		Min:  s[0],
		Mean: sum / float64(len(s)),
		P50:  Percentile(s, 50),
		P90:  Percentile(s, 90),
		P95:  Percentile(s, 95),
		P99:  Percentile(s, 99),
		Max:  s[len(s)-1],
	}
}
