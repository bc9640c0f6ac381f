package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/fnprobe/fnprobe/cli"
)

// TestReproDirSeveralSuites: with several suites, the same address in two
// of them gets two payload files (named after the suite's path too, as
// docs/cli.md says), each holding its own suite's payload.
func TestReproDirSeveralSuites(t *testing.T) {
	dir := t.TempDir()
	var suites []string
	for _, name := range []string{"a", "b"} {
		d := filepath.Join(dir, name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		src := `function "echo" {
  provider = provider.local
  command  = ["cat"]
}

invocation "x" {
  function = function.echo
  payload  = "from ` + name + `"
  expect {
    body = "never"
  }
}
`
		if err := os.WriteFile(filepath.Join(d, "main.probe.hcl"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		suites = append(suites, d)
	}
	reproDir := filepath.Join(dir, "repro")
	var stdout, stderr bytes.Buffer
	code := cli.Main(context.Background(), append([]string{"run", "-no-color", "-repro-dir", reproDir}, suites...), cli.Env{
		Stdout: &stdout, Stderr: &stderr,
		Getenv:   func(string) string { return "" },
		Registry: cli.NewRegistry(),
	})
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, stdout.String(), stderr.String())
	}
	entries, err := os.ReadDir(reproDir)
	if err != nil {
		t.Fatal(err)
	}
	var payloads []string
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(reproDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		payloads = append(payloads, string(b))
	}
	slices.Sort(payloads)
	if !slices.Equal(payloads, []string{"from a", "from b"}) {
		t.Errorf("payload files hold %q, want one per suite", payloads)
	}
}
