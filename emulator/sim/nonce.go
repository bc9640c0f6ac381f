package sim

import (
	"container/heap"
	"sync"
	"time"
)

// MaxNonces caps the signature nonces an Env remembers at once. When the
// set is full of live nonces, the one closest to expiry is forgotten early
// (a replay of it would then pass): memory stays bounded at roughly
// 100 bytes a nonce, about 10 MB.
const MaxNonces = 100_000

// UseNonce records a signature nonce (scoped by key, e.g. the access key
// id) that the service must not accept again until expires, the time after
// which the signed request would be refused for skew anyway. It reports
// false when the nonce is already recorded: a replay.
func (e *Env) UseNonce(key, nonce string, expires time.Time) bool {
	return e.nonces.use(key+"\x00"+nonce, expires, e.Now())
}

// nonceSet is a set of nonces with expiry times, capped in size.
type nonceSet struct {
	mu     sync.Mutex
	max    int
	seen   map[string]time.Time
	expiry nonceHeap // the same entries, soonest expiry first
}

func (s *nonceSet) use(n string, expires, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil {
		s.seen = make(map[string]time.Time)
		if s.max == 0 {
			s.max = MaxNonces
		}
	}
	for len(s.expiry) > 0 && !s.expiry[0].at.After(now) {
		delete(s.seen, heap.Pop(&s.expiry).(nonceEntry).n)
	}
	if _, dup := s.seen[n]; dup {
		return false
	}
	if !expires.After(now) {
		return true // already outside the window: nothing to remember
	}
	for len(s.expiry) >= s.max {
		delete(s.seen, heap.Pop(&s.expiry).(nonceEntry).n)
	}
	s.seen[n] = expires
	heap.Push(&s.expiry, nonceEntry{n: n, at: expires})
	return true
}

func (s *nonceSet) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen)
}

type nonceEntry struct {
	n  string
	at time.Time
}

type nonceHeap []nonceEntry

func (h nonceHeap) Len() int           { return len(h) }
func (h nonceHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h nonceHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *nonceHeap) Push(x any)        { *h = append(*h, x.(nonceEntry)) }
func (h *nonceHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
