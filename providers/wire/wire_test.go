package wire

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/providers"
)

func TestNewClient(t *testing.T) {
	tests := []struct {
		name           string
		pool           Pool
		perHost, total int
		idleTimeout    time.Duration
	}{
		{name: "default pool", pool: DefaultPool, perHost: 64, total: 100, idleTimeout: 90 * time.Second},
		{name: "shorter idle timeout", pool: Pool{PerHost: 64, Total: 100, IdleTimeout: 50 * time.Second}, perHost: 64, total: 100, idleTimeout: 50 * time.Second},
		{name: "no total bound", pool: Pool{PerHost: 256}, perHost: 256, total: 0, idleTimeout: 90 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewClient(tt.pool)
			tt0, ok := c.Transport.(traceTransport)
			if !ok {
				t.Fatalf("transport is %T", c.Transport)
			}
			tr, ok := tt0.next.(*http.Transport)
			if !ok {
				t.Fatalf("transport is %T", c.Transport)
			}
			if tr == http.DefaultTransport {
				t.Fatal("the client shares http.DefaultTransport")
			}
			if tr.MaxIdleConnsPerHost != tt.perHost || tr.MaxIdleConns != tt.total || tr.IdleConnTimeout != tt.idleTimeout {
				t.Errorf("per host %d, total %d, idle timeout %v; want %d, %d, %v",
					tr.MaxIdleConnsPerHost, tr.MaxIdleConns, tr.IdleConnTimeout, tt.perHost, tt.total, tt.idleTimeout)
			}
			if tr.Proxy == nil || !tr.ForceAttemptHTTP2 || tr.TLSHandshakeTimeout != 10*time.Second {
				t.Errorf("not http.DefaultTransport's settings: proxy %v, HTTP/2 %v, TLS handshake %v", tr.Proxy != nil, tr.ForceAttemptHTTP2, tr.TLSHandshakeTimeout)
			}
			if c.Timeout != 0 || c.CheckRedirect != nil {
				t.Errorf("timeout %v, check redirect set %v; want neither", c.Timeout, c.CheckRedirect != nil)
			}
		})
	}
	if NewClient(DefaultPool).Transport == NewClient(DefaultPool).Transport {
		t.Error("two clients share one pool")
	}
}

// TestClientKeepAliveAndClose: calls reuse one connection; Close drops it,
// so the next call dials again.
func TestClientKeepAliveAndClose(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c := NewClient(DefaultPool)
	get := func() {
		t.Helper()
		resp, err := c.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	for range 5 {
		get()
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("5 calls opened %d connections, want 1", n)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	get()
	if n := conns.Load(); n != 2 {
		t.Errorf("after Close: %d connections, want 2", n)
	}
}

func TestEndpoint(t *testing.T) {
	tests := []struct{ in, want string }{
		{"fc.example.com", "https://fc.example.com"},
		{"fc.example.com/", "https://fc.example.com"},
		{"http://127.0.0.1:9000", "http://127.0.0.1:9000"},
		{"http://127.0.0.1:9000//", "http://127.0.0.1:9000"},
		{"https://api.example.com/base/", "https://api.example.com/base"},
		{"127.0.0.1:9000", "https://127.0.0.1:9000"},
	}
	for _, tt := range tests {
		if got := Endpoint(tt.in); got != tt.want {
			t.Errorf("Endpoint(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestHeaders(t *testing.T) {
	tests := []struct {
		name string
		in   http.Header
		want map[string]string
	}{
		{name: "none", in: http.Header{}, want: map[string]string{}},
		{name: "lower-cased", in: http.Header{"X-Fc-Request-Id": {"r1"}, "Content-Type": {"application/json"}},
			want: map[string]string{"x-fc-request-id": "r1", "content-type": "application/json"}},
		{name: "several values joined", in: http.Header{"Vary": {"Accept", "Origin"}}, want: map[string]string{"vary": "Accept, Origin"}},
		{name: "empty value kept", in: http.Header{"X-Empty": {""}}, want: map[string]string{"x-empty": ""}},
		{name: "common names", in: http.Header{"Content-Length": {"2"}, "Date": {"d"}, "Connection": {"close"}, "Server": {"s"},
			"Cache-Control": {"no-store"}, "Keep-Alive": {"timeout=5"}, "Transfer-Encoding": {"chunked"}, "content-type": {"raw"}},
			want: map[string]string{"content-length": "2", "date": "d", "connection": "close", "server": "s",
				"cache-control": "no-store", "keep-alive": "timeout=5", "transfer-encoding": "chunked", "content-type": "raw"}},
		{name: "log tail in base64 not shown", in: http.Header{"X-Fc-Log-Result": {"c2VjcmV0"}},
			want: map[string]string{"x-fc-log-result": providers.EncodedLogNote}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Headers(tt.in); !maps.Equal(got, tt.want) {
				t.Errorf("Headers = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFloat(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	tests := []struct {
		in   string
		want *float64
	}{
		{"", nil},
		{"12", f(12)},
		{"12.50", f(12.5)},
		{" 3.25 ", f(3.25)},
		{"0", f(0)},
		{"-1", f(-1)},
		{"1.2.3", nil},
		{"12ms", nil},
		// strconv reads these as numbers; cty cannot hold NaN (building
		// the result object would panic) and durations are finite.
		{"NaN", nil},
		{"Inf", nil},
		{"-Infinity", nil},
		{"1e400", nil},
	}
	for _, tt := range tests {
		got := Float(tt.in)
		if (got == nil) != (tt.want == nil) || got != nil && *got != *tt.want {
			t.Errorf("Float(%q) = %v, want %v", tt.in, deref(got), deref(tt.want))
		}
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestExcerpt(t *testing.T) {
	long := strings.Repeat("x", 600)
	tests := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"trimmed", "  <html>bad gateway</html>\n", "<html>bad gateway</html>"},
		{"at the limit", long[:512], long[:512]},
		{"cut", long, long[:512] + "…"},
		{"cut after trimming", "\n" + long[:512] + "\n", long[:512]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Excerpt([]byte(tt.in)); got != tt.want {
				t.Errorf("Excerpt = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestField(t *testing.T) {
	m := map[string]any{"ErrorCode": "Throttled", "message": "slow down", "empty": "", "n": 7.0}
	tests := []struct {
		name string
		m    map[string]any
		keys []string
		want string
	}{
		{name: "exact", m: m, keys: []string{"ErrorCode"}, want: "Throttled"},
		{name: "case-insensitive", m: m, keys: []string{"errorcode"}, want: "Throttled"},
		{name: "first key wins", m: m, keys: []string{"Message", "ErrorCode"}, want: "slow down"},
		{name: "falls through missing", m: m, keys: []string{"Code", "ErrorCode"}, want: "Throttled"},
		{name: "empty string skipped", m: m, keys: []string{"empty", "message"}, want: "slow down"},
		{name: "not a string", m: m, keys: []string{"n"}, want: ""},
		{name: "nil object", m: nil, keys: []string{"message"}, want: ""},
		{name: "no keys", m: m, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Field(tt.m, tt.keys...); got != tt.want {
				t.Errorf("Field(%v) = %q, want %q", tt.keys, got, tt.want)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"3", 3 * time.Second},
		{" 3 ", 3 * time.Second},
		{"300", 5 * time.Minute},
		{"301", 5 * time.Minute},
		{"99999999999999999999999", 5 * time.Minute},
		{"1.5", 0},
		{"-1", 0},
		{"+1", 0},
		{"3s", 0},
		{"soon", 0},
		{now.Add(42 * time.Second).Format(http.TimeFormat), 42 * time.Second},
		{now.Add(time.Hour).Format(http.TimeFormat), 5 * time.Minute},
		{now.Add(-time.Second).Format(http.TimeFormat), 0},
		{now.Format(http.TimeFormat), 0},
		{"Friday, 02-Jan-26 03:04:15 GMT", 10 * time.Second}, // RFC 850
		{"Fri Jan  2 03:04:25 2026", 20 * time.Second},       // asctime
		{"Mon, 99 Foo 2026 00:00:00 GMT", 0},
	}
	for _, tt := range tests {
		if got := RetryAfter(tt.in, now); got != tt.want {
			t.Errorf("RetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestPollerPacing follows the sleeps a Poller schedules: doubling up to
// the bound, stretched by AtLeast (beyond the bound too), then doubling
// on from there and back down to the bound.
func TestPollerPacing(t *testing.T) {
	type step struct {
		atLeast time.Duration // 0: Wait
		want    time.Duration // the next sleep afterwards
	}
	tests := []struct {
		name         string
		first, limit time.Duration
		steps        []step
	}{
		{name: "doubles up to the bound", first: time.Millisecond, limit: 5 * time.Millisecond, steps: []step{
			{want: 2 * time.Millisecond}, {want: 4 * time.Millisecond}, {want: 5 * time.Millisecond}, {want: 5 * time.Millisecond},
		}},
		{name: "a shorter wait asked for changes nothing", first: time.Millisecond, limit: 5 * time.Millisecond, steps: []step{
			{want: 2 * time.Millisecond}, {atLeast: time.Millisecond, want: 2 * time.Millisecond},
		}},
		{name: "a longer wait asked for beats the bound once", first: time.Millisecond, limit: 2 * time.Millisecond, steps: []step{
			{want: 2 * time.Millisecond}, {atLeast: 7 * time.Millisecond, want: 7 * time.Millisecond}, {want: 2 * time.Millisecond},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewPoller(tt.first, tt.limit)
			for i, s := range tt.steps {
				if s.atLeast > 0 {
					p.AtLeast(s.atLeast)
				} else if err := p.Wait(context.Background()); err != nil {
					t.Fatal(err)
				}
				if p.next != s.want {
					t.Fatalf("step %d: next sleep %v, want %v", i, p.next, s.want)
				}
			}
		})
	}
}

func TestPollerWaitEndsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := NewPoller(time.Hour, time.Hour)
	start := time.Now()
	if err := p.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait = %v, want context.Canceled", err)
	}
	if time.Since(start) > time.Second {
		t.Error("Wait slept although the context had ended")
	}
	if p.next != time.Hour {
		t.Errorf("an interrupted Wait doubled the sleep to %v", p.next)
	}
}

func TestBase64Header(t *testing.T) {
	tests := []struct {
		name    string
		value   string // "" leaves the header out
		want    string
		wantErr string
	}{
		{name: "absent", want: ""},
		{name: "log tail", value: "U1RBUlQgUmVxdWVzdElkOiByMQpFTkQK", want: "START RequestId: r1\nEND\n"},
		{name: "not base64", value: "not base64!", wantErr: "X-Fc-Log-Result is not base64: illegal base64 data at input byte 3"},
		{name: "url alphabet refused", value: "-_8=", wantErr: "X-Fc-Log-Result is not base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.value != "" {
				h.Set("X-Fc-Log-Result", tt.value)
			}
			got, err := Base64Header(h, "X-Fc-Log-Result")
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Base64Header = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestTraceChunkedAnswer checks that the trace of an answer without a
// Content-Length learns its size once it has been read, so a short body
// is not shown as cut.
func TestTraceChunkedAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("part one "))
		w.(http.Flusher).Flush()
		w.Write([]byte("part two"))
	}))
	defer srv.Close()
	c := NewClient(Pool{PerHost: 1})
	defer c.Close()
	tr := &providers.Tracer{}
	req, _ := http.NewRequestWithContext(providers.WithTracer(context.Background(), tr), http.MethodGet, srv.URL, nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(resp.Body); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	ex := tr.Exchanges()
	if len(ex) != 1 || ex[0].Response == nil {
		t.Fatalf("trace %+v", ex)
	}
	r := ex[0].Response
	if string(r.Body) != "part one part two" || r.Size != 17 || r.Truncated() || ex[0].Request.Size != 0 {
		t.Errorf("response %+v (request size %d)", r, ex[0].Request.Size)
	}
}
