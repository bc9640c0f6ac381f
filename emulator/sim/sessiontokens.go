package sim

import (
	"fmt"
	"net/http"
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
	tokens map[string]time.Time // token → expiry
	order  []string             // tokens, oldest first
}

// New issues a token valid for ttl from now.
func (s *SessionTokens) New(now time.Time, ttl time.Duration) string {
	token := randomHex(24)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tokens == nil {
		s.tokens = make(map[string]time.Time)
	}
	for len(s.order) >= MaxSessionTokens {
		delete(s.tokens, s.order[0])
		s.order = s.order[1:]
	}
	s.tokens[token] = now.Add(ttl)
	s.order = append(s.order, token)
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
	exp, ok := s.tokens[token]
	return ok && now.Before(exp)
}

// WriteText answers a plain-text body with status, noting the verdict for
// the access log: the metadata services' way of answering.
func WriteText(w http.ResponseWriter, status int, v Verdict, body string) {
	SetOutcome(w, v, "")
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(status)
	_, _ = fmt.Fprint(w, body)
}
