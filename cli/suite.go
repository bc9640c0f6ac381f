package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/fnprobe/fnprobe/executor"
	"github.com/fnprobe/fnprobe/planner"
	"github.com/fnprobe/fnprobe/report"
	"github.com/fnprobe/fnprobe/repro"
	"github.com/fnprobe/fnprobe/spec"
)

// progressThreshold is the number of selected invocations above which the
// human view of `run` prints no line per event: a live progress line on a
// terminal, a progress line every report.ProgressInterval off one.
const progressThreshold = 20

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// colorFlags are the flags that decide colour.
type colorFlags struct {
	color, noColor bool
}

// useColor decides whether a stream gets ANSI colour, in this order:
// NO_COLOR (set and non-empty) wins over everything; then -no-color; then
// -color or FORCE_COLOR (non-empty and not "0") force it; otherwise colour
// only if the stream is a terminal and TERM is not "dumb".
func useColor(terminal bool, f colorFlags, getenv func(string) string) bool {
	switch {
	case getenv("NO_COLOR") != "":
		return false
	case f.noColor:
		return false
	case f.color:
		return true
	}
	if fc := getenv("FORCE_COLOR"); fc != "" && fc != "0" {
		return true
	}
	return terminal && getenv("TERM") != "dumb"
}

type suiteFlags struct {
	vars, varFiles, targets, tags listFlag
	colorFlags
	parallelism         int
	failFast, jsonOut   bool
	allowEmpty, quiet   bool
	verbose             bool
	sampleCalls         bool
	timeout             time.Duration
	junit, jsonFileName string
	emulate             emulateFlags
	shard               shardFlag // -shard I/N (cli/shard.go)
	ci                  ciFlag    // -ci (run)
	markdown            string    // -report-markdown (run)
	reproDir            string    // -repro-dir (run)
}

func (f *suiteFlags) register(fs *flag.FlagSet, cmd string) {
	fs.Var(&f.vars, "var", "set a variable: -var `NAME=VALUE` (repeatable)")
	fs.Var(&f.varFiles, "var-file", "load variable values from a *.probevars.hcl `FILE` (repeatable)")
	fs.Var(&f.targets, "target", "select an invocation and what it needs: NAME, invocation.NAME or invocation.NAME[\"KEY\"] (`ADDR`, repeatable)")
	fs.Var(&f.tags, "tag", "select the invocations carrying this `TAG`, and what they need (repeatable)")
	fs.BoolVar(&f.noColor, "no-color", false, "no ANSI colour (NO_COLOR=1 does the same)")
	fs.BoolVar(&f.color, "color", false, "colour even when the output is not a terminal, e.g. in CI logs (FORCE_COLOR=1 does the same; NO_COLOR wins)")
	switch cmd {
	case "validate":
		fs.BoolVar(&f.jsonOut, "json", false, "print one JSON object: format_version, valid, error_count, warning_count, diagnostics")
	case "plan":
		fs.BoolVar(&f.jsonOut, "json", false, "print the plan as JSON events instead of human output")
	case "run":
		fs.BoolVar(&f.jsonOut, "json", false, "print newline-delimited JSON events instead of human output")
		fs.StringVar(&f.jsonFileName, "json-out", "", "also write the JSON event stream to `FILE`, while the human view goes to standard output")
		fs.StringVar(&f.junit, "junit", "", "also write a JUnit XML report to `FILE`")
		fs.BoolVar(&f.quiet, "quiet", false, "print only failures and the summary: no line per invocation, no outputs")
		fs.BoolVar(&f.verbose, "verbose", false, "trace the request and response of every attempt on standard error (credentials masked); JSON events carry it too")
		fs.BoolVar(&f.sampleCalls, "sample-calls", false, "report the attempts and checks of every call of a sample (-json events carry the call's number), not only its summary")
		fs.IntVar(&f.parallelism, "parallelism", 0, "at most `N` invocations in flight at once, N ≥ 1 (default: settings.parallelism, else 10)")
		fs.BoolVar(&f.failFast, "fail-fast", false, "after the first failure, start nothing new")
		fs.DurationVar(&f.timeout, "timeout", 0, "bound the whole run, e.g. 5m (default: none)")
		fs.BoolVar(&f.allowEmpty, "allow-empty", false, "exit 0 when nothing is selected (default: exit 2)")
		fs.Var(&f.ci, "ci", "follow a CI's conventions, `MODE` auto (GitHub Actions when GITHUB_ACTIONS=true), github or none: annotate failed checks, append the Markdown summary to the step summary")
		fs.StringVar(&f.markdown, "report-markdown", "", "also write a Markdown summary to `FILE` (on GitHub Actions, it is also appended to GITHUB_STEP_SUMMARY)")
		fs.StringVar(&f.reproDir, "repro-dir", "", "write the payload of each failed invocation to `DIR`, for the repro commands its diagnostic ends with (created 0700)")
	}
	if cmd != "graph" {
		fs.Var(&f.shard, "shard", "run (plan) only shard `I/N` of the selected invocations, 1 ≤ I ≤ N: whole dependency chains, balanced by count (CI matrices; see fnprobe report merge)")
	}
	f.emulate.register(fs, cmd)
}

// parseArgs parses flags that may appear before or after the PATHs, as
// users of Terraform and Go tools type them. With no PATH it returns ".".
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var paths []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		paths = append(paths, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(paths) == 0 {
		return []string{"."}, nil
	}
	return paths, nil
}

// suiteRun is what the suites of one command share: the flags, the
// streams' colours, the views on standard output and the report files.
type suiteRun struct {
	cmd         string
	f           suiteFlags
	env         Env
	several     bool // more than one PATH: suites are named
	stdoutColor bool
	stderrColor bool

	jsonView *report.JSON // -json on standard output (plan, run)
	gjson    *guarded     // jsonView, guarded (run)

	junitFile *os.File
	junits    []*report.JUnit

	jsonFile  *os.File
	jsonFileV *report.JSON
	gjsonFile *guarded

	validateDiags []report.Diagnostic // validate -json: those shown
	validateCount [2]int              // validate -json: errors and warnings, shown or not
	suites        int                 // suites begun so far
	redactor      *spec.Redactor      // the latest suite's, for the reports' errors
	emu           *emulation          // -emulate
	ci            ciReports           // -ci, -report-markdown (cli/ci.go)
}

func suiteCommand(ctx context.Context, cmd string, args []string, env Env) int {
	var f suiteFlags
	fs := newFlagSet(cmd, env)
	f.register(fs, cmd)
	paths, err := parseArgs(fs, args)
	if err != nil {
		return flagError(err, cmd, fs, env)
	}
	if isSet(fs, "parallelism") && f.parallelism < 1 {
		fmt.Fprintf(env.Stderr, "fnprobe %s: -parallelism must be at least 1, got %d\n", cmd, f.parallelism)
		return executor.ExitConfig
	}
	if f.timeout < 0 {
		fmt.Fprintf(env.Stderr, "fnprobe %s: -timeout must be positive, got %s\n", cmd, f.timeout)
		return executor.ExitConfig
	}
	if cmd == "graph" && len(paths) > 1 {
		fmt.Fprintf(env.Stderr, "fnprobe graph: expected at most one PATH, got %d: %s\n", len(paths), strings.Join(paths, " "))
		return executor.ExitConfig
	}
	r := &suiteRun{
		cmd: cmd, f: f, env: env, several: len(paths) > 1,
		stdoutColor: useColor(env.IsTerminal, f.colorFlags, env.Getenv),
		stderrColor: useColor(env.StderrIsTerminal, f.colorFlags, env.Getenv),
	}
	base := report.Options{Version: Version, Width: env.Width, Color: r.stdoutColor}
	if f.jsonOut && cmd != "validate" {
		r.jsonView = report.NewJSON(env.Stdout, base)
		r.gjson = &guarded{next: r.jsonView}
	}
	if cmd == "run" {
		if code := r.openReports(base); code != executor.ExitOK {
			return code
		}
	}

	var code int // executor.ExitOK unless -emulate's configuration is invalid
	r.emu, code = loadEmulation(ctx, f.emulate, r.emulationDiags(base))
	defer r.emu.Close()
	for i, path := range paths {
		if code != executor.ExitOK && i == 0 {
			break // -emulate's configuration is invalid
		}
		code = executor.WorstExit(code, r.suite(ctx, path, i == len(paths)-1))
		if interrupted(ctx) || env.stdout != nil && env.stdout.Err() != nil {
			break // nobody would see the rest, or nobody wants it
		}
	}
	if cmd == "validate" && f.jsonOut {
		if err := report.WriteValidateJSON(env.Stdout, r.validateDiags, r.validateCount[0], r.validateCount[1]); err != nil {
			code = executor.WorstExit(code, executor.ExitUnanswered)
		}
	}
	if cmd == "run" {
		code = executor.WorstExit(code, r.closeReports())
	}
	return code
}

// openReports opens the -junit and -json-out files before anything is
// loaded or invoked, so that a path that cannot be written is a
// command-line error (exit 2) and not a surprise after the run.
func (r *suiteRun) openReports(base report.Options) int {
	for _, rep := range []struct {
		path, flag, what string
		file             **os.File
	}{
		{r.f.junit, "junit", "JUnit", &r.junitFile},
		{r.f.jsonFileName, "json-out", "JSON", &r.jsonFile},
		{r.f.markdown, "report-markdown", "Markdown", &r.ci.markdownFile},
	} {
		if rep.path == "" {
			continue
		}
		f, err := openReport(rep.path)
		if err != nil {
			r.showDiags(base, hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  fmt.Sprintf("Cannot write the %s report", rep.what),
				Detail:   fmt.Sprintf("The -%s file cannot be written, so nothing was invoked: %s.", rep.flag, err),
			}})
			r.closeReports()
			return executor.ExitConfig
		}
		*rep.file = f
	}
	if r.f.reproDir != "" {
		if err := repro.PrepareDir(r.f.reproDir); err != nil {
			r.showDiags(base, hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Cannot write the repro directory",
				Detail:   fmt.Sprintf("The -repro-dir directory cannot be written, so nothing was invoked: %s.", err),
			}})
			r.closeReports()
			return executor.ExitConfig
		}
	}
	r.openCI()
	if r.jsonFile != nil {
		r.jsonFileV = report.NewJSON(r.jsonFile, base)
		r.gjsonFile = &guarded{next: r.jsonFileV}
	}
	return executor.ExitOK
}

// closeReports writes the JUnit file and the Markdown summary and closes
// the JSON file (those not done yet), returning exit 3 (or 4 for a
// report's panic) if one failed.
func (r *suiteRun) closeReports() int {
	return executor.WorstExit(r.writeJUnit(), r.writeMarkdown(), r.closeJSON())
}

// reportFailed says that the report what could not be written and returns
// the exit code for it.
func (r *suiteRun) reportFailed(what, path string, err error) int {
	fmt.Fprintf(r.env.Stderr, "fnprobe: writing the %s report %s: %s\n", what, path, report.EscapeLine(r.redactor.String(err.Error())))
	var ie *internalError
	if errors.As(err, &ie) {
		return executor.ExitInternal
	}
	return executor.ExitUnanswered
}

// closeJSON closes the -json-out file. The last suite's run calls it
// after sending the file its summary and before printing its own, so that
// the summary on standard output can tell.
func (r *suiteRun) closeJSON() int {
	if r.jsonFile == nil {
		return executor.ExitOK
	}
	var err error
	if r.gjsonFile != nil {
		if err = r.gjsonFile.panicked(); err == nil {
			err = r.jsonFileV.Err()
		}
	}
	if cerr := closeReport(r.jsonFile); err == nil {
		err = cerr
	}
	r.jsonFile = nil
	if err != nil && r.gjsonFile != nil {
		return r.reportFailed("JSON", r.f.jsonFileName, err)
	}
	return executor.ExitOK
}

// writeJUnit writes the JUnit file, one testsuite per suite. The last
// suite's run calls it before sending the other reports their summary.
func (r *suiteRun) writeJUnit() int {
	if r.junitFile == nil {
		return executor.ExitOK
	}
	f := r.junitFile
	r.junitFile = nil
	if r.junits == nil { // nothing ran: the file was opened to check it
		f.Close()
		return executor.ExitOK
	}
	if err := writeReport(f, report.JUnitFile(r.junits)); err != nil {
		return r.reportFailed("JUnit", r.f.junit, err)
	}
	return executor.ExitOK
}

// showDiags reports diagnostics of the command (not of a run): as JSON
// events with -json, on standard error otherwise, and into the -json-out
// and JUnit reports.
func (r *suiteRun) showDiags(opts report.Options, diags hcl.Diagnostics) {
	if len(diags) == 0 {
		return
	}
	if r.cmd == "validate" && r.f.jsonOut {
		for _, d := range diags {
			if d.Severity == hcl.DiagError {
				r.validateCount[0]++
			} else {
				r.validateCount[1]++
			}
		}
	}
	diags = spec.CapDiagnostics(spec.SortDiagnostics(diags))
	if r.cmd == "validate" && r.f.jsonOut {
		for _, d := range diags {
			r.validateDiags = append(r.validateDiags, report.NewDiagnostic(d, opts.Files, opts.Redactor))
		}
		return
	}
	if r.jsonFileV != nil {
		r.gjsonFile.Event(executor.Event{Type: executor.EventDiagnostic, Diags: diags})
	}
	if r.jsonView != nil {
		r.jsonView.Diagnostics(diags)
		return
	}
	opts.Color = r.stderrColor
	report.WriteDiagnostics(r.env.Stderr, diags, opts)
}

// suite validates, plans or runs the suite at path and returns its exit
// code; last says it is the command's last suite.
func (r *suiteRun) suite(ctx context.Context, path string, last bool) int {
	env, cmd, f := r.env, r.cmd, r.f
	// Secrets drivers may read from the environment are redacted too,
	// whether or not the suite names them.
	redactor := secretEnvRedactor(env)
	r.redactor = redactor
	parser := spec.NewParser()
	ropts := report.Options{
		Files:    parser.Files(), // the parser's own map: files parsed later appear in it
		Redactor: redactor,
		Color:    r.stdoutColor,
		Version:  Version,
		Width:    env.Width,
		Quiet:    f.quiet,
		Path:     path,
	}
	if r.several {
		ropts.Suite = path
		// validate's success line names the suite; the others get a
		// header, after a blank line from the previous suite's output.
		if !f.jsonOut && cmd != "validate" {
			if r.suites > 0 {
				fmt.Fprintln(env.Stdout)
			}
			fmt.Fprintf(env.Stdout, "%s\n\n", paint(r.stdoutColor, "Suite "+redactor.String(path)+":"))
		}
	}
	r.suites++
	for _, v := range []*report.JSON{r.jsonView, r.jsonFileV} {
		if v != nil {
			v.Begin(ropts)
		}
	}
	var junit *report.JUnit
	if r.junitFile != nil {
		junit = report.NewJUnit(ropts)
		r.junits = append(r.junits, junit)
	}
	md := r.newMarkdown(ropts)
	showDiags := func(diags hcl.Diagnostics) {
		r.showDiags(ropts, diags)
		r.annotateDiags(ropts, diags)
		if junit != nil && diags.HasErrors() {
			junit.Event(executor.Event{Type: executor.EventDiagnostic, Diags: diags})
		}
		if md != nil && diags.HasErrors() {
			md.Event(executor.Event{Type: executor.EventDiagnostic, Diags: diags})
		}
	}

	// One pass (loadPlan); the diagnostics are shown together, sorted
	// (spec.SortDiagnostics in showDiags).
	loaded, diags := loadPlan(ctx, env, path, f, r.emu, cmd, parser, redactor)
	showDiags(diags)
	plan := loaded.plan
	if diags.HasErrors() || plan == nil {
		return configExit(ctx)
	}
	// -shard keeps the shard's part of the selection; the JSON run_start
	// says which (cli/shard.go).
	sh := applyShard(plan, f.shard.spec)
	ropts.Run = sh.info
	for _, v := range []*report.JSON{r.jsonView, r.jsonFileV} {
		if v != nil {
			v.Begin(ropts)
		}
	}
	switch cmd {
	case "validate":
		if !f.jsonOut {
			the := "The suite"
			if r.several {
				the = "The suite " + redactor.String(path)
			}
			fmt.Fprintf(env.Stdout, "Success! %s is valid: %d invocation%s.\n", the, len(plan.Instances), plural(len(plan.Instances)))
		}
		return executor.ExitOK
	case "plan":
		if r.jsonView != nil {
			writePlanJSON(env.Stdout, plan, redactor, time.Now(), ropts.Suite, sh)
		} else {
			writePlan(env.Stdout, plan, ropts.Color, redactor, sh)
		}
		return executor.ExitOK
	case "graph":
		writeGraph(env.Stdout, plan, redactor)
		return executor.ExitOK
	}

	if f.jsonOut {
		if sh.empty() {
			sh.writeLine(env.Stderr) // stdout is the JSON stream
		}
	} else if !f.quiet || sh.empty() {
		sh.writeLine(env.Stdout)
	}
	// A shard with no invocations is an empty run that passes.
	allowEmpty := f.allowEmpty || sh.empty()
	if len(plan.Selected) == 0 && !allowEmpty {
		showDiags(hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Nothing selected",
			Detail:   "No invocation matches the suite, -target and -tag given, so nothing would be checked. A gate that checked nothing must not pass; use -allow-empty if an empty run is expected.",
		}})
		return executor.ExitConfig
	}
	return r.run(ctx, plan, ropts, junit, md, last, allowEmpty, r.reproFunc(loaded, path, redactor))
}

// paint makes s bold when colour is on.
func paint(color bool, s string) string {
	if color {
		return "\x1b[1m" + s + "\x1b[0m"
	}
	return s
}

// run invokes the plan of one suite and sends its events to every report.
// A write error on standard output cancels the run; every report still
// gets the summary, whatever happened to the others, and the exit code
// says the worst of it (see executor.WorstExit). allowEmpty lets a run
// that selects nothing pass; repro gives the repro lines of a failure
// (cli/repro.go).
func (r *suiteRun) run(ctx context.Context, plan *planner.Plan, ropts report.Options, junit *report.JUnit, md *report.Markdown, last, allowEmpty bool, repro executor.ReproFunc) int {
	env, f := r.env, r.f

	// Each report is guarded: a panic in one is an internal error and
	// ends that report, not the run nor the other reports. The order is
	// the order the held summary is released in: JUnit and the JSON file
	// first, so that standard output comes last; the progress line before
	// the human view, so that it is cleared before the summary.
	var observers, files []executor.Observer
	var gjunit *guarded
	if junit != nil {
		gjunit = &guarded{next: junit}
		files = append(files, gjunit)
	}
	if r.gjsonFile != nil {
		files = append(files, r.gjsonFile)
	}
	var gmd, ggh *guarded
	if md != nil {
		gmd = &guarded{next: md}
		files = append(files, gmd)
	}
	gh := r.newGitHub(ropts)
	if gh != nil {
		ggh = &guarded{next: gh}
		files = append(files, ggh)
	}
	var view executor.Observer
	var gview *guarded
	var progress *guarded
	var stopTicker func()
	if r.jsonView != nil {
		view, gview = r.jsonView, r.gjson
		observers = append(observers, gview)
	} else {
		large := len(plan.Selected) > progressThreshold && !f.quiet
		if large {
			live := env.IsTerminal && env.Getenv("TERM") != "dumb"
			p := report.NewProgress(env.Stdout, live, nil)
			progress = &guarded{next: p}
			observers = append(observers, progress)
			if !live {
				stopTicker = r.tick(p, progress)
			}
			ropts.Compact = true
		}
		ropts.Live = env.IsTerminal && env.Getenv("TERM") != "dumb"
		view = report.NewHuman(env.Stdout, ropts)
		gview = &guarded{next: view}
		observers = append(observers, gview)
	}
	if f.verbose {
		// The trace goes to stderr, as Terraform's TF_LOG and Hurl's
		// --verbose do: stdout stays the report.
		topts := ropts
		topts.Color = false
		observers = append(observers, &guarded{next: report.NewTrace(env.Stderr, topts)})
	}
	held := &heldSummary{next: report.Multi(append(append([]executor.Observer(nil), files...), observers...)...)}

	if f.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, f.timeout, executor.ErrRunTimeout)
		defer cancel()
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if env.stdout != nil {
		env.stdout.onError(func(err error) { cancel(fmt.Errorf("%w: %w", errOutput, err)) })
		defer env.stdout.onError(func(error) {})
	}

	var summary *executor.Summary
	var runErr error
	if perr := safely(func() {
		summary, runErr = executor.Run(ctx, plan, executor.Options{
			Parallelism: f.parallelism,
			FailFast:    f.failFast,
			AllowEmpty:  allowEmpty,
			Observer:    held,
			Trace:       f.verbose,
			SampleCalls: f.sampleCalls,
			// The JSON reports carry result.value; the others never read it.
			LeanResults: r.jsonView == nil && r.jsonFileV == nil,
			Repro:       repro,
		})
	}); perr != nil {
		runErr = perr
	}
	if stopTicker != nil {
		stopTicker()
	}
	code := executor.ExitOK
	if summary != nil {
		code = summary.ExitCode
	}
	if runErr != nil {
		fmt.Fprintf(env.Stderr, "fnprobe: %s\n", report.EscapeLine(ropts.Redactor.String(runErr.Error())))
		code = executor.WorstExit(code, executor.ExitInternal)
	}
	if errors.Is(context.Cause(ctx), errOutput) || env.stdout != nil && env.stdout.Err() != nil {
		code = executor.WorstExit(code, executor.ExitUnanswered) // Main says why
	}
	if interrupted(ctx) {
		code = executor.WorstExit(code, executor.ExitInterrupted)
	}

	// The report files first, so that the summary on standard output can
	// tell whether they were written. A report that panicked is not
	// written (JUnit) or ends early (JSON): an empty or truncated file,
	// which no CI takes for a pass.
	if gjunit != nil {
		held.release(code, gjunit)
		if err := gjunit.panicked(); err != nil {
			fmt.Fprintf(env.Stderr, "fnprobe: writing the JUnit report %s: %s", f.junit, ropts.Redactor.String(err.Error()))
			code = executor.WorstExit(code, executor.ExitInternal)
			r.junitFile.Truncate(0)
			r.junitFile.Close()
			r.junitFile = nil
		}
	}
	if last {
		code = executor.WorstExit(code, r.writeJUnit())
	}
	if gmd != nil {
		held.release(code, gmd)
		if err := gmd.panicked(); err != nil {
			fmt.Fprintf(env.Stderr, "fnprobe: writing the Markdown summary: %s", ropts.Redactor.String(err.Error()))
			code = executor.WorstExit(code, executor.ExitInternal)
		}
	}
	if last {
		code = executor.WorstExit(code, r.writeMarkdown())
	}
	if r.gjsonFile != nil {
		held.release(code, r.gjsonFile)
	}
	if last {
		code = executor.WorstExit(code, r.closeJSON())
	}
	if !held.release(code, observers...) && progress != nil {
		// No summary (an internal error): clear the live line anyway.
		progress.Event(executor.Event{Type: executor.EventSummary})
	}
	code = executor.WorstExit(code, r.annotate(ggh, gh, ropts.Redactor.String))
	for _, g := range []*guarded{progress, gview} {
		if g == nil {
			continue
		}
		if err := g.panicked(); err != nil {
			fmt.Fprintf(env.Stderr, "fnprobe: %s", ropts.Redactor.String(err.Error()))
			code = executor.WorstExit(code, executor.ExitInternal)
		}
	}
	switch {
	case env.stdout != nil && env.stdout.Err() != nil:
		code = executor.WorstExit(code, executor.ExitUnanswered) // Main says why
	case viewErr(view) != nil:
		// The view failed without a write error: it could not encode
		// what it was given, a bug.
		fmt.Fprintf(env.Stderr, "fnprobe: internal error (this is a bug in fnprobe; please report it): %s\n", report.EscapeLine(ropts.Redactor.String(viewErr(view).Error())))
		code = executor.WorstExit(code, executor.ExitInternal)
	}
	if err := closeDrivers(env.Registry); err != nil {
		fmt.Fprintf(env.Stderr, "fnprobe: %s\n", report.EscapeLine(ropts.Redactor.String(err.Error())))
	}
	return code
}

// tick prints progress's line every report.ProgressInterval until the
// returned function is called. A panic in it is recorded in guard, as for
// the progress's events.
func (r *suiteRun) tick(progress *report.Progress, guard *guarded) (stop func()) {
	newTicker := r.env.NewTicker
	if newTicker == nil {
		newTicker = func(d time.Duration) (<-chan time.Time, func()) {
			t := time.NewTicker(d)
			return t.C, t.Stop
		}
	}
	c, stopTicker := newTicker(report.ProgressInterval)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-c:
				// The tick only triggers: elapsed time is the wall clock's,
				// as the run's start was.
				if guard.panicked() == nil {
					if err := safely(func() { progress.Tick(time.Now()) }); err != nil {
						guard.record(err)
					}
				}
			case <-done:
				return
			}
		}
	}()
	return func() {
		stopTicker()
		close(done)
		<-finished
	}
}
