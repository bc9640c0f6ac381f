package local_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/providers/local"
	"github.com/fnprobe/fnprobe/repro"
)

// TestRepro runs the repro command of a local function in a real shell:
// the command itself, in its directory, with its environment and the
// payload on stdin, must see what the driver gives it.
func TestRepro(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	const secret = "tok'$(id)`x`"
	for _, v := range []string{`it's "q"`, "$(touch pwned)", "`id`", "a\nb", "esc\x1b[0m", "日本語", "-n"} {
		for _, withDir := range []bool{false, true} {
			base := t.TempDir()
			wd := filepath.Join(base, "work "+strings.ReplaceAll(v, "\n", "_"))
			if err := os.MkdirAll(wd, 0o755); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(base, "out")
			script := `printf '%s\000' "$PWD" "$STAGE" "$TOKEN" "$1" "$(cat)" > "$OUT"`
			req := &providers.Request{
				Provider: cty.ObjectVal(map[string]cty.Value{"env": cty.MapVal(map[string]cty.Value{"OUT": cty.StringVal(out)})}),
				Function: cty.ObjectVal(map[string]cty.Value{
					"command": cty.ListVal([]cty.Value{cty.StringVal("sh"), cty.StringVal("-c"), cty.StringVal(script), cty.StringVal("sh"), cty.StringVal(v)}),
					"env":     cty.MapVal(map[string]cty.Value{"STAGE": cty.StringVal(v), "TOKEN": cty.StringVal(secret)}),
					"dir":     cty.StringVal(wd),
				}),
				Type: providers.TypeSync, Payload: []byte("payload " + v),
			}
			dir := ""
			if withDir {
				dir = filepath.Join(base, "repro")
			}
			res := repro.New(repro.Options{Dir: dir, Secrets: repro.NewSecrets(map[string]string{secret: "FNPROBE_VAR_token"})}).Build("invocation.x", local.New(), req)
			if res.Command == "" || strings.Contains(res.Command, "tok'") {
				t.Fatalf("%q: command %q", v, res.Command)
			}
			if !withDir && strings.Contains(res.Command, repro.Placeholder) {
				continue // a payload that cannot go inline: the user writes the file
			}
			cmd := exec.Command("sh", "-c", res.Command)
			cmd.Env = []string{"PATH=/usr/bin:/bin", "FNPROBE_VAR_token=" + secret}
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("sh -c %s: %v\n%s", res.Command, err, b)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
			want := []string{wd, v, secret, v, strings.TrimRight("payload "+v, "\n")}
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("%q dir=%v: the command saw %q, want %q (command %s)", v, withDir, got, want, res.Command)
			}
		}
	}
}
