package report

import (
	"bytes"
	"encoding/xml"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/executor"
)

// Structures to read the file back, independent of the writer's own.
type readSuites struct {
	XMLName  xml.Name    `xml:"testsuites"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Time     string      `xml:"time,attr"`
	Suites   []readSuite `xml:"testsuite"`
}

type readSuite struct {
	Name      string     `xml:"name,attr"`
	Tests     int        `xml:"tests,attr"`
	Failures  int        `xml:"failures,attr"`
	Errors    int        `xml:"errors,attr"`
	Skipped   int        `xml:"skipped,attr"`
	Time      string     `xml:"time,attr"`
	Timestamp string     `xml:"timestamp,attr"`
	Cases     []readCase `xml:"testcase"`
	SystemErr string     `xml:"system-err"`
}

type readCase struct {
	Classname string   `xml:"classname,attr"`
	Name      string   `xml:"name,attr"`
	Time      string   `xml:"time,attr"`
	Failure   *readMsg `xml:"failure"`
	Error     *readMsg `xml:"error"`
	Skipped   *readMsg `xml:"skipped"`
	SystemOut string   `xml:"system-out"`
}

type readMsg struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

func TestJUnit(t *testing.T) {
	f := newFixture(t)
	ju := NewJUnit(f.opts)
	run(ju, f.events(t))
	var buf bytes.Buffer
	n, err := ju.WriteTo(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) {
		t.Errorf("WriteTo returned %d, wrote %d bytes", n, buf.Len())
	}
	if bytes.Contains(buf.Bytes(), []byte(secret)) {
		t.Errorf("the secret leaked into JUnit output")
	}
	golden(t, "junit.golden", buf.Bytes())

	var doc readSuites
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("JUnit output does not parse: %v", err)
	}
	if len(doc.Suites) != 1 {
		t.Fatalf("got %d testsuites, want 1", len(doc.Suites))
	}
	s := doc.Suites[0]
	if s.Name != "fnprobe" || s.Tests != 5 || s.Failures != 1 || s.Errors != 1 || s.Skipped != 1 {
		t.Errorf("suite counts: name=%q tests=%d failures=%d errors=%d skipped=%d, want fnprobe 5 1 1 1",
			s.Name, s.Tests, s.Failures, s.Errors, s.Skipped)
	}
	if doc.Tests != 5 || doc.Failures != 1 || doc.Errors != 1 {
		t.Errorf("testsuites counts: %d %d %d", doc.Tests, doc.Failures, doc.Errors)
	}
	if s.Time != "1.500" || s.Timestamp != "2025-01-02T03:04:05" {
		t.Errorf("suite time=%q timestamp=%q", s.Time, s.Timestamp)
	}
	byName := map[string]readCase{}
	for _, c := range s.Cases {
		if _, err := strconv.ParseFloat(c.Time, 64); err != nil {
			t.Errorf("%s: time %q is not decimal seconds", c.Name, c.Time)
		}
		byName[c.Name] = c
	}
	if c := byName["invocation.create"]; c.Failure == nil || c.Failure.Message != "Assertion failed" || c.Failure.Type != "assertion" ||
		!strings.Contains(c.Failure.Text, "self.json.qty is 2") || c.Time != "0.220" || c.Classname != "create" {
		t.Errorf("invocation.create: %+v %+v", c, c.Failure)
	}
	if c := byName[`invocation.ping["a"]`]; c.Error == nil || !strings.Contains(c.Error.Message, "connection refused (key (sensitive))") || c.Classname != "ping" {
		t.Errorf(`invocation.ping["a"]: %+v`, c)
	}
	if c := byName["invocation.report"]; c.Skipped == nil || c.Skipped.Message == "" {
		t.Errorf("invocation.report: %+v", c)
	}
	if c := byName["invocation.get"]; c.Failure != nil || !strings.Contains(c.SystemOut, "Warning: Assertion failed") {
		t.Errorf("invocation.get: %+v", c)
	}
	if c := byName["invocation.health"]; c.Failure != nil || c.Error != nil || c.Skipped != nil {
		t.Errorf("invocation.health: %+v", c)
	}
	if !strings.Contains(s.SystemErr, "Output not evaluated") {
		t.Errorf("run-level diagnostic missing from system-err: %q", s.SystemErr)
	}
}

func TestJUnitInvalidCharacters(t *testing.T) {
	ju := NewJUnit(Options{})
	ju.Event(executor.Event{
		Type:       executor.EventResult,
		Invocation: &executor.InvocationInfo{Addr: "invocation.x", Name: "x"},
		Result: &executor.ResultInfo{
			Status: executor.StatusError,
			Reason: "bad \x00byte\x1b[31m and \xff invalid UTF-8 ]]> <&>",
			Value:  cty.NilVal,
			Diags: hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Invocation failed",
				Detail:   "body: \x00]]><x>&amp;",
			}},
		},
	})
	var buf bytes.Buffer
	if _, err := ju.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	var doc readSuites
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("does not parse: %v\n%s", err, buf.Bytes())
	}
	got := doc.Suites[0].Cases[0].Error.Message
	if want := `bad \x00byte\x1b[31m and \xff invalid UTF-8 ]]> <&>`; got != want {
		t.Errorf("message = %q, want %q", got, want)
	}
	if text := doc.Suites[0].Cases[0].Error.Text; !strings.Contains(text, `body: \x00]]><x>&amp;`) {
		t.Errorf("error text = %q", text)
	}
}

func TestJUnitEmpty(t *testing.T) {
	var buf bytes.Buffer
	if _, err := NewJUnit(Options{}).WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	var doc readSuites
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Suites) != 1 || doc.Suites[0].Tests != 0 {
		t.Errorf("empty run: %+v", doc)
	}
}

// A sample's statistics and gates are properties of the test suite, named
// after the invocation; the file stays valid XML.
func TestJUnitSampleProperties(t *testing.T) {
	f := newFixture(t)
	j := NewJUnit(f.opts)
	run(j, append(f.events(t)[:1], sampleEvents(t, f)...))
	var buf bytes.Buffer
	if _, err := j.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Suites []struct {
			Properties []struct {
				Name  string `xml:"name,attr"`
				Value string `xml:"value,attr"`
			} `xml:"properties>property"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil || len(doc.Suites) != 1 {
		t.Fatalf("not JUnit: %v\n%s", err, buf.String())
	}
	got := map[string]string{}
	for _, p := range doc.Suites[0].Properties {
		got[p.Name] = p.Value
	}
	for name, want := range map[string]string{
		"invocation.health.stats.count":                    "1",
		"invocation.health.stats.error_rate":               "0",
		"invocation.health.stats.duration_ms.p95":          "12",
		"invocation.health.stats.function_duration_ms.max": "3",
		"invocation.health.stats.versions.7":               "1",
		"invocation.health.stats.gate.assert[0]":           "true",
	} {
		if got[name] != want {
			t.Errorf("property %s = %q, want %q (all: %v)", name, got[name], want, got)
		}
	}
}
