package executor

import (
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Only expressions that read no variable and call no impure function are
// evaluated once per run.
func TestIsConstant(t *testing.T) {
	for _, c := range []struct {
		src  string
		want bool
	}{
		{`{ status = "ok" }`, true},
		{`upper("a")`, true},
		{`[1, 2, 3]`, true},
		{`self.status`, false},
		{`{ id = each.key }`, false},
		{`uuid()`, false},
		{`{ at = timestamp() }`, false},
		{`length([for i in range(3) : uuid()])`, false},
	} {
		expr, diags := hclsyntax.ParseExpression([]byte(c.src), "x.hcl", hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		if got := isConstant(expr); got != c.want {
			t.Errorf("isConstant(%s) = %v, want %v", c.src, got, c.want)
		}
	}
}
