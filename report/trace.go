package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/fnprobe/fnprobe/executor"
	"github.com/fnprobe/fnprobe/providers"
)

// Trace renders the request trace of run -verbose: for each attempt, every
// request it made and the answer, as curl -v and Hurl --verbose do:
//
//   - invocation.read: attempt 1
//     > GET https://api.example.com/orders/ord-42
//     > Authorization: (masked)
//     >
//     > {"item":"book"}
//     < HTTP 200
//     < Content-Type: application/json
//     <
//     < {"id":"ord-42"}
//
// Credentials in headers and URLs were masked when they were recorded
// (providers.Tracer); every line is redacted (registered secrets, in every
// encoding) and escaped here. Bodies are previews of TracePreview bytes,
// cut on a rune boundary and ended with "…" when there is more.
//
// Trace is safe for concurrent use.
type Trace struct {
	mu   sync.Mutex
	w    io.Writer
	opts Options
	err  error
}

// NewTrace returns a trace renderer writing to w (the CLI gives it
// stderr, so that stdout stays the report).
func NewTrace(w io.Writer, opts Options) *Trace {
	return &Trace{w: w, opts: opts}
}

// Err returns the first error writing the trace, if any.
func (t *Trace) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

// Event implements executor.Observer.
func (t *Trace) Event(e executor.Event) {
	if e.Type != executor.EventAttempt || e.Invocation == nil || e.Attempt == nil || len(e.Attempt.Trace) == 0 {
		return
	}
	var b strings.Builder
	clean := func(s string) string { return escapeLine(t.opts.redact(s)) }
	for i, x := range e.Attempt.Trace {
		fmt.Fprintf(&b, "* %s: attempt %d", clean(e.Invocation.Addr), e.Attempt.Number)
		if len(e.Attempt.Trace) > 1 {
			fmt.Fprintf(&b, ", request %d of %d", i+1, len(e.Attempt.Trace))
		}
		b.WriteString("\n")
		t.message(&b, "> ", x.Request, len(x.Request.Command) > 0)
		switch {
		case x.Response != nil:
			t.message(&b, "< ", *x.Response, len(x.Request.Command) > 0)
		case x.Err != "":
			fmt.Fprintf(&b, "! %s\n", clean(x.Err))
		default:
			b.WriteString("! no answer\n")
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err != nil {
		return
	}
	if _, err := io.WriteString(t.w, t.opts.redact(b.String())); err != nil {
		t.err = fmt.Errorf("report: writing the trace: %w", err)
	}
}

// message writes a request (prefix "> ") or a response ("< "); command
// says the request ran a local command, whose answer has a status but
// was no HTTP response.
func (t *Trace) message(b *strings.Builder, prefix string, m providers.Message, command bool) {
	request := prefix == "> "
	clean := func(s string) string { return escapeLine(t.opts.redact(s)) }
	switch {
	case request && command:
		args := make([]string, len(m.Command))
		for i, a := range m.Command {
			args[i] = strconv.Quote(a)
		}
		fmt.Fprintf(b, "%scommand %s\n", prefix, clean(strings.Join(args, " ")))
		if m.Dir != "" {
			fmt.Fprintf(b, "%sdir %s\n", prefix, clean(m.Dir))
		}
	case request:
		fmt.Fprintf(b, "%s%s %s\n", prefix, clean(m.Method), clean(m.URL))
	case command:
		fmt.Fprintf(b, "%sstatus %d\n", prefix, m.Status)
	default:
		fmt.Fprintf(b, "%sHTTP %d\n", prefix, m.Status)
	}
	for _, h := range m.Headers {
		fmt.Fprintf(b, "%s%s: %s\n", prefix, clean(h.Name), clean(h.Value))
	}
	if len(m.Body) == 0 {
		return
	}
	fmt.Fprintf(b, "%s\n", strings.TrimRight(prefix, " "))
	body := escapeText(t.opts.redact(PreviewText(m)), true)
	for _, line := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		fmt.Fprintf(b, "%s%s\n", prefix, line)
	}
	if m.Truncated() && m.Size > 0 {
		fmt.Fprintf(b, "%s(%d bytes in all)\n", prefix, m.Size)
	}
}

// PreviewText is a message's body preview as text: cut on a rune
// boundary, ended with "…" when the body is longer (so that the Redactor
// also finds a secret the cut left a piece of), not yet redacted or
// escaped.
func PreviewText(m providers.Message) string {
	body := m.Body
	if m.Truncated() {
		cut := len(body)
		if i := lastRuneStart(body); !utf8.FullRune(body[i:]) {
			cut = i // the cut split the last character
		}
		return string(body[:cut]) + "…"
	}
	return string(body)
}

// lastRuneStart returns where the last rune of b starts.
func lastRuneStart(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			return i
		}
	}
	return max(0, len(b)-1)
}
