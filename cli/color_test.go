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

// Colour only when stdout is a terminal, and never with NO_COLOR or
// -no-color.
func TestColor(t *testing.T) {
	dir := t.TempDir()
	src := "function \"echo\" {\n  provider = provider.local\n  command  = [\"cat\"]\n}\ninvocation \"a\" {\n  function = function.echo\n  expect {\n    body = \"y\"\n  }\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "main.probe.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		terminal bool
		noColor  string
		flag     bool
		want     bool
	}{
		{name: "terminal", terminal: true, want: true},
		{name: "pipe", terminal: false, want: false},
		{name: "NO_COLOR", terminal: true, noColor: "1", want: false},
		{name: "-no-color", terminal: true, flag: true, want: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"run"}
			if tc.flag {
				args = append(args, "-no-color")
			}
			var stdout, stderr bytes.Buffer
			code := cli.Main(context.Background(), append(args, dir), cli.Env{
				Stdout: &stdout, Stderr: &stderr, IsTerminal: tc.terminal,
				Getenv:   func(k string) string { return map[string]string{"NO_COLOR": tc.noColor}[k] },
				Registry: cli.NewRegistry(),
			})
			if code != 1 {
				t.Fatalf("exit %d, want 1\n%s%s", code, stdout.String(), stderr.String())
			}
			if got := strings.Contains(stdout.String(), "\x1b["); got != tc.want {
				t.Errorf("ANSI escapes present %v, want %v:\n%q", got, tc.want, stdout.String())
			}
		})
	}
}
