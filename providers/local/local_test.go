package local

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/providers"
)

// Compile-time checks of the capabilities the driver claims.
var (
	_ providers.Driver            = (*Driver)(nil)
	_ providers.FunctionValidator = (*Driver)(nil)
)

// decode parses an HCL body and decodes it with spec, failing the test on
// any diagnostic.
func decode(t testing.TB, src string, spec hcldec.Spec) cty.Value {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "test.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("parse %q: %s", src, diags)
	}
	v, diags := hcldec.Decode(f.Body, spec, nil)
	if diags.HasErrors() {
		t.Fatalf("decode %q: %s", src, diags)
	}
	return v
}

func requireUnix(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("needs a POSIX shell")
	}
	for _, prog := range []string{"sh", "cat", "sleep"} {
		if _, err := exec.LookPath(prog); err != nil {
			t.Skipf("needs %s: %v", prog, err)
		}
	}
}

func TestSchemaDecodes(t *testing.T) {
	s := New().Schema()
	if got := s.Types; len(got) != 1 || got[0] != providers.TypeSync {
		t.Errorf("Types = %v, want [sync]", got)
	}

	p := decode(t, `
env = { A = "1" }
dir = "handlers"
`, s.Provider)
	if got := providers.StringMap(p, "env"); got["A"] != "1" {
		t.Errorf("provider env = %v", got)
	}
	if got := providers.String(p, "dir"); got != "handlers" {
		t.Errorf("provider dir = %q", got)
	}
	empty := decode(t, ``, s.Provider)
	if !empty.GetAttr("env").IsNull() || !empty.GetAttr("dir").IsNull() {
		t.Errorf("empty provider = %#v, want null attributes", empty)
	}

	fn := decode(t, `
command = ["sh", "-c", "echo hi"]
env     = { B = "2" }
dir     = "."
`, s.Function)
	if got := providers.StringList(fn, "command"); strings.Join(got, "|") != "sh|-c|echo hi" {
		t.Errorf("command = %q", got)
	}

	// command is required.
	f, _ := hclsyntax.ParseConfig([]byte(`dir = "."`), "t.hcl", hcl.InitialPos)
	if _, diags := hcldec.Decode(f.Body, s.Function, nil); !diags.HasErrors() {
		t.Errorf("a function without command decoded without error")
	}
	// unknown attributes are rejected.
	f, _ = hclsyntax.ParseConfig([]byte("command = [\"cat\"]\nurl = \"x\""), "t.hcl", hcl.InitialPos)
	if _, diags := hcldec.Decode(f.Body, s.Function, nil); !diags.HasErrors() {
		t.Errorf("an unknown attribute decoded without error")
	}
}

func TestValidateFunction(t *testing.T) {
	d := New()
	spec := d.Schema().Function
	tests := []struct {
		name string
		src  string
		fn   cty.Value // used when src is empty
		want map[string]string
	}{
		{name: "ok", src: `command = ["cat"]`},
		{name: "ok with args env dir", src: `
command = ["sh", "-c", ""]
env     = { A = "" }
dir     = "x"
`},
		{name: "empty command", src: `command = []`, want: map[string]string{"command": "must name a program"}},
		{name: "empty program", src: `command = ["", "x"]`, want: map[string]string{"command": "must not be empty"}},
		{name: "null element", src: `command = ["cat", null]`, want: map[string]string{"command": "element 1 is null"}},
		{name: "bad env key", src: `
command = ["cat"]
env     = { "A=B" = "1" }
`, want: map[string]string{"env": "must not contain '='"}},
		{name: "empty env key", src: `
command = ["cat"]
env     = { "" = "1" }
`, want: map[string]string{"env": "must not be empty"}},
		{name: "unknown command is not checked", fn: cty.ObjectVal(map[string]cty.Value{
			"command": cty.UnknownVal(cty.List(cty.String)),
			"env":     cty.NullVal(cty.Map(cty.String)),
			"dir":     cty.NullVal(cty.String),
		})},
		{name: "NUL in env value is reported without the value", fn: cty.ObjectVal(map[string]cty.Value{
			"command": cty.ListVal([]cty.Value{cty.StringVal("cat")}),
			"env":     cty.MapVal(map[string]cty.Value{"TOKEN": cty.StringVal("s3cr3t\x00")}),
			"dir":     cty.NullVal(cty.String),
		}), want: map[string]string{"env": `"TOKEN" contains a NUL byte`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn := tt.fn
			if tt.src != "" {
				fn = decode(t, tt.src, spec)
			}
			got := d.ValidateFunction(cty.NullVal(cty.DynamicPseudoType), fn)
			if len(got) != len(tt.want) {
				t.Fatalf("ValidateFunction = %v, want problems for %v", got, tt.want)
			}
			for k, sub := range tt.want {
				if !strings.Contains(got[k], sub) {
					t.Errorf("problem[%q] = %q, want it to contain %q", k, got[k], sub)
				}
				if strings.Contains(got[k], "s3cr3t") {
					t.Errorf("problem[%q] = %q echoes a value", k, got[k])
				}
			}
		})
	}
}

func TestInvoke(t *testing.T) {
	requireUnix(t)
	base := t.TempDir()
	sub := filepath.Join(base, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(sub, "handler.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"handler in $(basename \"$PWD\")\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("FNPROBE_LOCAL_TEST_INHERITED", "from-process")
	t.Setenv("FNPROBE_LOCAL_TEST_OVERRIDE", "from-process")

	tests := []struct {
		name     string
		provider string // HCL body of the provider block
		function string // HCL body of the function block
		payload  string
		logs     bool
		want     providers.Result
	}{
		{
			name:     "cat echoes the payload",
			function: `command = ["cat"]`,
			payload:  `{"hello":"world"}`,
			want:     providers.Result{Status: 200, Body: []byte(`{"hello":"world"}`), Headers: map[string]string{HeaderExitCode: "0"}},
		},
		{
			name:     "empty payload gives empty body",
			function: `command = ["cat"]`,
			want:     providers.Result{Status: 200, Body: []byte{}, Headers: map[string]string{HeaderExitCode: "0"}},
		},
		{
			name:     "stderr is the log when logs are asked for",
			function: `command = ["sh", "-c", "echo out; echo err >&2"]`,
			logs:     true,
			want:     providers.Result{Status: 200, Body: []byte("out\n"), Log: "err\n", Headers: map[string]string{HeaderExitCode: "0"}},
		},
		{
			name:     "stderr is dropped without logs",
			function: `command = ["sh", "-c", "echo out; echo err >&2"]`,
			want:     providers.Result{Status: 200, Body: []byte("out\n"), Headers: map[string]string{HeaderExitCode: "0"}},
		},
		{
			name:     "non-zero exit is an unhandled error",
			function: `command = ["sh", "-c", "echo partial; echo boom >&2; exit 3"]`,
			logs:     true,
			want: providers.Result{Status: 200, Error: true, ErrorType: ErrorUnhandled, Body: []byte("partial\n"), Log: "boom\n",
				Headers: map[string]string{HeaderExitCode: "3"}},
		},
		{
			name:     "killed by a signal is a crash",
			function: `command = ["sh", "-c", "echo before; kill -9 $$"]`,
			want: providers.Result{Status: 500, Error: true, ErrorType: ErrorCrashed, Body: []byte("before\n"),
				Headers: map[string]string{HeaderSignal: "killed"}},
		},
		{
			name: "env merges process, provider and function",
			provider: `env = {
  FNPROBE_LOCAL_TEST_OVERRIDE = "from-provider"
  FNPROBE_LOCAL_TEST_PROVIDER = "from-provider"
  FNPROBE_LOCAL_TEST_BOTH     = "from-provider"
}`,
			function: `
command = ["sh", "-c", "printf '%s,%s,%s,%s' \"$FNPROBE_LOCAL_TEST_INHERITED\" \"$FNPROBE_LOCAL_TEST_OVERRIDE\" \"$FNPROBE_LOCAL_TEST_PROVIDER\" \"$FNPROBE_LOCAL_TEST_BOTH\""]
env     = { FNPROBE_LOCAL_TEST_BOTH = "from-function" }
`,
			want: providers.Result{Status: 200, Body: []byte("from-process,from-provider,from-provider,from-function"),
				Headers: map[string]string{HeaderExitCode: "0"}},
		},
		{
			name:     "no dir runs in BaseDir",
			function: `command = ["sh", "-c", "basename \"$PWD\""]`,
			want:     providers.Result{Status: 200, Body: []byte(filepath.Base(base) + "\n"), Headers: map[string]string{HeaderExitCode: "0"}},
		},
		{
			name: "function dir is relative to BaseDir and a relative command to dir",
			function: `
command = ["./handler.sh"]
dir     = "sub"
`,
			want: providers.Result{Status: 200, Body: []byte("handler in sub\n"), Headers: map[string]string{HeaderExitCode: "0"}},
		},
		{
			name:     "provider dir is the default",
			provider: `dir = "sub"`,
			function: `command = ["./handler.sh"]`,
			want:     providers.Result{Status: 200, Body: []byte("handler in sub\n"), Headers: map[string]string{HeaderExitCode: "0"}},
		},
		{
			name:     "function dir wins over provider dir",
			provider: `dir = "elsewhere"`,
			function: "command = [\"sh\", \"-c\", \"basename \\\"$PWD\\\"\"]\ndir = \"" + sub + "\"",
			want:     providers.Result{Status: 200, Body: []byte("sub\n"), Headers: map[string]string{HeaderExitCode: "0"}},
		},
	}
	d := New()
	s := d.Schema()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &providers.Request{
				Provider: decode(t, tt.provider, s.Provider),
				Function: decode(t, tt.function, s.Function),
				Payload:  []byte(tt.payload),
				Type:     providers.TypeSync,
				Logs:     tt.logs,
				BaseDir:  base,
			}
			got, err := d.Invoke(context.Background(), req)
			if err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			checkResult(t, got, &tt.want)
		})
	}
}

func checkResult(t *testing.T, got, want *providers.Result) {
	t.Helper()
	if got.Status != want.Status || got.Error != want.Error || got.ErrorType != want.ErrorType ||
		got.ErrorCode != want.ErrorCode || got.ErrorMessage != want.ErrorMessage {
		t.Errorf("status/error = %d %v %q %q %q, want %d %v %q %q %q",
			got.Status, got.Error, got.ErrorType, got.ErrorCode, got.ErrorMessage,
			want.Status, want.Error, want.ErrorType, want.ErrorCode, want.ErrorMessage)
	}
	if got.Body == nil {
		t.Errorf("Body is nil, want non-nil")
	}
	if string(got.Body) != string(want.Body) {
		t.Errorf("Body = %q, want %q", got.Body, want.Body)
	}
	if got.Log != want.Log {
		t.Errorf("Log = %q, want %q", got.Log, want.Log)
	}
	if got.Headers == nil {
		t.Fatalf("Headers is nil")
	}
	if len(got.Headers) != len(want.Headers) {
		t.Errorf("Headers = %v, want %v", got.Headers, want.Headers)
	}
	for k, v := range want.Headers {
		if got.Headers[k] != v {
			t.Errorf("Headers[%q] = %q, want %q", k, got.Headers[k], v)
		}
	}
	if len(got.RequestID) != 16 || strings.Trim(got.RequestID, "0123456789abcdef") != "" {
		t.Errorf("RequestID = %q, want 16 hex digits", got.RequestID)
	}
	if got.Transient || got.RetryAfter != 0 {
		t.Errorf("Transient/RetryAfter = %v %v, want none", got.Transient, got.RetryAfter)
	}
}

func TestInvokeRequestIDsDiffer(t *testing.T) {
	requireUnix(t)
	d := New()
	req := fnRequest(t, d, `command = ["true"]`)
	a, err := d.Invoke(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := d.Invoke(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if a.RequestID == b.RequestID {
		t.Errorf("two calls share RequestID %q", a.RequestID)
	}
}

func fnRequest(t testing.TB, d *Driver, function string) *providers.Request {
	t.Helper()
	s := d.Schema()
	return &providers.Request{
		Provider: decode(t, ``, s.Provider),
		Function: decode(t, function, s.Function),
		Type:     providers.TypeSync,
	}
}

func TestInvokeCannotStart(t *testing.T) {
	requireUnix(t)
	base := t.TempDir()
	if err := os.WriteFile(filepath.Join(base, "noexec.sh"), []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		function string
		wantErr  []string
	}{
		{"program not in PATH", `command = ["fnprobe-no-such-program-7f3a"]`, []string{`"fnprobe-no-such-program-7f3a"`, "executable file not found"}},
		{"relative program missing", `command = ["./missing.sh"]`, []string{`"./missing.sh"`, "no such file"}},
		{"not executable", `command = ["./noexec.sh"]`, []string{`"./noexec.sh"`, "permission denied"}},
		{"dir missing", "command = [\"cat\"]\ndir = \"nowhere\"", []string{"nowhere"}},
	}
	d := New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := fnRequest(t, d, tt.function)
			req.BaseDir = base
			res, err := d.Invoke(context.Background(), req)
			if err == nil {
				t.Fatalf("Invoke = %+v, want an error", res)
			}
			for _, sub := range tt.wantErr {
				if !strings.Contains(err.Error(), sub) {
					t.Errorf("error %q does not mention %q", err, sub)
				}
			}
			if !strings.HasPrefix(err.Error(), "local: cannot start") {
				t.Errorf("error %q does not say the command could not start", err)
			}
			// Retrying cannot help: the error says so, and says what to change.
			if pe := providers.IsPermanent(err); pe == nil || pe.Hint == "" {
				t.Errorf("error %q is not permanent with a hint", err)
			}
		})
	}
}

func TestInvokeUnsupportedType(t *testing.T) {
	d := New()
	req := fnRequest(t, d, `command = ["cat"]`)
	req.Type = providers.TypeAsync
	_, err := d.Invoke(context.Background(), req)
	var te *providers.TypeError
	if !errors.As(err, &te) || te.Provider != TypeName || te.Type != providers.TypeAsync {
		t.Fatalf("Invoke error = %v, want a TypeError", err)
	}
}

func TestInvokeNoCommand(t *testing.T) {
	d := New()
	req := &providers.Request{Function: cty.EmptyObjectVal, Type: providers.TypeSync}
	if _, err := d.Invoke(context.Background(), req); err == nil {
		t.Fatal("Invoke without command succeeded")
	}
}

// TestInvokeDoesNotHang covers processes that would keep us waiting: the
// context must kill them, and a leftover child holding the output pipes open
// must not keep Invoke from returning.
func TestInvokeDoesNotHang(t *testing.T) {
	requireUnix(t)
	tests := []struct {
		name     string
		function string
		timeout  time.Duration
		wantErr  error  // nil: a result is expected
		wantBody string // when a result is expected
	}{
		{
			name:     "deadline kills sleep",
			function: `command = ["sleep", "10"]`,
			timeout:  200 * time.Millisecond,
			wantErr:  context.DeadlineExceeded,
		},
		{
			name:     "deadline kills a shell and its child",
			function: `command = ["sh", "-c", "sleep 10; echo never"]`,
			timeout:  200 * time.Millisecond,
			wantErr:  context.DeadlineExceeded,
		},
		{
			name:     "deadline kills a shell whose background child holds stdout",
			function: `command = ["sh", "-c", "(sleep 10) & sleep 10"]`,
			timeout:  200 * time.Millisecond,
			wantErr:  context.DeadlineExceeded,
		},
		{
			name:     "background child keeps stdout open after exit",
			function: `command = ["sh", "-c", "echo done; sleep 5 &"]`,
			timeout:  5 * time.Second,
			wantBody: "done\n",
		},
		{
			name:     "background child keeps stderr open after exit",
			function: `command = ["sh", "-c", "echo done; echo log >&2; sleep 5 >/dev/null &"]`,
			timeout:  5 * time.Second,
			wantBody: "done\n",
		},
	}
	d := New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := fnRequest(t, d, tt.function)
			req.Logs = true
			ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
			defer cancel()
			start := time.Now()
			res, err := d.Invoke(ctx, req)
			elapsed := time.Since(start)
			if elapsed > 3*time.Second {
				t.Errorf("Invoke took %v", elapsed)
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Invoke = %+v, %v; want error %v", res, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			if string(res.Body) != tt.wantBody || res.Error {
				t.Errorf("Invoke = body %q error %v, want %q and no error", res.Body, res.Error, tt.wantBody)
			}
		})
	}
}

func TestInvokeCanceled(t *testing.T) {
	requireUnix(t)
	d := New()
	req := fnRequest(t, d, `command = ["sleep", "10"]`)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := d.Invoke(ctx, req)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Invoke error = %v, want context.Canceled", err)
	}
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("Invoke took %v after cancel", elapsed)
	}
}

func TestInvokeOutputLimits(t *testing.T) {
	requireUnix(t)
	d := New()
	d.maxBody = 1 << 10
	d.logTail = 16

	t.Run("body over the limit is an error", func(t *testing.T) {
		// yes never stops by itself: the limit must stop it.
		req := fnRequest(t, d, `command = ["yes"]`)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := d.Invoke(ctx, req)
		if err == nil || !strings.Contains(err.Error(), "1 KiB limit") {
			t.Fatalf("Invoke error = %v, want the 1 KiB limit named", err)
		}
		if ctx.Err() != nil {
			t.Errorf("the limit did not stop the command before the deadline")
		}
	})
	t.Run("body at the limit is fine", func(t *testing.T) {
		req := fnRequest(t, d, `command = ["cat"]`)
		req.Payload = []byte(strings.Repeat("x", 1<<10))
		res, err := d.Invoke(context.Background(), req)
		if err != nil || len(res.Body) != 1<<10 {
			t.Fatalf("Invoke = %d bytes, %v", len(res.Body), err)
		}
	})
	t.Run("log keeps the tail", func(t *testing.T) {
		req := fnRequest(t, d, `command = ["sh", "-c", "i=0; while [ $i -lt 100 ]; do echo line$i >&2; i=$((i+1)); done"]`)
		req.Logs = true
		res, err := d.Invoke(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if res.Log != "7\nline98\nline99\n" {
			t.Errorf("Log = %q, want the last 16 bytes", res.Log)
		}
	})
	t.Run("large payload through stdin", func(t *testing.T) {
		big := New()
		req := fnRequest(t, big, `command = ["cat"]`)
		req.Payload = []byte(strings.Repeat("0123456789abcdef", 1<<16)) // 1 MiB
		res, err := big.Invoke(context.Background(), req)
		if err != nil || string(res.Body) != string(req.Payload) {
			t.Fatalf("Invoke = %d bytes, %v; want the 1 MiB payload back", len(res.Body), err)
		}
	})
	t.Run("command that ignores a large payload", func(t *testing.T) {
		req := fnRequest(t, New(), `command = ["echo", "ok"]`)
		req.Payload = []byte(strings.Repeat("x", 4<<20))
		res, err := New().Invoke(context.Background(), req)
		if err != nil || string(res.Body) != "ok\n" {
			t.Fatalf("Invoke = %q, %v", res.Body, err)
		}
	})
}

func TestTailWriter(t *testing.T) {
	tests := []struct {
		name   string
		max    int
		writes []string
		want   string
	}{
		{"under", 8, []string{"ab", "cd"}, "abcd"},
		{"exact", 4, []string{"ab", "cd"}, "abcd"},
		{"over across writes", 4, []string{"abc", "def"}, "cdef"},
		{"one big write", 4, []string{"abcdefgh"}, "efgh"},
		{"big write after small", 4, []string{"xy", "abcd"}, "abcd"},
		{"partial rune dropped", 4, []string{"aaa", "é€"}, "€"},
		{"empty", 4, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &tailWriter{max: tt.max}
			for _, s := range tt.writes {
				if n, err := w.Write([]byte(s)); n != len(s) || err != nil {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			if got := w.String(); got != tt.want {
				t.Errorf("tail = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestWorkDir(t *testing.T) {
	abs := filepath.Join(string(filepath.Separator), "abs")
	obj := func(dir string) cty.Value {
		if dir == "" {
			return cty.ObjectVal(map[string]cty.Value{"dir": cty.NullVal(cty.String)})
		}
		return cty.ObjectVal(map[string]cty.Value{"dir": cty.StringVal(dir)})
	}
	tests := []struct {
		name               string
		base, provider, fn string
		want               string
	}{
		{"nothing", "", "", "", ""},
		{"base only", "/suite", "", "", "/suite"},
		{"relative function dir", "/suite", "", "sub", filepath.Join("/suite", "sub")},
		{"relative provider dir", "/suite", "p", "", filepath.Join("/suite", "p")},
		{"function wins", "/suite", "p", "f", filepath.Join("/suite", "f")},
		{"absolute", "/suite", "", abs, abs},
		{"relative without base", "", "", "sub", "sub"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &providers.Request{Provider: obj(tt.provider), Function: obj(tt.fn), BaseDir: tt.base}
			if got := workDir(req); got != tt.want {
				t.Errorf("workDir = %q, want %q", got, tt.want)
			}
		})
	}
}
