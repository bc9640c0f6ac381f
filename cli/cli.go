// Package cli is fnprobe's command line: flags, wiring of spec → planner →
// executor → reports, and exit codes. It holds no logic of its own beyond
// that wiring; main.go only calls Main.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"
	"github.com/hashicorp/hcl/v2"

	"github.com/fnprobe/fnprobe/executor"
	"github.com/fnprobe/fnprobe/planner"
	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/report"
	"github.com/fnprobe/fnprobe/spec"
)

// Version is fnprobe's version, printed by `fnprobe version` and in the
// JSON version event.
const Version = "0.1.0"

// Env is what a command may touch of the outside world; tests give fakes.
type Env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Registry       providers.Registry
	// IsTerminal says whether Stdout is a terminal (for colour).
	IsTerminal bool
	// Width is the column diagnostics wrap at: 0 is the default (78),
	// negative disables wrapping (tests compare output across machines).
	Width int

	stdout *latch // Stdout, as Main wrapped it
}

const usage = `Usage: fnprobe <command> [flags] [PATH]

Commands:
  validate   check syntax, schema, references, types and cycles (no network)
  plan       show the resolved graph: each invocation, its target and dependencies
  run        plan, then invoke and check every expectation
  graph      print the dependency graph as Graphviz DOT
  fmt        rewrite files in canonical format (-check: only report)
  emulate    serve every supported provider's invoke API locally
  version    print the version and supported providers

PATH is a suite directory (*.probe.hcl, *.probe.json) or one file; default ".".
Run "fnprobe <command> -h" for a command's flags.
`

// Main runs fnprobe with args (without the program name) and returns the
// exit code.
//
// Outputs cannot fail silently: a write error on standard output or
// standard error (a closed pipe, a full disk) makes a command that would
// have exited 0 exit 3, and during `run` an error on standard output
// cancels the run at once. A panic is an internal error, exit 4.
func Main(ctx context.Context, args []string, env Env) (code int) {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	stdout, stderr := newLatch(env.Stdout), newLatch(env.Stderr)
	env.Stdout, env.Stderr, env.stdout = stdout, stderr, stdout
	defer func() {
		if r := recover(); r != nil {
			err := &internalError{value: r, stack: debug.Stack()}
			fmt.Fprintf(stderr, "fnprobe: %s", err)
			code = worst(code, executor.ExitInternal)
			if interrupted(ctx) {
				code = worst(code, executor.ExitInterrupted)
			}
		}
		if len(args) > 0 && args[0] == "emulate" {
			return // a server: its logs are not its verdict
		}
		if err := stdout.Err(); err != nil {
			fmt.Fprintf(stderr, "fnprobe: writing to standard output: %s\n", err)
			code = worst(code, executor.ExitUnanswered)
		}
		if stderr.Err() != nil {
			code = worst(code, executor.ExitUnanswered)
		}
	}()
	return command(ctx, args, env)
}

func command(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usage)
		return executor.ExitConfig
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "validate", "plan", "run", "graph":
		return suiteCommand(ctx, cmd, rest, env)
	case "fmt":
		return fmtCommand(ctx, rest, env)
	case "version", "-version", "--version", "-v":
		fmt.Fprintf(env.Stdout, "fnprobe v%s\nproviders: %s\n", Version, strings.Join(env.Registry.Types(), ", "))
		return executor.ExitOK
	case "emulate":
		return emulateCommand(ctx, rest, env)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(env.Stdout, usage)
		return executor.ExitOK
	}
	msg := fmt.Sprintf("fnprobe: unknown command %q", cmd)
	if s := spec.Suggest(cmd, []string{"validate", "plan", "run", "graph", "fmt", "emulate", "version"}); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	fmt.Fprintf(env.Stderr, "%s\n\n%s", msg, usage)
	return executor.ExitConfig
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

type suiteFlags struct {
	vars, varFiles, targets, tags listFlag
	parallelism                   int
	failFast, jsonOut, noColor    bool
	allowEmpty                    bool
	timeout                       time.Duration
	junit                         string
}

func (f *suiteFlags) register(fs *flag.FlagSet, cmd string) {
	fs.Var(&f.vars, "var", "set a variable: -var NAME=VALUE (repeatable)")
	fs.Var(&f.varFiles, "var-file", "load variable values from a *.probevars.hcl file (repeatable)")
	fs.Var(&f.targets, "target", "select an invocation and what it needs: NAME or invocation.NAME[\"KEY\"] (repeatable)")
	fs.Var(&f.tags, "tag", "select invocations carrying this tag, and what they need (repeatable)")
	fs.BoolVar(&f.noColor, "no-color", false, "disable colour in human output")
	if cmd != "graph" {
		fs.BoolVar(&f.jsonOut, "json", false, "print newline-delimited JSON events instead of human output")
	}
	if cmd == "run" {
		fs.IntVar(&f.parallelism, "parallelism", 0, "invocations in flight at once (default: settings, else 10)")
		fs.BoolVar(&f.failFast, "fail-fast", false, "after the first failure, start nothing new")
		fs.DurationVar(&f.timeout, "timeout", 0, "bound the whole run, e.g. 5m (default: none)")
		fs.StringVar(&f.junit, "junit", "", "write a JUnit XML report to `FILE`")
		fs.BoolVar(&f.allowEmpty, "allow-empty", false, "exit 0 when nothing is selected (default: exit 2)")
	}
}

func newFlagSet(name string, env Env) *flag.FlagSet {
	fs := flag.NewFlagSet("fnprobe "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return fs
}

// parseArgs parses flags that may appear before or after PATH, as users of
// Terraform and Go tools type them.
func parseArgs(fs *flag.FlagSet, args []string) (string, error) {
	var paths []string
	for {
		if err := fs.Parse(args); err != nil {
			return "", err
		}
		if fs.NArg() == 0 {
			break
		}
		paths = append(paths, fs.Arg(0))
		args = fs.Args()[1:]
	}
	switch len(paths) {
	case 0:
		return ".", nil
	case 1:
		return paths[0], nil
	}
	return "", fmt.Errorf("expected at most one PATH, got %d: %s", len(paths), strings.Join(paths, " "))
}

func suiteCommand(ctx context.Context, cmd string, args []string, env Env) int {
	var f suiteFlags
	fs := newFlagSet(cmd, env)
	f.register(fs, cmd)
	path, err := parseArgs(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return executor.ExitOK
		}
		if !strings.Contains(err.Error(), "flag provided but not defined") && !strings.Contains(err.Error(), "invalid value") {
			fmt.Fprintf(env.Stderr, "fnprobe %s: %s\n", cmd, err)
		}
		return executor.ExitConfig
	}
	if f.parallelism < 0 {
		fmt.Fprintf(env.Stderr, "fnprobe %s: -parallelism must be at least 1\n", cmd)
		return executor.ExitConfig
	}
	if f.timeout < 0 {
		fmt.Fprintf(env.Stderr, "fnprobe %s: -timeout must be positive\n", cmd)
		return executor.ExitConfig
	}

	redactor := secretEnvRedactor(env)
	parser := spec.NewParser()
	ropts := report.Options{
		Files:    parser.Files(), // the parser's own map: files parsed later appear in it
		Redactor: redactor,
		Color:    env.IsTerminal && !f.noColor && env.Getenv("NO_COLOR") == "",
		Version:  Version,
		Width:    env.Width,
	}
	var jsonView *report.JSON
	if f.jsonOut {
		jsonView = report.NewJSON(env.Stdout, ropts)
	}
	showDiags := func(diags hcl.Diagnostics) { showDiagnostics(env, jsonView, ropts, diags) }

	// One pass: once the files are decoded, every stage runs whatever
	// the stages before it found, and the diagnostics are shown together,
	// sorted (spec.SortDiagnostics in showDiagnostics).
	cfg, diags := spec.Load(parser, path, spec.LoadOptions{Registry: env.Registry, Getenv: env.Getenv, Context: ctx})
	if !cfg.Decoded() {
		showDiags(diags)
		return configExit(ctx)
	}
	vals, moreDiags := cfg.VariableValues(parser, spec.VarOptions{
		Vars: f.vars, VarFiles: f.varFiles, AllowUnset: cmd == "validate", Redactor: redactor, Context: ctx,
	})
	diags = append(diags, moreDiags...)
	for name, v := range vals {
		if cfg.Variables[name].Sensitive {
			redactor.AddValue(v)
		}
	}
	if interrupted(ctx) {
		showDiags(diags)
		return configExit(ctx)
	}
	plan, moreDiags := planner.Build(cfg, planner.Options{
		Registry: env.Registry, Vars: vals, Targets: f.targets, Tags: f.tags,
		Validate: cmd == "validate", Redactor: redactor,
	})
	diags = append(diags, moreDiags...)
	if plan != nil {
		for _, s := range plan.Secrets {
			redactor.AddValue(s)
		}
	}
	showDiags(diags)
	if diags.HasErrors() {
		return configExit(ctx)
	}
	switch cmd {
	case "validate":
		if jsonView == nil {
			fmt.Fprintf(env.Stdout, "Success! The suite is valid: %d invocation%s.\n", len(plan.Instances), plural(len(plan.Instances)))
		}
		return executor.ExitOK
	case "plan":
		if jsonView != nil {
			writePlanJSON(env.Stdout, plan, redactor, time.Now())
		} else {
			writePlan(env.Stdout, plan, ropts.Color, redactor)
		}
		return executor.ExitOK
	case "graph":
		writeGraph(env.Stdout, plan, redactor)
		return executor.ExitOK
	}

	if len(plan.Selected) == 0 && !f.allowEmpty {
		showDiags(hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Nothing selected",
			Detail:   "No invocation matches the suite, -target and -tag given, so nothing would be checked. A gate that checked nothing must not pass; use -allow-empty if an empty run is expected.",
		}})
		return executor.ExitConfig
	}

	return runCommand(ctx, plan, f, env, ropts, jsonView)
}

// runCommand invokes the plan and writes every report. The report files
// are opened before anything is invoked; a write error on standard output
// cancels the run; every report is still written whatever happened to the
// others, and the exit code says the worst of it (see worst).
func runCommand(ctx context.Context, plan *planner.Plan, f suiteFlags, env Env, ropts report.Options, jsonView *report.JSON) int {
	var junitFile *os.File
	if f.junit != "" {
		var err error
		if junitFile, err = openReport(f.junit); err != nil {
			showDiagnostics(env, jsonView, ropts, hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Cannot write the JUnit report",
				Detail:   fmt.Sprintf("The -junit file cannot be written, so nothing was invoked: %s.", err),
			}})
			return executor.ExitConfig
		}
		defer junitFile.Close() // after writeReport: a no-op
	}

	var view executor.Observer
	if jsonView != nil {
		view = jsonView
	} else {
		view = report.NewHuman(env.Stdout, ropts)
	}
	// Each report is guarded: a panic in one is an internal error and
	// ends that report, not the run nor the other reports.
	gview := &guarded{next: view}
	observers := []executor.Observer{gview}
	var junit *report.JUnit
	var gjunit *guarded
	if junitFile != nil {
		junit = report.NewJUnit(ropts)
		gjunit = &guarded{next: junit}
		observers = append(observers, gjunit)
	}
	held := &heldSummary{next: report.Multi(observers...)}

	if f.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, f.timeout, executor.ErrRunTimeout)
		defer cancel()
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if env.stdout != nil {
		env.stdout.onError(func(err error) { cancel(fmt.Errorf("%w: %w", errOutput, err)) })
	}

	var summary *executor.Summary
	var runErr error
	if perr := safely(func() {
		summary, runErr = executor.Run(ctx, plan, executor.Options{
			Parallelism: f.parallelism,
			FailFast:    f.failFast,
			AllowEmpty:  f.allowEmpty,
			Observer:    held,
		})
	}); perr != nil {
		runErr = perr
	}
	code := executor.ExitOK
	if summary != nil {
		code = summary.ExitCode
	}
	if runErr != nil {
		fmt.Fprintf(env.Stderr, "fnprobe: %s\n", report.EscapeLine(ropts.Redactor.String(runErr.Error())))
		code = worst(code, executor.ExitInternal)
	}
	if errors.Is(context.Cause(ctx), errOutput) || env.stdout != nil && env.stdout.Err() != nil {
		code = worst(code, executor.ExitUnanswered) // Main says why
	}
	if interrupted(ctx) {
		code = worst(code, executor.ExitInterrupted)
	}

	// JUnit first, so that the summary on standard output can tell
	// whether it was written. A JUnit report that panicked is not
	// written: the file stays empty, which no CI takes for a pass.
	if junit != nil {
		held.release(code, gjunit)
		err := gjunit.panicked()
		if err == nil {
			if perr := safely(func() { err = writeReport(junitFile, junit) }); perr != nil {
				err = perr
			}
		}
		if err != nil {
			fmt.Fprintf(env.Stderr, "fnprobe: writing the JUnit report %s: %s\n", f.junit, report.EscapeLine(ropts.Redactor.String(err.Error())))
			code = worst(code, executor.ExitUnanswered)
			var ie *internalError
			if errors.As(err, &ie) {
				code = worst(code, executor.ExitInternal)
			}
		}
	}
	held.release(code, gview)
	if err := gview.panicked(); err != nil {
		fmt.Fprintf(env.Stderr, "fnprobe: %s", ropts.Redactor.String(err.Error()))
		code = worst(code, executor.ExitInternal)
	}
	switch {
	case env.stdout != nil && env.stdout.Err() != nil:
		code = worst(code, executor.ExitUnanswered) // Main says why
	case viewErr(view) != nil:
		// The view failed without a write error: it could not encode
		// what it was given, a bug.
		fmt.Fprintf(env.Stderr, "fnprobe: internal error (this is a bug in fnprobe; please report it): %s\n", report.EscapeLine(ropts.Redactor.String(viewErr(view).Error())))
		code = worst(code, executor.ExitInternal)
	}
	if err := closeDrivers(env.Registry); err != nil {
		fmt.Fprintf(env.Stderr, "fnprobe: %s\n", report.EscapeLine(ropts.Redactor.String(err.Error())))
	}
	return code
}

// secretEnvRedactor returns a Redactor that knows the secrets drivers may
// read from the environment: they are redacted whether or not the suite
// names them.
func secretEnvRedactor(env Env) *spec.Redactor {
	r := &spec.Redactor{}
	for _, typ := range env.Registry.Types() {
		for _, name := range env.Registry[typ].Schema().SecretEnv {
			r.Add(env.Getenv(name))
		}
	}
	return r
}

// viewErr returns the error a view recorded, if any.
func viewErr(view executor.Observer) error {
	if v, ok := view.(interface{ Err() error }); ok {
		return v.Err()
	}
	return nil
}

// showDiagnostics reports diagnostics as JSON events with -json, else on
// standard error.
func showDiagnostics(env Env, jsonView *report.JSON, ropts report.Options, diags hcl.Diagnostics) {
	if len(diags) == 0 {
		return
	}
	diags = spec.CapDiagnostics(spec.SortDiagnostics(diags))
	if jsonView != nil {
		jsonView.Diagnostics(diags)
		return
	}
	report.WriteDiagnostics(env.Stderr, diags, ropts)
}

// closeDrivers releases every driver's resources, collecting all failures.
func closeDrivers(reg providers.Registry) error {
	var result *multierror.Error
	for _, typ := range reg.Types() {
		if c, ok := reg[typ].(providers.Closer); ok {
			if err := c.Close(); err != nil {
				result = multierror.Append(result, fmt.Errorf("closing provider %s: %w", typ, err))
			}
		}
	}
	return result.ErrorOrNil()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
