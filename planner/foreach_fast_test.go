package planner_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// for_each = toset(LIST) takes a fast path that never builds the set; it
// must give exactly the keys, values and diagnostics of the general path,
// which (toset(LIST)) in parentheses takes.
func TestForEachTosetFastPathMatches(t *testing.T) {
	for _, c := range []struct{ name, list string }{
		{"strings with duplicates", `["b", "a", "b", "c"]`},
		{"numbers", `[3, 1, 2, 1]`},
		{"numbers and strings", `[1, "1", "2"]`},
		{"bools", `[true, false, true]`},
		{"empty", `[]`},
		{"for expression", `[for i in range(50) : "k${i % 7}"]`},
		{"setproduct", `[for p in setproduct(range(3), range(2)) : "${p[0]}-${p[1]}"]`},
		{"flatten", `flatten([["a", "b"], ["b", "c"]])`},
		{"list of lists", `[["a"], ["b"]]`},
		{"null element", `["a", null]`},
		{"sensitive", `[var.secret]`},
		{"a map", `{ a = 1 }`},
	} {
		t.Run(c.name, func(t *testing.T) {
			keys := func(forEach string) (string, string) {
				dir := writeSuite(t, map[string]string{"main.probe.hcl": fmt.Sprintf(`
variable "secret" {
  type      = string
  default   = "s3cret"
  sensitive = true
}
provider "local" {}
function "f" {
  command = ["cat"]
}
invocation "x" {
  for_each = %s
  function = function.f
  payload  = { k = each.key, v = each.value }
}
`, forEach)})
				p, _, diags := pipeline{}.run(dir)
				var msgs []string
				for _, d := range diags {
					msgs = append(msgs, d.Summary+": "+d.Detail)
				}
				if p == nil {
					return "", strings.Join(msgs, "\n")
				}
				var out []string
				for _, inst := range p.Instances {
					out = append(out, inst.Addr+"="+inst.EachValue.GoString())
				}
				slices.Sort(out)
				return strings.Join(out, "\n"), strings.Join(msgs, "\n")
			}
			fastKeys, fastDiags := keys("toset(" + c.list + ")")
			slowKeys, slowDiags := keys("(toset(" + c.list + "))")
			if fastKeys != slowKeys || fastDiags != slowDiags {
				t.Errorf("fast path:\n%s\n%s\ngeneral path:\n%s\n%s", fastKeys, fastDiags, slowKeys, slowDiags)
			}
		})
	}
}

// The instances of a large for_each are planned in parallel: the plan and
// its diagnostics are the same, in the same order, run after run, and the
// state instances share (failed blocks, payload files checked) is safe
// (go test -race).
func TestLargeForEachPlannedInParallel(t *testing.T) {
	dir := writeSuite(t, map[string]string{"main.probe.hcl": `
provider "local" {}
function "f" {
  command = ["cat"]
}
locals {
  keys = [for p in setproduct(range(30), range(30)) : "${p[0]}-${p[1]}"]
}
invocation "ok" {
  for_each = toset(local.keys)
  function = function.f
  payload  = { k = each.key }
}
invocation "files" {
  for_each     = toset(local.keys)
  function     = function.f
  payload_file = "missing-${substr(each.key, 0, 1)}.json"
}
invocation "bad" {
  for_each = toset(local.keys)
  function = function.f
  timeout  = endswith(each.key, "-7") ? "soon" : "1s"
}
`})
	render := func() string {
		_, _, diags := pipeline{}.run(dir)
		var out []string
		for _, d := range diags {
			out = append(out, fmt.Sprintf("%s: %s: %s", d.Subject, d.Summary, d.Detail))
		}
		return strings.Join(out, "\n")
	}
	first := render()
	if !strings.Contains(first, "Cannot read payload_file") || !strings.Contains(first, "Invalid timeout") {
		t.Fatalf("diagnostics:\n%s", first)
	}
	for range 3 {
		if again := render(); again != first {
			t.Fatalf("diagnostics differ between runs:\n%s\n---\n%s", first, again)
		}
	}
}
