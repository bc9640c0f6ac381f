// Package planner turns a decoded suite into a plan: the references between
// blocks become a graph, cycles are reported, for_each is expanded into
// instances, everything that can be known before invoking is evaluated and
// checked, and -target / -tag select what runs. It knows no provider's wire
// format; it only asks each driver for its schema.
package planner

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/spec"
	"github.com/fnprobe/fnprobe/stats"
)

// Options configure Build.
type Options struct {
	Registry providers.Registry
	// Vars are the resolved variable values (spec.Config.VariableValues).
	Vars map[string]cty.Value
	// Targets keep an invocation (NAME, invocation.NAME or
	// invocation.NAME["KEY"]) and what it needs. Empty: everything.
	Targets []string
	// Tags keep invocations carrying one of these tags, and what they need.
	Tags []string
	// Validate checks the suite regardless of the values it will get:
	// values unknown because a variable is unset (spec.Unset) are
	// accepted where the plan would need them known.
	Validate bool
	// Redactor, when set, registers every secret as soon as planning finds
	// it (Plan.Secrets holds them too), so that the diagnostics of a plan
	// that fails are redacted as well.
	Redactor *spec.Redactor
}

// Plan is a suite resolved for running.
type Plan struct {
	Config    *spec.Config
	Registry  providers.Registry
	Instances []*Instance // every invocation instance, sorted by address
	Selected  []*Instance // those selected by -target / -tag (all when none given), sorted
	Providers map[string]*ProviderInstance
	Functions map[string]*FunctionInstance // by instance address
	// Secrets are credential values and sensitive values found while
	// planning, for the Redactor.
	Secrets []cty.Value

	graph        *graph
	validate     bool
	redactor     *spec.Redactor
	vars         cty.Value
	runtime      map[Addr]bool    // locals known only after some invocation
	localRefs    map[string][]Ref // local → its references
	order        []Addr           // non-invocation blocks, dependencies first
	localObj     cty.Value        // every plan-time local
	functionObj  cty.Value
	providerObj  cty.Value
	unknownInvs  cty.Value // every invocation name → unknown
	invocations  map[string]*block
	byAddr       map[string]*Instance
	invInstances map[string][]*Instance

	// What failed, so that nothing reports it again (see spec.Broken):
	// expressions with a reference error, by range; blocks whose body
	// has one or that sit in a cycle; invocation blocks with an instance
	// that failed to plan.
	bad       map[hcl.Range]bool
	badBlock  map[Addr]bool
	failedInv map[string]bool
	// broken: a value is missing, with no error to say why; failedVars:
	// a variable's value was rejected (VariableValues said why). Either
	// way there is no plan.
	broken     bool
	failedVars bool
	// provProblems: provider problems reported, once per provider.
	provProblems map[string]bool
	// filesChecked: payload_file paths checked, and what was found.
	filesChecked map[string]error
	// mu guards what instances planned in parallel share: failedInv,
	// broken and filesChecked.
	mu sync.Mutex
	// keyRefs: references invocation.NAME["KEY"] with a constant key,
	// checked against NAME's for_each keys once they are known;
	// eachKeys: those keys, for each invocation whose for_each is known.
	keyRefs  []keyRef
	eachKeys map[string]map[string]bool
	// statsRead: invocations whose stats something may read (self.stats,
	// invocation.NAME.stats, or the whole result object); statsAll: the
	// whole invocation object is read.
	statsRead map[string]bool
	statsAll  bool
	// resultRead: invocations whose result object an expression may read
	// (self in its own block, invocation.NAME anywhere).
	resultRead map[string]bool
}

// keyRef is a reference to one instance of a for_each invocation by a
// constant key.
type keyRef struct {
	name, key string
	tr        hcl.Traversal
	rng       hcl.Range
}

// block is what the planner knows of an invocation block.
type block struct {
	inv *spec.Invocation
	// deps: invocation names this block depends on, directly, through
	// locals or through depends_on; sorted.
	deps []string
	// runtimeLocals: locals to evaluate once dependencies have answered,
	// dependencies first.
	runtimeLocals []string
	// invRefs: invocations whose results expressions of this block (or its
	// runtime locals) read.
	invRefs []string
	// locals: the locals expressions of this block read, sorted; the run
	// time context holds only these.
	locals []string
}

// Instance is one invocation to make: an invocation block, or one key of its
// for_each.
type Instance struct {
	Addr      string // invocation.NAME or invocation.NAME["KEY"]
	Name      string
	Key       string
	HasKey    bool
	Block     *spec.Invocation
	EachKey   cty.Value // cty.NilVal without for_each
	EachValue cty.Value
	Function  *FunctionInstance
	Type      string
	Logs      bool
	Wait      bool
	Timeout   time.Duration // 0: the run's default
	Attempts  int           // 0: the run's default
	Backoff   time.Duration // 0: the run's default
	Tags      []string
	Deps      []*Instance // sorted by address
	// Path, Query and Method are the invocation's addressing arguments
	// when known before the run ("" / nil when unset or in Unknown).
	Path   string
	Query  map[string]string
	Method string
	// Payload is the payload's value when it is known before the run and
	// pure (no timestamp(), uuid()); cty.NilVal otherwise, and the executor
	// evaluates it.
	Payload cty.Value
	// Interleave is the instance whose sample this one is drawn with, call
	// by call (sample { interleave }); InterleavedBy is the converse.
	Interleave    *Instance
	InterleavedBy *Instance
	// Sample is the sample block's plan, nil without one. Stats says the
	// result's stats object is read somewhere (or the invocation is
	// sampled), so the executor computes it; otherwise it is null.
	Sample *Sample
	Stats  bool
	// ResultRead says an expression of the suite may read this
	// invocation's result object (self in its checks, invocation.NAME
	// elsewhere); the executor may leave it unbuilt otherwise.
	ResultRead bool
	// Unknown lists the attributes whose value is known only after the
	// invocations in UnknownFrom have answered.
	Unknown     []string
	UnknownFrom []string

	blk *block
	// eachObj is the each object (key and value) of a for_each
	// instance, built once when planning; cty.NilVal without for_each.
	eachObj cty.Value
}

// Sample is how an invocation is sampled: Warmup calls, then Count calls
// that the statistics describe; Concurrency at once; at most Rate calls
// per second when Rate > 0.
type Sample struct {
	Count       int
	Concurrency int
	Warmup      int
	Rate        float64
}

// Sample limits (docs/limits.md).
const (
	MaxSampleCalls       = stats.MaxCalls // count + warmup
	MaxSampleConcurrency = 1000
	MaxSampleRate        = 10000
)

// ProviderInstance is a configured provider block.
type ProviderInstance struct {
	Addr   string // provider.TYPE or provider.TYPE.ALIAS
	Type   string
	Config cty.Value // decoded, known, unmarked
	Driver providers.Driver
	Limits Limits
	// CredentialSource, when set, names where the provider's credentials
	// come from for plan, instead of its driver's chain: run -emulate
	// sets it when it supplies the emulator's credential.
	CredentialSource string
}

// Limits bound the calls made through a provider or a function: at most
// MaxConcurrency attempts in flight and RateLimit attempts started per
// second; 0 is no bound.
type Limits struct {
	MaxConcurrency int
	RateLimit      float64
}

// evalLimits evaluates the max_concurrency and rate_limit meta-arguments
// of the block what.
func (p *Plan) evalLimits(l spec.Limits, ctx *hcl.EvalContext, what string) (Limits, hcl.Diagnostics) {
	var out Limits
	var diags hcl.Diagnostics
	for _, c := range []struct {
		name string
		expr hcl.Expression
	}{{"max_concurrency", l.MaxConcurrency}, {"rate_limit", l.RateLimit}} {
		if c.expr == nil {
			continue
		}
		v, moreDiags := p.eval(c.expr, ctx, fmt.Sprintf("the %s of %s", c.name, what))
		diags = append(diags, moreDiags...)
		if moreDiags.HasErrors() || p.excused(v) {
			continue
		}
		invalid := func(detail string) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Invalid " + c.name, Detail: detail, Subject: c.expr.Range().Ptr(),
			})
		}
		if !v.IsWhollyKnown() {
			invalid(fmt.Sprintf("The %s of %s must be known before anything is invoked.", c.name, what))
			continue
		}
		switch c.name {
		case "max_concurrency":
			n, err := spec.IntValue(v, 1)
			if err != nil {
				invalid("max_concurrency " + err.Error() + ".")
			}
			out.MaxConcurrency = n
		case "rate_limit":
			f, ok := rateValue(v)
			if !ok {
				invalid(fmt.Sprintf("rate_limit is calls per second: a number above 0 and at most %d.", MaxSampleRate))
			}
			out.RateLimit = f
		}
	}
	return out, diags
}

// rateValue reads a rate in calls per second (sample rate, rate_limit): a
// number above 0 and at most MaxSampleRate.
func rateValue(v cty.Value) (float64, bool) {
	v, _ = v.Unmark()
	n, err := convert.Convert(v, cty.Number)
	if err != nil || n.IsNull() {
		return 0, false
	}
	f, _ := n.AsBigFloat().Float64()
	return f, f > 0 && f <= MaxSampleRate
}

// FunctionInstance is a function block, or one key of its for_each.
type FunctionInstance struct {
	Addr     string // function.NAME or function.NAME["KEY"]
	Name     string
	Provider *ProviderInstance
	Config   cty.Value // decoded, known, unmarked
	BaseDir  string    // directory of the file declaring it
	Limits   Limits
}

// Build plans cfg.
func Build(cfg *spec.Config, opts Options) (*Plan, hcl.Diagnostics) {
	p := &Plan{
		Config:       cfg,
		Registry:     opts.Registry,
		Providers:    map[string]*ProviderInstance{},
		Functions:    map[string]*FunctionInstance{},
		runtime:      map[Addr]bool{},
		localRefs:    map[string][]Ref{},
		invocations:  map[string]*block{},
		byAddr:       map[string]*Instance{},
		invInstances: map[string][]*Instance{},
		bad:          map[hcl.Range]bool{},
		badBlock:     map[Addr]bool{},
		failedInv:    map[string]bool{},
		provProblems: map[string]bool{},
		filesChecked: map[string]error{},
		eachKeys:     map[string]map[string]bool{},
		statsRead:    map[string]bool{},
		resultRead:   map[string]bool{},
	}
	p.vars = p.varsObject(opts.Vars)
	p.validate = opts.Validate
	p.redactor = opts.Redactor
	for name, v := range opts.Vars {
		if cfg.Variables[name] != nil && cfg.Variables[name].Sensitive {
			p.addSecret(v)
		}
	}

	// One pass: every stage runs, whatever the stages before it found,
	// and what failed stands as spec.BrokenVal so that nothing is
	// reported twice.
	g, diags := p.buildGraph()
	p.graph = g
	comps := g.sccs()
	diags = append(diags, g.cycles(comps, p.badBlock)...)
	for _, c := range comps {
		for _, a := range c {
			if a.Kind != KindInvocation && a.Kind != KindOutput {
				p.order = append(p.order, a)
			}
		}
	}

	diags = append(diags, p.evaluateBlocks()...)
	diags = append(diags, p.expandInvocations()...)
	diags = append(diags, p.checkKeyRefs()...)
	diags = append(diags, p.checkOutputs()...)
	sel, moreDiags := p.selectInstances(opts.Targets, opts.Tags)
	diags = append(diags, moreDiags...)
	p.Selected = sel
	diags = spec.SortDiagnostics(diags)
	if diags.HasErrors() || cfg.Invalid() || p.failedVars {
		return nil, diags
	}
	if p.broken {
		// A value was missing with no error to say why (a caller that
		// skipped VariableValues): never hand out such a plan.
		return nil, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Incomplete configuration",
			Detail:   "Some values are missing (a variable without a value?), so the suite cannot be planned.",
			Subject:  p.firstRange(),
		})
	}
	return p, diags
}

// varsObject is the var object: the resolved values, and spec.BrokenVal
// for a variable whose declaration or value was rejected (reported).
func (p *Plan) varsObject(vals map[string]cty.Value) cty.Value {
	m := make(map[string]cty.Value, len(vals))
	for k, v := range vals {
		m[k] = v
		if spec.FromBroken(v) {
			p.failedVars = true
		}
	}
	for name := range p.Config.Variables {
		if _, ok := m[name]; !ok {
			m[name], p.broken = spec.BrokenVal, true
		}
	}
	for _, name := range p.Config.FailedNames("variable") {
		if _, ok := m[name]; !ok {
			m[name], p.broken = spec.BrokenVal, true
		}
	}
	return objectOf(m)
}

// firstRange is a range to hang a diagnostic on that has no better one.
func (p *Plan) firstRange() *hcl.Range {
	for _, name := range spec.SortedKeys(p.Config.Variables) {
		return p.Config.Variables[name].DeclRange.Ptr()
	}
	return nil
}

// excused reports a value unknown because of something reported already
// (spec.Broken) or, when validating, of a variable without a value.
func (p *Plan) excused(v cty.Value) bool {
	if v.IsWhollyKnown() {
		return false // the common case, and a large value: walk it once
	}
	return spec.FromBroken(v) || (p.validate && spec.FromUnset(v))
}

// eval evaluates an expression of the suite. An expression with a
// reference error (reported by buildGraph) is not evaluated again: it is
// spec.BrokenVal. Attribute errors get a did-you-mean.
func (p *Plan) eval(expr hcl.Expression, ctx *hcl.EvalContext, what string) (cty.Value, hcl.Diagnostics) {
	if p.bad[expr.Range()] {
		return spec.BrokenVal, nil
	}
	v, diags := p.Config.Eval(expr, ctx, what)
	if diags.HasErrors() {
		suggestAttributes(diags, expr.Variables(), ctx)
		return spec.BrokenVal, diags
	}
	return v, diags
}

// exprRefs is refs, remembering the expressions with a reference error.
func (p *Plan) exprRefs(sc scope, exprs ...hcl.Expression) ([]Ref, hcl.Diagnostics) {
	var out []Ref
	var diags hcl.Diagnostics
	for _, e := range exprs {
		if e == nil {
			continue
		}
		rs, moreDiags := refs(p.Config, sc, e)
		if !moreDiags.HasErrors() {
			for _, tr := range e.Variables() {
				if d := resultRefProblem(p.Config, tr); d != nil {
					moreDiags = append(moreDiags, d)
				} else if kr, ok := constantKeyRef(p.Config, tr); ok {
					p.keyRefs = append(p.keyRefs, kr)
				}
				p.noteReads(sc, tr)
			}
		}
		if moreDiags.HasErrors() {
			p.bad[e.Range()] = true
		}
		diags = append(diags, moreDiags...)
		out = append(out, rs...)
	}
	return out, diags
}

func objectOf(m map[string]cty.Value) cty.Value {
	if len(m) == 0 {
		return cty.EmptyObjectVal
	}
	return cty.ObjectVal(m)
}

// buildGraph collects every block's references.
func (p *Plan) buildGraph() (*graph, hcl.Diagnostics) {
	cfg := p.Config
	g := &graph{edges: map[Addr][]Ref{}, ranges: map[Addr]hcl.Range{}}
	var diags hcl.Diagnostics
	for _, name := range spec.SortedKeys(cfg.Locals) {
		l := cfg.Locals[name]
		rs, moreDiags := p.exprRefs(scope{}, l.Expr)
		diags = append(diags, moreDiags...)
		p.localRefs[name] = rs
		g.add(Addr{KindLocal, name}, l.DeclRange, rs)
	}
	for _, addr := range spec.SortedKeys(cfg.Providers) {
		pr := cfg.Providers[addr]
		rs, moreDiags := bodyRefs(cfg, scope{}, pr.Config, pr.Spec)
		more, limitDiags := p.exprRefs(scope{}, pr.Limits.Exprs()...)
		rs, moreDiags = append(rs, more...), append(moreDiags, limitDiags...)
		diags = append(diags, moreDiags...)
		if moreDiags.HasErrors() {
			p.badBlock[Addr{KindProvider, addr}] = true
		}
		g.add(Addr{KindProvider, addr}, pr.DeclRange, rs)
	}
	for _, name := range spec.SortedKeys(cfg.Functions) {
		fn := cfg.Functions[name]
		sc := scope{each: fn.ForEach != nil}
		rs, moreDiags := p.exprRefs(scope{}, fn.ForEach, fn.Provider)
		diags = append(diags, moreDiags...)
		more, moreDiags := p.exprRefs(sc, fn.Limits.Exprs()...)
		diags = append(diags, moreDiags...)
		rs = append(rs, more...)
		if moreDiags.HasErrors() {
			p.badBlock[Addr{KindFunction, name}] = true
		}
		pr, _ := cfg.ProviderFor(providerAddrOf(fn))
		if pr != nil {
			more, moreDiags := bodyRefs(cfg, sc, fn.Config, p.Registry[pr.Type].Schema().Function)
			diags = append(diags, moreDiags...)
			rs = append(rs, more...)
			if moreDiags.HasErrors() {
				p.badBlock[Addr{KindFunction, name}] = true
			}
		}
		g.add(Addr{KindFunction, name}, fn.DeclRange, rs)
	}
	for _, name := range spec.SortedKeys(cfg.Invocations) {
		inv := cfg.Invocations[name]
		each := inv.ForEach != nil
		plain := scope{each: each, owner: name}
		checks := scope{each: each, self: true, owner: name}
		rs, moreDiags := p.exprRefs(scope{owner: name}, inv.ForEach)
		diags = append(diags, moreDiags...)
		more, moreDiags := p.exprRefs(plain, inv.Function, inv.Payload, inv.PayloadFile, inv.Type, inv.Logs,
			inv.Wait, inv.Timeout, inv.Headers, inv.Tags, inv.Enabled, inv.Path, inv.Query, inv.Method)
		diags = append(diags, moreDiags...)
		rs = append(rs, more...)
		if inv.Retry != nil {
			more, moreDiags := p.exprRefs(plain, inv.Retry.Attempts, inv.Retry.Backoff)
			diags = append(diags, moreDiags...)
			rs = append(rs, more...)
			more, moreDiags = p.exprRefs(checks, inv.Retry.Until)
			diags = append(diags, moreDiags...)
			rs = append(rs, more...)
		}
		for _, c := range inv.Expect.Checks() {
			more, moreDiags := p.exprRefs(checks, c.Expr)
			diags = append(diags, moreDiags...)
			rs = append(rs, more...)
		}
		for _, a := range inv.Asserts {
			more, moreDiags := p.exprRefs(checks, a.Condition, a.ErrorMessage)
			diags = append(diags, moreDiags...)
			rs = append(rs, more...)
		}
		if sm := inv.Sample; sm != nil {
			more, moreDiags := p.exprRefs(plain, sm.Count, sm.Concurrency, sm.Rate, sm.Warmup)
			diags = append(diags, moreDiags...)
			rs = append(rs, more...)
		}
		for _, tr := range inv.DependsOn {
			r, moreDiags := ref(cfg, scope{owner: name}, tr)
			diags = append(diags, moreDiags...)
			if r == nil {
				continue
			}
			if r.Addr.Kind != KindInvocation {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid depends_on reference",
					Detail:   fmt.Sprintf("depends_on lists invocations; %s is not one.", r.Addr),
					Subject:  tr.SourceRange().Ptr(),
				})
				continue
			}
			rs = append(rs, *r)
		}
		if sm := inv.Sample; sm != nil && sm.Interleave != nil {
			// An edge: the partner's node draws both samples, and this
			// invocation's gates read the partner's statistics.
			if r, moreDiags := ref(cfg, scope{owner: name}, sm.Interleave); r != nil {
				rs = append(rs, *r)
			} else {
				diags = append(diags, moreDiags...)
			}
		}
		g.add(Addr{KindInvocation, name}, inv.DeclRange, rs)
	}
	for _, name := range spec.SortedKeys(cfg.Outputs) {
		o := cfg.Outputs[name]
		rs, moreDiags := p.exprRefs(scope{}, o.Value)
		diags = append(diags, moreDiags...)
		g.add(Addr{KindOutput, name}, o.DeclRange, rs)
	}
	return g, diags
}

// bodyRefs finds references in a body decoded with spec s.
func bodyRefs(cfg *spec.Config, sc scope, body hcl.Body, s hcldec.Spec) ([]Ref, hcl.Diagnostics) {
	var out []Ref
	var diags hcl.Diagnostics
	for _, tr := range hcldec.Variables(body, s) {
		r, moreDiags := ref(cfg, sc, tr)
		diags = append(diags, moreDiags...)
		if r != nil {
			out = append(out, *r)
		}
	}
	return out, diags
}

func providerAddrOf(fn *spec.Function) string {
	tr, diags := hcl.AbsTraversalForExpr(fn.Provider)
	if diags.HasErrors() || len(tr) < 2 {
		return ""
	}
	parts := make([]string, 0, 2)
	for _, t := range tr[1:] {
		if a, ok := t.(hcl.TraverseAttr); ok {
			parts = append(parts, a.Name)
		}
	}
	return strings.Join(parts, ".")
}

// evaluateBlocks evaluates locals, providers and functions in dependency
// order, with every invocation result unknown (of the result type). What
// fails is spec.BrokenVal for what depends on it.
func (p *Plan) evaluateBlocks() hcl.Diagnostics {
	cfg := p.Config
	var diags hcl.Diagnostics
	unk := make(map[string]cty.Value, len(cfg.Invocations))
	for name, inv := range cfg.Invocations {
		if inv.ForEach != nil {
			unk[name] = cty.UnknownVal(cty.Map(ResultType))
		} else {
			unk[name] = unknownResult
		}
	}
	p.unknownInvs = objectOf(unk)
	locals := map[string]cty.Value{}
	funcs := map[string]cty.Value{}
	provs := map[string]map[string]cty.Value{}
	brokenTypes := map[string]bool{} // provider types with no valid block
	for _, addr := range cfg.FailedNames("provider") {
		typ, alias, _ := strings.Cut(addr, ".")
		if alias == "" {
			brokenTypes[typ] = true
		} else {
			if provs[typ] == nil {
				provs[typ] = map[string]cty.Value{}
			}
			provs[typ][alias] = spec.BrokenVal
		}
	}
	for _, name := range cfg.FailedNames("function") {
		funcs[name] = spec.BrokenVal
	}
	// A block's context holds only what it refers to: building objects of
	// every local or function for each block would make planning
	// quadratic in the size of the suite.
	var refsOf []Ref
	ctxFor := func(filename string, each *eachVals) *hcl.EvalContext {
		ls, fs, ps := map[string]cty.Value{}, map[string]cty.Value{}, map[string]map[string]cty.Value{}
		var bt map[string]bool
		for _, r := range refsOf {
			switch r.Addr.Kind {
			case KindLocal:
				if v, ok := locals[r.Addr.Name]; ok {
					ls[r.Addr.Name] = v
				} else {
					ls[r.Addr.Name] = spec.BrokenVal // in a cycle
				}
			case KindFunction:
				if v, ok := funcs[r.Addr.Name]; ok {
					fs[r.Addr.Name] = v
				} else {
					fs[r.Addr.Name] = spec.BrokenVal
				}
			case KindProvider:
				typ, _, _ := strings.Cut(r.Addr.Name, ".")
				if pv, ok := provs[typ]; ok {
					ps[typ] = pv
				} else {
					bt = brokenTypes
				}
			}
		}
		vars := map[string]cty.Value{
			"var":        p.vars,
			"local":      objectOf(ls),
			"function":   objectOf(fs),
			"provider":   providerObject(ps, bt),
			"invocation": p.unknownInvs,
		}
		if each != nil {
			vars["each"] = cty.ObjectVal(map[string]cty.Value{"key": each.key, "value": each.value})
		}
		return &hcl.EvalContext{Variables: vars, Functions: cfg.FunctionsFor(filename)}
	}
	for _, a := range p.order {
		refsOf = p.graph.edges[a]
		switch a.Kind {
		case KindLocal:
			l := cfg.Locals[a.Name]
			for _, r := range p.localRefs[a.Name] {
				if r.Addr.Kind == KindInvocation || (r.Addr.Kind == KindLocal && p.runtime[r.Addr]) {
					p.runtime[a] = true
				}
			}
			if p.badBlock[a] {
				locals[a.Name] = spec.BrokenVal
				continue
			}
			v, moreDiags := p.eval(l.Expr, ctxFor(l.DeclRange.Filename, nil), "local."+a.Name)
			diags = append(diags, moreDiags...)
			locals[a.Name] = v
		case KindProvider:
			pr := cfg.Providers[a.Name]
			ok, moreDiags := p.evaluateProvider(a, pr, ctxFor)
			diags = append(diags, moreDiags...)
			if !ok {
				if pr.Alias == "" {
					brokenTypes[pr.Type] = true
				} else {
					if provs[pr.Type] == nil {
						provs[pr.Type] = map[string]cty.Value{}
					}
					provs[pr.Type][pr.Alias] = spec.BrokenVal
				}
				continue
			}
			pv := cty.ObjectVal(map[string]cty.Value{
				"type":    cty.StringVal(pr.Type),
				"alias":   cty.StringVal(pr.Alias),
				"address": cty.StringVal("provider." + a.Name),
			})
			if provs[pr.Type] == nil {
				provs[pr.Type] = map[string]cty.Value{}
			}
			if pr.Alias == "" {
				for k, v := range pv.AsValueMap() {
					provs[pr.Type][k] = v
				}
			} else {
				provs[pr.Type][pr.Alias] = pv
			}
		case KindFunction:
			fn := cfg.Functions[a.Name]
			if p.badBlock[a] {
				funcs[a.Name] = spec.BrokenVal
				continue
			}
			v, moreDiags := p.evaluateFunction(fn, ctxFor)
			diags = append(diags, moreDiags...)
			funcs[a.Name] = v
		}
	}
	p.localObj = objectOf(locals)
	p.functionObj = objectOf(funcs)
	p.providerObj = providerObject(provs, brokenTypes)
	return diags
}

// evaluateProvider decodes a provider block and, when it is valid, makes
// its ProviderInstance.
func (p *Plan) evaluateProvider(a Addr, pr *spec.Provider, ctxFor func(string, *eachVals) *hcl.EvalContext) (bool, hcl.Diagnostics) {
	if p.badBlock[a] {
		return false, nil
	}
	ctx := ctxFor(pr.DeclRange.Filename, nil)
	v, diags := hcldec.Decode(pr.Config, pr.Spec, ctx)
	if diags.HasErrors() {
		suggestAttributes(diags, hcldec.Variables(pr.Config, pr.Spec), ctx)
		return false, diags
	}
	if d := spec.CheckValue(v, "provider."+a.Name, pr.DeclRange.Ptr()); d != nil {
		return false, append(diags, d)
	}
	v, moreDiags := p.knownConfig(v, pr.Sensitive, "provider."+a.Name, pr.Config, pr.Spec, pr.DeclRange, false)
	diags = append(diags, moreDiags...)
	if moreDiags.HasErrors() || v == cty.NilVal || p.Config.Failed("provider", a.Name) {
		return false, diags
	}
	limits, moreDiags := p.evalLimits(pr.Limits, ctx, "provider."+a.Name)
	diags = append(diags, moreDiags...)
	if moreDiags.HasErrors() {
		return false, diags
	}
	p.Providers[a.Name] = &ProviderInstance{Addr: "provider." + a.Name, Type: pr.Type, Config: v, Driver: p.Registry[pr.Type], Limits: limits}
	return true, diags
}

func providerObject(provs map[string]map[string]cty.Value, broken map[string]bool) cty.Value {
	m := make(map[string]cty.Value, len(provs))
	for t := range broken {
		m[t] = spec.BrokenVal
	}
	for t, attrs := range provs {
		m[t] = objectOf(attrs)
	}
	return objectOf(m)
}

type eachVals struct{ key, value cty.Value }

// Redactor is the Redactor of the options (nil when none was given): the
// executor hands it to drivers so the secrets they learn at run time are
// redacted too.
func (p *Plan) Redactor() *spec.Redactor { return p.redactor }

// addSecret records a secret in p.Secrets and registers it with the
// Redactor of the options, if any.
func (p *Plan) addSecret(v cty.Value) {
	p.Secrets = append(p.Secrets, v)
	if p.redactor != nil {
		p.redactor.AddValue(v)
	}
}

// knownConfig checks that a decoded provider or function body is known
// before anything runs, records its secrets and returns it unmarked. An
// attribute that depends on an invocation result is reported on its own
// range (body decoded with s); addressing says the provider takes run-time
// addressing on the invocation, which the advice then names.
func (p *Plan) knownConfig(v cty.Value, sensitive []string, what string, body hcl.Body, s hcldec.ObjectSpec, rng hcl.Range, addressing bool) (cty.Value, hcl.Diagnostics) {
	if spec.FromBroken(v) {
		return cty.NilVal, nil // reported already
	}
	if p.validate && spec.FromUnset(v) {
		unmarked, _ := v.UnmarkDeep()
		return unmarked, nil
	}
	if !v.IsWhollyKnown() {
		return cty.NilVal, unknownConfigDiags(v, what, body, s, rng, addressing)
	}
	unmarked, pvm := v.UnmarkDeepWithPaths()
	for _, pm := range pvm {
		if _, ok := pm.Marks[spec.Sensitive]; ok {
			if sv, err := pm.Path.Apply(unmarked); err == nil {
				p.addSecret(sv)
			}
		}
	}
	for _, name := range sensitive {
		if unmarked.Type().IsObjectType() && unmarked.Type().HasAttribute(name) {
			p.addSecret(unmarked.GetAttr(name))
		}
	}
	return unmarked, nil
}

// unknownConfigDiags reports each attribute of a provider or function body
// that is not known before the run, on the attribute's expression.
func unknownConfigDiags(v cty.Value, what string, body hcl.Body, s hcldec.ObjectSpec, rng hcl.Range, addressing bool) hcl.Diagnostics {
	advice := "Pass per-call values through the invocation's payload or headers instead."
	if addressing {
		advice = "Give the run-time part of the request on the invocation instead: path (appended below the function's URL), query (merged into its query) or method, such as path = invocation.create.json.id; per-call values also go in payload or headers."
	}
	var names []string
	if v.IsKnown() && !v.IsNull() && v.Type().IsObjectType() {
		for name, av := range v.AsValueMap() {
			if !av.IsWhollyKnown() {
				names = append(names, name)
			}
		}
	}
	sort.Strings(names)
	var attrs hcl.Attributes
	if body != nil && len(names) > 0 {
		content, _ := body.Content(hcldec.ImpliedSchema(s))
		if content != nil {
			attrs = content.Attributes
		}
	}
	var diags hcl.Diagnostics
	for _, name := range names {
		a, ok := attrs[name]
		if !ok {
			continue
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Configuration depends on an invocation result",
			Detail: fmt.Sprintf("The %s of %s must be known before anything is invoked, but it refers to an invocation result: %s blocks are configured once, before the run. %s",
				name, what, strings.SplitN(what, ".", 2)[0], advice),
			Subject: a.Expr.Range().Ptr(),
		})
	}
	if len(diags) == 0 {
		diags = hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Configuration depends on an invocation result",
			Detail:   fmt.Sprintf("The configuration of %s must be known before anything is invoked, but it refers to an invocation result. %s", what, advice),
			Subject:  rng.Ptr(),
		}}
	}
	return diags
}

func (p *Plan) evaluateFunction(fn *spec.Function, ctxFor func(string, *eachVals) *hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
	paddr := providerAddrOf(fn)
	pr := p.Providers[paddr]
	// When the provider failed (reported on its block), the body is still
	// checked against its type's schema, but the function stands broken.
	var sch providers.Schema
	switch decl := p.Config.Providers[paddr]; {
	case pr != nil:
		sch = pr.Driver.Schema()
	case decl != nil && p.Registry[decl.Type] != nil:
		sch = p.Registry[decl.Type].Schema()
	default:
		return spec.BrokenVal, nil
	}
	broken := pr == nil || p.Config.Failed("function", fn.Name)
	one := func(addr string, each *eachVals) (cty.Value, hcl.Diagnostics) {
		ctx := ctxFor(fn.DeclRange.Filename, each)
		v, diags := hcldec.Decode(fn.Config, sch.Function, ctx)
		if diags.HasErrors() {
			suggestAttributes(diags, hcldec.Variables(fn.Config, sch.Function), ctx)
			return spec.BrokenVal, diags
		}
		if d := spec.CheckValue(v, addr, fn.DeclRange.Ptr()); d != nil {
			return spec.BrokenVal, append(diags, d)
		}
		v, diags = p.knownConfig(v, nil, addr, fn.Config, sch.Function, fn.DeclRange, sch.Addressing)
		if diags.HasErrors() || v == cty.NilVal || broken {
			return spec.BrokenVal, diags
		}
		if val, ok := pr.Driver.(providers.FunctionValidator); ok && v.IsWhollyKnown() && pr.Config.IsWhollyKnown() {
			diags = append(diags, p.validationDiags(val.ValidateFunction(pr.Config, v), fn, pr, sch.Function, addr)...)
		}
		limits, moreDiags := p.evalLimits(fn.Limits, ctx, addr)
		if diags = append(diags, moreDiags...); moreDiags.HasErrors() {
			return spec.BrokenVal, diags
		}
		p.Functions[addr] = &FunctionInstance{
			Addr: addr, Name: fn.Name, Provider: pr, Config: v, Limits: limits,
			BaseDir: filepath.Dir(fn.DeclRange.Filename),
		}
		attrs := map[string]cty.Value{}
		if v.Type().IsObjectType() {
			for k, av := range v.AsValueMap() {
				attrs[k] = av
			}
		}
		attrs["address"] = cty.StringVal(addr)
		attrs["provider"] = cty.StringVal(pr.Addr)
		return cty.ObjectVal(attrs), diags
	}
	if fn.ForEach == nil {
		return one("function."+fn.Name, nil)
	}
	items, diags := p.forEachItems(fn.ForEach, ctxFor(fn.DeclRange.Filename, nil), "function."+fn.Name)
	if diags.HasErrors() {
		return spec.BrokenVal, diags
	}
	if items == nil {
		// The keys depend on a variable without a value (validate) or
		// on an error (reported): the function's instances are not known.
		if p.validate {
			return cty.DynamicVal.Mark(spec.Unset), diags
		}
		return spec.BrokenVal, diags
	}
	inst := map[string]cty.Value{}
	for _, it := range items {
		v, moreDiags := one(instanceAddr("function", fn.Name, it.key, true), &eachVals{cty.StringVal(it.key), it.value})
		diags = append(diags, moreDiags...)
		inst[it.key] = v
	}
	return objectOf(inst), diags
}

func (p *Plan) validationDiags(problems map[string]string, fn *spec.Function, pr *ProviderInstance, s hcldec.ObjectSpec, addr string) hcl.Diagnostics {
	if len(problems) == 0 {
		return nil // the common case: no need to decode the body again
	}
	var diags hcl.Diagnostics
	content, _ := fn.Config.Content(hcldec.ImpliedSchema(s))
	for _, attr := range spec.SortedKeys(problems) {
		if attr == "provider" {
			// The provider's own problem: said once, on its block,
			// not on every function that uses it.
			key := pr.Addr + "\x00" + problems[attr]
			if p.provProblems[key] {
				continue
			}
			p.provProblems[key] = true
			rng := fn.DeclRange
			if decl := p.Config.Providers[strings.TrimPrefix(pr.Addr, "provider.")]; decl != nil {
				rng = decl.DeclRange
			}
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid provider configuration",
				Detail:   fmt.Sprintf("%s: %s.", pr.Addr, strings.TrimPrefix(problems[attr], pr.Type+" provider: ")),
				Subject:  rng.Ptr(),
			})
			continue
		}
		rng := fn.DeclRange
		if content != nil {
			if a, ok := content.Attributes[attr]; ok {
				rng = a.Expr.Range()
			}
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid function configuration",
			Detail:   fmt.Sprintf("%s: %s", addr, problems[attr]),
			Subject:  rng.Ptr(),
		})
	}
	return diags
}

type item struct {
	key   string
	value cty.Value
}

// forEachItems evaluates a for_each expression: a map, an object or a set of
// strings, known before anything runs.
func (p *Plan) forEachItems(expr hcl.Expression, ctx *hcl.EvalContext, what string) ([]item, hcl.Diagnostics) {
	if items, ok := p.tosetItems(expr, ctx, what); ok {
		return items, nil
	}
	v, diags := p.eval(expr, ctx, "the for_each of "+what)
	if diags.HasErrors() {
		return nil, diags
	}
	// A known set of strings or numbers: its keys in one walk. go-cty
	// sorts a set at each walk, and the general way below walks it three
	// times and more (known, marked, converted, iterated).
	if keys, ok := spec.ForEachSetKeys(v); ok {
		out := make([]item, len(keys))
		for i, k := range keys {
			out[i] = item{k, cty.StringVal(k)}
		}
		sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
		return out, diags
	}
	// Each walk of a cty set sorts it again (slowly: cty compares values
	// through their generic equality): take a set's elements once, and
	// judge the set by them.
	var elems []cty.Value
	known, marked := true, false
	if v.IsKnown() && !v.IsNull() && !v.IsMarked() && v.Type().IsSetType() {
		elems = v.AsValueSlice()
		for _, ev := range elems {
			known = known && ev.IsWhollyKnown()
			marked = marked || ev.IsMarked() || ev.ContainsMarked()
		}
	} else {
		known, marked = v.IsWhollyKnown(), v.ContainsMarked()
	}
	if !known && (spec.FromBroken(v) || (p.validate && spec.FromUnset(v))) {
		return nil, diags // keys depend on an unset variable, or on an error: nothing to expand
	}
	bad := func(detail string) ([]item, hcl.Diagnostics) {
		return nil, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Invalid for_each argument", Detail: detail,
			Subject: expr.Range().Ptr(), Expression: expr, EvalContext: ctx,
		})
	}
	if v.HasMark(spec.Sensitive) || marked {
		return bad(fmt.Sprintf("The for_each of %s uses a sensitive value; its keys would become visible in addresses.", what))
	}
	if !known {
		return bad(fmt.Sprintf("The for_each of %s depends on an invocation result, so its keys cannot be known before the run. for_each must be known when planning.", what))
	}
	if v.IsNull() {
		return bad("The for_each value must not be null.")
	}
	ty := v.Type()
	out := []item{} // known, even if empty: nil means the keys are not known
	switch {
	case ty.IsMapType() || ty.IsObjectType():
		for it := v.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			out = append(out, item{k.AsString(), ev})
		}
	case ty.IsSetType():
		// Element by element: converting the whole set to a set of
		// strings would sort it again. Distinct numbers give distinct
		// strings, so no key repeats.
		out = make([]item, 0, len(elems))
		for _, ev := range elems {
			if ev.IsNull() {
				return bad("The set given to for_each must not contain null.")
			}
			if ev.Type() != cty.String {
				s, err := spec.ToString(ev)
				if err != nil || s.IsNull() {
					return bad("A set given to for_each must be a set of strings.")
				}
				ev = s
			}
			out = append(out, item{ev.AsString(), ev})
		}
	default:
		return bad(fmt.Sprintf("for_each takes a map, an object or a set of strings (use toset() for a list), not a %s.", ty.FriendlyName()))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out, diags
}

func instanceAddr(kind, name, key string, hasKey bool) string {
	if !hasKey {
		return kind + "." + name
	}
	return fmt.Sprintf("%s.%s[%q]", kind, name, key)
}

// constantKeyRef recognises invocation.NAME["KEY"] (or [N]) on a block
// with for_each, whose key can be checked once the keys are known.
func constantKeyRef(cfg *spec.Config, tr hcl.Traversal) (keyRef, bool) {
	if tr.RootName() != "invocation" || len(tr) < 3 {
		return keyRef{}, false
	}
	name := attrName(tr[1])
	if inv := cfg.Invocations[name]; inv == nil || inv.ForEach == nil {
		return keyRef{}, false
	}
	ix, ok := tr[2].(hcl.TraverseIndex)
	if !ok || !ix.Key.IsWhollyKnown() || ix.Key.IsNull() {
		return keyRef{}, false
	}
	k, err := convert.Convert(ix.Key, cty.String)
	if err != nil {
		return keyRef{}, false
	}
	return keyRef{name: name, key: k.AsString(), tr: tr[:3], rng: ix.SrcRange}, true
}

// checkKeyRefs reports a constant key that the for_each of its invocation
// does not have: invocation.ping["cn-hangzou"] is certain to fail at run
// time, after the invocations before it have run.
func (p *Plan) checkKeyRefs() hcl.Diagnostics {
	var diags hcl.Diagnostics
	seen := map[hcl.Range]bool{}
	for _, kr := range p.keyRefs {
		keys, known := p.eachKeys[kr.name]
		if !known || keys[kr.key] || seen[kr.rng] {
			continue
		}
		seen[kr.rng] = true
		detail := fmt.Sprintf("invocation.%s has no instance with the key %q: its for_each ", kr.name, kr.key)
		if len(keys) == 0 {
			detail += "is empty."
		} else {
			names := spec.SortedKeys(keys)
			if len(names) <= 10 {
				detail += "has the keys " + quotedList(names) + "."
			} else {
				detail += fmt.Sprintf("has %d other keys.", len(names))
			}
			// A one- or two-letter key is close to every other one.
			if s := spec.Suggest(kr.key, names); s != "" && len(kr.key) > 2 {
				detail += fmt.Sprintf(" Did you mean invocation.%s[%q]?", kr.name, s)
			}
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid index",
			Detail:   detail,
			Subject:  kr.rng.Ptr(),
		})
	}
	return diags
}

func quotedList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// noteReads records which invocations' results tr may read (resultRead),
// and which of their stats (statsRead): self.stats in owner's block,
// invocation.NAME.stats, invocation.NAME[KEY].stats, or a whole result
// object (which holds stats).
func (p *Plan) noteReads(sc scope, tr hcl.Traversal) {
	stepName := func(st hcl.Traverser) string {
		switch st := st.(type) {
		case hcl.TraverseAttr:
			return st.Name
		case hcl.TraverseIndex:
			if st.Key.Type() == cty.String && st.Key.IsKnown() && !st.Key.IsNull() {
				return st.Key.AsString()
			}
		}
		return ""
	}
	switch tr.RootName() {
	case "self":
		p.resultRead[sc.owner] = true
		if len(tr) == 1 || stepName(tr[1]) == "stats" {
			p.statsRead[sc.owner] = true
		}
	case "invocation":
		if len(tr) == 1 {
			p.statsAll = true
			return
		}
		name := attrName(tr[1])
		p.resultRead[name] = true
		at := 2
		if inv := p.Config.Invocations[name]; inv != nil && inv.ForEach != nil {
			at = 3
		}
		if len(tr) <= at || stepName(tr[at]) == "stats" {
			p.statsRead[name] = true
		}
	}
}

// tosetItems is forEachItems for the common for_each = toset(LIST): the
// keys are LIST's elements as strings, deduplicated, as toset makes them,
// without building the set (cty sorts a set each time it is read, through
// slow generic comparisons). ok is false when expr has another form or
// LIST is anything but a known, unmarked list or tuple of known, non-null
// primitive values: forEachItems then evaluates expr as it is, with its
// diagnostics.
func (p *Plan) tosetItems(expr hcl.Expression, ctx *hcl.EvalContext, what string) ([]item, bool) {
	call, ok := expr.(*hclsyntax.FunctionCallExpr)
	if !ok || call.Name != "toset" || len(call.Args) != 1 || call.ExpandFinal {
		return nil, false
	}
	if _, ok := ctx.Functions["toset"]; !ok {
		return nil, false
	}
	v, diags := p.eval(call.Args[0], ctx, "the for_each of "+what)
	if diags.HasErrors() || !v.IsKnown() || v.IsNull() || v.IsMarked() {
		return nil, false
	}
	ty := v.Type()
	if !ty.IsTupleType() && !(ty.IsListType() && ty.ElementType().IsPrimitiveType()) {
		return nil, false
	}
	elems := v.AsValueSlice()
	seen := make(map[string]bool, len(elems))
	out := make([]item, 0, len(elems))
	for _, ev := range elems {
		if !ev.IsKnown() || ev.IsNull() || ev.IsMarked() || !ev.Type().IsPrimitiveType() {
			return nil, false
		}
		if ev.Type() != cty.String {
			s, err := spec.ToString(ev)
			if err != nil {
				return nil, false
			}
			ev = s
		}
		k := ev.AsString()
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, item{k, ev})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out, true
}
