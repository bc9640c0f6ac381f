package planner_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/planner"
	"github.com/fnprobe/fnprobe/providers"
	httpprovider "github.com/fnprobe/fnprobe/providers/http"
	"github.com/fnprobe/fnprobe/providers/local"
	"github.com/fnprobe/fnprobe/spec"
)

// testRegistry is a light registry: the drivers that need no credentials.
func testRegistry() providers.Registry {
	return providers.Registry{"local": local.New(), "http": httpprovider.New()}
}

// pipeline is what the command line gives Load, VariableValues and Build.
type pipeline struct {
	Env      map[string]string // the fake environment
	Vars     []string          // -var
	VarFiles []string          // -var-file
	Targets  []string          // -target
	Tags     []string          // -tag
}

// run chains spec.Load → VariableValues → planner.Build as cli.suiteCommand
// does, in one pass: after decoding, every stage runs whatever the stages
// before it found. It returns the plan (nil on error), the variable values
// and every diagnostic, sorted as they are shown.
func (o pipeline) run(path string) (*planner.Plan, map[string]cty.Value, hcl.Diagnostics) {
	reg := testRegistry()
	parser := spec.NewParser()
	getenv := func(name string) string { return o.Env[name] }
	cfg, diags := spec.Load(parser, path, spec.LoadOptions{Registry: reg, Getenv: getenv})
	if !cfg.Decoded() {
		return nil, nil, spec.SortDiagnostics(diags)
	}
	vals, moreDiags := cfg.VariableValues(parser, spec.VarOptions{Vars: o.Vars, VarFiles: o.VarFiles})
	diags = append(diags, moreDiags...)
	plan, moreDiags := planner.Build(cfg, planner.Options{Registry: reg, Vars: vals, Targets: o.Targets, Tags: o.Tags})
	diags = spec.SortDiagnostics(append(diags, moreDiags...))
	if diags.HasErrors() {
		plan = nil
	}
	return plan, vals, diags
}

// writeSuite writes files (name → content) into a fresh temporary directory
// and returns it.
func writeSuite(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// mustPlan plans a suite that must be valid.
func mustPlan(t *testing.T, o pipeline, files map[string]string) *planner.Plan {
	t.Helper()
	plan, _, diags := o.run(writeSuite(t, files))
	if diags.HasErrors() {
		t.Fatalf("unexpected diagnostics:\n%s", diagsText(diags))
	}
	return plan
}

// diagsText renders diagnostics one a line, for failure messages.
func diagsText(diags hcl.Diagnostics) string {
	s := ""
	for _, d := range diags {
		s += diagText(d) + "\n"
	}
	return s
}

func diagText(d *hcl.Diagnostic) string {
	sev := "error"
	if d.Severity == hcl.DiagWarning {
		sev = "warning"
	}
	where := "(no source)"
	if d.Subject != nil {
		where = d.Subject.String()
	}
	return where + ": " + sev + ": " + d.Summary + ": " + d.Detail
}
