package cli

import (
	"context"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/planner"
	"github.com/fnprobe/fnprobe/spec"
)

// loadPlan loads the suite at path with parser, resolves its variables and
// plans it, as cmd (run, plan, graph, validate; watch loads as run) needs,
// registering every secret with redactor. With -emulate (emu not nil),
// every cloud provider of the plan is aimed at the in-process emulator.
// The diagnostics are returned, not shown.
//
// One pass: once the files are decoded, every stage runs whatever the
// stages before it found. The plan is nil when the suite is invalid, or
// when ctx was interrupted while loading.
func loadPlan(ctx context.Context, env Env, path string, f suiteFlags, emu *emulation, cmd string, parser *spec.Parser, redactor *spec.Redactor) (*loadedSuite, hcl.Diagnostics) {
	l := &loadedSuite{parser: parser, redactor: redactor, emu: emu}
	validate := cmd == "validate"
	cfg, diags := spec.Load(parser, path, spec.LoadOptions{Registry: env.Registry, Getenv: env.Getenv, Context: ctx})
	if !cfg.Decoded() {
		return l, diags
	}
	vals, moreDiags := cfg.VariableValues(parser, spec.VarOptions{
		Vars: f.vars, VarFiles: f.varFiles, AllowUnset: validate, Redactor: redactor, Context: ctx,
	})
	diags = append(diags, moreDiags...)
	for name, v := range vals {
		if cfg.Variables[name].Sensitive {
			redactor.AddValue(v)
		}
	}
	if interrupted(ctx) {
		return l, diags
	}
	l.cfg, l.vals = cfg, vals
	plan, moreDiags := planner.Build(cfg, planner.Options{
		Registry: env.Registry, Vars: vals, Targets: f.targets, Tags: f.tags,
		Validate: validate, Redactor: redactor,
	})
	diags = append(diags, moreDiags...)
	if !diags.HasErrors() {
		diags = append(diags, emu.aim(cmd, plan, redactor)...)
	}
	if plan != nil {
		for _, s := range plan.Secrets {
			redactor.AddValue(s)
		}
	}
	if !diags.HasErrors() {
		l.plan = plan
	}
	return l, diags
}

// loadedSuite is what loadPlan loaded: the plan (nil when invalid) and,
// for watch's /probe plans of a selection, the configuration and
// variables.
type loadedSuite struct {
	plan     *planner.Plan
	cfg      *spec.Config
	vals     map[string]cty.Value
	parser   *spec.Parser
	redactor *spec.Redactor
	emu      *emulation // -emulate; nil without
}
