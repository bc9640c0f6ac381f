package spec

import (
	"fmt"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/fnprobe/fnprobe/limits"
)

func TestCapDiagnostics(t *testing.T) {
	mk := func(errs, warns int) hcl.Diagnostics {
		var ds hcl.Diagnostics
		for i := 0; i < errs || i < warns; i++ {
			if i < errs {
				ds = append(ds, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: fmt.Sprint("e", i)})
			}
			if i < warns {
				ds = append(ds, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: fmt.Sprint("w", i)})
			}
		}
		return ds
	}
	n := limits.Errors
	for _, c := range []struct {
		errs, warns int
		wantLen     int
		last        string
		lastSev     hcl.DiagnosticSeverity
	}{
		{n, n, 2 * n, "w19", hcl.DiagWarning},
		{n + 1, 0, n + 1, "1 more error not shown", hcl.DiagError},
		{5000, 1, n + 2, "4980 more errors not shown", hcl.DiagError},
		{1, n + 2, n + 2, "2 more warnings not shown", hcl.DiagWarning},
		{n + 3, n + 1, 2*n + 1, "3 more errors and 1 more warning not shown", hcl.DiagError},
	} {
		got := CapDiagnostics(mk(c.errs, c.warns))
		if len(got) != c.wantLen {
			t.Errorf("%d errors, %d warnings: %d diagnostics, want %d", c.errs, c.warns, len(got), c.wantLen)
			continue
		}
		last := got[len(got)-1]
		if last.Summary != c.last || last.Severity != c.lastSev {
			t.Errorf("%d errors, %d warnings: last is %q (%v), want %q (%v)", c.errs, c.warns, last.Summary, last.Severity, c.last, c.lastSev)
		}
		if c.errs > 0 && got[0].Summary != "e0" {
			t.Errorf("order changed: first is %q", got[0].Summary)
		}
	}
}
