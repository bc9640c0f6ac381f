package watch

import (
	"bytes"
	"log/slog"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/executor"
	"github.com/fnprobe/fnprobe/report"
)

// observer turns the events of one run into Metrics updates and log lines:
// attempts and checks are gathered per invocation and applied with its
// result, so that a scrape sees each invocation's result whole. Every
// label value and every logged string passes through the suite's
// Redactor. The executor delivers events one at a time.
type observer struct {
	m       *Metrics
	log     *slog.Logger
	suite   string // redacted
	report  report.Options
	pending map[string]*outcome // by invocation address, until its result
}

// Observer returns the executor.Observer of one run of the suite: its
// results update m, and changes of state are logged to log. opts carries
// the suite's Files and Redactor, to render diagnostics as the console
// does.
func (m *Metrics) Observer(log *slog.Logger, opts report.Options) executor.Observer {
	opts.Color = false
	opts.Width = -1
	return &observer{m: m, log: log, suite: m.suite, report: opts, pending: map[string]*outcome{}}
}

func (o *observer) redact(s string) string { return o.report.Redactor.String(s) }

func (o *observer) outcome(inv *executor.InvocationInfo) *outcome {
	p := o.pending[inv.Addr]
	if p == nil {
		p = &outcome{key: seriesKey{
			invocation: o.redact(inv.Addr),
			function:   o.redact(inv.Function),
			provider:   o.redact(inv.Provider),
		}}
		o.pending[inv.Addr] = p
	}
	return p
}

// Event implements executor.Observer.
func (o *observer) Event(e executor.Event) {
	if e.Invocation == nil {
		return
	}
	switch e.Type {
	case executor.EventAttempt:
		if e.Attempt == nil {
			return
		}
		p := o.outcome(e.Invocation)
		p.attempts++
		if e.Attempt.Retry {
			p.retries++
		}
		p.answered = nil
		if e.Attempt.Err == "" {
			d := e.Attempt.Duration
			p.answered = &d
		}
	case executor.EventAssertion:
		if a := e.Assertion; a != nil && !a.Passed {
			p := o.outcome(e.Invocation)
			p.checks = append(p.checks, o.redact(a.Name))
		}
	case executor.EventResult:
		if e.Result == nil {
			return
		}
		p := o.outcome(e.Invocation)
		delete(o.pending, e.Invocation.Addr)
		o.result(e, p)
	}
}

func (o *observer) result(e executor.Event, p *outcome) {
	r := e.Result
	p.at = e.Time
	p.status = r.Status
	p.duration, p.resultAttempts = r.Duration, r.Attempts
	for _, d := range r.Diags {
		if d.Severity == hcl.DiagWarning {
			p.warn = true
		}
	}
	if r.Status == executor.StatusPass || r.Status == executor.StatusFail {
		p.functionDuration = msAttr(r.Value, "function_duration_ms", 1e-3)
		p.billedDuration = msAttr(r.Value, "billed_duration_ms", 1e-3)
		p.memory = msAttr(r.Value, "memory_mb", 1<<20)
	}
	if (r.Status == executor.StatusFail || r.Status == executor.StatusError || p.warn) && len(r.Diags) > 0 {
		var b bytes.Buffer
		report.WriteDiagnostics(&b, r.Diags, o.report)
		p.diag = o.redact(strings.TrimRight(b.String(), "\n"))
	}
	prev, dropped, first := o.m.record(p)
	if dropped {
		if first {
			o.log.Warn("series limit reached: results of new invocations are not recorded in the metrics",
				"suite", o.suite, "limit", o.m.max, "invocation", p.key.invocation)
		}
		return
	}
	o.logChange(prev, p, r)
}

// logChange logs a change of the invocation's state: one line per change,
// none for a state that holds, and none for a first result that passed
// or was skipped (a prober starting up is not news).
func (o *observer) logChange(prev string, p *outcome, r *executor.ResultInfo) {
	cur := p.state()
	if cur == prev || prev == "" && (cur == StatePass || cur == StateSkip) {
		return
	}
	attrs := []any{"suite", o.suite, "invocation", p.key.invocation, "from", prev, "to", cur}
	if prev == "" {
		attrs[5] = "none"
	}
	switch cur {
	case StatePass:
		o.log.Info("invocation recovered", attrs...)
	case StateSkip:
		o.log.Info("invocation skipped", append(attrs, "reason", o.redact(r.Reason))...)
	case StateWarn:
		o.log.Warn("invocation passed with warnings", append(attrs, "diagnostic", p.diag)...)
	case StateFail:
		o.log.Error("invocation failed", append(attrs, "diagnostic", p.diag)...)
	case StateError:
		o.log.Error("invocation errored", append(attrs, "reason", o.redact(r.Reason), "diagnostic", p.diag)...)
	}
}

// msAttr returns the number attribute name of a result object times
// scale, or nil when it is absent, null, unknown or sensitive.
func msAttr(v cty.Value, name string, scale float64) *float64 {
	if v == cty.NilVal || v.IsMarked() || !v.IsKnown() || v.IsNull() || !v.Type().IsObjectType() || !v.Type().HasAttribute(name) {
		return nil
	}
	a := v.GetAttr(name)
	if a.IsMarked() || !a.IsKnown() || a.IsNull() || a.Type() != cty.Number {
		return nil
	}
	f, _ := a.AsBigFloat().Float64()
	f *= scale
	return &f
}
