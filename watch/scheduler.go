package watch

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/fnprobe/fnprobe/executor"
)

// Clock is the time the scheduler lives in; tests give a fake one.
type Clock interface {
	Now() time.Time
	// Timer returns a channel that receives once d has passed (at once
	// for d ≤ 0), and a function that stops the timer.
	Timer(d time.Duration) (<-chan time.Time, func())
}

// RealClock is the wall clock.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// Timer starts a time.Timer.
func (RealClock) Timer(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTimer(d)
	return t.C, func() { t.Stop() }
}

// MaxJitter is the largest delay added to a scheduled start, as a fraction
// of the interval: a fleet of probers started together spreads out.
const MaxJitter = 0.1

// Scheduler starts a run every Every, the first at once and each later one
// at its nominal time (start + k·Every) plus a random delay of up to 10 %
// of Every. Runs never overlap: a tick that finds the previous run still
// going is skipped, and Skipped is called.
type Scheduler struct {
	Every time.Duration
	// Shutdown is how long the run in flight when scheduling stops may
	// take to finish before its context is cancelled (with
	// executor.ErrInterrupted as the cause).
	Shutdown time.Duration
	Clock    Clock // nil: RealClock
	// Jitter returns a random duration in [0, max]; nil: uniform.
	Jitter func(max time.Duration) time.Duration
	// Run runs once. Its context ends only when a shutdown outlasts
	// Shutdown. It must not panic (the caller recovers its own panics:
	// it decides what a panic means for metrics and logs).
	Run func(ctx context.Context)
	// Skipped is called, from the scheduler's goroutine, for each tick
	// skipped because a run was still going; nil: nothing.
	Skipped func()
}

func uniformJitter(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	return rand.N(max + 1)
}

// Loop schedules runs until stop is done, then waits for the run in flight
// (cancelling it after Shutdown) and returns.
func (s *Scheduler) Loop(stop context.Context) {
	clock := s.Clock
	if clock == nil {
		clock = RealClock{}
	}
	jitter := s.Jitter
	if jitter == nil {
		jitter = uniformJitter
	}
	// The runs' context outlives stop: a run in flight is given Shutdown
	// to finish, and is cancelled only then.
	runCtx, cancelRun := context.WithCancelCause(context.WithoutCancel(stop))
	defer cancelRun(nil)

	done := make(chan struct{}, 1)
	running := false
	launch := func() {
		running = true
		go func() {
			defer func() { done <- struct{}{} }()
			s.Run(runCtx)
		}()
	}

	start := clock.Now()
	maxJitter := time.Duration(float64(s.Every) * MaxJitter)
	tick := 1
	deadline := func() time.Time {
		return start.Add(time.Duration(tick) * s.Every).Add(jitter(maxJitter))
	}
	launch()
	next := deadline()
	for {
		// A fresh timer on every wake-up, to the same deadline: the
		// deadline of tick k is drawn once.
		c, stopTimer := clock.Timer(next.Sub(clock.Now()))
		select {
		case <-stop.Done():
			stopTimer()
			s.shutdown(clock, running, done, cancelRun)
			return
		case <-done:
			running = false
		case <-c:
			if running {
				if s.Skipped != nil {
					s.Skipped()
				}
			} else {
				launch()
			}
			// The next tick after now: ticks missed while the process
			// was not scheduled at all (a suspended machine) are dropped.
			now := clock.Now()
			for tick++; !start.Add(time.Duration(tick) * s.Every).After(now); tick++ {
			}
			next = deadline()
		}
		stopTimer()
	}
}

// shutdown waits for the run in flight, if any, for s.Shutdown, then
// cancels it and waits for it to return.
func (s *Scheduler) shutdown(clock Clock, running bool, done <-chan struct{}, cancel context.CancelCauseFunc) {
	if !running {
		return
	}
	c, stopTimer := clock.Timer(s.Shutdown)
	defer stopTimer()
	select {
	case <-done:
		return
	case <-c:
	}
	cancel(executor.ErrInterrupted)
	<-done
}
