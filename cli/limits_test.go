package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/cli"
	"github.com/fnprobe/fnprobe/executor"
	"github.com/fnprobe/fnprobe/limits"
)

// mainBounded runs the command line; a hang fails the test instead of
// blocking it (the harness gives up, nothing is timed).
func mainBounded(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Main(context.Background(), args, cli.Env{
			Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }, Registry: cli.NewRegistry(), Width: -1,
		})
	}()
	select {
	case code = <-done:
	case <-time.After(time.Minute):
		t.Fatalf("%v hangs", args)
	}
	return code, out.String(), errOut.String()
}

func writeProbe(t *testing.T, dir, src string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "main.probe.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}

// payload_file must be a regular file within the limit: a FIFO without a
// writer, /dev/zero and a directory fail the invocation with a diagnostic
// on the payload_file argument, without hanging or filling memory.
func TestPayloadFileHostile(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, want string }{
		{"/dev/zero", "it is a character device, not a regular file"},
		{"fifo", "it is a named pipe (FIFO), not a regular file"},
		{".", "it is a directory, not a file"},
	} {
		// Known before the run: validate refuses it (exit 2).
		writeProbe(t, dir, `provider "local" {}

function "echo" {
  command = ["cat"]
}

invocation "x" {
  function     = function.echo
  payload_file = "`+c.path+`"
}
`)
		code, stdout, stderr := mainBounded(t, "validate", "-no-color", dir)
		out := stdout + stderr
		if code != 2 || !strings.Contains(out, "Cannot read payload_file") || !strings.Contains(out, c.want) || !strings.Contains(out, "main.probe.hcl line 9") {
			t.Errorf("validate %s: exit %d, output:\n%s", c.path, code, out)
		}
		// After another invocation (which might write it), the
		// executor refuses it at run time (exit 1), without reading.
		writeProbe(t, dir, `provider "local" {}

function "echo" {
  command = ["cat"]
}

invocation "x" {
  function     = function.echo
  payload_file = "`+c.path+`"
  depends_on   = [invocation.first]
}

invocation "first" {
  function = function.echo
}
`)
		code, stdout, stderr = mainBounded(t, "run", "-no-color", dir)
		out = stdout + stderr
		if code != 1 || !strings.Contains(out, "Cannot read payload_file") || !strings.Contains(out, c.want) || !strings.Contains(out, "main.probe.hcl line 9") {
			t.Errorf("run %s: exit %d, output:\n%s", c.path, code, out)
		}
	}
}

// fmt reads only regular files within the limit and refuses deep nesting
// instead of crashing.
func TestFmtHostile(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "a.probe.hcl"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := mainBounded(t, "fmt", "-check", dir)
	if code != 2 || !strings.Contains(stderr, "named pipe (FIFO)") {
		t.Errorf("FIFO: exit %d, stderr:\n%s", code, stderr)
	}
	dir = t.TempDir()
	writeProbe(t, dir, "locals {\n  x = "+strings.Repeat("(", 100000)+"1"+strings.Repeat(")", 100000)+"\n}\n")
	for _, args := range [][]string{{"fmt", "-check", dir}, {"validate", "-no-color", dir}} {
		code, _, stderr = mainBounded(t, args...)
		if code != 2 || !strings.Contains(stderr, "Nesting too deep") || !strings.Contains(stderr, "main.probe.hcl line 2") {
			t.Errorf("%v: exit %d, stderr:\n%.2000s", args, code, stderr)
		}
	}
}

// A -var value parsed as HCL is scanned for nesting too.
func TestVarNesting(t *testing.T) {
	dir := t.TempDir()
	writeProbe(t, dir, `variable "v" {
  type = list(any)
}
provider "local" {}
function "echo" {
  command = ["cat"]
}
invocation "x" {
  function = function.echo
  payload  = var.v
}
`)
	code, _, stderr := mainBounded(t, "validate", "-no-color", "-var", "v="+strings.Repeat("[", 100000), dir)
	if code != 2 || !strings.Contains(stderr, "Nesting too deep") {
		t.Errorf("exit %d, stderr:\n%.2000s", code, stderr)
	}
}

// A file of garbage gets the first errors and a count of the rest.
func TestGarbageErrorsCapped(t *testing.T) {
	const alphabet = "{}[]()\"=a1 \n.,#"
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, 100_000)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	dir := t.TempDir()
	writeProbe(t, dir, string(b))
	code, _, stderr := mainBounded(t, "validate", "-no-color", dir)
	if code != 2 {
		t.Fatalf("exit %d", code)
	}
	if n := strings.Count(stderr, "│ Error: "); n != limits.Errors+1 {
		t.Errorf("%d errors shown, want %d and a count", n, limits.Errors)
	}
	if !strings.Contains(stderr, " more errors not shown") {
		t.Errorf("no count of the errors not shown:\n%s", stderr)
	}
	code, stdout, _ := mainBounded(t, "validate", "-json", dir)
	var out struct {
		Diagnostics []struct{ Severity string }
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("-json: %v\n%s", err, stdout)
	}
	errs := 0
	for _, d := range out.Diagnostics {
		if d.Severity == "error" {
			errs++
		}
	}
	if code != 2 || errs != limits.Errors+1 {
		t.Errorf("-json: exit %d, %d errors", code, errs)
	}
}

// A Ctrl-C that ends loading early exits 130 (interrupted), not 2: the
// suite was not found invalid, it was not read.
func TestInterruptedLoadExits130(t *testing.T) {
	dir := t.TempDir()
	writeProbe(t, dir, `invocation "x" { function = function.f }`)
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(executor.ErrInterrupted)
	var out, errOut bytes.Buffer
	code := cli.Main(ctx, []string{"validate", "-no-color", dir}, cli.Env{
		Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }, Registry: cli.NewRegistry(), Width: -1,
	})
	if code != executor.ExitInterrupted {
		t.Errorf("exit %d, want %d\n%s", code, executor.ExitInterrupted, errOut.String())
	}
	if !strings.Contains(errOut.String(), "Reading the suite file stopped") {
		t.Errorf("stderr does not say why:\n%s", errOut.String())
	}
}

// validate -json lists the first limits.Errors errors and one that counts
// the rest, but error_count counts them all: a script that reads the count
// must not see 21 for a suite with 30 mistakes.
func TestValidateJSONCountsAllErrors(t *testing.T) {
	dir := t.TempDir()
	var src strings.Builder
	const n = 30
	for i := range n {
		src.WriteString("invocation \"i" + string(rune('a'+i%26)) + strings.Repeat("x", i/26) + "\" {\n  function = function.missing\n}\n")
	}
	writeProbe(t, dir, src.String())
	code, stdout, stderr := mainBounded(t, "validate", "-json", dir)
	if code != executor.ExitConfig {
		t.Fatalf("exit %d, want %d\n%s", code, executor.ExitConfig, stderr)
	}
	var got struct {
		Valid       bool              `json:"valid"`
		ErrorCount  int               `json:"error_count"`
		Diagnostics []json.RawMessage `json:"diagnostics"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if got.Valid || got.ErrorCount != n || len(got.Diagnostics) != limits.Errors+1 {
		t.Errorf("valid %v, error_count %d, %d diagnostics; want false, %d, %d", got.Valid, got.ErrorCount, len(got.Diagnostics), n, limits.Errors+1)
	}
}
