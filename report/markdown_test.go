package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/executor"
	"github.com/fnprobe/fnprobe/spec"
)

func TestMarkdown(t *testing.T) {
	f := newFixture(t)
	opts := f.opts
	opts.Path = "suites/orders"
	m := NewMarkdown(opts)
	events := f.events(t)
	// A sample, with its statistics, before the summary.
	run(m, append(append(events[:len(events)-1:len(events)-1], sampleEvents(t, f)...), events[len(events)-1]))
	got := MarkdownSummary([]*Markdown{m}, 0)
	if bytes.Contains(got, []byte(secret)) {
		t.Errorf("the secret leaked into the Markdown summary")
	}
	for _, want := range []string{
		"## fnprobe: `suites/orders`\n",
		"❌ **Failure\\!** 2 passed, 1 failed, 1 errored, 1 skipped, 1 warning. Exit code 1: a check failed.",
		"| `invocation.create` | ❌ fail | 2 | 220ms |",
		"| `invocation.get` | ⚠️ pass, 1 warning | 1 | 12ms |",
		"#### Error: `invocation.create`: Assertion failed\n\n```text\nError: Assertion failed\n",
		"### Samples",
		"| `invocation.health` | 1 | 0% | 12 | 12 | 12 | 12 | ✓ `assert[0]` |",
	} {
		if !bytes.Contains(got, []byte(want)) {
			t.Errorf("missing %q", want)
		}
	}
	golden(t, "markdown.golden", got)
}

// Function output cannot break out of the fenced block, nor inject markup
// into headings and cells.
func TestMarkdownHostileText(t *testing.T) {
	inv := &executor.InvocationInfo{Addr: "invocation.x[\"<img src=x>|`*a*`\"]", Name: "x"}
	body := "before\n```\n# heading\n````\n<script>alert(1)</script>\n~~~\nafter"
	m := NewMarkdown(Options{})
	run(m, []executor.Event{
		{Type: executor.EventResult, Invocation: inv, Result: &executor.ResultInfo{
			Status: executor.StatusFail, Attempts: 1,
			Diags: hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Unexpected body [x](http://evil) @team :smile:", Detail: body}},
		}},
		{Type: executor.EventSummary, Summary: &executor.Summary{Total: 1, Failed: 1, ExitCode: 1}},
	})
	got := string(MarkdownSummary([]*Markdown{m}, 0))
	if !strings.Contains(got, "\n`````text\n") || !strings.Contains(got, "\n`````\n") {
		t.Errorf("the fence is not longer than the backtick runs inside:\n%s", got)
	}
	// Outside the block, addresses are code spans (delimited by more
	// backticks than they hold, a pipe escaped in the table) and text is
	// backslash-escaped.
	for _, want := range []string{
		"| ``invocation.x[\"<img src=x>\\|`*a*`\"]`` | ❌ fail | 1 | 0ms |\n",
		"#### Error: ``invocation.x[\"<img src=x>|`*a*`\"]``: Unexpected body \\[x\\](http\\://evil) \\@team \\:smile\\:\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
}

// The summary stays under its limit and says how much it left out.
func TestMarkdownLimit(t *testing.T) {
	m := NewMarkdown(Options{Path: "big"})
	var events []executor.Event
	n := 400
	for i := 0; i < n; i++ {
		inv := &executor.InvocationInfo{Addr: fmt.Sprintf("invocation.i%03d", i), Name: "i"}
		events = append(events, executor.Event{Type: executor.EventResult, Invocation: inv, Result: &executor.ResultInfo{
			Status: executor.StatusFail, Attempts: 1, Duration: time.Millisecond, Value: cty.NilVal,
			Diags: hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Unexpected body", Detail: strings.Repeat("x", 200)}},
		}})
	}
	events = append(events, executor.Event{Type: executor.EventSummary, Summary: &executor.Summary{Total: n, Failed: n, ExitCode: 1}})
	run(m, events)
	const limit = 32 << 10
	got := string(MarkdownSummary([]*Markdown{m}, limit))
	if len(got) > limit {
		t.Errorf("%d bytes, over the limit of %d", len(got), limit)
	}
	for _, want := range []string{"more invocations not shown", "more failures not shown", "## fnprobe: `big`", "Exit code 1"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q", want)
		}
	}
	// The counts add up.
	var rows, more, blocks, moreFail int
	rows = strings.Count(got, "| ❌ fail |")
	fmt.Sscanf(got[strings.Index(got, "_… ")+len("_… "):], "%d", &more)
	blocks = strings.Count(got, "#### Error:")
	i := strings.LastIndex(got, "_… ")
	fmt.Sscanf(got[i+len("_… "):], "%d", &moreFail)
	if rows+more != n || blocks+moreFail != n {
		t.Errorf("rows %d + %d, failures %d + %d, want %d each", rows, more, blocks, moreFail, n)
	}
	// Whatever the limit, the summary stays under it.
	for _, l := range []int{2 << 10, 4 << 10, 8 << 10, 20 << 10, 100 << 10} {
		if got := MarkdownSummary([]*Markdown{m}, l); len(got) > l {
			t.Errorf("limit %d: %d bytes", l, len(got))
		}
	}
	// Several suites share the limit.
	if got := MarkdownSummary([]*Markdown{m, m}, limit); len(got) > limit {
		t.Errorf("two suites: %d bytes, over the limit", len(got))
	}
}

func TestMarkdownNothingRun(t *testing.T) {
	m := NewMarkdown(Options{Suite: "a"})
	m.Event(executor.Event{Type: executor.EventDiagnostic, Diags: hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Unsupported argument"}}})
	got := string(MarkdownSummary([]*Markdown{m}, 0))
	if !strings.Contains(got, "**Nothing was run.** Exit code 2") || !strings.Contains(got, "#### Error: Unsupported argument") {
		t.Errorf("got:\n%s", got)
	}
}

// The repro lines are redacted before they are escaped (docs/ci.md): a
// secret holding characters the escaping changes (a tab, a control
// character) next to ones Go quoting would change (a quote, a backslash)
// appears in no form, not even escaped.
func TestMarkdownReproRedactedBeforeEscaped(t *testing.T) {
	const hidden = "p|a*s`s\"w\\o\tr\x01d"
	var red spec.Redactor
	red.Add(hidden)
	inv := &executor.InvocationInfo{Addr: "invocation.x", Name: "x"}
	m := NewMarkdown(Options{Redactor: &red})
	run(m, []executor.Event{
		{Type: executor.EventResult, Invocation: inv, Result: &executor.ResultInfo{
			Status: executor.StatusFail, Attempts: 1,
			Diags: hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Assertion failed"}},
			Repro: &executor.ReproInfo{
				Tool: "AWS CLI " + hidden, Doc: "https://example.com/" + hidden,
				Command:     "aws lambda invoke --payload '" + hidden + "' out.json",
				Rerun:       "fnprobe run -target='" + hidden + "'",
				PayloadFile: "repro/" + hidden + ".json",
				Note:        "the token " + hidden + " expires",
			},
		}},
		{Type: executor.EventSummary, Summary: &executor.Summary{Total: 1, Failed: 1, ExitCode: 1}},
	})
	got := string(MarkdownSummary([]*Markdown{m}, 0))
	if !strings.Contains(got, "aws lambda invoke --payload '"+spec.Redacted+"' out.json") {
		t.Fatalf("no repro command in:\n%s", got)
	}
	for _, form := range []string{hidden, escapeLine(hidden), mdText(hidden), "s`s", `w\o`, `r\x01d`, `o\tr`} {
		if strings.Contains(got, form) {
			t.Errorf("the secret leaked as %q into:\n%s", form, got)
		}
	}
}
