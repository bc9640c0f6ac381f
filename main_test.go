package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestInterrupt runs the real binary, presses Ctrl-C (SIGINT) while an
// invocation is in flight, and checks the contract: in-flight calls are
// cancelled, the rest skipped, every report still written, exit 130.
func TestInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "fnprobe")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	suite := filepath.Join(dir, "suite")
	if err := os.Mkdir(suite, 0o755); err != nil {
		t.Fatal(err)
	}
	src := `
function "slow" {
  provider = provider.local
  command  = ["sh", "-c", "echo started >&2; sleep 30"]
}
invocation "inflight" {
  function = function.slow
  timeout  = "60s"
}
invocation "later" {
  function   = function.slow
  depends_on = [invocation.inflight]
}
`
	if err := os.WriteFile(filepath.Join(suite, "main.probe.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	junit := filepath.Join(dir, "junit.xml")
	cmd := exec.Command(bin, "run", "-no-color", "-junit", junit, suite)
	var stdout, stderr lockedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stdoutString(&stdout), "invoking") {
		if time.Now().After(deadline) {
			t.Fatalf("the invocation never started:\n%s", stdoutString(&stdout))
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 {
		t.Fatalf("exit: %v, want 130\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("took %s to stop after Ctrl-C", el)
	}
	out := stdout.String()
	for _, want := range []string{
		"invocation.inflight: error: run interrupted while invoking",
		"invocation.later: skip: dependency invocation.inflight did not pass",
		"Interrupted!",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	b, err := os.ReadFile(junit)
	if err != nil {
		t.Fatalf("no JUnit report after Ctrl-C: %v", err)
	}
	var suites struct {
		Tests  int `xml:"tests,attr"`
		Errors int `xml:"errors,attr"`
	}
	if err := xml.Unmarshal(b, &suites); err != nil || suites.Tests != 2 || suites.Errors != 1 {
		t.Errorf("JUnit report %+v (%v):\n%s", suites, err, b)
	}
}

func stdoutString(b *lockedBuffer) string { return b.String() }

// lockedBuffer is a bytes.Buffer safe to read while exec writes to it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
