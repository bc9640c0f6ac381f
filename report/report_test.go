package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/executor"
	"github.com/fnprobe/fnprobe/spec"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const (
	suiteFile = "testdata/suite.probe.hcl"
	secret    = "hunter22-secret"
)

// t0 is the fixed start of every synthetic run.
var t0 = time.Date(2025, 1, 2, 3, 4, 5, 600000000, time.UTC)

// golden compares got with testdata/NAME, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run go test -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\n--- got:\n%s\n--- want:\n%s", name, got, want)
	}
}

// fixture is a parsed suite file with the options that render it.
type fixture struct {
	file *hcl.File
	opts Options
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	src, err := os.ReadFile(suiteFile)
	if err != nil {
		t.Fatal(err)
	}
	f, diags := hclsyntax.ParseConfig(src, suiteFile, hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	r := &spec.Redactor{}
	r.Add(secret)
	return fixture{
		file: f,
		opts: Options{
			Files:    map[string]*hcl.File{suiteFile: f},
			Redactor: r,
			Version:  "0.1.0",
			Now:      func() time.Time { return t0 },
		},
	}
}

// block finds the top-level block TYPE "NAME".
func (f fixture) block(t *testing.T, typ, name string) *hclsyntax.Block {
	t.Helper()
	for _, b := range f.file.Body.(*hclsyntax.Body).Blocks {
		if b.Type == typ && len(b.Labels) > 0 && b.Labels[0] == name {
			return b
		}
	}
	t.Fatalf("no %s %q in %s", typ, name, suiteFile)
	return nil
}

// condition is the condition expression of the i-th assert block of an
// invocation, as parsed from the real file.
func (f fixture) condition(t *testing.T, invocation string, i int) hcl.Expression {
	t.Helper()
	n := 0
	for _, b := range f.block(t, "invocation", invocation).Body.Blocks {
		if b.Type != "assert" {
			continue
		}
		if n == i {
			return b.Body.Attributes["condition"].Expr
		}
		n++
	}
	t.Fatalf("invocation %q has no assert[%d]", invocation, i)
	return nil
}

func (f fixture) info(t *testing.T, name, key string) *executor.InvocationInfo {
	t.Helper()
	addr, fn := "invocation."+name, "function."+name
	if key != "" {
		addr += `["` + key + `"]`
		fn = `function.ping["` + key + `"]`
	}
	switch name {
	case "create":
		fn = "function.create_order"
	case "get":
		fn = "function.get_order"
	}
	return &executor.InvocationInfo{
		Addr:     addr,
		Name:     name,
		Key:      key,
		Provider: "provider.local",
		Function: fn,
		Tags:     []string{"smoke"},
		Range:    f.block(t, "invocation", name).DefRange(),
	}
}

var sensitiveKey = cty.StringVal(secret).Mark(spec.Sensitive)

// events is a synthetic run: a fail (with an assertion diagnostic showing
// values), a pass with a warning (sensitive values involved), an error whose
// message holds a secret, a skip, a plain pass, outputs, a run-level
// diagnostic and the summary.
func (f fixture) events(t *testing.T) []executor.Event {
	t.Helper()
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }

	create := f.info(t, "create", "")
	get := f.info(t, "get", "")
	ping := f.info(t, "ping", "a")
	rep := f.info(t, "report", "")
	health := f.info(t, "health", "")

	createJSON := cty.ObjectVal(map[string]cty.Value{
		"id":     cty.StringVal("ord-1"),
		"qty":    cty.NumberIntVal(2),
		"status": cty.StringVal("created"),
	})
	createVal := cty.ObjectVal(map[string]cty.Value{
		"status":               cty.NumberIntVal(200),
		"error":                cty.False,
		"body":                 cty.StringVal(`{"id":"ord-1","qty":2,"status":"created"}`),
		"json":                 createJSON,
		"headers":              cty.MapVal(map[string]cty.Value{"content-type": cty.StringVal("application/json")}),
		"duration_ms":          cty.NumberIntVal(12),
		"function_duration_ms": cty.NullVal(cty.Number),
		"attempts":             cty.NumberIntVal(2),
	})
	createDiag := &hcl.Diagnostic{
		Severity:    hcl.DiagError,
		Summary:     "Assertion failed",
		Detail:      "expected qty 3, got 2",
		Subject:     f.condition(t, "create", 0).Range().Ptr(),
		Expression:  f.condition(t, "create", 0),
		EvalContext: &hcl.EvalContext{Variables: map[string]cty.Value{"self": createVal}},
	}

	getVal := cty.ObjectVal(map[string]cty.Value{
		"status":      cty.NumberIntVal(200),
		"error":       cty.False,
		"body":        cty.StringVal(`{"echo":"` + secret + `"}`),
		"json":        cty.ObjectVal(map[string]cty.Value{"echo": cty.StringVal(secret)}),
		"headers":     cty.MapVal(map[string]cty.Value{"x-key": sensitiveKey}),
		"duration_ms": cty.NumberFloatVal(12.5),
		"attempts":    cty.NumberIntVal(1),
	})
	getDiag := &hcl.Diagnostic{
		Severity:   hcl.DiagWarning,
		Summary:    "Assertion failed",
		Detail:     "slow but working",
		Subject:    f.condition(t, "get", 0).Range().Ptr(),
		Expression: f.condition(t, "get", 0),
		EvalContext: &hcl.EvalContext{Variables: map[string]cty.Value{
			"self": getVal,
			"var":  cty.ObjectVal(map[string]cty.Value{"api_key": sensitiveKey}),
		}},
	}

	pingRange := ping.Range
	pingErr := "dial tcp 127.0.0.1:9: connection refused (key " + secret + ")"
	pingDiag := &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Invocation failed",
		Detail:   "invocation.ping[\"a\"] could not be made after 2 attempts: " + pingErr,
		Subject:  &pingRange,
	}

	healthVal := cty.ObjectVal(map[string]cty.Value{
		"status": cty.NumberIntVal(200),
		"body":   cty.StringVal("ok"),
		"json":   cty.NullVal(cty.DynamicPseudoType),
	})

	return []executor.Event{
		{Type: executor.EventRunStart, Time: at(0), Summary: &executor.Summary{Total: 5}},
		{Type: executor.EventStart, Time: at(1), Invocation: create},
		{Type: executor.EventStart, Time: at(1), Invocation: get},
		{Type: executor.EventStart, Time: at(2), Invocation: ping},
		{Type: executor.EventStart, Time: at(2), Invocation: health},
		{Type: executor.EventAttempt, Time: at(10), Invocation: create, Attempt: &executor.AttemptInfo{
			Number: 1, HTTPStatus: 429, Duration: ms(8), Retry: true, Reason: "throttled", Wait: ms(200),
		}},
		{Type: executor.EventAttempt, Time: at(11), Invocation: health, Attempt: &executor.AttemptInfo{
			Number: 1, HTTPStatus: 200, Duration: ms(9),
		}},
		{Type: executor.EventAssertion, Time: at(11), Invocation: health, Assertion: &executor.AssertionInfo{
			Kind: "expect", Name: "expect.status", Passed: true, Severity: "error",
		}},
		{Type: executor.EventResult, Time: at(11), Invocation: health, Result: &executor.ResultInfo{
			Status: executor.StatusPass, Duration: ms(9), Attempts: 1, Value: healthVal,
		}},
		{Type: executor.EventAttempt, Time: at(13), Invocation: get, Attempt: &executor.AttemptInfo{
			Number: 1, HTTPStatus: 200, Duration: ms(12),
		}},
		{Type: executor.EventAssertion, Time: at(13), Invocation: get, Assertion: &executor.AssertionInfo{
			Kind: "assert", Name: "assert[0]", Passed: false, Severity: "warn", Diag: getDiag,
		}},
		{Type: executor.EventResult, Time: at(13), Invocation: get, Result: &executor.ResultInfo{
			Status: executor.StatusPass, Duration: ms(12), Attempts: 1, Value: getVal,
			Diags: hcl.Diagnostics{getDiag},
		}},
		{Type: executor.EventAttempt, Time: at(20), Invocation: ping, Attempt: &executor.AttemptInfo{
			Number: 1, Duration: ms(3), Err: pingErr, Retry: true, Reason: "transport", Wait: ms(100),
		}},
		{Type: executor.EventAttempt, Time: at(124), Invocation: ping, Attempt: &executor.AttemptInfo{
			Number: 2, Duration: ms(2), Err: pingErr, Reason: "transport",
		}},
		{Type: executor.EventResult, Time: at(124), Invocation: ping, Result: &executor.ResultInfo{
			Status: executor.StatusError, Reason: pingErr, Duration: ms(122), Attempts: 2, Value: cty.NilVal,
			Diags: hcl.Diagnostics{pingDiag},
		}},
		{Type: executor.EventResult, Time: at(124), Invocation: rep, Result: &executor.ResultInfo{
			Status: executor.StatusSkip, Reason: `dependency invocation.ping["a"] errored`, Value: cty.NilVal,
		}},
		{Type: executor.EventAttempt, Time: at(221), Invocation: create, Attempt: &executor.AttemptInfo{
			Number: 2, HTTPStatus: 200, Duration: ms(12),
		}},
		{Type: executor.EventAssertion, Time: at(221), Invocation: create, Assertion: &executor.AssertionInfo{
			Kind: "expect", Name: "expect.status", Passed: true, Severity: "error",
		}},
		{Type: executor.EventAssertion, Time: at(221), Invocation: create, Assertion: &executor.AssertionInfo{
			Kind: "assert", Name: "assert[0]", Passed: false, Severity: "error", Diag: createDiag,
		}},
		{Type: executor.EventResult, Time: at(221), Invocation: create, Result: &executor.ResultInfo{
			Status: executor.StatusFail, Duration: ms(220), Attempts: 2, Value: createVal,
			Diags: hcl.Diagnostics{createDiag},
			Repro: &executor.ReproInfo{
				Tool: "Alibaba Cloud CLI", Doc: "https://example.com/doc",
				Command:     "aliyun fc POST /2023-03-30/functions/create-order/invocations --qualifier prod --header X-Fc-Invocation-Type=Sync --body \"$(cat repro/invocation.create-0123456789.json)\" --region cn-hangzhou",
				Rerun:       "fnprobe run -target=invocation.create -var=note='it'\\''s\nmultiline' testdata",
				PayloadFile: "repro/invocation.create-0123456789.json",
				Note:        "a caveat",
			},
		}},
		{Type: executor.EventOutputs, Time: at(222), Outputs: []executor.OutputInfo{
			{Name: "order_id", Value: cty.StringVal("ord-1")},
			{Name: "token", Value: sensitiveKey, Sensitive: true},
			{Name: "info", Value: cty.ObjectVal(map[string]cty.Value{
				"region":    cty.StringVal("cn-hangzhou"),
				"tags":      cty.TupleVal([]cty.Value{cty.StringVal("smoke"), cty.StringVal("canary")}),
				"weird key": cty.NumberFloatVal(1.5),
				"key":       sensitiveKey,
				"empty":     cty.EmptyObjectVal,
			})},
			{Name: "broken", Value: cty.NilVal},
		}},
		{Type: executor.EventDiagnostic, Time: at(222), Diags: hcl.Diagnostics{{
			Severity: hcl.DiagWarning,
			Summary:  "Output not evaluated",
			Detail:   `The output "broken" refers to invocation.ping["a"], which errored.`,
		}}},
		{Type: executor.EventSummary, Time: at(223), Summary: &executor.Summary{
			Total: 5, Passed: 2, Failed: 1, Errored: 1, Skipped: 1, Warnings: 1,
			Duration: ms(1500), ExitCode: 1,
		}},
	}
}

func run(obs executor.Observer, events []executor.Event) {
	for _, e := range events {
		obs.Event(e)
	}
}

func TestHuman(t *testing.T) {
	f := newFixture(t)
	for _, color := range []bool{false, true} {
		name := "human.golden"
		if color {
			name = "human_color.golden"
		}
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			opts := f.opts
			opts.Color = color
			h := NewHuman(&buf, opts)
			run(h, f.events(t))
			if err := h.Err(); err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(buf.Bytes(), []byte(secret)) {
				t.Errorf("the secret leaked into human output")
			}
			golden(t, name, buf.Bytes())
		})
	}
}

func TestWriteDiagnostics(t *testing.T) {
	f := newFixture(t)
	diags := configDiags(t, f)
	var buf bytes.Buffer
	WriteDiagnostics(&buf, diags, f.opts)
	golden(t, "diagnostics.golden", buf.Bytes())
}

// configDiags are validate-time diagnostics: a warning given first (to show
// that errors are printed first), an error with a context range spanning
// lines, and one about a file that is not available.
func configDiags(t *testing.T, f fixture) hcl.Diagnostics {
	t.Helper()
	get := f.block(t, "invocation", "get")
	hdr := get.Body.Attributes["headers"]
	return hcl.Diagnostics{
		{
			Severity: hcl.DiagWarning,
			Summary:  "Deprecated attribute",
			Detail:   "The \"headers\" attribute will be renamed in a later version; this detail is long enough that it needs to be wrapped over several lines when printed.",
			Subject:  hdr.NameRange.Ptr(),
		},
		{
			Severity: hcl.DiagError,
			Summary:  "Unsupported argument",
			Detail:   `An argument named "payload" is not expected here. Did you mean "payloads"?`,
			Subject:  hdr.Expr.Range().Ptr(),
			Context:  get.Range().Ptr(),
		},
		{
			Severity: hcl.DiagError,
			Summary:  "Missing file",
			Subject:  &hcl.Range{Filename: "elsewhere.probe.hcl", Start: hcl.Pos{Line: 3, Column: 1, Byte: 20}, End: hcl.Pos{Line: 3, Column: 5, Byte: 24}},
		},
		{
			Severity: hcl.DiagError,
			Summary:  "No invocation selected",
			Detail:   "The -tag and -target flags selected nothing; use -allow-empty to accept that.",
		},
	}
}
