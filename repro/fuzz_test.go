package repro

import (
	"strconv"
	"strings"
	"testing"
)

// unquote reads one word in the forms Quote writes (bare text, single
// quotes, \' and "$(printf '\ooo…')") and returns its value; ok is false
// on anything else, so that Quote cannot drift into forms no test reads.
func unquote(w string) (string, bool) {
	var b strings.Builder
	const printf = `"$(printf '`
	for i := 0; i < len(w); {
		switch {
		case strings.HasPrefix(w[i:], `\'`):
			b.WriteByte('\'')
			i += 2
		case w[i] == '\'':
			j := strings.IndexByte(w[i+1:], '\'')
			if j < 0 {
				return "", false
			}
			b.WriteString(w[i+1 : i+1+j])
			i += j + 2
		case strings.HasPrefix(w[i:], printf):
			i += len(printf)
			end := strings.Index(w[i:], `')"`)
			if end < 0 {
				return "", false
			}
			esc := w[i : i+end]
			for len(esc) > 0 {
				if len(esc) < 4 || esc[0] != '\\' {
					return "", false
				}
				n, err := strconv.ParseUint(esc[1:4], 8, 8)
				if err != nil {
					return "", false
				}
				b.WriteByte(byte(n))
				esc = esc[4:]
			}
			i += end + 3
		case bare(w[i : i+1]):
			b.WriteByte(w[i])
			i++
		default:
			return "", false
		}
	}
	return b.String(), true
}

// FuzzQuote checks that every string comes back from its quoted form, and
// that the form holds no raw control character (tests against a real sh
// are in TestQuoteShellRoundTrip).
func FuzzQuote(f *testing.F) {
	for _, s := range hostile {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := Quote(s)
		if s == "" {
			if q != "''" {
				t.Fatalf("Quote(\"\") = %s", q)
			}
			return
		}
		got, ok := unquote(q)
		if !ok || got != s {
			t.Fatalf("Quote(%q) = %s reads back as %q (%v)", s, q, got, ok)
		}
		for _, r := range q {
			if r != '\n' && r != '\t' && !raw(r) {
				t.Fatalf("Quote(%q) = %q holds %U raw", s, q, r)
			}
		}
	})
}
