package watch

import (
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fnprobe/fnprobe/executor"
	"github.com/fnprobe/fnprobe/report"
)

// Beyond the limit, new invocation label sets are not tracked: counted
// as dropped, logged once; tracked ones keep updating.
func TestMetricsSeriesGuard(t *testing.T) {
	m := NewMetrics("s", 2)
	var logs strings.Builder
	for run := 0; run < 2; run++ {
		obs := m.Observer(newTestLogger(&logs), report.Options{})
		for i := range 5 {
			inv := &executor.InvocationInfo{Addr: fmt.Sprintf("invocation.i%d", i), Function: "function.f", Provider: "provider.local"}
			obs.Event(executor.Event{Type: executor.EventResult, Invocation: inv, Result: &executor.ResultInfo{Status: executor.StatusPass}})
		}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	var dropped float64
	for _, f := range fams {
		got[f.GetName()] = len(f.Metric)
		if f.GetName() == "fnprobe_invocation_results_dropped_total" {
			dropped = f.Metric[0].Counter.GetValue()
		}
	}
	if got["fnprobe_invocation_success"] != 2 {
		t.Errorf("%d success series, want 2 (the limit)", got["fnprobe_invocation_success"])
	}
	if dropped != 6 {
		t.Errorf("dropped = %v, want 6 (3 label sets × 2 runs)", dropped)
	}
	if n := strings.Count(logs.String(), "series limit reached"); n != 1 {
		t.Errorf("%d 'series limit reached' lines, want 1:\n%s", n, logs.String())
	}
}
