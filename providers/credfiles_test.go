package providers

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestCredentialFiles(t *testing.T) {
	dir := t.TempDir()
	ok := filepath.Join(dir, "config")
	if err := os.WriteFile(ok, []byte("[default]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, CredentialFileLimit+1), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing")

	if err := CheckCredentialFiles("", ok, missing); err != nil {
		t.Errorf("a regular file, a missing one and no path: %v", err)
	}
	for path, want := range map[string]string{fifo: "named pipe", big: "larger than", dir: "directory"} {
		if err := CheckCredentialFiles(ok, path); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path) {
			t.Errorf("CheckCredentialFiles(%s) = %v, want it to name the file and %q", path, err, want)
		}
		if _, err := ReadCredentialFile(context.Background(), path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ReadCredentialFile(%s) = %v, want %q", path, err, want)
		}
	}
	if b, err := ReadCredentialFile(context.Background(), ok); err != nil || string(b) != "[default]\n" {
		t.Errorf("ReadCredentialFile = %q, %v", b, err)
	}
	if _, err := ReadCredentialFile(context.Background(), missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing file: %v, want fs.ErrNotExist", err)
	}
}
