package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
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

// fmtFlags are the flags of `fnprobe fmt`.
type fmtFlags struct {
	check, diff bool
}

func (f *fmtFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.check, "check", false, "list the files that are not formatted and exit 1 if there are any; change nothing")
	fs.BoolVar(&f.diff, "diff", false, "print a unified diff of the changes (with -check, of the changes that would be made)")
}

// fmtCommand rewrites *.probe.hcl and *.probevars.hcl files in canonical
// form. With -check it only lists the files that need it and exits 1; with
// -diff it prints what changes; with PATH "-" it formats standard input to
// standard output.
func fmtCommand(ctx context.Context, args []string, env Env) int {
	fs := newFlagSet("fmt", env)
	var f fmtFlags
	f.register(fs)
	paths, err := parseArgs(fs, args)
	if err != nil {
		return flagError(err, "fmt", fs, env)
	}
	if len(paths) > 1 {
		fmt.Fprintf(env.Stderr, "fnprobe fmt: expected at most one PATH, got %d: %s\n", len(paths), strings.Join(paths, " "))
		return executor.ExitConfig
	}
	path := paths[0]
	if path == "-" {
		return fmtStdin(f, env)
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
		if f.diff {
			fmt.Fprint(env.Stdout, unifiedDiff("old/"+filepath.ToSlash(fn), "new/"+filepath.ToSlash(fn), string(src), string(out)))
		}
		if !f.check {
			if err := os.WriteFile(fn, out, 0o644); err != nil {
				fmt.Fprintf(env.Stderr, "fnprobe fmt: %s\n", err)
				return executor.ExitConfig
			}
		}
	}
	if diags.HasErrors() {
		report.WriteDiagnostics(env.Stderr, spec.CapDiagnostics(diags), report.Options{Files: parser.Files(), Width: env.Width, Color: env.stderrColor, Redactor: secretEnvRedactor(env)})
		return executor.ExitConfig
	}
	if f.check && unformatted > 0 {
		return executor.ExitFailed
	}
	return executor.ExitOK
}

// fmtStdin formats standard input: to standard output, or with -diff as a
// diff, or with -check only as the exit code.
func fmtStdin(f fmtFlags, env Env) int {
	src, err := io.ReadAll(env.Stdin)
	if err != nil {
		fmt.Fprintf(env.Stderr, "fnprobe fmt: reading standard input: %s\n", err)
		return executor.ExitConfig
	}
	parser := spec.NewParser()
	if _, diags := parser.ParseHCL(src, "<stdin>"); diags.HasErrors() {
		report.WriteDiagnostics(env.Stderr, diags, report.Options{Files: parser.Files(), Width: env.Width, Color: env.stderrColor})
		return executor.ExitConfig
	}
	out := hclwrite.Format(src)
	switch {
	case f.diff:
		fmt.Fprint(env.Stdout, unifiedDiff("old/<stdin>", "new/<stdin>", string(src), string(out)))
	case !f.check:
		env.Stdout.Write(out)
	}
	if f.check && !bytes.Equal(out, src) {
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
