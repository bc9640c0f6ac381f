package sim

import (
	"net/http"
	"net/http/httptest"
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
	if len(s.tokens.order) != MaxSessionTokens || len(s.tokens.m) != MaxSessionTokens {
		t.Errorf("%d/%d tokens kept, want %d", len(s.tokens.order), len(s.tokens.m), MaxSessionTokens)
	}
}

func TestSessionTokensServeNew(t *testing.T) {
	var s SessionTokens
	now := time.Unix(1_800_000_000, 0)
	const h = "X-Test-Token-Ttl-Seconds"
	for _, tc := range []struct {
		method, ttl string
		want        int
	}{
		{http.MethodGet, "60", http.StatusMethodNotAllowed},
		{http.MethodPut, "", http.StatusBadRequest},
		{http.MethodPut, "0", http.StatusBadRequest},
		{http.MethodPut, "21601", http.StatusBadRequest},
		{http.MethodPut, "60", http.StatusOK},
	} {
		r := httptest.NewRequest(tc.method, "/token", nil)
		if tc.ttl != "" {
			r.Header.Set(h, tc.ttl)
		}
		w := httptest.NewRecorder()
		s.ServeNew(w, r, now, h, 6*time.Hour)
		if w.Code != tc.want {
			t.Errorf("%s ttl %q: %d, want %d", tc.method, tc.ttl, w.Code, tc.want)
			continue
		}
		if tc.want == http.StatusOK {
			if !s.Valid(now.Add(59*time.Second), w.Body.String()) || s.Valid(now.Add(time.Minute), w.Body.String()) || w.Header().Get(h) != "60" {
				t.Errorf("token %q valid for the wrong time, or ttl not echoed (%q)", w.Body.String(), w.Header().Get(h))
			}
		}
	}
}
