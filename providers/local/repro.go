package local

import "github.com/fnprobe/fnprobe/providers"

// Repro implements providers.Reproducer: the command itself, run in its
// working directory with the provider's and the function's environment
// over the caller's, and the payload on its standard input:
//
//	(cd DIR && exec env NAME=VALUE ... COMMAND ARGS...) < FILE
func (d *Driver) Repro(req *providers.Request, p providers.ReproPayload) (providers.Repro, bool) {
	argv := providers.StringList(req.Function, "command")
	if len(argv) == 0 || argv[0] == "" || req.Type != "" && req.Type != providers.TypeSync {
		return providers.Repro{}, false
	}
	r := providers.Repro{Tool: "the shell", Dir: workDir(req), Args: argv, Stdin: true}
	// The layers as Invoke sets them: a name the function sets again
	// comes twice, and env, as exec, keeps the last.
	r.Env = mergeEnv(nil, providers.StringMap(req.Provider, "env"), providers.StringMap(req.Function, "env"))
	return r, true
}
