package huawei_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/providers/huawei"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/signer/algorithm"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/request"
)

// The driver authenticates a request with temporary credentials exactly as
// the SDK's BasicCredentials.ProcessAuthRequest does: the same
// X-Security-Token and X-Project-Id headers, signed, and the same
// Authorization. The request the driver sent is replayed through the SDK
// (same date, headers and body: the SDK's JSON encoder ends the body with a
// newline, so the payload does too).
func TestTemporaryCredentialsLikeTheSDK(t *testing.T) {
	isolate(t)
	const ak, sk, tok = "STSPARITY", "parity-secret", "parity-security-token"
	t.Setenv(huawei.EnvAccessKey, ak)
	t.Setenv(huawei.EnvSecretKey, sk)
	t.Setenv(huawei.EnvSecurityToken, tok)
	t.Setenv(huawei.EnvProjectID, project)
	var got *http.Request
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Clone(context.Background())
		body, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"request_id":"r","result":"1","log":"","status":200}`))
	}))
	defer srv.Close()
	d := huawei.New()
	defer d.Close()
	if _, err := d.Invoke(context.Background(), &providers.Request{Provider: chainProvider(srv.URL, nil), Function: named("echo"),
		Payload: []byte("{\"k\":\"v\"}\n"), Type: providers.TypeSync}); err != nil {
		t.Fatal(err)
	}

	creds, err := auth.NewBasicCredentialsBuilder().WithAk(ak).WithSk(sk).WithSecurityToken(tok).WithProjectId(project).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	var event map[string]any
	if err := json.Unmarshal(body, &event); err != nil {
		t.Fatal(err)
	}
	b := request.NewHttpRequestBuilder().WithMethod(got.Method).WithEndpoint(srv.URL).WithPath(got.URL.Path).WithBody("body", event).
		WithSigningAlgorithm(algorithm.GetDefaultSigningAlgorithm())
	for _, h := range []string{"X-Sdk-Date", "Content-Type", "X-Cff-Request-Version"} {
		b.AddHeaderParam(h, got.Header.Get(h))
	}
	req, err := creds.ProcessAuthRequest(nil, b.Build())
	if err != nil {
		t.Fatal(err)
	}
	sdk := req.GetHeaderParams()
	if bb, err := req.GetBodyToBytes(); err != nil || bb.String() != string(body) {
		t.Fatalf("the SDK would send the body %q, the driver sent %q (%v)", bb, body, err)
	}
	for _, h := range []string{"X-Security-Token", "X-Project-Id", "Authorization"} {
		if got.Header.Get(h) != sdk[h] || sdk[h] == "" {
			t.Errorf("%s: driver sent %q, the SDK %q", h, got.Header.Get(h), sdk[h])
		}
	}
}
