package spec

import (
	"bytes"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// intTemplate is a string template ("k-${n}", "${p[0]}-${p[1]}") that
// writes an integer part with strconv instead of go-cty's conversion.
// go-cty turns every number into a string through big.Float's shortest
// decimal, about a microsecond and a half each, and templates over numbers
// are how for_each keys are built: the keys of a for_each of 10,000 spent a
// fifth of validate and plan there (bench/, BenchmarkKeys10k/setproduct).
//
// Value is hclsyntax.TemplateExpr.Value (HCL v2.25.0) step for step, with
// the same diagnostics, marks, unknowns and refinements; only the
// conversion of a part that is a number holding an exact integer of at
// less than 2^53 in magnitude, at a precision of at least 53 bits, differs
// in how it is done, not in what it gives: the spacing of such numbers is
// at most 1, so the shortest decimal that reads back as the number is the
// integer's own digits. TestIntTemplateMatchesHCL compares the
// two on every kind of part. Everything else of the expression (its
// variables, range, walk) is the embedded template's.
type intTemplate struct {
	*hclsyntax.TemplateExpr
}

func (t intTemplate) Value(ctx *hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
	buf := &bytes.Buffer{}
	var diags hcl.Diagnostics
	isKnown := true
	var marks cty.ValueMarks // made when a part has marks
	for _, part := range t.Parts {
		partVal, partDiags := part.Value(ctx)
		diags = append(diags, partDiags...)
		if partVal.IsNull() {
			diags = append(diags, &hcl.Diagnostic{
				Severity:    hcl.DiagError,
				Summary:     "Invalid template interpolation value",
				Detail:      "The expression result is null. Cannot include a null value in a string template.",
				Subject:     part.Range().Ptr(),
				Context:     &t.SrcRange,
				Expression:  part,
				EvalContext: ctx,
			})
			continue
		}
		unmarked, partMarks := partVal.Unmark()
		for k, v := range partMarks {
			if marks == nil {
				marks = make(cty.ValueMarks)
			}
			marks[k] = v
		}
		if !partVal.IsKnown() {
			isKnown = false
			continue
		}
		s, ok := numberStringOf(unmarked)
		if !ok {
			strVal, err := convert.Convert(unmarked, cty.String)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity:    hcl.DiagError,
					Summary:     "Invalid template interpolation value",
					Detail:      fmt.Sprintf("Cannot include the given value in a string template: %s.", err.Error()),
					Subject:     part.Range().Ptr(),
					Context:     &t.SrcRange,
					Expression:  part,
					EvalContext: ctx,
				})
				continue
			}
			s = strVal.AsString()
		}
		if isKnown && !diags.HasErrors() {
			buf.WriteString(s)
		}
	}
	var ret cty.Value
	if !isKnown {
		ret = cty.UnknownVal(cty.String)
		if !diags.HasErrors() {
			if prefix := buf.String(); prefix != "" {
				n := min(len(prefix), 128) // as HCL: StringPrefix drops a cut grapheme
				ret = ret.Refine().StringPrefix(prefix[:n]).NewValue()
			}
		}
		ret = ret.RefineNotNull()
	} else {
		// HCL refines this one too, which changes nothing of a known
		// string but costs an allocation.
		ret = cty.StringVal(buf.String())
	}
	return ret.WithMarks(marks), diags
}

// fastTemplates replaces, in body, each string template that interpolates
// something (not a plain string) by an intTemplate, wherever one can stand
// in an expression tree of HCL native syntax: an attribute's value, a for
// expression's key and value, an object's value, a tuple's element, a
// function's argument, a conditional's results and parentheses. Done once
// per parsed file, before anything reads its expressions.
func fastTemplates(body *hclsyntax.Body) {
	_ = hclsyntax.VisitAll(body, func(n hclsyntax.Node) hcl.Diagnostics {
		switch n := n.(type) {
		case *hclsyntax.Attribute:
			n.Expr = fastTemplate(n.Expr)
		case *hclsyntax.ForExpr:
			n.KeyExpr = fastTemplate(n.KeyExpr)
			n.ValExpr = fastTemplate(n.ValExpr)
		case *hclsyntax.ObjectConsExpr:
			for i := range n.Items {
				n.Items[i].ValueExpr = fastTemplate(n.Items[i].ValueExpr)
			}
		case *hclsyntax.TupleConsExpr:
			for i := range n.Exprs {
				n.Exprs[i] = fastTemplate(n.Exprs[i])
			}
		case *hclsyntax.FunctionCallExpr:
			for i := range n.Args {
				n.Args[i] = fastTemplate(n.Args[i])
			}
		case *hclsyntax.ConditionalExpr:
			n.TrueResult = fastTemplate(n.TrueResult)
			n.FalseResult = fastTemplate(n.FalseResult)
		case *hclsyntax.ParenthesesExpr:
			n.Expression = fastTemplate(n.Expression)
		}
		return nil
	})
}

// fastTemplate is e as an intTemplate when it is a template with a part
// that is not a literal; e otherwise.
func fastTemplate(e hclsyntax.Expression) hclsyntax.Expression {
	t, ok := e.(*hclsyntax.TemplateExpr)
	if !ok {
		return e
	}
	for _, p := range t.Parts {
		if _, lit := p.(*hclsyntax.LiteralValueExpr); !lit {
			return intTemplate{t}
		}
	}
	return e
}
