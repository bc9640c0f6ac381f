package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"
)

// Call is one invocation of a function.
type Call struct {
	Payload   []byte
	Version   string // resolved version (see Function.Resolve)
	RequestID string
}

// Outcome is what a function did.
type Outcome struct {
	Body     []byte
	Log      string
	Failed   bool // the function itself failed (an unhandled error)
	Duration time.Duration
	MemoryMB float64
	// ColdStart: the first call of the function's version in this
	// emulator started its instance; later calls reuse it (warm).
	ColdStart bool
}

// Invoke runs the function's behaviour. It returns an error only when ctx
// ended first; function failures are Outcomes with Failed set.
func (f *Function) Invoke(ctx context.Context, c Call) (Outcome, error) {
	start := time.Now()
	out, err := f.run(ctx, c)
	if err != nil {
		return Outcome{}, err
	}
	out.Duration = time.Since(start)
	out.MemoryMB = f.spec.MemoryMB
	out.ColdStart = f.coldStart(c.Version)
	if out.Log == "" {
		out.Log = fmt.Sprintf("FC Invoke Start RequestId: %s\nFC Invoke End RequestId: %s\n", c.RequestID, c.RequestID)
	}
	return out, nil
}

func (f *Function) run(ctx context.Context, c Call) (Outcome, error) {
	switch f.spec.Behavior {
	case Fail:
		msg := f.spec.Message
		if msg == "" {
			msg = "function failed"
		}
		body, _ := json.Marshal(map[string]any{"errorMessage": msg, "errorType": "Error", "stackTrace": []string{}})
		return Outcome{Body: body, Failed: true, Log: "Error: " + msg + "\n"}, nil
	case Sleep:
		t := time.NewTimer(f.spec.Sleep)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return Outcome{}, ctx.Err()
		}
		return Outcome{Body: bytes.Clone(c.Payload)}, nil
	case Counter:
		f.mu.Lock()
		f.count++
		n := f.count
		f.mu.Unlock()
		return Outcome{Body: fmt.Appendf(nil, "{\"count\":%d}", n)}, nil
	case Command:
		return f.runCommand(ctx, c)
	}
	return Outcome{Body: bytes.Clone(c.Payload)}, nil
}

// Count returns how many times a Counter function has been invoked.
func (f *Function) Count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.count
}

func (f *Function) runCommand(ctx context.Context, c Call) (Outcome, error) {
	cmd := exec.CommandContext(ctx, f.spec.Command[0], f.spec.Command[1:]...)
	cmd.Dir = f.spec.Dir
	cmd.Stdin = bytes.NewReader(c.Payload)
	cmd.Env = append(os.Environ(),
		"FNPROBE_FUNCTION="+f.spec.Name,
		"FNPROBE_VERSION="+c.Version,
		"FNPROBE_REQUEST_ID="+c.RequestID,
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		return Outcome{}, ctx.Err()
	}
	out := Outcome{Body: stdout.Bytes(), Log: stderr.String()}
	if err != nil {
		out.Failed = true
		var exit *exec.ExitError
		if !errors.As(err, &exit) || stdout.Len() == 0 {
			out.Body, _ = json.Marshal(map[string]any{"errorMessage": err.Error(), "errorType": "Error"})
		}
	}
	return out, nil
}

// coldStart reports whether version has not run before in this emulator,
// and marks it warm.
func (f *Function) coldStart(version string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.warm == nil {
		f.warm = map[string]bool{}
	}
	cold := !f.warm[version]
	f.warm[version] = true
	return cold
}
