package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/executor"
	"github.com/fnprobe/fnprobe/spec"
)

func TestEscapeText(t *testing.T) {
	for _, tc := range []struct {
		in, multi, line string
	}{
		{"plain ü 秘密", "plain ü 秘密", "plain ü 秘密"},
		{"a\nb\tc", "a\nb\tc", `a\nb\tc`},
		{"\x1b[2J\x1b[HSuccess!", `\x1b[2J\x1b[HSuccess!`, `\x1b[2J\x1b[HSuccess!`},
		{"over\rwrite", `over\rwrite`, `over\rwrite`},
		{"nul\x00 del\x7f c1\u0085\u009b", `nul\x00 del\x7f c1\u0085\u009b`, `nul\x00 del\x7f c1\u0085\u009b`},
		{"bidi \u202eevil\u202c \u2066x\u2069 \u200f \u2028", `bidi \u202eevil\u202c \u2066x\u2069 \u200f \u2028`, `bidi \u202eevil\u202c \u2066x\u2069 \u200f \u2028`},
		{"bad \xff\xfe utf8", `bad \xff\xfe utf8`, `bad \xff\xfe utf8`},
		{`already \x1b escaped`, `already \x1b escaped`, `already \x1b escaped`},
	} {
		if got := escapeText(tc.in, true); got != tc.multi {
			t.Errorf("escapeText(%q, true) = %q, want %q", tc.in, got, tc.multi)
		}
		if got := escapeLine(tc.in); got != tc.line {
			t.Errorf("escapeLine(%q) = %q, want %q", tc.in, got, tc.line)
		}
		if again := escapeText(escapeText(tc.in, true), true); again != tc.multi {
			t.Errorf("escaping %q twice gives %q", tc.in, again)
		}
	}
}

// hostileText is what a function might answer to take over a terminal.
const hostileText = "\x1b[2J\x1b[HSuccess! \u202egnp.exe\r\x9b31m"

// ownStyles removes the ANSI styles the palette adds, so that any escape
// left is one that came from outside.
func ownStyles(s string) string {
	return strings.NewReplacer(ansiReset, "", ansiBold, "", ansiUnderline, "", ansiRed, "", ansiGreen, "", ansiYellow, "", ansiDarkGray, "").Replace(s)
}

func assertTerminalSafe(t *testing.T, where, out string) {
	t.Helper()
	rest := ownStyles(out)
	if strings.ContainsAny(rest, "\x1b\r\u202e\u009b") {
		t.Errorf("%s: a control character from outside reached the output:\n%q", where, out)
	}
	if !strings.Contains(out, `\x1b[2J\x1b[HSuccess!`) {
		t.Errorf("%s: the hostile text is not shown escaped:\n%q", where, out)
	}
}

// Text from outside reaches the human view escaped in every place it can
// appear: progress lines, diagnostics (summary, detail, values), outputs.
func TestHumanEscapesControlCharacters(t *testing.T) {
	for _, color := range []bool{false, true} {
		var out bytes.Buffer
		h := NewHuman(&out, Options{Color: color})
		inv := &executor.InvocationInfo{Addr: "invocation.x", Name: "x", Function: "function.f", Provider: "provider.http"}
		h.Event(executor.Event{Type: executor.EventStart, Invocation: inv})
		h.Event(executor.Event{Type: executor.EventAttempt, Invocation: inv, Attempt: &executor.AttemptInfo{Number: 1, Err: hostileText, Retry: true}})
		h.Event(executor.Event{Type: executor.EventResult, Invocation: inv, Result: &executor.ResultInfo{
			Status: executor.StatusError, Reason: hostileText, Attempts: 2,
			Diags: hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cloud said " + hostileText, Detail: "Body:\n" + hostileText + "\nLog tail: " + hostileText}},
		}})
		h.Event(executor.Event{Type: executor.EventOutputs, Outputs: []executor.OutputInfo{
			{Name: "body", Value: cty.StringVal(hostileText)},
			{Name: "headers", Value: cty.MapVal(map[string]cty.Value{"x-evil" + hostileText: cty.StringVal(hostileText)})},
		}})
		h.Event(executor.Event{Type: executor.EventSummary, Summary: &executor.Summary{Total: 1, Errored: 1, ExitCode: 3}})
		where := "no colour"
		if color {
			where = "colour"
		}
		assertTerminalSafe(t, where, out.String())
		if strings.Count(out.String(), "Success!") != strings.Count(out.String(), "[HSuccess!") {
			t.Errorf("%s: a Success! line that the run did not write:\n%s", where, out.String())
		}
	}
}

// A secret containing a quote is redacted before it is quoted in the values
// of a diagnostic, in outputs and in JSON.
func TestRedactBeforeQuoting(t *testing.T) {
	const s = `p@ss "w\ord"` + "\n"
	r := &spec.Redactor{}
	r.Add(s)
	if got := valueStatement(cty.StringVal("x"+s+"y"), r); got != `is "x(sensitive)y"` {
		t.Errorf("valueStatement = %q", got)
	}
	if got := valueStatement(cty.ObjectVal(map[string]cty.Value{s: cty.True}), r); got != `is object with 1 attribute "(sensitive)"` {
		t.Errorf("valueStatement of an object = %q", got)
	}
	v := cty.ObjectVal(map[string]cty.Value{"k": cty.StringVal(s), s: cty.StringVal("v")})
	if got := FormatValue(v, r); strings.Contains(got, "w\\") || !strings.Contains(got, `"(sensitive)"`) {
		t.Errorf("FormatValue = %s", got)
	}
	if got := string(JSONValue(v, r)); strings.Contains(got, "w\\") || strings.Contains(got, "ord") {
		t.Errorf("JSONValue = %s", got)
	}
}

// JUnit shows control characters escaped, and the file stays valid XML.
func TestJUnitEscapesControlCharacters(t *testing.T) {
	ju := NewJUnit(Options{})
	ju.Event(executor.Event{Type: executor.EventResult, Invocation: &executor.InvocationInfo{Addr: "invocation.x", Name: "x"},
		Result: &executor.ResultInfo{Status: executor.StatusFail, Diags: hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "Assertion failed " + hostileText, Detail: hostileText + " ]]> \xff",
		}}}})
	var buf bytes.Buffer
	if _, err := ju.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	var doc readSuites
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("not XML: %v\n%s", err, buf.Bytes())
	}
	f := doc.Suites[0].Cases[0].Failure
	assertTerminalSafe(t, "failure message", f.Message)
	assertTerminalSafe(t, "failure text", f.Text)
}

// The JSON stream carries C1 controls and bidi characters as \u escapes
// (encoding/json escapes C0 itself), and decodes to the same strings.
func TestJSONEscapesC1AndBidi(t *testing.T) {
	var out bytes.Buffer
	j := NewJSON(&out, Options{})
	inv := &executor.InvocationInfo{Addr: "invocation.x"}
	j.Event(executor.Event{Type: executor.EventResult, Invocation: inv, Result: &executor.ResultInfo{
		Status: executor.StatusError, Reason: hostileText + "\u0085\u2066",
	}})
	s := out.String()
	if strings.ContainsAny(s, "\x1b\u009b\u0085\u202e\u2066") {
		t.Errorf("raw control characters in the JSON stream:\n%q", s)
	}
	lines := strings.Split(strings.TrimSpace(s), "\n")
	var ev struct {
		Result struct {
			Reason string `json:"reason"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &ev); err != nil {
		t.Fatal(err)
	}
	if want := strings.ToValidUTF8(hostileText, "\ufffd") + "\u0085\u2066"; ev.Result.Reason != want {
		t.Errorf("reason decodes to %q, want %q", ev.Result.Reason, want)
	}
}

// Wrapping comes after redaction: a secret with spaces, longer than the
// line, is replaced whole rather than split over lines where the Redactor
// could no longer find it.
func TestWrapAfterRedaction(t *testing.T) {
	const s = "tok en se cret va lue with spa ces"
	r := &spec.Redactor{}
	r.Add(s)
	d := NewDiagnostic(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Assertion failed", Detail: "the function answered " + s + " which was not expected at all"}, nil, r)
	for _, width := range []int{12, 20, 40, 78} {
		out := FormatDiagnostic(d, false, width)
		for _, piece := range []string{"cret", "spa ces", "va lue"} {
			if strings.Contains(out, piece) {
				t.Errorf("width %d: %q shows:\n%s", width, piece, out)
			}
		}
		if !strings.Contains(out, spec.Redacted) {
			t.Errorf("width %d: nothing redacted:\n%s", width, out)
		}
	}
}

// escapeText leaves nothing a terminal acts on, changes nothing twice, and
// keeps text that needs no escaping as it is.
func FuzzEscapeText(f *testing.F) {
	for _, s := range []string{"plain", hostileText, "a\nb\tc\r", "\xff\xfe", "\u202e\u2066\u0085", `\x1b`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, multiline := range []bool{false, true} {
			got := escapeText(s, multiline)
			if !utf8.ValidString(got) {
				t.Fatalf("escapeText(%q) = %q: invalid UTF-8", s, got)
			}
			for _, r := range got {
				if mustEscape(r, multiline) {
					t.Fatalf("escapeText(%q, %v) = %q keeps %U", s, multiline, got, r)
				}
			}
			if again := escapeText(got, multiline); again != got {
				t.Fatalf("escaping %q twice: %q, then %q", s, got, again)
			}
		}
	})
}
