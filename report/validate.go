package report

import (
	"encoding/json"
	"io"
)

// ValidateFormatVersion is the version of the `validate -json` object.
const ValidateFormatVersion = "1.0"

// validateJSON is what `fnprobe validate -json` prints, in the shape of
// `terraform validate -json`.
type validateJSON struct {
	FormatVersion string       `json:"format_version"`
	Valid         bool         `json:"valid"`
	ErrorCount    int          `json:"error_count"`
	WarningCount  int          `json:"warning_count"`
	Diagnostics   []Diagnostic `json:"diagnostics"`
}

// WriteValidateJSON writes the `validate -json` object for diags: valid
// when none is an error. The diagnostics are the same objects as in the
// JSON event stream.
func WriteValidateJSON(w io.Writer, diags []Diagnostic) error {
	out := validateJSON{FormatVersion: ValidateFormatVersion, Diagnostics: []Diagnostic{}}
	for _, d := range diags {
		switch d.Severity {
		case SeverityError:
			out.ErrorCount++
		case SeverityWarning:
			out.WarningCount++
		}
		out.Diagnostics = append(out.Diagnostics, d)
	}
	out.Valid = out.ErrorCount == 0
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
