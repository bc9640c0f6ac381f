package huawei

import (
	"net/url"
	"reflect"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/signer"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/request"
)

// TestSignAgainstOfficial compares Sign with the official Go SDK's signer
// (core/auth/signer) on requests shaped like FunctionGraph calls.
func TestSignAgainstOfficial(t *testing.T) {
	const urn = "urn:fss:cn-north-4:0123456789abcdef0123456789abcdef:function:default:hello:!prod"
	tests := []struct {
		name, method, path string
		query              map[string]string
		headers            map[string]string
		body               map[string]any
	}{
		{"sync invoke", "POST", "/v2/0123456789abcdef0123456789abcdef/fgs/functions/" + urn + "/invocations", nil,
			map[string]string{"X-Sdk-Date": "20240102T030405Z", "X-Project-Id": "0123456789abcdef0123456789abcdef",
				"Content-Type": "application/json", "X-Cff-Log-Type": "tail", "X-CFF-Request-Version": "v1"},
			map[string]any{"k": "v", "n": 1}},
		{"security token", "POST", "/v2/p/fgs/functions/default:fn/invocations-async", nil,
			map[string]string{"X-Sdk-Date": "20240102T030405Z", "X-Security-Token": " tok ", "Content-Type": "application/json;charset=UTF-8"},
			map[string]any{"a": []int{1, 2}}},
		{"list with query", "GET", "/v2/p/fgs/functions/fn/async-invocations", map[string]string{"request_id": "1167bf8c-87b0", "limit": "1", "q": "a b*~/"},
			map[string]string{"X-Sdk-Date": "20240102T030405Z", "X-Custom": "x"}, nil},
		{"unsigned payload", "POST", "/v2/p/x", nil,
			map[string]string{"X-Sdk-Date": "20240102T030405Z", "Content-Type": "application/octet-stream"}, map[string]any{"b": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := request.NewHttpRequestBuilder().WithMethod(tt.method).WithEndpoint("https://functiongraph.cn-north-4.myhuaweicloud.com").WithPath(tt.path)
			q := url.Values{}
			for k, v := range tt.query {
				b.AddQueryParam(k, reflect.ValueOf(v))
				q.Set(k, v)
			}
			for k, v := range tt.headers {
				b.AddHeaderParam(k, v)
			}
			if tt.body != nil {
				b.WithBody("body", tt.body)
			}
			req := b.Build()
			official, err := signer.Sign(req, "AKTEST", "SKTEST")
			if err != nil {
				t.Fatal(err)
			}
			body, err := req.GetBodyToBytes()
			if err != nil {
				t.Fatal(err)
			}
			headers := req.GetHeaderParams() // the SDK adds X-Sdk-Content-Sha256 when it applies
			got, err := Sign("AKTEST", "SKTEST", tt.method, tt.path, q, headers, body.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if got != official["Authorization"] {
				t.Errorf("got      %s\nofficial %s", got, official["Authorization"])
			}
		})
	}
}
