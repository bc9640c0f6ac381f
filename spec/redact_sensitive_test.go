package spec_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/spec"
)

// redactSecrets are secrets with every character that some encoding changes.
var redactSecrets = []string{
	"p@ss \"w\\ord\"/?&%#+= ü 秘密\n",
	"tab\there<&>'x'",
	"${tmpl} %{if} $${x}",
	"ctl\x1b[2J\r\x00\u202e\u2028end",
	"plain-token-1234",
}

// redactForms returns the forms in which s may reach free text, each built
// the way the code that produces it does.
func redactForms(t *testing.T, s string) map[string]string {
	t.Helper()
	inner := func(q string) string { return q[1 : len(q)-1] }
	jsonNoHTML := func(s string) string {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		return inner(strings.TrimSuffix(b.String(), "\n"))
	}
	jsonHTML := func(s string) string {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		return inner(string(b))
	}
	var xmlText bytes.Buffer
	_ = xml.EscapeText(&xmlText, []byte(s))
	var xmlAttr bytes.Buffer
	if err := xml.NewEncoder(&xmlAttr).Encode(struct {
		XMLName xml.Name `xml:"e"`
		A       string   `xml:"a,attr"`
	}{A: s}); err != nil {
		t.Fatal(err)
	}
	u := &url.URL{Scheme: "http", User: url.UserPassword("user", s), Host: "127.0.0.1:1", Path: "/fn/" + s, RawQuery: url.Values{"token": {s}}.Encode(), Fragment: s}
	uerr := &url.Error{Op: "Post", URL: u.String(), Err: errors.New("connection refused")}
	return map[string]string{
		"raw":                s,
		"%q":                 fmt.Sprintf("%q", s),
		"%+q":                fmt.Sprintf("%+q", s),
		"strconv.Quote":      strconv.Quote(s),
		"json":               jsonHTML(s),
		"json no HTML":       jsonNoHTML(s),
		"%q of JSON":         strconv.Quote(`{"token":"` + jsonNoHTML(s) + `"}`),
		"JSON of %q":         jsonNoHTML(strconv.Quote(s)),
		"hclwrite":           string(hclwrite.TokensForValue(cty.StringVal(s)).Bytes()),
		"QueryEscape":        url.QueryEscape(s),
		"PathEscape":         url.PathEscape(s),
		"URL String":         u.String(),
		"url.Error":          uerr.Error(),
		"url.Error in JSON":  jsonHTML(uerr.Error()),
		"xml.EscapeText":     xmlText.String(),
		"xml attribute":      xmlAttr.String(),
		"%q of QueryEscape":  strconv.Quote(url.QueryEscape(s)),
		"JSON of XML escape": jsonHTML(xmlText.String()),
		"%q of JSON in JSON": strconv.Quote(jsonNoHTML(`{"token":"` + jsonNoHTML(s) + `"}`)),
	}
}

// A secret is redacted in every form text may have given it.
func TestRedactorEncodedForms(t *testing.T) {
	for _, s := range redactSecrets {
		r := &spec.Redactor{}
		r.Add(s)
		for name, form := range redactForms(t, s) {
			in := "before " + form + " after"
			got := r.String(in)
			if !strings.Contains(got, spec.Redacted) {
				t.Errorf("%q, %s: nothing redacted in %q", s, name, got)
			}
			for fname, f := range redactForms(t, s) {
				if strings.Contains(got, strings.TrimSpace(s)) || (len(f) >= 4 && strings.Contains(got, f)) {
					t.Errorf("%q, %s: form %s remains in %q", s, name, fname, got)
				}
			}
		}
	}
}

// A secret's forms are redacted whole, longest first: a secret containing
// another leaves no part of itself, and redacting twice changes nothing.
func TestRedactorOverlapAndIdempotence(t *testing.T) {
	r := &spec.Redactor{}
	r.Add(`ab"cd`, `xx ab"cd yy`, "sensitive")
	for in, want := range map[string]string{
		`xx ab"cd yy`:         "(sensitive)",
		`"xx ab\"cd yy"`:      `"(sensitive)"`,
		`ab\"cd and xx ab"cd`: "(sensitive) and xx (sensitive)",
		"a sensitive value":   "a (sensitive) value",
	} {
		got := r.String(in)
		if got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
		if again := r.String(got); again != got {
			t.Errorf("redacting %q again gives %q", got, again)
		}
	}
}

// Short secrets are not registered, in any form.
func TestRedactorShortSecretForms(t *testing.T) {
	r := &spec.Redactor{}
	r.Add(`a"b`, "\n\n\n")
	for _, in := range []string{`a"b`, `a\"b`, `a%22b`, `a&#34;b`, `\n\n\n`} {
		if got := r.String(in); got != in {
			t.Errorf("String(%q) = %q", in, got)
		}
	}
}

// A secret cut short by an excerpt ("…" at the end, as executor excerpts
// bodies, or at the start, as it takes log tails) is redacted when at
// least four bytes of it are left.
func TestRedactorCutSecrets(t *testing.T) {
	const s = "p@ss \"w\\ord\"/?&%#+= ü 秘密\n"
	r := &spec.Redactor{}
	r.Add(s)
	for cut := 1; cut < len(s); cut++ {
		if !utf8.RuneStart(s[cut]) {
			continue
		}
		head, tail := s[:cut], s[cut:]
		for _, in := range []string{
			fmt.Sprintf("got %q.", "0123456789"+head+"…"),
			fmt.Sprintf("Log tail: %q", "…"+tail+"end"),
			"raw " + head + "… and …" + tail,
		} {
			got := r.String(in)
			for _, piece := range []string{head, tail, strconv.Quote(head), strconv.Quote(tail)} {
				p := strings.Trim(piece, `"`)
				if len(p) >= 4 && strings.Contains(got, p) {
					t.Errorf("cut at %d: %q remains in %q", cut, p, got)
				}
			}
		}
	}
	// Text that only looks like a cut is left alone.
	for _, in := range []string{"p@s…", "… and more", "nothing…"} {
		if got := r.String(in); got != in {
			t.Errorf("String(%q) = %q", in, got)
		}
	}
}

// Whatever the secret, registering it does not panic, and the secret
// itself no longer appears in text that holds it.
func FuzzRedactor(f *testing.F) {
	for _, s := range redactSecrets {
		f.Add(s, "before ", " after")
	}
	f.Add("\xff\xfe\xfd\xfc", "", "…")
	f.Fuzz(func(t *testing.T, secret, before, after string) {
		if len(secret) < 4 || strings.ContainsAny(secret, "()") {
			// A secret made of parts of "(sensitive)" may rebuild itself
			// around a replacement; that is not what this checks.
			return
		}
		r := &spec.Redactor{}
		r.Add(secret)
		got := r.String(before + secret + after)
		if strings.Contains(got, secret) {
			t.Fatalf("String(%q) = %q still holds the secret", before+secret+after, got)
		}
	})
}
