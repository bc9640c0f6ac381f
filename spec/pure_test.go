package spec

import (
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// TestConfigPureMatchesPure: the remembered answer is Pure's.
func TestConfigPureMatchesPure(t *testing.T) {
	c := &Config{}
	for _, src := range []string{
		`{ i = each.key }`, `"k-${each.key}"`, `timestamp()`, `{ t = [uuid()] }`,
		`upper(var.x)`, `[for k in var.keys : "${k}-${timestamp()}"]`, `1`, `base64encode(jsonencode({a = uuid()}))`,
	} {
		expr, diags := hclsyntax.ParseExpression([]byte(src), "t.hcl", hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		for range 2 { // the second answer is remembered
			if got, want := c.Pure(expr), Pure(expr); got != want {
				t.Errorf("%s: Config.Pure %v, Pure %v", src, got, want)
			}
		}
	}
}
