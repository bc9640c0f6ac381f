package huawei_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/emulator/sim"
	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/providers/huawei"
	"github.com/fnprobe/fnprobe/providers/providertest"
	"github.com/zclconf/go-cty/cty"
)

// chainEnv are the variables the SDK's credential chain reads.
var chainEnv = []string{
	huawei.EnvAccessKey, huawei.EnvSecretKey, huawei.EnvSecurityToken, huawei.EnvProjectID,
	huawei.EnvCredentialsFile, huawei.EnvIdpID, huawei.EnvIDTokenFile,
	huawei.EnvPodIdentityURI, huawei.EnvPodIdentityTokenFile,
}

// isolate gives the test an empty home directory and clears the chain's
// environment variables, so that no real credentials are found. It
// returns the home directory.
func isolate(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, k := range chainEnv {
		t.Setenv(k, "")
	}
	t.Setenv(huawei.EnvMetadataDisabled, "true") // never 169.254.169.254 from a test
	return home
}

// writeFile writes a file the test owns, making its directory.
func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// chainProvider is a provider block without credentials (and, unless
// given, without project_id).
func chainProvider(endpoint string, attrs map[string]string) cty.Value {
	m := map[string]cty.Value{"endpoint": cty.StringVal(endpoint), "region": cty.StringVal(testRegion)}
	for _, k := range []string{"project_id", "access_key", "secret_key", "security_token", "auth_token"} {
		m[k] = cty.NullVal(cty.String)
		if v, ok := attrs[k]; ok {
			m[k] = cty.StringVal(v)
		}
	}
	return cty.ObjectVal(m)
}

// TestCredentialChain runs the chain end to end: plan's source, then an
// invocation the emulated API authenticates (access key, signature,
// security token, expiry), with files in a temporary home directory.
func TestCredentialChain(t *testing.T) {
	r := start(t)
	parent := sim.Credential{ProjectID: project}
	sts := r.Env.IssueCredential(huawei.CredentialProvider, "STS", parent, time.Hour)
	expired := r.Env.IssueCredential(huawei.CredentialProvider, "STS", parent, -time.Second)
	profile := func(ak, sk, token string) string {
		s := "[global]\nak = GLOBALAK\nsk = global-secret\n\n[basic]\nak = " + ak + "\nsk = " + sk + "\nproject_id = " + project + "\n"
		if token != "" {
			s += "security_token = " + token + "\n"
		}
		return s
	}
	type setup func(t *testing.T, home string)
	env := func(kv ...string) setup {
		return func(t *testing.T, _ string) {
			for i := 0; i < len(kv); i += 2 {
				t.Setenv(kv[i], kv[i+1])
			}
		}
	}
	homeProfile := func(content string) setup {
		return func(t *testing.T, home string) {
			writeFile(t, filepath.Join(home, ".huaweicloud", "credentials"), content)
		}
	}
	both := func(a, b setup) setup {
		return func(t *testing.T, home string) { a(t, home); b(t, home) }
	}
	podToken := func(token string) setup {
		return func(t *testing.T, home string) {
			f := writeFile(t, filepath.Join(home, "pod", "token"), token+"\n")
			t.Setenv(huawei.EnvPodIdentityURI, r.URL+huawei.PodIdentityPath)
			t.Setenv(huawei.EnvPodIdentityTokenFile, f)
		}
	}
	cases := []struct {
		name   string
		setup  setup
		block  map[string]string
		source string // what plan shows ("" when CredentialSource fails)
		srcErr string // CredentialSource's error
		// want: "ok", "401 <message part>", or "permanent <message part>"
		want    string
		secrets []string
	}{
		{name: "environment", setup: env(huawei.EnvAccessKey, testAK, huawei.EnvSecretKey, testSK, huawei.EnvProjectID, project),
			source: "environment (HUAWEICLOUD_SDK_AK)", want: "ok", secrets: []string{testAK, testSK}},
		{name: "environment temporary", setup: env(huawei.EnvAccessKey, sts.AccessKeyID, huawei.EnvSecretKey, sts.Secret, huawei.EnvSecurityToken, sts.SecurityToken),
			block:  map[string]string{"project_id": project},
			source: "environment (HUAWEICLOUD_SDK_AK, temporary: HUAWEICLOUD_SDK_SECURITY_TOKEN)", want: "ok",
			secrets: []string{sts.AccessKeyID, sts.Secret, sts.SecurityToken}},
		{name: "environment temporary without token", setup: env(huawei.EnvAccessKey, sts.AccessKeyID, huawei.EnvSecretKey, sts.Secret),
			block: map[string]string{"project_id": project}, source: "environment (HUAWEICLOUD_SDK_AK)", want: "401 security token is invalid or missing"},
		{name: "environment temporary wrong token", setup: env(huawei.EnvAccessKey, sts.AccessKeyID, huawei.EnvSecretKey, sts.Secret, huawei.EnvSecurityToken, "not-the-token"),
			block: map[string]string{"project_id": project}, source: "environment (HUAWEICLOUD_SDK_AK, temporary: HUAWEICLOUD_SDK_SECURITY_TOKEN)", want: "401 security token is invalid or missing"},
		{name: "environment expired", setup: env(huawei.EnvAccessKey, expired.AccessKeyID, huawei.EnvSecretKey, expired.Secret, huawei.EnvSecurityToken, expired.SecurityToken),
			block: map[string]string{"project_id": project}, source: "environment (HUAWEICLOUD_SDK_AK, temporary: HUAWEICLOUD_SDK_SECURITY_TOKEN)", want: "401 expired"},
		{name: "environment wrong secret", setup: env(huawei.EnvAccessKey, testAK, huawei.EnvSecretKey, "wrong", huawei.EnvProjectID, project),
			source: "environment (HUAWEICLOUD_SDK_AK)", want: "401 verify aksk signature fail"},
		{name: "environment AK without SK", setup: env(huawei.EnvAccessKey, testAK), srcErr: "HUAWEICLOUD_SDK_AK is set but HUAWEICLOUD_SDK_SK is not",
			want: "permanent HUAWEICLOUD_SDK_SK is not"},
		{name: "federated", setup: env(huawei.EnvIdpID, "idp", huawei.EnvIDTokenFile, "/nonexistent"), srcErr: "federated identity",
			want: "permanent federated identity"},
		{name: "profile", setup: homeProfile(profile(testAK, testSK, "")),
			source: `profile file ~/.huaweicloud/credentials, profile "basic"`, want: "ok", secrets: []string{testAK, testSK}},
		{name: "profile temporary", setup: homeProfile(profile(sts.AccessKeyID, sts.Secret, sts.SecurityToken)),
			source: `profile file ~/.huaweicloud/credentials, profile "basic" (temporary)`, want: "ok",
			secrets: []string{sts.AccessKeyID, sts.Secret, sts.SecurityToken}},
		{name: "profile expired", setup: homeProfile(profile(expired.AccessKeyID, expired.Secret, expired.SecurityToken)),
			source: `profile file ~/.huaweicloud/credentials, profile "basic" (temporary)`, want: "401 expired"},
		{name: "profile from HUAWEICLOUD_SDK_CREDENTIALS_FILE", setup: func(t *testing.T, home string) {
			t.Setenv(huawei.EnvCredentialsFile, writeFile(t, filepath.Join(home, "ci.ini"), profile(testAK, testSK, "")))
		}, source: `(HUAWEICLOUD_SDK_CREDENTIALS_FILE), profile "basic"`, want: "ok"},
		{name: "profile file named but missing", setup: env(huawei.EnvCredentialsFile, "/nonexistent/credentials"),
			srcErr: "/nonexistent/credentials", want: "permanent no such file"},
		{name: "profile without basic section", setup: homeProfile("[global]\nak = A\nsk = B\n"),
			srcErr: "no credentials", want: "permanent no credentials"},
		{name: "profile with federated identity", setup: homeProfile("[basic]\nidp_id = idp\nid_token_file = /t\n"),
			srcErr: "federated identity", want: "permanent federated identity"},
		{name: "profile is a FIFO", setup: func(t *testing.T, home string) {
			p := filepath.Join(home, ".huaweicloud", "credentials")
			if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := syscall.Mkfifo(p, 0o600); err != nil {
				t.Skip("mkfifo:", err)
			}
		}, srcErr: "named pipe", want: "permanent named pipe"},
		{name: "profile too large", setup: homeProfile(profile(testAK, testSK, "") + "; " + strings.Repeat("x", 70<<10) + "\n"),
			srcErr: "larger than", want: "permanent larger than"},
		{name: "profile is a directory", setup: func(t *testing.T, home string) {
			if err := os.MkdirAll(filepath.Join(home, ".huaweicloud", "credentials"), 0o700); err != nil {
				t.Fatal(err)
			}
		}, srcErr: "directory", want: "permanent directory"},
		{name: "environment wins over profile", setup: both(env(huawei.EnvAccessKey, testAK, huawei.EnvSecretKey, testSK), homeProfile(profile("NOBODY", "x", ""))),
			block: map[string]string{"project_id": project}, source: "environment (HUAWEICLOUD_SDK_AK)", want: "ok"},
		{name: "static keys win", setup: both(env(huawei.EnvAccessKey, "NOBODY", huawei.EnvSecretKey, "x"), homeProfile(profile("NOBODY", "x", ""))),
			block: map[string]string{"project_id": project, "access_key": testAK, "secret_key": testSK}, source: "provider block", want: "ok"},
		{name: "static token wins", setup: env(huawei.EnvAccessKey, "NOBODY", huawei.EnvSecretKey, "x"),
			block: map[string]string{"project_id": project, "auth_token": testToken}, source: "provider block", want: "ok"},
		{name: "static temporary keys", block: map[string]string{"project_id": project, "access_key": sts.AccessKeyID, "secret_key": sts.Secret, "security_token": sts.SecurityToken},
			source: "provider block", want: "ok"},
		{name: "static access key without secret", setup: env(huawei.EnvAccessKey, testAK, huawei.EnvSecretKey, testSK),
			block: map[string]string{"project_id": project, "access_key": testAK}, source: "provider block", want: "permanent incomplete credentials"},
		{name: "pod identity", setup: podToken(testToken), block: map[string]string{"project_id": project},
			source: "CCE pod identity " + r.URL + huawei.PodIdentityPath + " (temporary)", want: "ok"},
		{name: "pod identity unknown token", setup: podToken("not-a-token"), block: map[string]string{"project_id": project},
			source: "CCE pod identity " + r.URL + huawei.PodIdentityPath + " (temporary)", want: "error token is invalid"},
		{name: "pod identity expired token", setup: podToken("expired-iam-token"), block: map[string]string{"project_id": project},
			source: "CCE pod identity " + r.URL + huawei.PodIdentityPath + " (temporary)", want: "error token expired"},
		{name: "pod identity without token file", setup: env(huawei.EnvPodIdentityURI, "http://127.0.0.1:1/"), block: map[string]string{"project_id": project},
			srcErr: "needs both", want: "permanent needs both"},
		{name: "pod identity token file is a FIFO", setup: func(t *testing.T, home string) {
			p := filepath.Join(home, "token")
			if err := syscall.Mkfifo(p, 0o600); err != nil {
				t.Skip("mkfifo:", err)
			}
			t.Setenv(huawei.EnvPodIdentityURI, r.URL+huawei.PodIdentityPath)
			t.Setenv(huawei.EnvPodIdentityTokenFile, p)
		}, block: map[string]string{"project_id": project}, source: "CCE pod identity " + r.URL + huawei.PodIdentityPath + " (temporary)", want: "permanent named pipe"},
		{name: "nothing", block: map[string]string{"project_id": project}, srcErr: "no credentials", want: "permanent no credentials"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			home := isolate(t)
			if tc.setup != nil {
				tc.setup(t, home)
			}
			d := huawei.New()
			defer d.Close()
			p := chainProvider(r.URL, tc.block)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()

			src, err := d.CredentialSource(ctx, p)
			switch {
			case tc.srcErr != "" && (err == nil || !strings.Contains(err.Error(), tc.srcErr)):
				t.Errorf("CredentialSource error %v, want one with %q", err, tc.srcErr)
			case tc.srcErr == "" && err != nil:
				t.Errorf("CredentialSource error %v", err)
			case tc.srcErr == "" && !strings.Contains(src, tc.source):
				t.Errorf("CredentialSource %q, want %q", src, tc.source)
			}
			for _, s := range []string{testSK, sts.Secret, sts.SecurityToken, expired.Secret} {
				if strings.Contains(src, s) || err != nil && strings.Contains(err.Error(), s) {
					t.Errorf("CredentialSource shows a secret: %q %v", src, err)
				}
			}

			sink := &providertest.Secrets{}
			res, err := d.Invoke(ctx, &providers.Request{Provider: p, Function: named("echo"), Payload: []byte(`"hi"`), Type: providers.TypeSync, Secrets: sink})
			kind, part, _ := strings.Cut(tc.want, " ")
			switch kind {
			case "ok":
				if err != nil || res.Status != 200 || string(res.Body) != `"hi"` {
					t.Fatalf("res %+v err %v", res, err)
				}
			case "401":
				if err != nil || res.Status != 401 || res.ErrorCode != "APIGW.0301" || !strings.Contains(res.ErrorMessage, part) {
					t.Fatalf("res %+v err %v, want 401 with %q", res, err, part)
				}
			case "permanent", "error":
				var pe *providers.PermanentError
				if err == nil || !strings.Contains(err.Error(), part) || errors.As(err, &pe) != (kind == "permanent") {
					t.Fatalf("err %v (res %+v), want a %s error with %q", err, res, kind, part)
				}
			}
			for _, s := range tc.secrets {
				if !sink.Has(s) {
					t.Errorf("secret %q not handed to Request.Secrets (got %q)", s, sink.All())
				}
			}
		})
	}
}

// A rotated profile file is read again; temporary credentials from pod
// identity are fetched once and shared by concurrent invocations.
func TestCredentialCache(t *testing.T) {
	r := start(t)
	t.Run("profile rotation", func(t *testing.T) {
		home := isolate(t)
		path := filepath.Join(home, ".huaweicloud", "credentials")
		writeFile(t, path, "[basic]\nak = "+testAK+"\nsk = "+testSK+"\nproject_id = "+project+"\n")
		d := huawei.New()
		defer d.Close()
		req := &providers.Request{Provider: chainProvider(r.URL, nil), Function: named("echo"), Payload: []byte(`1`), Type: providers.TypeSync}
		if res, err := d.Invoke(context.Background(), req); err != nil || res.Status != 200 {
			t.Fatalf("res %+v err %v", res, err)
		}
		writeFile(t, path, "[basic]\nak = ROTATED\nsk = rotated-secret\nproject_id = "+project+"\n")
		// Same size or mtime granularity must not hide the change.
		future := time.Now().Add(time.Minute)
		if err := os.Chtimes(path, future, future); err != nil {
			t.Fatal(err)
		}
		res, err := d.Invoke(context.Background(), req)
		if err != nil || res.Status != 401 || !strings.Contains(res.ErrorMessage, "ROTATED") {
			t.Fatalf("after rotation: res %+v err %v", res, err)
		}
	})
	t.Run("profile read once", func(t *testing.T) {
		// fnprobe's own read of the profile file is cached like the SDK's:
		// plan, validate and every invocation share one read until the
		// file's size or mtime changes; a failing file is read again.
		home := isolate(t)
		path := filepath.Join(home, ".huaweicloud", "credentials")
		writeFile(t, path, "[basic]\nak = "+testAK+"\nsk = "+testSK+"\nproject_id = "+project+"\n")
		d := huawei.New()
		defer d.Close()
		p := chainProvider(r.URL, nil)
		req := &providers.Request{Provider: p, Function: named("echo"), Payload: []byte(`1`), Type: providers.TypeSync}
		if _, err := d.CredentialSource(context.Background(), p); err != nil {
			t.Fatal(err)
		}
		if problems := d.ValidateFunction(p, named("echo")); problems != nil {
			t.Fatalf("validate: %v", problems)
		}
		d.Describe(req)
		for i := 0; i < 3; i++ {
			if res, err := d.Invoke(context.Background(), req); err != nil || res.Status != 200 {
				t.Fatalf("invocation %d: res %+v err %v", i, res, err)
			}
		}
		if n := d.ProfileReads(); n != 1 {
			t.Errorf("profile file read %d times with the file unchanged, want 1", n)
		}
		writeFile(t, path, "[basic]\nak = ROTATED\nsk = rotated-secret\nproject_id = "+project+"\n")
		future := time.Now().Add(time.Minute)
		if err := os.Chtimes(path, future, future); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			res, err := d.Invoke(context.Background(), req)
			if err != nil || res.Status != 401 || !strings.Contains(res.ErrorMessage, "ROTATED") {
				t.Fatalf("after rotation: res %+v err %v", res, err)
			}
		}
		if n := d.ProfileReads(); n != 2 {
			t.Errorf("profile file read %d times after one change, want 2", n)
		}
		// A broken file is not remembered: it is read at every invocation,
		// so that a fixed one is seen.
		writeFile(t, path, "[basic]\nidp_id = idp\n")
		for i := 0; i < 2; i++ {
			if _, err := d.Invoke(context.Background(), req); err == nil || !strings.Contains(err.Error(), "federated identity") {
				t.Fatalf("broken file: err %v", err)
			}
		}
		if n := d.ProfileReads(); n != 4 {
			t.Errorf("profile file read %d times after two failures, want 4", n)
		}
	})
	t.Run("pod identity concurrent", func(t *testing.T) {
		home := isolate(t)
		t.Setenv(huawei.EnvPodIdentityURI, r.URL+huawei.PodIdentityPath)
		t.Setenv(huawei.EnvPodIdentityTokenFile, writeFile(t, filepath.Join(home, "token"), testToken))
		d := huawei.New()
		defer d.Close()
		sink := &providertest.Secrets{}
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for i := 0; i < 16; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := d.Invoke(context.Background(), &providers.Request{Provider: chainProvider(r.URL, map[string]string{"project_id": project}),
					Function: named("echo"), Payload: []byte(`1`), Type: providers.TypeSync, Secrets: sink})
				if err == nil && res.Status != 200 {
					err = errors.New(res.ErrorCode + ": " + res.ErrorMessage)
				}
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		keys := map[string]bool{}
		for _, s := range sink.All() {
			if strings.HasPrefix(s, "STS") {
				keys[s] = true
			}
		}
		if len(keys) != 1 {
			t.Errorf("issued access keys %v: want one, shared", keys)
		}
	})
	t.Run("hung credential service", func(t *testing.T) {
		// The SDK's providers take no context: Invoke must still return
		// when its own does, long before the SDK's 10 s timeout.
		home := isolate(t)
		release := make(chan struct{})
		hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		defer hung.Close()
		defer close(release)
		t.Setenv(huawei.EnvPodIdentityURI, hung.URL)
		t.Setenv(huawei.EnvPodIdentityTokenFile, writeFile(t, filepath.Join(home, "token"), testToken))
		d := huawei.New()
		defer d.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		t0 := time.Now()
		_, err := d.Invoke(ctx, &providers.Request{Provider: chainProvider(r.URL, map[string]string{"project_id": project}), Function: named("echo"), Type: providers.TypeSync})
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(t0) > 2*time.Second {
			t.Errorf("err %v after %v, want the context's deadline at once", err, time.Since(t0))
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		home := isolate(t)
		writeFile(t, filepath.Join(home, ".huaweicloud", "credentials"), "[basic]\nak = "+testAK+"\nsk = "+testSK+"\n")
		d := huawei.New()
		defer d.Close()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := d.Invoke(ctx, &providers.Request{Provider: chainProvider(r.URL, map[string]string{"project_id": project}), Function: named("echo"), Type: providers.TypeSync})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err %v, want context.Canceled", err)
		}
	})
}
