package alicloud_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
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

// The ECS RAM role link of the credential chain, end to end and offline.
// credentials-go asks http://100.100.100.200 and cannot be told another
// address, but it sends every request through a clone of net/http's
// DefaultTransport (credentials/internal/http/http.go), whose Proxy is
// http.ProxyFromEnvironment: with HTTP_PROXY naming the emulator, the
// metadata requests reach the emulator in absolute form and no packet
// leaves loopback. ProxyFromEnvironment reads the environment once per
// process, so each case runs in a process of its own: the test binary,
// run again for TestECSRAMRoleChild alone.

// ecsChildCase names the case TestECSRAMRoleChild runs; unset, it skips.
const ecsChildCase = "FNPROBE_TEST_ECS_CASE"

// instanceIdentity is the alicloud token credential the emulated
// instance runs as.
const instanceIdentity = "ecs-instance-identity"

// TestECSRAMRole_EndToEnd runs each case of TestECSRAMRoleChild in a
// child process and requires that it ran and passed.
func TestECSRAMRole_EndToEnd(t *testing.T) {
	if os.Getenv(ecsChildCase) != "" {
		t.Skip("in a child process")
	}
	for _, name := range []string{"issued", "unknown role", "no role attached"} {
		t.Run(name, func(t *testing.T) {
			if out, err := providertest.RunChild(t, "TestECSRAMRoleChild", []string{ecsChildCase + "=" + name}); err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
		})
	}
}

// metaRequest is one request the emulated metadata service answered.
type metaRequest struct {
	method, host, path string
	withToken          bool
	status             int
	body               string
}

// TestECSRAMRoleChild is one case of TestECSRAMRole_EndToEnd: the
// driver's chain with ALIBABA_CLOUD_ECS_METADATA set and HTTP_PROXY
// naming the emulator, which serves both the metadata and the FC APIs.
func TestECSRAMRoleChild(t *testing.T) {
	name := os.Getenv(ecsChildCase)
	if name == "" {
		t.Skip("run by TestECSRAMRole_EndToEnd, in a process of its own")
	}
	role := alicloud.ECSRoleName
	creds := []sim.Credential{{Provider: "alicloud", Token: instanceIdentity}}
	switch name {
	case "unknown role":
		role = "no-such-role"
	case "no role attached":
		creds = nil
	}
	srv, err := emulator.NewServer(emulator.Config{
		Seed: 1, Credentials: creds,
		Functions: []sim.FunctionSpec{{Name: "echo", Service: "svc"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Env().Close)
	var (
		mu   sync.Mutex
		meta []metaRequest
	)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host != alicloud.MetadataHost {
			srv.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, r)
		mu.Lock()
		meta = append(meta, metaRequest{
			method: r.Method, host: r.URL.Host, path: r.URL.Path,
			withToken: r.Header.Get("X-Aliyun-Ecs-Metadata-Token") != "",
			status:    rec.Code, body: rec.Body.String(),
		})
		mu.Unlock()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = io.Copy(w, rec.Body)
	}))
	t.Cleanup(ts.Close)

	for _, k := range []string{"HTTP_PROXY", "http_proxy"} {
		t.Setenv(k, ts.URL)
	}
	for _, k := range []string{"HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy", "REQUEST_METHOD"} {
		t.Setenv(k, "")
	}
	// The first use of ProxyFromEnvironment in this process reads the
	// environment just set: the metadata must go to the emulator, or the
	// test stops before anything is sent.
	providertest.RequireProxied(t, "http://"+alicloud.MetadataHost+"/latest/", ts.URL)
	freshHome(t)
	t.Setenv(alicloud.EnvECSMetadata, role)
	t.Setenv(alicloud.EnvECSMetadataDisabled, "")

	for _, f := range flavours() {
		t.Run(f.name, func(t *testing.T) {
			mu.Lock()
			meta = nil
			mu.Unlock()
			d := f.driver()
			defer d.Close()
			d.PollInterval = 5 * time.Millisecond
			m := map[string]cty.Value{
				"endpoint":   cty.StringVal(ts.URL),
				"region":     cty.StringVal("cn-hangzhou"),
				"account_id": cty.StringVal("1234567890123456"),
			}
			if f.apiVersion != "" {
				m["api_version"] = cty.StringVal(f.apiVersion)
			}
			p := cty.ObjectVal(m)
			if src, err := d.CredentialSource(context.Background(), p); err != nil || src != "ECS RAM role "+role {
				t.Fatalf("source %q, %v", src, err)
			}
			if name != "issued" {
				start := time.Now()
				_, err := d.Invoke(context.Background(), &providers.Request{Provider: p, Function: functionVal("svc", "echo", ""), Type: providers.TypeSync})
				if err == nil || !strings.Contains(err.Error(), "httpStatus: 404") || providers.IsPermanent(err) == nil {
					t.Fatalf("err %v, want a permanent refusal naming the 404", err)
				}
				if took := time.Since(start); took > 3*time.Second {
					t.Errorf("took %v", took)
				}
				mu.Lock()
				defer mu.Unlock()
				if n := len(meta); n == 0 || meta[n-1].status != http.StatusNotFound || !strings.HasSuffix(meta[n-1].path, "/"+role) {
					t.Errorf("metadata requests %+v, want the last one the role's, refused", meta)
				}
				return
			}
			secrets := &providertest.Secrets{}
			for _, typ := range []string{providers.TypeSync, providers.TypeAsync} {
				res, err := d.Invoke(context.Background(), &providers.Request{
					Provider: p, Function: functionVal("svc", "echo", ""), Type: typ, Wait: true,
					Payload: []byte(`{"ecs":true}`), Secrets: secrets,
				})
				if err != nil || res.Status >= 300 || res.Error || string(res.Body) != `{"ecs":true}` {
					t.Fatalf("%s: res %+v err %v", typ, res, err)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			// IMDSv2: a token, then the role's credentials with it, once
			// for both invocations (credentials-go caches them).
			if len(meta) != 2 ||
				meta[0].method != http.MethodPut || meta[0].path != "/latest/api/token" || meta[0].status != http.StatusOK ||
				meta[1].method != http.MethodGet || meta[1].path != "/latest/meta-data/ram/security-credentials/"+role || !meta[1].withToken || meta[1].status != http.StatusOK {
				t.Fatalf("metadata requests %+v", meta)
			}
			for _, r := range meta {
				if r.host != alicloud.MetadataHost {
					t.Errorf("request %+v not in absolute form to %s", r, alicloud.MetadataHost)
				}
			}
			var c struct{ Code, AccessKeyId, AccessKeySecret, SecurityToken, Expiration string }
			if err := json.Unmarshal([]byte(meta[1].body), &c); err != nil || c.Code != "Success" || !strings.HasPrefix(c.AccessKeyId, "STS.") || c.SecurityToken == "" {
				t.Fatalf("credentials %s (%v)", meta[1].body, err)
			}
			for _, v := range []string{c.AccessKeyId, c.AccessKeySecret, c.SecurityToken} {
				if !secrets.Has(v) {
					t.Errorf("temporary credential part %q not handed to Request.Secrets", v)
				}
			}
			if exp, err := time.Parse("2006-01-02T15:04:05Z", c.Expiration); err != nil || time.Until(exp) < 5*time.Hour {
				t.Errorf("expiration %q (%v), want about six hours from now", c.Expiration, err)
			}
		})
	}
}

// TestECSMetadataRoutes: the emulator serves the ECS metadata to requests
// whose host is 100.100.100.200 only (sent through it as a proxy, here by
// a transport of its own, not the environment), and the AWS instance
// metadata on the same /latest/ paths to the others.
func TestECSMetadataRoutes(t *testing.T) {
	run, err := emulator.Start(emulator.Config{
		Seed:        1,
		Credentials: []sim.Credential{{Provider: "alicloud", Token: instanceIdentity}, {Provider: "aws", Token: "aws-identity"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(run.Close)
	proxy, _ := url.Parse(run.URL)
	viaProxy := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxy)}, Timeout: 5 * time.Second}
	do := func(c *http.Client, method, u string, hdr map[string]string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, u, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	const meta = "http://" + alicloud.MetadataHost
	ttl := map[string]string{"X-aliyun-ecs-metadata-token-ttl-seconds": "21600"}
	status, token := do(viaProxy, http.MethodPut, meta+"/latest/api/token", ttl)
	if status != http.StatusOK || token == "" {
		t.Fatalf("token: %d %q", status, token)
	}
	withToken := map[string]string{"X-aliyun-ecs-metadata-token": token}
	cases := []struct {
		name, method, url string
		hdr               map[string]string
		want              int
		body              string // contained in the answer
	}{
		{"token ttl missing", http.MethodPut, meta + "/latest/api/token", nil, http.StatusBadRequest, ""},
		{"token ttl too long", http.MethodPut, meta + "/latest/api/token", map[string]string{"X-aliyun-ecs-metadata-token-ttl-seconds": "21601"}, http.StatusBadRequest, ""},
		{"token by GET", http.MethodGet, meta + "/latest/api/token", ttl, http.StatusMethodNotAllowed, ""},
		{"role list", http.MethodGet, meta + "/latest/meta-data/ram/security-credentials/", withToken, http.StatusOK, alicloud.ECSRoleName},
		{"role list, IMDSv1", http.MethodGet, meta + "/latest/meta-data/ram/security-credentials/", nil, http.StatusOK, alicloud.ECSRoleName},
		{"role", http.MethodGet, meta + "/latest/meta-data/ram/security-credentials/" + alicloud.ECSRoleName, withToken, http.StatusOK, `"Code":"Success"`},
		{"unknown role", http.MethodGet, meta + "/latest/meta-data/ram/security-credentials/other", withToken, http.StatusNotFound, ""},
		{"token not issued", http.MethodGet, meta + "/latest/meta-data/ram/security-credentials/", map[string]string{"X-aliyun-ecs-metadata-token": "forged"}, http.StatusUnauthorized, ""},
		{"other metadata", http.MethodGet, meta + "/latest/meta-data/instance-id", withToken, http.StatusNotFound, ""},
		{"not under /latest/", http.MethodGet, meta + "/2016-01-01/", nil, http.StatusNotFound, "no emulated API"},
		// The AWS IMDS keeps /latest/ of every other host.
		{"AWS token, direct", http.MethodPut, run.URL + "/latest/api/token", map[string]string{"X-aws-ec2-metadata-token-ttl-seconds": "60"}, http.StatusOK, ""},
		{"AWS token, via the proxy", http.MethodPut, "http://169.254.169.254/latest/api/token", map[string]string{"X-aws-ec2-metadata-token-ttl-seconds": "60"}, http.StatusOK, ""},
		{"Alibaba token, direct", http.MethodPut, run.URL + "/latest/api/token", ttl, http.StatusBadRequest, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := viaProxy
			if strings.HasPrefix(tc.url, run.URL) {
				c = http.DefaultClient
			}
			status, body := do(c, tc.method, tc.url, tc.hdr)
			if status != tc.want || !strings.Contains(body, tc.body) {
				t.Errorf("%d %q, want %d with %q", status, body, tc.want, tc.body)
			}
		})
	}

	// The issued credential is the instance identity's, and the FC APIs
	// know it.
	_, body := do(viaProxy, http.MethodGet, meta+"/latest/meta-data/ram/security-credentials/"+alicloud.ECSRoleName, withToken)
	var c struct{ AccessKeyId, AccessKeySecret, SecurityToken, Expiration, LastUpdated string }
	if err := json.Unmarshal([]byte(body), &c); err != nil {
		t.Fatal(err)
	}
	got, ok := run.Env.Credential("alicloud", c.AccessKeyId)
	if !ok || got.Secret != c.AccessKeySecret || got.SecurityToken != c.SecurityToken || c.LastUpdated == "" {
		t.Errorf("issued %+v, env has %+v (%v)", c, got, ok)
	}
}
