// Package watch is fnprobe's long-running prober (`fnprobe watch`): it
// runs a suite on a schedule, keeps the results of its invocations as
// Prometheus metrics, logs changes of state, and serves /metrics,
// /-/healthy and /-/ready.
//
// The suite is loaded by the caller (the cli package) and handed over as a
// Suite whose Run runs it once; this package owns what happens between and
// around runs: the schedule (Scheduler), the state of every invocation
// (Metrics, fed by the executor's events through an executor.Observer),
// the logs and the HTTP server.
package watch

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/fnprobe/fnprobe/executor"
	"github.com/fnprobe/fnprobe/report"
	"github.com/fnprobe/fnprobe/spec"
)

// Suite is a loaded suite, ready to run.
type Suite struct {
	Name     string               // the suite label (its PATH), before redaction
	Files    map[string]*hcl.File // source files, for diagnostics' snippets
	Redactor *spec.Redactor
	// Run runs the suite once, sending its events to obs. ctx carries the
	// run's -timeout and is cancelled by a shutdown that outlasts
	// -shutdown-timeout.
	Run func(ctx context.Context, obs executor.Observer) (*executor.Summary, error)
	// Probe runs a selection of the suite for /probe; nil: no /probe.
	Probe ProbeFunc
}

// Options configure Run.
type Options struct {
	Suite Suite
	// Every is the interval between scheduled starts; 0: none, the
	// process only serves /probe (and is ready at once).
	Every time.Duration
	// Timeout bounds each run (0: none), with executor.ErrRunTimeout as
	// the cause.
	Timeout time.Duration
	// ShutdownTimeout is how long the run in flight at shutdown may take
	// to finish before it is cancelled.
	ShutdownTimeout time.Duration
	Listener        net.Listener // where the HTTP server listens
	Log             *slog.Logger
	Version         string // fnprobe's, for fnprobe_build_info
	MaxSeries       int    // 0: DefaultMaxSeries
	Clock           Clock  // nil: RealClock
	Jitter          func(max time.Duration) time.Duration
	// Reload loads the suite again when Reloads delivers a request (its
	// trigger: "SIGHUP", a file name); nil: no reloads.
	Reload  ReloadFunc
	Reloads <-chan string
}

// Run runs the suite every opts.Every until ctx is done, serving the
// endpoints on opts.Listener meanwhile. When ctx is done it stops
// scheduling, gives the run in flight opts.ShutdownTimeout to finish,
// cancels it, then shuts the server down and returns.
func Run(ctx context.Context, opts Options) {
	w := newWatcher(opts)
	addr := opts.Listener.Addr()
	if !IsLoopback(addr) {
		w.log.Warn("listening on an address other machines can reach: the names of the suite's invocations, functions and providers become visible to them",
			"addr", addr.String())
	}
	reg := NewRegistry(w.metrics, opts.Version)
	reg.MustRegister(w.reloadState)
	if opts.Reload != nil && opts.Reloads != nil {
		reloadCtx, stopReloads := context.WithCancel(ctx)
		defer stopReloads()
		go w.reloads(reloadCtx, opts.Reloads)
	}
	h := &handler{reg: reg, ready: &w.ready, log: w.log}
	h.page = &statusHandler{suite: w.suite, metrics: w.metrics, ready: w.ready.Load, now: time.Now}
	if opts.Suite.Probe != nil {
		h.probe = &probeHandler{suite: w.current.Load, timeout: opts.Timeout, sem: make(chan struct{}, MaxProbes), log: w.log}
	}
	srv := serve(opts.Listener, h.routes(), w.log)
	if opts.Every == 0 {
		w.ready.Store(true)
		w.log.Info("serving /probe only", "suite", w.suite, "addr", addr.String())
		<-ctx.Done()
		w.log.Info("shutting down the HTTP server", "suite", w.suite)
		srv.shutdown()
		return
	}
	w.log.Info("watching", "suite", w.suite, "every", opts.Every.String(), "addr", addr.String())

	sched := &Scheduler{
		Every:    opts.Every,
		Shutdown: opts.ShutdownTimeout,
		Clock:    opts.Clock,
		Jitter:   opts.Jitter,
		Run:      w.runOnce,
		Skipped:  w.skipped,
	}
	sched.Loop(ctx)
	w.log.Info("stopped scheduling; shutting down the HTTP server", "suite", w.suite)
	srv.shutdown()
}

// watcher runs one suite for Run.
type watcher struct {
	opts    Options
	log     *slog.Logger
	suite   string // redacted
	metrics *Metrics
	ready   atomic.Bool // the first run finished
	// current is the suite runs and probes use: a reload replaces it.
	current     atomic.Pointer[Suite]
	reloadState *reloadState
}

func newWatcher(opts Options) *watcher {
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	suite := opts.Suite.Redactor.String(opts.Suite.Name)
	w := &watcher{opts: opts, log: log, suite: suite, metrics: NewMetrics(suite, opts.MaxSeries),
		reloadState: &reloadState{suite: suite, ok: true, at: time.Now()}}
	s := opts.Suite
	w.current.Store(&s)
	return w
}

// runOnce runs the suite once, within its -timeout. A panic is recovered
// here, logged and counted as the run outcome "internal": one run cannot
// take the prober down.
func (w *watcher) runOnce(ctx context.Context) {
	start := time.Now()
	outcome := RunInternal
	defer func() {
		if r := recover(); r != nil {
			w.log.Error("internal error: the run panicked (this is a bug in fnprobe; please report it)",
				"suite", w.suite, "panic", w.redact(fmt.Sprint(r)), "stack", w.redact(string(debug.Stack())))
			outcome = RunInternal
		}
		w.metrics.recordRun(outcome, time.Since(start))
		w.ready.Store(true)
	}()
	if w.opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, w.opts.Timeout, executor.ErrRunTimeout)
		defer cancel()
	}
	s := w.current.Load()
	obs := w.metrics.Observer(w.log, report.Options{Files: s.Files, Redactor: s.Redactor})
	summary, err := s.Run(ctx, obs)
	outcome = runOutcome(summary, err)
	if err != nil {
		w.log.Error("internal error in the run (this is a bug in fnprobe; please report it)",
			"suite", w.suite, "error", w.redact(err.Error()))
	}
}

func (w *watcher) redact(s string) string { return w.current.Load().Redactor.String(s) }

// skipped counts and logs a tick that found the previous run still going.
func (w *watcher) skipped() {
	w.metrics.recordSkippedTick()
	w.log.Warn("tick skipped: the previous run is still going", "suite", w.suite, "every", w.opts.Every.String())
}

// runOutcome is the outcome label of a run that returned summary and err.
func runOutcome(s *executor.Summary, err error) string {
	if err != nil || s == nil {
		return RunInternal
	}
	switch s.ExitCode {
	case executor.ExitOK:
		return RunPass
	case executor.ExitFailed:
		return RunFail
	case executor.ExitUnanswered:
		return RunError
	case executor.ExitConfig:
		return RunEmpty
	case executor.ExitInterrupted:
		return RunInterrupted
	}
	return RunInternal
}
