package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/fnprobe/fnprobe/executor"
)

// junitSuiteName is the name of the one testsuite (and of the testsuites
// element) in the JUnit file.
const junitSuiteName = "fnprobe"

// JUnit collects a run's results and writes them as JUnit XML (-junit FILE):
// one <testsuite> named after the suite with one <testcase> per invocation
// instance, in the widely used Jenkins junit-10.xsd layout. Each test case
// also carries the file and line of its invocation block, the attributes
// GitLab reads (and Jenkins ignores) beyond that schema. A failed
// invocation has a <failure>, an errored one an <error>, a skipped one
// <skipped>; warnings go to the test case's <system-out> and run-level
// diagnostics to the suite's <system-err>.
//
// JUnit is safe for concurrent use.
type JUnit struct {
	mu          sync.Mutex
	opts        Options
	cases       []junitCase
	runDiags    []Diagnostic
	samples     []addrSample
	start       time.Time
	duration    time.Duration
	haveSummary bool
}

// junitCase is one invocation instance's result.
type junitCase struct {
	addr, name string
	file       string // the invocation block's file, "" when unknown
	line       int    // and line
	status     executor.Status
	reason     string
	duration   time.Duration
	diags      []Diagnostic
	repro      *executor.ReproInfo
}

// NewJUnit returns a JUnit collector; write the file with WriteTo after the
// run.
func NewJUnit(opts Options) *JUnit {
	return &JUnit{opts: opts}
}

// Event implements executor.Observer.
func (j *JUnit) Event(e executor.Event) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.start.IsZero() {
		j.start = j.opts.eventTime(e)
	}
	switch e.Type {
	case executor.EventRunStart:
		j.start = j.opts.eventTime(e)
	case executor.EventResult:
		if e.Invocation == nil || e.Result == nil {
			return
		}
		j.cases = append(j.cases, junitCase{
			addr:     e.Invocation.Addr,
			name:     e.Invocation.Name,
			file:     e.Invocation.Range.Filename,
			line:     e.Invocation.Range.Start.Line,
			status:   e.Result.Status,
			reason:   e.Result.Reason,
			duration: e.Result.Duration,
			diags:    diagnostics(e.Result.Diags, e.Invocation.Addr, j.opts),
			repro:    e.Result.Repro,
		})
	case executor.EventDiagnostic:
		j.runDiags = append(j.runDiags, diagnostics(e.Diags, "", j.opts)...)
	case executor.EventSample:
		if e.Invocation != nil && e.Sample != nil {
			j.samples = append(j.samples, addrSample{e.Invocation.Addr, e.Sample})
		}
	case executor.EventSummary:
		if e.Summary != nil {
			j.duration = e.Summary.Duration
			j.haveSummary = true
		}
	}
}

type xmlTestSuites struct {
	XMLName  xml.Name       `xml:"testsuites"`
	Name     string         `xml:"name,attr"`
	Tests    int            `xml:"tests,attr"`
	Failures int            `xml:"failures,attr"`
	Errors   int            `xml:"errors,attr"`
	Time     string         `xml:"time,attr"`
	Suites   []xmlTestSuite `xml:"testsuite"`
}

type xmlTestSuite struct {
	Name       string         `xml:"name,attr"`
	Tests      int            `xml:"tests,attr"`
	Failures   int            `xml:"failures,attr"`
	Errors     int            `xml:"errors,attr"`
	Skipped    int            `xml:"skipped,attr"`
	Time       string         `xml:"time,attr"`
	Timestamp  string         `xml:"timestamp,attr"`
	Properties *xmlProperties `xml:"properties,omitempty"`
	Cases      []xmlTestCase  `xml:"testcase"`
	SystemErr  *xmlCDATA      `xml:"system-err,omitempty"`
}

type xmlProperties struct {
	Properties []xmlProperty `xml:"property"`
}

type xmlProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type xmlTestCase struct {
	Classname string      `xml:"classname,attr"`
	Name      string      `xml:"name,attr"`
	Time      string      `xml:"time,attr"`
	File      string      `xml:"file,attr,omitempty"`
	Line      int         `xml:"line,attr,omitempty"`
	Skipped   *xmlMessage `xml:"skipped,omitempty"`
	Error     *xmlMessage `xml:"error,omitempty"`
	Failure   *xmlMessage `xml:"failure,omitempty"`
	SystemOut *xmlCDATA   `xml:"system-out,omitempty"`
}

type xmlMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",cdata"`
}

// xmlCDATA is element text written as CDATA, so that rendered diagnostics
// keep their line breaks and stay readable in the file.
type xmlCDATA struct {
	Text string `xml:",cdata"`
}

// seconds renders d as decimal seconds with millisecond precision.
func seconds(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return fmt.Sprintf("%.3f", d.Seconds())
}

// xmlText removes what XML 1.0 cannot carry: invalid UTF-8 and characters
// outside the Char production. It is the last guard: text is escaped by
// escapeText first, which leaves none of them but U+FFFE and U+FFFF.
func xmlText(s string) string {
	valid := func(r rune) bool {
		return r == 0x09 || r == 0x0A || r == 0x0D ||
			r >= 0x20 && r <= 0xD7FF ||
			r >= 0xE000 && r <= 0xFFFD ||
			r >= 0x10000 && r <= 0x10FFFF
	}
	clean := true
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || !valid(r) {
			clean = false
			break
		}
		i += size
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !(r == utf8.RuneError && size == 1) && valid(r) {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// renderDiags renders diagnostics as plain text, one after another.
func (j *JUnit) renderDiags(diags []Diagnostic) string {
	var parts []string
	for _, d := range diags {
		parts = append(parts, formatDiagnostic(d, palette(false), j.opts.width(), false))
	}
	return strings.Join(parts, "\n")
}

// renderRepro renders a failure's repro lines after its diagnostics.
func (j *JUnit) renderRepro(r *executor.ReproInfo) string {
	if r == nil {
		return ""
	}
	return "\n" + reproLines(r, "", j.opts.redact)
}

// suite builds the testsuite element from what was collected: named after
// Options.Suite, else Options.Path, else "fnprobe".
func (j *JUnit) suite() (xmlTestSuite, time.Duration) {
	j.mu.Lock()
	defer j.mu.Unlock()
	o := j.opts
	// Redact, then escape control characters visibly (\x1b) rather than
	// drop them, then drop what XML cannot carry at all.
	text := func(s string) string { return xmlText(escapeText(o.redact(s), true)) }
	line := func(s string) string { return xmlText(escapeLine(o.redact(s))) }

	cases := append([]junitCase(nil), j.cases...)
	sort.SliceStable(cases, func(a, b int) bool { return cases[a].addr < cases[b].addr })

	name := junitSuiteName
	switch {
	case o.Suite != "":
		name = line(o.Suite)
	case o.Path != "":
		name = line(o.Path)
	}
	suite := xmlTestSuite{Name: name, Cases: []xmlTestCase{}}
	var total time.Duration
	for _, c := range cases {
		classname := c.name
		if classname == "" {
			classname = junitSuiteName
		}
		tc := xmlTestCase{Classname: line(classname), Name: line(c.addr), Time: seconds(c.duration)}
		if c.file != "" {
			tc.File, tc.Line = line(c.file), c.line
		}
		var errs, warns []Diagnostic
		for _, d := range c.diags {
			if d.Severity == SeverityError {
				errs = append(errs, d)
			} else {
				warns = append(warns, d)
			}
		}
		switch c.status {
		case executor.StatusFail:
			suite.Failures++
			msg := "assertion failed"
			if len(errs) > 0 && errs[0].Summary != "" {
				msg = errs[0].Summary
			}
			tc.Failure = &xmlMessage{Message: line(msg), Type: "assertion", Text: text(j.renderDiags(errs) + j.renderRepro(c.repro))}
		case executor.StatusError:
			suite.Errors++
			msg := c.reason
			if msg == "" {
				msg = "error"
			}
			tc.Error = &xmlMessage{Message: line(msg), Type: "error", Text: text(j.renderDiags(errs) + j.renderRepro(c.repro))}
		case executor.StatusSkip:
			suite.Skipped++
			tc.Skipped = &xmlMessage{Message: line(c.reason)}
		}
		if len(warns) > 0 {
			tc.SystemOut = &xmlCDATA{text(j.renderDiags(warns))}
		}
		total += c.duration
		suite.Cases = append(suite.Cases, tc)
	}
	suite.Tests = len(suite.Cases)
	if j.haveSummary {
		total = j.duration
	}
	suite.Time = seconds(total)
	start := j.start
	if start.IsZero() {
		start = o.now()
	}
	suite.Timestamp = start.UTC().Format("2006-01-02T15:04:05")
	var props []xmlProperty
	if o.Version != "" {
		props = append(props, xmlProperty{Name: "fnprobe.version", Value: line(o.Version)})
	}
	// The statistics of each sample, as properties of the suite.
	samples := append([]addrSample(nil), j.samples...)
	sort.SliceStable(samples, func(i, k int) bool { return samples[i].addr < samples[k].addr })
	for _, sm := range samples {
		for _, p := range junitSampleProperties(sm.addr, sm.info) {
			props = append(props, xmlProperty{Name: line(p.Name), Value: line(p.Value)})
		}
	}
	if len(props) > 0 {
		suite.Properties = &xmlProperties{Properties: props}
	}
	if len(j.runDiags) > 0 {
		suite.SystemErr = &xmlCDATA{text(j.renderDiags(j.runDiags))}
	}
	return suite, total
}

// WriteTo writes the JUnit XML document to w. It implements io.WriterTo.
func (j *JUnit) WriteTo(w io.Writer) (int64, error) {
	return JUnitFile{j}.WriteTo(w)
}

// JUnitFile is the JUnit XML document of several suites run by one
// command (`fnprobe run A B`): one <testsuite> each, in order, under one
// <testsuites> whose counts and time are their sums.
type JUnitFile []*JUnit

// WriteTo writes the document to w. It implements io.WriterTo.
func (f JUnitFile) WriteTo(w io.Writer) (int64, error) {
	doc := xmlTestSuites{Name: junitSuiteName, Suites: []xmlTestSuite{}}
	var total time.Duration
	for _, j := range f {
		s, d := j.suite()
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		total += d
		doc.Suites = append(doc.Suites, s)
	}
	doc.Time = seconds(total)

	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return 0, fmt.Errorf("report: encoding JUnit XML: %w", err)
	}
	buf := make([]byte, 0, len(xml.Header)+len(out)+1)
	buf = append(buf, xml.Header...)
	buf = append(buf, out...)
	buf = append(buf, '\n')
	n, err := w.Write(buf)
	if err != nil {
		return int64(n), fmt.Errorf("report: writing JUnit XML: %w", err)
	}
	return int64(n), nil
}
