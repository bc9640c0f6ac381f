package watch

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/executor"
	"github.com/fnprobe/fnprobe/spec"
)

const secret = "s3cr3t-value"

// fakeSuite answers each run with a passing invocation (reporting a
// function duration), a failing one (expect.status) and one whose key
// holds a secret; a run it is told to panic panics.
type fakeSuite struct {
	proceed chan bool // true: panic
}

func (f *fakeSuite) run(ctx context.Context, obs executor.Observer) (*executor.Summary, error) {
	if <-f.proceed {
		panic("boom " + secret)
	}
	now := time.Now()
	emit := func(e executor.Event) { e.Time = now; obs.Event(e) }
	inv := func(addr string) *executor.InvocationInfo {
		return &executor.InvocationInfo{Addr: addr, Function: "function.echo", Provider: "provider.local"}
	}
	ok, bad, hidden := inv("invocation.ok"), inv(`invocation.bad["cn-hangzhou"]`), inv(`invocation.k["`+secret+`"]`)
	emit(executor.Event{Type: executor.EventRunStart, Summary: &executor.Summary{Total: 3}})
	emit(executor.Event{Type: executor.EventAttempt, Invocation: ok, Attempt: &executor.AttemptInfo{Number: 1, Duration: 20 * time.Millisecond}})
	emit(executor.Event{Type: executor.EventResult, Invocation: ok, Result: &executor.ResultInfo{
		Status: executor.StatusPass, Attempts: 1,
		Value: cty.ObjectVal(map[string]cty.Value{
			"function_duration_ms": cty.NumberIntVal(12),
			"billed_duration_ms":   cty.NullVal(cty.Number),
			"memory_mb":            cty.NumberIntVal(128).Mark(spec.Sensitive),
		}),
	}})
	emit(executor.Event{Type: executor.EventAttempt, Invocation: bad, Attempt: &executor.AttemptInfo{Number: 1, Duration: time.Second, Err: "connection refused", Retry: true}})
	emit(executor.Event{Type: executor.EventAttempt, Invocation: bad, Attempt: &executor.AttemptInfo{Number: 2, Duration: 3 * time.Second}})
	diag := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unexpected status", Detail: "expected 200, got 500 " + secret}
	emit(executor.Event{Type: executor.EventAssertion, Invocation: bad, Assertion: &executor.AssertionInfo{Kind: "expect", Name: "expect.status", Severity: "error", Diag: diag}})
	emit(executor.Event{Type: executor.EventResult, Invocation: bad, Result: &executor.ResultInfo{Status: executor.StatusFail, Attempts: 2, Diags: hcl.Diagnostics{diag}}})
	emit(executor.Event{Type: executor.EventResult, Invocation: hidden, Result: &executor.ResultInfo{Status: executor.StatusPass, Attempts: 1}})
	return &executor.Summary{Total: 3, Passed: 2, Failed: 1, ExitCode: executor.ExitFailed}, nil
}

func get(t *testing.T, url string, header ...string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

// scrape parses /metrics and returns each sample as "name{labels}" → value,
// labels sorted by name, as Prometheus prints them.
func scrape(t *testing.T, base string) map[string]float64 {
	t.Helper()
	code, _, body := get(t, base+"/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d\n%s", code, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parsing /metrics: %v\n%s", err, body)
	}
	out := map[string]float64{}
	for name, f := range fams {
		for _, m := range f.Metric {
			var ls []string
			for _, l := range m.Label {
				ls = append(ls, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			key := name + "{" + strings.Join(ls, ",") + "}"
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				out[key] = m.Counter.GetValue()
			case dto.MetricType_GAUGE:
				out[key] = m.Gauge.GetValue()
			case dto.MetricType_HISTOGRAM:
				out[name+"_count{"+strings.Join(ls, ",")+"}"] = float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return out
}

// normKey sorts the labels of a key written as name{a="x",b="y"}.
func normKey(k string) string {
	i := strings.IndexByte(k, '{')
	inner := k[i+1 : len(k)-1]
	var ls []string
	for len(inner) > 0 {
		// a label is name="value" with \" escapes; cut at the closing quote
		eq := strings.IndexByte(inner, '=')
		j := eq + 2
		for inner[j] != '"' {
			if inner[j] == '\\' {
				j++
			}
			j++
		}
		ls = append(ls, inner[:j+1])
		inner = strings.TrimPrefix(inner[j+1:], ",")
	}
	sort.Strings(ls)
	return k[:i+1] + strings.Join(ls, ",") + "}"
}

func TestServerMetricsReadinessShutdown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	clock := newFakeClock()
	suite := &fakeSuite{proceed: make(chan bool)}
	red := &spec.Redactor{}
	red.Add(secret)
	var logs strings.Builder
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		Run(ctx, Options{
			Suite:    Suite{Name: "orders", Redactor: red, Run: suite.run},
			Every:    time.Minute,
			Listener: ln,
			Log:      newTestLogger(&logs),
			Version:  "9.9.9",
			Clock:    clock,
			Jitter:   func(time.Duration) time.Duration { return 0 },
		})
	}()

	clock.next(t) // armed after the first run started
	if code, _, _ := get(t, base+"/-/healthy"); code != 200 {
		t.Errorf("/-/healthy: %d", code)
	}
	if code, _, _ := get(t, base+"/-/ready"); code != 503 {
		t.Errorf("/-/ready before the first run finished: %d, want 503", code)
	}
	suite.proceed <- false
	tm := clock.next(t) // re-armed: the first run is recorded
	if code, _, _ := get(t, base+"/-/ready"); code != 200 {
		t.Errorf("/-/ready after the first run: %d, want 200", code)
	}
	ok := `function="function.echo",invocation="invocation.ok",provider="provider.local",suite="orders"`
	bad := `function="function.echo",invocation="invocation.bad[\"cn-hangzhou\"]",provider="provider.local",suite="orders"`
	m := scrape(t, base)
	for k, want := range map[string]float64{
		"fnprobe_invocation_success{" + ok + "}":                                1,
		"fnprobe_invocation_success{" + bad + "}":                               0,
		"fnprobe_invocation_results_total{" + ok + `,outcome="pass"}`:           1,
		"fnprobe_invocation_results_total{" + ok + `,outcome="fail"}`:           0,
		"fnprobe_invocation_results_total{" + bad + `,outcome="fail"}`:          1,
		"fnprobe_invocation_attempts_total{" + bad + "}":                        2,
		"fnprobe_invocation_retries_total{" + bad + "}":                         1,
		"fnprobe_check_failures_total{check=\"expect.status\"," + bad[0:] + "}": 1,
		"fnprobe_invocation_duration_seconds_count{" + ok + "}":                 1,
		"fnprobe_invocation_duration_seconds_count{" + bad + "}":                1,
		"fnprobe_invocation_function_duration_seconds{" + ok + "}":              0.012,
		`fnprobe_runs_total{outcome="fail",suite="orders"}`:                     1,
		`fnprobe_runs_total{outcome="pass",suite="orders"}`:                     0,
		`fnprobe_run_duration_seconds_count{suite="orders"}`:                    1,
		`fnprobe_ticks_skipped_total{suite="orders"}`:                           0,
		`fnprobe_build_info{goversion="` + goVersion() + `",version="9.9.9"}`:   1,
	} {
		k = normKey(k)
		if got, found := m[k]; !found || got != want {
			t.Errorf("%s = %v (found %v), want %v", k, got, found, want)
		}
	}
	for k := range m {
		if strings.Contains(k, secret) {
			t.Errorf("a secret in a label: %s", k)
		}
		if strings.HasPrefix(k, "fnprobe_invocation_memory_bytes") || strings.HasPrefix(k, "fnprobe_invocation_billed_duration_seconds") {
			t.Errorf("%s exported from a sensitive or null value", k)
		}
	}
	if _, found := m[`fnprobe_invocation_success{function="function.echo",invocation="invocation.k[\"(sensitive)\"]",provider="provider.local",suite="orders"}`]; !found {
		t.Error("the invocation whose key is a secret is not exported redacted")
	}
	if _, found := m["go_goroutines{}"]; !found {
		t.Error("no Go collector")
	}

	// The status page.
	code, ct, page := get(t, base+"/")
	if code != 200 || !strings.HasPrefix(ct, "text/html") {
		t.Errorf("/: %d %s", code, ct)
	}
	for _, want := range []string{
		"invocation.ok", `<td class="pass">pass</td>`,
		"invocation.bad[&#34;cn-hangzhou&#34;]", `<td class="fail">fail</td>`,
		"Last failure", "Unexpected status", "(sensitive)",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the status page lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, secret) {
		t.Errorf("a secret on the status page:\n%s", page)
	}
	if code, _, _ := get(t, base+"/nope"); code != 404 {
		t.Errorf("/nope: %d, want 404", code)
	}

	// OpenMetrics when asked for.
	_, ct, body := get(t, base+"/metrics", "Accept", "application/openmetrics-text; version=1.0.0")
	if !strings.HasPrefix(ct, "application/openmetrics-text") || !strings.HasSuffix(body, "# EOF\n") {
		t.Errorf("OpenMetrics not negotiated: %s", ct)
	}

	// The second run: counters move.
	clock.fire(tm)
	clock.next(t) // armed after run 2 started
	suite.proceed <- false
	tm = clock.next(t)
	m = scrape(t, base)
	for k, want := range map[string]float64{
		"fnprobe_invocation_results_total{" + ok + `,outcome="pass"}`:  2,
		"fnprobe_invocation_results_total{" + bad + `,outcome="fail"}`: 2,
		`fnprobe_runs_total{outcome="fail",suite="orders"}`:            2,
	} {
		k = normKey(k)
		if got := m[k]; got != want {
			t.Errorf("after two runs %s = %v, want %v", k, got, want)
		}
	}

	// A run that panics is counted, and the prober goes on.
	clock.fire(tm)
	clock.next(t)
	suite.proceed <- true
	clock.next(t)
	m = scrape(t, base)
	if got := m[`fnprobe_runs_total{outcome="internal",suite="orders"}`]; got != 1 {
		t.Errorf(`runs_total{outcome="internal"} = %v, want 1`, got)
	}

	cancel()
	<-done
	if _, err := http.Get(base + "/-/healthy"); err == nil {
		t.Error("the server still answers after shutdown")
	}
	out := logs.String()
	for _, want := range []string{`msg="invocation failed"`, "Unexpected status", `msg="internal error: the run panicked`} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, secret) {
		t.Errorf("a secret in the logs:\n%s", out)
	}
	if n := strings.Count(out, `msg="invocation failed"`); n != 1 {
		t.Errorf("%d 'invocation failed' lines for one change of state, want 1:\n%s", n, out)
	}
}
