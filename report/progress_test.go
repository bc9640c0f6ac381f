package report

import (
	"bytes"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/executor"
)

// progressRun sends a run of n invocations, each taking step on the clock:
// every third fails, the others pass.
func progressRun(p *Progress, clock *time.Time, n int, step time.Duration) {
	p.Event(executor.Event{Type: executor.EventRunStart, Summary: &executor.Summary{Total: n}})
	for i := 0; i < n; i++ {
		inv := &executor.InvocationInfo{Addr: "invocation.a[" + string(rune('a'+i)) + "]"}
		p.Event(executor.Event{Type: executor.EventStart, Invocation: inv})
		*clock = clock.Add(step)
		status := executor.StatusPass
		if i%3 == 2 {
			status = executor.StatusFail
		}
		p.Event(executor.Event{Type: executor.EventResult, Invocation: inv, Result: &executor.ResultInfo{Status: status}})
	}
}

// On a terminal, one line redrawn with \r (at most every 100ms, and always
// when the last result comes), cleared by the summary.
func TestProgressLive(t *testing.T) {
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var buf bytes.Buffer
	p := NewProgress(&buf, true, func() time.Time { return clock })
	progressRun(p, &clock, 4, 60*time.Millisecond)
	p.Tick(clock.Add(time.Minute)) // no effect on a terminal
	p.Event(executor.Event{Type: executor.EventSummary, Summary: &executor.Summary{}})
	p.Event(executor.Event{Type: executor.EventStart, Invocation: &executor.InvocationInfo{Addr: "late"}})
	want := "\r[0/4] 0 passed, 0 failed, 0 errored · 1 running\x1b[K" +
		"\r[2/4] 2 passed, 0 failed, 0 errored · 0 running\x1b[K" +
		"\r[4/4] 3 passed, 1 failed, 0 errored · 0 running\x1b[K" +
		"\r\x1b[K"
	if got := buf.String(); got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

// Off a terminal, nothing but a line per Tick, in Terraform's manner.
func TestProgressTicks(t *testing.T) {
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	start := clock
	var buf bytes.Buffer
	p := NewProgress(&buf, false, func() time.Time { return clock })
	p.Tick(start) // before the run starts: nothing
	p.Event(executor.Event{Type: executor.EventRunStart, Summary: &executor.Summary{Total: 30}})
	inv := &executor.InvocationInfo{Addr: "invocation.x"}
	p.Event(executor.Event{Type: executor.EventStart, Invocation: inv})
	p.Event(executor.Event{Type: executor.EventResult, Invocation: inv, Result: &executor.ResultInfo{Status: executor.StatusError}})
	p.Event(executor.Event{Type: executor.EventResult, Invocation: &executor.InvocationInfo{Addr: "invocation.y"}, Result: &executor.ResultInfo{Status: executor.StatusSkip}})
	p.Event(executor.Event{Type: executor.EventStart, Invocation: &executor.InvocationInfo{Addr: "invocation.z"}})
	p.Tick(start.Add(10 * time.Second))
	p.Tick(start.Add(20*time.Second + 300*time.Millisecond))
	p.Event(executor.Event{Type: executor.EventSummary, Summary: &executor.Summary{}})
	p.Tick(start.Add(30 * time.Second)) // after the summary: nothing
	want := "Still running... [10s elapsed] 2/30 done: 0 passed, 0 failed, 1 errored, 1 skipped; 1 running\n" +
		"Still running... [20s elapsed] 2/30 done: 0 passed, 0 failed, 1 errored, 1 skipped; 1 running\n"
	if got := buf.String(); got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}
