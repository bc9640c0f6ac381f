package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/cli"
	"github.com/fnprobe/fnprobe/emulator"
)

// TestExamples runs every suite under examples/ as the README tells users
// to, and requires it to pass: suites with an emulator.hcl against an
// in-process emulator (as examples/run-offline.sh does), the others as they
// are.
func TestExamples(t *testing.T) {
	dirs, err := filepath.Glob("../examples/*")
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, dir := range dirs {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			continue
		}
		ran++
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			env := map[string]string{}
			if _, err := os.Stat(filepath.Join(dir, "emulator.hcl")); err == nil {
				cfg, diags := emulator.LoadConfig(filepath.Join(dir, "emulator.hcl"))
				if diags.HasErrors() {
					t.Fatalf("emulator config: %s", diags.Error())
				}
				em, err := emulator.Start(*cfg)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(em.Close)
				env["FNPROBE_ENDPOINT"] = em.URL
			}
			var stdout, stderr bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			code := cli.Main(ctx, []string{"run", "-no-color", dir}, cli.Env{
				Stdout: &stdout, Stderr: &stderr,
				Getenv:   func(k string) string { return env[k] },
				Registry: cli.NewRegistry(),
			})
			if code != 0 {
				t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
			}
		})
	}
	if ran == 0 {
		t.Fatal("no examples found")
	}
}
