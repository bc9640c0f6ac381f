package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/fnprobe/fnprobe/executor"
	"github.com/fnprobe/fnprobe/report"
)

// reportFlags are the flags of `fnprobe report merge`.
type reportFlags struct {
	junit        string
	jsonOut      bool
	allowMissing bool
	colorFlags
}

func (f *reportFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.junit, "junit", "", "also write one JUnit XML report of every invocation to `FILE`")
	fs.BoolVar(&f.jsonOut, "json", false, "print one merged JSON event stream instead of the human summary")
	fs.BoolVar(&f.allowMissing, "allow-missing", false, "merge even when some shards' streams are missing (a warning says which); default: refuse, exit 2")
	fs.BoolVar(&f.noColor, "no-color", false, "no ANSI colour (NO_COLOR=1 does the same)")
	fs.BoolVar(&f.color, "color", false, "colour even when the output is not a terminal")
}

// reportCommand runs `fnprobe report SUBCOMMAND`: only merge for now.
func reportCommand(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 || args[0] != "merge" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			printCommandHelp(env.Stdout, "report", env)
			return executor.ExitOK
		}
		what := "no subcommand"
		if len(args) > 0 {
			what = fmt.Sprintf("unknown subcommand %q", args[0])
		}
		fmt.Fprintf(env.Stderr, "fnprobe report: %s; expected merge\nRun \"fnprobe help report\" for its usage.\n", what)
		return executor.ExitConfig
	}
	return reportMerge(ctx, args[1:], env)
}

// reportMerge reads the -json-out streams of a suite's shards, checks
// that they belong together (report.Merge) and prints one summary, with
// the worst of their exit codes.
func reportMerge(ctx context.Context, args []string, env Env) int {
	var f reportFlags
	fs := newFlagSet("report", env)
	f.register(fs)
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			return flagError(err, "report", fs, env)
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(files) == 0 {
		fmt.Fprintf(env.Stderr, "fnprobe report merge: expected the JSON streams of the shards (run -json-out FILE)\nRun \"fnprobe help report\" for its usage.\n")
		return executor.ExitConfig
	}
	sources := map[string]report.MergeSource{}
	var streams []*report.MergeStream
	for _, name := range files {
		if _, dup := sources[name]; dup {
			fmt.Fprintf(env.Stderr, "fnprobe report merge: %s is given twice\n", name)
			return executor.ExitConfig
		}
		src := report.MergeSource{Name: name, Open: func() (io.ReadCloser, error) { return os.Open(name) }}
		sources[name] = src
		s, err := readStream(ctx, src)
		if err != nil {
			fmt.Fprintf(env.Stderr, "fnprobe report merge: %s\n", report.EscapeLine(err.Error()))
			return executor.ExitConfig
		}
		streams = append(streams, s)
	}
	m, err := report.Merge(streams, f.allowMissing)
	if err != nil {
		fmt.Fprintf(env.Stderr, "fnprobe report merge: %s\n", report.EscapeLine(err.Error()))
		return executor.ExitConfig
	}
	code := m.Summary.ExitCode
	opts := report.Options{Version: Version, Width: env.Width, Color: useColor(env.IsTerminal, f.colorFlags, env.Getenv)}
	if f.junit != "" {
		out, err := openReport(f.junit)
		if err == nil {
			err = writeReport(out, m.JUnit(report.Options{Version: Version, Width: env.Width}))
		}
		if err != nil {
			fmt.Fprintf(env.Stderr, "fnprobe report merge: writing the JUnit report %s: %s\n", f.junit, report.EscapeLine(err.Error()))
			code = executor.WorstExit(code, executor.ExitUnanswered)
		}
	}
	if f.jsonOut {
		if len(m.Missing) > 0 {
			fmt.Fprintf(env.Stderr, "fnprobe report merge: warning: %s of %d not given (-allow-missing)\n", m.MissingText(), m.Count)
		}
		opts.Color = false
		if err := m.WriteJSON(env.Stdout, opts, sources); err != nil {
			fmt.Fprintf(env.Stderr, "fnprobe report merge: %s\n", report.EscapeLine(err.Error()))
			return executor.WorstExit(code, executor.ExitUnanswered)
		}
		return code
	}
	if err := m.WriteHuman(env.Stdout, opts); err != nil {
		return executor.WorstExit(code, executor.ExitUnanswered)
	}
	return code
}

// readStream opens and reads one stream.
func readStream(ctx context.Context, src report.MergeSource) (*report.MergeStream, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("interrupted: %w", err)
	}
	rc, err := src.Open()
	if err != nil {
		return nil, fmt.Errorf("cannot read the stream: %w", err)
	}
	defer rc.Close()
	return report.MergeRead(src.Name, rc, report.MaxMergeLine)
}
