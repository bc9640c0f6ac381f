// Package spec reads fnprobe suites: HCL native and JSON files, block
// schemas (each provider type supplies its own), variables, the expression
// function library and sensitive values. It decodes structure only; the
// planner evaluates expressions and builds the graph. Everything it reports is
// an hcl.Diagnostic with a source range.
package spec

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
)

// Config is a whole suite: every block of every file, decoded.
type Config struct {
	Dir   string               // the suite directory
	Files map[string]*hcl.File // every file read, by name, for diagnostics

	Settings    Settings
	Variables   map[string]*Variable
	Locals      map[string]*Local
	Providers   map[string]*Provider // by address: "local", "alicloud_fc3.hz"
	Functions   map[string]*Function
	Invocations map[string]*Invocation
	Outputs     map[string]*Output

	funcs  map[string]map[string]function.Function // per directory
	getenv func(string) string
	ctx    context.Context // LoadOptions.Context, for reading files
	// templates: hcl.Expression → its shape, what Eval checks before
	// evaluating it (see shapeOf).
	templates sync.Map

	// failed: blocks declared with errors (see Failed); decoded: every
	// file was parsed and decoded; invalid: decoding reported an error.
	failed  map[blockKey]bool
	decoded bool
	invalid bool
}

// Settings are the runner defaults of the `settings` block.
type Settings struct {
	Parallelism int           // 0: not set
	Timeout     time.Duration // 0: not set
	Every       time.Duration // fnprobe watch's interval; 0: not set
	Retry       RetryDefaults
	DeclRange   hcl.Range
}

// RetryDefaults is the default retry policy from `settings { retry {} }`.
type RetryDefaults struct {
	Attempts int           // 0: not set
	Backoff  time.Duration // 0: not set
}

// Variable is a `variable` block.
type Variable struct {
	Name        string
	Type        cty.Type // cty.DynamicPseudoType when not constrained
	Default     cty.Value
	Description string
	Sensitive   bool
	Validations []*Validation
	DeclRange   hcl.Range

	// typeDefaults are the defaults of optional(TYPE, DEFAULT) object
	// attributes in Type, applied to every value before conversion.
	typeDefaults *typeexpr.Defaults
}

// convert applies the type's optional-attribute defaults to val and
// converts it to the variable's type.
func (v *Variable) convert(val cty.Value) (cty.Value, error) {
	if v.typeDefaults != nil && !val.IsNull() {
		val = v.typeDefaults.Apply(val)
	}
	return convert.Convert(val, v.Type)
}

// Validation is a variable's `validation` block.
type Validation struct {
	Condition    hcl.Expression
	ErrorMessage hcl.Expression
	DeclRange    hcl.Range
}

// Local is one named expression of a `locals` block.
type Local struct {
	Name      string
	Expr      hcl.Expression
	DeclRange hcl.Range
}

// Provider is a `provider` block.
type Provider struct {
	Type      string
	Alias     string
	Config    hcl.Body // the driver's part of the body
	Spec      hcldec.ObjectSpec
	Sensitive []string
	Limits    Limits
	DeclRange hcl.Range
}

// Limits are the meta-arguments of provider and function blocks that
// bound the calls fnprobe makes through them, whatever the driver:
// max_concurrency (calls in flight at once) and rate_limit (calls per
// second). Nil when absent.
type Limits struct {
	MaxConcurrency hcl.Expression
	RateLimit      hcl.Expression
}

// Exprs returns the expressions set.
func (l Limits) Exprs() []hcl.Expression {
	var out []hcl.Expression
	for _, e := range []hcl.Expression{l.MaxConcurrency, l.RateLimit} {
		if e != nil {
			out = append(out, e)
		}
	}
	return out
}

// Addr is the provider's address without the "provider." prefix.
func (p *Provider) Addr() string {
	if p.Alias == "" {
		return p.Type
	}
	return p.Type + "." + p.Alias
}

// Function is a `function` block.
type Function struct {
	Name      string
	Provider  hcl.Expression // a reference to a provider block
	ForEach   hcl.Expression // nil without for_each
	Config    hcl.Body       // the driver's part of the body, decoded once the provider is known
	Limits    Limits
	DeclRange hcl.Range
}

// Invocation is an `invocation` block.
type Invocation struct {
	Name        string
	Function    hcl.Expression
	Payload     hcl.Expression // nil when absent
	PayloadFile hcl.Expression // nil when absent
	Type        hcl.Expression
	Logs        hcl.Expression
	Wait        hcl.Expression
	Timeout     hcl.Expression
	Headers     hcl.Expression
	// Path, Query and Method address the request at run time (providers
	// whose Schema says Addressing); nil when absent.
	Path      hcl.Expression
	Query     hcl.Expression
	Method    hcl.Expression
	Tags      hcl.Expression
	Enabled   hcl.Expression
	ForEach   hcl.Expression
	DependsOn []hcl.Traversal
	Retry     *Retry
	Expect    *Expect
	Asserts   []*Assert
	Sample    *Sample // nil without a sample block
	DeclRange hcl.Range
}

// Sample is an invocation's `sample` block: call the function Count times
// (after Warmup calls left out of the statistics), Concurrency at once, at
// most Rate calls per second. Every field but Count is nil when absent.
type Sample struct {
	Count       hcl.Expression
	Concurrency hcl.Expression
	Rate        hcl.Expression
	Warmup      hcl.Expression
	// Interleave names the invocation whose sample this one is drawn
	// with, call by call in the same window (interleave =
	// invocation.stable); nil when absent.
	Interleave      hcl.Traversal
	InterleaveRange hcl.Range
	DeclRange       hcl.Range
}

// Retry is an invocation's `retry` block.
type Retry struct {
	Attempts  hcl.Expression
	Backoff   hcl.Expression
	Until     hcl.Expression
	DeclRange hcl.Range
}

// Expect is an invocation's `expect` block: declarative checks. Every field
// is nil when the attribute is absent.
type Expect struct {
	Status      hcl.Expression
	Error       hcl.Expression
	ErrorType   hcl.Expression
	ErrorCode   hcl.Expression
	Body        hcl.Expression
	JSON        hcl.Expression
	BodyMatches hcl.Expression
	LogContains hcl.Expression
	MaxDuration hcl.Expression
	DeclRange   hcl.Range

	checks []ExpectCheck // Checks(), computed once when decoded
}

// Checks returns the expect attributes that are set, in a fixed order, with
// their names.
func (e *Expect) Checks() []ExpectCheck {
	if e == nil {
		return nil
	}
	if e.checks == nil {
		return e.collect() // not built by the decoder: compute, never store (no races)
	}
	return e.checks
}

func (e *Expect) collect() []ExpectCheck {
	all := []ExpectCheck{
		{"status", e.Status}, {"error", e.Error}, {"error_type", e.ErrorType},
		{"error_code", e.ErrorCode}, {"body", e.Body}, {"json", e.JSON},
		{"body_matches", e.BodyMatches}, {"log_contains", e.LogContains},
		{"max_duration", e.MaxDuration},
	}
	out := make([]ExpectCheck, 0, len(all))
	for _, c := range all {
		if c.Expr != nil {
			out = append(out, c)
		}
	}
	return out
}

// ExpectCheck is one attribute of an expect block.
type ExpectCheck struct {
	Name string
	Expr hcl.Expression
}

// Assert is an `assert` block.
type Assert struct {
	Condition    hcl.Expression
	ErrorMessage hcl.Expression
	Severity     string // "error" or "warn"
	// Gate: the condition reads self.stats. In a sampled invocation a
	// gate is checked once, over the whole sample, and not per call.
	Gate      bool
	DeclRange hcl.Range
}

// Output is an `output` block.
type Output struct {
	Name        string
	Value       hcl.Expression
	Description string
	Sensitive   bool
	DeclRange   hcl.Range
}

// FunctionsFor returns the expression functions for an expression declared in
// the file named filename (file() resolves paths against its directory).
func (c *Config) FunctionsFor(filename string) map[string]function.Function {
	dir := dirOf(filename, c.Dir)
	if f, ok := c.funcs[dir]; ok {
		return f
	}
	// Not a directory the suite was read from (a synthesized range):
	// build a table without caching it, so Config stays read-only while
	// the executor evaluates concurrently.
	return functions(ctxOrBackground(c.ctx), dir, c.getenv)
}

// ProviderFor returns the provider block with the given address.
func (c *Config) ProviderFor(addr string) (*Provider, error) {
	p, ok := c.Providers[addr]
	if !ok {
		return nil, fmt.Errorf("no provider %q is declared", addr)
	}
	return p, nil
}
