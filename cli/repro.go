package cli

import (
	"github.com/fnprobe/fnprobe/executor"
	"github.com/fnprobe/fnprobe/repro"
	"github.com/fnprobe/fnprobe/spec"
)

// reproFunc returns the executor's ReproFunc for the suite at path: the
// repro lines of its failed invocations (repro.Builder), every secret in
// them a reference to the variable it comes from: the suite's sensitive
// variables (FNPROBE_VAR_*), then the drivers' secrets read from the
// environment (providers.Schema.SecretEnv).
func (r *suiteRun) reproFunc(loaded *loadedSuite, path string, redactor *spec.Redactor) executor.ReproFunc {
	refs := secretEnvValues(r.env)
	if loaded != nil && loaded.cfg != nil {
		for v, name := range loaded.cfg.SecretRefs(loaded.vals) {
			refs[v] = name // a variable's own reference wins
		}
	}
	var args []string
	for _, v := range r.f.vars {
		args = append(args, "-var="+v)
	}
	for _, v := range r.f.varFiles {
		args = append(args, "-var-file="+v)
	}
	if r.f.emulate.config != "" {
		args = append(args, "-emulate="+r.f.emulate.config)
	}
	suite := "" // one suite: the payload files are named after the address alone
	if r.several {
		suite = path
	}
	b := repro.New(repro.Options{
		Dir:       r.f.reproDir,
		Secrets:   repro.NewSecrets(refs),
		Redact:    redactor.String,
		Suite:     suite,
		RerunArgs: args,
		Paths:     []string{path},
	})
	return b.Build
}
