package http_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/providers"
	fhttp "github.com/fnprobe/fnprobe/providers/http"
	"github.com/fnprobe/fnprobe/providers/providertest"
)

func TestRepro(t *testing.T) {
	const secret = "s3cr'et $(x) `y` \"z\""
	d := fhttp.New()
	defer d.Close()
	for _, v := range providertest.Hostile {
		if strings.ContainsAny(v, "\n\x1b") {
			continue // not a valid header value: the request is refused before it is sent
		}
		req := &providers.Request{
			Provider: cty.ObjectVal(map[string]cty.Value{
				"base_url": cty.StringVal("http://127.0.0.1:9/api/"),
				"headers":  cty.MapVal(map[string]cty.Value{"Authorization": cty.StringVal("Bearer " + secret)}),
			}),
			Function: cty.ObjectVal(map[string]cty.Value{
				"url": cty.StringVal("fn"), "method": cty.StringVal("POST"),
				"headers": cty.MapVal(map[string]cty.Value{"x-empty": cty.StringVal("")}),
			}),
			Type: providers.TypeSync, Payload: []byte("@not-a-file"),
			Headers: map[string]string{"X-Hostile": v},
			Path:    v, Query: map[string]string{"q": v, "token": secret, "a&b": "c"}, Method: "put",
		}
		argv, res := providertest.ReproRun(t, d, req, "curl", "", map[string]string{secret: "FNPROBE_VAR_token"}, []string{"FNPROBE_VAR_token=" + secret})
		if strings.Contains(res.Command, "s3cr") {
			t.Errorf("the command shows the secret: %s", res.Command)
		}
		want := []string{"-sS", "-i", "-X", "PUT",
			"-H", "Authorization: Bearer " + secret, "-H", "User-Agent: fnprobe", "-H", "X-Empty;", "-H", "X-Hostile: " + v,
			"--data-raw", "@not-a-file",
			"--url-query", "a%26b=c", "--url-query", "q=" + v, "--url-query", "token=" + secret,
		}
		if !slices.Equal(argv[:len(want)], want) || len(argv) != len(want)+1 || !strings.HasPrefix(argv[len(want)], "http://127.0.0.1:9/api/fn/") {
			t.Errorf("%q: the shell gave curl\n%q\nwant\n%q + URL\n(command %s)", v, argv, want, res.Command)
		}
	}
}
