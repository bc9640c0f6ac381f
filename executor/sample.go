package executor

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/internal/workpool"
	"github.com/fnprobe/fnprobe/planner"
	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/stats"
)

// callMode says what an attempts call is part of: call 0 is a plain
// invocation; call k > 0 is the k-th call of a sample, whose events are
// emitted only with Options.SampleCalls and whose checks leave out the
// gates.
type callMode struct{ call int }

// progressEvery is how often a sample in progress emits EventProgress:
// often enough for a live line on a terminal; views that print lines
// thin them out to one every 10 s.
const progressEvery = time.Second

// failureCounters are the stats attributes by which a gate takes charge of
// the failed calls of a sample, so the implicit gate steps aside.
var failureCounters = map[string]bool{"error_rate": true, "failed": true, "errored": true, "passed": true}

// sampleRun is what the calls of one sample have produced so far.
type sampleRun struct {
	mu                 sync.Mutex
	acc                stats.Sample
	done, failed, errs int
	attempts           int
	throttled          int
	last               cty.Value // the result of the highest-numbered call that was answered
	lastCall           int
	first              *ResultInfo // the lowest-numbered call that failed or errored
	firstCall          int
	stopped            *ResultInfo // the call whose permanent error stopped the sample
	planned            *planner.Sample
	start              time.Time
	elapsed            time.Duration // set once every call is done
}

// sampled is one invocation whose calls a sample draws.
type sampled struct {
	inst    *planner.Instance
	req     *providers.Request
	evalCtx *hcl.EvalContext
	info    *InvocationInfo
	run     *sampleRun
	slots   chan struct{} // its concurrency
	stop    atomic.Bool   // a call met an error no other call can heal
}

// presample is a sample drawn in its partner's node (interleave), waiting
// for its own node to judge it.
type presample struct {
	run   *sampleRun
	start time.Time
}

// sample runs a sampled invocation and judges it. When another selected
// invocation interleaves with it (and can run now), both are drawn
// together, call by call, and the partner's run waits for the partner's
// own node, which comes after this one (it depends on it).
func (e *executor) sample(ctx context.Context, inst *planner.Instance, req *providers.Request, evalCtx *hcl.EvalContext, info *InvocationInfo) *ResultInfo {
	group := []*sampled{{inst: inst, req: req, evalCtx: evalCtx, info: info}}
	var partnerIdx int
	if p := inst.InterleavedBy; p != nil {
		if j, ok := e.index[p]; ok {
			// The partner's own preparation: disabled, or an expression
			// that fails, leaves it to its node, which says so.
			if pctx, preq, notRun := e.prepare(p); notRun == nil {
				partnerIdx = j
				pinfo := e.info(p)
				group = append(group, &sampled{inst: p, req: preq, evalCtx: pctx, info: pinfo})
				e.emit(Event{Type: EventStart, Invocation: pinfo})
			}
		}
	}
	start := e.opts.Clock()
	e.runCalls(ctx, group)
	if len(group) > 1 {
		e.mu.Lock()
		if e.presampled == nil {
			e.presampled = map[int]*presample{}
		}
		e.presampled[partnerIdx] = &presample{run: group[1].run, start: start}
		e.mu.Unlock()
	}
	if ctx.Err() != nil {
		r := group[0].run
		reason := fmt.Sprintf("run %s while sampling (%d of %d calls done)", causeText(ctx), r.done, inst.Sample.Warmup+inst.Sample.Count)
		return &ResultInfo{Status: StatusError, Attempts: r.attempts, Throttled: r.throttled, Reason: reason,
			Diags: hcl.Diagnostics{unansweredDiag(inst, "Invocation cut short", reason, 1)}}
	}
	return e.sampleVerdict(inst, evalCtx, info, group[0].run)
}

// takePresampled returns, and forgets, the sample of instance i drawn in
// its partner's node; nil when there is none.
func (e *executor) takePresampled(i int) *presample {
	e.mu.Lock()
	defer e.mu.Unlock()
	pre := e.presampled[i]
	delete(e.presampled, i)
	return pre
}

// runCalls draws the samples of group: for each, Warmup + Count calls,
// at most its Concurrency at once, started no faster than its Rate, each
// a full invocation with its retries and its per-call checks (expect and
// the asserts that are not gates). With two in the group the calls
// alternate, call k of each next to the other's, so that whatever
// happens to the network in a window happens to both.
func (e *executor) runCalls(ctx context.Context, group []*sampled) {
	type job struct {
		s *sampled
		k int // 0-based call number
	}
	var jobs []job
	total, workers := 0, 0
	for _, s := range group {
		n := s.inst.Sample.Warmup + s.inst.Sample.Count
		total = max(total, n)
		s.run = &sampleRun{firstCall: n + 1, start: e.opts.Clock(), planned: s.inst.Sample}
		s.slots = make(chan struct{}, s.inst.Sample.Concurrency)
		workers += min(s.inst.Sample.Concurrency, n)
	}
	// The first call of each runs alone: a configuration error (no
	// credentials, an unknown host) then stops the sample after one call,
	// not after as many as its concurrency had started.
	for k := 1; k < total; k++ {
		for _, s := range group {
			if k < s.inst.Sample.Warmup+s.inst.Sample.Count {
				jobs = append(jobs, job{s, k})
			}
		}
	}
	start := e.opts.Clock()
	call := func(s *sampled, k int) {
		out := e.attempts(ctx, s.inst, s.req, s.evalCtx, s.info, callMode{call: k + 1})
		if out.permanent {
			s.stop.Store(true)
		}
		s.run.record(k+1, k >= s.inst.Sample.Warmup, out)
	}
	for _, s := range group {
		call(s, 0)
	}

	stopProgress := make(chan struct{})
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		for {
			select {
			case <-stopProgress:
				return
			case <-t.C:
				for _, s := range group {
					e.emit(Event{Type: EventProgress, Invocation: s.info, Sample: s.run.snapshot(e.opts.Clock())})
				}
			}
		}
	}()

	// The progress line stops once every call has ended, a panic included
	// (workpool.Run raises it again; the node's recovery reports it as an
	// internal error).
	func() {
		defer func() {
			close(stopProgress)
			<-progressDone
		}()
		workpool.Run(workers, len(jobs), func(i int) bool {
			if ctx.Err() != nil {
				return false
			}
			j := jobs[i]
			if j.s.stop.Load() {
				return true
			}
			sp := j.s.inst.Sample
			if sp.Rate > 0 {
				at := start.Add(time.Duration(float64(j.k) / sp.Rate * float64(time.Second)))
				if d := at.Sub(e.opts.Clock()); d > 0 && e.opts.Sleep(ctx, d) != nil {
					return false
				}
			}
			select {
			case j.s.slots <- struct{}{}:
			case <-ctx.Done():
				return false
			}
			call(j.s, j.k)
			<-j.s.slots
			return true
		})
	}()
	for _, s := range group {
		s.run.elapsed = e.opts.Clock().Sub(s.run.start)
	}
}

// sampleVerdict judges a drawn sample: the gates, checked once with self
// the last answered call's result whose stats describe the sample, and
// the implicit gate that every call passed unless a gate speaks of
// failures. It emits the assertion events of the gates and the sample
// event.
func (e *executor) sampleVerdict(inst *planner.Instance, evalCtx *hcl.EvalContext, info *InvocationInfo, r *sampleRun) *ResultInfo {
	sp := inst.Sample
	si := r.snapshot(r.start.Add(r.elapsed))
	if r.last == cty.NilVal {
		// No call was answered: the sample is the first call's error.
		out := r.first
		out.Attempts, out.Throttled = r.attempts, r.throttled
		out.Reason = fmt.Sprintf("no call of the sample was answered (%d call%s); the first: %s", r.done, plural(r.done), out.Reason)
		si.Stats = r.acc.Value()
		e.emit(Event{Type: EventSample, Invocation: info, Sample: si})
		return out
	}

	self := withStats(r.last, r.acc.Value())
	selfCtx := withSelf(evalCtx, self)
	si.Stats = self.GetAttr("stats")
	if r.stopped != nil {
		// Cut short by an error no call can heal: statistics over part
		// of the sample must not pass a gate.
		out := r.stopped
		out.Attempts, out.Throttled, out.Value = r.attempts, r.throttled, self
		out.Reason = fmt.Sprintf("the sample stopped after %d of %d calls: %s", r.done, sp.Warmup+sp.Count, out.Reason)
		e.emit(Event{Type: EventSample, Invocation: info, Sample: si})
		return out
	}
	out := &ResultInfo{Status: StatusPass, Attempts: r.attempts, Throttled: r.throttled, Value: self}
	tookCharge := false
	for k, a := range inst.Block.Asserts {
		if !a.Gate {
			continue
		}
		tookCharge = tookCharge || readsFailures(a.Condition)
		ai := &AssertionInfo{Kind: "assert", Name: fmt.Sprintf("assert[%d]", k), Severity: a.Severity, Passed: true, Range: a.Condition.Range()}
		if d := assertCheck(a, selfCtx); d != nil {
			ai.Passed, ai.Diag = false, d
			if d.Severity == hcl.DiagError {
				ai.Severity = "error"
			}
		}
		si.Gates = append(si.Gates, ai)
	}
	counted := r.acc.Count()
	bad := failedCounted(si.Stats)
	if r.first != nil {
		d := &hcl.Diagnostic{
			Severity: hcl.DiagWarning,
			Summary:  "Calls of the sample failed",
			Detail:   failedCallsText(r, counted, sp.Warmup, r.first.Diags),
			Subject:  inst.Block.Sample.DeclRange.Ptr(),
		}
		if !tookCharge && bad > 0 {
			// No gate speaks of failures: every call must pass, as an
			// invocation without a sample must.
			d.Severity = hcl.DiagError
			d.Detail += " No gate of this invocation reads self.stats.error_rate (or failed, errored, passed), so every call must pass; write such a gate to allow some failures."
			si.Gates = append(si.Gates, &AssertionInfo{Kind: "sample", Name: "sample (every call passes)", Severity: "error", Diag: d})
		} else {
			out.Diags = append(out.Diags, d)
		}
	}
	for _, g := range si.Gates {
		e.emit(Event{Type: EventAssertion, Invocation: info, Assertion: g})
		if g.Passed {
			continue
		}
		out.Diags = append(out.Diags, g.Diag)
		if g.Severity == "error" {
			out.Status = StatusFail
		}
	}
	e.emit(Event{Type: EventSample, Invocation: info, Sample: si})
	sortErrorsFirst(out.Diags)
	return out
}

// snapshot describes the sample so far, at now.
func (r *sampleRun) snapshot(now time.Time) *SampleInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	return &SampleInfo{
		Planned: r.planned.Count, Warmup: r.planned.Warmup, Concurrency: r.planned.Concurrency, Rate: r.planned.Rate,
		Done: r.done, Failed: r.failed, Errored: r.errs, Elapsed: now.Sub(r.start), Stats: cty.NilVal,
	}
}

// record adds the outcome of call number n; counted says it is past the
// warmup and enters the statistics.
func (r *sampleRun) record(n int, counted bool, out *ResultInfo) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done++
	r.attempts += out.Attempts
	r.throttled += out.Throttled
	switch out.Status {
	case StatusFail:
		r.failed++
	case StatusError:
		r.errs++
	}
	if (out.Status == StatusFail || out.Status == StatusError) && n < r.firstCall {
		r.first, r.firstCall = out, n
	}
	if out.permanent && r.stopped == nil {
		r.stopped = out
	}
	if out.Value != cty.NilVal && n > r.lastCall {
		r.last, r.lastCall = out.Value, n
	}
	if !counted {
		return
	}
	c := stats.Call{Outcome: stats.Errored, Throttled: out.Throttled > 0}
	if out.call != nil {
		c = *out.call
	}
	switch out.Status {
	case StatusFail:
		c.Outcome = stats.Failed
	case StatusError:
		c.Outcome = stats.Errored
	default:
		c.Outcome = stats.Passed
	}
	r.acc.Add(c)
}

// failedCounted is the number of counted calls that failed or errored,
// read from the sample's stats object.
func failedCounted(st cty.Value) int {
	n := 0
	for _, name := range []string{"failed", "errored"} {
		f, _ := st.GetAttr(name).AsBigFloat().Int64()
		n += int(f)
	}
	return n
}

func failedCallsText(r *sampleRun, counted, warmup int, example hcl.Diagnostics) string {
	s := fmt.Sprintf("%d call%s failed a check and %d %s not answered, of %d", r.failed, plural(r.failed), r.errs, wereWas(r.errs), r.done)
	if warmup > 0 {
		s += fmt.Sprintf(" (%d warmup calls included; the statistics count %d)", warmup, counted)
	}
	s += "."
	if len(example) > 0 {
		s += fmt.Sprintf(" The first, call %d: %s", r.firstCall, example[0].Summary)
		if example[0].Detail != "" {
			s += ": " + example[0].Detail
		}
		if example[0].Subject != nil {
			s += fmt.Sprintf(" (%s:%d)", example[0].Subject.Filename, example[0].Subject.Start.Line)
		}
	}
	return s
}

func wereWas(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}

// withStats returns the result object v with its stats replaced by st.
func withStats(v, st cty.Value) cty.Value {
	v, marks := v.Unmark()
	m := v.AsValueMap()
	m["stats"] = st
	return cty.ObjectVal(m).WithMarks(marks)
}

// readsFailures reports whether a gate reads one of the failure counters
// of self.stats.
func readsFailures(expr hcl.Expression) bool {
	for _, tr := range expr.Variables() {
		if tr.RootName() != "self" || len(tr) < 3 {
			continue
		}
		if a, ok := tr[2].(hcl.TraverseAttr); ok && failureCounters[a.Name] {
			return true
		}
	}
	return false
}

// sortErrorsFirst orders errors before warnings, keeping the order within.
func sortErrorsFirst(diags hcl.Diagnostics) {
	sort.SliceStable(diags, func(i, j int) bool {
		return diags[i].Severity == hcl.DiagError && diags[j].Severity != hcl.DiagError
	})
}
