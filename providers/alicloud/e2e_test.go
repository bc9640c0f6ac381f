package alicloud_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/emulator"
	"github.com/fnprobe/fnprobe/emulator/sim"
	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/providers/alicloud"
	"github.com/fnprobe/fnprobe/providers/providertest"
	"github.com/zclconf/go-cty/cty"
)

const (
	testAK     = "AKTEST"
	testSecret = "s3cr3t-value-never-printed"
)

func testConfig() emulator.Config {
	return emulator.Config{
		Seed: 42,
		Credentials: []sim.Credential{
			{Provider: "alicloud", AccessKeyID: testAK, Secret: testSecret},
			{Provider: "alicloud", AccessKeyID: "STSAK", Secret: "sts-secret", SecurityToken: "sts-token"},
		},
		Functions: []sim.FunctionSpec{
			{Name: "echo", Service: "svc", Versions: []string{"1", "2"}, Aliases: map[string]string{"prod": "2"}},
			{Name: "fail", Service: "svc", Behavior: sim.Fail, Message: "boom"},
			{Name: "counter", Service: "svc", Behavior: sim.Counter},
			{Name: "slow", Service: "svc", Fault: sim.Fault{Latency: 150 * time.Millisecond}},
			{Name: "throttled", Service: "svc", Fault: sim.Fault{ThrottleRate: 1, RetryAfter: 2 * time.Second}},
			{Name: "unavailable", Service: "svc", Fault: sim.Fault{ThrottleRate: 1, ThrottleStatus: 503}},
			{Name: "dropped", Service: "svc", Fault: sim.Fault{DropRate: 1}},
			{Name: "truncated", Service: "svc", Fault: sim.Fault{TruncateRate: 1}},
			{Name: "erroring", Service: "svc", Fault: sim.Fault{ErrorRate: 1}},
			{Name: "flaky", Service: "svc", Fault: sim.Fault{ErrorRate: 0.5}},
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

// flavour is one driver configuration under test.
type flavour struct {
	name       string
	driver     func() *alicloud.Driver
	apiVersion string
}

func flavours() []flavour {
	return []flavour{
		{"fc3", alicloud.NewFC3, ""},
		{"fc2-2016", alicloud.NewFC2, alicloud.FC2Version2016},
		{"fc2-2021", alicloud.NewFC2, alicloud.FC2Version2021},
	}
}

func providerVal(endpoint, ak, secret, apiVersion string, extra map[string]string) cty.Value {
	m := map[string]cty.Value{
		"endpoint":          cty.StringVal(endpoint),
		"access_key_id":     cty.StringVal(ak),
		"access_key_secret": cty.StringVal(secret),
		"region":            cty.StringVal("cn-hangzhou"),
		"account_id":        cty.StringVal("123456"),
	}
	if apiVersion != "" {
		m["api_version"] = cty.StringVal(apiVersion)
	}
	for k, v := range extra {
		m[k] = cty.StringVal(v)
	}
	return cty.ObjectVal(m)
}

func functionVal(service, name, qualifier string) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{
		"service": cty.StringVal(service), "name": cty.StringVal(name), "qualifier": cty.StringVal(qualifier),
	})
}

type invokeCase struct {
	name      string
	fn        string
	service   string // "" means svc
	qualifier string
	payload   string
	typ       string
	logs      bool
	wait      bool
	secret    string            // "" means the right one
	ak        string            // "" means the right one
	extra     map[string]string // provider attributes
	skew      time.Duration     // emulator clock offset
	check     func(t *testing.T, f flavour, res *providers.Result, err error, took time.Duration)
}

// anyFlavour runs a provider-neutral check whatever the API flavour.
func anyFlavour(c providertest.Check) func(*testing.T, flavour, *providers.Result, error, time.Duration) {
	return func(t *testing.T, _ flavour, res *providers.Result, err error, took time.Duration) {
		t.Helper()
		c(t, res, err, took)
	}
}

func wantAPIError(status int, code string) func(*testing.T, flavour, *providers.Result, error, time.Duration) {
	return anyFlavour(providertest.APIError(status, code))
}

func wantTransportError(substr string) func(*testing.T, flavour, *providers.Result, error, time.Duration) {
	return anyFlavour(providertest.TransportError(substr, testSecret))
}

func wantOK(t *testing.T, _ flavour, res *providers.Result, err error, _ time.Duration) {
	t.Helper()
	if err != nil || res.Status != 200 || res.ErrorCode != "" || res.Error {
		t.Errorf("res %+v err %v", res, err)
	}
}

func TestInvokeAgainstEmulator(t *testing.T) {
	cases := []invokeCase{
		{name: "success", fn: "echo", payload: `{"a":1}`, check: func(t *testing.T, _ flavour, res *providers.Result, err error, _ time.Duration) {
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != 200 || string(res.Body) != `{"a":1}` || res.Error || res.ErrorCode != "" {
				t.Errorf("result %+v", res)
			}
			if res.RequestID == "" || res.InstanceID == "" || res.Version != "LATEST" || res.FunctionDurationMs == nil || res.MemoryMB == nil {
				t.Errorf("headers not mapped: %+v", res)
			}
			if res.Headers["x-fc-request-id"] != res.RequestID {
				t.Errorf("headers map: %v", res.Headers)
			}
		}},
		{name: "empty payload", fn: "echo", check: func(t *testing.T, _ flavour, res *providers.Result, err error, _ time.Duration) {
			if err != nil || res.Status != 200 || len(res.Body) != 0 {
				t.Errorf("res %+v err %v", res, err)
			}
		}},
		{name: "alias", fn: "echo", qualifier: "prod", payload: "x", check: func(t *testing.T, _ flavour, res *providers.Result, err error, _ time.Duration) {
			if err != nil || res.Status != 200 || res.Version != "2" {
				t.Errorf("res %+v err %v", res, err)
			}
		}},
		{name: "version", fn: "echo", qualifier: "1", payload: "x", check: func(t *testing.T, _ flavour, res *providers.Result, err error, _ time.Duration) {
			if err != nil || res.Status != 200 || res.Version != "1" {
				t.Errorf("res %+v err %v", res, err)
			}
		}},
		{name: "function error", fn: "fail", payload: "{}", check: func(t *testing.T, _ flavour, res *providers.Result, err error, _ time.Duration) {
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != 200 || !res.Error || res.ErrorType != "UnhandledInvocationError" || !strings.Contains(string(res.Body), "boom") {
				t.Errorf("result %+v", res)
			}
			if res.Transient {
				t.Errorf("function error marked transient")
			}
		}},
		{name: "function not found", fn: "nope", check: wantAPIError(404, "FunctionNotFound")},
		{name: "alias not found", fn: "echo", qualifier: "staging", check: wantAPIError(404, "AliasNotFound")},
		{name: "version not found", fn: "echo", qualifier: "9", check: wantAPIError(404, "VersionNotFound")},
		{name: "bad signature", fn: "echo", secret: "wrong-secret", check: wantAPIError(403, "SignatureNotMatch")},
		{name: "wrong key", fn: "echo", ak: "UNKNOWN", check: wantAPIError(403, "InvalidAccessKeyID")},
		{name: "clock skew", fn: "echo", skew: time.Hour, check: wantAPIError(403, "RequestTimeTooSkewed")},
		{name: "small skew accepted", fn: "echo", skew: 10 * time.Minute, check: wantOK},
		{name: "async payload too large", fn: "echo", typ: providers.TypeAsync, payload: strings.Repeat("x", alicloud.AsyncPayloadLimit+1),
			check: wantAPIError(400, "EntityTooLarge")},
		{name: "sts token", fn: "echo", ak: "STSAK", secret: "sts-secret", extra: map[string]string{"security_token": "sts-token"}, check: wantOK},
		{name: "sts token missing", fn: "echo", ak: "STSAK", secret: "sts-secret", check: wantAPIError(403, "InvalidSecurityToken")},
		{name: "throttled with retry-after", fn: "throttled", check: func(t *testing.T, _ flavour, res *providers.Result, err error, _ time.Duration) {
			wantAPIError(429, "ResourceExhausted")(t, flavour{}, res, err, 0)
			if !res.Transient || res.RetryAfter != 2*time.Second {
				t.Errorf("transient %v retry-after %v", res.Transient, res.RetryAfter)
			}
		}},
		{name: "throttled 503 without retry-after", fn: "unavailable", check: func(t *testing.T, _ flavour, res *providers.Result, err error, _ time.Duration) {
			wantAPIError(503, "ResourceThrottled")(t, flavour{}, res, err, 0)
			if !res.Transient || res.RetryAfter != 0 {
				t.Errorf("transient %v retry-after %v", res.Transient, res.RetryAfter)
			}
		}},
		{name: "injected error", fn: "erroring", check: func(t *testing.T, _ flavour, res *providers.Result, err error, _ time.Duration) {
			wantAPIError(500, "InternalServerError")(t, flavour{}, res, err, 0)
			if !res.Transient {
				t.Errorf("5xx not transient")
			}
		}},
		{name: "latency", fn: "slow", payload: "p", check: func(t *testing.T, _ flavour, res *providers.Result, err error, took time.Duration) {
			if err != nil || res.Status != 200 || string(res.Body) != "p" {
				t.Fatalf("res %+v err %v", res, err)
			}
			if took < 150*time.Millisecond {
				t.Errorf("took %v, want >= 150ms", took)
			}
		}},
		{name: "dropped connection", fn: "dropped", check: wantTransportError("EOF")},
		{name: "truncated body", fn: "truncated", payload: "0123456789", check: wantTransportError("unexpected EOF")},
		{name: "logs", fn: "echo", logs: true, check: func(t *testing.T, _ flavour, res *providers.Result, err error, _ time.Duration) {
			if err != nil || !strings.Contains(res.Log, "FC Invoke Start RequestId: "+res.RequestID) {
				t.Errorf("log %q err %v", res.Log, err)
			}
		}},
		{name: "no logs unless asked", fn: "echo", check: func(t *testing.T, _ flavour, res *providers.Result, err error, _ time.Duration) {
			if err != nil || res.Log != "" {
				t.Errorf("log %q err %v", res.Log, err)
			}
		}},
		{name: "async accepted", fn: "echo", typ: providers.TypeAsync, payload: "a", check: func(t *testing.T, f flavour, res *providers.Result, err error, _ time.Duration) {
			if err != nil || res.Status != 202 {
				t.Fatalf("res %+v err %v", res, err)
			}
			if f.name == "fc3" && res.AsyncID == "" {
				t.Errorf("fc3 async without task id")
			}
		}},
		{name: "async wait success", fn: "echo", typ: providers.TypeAsync, wait: true, payload: "hello", check: func(t *testing.T, _ flavour, res *providers.Result, err error, _ time.Duration) {
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != 202 || res.AsyncID == "" || string(res.Body) != "hello" || res.Error {
				t.Errorf("result %+v", res)
			}
		}},
		{name: "async wait failure", fn: "fail", typ: providers.TypeAsync, wait: true, check: func(t *testing.T, _ flavour, res *providers.Result, err error, _ time.Duration) {
			if err != nil {
				t.Fatal(err)
			}
			if !res.Error || res.ErrorType != "UnhandledInvocationError" || !strings.Contains(string(res.Body), "boom") {
				t.Errorf("result %+v", res)
			}
		}},
	}
	for _, f := range flavours() {
		t.Run(f.name, func(t *testing.T) {
			r := start(t)
			d := f.driver()
			d.PollInterval = 5 * time.Millisecond
			defer d.Close()
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					ak, secret := testAK, testSecret
					if tc.ak != "" {
						ak = tc.ak
					}
					if tc.secret != "" {
						secret = tc.secret
					}
					if tc.skew != 0 {
						r.Env.SetClock(func() time.Time { return time.Now().Add(tc.skew) })
						defer r.Env.SetClock(nil)
					}
					svc := tc.service
					if svc == "" {
						svc = "svc"
					}
					typ := tc.typ
					if typ == "" {
						typ = providers.TypeSync
					}
					req := &providers.Request{
						Provider: providerVal(r.URL, ak, secret, f.apiVersion, tc.extra),
						Function: functionVal(svc, tc.fn, tc.qualifier),
						Payload:  []byte(tc.payload), Type: typ, Logs: tc.logs, Wait: tc.wait,
					}
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					defer cancel()
					t0 := time.Now()
					res, err := d.Invoke(ctx, req)
					tc.check(t, f, res, err, time.Since(t0))
				})
			}
		})
	}
}

func TestFC2ServiceNotFound(t *testing.T) {
	r := start(t)
	d := alicloud.NewFC2()
	defer d.Close()
	for _, v := range []string{alicloud.FC2Version2016, alicloud.FC2Version2021} {
		t.Run(v, func(t *testing.T) {
			res, err := d.Invoke(context.Background(), &providers.Request{
				Provider: providerVal(r.URL, testAK, testSecret, v, nil),
				Function: functionVal("other", "echo", ""), Type: providers.TypeSync,
			})
			wantAPIError(404, "ServiceNotFound")(t, flavour{}, res, err, 0)
		})
	}
}

func TestSyncPayloadTooLarge(t *testing.T) {
	r := start(t)
	d := alicloud.NewFC3()
	defer d.Close()
	res, err := d.Invoke(context.Background(), &providers.Request{
		Provider: providerVal(r.URL, testAK, testSecret, "", nil),
		Function: functionVal("", "echo", ""), Type: providers.TypeSync,
		Payload: make([]byte, alicloud.SyncPayloadLimit+1),
	})
	wantAPIError(400, "EntityTooLarge")(t, flavour{}, res, err, 0)
}

func TestErrorRateDeterministic(t *testing.T) {
	run := func() string {
		r := start(t)
		d := alicloud.NewFC3()
		defer d.Close()
		var b strings.Builder
		for range 16 {
			res, err := d.Invoke(context.Background(), &providers.Request{
				Provider: providerVal(r.URL, testAK, testSecret, "", nil),
				Function: functionVal("", "flaky", ""), Type: providers.TypeSync,
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status == 500 {
				b.WriteByte('E')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	a, b := run(), run()
	if a != b {
		t.Errorf("same seed, different fault sequence: %s vs %s", a, b)
	}
	if !strings.Contains(a, "E") || !strings.Contains(a, ".") {
		t.Errorf("error_rate 0.5 gave %s", a)
	}
}

func TestConcurrentInvocations(t *testing.T) {
	r := start(t)
	d := alicloud.NewFC3()
	defer d.Close()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			res, err := d.Invoke(context.Background(), &providers.Request{
				Provider: providerVal(r.URL, testAK, testSecret, "", nil),
				Function: functionVal("", "counter", ""), Type: providers.TypeSync,
			})
			if err != nil || res.Status != 200 {
				t.Errorf("res %+v err %v", res, err)
			}
		})
	}
	wg.Wait()
	f, _ := r.Env.Function("counter")
	if f.Count() != 20 {
		t.Errorf("count %d", f.Count())
	}
}

func TestWaitHonoursContext(t *testing.T) {
	cfg := testConfig()
	cfg.Functions = append(cfg.Functions, sim.FunctionSpec{Name: "long", Behavior: sim.Sleep, Sleep: time.Minute})
	r, err := emulator.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	d := alicloud.NewFC3()
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = d.Invoke(ctx, &providers.Request{
		Provider: providerVal(r.URL, testAK, testSecret, "", nil),
		Function: functionVal("", "long", ""), Type: providers.TypeAsync, Wait: true,
	})
	if err == nil || !strings.Contains(err.Error(), "deadline") {
		t.Errorf("err %v", err)
	}
}
