package providertest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/repro"
)

// Hostile are strings a suite may hold in names, keys, header values and
// paths: quotes, command substitutions, backticks, newlines, control
// characters, unicode.
var Hostile = []string{
	`it's "q"`,
	"$(touch pwned)",
	"`id`",
	"${HOME}",
	"a\nb",
	"esc\x1b[31m",
	"日本語 🎉",
	"rtl\u202e",
	`back\slash`,
	"-dash",
}

// ReproRun renders the repro command of req through driver d, as fnprobe
// prints it (repro.Builder, payloads written to dir), and runs it in a
// real POSIX shell with env, a fake tool first on PATH that records its
// argv. It returns the argv the tool saw, without its name, and the
// Result. The test is skipped where there is no sh.
func ReproRun(t *testing.T, d providers.Driver, req *providers.Request, tool, dir string, secrets map[string]string, env []string) ([]string, *repro.Result) {
	t.Helper()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	res := repro.New(repro.Options{Dir: dir, Secrets: repro.NewSecrets(secrets)}).Build("invocation.x", d, req)
	if res.Command == "" {
		t.Fatalf("no command: %+v", res)
	}
	bin := t.TempDir()
	out := filepath.Join(bin, "argv")
	script := "#!/bin/sh\nfor a; do printf '%s\\000' \"$a\"; done > " + repro.Quote(out) + "\n"
	if err := os.WriteFile(filepath.Join(bin, tool), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", res.Command)
	cmd.Env = append([]string{"PATH=" + bin + ":/usr/bin:/bin"}, env...)
	cmd.Dir = t.TempDir()
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sh -c %s: %v\n%s", res.Command, err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("the tool did not run: %v (command %s)", err, res.Command)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00"), res
}
