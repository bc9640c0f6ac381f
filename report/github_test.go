package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/fnprobe/fnprobe/executor"
	"github.com/fnprobe/fnprobe/spec"
)

func TestEscapeGitHub(t *testing.T) {
	for _, c := range []struct {
		name, in, data, prop string
	}{
		{"plain", "expected qty 3, got 2", "expected qty 3, got 2", "expected qty 3%2C got 2"},
		{"percent", "100% sure", "100%25 sure", "100%25 sure"},
		{"literal %0A stays text", "a%0Ab", "a%250Ab", "a%250Ab"},
		{"newlines", "line 1\nline 2\r\nline 3", "line 1%0Aline 2%0D%0Aline 3", "line 1%0Aline 2%0D%0Aline 3"},
		{"double colon", "a::error::b", "a::error::b", "a%3A%3Aerror%3A%3Ab"},
		{"comma and colon", "file=x,line=1:2", "file=x,line=1:2", "file=x%2Cline=1%3A2"},
		{"already escaped", "%25%3A%2C", "%2525%253A%252C", "%2525%253A%252C"},
		{"unicode", "秘密 ü", "秘密 ü", "秘密 ü"},
		{"empty", "", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := EscapeGitHubData(c.in); got != c.data {
				t.Errorf("EscapeGitHubData(%q) = %q, want %q", c.in, got, c.data)
			}
			if got := EscapeGitHubProperty(c.in); got != c.prop {
				t.Errorf("EscapeGitHubProperty(%q) = %q, want %q", c.in, got, c.prop)
			}
			// The runner's unescaping gives the text back.
			unData := strings.NewReplacer("%0D", "\r", "%0A", "\n", "%25", "%")
			unProp := strings.NewReplacer("%0D", "\r", "%0A", "\n", "%3A", ":", "%2C", ",", "%25", "%")
			if got := unData.Replace(EscapeGitHubData(c.in)); got != c.in {
				t.Errorf("data round trip: %q", got)
			}
			if got := unProp.Replace(EscapeGitHubProperty(c.in)); got != c.in {
				t.Errorf("property round trip: %q", got)
			}
		})
	}
}

func TestFormatAnnotation(t *testing.T) {
	r := &spec.Redactor{}
	r.Add("s3cr%t,:x")
	opts := Options{Redactor: r}
	rng := &Range{Filename: "/ws/suites/a,b:c.probe.hcl", Start: Pos{Line: 3, Column: 5}, End: Pos{Line: 3, Column: 9}}
	for _, c := range []struct {
		name  string
		a     Annotation
		paths GitHubPaths
		want  string
	}{
		{"error on one line", Annotation{Level: "error", Range: rng, Title: "invocation.x: Assertion failed", Message: "got 2\nwant 3"},
			GitHubPaths{Workspace: "/ws"},
			"::error file=suites/a%2Cb%3Ac.probe.hcl,line=3,col=5,endLine=3,endColumn=8,title=invocation.x%3A Assertion failed::got 2%0Awant 3"},
		{"outside the workspace", Annotation{Level: "warning", Range: rng, Title: "t", Message: "m"},
			GitHubPaths{Workspace: "/elsewhere"},
			"::warning file=/ws/suites/a%2Cb%3Ac.probe.hcl,line=3,col=5,endLine=3,endColumn=8,title=t::m"},
		{"relative to the working directory", Annotation{Level: "error", Range: &Range{Filename: "main.probe.hcl", Start: Pos{Line: 1, Column: 1}, End: Pos{Line: 4, Column: 2}}, Title: "t", Message: "m"},
			GitHubPaths{Workspace: "/ws", Dir: "/ws/suites"},
			"::error file=suites/main.probe.hcl,line=1,endLine=4,title=t::m"},
		{"no range", Annotation{Level: "error", Title: "Nothing selected", Message: "100% of nothing"},
			GitHubPaths{},
			"::error title=Nothing selected::100%25 of nothing"},
		{"secret redacted before escaping", Annotation{Level: "error", Range: rng, Title: "x s3cr%t,:x", Message: "key s3cr%t,:x\nand s3cr%25t"},
			GitHubPaths{},
			"::error file=/ws/suites/a%2Cb%3Ac.probe.hcl,line=3,col=5,endLine=3,endColumn=8,title=x (sensitive)::key (sensitive)%0Aand s3cr%2525t"},
		{"control characters", Annotation{Level: "notice", Title: "a\nb", Message: "\x1b[31mred\x1b[0m ::error::x %0A"},
			GitHubPaths{},
			`::notice title=a\n` + "b::" + `\x1b[31mred\x1b[0m ::error::x %250A`},
		{"unknown level", Annotation{Level: "fatal", Message: "m"}, GitHubPaths{}, "::error::m"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := FormatAnnotation(c.a, opts, c.paths)
			if got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
			if strings.ContainsAny(got, "\r\n") {
				t.Errorf("more than one line: %q", got)
			}
		})
	}
}

func TestAnnotationMessageBounded(t *testing.T) {
	msg := strings.Repeat("é", maxAnnotationMessage)
	got := FormatAnnotation(Annotation{Level: "error", Message: msg}, Options{}, GitHubPaths{})
	if len(got) > maxAnnotationMessage+64 || !strings.Contains(got, "truncated") {
		t.Errorf("%d bytes, not truncated visibly", len(got))
	}
	if !strings.HasSuffix(got, "(truncated; the full diagnostic is in the log)") {
		t.Errorf("no note at the end: %q", got[len(got)-80:])
	}
}

func TestGitHub(t *testing.T) {
	f := newFixture(t)
	g := NewGitHub(f.opts, GitHubPaths{Workspace: "/nowhere"})
	events := f.events(t)
	// An errored invocation without a diagnostic is annotated on its block.
	inv := f.info(t, "report", "")
	inv.Addr = "invocation.report2"
	events = append(events[:len(events)-1], executor.Event{Type: executor.EventResult, Invocation: inv, Result: &executor.ResultInfo{
		Status: executor.StatusError, Reason: "timed out, key " + secret + ": 100%",
	}}, events[len(events)-1])
	run(g, events)
	var buf bytes.Buffer
	if _, err := g.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(buf.Bytes(), []byte(secret)) {
		t.Errorf("the secret leaked into the annotations")
	}
	for i, line := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		if !strings.HasPrefix(line, "::error ") && !strings.HasPrefix(line, "::warning ") {
			t.Errorf("line %d is not a workflow command: %q", i+1, line)
		}
	}
	golden(t, "github.golden", buf.Bytes())
}

func TestWriteAnnotations(t *testing.T) {
	f := newFixture(t)
	var buf bytes.Buffer
	if err := WriteAnnotations(&buf, configDiags(t, f), f.opts, GitHubPaths{}); err != nil {
		t.Fatal(err)
	}
	got := buf.String()
	want := "::error file=testdata/suite.probe.hcl,line=18,col=14,endLine=18,endColumn=42,title=Unsupported argument::"
	if !strings.HasPrefix(got, want) || strings.Count(got, "\n") != len(configDiags(t, f)) {
		t.Errorf("got:\n%s", got)
	}
	if !strings.Contains(got, "::warning file=testdata/suite.probe.hcl") {
		t.Errorf("the warning is missing:\n%s", got)
	}
}

// A run-level error comes before the invocations' warnings, as on the
// console and in the Markdown summary, and an invocation's rerun line
// follows its last error.
func TestGitHubOrder(t *testing.T) {
	g := NewGitHub(Options{}, GitHubPaths{})
	run(g, []executor.Event{
		{Type: executor.EventResult, Invocation: &executor.InvocationInfo{Addr: "invocation.b"}, Result: &executor.ResultInfo{
			Status: executor.StatusFail, Repro: &executor.ReproInfo{Rerun: "fnprobe run -target=invocation.b"},
			Diags: hcl.Diagnostics{
				{Severity: hcl.DiagError, Summary: "first"},
				{Severity: hcl.DiagWarning, Summary: "slow"},
				{Severity: hcl.DiagError, Summary: "second"},
			},
		}},
		{Type: executor.EventResult, Invocation: &executor.InvocationInfo{Addr: "invocation.a"}, Result: &executor.ResultInfo{
			Status: executor.StatusError, Reason: "timed out",
		}},
		{Type: executor.EventDiagnostic, Diags: hcl.Diagnostics{
			{Severity: hcl.DiagWarning, Summary: "run warning"},
			{Severity: hcl.DiagError, Summary: "run error"},
		}},
	})
	var buf bytes.Buffer
	if _, err := g.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	want := "::error title=invocation.a%3A Invocation could not be made::timed out\n" +
		"::error title=invocation.b%3A first::first\n" +
		"::error title=invocation.b%3A second::second%0A%0ARerun just this invocation: fnprobe run -target=invocation.b\n" +
		"::error title=run error::run error\n" +
		"::warning title=invocation.b%3A slow::slow\n" +
		"::warning title=run warning::run warning\n"
	if got := buf.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
