//go:build !unix

package local

import "os/exec"

// configureProcess keeps os/exec's defaults: cancellation kills the process.
func configureProcess(cmd *exec.Cmd) {}
