package stats

import (
	"math"
	"slices"
	"sync"
	"time"

	"github.com/zclconf/go-cty/cty"
)

// Outcome is how one call of a sample ended.
type Outcome int

const (
	// Passed: the call was answered and every check held.
	Passed Outcome = iota
	// Failed: the call was answered and a check failed.
	Failed
	// Errored: no answer (timeout, transport or API error).
	Errored
)

// Call is what a sample records of one call.
type Call struct {
	Outcome Outcome
	// Throttled: the provider said throttled (HTTP 429 / TooManyRequests)
	// at least once, on any attempt.
	Throttled bool
	// RoundTrip is the answering attempt's round trip; 0 when no attempt
	// got a response.
	RoundTrip time.Duration
	// FunctionDuration, BilledDuration (ms) and MemoryMB are nil when the
	// provider does not report them.
	FunctionDuration *float64
	BilledDuration   *float64
	MemoryMB         *float64
	// InstanceID and Version (the executed version) are "" when not
	// reported.
	InstanceID string
	Version    string
	// ColdStart is nil when the provider does not reveal it.
	ColdStart *bool
}

// MaxCalls bounds what a Sample keeps per call. Calls after the first
// MaxCalls still count (count, passed, failed, errored, throttled,
// error_rate, memory_mb_max and cold_starts cover every call), but their
// durations, instance ids and versions are not recorded, and Truncated
// reports true.
const MaxCalls = 100000

// Sample accumulates the calls of a sample and produces its stats object.
// The zero value is an empty sample, ready to use. Add, Value and Truncated
// may be called concurrently.
type Sample struct {
	mu sync.Mutex

	count, passed, failed, errored, throttled int
	recorded                                  int // calls whose details were kept, at most MaxCalls
	truncated                                 bool

	roundTrips []float64 // ms, call order, calls with RoundTrip > 0
	function   []float64 // ms
	billed     []float64 // ms

	memoryMax    float64
	memorySeen   bool
	instances    map[string]struct{}
	versions     map[string]int
	coldStarts   int
	coldStartsOK bool // some call revealed whether it was a cold start
}

// Add records one call. Reported figures that are NaN or infinite count as
// not reported.
func (s *Sample) Add(c Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count++
	switch c.Outcome {
	case Passed:
		s.passed++
	case Failed:
		s.failed++
	default:
		s.errored++
	}
	if c.Throttled {
		s.throttled++
	}
	if m, ok := finite(c.MemoryMB); ok && (!s.memorySeen || m > s.memoryMax) {
		s.memoryMax, s.memorySeen = m, true
	}
	if c.ColdStart != nil {
		s.coldStartsOK = true
		if *c.ColdStart {
			s.coldStarts++
		}
	}
	if s.recorded >= MaxCalls {
		s.truncated = true
		return
	}
	s.recorded++
	if c.RoundTrip > 0 {
		s.roundTrips = append(s.roundTrips, float64(c.RoundTrip)/float64(time.Millisecond))
	}
	if f, ok := finite(c.FunctionDuration); ok {
		s.function = append(s.function, f)
	}
	if f, ok := finite(c.BilledDuration); ok {
		s.billed = append(s.billed, f)
	}
	if c.InstanceID != "" {
		if s.instances == nil {
			s.instances = map[string]struct{}{}
		}
		s.instances[c.InstanceID] = struct{}{}
	}
	if c.Version != "" {
		if s.versions == nil {
			s.versions = map[string]int{}
		}
		s.versions[c.Version]++
	}
}

func finite(p *float64) (float64, bool) {
	if p == nil || math.IsNaN(*p) || math.IsInf(*p, 0) {
		return 0, false
	}
	return *p, true
}

// Truncated reports whether more than MaxCalls calls were added, so that
// durations, instances and versions cover only the first MaxCalls.
func (s *Sample) Truncated() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.truncated
}

// Count is the number of calls added.
func (s *Sample) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// distributionType is the type of duration_ms, function_duration_ms and
// billed_duration_ms.
var distributionType = cty.Object(map[string]cty.Type{
	"min": cty.Number, "mean": cty.Number, "p50": cty.Number, "p90": cty.Number,
	"p95": cty.Number, "p99": cty.Number, "max": cty.Number,
})

var statsType = cty.Object(map[string]cty.Type{
	"count":                cty.Number,
	"passed":               cty.Number,
	"failed":               cty.Number,
	"errored":              cty.Number,
	"throttled":            cty.Number,
	"error_rate":           cty.Number,
	"duration_ms":          distributionType,
	"function_duration_ms": distributionType,
	"billed_duration_ms":   distributionType,
	"memory_mb_max":        cty.Number,
	"instances":            cty.Number,
	"versions":             cty.Map(cty.Number),
	"cold_starts":          cty.Number,
	"durations_ms":         cty.List(cty.Number),
})

// Type is the cty type of Sample.Value, for static checks of expressions
// over self.stats.
func Type() cty.Type { return statsType }

// DistributionType is the cty type of the duration_ms,
// function_duration_ms and billed_duration_ms attributes.
func DistributionType() cty.Type { return distributionType }

// Value returns the stats object, of Type():
//
//   - count: calls added; passed, failed, errored: calls by Outcome;
//     throttled: calls throttled at least once (whatever their outcome).
//   - error_rate: (failed + errored) / count, in [0, 1]; 0 for no calls.
//   - duration_ms: the Distribution of the round trips, in milliseconds with
//     sub-millisecond precision, of every call that got a response
//     (RoundTrip > 0): passed and failed calls, and errored ones that had
//     an answer (an API error response). Null when no call did.
//   - function_duration_ms, billed_duration_ms: the Distributions of the
//     figures the provider reported; null when no call reported one.
//   - memory_mb_max: the largest reported memory figure; null when none.
//   - instances: the number of distinct non-empty instance ids; null when
//     none was reported.
//   - versions: calls per executed version; empty when none was reported.
//   - cold_starts: calls that were cold starts; null when no call revealed
//     whether it was one.
//   - durations_ms: the round trips that make duration_ms, in the order
//     the calls were added (so percentile(self.stats.durations_ms, 95)
//     equals duration_ms.p95).
//
// Past MaxCalls, see MaxCalls and Truncated.
func (s *Sample) Value() cty.Value {
	s.mu.Lock()
	defer s.mu.Unlock()
	errorRate := 0.0
	if s.count > 0 {
		errorRate = float64(s.failed+s.errored) / float64(s.count)
	}
	memory := cty.NullVal(cty.Number)
	if s.memorySeen {
		memory = cty.NumberFloatVal(s.memoryMax)
	}
	instances := cty.NullVal(cty.Number)
	if len(s.instances) > 0 {
		instances = cty.NumberIntVal(int64(len(s.instances)))
	}
	versions := cty.MapValEmpty(cty.Number)
	if len(s.versions) > 0 {
		m := make(map[string]cty.Value, len(s.versions))
		for v, n := range s.versions {
			m[v] = cty.NumberIntVal(int64(n))
		}
		versions = cty.MapVal(m)
	}
	cold := cty.NullVal(cty.Number)
	if s.coldStartsOK {
		cold = cty.NumberIntVal(int64(s.coldStarts))
	}
	durations := cty.ListValEmpty(cty.Number)
	if len(s.roundTrips) > 0 {
		l := make([]cty.Value, len(s.roundTrips))
		for i, d := range s.roundTrips {
			l[i] = cty.NumberFloatVal(d)
		}
		durations = cty.ListVal(l)
	}
	return cty.ObjectVal(map[string]cty.Value{
		"count":                cty.NumberIntVal(int64(s.count)),
		"passed":               cty.NumberIntVal(int64(s.passed)),
		"failed":               cty.NumberIntVal(int64(s.failed)),
		"errored":              cty.NumberIntVal(int64(s.errored)),
		"throttled":            cty.NumberIntVal(int64(s.throttled)),
		"error_rate":           cty.NumberFloatVal(errorRate),
		"duration_ms":          distributionValue(s.roundTrips),
		"function_duration_ms": distributionValue(s.function),
		"billed_duration_ms":   distributionValue(s.billed),
		"memory_mb_max":        memory,
		"instances":            instances,
		"versions":             versions,
		"cold_starts":          cold,
		"durations_ms":         durations,
	})
}

// distributionValue is Describe(values) as a cty object, null for none.
func distributionValue(values []float64) cty.Value {
	if len(values) == 0 {
		return cty.NullVal(distributionType)
	}
	d := describeSorted(sortedClone(values))
	return cty.ObjectVal(map[string]cty.Value{
		"min": cty.NumberFloatVal(d.Min), "mean": cty.NumberFloatVal(d.Mean),
		"p50": cty.NumberFloatVal(d.P50), "p90": cty.NumberFloatVal(d.P90),
		"p95": cty.NumberFloatVal(d.P95), "p99": cty.NumberFloatVal(d.P99),
		"max": cty.NumberFloatVal(d.Max),
	})
}

func sortedClone(values []float64) []float64 {
	s := slices.Clone(values)
	slices.Sort(s)
	return s
}
