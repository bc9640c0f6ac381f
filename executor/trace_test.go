package executor_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/executor"
	"github.com/fnprobe/fnprobe/providers"
)

// TestTraceEachAttempt checks that with Options.Trace every attempt event
// carries the exchanges of its own attempt only, and that without it the
// driver sees no Tracer.
func TestTraceEachAttempt(t *testing.T) {
	var n atomic.Int32
	var sawTracer atomic.Bool
	drv := &testDriver{funcs: map[string]func(context.Context, *providers.Request) (*providers.Result, error){
		"counter": func(ctx context.Context, req *providers.Request) (*providers.Result, error) {
			tr := providers.TracerFrom(ctx)
			if tr != nil {
				sawTracer.Store(true)
			}
			c := n.Add(1)
			id := tr.Request(providers.Message{Method: req.Method, URL: "https://api/x/" + req.Path, Headers: []providers.Header{{Name: "X-Amz-Security-Token", Value: "t0k3n"}}})
			body := fmt.Sprintf(`{"count":%d}`, c)
			tr.Response(id, providers.Message{Status: 200, Body: []byte(body), Size: int64(len(body))})
			return ok(body)
		},
	}}
	src := fn("counter") + `
invocation "poll" {
  function = function.counter
  retry {
    attempts = 5
    backoff  = "1ms"
    until    = self.json.count >= 2
  }
}
`
	_, rec := run(t, context.Background(), plan(t, drv, src), executor.Options{Trace: true, Sleep: func(context.Context, time.Duration) error { return nil }})
	atts := rec.attempts("invocation.poll")
	if len(atts) != 2 {
		t.Fatalf("%d attempts", len(atts))
	}
	for i, a := range atts {
		if len(a.Trace) != 1 {
			t.Fatalf("attempt %d: trace %+v", i+1, a.Trace)
		}
		x := a.Trace[0]
		if want := fmt.Sprintf(`{"count":%d}`, i+1); x.Response == nil || string(x.Response.Body) != want {
			t.Errorf("attempt %d: response %+v, want body %s", i+1, x.Response, want)
		}
		if x.Request.Headers[0].Value != providers.Masked {
			t.Errorf("attempt %d: token not masked: %+v", i+1, x.Request.Headers)
		}
	}

	sawTracer.Store(false)
	n.Store(0)
	_, rec = run(t, context.Background(), plan(t, drv, src), executor.Options{Sleep: func(context.Context, time.Duration) error { return nil }})
	if sawTracer.Load() {
		t.Error("a Tracer without Options.Trace")
	}
	for _, a := range rec.attempts("invocation.poll") {
		if a.Trace != nil {
			t.Errorf("a trace without Options.Trace: %+v", a.Trace)
		}
	}
}
