//go:build !unix

package local

import "os/exec"

// configureProcess keeps os/exec's defaults: cancellation kills the process.
func configureProcess(cmd *exec.Cmd) {}

// killGroup does nothing: without process groups, only the command itself
// is killed (on cancellation).
func killGroup(pgid int) {}
