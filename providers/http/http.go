// Package http implements the "http" provider type: any HTTP endpoint is the
// function (function URLs, API gateways, Knative, OpenFaaS ...). The payload
// is the request body and the response is the result, status and headers
// included.
//
//	provider "http" {
//	  base_url = "https://api.example.com/v1"     # optional
//	  headers  = { Authorization = var.token }    # optional, on every request
//	}
//
//	function "create_order" {
//	  provider = provider.http
//	  url      = "orders"          # required: absolute, or relative to base_url
//	  method   = "POST"            # optional, default POST
//	  headers  = { X-Stage = "1" } # optional
//	}
//
// An invocation may add a path below the URL, query parameters and a method
// (providers.Request.Path, Query, Method; see address).
//
// Header precedence, lowest first: provider headers, function headers, the
// invocation's headers. Redirects are not followed: a 3xx is the answer, so
// that suites can assert on it.
package http

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	nethttp "net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/providers/wire"
)

// TypeName is the provider type this driver implements.
const TypeName = "http"

const (
	defaultMethod    = nethttp.MethodPost
	defaultMaxBody   = wire.HTTPLimit
	defaultUserAgent = "fnprobe"
	maxIdlePerHost   = 256
	idleConnTimeout  = 90 * time.Second
)

// requestIDHeaders are the response headers a request id is read from, in
// order of preference (lower-case).
var requestIDHeaders = []string{"x-request-id", "x-amzn-requestid", "x-fc-request-id"}

// Driver invokes HTTP endpoints. It holds one client with a keep-alive
// connection pool shared by all invocations, and is safe for concurrent
// use. Construct it with New and release it with Close.
type Driver struct {
	client  wire.Client
	maxBody int64
	now     func() time.Time
	addrs   addrCache
}

// addrCache remembers the address of a function block's plain calls (no
// run-time path or query): parsing and resolving its URL once instead of
// at every call. It keeps at most maxCachedAddrs entries; past that,
// addresses are computed each time. Entries are never modified.
type addrCache struct {
	mu sync.Mutex
	m  map[addrKey]addrEntry
}

const maxCachedAddrs = 1024

type addrKey struct{ base, url, method string }

type addrEntry struct {
	target *url.URL // shared: read, never modified
	str    string   // target.String()
	method string
}

// address is address(req) for plain calls, cached.
func (c *addrCache) address(req *providers.Request) (*url.URL, string, string, error) {
	if req.Path != "" || len(req.Query) > 0 {
		target, method, err := address(req)
		if err != nil {
			return nil, "", "", err
		}
		return target, target.String(), method, nil
	}
	key := addrKey{providers.String(req.Provider, "base_url"), providers.String(req.Function, "url"), req.Method}
	if key.method == "" {
		key.method = providers.String(req.Function, "method")
	}
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return e.target, e.str, e.method, nil
	}
	target, method, err := address(req)
	if err != nil {
		return nil, "", "", err
	}
	e = addrEntry{target: target, str: target.String(), method: method}
	c.mu.Lock()
	if c.m == nil {
		c.m = make(map[addrKey]addrEntry)
	}
	if len(c.m) < maxCachedAddrs {
		c.m[key] = e
	}
	c.mu.Unlock()
	return e.target, e.str, e.method, nil
}

// New returns an HTTP driver with its own connection pool: no global limit,
// bounded per host. Deadlines come from the context of each call; the
// client itself has no timeout.
func New() *Driver {
	client := wire.NewClient(wire.Pool{PerHost: maxIdlePerHost, IdleTimeout: idleConnTimeout})
	client.CheckRedirect = func(*nethttp.Request, []*nethttp.Request) error {
		return nethttp.ErrUseLastResponse
	}
	return &Driver{client: client, maxBody: defaultMaxBody, now: time.Now}
}

var (
	providerSpec = hcldec.ObjectSpec{
		"base_url": &hcldec.AttrSpec{Name: "base_url", Type: cty.String},
		"headers":  &hcldec.AttrSpec{Name: "headers", Type: cty.Map(cty.String)},
	}
	functionSpec = hcldec.ObjectSpec{
		"url": &hcldec.AttrSpec{Name: "url", Type: cty.String, Required: true},
		"method": &hcldec.DefaultSpec{
			Primary: &hcldec.AttrSpec{Name: "method", Type: cty.String},
			Default: &hcldec.LiteralSpec{Value: cty.StringVal(defaultMethod)},
		},
		"headers": &hcldec.AttrSpec{Name: "headers", Type: cty.Map(cty.String)},
	}
)

// Schema describes the provider and function bodies of the http provider.
func (d *Driver) Schema() providers.Schema {
	return providers.Schema{
		Provider: providerSpec,
		Function: functionSpec,
		Types:    []string{providers.TypeSync},
		// An invocation's path, query and method address the request.
		Addressing: true,
	}
}

// Describe returns the URL and method a request goes to: the function's
// URL with the invocation's path and query applied.
func (d *Driver) Describe(req *providers.Request) providers.Target {
	target, method, err := address(req)
	if err != nil {
		return providers.Target{Endpoint: providers.String(req.Function, "url"), Method: normalizeMethod(providers.String(req.Function, "method"))}
	}
	return providers.Target{Endpoint: target.Redacted(), Method: method}
}

// ValidateAddressing implements providers.AddressingValidator: a path
// with empty, "." or ".." segments and a method that is no HTTP token are
// refused before anything runs.
func (d *Driver) ValidateAddressing(req *providers.Request) map[string]string {
	problems := map[string]string{}
	if req.Path != "" {
		if _, err := appendPath(&url.URL{Scheme: "https", Host: "h", Path: "/"}, req.Path); err != nil {
			problems["path"] = err.Error()
		}
	}
	if req.Method != "" && !isToken(normalizeMethod(req.Method)) {
		problems["method"] = fmt.Sprintf("method %q is not a valid HTTP method name", req.Method)
	}
	if len(problems) == 0 {
		return nil
	}
	return problems
}

// address returns the URL and method of a request: the function's URL
// (resolved against the provider's base_url) with the invocation's path
// appended and its query merged, and the invocation's method, else the
// function's.
func address(req *providers.Request) (*url.URL, string, error) {
	target, err := resolveURL(providers.String(req.Provider, "base_url"), providers.String(req.Function, "url"))
	if err != nil {
		return nil, "", err
	}
	if target, err = appendPath(target, req.Path); err != nil {
		return nil, "", err
	}
	if len(req.Query) > 0 {
		q := target.Query()
		for k, v := range req.Query {
			q.Set(k, v)
		}
		target.RawQuery = q.Encode()
	}
	m := providers.String(req.Function, "method")
	if req.Method != "" {
		m = req.Method
	}
	method := normalizeMethod(m)
	if !isToken(method) {
		return nil, "", fmt.Errorf("method %q is not a valid HTTP method name", method)
	}
	return target, method, nil
}

// appendPath returns base with p appended below its path. p is split at
// "/" (one leading "/" is optional, a trailing one is kept) and each
// segment is percent-escaped, so "?", "#", "%" and spaces in a value stay
// in their segment. Empty, "." and ".." segments are refused: a path
// never climbs above the function's URL.
func appendPath(base *url.URL, p string) (*url.URL, error) {
	if p == "" {
		return base, nil
	}
	rest := strings.TrimPrefix(p, "/")
	trailing := strings.HasSuffix(rest, "/")
	rest = strings.TrimSuffix(rest, "/")
	if rest == "" {
		return nil, fmt.Errorf("path %q has no segment; leave path unset to call the function's URL", p)
	}
	segs := strings.Split(rest, "/")
	for i, seg := range segs {
		switch seg {
		case "":
			return nil, fmt.Errorf("path %q has an empty segment (\"//\")", p)
		case ".", "..":
			return nil, fmt.Errorf("path %q has a %q segment; a path cannot climb above the function's URL", p, seg)
		}
		segs[i] = url.PathEscape(seg)
	}
	raw := strings.TrimSuffix(base.EscapedPath(), "/") + "/" + strings.Join(segs, "/")
	if trailing {
		raw += "/"
	}
	unescaped, err := url.PathUnescape(raw)
	if err != nil {
		return nil, fmt.Errorf("path %q: %w", p, err)
	}
	u := *base
	u.Path, u.RawPath = unescaped, raw
	return &u, nil
}

// Close releases idle connections.
func (d *Driver) Close() error { return d.client.Close() }

// ValidateFunction checks the function's url (against the provider's
// base_url when relative), method and header names before anything runs.
// Values that are not yet known are not checked; header values are never
// echoed, as they may hold tokens.
func (d *Driver) ValidateFunction(provider, function cty.Value) map[string]string {
	problems := map[string]string{}
	rawURL, urlKnown := knownString(function, "url")
	base, baseKnown := knownString(provider, "base_url")
	if urlKnown && baseKnown {
		if _, err := resolveURL(base, rawURL); err != nil {
			problems["url"] = err.Error()
		}
	}
	if m, ok := knownString(function, "method"); ok && m != "" && !isToken(m) {
		problems["method"] = fmt.Sprintf("method %q is not a valid HTTP method name", m)
	}
	if msg := validateHeaders(attrValue(function, "headers")); msg != "" {
		problems["headers"] = msg
	}
	if len(problems) == 0 {
		return nil
	}
	return problems
}

// knownString returns obj.name when it is known; null and absent count as
// known and empty.
func knownString(obj cty.Value, name string) (string, bool) {
	if !obj.IsKnown() {
		return "", false
	}
	v := attrValue(obj, name)
	if !v.IsKnown() {
		return "", false
	}
	if v.IsNull() || v.Type() != cty.String {
		return "", true
	}
	return v.AsString(), true
}

func attrValue(obj cty.Value, name string) cty.Value {
	if obj.IsNull() || !obj.IsKnown() || !obj.Type().IsObjectType() || !obj.Type().HasAttribute(name) {
		return cty.NullVal(cty.DynamicPseudoType)
	}
	return obj.GetAttr(name)
}

func validateHeaders(v cty.Value) string {
	if !v.IsWhollyKnown() || v.IsNull() || !v.CanIterateElements() {
		return ""
	}
	var bad []string
	for it := v.ElementIterator(); it.Next(); {
		k, ev := it.Element()
		name := k.AsString()
		if msg := headerProblem(name, ev); msg != "" {
			bad = append(bad, msg)
		}
	}
	sort.Strings(bad)
	return strings.Join(bad, "; ")
}

func headerProblem(name string, value cty.Value) string {
	if !isToken(name) {
		return fmt.Sprintf("header name %q is not a valid HTTP header name", name)
	}
	if value.IsNull() || value.Type() != cty.String {
		return ""
	}
	if !validHeaderValue(value.AsString()) {
		return fmt.Sprintf("the value of header %q contains a control character (such as a line break)", name)
	}
	return ""
}

// resolveURL returns the absolute URL of a function: raw itself when it is
// an absolute http(s) URL, else raw joined onto base as a path (and query)
// below it.
func resolveURL(base, raw string) (*url.URL, error) {
	ref, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("url %q cannot be parsed: %w", raw, unwrapURLError(err))
	}
	if ref.Scheme != "" {
		if err := checkAbsolute(ref); err != nil {
			return nil, fmt.Errorf("url %q %w", ref.Redacted(), err)
		}
		return ref, nil
	}
	if ref.Host != "" || strings.HasPrefix(raw, "//") {
		return nil, fmt.Errorf("url %q has a host but no scheme; write http:// or https://", raw)
	}
	if base == "" {
		if raw == "" {
			return nil, errors.New("url is empty")
		}
		return nil, fmt.Errorf("url %q is not an absolute http:// or https:// URL, and the provider has no base_url to resolve it against", raw)
	}
	b, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("provider base_url cannot be parsed: %w", unwrapURLError(err))
	}
	if b.Scheme == "" {
		return nil, fmt.Errorf("provider base_url %q is not an absolute http:// or https:// URL", b.Redacted())
	}
	if err := checkAbsolute(b); err != nil {
		return nil, fmt.Errorf("provider base_url %q %w", b.Redacted(), err)
	}
	u := *b
	u.Fragment, u.RawFragment = "", ""
	if ref.Path != "" {
		u = *u.JoinPath(ref.EscapedPath())
	}
	switch {
	case ref.RawQuery == "":
	case u.RawQuery == "":
		u.RawQuery = ref.RawQuery
	default:
		u.RawQuery = u.RawQuery + "&" + ref.RawQuery
	}
	return &u, nil
}

func checkAbsolute(u *url.URL) error {
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	default:
		return fmt.Errorf("has scheme %q; only http and https are supported", u.Scheme)
	}
	if u.Host == "" {
		return errors.New("has no host")
	}
	return nil
}

// unwrapURLError drops url.Error's "parse <url>:" prefix, which the caller
// already names.
func unwrapURLError(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Err
	}
	return err
}

// Invoke sends one request and maps the answer. Every HTTP answer is a
// Result; transport failures, a garbled or truncated answer, an oversized
// body and an expired context are Go errors.
func (d *Driver) Invoke(ctx context.Context, req *providers.Request) (*providers.Result, error) {
	if req.Type != "" && req.Type != providers.TypeSync {
		return nil, &providers.TypeError{Provider: TypeName, Type: req.Type}
	}
	target, targetStr, method, err := d.addrs.address(req)
	if err != nil {
		return nil, providers.Permanent(fmt.Errorf("http: %w", err), "")
	}

	var body io.Reader = nethttp.NoBody
	if len(req.Payload) > 0 {
		body = bytes.NewReader(req.Payload)
	}
	hreq, err := nethttp.NewRequestWithContext(ctx, method, targetStr, body)
	if err != nil {
		return nil, fmt.Errorf("http: building the request for %s: %w", target.Redacted(), err)
	}
	hreq.Header.Set("User-Agent", defaultUserAgent)
	if len(req.Payload) > 0 && json.Valid(req.Payload) {
		hreq.Header.Set("Content-Type", "application/json")
	}
	for _, layer := range []map[string]string{
		providers.StringMap(req.Provider, "headers"),
		providers.StringMap(req.Function, "headers"),
		req.Headers,
	} {
		if err := setHeaders(hreq, layer); err != nil {
			return nil, fmt.Errorf("http: %w", err)
		}
	}

	resp, err := d.client.Do(hreq)
	if err != nil {
		return nil, transportError(ctx, method, target, err)
	}
	defer resp.Body.Close()

	payload, release, err := wire.ReadBody(ctx, resp.Body, resp.ContentLength, d.maxBody, req.Budget)
	if err != nil {
		return nil, d.bodyError(ctx, method, target, resp, err)
	}
	res := d.result(resp, payload)
	res.Release = release
	return res, nil
}

// normalizeMethod upper-cases the standard methods ("get" means GET) and
// keeps extension methods as written; empty means the default.
func normalizeMethod(m string) string {
	if m == "" {
		return defaultMethod
	}
	switch up := strings.ToUpper(m); up {
	case nethttp.MethodGet, nethttp.MethodHead, nethttp.MethodPost, nethttp.MethodPut, nethttp.MethodPatch,
		nethttp.MethodDelete, nethttp.MethodConnect, nethttp.MethodOptions, nethttp.MethodTrace:
		return up
	}
	return m
}

// setHeaders sets each header, replacing any value an earlier layer set
// under the same (case-insensitive) name. Errors name the header, never its
// value.
func setHeaders(r *nethttp.Request, h map[string]string) error {
	for name, value := range h {
		if !isToken(name) {
			return fmt.Errorf("header name %q is not a valid HTTP header name", name)
		}
		if !validHeaderValue(value) {
			return fmt.Errorf("the value of header %q contains a control character (such as a line break)", name)
		}
		if strings.EqualFold(name, "Host") {
			r.Host = value
			continue
		}
		r.Header.Set(name, value)
	}
	return nil
}

func (d *Driver) result(resp *nethttp.Response, body []byte) *providers.Result {
	res := &providers.Result{Status: resp.StatusCode, Body: body, Headers: wire.Headers(resp.Header)}
	for _, h := range requestIDHeaders {
		if id := res.Headers[h]; id != "" {
			res.RequestID = id
			break
		}
	}
	// The endpoint is the function: an error status is the function
	// failing, which fails the invocation unless expect speaks of it.
	if resp.StatusCode >= 400 {
		res.Error = true
		res.ErrorType = "HTTP " + strconv.Itoa(resp.StatusCode)
	}
	switch resp.StatusCode {
	case nethttp.StatusTooManyRequests, nethttp.StatusBadGateway, nethttp.StatusServiceUnavailable, nethttp.StatusGatewayTimeout:
		res.Transient = true
	}
	if ra := resp.Header.Get("Retry-After"); ra != "" {
		res.RetryAfter = wire.RetryAfter(ra, d.now())
	}
	return res
}

// transportError describes a request that got no HTTP answer.
func transportError(ctx context.Context, method string, target *url.URL, err error) error {
	cause := unwrapURLError(err)
	what := "request failed"
	switch {
	case ctx.Err() != nil:
		what = "no answer before the context ended"
		if cerr := context.Cause(ctx); cerr != nil && !errors.Is(cause, cerr) {
			cause = fmt.Errorf("%w (%w)", cerr, cause)
		}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		what = "the server closed the connection without answering"
	case isMalformed(err):
		what = "the server's answer is not valid HTTP"
	case errors.Is(err, syscall.ECONNRESET):
		what = "the server reset the connection"
	case isDial(err):
		what = "could not connect"
	}
	return wire.Classify(fmt.Errorf("http: %s %s: %s: %w", method, target.Redacted(), what, cause))
}

// bodyError describes a failure while reading an answer's body.
func (d *Driver) bodyError(ctx context.Context, method string, target *url.URL, resp *nethttp.Response, err error) error {
	prefix := fmt.Sprintf("http: %s %s: status %d", method, target.Redacted(), resp.StatusCode)
	switch {
	case errors.As(err, new(*wire.TooLargeError)):
		return fmt.Errorf("%s: %w", prefix, err)
	case ctx.Err() != nil:
		cause := err
		if cerr := context.Cause(ctx); cerr != nil && !errors.Is(err, cerr) {
			cause = fmt.Errorf("%w (%w)", cerr, err)
		}
		return fmt.Errorf("%s: the context ended while reading the body: %w", prefix, cause)
	case errors.Is(err, io.ErrUnexpectedEOF) && resp.ContentLength > 0:
		return fmt.Errorf("%s: the connection closed before the whole body (Content-Length %d) arrived: %w", prefix, resp.ContentLength, err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%s: the connection closed before the whole body arrived: %w", prefix, err)
	}
	return fmt.Errorf("%s: reading the body: %w", prefix, err)
}

func isMalformed(err error) bool {
	// net/http reports a non-HTTP answer only as text.
	s := err.Error()
	return strings.Contains(s, "malformed HTTP") || strings.Contains(s, "server gave HTTP response to HTTPS client")
}

func isDial(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// isToken reports whether s is an RFC 9110 token (method and header names).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// validHeaderValue reports whether v can be sent as a header value: no
// control characters other than horizontal tab.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
