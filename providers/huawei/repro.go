package huawei

import (
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/fnprobe/fnprobe/providers"
)

// Documentation of KooCLI's FunctionGraph invocation and of its
// --cli-jsonInput option.
const (
	reproDoc      = "https://support.huaweicloud.com/intl/en-us/clir-functiongraph/functiongraph_09_0802.html"
	reproDocInput = "https://support.huaweicloud.com/intl/en-us/usermanual-hcli/hcli_05_12.html"
)

// Repro implements providers.Reproducer: KooCLI (hcloud) calling
// InvokeFunction, or AsyncInvokeFunction (reproDoc):
//
//	hcloud FunctionGraph InvokeFunction --cli-region=R --project_id=P
//	  --function_urn=URN [--X-Cff-Log-Type=tail] --X-CFF-Request-Version=v1
//	  --cli-jsonInput=FILE [--cli-endpoint=E] [--cli-profile=P]
//
// The body travels in the --cli-jsonInput file as {"body": PAYLOAD}
// (reproDocInput; see ReproFile): KooCLI's own --key=value body
// parameters cannot say every JSON document. Credentials come from the
// KooCLI profile.
func (d *Driver) Repro(req *providers.Request, p providers.ReproPayload) (providers.Repro, bool) {
	async := req.Type == providers.TypeAsync
	if req.Type != providers.TypeSync && !async && req.Type != "" {
		return providers.Repro{}, false
	}
	project := d.projectHint(req.Provider)
	if s := providers.String(req.Function, "urn"); s != "" && project == "" {
		if u, err := ParseURN(s); err == nil {
			project = u.Project
		}
	}
	urn, err := functionURN(req.Provider, req.Function, project)
	if err != nil {
		return providers.Repro{}, false
	}
	region := providers.String(req.Provider, "region")
	if region == "" {
		region = urn.Region
	}
	op := "InvokeFunction"
	if async {
		op = "AsyncInvokeFunction"
	}
	args := []string{"hcloud", "FunctionGraph", op}
	if region != "" {
		args = append(args, "--cli-region="+region)
	}
	args = append(args, "--project_id="+project, "--function_urn="+urn.String())
	if !async {
		if req.Logs {
			args = append(args, "--X-Cff-Log-Type=tail")
		}
		rv := providers.String(req.Provider, "request_version")
		if rv == "" {
			rv = "v1"
		}
		args = append(args, "--X-CFF-Request-Version="+rv)
	}
	if len(req.Payload) > 0 {
		args = append(args, "--cli-jsonInput="+p.File)
	}
	if e := providers.String(req.Provider, "endpoint"); e != "" {
		args = append(args, "--cli-endpoint="+e)
	}
	if prof := providers.String(req.Provider, "profile"); prof != "" {
		args = append(args, "--cli-profile="+prof)
	}
	r := providers.Repro{Tool: "KooCLI", Doc: reproDoc, Args: args}
	if len(req.Headers) > 0 {
		names := slices.Sorted(maps.Keys(req.Headers))
		r.Note = "KooCLI sends only the headers the API declares, not the invocation's (" + strings.Join(names, ", ") + ")"
	}
	return r, true
}

// ReproFile implements providers.ReproFiler: the --cli-jsonInput file,
// {"body": PAYLOAD}. KooCLI takes the body as JSON only.
func (d *Driver) ReproFile(payload []byte) ([]byte, error) {
	if !json.Valid(payload) {
		return nil, errors.New("KooCLI takes the body as JSON, and the payload is not JSON")
	}
	return append(append([]byte(`{"body": `), payload...), "}\n"...), nil
}
