package local

import (
	"syscall"
	"unsafe"
)

// waitExited blocks until process pid has exited, without reaping it, and
// reports true. While the exited process is not reaped its pid, and so its
// process group id, cannot be reused: killing the group then cannot hit
// someone else's. os does the same before reaping (os/wait_waitid.go).
func waitExited(pid int) bool {
	const pPID = 1 // P_PID
	// siginfo_t is 128 bytes; the kernel fills it, we do not read it.
	var siginfo [16]uint64
	for {
		_, _, errno := syscall.Syscall6(syscall.SYS_WAITID, pPID, uintptr(pid),
			uintptr(unsafe.Pointer(&siginfo)), syscall.WEXITED|syscall.WNOWAIT, 0, 0)
		if errno != syscall.EINTR {
			// ECHILD and the like: the caller's Wait will say.
			return errno == 0
		}
	}
}
