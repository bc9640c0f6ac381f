package emulator

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/fnprobe/fnprobe/emulator/sim"
	"github.com/fnprobe/fnprobe/providers/alicloud"
	"github.com/fnprobe/fnprobe/providers/aws"
	"github.com/fnprobe/fnprobe/providers/huawei"
)

// The fuzz emulator's credentials. Its tokens appear in no seed, so an
// answer 2xx to a request that does not carry one must have been signed.
const (
	fuzzAK     = "FUZZAK"
	fuzzSecret = "fuzz-secret"
	fuzzToken  = "fuzz-token-3c1f0b9a7d2e4f6a8b5c0d1e2f3a4b5c"
)

var fuzzNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func fuzzConfig() Config {
	return Config{
		Seed: 1,
		Now:  func() time.Time { return fuzzNow },
		Credentials: []sim.Credential{
			{Provider: "alicloud", AccessKeyID: fuzzAK, Secret: fuzzSecret},
			{Provider: "aws", AccessKeyID: fuzzAK, Secret: fuzzSecret},
			{Provider: "huaweicloud", AccessKeyID: fuzzAK, Secret: fuzzSecret},
			{Provider: "huaweicloud", Token: fuzzToken},
			{Provider: "tencent", Token: fuzzToken},
		},
		Functions: []sim.FunctionSpec{
			{Name: "echo", Versions: []string{"1"}, Aliases: map[string]string{"prod": "1"}},
			{Name: "fail", Behavior: sim.Fail},
			{Name: "counter", Behavior: sim.Counter},
			{Name: "erroring", Fault: sim.Fault{ErrorRate: 1}},
		},
	}
}

// Signing modes of FuzzEmulatorRequest: how the fuzzed request is
// authenticated before it is sent. mode%8 picks the scheme, mode/8%2
// whether the credential is then corrupted.
const (
	modeNone = iota
	modeACS3
	modeFC
	modeSigV4
	modeHuawei
	modeBearer
	modeAuthToken
	modeSchemes
)

// FuzzEmulatorRequest sends an arbitrary request (method, path, headers,
// body), optionally signed with one of the clouds' schemes, through the
// emulator's handler. It must never panic, and never answer 2xx to a
// request that is unsigned or whose signature (or token) was corrupted.
func FuzzEmulatorRequest(f *testing.F) {
	seeds := []struct {
		mode                 uint8
		method, path, header string
		body                 string
	}{
		{modeNone, "POST", "/2023-03-30/functions/echo/invocations", "Content-Type: application/octet-stream", "x"},
		{modeACS3, "POST", "/2023-03-30/functions/echo/invocations?qualifier=prod", "X-Fc-Invocation-Type: Async\nX-Fc-Async-Task-Id: t1", "x"},
		{modeACS3 + 8, "POST", "/2023-03-30/functions/echo/invocations", "X-Fc-Log-Type: Tail", "x"},
		{modeACS3, "GET", "/2023-03-30/functions/echo/async-tasks?prefix=t", "", ""},
		{modeACS3, "PUT", "/2023-03-30/functions/echo/async-tasks/t1/stop", "", ""},
		{modeFC, "POST", "/2016-08-15/services/default.prod/functions/echo/invocations", "Content-Type: application/octet-stream\nX-Fc-Invocation-Type: Sync", "{}"},
		{modeFC + 8, "POST", "/2016-08-15/services/default/functions/fail/invocations", "", "{}"},
		{modeACS3, "POST", "/2021-04-06/services/default/functions/counter/invocations?qualifier=1", "X-Fc-Stateful-Async-Invocation-Id: s1", ""},
		{modeSigV4, "POST", "/2015-03-31/functions/echo/invocations?Qualifier=prod", "X-Amz-Invocation-Type: Event", `{"a":1}`},
		{modeSigV4, "POST", "/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:echo/invocations", "X-Amz-Log-Type: Tail", `{}`},
		{modeSigV4 + 8, "POST", "/2015-03-31/functions/erroring/invocations", "X-Amz-Content-Sha256: UNSIGNED-PAYLOAD", `{}`},
		{modeHuawei, "POST", "/v2/p1/fgs/functions/urn:fss:cn-north-4:p1:function:default:echo:latest/invocations", "X-Cff-Request-Version: v1\nContent-Type: application/json", `{"k":"v"}`},
		{modeHuawei + 8, "POST", "/v2/p1/fgs/functions/default:echo/invocations-async", "X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD", `{}`},
		{modeAuthToken, "GET", "/v2/p1/fgs/functions/echo/async-invocations?limit=5", "", ""},
		{modeBearer, "POST", "/v1/functions/echo?webfn=true", "X-Qualifier: 1", "hello"},
		{modeBearer + 8, "POST", "/v1/functions/counter", "", "{}"},
		{modeNone, "GET", "/nowhere", "Authorization: FC x:y", ""},
		{modeNone, "POST", "/v1/functions/echo", "Authorization: Bearer", "{}"},
	}
	for _, s := range seeds {
		f.Add(s.mode, s.method, s.path, s.header, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, mode uint8, method, path, header string, body []byte) {
		req, ok := fuzzRequest(method, path, header, body)
		if !ok {
			return
		}
		scheme, corrupt := int(mode%8), mode/8%2 == 1
		if scheme >= modeSchemes {
			scheme = modeNone
		}
		if !sign(req, scheme, body) {
			return
		}
		if corrupt {
			corruptCredential(req, scheme)
		}
		s, err := NewServer(fuzzConfig())
		if err != nil {
			t.Fatal(err)
		}
		defer s.Env().Close()
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code/100 != 2 {
			return
		}
		switch {
		case scheme == modeNone && !carriesToken(req):
			t.Errorf("an unsigned request was answered %d: %s %s %q", w.Code, req.Method, req.URL, req.Header)
		case corrupt:
			t.Errorf("a request with a corrupted credential was answered %d: %s %s %q", w.Code, req.Method, req.URL, req.Header)
		}
	})
}

// fuzzRequest builds a server-side request from the fuzzed parts, or
// reports false when no HTTP/1.1 server would hand such a request on.
func fuzzRequest(method, path, header string, body []byte) (*http.Request, bool) {
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	if strings.ContainsAny(path, " \r\n\t\x00#") || len(path) > 2048 || len(body) > 1<<16 {
		return nil, false
	}
	req, err := http.NewRequest(method, "http://emulator.test"+path, bytes.NewReader(body))
	if err != nil || req.URL.Host != "emulator.test" {
		return nil, false
	}
	req.RequestURI = path
	for line := range strings.SplitSeq(header, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || !validHeaderName(k) || strings.ContainsAny(v, "\r\n\x00") {
			continue
		}
		if strings.EqualFold(k, "Host") || strings.EqualFold(k, "Content-Length") || strings.EqualFold(k, "Transfer-Encoding") {
			continue
		}
		req.Header.Add(k, strings.TrimSpace(v))
	}
	return req, true
}

func validHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// carriesToken reports whether a request carries the fuzz emulator's token
// anywhere in its headers: then it is authenticated without a signature.
func carriesToken(req *http.Request) bool {
	for _, vs := range req.Header {
		for _, v := range vs {
			if strings.Contains(v, fuzzToken) {
				return true
			}
		}
	}
	return false
}

// sign authenticates req with scheme using the fuzz credentials, dated
// fuzzNow. It reports false when the scheme cannot sign this request.
func sign(req *http.Request, scheme int, body []byte) bool {
	switch scheme {
	case modeACS3:
		req.Header.Set("x-acs-signature-nonce", "fuzz-nonce")
		signACS3(req, fuzzAK, fuzzSecret, alicloud.SHA256Hex(body), fuzzNow)
	case modeFC:
		if len(body) > 0 {
			req.Header.Set("Content-MD5", alicloud.ContentMD5(body))
		}
		signFC(req, fuzzAK, fuzzSecret, fuzzNow)
	case modeSigV4:
		req.Header.Del("Authorization")
		hash := aws.PayloadHash(body)
		if d := req.Header.Get("X-Amz-Content-Sha256"); d != "" {
			hash = d
		}
		creds := awssdk.Credentials{AccessKeyID: fuzzAK, SecretAccessKey: fuzzSecret}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hash, aws.SigningName, "us-east-1", fuzzNow); err != nil {
			return false
		}
	case modeHuawei:
		h := map[string]string{huawei.HeaderDate: fuzzNow.Format(huawei.DateFormat)}
		for k, vs := range req.Header {
			if !strings.EqualFold(k, "Authorization") && !strings.EqualFold(k, huawei.HeaderDate) {
				h[k] = vs[0]
			}
		}
		req.Header = http.Header{}
		for k, v := range h {
			req.Header.Set(k, v)
		}
		auth, err := huawei.Sign(fuzzAK, fuzzSecret, req.Method, req.URL.Path, req.URL.Query(), h, body)
		if err != nil {
			return false
		}
		req.Header.Set("Authorization", auth)
	case modeBearer:
		req.Header.Set("Authorization", "Bearer "+fuzzToken)
	case modeAuthToken:
		req.Header.Set("X-Auth-Token", fuzzToken)
	}
	return true
}

// corruptCredential changes the signature (or token) of a signed request
// so that no correct verifier can accept it.
func corruptCredential(req *http.Request, scheme int) {
	switch scheme {
	case modeNone:
	case modeAuthToken:
		req.Header.Set("X-Auth-Token", "x"+req.Header.Get("X-Auth-Token"))
	case modeBearer:
		req.Header.Set("Authorization", strings.Replace(req.Header.Get("Authorization"), fuzzToken, "x"+fuzzToken, 1))
	default:
		req.Header.Set("Authorization", req.Header.Get("Authorization")+"0")
	}
	// The token must no longer appear anywhere as a whole.
	for k, vs := range req.Header {
		for i, v := range vs {
			req.Header[k][i] = strings.ReplaceAll(v, fuzzToken, "x"+fuzzToken[1:])
		}
	}
}
