package planner

import (
	"fmt"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/fnprobe/fnprobe/internal/workpool"
	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/spec"
)

// blockInfo computes an invocation block's dependencies and the locals it
// must evaluate at run time.
func (p *Plan) blockInfo(inv *spec.Invocation, direct []Ref) *block {
	b := &block{inv: inv}
	deps := map[string]bool{}
	reads := map[string]bool{}
	needLocal := map[string]bool{}
	var visit func(name string)
	visit = func(name string) {
		if needLocal[name] || !p.runtime[Addr{KindLocal, name}] {
			return
		}
		needLocal[name] = true
		for _, r := range p.localRefs[name] {
			switch r.Addr.Kind {
			case KindInvocation:
				deps[r.Addr.Name], reads[r.Addr.Name] = true, true
			case KindLocal:
				visit(r.Addr.Name)
			}
		}
	}
	for _, r := range direct {
		switch r.Addr.Kind {
		case KindInvocation:
			deps[r.Addr.Name] = true
		case KindLocal:
			visit(r.Addr.Name)
		}
	}
	locals := map[string]bool{}
	for _, r := range direct {
		if r.Addr.Kind == KindLocal {
			locals[r.Addr.Name] = true
		}
	}
	for name := range needLocal {
		locals[name] = true
	}
	for _, r := range direct {
		if r.Addr.Kind == KindInvocation && !isDependsOn(inv, r) {
			reads[r.Addr.Name] = true
		}
	}
	for _, a := range p.order {
		if a.Kind == KindLocal && needLocal[a.Name] {
			b.runtimeLocals = append(b.runtimeLocals, a.Name)
		}
	}
	b.deps = sortedSet(deps)
	b.locals = sortedSet(locals)
	b.invRefs = sortedSet(reads)
	return b
}

func isDependsOn(inv *spec.Invocation, r Ref) bool {
	for _, tr := range inv.DependsOn {
		if tr.SourceRange() == r.Range {
			return true
		}
	}
	return false
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// expandInvocations expands for_each, evaluates everything known before the
// run, and links instances to their dependencies.
func (p *Plan) expandInvocations() hcl.Diagnostics {
	cfg := p.Config
	var diags hcl.Diagnostics
	g := p.graph
	for _, name := range spec.SortedKeys(cfg.Invocations) {
		inv := cfg.Invocations[name]
		b := p.blockInfo(inv, g.edges[Addr{KindInvocation, name}])
		p.invocations[name] = b
		// The checks, evaluated with self an unknown result: a reference
		// to an attribute the result does not have, or an expected value
		// of a type that can never match, is certain to fail once the
		// function has answered, after everything before it has run.
		// Once per block, for every key at once (each unknown): a
		// for_each over thousands of keys must not cost thousands of
		// evaluations.
		var each *eachVals
		if inv.ForEach != nil {
			each = &eachVals{cty.UnknownVal(cty.String), cty.DynamicVal}
		}
		diags = append(diags, p.checkAnswerExprs(inv, p.planContext(inv.DeclRange.Filename, each))...)
		if inv.ForEach == nil {
			inst, moreDiags := p.instance(b, "", false, nil)
			diags = append(diags, moreDiags...)
			if inst != nil {
				p.addInstance(inst)
			}
			continue
		}
		items, moreDiags := p.forEachItems(inv.ForEach, p.planContext(inv.DeclRange.Filename, nil), "invocation."+name)
		diags = append(diags, moreDiags...)
		if moreDiags.HasErrors() {
			p.failedInv[name] = true
		} else if items != nil {
			keys := make(map[string]bool, len(items))
			for _, it := range items {
				keys[it.key] = true
			}
			p.eachKeys[name] = keys
		}
		// Instances of a large for_each are planned on every core; they
		// are added, and their diagnostics reported, in key order.
		insts := make([]*Instance, len(items))
		instDiags := make([]hcl.Diagnostics, len(items))
		parallel(len(items), func(i int) {
			it := items[i]
			insts[i], instDiags[i] = p.instance(b, it.key, true, &eachVals{cty.StringVal(it.key), it.value})
		})
		for i := range items {
			diags = append(diags, instDiags[i]...)
			if insts[i] != nil {
				p.addInstance(insts[i])
			}
		}
	}
	sort.Slice(p.Instances, func(i, j int) bool { return p.Instances[i].Addr < p.Instances[j].Addr })
	for _, inst := range p.Instances {
		for _, dep := range inst.blk.deps {
			inst.Deps = append(inst.Deps, p.invInstances[dep]...)
		}
	}
	diags = append(diags, p.linkInterleaves()...)
	return diags
}

// linkInterleaves pairs each instance whose sample says interleave with
// its partner: the partner's instance of the same for_each key, or the
// partner itself when it has no for_each. The two are drawn together when
// the partner runs, so this one may read the partner only in its checks,
// may depend on nothing the partner does not, and the partner must be
// sampled alike (count, warmup) and pair with no one else.
func (p *Plan) linkInterleaves() hcl.Diagnostics {
	var diags hcl.Diagnostics
	bad := func(inv *spec.Invocation, detail string) {
		p.failedInv[inv.Name] = true
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Invalid interleave", Detail: detail,
			Subject: inv.Sample.InterleaveRange.Ptr(),
		})
	}
	reported := map[string]bool{} // blocks with an error: once per block
	checked := map[string]bool{}  // blocks whose block-level rules hold
	for _, inst := range p.Instances {
		inv := inst.Block
		if inv.Sample == nil || inv.Sample.Interleave == nil || reported[inv.Name] || inst.Sample == nil {
			continue
		}
		name := attrName(inv.Sample.Interleave[1])
		partnerInv := p.Config.Invocations[name]
		if partnerInv == nil || p.failedInv[name] {
			continue // reported by the reference check, or failed already
		}
		fail := func(detail string) {
			reported[inv.Name] = true
			bad(inv, detail)
		}
		if !checked[inv.Name] {
			if !p.interleaveBlockRules(inv, partnerInv, fail) {
				continue
			}
			checked[inv.Name] = true
		}
		partner := p.byAddr[instanceAddr("invocation", name, inst.Key, inst.HasKey)]
		switch {
		case partner == nil:
			fail(fmt.Sprintf("invocation.%s has no instance with the key %q to interleave with.", name, inst.Key))
		case partner.Sample == nil:
			// its sample block failed: reported
		case partner.Sample.Count != inst.Sample.Count || partner.Sample.Warmup != inst.Sample.Warmup:
			fail(fmt.Sprintf("Interleaved samples are drawn call by call, so their count and warmup must be equal: %s has %d and %d, %s has %d and %d.",
				inst.Addr, inst.Sample.Count, inst.Sample.Warmup, partner.Addr, partner.Sample.Count, partner.Sample.Warmup))
		case partner.InterleavedBy != nil:
			fail(fmt.Sprintf("%s is interleaved with %s already: an invocation pairs with one other.", partner.Addr, partner.InterleavedBy.Addr))
		default:
			inst.Interleave, partner.InterleavedBy = partner, inst
		}
	}
	return diags
}

// interleaveBlockRules checks the rules of interleave that hold for the
// whole block inv, pairing with partnerInv; fail reports a broken one.
func (p *Plan) interleaveBlockRules(inv, partnerInv *spec.Invocation, fail func(string)) bool {
	name := partnerInv.Name
	switch {
	case name == inv.Name:
		return false // the reference check reports it (use self)
	case partnerInv.Sample == nil:
		fail(fmt.Sprintf("invocation.%s has no sample block: interleave pairs two sampled invocations.", name))
		return false
	case partnerInv.Sample.Interleave != nil:
		fail(fmt.Sprintf("invocation.%s interleaves with another invocation itself: pairs do not chain. Give interleave on one side only.", name))
		return false
	case (inv.ForEach != nil) != (partnerInv.ForEach != nil):
		fail(fmt.Sprintf("invocation.%s and invocation.%s must both have for_each, or neither: with for_each, each key is drawn with the same key.", inv.Name, name))
		return false
	}
	for _, e := range []hcl.Expression{inv.Payload, inv.PayloadFile, inv.Headers, inv.Path, inv.Query, inv.Method, inv.Enabled} {
		if e != nil && readsInvocation(e, name) {
			fail(fmt.Sprintf("The request of invocation.%s reads invocation.%s, but the two are drawn at the same time: only the checks may read the partner's result.", inv.Name, name))
			return false
		}
	}
	ancestors := p.ancestors(name)
	for _, dep := range p.invocations[inv.Name].deps {
		if dep != name && !ancestors[dep] {
			fail(fmt.Sprintf("invocation.%s starts with invocation.%s, so it may depend only on what invocation.%s depends on; it depends on invocation.%s too.", inv.Name, name, name, dep))
			return false
		}
	}
	return true
}

// ancestors returns the invocation blocks name depends on, directly or not.
func (p *Plan) ancestors(name string) map[string]bool {
	seen := map[string]bool{}
	stack := []string{name}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		b := p.invocations[n]
		if b == nil {
			continue
		}
		for _, d := range b.deps {
			if !seen[d] {
				seen[d] = true
				stack = append(stack, d)
			}
		}
	}
	return seen
}

// readsInvocation reports whether expr reads invocation.name.
func readsInvocation(expr hcl.Expression, name string) bool {
	for _, tr := range expr.Variables() {
		if tr.RootName() == "invocation" && len(tr) > 1 && attrName(tr[1]) == name {
			return true
		}
	}
	return false
}

func (p *Plan) addInstance(inst *Instance) {
	p.Instances = append(p.Instances, inst)
	p.byAddr[inst.Addr] = inst
	p.invInstances[inst.Name] = append(p.invInstances[inst.Name], inst)
}

// planContext is the evaluation context before the run: every invocation
// result is unknown.
func (p *Plan) planContext(filename string, each *eachVals) *hcl.EvalContext {
	vars := make(map[string]cty.Value, 6)
	vars["var"] = p.vars
	vars["local"] = p.localObj
	vars["function"] = p.functionObj
	vars["provider"] = p.providerObj
	vars["invocation"] = p.unknownInvs
	if each != nil {
		vars["each"] = cty.ObjectVal(map[string]cty.Value{"key": each.key, "value": each.value})
	}
	return &hcl.EvalContext{Variables: vars, Functions: p.Config.FunctionsFor(filename)}
}

// staticFunction is the function an invocation's function argument names
// when it is a plain reference to a function block without for_each
// (function.NAME), found without evaluating anything; nil otherwise (the
// argument is then evaluated, and its problems reported).
func (p *Plan) staticFunction(expr hcl.Expression) *FunctionInstance {
	if expr == nil {
		return nil
	}
	trav, diags := hcl.AbsTraversalForExpr(expr)
	if diags.HasErrors() || len(trav) != 2 || trav.RootName() != "function" {
		return nil
	}
	attr, ok := trav[1].(hcl.TraverseAttr)
	if !ok {
		return nil
	}
	return p.Functions["function."+attr.Name]
}

// functionRef evaluates an invocation's function argument, unmarked;
// false when it failed (diagnostics appended) or is excused.
func (p *Plan) functionRef(expr hcl.Expression, ctx *hcl.EvalContext, addr string, diags *hcl.Diagnostics) (cty.Value, bool) {
	if expr == nil {
		return cty.NilVal, false
	}
	v, moreDiags := p.eval(expr, ctx, "the function of "+addr)
	*diags = append(*diags, moreDiags...)
	if moreDiags.HasErrors() || p.excused(v) {
		return cty.NilVal, false
	}
	if v.IsMarked() {
		*diags = append(*diags, functionDiag(expr, addr, "must not use a sensitive value: it is shown in the plan and in reports"))
		return cty.NilVal, false
	}
	if !v.IsKnown() {
		*diags = append(*diags, functionDiag(expr, addr, "must be known before anything is invoked, but it depends on an invocation result"))
		return cty.NilVal, false
	}
	return v, true
}

// functionDiag reports an invocation's function argument (at expr, of the
// instance addr) that is sensitive or not known before the run.
func functionDiag(expr hcl.Expression, addr, why string) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError, Summary: "Invalid function",
		Detail:  fmt.Sprintf("The function of %s %s.", addr, why),
		Subject: expr.Range().Ptr(),
	}
}

func (p *Plan) instance(b *block, key string, hasKey bool, each *eachVals) (*Instance, hcl.Diagnostics) {
	inv := b.inv
	inst := &Instance{
		Addr: instanceAddr("invocation", inv.Name, key, hasKey), Name: inv.Name, Key: key, HasKey: hasKey,
		Block: inv, EachKey: cty.NilVal, EachValue: cty.NilVal, Payload: cty.NilVal, Type: providers.TypeSync, blk: b,
	}
	if each != nil {
		inst.EachKey, inst.EachValue = each.key, each.value
	}
	ctx := p.planContext(inv.DeclRange.Filename, each)
	inst.eachObj = cty.NilVal
	if each != nil {
		inst.eachObj = ctx.Variables["each"]
	}
	var diags hcl.Diagnostics
	eval := func(expr hcl.Expression, what string) (cty.Value, bool) {
		if expr == nil {
			return cty.NilVal, false
		}
		v, moreDiags := p.eval(expr, ctx, fmt.Sprintf("the %s of %s", what, inst.Addr))
		diags = append(diags, moreDiags...)
		if moreDiags.HasErrors() {
			return cty.NilVal, false
		}
		if p.excused(v) {
			return cty.NilVal, false // depends on an unset variable (checked at plan), or on an error
		}
		if !v.IsWhollyKnown() {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  fmt.Sprintf("Invalid %s", what),
				Detail:   fmt.Sprintf("The %s of %s must be known before anything is invoked, but it depends on an invocation result.", what, inst.Addr),
				Subject:  expr.Range().Ptr(),
			})
			return cty.NilVal, false
		}
		if v.IsMarked() || v.ContainsMarked() {
			// Options are shown in the plan, in reports and in messages
			// such as "not a duration: ..."; a secret has no place there.
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  fmt.Sprintf("Invalid %s", what),
				Detail:   fmt.Sprintf("The %s of %s must not use a sensitive value: it is shown in the plan and in reports.", what, inst.Addr),
				Subject:  expr.Range().Ptr(),
			})
			return cty.NilVal, false
		}
		return v, true
	}
	invalid := func(expr hcl.Expression, what, detail string) {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: fmt.Sprintf("Invalid %s", what),
			Detail: detail, Subject: expr.Range().Ptr(),
		})
	}

	// The function. Only its address is read, so the value is not walked
	// whole for unknowns and marks as other options are: a function
	// object holds the function's whole configuration, and this runs once
	// per instance.
	if fi := p.staticFunction(inv.Function); fi != nil {
		inst.Function = fi
	} else if v, ok := p.functionRef(inv.Function, ctx, inst.Addr, &diags); ok {
		addr, reported := "", false
		if !v.IsNull() && v.IsKnown() && v.Type().IsObjectType() && v.Type().HasAttribute("address") {
			a, marks := v.GetAttr("address").Unmark()
			switch {
			case len(marks) > 0:
				reported = true
				diags = append(diags, functionDiag(inv.Function, inst.Addr, "must not use a sensitive value: it is shown in the plan and in reports"))
			case !a.IsKnown():
				reported = true
				diags = append(diags, functionDiag(inv.Function, inst.Addr, "must be known before anything is invoked, but it depends on an invocation result"))
			}
			if !reported && a.Type() == cty.String && !a.IsNull() {
				addr = a.AsString()
			}
		}
		switch fi := p.Functions[addr]; {
		case reported:
		case addr == "":
			invalid(inv.Function, "function", "The function argument must refer to one function block, like function.NAME (or function.NAME[KEY] when it has for_each).")
		case fi == nil:
			// The function itself failed to configure; reported already.
		default:
			inst.Function = fi
		}
	}
	sch := providers.Schema{}
	if inst.Function != nil {
		sch = inst.Function.Provider.Driver.Schema()
	}

	if v, ok := eval(inv.Type, "type"); ok {
		s, err := convert.Convert(v, cty.String)
		if err != nil || s.IsNull() {
			invalid(inv.Type, "type", "type must be \"sync\", \"async\" or \"dry_run\".")
		} else {
			inst.Type = s.AsString()
			switch {
			case inst.Type != providers.TypeSync && inst.Type != providers.TypeAsync && inst.Type != providers.TypeDryRun:
				invalid(inv.Type, "type", fmt.Sprintf("type must be \"sync\", \"async\" or \"dry_run\", not %q.", inst.Type))
			case inst.Function != nil && !contains(sch.Types, inst.Type):
				invalid(inv.Type, "type", fmt.Sprintf("Provider type %s does not support %q invocations; it supports %s.", inst.Function.Provider.Type, inst.Type, strings.Join(sch.Types, ", ")))
			}
		}
	}
	if v, ok := eval(inv.Logs, "logs"); ok {
		inst.Logs, diags = boolOf(v, inv.Logs, "logs", diags)
	}
	if v, ok := eval(inv.Wait, "wait"); ok {
		inst.Wait, diags = boolOf(v, inv.Wait, "wait", diags)
		if inst.Wait && inst.Type != providers.TypeAsync {
			invalid(inv.Wait, "wait", "wait = true only applies to asynchronous invocations (type = \"async\").")
		} else if inst.Wait && inst.Function != nil && !sch.Wait {
			invalid(inv.Wait, "wait", fmt.Sprintf("Provider type %s cannot poll asynchronous invocations, so wait is not supported.", inst.Function.Provider.Type))
		}
	}
	if v, ok := eval(inv.Timeout, "timeout"); ok {
		d, err := spec.DurationValue(v)
		if err != nil {
			invalid(inv.Timeout, "timeout", "The timeout "+err.Error()+".")
		}
		inst.Timeout = d
	}
	if inv.Retry != nil {
		if v, ok := eval(inv.Retry.Attempts, "retry attempts"); ok {
			n, err := spec.IntValue(v, 1)
			if err != nil {
				invalid(inv.Retry.Attempts, "retry attempts", "attempts "+err.Error()+".")
			}
			inst.Attempts = n
		}
		if v, ok := eval(inv.Retry.Backoff, "retry backoff"); ok {
			d, err := spec.DurationValue(v)
			if err != nil {
				invalid(inv.Retry.Backoff, "retry backoff", "backoff "+err.Error()+".")
			}
			inst.Backoff = d
		}
	}
	if v, ok := eval(inv.Tags, "tags"); ok {
		v, _ = v.Unmark()
		l, err := convert.Convert(v, cty.List(cty.String))
		if err != nil || l.IsNull() {
			invalid(inv.Tags, "tags", "tags must be a list of strings.")
		} else {
			for it := l.ElementIterator(); it.Next(); {
				_, ev := it.Element()
				if !ev.IsNull() {
					inst.Tags = append(inst.Tags, ev.AsString())
				}
			}
			sort.Strings(inst.Tags)
		}
	}

	if sm := inv.Sample; sm != nil {
		inst.Sample = &Sample{Concurrency: 1}
		if v, ok := eval(sm.Count, "sample count"); ok {
			n, err := spec.IntValue(v, 1)
			if err == nil && n > MaxSampleCalls {
				err = fmt.Errorf("must be at most %d", MaxSampleCalls)
			}
			if err != nil {
				invalid(sm.Count, "sample count", "count "+err.Error()+".")
			}
			inst.Sample.Count = n
		}
		if v, ok := eval(sm.Warmup, "sample warmup"); ok {
			n, err := spec.IntValue(v, 0)
			if err == nil && n+inst.Sample.Count > MaxSampleCalls {
				err = fmt.Errorf("and count together must be at most %d calls", MaxSampleCalls)
			}
			if err != nil {
				invalid(sm.Warmup, "sample warmup", "warmup "+err.Error()+".")
			}
			inst.Sample.Warmup = n
		}
		if v, ok := eval(sm.Concurrency, "sample concurrency"); ok {
			n, err := spec.IntValue(v, 1)
			if err == nil && n > MaxSampleConcurrency {
				err = fmt.Errorf("must be at most %d", MaxSampleConcurrency)
			}
			if err != nil {
				invalid(sm.Concurrency, "sample concurrency", "concurrency "+err.Error()+".")
			}
			inst.Sample.Concurrency = max(n, 1)
		}
		if v, ok := eval(sm.Rate, "sample rate"); ok {
			f, ok := rateValue(v)
			if !ok {
				invalid(sm.Rate, "sample rate", fmt.Sprintf("rate is calls per second: a number above 0 and at most %d.", MaxSampleRate))
			}
			inst.Sample.Rate = f
		}
	}
	inst.Stats = inst.Sample != nil || p.statsRead[inv.Name] || p.statsAll
	inst.ResultRead = inst.Sample != nil || p.resultRead[inv.Name] || p.statsAll

	// What can be checked now of the values computed per call.
	for _, c := range []struct {
		name string
		expr hcl.Expression
		ty   cty.Type
	}{
		{"payload", inv.Payload, cty.DynamicPseudoType},
		{"payload_file", inv.PayloadFile, cty.String},
		{"headers", inv.Headers, cty.Map(cty.String)},
		{"enabled", inv.Enabled, cty.Bool},
		{"path", inv.Path, cty.String},
		{"query", inv.Query, cty.Map(cty.String)},
		{"method", inv.Method, cty.String},
	} {
		if c.expr == nil {
			continue
		}
		if addressing[c.name] && inst.Function != nil && !sch.Addressing {
			invalid(c.expr, c.name, fmt.Sprintf("%s is only supported by the http provider; function %s is served by provider type %s, whose functions are not addressed by URL.",
				c.name, inst.Function.Addr, inst.Function.Provider.Type))
			continue
		}
		v, moreDiags := p.eval(c.expr, ctx, fmt.Sprintf("the %s of %s", c.name, inst.Addr))
		diags = append(diags, moreDiags...)
		if moreDiags.HasErrors() {
			continue
		}
		if !v.IsWhollyKnown() {
			inst.Unknown = append(inst.Unknown, c.name)
			// Known only after the run, but of a type that can never
			// convert (enabled = invocation.a.status): certain to fail.
			if uv, _ := v.UnmarkDeep(); c.ty != cty.DynamicPseudoType && !spec.FromBroken(v) && !canConvert(uv.Type(), c.ty) {
				invalid(c.expr, c.name, fmt.Sprintf("%s must be a %s, not a %s.", c.name, c.ty.FriendlyName(), uv.Type().FriendlyName()))
			}
			continue
		}
		if c.name == "payload" && p.Config.Pure(c.expr) {
			// Known now, and evaluating it again at run time would give
			// the same value: the executor sends this one.
			inst.Payload = v
		}
		if c.ty != cty.DynamicPseudoType {
			cv, err := convert.Convert(v, c.ty)
			if err != nil {
				invalid(c.expr, c.name, fmt.Sprintf("%s must be a %s: %s.", c.name, c.ty.FriendlyName(), err))
				continue
			}
			if addressing[c.name] {
				inst.setAddressing(c.name, cv)
			}
		}
		if c.name == "payload_file" {
			if d := p.checkPayloadFile(b, v, c.expr); d != nil {
				diags = append(diags, d)
			}
		}
	}
	if len(inst.Unknown) > 0 {
		inst.UnknownFrom = b.invRefs
	}
	// Addressing known now is checked now: a path that climbs above the
	// function's URL fails validate, not the run.
	if v, ok := driverOf(inst).(providers.AddressingValidator); ok && (inst.Path != "" || inst.Method != "" || len(inst.Query) > 0) {
		problems := v.ValidateAddressing(&providers.Request{
			Provider: inst.Function.Provider.Config, Function: inst.Function.Config,
			Path: inst.Path, Query: inst.Query, Method: inst.Method,
		})
		for _, name := range spec.SortedKeys(problems) {
			expr := map[string]hcl.Expression{"path": inv.Path, "query": inv.Query, "method": inv.Method}[name]
			if expr == nil {
				expr = inv.Function
			}
			invalid(expr, name, problems[name]+".")
		}
	}
	if diags.HasErrors() {
		p.markFailed(inv.Name, false)
		return nil, diags
	}
	if inst.Function == nil {
		// Its function failed (reported), or depends on a variable
		// without a value (validate): nothing to invoke.
		p.markFailed(inv.Name, !p.validate)
		return nil, diags
	}
	return inst, diags
}

// addressing names the invocation arguments that address the request at
// run time, honoured by providers whose Schema says Addressing.
var addressing = map[string]bool{"path": true, "query": true, "method": true}

// driverOf returns the driver of the instance's function, or nil.
func driverOf(inst *Instance) providers.Driver {
	if inst.Function == nil {
		return nil
	}
	return inst.Function.Provider.Driver
}

// setAddressing records an addressing argument known before the run.
func (inst *Instance) setAddressing(name string, v cty.Value) {
	v, _ = v.UnmarkDeep()
	if v.IsNull() {
		return
	}
	switch name {
	case "path":
		inst.Path = v.AsString()
	case "method":
		inst.Method = v.AsString()
	case "query":
		inst.Query = map[string]string{}
		for k, ev := range v.AsValueMap() {
			if !ev.IsNull() {
				inst.Query[k] = ev.AsString()
			}
		}
	}
}

func boolOf(v cty.Value, expr hcl.Expression, what string, diags hcl.Diagnostics) (bool, hcl.Diagnostics) {
	v, _ = v.Unmark()
	b, err := convert.Convert(v, cty.Bool)
	if err != nil || b.IsNull() {
		return false, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: fmt.Sprintf("Invalid %s", what),
			Detail: fmt.Sprintf("%s must be true or false.", what), Subject: expr.Range().Ptr(),
		})
	}
	return b.True(), diags
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// checkOutputs evaluates outputs before the run, to catch errors in values
// that do not depend on results.
func (p *Plan) checkOutputs() hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, name := range spec.SortedKeys(p.Config.Outputs) {
		o := p.Config.Outputs[name]
		_, moreDiags := p.eval(o.Value, p.planContext(o.DeclRange.Filename, nil), "output."+name)
		diags = append(diags, moreDiags...)
	}
	return diags
}

// selectInstances applies -target and -tag, then adds every dependency.
func (p *Plan) selectInstances(targets, tags []string) ([]*Instance, hcl.Diagnostics) {
	if len(targets) == 0 && len(tags) == 0 {
		return p.Instances, nil
	}
	var diags hcl.Diagnostics
	keep := map[*Instance]bool{}
	var mark func(*Instance)
	mark = func(i *Instance) {
		if keep[i] {
			return
		}
		keep[i] = true
		for _, d := range i.Deps {
			mark(d)
		}
	}
	for _, t := range targets {
		found, err := p.resolveTarget(t)
		if err != "" {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid target", Detail: err})
			continue
		}
		for _, i := range found {
			mark(i)
		}
	}
	for _, t := range tags {
		for _, i := range p.Instances {
			if contains(i.Tags, t) {
				mark(i)
			}
		}
	}
	var out []*Instance
	for _, i := range p.Instances {
		if keep[i] {
			out = append(out, i)
		}
	}
	return out, diags
}

func (p *Plan) resolveTarget(t string) ([]*Instance, string) {
	s := strings.TrimPrefix(strings.TrimSpace(t), "invocation.")
	name, key, hasKey := s, "", false
	if i := strings.IndexByte(s, '['); i >= 0 && strings.HasSuffix(s, "]") {
		name, hasKey = s[:i], true
		k, err := strconv.Unquote(s[i+1 : len(s)-1])
		if err != nil {
			return nil, fmt.Sprintf("The target %q has an invalid key; write invocation.NAME[\"KEY\"].", t)
		}
		key = k
	}
	// A block whose for_each is empty has no instances, yet it exists:
	// look names up in the configuration, not among the instances.
	insts := p.invInstances[name]
	if _, ok := p.Config.Invocations[name]; !ok {
		msg := fmt.Sprintf("The target %q names no invocation of this suite.", t)
		if sug := spec.Suggest(name, spec.SortedKeys(p.Config.Invocations)); sug != "" {
			msg += fmt.Sprintf(" Did you mean invocation.%s?", sug)
		}
		return nil, msg
	}
	if !hasKey {
		return insts, ""
	}
	addr := instanceAddr("invocation", name, key, true)
	if i := p.byAddr[addr]; i != nil {
		return []*Instance{i}, ""
	}
	if p.failedInv[name] {
		return nil, "" // its instances could not be planned: reported
	}
	return nil, fmt.Sprintf("The target %q names no instance: invocation.%s has no key %q.", t, name, key)
}

// Dependencies are described for plan output.

// DependencyNames returns the invocation blocks inst depends on.
func (inst *Instance) DependencyNames() []string { return inst.blk.deps }

// Results gives the executor's answers to expressions evaluated at run time.
type Results interface {
	// Invocation returns the value of invocation.NAME: the result object,
	// or for a block with for_each an object of them by key.
	Invocation(name string) cty.Value
}

// EvalContext builds the context for evaluating inst's expressions at run
// time, once its dependencies have answered. self is the instance's own
// result (cty.NilVal before it has one). Locals that depend on results are
// evaluated here.
func (p *Plan) EvalContext(inst *Instance, results Results, self cty.Value) (*hcl.EvalContext, hcl.Diagnostics) {
	b := inst.blk
	invObj := cty.EmptyObjectVal
	if len(b.invRefs) > 0 {
		invs := make(map[string]cty.Value, len(b.invRefs))
		for _, name := range b.invRefs {
			invs[name] = results.Invocation(name)
		}
		invObj = objectOf(invs)
	}
	vars := make(map[string]cty.Value, 8)
	vars["var"] = p.vars
	vars["local"] = p.localObj
	vars["function"] = p.functionObj
	vars["provider"] = p.providerObj
	vars["invocation"] = invObj
	if inst.eachObj != cty.NilVal {
		vars["each"] = inst.eachObj
	}
	if self != cty.NilVal {
		vars["self"] = self
	}
	ctx := &hcl.EvalContext{Variables: vars, Functions: p.Config.FunctionsFor(inst.Block.DeclRange.Filename)}
	var diags hcl.Diagnostics
	if len(b.runtimeLocals) > 0 {
		vars["local"], diags = p.runtimeLocals(b.runtimeLocals, b.locals, vars["invocation"])
	}
	return ctx, diags
}

// runtimeLocals evaluates the named locals, dependencies first, over the
// plan-time ones, with invocations as the invocation object, and returns
// the object of the locals named in keep (all of them when keep is nil).
// Each local is evaluated in a context holding only the locals it reads,
// so the cost is linear in the size of the suite.
func (p *Plan) runtimeLocals(names, keep []string, invocations cty.Value) (cty.Value, hcl.Diagnostics) {
	vals := make(map[string]cty.Value, len(names))
	get := func(name string) cty.Value {
		if v, ok := vals[name]; ok {
			return v
		}
		return p.localObj.GetAttr(name)
	}
	var diags hcl.Diagnostics
	for _, name := range names {
		l := p.Config.Locals[name]
		reads := map[string]cty.Value{}
		for _, r := range p.localRefs[name] {
			if r.Addr.Kind == KindLocal {
				reads[r.Addr.Name] = get(r.Addr.Name)
			}
		}
		ctx := &hcl.EvalContext{Variables: map[string]cty.Value{
			"var": p.vars, "local": objectOf(reads), "function": p.functionObj,
			"provider": p.providerObj, "invocation": invocations,
		}, Functions: p.Config.FunctionsFor(l.DeclRange.Filename)}
		v, moreDiags := p.Config.Eval(l.Expr, ctx, "local."+name)
		diags = append(diags, moreDiags...)
		vals[name] = v
	}
	if keep == nil {
		out := copyMap(p.localObj)
		for name, v := range vals {
			out[name] = v
		}
		return objectOf(out), diags
	}
	out := make(map[string]cty.Value, len(keep))
	for _, name := range keep {
		out[name] = get(name)
	}
	return objectOf(out), diags
}

// OutputScope builds what outputs are evaluated in after the run, once:
// every invocation that passed has its value, the others are unknown. The
// function it returns gives the context for an output declared in filename
// (file() resolves against that file's directory).
func (p *Plan) OutputScope(results Results) func(filename string) *hcl.EvalContext {
	invs := make(map[string]cty.Value, len(p.invocations))
	for name := range p.invocations {
		invs[name] = results.Invocation(name)
	}
	invObj := objectOf(invs)
	var names []string
	for _, a := range p.order {
		if a.Kind == KindLocal && p.runtime[a] {
			names = append(names, a.Name)
		}
	}
	// Errors in locals surface as errors in the outputs that read them.
	locals, _ := p.runtimeLocals(names, nil, invObj)
	vars := map[string]cty.Value{
		"var": p.vars, "local": locals, "function": p.functionObj, "provider": p.providerObj, "invocation": invObj,
	}
	return func(filename string) *hcl.EvalContext {
		return &hcl.EvalContext{Variables: vars, Functions: p.Config.FunctionsFor(filename)}
	}
}

// DefaultTimeout is used when neither the invocation nor the settings set one.
const DefaultTimeout = 30 * time.Second

func copyMap(obj cty.Value) map[string]cty.Value {
	out := map[string]cty.Value{}
	for k, v := range obj.AsValueMap() {
		out[k] = v
	}
	return out
}

// parallelMin is the number of for_each keys from which their instances
// are planned in parallel.
const parallelMin = 256

// parallel calls f(0) … f(n-1), on every core when n is large. f may run
// concurrently with itself: what it shares is guarded (Plan.mu).
func parallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n/parallelMin)
	if workers < 2 {
		for i := range n {
			f(i)
		}
		return
	}
	workpool.Run(workers, n, func(i int) bool { f(i); return true })
}

// markFailed records that an instance of the invocation name failed to
// plan, and that the plan is broken when broken; safe for concurrent use.
func (p *Plan) markFailed(name string, broken bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failedInv[name] = true
	if broken {
		p.broken = true
	}
}
