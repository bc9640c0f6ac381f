package aws_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/providers/aws"
	"github.com/fnprobe/fnprobe/providers/providertest"
	"github.com/fnprobe/fnprobe/repro"
)

func TestRepro(t *testing.T) {
	d := aws.New()
	for _, name := range providertest.Hostile {
		for _, tc := range []struct {
			typ, qualifier, profile string
			payload                 string
			logs, noDir             bool
			want                    []string // the argv after --function-name NAME
		}{
			{typ: providers.TypeSync, logs: true, noDir: true, payload: "{}", want: []string{"--log-type", "Tail", "--cli-binary-format", "raw-in-base64-out", "--payload", "{}"}},
			{typ: providers.TypeAsync, qualifier: name, profile: name, payload: "x\x00y", want: []string{"--qualifier", name, "--invocation-type", "Event", "--cli-binary-format", "raw-in-base64-out", "--payload", "fileb://PAYLOAD"}},
			{typ: providers.TypeDryRun, payload: "file://etc", want: []string{"--invocation-type", "DryRun", "--cli-binary-format", "raw-in-base64-out", "--payload", "fileb://PAYLOAD"}},
			// Small enough to go inline, but the CLI would read the file
			// it names: it goes through the payload file.
			{typ: providers.TypeSync, noDir: true, payload: "fileb:///etc/passwd", want: []string{"--cli-binary-format", "raw-in-base64-out", "--payload", "fileb://PAYLOAD"}},
		} {
			dir := t.TempDir()
			if tc.noDir {
				dir = "" // a small payload goes inline
			}
			req := &providers.Request{
				Provider: cty.ObjectVal(map[string]cty.Value{
					"region": cty.StringVal("us-east-1"), "endpoint": cty.StringVal("http://127.0.0.1:9/" + name),
					"profile": cty.StringVal(tc.profile),
				}),
				Function: cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal(name), "qualifier": cty.StringVal(tc.qualifier)}),
				Type:     tc.typ, Logs: tc.logs, Payload: []byte(tc.payload),
			}
			argv, res := providertest.ReproRun(t, d, req, "aws", dir, nil, nil)
			want := append([]string{"lambda", "invoke", "--function-name", name}, tc.want...)
			want = append(want, "--region", "us-east-1", "--endpoint-url", "http://127.0.0.1:9/"+name)
			if tc.profile != "" {
				want = append(want, "--profile", tc.profile)
			}
			want = append(want, "response.json")
			file := res.PayloadFile
			if file == "" {
				file = repro.Placeholder // not written: the file the user makes
			}
			for i := range want {
				want[i] = strings.ReplaceAll(want[i], "PAYLOAD", file)
			}
			if !slices.Equal(argv, want) {
				t.Errorf("%q %s: the shell gave aws\n%q\nwant\n%q\n(command %s)", name, tc.typ, argv, want, res.Command)
			}
			if res.PayloadFile != "" {
				b, err := os.ReadFile(res.PayloadFile)
				if err != nil || string(b) != tc.payload || filepath.Dir(res.PayloadFile) != dir {
					t.Errorf("payload file %s: %q, %v", res.PayloadFile, b, err)
				}
			}
		}
	}
}
