package executor

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/fnprobe/fnprobe/planner"
	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/spec"
)

func jsonValue(t *testing.T, src string) cty.Value {
	t.Helper()
	ty, err := ctyjson.ImpliedType([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	v, err := ctyjson.Unmarshal([]byte(src), ty)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestJSONDiffsNamesEveryPath(t *testing.T) {
	cases := []struct {
		want, got string
		diffs     []string
	}{
		{
			`{"status":"ok","items":[{"sku":"A","qty":1},{"sku":"B","qty":3}]}`,
			`{"status":"failed","items":[{"sku":"A","qty":1},{"sku":"B","qty":2}],"extra":true}`,
			[]string{`json.items[1].qty: expected 3, got 2`, `json.status: expected "ok", got "failed"`},
		},
		{`{"a":1,"b":{"c":2,"d":"x"},"e":[1,2]}`, `{"b":{"c":3,"d":"x"},"e":[1]}`, []string{
			`json.a: missing from the body`, `json.b.c: expected 2, got 3`, `json.e: expected 2 elements, got 1`,
		}},
		{`{"a":{"b":1}}`, `{"a":[1]}`, []string{`json.a: expected an object, got [1]`}},
		{`{"x y":1,"z":null}`, `{"x y":2,"z":0}`, []string{`json["x y"]: expected 1, got 2`, `json.z: expected null, got 0`}},
		{`{"a":1}`, `{"a":1,"b":2}`, nil},
	}
	for _, c := range cases {
		diffs, total := jsonDiffs(jsonValue(t, c.want), jsonValue(t, c.got))
		var got []string
		for _, d := range diffs {
			got = append(got, d.String())
		}
		if strings.Join(got, "\n") != strings.Join(c.diffs, "\n") || total != len(c.diffs) {
			t.Errorf("jsonDiffs(%s, %s) = %q (total %d), want %q", c.want, c.got, got, total, c.diffs)
		}
	}
}

func TestJSONDiffsCapped(t *testing.T) {
	var want, got []string
	for i := range 50 {
		want = append(want, fmt.Sprintf(`"k%02d":1`, i))
		got = append(got, fmt.Sprintf(`"k%02d":2`, i))
	}
	diffs, total := jsonDiffs(jsonValue(t, "{"+strings.Join(want, ",")+"}"), jsonValue(t, "{"+strings.Join(got, ",")+"}"))
	if total != 50 || len(diffs) != maxJSONDiffs || diffs[0].path != "json.k00" {
		t.Errorf("total %d, %d listed, first %v", total, len(diffs), diffs[0])
	}
}

func TestMatchesStopsAtFirstDifference(t *testing.T) {
	calls := 0
	subset("", jsonValue(t, `[1,2,3]`), jsonValue(t, `[4,5,6]`), func(string, string) bool { calls++; return false })
	if calls != 1 {
		t.Errorf("report called %d times after asking to stop", calls)
	}
	if matches(jsonValue(t, `{"a":[1]}`), jsonValue(t, `{"a":[2]}`)) || !matches(jsonValue(t, `{"a":[1]}`), jsonValue(t, `{"a":[1],"b":0}`)) {
		t.Error("matches is wrong")
	}
}

// TestConstantStatusMatchesGeneralCheck: expect.status with a constant
// (its statuses worked out once per run) passes and fails as the same value
// given through a variable (worked out at every check), with the same
// message.
func TestConstantStatusMatchesGeneralCheck(t *testing.T) {
	for _, want := range []string{`200`, `[200, 201]`, `200.5`, `[200.5, 204]`, `["200"]`, `["x"]`, `[]`, `1e30`, `-0`, `{ a = 200 }`, `"200"`, `null`, `toset([404, 200])`} {
		for _, status := range []int{200, 201, 204, 404, 0} {
			res := &providers.Result{Status: status, Body: []byte(`{"e":1}`)}
			constant, diags := hclsyntax.ParseExpression([]byte(want), "c.hcl", hcl.InitialPos)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			v, diags := constant.Value(&hcl.EvalContext{Functions: map[string]function.Function{"toset": stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType))}})
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			variable, _ := hclsyntax.ParseExpression([]byte(`var.s`), "v.hcl", hcl.InitialPos)
			ctx := &hcl.EvalContext{
				Variables: map[string]cty.Value{"var": cty.ObjectVal(map[string]cty.Value{"s": v})},
				Functions: map[string]function.Function{"toset": stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType))},
			}
			var consts constants
			got := expectCheck(spec.ExpectCheck{Name: "status", Expr: constant}, &planner.Instance{}, res, ctx, 0, &consts)
			ref := expectCheck(spec.ExpectCheck{Name: "status", Expr: variable}, &planner.Instance{}, res, ctx, 0, &consts)
			if (got == nil) != (ref == nil) || got != nil && (got.Summary != ref.Summary || got.Detail != ref.Detail) {
				t.Errorf("status = %s, got %d: constant gives %v, variable gives %v", want, status, got, ref)
			}
		}
	}
}
