package aws_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/cli"
	"github.com/fnprobe/fnprobe/emulator"
	"github.com/fnprobe/fnprobe/emulator/sim"
	"github.com/fnprobe/fnprobe/providers/aws"
)

// fnprobeCLI runs the command line in-process and returns its exit code
// and everything it printed, and the reports it wrote.
func fnprobeCLI(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := cli.Main(ctx, args, cli.Env{Stdout: &stdout, Stderr: &stderr, Getenv: os.Getenv, Registry: cli.NewRegistry(), Width: -1})
	return code, stdout.String() + stderr.String()
}

// issuedKeyRE matches the emulated STS's access key ids and session
// tokens.
var issuedKeyRE = regexp.MustCompile(`ASIA[0-9a-f]{16}|fnprobe-emulator-sts-[0-9a-f]+`)

// TestChainSecretsNeverPrinted runs suites through the command line whose
// credentials come from the chain: keys from a credentials file (with
// special characters) that a function prints back, and temporary
// credentials from the emulator's STS. plan names the source; run, with
// -json, -verbose and a JUnit report, never shows a secret.
func TestChainSecretsNeverPrinted(t *testing.T) {
	cfg := chainConfig()
	cfg.Functions = append(cfg.Functions, sim.FunctionSpec{
		Name: "leak", Behavior: sim.Command,
		// Prints the credentials file in the body and in the log.
		Command: []string{"sh", "-c", `cat "$AWS_SHARED_CREDENTIALS_FILE"; cat "$AWS_SHARED_CREDENTIALS_FILE" >&2`},
	}, sim.FunctionSpec{
		Name: "leaktoken", Behavior: sim.Command,
		// Prints the web identity token the chain sent to STS.
		Command: []string{"sh", "-c", `printf '{"token":"%s"}' "$(cat "$AWS_WEB_IDENTITY_TOKEN_FILE")"; cat "$AWS_WEB_IDENTITY_TOKEN_FILE" >&2`},
	})
	r, err := emulator.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	home := isolate(t)
	writeFile(t, filepath.Join(home, ".aws", "credentials"), "[ci]\naws_access_key_id = "+fileAK+"\naws_secret_access_key = "+fileSecret+"\n")
	writeFile(t, filepath.Join(home, "token"), webToken)
	t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", filepath.Join(home, "token"))
	t.Setenv("AWS_ROLE_ARN", roleARN)
	t.Setenv("AWS_ENDPOINT_URL_STS", r.URL+aws.STSPath)

	dir := t.TempDir()
	suite := `
provider "aws_lambda" {
  alias    = "file"
  region   = "us-east-1"
  endpoint = "` + r.URL + `"
  profile  = "ci"
}

provider "aws_lambda" {
  alias    = "oidc"
  region   = "us-east-1"
  endpoint = "` + r.URL + `"
}

function "leak" {
  provider = provider.aws_lambda.file
  name     = "leak"
}

function "echo" {
  provider = provider.aws_lambda.oidc
  name     = "leaktoken"
}

invocation "leak" {
  function = function.leak
  logs     = true
  expect {
    body = "nothing"
  }
}

invocation "echo" {
  function = function.echo
  logs     = true
  expect {
    body = "nothing"
  }
}
`
	writeFile(t, filepath.Join(dir, "main.probe.hcl"), suite)

	code, out := fnprobeCLI(t, "plan", "-no-color", dir)
	if code != 0 || !strings.Contains(out, `credentials = shared credentials file, profile "ci"`) ||
		!strings.Contains(out, "credentials = web identity (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN "+roleARN+")") {
		t.Errorf("plan: exit %d\n%s", code, out)
	}
	code, out = fnprobeCLI(t, "plan", "-json", dir)
	if code != 0 || !strings.Contains(out, `"credentials":"shared credentials file, profile \"ci\""`) {
		t.Errorf("plan -json: exit %d\n%s", code, out)
	}

	junit := filepath.Join(t.TempDir(), "junit.xml")
	for _, args := range [][]string{
		{"run", "-no-color", "-verbose", "-junit", junit, dir},
		{"run", "-json", "-verbose", dir},
	} {
		code, out := fnprobeCLI(t, args...)
		if code != 1 {
			t.Errorf("%v: exit %d, want 1 (the leaks fail their expectations)\n%s", args, code, out)
		}
		if !strings.Contains(out, "aws_access_key_id") || !strings.Contains(out, "token") {
			t.Errorf("%v: the function's answers are not shown:\n%s", args, out)
		}
		for _, secret := range []string{fileAK, fileSecret, `file/secret+with\"special`, webToken} {
			if strings.Contains(out, secret) {
				t.Errorf("%v: the output holds %q:\n%s", args, secret, out)
			}
		}
		if m := issuedKeyRE.FindString(out); m != "" {
			t.Errorf("%v: the output holds the issued %q:\n%s", args, m, out)
		}
	}
	b, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), fileSecret) || strings.Contains(string(b), fileAK) || strings.Contains(string(b), "file/secret+with&#34;") {
		t.Errorf("the JUnit report holds a secret:\n%s", b)
	}
}

// TestAssumeRoleBlockDiagnostics: validate reports a bad assume_role
// block at its place in the file.
func TestAssumeRoleBlockDiagnostics(t *testing.T) {
	isolate(t)
	tests := []struct {
		name, block string
		want        []string
	}{
		{"missing role_arn", "assume_role {\n    session_name = \"x\"\n  }", []string{"main.probe.hcl line 4", `The argument "role_arn" is required`}},
		{"unknown argument", "assume_role {\n    role_arn = \"" + roleARN + "\"\n    rolearn  = \"x\"\n  }", []string{"main.probe.hcl line 6", `An argument named "rolearn" is not expected here`}},
		{"two blocks", "assume_role {\n    role_arn = \"" + roleARN + "\"\n  }\n  assume_role {\n    role_arn = \"" + roleARN + "\"\n  }", []string{"main.probe.hcl line 7", `Duplicate assume_role block`}},
		{"not a block", "assume_role = \"" + roleARN + "\"", []string{"main.probe.hcl line 4", "Unsupported argument"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "main.probe.hcl"), "provider \"aws_lambda\" {\n  region = \"us-east-1\"\n  access_key = \"AKID\"\n  "+tt.block+"\n}\n"+
				"function \"f\" {\n  provider = provider.aws_lambda\n  name = \"f\"\n}\ninvocation \"i\" {\n  function = function.f\n}\n")
			code, out := fnprobeCLI(t, "validate", "-no-color", dir)
			if code == 0 {
				t.Fatalf("validate passed:\n%s", out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("no %q in:\n%s", w, out)
				}
			}
		})
	}
}
