package spec_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/providers"
	httpprovider "github.com/fnprobe/fnprobe/providers/http"
	"github.com/fnprobe/fnprobe/providers/local"
	"github.com/fnprobe/fnprobe/spec"
)

func testRegistry() providers.Registry {
	return providers.Registry{"local": local.New()}
}

func providersWithHTTP() providers.Registry {
	return providers.Registry{"local": local.New(), "http": httpprovider.New()}
}

// writeFiles writes name → content under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// varsCase is a suite plus the variable sources of one command line.
type varsCase struct {
	suite    string            // main.probe.hcl
	files    map[string]string // more files in the suite directory (auto var files)
	extra    map[string]string // files outside the suite directory (-var-file targets)
	env      map[string]string
	vars     []string
	varFiles []string // names in extra
}

// resolve loads the suite and resolves its variables.
func (c varsCase) resolve(t *testing.T) (*spec.Config, map[string]cty.Value, hcl.Diagnostics) {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "suite")
	files := map[string]string{"main.probe.hcl": c.suite}
	for n, s := range c.files {
		files[n] = s
	}
	writeFiles(t, dir, files)
	writeFiles(t, filepath.Join(root, "extra"), c.extra)
	var varFiles []string
	for _, n := range c.varFiles {
		varFiles = append(varFiles, filepath.Join(root, "extra", n))
	}
	parser := spec.NewParser()
	cfg, diags := spec.Load(parser, dir, spec.LoadOptions{
		Registry: testRegistry(),
		Getenv:   func(name string) string { return c.env[name] },
	})
	if diags.HasErrors() {
		t.Fatalf("Load: %s", diags.Error())
	}
	vals, moreDiags := cfg.VariableValues(parser, spec.VarOptions{Vars: c.vars, VarFiles: varFiles})
	return cfg, vals, append(diags, moreDiags...)
}

const precedenceSuite = `
variable "v" {
  type    = string
  default = "default"
}
`

func TestVariablePrecedence(t *testing.T) {
	for _, tc := range []struct {
		name string
		varsCase
		want string
	}{
		{name: "default", want: "default"},
		{
			name:     "env over default",
			varsCase: varsCase{env: map[string]string{"FNPROBE_VAR_v": "env"}},
			want:     "env",
		},
		{
			name:     "empty env is unset",
			varsCase: varsCase{env: map[string]string{"FNPROBE_VAR_v": ""}},
			want:     "default",
		},
		{
			name:     "env name is case-sensitive",
			varsCase: varsCase{env: map[string]string{"FNPROBE_VAR_V": "env"}},
			want:     "default",
		},
		{
			name: "auto file over env",
			varsCase: varsCase{
				env:   map[string]string{"FNPROBE_VAR_v": "env"},
				files: map[string]string{"x.auto.probevars.hcl": `v = "auto"`},
			},
			want: "auto",
		},
		{
			name: "auto files in alphabetical order, the last wins",
			varsCase: varsCase{files: map[string]string{
				"b.auto.probevars.hcl": `v = "b"`,
				"a.auto.probevars.hcl": `v = "a"`,
			}},
			want: "b",
		},
		{
			name: "plain var files in the suite directory are not loaded",
			varsCase: varsCase{files: map[string]string{
				"x.probevars.hcl": `v = "not auto"`,
			}},
			want: "default",
		},
		{
			name: "-var-file over auto file",
			varsCase: varsCase{
				env:      map[string]string{"FNPROBE_VAR_v": "env"},
				files:    map[string]string{"z.auto.probevars.hcl": `v = "auto"`},
				extra:    map[string]string{"f.probevars.hcl": `v = "file"`},
				varFiles: []string{"f.probevars.hcl"},
			},
			want: "file",
		},
		{
			name: "-var-file in order, the last wins",
			varsCase: varsCase{
				extra:    map[string]string{"1.probevars.hcl": `v = "one"`, "2.probevars.hcl": `v = "two"`},
				varFiles: []string{"2.probevars.hcl", "1.probevars.hcl"},
			},
			want: "one",
		},
		{
			name: "-var over everything",
			varsCase: varsCase{
				env:      map[string]string{"FNPROBE_VAR_v": "env"},
				files:    map[string]string{"x.auto.probevars.hcl": `v = "auto"`},
				extra:    map[string]string{"f.probevars.hcl": `v = "file"`},
				varFiles: []string{"f.probevars.hcl"},
				vars:     []string{"v=cli"},
			},
			want: "cli",
		},
		{
			name:     "-var in order, the last wins",
			varsCase: varsCase{vars: []string{"v=first", "v=second"}},
			want:     "second",
		},
		{
			name:     "-var splits at the first equals sign",
			varsCase: varsCase{vars: []string{"v=a=b"}},
			want:     "a=b",
		},
		{
			name:     "-var with an empty value",
			varsCase: varsCase{vars: []string{"v="}},
			want:     "",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.suite = precedenceSuite
			_, vals, diags := tc.resolve(t)
			if len(diags) > 0 {
				t.Fatalf("diagnostics: %s", diags.Error())
			}
			if got := vals["v"]; !got.RawEquals(cty.StringVal(tc.want)) {
				t.Errorf("v = %#v, want %q", got, tc.want)
			}
		})
	}
}

const typedSuite = `
variable "num" {
  type    = number
  default = 0
}
variable "flag" {
  type    = bool
  default = false
}
variable "names" {
  type    = list(string)
  default = []
}
variable "tags" {
  type    = set(string)
  default = []
}
variable "limits" {
  type    = map(number)
  default = {}
}
variable "obj" {
  type    = object({ name = string, size = number })
  default = { name = "x", size = 0 }
}
variable "opt" {
  type    = object({ name = string, size = optional(number, 5) })
  default = { name = "d" }
}
variable "str" {
  type    = string
  default = ""
}
variable "untyped" {
  default = ""
}
`

func TestVariableTypedValues(t *testing.T) {
	for _, tc := range []struct {
		name string
		from string // "var" or "env"
		raw  string // NAME=VALUE
		want cty.Value
	}{
		{"number", "var", "num=42", cty.NumberIntVal(42)},
		{"negative fraction", "var", "num=-1.5", cty.NumberFloatVal(-1.5)},
		{"number expression", "var", "num=2*60", cty.NumberIntVal(120)},
		{"bool", "var", "flag=true", cty.True},
		{"list", "var", `names=["a", "b"]`, cty.ListVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")})},
		{"empty list", "var", `names=[]`, cty.ListValEmpty(cty.String)},
		{"set", "var", `tags=["b", "a", "b"]`, cty.SetVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")})},
		{"map", "var", `limits={ a = 1, "b-c" = 2 }`, cty.MapVal(map[string]cty.Value{"a": cty.NumberIntVal(1), "b-c": cty.NumberIntVal(2)})},
		{"object", "var", `obj={ name = "n", size = "3" }`, cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("n"), "size": cty.NumberIntVal(3)})},
		{"optional attribute default", "var", `opt={ name = "n" }`, cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("n"), "size": cty.NumberIntVal(5)})},
		{"optional attribute given", "var", `opt={ name = "n", size = 1 }`, cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("n"), "size": cty.NumberIntVal(1)})},
		{"string taken literally", "var", `str=["a"]`, cty.StringVal(`["a"]`)},
		{"string with quotes kept", "var", `str="quoted"`, cty.StringVal(`"quoted"`)},
		{"string with an interpolation kept", "var", `str=${var.x}`, cty.StringVal(`${var.x}`)},
		{"untyped taken literally", "var", `untyped={ a = 1 }`, cty.StringVal(`{ a = 1 }`)},
		{"env number", "env", "num=7", cty.NumberIntVal(7)},
		{"env list", "env", `names=["x"]`, cty.ListVal([]cty.Value{cty.StringVal("x")})},
		{"env object", "env", `obj={ name = "e", size = 1 }`, cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("e"), "size": cty.NumberIntVal(1)})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := varsCase{suite: typedSuite}
			name, val, _ := strings.Cut(tc.raw, "=")
			if tc.from == "env" {
				c.env = map[string]string{spec.EnvVarPrefix + name: val}
			} else {
				c.vars = []string{tc.raw}
			}
			_, vals, diags := c.resolve(t)
			if len(diags) > 0 {
				t.Fatalf("diagnostics: %s", diags.Error())
			}
			if got := vals[name]; !got.RawEquals(tc.want) {
				t.Errorf("%s = %#v, want %#v", name, got, tc.want)
			}
		})
	}
}

func TestVariableDefaults(t *testing.T) {
	_, vals, diags := varsCase{suite: typedSuite + `
variable "nothing" {
  type    = string
  default = null
}
`}.resolve(t)
	if len(diags) > 0 {
		t.Fatalf("diagnostics: %s", diags.Error())
	}
	for name, want := range map[string]cty.Value{
		"num":     cty.NumberIntVal(0),
		"names":   cty.ListValEmpty(cty.String),
		"obj":     cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("x"), "size": cty.NumberIntVal(0)}),
		"opt":     cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("d"), "size": cty.NumberIntVal(5)}),
		"untyped": cty.StringVal(""),
		"nothing": cty.NullVal(cty.String),
	} {
		if got := vals[name]; !got.RawEquals(want) {
			t.Errorf("%s = %#v, want %#v", name, got, want)
		}
	}
}

func TestVariableFileValues(t *testing.T) {
	// A var file holds HCL constants of any type; the declared type
	// converts them.
	_, vals, diags := varsCase{
		suite: typedSuite,
		files: map[string]string{"v.auto.probevars.hcl": `
num    = "12"
names  = ["a"]
opt    = { name = "f" }
str    = 5
`},
	}.resolve(t)
	if len(diags) > 0 {
		t.Fatalf("diagnostics: %s", diags.Error())
	}
	for name, want := range map[string]cty.Value{
		"num":   cty.NumberIntVal(12),
		"names": cty.ListVal([]cty.Value{cty.StringVal("a")}),
		"opt":   cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("f"), "size": cty.NumberIntVal(5)}),
		"str":   cty.StringVal("5"),
	} {
		if got := vals[name]; !got.RawEquals(want) {
			t.Errorf("%s = %#v, want %#v", name, got, want)
		}
	}
}

func TestSensitiveVariables(t *testing.T) {
	suite := `
variable "secret" {
  type      = string
  sensitive = true
}
variable "secret_obj" {
  type      = object({ key = string })
  default   = { key = "k-123456" }
  sensitive = true
}
variable "plain" {
  default = "p"
}
`
	for _, tc := range []struct {
		name string
		varsCase
	}{
		{"from -var", varsCase{vars: []string{"secret=s3cr3t"}}},
		{"from env", varsCase{env: map[string]string{"FNPROBE_VAR_secret": "s3cr3t"}}},
		{"from an auto file", varsCase{files: map[string]string{"s.auto.probevars.hcl": `secret = "s3cr3t"`}}},
		{"from -var-file", varsCase{extra: map[string]string{"s.probevars.hcl": `secret = "s3cr3t"`}, varFiles: []string{"s.probevars.hcl"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.suite = suite
			_, vals, diags := tc.resolve(t)
			if len(diags) > 0 {
				t.Fatalf("diagnostics: %s", diags.Error())
			}
			for name, sensitive := range map[string]bool{"secret": true, "secret_obj": true, "plain": false} {
				if got := vals[name].HasMark(spec.Sensitive); got != sensitive {
					t.Errorf("%s: HasMark(Sensitive) = %v, want %v", name, got, sensitive)
				}
			}
			if v, _ := vals["secret"].Unmark(); !v.RawEquals(cty.StringVal("s3cr3t")) {
				t.Errorf("secret = %#v", v)
			}
		})
	}
}

// diagWant is an expected diagnostic: severity, Summary and Detail
// fragments, and where it points ("" for no source, else file:line).
type diagWant struct {
	severity hcl.DiagnosticSeverity
	summary  string
	detail   string
	at       string
}

func checkDiags(t *testing.T, diags hcl.Diagnostics, want []diagWant) {
	t.Helper()
	if len(diags) != len(want) {
		t.Errorf("got %d diagnostics, want %d:\n%s", len(diags), len(want), diags.Error())
		return
	}
	for i, w := range want {
		d := diags[i]
		at := ""
		if d.Subject != nil {
			at = filepath.Base(d.Subject.Filename) + ":" + strconv.Itoa(d.Subject.Start.Line)
		}
		if d.Severity != w.severity || d.Summary != w.summary || !strings.Contains(d.Detail, w.detail) || at != w.at {
			t.Errorf("diagnostic %d:\n got %v %q %q at %q\nwant %v %q (detail containing %q) at %q",
				i, d.Severity, d.Summary, d.Detail, at, w.severity, w.summary, w.detail, w.at)
		}
	}
}

func TestVariableErrors(t *testing.T) {
	suite := `
variable "region" {
  type    = string
  default = "cn-hangzhou"

  validation {
    condition     = startswith(var.region, "cn-")
    error_message = "region must be a cn- region, not ${var.region}."
  }
}

variable "count" {
  type    = number
  default = 1

  validation {
    condition     = var.count >= 1 && var.count <= 10
    error_message = "count must be between 1 and 10."
  }
}
`
	for _, tc := range []struct {
		name string
		varsCase
		want []diagWant
	}{
		{name: "valid", varsCase: varsCase{vars: []string{"region=cn-shanghai", "count=10"}}},
		{
			name:     "undeclared -var is an error",
			varsCase: varsCase{vars: []string{"regoin=cn-shanghai"}},
			want:     []diagWant{{hcl.DiagError, "Value for undeclared variable", `Did you mean "region"?`, ""}},
		},
		{
			name:     "undeclared environment variable is ignored",
			varsCase: varsCase{env: map[string]string{"FNPROBE_VAR_regoin": "x"}},
		},
		{
			name: "undeclared in a var file is a warning",
			varsCase: varsCase{
				extra:    map[string]string{"f.probevars.hcl": "region = \"cn-beijing\"\nregoin = \"x\"\n"},
				varFiles: []string{"f.probevars.hcl"},
			},
			want: []diagWant{{hcl.DiagWarning, "Value for undeclared variable", `Did you mean "region"?`, "f.probevars.hcl:2"}},
		},
		{
			name:     "malformed -var",
			varsCase: varsCase{vars: []string{"region"}},
			want:     []diagWant{{hcl.DiagError, "Invalid -var option", `"region"`, ""}},
		},
		{
			name:     "-var of the wrong type",
			varsCase: varsCase{vars: []string{"count=many"}},
			want:     []diagWant{{hcl.DiagError, "Invalid value for variable", "-var count is not compatible with the variable's type constraint: a number is required", ""}},
		},
		{
			name:     "environment value of the wrong type",
			varsCase: varsCase{env: map[string]string{"FNPROBE_VAR_count": "many"}},
			want:     []diagWant{{hcl.DiagError, "Invalid value for variable", "FNPROBE_VAR_count is not compatible", ""}},
		},
		{
			name:     "validation fails on a -var value",
			varsCase: varsCase{vars: []string{"region=us-east-1"}},
			want:     []diagWant{{hcl.DiagError, "Invalid value for variable", "region must be a cn- region, not us-east-1.", "main.probe.hcl:7"}},
		},
		{
			name: "validation fails on a var file value",
			varsCase: varsCase{
				files: map[string]string{"c.auto.probevars.hcl": "count = 11"},
			},
			want: []diagWant{{hcl.DiagError, "Invalid value for variable", "count must be between 1 and 10.", "main.probe.hcl:17"}},
		},
		{
			name:     "every failed validation is reported",
			varsCase: varsCase{vars: []string{"region=eu", "count=0"}},
			want: []diagWant{
				{hcl.DiagError, "Invalid value for variable", "count must be between 1 and 10.", "main.probe.hcl:17"},
				{hcl.DiagError, "Invalid value for variable", "not eu.", "main.probe.hcl:7"},
			},
		},
		{
			name: "a bad value is not also reported missing",
			varsCase: varsCase{
				files: map[string]string{"c.auto.probevars.hcl": "count = \"many\""},
			},
			want: []diagWant{{hcl.DiagError, "Invalid value for variable", "a number is required", "c.auto.probevars.hcl:1"}},
		},
		{
			name:     "missing -var-file",
			varsCase: varsCase{varFiles: []string{"nope.probevars.hcl"}},
			want:     []diagWant{{hcl.DiagError, "Cannot read variables file", "no such file or directory", ""}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.suite = suite
			_, _, diags := tc.resolve(t)
			checkDiags(t, diags, tc.want)
		})
	}
}

func TestRequiredVariable(t *testing.T) {
	suite := `
variable "token" {
  type = string
}
`
	_, _, diags := varsCase{suite: suite}.resolve(t)
	checkDiags(t, diags, []diagWant{{hcl.DiagError, "No value for required variable", "FNPROBE_VAR_token", "main.probe.hcl:2"}})

	// A bad value for a required variable is reported once, as a bad value.
	_, _, diags = varsCase{suite: suite, vars: []string{"token"}}.resolve(t)
	checkDiags(t, diags, []diagWant{{hcl.DiagError, "Invalid -var option", "", ""}})

	_, vals, diags := varsCase{suite: suite, env: map[string]string{"FNPROBE_VAR_token": "t"}}.resolve(t)
	checkDiags(t, diags, nil)
	if !vals["token"].RawEquals(cty.StringVal("t")) {
		t.Errorf("token = %#v", vals["token"])
	}
}
