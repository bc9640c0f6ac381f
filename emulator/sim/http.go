package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Helpers the providers' emulated APIs share for reading requests and
// writing answers. What the answers say (error codes, body shapes, header
// names) stays with each provider.

// ErrBodyTooLarge is returned by ReadBody for a body over its limit.
var ErrBodyTooLarge = errors.New("request body too large")

// ReadBody reads a request body of at most limit bytes, writing it to
// every hash as it is read, so a caller checks a declared digest without a
// second pass. A longer body gives ErrBodyTooLarge — at once when its
// Content-Length says so — after up to drain more bytes of it are read
// and discarded, so that a client still sending can read the answer. Other
// errors are the body's read errors (a read deadline, a reset), as they
// are, and ErrBodyBudget.
//
// Memory: the buffer grows with the bytes that arrive, never beyond the
// declared Content-Length (or limit+1 without one). Under a Server with a
// body budget (SetBodyBudget), that much is reserved from the budget
// before the first byte is read, waiting while other requests hold it,
// and given back when the handler returns.
//
// Call it only once the request's headers are authenticated: an answer
// that leaves the body unread closes the connection instead (see Server).
func ReadBody(r *http.Request, limit, drain int64, hashes ...hash.Hash) ([]byte, error) {
	if r.ContentLength > limit {
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, drain))
		return nil, ErrBodyTooLarge
	}
	// The buffer's bound: the declared length (net/http ends the body
	// there), else one byte over the limit, to tell a body over it.
	bound := limit + 1
	if r.ContentLength >= 0 {
		bound = r.ContentLength
	}
	if err := reserve(r, bound); err != nil {
		if errors.Is(err, ErrBodyTooLarge) {
			_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, drain))
		}
		return nil, err
	}
	var src io.Reader = io.LimitReader(r.Body, limit+1)
	if len(hashes) > 0 {
		ws := make([]io.Writer, len(hashes))
		for i, h := range hashes {
			ws[i] = h
		}
		src = io.TeeReader(src, io.MultiWriter(ws...))
	}
	body, err := readAll(src, bound)
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > limit {
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, drain))
		return nil, ErrBodyTooLarge
	}
	return body, nil
}

// readAll reads src to its end into a buffer that starts small and
// doubles as bytes arrive — a client declaring a large body and sending
// nothing must not cost its size — but never holds more than bound
// bytes: a byte beyond them is errBeyond.
func readAll(src io.Reader, bound int64) ([]byte, error) {
	buf := make([]byte, 0, min(bound, 4<<10))
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) >= bound {
				var one [1]byte
				n, err := src.Read(one[:])
				switch {
				case n > 0:
					return nil, errBeyond
				case err == io.EOF:
					return buf, nil
				case err != nil:
					return nil, err
				}
				continue
			}
			grown := make([]byte, len(buf), min(bound, max(2*int64(cap(buf)), 4<<10)))
			copy(grown, buf)
			buf = grown
		}
		n, err := src.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// errBeyond is a body longer than its declared Content-Length, which
// net/http does not let happen.
var errBeyond = errors.New("request body longer than declared")

// WriteJSON answers status with v as a JSON body (Content-Type
// application/json). The caller sets the other headers first.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// RetryAfterSeconds renders a wait as a Retry-After value: whole seconds,
// rounded up; "" when d is not positive.
func RetryAfterSeconds(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return strconv.Itoa(int(math.Ceil(d.Seconds())))
}

// SetRetryAfter sets Retry-After to d (see RetryAfterSeconds), or nothing
// when d is not positive.
func SetRetryAfter(h http.Header, d time.Duration) {
	if v := RetryAfterSeconds(d); v != "" {
		h.Set("Retry-After", v)
	}
}

// Tail returns the last n bytes of a log, all of it when it is shorter.
func Tail(log string, n int) string {
	if len(log) > n {
		return log[len(log)-n:]
	}
	return log
}

// NewUUID returns a fresh identifier shaped like a UUID (8-4-4-4-12 hex
// digits), made from NewID: "64e70cf1-0000-0000-8000-000100000000" for
// NewID "64e70cf1-000000000001" and variant "8000". The variant group
// tells one provider's ids from another's.
func (e *Env) NewUUID(variant string) string {
	id := e.NewID() // 8-12 hex digits
	return fmt.Sprintf("%s-%s-%s-%s-%s00000000", id[:8], id[9:13], id[13:17], variant, id[17:21])
}

// DrainLimit is how much of an oversized body, from an authenticated
// request, the providers read and discard before answering "too large",
// so that a client still sending is likely to read the answer. An
// unauthenticated request's body is never read: the connection is closed
// after the answer.
const DrainLimit = 1 << 20

// RequestTarget returns the request target exactly as the client sent it,
// in origin form ("/path?query") — also for an absolute-form target
// ("http://host/path?query"), which HTTP/1.1 servers must accept — so a
// signature over the path as sent can be checked.
func RequestTarget(r *http.Request) string {
	t := r.RequestURI
	if t == "" {
		return r.URL.RequestURI()
	}
	if !strings.HasPrefix(t, "/") {
		if i := strings.Index(t, "://"); i >= 0 {
			rest := t[i+3:]
			if j := strings.IndexAny(rest, "/?"); j >= 0 && rest[j] == '/' {
				return rest[j:]
			}
			return "/"
		}
	}
	return t
}
