package huawei_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/emulator"
	"github.com/fnprobe/fnprobe/emulator/sim"
	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/providers/huawei"
	"github.com/fnprobe/fnprobe/providers/providertest"
)

// The ECS metadata link of the chain, end to end and offline. The SDK asks
// http://169.254.169.254 (a constant of its internal package) with an
// http.Client on http.DefaultTransport, whose Proxy is
// http.ProxyFromEnvironment: with HTTP_PROXY set to the emulator, the
// emulator receives the absolute-form requests and serves them, and no
// packet leaves loopback. net/http reads the proxy variables once per
// process, so the chain runs in a child process of the test binary
// (TestECSMetadataChild) with them set from the start.
const (
	// metadataEmulatorEnv is the emulator's URL, in the child only.
	metadataEmulatorEnv = "FNPROBE_TEST_HUAWEICLOUD_METADATA_EMULATOR"
	// metadataWantEnv is what the child expects: "ok" or "refused".
	metadataWantEnv = "FNPROBE_TEST_HUAWEICLOUD_METADATA_WANT"
)

// proxyEnv are the variables net/http's proxy selection reads; the child
// gets its own values for all of them.
var proxyEnv = []string{"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy", "REQUEST_METHOD"}

// syncBuffer is an access log written by the emulator's handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestECSMetadataChain: a provider block without keys, no keys in the
// environment, no profile file, no pod identity, the metadata service not
// disabled: the driver takes temporary credentials from the (emulated)
// ECS metadata service and invokes the emulated FunctionGraph API with
// them; an instance without an agency is a named permanent failure, at
// once.
func TestECSMetadataChain(t *testing.T) {
	if os.Getenv(metadataEmulatorEnv) != "" {
		t.Skip("in the child process")
	}
	functions := []sim.FunctionSpec{{Name: "echo"}}
	for _, tc := range []struct {
		name  string
		creds []sim.Credential
		// log are access log fragments, each expected count times.
		log map[string]int
	}{
		{name: "ok", creds: []sim.Credential{
			{Provider: huawei.CredentialProvider, AccessKeyID: testAK, Secret: testSK, ProjectID: project},
			{Provider: huawei.CredentialProvider, Token: "expired-agency", Expired: true},
			{Provider: huawei.CredentialProvider, Token: testToken, ProjectID: project},
		}, log: map[string]int{
			"method=PUT path=" + huawei.MetadataTokenPath + " provider=huaweicloud_ecs_metadata":                                                 1,
			"method=GET path=" + huawei.MetadataSecurityKeyPath + " provider=huaweicloud_ecs_metadata function=\"\" verdict=ok status=200":       1,
			"provider=huaweicloud_functiongraph function=urn:fss:" + testRegion + ":" + project + ":function:default:echo verdict=ok status=200": 2,
		}},
		{name: "refused", creds: []sim.Credential{
			{Provider: huawei.CredentialProvider, AccessKeyID: testAK, Secret: testSK, ProjectID: project},
			{Provider: huawei.CredentialProvider, Token: "expired-agency", Expired: true},
		}, log: map[string]int{
			"method=PUT path=" + huawei.MetadataTokenPath + " provider=huaweicloud_ecs_metadata":                                               1,
			"method=GET path=" + huawei.MetadataSecurityKeyPath + " provider=huaweicloud_ecs_metadata function=\"\" verdict=denied status=401": 1,
			"provider=huaweicloud_functiongraph": 0,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := &syncBuffer{}
			r, err := emulator.StartWith(emulator.Config{Seed: 3, Credentials: tc.creds, Functions: functions}, emulator.Options{AccessLog: log})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			out, err := runMetadataChild(t, r.URL, tc.name)
			if err != nil {
				t.Fatalf("child: %v\n%s\naccess log:\n%s", err, out, log)
			}
			for frag, n := range tc.log {
				if got := strings.Count(log.String(), frag); got != n {
					t.Errorf("access log has %d lines with %q, want %d:\n%s", got, frag, n, log)
				}
			}
		})
	}
}

// runMetadataChild runs TestECSMetadataChild in a child process whose
// proxy variables name the emulator at emuURL.
func runMetadataChild(t *testing.T, emuURL, want string) (string, error) {
	t.Helper()
	drop := append([]string{metadataEmulatorEnv, metadataWantEnv, huawei.EnvMetadataDisabled}, proxyEnv...)
	return providertest.RunChild(t, "TestECSMetadataChild", []string{
		"HTTP_PROXY=" + emuURL, "http_proxy=" + emuURL,
		// Never bypass the proxy for the metadata address.
		"NO_PROXY=127.0.0.1,localhost", "no_proxy=127.0.0.1,localhost",
		metadataEmulatorEnv + "=" + emuURL, metadataWantEnv + "=" + want,
	}, append(drop, chainEnv...)...)
}

// TestECSMetadataChild is TestECSMetadataChain's child process; it skips
// unless run by it.
func TestECSMetadataChild(t *testing.T) {
	emuURL := os.Getenv(metadataEmulatorEnv)
	if emuURL == "" {
		t.Skip("run by TestECSMetadataChain in a child process")
	}
	// The guard: the SDK's requests to 169.254.169.254 must go to the
	// emulator on loopback, or nowhere.
	emu, err := url.Parse(emuURL)
	if err != nil {
		t.Fatal(err)
	}
	if host, _, err := net.SplitHostPort(emu.Host); err != nil || !isLoopback(host) {
		t.Fatalf("the emulator %s is not on loopback", emuURL)
	}
	providertest.RequireProxied(t, "http://169.254.169.254"+huawei.MetadataSecurityKeyPath, emuURL)

	isolate(t)
	t.Setenv(huawei.EnvMetadataDisabled, "")
	d := huawei.New()
	defer d.Close()
	p := chainProvider(emuURL, map[string]string{"project_id": project})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if src, err := d.CredentialSource(ctx, p); err != nil || src != "ECS metadata (temporary)" {
		t.Fatalf("CredentialSource %q %v", src, err)
	}
	invoke := func(sink *providertest.Secrets) (providers.Result, time.Duration, error) {
		t0 := time.Now()
		res, err := d.Invoke(ctx, &providers.Request{Provider: p, Function: named("echo"), Payload: []byte(`"hi"`), Type: providers.TypeSync, Secrets: sink})
		if res == nil {
			res = &providers.Result{}
		}
		return *res, time.Since(t0), err
	}
	switch want := os.Getenv(metadataWantEnv); want {
	case "ok":
		for i := 0; i < 2; i++ { // the second from the driver's cache
			sink := &providertest.Secrets{}
			res, _, err := invoke(sink)
			if err != nil || res.Status != 200 || string(res.Body) != `"hi"` {
				t.Fatalf("invocation %d: res %+v err %v", i, res, err)
			}
			var ak, token bool
			for _, s := range sink.All() {
				ak = ak || strings.HasPrefix(s, "STS")
				token = token || strings.HasPrefix(s, "fnprobe-emulator-sts-")
			}
			if !ak || !token {
				t.Errorf("invocation %d: the issued access key and security token not handed to Request.Secrets: %q", i, sink.All())
			}
		}
	case "refused":
		for i := 0; i < 2; i++ { // the second from the driver's cache
			_, took, err := invoke(nil)
			var pe *providers.PermanentError
			if err == nil || !errors.As(err, &pe) || !strings.Contains(err.Error(), "no credentials") ||
				!strings.Contains(err.Error(), huawei.NoAgencyMessage) || took > 2*time.Second {
				t.Fatalf("invocation %d: err %v after %v, want a permanent error naming the metadata service's answer, at once", i, err, took)
			}
		}
	default:
		t.Fatalf("%s=%q", metadataWantEnv, want)
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// The emulated metadata service, asked directly: a session token first,
// then credentials the FunctionGraph API accepts with their security
// token; a missing or expired session token is 401 (the SDK then fetches
// a new one), and so is an instance without an agency, with the message
// the SDK does not retry.
func TestEmulatedECSMetadata(t *testing.T) {
	for _, agency := range []bool{true, false} {
		creds := []sim.Credential{{Provider: huawei.CredentialProvider, Token: "old", Expired: true}}
		if agency {
			creds = append(creds, sim.Credential{Provider: huawei.CredentialProvider, Token: "agency", ProjectID: project})
		}
		env, err := sim.New(sim.Options{Credentials: creds, Functions: []sim.FunctionSpec{{Name: "echo"}}})
		if err != nil {
			t.Fatal(err)
		}
		defer env.Close()
		srv := httptest.NewServer(sim.NewServer(env, huawei.ECSMetadataEmulator{}))
		defer srv.Close()
		do := func(method, path string, h map[string]string) (int, string) {
			req, _ := http.NewRequest(method, srv.URL+path, nil)
			for k, v := range h {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		const ttl = "X-Metadata-Token-Ttl-Seconds"
		for _, tc := range []struct {
			method, path string
			h            map[string]string
			want         int
		}{
			{"GET", huawei.MetadataTokenPath, map[string]string{ttl: "60"}, 405},
			{"PUT", huawei.MetadataTokenPath, nil, 400},
			{"PUT", huawei.MetadataTokenPath, map[string]string{ttl: "21601"}, 400},
			{"GET", huawei.MetadataSecurityKeyPath, nil, 401},
			{"GET", huawei.MetadataSecurityKeyPath, map[string]string{"X-Metadata-Token": "forged"}, 401},
			{"PUT", huawei.MetadataSecurityKeyPath, nil, 405},
			{"GET", "/openstack/latest/meta_data.json", nil, 404},
		} {
			if got, body := do(tc.method, tc.path, tc.h); got != tc.want {
				t.Errorf("%s %s %v: %d, want %d: %s", tc.method, tc.path, tc.h, got, tc.want, body)
			}
		}
		status, token := do("PUT", huawei.MetadataTokenPath, map[string]string{ttl: "21600"})
		if status != 200 || token == "" {
			t.Fatalf("token: %d %q", status, token)
		}
		status, body := do("GET", huawei.MetadataSecurityKeyPath, map[string]string{"X-Metadata-Token": token})
		if !agency {
			if status != 401 || body != huawei.NoAgencyMessage {
				t.Errorf("without an agency: %d %q", status, body)
			}
			continue
		}
		var answer struct {
			Credential struct {
				Access        string `json:"access"`
				Secret        string `json:"secret"`
				SecurityToken string `json:"securitytoken"`
				ExpiresAt     string `json:"expires_at"`
			} `json:"credential"`
		}
		if err := json.Unmarshal([]byte(body), &answer); status != 200 || err != nil {
			t.Fatalf("securitykey: %d %v: %s", status, err, body)
		}
		c := answer.Credential
		exp, err := time.Parse("2006-01-02T15:04:05Z", c.ExpiresAt)
		if err != nil || exp.Sub(time.Now()) < 5*time.Hour || c.Access == "" || c.Secret == "" || c.SecurityToken == "" {
			t.Fatalf("credential %+v (%v)", c, err)
		}
		issued, ok := env.Credential(huawei.CredentialProvider, c.Access)
		if !ok || issued.SecurityToken != c.SecurityToken || issued.ProjectID != project {
			t.Errorf("issued credential %+v %v: not the agency's", issued, ok)
		}
		env.SetClock(func() time.Time { return time.Now().Add(6*time.Hour + time.Minute) })
		if status, _ := do("GET", huawei.MetadataSecurityKeyPath, map[string]string{"X-Metadata-Token": token}); status != 401 {
			t.Errorf("expired session token: %d, want 401", status)
		}
	}
}
