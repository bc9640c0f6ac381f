package planner_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/executor"
	"github.com/fnprobe/fnprobe/planner"
	"github.com/fnprobe/fnprobe/spec"
)

// Mistakes that different stages find are reported together, sorted by
// file, line and column.
func TestOnePassSorted(t *testing.T) {
	_, _, diags := pipeline{}.run(filepath.Join(errorsDir, "static_one_pass.probe.hcl"))
	if len(diags) != 5 {
		t.Fatalf("%d diagnostics, want 5:\n%s", len(diags), diagsText(diags))
	}
	for i := 1; i < len(diags); i++ {
		a, b := diags[i-1].Subject, diags[i].Subject
		if a.Start.Line > b.Start.Line || (a.Start.Line == b.Start.Line && a.Start.Column > b.Start.Column) {
			t.Errorf("not sorted:\n%s", diagsText(diags))
			break
		}
	}
}

// A suite in several files: diagnostics are sorted by file first.
func TestSortedAcrossFiles(t *testing.T) {
	dir := writeSuite(t, map[string]string{
		"b.probe.hcl": "provider \"local\" {}\nfunction \"f\" {\n  command = [\"cat\"]\n}\ninvocation \"x\" {\n  function = function.f\n  payload  = self.body\n}\n",
		"a.probe.hcl": "locals {\n  z = local.nope\n}\noutput \"o\" {\n  value = invocation.x.stauts\n}\n",
	})
	_, _, diags := pipeline{}.run(dir)
	var got []string
	for _, d := range diags {
		got = append(got, filepath.Base(d.Subject.Filename)+":"+d.Summary)
	}
	checkLines(t, "diagnostics", got, []string{
		"a.probe.hcl:Reference to undeclared local value",
		"a.probe.hcl:Unsupported attribute",
		"b.probe.hcl:Invalid reference to self",
	})
}

// planner.ResultType is the shape of the value the executor builds: the
// same attributes, of the same types (json is whatever the body holds).
func TestResultTypeMatchesExecutor(t *testing.T) {
	plan := mustPlan(t, pipeline{}, map[string]string{"main.probe.hcl": `provider "local" {}
function "f" {
  command = ["cat"]
}
invocation "x" {
  function = function.f
  payload  = { a = 1 }
}
`})
	var mu sync.Mutex
	var val cty.Value
	obs := executor.ObserverFunc(func(e executor.Event) {
		if e.Result != nil && e.Result.Value != cty.NilVal {
			mu.Lock()
			val = e.Result.Value
			mu.Unlock()
		}
	})
	if _, err := executor.Run(context.Background(), plan, executor.Options{Observer: obs}); err != nil {
		t.Fatal(err)
	}
	if val == cty.NilVal {
		t.Fatal("no result")
	}
	val, _ = val.UnmarkDeep()
	got, want := val.Type().AttributeTypes(), planner.ResultType.AttributeTypes()
	var names []string
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		gt, ok := got[n]
		switch {
		case !ok:
			t.Errorf("the executor's result has no %s", n)
		case want[n] == cty.DynamicPseudoType:
		case !gt.Equals(want[n]):
			t.Errorf("%s: the executor gives %s, ResultType says %s", n, gt.FriendlyName(), want[n].FriendlyName())
		}
	}
	for n := range got {
		if _, ok := want[n]; !ok {
			t.Errorf("ResultType lacks %s, which the executor sets", n)
		}
	}
	if len(got) != len(want) || !strings.Contains(val.GoString(), "status") {
		t.Errorf("result %#v", val)
	}
}

// validate checks a suite whatever values its variables will get: an
// expected value from a variable without a value is still checked by its
// type.
func TestValidateUnsetTyped(t *testing.T) {
	dir := writeSuite(t, map[string]string{"main.probe.hcl": `variable "code" {
  type = string
}
variable "n" {
  type = number
}
provider "local" {}
function "f" {
  command = ["cat"]
}
invocation "x" {
  function = function.f
  expect {
    status = var.code
    error  = var.n
    body   = var.code
  }
}
`})
	reg := testRegistry()
	parser := spec.NewParser()
	cfg, diags := spec.Load(parser, dir, spec.LoadOptions{Registry: reg})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	vals, diags := cfg.VariableValues(parser, spec.VarOptions{AllowUnset: true})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	_, diags = planner.Build(cfg, planner.Options{Registry: reg, Vars: vals, Validate: true})
	var got []string
	for _, d := range diags {
		got = append(got, fmt.Sprintf("%d: %s: %s", d.Subject.Start.Line, d.Summary, d.Detail))
	}
	checkLines(t, "diagnostics", got, []string{
		"14: Invalid expect.status: status must be a number or a list of numbers, not a string. It is compared with self.status, a number, so it could never match.",
		"15: Invalid expect.error: error must be true or false, not a number.",
	})
}
