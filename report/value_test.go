package report

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/executor"
	"github.com/fnprobe/fnprobe/spec"
)

func TestValueStatement(t *testing.T) {
	tests := []struct {
		v    cty.Value
		want string
	}{
		{cty.NumberIntVal(2), "is 2"},
		{cty.NumberFloatVal(0.25), "is 0.25"},
		{cty.StringVal("created"), `is "created"`},
		{cty.StringVal("a\"b\n${x}"), `is "a\"b\n$${x}"`},
		{cty.True, "is true"},
		{cty.NullVal(cty.String), "is null"},
		{cty.ListVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b"), cty.StringVal("c")}), "is list of string with 3 elements"},
		{cty.ListValEmpty(cty.Number), "is empty list of number"},
		{cty.TupleVal([]cty.Value{cty.StringVal("a")}), "is tuple with 1 element"},
		{cty.ObjectVal(map[string]cty.Value{"a": cty.True, "b": cty.False}), "is object with 2 attributes"},
		{cty.ObjectVal(map[string]cty.Value{"a": cty.True}), `is object with 1 attribute "a"`},
		{cty.EmptyObjectVal, "is object with no attributes"},
		{cty.UnknownVal(cty.Map(cty.String)), "is a map of string, known only after invocation"},
		{cty.UnknownVal(cty.String), "is a string, known only after invocation"},
		{cty.DynamicVal, "will be known only after invocation"},
		{cty.StringVal("x").Mark(spec.Sensitive), "has a sensitive value"},
		{cty.ObjectVal(map[string]cty.Value{"k": cty.StringVal("x").Mark(spec.Sensitive)}), "has a sensitive value"},
		{cty.NumberIntVal(1).Mark("other"), "is 1"},
	}
	for _, tt := range tests {
		if got := valueStatement(tt.v, nil); got != tt.want {
			t.Errorf("valueStatement(%#v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestExpressionValues(t *testing.T) {
	src := []byte(`condition = self.json.items[0] == var.want && self.json.missing.deep == var.want && length(self.headers) > each.key` + "\n")
	f, diags := hclsyntax.ParseConfig(src, "x.probe.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	attrs, _ := f.Body.JustAttributes()
	expr := attrs["condition"].Expr
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{
		"self": cty.ObjectVal(map[string]cty.Value{
			"json":    cty.ObjectVal(map[string]cty.Value{"items": cty.TupleVal([]cty.Value{cty.StringVal("a")})}),
			"headers": cty.MapValEmpty(cty.String),
		}),
		"var":  cty.ObjectVal(map[string]cty.Value{"want": cty.StringVal("s3cret-value").Mark(spec.Sensitive)}),
		"each": cty.ObjectVal(map[string]cty.Value{"key": cty.StringVal("k")}),
	}}
	r := &spec.Redactor{}
	r.Add("s3cret-value")
	d := NewDiagnostic(&hcl.Diagnostic{
		Severity:    hcl.DiagError,
		Summary:     "Assertion failed",
		Subject:     expr.Range().Ptr(),
		Expression:  expr,
		EvalContext: ctx,
	}, map[string]*hcl.File{"x.probe.hcl": f}, r)
	var got []string
	for _, v := range d.Snippet.Values {
		got = append(got, v.Traversal+" "+v.Statement)
	}
	want := []string{
		`each.key is "k"`,
		`self.headers is empty map of string`,
		`self.json is object with 1 attribute "items"`, // self.json.missing.deep does not evaluate
		`self.json.items[0] is "a"`,
		`var.want has a sensitive value`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("values:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestSnippetRedaction(t *testing.T) {
	src := []byte("token = \"s3cret-value\"\nother = \"s3cret-value\" + x\n")
	f, diags := hclsyntax.ParseConfig(src, "x.probe.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	attrs, _ := f.Body.JustAttributes()
	r := &spec.Redactor{}
	r.Add("s3cret-value")
	d := NewDiagnostic(&hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Bad s3cret-value",
		Detail:   "Detail s3cret-value",
		Subject:  attrs["other"].Expr.Range().Ptr(),
	}, map[string]*hcl.File{"x.probe.hcl": f}, r)
	text := FormatDiagnostic(d, false, 0)
	if strings.Contains(text, "s3cret") {
		t.Fatalf("secret leaked:\n%s", text)
	}
	s := d.Snippet
	if hl := s.Code[s.HighlightStartOffset:s.HighlightEndOffset]; hl != `"(sensitive)" + x` {
		t.Errorf("highlight = %q", hl)
	}
}

func TestFormatValue(t *testing.T) {
	r := &spec.Redactor{}
	r.Add("s3cret-value")
	v := cty.ObjectVal(map[string]cty.Value{
		"n":     cty.NumberIntVal(1234567890123),
		"f":     cty.NumberFloatVal(-0.5),
		"s":     cty.StringVal("contains s3cret-value"),
		"list":  cty.ListVal([]cty.Value{cty.NumberIntVal(1), cty.NumberIntVal(2).Mark(spec.Sensitive)}),
		"set":   cty.SetValEmpty(cty.String),
		"map":   cty.MapVal(map[string]cty.Value{"a b": cty.NullVal(cty.String), "c": cty.UnknownVal(cty.String)}),
		"whole": cty.ObjectVal(map[string]cty.Value{"x": cty.True}).Mark(spec.Sensitive),
	})
	want := `{
  f     = -0.5
  list  = [
    1,
    (sensitive),
  ]
  map   = {
    "a b" = null
    c     = (known after invocation)
  }
  n     = 1234567890123
  s     = "contains (sensitive)"
  set   = []
  whole = (sensitive)
}`
	if got := FormatValue(v, r); got != want {
		t.Errorf("FormatValue:\n%s\nwant:\n%s", got, want)
	}
	if got := FormatValue(cty.NilVal, nil); got != "null" {
		t.Errorf("FormatValue(NilVal) = %q", got)
	}
}

func TestJSONValue(t *testing.T) {
	r := &spec.Redactor{}
	r.Add("s3cret-value")
	v := cty.ObjectVal(map[string]cty.Value{
		"n":    cty.NumberIntVal(3),
		"list": cty.ListVal([]cty.Value{cty.NumberIntVal(1), cty.NumberIntVal(2).Mark(spec.Sensitive)}),
		"body": cty.StringVal(`<b>s3cret-value</b> & more`),
		"null": cty.NullVal(cty.DynamicPseudoType),
		"unk":  cty.UnknownVal(cty.String),
		"set":  cty.SetVal([]cty.Value{cty.StringVal("b"), cty.StringVal("a")}),
	}).Mark("other")
	got := string(JSONValue(v, r))
	want := `{"body":"<b>(sensitive)</b> & more","list":[1,"(sensitive)"],"n":3,"null":null,"set":["a","b"],"unk":null}`
	if got != want {
		t.Errorf("JSONValue:\n%s\nwant:\n%s", got, want)
	}
	if !json.Valid([]byte(got)) {
		t.Errorf("not valid JSON")
	}
	if got := string(JSONValue(cty.NilVal, nil)); got != "null" {
		t.Errorf("JSONValue(NilVal) = %s", got)
	}
	if got := string(JSONValue(cty.StringVal("x").Mark(spec.Sensitive), nil)); got != `"(sensitive)"` {
		t.Errorf("JSONValue(sensitive) = %s", got)
	}
}

func TestFormatDuration(t *testing.T) {
	tests := map[time.Duration]string{
		0:                       "0ms",
		300 * time.Microsecond:  "<1ms",
		12 * time.Millisecond:   "12ms",
		1500 * time.Millisecond: "1.5s",
		2 * time.Second:         "2s",
		1234 * time.Millisecond: "1.234s",
		125 * time.Second:       "2m5s",
	}
	for d, want := range tests {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestWrapText(t *testing.T) {
	got := wrapText("aaa bbb ccc dddddddddddd e", 7)
	want := "aaa bbb\nccc\ndddddddddddd\ne"
	if got != want {
		t.Errorf("wrapText = %q, want %q", got, want)
	}
}

func TestSummaryMessage(t *testing.T) {
	tests := []struct {
		s    executor.Summary
		want string
	}{
		{executor.Summary{Passed: 3, Skipped: 1}, "Success! 3 passed, 0 failed, 0 errored, 1 skipped."},
		{executor.Summary{Passed: 1, Failed: 1, Warnings: 2, ExitCode: 1}, "Failure! 1 passed, 1 failed, 0 errored, 0 skipped, 2 warnings."},
		{executor.Summary{Errored: 1, ExitCode: 3}, "Failure! 0 passed, 0 failed, 1 errored, 0 skipped."},
		{executor.Summary{Passed: 1, Skipped: 4, ExitCode: 130, Interrupted: true}, "Interrupted! 1 passed, 0 failed, 0 errored, 4 skipped."},
	}
	for _, tt := range tests {
		if got := summaryMessage(&tt.s, palette(false)); got != tt.want {
			t.Errorf("summaryMessage(%+v) = %q, want %q", tt.s, got, tt.want)
		}
	}
}

func TestMulti(t *testing.T) {
	var got []string
	rec := func(name string) executor.Observer {
		return executor.ObserverFunc(func(e executor.Event) { got = append(got, name+":"+string(e.Type)) })
	}
	m := Multi(rec("a"), nil, rec("b"))
	m.Event(executor.Event{Type: executor.EventRunStart})
	m.Event(executor.Event{Type: executor.EventSummary})
	want := "a:run_start b:run_start a:summary b:summary"
	if strings.Join(got, " ") != want {
		t.Errorf("got %v, want %s", got, want)
	}
}

// TestConcurrentUse exercises the renderers' locks under -race.
func TestConcurrentUse(t *testing.T) {
	f := newFixture(t)
	events := f.events(t)
	var hout, jout strings.Builder
	h := NewHuman(&hout, f.opts)
	j := NewJSON(&jout, f.opts)
	ju := NewJUnit(f.opts)
	obs := Multi(h, j, ju)
	done := make(chan struct{})
	for i := 0; i < 4; i++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for _, e := range events {
				obs.Event(e)
			}
		}()
	}
	for i := 0; i < 4; i++ {
		<-done
	}
	var out strings.Builder
	if _, err := ju.WriteTo(&out); err != nil {
		t.Fatal(err)
	}
}
