// Package local implements the "local" provider type: a local command is the
// function. The payload is written to its stdin, its stdout is the body and
// its stderr the log; a non-zero exit is an unhandled function error and a
// process killed by a signal is a crash.
//
//	provider "local" {
//	  env = { STAGE = "test" }   # optional, defaults for every function
//	  dir = "handlers"           # optional, default working directory
//	}
//
//	function "echo" {
//	  provider = provider.local
//	  command  = ["cat"]         # required: program and arguments
//	  env      = { DEBUG = "1" } # optional, merged over the provider's env
//	  dir      = "."             # optional, wins over the provider's dir
//	}
//
// Relative directories are resolved against the directory of the file that
// declares the function (providers.Request.BaseDir), which is also the
// working directory when no dir is given. A command given as a relative path
// ("./handler.sh") is resolved against the working directory; a bare name
// ("cat") is looked up in PATH.
package local

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/limits"
	"github.com/fnprobe/fnprobe/providers"
)

// TypeName is the provider type this driver implements.
const TypeName = "local"

// Result headers set by the driver.
const (
	// HeaderExitCode holds the process's exit code when it exited normally.
	HeaderExitCode = "x-exit-code"
	// HeaderSignal holds the signal that terminated the process when it
	// crashed, e.g. "killed" or "segmentation fault (core dumped)".
	HeaderSignal = "x-signal"
)

// Error types reported in Result.ErrorType.
const (
	// ErrorUnhandled is a non-zero exit.
	ErrorUnhandled = "Unhandled"
	// ErrorCrashed is a process terminated by a signal.
	ErrorCrashed = "Crashed"
)

const (
	defaultMaxBody = 32 << 20 // captured stdout
	defaultLogTail = 4 << 10  // last bytes of stderr kept as the log
	// defaultWaitDelay bounds how long we keep reading the output pipes once
	// the command has exited and its process group was killed, so that a
	// process that left the group (setsid) and still holds stdout or
	// stderr open cannot hang the invocation. It also bounds the wait for
	// the command to exit once the context is done.
	defaultWaitDelay = 500 * time.Millisecond
)

// Driver runs local commands. The zero value is not ready for use; call New.
// A Driver holds no per-call state and is safe for concurrent use.
type Driver struct {
	maxBody   int
	logTail   int
	waitDelay time.Duration

	mu     sync.Mutex
	groups map[int]struct{} // process groups of commands running now
	closes int              // calls of Close so far
}

// New returns a local driver with the default limits: 32 MiB of stdout and
// the last 4 KiB of stderr.
func New() *Driver {
	return &Driver{
		maxBody:   defaultMaxBody,
		logTail:   defaultLogTail,
		waitDelay: defaultWaitDelay,
	}
}

var (
	providerSpec = hcldec.ObjectSpec{
		"env": &hcldec.AttrSpec{Name: "env", Type: cty.Map(cty.String)},
		"dir": &hcldec.AttrSpec{Name: "dir", Type: cty.String},
	}
	functionSpec = hcldec.ObjectSpec{
		"command": &hcldec.AttrSpec{Name: "command", Type: cty.List(cty.String), Required: true},
		"env":     &hcldec.AttrSpec{Name: "env", Type: cty.Map(cty.String)},
		"dir":     &hcldec.AttrSpec{Name: "dir", Type: cty.String},
	}
)

// Schema describes the provider and function bodies of the local provider.
func (d *Driver) Schema() providers.Schema {
	return providers.Schema{
		Provider: providerSpec,
		Function: functionSpec,
		Types:    []string{providers.TypeSync},
	}
}

// ValidateFunction checks a function's command and environment before
// anything runs. Unknown values are not checked.
func (d *Driver) ValidateFunction(provider, function cty.Value) map[string]string {
	problems := map[string]string{}
	if msg := validateCommand(attrValue(function, "command")); msg != "" {
		problems["command"] = msg
	}
	if msg := validateEnv(attrValue(function, "env")); msg != "" {
		problems["env"] = msg
	}
	if msg := validateDir(attrValue(function, "dir")); msg != "" {
		problems["dir"] = msg
	}
	if len(problems) == 0 {
		return nil
	}
	return problems
}

func validateCommand(v cty.Value) string {
	if !v.IsWhollyKnown() {
		return ""
	}
	if v.IsNull() || v.LengthInt() == 0 {
		return "command must name a program to run, e.g. [\"./handler.sh\", \"--flag\"]"
	}
	i := 0
	for it := v.ElementIterator(); it.Next(); i++ {
		_, ev := it.Element()
		if ev.IsNull() {
			return fmt.Sprintf("command element %d is null", i)
		}
		s := ev.AsString()
		if strings.IndexByte(s, 0) >= 0 {
			return fmt.Sprintf("command element %d contains a NUL byte", i)
		}
		if i == 0 && s == "" {
			return "the first element of command, the program to run, must not be empty"
		}
	}
	return ""
}

func validateEnv(v cty.Value) string {
	if !v.IsWhollyKnown() || v.IsNull() {
		return ""
	}
	for it := v.ElementIterator(); it.Next(); {
		k, ev := it.Element()
		if msg := envKeyProblem(k.AsString()); msg != "" {
			return msg
		}
		// Never echo the value: it may be a secret.
		if !ev.IsNull() && strings.IndexByte(ev.AsString(), 0) >= 0 {
			return fmt.Sprintf("the value of environment variable %q contains a NUL byte", k.AsString())
		}
	}
	return ""
}

func envKeyProblem(k string) string {
	switch {
	case k == "":
		return "environment variable names must not be empty"
	case strings.ContainsAny(k, "=\x00"):
		return fmt.Sprintf("environment variable name %q must not contain '=' or NUL", k)
	}
	return ""
}

func validateDir(v cty.Value) string {
	if !v.IsKnown() || v.IsNull() {
		return ""
	}
	if strings.IndexByte(v.AsString(), 0) >= 0 {
		return "dir contains a NUL byte"
	}
	return ""
}

// attrValue returns obj.name, or an unknown value when obj cannot have it
// (so that validation skips it).
func attrValue(obj cty.Value, name string) cty.Value {
	if obj.IsNull() || !obj.IsKnown() || !obj.Type().IsObjectType() || !obj.Type().HasAttribute(name) {
		return cty.NullVal(cty.DynamicPseudoType)
	}
	return obj.GetAttr(name)
}

// Invoke runs the function's command once, with the payload on stdin.
//
// A command that cannot be started (not found, not executable, bad working
// directory) and an invocation cut short by ctx are Go errors; every process
// that ran to its end is a Result. The first kind is permanent (see
// providers.Permanent): retrying cannot help.
//
// The command runs in its own process group. When it exits, successfully or
// not, or when ctx ends, the whole group is killed: background children it
// left behind (`sleep 300 &`) do not outlive the invocation, and cannot keep
// it waiting by holding stdout or stderr open.
func (d *Driver) Invoke(ctx context.Context, req *providers.Request) (*providers.Result, error) {
	tr := providers.TracerFrom(ctx)
	if tr == nil {
		return d.invoke(ctx, req)
	}
	// The trace shows the command, its directory and its stdin; then its
	// exit status, the exit code (or signal) header and its stdout.
	body, size := providers.Preview(req.Payload)
	id := tr.Request(providers.Message{Command: providers.StringList(req.Function, "command"), Dir: workDir(req), Body: body, Size: size})
	res, err := d.invoke(ctx, req)
	if err != nil {
		tr.Fail(id, err)
		return res, err
	}
	h := make(map[string][]string, len(res.Headers))
	for k, v := range res.Headers {
		h[k] = []string{v}
	}
	body, size = providers.Preview(res.Body)
	tr.Response(id, providers.Message{Status: res.Status, Headers: providers.Headers(h), Body: body, Size: size})
	return res, nil
}

func (d *Driver) invoke(ctx context.Context, req *providers.Request) (*providers.Result, error) {
	if req.Type != "" && req.Type != providers.TypeSync {
		return nil, &providers.TypeError{Provider: TypeName, Type: req.Type}
	}
	argv := providers.StringList(req.Function, "command")
	if len(argv) == 0 || argv[0] == "" {
		return nil, errors.New("local: the function has no command to run")
	}

	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = workDir(req)
	cmd.Env = mergeEnv(os.Environ(), providers.StringMap(req.Provider, "env"), providers.StringMap(req.Function, "env"))
	cmd.WaitDelay = d.waitDelay
	configureProcess(cmd)

	// The pipes are ours, not os/exec's: cmd.Wait then returns as soon as
	// the command exits, and we kill its group before draining them. With
	// os/exec's pipes, Wait would first wait for every process holding
	// them.
	var p pipes
	defer p.closeAll()
	if len(req.Payload) > 0 {
		r, err := p.input(req.Payload)
		if err != nil {
			return nil, fmt.Errorf("local: starting %s: %w", describeCommand(argv[0], cmd.Dir), err)
		}
		cmd.Stdin = r
	} // else stdin is the null device: an immediate EOF
	stdout := &capWriter{max: d.maxBody}
	w, err := p.output(stdout)
	if err != nil {
		return nil, fmt.Errorf("local: starting %s: %w", describeCommand(argv[0], cmd.Dir), err)
	}
	cmd.Stdout = w
	var stderr *tailWriter
	if req.Logs {
		stderr = &tailWriter{max: d.logTail}
		w, err := p.output(stderr)
		if err != nil {
			return nil, fmt.Errorf("local: starting %s: %w", describeCommand(argv[0], cmd.Dir), err)
		}
		cmd.Stderr = w
	}

	closes := d.closeCount()
	if err := cmd.Start(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("local: %s was stopped: %w", describeCommand(argv[0], cmd.Dir), context.Cause(ctx))
		}
		return nil, startFailure(fmt.Errorf("local: cannot start %s: %w", describeCommand(argv[0], cmd.Dir), err))
	}
	group := d.track(cmd.Process.Pid, closes)
	p.start()
	// The command is gone: whatever it left in its group goes too. Where
	// we can, before reaping it, while the group's id cannot be reused.
	killed := waitExited(cmd.Process.Pid)
	if killed {
		killGroup(group)
	}
	waitErr := cmd.Wait()
	if !killed {
		killGroup(group)
	}
	d.untrack(group)
	p.drain(d.waitDelay)

	state := cmd.ProcessState
	if ctx.Err() != nil && (state == nil || !state.Exited() || errors.Is(waitErr, ctx.Err())) {
		// Stopped by the context. A process that exited by itself just
		// before the deadline still counts as an answer.
		return nil, fmt.Errorf("local: %s was stopped: %w", describeCommand(argv[0], cmd.Dir), context.Cause(ctx))
	}
	if stdout.overflow {
		return nil, fmt.Errorf("local: %s wrote more than the %s limit on stdout", describeCommand(argv[0], cmd.Dir), limits.Size(int64(d.maxBody)))
	}
	if state == nil {
		// Wait failed before the process was reaped; nothing to report.
		return nil, fmt.Errorf("local: waiting for %s: %w", describeCommand(argv[0], cmd.Dir), waitErr)
	}
	var exitErr *exec.ExitError
	switch {
	case waitErr == nil, errors.As(waitErr, &exitErr), errors.Is(waitErr, exec.ErrWaitDelay):
		// The process ran to its end; its state tells the rest.
	default:
		return nil, fmt.Errorf("local: waiting for %s: %w", describeCommand(argv[0], cmd.Dir), waitErr)
	}
	if err := p.err(); err != nil {
		return nil, fmt.Errorf("local: reading the output of %s: %w", describeCommand(argv[0], cmd.Dir), err)
	}

	res := &providers.Result{
		Status:    200,
		Body:      stdout.Bytes(),
		Headers:   map[string]string{},
		RequestID: newRequestID(),
	}
	if stderr != nil {
		res.Log = stderr.String()
	}
	if state.Exited() {
		code := state.ExitCode()
		res.Headers[HeaderExitCode] = strconv.Itoa(code)
		if code != 0 {
			res.Error = true
			res.ErrorType = ErrorUnhandled
		}
		return res, nil
	}
	// Terminated by a signal: the function crashed.
	res.Status = 500
	res.Error = true
	res.ErrorType = ErrorCrashed
	res.Headers[HeaderSignal] = strings.TrimPrefix(state.String(), "signal: ")
	return res, nil
}

// Close kills the process groups of commands still running, for a caller
// that is about to exit without waiting for them (a second Ctrl-C). It
// implements providers.Closer; the driver stays usable.
func (d *Driver) Close() error {
	d.mu.Lock()
	d.closes++
	groups := make([]int, 0, len(d.groups))
	for g := range d.groups {
		groups = append(groups, g)
	}
	d.mu.Unlock()
	for _, g := range groups {
		killGroup(g)
	}
	return nil
}

// closeCount is the number of calls of Close so far.
func (d *Driver) closeCount() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.closes
}

// track records a started command's process group (its pid) as live.
// closes is closeCount from before the command was started: a Close that
// came between the start and now did not see the group, so it is killed
// here, as Close would have.
func (d *Driver) track(pid, closes int) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.groups == nil {
		d.groups = map[int]struct{}{}
	}
	d.groups[pid] = struct{}{}
	if d.closes != closes {
		killGroup(pid)
	}
	return pid
}

// untrack forgets a finished command's process group.
func (d *Driver) untrack(group int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.groups, group)
}

// startFailure marks err permanent when the cause is in the configuration
// (missing or non-executable program, bad directory), with a hint saying
// what to change; resource shortages (EAGAIN, EMFILE, ENOMEM) stay
// retryable.
func startFailure(err error) error {
	switch {
	case errors.Is(err, exec.ErrNotFound), errors.Is(err, fs.ErrNotExist):
		return providers.Permanent(err, "The command does not exist: install it, or fix its path in the function's command.")
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.ENOEXEC):
		return providers.Permanent(err, "The command is not executable: check its permissions and format.")
	case errors.Is(err, syscall.ENOTDIR), errors.Is(err, syscall.EISDIR):
		return providers.Permanent(err, "The command's working directory does not exist or is not a directory.")
	}
	return err
}

// pipes are a command's stdin, stdout and stderr, created by Invoke so that
// our ends can be drained and closed on our schedule, not os/exec's.
type pipes struct {
	child  []*os.File // the command's ends, closed here once it started
	parent []*os.File // our ends
	jobs   []func()   // the stdin writer and one reader per output
	wg     sync.WaitGroup

	mu      sync.Mutex
	readErr error // a failure reading an output, other than our closing it
}

// input returns the read end of a pipe that will carry payload.
func (p *pipes) input(payload []byte) (*os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	p.child, p.parent = append(p.child, r), append(p.parent, w)
	p.jobs = append(p.jobs, func() {
		// The command may exit without reading it all: not an error.
		_, _ = w.Write(payload)
		w.Close()
	})
	return r, nil
}

// output returns the write end of a pipe whose contents go to dst.
func (p *pipes) output(dst io.Writer) (*os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	p.child, p.parent = append(p.child, w), append(p.parent, r)
	p.jobs = append(p.jobs, func() {
		_, err := io.Copy(dst, r)
		// Closing stops a command that writes past the limit: EPIPE or
		// SIGPIPE on its next write.
		r.Close()
		if err != nil && !errors.Is(err, errOutputLimit) && !errors.Is(err, os.ErrClosed) {
			p.mu.Lock()
			p.readErr = err
			p.mu.Unlock()
		}
	})
	return w, nil
}

// start closes the command's ends in this process (the command has its own
// copies) and starts copying.
func (p *pipes) start() {
	for _, f := range p.child {
		f.Close()
	}
	p.child = nil
	for _, job := range p.jobs {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			job()
		}()
	}
}

// drain waits for the copies to finish, which they do once every process
// holding the command's ends has closed them. After grace, our ends are
// closed, which ends the copies with what was read so far: a process
// outside the command's group may still hold a pipe.
func (p *pipes) drain(grace time.Duration) {
	done := make(chan struct{})
	go func() {
		p.wg.Wait()
		close(done)
	}()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
		return
	case <-t.C:
	}
	for _, f := range p.parent {
		f.Close()
	}
	<-done
}

// err returns the first failure reading an output.
func (p *pipes) err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.readErr
}

// closeAll closes every end still open (for a command that never started).
func (p *pipes) closeAll() {
	for _, f := range append(p.child, p.parent...) {
		f.Close()
	}
}

// workDir returns the working directory for the request: the function's dir,
// else the provider's, else the declaring file's directory. Relative paths
// are taken relative to req.BaseDir. An empty result means the current
// directory of fnprobe itself.
func workDir(req *providers.Request) string {
	dir := providers.String(req.Function, "dir")
	if dir == "" {
		dir = providers.String(req.Provider, "dir")
	}
	if dir == "" {
		return req.BaseDir
	}
	if filepath.IsAbs(dir) || req.BaseDir == "" {
		return dir
	}
	return filepath.Join(req.BaseDir, dir)
}

// mergeEnv returns base with the provider's and then the function's variables
// layered on top. os/exec uses the last value of a duplicated key, so
// appending is enough; keys are sorted to keep the order deterministic.
func mergeEnv(base []string, layers ...map[string]string) []string {
	env := append([]string(nil), base...)
	for _, layer := range layers {
		keys := make([]string, 0, len(layer))
		for k := range layer {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			env = append(env, k+"="+layer[k])
		}
	}
	return env
}

// Describe implements providers.Describer: the command and the directory
// it runs in, as "command "sh" "-c" "..." in DIR".
func (d *Driver) Describe(req *providers.Request) providers.Target {
	argv := providers.StringList(req.Function, "command")
	quoted := make([]string, len(argv))
	for i, a := range argv {
		quoted[i] = strconv.Quote(a)
	}
	s := "command " + strings.Join(quoted, " ")
	if dir := workDir(req); dir != "" {
		s += " in " + dir
	}
	return providers.Target{Endpoint: s}
}

func describeCommand(program, dir string) string {
	if dir == "" {
		return fmt.Sprintf("command %q", program)
	}
	return fmt.Sprintf("command %q in directory %q", program, dir)
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand documents it)
	return hex.EncodeToString(b[:])
}

// errOutputLimit stops the copy of stdout once the limit is exceeded; the
// pipe is then closed and the command gets EPIPE/SIGPIPE on its next write.
var errOutputLimit = errors.New("output limit exceeded")

// capWriter keeps at most max bytes and refuses anything beyond.
type capWriter struct {
	buf      bytes.Buffer
	max      int
	overflow bool
}

func (w *capWriter) Write(p []byte) (int, error) {
	if w.buf.Len()+len(p) > w.max {
		w.overflow = true
		return 0, errOutputLimit
	}
	return w.buf.Write(p)
}

// Bytes returns the captured output (non-nil).
func (w *capWriter) Bytes() []byte {
	if w.buf.Len() == 0 {
		return []byte{}
	}
	return w.buf.Bytes()
}

// tailWriter keeps the last max bytes written to it, draining everything.
type tailWriter struct {
	buf []byte
	max int
	cut bool
}

func (w *tailWriter) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) >= w.max {
		w.cut = w.cut || len(w.buf) > 0 || len(p) > w.max
		w.buf = append(w.buf[:0], p[len(p)-w.max:]...)
		return n, nil
	}
	if over := len(w.buf) + len(p) - w.max; over > 0 {
		w.cut = true
		w.buf = append(w.buf[:0], w.buf[over:]...)
	}
	w.buf = append(w.buf, p...)
	return n, nil
}

// String returns the tail. When the beginning was cut off, a partial UTF-8
// sequence at the start is dropped.
func (w *tailWriter) String() string {
	b := w.buf
	if w.cut {
		for i := 0; i < utf8.UTFMax && len(b) > 0 && !utf8.RuneStart(b[0]); i++ {
			b = b[1:]
		}
	}
	return string(b)
}
