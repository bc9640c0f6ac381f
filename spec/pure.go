package spec

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// impure names the functions whose value may differ between two calls
// with the same arguments.
var impure = map[string]bool{"timestamp": true, "uuid": true}

// Pure reports whether expr calls no impure function (timestamp, uuid), so
// that evaluating it twice in the same context gives the same value. Only
// native syntax is inspected; anything else is not pure.
func Pure(expr hcl.Expression) bool {
	node, ok := expr.(hclsyntax.Expression)
	if !ok {
		return false
	}
	pure := true
	hclsyntax.VisitAll(node, func(n hclsyntax.Node) hcl.Diagnostics {
		if fc, ok := n.(*hclsyntax.FunctionCallExpr); ok && impure[fc.Name] {
			pure = false
		}
		return nil
	})
	return pure
}

// Pure is the package's Pure for an expression of c, found once per
// expression (from the functions it calls, which Eval notes anyway): the
// planner asks it of an invocation's payload for every for_each key.
func (c *Config) Pure(expr hcl.Expression) bool {
	sh := c.shapeOf(expr)
	if sh == noShape {
		return false
	}
	for _, name := range sh.calls {
		if impure[name] {
			return false
		}
	}
	return true
}
