package executor

import (
	"context"

	"golang.org/x/time/rate"

	"github.com/fnprobe/fnprobe/planner"
)

// limiter bounds the attempts made through one provider or function
// block (max_concurrency, rate_limit): a semaphore and a token bucket of
// burst 1, so starts are spread evenly. Normal runs and samples alike go
// through it; waiting for it is not part of an attempt's timeout.
type limiter struct {
	slots chan struct{} // nil: no max_concurrency
	rate  *rate.Limiter // nil: no rate_limit
}

func newLimiter(l planner.Limits) *limiter {
	if l.MaxConcurrency <= 0 && l.RateLimit <= 0 {
		return nil
	}
	lm := &limiter{}
	if l.MaxConcurrency > 0 {
		lm.slots = make(chan struct{}, l.MaxConcurrency)
	}
	if l.RateLimit > 0 {
		lm.rate = rate.NewLimiter(rate.Limit(l.RateLimit), 1)
	}
	return lm
}

// limiters builds the limiters of the plan's providers and functions that
// have limits, by address.
func limiters(p *planner.Plan) map[string]*limiter {
	out := map[string]*limiter{}
	for addr, pr := range p.Providers {
		if lm := newLimiter(pr.Limits); lm != nil {
			out["provider."+addr] = lm
		}
	}
	for addr, fn := range p.Functions {
		if lm := newLimiter(fn.Limits); lm != nil {
			out[addr] = lm
		}
	}
	return out
}

// acquire waits until an attempt of inst may start under the limits of its
// function and of its provider, in that order, and returns the function
// that gives the slots back. It fails only when ctx ends.
func (e *executor) acquire(ctx context.Context, inst *planner.Instance) (release func(), err error) {
	if e.limits[inst.Function.Addr] == nil && e.limits[inst.Function.Provider.Addr] == nil {
		return releaseNothing, nil // no limit: nothing to take or give back
	}
	var held []*limiter
	release = func() {
		for _, lm := range held {
			if lm.slots != nil {
				<-lm.slots
			}
		}
	}
	for _, addr := range []string{inst.Function.Addr, inst.Function.Provider.Addr} {
		lm := e.limits[addr]
		if lm == nil {
			continue
		}
		if lm.slots != nil {
			select {
			case lm.slots <- struct{}{}:
				held = append(held, lm)
			case <-ctx.Done():
				release()
				return func() {}, ctx.Err()
			}
		}
		if lm.rate != nil {
			// Reserve at the executor's clock and wait with its Sleep, so
			// both can be replaced in tests.
			r := lm.rate.ReserveN(e.opts.Clock(), 1)
			if d := r.DelayFrom(e.opts.Clock()); d > 0 {
				if err := e.opts.Sleep(ctx, d); err != nil {
					r.Cancel()
					release()
					return func() {}, err
				}
			}
		}
	}
	return release, nil
}

// releaseNothing is the release of a call under no limit.
func releaseNothing() {}
