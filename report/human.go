package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/executor"
	"github.com/fnprobe/fnprobe/spec"
)

// Human renders a run for people, the way `terraform test` does: one line
// per invocation start, retried attempt and result while the run goes on;
// then, on the summary event, every failure and warning as a diagnostic
// (errors first, in invocation address order), the outputs, and the summary
// line.
//
// Human is safe for concurrent use.
type Human struct {
	mu      sync.Mutex
	w       io.Writer
	opts    Options
	p       palette
	err     error
	results []invocationDiags // results with diagnostics, in arrival order
	runDiag hcl.Diagnostics   // run-level diagnostics
	outputs []executor.OutputInfo
	hasOut  bool
	samples []addrSample // sampled invocations, in arrival order
	// Samples in progress: the next line due off a terminal, by address;
	// whether a live line is on screen.
	progressNext map[string]time.Duration
	liveDrawn    bool
}

// addrSample is the summary of one sampled invocation.
type addrSample struct {
	addr string
	info *executor.SampleInfo
}

// NewHuman returns a human renderer writing to w.
func NewHuman(w io.Writer, opts Options) *Human {
	return &Human{w: w, opts: opts, p: palette(opts.Color)}
}

// Err returns the first error writing to the output, if any.
func (h *Human) Err() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}

// Event implements executor.Observer.
func (h *Human) Event(e executor.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	lines := !h.opts.Quiet && !h.opts.Compact
	switch e.Type {
	case executor.EventStart:
		if e.Invocation != nil && lines {
			inv := *e.Invocation
			inv.Addr, inv.Function, inv.Provider = h.clean(inv.Addr), h.clean(inv.Function), h.clean(inv.Provider)
			h.line(startMessage(&inv))
		}
	case executor.EventAttempt:
		if e.Invocation != nil && e.Attempt != nil && e.Attempt.Retry && lines {
			a := *e.Attempt
			a.Err, a.Reason = h.clean(a.Err), h.clean(a.Reason)
			h.line(attemptMessage(h.clean(e.Invocation.Addr), &a))
		}
	case executor.EventResult:
		if e.Invocation == nil || e.Result == nil {
			return
		}
		if lines {
			r := *e.Result
			r.Reason = h.clean(r.Reason)
			h.line(resultMessage(h.clean(e.Invocation.Addr), &r, h.p))
		}
		if len(e.Result.Diags) > 0 {
			h.results = append(h.results, invocationDiags{addr: e.Invocation.Addr, diags: e.Result.Diags, repro: e.Result.Repro})
		}
	case executor.EventProgress:
		if e.Invocation == nil || e.Sample == nil || h.opts.Quiet {
			return
		}
		msg := progressMessage(h.clean(e.Invocation.Addr), e.Sample)
		switch {
		case h.opts.Live && !h.opts.Compact:
			// One line redrawn in place; the next line written clears it.
			h.write("\r" + h.opts.redact(msg) + "\x1b[K")
			h.liveDrawn = true
		case !h.opts.Live:
			if h.progressNext == nil {
				h.progressNext = map[string]time.Duration{}
			}
			if progressDue(h.progressNext, e.Invocation.Addr, e.Sample.Elapsed) {
				h.line(msg)
			}
		}
	case executor.EventSample:
		if e.Invocation != nil && e.Sample != nil {
			h.clearLive()
			h.samples = append(h.samples, addrSample{e.Invocation.Addr, e.Sample})
		}
	case executor.EventOutputs:
		h.outputs = append(h.outputs[:0], e.Outputs...)
		h.hasOut = true
	case executor.EventDiagnostic:
		h.runDiag = append(h.runDiag, e.Diags...)
	case executor.EventSummary:
		if e.Summary != nil {
			h.finish(e.Summary)
		}
	}
}

// clean redacts s, then escapes it for one line of a terminal. Every string
// from an event goes through it before it is put in a message, so the
// styles the message adds are not escaped.
func (h *Human) clean(s string) string {
	return escapeLine(h.opts.redact(s))
}

// line writes one line, redacted once more as a whole.
func (h *Human) line(s string) {
	h.clearLive()
	h.write(h.opts.redact(s) + "\n")
}

// clearLive erases a sample's live progress line, if one is drawn.
func (h *Human) clearLive() {
	if h.liveDrawn {
		h.liveDrawn = false
		h.write("\r\x1b[K")
	}
}

func (h *Human) write(s string) {
	if h.err != nil {
		return
	}
	if _, err := io.WriteString(h.w, s); err != nil {
		h.err = fmt.Errorf("report: writing human output: %w", err)
	}
}

// finish writes the diagnostics, the outputs and the summary line.
func (h *Human) finish(s *executor.Summary) {
	h.clearLive()
	diags := failuresInOrder(h.results, h.runDiag, h.opts)
	// A blank line parts the diagnostics from the lines before them; with
	// -quiet there are none.
	sep := "\n"
	if h.opts.Quiet {
		sep = ""
	}
	samples := append([]addrSample(nil), h.samples...)
	sort.SliceStable(samples, func(i, j int) bool { return samples[i].addr < samples[j].addr })
	for _, sm := range samples {
		h.write(sep + sampleBlock(sm.addr, sm.info, h.p, h.clean, h.source))
		sep = "\n"
	}
	if len(diags) > 0 {
		h.write(sep)
		sep = "\n"
	}
	for _, d := range diags {
		h.write(formatDiagnostic(d.Diagnostic, h.p, h.opts.width(), true))
		if d.repro != nil {
			// An invocation's repro lines follow its last error.
			h.write(reproLines(d.repro, "  ", h.opts.redact))
		}
	}

	if h.hasOut && len(h.outputs) > 0 && !h.opts.Quiet {
		h.write("\n" + h.p.paint("Outputs:", ansiBold, ansiGreen) + "\n\n")
		h.write(formatOutputs(h.outputs, h.opts))
	}

	h.write(sep + summaryMessage(s, h.p) + "\n")
	h.results, h.runDiag, h.outputs, h.hasOut, h.samples = nil, nil, nil, false, nil
}

// source returns the one-line source text of a gate's condition, "" when
// it is not known.
func (h *Human) source(a executor.AssertionInfo) string {
	rng := a.Range
	f := h.opts.Files[rng.Filename]
	if f == nil || rng.End.Byte <= rng.Start.Byte || rng.End.Byte > len(f.Bytes) {
		return ""
	}
	return strings.Join(strings.Fields(string(f.Bytes[rng.Start.Byte:rng.End.Byte])), " ")
}

// formatOutputs renders outputs as "name = value" lines, sorted by name.
func formatOutputs(outputs []executor.OutputInfo, opts Options) string {
	outs := append([]executor.OutputInfo(nil), outputs...)
	sort.SliceStable(outs, func(i, j int) bool { return outs[i].Name < outs[j].Name })
	var b strings.Builder
	for _, o := range outs {
		var val string
		switch {
		case o.Sensitive:
			val = spec.Redacted
		case o.Value == cty.NilVal:
			val = "(not available)"
		default:
			val = FormatValue(o.Value, opts.Redactor)
		}
		b.WriteString(escapeLine(opts.redact(o.Name)) + " = " + val + "\n")
	}
	return b.String()
}
