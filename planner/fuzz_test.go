package planner_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

// Small suites, each using a few features: mutations of small inputs stay
// parseable more often than mutations of whole files.
var fuzzSeeds = []string{
	`provider "local" {}
function "f" { command = ["cat"] }
invocation "a" {
  function = function.f
  payload  = jsonencode({ x = 1 })
}`,
	`function "f" {
  provider = provider.local
  command  = ["cat"]
}
invocation "a" { function = function.f }
invocation "b" {
  function = function.f
  payload  = invocation.a.body
  expect { status = 200 }
}`,
	`locals {
  x = invocation.a.json.id
  y = { id = local.x }
}
provider "local" {}
function "f" { command = ["cat"] }
invocation "a" { function = function.f }
invocation "b" {
  function = function.f
  payload  = jsonencode(local.y)
  depends_on = [invocation.a]
}
output "o" { value = local.y }`,
	`variable "r" {
  type    = set(string)
  default = ["a", "b"]
}
provider "http" {}
function "p" {
  for_each = var.r
  url      = "http://127.0.0.1:1/${each.key}"
}
invocation "i" {
  for_each = var.r
  function = function.p[each.key]
  tags     = ["t", each.value]
}`,
	`variable "region" {
  type = string
  validation {
    condition     = length(var.region) > 2
    error_message = "short ${var.region}"
  }
}
variable "s" {
  default   = { k = "v" }
  sensitive = true
}
provider "local" { env = { K = var.s.k } }
function "f" { command = ["sh", "-c", "cat"] }
invocation "a" {
  function = function.f
  timeout  = "1s"
  retry {
    attempts = 2
    backoff  = "10ms"
    until    = self.status == 200
  }
  assert {
    condition     = self.json.k == var.s.k
    error_message = "k"
    severity      = "warn"
  }
}`,
	`settings {
  parallelism = 2
  timeout     = "5s"
  retry { attempts = 3 }
}
provider "http" {
  alias    = "b"
  base_url = "http://127.0.0.1:1/"
}
function "f" {
  provider = provider.http.b
  url      = "x"
  method   = "PUT"
}
invocation "a" {
  function = function.f
  headers  = { A = "b" }
  enabled  = true
  expect {
    body_matches = "^ok"
    max_duration = "1s"
    json         = { a = [1, 2] }
  }
}`,
	`{"provider": {"local": {}},
 "function": {"f": {"command": ["cat"]}},
 "invocation": {"a": {"function": "function.f", "payload": "${jsonencode({a = 1})}"},
                "b": {"function": "${function.f}", "depends_on": ["invocation.a"]}},
 "output": {"o": {"value": "${invocation.b.body}"}}}`,
}

// FuzzLoadAndPlan writes the input as a suite file (JSON syntax when it
// starts with "{", native syntax otherwise) and runs it through Load,
// VariableValues and Build, then builds the run-time evaluation contexts
// of the plan. Diagnostics are fine; a panic is not.
//
// Seeds: the small suites above, the quickstart example and every error
// fixture. Crashers found are kept in testdata/fuzz/FuzzLoadAndPlan as
// regression seeds.
func FuzzLoadAndPlan(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	paths := []string{"../examples/quickstart/main.probe.hcl"}
	err := filepath.WalkDir(errorsDir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(path, ".hcl") || strings.HasSuffix(path, ".json")) {
			paths = append(paths, path)
		}
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range paths {
		src, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}

	// One directory for every input of this process: Load reads a
	// directory, and making one per input would dominate the run time.
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, src []byte) {
		name, other := "fuzz.probe.hcl", "fuzz.probe.json"
		if strings.HasPrefix(strings.TrimSpace(string(src)), "{") {
			name, other = other, name
		}
		_ = os.Remove(filepath.Join(dir, other))
		if err := os.WriteFile(filepath.Join(dir, name), src, 0o644); err != nil {
			t.Fatal(err)
		}
		plan, _, diags := pipeline{}.run(dir)
		// With no command line and no environment, every problem is in
		// the file.
		for _, d := range diags {
			if d.Subject == nil || filepath.Base(d.Subject.Filename) != name || d.Subject.Start.Line < 1 {
				t.Errorf("diagnostic without a range in the suite file: %s", diagText(d))
			}
		}
		if plan == nil {
			return
		}
		if diags.HasErrors() {
			t.Fatalf("a plan along with errors:\n%s", diagsText(diags))
		}
		// What the executor does once results arrive, with every result
		// unknown.
		for _, inst := range plan.Instances {
			if inst.Function == nil {
				t.Fatalf("%s has no function", inst.Addr)
			}
			ctx, _ := plan.EvalContext(inst, fakeResults{}, cty.DynamicVal)
			if inst.Block.Payload != nil {
				_, _ = inst.Block.Payload.Value(ctx)
			}
		}
		scope := plan.OutputScope(fakeResults{})
		for _, o := range plan.Config.Outputs {
			ctx := scope(o.DeclRange.Filename)
			_, _ = o.Value.Value(ctx)
		}
	})
}
