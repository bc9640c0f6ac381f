// Command fnprobe is a declarative runner for serverless function
// invocations: see README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/fnprobe/fnprobe/cli"
	"github.com/fnprobe/fnprobe/executor"
	"github.com/fnprobe/fnprobe/providers"
)

func main() {
	os.Exit(run())
}

func run() int {
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
