package bench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/fnprobe/fnprobe/cli"
	"github.com/fnprobe/fnprobe/executor"
	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/providers/local"
)

// writeSuiteFile writes one suite file into a fresh directory.
func writeSuiteFile(tb testing.TB, src string) string {
	tb.Helper()
	dir := tb.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.probe.hcl"), []byte(src), 0o644); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// localsSuite: n locals, each reading the one before, and one invocation
// reading the last.
func localsSuite(n int) string {
	var sb strings.Builder
	sb.WriteString("provider \"local\" {}\nfunction \"echo\" {\n  command = [\"cat\"]\n}\nlocals {\n  l0 = 0\n")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&sb, "  l%d = local.l%d + 1\n", i, i-1)
	}
	fmt.Fprintf(&sb, "}\ninvocation \"x\" {\n  function = function.echo\n  payload  = { n = local.l%d }\n}\n", n-1)
	return sb.String()
}

// functionsSuite: n function blocks, each named in one invocation.
func functionsSuite(n int) string {
	var sb strings.Builder
	sb.WriteString("provider \"local\" {}\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&sb, "function \"f%d\" {\n  provider = provider.local\n  command  = [\"cat\"]\n}\n", i)
	}
	sb.WriteString("invocation \"x\" {\n  function = function.f0\n}\n")
	return sb.String()
}

// BenchmarkValidateLocals10k: validate and plan a suite of 10,000 locals,
// each referring to the one before. The budget is well under 1 s.
func BenchmarkValidateLocals10k(b *testing.B) {
	dir := writeSuiteFile(b, localsSuite(10000))
	reg := providers.Registry{"local": local.New()}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		validateAndPlan(b, dir, reg)
	}
}

// BenchmarkValidateFunctions10k: validate and plan a suite of 10,000
// function blocks. The budget is well under 1 s.
func BenchmarkValidateFunctions10k(b *testing.B) {
	dir := writeSuiteFile(b, functionsSuite(10000))
	reg := providers.Registry{"local": local.New()}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		validateAndPlan(b, dir, reg)
	}
}

// garbage is n bytes of HCL-ish noise: brackets, quotes, operators and
// words in random order, which the parser reports error after error.
func garbage(n int) string {
	const alphabet = "{}[]()\"=a1 \n.,#"
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// BenchmarkValidateGarbage100k: `fnprobe validate` of a 100 KB file of
// noise, diagnostics rendered (to io.Discard). The budget is well under
// 1 s: the first errors are shown and the rest counted.
func BenchmarkValidateGarbage100k(b *testing.B) {
	dir := writeSuiteFile(b, garbage(100_000))
	env := cli.Env{Stdout: io.Discard, Stderr: io.Discard, Registry: cli.NewRegistry(), Getenv: func(string) string { return "" }}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if code := cli.Main(context.Background(), []string{"validate", dir}, env); code != executor.ExitConfig {
			b.Fatalf("exit %d", code)
		}
	}
}

// A sample keeps under 1 KB per call once its calls are done: the round
// trip of each counted call (for exact percentiles), not its result. The
// heap retained by a run of 20,000 calls, its sample event and its result
// held, is measured after a collection.
func TestSampleMemoryPerCall(t *testing.T) {
	if testing.Short() {
		t.Skip("20,000 calls")
	}
	const calls = 20000
	reg := providers.Registry{"http": instantDriver{}}
	dir := writeSuiteFile(t, fmt.Sprintf(`provider "http" {}
function "echo" {
  url = "http://127.0.0.1:1/unused"
}
invocation "load" {
  function = function.echo
  payload  = { i = "1", pad = "%s" }
  sample {
    count       = %d
    concurrency = 16
  }
  expect {
    status = 200
  }
  assert {
    condition = self.stats.count == %d
  }
}
`, strings.Repeat("x", 2000), calls, calls))
	p := validateAndPlan(t, dir, reg)
	var kept []executor.Event
	obs := executor.ObserverFunc(func(e executor.Event) {
		if e.Type == executor.EventSample || e.Type == executor.EventResult {
			kept = append(kept, e)
		}
	})
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	before := heap()
	s, err := executor.Run(context.Background(), p, executor.Options{Parallelism: 4, Observer: obs})
	if err != nil || s.Passed != 1 {
		t.Fatalf("passed %d: %v", s.Passed, err)
	}
	after := heap()
	per := float64(int64(after)-int64(before)) / calls
	t.Logf("retained %.0f bytes per call (%d events kept)", per, len(kept))
	if per >= 1024 {
		t.Errorf("a sample retains %.0f bytes per call, want under 1 KB", per)
	}
	runtime.KeepAlive(kept)
	runtime.KeepAlive(p)
}
