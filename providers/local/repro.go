package local

import (
	"sort"

	"github.com/fnprobe/fnprobe/providers"
)

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
	env := map[string]string{}
	for _, layer := range []map[string]string{providers.StringMap(req.Provider, "env"), providers.StringMap(req.Function, "env")} {
		for k, v := range layer {
			env[k] = v
		}
	}
	names := make([]string, 0, len(env))
	for k := range env {
		names = append(names, k)
	}
	sort.Strings(names)
	r := providers.Repro{Tool: "the shell", Dir: workDir(req), Args: argv, Stdin: true}
	for _, k := range names {
		r.Env = append(r.Env, k+"="+env[k])
	}
	return r, true
}
