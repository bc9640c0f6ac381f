package huawei

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/emulator/sim"
)

// The emulated pod identity service issues temporary credentials to the
// holder of a token; the FunctionGraph API accepts them with their
// security token only, and refuses them once they expire.
func TestEmulatedPodIdentity(t *testing.T) {
	env, err := sim.New(sim.Options{
		Credentials: []sim.Credential{
			{Provider: CredentialProvider, Token: "pod-token", ProjectID: "p1"},
			{Provider: CredentialProvider, Token: "old-token", Expired: true},
		},
		Functions: []sim.FunctionSpec{{Name: "echo"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	srv := httptest.NewServer(sim.NewServer(env, FunctionGraphEmulator{}))
	defer srv.Close()

	post := func(method, auth string) (int, []byte) {
		req, _ := http.NewRequest(method, srv.URL+PodIdentityPath, strings.NewReader("{}"))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	for _, tc := range []struct {
		method, auth string
		want         int
	}{
		{"GET", "pod-token", 405},
		{"POST", "", 401},
		{"POST", "nobody", 401},
		{"POST", "old-token", 401},
	} {
		if got, body := post(tc.method, tc.auth); got != tc.want {
			t.Errorf("%s %q: status %d, want %d: %s", tc.method, tc.auth, got, tc.want, body)
		}
	}
	status, body := post("POST", "pod-token")
	var answer struct {
		Credentials struct {
			AccessKeyID, SecretAccessKey, SecurityToken, Expiration string
		}
	}
	if err := json.Unmarshal(body, &answer); status != 200 || err != nil {
		t.Fatalf("status %d %v: %s", status, err, body)
	}
	c := answer.Credentials
	exp, err := time.Parse("2006-01-02T15:04:05Z", c.Expiration)
	if err != nil || exp.Sub(time.Now()) < 50*time.Minute || c.AccessKeyID == "" || c.SecretAccessKey == "" || c.SecurityToken == "" {
		t.Fatalf("credentials %+v (%v)", c, err)
	}

	invoke := func(securityToken string) (int, string) {
		path := "/v2/p1/fgs/functions/p1:default:echo/invocations"
		h := map[string]string{HeaderDate: env.Now().UTC().Format(DateFormat), "X-Project-Id": "p1"}
		if securityToken != "" {
			h["X-Security-Token"] = securityToken
		}
		auth, err := Sign(c.AccessKeyID, c.SecretAccessKey, "POST", path, nil, h, []byte("{}"))
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader("{}"))
		for k, v := range h {
			req.Header.Set(k, v)
		}
		req.Header.Set("Authorization", auth)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if s, b := invoke(c.SecurityToken); s != 200 {
		t.Errorf("with its security token: %d %s", s, b)
	}
	if s, b := invoke(""); s != 401 || !strings.Contains(b, "security token is invalid or missing") {
		t.Errorf("without its security token: %d %s", s, b)
	}
	if s, b := invoke("forged"); s != 401 {
		t.Errorf("with a forged security token: %d %s", s, b)
	}
	env.SetClock(func() time.Time { return time.Now().Add(61 * time.Minute) })
	if s, b := invoke(c.SecurityToken); s != 401 || !strings.Contains(b, "expired") {
		t.Errorf("after expiry: %d %s", s, b)
	}
}
