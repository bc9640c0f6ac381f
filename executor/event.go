package executor

import (
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/stats"
)

// Status is the outcome of one invocation instance. Statuses are ordered so
// that merging two of them is taking the maximum, as Terraform's test runner
// does: Pending < Skip < Pass < Fail < Error.
type Status int

const (
	StatusPending Status = iota
	StatusSkip           // not run: disabled, a dependency failed, or the run stopped
	StatusPass           // answered, every error-severity assertion held
	StatusFail           // answered, an error-severity assertion failed
	StatusError          // could not be made or answered (transport, auth, throttling, timeout)
)

func (s Status) String() string {
	switch s {
	case StatusSkip:
		return "skip"
	case StatusPass:
		return "pass"
	case StatusFail:
		return "fail"
	case StatusError:
		return "error"
	}
	return "pending"
}

// Merge returns the more severe of two statuses.
func (s Status) Merge(o Status) Status {
	if o > s {
		return o
	}
	return s
}

// EventType names an event in the stream every report is built from.
type EventType string

const (
	EventRunStart   EventType = "run_start"         // Summary.Total is the number of selected instances
	EventStart      EventType = "invocation_start"  // Invocation
	EventAttempt    EventType = "attempt"           // Invocation, Attempt
	EventAssertion  EventType = "assertion"         // Invocation, Assertion
	EventResult     EventType = "invocation_result" // Invocation, Result
	EventOutputs    EventType = "outputs"           // Outputs
	EventDiagnostic EventType = "diagnostic"        // Diags: run-level problems (outputs that failed to evaluate ...)
	EventSummary    EventType = "summary"           // Summary
	EventSample     EventType = "sample"            // Invocation, Sample: a sampled invocation's statistics and gates, before its result
	EventProgress   EventType = "sample_progress"   // Invocation, Sample (calls so far): every 10 s of a long sample
)

// Event is one thing that happened during a run. Only the fields its Type
// names are set. The executor delivers events to its Observer one at a time
// (never concurrently), in the order they happened.
type Event struct {
	Type       EventType
	Time       time.Time
	Invocation *InvocationInfo
	Attempt    *AttemptInfo
	Assertion  *AssertionInfo
	Result     *ResultInfo
	Outputs    []OutputInfo
	Diags      hcl.Diagnostics
	Summary    *Summary
	Sample     *SampleInfo
	// Call is the 1-based number of the call of a sample an attempt or
	// assertion event belongs to (Options.SampleCalls); 0 otherwise.
	Call int
}

// InvocationInfo identifies an invocation instance.
type InvocationInfo struct {
	Addr     string    // invocation.NAME or invocation.NAME["KEY"]
	Name     string    // NAME
	Key      string    // for_each key, "" without for_each
	Provider string    // provider address, e.g. "provider.local" or "provider.alicloud_fc3.hz"
	Function string    // function address, e.g. "function.echo" or `function.ping["a"]`
	Tags     []string  // sorted
	Range    hcl.Range // the invocation block's declaration
}

// AttemptInfo describes one attempt at invoking.
type AttemptInfo struct {
	Number     int           // 1-based
	HTTPStatus int           // 0 when there was no answer
	Duration   time.Duration // round trip of this attempt
	Err        string        // transport error, "" when answered
	// Retry says another attempt follows; Reason says why ("transport",
	// "throttled", "unavailable", "until") and Wait how long fnprobe waits.
	Retry  bool
	Reason string
	Wait   time.Duration
	// Trace holds the requests the attempt made and their answers, when
	// Options.Trace asked for them (run -verbose); nil otherwise. Headers
	// that carry credentials are masked already; bodies are previews.
	Trace []providers.Exchange
}

// AssertionInfo is the outcome of one check of an invocation.
type AssertionInfo struct {
	Kind     string // "expect" or "assert"
	Name     string // "expect.status", "assert[0]" ...
	Passed   bool
	Severity string // "error" or "warn"
	// Diag is set when the check did not hold: a diagnostic whose Subject is
	// the checked expression, with Expression and EvalContext attached so the
	// renderer can print the values involved. Its Summary is the check's
	// failure summary, its Detail the error message.
	Diag *hcl.Diagnostic
	// Range is the checked expression's source range, for gates (the
	// sample summary shows their source); zero otherwise.
	Range hcl.Range
}

// ResultInfo is the final outcome of an invocation instance.
type ResultInfo struct {
	Status   Status
	Reason   string        // why it was skipped or errored; "" for pass and fail
	Duration time.Duration // wall time from start to result, retries included
	Attempts int
	// Value is the result object of DESIGN §1 (cty.NilVal when the
	// invocation was skipped or never answered). It may carry Sensitive marks.
	Value cty.Value
	// Diags holds the failed error- and warn-severity assertions, and for
	// StatusError the error itself as a diagnostic on the invocation block.
	Diags hcl.Diagnostics
	// Throttled counts the attempts the provider throttled (HTTP 429).
	Throttled int
	// Repro says how to make the request again (Options.Repro); nil when
	// not asked for, or when no request was made.
	Repro *ReproInfo

	call      *stats.Call // what a call of a sample adds to its statistics
	permanent bool        // an error that no retry, and no other call, can heal
}

// SampleInfo describes a sampled invocation: its plan, what was done, and
// its statistics (the stats object of the language) and gates once done.
type SampleInfo struct {
	Planned     int // count
	Warmup      int // warmup calls, left out of the statistics
	Concurrency int
	Rate        float64       // calls per second asked for; 0: as fast as concurrency allows
	Done        int           // calls finished, warmup included
	Failed      int           // calls that failed a check, so far
	Errored     int           // calls not answered, so far
	Elapsed     time.Duration // since the first call
	// Stats is the stats object (stats.Type()); cty.NilVal in progress
	// events. Gates are the gates' outcomes (asserts over self.stats),
	// in block order; the implicit gate, when there is one, comes last.
	Stats cty.Value
	Gates []*AssertionInfo
}

// OutputInfo is one output block's value.
type OutputInfo struct {
	Name      string
	Value     cty.Value // cty.NilVal when it could not be evaluated
	Sensitive bool
}

// Summary counts the run.
type Summary struct {
	Total       int
	Passed      int
	Failed      int
	Errored     int
	Skipped     int
	Warnings    int // warn-severity assertions that did not hold
	Duration    time.Duration
	ExitCode    int
	Interrupted bool
}

// Observer receives the event stream of a run.
type Observer interface {
	Event(Event)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(Event)

// Event calls f(e).
func (f ObserverFunc) Event(e Event) { f(e) }
