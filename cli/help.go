package cli

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/fnprobe/fnprobe/executor"
	"github.com/fnprobe/fnprobe/spec"
)

// commandHelp is what `fnprobe help CMD` and `fnprobe CMD -h` print about a
// command besides its flags.
type commandHelp struct {
	usage    string // the synopsis, after "Usage: "
	about    string // what the command does, in sentences
	examples []string
}

// commandNames lists the commands in the order the general usage shows
// them; completion and the unknown-command suggestion use it too.
var commandNames = []string{"validate", "plan", "run", "watch", "graph", "fmt", "emulate", "report", "completion", "version", "help"}

var commandHelps = map[string]commandHelp{
	"validate": {
		usage: "fnprobe validate [flags] [PATH ...]",
		about: "Checks syntax, schema, references, plan-time values, cycles and each driver's\n" +
			"addressing rules without invoking anything. Variables need no values: a\n" +
			"variable without one is unknown, so a CI lint step needs no secrets.",
		examples: []string{
			"fnprobe validate",
			"fnprobe validate -json suites/orders",
			"fnprobe validate suites/orders suites/billing",
		},
	},
	"plan": {
		usage: "fnprobe plan [flags] [PATH ...]",
		about: "Shows each selected invocation: its function and provider, type, tags,\n" +
			"dependencies, and the values known only after another invocation.\n" +
			"Nothing is invoked.",
		examples: []string{
			"fnprobe plan -var env=staging",
			"fnprobe plan -target 'invocation.get[\"eu\"]' suites/orders",
			"fnprobe plan -json | jq .plan.invocations[].addr",
		},
	},
	"run": {
		usage: "fnprobe run [flags] [PATH ...]",
		about: "Plans, then invokes every selected invocation and checks its expectations.\n" +
			"Each PATH is run as its own suite, one after another; the exit code is the\n" +
			"worst of them (130 > 4 > 1 > 2 > 3 > 0).",
		examples: []string{
			"fnprobe run",
			"fnprobe run -var-file staging.probevars.hcl -parallelism 4 suites/orders",
			"fnprobe run -junit out/junit.xml -json-out out/events.jsonl suites/*",
			"fnprobe run -tag smoke -fail-fast -timeout 5m",
			"fnprobe run -verbose -target invocation.read 2> trace.log",
			"fnprobe run -emulate examples/aws/emulator.hcl examples/aws   # offline",
			"fnprobe run -shard 2/4 -json-out shard-2.jsonl   # one job of a CI matrix",
		},
	},
	"watch": {
		usage: "fnprobe watch [flags] [PATH]",
		about: "Runs the suite every -every, the first run at once, and serves Prometheus\n" +
			"metrics of its invocations and a status page on -listen (/metrics, /,\n" +
			"/-/healthy, /-/ready).\n" +
			"Runs never overlap. Changes of state are logged on standard error.\n" +
			"/probe?target=invocation.NAME runs a selection now, for Prometheus to\n" +
			"schedule; with -every 0 the process runs nothing of its own.\n" +
			"SIGHUP or a change to a suite file reloads it. SIGTERM or Ctrl-C stops\n" +
			"it (exit 0). See docs/watch.md.",
		examples: []string{
			"fnprobe watch -every 1m suites/orders",
			"fnprobe watch -every 30s -listen :9465 -log-format json -var-file prod.probevars.hcl .",
			"fnprobe watch -every 0 suites/orders   # Prometheus schedules through /probe",
		},
	},
	"graph": {
		usage: "fnprobe graph [flags] [PATH]",
		about: "Prints the selected invocations and their dependency edges as Graphviz DOT.",
		examples: []string{
			"fnprobe graph | dot -Tsvg > graph.svg",
		},
	},
	"fmt": {
		usage: "fnprobe fmt [flags] [PATH | -]",
		about: "Rewrites *.probe.hcl and *.probevars.hcl files in canonical format and\n" +
			"prints the name of each file it changed. PATH is walked recursively,\n" +
			"skipping dot-directories and testdata. With PATH \"-\" it formats standard\n" +
			"input to standard output.",
		examples: []string{
			"fnprobe fmt",
			"fnprobe fmt -check -diff suites/",
			"fnprobe fmt - < main.probe.hcl",
		},
	},
	"emulate": {
		usage: "fnprobe emulate [flags]",
		about: "Serves every supported cloud's invoke API locally, for offline runs and\n" +
			"tests. Stop it with Ctrl-C.",
		examples: []string{
			"fnprobe emulate",
			"fnprobe emulate -listen 127.0.0.1:9100 -config emulator.hcl",
		},
	},
	"report": {
		usage: "fnprobe report merge [flags] FILE...",
		about: "Merges the JSON event streams (run -json-out FILE) of the shards of one\n" +
			"suite (run -shard I/N) into one result: the failures with their diagnostics,\n" +
			"the counts, and the worst of the shards' exit codes (130 > 4 > 1 > 2 > 3 > 0).\n" +
			"It refuses (exit 2) streams of different suites or selections, overlapping\n" +
			"shards, different shard counts, a stream cut short (no summary), a stream of\n" +
			"an unknown major schema version, and missing shards unless -allow-missing.\n" +
			"See docs/sharding.md.",
		examples: []string{
			"fnprobe report merge shard-*.jsonl",
			"fnprobe report merge -junit junit.xml shard-1.jsonl shard-2.jsonl shard-3.jsonl shard-4.jsonl",
			"fnprobe report merge -json shard-*.jsonl > merged.jsonl",
		},
	},
	"completion": {
		usage: "fnprobe completion bash|zsh|fish",
		about: "Prints a shell completion script that completes commands, flags and, after\n" +
			"-target, the invocation addresses of the suite being typed.",
		examples: []string{
			"source <(fnprobe completion bash)           # bash, in ~/.bashrc",
			"fnprobe completion zsh > \"${fpath[1]}/_fnprobe\" # zsh",
			"fnprobe completion fish > ~/.config/fish/completions/fnprobe.fish",
		},
	},
	"version": {
		usage: "fnprobe version",
		about: "Prints fnprobe's version and the provider types it supports.",
		examples: []string{
			"fnprobe version",
		},
	},
	"help": {
		usage: "fnprobe help [COMMAND]",
		about: "Prints the general usage, or a command's usage with every flag.",
		examples: []string{
			"fnprobe help run",
		},
	},
}

// commandFlags returns the flag set of cmd, for its usage and completion,
// or nil if cmd has no flags of its own.
func commandFlags(cmd string, env Env) *flag.FlagSet {
	fs := newFlagSet(cmd, env)
	switch cmd {
	case "validate", "plan", "run", "graph":
		var f suiteFlags
		f.register(fs, cmd)
	case "watch":
		var f watchFlags
		f.register(fs)
	case "fmt":
		var f fmtFlags
		f.register(fs)
	case "report":
		var f reportFlags
		f.register(fs)
	case "emulate":
		// The emulator owns these flags (emulator.Command); they are
		// repeated here for the usage and completion only.
		fs.String("listen", "127.0.0.1:9000", "`ADDR`ess to listen on")
		fs.String("config", "", "emulator configuration `FILE` (HCL) (default: built-in demo functions)")
	default:
		return nil
	}
	return fs
}

// printCommandHelp prints cmd's usage, flags and examples to w.
func printCommandHelp(w io.Writer, cmd string, env Env) {
	h := commandHelps[cmd]
	fmt.Fprintf(w, "Usage: %s\n\n%s\n", h.usage, h.about)
	if fs := commandFlags(cmd, env); fs != nil {
		fmt.Fprintf(w, "\nFlags:\n")
		printFlags(w, fs)
	}
	if len(h.examples) > 0 {
		fmt.Fprintf(w, "\nExamples:\n")
		for _, e := range h.examples {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
}

// printFlags prints each flag of fs, sorted by name, with its value name,
// description and default, the way `go help` lists flags.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		name, text := flag.UnquoteUsage(f)
		switch name {
		case "value", "string":
			name = "VALUE"
		case "int":
			name = "N"
		case "duration":
			name = "DURATION"
		}
		head := "  -" + f.Name
		if name != "" {
			head += " " + name
		}
		fmt.Fprintf(w, "%s\n      %s", head, text)
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "0s" && f.DefValue != "[]" {
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
}

// newFlagSet returns an empty flag set for command name that prints
// nothing itself: flagError reports its errors and printCommandHelp its
// usage.
func newFlagSet(name string, env Env) *flag.FlagSet {
	fs := flag.NewFlagSet("fnprobe "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// isSet reports whether the flag name was given on the command line.
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// helpCommand runs `fnprobe help [COMMAND]`.
func helpCommand(args []string, env Env) int {
	if len(args) == 0 {
		fmt.Fprint(env.Stdout, usage)
		return executor.ExitOK
	}
	cmd := args[0]
	if _, ok := commandHelps[cmd]; !ok {
		unknownCommand(cmd, env)
		return executor.ExitConfig
	}
	printCommandHelp(env.Stdout, cmd, env)
	return executor.ExitOK
}

// unknownCommand reports cmd as unknown, with the closest command.
func unknownCommand(cmd string, env Env) {
	msg := fmt.Sprintf("fnprobe: unknown command %q", cmd)
	if s := spec.Suggest(cmd, commandNames); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	fmt.Fprintf(env.Stderr, "%s\n\n%s", msg, usage)
}

// flagError reports err, returned by fs.Parse, for command cmd and returns
// the exit code: 0 for -h (cmd's usage goes to standard output), else 2.
// An unknown flag gets the closest known one as a suggestion.
func flagError(err error, cmd string, fs *flag.FlagSet, env Env) int {
	if err == flag.ErrHelp {
		printCommandHelp(env.Stdout, cmd, env)
		return executor.ExitOK
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		msg = fmt.Sprintf("unknown flag -%s", name)
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		sort.Strings(names)
		if s := spec.Suggest(strings.TrimPrefix(name, "-"), names); s != "" {
			msg += fmt.Sprintf(" (did you mean -%s?)", s)
		}
	}
	fmt.Fprintf(env.Stderr, "fnprobe %s: %s\nRun \"fnprobe help %s\" for its flags.\n", cmd, msg, cmd)
	return executor.ExitConfig
}
