// Package bench holds fnprobe's performance benchmarks: planning a large
// suite, and the executor's own cost per invocation. Run them with
//
//	go test -run '^$' -bench . -benchmem ./bench/
//
// (bench/run.sh runs them and prints the numbers the README quotes).
package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/executor"
	"github.com/fnprobe/fnprobe/planner"
	"github.com/fnprobe/fnprobe/providers"
	httpprovider "github.com/fnprobe/fnprobe/providers/http"
	"github.com/fnprobe/fnprobe/providers/local"
	"github.com/fnprobe/fnprobe/spec"
)

// largeSuite writes a suite of fanout+chain invocations: one for_each over
// fanout keys and a chain of chain invocations, each reading its
// predecessor's result.
func largeSuite(tb testing.TB, fanout, chain int) string {
	tb.Helper()
	var sb strings.Builder
	sb.WriteString("provider \"local\" {}\n")
	sb.WriteString("function \"echo\" {\n  provider = provider.local\n  command  = [\"cat\"]\n}\n")
	sb.WriteString("locals {\n  keys = [")
	for i := 0; i < fanout; i++ {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "\"k%d\"", i)
	}
	sb.WriteString("]\n}\n")
	sb.WriteString(`invocation "fan" {
  for_each = toset(local.keys)
  function = function.echo
  payload  = { key = each.key }
  expect {
    json = { key = each.key }
  }
}
`)
	for i := 0; i < chain; i++ {
		payload := `"start"`
		if i > 0 {
			payload = fmt.Sprintf("invocation.c%d.body", i-1)
		}
		fmt.Fprintf(&sb, "invocation \"c%d\" {\n  function = function.echo\n  payload  = %s\n  expect {\n    status = 200\n  }\n}\n", i, payload)
	}
	dir := tb.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.probe.hcl"), []byte(sb.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	return dir
}

func validateAndPlan(tb testing.TB, dir string, reg providers.Registry) *planner.Plan {
	p, diags := buildPlan(tb, dir, reg)
	if diags.HasErrors() {
		tb.Fatal(diags.Error())
	}
	return p
}

// buildPlan loads dir and plans it; loading must succeed, planning's
// diagnostics are returned.
func buildPlan(tb testing.TB, dir string, reg providers.Registry) (*planner.Plan, hcl.Diagnostics) {
	parser := spec.NewParser()
	cfg, diags := spec.Load(parser, dir, spec.LoadOptions{Registry: reg, Getenv: func(string) string { return "" }})
	if diags.HasErrors() {
		tb.Fatal(diags.Error())
	}
	vals, diags := cfg.VariableValues(parser, spec.VarOptions{})
	if diags.HasErrors() {
		tb.Fatal(diags.Error())
	}
	return planner.Build(cfg, planner.Options{Registry: reg, Vars: vals})
}

// BenchmarkValidatePlan10k: parse, decode, resolve references, expand and
// plan 10,000 invocations (a for_each over 9,000 keys and a chain 1,000
// deep). The budget is 1 s and 200 MB.
func BenchmarkValidatePlan10k(b *testing.B) {
	dir := largeSuite(b, 9000, 1000)
	reg := providers.Registry{"local": local.New()}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		p := validateAndPlan(b, dir, reg)
		if len(p.Instances) != 10000 {
			b.Fatalf("%d instances", len(p.Instances))
		}
	}
}

// loopback serves a tiny JSON echo on 127.0.0.1.
func loopback(tb testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})}
	go srv.Serve(ln)
	tb.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// httpSuite is the suite of BenchmarkExecutorHTTP: each call sends its key
// and expects it back.
func httpSuite(tb testing.TB, url string, n int) string {
	return httpSuiteWith(tb, url, n, "{ key = each.key }", "{ key = each.key }")
}

// httpSuiteWith writes a suite of one http function and an invocation with
// a for_each over n keys, sending payload and expecting the status 200 and
// the body json.
func httpSuiteWith(tb testing.TB, url string, n int, payload, json string) string {
	src := fmt.Sprintf(`provider "http" {}
function "echo" {
  url    = %q
  method = "POST"
}
locals {
  keys = [%s]
}
invocation "call" {
  for_each = toset(local.keys)
  function = function.echo
  payload  = %s
  expect {
    status = 200
    json   = %s
  }
}
`, url, keyList(n), payload, json)
	dir := tb.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.probe.hcl"), []byte(src), 0o644); err != nil {
		tb.Fatal(err)
	}
	return dir
}

func keyList(n int) string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("%q", fmt.Sprintf("k%d", i))
	}
	return strings.Join(keys, ", ")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

const perOp = 2000 // invocations per benchmark iteration

// BenchmarkExecutorHTTP runs 2,000 invocations against a loopback HTTP
// function at parallelism 64 through the whole executor (scheduling,
// payload evaluation, retries bookkeeping, result objects, two checks each,
// events), and BenchmarkRawDriverHTTP makes the same calls through the same
// driver from 64 goroutines. The difference of their cpu-µs/inv metrics is
// the executor's own overhead per invocation (budget: well under 100 µs).
func BenchmarkExecutorHTTP(b *testing.B) {
	url := loopback(b)
	reg := providers.Registry{"http": httpprovider.New()}
	p := validateAndPlan(b, httpSuite(b, url, perOp), reg)
	runExecutor(b, p)
}

func BenchmarkRawDriverHTTP(b *testing.B) {
	url := loopback(b)
	drv := httpprovider.New()
	fn := cty.ObjectVal(map[string]cty.Value{
		"url": cty.StringVal(url), "method": cty.StringVal("POST"), "headers": cty.NullVal(cty.Map(cty.String)),
	})
	prov := cty.ObjectVal(map[string]cty.Value{
		"base_url": cty.NullVal(cty.String), "headers": cty.NullVal(cty.Map(cty.String)),
	})
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	for range b.N {
		var wg sync.WaitGroup
		work := make(chan int)
		for range 64 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range work {
					res, err := drv.Invoke(context.Background(), &providers.Request{
						Provider: prov, Function: fn, Type: providers.TypeSync,
						Payload: []byte(fmt.Sprintf(`{"key":"k%d"}`, i)),
					})
					if err != nil || res.Status != 200 {
						b.Errorf("invoke: %v", err)
					}
				}
			}()
		}
		for i := range perOp {
			work <- i
		}
		close(work)
		wg.Wait()
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-start).Microseconds())/float64(b.N*perOp), "cpu-µs/inv")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*perOp), "wall-µs/inv")
}

// instantDriver answers at once with the payload: the executor's own cost,
// with no network in the measurement.
type instantDriver struct{}

func (instantDriver) Schema() providers.Schema {
	return httpprovider.New().Schema()
}

func (instantDriver) Invoke(_ context.Context, req *providers.Request) (*providers.Result, error) {
	return &providers.Result{Status: 200, Body: req.Payload, Headers: map[string]string{"content-type": "application/json"}}, nil
}

// BenchmarkExecutorInstant is BenchmarkExecutorHTTP with a driver that
// answers instantly in-process: everything measured is the executor's own
// work per invocation (scheduling, evaluating the payload, building the
// result object, two checks, events).
func BenchmarkExecutorInstant(b *testing.B) {
	reg := providers.Registry{"http": instantDriver{}}
	p := validateAndPlan(b, httpSuite(b, "http://127.0.0.1:1/unused", perOp), reg)
	runExecutor(b, p)
}

// BenchmarkExecutorInstantLean is the invocation of bench/e2e.sh with the
// instant driver: a payload from each.key, a status and a constant
// expect.json, and lean results as `fnprobe run` without -json builds them
// (nothing reads the result object). It measures what the end-to-end run
// pays per invocation on top of the HTTP call.
func BenchmarkExecutorInstantLean(b *testing.B) {
	reg := providers.Registry{"http": instantStatusDriver{}}
	dir := httpSuiteWith(b, "http://127.0.0.1:1/unused", perOp, "{ i = each.key }", `{ status = "ok" }`)
	runExecutorOpts(b, validateAndPlan(b, dir, reg), executor.Options{LeanResults: true})
}

// instantStatusDriver answers at once with bench/echoserver's body.
type instantStatusDriver struct{ instantDriver }

func (instantStatusDriver) Invoke(context.Context, *providers.Request) (*providers.Result, error) {
	return &providers.Result{Status: 200, Body: []byte(`{"status":"ok","n":1}`), Headers: map[string]string{"content-type": "application/json"}}, nil
}

// runExecutor runs p b.N times at parallelism 64, every event delivered to an
// observer, and reports CPU and wall time per invocation.
func runExecutor(b *testing.B, p *planner.Plan) {
	runExecutorOpts(b, p, executor.Options{})
}

// runExecutorOpts is runExecutor with opts (Parallelism and Observer set
// here).
func runExecutorOpts(b *testing.B, p *planner.Plan, opts executor.Options) {
	obs := executor.ObserverFunc(func(executor.Event) {})
	opts.Parallelism, opts.Observer = 64, obs
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	for range b.N {
		s, err := executor.Run(context.Background(), p, opts)
		if err != nil || s.Passed != perOp {
			b.Fatalf("passed %d of %d: %v", s.Passed, perOp, err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-start).Microseconds())/float64(b.N*perOp), "cpu-µs/inv")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*perOp), "wall-µs/inv")
}
