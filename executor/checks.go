package executor

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/fnprobe/fnprobe/planner"
	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/spec"
)

// checks evaluates the expect and assert blocks against a result. ctx has
// self set. A call of a sample leaves out the gates (asserts over
// self.stats), which are checked once over the whole sample.
func (e *executor) checks(inst *planner.Instance, res *providers.Result, ctx *hcl.EvalContext, dur time.Duration, sampleCall bool) []*AssertionInfo {
	checks := inst.Block.Expect.Checks()
	var out []*AssertionInfo // nil when there is nothing to check
	if n := len(checks) + len(inst.Block.Asserts); n > 0 {
		out = make([]*AssertionInfo, 0, n+1)
	}
	if d := implicitErrorCheck(inst, res); d != nil {
		out = append(out, &AssertionInfo{Kind: "expect", Name: "expect.error (implicit)", Severity: "error", Diag: d})
	}
	for _, c := range checks {
		ai := &AssertionInfo{Kind: "expect", Name: expectLabel(c.Name), Severity: "error", Passed: true}
		if d := expectCheck(c, inst, res, ctx, dur, &e.consts); d != nil {
			ai.Passed, ai.Diag = false, d
		}
		out = append(out, ai)
	}
	for k, a := range inst.Block.Asserts {
		if sampleCall && a.Gate {
			continue
		}
		ai := &AssertionInfo{Kind: "assert", Name: fmt.Sprintf("assert[%d]", k), Severity: a.Severity, Passed: true}
		if d := assertCheck(a, ctx); d != nil {
			ai.Passed, ai.Diag = false, d
			if d.Severity == hcl.DiagError {
				// A condition that is not a bool or fails to evaluate is a
				// failed check with severity error, whatever the block says.
				ai.Severity = "error"
			}
		}
		out = append(out, ai)
	}
	return out
}

// expectLabels are the names of the expect checks as reports show them.
var expectLabels = map[string]string{
	"status": "expect.status", "error": "expect.error", "error_type": "expect.error_type",
	"error_code": "expect.error_code", "body": "expect.body", "json": "expect.json",
	"body_matches": "expect.body_matches", "log_contains": "expect.log_contains",
	"max_duration": "expect.max_duration",
}

// expectLabel is "expect.NAME", without building the string at every check.
func expectLabel(name string) string {
	if l, ok := expectLabels[name]; ok {
		return l
	}
	return "expect." + name
}

// implicitErrorCheck fails an invocation whose function failed when nothing
// in its expect block speaks of failure (error, error_type or status): a gate
// must not pass a crashing function because the suite checked nothing else.
func implicitErrorCheck(inst *planner.Instance, res *providers.Result) *hcl.Diagnostic {
	exp := inst.Block.Expect
	if !res.Error || (exp != nil && (exp.Error != nil || exp.ErrorType != nil || exp.Status != nil)) {
		return nil
	}
	detail := "The function failed"
	if res.ErrorType != "" {
		detail += " (" + res.ErrorType + ")"
	}
	detail += ", and this invocation does not expect it: add expect { error = true } (or error_type, or status) if it should fail. Body: " + excerpt(string(res.Body))
	if res.Log != "" {
		detail += ". Log tail: " + excerpt(tail(res.Log, 400))
	}
	rng := inst.Block.DeclRange
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Function failed", Detail: detail, Subject: &rng}
}

func assertCheck(a *spec.Assert, ctx *hcl.EvalContext) *hcl.Diagnostic {
	sev := hcl.DiagError
	if a.Severity == "warn" {
		sev = hcl.DiagWarning
	}
	v, diags := a.Condition.Value(ctx)
	if diags.HasErrors() {
		d := *diags[0]
		d.Summary = "Error evaluating assertion: " + d.Summary
		return &d
	}
	v, _ = v.Unmark()
	b, err := convert.Convert(v, cty.Bool)
	if err != nil || b.IsNull() || !b.IsKnown() {
		return &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Invalid assertion condition",
			Detail:  fmt.Sprintf("The condition must be true or false, not %s.", describe(v)),
			Subject: a.Condition.Range().Ptr(), Expression: a.Condition, EvalContext: ctx,
		}
	}
	if b.True() {
		return nil
	}
	msg := "The assertion did not hold."
	if a.ErrorMessage != nil {
		m, diags := a.ErrorMessage.Value(ctx)
		switch {
		case diags.HasErrors():
			msg = "The assertion did not hold, and its error_message could not be evaluated: " + diags[0].Detail
		case m.HasMark(spec.Sensitive) || m.ContainsMarked():
			msg = "The error message included a sensitive value, so it will not be displayed."
		default:
			if s, err := convert.Convert(m, cty.String); err == nil && s.IsKnown() && !s.IsNull() {
				msg = s.AsString()
			}
		}
	}
	return &hcl.Diagnostic{
		Severity: sev, Summary: "Assertion failed", Detail: msg,
		Subject: a.Condition.Range().Ptr(), Expression: a.Condition, EvalContext: ctx,
	}
}

func expectCheck(c spec.ExpectCheck, inst *planner.Instance, res *providers.Result, ctx *hcl.EvalContext, dur time.Duration, consts *constants) *hcl.Diagnostic {
	exp, diags := consts.expected(c.Expr, ctx)
	if diags.HasErrors() {
		return diags[0]
	}
	want, sensitive := exp.v, exp.sensitive
	fail := func(summary, detail string) *hcl.Diagnostic {
		return &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: summary, Detail: detail,
			Subject: c.Expr.Range().Ptr(), Expression: c.Expr, EvalContext: ctx,
		}
	}
	invalid := func(detail string) *hcl.Diagnostic {
		return fail(fmt.Sprintf("Invalid expect.%s", c.Name), detail)
	}
	show := func(v cty.Value) string {
		if sensitive {
			return spec.Redacted
		}
		return describe(v)
	}
	if !exp.known {
		return invalid("The expected value is not known.")
	}
	str := func() (string, bool) {
		s, err := convert.Convert(want, cty.String)
		if err != nil || s.IsNull() {
			return "", false
		}
		return s.AsString(), true
	}
	switch c.Name {
	case "status":
		statuses := exp.statuses // worked out once for a constant
		if statuses == nil {
			var ok bool
			if statuses, ok = statusInts(want); !ok {
				return invalid("status must be a number or a list of numbers.")
			}
		}
		for _, s := range statuses {
			if s == int64(res.Status) {
				return nil
			}
		}
		return statusFail(want, res, show, fail)
	case "error":
		b, err := convert.Convert(want, cty.Bool)
		if err != nil || b.IsNull() {
			return invalid("error must be true or false.")
		}
		if b.True() == res.Error {
			return nil
		}
		if res.Error {
			detail := "Expected the function to succeed, but it failed"
			if res.ErrorType != "" {
				detail += " (" + res.ErrorType + ")"
			}
			detail += ". Body: " + excerpt(string(res.Body))
			if res.Log != "" {
				detail += ". Log tail: " + excerpt(tail(res.Log, 400))
			}
			return fail("Function failed", detail)
		}
		return fail("Function did not fail", "Expected the function to fail, but it succeeded.")
	case "error_type", "error_code", "body":
		s, ok := str()
		if !ok {
			return invalid(c.Name + " must be a string.")
		}
		got := map[string]string{"error_type": res.ErrorType, "error_code": res.ErrorCode, "body": string(res.Body)}[c.Name]
		if s == got {
			return nil
		}
		exp := fmt.Sprintf("%q", s)
		if sensitive {
			exp = spec.Redacted
		}
		return fail(fmt.Sprintf("Unexpected %s", strings.ReplaceAll(c.Name, "_", " ")),
			fmt.Sprintf("Expected %s %s, got %s.", c.Name, exp, excerpt(got)))
	case "json":
		got := ctx.Variables["self"].GetAttr("json")
		// json is null both for a body that is not JSON and for the JSON
		// document null; only the first fails here.
		if got.IsNull() && string(bytes.TrimSpace(res.Body)) != "null" {
			if tooManyValues(bytes.TrimSpace(res.Body)) {
				return fail("Body too large to decode", fmt.Sprintf("The body has more than %d JSON values, more than fnprobe decodes, so self.json is null. Check it with body_matches or assertions on self.body.", maxJSONValues))
			}
			return fail("Body is not JSON", "Expected a JSON body to match, but the body is not JSON: "+excerpt(string(res.Body)))
		}
		diffs, total := jsonDiffs(want, got)
		switch {
		case total == 0:
			return nil
		case sensitive:
			// Which paths differ would tell the sensitive value apart.
			return fail("JSON body does not match", fmt.Sprintf("%s: the value differs (the expected value is sensitive).", diffs[0].path))
		case total == 1:
			return fail("JSON body does not match", diffs[0].String()+".")
		}
		lines := make([]string, 0, len(diffs)+2)
		lines = append(lines, fmt.Sprintf("The body differs at %d paths:", total))
		for _, d := range diffs {
			lines = append(lines, "- "+d.String()+".")
		}
		if total > len(diffs) {
			lines = append(lines, fmt.Sprintf("- and %d more.", total-len(diffs)))
		}
		return fail("JSON body does not match", strings.Join(lines, "\n"))
	case "body_matches":
		s, ok := str()
		if !ok {
			return invalid("body_matches must be a regular expression string.")
		}
		re, err := regexp.Compile(s)
		if err != nil {
			return invalid(fmt.Sprintf("body_matches is not a valid regular expression: %s.", err))
		}
		if re.Match(res.Body) {
			return nil
		}
		return fail("Body does not match", fmt.Sprintf("The body does not match /%s/. Body: %s", s, excerpt(string(res.Body))))
	case "log_contains":
		var parts []string
		if s, ok := str(); ok {
			parts = []string{s}
		} else if l, err := convert.Convert(want, cty.List(cty.String)); err == nil && !l.IsNull() {
			for it := l.ElementIterator(); it.Next(); {
				_, ev := it.Element()
				if ev.IsNull() {
					return invalid("log_contains must be a string or a list of strings.")
				}
				parts = append(parts, ev.AsString())
			}
		} else {
			return invalid("log_contains must be a string or a list of strings.")
		}
		for _, p := range parts {
			if strings.Contains(res.Log, p) {
				continue
			}
			detail := fmt.Sprintf("The log does not contain %q.", p)
			if sensitive {
				detail = "The log does not contain the expected (sensitive) text."
			}
			if !inst.Logs {
				detail += " The invocation does not set logs = true, so no log was requested."
			} else {
				detail += " Log tail: " + excerpt(res.Log)
			}
			return fail("Log does not contain text", detail)
		}
		return nil
	case "max_duration":
		d, err := spec.DurationValue(want)
		if err != nil {
			return invalid("max_duration " + err.Error() + ".")
		}
		if dur <= d {
			return nil
		}
		return fail("Too slow", fmt.Sprintf("The invocation took %s, more than max_duration %s.", dur.Round(time.Millisecond), d))
	}
	return invalid("unknown check")
}

// statusFail is the failure of expect.status.
func statusFail(want cty.Value, res *providers.Result, show func(cty.Value) string, fail func(summary, detail string) *hcl.Diagnostic) *hcl.Diagnostic {
	detail := fmt.Sprintf("Expected status %s, got %d.", show(want), res.Status)
	if res.ErrorCode != "" || res.ErrorMessage != "" {
		detail += " " + strings.TrimSuffix(strings.TrimSpace(fmt.Sprintf("The service answered %s: %s", res.ErrorCode, res.ErrorMessage)), ".") + "."
	}
	if len(res.Body) > 0 && res.ErrorCode == "" && res.ErrorMessage == "" {
		// The answer's own words, as a function failure shows them.
		detail += " Body: " + excerpt(string(res.Body)) + "."
	}
	return fail("Unexpected status", detail)
}

// maxJSONDiffs bounds the differences an expect.json failure lists; the
// rest are counted.
const maxJSONDiffs = 20

// jsonDiff is one path at which a body differs from expect.json.
type jsonDiff struct{ path, msg string }

func (d jsonDiff) String() string { return d.path + ": " + d.msg }

// jsonDiffs returns the first maxJSONDiffs paths at which got does not
// contain want (see subset), in the order of a depth-first walk with
// object keys sorted, and how many there are in all.
func jsonDiffs(want, got cty.Value) ([]jsonDiff, int) {
	var out []jsonDiff
	n := 0
	subset("json", want, got, func(path, msg string) bool {
		if n++; n <= maxJSONDiffs {
			out = append(out, jsonDiff{path, msg})
		}
		return true
	})
	return out, n
}

// attr returns the attribute or map element k of the object or map v.
func attr(v cty.Value, k string) (cty.Value, bool) {
	if v.Type().IsObjectType() {
		if !v.Type().HasAttribute(k) {
			return cty.NilVal, false
		}
		return v.GetAttr(k), true
	}
	key := cty.StringVal(k)
	if has := v.HasIndex(key); !has.IsKnown() || has.False() {
		return cty.NilVal, false
	}
	return v.Index(key), true
}

// matches reports whether want is contained in got.
func matches(want, got cty.Value) bool {
	return subset("", want, got, func(string, string) bool { return false })
}

// subset reports each difference between want and got to report, with its
// path: objects match when every expected key matches, lists element by
// element with the same length, sets in any order, primitives by value. A
// difference inside an object or a list does not stop the walk, so every
// mismatching path is reported; a list of the wrong length, or a value of
// the wrong kind, is one difference. report returns false to stop the walk
// (matches needs only the first difference); subset returns false when it
// was stopped.
func subset(path string, want, got cty.Value, report func(path, msg string) bool) bool {
	wt := want.Type()
	if want.IsNull() {
		if !got.IsNull() {
			return report(path, fmt.Sprintf("expected null, got %s", describe(got)))
		}
		return true
	}
	if got.IsNull() {
		return report(path, fmt.Sprintf("expected %s, got null", describe(want)))
	}
	gt := got.Type()
	switch {
	case wt.IsObjectType() || wt.IsMapType():
		if !(gt.IsObjectType() || gt.IsMapType()) {
			return report(path, fmt.Sprintf("expected an object, got %s", describe(got)))
		}
		// Attribute by attribute, without copying either side into a map:
		// this runs for every answer of a large run.
		keys := make([]string, 0, want.LengthInt())
		if wt.IsObjectType() {
			for k := range wt.AttributeTypes() {
				keys = append(keys, k)
			}
		} else {
			for it := want.ElementIterator(); it.Next(); {
				k, _ := it.Element()
				keys = append(keys, k.AsString())
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			gv, ok := attr(got, k)
			wv, _ := attr(want, k)
			if ok && samePrimitive(wv, gv) {
				continue // the common case, without building the path
			}
			sub := path + "." + k
			if !validIdent(k) {
				sub = fmt.Sprintf("%s[%q]", path, k)
			}
			if !ok {
				if !report(sub, "missing from the body") {
					return false
				}
				continue
			}
			if !subset(sub, wv, gv, report) {
				return false
			}
		}
		return true
	case wt.IsSetType():
		// A set has no order: each expected element must match its own
		// element of the body's list, in any order.
		if !(gt.IsTupleType() || gt.IsListType() || gt.IsSetType()) {
			return report(path, fmt.Sprintf("expected a list, got %s", describe(got)))
		}
		wl, gl := want.AsValueSlice(), got.AsValueSlice()
		if len(wl) != len(gl) {
			return report(path, fmt.Sprintf("expected %d elements, got %d", len(wl), len(gl)))
		}
		used := make([]bool, len(gl))
		for _, w := range wl {
			found := false
			for j, g := range gl {
				if !used[j] && matches(w, g) {
					used[j], found = true, true
					break
				}
			}
			if !found && !report(path, fmt.Sprintf("no element matches %s", describe(w))) {
				return false
			}
		}
		return true
	case wt.IsTupleType() || wt.IsListType():
		if !(gt.IsTupleType() || gt.IsListType() || gt.IsSetType()) {
			return report(path, fmt.Sprintf("expected a list, got %s", describe(got)))
		}
		wl, gl := want.AsValueSlice(), got.AsValueSlice()
		if len(wl) != len(gl) {
			return report(path, fmt.Sprintf("expected %d elements, got %d", len(wl), len(gl)))
		}
		for i := range wl {
			if !subset(fmt.Sprintf("%s[%d]", path, i), wl[i], gl[i], report) {
				return false
			}
		}
		return true
	case samePrimitive(want, got):
		return true
	}
	return report(path, fmt.Sprintf("expected %s, got %s", describe(want), describe(got)))
}

// samePrimitive reports whether want and got are the same string, number
// (compared exactly) or bool.
func samePrimitive(want, got cty.Value) bool {
	// Primitive first: == on two tuple types panics.
	if !want.Type().IsPrimitiveType() || want.Type() != got.Type() || want.IsNull() || got.IsNull() || !want.IsKnown() || !got.IsKnown() {
		return false
	}
	switch want.Type() {
	case cty.String:
		return want.AsString() == got.AsString()
	case cty.Bool:
		return want.True() == got.True()
	case cty.Number:
		return want.AsBigFloat().Cmp(got.AsBigFloat()) == 0
	}
	return false
}

func validIdent(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && (r == '-' || r >= '0' && r <= '9')) {
			return false
		}
	}
	return s != ""
}

// describe renders a value compactly for messages: JSON for data, with the
// type named for empty or odd values.
func describe(v cty.Value) string {
	if v.HasMark(spec.Sensitive) || v.ContainsMarked() {
		return spec.Redacted
	}
	if !v.IsKnown() {
		return "(not known)"
	}
	if v.IsNull() {
		return "null"
	}
	if v.Type() == cty.Number {
		return v.AsBigFloat().Text('f', -1)
	}
	if v.Type() == cty.String {
		return excerpt(v.AsString())
	}
	if v.Type() == cty.Bool {
		return fmt.Sprint(v.True())
	}
	b, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return v.Type().FriendlyName()
	}
	return truncate(string(b), 200)
}

// excerpt quotes s, shortened to a readable length.
func excerpt(s string) string {
	return fmt.Sprintf("%q", truncate(s, 200))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// tail returns the last n bytes of s, on a rune boundary.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := len(s) - n
	for cut < len(s) && !utf8RuneStart(s[cut]) {
		cut++
	}
	return "…" + s[cut:]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
