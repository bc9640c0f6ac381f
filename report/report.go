// Package report renders the event stream of a run (executor.Event) for
// people and machines: a Terraform-like human view, newline-delimited JSON
// events (-json) and a JUnit XML file (-junit).
//
// Every renderer is an executor.Observer and a pure function of the events it
// receives: reports never decide outcomes, they render what the events say.
// Diagnostics are converted once into the JSON-ready Diagnostic struct, from
// which both the human text and the JSON objects are rendered, so the two
// cannot drift apart.
//
// Secrets: every string that leaves this package passes through the
// Options.Redactor, and cty values carrying the spec.Sensitive mark are
// printed as "(sensitive)". Strings are redacted as they are, before they
// are quoted, escaped or wrapped.
//
// Text from outside (bodies, headers, log tails, error messages) cannot
// drive a terminal: the human view and JUnit escape control characters,
// bidi overrides and invalid UTF-8 (see escapeText), after redaction and
// before wrapping; the JSON stream escapes what encoding/json leaves raw
// (C1 controls, bidi characters).
package report

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/fnprobe/fnprobe/executor"
	"github.com/fnprobe/fnprobe/spec"
)

// Options configures a renderer.
type Options struct {
	// Files holds the parsed source files by filename, used to render source
	// snippets in diagnostics. Diagnostics about files not in the map are
	// rendered with their range but without a snippet.
	Files map[string]*hcl.File
	// Redactor replaces known secrets in every string this package writes.
	// It may be nil.
	Redactor *spec.Redactor
	// Color enables ANSI colors and styles in human output.
	Color bool
	// Version is the fnprobe version reported by the JSON version event.
	Version string
	// Width is the column at which human output wraps diagnostic details;
	// 0 means DefaultWidth and a negative value disables wrapping.
	Width int
	// Suite is the suite's name (its PATH) when one command runs several
	// suites: JSON events carry it as "suite" and the JUnit testsuite is
	// named after it. Empty for a single suite.
	Suite string
	// Path is the suite's PATH as given, for the reports that always name
	// it: the JUnit testsuite and the Markdown summary's title. Suite,
	// when set, wins.
	Path string
	// Quiet makes the human view print only failures (error and warning
	// diagnostics) and the summary line: no line per event, no outputs.
	Quiet bool
	// Compact makes the human view print no line per event, for runs whose
	// progress a Progress line shows instead.
	Compact bool
	// Live says the human view writes to a terminal: a sample in progress
	// is one line redrawn in place, not a line every ProgressInterval.
	Live bool
	// Run says what the run is (suite fingerprint, shard, instances), for
	// the JSON run_start event; nil leaves those fields out.
	Run *RunInfo
	// Now is the clock used for timestamps that events do not carry (the
	// JSON version event, events with a zero Time). Nil means time.Now.
	Now func() time.Time
}

// DefaultWidth is the wrapping column of human output when Options.Width is 0.
const DefaultWidth = 78

// redact passes s through the Redactor (a nil Redactor redacts nothing).
func (o Options) redact(s string) string {
	return o.Redactor.String(s)
}

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// eventTime is e.Time, or the clock when the event carries no time.
func (o Options) eventTime(e executor.Event) time.Time {
	if e.Time.IsZero() {
		return o.now()
	}
	return e.Time
}

func (o Options) width() int {
	if o.Width == 0 {
		return DefaultWidth
	}
	return o.Width
}

// Multi returns an Observer that passes every event to each of obs in order.
// Nil observers are ignored.
func Multi(obs ...executor.Observer) executor.Observer {
	list := make([]executor.Observer, 0, len(obs))
	for _, o := range obs {
		if o != nil {
			list = append(list, o)
		}
	}
	return multi(list)
}

type multi []executor.Observer

// Event implements executor.Observer.
func (m multi) Event(e executor.Event) {
	for _, o := range m {
		o.Event(e)
	}
}

// formatDuration renders d compactly and deterministically: "12ms", "1.5s",
// "2m3s"; durations under a millisecond (but not zero) are "<1ms".
func formatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0ms"
	case d < time.Millisecond:
		return "<1ms"
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Round(time.Millisecond).Milliseconds())
	case d < time.Minute:
		s := fmt.Sprintf("%.3f", d.Seconds())
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
		return s + "s"
	default:
		return d.Round(time.Second).String()
	}
}

// millis is d in milliseconds, rounded to the microsecond, for JSON.
func millis(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Microsecond)) / 1000
}

// plural returns "1 attempt" or "2 attempts".
func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
