package executor

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// TestEncodeJSONMatchesGoCty: the one-walk payload encoder writes what
// go-cty's cty/json writes for the unmarked value, byte for byte.
func TestEncodeJSONMatchesGoCty(t *testing.T) {
	secret := cty.StringVal(`p@ss"w<o>rd&%`).Mark("sensitive")
	num := func(s string) cty.Value { return cty.MustParseNumberVal(s) }
	values := map[string]cty.Value{
		"object": cty.ObjectVal(map[string]cty.Value{
			"b": cty.StringVal("x"), "a": cty.NumberIntVal(3), "c": cty.True,
			"html": cty.StringVal("<a href='x'>&</a>"), "uni": cty.StringVal("é\u2028\x00"),
		}),
		"nested marks": cty.ObjectVal(map[string]cty.Value{
			"token": secret, "list": cty.ListVal([]cty.Value{secret, cty.StringVal("y")}).Mark("m"),
		}),
		"numbers": cty.TupleVal([]cty.Value{num("0.1"), num("-0"), num("1e30"), num("123456789012345678901234567890"), num("-2.5e-8")}),
		"set":     cty.SetVal([]cty.Value{cty.StringVal("b"), cty.StringVal("a")}),
		"set of objects": cty.SetVal([]cty.Value{
			cty.ObjectVal(map[string]cty.Value{"k": cty.StringVal("2")}),
			cty.ObjectVal(map[string]cty.Value{"k": cty.StringVal("1")}),
		}),
		"map":         cty.MapVal(map[string]cty.Value{"z": cty.NumberIntVal(1), "\"q\"": cty.NumberIntVal(2)}),
		"nulls":       cty.ObjectVal(map[string]cty.Value{"n": cty.NullVal(cty.DynamicPseudoType), "s": cty.NullVal(cty.String)}),
		"empty":       cty.ObjectVal(map[string]cty.Value{"l": cty.ListValEmpty(cty.String), "m": cty.MapValEmpty(cty.Bool), "t": cty.EmptyTupleVal, "o": cty.EmptyObjectVal}),
		"list":        cty.ListVal([]cty.Value{cty.NumberIntVal(1), cty.NumberIntVal(2)}),
		"number":      cty.NumberFloatVal(2.5),
		"bool":        cty.False,
		"marked root": cty.ObjectVal(map[string]cty.Value{"a": cty.StringVal("b")}).Mark("sensitive"),
	}
	for name, v := range values {
		t.Run(name, func(t *testing.T) {
			got, err := payloadBytes(v)
			if err != nil {
				t.Fatal(err)
			}
			u, _ := v.UnmarkDeep()
			want, err := ctyjson.Marshal(u, u.Type())
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("encoded %s\ngo-cty   %s", got, want)
			}
		})
	}
}

func TestPayloadBytesRefuses(t *testing.T) {
	tests := []struct {
		name string
		v    cty.Value
		want string
	}{
		{"unknown inside", cty.ObjectVal(map[string]cty.Value{"a": cty.UnknownVal(cty.String)}), "the payload is not known"},
		{"unknown", cty.UnknownVal(cty.String), "the payload is not known"},
		{"infinity", cty.ListVal([]cty.Value{cty.PositiveInfinity}), "infinity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := payloadBytes(tt.v)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
	// A string is sent as is; null sends nothing.
	if b, err := payloadBytes(cty.StringVal(`{"raw": 1}`).Mark("sensitive")); err != nil || string(b) != `{"raw": 1}` {
		t.Errorf("string payload = %q, %v", b, err)
	}
	if b, err := payloadBytes(cty.NullVal(cty.DynamicPseudoType)); err != nil || b != nil {
		t.Errorf("null payload = %q, %v", b, err)
	}
}

// TestSmallIntMatchesParseNumberVal: the fast path for small integers in
// answers builds the very value cty.ParseNumberVal builds.
func TestSmallIntMatchesParseNumberVal(t *testing.T) {
	for _, s := range []string{"0", "1", "-1", "42", "1234567890123456", "-999999999999999", "9007199254740993"} {
		got, ok := smallInt(s)
		if !ok {
			t.Errorf("%s: not taken", s)
			continue
		}
		want := cty.MustParseNumberVal(s)
		if !got.RawEquals(want) || got.AsBigFloat().Prec() != want.AsBigFloat().Prec() || got.AsBigFloat().Text('f', -1) != want.AsBigFloat().Text('f', -1) {
			t.Errorf("%s: %#v (prec %d), ParseNumberVal %#v (prec %d)", s, got, got.AsBigFloat().Prec(), want, want.AsBigFloat().Prec())
		}
		third := cty.MustParseNumberVal("3")
		if q, wq := got.Divide(third), want.Divide(third); !q.RawEquals(wq) {
			t.Errorf("%s / 3: %#v, ParseNumberVal's %#v", s, q, wq)
		}
	}
	for _, s := range []string{"-0", "1.5", "1e3", "12345678901234567", ""} {
		if _, ok := smallInt(s); ok {
			t.Errorf("%q: taken, want it left to ParseNumberVal", s)
		}
	}
}

// FuzzWriteJSONString: the quick path for plain strings writes what
// encoding/json writes, for every string.
func FuzzWriteJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", `q"uote`, `back\slash`, "<html>&", "\x00\x1f\x7f", "é", "\u2028", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var b bytes.Buffer
		if err := writeJSONString(&b, s); err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if b.String() != string(want) {
			t.Errorf("writeJSONString(%q) = %s, encoding/json %s", s, b.String(), want)
		}
	})
}
