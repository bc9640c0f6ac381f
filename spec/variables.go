package spec

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// VarOptions are the variable sources given on the command line.
type VarOptions struct {
	Vars     []string // -var NAME=VALUE, in order
	VarFiles []string // -var-file FILE, in order
	// AllowUnset gives a variable without any value an unknown value
	// marked Unset instead of reporting it (validate checks a suite
	// regardless of the values it will get, as terraform validate does).
	AllowUnset bool
	// Redactor, when set, registers every value given for a sensitive
	// variable as it is read, valid or not, so that the diagnostics about
	// it (a var file's snippet) are redacted too.
	Redactor *Redactor
	// Context ends reading variables files early (Ctrl-C); nil means
	// context.Background().
	Context context.Context
}

// A variable whose value was rejected (reported in the diagnostics) has
// BrokenVal, so that what reads it is not reported again.

// EnvVarPrefix prefixes environment variables that set suite variables.
const EnvVarPrefix = "FNPROBE_VAR_"

// VariableValues resolves every declared variable. Sources, lowest
// precedence first: the default, FNPROBE_VAR_<name>, *.auto.probevars.hcl in
// the suite directory (alphabetical), -var-file files, -var options. Values
// of sensitive variables carry the Sensitive mark. Validations are checked.
func (c *Config) VariableValues(parser *Parser, opts VarOptions) (map[string]cty.Value, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	type source struct {
		val cty.Value
		rng *hcl.Range
	}
	set := map[string]source{}
	// failed: variables given an invalid value; reported already, so not
	// reported again as missing.
	failed := map[string]bool{}

	for name, v := range c.Variables {
		raw := c.getenv(EnvVarPrefix + name)
		if raw == "" {
			continue
		}
		if v.Sensitive {
			opts.Redactor.Add(raw)
		}
		val, moreDiags := parseRawValue(raw, v, EnvVarPrefix+name)
		diags = append(diags, moreDiags...)
		if moreDiags.HasErrors() {
			failed[name] = true
		} else {
			set[name] = source{val: val}
		}
	}

	var files []string
	if entries, err := os.ReadDir(c.Dir); err == nil {
		for _, e := range entries {
			if !e.IsDir() && strings.HasSuffix(e.Name(), SuffixAutoVars) {
				files = append(files, filepath.Join(c.Dir, e.Name()))
			}
		}
	}
	sort.Strings(files)
	files = append(files, opts.VarFiles...)
	for _, fn := range files {
		ctx := ctxOrBackground(opts.Context)
		f, moreDiags := parseFile(ctx, parser, fn, strings.HasSuffix(fn, ".json"), "variables file")
		diags = append(diags, moreDiags...)
		if ctx.Err() != nil {
			return nil, diags // interrupted: say so once, read no more
		}
		if f == nil || moreDiags.HasErrors() {
			continue
		}
		attrs, moreDiags := f.Body.JustAttributes()
		diags = append(diags, moreDiags...)
		names := make([]string, 0, len(attrs))
		for n := range attrs {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			a := attrs[n]
			decl, ok := c.Variables[n]
			if !ok {
				if !c.Failed("variable", n) { // else its block's error is reported
					diags = append(diags, undeclaredVariable(n, c, hcl.DiagWarning, a.NameRange.Ptr()))
				}
				continue
			}
			val, moreDiags := constValue(a.Expr, "a variable")
			diags = append(diags, moreDiags...)
			if moreDiags.HasErrors() {
				failed[n] = true
				continue
			}
			if decl.Sensitive {
				opts.Redactor.AddValue(val)
			}
			conv, err := decl.convert(val)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid value for variable",
					Detail:   fmt.Sprintf("The value for var.%s is not compatible with its type constraint: %s.", n, err),
					Subject:  a.Expr.Range().Ptr(),
				})
				failed[n] = true
				continue
			}
			set[n] = source{val: conv, rng: a.Expr.Range().Ptr()}
		}
	}

	for _, kv := range opts.Vars {
		name, raw, ok := strings.Cut(kv, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			failed[name] = true
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid -var option",
				Detail:   fmt.Sprintf("The given -var option %q is not correctly specified. It must be a variable name and value separated by an equals sign, like -var=\"key=value\".", kv),
			})
			continue
		}
		decl, declared := c.Variables[name]
		if !declared {
			if !c.Failed("variable", name) { // else its block's error is reported
				diags = append(diags, undeclaredVariable(name, c, hcl.DiagError, nil))
			}
			continue
		}
		if decl.Sensitive {
			opts.Redactor.Add(raw)
		}
		val, moreDiags := parseRawValue(raw, decl, "-var "+name)
		diags = append(diags, moreDiags...)
		if moreDiags.HasErrors() {
			failed[name] = true
		} else {
			set[name] = source{val: val}
		}
	}

	out := make(map[string]cty.Value, len(c.Variables))
	for _, name := range sortedKeys(c.Variables) {
		decl := c.Variables[name]
		src, ok := set[name]
		switch {
		case ok:
		case failed[name]:
			// Reported; what reads it is not reported again.
			out[name] = BrokenVal
			continue
		case decl.Default != cty.NilVal:
			src = source{val: decl.Default}
		case opts.AllowUnset:
			src = source{val: cty.UnknownVal(decl.Type).Mark(Unset)}
		default:
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "No value for required variable",
				Detail:   fmt.Sprintf("The variable %q has no default, so a value must be given with -var, -var-file, a *%s file or the %s%s environment variable.", name, SuffixAutoVars, EnvVarPrefix, name),
				Subject:  decl.DeclRange.Ptr(),
			})
			out[name] = BrokenVal
			continue
		}
		val := src.val
		rng := src.rng
		if !ok {
			rng = decl.DeclRange.Ptr() // the default
		}
		if d := CheckValue(val, "var."+name, rng); d != nil {
			diags = append(diags, d)
			out[name] = BrokenVal
			continue
		}
		if decl.Sensitive {
			val = val.Mark(Sensitive)
		}
		out[name] = val
	}
	// Variables that got a value are validated even when another one
	// failed: every mistake is reported in one pass.
	diags = append(diags, c.validateVariables(out)...)
	return out, diags
}

func (c *Config) validateVariables(vals map[string]cty.Value) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, name := range sortedKeys(c.Variables) {
		decl := c.Variables[name]
		if v, ok := vals[name]; !ok || FromBroken(v) {
			continue // its value was rejected, and reported
		}
		for _, v := range decl.Validations {
			ctx := &hcl.EvalContext{
				Variables: map[string]cty.Value{"var": cty.ObjectVal(map[string]cty.Value{name: vals[name]})},
				Functions: c.FunctionsFor(v.DeclRange.Filename),
			}
			res, moreDiags := v.Condition.Value(ctx)
			diags = append(diags, moreDiags...)
			if moreDiags.HasErrors() || FromUnset(res) {
				continue // an unset variable (validate) cannot be checked yet
			}
			res, _ = res.Unmark()
			res, err := convert.Convert(res, cty.Bool)
			if err != nil || res.IsNull() || !res.IsKnown() {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid validation condition",
					Detail:   "The condition must be true or false.",
					Subject:  v.Condition.Range().Ptr(),
				})
				continue
			}
			if res.True() {
				continue
			}
			msg := "The value is not valid."
			if m, moreDiags := v.ErrorMessage.Value(ctx); !moreDiags.HasErrors() {
				if m.HasMark(Sensitive) || m.ContainsMarked() {
					msg = "The error message included a sensitive value, so it will not be displayed."
				} else if s, err := convert.Convert(m, cty.String); err == nil && !s.IsNull() && s.IsKnown() {
					msg = s.AsString()
				}
			}
			diags = append(diags, &hcl.Diagnostic{
				Severity:    hcl.DiagError,
				Summary:     "Invalid value for variable",
				Detail:      fmt.Sprintf("%s\n\nThis was checked by the validation rule at %s.", msg, v.DeclRange),
				Subject:     v.Condition.Range().Ptr(),
				Expression:  v.Condition,
				EvalContext: ctx,
			})
		}
	}
	return diags
}

func undeclaredVariable(name string, c *Config, sev hcl.DiagnosticSeverity, rng *hcl.Range) *hcl.Diagnostic {
	detail := fmt.Sprintf("A value was given for var.%s, but the suite declares no variable %q.", name, name)
	if s := Suggest(name, sortedKeys(c.Variables)); s != "" {
		detail += fmt.Sprintf(" Did you mean %q?", s)
	}
	return &hcl.Diagnostic{Severity: sev, Summary: "Value for undeclared variable", Detail: detail, Subject: rng}
}

// parseRawValue interprets a value given as text (-var, environment). For a
// string-typed variable the text is the value; otherwise it is parsed as an
// HCL expression, as Terraform does.
func parseRawValue(raw string, decl *Variable, source string) (cty.Value, hcl.Diagnostics) {
	ty := decl.Type
	if ty == cty.String || ty == cty.DynamicPseudoType {
		return cty.StringVal(raw), nil
	}
	filename := "<value for " + source + ">"
	if diags := CheckNesting([]byte(raw), filename, false); diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	incompatible := func(err error) (cty.Value, hcl.Diagnostics) {
		return cty.DynamicVal, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid value for variable",
			Detail:   fmt.Sprintf("The value given by %s is not compatible with the variable's type constraint: %s.", source, err),
		}}
	}
	if ty.IsPrimitiveType() {
		// A number or a bool is given as its text ("3", "true"), or as a
		// constant expression ("2*60"). When neither works, the problem
		// to report is the type, not the expression syntax.
		conv, err := convert.Convert(cty.StringVal(raw), ty)
		if err == nil {
			return conv, nil
		}
		expr, diags := hclsyntax.ParseExpression([]byte(raw), filename, hcl.InitialPos)
		if diags.HasErrors() {
			return incompatible(err)
		}
		val, diags := constValue(expr, source)
		if diags.HasErrors() {
			return incompatible(err)
		}
		conv, err2 := convert.Convert(val, ty)
		if err2 != nil {
			return incompatible(err)
		}
		return conv, nil
	}
	expr, diags := hclsyntax.ParseExpression([]byte(raw), filename, hcl.InitialPos)
	if diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	val, diags := constValue(expr, source)
	if diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	conv, err := decl.convert(val)
	if err != nil {
		return incompatible(err)
	}
	return conv, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// SortedKeys returns the keys of m, sorted.
func SortedKeys[V any](m map[string]V) []string { return sortedKeys(m) }
