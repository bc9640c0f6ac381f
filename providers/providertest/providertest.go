// Package providertest holds the checks that every driver's tests make of a
// providers.Result: an API error, a successful answer, a transport error.
// Only tests import it.
package providertest

import (
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/providers"
)

// Check inspects the outcome of one Invoke.
type Check func(t *testing.T, res *providers.Result, err error, took time.Duration)

// APIError wants an answer from the invoke API itself (not the function):
// the status and code given, a message, a request id, and no function error.
func APIError(status int, code string) Check {
	return func(t *testing.T, res *providers.Result, err error, _ time.Duration) {
		t.Helper()
		if err != nil {
			t.Fatalf("Invoke error: %v", err)
		}
		if res.Status != status || res.ErrorCode != code || res.ErrorMessage == "" {
			t.Errorf("got status %d code %q message %q, want %d %q", res.Status, res.ErrorCode, res.ErrorMessage, status, code)
		}
		if res.RequestID == "" {
			t.Errorf("no request id on an API error")
		}
		if res.Error {
			t.Errorf("API error reported as a function error")
		}
	}
}

// OK wants HTTP 200 with exactly body, no error of any kind and a request
// id; more adds a driver's own expectations.
func OK(body string, more ...func(*testing.T, *providers.Result)) Check {
	return func(t *testing.T, res *providers.Result, err error, _ time.Duration) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != 200 || string(res.Body) != body || res.Error || res.ErrorCode != "" || res.RequestID == "" {
			t.Errorf("result %+v (body %q)", res, res.Body)
		}
		for _, m := range more {
			m(t, res)
		}
	}
}

// TransportError wants Invoke to fail with an error that mentions substr and
// never contains secret.
func TransportError(substr, secret string) Check {
	return func(t *testing.T, res *providers.Result, err error, _ time.Duration) {
		t.Helper()
		if err == nil {
			t.Fatalf("no error; result %+v", res)
		}
		if !strings.Contains(err.Error(), substr) {
			t.Errorf("error %q does not mention %q", err, substr)
		}
		if secret != "" && strings.Contains(err.Error(), secret) {
			t.Errorf("error leaks the secret: %v", err)
		}
	}
}

// CheckSplit reports a version executed that has no weight in want, or a
// version whose count is more than 5 standard deviations of a binomial(n,
// p) away from n·p: a weighted alias's split, checked so that chance fails
// it about once in ten million.
func CheckSplit(counts map[string]int, n int, want map[string]float64) error {
	for v, c := range counts {
		if _, ok := want[v]; !ok {
			return fmt.Errorf("version %q executed %d times, want only %v (counts %v)", v, c, want, counts)
		}
	}
	for v, p := range want {
		mean := float64(n) * p
		bound := 5 * math.Sqrt(float64(n)*p*(1-p))
		if got := float64(counts[v]); math.Abs(got-mean) > bound {
			return fmt.Errorf("version %q executed %v times of %d, want %v ± %.1f (counts %v)", v, got, n, mean, bound, counts)
		}
	}
	return nil
}

// Secrets records what a driver hands to providers.Request.Secrets, for
// the tests that check a credential chain registers what it finds. It is
// safe for concurrent use.
type Secrets struct {
	mu  sync.Mutex
	got []string
}

// Add implements providers.SecretSink.
func (s *Secrets) Add(v ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, v...)
}

// All returns what was added, in order.
func (s *Secrets) All() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.got...)
}

// Has reports whether v was added.
func (s *Secrets) Has(v string) bool {
	return s.HasFunc(func(g string) bool { return g == v })
}

// HasFunc reports whether a secret satisfying match was added.
func (s *Secrets) HasFunc(match func(string) bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.got {
		if match(g) {
			return true
		}
	}
	return false
}
