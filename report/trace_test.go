package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/fnprobe/fnprobe/executor"
	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/providers/wire"
	"github.com/fnprobe/fnprobe/spec"
)

// traceSecret has characters that every encoding changes.
const traceSecret = `p@ss "w/rd"&=?#%+ ü\n<x>`

// secretForms lists encodings in which traceSecret, or a long piece of it,
// could leak.
func secretForms() []string {
	q := strconv.Quote(traceSecret)
	j, _ := json.Marshal(traceSecret)
	forms := []string{
		traceSecret, q[1 : len(q)-1], string(j[1 : len(j)-1]),
		url.QueryEscape(traceSecret), url.PathEscape(traceSecret),
		traceSecret[:8], url.QueryEscape(traceSecret)[:10],
	}
	return forms
}

// tracedExchange sends a real request through wire's client with a Tracer
// in the context, the secret in the query, a plain header, Authorization,
// and a body longer than the preview that holds the secret across the cut;
// the server answers with the secret in a cookie and in its body.
func tracedExchange(t *testing.T) []providers.Exchange {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Set-Cookie", "session="+url.QueryEscape(traceSecret))
		w.Header().Set("X-Echo", r.URL.Query().Get("q"))
		w.Header().Set("Content-Type", "application/json")
		b, _ := json.Marshal(map[string]string{"token": traceSecret})
		w.Write(append(b, "\n"+hostileText...))
	}))
	defer srv.Close()
	client := wire.NewClient(wire.Pool{PerHost: 1})
	defer client.Close()

	// The secret starts 8 bytes before the preview's end.
	body := strings.Repeat("a", providers.TracePreview-8) + traceSecret + strings.Repeat("b", 100)
	tr := &providers.Tracer{}
	ctx := providers.WithTracer(context.Background(), tr)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/x?q="+url.QueryEscape(traceSecret)+"&X-Amz-Signature=abcdef0123&page=2", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer abc.def.ghi")
	req.Header.Set("X-Amz-Security-Token", "tok-123456")
	req.Header.Set("X-Custom", "v="+traceSecret)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	ex := tr.Exchanges()
	if len(ex) != 1 || ex[0].Response == nil {
		t.Fatalf("trace: %+v", ex)
	}
	return ex
}

func TestTraceMasksAndRedacts(t *testing.T) {
	ex := tracedExchange(t)
	red := &spec.Redactor{}
	red.Add(traceSecret)
	opts := Options{Redactor: red}
	ev := executor.Event{Type: executor.EventAttempt, Invocation: &executor.InvocationInfo{Addr: "invocation.x"},
		Attempt: &executor.AttemptInfo{Number: 1, HTTPStatus: 200, Trace: ex}}

	var human, js bytes.Buffer
	NewTrace(&human, opts).Event(ev)
	j := NewJSON(&js, opts)
	j.Event(ev)
	for name, out := range map[string]string{"human": human.String(), "json": js.String()} {
		for _, f := range secretForms() {
			if strings.Contains(out, f) {
				t.Errorf("%s trace holds the secret as %q:\n%s", name, f, out)
			}
		}
		for _, leak := range []string{"abc.def.ghi", "tok-123456", "abcdef0123"} {
			if strings.Contains(out, leak) {
				t.Errorf("%s trace holds the credential %q:\n%s", name, leak, out)
			}
		}
		for _, want := range []string{"(masked)", "(sensitive)", "page=2"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s trace lacks %q:\n%s", name, want, out)
			}
		}
	}
	h := human.String()
	for _, want := range []string{
		"> Authorization: (masked)\n", "> X-Amz-Security-Token: (masked)\n", "< Set-Cookie: (masked)\n",
		"> X-Custom: v=(sensitive)\n", "< HTTP 200\n", fmt.Sprintf("(%d bytes in all)", providers.TracePreview+len(traceSecret)+92),
	} {
		if !strings.Contains(h, want) {
			t.Errorf("human trace lacks %q:\n%s", want, h)
		}
	}
	assertTerminalSafe(t, "trace", h)
}

func TestPreviewText(t *testing.T) {
	for _, tc := range []struct {
		body string
		size int64
		want string
	}{
		{"abc", 3, "abc"},
		{"abc", 10, "abc…"},
		{"ab\xc3", 10, "ab…"}, // the cut split ü
		{"ab\xe7\xa7", 10, "ab…"},
		{"abü", 10, "abü…"},
		{"", -1, "…"},
	} {
		if got := PreviewText(providers.Message{Body: []byte(tc.body), Size: tc.size}); got != tc.want {
			t.Errorf("PreviewText(%q, %d) = %q, want %q", tc.body, tc.size, got, tc.want)
		}
	}
}
