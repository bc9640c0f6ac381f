package providers

import "context"

// Detached calls f, a call that takes no context (a cloud SDK's credential
// fetch), in a goroutine of its own while it holds slot, a channel of
// capacity 1 that lets one such call run at a time. It returns f's answer,
// or context.Cause(ctx) when ctx ends first, while waiting for slot or for
// f: f then finishes on its own and frees slot, so an attempt's timeout
// holds even when the SDK's call does not.
func Detached[T any](ctx context.Context, slot chan struct{}, f func() (T, error)) (T, error) {
	var zero T
	select {
	case slot <- struct{}{}:
	case <-ctx.Done():
		return zero, context.Cause(ctx)
	}
	type answer struct {
		v   T
		err error
	}
	done := make(chan answer, 1)
	go func() {
		defer func() { <-slot }()
		v, err := f()
		done <- answer{v, err}
	}()
	select {
	case a := <-done:
		return a.v, a.err
	case <-ctx.Done():
		return zero, context.Cause(ctx)
	}
}
