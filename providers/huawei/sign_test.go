package huawei

import (
	"net/url"
	"testing"
)

// TestSignVectors checks the published SDK-HMAC-SHA256 vectors
// (PROTOCOLS.md §3.6): the Go SDK's signer_test.go cases and the APIG
// documentation example.
func TestSignVectors(t *testing.T) {
	tests := []struct {
		name, method, path string
		query              url.Values
		headers            map[string]string
		body               string
		ak, sk, want       string
	}{
		{
			name: "sdk test1", method: "GET", path: "/path", query: url.Values{"limit": {"1"}},
			headers: map[string]string{"X-Sdk-Date": "20060102T150405Z", "TEST_UNDERSCORE": "TEST_VALUE"},
			ak:      "AccessKey", sk: "SecretKey",
			want: "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, Signature=5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624",
		},
		{
			name: "sdk test2", method: "POST", path: "/path", query: url.Values{"key": {"value"}},
			headers: map[string]string{"X-Sdk-Date": "20060102T150405Z", "TEST_UNDERSCORE": "TEST_VALUE", "Content-Type": "application/json"},
			body:    "{\"Name\":\"test\",\"Id\":1}\n",
			ak:      "AccessKey", sk: "SecretKey",
			want: "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, Signature=cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Sign(tt.ak, tt.sk, tt.method, tt.path, tt.query, tt.headers, []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}

	t.Run("sdk test1 canonical request", func(t *testing.T) {
		got := CanonicalRequest("GET", "/path", url.Values{"limit": {"1"}},
			map[string][]string{"x-sdk-date": {"20060102T150405Z"}}, []string{"x-sdk-date"}, HexSHA256(nil))
		want := "GET\n/path/\nlimit=1\nx-sdk-date:20060102T150405Z\n\nx-sdk-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
		if got != want {
			t.Errorf("got  %q\nwant %q", got, want)
		}
	})

	// The APIG documentation example signs content-type;host;x-sdk-date:
	// a verifier must follow the client's own SignedHeaders.
	t.Run("apig doc", func(t *testing.T) {
		headers := map[string][]string{
			"content-type": {"application/json"},
			"host":         {"service.region.example.com"},
			"x-sdk-date":   {"20191115T033655Z"},
		}
		q := url.Values{"limit": {"2"}, "marker": {"13551d6b-755d-4757-b956-536f674975c0"}}
		cr := CanonicalRequest("GET", "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs", q, headers,
			[]string{"content-type", "host", "x-sdk-date"}, HexSHA256(nil))
		if got := HexSHA256([]byte(cr)); got != "b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a" {
			t.Errorf("hashed canonical request %s\n%s", got, cr)
		}
		sig := Signature("MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc", StringToSign("20191115T033655Z", cr))
		if sig != "7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe" {
			t.Errorf("signature %s", sig)
		}
	})
}

func TestCanonicalURI(t *testing.T) {
	tests := map[string]string{
		"":     "/",
		"/":    "/",
		"/a/b": "/a/b/",
		"/a/":  "/a/",
		"/v2/p/fgs/functions/urn:fss:cn-north-4:p:function:default:fn:!prod/invocations": "/v2/p/fgs/functions/urn%3Afss%3Acn-north-4%3Ap%3Afunction%3Adefault%3Afn%3A%21prod/invocations/",
		"/a b/~x": "/a%20b/~x/",
	}
	for in, want := range tests {
		if got := CanonicalURI(in); got != want {
			t.Errorf("CanonicalURI(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseAuthorization(t *testing.T) {
	p, err := ParseAuthorization("SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;x-sdk-date, Signature=abc")
	if err != nil || p.AccessKey != "AK" || len(p.SignedHeaders) != 2 || p.Signature != "abc" {
		t.Errorf("%+v %v", p, err)
	}
	for _, bad := range []string{"", "Bearer x", "SDK-HMAC-SHA256 Access=AK", "SDK-HMAC-SHA256 SignedHeaders=a, Signature=b"} {
		if _, err := ParseAuthorization(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
