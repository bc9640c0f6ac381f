package planner

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/spec"
)

// ResultType is the type of the result object that every provider fills
// (docs/language.md, "The result object"; executor.resultValue builds
// it). Before the run, self and invocation.NAME are unknown values of this
// type, so a reference to an attribute it does not have is an error when
// the suite is validated, not after the invocations before it have run.
// json is dynamic: its shape is the body's.
var ResultType = cty.Object(map[string]cty.Type{
	"status":               cty.Number,
	"error":                cty.Bool,
	"error_type":           cty.String,
	"error_code":           cty.String,
	"error_message":        cty.String,
	"body":                 cty.String,
	"json":                 cty.DynamicPseudoType,
	"headers":              cty.Map(cty.String),
	"log":                  cty.String,
	"request_id":           cty.String,
	"instance_id":          cty.String,
	"version":              cty.String,
	"duration_ms":          cty.Number,
	"function_duration_ms": cty.Number,
	"billed_duration_ms":   cty.Number,
	"memory_mb":            cty.Number,
	"attempts":             cty.Number,
	"async_id":             cty.String,
})

// unknownResult is a result before the run.
var unknownResult = cty.UnknownVal(ResultType)

const unsupportedAttr = "Unsupported attribute"

// suggestAttributes completes HCL's "Unsupported attribute" diagnostics
// about the traversals trs with a did-you-mean, found among the
// attributes of the object the traversal reached (the result object, a
// local's object ...).
func suggestAttributes(diags hcl.Diagnostics, trs []hcl.Traversal, ctx *hcl.EvalContext) {
	for _, d := range diags {
		if d.Summary != unsupportedAttr || d.Subject == nil {
			continue
		}
		var name string
		if _, err := fmt.Sscanf(d.Detail, "This object does not have an attribute named %q.", &name); err != nil {
			continue
		}
		for _, tr := range trs {
			for i, step := range tr {
				a, ok := step.(hcl.TraverseAttr)
				if !ok || i == 0 || a.Name != name || a.SrcRange != *d.Subject {
					continue
				}
				obj, moreDiags := tr[:i].TraverseAbs(ctx)
				if moreDiags.HasErrors() {
					continue
				}
				obj, _ = obj.UnmarkDeep()
				if !obj.Type().IsObjectType() {
					continue
				}
				names := make([]string, 0, len(obj.Type().AttributeTypes()))
				for n := range obj.Type().AttributeTypes() {
					names = append(names, n)
				}
				sort.Strings(names)
				prefix := traversalText(tr[:i])
				if s := spec.Suggest(name, names); s != "" {
					d.Detail += fmt.Sprintf(" Did you mean %s.%s?", prefix, s)
				} else if obj.Type().Equals(ResultType) {
					d.Detail += fmt.Sprintf(" %s is a result, whose attributes are %s.", prefix, strings.Join(names, ", "))
				}
			}
		}
	}
}

// traversalText renders a traversal as written: self, invocation.a["k"].
func traversalText(tr hcl.Traversal) string {
	var sb strings.Builder
	for _, t := range tr {
		switch t := t.(type) {
		case hcl.TraverseRoot:
			sb.WriteString(t.Name)
		case hcl.TraverseAttr:
			sb.WriteString("." + t.Name)
		case hcl.TraverseIndex:
			switch {
			case t.Key.Type() == cty.String && t.Key.IsKnown() && !t.Key.IsNull():
				fmt.Fprintf(&sb, "[%q]", t.Key.AsString())
			case t.Key.Type() == cty.Number && t.Key.IsKnown() && !t.Key.IsNull():
				sb.WriteString("[" + t.Key.AsBigFloat().Text('f', -1) + "]")
			default:
				sb.WriteString("[...]")
			}
		case hcl.TraverseSplat:
			sb.WriteString("[*]")
		}
	}
	return sb.String()
}
