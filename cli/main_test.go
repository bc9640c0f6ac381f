package cli_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain makes the AWS credential chain hermetic: the aws_lambda driver
// resolves credentials with the AWS SDK, which reads the process
// environment and the shared files in the home directory, and ends at
// instance metadata (a link-local address). The tests must neither depend
// on the machine's AWS configuration nor reach beyond loopback, so every
// AWS_ variable is dropped, the shared files point into an empty
// directory and instance metadata is disabled.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "fnprobe-cli-aws")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			os.Unsetenv(k)
		}
	}
	os.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	os.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
