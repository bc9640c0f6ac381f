package spec

import (
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// TestSetProductOfSets: the product of known sets is go-cty's set of
// tuples as a list (the same elements, each once, in the sets' order);
// anything else is go-cty's unchanged.
func TestSetProductOfSets(t *testing.T) {
	f := setProductOfSets(stdlib.SetProductFunc)
	strs := cty.SetVal([]cty.Value{cty.StringVal("b"), cty.StringVal("a"), cty.StringVal("c")})
	nums := cty.SetVal([]cty.Value{cty.NumberIntVal(10), cty.NumberIntVal(2)})
	objs := cty.SetVal([]cty.Value{
		cty.ObjectVal(map[string]cty.Value{"n": cty.StringVal("x")}),
		cty.ObjectVal(map[string]cty.Value{"n": cty.StringVal("y")}),
	})
	list := cty.ListVal([]cty.Value{cty.StringVal("z"), cty.StringVal("z")})
	tests := []struct {
		name     string
		args     []cty.Value
		wantList bool
	}{
		{"strings and numbers", []cty.Value{strs, nums}, true},
		{"three sets", []cty.Value{strs, nums, objs}, true},
		{"sensitive set", []cty.Value{strs.Mark("sensitive"), nums}, true},
		{"empty set", []cty.Value{cty.SetValEmpty(cty.String), nums}, true},
		{"with a list", []cty.Value{strs, list}, false},
		{"unknown set", []cty.Value{strs, cty.UnknownVal(cty.Set(cty.Number))}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.Call(tt.args)
			if err != nil {
				t.Fatal(err)
			}
			want, err := stdlib.SetProductFunc.Call(tt.args)
			if err != nil {
				t.Fatal(err)
			}
			gu, gmarks := got.Unmark()
			wu, wmarks := want.Unmark()
			if len(gmarks) != len(wmarks) {
				t.Errorf("marks %v, go-cty's %v", gmarks, wmarks)
			}
			if !tt.wantList {
				if !gu.RawEquals(wu) {
					t.Errorf("got %#v, go-cty's %#v", gu, wu)
				}
				return
			}
			if !gu.Type().IsListType() {
				t.Fatalf("type %s, want a list", gu.Type().FriendlyName())
			}
			if !gu.IsKnown() || gu.LengthInt() != wu.LengthInt() {
				t.Fatalf("%d tuples, go-cty's %d", gu.LengthInt(), wu.LengthInt())
			}
			// The same elements: the list as a set is go-cty's set.
			if gu.LengthInt() == 0 {
				return
			}
			if asSet := cty.SetVal(gu.AsValueSlice()); !asSet.RawEquals(wu) {
				t.Errorf("elements %#v, go-cty's %#v", asSet, wu)
			}
		})
	}
	// In the sets' order: strings lexically, then numbers by value.
	got, _ := f.Call([]cty.Value{strs, nums})
	var order []string
	for _, p := range got.AsValueSlice() {
		n, _ := p.Index(cty.NumberIntVal(1)).AsBigFloat().Int64()
		order = append(order, p.Index(cty.NumberIntVal(0)).AsString()+"-"+cty.NumberIntVal(n).AsBigFloat().String())
	}
	if want := "a-2 a-10 b-2 b-10 c-2 c-10"; strings.Join(order, " ") != want {
		t.Errorf("order %q, want %q", strings.Join(order, " "), want)
	}
}
