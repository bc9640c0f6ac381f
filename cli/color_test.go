package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fnprobe/fnprobe/cli"
)

// Colour is decided per stream: stdout by its own terminal status, stderr
// by its own. NO_COLOR wins over everything, then -no-color; -color and
// FORCE_COLOR force colour; otherwise a terminal whose TERM is not "dumb"
// gets colour. Each case runs a failing suite (human output on stdout)
// and validates a broken one (diagnostics on stderr).
func TestColorMatrix(t *testing.T) {
	good, bad := t.TempDir(), t.TempDir()
	src := "function \"echo\" {\n  provider = provider.local\n  command  = [\"cat\"]\n}\ninvocation \"a\" {\n  function = function.echo\n  expect {\n    body = \"y\"\n  }\n}\n"
	if err := os.WriteFile(filepath.Join(good, "main.probe.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, "main.probe.hcl"), []byte("invocation \"a\" {\n  function = function.nope\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, outTTY := range []bool{false, true} {
		for _, errTTY := range []bool{false, true} {
			for _, noColor := range []string{"", "1"} {
				for _, force := range []string{"", "0", "1"} {
					for _, term := range []string{"xterm-256color", "dumb"} {
						for _, flag := range []string{"", "-color", "-no-color"} {
							want := func(tty bool) bool {
								switch {
								case noColor != "", flag == "-no-color":
									return false
								case flag == "-color", force == "1":
									return true
								}
								return tty && term != "dumb"
							}
							name := fmt.Sprintf("stdout=%v,stderr=%v,NO_COLOR=%q,FORCE_COLOR=%q,TERM=%s,flag=%q", outTTY, errTTY, noColor, force, term, flag)
							t.Run(name, func(t *testing.T) {
								environ := map[string]string{"NO_COLOR": noColor, "FORCE_COLOR": force, "TERM": term}
								run := func(args ...string) (string, string) {
									var stdout, stderr bytes.Buffer
									if flag != "" {
										args = append(args[:1:1], append([]string{flag}, args[1:]...)...)
									}
									cli.Main(context.Background(), args, cli.Env{
										Stdout: &stdout, Stderr: &stderr,
										IsTerminal: outTTY, StderrIsTerminal: errTTY,
										Getenv:   func(k string) string { return environ[k] },
										Registry: cli.NewRegistry(),
									})
									return stdout.String(), stderr.String()
								}
								stdout, _ := run("run", good)
								if got := strings.Contains(stdout, "\x1b["); got != want(outTTY) {
									t.Errorf("stdout: ANSI escapes %v, want %v:\n%q", got, want(outTTY), stdout)
								}
								_, stderr := run("validate", bad)
								if got := strings.Contains(stderr, "\x1b["); got != want(errTTY) {
									t.Errorf("stderr: ANSI escapes %v, want %v:\n%q", got, want(errTTY), stderr)
								}
							})
						}
					}
				}
			}
		}
	}
}
