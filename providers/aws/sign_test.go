package aws

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// The AWS SigV4 test suite constants (botocore tests/unit/auth/test_sigv4.py).
var suiteCreds = aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}

var suiteTime = time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)

// TestSigV4Vectors signs the published get-vanilla and post-vanilla cases
// through the SDK signer the way the driver calls it.
func TestSigV4Vectors(t *testing.T) {
	tests := []struct {
		name, method, want string
	}{
		{"get-vanilla", http.MethodGet, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
		{"post-vanilla", http.MethodPost, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, "https://example.amazonaws.com/", nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := v4.NewSigner().SignHTTP(context.Background(), suiteCreds, req, PayloadHash(nil), "service", "us-east-1", suiteTime); err != nil {
				t.Fatal(err)
			}
			if got := req.Header.Get("Authorization"); got != tt.want {
				t.Errorf("Authorization\n got %s\nwant %s", got, tt.want)
			}
			if got := req.Header.Get("X-Amz-Date"); got != "20150830T123600Z" {
				t.Errorf("X-Amz-Date %q", got)
			}
		})
	}
}

// referenceSignature is an independent SigV4 computation from the recipe
// in PROTOCOLS.md §5.4, for a request with host and x-amz-date signed.
func referenceSignature(secret, method, canonicalURI, query, host, date, region, service string, body []byte) string {
	mac := func(key []byte, s string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(s))
		return h.Sum(nil)
	}
	canon := strings.Join([]string{method, canonicalURI, query,
		"host:" + host + "\nx-amz-date:" + date + "\n", "host;x-amz-date", PayloadHash(body)}, "\n")
	sum := sha256.Sum256([]byte(canon))
	scope := date[:8] + "/" + region + "/" + service + "/aws4_request"
	sts := "AWS4-HMAC-SHA256\n" + date + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	key := mac(mac(mac(mac([]byte("AWS4"+secret), date[:8]), region), service), "aws4_request")
	return hex.EncodeToString(mac(key, sts))
}

// TestSigV4DoubleEscapedARN proves the canonical URI of an ARN invocation
// is the escaped path escaped again (%3A -> %253A).
func TestSigV4DoubleEscapedARN(t *testing.T) {
	arn := "arn:aws:lambda:us-west-2:123456789012:function:my-function:prod"
	path := "/2015-03-31/functions/" + EscapePath(arn) + "/invocations"
	if !strings.Contains(path, "arn%3Aaws%3Alambda") {
		t.Fatalf("path %s not escaped", path)
	}
	req, err := http.NewRequest(http.MethodPost, "https://lambda.us-west-2.amazonaws.com"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if req.URL.EscapedPath() != path {
		t.Fatalf("the request would send %s, not %s", req.URL.EscapedPath(), path)
	}
	if err := v4.NewSigner().SignHTTP(context.Background(), suiteCreds, req, PayloadHash(nil), SigningName, "us-west-2", suiteTime); err != nil {
		t.Fatal(err)
	}
	double := strings.ReplaceAll(path, "%3A", "%253A")
	want := referenceSignature(suiteCreds.SecretAccessKey, "POST", double, "", "lambda.us-west-2.amazonaws.com", "20150830T123600Z", "us-west-2", SigningName, nil)
	if got := req.Header.Get("Authorization"); !strings.HasSuffix(got, "Signature="+want) {
		t.Errorf("signature over the double-escaped path: got %s, want …%s", got, want)
	}
	single := referenceSignature(suiteCreds.SecretAccessKey, "POST", path, "", "lambda.us-west-2.amazonaws.com", "20150830T123600Z", "us-west-2", SigningName, nil)
	if strings.HasSuffix(req.Header.Get("Authorization"), single) {
		t.Errorf("signature is over the single-escaped path")
	}
}

func TestParseFunctionName(t *testing.T) {
	tests := []struct {
		in   string
		want FunctionRef
		ok   bool
	}{
		{"my-function", FunctionRef{Name: "my-function"}, true},
		{"my-function:prod", FunctionRef{Name: "my-function", Qualifier: "prod"}, true},
		{"my-function:$LATEST", FunctionRef{Name: "my-function", Qualifier: "$LATEST"}, true},
		{"123456789012:function:my-function", FunctionRef{Account: "123456789012", Name: "my-function"}, true},
		{"us-west-2:123456789012:function:fn:7", FunctionRef{Region: "us-west-2", Account: "123456789012", Name: "fn", Qualifier: "7"}, true},
		{"arn:aws:lambda:us-west-2:123456789012:function:my-function", FunctionRef{Region: "us-west-2", Account: "123456789012", Name: "my-function"}, true},
		{"arn:aws-cn:lambda:cn-north-1:123456789012:function:f:live", FunctionRef{Region: "cn-north-1", Account: "123456789012", Name: "f", Qualifier: "live"}, true},
		{"arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:f", FunctionRef{Region: "us-gov-west-1", Account: "123456789012", Name: "f"}, true},
		{"", FunctionRef{}, false},
		{"bad name", FunctionRef{}, false},
		{"fn:a:b", FunctionRef{}, false},
		{"arn:aws:lambda:us-west-2:12345:function:f", FunctionRef{}, false},
		{strings.Repeat("a", 257), FunctionRef{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := ParseFunctionName(tt.in)
			if ok != tt.ok || got != tt.want {
				t.Errorf("ParseFunctionName(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
			if ValidFunctionName(tt.in) != tt.ok {
				t.Errorf("ValidFunctionName(%q) != %v", tt.in, tt.ok)
			}
		})
	}
}

func TestValidQualifier(t *testing.T) {
	for q, want := range map[string]bool{"$LATEST": true, "$LATEST.PUBLISHED": true, "7": true, "prod-1_a": true, "": false, "a b": false, "a:b": false, strings.Repeat("q", 129): false} {
		if ValidQualifier(q) != want {
			t.Errorf("ValidQualifier(%q) != %v", q, want)
		}
	}
}

func TestErrorInfo(t *testing.T) {
	tests := []struct {
		name, header, body, code, msg string
	}{
		{"header with suffix", "ResourceNotFoundException:http://internal.amazon.com/coral/com.amazonaws.awslambda/", `{"Type":"User","Message":"Function not found"}`, "ResourceNotFoundException", "Function not found"},
		{"body __type", "", `{"__type":"com.amazon.coral#TooManyRequestsException","message":"Rate Exceeded."}`, "TooManyRequestsException", "Rate Exceeded."},
		{"body code", "", `{"code":"ServiceException","message":"x"}`, "ServiceException", "x"},
		{"not json", "", `<html>bad gateway</html>`, "UnknownError", "<html>bad gateway</html>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.header != "" {
				h.Set("X-Amzn-ErrorType", tt.header)
			}
			code, msg := ErrorInfo(h, []byte(tt.body))
			if code != tt.code || msg != tt.msg {
				t.Errorf("got %q %q, want %q %q", code, msg, tt.code, tt.msg)
			}
		})
	}
}
