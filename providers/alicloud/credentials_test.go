package alicloud_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/emulator"
	"github.com/fnprobe/fnprobe/emulator/sim"
	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/providers/alicloud"
	"github.com/fnprobe/fnprobe/providers/providertest"
	"github.com/zclconf/go-cty/cty"
)

// The credential chain's tests: credentials-go's real providers, files
// in the temporary HOME TestMain made, variables set with t.Setenv (so
// none of them runs in parallel), and the emulator's STS on loopback over
// TLS issuing temporary credentials that its FC APIs then check.

const (
	parentAK     = "AKPARENT"
	parentSecret = "parent-secret-never-printed"
	oidcToken    = "oidc-token-known-to-the-emulator"
	roleARN      = "acs:ram::1234567890123456:role/probe"
	oidcARN      = "acs:ram::1234567890123456:oidc-provider/ci"
)

// stsAnswer is one set of temporary credentials the emulated STS issued.
type stsAnswer struct {
	Action string
	Creds  struct{ AccessKeyId, AccessKeySecret, SecurityToken, Expiration string }
}

// stsEmu is the emulator served twice over one Env: over plain HTTP for
// the FC APIs and over TLS for the STS, with a record of what the STS
// issued.
type stsEmu struct {
	env         *sim.Env
	fcURL       string
	stsEndpoint string // as sts_endpoint takes it
	mu          sync.Mutex
	issued      []stsAnswer
}

func (s *stsEmu) answers() []stsAnswer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]stsAnswer(nil), s.issued...)
}

// recorder keeps the body of an STS answer.
type recorder struct {
	http.ResponseWriter
	buf bytes.Buffer
}

func (r *recorder) Write(b []byte) (int, error) {
	r.buf.Write(b)
	return r.ResponseWriter.Write(b)
}

func startSTS(t *testing.T) *stsEmu {
	t.Helper()
	cfg := emulator.Config{
		Seed: 1,
		Credentials: []sim.Credential{
			{Provider: "alicloud", AccessKeyID: parentAK, Secret: parentSecret},
			{Provider: "alicloud", Token: oidcToken},
		},
		Functions: []sim.FunctionSpec{{Name: "echo", Service: "svc"}},
	}
	srv, err := emulator.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Env().Close)
	s := &stsEmu{env: srv.Env()}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, alicloud.STSPath) {
			srv.ServeHTTP(w, r)
			return
		}
		action := r.URL.Query().Get("Action")
		rec := &recorder{ResponseWriter: w}
		srv.ServeHTTP(rec, r)
		var a struct {
			Credentials *struct{ AccessKeyId, AccessKeySecret, SecurityToken, Expiration string }
		}
		if json.Unmarshal(rec.buf.Bytes(), &a) == nil && a.Credentials != nil {
			s.mu.Lock()
			s.issued = append(s.issued, stsAnswer{Action: action, Creds: *a.Credentials})
			s.mu.Unlock()
		}
	})
	plain := httptest.NewServer(h)
	t.Cleanup(plain.Close)
	secure := httptest.NewUnstartedServer(h)
	secure.TLS = &tls.Config{Certificates: []tls.Certificate{loopbackCert}}
	secure.StartTLS()
	t.Cleanup(secure.Close)
	s.fcURL = plain.URL
	s.stsEndpoint = strings.TrimPrefix(secure.URL, "https://") + alicloud.STSPath
	return s
}

// chainProvider is a provider block aimed at the emulator's FC API and
// STS, with attrs added (profile, assume_role, keys ...).
func (s *stsEmu) chainProvider(apiVersion string, attrs map[string]cty.Value) cty.Value {
	m := map[string]cty.Value{
		"endpoint":     cty.StringVal(s.fcURL),
		"sts_endpoint": cty.StringVal("https://" + s.stsEndpoint),
		"region":       cty.StringVal("cn-hangzhou"),
		"account_id":   cty.StringVal("1234567890123456"),
	}
	if apiVersion != "" {
		m["api_version"] = cty.StringVal(apiVersion)
	}
	for k, v := range attrs {
		m[k] = v
	}
	return cty.ObjectVal(m)
}

func assumeRoleBlock(extra map[string]string) cty.Value {
	m := map[string]cty.Value{
		"role_arn":     cty.StringVal(roleARN),
		"session_name": cty.NullVal(cty.String),
		"external_id":  cty.NullVal(cty.String),
	}
	for k, v := range extra {
		m[k] = cty.StringVal(v)
	}
	return cty.ObjectVal(m)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// freshHome gives the test its own empty HOME.
func freshHome(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	return home
}

// oidcEnv sets the OIDC variables, the token file in home holding token.
func oidcEnv(t *testing.T, home, token string) {
	t.Helper()
	tok := filepath.Join(home, "oidc-token")
	writeFile(t, tok, token)
	t.Setenv(alicloud.EnvRoleARN, roleARN)
	t.Setenv(alicloud.EnvOIDCProviderARN, oidcARN)
	t.Setenv(alicloud.EnvOIDCTokenFile, tok)
}

const bogusProfile = `[default]
type = access_key
access_key_id = AKBOGUS
access_key_secret = bogus
`

// TestCredentialChain: every source of the chain, end to end, for FC 3.0
// and both FC 2.0 signatures: the driver resolves its credential through
// credentials-go (through the emulator's STS where the source is a role),
// signs with it and its security token, and the FC API checks them.
func TestCredentialChain(t *testing.T) {
	cases := []struct {
		name       string
		setup      func(t *testing.T, s *stsEmu, home string)
		attrs      map[string]cty.Value
		wantSource string
		wantSTS    string // the STS action that issued the credential; "" for none
	}{
		{
			name: "environment",
			setup: func(t *testing.T, s *stsEmu, home string) {
				t.Setenv(alicloud.EnvAccessKeyID, parentAK)
				t.Setenv(alicloud.EnvAccessKeySecret, parentSecret)
			},
			wantSource: "environment (ALIBABA_CLOUD_ACCESS_KEY_ID)",
		},
		{
			name: "environment with a security token",
			setup: func(t *testing.T, s *stsEmu, home string) {
				c := s.env.IssueCredential("alicloud", "STS.", sim.Credential{}, time.Hour)
				t.Setenv(alicloud.EnvAccessKeyID, c.AccessKeyID)
				t.Setenv(alicloud.EnvAccessKeySecret, c.Secret)
				t.Setenv(alicloud.EnvSecurityToken, c.SecurityToken)
			},
			wantSource: "environment (ALIBABA_CLOUD_ACCESS_KEY_ID)",
		},
		{
			name: "credentials file, default profile",
			setup: func(t *testing.T, s *stsEmu, home string) {
				writeFile(t, filepath.Join(home, ".alibabacloud", "credentials"),
					"[default]\ntype = access_key\naccess_key_id = "+parentAK+"\naccess_key_secret = "+parentSecret+"\n")
			},
			wantSource: `credentials, profile "default"`,
		},
		{
			name: "credentials file, ALIBABA_CLOUD_PROFILE",
			setup: func(t *testing.T, s *stsEmu, home string) {
				writeFile(t, filepath.Join(home, ".alibabacloud", "credentials"),
					bogusProfile+"[ci]\ntype = access_key\naccess_key_id = "+parentAK+"\naccess_key_secret = "+parentSecret+"\n")
				t.Setenv(alicloud.EnvProfile, "ci")
			},
			wantSource: `profile "ci"`,
		},
		{
			name: "credentials file named by ALIBABA_CLOUD_CREDENTIALS_FILE",
			setup: func(t *testing.T, s *stsEmu, home string) {
				p := filepath.Join(home, "elsewhere", "creds.ini")
				writeFile(t, p, "[default]\ntype = access_key\naccess_key_id = "+parentAK+"\naccess_key_secret = "+parentSecret+"\n")
				t.Setenv(alicloud.EnvCredentialsFile, p)
			},
			wantSource: `creds.ini, profile "default"`,
		},
		{
			name: "profile attribute",
			setup: func(t *testing.T, s *stsEmu, home string) {
				writeFile(t, filepath.Join(home, ".alibabacloud", "credentials"),
					bogusProfile+"[ci]\ntype = access_key\naccess_key_id = "+parentAK+"\naccess_key_secret = "+parentSecret+"\n")
			},
			attrs:      map[string]cty.Value{"profile": cty.StringVal("ci")},
			wantSource: `profile "ci"`,
		},
		{
			name: "credentials file, ram_role_arn profile through AssumeRole",
			setup: func(t *testing.T, s *stsEmu, home string) {
				writeFile(t, filepath.Join(home, ".alibabacloud", "credentials"),
					"[default]\ntype = ram_role_arn\naccess_key_id = "+parentAK+"\naccess_key_secret = "+parentSecret+
						"\nrole_arn = "+roleARN+"\nrole_session_name = probe-session\n")
			},
			wantSource: `profile "default" (RAM role ` + roleARN + `)`,
			wantSTS:    "AssumeRole",
		},
		{
			name: "CLI configuration, current profile",
			setup: func(t *testing.T, s *stsEmu, home string) {
				writeFile(t, filepath.Join(home, ".aliyun", "config.json"), `{"current": "dev", "profiles": [
					{"name": "default", "mode": "AK", "access_key_id": "AKBOGUS", "access_key_secret": "bogus"},
					{"name": "dev", "mode": "AK", "access_key_id": "`+parentAK+`", "access_key_secret": "`+parentSecret+`"}]}`)
				writeFile(t, filepath.Join(home, ".alibabacloud", "credentials"), bogusProfile)
			},
			wantSource: `config.json, profile "dev" (mode AK)`,
		},
		{
			name: "OIDC role through AssumeRoleWithOIDC",
			setup: func(t *testing.T, s *stsEmu, home string) {
				oidcEnv(t, home, oidcToken)
				writeFile(t, filepath.Join(home, ".alibabacloud", "credentials"), bogusProfile)
			},
			wantSource: "OIDC role " + roleARN + " (ALIBABA_CLOUD_OIDC_TOKEN_FILE)",
			wantSTS:    "AssumeRoleWithOIDC",
		},
		{
			name: "assume_role with the block's keys",
			attrs: map[string]cty.Value{
				"access_key_id": cty.StringVal(parentAK), "access_key_secret": cty.StringVal(parentSecret),
				"assume_role": assumeRoleBlock(map[string]string{"session_name": "probe", "external_id": "abc"}),
			},
			wantSource: "RAM role " + roleARN + " via provider block",
			wantSTS:    "AssumeRole",
		},
		{
			name: "assume_role with the environment's keys",
			setup: func(t *testing.T, s *stsEmu, home string) {
				t.Setenv(alicloud.EnvAccessKeyID, parentAK)
				t.Setenv(alicloud.EnvAccessKeySecret, parentSecret)
			},
			attrs:      map[string]cty.Value{"assume_role": assumeRoleBlock(nil)},
			wantSource: "RAM role " + roleARN + " via environment (ALIBABA_CLOUD_ACCESS_KEY_ID)",
			wantSTS:    "AssumeRole",
		},
		{
			// A credentials server of the user's (here on loopback)
			// hands out the emulator's temporary credentials.
			name: "credentials URI",
			setup: func(t *testing.T, s *stsEmu, home string) {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					c := s.env.IssueCredential("alicloud", "STS.", sim.Credential{}, time.Hour)
					_ = json.NewEncoder(w).Encode(map[string]string{
						"Code": "Success", "AccessKeyId": c.AccessKeyID, "AccessKeySecret": c.Secret,
						"SecurityToken": c.SecurityToken, "Expiration": c.Expires.UTC().Format("2006-01-02T15:04:05Z"),
					})
				}))
				t.Cleanup(srv.Close)
				t.Setenv(alicloud.EnvCredentialsURI, srv.URL+"/creds")
			},
			wantSource: "credentials URI (ALIBABA_CLOUD_CREDENTIALS_URI)",
		},
		{
			name: "static keys in the block win",
			setup: func(t *testing.T, s *stsEmu, home string) {
				t.Setenv(alicloud.EnvAccessKeyID, "AKBOGUS")
				t.Setenv(alicloud.EnvAccessKeySecret, "bogus")
				t.Setenv(alicloud.EnvRoleARN, roleARN)
				t.Setenv(alicloud.EnvOIDCProviderARN, oidcARN)
				t.Setenv(alicloud.EnvOIDCToken, "not-a-known-token")
				writeFile(t, filepath.Join(home, ".alibabacloud", "credentials"), bogusProfile)
			},
			attrs: map[string]cty.Value{
				"access_key_id": cty.StringVal(parentAK), "access_key_secret": cty.StringVal(parentSecret),
				"profile": cty.StringVal("default"),
			},
			wantSource: "provider block",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := startSTS(t)
			home := freshHome(t)
			if tc.setup != nil {
				tc.setup(t, s, home)
			}
			for _, f := range flavours() {
				t.Run(f.name, func(t *testing.T) {
					d := f.driver()
					defer d.Close()
					d.PollInterval = 5 * time.Millisecond
					p := s.chainProvider(f.apiVersion, tc.attrs)
					source, err := d.CredentialSource(context.Background(), p)
					if err != nil || !strings.Contains(source, tc.wantSource) {
						t.Fatalf("source %q, %v; want one containing %q", source, err, tc.wantSource)
					}
					secrets := &providertest.Secrets{}
					before := len(s.answers())
					for _, typ := range []string{providers.TypeSync, providers.TypeAsync} {
						res, err := d.Invoke(context.Background(), &providers.Request{
							Provider: p, Function: functionVal("svc", "echo", ""), Type: typ, Wait: true,
							Payload: []byte(`{"chain":true}`), Secrets: secrets,
						})
						if err != nil || res.Status >= 300 || res.Error || string(res.Body) != `{"chain":true}` {
							t.Fatalf("%s: res %+v err %v", typ, res, err)
						}
					}
					issued := s.answers()[before:]
					if tc.wantSTS == "" {
						if len(issued) != 0 {
							t.Errorf("STS called %d times for a source that needs none", len(issued))
						}
						if got := len(secrets.All()) != 0; got != (tc.wantSource != "provider block") {
							t.Errorf("secrets handed to the request: %v; want them only for a source other than the block", got)
						}
						return
					}
					// One STS call, cached for both invocations (and the
					// async task's polls).
					if len(issued) != 1 || issued[0].Action != tc.wantSTS {
						t.Fatalf("STS answers %+v, want one %s", issued, tc.wantSTS)
					}
					c := issued[0].Creds
					if !strings.HasPrefix(c.AccessKeyId, "STS.") || c.SecurityToken == "" {
						t.Fatalf("issued %+v", c)
					}
					for _, v := range []string{c.AccessKeyId, c.AccessKeySecret, c.SecurityToken} {
						if !secrets.Has(v) {
							t.Errorf("temporary credential part %q not handed to Request.Secrets", v)
						}
						if strings.Contains(source, v) {
							t.Errorf("the source %q shows a secret", source)
						}
					}
					exp, err := time.Parse("2006-01-02T15:04:05Z", c.Expiration)
					if err != nil || exp.Sub(time.Now()) < 50*time.Minute || exp.Sub(time.Now()) > 61*time.Minute {
						t.Errorf("expiration %q, want about an hour from now (%v)", c.Expiration, err)
					}
				})
			}
		})
	}
}

// TestChainFailures: sources that cannot work fail at once with a named,
// permanent error, and the STS's refusal is named, not a hang.
func TestChainFailures(t *testing.T) {
	cases := []struct {
		name       string
		setup      func(t *testing.T, home string)
		attrs      map[string]cty.Value
		wantSource string // "" when CredentialSource must fail too
		want       string
	}{
		{
			name: "nothing found",
			want: ": no credentials: set access_key_id and access_key_secret",
		},
		{
			name: "profile not found",
			setup: func(t *testing.T, home string) {
				writeFile(t, filepath.Join(home, ".alibabacloud", "credentials"), bogusProfile)
			},
			attrs: map[string]cty.Value{"profile": cty.StringVal("nope")},
			want:  `profile "nope" is in neither the credentials file`,
		},
		{
			name: "credentials file is a FIFO",
			setup: func(t *testing.T, home string) {
				path := filepath.Join(home, ".alibabacloud", "credentials")
				if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := syscall.Mkfifo(path, 0o600); err != nil {
					t.Skip("no FIFOs here:", err)
				}
			},
			want: "named pipe (FIFO), not a regular file",
		},
		{
			name: "OIDC token file too large",
			setup: func(t *testing.T, home string) {
				oidcEnv(t, home, strings.Repeat("x", providers.CredentialFileLimit+1))
			},
			want: "larger than the 1 MiB limit",
		},
		{
			name: "secret missing from the environment",
			setup: func(t *testing.T, home string) {
				t.Setenv(alicloud.EnvAccessKeyID, parentAK)
			},
			want: "ALIBABA_CLOUD_ACCESS_KEY_ID is set but ALIBABA_CLOUD_ACCESS_KEY_SECRET is not",
		},
		{
			name: "wrong OIDC token",
			setup: func(t *testing.T, home string) {
				oidcEnv(t, home, "a-token-the-emulator-does-not-know")
			},
			wantSource: "OIDC role",
			want:       "AuthenticationFail.OIDCToken.Invalid",
		},
		{
			name: "assume_role with a wrong secret",
			attrs: map[string]cty.Value{
				"access_key_id": cty.StringVal(parentAK), "access_key_secret": cty.StringVal("wrong"),
				"assume_role": assumeRoleBlock(nil),
			},
			wantSource: "RAM role",
			want:       "SignatureDoesNotMatch",
		},
		{
			name: "assume_role with an unknown key",
			attrs: map[string]cty.Value{
				"access_key_id": cty.StringVal("AKNOBODY"), "access_key_secret": cty.StringVal("x"),
				"assume_role": assumeRoleBlock(nil),
			},
			wantSource: "RAM role",
			want:       "InvalidAccessKeyId.NotFound",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := startSTS(t)
			home := freshHome(t)
			if tc.setup != nil {
				tc.setup(t, home)
			}
			d := alicloud.NewFC3()
			defer d.Close()
			p := s.chainProvider("", tc.attrs)
			source, err := d.CredentialSource(context.Background(), p)
			if tc.wantSource == "" && err == nil {
				t.Errorf("CredentialSource %q, want an error", source)
			}
			if tc.wantSource != "" && (err != nil || !strings.Contains(source, tc.wantSource)) {
				t.Errorf("CredentialSource %q, %v; want %q", source, err, tc.wantSource)
			}
			start := time.Now()
			_, err = d.Invoke(context.Background(), &providers.Request{Provider: p, Function: functionVal("", "echo", ""), Type: providers.TypeSync})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want one containing %q", err, tc.want)
			}
			if providers.IsPermanent(err) == nil {
				t.Errorf("err %v is not Permanent", err)
			}
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("took %v", took)
			}
		})
	}
}

// TestChainRebuiltAfterAConfigurationError: a chain that could not be
// built is not kept: a profile that did not exist is found once it is
// written (a long-lived watch process).
func TestChainRebuiltAfterAConfigurationError(t *testing.T) {
	s := startSTS(t)
	home := freshHome(t)
	d := alicloud.NewFC3()
	defer d.Close()
	p := s.chainProvider("", map[string]cty.Value{"profile": cty.StringVal("ci")})
	req := &providers.Request{Provider: p, Function: functionVal("", "echo", ""), Type: providers.TypeSync}
	if _, err := d.Invoke(context.Background(), req); err == nil || !strings.Contains(err.Error(), `profile "ci" is in neither`) {
		t.Fatalf("err %v", err)
	}
	writeFile(t, filepath.Join(home, ".alibabacloud", "credentials"),
		"[ci]\ntype = access_key\naccess_key_id = "+parentAK+"\naccess_key_secret = "+parentSecret+"\n")
	if source, err := d.CredentialSource(context.Background(), p); err != nil || !strings.Contains(source, `profile "ci"`) {
		t.Errorf("CredentialSource %q, %v", source, err)
	}
	for i := 0; i < 2; i++ {
		res, err := d.Invoke(context.Background(), req)
		if err != nil || res.Status != 200 {
			t.Fatalf("invocation %d: res %+v err %v", i, res, err)
		}
		res.Free()
	}
}

// TestExpiredTemporaryCredentialRefused: the FC APIs refuse a temporary
// credential past its expiration, whichever signature carries it.
func TestExpiredTemporaryCredentialRefused(t *testing.T) {
	s := startSTS(t)
	c := s.env.IssueCredential("alicloud", "STS.", sim.Credential{}, time.Minute)
	for _, f := range flavours() {
		t.Run(f.name, func(t *testing.T) {
			d := f.driver()
			defer d.Close()
			p := s.chainProvider(f.apiVersion, map[string]cty.Value{
				"access_key_id": cty.StringVal(c.AccessKeyID), "access_key_secret": cty.StringVal(c.Secret),
				"security_token": cty.StringVal(c.SecurityToken),
			})
			invoke := func() (*providers.Result, error) {
				return d.Invoke(context.Background(), &providers.Request{Provider: p, Function: functionVal("svc", "echo", ""), Type: providers.TypeSync})
			}
			s.env.SetClock(nil)
			if res, err := invoke(); err != nil || res.Status != 200 {
				t.Fatalf("before expiry: res %+v err %v", res, err)
			}
			s.env.SetClock(func() time.Time { return time.Now().Add(2 * time.Minute) })
			defer s.env.SetClock(nil)
			res, err := invoke()
			if err != nil || res.Status != 403 || res.ErrorCode != "InvalidSecurityToken.Expired" {
				t.Fatalf("after expiry: res %+v err %v", res, err)
			}
		})
	}
}

// TestChainConcurrent: one driver shared by many invocations asks STS
// once and gives every invocation the same temporary credential.
func TestChainConcurrent(t *testing.T) {
	s := startSTS(t)
	home := freshHome(t)
	oidcEnv(t, home, oidcToken)
	d := alicloud.NewFC3()
	defer d.Close()
	p := s.chainProvider("", nil)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			res, err := d.Invoke(context.Background(), &providers.Request{Provider: p, Function: functionVal("", "echo", ""), Type: providers.TypeSync})
			if err != nil || res.Status != 200 {
				t.Errorf("res %+v err %v", res, err)
			}
		})
	}
	wg.Wait()
	if n := len(s.answers()); n != 1 {
		t.Errorf("STS issued %d credentials, want 1", n)
	}
}

// TestChainHonoursContext: an STS that never answers does not hold the
// invocation past its context.
func TestChainHonoursContext(t *testing.T) {
	s := startSTS(t)
	freshHome(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(io.Discard, c) }() // reads, never answers
		}
	}()
	d := alicloud.NewFC3()
	defer d.Close()
	p := s.chainProvider("", map[string]cty.Value{
		"access_key_id": cty.StringVal(parentAK), "access_key_secret": cty.StringVal(parentSecret),
		"sts_endpoint": cty.StringVal(ln.Addr().String()),
		"assume_role":  assumeRoleBlock(nil),
	})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = d.Invoke(ctx, &providers.Request{Provider: p, Function: functionVal("", "echo", ""), Type: providers.TypeSync})
	if err == nil || !strings.Contains(err.Error(), "deadline") {
		t.Errorf("err %v", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %v", took)
	}
}

// TestChainRefreshesBeforeExpiry: a temporary credential close to its
// expiry is renewed before it is used (credentials-go renews within 180
// s of the Expiration the STS gave). The emulator's clock runs 14 minutes
// behind, within the signature's skew window, so a 900 s credential it
// issues expires a minute from now by the driver's clock.
func TestChainRefreshesBeforeExpiry(t *testing.T) {
	s := startSTS(t)
	freshHome(t)
	s.env.SetClock(func() time.Time { return time.Now().Add(-14 * time.Minute) })
	d := alicloud.NewFC3()
	defer d.Close()
	role := assumeRoleBlock(nil)
	role = cty.ObjectVal(map[string]cty.Value{
		"role_arn": role.GetAttr("role_arn"), "session_name": role.GetAttr("session_name"),
		"external_id": role.GetAttr("external_id"), "duration_seconds": cty.NumberIntVal(900),
	})
	p := s.chainProvider("", map[string]cty.Value{
		"access_key_id": cty.StringVal(parentAK), "access_key_secret": cty.StringVal(parentSecret),
		"assume_role": role,
	})
	for i := range 3 {
		res, err := d.Invoke(context.Background(), &providers.Request{Provider: p, Function: functionVal("", "echo", ""), Type: providers.TypeSync})
		if err != nil || res.Status != 200 {
			t.Fatalf("invocation %d: res %+v err %v", i, res, err)
		}
	}
	if n := len(s.answers()); n != 3 {
		t.Errorf("STS issued %d credentials for 3 invocations, want a fresh one each time", n)
	}
}

// TestECSRAMRole: the ECS RAM role is a source only when
// ALIBABA_CLOUD_ECS_METADATA names it, and plan names it without asking
// the instance metadata (100.100.100.200, which no test may reach: the
// role itself is invoked, through the emulator as an HTTP proxy, by
// TestECSRAMRole_EndToEnd in ecs_test.go); ALIBABA_CLOUD_ECS_METADATA_DISABLED
// turns it off.
func TestECSRAMRole(t *testing.T) {
	freshHome(t)
	d := alicloud.NewFC3()
	defer d.Close()
	p := cty.ObjectVal(map[string]cty.Value{"region": cty.StringVal("cn-hangzhou")})
	t.Setenv(alicloud.EnvECSMetadata, "probe-role")
	t.Setenv(alicloud.EnvECSMetadataDisabled, "")
	if src, err := d.CredentialSource(context.Background(), p); err != nil || src != "ECS RAM role probe-role" {
		t.Errorf("source %q, %v", src, err)
	}
	t.Setenv(alicloud.EnvECSMetadataDisabled, "true")
	if src, err := d.CredentialSource(context.Background(), p); err == nil {
		t.Errorf("disabled: source %q", src)
	}
	t.Setenv(alicloud.EnvECSMetadata, "")
	t.Setenv(alicloud.EnvECSMetadataDisabled, "")
	if src, err := d.CredentialSource(context.Background(), p); err == nil {
		t.Errorf("no role named: source %q, want no credentials (the metadata is never probed)", src)
	}
	_, err := d.Invoke(context.Background(), &providers.Request{Provider: p, Function: functionVal("", "echo", ""), Type: providers.TypeSync})
	if err == nil || !strings.Contains(err.Error(), ": no credentials: set ") || providers.IsPermanent(err) == nil {
		t.Errorf("err %v", err)
	}
}
