package aws_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/emulator"
	"github.com/fnprobe/fnprobe/emulator/sim"
	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/providers/aws"
	"github.com/fnprobe/fnprobe/providers/providertest"
	"github.com/zclconf/go-cty/cty"
)

const (
	testAK     = "AKIDFNPROBETEST"
	testSecret = "s3cr3t-value-never-printed"
	testRegion = "us-east-1"
)

func testConfig() emulator.Config {
	return emulator.Config{
		Seed: 7,
		Credentials: []sim.Credential{
			{Provider: "aws", AccessKeyID: testAK, Secret: testSecret, Region: testRegion},
			{Provider: "aws", AccessKeyID: "ASIASESSION", Secret: "session-secret", SecurityToken: "session-token"},
			{Provider: "aws", AccessKeyID: "ASIAEXPIRED", Secret: "expired-secret", SecurityToken: "old-token", Expired: true},
		},
		Functions: []sim.FunctionSpec{
			{Name: "echo", Versions: []string{"1", "2"}, Aliases: map[string]string{"prod": "2"}},
			{Name: "fail", Behavior: sim.Fail, Message: "boom"},
			{Name: "slow", Fault: sim.Fault{Latency: 150 * time.Millisecond}},
			{Name: "throttled", Fault: sim.Fault{ThrottleRate: 1, RetryAfter: 2 * time.Second}},
			{Name: "flaky-throttle", Fault: sim.Fault{ThrottleRate: 0.5, RetryAfter: time.Second}},
			{Name: "dropped", Fault: sim.Fault{DropRate: 1}},
			{Name: "truncated", Fault: sim.Fault{TruncateRate: 1}},
			{Name: "erroring", Fault: sim.Fault{ErrorRate: 1}},
		},
	}
}

func start(t testing.TB) *emulator.Running {
	t.Helper()
	r, err := emulator.Start(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

func providerVal(endpoint string, attrs map[string]string) cty.Value {
	m := map[string]cty.Value{
		"endpoint":      cty.StringVal(endpoint),
		"region":        cty.StringVal(testRegion),
		"access_key":    cty.StringVal(testAK),
		"secret_key":    cty.StringVal(testSecret),
		"session_token": cty.NullVal(cty.String),
	}
	for k, v := range attrs {
		m[k] = cty.StringVal(v)
	}
	return cty.ObjectVal(m)
}

func functionVal(name, qualifier string) cty.Value {
	q := cty.NullVal(cty.String)
	if qualifier != "" {
		q = cty.StringVal(qualifier)
	}
	return cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal(name), "qualifier": q})
}

type check = providertest.Check

// wantOK is providertest.OK plus the executed version Lambda reports.
func wantOK(body, version string) check {
	return providertest.OK(body, func(t *testing.T, res *providers.Result) {
		t.Helper()
		if res.Version != version {
			t.Errorf("executed version %q, want %q", res.Version, version)
		}
	})
}

func TestInvokeAgainstEmulator(t *testing.T) {
	cases := []struct {
		name, fn, qualifier, payload, typ string
		logs                              bool
		attrs                             map[string]string
		skew                              time.Duration
		check                             check
	}{
		{name: "success", fn: "echo", payload: `{"a":1}`, check: wantOK(`{"a":1}`, "$LATEST")},
		{name: "alias", fn: "echo", qualifier: "prod", payload: "x", check: wantOK("x", "2")},
		{name: "version", fn: "echo", qualifier: "1", payload: "x", check: wantOK("x", "1")},
		{name: "$LATEST", fn: "echo", qualifier: "$LATEST", payload: "x", check: wantOK("x", "$LATEST")},
		{name: "name:qualifier", fn: "echo:prod", payload: "x", check: wantOK("x", "2")},
		{name: "full ARN", fn: "arn:aws:lambda:us-east-1:123456789012:function:echo", payload: "x", check: wantOK("x", "$LATEST")},
		{name: "full ARN with alias", fn: "arn:aws:lambda:us-east-1:123456789012:function:echo:prod", payload: "x", check: wantOK("x", "2")},
		{name: "partial ARN", fn: "123456789012:function:echo", qualifier: "1", payload: "x", check: wantOK("x", "1")},
		{name: "ARN of another account", fn: "arn:aws:lambda:us-east-1:210987654321:function:echo", check: providertest.APIError(404, "ResourceNotFoundException")},
		{name: "conflicting qualifiers", fn: "echo:prod", qualifier: "1", check: providertest.APIError(400, "InvalidParameterValueException")},
		{name: "function error", fn: "fail", payload: "{}", check: func(t *testing.T, res *providers.Result, err error, _ time.Duration) {
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != 200 || !res.Error || res.ErrorType != "Unhandled" || !strings.Contains(string(res.Body), "boom") || res.Transient {
				t.Errorf("result %+v", res)
			}
		}},
		{name: "function not found", fn: "nope", check: providertest.APIError(404, "ResourceNotFoundException")},
		{name: "alias not found", fn: "echo", qualifier: "staging", check: providertest.APIError(404, "ResourceNotFoundException")},
		{name: "invalid name", fn: "bad name", check: providertest.APIError(400, "ValidationException")},
		{name: "bad signature", fn: "echo", attrs: map[string]string{"secret_key": "wrong-secret"}, check: providertest.APIError(403, "InvalidSignatureException")},
		{name: "unknown key", fn: "echo", attrs: map[string]string{"access_key": "AKIDUNKNOWN"}, check: providertest.APIError(403, "UnrecognizedClientException")},
		{name: "wrong region scope", fn: "echo", attrs: map[string]string{"region": "eu-west-1"}, check: providertest.APIError(403, "InvalidSignatureException")},
		{name: "session token", fn: "echo", payload: "s", attrs: map[string]string{"access_key": "ASIASESSION", "secret_key": "session-secret", "session_token": "session-token"}, check: wantOK("s", "$LATEST")},
		{name: "session token missing", fn: "echo", attrs: map[string]string{"access_key": "ASIASESSION", "secret_key": "session-secret"}, check: providertest.APIError(403, "UnrecognizedClientException")},
		{name: "expired token", fn: "echo", attrs: map[string]string{"access_key": "ASIAEXPIRED", "secret_key": "expired-secret", "session_token": "old-token"}, check: providertest.APIError(403, "ExpiredTokenException")},
		{name: "clock skew", fn: "echo", skew: 10 * time.Minute, check: providertest.APIError(403, "InvalidSignatureException")},
		{name: "small skew accepted", fn: "echo", skew: 3 * time.Minute, check: wantOK("", "$LATEST")},
		{name: "sync payload too large", fn: "echo", payload: strings.Repeat("x", aws.SyncPayloadLimit+1), check: providertest.APIError(413, "RequestTooLargeException")},
		{name: "async payload too large", fn: "echo", typ: providers.TypeAsync, payload: strings.Repeat("x", aws.AsyncPayloadLimit+1), check: providertest.APIError(413, "RequestTooLargeException")},
		{name: "async payload at the limit", fn: "echo", typ: providers.TypeAsync, payload: strings.Repeat("x", aws.AsyncPayloadLimit), check: func(t *testing.T, res *providers.Result, err error, _ time.Duration) {
			if err != nil || res.Status != 202 {
				t.Errorf("res %+v err %v", res, err)
			}
		}},
		{name: "throttled", fn: "throttled", check: func(t *testing.T, res *providers.Result, err error, _ time.Duration) {
			providertest.APIError(429, "TooManyRequestsException")(t, res, err, 0)
			if !res.Transient || res.RetryAfter != 2*time.Second {
				t.Errorf("transient %v retry-after %v", res.Transient, res.RetryAfter)
			}
		}},
		{name: "injected error", fn: "erroring", check: func(t *testing.T, res *providers.Result, err error, _ time.Duration) {
			providertest.APIError(500, "ServiceException")(t, res, err, 0)
			if !res.Transient {
				t.Errorf("5xx not transient")
			}
		}},
		{name: "latency", fn: "slow", payload: "p", check: func(t *testing.T, res *providers.Result, err error, took time.Duration) {
			wantOK("p", "$LATEST")(t, res, err, took)
			if took < 150*time.Millisecond {
				t.Errorf("took %v, want >= 150ms", took)
			}
		}},
		{name: "dropped connection", fn: "dropped", check: providertest.TransportError("EOF", testSecret)},
		{name: "truncated body", fn: "truncated", payload: "0123456789", check: providertest.TransportError("unexpected EOF", testSecret)},
		{name: "logs", fn: "echo", logs: true, check: func(t *testing.T, res *providers.Result, err error, _ time.Duration) {
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(res.Log, "START RequestId: "+res.RequestID) || !strings.Contains(res.Log, "REPORT RequestId: "+res.RequestID) {
				t.Errorf("log %q", res.Log)
			}
			if res.FunctionDurationMs == nil || res.BilledDurationMs == nil || res.MemoryMB == nil || *res.MemoryMB != 128 {
				t.Errorf("REPORT line not mapped: %+v", res)
			}
		}},
		{name: "no logs unless asked", fn: "echo", check: func(t *testing.T, res *providers.Result, err error, _ time.Duration) {
			if err != nil || res.Log != "" || res.FunctionDurationMs != nil {
				t.Errorf("res %+v err %v", res, err)
			}
		}},
		{name: "event", fn: "echo", typ: providers.TypeAsync, payload: "a", check: func(t *testing.T, res *providers.Result, err error, _ time.Duration) {
			if err != nil || res.Status != 202 || res.AsyncID == "" || res.AsyncID != res.RequestID || len(res.Body) != 0 {
				t.Errorf("res %+v err %v", res, err)
			}
		}},
		{name: "dry run", fn: "echo", typ: providers.TypeDryRun, payload: "a", check: func(t *testing.T, res *providers.Result, err error, _ time.Duration) {
			if err != nil || res.Status != 204 || res.Error || res.ErrorCode != "" {
				t.Errorf("res %+v err %v", res, err)
			}
		}},
		{name: "dry run not found", fn: "nope", typ: providers.TypeDryRun, check: providertest.APIError(404, "ResourceNotFoundException")},
	}
	r := start(t)
	d := aws.New()
	defer d.Close()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.skew != 0 {
				r.Env.SetClock(func() time.Time { return time.Now().Add(tc.skew) })
				defer r.Env.SetClock(nil)
			}
			typ := tc.typ
			if typ == "" {
				typ = providers.TypeSync
			}
			req := &providers.Request{
				Provider: providerVal(r.URL, tc.attrs), Function: functionVal(tc.fn, tc.qualifier),
				Payload: []byte(tc.payload), Type: typ, Logs: tc.logs,
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			t0 := time.Now()
			res, err := d.Invoke(ctx, req)
			tc.check(t, res, err, time.Since(t0))
		})
	}
}

// TestThrottlingRecovers: a throttled call is Transient with the
// Retry-After the service asked for, and a later call succeeds.
func TestThrottlingRecovers(t *testing.T) {
	r := start(t)
	d := aws.New()
	defer d.Close()
	req := &providers.Request{Provider: providerVal(r.URL, nil), Function: functionVal("flaky-throttle", ""), Payload: []byte("p"), Type: providers.TypeSync}
	throttled, ok := false, false
	for i := 0; i < 40 && !(throttled && ok); i++ {
		res, err := d.Invoke(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		switch res.Status {
		case 429:
			throttled = true
			if !res.Transient || res.RetryAfter != time.Second || res.ErrorCode != "TooManyRequestsException" {
				t.Fatalf("throttle answer %+v", res)
			}
		case 200:
			if throttled {
				ok = true
			}
		default:
			t.Fatalf("unexpected %+v", res)
		}
	}
	if !throttled || !ok {
		t.Errorf("throttled %v, recovered %v", throttled, ok)
	}
}

// TestEventRuns: an Event invocation runs in the background.
func TestEventRuns(t *testing.T) {
	r := start(t)
	d := aws.New()
	defer d.Close()
	res, err := d.Invoke(context.Background(), &providers.Request{Provider: providerVal(r.URL, nil), Function: functionVal("echo", "prod"), Payload: []byte("ev"), Type: providers.TypeAsync})
	if err != nil || res.Status != 202 {
		t.Fatalf("res %+v err %v", res, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for _, tk := range r.Env.Tasks("echo") {
			if tk.RequestID == res.RequestID && tk.State == sim.TaskSucceeded {
				if string(tk.Outcome.Body) != "ev" || tk.Version != "2" {
					t.Errorf("task %+v", tk)
				}
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Errorf("the event never ran: %+v", r.Env.Tasks("echo"))
}

func TestValidateFunction(t *testing.T) {
	isolate(t)
	d := aws.New()
	withRegion := cty.ObjectVal(map[string]cty.Value{"region": cty.StringVal("us-east-1")})
	none := cty.ObjectVal(map[string]cty.Value{"region": cty.NullVal(cty.String)})
	tests := []struct {
		name     string
		provider cty.Value
		fn       cty.Value
		want     []string // problem keys
	}{
		{"ok", withRegion, functionVal("echo", "prod"), nil},
		{"ARN gives the region", none, functionVal("arn:aws:lambda:us-west-2:123456789012:function:f", ""), nil},
		{"no region", none, functionVal("echo", ""), []string{"provider"}},
		{"bad name", withRegion, functionVal("bad name", ""), []string{"name"}},
		{"bad qualifier", withRegion, functionVal("echo", "a b"), []string{"qualifier"}},
		{"conflict", withRegion, functionVal("echo:1", "2"), []string{"qualifier"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := d.ValidateFunction(tt.provider, tt.fn)
			if len(got) != len(tt.want) {
				t.Fatalf("problems %v, want keys %v", got, tt.want)
			}
			for _, k := range tt.want {
				if got[k] == "" {
					t.Errorf("no problem for %q: %v", k, got)
				}
			}
		})
	}
}

func TestSchemaMarksCredentialsSensitive(t *testing.T) {
	s := aws.New().Schema()
	for _, a := range []string{"access_key", "secret_key", "session_token"} {
		found := false
		for _, x := range s.Sensitive {
			found = found || x == a
		}
		if !found {
			t.Errorf("%s not sensitive", a)
		}
		if _, ok := s.Provider[a]; !ok {
			t.Errorf("%s not in the provider schema", a)
		}
	}
}

// The first call of a version starts its execution environment: its
// REPORT line carries Init Duration, and the result says cold start; the
// next call of that version is warm. Without logs, nothing is known.
func TestColdStarts(t *testing.T) {
	r := start(t)
	d := aws.New()
	defer d.Close()
	invoke := func(logs bool) *providers.Result {
		t.Helper()
		res, err := d.Invoke(context.Background(), &providers.Request{
			Provider: providerVal(r.URL, nil), Function: functionVal("echo", ""), Payload: []byte("p"), Type: providers.TypeSync, Logs: logs,
		})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	for i, want := range []string{"true", "false", "false"} {
		res := invoke(true)
		got := "nil"
		if res.ColdStart != nil {
			got = fmt.Sprint(*res.ColdStart)
		}
		if got != want {
			t.Errorf("call %d: cold start %s, want %s\n%s", i+1, got, want, res.Log)
		}
	}
	if res := invoke(false); res.ColdStart != nil {
		t.Errorf("cold start %v without logs", *res.ColdStart)
	}
}
