package tencent_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/cli"
	"github.com/fnprobe/fnprobe/providers/tencent"
)

// A token read from a file runs through the whole CLI: plan names the file
// and not the token; run -json and -verbose never print the token, even
// when the function echoes it (the suite reads the file itself).
func TestCLITokenFileRedacts(t *testing.T) {
	r := start(t)
	dir := t.TempDir()
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(testToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, block, source string
	}{
		{"access_token_file", `access_token_file = env("TOKEN_FILE")`, "token file $FILE (access_token_file)"},
		{"TCB_ACCESS_TOKEN_FILE", "", "token file $FILE (TCB_ACCESS_TOKEN_FILE)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(tencent.EnvAccessToken, "")
			t.Setenv(tencent.EnvAccessTokenFile, "")
			if tc.block == "" {
				t.Setenv(tencent.EnvAccessTokenFile, tokenFile)
			}
			src := `
provider "tencent_cloudbase" {
  env_id   = "cloud1-abc"
  endpoint = env("EMULATOR")
  ` + tc.block + `
}

function "echo" {
  provider = provider.tencent_cloudbase
  name     = "echo"
}

invocation "leak" {
  function = function.echo
  payload  = { token = file(env("TOKEN_FILE")) }
  expect {
    status = 200
  }
}
`
			if err := os.WriteFile(filepath.Join(dir, "main.probe.hcl"), []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			env := map[string]string{"EMULATOR": r.URL, "TOKEN_FILE": tokenFile}
			source := strings.ReplaceAll(tc.source, "$FILE", tokenFile)
			for _, c := range []struct {
				args []string
				want string
			}{
				{[]string{"plan", "-no-color", dir}, "credentials = " + source},
				{[]string{"plan", "-json", dir}, `"credentials":"` + source + `"`},
				{[]string{"run", "-no-color", "-verbose", dir}, "(sensitive)"},
				{[]string{"run", "-json", "-verbose", dir}, "(sensitive)"},
			} {
				var stdout, stderr bytes.Buffer
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				code := cli.Main(ctx, c.args, cli.Env{
					Stdout: &stdout, Stderr: &stderr, Registry: cli.NewRegistry(), Width: -1,
					Getenv: func(k string) string { return env[k] },
				})
				cancel()
				out := stdout.String() + stderr.String()
				if code != 0 || !strings.Contains(out, c.want) {
					t.Errorf("%v: exit %d, want 0 and %q in:\n%s", c.args, code, c.want, out)
				}
				if strings.Contains(out, testToken) {
					t.Errorf("%v: the output shows the token:\n%s", c.args, out)
				}
			}
		})
	}
}
