package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/fnprobe/fnprobe/executor"
	"github.com/fnprobe/fnprobe/limits"
	"github.com/fnprobe/fnprobe/report"
	"github.com/fnprobe/fnprobe/spec"
)

// fmtCommand rewrites *.probe.hcl and *.probevars.hcl files in canonical
// form. With -check it only lists the files that need it and exits 1.
func fmtCommand(ctx context.Context, args []string, env Env) int {
	fs := newFlagSet("fmt", env)
	check := fs.Bool("check", false, "list files that are not formatted and exit 1 if any; change nothing")
	path, err := parseArgs(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return executor.ExitOK
		}
		if !strings.Contains(err.Error(), "flag provided but not defined") {
			fmt.Fprintf(env.Stderr, "fnprobe fmt: %s\n", err)
		}
		return executor.ExitConfig
	}
	files, err := fmtFiles(path)
	if err != nil {
		fmt.Fprintf(env.Stderr, "fnprobe fmt: %s\n", err)
		return executor.ExitConfig
	}
	parser := spec.NewParser()
	var diags hcl.Diagnostics
	unformatted := 0
	for _, fn := range files {
		src, err := limits.ReadFile(ctx, fn, limits.ConfigFileBytes)
		if err != nil {
			fmt.Fprintf(env.Stderr, "fnprobe fmt: %s\n", err)
			return executor.ExitConfig
		}
		// Refuse to format what does not parse: hclwrite would keep the
		// broken tokens and the user would not learn why. Too deep a
		// nesting would overflow the parser's stack.
		if moreDiags := spec.CheckNesting(src, fn, false); moreDiags.HasErrors() {
			diags = append(diags, moreDiags...)
			continue
		}
		if _, moreDiags := parser.ParseHCL(src, fn); moreDiags.HasErrors() {
			diags = append(diags, moreDiags...)
			continue
		}
		out := hclwrite.Format(src)
		if bytes.Equal(out, src) {
			continue
		}
		unformatted++
		fmt.Fprintln(env.Stdout, fn)
		if !*check {
			if err := os.WriteFile(fn, out, 0o644); err != nil {
				fmt.Fprintf(env.Stderr, "fnprobe fmt: %s\n", err)
				return executor.ExitConfig
			}
		}
	}
	if diags.HasErrors() {
		report.WriteDiagnostics(env.Stderr, spec.CapDiagnostics(diags), report.Options{Files: parser.Files(), Width: env.Width, Redactor: secretEnvRedactor(env)})
		return executor.ExitConfig
	}
	if *check && unformatted > 0 {
		return executor.ExitFailed
	}
	return executor.ExitOK
}

func fmtFiles(path string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{path}, nil
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		// Like the go tool, skip dot-directories and testdata (fixtures
		// there may be broken on purpose).
		if d.IsDir() && p != path && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		n := d.Name()
		if !d.IsDir() && (strings.HasSuffix(n, spec.SuffixHCL) || strings.HasSuffix(n, spec.SuffixVars)) {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	return files, err
}
