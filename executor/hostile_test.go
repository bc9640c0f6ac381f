package executor_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/cli"
	"github.com/fnprobe/fnprobe/executor"
	"github.com/fnprobe/fnprobe/planner"
	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/providers/aws"
	httpprovider "github.com/fnprobe/fnprobe/providers/http"
	"github.com/fnprobe/fnprobe/spec"
)

// These tests run the executor through real drivers against hostile
// servers on loopback: the faults a release gate must not pass.

// planWith writes src as a suite and plans it against reg.
func planWith(t *testing.T, reg providers.Registry, src string) *planner.Plan {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.probe.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	parser := spec.NewParser()
	cfg, diags := spec.Load(parser, dir, spec.LoadOptions{Registry: reg, Getenv: func(string) string { return "" }})
	if diags.HasErrors() {
		t.Fatalf("load: %s", diags.Error())
	}
	vals, diags := cfg.VariableValues(parser, spec.VarOptions{})
	if diags.HasErrors() {
		t.Fatalf("variables: %s", diags.Error())
	}
	p, diags := planner.Build(cfg, planner.Options{Registry: reg, Vars: vals})
	if diags.HasErrors() {
		t.Fatalf("plan: %s", diags.Error())
	}
	return p
}

// httpSuite is a suite with one http function at url and the given
// invocation body.
func httpSuite(t *testing.T, url, invocation string) *planner.Plan {
	t.Helper()
	d := httpprovider.New()
	t.Cleanup(func() { d.Close() })
	return planWith(t, providers.Registry{"http": d}, fmt.Sprintf(`
provider "http" {}
function "f" {
  provider = provider.http
  url      = %q
}
invocation "i" {
  function = function.f
%s
}
`, url, invocation))
}

func hostile(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func detail(r *executor.ResultInfo) string {
	var b strings.Builder
	for _, d := range r.Diags {
		b.WriteString(d.Summary + ": " + d.Detail + "\n")
	}
	return b.String()
}

func TestHostileBodies(t *testing.T) {
	tests := []struct {
		name       string
		h          http.HandlerFunc
		invocation string
		want       string
	}{
		{
			name: "endless body",
			h: func(w http.ResponseWriter, r *http.Request) {
				chunk := []byte(strings.Repeat("e", 64<<10))
				for {
					if _, err := w.Write(chunk); err != nil {
						return
					}
				}
			},
			want: "error: could not invoke: http: POST",
		},
		{
			name: "huge Content-Length",
			h: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", strconv.Itoa(1<<40))
				w.Write([]byte(`{"ok":true}`))
				w.(http.Flusher).Flush()
				<-r.Context().Done()
			},
			want: "error: could not invoke: http: POST",
		},
		{
			name: "trickle beyond the timeout",
			h: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(200)
				for r.Context().Err() == nil {
					w.Write([]byte(" "))
					w.(http.Flusher).Flush()
					time.Sleep(10 * time.Millisecond)
				}
			},
			invocation: `timeout = "300ms"`,
			want:       "error: could not invoke: timed out after 300ms",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := hostile(t, tt.h)
			p := httpSuite(t, srv.URL, tt.invocation)
			b := providers.NewBudget(0)
			s, rec := run(t, context.Background(), p, executor.Options{Budget: b})
			wantStatus(t, rec.results(), map[string]string{"invocation.i": tt.want})
			if s.ExitCode != executor.ExitUnanswered {
				t.Errorf("exit code %d, want 3", s.ExitCode)
			}
			if r := rec.results()["invocation.i"]; tt.name != "trickle beyond the timeout" && !strings.Contains(r.Reason, "response body exceeds the 64 MiB limit") {
				t.Errorf("reason %q does not name the limit", r.Reason)
			}
			if b.InUse() != 0 {
				t.Errorf("%d bytes of budget still held", b.InUse())
			}
			if p := b.Peak(); p > b.Size() {
				t.Errorf("peak %d over the budget", p)
			}
		})
	}
}

// A number of two million digits is decoded in linear time (kept as its
// text) and the invocation is judged within its timeout.
func TestHostileHugeNumber(t *testing.T) {
	digits := strings.Repeat("7", 2_000_000)
	srv, _ := hostile(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"n":%s,"m":12}`, digits)
	})
	p := httpSuite(t, srv.URL, `
  timeout = "5s"
  assert {
    condition = self.json.n != "" && self.json.m == 12
  }
`)
	s, rec := run(t, context.Background(), p, executor.Options{})
	wantStatus(t, rec.results(), map[string]string{"invocation.i": "pass"})
	if s.ExitCode != executor.ExitOK {
		t.Errorf("exit code %d: %s", s.ExitCode, detail(rec.results()["invocation.i"]))
	}
}

// An answer decoded and checked after the attempt's deadline does not pass.
func TestLateAnswerDoesNotPass(t *testing.T) {
	big := "[" + strings.Repeat(`{"a":[1,2,3],"b":"x"},`, 400_000) + "0]"
	drv := &testDriver{funcs: map[string]func(context.Context, *providers.Request) (*providers.Result, error){
		"big": func(ctx context.Context, _ *providers.Request) (*providers.Result, error) {
			return ok(big)
		},
	}}
	p := plan(t, drv, fn("big")+`
invocation "late" {
  function = function.big
  timeout  = "1ms"
  assert { condition = length(self.json) > 0 }
}
`)
	s, rec := run(t, context.Background(), p, executor.Options{})
	r := rec.results()["invocation.late"]
	if r.Status != executor.StatusError || !strings.Contains(r.Reason, "timed out after 1ms") {
		t.Errorf("got %s %q, want an error: timed out", r.Status, r.Reason)
	}
	if s.ExitCode != executor.ExitUnanswered {
		t.Errorf("exit code %d, want 3", s.ExitCode)
	}
}

// The run's context ending while an answer is checked: not a pass.
func TestRunTimeoutDuringChecksDoesNotPass(t *testing.T) {
	big := "[" + strings.Repeat(`{"a":[1,2,3],"b":"x"},`, 400_000) + "0]"
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	drv := &testDriver{funcs: map[string]func(context.Context, *providers.Request) (*providers.Result, error){
		"big": func(ctx context.Context, _ *providers.Request) (*providers.Result, error) {
			// -timeout fires just after the answer arrived.
			go func() { time.Sleep(time.Millisecond); cancel(executor.ErrRunTimeout) }()
			return ok(big)
		},
	}}
	p := plan(t, drv, fn("big")+`
invocation "cut" {
  function = function.big
  assert { condition = length(self.json) > 0 }
}
`)
	_, rec := run(t, ctx, p, executor.Options{})
	r := rec.results()["invocation.cut"]
	if r.Status == executor.StatusPass {
		t.Fatalf("passed after -timeout: %+v", r)
	}
	if !strings.Contains(r.Reason, "timed out (-timeout)") {
		t.Errorf("reason %q", r.Reason)
	}
}

// An API error (the invoke API refused: bad signature) ends the invocation
// as an error with the cloud's code and message; it never reaches until,
// and is not retried.
func TestAPIErrorNeverReachesUntil(t *testing.T) {
	srv, calls := hostile(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Amzn-ErrorType", "InvalidSignatureException")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(403)
		fmt.Fprint(w, `{"message":"The request signature we calculated does not match the signature you provided."}`)
	})
	suite := func(invocation string) *planner.Plan {
		d := aws.New()
		t.Cleanup(func() { d.Close() })
		return planWith(t, providers.Registry{"aws_lambda": d}, fmt.Sprintf(`
provider "aws_lambda" {
  region     = "us-east-1"
  endpoint   = %q
  access_key = "AKID"
  secret_key = "wrong"
}
function "f" {
  provider = provider.aws_lambda
  name     = "orders"
}
invocation "i" {
  function = function.f
%s
}
`, srv.URL, invocation))
	}

	p := suite(`
  retry {
    attempts = 3
    until    = self.json.count >= 1
  }
`)
	s, rec := run(t, context.Background(), p, executor.Options{})
	wantStatus(t, rec.results(), map[string]string{
		"invocation.i": "error: the service answered HTTP 403 InvalidSignatureException: The request signature we calculated",
	})
	if s.ExitCode != executor.ExitUnanswered {
		t.Errorf("exit code %d, want 3", s.ExitCode)
	}
	if calls.Load() != 1 {
		t.Errorf("%d calls, want 1: an API error is not retried", calls.Load())
	}
	if d := detail(rec.results()["invocation.i"]); strings.Contains(d, "count") {
		t.Errorf("until was evaluated: %s", d)
	}

	// Expecting exactly that answer makes it a result to check.
	calls.Store(0)
	p = suite(`
  expect { error_code = "InvalidSignatureException" }
`)
	s, rec = run(t, context.Background(), p, executor.Options{})
	wantStatus(t, rec.results(), map[string]string{"invocation.i": "pass"})
	if s.ExitCode != executor.ExitOK {
		t.Errorf("exit code %d, want 0", s.ExitCode)
	}
}

// An https URL answered in plain HTTP cannot heal: one attempt, and a hint.
func TestPlainHTTPOnHTTPSIsPermanent(t *testing.T) {
	srv, calls := hostile(t, func(w http.ResponseWriter, r *http.Request) {})
	p := httpSuite(t, strings.Replace(srv.URL, "http://", "https://", 1), `
  retry { attempts = 3 }
`)
	s, rec := run(t, context.Background(), p, executor.Options{})
	r := rec.results()["invocation.i"]
	if r.Status != executor.StatusError || s.ExitCode != executor.ExitUnanswered {
		t.Fatalf("got %s, exit %d; want error, exit 3", r.Status, s.ExitCode)
	}
	if r.Attempts != 1 || len(rec.attempts("invocation.i")) != 1 {
		t.Errorf("%d attempts, want 1: a permanent error is not retried", r.Attempts)
	}
	if d := detail(r); !strings.Contains(d, "write http:// instead of https://") || !strings.Contains(d, "not retried") {
		t.Errorf("no hint: %s", d)
	}
	if calls.Load() != 0 {
		t.Errorf("the handler ran %d times", calls.Load())
	}
}

// A certificate the client does not trust cannot heal either.
func TestUntrustedCertificateIsPermanent(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.Config.ErrorLog = nil
	t.Cleanup(srv.Close)
	p := httpSuite(t, srv.URL, `  retry { attempts = 3 }`)
	_, rec := run(t, context.Background(), p, executor.Options{})
	r := rec.results()["invocation.i"]
	if r.Status != executor.StatusError || r.Attempts != 1 || !strings.Contains(detail(r), "not trusted") {
		t.Errorf("got %s after %d attempts: %s", r.Status, r.Attempts, detail(r))
	}
}

// A driver's Permanent error, and a command that does not exist, are not
// retried.
func TestPermanentErrorsNotRetried(t *testing.T) {
	var calls atomic.Int32
	drv := &testDriver{funcs: map[string]func(context.Context, *providers.Request) (*providers.Result, error){
		"perm": func(context.Context, *providers.Request) (*providers.Result, error) {
			calls.Add(1)
			return nil, providers.Permanent(errors.New("no such thing"), "Fix the thing.")
		},
		"marked": func(context.Context, *providers.Request) (*providers.Result, error) {
			calls.Add(1)
			return nil, fmt.Errorf("local: cannot start ./run.sh: %w", markedPermanent{})
		},
		"nocmd": func(context.Context, *providers.Request) (*providers.Result, error) {
			calls.Add(1)
			_, err := exec.LookPath("fnprobe-no-such-command")
			return nil, fmt.Errorf("local: cannot start fnprobe-no-such-command: %w", err)
		},
	}}
	p := plan(t, drv, fn("perm")+fn("nocmd")+fn("marked")+`
invocation "a" {
  function = function.perm
  retry { attempts = 4 }
}
invocation "b" {
  function = function.nocmd
  retry { attempts = 4 }
}
invocation "c" {
  function = function.marked
  retry { attempts = 4 }
}
`)
	_, rec := run(t, context.Background(), p, executor.Options{})
	wantStatus(t, rec.results(), map[string]string{
		"invocation.a": "error: could not invoke: no such thing",
		"invocation.b": "error: could not invoke: local: cannot start",
		"invocation.c": "error: could not invoke: local: cannot start ./run.sh: no such file",
	})
	if calls.Load() != 3 {
		t.Errorf("%d calls, want 3", calls.Load())
	}
	if d := detail(rec.results()["invocation.c"]); !strings.Contains(d, "not retried") {
		t.Errorf("a Permanent() error is not reported as such: %s", d)
	}
	if d := detail(rec.results()["invocation.a"]); !strings.Contains(d, "Fix the thing.") {
		t.Errorf("no hint: %s", d)
	}
	if d := detail(rec.results()["invocation.b"]); !strings.Contains(d, "not installed") {
		t.Errorf("no hint: %s", d)
	}
}

// An http function answering 404 (a mistyped URL) fails, unless expect
// speaks of the status or of failure; the budget is given back either way.
func TestHTTP404Fails(t *testing.T) {
	srv, _ := hostile(t, func(w http.ResponseWriter, r *http.Request) {
		http.NotFound(w, r)
	})
	b := providers.NewBudget(0)
	s, rec := run(t, context.Background(), httpSuite(t, srv.URL+"/typo", ``), executor.Options{Budget: b})
	wantStatus(t, rec.results(), map[string]string{"invocation.i": "fail"})
	if s.ExitCode != executor.ExitFailed || !strings.Contains(detail(rec.results()["invocation.i"]), "The function failed (HTTP 404)") {
		t.Errorf("exit %d: %s", s.ExitCode, detail(rec.results()["invocation.i"]))
	}
	if b.InUse() != 0 || b.Peak() == 0 {
		t.Errorf("budget in use %d, peak %d: want 0 and > 0", b.InUse(), b.Peak())
	}
	for _, exp := range []string{`expect { status = 404 }`, `expect { error = true }`} {
		s, rec = run(t, context.Background(), httpSuite(t, srv.URL+"/typo", exp), executor.Options{})
		wantStatus(t, rec.results(), map[string]string{"invocation.i": "pass"})
		if s.ExitCode != executor.ExitOK {
			t.Errorf("%s: exit %d", exp, s.ExitCode)
		}
	}
}

// Every cloud driver reads its answer through the bounded reader: a huge
// Content-Length fails before the body is read, an endless body at the
// cloud limit, and the budget is given back.
func TestCloudDriversBoundBodies(t *testing.T) {
	providerBlocks := map[string]string{
		"alicloud_fc3": `
provider "alicloud_fc3" {
  region            = "cn-hangzhou"
  endpoint          = %q
  access_key_id     = "AK"
  access_key_secret = "SK"
}`,
		"aws_lambda": `
provider "aws_lambda" {
  region     = "us-east-1"
  endpoint   = %q
  access_key = "AKID"
  secret_key = "SK"
}`,
		"huaweicloud_functiongraph": `
provider "huaweicloud_functiongraph" {
  endpoint   = %q
  project_id = "p1"
  auth_token = "token"
}`,
		"tencent_cloudbase": `
provider "tencent_cloudbase" {
  endpoint     = %q
  access_token = "token"
}`,
	}
	huge := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(1<<40))
		w.Write([]byte(`{}`))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}
	endless := func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("e", 64<<10))
		for {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}
	for typ, block := range providerBlocks {
		for name, h := range map[string]http.HandlerFunc{"huge Content-Length": huge, "endless": endless} {
			if name == "endless" && typ != "aws_lambda" {
				continue // one endless read of 32 MiB is enough
			}
			t.Run(typ+"/"+name, func(t *testing.T) {
				srv, _ := hostile(t, h)
				reg := cli.NewRegistry()
				p := planWith(t, reg, fmt.Sprintf(block, srv.URL)+fmt.Sprintf(`
function "f" {
  provider = provider.%s
  name     = "probe"
}
invocation "i" { function = function.f }
`, typ))
				b := providers.NewBudget(0)
				s, rec := run(t, context.Background(), p, executor.Options{Budget: b})
				r := rec.results()["invocation.i"]
				if r.Status != executor.StatusError || !strings.Contains(r.Reason, "response body exceeds the 32 MiB limit") {
					t.Errorf("got %s: %s", r.Status, r.Reason)
				}
				if s.ExitCode != executor.ExitUnanswered {
					t.Errorf("exit %d, want 3", s.ExitCode)
				}
				if b.InUse() != 0 {
					t.Errorf("%d bytes of budget still held", b.InUse())
				}
			})
		}
	}
}

// markedPermanent is a driver's own error type marked with a Permanent
// method, as providers/local's start errors are.
type markedPermanent struct{}

func (markedPermanent) Error() string   { return "no such file or directory" }
func (markedPermanent) Permanent() bool { return true }

// A JSON body of millions of values is not decoded (it would take
// gigabytes as cty values); expect { json } says why.
func TestHugeJSONNotDecoded(t *testing.T) {
	srv, _ := hostile(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("[" + strings.Repeat("0,", 3_000_000) + "0]"))
	})
	// A generous attempt timeout: 6 MB of JSON under -race on a loaded
	// 2-core machine takes seconds; the test is about the verdict.
	p := httpSuite(t, srv.URL, `
  timeout = "2m"
  expect { json = [0] }
  assert { condition = length(self.body) > 6000000 }
`)
	s, rec := run(t, context.Background(), p, executor.Options{})
	r := rec.results()["invocation.i"]
	if s.ExitCode != executor.ExitFailed || len(r.Diags) != 1 || r.Diags[0].Summary != "Body too large to decode" {
		t.Errorf("exit %d: %s", s.ExitCode, detail(r))
	}
}
