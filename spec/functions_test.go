package spec_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/spec"
)

func TestFunctions(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "order.json"), []byte(`{"sku":"A1"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "binary.bin"), []byte{0xff, 0xfe}, 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"REGION": "cn-hangzhou"}
	funcs := spec.Functions(dir, func(n string) string { return env[n] })
	vars := map[string]cty.Value{
		"secret": cty.StringVal("hunter22").Mark(spec.Sensitive),
		"unk":    cty.UnknownVal(cty.String),
		"list":   cty.ListVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")}),
		"pin":    cty.NumberIntVal(9).Mark(spec.Sensitive),
		"partly": cty.ListVal([]cty.Value{cty.NumberIntVal(1), cty.UnknownVal(cty.Number)}),
	}
	for _, tc := range []struct {
		expr    string
		want    cty.Value
		wantErr string
	}{
		// length: strings (characters, not bytes) as well as collections.
		{expr: `length("abc")`, want: cty.NumberIntVal(3)},
		{expr: `length("héllo")`, want: cty.NumberIntVal(5)},
		{expr: `length("")`, want: cty.NumberIntVal(0)},
		{expr: `length([1, 2])`, want: cty.NumberIntVal(2)},
		{expr: `length({ a = 1 })`, want: cty.NumberIntVal(1)},
		{expr: `length(tomap({ a = 1, b = 2 }))`, want: cty.NumberIntVal(2)},
		{expr: `length(toset(["a", "a"]))`, want: cty.NumberIntVal(1)},
		{expr: `length(v.list)`, want: cty.NumberIntVal(2)},
		{expr: `length(v.secret)`, want: cty.NumberIntVal(8).Mark(spec.Sensitive)},
		{expr: `length(v.unk)`, want: cty.UnknownVal(cty.Number).Refine().NotNull().NumberRangeLowerBound(cty.Zero, true).NewValue()},
		{expr: `length(1)`, wantErr: "must be a string, a collection or a structural value"},
		{expr: `length(null)`, wantErr: "must not be null"},

		{expr: `env("REGION")`, want: cty.StringVal("cn-hangzhou")},
		{expr: `env("NOPE")`, want: cty.StringVal("")},
		{expr: `env("NOPE", "dflt")`, want: cty.StringVal("dflt")},
		{expr: `env("REGION", "dflt")`, want: cty.StringVal("cn-hangzhou")},
		{expr: `env("A", "b", "c")`, wantErr: "at most one default"},

		{expr: `file("order.json")`, want: cty.StringVal(`{"sku":"A1"}`)},
		{expr: `jsondecode(file("order.json")).sku`, want: cty.StringVal("A1")},
		{expr: `file("missing.json")`, wantErr: "no such file"},
		{expr: `file("binary.bin")`, wantErr: "not valid UTF-8"},

		{expr: `base64encode("hi")`, want: cty.StringVal("aGk=")},
		{expr: `base64decode("aGk=")`, want: cty.StringVal("hi")},
		{expr: `base64decode("!")`, wantErr: "invalid base64"},
		{expr: `sha256("")`, want: cty.StringVal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")},
		{expr: `md5("a")`, want: cty.StringVal("0cc175b9c0f1b6a831c399e269772661")},
		{expr: `urlencode("a b&c")`, want: cty.StringVal("a+b%26c")},
		{expr: `startswith("cn-hangzhou", "cn-")`, want: cty.True},
		{expr: `endswith("cn-hangzhou", "cn-")`, want: cty.False},
		{expr: `strcontains("abc", "b")`, want: cty.True},
		{expr: `length(uuid())`, want: cty.NumberIntVal(36)},
		{expr: `can(regex("^[0-9]+$", "12"))`, want: cty.True},
		{expr: `try(jsondecode("nope"), "fallback")`, want: cty.StringVal("fallback")},
		{expr: `upper(v.secret)`, want: cty.StringVal("HUNTER22").Mark(spec.Sensitive)},

		// Sample statistics (package stats).
		{expr: `percentile([1, 2, 3, 4], 50)`, want: cty.NumberFloatVal(2.5)},
		{expr: `percentile([4, 3, 2, 1], 90)`, want: cty.NumberFloatVal(3.7)},
		{expr: `percentile([1, v.pin], 100)`, want: cty.NumberFloatVal(9).Mark(spec.Sensitive)},
		{expr: `percentile(v.partly, 50)`, want: cty.UnknownVal(cty.Number)},
		{expr: `percentile([], 50)`, wantErr: "the list is empty"},
		{expr: `percentile([1], 100.5)`, wantErr: "between 0 and 100"},
		{expr: `mann_whitney_p([6, 7, 8, 9, 10], [1, 2, 3, 4, 5])`, want: cty.NumberFloatVal(1.0 / 252)},
		{expr: `mann_whitney_p([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])`, want: cty.NumberFloatVal(1)},
		{expr: `mann_whitney_p([6, 7, 8], [1, 2, 3]) < 0.1 && percentile([6, 7, 8], 50) > 1.1 * percentile([1, 2, 3], 50)`, want: cty.True},
		{expr: `mann_whitney_p([1], v.partly)`, want: cty.UnknownVal(cty.Number)},
		{expr: `mann_whitney_p([1], [])`, wantErr: "the list is empty"},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			expr, diags := hclsyntax.ParseExpression([]byte(tc.expr), "test.hcl", hcl.InitialPos)
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			got, diags := expr.Value(&hcl.EvalContext{
				Variables: map[string]cty.Value{"v": cty.ObjectVal(vars)},
				Functions: funcs,
			})
			if tc.wantErr != "" {
				if !diags.HasErrors() || !strings.Contains(diags.Error(), tc.wantErr) {
					t.Fatalf("got %#v, %v; want an error containing %q", got, diags, tc.wantErr)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			if !got.RawEquals(tc.want) {
				t.Errorf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

func TestRedactor(t *testing.T) {
	for _, tc := range []struct {
		name    string
		secrets []string
		values  []cty.Value
		in      string
		want    string
	}{
		{name: "nothing registered", in: "token abcd", want: "token abcd"},
		{name: "a secret", secrets: []string{"s3cr3t"}, in: "auth s3cr3t failed: s3cr3t", want: "auth (sensitive) failed: (sensitive)"},
		{name: "short strings are not secrets", secrets: []string{"", "1", "abc"}, in: "abc 1", want: "abc 1"},
		{name: "the longest secret wins", secrets: []string{"abcd", "abcdefgh"}, in: "abcdefgh abcd", want: "(sensitive) (sensitive)"},
		{name: "duplicates are harmless", secrets: []string{"abcd", "abcd"}, in: "abcd", want: "(sensitive)"},
		{
			name:   "every string and number inside a value",
			values: []cty.Value{cty.ObjectVal(map[string]cty.Value{"key": cty.StringVal("ak-1234"), "pin": cty.NumberIntVal(98765), "on": cty.True}).Mark(spec.Sensitive)},
			in:     "key=ak-1234 pin=98765 on=true",
			want:   "key=(sensitive) pin=(sensitive) on=true",
		},
		{
			name:   "null and unknown values are skipped",
			values: []cty.Value{cty.NullVal(cty.String), cty.UnknownVal(cty.String), cty.ListVal([]cty.Value{cty.StringVal("list-secret")})},
			in:     "a list-secret",
			want:   "a (sensitive)",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &spec.Redactor{}
			r.Add(tc.secrets...)
			for _, v := range tc.values {
				r.AddValue(v)
			}
			if got := r.String(tc.in); got != tc.want {
				t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if got := string(r.Bytes([]byte(tc.in))); got != tc.want {
				t.Errorf("Bytes(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}

	var nilR *spec.Redactor
	if got := nilR.String("x"); got != "x" {
		t.Errorf("nil Redactor: %q", got)
	}
}

func TestRedactorConcurrent(t *testing.T) {
	r := &spec.Redactor{}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			r.Add(strings.Repeat(string(rune('a'+i)), 5))
		}()
		go func() {
			defer wg.Done()
			_ = r.String("aaaaa bbbbb")
		}()
	}
	wg.Wait()
	if got := r.String("aaaaa hhhhh zzzzz"); got != "(sensitive) (sensitive) zzzzz" {
		t.Errorf("got %q", got)
	}
}
