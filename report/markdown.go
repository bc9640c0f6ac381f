package report

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/fnprobe/fnprobe/executor"
)

// DefaultMarkdownLimit bounds a Markdown summary: GitHub refuses a step
// summary over 1 MiB, and the summary says what it left out to stay under
// this half of it.
const DefaultMarkdownLimit = 512 << 10

// Markdown collects one suite's run and renders it as a Markdown summary
// (-report-markdown FILE, and GitHub's step summary): a title, the
// outcome, a table of invocations, each failure and warning with its
// diagnostic in a fenced code block, and the statistics of each sample.
//
// Every string is redacted before it is escaped for Markdown, and the
// whole text once more. Markdown is safe for concurrent use.
type Markdown struct {
	mu       sync.Mutex
	opts     Options
	results  []mdResult
	runDiags hcl.Diagnostics
	samples  []addrSample
	summary  *executor.Summary
}

type mdResult struct {
	addr     string
	status   executor.Status
	reason   string
	attempts int
	duration time.Duration
	diags    hcl.Diagnostics
	repro    *executor.ReproInfo
}

// NewMarkdown returns a Markdown collector of one suite; render it with
// MarkdownSummary after the run.
func NewMarkdown(opts Options) *Markdown {
	return &Markdown{opts: opts}
}

// Event implements executor.Observer.
func (m *Markdown) Event(e executor.Event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch e.Type {
	case executor.EventResult:
		if e.Invocation == nil || e.Result == nil {
			return
		}
		r := e.Result
		m.results = append(m.results, mdResult{
			addr: e.Invocation.Addr, status: r.Status, reason: r.Reason,
			attempts: r.Attempts, duration: r.Duration, diags: r.Diags, repro: r.Repro,
		})
	case executor.EventDiagnostic:
		m.runDiags = append(m.runDiags, e.Diags...)
	case executor.EventSample:
		if e.Invocation != nil && e.Sample != nil {
			m.samples = append(m.samples, addrSample{e.Invocation.Addr, e.Sample})
		}
	case executor.EventSummary:
		if e.Summary != nil {
			s := *e.Summary
			m.summary = &s
		}
	}
}

// MarkdownSummary renders the summaries of the suites one command ran, in
// order, in at most limit bytes (0: DefaultMarkdownLimit): each suite gets
// an equal share, and what does not fit is counted, never dropped
// silently ("… 3 more failures not shown").
func MarkdownSummary(suites []*Markdown, limit int) []byte {
	if limit <= 0 {
		limit = DefaultMarkdownLimit
	}
	if len(suites) == 0 {
		return nil
	}
	share := limit / len(suites)
	var b strings.Builder
	for i, m := range suites {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(m.render(share - 1))
	}
	return []byte(b.String())
}

// exitMeaning says what an exit code means, as docs/cli.md does.
func exitMeaning(code int) string {
	switch code {
	case executor.ExitOK:
		return "every check passed"
	case executor.ExitFailed:
		return "a check failed"
	case executor.ExitConfig:
		return "the suite or the command line is invalid; nothing was invoked"
	case executor.ExitUnanswered:
		return "an invocation could not be made or answered, or a report could not be written"
	case executor.ExitInternal:
		return "internal error (a bug in fnprobe)"
	case executor.ExitInterrupted:
		return "interrupted"
	}
	return "unknown"
}

// mdBlock is a failure's section: its heading and its fenced diagnostic.
type mdBlock struct {
	title, body string
}

// render renders the suite in at most limit bytes.
func (m *Markdown) render(limit int) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	o := m.opts
	// clean redacts s and makes it one line of Markdown text.
	clean := func(s string) string { return mdText(escapeLine(o.redact(s))) }
	// code redacts s and makes it a code span; cell, one in a table.
	code := func(s string) string { return mdCode(escapeLine(o.redact(s))) }
	cell := func(s string) string { return mdCode(strings.ReplaceAll(escapeLine(o.redact(s)), "|", `\|`)) }

	// The title and the outcome.
	var head strings.Builder
	title := "fnprobe"
	name := o.Suite
	if name == "" {
		name = o.Path
	}
	if name != "" {
		title += ": " + code(name)
	}
	head.WriteString("## " + title + "\n\n")
	switch s := m.summary; {
	case s == nil && len(m.results) == 0:
		code := executor.ExitConfig
		if len(m.runDiags) == 0 {
			code = executor.ExitInternal
		}
		fmt.Fprintf(&head, "❌ **Nothing was run.** Exit code %d: %s.\n", code, exitMeaning(code))
	case s == nil:
		fmt.Fprintf(&head, "❌ **The run did not finish** (%d results). Exit code %d: %s.\n", len(m.results), executor.ExitInternal, exitMeaning(executor.ExitInternal))
	default:
		mark := "✅"
		switch {
		case s.Interrupted || s.ExitCode == executor.ExitInterrupted:
			mark = "⚠️"
		case s.ExitCode != executor.ExitOK:
			mark = "❌"
		}
		line := summaryMessage(s, palette(false))
		verdict, counts, _ := strings.Cut(line, " ")
		fmt.Fprintf(&head, "%s **%s** %s Exit code %d: %s. Duration %s.\n", mark, mdText(verdict), mdText(counts), s.ExitCode, exitMeaning(s.ExitCode), formatDuration(s.Duration))
	}

	// The samples' statistics: few, and shown before what is cut.
	var samples strings.Builder
	sm := append([]addrSample(nil), m.samples...)
	sort.SliceStable(sm, func(i, j int) bool { return sm[i].addr < sm[j].addr })
	if len(sm) > 0 {
		samples.WriteString("\n### Samples\n\n")
		samples.WriteString("| invocation | count | error rate | p50 ms | p95 ms | p99 ms | max ms | gates |\n")
		samples.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n")
		for _, s := range sm {
			d := statAttr(s.info.Stats, "duration_ms")
			var gates []string
			for _, g := range s.info.Gates {
				mark := "✓"
				if !g.Passed {
					mark = "✗"
					if g.Severity == "warn" {
						mark = "!"
					}
				}
				gates = append(gates, mark+" "+cell(g.Name))
			}
			if len(gates) == 0 {
				gates = []string{"-"}
			}
			fmt.Fprintf(&samples, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", cell(s.addr),
				num(s.info.Stats, "count"), percent(s.info.Stats, "error_rate"),
				num(d, "p50"), num(d, "p95"), num(d, "p99"), num(d, "max"), strings.Join(gates, ", "))
		}
	}

	// The invocations, by address.
	results := append([]mdResult(nil), m.results...)
	sort.SliceStable(results, func(i, j int) bool { return results[i].addr < results[j].addr })
	var rows []string
	for _, r := range results {
		outcome := outcomeCell(r)
		rows = append(rows, fmt.Sprintf("| %s | %s | %d | %s |\n", cell(r.addr), outcome, r.attempts, formatDuration(r.duration)))
	}

	// The failures and warnings, as the console shows them, errors first.
	invs := make([]invocationDiags, len(results))
	for i, r := range results {
		invs[i] = invocationDiags{addr: r.addr, diags: r.diags, errored: r.status == executor.StatusError, reason: r.reason, repro: r.repro}
	}
	var blocks []mdBlock
	for _, f := range failuresInOrder(invs, m.runDiags, o) {
		d := f.Diagnostic
		t := clean(d.Summary)
		if d.Address != "" {
			t = code(d.Address) + ": " + t
		}
		sev := "Error"
		if d.Severity == SeverityWarning {
			sev = "Warning"
		}
		text := o.redact(formatDiagnostic(d, palette(false), o.width(), false))
		body := fenced(text)
		if f.repro != nil {
			// An invocation's repro lines follow its last error, in a
			// block of their own that people copy.
			body += "\n" + fencedAs("sh", o.redact(reproLines(f.repro, "# ", o.redact)))
		}
		blocks = append(blocks, mdBlock{title: sev + ": " + t, body: body})
	}

	// Within limit: the head and the samples always (the samples dropped
	// if even they do not fit), then rows and failures while they fit.
	const reserve = 512 // the headers and notes of what was left out
	budget := limit - head.Len() - reserve
	if samples.Len() > budget {
		samples.Reset()
		fmt.Fprintf(&samples, "\n_… the statistics of %d samples not shown (too large for the summary)._\n", len(sm))
	}
	budget -= samples.Len()

	var b strings.Builder
	b.WriteString(head.String())
	if len(rows) > 0 {
		tableBudget := budget
		if len(blocks) > 0 {
			tableBudget = budget / 2
		}
		b.WriteString("\n| invocation | outcome | attempts | duration |\n| --- | --- | ---: | ---: |\n")
		used, shown := 0, 0
		for _, row := range rows {
			if used+len(row) > tableBudget {
				break
			}
			b.WriteString(row)
			used += len(row)
			shown++
		}
		if n := len(rows) - shown; n > 0 {
			fmt.Fprintf(&b, "\n_… %s not shown (the summary is limited to %d KiB)._\n", plural(n, "more invocation"), limit>>10)
		}
		budget -= used + 100
	}
	b.WriteString(samples.String())
	if len(blocks) > 0 {
		b.WriteString("\n### Failures and warnings\n")
		used, shown := 0, 0
		for _, blk := range blocks {
			s := "\n#### " + blk.title + "\n\n" + blk.body
			if used+len(s) > budget {
				break
			}
			b.WriteString(s)
			used += len(s)
			shown++
		}
		if n := len(blocks) - shown; n > 0 {
			fmt.Fprintf(&b, "\n_… %s not shown (the summary is limited to %d KiB; the job log and the JUnit report have them all)._\n", plural(n, "more failure"), limit>>10)
		}
	}
	return o.redact(b.String())
}

// outcomeCell is the outcome of an invocation in the table.
func outcomeCell(r mdResult) string {
	warnings := countSeverity(r.diags, hcl.DiagWarning)
	var s string
	switch r.status {
	case executor.StatusPass:
		s = "✅ pass"
		if warnings > 0 {
			s = "⚠️ pass"
		}
	case executor.StatusFail:
		s = "❌ fail"
	case executor.StatusError:
		s = "⛔ error"
	case executor.StatusSkip:
		s = "⏭️ skip"
	default:
		s = mdText(r.status.String())
	}
	if warnings > 0 {
		s += ", " + plural(warnings, "warning")
	}
	return s
}

// mdText escapes one line of text for Markdown (a heading, a paragraph, a
// table cell): every ASCII punctuation character that could start markup,
// a link, an HTML tag, an entity, a mention, an emoji shortcode or math,
// or end a table cell, is backslash-escaped. The text has no line breaks
// (escapeLine made them visible as \n).
func mdText(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("\\`*_[]<>#!|~&$@:", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// mdCode makes s, one line, a code span: its delimiter is longer than any
// run of backticks in it, so nothing inside is markup.
func mdCode(s string) string {
	delim := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || s == "" {
		s = " " + s + " "
	}
	return delim + s + delim
}

// longestRun is the length of the longest run of c in s.
func longestRun(s string, c rune) int {
	longest, run := 0, 0
	for _, r := range s {
		if r == c {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

// fenced puts text in a fenced code block whose fence is longer than any
// run of backticks in it, so nothing inside can close it.
func fenced(text string) string { return fencedAs("text", text) }

// fencedAs fences text as code of the language lang.
func fencedAs(lang, text string) string {
	fence := strings.Repeat("`", max(3, longestRun(text, '`')+1))
	return fence + lang + "\n" + strings.TrimRight(text, "\n") + "\n" + fence + "\n"
}
