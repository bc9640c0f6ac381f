// Package limits holds the bounds fnprobe puts on what a configuration can
// make it do: how large a file it reads, how deeply brackets nest, how large
// a value an expression may build, how many errors are shown. A suite that
// crosses one gets a diagnostic, never a hang, a crash or an exhausted
// machine. It is a leaf: it imports only the standard library.
package limits

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// The documented limits.
const (
	// ConfigFileBytes bounds one suite file (*.probe.hcl, *.probe.json) or
	// variables file: a hand-written suite is kilobytes; a generated one
	// with ten thousand invocations is about 1 MiB.
	ConfigFileBytes = 8 << 20

	// PayloadFileBytes bounds a payload_file, the same as the largest
	// response body the http provider reads: no provider accepts a larger
	// synchronous payload (Alibaba Cloud FC 32 MiB, AWS Lambda 6 MiB).
	PayloadFileBytes = 64 << 20

	// FileFuncBytes bounds what file() reads: its result is a string value,
	// so the value limit StringBytes applies anyway.
	FileFuncBytes = StringBytes

	// NestingDepth bounds how deeply brackets ( [ { and ${ nest in a
	// configuration file or a -var value, and how deeply a value nests.
	// HCL's parsers recurse once or more per level: 100,000 levels
	// overflow the Go stack. Real configurations stay under 20.
	NestingDepth = 256

	// StringBytes bounds one string value computed by an expression.
	StringBytes = 16 << 20

	// Elements bounds the number of elements of one value, counting those
	// of nested collections: ten times a for_each over ten thousand keys.
	// A value is checked once built, and go-cty takes about a second and
	// hundreds of megabytes to build a million elements: the limit keeps
	// the cost of reaching it small.
	Elements = 100_000

	// EvalElements and EvalBytes bound what the function calls of one
	// expression build in total, each call within the limits above: a for
	// expression calling range(1000) for each of ten thousand elements
	// would build ten million values.
	EvalElements = 5 * Elements
	EvalBytes    = 4 * StringBytes

	// Errors is how many error diagnostics are shown (and as many
	// warnings); the rest are counted in one last diagnostic.
	Errors = 20

	// MinSecretLen is the shortest secret replaced in free text (by the
	// redactor, and by a reference in repro commands): shorter strings
	// would shred unrelated words.
	MinSecretLen = 4
)

// chunk is how much ReadFile reads between two looks at its context.
const chunk = 256 << 10

// ReadFile reads the regular file at path (following symbolic links) if it
// holds at most max bytes. Anything that is not a regular file is refused
// without being read: a directory, a device such as /dev/zero, a FIFO
// (opened without blocking, so one without a writer cannot hang), a
// socket. Reading stops when ctx ends.
func ReadFile(ctx context.Context, path string, max int64) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, context.Cause(ctx)
	}
	// Refuse by name first: opening some devices (a tape, a terminal) has
	// side effects. os.Stat follows symbolic links, as open does.
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := regular(path, st); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The name may have been swapped since the Stat: what counts is what
	// was opened.
	st, err = f.Stat()
	if err != nil {
		return nil, err
	}
	if err := regular(path, st); err != nil {
		return nil, err
	}
	size := st.Size()
	if size > max {
		return nil, TooLarge(path, max)
	}
	buf := make([]byte, 0, size+1) // +1: a file growing as we read is seen
	for {
		if err := ctx.Err(); err != nil {
			return nil, context.Cause(ctx)
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		room := cap(buf) - len(buf)
		if room > chunk {
			room = chunk
		}
		n, err := f.Read(buf[len(buf) : len(buf)+room])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > max {
			return nil, TooLarge(path, max)
		}
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// TooLarge is the error of a file over its limit.
func TooLarge(path string, max int64) error {
	return &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("the file is larger than the %s limit", Size(max))}
}

// regular refuses what is not a regular file, naming what it is.
func regular(path string, st fs.FileInfo) error {
	m := st.Mode()
	if m.IsRegular() {
		return nil
	}
	what := "not a regular file"
	switch {
	case m.IsDir():
		what = "a directory, not a file"
	case m&fs.ModeNamedPipe != 0:
		what = "a named pipe (FIFO), not a regular file"
	case m&fs.ModeSocket != 0:
		what = "a socket, not a regular file"
	case m&fs.ModeCharDevice != 0:
		what = "a character device, not a regular file"
	case m&fs.ModeDevice != 0:
		what = "a block device, not a regular file"
	case m&fs.ModeIrregular != 0:
		what = "an irregular file, not a regular file"
	}
	return &fs.PathError{Op: "read", Path: path, Err: errors.New("it is " + what)}
}

// Size renders a byte count as the limits are documented: "8 MiB".
func Size(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Reason is the reason of a ReadFile error without the path, for messages
// that name the file themselves: "it is a named pipe (FIFO), not a regular
// file".
func Reason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// CheckFile reports, without reading it, why ReadFile would refuse the
// file at path: it cannot be found or opened, it is not a regular file, or
// it holds more than max bytes. validate uses it on a payload_file known
// before the run.
func CheckFile(path string, max int64) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if err := regular(path, st); err != nil {
		return err
	}
	if st.Size() > max {
		return TooLarge(path, max)
	}
	return nil
}
