package alicloud

import (
	"maps"
	"slices"

	"github.com/fnprobe/fnprobe/providers"
)

// Documentation of the Alibaba Cloud CLI's ROA-style calls and of the
// InvokeFunction APIs the commands below call.
const (
	reproDocCLI = "https://www.alibabacloud.com/help/en/cli/call-rpc-api-and-restful-api"
	reproDocFC3 = "https://www.alibabacloud.com/help/en/functioncompute/api-fc-2023-03-30-invokefunction"
	reproDocFC2 = "https://www.alibabacloud.com/help/en/fc/developer-reference/cli-reference"
)

// Repro implements providers.Reproducer: the Alibaba Cloud CLI calling
// InvokeFunction the ROA way (reproDocCLI: `aliyun PRODUCT METHOD PATH
// --header NAME=VALUE --body "$(cat FILE)"`; every other --flag of such a
// call is a query parameter, hence --qualifier):
//
//	aliyun fc POST /2023-03-30/functions/NAME/invocations [--qualifier Q]
//	  --header X-Fc-Invocation-Type=Sync|Async [--header X-Fc-Log-Type=Tail]
//	  [--header NAME=VALUE ...] --body "$(cat FILE)"
//	  --region R [--endpoint E] [--profile P]
//
// For alicloud_fc2 the product is fc-open and the path
// /2021-04-06/services/SERVICE/functions/NAME/invocations (reproDocFC2),
// whichever api_version the provider uses: the CLI knows that version.
// Credentials come from the CLI's profile or its environment
// (ALIBABA_CLOUD_ACCESS_KEY_ID ...).
func (d *Driver) Repro(req *providers.Request, p providers.ReproPayload) (providers.Repro, bool) {
	c := readConfig(req.Provider, d.fc2)
	name := providers.String(req.Function, "name")
	product, path, doc := "fc", "/"+FC3Version+"/functions/"+PercentEncode(name)+"/invocations", reproDocFC3
	if d.fc2 {
		service := providers.String(req.Function, "service")
		product, path, doc = "fc-open", "/"+FC2Version2021+"/services/"+PercentEncode(service)+"/functions/"+PercentEncode(name)+"/invocations", reproDocFC2
	}
	args := []string{"aliyun", product, "POST", path}
	if q := providers.String(req.Function, "qualifier"); q != "" {
		args = append(args, "--qualifier", q)
	}
	invType := "Sync"
	if req.Type == providers.TypeAsync {
		invType = "Async"
	}
	headers := map[string]string{"X-Fc-Invocation-Type": invType}
	if req.Logs {
		headers["X-Fc-Log-Type"] = "Tail"
	}
	for k, v := range req.Headers {
		headers[k] = v
	}
	names := slices.Sorted(maps.Keys(headers))
	for _, k := range names {
		args = append(args, "--header", k+"="+headers[k])
	}
	if len(req.Payload) > 0 {
		args = append(args, "--body", providers.ReproFileText)
	}
	if c.region != "" {
		args = append(args, "--region", c.region)
	}
	if c.endpoint != "" {
		args = append(args, "--endpoint", c.endpoint)
	}
	if prof := providers.String(req.Provider, "profile"); prof != "" {
		args = append(args, "--profile", prof)
	}
	return providers.Repro{Tool: "Alibaba Cloud CLI", Doc: doc, Args: args}, true
}
