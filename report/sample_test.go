package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/executor"
)

// A long sample's progress: on a terminal one line redrawn in place and
// cleared before the next line; off a terminal a line every
// ProgressInterval, however often the executor reports; in JSON likewise.
func TestSampleProgress(t *testing.T) {
	inv := &executor.InvocationInfo{Addr: "invocation.canary", Function: "function.f", Provider: "provider.http"}
	progress := func(sec int) executor.Event {
		return executor.Event{Type: executor.EventProgress, Invocation: inv, Sample: &executor.SampleInfo{
			Planned: 100, Done: sec * 4, Failed: 1, Elapsed: time.Duration(sec) * time.Second,
		}}
	}
	send := func(o interface{ Event(executor.Event) }) {
		o.Event(executor.Event{Type: executor.EventStart, Invocation: inv})
		for sec := 1; sec <= 25; sec++ {
			o.Event(progress(sec))
		}
		o.Event(executor.Event{Type: executor.EventResult, Invocation: inv, Result: &executor.ResultInfo{Status: executor.StatusPass, Attempts: 100}})
	}
	for _, c := range []struct {
		name  string
		live  bool
		check func(t *testing.T, out string)
	}{
		{"terminal", true, func(t *testing.T, out string) {
			if n := strings.Count(out, "\r"); n != 26 { // 25 redraws and one clear
				t.Errorf("%d carriage returns, want 26:\n%q", n, out)
			}
			if !strings.Contains(out, "sampling: 100 of 100 calls, 4.0/s, 1 failed, 0 errored, 25s elapsed\x1b[K\r\x1b[Kinvocation.canary: pass") {
				t.Errorf("the live line is not cleared before the result line:\n%q", out)
			}
		}},
		{"not a terminal", false, func(t *testing.T, out string) {
			lines := strings.Split(strings.TrimSpace(out), "\n")
			var got []string
			for _, l := range lines {
				if strings.Contains(l, "sampling:") {
					got = append(got, l)
				}
			}
			want := []string{
				"invocation.canary: sampling: 40 of 100 calls, 4.0/s, 1 failed, 0 errored, 10s elapsed",
				"invocation.canary: sampling: 80 of 100 calls, 4.0/s, 1 failed, 0 errored, 20s elapsed",
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") || strings.Contains(out, "\r") {
				t.Errorf("progress lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			send(NewHuman(&buf, Options{Live: c.live}))
			c.check(t, buf.String())
		})
	}
	t.Run("json", func(t *testing.T) {
		var buf bytes.Buffer
		send(NewJSON(&buf, Options{}))
		if n := strings.Count(buf.String(), `"type":"sample_progress"`); n != 2 {
			t.Errorf("%d sample_progress events for 25 s, want 2:\n%s", n, buf.String())
		}
	})
}
