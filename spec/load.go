package spec

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/fnprobe/fnprobe/providers"
)

// File name suffixes of a suite.
const (
	SuffixHCL  = ".probe.hcl"
	SuffixJSON = ".probe.json"
	// SuffixVars is a variable definitions file; *.auto.probevars.hcl in
	// the suite directory load automatically.
	SuffixVars     = ".probevars.hcl"
	SuffixAutoVars = ".auto.probevars.hcl"
)

// LoadOptions configure Load.
type LoadOptions struct {
	// Registry supplies each provider type's schema.
	Registry providers.Registry
	// Getenv reads the environment for env() and FNPROBE_VAR_*; nil means
	// os.Getenv.
	Getenv func(string) string
	// Context ends reading files early (Ctrl-C); nil means
	// context.Background(). file() keeps it for later calls.
	Context context.Context
}

// Parser is an hclparse.Parser; exported so callers can share the file cache
// between the suite and variable files (for diagnostics snippets).
type Parser = hclparse.Parser

// NewParser returns an empty parser.
func NewParser() *Parser { return hclparse.NewParser() }

// SuiteFiles lists the suite files at path: path itself when it is a file,
// else the *.probe.hcl and *.probe.json files in the directory, sorted.
func SuiteFiles(path string) (dir string, files []string, diags hcl.Diagnostics) {
	st, err := os.Stat(path)
	if err != nil {
		return "", nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read suite",
			Detail:   fmt.Sprintf("The suite path %q cannot be read: %s.", path, unwrapPathError(err)),
		}}
	}
	if !st.IsDir() {
		return filepath.Dir(path), []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return "", nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read suite directory",
			Detail:   fmt.Sprintf("The directory %q cannot be listed: %s.", path, err),
		}}
	}
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || strings.HasPrefix(n, ".") {
			continue
		}
		if strings.HasSuffix(n, SuffixHCL) || strings.HasSuffix(n, SuffixJSON) {
			files = append(files, filepath.Join(path, n))
		}
	}
	sort.Strings(files)
	if len(files) == 0 {
		return path, nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "No suite files",
			Detail:   fmt.Sprintf("The directory %q contains no *%s or *%s files.", path, SuffixHCL, SuffixJSON),
		}}
	}
	return path, files, nil
}

func unwrapPathError(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

// Load reads and decodes the suite at path (a directory or one file). The
// parser's file cache keeps every file read, for rendering diagnostics.
func Load(parser *Parser, path string, opts LoadOptions) (*Config, hcl.Diagnostics) {
	dir, names, diags := SuiteFiles(path)
	if diags.HasErrors() {
		return nil, diags
	}
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	cfg := &Config{
		Dir:         dir,
		Files:       map[string]*hcl.File{},
		Variables:   map[string]*Variable{},
		Locals:      map[string]*Local{},
		Providers:   map[string]*Provider{},
		Functions:   map[string]*Function{},
		Invocations: map[string]*Invocation{},
		Outputs:     map[string]*Output{},
		funcs:       map[string]map[string]function.Function{},
		getenv:      getenv,
		ctx:         ctxOrBackground(opts.Context),
	}
	d := &decoder{cfg: cfg, reg: opts.Registry, declared: map[string]hcl.Range{}}
	var bodies []*hcl.File
	for _, name := range names {
		f, moreDiags := parseFile(cfg.ctx, parser, name, strings.HasSuffix(name, SuffixJSON), "suite file")
		diags = append(diags, moreDiags...)
		if cfg.ctx.Err() != nil {
			return cfg, diags // interrupted: say so once, read no more
		}
		if f == nil {
			continue
		}
		cfg.Files[name] = f
		bodies = append(bodies, f)
		dirName := dirOf(name, dir)
		if _, ok := cfg.funcs[dirName]; !ok {
			cfg.funcs[dirName] = functions(cfg.ctx, dirName, getenv)
		}
	}
	if diags.HasErrors() {
		// Syntax errors: decoding a half-parsed file only adds noise.
		return cfg, diags
	}
	defer func() {
		cfg.decoded = cfg.ctx.Err() == nil
		cfg.invalid = diags.HasErrors()
	}()
	var functionBlocks []*hcl.Block
	for _, f := range bodies {
		content, moreDiags := f.Body.Content(fileSchema)
		diags = append(diags, moreDiags...)
		for _, b := range content.Blocks {
			switch b.Type {
			case "settings":
				diags = append(diags, d.settings(b)...)
			case "variable":
				diags = append(diags, d.variable(b)...)
			case "locals":
				diags = append(diags, d.locals(b)...)
			case "provider":
				diags = append(diags, d.provider(b)...)
			case "function":
				functionBlocks = append(functionBlocks, b)
			case "invocation":
				diags = append(diags, d.invocation(b)...)
			case "output":
				diags = append(diags, d.output(b)...)
			}
		}
	}
	// Functions need every provider block, from every file, to be known;
	// and a function without a provider argument takes the only provider,
	// counting those declared implicitly by other functions' references.
	// So: functions naming their provider first, whatever the file order.
	var implicit []*hcl.Block
	for _, b := range functionBlocks {
		if hasAttribute(b.Body, "provider") {
			diags = append(diags, d.function(b)...)
		} else {
			implicit = append(implicit, b)
		}
	}
	for _, b := range implicit {
		diags = append(diags, d.function(b)...)
	}
	return cfg, diags
}

// keep decides what becomes of a block decoded with diags: a duplicate is
// dropped (the first declaration stands), and a block with errors is kept
// for the planner to check further but recorded as failed, so that nothing
// that refers to it reports the same mistake again.
func (d *decoder) keep(kind, name string, dup, diags hcl.Diagnostics) bool {
	if dup.HasErrors() {
		return false
	}
	if diags.HasErrors() {
		d.cfg.markFailed(kind, name)
	}
	return true
}

func hasAttribute(body hcl.Body, name string) bool {
	content, _, _ := body.PartialContent(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: name}}})
	_, ok := content.Attributes[name]
	return ok
}

func dirOf(filename, fallback string) string {
	if filename == "" {
		return fallback
	}
	return filepath.Dir(filename)
}

var fileSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "settings"},
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
		{Type: "provider", LabelNames: []string{"type"}},
		{Type: "function", LabelNames: []string{"name"}},
		{Type: "invocation", LabelNames: []string{"name"}},
		{Type: "output", LabelNames: []string{"name"}},
	},
}

type decoder struct {
	cfg         *Config
	reg         providers.Registry
	declared    map[string]hcl.Range // "kind.name" → where first declared
	settingsSet bool
	// unstoredProviders counts provider blocks of an unknown type: they
	// count when a function without a provider argument looks for the
	// suite's only provider.
	unstoredProviders int
}

// declare records a named block and reports a duplicate.
func (d *decoder) declare(kind, name string, rng hcl.Range, subject hcl.Range) hcl.Diagnostics {
	key := kind + "." + name
	if prev, ok := d.declared[key]; ok {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("Duplicate %s %q", kind, name),
			Detail:   fmt.Sprintf("A %s named %q was already declared at %s. Each %s must have a unique name.", kind, name, prev, kind),
			Subject:  subject.Ptr(),
		}}
	}
	d.declared[key] = rng
	return nil
}

func (d *decoder) validName(kind, name string, rng hcl.Range) hcl.Diagnostics {
	if !hclValidIdentifier(name) {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("Invalid %s name", kind),
			Detail:   fmt.Sprintf("%q is not a valid name: a name must start with a letter or underscore and may contain only letters, digits, underscores and dashes.", name),
			Subject:  rng.Ptr(),
		}}
	}
	return nil
}

func hclValidIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'):
		case i > 0 && (r == '-' || (r >= '0' && r <= '9')):
		default:
			return false
		}
	}
	return true
}

var settingsSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "parallelism"}, {Name: "timeout"}, {Name: "every"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "retry"}},
}

var settingsRetrySchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "attempts"}, {Name: "backoff"}},
}

func (d *decoder) settings(b *hcl.Block) hcl.Diagnostics {
	if d.settingsSet {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Duplicate settings block",
			Detail:   fmt.Sprintf("Settings were already declared at %s; a suite has at most one settings block.", d.cfg.Settings.DeclRange),
			Subject:  b.DefRange.Ptr(),
		}}
	}
	d.settingsSet = true
	s := &d.cfg.Settings
	s.DeclRange = b.DefRange
	content, diags := b.Body.Content(settingsSchema)
	if a, ok := content.Attributes["parallelism"]; ok {
		n, moreDiags := constInt(a.Expr, "parallelism", 1)
		diags = append(diags, moreDiags...)
		s.Parallelism = n
	}
	if a, ok := content.Attributes["timeout"]; ok {
		dur, moreDiags := constDuration(a.Expr, "timeout")
		diags = append(diags, moreDiags...)
		s.Timeout = dur
	}
	if a, ok := content.Attributes["every"]; ok {
		dur, moreDiags := constDuration(a.Expr, "every")
		diags = append(diags, moreDiags...)
		s.Every = dur
	}
	for i, rb := range content.Blocks {
		if i > 0 {
			diags = append(diags, duplicateBlock("retry", rb))
			continue
		}
		rc, moreDiags := rb.Body.Content(settingsRetrySchema)
		diags = append(diags, moreDiags...)
		if a, ok := rc.Attributes["attempts"]; ok {
			n, moreDiags := constInt(a.Expr, "attempts", 1)
			diags = append(diags, moreDiags...)
			s.Retry.Attempts = n
		}
		if a, ok := rc.Attributes["backoff"]; ok {
			dur, moreDiags := constDuration(a.Expr, "backoff")
			diags = append(diags, moreDiags...)
			s.Retry.Backoff = dur
		}
	}
	return diags
}

func duplicateBlock(typ string, b *hcl.Block) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("Duplicate %s block", typ),
		Detail:   fmt.Sprintf("Only one %s block is allowed here.", typ),
		Subject:  b.DefRange.Ptr(),
	}
}

// constValue evaluates an expression that must not reference anything.
func constValue(expr hcl.Expression, what string) (cty.Value, hcl.Diagnostics) {
	if vars := expr.Variables(); len(vars) > 0 {
		return cty.DynamicVal, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Constant value required",
			Detail:   fmt.Sprintf("The value of %s must be a constant; it cannot refer to %s.", what, TraversalString(vars[0])),
			Subject:  vars[0].SourceRange().Ptr(),
		}}
	}
	v, diags := expr.Value(nil)
	if diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	return v, diags
}

// constOf evaluates a constant expression and converts it; a conversion
// error reads after "The value of WHAT ..." in the diagnostic.
func constOf[T any](expr hcl.Expression, what string, conv func(cty.Value) (T, error)) (T, hcl.Diagnostics) {
	var zero T
	v, diags := constValue(expr, what)
	if diags.HasErrors() {
		return zero, diags
	}
	out, err := conv(v)
	if err != nil {
		return zero, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("Invalid %s", what),
			Detail:   fmt.Sprintf("The value of %s %s.", what, err),
			Subject:  expr.Range().Ptr(),
		}}
	}
	return out, nil
}

func constInt(expr hcl.Expression, what string, min int) (int, hcl.Diagnostics) {
	return constOf(expr, what, func(v cty.Value) (int, error) { return IntValue(v, min) })
}

func constDuration(expr hcl.Expression, what string) (timeDuration, hcl.Diagnostics) {
	return constOf(expr, what, DurationValue)
}

func constBool(expr hcl.Expression, what string) (bool, hcl.Diagnostics) {
	return constOf(expr, what, func(v cty.Value) (bool, error) {
		b, err := convert.Convert(v, cty.Bool)
		if err != nil || b.IsNull() {
			return false, errors.New("must be true or false")
		}
		return b.True(), nil
	})
}

func constString(expr hcl.Expression, what string) (string, hcl.Diagnostics) {
	return constOf(expr, what, func(v cty.Value) (string, error) {
		str, err := convert.Convert(v, cty.String)
		if err != nil || str.IsNull() {
			return "", errors.New("must be a string")
		}
		return str.AsString(), nil
	})
}

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "type"}, {Name: "default"}, {Name: "description"}, {Name: "sensitive"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "validation"}},
}

var validationSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "condition", Required: true}, {Name: "error_message", Required: true},
	},
}

func (d *decoder) variable(b *hcl.Block) hcl.Diagnostics {
	name := b.Labels[0]
	diags := d.validName("variable", name, b.LabelRanges[0])
	dup := d.declare("variable", name, b.DefRange, b.LabelRanges[0])
	diags = append(diags, dup...)
	v := &Variable{Name: name, Type: cty.DynamicPseudoType, DeclRange: b.DefRange}
	content, moreDiags := b.Body.Content(variableSchema)
	diags = append(diags, moreDiags...)
	if a, ok := content.Attributes["type"]; ok {
		ty, def, moreDiags := typeexpr.TypeConstraintWithDefaults(a.Expr)
		diags = append(diags, moreDiags...)
		if !moreDiags.HasErrors() {
			v.Type, v.typeDefaults = ty, def
		}
	}
	if a, ok := content.Attributes["description"]; ok {
		s, moreDiags := constString(a.Expr, "description")
		diags = append(diags, moreDiags...)
		v.Description = s
	}
	if a, ok := content.Attributes["sensitive"]; ok {
		s, moreDiags := constBool(a.Expr, "sensitive")
		diags = append(diags, moreDiags...)
		v.Sensitive = s
	}
	if a, ok := content.Attributes["default"]; ok {
		val, moreDiags := constValue(a.Expr, "default")
		diags = append(diags, moreDiags...)
		if !moreDiags.HasErrors() {
			conv, err := v.convert(val)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid default value for variable",
					Detail:   fmt.Sprintf("This default value is not compatible with the variable's type constraint: %s.", err),
					Subject:  a.Expr.Range().Ptr(),
				})
			} else {
				v.Default = conv
			}
		}
	}
	for _, vb := range content.Blocks {
		vc, moreDiags := vb.Body.Content(validationSchema)
		diags = append(diags, moreDiags...)
		if moreDiags.HasErrors() {
			continue
		}
		val := &Validation{
			Condition:    vc.Attributes["condition"].Expr,
			ErrorMessage: vc.Attributes["error_message"].Expr,
			DeclRange:    vb.DefRange,
		}
		diags = append(diags, requireReference(val.Condition, "validation condition")...)
		for _, tr := range val.Condition.Variables() {
			if tr.RootName() != "var" || len(tr) < 2 || attrName(tr[1]) != name {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid reference in variable validation",
					Detail:   fmt.Sprintf("The condition for variable %q can only refer to the variable itself, using var.%s.", name, name),
					Subject:  tr.SourceRange().Ptr(),
				})
			}
		}
		v.Validations = append(v.Validations, val)
	}
	// A variable with errors is not kept: its type or default is not
	// known, and "no value for required variable" would follow.
	if d.keep("variable", name, dup, diags) && !diags.HasErrors() {
		d.cfg.Variables[name] = v
	}
	return diags
}

// requireReference rejects a condition that refers to nothing: it could
// never change, so it is either always true or always false.
func requireReference(expr hcl.Expression, what string) hcl.Diagnostics {
	if len(expr.Variables()) > 0 {
		return nil
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("Invalid %s", what),
		Detail:   fmt.Sprintf("The %s refers to nothing, so its result can never change. Refer to the value it checks (for example self.status).", what),
		Subject:  expr.Range().Ptr(),
	}}
}

func attrName(t hcl.Traverser) string {
	switch t := t.(type) {
	case hcl.TraverseAttr:
		return t.Name
	case hcl.TraverseRoot:
		return t.Name
	case hcl.TraverseIndex:
		if t.Key.Type() == cty.String {
			return t.Key.AsString()
		}
	}
	return ""
}

func (d *decoder) locals(b *hcl.Block) hcl.Diagnostics {
	attrs, diags := b.Body.JustAttributes()
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		a := attrs[n]
		moreDiags := d.declare("local value", n, a.Range, a.NameRange)
		diags = append(diags, moreDiags...)
		if !moreDiags.HasErrors() {
			d.cfg.Locals[n] = &Local{Name: n, Expr: a.Expr, DeclRange: a.Range}
		}
	}
	return diags
}

var providerSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "alias"}, {Name: "max_concurrency"}, {Name: "rate_limit"}},
}

// limitsOf reads the max_concurrency and rate_limit meta-arguments.
func limitsOf(attrs hcl.Attributes) Limits {
	var l Limits
	if a, ok := attrs["max_concurrency"]; ok {
		l.MaxConcurrency = a.Expr
	}
	if a, ok := attrs["rate_limit"]; ok {
		l.RateLimit = a.Expr
	}
	return l
}

func (d *decoder) provider(b *hcl.Block) hcl.Diagnostics {
	typ := b.Labels[0]
	drv, ok := d.reg[typ]
	content, remain, diags := b.Body.PartialContent(providerSchema)
	if !ok {
		// Functions that use it fail with it, silently: the mistake is
		// the type, reported here once.
		addr := typ
		if a, ok := content.Attributes["alias"]; ok {
			if v, moreDiags := a.Expr.Value(nil); !moreDiags.HasErrors() && v.Type() == cty.String && v.IsKnown() && !v.IsNull() {
				addr = typ + "." + v.AsString()
			}
		}
		d.cfg.markFailed("provider", addr)
		d.unstoredProviders++
		return hcl.Diagnostics{unsupportedProvider(typ, d.reg, b.LabelRanges[0])}
	}
	p := &Provider{Type: typ, Config: remain, Limits: limitsOf(content.Attributes), DeclRange: b.DefRange}
	if a, ok := content.Attributes["alias"]; ok {
		s, moreDiags := constString(a.Expr, "alias")
		diags = append(diags, moreDiags...)
		switch {
		case moreDiags.HasErrors():
		case s == "type" || s == "alias" || s == "address":
			// provider.TYPE.type, .alias and .address are the unaliased
			// block's attributes; an alias of that name would shadow them.
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid provider alias name",
				Detail:   fmt.Sprintf("%q is reserved: provider.%s.%s is an attribute of the provider block without alias.", s, typ, s),
				Subject:  a.Expr.Range().Ptr(),
			})
		default:
			diags = append(diags, d.validName("provider alias", s, a.Expr.Range())...)
		}
		p.Alias = s
	}
	sch := drv.Schema()
	p.Spec, p.Sensitive = sch.Provider, sch.Sensitive
	// Check the shape now, so unknown attributes are reported by validate
	// with a did-you-mean even when values cannot be evaluated yet.
	_, moreDiags := remain.Content(hcldec.ImpliedSchema(p.Spec))
	diags = append(diags, moreDiags...)
	dup := d.declare("provider", p.Addr(), b.DefRange, b.DefRange)
	diags = append(diags, dup...)
	if d.keep("provider", p.Addr(), dup, diags) {
		d.cfg.Providers[p.Addr()] = p
	}
	return diags
}

func unsupportedProvider(typ string, reg providers.Registry, rng hcl.Range) *hcl.Diagnostic {
	types := reg.Types()
	detail := fmt.Sprintf("There is no provider type %q.", typ)
	if s := Suggest(typ, types); s != "" {
		detail += fmt.Sprintf(" Did you mean %q?", s)
	}
	detail += " Supported types: " + strings.Join(types, ", ") + "."
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unsupported provider type", Detail: detail, Subject: rng.Ptr()}
}

var functionSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "provider"}, {Name: "for_each"}, {Name: "max_concurrency"}, {Name: "rate_limit"}},
}

func (d *decoder) function(b *hcl.Block) hcl.Diagnostics {
	name := b.Labels[0]
	diags := d.validName("function", name, b.LabelRanges[0])
	dup := d.declare("function", name, b.DefRange, b.LabelRanges[0])
	diags = append(diags, dup...)
	content, remain, moreDiags := b.Body.PartialContent(functionSchema)
	diags = append(diags, moreDiags...)
	fn := &Function{Name: name, Config: remain, Limits: limitsOf(content.Attributes), DeclRange: b.DefRange}
	if a, ok := content.Attributes["for_each"]; ok {
		fn.ForEach = a.Expr
	}
	var p *Provider
	if a, ok := content.Attributes["provider"]; ok {
		fn.Provider = staticReference(a.Expr, "provider")
		var moreDiags hcl.Diagnostics
		p, moreDiags = d.providerRef(a.Expr)
		diags = append(diags, moreDiags...)
	} else {
		switch len(d.cfg.Providers) + d.unstoredProviders {
		case 1:
			// The only provider; when its type is unknown, that was
			// reported on its block and p stays nil.
			for _, only := range d.cfg.Providers {
				p = only
			}
		default:
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Missing provider",
				Detail:   fmt.Sprintf("Function %q must say which provider serves it, e.g. provider = provider.local. It may be left out only when the suite declares exactly one provider.", name),
				Subject:  b.DefRange.Ptr(),
			})
		}
	}
	if p != nil {
		if fn.Provider == nil {
			fn.Provider = providerTraversalExpr(p, b.DefRange)
		}
		spec := d.reg[p.Type].Schema().Function
		_, moreDiags := remain.Content(hcldec.ImpliedSchema(spec))
		diags = append(diags, moreDiags...)
	} else {
		// No provider (its problem is reported): the body cannot be
		// read, and references to the function are not errors.
		d.cfg.markFailed("function", name)
	}
	if d.keep("function", name, dup, diags) && p != nil {
		d.cfg.Functions[name] = fn
	}
	return diags
}

// providerRef resolves a static provider reference (provider.TYPE or
// provider.TYPE.ALIAS). A reference to a type with no provider block
// declares an empty one implicitly, as Terraform does.
func (d *decoder) providerRef(expr hcl.Expression) (*Provider, hcl.Diagnostics) {
	tr, diags := hcl.AbsTraversalForExpr(expr)
	if diags.HasErrors() || tr.RootName() != "provider" || len(tr) < 2 || len(tr) > 3 {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid provider reference",
			Detail:   "The provider argument must be a reference to a provider block: provider.TYPE or provider.TYPE.ALIAS.",
			Subject:  expr.Range().Ptr(),
		}}
	}
	typ := attrName(tr[1])
	addr := typ
	if len(tr) == 3 {
		addr = typ + "." + attrName(tr[2])
	}
	if p, ok := d.cfg.Providers[addr]; ok {
		return p, nil
	}
	if d.cfg.Failed("provider", addr) {
		return nil, nil // its block has an unknown type, reported there
	}
	drv, known := d.reg[typ]
	if !known {
		// Reported once, at the first reference.
		d.cfg.markFailed("provider", addr)
		return nil, hcl.Diagnostics{unsupportedProvider(typ, d.reg, tr[1].SourceRange())}
	}
	if len(tr) == 3 {
		var have []string
		for a := range d.cfg.Providers {
			have = append(have, "provider."+a)
		}
		detail := fmt.Sprintf("There is no provider block for provider.%s.", addr)
		if s := Suggest("provider."+addr, have); s != "" {
			detail += fmt.Sprintf(" Did you mean %s?", s)
		}
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "Reference to undeclared provider", Detail: detail,
			Subject: tr.SourceRange().Ptr(),
		}}
	}
	sch := drv.Schema()
	p := &Provider{Type: typ, Config: hcl.EmptyBody(), Spec: sch.Provider, Sensitive: sch.Sensitive, DeclRange: expr.Range()}
	d.cfg.Providers[addr] = p
	return p, nil
}

func providerTraversalExpr(p *Provider, rng hcl.Range) hcl.Expression {
	tr := hcl.Traversal{hcl.TraverseRoot{Name: "provider", SrcRange: rng}, hcl.TraverseAttr{Name: p.Type, SrcRange: rng}}
	if p.Alias != "" {
		tr = append(tr, hcl.TraverseAttr{Name: p.Alias, SrcRange: rng})
	}
	return &traversalExpr{tr: tr}
}

// staticReference reads expr as a plain reference (root.name...) when it is
// one, so that HCL JSON strings such as "function.echo" are references, as
// in Terraform's provider and depends_on arguments. Anything else (an
// index by each.key, a conditional) stays an expression to evaluate.
func staticReference(expr hcl.Expression, root string) hcl.Expression {
	if expr == nil {
		return nil
	}
	tr, diags := hcl.AbsTraversalForExpr(expr)
	if diags.HasErrors() || tr.RootName() != root {
		return expr
	}
	return &traversalExpr{tr: tr}
}

// traversalExpr is a synthesized reference expression.
type traversalExpr struct{ tr hcl.Traversal }

func (e *traversalExpr) Value(ctx *hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
	return e.tr.TraverseAbs(ctx)
}
func (e *traversalExpr) Variables() []hcl.Traversal { return []hcl.Traversal{e.tr} }

// AsTraversal lets hcl.AbsTraversalForExpr read the reference statically.
func (e *traversalExpr) AsTraversal() hcl.Traversal { return e.tr }
func (e *traversalExpr) Range() hcl.Range           { return e.tr.SourceRange() }
func (e *traversalExpr) StartRange() hcl.Range      { return e.tr.SourceRange() }

var invocationSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "function", Required: true},
		{Name: "payload"}, {Name: "payload_file"}, {Name: "type"}, {Name: "logs"}, {Name: "wait"},
		{Name: "timeout"}, {Name: "headers"}, {Name: "tags"}, {Name: "enabled"},
		{Name: "for_each"}, {Name: "depends_on"},
		{Name: "path"}, {Name: "query"}, {Name: "method"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "retry"}, {Type: "expect"}, {Type: "assert"}, {Type: "sample"}},
}

var sampleSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "count", Required: true}, {Name: "concurrency"}, {Name: "rate"}, {Name: "warmup"}, {Name: "interleave"},
	},
}

var retrySchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "attempts"}, {Name: "backoff"}, {Name: "until"}},
}

var expectSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "status"}, {Name: "error"}, {Name: "error_type"}, {Name: "error_code"}, {Name: "body"},
		{Name: "json"}, {Name: "body_matches"}, {Name: "log_contains"}, {Name: "max_duration"},
	},
}

var assertSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "condition", Required: true}, {Name: "error_message"}, {Name: "severity"},
	},
}

func (d *decoder) invocation(b *hcl.Block) hcl.Diagnostics {
	name := b.Labels[0]
	diags := d.validName("invocation", name, b.LabelRanges[0])
	dup := d.declare("invocation", name, b.DefRange, b.LabelRanges[0])
	diags = append(diags, dup...)
	content, moreDiags := b.Body.Content(invocationSchema)
	diags = append(diags, moreDiags...)
	inv := &Invocation{Name: name, DeclRange: b.DefRange}
	attr := func(n string) hcl.Expression {
		if a, ok := content.Attributes[n]; ok {
			return a.Expr
		}
		return nil
	}
	inv.Function = staticReference(attr("function"), "function")
	inv.Payload, inv.PayloadFile = attr("payload"), attr("payload_file")
	inv.Type, inv.Logs, inv.Wait = attr("type"), attr("logs"), attr("wait")
	inv.Timeout, inv.Headers, inv.Tags = attr("timeout"), attr("headers"), attr("tags")
	inv.Enabled, inv.ForEach = attr("enabled"), attr("for_each")
	inv.Path, inv.Query, inv.Method = attr("path"), attr("query"), attr("method")
	if inv.Payload != nil && inv.PayloadFile != nil {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Conflicting payload arguments",
			Detail:   "Only one of payload and payload_file may be set.",
			Subject:  content.Attributes["payload_file"].NameRange.Ptr(),
		})
	}
	if a, ok := content.Attributes["depends_on"]; ok {
		exprs, moreDiags := hcl.ExprList(a.Expr)
		diags = append(diags, moreDiags...)
		for _, e := range exprs {
			tr, moreDiags := hcl.AbsTraversalForExpr(e)
			if moreDiags.HasErrors() {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid depends_on reference",
					Detail:   "depends_on takes a list of references to invocations, such as [invocation.create].",
					Subject:  e.Range().Ptr(),
				})
				continue
			}
			inv.DependsOn = append(inv.DependsOn, tr)
		}
	}
	var sawRetry, sawExpect bool
	for _, blk := range content.Blocks {
		switch blk.Type {
		case "sample":
			if inv.Sample != nil {
				diags = append(diags, duplicateBlock("sample", blk))
				continue
			}
			sc, moreDiags := blk.Body.Content(sampleSchema)
			diags = append(diags, moreDiags...)
			sm := &Sample{DeclRange: blk.DefRange}
			attrOf := func(n string) hcl.Expression {
				if a, ok := sc.Attributes[n]; ok {
					return a.Expr
				}
				return nil
			}
			sm.Count, sm.Concurrency, sm.Rate, sm.Warmup = attrOf("count"), attrOf("concurrency"), attrOf("rate"), attrOf("warmup")
			if a, ok := sc.Attributes["interleave"]; ok {
				tr, moreDiags := hcl.AbsTraversalForExpr(a.Expr)
				if moreDiags.HasErrors() || tr.RootName() != "invocation" || len(tr) != 2 {
					diags = append(diags, &hcl.Diagnostic{
						Severity: hcl.DiagError,
						Summary:  "Invalid interleave reference",
						Detail:   "interleave takes a reference to another sampled invocation, such as invocation.stable (with for_each on both, each key is drawn with the same key).",
						Subject:  a.Expr.Range().Ptr(),
					})
				} else {
					sm.Interleave, sm.InterleaveRange = tr, a.Expr.Range()
				}
			}
			inv.Sample = sm
		case "retry":
			if sawRetry {
				diags = append(diags, duplicateBlock("retry", blk))
				continue
			}
			sawRetry = true
			rc, moreDiags := blk.Body.Content(retrySchema)
			diags = append(diags, moreDiags...)
			r := &Retry{DeclRange: blk.DefRange}
			if a, ok := rc.Attributes["attempts"]; ok {
				r.Attempts = a.Expr
			}
			if a, ok := rc.Attributes["backoff"]; ok {
				r.Backoff = a.Expr
			}
			if a, ok := rc.Attributes["until"]; ok {
				r.Until = a.Expr
				diags = append(diags, requireReference(a.Expr, "retry condition")...)
			}
			inv.Retry = r
		case "expect":
			if sawExpect {
				diags = append(diags, duplicateBlock("expect", blk))
				continue
			}
			sawExpect = true
			ec, moreDiags := blk.Body.Content(expectSchema)
			diags = append(diags, moreDiags...)
			e := &Expect{DeclRange: blk.DefRange}
			for n, a := range ec.Attributes {
				switch n {
				case "status":
					e.Status = a.Expr
				case "error":
					e.Error = a.Expr
				case "error_type":
					e.ErrorType = a.Expr
				case "error_code":
					e.ErrorCode = a.Expr
				case "body":
					e.Body = a.Expr
				case "json":
					e.JSON = a.Expr
				case "body_matches":
					e.BodyMatches = a.Expr
				case "log_contains":
					e.LogContains = a.Expr
				case "max_duration":
					e.MaxDuration = a.Expr
				}
			}
			e.checks = e.collect() // computed here, so Checks is read-only while invocations run
			inv.Expect = e
		case "assert":
			ac, moreDiags := blk.Body.Content(assertSchema)
			diags = append(diags, moreDiags...)
			if moreDiags.HasErrors() {
				continue
			}
			as := &Assert{Condition: ac.Attributes["condition"].Expr, Severity: "error", DeclRange: blk.DefRange}
			as.Gate = readsStats(as.Condition)
			diags = append(diags, requireReference(as.Condition, "assertion condition")...)
			if a, ok := ac.Attributes["error_message"]; ok {
				as.ErrorMessage = a.Expr
			}
			if a, ok := ac.Attributes["severity"]; ok {
				s, moreDiags := constString(a.Expr, "severity")
				diags = append(diags, moreDiags...)
				if !moreDiags.HasErrors() && s != "error" && s != "warn" {
					diags = append(diags, &hcl.Diagnostic{
						Severity: hcl.DiagError,
						Summary:  "Invalid severity",
						Detail:   fmt.Sprintf("severity must be \"error\" or \"warn\", not %q.", s),
						Subject:  a.Expr.Range().Ptr(),
					})
				}
				as.Severity = s
			}
			inv.Asserts = append(inv.Asserts, as)
		}
	}
	if d.keep("invocation", name, dup, diags) {
		d.cfg.Invocations[name] = inv
	}
	return diags
}

var outputSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "value", Required: true}, {Name: "description"}, {Name: "sensitive"},
	},
}

func (d *decoder) output(b *hcl.Block) hcl.Diagnostics {
	name := b.Labels[0]
	diags := d.validName("output", name, b.LabelRanges[0])
	dup := d.declare("output", name, b.DefRange, b.LabelRanges[0])
	diags = append(diags, dup...)
	content, moreDiags := b.Body.Content(outputSchema)
	diags = append(diags, moreDiags...)
	va, ok := content.Attributes["value"]
	if !ok {
		d.cfg.markFailed("output", name)
		return diags
	}
	o := &Output{Name: name, Value: va.Expr, DeclRange: b.DefRange}
	if a, ok := content.Attributes["description"]; ok {
		s, moreDiags := constString(a.Expr, "description")
		diags = append(diags, moreDiags...)
		o.Description = s
	}
	if a, ok := content.Attributes["sensitive"]; ok {
		s, moreDiags := constBool(a.Expr, "sensitive")
		diags = append(diags, moreDiags...)
		o.Sensitive = s
	}
	if d.keep("output", name, dup, diags) {
		d.cfg.Outputs[name] = o
	}
	return diags
}

// TraversalString renders a traversal as written: self,
// invocation.a["k"], local.x[0]; an index that is not a known string or
// number is shown as [...].
func TraversalString(tr hcl.Traversal) string {
	var sb strings.Builder
	for _, t := range tr {
		switch t := t.(type) {
		case hcl.TraverseRoot:
			sb.WriteString(t.Name)
		case hcl.TraverseAttr:
			sb.WriteString("." + t.Name)
		case hcl.TraverseIndex:
			switch {
			case t.Key.Type() == cty.String && t.Key.IsKnown() && !t.Key.IsNull():
				fmt.Fprintf(&sb, "[%q]", t.Key.AsString())
			case t.Key.Type() == cty.Number && t.Key.IsKnown() && !t.Key.IsNull():
				sb.WriteString("[" + t.Key.AsBigFloat().Text('f', -1) + "]")
			default:
				sb.WriteString("[...]")
			}
		case hcl.TraverseSplat:
			sb.WriteString("[*]")
		}
	}
	return sb.String()
}

// readsStats reports whether expr reads self.stats: an assert that does is
// a gate over a sample.
func readsStats(expr hcl.Expression) bool {
	for _, tr := range expr.Variables() {
		if tr.RootName() != "self" || len(tr) < 2 {
			continue
		}
		switch st := tr[1].(type) {
		case hcl.TraverseAttr:
			if st.Name == "stats" {
				return true
			}
		case hcl.TraverseIndex:
			if st.Key.Type() == cty.String && st.Key.IsKnown() && !st.Key.IsNull() && st.Key.AsString() == "stats" {
				return true
			}
		}
	}
	return false
}
