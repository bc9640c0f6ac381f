package watch

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/fnprobe/fnprobe/report"
)

// ReloadFunc loads the suite again. Diagnostics with errors mean the new
// suite is invalid: the returned Suite then only carries the Files and
// Redactor to render them with, and the last good suite keeps running.
type ReloadFunc func(ctx context.Context) (Suite, hcl.Diagnostics)

var (
	descReloadOK = prometheus.NewDesc("fnprobe_config_last_reload_successful",
		"Whether the last reload of the suite succeeded (1) or kept the last good suite (0).",
		[]string{"suite"}, nil)
	descReloadTime = prometheus.NewDesc("fnprobe_config_last_reload_success_timestamp_seconds",
		"When the suite was last loaded successfully (at start, or by a reload), as a Unix timestamp.",
		[]string{"suite"}, nil)
)

// reloadState is what the reload metrics export.
type reloadState struct {
	suite string
	mu    sync.Mutex
	ok    bool
	at    time.Time
}

func (r *reloadState) set(ok bool, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ok = ok
	if ok {
		r.at = at
	}
}

// Describe implements prometheus.Collector.
func (r *reloadState) Describe(ch chan<- *prometheus.Desc) {
	ch <- descReloadOK
	ch <- descReloadTime
}

// Collect implements prometheus.Collector.
func (r *reloadState) Collect(ch chan<- prometheus.Metric) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ok := 0.0
	if r.ok {
		ok = 1
	}
	ch <- prometheus.MustNewConstMetric(descReloadOK, prometheus.GaugeValue, ok, r.suite)
	ch <- prometheus.MustNewConstMetric(descReloadTime, prometheus.GaugeValue, unixSeconds(r.at), r.suite)
}

// reloads serves reload requests until ctx is done: each loads the suite
// again; a valid one replaces the suite for the next run and the next
// probe, an invalid one is logged with its diagnostics and the last good
// suite keeps running.
func (w *watcher) reloads(ctx context.Context, requests <-chan string) {
	for {
		select {
		case <-ctx.Done():
			return
		case why := <-requests:
			w.reload(ctx, why)
		}
	}
}

func (w *watcher) reload(ctx context.Context, why string) {
	s, diags := w.opts.Reload(ctx)
	if diags.HasErrors() {
		var b bytes.Buffer
		report.WriteDiagnostics(&b, diags, report.Options{Files: s.Files, Redactor: s.Redactor, Width: -1})
		w.reloadState.set(false, time.Now())
		w.log.Error("reload failed: the last good suite keeps running", "suite", w.suite, "trigger", why,
			"diagnostic", s.Redactor.String(strings.TrimRight(b.String(), "\n")))
		return
	}
	w.current.Store(&s)
	w.reloadState.set(true, time.Now())
	w.log.Info("reloaded the suite", "suite", w.suite, "trigger", why)
}
