package executor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/zclconf/go-cty/cty"
)

// payloadBytes turns a payload value into bytes: a string is sent as is,
// anything else as JSON, encoded as go-cty's cty/json encodes it.
func payloadBytes(v cty.Value) ([]byte, error) {
	u, _ := v.Unmark()
	if u.IsKnown() && !u.IsNull() && u.Type() == cty.String {
		return []byte(u.AsString()), nil
	}
	if u.IsKnown() && u.IsNull() {
		return nil, nil
	}
	var b bytes.Buffer
	b.Grow(64)
	if err := encodeJSON(&b, v); err != nil {
		if errors.Is(err, errUnknownPayload) {
			return nil, fmt.Errorf("the payload is not known")
		}
		return nil, fmt.Errorf("the payload cannot be encoded as JSON: %w", err)
	}
	return b.Bytes(), nil
}

var errUnknownPayload = errors.New("the payload is not known")

// encodeJSON writes v as JSON in one walk, byte for byte as go-cty's
// cty/json.Marshal writes v with its marks removed (tested against it):
// strings as encoding/json writes them, numbers in their shortest exact
// decimal, object attributes and map keys sorted, sets in go-cty's order.
// It replaces UnmarkDeep, IsWhollyKnown and Marshal, three walks of the
// payload per call that a large run paid for every invocation.
func encodeJSON(b *bytes.Buffer, v cty.Value) error {
	v, _ = v.Unmark()
	if !v.IsKnown() {
		return errUnknownPayload
	}
	if v.IsNull() {
		b.WriteString("null")
		return nil
	}
	switch ty := v.Type(); {
	case ty == cty.String:
		if err := writeJSONString(b, v.AsString()); err != nil {
			return err
		}
	case ty == cty.Number:
		if v.RawEquals(cty.PositiveInfinity) || v.RawEquals(cty.NegativeInfinity) {
			return errors.New("cannot serialize infinity as JSON")
		}
		b.WriteString(v.AsBigFloat().Text('f', -1))
	case ty == cty.Bool:
		if v.True() {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		b.WriteByte('[')
		i := 0
		for it := v.ElementIterator(); it.Next(); i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			_, ev := it.Element()
			if err := encodeJSON(b, ev); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case ty.IsMapType():
		b.WriteByte('{')
		i := 0
		for it := v.ElementIterator(); it.Next(); i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			k, ev := it.Element()
			if err := encodeJSON(b, k); err != nil {
				return err
			}
			b.WriteByte(':')
			if err := encodeJSON(b, ev); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case ty.IsObjectType():
		atys := ty.AttributeTypes()
		names := make([]string, 0, len(atys))
		for k := range atys {
			names = append(names, k)
		}
		sort.Strings(names)
		b.WriteByte('{')
		for i, k := range names {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeJSONString(b, k); err != nil {
				return err
			}
			b.WriteByte(':')
			if err := encodeJSON(b, v.GetAttr(k)); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	default:
		return fmt.Errorf("a value of type %s cannot be encoded", ty.FriendlyName())
	}
	return nil
}

// writeJSONString writes s as a JSON string, as encoding/json writes it:
// a string of printable ASCII that needs no escape is written between
// quotes as it is, anything else through json.Marshal (escapes, HTML
// characters, invalid UTF-8, U+2028 and U+2029).
func writeJSONString(b *bytes.Buffer, s string) error {
	plain := true
	for i := 0; i < len(s) && plain; i++ {
		c := s[i]
		plain = c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	if plain {
		b.WriteByte('"')
		b.WriteString(s)
		b.WriteByte('"')
		return nil
	}
	q, err := json.Marshal(s)
	if err != nil {
		return err
	}
	b.Write(q)
	return nil
}
