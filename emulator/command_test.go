package emulator

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of Command.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestCommandExitCodes(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.hcl")
	if err := os.WriteFile(bad, []byte("function \"f\" {\n  behavior = \"nope\"\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"unknown flag", []string{"-bogus"}, 2, "flag provided but not defined"},
		{"extra argument", []string{"x"}, 2, "unexpected argument"},
		{"bad config", []string{"-config", bad}, 2, "bad.hcl line 2"},
		{"missing config", []string{"-config", filepath.Join(dir, "none.hcl")}, 2, "Cannot read emulator configuration"},
		{"bad listen address", []string{"-listen", "256.0.0.1:bad"}, 1, "emulate:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb syncBuffer
			code := Command(context.Background(), tt.args, &out, &errb, nil)
			if code != tt.code || !strings.Contains(errb.String(), tt.stderr) {
				t.Errorf("code %d stderr %q; want %d and %q", code, errb.String(), tt.code, tt.stderr)
			}
		})
	}
}

func TestCommandServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int)
	go func() { done <- Command(ctx, []string{"-listen", "127.0.0.1:0"}, &out, &errb, nil) }()
	var url string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if s := out.String(); strings.HasPrefix(s, "listening on ") {
			url = strings.TrimSpace(strings.TrimPrefix(s, "listening on "))
			break
		}
	}
	if url == "" {
		cancel()
		t.Fatalf("never listened; stderr %q", errb.String())
	}
	resp, err := http.Get(url + "/nowhere")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 || !strings.Contains(string(body), "no emulated API") {
		t.Errorf("status %d body %s", resp.StatusCode, body)
	}
	resp, err = http.Post(url+"/2023-03-30/functions/echo/invocations", "application/octet-stream", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || !strings.Contains(string(body), `"Code":"AccessDenied"`) {
		t.Errorf("unsigned request: status %d body %s", resp.StatusCode, body)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code %d, stderr %q", code, errb.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("did not stop")
	}
}
