package planner

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/spec"
	"github.com/fnprobe/fnprobe/stats"
)

// ResultType is the type of the result object that every provider fills
// (docs/language.md, "The result object"; executor.resultValue builds
// it). Before the run, self and invocation.NAME are unknown values of this
// type, so a reference to an attribute it does not have is an error when
// the suite is validated, not after the invocations before it have run.
// json is dynamic: its shape is the body's. stats describes the sample
// (stats.Type; the one call without a sample block).
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
	"stats":                stats.Type(),
})

// unknownResult is a result before the run.
var unknownResult = cty.UnknownVal(ResultType)

const unsupportedAttr = "Unsupported attribute"

// suggestAttributes completes HCL's "Unsupported attribute" and "Invalid
// index" diagnostics about the traversals trs with a did-you-mean, found
// among the attributes of the object the traversal reached (the result
// object, a local's object ...).
func suggestAttributes(diags hcl.Diagnostics, trs []hcl.Traversal, ctx *hcl.EvalContext) {
	for _, d := range diags {
		if (d.Summary != unsupportedAttr && d.Summary != "Invalid index") || d.Subject == nil {
			continue
		}
		for _, tr := range trs {
			for i, step := range tr {
				if i == 0 {
					continue
				}
				var name string
				index := false
				switch st := step.(type) {
				case hcl.TraverseAttr:
					if st.SrcRange != *d.Subject || d.Summary != unsupportedAttr {
						continue
					}
					name = st.Name
				case hcl.TraverseIndex:
					if st.SrcRange != *d.Subject || st.Key.Type() != cty.String || !st.Key.IsKnown() || st.Key.IsNull() {
						continue
					}
					name, index = st.Key.AsString(), true
				default:
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
				// invocation.NAME["KEY"] on a block without for_each.
				oneResult := index && i == 2 && tr.RootName() == "invocation"
				d.Detail += attributeHint(spec.TraversalString(tr[:i]), name, obj.Type(), oneResult)
			}
		}
	}
}

// attributeHint is what follows an error about the attribute name of an
// object of type ty reached by the traversal prefix.
func attributeHint(prefix, name string, ty cty.Type, oneResult bool) string {
	names := make([]string, 0, len(ty.AttributeTypes()))
	for n := range ty.AttributeTypes() {
		names = append(names, n)
	}
	sort.Strings(names)
	isResult := ty.Equals(ResultType)
	hint := ""
	if isResult && oneResult && !ty.HasAttribute(name) {
		hint = fmt.Sprintf(" %s is one result: its block has no for_each.", prefix)
	}
	if s := spec.Suggest(name, names); s != "" {
		return hint + fmt.Sprintf(" Did you mean %s.%s?", prefix, s)
	}
	if isResult {
		return hint + fmt.Sprintf(" A result's attributes are %s.", strings.Join(names, ", "))
	}
	return hint
}

// resultRefProblem checks a reference to a result (self.ATTR,
// invocation.NAME.ATTR, invocation.NAME[KEY].ATTR) against ResultType
// without evaluating anything: HCL drops the errors of an operand it does
// not need (the right side of && when the left is unknown), yet
// self.stauts is a mistake wherever it is. The diagnostic is the one
// evaluation gives, with its did-you-mean.
func resultRefProblem(cfg *spec.Config, tr hcl.Traversal) *hcl.Diagnostic {
	at := 1 // the step naming the attribute
	switch tr.RootName() {
	case "self":
	case "invocation":
		if len(tr) < 2 {
			return nil
		}
		inv := cfg.Invocations[attrName(tr[1])]
		if inv == nil {
			return nil
		}
		at = 2
		if inv.ForEach != nil {
			at = 3 // after the key
		}
	default:
		return nil
	}
	if len(tr) <= at {
		return nil
	}
	prefix := spec.TraversalString(tr[:at])
	oneResult := tr.RootName() == "invocation" && at == 2
	switch st := tr[at].(type) {
	case hcl.TraverseAttr:
		if ResultType.HasAttribute(st.Name) {
			return nil
		}
		return &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  unsupportedAttr,
			Detail:   fmt.Sprintf("This object does not have an attribute named %q.", st.Name) + attributeHint(prefix, st.Name, ResultType, false),
			Subject:  st.SrcRange.Ptr(),
		}
	case hcl.TraverseIndex:
		if st.Key.Type() != cty.String || !st.Key.IsKnown() || st.Key.IsNull() || ResultType.HasAttribute(st.Key.AsString()) {
			return nil
		}
		name := st.Key.AsString()
		return &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid index",
			Detail:   "The given key does not identify an element in this collection value." + attributeHint(prefix, name, ResultType, oneResult),
			Subject:  st.SrcRange.Ptr(),
		}
	}
	return nil
}
