package cli_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/cli"
)

// fullWriter accepts limit bytes, then fails like a full disk; a partial
// write is cut mid-line.
type fullWriter struct {
	mu    sync.Mutex
	limit int
	buf   bytes.Buffer
}

func (w *fullWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	room := w.limit - w.buf.Len()
	if room >= len(p) {
		return w.buf.Write(p)
	}
	w.buf.Write(p[:max(room, 0)])
	return max(room, 0), syscall.ENOSPC
}

// failOn fails the first write that contains s, and every write after it.
type failOn struct {
	s      string
	failed bool
}

func (w *failOn) Write(p []byte) (int, error) {
	if w.failed || bytes.Contains(p, []byte(w.s)) {
		w.failed = true
		return 0, syscall.ENOSPC
	}
	return len(p), nil
}

// brokenWriter fails every write like a pipe nobody reads.
type brokenWriter struct{}

func (brokenWriter) Write([]byte) (int, error) { return 0, syscall.EPIPE }

// Outputs cannot fail silently: a write error on standard output (a closed
// pipe, a full disk) makes the command exit non-zero with the error on
// standard error, cancels the run, and still writes the JUnit report.
func TestOutputErrors(t *testing.T) {
	const suite = `
function "ok" {
  provider = provider.local
  command  = ["sh", "-c", "echo ok"]
}
function "slow" {
  provider = provider.local
  command  = ["sleep", "300"]
}
invocation "quick" {
  function = function.ok
}
invocation "slow" {
  function = function.slow
  timeout  = "10m"
}
`
	const failing = `
function "no" {
  provider = provider.local
  command  = ["sh", "-c", "echo no"]
}
invocation "fails" {
  function = function.no
  expect { body = "yes" }
}
`
	devFull := func(t *testing.T) *os.File {
		if runtime.GOOS != "linux" {
			t.Skip("needs /dev/full")
		}
		f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
		if err != nil {
			t.Skip(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	tests := []struct {
		name       string
		args       []string // before the suite directory
		src        string
		stdout     func(t *testing.T) io.Writer
		stderr     func(t *testing.T) io.Writer
		want       int
		wantStderr string
		junitTests int // > 0: the JUnit report must hold this many cases
	}{
		{
			name: "run -json to /dev/full", args: []string{"run", "-json"}, src: suite,
			stdout: func(t *testing.T) io.Writer { return devFull(t) },
			want:   3, wantStderr: "fnprobe: writing to standard output: write /dev/full: no space left on device",
			junitTests: 2,
		},
		{
			name: "run to a closed pipe", args: []string{"run"}, src: suite,
			stdout: func(*testing.T) io.Writer { return brokenWriter{} },
			want:   3, wantStderr: "fnprobe: writing to standard output: broken pipe",
			junitTests: 2,
		},
		{
			name: "run -json to a disk that fills up mid-line", args: []string{"run", "-json"}, src: suite,
			stdout: func(*testing.T) io.Writer { return &fullWriter{limit: 150} },
			want:   3, wantStderr: "no space left on device",
			junitTests: 2,
		},
		{
			name: "a failed check still wins (1 beats 3)", args: []string{"run", "-json"}, src: failing,
			stdout: func(*testing.T) io.Writer { return &failOn{s: `"type":"summary"`} },
			want:   1, wantStderr: "no space left on device",
			junitTests: 1,
		},
		{
			name: "stdout and stderr both broken", args: []string{"run"}, src: suite,
			stdout: func(*testing.T) io.Writer { return brokenWriter{} },
			stderr: func(*testing.T) io.Writer { return brokenWriter{} },
			want:   3, junitTests: 2,
		},
		{
			name: "validate to /dev/full", args: []string{"validate"}, src: suite,
			stdout: func(t *testing.T) io.Writer { return devFull(t) },
			want:   3, wantStderr: "no space left on device",
		},
		{
			name: "plan -json to a closed pipe", args: []string{"plan", "-json"}, src: suite,
			stdout: func(*testing.T) io.Writer { return brokenWriter{} },
			want:   3, wantStderr: "broken pipe",
		},
		{
			name: "graph to a closed pipe", args: []string{"graph"}, src: suite,
			stdout: func(*testing.T) io.Writer { return brokenWriter{} },
			want:   3, wantStderr: "broken pipe",
		},
		{
			name: "an invalid suite stays 2", args: []string{"validate", "-json"}, src: `invocation "x" {}`,
			stdout: func(*testing.T) io.Writer { return brokenWriter{} },
			want:   2, wantStderr: "broken pipe",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "main.probe.hcl"), []byte(tt.src), 0o644); err != nil {
				t.Fatal(err)
			}
			args := append([]string{}, tt.args...)
			junit := filepath.Join(dir, "junit.xml")
			if tt.junitTests > 0 {
				args = append(args, "-junit", junit)
			}
			args = append(args, "-no-color", dir)
			var stderr bytes.Buffer
			env := cli.Env{Stderr: &stderr, Getenv: func(string) string { return "" }, Registry: cli.NewRegistry()}
			env.Stdout = tt.stdout(t)
			if tt.stderr != nil {
				env.Stderr = tt.stderr(t)
			}
			// The slow invocation sleeps 300s: only the cancellation ends it.
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			code := cli.Main(ctx, args, env)
			if ctx.Err() != nil {
				t.Fatalf("the run was not cancelled when its output failed")
			}
			if code != tt.want {
				t.Errorf("exit %d, want %d\nstderr:\n%s", code, tt.want, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantStderr, stderr.String())
			}
			if tt.junitTests == 0 {
				return
			}
			b, err := os.ReadFile(junit)
			var doc struct {
				Tests int `xml:"tests,attr"`
			}
			if err != nil || xml.Unmarshal(b, &doc) != nil || doc.Tests != tt.junitTests {
				t.Errorf("JUnit report (%v), want %d test cases:\n%s", err, tt.junitTests, b)
			}
		})
	}
}

// The -junit path is checked before anything is invoked: missing parent
// directories are created, and a path that cannot be written is a
// command-line error (exit 2) with nothing invoked.
func TestJUnitPathCheckedFirst(t *testing.T) {
	tests := []struct {
		name       string
		path       func(dir string) string
		json       bool
		want       int
		wantStderr string
		wantStdout string
	}{
		{
			name: "missing nested directories are created",
			path: func(dir string) string { return filepath.Join(dir, "reports", "a", "b", "junit.xml") },
			want: 0,
		},
		{
			name:       "a directory",
			path:       func(dir string) string { return dir },
			want:       2,
			wantStderr: "is a directory",
		},
		{
			name: "under a regular file",
			path: func(dir string) string {
				return filepath.Join(dir, "main.probe.hcl", "junit.xml")
			},
			want:       2,
			wantStderr: "Error: Cannot write the JUnit report",
		},
		{
			name:       "a directory, with -json: a diagnostic event",
			path:       func(dir string) string { return dir },
			json:       true,
			want:       2,
			wantStdout: `"summary":"Cannot write the JUnit report"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			marker := filepath.Join(dir, "invoked")
			src := `
function "touch" {
  provider = provider.local
  command  = ["sh", "-c", "echo yes > invoked"]
}
invocation "touch" {
  function = function.touch
}
`
			if err := os.WriteFile(filepath.Join(dir, "main.probe.hcl"), []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			path := tt.path(dir)
			args := []string{"run", "-no-color", "-junit", path, dir}
			if tt.json {
				args = append(args, "-json")
			}
			var stdout, stderr bytes.Buffer
			code := cli.Main(context.Background(), args, cli.Env{
				Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }, Registry: cli.NewRegistry(),
			})
			if code != tt.want {
				t.Errorf("exit %d, want %d\n%s%s", code, tt.want, stdout.String(), stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) || !strings.Contains(stdout.String(), tt.wantStdout) {
				t.Errorf("output lacks %q / %q:\nstdout:\n%s\nstderr:\n%s", tt.wantStdout, tt.wantStderr, stdout.String(), stderr.String())
			}
			_, err := os.Stat(marker)
			if invoked := err == nil; invoked != (tt.want == 0) {
				t.Errorf("invoked = %v, want %v", invoked, tt.want == 0)
			}
			if tt.want == 0 {
				if b, err := os.ReadFile(path); err != nil || !bytes.Contains(b, []byte(`<testcase classname="touch" name="invocation.touch"`)) {
					t.Errorf("JUnit report not written (%v):\n%s", err, b)
				}
			}
			if tt.want != 0 && strings.Contains(stdout.String(), "Success!") {
				t.Errorf("a run that cannot write its report printed Success!")
			}
		})
	}
}

// A JUnit report that cannot be written at the end (a full disk) is exit
// 3, and the summary, held back until then, says so.
func TestJUnitWriteFails(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("needs /dev/full")
	}
	dir := t.TempDir()
	src := `
function "ok" {
  provider = provider.local
  command  = ["echo", "ok"]
}
invocation "ok" {
  function = function.ok
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.probe.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"run", "-no-color", "-junit", "/dev/full", dir},
		{"run", "-json", "-junit", "/dev/full", dir},
	} {
		var stdout, stderr bytes.Buffer
		code := cli.Main(context.Background(), args, cli.Env{
			Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }, Registry: cli.NewRegistry(),
		})
		if code != 3 {
			t.Errorf("%v: exit %d, want 3", args, code)
		}
		if !strings.Contains(stderr.String(), "fnprobe: writing the JUnit report /dev/full: ") ||
			!strings.Contains(stderr.String(), "no space left on device") {
			t.Errorf("%v: stderr does not say why:\n%s", args, stderr.String())
		}
		out := stdout.String()
		if strings.Contains(out, "Success!") || !strings.Contains(out, "Failure! 1 passed") && !strings.Contains(out, `"exit_code":3`) {
			t.Errorf("%v: the summary does not agree with exit 3:\n%s", args, out)
		}
	}
}
