// Package executor runs a plan: each invocation instance starts as soon as
// its own dependencies have finished, up to a parallelism limit; attempts are
// bounded by timeouts and retried per policy; results become cty values that
// later expressions read; expect and assert blocks are checked as results
// arrive; everything that happens is reported as events to an Observer.
package executor

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/planner"
	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/spec"
)

// Exit codes, the contract gates rely on (DESIGN §2).
const (
	ExitOK          = 0   // every error-severity assertion held
	ExitFailed      = 1   // an assertion failed
	ExitConfig      = 2   // configuration or command line invalid; nothing invoked
	ExitUnanswered  = 3   // no assertion failed, but an invocation could not be made or answered
	ExitInternal    = 4   // internal error: a bug in fnprobe (a recovered panic)
	ExitInterrupted = 130 // interrupted
)

// exitRank orders the exit codes by precedence when several apply: 130
// (interrupted) beats 4 (internal error), which beats 1 (a check failed),
// which beats 2 (invalid configuration: nothing was invoked), which beats 3
// (something could not be invoked, answered or written), which beats 0. A
// code not listed ranks just below 130 (unknownRank).
var exitRank = map[int]int{
	ExitOK:          0,
	ExitUnanswered:  1,
	ExitConfig:      2,
	ExitFailed:      3,
	ExitInternal:    4,
	ExitInterrupted: 6,
}

// unknownRank is the rank of an exit code exitRank does not list: just
// below ExitInterrupted.
const unknownRank = 5

// WorstExit returns the code among codes that wins by precedence
// (docs/cli.md); ExitOK when there is none. Of codes of equal rank the
// first wins.
func WorstExit(codes ...int) int {
	rank := func(c int) int {
		if r, ok := exitRank[c]; ok {
			return r
		}
		return unknownRank
	}
	w := ExitOK
	for _, c := range codes {
		if rank(c) > rank(w) {
			w = c
		}
	}
	return w
}

// Causes a caller can give the run context's cancellation, so the executor
// can tell the user why calls were cut short.
var (
	// ErrInterrupted: the user pressed Ctrl-C. The run exits 130.
	ErrInterrupted = errors.New("interrupted")
	// ErrRunTimeout: the whole run exceeded -timeout.
	ErrRunTimeout = errors.New("the run exceeded its -timeout")
)

// Defaults used when neither the invocation nor the settings say.
const (
	DefaultParallelism = 10
	DefaultAttempts    = 1
	DefaultBackoff     = 200 * time.Millisecond
	maxBackoff         = 30 * time.Second
	maxRetryAfter      = 5 * time.Minute
)

// Options configure a run.
type Options struct {
	Parallelism int  // 0: settings, else DefaultParallelism
	FailFast    bool // after the first failure start nothing new
	// AllowEmpty lets a run in which nothing was invoked (every selected
	// invocation disabled) exit 0; otherwise it exits 2: a gate that
	// checked nothing must not pass.
	AllowEmpty bool
	Observer   Observer // receives every event; may be nil
	// Trace records each attempt's requests and answers in its attempt
	// event (AttemptInfo.Trace): run -verbose.
	Trace bool
	// LeanResults lets the executor skip building the result object of an
	// invocation that no expression reads (planner.Instance.ResultRead):
	// its ResultInfo.Value then holds only what the checks need (json).
	// For callers whose observers do not read ResultInfo.Value (the human
	// view, JUnit); the JSON reports and watch need it whole.
	LeanResults bool
	// SampleCalls emits the attempt and assertion events of every call of
	// a sample (run -sample-calls); without it a sample emits its
	// progress and its summary only.
	SampleCalls bool
	// Budget bounds the memory of the response bodies in flight across
	// all drivers; nil: a budget of providers.DefaultBudget for this run.
	Budget *providers.Budget
	Sleep  SleepFunc // waits between attempts; nil: a timer honouring ctx
	Clock  func() time.Time
	// Repro, when set, makes the repro commands of every invocation that
	// failed or errored after its request was made (ResultInfo.Repro).
	Repro ReproFunc
}

// SleepFunc waits for d or until ctx is done.
type SleepFunc func(ctx context.Context, d time.Duration) error

// Run executes the selected instances of p. ctx cancels everything at once
// (give it ErrInterrupted or ErrRunTimeout as its cause). Failures of
// invocations are results, not errors: the error is non-nil only for an
// internal fault.
func Run(ctx context.Context, p *planner.Plan, opts Options) (*Summary, error) {
	e := newExecutor(p, opts)
	return e.run(ctx)
}

type executor struct {
	plan   *planner.Plan
	opts   Options
	budget *providers.Budget
	insts  []*planner.Instance
	index  map[*planner.Instance]int
	byName map[string][]int

	status []Status
	values []cty.Value
	limits map[string]*limiter // by provider and function address; nil entries absent
	consts constants           // values of constant expressions
	bodies bodyMemo            // small bodies already decoded
	// presampled: samples drawn in an interleaved partner's node, by
	// instance index, until their own node judges them (under mu).
	presampled map[int]*presample

	stopped atomic.Bool // -fail-fast tripped
	// cutShort: an instance was skipped because the run's context ended
	// (-timeout), so it was never checked.
	cutShort atomic.Bool

	mu      sync.Mutex // serialises events and the summary
	summary Summary
}

func newExecutor(p *planner.Plan, opts Options) *executor {
	if opts.Parallelism <= 0 {
		opts.Parallelism = p.Config.Settings.Parallelism
	}
	if opts.Parallelism <= 0 {
		opts.Parallelism = DefaultParallelism
	}
	if opts.Sleep == nil {
		opts.Sleep = sleep
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Budget == nil {
		opts.Budget = providers.NewBudget(providers.DefaultBudget)
	}
	e := &executor{
		plan:   p,
		opts:   opts,
		budget: opts.Budget,
		insts:  p.Selected,
		index:  make(map[*planner.Instance]int, len(p.Selected)),
		byName: map[string][]int{},
		status: make([]Status, len(p.Selected)),
		values: make([]cty.Value, len(p.Selected)),
		limits: limiters(p),
	}
	for i, inst := range e.insts {
		e.index[inst] = i
		e.byName[inst.Name] = append(e.byName[inst.Name], i)
	}
	return e
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (e *executor) emit(ev Event) {
	if e.opts.Observer == nil {
		return
	}
	ev.Time = e.opts.Clock()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.opts.Observer.Event(ev)
}

func (e *executor) run(ctx context.Context) (*Summary, error) {
	start := e.opts.Clock()
	n := len(e.insts)
	e.emit(Event{Type: EventRunStart, Summary: &Summary{Total: n}})

	// Dependency counting: a node is launched the moment its last
	// dependency finishes. Waiting nodes hold no goroutine and no slot.
	remaining := make([]int, n)
	dependents := make([][]int, n)
	for i, inst := range e.insts {
		for _, d := range inst.Deps {
			j, ok := e.index[d]
			if !ok {
				continue // not selected: cannot happen, selection keeps dependencies
			}
			remaining[i]++
			dependents[j] = append(dependents[j], i)
		}
	}
	// A fixed pool of Parallelism workers runs the nodes that are ready:
	// long-lived goroutines keep the stacks that evaluating HCL grows, where
	// a goroutine per node would grow a fresh one every time (a quarter of
	// the executor's CPU in profiles of large runs).
	ready := make(chan int, n)
	finished := make(chan int, n)
	var (
		errMu    sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	for range min(e.opts.Parallelism, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ready {
				if err := e.runRecovered(ctx, i); err != nil {
					errMu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					errMu.Unlock()
				}
				finished <- i
			}
		}()
	}
	for i := range e.insts {
		if remaining[i] == 0 {
			ready <- i
		}
	}
	for done := 0; done < n; done++ {
		i := <-finished
		for _, d := range dependents[i] {
			remaining[d]--
			if remaining[d] == 0 {
				ready <- d
			}
		}
	}
	close(ready)
	wg.Wait()
	err := firstErr

	e.outputs()
	e.mu.Lock()
	s := e.summary
	e.mu.Unlock()
	s.Total = n
	s.Duration = e.opts.Clock().Sub(start)
	s.Interrupted = errors.Is(context.Cause(ctx), ErrInterrupted)
	switch {
	case s.Interrupted:
		s.ExitCode = ExitInterrupted
	case s.Failed > 0:
		s.ExitCode = ExitFailed
	case s.Errored > 0 || e.cutShort.Load():
		s.ExitCode = ExitUnanswered
	case s.Passed == 0 && !e.opts.AllowEmpty:
		e.emit(Event{Type: EventDiagnostic, Diags: hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Nothing was checked",
			Detail:   "Every selected invocation was skipped (enabled = false), so nothing was invoked. Use -allow-empty if an empty run is expected.",
		}}})
		s.ExitCode = ExitConfig
	default:
		s.ExitCode = ExitOK
	}
	e.emit(Event{Type: EventSummary, Summary: &s})
	return &s, err
}

// runRecovered runs node i; a panic is an internal error, recorded as
// the node's result and returned.
func (e *executor) runRecovered(ctx context.Context, i int) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error running %s: %v\n%s", e.insts[i].Addr, r, debug.Stack())
			e.finish(i, Status(StatusError), &ResultInfo{Status: StatusError, Reason: "internal error (see the run's error output)"}, nil)
		}
	}()
	e.runNode(ctx, i)
	return nil
}

// finish records an instance's outcome and reports it.
func (e *executor) finish(i int, st Status, res *ResultInfo, info *InvocationInfo) {
	e.status[i] = st
	if res.Value != cty.NilVal && st == StatusPass {
		e.values[i] = res.Value
	}
	if info == nil {
		info = e.info(e.insts[i])
	}
	e.mu.Lock()
	switch st {
	case StatusPass:
		e.summary.Passed++
	case StatusFail:
		e.summary.Failed++
	case StatusError:
		e.summary.Errored++
	case StatusSkip:
		e.summary.Skipped++
	}
	for _, d := range res.Diags {
		if d.Severity == hcl.DiagWarning {
			e.summary.Warnings++
		}
	}
	e.mu.Unlock()
	if (st == StatusFail || st == StatusError) && e.opts.FailFast {
		e.stopped.Store(true)
	}
	e.emit(Event{Type: EventResult, Invocation: info, Result: res})
}

func (e *executor) info(inst *planner.Instance) *InvocationInfo {
	info := &InvocationInfo{
		Addr: inst.Addr, Name: inst.Name, Key: inst.Key, Tags: inst.Tags, Range: inst.Block.DeclRange,
	}
	if inst.Function != nil {
		info.Function = inst.Function.Addr
		info.Provider = inst.Function.Provider.Addr
	}
	return info
}

// Invocation implements planner.Results: the value of invocation.NAME for
// expressions. Instances that did not pass are unknown.
func (e *executor) Invocation(name string) cty.Value {
	idx := e.byName[name]
	if len(idx) == 0 {
		return cty.DynamicVal
	}
	first := e.insts[idx[0]]
	if !first.HasKey {
		if v := e.values[idx[0]]; v != cty.NilVal {
			return v
		}
		return cty.DynamicVal
	}
	m := make(map[string]cty.Value, len(idx))
	for _, i := range idx {
		if v := e.values[i]; v != cty.NilVal {
			m[e.insts[i].Key] = v
		} else {
			m[e.insts[i].Key] = cty.DynamicVal
		}
	}
	return cty.ObjectVal(m)
}

func (e *executor) outputs() {
	cfg := e.plan.Config
	if len(cfg.Outputs) == 0 {
		return
	}
	var outs []OutputInfo
	var diags hcl.Diagnostics
	scope := e.plan.OutputScope(e)
	for _, name := range spec.SortedKeys(cfg.Outputs) {
		o := cfg.Outputs[name]
		ctx := scope(o.DeclRange.Filename)
		v, moreDiags := o.Value.Value(ctx)
		info := OutputInfo{Name: name, Sensitive: o.Sensitive || v.ContainsMarked() || v.HasMark(spec.Sensitive)}
		switch {
		case moreDiags.HasErrors():
			// Outputs report values; they are not checks and do not decide
			// the exit code, so their problems are warnings.
			for _, d := range moreDiags {
				w := *d
				w.Severity = hcl.DiagWarning
				w.Summary = fmt.Sprintf("Output %q has no value: %s", name, d.Summary)
				diags = append(diags, &w)
			}
		case !v.IsWhollyKnown():
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagWarning,
				Summary:  fmt.Sprintf("Output %q has no value", name),
				Detail:   "The output depends on an invocation that did not pass or was not selected, so its value is not known.",
				Subject:  o.Value.Range().Ptr(),
			})
		default:
			if info.Sensitive {
				v = v.Mark(spec.Sensitive)
			}
			info.Value = v
		}
		outs = append(outs, info)
	}
	e.emit(Event{Type: EventOutputs, Outputs: outs})
	if len(diags) > 0 {
		e.emit(Event{Type: EventDiagnostic, Diags: diags})
	}
}
