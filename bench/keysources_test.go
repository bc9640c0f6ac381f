package bench

import (
	"fmt"
	"strings"
	"testing"

	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/providers/local"
)

// keySources are for_each expressions that build 10,000 keys in the ways
// suites do: a for-expression over range, a flatten of nested lists, a
// setproduct, a map built by a for-expression, and numbers turned into
// strings (by tostring, and by for_each's own conversion of a set of
// numbers).
// (range() stops at 1,024 values, so local.nums, 0 … 9,999, is a literal.)
var keySources = []struct{ name, forEach string }{
	{"for", `toset([for n in local.nums : "k-${n}"])`},
	{"flatten", `toset(flatten([for a in range(100) : [for b in range(100) : "${a}-${b}"]]))`},
	{"setproduct", `toset([for p in setproduct(range(100), range(100)) : "${p[0]}-${p[1]}"])`},
	{"map", `{ for n in local.nums : "k${n}" => { n = n } }`},
	{"tostring", `toset([for n in local.nums : tostring(n)])`},
	{"numbers", `toset(local.nums)`},
}

// sourcesSuite writes a suite of one invocation whose for_each is forEach
// (10,000 instances), each reading each.key and each.value.
func sourcesSuite(tb testing.TB, forEach string) string {
	tb.Helper()
	nums := make([]string, 10000)
	for i := range nums {
		nums[i] = fmt.Sprint(i)
	}
	return writeSuiteFile(tb, fmt.Sprintf(`locals {
  nums = [%s]
}
provider "local" {}
function "echo" {
  command = ["cat"]
}
invocation "k" {
  for_each = %s
  function = function.echo
  payload  = { key = each.key, value = each.value }
  expect {
    json = { key = each.key }
  }
}
`, strings.Join(nums, ", "), forEach))
}

// BenchmarkKeys10k: validate + plan of 10,000 instances whose keys come
// from each of keySources. The budget is 1 s each.
func BenchmarkKeys10k(b *testing.B) {
	reg := providers.Registry{"local": local.New()}
	for _, ks := range keySources {
		b.Run(ks.name, func(b *testing.B) {
			dir := sourcesSuite(b, ks.forEach)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if p := validateAndPlan(b, dir, reg); len(p.Instances) != 10000 {
					b.Fatalf("%d instances", len(p.Instances))
				}
			}
		})
	}
}
