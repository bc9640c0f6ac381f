// Package cli is fnprobe's command line: flags, wiring of spec → planner →
// executor → reports, and exit codes. It holds no logic of its own beyond
// that wiring; main.go only calls Main.
package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/fnprobe/fnprobe/executor"
	"github.com/fnprobe/fnprobe/providers"
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
	Stdin          io.Reader // for `fmt -`; nil reads nothing
	// IsTerminal says whether Stdout is a terminal, StderrIsTerminal
	// whether Stderr is: each stream's colour is decided on its own (see
	// useColor), and a large run's progress is a live line only when
	// Stdout is a terminal.
	IsTerminal       bool
	StderrIsTerminal bool
	// NewTicker returns a channel ticking every d, and its stop function;
	// nil is time.NewTicker. Tests inject their own clock here.
	NewTicker func(d time.Duration) (<-chan time.Time, func())
	// Width is the column diagnostics wrap at: 0 is the default (78),
	// negative disables wrapping (tests compare output across machines).
	Width int

	stdout      *latch // Stdout, as Main wrapped it
	stderrColor bool   // colour on Stderr, without flags (see useColor)
}

const usage = `Usage: fnprobe <command> [flags] [PATH ...]

Commands:
  validate   check syntax, schema, references, types and cycles (no network)
  plan       show the resolved graph: each invocation, its target and dependencies
  run        plan, then invoke and check every expectation
  watch      run a suite on a schedule, serving Prometheus metrics
  graph      print the dependency graph as Graphviz DOT
  fmt        rewrite files in canonical format (-check: only report)
  emulate    serve every supported provider's invoke API locally
  report     report merge: merge the -json-out streams of a suite's shards
  completion print a shell completion script (bash, zsh, fish)
  version    print the version and supported providers
  help       print this usage, or a command's: fnprobe help run

PATH is a suite directory (*.probe.hcl, *.probe.json) or one file; default ".".
validate, plan and run take several PATHs, each run as its own suite.
Run "fnprobe help <command>" or "fnprobe <command> -h" for a command's flags
and examples.
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
	if env.Stdin == nil {
		env.Stdin = strings.NewReader("")
	}
	stdout, stderr := newLatch(env.Stdout), newLatch(env.Stderr)
	env.Stdout, env.Stderr, env.stdout = stdout, stderr, stdout
	env.stderrColor = useColor(env.StderrIsTerminal, colorFlags{}, env.Getenv)
	defer func() {
		if r := recover(); r != nil {
			err := &internalError{value: r, stack: debug.Stack()}
			fmt.Fprintf(stderr, "fnprobe: %s", err)
			code = executor.WorstExit(code, executor.ExitInternal)
			if interrupted(ctx) {
				code = executor.WorstExit(code, executor.ExitInterrupted)
			}
		}
		if len(args) > 0 && args[0] == "emulate" {
			return // a server: its logs are not its verdict
		}
		if err := stdout.Err(); err != nil {
			fmt.Fprintf(stderr, "fnprobe: writing to standard output: %s\n", err)
			code = executor.WorstExit(code, executor.ExitUnanswered)
		}
		if stderr.Err() != nil {
			code = executor.WorstExit(code, executor.ExitUnanswered)
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
	case "watch":
		return watchCommand(ctx, rest, env)
	case "fmt":
		return fmtCommand(ctx, rest, env)
	case "version", "-version", "--version", "-v":
		return versionCommand(rest, env)
	case "emulate":
		return emulateCommand(ctx, rest, env)
	case "report":
		return reportCommand(ctx, rest, env)
	case "completion":
		return completionCommand(rest, env)
	case completeCommandName:
		return completeCommand(rest, env)
	case "help", "-h", "-help", "--help":
		return helpCommand(rest, env)
	}
	unknownCommand(cmd, env)
	return executor.ExitConfig
}

// versionCommand runs `fnprobe version`.
func versionCommand(args []string, env Env) int {
	fs := newFlagSet("version", env)
	if err := fs.Parse(args); err != nil {
		return flagError(err, "version", fs, env)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "fnprobe version: unexpected argument %q\nRun \"fnprobe help version\" for its usage.\n", fs.Arg(0))
		return executor.ExitConfig
	}
	fmt.Fprintf(env.Stdout, "fnprobe v%s\nproviders: %s\n", Version, strings.Join(env.Registry.Types(), ", "))
	return executor.ExitOK
}

// secretEnvRedactor returns a Redactor that knows the secrets drivers may
// read from the environment: they are redacted whether or not the suite
// names them.
func secretEnvRedactor(env Env) *spec.Redactor {
	r := &spec.Redactor{}
	for v := range secretEnvValues(env) {
		r.Add(v)
	}
	return r
}

// secretEnvValues maps the values of the drivers' secret environment
// variables (providers.Schema.SecretEnv) that are set to their names.
func secretEnvValues(env Env) map[string]string {
	vals := map[string]string{}
	for _, typ := range env.Registry.Types() {
		for _, name := range env.Registry[typ].Schema().SecretEnv {
			if v := env.Getenv(name); v != "" {
				vals[v] = name
			}
		}
	}
	return vals
}

// viewErr returns the error a view recorded, if any.
func viewErr(view executor.Observer) error {
	if v, ok := view.(interface{ Err() error }); ok {
		return v.Err()
	}
	return nil
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
