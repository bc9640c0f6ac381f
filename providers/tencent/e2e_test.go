package tencent_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/emulator"
	"github.com/fnprobe/fnprobe/emulator/sim"
	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/providers/providertest"
	"github.com/fnprobe/fnprobe/providers/tencent"
	"github.com/zclconf/go-cty/cty"
)

const testToken = "tcb-token-never-printed"

func start(t testing.TB) *emulator.Running {
	t.Helper()
	r, err := emulator.Start(emulator.Config{
		Seed: 3,
		Credentials: []sim.Credential{
			{Provider: "tencent", Token: testToken},
			{Provider: "tencent", Token: "expired-token", Expired: true},
		},
		Functions: []sim.FunctionSpec{
			{Name: "echo", Versions: []string{"1", "2"}},
			{Name: "fail", Behavior: sim.Fail, Message: "boom"},
			{Name: "throttled", Fault: sim.Fault{ThrottleRate: 1, RetryAfter: 2 * time.Second}},
			{Name: "flaky-throttle", Fault: sim.Fault{ThrottleRate: 0.5, RetryAfter: time.Second}},
			{Name: "busy", Fault: sim.Fault{ThrottleRate: 1, ThrottleStatus: 503}},
			{Name: "erroring", Fault: sim.Fault{ErrorRate: 1}},
			{Name: "dropped", Fault: sim.Fault{DropRate: 1}},
			{Name: "slow", Fault: sim.Fault{Latency: 100 * time.Millisecond}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

func providerVal(endpoint, token string) cty.Value {
	tok := cty.NullVal(cty.String)
	if token != "" {
		tok = cty.StringVal(token)
	}
	return cty.ObjectVal(map[string]cty.Value{"endpoint": cty.StringVal(endpoint), "env_id": cty.StringVal("cloud1-abc"), "access_token": tok})
}

func functionVal(name, version string, web bool) cty.Value {
	v := cty.NullVal(cty.String)
	if version != "" {
		v = cty.StringVal(version)
	}
	return cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal(name), "version": v, "web": cty.BoolVal(web)})
}

type check = providertest.Check

// wantOK is providertest.OK plus the X-Request-Id header CloudBase sends.
func wantOK(body string) check {
	return providertest.OK(body, func(t *testing.T, res *providers.Result) {
		t.Helper()
		if res.Headers["x-request-id"] != res.RequestID {
			t.Errorf("request id %q is not the X-Request-Id header %q", res.RequestID, res.Headers["x-request-id"])
		}
	})
}

func TestInvokeAgainstEmulator(t *testing.T) {
	cases := []struct {
		name, fn, version, payload, token string
		web                               bool
		check                             check
	}{
		{name: "success", fn: "echo", payload: `{"a":1}`, check: wantOK(`{"a":1}`)},
		{name: "empty event", fn: "echo", check: wantOK(`{}`)},
		{name: "version", fn: "echo", version: "2", payload: `"v"`, check: wantOK(`"v"`)},
		{name: "web function body verbatim", fn: "echo", web: true, payload: "plain text", check: wantOK("plain text")},
		{name: "event must be JSON", fn: "echo", payload: "plain text", check: providertest.APIError(400, "FUNCTION_PARAM_INVALID")},
		{name: "version not found", fn: "echo", version: "9", check: providertest.APIError(404, "FUNCTION_QUALIFIER_NOT_FOUND")},
		{name: "function not found", fn: "nope-fn", check: providertest.APIError(404, "FUNCTION_NOT_FOUND")},
		{name: "invalid name", fn: "9lives", check: providertest.APIError(400, "FUNCTION_PARAM_INVALID")},
		{name: "function error", fn: "fail", payload: "{}", check: func(t *testing.T, res *providers.Result, err error, _ time.Duration) {
			if err != nil {
				t.Fatal(err)
			}
			if !res.Error || res.ErrorType != "FUNCTION_INVOCATION_FAILED" || res.ErrorCode != "FUNCTION_INVOCATION_FAILED" ||
				!strings.Contains(res.ErrorMessage, "boom") || res.Transient {
				t.Errorf("result %+v", res)
			}
		}},
		{name: "bad token", fn: "echo", token: "nobody", check: providertest.APIError(401, "ACCESS_TOKEN_INVALID")},
		{name: "expired token", fn: "echo", token: "expired-token", check: func(t *testing.T, res *providers.Result, err error, took time.Duration) {
			providertest.APIError(401, "ACCESS_TOKEN_EXPIRED")(t, res, err, took)
			if res.Transient {
				t.Errorf("an expired token is not transient")
			}
		}},
		{name: "throttled", fn: "throttled", check: func(t *testing.T, res *providers.Result, err error, took time.Duration) {
			providertest.APIError(429, "FUNCTION_EXCEED_RESOURCE_LIMIT")(t, res, err, took)
			if !res.Transient || res.RetryAfter != 2*time.Second {
				t.Errorf("transient %v retry-after %v", res.Transient, res.RetryAfter)
			}
		}},
		{name: "busy", fn: "busy", check: func(t *testing.T, res *providers.Result, err error, took time.Duration) {
			providertest.APIError(503, "SERVER_TIMEOUT")(t, res, err, took)
			if !res.Transient {
				t.Errorf("not transient")
			}
		}},
		{name: "injected error", fn: "erroring", check: func(t *testing.T, res *providers.Result, err error, took time.Duration) {
			providertest.APIError(500, "SYS_ERR")(t, res, err, took)
			if !res.Transient {
				t.Errorf("not transient")
			}
		}},
		{name: "payload too large", fn: "echo", payload: `"` + strings.Repeat("x", tencent.PayloadLimit) + `"`, check: providertest.APIError(413, "EXCEED_REQUEST_SIZE_LIMIT")},
		{name: "dropped", fn: "dropped", check: func(t *testing.T, res *providers.Result, err error, _ time.Duration) {
			if err == nil || !strings.Contains(err.Error(), "EOF") || strings.Contains(err.Error(), testToken) {
				t.Errorf("res %+v err %v", res, err)
			}
		}},
		{name: "latency", fn: "slow", payload: "1", check: func(t *testing.T, res *providers.Result, err error, took time.Duration) {
			wantOK("1")(t, res, err, took)
			if took < 100*time.Millisecond {
				t.Errorf("took %v", took)
			}
		}},
	}
	r := start(t)
	d := tencent.New()
	defer d.Close()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			token := tc.token
			if token == "" {
				token = testToken
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			t0 := time.Now()
			res, err := d.Invoke(ctx, &providers.Request{
				Provider: providerVal(r.URL, token), Function: functionVal(tc.fn, tc.version, tc.web),
				Payload: []byte(tc.payload), Type: providers.TypeSync,
			})
			tc.check(t, res, err, time.Since(t0))
		})
	}
}

func TestMissingToken(t *testing.T) {
	r := start(t)
	req, _ := http.NewRequest(http.MethodPost, r.URL+"/v1/functions/echo", strings.NewReader("{}"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || resp.Header.Get("X-Request-Id") == "" {
		t.Errorf("status %d headers %v", resp.StatusCode, resp.Header)
	}
}

func TestThrottlingRecovers(t *testing.T) {
	r := start(t)
	d := tencent.New()
	defer d.Close()
	req := &providers.Request{Provider: providerVal(r.URL, testToken), Function: functionVal("flaky-throttle", "", false), Payload: []byte("1"), Type: providers.TypeSync}
	throttled, ok := false, false
	for i := 0; i < 40 && !(throttled && ok); i++ {
		res, err := d.Invoke(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case res.Status == 429:
			throttled = true
			if !res.Transient || res.RetryAfter != time.Second {
				t.Fatalf("throttle answer %+v", res)
			}
		case res.Status == 200 && throttled:
			ok = true
		}
	}
	if !throttled || !ok {
		t.Errorf("throttled %v, recovered %v", throttled, ok)
	}
}

// TestWireRequest checks what the driver sends: path, bearer token,
// X-Qualifier, X-Tcb-Webfn, the default host from env_id.
func TestWireRequest(t *testing.T) {
	var got *http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Clone(context.Background())
		w.Header().Set("X-Request-Id", "rid")
		_, _ = w.Write([]byte("Hello fn"))
	}))
	defer srv.Close()
	d := tencent.New()
	defer d.Close()
	res, err := d.Invoke(context.Background(), &providers.Request{
		Provider: providerVal(srv.URL, testToken), Function: functionVal("my-first-function", "3", true),
		Payload: []byte(`{"path":"/"}`), Type: providers.TypeSync, Headers: map[string]string{"X-Extra": "1"},
	})
	if err != nil || string(res.Body) != "Hello fn" || res.RequestID != "rid" {
		t.Fatalf("res %+v err %v", res, err)
	}
	if got.URL.Path != "/v1/functions/my-first-function" || got.Header.Get("Authorization") != "Bearer "+testToken ||
		got.Header.Get("X-Qualifier") != "3" || got.Header.Get("X-Tcb-Webfn") != "true" || got.Header.Get("X-Extra") != "1" ||
		got.Header.Get("Content-Type") != "application/json" {
		t.Errorf("request %s %v", got.URL, got.Header)
	}

	env := map[string]string{tencent.EnvAccessToken: "from-env"}
	d.Getenv = func(k string) string { return env[k] }
	p := cty.ObjectVal(map[string]cty.Value{"endpoint": cty.StringVal(srv.URL)})
	if _, err := d.Invoke(context.Background(), &providers.Request{Provider: p, Function: functionVal("echo", "", false), Type: providers.TypeSync}); err != nil {
		t.Fatal(err)
	}
	if got.Header.Get("Authorization") != "Bearer from-env" || got.Header.Get("X-Tcb-Webfn") != "" || got.Header.Get("X-Qualifier") != "" {
		t.Errorf("headers %v", got.Header)
	}
	d.Getenv = func(string) string { return "" }
	if _, err := d.Invoke(context.Background(), &providers.Request{Provider: p, Function: functionVal("echo", "", false), Type: providers.TypeSync}); err == nil || !strings.Contains(err.Error(), tencent.EnvAccessToken) {
		t.Errorf("err %v", err)
	}
}

func TestValidateFunction(t *testing.T) {
	d := tencent.New()
	p := cty.ObjectVal(map[string]cty.Value{"env_id": cty.StringVal("cloud1-abc")})
	tests := []struct {
		name     string
		provider cty.Value
		fn       string
		want     []string
	}{
		{"ok", p, "my-first-function", nil},
		{"two characters", p, "ab", nil},
		{"one character", p, "a", []string{"name"}},
		{"digit first", p, "1fn", []string{"name"}},
		{"trailing dash", p, "fn-", []string{"name"}},
		{"too long", p, "a" + strings.Repeat("b", 60), []string{"name"}},
		{"sixty", p, "a" + strings.Repeat("b", 59), nil},
		{"dot", p, "fn.x", []string{"name"}},
		{"no env", cty.ObjectVal(map[string]cty.Value{"env_id": cty.NullVal(cty.String)}), "fn", []string{"provider"}},
		{"bad env", cty.ObjectVal(map[string]cty.Value{"env_id": cty.StringVal("a.b/c")}), "fn", []string{"provider"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := d.ValidateFunction(tt.provider, functionVal(tt.fn, "", false))
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
