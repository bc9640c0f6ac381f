package cli

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/hashicorp/hcl/v2"

	"github.com/fnprobe/fnprobe/executor"
	"github.com/fnprobe/fnprobe/planner"
	"github.com/fnprobe/fnprobe/report"
	"github.com/fnprobe/fnprobe/spec"
	"github.com/fnprobe/fnprobe/watch"
)

// Defaults of `fnprobe watch`.
const (
	defaultEvery           = time.Minute
	defaultWatchListen     = "127.0.0.1:9465"
	defaultShutdownTimeout = 10 * time.Second
)

// watchFlags are the flags of `fnprobe watch`: the selection and variables
// of run, and the prober's own.
type watchFlags struct {
	vars, varFiles, targets, tags listFlag
	colorFlags
	parallelism     int
	timeout         time.Duration
	every           time.Duration
	shutdownTimeout time.Duration
	listen          string
	logFormat       string
	name            string
	jsonOut         bool
	emulate         emulateFlags
}

func (f *watchFlags) register(fs *flag.FlagSet) {
	fs.Var(&f.vars, "var", "set a variable: -var `NAME=VALUE` (repeatable)")
	fs.Var(&f.varFiles, "var-file", "load variable values from a *.probevars.hcl `FILE` (repeatable)")
	fs.Var(&f.targets, "target", "select an invocation and what it needs: NAME, invocation.NAME or invocation.NAME[\"KEY\"] (`ADDR`, repeatable)")
	fs.Var(&f.tags, "tag", "select the invocations carrying this `TAG`, and what they need (repeatable)")
	fs.BoolVar(&f.noColor, "no-color", false, "no ANSI colour in the diagnostics of an invalid suite (NO_COLOR=1 does the same)")
	fs.BoolVar(&f.color, "color", false, "colour the diagnostics of an invalid suite even when standard error is not a terminal")
	fs.IntVar(&f.parallelism, "parallelism", 0, "at most `N` invocations in flight at once, N ≥ 1 (default: settings.parallelism, else 10)")
	fs.DurationVar(&f.timeout, "timeout", 0, "bound each run, e.g. 5m (default: none)")
	fs.DurationVar(&f.every, "every", defaultEvery, "start a run every `DURATION` (default: settings.every, else 1m), each later start delayed by up to 10 % at random; 0: no runs of its own, only /probe runs")
	fs.DurationVar(&f.shutdownTimeout, "shutdown-timeout", defaultShutdownTimeout, "on SIGTERM or Ctrl-C, give the run in flight `DURATION` to finish before cancelling it")
	fs.StringVar(&f.listen, "listen", defaultWatchListen, "serve /metrics, /probe, the status page /, /-/healthy and /-/ready on `ADDR` (host:port)")
	fs.StringVar(&f.logFormat, "log-format", "text", "log lines on standard error as `text` or json")
	fs.BoolVar(&f.jsonOut, "json", false, "print each run's newline-delimited JSON events on standard output")
	f.emulate.register(fs, "watch")
	fs.StringVar(&f.name, "name", "", "the suite label of the metrics and logs (default: the name of PATH's directory, or of PATH)")
}

// watchCommand runs `fnprobe watch`: the suite is loaded and planned once,
// as run does (an invalid suite exits 2), then the watch package runs it
// on schedule until ctx is cancelled (SIGTERM, Ctrl-C), and the command
// exits 0.
func watchCommand(ctx context.Context, args []string, env Env) int {
	var f watchFlags
	fs := newFlagSet("watch", env)
	f.register(fs)
	paths, err := parseArgs(fs, args)
	if err != nil {
		return flagError(err, "watch", fs, env)
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(env.Stderr, "fnprobe watch: "+format+"\n", a...)
		return executor.ExitConfig
	}
	switch {
	case len(paths) > 1:
		return fail("expected one PATH, got %d", len(paths))
	case isSet(fs, "parallelism") && f.parallelism < 1:
		return fail("-parallelism must be at least 1, got %d", f.parallelism)
	case f.timeout < 0:
		return fail("-timeout must be positive, got %s", f.timeout)
	case f.every < 0:
		return fail("-every must not be negative, got %s", f.every)
	case f.shutdownTimeout < 0:
		return fail("-shutdown-timeout must not be negative, got %s", f.shutdownTimeout)
	}
	var handler slog.Handler
	switch f.logFormat {
	case "text":
		handler = slog.NewTextHandler(env.Stderr, nil)
	case "json":
		handler = slog.NewJSONHandler(env.Stderr, nil)
	default:
		return fail("-log-format must be text or json, got %q", f.logFormat)
	}
	log := slog.New(handler)

	path := paths[0]
	ropts := report.Options{Version: Version, Width: env.Width, Color: useColor(env.IsTerminal, f.colorFlags, env.Getenv)}
	var jsonView *report.JSON
	if f.jsonOut {
		jsonView = report.NewJSON(env.Stdout, ropts)
	}
	emu, code := loadEmulation(ctx, f.emulate, func(diags hcl.Diagnostics, files map[string]*hcl.File) {
		opts := ropts
		opts.Files = files
		showWatchDiags(env, jsonView, opts, f.colorFlags, diags)
	})
	if code != executor.ExitOK {
		return code
	}
	defer emu.Close()
	sf := suiteFlags{vars: f.vars, varFiles: f.varFiles, targets: f.targets, tags: f.tags}
	loaded, diags := loadPlan(ctx, env, path, sf, emu, "run", spec.NewParser(), secretEnvRedactor(env))
	plan, parser, redactor := loaded.plan, loaded.parser, loaded.redactor
	ropts.Files, ropts.Redactor = parser.Files(), redactor
	if jsonView != nil {
		jsonView.Begin(ropts)
	}
	if diags.HasErrors() || plan != nil && len(plan.Selected) == 0 {
		if !diags.HasErrors() {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Nothing selected",
				Detail:   "No invocation matches the suite, -target and -tag given, so there is nothing to watch.",
			})
		}
		showWatchDiags(env, jsonView, ropts, f.colorFlags, diags)
		return configExit(ctx)
	}
	showWatchDiags(env, jsonView, ropts, f.colorFlags, diags) // warnings

	// settings { every } when -every is not given.
	if !isSet(fs, "every") && plan.Config.Settings.Every > 0 {
		f.every = plan.Config.Settings.Every
	}

	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fail("cannot listen on -listen %s: %s", f.listen, redactor.String(err.Error()))
	}
	defer func() {
		if err := closeDrivers(env.Registry); err != nil {
			log.Error("closing providers", "error", redactor.String(err.Error()))
		}
	}()

	// -json: each run's events go to standard output, guarded: a panic
	// in the view ends the view, not the prober.
	var view *guarded
	if jsonView != nil {
		view = &guarded{next: jsonView}
	}
	name := suiteName(f.name, path)
	// A reload loads the suite as at start; the last good one keeps
	// running when the new one is invalid.
	reload := func(ctx context.Context) (watch.Suite, hcl.Diagnostics) {
		l, diags := loadPlan(ctx, env, path, sf, emu, "run", spec.NewParser(), secretEnvRedactor(env))
		if !diags.HasErrors() && len(l.plan.Selected) == 0 {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Nothing selected",
				Detail:   "No invocation matches the suite, -target and -tag given, so there is nothing to watch.",
			})
		}
		if diags.HasErrors() {
			return watch.Suite{Files: l.parser.Files(), Redactor: l.redactor}, diags
		}
		return l.suite(name, env, f.parallelism, jsonView, view, ropts), diags
	}
	reloads, stopReloads := reloadRequests(path, f.varFiles, log)
	defer stopReloads()
	watch.Run(ctx, watch.Options{
		Suite:           loaded.suite(name, env, f.parallelism, jsonView, view, ropts),
		Reload:          reload,
		Reloads:         reloads,
		Every:           f.every,
		Timeout:         f.timeout,
		ShutdownTimeout: f.shutdownTimeout,
		Listener:        ln,
		Log:             log,
		Version:         Version,
	})
	if view != nil {
		if err := view.panicked(); err != nil {
			log.Error("the -json view failed", "error", redactor.String(err.Error()))
		}
	}
	return executor.ExitOK
}

// showWatchDiags shows the diagnostics of loading the suite: as JSON
// events with -json, on standard error otherwise.
func showWatchDiags(env Env, jsonView *report.JSON, opts report.Options, cf colorFlags, diags hcl.Diagnostics) {
	if len(diags) == 0 {
		return
	}
	diags = spec.CapDiagnostics(spec.SortDiagnostics(diags))
	if jsonView != nil {
		jsonView.Diagnostics(diags)
		return
	}
	opts.Color = useColor(env.StderrIsTerminal, cf, env.Getenv)
	report.WriteDiagnostics(env.Stderr, diags, opts)
}

// suite is the loaded suite for the watch package: each run sends its
// events to the -json view too (view, guarded, rendering with this
// suite's files and secrets), and /probe plans a selection of it.
func (l *loadedSuite) suite(name string, env Env, parallelism int, jsonView *report.JSON, view *guarded, ropts report.Options) watch.Suite {
	ropts.Files, ropts.Redactor = l.parser.Files(), l.redactor
	plan := l.plan
	return watch.Suite{
		Name:     name,
		Files:    l.parser.Files(),
		Redactor: l.redactor,
		Run: func(ctx context.Context, obs executor.Observer) (*executor.Summary, error) {
			if view != nil {
				jsonView.Begin(ropts)
				obs = report.Multi(obs, view)
			}
			return executor.Run(ctx, plan, executor.Options{Parallelism: parallelism, Observer: obs})
		},
		Probe: l.probe(env, parallelism),
	}
}

// probe plans the suite for the targets and tags of a /probe request and
// runs that plan. Secrets the plan finds are registered with the
// suite's Redactor, as for the suite's own plan.
func (l *loadedSuite) probe(env Env, parallelism int) watch.ProbeFunc {
	return func(ctx context.Context, targets, tags []string, obs executor.Observer) (*executor.Summary, hcl.Diagnostics, error) {
		plan, diags := planner.Build(l.cfg, planner.Options{
			Registry: env.Registry, Vars: l.vals, Targets: targets, Tags: tags, Redactor: l.redactor,
		})
		if !diags.HasErrors() {
			diags = append(diags, l.emu.aim("run", plan, l.redactor)...)
		}
		if plan != nil {
			for _, s := range plan.Secrets {
				l.redactor.AddValue(s)
			}
		}
		if diags.HasErrors() {
			return nil, diags, nil
		}
		if len(plan.Selected) == 0 {
			return nil, hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Nothing selected",
				Detail:   "No invocation matches the target and tag parameters of the probe.",
			}}, nil
		}
		s, err := executor.Run(ctx, plan, executor.Options{Parallelism: parallelism, Observer: obs})
		return s, nil, err
	}
}

// suiteName is the suite label: name if given, else the base name of
// path's directory (of path itself for a file), so that "." is named.
func suiteName(name, path string) string {
	if name != "" {
		return name
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return filepath.Base(path)
}

// reloadRequests returns the channel of reload requests: SIGHUP, and a
// change (write, create, rename, removal) of a suite file (*.probe.hcl,
// *.probe.json, *.probevars.hcl beside them) or of a -var-file, seen
// through fsnotify. Requests coalesce: one pending at most. stop ends
// both sources. When fsnotify is not available, SIGHUP still works and
// the reason is logged.
func reloadRequests(path string, varFiles []string, log *slog.Logger) (<-chan string, func()) {
	requests := make(chan string, 1)
	request := func(why string) {
		select {
		case requests <- why:
		default: // one is pending already
		}
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-hup:
				request("SIGHUP")
			case <-done:
				return
			}
		}
	}()

	// What to watch: the suite's directory (the file's, for a file) and
	// the directories of the -var-files, filtering their events.
	dirs := map[string]bool{}
	suiteDir, suiteFile := path, ""
	if st, err := os.Stat(path); err == nil && !st.IsDir() {
		suiteDir, suiteFile = filepath.Dir(path), filepath.Clean(path)
	}
	dirs[filepath.Clean(suiteDir)] = true
	vf := map[string]bool{}
	for _, f := range varFiles {
		vf[filepath.Clean(f)] = true
		dirs[filepath.Dir(filepath.Clean(f))] = true
	}
	wanted := func(name string) bool {
		name = filepath.Clean(name)
		switch {
		case vf[name]:
			return true
		case suiteFile != "":
			return name == suiteFile
		case filepath.Dir(name) != filepath.Clean(suiteDir):
			return false
		}
		base := filepath.Base(name)
		return strings.HasSuffix(base, ".probe.hcl") || strings.HasSuffix(base, ".probe.json") || strings.HasSuffix(base, ".probevars.hcl")
	}
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		log.Warn("not watching the suite's files: reload with SIGHUP", "error", err.Error())
	} else {
		for d := range dirs {
			if err := fw.Add(d); err != nil {
				log.Warn("not watching a directory of the suite: reload with SIGHUP", "dir", d, "error", err.Error())
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case ev, ok := <-fw.Events:
					if !ok {
						return
					}
					if ev.Op != fsnotify.Chmod && wanted(ev.Name) {
						request(filepath.Base(ev.Name))
					}
				case err, ok := <-fw.Errors:
					if !ok {
						return
					}
					log.Warn("watching the suite's files", "error", err.Error())
				case <-done:
					return
				}
			}
		}()
	}
	return requests, func() {
		signal.Stop(hup)
		close(done)
		if fw != nil {
			fw.Close()
		}
		wg.Wait()
	}
}
