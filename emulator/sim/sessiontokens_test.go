package sim

import (
	"testing"
	"time"
)

func TestSessionTokens(t *testing.T) {
	var s SessionTokens
	now := time.Unix(1_800_000_000, 0)
	tok := s.New(now, time.Minute)
	if len(tok) != 48 || !s.Valid(now, tok) || !s.Valid(now.Add(59*time.Second), tok) {
		t.Fatalf("token %q should be valid for its ttl", tok)
	}
	if s.Valid(now.Add(time.Minute), tok) {
		t.Error("a token past its ttl must not be valid")
	}
	if s.Valid(now, "") || s.Valid(now, "forged") {
		t.Error("an empty or unknown token must not be valid")
	}
	for i := 0; i < MaxSessionTokens; i++ {
		s.New(now, time.Minute)
	}
	if s.Valid(now, tok) {
		t.Error("the oldest token must be forgotten past MaxSessionTokens")
	}
	if len(s.order) != MaxSessionTokens || len(s.tokens) != MaxSessionTokens {
		t.Errorf("%d/%d tokens kept, want %d", len(s.order), len(s.tokens), MaxSessionTokens)
	}
}
