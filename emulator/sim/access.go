package sim

import (
	"io"
	"log/slog"
	"net/http"
	"time"
)

// Verdict is why the emulator answered a request as it did: the word the
// access log prints, so that a 403 says which check failed.
type Verdict string

// Verdicts. Providers report theirs with SetOutcome; a request without one
// gets a verdict from its status (see defaultVerdict).
const (
	VerdictOK                Verdict = "ok"                 // answered (the function may still have failed)
	VerdictUnauthenticated   Verdict = "unauthenticated"    // no credentials, or an unsupported scheme
	VerdictUnknownKey        Verdict = "unknown-key"        // unknown access key id or token
	VerdictBadToken          Verdict = "bad-token"          // security token missing, wrong or expired
	VerdictSignatureMismatch Verdict = "signature-mismatch" // signature, signed headers or scope wrong
	VerdictBodyMismatch      Verdict = "body-mismatch"      // the body does not match its declared hash
	VerdictSkew              Verdict = "skew"               // request time outside the skew window
	VerdictReplay            Verdict = "replay"             // signature nonce seen before
	VerdictDenied            Verdict = "denied"             // authenticated, not allowed (project, scope)
	VerdictTooLarge          Verdict = "too-large"          // payload over the limit
	VerdictReadError         Verdict = "read-error"         // the body could not be read (deadline, reset)
	VerdictInvalid           Verdict = "invalid"            // malformed request
	VerdictNotFound          Verdict = "not-found"          // unknown path, function, version, task
	VerdictFault             Verdict = "fault"              // a fault injected by the configuration
	VerdictError             Verdict = "error"              // any other failure the emulator answered
)

// defaultVerdict is the verdict of a request no provider described.
func defaultVerdict(status int) Verdict {
	switch {
	case status == 0:
		return VerdictFault // hijacked: only Drop does that
	case status < 400:
		return VerdictOK
	case status == http.StatusNotFound:
		return VerdictNotFound
	case status == http.StatusRequestEntityTooLarge:
		return VerdictTooLarge
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return VerdictDenied
	case status < 500:
		return VerdictInvalid
	}
	return VerdictError
}

// NewAccessLog returns the emulator's access logger: log/slog's text
// handler on w, one line per request (see Server.SetAccessLog).
func NewAccessLog(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, nil))
}

// exchange is the ResponseWriter a Server hands to providers: it records
// the status and the providers' notes for the access log, and closes the
// connection when an answer leaves the request body unread.
type exchange struct {
	http.ResponseWriter
	body     *trackedBody // nil when the request has no body
	status   int
	wrote    bool
	provider string
	function string
	verdict  Verdict
	code     string
}

func (x *exchange) WriteHeader(status int) {
	if !x.wrote && status >= 200 {
		x.wrote, x.status = true, status
		if x.body != nil && !x.body.eof {
			// The body was not (fully) read: do not read the rest to
			// keep the connection; close it after the answer.
			x.Header().Set("Connection", "close")
		}
	}
	x.ResponseWriter.WriteHeader(status)
}

func (x *exchange) Write(p []byte) (int, error) {
	if !x.wrote {
		x.WriteHeader(http.StatusOK)
	}
	return x.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection (Flush,
// Hijack, deadlines).
func (x *exchange) Unwrap() http.ResponseWriter { return x.ResponseWriter }

// SetFunction records the function a request addresses, for the access
// log. It does nothing when w is not a Server's.
func SetFunction(w http.ResponseWriter, name string) {
	if x, ok := w.(*exchange); ok {
		x.function = name
	}
}

// SetOutcome records the verdict and the cloud's error code ("" for none)
// of a request, for the access log. The first verdict set stays. It does
// nothing when w is not a Server's.
func SetOutcome(w http.ResponseWriter, v Verdict, code string) {
	if x, ok := w.(*exchange); ok && x.verdict == "" {
		x.verdict, x.code = v, code
	}
}

// trackedBody is a request body that notes whether it was read to the
// end, and then lifts the body read deadline, so that a long function
// does not have its request cancelled by the connection's background read.
type trackedBody struct {
	io.ReadCloser
	rc  *http.ResponseController
	eof bool
}

func (b *trackedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.eof {
		b.eof = true
		if b.rc != nil {
			_ = b.rc.SetReadDeadline(time.Time{})
		}
	}
	return n, err
}

// requestIDHeaders are the providers' request id headers, in the order
// the access log looks for one.
var requestIDHeaders = []string{"X-Fc-Request-Id", "X-Amzn-Requestid", "X-Cff-Request-Id", "X-Request-Id"}

// logRequest writes the access log line of one request: never a header
// value, query string or body, so no signature, secret or token.
func (s *Server) logRequest(r *http.Request, x *exchange, d time.Duration) {
	v := x.verdict
	if v == "" {
		v = defaultVerdict(x.status)
	}
	var reqID string
	for _, h := range requestIDHeaders {
		if reqID = x.Header().Get(h); reqID != "" {
			break
		}
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.String("provider", x.provider),
		slog.String("function", x.function),
		slog.String("verdict", string(v)),
		slog.Int("status", x.status),
		slog.String("code", x.code),
		slog.String("request_id", reqID),
		slog.Duration("duration", d),
	)
}
