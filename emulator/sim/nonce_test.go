package sim

import (
	"fmt"
	"testing"
	"time"
)

func TestNonceSet(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	s := nonceSet{max: 3}
	if !s.use("a", t0.Add(time.Minute), t0) {
		t.Fatal("first use refused")
	}
	if s.use("a", t0.Add(time.Minute), t0.Add(30*time.Second)) {
		t.Error("replay within the window accepted")
	}
	if !s.use("a", t0.Add(3*time.Minute), t0.Add(time.Minute)) {
		t.Error("nonce not forgotten at its expiry")
	}
	if !s.use("old", t0, t0.Add(time.Minute)) || s.len() != 1 {
		t.Errorf("an already expired nonce: %d remembered, want 1", s.len())
	}
	// Full: the soonest to expire is forgotten first, the set stays at 3.
	now := t0.Add(time.Minute)
	for i := range 5 {
		if !s.use(fmt.Sprint("n", i), now.Add(time.Duration(10+i)*time.Minute), now) {
			t.Fatalf("n%d refused", i)
		}
	}
	if s.len() != 3 {
		t.Errorf("%d nonces remembered, want the cap 3", s.len())
	}
	// n0 and n1 were evicted; n2..n4 are kept.
	if s.use("n4", now.Add(time.Hour), now) || s.use("n3", now.Add(time.Hour), now) || s.use("n2", now.Add(time.Hour), now) {
		t.Error("a kept nonce was accepted again")
	}
	if s.len() != 3 {
		t.Errorf("%d nonces remembered after replays, want 3", s.len())
	}
}

func TestEnvUseNonceScopes(t *testing.T) {
	e := newEnv(t)
	exp := e.Now().Add(time.Minute)
	if !e.UseNonce("AK1", "n", exp) || !e.UseNonce("AK2", "n", exp) {
		t.Error("the same nonce under two keys refused")
	}
	if e.UseNonce("AK1", "n", exp) {
		t.Error("replay accepted")
	}
}
