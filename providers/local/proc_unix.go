//go:build unix

package local

import (
	"os/exec"
	"syscall"
)

// configureProcess starts the command in its own process group, and makes
// cancellation kill the whole group, so that children the command started
// (a shell's pipeline, a `sleep`) die with it.
func configureProcess(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// The group id is the leader's pid. Fall back to the process alone
		// if the group is already gone.
		if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
}

// killGroup kills every process left in the process group pgid. A group
// that is already empty is not an error.
func killGroup(pgid int) {
	if pgid > 0 {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	}
}
