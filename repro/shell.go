// Package repro turns a failed invocation's request into commands people
// paste into a POSIX shell: the cloud's own CLI making the same request
// (providers.Reproducer), and the `fnprobe run -target=…` line that reruns
// just that invocation. It quotes every word so that the shell sees exactly
// the intended argv, whatever the names hold (quotes, `$`, backticks,
// newlines, control characters, unicode); it replaces every secret by a
// reference to the environment variable it comes from; and it writes the
// payload to a file under -repro-dir.
package repro

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Part is a piece of a shell word: literal text, a reference to an
// environment variable, or shell text written as is.
type Part struct {
	Text  string // literal text, quoted when rendered
	Env   string // the name of an environment variable, expanded by the shell
	Shell string // shell text, as is ("$(cat 'f')"); never built from input
}

// Word is one argument the shell builds from its parts.
type Word []Part

// Lit is a word of literal text.
func Lit(s string) Word { return Word{{Text: s}} }

// shellName is a name a shell can expand with "${NAME}".
var shellName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// EnvName returns name if a shell can expand it, else name with every
// character but letters, digits and '_' replaced by '_' (a leading digit
// gets a '_' before it). Shells do not pass variables with other names
// (FNPROBE_VAR_my-token) on to commands, so the reference is to a
// variable the user exports.
func EnvName(name string) string {
	if shellName.MatchString(name) {
		return name
	}
	var b strings.Builder
	for i, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '_':
		case r >= '0' && r <= '9':
			if i == 0 {
				b.WriteByte('_')
			}
		default:
			r = '_'
		}
		b.WriteRune(r)
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}

// String renders w for a POSIX shell, as a command's first word.
func (w Word) String() string { return w.render(true) }

// render renders w; first says it is the command's first word, where
// "NAME=" would make an assignment.
func (w Word) render(first bool) string {
	var b strings.Builder
	for i, p := range w {
		switch {
		case p.Env != "":
			b.WriteString(`"${` + EnvName(p.Env) + `}"`)
		case p.Shell != "":
			b.WriteString(p.Shell)
		default:
			if p.Text != "" {
				if i == 0 && !first {
					b.WriteString(quoteFlag(p.Text))
				} else {
					b.WriteString(Quote(p.Text))
				}
			}
		}
	}
	if b.Len() == 0 {
		return "''"
	}
	return b.String()
}

// Line renders words as one command line, separated by spaces.
func Line(words []Word) string {
	s := make([]string, len(words))
	for i, w := range words {
		s[i] = w.render(i == 0)
	}
	return strings.Join(s, " ")
}

// quoteFlag quotes s, an argument after the first, leaving a leading
// "-name=" unquoted where it can be: -target='invocation.a["k"]'.
func quoteFlag(s string) string {
	if s != "" && s[0] != '=' && bare(strings.ReplaceAll(s, "=", "")) {
		return s // '=' is special in a first word only
	}
	if i := strings.IndexByte(s, '='); i > 0 && s[0] == '-' && bare(s[:i]) {
		if s[i+1:] == "" {
			return s
		}
		return s[:i+1] + Quote(s[i+1:])
	}
	return Quote(s)
}

// bare reports whether s can stand unquoted: a non-empty run of
// characters no POSIX shell treats specially in any position of a simple
// command's word ('=' is left out: "A=b" as the first word would be an
// assignment; '~' would expand at the start).
func bare(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("_@%+:,./-", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// raw reports whether r may appear as is inside single quotes of a line
// printed to a terminal: printable, a space, a tab or a newline (which
// single quotes keep). Control characters, format characters such as
// bidirectional overrides, and invalid UTF-8 are not.
func raw(r rune) bool {
	if r == '\n' || r == '\t' {
		return true
	}
	return unicode.IsPrint(r)
}

// Quote returns s as one word of a POSIX shell: as is when nothing in it
// is special, else in single quotes (a quote inside as '\”). A byte that
// must not reach a terminal raw (a control character, invalid UTF-8, a
// bidirectional override) is written as "$(printf '\ooo')", which gives the
// byte back: command substitution strips only newlines, and those are
// kept raw inside the quotes.
func Quote(s string) string {
	if bare(s) {
		return s
	}
	if s == "" {
		return "''"
	}
	var b strings.Builder
	inQuote := false
	open := func() {
		if !inQuote {
			b.WriteByte('\'')
			inQuote = true
		}
	}
	closeQ := func() {
		if inQuote {
			b.WriteByte('\'')
			inQuote = false
		}
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\'':
			closeQ()
			b.WriteString(`\'`)
		case raw(r) && (r != utf8.RuneError || size > 1): // size 1: invalid UTF-8
			open()
			b.WriteString(s[i : i+size])
		default:
			closeQ()
			b.WriteString(`"$(printf '`)
			for _, c := range []byte(s[i : i+size]) {
				fmt.Fprintf(&b, `\%03o`, c)
			}
			b.WriteString(`')"`)
		}
		i += size
	}
	closeQ()
	return b.String()
}
