package spec

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"html"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/limits"
)

// Sensitive is the cty mark carried by values that must never be printed:
// sensitive variables, sensitive outputs and everything derived from them.
const Sensitive = "sensitive"

// Unset is the cty mark on the unknown value that stands for a variable
// given no value, when a command (validate) checks a suite regardless of
// the values it will get. Marks propagate, so anything computed from such a
// variable carries it too.
const Unset = "unset"

// FromUnset reports whether v is not wholly known because of an unset
// variable (rather than because of an invocation result).
func FromUnset(v cty.Value) bool {
	return fromMark(v, Unset)
}

// Redacted is what is printed in place of a sensitive value.
const Redacted = "(sensitive)"

// Redactor replaces known secret strings in free text with "(sensitive)". It
// is the last line of defence: values are also carried with the Sensitive mark,
// but error messages from drivers and the OS are plain strings.
//
// A secret is found not only as it is but in every form the text around it
// may have given it before it reaches the Redactor: quoted by Go (%q, %+q),
// escaped as a JSON, HCL or XML string, percent-encoded in a URL (query,
// path, userinfo or fragment), and one such form inside another (a JSON body
// quoted by %q). See encodings.
//
// A Redactor is safe for concurrent use. The zero value redacts nothing.
type Redactor struct {
	mu      sync.RWMutex
	secrets map[string]bool // registered secrets, as given
	forms   map[string]bool // every form of every secret
	stale   bool            // forms changed since list and r were built
	list    []string        // the forms, longest first
	r       *strings.Replacer
}

// Add registers secret strings. Strings shorter than four bytes are ignored.
// On a nil Redactor it does nothing.
func (r *Redactor) Add(secrets ...string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range secrets {
		if len(s) < limits.MinSecretLen || r.secrets[s] {
			continue
		}
		if r.secrets == nil {
			r.secrets, r.forms = map[string]bool{}, map[string]bool{}
		}
		r.secrets[s] = true
		for _, f := range secretForms(s) {
			r.forms[f] = true
		}
		r.stale = true
	}
}

// replacer returns the replacer of every form and the forms, longest first,
// building them if secrets were added since: once per batch of Add calls
// rather than once per call, since planning registers secrets one by one.
func (r *Redactor) replacer() (*strings.Replacer, []string) {
	r.mu.RLock()
	rep, list, stale := r.r, r.list, r.stale
	r.mu.RUnlock()
	if !stale {
		return rep, list
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stale {
		r.build()
	}
	return r.r, r.list
}

// build makes the replacer. The caller holds r.mu.
func (r *Redactor) build() {
	// Longest first: at any position the longest form wins, so a secret
	// containing another is replaced whole. Redacted itself maps to itself,
	// so that redacting twice changes nothing even when a secret is part of
	// the word "(sensitive)".
	list := make([]string, 0, len(r.forms)+1)
	for f := range r.forms {
		list = append(list, f)
	}
	if !r.forms[Redacted] {
		list = append(list, Redacted)
	}
	sort.Slice(list, func(i, j int) bool {
		if len(list[i]) != len(list[j]) {
			return len(list[i]) > len(list[j])
		}
		return list[i] < list[j]
	})
	pairs := make([]string, 0, 2*len(list))
	for _, f := range list {
		pairs = append(pairs, f, Redacted)
	}
	r.r = strings.NewReplacer(pairs...)
	r.list = list
	r.stale = false
}

// quotingEncodings is how many of encodings, from the first, quote a
// string (Go and JSON): these are the ones text is put through again and
// again.
const quotingEncodings = 4

// encodings are the ways text around a secret may have escaped it before
// the Redactor sees it. Each returns the secret's form without surrounding
// quotes.
var encodings = []func(string) string{
	// Go: fmt's %q and %+q, strconv.Quote and QuoteToASCII (url.Error
	// prints its URL with %q).
	func(s string) string { return unquote(strconv.Quote(s)) },
	func(s string) string { return unquote(strconv.QuoteToASCII(s)) },
	// JSON: encoding/json with and without HTML escaping.
	func(s string) string { b, _ := json.Marshal(s); return unquote(string(b)) },
	func(s string) string {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(s)
		return unquote(strings.TrimSuffix(b.String(), "\n"))
	},
	// HCL: a string literal as hclwrite (fnprobe fmt) writes it, with
	// template introducers doubled.
	func(s string) string {
		return unquote(string(hclwrite.TokensForValue(cty.StringVal(s)).Bytes()))
	},
	// URLs: url.QueryEscape (urlencode()), url.PathEscape, and the forms
	// net/url's String() gives a path, a user name or password, and a
	// fragment.
	url.QueryEscape,
	url.PathEscape,
	func(s string) string { return (&url.URL{Path: s}).EscapedPath() },
	func(s string) string { return url.User(s).String() },
	func(s string) string { return (&url.URL{Fragment: s}).EscapedFragment() },
	// XML and HTML: encoding/xml (JUnit), html.EscapeString, and the
	// named entities other writers use.
	func(s string) string {
		var b strings.Builder
		_ = xml.EscapeText(&b, []byte(s))
		return b.String()
	},
	html.EscapeString,
	xmlEntities.Replace,
}

// xmlEntities escapes XML's five special characters with named entities.
var xmlEntities = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;")

// unquote drops the first and last byte of a quoted string.
func unquote(q string) string {
	if len(q) < 2 {
		return q
	}
	return q[1 : len(q)-1]
}

// secretForms returns s and its encoded forms: s as given, in Unicode
// normal form C (as it is once it has been a cty string), without
// surrounding white space, each under every encoding, every encoding of
// those once more (a JSON body quoted by %q, a URL inside a JSON error),
// and a third Go or JSON quoting of those. Forms shorter than limits.MinSecretLen
// are left out.
func secretForms(s string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(f string) bool {
		if len(f) < limits.MinSecretLen || seen[f] {
			return false
		}
		seen[f] = true
		out = append(out, f)
		return true
	}
	base := []string{s, cty.StringVal(s).AsString(), strings.TrimSpace(s)}
	var level1 []string
	for _, b := range base {
		if add(b) {
			level1 = append(level1, b)
		}
	}
	var level2 []string
	for _, b := range level1 {
		for _, enc := range encodings {
			if f := enc(b); add(f) {
				level2 = append(level2, f)
			}
		}
	}
	var level3 []string
	for _, b := range level2 {
		for _, enc := range encodings {
			if f := enc(b); add(f) {
				level3 = append(level3, f)
			}
		}
	}
	// A third level for string quoting only: a JSON document held in a
	// JSON string (a function that returns its JSON result as a string)
	// and quoted by %q in a failure message.
	for _, b := range level3 {
		for _, enc := range encodings[:quotingEncodings] {
			add(enc(b))
		}
	}
	return out
}

// AddValue registers every string inside v (recursively). On a nil
// Redactor it does nothing.
func (r *Redactor) AddValue(v cty.Value) {
	if r == nil {
		return
	}
	v, _ = v.UnmarkDeep()
	var found []string
	_ = cty.Walk(v, func(_ cty.Path, v cty.Value) (bool, error) {
		if v.IsKnown() && !v.IsNull() {
			switch v.Type() {
			case cty.String:
				found = append(found, v.AsString())
			case cty.Number:
				found = append(found, v.AsBigFloat().Text('f', -1))
			}
		}
		return true, nil
	})
	r.Add(found...)
}

// String returns s with every registered secret, in every form, replaced.
// A secret cut short where text was shortened with an ellipsis ("abcd…" or
// "…wxyz", as excerpts of bodies and log tails are) is replaced too, when
// at least four bytes of it are left.
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	rep, list := r.replacer()
	if rep == nil {
		return s
	}
	return redactCut(rep.Replace(s), list)
}

// Bytes is String for byte slices.
func (r *Redactor) Bytes(b []byte) []byte {
	if r == nil {
		return b
	}
	if rep, _ := r.replacer(); rep == nil {
		return b
	}
	return []byte(r.String(string(b)))
}

// ellipsis marks where text was shortened.
const ellipsis = "…"

// redactCut replaces, next to each ellipsis in s, the longest piece that is
// the start of a form (before the ellipsis) or its end (after it), of at
// least limits.MinSecretLen bytes.
func redactCut(s string, forms []string) string {
	if !strings.Contains(s, ellipsis) {
		return s
	}
	var b strings.Builder
	rest := s
	for {
		i := strings.Index(rest, ellipsis)
		if i < 0 {
			b.WriteString(rest)
			return b.String()
		}
		before := rest[:i]
		if k := longestCut(before, forms, true); k > 0 {
			before = before[:len(before)-k] + Redacted
		}
		b.WriteString(before)
		b.WriteString(ellipsis)
		rest = rest[i+len(ellipsis):]
		if k := longestCut(rest, forms, false); k > 0 {
			b.WriteString(Redacted)
			rest = rest[k:]
		}
	}
}

// longestCut returns the length of the longest proper start of a form that
// text ends with (atEnd), or proper end of a form that text starts with,
// if at least limits.MinSecretLen bytes long; else 0.
func longestCut(text string, forms []string, atEnd bool) int {
	best := 0
	for _, f := range forms {
		if f == Redacted || len(f)-1 <= best || len(text) <= best {
			continue
		}
		if atEnd {
			// The start of f begins at some p in the last len(f)-1 bytes of
			// text; the smallest such p gives the longest piece.
			from := max(0, len(text)-(len(f)-1))
			for p := from; len(text)-p > best && len(text)-p >= limits.MinSecretLen; p++ {
				i := strings.IndexByte(text[p:], f[0])
				if i < 0 {
					break
				}
				p += i
				if k := len(text) - p; k > best && k >= limits.MinSecretLen && strings.HasPrefix(f, text[p:]) {
					best = k
					break
				}
			}
			continue
		}
		// The end of f that text starts with begins at some q >= 1 in f;
		// the smallest such q gives the longest piece.
		for q := max(1, len(f)-len(text)); len(f)-q > best && len(f)-q >= limits.MinSecretLen; q++ {
			i := strings.IndexByte(f[q:], text[0])
			if i < 0 {
				break
			}
			q += i
			if k := len(f) - q; k > best && k >= limits.MinSecretLen && strings.HasPrefix(text, f[q:]) {
				best = k
				break
			}
		}
	}
	return best
}
