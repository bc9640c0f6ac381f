package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/providers/local"
)

// keysCases are for_each expressions that build 10,000 keys, the ways a
// suite writes them. go-cty's range() stops at 1,024 values, so ten
// thousand come from two ranges of 100.
var keysCases = []struct {
	name    string
	locals  string // extra locals, HCL attributes
	forEach string
}{
	{
		name:    "forexpr_tostring",
		forEach: `toset([for p in setproduct(range(100), range(100)) : "${p[0]}-${p[1]}"])`,
	},
	{
		name:    "flatten",
		forEach: `toset(flatten([for a in range(100) : [for b in range(100) : "${a}-${b}"]]))`,
	},
	{
		name: "setproduct_strings",
		locals: `  xs = toset([for i in range(100) : "x${i}"])
  ys = toset([for i in range(100) : "y${i}"])
`,
		forEach: `toset([for p in setproduct(local.xs, local.ys) : join("-", p)])`,
	},
	{
		// The same product of lists: a list of tuples, walked in order.
		name: "setproduct_lists",
		locals: `  xs = toset([for i in range(100) : "x${i}"])
  ys = toset([for i in range(100) : "y${i}"])
`,
		forEach: `toset([for p in setproduct(tolist(local.xs), tolist(local.ys)) : join("-", p)])`,
	},
	{
		name:    "map_forexpr",
		locals:  "  numbers = flatten([for a in range(100) : [for b in range(100) : a * 100 + b]])\n",
		forEach: `{ for i in local.numbers : "k${i}" => i }`,
	},
	{
		name:    "numbers_tostring",
		locals:  "  numbers = flatten([for a in range(100) : [for b in range(100) : a * 100 + b]])\n",
		forEach: `toset([for n in local.numbers : tostring(n)])`,
	},
	{
		name:    "numbers_set",
		locals:  "  numbers = flatten([for a in range(100) : [for b in range(100) : a * 100 + b]])\n",
		forEach: `toset(local.numbers)`,
	},
	{
		name:    "numbers_literal_set",
		locals:  "  numbers = [" + numberList(10000) + "]\n",
		forEach: `toset(local.numbers)`,
	},
}

func numberList(n int) string {
	nums := make([]string, n)
	for i := range nums {
		nums[i] = fmt.Sprint(i)
	}
	return strings.Join(nums, ", ")
}

// keysSuite writes a suite of one invocation whose for_each is forEach;
// with value, its payload and expected JSON read each.value too.
func keysSuite(tb testing.TB, locals, forEach string, value bool) string {
	tb.Helper()
	var sb strings.Builder
	sb.WriteString("provider \"local\" {}\n")
	sb.WriteString("function \"echo\" {\n  provider = provider.local\n  command  = [\"cat\"]\n}\n")
	if locals != "" {
		sb.WriteString("locals {\n" + locals + "}\n")
	}
	body := "{ key = each.key }"
	if value {
		body = "{ key = each.key, value = each.value }"
	}
	fmt.Fprintf(&sb, `invocation "fan" {
  for_each = %s
  function = function.echo
  payload  = %s
  expect {
    json = %s
  }
}
`, forEach, body, body)
	dir := tb.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.probe.hcl"), []byte(sb.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// BenchmarkKeys: validate + plan of 10,000 invocations whose for_each keys
// come from an expression (for-expressions, flatten, setproduct, a map
// built by a for-expression, numbers turned into strings). The budget is
// the one of BenchmarkValidatePlan10k: 1 s, whatever builds the keys.
func BenchmarkKeys(b *testing.B) {
	reg := providers.Registry{"local": local.New()}
	for _, c := range keysCases {
		for _, value := range []bool{false, true} {
			name := c.name
			if value {
				name += "/each_value"
			} else {
				name += "/each_key"
			}
			b.Run(name, func(b *testing.B) {
				dir := keysSuite(b, c.locals, c.forEach, value)
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					p := validateAndPlan(b, dir, reg)
					if len(p.Instances) != 10000 {
						b.Fatalf("%d instances", len(p.Instances))
					}
				}
			})
		}
	}
}

// TestKeysSuites: every suite of BenchmarkKeys plans 10,000 instances with
// the keys it means.
func TestKeysSuites(t *testing.T) {
	if testing.Short() {
		t.Skip("plans 8 suites of 10,000 invocations")
	}
	reg := providers.Registry{"local": local.New()}
	want := map[string]string{
		"forexpr_tostring":    `invocation.fan["99-99"]`,
		"flatten":             `invocation.fan["99-99"]`,
		"setproduct_strings":  `invocation.fan["x99-y99"]`,
		"setproduct_lists":    `invocation.fan["x99-y99"]`,
		"map_forexpr":         `invocation.fan["k9999"]`,
		"numbers_tostring":    `invocation.fan["9999"]`,
		"numbers_set":         `invocation.fan["9999"]`,
		"numbers_literal_set": `invocation.fan["9999"]`,
	}
	for _, c := range keysCases {
		t.Run(c.name, func(t *testing.T) {
			p := validateAndPlan(t, keysSuite(t, c.locals, c.forEach, true), reg)
			if len(p.Instances) != 10000 {
				t.Fatalf("%d instances", len(p.Instances))
			}
			found := false
			for _, inst := range p.Instances {
				if inst.Addr == want[c.name] {
					found = true
				}
			}
			if !found {
				t.Errorf("no %s among %s .. %s", want[c.name], p.Instances[0].Addr, p.Instances[len(p.Instances)-1].Addr)
			}
		})
	}
}

// TestForEachKeysEdges: the keys of sets that forEachItems takes in one walk
// and of those it leaves to go-cty's conversion, and its errors.
func TestForEachKeysEdges(t *testing.T) {
	reg := providers.Registry{"local": local.New()}
	for _, c := range []struct {
		forEach string
		keys    []string // nil: want an error with err
		err     string
	}{
		{forEach: `toset(["b", "a", "b", ""])`, keys: []string{"", "a", "b"}},
		{forEach: `toset([10, -1, 0, 2, 10])`, keys: []string{"-1", "0", "10", "2"}},
		{forEach: `toset([for i in range(3) : i * 1000000007])`, keys: []string{"0", "1000000007", "2000000014"}},
		{forEach: `toset([1.5, 2, 0.25, 1e3])`, keys: []string{"0.25", "1.5", "1000", "2"}},
		{forEach: `toset([9223372036854775807, 9223372036854775808])`, keys: []string{"9223372036854775807", "9223372036854775808"}},
		{forEach: `toset([true, false])`, keys: []string{"false", "true"}},
		{forEach: `toset([])`, keys: []string{}},
		{forEach: `toset(["a", null])`, err: "must not contain null"},
		{forEach: `toset([1, null])`, err: "must not contain null"},
		{forEach: `toset([{ a = 1 }])`, err: "set of strings"},
		{forEach: `toset(["a", var.secret])`, err: "sensitive value"},
		{forEach: `toset([var.secret])`, err: "sensitive value"},
	} {
		t.Run(c.forEach, func(t *testing.T) {
			dir := keysSuite(t, `  unused = 1
}
variable "secret" {
  type      = string
  default   = "s"
  sensitive = true
`, c.forEach, false)
			p, diags := buildPlan(t, dir, reg)
			if c.keys == nil {
				if !diags.HasErrors() || !strings.Contains(diags.Error(), c.err) {
					t.Fatalf("got %v, want an error with %q", diags, c.err)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			keys := []string{}
			for _, inst := range p.Instances {
				keys = append(keys, inst.Key)
			}
			if !slices.Equal(keys, c.keys) {
				t.Errorf("keys %q, want %q", keys, c.keys)
			}
		})
	}
}
