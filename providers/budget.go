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
// length climbs tiers: a small grant (Size/256, 64 of them at once), then a
// middle one (Size/32, 8 at once), then its worst case, twice its limit (a
// buffer being doubled is counted with the copy it replaces), each in one
// step. Bodies waiting to climb hold at most half the budget between them,
// so the first in line is always served once the bodies being read finish;
// hence limits may not exceed MaxLimit, a quarter of the budget.
type Budget struct {
	sem   *semaphore.Weighted
	tiers []tier
	size  int64
	inUse atomic.Int64
	peak  atomic.Int64
}

// tier is a step of an unknown-length body's hold: grant bytes, with at
// most slots bodies at this step at once.
type tier struct {
	grant int64
	slots *semaphore.Weighted
}

// NewBudget returns a budget of size bytes (DefaultBudget when size ≤ 0).
func NewBudget(size int64) *Budget {
	if size <= 0 {
		size = DefaultBudget
	}
	return &Budget{
		sem:  semaphore.NewWeighted(size),
		size: size,
		tiers: []tier{
			{grant: max(size/256, 4<<10), slots: semaphore.NewWeighted(64)},
			{grant: max(size/32, 32<<10), slots: semaphore.NewWeighted(8)},
		},
	}
}

// Size is the budget's size in bytes; zero for a nil budget.
func (b *Budget) Size() int64 {
	if b == nil {
		return 0
	}
	return b.size
}

// MaxLimit is the largest per-body limit a Hold on this budget accepts: a
// quarter of it, so that a body's worst case fits beside the holds of the
// bodies waiting to climb.
func (b *Budget) MaxLimit() int64 { return b.size / 4 }

// InUse is how many bytes holds have now; Peak the most they ever had at
// once. Both are for tests and diagnostics.
func (b *Budget) InUse() int64 { return b.inUse.Load() }

// Peak: see InUse.
func (b *Budget) Peak() int64 { return b.peak.Load() }

func (b *Budget) acquire(ctx context.Context, n int64) error {
	if n <= 0 {
		return nil
	}
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
	level  int                 // tiers climbed (unknown length)
	slot   *semaphore.Weighted // the tier slot held, if any
	known  bool                // the length is known: one grant, no growth
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
// later ones fail; for an unknown length Grow climbs the tiers, and n may
// not exceed twice the limit.
func (h *Hold) Grow(ctx context.Context, n int64) error {
	b := h.b
	if b == nil {
		h.held = max(h.held, n)
		return nil
	}
	if n <= h.held {
		return nil
	}
	if h.known {
		if h.held > 0 {
			return errors.New("the body is longer than its declared length")
		}
		if err := b.acquire(ctx, n); err != nil {
			return err
		}
		h.held = n
		return nil
	}
	worst := 2 * h.limit
	if n > worst {
		return fmt.Errorf("%d bytes is past the hold's worst case of %d", n, worst)
	}
	for h.held < n {
		if h.level >= len(b.tiers) {
			if err := b.acquire(ctx, worst-h.held); err != nil {
				return err
			}
			h.held = worst
			h.dropSlot()
			return nil
		}
		t := b.tiers[h.level]
		target := min(t.grant, worst)
		if err := t.slots.Acquire(ctx, 1); err != nil {
			return fmt.Errorf("waiting for the response memory budget: %w", err)
		}
		if err := b.acquire(ctx, target-h.held); err != nil {
			t.slots.Release(1)
			return err
		}
		h.dropSlot()
		h.slot, h.held = t.slots, max(h.held, target)
		h.level++
	}
	return nil
}

// Shrink gives back what the hold has beyond n bytes, and its tier slot:
// a body that is read grows no more.
func (h *Hold) Shrink(n int64) {
	if h.held > n && h.b != nil {
		h.b.release(h.held - n)
		h.held = n
	}
	h.dropSlot()
}

func (h *Hold) dropSlot() {
	if h.slot != nil {
		h.slot.Release(1)
		h.slot = nil
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
