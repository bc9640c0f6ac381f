package emulator

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/fnprobe/fnprobe/providers/aws"
)

// TestSigV4DeclaredPayloadHash: with X-Amz-Content-Sha256 the signature
// covers the declared hash and the body must match it; without it the
// signature covers the body's own hash (checked after reading it).
func TestSigV4DeclaredPayloadHash(t *testing.T) {
	s, err := NewServer(fuzzConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Env().Close()
	body := `{"k":"v"}`
	tests := []struct {
		name, declared, sent string
		want                 int
		code                 string
	}{
		{"undeclared", "", body, 200, ""},
		{"declared", aws.PayloadHash([]byte(body)), body, 200, ""},
		{"unsigned payload", "UNSIGNED-PAYLOAD", body, 200, ""},
		{"declared, another body sent", aws.PayloadHash([]byte(body)), `{"k":"w"}`, 400, "XAmzContentSHA256Mismatch"},
		{"undeclared, another body sent", "", `{"k":"w"}`, 403, "InvalidSignatureException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "http://emulator.test/2015-03-31/functions/echo/invocations", strings.NewReader(body))
			req.RequestURI = req.URL.RequestURI()
			hash := aws.PayloadHash([]byte(body))
			if tt.declared != "" {
				req.Header.Set("X-Amz-Content-Sha256", tt.declared)
				hash = tt.declared
			}
			creds := awssdk.Credentials{AccessKeyID: fuzzAK, SecretAccessKey: fuzzSecret}
			if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hash, aws.SigningName, "us-east-1", fuzzNow); err != nil {
				t.Fatal(err)
			}
			req.Body = http.NoBody
			if tt.sent != "" {
				req.Body = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tt.sent)).Body
				req.ContentLength = int64(len(tt.sent))
			}
			w := httptest.NewRecorder()
			s.ServeHTTP(w, req)
			if w.Code != tt.want || w.Header().Get("X-Amzn-Errortype") != tt.code {
				t.Errorf("status %d %s %s, want %d %s", w.Code, w.Header().Get("X-Amzn-Errortype"), w.Body, tt.want, tt.code)
			}
		})
	}
}
