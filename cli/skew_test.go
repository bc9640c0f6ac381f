package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/cli"
	"github.com/fnprobe/fnprobe/emulator"
	"github.com/fnprobe/fnprobe/emulator/sim"
)

// TestAlicloudClockSkew: when the client's clock is 20 minutes off the
// service's, the signed request is refused (FC allows 15 minutes) and the
// run records the invocation as unanswered: exit 3. Ten minutes is fine.
func TestAlicloudClockSkew(t *testing.T) {
	for _, tc := range []struct {
		skew time.Duration
		exit int
		want string
	}{
		{skew: 20 * time.Minute, exit: 3, want: "HTTP 403 RequestTimeTooSkewed"},
		{skew: -20 * time.Minute, exit: 3, want: "HTTP 403 RequestTimeTooSkewed"},
		{skew: 10 * time.Minute, exit: 0, want: "pass"},
	} {
		t.Run(tc.skew.String(), func(t *testing.T) {
			em, err := emulator.Start(emulator.Config{
				Credentials: []sim.Credential{{Provider: "alicloud", AccessKeyID: "AK", Secret: "SK"}},
				Functions:   []sim.FunctionSpec{{Name: "echo", Behavior: sim.Echo}},
			})
			if err != nil {
				t.Fatal(err)
			}
			defer em.Close()
			em.Env.SetClock(func() time.Time { return time.Now().Add(tc.skew) })
			dir := t.TempDir()
			src := `
provider "alicloud_fc3" {
  region            = "cn-hangzhou"
  endpoint          = env("EMULATOR")
  access_key_id     = "AK"
  access_key_secret = "SK"
}
function "echo" { name = "echo" }
invocation "echo" { function = function.echo }
`
			for _, api := range []string{"main.probe.hcl"} {
				if err := os.WriteFile(filepath.Join(dir, api), []byte(src), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var stdout, stderr bytes.Buffer
			code := cli.Main(context.Background(), []string{"run", "-no-color", dir}, cli.Env{
				Stdout: &stdout, Stderr: &stderr,
				Getenv:   func(k string) string { return map[string]string{"EMULATOR": em.URL}[k] },
				Registry: cli.NewRegistry(),
			})
			if code != tc.exit || !strings.Contains(stdout.String(), tc.want) {
				t.Errorf("exit %d (want %d), output lacks %q:\n%s%s", code, tc.exit, tc.want, stdout.String(), stderr.String())
			}
		})
	}
}
