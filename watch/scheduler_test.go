package watch

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/executor"
)

// fakeClock hands every timer the scheduler asks for to the test, which
// fires it: time moves only when the test says.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers chan fakeTimer
}

type fakeTimer struct {
	d time.Duration
	c chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Unix(1_000_000, 0), timers: make(chan fakeTimer)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Timer(d time.Duration) (<-chan time.Time, func()) {
	t := fakeTimer{d: d, c: make(chan time.Time, 1)}
	c.timers <- t
	return t.c, func() {}
}

// next returns the next timer the scheduler asks for.
func (c *fakeClock) next(t *testing.T) fakeTimer {
	t.Helper()
	select {
	case tm := <-c.timers:
		return tm
	case <-time.After(10 * time.Second): // a hang, not a timing
		t.Fatal("the scheduler asked for no timer")
		return fakeTimer{}
	}
}

// fire moves the clock to the timer's end and fires it.
func (c *fakeClock) fire(tm fakeTimer) {
	c.mu.Lock()
	c.now = c.now.Add(tm.d)
	now := c.now
	c.mu.Unlock()
	tm.c <- now
}

// fakeRuns is a Run whose runs block until the test releases them.
type fakeRuns struct {
	started chan int
	release chan struct{}
	mu      sync.Mutex
	n       int
	active  int
	overlap bool
	causes  []error
}

func newFakeRuns() *fakeRuns {
	return &fakeRuns{started: make(chan int, 100), release: make(chan struct{})}
}

func (f *fakeRuns) run(ctx context.Context) {
	f.mu.Lock()
	f.n++
	n := f.n
	f.active++
	f.overlap = f.overlap || f.active > 1
	f.mu.Unlock()
	f.started <- n
	select {
	case <-f.release:
	case <-ctx.Done():
		f.mu.Lock()
		f.causes = append(f.causes, context.Cause(ctx))
		f.mu.Unlock()
	}
	f.mu.Lock()
	f.active--
	f.mu.Unlock()
}

func (f *fakeRuns) wait(t *testing.T, want int) {
	t.Helper()
	select {
	case n := <-f.started:
		if n != want {
			t.Fatalf("run %d started, want %d", n, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("run %d did not start", want)
	}
}

func TestSchedulerNoOverlapSkippedTicks(t *testing.T) {
	clock := newFakeClock()
	runs := newFakeRuns()
	skipped := 0
	s := &Scheduler{
		Every:    time.Minute,
		Shutdown: time.Second,
		Clock:    clock,
		Jitter:   func(time.Duration) time.Duration { return 0 },
		Run:      runs.run,
		Skipped:  func() { skipped++ },
	}
	stop, cancel := context.WithCancel(context.Background())
	loopDone := make(chan struct{})
	go func() { s.Loop(stop); close(loopDone) }()

	runs.wait(t, 1) // the first run at once
	tm := clock.next(t)
	if tm.d != time.Minute {
		t.Fatalf("first tick in %s, want 1m", tm.d)
	}
	clock.fire(tm) // run 1 still going: skipped
	tm = clock.next(t)
	if tm.d != time.Minute {
		t.Fatalf("after a skipped tick, next in %s, want 1m", tm.d)
	}
	clock.fire(tm) // skipped again
	tm = clock.next(t)
	runs.release <- struct{}{} // run 1 ends
	tm = clock.next(t)         // the scheduler woke up and re-armed, same deadline
	if tm.d != time.Minute {
		t.Fatalf("re-armed for %s, want 1m", tm.d)
	}
	clock.fire(tm)
	runs.wait(t, 2)
	clock.next(t) // armed after run 2 started
	runs.release <- struct{}{}
	clock.next(t) // re-armed after run 2 ended
	cancel()
	<-loopDone
	if skipped != 2 {
		t.Errorf("skipped = %d, want 2", skipped)
	}
	if runs.overlap {
		t.Error("runs overlapped")
	}
}

func TestSchedulerJitterBounds(t *testing.T) {
	clock := newFakeClock()
	runs := newFakeRuns()
	var maxes []time.Duration
	s := &Scheduler{
		Every: 100 * time.Second,
		Clock: clock,
		Jitter: func(max time.Duration) time.Duration {
			maxes = append(maxes, max)
			return max // the latest start allowed
		},
		Run: runs.run,
	}
	stop, cancel := context.WithCancel(context.Background())
	loopDone := make(chan struct{})
	go func() { s.Loop(stop); close(loopDone) }()
	runs.wait(t, 1)
	tm := clock.next(t)
	if tm.d != 110*time.Second {
		t.Errorf("first tick in %s, want 110s (100s + 10 %%)", tm.d)
	}
	runs.release <- struct{}{}
	tm = clock.next(t)
	clock.fire(tm)
	runs.wait(t, 2)
	// The second tick's nominal time is 200s after the start, not 100s
	// after the first's jittered start: jitter does not accumulate.
	tm = clock.next(t)
	if tm.d != 100*time.Second {
		t.Errorf("second tick in %s after the first, want 100s (200s + 10s - 110s)", tm.d)
	}
	runs.release <- struct{}{}
	clock.next(t)
	cancel()
	<-loopDone
	for _, m := range maxes {
		if m != 10*time.Second {
			t.Errorf("jitter bound %s, want 10s", m)
		}
	}

	for range 1000 {
		if j := uniformJitter(10 * time.Second); j < 0 || j > 10*time.Second {
			t.Fatalf("uniformJitter(10s) = %s", j)
		}
	}
	if j := uniformJitter(0); j != 0 {
		t.Errorf("uniformJitter(0) = %s", j)
	}
}

func TestSchedulerShutdownWaitsThenCancels(t *testing.T) {
	clock := newFakeClock()
	runs := newFakeRuns()
	s := &Scheduler{Every: time.Minute, Shutdown: 7 * time.Second, Clock: clock, Run: runs.run,
		Jitter: func(time.Duration) time.Duration { return 0 }}
	stop, cancel := context.WithCancel(context.Background())
	loopDone := make(chan struct{})
	go func() { s.Loop(stop); close(loopDone) }()
	runs.wait(t, 1)
	clock.next(t)
	cancel()
	tm := clock.next(t) // the shutdown grace
	if tm.d != 7*time.Second {
		t.Fatalf("shutdown grace %s, want 7s", tm.d)
	}
	select {
	case <-loopDone:
		t.Fatal("Loop returned before the run in flight ended")
	default:
	}
	clock.fire(tm)
	<-loopDone
	if len(runs.causes) != 1 || !errors.Is(runs.causes[0], executor.ErrInterrupted) {
		t.Errorf("run cancelled with %v, want ErrInterrupted", runs.causes)
	}
}

func TestSchedulerShutdownRunFinishesInTime(t *testing.T) {
	clock := newFakeClock()
	runs := newFakeRuns()
	s := &Scheduler{Every: time.Minute, Shutdown: 7 * time.Second, Clock: clock, Run: runs.run}
	stop, cancel := context.WithCancel(context.Background())
	loopDone := make(chan struct{})
	go func() { s.Loop(stop); close(loopDone) }()
	runs.wait(t, 1)
	clock.next(t)
	cancel()
	clock.next(t)              // the grace timer, never fired
	runs.release <- struct{}{} // the run finishes within it
	<-loopDone
	if len(runs.causes) != 0 {
		t.Errorf("run cancelled (%v) although it finished in time", runs.causes)
	}
}
