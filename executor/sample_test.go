package executor_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/executor"
	"github.com/fnprobe/fnprobe/providers"
)

type invokeFunc = func(context.Context, *providers.Request) (*providers.Result, error)

// stillClock sets opts' clock to a time that never moves and its Sleep to
// record each wait and return at once; waits returns them sorted.
func stillClock(opts executor.Options) (executor.Options, func() []time.Duration) {
	var mu sync.Mutex
	var recorded []time.Duration
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	opts.Clock = func() time.Time { return now }
	opts.Sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		recorded = append(recorded, d)
		mu.Unlock()
		return ctx.Err()
	}
	return opts, func() []time.Duration {
		mu.Lock()
		defer mu.Unlock()
		out := slices.Clone(recorded)
		slices.Sort(out)
		return out
	}
}

// trackInFlight counts calls in flight in cur and keeps the most seen in
// most; the returned function ends a call.
func trackInFlight(cur, most *atomic.Int64) (n int64, done func()) {
	n = cur.Add(1)
	for {
		m := most.Load()
		if n <= m || most.CompareAndSwap(m, n) {
			break
		}
	}
	return n, func() { cur.Add(-1) }
}

// sampleOf returns the sample event of addr.
func (r *recorder) sampleOf(addr string) *executor.SampleInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.events {
		if e.Type == executor.EventSample && e.Invocation.Addr == addr {
			return e.Sample
		}
	}
	return nil
}

func statNumber(t *testing.T, st cty.Value, path ...string) float64 {
	t.Helper()
	v := st
	for _, p := range path {
		v = v.GetAttr(p)
	}
	if v.IsNull() {
		t.Fatalf("stats.%s is null", strings.Join(path, "."))
	}
	f, _ := v.AsBigFloat().Float64()
	return f
}

// Warmup + count calls are made, at most concurrency at once (and that
// many are reached); the statistics describe the counted calls only; the
// gates see them; the per-call checks ran on every call.
func TestSampleCallsConcurrencyAndStats(t *testing.T) {
	var calls, inFlight, most atomic.Int64
	reached := make(chan struct{})
	var once sync.Once
	drv := &testDriver{funcs: map[string]invokeFunc{
		"f": func(ctx context.Context, req *providers.Request) (*providers.Result, error) {
			n := calls.Add(1)
			cur, done := trackInFlight(&inFlight, &most)
			defer done()
			if cur == 4 {
				once.Do(func() { close(reached) })
			}
			if n >= 2 && n <= 5 {
				// The first call runs alone; the next four wait for each
				// other: the sample does run four at once (a give-up, not
				// a timing).
				select {
				case <-reached:
				case <-time.After(time.Minute):
				}
			}
			fd := 5.0
			version := "1"
			if n%4 == 0 {
				version = "2"
			}
			return &providers.Result{Status: 200, Body: []byte(`{"ok":true}`), Version: version, FunctionDurationMs: &fd}, nil
		},
	}}
	p := plan(t, drv, fn("f")+`
invocation "s" {
  function = function.f
  sample {
    count       = 20
    warmup      = 4
    concurrency = 4
  }
  assert {
    condition = self.json.ok
  }
  assert {
    condition = self.stats.count == 20 && self.stats.passed == 20 && self.stats.function_duration_ms.max == 5
  }
}
`)
	s, rec := run(t, context.Background(), p, executor.Options{})
	if s.ExitCode != executor.ExitOK {
		t.Fatalf("exit %d: %v", s.ExitCode, rec.results()["invocation.s"].Diags)
	}
	if got := calls.Load(); got != 24 {
		t.Errorf("%d calls, want 24", got)
	}
	if got := most.Load(); got != 4 {
		t.Errorf("at most %d calls at once, want 4", got)
	}
	si := rec.sampleOf("invocation.s")
	if si == nil {
		t.Fatal("no sample event")
	}
	if si.Done != 24 || si.Planned != 20 || si.Warmup != 4 {
		t.Errorf("sample %+v", si)
	}
	if n := statNumber(t, si.Stats, "count"); n != 20 {
		t.Errorf("stats.count %v, want 20", n)
	}
	versions := si.Stats.GetAttr("versions").AsValueMap()
	total := 0.0
	for _, v := range versions {
		f, _ := v.AsBigFloat().Float64()
		total += f
	}
	if len(versions) != 2 || total != 20 {
		t.Errorf("versions %v", versions)
	}
	if len(si.Gates) != 1 || !si.Gates[0].Passed || si.Gates[0].Name != "assert[1]" {
		t.Errorf("gates %+v", si.Gates)
	}
	if atts := rec.attempts("invocation.s"); len(atts) != 0 {
		t.Errorf("%d attempt events without SampleCalls", len(atts))
	}
	// The result's value is a call's result, with the sample's stats.
	v := rec.results()["invocation.s"].Value
	if n := statNumber(t, v.GetAttr("stats"), "count"); n != 20 {
		t.Errorf("result stats.count %v", n)
	}
}

// Without a gate over failures, one failed call fails the sample; a gate
// over error_rate takes charge, and the failed calls become a warning.
// Failed warmup calls never count.
func TestSampleFailures(t *testing.T) {
	for _, c := range []struct {
		name, gate string
		failCall   int64 // the call that answers 500
		warmup     int
		want       string
		warnings   int
	}{
		{"implicit gate", "", 7, 0, "fail", 0},
		{"error_rate gate", "self.stats.error_rate <= 0.1", 7, 0, "pass", 1},
		{"error_rate gate exceeded", "self.stats.error_rate < 0.1", 7, 0, "fail", 1},
		{"warmup failure", "", 2, 3, "pass", 1},
		{"no failure", "", 0, 0, "pass", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			var calls atomic.Int64
			drv := &testDriver{funcs: map[string]invokeFunc{
				"f": func(ctx context.Context, req *providers.Request) (*providers.Result, error) {
					if calls.Add(1) == c.failCall {
						return &providers.Result{Status: 500, Body: []byte("boom")}, nil
					}
					return ok(`{}`)
				},
			}}
			gate := ""
			if c.gate != "" {
				gate = "assert {\n    condition = " + c.gate + "\n  }"
			}
			p := plan(t, drv, fn("f")+fmt.Sprintf(`
invocation "s" {
  function = function.f
  sample {
    count  = 10
    warmup = %d
  }
  expect {
    status = 200
  }
  %s
}
`, c.warmup, gate))
			_, rec := run(t, context.Background(), p, executor.Options{})
			res := rec.results()["invocation.s"]
			if res.Status.String() != c.want {
				t.Errorf("status %s, want %s: %v", res.Status, c.want, res.Diags)
			}
			warnings := 0
			for _, d := range res.Diags {
				if d.Severity == hcl.DiagWarning {
					warnings++
				}
			}
			if warnings != c.warnings {
				t.Errorf("%d warnings, want %d: %v", warnings, c.warnings, res.Diags)
			}
		})
	}
}

// rate paces the starts: call i starts no earlier than i/rate after the
// first (the clock stands still here, so each wait is exactly that).
func TestSampleRate(t *testing.T) {
	drv := &testDriver{funcs: map[string]invokeFunc{"f": func(context.Context, *providers.Request) (*providers.Result, error) { return ok("") }}}
	p := plan(t, drv, fn("f")+`
invocation "s" {
  function = function.f
  sample {
    count = 5
    rate  = 10
  }
}
`)
	opts, waits := stillClock(executor.Options{})
	s, _ := run(t, context.Background(), p, opts)
	if s.ExitCode != 0 {
		t.Fatalf("exit %d", s.ExitCode)
	}
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond, 400 * time.Millisecond}
	if got := waits(); !slices.Equal(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
}

// With SampleCalls every call's attempts are events carrying the call's
// number.
func TestSampleCallEvents(t *testing.T) {
	drv := &testDriver{funcs: map[string]invokeFunc{"f": func(context.Context, *providers.Request) (*providers.Result, error) { return ok("") }}}
	p := plan(t, drv, fn("f")+`
invocation "s" {
  function = function.f
  sample {
    count       = 6
    concurrency = 3
  }
}
`)
	_, rec := run(t, context.Background(), p, executor.Options{SampleCalls: true})
	var calls []int
	rec.mu.Lock()
	for _, e := range rec.events {
		if e.Type == executor.EventAttempt {
			calls = append(calls, e.Call)
		}
	}
	rec.mu.Unlock()
	slices.Sort(calls)
	if !slices.Equal(calls, []int{1, 2, 3, 4, 5, 6}) {
		t.Errorf("attempt events of calls %v", calls)
	}
}

// A sample cut short by the run's end is an error naming how far it got;
// one whose every call went unanswered is the first call's error.
func TestSampleCutShortAndUnanswered(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	var calls atomic.Int64
	drv := &testDriver{funcs: map[string]invokeFunc{
		"slow": func(ctx context.Context, req *providers.Request) (*providers.Result, error) {
			if calls.Add(1) == 1 {
				cancel(executor.ErrInterrupted)
			}
			<-ctx.Done()
			return nil, ctx.Err()
		},
		"down": func(context.Context, *providers.Request) (*providers.Result, error) {
			return nil, errors.New("connection refused")
		},
	}}
	p := plan(t, drv, fn("slow")+`
invocation "cut" {
  function = function.slow
  sample {
    count       = 100
    concurrency = 3
  }
}
`)
	_, rec := run(t, ctx, p, executor.Options{})
	res := rec.results()
	if r := res["invocation.cut"]; r.Status != executor.StatusError || !strings.Contains(r.Reason, "while sampling") {
		t.Errorf("cut: %s %q", r.Status, r.Reason)
	}
	p2 := plan(t, drv, fn("down")+`
invocation "down" {
  function = function.down
  sample {
    count = 4
  }
}
`)
	_, rec2 := run(t, context.Background(), p2, executor.Options{})
	r := rec2.results()["invocation.down"]
	if r.Status != executor.StatusError || !strings.Contains(r.Reason, "no call of the sample was answered") {
		t.Errorf("down: %s %q", r.Status, r.Reason)
	}
}

// A panic in a call of a sample is an internal error of that invocation,
// not the end of the process.
func TestSamplePanic(t *testing.T) {
	var calls atomic.Int64
	drv := &testDriver{funcs: map[string]invokeFunc{
		"f": func(context.Context, *providers.Request) (*providers.Result, error) {
			if calls.Add(1) == 3 {
				panic("driver bug")
			}
			return ok("")
		},
	}}
	p := plan(t, drv, fn("f")+`
invocation "s" {
  function = function.f
  sample {
    count       = 10
    concurrency = 2
  }
}
`)
	s, err := executor.Run(context.Background(), p, executor.Options{Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() }})
	if err == nil || !strings.Contains(err.Error(), "driver bug") {
		t.Errorf("err %v, want the panic", err)
	}
	if s == nil || s.Errored != 1 {
		t.Errorf("summary %+v", s)
	}
}

// max_concurrency on a provider bounds the attempts in flight through it,
// across invocations and the calls of a sample; rate_limit on a function
// spaces the starts of its attempts.
func TestProviderAndFunctionLimits(t *testing.T) {
	var inFlight, most atomic.Int64
	drv := &testDriver{funcs: map[string]invokeFunc{
		"f": func(ctx context.Context, req *providers.Request) (*providers.Result, error) {
			_, done := trackInFlight(&inFlight, &most)
			defer done()
			time.Sleep(time.Millisecond) // hold the slot a little, so overlaps would show
			return ok("")
		},
		"g": func(context.Context, *providers.Request) (*providers.Result, error) { return ok("") },
	}}
	src := `
function "f" {
  provider = provider.test
  name     = "f"
}

function "g" {
  provider   = provider.test
  name       = "g"
  rate_limit = 4
}

invocation "a" {
  for_each = toset(["1", "2", "3", "4", "5", "6"])
  function = function.f
}

invocation "s" {
  function = function.f
  sample {
    count       = 20
    concurrency = 10
  }
}

invocation "paced" {
  function = function.g
  sample {
    count = 4
  }
}
`
	dir := t.TempDir()
	p := planWithProvider(t, drv, dir, "provider \"test\" {\n  max_concurrency = 2\n}\n"+src)
	opts, waits := stillClock(executor.Options{Parallelism: 10})
	s, _ := run(t, context.Background(), p, opts)
	if s.ExitCode != 0 {
		t.Fatalf("exit %d", s.ExitCode)
	}
	if got := most.Load(); got > 2 {
		t.Errorf("%d attempts in flight at once through a provider with max_concurrency = 2", got)
	}
	want := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, 750 * time.Millisecond}
	if got := waits(); !slices.Equal(got, want) {
		t.Errorf("rate_limit waits %v, want %v", got, want)
	}
}

// Two interleaved samples are drawn in the same window, call by call; the
// canary's gates read the stable's statistics, and mann_whitney_p and
// percentile compare them.
func TestSampleInterleave(t *testing.T) {
	var seq atomic.Int64
	var mu sync.Mutex
	order := map[string][]int64{}
	mk := func(name string, ms float64) invokeFunc {
		return func(context.Context, *providers.Request) (*providers.Result, error) {
			if name == "canary" {
				// Slower by far more than any scheduling noise: every
				// canary round trip is above every stable one.
				time.Sleep(40 * time.Millisecond)
			}
			n := seq.Add(1)
			mu.Lock()
			order[name] = append(order[name], n)
			k := len(order[name])
			mu.Unlock()
			d := ms + float64(k%3) // a little spread, no ties across the two
			return &providers.Result{Status: 200, Body: []byte("{}"), FunctionDurationMs: &d}, nil
		}
	}
	drv := &testDriver{funcs: map[string]invokeFunc{"stable": mk("stable", 10), "canary": mk("canary", 50), "before": mk("before", 1)}}
	p := plan(t, drv, fn("stable")+fn("canary")+fn("before")+`
invocation "before" {
  function = function.before
}

invocation "stable" {
  function   = function.stable
  depends_on = [invocation.before]
  sample {
    count = 12
  }
}

invocation "canary" {
  function   = function.canary
  depends_on = [invocation.before]
  sample {
    count      = 12
    interleave = invocation.stable
  }
  assert {
    condition     = !(mann_whitney_p(self.stats.durations_ms, invocation.stable.stats.durations_ms) < 0.01 && percentile(self.stats.durations_ms, 50) > 1.1 * percentile(invocation.stable.stats.durations_ms, 50))
    error_message = "the canary is slower: function p50 ${self.stats.function_duration_ms.p50} ms against ${invocation.stable.stats.function_duration_ms.p50} ms"
  }
}
`)
	_, rec := run(t, context.Background(), p, executor.Options{})
	res := rec.results()
	if r := res["invocation.stable"]; r.Status != executor.StatusPass {
		t.Fatalf("stable: %s %v", r.Status, r.Diags)
	}
	r := res["invocation.canary"]
	if r.Status != executor.StatusFail || len(r.Diags) == 0 || !strings.Contains(r.Diags[0].Detail, "the canary is slower: function p50 51 ms against 11 ms") {
		t.Fatalf("canary: %s %v", r.Status, r.Diags)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(order["stable"]) != 12 || len(order["canary"]) != 12 {
		t.Fatalf("calls %v", order)
	}
	// Drawn together: the canary's first call comes before the stable's
	// last, and the other way round.
	if order["canary"][0] > order["stable"][11] || order["stable"][0] > order["canary"][11] {
		t.Errorf("not interleaved: stable %v, canary %v", order["stable"], order["canary"])
	}
	// One invocation_start each, the canary's before the stable's result.
	var events []string
	for _, e := range rec.events {
		if e.Type == executor.EventStart || e.Type == executor.EventResult {
			events = append(events, string(e.Type)+" "+e.Invocation.Addr)
		}
	}
	if i, j := slices.Index(events, "invocation_start invocation.canary"), slices.Index(events, "invocation_result invocation.stable"); i < 0 || j < 0 || i > j {
		t.Errorf("events %v", events)
	}
}

// An error no retry can heal (no credentials, an unknown host) stops the
// sample: its first call runs alone, so one call is made, not its
// concurrency's worth; met later, it stops the sample and errors it.
func TestSamplePermanentError(t *testing.T) {
	for _, c := range []struct {
		name       string
		failFrom   int64 // calls from this one fail permanently
		wantCalls  int64 // at most
		wantReason string
	}{
		{"first call", 1, 1, "no call of the sample was answered (1 call)"},
		{"later call", 5, 5 + 8, "the sample stopped after"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var calls atomic.Int64
			drv := &testDriver{funcs: map[string]invokeFunc{"f": func(context.Context, *providers.Request) (*providers.Result, error) {
				if calls.Add(1) >= c.failFrom {
					return nil, providers.Permanent(errors.New("no credentials"), "set them")
				}
				return ok("")
			}}}
			p := plan(t, drv, fn("f")+`
invocation "s" {
  function = function.f
  sample {
    count       = 100
    concurrency = 8
  }
  assert {
    condition = self.stats.error_rate < 0.5
  }
}
`)
			_, rec := run(t, context.Background(), p, executor.Options{})
			r := rec.results()["invocation.s"]
			if r.Status != executor.StatusError || !strings.Contains(r.Reason, c.wantReason) {
				t.Errorf("%s %q, want error %q", r.Status, r.Reason, c.wantReason)
			}
			if n := calls.Load(); n > c.wantCalls {
				t.Errorf("%d calls, want at most %d", n, c.wantCalls)
			}
		})
	}
}

// With LeanResults, a result that no expression reads is not built whole,
// but its checks still see self.json; a result that a dependent, an output
// or its own assert reads is whole.
func TestLeanResults(t *testing.T) {
	drv := &testDriver{funcs: map[string]invokeFunc{"f": func(context.Context, *providers.Request) (*providers.Result, error) {
		return ok(`{"status":"ok","id":7}`)
	}}}
	p := plan(t, drv, fn("f")+`
invocation "unread" {
  function = function.f
  expect {
    json = { status = "ok" }
  }
}

invocation "read" {
  function = function.f
}

invocation "self_read" {
  function = function.f
  assert {
    condition = self.status == 200
  }
}

invocation "dependent" {
  function = function.f
  payload  = { id = invocation.read.json.id }
}

output "id" {
  value = invocation.read.json.id
}
`)
	s, rec := run(t, context.Background(), p, executor.Options{LeanResults: true})
	if s.ExitCode != 0 {
		t.Fatalf("exit %d: %v", s.ExitCode, rec.results())
	}
	res := rec.results()
	for addr, whole := range map[string]bool{"invocation.unread": false, "invocation.read": true, "invocation.self_read": true, "invocation.dependent": false} {
		if got := res[addr].Value.Type().HasAttribute("status"); got != whole {
			t.Errorf("%s: whole result %v, want %v", addr, got, whole)
		}
	}
}

// for_each and sample combine: each instance is sampled on its own, with
// its own statistics.
func TestSampleForEach(t *testing.T) {
	var mu sync.Mutex
	calls := map[string]int{}
	drv := &testDriver{funcs: map[string]invokeFunc{"f": func(_ context.Context, req *providers.Request) (*providers.Result, error) {
		mu.Lock()
		calls[string(req.Payload)]++
		mu.Unlock()
		return ok("{}")
	}}}
	p := plan(t, drv, fn("f")+`
invocation "s" {
  for_each = toset(["a", "b"])
  function = function.f
  payload  = each.key
  sample {
    count = 3
  }
  assert {
    condition = self.stats.count == 3
  }
}
`)
	s, rec := run(t, context.Background(), p, executor.Options{})
	if s.Passed != 2 {
		t.Fatalf("passed %d: %v", s.Passed, rec.results())
	}
	if calls["a"] != 3 || calls["b"] != 3 {
		t.Errorf("calls %v, want 3 each", calls)
	}
	for _, addr := range []string{`invocation.s["a"]`, `invocation.s["b"]`} {
		if si := rec.sampleOf(addr); si == nil || si.Done != 3 {
			t.Errorf("%s: sample %+v", addr, si)
		}
	}
}
