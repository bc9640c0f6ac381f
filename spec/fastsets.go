package spec

import (
	"math/big"
	"math/bits"
	"slices"
	"sort"
	"strconv"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"github.com/fnprobe/fnprobe/limits"
)

// go-cty sorts a set each time it is walked (ElementIterator, and so
// AsValueSlice, IsWhollyKnown, ContainsMarked, Convert), and writes a
// number as a string by finding its shortest decimal with math/big, which
// takes tens of microseconds for a number computed at 512 bits of
// precision. For_each keys built from expressions hit both ten thousand
// times. The helpers here take the same results by shorter ways, and
// leave every case they do not cover to go-cty.

// numberString is the string go-cty's conversion makes of a known,
// non-null, unmarked number (convert.Convert(v, cty.String), which writes
// AsBigFloat().Text('f', -1)), when it is an integer written the same way
// by strconv: ok is false for anything else (fractions, -0, integers
// beyond int64 or wider than the number's precision, whose shortest
// decimal may round).
func numberString(v cty.Value) (string, bool) {
	f := v.AsBigFloat()
	if !f.IsInt() {
		return "", false
	}
	i, acc := f.Int64()
	if acc != big.Exact || (i == 0 && f.Signbit()) {
		return "", false
	}
	u := uint64(i)
	if i < 0 {
		u = uint64(-i)
	}
	if uint(bits.Len64(u)) > f.Prec() {
		return "", false
	}
	return strconv.FormatInt(i, 10), true
}

// numberStringOf is numberString for any value: false unless v is a known,
// non-null, unmarked number.
func numberStringOf(v cty.Value) (string, bool) {
	if v.Type() != cty.Number || v.IsMarked() || !v.IsKnown() || v.IsNull() {
		return "", false
	}
	return numberString(v)
}

// ToString is convert.Convert(v, cty.String), with numberString's quick
// way for an integer.
func ToString(v cty.Value) (cty.Value, error) {
	if s, ok := numberStringOf(v); ok {
		return cty.StringVal(s), nil
	}
	return convert.Convert(v, cty.String)
}

// tostringFunc is tostring() with a fast path for integers: the same
// string, without math/big's shortest-decimal search. Anything else, and
// every error, is go-cty's.
func tostringFunc() function.Function {
	slow := stdlib.MakeToFunc(cty.String)
	spec := &function.Spec{
		Params: slow.Params(),
		Type:   slow.ReturnTypeForValues,
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			// The parameter does not allow marks: args[0] comes unmarked
			// and function.Function marks the result as it marks go-cty's.
			if s, ok := numberStringOf(args[0]); ok {
				return cty.StringVal(s), nil
			}
			return slow.Call(args)
		},
	}
	return function.New(spec)
}

// ForEachSetKeys returns the keys of a for_each set, sorted and distinct,
// walking the set once: v must be a known, non-null, unmarked set of
// strings, or of numbers turned into strings as a conversion to
// set(string) would turn them, whose elements are all known and not null.
// ok is false for any other value; the caller then takes go-cty's way,
// which reports what is wrong.
func ForEachSetKeys(v cty.Value) (keys []string, ok bool) {
	ty := v.Type()
	if !ty.IsSetType() || v.IsMarked() || !v.IsKnown() || v.IsNull() {
		return nil, false
	}
	ety := ty.ElementType()
	if ety != cty.String && ety != cty.Number {
		return nil, false
	}
	elems := v.AsValueSlice() // the one walk: sorted
	keys = make([]string, 0, len(elems))
	for _, e := range elems {
		if e.IsMarked() || !e.IsKnown() || e.IsNull() {
			return nil, false
		}
		if ety == cty.String {
			keys = append(keys, e.AsString())
			continue
		}
		s, ok := numberString(e)
		if !ok {
			return nil, false
		}
		keys = append(keys, s)
	}
	if ety == cty.Number {
		// Numbers sort by value: sort the strings, and keep one of equal
		// ones as the set a conversion builds would.
		sort.Strings(keys)
		keys = slices.Compact(keys)
	}
	return keys, true
}

// setProductWithinLimits says, from its arguments alone, that the result
// of setproduct(args...) is certain to pass measure: every argument is
// wholly known, and the product, as productSize weighs it, has at most
// limits.Elements elements and nests at most limits.NestingDepth levels
// (the tuple adds one level to the deepest argument; its strings are the
// arguments', measured already). A tuple argument (converted to a list of
// a unified type) counts only when its elements are primitive values,
// which conversion keeps one for one. When this says false, the result is
// measured as any other.
func setProductWithinLimits(args []cty.Value) bool {
	for _, a := range args {
		a, _ = a.Unmark()
		if !a.IsWhollyKnown() || a.IsNull() {
			return false
		}
		if ty := a.Type(); ty.IsTupleType() {
			for _, ety := range ty.TupleElementTypes() {
				if !ety.IsPrimitiveType() {
					return false
				}
			}
		}
	}
	s, ok := productSize(args)
	return ok && s.elements <= limits.Elements && s.depth+1 <= limits.NestingDepth
}
