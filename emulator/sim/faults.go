package sim

import (
	"net/http"
	"strconv"
)

// Drop closes the client's connection without an answer (hijacking it).
// When the connection cannot be hijacked (HTTP/2), it aborts the handler,
// which resets the stream.
func Drop(w http.ResponseWriter) {
	SetOutcome(w, VerdictFault, "drop")
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// WriteTruncated answers status with a Content-Length of len(body) but sends
// only the first half of it, then closes the connection. The caller sets
// the other headers first.
func WriteTruncated(w http.ResponseWriter, status int, body []byte) {
	SetOutcome(w, VerdictFault, "truncate")
	if len(body) < 2 {
		body = append(body, []byte("{\"truncated\":true}")...)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body[:len(body)/2])
	_ = http.NewResponseController(w).Flush()
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		_ = conn.Close()
	}
}

// WriteBody answers status with body and its Content-Length; when the
// decision truncates, only the first half of body is sent (see
// WriteTruncated). The caller sets the other headers first.
func (d Decision) WriteBody(w http.ResponseWriter, status int, body []byte) {
	if d.Truncate {
		WriteTruncated(w, status, body)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
