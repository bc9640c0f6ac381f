package cli

import (
	"context"

	"github.com/fnprobe/fnprobe/emulator"
	"github.com/fnprobe/fnprobe/executor"
)

// emulateCommand runs `fnprobe emulate`: the emulator package owns its flags.
// Its -h is answered here, to standard output with the other commands'
// usage format.
func emulateCommand(ctx context.Context, args []string, env Env) int {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			printCommandHelp(env.Stdout, "emulate", env)
			return executor.ExitOK
		}
	}
	return emulator.Command(ctx, args, env.Stdout, env.Stderr)
}
