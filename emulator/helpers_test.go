package emulator

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/providers/alicloud"
)

// Demo credentials (DefaultConfig).
const (
	demoAK     = "emulator"
	demoSecret = "emulator-secret"
	demoToken  = "emulator-token"
)

// countingListener counts, per accepted connection, the bytes the server
// read from it.
type countingListener struct {
	net.Listener
	mu    sync.Mutex
	conns []*countingConn
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	cc := &countingConn{Conn: c}
	l.mu.Lock()
	l.conns = append(l.conns, cc)
	l.mu.Unlock()
	return cc, nil
}

// reads returns the bytes read from each connection so far.
func (l *countingListener) reads() []int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]int64, len(l.conns))
	for i, c := range l.conns {
		out[i] = c.n.Load()
	}
	return out
}

type countingConn struct {
	net.Conn
	n atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func (c *countingConn) CloseWrite() error { return c.Conn.(*net.TCPConn).CloseWrite() }

// startCounting serves cfg over a countingListener.
func startCounting(t *testing.T, cfg Config, opts Options) (*Running, *countingListener) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cl := &countingListener{Listener: ln}
	r, err := startOn(cl, cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r, cl
}

// zeros is an endless source of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// rawResult is what a raw exchange saw.
type rawResult struct {
	status int
	header http.Header
	body   string
	sent   int64 // request bytes the client managed to write
	closed bool  // the server closed the connection after answering
}

// guard bounds how long a raw exchange may block, so that a server that
// never answers or never closes fails the test instead of hanging it. It
// is not a measure of anything.
const guard = 20 * time.Second

// exchangeRaw writes req on a new connection to addr while reading the
// answer, and reports whether the server then closed the connection. The
// body is written concurrently, so an early answer is seen while the
// client is still sending.
func exchangeRaw(t *testing.T, addr string, req *http.Request) rawResult {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(guard))
	cw := &countWriter{w: conn}
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		_ = req.Write(cw)
	}()
	var res rawResult
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	res.status, res.header, res.body = resp.StatusCode, resp.Header, string(b)
	// Read on until the server closes: EOF or a reset, not the guard.
	_, err = io.Copy(io.Discard, br)
	var ne net.Error
	res.closed = !(errors.As(err, &ne) && ne.Timeout())
	_ = conn.Close()
	<-wrote
	res.sent = cw.n
	return res
}

// hostOf returns the host:port of a base URL.
func hostOf(t *testing.T, base string) string {
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

var nonceSeq atomic.Int64

// signACS3 signs req (FC 3.0 style) with ACS3 for ak/secret, declaring
// hashed as the body's SHA-256, with a fresh nonce and the given date.
func signACS3(req *http.Request, ak, secret, hashed string, date time.Time) {
	h := map[string][]string{
		"host":                  {req.URL.Host},
		"x-acs-date":            {date.UTC().Format("2006-01-02T15:04:05Z")},
		"x-acs-content-sha256":  {hashed},
		"x-acs-signature-nonce": {"n" + strconv.FormatInt(nonceSeq.Add(1), 10)},
		"x-acs-version":         {"2023-03-30"},
		"x-acs-action":          {"InvokeFunction"},
	}
	for k, v := range h {
		if k != "host" {
			req.Header.Set(k, v[0])
		}
	}
	q := map[string]string{}
	for k, vs := range req.URL.Query() {
		q[k] = vs[0]
	}
	req.Header.Set("Authorization", alicloud.ACS3Authorization(ak, secret, req.Method, req.URL.EscapedPath(), q, h, hashed))
}

// signFC signs req with the FC 2016-08-15 scheme.
func signFC(req *http.Request, ak, secret string, date time.Time) {
	req.Header.Set("Date", date.UTC().Format(http.TimeFormat))
	h := map[string]string{}
	for k, vs := range req.Header {
		h[k] = vs[0]
	}
	req.Header.Set("Authorization", alicloud.FCAuthorization(ak, secret, req.Method, h, alicloud.FCResource(req.URL.Path, nil, false)))
}

// echoed writes to b, and also to stderr with -v, for debugging.
func echoed(b *syncBuffer) io.Writer {
	if testing.Verbose() {
		return io.MultiWriter(b, os.Stderr)
	}
	return b
}
