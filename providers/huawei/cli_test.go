package huawei_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/cli"
	"github.com/fnprobe/fnprobe/emulator/sim"
	"github.com/fnprobe/fnprobe/providers/huawei"
)

// Temporary credentials from a profile file in a temporary home run
// through the whole CLI: plan names the source and no secret; run -json and
// -verbose never print the access key, the secret or the security token,
// even when the function echoes them (the suite reads the profile file
// itself).
func TestCLICredentialChainRedacts(t *testing.T) {
	r := start(t)
	home := isolate(t)
	sts := r.Env.IssueCredential(huawei.CredentialProvider, "STS", sim.Credential{ProjectID: project}, time.Hour)
	profile := writeFile(t, filepath.Join(home, ".huaweicloud", "credentials"),
		"[basic]\nak = "+sts.AccessKeyID+"\nsk = "+sts.Secret+"\nsecurity_token = "+sts.SecurityToken+"\nproject_id = "+project+"\n")
	dir := t.TempDir()
	src := `
provider "huaweicloud_functiongraph" {
  region   = "cn-north-4"
  endpoint = env("EMULATOR")
}

function "echo" {
  provider = provider.huaweicloud_functiongraph
  name     = "echo"
}

invocation "leak" {
  function = function.echo
  payload  = { profile = file(env("PROFILE")) }
  expect {
    status = 200
  }
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.probe.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"EMULATOR": r.URL, "PROFILE": profile}
	secrets := []string{sts.AccessKeyID, sts.Secret, sts.SecurityToken}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"plan", "-no-color", dir}, 0, `credentials = profile file ~/.huaweicloud/credentials, profile "basic" (temporary)`},
		{[]string{"plan", "-json", dir}, 0, `"credentials":"profile file ~/.huaweicloud/credentials, profile \"basic\" (temporary)"`},
		{[]string{"run", "-no-color", "-verbose", dir}, 0, "(sensitive)"},
		{[]string{"run", "-json", "-verbose", dir}, 0, "(sensitive)"},
	} {
		var stdout, stderr bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		code := cli.Main(ctx, tc.args, cli.Env{
			Stdout: &stdout, Stderr: &stderr, Registry: cli.NewRegistry(), Width: -1,
			Getenv: func(k string) string { return env[k] },
		})
		cancel()
		out := stdout.String() + stderr.String()
		if code != tc.code || !strings.Contains(out, tc.want) {
			t.Errorf("%v: exit %d, want %d and %q in:\n%s", tc.args, code, tc.code, tc.want, out)
		}
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%v: the output shows the secret %q:\n%s", tc.args, s, out)
			}
		}
	}
}
