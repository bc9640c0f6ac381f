package aws_test

import (
	"context"
	"strings"
	"testing"

	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/providers/aws"
)

// TestTraceMasksSignature invokes the emulator with a Tracer, as run
// -verbose does, and checks that the trace shows the signed request with
// its signature and session token masked.
func TestTraceMasksSignature(t *testing.T) {
	em := start(t)
	d := aws.New()
	defer d.Close()
	tr := &providers.Tracer{}
	ctx := providers.WithTracer(context.Background(), tr)
	res, err := d.Invoke(ctx, &providers.Request{
		Provider: providerVal(em.URL, map[string]string{"access_key": "ASIASESSION", "secret_key": "session-secret", "session_token": "session-token"}),
		Function: functionVal("echo", "prod"), Payload: []byte(`{"a":1}`), Type: providers.TypeSync,
	})
	if err != nil {
		t.Fatal(err)
	}
	res.Free()
	ex := tr.Exchanges()
	if len(ex) != 1 || ex[0].Response == nil {
		t.Fatalf("trace: %+v", ex)
	}
	req := ex[0].Request
	if req.Method != "POST" || !strings.Contains(req.URL, "/2015-03-31/functions/echo/invocations?Qualifier=prod") || string(req.Body) != `{"a":1}` {
		t.Errorf("request: %+v", req)
	}
	seen := map[string]string{}
	for _, h := range append(req.Headers, ex[0].Response.Headers...) {
		seen[strings.ToLower(h.Name)] = h.Value
	}
	for _, name := range []string{"authorization", "x-amz-security-token"} {
		if seen[name] != providers.Masked {
			t.Errorf("%s = %q, want it masked", name, seen[name])
		}
	}
	if seen["x-amz-date"] == "" || seen["x-amz-date"] == providers.Masked {
		t.Errorf("x-amz-date = %q, want it shown", seen["x-amz-date"])
	}
	all := strings.Join([]string{req.URL, string(req.Body)}, " ")
	for _, h := range append(req.Headers, ex[0].Response.Headers...) {
		all += " " + h.Value
	}
	for _, secret := range []string{"session-secret", "session-token"} {
		if strings.Contains(all, secret) {
			t.Errorf("the trace holds %q", secret)
		}
	}
	if ex[0].Response.Status != 200 || !strings.Contains(string(ex[0].Response.Body), `{"a":1}`) {
		t.Errorf("response: %+v", ex[0].Response)
	}
}

// TestLogTailNeverInBase64 asks for the log tail of a call whose log holds
// what could be a secret (the function "fail" logs its message, "boom"):
// the result's log has it in clear text, where the redactor finds it, but neither the result's headers nor
// the trace carry X-Amz-Log-Result, its base64 that no redactor sees.
func TestLogTailNeverInBase64(t *testing.T) {
	em := start(t)
	d := aws.New()
	defer d.Close()
	tr := &providers.Tracer{}
	ctx := providers.WithTracer(context.Background(), tr)
	res, err := d.Invoke(ctx, &providers.Request{
		Provider: providerVal(em.URL, map[string]string{"access_key": "ASIASESSION", "secret_key": "session-secret", "session_token": "session-token"}),
		Function: functionVal("fail", ""), Payload: []byte(`{}`), Type: providers.TypeSync, Logs: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Free()
	if !strings.Contains(res.Log, "boom") {
		t.Fatalf("the log tail should hold the function's message: %q", res.Log)
	}
	if got := res.Headers["x-amz-log-result"]; got != providers.EncodedLogNote {
		t.Errorf("result header x-amz-log-result = %q, want %q", got, providers.EncodedLogNote)
	}
	ex := tr.Exchanges()
	if len(ex) != 1 || ex[0].Response == nil {
		t.Fatalf("trace: %+v", ex)
	}
	found := false
	for _, h := range ex[0].Response.Headers {
		if strings.EqualFold(h.Name, "X-Amz-Log-Result") {
			found = true
			if h.Value != providers.EncodedLogNote {
				t.Errorf("traced X-Amz-Log-Result = %q, want %q", h.Value, providers.EncodedLogNote)
			}
		}
	}
	if !found {
		t.Error("the trace should show that X-Amz-Log-Result came")
	}
}
