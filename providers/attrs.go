package providers

import (
	"github.com/zclconf/go-cty/cty"
)

// Attribute readers for decoded provider and function objects. They return
// the zero value for null, unknown or absent attributes, so drivers can read
// optional settings without ceremony.

// String returns obj.name as a string.
func String(obj cty.Value, name string) string {
	v := attr(obj, name)
	if v.IsNull() || !v.IsKnown() || v.Type() != cty.String {
		return ""
	}
	return v.AsString()
}

// Bool returns obj.name as a bool.
func Bool(obj cty.Value, name string) bool {
	v := attr(obj, name)
	if v.IsNull() || !v.IsKnown() || v.Type() != cty.Bool {
		return false
	}
	return v.True()
}

// StringMap returns obj.name, a map(string), as a Go map.
func StringMap(obj cty.Value, name string) map[string]string {
	v := attr(obj, name)
	if v.IsNull() || !v.IsKnown() || !(v.Type().IsMapType() || v.Type().IsObjectType()) {
		return nil
	}
	out := make(map[string]string, v.LengthInt())
	for it := v.ElementIterator(); it.Next(); {
		k, ev := it.Element()
		if ev.IsNull() || !ev.IsKnown() || ev.Type() != cty.String {
			continue
		}
		out[k.AsString()] = ev.AsString()
	}
	return out
}

// StringList returns obj.name, a list(string), as a Go slice.
func StringList(obj cty.Value, name string) []string {
	v := attr(obj, name)
	if v.IsNull() || !v.IsKnown() || !v.CanIterateElements() {
		return nil
	}
	var out []string
	for it := v.ElementIterator(); it.Next(); {
		_, ev := it.Element()
		if ev.IsNull() || !ev.IsKnown() || ev.Type() != cty.String {
			continue
		}
		out = append(out, ev.AsString())
	}
	return out
}

func attr(obj cty.Value, name string) cty.Value {
	if obj.IsNull() || !obj.IsKnown() || !obj.Type().IsObjectType() || !obj.Type().HasAttribute(name) {
		return cty.NullVal(cty.DynamicPseudoType)
	}
	return obj.GetAttr(name)
}
