package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/hashicorp/hcl/v2"

	"github.com/fnprobe/fnprobe/executor"
	"github.com/fnprobe/fnprobe/report"
)

// ciFlag is the value of run's -ci flag: which CI's conventions to follow.
type ciFlag string

const (
	ciAuto   ciFlag = "auto"   // GitHub Actions when GITHUB_ACTIONS=true
	ciGitHub ciFlag = "github" // GitHub Actions, wherever this runs
	ciNone   ciFlag = "none"   // no CI output
)

func (c *ciFlag) String() string {
	if *c == "" {
		return string(ciAuto)
	}
	return string(*c)
}

func (c *ciFlag) Set(s string) error {
	switch ciFlag(s) {
	case ciAuto, ciGitHub, ciNone:
		*c = ciFlag(s)
		return nil
	}
	return errors.New("must be auto, github or none")
}

// github says whether the run follows GitHub Actions' conventions.
func (c ciFlag) github(getenv func(string) string) bool {
	switch c {
	case ciGitHub:
		return true
	case ciNone:
		return false
	}
	return getenv("GITHUB_ACTIONS") == "true"
}

// ciReports are run's CI outputs: GitHub annotations, the -report-markdown
// file and GitHub's step summary.
type ciReports struct {
	github       bool               // annotations and the step summary
	paths        report.GitHubPaths // how annotations name files
	markdownFile *os.File           // -report-markdown, opened before the run
	markdowns    []*report.Markdown // one per suite begun, when a summary is due
	written      bool               // the summaries were written
}

// openCI resolves -ci; openReports has opened the -report-markdown file.
func (r *suiteRun) openCI() {
	c := &r.ci
	c.github = r.f.ci.github(r.env.Getenv)
	if c.github {
		c.paths.Workspace = r.env.Getenv("GITHUB_WORKSPACE")
		if dir, err := os.Getwd(); err == nil {
			c.paths.Dir = dir
		}
	}
}

// stepSummary is GITHUB_STEP_SUMMARY, when on GitHub Actions.
func (r *suiteRun) stepSummary() string {
	if !r.ci.github {
		return ""
	}
	return r.env.Getenv("GITHUB_STEP_SUMMARY")
}

// newMarkdown begins the Markdown summary of a suite, when one is due.
func (r *suiteRun) newMarkdown(opts report.Options) *report.Markdown {
	if r.ci.markdownFile == nil && r.stepSummary() == "" {
		return nil
	}
	m := report.NewMarkdown(opts)
	r.ci.markdowns = append(r.ci.markdowns, m)
	return m
}

// newGitHub returns the collector of a suite's annotations, nil when not
// on GitHub Actions.
func (r *suiteRun) newGitHub(opts report.Options) *report.GitHub {
	if !r.ci.github {
		return nil
	}
	return report.NewGitHub(opts, r.ci.paths)
}

// annotationsOut is where annotations go: standard output, where GitHub
// reads workflow commands, unless -json has it; then standard error.
func (r *suiteRun) annotationsOut() io.Writer {
	if r.jsonView != nil {
		return r.env.Stderr
	}
	return r.env.Stdout
}

// annotate writes a run's annotations, after its summary.
func (r *suiteRun) annotate(g *guarded, gh *report.GitHub, redact func(string) string) int {
	if gh == nil {
		return executor.ExitOK
	}
	if err := g.panicked(); err != nil {
		fmt.Fprintf(r.env.Stderr, "fnprobe: writing the GitHub annotations: %s", redact(err.Error()))
		return executor.ExitInternal
	}
	gh.WriteTo(r.annotationsOut()) // a write error on stdout is Main's to report
	return executor.ExitOK
}

// annotateDiags writes configuration diagnostics (no run) as annotations.
func (r *suiteRun) annotateDiags(opts report.Options, diags hcl.Diagnostics) {
	if !r.ci.github || len(diags) == 0 {
		return
	}
	report.WriteAnnotations(r.annotationsOut(), diags, opts, r.ci.paths)
}

// writeMarkdown writes the Markdown summary of the suites run to the
// -report-markdown file and appends it to GITHUB_STEP_SUMMARY (never
// truncating what earlier steps wrote there). Either failing is exit 3,
// as for any report.
func (r *suiteRun) writeMarkdown() int {
	c := &r.ci
	if c.written {
		return executor.ExitOK
	}
	c.written = true
	code := executor.ExitOK
	summary := report.MarkdownSummary(c.markdowns, report.DefaultMarkdownLimit)
	if f := c.markdownFile; f != nil {
		c.markdownFile = nil
		if err := writeReport(f, bytes.NewReader(summary)); err != nil {
			code = executor.WorstExit(code, r.reportFailed("Markdown", r.f.markdown, err))
		}
	}
	if path := r.stepSummary(); path != "" && len(summary) > 0 {
		// A blank line first: what an earlier step wrote may not end
		// its last paragraph.
		if err := appendReport(path, append([]byte("\n"), summary...)); err != nil {
			err = fmt.Errorf("appending to GITHUB_STEP_SUMMARY: %w", err)
			code = executor.WorstExit(code, r.reportFailed("Markdown", path, err))
		}
	}
	return code
}

// appendReport appends b to the file at path, creating it (and its
// directory) if need be.
func appendReport(path string, b []byte) error {
	f, err := openReportFlags(path, os.O_APPEND)
	if err != nil {
		return err
	}
	return writeReport(f, bytes.NewReader(b))
}
