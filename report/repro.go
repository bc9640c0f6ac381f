package report

import (
	"strings"

	"github.com/fnprobe/fnprobe/executor"
)

// reproLines renders a failed invocation's repro commands for people, each
// line indented by indent (a Markdown "sh" block gives "# ", so that the
// labels are comments and the commands are not indented): the cloud tool's command, the payload file,
// the notes, and the rerun line. The commands are never escaped: they are
// shell-quoted already, their control characters written as printf
// escapes, and a newline inside them is part of a quoted argument (so it
// is not indented either). Every line is redacted once more.
func reproLines(r *executor.ReproInfo, indent string, redact func(string) string) string {
	if r == nil {
		return ""
	}
	var b strings.Builder
	cmdIndent := indent + "  "
	if strings.HasPrefix(indent, "#") {
		cmdIndent = ""
	}
	if r.Command != "" {
		head := "Reproduce with " + r.Tool
		if r.Doc != "" {
			head += " (" + r.Doc + ")"
		}
		b.WriteString(indent + escapeLine(redact(head)) + ":\n")
		b.WriteString(cmdIndent + redact(r.Command) + "\n")
	}
	if r.PayloadFile != "" {
		b.WriteString(indent + "Payload: " + escapeLine(redact(r.PayloadFile)) + "\n")
	}
	if r.Note != "" {
		b.WriteString(indent + "Note: " + escapeLine(redact(r.Note)) + "\n")
	}
	if r.Rerun != "" {
		b.WriteString(indent + "Rerun just this invocation:\n")
		b.WriteString(cmdIndent + redact(r.Rerun) + "\n")
	}
	return b.String()
}
