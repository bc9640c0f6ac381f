package executor_test

import (
	"bytes"
	"context"
	"encoding/json"
	"math/big"
	"sync/atomic"
	"testing"

	"github.com/fnprobe/fnprobe/executor"
	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/report"
)

// fuzzAnswer is what the fuzzed function answers.
type fuzzAnswer struct {
	status  int
	body    []byte
	headers map[string]string
}

// FuzzChecks evaluates expect and assert blocks against arbitrary answers:
// the run never has an internal fault (a panic is one), every invocation
// ends pass or fail (the function answered), every diagnostic renders, and
// expect { json = { a = 1 } } passes exactly when encoding/json reads the
// body as an object whose "a" is the number 1.
func FuzzChecks(f *testing.F) {
	var answer atomic.Pointer[fuzzAnswer]
	drv := &testDriver{funcs: map[string]func(context.Context, *providers.Request) (*providers.Result, error){
		"f": func(context.Context, *providers.Request) (*providers.Result, error) {
			a := answer.Load()
			return &providers.Result{Status: a.status, Body: a.body, Headers: a.headers}, nil
		},
	}}
	p := plan(f, drv, fn("f")+`
invocation "a" {
  function = function.f
  expect { json = { a = 1 } }
}
invocation "b" {
  function = function.f
  expect {
    status       = [200, 201, 404]
    body_matches = "^\\s*[\\[{]"
    json         = { list = [1, "two", { three = 3 }], set = toset(["x", "y"]) }
  }
  assert {
    condition     = self.json.x == "y"
    error_message = "x is ${self.json.x}"
  }
  assert {
    condition = lookup(self.headers, "x-k", "") != ""
    severity  = "warn"
  }
}
invocation "c" {
  function = function.f
  retry {
    attempts = 2
    until    = try(self.json.n > 0, false)
  }
  assert { condition = try(tonumber(self.json.n) < 1e100, true) }
  assert { condition = length(self.body) >= 0 && try(jsonencode(self.json) != "", true) }
}
`)
	for _, s := range []struct {
		status int
		body   string
		hk, hv string
	}{
		{200, `{"a":1}`, "x-k", "v"},
		{200, `{"a":1.0,"x":"y","list":[1,"two",{"three":3}],"set":["y","x"]}`, "", ""},
		{201, `{"a":10e-1,"n":5}`, "X-K", "\xff"},
		{404, `not json`, "", ""},
		{500, `{"a":"1"}`, "", ""},
		{200, `{"a":1,"a":2}`, "", ""},
		{200, `{"n":1e400,"a":1}`, "", ""},
		{200, `{"n":"` + "\xff" + `"}`, "", ""},
		{200, `[{"a":1}]`, "", ""},
		{200, `null`, "", ""},
		{200, `{"x":{"y":[1,2]}}`, "", ""},
	} {
		f.Add(s.status, []byte(s.body), s.hk, s.hv)
	}
	f.Fuzz(func(t *testing.T, status int, body []byte, hk, hv string) {
		a := &fuzzAnswer{status: status%1000 + 0, body: body}
		if a.status < 100 {
			a.status = 200
		}
		if hk != "" {
			a.headers = map[string]string{hk: hv}
		}
		answer.Store(a)
		s, rec := run(t, context.Background(), p, executor.Options{})
		if s.ExitCode != executor.ExitOK && s.ExitCode != executor.ExitFailed {
			t.Fatalf("exit code %d", s.ExitCode)
		}
		res := rec.results()
		for addr, r := range res {
			if r.Status != executor.StatusPass && r.Status != executor.StatusFail {
				t.Errorf("%s: %s (%s)", addr, r.Status, r.Reason)
			}
			for _, d := range r.Diags {
				if d.Summary == "" {
					t.Errorf("%s: a diagnostic without summary", addr)
				}
				_ = report.FormatDiagnostic(report.NewDiagnostic(d, nil, nil), false, 80)
			}
		}
		if got, want := res["invocation.a"].Status == executor.StatusPass, aIsOne(body); got != want {
			t.Errorf("invocation.a passed = %v, want %v for %q", got, want, body)
		}
	})
}

// aIsOne is the oracle of invocation.a: the body is one JSON object whose
// "a" is a number equal to 1 (literals longer than 1000 characters are
// kept as text by fnprobe, so they are not numbers).
func aIsOne(body []byte) bool {
	trimmed := bytes.TrimSpace(body)
	if !json.Valid(trimmed) {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	var m map[string]any
	if dec.Decode(&m) != nil {
		return false
	}
	n, ok := m["a"].(json.Number)
	if !ok || len(n) > 1000 {
		return false
	}
	f, _, err := big.ParseFloat(string(n), 10, 512, big.ToNearestEven)
	return err == nil && f.Cmp(big.NewFloat(1)) == 0
}
