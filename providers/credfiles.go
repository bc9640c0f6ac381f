package providers

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strconv"

	"github.com/fnprobe/fnprobe/limits"
)

// CredentialFileLimit bounds the credential files fnprobe reads or lets a
// cloud's library read (shared config and credentials files, CLI
// configurations, token files): they hold a few profiles, kilobytes.
const CredentialFileLimit = 1 << 20

// CheckCredentialFiles refuses, before a cloud's library reads them
// unbounded, credential files that exist but are not regular files (a
// FIFO would hang the library's read, /dev/zero exhaust memory) or are
// larger than CredentialFileLimit. A path that does not exist, or "", is
// the library's to report.
func CheckCredentialFiles(paths ...string) error {
	for _, p := range paths {
		if p == "" {
			continue
		}
		if err := limits.CheckFile(p, CredentialFileLimit); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return fmt.Errorf("credential file %s: %s", p, limits.Reason(err))
		}
	}
	return nil
}

// ReadCredentialFile reads a credential file bounded by
// CredentialFileLimit, refusing what is not a regular file. A missing file
// is an error that errors.Is reports as fs.ErrNotExist.
func ReadCredentialFile(ctx context.Context, path string) ([]byte, error) {
	data, err := limits.ReadFile(ctx, path, CredentialFileLimit)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("credential file %s: %s", path, limits.Reason(err))
	}
	return data, nil
}

// FileStamp changes when a file's size or modification time does: how the
// drivers notice a credential file that changed since they read it.
func FileStamp(fi fs.FileInfo) string {
	return strconv.FormatInt(fi.Size(), 10) + "@" + strconv.FormatInt(fi.ModTime().UnixNano(), 10)
}
