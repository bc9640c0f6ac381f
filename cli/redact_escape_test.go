package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fnprobe/fnprobe/cli"
)

// hostileSuite makes functions answer text that would take over a
// terminal: a clear-screen and a fake "Success!", a bidi override, a
// carriage return, in the body, a response header and the log tail. ECHO
// is a server that answers the request body and an X-Evil header.
const hostileSuite = `
function "echo" {
  provider = provider.http
  url      = "ECHO"
  method   = "POST"
}

function "crash" {
  provider = provider.local
  command  = ["sh", "-c", "printf '\\033[2J\\033[HSuccess!\\r' >&2; printf '\\033[2J\\033[HSuccess!'; exit 1"]
}

invocation "body" {
  function = function.echo
  payload  = "\u001b[2J\u001b[HSuccess! \u202eexe.txt\r"
  expect {
    body = "calm"
  }
  assert {
    condition     = self.body == "calm"
    error_message = "the function said ${self.body}"
  }
  assert {
    condition     = self.headers["x-evil"] == "calm"
    error_message = "header ${self.headers["x-evil"]}"
  }
}

invocation "crash" {
  function = function.crash
  logs     = true
}

output "body" {
  value = "\u001b[2J\u001b[HSuccess!"
}
`

// Control characters from functions never reach the terminal raw: a body
// with "\x1b[2J\x1b[HSuccess!" shown through an error_message and through
// an expect body failure, a header value, a log tail. The JUnit file stays
// valid XML and the JSON stream valid JSON.
func TestHostileOutputEscaped(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		_, _ = b.ReadFrom(r.Body)
		// Go's client refuses C0 controls in header values; C1 and bidi
		// characters are UTF-8 and pass.
		w.Header().Set("X-Evil", "\u009b2J\u202eexe.txt")
		w.Write(b.Bytes())
	}))
	defer srv.Close()
	dir := t.TempDir()
	src := strings.ReplaceAll(hostileSuite, "ECHO", srv.URL)
	if err := os.WriteFile(filepath.Join(dir, "main.probe.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	junit := filepath.Join(dir, "junit.xml")
	for _, tc := range []struct {
		name     string
		args     []string
		terminal bool
	}{
		{"no colour", []string{"run", "-no-color", "-junit", junit, dir}, false},
		{"colour", []string{"run", dir}, true},
		{"json", []string{"run", "-json", dir}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := cli.Main(context.Background(), tc.args, cli.Env{
				Stdout: &stdout, Stderr: &stderr, IsTerminal: tc.terminal,
				Getenv: func(string) string { return "" }, Registry: cli.NewRegistry(),
			})
			out := stdout.String() + stderr.String()
			if code != 1 {
				t.Fatalf("exit %d, want 1\n%s", code, out)
			}
			if tc.name == "json" {
				sc := bufio.NewScanner(strings.NewReader(stdout.String()))
				sc.Buffer(nil, 1<<20)
				for sc.Scan() {
					if !json.Valid(sc.Bytes()) {
						t.Errorf("not JSON: %s", sc.Text())
					}
				}
				if strings.ContainsAny(out, "\x1b\r") {
					t.Errorf("raw control characters in the JSON stream:\n%q", out)
				}
				return
			}
			// Only the styles the view adds itself may be escapes.
			rest := strings.NewReplacer("\x1b[0m", "", "\x1b[1m", "", "\x1b[4m", "", "\x1b[31m", "", "\x1b[32m", "", "\x1b[33m", "", "\x1b[90m", "").Replace(out)
			if strings.ContainsAny(rest, "\x1b\r\u202e\u009b") {
				t.Errorf("a control character from a function reached the terminal:\n%q", out)
			}
			for _, want := range []string{
				`Expected body "calm", got "\x1b[2J\x1b[HSuccess! \u202eexe.txt\r"`, // expect body
				`the function said \x1b[2J\x1b[HSuccess! \u202eexe.txt\r`,           // error_message
				`header \u009b2J\u202eexe.txt`,                                      // header value
				`Log tail: "\x1b[2J\x1b[HSuccess!\r"`,                               // log tail
				`body = "\u001B[2J\u001B[HSuccess!"`,                                // output
			} {
				if !strings.Contains(out, want) {
					t.Errorf("missing %s in:\n%s", want, out)
				}
			}
			if n, fake := strings.Count(out, "Success!"), strings.Count(out, "[HSuccess!"); n != fake {
				t.Errorf("%d Success! that are not escaped:\n%s", n-fake, out)
			}
		})
	}
	b, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(b, new(struct{})); err != nil {
		t.Errorf("JUnit is not XML: %v\n%s", err, b)
	}
	if strings.ContainsAny(string(b), "\x1b\u202e") || !strings.Contains(string(b), `the function said \x1b[2J\x1b[HSuccess!`) {
		t.Errorf("JUnit does not show the escapes:\n%s", b)
	}
}
