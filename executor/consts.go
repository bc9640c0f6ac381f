package executor

import (
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

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
	v        cty.Value
	diags    hcl.Diagnostics
}

// value evaluates expr in ctx, once per run when it is constant.
func (c *constants) value(expr hcl.Expression, ctx *hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
	ei, ok := c.m.Load(expr)
	if !ok {
		ei, _ = c.m.LoadOrStore(expr, &constEntry{})
	}
	ent := ei.(*constEntry)
	ent.once.Do(func() {
		ent.constant = isConstant(expr)
		if ent.constant {
			ent.v, ent.diags = expr.Value(ctx)
		}
	})
	if !ent.constant {
		return expr.Value(ctx)
	}
	return ent.v, ent.diags
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
