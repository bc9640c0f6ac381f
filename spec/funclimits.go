package spec

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/fnprobe/fnprobe/limits"
)

// limitFunctions wraps every function of a table so that its result is
// checked against the value limits, and those whose result can explode
// (range, setproduct, join, format, replace, indent, jsonencode, ...)
// estimate it from their arguments and refuse before computing it. The
// error reads after "Call to function NAME failed: ", on the call's range.
func limitFunctions(table map[string]function.Function) map[string]function.Function {
	out := make(map[string]function.Function, len(table))
	for name, f := range table {
		switch name {
		case "try", "can":
			// Their arguments are expressions, evaluated by HCL when
			// typing the call; whatever those call is wrapped already.
			out[name] = f
			continue
		}
		out[name] = limited(f, estimators[name], subset[name])
	}
	if f, ok := table["setproduct"]; ok {
		out["setproduct"] = limitedSetProduct(f)
	}
	return out
}

// subset lists functions whose result is made of their arguments' parts
// and no more: their arguments are weighed instead of the result (walking
// a set sorts it; walking the tuple it was made from does not).
var subset = map[string]bool{
	"tolist": true, "toset": true, "tomap": true, "distinct": true, "sort": true,
	"reverse": true, "slice": true, "compact": true, "keys": true, "values": true,
	"element": true, "lookup": true, "coalesce": true, "coalescelist": true,
}

func limited(f function.Function, estimate func([]cty.Value) error, subset bool) function.Function {
	return function.New(&function.Spec{
		Params:   f.Params(),
		VarParam: f.VarParam(),
		Type:     knownArgsType(f),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			if estimate != nil {
				if err := estimate(args); err != nil {
					return cty.NilVal, err
				}
			}
			if subset {
				if err := estimateSum(args); err != nil {
					return cty.NilVal, err
				}
				return f.Call(args)
			}
			v, err := f.Call(args)
			if err != nil {
				return v, err
			}
			if _, err := measure(v); err != nil {
				return cty.NilVal, fmt.Errorf("its result is refused: %w", err)
			}
			return v, nil
		},
	})
}

// limitedSetProduct is setproduct limited as limited does it, but a
// result the arguments show to be within the limits is not measured
// (setProductWithinLimits): measuring walks it, and go-cty sorts a set of
// tuples by hashing both tuples of every comparison, which takes half a
// second for ten thousand combinations on a loaded 2-core machine.
func limitedSetProduct(f function.Function) function.Function {
	return function.New(&function.Spec{
		Params:   f.Params(),
		VarParam: f.VarParam(),
		Type:     knownArgsType(f),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			if err := estimateSetProduct(args); err != nil {
				return cty.NilVal, err
			}
			v, err := f.Call(args)
			if err != nil || setProductWithinLimits(args) {
				return v, err
			}
			if _, err := measure(v); err != nil {
				return cty.NilVal, fmt.Errorf("its result is refused: %w", err)
			}
			return v, nil
		},
	})
}

// estimators refuse a call whose result would cross a limit, before
// computing it.
var estimators = map[string]func([]cty.Value) error{
	"range":      estimateRange,
	"setproduct": estimateSetProduct,
	"concat":     estimateSum,
	"merge":      estimateSum,
	"setunion":   estimateSum,
	"flatten":    estimateSum,
	"join":       estimateJoin,
	"format":     estimateFormat,
	"formatlist": estimateFormatList,
	"replace":    estimateReplace,
	"indent":     estimateIndent,
	"split":      estimateSplit,
	"jsonencode": estimateEncode,
	"base64encode": func(args []cty.Value) error {
		if s, ok := knownString(args[0]); ok {
			return tooManyBytes(float64((len(s)+2)/3*4), "base64 text")
		}
		return nil
	},
}

// known unmarks v and says whether it is known and not null.
func known(v cty.Value) (cty.Value, bool) {
	v, _ = v.Unmark()
	return v, v.IsKnown() && !v.IsNull()
}

func knownString(v cty.Value) (string, bool) {
	v, ok := known(v)
	if !ok || v.Type() != cty.String {
		return "", false
	}
	return v.AsString(), true
}

// count is the number of elements of a collection or structural value.
func count(v cty.Value) float64 {
	v, ok := known(v)
	if !ok {
		return 0
	}
	switch ty := v.Type(); {
	case ty.IsObjectType():
		return float64(len(ty.AttributeTypes()))
	case ty.IsCollectionType() || ty.IsTupleType():
		return float64(v.LengthInt())
	}
	return 0
}

func tooManyElements(n float64) error {
	if math.IsInf(n, 1) {
		return fmt.Errorf("the result would have more than %d elements, the limit", limits.Elements)
	}
	if n > limits.Elements {
		return fmt.Errorf("the result would have %s elements, more than the %d limit", bigCount(n), limits.Elements)
	}
	return nil
}

func tooManyBytes(n float64, what string) error {
	if math.IsInf(n, 1) || n > math.MaxInt64 {
		return fmt.Errorf("the result would be %s larger than the %s limit", what, limits.Size(limits.StringBytes))
	}
	if n > limits.StringBytes {
		return fmt.Errorf("the result would be %s of %s, larger than the %s limit", what, approx(int64(math.Min(n, math.MaxInt64))), limits.Size(limits.StringBytes))
	}
	return nil
}

// bigCount renders a possibly huge count: 1000000000, or 1e+30.
func bigCount(n float64) string {
	if n < 1e15 {
		return fmt.Sprintf("%.0f", n)
	}
	return fmt.Sprintf("%.3g", n)
}

// weigh measures v for an estimate; a value over the limits counts as
// infinite.
func weigh(v cty.Value) (elements, bytes float64) {
	s, err := measure(v)
	if err != nil {
		return math.Inf(1), math.Inf(1)
	}
	return float64(s.elements), float64(s.bytes)
}

func number(v cty.Value) (float64, bool) {
	v, ok := known(v)
	if !ok || v.Type() != cty.Number {
		return 0, false
	}
	f, _ := v.AsBigFloat().Float64()
	return f, true
}

// estimateRange: range(limit), range(start, limit), range(start, limit, step).
func estimateRange(args []cty.Value) error {
	nums := make([]float64, len(args))
	for i, a := range args {
		n, ok := number(a)
		if !ok {
			return nil
		}
		nums[i] = n
	}
	start, limit, step := 0.0, 0.0, 1.0
	switch len(nums) {
	case 1:
		limit = nums[0]
	case 2:
		start, limit = nums[0], nums[1]
	case 3:
		start, limit, step = nums[0], nums[1], nums[2]
	default:
		return nil
	}
	if len(nums) < 3 && limit < start {
		step = -1
	}
	if step == 0 || math.IsNaN(step) {
		return nil // range reports it
	}
	return tooManyElements(math.Ceil((limit - start) / step))
}

// estimateSetProduct: the product has one tuple of len(args) elements per
// combination.
func estimateSetProduct(args []cty.Value) error {
	n := 1.0
	for _, a := range args {
		n *= count(a)
	}
	return tooManyElements(n * float64(len(args)+1))
}

// estimateSum: the result has at most the elements of all arguments, and
// no argument may cross a limit itself.
func estimateSum(args []cty.Value) error {
	n := 0.0
	for _, a := range args {
		s, err := measure(a)
		if err != nil {
			return fmt.Errorf("an argument is refused: %w", err)
		}
		n += float64(s.elements)
	}
	return tooManyElements(n)
}

// estimateJoin: join(sep, lists...).
func estimateJoin(args []cty.Value) error {
	sep, _ := knownString(args[0])
	total := 0.0
	for _, l := range args[1:] {
		e, b := weigh(l)
		total += b + e*float64(len(sep))
	}
	return tooManyBytes(total, "a string")
}

// widths sums the numbers written in a format string: the widths and
// precisions of its verbs ("%999999999d"), counted generously.
func widths(f string) float64 {
	total, cur := 0.0, 0.0
	for i := 0; i < len(f); i++ {
		if c := f[i]; c >= '0' && c <= '9' {
			cur = cur*10 + float64(c-'0')
			continue
		}
		total += cur
		cur = 0
	}
	return total + cur
}

// estimateFormat: format(spec, values...).
func estimateFormat(args []cty.Value) error {
	f, ok := knownString(args[0])
	if !ok {
		return nil
	}
	total := float64(len(f)) + widths(f)
	for _, a := range args[1:] {
		e, b := weigh(a)
		total += 2*b + 8*e + 32
	}
	return tooManyBytes(total, "a string")
}

// estimateFormatList: formatlist(spec, values...) formats once per element
// of its list arguments; a single value is repeated each time.
func estimateFormatList(args []cty.Value) error {
	f, ok := knownString(args[0])
	if !ok {
		return nil
	}
	n, scalars, lists := 1.0, 0.0, 0.0
	for _, a := range args[1:] {
		ty := a.Type()
		e, b := weigh(a)
		if ty.IsListType() || ty.IsTupleType() {
			n = math.Max(n, count(a))
			lists += 2*b + 8*e
		} else {
			scalars += 2*b + 8*e + 32
		}
	}
	if err := tooManyElements(n); err != nil {
		return err
	}
	return tooManyBytes(n*(float64(len(f))+widths(f)+scalars)+lists, "strings")
}

// estimateReplace: replace(str, substr, replacement), exactly.
func estimateReplace(args []cty.Value) error {
	s, ok1 := knownString(args[0])
	sub, ok2 := knownString(args[1])
	rep, ok3 := knownString(args[2])
	if !ok1 || !ok2 || !ok3 {
		return nil
	}
	grow := float64(len(rep) - len(sub))
	if grow <= 0 {
		return nil
	}
	return tooManyBytes(float64(len(s))+float64(strings.Count(s, sub))*grow, "a string")
}

// estimateIndent: indent(spaces, str) adds spaces to every line but the
// first.
func estimateIndent(args []cty.Value) error {
	n, ok := number(args[0])
	s, ok2 := knownString(args[1])
	if !ok || !ok2 {
		return nil
	}
	return tooManyBytes(float64(len(s))+math.Max(n, 0)*float64(strings.Count(s, "\n")), "a string")
}

// estimateSplit: split(sep, str) makes one element per separator, one per
// character when sep is empty.
func estimateSplit(args []cty.Value) error {
	sep, ok := knownString(args[0])
	s, ok2 := knownString(args[1])
	if !ok || !ok2 {
		return nil
	}
	if sep == "" {
		return tooManyElements(float64(utf8.RuneCountInString(s)))
	}
	return tooManyElements(float64(strings.Count(s, sep) + 1))
}

// estimateEncode: an encoding holds at least every string and key of the
// value, plus punctuation per element; the result itself is checked after.
// A value sharing one large string many times is refused here.
func estimateEncode(args []cty.Value) error {
	e, b := weigh(args[0])
	return tooManyBytes(b+2*e, "text")
}

// knownArgsType is the type function of a wrapper of f. With known
// arguments the wrapper's call of f types the result: typing it here too
// would do the work twice (flatten's type is its result's). Unknown
// arguments stop the call before Impl, with an unknown of this type.
func knownArgsType(f function.Function) function.TypeFunc {
	return func(args []cty.Value) (cty.Type, error) {
		for _, a := range args {
			if !a.IsKnown() || a.Type() == cty.DynamicPseudoType {
				return f.ReturnTypeForValues(args)
			}
		}
		return cty.DynamicPseudoType, nil
	}
}
