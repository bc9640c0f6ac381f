package emulator

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/emulator/sim"
)

// budgetServer starts the demo config plus "hold", a function that sleeps
// until its caller goes away, with a body budget of 1 MiB.
func budgetServer(t *testing.T, limits Limits) (*Running, *Server) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Functions = append(cfg.Functions, sim.FunctionSpec{Name: "hold", Behavior: sim.Sleep, Sleep: time.Hour})
	limits.BodyBudget = 1 << 20
	r, err := StartWith(*cfg, Options{Limits: limits})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r, r.srv.Handler.(*Server)
}

type answer struct {
	status int
	body   string
	err    error
}

// post sends a JSON body of n bytes (a string) to a CloudBase function
// with the demo token.
func post(ctx context.Context, base, function string, n int) answer {
	body := append(append([]byte{'"'}, bytes.Repeat([]byte("a"), n-2)...), '"')
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/functions/"+function, bytes.NewReader(body))
	if err != nil {
		return answer{err: err}
	}
	req.Header.Set("Authorization", "Bearer "+demoToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, body: string(b)}
}

// short is a for error messages: its status and the start of its body.
func (a answer) short() string {
	b := a.body
	if len(b) > 200 {
		b = b[:200] + "..."
	}
	return fmt.Sprintf("%d %q (%d bytes) %v", a.status, b, len(a.body), a.err)
}

// TestBodyBudget: bodies held at once share one byte budget. With 1 MiB,
// a request whose 700 KB body is held by a running function makes a
// second 700 KB request wait, without an answer, until the first ends;
// a body larger than the whole budget is answered as too large at once.
// Without the budget the second request is answered at once and the test
// fails.
func TestBodyBudget(t *testing.T) {
	r, s := budgetServer(t, Limits{})
	const n = 700 << 10

	ctxA, cancelA := context.WithCancel(context.Background())
	defer cancelA()
	aDone := make(chan answer, 1)
	go func() { aDone <- post(ctxA, r.URL, "hold", n) }()
	waitFor(t, func() bool { _, held, _ := s.BodyBudget(); return held == n }, "reservation of the held body")

	if a := post(context.Background(), r.URL, "echo", 2<<20); a.status != 413 || !strings.Contains(a.body, "EXCEED_REQUEST_SIZE_LIMIT") {
		t.Errorf("a body over the whole budget: %s", a.short())
	}

	bDone := make(chan answer, 1)
	go func() { bDone <- post(context.Background(), r.URL, "echo", n) }()
	for deadline := time.Now().Add(guard); ; time.Sleep(5 * time.Millisecond) {
		select {
		case b := <-bDone:
			t.Fatalf("answered while the budget was held: %s", b.short())
		default:
		}
		if _, _, waiting := s.BodyBudget(); waiting == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the second request never waited")
		}
	}

	cancelA() // the caller goes away: the function ends, its body is released
	if a := <-aDone; a.err == nil {
		t.Errorf("the held request was answered: %d", a.status)
	}
	b := <-bDone
	if b.status != 200 || len(b.body) != n {
		t.Errorf("after the release: %s", b.short())
	}
	waitFor(t, func() bool { _, held, waiting := s.BodyBudget(); return held == 0 && waiting == 0 }, "an empty budget")
}

// TestBodyBudgetWaitEndsAtTheReadDeadline: a request that cannot reserve
// before its body read deadline is answered as a body that could not be
// read, and reserves nothing.
func TestBodyBudgetWaitEndsAtTheReadDeadline(t *testing.T) {
	r, s := budgetServer(t, Limits{BodyReadTimeout: 3 * time.Second}) // room for the held body to be read on a loaded machine
	const n = 700 << 10
	ctxA, cancelA := context.WithCancel(context.Background())
	defer cancelA()
	go post(ctxA, r.URL, "hold", n)
	waitFor(t, func() bool { _, held, _ := s.BodyBudget(); return held == n }, "reservation of the held body")

	b := post(context.Background(), r.URL, "echo", n)
	if b.status != 400 || !strings.Contains(b.body, "FUNCTION_PARAM_INVALID") || !strings.Contains(b.body, "body budget") {
		t.Errorf("while the budget was held: %s", b.short())
	}
	if _, held, waiting := s.BodyBudget(); held != n || waiting != 0 {
		t.Errorf("held %d waiting %d, want %d and 0", held, waiting, n)
	}
}
