package executor

import (
	"math/big"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/fnprobe/fnprobe/spec"
)

// constants caches the values of expressions that read no variable and
// call no impure function, such as `json = { status = "ok" }`: their value
// cannot differ between the invocations of a run, so a for_each over
// thousands of keys evaluates them once. It is safe for concurrent use.
type constants struct {
	m sync.Map // hcl.Expression → *constEntry
}

type constEntry struct {
	once     sync.Once
	constant bool
	expected expectedValue // the value, as checks compare it
	diags    hcl.Diagnostics
}

// expected is expr's value in ctx without its marks, whether it had any
// (it is sensitive), and whether it is wholly known: what a check
// compares. A constant's is worked out once per run, not at every check.
func (c *constants) expected(expr hcl.Expression, ctx *hcl.EvalContext) (expectedValue, hcl.Diagnostics) {
	ent := c.entry(expr, ctx)
	if ent.constant {
		return ent.expected, ent.diags
	}
	v, diags := expr.Value(ctx)
	if diags.HasErrors() {
		return expectedValue{v: v}, diags
	}
	return expectedOf(v), diags
}

// expectedValue is an expected value unmarked, with what checks ask of it.
type expectedValue struct {
	v         cty.Value
	sensitive bool
	known     bool

	// statuses is, for a constant that is a number or a list of numbers,
	// the statuses it allows (statusInts); nil otherwise.
	statuses []int64
}

func expectedOf(v cty.Value) expectedValue {
	if v == cty.NilVal {
		return expectedValue{v: v}
	}
	u, marks := v.UnmarkDeepWithPaths()
	return expectedValue{v: u, sensitive: len(marks) > 0, known: u.IsWhollyKnown()}
}

// entry is expr's entry, evaluated (once) when expr is constant.
func (c *constants) entry(expr hcl.Expression, ctx *hcl.EvalContext) *constEntry {
	ei, ok := c.m.Load(expr)
	if !ok {
		ei, _ = c.m.LoadOrStore(expr, &constEntry{})
	}
	ent := ei.(*constEntry)
	ent.once.Do(func() {
		ent.constant = isConstant(expr)
		if ent.constant {
			var v cty.Value
			v, ent.diags = expr.Value(ctx)
			ent.expected = expectedValue{v: v}
			if !ent.diags.HasErrors() {
				ent.expected = expectedOf(v)
				if ent.expected.known {
					ent.expected.statuses, _ = statusInts(ent.expected.v)
				}
			}
		}
	})
	return ent
}

// isConstant reports whether expr reads no variable and calls no impure
// function. Only native syntax is inspected; anything else is not
// constant.
func isConstant(expr hcl.Expression) bool {
	if len(expr.Variables()) > 0 {
		return false
	}
	return spec.Pure(expr)
}

// statusInts is what expect.status compares of v: the integers among v
// (a number, or a list of numbers or of strings that convert to numbers).
// Statuses are compared exactly: a number that is no integer, such as
// 200.5, allows no status. ok is false when v is anything else.
func statusInts(v cty.Value) (statuses []int64, ok bool) {
	var nums []cty.Value
	switch {
	case v.IsNull():
		return nil, false
	case v.Type() == cty.Number:
		nums = []cty.Value{v}
	case v.CanIterateElements() && !v.Type().IsMapType() && !v.Type().IsObjectType():
		for it := v.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			n, err := convert.Convert(ev, cty.Number)
			if err != nil || n.IsNull() {
				return nil, false
			}
			nums = append(nums, n)
		}
	default:
		return nil, false
	}
	statuses = []int64{} // known, even when it allows nothing
	for _, n := range nums {
		f := n.AsBigFloat()
		if i, acc := f.Int64(); f.IsInt() && acc == big.Exact {
			statuses = append(statuses, i)
		}
	}
	return statuses, true
}
