//go:build unix

package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCancelKillsProcessGroup checks that a timeout kills the children the
// command started, not only the command itself.
func TestCancelKillsProcessGroup(t *testing.T) {
	requireUnix(t)
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc")
	}
	dir := t.TempDir()
	d := New()
	req := fnRequest(t, d, `command = ["sh", "-c", "sleep 30 & echo $! > child.pid; wait"]`)
	req.BaseDir = dir
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := d.Invoke(ctx, req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Invoke error = %v, want deadline exceeded", err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "child.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	// The child is gone, or a zombie waiting for its new parent to reap it.
	deadline := time.Now().Add(2 * time.Second)
	for {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return // gone
		}
		// Format: pid (comm) state ...
		if i := strings.LastIndexByte(string(stat), ')'); i > 0 && strings.HasPrefix(string(stat[i+1:]), " Z") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("child %d still running after the timeout: %s", pid, stat)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestNothingOutlivesTheInvocation checks that whatever a command leaves in
// its process group is killed when the invocation ends, however it ends:
// `sh -c "sleep 300 & echo ok"` passes, and the sleep must not survive it.
// Each case's leftover carries a unique marker in its command line, so
// /proc finds it whatever its pid.
func TestNothingOutlivesTheInvocation(t *testing.T) {
	requireUnix(t)
	if _, err := os.Stat("/proc/self/cmdline"); err != nil {
		t.Skip("needs /proc")
	}
	// leftover is a shell that sleeps, named by its marker ($0); the
	// trailing ":" keeps the shell from exec'ing sleep (and losing $0).
	leftover := func(marker, redirect string) string {
		return `sh -c 'sleep 300; :' ` + marker + redirect + " &"
	}
	tests := []struct {
		name    string
		script  func(marker string) string
		timeout time.Duration
		cancel  bool   // cancel the context once the leftover runs
		wantErr error  // nil: a result is expected
		want    string // its body
	}{
		{
			name:   "background child holding stdout, after success",
			script: func(m string) string { return leftover(m, "") + " echo ok" },
			want:   "ok\n",
		},
		{
			name:   "background child not holding any pipe, after success",
			script: func(m string) string { return leftover(m, " >/dev/null 2>&1") + " echo ok" },
			want:   "ok\n",
		},
		{
			name:   "background child after a non-zero exit",
			script: func(m string) string { return leftover(m, "") + " echo no; exit 3" },
			want:   "no\n",
		},
		{
			name:    "on timeout",
			script:  func(m string) string { return leftover(m, "") + " sleep 300" },
			timeout: 300 * time.Millisecond,
			wantErr: context.DeadlineExceeded,
		},
		{
			name:    "on cancel",
			script:  func(m string) string { return leftover(m, "") + " sleep 300" },
			cancel:  true,
			wantErr: context.Canceled,
		},
	}
	d := New()
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			marker := fmt.Sprintf("fnprobe-leftover-%d-%d", os.Getpid(), i)
			t.Cleanup(func() { killMarked(marker) })
			req := fnRequest(t, d, fmt.Sprintf("command = [\"sh\", \"-c\", %q]", tt.script(marker)))
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			if tt.cancel {
				var cancel context.CancelFunc
				ctx, cancel = context.WithCancel(ctx)
				defer cancel()
				go func() {
					waitMarked(marker, true)
					cancel()
				}()
			}
			res, err := d.Invoke(ctx, req)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Invoke = %+v, %v; want %v", res, err, tt.wantErr)
				}
			} else if err != nil || string(res.Body) != tt.want {
				t.Fatalf("Invoke = %+v, %v; want body %q", res, err, tt.want)
			}
			if pids := waitMarked(marker, false); len(pids) > 0 {
				t.Errorf("processes %v (%s) outlived the invocation", pids, marker)
			}
		})
	}
}

// TestCloseKillsRunningCommands: Close, called by a caller about to exit
// (second Ctrl-C), kills the groups of commands still running.
func TestCloseKillsRunningCommands(t *testing.T) {
	requireUnix(t)
	if _, err := os.Stat("/proc/self/cmdline"); err != nil {
		t.Skip("needs /proc")
	}
	marker := fmt.Sprintf("fnprobe-close-%d", os.Getpid())
	t.Cleanup(func() { killMarked(marker) })
	d := New()
	req := fnRequest(t, d, fmt.Sprintf("command = [\"sh\", \"-c\", %q]", "sh -c 'sleep 300; :' "+marker+" & wait"))
	done := make(chan error, 1)
	go func() {
		_, err := d.Invoke(context.Background(), req)
		done <- err
	}()
	waitMarked(marker, true)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Invoke did not return after Close")
	}
	if pids := waitMarked(marker, false); len(pids) > 0 {
		t.Errorf("processes %v outlived Close", pids)
	}
}

// marked returns the pids of live (not zombie) processes whose command
// line contains marker.
func marked(marker string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		// A zombie's command line is empty: it does not match.
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(b), marker) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// waitMarked waits until processes carrying marker exist (present) or are
// all gone (!present), for at most 10 seconds, and returns those left.
func waitMarked(marker string, present bool) []int {
	deadline := time.Now().Add(10 * time.Second)
	for {
		pids := marked(marker)
		if (len(pids) > 0) == present || time.Now().After(deadline) {
			return pids
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// killMarked kills what a failed test left behind.
func killMarked(marker string) {
	for _, pid := range marked(marker) {
		syscall.Kill(pid, syscall.SIGKILL)
	}
}

// TestLeftGroupDoesNotHang: a process that left the command's group
// (setsid) cannot be killed with it; if it holds stdout open, Invoke still
// returns after the wait delay with what was written.
func TestLeftGroupDoesNotHang(t *testing.T) {
	requireUnix(t)
	if _, err := exec.LookPath("setsid"); err != nil {
		t.Skip("needs setsid")
	}
	marker := fmt.Sprintf("fnprobe-setsid-%d", os.Getpid())
	t.Cleanup(func() { killMarked(marker) })
	d := New()
	// The leader waits until the child has left the group ("ready").
	script := "setsid sh -c 'touch ready; sleep 30; :' " + marker + " & while [ ! -e ready ]; do sleep 0.01; done; echo done"
	req := fnRequest(t, d, fmt.Sprintf("command = [\"sh\", \"-c\", %q]", script))
	req.BaseDir = t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := d.Invoke(ctx, req)
	if err != nil || string(res.Body) != "done\n" {
		t.Fatalf("Invoke = %+v, %v; want body %q", res, err, "done\n")
	}
	if ctx.Err() != nil {
		t.Errorf("Invoke waited for the process that left the group")
	}
	if len(marked(marker)) == 0 {
		t.Errorf("the process that left the group is gone: this test no longer tests it")
	}
}
