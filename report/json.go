package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"

	"github.com/fnprobe/fnprobe/executor"
	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/spec"
)

// SchemaVersion is the version of the -json event stream (docs/output.md, "JSON event stream").
// Its minor number grows when events or fields are added, its major number
// when anything is removed, renamed or changes meaning.
const SchemaVersion = "1.3"

// JSON event levels ("@level").
const (
	levelInfo  = "info"
	levelWarn  = "warn"
	levelError = "error"
)

// JSON writes the run as newline-delimited JSON events, one object per line,
// in the machine-readable style of Terraform's -json output (see
// docs/output.md, "JSON event stream"). NewJSON writes the version event at once, so the stream
// starts with it even when no run follows (configuration errors).
//
// JSON is safe for concurrent use.
type JSON struct {
	mu   sync.Mutex
	w    io.Writer
	opts Options
	err  error
	// progressNext: when each sample's next sample_progress event is due.
	progressNext map[string]time.Duration
}

// NewJSON returns a JSON renderer writing to w, and writes the version event.
func NewJSON(w io.Writer, opts Options) *JSON {
	j := &JSON{w: w, opts: opts}
	v := opts.Version
	if v == "" {
		v = "dev"
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.emit(jsonLine{
		Level:         levelInfo,
		Message:       "fnprobe " + v,
		Timestamp:     timestamp(opts.now()),
		Type:          "version",
		FnProbe:       v,
		SchemaVersion: SchemaVersion,
	})
	return j
}

// Begin starts the events of another suite, when one command runs several:
// the events that follow are rendered with opts (that suite's files and
// secrets) and carry opts.Suite as "suite".
func (j *JSON) Begin(opts Options) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.opts = opts
}

// Err returns the first error writing to the output, if any.
func (j *JSON) Err() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.err
}

// jsonLine is one event of the stream. Only the fields of its type are set.
type jsonLine struct {
	Level         string              `json:"@level"`
	Message       string              `json:"@message"`
	Timestamp     string              `json:"@timestamp"`
	Type          string              `json:"type"`
	Suite         string              `json:"suite,omitempty"`
	FnProbe       string              `json:"fnprobe,omitempty"`
	SchemaVersion string              `json:"schema_version,omitempty"`
	Run           *jsonRun            `json:"run,omitempty"`
	Invocation    any                 `json:"invocation,omitempty"`
	Attempt       *jsonAttempt        `json:"attempt,omitempty"`
	Assertion     *jsonAssertion      `json:"assertion,omitempty"`
	Result        *jsonResult         `json:"result,omitempty"`
	Outputs       *map[string]jsonOut `json:"outputs,omitempty"`
	Diagnostic    *Diagnostic         `json:"diagnostic,omitempty"`
	Summary       *jsonSummary        `json:"summary,omitempty"`
	Sample        *jsonSample         `json:"sample,omitempty"`
	// Call is the number of the sample's call an attempt or assertion
	// belongs to (run -sample-calls).
	Call int `json:"call,omitempty"`
}

// jsonSample is a sample's progress (sample_progress) or its summary
// (sample): stats and gates are set in the summary only.
type jsonSample struct {
	Planned     int             `json:"planned"`
	Warmup      int             `json:"warmup"`
	Concurrency int             `json:"concurrency"`
	Rate        float64         `json:"rate"`
	Done        int             `json:"done"`
	Failed      int             `json:"failed"`
	Errored     int             `json:"errored"`
	ElapsedMS   float64         `json:"elapsed_ms"`
	RateDone    float64         `json:"rate_achieved"`
	Stats       json.RawMessage `json:"stats,omitempty"`
	Gates       []jsonAssertion `json:"gates,omitempty"`
}

type jsonRun struct {
	Total     int        `json:"total"`
	Suite     string     `json:"suite,omitempty"`
	Shard     *ShardInfo `json:"shard,omitempty"`
	Instances *[]string  `json:"instances,omitempty"` // [] for an empty shard
}

type jsonInvocation struct {
	Addr     string   `json:"addr"`
	Name     string   `json:"name"`
	Key      string   `json:"key"`
	Provider string   `json:"provider"`
	Function string   `json:"function"`
	Tags     []string `json:"tags"`
	Range    *Range   `json:"range,omitempty"`
}

type jsonInvocationRef struct {
	Addr string `json:"addr"`
}

type jsonAttempt struct {
	Number     int     `json:"number"`
	HTTPStatus int     `json:"http_status"`
	DurationMS float64 `json:"duration_ms"`
	Error      string  `json:"error"`
	Retry      bool    `json:"retry"`
	Reason     string  `json:"reason"`
	WaitMS     float64 `json:"wait_ms"`
	// Trace is written only by run -verbose.
	Trace []jsonExchange `json:"trace,omitempty"`
}

type jsonExchange struct {
	Request  jsonMessage  `json:"request"`
	Response *jsonMessage `json:"response"`
	Error    string       `json:"error,omitempty"`
}

type jsonMessage struct {
	Method    string       `json:"method,omitempty"`
	URL       string       `json:"url,omitempty"`
	Command   []string     `json:"command,omitempty"`
	Dir       string       `json:"dir,omitempty"`
	Status    int          `json:"status,omitempty"`
	Headers   []jsonHeader `json:"headers"`
	Body      string       `json:"body"`
	BodySize  int64        `json:"body_size"`
	Truncated bool         `json:"body_truncated"`
}

type jsonHeader struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// jsonTrace renders an attempt's trace, every string redacted.
func (o Options) jsonTrace(trace []providers.Exchange) []jsonExchange {
	if len(trace) == 0 {
		return nil
	}
	msg := func(m providers.Message) jsonMessage {
		jm := jsonMessage{
			Method: o.redact(m.Method), URL: o.redact(m.URL), Dir: o.redact(m.Dir), Status: m.Status,
			Headers: []jsonHeader{}, Body: o.redact(strings.ToValidUTF8(PreviewText(m), "\uFFFD")),
			BodySize: m.Size, Truncated: m.Truncated(),
		}
		for _, a := range m.Command {
			jm.Command = append(jm.Command, o.redact(a))
		}
		for _, h := range m.Headers {
			jm.Headers = append(jm.Headers, jsonHeader{o.redact(h.Name), o.redact(h.Value)})
		}
		return jm
	}
	out := make([]jsonExchange, 0, len(trace))
	for _, x := range trace {
		jx := jsonExchange{Request: msg(x.Request), Error: o.redact(x.Err)}
		if x.Response != nil {
			r := msg(*x.Response)
			jx.Response = &r
		}
		out = append(out, jx)
	}
	return out
}

type jsonAssertion struct {
	Kind       string      `json:"kind"`
	Name       string      `json:"name"`
	Passed     bool        `json:"passed"`
	Severity   string      `json:"severity"`
	Diagnostic *Diagnostic `json:"diagnostic,omitempty"`
}

type jsonResult struct {
	Status      string          `json:"status"`
	Reason      string          `json:"reason"`
	DurationMS  float64         `json:"duration_ms"`
	Attempts    int             `json:"attempts"`
	Value       json.RawMessage `json:"value"`
	Diagnostics []Diagnostic    `json:"diagnostics"`
	Repro       *jsonRepro      `json:"repro,omitempty"`
}

// jsonRepro is a failed invocation's repro commands (executor.ReproInfo).
type jsonRepro struct {
	Tool        string `json:"tool,omitempty"`
	Doc         string `json:"doc,omitempty"`
	Command     string `json:"command,omitempty"`
	Rerun       string `json:"rerun,omitempty"`
	PayloadFile string `json:"payload_file,omitempty"`
	Note        string `json:"note,omitempty"`
}

// info is the ReproInfo r stands for (report merge); nil for nil.
func (r *jsonRepro) info() *executor.ReproInfo {
	if r == nil {
		return nil
	}
	return &executor.ReproInfo{Tool: r.Tool, Doc: r.Doc, Command: r.Command, Rerun: r.Rerun, PayloadFile: r.PayloadFile, Note: r.Note}
}

// jsonReproOf renders r, every string redacted; nil for nil.
func (o Options) jsonReproOf(r *executor.ReproInfo) *jsonRepro {
	if r == nil {
		return nil
	}
	return &jsonRepro{
		Tool: o.redact(r.Tool), Doc: o.redact(r.Doc), Command: o.redact(r.Command), Rerun: o.redact(r.Rerun),
		PayloadFile: o.redact(r.PayloadFile), Note: o.redact(r.Note),
	}
}

type jsonOut struct {
	Value     json.RawMessage `json:"value"`
	Sensitive bool            `json:"sensitive"`
}

type jsonSummary struct {
	Total       int     `json:"total"`
	Passed      int     `json:"passed"`
	Failed      int     `json:"failed"`
	Errored     int     `json:"errored"`
	Skipped     int     `json:"skipped"`
	Warnings    int     `json:"warnings"`
	DurationMS  float64 `json:"duration_ms"`
	ExitCode    int     `json:"exit_code"`
	Interrupted bool    `json:"interrupted"`
}

func timestamp(t time.Time) string {
	return t.Format(time.RFC3339Nano)
}

// Event implements executor.Observer.
func (j *JSON) Event(e executor.Event) {
	j.mu.Lock()
	defer j.mu.Unlock()
	o := j.opts
	line := jsonLine{Level: levelInfo, Timestamp: timestamp(o.eventTime(e)), Type: string(e.Type)}
	var addr string
	if e.Invocation != nil {
		addr = o.redact(e.Invocation.Addr)
		line.Invocation = &jsonInvocationRef{Addr: addr}
	}
	switch e.Type {
	case executor.EventRunStart:
		total := 0
		if e.Summary != nil {
			total = e.Summary.Total
		}
		line.Message = fmt.Sprintf("run started: %s", plural(total, "invocation"))
		line.Run = &jsonRun{Total: total}
		if ri := o.Run; ri != nil {
			line.Run.Suite, line.Run.Shard = ri.Suite, ri.Shard
			addrs := make([]string, 0, len(ri.Instances))
			for _, a := range ri.Instances {
				addrs = append(addrs, o.redact(a))
			}
			line.Run.Instances = &addrs
		}

	case executor.EventStart:
		if e.Invocation == nil {
			return
		}
		inv := e.Invocation
		tags := make([]string, 0, len(inv.Tags))
		for _, t := range inv.Tags {
			tags = append(tags, o.redact(t))
		}
		ji := &jsonInvocation{
			Addr:     addr,
			Name:     o.redact(inv.Name),
			Key:      o.redact(inv.Key),
			Provider: o.redact(inv.Provider),
			Function: o.redact(inv.Function),
			Tags:     tags,
		}
		if inv.Range.Filename != "" {
			ji.Range = &Range{
				Filename: o.redact(inv.Range.Filename),
				Start:    Pos{Line: inv.Range.Start.Line, Column: inv.Range.Start.Column, Byte: inv.Range.Start.Byte},
				End:      Pos{Line: inv.Range.End.Line, Column: inv.Range.End.Column, Byte: inv.Range.End.Byte},
			}
		}
		line.Invocation = ji
		line.Message = startMessage(inv)

	case executor.EventAttempt:
		if e.Invocation == nil || e.Attempt == nil {
			return
		}
		a := e.Attempt
		if a.Err != "" || a.Retry {
			line.Level = levelWarn
		}
		line.Message = attemptMessage(e.Invocation.Addr, a)
		line.Attempt = &jsonAttempt{
			Number:     a.Number,
			HTTPStatus: a.HTTPStatus,
			DurationMS: millis(a.Duration),
			Error:      o.redact(a.Err),
			Retry:      a.Retry,
			Reason:     o.redact(a.Reason),
			WaitMS:     millis(a.Wait),
			Trace:      o.jsonTrace(a.Trace),
		}

	case executor.EventAssertion:
		if e.Invocation == nil || e.Assertion == nil {
			return
		}
		a := e.Assertion
		ja := &jsonAssertion{Kind: o.redact(a.Kind), Name: o.redact(a.Name), Passed: a.Passed, Severity: o.redact(a.Severity)}
		if !a.Passed {
			line.Level = levelError
			if a.Severity == "warn" {
				line.Level = levelWarn
			}
		}
		if !a.Passed && a.Diag != nil {
			d := NewDiagnostic(a.Diag, o.Files, o.Redactor)
			d.Address = addr
			ja.Diagnostic = &d
		}
		line.Message = assertionMessage(e.Invocation.Addr, a)
		line.Assertion = ja

	case executor.EventResult:
		if e.Invocation == nil || e.Result == nil {
			return
		}
		r := e.Result
		switch {
		case r.Status == executor.StatusFail || r.Status == executor.StatusError:
			line.Level = levelError
		case countSeverity(r.Diags, hcl.DiagWarning) > 0:
			line.Level = levelWarn
		}
		line.Message = resultMessage(e.Invocation.Addr, r, palette(false))
		line.Result = &jsonResult{
			Status:      r.Status.String(),
			Reason:      o.redact(r.Reason),
			DurationMS:  millis(r.Duration),
			Attempts:    r.Attempts,
			Value:       JSONValue(r.Value, o.Redactor),
			Diagnostics: diagnostics(r.Diags, e.Invocation.Addr, o),
			Repro:       o.jsonReproOf(r.Repro),
		}

	case executor.EventProgress, executor.EventSample:
		if e.Invocation == nil || e.Sample == nil {
			return
		}
		if e.Type == executor.EventProgress {
			if j.progressNext == nil {
				j.progressNext = map[string]time.Duration{}
			}
			if !progressDue(j.progressNext, e.Invocation.Addr, e.Sample.Elapsed) {
				return
			}
		}
		si := e.Sample
		js := &jsonSample{
			Planned: si.Planned, Warmup: si.Warmup, Concurrency: si.Concurrency, Rate: si.Rate,
			Done: si.Done, Failed: si.Failed, Errored: si.Errored, ElapsedMS: millis(si.Elapsed), RateDone: sampleRate(si),
		}
		line.Message = progressMessage(e.Invocation.Addr, si)
		if e.Type == executor.EventSample {
			line.Message = sampleMessage(e.Invocation.Addr, si)
			js.Stats = JSONValue(si.Stats, o.Redactor)
			js.Gates = []jsonAssertion{}
			for _, g := range si.Gates {
				ja := jsonAssertion{Kind: o.redact(g.Kind), Name: o.redact(g.Name), Passed: g.Passed, Severity: o.redact(g.Severity)}
				if !g.Passed && g.Diag != nil {
					d := NewDiagnostic(g.Diag, o.Files, o.Redactor)
					d.Address = addr
					ja.Diagnostic = &d
					line.Level = levelError
				}
				js.Gates = append(js.Gates, ja)
			}
		}
		line.Sample = js

	case executor.EventOutputs:
		outs := make(map[string]jsonOut, len(e.Outputs))
		for _, out := range e.Outputs {
			name := o.redact(out.Name)
			v := JSONValue(out.Value, o.Redactor)
			if out.Sensitive {
				v = json.RawMessage(`"` + spec.Redacted + `"`)
			}
			outs[name] = jsonOut{Value: v, Sensitive: out.Sensitive}
		}
		line.Message = fmt.Sprintf("Outputs: %d", len(outs))
		line.Outputs = &outs

	case executor.EventDiagnostic:
		j.diagnostics(e.Diags, o.eventTime(e))
		return

	case executor.EventSummary:
		if e.Summary == nil {
			return
		}
		s := e.Summary
		if s.ExitCode != 0 {
			line.Level = levelError
		}
		line.Message = summaryMessage(s, palette(false))
		line.Summary = &jsonSummary{
			Total:       s.Total,
			Passed:      s.Passed,
			Failed:      s.Failed,
			Errored:     s.Errored,
			Skipped:     s.Skipped,
			Warnings:    s.Warnings,
			DurationMS:  millis(s.Duration),
			ExitCode:    s.ExitCode,
			Interrupted: s.Interrupted,
		}

	default:
		// An event type this version does not know: pass its name on, so
		// consumers see it, without fields.
		line.Message = string(e.Type)
	}
	line.Message = o.redact(line.Message)
	line.Call = e.Call
	j.emit(line)
}

// Diagnostics writes diags as "diagnostic" events: configuration and
// command-line problems found before any run (the exit 2 path).
func (j *JSON) Diagnostics(diags hcl.Diagnostics) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.diagnostics(diags, j.opts.now())
}

func (j *JSON) diagnostics(diags hcl.Diagnostics, t time.Time) {
	for _, d := range diagnostics(diags, "", j.opts) {
		level, prefix := levelInfo, ""
		switch d.Severity {
		case SeverityError:
			level, prefix = levelError, "Error: "
		case SeverityWarning:
			level, prefix = levelWarn, "Warning: "
		}
		j.emit(jsonLine{
			Level:      level,
			Message:    prefix + d.Summary,
			Timestamp:  timestamp(t),
			Type:       string(executor.EventDiagnostic),
			Diagnostic: &d,
		})
	}
}

// emit writes one line. The caller holds j.mu.
func (j *JSON) emit(line jsonLine) {
	if j.err != nil {
		return
	}
	if line.Type != "version" {
		line.Suite = j.opts.redact(j.opts.Suite)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(line); err != nil {
		j.err = fmt.Errorf("report: encoding %s event: %w", line.Type, err)
		return
	}
	j.write(escapeJSONControls(buf.Bytes()))
}

// writeRaw writes line, a whole event already encoded, as it is.
func (j *JSON) writeRaw(line []byte) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.write(line)
}

// write writes b unless a write has failed, and keeps the first error.
// The caller holds j.mu.
func (j *JSON) write(b []byte) {
	if j.err != nil {
		return
	}
	if _, err := j.w.Write(b); err != nil {
		j.err = fmt.Errorf("report: writing JSON event: %w", err)
	}
}

// escapeJSONControls writes the C1 controls and the characters that
// reorder or break lines (see escapeText) as \uXXXX escapes, which
// encoding/json leaves raw: a terminal showing the stream must not act on
// them. They can only occur inside strings, and an escape decodes to the
// same string, so consumers see no difference.
func escapeJSONControls(b []byte) []byte {
	clean := true
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r >= 0x80 && (r <= 0x9f || isBidiOrBreak(r)) {
			clean = false
			break
		}
		i += size
	}
	if clean {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r >= 0x80 && (r <= 0x9f || isBidiOrBreak(r)) {
			out = fmt.Appendf(out, `\u%04x`, r)
		} else {
			out = append(out, b[i:i+size]...)
		}
		i += size
	}
	return out
}
