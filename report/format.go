package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
)

// ANSI styles used by human output when Options.Color is set.
const (
	ansiReset     = "\x1b[0m"
	ansiBold      = "\x1b[1m"
	ansiUnderline = "\x1b[4m"
	ansiRed       = "\x1b[31m"
	ansiGreen     = "\x1b[32m"
	ansiYellow    = "\x1b[33m"
	ansiDarkGray  = "\x1b[90m"
)

// palette applies ANSI styles, or nothing when off.
type palette bool

// paint wraps s in the given styles.
func (p palette) paint(s string, styles ...string) string {
	if !p || s == "" {
		return s
	}
	return strings.Join(styles, "") + s + ansiReset
}

// WriteDiagnostics renders configuration and command-line diagnostics (the
// exit 2 path, before any run) for people: errors first, then warnings, each
// in the Terraform-like box that run output uses. Write errors are ignored,
// as for any terminal output.
func WriteDiagnostics(w io.Writer, diags hcl.Diagnostics, opts Options) {
	list := diagnostics(diags, "", opts)
	errorsFirst(list)
	for _, d := range list {
		_, _ = io.WriteString(w, formatDiagnostic(d, palette(opts.Color), opts.width(), true))
	}
}

// FormatDiagnostic renders one diagnostic as human text, without the box
// that run output draws around it; with color it uses ANSI styles.
// width is the wrapping column (negative: no wrapping).
func FormatDiagnostic(d Diagnostic, color bool, width int) string {
	return formatDiagnostic(d, palette(color), width, false)
}

// formatDiagnostic renders d the way Terraform does: the severity and
// summary, where it is, the source snippet with the subject highlighted, the
// values involved, then the wrapped detail. boxed draws a rule at the left.
func formatDiagnostic(d Diagnostic, p palette, width int, boxed bool) string {
	var b strings.Builder
	var sevColor string
	switch d.Severity {
	case SeverityError:
		sevColor = ansiRed
		b.WriteString(p.paint("Error: ", ansiBold, ansiRed))
	case SeverityWarning:
		sevColor = ansiYellow
		b.WriteString(p.paint("Warning: ", ansiBold, ansiYellow))
	}
	b.WriteString(p.paint(d.Summary, ansiBold))
	b.WriteString("\n\n")

	if d.Address != "" {
		fmt.Fprintf(&b, "  with %s,\n", d.Address)
	}
	if d.Range != nil {
		if d.Snippet == nil {
			fmt.Fprintf(&b, "  on %s line %d:\n  (source code not available)\n", d.Range.Filename, d.Range.Start.Line)
		} else {
			ctx := ""
			if d.Snippet.Context != nil {
				ctx = ", in " + *d.Snippet.Context
			}
			fmt.Fprintf(&b, "  on %s line %d%s:\n", d.Range.Filename, d.Range.Start.Line, ctx)
			writeSnippet(&b, d.Snippet, p)
		}
		b.WriteByte('\n')
	}

	if d.Detail != "" {
		paraWidth := width - 1
		if boxed {
			paraWidth -= 2
		}
		for _, line := range strings.Split(d.Detail, "\n") {
			if width > 0 && paraWidth > 0 && !strings.HasPrefix(line, " ") {
				line = wrapText(line, paraWidth)
			}
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}

	text := strings.TrimRight(b.String(), "\n") + "\n"
	if !boxed {
		return text
	}
	rule := func(s string) string {
		if sevColor == "" {
			return s
		}
		return p.paint(s, sevColor)
	}
	var out strings.Builder
	out.WriteString(rule("╷") + "\n")
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<30)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			out.WriteString(rule("│") + "\n")
			continue
		}
		out.WriteString(rule("│") + " " + line + "\n")
	}
	out.WriteString(rule("╵") + "\n")
	return out.String()
}

// writeSnippet writes the numbered code lines with the highlighted subject
// (underlined with color, marked with carets below the line without), then
// the values of the expression's references.
func writeSnippet(b *strings.Builder, s *Snippet, p palette) {
	code := s.Code
	hs := clamp(s.HighlightStartOffset, 0, len(code))
	he := clamp(s.HighlightEndOffset, hs, len(code))

	lineStart := 0
	for i, line := range strings.Split(code, "\n") {
		lineEnd := lineStart + len(line)
		// The part of the highlight on this line, as offsets into line.
		from, to := clamp(hs-lineStart, 0, len(line)), clamp(he-lineStart, 0, len(line))
		onLine := from < to
		if hs == he { // an empty highlight: mark its position
			onLine = hs >= lineStart && hs <= lineEnd
		}
		rendered := line
		if onLine && bool(p) && from < to {
			rendered = line[:from] + p.paint(line[from:to], ansiUnderline) + line[to:]
		}
		if rendered == "" {
			fmt.Fprintf(b, "%4d:\n", s.StartLine+i)
		} else {
			fmt.Fprintf(b, "%4d: %s\n", s.StartLine+i, rendered)
		}
		if onLine && !bool(p) {
			pad := caretPad(line[:from])
			n := utf8.RuneCountInString(line[from:to])
			if n == 0 {
				n = 1
			}
			fmt.Fprintf(b, "      %s%s\n", pad, strings.Repeat("^", n))
		}
		lineStart = lineEnd + 1
	}

	if len(s.Values) == 0 {
		return
	}
	b.WriteString(p.paint("    ├────────────────", ansiDarkGray) + "\n")
	for _, v := range s.Values {
		lines := strings.Split(v.Statement, "\n")
		fmt.Fprintf(b, "%s %s %s\n", p.paint("    │", ansiDarkGray), p.paint(v.Traversal, ansiBold), lines[0])
		for _, l := range lines[1:] {
			fmt.Fprintf(b, "%s   %s\n", p.paint("    │", ansiDarkGray), l)
		}
	}
}

// caretPad is whitespace as wide as prefix, keeping tabs so the carets line
// up under the code.
func caretPad(prefix string) string {
	var b strings.Builder
	for _, r := range prefix {
		if r == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// wrapText wraps s at word boundaries so that lines are at most width
// characters where possible; words longer than width stand alone.
func wrapText(s string, width int) string {
	words := strings.Fields(s)
	if len(words) == 0 {
		return s
	}
	var b strings.Builder
	lineLen := 0
	for i, w := range words {
		wl := utf8.RuneCountInString(w)
		switch {
		case i == 0:
		case lineLen+1+wl > width:
			b.WriteByte('\n')
			lineLen = 0
		default:
			b.WriteByte(' ')
			lineLen++
		}
		b.WriteString(w)
		lineLen += wl
	}
	return b.String()
}
