package stats

import (
	"fmt"
	"math"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// PercentileFunc is percentile(list, p): the p-th percentile (p from 0 to
// 100) of a list of numbers, as Percentile defines it (linear interpolation
// between closest ranks, numpy's default). The list need not be sorted; a
// tuple of numbers converts. An empty list, a null element or a p outside
// [0, 100] is an error; an unknown element makes the result unknown.
var PercentileFunc = function.New(&function.Spec{
	Description: "The p-th percentile (0-100) of a list of numbers, by linear interpolation between closest ranks.",
	Params: []function.Parameter{
		{Name: "list", Type: cty.List(cty.Number)},
		{Name: "p", Type: cty.Number},
	},
	Type: function.StaticReturnType(cty.Number),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		p, _ := args[1].AsBigFloat().Float64()
		if p < 0 || p > 100 {
			return cty.UnknownVal(cty.Number), function.NewArgErrorf(1, "the percentile must be between 0 and 100, not %s", args[1].AsBigFloat().Text('g', -1))
		}
		values, known, err := numbers(args[0], 0)
		if err != nil || !known {
			return cty.UnknownVal(cty.Number), err
		}
		if len(values) == 0 {
			return cty.UnknownVal(cty.Number), function.NewArgErrorf(0, "the list is empty; a percentile needs at least one number")
		}
		v, err := PercentileOf(values, p)
		if err != nil {
			return cty.UnknownVal(cty.Number), err
		}
		if math.IsNaN(v) { // between -Inf and +Inf
			return cty.UnknownVal(cty.Number), function.NewArgErrorf(0, "the percentile falls between -infinity and +infinity, and is undefined")
		}
		return cty.NumberFloatVal(v), nil
	},
})

// MannWhitneyPFunc is mann_whitney_p(a, b): MannWhitneyGreater's one-sided
// p-value that the numbers of list a tend to be greater than those of list
// b. Empty lists and null elements are errors; an unknown element makes
// the result unknown.
var MannWhitneyPFunc = function.New(&function.Spec{
	Description: "The one-sided Mann-Whitney U test p-value that the numbers in a tend to be greater than those in b.",
	Params: []function.Parameter{
		{Name: "a", Type: cty.List(cty.Number)},
		{Name: "b", Type: cty.List(cty.Number)},
	},
	Type: function.StaticReturnType(cty.Number),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		a, knownA, err := numbers(args[0], 0)
		if err != nil {
			return cty.UnknownVal(cty.Number), err
		}
		b, knownB, err := numbers(args[1], 1)
		if err != nil {
			return cty.UnknownVal(cty.Number), err
		}
		if !knownA || !knownB {
			return cty.UnknownVal(cty.Number), nil
		}
		for i, s := range [][]float64{a, b} {
			if len(s) == 0 {
				return cty.UnknownVal(cty.Number), function.NewArgErrorf(i, "the list is empty; the test needs at least one number in each list")
			}
		}
		p, err := MannWhitneyGreater(a, b)
		if err != nil {
			return cty.UnknownVal(cty.Number), err
		}
		return cty.NumberFloatVal(p), nil
	},
})

// numbers returns the elements of a known list of numbers (argument i) as
// float64s; known is false when an element is unknown. A null element is
// an error. Numbers beyond float64's range become ±Inf.
func numbers(list cty.Value, i int) (values []float64, known bool, err error) {
	if !list.IsWhollyKnown() {
		// A null element is an error even so, as it would be once known.
		for it := list.ElementIterator(); list.IsKnown() && it.Next(); {
			if _, v := it.Element(); v.IsKnown() && v.IsNull() {
				return nil, false, nullElement(list, i)
			}
		}
		return nil, false, nil
	}
	values = make([]float64, 0, list.LengthInt())
	for it := list.ElementIterator(); it.Next(); {
		_, v := it.Element()
		if v.IsNull() {
			return nil, false, nullElement(list, i)
		}
		f, _ := v.AsBigFloat().Float64()
		if math.IsNaN(f) {
			return nil, false, function.NewArgErrorf(i, "element %d is not a number", len(values))
		}
		values = append(values, f)
	}
	return values, true, nil
}

func nullElement(list cty.Value, i int) error {
	n := 0
	for it := list.ElementIterator(); it.Next(); n++ {
		if _, v := it.Element(); v.IsKnown() && v.IsNull() {
			break
		}
	}
	return function.NewArgError(i, fmt.Errorf("element %d is null", n))
}
