package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/cli"
	"github.com/fnprobe/fnprobe/executor"
)

// The real Prometheus server (Debian package prometheus) scrapes
// fnprobe watch on loopback, a /metrics job and a /probe job, and the
// series are read back through its HTTP query API: the passing invocation
// at 1, the failing one at 0, probe_success likewise, counters moving.
// Skipped when no prometheus binary is on PATH.
func TestWatchWithPrometheus(t *testing.T) {
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Skip("no prometheus binary on PATH (Debian package prometheus)")
	}
	if testing.Short() {
		t.Skip("starts a Prometheus server")
	}
	dir := t.TempDir()
	writeProbe(t, dir, watchSuite)
	var stdout, stderr syncBuffer
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- cli.Main(ctx, []string{"watch", "-every", "200ms", "-listen", "127.0.0.1:0", "-log-format", "json", "-name", "demo", dir}, cli.Env{
			Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }, Registry: cli.NewRegistry(), Width: -1,
		})
	}()
	defer func() {
		cancel(executor.ErrInterrupted)
		<-done
	}()
	addr := watchAddr(t, &stderr)

	// A free loopback port for Prometheus.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	promAddr := l.Addr().String()
	l.Close()
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: fnprobe
    static_configs:
      - targets: [%q]
  - job_name: fnprobe-probe
    metrics_path: /probe
    static_configs:
      - targets: ["ok", "invocation.bad"]
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: target
      - target_label: __address__
        replacement: %q
`, addr, addr)
	cfgPath := filepath.Join(t.TempDir(), "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	var promLog syncBuffer
	cmd := exec.Command(bin, "--config.file="+cfgPath, "--storage.tsdb.path="+t.TempDir(), "--web.listen-address="+promAddr)
	cmd.Stdout, cmd.Stderr = &promLog, &promLog
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()

	// query returns the value of the single series expr selects, or false.
	query := func(expr string) (float64, bool) {
		resp, err := http.Get("http://" + promAddr + "/api/v1/query?query=" + url.QueryEscape(expr))
		if err != nil {
			return 0, false
		}
		defer resp.Body.Close()
		var body struct {
			Data struct {
				Result []struct {
					Value [2]any `json:"value"`
				} `json:"result"`
			} `json:"data"`
		}
		if json.NewDecoder(resp.Body).Decode(&body) != nil || len(body.Data.Result) != 1 {
			return 0, false
		}
		s, _ := body.Data.Result[0].Value[1].(string)
		v, err := strconv.ParseFloat(s, 64)
		return v, err == nil
	}
	// waitValue waits until expr has the value want: it waits for
	// scrapes, asserting nothing about time.
	waitValue := func(expr string, ok func(float64) bool) float64 {
		t.Helper()
		var last float64
		for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
			if v, found := query(expr); found {
				last = v
				if ok(v) {
					return v
				}
			}
		}
		t.Fatalf("%s never held (last %v)\nprometheus:\n%s", expr, last, promLog.String())
		return 0
	}
	is := func(want float64) func(float64) bool { return func(v float64) bool { return v == want } }
	waitValue(`fnprobe_invocation_success{job="fnprobe",invocation="invocation.ok",suite="demo"}`, is(1))
	waitValue(`fnprobe_invocation_success{job="fnprobe",invocation="invocation.bad",suite="demo"}`, is(0))
	waitValue(`probe_success{job="fnprobe-probe",target="ok"}`, is(1))
	waitValue(`probe_success{job="fnprobe-probe",target="invocation.bad"}`, is(0))
	waitValue(`fnprobe_invocation_success{job="fnprobe-probe",target="ok",invocation="invocation.ok"}`, is(1))
	first := waitValue(`fnprobe_runs_total{job="fnprobe",outcome="fail",suite="demo"}`, func(v float64) bool { return v > 0 })
	waitValue(`fnprobe_runs_total{job="fnprobe",outcome="fail",suite="demo"}`, func(v float64) bool { return v > first })
	waitValue(`fnprobe_check_failures_total{job="fnprobe",check="expect.error",invocation="invocation.bad"}`, func(v float64) bool { return v > 0 })
}
