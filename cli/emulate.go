package cli

import (
	"context"

	"github.com/fnprobe/fnprobe/emulator"
)

// emulateCommand runs `fnprobe emulate`: the emulator package owns its flags.
func emulateCommand(ctx context.Context, args []string, env Env) int {
	return emulator.Command(ctx, args, env.Stdout, env.Stderr)
}
