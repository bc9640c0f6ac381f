package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/spec"
)

// formatNumber renders a known, unmarked number: integers in full, other
// numbers in the shortest form that round-trips.
func formatNumber(v cty.Value) string {
	bf := v.AsBigFloat()
	if bf.IsInf() {
		if bf.Sign() < 0 {
			return "-Infinity"
		}
		return "Infinity"
	}
	if bf.IsInt() {
		return bf.Text('f', -1)
	}
	return bf.Text('g', -1)
}

// quoteString quotes s as an HCL native string literal. Control characters
// (C0, DEL and C1) and the characters escapeText escapes become \uXXXX, so
// a quoted string is always safe on a terminal. Callers redact s first: a
// secret is found as it is, not as quoting escaped it.
func quoteString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\uFFFD`)
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case (r == '$' || r == '%') && i+1 < len(s) && s[i+1] == '{':
			// Template introducers are escaped by doubling.
			b.WriteRune(r)
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || isBidiOrBreak(r):
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
	return b.String()
}

// FormatValue renders v in readable HCL-like syntax, spreading collections
// over several lines. Parts carrying the spec.Sensitive mark are printed as
// (sensitive), unknown parts as (known after invocation), and every string
// (keys included) passes through r, which may be nil.
func FormatValue(v cty.Value, r *spec.Redactor) string {
	var b strings.Builder
	writeValue(&b, v, "", r)
	return b.String()
}

func writeValue(b *strings.Builder, v cty.Value, indent string, r *spec.Redactor) {
	if v == cty.NilVal {
		b.WriteString("null")
		return
	}
	if v.HasMark(spec.Sensitive) {
		b.WriteString(spec.Redacted)
		return
	}
	v, _ = v.Unmark()
	ty := v.Type()
	switch {
	case !v.IsKnown():
		b.WriteString("(known after invocation)")
	case v.IsNull():
		b.WriteString("null")
	case ty == cty.String:
		b.WriteString(quoteString(r.String(v.AsString())))
	case ty == cty.Number:
		b.WriteString(formatNumber(v))
	case ty == cty.Bool:
		if v.True() {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		if v.LengthInt() == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteString("[\n")
		for it := v.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			b.WriteString(indent + "  ")
			writeValue(b, ev, indent+"  ", r)
			b.WriteString(",\n")
		}
		b.WriteString(indent + "]")
	case ty.IsMapType() || ty.IsObjectType():
		if v.LengthInt() == 0 {
			b.WriteString("{}")
			return
		}
		type kv struct {
			k string
			v cty.Value
		}
		var items []kv
		width := 0
		for it := v.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			key, _ := k.Unmark()
			name := r.String(key.AsString()) // redacted before it is quoted
			if !hclsyntax.ValidIdentifier(name) {
				name = quoteString(name)
			}
			if n := utf8.RuneCountInString(name); n > width {
				width = n
			}
			items = append(items, kv{name, ev})
		}
		b.WriteString("{\n")
		for _, it := range items {
			b.WriteString(indent + "  " + it.k)
			b.WriteString(strings.Repeat(" ", width-utf8.RuneCountInString(it.k)))
			b.WriteString(" = ")
			writeValue(b, it.v, indent+"  ", r)
			b.WriteString("\n")
		}
		b.WriteString(indent + "}")
	default:
		b.WriteString(ty.FriendlyName())
	}
}

// JSONValue encodes v as JSON, replacing every part carrying the
// spec.Sensitive mark with the string "(sensitive)" and passing every string
// (object keys included) through r, which may be nil. cty.NilVal, null and
// unknown values encode as null; infinities as null.
func JSONValue(v cty.Value, r *spec.Redactor) json.RawMessage {
	var b bytes.Buffer
	writeJSON(&b, v, r)
	return json.RawMessage(b.Bytes())
}

func writeJSON(b *bytes.Buffer, v cty.Value, r *spec.Redactor) {
	if v == cty.NilVal {
		b.WriteString("null")
		return
	}
	if v.HasMark(spec.Sensitive) {
		writeJSONString(b, spec.Redacted)
		return
	}
	v, _ = v.Unmark()
	ty := v.Type()
	switch {
	case !v.IsKnown() || v.IsNull():
		b.WriteString("null")
	case ty == cty.String:
		writeJSONString(b, r.String(v.AsString()))
	case ty == cty.Number:
		if v.AsBigFloat().IsInf() {
			b.WriteString("null")
			return
		}
		b.WriteString(formatNumber(v))
	case ty == cty.Bool:
		if v.True() {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		b.WriteByte('[')
		first := true
		for it := v.ElementIterator(); it.Next(); {
			if !first {
				b.WriteByte(',')
			}
			first = false
			_, ev := it.Element()
			writeJSON(b, ev, r)
		}
		b.WriteByte(']')
	case ty.IsMapType() || ty.IsObjectType():
		b.WriteByte('{')
		first := true
		for it := v.ElementIterator(); it.Next(); {
			if !first {
				b.WriteByte(',')
			}
			first = false
			k, ev := it.Element()
			key, _ := k.Unmark()
			writeJSONString(b, r.String(key.AsString()))
			b.WriteByte(':')
			writeJSON(b, ev, r)
		}
		b.WriteByte('}')
	default:
		// Capsule types have no JSON form.
		b.WriteString("null")
	}
}

// writeJSONString writes s as a JSON string without HTML escaping.
func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)       // cannot fail for a string
	b.Truncate(b.Len() - 1) // Encode appends a newline
}
