package http

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	nethttp "net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/providers"
)

// Compile-time checks of the capabilities the driver claims.
var (
	_ providers.Driver            = (*Driver)(nil)
	_ providers.FunctionValidator = (*Driver)(nil)
	_ providers.Closer            = (*Driver)(nil)
)

// decode parses an HCL body and decodes it with spec, failing the test on
// any diagnostic.
func decode(t testing.TB, src string, spec hcldec.Spec) cty.Value {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "test.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("parse %q: %s", src, diags)
	}
	v, diags := hcldec.Decode(f.Body, spec, nil)
	if diags.HasErrors() {
		t.Fatalf("decode %q: %s", src, diags)
	}
	return v
}

// newDriver returns a driver closed at the end of the test.
func newDriver(t testing.TB) *Driver {
	t.Helper()
	d := New()
	t.Cleanup(func() { _ = d.Close() })
	return d
}

// request builds a request from HCL bodies of the provider and function
// blocks.
func request(t testing.TB, d *Driver, provider, function string) *providers.Request {
	t.Helper()
	s := d.Schema()
	return &providers.Request{
		Provider: decode(t, provider, s.Provider),
		Function: decode(t, function, s.Function),
		Type:     providers.TypeSync,
	}
}

func urlAttr(u string) string { return fmt.Sprintf("url = %q\n", u) }

func TestSchemaDecodes(t *testing.T) {
	s := New().Schema()
	if got := s.Types; len(got) != 1 || got[0] != providers.TypeSync {
		t.Errorf("Types = %v, want [sync]", got)
	}
	p := decode(t, `
base_url = "https://api.example.com/v1"
headers  = { Authorization = "Bearer x" }
`, s.Provider)
	if got := providers.String(p, "base_url"); got != "https://api.example.com/v1" {
		t.Errorf("base_url = %q", got)
	}
	if got := providers.StringMap(p, "headers"); got["Authorization"] != "Bearer x" {
		t.Errorf("headers = %v", got)
	}

	fn := decode(t, `url = "orders"`, s.Function)
	if got := providers.String(fn, "method"); got != "POST" {
		t.Errorf("default method = %q, want POST", got)
	}
	if !fn.GetAttr("headers").IsNull() {
		t.Errorf("headers = %#v, want null", fn.GetAttr("headers"))
	}
	fn = decode(t, "url = \"x\"\nmethod = \"GET\"\nheaders = { A = \"1\" }", s.Function)
	if got := providers.String(fn, "method"); got != "GET" {
		t.Errorf("method = %q, want GET", got)
	}

	for _, src := range []string{`method = "GET"`, "url = \"x\"\nnope = 1", "url = \"x\"\ninsecure_skip_verify = true"} {
		f, _ := hclsyntax.ParseConfig([]byte(src), "t.hcl", hcl.InitialPos)
		if _, diags := hcldec.Decode(f.Body, s.Function, nil); !diags.HasErrors() {
			t.Errorf("function body %q decoded without error", src)
		}
	}
}

func TestValidateFunction(t *testing.T) {
	d := New()
	s := d.Schema()
	tests := []struct {
		name     string
		provider string
		function string
		fn       cty.Value // used when function is empty
		want     map[string]string
	}{
		{name: "absolute https", function: `url = "https://example.com/fn"`},
		{name: "absolute http with port", function: `url = "http://127.0.0.1:8080/"`},
		{name: "relative with base", provider: `base_url = "https://api.example.com/v1"`, function: `url = "orders"`},
		{name: "empty with base", provider: `base_url = "https://api.example.com"`, function: `url = ""`},
		{name: "relative without base", function: `url = "orders"`, want: map[string]string{"url": "no base_url"}},
		{name: "empty without base", function: `url = ""`, want: map[string]string{"url": "url is empty"}},
		{name: "other scheme", function: `url = "ftp://example.com/x"`, want: map[string]string{"url": `scheme "ftp"`}},
		{name: "no host", function: `url = "http:///x"`, want: map[string]string{"url": "no host"}},
		{name: "scheme-relative", function: `url = "//example.com/x"`, want: map[string]string{"url": "no scheme"}},
		{name: "unparsable", function: `url = "http://exa mple.com/%zz"`, want: map[string]string{"url": "cannot be parsed"}},
		{name: "bad base", provider: `base_url = "api.example.com"`, function: `url = "x"`, want: map[string]string{"url": "base_url"}},
		{name: "password not echoed", function: `url = "ftp://user:hunter2@example.com/"`, want: map[string]string{"url": `scheme "ftp"`}},
		{name: "custom method", function: "url = \"https://x.io\"\nmethod = \"PURGE\""},
		{name: "bad method", function: "url = \"https://x.io\"\nmethod = \"GET /\"", want: map[string]string{"method": "not a valid HTTP method"}},
		{name: "bad header name", function: "url = \"https://x.io\"\nheaders = { \"X Bad\" = \"1\" }", want: map[string]string{"headers": `"X Bad"`}},
		{name: "header value with newline not echoed", function: "url = \"https://x.io\"\nheaders = { Authorization = \"hunter2\\r\\nX: y\" }",
			want: map[string]string{"headers": `"Authorization" contains a control character`}},
		{name: "unknown url is not checked", fn: cty.ObjectVal(map[string]cty.Value{
			"url":     cty.UnknownVal(cty.String),
			"method":  cty.StringVal("POST"),
			"headers": cty.NullVal(cty.Map(cty.String)),
		})},
		{name: "several problems", function: "url = \"x\"\nmethod = \"(\"", want: map[string]string{"url": "base_url", "method": "("}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := decode(t, tt.provider, s.Provider)
			fn := tt.fn
			if tt.function != "" {
				fn = decode(t, tt.function, s.Function)
			}
			got := d.ValidateFunction(p, fn)
			if len(got) != len(tt.want) {
				t.Fatalf("ValidateFunction = %v, want problems for %v", got, tt.want)
			}
			for k, sub := range tt.want {
				if !strings.Contains(got[k], sub) {
					t.Errorf("problem[%q] = %q, want it to contain %q", k, got[k], sub)
				}
				if strings.Contains(got[k], "hunter2") {
					t.Errorf("problem[%q] = %q echoes a secret", k, got[k])
				}
			}
		})
	}
}

func TestResolveURL(t *testing.T) {
	tests := []struct {
		base, raw, want string
	}{
		{"", "https://example.com/a?b=c", "https://example.com/a?b=c"},
		{"https://example.com/base", "https://other.com/x", "https://other.com/x"},
		{"https://api.example.com/v1", "orders", "https://api.example.com/v1/orders"},
		{"https://api.example.com/v1/", "orders", "https://api.example.com/v1/orders"},
		{"https://api.example.com/v1", "/orders", "https://api.example.com/v1/orders"},
		{"https://api.example.com/v1", "orders/", "https://api.example.com/v1/orders/"},
		{"https://api.example.com", "orders/42", "https://api.example.com/orders/42"},
		{"https://api.example.com/v1", "", "https://api.example.com/v1"},
		{"https://api.example.com/v1", "orders?x=1", "https://api.example.com/v1/orders?x=1"},
		{"https://fn.example.com/api?code=k", "orders?x=1", "https://fn.example.com/api/orders?code=k&x=1"},
		{"https://fn.example.com/api?code=k", "orders", "https://fn.example.com/api/orders?code=k"},
		{"https://api.example.com/v1", "a%2Fb", "https://api.example.com/v1/a%2Fb"},
		{"https://api.example.com/v1#frag", "x", "https://api.example.com/v1/x"},
	}
	for _, tt := range tests {
		t.Run(tt.base+"+"+tt.raw, func(t *testing.T) {
			u, err := resolveURL(tt.base, tt.raw)
			if err != nil {
				t.Fatalf("resolveURL: %v", err)
			}
			if got := u.String(); got != tt.want {
				t.Errorf("resolveURL = %q, want %q", got, tt.want)
			}
		})
	}
}

// seen is what a test server received.
type seen struct {
	method, path, query string
	header              nethttp.Header
	host                string
	body                string
}

// recorder is an httptest server that records each request and answers
// with a handler-chosen response.
func recorder(t *testing.T, answer nethttp.HandlerFunc) (*httptest.Server, <-chan seen) {
	t.Helper()
	ch := make(chan seen, 16)
	srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		b, _ := io.ReadAll(r.Body)
		select {
		case ch <- seen{
			method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, header: r.Header.Clone(),
			host: r.Host, body: string(b),
		}:
		default: // nobody is reading: never block the server
		}
		r.Body = io.NopCloser(bytes.NewReader(b)) // for the answer
		answer(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, ch
}

func TestInvokeRoundTrip(t *testing.T) {
	srv, got := recorder(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "req-123")
		w.Header().Add("X-Multi", "a")
		w.Header().Add("X-Multi", "b")
		w.WriteHeader(201)
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, `{"echo":%s}`, b)
	})
	d := newDriver(t)
	req := request(t, d, `headers = { X-Provider = "p" }`, urlAttr(srv.URL+"/fn?x=1"))
	req.Payload = []byte(`{"a":1}`)
	res, err := d.Invoke(context.Background(), req)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	s := <-got
	if s.method != "POST" || s.path != "/fn" || s.query != "x=1" || s.body != `{"a":1}` {
		t.Errorf("server saw %s %s?%s %q", s.method, s.path, s.query, s.body)
	}
	if ct := s.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json for a JSON payload", ct)
	}
	if ua := s.header.Get("User-Agent"); ua != "fnprobe" {
		t.Errorf("User-Agent = %q", ua)
	}
	if s.header.Get("X-Provider") != "p" {
		t.Errorf("provider header missing: %v", s.header)
	}
	if res.Status != 201 || res.Error || res.ErrorType != "" || res.Transient || res.RetryAfter != 0 {
		t.Errorf("result = %+v", res)
	}
	if string(res.Body) != `{"echo":{"a":1}}` {
		t.Errorf("Body = %q", res.Body)
	}
	if res.RequestID != "req-123" {
		t.Errorf("RequestID = %q", res.RequestID)
	}
	wantHeaders := map[string]string{
		"content-type": "application/json", "x-request-id": "req-123", "x-multi": "a, b", "content-length": "16",
	}
	for k, v := range wantHeaders {
		if res.Headers[k] != v {
			t.Errorf("Headers[%q] = %q, want %q (all: %v)", k, res.Headers[k], v, res.Headers)
		}
	}
	for k := range res.Headers {
		if k != strings.ToLower(k) {
			t.Errorf("header name %q is not lower-case", k)
		}
	}
}

func TestInvokeMethodsAndBodies(t *testing.T) {
	srv, got := recorder(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {})
	d := newDriver(t)
	tests := []struct {
		name      string
		function  string
		payload   string
		method    string
		body      string
		wantCT    string
		wantNoLen bool // no Content-Length header
	}{
		{name: "default POST", function: urlAttr(srv.URL), payload: "plain", method: "POST", body: "plain"},
		{name: "GET without payload has no body", function: urlAttr(srv.URL) + `method = "GET"`, method: "GET", wantNoLen: true},
		{name: "lower-case get", function: urlAttr(srv.URL) + `method = "get"`, method: "GET", wantNoLen: true},
		{name: "GET with payload", function: urlAttr(srv.URL) + `method = "GET"`, payload: "q", method: "GET", body: "q"},
		{name: "PUT json", function: urlAttr(srv.URL) + `method = "PUT"`, payload: `[1,2]`, method: "PUT", body: `[1,2]`, wantCT: "application/json"},
		{name: "DELETE", function: urlAttr(srv.URL) + `method = "DELETE"`, method: "DELETE", wantNoLen: true},
		{name: "extension method kept as written", function: urlAttr(srv.URL) + `method = "Purge"`, method: "Purge", wantNoLen: true},
		{name: "empty POST", function: urlAttr(srv.URL), method: "POST"},
		{name: "content type given wins", function: urlAttr(srv.URL) + `headers = { content-type = "text/plain" }`, payload: `{}`, method: "POST", body: `{}`, wantCT: "text/plain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := request(t, d, ``, tt.function)
			req.Payload = []byte(tt.payload)
			if _, err := d.Invoke(context.Background(), req); err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			s := <-got
			if s.method != tt.method || s.body != tt.body {
				t.Errorf("server saw %s %q, want %s %q", s.method, s.body, tt.method, tt.body)
			}
			if ct := s.header.Get("Content-Type"); ct != tt.wantCT {
				t.Errorf("Content-Type = %q, want %q", ct, tt.wantCT)
			}
			if tt.wantNoLen && (s.header.Get("Content-Length") != "" || len(s.header.Values("Transfer-Encoding")) > 0) {
				t.Errorf("request carried a body framing: %v", s.header)
			}
		})
	}
}

func TestInvokeHeaderPrecedence(t *testing.T) {
	srv, got := recorder(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {})
	d := newDriver(t)
	req := request(t, d, `
headers = {
  X-Only-Provider = "provider"
  X-Fn            = "provider"
  X-All           = "provider"
  user-agent      = "provider-agent"
}`, urlAttr(srv.URL)+`
headers = {
  x-fn    = "function"
  X-ALL   = "function"
  X-Only-Function = "function"
}`)
	req.Headers = map[string]string{"x-all": "invocation", "Host": "fn.example.com"}
	if _, err := d.Invoke(context.Background(), req); err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	s := <-got
	want := map[string]string{
		"X-Only-Provider": "provider",
		"X-Fn":            "function",
		"X-All":           "invocation",
		"X-Only-Function": "function",
		"User-Agent":      "provider-agent",
	}
	for k, v := range want {
		if got := s.header.Values(k); len(got) != 1 || got[0] != v {
			t.Errorf("header %s = %q, want [%q]", k, got, v)
		}
	}
	if s.host != "fn.example.com" {
		t.Errorf("Host = %q, want the Host header given", s.host)
	}
}

func TestInvokeBaseURL(t *testing.T) {
	srv, got := recorder(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {})
	d := newDriver(t)
	req := request(t, d, fmt.Sprintf(`base_url = "%s/api"`, srv.URL), `url = "orders/42"`)
	if _, err := d.Invoke(context.Background(), req); err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if s := <-got; s.path != "/api/orders/42" {
		t.Errorf("path = %q", s.path)
	}
}

func TestInvokeStatusMapping(t *testing.T) {
	future := time.Now().Add(90 * time.Second).UTC().Format(nethttp.TimeFormat)
	past := time.Now().Add(-time.Hour).UTC().Format(nethttp.TimeFormat)
	tests := []struct {
		name          string
		status        int
		retryAfter    string
		headers       map[string]string
		wantError     bool
		wantType      string
		wantTransient bool
		wantMin       time.Duration
		wantMax       time.Duration
		wantRequestID string
	}{
		{name: "200", status: 200},
		{name: "302 not followed", status: 302, headers: map[string]string{"Location": "/elsewhere"}},
		{name: "404 is a function error", status: 404, wantError: true, wantType: "HTTP 404"},
		{name: "429 with seconds", status: 429, retryAfter: "7", wantError: true, wantType: "HTTP 429", wantTransient: true, wantMin: 7 * time.Second, wantMax: 7 * time.Second},
		{name: "429 with date", status: 429, retryAfter: future, wantError: true, wantType: "HTTP 429", wantTransient: true, wantMin: 85 * time.Second, wantMax: 90 * time.Second},
		{name: "429 with date in the past", status: 429, retryAfter: past, wantError: true, wantType: "HTTP 429", wantTransient: true},
		{name: "429 with garbage", status: 429, retryAfter: "soon", wantError: true, wantType: "HTTP 429", wantTransient: true},
		{name: "429 with negative", status: 429, retryAfter: "-5", wantError: true, wantType: "HTTP 429", wantTransient: true},
		{name: "429 capped", status: 429, retryAfter: "86400", wantError: true, wantType: "HTTP 429", wantTransient: true, wantMin: 5 * time.Minute, wantMax: 5 * time.Minute},
		{name: "429 huge number capped", status: 429, retryAfter: "99999999999999999999999", wantError: true, wantType: "HTTP 429", wantTransient: true, wantMin: 5 * time.Minute, wantMax: 5 * time.Minute},
		{name: "500 is a function error", status: 500, wantError: true, wantType: "HTTP 500"},
		{name: "501 is not transient", status: 501, wantError: true, wantType: "HTTP 501"},
		{name: "502 transient", status: 502, wantError: true, wantType: "HTTP 502", wantTransient: true},
		{name: "503 with Retry-After", status: 503, retryAfter: "2", wantError: true, wantType: "HTTP 503", wantTransient: true, wantMin: 2 * time.Second, wantMax: 2 * time.Second},
		{name: "504 transient", status: 504, wantError: true, wantType: "HTTP 504", wantTransient: true},
		{name: "amzn request id", status: 200, headers: map[string]string{"X-Amzn-RequestId": "amzn-1"}, wantRequestID: "amzn-1"},
		{name: "fc request id", status: 200, headers: map[string]string{"X-Fc-Request-Id": "fc-1"}, wantRequestID: "fc-1"},
		{name: "x-request-id preferred", status: 200, headers: map[string]string{"X-Fc-Request-Id": "fc-1", "X-Request-Id": "r-1"}, wantRequestID: "r-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := recorder(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				for k, v := range tt.headers {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				fmt.Fprint(w, "answer")
			})
			d := newDriver(t)
			res, err := d.Invoke(context.Background(), request(t, d, ``, urlAttr(srv.URL)))
			if err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			if res.Status != tt.status || res.Error != tt.wantError || res.ErrorType != tt.wantType || res.Transient != tt.wantTransient {
				t.Errorf("result status=%d error=%v type=%q transient=%v, want %d %v %q %v",
					res.Status, res.Error, res.ErrorType, res.Transient, tt.status, tt.wantError, tt.wantType, tt.wantTransient)
			}
			if res.RetryAfter < tt.wantMin || res.RetryAfter > tt.wantMax {
				t.Errorf("RetryAfter = %v, want between %v and %v", res.RetryAfter, tt.wantMin, tt.wantMax)
			}
			if string(res.Body) != "answer" {
				t.Errorf("Body = %q", res.Body)
			}
			if res.RequestID != tt.wantRequestID {
				t.Errorf("RequestID = %q, want %q", res.RequestID, tt.wantRequestID)
			}
			if res.ErrorCode != "" || res.ErrorMessage != "" {
				t.Errorf("ErrorCode/Message = %q %q, want none", res.ErrorCode, res.ErrorMessage)
			}
		})
	}
}

// rawServer listens on loopback and serves every connection with handle.
// It returns the URL of a function on it.
func rawServer(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				handle(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return "http://" + ln.Addr().String() + "/fn"
}

// readRequest reads one request head (and discards the body) from c.
func readRequest(c net.Conn) {
	r, err := nethttp.ReadRequest(bufio.NewReader(c))
	if err == nil {
		_, _ = io.Copy(io.Discard, r.Body)
	}
}

func TestInvokeTransportFailures(t *testing.T) {
	// A port nobody listens on: listen, note the address, close.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String() + "/fn"
	ln.Close()

	tests := []struct {
		name    string
		url     func(t *testing.T) string
		timeout time.Duration
		wantErr []string
		wantIs  error
	}{
		{
			name:    "connection refused",
			url:     func(*testing.T) string { return refused },
			wantErr: []string{"could not connect", "connection refused"},
		},
		{
			name: "server closes without answering",
			url: func(t *testing.T) string {
				return rawServer(t, func(c net.Conn) { readRequest(c); c.Close() })
			},
			wantErr: []string{"closed the connection without answering"},
			wantIs:  io.EOF,
		},
		{
			name: "server resets the connection",
			url: func(t *testing.T) string {
				return rawServer(t, func(c net.Conn) {
					readRequest(c)
					if tc, ok := c.(*net.TCPConn); ok {
						_ = tc.SetLinger(0) // RST instead of FIN
					}
					c.Close()
				})
			},
			// Linux reports the RST as a reset; elsewhere it may look like
			// a close.
			wantErr: []string{"http: POST http://127.0.0.1:"},
		},
		{
			name: "server answers garbage",
			url: func(t *testing.T) string {
				return rawServer(t, func(c net.Conn) {
					readRequest(c)
					_, _ = io.WriteString(c, "SSH-2.0-OpenSSH_9.6\r\n\r\n")
					c.Close()
				})
			},
			wantErr: []string{"not valid HTTP"},
		},
		{
			name: "server answers binary garbage and keeps the connection",
			url: func(t *testing.T) string {
				return rawServer(t, func(c net.Conn) {
					readRequest(c)
					_, _ = c.Write([]byte{0x16, 0x03, 0x01, 0x00, 0xff, 0, 0, 0, '\n', '\n'})
					_, _ = io.Copy(io.Discard, c)
				})
			},
			timeout: 5 * time.Second,
			wantErr: []string{"not valid HTTP"},
		},
		{
			name: "truncated body",
			url: func(t *testing.T) string {
				return rawServer(t, func(c net.Conn) {
					readRequest(c)
					_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part of it")
					c.Close()
				})
			},
			wantErr: []string{"status 200", "before the whole body (Content-Length 100)"},
			wantIs:  io.ErrUnexpectedEOF,
		},
		{
			name: "truncated chunked body",
			url: func(t *testing.T) string {
				return rawServer(t, func(c net.Conn) {
					readRequest(c)
					_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
					c.Close()
				})
			},
			wantErr: []string{"before the whole body arrived"},
			wantIs:  io.ErrUnexpectedEOF,
		},
		{
			name: "server never answers",
			url: func(t *testing.T) string {
				return rawServer(t, func(c net.Conn) { readRequest(c); _, _ = io.Copy(io.Discard, c) })
			},
			timeout: 200 * time.Millisecond,
			wantErr: []string{"no answer before the context ended"},
			wantIs:  context.DeadlineExceeded,
		},
		{
			name: "server stalls in the middle of the body",
			url: func(t *testing.T) string {
				return rawServer(t, func(c net.Conn) {
					readRequest(c)
					_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nsome")
					_, _ = io.Copy(io.Discard, c)
				})
			},
			timeout: 200 * time.Millisecond,
			wantErr: []string{"status 200", "context ended while reading the body"},
			wantIs:  context.DeadlineExceeded,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDriver(t)
			req := request(t, d, ``, urlAttr(tt.url(t)))
			req.Payload = []byte(`{"x":1}`)
			req.Headers = map[string]string{"Authorization": "Bearer hunter2"}
			timeout := tt.timeout
			if timeout == 0 {
				timeout = 5 * time.Second
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			start := time.Now()
			res, err := d.Invoke(ctx, req)
			if elapsed := time.Since(start); elapsed > timeout+2*time.Second {
				t.Errorf("Invoke took %v", elapsed)
			}
			if err == nil {
				t.Fatalf("Invoke = %+v, want an error", res)
			}
			if res != nil {
				t.Errorf("Invoke returned a result with its error: %+v", res)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "http: ") {
				t.Errorf("error %q lacks the http: prefix", msg)
			}
			for _, sub := range tt.wantErr {
				if !strings.Contains(msg, sub) {
					t.Errorf("error %q does not contain %q", msg, sub)
				}
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %q is not %v", msg, tt.wantIs)
			}
			if strings.Contains(msg, "hunter2") {
				t.Errorf("error %q echoes a header value", msg)
			}
			t.Logf("error: %s", msg)
		})
	}
}

func TestInvokeBodyLimit(t *testing.T) {
	srv, _ := recorder(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		fmt.Fprint(w, strings.Repeat("x", 2048))
	})
	d := newDriver(t)
	req := request(t, d, ``, urlAttr(srv.URL))

	d.maxBody = 2048
	res, err := d.Invoke(context.Background(), req)
	if err != nil || len(res.Body) != 2048 {
		t.Fatalf("at the limit: Invoke = %v, %v", res, err)
	}

	d.maxBody = 1024
	_, err = d.Invoke(context.Background(), req)
	if err == nil || !strings.Contains(err.Error(), "exceeds the 1 KiB limit") {
		t.Fatalf("over the limit: Invoke error = %v, want the limit named", err)
	}
}

func TestInvokeInvalidRequests(t *testing.T) {
	d := newDriver(t)
	tests := []struct {
		name     string
		provider string
		function string
		headers  map[string]string
		typ      string
		wantErr  string
	}{
		{name: "relative url without base", function: `url = "orders"`, wantErr: "no base_url"},
		{name: "bad method", function: "url = \"http://127.0.0.1:1/\"\nmethod = \"A B\"", wantErr: "not a valid HTTP method"},
		{name: "bad header value", function: `url = "http://127.0.0.1:1/"`, headers: map[string]string{"X-Token": "hunter2\n"}, wantErr: `"X-Token"`},
		{name: "bad header name", function: `url = "http://127.0.0.1:1/"`, headers: map[string]string{"X Token": "v"}, wantErr: `"X Token"`},
		{name: "async unsupported", function: `url = "http://127.0.0.1:1/"`, typ: providers.TypeAsync, wantErr: "does not support"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := request(t, d, tt.provider, tt.function)
			req.Headers = tt.headers
			if tt.typ != "" {
				req.Type = tt.typ
			}
			_, err := d.Invoke(context.Background(), req)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Invoke error = %v, want it to contain %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q echoes a header value", err)
			}
		})
	}
}

func TestInvokeKeepAlive(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		fmt.Fprint(w, "ok")
	}))
	srv.Config.ConnState = func(_ net.Conn, state nethttp.ConnState) {
		if state == nethttp.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)

	d := newDriver(t)
	req := request(t, d, ``, urlAttr(srv.URL))
	req.Payload = []byte(`{"n":1}`)
	for i := 0; i < 20; i++ {
		if _, err := d.Invoke(context.Background(), req); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("20 sequential calls opened %d connections, want 1", n)
	}

	// Concurrent calls reuse the pool too. The transport may finish a dial
	// that an idle connection made unnecessary, so allow some slack; without
	// reuse this would be 64.
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 8; j++ {
				if _, err := d.Invoke(context.Background(), req); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := conns.Load() - 1; n > 16 {
		t.Errorf("64 calls from 8 goroutines opened %d new connections, want at most 16", n)
	}

	// Close drops the idle connections: the next call opens a new one.
	before := conns.Load()
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Invoke(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if n := conns.Load(); n != before+1 {
		t.Errorf("after Close: %d connections, want %d", n, before+1)
	}
}

// BenchmarkInvoke measures one small POST round trip over a kept-alive
// loopback connection.
func BenchmarkInvoke(b *testing.B) {
	srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "bench")
		_, _ = io.Copy(w, r.Body)
	}))
	defer srv.Close()
	d := New()
	defer d.Close()
	req := request(b, d, `headers = { Authorization = "Bearer token" }`, urlAttr(srv.URL+"/fn"))
	req.Payload = []byte(`{"sku":"A1","qty":2}`)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		res, err := d.Invoke(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		if res.Status != 200 || len(res.Body) != len(req.Payload) {
			b.Fatalf("unexpected result %d %q", res.Status, res.Body)
		}
	}
}
