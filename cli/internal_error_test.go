package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/cli"
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

// An internal error is exit 3, but a failed check in the same run still
// wins: "1 beats 3" (README, exit codes). A gate that lets exit 3 through
// as an infrastructure problem must not see a failed check as one.
func TestInternalErrorDoesNotHideFailure(t *testing.T) {
	dir := t.TempDir()
	src := `
function "fails" {
  provider = provider.local
  command  = ["sh", "-c", "echo no"]
}
function "bug" {
  provider = provider.panicky
  name     = "bug"
}
invocation "fails" {
  function = function.fails
  expect { body = "yes" }
}
invocation "bug" {
  function = function.bug
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.probe.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	reg := cli.NewRegistry()
	reg["panicky"] = panicDriver{}
	var stdout, stderr bytes.Buffer
	code := cli.Main(context.Background(), []string{"run", "-no-color", dir}, cli.Env{
		Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }, Registry: reg,
	})
	if code != 1 {
		t.Errorf("exit %d, want 1\n%s%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stderr.String(), "internal error running invocation.bug") {
		t.Errorf("the internal error is not reported:\n%s", stderr.String())
	}
}
