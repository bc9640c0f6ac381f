package report

import (
	"bufio"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcled"
	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/executor"
	"github.com/fnprobe/fnprobe/spec"
)

// Diagnostic severities as they appear in Diagnostic.Severity.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
	SeverityUnknown = "unknown"
)

// Diagnostic is the JSON-ready form of an hcl.Diagnostic. The human renderer
// formats it and the JSON renderer marshals it, so both show the same facts.
// Every string in it has passed through the Redactor.
type Diagnostic struct {
	Severity string `json:"severity"` // "error", "warning" or "unknown"
	Summary  string `json:"summary"`
	Detail   string `json:"detail"`
	// Address is the invocation the diagnostic is about, when the renderer
	// knows it ("invocation.create"); "" for configuration and run-level
	// diagnostics.
	Address string   `json:"address,omitempty"`
	Range   *Range   `json:"range,omitempty"`
	Snippet *Snippet `json:"snippet,omitempty"`
}

// Pos is a position in a source file.
type Pos struct {
	Line   int `json:"line"`   // 1-based
	Column int `json:"column"` // 1-based, in Unicode characters
	Byte   int `json:"byte"`   // 0-based byte offset into the file
}

// Range is a span of a source file: Start inclusive, End exclusive.
type Range struct {
	Filename string `json:"filename"`
	Start    Pos    `json:"start"`
	End      Pos    `json:"end"`
}

// Snippet is the source code around a diagnostic's subject. A diagnostic may
// have a Range but no Snippet when its source file is not available.
type Snippet struct {
	// Context names the top-level block the subject is in, e.g.
	// `invocation "create"`; nil when there is none.
	Context *string `json:"context"`
	// Code is the source lines covering the subject (and its context range),
	// without the final newline.
	Code string `json:"code"`
	// StartLine is the line number of the first line of Code.
	StartLine int `json:"start_line"`
	// HighlightStartOffset and HighlightEndOffset are byte offsets into Code
	// delimiting the subject.
	HighlightStartOffset int `json:"highlight_start_offset"`
	HighlightEndOffset   int `json:"highlight_end_offset"`
	// Values lists the values of the references in the diagnostic's
	// expression, sorted by Traversal. Never nil.
	Values []ExpressionValue `json:"values"`
}

// ExpressionValue states the value one reference had when the expression was
// evaluated: Traversal "self.json.qty", Statement "is 2".
type ExpressionValue struct {
	Traversal string `json:"traversal"`
	Statement string `json:"statement"`
}

// NewDiagnostic converts d, rendering its source snippet from files and the
// values of the references in d.Expression (evaluated in d.EvalContext).
// Every string is passed through r, which may be nil; values carrying the
// spec.Sensitive mark are stated as "has a sensitive value".
func NewDiagnostic(d *hcl.Diagnostic, files map[string]*hcl.File, r *spec.Redactor) Diagnostic {
	var out Diagnostic
	if d == nil {
		return out
	}
	switch d.Severity {
	case hcl.DiagError:
		out.Severity = SeverityError
	case hcl.DiagWarning:
		out.Severity = SeverityWarning
	default:
		out.Severity = SeverityUnknown
	}
	out.Summary = r.String(d.Summary)
	out.Detail = r.String(d.Detail)

	if d.Subject == nil {
		return out
	}
	highlight := *d.Subject
	// Some diagnostics leave the end unset; empty ranges render oddly.
	if highlight.End == (hcl.Pos{}) {
		highlight.End = highlight.Start
	}
	snippetRange := highlight
	if d.Context != nil {
		snippetRange = hcl.RangeOver(*d.Context, highlight)
	}
	if snippetRange.Empty() {
		snippetRange.End.Byte++
		snippetRange.End.Column++
	}
	if highlight.Empty() {
		highlight.End.Byte++
		highlight.End.Column++
	}
	out.Range = &Range{
		Filename: r.String(highlight.Filename),
		Start:    Pos{Line: highlight.Start.Line, Column: highlight.Start.Column, Byte: highlight.Start.Byte},
		End:      Pos{Line: highlight.End.Line, Column: highlight.End.Column, Byte: highlight.End.Byte},
	}

	file := files[highlight.Filename]
	if file == nil || file.Bytes == nil {
		return out
	}
	src := file.Bytes
	snip := &Snippet{StartLine: snippetRange.Start.Line, Values: []ExpressionValue{}}
	if ctx := hcled.ContextString(file, highlight.Start.Byte-1); ctx != "" {
		ctx = r.String(ctx)
		snip.Context = &ctx
	}

	// The lines the snippet range covers (blank ones included), and where
	// they start. A range ending at the start of a line does not cover it.
	firstLine, lastLine := snippetRange.Start.Line, snippetRange.End.Line
	if snippetRange.End.Column <= 1 && lastLine > firstLine {
		lastLine--
	}
	var code strings.Builder
	codeStart := -1
	sc := hcl.NewRangeScanner(src, highlight.Filename, bufio.ScanLines)
	for sc.Scan() {
		line := sc.Range()
		if line.Start.Line > lastLine {
			break // the rest of the file is not shown: do not scan it
		}
		if line.Start.Line < firstLine {
			continue
		}
		if codeStart < 0 {
			codeStart = line.Start.Byte
			snip.StartLine = line.Start.Line
		}
		code.Write(line.SliceBytes(src))
		code.WriteByte('\n')
	}
	if codeStart < 0 {
		codeStart = 0
	}
	codeStr := strings.TrimSuffix(code.String(), "\n")
	start := clamp(highlight.Start.Byte-codeStart, 0, len(codeStr))
	end := clamp(start+(highlight.End.Byte-highlight.Start.Byte), start, len(codeStr))
	snip.Code, snip.HighlightStartOffset, snip.HighlightEndOffset = redactCode(r, codeStr, start, end)

	if d.Expression != nil && d.EvalContext != nil {
		snip.Values = expressionValues(d.Expression, d.EvalContext, r)
	}
	out.Snippet = snip
	return out
}

// redactCode redacts the three parts of a snippet separately, so the
// highlight offsets stay right. A secret straddling a boundary is caught by
// redacting the whole, at the cost of a coarser highlight.
func redactCode(r *spec.Redactor, code string, start, end int) (string, int, int) {
	before, mid, after := r.String(code[:start]), r.String(code[start:end]), r.String(code[end:])
	joined := before + mid + after
	if whole := r.String(code); whole != joined {
		// A secret spans a boundary: use the whole redacted text and
		// approximate the highlight.
		s := clamp(start, 0, len(whole))
		return whole, s, clamp(end+len(whole)-len(code), s, len(whole))
	}
	return joined, len(before), len(before) + len(mid)
}

func clamp(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// expressionValues states the value of every reference in expr, evaluated
// in ctx: the longest prefix of each traversal that evaluates without error,
// de-duplicated and sorted.
func expressionValues(expr hcl.Expression, ctx *hcl.EvalContext, r *spec.Redactor) []ExpressionValue {
	values := []ExpressionValue{}
	seen := map[string]bool{}
	for _, t := range expr.Variables() {
		for len(t) > 1 {
			name, statement, ok := describeTraversal(t, ctx, r)
			if !ok {
				t = t[:len(t)-1]
				continue
			}
			if !seen[name] {
				seen[name] = true
				values = append(values, ExpressionValue{Traversal: name, Statement: statement})
			}
			break
		}
	}
	sort.Slice(values, func(i, j int) bool { return values[i].Traversal < values[j].Traversal })
	return values
}

// describeTraversal evaluates t in ctx and states its value, redacted by r.
// ok is false when t does not evaluate; a panic from an unusual value counts
// as that too, since a report must never bring the run down.
func describeTraversal(t hcl.Traversal, ctx *hcl.EvalContext, r *spec.Redactor) (name, statement string, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	v, diags := t.TraverseAbs(ctx)
	if diags.HasErrors() {
		return "", "", false
	}
	return traversalString(t, r), valueStatement(v, r), true
}

// valueStatement says what v is: "is 2", "is \"created\"", "is null",
// "has a sensitive value", "is a map of string, known only after invocation".
// Strings pass through r (which may be nil) before they are quoted, so a
// secret is found as it is, not as quoting escaped it.
func valueStatement(v cty.Value, r *spec.Redactor) string {
	if isSensitive(v) {
		return "has a sensitive value"
	}
	v, _ = v.UnmarkDeep()
	if !v.IsKnown() {
		ty := v.Type()
		if ty == cty.DynamicPseudoType {
			return "will be known only after invocation"
		}
		if ty.IsCollectionType() {
			rng := v.Range()
			lo, hi := rng.LengthLowerBound(), rng.LengthUpperBound()
			const limit = 1024
			switch {
			case lo == hi:
				return fmt.Sprintf("is a %s of length %d, known only after invocation", ty.FriendlyName(), lo)
			case lo != 0 && hi <= limit:
				return fmt.Sprintf("is a %s with between %d and %d elements, known only after invocation", ty.FriendlyName(), lo, hi)
			case lo != 0:
				return fmt.Sprintf("is a %s with at least %d elements, known only after invocation", ty.FriendlyName(), lo)
			case hi <= limit:
				return fmt.Sprintf("is a %s with up to %d elements, known only after invocation", ty.FriendlyName(), hi)
			}
		}
		return fmt.Sprintf("is a %s, known only after invocation", ty.FriendlyName())
	}
	return "is " + compactValueStr(v, r)
}

// isSensitive reports whether v or anything inside it carries the
// spec.Sensitive mark.
func isSensitive(v cty.Value) bool {
	return v.HasMarkDeep(spec.Sensitive)
}

// compactValueStr summarises a known, unmarked value on one line: primitives
// in full (strings redacted by r, then quoted), collections and objects by
// type and size.
func compactValueStr(v cty.Value, r *spec.Redactor) string {
	ty := v.Type()
	switch {
	case v.IsNull():
		return "null"
	case !v.IsKnown():
		return "(known after invocation)"
	case ty == cty.Bool:
		if v.True() {
			return "true"
		}
		return "false"
	case ty == cty.Number:
		return formatNumber(v)
	case ty == cty.String:
		return quoteString(r.String(v.AsString()))
	case ty.IsCollectionType() || ty.IsTupleType():
		switch n := v.LengthInt(); n {
		case 0:
			return "empty " + ty.FriendlyName()
		case 1:
			return ty.FriendlyName() + " with 1 element"
		default:
			return fmt.Sprintf("%s with %d elements", ty.FriendlyName(), n)
		}
	case ty.IsObjectType():
		atys := ty.AttributeTypes()
		switch len(atys) {
		case 0:
			return "object with no attributes"
		case 1:
			for name := range atys {
				return "object with 1 attribute " + quoteString(r.String(name))
			}
		}
		return fmt.Sprintf("object with %d attributes", len(atys))
	}
	return ty.FriendlyName()
}

// traversalString renders a traversal in HCL-like syntax: self.json.items[0].
// Names and keys pass through r before any quoting.
func traversalString(t hcl.Traversal, r *spec.Redactor) string {
	var b strings.Builder
	for _, step := range t {
		switch s := step.(type) {
		case hcl.TraverseRoot:
			b.WriteString(r.String(s.Name))
		case hcl.TraverseAttr:
			b.WriteByte('.')
			b.WriteString(r.String(s.Name))
		case hcl.TraverseIndex:
			b.WriteByte('[')
			key, _ := s.Key.UnmarkDeep()
			if key.Type().IsPrimitiveType() && !isSensitive(s.Key) {
				b.WriteString(compactValueStr(key, r))
			} else {
				b.WriteString("...")
			}
			b.WriteByte(']')
		case hcl.TraverseSplat:
			b.WriteString("[*]")
		}
	}
	return b.String()
}

// diagnostics converts diags, setting Address on each (may be "").
func diagnostics(diags hcl.Diagnostics, addr string, opts Options) []Diagnostic {
	out := make([]Diagnostic, 0, len(diags))
	for _, d := range diags {
		if d == nil {
			continue
		}
		nd := NewDiagnostic(d, opts.Files, opts.Redactor)
		nd.Address = opts.redact(addr)
		out = append(out, nd)
	}
	return out
}

// errorsFirst stably orders diagnostics: errors, then warnings, then the rest.
func errorsFirst(diags []Diagnostic) {
	sort.SliceStable(diags, func(i, j int) bool { return severityRank(diags[i].Severity) < severityRank(diags[j].Severity) })
}

// severityRank is the place of a severity in errorsFirst's order.
func severityRank(s string) int {
	switch s {
	case SeverityError:
		return 0
	case SeverityWarning:
		return 1
	}
	return 2
}

// invocationDiags is what one invocation contributes to the failures a
// view lists.
type invocationDiags struct {
	addr  string
	diags hcl.Diagnostics
	// errored says the invocation could not be made: with no diagnostic,
	// it is listed as an "Invocation could not be made" error whose detail
	// is reason.
	errored bool
	reason  string
	repro   *executor.ReproInfo // nil: none
}

// failure is one entry of the list failuresInOrder returns.
type failure struct {
	Diagnostic
	// inv is the index, in failuresInOrder's argument, of the invocation
	// the diagnostic is about; -1 for a run-level diagnostic.
	inv int
	// unmade marks the "Invocation could not be made" entry of an errored
	// invocation without diagnostics.
	unmade bool
	// repro is the invocation's repro, set on its last error only: the
	// view shows it after that diagnostic. nil elsewhere.
	repro *executor.ReproInfo
}

// failuresInOrder is the failures and warnings of a run as every view lists
// them: the invocations' diagnostics by address, then the run-level ones
// (runDiags), stably ordered by errorsFirst; each invocation's repro is
// attached to its last error.
func failuresInOrder(invs []invocationDiags, runDiags hcl.Diagnostics, opts Options) []failure {
	order := make([]int, len(invs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return invs[order[i]].addr < invs[order[j]].addr })
	var out []failure
	for _, i := range order {
		inv := invs[i]
		ds := diagnostics(inv.diags, inv.addr, opts)
		for _, d := range ds {
			out = append(out, failure{Diagnostic: d, inv: i})
		}
		if len(ds) == 0 && inv.errored {
			d := Diagnostic{Severity: SeverityError, Summary: "Invocation could not be made", Detail: opts.redact(inv.reason), Address: opts.redact(inv.addr)}
			out = append(out, failure{Diagnostic: d, inv: i, unmade: true})
		}
	}
	for _, d := range diagnostics(runDiags, "", opts) {
		out = append(out, failure{Diagnostic: d, inv: -1})
	}
	sort.SliceStable(out, func(i, j int) bool { return severityRank(out[i].Severity) < severityRank(out[j].Severity) })
	last := map[int]int{}
	for i, f := range out {
		if f.inv >= 0 && f.Severity == SeverityError && invs[f.inv].repro != nil {
			last[f.inv] = i
		}
	}
	for inv, i := range last {
		out[i].repro = invs[inv].repro
	}
	return out
}
