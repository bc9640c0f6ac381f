package alicloud_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/emulator"
	"github.com/fnprobe/fnprobe/emulator/sim"
	"github.com/fnprobe/fnprobe/providers/alicloud"
)

// stsCall is one request to the emulated STS.
type stsCall struct {
	params map[string]string // besides the common ones
	ak     string            // signs with ak/secret; "" leaves it unsigned
	secret string
	token  string
	ts     time.Time // zero: now
	nonce  string    // "": a fresh one
	badSig bool
}

func (c stsCall) do(t *testing.T, base string, n int) (int, map[string]any) {
	t.Helper()
	p := map[string]string{"Version": alicloud.STSVersion, "Format": "JSON"}
	ts := c.ts
	if ts.IsZero() {
		ts = time.Now()
	}
	p["Timestamp"] = ts.UTC().Format("2006-01-02T15:04:05Z")
	for k, v := range c.params {
		p[k] = v
	}
	if c.ak != "" {
		p["AccessKeyId"] = c.ak
		p["SignatureMethod"] = "HMAC-SHA1"
		p["SignatureVersion"] = "1.0"
		p["SignatureNonce"] = c.nonce
		if c.nonce == "" {
			p["SignatureNonce"] = "nonce-" + strconv.Itoa(n) + "-" + strconv.FormatInt(time.Now().UnixNano(), 10)
		}
		if c.token != "" {
			p["SecurityToken"] = c.token
		}
		sig := alicloud.RPCSignature(c.secret, alicloud.RPCStringToSign(http.MethodPost, p))
		if c.badSig {
			sig = "x" + sig
		}
		p["Signature"] = sig
	}
	// The common parameters in the query, the action's in the form, as
	// credentials-go sends them.
	query, form := url.Values{}, url.Values{}
	for k, v := range p {
		switch k {
		case "RoleArn", "RoleSessionName", "DurationSeconds", "OIDCToken", "OIDCProviderArn", "ExternalId":
			form.Set(k, v)
		default:
			query.Set(k, v)
		}
	}
	req, err := http.NewRequest(http.MethodPost, base+alicloud.STSPath+"?"+query.Encode(), strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("answer is not JSON: %v", err)
	}
	return resp.StatusCode, body
}

func assumeRole(extra map[string]string) map[string]string {
	m := map[string]string{"Action": "AssumeRole", "RoleArn": roleARN, "RoleSessionName": "probe"}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func withOIDC(token string, extra map[string]string) map[string]string {
	m := map[string]string{"Action": "AssumeRoleWithOIDC", "RoleArn": roleARN, "RoleSessionName": "probe",
		"OIDCProviderArn": oidcARN, "OIDCToken": token}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// TestSTSEmulator: the emulated STS checks the RPC signature for real,
// honours and bounds DurationSeconds, and answers errors in Alibaba
// Cloud's RPC shape.
func TestSTSEmulator(t *testing.T) {
	r, err := emulator.Start(emulator.Config{
		Credentials: []sim.Credential{
			{Provider: "alicloud", AccessKeyID: parentAK, Secret: parentSecret},
			{Provider: "alicloud", Token: oidcToken},
			{Provider: "alicloud", Token: "old-token", Expired: true},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	temp := r.Env.IssueCredential("alicloud", "STS.", sim.Credential{}, time.Hour)
	stale := r.Env.IssueCredential("alicloud", "STS.", sim.Credential{}, time.Nanosecond)
	time.Sleep(time.Millisecond)
	signed := func(params map[string]string) stsCall {
		return stsCall{params: params, ak: parentAK, secret: parentSecret}
	}
	cases := []struct {
		name     string
		call     stsCall
		status   int
		code     string
		duration time.Duration // of the credential issued
	}{
		{"AssumeRole, default duration", signed(assumeRole(nil)), 200, "", time.Hour},
		{"AssumeRole, 900 s", signed(assumeRole(map[string]string{"DurationSeconds": "900"})), 200, "", 15 * time.Minute},
		{"AssumeRole, 12 h", signed(assumeRole(map[string]string{"DurationSeconds": "43200", "ExternalId": "x"})), 200, "", 12 * time.Hour},
		{"AssumeRole, too short", signed(assumeRole(map[string]string{"DurationSeconds": "899"})), 400, "InvalidParameter.DurationSeconds", 0},
		{"AssumeRole, too long", signed(assumeRole(map[string]string{"DurationSeconds": "43201"})), 400, "InvalidParameter.DurationSeconds", 0},
		{"AssumeRole, not a number", signed(assumeRole(map[string]string{"DurationSeconds": "1h"})), 400, "InvalidParameter.DurationSeconds", 0},
		{"AssumeRole, wrong signature", stsCall{params: assumeRole(nil), ak: parentAK, secret: parentSecret, badSig: true}, 400, "SignatureDoesNotMatch", 0},
		{"AssumeRole, wrong secret", stsCall{params: assumeRole(nil), ak: parentAK, secret: "wrong"}, 400, "SignatureDoesNotMatch", 0},
		{"AssumeRole, unknown key", stsCall{params: assumeRole(nil), ak: "AKNOBODY", secret: "x"}, 404, "InvalidAccessKeyId.NotFound", 0},
		{"AssumeRole, unsigned", stsCall{params: assumeRole(nil)}, 400, "MissingParameter", 0},
		{"AssumeRole, old timestamp", stsCall{params: assumeRole(nil), ak: parentAK, secret: parentSecret, ts: time.Now().Add(-20 * time.Minute)}, 400, "InvalidTimeStamp.Expired", 0},
		{"AssumeRole, no RoleArn", signed(map[string]string{"Action": "AssumeRole", "RoleSessionName": "probe"}), 400, "MissingRoleArn", 0},
		{"AssumeRole, malformed RoleArn", signed(assumeRole(map[string]string{"RoleArn": "arn:aws:iam::1:role/x"})), 400, "InvalidParameter.RoleArn", 0},
		{"AssumeRole, malformed session name", signed(assumeRole(map[string]string{"RoleSessionName": "a b"})), 400, "InvalidParameter.RoleSessionName", 0},
		{"AssumeRole with temporary credentials", stsCall{params: assumeRole(nil), ak: temp.AccessKeyID, secret: temp.Secret, token: temp.SecurityToken}, 200, "", time.Hour},
		{"AssumeRole with temporary credentials, no token", stsCall{params: assumeRole(nil), ak: temp.AccessKeyID, secret: temp.Secret}, 400, "InvalidSecurityToken.MismatchWithAccessKey", 0},
		{"AssumeRole with expired temporary credentials", stsCall{params: assumeRole(nil), ak: stale.AccessKeyID, secret: stale.Secret, token: stale.SecurityToken}, 400, "InvalidSecurityToken.Expired", 0},
		{"AssumeRoleWithOIDC", stsCall{params: withOIDC(oidcToken, nil)}, 200, "", time.Hour},
		{"AssumeRoleWithOIDC, 2 h", stsCall{params: withOIDC(oidcToken, map[string]string{"DurationSeconds": "7200"})}, 200, "", 2 * time.Hour},
		{"AssumeRoleWithOIDC, unknown token", stsCall{params: withOIDC("nope", nil)}, 400, "AuthenticationFail.OIDCToken.Invalid", 0},
		{"AssumeRoleWithOIDC, expired token", stsCall{params: withOIDC("old-token", nil)}, 400, "AuthenticationFail.OIDCToken.Expired", 0},
		{"AssumeRoleWithOIDC, no provider", stsCall{params: map[string]string{"Action": "AssumeRoleWithOIDC", "RoleArn": roleARN, "RoleSessionName": "p", "OIDCToken": oidcToken}}, 400, "MissingOIDCProviderArn", 0},
		{"AssumeRoleWithOIDC, an access key is no OIDC token", stsCall{params: withOIDC(parentSecret, nil)}, 400, "AuthenticationFail.OIDCToken.Invalid", 0},
		{"unknown action", signed(map[string]string{"Action": "GetCallerIdentity"}), 404, "InvalidAction.NotFound", 0},
		{"wrong version", signed(assumeRole(map[string]string{"Version": "2019-01-01"})), 400, "InvalidVersion", 0},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			status, body := tc.call.do(t, r.URL, i)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %v", status, tc.status, body)
			}
			if body["RequestId"] == "" || body["RequestId"] == nil {
				t.Errorf("no RequestId: %v", body)
			}
			if tc.code != "" {
				if body["Code"] != tc.code || body["Message"] == "" || body["Message"] == nil {
					t.Errorf("body %v, want Code %s and a Message", body, tc.code)
				}
				return
			}
			cr, _ := body["Credentials"].(map[string]any)
			ak, _ := cr["AccessKeyId"].(string)
			exp, err := time.Parse("2006-01-02T15:04:05Z", cr["Expiration"].(string))
			if err != nil {
				t.Fatalf("expiration: %v", err)
			}
			if got := exp.Sub(start); got < tc.duration-2*time.Second || got > tc.duration+2*time.Second {
				t.Errorf("credential valid for %v, want %v", got, tc.duration)
			}
			c, ok := r.Env.Credential("alicloud", ak)
			if !ok || !strings.HasPrefix(ak, "STS.") || c.Secret != cr["AccessKeySecret"] || c.SecurityToken != cr["SecurityToken"] || c.Expired {
				t.Errorf("issued %v, emulator knows %+v (%v)", cr, c, ok)
			}
			if u, _ := body["AssumedRoleUser"].(map[string]any); u["Arn"] != "acs:ram::1234567890123456:assumed-role/probe/"+tc.call.params["RoleSessionName"] {
				t.Errorf("AssumedRoleUser %v", body["AssumedRoleUser"])
			}
		})
	}
}

// TestSTSNonceReplay: a signed request replayed is refused.
func TestSTSNonceReplay(t *testing.T) {
	r, err := emulator.Start(emulator.Config{Credentials: []sim.Credential{{Provider: "alicloud", AccessKeyID: parentAK, Secret: parentSecret}}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	c := stsCall{params: assumeRole(nil), ak: parentAK, secret: parentSecret, nonce: "same-nonce", ts: time.Now()}
	if status, body := c.do(t, r.URL, 0); status != 200 {
		t.Fatalf("first: %d %v", status, body)
	}
	if status, body := c.do(t, r.URL, 0); status != 400 || body["Code"] != "SignatureNonceUsed" {
		t.Fatalf("replay: %d %v", status, body)
	}
}
