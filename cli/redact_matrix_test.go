package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/cli"
	"github.com/fnprobe/fnprobe/report"
)

// The secrets of the matrix: every character that some encoding changes.
const (
	// matrixToken is a sensitive variable.
	matrixToken = "p@ss \"w\\ord\"/?&%#+= ü 秘密\n"
	// matrixEnvKey is TCB_ACCESS_TOKEN, a credential the tencent driver
	// reads from the environment; the suite reads it with env().
	matrixEnvKey = "k3y \"q\\z\"/?&%#+= ä 鍵\t!"
	// matrixAK is a provider secret attribute (aws_lambda secret_key) set
	// from a variable that is not sensitive.
	matrixAK = "AK<&>'x' \"y\\z\" ö 钥"
)

// redactMatrixSuite is the run suite. ECHO is the echo server, CLOSED a
// loopback port nobody listens on.
const redactMatrixSuite = `
settings {
  retry {
    attempts = 1
  }
}

variable "token" {
  type      = string
  sensitive = true
}

variable "ak" {
  type = string
}

provider "http" {}

provider "aws_lambda" {
  region     = "us-east-1"
  access_key = "AKIDEXAMPLE"
  secret_key = var.ak
  endpoint   = "http://CLOSED"
}

function "echo" {
  provider = provider.http
  url      = "ECHO/echo"
  method   = "POST"
}

function "down" {
  provider = provider.http
  url      = "http://CLOSED/fn/${urlencode(var.token)}?token=${urlencode(var.token)}"
}

# Not marked sensitive: only the Redactor's percent-encoded forms of the
# credential keep it out of the transport error.
function "down_env" {
  provider = provider.http
  url      = "http://CLOSED/fn/${urlencode(env("TCB_ACCESS_TOKEN"))}?k=${urlencode(env("TCB_ACCESS_TOKEN"))}"
}

function "lambda" {
  provider = provider.aws_lambda
  name     = "fn"
}

invocation "echo" {
  function = function.echo
  payload  = jsonencode({ token = var.token, key = env("TCB_ACCESS_TOKEN"), ak = var.ak })
  headers = {
    "X-Token" = trimspace(var.token)
    "X-Key"   = trimspace(env("TCB_ACCESS_TOKEN"))
    "X-Ak"    = var.ak
  }
  expect {
    body = "nope"
  }
  assert {
    condition     = self.json.token == "other"
    error_message = "token was ${self.json.token}; key was ${self.json.key}; ak was ${self.json.ak}"
  }
  assert {
    condition     = self.json.key == "other"
    error_message = "headers: ${jsonencode(self.headers)}"
  }
  assert {
    condition     = self.json.token != var.token
    error_message = "token is ${var.token}"
  }
  assert {
    condition     = self.headers["x-echo-key"] == "other"
    error_message = "echoed header ${self.headers["x-echo-key"]} and ${self.headers["x-echo-ak"]}"
    severity      = "warn"
  }
}

invocation "echo_ok" {
  function = function.echo
  payload  = jsonencode({ token = var.token, key = env("TCB_ACCESS_TOKEN"), ak = var.ak })
  headers = {
    "X-Token" = trimspace(var.token)
    "X-Key"   = trimspace(env("TCB_ACCESS_TOKEN"))
    "X-Ak"    = var.ak
  }
}

# The body is longer than failure messages quote: the excerpt ends
# inside the secret.
invocation "long" {
  function = function.echo
  payload  = "${join("", [for i in range(19) : "0123456789"])}${var.token}${env("TCB_ACCESS_TOKEN")}"
  expect {
    body = "nope"
  }
}

invocation "down" {
  function = function.down
  payload  = var.token
}

# A secret in the query and a header, none in the payload: the payload is
# written to -repro-dir, the secret is a reference in the curl line.
invocation "query" {
  function = function.echo
  payload  = jsonencode({ plain = "x" })
  query    = { token = var.token, key = env("TCB_ACCESS_TOKEN") }
  headers  = { "X-Key" = env("TCB_ACCESS_TOKEN") }
  expect {
    body = "nope"
  }
}

invocation "down_env" {
  function = function.down_env
}

invocation "keyed" {
  for_each = toset([env("TCB_ACCESS_TOKEN"), "plain"])
  function = function.echo
  payload  = each.key
  tags     = [env("TCB_ACCESS_TOKEN")]
}

invocation "lambda" {
  function = function.lambda
  payload  = jsonencode({ ak = var.ak, key = env("TCB_ACCESS_TOKEN") })
}

output "token" {
  value = var.token
}

output "echoed" {
  value = invocation.echo_ok.json
}

output "headers" {
  value = invocation.echo_ok.headers
}

output "body" {
  value = invocation.echo_ok.body
}

output "key" {
  value = env("TCB_ACCESS_TOKEN")
}
`

// redactMatrixInvalid is a suite that validate rejects with the secret in
// the offending URL.
const redactMatrixInvalid = `
variable "token" {
  type      = string
  sensitive = true
}

variable "ak" {
  type = string
}

provider "aws_lambda" {
  region     = "us-east-1"
  access_key = "AKIDEXAMPLE"
  secret_key = var.ak
}

function "bad" {
  provider = provider.http
  url      = "http://127.0.0.1:1/x/${var.token}/${var.ak}/${env("TCB_ACCESS_TOKEN")}"
}

invocation "bad" {
  function = function.bad
}
`

// secretLeaks returns the forms of secret found in out: as it is, trimmed,
// Go-quoted, JSON-escaped, HCL-escaped, percent-encoded (URLs and GitHub
// workflow commands), XML-escaped, and
// distinctive fragments of it.
func secretLeaks(out, secret string, fragments []string) []string {
	inner := func(q string) string { return q[1 : len(q)-1] }
	jsonHTML, _ := json.Marshal(secret)
	var jsonPlain bytes.Buffer
	enc := json.NewEncoder(&jsonPlain)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(secret)
	var xmlEsc bytes.Buffer
	_ = xml.EscapeText(&xmlEsc, []byte(secret))
	forms := map[string]string{
		"raw":           secret,
		"trimmed":       strings.TrimSpace(secret),
		"Go-quoted":     inner(strconv.Quote(secret)),
		"Go-quoted (+)": inner(strconv.QuoteToASCII(secret)),
		"JSON":          inner(string(jsonHTML)),
		"JSON no HTML":  inner(strings.TrimSuffix(jsonPlain.String(), "\n")),
		"HCL":           inner(string(hclwrite.TokensForValue(cty.StringVal(secret)).Bytes())),
		"QueryEscape":   url.QueryEscape(secret),
		"PathEscape":    url.PathEscape(secret),
		"URL path":      (&url.URL{Path: secret}).EscapedPath(),
		"XML":           xmlEsc.String(),
		// GitHub workflow commands percent-encode messages and properties.
		"GitHub data":     report.EscapeGitHubData(secret),
		"GitHub property": report.EscapeGitHubProperty(secret),
		"GitHub trimmed":  report.EscapeGitHubData(strings.TrimSpace(secret)),
	}
	for _, f := range fragments {
		forms["fragment "+f] = f
	}
	var leaks []string
	for name, f := range forms {
		if strings.Contains(out, f) {
			leaks = append(leaks, name+" "+strconv.Quote(f))
		}
	}
	return leaks
}

var matrixSecrets = []struct {
	name, value string
	fragments   []string
}{
	{"sensitive variable", matrixToken, []string{"p@ss", "p%40ss", "秘", "%E7%A7%98", `\u79d8`, `w\ord`, `w\\ord`, "w%5Cord"}},
	{"secret env var", matrixEnvKey, []string{"k3y", "鍵", "%E9%8D%B5", `\u9375`, `q\z`, `q\\z`}},
	{"provider secret attribute", matrixAK, []string{"AK<", "AK&lt;", `AK\u003c`, "AK%3C", "钥", `\u94a5`, "%E9%92%A5"}},
}

// assertNoSecret fails when out holds any secret of the matrix in any form.
func assertNoSecret(t *testing.T, where, out string) {
	t.Helper()
	for _, s := range matrixSecrets {
		if leaks := secretLeaks(out, s.value, s.fragments); len(leaks) > 0 {
			t.Errorf("%s: the %s leaks as %s:\n%s", where, s.name, strings.Join(leaks, ", "), out)
		}
	}
}

// startEcho serves /echo: the request body back, and the request's X-Key
// and X-Ak headers as X-Echo-Key and X-Echo-Ak.
func startEcho(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Echo-Key", r.Header.Get("X-Key"))
		w.Header().Set("X-Echo-Ak", r.Header.Get("X-Ak"))
		w.Header().Set("X-Echo-Token", r.Header.Get("X-Token"))
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// closedPort returns host:port of a loopback port that refuses connections.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestRedactMatrix sends three secrets (a sensitive variable given by -var,
// FNPROBE_VAR_ or a variable file; a credential environment variable; a
// provider secret attribute) into a payload, headers, a URL that cannot be
// reached, assertion messages, outputs and a function that echoes them, and
// checks that no form of any of them reaches any output: the human view
// with and without colour, -json, the -verbose request traces, JUnit,
// GitHub Actions' annotations (percent-encoded), the Markdown summary and
// the step summary, plan, graph and validate, and the diagnostics of a
// suite that does not validate.
func TestRedactMatrix(t *testing.T) {
	echo, closed := startEcho(t), closedPort(t)
	hclString := func(s string) string { return string(hclwrite.TokensForValue(cty.StringVal(s)).Bytes()) }

	for _, source := range []string{"-var", "env", "var-file"} {
		t.Run(source, func(t *testing.T) {
			dir := t.TempDir()
			suite := filepath.Join(dir, "suite")
			invalid := filepath.Join(dir, "invalid")
			for d, src := range map[string]string{suite: redactMatrixSuite, invalid: redactMatrixInvalid} {
				src = strings.NewReplacer("ECHO", echo, "CLOSED", closed).Replace(src)
				if err := os.MkdirAll(d, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(d, "main.probe.hcl"), []byte(src), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			env := map[string]string{"TCB_ACCESS_TOKEN": matrixEnvKey, "FNPROBE_VAR_ak": matrixAK}
			var varArgs []string
			switch source {
			case "-var":
				varArgs = []string{"-var", "token=" + matrixToken}
			case "env":
				env["FNPROBE_VAR_token"] = matrixToken
			case "var-file":
				vf := filepath.Join(dir, "secret.probevars.hcl")
				if err := os.WriteFile(vf, []byte("token = "+hclString(matrixToken)+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				varArgs = []string{"-var-file", vf}
			}
			junit := filepath.Join(dir, "junit.xml")
			markdown := filepath.Join(dir, "summary.md")
			stepSummary := filepath.Join(dir, "step_summary.md")
			reproDir := filepath.Join(dir, "repro")

			for _, tc := range []struct {
				args     []string
				terminal bool
				github   bool // on GitHub Actions: annotations, step summary
				want     int
			}{
				{args: []string{"run", "-no-color", "-junit", junit, "-repro-dir", reproDir}, want: 1},
				{args: []string{"run", "-no-color", "-report-markdown", markdown}, github: true, want: 1},
				{args: []string{"run", "-json", "-report-markdown", markdown}, github: true, want: 1},
				{args: []string{"run", "-verbose"}, github: true, terminal: true, want: 1},
				{args: []string{"run", "-ci", "github", "-no-color"}, want: 1},
				{args: []string{"run"}, terminal: true, want: 1},
				{args: []string{"run", "-json", "-repro-dir", reproDir}, want: 1},
				{args: []string{"run", "-verbose", "-no-color"}, want: 1},
				{args: []string{"run", "-verbose", "-json"}, want: 1},
				{args: []string{"plan", "-no-color"}, want: 0},
				{args: []string{"plan"}, terminal: true, want: 0},
				{args: []string{"plan", "-json"}, want: 0},
				{args: []string{"graph"}, want: 0},
				{args: []string{"validate"}, want: 0},
				{args: []string{"validate", "-json"}, want: 0},
			} {
				for _, path := range []string{suite, invalid} {
					want := tc.want
					if path == invalid {
						want = 2
					}
					args := append(append(append([]string(nil), tc.args...), varArgs...), path)
					where := strings.Join(append(tc.args, filepath.Base(path)), " ")
					caseEnv := env
					if tc.github {
						caseEnv = map[string]string{
							"GITHUB_ACTIONS":      "true",
							"GITHUB_WORKSPACE":    dir,
							"GITHUB_STEP_SUMMARY": stepSummary,
						}
						for k, v := range env {
							caseEnv[k] = v
						}
					}
					var stdout, stderr bytes.Buffer
					code := cli.Main(context.Background(), args, cli.Env{
						Stdout: &stdout, Stderr: &stderr, IsTerminal: tc.terminal,
						Getenv:   func(k string) string { return caseEnv[k] },
						Registry: cli.NewRegistry(),
					})
					out := stdout.String() + stderr.String()
					if tc.github || len(tc.args) > 1 && tc.args[1] == "-ci" {
						// The annotations were written, and hold what the
						// secrets were redacted to.
						if !strings.Contains(out, "::error file=") || !strings.Contains(out, "(sensitive)") {
							t.Errorf("%s: no annotation, or none redacted:\n%s", where, out)
						}
						if path == suite && !strings.Contains(out, "::warning file=") {
							t.Errorf("%s: no warning annotation:\n%s", where, out)
						}
					}
					if tc.github && path == suite {
						for _, f := range []string{markdown, stepSummary} {
							b, err := os.ReadFile(f)
							if err != nil {
								t.Fatal(err)
							}
							assertNoSecret(t, where+" "+filepath.Base(f), string(b))
							if !strings.Contains(string(b), "(sensitive)") || !strings.Contains(string(b), "### Failures and warnings") {
								t.Errorf("%s: %s has no redacted failure:\n%s", where, filepath.Base(f), b)
							}
						}
					}
					if code != want {
						t.Errorf("%s: exit %d, want %d\n%s", where, code, want, out)
					}
					assertNoSecret(t, where, out)
					if tc.args[0] == "run" && path == suite {
						// The secrets did flow: the echo answered them and
						// the unreachable URL carried one.
						for _, s := range []string{"(sensitive)", "POST (sensitive): could not connect", "/fn/(sensitive)?k=(sensitive): could not connect", "echoed", "x-echo-ak"} {
							if !strings.Contains(out, s) {
								t.Errorf("%s: %q missing from the output:\n%s", where, s, out)
							}
						}
					}
					if tc.args[0] == "run" && path == suite {
						// Every failure ends with its repro lines, the
						// secrets in them references to their variables.
						if !strings.Contains(out, "fnprobe run -target=invocation.lambda") {
							t.Errorf("%s: no rerun line:\n%s", where, out)
						}
						if !strings.Contains(out, `--url-query token="${FNPROBE_VAR_token}"`) && !strings.Contains(out, `--url-query token=\"${FNPROBE_VAR_token}\"`) {
							t.Errorf("%s: the curl line does not refer to FNPROBE_VAR_token:\n%s", where, out)
						}
						if !strings.Contains(out, `X-Key: '"${TCB_ACCESS_TOKEN}"`) && !strings.Contains(out, `X-Key: '\"${TCB_ACCESS_TOKEN}\"`) {
							t.Errorf("%s: the curl line does not refer to TCB_ACCESS_TOKEN:\n%s", where, out)
						}
						if source == "-var" && !strings.Contains(out, `-var='token=`) && !strings.Contains(out, `-var=token=`) {
							t.Errorf("%s: the rerun line has no -var:\n%s", where, out)
						}
						if source == "-var" && !strings.Contains(out, `"${FNPROBE_VAR_token}"`) && !strings.Contains(out, `\"${FNPROBE_VAR_token}\"`) {
							t.Errorf("%s: the rerun line does not refer to FNPROBE_VAR_token:\n%s", where, out)
						}
					}
					if len(tc.args) > 1 && tc.args[1] == "-verbose" && path == suite && !strings.Contains(out, "POST ") {
						t.Errorf("%s: no request trace in the output:\n%s", where, out)
					}
					if path == invalid && !strings.Contains(out, "(sensitive)") {
						t.Errorf("%s: the invalid URL is not reported redacted:\n%s", where, out)
					}
				}
			}
			b, err := os.ReadFile(junit)
			if err != nil {
				t.Fatal(err)
			}
			assertNoSecret(t, "JUnit", string(b))
			// The payload files: owner-only, and secret-free (a payload
			// holding a secret is not written).
			if fi, err := os.Stat(reproDir); err != nil || fi.Mode().Perm() != 0o700 {
				t.Errorf("-repro-dir: %v, mode %v, want 0700", err, fi)
			}
			files, _ := os.ReadDir(reproDir)
			if len(files) == 0 {
				t.Errorf("-repro-dir %s holds no payload", reproDir)
			}
			for _, f := range files {
				fi, err := f.Info()
				if err != nil || fi.Mode().Perm() != 0o600 {
					t.Errorf("%s: %v, mode %v, want 0600", f.Name(), err, fi)
				}
				b, err := os.ReadFile(filepath.Join(reproDir, f.Name()))
				if err != nil {
					t.Fatal(err)
				}
				assertNoSecret(t, "-repro-dir "+f.Name(), string(b))
			}
			if err := xml.Unmarshal(b, new(struct{})); err != nil {
				t.Errorf("JUnit is not XML: %v", err)
			}
			// The step summary was appended to by every run on GitHub.
			b, err = os.ReadFile(stepSummary)
			if err != nil {
				t.Fatal(err)
			}
			assertNoSecret(t, "GITHUB_STEP_SUMMARY", string(b))
			if n := strings.Count(string(b), "## fnprobe: "); n != 6 {
				t.Errorf("%d summaries appended to GITHUB_STEP_SUMMARY, want 6 (3 runs of each of 2 suites)", n)
			}
		})
	}
}

// A value given for a sensitive variable is a secret even when it is not
// valid for the variable's type: the diagnostic that rejects it, with the
// snippet of the variable file, must not show it.
func TestRedactInvalidSensitiveValue(t *testing.T) {
	dir := t.TempDir()
	src := "variable \"token\" {\n  type      = number\n  sensitive = true\n}\nvariable \"list\" {\n  type      = list(string)\n  sensitive = true\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "main.probe.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	vf := filepath.Join(t.TempDir(), "bad.probevars.hcl")
	hclString := func(s string) string { return string(hclwrite.TokensForValue(cty.StringVal(s)).Bytes()) }
	if err := os.WriteFile(vf, []byte("token = "+hclString(matrixToken)+"\nlist = "+hclString(matrixToken)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		env  map[string]string
	}{
		{args: []string{"-var-file", vf}},
		{args: []string{"-var", "token=" + matrixToken, "-var", "list=" + matrixToken}},
		{env: map[string]string{"FNPROBE_VAR_token": matrixToken, "FNPROBE_VAR_list": matrixToken}},
	} {
		for _, cmd := range [][]string{{"validate"}, {"validate", "-json"}, {"run", "-no-color"}, {"run", "-json"}} {
			var stdout, stderr bytes.Buffer
			args := append(append(append([]string(nil), cmd...), tc.args...), dir)
			code := cli.Main(context.Background(), args, cli.Env{
				Stdout: &stdout, Stderr: &stderr,
				Getenv: func(k string) string { return tc.env[k] }, Registry: cli.NewRegistry(),
			})
			out := stdout.String() + stderr.String()
			if code != 2 {
				t.Errorf("%v: exit %d, want 2\n%s", args, code, out)
			}
			assertNoSecret(t, strings.Join(args, " "), out)
		}
	}
}

// fmt does not load the suite, so it knows no sensitive variable, but the
// credentials drivers read from the environment are redacted in its
// diagnostics too (a variable file that does not parse).
func TestRedactFmtDiagnostics(t *testing.T) {
	dir := t.TempDir()
	src := "key = " + string(hclwrite.TokensForValue(cty.StringVal(matrixEnvKey)).Bytes()) + " +\n"
	if err := os.WriteFile(filepath.Join(dir, "x.probevars.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := cli.Main(context.Background(), []string{"fmt", "-check", dir}, cli.Env{
		Stdout: &stdout, Stderr: &stderr, Registry: cli.NewRegistry(),
		Getenv: func(k string) string { return map[string]string{"TCB_ACCESS_TOKEN": matrixEnvKey}[k] },
	})
	out := stdout.String() + stderr.String()
	if code != 2 || !strings.Contains(out, "(sensitive)") {
		t.Errorf("exit %d, want 2 and a redacted snippet:\n%s", code, out)
	}
	assertNoSecret(t, "fmt", out)
}
