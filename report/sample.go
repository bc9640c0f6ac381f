package report

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/executor"
)

// What the reports show of a sample: a progress line every 10 s while it
// runs, a one-line message when it ends, and in the human summary one
// k6-like block per sampled invocation.

// sampleRate is the rate achieved: calls done per second of sampling.
func sampleRate(si *executor.SampleInfo) float64 {
	if si.Elapsed <= 0 {
		return 0
	}
	return float64(si.Done) / si.Elapsed.Seconds()
}

// progressDue says whether a sample_progress event of addr at elapsed is
// due in a view that prints one every ProgressInterval (the executor sends
// one every second, for live lines); next holds each address's next due
// time.
func progressDue(next map[string]time.Duration, addr string, elapsed time.Duration) bool {
	due := next[addr]
	if due == 0 {
		due = ProgressInterval
	}
	if elapsed < due {
		next[addr] = due
		return false
	}
	next[addr] = (elapsed/ProgressInterval + 1) * ProgressInterval
	return true
}

func progressMessage(addr string, si *executor.SampleInfo) string {
	return fmt.Sprintf("%s: sampling: %d of %d calls, %.1f/s, %d failed, %d errored, %s elapsed",
		addr, si.Done, si.Planned+si.Warmup, sampleRate(si), si.Failed, si.Errored, si.Elapsed.Round(time.Second))
}

func sampleMessage(addr string, si *executor.SampleInfo) string {
	msg := fmt.Sprintf("%s: sample of %d calls done in %s (%.1f/s), %d failed, %d errored",
		addr, si.Done, formatDuration(si.Elapsed), sampleRate(si), si.Failed, si.Errored)
	if d := statAttr(si.Stats, "duration_ms"); isKnownObject(d) {
		msg += fmt.Sprintf("; round trip p50 %s, p95 %s, p99 %s, max %s ms",
			num(d, "p50"), num(d, "p95"), num(d, "p99"), num(d, "max"))
	}
	return msg
}

// sampleBlock renders the summary of one sampled invocation for people;
// src returns the source text of a range, for the gates. Every string has
// been cleaned by the caller (clean).
func sampleBlock(addr string, si *executor.SampleInfo, p palette, clean func(string) string, src func(executor.AssertionInfo) string) string {
	var b strings.Builder
	row := func(name, value string) {
		fmt.Fprintf(&b, "  %s %s\n", (name + " " + strings.Repeat(".", 22))[:22], value)
	}
	b.WriteString(p.paint(clean(addr), ansiBold) + "\n")
	calls := fmt.Sprintf("%d in %s, %.1f/s", si.Done, formatDuration(si.Elapsed), sampleRate(si))
	if si.Rate > 0 {
		calls += fmt.Sprintf(" (rate %g/s asked)", si.Rate)
	}
	if si.Warmup > 0 {
		calls += fmt.Sprintf(", %d warmup not counted", si.Warmup)
	}
	row("calls", calls)
	st := si.Stats
	if st != cty.NilVal && !st.IsNull() {
		row("outcomes", fmt.Sprintf("%s passed, %s failed, %s errored, %s throttled, error rate %s",
			num(st, "passed"), num(st, "failed"), num(st, "errored"), num(st, "throttled"), percent(st, "error_rate")))
		for _, name := range []string{"duration_ms", "function_duration_ms", "billed_duration_ms"} {
			if d := statAttr(st, name); isKnownObject(d) {
				row(name, fmt.Sprintf("min=%s p50=%s p90=%s p95=%s p99=%s max=%s",
					num(d, "min"), num(d, "p50"), num(d, "p90"), num(d, "p95"), num(d, "p99"), num(d, "max")))
			}
		}
		if v := statAttr(st, "versions"); v.IsKnown() && !v.IsNull() && v.LengthInt() > 0 {
			var parts []string
			for it := v.ElementIterator(); it.Next(); {
				k, n := it.Element()
				parts = append(parts, clean(k.AsString())+"="+numText(n))
			}
			sort.Strings(parts)
			row("versions", strings.Join(parts, " "))
		}
		for _, name := range []string{"instances", "cold_starts", "memory_mb_max"} {
			if v := statAttr(st, name); v.IsKnown() && !v.IsNull() {
				row(name, numText(v))
			}
		}
	}
	for _, g := range si.Gates {
		mark := p.paint("✓", ansiGreen)
		if !g.Passed {
			mark = p.paint("✗", ansiRed)
			if g.Severity == "warn" {
				mark = p.paint("!", ansiYellow)
			}
		}
		line := "  " + mark + " " + clean(g.Name)
		if s := src(*g); s != "" {
			line += "  " + clean(s)
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

// junitSampleProperties are the statistics of a sample as properties of
// the JUnit test suite, named after the invocation (Jenkins' schema has no
// properties on a test case).
func junitSampleProperties(addr string, si *executor.SampleInfo) []xmlProperty {
	st := si.Stats
	if st == cty.NilVal || st.IsNull() || !st.IsKnown() {
		return nil
	}
	var out []xmlProperty
	add := func(name, value string) {
		out = append(out, xmlProperty{Name: addr + ".stats." + name, Value: value})
	}
	for _, name := range []string{"count", "passed", "failed", "errored", "throttled", "error_rate"} {
		add(name, num(st, name))
	}
	for _, name := range []string{"duration_ms", "function_duration_ms", "billed_duration_ms"} {
		if d := statAttr(st, name); isKnownObject(d) {
			for _, q := range []string{"min", "mean", "p50", "p90", "p95", "p99", "max"} {
				add(name+"."+q, num(d, q))
			}
		}
	}
	if v := statAttr(st, "versions"); v.IsKnown() && !v.IsNull() {
		for it := v.ElementIterator(); it.Next(); {
			k, n := it.Element()
			add("versions."+k.AsString(), numText(n))
		}
	}
	for _, name := range []string{"instances", "cold_starts", "memory_mb_max"} {
		if v := statAttr(st, name); v.IsKnown() && !v.IsNull() {
			add(name, numText(v))
		}
	}
	for _, g := range si.Gates {
		add("gate."+g.Name, fmt.Sprint(g.Passed))
	}
	return out
}

func statAttr(v cty.Value, name string) cty.Value {
	if v == cty.NilVal || !v.IsKnown() || v.IsNull() || !v.Type().IsObjectType() || !v.Type().HasAttribute(name) {
		return cty.NullVal(cty.DynamicPseudoType)
	}
	return v.GetAttr(name)
}

func isKnownObject(v cty.Value) bool {
	return v.IsKnown() && !v.IsNull() && v.Type().IsObjectType()
}

// num is the number attribute name of v as text, "-" when null.
func num(v cty.Value, name string) string {
	return numText(statAttr(v, name))
}

func numText(v cty.Value) string {
	if !v.IsKnown() || v.IsNull() || v.Type() != cty.Number {
		return "-"
	}
	f, _ := v.AsBigFloat().Float64()
	return decimal(f)
}

func percent(v cty.Value, name string) string {
	a := statAttr(v, name)
	if !a.IsKnown() || a.IsNull() || a.Type() != cty.Number {
		return "-"
	}
	f, _ := a.AsBigFloat().Float64()
	return decimal(f*100) + "%"
}

// decimal prints f with at most 3 decimals and no trailing zeros.
func decimal(f float64) string {
	s := strconv.FormatFloat(f, 'f', 3, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}
