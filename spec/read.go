package spec

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/fnprobe/fnprobe/limits"
)

// parseFile reads a configuration file within limits.ConfigFileBytes,
// refuses nesting deeper than limits.NestingDepth, and parses it (HCL JSON
// when json, else native syntax) into the parser's cache. what names the
// file in messages: "suite file", "variables file".
func parseFile(ctx context.Context, parser *Parser, filename string, json bool, what string) (*hcl.File, hcl.Diagnostics) {
	src, err := limits.ReadFile(ctx, filename, limits.ConfigFileBytes)
	if err != nil {
		return nil, hcl.Diagnostics{readDiag(what, filename, err)}
	}
	if diags := CheckNesting(src, filename, json); diags.HasErrors() {
		return nil, diags
	}
	if json {
		return parser.ParseJSON(src, filename)
	}
	f, diags := parser.ParseHCL(src, filename)
	if f != nil {
		if body, ok := f.Body.(*hclsyntax.Body); ok {
			fastTemplates(body)
		}
	}
	return f, diags
}

// readDiag reports a file that cannot be read; what is "suite file" or
// "variables file".
func readDiag(what, filename string, err error) *hcl.Diagnostic {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || !isPathError(err) {
		return &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("Reading the %s stopped", what),
			Detail:   fmt.Sprintf("Reading %s stopped: %s.", filename, err),
		}
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("Cannot read %s", what),
		Detail:   fmt.Sprintf("The %s %q cannot be read: %s.", what, filename, limits.Reason(err)),
	}
}

func isPathError(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe)
}

func ctxOrBackground(ctx context.Context) context.Context {
	if ctx == nil {
		return context.Background()
	}
	return ctx
}
