package cli_test

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/cli"
	"github.com/fnprobe/fnprobe/providers/alicloud"
	"github.com/fnprobe/fnprobe/providers/aws"
	"github.com/fnprobe/fnprobe/providers/huawei"
	"github.com/fnprobe/fnprobe/providers/tencent"
)

// exampleDirs returns the suites under examples/, and whether each has an
// emulator.hcl (a cloud example, run offline with -emulate).
func exampleDirs(t *testing.T) map[string]bool {
	t.Helper()
	dirs, err := filepath.Glob("../examples/*")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, dir := range dirs {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			continue
		}
		if suites, _ := filepath.Glob(filepath.Join(dir, "*.probe.*")); len(suites) == 0 {
			continue // not a suite: examples/ci holds a CI workflow
		}
		_, err := os.Stat(filepath.Join(dir, "emulator.hcl"))
		out[dir] = err == nil
	}
	if len(out) == 0 {
		t.Fatal("no examples found")
	}
	return out
}

// TestExamples runs every suite under examples/ as the README tells users
// to, and requires it to pass: a cloud example with
// `fnprobe run -emulate DIR/emulator.hcl DIR`, the others with
// `fnprobe run DIR`. The suite's environment is empty: -emulate must
// supply the credentials.
func TestExamples(t *testing.T) {
	for dir, cloud := range exampleDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			args := []string{"run", "-no-color", dir}
			if cloud {
				args = []string{"run", "-no-color", "-emulate", filepath.Join(dir, "emulator.hcl"), dir}
			}
			var stdout, stderr bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			code := cli.Main(ctx, args, cli.Env{
				Stdout: &stdout, Stderr: &stderr,
				Getenv:   func(string) string { return "" },
				Registry: cli.NewRegistry(),
			})
			if code != 0 {
				t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
			}
		})
	}
}

// noCredentials matches the drivers' refusals to invoke without
// credentials (tencent_cloudbase's says "no access token").
var noCredentials = regexp.MustCompile(`: no (credentials|access token): set `)

// TestExamplesWithoutCredentials runs every cloud example as a user would
// against the cloud, without -emulate and without credentials in the
// environment: each must fail with its driver's "no credentials" error and
// send nothing. FNPROBE_ENDPOINT aims the providers at a loopback listener
// that counts connections, so a driver that dialled would be caught.
func TestExamplesWithoutCredentials(t *testing.T) {
	for _, name := range []string{
		alicloud.EnvAccessKeyID, alicloud.EnvAccessKeySecret, alicloud.EnvSecurityToken,
		aws.EnvAccessKeyID, aws.EnvSecretAccessKey, aws.EnvSessionToken,
		huawei.EnvAccessKey, huawei.EnvSecretKey, huawei.EnvSecurityToken, huawei.EnvCredentialsFile,
		huawei.EnvIdpID, huawei.EnvIDTokenFile, huawei.EnvPodIdentityURI, huawei.EnvPodIdentityTokenFile,
		tencent.EnvAccessToken, tencent.EnvAccessTokenFile,
	} {
		t.Setenv(name, "") // drivers read the process environment
	}
	t.Setenv("HOME", t.TempDir())                // and credential files under it
	t.Setenv(huawei.EnvMetadataDisabled, "true") // never 169.254.169.254 from a test
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			c.Close()
		}
	}()
	env := map[string]string{"FNPROBE_ENDPOINT": "http://" + ln.Addr().String()}
	ran := 0
	for dir, cloud := range exampleDirs(t) {
		if !cloud {
			continue
		}
		ran++
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			code := cli.Main(ctx, []string{"run", "-no-color", dir}, cli.Env{
				Stdout: &stdout, Stderr: &stderr,
				Getenv:   func(k string) string { return env[k] },
				Registry: cli.NewRegistry(),
			})
			if code != 3 || !noCredentials.MatchString(stdout.String()) {
				t.Errorf("exit %d, want 3 and the drivers' \"no credentials\" error\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
			}
			for _, line := range strings.Split(stdout.String(), "\n") {
				if strings.Contains(line, ": error: ") && !noCredentials.MatchString(line) {
					t.Errorf("an invocation failed otherwise: %s", line)
				}
				// Missing credentials cannot heal: one attempt, not the
				// suite's retry budget.
				if strings.Contains(line, ": error: ") && !strings.Contains(line, "(1 attempt,") {
					t.Errorf("retried: %s", line)
				}
			}
		})
	}
	if n := conns.Load(); n != 0 {
		t.Errorf("%d connections reached the endpoint; want none", n)
	}
	if ran == 0 {
		t.Fatal("no cloud examples")
	}
}
