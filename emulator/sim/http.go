package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"time"
)

// Helpers the providers' emulated APIs share for reading requests and
// writing answers. What the answers say (error codes, body shapes, header
// names) stays with each provider.

// ErrBodyTooLarge is returned by ReadBody for a body over its limit.
var ErrBodyTooLarge = errors.New("request body too large")

// ReadBody reads a request body of at most limit bytes. A longer body
// gives ErrBodyTooLarge, after up to drain more bytes of it are read and
// discarded, so that a client still sending can read the answer. Other
// errors are the body's read errors, as they are.
func ReadBody(r *http.Request, limit, drain int64) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > limit {
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, drain))
		return nil, ErrBodyTooLarge
	}
	return body, nil
}

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
