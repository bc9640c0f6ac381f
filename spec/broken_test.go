package spec_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/providers/local"
	"github.com/fnprobe/fnprobe/spec"
)

func TestSortDiagnostics(t *testing.T) {
	at := func(file string, line, col int) *hcl.Range {
		return &hcl.Range{Filename: file, Start: hcl.Pos{Line: line, Column: col}}
	}
	d := func(s string, r *hcl.Range) *hcl.Diagnostic {
		return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: s, Subject: r}
	}
	in := hcl.Diagnostics{
		d("b3", at("b.probe.hcl", 3, 1)),
		d("a9", at("a.probe.hcl", 9, 1)),
		d("a2c5", at("a.probe.hcl", 2, 5)),
		d("var", at("<value for -var x>", 1, 1)),
		d("a2c1", at("a.probe.hcl", 2, 1)),
		d("a2c1 again", at("a.probe.hcl", 2, 1)),
		d("nosource", nil),
		d("a9", at("a.probe.hcl", 9, 1)), // an exact duplicate
	}
	var got []string
	for _, x := range spec.SortDiagnostics(in) {
		got = append(got, x.Summary)
	}
	want := "[var nosource a2c1 a2c1 again a2c5 a9 b3]"
	if fmt.Sprint(got) != want {
		t.Errorf("got %v, want %s", got, want)
	}
}

// A block with errors is recorded as failed: kept for further checks when
// it can be (a function with a known provider), dropped otherwise (a
// variable, a provider of an unknown type), never both dropped and
// forgotten.
func TestFailedBlocks(t *testing.T) {
	dir := t.TempDir()
	src := `variable "v" {
  type    = number
  default = "x"
}
provider "lokal" {}
provider "local" {
  alias  = "b"
  nope   = 1
}
function "f" {
  provider = provider.local.b
  comand   = ["cat"]
}
function "g" {
  provider = provider.lokal
}
invocation "i" {
  function = function.f
  stauts   = 1
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.probe.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := spec.Load(spec.NewParser(), dir, spec.LoadOptions{Registry: providers.Registry{"local": local.New()}})
	if !diags.HasErrors() || !cfg.Decoded() || !cfg.Invalid() {
		t.Fatalf("decoded %v, invalid %v, diags %v", cfg.Decoded(), cfg.Invalid(), diags)
	}
	for _, c := range []struct {
		kind, name string
		kept       bool
	}{
		{"variable", "v", false},
		{"provider", "lokal", false},
		{"provider", "local.b", true},
		{"function", "f", true},
		{"function", "g", false},
		{"invocation", "i", true},
	} {
		if !cfg.Failed(c.kind, c.name) {
			t.Errorf("%s %s: not failed", c.kind, c.name)
		}
		var kept bool
		switch c.kind {
		case "variable":
			_, kept = cfg.Variables[c.name]
		case "provider":
			_, kept = cfg.Providers[c.name]
		case "function":
			_, kept = cfg.Functions[c.name]
		case "invocation":
			_, kept = cfg.Invocations[c.name]
		}
		if kept != c.kept {
			t.Errorf("%s %s: kept %v, want %v", c.kind, c.name, kept, c.kept)
		}
	}
}
