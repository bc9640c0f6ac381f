package aws_test

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/providers/aws"
)

// TestOfficialSDKInterop invokes the emulator with the official AWS SDK
// Lambda client and with fnprobe's driver, and checks both get the same
// answers: the emulator is only worth trusting if the real SDK accepts it.
func TestOfficialSDKInterop(t *testing.T) {
	r := start(t)
	client := lambda.New(lambda.Options{
		Region:       testRegion,
		BaseEndpoint: awssdk.String(r.URL),
		Credentials: awssdk.CredentialsProviderFunc(func(context.Context) (awssdk.Credentials, error) {
			return awssdk.Credentials{AccessKeyID: testAK, SecretAccessKey: testSecret}, nil
		}),
		RetryMaxAttempts: 1,
	})
	d := aws.New()
	defer d.Close()

	tests := []struct {
		name, fn, qualifier, payload string
		invType                      types.InvocationType
		logs                         bool
		wantStatus                   int32
		wantCode                     string // API error code, "" for none
		wantFuncError                string
		wantVersion                  string
	}{
		{name: "name", fn: "echo", payload: `{"a":1}`, wantStatus: 200, wantVersion: "$LATEST"},
		{name: "alias", fn: "echo", qualifier: "prod", payload: `"x"`, wantStatus: 200, wantVersion: "2"},
		{name: "full ARN", fn: "arn:aws:lambda:us-east-1:123456789012:function:echo:1", payload: `{}`, wantStatus: 200, wantVersion: "1"},
		{name: "partial ARN", fn: "123456789012:function:echo", payload: `{}`, wantStatus: 200, wantVersion: "$LATEST"},
		{name: "logs", fn: "echo", payload: `{}`, logs: true, wantStatus: 200, wantVersion: "$LATEST"},
		{name: "function error", fn: "fail", payload: `{}`, wantStatus: 200, wantFuncError: "Unhandled", wantVersion: "$LATEST"},
		{name: "event", fn: "echo", payload: `{}`, invType: types.InvocationTypeEvent, wantStatus: 202},
		{name: "dry run", fn: "echo", payload: `{}`, invType: types.InvocationTypeDryRun, wantStatus: 204},
		{name: "not found", fn: "nope", payload: `{}`, wantCode: "ResourceNotFoundException"},
		{name: "alias not found", fn: "echo", qualifier: "staging", payload: `{}`, wantCode: "ResourceNotFoundException"},
		{name: "throttled", fn: "throttled", payload: `{}`, wantCode: "TooManyRequestsException"},
		{name: "service error", fn: "erroring", payload: `{}`, wantCode: "ServiceException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			in := &lambda.InvokeInput{FunctionName: awssdk.String(tt.fn), Payload: []byte(tt.payload), InvocationType: tt.invType}
			if tt.qualifier != "" {
				in.Qualifier = awssdk.String(tt.qualifier)
			}
			if tt.logs {
				in.LogType = types.LogTypeTail
			}
			typ := map[types.InvocationType]string{"": providers.TypeSync, types.InvocationTypeEvent: providers.TypeAsync, types.InvocationTypeDryRun: providers.TypeDryRun}[tt.invType]
			res, derr := d.Invoke(ctx, &providers.Request{
				Provider: providerVal(r.URL, nil), Function: functionVal(tt.fn, tt.qualifier),
				Payload: []byte(tt.payload), Type: typ, Logs: tt.logs,
			})
			if derr != nil {
				t.Fatalf("driver: %v", derr)
			}
			out, err := client.Invoke(ctx, in)

			if tt.wantCode != "" {
				var apiErr smithy.APIError
				if !errors.As(err, &apiErr) {
					t.Fatalf("SDK: want API error %s, got %v", tt.wantCode, err)
				}
				if apiErr.ErrorCode() != tt.wantCode || res.ErrorCode != tt.wantCode {
					t.Errorf("codes: SDK %q, driver %q, want %q", apiErr.ErrorCode(), res.ErrorCode, tt.wantCode)
				}
				if apiErr.ErrorMessage() == "" || apiErr.ErrorMessage() != res.ErrorMessage {
					t.Errorf("messages: SDK %q, driver %q", apiErr.ErrorMessage(), res.ErrorMessage)
				}
				var tmr *types.TooManyRequestsException
				if errors.As(err, &tmr) {
					if awssdk.ToString(tmr.RetryAfterSeconds) != "2" || res.RetryAfter != 2*time.Second {
						t.Errorf("retry after: SDK %q, driver %v", awssdk.ToString(tmr.RetryAfterSeconds), res.RetryAfter)
					}
					if tmr.Reason == "" {
						t.Errorf("no throttle reason")
					}
				}
				var rnf *types.ResourceNotFoundException
				if tt.wantCode == "ResourceNotFoundException" && !errors.As(err, &rnf) {
					t.Errorf("SDK did not decode a *types.ResourceNotFoundException: %T", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("SDK: %v", err)
			}
			if out.StatusCode != tt.wantStatus || int32(res.Status) != tt.wantStatus {
				t.Errorf("status: SDK %d, driver %d, want %d", out.StatusCode, res.Status, tt.wantStatus)
			}
			if string(out.Payload) != string(res.Body) {
				t.Errorf("payload: SDK %q, driver %q", out.Payload, res.Body)
			}
			if tt.wantStatus == 200 && string(out.Payload) != tt.payload && tt.wantFuncError == "" {
				t.Errorf("payload %q, want %q", out.Payload, tt.payload)
			}
			if awssdk.ToString(out.FunctionError) != tt.wantFuncError || res.ErrorType != tt.wantFuncError || res.Error != (tt.wantFuncError != "") {
				t.Errorf("function error: SDK %q, driver %q/%v", awssdk.ToString(out.FunctionError), res.ErrorType, res.Error)
			}
			if awssdk.ToString(out.ExecutedVersion) != tt.wantVersion || res.Version != tt.wantVersion {
				t.Errorf("version: SDK %q, driver %q, want %q", awssdk.ToString(out.ExecutedVersion), res.Version, tt.wantVersion)
			}
			if tt.logs {
				log, err := base64.StdEncoding.DecodeString(awssdk.ToString(out.LogResult))
				if err != nil || !strings.Contains(string(log), "REPORT RequestId:") || !strings.Contains(res.Log, "REPORT RequestId:") {
					t.Errorf("logs: SDK %q (%v), driver %q", log, err, res.Log)
				}
			}
		})
	}
}

// TestOfficialSDKRejectedCredentials: the SDK sees the emulator's
// authentication errors as the codes it knows.
func TestOfficialSDKRejectedCredentials(t *testing.T) {
	r := start(t)
	tests := []struct {
		name, ak, secret, token, want string
	}{
		{"wrong secret", testAK, "wrong", "", "InvalidSignatureException"},
		{"unknown key", "AKIDNOBODY", "x", "", "UnrecognizedClientException"},
		{"expired token", "ASIAEXPIRED", "expired-secret", "old-token", "ExpiredTokenException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := lambda.New(lambda.Options{
				Region: testRegion, BaseEndpoint: awssdk.String(r.URL), RetryMaxAttempts: 1,
				Credentials: awssdk.CredentialsProviderFunc(func(context.Context) (awssdk.Credentials, error) {
					return awssdk.Credentials{AccessKeyID: tt.ak, SecretAccessKey: tt.secret, SessionToken: tt.token}, nil
				}),
			})
			_, err := client.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: awssdk.String("echo")})
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tt.want {
				t.Errorf("got %v, want %s", err, tt.want)
			}
		})
	}
}
