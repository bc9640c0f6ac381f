package providers

import (
	"context"
	"io"
	"net/url"
	"sort"
	"strings"
	"sync"
)

// TracePreview is how many bytes of each request and response body a trace
// keeps.
const TracePreview = 1024

// Masked stands in a trace for the value of a header or query parameter
// that carries a credential or a signature.
const Masked = "(masked)"

// Message is one request or response as a trace shows it. Bodies are
// previews: the first TracePreview bytes.
type Message struct {
	Method  string   // HTTP request: the method
	URL     string   // HTTP request: the URL, credentials in its query masked
	Command []string // local request: the command and its arguments
	Dir     string   // local request: the working directory
	Status  int      // response: the HTTP status (local: 200, or 500 for a crash)
	// Headers holds the header lines, sorted by name; credentials and
	// signatures are Masked.
	Headers []Header
	Body    []byte // the first TracePreview bytes of the body
	Size    int64  // the body's whole size; -1 when not known
}

// Truncated reports whether Body is shorter than the body.
func (m *Message) Truncated() bool { return m.Size < 0 || int64(len(m.Body)) < m.Size }

// Header is one header line.
type Header struct{ Name, Value string }

// Exchange is one request a driver made and what came back: the response,
// or the error that stopped it.
type Exchange struct {
	Request  Message
	Response *Message // nil when there was no answer
	Err      string
}

// Tracer records the exchanges of one attempt. The executor puts one in
// the attempt's context (WithTracer) when -verbose asks for a trace; the
// HTTP client of providers/wire records every request through it, and a
// driver that speaks something else records its own. Its methods are safe
// for concurrent use and do nothing on a nil Tracer.
type Tracer struct {
	mu sync.Mutex
	ex []Exchange
}

type tracerKey struct{}

// WithTracer returns ctx carrying t.
func WithTracer(ctx context.Context, t *Tracer) context.Context {
	return context.WithValue(ctx, tracerKey{}, t)
}

// TracerFrom returns the Tracer ctx carries, or nil.
func TracerFrom(ctx context.Context) *Tracer {
	t, _ := ctx.Value(tracerKey{}).(*Tracer)
	return t
}

// Request records a request and returns its id for Response, Fail and
// ResponseBody. Headers are masked and the URL's credentials hidden here,
// so that no report ever holds them.
func (t *Tracer) Request(m Message) int {
	if t == nil {
		return -1
	}
	mask(&m)
	m.URL = MaskURL(m.URL)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ex = append(t.ex, Exchange{Request: m})
	return len(t.ex) - 1
}

// Response records the response to request id.
func (t *Tracer) Response(id int, m Message) {
	if t == nil || id < 0 {
		return
	}
	mask(&m)
	t.mu.Lock()
	defer t.mu.Unlock()
	if id < len(t.ex) {
		t.ex[id].Response = &m
	}
}

// ResponseBody appends p to the body preview of the response to request
// id, up to TracePreview bytes.
func (t *Tracer) ResponseBody(id int, p []byte) {
	if t == nil || id < 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if id < len(t.ex) && t.ex[id].Response != nil {
		r := t.ex[id].Response
		if room := TracePreview - len(r.Body); room > 0 {
			r.Body = append(r.Body, p[:min(room, len(p))]...)
		}
	}
}

// ResponseSize records the whole size of the response body to request id,
// once it has been read to its end (a chunked answer has no length up
// front).
func (t *Tracer) ResponseSize(id int, n int64) {
	if t == nil || id < 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if id < len(t.ex) && t.ex[id].Response != nil {
		t.ex[id].Response.Size = n
	}
}

// Fail records why request id got no answer.
func (t *Tracer) Fail(id int, err error) {
	if t == nil || id < 0 || err == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if id < len(t.ex) {
		t.ex[id].Err = err.Error()
	}
}

// Exchanges returns a copy of what was recorded, in order.
func (t *Tracer) Exchanges() []Exchange {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]Exchange, len(t.ex))
	for i, x := range t.ex {
		out[i] = x
		out[i].Request.Body = append([]byte(nil), x.Request.Body...)
		if x.Response != nil {
			r := *x.Response
			r.Body = append([]byte(nil), r.Body...)
			out[i].Response = &r
		}
	}
	return out
}

// Preview returns a copy of the first TracePreview bytes of b, and b's
// size, for a Message.
func Preview(b []byte) ([]byte, int64) {
	return append([]byte(nil), b[:min(len(b), TracePreview)]...), int64(len(b))
}

// PreviewReader reads the first TracePreview bytes of r.
func PreviewReader(r io.Reader) []byte {
	b, _ := io.ReadAll(io.LimitReader(r, TracePreview))
	return b
}

// Headers returns h (a net/http Header or any name → values map) as
// sorted header lines.
func Headers(h map[string][]string) []Header {
	out := make([]Header, 0, len(h))
	for name, values := range h {
		for _, v := range values {
			out = append(out, Header{name, v})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func mask(m *Message) {
	for i := range m.Headers {
		switch {
		case SecretName(m.Headers[i].Name):
			m.Headers[i].Value = Masked
		case EncodedLog(m.Headers[i].Name):
			m.Headers[i].Value = EncodedLogNote
		}
	}
}

// EncodedLogNote replaces the value of a header EncodedLog names, in
// traces and in the result's headers.
const EncodedLogNote = "(the log tail in base64: see the result's log)"

// EncodedLog reports whether a response header of that name carries the
// function's log tail in base64 (Lambda's X-Amz-Log-Result, Function
// Compute's X-Fc-Log-Result, FunctionGraph's X-Cff-Function-Log). The
// drivers decode it into the result's log, where a secret the function
// logged is redacted; in base64 the redactor cannot see it, so the header
// itself is never shown.
func EncodedLog(name string) bool {
	// Without lower-casing a copy: every header of every answer asks.
	return strings.EqualFold(name, "x-amz-log-result") || strings.EqualFold(name, "x-fc-log-result") ||
		strings.EqualFold(name, "x-cff-function-log")
}

// SecretName reports whether a header or query parameter of that name
// carries a credential or a signature: Authorization, Proxy-Authorization,
// Cookie, Set-Cookie, and names ending in -Signature, -Token or -Key
// (X-Amz-Security-Token, X-Fc-Security-Token, X-Auth-Token, X-Api-Key …),
// or, for query parameters, named signature, token, sig, key and the like.
func SecretName(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "authorization", "proxy-authorization", "cookie", "set-cookie",
		"signature", "sig", "token", "access_token", "id_token", "key", "api_key", "apikey", "password", "secret",
		"x-amz-credential":
		return true
	}
	for _, suffix := range []string{"-signature", "-token", "-key", "_token", "_key", "_secret", "-secret"} {
		if strings.HasSuffix(n, suffix) {
			return true
		}
	}
	return strings.Contains(n, "signature")
}

// MaskURL returns u with its userinfo password and every query parameter
// SecretName names masked. Text that is not a URL is returned as is.
func MaskURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	changed := false
	if p.User != nil {
		if _, ok := p.User.Password(); ok {
			p.User = url.UserPassword(p.User.Username(), Masked)
			changed = true
		}
	}
	if p.RawQuery != "" {
		parts := strings.Split(p.RawQuery, "&")
		for i, part := range parts {
			name, _, hasValue := strings.Cut(part, "=")
			if un, err := url.QueryUnescape(name); err == nil && hasValue && SecretName(un) {
				parts[i] = name + "=" + Masked
				changed = true
			}
		}
		p.RawQuery = strings.Join(parts, "&")
	}
	if !changed {
		return u
	}
	return p.String()
}
