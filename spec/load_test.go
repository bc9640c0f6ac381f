package spec_test

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/spec"
)

func TestLoadDecodes(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"a.probe.hcl": `
settings {
  parallelism = 3
  timeout     = "1m30s"
  retry {
    attempts = 2
    backoff  = "150ms"
  }
}

variable "region" {
  type        = string
  default     = "cn-hangzhou"
  description = "Region under test"
  sensitive   = false

  validation {
    condition     = length(var.region) > 0
    error_message = "empty"
  }
}

locals {
  order = { sku = "A1" }
  qty   = 2
}

provider "local" {
  alias = "sh"
  dir   = "handlers"
}

function "echo" {
  provider = provider.local.sh
  command  = ["cat"]
}

invocation "create" {
  function     = function.echo
  payload_file = "order.json"
  type         = "sync"
  logs         = true
  tags         = ["smoke"]

  retry {
    until = self.status == 200
  }

  expect {
    max_duration = "1s"
    status       = 200
    json         = { ok = true }
  }

  assert {
    condition = self.json.qty == local.qty
  }

  assert {
    condition = self.duration_ms < 300
    severity  = "warn"
  }
}

output "id" {
  value       = invocation.create.json.id
  description = "the order"
  sensitive   = true
}
`,
		// Functions may name providers declared in a later file.
		"b.probe.json": `{
  "function": {"late": {"provider": "provider.http", "url": "http://127.0.0.1:1/"}},
  "provider": {"http": {}}
}`,
	})
	cfg, diags := spec.Load(spec.NewParser(), dir, spec.LoadOptions{Registry: providersWithHTTP(), Getenv: func(string) string { return "" }})
	if len(diags) > 0 {
		t.Fatal(diags.Error())
	}
	got := []string{
		fmt.Sprintf("settings: parallelism=%d timeout=%s attempts=%d backoff=%s", cfg.Settings.Parallelism, cfg.Settings.Timeout, cfg.Settings.Retry.Attempts, cfg.Settings.Retry.Backoff),
		fmt.Sprintf("files: %d", len(cfg.Files)),
		fmt.Sprintf("variables: %v", spec.SortedKeys(cfg.Variables)),
		fmt.Sprintf("locals: %v", spec.SortedKeys(cfg.Locals)),
		fmt.Sprintf("providers: %v", spec.SortedKeys(cfg.Providers)),
		fmt.Sprintf("functions: %v", spec.SortedKeys(cfg.Functions)),
		fmt.Sprintf("invocations: %v", spec.SortedKeys(cfg.Invocations)),
		fmt.Sprintf("outputs: %v", spec.SortedKeys(cfg.Outputs)),
	}
	want := []string{
		"settings: parallelism=3 timeout=1m30s attempts=2 backoff=150ms",
		"files: 2",
		"variables: [region]",
		"locals: [order qty]",
		"providers: [http local.sh]",
		"functions: [echo late]",
		"invocations: [create]",
		"outputs: [id]",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}

	v := cfg.Variables["region"]
	if v.Type != cty.String || !v.Default.RawEquals(cty.StringVal("cn-hangzhou")) || v.Description != "Region under test" || v.Sensitive || len(v.Validations) != 1 {
		t.Errorf("variable: %+v", v)
	}
	if p := cfg.Providers["local.sh"]; p.Type != "local" || p.Alias != "sh" || p.Addr() != "local.sh" {
		t.Errorf("provider: %+v", p)
	}
	inv := cfg.Invocations["create"]
	if inv.Payload != nil || inv.PayloadFile == nil || inv.Wait != nil || inv.Timeout != nil || inv.ForEach != nil || inv.Retry.Until == nil || inv.Retry.Attempts != nil {
		t.Errorf("invocation attributes: %+v", inv)
	}
	var checks []string
	for _, c := range inv.Expect.Checks() {
		checks = append(checks, c.Name)
	}
	if want := []string{"status", "json", "max_duration"}; !reflect.DeepEqual(checks, want) {
		t.Errorf("expect checks %v, want %v (fixed order)", checks, want)
	}
	if len(inv.Asserts) != 2 || inv.Asserts[0].Severity != "error" || inv.Asserts[1].Severity != "warn" || inv.Asserts[0].ErrorMessage != nil {
		t.Errorf("asserts: %+v %+v", inv.Asserts[0], inv.Asserts[1])
	}
	if o := cfg.Outputs["id"]; o.Description != "the order" || !o.Sensitive {
		t.Errorf("output: %+v", o)
	}
	if (*spec.Expect)(nil).Checks() != nil {
		t.Error("nil Expect has checks")
	}
	if _, err := cfg.ProviderFor("nope"); err == nil {
		t.Error("ProviderFor(nope) succeeded")
	}
	if d := cfg.Invocations["create"].DeclRange; filepath.Base(d.Filename) != "a.probe.hcl" || d.Start.Line != 38 {
		t.Errorf("DeclRange %s", d)
	}
}

func TestValueConversions(t *testing.T) {
	for _, tc := range []struct {
		v       cty.Value
		min     int
		want    int
		wantErr string
	}{
		{v: cty.NumberIntVal(3), min: 1, want: 3},
		{v: cty.StringVal("4"), min: 1, want: 4},
		{v: cty.NumberIntVal(3).Mark(spec.Sensitive), min: 1, want: 3},
		{v: cty.NumberIntVal(0), min: 1, wantErr: "at least 1, not 0"},
		{v: cty.NumberFloatVal(1.5), min: 1, wantErr: "whole number, not 1.5"},
		{v: cty.NumberIntVal(1 << 40), min: 1, wantErr: "at least 1"},
		{v: cty.NullVal(cty.Number), min: 1, wantErr: "must not be null"},
		{v: cty.UnknownVal(cty.Number), min: 1, wantErr: "must be known"},
		{v: cty.True, min: 1, wantErr: "whole number"},
	} {
		got, err := spec.IntValue(tc.v, tc.min)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("IntValue(%#v) = %d, %v; want error %q", tc.v, got, err, tc.wantErr)
			}
		} else if err != nil || got != tc.want {
			t.Errorf("IntValue(%#v) = %d, %v; want %d", tc.v, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		v       cty.Value
		want    time.Duration
		wantErr string
	}{
		{v: cty.StringVal("200ms"), want: 200 * time.Millisecond},
		{v: cty.StringVal("1m30s"), want: 90 * time.Second},
		{v: cty.StringVal("1s").Mark(spec.Sensitive), want: time.Second},
		{v: cty.StringVal("0s"), wantErr: "positive"},
		{v: cty.StringVal("-1s"), wantErr: "positive"},
		{v: cty.StringVal("10"), wantErr: `not "10"`},
		{v: cty.NumberIntVal(10), wantErr: "duration string"},
		{v: cty.NullVal(cty.String), wantErr: "must not be null"},
		{v: cty.UnknownVal(cty.String), wantErr: "must be known"},
	} {
		got, err := spec.DurationValue(tc.v)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("DurationValue(%#v) = %s, %v; want error %q", tc.v, got, err, tc.wantErr)
			}
		} else if err != nil || got != tc.want {
			t.Errorf("DurationValue(%#v) = %s, %v; want %s", tc.v, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		given      string
		candidates []string
		want       string
	}{
		{"invocaton", []string{"invocation", "function"}, "invocation"},
		{"regoin", []string{"region", "zone"}, "region"},
		{"xyz", []string{"region", "zone"}, ""},
		{"a", nil, ""},
		// A swap is one slip: status, not stats (one deletion away), in
		// either order of the candidates.
		{"stauts", []string{"stats", "status"}, "status"},
		{"stauts", []string{"status", "stats"}, "status"},
		{"stas", []string{"stats", "status"}, "stats"},
	} {
		if got := spec.Suggest(tc.given, tc.candidates); got != tc.want {
			t.Errorf("Suggest(%q) = %q, want %q", tc.given, got, tc.want)
		}
	}
}
