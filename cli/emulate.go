package cli

import (
	"context"
	"io"

	"github.com/hashicorp/hcl/v2"

	"github.com/fnprobe/fnprobe/emulator"
	"github.com/fnprobe/fnprobe/executor"
	"github.com/fnprobe/fnprobe/report"
	"github.com/fnprobe/fnprobe/spec"
)

// emulateCommand runs `fnprobe emulate`: the emulator package owns its flags.
// Its -h is answered here, to standard output with the other commands'
// usage format. Its configuration diagnostics are printed as validate
// prints a suite's.
func emulateCommand(ctx context.Context, args []string, env Env) int {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			printCommandHelp(env.Stdout, "emulate", env)
			return executor.ExitOK
		}
	}
	return emulator.Command(ctx, args, env.Stdout, env.Stderr, func(w io.Writer, diags hcl.Diagnostics, files map[string]*hcl.File) {
		report.WriteDiagnostics(w, spec.CapDiagnostics(diags), report.Options{
			Files: files,
			Color: useColor(env.StderrIsTerminal, colorFlags{}, env.Getenv),
			Width: env.Width,
		})
	})
}
