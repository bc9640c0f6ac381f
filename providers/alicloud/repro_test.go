package alicloud_test

import (
	"slices"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/providers/alicloud"
	"github.com/fnprobe/fnprobe/providers/providertest"
)

func TestRepro(t *testing.T) {
	for _, v := range providertest.Hostile {
		for _, tc := range []struct {
			fc2  bool
			want []string
		}{
			{want: []string{"fc", "POST", "/2023-03-30/functions/f_1/invocations"}},
			{fc2: true, want: []string{"fc-open", "POST", "/2021-04-06/services/svc/functions/f_1/invocations"}},
		} {
			d := alicloud.NewFC3()
			if tc.fc2 {
				d = alicloud.NewFC2()
			}
			payload := `{"k":` + `"` + "v" + `"}`
			req := &providers.Request{
				Provider: cty.ObjectVal(map[string]cty.Value{
					"region": cty.StringVal("cn-hangzhou"), "endpoint": cty.StringVal("http://127.0.0.1:9"), "profile": cty.StringVal(v),
				}),
				Function: cty.ObjectVal(map[string]cty.Value{
					"name": cty.StringVal("f_1"), "service": cty.StringVal("svc"), "qualifier": cty.StringVal(v),
				}),
				Type: providers.TypeAsync, Logs: true, Payload: []byte(payload),
				Headers: map[string]string{"X-Hostile": v},
			}
			argv, res := providertest.ReproRun(t, d, req, "aliyun", t.TempDir(), nil, nil)
			want := append(tc.want, "--qualifier", v,
				"--header", "X-Fc-Invocation-Type=Async", "--header", "X-Fc-Log-Type=Tail", "--header", "X-Hostile="+v,
				"--body", payload, "--region", "cn-hangzhou", "--endpoint", "http://127.0.0.1:9", "--profile", v)
			if !slices.Equal(argv, want) {
				t.Errorf("%q fc2=%v: the shell gave aliyun\n%q\nwant\n%q\n(command %s)", v, tc.fc2, argv, want, res.Command)
			}
		}
	}
}
