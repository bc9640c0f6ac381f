package repro

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/providers"
)

func TestFileName(t *testing.T) {
	seen := map[string]string{}
	for _, addr := range []string{
		`invocation.a`,
		`invocation.a["../../etc/passwd"]`,
		`invocation.a["/abs"]`,
		`invocation.a[".."]`,
		`invocation.a["a/b"]`,
		`invocation.a["a_b"]`, // the same readable part as a/b: the hash tells them apart
		"invocation.a[\"\x00\n\"]",
		`invocation.a["` + strings.Repeat("x", 500) + `"]`,
		`invocation.a["日本"]`,
	} {
		name := FileName("", addr)
		if strings.ContainsAny(name, "/\\\x00\n") || name == "." || name == ".." || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "-") {
			t.Errorf("%q: unsafe name %q", addr, name)
		}
		if filepath.Base(name) != name || len(name) > maxNameBytes+20 {
			t.Errorf("%q: name %q is not one bounded path element", addr, name)
		}
		if other, ok := seen[name]; ok {
			t.Errorf("%q and %q share the name %q", addr, other, name)
		}
		seen[name] = addr
		if FileName("", addr) != name {
			t.Errorf("%q: the name is not deterministic", addr)
		}
		if FileName("other suite", addr) == name {
			t.Errorf("%q: two suites share the name %q", addr, name)
		}
	}
}

func TestWriteFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "repro")
	path := filepath.Join(dir, "a.json")
	if err := WriteFile(path, []byte("one")); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{dir: 0o700, path: 0o600} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: %v, mode %v, want %v", p, err, fi.Mode().Perm(), want)
		}
	}
	// A symbolic link in the payload's place is replaced, never followed.
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "b.json")
	if err := os.Symlink(victim, link); err != nil {
		t.Skip(err)
	}
	if err := WriteFile(link, []byte("two")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Errorf("the link's target was written: %q", b)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink != 0 {
		t.Errorf("the link is still there: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

// tool is a Reproducer for the Builder's tests: `tool --data PAYLOAD`
// (inline, else --file FILE), `tool --body "$(cat FILE)"` or `tool <
// FILE`, with a header.
type tool struct{ mode string }

func (tool) Schema() providers.Schema { return providers.Schema{} }
func (tool) Invoke(context.Context, *providers.Request) (*providers.Result, error) {
	return nil, nil
}

func (d tool) Repro(req *providers.Request, p providers.ReproPayload) (providers.Repro, bool) {
	r := providers.Repro{Tool: "tool", Args: []string{"tool", "-H", "Authorization: " + req.Headers["Authorization"]}}
	switch d.mode {
	case "data":
		if p.Inline {
			r.Args = append(r.Args, "--data", string(req.Payload))
		} else {
			r.Args = append(r.Args, "--file", p.File)
		}
	case "body":
		r.Args = append(r.Args, "--body", providers.ReproFileText)
	case "stdin":
		r.Stdin = true
	}
	return r, true
}

func TestBuild(t *testing.T) {
	const (
		token   = "tok'$(x)-secret"
		unknown = "no-env-var-secret"
	)
	redact := func(s string) string {
		return strings.NewReplacer(token, "(sensitive)", unknown, "(sensitive)").Replace(s)
	}
	secrets := NewSecrets(map[string]string{token: "FNPROBE_VAR_token"})
	big := strings.Repeat("x", MaxInline+1)
	for _, tc := range []struct {
		name, mode, payload, auth string
		dir                       bool
		wantCmd                   []string // substrings of the command; nil: no command
		wantFile                  bool
		wantNote                  string
	}{
		{name: "inline", mode: "data", payload: `{"a":1}`, auth: "Bearer " + token,
			wantCmd: []string{`--data '{"a":1}'`, `'Authorization: Bearer '"${FNPROBE_VAR_token}"`}},
		{name: "file", mode: "data", payload: `{"a":1}`, dir: true, wantCmd: []string{"--file "}, wantFile: true},
		{name: "too big for inline", mode: "data", payload: big, wantCmd: []string{"--file payload.json"}, wantNote: NotePassDir},
		{name: "binary", mode: "data", payload: "a\x00b", wantCmd: []string{"--file payload.json"}, wantNote: NotePassDir},
		{name: "cat", mode: "body", payload: "{}", dir: true, wantCmd: []string{`--body "$(cat `}, wantFile: true},
		{name: "cat inline", mode: "body", payload: "{}", wantCmd: []string{"--body '{}'"}},
		{name: "stdin", mode: "stdin", payload: "hi", wantCmd: []string{"printf '%s' hi | tool"}},
		{name: "stdin file", mode: "stdin", payload: "hi", dir: true, wantCmd: []string{" < "}, wantFile: true},
		{name: "secret payload", mode: "data", payload: `{"t":"` + token + `"}`, dir: true,
			wantCmd: []string{"--file payload.json"}, wantNote: "holds a secret (FNPROBE_VAR_token)"},
		{name: "secret without a variable", mode: "data", payload: "{}", auth: unknown, wantNote: "withheld"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := ""
			if tc.dir {
				dir = t.TempDir()
			}
			b := New(Options{Dir: dir, Secrets: secrets, Redact: redact, RerunArgs: []string{"-var=token=" + token}, Paths: []string{"suite dir"}})
			req := &providers.Request{Payload: []byte(tc.payload), Headers: map[string]string{"Authorization": tc.auth}, Provider: cty.EmptyObjectVal, Function: cty.EmptyObjectVal}
			res := b.Build(`invocation.x["k"]`, tool{tc.mode}, req)
			all := res.Command + res.Rerun + res.Note + res.PayloadFile
			if strings.Contains(all, token) || strings.Contains(all, unknown) || strings.Contains(all, "tok'") {
				t.Errorf("a secret shows: %+v", res)
			}
			if want := `fnprobe run -target='invocation.x["k"]' -var=token="${FNPROBE_VAR_token}" 'suite dir'`; res.Rerun != want {
				t.Errorf("rerun %s, want %s", res.Rerun, want)
			}
			if tc.wantCmd == nil && res.Command != "" {
				t.Errorf("command %s, want none", res.Command)
			}
			for _, w := range tc.wantCmd {
				if !strings.Contains(res.Command, w) {
					t.Errorf("command %s lacks %s", res.Command, w)
				}
			}
			if tc.wantFile != (res.PayloadFile != "") {
				t.Errorf("payload file %q, want one: %v", res.PayloadFile, tc.wantFile)
			}
			if res.PayloadFile != "" {
				if got, err := os.ReadFile(res.PayloadFile); err != nil || string(got) != tc.payload {
					t.Errorf("payload file: %q, %v", got, err)
				}
				if !strings.Contains(res.Command, res.PayloadFile) {
					t.Errorf("the command %s does not refer to %s", res.Command, res.PayloadFile)
				}
			}
			if tc.dir && res.PayloadFile == "" {
				if entries, _ := os.ReadDir(dir); len(entries) > 0 {
					t.Errorf("a payload was written: %v", entries)
				}
			}
			if !strings.Contains(res.Note, tc.wantNote) || tc.wantNote == "" && res.Note != "" {
				t.Errorf("note %q, want %q", res.Note, tc.wantNote)
			}
		})
	}
}

// A for_each key that is a secret does not reach the payload file's name,
// and the rerun line refers to its variable.
func TestBuildSecretKey(t *testing.T) {
	const key = "secretkey1234"
	redact := func(s string) string { return strings.ReplaceAll(s, key, "(sensitive)") }
	dir := t.TempDir()
	b := New(Options{Dir: dir, Secrets: NewSecrets(map[string]string{key: "TCB_ACCESS_TOKEN"}), Redact: redact})
	req := &providers.Request{Payload: []byte("{}"), Provider: cty.EmptyObjectVal, Function: cty.EmptyObjectVal}
	res := b.Build(`invocation.k["`+key+`"]`, tool{"data"}, req)
	if res.PayloadFile == "" || strings.Contains(res.PayloadFile, key) || strings.Contains(res.Command+res.Rerun+res.Note, key) {
		t.Fatalf("the key shows: %+v", res)
	}
	if want := `fnprobe run -target='invocation.k["'"${TCB_ACCESS_TOKEN}"'"]'`; res.Rerun != want {
		t.Errorf("rerun %s, want %s", res.Rerun, want)
	}
	if !strings.Contains(res.Command, res.PayloadFile) {
		t.Errorf("command %s does not read %s", res.Command, res.PayloadFile)
	}
}
