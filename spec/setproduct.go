package spec

import (
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// setProductOfSets is go-cty's setproduct, except that when every
// argument is a known set it returns the product as a list: the same
// tuples, in the order of the sets' elements (strings lexically, numbers
// by value), each once.
//
// go-cty returns a set of tuples, and a set of tuples has no order of its
// own: go-cty sorts it on every walk by hashing both tuples of every
// comparison, half a second for 10,000 tuples on a loaded 2-core machine,
// which made `for p in setproduct(local.xs, local.ys)` the one way of
// building 10,000 keys that took over a second to plan. A product of sets
// has no duplicates, so the list holds exactly the set's elements; only
// the type differs, which Terraform's documentation leaves unobservable in
// practice (the set's order is undefined; functions taking sets convert a
// list). A product with a list or tuple argument is go-cty's unchanged.
func setProductOfSets(f function.Function) function.Function {
	return function.New(&function.Spec{
		Description: f.Description(),
		Params:      f.Params(),
		VarParam:    f.VarParam(),
		Type: func(args []cty.Value) (cty.Type, error) {
			if lists, ok := setsAsLists(args); ok {
				return f.ReturnTypeForValues(lists)
			}
			return f.ReturnTypeForValues(args)
		},
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			if lists, ok := setsAsLists(args); ok {
				return f.Call(lists)
			}
			return f.Call(args)
		},
	})
}

// setsAsLists turns every argument into a list of the same elements when
// every argument is a known, non-null set (marks kept); ok is false
// otherwise. The type function and the call decide alike.
func setsAsLists(args []cty.Value) ([]cty.Value, bool) {
	if len(args) < 2 {
		return nil, false
	}
	for _, a := range args {
		if u, _ := a.Unmark(); !a.Type().IsSetType() || !u.IsKnown() || u.IsNull() {
			return nil, false
		}
	}
	out := make([]cty.Value, len(args))
	for i, a := range args {
		ety := a.Type().ElementType()
		u, marks := a.Unmark()
		if u.LengthInt() == 0 {
			out[i] = cty.ListValEmpty(ety).WithMarks(marks)
			continue
		}
		out[i] = cty.ListVal(u.AsValueSlice()).WithMarks(marks)
	}
	return out, true
}
