package tencent

import (
	"maps"
	"slices"
	"strings"

	"github.com/fnprobe/fnprobe/providers"
)

// reproDoc is the CloudBase CLI's reference for `tcb fn invoke`.
const reproDoc = "https://docs.cloudbase.net/en/cli-v1/functions/invoke"

// Repro implements providers.Reproducer: the CloudBase CLI's
//
//	tcb fn invoke NAME [-e ENV_ID] [-X POST -H 'NAME: VALUE' ...] -d @FILE
//
// (reproDoc: -d takes a JSON string, or @FILE to read it from a file; -X
// and -H apply to HTTP functions only, hence only for web = true). The
// CLI signs in with `tcb login`; it has no option for an endpoint nor a
// version, which a note then says.
func (d *Driver) Repro(req *providers.Request, p providers.ReproPayload) (providers.Repro, bool) {
	if req.Type != providers.TypeSync && req.Type != "" {
		return providers.Repro{}, false
	}
	args := []string{"tcb", "fn", "invoke", providers.String(req.Function, "name")}
	if env := providers.String(req.Provider, "env_id"); env != "" {
		args = append(args, "-e", env)
	}
	var notes []string
	if providers.Bool(req.Function, "web") {
		args = append(args, "-X", "POST")
		names := slices.Sorted(maps.Keys(req.Headers))
		for _, k := range names {
			args = append(args, "-H", k+": "+req.Headers[k])
		}
	} else if len(req.Headers) > 0 {
		notes = append(notes, "tcb sends headers to HTTP functions only")
	}
	if len(req.Payload) > 0 {
		data := "@" + p.File
		if s := string(req.Payload); p.Inline && !strings.HasPrefix(s, "@") {
			data = s
		}
		args = append(args, "-d", data)
	}
	if v := providers.String(req.Function, "version"); v != "" {
		notes = append(notes, "tcb fn invoke has no option for the version ("+v+"): it calls the function as its traffic rules say")
	}
	if e := providers.String(req.Provider, "endpoint"); e != "" {
		notes = append(notes, "tcb has no option for the provider's endpoint ("+e+"): the command calls CloudBase itself")
	}
	return providers.Repro{Tool: "CloudBase CLI", Doc: reproDoc, Args: args, Note: strings.Join(notes, "; ")}, true
}
