package cli

import (
	"context"
	"io"

	"github.com/hashicorp/hcl/v2"

	"github.com/fnprobe/fnprobe/emulator"
	"github.com/fnprobe/fnprobe/report"
	"github.com/fnprobe/fnprobe/spec"
)

// emulateCommand runs `fnprobe emulate`: the emulator package owns its
// flags; its configuration diagnostics are printed as validate prints a
// suite's.
func emulateCommand(ctx context.Context, args []string, env Env) int {
	return emulator.Command(ctx, args, env.Stdout, env.Stderr, func(w io.Writer, diags hcl.Diagnostics, files map[string]*hcl.File) {
		report.WriteDiagnostics(w, spec.CapDiagnostics(diags), report.Options{
			Files: files,
			Color: env.IsTerminal && env.Getenv("NO_COLOR") == "",
			Width: env.Width,
		})
	})
}
