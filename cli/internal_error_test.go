package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/cli"
	"github.com/fnprobe/fnprobe/executor"
	"github.com/fnprobe/fnprobe/providers"
)

// panicDriver fails inside the executor: an internal error.
type panicDriver struct{}

func (panicDriver) Schema() providers.Schema {
	return providers.Schema{
		Provider: hcldec.ObjectSpec{},
		Function: hcldec.ObjectSpec{"name": &hcldec.AttrSpec{Name: "name", Type: cty.String}},
		Types:    []string{providers.TypeSync},
	}
}

func (panicDriver) Invoke(context.Context, *providers.Request) (*providers.Result, error) {
	panic("driver bug")
}

// interruptDriver is interrupted (Ctrl-C) while invoking, then panics.
type interruptDriver struct {
	panicDriver
	cancel context.CancelCauseFunc
}

func (d interruptDriver) Invoke(context.Context, *providers.Request) (*providers.Result, error) {
	d.cancel(executor.ErrInterrupted)
	panic("driver bug")
}

// schemaPanicDriver fails while the suite is loaded, in the command's own
// goroutine, before anything runs.
type schemaPanicDriver struct{ panicDriver }

func (schemaPanicDriver) Schema() providers.Schema { panic("schema bug") }

// An internal error (a recovered panic, wherever it happens) exits 4, never
// 2 (invalid configuration) nor 3: a gate must be able to tell a bug in
// fnprobe from a broken suite or an unreachable function. Precedence: 130
// beats 4 beats 1 beats 3.
func TestInternalError(t *testing.T) {
	const (
		failing = `
function "fails" {
  provider = provider.local
  command  = ["sh", "-c", "echo no"]
}
invocation "fails" {
  function = function.fails
  expect { body = "yes" }
}
`
		panicking = `
function "bug" {
  provider = provider.panicky
  name     = "bug"
}
invocation "bug" {
  function = function.bug
}
`
	)
	interruptedCtx, interrupt := context.WithCancelCause(context.Background())
	defer interrupt(nil)
	tests := []struct {
		name       string
		args       []string
		src        string
		driver     providers.Driver
		ctx        context.Context
		want       int
		wantStderr string
	}{
		{"driver panics", []string{"run"}, panicking, panicDriver{}, nil, 4, "internal error running invocation.bug"},
		{"4 beats a failed check (1)", []string{"run"}, failing + panicking, panicDriver{}, nil, 4, "internal error running invocation.bug"},
		{"the JSON summary says 4", []string{"run", "-json"}, failing + panicking, panicDriver{}, nil, 4, "internal error running invocation.bug"},
		{"130 beats 4", []string{"run"}, panicking, interruptDriver{cancel: interrupt}, interruptedCtx, 130, "internal error running invocation.bug"},
		{"panic while loading, not 2", []string{"validate"}, panicking, schemaPanicDriver{}, nil, 4, "fnprobe: internal error (this is a bug in fnprobe; please report it): schema bug"},
		{"panic while loading for run", []string{"run"}, panicking, schemaPanicDriver{}, nil, 4, "schema bug"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "main.probe.hcl"), []byte(tt.src), 0o644); err != nil {
				t.Fatal(err)
			}
			reg := cli.NewRegistry()
			reg["panicky"] = tt.driver
			ctx := tt.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			var stdout, stderr bytes.Buffer
			code := cli.Main(ctx, append(append([]string{}, tt.args...), "-no-color", dir), cli.Env{
				Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }, Registry: reg,
			})
			if code != tt.want {
				t.Errorf("exit %d, want %d\n%s%s", code, tt.want, stdout.String(), stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantStderr, stderr.String())
			}
			if !strings.Contains(tt.args[len(tt.args)-1], "json") {
				return
			}
			// The summary event's exit_code is the process's.
			lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
			var last struct {
				Type    string `json:"type"`
				Summary struct {
					ExitCode int `json:"exit_code"`
				} `json:"summary"`
			}
			if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || last.Type != "summary" || last.Summary.ExitCode != tt.want {
				t.Errorf("last event %s (%v), want a summary with exit_code %d", lines[len(lines)-1], err, tt.want)
			}
		})
	}
}
