package wire

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/providers"
)

// get fetches url and reads its body with ReadBody.
func get(t *testing.T, ctx context.Context, url string, limit int64, b *providers.Budget) ([]byte, func(), error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	defer resp.Body.Close()
	return ReadBody(ctx, resp.Body, resp.ContentLength, limit, b)
}

// server answers every request with h, and ends h's loops when the test
// ends.
func server(t *testing.T, h func(w http.ResponseWriter, r *http.Request)) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(h))
	t.Cleanup(srv.Close)
	return srv
}

func TestReadBodyLimits(t *testing.T) {
	const limit = 64 << 10
	body := func(n int, chunked bool) func(w http.ResponseWriter, r *http.Request) {
		return func(w http.ResponseWriter, r *http.Request) {
			if !chunked {
				w.Header().Set("Content-Length", strconv.Itoa(n))
			}
			w.Write([]byte(strings.Repeat("x", n)))
		}
	}
	tests := []struct {
		name    string
		h       func(w http.ResponseWriter, r *http.Request)
		wantLen int
		wantErr string
	}{
		{name: "empty", h: body(0, false), wantLen: 0},
		{name: "at the limit", h: body(limit, false), wantLen: limit},
		{name: "at the limit, chunked", h: body(limit, true), wantLen: limit},
		{name: "one past the limit", h: body(limit+1, false), wantErr: "response body exceeds the 64 KiB limit"},
		{name: "one past the limit, chunked", h: body(limit+1, true), wantErr: "response body exceeds the 64 KiB limit"},
		{name: "endless", h: func(w http.ResponseWriter, r *http.Request) {
			chunk := []byte(strings.Repeat("y", 4096))
			for r.Context().Err() == nil {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}, wantErr: "exceeds the 64 KiB limit"},
		{name: "huge Content-Length", h: func(w http.ResponseWriter, r *http.Request) {
			// Declares a terabyte, sends a little, then waits: a reader
			// that trusted the header would block or allocate.
			w.Header().Set("Content-Length", strconv.Itoa(1<<40))
			w.Write([]byte("z"))
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}, wantErr: "exceeds the 64 KiB limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := server(t, tt.h)
			b := providers.NewBudget(1 << 20)
			got, release, err := get(t, context.Background(), srv.URL, limit, b)
			if tt.wantErr != "" {
				var tl *TooLargeError
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, &tl) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if got != nil || release != nil {
					t.Error("a failed read returned a body")
				}
			} else {
				if err != nil || len(got) != tt.wantLen {
					t.Fatalf("read %d bytes, %v; want %d", len(got), err, tt.wantLen)
				}
				if got == nil {
					t.Error("an empty body is nil, want empty")
				}
				if cap(got) > limit+1 {
					t.Errorf("buffer of %d bytes for a limit of %d", cap(got), limit)
				}
				if b.InUse() < int64(cap(got)) {
					t.Errorf("budget holds %d bytes for a buffer of %d", b.InUse(), cap(got))
				}
				release()
				release()
			}
			if b.InUse() != 0 {
				t.Errorf("%d bytes still held", b.InUse())
			}
			if p := b.Peak(); p > 2*(limit+1) {
				t.Errorf("peak hold %d, more than twice the limit", p)
			}
		})
	}
}

// A body within its Content-Length is read into one buffer of that size.
func TestReadBodyPreallocates(t *testing.T) {
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100000")
		for i := 0; i < 100; i++ {
			w.Write([]byte(strings.Repeat("a", 1000)))
			w.(http.Flusher).Flush()
		}
	})
	got, release, err := get(t, context.Background(), srv.URL, 1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if len(got) != 100000 || cap(got) != 100001 {
		t.Errorf("len %d cap %d, want 100000 and 100001", len(got), cap(got))
	}
}

// A body that trickles stops at the context's end and holds nothing.
func TestReadBodyTrickleHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		for i := 0; r.Context().Err() == nil; i++ {
			w.Write([]byte("."))
			w.(http.Flusher).Flush()
			if i == 10 {
				cancel() // the attempt's deadline, mid-body
			}
			time.Sleep(time.Millisecond)
		}
	})
	b := providers.NewBudget(1 << 20)
	_, _, err := get(t, ctx, srv.URL, 64<<10, b)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if b.InUse() != 0 {
		t.Errorf("%d bytes still held", b.InUse())
	}
}

// Many bodies of unknown length, each too big for its first grant and
// together far bigger than the budget, are all read: none waits forever for
// another (no deadlock), the budget is never over-committed (the semaphore
// would panic on an over-release, and Peak stays within Size) and every
// byte comes back.
func TestBudgetConcurrentBodies(t *testing.T) {
	const (
		budget = 8 << 20
		limit  = 2 << 20
		size   = 1536 << 10 // each body: 1.5 MiB
		n      = 24         // 36 MiB in all
	)
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("cl") != "" {
			w.Header().Set("Content-Length", strconv.Itoa(size))
		}
		chunk := []byte(strings.Repeat("b", 64<<10))
		for i := 0; i < size/len(chunk); i++ {
			w.Write(chunk)
		}
	})
	b := providers.NewBudget(budget)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	var mu sync.Mutex
	var live, maxLive int64 // bytes of buffers alive at once, as allocated
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			url := srv.URL
			if i%3 == 0 {
				url += "?cl=1"
			}
			body, release, err := get(t, ctx, url, limit, b)
			if err != nil {
				errs <- fmt.Errorf("body %d: %w", i, err)
				return
			}
			if len(body) != size {
				errs <- fmt.Errorf("body %d: %d bytes", i, len(body))
			}
			mu.Lock()
			live += int64(cap(body))
			maxLive = max(maxLive, live)
			mu.Unlock()
			time.Sleep(time.Millisecond) // keep the result a moment, as checks do
			mu.Lock()
			live -= int64(cap(body))
			mu.Unlock()
			release()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if p := b.Peak(); p > budget || p == 0 {
		t.Errorf("peak hold %d bytes, budget %d", p, budget)
	}
	if maxLive > budget {
		t.Errorf("%d bytes of bodies were alive at once, budget %d", maxLive, budget)
	}
	if b.InUse() != 0 {
		t.Errorf("%d bytes still held", b.InUse())
	}
}

// A limit the budget cannot hold twice over is refused, not waited on.
func TestReadBodyLimitTooLargeForBudget(t *testing.T) {
	srv := server(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("x")) })
	_, _, err := get(t, context.Background(), srv.URL, 4<<20, providers.NewBudget(8<<20))
	if !errors.Is(err, providers.ErrOverBudget) {
		t.Fatalf("err = %v, want ErrOverBudget", err)
	}
}

func TestClassify(t *testing.T) {
	plain := server(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("plain")) })
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(tlsSrv.Close)
	refused := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		return "http://" + addr + "/"
	}()
	client := NewClient(DefaultPool)
	do := func(url string) error {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	tests := []struct {
		name     string
		err      error
		wantHint string // "" when not permanent
	}{
		{name: "plain HTTP on https", err: do(strings.Replace(plain.URL, "http://", "https://", 1)), wantHint: "write http:// instead of https://"},
		{name: "untrusted certificate", err: do(tlsSrv.URL), wantHint: "not trusted"},
		{name: "connection refused heals", err: do(refused)},
		{name: "no such host", err: &net.DNSError{Err: "no such host", Name: "nope.invalid", IsNotFound: true}, wantHint: "host name does not exist"},
		{name: "DNS timeout heals", err: &net.DNSError{Err: "i/o timeout", Name: "x", IsTimeout: true}},
		{name: "wrong host on certificate", err: &tls.CertificateVerificationError{Err: errHost()}, wantHint: "not valid for this host name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err == nil {
				t.Fatal("no error to classify")
			}
			got := Classify(fmt.Errorf("wrapped: %w", tt.err))
			pe := providers.IsPermanent(got)
			switch {
			case tt.wantHint == "" && pe != nil:
				t.Errorf("%v is permanent, want retried", tt.err)
			case tt.wantHint != "" && (pe == nil || !strings.Contains(pe.Hint, tt.wantHint)):
				t.Errorf("Classify(%v) = %#v, want a hint with %q", tt.err, pe, tt.wantHint)
			}
			if !errors.Is(got, tt.err) {
				t.Error("the classified error does not wrap the original")
			}
		})
	}
}

func errHost() error {
	return x509.HostnameError{Host: "example.com", Certificate: &x509.Certificate{}}
}
