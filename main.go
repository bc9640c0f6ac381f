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
)

func main() {
	os.Exit(run())
}

func run() int {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		// First Ctrl-C: cancel in-flight calls, skip the rest, write every
		// report, exit 130. Second: leave at once.
		<-sigs
		cancel(executor.ErrInterrupted)
		<-sigs
		os.Exit(executor.ExitInterrupted)
	}()
	return cli.Main(ctx, os.Args[1:], cli.Env{
		Stdout:     os.Stdout,
		Stderr:     os.Stderr,
		Registry:   cli.NewRegistry(),
		IsTerminal: isTerminal(os.Stdout),
	})
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
