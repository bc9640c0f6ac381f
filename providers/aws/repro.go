package aws

import (
	"maps"
	"slices"
	"strings"

	"github.com/fnprobe/fnprobe/providers"
)

// reproDoc is the AWS CLI's reference for `aws lambda invoke`.
const reproDoc = "https://awscli.amazonaws.com/v2/documentation/api/latest/reference/lambda/invoke.html"

// Repro implements providers.Reproducer: the AWS CLI's
//
//	aws lambda invoke --function-name NAME [--qualifier Q]
//	  [--invocation-type Event|DryRun] [--log-type Tail]
//	  --cli-binary-format raw-in-base64-out --payload fileb://FILE
//	  --region R [--endpoint-url E] [--profile P] response.json
//
// (reproDoc; --cli-binary-format raw-in-base64-out makes AWS CLI v2 send
// an inline payload as is rather than decode it as base64, and fileb://
// sends a file's bytes as they are). Credentials come from the CLI's own
// chain (AWS_ACCESS_KEY_ID ..., --profile), never from the command line.
func (d *Driver) Repro(req *providers.Request, p providers.ReproPayload) (providers.Repro, bool) {
	invType, ok := InvocationType(req.Type)
	if !ok {
		return providers.Repro{}, false
	}
	name := providers.String(req.Function, "name")
	args := []string{"aws", "lambda", "invoke", "--function-name", name}
	if q := providers.String(req.Function, "qualifier"); q != "" {
		args = append(args, "--qualifier", q)
	}
	if invType != "RequestResponse" {
		args = append(args, "--invocation-type", invType)
	}
	if req.Logs && invType == "RequestResponse" {
		args = append(args, "--log-type", "Tail")
	}
	if len(req.Payload) > 0 {
		payload := "fileb://" + p.File
		// The CLI reads a parameter that starts with file:// or fileb://
		// from that file: such a payload goes through a file too.
		if s := string(req.Payload); p.Inline && !strings.HasPrefix(s, "file://") && !strings.HasPrefix(s, "fileb://") {
			payload = s
		}
		args = append(args, "--cli-binary-format", "raw-in-base64-out", "--payload", payload)
	}
	if r := d.region(req.Provider, name); r != "" {
		args = append(args, "--region", r)
	}
	if e := providers.String(req.Provider, "endpoint"); e != "" {
		args = append(args, "--endpoint-url", e)
	}
	if prof := providers.String(req.Provider, "profile"); prof != "" {
		args = append(args, "--profile", prof)
	}
	args = append(args, "response.json")
	r := providers.Repro{Tool: "AWS CLI", Doc: reproDoc, Args: args}
	if len(req.Headers) > 0 {
		names := slices.Sorted(maps.Keys(req.Headers))
		r.Note = "aws lambda invoke cannot send the invocation's headers (" + strings.Join(names, ", ") + ")"
	}
	return r, true
}
