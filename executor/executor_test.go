package executor_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/executor"
	"github.com/fnprobe/fnprobe/planner"
	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/report"
	"github.com/fnprobe/fnprobe/spec"
)

// testDriver is a provider whose functions are Go closures keyed by the
// function's name attribute. It is the harness for the executor's own
// behaviour: scheduling, retries, timeouts and cancellation. Drivers are
// tested over real HTTP in their own packages and end to end in cli.
type testDriver struct {
	mu    sync.Mutex
	funcs map[string]func(ctx context.Context, req *providers.Request) (*providers.Result, error)
}

func (d *testDriver) Schema() providers.Schema {
	return providers.Schema{
		Provider: hcldec.ObjectSpec{},
		Function: hcldec.ObjectSpec{"name": &hcldec.AttrSpec{Name: "name", Type: cty.String, Required: true}},
		Types:    []string{providers.TypeSync, providers.TypeAsync},
	}
}

func (d *testDriver) Invoke(ctx context.Context, req *providers.Request) (*providers.Result, error) {
	name := providers.String(req.Function, "name")
	d.mu.Lock()
	f := d.funcs[name]
	d.mu.Unlock()
	if f == nil {
		return nil, fmt.Errorf("no test function %q", name)
	}
	return f(ctx, req)
}

func ok(body string) (*providers.Result, error) {
	return &providers.Result{Status: 200, Body: []byte(body)}, nil
}

// recorder collects events.
type recorder struct {
	mu     sync.Mutex
	events []executor.Event
}

func (r *recorder) Event(e executor.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) results() map[string]*executor.ResultInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]*executor.ResultInfo{}
	for _, e := range r.events {
		if e.Type == executor.EventResult {
			out[e.Invocation.Addr] = e.Result
		}
	}
	return out
}

func (r *recorder) attempts(addr string) []*executor.AttemptInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*executor.AttemptInfo
	for _, e := range r.events {
		if e.Type == executor.EventAttempt && e.Invocation.Addr == addr {
			out = append(out, e.Attempt)
		}
	}
	return out
}

// plan writes src, after a provider "test" block, as a suite and plans it
// against drv.
func plan(t testing.TB, drv *testDriver, src string) *planner.Plan {
	t.Helper()
	return planWithProvider(t, drv, t.TempDir(), "provider \"test\" {}\n"+src)
}

// planWithProvider writes src (which declares its provider "test") as a
// suite in dir and plans it against drv.
func planWithProvider(t testing.TB, drv *testDriver, dir, src string) *planner.Plan {
	t.Helper()
	file := filepath.Join(dir, "main.probe.hcl")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	reg := providers.Registry{"test": drv}
	parser := spec.NewParser()
	cfg, diags := spec.Load(parser, dir, spec.LoadOptions{Registry: reg, Getenv: func(string) string { return "" }})
	if diags.HasErrors() {
		t.Fatalf("load: %s", diags.Error())
	}
	vals, diags := cfg.VariableValues(parser, spec.VarOptions{})
	if diags.HasErrors() {
		t.Fatalf("variables: %s", diags.Error())
	}
	p, diags := planner.Build(cfg, planner.Options{Registry: reg, Vars: vals})
	if diags.HasErrors() {
		t.Fatalf("plan: %s", diags.Error())
	}
	return p
}

func run(t *testing.T, ctx context.Context, p *planner.Plan, opts executor.Options) (*executor.Summary, *recorder) {
	t.Helper()
	rec := &recorder{}
	opts.Observer = rec
	if opts.Sleep == nil {
		opts.Sleep = func(ctx context.Context, d time.Duration) error { return ctx.Err() }
	}
	done := make(chan struct{})
	var s *executor.Summary
	var err error
	go func() {
		defer close(done)
		s, err = executor.Run(ctx, p, opts)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		// A give-up, not a timing: a deadlocked run never finishes, while
		// a 6 MB body under -race on a loaded 2-core machine can take 10 s.
		t.Fatal("the run did not finish: a scheduling deadlock")
	}
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return s, rec
}

func fn(name string) string {
	return fmt.Sprintf("function %q {\n  provider = provider.test\n  name = %q\n}\n", name, name)
}

func wantStatus(t *testing.T, res map[string]*executor.ResultInfo, want map[string]string) {
	t.Helper()
	for addr, st := range want {
		r, ok := res[addr]
		if !ok {
			t.Errorf("%s: no result", addr)
			continue
		}
		got := r.Status.String()
		if r.Reason != "" {
			got += ": " + r.Reason
		}
		if !strings.HasPrefix(got, st) {
			t.Errorf("%s: got %q, want prefix %q", addr, got, st)
		}
	}
	if len(res) != len(want) {
		t.Errorf("got %d results, want %d", len(res), len(want))
	}
}

// A diamond a → (b, c) → d: b and c run at the same time (each waits until
// the other has started), d runs after both and reads both results.
func TestDiamond(t *testing.T) {
	var bStarted, cStarted = make(chan struct{}), make(chan struct{})
	drv := &testDriver{funcs: map[string]func(context.Context, *providers.Request) (*providers.Result, error){
		"a": func(context.Context, *providers.Request) (*providers.Result, error) { return ok(`{"v":1}`) },
		"b": func(ctx context.Context, req *providers.Request) (*providers.Result, error) {
			close(bStarted)
			<-cStarted
			return ok(`{"v":2}`)
		},
		"c": func(ctx context.Context, req *providers.Request) (*providers.Result, error) {
			close(cStarted)
			<-bStarted
			return ok(`{"v":3}`)
		},
		"d": func(ctx context.Context, req *providers.Request) (*providers.Result, error) {
			return ok(string(req.Payload))
		},
	}}
	p := plan(t, drv, fn("a")+fn("b")+fn("c")+fn("d")+`
invocation "a" { function = function.a }
invocation "b" {
  function = function.b
  payload  = invocation.a.json
}
invocation "c" {
  function = function.c
  payload  = invocation.a.json
}
invocation "d" {
  function = function.d
  payload  = { sum = invocation.b.json.v + invocation.c.json.v }
  expect { json = { sum = 5 } }
}
`)
	s, rec := run(t, context.Background(), p, executor.Options{Parallelism: 4})
	wantStatus(t, rec.results(), map[string]string{
		"invocation.a": "pass", "invocation.b": "pass", "invocation.c": "pass", "invocation.d": "pass",
	})
	if s.ExitCode != executor.ExitOK {
		t.Errorf("exit code %d, want 0", s.ExitCode)
	}
}

// Scheduling is dependency-driven, not wave by wave: c depends only on the
// fast b, so it must start while the slow a (same "wave" as b) is still
// running. a only returns once c has been invoked.
func TestNotWaveByWave(t *testing.T) {
	cInvoked := make(chan struct{})
	drv := &testDriver{funcs: map[string]func(context.Context, *providers.Request) (*providers.Result, error){
		"a": func(ctx context.Context, _ *providers.Request) (*providers.Result, error) {
			select {
			case <-cInvoked:
				return ok(`{}`)
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		},
		"b": func(context.Context, *providers.Request) (*providers.Result, error) { return ok(`{}`) },
		"c": func(context.Context, *providers.Request) (*providers.Result, error) {
			close(cInvoked)
			return ok(`{}`)
		},
		"d": func(context.Context, *providers.Request) (*providers.Result, error) { return ok(`{}`) },
	}}
	p := plan(t, drv, fn("a")+fn("b")+fn("c")+fn("d")+`
settings { timeout = "5s" }
invocation "a" { function = function.a }
invocation "b" { function = function.b }
invocation "c" {
  function   = function.c
  depends_on = [invocation.b]
}
invocation "d" {
  function   = function.d
  depends_on = [invocation.a, invocation.c]
}
`)
	_, rec := run(t, context.Background(), p, executor.Options{Parallelism: 2})
	wantStatus(t, rec.results(), map[string]string{
		"invocation.a": "pass", "invocation.b": "pass", "invocation.c": "pass", "invocation.d": "pass",
	})
}

// A node waiting for its dependencies holds no parallelism slot, and never
// more than Parallelism invocations are in flight.
func TestParallelismLimit(t *testing.T) {
	var inFlight, peak atomic.Int32
	slow := func(context.Context, *providers.Request) (*providers.Result, error) {
		n := inFlight.Add(1)
		for {
			old := peak.Load()
			if n <= old || peak.CompareAndSwap(old, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
		inFlight.Add(-1)
		return ok(`{}`)
	}
	drv := &testDriver{funcs: map[string]func(context.Context, *providers.Request) (*providers.Result, error){"s": slow}}
	p := plan(t, drv, fn("s")+`
invocation "many" {
  for_each = toset([for i in range(40) : tostring(i)])
  function = function.s
}
invocation "after" {
  function   = function.s
  depends_on = [invocation.many]
}
`)
	s, rec := run(t, context.Background(), p, executor.Options{Parallelism: 3})
	if got := peak.Load(); got > 3 || got < 2 {
		t.Errorf("peak concurrency %d, want 2..3", got)
	}
	if s.Passed != 41 {
		t.Errorf("passed %d, want 41; results %v", s.Passed, len(rec.results()))
	}
}

// A failed dependency skips its dependents (naming only the first failure);
// independent invocations still run.
func TestFailedDependency(t *testing.T) {
	drv := &testDriver{funcs: map[string]func(context.Context, *providers.Request) (*providers.Result, error){
		"ok": func(context.Context, *providers.Request) (*providers.Result, error) { return ok(`{"status":"fine"}`) },
		"down": func(context.Context, *providers.Request) (*providers.Result, error) {
			return nil, errors.New("connection refused")
		},
	}}
	p := plan(t, drv, fn("ok")+fn("down")+`
invocation "a" {
  function = function.ok
  expect { json = { status = "created" } }
}
invocation "b" {
  function = function.ok
  payload  = invocation.a.body
}
invocation "c" {
  function = function.ok
  payload  = invocation.b.body
}
invocation "net" { function = function.down }
invocation "after_net" {
  function   = function.ok
  depends_on = [invocation.net]
}
invocation "independent" { function = function.ok }
`)
	s, rec := run(t, context.Background(), p, executor.Options{Parallelism: 2})
	wantStatus(t, rec.results(), map[string]string{
		"invocation.a":           "fail",
		"invocation.b":           "skip: dependency invocation.a did not pass",
		"invocation.c":           "skip: dependency invocation.b was skipped",
		"invocation.net":         "error: could not invoke: connection refused",
		"invocation.after_net":   "skip: dependency invocation.net did not pass",
		"invocation.independent": "pass",
	})
	if s.ExitCode != executor.ExitFailed {
		t.Errorf("exit code %d, want 1 (an assertion failed)", s.ExitCode)
	}
	if s.Failed != 1 || s.Errored != 1 || s.Skipped != 3 || s.Passed != 1 {
		t.Errorf("summary %+v", *s)
	}
}

// With -fail-fast nothing new starts after the first failure; what runs
// finishes.
func TestFailFast(t *testing.T) {
	drv := &testDriver{funcs: map[string]func(context.Context, *providers.Request) (*providers.Result, error){
		"fail": func(context.Context, *providers.Request) (*providers.Result, error) {
			return &providers.Result{Status: 200, Error: true, ErrorType: "Unhandled", Body: []byte(`boom`)}, nil
		},
		"ok": func(context.Context, *providers.Request) (*providers.Result, error) { return ok(`{}`) },
	}}
	p := plan(t, drv, fn("fail")+fn("ok")+`
invocation "a_first" {
  function = function.fail
  expect { error = false }
}
invocation "b_later" { function = function.ok }
invocation "c_later" { function = function.ok }
`)
	s, rec := run(t, context.Background(), p, executor.Options{Parallelism: 1, FailFast: true})
	wantStatus(t, rec.results(), map[string]string{
		"invocation.a_first": "fail",
		"invocation.b_later": "skip: run stopped after a failure (-fail-fast)",
		"invocation.c_later": "skip: run stopped after a failure (-fail-fast)",
	})
	if s.ExitCode != executor.ExitFailed {
		t.Errorf("exit code %d, want 1", s.ExitCode)
	}
}

// A slow function is cut at its timeout, retried per policy, and recorded as
// an invocation that could not be answered: exit 3.
func TestTimeout(t *testing.T) {
	var calls atomic.Int32
	drv := &testDriver{funcs: map[string]func(context.Context, *providers.Request) (*providers.Result, error){
		"hang": func(ctx context.Context, _ *providers.Request) (*providers.Result, error) {
			calls.Add(1)
			<-ctx.Done()
			return nil, ctx.Err()
		},
	}}
	p := plan(t, drv, fn("hang")+`
invocation "slow" {
  function = function.hang
  timeout  = "30ms"
  retry { attempts = 2 }
}
`)
	start := time.Now()
	s, rec := run(t, context.Background(), p, executor.Options{})
	wantStatus(t, rec.results(), map[string]string{
		"invocation.slow": "error: could not invoke: timed out after 30ms",
	})
	if calls.Load() != 2 {
		t.Errorf("%d calls, want 2", calls.Load())
	}
	if s.ExitCode != executor.ExitUnanswered {
		t.Errorf("exit code %d, want 3", s.ExitCode)
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("took %s: the timeout was not honoured", el)
	}
	if a := rec.attempts("invocation.slow"); len(a) != 2 || a[0].Reason != "timeout" || !a[0].Retry || a[1].Retry {
		t.Errorf("attempts %+v", a)
	}
}

// retry.until re-invokes until the condition holds; a condition that never
// holds fails with a diagnostic on the condition.
func TestRetryUntil(t *testing.T) {
	var n atomic.Int32
	drv := &testDriver{funcs: map[string]func(context.Context, *providers.Request) (*providers.Result, error){
		"counter": func(context.Context, *providers.Request) (*providers.Result, error) {
			return ok(fmt.Sprintf(`{"count":%d}`, n.Add(1)))
		},
	}}
	p := plan(t, drv, fn("counter")+`
invocation "eventually" {
  function = function.counter
  retry {
    attempts = 5
    backoff  = "10ms"
    until    = self.json.count >= 3
  }
  assert {
    condition = self.attempts == 3
    error_message = "took ${self.attempts} attempts"
  }
}
invocation "never" {
  function = function.counter
  depends_on = [invocation.eventually]
  retry {
    attempts = 2
    until    = self.json.count > 100
  }
}
`)
	var waits []time.Duration
	var mu sync.Mutex
	s, rec := run(t, context.Background(), p, executor.Options{Sleep: func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		return nil
	}})
	res := rec.results()
	wantStatus(t, res, map[string]string{"invocation.eventually": "pass", "invocation.never": "fail"})
	if d := res["invocation.never"].Diags; len(d) != 1 || d[0].Summary != "Retry condition never held" {
		t.Errorf("never: diags %v", d)
	}
	if s.ExitCode != executor.ExitFailed {
		t.Errorf("exit code %d, want 1", s.ExitCode)
	}
	// Exponential with jitter: attempt 1 waits 5..10ms, attempt 2 10..20ms.
	if len(waits) < 2 || waits[0] < 5*time.Millisecond || waits[0] > 10*time.Millisecond || waits[1] < 10*time.Millisecond || waits[1] > 20*time.Millisecond {
		t.Errorf("waits %v", waits)
	}
}

// Throttled answers are retried, honouring Retry-After; a function error is
// an answer and is not retried.
func TestRetryThrottling(t *testing.T) {
	var throttled, failing atomic.Int32
	drv := &testDriver{funcs: map[string]func(context.Context, *providers.Request) (*providers.Result, error){
		"throttled": func(context.Context, *providers.Request) (*providers.Result, error) {
			if throttled.Add(1) < 3 {
				return &providers.Result{Status: 429, ErrorCode: "TooManyRequests", Transient: true, RetryAfter: 2 * time.Second}, nil
			}
			return ok(`{"ok":true}`)
		},
		"always_throttled": func(context.Context, *providers.Request) (*providers.Result, error) {
			return &providers.Result{Status: 503, ErrorCode: "ResourceThrottled", ErrorMessage: "slow down", Transient: true}, nil
		},
		"fails": func(context.Context, *providers.Request) (*providers.Result, error) {
			failing.Add(1)
			return &providers.Result{Status: 200, Error: true, ErrorType: "Unhandled"}, nil
		},
		"missing": func(context.Context, *providers.Request) (*providers.Result, error) {
			return &providers.Result{Status: 404, ErrorCode: "FunctionNotFound", ErrorMessage: "no such function"}, nil
		},
		"failed_via_api": func(context.Context, *providers.Request) (*providers.Result, error) {
			return &providers.Result{Status: 500, Error: true, ErrorCode: "FUNCTION_INVOCATION_FAILED"}, nil
		},
	}}
	p := plan(t, drv, fn("throttled")+fn("always_throttled")+fn("fails")+fn("missing")+fn("failed_via_api")+`
settings {
  retry { attempts = 3 }
}
invocation "recovers" {
  function = function.throttled
  expect { json = { ok = true } }
}
invocation "gives_up" { function = function.always_throttled }
invocation "function_error" {
  function = function.fails
  expect { error = true }
}
invocation "not_found" { function = function.missing }
invocation "function_failed_via_api" {
  function = function.failed_via_api
  expect { error = false }
}
invocation "expects_404" {
  function = function.missing
  expect {
    status     = 404
    error_code = "FunctionNotFound"
  }
}
`)
	var waits []time.Duration
	var mu sync.Mutex
	s, rec := run(t, context.Background(), p, executor.Options{Parallelism: 1, Sleep: func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		return nil
	}})
	wantStatus(t, rec.results(), map[string]string{
		"invocation.recovers":       "pass",
		"invocation.gives_up":       "error: the service answered HTTP 503 ResourceThrottled: slow down",
		"invocation.function_error": "pass",
		"invocation.not_found":      "error: the service answered HTTP 404 FunctionNotFound: no such function",
		"invocation.expects_404":    "pass",
		// A function failure is an answer: its check fails (exit 1), it is
		// not "unanswered" (exit 3).
		"invocation.function_failed_via_api": "fail",
	})
	if failing.Load() != 1 {
		t.Errorf("function error invoked %d times, want 1 (not retried)", failing.Load())
	}
	honoured := 0
	for _, w := range waits {
		if w == 2*time.Second {
			honoured++
		}
	}
	if honoured != 2 || len(waits) != 4 {
		t.Errorf("waits %v: want two Retry-After waits of 2s (recovers) and two backoffs (gives_up)", waits)
	}
	if s.ExitCode != executor.ExitFailed {
		t.Errorf("exit code %d, want 1 (a failed check beats unanswered)", s.ExitCode)
	}
}

// Cancelling the run (Ctrl-C) cuts in-flight calls, skips the rest, still
// reports every instance and exits 130.
func TestInterrupt(t *testing.T) {
	started := make(chan struct{})
	drv := &testDriver{funcs: map[string]func(context.Context, *providers.Request) (*providers.Result, error){
		"hang": func(ctx context.Context, _ *providers.Request) (*providers.Result, error) {
			close(started)
			<-ctx.Done()
			return nil, ctx.Err()
		},
		"ok": func(context.Context, *providers.Request) (*providers.Result, error) { return ok(`{}`) },
	}}
	p := plan(t, drv, fn("hang")+fn("ok")+`
invocation "inflight" { function = function.hang }
invocation "waiting" {
  function   = function.ok
  depends_on = [invocation.inflight]
}
`)
	ctx, cancel := context.WithCancelCause(context.Background())
	go func() {
		<-started
		cancel(executor.ErrInterrupted)
	}()
	s, rec := run(t, ctx, p, executor.Options{})
	wantStatus(t, rec.results(), map[string]string{
		"invocation.inflight": "error: run interrupted while invoking",
		"invocation.waiting":  "skip: dependency invocation.inflight did not pass",
	})
	if s.ExitCode != executor.ExitInterrupted || !s.Interrupted {
		t.Errorf("exit code %d interrupted %v, want 130", s.ExitCode, s.Interrupted)
	}
	var sawSummary bool
	for _, e := range rec.events {
		sawSummary = sawSummary || e.Type == executor.EventSummary
	}
	if !sawSummary {
		t.Error("no summary event after an interrupt")
	}
}

// Assertions: expect checks and assert blocks, warn severity, sensitive
// messages.
func TestAssertions(t *testing.T) {
	drv := &testDriver{funcs: map[string]func(context.Context, *providers.Request) (*providers.Result, error){
		"order": func(context.Context, *providers.Request) (*providers.Result, error) {
			return &providers.Result{Status: 200, Body: []byte(`{"id":"o-1","qty":2,"items":[{"sku":"A1"}]}`), Log: "order stored\n"}, nil
		},
	}}
	p := plan(t, drv, fn("order")+`
variable "token" {
  type      = string
  default   = "s3cr3t-token"
  sensitive = true
}
invocation "good" {
  function = function.order
  logs     = true
  expect {
    status       = [200, 201]
    error        = false
    json         = { qty = 2, items = [{ sku = "A1" }] }
    body_matches = "\"id\":\"o-[0-9]+\""
    log_contains = "stored"
    max_duration = "10s"
  }
  assert {
    condition     = self.json.qty > 10
    error_message = "qty is small"
    severity      = "warn"
  }
}
invocation "bad" {
  function = function.order
  expect {
    json = { qty = 3, items = [{ sku = "B2" }] }
  }
  assert {
    condition     = self.json.qty == 3
    error_message = "expected 3 with ${var.token}"
  }
}
`)
	s, rec := run(t, context.Background(), p, executor.Options{})
	res := rec.results()
	wantStatus(t, res, map[string]string{"invocation.good": "pass", "invocation.bad": "fail"})
	if s.Warnings != 1 {
		t.Errorf("warnings %d, want 1", s.Warnings)
	}
	bad := res["invocation.bad"].Diags
	if len(bad) != 2 {
		t.Fatalf("bad: %d diags: %v", len(bad), bad)
	}
	if bad[0].Summary != "JSON body does not match" || !strings.Contains(bad[0].Detail, "json.items[0].sku: expected \"B2\", got \"A1\"") {
		t.Errorf("json diag: %s / %s", bad[0].Summary, bad[0].Detail)
	}
	if bad[1].Summary != "Assertion failed" || strings.Contains(bad[1].Detail, "s3cr3t") || !strings.Contains(bad[1].Detail, "sensitive") {
		t.Errorf("assert diag: %s / %s", bad[1].Summary, bad[1].Detail)
	}
	if bad[1].Expression == nil || bad[1].EvalContext == nil {
		t.Error("assert diag carries no expression and context: values cannot be rendered")
	}
}

// The body is decoded once into the json attribute: objects, arrays, exact
// numbers, null, and non-JSON bodies as null.
func TestJSONDecoding(t *testing.T) {
	bodies := map[string]string{
		"object": `{"a":{"b":[1,2.5,"x",true,null]},"big":12345678901234567890}`,
		"text":   `hello`,
		"broken": `{"a":`,
		"two":    `{} {}`,
		"empty":  ``,
		"scalar": ` 42 `,
	}
	drv := &testDriver{funcs: map[string]func(context.Context, *providers.Request) (*providers.Result, error){}}
	for name, body := range bodies {
		drv.funcs[name] = func(context.Context, *providers.Request) (*providers.Result, error) { return ok(body) }
	}
	p := plan(t, drv, fn("object")+fn("text")+fn("broken")+fn("empty")+fn("scalar")+fn("two")+`
invocation "two" {
  function = function.two
  assert {
    condition     = self.json == null
    error_message = "two values are not one JSON document"
  }
}
invocation "object" {
  function = function.object
  assert {
    condition     = self.json.a.b[1] == 2.5 && self.json.a.b[2] == "x" && self.json.a.b[4] == null && self.json.big == 12345678901234567890
    error_message = "decoded wrong"
  }
}
invocation "text" {
  function = function.text
  assert {
    condition     = self.json == null && self.body == "hello"
    error_message = "text is not JSON"
  }
}
invocation "broken" {
  function = function.broken
  assert {
    condition     = self.json == null
    error_message = "broken JSON is not JSON"
  }
}
invocation "empty" {
  function = function.empty
  assert {
    condition     = self.json == null
    error_message = "empty is not JSON"
  }
}
invocation "scalar" {
  function = function.scalar
  assert {
    condition     = self.json == 42
    error_message = "a scalar is JSON"
  }
}
`)
	_, rec := run(t, context.Background(), p, executor.Options{})
	for addr, r := range rec.results() {
		if r.Status != executor.StatusPass {
			t.Errorf("%s: %s %v", addr, r.Status, r.Diags)
		}
	}
}

// An attempt whose until condition does not hold, followed by a final
// attempt that is throttled: the outcome is the last answer's, not a mix of
// the two (the until verdict of attempt 1 must not leak).
func TestRetryUntilThenThrottled(t *testing.T) {
	var n atomic.Int32
	drv := &testDriver{funcs: map[string]func(context.Context, *providers.Request) (*providers.Result, error){
		"f": func(context.Context, *providers.Request) (*providers.Result, error) {
			if n.Add(1) == 1 {
				return ok(`{"ready":false}`)
			}
			return &providers.Result{Status: 429, ErrorCode: "Throttled", Transient: true}, nil
		},
	}}
	p := plan(t, drv, fn("f")+`
invocation "owns_status" {
  function = function.f
  retry {
    attempts = 2
    until    = self.json.ready
  }
  expect { status = 200 }
}
`)
	_, rec := run(t, context.Background(), p, executor.Options{})
	res := rec.results()["invocation.owns_status"]
	if res.Status != executor.StatusFail || len(res.Diags) != 1 || res.Diags[0].Summary != "Unexpected status" {
		t.Fatalf("got %s %v, want one Unexpected status failure about the throttled answer", res.Status, res.Diags)
	}
	if !strings.Contains(res.Diags[0].Detail, "got 429") {
		t.Errorf("detail %q", res.Diags[0].Detail)
	}
}

// A warn-severity assert whose condition cannot be evaluated is a failed
// check with severity error (README, assert): the invocation fails, it does
// not pass with an error diagnostic attached.
func TestWarnAssertionThatCannotBeEvaluated(t *testing.T) {
	drv := &testDriver{funcs: map[string]func(context.Context, *providers.Request) (*providers.Result, error){
		"f": func(context.Context, *providers.Request) (*providers.Result, error) { return ok(`{"qty":2}`) },
	}}
	p := plan(t, drv, fn("f")+`
invocation "broken_warn" {
  function = function.f
  assert {
    condition     = self.json.missing.x < 3
    error_message = "slow"
    severity      = "warn"
  }
}
invocation "not_bool_warn" {
  function = function.f
  assert {
    condition = self.json
    severity  = "warn"
  }
}
invocation "false_warn" {
  function = function.f
  assert {
    condition = self.json.qty > 10
    severity  = "warn"
  }
}
`)
	s, rec := run(t, context.Background(), p, executor.Options{})
	wantStatus(t, rec.results(), map[string]string{
		"invocation.broken_warn":   "fail",
		"invocation.not_bool_warn": "fail",
		"invocation.false_warn":    "pass",
	})
	if s.ExitCode != executor.ExitFailed {
		t.Errorf("exit code %d, want 1", s.ExitCode)
	}
	for _, e := range rec.events {
		if e.Type == executor.EventAssertion && e.Invocation.Addr != "invocation.false_warn" && e.Assertion.Severity != "error" {
			t.Errorf("%s: assertion event severity %q, want error", e.Invocation.Addr, e.Assertion.Severity)
		}
	}
}

// Expected values that are null, fractional or hold null elements are
// invalid checks (exit 1), never a pass and never a crash. (Those known
// before the run are refused by the planner, exit 2: these read self, so
// that the executor's own check is what is tested.)
func TestInvalidExpectedValues(t *testing.T) {
	drv := &testDriver{funcs: map[string]func(context.Context, *providers.Request) (*providers.Result, error){
		"f": func(context.Context, *providers.Request) (*providers.Result, error) {
			return &providers.Result{Status: 200, Body: []byte(`{}`), Log: "order stored\n"}, nil
		},
	}}
	p := plan(t, drv, fn("f")+`
invocation "status_fraction" {
  function = function.f
  expect { status = 200.5 }
}
invocation "status_fraction_in_list" {
  function = function.f
  expect { status = [201, 200.5] }
}
invocation "status_null" {
  function = function.f
  expect { status = self.status > 0 ? tonumber(null) : 0 }
}
invocation "status_null_list" {
  function = function.f
  expect { status = self.status > 0 ? tolist(null) : [0] }
}
invocation "log_null_element" {
  function = function.f
  logs     = true
  expect { log_contains = self.status > 0 ? ["order", null] : [] }
}
`)
	s, rec := run(t, context.Background(), p, executor.Options{})
	wantStatus(t, rec.results(), map[string]string{
		"invocation.status_fraction":         "fail",
		"invocation.status_fraction_in_list": "fail",
		"invocation.status_null":             "fail",
		"invocation.status_null_list":        "fail",
		"invocation.log_null_element":        "fail",
	})
	if s.ExitCode != executor.ExitFailed {
		t.Errorf("exit code %d, want 1", s.ExitCode)
	}
}

// A body that is the JSON document null is JSON: expect { json = null }
// matches it, and any other expectation reports the difference.
func TestJSONNullBody(t *testing.T) {
	drv := &testDriver{funcs: map[string]func(context.Context, *providers.Request) (*providers.Result, error){
		"null": func(context.Context, *providers.Request) (*providers.Result, error) { return ok(" null\n") },
		"text": func(context.Context, *providers.Request) (*providers.Result, error) { return ok(`nul`) },
	}}
	p := plan(t, drv, fn("null")+fn("text")+`
invocation "null_body" {
  function = function.null
  expect { json = null }
}
invocation "null_body_object" {
  function = function.null
  expect { json = {} }
}
invocation "text_body" {
  function = function.text
  expect { json = null }
}
`)
	_, rec := run(t, context.Background(), p, executor.Options{})
	res := rec.results()
	wantStatus(t, res, map[string]string{
		"invocation.null_body":        "pass",
		"invocation.null_body_object": "fail",
		"invocation.text_body":        "fail",
	})
	if d := res["invocation.null_body_object"].Diags; len(d) != 1 || d[0].Summary != "JSON body does not match" {
		t.Errorf("null_body_object: %v", d)
	}
	if d := res["invocation.text_body"].Diags; len(d) != 1 || d[0].Summary != "Body is not JSON" {
		t.Errorf("text_body: %v", d)
	}
}

// When -timeout ends the run between invocations, what it skipped was not
// checked: the run exits 3, as when a call is cut short in flight, not 0.
func TestRunTimeoutBetweenInvocations(t *testing.T) {
	drv := &testDriver{funcs: map[string]func(context.Context, *providers.Request) (*providers.Result, error){
		"ok": func(context.Context, *providers.Request) (*providers.Result, error) { return ok(`{}`) },
	}}
	p := plan(t, drv, fn("ok")+`
invocation "first" { function = function.ok }
invocation "second" {
  function   = function.ok
  depends_on = [invocation.first]
}
`)
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	rec := &recorder{}
	// The deadline passes the moment the first invocation has finished,
	// before the second starts.
	obs := executor.ObserverFunc(func(e executor.Event) {
		rec.Event(e)
		if e.Type == executor.EventResult && e.Invocation.Addr == "invocation.first" {
			cancel(executor.ErrRunTimeout)
		}
	})
	s, err := executor.Run(ctx, p, executor.Options{Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, rec.results(), map[string]string{
		"invocation.first":  "pass",
		"invocation.second": "skip: run timed out (-timeout)",
	})
	if s.ExitCode != executor.ExitUnanswered {
		t.Errorf("exit code %d, want 3", s.ExitCode)
	}
}

// A few bytes of JSON can hold a number whose exact decimal form has
// hundreds of millions of digits (1e100000000): printing it in a report or
// a message would stall the run for hours. Beyond any meaningful magnitude
// a number is read as JavaScript's JSON.parse reads 1e400: infinity, or
// zero when tiny; ordinary numbers stay exact.
func TestJSONHugeNumbers(t *testing.T) {
	drv := &testDriver{funcs: map[string]func(context.Context, *providers.Request) (*providers.Result, error){
		"f": func(context.Context, *providers.Request) (*providers.Result, error) {
			return ok(`{"big":1e100000000,"neg":-1e100000000,"tiny":1e-100000000,"large":1e300,"exact":12345678901234567890.5}`)
		},
	}}
	p := plan(t, drv, fn("f")+`
invocation "huge" {
  function = function.f
  assert {
    condition = self.json.big > 1e300 && self.json.neg < -1e300 && self.json.tiny == 0
  }
  assert {
    condition = self.json.large == 1e300 && self.json.exact == 12345678901234567890.5
  }
}
`)
	_, rec := run(t, context.Background(), p, executor.Options{})
	res := rec.results()["invocation.huge"]
	if res.Status != executor.StatusPass {
		t.Fatalf("got %s %v", res.Status, res.Diags)
	}
	done := make(chan string, 1)
	go func() { done <- string(report.JSONValue(res.Value.GetAttr("json"), nil)) }()
	select {
	case got := <-done:
		for _, want := range []string{`"big":null,`, `"neg":null,`, `"tiny":0}`} {
			if !strings.Contains(got, want) {
				t.Errorf("rendered %.200s, want it to contain %s", got, want)
			}
		}
	case <-time.After(5 * time.Second):
		t.Fatal("rendering the result as JSON did not finish in 5s")
	}
}

// A function that fails fails the invocation when nothing in its expect
// block speaks of failure; saying error, error_type or status takes over.
func TestImplicitErrorCheck(t *testing.T) {
	drv := &testDriver{funcs: map[string]func(context.Context, *providers.Request) (*providers.Result, error){
		"crash": func(context.Context, *providers.Request) (*providers.Result, error) {
			return &providers.Result{Status: 200, Error: true, ErrorType: "Unhandled", Body: []byte(`{"errorMessage":"boom"}`)}, nil
		},
		"fine": func(context.Context, *providers.Request) (*providers.Result, error) { return ok(`{}`) },
	}}
	p := plan(t, drv, fn("crash")+fn("fine")+`
invocation "unchecked" { function = function.crash }
invocation "json_only" {
  function = function.crash
  expect { json = { errorMessage = "boom" } }
}
invocation "expects_error" {
  function = function.crash
  expect { error = true }
}
invocation "expects_type" {
  function = function.crash
  expect { error_type = "Unhandled" }
}
invocation "owns_status" {
  function = function.crash
  expect { status = 200 }
}
invocation "healthy" { function = function.fine }
`)
	s, rec := run(t, context.Background(), p, executor.Options{})
	res := rec.results()
	wantStatus(t, res, map[string]string{
		"invocation.unchecked":     "fail",
		"invocation.json_only":     "fail",
		"invocation.expects_error": "pass",
		"invocation.expects_type":  "pass",
		"invocation.owns_status":   "pass",
		"invocation.healthy":       "pass",
	})
	if d := res["invocation.unchecked"].Diags; len(d) != 1 || d[0].Summary != "Function failed" || !strings.Contains(d[0].Detail, "expect { error = true }") {
		t.Errorf("unchecked: %v", d)
	}
	if s.ExitCode != executor.ExitFailed {
		t.Errorf("exit %d, want 1", s.ExitCode)
	}
}

// Expected sets match a body's list in any order; lists keep their order.
func TestJSONSetsMatchInAnyOrder(t *testing.T) {
	drv := &testDriver{funcs: map[string]func(context.Context, *providers.Request) (*providers.Result, error){
		"f": func(context.Context, *providers.Request) (*providers.Result, error) { return ok(`{"tags":["b","a"]}`) },
	}}
	p := plan(t, drv, fn("f")+`
invocation "set" {
  function = function.f
  expect { json = { tags = toset(["a", "b"]) } }
}
invocation "list_order" {
  function = function.f
  expect { json = { tags = ["a", "b"] } }
}
invocation "set_missing" {
  function = function.f
  expect { json = { tags = toset(["a", "c"]) } }
}
`)
	_, rec := run(t, context.Background(), p, executor.Options{})
	wantStatus(t, rec.results(), map[string]string{
		"invocation.set":         "pass",
		"invocation.list_order":  "fail",
		"invocation.set_missing": "fail",
	})
}

// An output that cannot be evaluated is a warning: outputs are not checks.
func TestOutputErrorIsWarning(t *testing.T) {
	drv := &testDriver{funcs: map[string]func(context.Context, *providers.Request) (*providers.Result, error){
		"f": func(context.Context, *providers.Request) (*providers.Result, error) { return ok(`{"a":1}`) },
	}}
	p := plan(t, drv, fn("f")+`
invocation "a" { function = function.f }
output "missing" { value = invocation.a.json.id }
`)
	s, rec := run(t, context.Background(), p, executor.Options{})
	if s.ExitCode != executor.ExitOK {
		t.Errorf("exit %d, want 0", s.ExitCode)
	}
	var warned bool
	for _, e := range rec.events {
		for _, d := range e.Diags {
			if d.Severity != hcl.DiagWarning {
				t.Errorf("output diagnostic with severity %v: %s", d.Severity, d.Summary)
			}
			warned = warned || strings.Contains(d.Summary, `Output "missing" has no value`)
		}
	}
	if !warned {
		t.Error("no warning about the output")
	}
}

// Outputs read results directly and through locals computed from them.
func TestOutputsThroughRuntimeLocals(t *testing.T) {
	drv := &testDriver{funcs: map[string]func(context.Context, *providers.Request) (*providers.Result, error){
		"f": func(context.Context, *providers.Request) (*providers.Result, error) { return ok(`{"id":"o-7"}`) },
	}}
	p := plan(t, drv, fn("f")+`
locals {
  id    = invocation.a.json.id
  label = "order ${local.id}"
}
invocation "a" { function = function.f }
output "direct" { value = invocation.a.json.id }
output "label" { value = local.label }
`)
	_, rec := run(t, context.Background(), p, executor.Options{})
	got := map[string]string{}
	for _, e := range rec.events {
		for _, o := range e.Outputs {
			if o.Value != cty.NilVal {
				got[o.Name] = o.Value.AsString()
			}
		}
	}
	if got["direct"] != "o-7" || got["label"] != "order o-7" {
		t.Errorf("outputs %v", got)
	}
}
