package sim

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"
)

// bodyBudget bounds the bytes of request bodies the server holds at once,
// across every request: each body reserves what its buffer may grow to
// before ReadBody reads it (ReadBody's reserve), and gives it back when
// its handler returns. A request that cannot reserve waits, in arrival
// order, until its body read deadline or its context ends.
type bodyBudget struct {
	sem     *semaphore.Weighted
	size    int64
	held    atomic.Int64 // bytes reserved now
	waiting atomic.Int64 // requests waiting to reserve
}

func newBodyBudget(size int64) *bodyBudget {
	return &bodyBudget{sem: semaphore.NewWeighted(size), size: size}
}

// ErrBodyBudget is returned by ReadBody when the body's reservation could
// not be made before the request's body read deadline or the end of its
// context: the emulator was holding its whole body budget for other
// requests meanwhile.
var ErrBodyBudget = errors.New("the emulator's body budget stayed exhausted until the body read deadline")

// account is one request's share of the budget.
type account struct {
	budget   *bodyBudget
	deadline time.Time // zero: none
	reserved int64
}

type accountKey struct{}

// withAccount returns r with an account of b in its context, and the
// function that gives the account's reservation back.
func (b *bodyBudget) withAccount(r *http.Request, deadline time.Time) (*http.Request, func()) {
	a := &account{budget: b, deadline: deadline}
	return r.WithContext(context.WithValue(r.Context(), accountKey{}, a)), a.release
}

// reserve reserves n bytes for r's body, waiting while the budget is
// exhausted. Without a budget (a handler served outside Server) it
// reserves nothing. n over the whole budget is ErrBodyTooLarge at once.
func reserve(r *http.Request, n int64) error {
	a, _ := r.Context().Value(accountKey{}).(*account)
	if a == nil || n <= 0 {
		return nil
	}
	b := a.budget
	if n > b.size {
		return ErrBodyTooLarge
	}
	if !b.sem.TryAcquire(n) {
		ctx := r.Context()
		if !a.deadline.IsZero() {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, a.deadline)
			defer cancel()
		}
		b.waiting.Add(1)
		err := b.sem.Acquire(ctx, n)
		b.waiting.Add(-1)
		if err != nil {
			return ErrBodyBudget
		}
	}
	a.reserved += n
	b.held.Add(n)
	return nil
}

func (a *account) release() {
	if a.reserved > 0 {
		a.budget.held.Add(-a.reserved)
		a.budget.sem.Release(a.reserved)
		a.reserved = 0
	}
}

// BodyBudget reports the server's body budget: its size (0: unbounded),
// the bytes reserved now and the requests waiting for a reservation.
func (s *Server) BodyBudget() (size, held int64, waiting int) {
	if s.budget == nil {
		return 0, 0, 0
	}
	return s.budget.size, s.budget.held.Load(), int(s.budget.waiting.Load())
}

// SetBodyBudget bounds the bytes of request bodies held at once across
// every request; 0 means no bound. A body reserves its Content-Length, or
// the API's payload limit when it declares none, before it is read, and
// keeps it until its answer is written. Call it before serving.
func (s *Server) SetBodyBudget(n int64) {
	s.budget = nil
	if n > 0 {
		s.budget = newBodyBudget(n)
	}
}
