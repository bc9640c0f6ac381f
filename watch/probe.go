package watch

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/fnprobe/fnprobe/executor"
	"github.com/fnprobe/fnprobe/report"
)

// Probe limits.
const (
	// MaxProbes bounds the probes running at once; more get 503.
	MaxProbes = 5
	// scrapeTimeoutOffset is taken off Prometheus' scrape timeout, so that
	// the answer arrives before Prometheus gives up, as the
	// blackbox_exporter does.
	scrapeTimeoutOffset = 500 * time.Millisecond
	// defaultProbeTimeout bounds a probe whose scraper sent no
	// X-Prometheus-Scrape-Timeout-Seconds (Prometheus' default scrape
	// timeout).
	defaultProbeTimeout = 10 * time.Second
	// maxProbeTimeout bounds every probe, within the server's WriteTimeout.
	maxProbeTimeout = 2 * time.Minute
)

// ProbeFunc plans the suite for just targets and tags (and what they
// depend on) and runs that plan once. Diagnostics with errors mean the
// selection is invalid (an unknown target): nothing ran.
type ProbeFunc func(ctx context.Context, targets, tags []string, obs executor.Observer) (*executor.Summary, hcl.Diagnostics, error)

// probeHandler serves /probe?target=invocation.NAME&tag=T: a run of just
// those invocations, now, answered with that run's invocation series plus
// probe_success and probe_duration_seconds, from a registry of its own.
type probeHandler struct {
	suite   func() *Suite // the current one: a reload replaces it
	timeout time.Duration // -timeout; 0: none
	sem     chan struct{}
	log     *slog.Logger
}

func (p *probeHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	targets, tags := q["target"], q["tag"]
	if len(targets) == 0 && len(tags) == 0 {
		http.Error(w, "give target=invocation.NAME or tag=TAG (repeatable)", http.StatusBadRequest)
		return
	}
	select {
	case p.sem <- struct{}{}:
		defer func() { <-p.sem }()
	default:
		http.Error(w, "too many probes at once; try again later", http.StatusServiceUnavailable)
		return
	}
	timeout, err := p.probeTimeout(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeoutCause(r.Context(), timeout, executor.ErrRunTimeout)
	defer cancel()

	suite := p.suite()
	if suite.Probe == nil {
		http.Error(w, "this suite cannot be probed", http.StatusNotFound)
		return
	}
	m := NewMetrics(suite.Redactor.String(suite.Name), 0)
	m.runs = false
	obs := m.Observer(slog.New(slog.DiscardHandler), report.Options{Files: suite.Files, Redactor: suite.Redactor})
	start := time.Now()
	summary, diags, err := p.run(ctx, suite.Probe, targets, tags, obs)
	duration := time.Since(start)
	if diags.HasErrors() {
		var b bytes.Buffer
		report.WriteDiagnostics(&b, diags, report.Options{Files: suite.Files, Redactor: suite.Redactor, Width: -1})
		http.Error(w, b.String(), http.StatusBadRequest)
		return
	}
	if err != nil {
		p.log.Error("internal error in a probe (this is a bug in fnprobe; please report it)",
			"error", suite.Redactor.String(err.Error()))
	}
	success := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "probe_success", Help: "Whether every error-severity check of the probed invocations held.",
	})
	if err == nil && summary != nil && summary.ExitCode == executor.ExitOK {
		success.Set(1)
	}
	dur := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "probe_duration_seconds", Help: "How long the probe took, in seconds.",
	})
	dur.Set(duration.Seconds())
	reg := prometheus.NewRegistry()
	reg.MustRegister(m, success, dur)
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true}).ServeHTTP(w, r)
}

// run runs the probe, turning a panic into an error: a probe cannot take
// the prober down.
func (p *probeHandler) run(ctx context.Context, probe ProbeFunc, targets, tags []string, obs executor.Observer) (s *executor.Summary, diags hcl.Diagnostics, err error) {
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, panicError{r, debug.Stack()}
		}
	}()
	return probe(ctx, targets, tags, obs)
}

type panicError struct {
	v     any
	stack []byte
}

func (e panicError) Error() string { return fmt.Sprintf("panic: %v\n%s", e.v, e.stack) }

// probeTimeout is the scrape timeout Prometheus announces minus
// scrapeTimeoutOffset (the whole of it when it is shorter than the
// offset), else defaultProbeTimeout; never more than -timeout nor
// maxProbeTimeout.
func (p *probeHandler) probeTimeout(r *http.Request) (time.Duration, error) {
	timeout := defaultProbeTimeout
	if h := r.Header.Get("X-Prometheus-Scrape-Timeout-Seconds"); h != "" {
		secs, err := strconv.ParseFloat(h, 64)
		if err != nil || secs <= 0 || secs > 24*3600 {
			return 0, errBadScrapeTimeout
		}
		timeout = time.Duration(secs * float64(time.Second))
		if timeout > scrapeTimeoutOffset {
			timeout -= scrapeTimeoutOffset
		}
	}
	if p.timeout > 0 && p.timeout < timeout {
		timeout = p.timeout
	}
	return min(timeout, maxProbeTimeout), nil
}

var errBadScrapeTimeout = httpError("X-Prometheus-Scrape-Timeout-Seconds must be a positive number of seconds")

type httpError string

func (e httpError) Error() string { return string(e) }
