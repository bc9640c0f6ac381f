package wire

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxRetryAfter caps the wait RetryAfter returns.
const MaxRetryAfter = 5 * time.Minute

// RetryAfter reads a Retry-After value (RFC 9110 §10.2.3): delta-seconds
// or an HTTP-date, relative to now. Empty values, garbage (fractions,
// signs, units), zero and dates in the past give zero; long waits, and
// digits too many to count, are capped at MaxRetryAfter.
func RetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var wait time.Duration
	if isDigits(v) {
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil || secs > int64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter // overflowing digits are a very long wait
		}
		wait = time.Duration(secs) * time.Second
	} else {
		t, err := http.ParseTime(v)
		if err != nil {
			return 0
		}
		wait = t.Sub(now)
	}
	switch {
	case wait <= 0:
		return 0
	case wait > MaxRetryAfter:
		return MaxRetryAfter
	}
	return wait
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// Poller paces the polls of an async task: each Wait sleeps, then doubles
// the next sleep up to a bound; AtLeast stretches the next sleep to a wait
// the service asked for.
type Poller struct {
	next, max time.Duration
}

// NewPoller returns a Poller whose first Wait sleeps first and whose
// doubling stops at limit.
func NewPoller(first, limit time.Duration) *Poller {
	return &Poller{next: first, max: limit}
}

// Wait sleeps until the next poll is due and doubles the following sleep
// (up to the bound). It returns ctx.Err() if ctx ends first.
func (p *Poller) Wait(ctx context.Context) error {
	t := time.NewTimer(p.next)
	select {
	case <-ctx.Done():
		t.Stop()
		return ctx.Err()
	case <-t.C:
	}
	p.next = min(p.next*2, p.max)
	return nil
}

// AtLeast makes the next sleep last at least d, typically the Retry-After
// of a throttled poll. The bound does not apply to it.
func (p *Poller) AtLeast(d time.Duration) {
	p.next = max(p.next, d)
}
