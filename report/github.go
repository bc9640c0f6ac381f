package report

import (
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"

	"github.com/fnprobe/fnprobe/executor"
)

// maxAnnotationMessage bounds the message of one annotation, in bytes
// before escaping: GitHub shows an annotation's first lines only, and the
// full diagnostic is in the log above it.
const maxAnnotationMessage = 8 << 10

// GitHubPaths says how the files of annotations are named: relative to
// the repository's checkout (GITHUB_WORKSPACE), so that GitHub can place
// them on the pull request's diff.
type GitHubPaths struct {
	// Workspace is GITHUB_WORKSPACE; "" leaves file names as they are.
	Workspace string
	// Dir is the working directory, against which relative file names
	// are resolved before they are made relative to Workspace.
	Dir string
}

// rel names file relative to the workspace when it is inside it, with
// forward slashes; otherwise it returns file unchanged.
func (p GitHubPaths) rel(file string) string {
	if p.Workspace == "" || file == "" {
		return file
	}
	abs := file
	if !filepath.IsAbs(abs) {
		if p.Dir == "" {
			return file
		}
		abs = filepath.Join(p.Dir, abs)
	}
	rel, err := filepath.Rel(filepath.Clean(p.Workspace), filepath.Clean(abs))
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return file
	}
	return filepath.ToSlash(rel)
}

// GitHub collects a run's failed and errored checks and writes them as
// GitHub Actions workflow commands (`::error file=…,line=…::message`),
// which GitHub shows as annotations on the files and the pull request:
// an error-severity diagnostic is an ::error, a warning (a check with
// severity = "warn") a ::warning. An errored invocation without a
// diagnostic is annotated on its invocation block.
//
// Every string is redacted before it is escaped, and each line once more
// when it is complete. GitHub is safe for concurrent use.
type GitHub struct {
	mu       sync.Mutex
	opts     Options
	paths    GitHubPaths
	results  []githubResult
	runDiags hcl.Diagnostics
}

type githubResult struct {
	inv    executor.InvocationInfo
	status executor.Status
	reason string
	diags  hcl.Diagnostics
	repro  *executor.ReproInfo // nil: none
}

// NewGitHub returns a GitHub collector; write the annotations with WriteTo
// after the run.
func NewGitHub(opts Options, paths GitHubPaths) *GitHub {
	return &GitHub{opts: opts, paths: paths}
}

// Event implements executor.Observer.
func (g *GitHub) Event(e executor.Event) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch e.Type {
	case executor.EventResult:
		if e.Invocation == nil || e.Result == nil {
			return
		}
		r := e.Result
		if len(r.Diags) == 0 && r.Status != executor.StatusError {
			return
		}
		g.results = append(g.results, githubResult{inv: *e.Invocation, status: r.Status, reason: r.Reason, diags: r.Diags, repro: r.Repro})
	case executor.EventDiagnostic:
		g.runDiags = append(g.runDiags, e.Diags...)
	}
}

// WriteTo writes one workflow command per annotation, one a line. It
// implements io.WriterTo.
func (g *GitHub) WriteTo(w io.Writer) (int64, error) {
	g.mu.Lock()
	results := append([]githubResult(nil), g.results...)
	runDiags := append(hcl.Diagnostics(nil), g.runDiags...)
	g.mu.Unlock()

	invs := make([]invocationDiags, len(results))
	for i, r := range results {
		invs[i] = invocationDiags{addr: r.inv.Addr, diags: r.diags, errored: r.status == executor.StatusError, reason: r.reason, repro: r.repro}
	}
	var anns []Annotation
	for _, f := range failuresInOrder(invs, runDiags, g.opts) {
		if f.inv < 0 {
			anns = append(anns, annotationOf(f.Diagnostic, nil, g.opts))
			continue
		}
		r := results[f.inv]
		block := invocationRange(r.inv, g.opts)
		a := annotationOf(f.Diagnostic, block, g.opts)
		if f.unmade {
			reason := r.reason
			if reason == "" {
				reason = "the invocation could not be made"
			}
			a.Message = g.opts.redact(reason)
		}
		// The invocation's last error says how to rerun just it.
		if f.repro != nil && f.repro.Rerun != "" {
			a.Message += "\n\nRerun just this invocation: " + g.opts.redact(f.repro.Rerun)
		}
		anns = append(anns, a)
	}
	return writeAnnotations(w, anns, g.opts, g.paths)
}

// WriteAnnotations writes diags (configuration and command-line
// diagnostics, before any run) as workflow commands to w.
func WriteAnnotations(w io.Writer, diags hcl.Diagnostics, opts Options, paths GitHubPaths) error {
	var anns []Annotation
	for _, d := range diagnostics(diags, "", opts) {
		anns = append(anns, annotationOf(d, nil, opts))
	}
	errorsFirstAnnotations(anns)
	_, err := writeAnnotations(w, anns, opts, paths)
	return err
}

// Annotation is one GitHub workflow command: Level "error", "warning" or
// "notice", at Range (nil: no position), with a title and a message. Its
// strings are redacted already.
type Annotation struct {
	Level   string
	Range   *Range
	Title   string
	Message string
}

// annotationOf is the annotation of a diagnostic; fallback is where it
// goes when the diagnostic has no range (the invocation block).
func annotationOf(d Diagnostic, fallback *Range, opts Options) Annotation {
	a := Annotation{Level: "error", Range: d.Range, Title: d.Summary}
	if d.Severity == SeverityWarning {
		a.Level = "warning"
	}
	if a.Range == nil {
		a.Range = fallback
	}
	if d.Address != "" {
		a.Title = d.Address + ": " + d.Summary
	}
	if a.Title == "" {
		a.Title = "fnprobe"
	}
	// The message: the detail, then the values involved, as the console
	// shows them (without the snippet: the annotation sits on it).
	msg := d.Detail
	if d.Snippet != nil && len(d.Snippet.Values) > 0 {
		var vals []string
		for _, v := range d.Snippet.Values {
			vals = append(vals, v.Traversal+" "+v.Statement)
		}
		if msg != "" {
			msg += "\n\n"
		}
		msg += strings.Join(vals, "\n")
	}
	if msg == "" {
		msg = d.Summary
	}
	a.Message = opts.redact(msg)
	return a
}

// invocationRange is the invocation block's declaration, nil when unknown.
func invocationRange(inv executor.InvocationInfo, opts Options) *Range {
	r := inv.Range
	if r.Filename == "" {
		return nil
	}
	return &Range{
		Filename: opts.redact(r.Filename),
		Start:    Pos{Line: r.Start.Line, Column: r.Start.Column, Byte: r.Start.Byte},
		End:      Pos{Line: r.End.Line, Column: r.End.Column, Byte: r.End.Byte},
	}
}

func errorsFirstAnnotations(anns []Annotation) {
	sort.SliceStable(anns, func(i, j int) bool { return anns[i].Level == "error" && anns[j].Level != "error" })
}

// writeAnnotations writes each annotation as one line.
func writeAnnotations(w io.Writer, anns []Annotation, opts Options, paths GitHubPaths) (int64, error) {
	var b strings.Builder
	for _, a := range anns {
		b.WriteString(opts.redact(FormatAnnotation(a, opts, paths)))
		b.WriteByte('\n')
	}
	n, err := io.WriteString(w, b.String())
	if err != nil {
		return int64(n), fmt.Errorf("report: writing GitHub annotations: %w", err)
	}
	return int64(n), nil
}

// FormatAnnotation renders a as one workflow command, without the line
// break: every string is redacted, made safe for a terminal (control and
// bidi characters escaped, since GitHub's log renders ANSI), then escaped
// as the runner requires (see EscapeGitHubData and
// EscapeGitHubProperty). The message is bounded by maxAnnotationMessage.
func FormatAnnotation(a Annotation, opts Options, paths GitHubPaths) string {
	var props []string
	prop := func(name, value string) {
		props = append(props, name+"="+EscapeGitHubProperty(value))
	}
	if a.Range != nil && a.Range.Filename != "" {
		prop("file", escapeLine(paths.rel(opts.redact(a.Range.Filename))))
		s, e := a.Range.Start, a.Range.End
		if s.Line > 0 {
			prop("line", strconv.Itoa(s.Line))
			if e.Line == s.Line && s.Column > 0 {
				// Columns only on one line; HCL's end is exclusive,
				// GitHub's inclusive.
				prop("col", strconv.Itoa(s.Column))
				prop("endLine", strconv.Itoa(e.Line))
				prop("endColumn", strconv.Itoa(max(e.Column-1, s.Column)))
			} else if e.Line > s.Line {
				prop("endLine", strconv.Itoa(e.Line))
			}
		}
	}
	if a.Title != "" {
		prop("title", escapeLine(opts.redact(a.Title)))
	}
	level := a.Level
	switch level {
	case "error", "warning", "notice":
	default:
		level = "error"
	}
	msg := truncateMessage(escapeText(opts.redact(a.Message), true), maxAnnotationMessage)
	cmd := "::" + level
	if len(props) > 0 {
		cmd += " " + strings.Join(props, ",")
	}
	return cmd + "::" + EscapeGitHubData(msg)
}

// truncateMessage cuts s to at most limit bytes, on a rune boundary, and
// says so.
func truncateMessage(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	const note = "\n… (truncated; the full diagnostic is in the log)"
	cut := limit - len(note)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:max(cut, 0)] + note
}

// EscapeGitHubData escapes the message of a workflow command as the
// Actions runner unescapes it: % as %25, CR as %0D, LF as %0A. A literal
// "%0A" in s thus stays text ("%250A"), and "::" inside it cannot end the
// command early since the runner splits at the first "::" after the
// properties only.
func EscapeGitHubData(s string) string {
	return githubData.Replace(s)
}

// EscapeGitHubProperty escapes a property value of a workflow command:
// as EscapeGitHubData, plus ":" as %3A and "," as %2C, which would
// otherwise end the value or the properties.
func EscapeGitHubProperty(s string) string {
	return githubProperty.Replace(s)
}

var (
	githubData     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	githubProperty = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)
