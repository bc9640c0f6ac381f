package providers

import "errors"

// PermanentError marks a failure that retrying cannot heal: a wrong scheme,
// an untrusted certificate, a host that does not exist, a command that is
// not installed. The executor does not retry it and shows Hint, a sentence
// saying what to change, after the error.
type PermanentError struct {
	Err  error
	Hint string
}

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err as a PermanentError with a hint; nil stays nil, and an
// error already permanent is returned as is.
func Permanent(err error, hint string) error {
	if err == nil {
		return nil
	}
	var pe *PermanentError
	if errors.As(err, &pe) {
		return err
	}
	return &PermanentError{Err: err, Hint: hint}
}

// permanent is the one-method form of the mark, for drivers that keep
// their own error types: an error in the chain whose Permanent method
// returns true is permanent, with no hint.
type permanent interface{ Permanent() bool }

// IsPermanent returns the PermanentError in err's chain (one is made, with
// no hint, for an error whose Permanent method returns true), or nil.
func IsPermanent(err error) *PermanentError {
	var pe *PermanentError
	if errors.As(err, &pe) {
		return pe
	}
	var p permanent
	if errors.As(err, &p) && p.Permanent() {
		return &PermanentError{Err: err}
	}
	return nil
}

// ConfigHint is the hint of a driver's configuration error found at
// invocation time (no credentials, no region): the configuration does not
// change during a run, so retrying cannot heal it.
const ConfigHint = "Set it in the provider block or in the environment; to run offline, fnprobe run -emulate CONFIG supplies the emulator's endpoint and credentials."
