package emulator

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fnprobe/fnprobe/emulator/sim"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
)

// Config is a parsed emulator configuration.
type Config = sim.Options

// configSchema and friends describe the emulator's HCL file; see README.md.
func rootSchema() *hcl.BodySchema {
	return &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "seed"}},
		Blocks: []hcl.BlockHeaderSchema{
			{Type: "credential", LabelNames: []string{"provider"}},
			{Type: "function", LabelNames: []string{"name"}},
		},
	}
}

func credentialSchema() *hcl.BodySchema {
	return &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "access_key_id"},
		{Name: "access_key_secret"},
		{Name: "security_token"},
		// Token credentials and scoping (Huawei Cloud, Tencent CloudBase, AWS).
		{Name: "token"},
		{Name: "expired"},
		{Name: "project_id"},
		{Name: "region"},
		{Name: "account_id"},
	}}
}

func functionSchema() *hcl.BodySchema {
	return &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{
			{Name: "behavior"}, {Name: "message"}, {Name: "sleep"}, {Name: "command"}, {Name: "dir"},
			{Name: "versions"}, {Name: "aliases"}, {Name: "service"}, {Name: "memory_mb"},
		},
		Blocks: []hcl.BlockHeaderSchema{{Type: "fault"}, {Type: "alias", LabelNames: []string{"name"}}},
	}
}

// aliasSchema is the block form of an alias, which can be weighted.
func aliasSchema() *hcl.BodySchema {
	return &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "version", Required: true},
		{Name: "additional_version_weights"},
	}}
}

func faultSchema() *hcl.BodySchema {
	return &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "latency"}, {Name: "error_rate"}, {Name: "throttle_rate"}, {Name: "throttle_status"},
		{Name: "retry_after"}, {Name: "drop_rate"}, {Name: "truncate_rate"},
	}}
}

// LoadConfig reads and parses an emulator configuration file.
func LoadConfig(path string) (*Config, hcl.Diagnostics) {
	return LoadConfigWith(hclparse.NewParser(), path)
}

// LoadConfigWith reads and parses an emulator configuration file with p,
// so that p.Files() holds it for rendering diagnostics with snippets (the
// CLI passes the parser of the suite).
func LoadConfigWith(p *hclparse.Parser, path string) (*Config, hcl.Diagnostics) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read emulator configuration",
			Detail:   fmt.Sprintf("The emulator configuration cannot be read: %s.", err),
		}}
	}
	return parseWith(p, src, path)
}

// ParseConfig parses an emulator configuration in HCL native syntax
// (or HCL JSON syntax when filename ends in ".json"). A command function
// runs in the directory of the configuration file, or in its `dir`, taken
// relative to that file, so a config works from any working directory.
func ParseConfig(src []byte, filename string) (*Config, hcl.Diagnostics) {
	return parseWith(hclparse.NewParser(), src, filename)
}

func parseWith(p *hclparse.Parser, src []byte, filename string) (*Config, hcl.Diagnostics) {
	var f *hcl.File
	var diags hcl.Diagnostics
	if strings.HasSuffix(filename, ".json") {
		f, diags = p.ParseJSON(src, filename)
	} else {
		f, diags = p.ParseHCL(src, filename)
	}
	if diags.HasErrors() {
		return nil, diags
	}
	content, moreDiags := f.Body.Content(rootSchema())
	diags = append(diags, moreDiags...)
	cfg := &Config{}
	d := decoder{ctx: evalContext()}
	if a, ok := content.Attributes["seed"]; ok {
		var n int64
		if d.number(a, &n) && n < 0 {
			d.errorAt(a.Expr.Range(), "Invalid seed", "The seed must not be negative.")
		}
		cfg.Seed = uint64(n)
	}
	seen := map[string]hcl.Range{}
	for _, b := range content.Blocks {
		switch b.Type {
		case "credential":
			cfg.Credentials = append(cfg.Credentials, d.credential(b))
		case "function":
			if prev, dup := seen[b.Labels[0]]; dup {
				d.errorAt(b.LabelRanges[0], "Duplicate function", fmt.Sprintf("A function named %q was already declared at %s.", b.Labels[0], prev))
				continue
			}
			seen[b.Labels[0]] = b.DefRange
			fs := d.function(b)
			if fs.Behavior == sim.Command && !filepath.IsAbs(fs.Dir) {
				fs.Dir = filepath.Join(filepath.Dir(filename), fs.Dir)
			}
			cfg.Functions = append(cfg.Functions, fs)
		}
	}
	diags = append(diags, d.diags...)
	if diags.HasErrors() {
		return nil, diags
	}
	return cfg, diags
}

func evalContext() *hcl.EvalContext {
	return &hcl.EvalContext{Functions: map[string]function.Function{
		"env": function.New(&function.Spec{
			Params: []function.Parameter{{Name: "name", Type: cty.String}},
			Type:   function.StaticReturnType(cty.String),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				return cty.StringVal(os.Getenv(args[0].AsString())), nil
			},
		}),
	}}
}

type decoder struct {
	ctx   *hcl.EvalContext
	diags hcl.Diagnostics
}

func (d *decoder) errorAt(r hcl.Range, summary, detail string) {
	d.diags = append(d.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: r.Ptr()})
}

// value evaluates an attribute and converts it to ty.
func (d *decoder) value(a *hcl.Attribute, ty cty.Type) (cty.Value, bool) {
	v, diags := a.Expr.Value(d.ctx)
	d.diags = append(d.diags, diags...)
	if diags.HasErrors() {
		return cty.NilVal, false
	}
	v, err := convert.Convert(v, ty)
	if err != nil || v.IsNull() {
		msg := "null value"
		if err != nil {
			msg = err.Error()
		}
		d.errorAt(a.Expr.Range(), "Invalid value for "+a.Name, fmt.Sprintf("A %s is required: %s.", ty.FriendlyName(), msg))
		return cty.NilVal, false
	}
	return v, true
}

func (d *decoder) str(a *hcl.Attribute, out *string) bool {
	v, ok := d.value(a, cty.String)
	if ok {
		*out = v.AsString()
	}
	return ok
}

func (d *decoder) number(a *hcl.Attribute, out *int64) bool {
	v, ok := d.value(a, cty.Number)
	if !ok {
		return false
	}
	n, acc := v.AsBigFloat().Int64()
	if acc != 0 {
		d.errorAt(a.Expr.Range(), "Invalid value for "+a.Name, "A whole number is required.")
		return false
	}
	*out = n
	return true
}

func (d *decoder) rate(a *hcl.Attribute, out *float64) {
	v, ok := d.value(a, cty.Number)
	if !ok {
		return
	}
	f, _ := v.AsBigFloat().Float64()
	if f < 0 || f > 1 {
		d.errorAt(a.Expr.Range(), "Invalid value for "+a.Name, "A rate is a probability between 0 and 1.")
		return
	}
	*out = f
}

func (d *decoder) duration(a *hcl.Attribute, out *time.Duration) {
	var s string
	if !d.str(a, &s) {
		return
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		d.errorAt(a.Expr.Range(), "Invalid duration for "+a.Name, fmt.Sprintf("%q is not a duration like \"200ms\" or \"1s\".", s))
		return
	}
	*out = v
}

func (d *decoder) list(a *hcl.Attribute) []string {
	v, ok := d.value(a, cty.List(cty.String))
	if !ok {
		return nil
	}
	var out []string
	for it := v.ElementIterator(); it.Next(); {
		_, ev := it.Element()
		if ev.IsNull() {
			d.errorAt(a.Expr.Range(), "Invalid value for "+a.Name, "The list must not contain null.")
			return nil
		}
		out = append(out, ev.AsString())
	}
	return out
}

func (d *decoder) credential(b *hcl.Block) sim.Credential {
	c := sim.Credential{Provider: b.Labels[0]}
	d.checkKind(b)
	content, diags := b.Body.Content(credentialSchema())
	d.diags = append(d.diags, diags...)
	for name, a := range content.Attributes {
		switch name {
		case "access_key_id":
			d.str(a, &c.AccessKeyID)
		case "access_key_secret":
			d.str(a, &c.Secret)
		case "security_token":
			d.str(a, &c.SecurityToken)
		case "token":
			d.str(a, &c.Token)
		case "project_id":
			d.str(a, &c.ProjectID)
		case "region":
			d.str(a, &c.Region)
		case "account_id":
			d.str(a, &c.AccountID)
		case "expired":
			if v, ok := d.value(a, cty.Bool); ok {
				c.Expired = v.True()
			}
		}
	}
	d.checkCredential(b, content, c)
	if a := content.Attributes["access_key_id"]; a != nil && c.AccessKeyID == "" && !diags.HasErrors() {
		d.errorAt(a.Expr.Range(), "Empty access_key_id", "A credential needs a non-empty access key id.")
	}
	return c
}

func (d *decoder) function(b *hcl.Block) sim.FunctionSpec {
	fs := sim.FunctionSpec{Name: b.Labels[0]}
	content, diags := b.Body.Content(functionSchema())
	d.diags = append(d.diags, diags...)
	attrs := content.Attributes
	if a := attrs["behavior"]; a != nil {
		var s string
		if d.str(a, &s) {
			fs.Behavior = sim.Behavior(s)
			valid := false
			var names []string
			for _, v := range sim.Behaviors() {
				valid = valid || v == fs.Behavior
				names = append(names, string(v))
			}
			if !valid {
				d.errorAt(a.Expr.Range(), "Unknown behavior", fmt.Sprintf("%q is not one of %s.", s, strings.Join(names, ", ")))
			}
		}
	}
	if a := attrs["message"]; a != nil {
		d.str(a, &fs.Message)
	}
	if a := attrs["sleep"]; a != nil {
		d.duration(a, &fs.Sleep)
	}
	if a := attrs["command"]; a != nil {
		fs.Command = d.list(a)
		if len(fs.Command) == 0 {
			d.errorAt(a.Expr.Range(), "Empty command", "command is the program and its arguments, e.g. [\"python3\", \"handler.py\"].")
		}
	}
	if fs.Behavior == sim.Command && attrs["command"] == nil {
		d.errorAt(b.DefRange, "Missing command", "A function with behavior \"command\" needs a command attribute.")
	}
	if fs.Behavior == sim.Sleep && attrs["sleep"] == nil {
		d.errorAt(b.DefRange, "Missing sleep", "A function with behavior \"sleep\" needs a sleep duration.")
	}
	if a := attrs["dir"]; a != nil {
		d.str(a, &fs.Dir)
	}
	if a := attrs["service"]; a != nil {
		d.str(a, &fs.Service)
	}
	if a := attrs["memory_mb"]; a != nil {
		if v, ok := d.value(a, cty.Number); ok {
			fs.MemoryMB, _ = v.AsBigFloat().Float64()
		}
	}
	if a := attrs["versions"]; a != nil {
		fs.Versions = d.list(a)
	}
	aliasAt := map[string]hcl.Range{} // where each alias was declared
	if a := attrs["aliases"]; a != nil {
		if v, ok := d.value(a, cty.Map(cty.String)); ok {
			fs.Aliases = map[string]string{}
			for it := v.ElementIterator(); it.Next(); {
				k, ev := it.Element()
				if ev.IsNull() {
					continue
				}
				target := ev.AsString()
				if target != sim.Latest && !contains(fs.Versions, target) {
					d.errorAt(a.Expr.Range(), "Alias to an undeclared version",
						fmt.Sprintf("Alias %q points to version %q, which is not in versions.", k.AsString(), target))
				}
				fs.Aliases[k.AsString()] = target
				aliasAt[k.AsString()] = a.Expr.Range()
			}
		}
	}
	faults := 0
	for _, fb := range content.Blocks {
		switch fb.Type {
		case "fault":
			if faults++; faults > 1 {
				d.errorAt(fb.DefRange, "Duplicate fault block", "A function has at most one fault block.")
				continue
			}
			d.fault(fb, &fs.Fault)
		case "alias":
			name := fb.Labels[0]
			if prev, dup := aliasAt[name]; dup {
				d.errorAt(fb.LabelRanges[0], "Duplicate alias", fmt.Sprintf("Alias %q was already declared at %s.", name, prev))
				continue
			}
			aliasAt[name] = fb.DefRange
			d.alias(fb, &fs)
		}
	}
	return fs
}

// alias decodes an alias block into fs.Aliases and fs.AliasWeights:
//
//	alias "live" {
//	  version                    = "6"
//	  additional_version_weights = { "7" = 0.1 }
//	}
func (d *decoder) alias(b *hcl.Block, fs *sim.FunctionSpec) {
	name := b.Labels[0]
	content, diags := b.Body.Content(aliasSchema())
	d.diags = append(d.diags, diags...)
	if fs.Aliases == nil {
		fs.Aliases = map[string]string{}
	}
	var primary string
	if a := content.Attributes["version"]; a != nil && d.str(a, &primary) {
		if primary != sim.Latest && !contains(fs.Versions, primary) {
			d.errorAt(a.Expr.Range(), "Alias to an undeclared version",
				fmt.Sprintf("Alias %q points to version %q, which is not in versions.", name, primary))
		}
		fs.Aliases[name] = primary
	}
	a := content.Attributes["additional_version_weights"]
	if a == nil {
		return
	}
	weights := d.weights(a, name, primary, fs.Versions)
	if len(weights) == 0 {
		return
	}
	if fs.AliasWeights == nil {
		fs.AliasWeights = map[string]map[string]float64{}
	}
	fs.AliasWeights[name] = weights
}

// weights decodes additional_version_weights, a map from version to the
// share of the alias's invocations it takes, reporting each bad entry at
// its own key or value.
func (d *decoder) weights(a *hcl.Attribute, alias, primary string, versions []string) map[string]float64 {
	pairs, diags := hcl.ExprMap(a.Expr)
	if diags.HasErrors() {
		// Not an object constructor: evaluate it whole for its message.
		if _, ok := d.value(a, cty.Map(cty.Number)); ok {
			d.errorAt(a.Expr.Range(), "Invalid value for "+a.Name,
				`additional_version_weights is written as an object, e.g. { "7" = 0.1 }.`)
		}
		return nil
	}
	out := map[string]float64{}
	keyAt := map[string]hcl.Range{}
	total, ok := 0.0, true
	for _, p := range pairs {
		kv, kd := p.Key.Value(d.ctx)
		d.diags = append(d.diags, kd...)
		vv, vd := p.Value.Value(d.ctx)
		d.diags = append(d.diags, vd...)
		if kd.HasErrors() || vd.HasErrors() {
			ok = false
			continue
		}
		ks, err := convert.Convert(kv, cty.String)
		if err != nil || ks.IsNull() || !ks.IsKnown() {
			d.errorAt(p.Key.Range(), "Invalid value for "+a.Name, "A version name is required as the key.")
			ok = false
			continue
		}
		version := ks.AsString()
		switch {
		case keyAt[version] != (hcl.Range{}):
			d.errorAt(p.Key.Range(), "Duplicate weight", fmt.Sprintf("Version %q was already weighted at %s.", version, keyAt[version]))
			ok = false
			continue
		case version == primary:
			d.errorAt(p.Key.Range(), "Weight for the alias's own version",
				fmt.Sprintf("Version %q is the version of alias %q, which takes the share the additional versions leave; weigh other versions only.", version, alias))
			ok = false
			continue
		case !contains(versions, version):
			d.errorAt(p.Key.Range(), "Weight for an undeclared version",
				fmt.Sprintf("Alias %q gives a share to version %q, which is not in versions; only published versions can be weighted.", alias, version))
			ok = false
			continue
		}
		keyAt[version] = p.Key.Range()
		nv, err := convert.Convert(vv, cty.Number)
		if err != nil || nv.IsNull() || !nv.IsKnown() {
			d.errorAt(p.Value.Range(), "Invalid weight", fmt.Sprintf("The weight of version %q must be a number between 0 and 1.", version))
			ok = false
			continue
		}
		w, _ := nv.AsBigFloat().Float64()
		if w < 0 || w > 1 {
			d.errorAt(p.Value.Range(), "Invalid weight",
				fmt.Sprintf("The weight of version %q is %v: a weight is the share of the alias's invocations, between 0 and 1 (0.1 is 10 %%).", version, w))
			ok = false
			continue
		}
		out[version] = w
		total += w
	}
	if ok && total > 1+1e-9 {
		d.errorAt(a.Expr.Range(), "Weights sum to more than 1",
			fmt.Sprintf("The additional versions of alias %q take %v of its invocations; together they may take at most 1 (the alias's version %q gets the rest).", alias, total, primary))
		return nil
	}
	return out
}

func (d *decoder) fault(b *hcl.Block, f *sim.Fault) {
	content, diags := b.Body.Content(faultSchema())
	d.diags = append(d.diags, diags...)
	for name, a := range content.Attributes {
		switch name {
		case "latency":
			d.duration(a, &f.Latency)
		case "retry_after":
			d.duration(a, &f.RetryAfter)
		case "error_rate":
			d.rate(a, &f.ErrorRate)
		case "throttle_rate":
			d.rate(a, &f.ThrottleRate)
		case "drop_rate":
			d.rate(a, &f.DropRate)
		case "truncate_rate":
			d.rate(a, &f.TruncateRate)
		case "throttle_status":
			var n int64
			if d.number(a, &n) {
				if n != 429 && n != 503 {
					d.errorAt(a.Expr.Range(), "Invalid throttle_status", "throttle_status is 429 or 503.")
				}
				f.ThrottleStatus = int(n)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
