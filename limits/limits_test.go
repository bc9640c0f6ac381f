package limits_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fnprobe/fnprobe/limits"
)

func write(t *testing.T, dir, name string, size int) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(strings.Repeat("x", size)), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	toZero := filepath.Join(dir, "zero")
	if err := os.Symlink("/dev/zero", toZero); err != nil {
		t.Fatal(err)
	}
	ok := write(t, dir, "ok", 100)
	toOK := filepath.Join(dir, "link")
	if err := os.Symlink(ok, toOK); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, path string
		max        int64
		want       string // error text; "" reads 100 bytes
	}{
		{"regular", ok, 100, ""},
		{"symlink to a regular file", toOK, 100, ""},
		{"empty", write(t, dir, "empty", 0), 100, ""},
		{"over the limit", write(t, dir, "big", 101), 100, "larger than the 100 bytes limit"},
		{"MiB limit", write(t, dir, "big2", 2<<20+1), 2 << 20, "larger than the 2 MiB limit"},
		{"directory", dir, 100, "a directory"},
		{"FIFO without a writer", fifo, 100, "named pipe (FIFO)"},
		{"device", "/dev/zero", 100, "character device"},
		{"symlink to a device", toZero, 100, "character device"},
		{"missing", filepath.Join(dir, "nope"), 100, "no such file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			// A FIFO must not hang: the harness gives up instead of
			// waiting forever, and the test fails.
			done := make(chan struct{})
			var b []byte
			var err error
			go func() {
				defer close(done)
				b, err = limits.ReadFile(context.Background(), c.path, c.max)
			}()
			select {
			case <-done:
			case <-time.After(time.Minute):
				t.Fatal("ReadFile hangs")
			}
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if n := len(b); n != 100 && c.name != "empty" {
					t.Fatalf("read %d bytes", n)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			if !strings.Contains(err.Error(), c.path) {
				t.Errorf("the error does not name the file: %v", err)
			}
		})
	}
}

func TestReadFileCancelled(t *testing.T) {
	p := write(t, t.TempDir(), "f", 10)
	ctx, cancel := context.WithCancelCause(context.Background())
	stop := errors.New("interrupted")
	cancel(stop)
	if _, err := limits.ReadFile(ctx, p, 100); !errors.Is(err, stop) {
		t.Fatalf("err = %v, want the context's cause", err)
	}
}

func TestSize(t *testing.T) {
	for n, want := range map[int64]string{8 << 20: "8 MiB", 64 << 20: "64 MiB", 1 << 30: "1 GiB", 2048: "2 KiB", 1000: "1000 bytes"} {
		if got := limits.Size(n); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
	}
}
