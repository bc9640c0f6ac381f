package tencent_test

import (
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/providers/providertest"
	"github.com/fnprobe/fnprobe/providers/tencent"
)

func TestRepro(t *testing.T) {
	d := tencent.New()
	for _, v := range providertest.Hostile {
		for _, tc := range []struct {
			web     bool
			dir     bool
			payload string
			want    func(file string) []string
		}{
			{payload: `{"a":"` + v + `"}`, want: func(f string) []string {
				if printable(v) {
					return []string{"-d", `{"a":"` + v + `"}`}
				}
				return []string{"-d", "@" + f} // not inline: a file the user makes
			}},
			{dir: true, payload: "@x", want: func(f string) []string { return []string{"-d", "@" + f} }},
			// Small enough to go inline, but tcb would read the file it
			// names: it goes through the payload file.
			{payload: "@/etc/passwd", want: func(f string) []string { return []string{"-d", "@" + f} }},
			{web: true, payload: "{}", want: func(string) []string { return []string{"-X", "POST", "-H", "X-H: " + v, "-d", "{}"} }},
		} {
			dir := ""
			if tc.dir {
				dir = t.TempDir()
			}
			req := &providers.Request{
				Provider: cty.ObjectVal(map[string]cty.Value{"env_id": cty.StringVal("env-1")}),
				Function: cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal(v), "web": cty.BoolVal(tc.web)}),
				Type:     providers.TypeSync, Payload: []byte(tc.payload), Headers: map[string]string{"X-H": v},
			}
			argv, res := providertest.ReproRun(t, d, req, "tcb", dir, nil, nil)
			file := res.PayloadFile
			if file == "" {
				file = "payload.json"
			}
			want := append([]string{"fn", "invoke", v, "-e", "env-1"}, tc.want(file)...)
			if !slices.Equal(argv, want) {
				t.Errorf("%q: the shell gave tcb\n%q\nwant\n%q\n(command %s)", v, argv, want, res.Command)
			}
		}
	}
}

func printable(s string) bool {
	for _, r := range s {
		if r != '\n' && !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// TestReproNotes: what tcb cannot say is said in the note: the version the
// function block names, and the provider's endpoint.
func TestReproNotes(t *testing.T) {
	d := tencent.New()
	req := &providers.Request{
		Provider: cty.ObjectVal(map[string]cty.Value{"env_id": cty.StringVal("env-1"), "endpoint": cty.StringVal("http://127.0.0.1:9")}),
		Function: cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("f"), "version": cty.StringVal("7")}),
		Type:     providers.TypeSync,
	}
	r, ok := d.Repro(req, providers.ReproPayload{File: "payload.json"})
	if !ok {
		t.Fatal("no repro")
	}
	for _, want := range []string{"no option for the version (7)", "no option for the provider's endpoint (http://127.0.0.1:9)"} {
		if !strings.Contains(r.Note, want) {
			t.Errorf("note %q does not say %q", r.Note, want)
		}
	}
}
