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

// WriteValidateJSON writes the `validate -json` object: the diagnostics
// shown (the same objects as in the JSON event stream, at most the first
// limits.Errors errors and warnings, then one that counts the rest), and the
// counts of all errors and warnings found, shown or not. It is valid when
// there is no error.
func WriteValidateJSON(w io.Writer, shown []Diagnostic, errors, warnings int) error {
	out := validateJSON{FormatVersion: ValidateFormatVersion, Diagnostics: []Diagnostic{},
		ErrorCount: errors, WarningCount: warnings}
	out.Diagnostics = append(out.Diagnostics, shown...)
	out.Valid = out.ErrorCount == 0
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
