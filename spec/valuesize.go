package spec

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/limits"
)

// size is what a value weighs: its elements (counting those of nested
// collections), the bytes of its strings and keys, and how deeply it nests.
type size struct {
	elements int64
	bytes    int64
	depth    int
}

// measure weighs v. It stops at the first limit crossed and says which:
// walking stays bounded (at most limits.Elements steps) even for a value
// whose parts are shared many times over.
func measure(v cty.Value) (size, error) {
	var s size
	err := s.walk(v, 0)
	return s, err
}

func (s *size) walk(v cty.Value, depth int) error {
	if depth > limits.NestingDepth {
		return fmt.Errorf("the value nests more than %d levels deep, the limit", limits.NestingDepth)
	}
	if depth > s.depth {
		s.depth = depth
	}
	v, _ = v.Unmark()
	if !v.IsKnown() || v.IsNull() {
		return nil
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		n := int64(len(v.AsString()))
		if n > limits.StringBytes {
			return fmt.Errorf("the value is a string of %s, larger than the %s limit", approx(n), limits.Size(limits.StringBytes))
		}
		s.bytes += n
	case ty.IsPrimitiveType():
		s.bytes += 8
	case ty.IsObjectType():
		// Not ElementIterator: it sorts the names, and allocates.
		for name := range ty.AttributeTypes() {
			s.bytes += int64(len(name))
			if err := s.element(v.GetAttr(name), depth); err != nil {
				return err
			}
		}
	case ty.IsMapType():
		for name, ev := range v.AsValueMap() {
			s.bytes += int64(len(name))
			if err := s.element(ev, depth); err != nil {
				return err
			}
		}
	case ty.IsCollectionType() || ty.IsTupleType():
		for _, ev := range v.AsValueSlice() {
			if err := s.element(ev, depth); err != nil {
				return err
			}
		}
	}
	return nil
}

// element counts one element of a collection at depth and weighs it.
func (s *size) element(v cty.Value, depth int) error {
	s.elements++
	if s.elements > limits.Elements {
		return fmt.Errorf("the value has more than %d elements (counting those of nested collections), the limit", limits.Elements)
	}
	return s.walk(v, depth+1)
}

// approx renders a byte count for messages: "32 MiB", "16,777,217 bytes",
// "95.4 GiB".
func approx(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) != 0:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n%(1<<20) == 0 || n < 1<<10:
		return limits.Size(n)
	}
	digits := fmt.Sprint(n)
	var b []byte
	for i := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, digits[i])
	}
	return string(b) + " bytes"
}

// CheckValue reports a value that crosses the value limits
// (limits.StringBytes, limits.Elements, limits.NestingDepth) as an error
// on rng (nil: no source, such as a -var option); what names it
// ("local.big", "the payload of invocation.x").
func CheckValue(v cty.Value, what string, rng *hcl.Range) *hcl.Diagnostic {
	if v == cty.NilVal {
		return nil
	}
	if _, err := measure(v); err != nil {
		return &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Value too large",
			Detail:   fmt.Sprintf("The value of %s is refused: %s.", what, err),
			Subject:  rng,
		}
	}
	return nil
}

// Eval evaluates expr, an expression of c, within the value limits: string templates whose
// parts are references are refused before they are built when they would
// be too large, and the value is checked right after evaluation, so a chain
// of locals each doubling a string stops at the limit instead of
// exhausting the machine. A refused value becomes unknown (cty.DynamicVal),
// so what depends on it is not reported again. what names the value in
// messages ("local.big").
func (c *Config) Eval(expr hcl.Expression, ctx *hcl.EvalContext, what string) (cty.Value, hcl.Diagnostics) {
	if d := c.checkTemplates(expr, ctx); d != nil {
		return cty.DynamicVal, hcl.Diagnostics{d}
	}
	v, diags := expr.Value(ctx)
	if diags.HasErrors() {
		return v, diags
	}
	if _, call := expr.(*hclsyntax.FunctionCallExpr); call {
		return v, diags // checked by the function (limitFunctions)
	}
	if d := CheckValue(v, what, expr.Range().Ptr()); d != nil {
		return cty.DynamicVal, append(diags, d)
	}
	return v, diags
}

// checkTemplates adds up the known parts of each string template in expr
// ("${local.a}${local.a}") and refuses one whose result would be too large.
// Parts computed by functions are bounded by the function limits; parts
// that depend on a for expression's variables are not known here.
func (c *Config) checkTemplates(expr hcl.Expression, ctx *hcl.EvalContext) *hcl.Diagnostic {
	if ctx == nil {
		return nil
	}
	for _, t := range c.templatesOf(expr) {
		total := int64(0)
		for _, part := range t.Parts {
			var v cty.Value
			switch p := part.(type) {
			case *hclsyntax.LiteralValueExpr:
				v = p.Val
			case *hclsyntax.ScopeTraversalExpr:
				var diags hcl.Diagnostics
				v, diags = p.Traversal.TraverseAbs(ctx)
				if diags.HasErrors() {
					continue
				}
			default:
				continue
			}
			if s, ok := knownString(v); ok {
				total += int64(len(s))
			}
		}
		if total > limits.StringBytes {
			return &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Value too large",
				Detail:   fmt.Sprintf("This template would build a string of %s, larger than the %s limit.", approx(total), limits.Size(limits.StringBytes)),
				Subject:  t.SrcRange.Ptr(),
			}
		}
	}
	return nil
}

// templatesOf returns the templates in expr that join two or more
// references, found once and kept in c.templates: an expression is
// evaluated once per instance, and concurrently at run time.
func (c *Config) templatesOf(expr hcl.Expression) []*hclsyntax.TemplateExpr {
	node, ok := expr.(hclsyntax.Node)
	if !ok {
		return nil
	}
	if ts, ok := c.templates.Load(expr); ok {
		return ts.([]*hclsyntax.TemplateExpr)
	}
	var ts []*hclsyntax.TemplateExpr
	hclsyntax.VisitAll(node, func(n hclsyntax.Node) hcl.Diagnostics {
		t, ok := n.(*hclsyntax.TemplateExpr)
		if !ok {
			return nil
		}
		refs := 0
		for _, p := range t.Parts {
			if _, ok := p.(*hclsyntax.ScopeTraversalExpr); ok {
				refs++
			}
		}
		if refs >= 2 {
			ts = append(ts, t)
		}
		return nil
	})
	c.templates.Store(expr, ts)
	return ts
}
