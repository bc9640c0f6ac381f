package providers

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"golang.org/x/sync/semaphore"
)

// DefaultBudget is the size of the memory budget a run shares among the
// response bodies in flight: 256 MiB.
const DefaultBudget = 256 << 20

// Budget bounds the memory that response bodies in flight hold, across all
// drivers of a run. The executor makes one per run and passes it to every
// attempt in Request.Budget (there is no global budget). A body draws on it
// through a Hold as it is read, in the amounts actually allocated, and gives
// it back through Result.Release once the executor is done with the answer,
// or at once on error. A nil *Budget bounds nothing.
//
// Waiting for budget honours the attempt's context: an attempt that times
// out waiting fails with its timeout like any slow answer.
//
// Holds never deadlock one another. A body of known length takes what it
// needs in one step, holding nothing while it waits. A body of unknown
// length starts with a small grant (Size/256) from a pool of 64 such grants
// and, if it outgrows it, waits for the rest of its worst case in one step;
// as at most a quarter of the budget can be held by bodies waiting so, the
// first in line is always served once the bodies being read finish. The
// worst case of an unknown length is twice limit+1 (a buffer being doubled
// is counted with the copy it replaces), so limits must stay within
// MaxLimit.
type Budget struct {
	sem   *semaphore.Weighted
	early *semaphore.Weighted // the small grants of bodies of unknown length
	size  int64
	inUse atomic.Int64
	peak  atomic.Int64
}

// earlyGrants is how many bodies of unknown length may be read at once
// before they outgrow their first grant.
const earlyGrants = 64

// NewBudget returns a budget of size bytes (DefaultBudget when size ≤ 0).
func NewBudget(size int64) *Budget {
	if size <= 0 {
		size = DefaultBudget
	}
	return &Budget{sem: semaphore.NewWeighted(size), early: semaphore.NewWeighted(earlyGrants), size: size}
}

// Size is the budget's size in bytes; zero for a nil budget.
func (b *Budget) Size() int64 {
	if b == nil {
		return 0
	}
	return b.size
}

// MaxLimit is the largest per-body limit a Hold on this budget accepts:
// the worst case of a body, twice limit+1, must fit in three quarters of it.
func (b *Budget) MaxLimit() int64 { return b.size*3/8 - 1 }

// InUse is how many bytes holds have now; Peak the most they ever had at
// once. Both are for tests and diagnostics.
func (b *Budget) InUse() int64 { return b.inUse.Load() }

// Peak: see InUse.
func (b *Budget) Peak() int64 { return b.peak.Load() }

func (b *Budget) grain() int64 { return max(b.size/256, 4<<10) }

func (b *Budget) acquire(ctx context.Context, n int64) error {
	if err := b.sem.Acquire(ctx, n); err != nil {
		return fmt.Errorf("waiting for %d bytes of the response memory budget: %w", n, err)
	}
	u := b.inUse.Add(n)
	for p := b.peak.Load(); u > p && !b.peak.CompareAndSwap(p, u); p = b.peak.Load() {
	}
	return nil
}

func (b *Budget) release(n int64) {
	if n > 0 {
		b.inUse.Add(-n)
		b.sem.Release(n)
	}
}

// ErrOverBudget is returned for a hold whose limit exceeds MaxLimit.
var ErrOverBudget = errors.New("the per-body limit is too large for the memory budget")

// Hold is the part of a Budget one body holds. Its methods are not safe
// for concurrent use; Release is idempotent.
type Hold struct {
	b      *Budget
	limit  int64
	held   int64
	early  bool // holds an early grant
	known  bool // the body's length is known: no growth past the first grant
	closed bool
}

// NewHold starts a hold for a body of at most limit bytes; length is the
// declared length, or -1. A nil budget gives a hold that bounds nothing.
func (b *Budget) NewHold(limit, length int64) (*Hold, error) {
	if b != nil && limit > b.MaxLimit() {
		return nil, fmt.Errorf("%w (limit %d bytes, budget %d bytes)", ErrOverBudget, limit, b.size)
	}
	return &Hold{b: b, limit: limit, known: length >= 0}, nil
}

// Grow makes the hold cover at least n bytes, waiting for the budget
// until ctx ends. For a known length the first Grow takes n at once and
// later ones fail; for an unknown length the first takes the small grant
// and outgrowing it takes the rest of the worst case.
func (h *Hold) Grow(ctx context.Context, n int64) error {
	if n <= h.held || h.b == nil {
		if h.b == nil {
			h.held = max(h.held, n)
		}
		return nil
	}
	b := h.b
	switch {
	case h.held == 0 && h.known:
		if err := b.acquire(ctx, n); err != nil {
			return err
		}
		h.held = n
	case h.known:
		return errors.New("the body is longer than its declared length")
	case h.held == 0 && n <= b.grain():
		if err := b.early.Acquire(ctx, 1); err != nil {
			return fmt.Errorf("waiting for the response memory budget: %w", err)
		}
		h.early = true
		if err := b.acquire(ctx, b.grain()); err != nil {
			return err
		}
		h.held = b.grain()
	default:
		worst := 2 * (h.limit + 1)
		if n > worst {
			return fmt.Errorf("%d bytes is past the hold's worst case of %d", n, worst)
		}
		if err := b.acquire(ctx, worst-h.held); err != nil {
			return err
		}
		h.held = worst
		h.dropEarly()
	}
	return nil
}

// Shrink gives back what the hold has beyond n bytes.
func (h *Hold) Shrink(n int64) {
	if h.held > n && h.b != nil {
		h.b.release(h.held - n)
		h.held = n
	}
	h.dropEarly()
}

func (h *Hold) dropEarly() {
	if h.early {
		h.early = false
		h.b.early.Release(1)
	}
}

// Held is how many bytes the hold has.
func (h *Hold) Held() int64 { return h.held }

// Release gives everything back.
func (h *Hold) Release() {
	if h.closed {
		return
	}
	h.closed = true
	h.Shrink(0)
}

// PermanentError marks a failure that retrying cannot heal: a wrong scheme,
// an untrusted certificate, a host that does not exist, a command that is
// not installed. The executor does not retry it and shows Hint, a sentence
// saying what to change, after the error.
type PermanentError struct {
	Err  error
	Hint string
}

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err as a PermanentError with a hint; nil stays nil, and an
// error already permanent is returned as is.
func Permanent(err error, hint string) error {
	if err == nil {
		return nil
	}
	var pe *PermanentError
	if errors.As(err, &pe) {
		return err
	}
	return &PermanentError{Err: err, Hint: hint}
}

// IsPermanent returns the PermanentError in err's chain, or nil.
func IsPermanent(err error) *PermanentError {
	var pe *PermanentError
	if errors.As(err, &pe) {
		return pe
	}
	return nil
}
