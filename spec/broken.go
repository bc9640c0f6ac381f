package spec

import (
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Broken is the cty mark on the unknown value that stands for a block, a
// variable or an expression whose error was reported already. Marks
// propagate, so whatever is computed from it carries the mark too, and the
// planner reports nothing more about it: one mistake, one diagnostic.
const Broken = "broken"

// BrokenVal is the value of something that failed: unknown and marked.
var BrokenVal = cty.DynamicVal.Mark(Broken)

// FromBroken reports whether v is not wholly known because of an error
// reported already.
func FromBroken(v cty.Value) bool {
	return fromMark(v, Broken)
}

func fromMark(v cty.Value, mark string) bool {
	if v.IsWhollyKnown() {
		return false
	}
	if v.HasMark(mark) {
		return true
	}
	_, pvm := v.UnmarkDeepWithPaths()
	for _, pm := range pvm {
		if _, ok := pm.Marks[mark]; ok {
			return true
		}
	}
	return false
}

// blockKey is the typed address of a declared block: its kind ("variable",
// "provider", "function", "invocation", "output") and name (for providers,
// TYPE or TYPE.ALIAS).
type blockKey struct{ kind, name string }

// markFailed records a block that was declared but failed to decode, so
// that references to it are not reported again as undeclared.
func (c *Config) markFailed(kind, name string) {
	if c.failed == nil {
		c.failed = map[blockKey]bool{}
	}
	c.failed[blockKey{kind, name}] = true
}

// Failed reports whether a block of this kind and name was declared but
// had errors, reported already. A failed block may still be in the
// Config (decoded as far as it could be) or not.
func (c *Config) Failed(kind, name string) bool {
	return c.failed[blockKey{kind, name}]
}

// FailedNames returns the names of the failed blocks of a kind, sorted.
func (c *Config) FailedNames(kind string) []string {
	var out []string
	for k := range c.failed {
		if k.kind == kind {
			out = append(out, k.name)
		}
	}
	sort.Strings(out)
	return out
}

// Decoded reports whether every file was parsed and its blocks decoded, so
// that later stages (variables, planning) can look for more errors without
// reporting noise: false after a syntax error or an interruption.
func (c *Config) Decoded() bool { return c != nil && c.decoded }

// Invalid reports whether decoding found an error: the planner then
// checks everything it can but returns no plan.
func (c *Config) Invalid() bool { return c == nil || c.invalid }

// SortDiagnostics orders diagnostics as they are shown: those without a
// source (the command line) first, then by file, line and column; equal
// positions keep their order. Exact duplicates (a for_each body decoded
// once per key) are dropped.
func SortDiagnostics(diags hcl.Diagnostics) hcl.Diagnostics {
	type key struct {
		sev             hcl.DiagnosticSeverity
		summary, detail string
		rng             hcl.Range
		src             bool
	}
	seen := make(map[key]bool, len(diags))
	out := make(hcl.Diagnostics, 0, len(diags))
	for _, d := range diags {
		k := key{sev: d.Severity, summary: d.Summary, detail: d.Detail}
		if d.Subject != nil {
			k.rng, k.src = *d.Subject, true
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, d)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Subject, out[j].Subject
		if a != nil && strings.HasPrefix(a.Filename, "<") {
			a = nil // a -var value, an environment variable
		}
		if b != nil && strings.HasPrefix(b.Filename, "<") {
			b = nil
		}
		switch {
		case a == nil || b == nil:
			return a == nil && b != nil
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		case a.Start.Line != b.Start.Line:
			return a.Start.Line < b.Start.Line
		}
		return a.Start.Column < b.Start.Column
	})
	return out
}
