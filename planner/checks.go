package planner

import (
	"fmt"
	"path/filepath"
	"regexp"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/fnprobe/fnprobe/limits"
	"github.com/fnprobe/fnprobe/spec"
)

// checkAnswerExprs evaluates an instance's expect, assert and retry.until
// expressions before the run, with self an unknown result, and reports
// what is certain to fail once the function has answered: an evaluation
// error (self.stauts), an expected value of a type the executor refuses
// (expect { status = "200" }), a condition that can never be a bool. The
// rules are the executor's (executor/checks.go), so that validate and run
// agree.
func (p *Plan) checkAnswerExprs(inv *spec.Invocation, ctx *hcl.EvalContext) hcl.Diagnostics {
	vars := make(map[string]cty.Value, len(ctx.Variables)+1)
	for k, v := range ctx.Variables {
		vars[k] = v
	}
	vars["self"] = unknownResult
	cctx := &hcl.EvalContext{Variables: vars, Functions: ctx.Functions}

	var diags hcl.Diagnostics
	eval := func(expr hcl.Expression, what string) (cty.Value, bool) {
		v, moreDiags := p.eval(expr, cctx, fmt.Sprintf("%s of invocation.%s", what, inv.Name))
		diags = append(diags, moreDiags...)
		// A value unknown because a variable has no value (validate)
		// is still checked by its type.
		if moreDiags.HasErrors() || spec.FromBroken(v) {
			return cty.NilVal, false
		}
		return v, true
	}
	bad := func(expr hcl.Expression, summary, detail string) {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: summary, Detail: detail,
			Subject: expr.Range().Ptr(), Expression: expr, EvalContext: cctx,
		})
	}
	for _, c := range inv.Expect.Checks() {
		v, ok := eval(c.Expr, "expect."+c.Name)
		if !ok {
			continue
		}
		if msg := expectProblem(c.Name, v); msg != "" {
			bad(c.Expr, "Invalid expect."+c.Name, msg)
		}
	}
	for _, a := range inv.Asserts {
		if v, ok := eval(a.Condition, "the assertion condition"); ok && len(a.Condition.Variables()) > 0 && !maybeBool(v) {
			// A condition that refers to nothing is reported by spec.
			bad(a.Condition, "Invalid assertion condition", fmt.Sprintf("The condition must be true or false, not %s.", typeText(v)))
		}
		if a.ErrorMessage != nil {
			eval(a.ErrorMessage, "the assertion error_message")
		}
	}
	if inv.Retry != nil && inv.Retry.Until != nil {
		if v, ok := eval(inv.Retry.Until, "the retry condition"); ok && len(inv.Retry.Until.Variables()) > 0 && !maybeBool(v) {
			bad(inv.Retry.Until, "Invalid retry condition", fmt.Sprintf("The until condition must be true or false, not %s.", typeText(v)))
		}
	}
	return diags
}

// maybeBool reports whether v may convert to a bool: when it is known,
// whether it does; when not, whether its type can.
func maybeBool(v cty.Value) bool {
	v, _ = v.UnmarkDeep()
	if !v.IsWhollyKnown() {
		return canConvert(v.Type(), cty.Bool)
	}
	b, err := convert.Convert(v, cty.Bool)
	return err == nil && !b.IsNull()
}

// canConvert reports whether a value of type from may convert to type to
// (for some values: "true" converts to a bool, "yes" does not).
func canConvert(from, to cty.Type) bool {
	return from == cty.DynamicPseudoType || from.Equals(to) || convert.GetConversionUnsafe(from, to) != nil
}

// typeText names a value for a message without showing it: a type.
func typeText(v cty.Value) string {
	v, _ = v.UnmarkDeep()
	if v.IsKnown() && v.IsNull() {
		return "null"
	}
	return "a " + v.Type().FriendlyName()
}

// expectProblem says why an expected value (evaluated before the run) is
// certain to be refused by the executor's expectCheck, or "". A known value
// is checked as the executor checks it; an unknown one by its type only,
// when no value of that type could pass.
func expectProblem(name string, v cty.Value) string {
	v, marks := v.UnmarkDeepWithPaths()
	if !v.IsWhollyKnown() {
		return expectTypeProblem(name, v.Type())
	}
	what := typeText(v)
	if len(marks) == 0 && v.Type().IsPrimitiveType() && !v.IsNull() {
		switch v.Type() {
		case cty.String:
			what = fmt.Sprintf("the string %q", v.AsString())
		case cty.Number:
			what = "the number " + v.AsBigFloat().Text('f', -1)
		case cty.Bool:
			what = fmt.Sprintf("the bool %t", v.True())
		}
	}
	isString := func() (string, bool) {
		s, err := convert.Convert(v, cty.String)
		if err != nil || s.IsNull() {
			return "", false
		}
		return s.AsString(), true
	}
	switch name {
	case "status":
		ty := v.Type()
		switch {
		case v.IsNull():
		case ty == cty.Number:
			return ""
		case v.CanIterateElements() && !ty.IsMapType() && !ty.IsObjectType():
			for it := v.ElementIterator(); it.Next(); {
				_, ev := it.Element()
				if n, err := convert.Convert(ev, cty.Number); err != nil || n.IsNull() {
					return fmt.Sprintf("status must be a number or a list of numbers; this list holds %s. It is compared with self.status, a number, so it could never match.", typeText(ev))
				}
			}
			return ""
		}
		return fmt.Sprintf("status must be a number or a list of numbers, not %s. It is compared with self.status, a number, so it could never match.", what)
	case "error":
		if b, err := convert.Convert(v, cty.Bool); err != nil || b.IsNull() {
			return fmt.Sprintf("error must be true or false, not %s.", what)
		}
	case "error_type", "error_code", "body":
		if _, ok := isString(); !ok {
			return fmt.Sprintf("%s must be a string, not %s.", name, what)
		}
	case "body_matches":
		s, ok := isString()
		if !ok {
			return fmt.Sprintf("body_matches must be a regular expression string, not %s.", what)
		}
		if _, err := regexp.Compile(s); err != nil {
			return fmt.Sprintf("body_matches is not a valid regular expression: %s.", err)
		}
	case "log_contains":
		if _, ok := isString(); ok {
			return ""
		}
		l, err := convert.Convert(v, cty.List(cty.String))
		if err != nil || l.IsNull() {
			return fmt.Sprintf("log_contains must be a string or a list of strings, not %s.", what)
		}
		for it := l.ElementIterator(); it.Next(); {
			if _, ev := it.Element(); ev.IsNull() {
				return "log_contains must be a string or a list of strings; this list holds null."
			}
		}
	case "max_duration":
		if _, err := spec.DurationValue(v); err != nil {
			return "max_duration " + err.Error() + "."
		}
	}
	return ""
}

// expectTypeProblem is expectProblem for a value not known before the run:
// only a type that no value could pass is a problem.
func expectTypeProblem(name string, ty cty.Type) string {
	if ty == cty.DynamicPseudoType {
		return ""
	}
	a := "a " + ty.FriendlyName()
	switch name {
	case "status":
		ok := true
		switch {
		case ty == cty.Number:
		case ty.IsListType() || ty.IsSetType():
			ok = canConvert(ty.ElementType(), cty.Number)
		case ty.IsTupleType():
			for _, et := range ty.TupleElementTypes() {
				ok = ok && canConvert(et, cty.Number)
			}
		default:
			ok = false
		}
		if !ok {
			return fmt.Sprintf("status must be a number or a list of numbers, not %s. It is compared with self.status, a number, so it could never match.", a)
		}
	case "error":
		if !canConvert(ty, cty.Bool) {
			return fmt.Sprintf("error must be true or false, not %s.", a)
		}
	case "error_type", "error_code", "body", "body_matches":
		if !canConvert(ty, cty.String) {
			return fmt.Sprintf("%s must be a string, not %s.", name, a)
		}
	case "log_contains":
		if !canConvert(ty, cty.String) && !canConvert(ty, cty.List(cty.String)) {
			return fmt.Sprintf("log_contains must be a string or a list of strings, not %s.", a)
		}
	case "max_duration":
		if ty != cty.String {
			return fmt.Sprintf("max_duration must be a duration string such as \"500ms\" or \"30s\", not %s.", a)
		}
	}
	return ""
}

// checkPayloadFile reports a payload_file known before the run that the
// executor could not read (limits.ReadFile's rules, same message). A block
// that depends on other invocations is not checked: one of them may write
// the file.
func (p *Plan) checkPayloadFile(b *block, v cty.Value, expr hcl.Expression) *hcl.Diagnostic {
	if len(b.deps) > 0 {
		return nil
	}
	v, _ = v.UnmarkDeep()
	s, err := convert.Convert(v, cty.String)
	if err != nil || s.IsNull() {
		return nil
	}
	path := s.AsString()
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(b.inv.DeclRange.Filename), path)
	}
	p.mu.Lock() // instances may be planned in parallel
	err, seen := p.filesChecked[path]
	if !seen {
		err = limits.CheckFile(path, limits.PayloadFileBytes)
		p.filesChecked[path] = err // a for_each of thousands: one stat
	}
	p.mu.Unlock()
	if err != nil {
		return &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Cannot read payload_file",
			Detail:   fmt.Sprintf("Reading %s: %s.", path, limits.Reason(err)),
			Subject:  expr.Range().Ptr(),
		}
	}
	return nil
}
