package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/cli"
)

// syncBuffer is a bytes.Buffer safe to read while a run writes it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Off a terminal, a run of more than 20 invocations prints a progress line
// on each tick of the injected ticker, instead of a line per event. The
// first invocation waits for a file the test creates once it has seen a
// progress line; nothing depends on timing.
func TestProgressTicksOffTerminal(t *testing.T) {
	dir := t.TempDir()
	release := filepath.Join(dir, "release")
	src := `function "wait" {
  provider = provider.local
  command  = ["sh", "-c", "while [ ! -e ` + release + ` ]; do sleep 0.01; done; cat"]
}

invocation "n" {
  for_each = toset([for i in range(21) : format("k%02d", i)])
  function = function.wait
  payload  = each.key
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.probe.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	ticks := make(chan time.Time)
	stopped := make(chan struct{})
	var stdout, stderr syncBuffer
	done := make(chan int)
	go func() {
		done <- cli.Main(context.Background(), []string{"run", "-parallelism", "1", dir}, cli.Env{
			Stdout: &stdout, Stderr: &stderr,
			Getenv:   func(string) string { return "" },
			Registry: cli.NewRegistry(),
			NewTicker: func(d time.Duration) (<-chan time.Time, func()) {
				if d != 10*time.Second {
					t.Errorf("ticker every %s, want 10s", d)
				}
				return ticks, func() { close(stopped) }
			},
		})
	}()
	// Tick until a progress line appears (ticks before the run starts
	// print nothing), then let the invocations finish.
	for !strings.Contains(stdout.String(), "Still running") {
		select {
		case ticks <- time.Time{}:
		case code := <-done:
			t.Fatalf("exit %d before any progress line:\n%s%s", code, stdout.String(), stderr.String())
		}
	}
	if err := os.WriteFile(release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if code := <-done; code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, stdout.String(), stderr.String())
	}
	<-stopped
	out := stdout.String()
	line := regexp.MustCompile(`^Still running\.\.\. \[\S+ elapsed\] 0/21 done: 0 passed, 0 failed, 0 errored; [01] running$`)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := lines[len(lines)-1]
	if last != "Success! 21 passed, 0 failed, 0 errored, 0 skipped." {
		t.Errorf("last line %q, want the summary", last)
	}
	for _, l := range lines[:len(lines)-1] {
		if l != "" && !line.MatchString(l) {
			t.Errorf("unexpected line %q: a large run prints no line per event", l)
		}
	}
}

// On a terminal, a run of more than 20 invocations shows one live line,
// redrawn with \r, ending with every instance counted and cleared before
// the summary; no line per event.
func TestProgressLiveOnTerminal(t *testing.T) {
	dir := t.TempDir()
	src := `function "echo" {
  provider = provider.local
  command  = ["cat"]
}

invocation "n" {
  for_each = toset([for i in range(21) : format("k%02d", i)])
  function = function.echo
  payload  = each.key
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.probe.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, term := range []string{"xterm", "dumb"} {
		t.Run(term, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := cli.Main(context.Background(), []string{"run", dir}, cli.Env{
				Stdout: &stdout, Stderr: &stderr, IsTerminal: true,
				Getenv:   func(k string) string { return map[string]string{"NO_COLOR": "1", "TERM": term}[k] },
				Registry: cli.NewRegistry(),
			})
			if code != 0 {
				t.Fatalf("exit %d:\n%s%s", code, stdout.String(), stderr.String())
			}
			out := stdout.String()
			if term == "dumb" {
				// TERM=dumb: no cursor control, so no live line.
				if out != "\nSuccess! 21 passed, 0 failed, 0 errored, 0 skipped.\n" {
					t.Errorf("got %q", out)
				}
				return
			}
			want := "\r[21/21] 21 passed, 0 failed, 0 errored · 0 running\x1b[K\r\x1b[K\nSuccess! 21 passed, 0 failed, 0 errored, 0 skipped.\n"
			if !strings.HasPrefix(out, "\r[ 0/21] 0 passed") || !strings.HasSuffix(out, want) {
				t.Errorf("got %q, want a live line ending in %q", out, want)
			}
			if strings.Contains(out, "invocation.") {
				t.Errorf("a line per event in %q", out)
			}
		})
	}
}
