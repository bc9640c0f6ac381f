package cli_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/cli"
	"github.com/fnprobe/fnprobe/executor"
)

// Memory and goroutines stay flat over many runs: fnprobe watch at a tiny
// interval against the emulator (-emulate: a Lambda function that answers,
// one that fails), measured after a warm-up and again after many more runs.
// The counts are of runs, not of time.
func TestWatchStaysFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("many runs")
	}
	dir := t.TempDir()
	// The emulator runs in this process (-emulate): its heap and
	// goroutines are measured too.
	emu := filepath.Join(t.TempDir(), "emulator.hcl")
	if err := os.WriteFile(emu, []byte(`credential "aws" {
  access_key_id     = "soak"
  access_key_secret = "soak-secret"
  region            = "us-east-1"
}

function "ok" {}

function "fail" {
  behavior = "fail"
  message  = "declined"
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	writeProbe(t, dir, `provider "aws_lambda" {
  region = "us-east-1"
}

function "ok" {
  name = "ok"
}

function "fail" {
  name = "fail"
}

invocation "ok" {
  function = function.ok
  payload  = { n = 1 }
  expect { status = 200 }
}

invocation "fail" {
  function = function.fail
  expect { error = false }
}
`)
	var stdout, stderr syncBuffer
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- cli.Main(ctx, []string{"watch", "-emulate", emu, "-every", "1ms", "-listen", "127.0.0.1:0", "-log-format", "json", "-name", "soak", dir}, cli.Env{
			Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }, Registry: cli.NewRegistry(), Width: -1,
		})
	}()
	defer func() {
		cancel(executor.ErrInterrupted)
		<-done
	}()
	addr := watchAddr(t, &stderr)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	runs := func() int {
		resp, err := client.Get("http://" + addr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, `fnprobe_runs_total{outcome="fail",suite="soak"} `); ok {
				n, _ := strconv.ParseFloat(v, 64)
				return int(n)
			}
		}
		return 0
	}
	waitRuns := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if runs() >= n {
				return
			}
		}
		t.Fatalf("fewer than %d runs", n)
	}
	measure := func() (goroutines int, heap uint64) {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return runtime.NumGoroutine(), ms.HeapAlloc
	}
	const warmup, more = 100, 1000
	waitRuns(warmup)
	g0, h0 := measure()
	waitRuns(warmup + more)
	g1, h1 := measure()
	t.Logf("after %d runs: %d goroutines, heap %d KiB; after %d: %d goroutines, heap %d KiB", warmup, g0, h0>>10, warmup+more, g1, h1>>10)
	// A run in flight holds a few goroutines: allow for one.
	if g1 > g0+10 {
		t.Errorf("goroutines grew from %d to %d over %d runs", g0, g1, more)
	}
	if h1 > h0+8<<20 {
		t.Errorf("heap grew from %d KiB to %d KiB over %d runs", h0>>10, h1>>10, more)
	}
	if n := strings.Count(stderr.String(), `"msg":"invocation failed"`); n != 1 {
		t.Errorf("%d 'invocation failed' lines over %d runs, want 1", n, warmup+more)
	}
}
