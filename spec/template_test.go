package spec

import (
	"fmt"
	"math/big"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// TestIntTemplateMatchesHCL: intTemplate gives what HCL's own template
// gives (value, marks, refinements, diagnostics) for every kind of part.
func TestIntTemplateMatchesHCL(t *testing.T) {
	prec := func(p uint, i int64) cty.Value { return cty.NumberVal(new(big.Float).SetPrec(p).SetInt64(i)) }
	parts := map[string]cty.Value{
		"small int":         cty.NumberIntVal(42),
		"negative":          cty.NumberIntVal(-7),
		"zero":              cty.Zero,
		"minus zero":        cty.NumberVal(new(big.Float).SetPrec(512).Neg(new(big.Float))),
		"2^53-1":            cty.NumberIntVal(1<<53 - 1),
		"2^53":              cty.NumberIntVal(1 << 53),
		"2^60":              cty.NumberIntVal(1 << 60),
		"-2^53+1":           cty.NumberIntVal(-(1<<53 - 1)),
		"parsed 512 bits":   cty.MustParseNumberVal("123456789"),
		"huge":              cty.MustParseNumberVal("123456789012345678901234567890"),
		"float 2.5":         cty.NumberFloatVal(2.5),
		"float 3":           cty.NumberFloatVal(3),
		"tenth":             cty.MustParseNumberVal("0.1"),
		"1e30":              cty.MustParseNumberVal("1e30"),
		"10 bits, 1024":     prec(10, 1024),
		"10 bits, 1023":     prec(10, 1023),
		"52 bits, 2^52+1":   prec(52, 1<<52+1),
		"53 bits, 2^53-1":   prec(53, 1<<53-1),
		"string":            cty.StringVal("x"),
		"unnormalized":      cty.StringVal("e\u0301"),
		"empty":             cty.StringVal(""),
		"bool":              cty.True,
		"null number":       cty.NullVal(cty.Number),
		"null":              cty.NullVal(cty.DynamicPseudoType),
		"unknown number":    cty.UnknownVal(cty.Number),
		"unknown string":    cty.UnknownVal(cty.String),
		"dynamic":           cty.DynamicVal,
		"marked int":        cty.NumberIntVal(5).Mark(Sensitive),
		"marked string":     cty.StringVal("s").Mark("other"),
		"list":              cty.ListVal([]cty.Value{cty.StringVal("a")}),
		"object":            cty.EmptyObjectVal,
		"infinity":          cty.PositiveInfinity,
		"long prefix":       cty.StringVal(fmt.Sprintf("%0200d", 1)),
		"unknown not null":  cty.UnknownVal(cty.String).RefineNotNull(),
		"marked unknown":    cty.UnknownVal(cty.Number).Mark(Sensitive),
		"number in a tuple": cty.TupleVal([]cty.Value{cty.Zero}),
	}
	for _, src := range []string{`"k-${a}"`, `"${a}-${b}"`, `"${a}${b}x"`, `"p${a}"`} {
		expr, diags := hclsyntax.ParseExpression([]byte(src), "t.hcl", hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		tmpl := expr.(*hclsyntax.TemplateExpr)
		fast := fastTemplate(tmpl)
		if _, ok := fast.(intTemplate); !ok {
			t.Fatalf("%s was not made an intTemplate", src)
		}
		for an, a := range parts {
			for _, bn := range []string{"small int", "string", "unknown number", "null", "marked int", "minus zero", "list"} {
				ctx := &hcl.EvalContext{Variables: map[string]cty.Value{"a": a, "b": parts[bn]}}
				want, wantDiags := tmpl.Value(ctx)
				got, gotDiags := fast.Value(ctx)
				if !got.RawEquals(want) {
					t.Errorf("%s with a = %s, b = %s: %#v, HCL gives %#v", src, an, bn, got, want)
				}
				if fmt.Sprint(diagTexts(gotDiags)) != fmt.Sprint(diagTexts(wantDiags)) {
					t.Errorf("%s with a = %s, b = %s: diagnostics %v, HCL gives %v", src, an, bn, diagTexts(gotDiags), diagTexts(wantDiags))
				}
			}
		}
	}
}

func diagTexts(diags hcl.Diagnostics) []string {
	var out []string
	for _, d := range diags {
		out = append(out, fmt.Sprintf("%d %s: %s @%v ctx %v", d.Severity, d.Summary, d.Detail, d.Subject, d.Context))
	}
	return out
}
