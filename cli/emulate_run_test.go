package cli

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/planner"
	"github.com/fnprobe/fnprobe/spec"
)

// TestEmulationLifecycle: aim starts the emulator, aims the cloud
// providers of the plan at it (not the others), registers the secret it
// fills in with the redactor; Close stops it.
func TestEmulationLifecycle(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "emu.hcl")
	src := "credential \"tencent\" {\n  token = \"emu8-lifecycle-token\"\n}\n"
	if err := os.WriteFile(cfgPath, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	var shown hcl.Diagnostics
	e, code := loadEmulation(context.Background(), emulateFlags{config: cfgPath}, func(d hcl.Diagnostics, _ map[string]*hcl.File) { shown = append(shown, d...) })
	if code != 0 || e == nil {
		t.Fatalf("code %d, diags %v", code, shown)
	}
	tcb := &planner.ProviderInstance{Addr: "provider.tencent_cloudbase", Type: "tencent_cloudbase", Config: cty.ObjectVal(map[string]cty.Value{
		"env_id": cty.StringVal("e"), "access_token": cty.NullVal(cty.String), "endpoint": cty.NullVal(cty.String),
	})}
	local := &planner.ProviderInstance{Addr: "provider.local", Type: "local", Config: cty.EmptyObjectVal}
	plan := &planner.Plan{
		Config:    &spec.Config{Providers: map[string]*spec.Provider{}},
		Providers: map[string]*planner.ProviderInstance{"tencent_cloudbase": tcb, "local": local},
	}
	r := &spec.Redactor{}
	if diags := e.aim("validate", plan, r); len(diags) != 0 || e.running != nil {
		t.Fatalf("validate started the emulator: %v", diags)
	}
	if diags := e.aim("run", plan, r); len(diags) != 0 {
		t.Fatal(diags)
	}
	url := e.running.URL
	if got := tcb.Config.GetAttr("endpoint").AsString(); got != url || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Errorf("endpoint %q, emulator %q", got, url)
	}
	if !local.Config.RawEquals(cty.EmptyObjectVal) {
		t.Errorf("local provider changed: %#v", local.Config)
	}
	if got := r.String("token emu8-lifecycle-token"); strings.Contains(got, "emu8-lifecycle-token") {
		t.Errorf("the filled-in token is not redacted: %q", got)
	}
	addr := strings.TrimPrefix(url, "http://")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("emulator not listening: %v", err)
	}
	c.Close()
	e.Close()
	// The port may be reused at once by another test's listener: only an
	// answer from an emulator means it still serves.
	if resp, err := http.Get(url + "/nowhere"); err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(b), "fnprobe emulator") {
			t.Errorf("emulator still serving after Close")
		}
	}
}

// TestEmulateLog: the in-process emulator's access log goes to the
// -emulate-log file, not to the run's output.
func TestEmulateLog(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "logs", "access.log")
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"run", "-no-color", "-emulate", "../examples/tencent/emulator.hcl", "-emulate-log", logPath, "../examples/tencent"}, Env{
		Stdout: &stdout, Stderr: &stderr,
		Getenv:   func(string) string { return "" },
		Registry: NewRegistry(),
	})
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	if strings.Contains(stdout.String()+stderr.String(), "msg=request") {
		t.Errorf("access log in the run's output:\n%s%s", stdout.String(), stderr.String())
	}
	b, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "msg=request"); n != 2 || !strings.Contains(string(b), "provider=tencent_cloudbase") || strings.Contains(string(b), "emulator-token") {
		t.Errorf("access log (%d requests):\n%s", n, b)
	}
}
