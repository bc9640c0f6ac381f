package spec

import (
	"fmt"
	"math"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"

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
	if d := c.checkFors(expr, ctx); d != nil {
		return cty.DynamicVal, hcl.Diagnostics{d}
	}
	ctx = c.budgeted(expr, ctx)
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
	for _, t := range c.shapeOf(expr).templates {
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

// shape is what Eval checks of an expression before evaluating it, found
// once and kept in c.templates: an expression is evaluated once per
// instance, and concurrently at run time.
type shape struct {
	templates []*hclsyntax.TemplateExpr // those joining two or more references
	nestedFor bool                      // a for expression inside another
	calls     []string                  // the functions called, sorted, once each
}

var noShape = &shape{} // of expressions not in native syntax

func (c *Config) shapeOf(expr hcl.Expression) *shape {
	node, ok := expr.(hclsyntax.Node)
	if !ok {
		return noShape
	}
	if sh, ok := c.templates.Load(expr); ok {
		return sh.(*shape)
	}
	var sh shape
	w := &shapeWalker{sh: &sh, calls: map[string]bool{}}
	hclsyntax.Walk(node, w)
	sh.calls = sortedKeys(w.calls)
	c.templates.Store(expr, &sh)
	return &sh
}

type shapeWalker struct {
	sh    *shape
	fors  int // for expressions entered and not left
	calls map[string]bool
}

func (w *shapeWalker) Enter(n hclsyntax.Node) hcl.Diagnostics {
	switch n := n.(type) {
	case *hclsyntax.FunctionCallExpr:
		w.calls[n.Name] = true
	case *hclsyntax.ForExpr:
		w.fors++
		if w.fors > 1 {
			w.sh.nestedFor = true
		}
	case intTemplate:
		w.template(n.TemplateExpr)
	case *hclsyntax.TemplateExpr:
		w.template(n)
	}
	return nil
}

// template notes t when it joins two or more references.
func (w *shapeWalker) template(t *hclsyntax.TemplateExpr) {
	refs := 0
	for _, p := range t.Parts {
		if _, ok := p.(*hclsyntax.ScopeTraversalExpr); ok {
			refs++
		}
	}
	if refs >= 2 {
		w.sh.templates = append(w.sh.templates, t)
	}
}

func (w *shapeWalker) Exit(n hclsyntax.Node) hcl.Diagnostics {
	if _, ok := n.(*hclsyntax.ForExpr); ok {
		w.fors--
	}
	return nil
}

// checkFors refuses for expressions nested so that together they would
// iterate more than limits.Elements times ([for i in range(1000) : [for j
// in range(1000) : ...]]): each iteration builds a value before any check
// can see it. A collection is measured when it can be evaluated on its own
// (it does not use an outer for's variables); otherwise it counts as one.
func (c *Config) checkFors(expr hcl.Expression, ctx *hcl.EvalContext) *hcl.Diagnostic {
	if !c.shapeOf(expr).nestedFor {
		return nil
	}
	w := &forWalker{ctx: ctx, iterations: []float64{1}}
	hclsyntax.Walk(expr.(hclsyntax.Node), w)
	return w.found
}

type forWalker struct {
	ctx        *hcl.EvalContext
	iterations []float64 // of each enclosing for expression, outermost first
	found      *hcl.Diagnostic
}

func (w *forWalker) Enter(n hclsyntax.Node) hcl.Diagnostics {
	f, ok := n.(*hclsyntax.ForExpr)
	if !ok {
		return nil
	}
	outer := w.iterations[len(w.iterations)-1]
	k := 1.0
	if v, diags := f.CollExpr.Value(w.ctx); !diags.HasErrors() {
		k = math.Max(count(v), 1)
	}
	total := outer * k
	w.iterations = append(w.iterations, total)
	if total > limits.Elements && w.found == nil {
		w.found = &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Value too large",
			Detail: fmt.Sprintf("These nested for expressions would iterate %s times, more than the %d limit on elements: each iteration builds a value.",
				bigCount(total), limits.Elements),
			Subject: f.SrcRange.Ptr(),
		}
	}
	return nil
}

func (w *forWalker) Exit(n hclsyntax.Node) hcl.Diagnostics {
	if _, ok := n.(*hclsyntax.ForExpr); ok {
		w.iterations = w.iterations[:len(w.iterations)-1]
	}
	return nil
}

// budgeted returns a child of ctx whose functions (those expr calls)
// share one budget for this evaluation (limits.EvalElements,
// limits.EvalBytes): past it, every call fails.
func (c *Config) budgeted(expr hcl.Expression, ctx *hcl.EvalContext) *hcl.EvalContext {
	calls := c.shapeOf(expr).calls
	if ctx == nil || len(calls) == 0 {
		return ctx
	}
	b := &budget{}
	child := ctx.NewChild()
	child.Functions = make(map[string]function.Function, len(calls))
	for _, name := range calls {
		for at := ctx; at != nil; at = at.Parent() {
			if f, ok := at.Functions[name]; ok {
				child.Functions[name] = b.wrap(f, subset[name], name == "setproduct")
				break
			}
		}
	}
	return child
}

type budget struct{ elements, bytes int64 }

func (b *budget) wrap(f function.Function, subset, product bool) function.Function {
	return function.New(&function.Spec{
		Params:   f.Params(),
		VarParam: f.VarParam(),
		Type:     knownArgsType(f),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			if b.elements > limits.EvalElements || b.bytes > limits.EvalBytes {
				return cty.NilVal, b.spent()
			}
			v, err := f.Call(args)
			if err != nil {
				return v, err
			}
			if product {
				// setproduct: its size follows from its arguments.
				// Measuring the result would walk a set of tuples, which
				// go-cty sorts by hashing both tuples of every
				// comparison (half a second for 10,000 on a loaded
				// 2-core machine).
				if s, ok := productSize(args); ok {
					b.elements += s.elements + 1
					b.bytes += s.bytes
					if b.elements > limits.EvalElements || b.bytes > limits.EvalBytes {
						return cty.NilVal, b.spent()
					}
					return v, nil
				}
			}
			// What the call built: its result, or for a function that
			// only reshapes its arguments, their elements.
			weighed := []cty.Value{v}
			if subset {
				weighed = args
			}
			for _, w := range weighed {
				s, err := measure(w)
				if err != nil {
					return cty.NilVal, err
				}
				b.elements += s.elements + 1
				if !subset {
					b.bytes += s.bytes
				}
			}
			if b.elements > limits.EvalElements || b.bytes > limits.EvalBytes {
				return cty.NilVal, b.spent()
			}
			return v, nil
		},
	})
}

// productSize is what measure would find in the setproduct of args,
// computed from the arguments: one tuple per combination, and each
// element of argument i in n/len(i) of them. ok is false when an argument
// is not a known collection (the caller then measures the result).
func productSize(args []cty.Value) (out size, ok bool) {
	n := int64(1)
	parts := make([]size, len(args))
	lens := make([]int64, len(args))
	for i, a := range args {
		a, known := known(a)
		if !known || !(a.Type().IsCollectionType() || a.Type().IsTupleType()) {
			return size{}, false
		}
		s, err := measure(a)
		if err != nil {
			return size{}, false
		}
		parts[i], lens[i] = s, int64(a.LengthInt())
		if lens[i] == 0 {
			return size{}, true
		}
		n *= lens[i]
		if n > limits.Elements {
			return size{}, false // refused already by estimateSetProduct
		}
	}
	out.elements = n
	for i, s := range parts {
		out.elements += s.elements * (n / lens[i])
		out.bytes += s.bytes * (n / lens[i])
		out.depth = max(out.depth, s.depth)
	}
	return out, true
}

func (b *budget) spent() error {
	return fmt.Errorf("this expression has built more than %d elements or %s through function calls, the limits for one expression",
		limits.EvalElements, limits.Size(limits.EvalBytes))
}
