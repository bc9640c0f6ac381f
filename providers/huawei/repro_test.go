package huawei_test

import (
	"os"
	"slices"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/providers/huawei"
	"github.com/fnprobe/fnprobe/providers/providertest"
)

func TestRepro(t *testing.T) {
	const project = "0123456789abcdef0123456789abcdef"
	d := huawei.New()
	for _, v := range providertest.Hostile {
		payload := `{"k":"v"}`
		req := &providers.Request{
			Provider: cty.ObjectVal(map[string]cty.Value{
				"region": cty.StringVal("cn-north-4"), "project_id": cty.StringVal(project),
				"endpoint": cty.StringVal("http://127.0.0.1:9/" + v), "profile": cty.StringVal(v),
			}),
			Function: cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("fn"), "package": cty.StringVal("default")}),
			Type:     providers.TypeSync, Logs: true, Payload: []byte(payload),
		}
		argv, res := providertest.ReproRun(t, d, req, "hcloud", t.TempDir(), nil, nil)
		want := []string{"FunctionGraph", "InvokeFunction", "--cli-region=cn-north-4", "--project_id=" + project,
			"--function_urn=urn:fss:cn-north-4:" + project + ":function:default:fn", "--X-Cff-Log-Type=tail",
			"--X-CFF-Request-Version=v1", "--cli-jsonInput=" + res.PayloadFile,
			"--cli-endpoint=http://127.0.0.1:9/" + v, "--cli-profile=" + v}
		if !slices.Equal(argv, want) {
			t.Errorf("%q: the shell gave hcloud\n%q\nwant\n%q\n(command %s)", v, argv, want, res.Command)
		}
		if b, err := os.ReadFile(res.PayloadFile); err != nil || string(b) != `{"body": {"k":"v"}}`+"\n" {
			t.Errorf("the --cli-jsonInput file holds %q (%v)", b, err)
		}
	}
	// A payload that is not JSON cannot be a KooCLI body: not written, and
	// the command refers to a file the user makes.
	req := &providers.Request{
		Provider: cty.ObjectVal(map[string]cty.Value{"region": cty.StringVal("cn-north-4"), "project_id": cty.StringVal(project)}),
		Function: cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("fn")}),
		Type:     providers.TypeAsync, Payload: []byte("not json"),
	}
	_, res := providertest.ReproRun(t, d, req, "hcloud", t.TempDir(), nil, nil)
	if res.PayloadFile != "" || res.Note == "" {
		t.Errorf("non-JSON payload: file %q, note %q", res.PayloadFile, res.Note)
	}
}
