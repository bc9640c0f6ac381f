package watch

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/fnprobe/fnprobe/executor"
)

func TestProbeTimeout(t *testing.T) {
	for _, c := range []struct {
		header  string
		timeout time.Duration // -timeout
		want    time.Duration
		bad     bool
	}{
		{"", 0, defaultProbeTimeout, false},
		{"10", 0, 9500 * time.Millisecond, false},
		{"0.25", 0, 250 * time.Millisecond, false}, // shorter than the offset: all of it
		{"10", 3 * time.Second, 3 * time.Second, false},
		{"3600", 0, maxProbeTimeout, false},
		{"x", 0, 0, true},
		{"-1", 0, 0, true},
	} {
		p := &probeHandler{timeout: c.timeout}
		r := httptest.NewRequest("GET", "/probe?target=a", nil)
		if c.header != "" {
			r.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", c.header)
		}
		got, err := p.probeTimeout(r)
		if (err != nil) != c.bad || got != c.want {
			t.Errorf("header %q, -timeout %s: %s, %v; want %s (error: %v)", c.header, c.timeout, got, err, c.want, c.bad)
		}
	}
}

// Probes beyond MaxProbes get 503 at once; the probe's context carries
// the timeout.
func TestProbeLimitAndDeadline(t *testing.T) {
	var deadline time.Duration
	suite := &Suite{Name: "s", Probe: func(ctx context.Context, targets, tags []string, obs executor.Observer) (*executor.Summary, hcl.Diagnostics, error) {
		d, _ := ctx.Deadline()
		deadline = time.Until(d)
		return &executor.Summary{ExitCode: executor.ExitOK}, nil, nil
	}}
	p := &probeHandler{
		suite: func() *Suite { return suite },
		sem:   make(chan struct{}, MaxProbes),
		log:   slog.New(slog.DiscardHandler),
	}
	for range MaxProbes {
		p.sem <- struct{}{}
	}
	w := httptest.NewRecorder()
	p.ServeHTTP(w, httptest.NewRequest("GET", "/probe?target=a", nil))
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("probe beyond the limit: %d, want 503", w.Code)
	}
	<-p.sem
	w = httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/probe?tag=smoke", nil)
	r.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "5")
	p.ServeHTTP(w, r)
	if w.Code != 200 || deadline <= 0 || deadline > 4500*time.Millisecond {
		t.Errorf("probe: %d, deadline in %s (want ≤ 4.5s)\n%s", w.Code, deadline, w.Body)
	}
}

func TestIsLoopback(t *testing.T) {
	for _, c := range []struct {
		ip   string
		want bool
	}{
		{"127.0.0.1", true}, {"::1", true}, {"0.0.0.0", false}, {"::", false}, {"192.0.2.1", false},
	} {
		if got := IsLoopback(&net.TCPAddr{IP: net.ParseIP(c.ip), Port: 9465}); got != c.want {
			t.Errorf("IsLoopback(%s) = %v, want %v", c.ip, got, c.want)
		}
	}
}
