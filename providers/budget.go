package providers

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/sync/semaphore"
)

// DefaultBudget is the size of the memory budget a run shares among the
// response bodies in flight: 256 MiB.
const DefaultBudget = 256 << 20

// Budget bounds the memory that response bodies in flight hold, across all
// drivers of a run. The executor makes one per run and passes it to every
// attempt in Request.Budget (there is no global budget). Bytes are acquired
// as a body is read, in the amounts actually allocated, and released through
// Result.Release once the executor is done with the answer, or by the driver
// on error. A nil *Budget bounds nothing.
//
// Acquiring waits, honouring the attempt's context, when the budget is
// spent; an attempt that times out waiting fails with its timeout like any
// slow answer.
type Budget struct {
	sem  *semaphore.Weighted
	size int64
}

// NewBudget returns a budget of size bytes (DefaultBudget when size ≤ 0).
func NewBudget(size int64) *Budget {
	if size <= 0 {
		size = DefaultBudget
	}
	return &Budget{sem: semaphore.NewWeighted(size), size: size}
}

// Size is the budget's size in bytes; zero for a nil budget.
func (b *Budget) Size() int64 {
	if b == nil {
		return 0
	}
	return b.size
}

// ErrOverBudget is returned by Acquire for a request larger than the whole
// budget, which no wait can satisfy.
var ErrOverBudget = errors.New("larger than the memory budget")

// Acquire takes n bytes from the budget, waiting until they are free or ctx
// ends. A nil budget grants everything.
func (b *Budget) Acquire(ctx context.Context, n int64) error {
	if b == nil || n <= 0 {
		return nil
	}
	if n > b.size {
		return fmt.Errorf("%d bytes: %w of %d bytes", n, ErrOverBudget, b.size)
	}
	if err := b.sem.Acquire(ctx, n); err != nil {
		return fmt.Errorf("waiting for %d bytes of the response memory budget: %w", n, err)
	}
	return nil
}

// Release returns n bytes to the budget.
func (b *Budget) Release(n int64) {
	if b == nil || n <= 0 {
		return
	}
	b.sem.Release(n)
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
