package sim

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// MaxSessionTokens bounds the session tokens a SessionTokens keeps; past
// it, the oldest is forgotten first (its holder then asks for a new one).
const MaxSessionTokens = 1024

// SessionTokens are the session tokens of an emulated instance metadata
// service (AWS IMDSv2, Alibaba Cloud's and Huawei Cloud's ECS metadata):
// issued by a PUT with a time to live, presented with each GET. The zero
// value is ready to use and safe for concurrent use.
type SessionTokens struct {
	mu     sync.Mutex
	tokens bounded[string, time.Time] // token → expiry
}

// New issues a token valid for ttl from now.
func (s *SessionTokens) New(now time.Time, ttl time.Duration) string {
	token := randomHex(24)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens.put(MaxSessionTokens, token, now.Add(ttl))
	return token
}

// Valid reports whether token was issued and has not expired at now; ""
// is never valid.
func (s *SessionTokens) Valid(now time.Time, token string) bool {
	if token == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.tokens.get(token)
	return ok && now.Before(exp)
}

// ServeNew answers a metadata service's token request: a PUT whose
// ttlHeader holds the token's time to live in seconds, 1 to max; the
// answer is the token as text, with ttlHeader echoed as IMDSv2 does.
// Anything else is 405 (not a PUT) or 400 (a missing or out-of-range time
// to live).
func (s *SessionTokens) ServeNew(w http.ResponseWriter, r *http.Request, now time.Time, ttlHeader string, max time.Duration) {
	if r.Method != http.MethodPut {
		WriteText(w, http.StatusMethodNotAllowed, VerdictInvalid, "PUT only")
		return
	}
	ttl, err := strconv.Atoi(r.Header.Get(ttlHeader))
	if err != nil || ttl < 1 || time.Duration(ttl)*time.Second > max {
		WriteText(w, http.StatusBadRequest, VerdictInvalid, fmt.Sprintf("%s must be 1 to %d", ttlHeader, int(max/time.Second)))
		return
	}
	token := s.New(now, time.Duration(ttl)*time.Second)
	w.Header().Set(ttlHeader, strconv.Itoa(ttl))
	WriteText(w, http.StatusOK, VerdictOK, token)
}

// WriteText answers a plain-text body with status, noting the verdict for
// the access log: the metadata services' way of answering.
func WriteText(w http.ResponseWriter, status int, v Verdict, body string) {
	SetOutcome(w, v, "")
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(status)
	_, _ = fmt.Fprint(w, body)
}
