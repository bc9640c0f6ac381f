package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/hashicorp/hcl/v2"

	"github.com/fnprobe/fnprobe/emulator"
	"github.com/fnprobe/fnprobe/planner"
	"github.com/fnprobe/fnprobe/report"
	"github.com/fnprobe/fnprobe/spec"
)

// emulateFlags are `-emulate CONFIG` (validate, plan, run) and
// `-emulate-log FILE` (run).
type emulateFlags struct{ config, log string }

func (f *emulateFlags) register(fs *flag.FlagSet, cmd string) {
	if cmd == "graph" {
		return
	}
	fs.StringVar(&f.config, "emulate", "", "aim every cloud provider at an in-process emulator configured by `FILE` (docs/emulator.md)")
	if cmd == "run" {
		fs.StringVar(&f.log, "emulate-log", "", "write the in-process emulator's access log to `FILE` (default: discarded)")
	}
}

// emulation is the emulator -emulate runs in-process: its configuration
// is loaded before the suites, it starts listening on a free loopback port
// once the first suite is planned (plan and run), serves every suite of
// the command, and stops when the command returns, Ctrl-C included.
type emulation struct {
	path    string
	cfg     *emulator.Config
	log     *os.File
	running *emulator.Running
}

// loadEmulation loads the -emulate configuration and opens the
// -emulate-log file. Without -emulate it returns nil and 0; on an error it
// shows why, with snippets from files, and returns the exit code.
func loadEmulation(ctx context.Context, f emulateFlags, show func(diags hcl.Diagnostics, files map[string]*hcl.File)) (*emulation, int) {
	parser := spec.NewParser()
	if f.config == "" {
		if f.log != "" {
			show(hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "-emulate-log without -emulate",
				Detail:   "-emulate-log names the file for the access log of the emulator that -emulate starts; give -emulate too.",
			}}, nil)
			return nil, configExit(ctx)
		}
		return nil, 0
	}
	cfg, diags := emulator.LoadConfigWith(parser, f.config)
	if diags.HasErrors() {
		show(diags, parser.Files())
		return nil, configExit(ctx)
	}
	e := &emulation{path: f.config, cfg: cfg}
	if f.log != "" {
		var err error
		if e.log, err = openReport(f.log); err != nil {
			show(hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Cannot write the emulator log",
				Detail:   fmt.Sprintf("The -emulate-log file cannot be written, so nothing was invoked: %s.", err),
			}}, nil)
			return nil, configExit(ctx)
		}
	}
	return e, 0
}

// emulationDiags shows loadEmulation's diagnostics as the command shows a
// suite's (on standard error, or in the JSON views and validate -json),
// with snippets from files.
func (r *suiteRun) emulationDiags(base report.Options) func(hcl.Diagnostics, map[string]*hcl.File) {
	return func(diags hcl.Diagnostics, files map[string]*hcl.File) {
		opts := base
		opts.Files = files
		for _, v := range []*report.JSON{r.jsonView, r.jsonFileV} {
			if v != nil {
				v.Begin(opts) // each suite begins its own later
			}
		}
		r.showDiags(opts, diags)
	}
}

// aim starts the emulator (on the first call) and aims every cloud
// provider of the plan at it (emulator.Aim): plan shows, and run calls,
// the emulator's URL. The credentials it fills in are registered with r.
// validate only checks the configuration.
func (e *emulation) aim(cmd string, p *planner.Plan, r *spec.Redactor) hcl.Diagnostics {
	if e == nil || p == nil || cmd != "plan" && cmd != "run" {
		return nil
	}
	if e.running == nil {
		var accessLog io.Writer
		if e.log != nil {
			accessLog = e.log
		}
		running, err := emulator.StartWith(*e.cfg, emulator.Options{AccessLog: accessLog})
		if err != nil {
			return hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Cannot start the emulator",
				Detail:   fmt.Sprintf("The emulator configured by %s cannot start: %s.", e.path, err),
			}}
		}
		e.running = running
	}
	running := e.running
	addrs := make([]string, 0, len(p.Providers))
	for a := range p.Providers {
		addrs = append(addrs, a)
	}
	sort.Strings(addrs)
	var diags hcl.Diagnostics
	for _, a := range addrs {
		pi := p.Providers[a]
		aimed, ok := emulator.Aim(pi.Type, pi.Config, running.URL, *e.cfg)
		if !ok {
			continue
		}
		pi.Config = aimed.Config
		r.Add(aimed.Secrets()...)
		if aimed.Credential != nil && !aimed.Own {
			pi.CredentialSource = "the emulator's credential (-emulate " + e.path + ")"
		}
		if aimed.Credential == nil && !aimed.Own {
			kind := emulator.Bindings()[pi.Type].Credential
			d := &hcl.Diagnostic{
				Severity: hcl.DiagWarning,
				Summary:  "No emulator credential for this provider",
				Detail: fmt.Sprintf("%s names no credential, and %s has no credential %q that its driver can use: the driver falls back to its environment variables, whose credentials the emulator does not know. Add a credential %q block to %s.",
					pi.Addr, e.path, kind, kind, e.path),
			}
			if decl := p.Config.Providers[a]; decl != nil {
				d.Subject = decl.DeclRange.Ptr()
			}
			diags = append(diags, d)
		}
	}
	return diags
}

// Close stops the emulator, its connections and its async tasks, then
// closes the access log.
func (e *emulation) Close() {
	if e == nil {
		return
	}
	if e.running != nil {
		e.running.Close()
	}
	if e.log != nil {
		_ = e.log.Close()
	}
}
