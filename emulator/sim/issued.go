package sim

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"
)

// MaxIssued bounds the temporary credentials an Env remembers: an emulated
// STS called in a loop must not grow the emulator without bound. Past it,
// the oldest issued credential is forgotten (its holder then gets
// "unknown key", as a revoked key would).
const MaxIssued = 4096

// issuedStore holds the temporary credentials the emulated STS services
// issued, oldest first.
type issuedStore struct {
	mu    sync.Mutex
	byKey bounded[string, Credential] // by provider + "\x00" + access key id
}

// IssueCredential mints a temporary credential for provider, valid for
// ttl, from the identity of parent (the access key or token it was
// assumed with; the new credential keeps its account, project and
// region). It returns the credential, whose AccessKeyID, Secret and
// SecurityToken the STS answer carries, and which Credential then finds.
// prefix starts the access key id ("ASIA" for AWS, "STS." for Alibaba
// Cloud).
func (e *Env) IssueCredential(provider, prefix string, parent Credential, ttl time.Duration) Credential {
	c := Credential{
		Provider:      provider,
		AccessKeyID:   prefix + randomHex(8),
		Secret:        randomHex(20),
		SecurityToken: "fnprobe-emulator-sts-" + randomHex(32),
		ProjectID:     parent.ProjectID,
		Region:        parent.Region,
		AccountID:     parent.AccountID,
		Expires:       e.Now().Add(ttl),
	}
	key := provider + "\x00" + c.AccessKeyID
	s := &e.issued
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byKey.put(MaxIssued, key, c)
	return c
}

// lookupIssued finds an issued credential, marked Expired once its time
// has passed.
func (e *Env) lookupIssued(provider, accessKeyID string) (Credential, bool) {
	s := &e.issued
	s.mu.Lock()
	c, ok := s.byKey.get(provider + "\x00" + accessKeyID)
	s.mu.Unlock()
	if ok && !c.Expires.IsZero() && !e.Now().Before(c.Expires) {
		c.Expired = true
	}
	return c, ok
}

// randomHex is n random bytes in hex. crypto/rand never fails on the
// platforms Go supports.
func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return hex.EncodeToString(b)
}
