package providertest

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// RunChild runs the test named test of this test binary alone in a child
// process, with this process's environment less the variables named in
// drop, plus env ("NAME=value"). It returns the child's output, and an
// error unless the test ran and passed (a skip is an error). Tests use it
// for what a process reads once: net/http reads the proxy variables at
// its first request.
func RunChild(t *testing.T, test string, env []string, drop ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^"+test+"$", "-test.v", "-test.count=1")
	dropped := map[string]bool{}
	for _, k := range drop {
		dropped[k] = true
	}
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !dropped[k] {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	if err == nil && !strings.Contains(string(out), "--- PASS: "+test) {
		err = fmt.Errorf("%s did not pass", test)
	}
	return string(out), err
}

// RequireProxied stops the test unless net/http's default transport sends
// a request for target through the proxy at proxyURL: the guard of the
// tests that let a cloud's library reach a hard-coded metadata address,
// so that nothing leaves loopback.
func RequireProxied(t *testing.T, target, proxyURL string) {
	t.Helper()
	want, err := url.Parse(proxyURL)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr, ok := http.DefaultTransport.(*http.Transport)
	if !ok || tr.Proxy == nil {
		t.Fatalf("http.DefaultTransport is %T without a proxy function: %s would be reached directly", http.DefaultTransport, target)
	}
	if got, err := tr.Proxy(req); err != nil || got == nil || got.Host != want.Host {
		t.Fatalf("requests to %s go through %v (%v), not %s: they would leave loopback", target, got, err, proxyURL)
	}
}
