package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"

	"github.com/fnprobe/fnprobe/executor"
)

// errOutput is the cause given to the run's context when standard output
// cannot be written: a closed pipe, a full disk. The run stops at once, as
// nobody would see the rest.
var errOutput = errors.New("standard output could not be written")

// latch is an io.Writer that remembers the first write error. Every later
// write fails at once with it, so output is never continued after a gap,
// and whoever registered with notify learns of it as it happens.
type latch struct {
	mu     sync.Mutex
	w      io.Writer
	err    error
	notify func(error)
}

func newLatch(w io.Writer) *latch {
	if w == nil {
		w = io.Discard
	}
	return &latch{w: w}
}

// Write implements io.Writer.
func (l *latch) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.w.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err != nil {
		l.err = err
		if l.notify != nil {
			l.notify(err)
		}
	}
	return n, err
}

// Err returns the first write error, if any.
func (l *latch) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// onError calls f with the first write error: now, if there already was
// one, or when it happens. f must not write to l.
func (l *latch) onError(f func(error)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.notify = f
	if l.err != nil {
		f(l.err)
	}
}

// internalError is a recovered panic: a bug, exit 4.
type internalError struct {
	value any
	stack []byte
}

func (e *internalError) Error() string {
	return fmt.Sprintf("internal error (this is a bug in fnprobe; please report it): %v\n%s", e.value, e.stack)
}

// safely runs f and turns a panic into an *internalError.
func safely(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &internalError{value: r, stack: debug.Stack()}
		}
	}()
	f()
	return nil
}

// interrupted reports whether the user interrupted the command (Ctrl-C).
func interrupted(ctx context.Context) bool {
	return errors.Is(context.Cause(ctx), executor.ErrInterrupted)
}

// configExit is the exit code of a suite that could not be loaded or
// planned: 2, unless Ctrl-C cut the loading short (130).
func configExit(ctx context.Context) int {
	if interrupted(ctx) {
		return executor.ExitInterrupted
	}
	return executor.ExitConfig
}

// openReport opens a report file for writing before anything runs, so that
// a path that cannot be written is a command-line error and not a surprise
// after every invocation ran: it creates the missing parent directories and
// truncates what the file held, so a stale report can never pass for this
// run's.
func openReport(path string) (*os.File, error) {
	return openReportFlags(path, os.O_TRUNC)
}

// openReportFlags opens the file at path for writing, creating it and its
// missing parent directories, with flag added to the open flags: O_TRUNC
// for a report of its own (openReport), O_APPEND for one added to what the
// file holds.
func openReportFlags(path string, flag int) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|flag, 0o644)
}

// writeReport writes a report into f, opened by openReport, and closes it.
// A regular file is synced, so that a full disk or a failing network file
// system is an error here and not a silently short file.
func writeReport(f *os.File, w io.WriterTo) error {
	_, err := w.WriteTo(f)
	if cerr := closeReport(f); err == nil {
		err = cerr
	}
	return err
}

// closeReport syncs f, if a regular file, and closes it: a full disk or a
// failing network file system is an error here and not a silently short
// file.
func closeReport(f *os.File) error {
	var err error
	if st, serr := f.Stat(); serr == nil && st.Mode().IsRegular() {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// guarded passes events to next, recovering its panics: the first one is
// kept as an internal error, and next gets no more events (its state is
// suspect). Without it, a report's panic inside an executor node would be
// recovered there, and the failure reported to the same report would
// panic again, out of reach.
type guarded struct {
	next executor.Observer
	mu   sync.Mutex
	err  error
}

// Event implements executor.Observer.
func (g *guarded) Event(e executor.Event) {
	if g.panicked() != nil {
		return
	}
	if err := safely(func() { g.next.Event(e) }); err != nil {
		g.record(err)
	}
}

// record keeps err as next's first panic, unless there was one.
func (g *guarded) record(err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.err == nil {
		g.err = err
	}
}

// panicked returns the internal error of next's first panic, if any.
func (g *guarded) panicked() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}

// heldSummary passes every event to next except the summary, which it
// keeps: the command sends it on once it knows the final exit code (an
// internal error, a report that could not be written), so that the
// summary line and the JSON summary's exit_code agree with the process's.
type heldSummary struct {
	next    executor.Observer
	mu      sync.Mutex
	summary *executor.Summary
	event   executor.Event
}

// Event implements executor.Observer.
func (h *heldSummary) Event(e executor.Event) {
	if e.Type == executor.EventSummary && e.Summary != nil {
		h.mu.Lock()
		s := *e.Summary
		h.summary, h.event = &s, e
		h.mu.Unlock()
		return
	}
	h.next.Event(e)
}

// release sends the held summary, with code as its exit code, to obs.
// It reports whether there was a summary.
func (h *heldSummary) release(code int, obs ...executor.Observer) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.summary == nil {
		return false
	}
	for _, o := range obs {
		s := *h.summary
		s.ExitCode = code
		s.Interrupted = s.Interrupted || code == executor.ExitInterrupted
		e := h.event
		e.Summary = &s
		o.Event(e)
	}
	return true
}
