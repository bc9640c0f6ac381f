package huawei

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/emulator/sim"
)

// TestEmulatorFollowsClientSignedHeaders: the emulator verifies over the
// client's own SignedHeaders (here APIG-doc style, with host and
// content-type), with the canonical trailing slash, whatever the SDK
// would have chosen.
func TestEmulatorFollowsClientSignedHeaders(t *testing.T) {
	env, err := sim.New(sim.Options{
		Credentials: []sim.Credential{{Provider: CredentialProvider, AccessKeyID: "AK", Secret: "SK"}},
		Functions:   []sim.FunctionSpec{{Name: "echo"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	srv := httptest.NewServer(sim.NewServer(env, FunctionGraphEmulator{}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	path := "/v2/p1/fgs/functions/p1:default:echo/invocations"
	body := `{"k":"v"}`
	tests := []struct {
		name   string
		signed []string
		uri    string // canonical URI used by the client
		want   int
	}{
		{"host and content-type signed", []string{"content-type", "host", "x-sdk-date"}, CanonicalURI(path), 200},
		{"only the date", []string{"x-sdk-date"}, CanonicalURI(path), 200},
		{"no trailing slash", []string{"x-sdk-date"}, strings.TrimSuffix(CanonicalURI(path), "/"), 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			date := time.Now().UTC().Format(DateFormat)
			headers := map[string][]string{"content-type": {"application/json"}, "host": {u.Host}, "x-sdk-date": {date}}
			cr := CanonicalRequest("POST", path, nil, headers, tt.signed, HexSHA256([]byte(body)))
			cr = strings.Replace(cr, CanonicalURI(path), tt.uri, 1)
			sig := Signature("SK", StringToSign(date, cr))
			req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(HeaderDate, date)
			req.Header.Set("Authorization", AuthorizationValue("AK", tt.signed, sig))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}

func TestParseURN(t *testing.T) {
	tests := []struct {
		in   string
		want URN
		ok   bool
	}{
		{"fn", URN{Name: "fn"}, true},
		{"pkg:fn", URN{Package: "pkg", Name: "fn"}, true},
		{"p:pkg:fn", URN{Project: "p", Package: "pkg", Name: "fn"}, true},
		{"p:pkg:fn:v1", URN{Project: "p", Package: "pkg", Name: "fn", Version: "v1"}, true},
		{"p:pkg:fn:!prod", URN{Project: "p", Package: "pkg", Name: "fn", Alias: "prod"}, true},
		{"urn:fss:cn-east-3:p:function:default:hcloud-invoke", URN{Region: "cn-east-3", Project: "p", Package: "default", Name: "hcloud-invoke"}, true},
		{"urn:fss:cn-east-3:p:function:default:hcloud-invoke:latest", URN{Region: "cn-east-3", Project: "p", Package: "default", Name: "hcloud-invoke", Version: "latest"}, true},
		{"urn:fss:cn-east-3:p:function:default:f:!a", URN{Region: "cn-east-3", Project: "p", Package: "default", Name: "f", Alias: "a"}, true},
		{"a:b:c:d:e", URN{}, false},
		{"urn:xxx:r:p:function:default:f", URN{}, false},
		{"p:pkg:fn:", URN{}, false},
		{"9fn", URN{}, false},
		{"", URN{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseURN(tt.in)
			if (err == nil) != tt.ok || tt.ok && got != tt.want {
				t.Errorf("ParseURN(%q) = %+v, %v", tt.in, got, err)
			}
			if tt.ok {
				if back, err := ParseURN(got.String()); err != nil || back.Name != got.Name || back.Qualifier() != got.Qualifier() && got.Project != "" {
					t.Errorf("round trip %q -> %q: %+v %v", tt.in, got.String(), back, err)
				}
			}
		})
	}
	full := URN{Region: "r-1", Project: "p", Name: "f", Alias: "prod"}
	if got := full.String(); got != "urn:fss:r-1:p:function:default:f:!prod" {
		t.Errorf("String %q", got)
	}
}

// TestDeclaredContentHash: with X-Sdk-Content-Sha256 the signature covers
// the declared value (checked before the body is read) and the body must
// then match it, unless it is UNSIGNED-PAYLOAD.
func TestDeclaredContentHash(t *testing.T) {
	env, err := sim.New(sim.Options{
		Credentials: []sim.Credential{{Provider: CredentialProvider, AccessKeyID: "AK", Secret: "SK"}},
		Functions:   []sim.FunctionSpec{{Name: "echo"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	srv := httptest.NewServer(sim.NewServer(env, FunctionGraphEmulator{}))
	defer srv.Close()
	path := "/v2/p1/fgs/functions/p1:default:echo/invocations"
	body := `{"k":"v"}`
	for _, tt := range []struct {
		name, declared string
		want           int
	}{
		{"matching", HexSHA256([]byte(body)), 200},
		{"unsigned payload", "UNSIGNED-PAYLOAD", 200},
		{"another body's hash", HexSHA256([]byte(`{}`)), 401},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{HeaderDate: time.Now().UTC().Format(DateFormat), HeaderContentHash: tt.declared}
			auth, err := Sign("AK", "SK", "POST", path, nil, h, nil)
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
			for k, v := range h {
				req.Header.Set(k, v)
			}
			req.Header.Set("Authorization", auth)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}
