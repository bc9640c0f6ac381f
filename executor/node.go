package executor

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/fnprobe/fnprobe/limits"
	"github.com/fnprobe/fnprobe/planner"
	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/stats"
)

// runNode runs one instance to its outcome. Every failure is recorded as a
// result; nothing is returned.
func (e *executor) runNode(ctx context.Context, i int) {
	inst := e.insts[i]
	start := e.opts.Clock()
	skip := func(reason string) {
		e.finish(i, StatusSkip, &ResultInfo{Status: StatusSkip, Reason: reason}, nil)
	}

	// A dependency that did not pass skips its dependents. Only the first
	// one (by address) is named: the rest is upstream noise.
	for _, d := range inst.Deps {
		switch e.status[e.index[d]] {
		case StatusPass:
			continue
		case StatusSkip:
			skip(fmt.Sprintf("dependency %s was skipped", d.Addr))
		default:
			skip(fmt.Sprintf("dependency %s did not pass", d.Addr))
		}
		return
	}
	if ctx.Err() != nil {
		e.cutShort.Store(true)
		skip("run " + causeText(ctx))
		return
	}
	if e.stopped.Load() {
		skip("run stopped after a failure (-fail-fast)")
		return
	}

	evalCtx, req, notRun := e.prepare(inst)
	if notRun != nil {
		notRun.Duration = e.opts.Clock().Sub(start)
		e.finish(i, notRun.Status, notRun, nil)
		return
	}

	info := e.info(inst)
	var out *ResultInfo
	switch pre := e.takePresampled(i); {
	case pre != nil:
		// Drawn already, interleaved with the partner it depends on.
		start = pre.start
		out = e.sampleVerdict(inst, evalCtx, info, pre.run)
	case inst.Sample != nil:
		e.emit(Event{Type: EventStart, Invocation: info})
		out = e.sample(ctx, inst, req, evalCtx, info)
	default:
		e.emit(Event{Type: EventStart, Invocation: info})
		out = e.attempts(ctx, inst, req, evalCtx, info, callMode{})
	}
	out.Duration = e.opts.Clock().Sub(start)
	e.repro(info.Addr, inst.Function.Provider.Driver, req, out)
	e.finish(i, out.Status, out, info)
}

// prepare evaluates what an invocation needs before it is invoked: its
// evaluation context, enabled and the request. notRun is the result when
// it is not to be invoked: disabled (skip) or an expression that failed
// (fail).
func (e *executor) prepare(inst *planner.Instance) (evalCtx *hcl.EvalContext, req *providers.Request, notRun *ResultInfo) {
	fail := func(diags hcl.Diagnostics) (*hcl.EvalContext, *providers.Request, *ResultInfo) {
		return nil, nil, &ResultInfo{Status: StatusFail, Diags: diags}
	}
	evalCtx, diags := e.plan.EvalContext(inst, e, cty.NilVal)
	if diags.HasErrors() {
		return fail(diags)
	}
	if inst.Block.Enabled != nil {
		v, diags := inst.Block.Enabled.Value(evalCtx)
		if diags.HasErrors() {
			return fail(diags)
		}
		v, _ = v.Unmark()
		if b, err := convert.Convert(v, cty.Bool); err != nil || b.IsNull() || !b.IsKnown() {
			return fail(hcl.Diagnostics{exprDiag(inst.Block.Enabled, evalCtx, "Invalid enabled value", "enabled must be true or false.")})
		} else if b.False() {
			return nil, nil, &ResultInfo{Status: StatusSkip, Reason: "disabled (enabled = false)"}
		}
	}
	req, diags = e.request(inst, evalCtx)
	if diags.HasErrors() {
		return fail(diags)
	}
	req.Budget = e.budget
	if r := e.plan.Redactor(); r != nil {
		req.Secrets = r
	}
	return evalCtx, req, nil
}

func causeText(ctx context.Context) string {
	switch err := context.Cause(ctx); {
	case errors.Is(err, ErrInterrupted):
		return "interrupted"
	case errors.Is(err, ErrRunTimeout):
		return "timed out (-timeout)"
	default:
		return "cancelled"
	}
}

// request evaluates what is sent: payload, headers, path, query, method.
func (e *executor) request(inst *planner.Instance, ctx *hcl.EvalContext) (*providers.Request, hcl.Diagnostics) {
	b := inst.Block
	fn := inst.Function
	req := &providers.Request{
		Provider: fn.Provider.Config,
		Function: fn.Config,
		Type:     inst.Type,
		Logs:     inst.Logs,
		Wait:     inst.Wait,
		BaseDir:  fn.BaseDir,
	}
	switch {
	case b.Payload != nil:
		v := inst.Payload // known and pure when planned
		if v == cty.NilVal {
			var diags hcl.Diagnostics
			v, diags = e.plan.Config.Eval(b.Payload, ctx, "the payload of "+inst.Addr)
			if diags.HasErrors() {
				return nil, diags
			}
		}
		body, err := payloadBytes(v)
		if err != nil {
			return nil, hcl.Diagnostics{exprDiag(b.Payload, ctx, "Invalid payload", err.Error())}
		}
		req.Payload = body
	case b.PayloadFile != nil:
		v, diags := b.PayloadFile.Value(ctx)
		if diags.HasErrors() {
			return nil, diags
		}
		v, _ = v.Unmark()
		s, err := convert.Convert(v, cty.String)
		if err != nil || s.IsNull() || !s.IsKnown() {
			return nil, hcl.Diagnostics{exprDiag(b.PayloadFile, ctx, "Invalid payload_file", "payload_file must be a file path.")}
		}
		path := s.AsString()
		if !filepath.IsAbs(path) {
			path = filepath.Join(filepath.Dir(b.DeclRange.Filename), path)
		}
		// Only a regular file, of at most limits.PayloadFileBytes: a FIFO
		// or /dev/zero must not hang or exhaust the run.
		body, rerr := limits.ReadFile(context.Background(), path, limits.PayloadFileBytes)
		if rerr != nil {
			return nil, hcl.Diagnostics{exprDiag(b.PayloadFile, ctx, "Cannot read payload_file", fmt.Sprintf("Reading %s: %s.", path, limits.Reason(rerr)))}
		}
		req.Payload = body
	}
	if b.Headers != nil {
		v, diags := b.Headers.Value(ctx)
		if diags.HasErrors() {
			return nil, diags
		}
		v, _ = v.UnmarkDeep()
		m, err := convert.Convert(v, cty.Map(cty.String))
		if err != nil || !m.IsWhollyKnown() {
			return nil, hcl.Diagnostics{exprDiag(b.Headers, ctx, "Invalid headers", "headers must be a map of strings.")}
		}
		if !m.IsNull() {
			req.Headers = map[string]string{}
			for k, hv := range m.AsValueMap() {
				if !hv.IsNull() {
					req.Headers[k] = hv.AsString()
				}
			}
		}
	}
	for _, a := range []struct {
		expr hcl.Expression
		name string
		ty   cty.Type
	}{{b.Path, "path", cty.String}, {b.Query, "query", cty.Map(cty.String)}, {b.Method, "method", cty.String}} {
		if a.expr == nil {
			continue
		}
		v, diags := a.expr.Value(ctx)
		if diags.HasErrors() {
			return nil, diags
		}
		v, _ = v.UnmarkDeep()
		cv, err := convert.Convert(v, a.ty)
		if err != nil || !cv.IsWhollyKnown() {
			return nil, hcl.Diagnostics{exprDiag(a.expr, ctx, "Invalid "+a.name, fmt.Sprintf("%s must be a %s.", a.name, a.ty.FriendlyName()))}
		}
		if cv.IsNull() {
			continue
		}
		switch a.name {
		case "path":
			req.Path = cv.AsString()
		case "method":
			req.Method = cv.AsString()
		case "query":
			req.Query = map[string]string{}
			for k, qv := range cv.AsValueMap() {
				if !qv.IsNull() {
					req.Query[k] = qv.AsString()
				}
			}
		}
	}
	return req, nil
}

func exprDiag(expr hcl.Expression, ctx *hcl.EvalContext, summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError, Summary: summary, Detail: detail,
		Subject: expr.Range().Ptr(), Expression: expr, EvalContext: ctx,
	}
}

// attempts invokes until an attempt settles the outcome, then checks it.
// Everything an attempt does (sending, reading, decoding the answer,
// evaluating until and the checks) happens within its timeout: an answer
// whose checks end after the attempt's deadline, or after the run's context
// ended, does not pass.
func (e *executor) attempts(ctx context.Context, inst *planner.Instance, req *providers.Request, evalCtx *hcl.EvalContext, info *InvocationInfo, mode callMode) *ResultInfo {
	emit := func(ev Event) {
		if mode.call == 0 || e.opts.SampleCalls {
			ev.Call = mode.call
			e.emit(ev)
		}
	}
	throttled := 0
	settings := e.plan.Config.Settings
	maxAttempts := firstPositive(inst.Attempts, settings.Retry.Attempts, DefaultAttempts)
	backoff := firstDuration(inst.Backoff, settings.Retry.Backoff, DefaultBackoff)
	timeout := firstDuration(inst.Timeout, settings.Timeout, planner.DefaultTimeout)
	driver := inst.Function.Provider.Driver
	var until hcl.Expression
	if inst.Block.Retry != nil {
		until = inst.Block.Retry.Until
	}
	// An answer the invoke API gave instead of the function (auth, not
	// found, bad request) means the invocation could not be made: exit 3,
	// unless the suite expects exactly that status or code. It never
	// reaches until: the function did not run. A function failure reported
	// through an API error (res.Error) is the function's answer.
	exp := inst.Block.Expect
	ownsStatus := exp != nil && (exp.Status != nil || exp.ErrorCode != nil)
	refused := func(res *providers.Result) bool {
		return res.ErrorCode != "" && res.Status >= 400 && !res.Error && !ownsStatus
	}
	cutShort := func(n int, while string) *ResultInfo {
		reason := "run " + causeText(ctx) + " " + while
		return &ResultInfo{Status: StatusError, Attempts: n, Reason: reason,
			Diags: hcl.Diagnostics{unansweredDiag(inst, "Invocation cut short", reason, n)}}
	}

	var (
		res      *providers.Result
		err      error
		self     cty.Value
		selfCtx  *hcl.EvalContext
		untilMet = true
		dur      time.Duration
		n        int
		actx     context.Context
		cancel   context.CancelFunc = func() {}
	)
	// The last attempt's body and deadline live until its checks are done.
	defer func() { cancel(); res.Free() }()
	for n = 1; ; n++ {
		// Each attempt stands alone: the result and the until verdict of
		// an earlier attempt must not leak into a later one.
		cancel()
		res.Free()
		self, selfCtx, untilMet = cty.NilVal, nil, true
		// max_concurrency and rate_limit of the function and provider:
		// the wait is before the attempt, outside its timeout.
		release, lerr := e.acquire(ctx, inst)
		if lerr != nil {
			emit(Event{Type: EventAttempt, Invocation: info, Attempt: &AttemptInfo{Number: n, Err: causeText(ctx)}})
			return cutShort(n, "while waiting for max_concurrency or rate_limit")
		}
		var stop context.CancelFunc
		actx, stop = context.WithTimeout(ctx, timeout)
		cancel = stop
		var tracer *providers.Tracer // nil unless -verbose: records nothing
		if e.opts.Trace {
			tracer = &providers.Tracer{}
			actx = providers.WithTracer(actx, tracer)
		}
		t0 := time.Now()
		res, err = driver.Invoke(actx, req)
		dur = time.Since(t0)
		release()
		timedOut := errors.Is(actx.Err(), context.DeadlineExceeded) && ctx.Err() == nil
		if ctx.Err() != nil {
			// Cancelled from outside: the answer, if any, is not trusted.
			emit(Event{Type: EventAttempt, Invocation: info, Attempt: &AttemptInfo{Number: n, Duration: dur, Err: causeText(ctx), Trace: tracer.Exchanges()}})
			return cutShort(n, "while invoking")
		}
		if err == nil && res == nil {
			err = errors.New("the driver returned no result")
		}
		if timedOut && err == nil {
			err = context.DeadlineExceeded
		}
		reason := ""
		var retryAfter time.Duration
		var permanent *providers.PermanentError
		switch {
		case err != nil && timedOut:
			reason = "timeout"
			err = fmt.Errorf("timed out after %s", timeout)
		case err != nil:
			if permanent = permanentError(err); permanent == nil {
				reason = "transport"
			}
		case res.Transient:
			reason = "unavailable"
			if res.Status == 429 {
				reason = "throttled"
				throttled++
			}
			retryAfter = min(res.RetryAfter, maxRetryAfter)
		case refused(res):
			// Settled: reported below, never retried, until not evaluated.
		case until != nil:
			self, err = e.resultValue(actx, inst.Stats && mode.call == 0, e.opts.LeanResults && !inst.ResultRead && mode.call == 0, res, dur, n)
			if err == nil {
				var diags hcl.Diagnostics
				selfCtx = withSelf(evalCtx, self)
				untilMet, diags = e.untilHolds(until, selfCtx)
				if actx.Err() == nil && diags.HasErrors() {
					ai := attemptInfo(n, res, nil, dur)
					ai.Trace = tracer.Exchanges()
					emit(Event{Type: EventAttempt, Invocation: info, Attempt: ai})
					return &ResultInfo{Status: StatusFail, Attempts: n, Value: self, Diags: diags}
				}
			}
			switch {
			case ctx.Err() != nil:
				emit(Event{Type: EventAttempt, Invocation: info, Attempt: &AttemptInfo{Number: n, Duration: dur, Err: causeText(ctx), Trace: tracer.Exchanges()}})
				return cutShort(n, "while checking the answer")
			case actx.Err() != nil:
				// Reading the answer took the attempt past its deadline.
				self, selfCtx, untilMet = cty.NilVal, nil, true
				reason = "timeout"
				err = fmt.Errorf("timed out after %s while decoding the answer and evaluating until", timeout)
			case !untilMet:
				reason = "until"
			}
		}
		retry := reason != "" && n < maxAttempts
		wait := time.Duration(0)
		if retry {
			wait = max(jittered(backoff, n), retryAfter)
		}
		ai := attemptInfo(n, res, err, dur)
		ai.Retry, ai.Reason, ai.Wait = retry, reason, wait
		ai.Trace = tracer.Exchanges()
		emit(Event{Type: EventAttempt, Invocation: info, Attempt: ai})
		if !retry {
			break
		}
		// The answer is judged: give its memory back before waiting.
		res.Free()
		if e.opts.Sleep(ctx, wait) != nil {
			return cutShort(n, "while waiting to retry")
		}
	}

	if err != nil {
		reason := fmt.Sprintf("could not invoke: %s", err)
		d := unansweredDiag(inst, "Invocation could not be made", reason, n)
		pe := permanentError(err)
		if pe != nil {
			if pe.Hint != "" {
				d.Detail += " " + pe.Hint
			}
			d.Detail += " This error is not retried: retrying cannot heal it."
		}
		return &ResultInfo{Status: StatusError, Attempts: n, Reason: reason, Diags: hcl.Diagnostics{d}, permanent: pe != nil}
	}
	if self == cty.NilVal {
		if self, err = e.resultValue(actx, inst.Stats && mode.call == 0, e.opts.LeanResults && !inst.ResultRead && mode.call == 0, res, dur, n); err != nil {
			return e.lateAnswer(ctx, inst, n, timeout)
		}
		selfCtx = withSelf(evalCtx, self)
	}
	call := &stats.Call{
		RoundTrip: dur, FunctionDuration: res.FunctionDurationMs, BilledDuration: res.BilledDurationMs,
		MemoryMB: res.MemoryMB, InstanceID: res.InstanceID, Version: res.Version, ColdStart: res.ColdStart,
		Throttled: throttled > 0,
	}
	if res.Transient && !ownsStatus || refused(res) {
		reason := apiErrorText(res)
		call.Outcome = stats.Errored
		return &ResultInfo{Status: StatusError, Attempts: n, Value: self, Reason: reason, Throttled: throttled, call: call,
			Diags: hcl.Diagnostics{unansweredDiag(inst, apiErrorSummary(res), reason, n)}}
	}

	out := &ResultInfo{Status: StatusPass, Attempts: n, Value: self, Throttled: throttled, call: call}
	if !untilMet {
		d := exprDiag(until, selfCtx, "Retry condition never held",
			fmt.Sprintf("The retry condition was still false after %d attempt%s.", n, plural(n)))
		out.Diags = append(out.Diags, d)
		out.Status = StatusFail
	}
	checks := e.checks(inst, res, selfCtx, dur, mode.call > 0)
	// Checks that end after the deadline judged an answer too late, or a
	// run that was already over: nothing passes after -timeout.
	if actx.Err() != nil {
		return e.lateAnswer(ctx, inst, n, timeout)
	}
	for _, c := range checks {
		emit(Event{Type: EventAssertion, Invocation: info, Assertion: c})
		if c.Passed {
			continue
		}
		out.Diags = append(out.Diags, c.Diag)
		if c.Severity == "error" {
			out.Status = StatusFail
			call.Outcome = stats.Failed
		}
	}
	sort.SliceStable(out.Diags, func(i, j int) bool {
		return out.Diags[i].Severity == hcl.DiagError && out.Diags[j].Severity != hcl.DiagError
	})
	return out
}

// lateAnswer is the outcome of an answer whose decoding or checks ended
// after the attempt's deadline or the run's context.
func (e *executor) lateAnswer(ctx context.Context, inst *planner.Instance, n int, timeout time.Duration) *ResultInfo {
	reason := fmt.Sprintf("timed out after %s while decoding and checking the answer", timeout)
	summary := "Invocation could not be made"
	if ctx.Err() != nil {
		reason = "run " + causeText(ctx) + " while checking the answer"
		summary = "Invocation cut short"
	}
	return &ResultInfo{Status: StatusError, Attempts: n, Reason: reason,
		Diags: hcl.Diagnostics{unansweredDiag(inst, summary, reason, n)}}
}

// permanentError returns the error's PermanentError: marked so by the
// driver, or a command that does not exist (exec.ErrNotFound), which no
// retry can heal whichever driver reports it.
func permanentError(err error) *providers.PermanentError {
	pe := providers.IsPermanent(err)
	if (pe == nil || pe.Hint == "") && errors.Is(err, exec.ErrNotFound) {
		return &providers.PermanentError{Err: err, Hint: "The command is not installed or not on PATH: install it, or give its path."}
	}
	return pe
}

// unansweredDiag describes an invocation that could not be made or answered,
// on the invocation block, so every report can point at it.
func unansweredDiag(inst *planner.Instance, summary, reason string, attempts int) *hcl.Diagnostic {
	detail := strings.ToUpper(reason[:1]) + reason[1:] + "."
	if attempts > 1 {
		detail += fmt.Sprintf(" %d attempts were made.", attempts)
	}
	if inst.Block.Expect == nil || (inst.Block.Expect.Status == nil && inst.Block.Expect.ErrorCode == nil) {
		if strings.Contains(reason, "the service answered") {
			detail += " If this answer is what the suite checks for, say so with expect { status = ... } or expect { error_code = ... }."
		}
	}
	rng := inst.Block.DeclRange
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: &rng}
}

func attemptInfo(n int, res *providers.Result, err error, dur time.Duration) *AttemptInfo {
	ai := &AttemptInfo{Number: n, Duration: dur}
	if res != nil {
		ai.HTTPStatus = res.Status
	}
	if err != nil {
		ai.Err = err.Error()
	}
	return ai
}

// apiErrorSummary names what the invoke API did instead of running the
// function: it refused the call (4xx with an error code: auth, not found,
// bad request), throttled it, or was unavailable (5xx) through every retry.
func apiErrorSummary(res *providers.Result) string {
	switch {
	case !res.Transient:
		return "Invocation refused by the API"
	case res.Status == 429:
		return "Invocation throttled by the API"
	default:
		return "API unavailable"
	}
}

func apiErrorText(res *providers.Result) string {
	s := fmt.Sprintf("the service answered HTTP %d", res.Status)
	if res.ErrorCode != "" {
		s += " " + res.ErrorCode
	}
	if res.ErrorMessage != "" {
		s += ": " + res.ErrorMessage
	}
	if res.Transient && res.Status == 429 {
		s += " (throttled)"
	}
	return s
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func (e *executor) untilHolds(until hcl.Expression, ctx *hcl.EvalContext) (bool, hcl.Diagnostics) {
	v, diags := until.Value(ctx)
	if diags.HasErrors() {
		return false, diags
	}
	v, _ = v.Unmark()
	b, err := convert.Convert(v, cty.Bool)
	if err != nil || b.IsNull() || !b.IsKnown() {
		return false, hcl.Diagnostics{exprDiag(until, ctx, "Invalid retry condition", "The until condition must be true or false.")}
	}
	return b.True(), nil
}

func withSelf(ctx *hcl.EvalContext, self cty.Value) *hcl.EvalContext {
	// A child context: lookups of everything else fall through to ctx,
	// which is not copied for every attempt.
	child := ctx.NewChild()
	child.Variables = map[string]cty.Value{"self": self}
	return child
}

// jittered returns the wait before attempt n+1: exponential from base,
// capped, with "equal jitter" (half fixed, half random) so concurrent
// retries spread out but never collapse to zero.
func jittered(base time.Duration, n int) time.Duration {
	d := base
	for k := 1; k < n && d < maxBackoff; k++ {
		d *= 2
	}
	d = min(d, maxBackoff)
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(half+1)
}

func firstPositive(vals ...int) int {
	for _, v := range vals {
		if v > 0 {
			return v
		}
	}
	return 0
}

func firstDuration(vals ...time.Duration) time.Duration {
	for _, v := range vals {
		if v > 0 {
			return v
		}
	}
	return 0
}
