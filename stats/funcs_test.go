package stats

import (
	"math"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

func evalExpr(t *testing.T, src string, vars map[string]cty.Value) (cty.Value, hcl.Diagnostics) {
	t.Helper()
	expr, diags := hclsyntax.ParseExpression([]byte(src), "test.hcl", hcl.Pos{Line: 1, Column: 1})
	if diags.HasErrors() {
		t.Fatalf("parsing %s: %s", src, diags.Error())
	}
	ctx := &hcl.EvalContext{
		Variables: vars,
		Functions: map[string]function.Function{
			"percentile":     PercentileFunc,
			"mann_whitney_p": MannWhitneyPFunc,
		},
	}
	return expr.Value(ctx)
}

func TestFuncsThroughHCL(t *testing.T) {
	vars := map[string]cty.Value{
		"canary": cty.ListVal([]cty.Value{cty.NumberIntVal(6), cty.NumberIntVal(7), cty.NumberIntVal(8), cty.NumberIntVal(9), cty.NumberIntVal(10)}),
		"stable": cty.TupleVal([]cty.Value{cty.NumberIntVal(1), cty.NumberIntVal(2), cty.NumberIntVal(3), cty.NumberIntVal(4), cty.NumberIntVal(5)}),
		"secret": cty.ListVal([]cty.Value{cty.NumberIntVal(1), cty.NumberIntVal(3).Mark("sensitive")}),
		"partly": cty.ListVal([]cty.Value{cty.NumberIntVal(1), cty.UnknownVal(cty.Number)}),
		"nobody": cty.UnknownVal(cty.List(cty.Number)),
	}
	tests := []struct {
		src  string
		want cty.Value
	}{
		{"percentile([1,2,3,4], 50)", cty.NumberFloatVal(2.5)},
		{"percentile([4,3,2,1], 90)", cty.NumberFloatVal(3.7)},
		{"percentile([\"1\", 2], 100)", cty.NumberFloatVal(2)}, // strings convert
		{"percentile(canary, 0)", cty.NumberFloatVal(6)},
		{"percentile(stable, 50)", cty.NumberFloatVal(3)},
		{"percentile(partly, 50)", cty.UnknownVal(cty.Number)},
		{"percentile(nobody, 50)", cty.UnknownVal(cty.Number)},
		{"mann_whitney_p([6,7,8,9,10], [1,2,3,4,5])", cty.NumberFloatVal(1.0 / 252)},
		{"mann_whitney_p([1,2,3,4,5], [6,7,8,9,10])", cty.NumberFloatVal(1)},
		{"mann_whitney_p(canary, stable) < 0.01 && percentile(canary, 50) > 1.1 * percentile(stable, 50)", cty.True},
		{"mann_whitney_p(canary, partly)", cty.UnknownVal(cty.Number)},
		{"percentile([-1e400, 1e400], 0)", cty.NumberFloatVal(math.Inf(-1))}, // beyond float64: ±Inf
		{"mann_whitney_p([1e400], [1, 2])", cty.NumberFloatVal(1.0 / 3)},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			got, diags := evalExpr(t, tt.src, vars)
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			if !got.RawEquals(tt.want) && !(got.IsKnown() && tt.want.IsKnown() && approxEqual(got, tt.want)) {
				t.Errorf("= %#v, want %#v", got, tt.want)
			}
		})
	}

	got, diags := evalExpr(t, "percentile(secret, 100)", vars)
	if diags.HasErrors() || !got.HasMark("sensitive") {
		t.Errorf("percentile of a list with a sensitive element = %#v, %s; want a sensitive 3", got, diags.Error())
	}
	if v, _ := got.Unmark(); !v.RawEquals(cty.NumberFloatVal(3)) {
		t.Errorf("percentile(secret, 100) = %#v, want 3", v)
	}
}

func TestFuncErrors(t *testing.T) {
	for _, tt := range []struct{ src, want string }{
		{"percentile([], 50)", "the list is empty"},
		{"percentile([1, 2], 101)", "between 0 and 100"},
		{"percentile([1, 2], -1)", "between 0 and 100"},
		{"percentile([1, null], 50)", "element 1 is null"},
		{"percentile(null, 50)", "must not be null"},
		{"percentile([1], null)", "must not be null"},
		{"percentile([\"x\"], 50)", "number is required"},
		{"percentile([-1e400, 1e400], 50)", "undefined"},
		{"mann_whitney_p([], [1])", "the list is empty"},
		{"mann_whitney_p([1], [])", "the list is empty"},
		{"mann_whitney_p([1], [2, null])", "element 1 is null"},
		{"mann_whitney_p([1], 2)", "list of number required"},
	} {
		t.Run(tt.src, func(t *testing.T) {
			v, diags := evalExpr(t, tt.src, nil)
			if !diags.HasErrors() {
				t.Fatalf("= %#v, want an error", v)
			}
			if !strings.Contains(diags.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", diags.Error(), tt.want)
			}
		})
	}
}
