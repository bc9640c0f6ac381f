package executor

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

// TestBodyMemo: a remembered body decodes to what decodeJSON gives, the
// memo stays within its bounds, and an ended context is an error even for
// a body it remembers.
func TestBodyMemo(t *testing.T) {
	ctx := context.Background()
	var m bodyMemo
	bodies := []string{`{"status":"ok","n":1}`, `[1, "a", null]`, `not json`, ``, `{"big":` + strings.Repeat("1", 40) + `}`}
	for round := range 2 { // the second round answers from the memo
		for _, body := range bodies {
			got, err := m.decode(ctx, []byte(body))
			if err != nil {
				t.Fatal(err)
			}
			want, err := decodeJSON(ctx, []byte(body))
			if err != nil {
				t.Fatal(err)
			}
			if !got.json.RawEquals(want) {
				t.Errorf("round %d, %q: %#v, decodeJSON gives %#v", round, body, got.json, want)
			}
			if !got.lean.RawEquals(leanObject(want)) {
				t.Errorf("round %d, %q: lean object %#v", round, body, got.lean)
			}
		}
	}
	if len(m.m) != len(bodies) {
		t.Errorf("%d bodies remembered, want %d", len(m.m), len(bodies))
	}

	large := `{"s":"` + strings.Repeat("x", memoBodyMax) + `"}`
	got, err := m.decode(ctx, []byte(large))
	if err != nil || got.json.GetAttr("s").AsString() != strings.Repeat("x", memoBodyMax) {
		t.Fatalf("large body: %v", err)
	}
	if got.lean != cty.NilVal {
		t.Error("a large body's lean object was built in the memo")
	}
	if _, ok := m.m[large]; ok {
		t.Error("a body larger than memoBodyMax was remembered")
	}

	for i := range 3 * memoEntries {
		if _, err := m.decode(ctx, []byte(fmt.Sprintf(`{"i":%d}`, i))); err != nil {
			t.Fatal(err)
		}
		if len(m.m) > memoEntries {
			t.Fatalf("%d bodies remembered, more than %d", len(m.m), memoEntries)
		}
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := m.decode(cancelled, []byte(bodies[0])); err == nil {
		t.Error("an ended context decoded a remembered body")
	}
}
