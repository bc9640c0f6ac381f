// Package wire holds the HTTP plumbing that fnprobe's HTTP-speaking
// drivers (http, alicloud, aws, huawei, tencent) share: the keep-alive
// client, reading answers (bodies bounded per driver and drawn from the
// run's providers.Budget, headers, Retry-After, numbers, error bodies),
// telling transport errors that cannot heal (Classify) from those that may,
// and pacing the polls of an async task.
//
// It knows no cloud's wire format: what a header means, which error codes
// are transient and how a request is signed stay in each driver.
package wire

import (
	"encoding/base64"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/fnprobe/fnprobe/providers"
)

// Pool sizes the keep-alive connection pool of a Client.
type Pool struct {
	// PerHost bounds the idle connections kept per host.
	PerHost int
	// Total bounds the idle connections kept across all hosts; zero means
	// no bound.
	Total int
	// IdleTimeout is how long an idle connection is kept; zero keeps
	// http.DefaultTransport's 90 seconds.
	IdleTimeout time.Duration
}

// DefaultPool is the pool of the cloud drivers: 64 idle connections per
// host, 100 in all, kept 90 seconds.
var DefaultPool = Pool{PerHost: 64, Total: 100}

// Client is an HTTP client with its own keep-alive connection pool, shared
// by all of a driver's invocations and safe for concurrent use. It has no
// timeout of its own: deadlines come from each request's context.
type Client struct{ *http.Client }

// NewClient returns a Client over a clone of http.DefaultTransport (proxy
// from the environment, 30s dial and 10s TLS handshake timeouts, HTTP/2
// when the server offers it) with the given pool. Redirects are followed
// as by any http.Client; set CheckRedirect to change that.
func NewClient(p Pool) Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = p.PerHost
	t.MaxIdleConns = p.Total
	if p.IdleTimeout > 0 {
		t.IdleConnTimeout = p.IdleTimeout
	}
	return Client{&http.Client{Transport: traceTransport{t}}}
}

// Close releases the client's idle connections. A driver's Close
// (providers.Closer) returns it.
func (c Client) Close() error {
	c.CloseIdleConnections()
	return nil
}

// Endpoint normalises an endpoint given in a provider block: https:// is
// assumed when it names no scheme, and trailing slashes are dropped so that
// paths can be appended.
func Endpoint(s string) string {
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	return strings.TrimRight(s, "/")
}

// Headers returns response headers as the result object carries them:
// lower-case names, several values joined with ", "; a header carrying the
// log tail in base64 (providers.EncodedLog) holds providers.EncodedLogNote
// instead, as the redactor cannot see a secret in base64 (the decoded log
// is the result's log).
func Headers(h http.Header) map[string]string {
	m := make(map[string]string, len(h))
	for k, vs := range h {
		if providers.EncodedLog(k) {
			m[strings.ToLower(k)] = providers.EncodedLogNote
			continue
		}
		m[lowerName(k)] = strings.Join(vs, ", ")
	}
	return m
}

// lowerName is strings.ToLower of a header name, without allocating for
// the names every answer carries (a run reads thousands of answers).
func lowerName(k string) string {
	switch k {
	case "Content-Type":
		return "content-type"
	case "Content-Length":
		return "content-length"
	case "Date":
		return "date"
	case "Connection":
		return "connection"
	case "Server":
		return "server"
	case "Vary":
		return "vary"
	case "Cache-Control":
		return "cache-control"
	case "Keep-Alive":
		return "keep-alive"
	case "Transfer-Encoding":
		return "transfer-encoding"
	}
	return strings.ToLower(k)
}

// Base64Header decodes a header that carries base64 (standard encoding),
// such as a log tail; "" when the header is absent or empty. The error
// names the header.
func Base64Header(h http.Header, name string) (string, error) {
	v := h.Get(name)
	if v == "" {
		return "", nil
	}
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return "", fmt.Errorf("%s is not base64: %w", name, err)
	}
	return string(b), nil
}

// Float parses a number read from a header or a log line; nil when s is
// empty or not a finite number ("NaN", "Inf" and overflows included: cty
// cannot hold NaN).
func Float(s string) *float64 {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return &f
}

// maxExcerpt is how much of an unrecognised error body Excerpt keeps.
const maxExcerpt = 512

// Excerpt returns an error body the driver could not decode as the error
// message: trimmed of surrounding white space and cut after 512 bytes,
// with "…" marking the cut.
func Excerpt(body []byte) string {
	msg := strings.TrimSpace(string(body))
	if len(msg) > maxExcerpt {
		msg = msg[:maxExcerpt] + "…"
	}
	return msg
}

// Field returns the value of the first of keys that names a non-empty
// string member of a decoded JSON object, matching member names
// case-insensitively as the clouds' SDKs do; "" when none does.
func Field(m map[string]any, keys ...string) string {
	for _, k := range keys {
		for mk, v := range m {
			if strings.EqualFold(mk, k) {
				if s, ok := v.(string); ok && s != "" {
					return s
				}
			}
		}
	}
	return ""
}
