package watch

import (
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fnprobe/fnprobe/executor"
)

// DefaultMaxSeries is how many invocation label sets (suite, invocation,
// function, provider) the metrics track at most. A result for a label set
// beyond it is counted in fnprobe_invocation_results_dropped_total and
// logged once, instead of growing the exposition without bound.
const DefaultMaxSeries = 10_000

// Invocation states, as the logs and (later) the status page show them.
const (
	StatePass  = "pass"
	StateWarn  = "warn" // passed, but a warn-severity assertion did not hold
	StateFail  = "fail"
	StateError = "error"
	StateSkip  = "skip"
)

// Run outcomes, the outcome label of fnprobe_runs_total.
const (
	RunPass        = "pass"        // every error-severity check held (exit 0)
	RunFail        = "fail"        // a check failed (exit 1)
	RunError       = "error"       // something could not be invoked or answered (exit 3)
	RunEmpty       = "empty"       // every selected invocation was disabled (exit 2)
	RunInterrupted = "interrupted" // cancelled by a shutdown that outlasted -shutdown-timeout
	RunInternal    = "internal"    // a bug: a panic or an internal error
)

var runOutcomes = []string{RunPass, RunFail, RunError, RunEmpty, RunInterrupted, RunInternal}

// resultOutcomes are the outcome label values of
// fnprobe_invocation_results_total, indexed as outcomeIndex says.
var resultOutcomes = []string{"pass", "fail", "error", "skip"}

func outcomeIndex(s executor.Status) int {
	switch s {
	case executor.StatusPass:
		return 0
	case executor.StatusFail:
		return 1
	case executor.StatusError:
		return 2
	}
	return 3
}

// Histogram buckets, in seconds.
var (
	invocationBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}
	runBuckets        = []float64{.1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}
)

var invocationLabels = []string{"suite", "invocation", "function", "provider"}

func withLabels(extra ...string) []string {
	return append(append([]string(nil), invocationLabels...), extra...)
}

var (
	descSuccess = prometheus.NewDesc("fnprobe_invocation_success",
		"Whether the last result of the invocation passed (1) or failed or errored (0); a skipped invocation keeps its value.",
		invocationLabels, nil)
	descResults = prometheus.NewDesc("fnprobe_invocation_results_total",
		"Results of the invocation by outcome: pass, fail, error, skip.",
		withLabels("outcome"), nil)
	descDuration = prometheus.NewDesc("fnprobe_invocation_duration_seconds",
		"Round trip of the answering attempt, in seconds.",
		invocationLabels, nil)
	descFunctionDuration = prometheus.NewDesc("fnprobe_invocation_function_duration_seconds",
		"Duration the provider reported for the function's execution, from the last result that had one.",
		invocationLabels, nil)
	descBilledDuration = prometheus.NewDesc("fnprobe_invocation_billed_duration_seconds",
		"Billed duration the provider reported, from the last result that had one.",
		invocationLabels, nil)
	descMemory = prometheus.NewDesc("fnprobe_invocation_memory_bytes",
		"Memory the provider reported for the function, from the last result that had one.",
		invocationLabels, nil)
	descAttempts = prometheus.NewDesc("fnprobe_invocation_attempts_total",
		"Attempts made at invoking, retries included.",
		invocationLabels, nil)
	descRetries = prometheus.NewDesc("fnprobe_invocation_retries_total",
		"Attempts that were followed by a retry (transport errors, throttling, unavailable, an unmet until).",
		invocationLabels, nil)
	descCheckFailures = prometheus.NewDesc("fnprobe_check_failures_total",
		"Checks that did not hold, by check: the expect attribute (expect.status) or the assert's position (assert[0]).",
		withLabels("check"), nil)
	descLastSuccess = prometheus.NewDesc("fnprobe_invocation_last_success_timestamp_seconds",
		"When the invocation last passed, as a Unix timestamp.",
		invocationLabels, nil)
	descRuns = prometheus.NewDesc("fnprobe_runs_total",
		"Runs of the suite by outcome: pass, fail, error, empty, interrupted, internal.",
		[]string{"suite", "outcome"}, nil)
	descRunDuration = prometheus.NewDesc("fnprobe_run_duration_seconds",
		"Wall time of a run of the suite, in seconds.",
		[]string{"suite"}, nil)
	descTicksSkipped = prometheus.NewDesc("fnprobe_ticks_skipped_total",
		"Scheduled runs not started because the previous run was still going.",
		[]string{"suite"}, nil)
	descDropped = prometheus.NewDesc("fnprobe_invocation_results_dropped_total",
		"Results not recorded because the number of invocation label sets reached its limit.",
		[]string{"suite"}, nil)
)

// histogram is a Prometheus histogram's state, exported at scrape time.
type histogram struct {
	bounds []float64
	counts []uint64 // per bucket, not cumulative; one more for +Inf
	sum    float64
	count  uint64
}

func newHistogram(bounds []float64) histogram {
	return histogram{bounds: bounds, counts: make([]uint64, len(bounds)+1)}
}

func (h *histogram) observe(v float64) {
	i := sort.SearchFloat64s(h.bounds, v) // first bound ≥ v
	h.counts[i]++
	h.sum += v
	h.count++
}

func (h *histogram) metric(desc *prometheus.Desc, labels ...string) (prometheus.Metric, error) {
	buckets := make(map[float64]uint64, len(h.bounds))
	var cum uint64
	for i, b := range h.bounds {
		cum += h.counts[i]
		buckets[b] = cum
	}
	return prometheus.NewConstHistogram(desc, h.count, h.sum, buckets, labels...)
}

// seriesKey is an invocation's label set, each value redacted.
type seriesKey struct{ invocation, function, provider string }

// invocation is what the metrics know of one invocation label set.
type invocation struct {
	key     seriesKey
	state   string // "" until the first result
	since   time.Time
	success float64 // -1 until a result that passed, failed or errored
	results [4]float64
	// attempts and retries: counters; duration: the answering attempts.
	attempts, retries float64
	duration          histogram
	// Provider-reported values of the last result that had them; nil:
	// never reported.
	functionDuration, billedDuration, memory *float64
	lastSuccess                              time.Time
	checks                                   map[string]float64 // by check
	// The last result, for the logs and the status page.
	lastDuration time.Duration
	lastAttempts int
	lastDiag     string    // the rendered diagnostic of the last failure
	lastDiagAt   time.Time // when it happened
}

// Metrics holds the state of one suite's invocations and runs, and exports
// it as a prometheus.Collector when scraped: the executor's events update
// it (through Observer), nothing is computed at scrape time but the
// exposition.
type Metrics struct {
	suite string
	max   int
	// runs: whether to export the run-level series (the scheduled
	// prober); a /probe answers only its invocations' series.
	runs bool

	mu       sync.Mutex
	invs     map[seriesKey]*invocation
	runCount map[string]float64
	runDur   histogram
	skipped  float64
	dropped  float64
}

// NewMetrics returns empty metrics for the suite named suite (already
// redacted), tracking at most max invocation label sets (0:
// DefaultMaxSeries).
func NewMetrics(suite string, max int) *Metrics {
	if max <= 0 {
		max = DefaultMaxSeries
	}
	m := &Metrics{
		suite:    suite,
		max:      max,
		runs:     true,
		invs:     map[seriesKey]*invocation{},
		runCount: map[string]float64{},
		runDur:   newHistogram(runBuckets),
	}
	for _, o := range runOutcomes {
		m.runCount[o] = 0
	}
	return m
}

// recordRun counts a finished run.
func (m *Metrics) recordRun(outcome string, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.runCount[outcome]++
	m.runDur.observe(d.Seconds())
}

// recordSkippedTick counts a tick skipped because a run was still going.
func (m *Metrics) recordSkippedTick() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.skipped++
}

// outcome is one invocation result, as the observer gathered it from the
// events of a run.
type outcome struct {
	key      seriesKey
	at       time.Time
	status   executor.Status
	warn     bool
	attempts int // attempt events
	retries  int
	answered *time.Duration // round trip of the last attempt, when answered
	// Provider-reported values, nil when not reported.
	functionDuration, billedDuration, memory *float64
	checks                                   []string // failed checks
	duration                                 time.Duration
	resultAttempts                           int
	diag                                     string // rendered, for fail, error and warn
}

func (o *outcome) state() string {
	switch o.status {
	case executor.StatusPass:
		if o.warn {
			return StateWarn
		}
		return StatePass
	case executor.StatusFail:
		return StateFail
	case executor.StatusError:
		return StateError
	}
	return StateSkip
}

// record applies a result. It returns the invocation's previous state (""
// for its first result), and dropped: the result was not recorded because
// the series limit is reached; first: this is the first result dropped.
func (m *Metrics) record(o *outcome) (prev string, dropped, first bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	inv := m.invs[o.key]
	if inv == nil {
		if len(m.invs) >= m.max {
			m.dropped++
			return "", true, m.dropped == 1
		}
		inv = &invocation{key: o.key, success: -1, duration: newHistogram(invocationBuckets), checks: map[string]float64{}}
		m.invs[o.key] = inv
	}
	prev = inv.state
	cur := o.state()
	if cur != prev {
		inv.state, inv.since = cur, o.at
	}
	inv.results[outcomeIndex(o.status)]++
	switch o.status {
	case executor.StatusPass:
		inv.success = 1
		inv.lastSuccess = o.at
	case executor.StatusFail, executor.StatusError:
		inv.success = 0
	}
	inv.attempts += float64(o.attempts)
	inv.retries += float64(o.retries)
	if o.answered != nil {
		inv.duration.observe(o.answered.Seconds())
	}
	for _, v := range []struct{ from, to **float64 }{
		{&o.functionDuration, &inv.functionDuration},
		{&o.billedDuration, &inv.billedDuration},
		{&o.memory, &inv.memory},
	} {
		if *v.from != nil {
			*v.to = *v.from
		}
	}
	for _, c := range o.checks {
		inv.checks[c]++
	}
	if o.status != executor.StatusSkip {
		inv.lastDuration, inv.lastAttempts = o.duration, o.resultAttempts
	}
	if o.diag != "" {
		inv.lastDiag, inv.lastDiagAt = o.diag, o.at
	}
	return prev, false, false
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		descSuccess, descResults, descDuration, descFunctionDuration, descBilledDuration,
		descMemory, descAttempts, descRetries, descCheckFailures, descLastSuccess,
	} {
		ch <- d
	}
	if m.runs {
		for _, d := range []*prometheus.Desc{descRuns, descRunDuration, descTicksSkipped, descDropped} {
			ch <- d
		}
	}
}

// Collect implements prometheus.Collector. A label value that is not valid
// UTF-8 cannot be exported: its metric is left out.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	m.mu.Lock()
	defer m.mu.Unlock()
	send := func(metric prometheus.Metric, err error) {
		if err == nil {
			ch <- metric
		}
	}
	for _, inv := range m.invs {
		l := []string{m.suite, inv.key.invocation, inv.key.function, inv.key.provider}
		with := func(v string) []string { return append(append([]string(nil), l...), v) }
		if inv.success >= 0 {
			send(prometheus.NewConstMetric(descSuccess, prometheus.GaugeValue, inv.success, l...))
		}
		for i, o := range resultOutcomes {
			send(prometheus.NewConstMetric(descResults, prometheus.CounterValue, inv.results[i], with(o)...))
		}
		send(inv.duration.metric(descDuration, l...))
		for _, g := range []struct {
			desc  *prometheus.Desc
			value *float64
		}{
			{descFunctionDuration, inv.functionDuration},
			{descBilledDuration, inv.billedDuration},
			{descMemory, inv.memory},
		} {
			if g.value != nil {
				send(prometheus.NewConstMetric(g.desc, prometheus.GaugeValue, *g.value, l...))
			}
		}
		send(prometheus.NewConstMetric(descAttempts, prometheus.CounterValue, inv.attempts, l...))
		send(prometheus.NewConstMetric(descRetries, prometheus.CounterValue, inv.retries, l...))
		for c, n := range inv.checks {
			send(prometheus.NewConstMetric(descCheckFailures, prometheus.CounterValue, n, with(c)...))
		}
		if !inv.lastSuccess.IsZero() {
			send(prometheus.NewConstMetric(descLastSuccess, prometheus.GaugeValue, unixSeconds(inv.lastSuccess), l...))
		}
	}
	if !m.runs {
		return
	}
	for o, n := range m.runCount {
		send(prometheus.NewConstMetric(descRuns, prometheus.CounterValue, n, m.suite, o))
	}
	send(m.runDur.metric(descRunDuration, m.suite))
	send(prometheus.NewConstMetric(descTicksSkipped, prometheus.CounterValue, m.skipped, m.suite))
	send(prometheus.NewConstMetric(descDropped, prometheus.CounterValue, m.dropped, m.suite))
}

func unixSeconds(t time.Time) float64 {
	return float64(t.UnixNano()) / 1e9
}

// Row is one invocation as the status page shows it.
type Row struct {
	Invocation, Function, Provider string // redacted
	State                          string // pass, warn, fail, error, skip
	Since                          time.Time
	LastDuration                   time.Duration
	LastAttempts                   int
	LastFailure                    string // rendered diagnostic, redacted; "" when none
	LastFailureAt                  time.Time
}

// Rows returns the state of every tracked invocation, sorted by address.
func (m *Metrics) Rows() []Row {
	m.mu.Lock()
	rows := make([]Row, 0, len(m.invs))
	for _, inv := range m.invs {
		rows = append(rows, Row{
			Invocation: inv.key.invocation, Function: inv.key.function, Provider: inv.key.provider,
			State: inv.state, Since: inv.since,
			LastDuration: inv.lastDuration, LastAttempts: inv.lastAttempts,
			LastFailure: inv.lastDiag, LastFailureAt: inv.lastDiagAt,
		})
	}
	m.mu.Unlock()
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Invocation != rows[j].Invocation {
			return rows[i].Invocation < rows[j].Invocation
		}
		return rows[i].Function < rows[j].Function
	})
	return rows
}
