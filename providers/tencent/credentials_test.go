package tencent_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/providers/providertest"
	"github.com/fnprobe/fnprobe/providers/tencent"
	"github.com/zclconf/go-cty/cty"
)

// blockVal is a provider block with the given access_token and
// access_token_file ("" for none).
func blockVal(endpoint, token, file string) cty.Value {
	str := func(s string) cty.Value {
		if s == "" {
			return cty.NullVal(cty.String)
		}
		return cty.StringVal(s)
	}
	return cty.ObjectVal(map[string]cty.Value{"endpoint": cty.StringVal(endpoint), "env_id": cty.StringVal("cloud1-abc"),
		"access_token": str(token), "access_token_file": str(file)})
}

// TestTokenSources runs each source of the token end to end against the
// emulator, with token files the test writes in a temporary directory.
func TestTokenSources(t *testing.T) {
	r := start(t)
	type setup func(t *testing.T, dir string) (blockToken, blockFile string)
	file := func(name, content string) func(t *testing.T, dir string) string {
		return func(t *testing.T, dir string) string {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			return p
		}
	}
	blockFile := func(name, content string) setup {
		return func(t *testing.T, dir string) (string, string) { return "", file(name, content)(t, dir) }
	}
	envFile := func(name, content string) setup {
		return func(t *testing.T, dir string) (string, string) {
			t.Setenv(tencent.EnvAccessTokenFile, file(name, content)(t, dir))
			return "", ""
		}
	}
	cases := []struct {
		name   string
		setup  setup
		source string // plan's label, with $DIR for the directory
		srcErr string
		// want: "ok", "401 CODE", or "permanent <message part>"
		want   string
		secret string // what must reach Request.Secrets
	}{
		{name: "block token", setup: func(t *testing.T, _ string) (string, string) { return testToken, "" },
			source: "provider block", want: "ok"},
		{name: "block token wins", setup: func(t *testing.T, dir string) (string, string) {
			t.Setenv(tencent.EnvAccessToken, "nobody")
			t.Setenv(tencent.EnvAccessTokenFile, file("t", "nobody")(t, dir))
			return testToken, ""
		}, source: "provider block", want: "ok"},
		{name: "block file", setup: blockFile("token", testToken+"\n"), source: "token file $DIR/token (access_token_file)", want: "ok", secret: testToken},
		{name: "block file wins over environment", setup: func(t *testing.T, dir string) (string, string) {
			t.Setenv(tencent.EnvAccessToken, "nobody")
			return "", file("token", testToken)(t, dir)
		}, source: "token file $DIR/token (access_token_file)", want: "ok", secret: testToken},
		{name: "environment", setup: func(t *testing.T, _ string) (string, string) {
			t.Setenv(tencent.EnvAccessToken, testToken)
			return "", ""
		}, source: "environment (TCB_ACCESS_TOKEN)", want: "ok", secret: testToken},
		{name: "environment token wins over environment file", setup: func(t *testing.T, dir string) (string, string) {
			t.Setenv(tencent.EnvAccessToken, testToken)
			t.Setenv(tencent.EnvAccessTokenFile, file("t", "nobody")(t, dir))
			return "", ""
		}, source: "environment (TCB_ACCESS_TOKEN)", want: "ok"},
		{name: "environment file", setup: envFile("ci-token", testToken+"\n"), source: "token file $DIR/ci-token (TCB_ACCESS_TOKEN_FILE)", want: "ok", secret: testToken},
		{name: "CRLF and spaces trimmed", setup: envFile("t", "  "+testToken+" \r\n"), source: "token file $DIR/t (TCB_ACCESS_TOKEN_FILE)", want: "ok", secret: testToken},
		{name: "expired token in a file", setup: envFile("t", "expired-token\n"), source: "token file", want: "401 ACCESS_TOKEN_EXPIRED", secret: "expired-token"},
		{name: "unknown token in a file", setup: blockFile("t", "nobody"), source: "token file", want: "401 ACCESS_TOKEN_INVALID"},
		{name: "empty file", setup: envFile("t", ""), srcErr: "is empty", want: "permanent is empty"},
		{name: "blank file", setup: envFile("t", " \n\n"), srcErr: "is empty", want: "permanent is empty"},
		{name: "two lines", setup: envFile("t", testToken+"\nsecond\n"), srcErr: "more than one line", want: "permanent more than one line"},
		{name: "huge file", setup: envFile("t", strings.Repeat("x", tencent.TokenFileLimit+1)), srcErr: "larger than the 64 KiB limit", want: "permanent larger than"},
		{name: "missing file", setup: func(t *testing.T, dir string) (string, string) { return "", filepath.Join(dir, "absent") },
			srcErr: "no such file", want: "permanent no such file"},
		{name: "directory", setup: func(t *testing.T, dir string) (string, string) { return "", dir },
			srcErr: "a directory", want: "permanent a directory"},
		{name: "FIFO", setup: func(t *testing.T, dir string) (string, string) {
			p := filepath.Join(dir, "fifo")
			if err := syscall.Mkfifo(p, 0o600); err != nil {
				t.Skip("mkfifo:", err)
			}
			return "", p
		}, srcErr: "named pipe", want: "permanent named pipe"},
		{name: "unreadable", setup: func(t *testing.T, dir string) (string, string) {
			if os.Geteuid() == 0 {
				t.Skip("root reads any file")
			}
			p := file("t", testToken)(t, dir)
			if err := os.Chmod(p, 0); err != nil {
				t.Fatal(err)
			}
			return "", p
		}, srcErr: "permission denied", want: "permanent permission denied"},
		{name: "token wins over file", setup: func(t *testing.T, dir string) (string, string) { return testToken, file("t", testToken)(t, dir) },
			source: "provider block", want: "ok"},
		{name: "nothing", srcErr: "no access token", want: "permanent TCB_ACCESS_TOKEN_FILE"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(tencent.EnvAccessToken, "")
			t.Setenv(tencent.EnvAccessTokenFile, "")
			dir := t.TempDir()
			var tok, f string
			if tc.setup != nil {
				tok, f = tc.setup(t, dir)
			}
			d := tencent.New()
			defer d.Close()
			p := blockVal(r.URL, tok, f)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()

			src, err := d.CredentialSource(ctx, p)
			want := strings.ReplaceAll(tc.source, "$DIR", dir)
			switch {
			case tc.srcErr != "" && (err == nil || !strings.Contains(err.Error(), tc.srcErr)):
				t.Errorf("CredentialSource error %v, want one with %q", err, tc.srcErr)
			case tc.srcErr == "" && (err != nil || !strings.Contains(src, want)):
				t.Errorf("CredentialSource %q, %v; want %q", src, err, want)
			}
			if strings.Contains(src, testToken) || err != nil && strings.Contains(err.Error(), testToken) {
				t.Errorf("CredentialSource shows the token: %q %v", src, err)
			}

			sink := &providertest.Secrets{}
			res, err := d.Invoke(ctx, &providers.Request{Provider: p, Function: functionVal("echo", "", false), Payload: []byte(`"hi"`), Type: providers.TypeSync, Secrets: sink})
			kind, part, _ := strings.Cut(tc.want, " ")
			switch kind {
			case "ok":
				if err != nil || res.Status != 200 || string(res.Body) != `"hi"` {
					t.Fatalf("res %+v err %v", res, err)
				}
			case "401":
				if err != nil || res.Status != 401 || res.ErrorCode != part {
					t.Fatalf("res %+v err %v, want 401 %s", res, err, part)
				}
			case "permanent":
				var pe *providers.PermanentError
				if err == nil || !strings.Contains(err.Error(), part) || !errors.As(err, &pe) {
					t.Fatalf("err %v (res %+v), want a permanent error with %q", err, res, part)
				}
				if strings.Contains(err.Error(), testToken) {
					t.Errorf("the error shows the token: %v", err)
				}
			}
			if tc.secret != "" && !sink.Has(tc.secret) {
				t.Errorf("token not handed to Request.Secrets (got %q)", sink.All())
			}
		})
	}
}

// A token file is read at every attempt: a CI system that rotates it is
// followed without restarting the run.
func TestTokenFileRotation(t *testing.T) {
	r := start(t)
	path := filepath.Join(t.TempDir(), "token")
	d := tencent.New()
	defer d.Close()
	req := &providers.Request{Provider: blockVal(r.URL, "", path), Function: functionVal("echo", "", false), Payload: []byte(`1`), Type: providers.TypeSync}
	for i, step := range []struct{ content, code string }{
		{testToken + "\n", ""},
		{"rotated-away\n", "ACCESS_TOKEN_INVALID"},
		{testToken, ""},
	} {
		if err := os.WriteFile(path, []byte(step.content), 0o600); err != nil {
			t.Fatal(err)
		}
		res, err := d.Invoke(context.Background(), req)
		if err != nil || res.ErrorCode != step.code {
			t.Fatalf("step %d: res %+v err %v, want error code %q", i, res, err, step.code)
		}
	}
}
