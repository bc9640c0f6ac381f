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
	b.WriteString(p.paint(escapeLine(d.Summary), ansiBold))
	b.WriteString("\n\n")

	if d.Address != "" {
		fmt.Fprintf(&b, "  with %s,\n", escapeLine(d.Address))
	}
	if d.Range != nil {
		filename := escapeLine(d.Range.Filename)
		if d.Snippet == nil {
			fmt.Fprintf(&b, "  on %s line %d:\n  (source code not available)\n", filename, d.Range.Start.Line)
		} else {
			ctx := ""
			if d.Snippet.Context != nil {
				ctx = ", in " + escapeLine(*d.Snippet.Context)
			}
			fmt.Fprintf(&b, "  on %s line %d%s:\n", filename, d.Range.Start.Line, ctx)
			writeSnippet(&b, d.Snippet, p)
		}
		b.WriteByte('\n')
	}

	if d.Detail != "" {
		paraWidth := width - 1
		if boxed {
			paraWidth -= 2
		}
		// Detail is escaped line by line before it is wrapped: redaction
		// (in NewDiagnostic) comes first, then escaping, then wrapping, so
		// wrapping never splits a secret the Redactor had to find whole.
		for _, line := range strings.Split(d.Detail, "\n") {
			line = escapeText(line, true)
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
		// Each part is escaped on its own, so that offsets stay right.
		before, mid, after := escapeText(line[:from], true), escapeText(line[from:to], true), escapeText(line[to:], true)
		rendered := before + mid + after
		if onLine && bool(p) && from < to {
			rendered = before + p.paint(mid, ansiUnderline) + after
		}
		if rendered == "" {
			fmt.Fprintf(b, "%4d:\n", s.StartLine+i)
		} else {
			fmt.Fprintf(b, "%4d: %s\n", s.StartLine+i, rendered)
		}
		if onLine && !bool(p) {
			pad := caretPad(before)
			n := utf8.RuneCountInString(mid)
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
		fmt.Fprintf(b, "%s %s %s\n", p.paint("    │", ansiDarkGray), p.paint(escapeLine(v.Traversal), ansiBold), escapeText(lines[0], true))
		for _, l := range lines[1:] {
			fmt.Fprintf(b, "%s   %s\n", p.paint("    │", ansiDarkGray), escapeText(l, true))
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

// escapeText makes text from outside (response bodies, error messages, log
// tails, header values) safe to print on a terminal: it cannot move the
// cursor, clear the screen, recolour what follows or reorder a line. C0
// control characters and DEL become \xHH (\r, and \n and \t unless multiline
// is set, become \r, \n and \t), C1 controls and the Unicode characters that
// reorder or break lines (bidi overrides, isolates and marks, U+2028,
// U+2029) become \uHHHH, and each byte of invalid UTF-8 becomes \xHH.
// Backslashes are left alone, so escaping twice changes nothing.
func escapeText(s string, multiline bool) string {
	clean := true
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || mustEscape(r, multiline) {
			clean = false
			break
		}
		i += size
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case !mustEscape(r, multiline):
			b.WriteString(s[i : i+size])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += size
	}
	return b.String()
}

// escapeLine is escapeText for text shown on one line.
func escapeLine(s string) string { return escapeText(s, false) }

// mustEscape reports whether escapeText escapes r.
func mustEscape(r rune, multiline bool) bool {
	switch {
	case r == '\n' || r == '\t':
		return !multiline
	case r < 0x20 || r == 0x7f:
		return true
	case r >= 0x80 && r <= 0x9f:
		return true
	}
	return isBidiOrBreak(r)
}

// isBidiOrBreak reports whether r reorders text (bidi embeddings, overrides,
// isolates and marks) or breaks a line without being a newline.
func isBidiOrBreak(r rune) bool {
	switch {
	case r == 0x061c, r == 0x200e, r == 0x200f:
		return true
	case r >= 0x202a && r <= 0x202e:
		return true
	case r >= 0x2066 && r <= 0x2069:
		return true
	case r == 0x2028, r == 0x2029:
		return true
	}
	return false
}

// EscapeLine redacts nothing; it escapes s for one line of a terminal, as
// the human view does with text from outside (see escapeText). Commands
// that print names which may hold any text (plan, graph) use it.
func EscapeLine(s string) string { return escapeLine(s) }
