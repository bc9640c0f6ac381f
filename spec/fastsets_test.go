package spec

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"github.com/fnprobe/fnprobe/limits"
)

func bigNum(prec uint, i int64) cty.Value {
	return cty.NumberVal(new(big.Float).SetPrec(prec).SetInt64(i))
}

// numbers: integers and others, at every precision go-cty makes them
// (64 bits from NumberIntVal, 53 from floats, 512 from parsing and
// arithmetic) and at precisions it does not.
func numbers(t *testing.T) []cty.Value {
	t.Helper()
	parse := func(s string) cty.Value {
		v, err := cty.ParseNumberVal(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	vals := []cty.Value{
		cty.NumberIntVal(0), cty.NumberIntVal(1), cty.NumberIntVal(-1), cty.NumberIntVal(9999),
		cty.NumberIntVal(math.MaxInt64), cty.NumberIntVal(math.MinInt64),
		cty.NumberFloatVal(0.5), cty.NumberFloatVal(-2.25), cty.NumberFloatVal(math.Copysign(0, -1)),
		cty.NumberFloatVal(1e20), cty.NumberFloatVal(1 << 53), cty.NumberFloatVal(1<<53 + 2), cty.NumberFloatVal(-1e15),
		cty.NumberFloatVal(1.0 / 3),
		parse("123456789012345678901234567890"), parse("42"), parse("-0"), parse("0.1"), parse("1e3"),
		parse("9223372036854775807"), parse("9223372036854775808"), parse("-9223372036854775808"),
		cty.NumberIntVal(99).Multiply(cty.NumberIntVal(100)).Add(cty.NumberIntVal(99)),
		cty.NumberIntVal(7).Divide(cty.NumberIntVal(2)),
		cty.NumberIntVal(10).Divide(cty.NumberIntVal(5)),
		cty.NumberIntVal(0).Multiply(cty.NumberIntVal(-1)),
		bigNum(8, 255), bigNum(8, 256), bigNum(8, 1000001), bigNum(8, -1000001), bigNum(1, 3), bigNum(24, 1<<40+1),
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		prec := []uint{4, 8, 24, 53, 64, 512}[r.IntN(6)]
		i := r.Int64() >> r.IntN(64)
		if r.IntN(2) == 0 {
			i = -i
		}
		vals = append(vals, bigNum(prec, i), cty.NumberIntVal(i).Add(cty.NumberIntVal(0)))
	}
	return vals
}

// numberString writes exactly what go-cty's conversion writes, or leaves
// the number to it.
func TestNumberStringMatchesConvert(t *testing.T) {
	fast := 0
	for _, v := range numbers(t) {
		want, err := convert.Convert(v, cty.String)
		if err != nil {
			t.Fatal(err)
		}
		s, ok := numberString(v)
		if !ok {
			continue
		}
		fast++
		if s != want.AsString() {
			t.Errorf("%s (prec %d): %q, convert %q", v.AsBigFloat().Text('g', 30), v.AsBigFloat().Prec(), s, want.AsString())
		}
	}
	if fast < 1000 {
		t.Errorf("only %d numbers took the fast path", fast)
	}
}

// sameCall says whether two functions give the same result (RawEquals:
// type, value, marks and refinements alike) or the same error.
func sameCall(f, g function.Function, args ...cty.Value) (bool, string) {
	v1, err1 := f.Call(args)
	v2, err2 := g.Call(args)
	if err1 != nil || err2 != nil {
		return fmt.Sprint(err1) == fmt.Sprint(err2), fmt.Sprintf("%v, %v", err1, err2)
	}
	return v1.RawEquals(v2), fmt.Sprintf("%.300s, %.300s", fmt.Sprintf("%#v", v1), fmt.Sprintf("%#v", v2))
}

// tostring with its fast path returns what go-cty's tostring returns,
// marks, unknowns, nulls and errors included.
func TestTostringMatchesGoCty(t *testing.T) {
	slow := stdlib.MakeToFunc(cty.String)
	fast := tostringFunc()
	args := []cty.Value{
		cty.StringVal("a"), cty.True, cty.NullVal(cty.Number), cty.NullVal(cty.DynamicPseudoType),
		cty.UnknownVal(cty.Number), cty.UnknownVal(cty.Number).Mark(Sensitive), cty.DynamicVal,
		cty.NumberIntVal(9).Mark(Sensitive), cty.NumberFloatVal(0.5).Mark(Sensitive),
		cty.NumberIntVal(9).WithMarks(cty.NewValueMarks(Sensitive, "other")),
		cty.ListValEmpty(cty.String), cty.EmptyObjectVal, cty.TupleVal([]cty.Value{cty.NumberIntVal(1)}),
	}
	args = append(args, numbers(t)...)
	for _, a := range args {
		if same, both := sameCall(fast, slow, a); !same {
			t.Errorf("tostring(%#v): got, go-cty: %s", a, both)
		}
		gotTy, err1 := fast.ReturnTypeForValues([]cty.Value{a})
		wantTy, err2 := slow.ReturnTypeForValues([]cty.Value{a})
		if !gotTy.Equals(wantTy) || fmt.Sprint(err1) != fmt.Sprint(err2) {
			t.Errorf("type of tostring(%#v) = %#v, %v; go-cty: %#v, %v", a, gotTy, err1, wantTy, err2)
		}
	}
}

// forEachSetSlow is forEachItems' general way with a set: convert to a
// set of strings, walk it, refuse null, sort the keys.
func forEachSetSlow(v cty.Value) ([]string, error) {
	if !v.Type().ElementType().Equals(cty.String) {
		conv, err := convert.Convert(v, cty.Set(cty.String))
		if err != nil {
			return nil, err
		}
		v = conv
	}
	var keys []string
	for it := v.ElementIterator(); it.Next(); {
		_, ev := it.Element()
		if ev.IsNull() {
			return nil, fmt.Errorf("null")
		}
		keys = append(keys, ev.AsString())
	}
	sort.Strings(keys)
	return keys, nil
}

// ForEachSetKeys returns the keys the general way finds, or declines.
func TestForEachSetKeysMatchesConversion(t *testing.T) {
	strs := cty.SetVal([]cty.Value{cty.StringVal("b"), cty.StringVal("a"), cty.StringVal("é"), cty.StringVal("")})
	nums := numbers(t)
	cases := []struct {
		v    cty.Value
		fast bool
	}{
		{strs, true},
		{cty.SetVal(nums[:14]), false}, // fractions: left to go-cty
		{cty.SetVal([]cty.Value{cty.NumberIntVal(10), cty.NumberFloatVal(10), cty.NumberIntVal(-3), cty.NumberIntVal(2)}), true},
		{cty.SetVal([]cty.Value{cty.NumberIntVal(0), cty.NumberFloatVal(math.Copysign(0, -1))}), false},
		{cty.SetVal(slices.Concat(nums[30:], []cty.Value{cty.NumberIntVal(math.MaxInt64)})), false},
		{cty.SetVal([]cty.Value{cty.StringVal("a"), cty.NullVal(cty.String)}), false},
		{cty.SetVal([]cty.Value{cty.StringVal("a"), cty.UnknownVal(cty.String)}), false},
		{cty.SetVal([]cty.Value{cty.NumberIntVal(1), cty.NullVal(cty.Number)}), false},
		{strs.Mark(Sensitive), false},
		{cty.SetVal([]cty.Value{cty.StringVal("a").Mark(Sensitive)}), false},
		{cty.SetVal([]cty.Value{cty.True, cty.False}), false},
		{cty.SetValEmpty(cty.String), true},
		{cty.SetValEmpty(cty.Number), true},
		{cty.SetValEmpty(cty.DynamicPseudoType), false},
		{cty.UnknownVal(cty.Set(cty.String)), false},
		{cty.NullVal(cty.Set(cty.String)), false},
		{cty.ListVal([]cty.Value{cty.StringVal("a")}), false},
		{cty.MapVal(map[string]cty.Value{"a": cty.StringVal("a")}), false},
	}
	var ints []cty.Value
	for i := range 3000 {
		ints = append(ints, cty.NumberIntVal(int64(i*7919%5003-2500)))
	}
	cases = append(cases, struct {
		v    cty.Value
		fast bool
	}{cty.SetVal(ints), true})
	for _, c := range cases {
		keys, ok := ForEachSetKeys(c.v)
		if ok != c.fast {
			t.Errorf("%#v: fast path %v, want %v", c.v, ok, c.fast)
		}
		if !ok {
			continue
		}
		want, err := forEachSetSlow(c.v)
		if err != nil {
			t.Errorf("%#v: the fast path took a value the general way refuses: %v", c.v, err)
			continue
		}
		if !slices.Equal(keys, want) && !(len(keys) == 0 && len(want) == 0) {
			t.Errorf("%#v: keys %q, want %q", c.v, keys, want)
		}
	}
}

// setproduct without measuring its result returns what it returned with
// it, limits included, and skips the measure only where it would pass.
func TestSetProductMatchesLimited(t *testing.T) {
	slow := limited(stdlib.SetProductFunc, estimateSetProduct, false)
	fast := limitedSetProduct(stdlib.SetProductFunc)
	strs := func(prefix string, n int) []cty.Value {
		var out []cty.Value
		for i := range n {
			out = append(out, cty.StringVal(fmt.Sprintf("%s%d", prefix, i)))
		}
		return out
	}
	deep := cty.StringVal("x")
	for range limits.NestingDepth - 1 {
		deep = cty.ListVal([]cty.Value{deep})
	}
	big := cty.StringVal(strings.Repeat("x", limits.StringBytes+1))
	nested := cty.ListVal([]cty.Value{cty.ListVal(strs("n", 10))})
	cases := [][]cty.Value{
		{cty.SetVal(strs("x", 40)), cty.SetVal(strs("y", 50))},
		{cty.ListVal(strs("x", 100)), cty.ListVal(strs("y", 100))},
		{cty.TupleVal(strs("x", 3)), cty.SetVal(strs("y", 3))},
		{cty.TupleVal([]cty.Value{cty.StringVal("a"), cty.NumberIntVal(1)}), cty.SetVal(strs("y", 3))},
		{cty.TupleVal([]cty.Value{cty.ListVal(strs("a", 2))}), cty.SetVal(strs("y", 3))},
		{cty.ListVal([]cty.Value{cty.StringVal("a"), cty.StringVal("a")}), cty.SetVal(strs("y", 3))},
		{cty.SetVal(strs("x", 10)).Mark(Sensitive), cty.SetVal(strs("y", 10))},
		{cty.ListVal([]cty.Value{cty.StringVal("a").Mark(Sensitive)}), cty.ListVal(strs("y", 3))},
		{cty.SetVal(strs("x", 3)), cty.UnknownVal(cty.Set(cty.String))},
		{cty.SetVal(strs("x", 3)), cty.ListVal([]cty.Value{cty.UnknownVal(cty.String)})},
		{cty.SetVal(strs("x", 3)), cty.SetValEmpty(cty.String)},
		{cty.SetVal(strs("x", 3))},
		{cty.SetVal(strs("x", 3)), cty.StringVal("a")},
		{cty.SetVal(strs("x", 3)), cty.NullVal(cty.Set(cty.String))},
		{cty.SetVal(strs("x", 300)), cty.SetVal(strs("y", 300))},         // 270,000 elements: the estimate refuses
		{cty.ListVal(strs("x", 300)), cty.ListVal(strs("y", 100))},       // 90,000: passes
		{cty.ListVal([]cty.Value{nested}), cty.ListVal(strs("y", 7142))}, // 99,988: passes
		{cty.ListVal([]cty.Value{nested}), cty.ListVal(strs("y", 7143))}, // 100,002: the measure refuses
		{cty.ListVal([]cty.Value{deep}), cty.SetVal(strs("y", 2))},       // 257 levels: the measure refuses
		{cty.ListVal([]cty.Value{deep.Index(cty.Zero)}), cty.SetVal(strs("y", 2))},
		{cty.ListVal([]cty.Value{big}), cty.ListVal(strs("y", 2))},
		{cty.SetVal([]cty.Value{cty.StringVal("x")}), cty.SetVal([]cty.Value{cty.TupleVal([]cty.Value{cty.StringVal("a")})})},
		{cty.ListVal([]cty.Value{cty.ListVal(strs("a", 2)).Mark(Sensitive), cty.ListVal(strs("b", 2))}), cty.SetVal(strs("y", 3))},
		{cty.TupleVal([]cty.Value{cty.StringVal("a").Mark(Sensitive), cty.NumberIntVal(1)}), cty.ListVal(strs("y", 3)).Mark("other")},
	}
	// The bounds: the one the product reaches exactly is skipped, the
	// one past it measured and refused.
	if !setProductWithinLimits(cases[16]) || setProductWithinLimits(cases[17]) {
		t.Errorf("the bound is not where the measure puts it")
	}
	if _, err := fast.Call(cases[17]); err == nil || !strings.Contains(err.Error(), "its result is refused: the value has more than 100000 elements") {
		t.Errorf("past the bound: %v", err)
	}
	if _, err := fast.Call(cases[18]); err == nil || !strings.Contains(err.Error(), "its result is refused: the value nests more than 256 levels") {
		t.Errorf("too deep: %v", err)
	}
	if _, err := fast.Call(cases[19]); err != nil {
		t.Errorf("deep, within the limit: %v", err)
	}
	for _, args := range cases {
		if same, both := sameCall(fast, slow, args...); !same {
			t.Errorf("setproduct(%.200s): got, with a measure: %s", fmt.Sprint(args), both)
		}
		if setProductWithinLimits(args) {
			v, err := stdlib.SetProductFunc.Call(args)
			if err != nil {
				continue
			}
			if _, err := measure(v); err != nil {
				t.Errorf("setproduct(%.200s) is taken as within the limits, but: %v", fmt.Sprint(args), err)
			}
		}
	}
}

// toset and tolist with their fast path for homogeneous tuples return
// what go-cty's conversions return, types included.
func TestFastCollectionMatchesGoCty(t *testing.T) {
	tuple := func(vals ...cty.Value) cty.Value { return cty.TupleVal(vals) }
	a, b, one := cty.StringVal("a"), cty.StringVal("b"), cty.NumberIntVal(1)
	args := []cty.Value{
		tuple(a, b, a), tuple(one, cty.NumberFloatVal(1), cty.NumberIntVal(2)), tuple(cty.True, cty.False),
		tuple(a, one), tuple(a, cty.True), tuple(tuple(a), tuple(b)), tuple(cty.ListVal([]cty.Value{a})),
		tuple(a, b).Mark(Sensitive), tuple(a, b.Mark(Sensitive)), tuple(a, cty.UnknownVal(cty.String)),
		tuple(a, cty.NullVal(cty.String)), tuple(a, cty.NullVal(cty.DynamicPseudoType)), tuple(a, cty.DynamicVal),
		cty.EmptyTupleVal, cty.UnknownVal(cty.Tuple([]cty.Type{cty.String})), cty.NullVal(cty.Tuple([]cty.Type{cty.String})),
		cty.ListVal([]cty.Value{a, b}), cty.SetVal([]cty.Value{a, b}), cty.DynamicVal, a,
		cty.MapVal(map[string]cty.Value{"k": a}), cty.ObjectVal(map[string]cty.Value{"k": a}),
	}
	for _, c := range []struct {
		ty    cty.Type
		build func([]cty.Value) cty.Value
	}{{cty.Set(cty.DynamicPseudoType), cty.SetVal}, {cty.List(cty.DynamicPseudoType), cty.ListVal}} {
		fast, slow := fastCollectionFunc(c.ty, c.build), stdlib.MakeToFunc(c.ty)
		for _, a := range args {
			if same, both := sameCall(fast, slow, a); !same {
				t.Errorf("to %s (%#v): got, go-cty: %s", c.ty.FriendlyName(), a, both)
			}
			gotTy, err1 := fast.ReturnTypeForValues([]cty.Value{a})
			wantTy, err2 := slow.ReturnTypeForValues([]cty.Value{a})
			if elems, ok := homogeneous(a); ok {
				// go-cty types the call set (or list) of dynamic, and
				// its result as what it built; the fast path types it
				// as what it builds, as it did when it built it twice.
				wantTy = c.build(elems).Type()
			}
			if !gotTy.Equals(wantTy) || fmt.Sprint(err1) != fmt.Sprint(err2) {
				t.Errorf("type to %s (%#v) = %#v, %v; go-cty: %#v, %v", c.ty.FriendlyName(), a, gotTy, err1, wantTy, err2)
			}
		}
	}
}
