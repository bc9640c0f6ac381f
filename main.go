// Command fnprobe is a declarative runner for serverless function
// invocations: see README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"syscall"

	"github.com/fnprobe/fnprobe/cli"
	"github.com/fnprobe/fnprobe/executor"
	"github.com/fnprobe/fnprobe/providers"
)

func main() {
	os.Exit(run())
}

func run() int {
	// FNPROBE_CPUPROFILE=FILE writes a CPU profile of the whole command,
	// for `go tool pprof` (docs/development.md, "Profiling").
	if path := os.Getenv("FNPROBE_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				defer func() {
					pprof.StopCPUProfile()
					f.Close()
				}()
			}
		}
	}
	tuneGC(os.Getenv)
	// A closed pipe on standard output or error must be an error fnprobe
	// can report and act on (cancel the run, write the other reports, exit
	// non-zero), not death by SIGPIPE. Notify, unlike Ignore, leaves
	// SIGPIPE at its default in the commands the local provider starts.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)

	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	reg := cli.NewRegistry()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		// First Ctrl-C: cancel in-flight calls, skip the rest, write every
		// report, exit 130. Second: leave at once, killing what local
		// commands still run.
		<-sigs
		cancel(executor.ErrInterrupted)
		<-sigs
		closeDrivers(reg)
		os.Exit(executor.ExitInterrupted)
	}()
	return cli.Main(ctx, os.Args[1:], cli.Env{
		Stdin:            os.Stdin,
		Stdout:           os.Stdout,
		Stderr:           os.Stderr,
		Registry:         reg,
		IsTerminal:       isTerminal(os.Stdout),
		StderrIsTerminal: isTerminal(os.Stderr),
	})
}

// closeDrivers releases what drivers hold (the local driver kills the
// process groups of commands still running), ignoring failures: the
// process is about to exit.
func closeDrivers(reg providers.Registry) {
	for _, d := range reg {
		if c, ok := d.(providers.Closer); ok {
			_ = c.Close()
		}
	}
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// GC tuning, unless GOGC or GOMEMLIMIT says otherwise: a run allocates a
// result object, a decoded body and a few events per call, most of it dead
// at once, so the collector at its default (GOGC=100) takes about a third
// of the CPU of a large run or sample (bench/run.sh). Collecting at 4x the
// live heap instead, with a soft limit of 768 MiB on the whole heap (the
// bodies in flight are bounded at 256 MiB, docs/limits.md), gives that CPU
// to the calls while memory stays bounded: near the limit the collector
// runs as often as it must.
const (
	gcPercent   = 400
	memoryLimit = 768 << 20
)

func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
}
