package spec_test

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/spec"
)

func evalLimited(t *testing.T, src string, vars map[string]cty.Value) (cty.Value, hcl.Diagnostics) {
	t.Helper()
	expr, diags := hclsyntax.ParseExpression([]byte(src), "t.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	ctx := &hcl.EvalContext{Variables: vars, Functions: spec.Functions(t.TempDir(), func(string) string { return "" })}
	return (&spec.Config{}).Eval(expr, ctx, "the value")
}

// Limits refuse what would explode, and leave what does not as it was.
func TestFunctionLimits(t *testing.T) {
	var elems []cty.Value
	for i := range 2000 {
		elems = append(elems, cty.NumberIntVal(int64(i)))
	}
	l2000 := cty.ListVal(elems)
	for _, c := range []struct {
		src  string
		want string // "" succeeds; else a fragment of the error
	}{
		{`length(range(1000))`, ""},
		{`length(setproduct(range(10), range(10), range(10)))`, ""},
		{`length(setproduct(range(1000), range(1000), range(1000)))`, "4000000000 elements"},
		{`range(0, 1000000000, 2)`, "500000000 elements"},
		{`format("%09999999999d", 1)`, "larger than the 16 MiB limit"},
		{`formatlist("%099999999d", [1, 2])`, "larger than the 16 MiB limit"},
		{`length(join(",", ["a", "b"]))`, ""},
		{`replace("aaaa", "a", "bb")`, ""},
		{`indent(2, "a\nb")`, ""},
		{`base64encode("abc")`, ""},
		{`jsonencode({a = [1, 2]})`, ""},
		{`strrev("abc")`, ""},
		{`[for i in range(2) : "${format("%010000000d", i)}${format("%010000000d", i)}"]`, "larger than the 16 MiB limit"},
		{`[for i in range(1000) : [for j in range(1000) : [for k in range(1000) : k]]]`, "would iterate 1000000 times"},
		{`"%{for i in range(1000)}%{for j in range(1000)}x%{endfor}%{endfor}"`, "would iterate 1000000 times"},
		{`length([for i in range(100) : [for j in range(100) : i * j]])`, ""},
		{`length([for i in l2000 : range(1000)])`, "has built more than 500000 elements or 64 MiB through function calls"},
		{`length([for i in l2000 : range(100)])`, ""},
		{`length([for i in range(200) : format("%01000000d", i)])`, "has built more than 500000 elements or 64 MiB"},
		{`length([for i in range(20) : format("%01000000d", i)])`, ""},
		{`length(flatten([for l in [range(500), range(500)] : [for x in l : x]]))`, ""},
	} {
		v, diags := evalLimited(t, c.src, map[string]cty.Value{"l2000": l2000})
		switch {
		case c.want == "" && diags.HasErrors():
			t.Errorf("%s: %s", c.src, diags.Error())
		case c.want != "" && !strings.Contains(diags.Error(), c.want):
			t.Errorf("%s: got %#v, %v; want an error with %q", c.src, v, diags, c.want)
		}
	}
}

// The wrapped functions keep go-cty's handling of unknown and marked
// values: validate still types results it cannot compute, and a sensitive
// argument gives a sensitive result.
func TestFunctionLimitsKeepUnknownsAndMarks(t *testing.T) {
	vars := map[string]cty.Value{
		"u": cty.UnknownVal(cty.List(cty.String)),
		"s": cty.StringVal("secret").Mark(spec.Sensitive),
	}
	v, diags := evalLimited(t, `upper(u[0])`, vars)
	if diags.HasErrors() || v.IsKnown() || v.Type() != cty.String {
		t.Errorf("upper(unknown) = %#v, %v", v, diags)
	}
	v, diags = evalLimited(t, `length(u)`, vars)
	if diags.HasErrors() || v.IsKnown() || v.Type() != cty.Number {
		t.Errorf("length(unknown) = %#v, %v", v, diags)
	}
	v, diags = evalLimited(t, `upper(s)`, vars)
	if diags.HasErrors() || !v.HasMark(spec.Sensitive) {
		t.Errorf("upper(sensitive) = %#v, %v", v, diags)
	}
	v, diags = evalLimited(t, `upper(1, 2)`, vars)
	if !diags.HasErrors() {
		t.Errorf("a wrong call is accepted: %#v", v)
	}
}
