package alicloud_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/cli"
)

// TestChainThroughCLI runs a suite through fnprobe's command line with
// the credentials coming from the OIDC variables (FC 2.0) and from a
// role assumed with those (FC 3.0): plan names each source, the run
// passes against the emulator, and no part of a temporary credential
// appears in any output, human, -json or -verbose.
func TestChainThroughCLI(t *testing.T) {
	s := startSTS(t)
	home := freshHome(t)
	oidcEnv(t, home, oidcToken)
	deployRole := "acs:ram::1234567890123456:role/deploy"
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "main.probe.hcl"), fmt.Sprintf(`
provider "alicloud_fc3" {
  region       = "cn-hangzhou"
  endpoint     = %[1]q
  sts_endpoint = %[2]q

  assume_role {
    role_arn     = %[3]q
    session_name = "cli-probe"
    external_id  = "fnprobe"
  }
}

provider "alicloud_fc2" {
  region       = "cn-hangzhou"
  account_id   = "1234567890123456"
  endpoint     = %[1]q
  sts_endpoint = %[2]q
}

function "fc3" {
  provider = provider.alicloud_fc3
  name     = "echo"
}

function "fc2" {
  provider = provider.alicloud_fc2
  service  = "svc"
  name     = "echo"
}

invocation "fc3" {
  function = function.fc3
  payload  = { hello = "fc3" }
  logs     = true
  expect {
    status = 200
    json   = { hello = "fc3" }
  }
}

invocation "fc2" {
  function = function.fc2
  payload  = { hello = "fc2" }
  logs     = true
  expect {
    status = 200
    json   = { hello = "fc2" }
  }
}
`, s.fcURL, "https://"+s.stsEndpoint, deployRole))

	run := func(args ...string) (int, string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		code := cli.Main(ctx, append(args, dir), cli.Env{
			Stdout: &stdout, Stderr: &stderr,
			Getenv:   os.Getenv,
			Registry: cli.NewRegistry(),
		})
		return code, stdout.String() + "\n" + stderr.String()
	}

	code, out := run("plan", "-no-color")
	oidc := "OIDC role " + roleARN + " (ALIBABA_CLOUD_OIDC_TOKEN_FILE)"
	for _, want := range []string{
		"credentials = RAM role " + deployRole + " via " + oidc,
		"credentials = " + oidc,
	} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("plan: exit %d, want %q in\n%s", code, want, out)
		}
	}
	if n := len(s.answers()); n != 0 {
		t.Errorf("plan called STS %d times", n)
	}

	var outputs []string
	for _, args := range [][]string{
		{"run", "-no-color", "-verbose"},
		{"run", "-json", "-verbose"},
		{"run", "-json"},
	} {
		code, out := run(args...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, code, out)
		}
		if !strings.Contains(strings.ToLower(out), "security-token") && strings.Contains(strings.Join(args, " "), "verbose") {
			t.Errorf("%v: the trace shows no security token header, so it checks nothing:\n%s", args, out)
		}
		outputs = append(outputs, out)
	}
	issued := s.answers()
	// Each run asks STS anew (a new driver): OIDC for FC 2.0 and for
	// the role's source, then AssumeRole for FC 3.0.
	if len(issued) < 3 {
		t.Fatalf("STS issued %d credentials: %+v", len(issued), issued)
	}
	for i, out := range outputs {
		for _, a := range issued {
			for _, secret := range []string{a.Creds.AccessKeyId, a.Creds.AccessKeySecret, a.Creds.SecurityToken} {
				if strings.Contains(out, secret) {
					t.Errorf("output %d shows %q (%s):\n%s", i, secret, a.Action, out)
				}
			}
		}
		if strings.Contains(out, oidcToken) {
			t.Errorf("output %d shows the OIDC token", i)
		}
	}
}
