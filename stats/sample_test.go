package stats

import (
	"math"
	"sync"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"
)

func ptr[T any](v T) *T { return &v }

func TestSampleEmpty(t *testing.T) {
	var s Sample
	v := s.Value()
	if !v.Type().Equals(Type()) {
		t.Fatalf("type %#v, want %#v", v.Type(), Type())
	}
	want := map[string]cty.Value{
		"count": cty.NumberIntVal(0), "passed": cty.NumberIntVal(0), "failed": cty.NumberIntVal(0),
		"errored": cty.NumberIntVal(0), "throttled": cty.NumberIntVal(0), "error_rate": cty.NumberIntVal(0),
		"duration_ms":          cty.NullVal(DistributionType()),
		"function_duration_ms": cty.NullVal(DistributionType()),
		"billed_duration_ms":   cty.NullVal(DistributionType()),
		"memory_mb_max":        cty.NullVal(cty.Number),
		"instances":            cty.NullVal(cty.Number),
		"versions":             cty.MapValEmpty(cty.Number),
		"cold_starts":          cty.NullVal(cty.Number),
		"durations_ms":         cty.ListValEmpty(cty.Number),
	}
	checkAttrs(t, v, want)
	if s.Truncated() {
		t.Error("empty sample truncated")
	}
}

func TestSampleValue(t *testing.T) {
	calls := []Call{
		{Outcome: Passed, RoundTrip: 100 * time.Millisecond, FunctionDuration: ptr(80.5), BilledDuration: ptr(81.0),
			MemoryMB: ptr(60.0), InstanceID: "i-1", Version: "3", ColdStart: ptr(true)},
		{Outcome: Passed, RoundTrip: 1500 * time.Microsecond, FunctionDuration: ptr(1.0), BilledDuration: ptr(2.0),
			MemoryMB: ptr(64.0), InstanceID: "i-1", Version: "3", ColdStart: ptr(false)},
		{Outcome: Failed, Throttled: true, RoundTrip: 20 * time.Millisecond, InstanceID: "i-2", Version: "4"},
		// Errored with an answer (API error response): counts in durations.
		{Outcome: Errored, Throttled: true, RoundTrip: 5 * time.Millisecond, MemoryMB: ptr(math.NaN())},
		// Errored without an answer: not in durations.
		{Outcome: Errored, FunctionDuration: ptr(math.Inf(1))},
	}
	var s Sample
	for _, c := range calls {
		s.Add(c)
	}
	v := s.Value()
	if !v.Type().Equals(Type()) {
		t.Fatalf("type %#v, want %#v", v.Type(), Type())
	}
	// Round trips 100, 1.5, 20, 5 ms; sorted 1.5 5 20 100.
	// p50: h = 1.5 -> 5 + 0.5*15 = 12.5; p90: h = 2.7 -> 20 + 0.7*80 = 76;
	// p95: h = 2.85 -> 88; p99: h = 2.97 -> 97.6.
	checkAttrs(t, v, map[string]cty.Value{
		"count": cty.NumberIntVal(5), "passed": cty.NumberIntVal(2), "failed": cty.NumberIntVal(1),
		"errored": cty.NumberIntVal(2), "throttled": cty.NumberIntVal(2),
		"error_rate":           cty.NumberFloatVal(0.6),
		"duration_ms":          dist(1.5, 31.625, 12.5, 76, 88, 97.6, 100),
		"function_duration_ms": dist(1, 40.75, 40.75, 72.55, 76.525, 79.705, 80.5),
		"billed_duration_ms":   dist(2, 41.5, 41.5, 73.1, 77.05, 80.21, 81),
		"memory_mb_max":        cty.NumberFloatVal(64),
		"instances":            cty.NumberIntVal(2),
		"versions":             cty.MapVal(map[string]cty.Value{"3": cty.NumberIntVal(2), "4": cty.NumberIntVal(1)}),
		"cold_starts":          cty.NumberIntVal(1),
		"durations_ms": cty.ListVal([]cty.Value{
			cty.NumberFloatVal(100), cty.NumberFloatVal(1.5), cty.NumberFloatVal(20), cty.NumberFloatVal(5),
		}),
	})
}

func TestSampleColdStartsRevealedFalse(t *testing.T) {
	var s Sample
	s.Add(Call{Outcome: Passed, RoundTrip: time.Millisecond, ColdStart: ptr(false)})
	s.Add(Call{Outcome: Passed, RoundTrip: time.Millisecond})
	if got := s.Value().GetAttr("cold_starts"); !got.RawEquals(cty.NumberIntVal(0)) {
		t.Errorf("cold_starts = %#v, want 0", got)
	}
}

func TestSampleTruncated(t *testing.T) {
	var s Sample
	for i := range MaxCalls + 10 {
		o := Passed
		if i >= MaxCalls {
			o = Errored
		}
		s.Add(Call{Outcome: o, RoundTrip: time.Millisecond, Version: "1", InstanceID: "x",
			MemoryMB: ptr(float64(i)), ColdStart: ptr(i == MaxCalls+5)})
	}
	if !s.Truncated() {
		t.Error("not truncated")
	}
	v := s.Value()
	checkAttrs(t, v, map[string]cty.Value{
		"count":         cty.NumberIntVal(MaxCalls + 10),
		"passed":        cty.NumberIntVal(MaxCalls),
		"errored":       cty.NumberIntVal(10),
		"error_rate":    cty.NumberFloatVal(10.0 / (MaxCalls + 10)),
		"memory_mb_max": cty.NumberIntVal(MaxCalls + 9),
		"cold_starts":   cty.NumberIntVal(1),
		"versions":      cty.MapVal(map[string]cty.Value{"1": cty.NumberIntVal(MaxCalls)}),
	})
	if n := v.GetAttr("durations_ms").LengthInt(); n != MaxCalls {
		t.Errorf("%d durations kept, want %d", n, MaxCalls)
	}
}

func TestSampleConcurrent(t *testing.T) {
	var s Sample
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				s.Add(Call{Outcome: Outcome(i % 3), RoundTrip: time.Duration(g*1000+i+1) * time.Microsecond, InstanceID: string(rune('a' + g))})
				if i%100 == 0 {
					_ = s.Value()
				}
			}
		}()
	}
	wg.Wait()
	v := s.Value()
	if got := v.GetAttr("count"); !got.RawEquals(cty.NumberIntVal(4000)) {
		t.Errorf("count = %#v", got)
	}
	if got := v.GetAttr("instances"); !got.RawEquals(cty.NumberIntVal(8)) {
		t.Errorf("instances = %#v", got)
	}
	if n := v.GetAttr("durations_ms").LengthInt(); n != 4000 {
		t.Errorf("%d durations", n)
	}
}

// TestSampleDurationsMatchPercentile: percentile over durations_ms gives
// duration_ms's percentiles.
func TestSampleDurationsMatchPercentile(t *testing.T) {
	var s Sample
	for i := range 37 {
		s.Add(Call{RoundTrip: time.Duration((i*7919)%101+1) * 100 * time.Microsecond})
	}
	v := s.Value()
	got, err := PercentileFunc.Call([]cty.Value{v.GetAttr("durations_ms"), cty.NumberIntVal(95)})
	if err != nil {
		t.Fatal(err)
	}
	if want := v.GetAttr("duration_ms").GetAttr("p95"); !got.Equals(want).True() {
		t.Errorf("percentile(durations_ms, 95) = %#v, duration_ms.p95 = %#v", got, want)
	}
}

func dist(min, mean, p50, p90, p95, p99, max float64) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{
		"min": cty.NumberFloatVal(min), "mean": cty.NumberFloatVal(mean), "p50": cty.NumberFloatVal(p50),
		"p90": cty.NumberFloatVal(p90), "p95": cty.NumberFloatVal(p95), "p99": cty.NumberFloatVal(p99),
		"max": cty.NumberFloatVal(max),
	})
}

// checkAttrs compares the named attributes of v, numbers within 1e-9.
func checkAttrs(t *testing.T, v cty.Value, want map[string]cty.Value) {
	t.Helper()
	for name, w := range want {
		if g := v.GetAttr(name); !approxEqual(g, w) {
			t.Errorf("%s = %#v, want %#v", name, g, w)
		}
	}
}

func approxEqual(a, b cty.Value) bool {
	if !a.Type().Equals(b.Type()) || a.IsNull() != b.IsNull() {
		return false
	}
	if a.IsNull() {
		return true
	}
	switch ty := a.Type(); {
	case ty == cty.Number:
		x, _ := a.AsBigFloat().Float64()
		y, _ := b.AsBigFloat().Float64()
		return close(x, y, 1e-9)
	case ty.IsObjectType():
		for name := range ty.AttributeTypes() {
			if !approxEqual(a.GetAttr(name), b.GetAttr(name)) {
				return false
			}
		}
		return true
	case ty.IsListType() || ty.IsMapType():
		if a.LengthInt() != b.LengthInt() {
			return false
		}
		for it := a.ElementIterator(); it.Next(); {
			k, x := it.Element()
			if !b.HasIndex(k).True() || !approxEqual(x, b.Index(k)) {
				return false
			}
		}
		return true
	}
	return a.RawEquals(b)
}
