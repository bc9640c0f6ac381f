package emulator

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/providers/alicloud"
)

// upload is 200 MB: far beyond every payload limit.
const upload = 200 << 20

// bigRequest is a POST of upload zero bytes with a declared length.
func bigRequest(t *testing.T, base, path string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+path, io.LimitReader(zeros{}, upload))
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = upload
	req.Header.Set("Content-Type", "application/octet-stream")
	return req
}

// TestUnauthenticatedUploadsAreNotRead: 20 large uploads that fail
// authentication — unsigned, unknown key, bad signature, skewed — are
// answered from their headers, and the server reads (next to) none of
// their bodies: each connection is answered and closed while the client is
// still sending. Before the fix the emulator read up to the payload limit
// (32 MB for FC) and more of each before checking.
func TestUnauthenticatedUploadsAreNotRead(t *testing.T) {
	r, cl := startCounting(t, *DefaultConfig(), Options{})
	addr := hostOf(t, r.URL)
	now := time.Now()
	cases := []struct {
		name   string
		path   string
		auth   func(*http.Request)
		status int
	}{
		{"fc3 unsigned", "/2023-03-30/functions/echo/invocations", func(*http.Request) {}, 403},
		{"fc3 unknown key", "/2023-03-30/functions/echo/invocations", func(r *http.Request) {
			signACS3(r, "nobody", demoSecret, alicloud.EmptySHA256, now)
		}, 403},
		{"fc3 bad signature", "/2023-03-30/functions/echo/invocations", func(r *http.Request) {
			signACS3(r, demoAK, "wrong-secret", alicloud.EmptySHA256, now)
		}, 403},
		{"fc3 skewed", "/2023-03-30/functions/echo/invocations", func(r *http.Request) {
			signACS3(r, demoAK, demoSecret, alicloud.EmptySHA256, now.Add(-time.Hour))
		}, 403},
		{"fc2 FC scheme bad signature", "/2016-08-15/services/default/functions/echo/invocations", func(r *http.Request) {
			signFC(r, demoAK, "wrong-secret", now)
		}, 403},
		{"lambda unsigned", "/2015-03-31/functions/echo/invocations", func(*http.Request) {}, 403},
		{"lambda unknown key", "/2015-03-31/functions/echo/invocations", func(r *http.Request) {
			r.Header.Set("X-Amz-Date", now.UTC().Format("20060102T150405Z"))
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=nobody/"+now.UTC().Format("20060102")+"/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=00")
		}, 403},
		{"functiongraph unsigned", "/v2/p1/fgs/functions/echo/invocations", func(*http.Request) {}, 401},
		{"functiongraph bad token", "/v2/p1/fgs/functions/echo/invocations", func(r *http.Request) { r.Header.Set("X-Auth-Token", "nope") }, 401},
		{"cloudbase bad token", "/v1/functions/echo", func(r *http.Request) { r.Header.Set("Authorization", "Bearer nope") }, 401},
	}
	type outcome struct {
		name string
		res  rawResult
	}
	results := make(chan outcome, 20)
	for i := range 20 {
		c := cases[i%len(cases)]
		req := bigRequest(t, r.URL, c.path)
		c.auth(req)
		go func() { results <- outcome{c.name, exchangeRaw(t, addr, req)} }()
	}
	want := map[string]int{}
	for _, c := range cases {
		want[c.name] = c.status
	}
	for range 20 {
		o := <-results
		if o.res.status != want[o.name] || !o.res.closed || o.res.sent >= upload {
			t.Errorf("%s: status %d (want %d), closed %v, sent %d of %d bytes", o.name, o.res.status, want[o.name], o.res.closed, o.res.sent, upload)
		}
	}
	// Headers, plus at most what one buffered read takes in.
	const perConn = 64 << 10
	reads := cl.reads()
	if len(reads) != 20 {
		t.Fatalf("%d connections, want 20", len(reads))
	}
	var total int64
	for _, n := range reads {
		total += n
		if n > perConn {
			t.Errorf("the server read %d bytes of one rejected upload, want at most %d", n, perConn)
		}
	}
	t.Logf("the server read %d bytes of 20 × %d", total, upload)
}

// TestOversizedSignedBodyIsBounded: a correctly signed request declaring
// a body over the limit is answered EntityTooLarge after at most a bounded
// drain; one without a declared length (chunked) after the limit and the
// drain.
func TestOversizedSignedBodyIsBounded(t *testing.T) {
	r, cl := startCounting(t, *DefaultConfig(), Options{})
	addr := hostOf(t, r.URL)

	req := bigRequest(t, r.URL, "/2023-03-30/functions/echo/invocations")
	signACS3(req, demoAK, demoSecret, alicloud.EmptySHA256, time.Now())
	res := exchangeRaw(t, addr, req)
	if res.status != 400 || !strings.Contains(res.body, "EntityTooLarge") || !res.closed {
		t.Errorf("declared length: %d %s, closed %v", res.status, res.body, res.closed)
	}

	chunked, _ := http.NewRequest(http.MethodPost, r.URL+"/v1/functions/echo", io.LimitReader(zeros{}, upload))
	chunked.ContentLength = -1
	chunked.Header.Set("Authorization", "Bearer "+demoToken)
	res = exchangeRaw(t, addr, chunked)
	if res.status != 413 || !strings.Contains(res.body, "EXCEED_REQUEST_SIZE_LIMIT") || !res.closed {
		t.Errorf("chunked: %d %s, closed %v", res.status, res.body, res.closed)
	}

	reads := cl.reads()
	// Headers, chunk framing, one buffered read, and net/http's own
	// bounded discard (256 KB) of a chunked body it closes early.
	const slack = 512 << 10
	if len(reads) != 2 || reads[0] > 1<<20+slack || reads[1] > 6<<20+1<<20+slack {
		t.Errorf("bytes read per connection %v; want at most %d and %d", reads, 1<<20+slack, 6<<20+1<<20+slack)
	}
}

// TestTricklingClientsAreCutOff: a client trickling its headers, or its
// body, one byte at a time is disconnected by the server once the
// configured deadline passes, however steadily it sends. (The test only
// waits for the server to end the connection; it times nothing.)
func TestTricklingClientsAreCutOff(t *testing.T) {
	log := &syncBuffer{}
	r, _ := startCounting(t, *DefaultConfig(), Options{
		Limits:    Limits{ReadHeaderTimeout: 100 * time.Millisecond, BodyReadTimeout: 100 * time.Millisecond},
		AccessLog: echoed(log),
	})
	addr := hostOf(t, r.URL)
	tests := []struct {
		name   string
		head   string // sent at once
		trick  string // then one byte every 10ms
		answer string // what the server answers before closing, "" for nothing
	}{
		{"headers", "POST /v1/functions/echo HTTP/1.1\r\nHost: x\r\n", strings.Repeat("X-Slow: y\r\n", 1000), ""},
		{"body", "POST /v1/functions/echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + demoToken + "\r\nContent-Length: 100000\r\n\r\n",
			strings.Repeat("x", 100000), "FUNCTION_PARAM_INVALID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(guard))
			if _, err := io.WriteString(conn, tt.head); err != nil {
				t.Fatal(err)
			}
			stop := make(chan struct{})
			trickled := make(chan int)
			go func() {
				n := 0
				defer func() { trickled <- n }()
				for i := range len(tt.trick) {
					select {
					case <-stop:
						return
					case <-time.After(10 * time.Millisecond):
					}
					if _, err := io.WriteString(conn, tt.trick[i:i+1]); err != nil {
						return
					}
					n++
				}
			}()
			got, err := io.ReadAll(conn) // until the server closes
			close(stop)
			n := <-trickled
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("the server kept the connection open for %v while the client trickled %d bytes", guard, n)
			}
			if n >= len(tt.trick) {
				t.Fatalf("the client sent everything (%d bytes) before being cut off", n)
			}
			if !strings.Contains(string(got), tt.answer) {
				t.Errorf("answer %q, want it to contain %q", got, tt.answer)
			}
		})
	}
	waitFor(t, func() bool { return strings.Contains(log.String(), "verdict=read-error") }, "an access log line with verdict=read-error")
}

// waitFor polls cond until it holds, failing after the guard.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(guard); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("no %s", what)
}

func TestBoundedListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := limitListener(ln, 2).(*boundedListener)
	defer l.Close()
	var clients []net.Conn
	for range 3 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		clients = append(clients, c)
	}
	a, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	b, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	if len(l.slots) != 2 {
		t.Fatalf("%d slots taken, want 2", len(l.slots))
	}
	third := make(chan net.Conn)
	go func() {
		c, _ := l.Accept()
		third <- c
	}()
	_ = a.Close()
	_ = a.Close() // a second close gives nothing back twice
	c := <-third
	if c == nil || len(l.slots) != 2 {
		t.Fatalf("after a close: conn %v, %d slots taken, want 2", c, len(l.slots))
	}
	_ = b.Close()
	_ = c.Close()
	if len(l.slots) != 0 {
		t.Errorf("%d slots taken after closing all, want 0", len(l.slots))
	}
	// Close unblocks an Accept waiting for a slot.
	for range 2 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := l.Accept(); err != nil {
			t.Fatal(err)
		}
	}
	waiting := make(chan error)
	go func() {
		_, err := l.Accept()
		waiting <- err
	}()
	_ = l.Close()
	if err := <-waiting; err == nil {
		t.Error("Accept waiting for a slot succeeded after Close")
	}
}

func TestBeyondLoopback(t *testing.T) {
	tests := []struct {
		ip   string
		want bool
	}{
		{"127.0.0.1", false},
		{"127.0.0.2", false},
		{"::1", false},
		{"0.0.0.0", true},
		{"::", true},
		{"192.168.1.20", true},
		{"10.0.0.1", true},
		{"2001:db8::1", true},
		{"", true}, // no IP: every interface
	}
	for _, tt := range tests {
		if got := beyondLoopback(&net.TCPAddr{IP: net.ParseIP(tt.ip), Port: 9000}); got != tt.want {
			t.Errorf("beyondLoopback(%q) = %v, want %v", tt.ip, got, tt.want)
		}
	}
	if !beyondLoopback(&net.UnixAddr{Name: "/tmp/x", Net: "unix"}) {
		t.Error("a non-TCP address is not known to be local")
	}
}

// TestCommandWarnsBeyondLoopback: listening on 0.0.0.0 prints one warning
// line naming the demo credentials; listening on 127.0.0.1 prints none.
// Only loopback traffic is sent.
func TestCommandWarnsBeyondLoopback(t *testing.T) {
	for _, tt := range []struct {
		listen string
		warn   bool
	}{{"0.0.0.0:0", true}, {"127.0.0.1:0", false}} {
		t.Run(tt.listen, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			var out, errb syncBuffer
			done := make(chan int)
			go func() { done <- Command(ctx, []string{"-listen", tt.listen}, &out, &errb, nil) }()
			waitFor(t, func() bool { return strings.HasPrefix(out.String(), "listening on ") }, "listening line")
			_, port, _ := net.SplitHostPort(strings.TrimPrefix(strings.TrimSpace(out.String()), "listening on http://"))
			resp, err := http.Get("http://127.0.0.1:" + port + "/nowhere")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			cancel()
			if code := <-done; code != 0 {
				t.Errorf("exit code %d", code)
			}
			var warnings []string
			for _, line := range strings.Split(errb.String(), "\n") {
				if strings.Contains(line, "warning") {
					warnings = append(warnings, line)
				}
			}
			if !tt.warn {
				if len(warnings) != 0 {
					t.Errorf("warnings %q", warnings)
				}
				return
			}
			// 0.0.0.0 may be bound dual-stack, shown as [::].
			if len(warnings) != 1 || !strings.Contains(warnings[0], "emulate: warning: listening on ") ||
				!strings.Contains(warnings[0], ":"+port+", reachable from other machines") ||
				!strings.Contains(warnings[0], "demo credentials") {
				t.Errorf("warnings %q", warnings)
			}
		})
	}
}

func TestExposureWarningNamesConfig(t *testing.T) {
	w := exposureWarning(&net.TCPAddr{IP: net.IPv4(192, 168, 1, 2), Port: 9000}, "team.hcl")
	if strings.Contains(w, "\n") || !strings.Contains(w, "192.168.1.2:9000") || !strings.Contains(w, "team.hcl") || strings.Contains(w, "demo") {
		t.Errorf("warning %q", w)
	}
}

// TestIdleAndHeaderLimits: a keep-alive connection left idle is closed by
// the server; headers over MaxHeaderBytes are answered 431 and the
// connection closed.
func TestIdleAndHeaderLimits(t *testing.T) {
	r, _ := startCounting(t, *DefaultConfig(), Options{Limits: Limits{IdleTimeout: 50 * time.Millisecond, MaxHeaderBytes: 4 << 10}})
	addr := hostOf(t, r.URL)

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(guard))
	if _, err := io.WriteString(conn, "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(conn) // the answer, then EOF once idle
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("an idle keep-alive connection stayed open for %v", guard)
	}
	if !strings.HasPrefix(string(got), "HTTP/1.1 404") {
		t.Errorf("answer %q", got)
	}

	req, _ := http.NewRequest(http.MethodGet, r.URL+"/nowhere", nil)
	req.Header.Set("X-Big", strings.Repeat("x", 64<<10))
	res := exchangeRaw(t, addr, req)
	if res.status != http.StatusRequestHeaderFieldsTooLarge || !res.closed {
		t.Errorf("oversized headers: status %d, closed %v", res.status, res.closed)
	}
}
