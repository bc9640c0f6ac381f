package executor

import (
	"bytes"
	"context"
	"encoding/json"
	"math/big"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/stats"
)

// resultValue builds the result object of an instance from a driver's
// answer: resultObject, with stats describing this one call when oneCallStats
// says something reads them (planner.Instance.Stats, outside a sample:
// the calls of a sample get the sample's stats once it ends), null
// otherwise.
func (e *executor) resultValue(ctx context.Context, oneCallStats, lean bool, res *providers.Result, dur time.Duration, attempts int) (cty.Value, error) {
	if lean {
		// Nothing reads this result: only what the checks take from
		// self (expect.json) is built.
		mb, err := e.bodies.decode(ctx, res.Body)
		if err != nil {
			return cty.NilVal, err
		}
		if mb.lean == cty.NilVal {
			return leanObject(mb.json), nil
		}
		return mb.lean, nil
	}
	st := nullStats
	if oneCallStats {
		var one stats.Sample
		outcome := stats.Passed
		if res.ErrorCode != "" && res.Status >= 400 && !res.Error || res.Transient {
			outcome = stats.Errored
		}
		one.Add(stats.Call{
			Outcome: outcome, Throttled: res.Status == 429, RoundTrip: dur,
			FunctionDuration: res.FunctionDurationMs, BilledDuration: res.BilledDurationMs,
			MemoryMB: res.MemoryMB, InstanceID: res.InstanceID, Version: res.Version, ColdStart: res.ColdStart,
		})
		st = one.Value()
	}
	mb, err := e.bodies.decode(ctx, res.Body)
	if err != nil {
		return cty.NilVal, err
	}
	return resultObject(res, mb.json, dur, attempts, st), nil
}

var nullStats = cty.NullVal(stats.Type())

// resultObject builds the result object of DESIGN §1 from a driver's
// answer, with js as its decoded body and st as its stats.
func resultObject(res *providers.Result, js cty.Value, dur time.Duration, attempts int, st cty.Value) cty.Value {
	body := string(res.Body)
	if !utf8.ValidString(body) {
		body = strings.ToValidUTF8(body, "\uFFFD")
	}
	headers := cty.MapValEmpty(cty.String)
	if len(res.Headers) > 0 {
		m := make(map[string]cty.Value, len(res.Headers))
		for k, v := range res.Headers {
			m[strings.ToLower(k)] = cty.StringVal(strings.ToValidUTF8(v, "\uFFFD"))
		}
		headers = cty.MapVal(m)
	}
	// ObjectVal copies the attributes: the map itself is reused.
	attrs := resultAttrs.Get().(map[string]cty.Value)
	defer func() {
		clear(attrs)
		resultAttrs.Put(attrs)
	}()
	attrs["status"] = cty.NumberIntVal(int64(res.Status))
	attrs["error"] = cty.BoolVal(res.Error)
	attrs["error_type"] = cty.StringVal(res.ErrorType)
	attrs["error_code"] = cty.StringVal(res.ErrorCode)
	attrs["error_message"] = cty.StringVal(strings.ToValidUTF8(res.ErrorMessage, "\uFFFD"))
	attrs["body"] = cty.StringVal(body)
	attrs["json"] = js
	attrs["headers"] = headers
	attrs["log"] = cty.StringVal(strings.ToValidUTF8(res.Log, "\uFFFD"))
	attrs["request_id"] = cty.StringVal(res.RequestID)
	attrs["instance_id"] = cty.StringVal(res.InstanceID)
	attrs["version"] = cty.StringVal(res.Version)
	attrs["duration_ms"] = cty.NumberFloatVal(float64(dur.Microseconds()) / 1000)
	attrs["function_duration_ms"] = optNumber(res.FunctionDurationMs)
	attrs["billed_duration_ms"] = optNumber(res.BilledDurationMs)
	attrs["memory_mb"] = optNumber(res.MemoryMB)
	attrs["attempts"] = cty.NumberIntVal(int64(attempts))
	attrs["async_id"] = cty.StringVal(res.AsyncID)
	attrs["stats"] = st
	return cty.ObjectVal(attrs)
}

// resultAttrs holds the attribute maps resultObject fills and ObjectVal
// copies.
var resultAttrs = sync.Pool{New: func() any { return make(map[string]cty.Value, 19) }}

func optNumber(f *float64) cty.Value {
	if f == nil {
		return cty.NullVal(cty.Number)
	}
	return cty.NumberFloatVal(*f)
}

// decodeJSON decodes a body as JSON into a cty value, or null when it is not
// JSON. One pass with encoding/json (numbers kept exact), then a walk to
// cty: go-cty's own decoder parses twice (type, then value). Both passes
// take time linear in the body's length; the walk checks ctx as it goes and
// returns ctx's error when it ends.
func decodeJSON(ctx context.Context, body []byte) (cty.Value, error) {
	if err := ctx.Err(); err != nil {
		return cty.NilVal, err
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || tooManyValues(trimmed) {
		return cty.NullVal(cty.DynamicPseudoType), nil
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	var v any
	// One value and nothing after it: "1 2" or "{} x" is not JSON.
	if err := dec.Decode(&v); err != nil || dec.InputOffset() != int64(len(trimmed)) {
		return cty.NullVal(cty.DynamicPseudoType), ctx.Err()
	}
	w := walker{ctx: ctx}
	out := w.toCty(v)
	if w.err != nil {
		return cty.NilVal, w.err
	}
	return out, nil
}

// maxJSONValues bounds how many values a body may hold to be decoded into
// self.json: each costs a few hundred bytes and about a microsecond as a cty
// value (a 2 MiB body of a million zeros: 300 MB allocated, 0.8 s), so a
// 64 MiB body of "0," would take gigabytes. A body with more is left
// undecoded (self.json is null; self.body still holds it all).
const maxJSONValues = 1_000_000

// tooManyValues reports whether body may hold more than maxJSONValues
// values, counting the commas, colons and opening brackets outside
// strings: an upper bound, in one pass without allocating.
func tooManyValues(body []byte) bool {
	n, inString := 1, false
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case inString:
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == ',' || c == ':' || c == '[' || c == '{':
			if n++; n > maxJSONValues {
				return true
			}
		}
	}
	return false
}

// maxNumberLen bounds the length of a JSON number literal decoded as a
// number. Parsing a number into cty takes time quadratic in its digits (two
// million digits take seconds); a longer literal is kept as a string of its
// exact text, which expressions can still compare or convert.
const maxNumberLen = 1000

// checkEvery is how many values the walk converts between looks at ctx.
const checkEvery = 4096

// walker converts a decoded JSON value: objects to cty objects, arrays to
// tuples, as go-cty's JSON decoder does. It stops at ctx's end, leaving the
// error in err.
type walker struct {
	ctx   context.Context
	count int
	err   error
}

func (w *walker) toCty(v any) cty.Value {
	if w.err != nil {
		return cty.NilVal
	}
	if w.count++; w.count%checkEvery == 0 {
		if w.err = w.ctx.Err(); w.err != nil {
			return cty.NilVal
		}
	}
	switch v := v.(type) {
	case nil:
		return cty.NullVal(cty.DynamicPseudoType)
	case bool:
		return cty.BoolVal(v)
	case string:
		return cty.StringVal(v)
	case json.Number:
		if n, ok := smallInt(string(v)); ok {
			return n
		}
		if len(v) > maxNumberLen {
			return cty.StringVal(v.String())
		}
		n, err := cty.ParseNumberVal(v.String())
		if err != nil {
			return cty.StringVal(v.String())
		}
		return boundNumber(n)
	case []any:
		if len(v) == 0 {
			return cty.EmptyTupleVal
		}
		elems := make([]cty.Value, len(v))
		for i, e := range v {
			elems[i] = w.toCty(e)
		}
		if w.err != nil {
			return cty.NilVal
		}
		return cty.TupleVal(elems)
	case map[string]any:
		if len(v) == 0 {
			return cty.EmptyObjectVal
		}
		attrs := make(map[string]cty.Value, len(v))
		for k, e := range v {
			attrs[k] = w.toCty(e)
		}
		if w.err != nil {
			return cty.NilVal
		}
		return cty.ObjectVal(attrs)
	}
	return cty.NullVal(cty.DynamicPseudoType)
}

// smallInt reads a JSON integer of at most 16 bytes exactly as
// cty.ParseNumberVal would (a 512-bit float), without parsing decimals:
// most numbers in answers are small integers. "-0" is left to
// ParseNumberVal, which keeps its sign.
func smallInt(s string) (cty.Value, bool) {
	if len(s) == 0 || len(s) > 16 || s == "-0" {
		return cty.NilVal, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return cty.NilVal, false
	}
	return cty.NumberVal(new(big.Float).SetPrec(512).SetInt64(n)), true
}

// maxJSONExp bounds the binary exponent of a decoded number (about
// 1e±9864). The exact decimal form of 1e100000000, fifteen bytes of JSON,
// has a hundred million digits: printing it in a report or a message would
// stall the run for hours.
const maxJSONExp = 1 << 15

// boundNumber reads a number beyond maxJSONExp as JavaScript's JSON.parse
// reads 1e400: infinity, or zero when it is that tiny.
func boundNumber(n cty.Value) cty.Value {
	bf := n.AsBigFloat()
	switch exp := bf.MantExp(nil); {
	case exp > maxJSONExp && bf.Sign() > 0:
		return cty.PositiveInfinity
	case exp > maxJSONExp:
		return cty.NegativeInfinity
	case exp < -maxJSONExp:
		return cty.Zero
	}
	return n
}
