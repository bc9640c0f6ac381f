package spec

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"

	"github.com/fnprobe/fnprobe/limits"
)

// CapDiagnostics keeps the first limits.Errors errors and as many warnings,
// in order, and counts the rest in one last diagnostic ("2169 more errors
// not shown"), an error when errors were left out. A file of garbage
// yields thousands of errors; past the first ones they are noise, and each
// costs the renderer a scan of its file.
func CapDiagnostics(diags hcl.Diagnostics) hcl.Diagnostics {
	var errs, warns, moreErrs, moreWarns int
	out := make(hcl.Diagnostics, 0, min(len(diags), 2*limits.Errors+1))
	for _, d := range diags {
		switch {
		case d.Severity == hcl.DiagError && errs < limits.Errors:
			errs++
		case d.Severity == hcl.DiagError:
			moreErrs++
			continue
		case warns < limits.Errors:
			warns++
		default:
			moreWarns++
			continue
		}
		out = append(out, d)
	}
	if moreErrs+moreWarns == 0 {
		return diags
	}
	more := &hcl.Diagnostic{Severity: hcl.DiagWarning}
	switch {
	case moreErrs > 0 && moreWarns > 0:
		more.Severity = hcl.DiagError
		more.Summary = fmt.Sprintf("%d more error%s and %d more warning%s not shown", moreErrs, plural(moreErrs), moreWarns, plural(moreWarns))
	case moreErrs > 0:
		more.Severity = hcl.DiagError
		more.Summary = fmt.Sprintf("%d more error%s not shown", moreErrs, plural(moreErrs))
	default:
		more.Summary = fmt.Sprintf("%d more warning%s not shown", moreWarns, plural(moreWarns))
	}
	more.Detail = fmt.Sprintf("Only the first %d errors and %d warnings are shown. Fix these and check again.", limits.Errors, limits.Errors)
	return append(out, more)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
