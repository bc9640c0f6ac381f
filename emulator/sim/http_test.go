package sim

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func TestReadBody(t *testing.T) {
	readErr := errors.New("connection reset")
	tests := []struct {
		name     string
		body     io.Reader
		limit    int64
		drain    int64
		want     string
		wantErr  error
		wantLeft int // bytes of the body left unread
	}{
		{name: "empty", body: strings.NewReader(""), limit: 4, drain: 8, want: ""},
		{name: "under the limit", body: strings.NewReader("abc"), limit: 4, drain: 8, want: "abc"},
		{name: "at the limit", body: strings.NewReader("abcd"), limit: 4, drain: 8, want: "abcd"},
		{name: "over the limit, drained", body: strings.NewReader("abcdefgh"), limit: 4, drain: 8, wantErr: ErrBodyTooLarge, wantLeft: 0},
		{name: "over the limit, drain bounded", body: strings.NewReader(strings.Repeat("x", 20)), limit: 4, drain: 8, wantErr: ErrBodyTooLarge, wantLeft: 20 - 8},
		{name: "over the limit, chunked", body: io.MultiReader(strings.NewReader(strings.Repeat("x", 20))), limit: 4, drain: 8, wantErr: ErrBodyTooLarge, wantLeft: 20 - 5 - 8},
		{name: "read error", body: iotest.ErrReader(readErr), limit: 4, drain: 8, wantErr: readErr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", tt.body)
			got, err := ReadBody(r, tt.limit, tt.drain)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if string(got) != tt.want {
				t.Errorf("body = %q, want %q", got, tt.want)
			}
			if tt.wantErr == nil || errors.Is(tt.wantErr, ErrBodyTooLarge) {
				rest, _ := io.ReadAll(r.Body)
				if len(rest) != tt.wantLeft {
					t.Errorf("%d bytes left unread, want %d", len(rest), tt.wantLeft)
				}
			}
		})
	}
}

func TestWriteJSON(t *testing.T) {
	tests := []struct {
		name   string
		status int
		v      any
		want   string
	}{
		{name: "error", status: http.StatusTooManyRequests, v: map[string]string{"code": "Throttled", "message": "slow down"}, want: `{"code":"Throttled","message":"slow down"}` + "\n"},
		{name: "accepted", status: http.StatusAccepted, v: map[string]string{"request_id": "r1"}, want: `{"request_id":"r1"}` + "\n"},
		{name: "empty object", status: http.StatusOK, v: map[string]any{}, want: "{}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			w.Header().Set("X-Request-Id", "r1")
			WriteJSON(w, tt.status, tt.v)
			if w.Code != tt.status || w.Body.String() != tt.want {
				t.Errorf("answer %d %q, want %d %q", w.Code, w.Body.String(), tt.status, tt.want)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if w.Header().Get("X-Request-Id") != "r1" {
				t.Error("the caller's header was lost")
			}
		})
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, ""},
		{-time.Second, ""},
		{time.Nanosecond, "1"},
		{time.Second, "1"},
		{1500 * time.Millisecond, "2"},
		{2 * time.Second, "2"},
		{time.Hour, "3600"},
	}
	for _, tt := range tests {
		if got := RetryAfterSeconds(tt.d); got != tt.want {
			t.Errorf("RetryAfterSeconds(%v) = %q, want %q", tt.d, got, tt.want)
		}
		h := http.Header{}
		SetRetryAfter(h, tt.d)
		if got, set := h.Get("Retry-After"), len(h) > 0; got != tt.want || set != (tt.want != "") {
			t.Errorf("SetRetryAfter(%v): Retry-After %q (set %v), want %q", tt.d, got, set, tt.want)
		}
	}
}

func TestTail(t *testing.T) {
	tests := []struct {
		log  string
		n    int
		want string
	}{
		{"", 4, ""},
		{"abc", 4, "abc"},
		{"abcd", 4, "abcd"},
		{"abcdef", 4, "cdef"},
		{"abc", 0, ""},
	}
	for _, tt := range tests {
		if got := Tail(tt.log, tt.n); got != tt.want {
			t.Errorf("Tail(%q, %d) = %q, want %q", tt.log, tt.n, got, tt.want)
		}
	}
}

func TestNewUUID(t *testing.T) {
	e := newEnv(t)
	e.SetClock(func() time.Time { return time.Unix(0x64e70cf1, 0) })
	tests := []struct{ variant, want string }{
		{"8000", "64e70cf1-0000-0000-8000-000100000000"},
		{"a000", "64e70cf1-0000-0000-a000-000200000000"},
	}
	shape := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	for _, tt := range tests {
		got := e.NewUUID(tt.variant)
		if got != tt.want || !shape.MatchString(got) {
			t.Errorf("NewUUID(%q) = %q, want %q", tt.variant, got, tt.want)
		}
	}
}

func TestDecisionWriteBody(t *testing.T) {
	tests := []struct {
		name     string
		d        Decision
		body     string
		wantBody string
	}{
		{name: "whole", body: "0123456789", wantBody: "0123456789"},
		{name: "empty", body: "", wantBody: ""},
		{name: "truncated", d: Decision{Truncate: true}, body: "0123456789", wantBody: "01234"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Request-Id", "r1")
				tt.d.WriteBody(w, http.StatusOK, []byte(tt.body))
			}))
			defer srv.Close()
			resp, err := http.Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got, err := io.ReadAll(resp.Body)
			if tt.d.Truncate != errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("read error %v, truncated %v", err, tt.d.Truncate)
			}
			if string(got) != tt.wantBody || resp.StatusCode != http.StatusOK || resp.Header.Get("X-Request-Id") != "r1" {
				t.Errorf("answer %d %q, want 200 %q", resp.StatusCode, got, tt.wantBody)
			}
			if resp.ContentLength != int64(len(tt.body)) {
				t.Errorf("Content-Length %d, want %d", resp.ContentLength, len(tt.body))
			}
		})
	}
}

// TestReadBodyAllocatesForWhatArrives: a body declaring 32 MB that fails
// after a few bytes costs nowhere near 32 MB.
func TestReadBodyAllocatesForWhatArrives(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/", io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(errors.New("reset"))))
	r.ContentLength = 32 << 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := ReadBody(r, 32<<20, 0)
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatal("no error")
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 4<<20 {
		t.Errorf("allocated %d bytes for a 3-byte body declaring 32 MB", n)
	}
}

// TestReadAllStaysWithinItsBound: the buffer grows with what arrives and
// never holds more than its bound (what the body budget reserved).
func TestReadAllStaysWithinItsBound(t *testing.T) {
	for _, n := range []int{0, 1, 4 << 10, 4<<10 + 1, 100_000} {
		body := strings.Repeat("x", n)
		got, err := readAll(iotest.OneByteReader(strings.NewReader(body)), int64(n))
		if err != nil || string(got) != body || cap(got) > n {
			t.Errorf("n=%d: %d bytes, cap %d, %v", n, len(got), cap(got), err)
		}
		got, err = readAll(strings.NewReader(body), int64(n)+1000)
		if err != nil || string(got) != body || cap(got) > n+1000 {
			t.Errorf("n=%d, bound n+1000: %d bytes, cap %d, %v", n, len(got), cap(got), err)
		}
		if _, err := readAll(strings.NewReader(body+"y"), int64(n)); !errors.Is(err, errBeyond) {
			t.Errorf("n=%d: one byte beyond the bound: %v", n, err)
		}
	}
}
