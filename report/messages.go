package report

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/fnprobe/fnprobe/executor"
)

// The one-line messages below are shared by the human view and the JSON
// "@message" field. They are built from raw event data; callers redact the
// result.

func startMessage(inv *executor.InvocationInfo) string {
	if inv.Provider != "" {
		return fmt.Sprintf("%s: invoking %s (%s)...", inv.Addr, inv.Function, inv.Provider)
	}
	return fmt.Sprintf("%s: invoking %s...", inv.Addr, inv.Function)
}

// reasonText turns an AttemptInfo.Reason into words.
func reasonText(reason string) string {
	if reason == "until" {
		return "until condition not met"
	}
	return reason
}

func attemptMessage(addr string, a *executor.AttemptInfo) string {
	var parts []string
	if a.Reason != "" {
		parts = append(parts, reasonText(a.Reason))
	}
	if a.HTTPStatus != 0 {
		parts = append(parts, fmt.Sprintf("HTTP %d", a.HTTPStatus))
	}
	detail := strings.Join(parts, ", ")
	if a.Err != "" {
		if detail != "" {
			detail += ": "
		}
		detail += a.Err
	}
	verb := "failed"
	if a.Err == "" && a.Reason == "" && !a.Retry {
		verb = "answered"
		if detail != "" {
			detail += ", "
		}
		detail += formatDuration(a.Duration)
	}
	msg := fmt.Sprintf("%s: attempt %d %s", addr, a.Number, verb)
	if detail != "" {
		msg += " (" + detail + ")"
	}
	if a.Retry {
		msg += "; retrying in " + formatDuration(a.Wait)
	}
	return msg
}

func assertionMessage(addr string, a *executor.AssertionInfo) string {
	if a.Passed {
		return fmt.Sprintf("%s: %s passed", addr, a.Name)
	}
	msg := fmt.Sprintf("%s: %s failed", addr, a.Name)
	if a.Severity == "warn" {
		msg = fmt.Sprintf("%s: %s failed (warning)", addr, a.Name)
	}
	if a.Diag != nil && a.Diag.Summary != "" {
		msg += ": " + a.Diag.Summary
	}
	return msg
}

// countSeverity counts diagnostics of severity sev.
func countSeverity(diags hcl.Diagnostics, sev hcl.DiagnosticSeverity) int {
	n := 0
	for _, d := range diags {
		if d != nil && d.Severity == sev {
			n++
		}
	}
	return n
}

// resultMessage is "invocation.create: pass (1 attempt, 12ms)"; the status
// word is painted with p.
func resultMessage(addr string, r *executor.ResultInfo, p palette) string {
	timing := fmt.Sprintf("%s, %s", plural(r.Attempts, "attempt"), formatDuration(r.Duration))
	if w := countSeverity(r.Diags, hcl.DiagWarning); w > 0 {
		timing += ", " + plural(w, "warning")
	}
	word := r.Status.String()
	switch r.Status {
	case executor.StatusPass:
		return fmt.Sprintf("%s: %s (%s)", addr, p.paint(word, ansiGreen), timing)
	case executor.StatusFail:
		return fmt.Sprintf("%s: %s (%s)", addr, p.paint(word, ansiBold, ansiRed), timing)
	case executor.StatusError:
		msg := fmt.Sprintf("%s: %s", addr, p.paint(word, ansiBold, ansiRed))
		if r.Reason != "" {
			msg += ": " + r.Reason
		}
		if r.Attempts > 0 {
			msg += " (" + timing + ")"
		}
		return msg
	case executor.StatusSkip:
		msg := fmt.Sprintf("%s: %s", addr, p.paint(word, ansiYellow))
		if r.Reason != "" {
			msg += ": " + r.Reason
		}
		return msg
	}
	return fmt.Sprintf("%s: %s", addr, word)
}

// summaryMessage is the closing line: "Success! 3 passed, 0 failed, 0
// errored, 1 skipped." The verdict follows the summary's exit code.
func summaryMessage(s *executor.Summary, p palette) string {
	var verdict string
	switch {
	case s.Interrupted || s.ExitCode == 130:
		verdict = p.paint("Interrupted!", ansiBold, ansiYellow)
	case s.ExitCode == 0:
		verdict = p.paint("Success!", ansiBold, ansiGreen)
	default:
		verdict = p.paint("Failure!", ansiBold, ansiRed)
	}
	msg := fmt.Sprintf("%s %d passed, %d failed, %d errored, %d skipped", verdict, s.Passed, s.Failed, s.Errored, s.Skipped)
	if s.Warnings > 0 {
		msg += ", " + plural(s.Warnings, "warning")
	}
	return msg + "."
}
