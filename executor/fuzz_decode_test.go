package executor

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/providers"
)

// FuzzDecodeResult builds the result object from arbitrary bodies and
// headers: it never panics, always yields a wholly known object whose
// strings are valid UTF-8, and self.json is null exactly when the body is
// not one JSON document (or is the document null).
func FuzzDecodeResult(f *testing.F) {
	for _, s := range []struct{ body, hk, hv string }{
		{`{"a":1,"b":[true,null,"x"],"c":{"d":1.5e3}}`, "Content-Type", "application/json"},
		{`[]`, "X-Request-Id", "r-1"},
		{`{}`, "", ""},
		{`null`, "x", "\xff"},
		{` 12 `, "X-Multi", "a, b"},
		{`"str\u00e9"`, "", ""},
		{`{"n":1e400,"m":-1e-400,"k":123456789012345678901234567890}`, "", ""},
		{`{"n":` + strings.Repeat("9", 1200) + `}`, "", ""},
		{`{"a":1} {"b":2}`, "", ""},
		{"\xff\xfe", "", ""},
		{`{"a":"\ud800"}`, "", ""},
		{`[[[[[[[[[[1]]]]]]]]]]`, "", ""},
		{`{"a":1,"a":2}`, "", ""},
		{`1.`, "", ""},
		{`-0`, "", ""},
	} {
		f.Add([]byte(s.body), s.hk, s.hv)
	}
	f.Fuzz(func(t *testing.T, body []byte, hk, hv string) {
		res := &providers.Result{Status: 200, Body: body}
		if hk != "" {
			res.Headers = map[string]string{hk: hv}
		}
		js, err := decodeJSON(context.Background(), body)
		if err != nil {
			t.Fatalf("decodeJSON: %v", err)
		}
		v := resultObject(res, js, time.Millisecond, 1, nullStats)
		if !v.IsWhollyKnown() || v.IsNull() {
			t.Fatal("the result is not a known object")
		}
		if s := v.GetAttr("body").AsString(); !utf8.ValidString(s) {
			t.Error("body is not valid UTF-8")
		}
		for _, hv := range v.GetAttr("headers").AsValueMap() {
			if !utf8.ValidString(hv.AsString()) {
				t.Error("a header is not valid UTF-8")
			}
		}
		js = v.GetAttr("json")
		trimmed := bytes.TrimSpace(body)
		valid := json.Valid(trimmed)
		if isNull := js.IsNull(); isNull != (!valid || string(trimmed) == "null" || tooManyValues(trimmed)) {
			t.Errorf("json null = %v for a body that json.Valid says is %v", isNull, valid)
		}
		walkNumbers(t, js)
	})
}

// walkNumbers checks that every number in a decoded body is within the
// bounds decodeJSON promises, so that printing it stays cheap.
func walkNumbers(t *testing.T, v cty.Value) {
	if v.IsNull() {
		return
	}
	ty := v.Type()
	switch {
	case ty == cty.Number:
		bf := v.AsBigFloat()
		if !bf.IsInf() && bf.Sign() != 0 {
			if exp := bf.MantExp(nil); exp > maxJSONExp || exp < -maxJSONExp {
				t.Errorf("number with binary exponent %d", exp)
			}
		}
	case ty.IsObjectType() || ty.IsTupleType():
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			walkNumbers(t, e)
		}
	}
}

// Decoding stops when the attempt's context has ended.
func TestDecodeJSONHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := decodeJSON(ctx, []byte(`{"a":1}`)); err == nil {
		t.Fatal("decoded after the context ended")
	}
	// The walk looks at ctx as it goes, not only at the start.
	big := []byte("[" + strings.Repeat("1,", 3*checkEvery) + "1]")
	w := walker{ctx: ctx}
	var v any
	if err := json.Unmarshal(big, &v); err != nil {
		t.Fatal(err)
	}
	if w.toCty(v); w.err == nil {
		t.Fatal("the walk went on after the context ended")
	}
}

// A number literal longer than maxNumberLen is kept as its text.
func TestDecodeJSONLongNumbers(t *testing.T) {
	long := strings.Repeat("8", maxNumberLen+1)
	v, err := decodeJSON(context.Background(), []byte(`{"a":`+long+`,"b":`+long[:maxNumberLen]+`}`))
	if err != nil {
		t.Fatal(err)
	}
	if a := v.GetAttr("a"); a.Type() != cty.String || a.AsString() != long {
		t.Errorf("a = %#v, want the literal as a string", a)
	}
	if b := v.GetAttr("b"); b.Type() != cty.Number {
		t.Errorf("b = %#v, want a number", b)
	}
}

// BenchmarkDecodeJSONLongNumber decodes the body that took 12 s before
// numbers were bounded: a number of two million digits.
func BenchmarkDecodeJSONLongNumber(b *testing.B) {
	body := []byte(`{"n":` + strings.Repeat("7", 2_000_000) + `}`)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := decodeJSON(context.Background(), body); err != nil {
			b.Fatal(err)
		}
	}
}

// A body of more than maxJSONValues values is not decoded; commas inside
// strings do not count.
func TestDecodeJSONTooManyValues(t *testing.T) {
	tests := []struct {
		body string
		over bool
	}{
		// The array and its elements: maxJSONValues values, then one more.
		{"[" + strings.Repeat("0,", maxJSONValues-2) + "0]", false},
		{"[" + strings.Repeat("0,", maxJSONValues-1) + "0]", true},
		{`{"a":[1,2],"b":{"c":3}}`, false},
		{`["` + strings.Repeat(",", 2*maxJSONValues) + `"]`, false},
		{`["\\"` + strings.Repeat(",", 2*maxJSONValues) + `"]`, true},
		{`["\"` + strings.Repeat(",", 2*maxJSONValues) + `"]`, false},
	}
	for i, tt := range tests {
		if got := tooManyValues([]byte(tt.body)); got != tt.over {
			t.Errorf("case %d: tooManyValues = %v, want %v", i, got, tt.over)
		}
	}
	v, err := decodeJSON(context.Background(), []byte(tests[1].body))
	if err != nil || !v.IsNull() {
		t.Errorf("decoded a body of too many values: %v", err)
	}
}
