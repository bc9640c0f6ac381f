package providers

import (
	"context"
	"errors"
	"testing"
)

func TestSecretName(t *testing.T) {
	for name, want := range map[string]bool{
		"Authorization": true, "proxy-authorization": true, "Cookie": true, "Set-Cookie": true,
		"X-Amz-Security-Token": true, "X-Fc-Security-Token": true, "X-Auth-Token": true, "X-Api-Key": true,
		"X-Amz-Signature": true, "x-acs-signature": true, "Signature": true, "access_token": true, "sig": true,
		"Content-Type": false, "X-Amz-Date": false, "X-Sdk-Date": false, "Host": false, "X-Request-Id": false, "page": false,
	} {
		if got := SecretName(name); got != want {
			t.Errorf("SecretName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestMaskURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://api/x?page=2":                               "https://api/x?page=2",
		"https://api/x?X-Amz-Signature=abc&page=2&token=t0k": "https://api/x?X-Amz-Signature=(masked)&page=2&token=(masked)",
		"https://user:pa55@api/x":                            "https://user:%28masked%29@api/x",
		"https://api/x?sig":                                  "https://api/x?sig",
		"not a url %zz":                                      "not a url %zz",
	} {
		if got := MaskURL(in); got != want {
			t.Errorf("MaskURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTracer(t *testing.T) {
	var nilTracer *Tracer
	if id := nilTracer.Request(Message{}); id != -1 || nilTracer.Exchanges() != nil {
		t.Error("a nil Tracer records")
	}
	if TracerFrom(context.Background()) != nil {
		t.Error("a Tracer from nowhere")
	}
	tr := &Tracer{}
	ctx := WithTracer(context.Background(), tr)
	if TracerFrom(ctx) != tr {
		t.Fatal("TracerFrom lost the Tracer")
	}
	a := tr.Request(Message{Method: "POST", URL: "https://api/x?token=abc", Headers: []Header{{"Authorization", "Bearer x"}, {"Accept", "*/*"}}})
	b := tr.Request(Message{Method: "GET", URL: "https://api/y"})
	tr.Response(a, Message{Status: 200, Headers: []Header{{"Set-Cookie", "s=1"}}, Size: 2000})
	tr.ResponseBody(a, make([]byte, 700))
	tr.ResponseBody(a, make([]byte, 700))
	tr.Fail(b, errors.New("refused"))
	ex := tr.Exchanges()
	if len(ex) != 2 {
		t.Fatalf("%d exchanges", len(ex))
	}
	r := ex[0].Request
	if r.URL != "https://api/x?token=(masked)" || r.Headers[0].Value != Masked || r.Headers[1].Value != "*/*" {
		t.Errorf("request not masked: %+v", r)
	}
	if resp := ex[0].Response; resp == nil || resp.Headers[0].Value != Masked || len(resp.Body) != TracePreview || !resp.Truncated() {
		t.Errorf("response: %+v", resp)
	}
	if ex[1].Response != nil || ex[1].Err != "refused" {
		t.Errorf("failed exchange: %+v", ex[1])
	}
}

func TestEncodedLogHeadersNotTraced(t *testing.T) {
	tr := &Tracer{}
	id := tr.Request(Message{Method: "POST", URL: "http://x/"})
	tr.Response(id, Message{Status: 200, Headers: []Header{
		{Name: "X-Fc-Log-Result", Value: "c2VjcmV0"},
		{Name: "x-cff-function-log", Value: "c2VjcmV0"},
		{Name: "X-Amz-Log-Result", Value: "c2VjcmV0"},
		{Name: "X-Fc-Request-Id", Value: "r1"},
	}})
	for _, h := range tr.Exchanges()[0].Response.Headers {
		want := EncodedLogNote
		if h.Name == "X-Fc-Request-Id" {
			want = "r1"
		}
		if h.Value != want {
			t.Errorf("%s = %q, want %q", h.Name, h.Value, want)
		}
	}
}

// TestEncodedLog: the three log-tail headers, in any case, and nothing else.
func TestEncodedLog(t *testing.T) {
	for name, want := range map[string]bool{
		"X-Amz-Log-Result": true, "x-fc-log-result": true, "X-CFF-FUNCTION-LOG": true, "X-Fc-Log-Result": true,
		"Content-Type": false, "x-amz-log-results": false, "x-amz-log-resul": false, "": false, "X-Fc-Request-Id": false,
	} {
		if got := EncodedLog(name); got != want {
			t.Errorf("EncodedLog(%q) = %v, want %v", name, got, want)
		}
	}
}
