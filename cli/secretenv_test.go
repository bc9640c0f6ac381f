package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fnprobe/fnprobe/cli"
)

// Credentials that drivers read from the environment (here TCB_ACCESS_TOKEN)
// are secrets even when the suite never mentions them: a function that
// echoes one must not get it into any output.
func TestSecretEnvRedacted(t *testing.T) {
	const token = "tcb-env-token-5f2a9c"
	t.Setenv("TCB_ACCESS_TOKEN", token)
	dir := t.TempDir()
	src := `
function "leak" {
  provider = provider.local
  command  = ["sh", "-c", "printf '{\"seen\":\"%s\"}' \"$TCB_ACCESS_TOKEN\"; echo \"token $TCB_ACCESS_TOKEN\" >&2; exit 1"]
}
invocation "leak" {
  function = function.leak
  logs     = true
  expect {
    error = false
    body  = "nothing"
  }
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.probe.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	junit := filepath.Join(dir, "junit.xml")
	for _, args := range [][]string{
		{"run", "-no-color", "-junit", junit, dir},
		{"run", "-json", dir},
	} {
		var stdout, stderr bytes.Buffer
		code := cli.Main(context.Background(), args, cli.Env{
			Stdout: &stdout, Stderr: &stderr, Getenv: os.Getenv, Registry: cli.NewRegistry(),
		})
		if code != 1 {
			t.Errorf("%v: exit %d, want 1", args, code)
		}
		out := stdout.String() + stderr.String()
		if strings.Contains(out, token) || !strings.Contains(out, "(sensitive)") {
			t.Errorf("%v: the token leaked or was not redacted:\n%s", args, out)
		}
	}
	b, err := os.ReadFile(junit)
	if err != nil || strings.Contains(string(b), token) {
		t.Errorf("JUnit report leaks the token (%v):\n%s", err, b)
	}
}
