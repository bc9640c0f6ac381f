package planner_test

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/planner"
	"github.com/fnprobe/fnprobe/spec"
)

// instanceLine renders what the plan says of one instance, for golden-ish
// comparisons.
func instanceLine(i *planner.Instance) string {
	var deps []string
	for _, d := range i.Deps {
		deps = append(deps, d.Addr)
	}
	fn := "<nil>"
	if i.Function != nil {
		fn = i.Function.Addr
	}
	s := fmt.Sprintf("%s fn=%s type=%s", i.Addr, fn, i.Type)
	if i.Logs {
		s += " logs"
	}
	if i.Wait {
		s += " wait"
	}
	if i.Timeout != 0 {
		s += " timeout=" + i.Timeout.String()
	}
	if i.Attempts != 0 {
		s += fmt.Sprintf(" attempts=%d", i.Attempts)
	}
	if i.Backoff != 0 {
		s += " backoff=" + i.Backoff.String()
	}
	if len(i.Tags) > 0 {
		s += " tags=" + strings.Join(i.Tags, ",")
	}
	if len(deps) > 0 {
		s += " deps=" + strings.Join(deps, ",")
	}
	if len(i.Unknown) > 0 {
		s += " unknown=" + strings.Join(i.Unknown, ",") + " from=" + strings.Join(i.UnknownFrom, ",")
	}
	return s
}

func instanceLines(insts []*planner.Instance) []string {
	var out []string
	for _, i := range insts {
		out = append(out, instanceLine(i))
	}
	return out
}

// planLines renders a whole plan: providers, functions and instances.
func planLines(p *planner.Plan) []string {
	var out []string
	for _, addr := range spec.SortedKeys(p.Providers) {
		pr := p.Providers[addr]
		out = append(out, fmt.Sprintf("%s type=%s config=%#v", pr.Addr, pr.Type, pr.Config))
	}
	for _, addr := range spec.SortedKeys(p.Functions) {
		fn := p.Functions[addr]
		out = append(out, fmt.Sprintf("%s name=%s provider=%s config=%#v", fn.Addr, fn.Name, fn.Provider.Addr, fn.Config))
	}
	out = append(out, instanceLines(p.Instances)...)
	var sel []string
	for _, i := range p.Selected {
		sel = append(sel, i.Addr)
	}
	return append(out, "selected: "+strings.Join(sel, " "))
}

func checkLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got:\n\t%s\nwant:\n\t%s", what, strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

func TestForEachExpansion(t *testing.T) {
	p := mustPlan(t, pipeline{}, map[string]string{"main.probe.hcl": `
provider "local" {}

function "echo" {
  command = ["cat"]
}

invocation "set" {
  for_each = toset(["sh", "hz", "bj"])
  function = function.echo
  payload  = each.key
}

invocation "map" {
  for_each = { "b" = 2, "a" = 1, "with space" = 3 }
  function = function.echo
  payload  = each.value
}

invocation "object" {
  for_each = { x = { n = 1 } }
  function = function.echo
  payload  = jsonencode(each.value)
}

invocation "empty" {
  for_each = toset([])
  function = function.echo
}

invocation "numbers" {
  for_each = toset([1, 2])
  function = function.echo
}

invocation "plain" {
  function = function.echo
}
`})
	checkLines(t, "instances", instanceLines(p.Instances), []string{
		`invocation.map["a"] fn=function.echo type=sync`,
		`invocation.map["b"] fn=function.echo type=sync`,
		`invocation.map["with space"] fn=function.echo type=sync`,
		`invocation.numbers["1"] fn=function.echo type=sync`,
		`invocation.numbers["2"] fn=function.echo type=sync`,
		`invocation.object["x"] fn=function.echo type=sync`,
		`invocation.plain fn=function.echo type=sync`,
		`invocation.set["bj"] fn=function.echo type=sync`,
		`invocation.set["hz"] fn=function.echo type=sync`,
		`invocation.set["sh"] fn=function.echo type=sync`,
	})
	for _, tc := range []struct {
		addr, name, key string
		hasKey          bool
		each            cty.Value
	}{
		{`invocation.set["hz"]`, "set", "hz", true, cty.StringVal("hz")},
		{`invocation.map["b"]`, "map", "b", true, cty.NumberIntVal(2)},
		{`invocation.object["x"]`, "object", "x", true, cty.ObjectVal(map[string]cty.Value{"n": cty.NumberIntVal(1)})},
		{`invocation.numbers["1"]`, "numbers", "1", true, cty.StringVal("1")},
		{`invocation.plain`, "plain", "", false, cty.NilVal},
	} {
		var inst *planner.Instance
		for _, i := range p.Instances {
			if i.Addr == tc.addr {
				inst = i
			}
		}
		if inst == nil {
			t.Errorf("no instance %s", tc.addr)
			continue
		}
		if inst.Name != tc.name || inst.Key != tc.key || inst.HasKey != tc.hasKey {
			t.Errorf("%s: name %q key %q hasKey %v, want %q %q %v", tc.addr, inst.Name, inst.Key, inst.HasKey, tc.name, tc.key, tc.hasKey)
		}
		if tc.hasKey && !inst.EachKey.RawEquals(cty.StringVal(tc.key)) {
			t.Errorf("%s: each.key = %#v", tc.addr, inst.EachKey)
		}
		if !tc.hasKey && inst.EachKey != cty.NilVal {
			t.Errorf("%s: each.key = %#v, want none", tc.addr, inst.EachKey)
		}
		if tc.each != cty.NilVal && !inst.EachValue.RawEquals(tc.each) {
			t.Errorf("%s: each.value = %#v, want %#v", tc.addr, inst.EachValue, tc.each)
		}
	}
}

func TestFunctionForEach(t *testing.T) {
	p := mustPlan(t, pipeline{}, map[string]string{"main.probe.hcl": `
variable "endpoints" {
  default = {
    "cn-hangzhou" = "http://127.0.0.1:9001/"
    "cn-shanghai" = "http://127.0.0.1:9002/"
  }
}

provider "http" {}

function "ping" {
  for_each = var.endpoints
  url      = each.value
  method   = upper("post")
}

invocation "per_region" {
  for_each = toset(["cn-hangzhou", "cn-shanghai"])
  function = function.ping[each.key]
  payload  = "{}"
}

invocation "one" {
  function = function.ping["cn-shanghai"]
}
`})
	checkLines(t, "plan", planLines(p), []string{
		`provider.http type=http config=cty.ObjectVal(map[string]cty.Value{"base_url":cty.NullVal(cty.String), "headers":cty.NullVal(cty.Map(cty.String))})`,
		`function.ping["cn-hangzhou"] name=ping provider=provider.http config=cty.ObjectVal(map[string]cty.Value{"headers":cty.NullVal(cty.Map(cty.String)), "method":cty.StringVal("POST"), "url":cty.StringVal("http://127.0.0.1:9001/")})`,
		`function.ping["cn-shanghai"] name=ping provider=provider.http config=cty.ObjectVal(map[string]cty.Value{"headers":cty.NullVal(cty.Map(cty.String)), "method":cty.StringVal("POST"), "url":cty.StringVal("http://127.0.0.1:9002/")})`,
		`invocation.one fn=function.ping["cn-shanghai"] type=sync`,
		`invocation.per_region["cn-hangzhou"] fn=function.ping["cn-hangzhou"] type=sync`,
		`invocation.per_region["cn-shanghai"] fn=function.ping["cn-shanghai"] type=sync`,
		`selected: invocation.one invocation.per_region["cn-hangzhou"] invocation.per_region["cn-shanghai"]`,
	})
}

const depsSuite = `
provider "local" {}

function "echo" {
  command = ["cat"]
}

locals {
  order_id = invocation.create.json.id        # known only after create
  lookup   = { id = local.order_id }          # ... and so is this
  constant = "c"
}

invocation "create" {
  function = function.echo
  payload  = local.constant
  tags     = ["smoke", "orders"]
}

invocation "get" {
  function = function.echo
  payload  = jsonencode(local.lookup)
  tags     = ["orders"]
}

invocation "direct" {
  function = function.echo
  headers  = { "X-Id" = invocation.create.json.id }
  enabled  = invocation.get.status == 200
}

invocation "cleanup" {
  function   = function.echo
  depends_on = [invocation.get, invocation.direct]
  tags       = ["teardown"]
}

invocation "checks_only" {
  function = function.echo

  expect {
    json = { id = invocation.create.json.id }
  }
}

invocation "ping" {
  for_each = toset(["a", "b"])
  function = function.echo
  payload  = each.key
  tags     = ["ping"]
}

invocation "after_ping" {
  function   = function.echo
  depends_on = [invocation.ping]
}

invocation "alone" {
  function = function.echo
  tags     = ["smoke"]
}

invocation "none" {
  for_each = toset([])
  function = function.echo
}
`

func TestDependencies(t *testing.T) {
	p := mustPlan(t, pipeline{}, map[string]string{"main.probe.hcl": depsSuite})
	checkLines(t, "instances", instanceLines(p.Instances), []string{
		`invocation.after_ping fn=function.echo type=sync deps=invocation.ping["a"],invocation.ping["b"]`,
		`invocation.alone fn=function.echo type=sync tags=smoke`,
		`invocation.checks_only fn=function.echo type=sync deps=invocation.create`,
		`invocation.cleanup fn=function.echo type=sync tags=teardown deps=invocation.direct,invocation.get`,
		`invocation.create fn=function.echo type=sync tags=orders,smoke`,
		`invocation.direct fn=function.echo type=sync deps=invocation.create,invocation.get unknown=headers,enabled from=create,get`,
		// get reads local.lookup, which reads local.order_id, which reads
		// invocation.create: an edge through two locals.
		`invocation.get fn=function.echo type=sync tags=orders deps=invocation.create unknown=payload from=create`,
		`invocation.ping["a"] fn=function.echo type=sync tags=ping`,
		`invocation.ping["b"] fn=function.echo type=sync tags=ping`,
	})
	for addr, want := range map[string][]string{
		"invocation.get":         {"create"},
		"invocation.cleanup":     {"direct", "get"},
		"invocation.after_ping":  {"ping"},
		"invocation.alone":       {},
		"invocation.checks_only": {"create"},
	} {
		for _, i := range p.Instances {
			if i.Addr == addr && !reflect.DeepEqual(i.DependencyNames(), want) && len(want)+len(i.DependencyNames()) > 0 {
				t.Errorf("%s: DependencyNames() = %v, want %v", addr, i.DependencyNames(), want)
			}
		}
	}
}

func TestSelection(t *testing.T) {
	for _, tc := range []struct {
		name    string
		targets []string
		tags    []string
		want    []string
		errs    []string // Detail fragments of "Invalid target" errors
	}{
		{name: "everything by default", want: []string{
			"invocation.after_ping", "invocation.alone", "invocation.checks_only", "invocation.cleanup", "invocation.create",
			"invocation.direct", "invocation.get", `invocation.ping["a"]`, `invocation.ping["b"]`,
		}},
		{name: "a target with no dependencies", targets: []string{"alone"}, want: []string{"invocation.alone"}},
		{name: "a target keeps its dependencies", targets: []string{"get"}, want: []string{"invocation.create", "invocation.get"}},
		{
			name: "dependencies are followed transitively", targets: []string{"invocation.cleanup"},
			want: []string{"invocation.cleanup", "invocation.create", "invocation.direct", "invocation.get"},
		},
		{
			name: "a block target selects every instance", targets: []string{"ping"},
			want: []string{`invocation.ping["a"]`, `invocation.ping["b"]`},
		},
		{name: "one instance by key", targets: []string{`invocation.ping["b"]`}, want: []string{`invocation.ping["b"]`}},
		{name: "a key without the prefix", targets: []string{`ping["a"]`}, want: []string{`invocation.ping["a"]`}},
		{
			name: "depending on a for_each block needs every instance", targets: []string{"after_ping"},
			want: []string{"invocation.after_ping", `invocation.ping["a"]`, `invocation.ping["b"]`},
		},
		{
			name: "targets add up", targets: []string{"alone", `ping["a"]`},
			want: []string{"invocation.alone", `invocation.ping["a"]`},
		},
		{name: "a tag", tags: []string{"smoke"}, want: []string{"invocation.alone", "invocation.create"}},
		{name: "a tag keeps dependencies", tags: []string{"orders"}, want: []string{"invocation.create", "invocation.get"}},
		{
			name: "tags add up", tags: []string{"ping", "teardown"},
			want: []string{
				"invocation.cleanup", "invocation.create", "invocation.direct", "invocation.get",
				`invocation.ping["a"]`, `invocation.ping["b"]`,
			},
		},
		{name: "a tag nobody has selects nothing", tags: []string{"nope"}, want: nil},
		{
			name: "tags and targets add up", targets: []string{"alone"}, tags: []string{"ping"},
			want: []string{"invocation.alone", `invocation.ping["a"]`, `invocation.ping["b"]`},
		},
		{name: "a block with no instances selects nothing", targets: []string{"invocation.none"}, want: nil},
		{name: "unknown target", targets: []string{"creat"}, errs: []string{`The target "creat" names no invocation of this suite. Did you mean invocation.create?`}},
		{name: "unknown key", targets: []string{`ping["c"]`}, errs: []string{`invocation.ping has no key "c"`}},
		{name: "bad key syntax", targets: []string{`ping[a]`}, errs: []string{"has an invalid key"}},
		{name: "a key on a block without for_each", targets: []string{`alone["x"]`}, errs: []string{`invocation.alone has no key "x"`}},
		{name: "a key on a block with no instances", targets: []string{`none["x"]`}, errs: []string{`invocation.none has no key "x"`}},
		{
			name: "every bad target is reported", targets: []string{"nothing", "alone", `ping["z"]`},
			errs: []string{`"nothing" names no invocation`, `invocation.ping has no key "z"`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan, _, diags := pipeline{Targets: tc.targets, Tags: tc.tags}.run(writeSuite(t, map[string]string{"main.probe.hcl": depsSuite}))
			if len(tc.errs) > 0 {
				if plan != nil {
					t.Error("got a plan despite errors")
				}
				if len(diags) != len(tc.errs) {
					t.Fatalf("got diagnostics:\n%s\nwant %d", diagsText(diags), len(tc.errs))
				}
				for i, frag := range tc.errs {
					if d := diags[i]; d.Summary != "Invalid target" || !strings.Contains(d.Detail, frag) || d.Subject != nil {
						t.Errorf("diagnostic %d: %s; want Invalid target, no source, detail containing %q", i, diagText(d), frag)
					}
				}
				return
			}
			if len(diags) > 0 {
				t.Fatalf("diagnostics:\n%s", diagsText(diags))
			}
			var got []string
			for _, i := range plan.Selected {
				got = append(got, i.Addr)
			}
			checkLines(t, "selected", got, tc.want)
			if len(plan.Instances) != 9 {
				t.Errorf("selection changed Instances: %d", len(plan.Instances))
			}
		})
	}
}

func TestInstanceOptions(t *testing.T) {
	p := mustPlan(t, pipeline{Vars: []string{"timeout=3s"}}, map[string]string{"main.probe.hcl": `
variable "timeout" {
  type    = string
  default = "1s"
}

provider "local" {}

function "echo" {
  command = ["cat"]
}

invocation "all" {
  function = function.echo
  type     = "sync"
  logs     = true
  timeout  = var.timeout
  tags     = toset(["b", "a"])

  retry {
    attempts = 4
    backoff  = "250ms"
  }
}

invocation "defaults" {
  function = function.echo
  logs     = false
}
`})
	checkLines(t, "instances", instanceLines(p.Instances), []string{
		`invocation.all fn=function.echo type=sync logs timeout=3s attempts=4 backoff=250ms tags=a,b`,
		`invocation.defaults fn=function.echo type=sync`,
	})
}

// fakeResults answers invocation.NAME with fixed values.
type fakeResults map[string]cty.Value

func (f fakeResults) Invocation(name string) cty.Value {
	if v, ok := f[name]; ok {
		return v
	}
	return cty.DynamicVal
}

func TestEvalContextRuntimeLocals(t *testing.T) {
	p := mustPlan(t, pipeline{}, map[string]string{"main.probe.hcl": depsSuite})
	var get *planner.Instance
	for _, i := range p.Instances {
		if i.Addr == "invocation.get" {
			get = i
		}
	}
	results := fakeResults{"create": cty.ObjectVal(map[string]cty.Value{
		"json": cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal("o-1")}),
	})}
	ctx, diags := p.EvalContext(get, results, cty.NilVal)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	v, diags := get.Block.Payload.Value(ctx)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if !v.RawEquals(cty.StringVal(`{"id":"o-1"}`)) {
		t.Errorf("payload = %#v", v)
	}
}

func TestImplicitProvider(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
	}{
		{"referenced with no provider block", map[string]string{"main.probe.hcl": `
function "echo" {
  provider = provider.local
  command  = ["cat"]
}
invocation "a" {
  function = function.echo
}
`}},
		{
			// The function without a provider argument comes first, in
			// file order; the implicit provider is still the only one.
			"a function without provider in an earlier file", map[string]string{
				"a.probe.hcl": `
function "echo" {
  command = ["cat"]
}
invocation "a" {
  function = function.echo
}
`,
				"b.probe.hcl": `
function "other" {
  provider = provider.local
  command  = ["true"]
}
`,
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := mustPlan(t, pipeline{}, tc.files)
			pr := p.Providers["local"]
			if pr == nil || pr.Addr != "provider.local" || pr.Type != "local" || pr.Driver == nil {
				t.Fatalf("provider.local: %+v", pr)
			}
			if fn := p.Functions["function.echo"]; fn == nil || fn.Provider != pr {
				t.Errorf("function.echo: %+v", fn)
			}
			if got := instanceLines(p.Instances); len(got) != 1 || got[0] != "invocation.a fn=function.echo type=sync" {
				t.Errorf("instances: %v", got)
			}
		})
	}
}

func TestProviderAliases(t *testing.T) {
	p := mustPlan(t, pipeline{}, map[string]string{"main.probe.hcl": `
provider "http" {
  base_url = "http://127.0.0.1:9001/"
}

provider "http" {
  alias    = "b"
  base_url = "http://127.0.0.1:9002/"
}

function "a" {
  provider = provider.http
  url      = "a"
}

function "b" {
  provider = provider.http.b
  url      = "b"
}

locals {
  which = [provider.http.address, provider.http.b.address, provider.http.type]
}

invocation "x" {
  function = function.b
  payload  = jsonencode(local.which)
}
`})
	if p.Functions["function.a"].Provider.Addr != "provider.http" || p.Functions["function.b"].Provider.Addr != "provider.http.b" {
		t.Errorf("providers: a=%s b=%s", p.Functions["function.a"].Provider.Addr, p.Functions["function.b"].Provider.Addr)
	}
	ctx, diags := p.EvalContext(p.Instances[0], fakeResults{}, cty.NilVal)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	v, _ := p.Instances[0].Block.Payload.Value(ctx)
	if !v.RawEquals(cty.StringVal(`["provider.http","provider.http.b","http"]`)) {
		t.Errorf("payload = %#v", v)
	}
}

func TestSecrets(t *testing.T) {
	p := mustPlan(t, pipeline{Vars: []string{"token=tok-123456"}}, map[string]string{"main.probe.hcl": `
variable "token" {
  type      = string
  sensitive = true
}

provider "http" {
  headers = { Authorization = "Bearer ${var.token}" }
}

function "f" {
  url = "http://127.0.0.1:1/"
}

invocation "a" {
  function = function.f
}
`})
	var got []string
	for _, s := range p.Secrets {
		s, _ = s.UnmarkDeep() // variable values keep their mark
		if s.Type() == cty.String {
			got = append(got, s.AsString())
		}
	}
	for _, want := range []string{"tok-123456", "Bearer tok-123456"} {
		found := false
		for _, g := range got {
			found = found || g == want
		}
		if !found {
			t.Errorf("Secrets %q lack %q", got, want)
		}
	}
	// The decoded configuration is unmarked, for the driver.
	if cfg := p.Providers["http"].Config; cfg.ContainsMarked() {
		t.Errorf("provider config is marked: %#v", cfg)
	}
}

// The same suite in native syntax and in JSON syntax plans the same.
func TestJSONEquivalent(t *testing.T) {
	native := `
variable "regions" {
  type    = set(string)
  default = ["cn-hangzhou", "cn-shanghai"]
}

locals {
  order = { sku = "A1", qty = 2 }
}

provider "local" {
  env = { STAGE = "test" }
}

function "create" {
  provider = provider.local
  command  = ["sh", "-c", "cat"]
}

function "ping" {
  for_each = var.regions
  provider = provider.local
  command  = ["echo", each.key]
}

invocation "create" {
  function = function.create
  payload  = jsonencode(local.order)
  logs     = true
  timeout  = "10s"
  tags     = ["smoke"]

  retry {
    attempts = 3
    backoff  = "200ms"
    until    = self.json.status == "created"
  }

  expect {
    status = 200
    json   = { status = "created" }
  }

  assert {
    condition     = self.json.qty == local.order.qty
    error_message = "qty"
    severity      = "warn"
  }
}

invocation "get" {
  function   = function.create
  payload    = jsonencode({ id = invocation.create.json.id })
  depends_on = [invocation.create]
}

invocation "ping" {
  for_each = var.regions
  function = function.ping[each.key]
  payload  = "{}"
  tags     = ["ping"]
}

output "order_id" {
  value = invocation.create.json.id
}
`
	json := `{
  "variable": {
    "regions": {
      "type": "set(string)",
      "default": ["cn-hangzhou", "cn-shanghai"]
    }
  },
  "locals": {
    "order": { "sku": "A1", "qty": 2 }
  },
  "provider": {
    "local": {
      "env": { "STAGE": "test" }
    }
  },
  "function": {
    "create": {
      "provider": "provider.local",
      "command": ["sh", "-c", "cat"]
    },
    "ping": {
      "for_each": "${var.regions}",
      "provider": "provider.local",
      "command": ["echo", "${each.key}"]
    }
  },
  "invocation": {
    "create": {
      "function": "${function.create}",
      "payload": "${jsonencode(local.order)}",
      "logs": true,
      "timeout": "10s",
      "tags": ["smoke"],
      "retry": {
        "attempts": 3,
        "backoff": "200ms",
        "until": "${self.json.status == \"created\"}"
      },
      "expect": {
        "status": 200,
        "json": { "status": "created" }
      },
      "assert": [
        {
          "condition": "${self.json.qty == local.order.qty}",
          "error_message": "qty",
          "severity": "warn"
        }
      ]
    },
    "get": {
      "function": "${function.create}",
      "payload": "${jsonencode({ id = invocation.create.json.id })}",
      "depends_on": ["invocation.create"]
    },
    "ping": {
      "for_each": "${var.regions}",
      "function": "${function.ping[each.key]}",
      "payload": "{}",
      "tags": ["ping"]
    }
  },
  "output": {
    "order_id": {
      "value": "${invocation.create.json.id}"
    }
  }
}`
	want := []string{
		`provider.local type=local config=cty.ObjectVal(map[string]cty.Value{"dir":cty.NullVal(cty.String), "env":cty.MapVal(map[string]cty.Value{"STAGE":cty.StringVal("test")})})`,
		`function.create name=create provider=provider.local config=cty.ObjectVal(map[string]cty.Value{"command":cty.ListVal([]cty.Value{cty.StringVal("sh"), cty.StringVal("-c"), cty.StringVal("cat")}), "dir":cty.NullVal(cty.String), "env":cty.NullVal(cty.Map(cty.String))})`,
		`function.ping["cn-hangzhou"] name=ping provider=provider.local config=cty.ObjectVal(map[string]cty.Value{"command":cty.ListVal([]cty.Value{cty.StringVal("echo"), cty.StringVal("cn-hangzhou")}), "dir":cty.NullVal(cty.String), "env":cty.NullVal(cty.Map(cty.String))})`,
		`function.ping["cn-shanghai"] name=ping provider=provider.local config=cty.ObjectVal(map[string]cty.Value{"command":cty.ListVal([]cty.Value{cty.StringVal("echo"), cty.StringVal("cn-shanghai")}), "dir":cty.NullVal(cty.String), "env":cty.NullVal(cty.Map(cty.String))})`,
		`invocation.create fn=function.create type=sync logs timeout=10s attempts=3 backoff=200ms tags=smoke`,
		`invocation.get fn=function.create type=sync deps=invocation.create unknown=payload from=create`,
		`invocation.ping["cn-hangzhou"] fn=function.ping["cn-hangzhou"] type=sync tags=ping`,
		`invocation.ping["cn-shanghai"] fn=function.ping["cn-shanghai"] type=sync tags=ping`,
		`selected: invocation.create invocation.get invocation.ping["cn-hangzhou"] invocation.ping["cn-shanghai"]`,
	}
	nativePlan := mustPlan(t, pipeline{}, map[string]string{"suite.probe.hcl": native})
	jsonPlan := mustPlan(t, pipeline{}, map[string]string{"suite.probe.json": json})
	checkLines(t, "native plan", planLines(nativePlan), want)
	checkLines(t, "JSON plan", planLines(jsonPlan), want)

	// The checks decode alike too.
	for _, p := range []*planner.Plan{nativePlan, jsonPlan} {
		inv := p.Config.Invocations["create"]
		var checks []string
		for _, c := range inv.Expect.Checks() {
			checks = append(checks, c.Name)
		}
		if got := fmt.Sprintf("checks=%v asserts=%d severity=%s until=%v outputs=%v", checks, len(inv.Asserts), inv.Asserts[0].Severity, inv.Retry.Until != nil, spec.SortedKeys(p.Config.Outputs)); got != "checks=[status json] asserts=1 severity=warn until=true outputs=[order_id]" {
			t.Errorf("%s", got)
		}
	}
}

func TestQuickstartPlans(t *testing.T) {
	plan, _, diags := pipeline{}.run("../examples/quickstart")
	if diags.HasErrors() {
		t.Fatal(diagsText(diags))
	}
	checkLines(t, "instances", instanceLines(plan.Instances), []string{
		`invocation.create fn=function.create_order type=sync logs tags=smoke`,
		`invocation.get fn=function.get_order type=sync tags=smoke deps=invocation.create unknown=payload from=create`,
		`invocation.ping["cn-hangzhou"] fn=function.echo type=sync`,
		`invocation.ping["cn-shanghai"] fn=function.echo type=sync`,
	})
	if got := plan.Config.Settings; got.Parallelism != 4 || got.Timeout != 10*time.Second {
		t.Errorf("settings: %+v", got)
	}
}

// A long chain plans without deep recursion, in a deterministic order.
func TestLongChain(t *testing.T) {
	const n = 3000
	var sb strings.Builder
	sb.WriteString("provider \"local\" {}\nfunction \"echo\" {\n  command = [\"cat\"]\n}\n")
	for i := range n {
		fmt.Fprintf(&sb, "invocation \"i%04d\" {\n  function = function.echo\n", i)
		if i > 0 {
			fmt.Fprintf(&sb, "  payload = invocation.i%04d.body\n", i-1)
		}
		sb.WriteString("}\n")
	}
	p := mustPlan(t, pipeline{Targets: []string{fmt.Sprintf("i%04d", n-1)}}, map[string]string{"chain.probe.hcl": sb.String()})
	if len(p.Selected) != n {
		t.Errorf("selected %d, want %d", len(p.Selected), n)
	}
	last := p.Instances[n-1]
	if last.Addr != fmt.Sprintf("invocation.i%04d", n-1) || len(last.Deps) != 1 || last.Deps[0].Addr != fmt.Sprintf("invocation.i%04d", n-2) {
		t.Errorf("last: %s", instanceLine(last))
	}

	// A cycle closing the chain names every member once.
	cyc := strings.Replace(sb.String(), "invocation \"i0000\" {\n  function = function.echo\n",
		fmt.Sprintf("invocation \"i0000\" {\n  function = function.echo\n  payload = invocation.i%04d.body\n", n-1), 1)
	_, _, diags := pipeline{}.run(writeSuite(t, map[string]string{"chain.probe.hcl": cyc}))
	if len(diags) != 1 || diags[0].Summary != "Cycle in references" || strings.Count(diags[0].Detail, "\n  - invocation.i") != n {
		t.Errorf("want one cycle of %d members, got:\n%.2000s", n, diagsText(diags))
	}
}

// Diagnostics of a suite read from a directory name the file they are in,
// and a suite given as one file reads only that file.
func TestSuitePaths(t *testing.T) {
	dir := writeSuite(t, map[string]string{
		"a.probe.hcl":          "provider \"local\" {}\nfunction \"echo\" {\n  command = [\"cat\"]\n}\n",
		"b.probe.hcl":          "invocation \"b\" {\n  function = function.ech\n}\n",
		".hidden.probe.hcl":    "this is not parsed",
		"notes.txt":            "neither is this",
		"sub/c.probe.hcl":      "nor this",
		"x.auto.probevars.hcl": "",
	})
	_, _, diags := pipeline{}.run(dir)
	if len(diags) != 1 || diags[0].Subject == nil || diags[0].Subject.Filename != filepath.Join(dir, "b.probe.hcl") {
		t.Fatalf("diagnostics:\n%s", diagsText(diags))
	}
	plan, _, diags := pipeline{}.run(filepath.Join(dir, "a.probe.hcl"))
	if diags.HasErrors() || len(plan.Instances) != 0 {
		t.Fatalf("single file: %d instances, diagnostics:\n%s", len(plan.Instances), diagsText(diags))
	}

	empty := t.TempDir()
	if err := os.WriteFile(filepath.Join(empty, "readme.md"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		empty:                           "No suite files",
		filepath.Join(empty, "missing"): "Cannot read suite",
	} {
		_, _, diags := pipeline{}.run(path)
		if len(diags) != 1 || diags[0].Summary != want {
			t.Errorf("%s: got\n%s\nwant %q", path, diagsText(diags), want)
		}
	}
}
