package spec

import (
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// SecretRefs maps each value of a sensitive variable to the environment
// variable a command can read it from, so that a printed command refers
// to the secret instead of showing it (fnprobe run's repro lines). A
// string or number variable maps to FNPROBE_VAR_<name>, which sets it. A
// string inside a collection or object maps to a variable named after its
// path, FNPROBE_VAR_<name>_<key>_<index>…, which nothing sets: the user
// exports it with that value. vals are the variables' values, as
// VariableValues returns them.
func (c *Config) SecretRefs(vals map[string]cty.Value) map[string]string {
	refs := map[string]string{}
	for name, decl := range c.Variables {
		v, ok := vals[name]
		if !ok || decl == nil || !decl.Sensitive || v == cty.NilVal {
			continue
		}
		v, _ = v.UnmarkDeep()
		base := EnvVarPrefix + name
		_ = cty.Walk(v, func(path cty.Path, v cty.Value) (bool, error) {
			if !v.IsKnown() || v.IsNull() {
				return true, nil
			}
			var s string
			switch v.Type() {
			case cty.String:
				s = v.AsString()
			case cty.Number:
				s = v.AsBigFloat().Text('f', -1)
			default:
				return true, nil
			}
			ref := base + pathSuffix(path)
			if old, ok := refs[s]; !ok || ref < old { // deterministic when two share a value
				refs[s] = ref
			}
			return true, nil
		})
	}
	return refs
}

// pathSuffix renders a value's path in a variable as "_key_0", each step
// reduced to letters, digits and '_'.
func pathSuffix(path cty.Path) string {
	var b strings.Builder
	for _, step := range path {
		var k string
		switch s := step.(type) {
		case cty.GetAttrStep:
			k = s.Name
		case cty.IndexStep:
			switch {
			case s.Key.Type() == cty.String:
				k = s.Key.AsString()
			case s.Key.Type() == cty.Number:
				k = s.Key.AsBigFloat().Text('f', -1)
			}
		}
		b.WriteByte('_')
		for _, r := range k {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
				b.WriteRune(r)
			} else {
				b.WriteByte('_')
			}
		}
	}
	return b.String()
}
