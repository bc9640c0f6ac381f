package spec

import (
	"testing"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// TestProductSizeMatchesMeasure: the budget's size of a setproduct,
// computed from its arguments, is what measuring the result finds.
func TestProductSizeMatchesMeasure(t *testing.T) {
	strs := func(ss ...string) []cty.Value {
		out := make([]cty.Value, len(ss))
		for i, s := range ss {
			out[i] = cty.StringVal(s)
		}
		return out
	}
	obj := func(name string) cty.Value {
		return cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal(name), "tags": cty.ListVal(strs("a", "bb"))})
	}
	tests := []struct {
		name string
		args []cty.Value
	}{
		{"sets of strings", []cty.Value{cty.SetVal(strs("x1", "x22", "x333")), cty.SetVal(strs("y", "yy"))}},
		{"lists of numbers", []cty.Value{cty.ListVal([]cty.Value{cty.NumberIntVal(1), cty.NumberIntVal(2)}), cty.ListVal([]cty.Value{cty.NumberIntVal(3)})}},
		{"three lists", []cty.Value{cty.ListVal(strs("a", "b")), cty.ListVal(strs("c", "d", "e")), cty.ListVal(strs("f"))}},
		{"objects", []cty.Value{cty.ListVal([]cty.Value{obj("n1"), obj("n2")}), cty.SetVal(strs("p", "q"))}},
		{"marked", []cty.Value{cty.SetVal(strs("s1", "s2")).Mark("sensitive"), cty.ListVal(strs("t"))}},
		{"empty", []cty.Value{cty.ListValEmpty(cty.String), cty.ListVal(strs("t"))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := productSize(tt.args)
			if !ok {
				t.Fatal("productSize refused known collections")
			}
			v, err := stdlib.SetProductFunc.Call(tt.args)
			if err != nil {
				t.Fatal(err)
			}
			want, err := measure(v)
			if err != nil {
				t.Fatal(err)
			}
			if got.elements != want.elements || got.bytes != want.bytes {
				t.Errorf("productSize = %d elements, %d bytes; measure = %d elements, %d bytes", got.elements, got.bytes, want.elements, want.bytes)
			}
		})
	}
	// A list with equal elements makes equal tuples, which a set keeps
	// once: the size from the arguments is then an overestimate, on the
	// safe side of the budget.
	dup := []cty.Value{cty.ListVal(strs("a", "a")), cty.SetVal(strs("b"))}
	got, _ := productSize(dup)
	v, _ := stdlib.SetProductFunc.Call(dup)
	if want, _ := measure(v); got.elements < want.elements || got.bytes < want.bytes {
		t.Errorf("duplicates: productSize %+v is below measure %+v", got, want)
	}
	if _, ok := productSize([]cty.Value{cty.UnknownVal(cty.List(cty.String))}); ok {
		t.Error("an unknown argument must leave the result to be measured")
	}
}
