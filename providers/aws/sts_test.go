package aws_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/providers/aws"
)

// stsClient is the official SDK's STS client aimed at the emulator.
func stsClient(url string, creds awssdk.Credentials) *sts.Client {
	return sts.New(sts.Options{
		Region:       testRegion,
		BaseEndpoint: awssdk.String(url + aws.STSPath),
		Credentials: awssdk.CredentialsProviderFunc(func(context.Context) (awssdk.Credentials, error) {
			return creds, nil
		}),
		RetryMaxAttempts: 1,
	})
}

// TestSTSWithOfficialSDK calls the emulated STS with the official SDK's
// client: the answers must parse, the session duration is honoured
// within 900-43200 seconds, and errors come back with STS's codes.
func TestSTSWithOfficialSDK(t *testing.T) {
	r := startChain(t)
	now := time.Now()
	r.Env.SetClock(func() time.Time { return now })
	static := awssdk.Credentials{AccessKeyID: testAK, SecretAccessKey: testSecret}
	client := stsClient(r.URL, static)
	ctx := context.Background()

	// The issued credentials themselves assume a role: role chaining,
	// limited to one hour.
	out, err := client.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: awssdk.String(roleARN), RoleSessionName: awssdk.String("base"), DurationSeconds: awssdk.Int32(900)})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	chained := stsClient(r.URL, awssdk.Credentials{AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretAccessKey, SessionToken: *c.SessionToken})
	noToken := stsClient(r.URL, awssdk.Credentials{AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretAccessKey})

	tests := []struct {
		name     string
		call     func() (*sts.AssumeRoleOutput, error)
		duration time.Duration
		code     string
	}{
		{name: "default duration", duration: time.Hour, call: func() (*sts.AssumeRoleOutput, error) {
			return client.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: awssdk.String(roleARN), RoleSessionName: awssdk.String("s1")})
		}},
		{name: "shortest", duration: 900 * time.Second, call: func() (*sts.AssumeRoleOutput, error) {
			return client.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: awssdk.String(roleARN), RoleSessionName: awssdk.String("s1"), DurationSeconds: awssdk.Int32(900)})
		}},
		{name: "longest", duration: 12 * time.Hour, call: func() (*sts.AssumeRoleOutput, error) {
			return client.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: awssdk.String(roleARN), RoleSessionName: awssdk.String("s1"), DurationSeconds: awssdk.Int32(43200), ExternalId: awssdk.String("ext-id")})
		}},
		{name: "too short", code: "ValidationError", call: func() (*sts.AssumeRoleOutput, error) {
			return client.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: awssdk.String(roleARN), RoleSessionName: awssdk.String("s1"), DurationSeconds: awssdk.Int32(899)})
		}},
		{name: "too long", code: "ValidationError", call: func() (*sts.AssumeRoleOutput, error) {
			return client.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: awssdk.String(roleARN), RoleSessionName: awssdk.String("s1"), DurationSeconds: awssdk.Int32(43201)})
		}},
		{name: "not a role ARN", code: "ValidationError", call: func() (*sts.AssumeRoleOutput, error) {
			return client.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: awssdk.String("arn:aws:iam::123456789012:user/alice"), RoleSessionName: awssdk.String("s1")})
		}},
		{name: "bad session name", code: "ValidationError", call: func() (*sts.AssumeRoleOutput, error) {
			return client.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: awssdk.String(roleARN), RoleSessionName: awssdk.String("has space")})
		}},
		{name: "role chaining", duration: time.Hour, call: func() (*sts.AssumeRoleOutput, error) {
			return chained.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: awssdk.String(otherRoleARN), RoleSessionName: awssdk.String("s2")})
		}},
		{name: "role chaining beyond an hour", code: "ValidationError", call: func() (*sts.AssumeRoleOutput, error) {
			return chained.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: awssdk.String(otherRoleARN), RoleSessionName: awssdk.String("s2"), DurationSeconds: awssdk.Int32(7200)})
		}},
		{name: "issued key without its token", code: "InvalidClientTokenId", call: func() (*sts.AssumeRoleOutput, error) {
			return noToken.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: awssdk.String(roleARN), RoleSessionName: awssdk.String("s1")})
		}},
		{name: "unknown key", code: "InvalidClientTokenId", call: func() (*sts.AssumeRoleOutput, error) {
			return stsClient(r.URL, awssdk.Credentials{AccessKeyID: "AKIDUNKNOWN", SecretAccessKey: "x"}).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: awssdk.String(roleARN), RoleSessionName: awssdk.String("s1")})
		}},
		{name: "expired session token", code: "ExpiredToken", call: func() (*sts.AssumeRoleOutput, error) {
			return stsClient(r.URL, awssdk.Credentials{AccessKeyID: "ASIAEXPIRED", SecretAccessKey: "expired-secret", SessionToken: "old-token"}).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: awssdk.String(roleARN), RoleSessionName: awssdk.String("s1")})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := tt.call()
			if tt.code != "" {
				var api smithy.APIError
				if !errors.As(err, &api) || api.ErrorCode() != tt.code {
					t.Fatalf("err %v, want code %s", err, tt.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c := out.Credentials
			if !strings.HasPrefix(*c.AccessKeyId, "ASIA") || *c.SecretAccessKey == "" || *c.SessionToken == "" {
				t.Errorf("credentials %+v", c)
			}
			if got := c.Expiration.Sub(now.Truncate(time.Second)); got != tt.duration {
				t.Errorf("expires in %v, want %v", got, tt.duration)
			}
			if out.AssumedRoleUser == nil || !strings.HasPrefix(*out.AssumedRoleUser.Arn, "arn:aws:sts::") {
				t.Errorf("assumed role user %+v", out.AssumedRoleUser)
			}
		})
	}

	// Unsigned: AssumeRoleWithWebIdentity.
	anon := sts.New(sts.Options{Region: testRegion, BaseEndpoint: awssdk.String(r.URL + aws.STSPath), RetryMaxAttempts: 1})
	web, err := anon.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: awssdk.String(roleARN), RoleSessionName: awssdk.String("ci"), WebIdentityToken: awssdk.String(webToken), DurationSeconds: awssdk.Int32(1800),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := web.Credentials.Expiration.Sub(now.Truncate(time.Second)); got != 30*time.Minute {
		t.Errorf("web identity session expires in %v", got)
	}
	if *web.SubjectFromWebIdentityToken == "" || *web.AssumedRoleUser.Arn != "arn:aws:sts::123456789012:assumed-role/deploy/ci" {
		t.Errorf("answer %+v %+v", web, web.AssumedRoleUser)
	}
	for token, code := range map[string]string{"unknown-token": "InvalidIdentityToken", expiredToken: "ExpiredTokenException"} {
		_, err := anon.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
			RoleArn: awssdk.String(roleARN), RoleSessionName: awssdk.String("ci"), WebIdentityToken: awssdk.String(token),
		})
		var api smithy.APIError
		if !errors.As(err, &api) || api.ErrorCode() != code {
			t.Errorf("token %q: err %v, want %s", token, err, code)
		}
	}
	// AssumeRole needs a signature.
	if _, err := anon.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: awssdk.String(roleARN), RoleSessionName: awssdk.String("s")}); err == nil {
		t.Error("unsigned AssumeRole accepted")
	}
}

// TestSTSRawRequests covers what the SDK never sends: other methods and
// paths, unknown actions and versions, an oversized body.
func TestSTSRawRequests(t *testing.T) {
	r := startChain(t)
	tests := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"GET", http.MethodGet, aws.STSPath, "", 400, "InvalidAction"},
		{"unknown path", http.MethodPost, aws.STSPath + "/nested", "Action=AssumeRole&Version=2011-06-15", 404, "InvalidAction"},
		{"unknown action", http.MethodPost, aws.STSPath, "Action=GetCallerIdentity&Version=2011-06-15", 400, "InvalidAction"},
		{"wrong version", http.MethodPost, aws.STSPath, "Action=AssumeRoleWithWebIdentity&Version=2010-01-01", 400, "InvalidAction"},
		{"body too large", http.MethodPost, aws.STSPath + "/", "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&WebIdentityToken=" + strings.Repeat("x", 70000), 413, "RequestEntityTooLarge"},
		{"missing role", http.MethodPost, aws.STSPath, "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&WebIdentityToken=" + webToken, 400, "ValidationError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, r.URL+tt.path, strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
			if resp.StatusCode != tt.status || !strings.Contains(string(b), "<Code>"+tt.code+"</Code>") || !strings.Contains(string(b), "<ErrorResponse") {
				t.Errorf("%d %s", resp.StatusCode, b)
			}
		})
	}
}

// TestSTSFailuresClassified: a throttled or failing STS is retried by the
// executor (not Permanent); a refusal is Permanent. The STS here is a
// loopback stand-in answering with STS's XML errors.
func TestSTSFailuresClassified(t *testing.T) {
	for _, tt := range []struct {
		status int
		code   string
		perm   bool
	}{
		{503, "ServiceUnavailable", false},
		{400, "Throttling", false},
		{500, "InternalFailure", false},
		{403, "AccessDenied", true},
	} {
		t.Run(tt.code, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				w.Header().Set("Content-Type", "text/xml")
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>`+tt.code+`</Code><Message>m</Message></Error><RequestId>1</RequestId></ErrorResponse>`)
			}))
			defer srv.Close()
			isolate(t)
			t.Setenv("AWS_ACCESS_KEY_ID", testAK)
			t.Setenv("AWS_SECRET_ACCESS_KEY", testSecret)
			t.Setenv("AWS_ENDPOINT_URL_STS", srv.URL)
			t.Setenv("AWS_MAX_ATTEMPTS", "1")
			d := aws.New()
			defer d.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, err := d.Invoke(ctx, &providers.Request{Provider: chainProvider(srv.URL, nil, map[string]string{"role_arn": roleARN}), Function: functionVal("echo", ""), Type: providers.TypeSync})
			if err == nil || !strings.Contains(err.Error(), tt.code) {
				t.Fatalf("err %v", err)
			}
			if got := providers.IsPermanent(err) != nil; got != tt.perm {
				t.Errorf("permanent %v, want %v: %v", got, tt.perm, err)
			}
		})
	}
}

// TestMetadataEndpointsRaw covers what the SDK's providers do not send:
// IMDSv1 (no session token), token lifetimes out of bounds, other
// metadata, and the container endpoint without its authorization.
func TestMetadataEndpointsRaw(t *testing.T) {
	r := startChain(t)
	do := func(method, path string, h map[string]string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, r.URL+path, nil)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		return resp.StatusCode, string(b)
	}
	const ttl = "X-Aws-Ec2-Metadata-Token-Ttl-Seconds"
	for _, v := range []string{"", "0", "21601", "x"} {
		if code, _ := do(http.MethodPut, "/latest/api/token", map[string]string{ttl: v}); code != 400 {
			t.Errorf("token TTL %q: %d", v, code)
		}
	}
	code, token := do(http.MethodPut, "/latest/api/token", map[string]string{ttl: "60"})
	if code != 200 || token == "" {
		t.Fatalf("token: %d %q", code, token)
	}
	auth := map[string]string{"X-Aws-Ec2-Metadata-Token": token}
	tests := []struct {
		method, path string
		h            map[string]string
		status       int
		body         string
	}{
		{http.MethodGet, "/latest/meta-data/iam/security-credentials/", nil, 401, ""},
		{http.MethodGet, "/latest/meta-data/iam/security-credentials/", map[string]string{"X-Aws-Ec2-Metadata-Token": "forged"}, 401, ""},
		{http.MethodGet, "/latest/meta-data/iam/security-credentials/", auth, 200, aws.InstanceRoleName},
		{http.MethodGet, "/latest/meta-data/iam/security-credentials/" + aws.InstanceRoleName, auth, 200, `"Code":"Success"`},
		{http.MethodGet, "/latest/meta-data/iam/security-credentials/other-role", auth, 404, ""},
		{http.MethodGet, "/latest/meta-data/instance-id", auth, 404, ""},
		{http.MethodGet, aws.ContainerCredentialsPath, nil, 401, `"code":"AccessDenied"`},
		{http.MethodGet, aws.ContainerCredentialsPath, map[string]string{"Authorization": expiredToken}, 403, `"code":"AccessDenied"`},
		{http.MethodPost, aws.ContainerCredentialsPath, map[string]string{"Authorization": webToken}, 405, ""},
		{http.MethodGet, aws.ContainerCredentialsPath, map[string]string{"Authorization": webToken}, 200, `"AccessKeyId":"ASIA`},
	}
	for _, tt := range tests {
		if code, body := do(tt.method, tt.path, tt.h); code != tt.status || !strings.Contains(body, tt.body) {
			t.Errorf("%s %s %v: %d %s", tt.method, tt.path, tt.h, code, body)
		}
	}
	// The session token expires with the emulator's clock.
	r.Env.SetClock(func() time.Time { return time.Now().Add(2 * time.Minute) })
	defer r.Env.SetClock(nil)
	if code, _ := do(http.MethodGet, "/latest/meta-data/iam/security-credentials/", auth); code != 401 {
		t.Errorf("expired session token: %d", code)
	}
}

// TestHungSTSBoundedByTheAttempt: an STS that never answers costs the
// attempt its timeout, not more, and the error is not permanent (the
// executor's retry policy decides).
func TestHungSTSBoundedByTheAttempt(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
			// The SDK's detached refresh may try again: let it go.
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	defer close(release)
	isolate(t)
	t.Setenv("AWS_ACCESS_KEY_ID", testAK)
	t.Setenv("AWS_SECRET_ACCESS_KEY", testSecret)
	t.Setenv("AWS_ENDPOINT_URL_STS", srv.URL)
	d := aws.New()
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := d.Invoke(ctx, &providers.Request{Provider: chainProvider(srv.URL, nil, map[string]string{"role_arn": roleARN}), Function: functionVal("echo", ""), Type: providers.TypeSync})
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %v", took)
	}
	if err == nil || providers.IsPermanent(err) != nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err %v", err)
	}
}
