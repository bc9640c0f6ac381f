package planner_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/limits"
	"github.com/fnprobe/fnprobe/planner"
	"github.com/fnprobe/fnprobe/spec"
)

const echoSuite = `provider "local" {}

function "echo" {
  command = ["cat"]
}

invocation "x" {
  function = function.echo
}
`

// runBounded runs the pipeline on path; a hang fails the test instead of
// blocking it (the harness gives up, nothing is timed).
func runBounded(t *testing.T, o pipeline, path string) hcl.Diagnostics {
	t.Helper()
	done := make(chan hcl.Diagnostics, 1)
	go func() {
		_, _, diags := o.run(path)
		done <- diags
	}()
	select {
	case diags := <-done:
		return diags
	case <-time.After(time.Minute):
		t.Fatal("loading hangs")
		return nil
	}
}

func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, path string) {
	t.Helper()
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
}

// Hostile files on the configuration side are refused with a diagnostic,
// without hanging on a FIFO or reading /dev/zero forever.
func TestHostileFiles(t *testing.T) {
	for _, c := range []struct {
		name  string
		setup func(t *testing.T, dir string) (path string, o pipeline)
		want  []string // summary, then fragments of the detail
	}{
		{"suite file is a FIFO", func(t *testing.T, dir string) (string, pipeline) {
			mkfifo(t, filepath.Join(dir, "main.probe.hcl"))
			return dir, pipeline{}
		}, []string{"Cannot read suite file", "main.probe.hcl", "named pipe (FIFO)"}},
		{"suite file links to /dev/zero", func(t *testing.T, dir string) (string, pipeline) {
			symlink(t, "/dev/zero", filepath.Join(dir, "main.probe.hcl"))
			return dir, pipeline{}
		}, []string{"Cannot read suite file", "character device"}},
		{"suite path links to /dev/zero", func(t *testing.T, dir string) (string, pipeline) {
			p := filepath.Join(dir, "zero.probe.hcl")
			symlink(t, "/dev/zero", p)
			return p, pipeline{}
		}, []string{"Cannot read suite file", "character device"}},
		{"JSON suite file is a FIFO", func(t *testing.T, dir string) (string, pipeline) {
			mkfifo(t, filepath.Join(dir, "main.probe.json"))
			return dir, pipeline{}
		}, []string{"Cannot read suite file", "main.probe.json", "named pipe (FIFO)"}},
		{"suite file too large", func(t *testing.T, dir string) (string, pipeline) {
			big := echoSuite + "#" + strings.Repeat(" ", limits.ConfigFileBytes) + "\n"
			if err := os.WriteFile(filepath.Join(dir, "main.probe.hcl"), []byte(big), 0o644); err != nil {
				t.Fatal(err)
			}
			return dir, pipeline{}
		}, []string{"Cannot read suite file", "larger than the 8 MiB limit"}},
		{"variables file is a FIFO", func(t *testing.T, dir string) (string, pipeline) {
			writeFile(t, filepath.Join(dir, "main.probe.hcl"), echoSuite)
			vf := filepath.Join(dir, "x.probevars.hcl")
			mkfifo(t, vf)
			return dir, pipeline{VarFiles: []string{vf}}
		}, []string{"Cannot read variables file", "named pipe (FIFO)"}},
		{"auto variables file links to /dev/zero", func(t *testing.T, dir string) (string, pipeline) {
			writeFile(t, filepath.Join(dir, "main.probe.hcl"), echoSuite)
			symlink(t, "/dev/zero", filepath.Join(dir, "z.auto.probevars.hcl"))
			return dir, pipeline{}
		}, []string{"Cannot read variables file", "character device"}},
		{"variables file nests too deep", func(t *testing.T, dir string) (string, pipeline) {
			writeFile(t, filepath.Join(dir, "main.probe.hcl"), "variable \"v\" {\n  default = []\n}\n"+echoSuite)
			writeFile(t, filepath.Join(dir, "x.auto.probevars.hcl"), "v = "+strings.Repeat("[", 100000)+"\n")
			return dir, pipeline{}
		}, []string{"Nesting too deep", "more than 256 levels"}},
		{"file() of /dev/zero", func(t *testing.T, dir string) (string, pipeline) {
			writeFile(t, filepath.Join(dir, "main.probe.hcl"), echoSuite+"locals {\n  z = file(\"/dev/zero\")\n}\n")
			return dir, pipeline{}
		}, []string{"Error in function call", "/dev/zero", "character device"}},
		{"file() of a FIFO", func(t *testing.T, dir string) (string, pipeline) {
			mkfifo(t, filepath.Join(dir, "fifo"))
			writeFile(t, filepath.Join(dir, "main.probe.hcl"), echoSuite+"locals {\n  z = file(\"fifo\")\n}\n")
			return dir, pipeline{}
		}, []string{"Error in function call", "named pipe (FIFO)"}},
		{"file() of a directory", func(t *testing.T, dir string) (string, pipeline) {
			writeFile(t, filepath.Join(dir, "main.probe.hcl"), echoSuite+"locals {\n  z = file(\".\")\n}\n")
			return dir, pipeline{}
		}, []string{"Error in function call", "a directory"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path, o := c.setup(t, t.TempDir())
			diags := runBounded(t, o, path)
			if !diags.HasErrors() {
				t.Fatal("no error")
			}
			d := diags[0]
			if len(diags) != 1 || d.Summary != c.want[0] {
				t.Fatalf("diagnostics:\n%s", diagsText(diags))
			}
			for _, frag := range c.want[1:] {
				if !strings.Contains(d.Detail, frag) {
					t.Errorf("detail %q lacks %q", d.Detail, frag)
				}
			}
			if strings.HasPrefix(d.Summary, "Error in function call") && (d.Subject == nil || d.Subject.Start.Line != 11) {
				t.Errorf("file() error not on the call's range: %v", d.Subject)
			}
		})
	}
}

func writeFile(t *testing.T, path, src string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}

// An interrupt while loading ends it: reading stops with the cause.
func TestLoadInterrupted(t *testing.T) {
	dir := writeSuite(t, map[string]string{"a.probe.hcl": echoSuite, "b.probe.hcl": "", "c.probe.json": "{}"})
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errors.New("interrupted"))
	_, diags := spec.Load(spec.NewParser(), dir, spec.LoadOptions{Registry: testRegistry(), Context: ctx})
	if len(diags) != 1 || diags[0].Summary != "Reading the suite file stopped" || !strings.Contains(diags[0].Detail, "interrupted") {
		t.Fatalf("diagnostics:\n%s", diagsText(diags))
	}
}

// Validate and plan are linear in the size of the suite: ten thousand
// locals in a chain plan, and the last one has its value (the speed is
// shown by bench/BenchmarkValidateLocals10k).
func TestManyLocals(t *testing.T) {
	var sb strings.Builder
	sb.WriteString(echoSuite + "locals {\n  l0 = 0\n")
	for i := 1; i < 10000; i++ {
		sb.WriteString(fmt.Sprintf("  l%d = local.l%d + 1\n", i, i-1))
	}
	sb.WriteString("}\noutput \"last\" {\n  value = local.l9999\n}\n")
	p := mustPlan(t, pipeline{}, map[string]string{"main.probe.hcl": sb.String()})
	if p == nil || len(p.Instances) != 1 {
		t.Fatal("no plan")
	}
	scope := p.OutputScope(noResults{})
	v, diags := p.Config.Outputs["last"].Value.Value(scope(p.Config.Outputs["last"].DeclRange.Filename))
	if diags.HasErrors() || v.AsBigFloat().String() != "9999" {
		t.Fatalf("local.l9999 = %#v, %s", v, diags.Error())
	}
}

type noResults struct{}

func (noResults) Invocation(string) cty.Value { return cty.DynamicVal }

var _ planner.Results = noResults{}
