package huawei_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/emulator"
	"github.com/fnprobe/fnprobe/emulator/sim"
	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/providers/huawei"
	"github.com/fnprobe/fnprobe/providers/providertest"
	"github.com/zclconf/go-cty/cty"
)

const (
	project    = "0123456789abcdef0123456789abcdef"
	testAK     = "HWAKTEST"
	testSK     = "hw-secret-never-printed"
	testToken  = "iam-token-never-printed"
	testRegion = "cn-north-4"
)

func start(t testing.TB) *emulator.Running {
	t.Helper()
	r, err := emulator.Start(emulator.Config{
		Seed: 11,
		Credentials: []sim.Credential{
			{Provider: "huaweicloud", AccessKeyID: testAK, Secret: testSK, ProjectID: project},
			{Provider: "huaweicloud", AccessKeyID: "HWSTS", Secret: "sts-secret", SecurityToken: "sts-token"},
			{Provider: "huaweicloud", Token: testToken, ProjectID: project},
			{Provider: "huaweicloud", Token: "expired-iam-token", Expired: true},
		},
		Functions: []sim.FunctionSpec{
			{Name: "echo", Versions: []string{"v1"}, Aliases: map[string]string{"prod": "v1"}},
			{Name: "pkgfn", Service: "shop"},
			{Name: "fail", Behavior: sim.Fail, Message: "boom"},
			{Name: "throttled", Fault: sim.Fault{ThrottleRate: 1, RetryAfter: 2 * time.Second}},
			{Name: "flaky", Fault: sim.Fault{ThrottleRate: 0.5, RetryAfter: time.Second}},
			{Name: "erroring", Fault: sim.Fault{ErrorRate: 1}},
			{Name: "dropped", Fault: sim.Fault{DropRate: 1}},
			{Name: "truncated", Fault: sim.Fault{TruncateRate: 1}},
			{Name: "slow", Fault: sim.Fault{Latency: 100 * time.Millisecond}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

func providerVal(endpoint string, attrs map[string]string) cty.Value {
	m := map[string]cty.Value{
		"endpoint": cty.StringVal(endpoint), "region": cty.StringVal(testRegion), "project_id": cty.StringVal(project),
		"access_key": cty.StringVal(testAK), "secret_key": cty.StringVal(testSK),
	}
	for k, v := range attrs {
		if v == "" {
			m[k] = cty.NullVal(cty.String)
		} else {
			m[k] = cty.StringVal(v)
		}
	}
	return cty.ObjectVal(m)
}

func fnVal(attrs map[string]string) cty.Value {
	m := map[string]cty.Value{}
	for _, k := range []string{"urn", "package", "name", "version", "alias"} {
		m[k] = cty.NullVal(cty.String)
		if v, ok := attrs[k]; ok {
			m[k] = cty.StringVal(v)
		}
	}
	return cty.ObjectVal(m)
}

func named(name string) cty.Value { return fnVal(map[string]string{"name": name}) }

type check = providertest.Check

// wantOK is providertest.OK plus the X-Cff-Invoke-Summary mapping.
func wantOK(body string) check {
	return providertest.OK(body, func(t *testing.T, res *providers.Result) {
		t.Helper()
		if res.FunctionDurationMs == nil || res.BilledDurationMs == nil || res.MemoryMB == nil || *res.MemoryMB != 128 {
			t.Errorf("X-Cff-Invoke-Summary not mapped: %+v", res)
		}
	})
}

func TestInvokeAgainstEmulator(t *testing.T) {
	fullURN := "urn:fss:" + testRegion + ":" + project + ":function:default:echo"
	cases := []struct {
		name    string
		fn      cty.Value
		attrs   map[string]string
		payload string
		typ     string
		logs    bool
		wait    bool
		skew    time.Duration
		check   check
	}{
		{name: "v1 success", fn: named("echo"), payload: `{"a":1}`, check: func(t *testing.T, res *providers.Result, err error, took time.Duration) {
			wantOK(`{"a":1}`)(t, res, err, took)
			if res.Headers[huawei.FunctionStatusHeader] != "200" || res.Headers["x-cff-response-version"] != "v1" {
				t.Errorf("headers %v", res.Headers)
			}
		}},
		{name: "v0 success", fn: named("echo"), attrs: map[string]string{"request_version": "v0"}, payload: `{"a":2}`, check: wantOK(`{"a":2}`)},
		{name: "token auth", fn: named("echo"), attrs: map[string]string{"auth_token": testToken, "access_key": "", "secret_key": ""}, payload: `1`, check: wantOK(`1`)},
		{name: "sts", fn: named("echo"), attrs: map[string]string{"access_key": "HWSTS", "secret_key": "sts-secret", "security_token": "sts-token"}, payload: `1`, check: wantOK(`1`)},
		{name: "version", fn: fnVal(map[string]string{"name": "echo", "version": "v1"}), payload: `2`, check: wantOK(`2`)},
		{name: "alias", fn: fnVal(map[string]string{"name": "echo", "alias": "prod"}), payload: `3`, check: wantOK(`3`)},
		{name: "package", fn: fnVal(map[string]string{"package": "shop", "name": "pkgfn"}), payload: `4`, check: wantOK(`4`)},
		{name: "full urn", fn: fnVal(map[string]string{"urn": fullURN}), payload: `5`, check: wantOK(`5`)},
		{name: "full urn latest", fn: fnVal(map[string]string{"urn": fullURN + ":latest"}), payload: `6`, check: wantOK(`6`)},
		{name: "full urn alias", fn: fnVal(map[string]string{"urn": fullURN + ":!prod"}), payload: `7`, check: wantOK(`7`)},
		{name: "short urn 1", fn: fnVal(map[string]string{"urn": "echo"}), payload: `8`, check: wantOK(`8`)},
		{name: "short urn 2", fn: fnVal(map[string]string{"urn": "shop:pkgfn"}), payload: `9`, check: wantOK(`9`)},
		{name: "short urn 3", fn: fnVal(map[string]string{"urn": project + ":default:echo"}), payload: `10`, check: wantOK(`10`)},
		{name: "short urn 4", fn: fnVal(map[string]string{"urn": project + ":default:echo:!prod"}), payload: `11`, check: wantOK(`11`)},
		{name: "short urn 7", fn: fnVal(map[string]string{"urn": fullURN}), attrs: map[string]string{"project_id": ""}, payload: `12`, check: wantOK(`12`)},
		{name: "logs", fn: named("echo"), logs: true, payload: `{}`, check: func(t *testing.T, res *providers.Result, err error, _ time.Duration) {
			if err != nil || !strings.Contains(res.Log, res.RequestID) {
				t.Errorf("log %q err %v", res.Log, err)
			}
		}},
		{name: "v0 logs", fn: named("echo"), logs: true, attrs: map[string]string{"request_version": "v0"}, payload: `{}`, check: func(t *testing.T, res *providers.Result, err error, _ time.Duration) {
			if err != nil || !strings.Contains(res.Log, res.RequestID) {
				t.Errorf("log %q err %v", res.Log, err)
			}
		}},
		{name: "function error", fn: named("fail"), payload: `{}`, check: func(t *testing.T, res *providers.Result, err error, _ time.Duration) {
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != 200 || !res.Error || res.ErrorType != "FunctionError" || !strings.Contains(string(res.Body), "boom") ||
				res.Headers[huawei.FunctionStatusHeader] != "500" || res.Transient {
				t.Errorf("result %+v", res)
			}
		}},
		{name: "not found", fn: named("nope"), check: providertest.APIError(404, "FSS.1051")},
		{name: "wrong package", fn: fnVal(map[string]string{"package": "other", "name": "echo"}), check: providertest.APIError(404, "FSS.1051")},
		{name: "version not found", fn: fnVal(map[string]string{"name": "echo", "version": "v9"}), check: providertest.APIError(404, "FSS.1052")},
		{name: "alias not found", fn: fnVal(map[string]string{"name": "echo", "alias": "staging"}), check: providertest.APIError(404, "FSS.1053")},
		{name: "bad signature", fn: named("echo"), attrs: map[string]string{"secret_key": "wrong"}, check: providertest.APIError(401, "APIGW.0301")},
		{name: "unknown key", fn: named("echo"), attrs: map[string]string{"access_key": "NOBODY"}, check: providertest.APIError(401, "APIGW.0301")},
		{name: "bad token", fn: named("echo"), attrs: map[string]string{"auth_token": "nope"}, check: providertest.APIError(401, "APIGW.0301")},
		{name: "expired token", fn: named("echo"), attrs: map[string]string{"auth_token": "expired-iam-token"}, check: func(t *testing.T, res *providers.Result, err error, took time.Duration) {
			providertest.APIError(401, "APIGW.0301")(t, res, err, took)
			if !strings.Contains(res.ErrorMessage, "expired") || res.Transient {
				t.Errorf("res %+v", res)
			}
		}},
		{name: "sts token missing", fn: named("echo"), attrs: map[string]string{"access_key": "HWSTS", "secret_key": "sts-secret"}, check: providertest.APIError(401, "APIGW.0301")},
		{name: "other project", fn: named("echo"), attrs: map[string]string{"project_id": "ffffffffffffffffffffffffffffffff"}, check: providertest.APIError(403, "FSS.0403")},
		{name: "clock skew", fn: named("echo"), skew: time.Hour, check: providertest.APIError(401, "APIGW.0301")},
		{name: "not JSON", fn: named("echo"), payload: "plain", check: providertest.APIError(400, "FSS.0400")},
		{name: "too large", fn: named("echo"), payload: `"` + strings.Repeat("x", huawei.SyncPayloadLimit) + `"`, check: providertest.APIError(413, "FSS.1201")},
		{name: "async too large", fn: named("echo"), typ: providers.TypeAsync, payload: `"` + strings.Repeat("x", huawei.AsyncPayloadLimit) + `"`, check: providertest.APIError(413, "FSS.1201")},
		{name: "throttled", fn: named("throttled"), check: func(t *testing.T, res *providers.Result, err error, took time.Duration) {
			providertest.APIError(429, "FSS.0429")(t, res, err, took)
			if !res.Transient || res.RetryAfter != 2*time.Second {
				t.Errorf("transient %v retry-after %v", res.Transient, res.RetryAfter)
			}
		}},
		{name: "injected error", fn: named("erroring"), check: func(t *testing.T, res *providers.Result, err error, took time.Duration) {
			providertest.APIError(500, "FSS.0500")(t, res, err, took)
			if !res.Transient {
				t.Errorf("not transient")
			}
		}},
		{name: "dropped", fn: named("dropped"), check: func(t *testing.T, res *providers.Result, err error, _ time.Duration) {
			if err == nil || !strings.Contains(err.Error(), "EOF") || strings.Contains(err.Error(), testSK) {
				t.Errorf("res %+v err %v", res, err)
			}
		}},
		{name: "truncated", fn: named("truncated"), payload: `"0123456789"`, check: func(t *testing.T, res *providers.Result, err error, _ time.Duration) {
			if err == nil || !strings.Contains(err.Error(), "unexpected EOF") {
				t.Errorf("res %+v err %v", res, err)
			}
		}},
		{name: "latency", fn: named("slow"), payload: `1`, check: func(t *testing.T, res *providers.Result, err error, took time.Duration) {
			wantOK(`1`)(t, res, err, took)
			if took < 100*time.Millisecond {
				t.Errorf("took %v", took)
			}
		}},
		{name: "async accepted", fn: named("echo"), typ: providers.TypeAsync, payload: `{}`, check: func(t *testing.T, res *providers.Result, err error, _ time.Duration) {
			if err != nil || res.Status != 202 || res.AsyncID == "" || len(res.Body) != 0 {
				t.Errorf("res %+v err %v", res, err)
			}
		}},
		{name: "async wait success", fn: named("echo"), typ: providers.TypeAsync, wait: true, payload: `{}`, check: func(t *testing.T, res *providers.Result, err error, _ time.Duration) {
			if err != nil || res.Status != 202 || res.AsyncID == "" || res.Error {
				t.Errorf("res %+v err %v", res, err)
			}
		}},
		{name: "async wait failure", fn: named("fail"), typ: providers.TypeAsync, wait: true, payload: `{}`, check: func(t *testing.T, res *providers.Result, err error, _ time.Duration) {
			if err != nil || !res.Error || res.ErrorType != "FAIL" || !strings.Contains(string(res.Body), "boom") {
				t.Errorf("res %+v err %v", res, err)
			}
		}},
		{name: "async wait with token", fn: named("echo"), typ: providers.TypeAsync, wait: true, attrs: map[string]string{"auth_token": testToken}, payload: `{}`, check: func(t *testing.T, res *providers.Result, err error, _ time.Duration) {
			if err != nil || res.Status != 202 || res.Error {
				t.Errorf("res %+v err %v", res, err)
			}
		}},
	}
	isolate(t)
	r := start(t)
	d := huawei.New()
	d.PollInterval = 5 * time.Millisecond
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
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			t0 := time.Now()
			res, err := d.Invoke(ctx, &providers.Request{
				Provider: providerVal(r.URL, tc.attrs), Function: tc.fn,
				Payload: []byte(tc.payload), Type: typ, Logs: tc.logs, Wait: tc.wait,
			})
			tc.check(t, res, err, time.Since(t0))
		})
	}
}

func TestThrottlingRecovers(t *testing.T) {
	r := start(t)
	d := huawei.New()
	defer d.Close()
	req := &providers.Request{Provider: providerVal(r.URL, nil), Function: named("flaky"), Payload: []byte("1"), Type: providers.TypeSync}
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

func TestValidateFunction(t *testing.T) {
	isolate(t)
	d := huawei.New()
	p := cty.ObjectVal(map[string]cty.Value{"region": cty.StringVal(testRegion), "project_id": cty.StringVal(project)})
	noProject := cty.ObjectVal(map[string]cty.Value{"region": cty.StringVal(testRegion)})
	tests := []struct {
		name     string
		provider cty.Value
		fn       cty.Value
		want     []string
	}{
		{"name", p, named("echo"), nil},
		{"name version", p, fnVal(map[string]string{"name": "echo", "version": "v20240102-030405"}), nil},
		{"alias with !", p, fnVal(map[string]string{"name": "echo", "alias": "!prod"}), nil},
		{"urn full", noProject, fnVal(map[string]string{"urn": "urn:fss:cn-north-4:" + project + ":function:default:echo:latest"}), nil},
		{"urn short", p, fnVal(map[string]string{"urn": "default:echo"}), nil},
		{"urn short no project", noProject, fnVal(map[string]string{"urn": "default:echo"}), []string{"provider"}},
		{"urn bad", p, fnVal(map[string]string{"urn": "a:b:c:d:e"}), []string{"urn"}},
		{"urn not fss", p, fnVal(map[string]string{"urn": "urn:abc:r:p:function:default:echo"}), []string{"urn"}},
		{"both", p, fnVal(map[string]string{"urn": "echo", "name": "echo"}), []string{"urn"}},
		{"neither", p, fnVal(nil), []string{"name"}},
		{"version and alias", p, fnVal(map[string]string{"name": "echo", "version": "1", "alias": "a"}), []string{"alias"}},
		{"bad name", p, named("9lives"), []string{"name"}},
		{"security token alone", cty.ObjectVal(map[string]cty.Value{"region": cty.StringVal("r"), "project_id": cty.StringVal("p"), "security_token": cty.StringVal("t")}), named("echo"), []string{"provider"}},
		{"bad request version", cty.ObjectVal(map[string]cty.Value{"region": cty.StringVal("r"), "project_id": cty.StringVal("p"), "request_version": cty.StringVal("v2")}), named("echo"), []string{"provider"}},
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
