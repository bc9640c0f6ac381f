package aws_test

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/emulator"
	"github.com/fnprobe/fnprobe/emulator/sim"
	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/providers/aws"
	"github.com/fnprobe/fnprobe/providers/providertest"
	"github.com/zclconf/go-cty/cty"
)

// Credential chains, end to end: fnprobe's driver resolves credentials
// with the AWS SDK's chain from a temporary home directory and the
// environment, the emulator's STS issues temporary credentials, and the
// emulator's Lambda invoke API checks them, security token and expiry
// included. Nothing here reaches beyond loopback: instance metadata is
// disabled, and every STS call goes to the emulator. The SDK reads the
// real environment, so these tests set it with t.Setenv and cannot run in
// parallel.

const (
	webToken      = "oidc-token-from-ci.eyJzdWIiOiJyZXBvOmZucHJvYmUifQ"
	expiredToken  = "oidc-token-expired"
	scopedToken   = "oidc-token-of-account-123456789012"
	roleARN       = "arn:aws:iam::123456789012:role/deploy"
	otherRoleARN  = "arn:aws:iam::210987654321:role/cross-account"
	fileAK        = "AKIDFROMFILE"
	fileSecret    = `file/secret+with"special'chars&<>=`
	issuedPrefix  = "ASIA"
	issuedTokenSW = "fnprobe-emulator-sts-"
)

// chainConfig is testConfig plus the key of the credentials file and the
// web identity tokens the emulator accepts.
func chainConfig() emulator.Config {
	cfg := testConfig()
	cfg.Credentials = append(cfg.Credentials,
		sim.Credential{Provider: "aws", AccessKeyID: fileAK, Secret: fileSecret},
		sim.Credential{Provider: "aws", Token: webToken},
		sim.Credential{Provider: "aws", Token: expiredToken, Expired: true},
		sim.Credential{Provider: "aws", Token: scopedToken, AccountID: "123456789012"},
	)
	cfg.Functions = append(cfg.Functions, sim.FunctionSpec{Name: "cross", Behavior: sim.Echo})
	return cfg
}

func startChain(t *testing.T) *emulator.Running {
	t.Helper()
	r, err := emulator.Start(chainConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

// isolate gives the test an empty home directory and an environment
// without any AWS_ variable, instance metadata disabled: only what the
// test writes is found. It returns the home directory.
func isolate(t *testing.T) string {
	t.Helper()
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") {
			t.Setenv(k, "")
			if err := os.Unsetenv(k); err != nil {
				t.Fatal(err)
			}
		}
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("USERPROFILE", home)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(home, ".aws", "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(home, ".aws", "credentials"))
	return home
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

// chainProvider is a provider block without keys: endpoint and region,
// plus the given profile and assume_role block.
func chainProvider(endpoint string, attrs map[string]string, role map[string]string) cty.Value {
	str := func(s string) cty.Value {
		if s == "" {
			return cty.NullVal(cty.String)
		}
		return cty.StringVal(s)
	}
	m := map[string]cty.Value{
		"endpoint": cty.StringVal(endpoint), "region": cty.StringVal(testRegion),
		"access_key": str(attrs["access_key"]), "secret_key": str(attrs["secret_key"]), "session_token": str(attrs["session_token"]),
		"profile": str(attrs["profile"]), "sts_endpoint": str(attrs["sts_endpoint"]),
	}
	roleType := cty.Object(map[string]cty.Type{"role_arn": cty.String, "session_name": cty.String, "external_id": cty.String})
	m["assume_role"] = cty.NullVal(roleType)
	if role != nil {
		m["assume_role"] = cty.ObjectVal(map[string]cty.Value{
			"role_arn": str(role["role_arn"]), "session_name": str(role["session_name"]), "external_id": str(role["external_id"]),
		})
	}
	return cty.ObjectVal(m)
}

func TestCredentialChains(t *testing.T) {
	r := startChain(t)
	sts := r.URL + aws.STSPath
	credentialsFile := "[ci]\naws_access_key_id = " + fileAK + "\naws_secret_access_key = " + fileSecret + "\n"
	config := "[profile deploy]\nrole_arn = " + roleARN + "\nsource_profile = ci\nrole_session_name = fnprobe-ci\nservices = emu\n\n" +
		"[services emu]\nsts =\n  endpoint_url = " + sts + "\n\n" +
		"[profile cfgkeys]\naws_access_key_id = " + testAK + "\naws_secret_access_key = " + testSecret + "\n\n" +
		"[profile oidc]\nrole_arn = " + roleARN + "\nweb_identity_token_file = $HOME/token\nservices = emu\n\n" +
		"[profile cross]\nrole_arn = " + otherRoleARN + "\nsource_profile = ci\nservices = emu\n"
	const (
		issued = "issued" // temporary credentials from the emulator's STS
		token  = "token"  // issued, and the token sent for them
		file   = "file"   // the keys of the credentials file
	)
	tests := []struct {
		name    string
		env     map[string]string
		files   map[string]string // relative to HOME; $HOME is replaced
		attrs   map[string]string
		role    map[string]string
		fn      string
		source  string // what plan shows; "" skips the check
		srcErr  string // CredentialSource's error, when it has one
		secrets string // issued, file, or "" (nothing learnt)
		errSub  string // Invoke's error; "" for a 200 answer
		perm    bool   // the error is Permanent
	}{
		{
			name: "environment keys", env: map[string]string{"AWS_ACCESS_KEY_ID": testAK, "AWS_SECRET_ACCESS_KEY": testSecret},
			source: "environment (AWS_ACCESS_KEY_ID)",
		},
		{
			name: "environment session token", env: map[string]string{"AWS_ACCESS_KEY_ID": "ASIASESSION", "AWS_SECRET_ACCESS_KEY": "session-secret", "AWS_SESSION_TOKEN": "session-token"},
			source: "environment (AWS_ACCESS_KEY_ID)",
		},
		{
			name: "profile in the credentials file", files: map[string]string{".aws/credentials": credentialsFile},
			attrs: map[string]string{"profile": "ci"}, source: `shared credentials file, profile "ci"`, secrets: file,
		},
		{
			name: "AWS_PROFILE", files: map[string]string{".aws/credentials": credentialsFile}, env: map[string]string{"AWS_PROFILE": "ci"},
			source: `shared credentials file, profile "ci"`, secrets: file,
		},
		{
			name: "profile beats environment keys", files: map[string]string{".aws/credentials": credentialsFile},
			env:   map[string]string{"AWS_ACCESS_KEY_ID": "AKIDUNKNOWN", "AWS_SECRET_ACCESS_KEY": "nope"},
			attrs: map[string]string{"profile": "ci"}, source: `shared credentials file, profile "ci"`, secrets: file,
		},
		{
			name: "keys in the config file", files: map[string]string{".aws/config": config},
			attrs: map[string]string{"profile": "cfgkeys"}, source: `shared config file, profile "cfgkeys"`,
		},
		{
			name: "role_arn with source_profile", files: map[string]string{".aws/config": config, ".aws/credentials": credentialsFile},
			attrs:  map[string]string{"profile": "deploy"},
			source: `assume role ` + roleARN + ` via shared credentials file, profile "ci" (profile "deploy")`, secrets: issued,
		},
		{
			name: "role in another account", files: map[string]string{".aws/config": config, ".aws/credentials": credentialsFile},
			attrs: map[string]string{"profile": "cross"}, fn: "arn:aws:lambda:us-east-1:210987654321:function:cross", secrets: issued,
		},
		{
			name: "web identity from the environment", files: map[string]string{"token": webToken},
			env:    map[string]string{"AWS_WEB_IDENTITY_TOKEN_FILE": "$HOME/token", "AWS_ROLE_ARN": roleARN, "AWS_ROLE_SESSION_NAME": "gha", "AWS_ENDPOINT_URL_STS": sts},
			source: "web identity (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN " + roleARN + ")", secrets: token,
		},
		{
			name: "web identity profile", files: map[string]string{"token": webToken, ".aws/config": config},
			attrs: map[string]string{"profile": "oidc"}, source: `web identity (profile "oidc", role_arn ` + roleARN + `)`, secrets: token,
		},
		{
			name: "assume_role block over environment keys", env: map[string]string{"AWS_ACCESS_KEY_ID": testAK, "AWS_SECRET_ACCESS_KEY": testSecret, "AWS_ENDPOINT_URL_STS": sts},
			role:   map[string]string{"role_arn": roleARN, "session_name": "fnprobe", "external_id": "ext-1234"},
			source: "assume role " + roleARN + " via environment (AWS_ACCESS_KEY_ID)", secrets: issued,
		},
		{
			name: "assume_role block over a profile", files: map[string]string{".aws/config": config, ".aws/credentials": credentialsFile},
			attrs: map[string]string{"profile": "deploy"}, role: map[string]string{"role_arn": otherRoleARN},
			fn:     "arn:aws:lambda:us-east-1:210987654321:function:cross",
			source: "assume role " + otherRoleARN + ` via assume role ` + roleARN + ` via shared credentials file, profile "ci" (profile "deploy")`, secrets: issued,
		},
		{
			name: "assume_role block over static keys", env: map[string]string{"AWS_ENDPOINT_URL_STS": sts},
			attrs: map[string]string{"access_key": testAK, "secret_key": testSecret}, role: map[string]string{"role_arn": roleARN},
			source: "assume role " + roleARN + " via provider block", secrets: issued,
		},
		{
			name: "assume_role block with sts_endpoint", env: map[string]string{"AWS_ACCESS_KEY_ID": testAK, "AWS_SECRET_ACCESS_KEY": testSecret},
			attrs: map[string]string{"sts_endpoint": sts + "/"}, role: map[string]string{"role_arn": roleARN},
			source: "assume role " + roleARN + " via environment (AWS_ACCESS_KEY_ID)", secrets: issued,
		},
		{
			name: "assume_role block over static keys, profile ignored", env: map[string]string{"AWS_ENDPOINT_URL_STS": sts},
			attrs: map[string]string{"access_key": testAK, "secret_key": testSecret, "profile": "missing"}, role: map[string]string{"role_arn": roleARN},
			source: "assume role " + roleARN + " via provider block", secrets: issued,
		},
		{
			name: "static keys win", files: map[string]string{".aws/credentials": credentialsFile},
			env:   map[string]string{"AWS_ACCESS_KEY_ID": "AKIDUNKNOWN", "AWS_SECRET_ACCESS_KEY": "nope", "AWS_PROFILE": "ci"},
			attrs: map[string]string{"access_key": testAK, "secret_key": testSecret, "profile": "missing"}, source: "provider block",
		},
		{
			name:   "container credentials",
			env:    map[string]string{"AWS_CONTAINER_CREDENTIALS_FULL_URI": r.URL + aws.ContainerCredentialsPath, "AWS_CONTAINER_AUTHORIZATION_TOKEN": webToken},
			source: "container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI)", secrets: token,
		},
		{
			name: "container credentials, token file", files: map[string]string{"container-token": webToken},
			env:    map[string]string{"AWS_CONTAINER_CREDENTIALS_FULL_URI": r.URL + aws.ContainerCredentialsPath, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "$HOME/container-token"},
			source: "container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI)", secrets: token,
		},
		{
			name:   "container credentials, wrong token",
			env:    map[string]string{"AWS_CONTAINER_CREDENTIALS_FULL_URI": r.URL + aws.ContainerCredentialsPath, "AWS_CONTAINER_AUTHORIZATION_TOKEN": "nope"},
			errSub: "AccessDenied", perm: true,
		},
		{
			name:   "instance metadata",
			env:    map[string]string{"AWS_EC2_METADATA_DISABLED": "false", "AWS_EC2_METADATA_SERVICE_ENDPOINT": r.URL},
			source: "instance metadata (IMDS)", secrets: issued,
		},
		{
			name: "profile with credential_source", files: map[string]string{".aws/config": "[profile ec2]\nrole_arn = " + roleARN + "\ncredential_source = Ec2InstanceMetadata\nservices = emu\n\n[services emu]\nsts =\n  endpoint_url = " + sts + "\n"},
			env:    map[string]string{"AWS_EC2_METADATA_DISABLED": "false", "AWS_EC2_METADATA_SERVICE_ENDPOINT": r.URL},
			attrs:  map[string]string{"profile": "ec2"},
			source: "assume role " + roleARN + ` via profile "ec2", credential_source Ec2InstanceMetadata (profile "ec2")`, secrets: issued,
		},
		{
			name: "SSO, legacy profile", files: map[string]string{".aws/config": ssoConfig(r.URL), ".aws/sso/cache/" + sha1Hex(ssoStartURL) + ".json": ssoCache},
			attrs: map[string]string{"profile": "sso"}, source: `SSO (profile "sso", cached token)`, secrets: issued,
		},
		{
			name: "SSO, sso-session profile", files: map[string]string{".aws/config": ssoConfig(r.URL), ".aws/sso/cache/" + sha1Hex("corp") + ".json": ssoCache},
			attrs: map[string]string{"profile": "ssos"}, source: `SSO (profile "ssos", cached token)`, secrets: issued,
		},
		{
			name: "SSO, token the portal does not know", files: map[string]string{".aws/config": ssoConfig(r.URL), ".aws/sso/cache/" + sha1Hex(ssoStartURL) + ".json": strings.Replace(ssoCache, webToken, "stale", 1)},
			attrs: map[string]string{"profile": "sso"}, errSub: "UnauthorizedException", perm: true,
		},
		{
			name: "access_key without secret_key", env: map[string]string{"AWS_ACCESS_KEY_ID": testAK, "AWS_SECRET_ACCESS_KEY": testSecret},
			attrs: map[string]string{"access_key": testAK}, srcErr: "go together", errSub: "access_key and secret_key go together", perm: true,
		},
		{
			name: "wrong web identity token", files: map[string]string{"token": "not-a-token-the-emulator-knows"},
			env:    map[string]string{"AWS_WEB_IDENTITY_TOKEN_FILE": "$HOME/token", "AWS_ROLE_ARN": roleARN, "AWS_ENDPOINT_URL_STS": sts},
			errSub: "InvalidIdentityToken", perm: true,
		},
		{
			name: "web identity token of another account", files: map[string]string{"token": scopedToken},
			env:    map[string]string{"AWS_WEB_IDENTITY_TOKEN_FILE": "$HOME/token", "AWS_ROLE_ARN": otherRoleARN, "AWS_ENDPOINT_URL_STS": sts},
			errSub: "STS AssumeRoleWithWebIdentity refused: AccessDenied (HTTP 403)", perm: true,
		},
		{
			name: "web identity token of its account", files: map[string]string{"token": scopedToken},
			env:     map[string]string{"AWS_WEB_IDENTITY_TOKEN_FILE": "$HOME/token", "AWS_ROLE_ARN": roleARN, "AWS_ENDPOINT_URL_STS": sts},
			secrets: issued,
		},
		{
			name: "web identity without a role", files: map[string]string{"token": webToken},
			env:    map[string]string{"AWS_WEB_IDENTITY_TOKEN_FILE": "$HOME/token", "AWS_ENDPOINT_URL_STS": sts},
			srcErr: "without AWS_ROLE_ARN", errSub: "role ARN is not set", perm: true,
		},
		{
			name: "expired web identity token", files: map[string]string{"token": expiredToken},
			env:    map[string]string{"AWS_WEB_IDENTITY_TOKEN_FILE": "$HOME/token", "AWS_ROLE_ARN": roleARN, "AWS_ENDPOINT_URL_STS": sts},
			errSub: "ExpiredTokenException", perm: true,
		},
		{
			name: "unknown key assumes a role", env: map[string]string{"AWS_ACCESS_KEY_ID": "AKIDUNKNOWN", "AWS_SECRET_ACCESS_KEY": "nope", "AWS_ENDPOINT_URL_STS": sts},
			role: map[string]string{"role_arn": roleARN}, errSub: "InvalidClientTokenId", perm: true,
		},
		{
			name: "wrong secret assumes a role", env: map[string]string{"AWS_ACCESS_KEY_ID": testAK, "AWS_SECRET_ACCESS_KEY": "wrong", "AWS_ENDPOINT_URL_STS": sts},
			role: map[string]string{"role_arn": roleARN}, errSub: "SignatureDoesNotMatch", perm: true,
		},
		{
			name: "external_id too short", env: map[string]string{"AWS_ACCESS_KEY_ID": testAK, "AWS_SECRET_ACCESS_KEY": testSecret, "AWS_ENDPOINT_URL_STS": sts},
			role: map[string]string{"role_arn": roleARN, "external_id": "x"}, errSub: "ValidationError", perm: true,
		},
		{
			name: "profile that does not exist", files: map[string]string{".aws/credentials": credentialsFile},
			attrs: map[string]string{"profile": "nope"}, srcErr: `profile "nope" does not exist`, errSub: `profile "nope" does not exist`, perm: true,
		},
		{
			name: "AWS_PROFILE that does not exist", env: map[string]string{"AWS_PROFILE": "gone"},
			srcErr: `profile "gone" does not exist`, errSub: `profile "gone" does not exist`, perm: true,
		},
		{
			name: "assume_role block with nothing under it", env: map[string]string{"AWS_ENDPOINT_URL_STS": sts},
			role:   map[string]string{"role_arn": roleARN},
			srcErr: "no credentials: ", errSub: "no credentials: set access_key", perm: true,
		},
		{
			name: "assume_role block over the instance role, refused",
			env:  map[string]string{"AWS_EC2_METADATA_DISABLED": "false", "AWS_EC2_METADATA_SERVICE_ENDPOINT": r.URL, "AWS_ENDPOINT_URL_STS": sts},
			role: map[string]string{"role_arn": roleARN, "external_id": "x"}, source: "assume role " + roleARN + " via instance metadata (IMDS)",
			errSub: "STS AssumeRole refused: ValidationError", perm: true,
		},
		{
			name: "assume_role block over the instance role",
			env:  map[string]string{"AWS_EC2_METADATA_DISABLED": "false", "AWS_EC2_METADATA_SERVICE_ENDPOINT": r.URL, "AWS_ENDPOINT_URL_STS": sts},
			role: map[string]string{"role_arn": roleARN}, source: "assume role " + roleARN + " via instance metadata (IMDS)", secrets: issued,
		},
		{
			name:   "nothing configured",
			srcErr: "no credentials: ", errSub: "no credentials: set access_key", perm: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := isolate(t)
			for name, content := range tt.files {
				writeFile(t, filepath.Join(home, name), strings.ReplaceAll(content, "$HOME", home))
			}
			for k, v := range tt.env {
				t.Setenv(k, strings.ReplaceAll(v, "$HOME", home))
			}
			d := aws.New()
			defer d.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			p := chainProvider(r.URL, tt.attrs, tt.role)

			src, err := d.CredentialSource(ctx, p)
			switch {
			case tt.srcErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.srcErr) {
					t.Errorf("CredentialSource = %q, %v; want an error with %q", src, err, tt.srcErr)
				}
			case err != nil:
				t.Errorf("CredentialSource: %v", err)
			case tt.source != "" && src != tt.source:
				t.Errorf("CredentialSource = %q\nwant             %q", src, tt.source)
			}

			fn := tt.fn
			if fn == "" {
				fn = "echo"
			}
			sk := &providertest.Secrets{}
			start := time.Now()
			res, err := d.Invoke(ctx, &providers.Request{Provider: p, Function: functionVal(fn, ""), Payload: []byte(`"hi"`), Type: providers.TypeSync, Secrets: sk})
			if tt.errSub != "" {
				if err == nil {
					t.Fatalf("Invoke succeeded (%+v), want an error with %q", res, tt.errSub)
				}
				if !strings.Contains(err.Error(), tt.errSub) {
					t.Errorf("error %q, want %q in it", err, tt.errSub)
				}
				if got := providers.IsPermanent(err) != nil; got != tt.perm {
					t.Errorf("permanent %v, want %v: %v", got, tt.perm, err)
				}
				if took := time.Since(start); took > 15*time.Second {
					t.Errorf("failing took %v", took)
				}
				return
			}
			if err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			defer res.Free()
			if res.Status != 200 || string(res.Body) != `"hi"` {
				t.Fatalf("answer %d %s %s: %s", res.Status, res.ErrorCode, res.ErrorMessage, res.Body)
			}
			switch tt.secrets {
			case issued, token:
				if !sk.HasFunc(func(s string) bool { return strings.HasPrefix(s, issuedPrefix) }) ||
					!sk.HasFunc(func(s string) bool { return strings.HasPrefix(s, issuedTokenSW) }) {
					t.Errorf("the issued key and token were not handed to the redactor: %d secrets", len(sk.All()))
				}
				if tt.secrets == token && !sk.HasFunc(func(s string) bool { return s == webToken }) {
					t.Errorf("the token the chain sends was not handed to the redactor")
				}
			case file:
				if !sk.HasFunc(func(s string) bool { return s == fileSecret }) || !sk.HasFunc(func(s string) bool { return s == fileAK }) {
					t.Errorf("the credentials file's key was not handed to the redactor")
				}
			}
		})
	}
}

// TestIssuedCredentialsExpire: the invoke API refuses temporary
// credentials once they expire, although the SDK still holds them (its
// clock is not the emulator's), and a fresh chain gets new ones.
func TestIssuedCredentialsExpire(t *testing.T) {
	r := startChain(t)
	home := isolate(t)
	writeFile(t, filepath.Join(home, "token"), webToken)
	t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", filepath.Join(home, "token"))
	t.Setenv("AWS_ROLE_ARN", roleARN)
	t.Setenv("AWS_ENDPOINT_URL_STS", r.URL+aws.STSPath)
	d := aws.New()
	defer d.Close()
	req := &providers.Request{Provider: chainProvider(r.URL, nil, nil), Function: functionVal("echo", ""), Payload: []byte("1"), Type: providers.TypeSync}
	invoke := func() *providers.Result {
		t.Helper()
		res, err := d.Invoke(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		res.Free()
		return res
	}
	if res := invoke(); res.Status != 200 {
		t.Fatalf("fresh credentials: %d %s", res.Status, res.ErrorCode)
	}
	// The SDK asks for no duration: STS's default, one hour.
	r.Env.SetClock(func() time.Time { return time.Now().Add(time.Hour + time.Minute) })
	defer r.Env.SetClock(nil)
	if res := invoke(); res.Status != 403 || res.ErrorCode != "ExpiredTokenException" {
		t.Errorf("expired credentials: %d %s %s", res.Status, res.ErrorCode, res.ErrorMessage)
	}
}

// TestChainCachedPerConfiguration: concurrent invocations of one provider
// configuration share one chain (one STS call), distinct configurations
// get their own.
func TestChainCachedPerConfiguration(t *testing.T) {
	var log strings.Builder
	var mu sync.Mutex
	r, err := emulator.StartWith(chainConfig(), emulator.Options{AccessLog: writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return log.Write(p)
	})})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	isolate(t)
	t.Setenv("AWS_ACCESS_KEY_ID", testAK)
	t.Setenv("AWS_SECRET_ACCESS_KEY", testSecret)
	t.Setenv("AWS_ENDPOINT_URL_STS", r.URL+aws.STSPath)
	d := aws.New()
	defer d.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			session := []string{"one", "two"}[i%2]
			p := chainProvider(r.URL, nil, map[string]string{"role_arn": roleARN, "session_name": session})
			res, err := d.Invoke(context.Background(), &providers.Request{Provider: p, Function: functionVal("echo", ""), Type: providers.TypeSync})
			if err == nil && res.Status != 200 {
				err = &statusError{res.Status}
			}
			if res != nil {
				res.Free()
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if n := strings.Count(log.String(), "provider=aws_sts"); n != 2 {
		t.Errorf("%d STS calls, want 2 (one per configuration):\n%s", n, log.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

type statusError struct{ status int }

func (e *statusError) Error() string { return "status " + strconv.Itoa(e.status) }

// TestInstanceWithoutRole: instance metadata that has no instance profile
// (an emulator without an aws token credential) is "no credentials",
// permanent, at once.
func TestInstanceWithoutRole(t *testing.T) {
	r := start(t)
	isolate(t)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "false")
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", r.URL)
	d := aws.New()
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := d.Invoke(ctx, &providers.Request{Provider: chainProvider(r.URL, nil, nil), Function: functionVal("echo", ""), Type: providers.TypeSync})
	if err == nil || !strings.Contains(err.Error(), "no credentials") || providers.IsPermanent(err) == nil {
		t.Errorf("err %v", err)
	}
}

const (
	ssoStartURL = "https://fnprobe.awsapps.com/start"
	ssoCache    = `{"accessToken":"` + webToken + `","expiresAt":"2099-01-01T00:00:00Z","region":"us-east-1","startUrl":"` + ssoStartURL + `"}`
)

// ssoConfig is a legacy SSO profile ("sso") and one with an sso-session
// ("ssos"), both aimed at the emulator's SSO portal.
func ssoConfig(url string) string {
	return "[profile sso]\nsso_start_url = " + ssoStartURL + "\nsso_region = us-east-1\nsso_account_id = 123456789012\nsso_role_name = Deploy\nservices = emu\n\n" +
		"[profile ssos]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Deploy\nservices = emu\n\n" +
		"[sso-session corp]\nsso_start_url = " + ssoStartURL + "\nsso_region = us-east-1\n\n" +
		"[services emu]\nsso =\n  endpoint_url = " + url + aws.SSOPath + "\n"
}

func sha1Hex(s string) string {
	sum := sha1.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestRegionFromProfile: a provider block without region takes the
// profile's, at validate, in plan and at run.
func TestRegionFromProfile(t *testing.T) {
	r := startChain(t)
	home := isolate(t)
	writeFile(t, filepath.Join(home, ".aws", "credentials"), "[ci]\naws_access_key_id = "+fileAK+"\naws_secret_access_key = "+fileSecret+"\n")
	writeFile(t, filepath.Join(home, ".aws", "config"), "[profile ci]\nregion = "+testRegion+"\n")
	p := chainProvider(r.URL, map[string]string{"profile": "ci"}, nil)
	p = cty.ObjectVal(func() map[string]cty.Value {
		m := p.AsValueMap()
		m["region"] = cty.NullVal(cty.String)
		return m
	}())
	d := aws.New()
	defer d.Close()
	if problems := d.ValidateFunction(p, functionVal("echo", "")); problems != nil {
		t.Errorf("validate: %v", problems)
	}
	req := &providers.Request{Provider: p, Function: functionVal("echo", ""), Payload: []byte("r"), Type: providers.TypeSync}
	if got := d.Describe(req).Region; got != testRegion {
		t.Errorf("plan region %q", got)
	}
	res, err := d.Invoke(context.Background(), req)
	if err != nil || res.Status != 200 {
		t.Fatalf("res %+v err %v", res, err)
	}
	res.Free()
	// Without the profile's region, validate says what to set.
	writeFile(t, filepath.Join(home, ".aws", "config"), "[profile ci]\n")
	if problems := d.ValidateFunction(p, functionVal("echo", "")); problems["provider"] == "" {
		t.Errorf("validate without a region: %v", problems)
	}
}

// TestRegionFromProfileCached: with static keys no chain holds the
// profile's region; it is read from the shared files once, and again only
// when they change or the read failed.
func TestRegionFromProfileCached(t *testing.T) {
	r := startChain(t)
	home := isolate(t)
	cfg := filepath.Join(home, ".aws", "config")
	writeFile(t, cfg, "[profile ci]\nregion = "+testRegion+"\n")
	p := chainProvider(r.URL, map[string]string{"profile": "ci", "access_key": testAK, "secret_key": testSecret}, nil)
	p = cty.ObjectVal(func() map[string]cty.Value {
		m := p.AsValueMap()
		m["region"] = cty.NullVal(cty.String)
		return m
	}())
	d := aws.New()
	defer d.Close()
	req := &providers.Request{Provider: p, Function: functionVal("echo", ""), Payload: []byte("r"), Type: providers.TypeSync}
	if problems := d.ValidateFunction(p, functionVal("echo", "")); problems != nil {
		t.Errorf("validate: %v", problems)
	}
	for i := 0; i < 3; i++ {
		if got := d.Describe(req).Region; got != testRegion {
			t.Errorf("call %d: plan region %q", i, got)
		}
		res, err := d.Invoke(context.Background(), req)
		if err != nil || res.Status != 200 {
			t.Fatalf("call %d: res %+v err %v", i, res, err)
		}
		res.Free()
	}
	if n := d.ProfileRegionLoads(); n != 1 {
		t.Errorf("shared files read %d times for the region, unchanged, want 1", n)
	}
	// A changed file is read again.
	writeFile(t, cfg, "[profile ci]\nregion = eu-west-3\n")
	future := time.Now().Add(time.Minute)
	if err := os.Chtimes(cfg, future, future); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if got := d.Describe(req).Region; got != "eu-west-3" {
			t.Errorf("after the change, call %d: plan region %q", i, got)
		}
	}
	if n := d.ProfileRegionLoads(); n != 2 {
		t.Errorf("shared files read %d times for the region after one change, want 2", n)
	}
	// A failed read is not kept: the profile is looked for again.
	writeFile(t, cfg, "[profile other]\n")
	for i := 0; i < 2; i++ {
		if got := d.Describe(req).Region; got != "" {
			t.Errorf("without the profile, call %d: plan region %q", i, got)
		}
	}
	if n := d.ProfileRegionLoads(); n != 4 {
		t.Errorf("shared files read %d times after two failures, want 4", n)
	}
}

// TestChainRebuiltAfterAConfigurationError: a profile that did not exist
// is found once it is written (a long-lived watch process).
func TestChainRebuiltAfterAConfigurationError(t *testing.T) {
	r := startChain(t)
	home := isolate(t)
	d := aws.New()
	defer d.Close()
	req := &providers.Request{Provider: chainProvider(r.URL, map[string]string{"profile": "ci"}, nil), Function: functionVal("echo", ""), Type: providers.TypeSync}
	if _, err := d.Invoke(context.Background(), req); err == nil || !strings.Contains(err.Error(), `profile "ci" does not exist`) {
		t.Fatalf("err %v", err)
	}
	writeFile(t, filepath.Join(home, ".aws", "credentials"), "[ci]\naws_access_key_id = "+fileAK+"\naws_secret_access_key = "+fileSecret+"\n")
	res, err := d.Invoke(context.Background(), req)
	if err != nil || res.Status != 200 {
		t.Fatalf("res %+v err %v", res, err)
	}
	res.Free()
}

// TestCABundleHonoured: AWS_CA_BUNDLE reaches the chain's HTTP client
// (the SDK refuses it on a client that is not its own buildable one): a
// bundle that is not PEM is the SDK's error, permanent.
func TestCABundleHonoured(t *testing.T) {
	r := startChain(t)
	home := isolate(t)
	writeFile(t, filepath.Join(home, "ca.pem"), "not a certificate")
	t.Setenv("AWS_CA_BUNDLE", filepath.Join(home, "ca.pem"))
	t.Setenv("AWS_ACCESS_KEY_ID", testAK)
	t.Setenv("AWS_SECRET_ACCESS_KEY", testSecret)
	d := aws.New()
	defer d.Close()
	_, err := d.Invoke(context.Background(), &providers.Request{Provider: chainProvider(r.URL, nil, nil), Function: functionVal("echo", ""), Type: providers.TypeSync})
	if err == nil || !strings.Contains(err.Error(), "CA bundle") || providers.IsPermanent(err) == nil {
		t.Errorf("err %v", err)
	}
}

// TestHostileSharedFiles: a shared file that is a FIFO, a directory or too
// large is refused by name, at plan and at run, before the SDK's unbounded
// read could hang or exhaust the process.
func TestHostileSharedFiles(t *testing.T) {
	for _, tc := range []struct {
		name, env, want string
		make            func(t *testing.T, path string)
	}{
		{"fifo config", "AWS_CONFIG_FILE", "named pipe", func(t *testing.T, path string) {
			if err := syscall.Mkfifo(path, 0o600); err != nil {
				t.Skip("no FIFOs here:", err)
			}
		}},
		{"directory credentials", "AWS_SHARED_CREDENTIALS_FILE", "directory", func(t *testing.T, path string) {
			if err := os.MkdirAll(path, 0o700); err != nil {
				t.Fatal(err)
			}
		}},
		{"huge web identity token", "AWS_WEB_IDENTITY_TOKEN_FILE", "larger than", func(t *testing.T, path string) {
			writeFile(t, path, strings.Repeat("x", providers.CredentialFileLimit+1))
			t.Setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/ci")
		}},
		{"fifo web identity token of a profile", "", "named pipe", func(t *testing.T, path string) {
			if err := syscall.Mkfifo(path, 0o600); err != nil {
				t.Skip("no FIFOs here:", err)
			}
			config := filepath.Join(filepath.Dir(path), "config")
			writeFile(t, config, "[default]\nrole_arn = arn:aws:iam::123456789012:role/ci\nweb_identity_token_file = "+path+"\n")
			t.Setenv("AWS_CONFIG_FILE", config)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home := isolate(t)
			path := filepath.Join(home, "hostile")
			tc.make(t, path)
			if tc.env != "" {
				t.Setenv(tc.env, path)
			}
			d := aws.New()
			defer d.Close()
			p := chainProvider("http://127.0.0.1:1", nil, nil)
			if _, err := d.CredentialSource(context.Background(), p); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("plan: %v, want it to name %s and %q", err, path, tc.want)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err := d.Invoke(ctx, &providers.Request{Provider: p, Function: functionVal("echo", ""), Payload: []byte(`{}`), Type: providers.TypeSync})
			if err == nil || !strings.Contains(err.Error(), tc.want) || providers.IsPermanent(err) == nil {
				t.Errorf("run: %v, want a permanent error naming %q", err, tc.want)
			}
		})
	}
}
