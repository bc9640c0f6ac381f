package cli_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/cli"
	"github.com/fnprobe/fnprobe/executor"
)

const watchSuite = `provider "local" {}

function "echo" {
  command = ["cat"]
}

function "broken" {
  command = ["sh", "-c", "echo nope; exit 3"]
}

invocation "ok" {
  function = function.echo
  payload  = "{}"
  expect { status = 200 }
}

invocation "bad" {
  function = function.broken
  expect { error = false }
}
`

// fnprobe watch with a short -every against local-provider functions:
// /metrics shows the passing invocation at 1 and the failing one at 0,
// the -json stream carries each run, and cancelling the context (what
// main.go does on SIGTERM and Ctrl-C) exits 0.
func TestWatchCommand(t *testing.T) {
	dir := t.TempDir()
	writeProbe(t, dir, watchSuite)
	var stdout, stderr syncBuffer
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- cli.Main(ctx, []string{"watch", "-every", "50ms", "-listen", "127.0.0.1:0", "-log-format", "json", "-json", "-name", "demo", dir}, cli.Env{
			Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }, Registry: cli.NewRegistry(), Width: -1,
		})
	}()
	defer func() {
		cancel(executor.ErrInterrupted)
		select {
		case <-done:
		case <-time.After(time.Minute):
			t.Error("watch does not stop")
		}
	}()

	// The address comes from the "watching" log line. These loops wait
	// for something to happen; they assert nothing about time.
	addr := watchAddr(t, &stderr)
	var metrics string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		metrics = string(b)
		if strings.Contains(metrics, `fnprobe_runs_total{outcome="fail",suite="demo"} 2`) {
			break
		}
	}
	for _, want := range []string{
		`fnprobe_invocation_success{function="function.echo",invocation="invocation.ok",provider="provider.local",suite="demo"} 1`,
		`fnprobe_invocation_success{function="function.broken",invocation="invocation.bad",provider="provider.local",suite="demo"} 0`,
		`fnprobe_check_failures_total{check="expect.error",function="function.broken",invocation="invocation.bad",provider="provider.local",suite="demo"}`,
		`fnprobe_runs_total{outcome="fail",suite="demo"} 2`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, metrics)
		}
	}
	cancel(executor.ErrInterrupted)
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d after shutdown, want 0\n%s", code, stderr.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("watch does not stop")
	}
	done <- 0 // for the deferred wait

	out := stdout.String()
	if n := strings.Count(out, `"type":"run_start"`); n < 2 {
		t.Errorf("-json: %d run_start events, want at least 2:\n%s", n, out)
	}
	if n := strings.Count(stderr.String(), `"msg":"invocation failed"`); n != 1 {
		t.Errorf("%d 'invocation failed' log lines, want 1 (one per change of state):\n%s", n, stderr.String())
	}
}

func TestWatchInvalidSuite(t *testing.T) {
	dir := t.TempDir()
	writeProbe(t, dir, `invocation "x" { function = function.nope }`)
	code, _, stderr := mainBounded(t, "watch", "-listen", "127.0.0.1:0", dir)
	if code != 2 || !strings.Contains(stderr, "function.nope") {
		t.Errorf("exit %d, want 2; stderr:\n%s", code, stderr)
	}
	for _, args := range [][]string{
		{"watch", "-every", "-1s", dir},
		{"watch", "-log-format", "xml", dir},
		{"watch", dir, dir},
	} {
		if code, _, stderr := mainBounded(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2; stderr:\n%s", args, code, stderr)
		}
	}
}

// -every 0 serves only /probe: ready at once, each probe a run of just
// its targets, answered with its own series and probe_success.
func TestWatchProbeOnly(t *testing.T) {
	dir := t.TempDir()
	writeProbe(t, dir, watchSuite)
	var stdout, stderr syncBuffer
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- cli.Main(ctx, []string{"watch", "-every", "0", "-listen", "127.0.0.1:0", "-log-format", "json", "-name", "demo", dir}, cli.Env{
			Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }, Registry: cli.NewRegistry(), Width: -1,
		})
	}()
	var addr string
	for deadline := time.Now().Add(30 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		sc := bufio.NewScanner(strings.NewReader(stderr.String()))
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "serving /probe only" {
				addr = line.Addr
			}
		}
	}
	if addr == "" {
		cancel(executor.ErrInterrupted)
		t.Fatalf("no 'serving /probe only' line:\n%s", stderr.String())
	}
	get := func(path string) (int, string) {
		req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
		req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "10")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/-/ready"); code != 200 {
		t.Errorf("/-/ready in probe-only mode: %d, want 200", code)
	}
	type answer struct {
		code int
		body string
	}
	results := make([]answer, 3)
	var wg sync.WaitGroup
	for i, path := range []string{"/probe?target=ok", "/probe?target=invocation.bad", "/probe?target=nope"} {
		wg.Add(1)
		go func() { // concurrently: probes share the suite
			defer wg.Done()
			code, body := get(path)
			results[i] = answer{code, body}
		}()
	}
	wg.Wait()
	ok, bad, unknown := results[0], results[1], results[2]
	if ok.code != 200 || !strings.Contains(ok.body, "probe_success 1") ||
		!strings.Contains(ok.body, `fnprobe_invocation_success{function="function.echo",invocation="invocation.ok",provider="provider.local",suite="demo"} 1`) ||
		strings.Contains(ok.body, "invocation.bad") || strings.Contains(ok.body, "fnprobe_runs_total") {
		t.Errorf("probe of ok: %d\n%s", ok.code, ok.body)
	}
	if bad.code != 200 || !strings.Contains(bad.body, "probe_success 0") || !strings.Contains(bad.body, "probe_duration_seconds") {
		t.Errorf("probe of bad: %d\n%s", bad.code, bad.body)
	}
	if unknown.code != 400 {
		t.Errorf("probe of an unknown target: %d, want 400\n%s", unknown.code, unknown.body)
	}
	if code, _ := get("/probe"); code != 400 {
		t.Errorf("/probe without target: %d, want 400", code)
	}
	cancel(executor.ErrInterrupted)
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d, want 0\n%s", code, stderr.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("watch does not stop")
	}
}

// settings { every } sets the interval when -every is not given.
func TestWatchSettingsEvery(t *testing.T) {
	dir := t.TempDir()
	writeProbe(t, dir, "settings {\n  every = \"7m\"\n}\n\n"+watchSuite)
	var stdout, stderr syncBuffer
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- cli.Main(ctx, []string{"watch", "-listen", "127.0.0.1:0", "-log-format", "json", dir}, cli.Env{
			Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }, Registry: cli.NewRegistry(), Width: -1,
		})
	}()
	every := ""
	for deadline := time.Now().Add(30 * time.Second); every == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		sc := bufio.NewScanner(strings.NewReader(stderr.String()))
		for sc.Scan() {
			var line struct{ Msg, Every string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "watching" {
				every = line.Every
			}
		}
	}
	cancel(executor.ErrInterrupted)
	if code := <-done; code != 0 {
		t.Errorf("exit %d\n%s", code, stderr.String())
	}
	if every != "7m0s" {
		t.Errorf("every = %q, want 7m0s from settings\n%s", every, stderr.String())
	}
}

// A change to a suite file reloads it: an invalid edit keeps the last good
// suite running and sets the reload gauge to 0; a valid one takes over.
// SIGHUP reloads too.
func TestWatchReload(t *testing.T) {
	dir := t.TempDir()
	writeProbe(t, dir, watchSuite)
	var stdout, stderr syncBuffer
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- cli.Main(ctx, []string{"watch", "-every", "50ms", "-listen", "127.0.0.1:0", "-log-format", "json", "-name", "demo", dir}, cli.Env{
			Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }, Registry: cli.NewRegistry(), Width: -1,
		})
	}()
	defer func() {
		cancel(executor.ErrInterrupted)
		select {
		case <-done:
		case <-time.After(time.Minute):
			t.Error("watch does not stop")
		}
	}()
	// waitFor polls until the log or /metrics has every string of want;
	// it waits for events, asserting nothing about time.
	var addr string
	waitFor := func(what string, want ...string) string {
		t.Helper()
		var metrics string
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			logs := stderr.String()
			if addr == "" {
				sc := bufio.NewScanner(strings.NewReader(logs))
				for sc.Scan() {
					var line struct{ Msg, Addr string }
					if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "watching" {
						addr = line.Addr
					}
				}
				continue
			}
			resp, err := http.Get("http://" + addr + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			metrics = string(b)
			all := true
			for _, w := range want {
				all = all && (strings.Contains(metrics, w) || strings.Contains(logs, w))
			}
			if all {
				return metrics
			}
		}
		t.Fatalf("%s: never saw %q\nlogs:\n%s\nmetrics:\n%s", what, want, stderr.String(), metrics)
		return ""
	}
	waitFor("start", `fnprobe_config_last_reload_successful{suite="demo"} 1`,
		`fnprobe_invocation_success{function="function.echo",invocation="invocation.ok",provider="provider.local",suite="demo"} 1`)

	writeProbe(t, dir, watchSuite+"\ninvocation \"broken\" {\n  function = function.nope\n}\n")
	waitFor("invalid edit", `fnprobe_config_last_reload_successful{suite="demo"} 0`, `"msg":"reload failed: the last good suite keeps running"`, "function.nope")
	runs := func(m string) string {
		for _, l := range strings.Split(m, "\n") {
			if strings.HasPrefix(l, `fnprobe_runs_total{outcome="fail",suite="demo"}`) {
				return l
			}
		}
		return ""
	}
	before := runs(waitFor("runs go on"))
	m := waitFor("runs go on")
	for runs(m) == before {
		m = waitFor("runs go on")
	}

	writeProbe(t, dir, watchSuite+"\ninvocation \"added\" {\n  function = function.echo\n  payload  = \"{}\"\n}\n")
	waitFor("valid edit", `fnprobe_config_last_reload_successful{suite="demo"} 1`, `"msg":"reloaded the suite"`,
		`fnprobe_invocation_success{function="function.echo",invocation="invocation.added",provider="provider.local",suite="demo"} 1`)

	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor("SIGHUP", `"trigger":"SIGHUP"`)
}

// -emulate aims the suite's cloud providers at the in-process emulator, as
// for run: a cloud example is watched offline.
func TestWatchEmulate(t *testing.T) {
	var stdout, stderr syncBuffer
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- cli.Main(ctx, []string{"watch", "-every", "50ms", "-listen", "127.0.0.1:0", "-log-format", "json", "-name", "aws",
			"-emulate", "../examples/aws/emulator.hcl", "../examples/aws"}, cli.Env{
			Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }, Registry: cli.NewRegistry(), Width: -1,
		})
	}()
	defer func() {
		cancel(executor.ErrInterrupted)
		<-done
	}()
	addr := watchAddr(t, &stderr)
	var metrics string
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		metrics = string(b)
		if strings.Contains(metrics, `fnprobe_runs_total{outcome="pass",suite="aws"} 2`) {
			return
		}
	}
	t.Errorf("no two passing runs against the emulator:\n%s\nlogs:\n%s", metrics, stderr.String())
}

// watchAddr waits for the "watching" log line (JSON logs) on stderr and
// returns the address it names. The loop waits for something to happen; it
// asserts nothing about time.
func watchAddr(t *testing.T, stderr *syncBuffer) string {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		sc := bufio.NewScanner(strings.NewReader(stderr.String()))
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "watching" && line.Addr != "" {
				return line.Addr
			}
		}
	}
	t.Fatalf("no 'watching' line:\n%s", stderr.String())
	return ""
}
