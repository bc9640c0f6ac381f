package alicloud_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/providers/alicloud"
	"github.com/zclconf/go-cty/cty"
)

var nonces atomic.Int64

// newNonce returns a signature nonce not used before in this process.
func newNonce() string { return fmt.Sprintf("nonce-%d", nonces.Add(1)) }

// rawACS3 sends an ACS3-signed request, letting mutate tamper with it after
// signing.
func rawACS3(t *testing.T, base, method, path string, query map[string]string, hdr map[string]string, body string, mutate func(*http.Request)) (int, map[string]any, http.Header) {
	t.Helper()
	u, _ := url.Parse(base)
	hashed := alicloud.SHA256Hex([]byte(body))
	h := map[string]string{"host": u.Host, "x-acs-date": time.Now().UTC().Format("2006-01-02T15:04:05Z"), "x-acs-content-sha256": hashed,
		"x-acs-signature-nonce": newNonce()}
	for k, v := range hdr {
		h[k] = v
	}
	signing := map[string][]string{}
	for k, v := range h {
		signing[k] = []string{v}
	}
	h["Authorization"] = alicloud.ACS3Authorization(testAK, testSecret, method, path, query, signing, hashed)
	q := url.Values{}
	for k, v := range query {
		q.Set(k, v)
	}
	full := base + path
	if len(q) > 0 {
		full += "?" + q.Encode()
	}
	req, _ := http.NewRequest(method, full, strings.NewReader(body))
	for k, v := range h {
		if k != "host" {
			req.Header.Set(k, v)
		}
	}
	if mutate != nil {
		mutate(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, m, resp.Header
}

func TestFC3HandlerChecks(t *testing.T) {
	r := start(t)
	inv := "/2023-03-30/functions/echo/invocations"
	tests := []struct {
		name   string
		method string
		path   string
		hdr    map[string]string
		body   string
		mutate func(*http.Request)
		status int
		code   string
	}{
		{"missing content sha", "POST", inv, nil, "x", func(r *http.Request) { r.Header.Del("x-acs-content-sha256") }, 400, "MissingRequiredHeader"},
		{"body tampered", "POST", inv, nil, "x", func(r *http.Request) { r.Body = io.NopCloser(strings.NewReader("y")); r.ContentLength = 1 }, 400, "InvalidArgument"},
		{"signed header tampered", "POST", inv, map[string]string{"x-acs-action": "InvokeFunction"}, "x", func(r *http.Request) { r.Header.Set("x-acs-action", "Other") }, 403, "SignatureNotMatch"},
		{"bad async id", "POST", inv, map[string]string{"x-fc-invocation-type": "Async", "x-fc-async-task-id": "9bad"}, "x", nil, 400, "InvalidArgument"},
		{"bad invocation type", "POST", inv, map[string]string{"x-fc-invocation-type": "Later"}, "x", nil, 400, "InvalidArgument"},
		{"bad function name", "POST", "/2023-03-30/functions/-x/invocations", nil, "", nil, 400, "InvalidArgument"},
		{"unknown path", "GET", "/2023-03-30/layers", nil, "", nil, 404, "PathNotSupported"},
		{"unknown task", "GET", "/2023-03-30/functions/echo/async-tasks/nope", nil, "", nil, 404, "AsyncTaskNotFound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, m, h := rawACS3(t, r.URL, tt.method, tt.path, nil, tt.hdr, tt.body, tt.mutate)
			if status != tt.status || m["Code"] != tt.code || m["RequestId"] == "" || h.Get("X-Fc-Request-Id") == "" {
				t.Errorf("status %d body %v, want %d %s", status, m, tt.status, tt.code)
			}
		})
	}
}

func TestFC3TaskAPIs(t *testing.T) {
	r := start(t)
	status, _, h := rawACS3(t, r.URL, "POST", "/2023-03-30/functions/echo/invocations", nil,
		map[string]string{"x-fc-invocation-type": "Async", "x-fc-async-task-id": "job_1"}, "payload", nil)
	if status != 202 || h.Get("X-Fc-Async-Task-Id") != "job_1" {
		t.Fatalf("status %d headers %v", status, h)
	}
	status, _, _ = rawACS3(t, r.URL, "POST", "/2023-03-30/functions/echo/invocations", nil,
		map[string]string{"x-fc-invocation-type": "Async", "x-fc-async-task-id": "job_1"}, "payload", nil)
	if status != 409 {
		t.Errorf("duplicate task id: status %d", status)
	}
	var task map[string]any
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		_, task, _ = rawACS3(t, r.URL, "GET", "/2023-03-30/functions/echo/async-tasks/job_1", nil, nil, "", nil)
		if task["status"] == "Succeeded" {
			break
		}
	}
	if task["status"] != "Succeeded" || task["returnPayload"] != "payload" || task["taskId"] != "job_1" || task["functionArn"] == "" {
		t.Errorf("task %v", task)
	}
	_, list, _ := rawACS3(t, r.URL, "GET", "/2023-03-30/functions/echo/async-tasks", map[string]string{"prefix": "job"}, nil, "", nil)
	if tasks, _ := list["asyncTasks"].([]any); len(tasks) != 1 {
		t.Errorf("list %v", list)
	}
	status, _, _ = rawACS3(t, r.URL, "PUT", "/2023-03-30/functions/echo/async-tasks/job_1/stop", nil, nil, "", nil)
	if status != 200 {
		t.Errorf("stop status %d", status)
	}
}

func TestValidateFunction(t *testing.T) {
	p := func(kv ...string) cty.Value {
		m := map[string]cty.Value{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = cty.StringVal(kv[i+1])
		}
		if len(m) == 0 {
			return cty.EmptyObjectVal
		}
		return cty.ObjectVal(m)
	}
	tests := []struct {
		name     string
		fc2      bool
		provider cty.Value
		function cty.Value
		keys     []string
	}{
		{"fc3 ok", false, p("region", "cn-hangzhou"), functionVal("", "my-func", "prod"), nil},
		{"fc3 bad name", false, p("region", "cn-hangzhou"), functionVal("", "1func", ""), []string{"name"}},
		{"fc3 bad qualifier", false, p("endpoint", "http://x"), functionVal("", "f", "a.b"), []string{"qualifier"}},
		{"fc3 no region", false, p(), functionVal("", "f", ""), []string{"provider"}},
		{"fc2 ok", true, p("region", "cn-hangzhou", "account_id", "1"), functionVal("svc", "f", ""), nil},
		{"fc2 no account", true, p("region", "cn-hangzhou"), functionVal("svc", "f", ""), []string{"provider"}},
		{"fc2 bad service", true, p("endpoint", "http://x"), functionVal("s v", "f", ""), []string{"service"}},
		{"fc2 bad api version", true, p("endpoint", "http://x", "api_version", "2023-03-30"), functionVal("svc", "f", ""), []string{"provider"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := alicloud.NewFC3()
			if tt.fc2 {
				d = alicloud.NewFC2()
			}
			got := d.ValidateFunction(tt.provider, tt.function)
			if len(got) != len(tt.keys) {
				t.Fatalf("problems %v, want keys %v", got, tt.keys)
			}
			for _, k := range tt.keys {
				if got[k] == "" {
					t.Errorf("no problem for %q: %v", k, got)
				}
			}
		})
	}
}

// TestACS3NonceReplay: a signed request sent twice with the same
// x-acs-signature-nonce is refused the second time (400
// SignatureNonceUsed), whatever its body; a fresh nonce passes; the nonce
// is required; once the first request's date has left the 15-minute
// window, its nonce is forgotten.
func TestACS3NonceReplay(t *testing.T) {
	r := start(t)
	inv := "/2023-03-30/functions/echo/invocations"
	nonce := map[string]string{"x-acs-signature-nonce": "fixed-nonce-1"}
	if status, body, _ := rawACS3(t, r.URL, "POST", inv, nil, nonce, "x", nil); status != 200 {
		t.Fatalf("first: status %d %v", status, body)
	}
	for _, body := range []string{"x", "another body"} {
		status, m, _ := rawACS3(t, r.URL, "POST", inv, nil, nonce, body, nil)
		if status != 400 || m["Code"] != "SignatureNonceUsed" {
			t.Errorf("replay with body %q: status %d %v", body, status, m)
		}
	}
	// A nonce refused for a bad signature is not used up.
	bad := map[string]string{"x-acs-signature-nonce": "fixed-nonce-2"}
	status, m, _ := rawACS3(t, r.URL, "POST", inv, nil, bad, "x", func(req *http.Request) {
		req.Header.Set("Authorization", strings.Replace(req.Header.Get("Authorization"), "Signature=", "Signature=0", 1))
	})
	if status != 403 || m["Code"] != "SignatureNotMatch" {
		t.Errorf("bad signature: status %d %v", status, m)
	}
	if status, m, _ := rawACS3(t, r.URL, "POST", inv, nil, bad, "x", nil); status != 200 {
		t.Errorf("nonce of a refused request: status %d %v", status, m)
	}
	status, m, _ = rawACS3(t, r.URL, "POST", inv, nil, nil, "x", func(req *http.Request) { req.Header.Del("x-acs-signature-nonce") })
	if status != 400 || m["Code"] != "MissingRequiredHeader" {
		t.Errorf("no nonce: status %d %v", status, m)
	}
	// 16 minutes later the first request's date is outside the window,
	// so its nonce may be used again by a request dated then.
	later := time.Now().Add(16 * time.Minute)
	r.Env.SetClock(func() time.Time { return later })
	defer r.Env.SetClock(nil)
	h := map[string]string{"x-acs-signature-nonce": "fixed-nonce-1", "x-acs-date": later.UTC().Format("2006-01-02T15:04:05Z")}
	if status, m, _ := rawACS3(t, r.URL, "POST", inv, nil, h, "x", nil); status != 200 {
		t.Errorf("expired nonce: status %d %v", status, m)
	}
	if status, m, _ := rawACS3(t, r.URL, "POST", inv, nil, h, "x", nil); status != 400 || m["Code"] != "SignatureNonceUsed" {
		t.Errorf("replay after the clock moved: status %d %v", status, m)
	}
}

// TestBodyCheckedAgainstDeclaredDigest: the body is checked, after it is
// read, against the digest the signature covered: x-acs-content-sha256
// (ACS3) and Content-MD5 (FC scheme, hex or base64).
func TestBodyCheckedAgainstDeclaredDigest(t *testing.T) {
	r := start(t)
	status, m, _ := rawACS3(t, r.URL, "POST", "/2023-03-30/functions/echo/invocations", nil, nil, "declared", func(req *http.Request) {
		req.Body, req.ContentLength = io.NopCloser(strings.NewReader("sent")), 4
	})
	if status != 400 || m["Code"] != "InvalidArgument" {
		t.Errorf("ACS3 digest mismatch: status %d %v", status, m)
	}
	path := "/2016-08-15/services/svc/functions/echo/invocations"
	for _, tt := range []struct {
		name, md5 string
		want      int
	}{
		{"hex", alicloud.ContentMD5([]byte("sent")), 200},
		{"base64", "eJGDt+mGRsEdXwVEyPPEyQ==", 200},
		{"base64 of another body", "eV8yArF8trw9S3cdjGyerw==", 400}, // MD5 of "other"
		{"hex of another body", alicloud.ContentMD5([]byte("other")), 400},
	} {
		req, _ := http.NewRequest("POST", r.URL+path, strings.NewReader("sent"))
		req.Header.Set("Content-Type", "application/octet-stream")
		req.Header.Set("Content-MD5", tt.md5)
		req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
		h := map[string]string{}
		for k, vs := range req.Header {
			h[k] = vs[0]
		}
		req.Header.Set("Authorization", alicloud.FCAuthorization(testAK, testSecret, "POST", h, alicloud.FCResource(path, nil, false)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("FC scheme, Content-MD5 %s: status %d %s, want %d", tt.name, resp.StatusCode, b, tt.want)
		}
	}
}
