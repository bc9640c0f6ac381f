package planner_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// Config error fixtures live in testdata/errors. A case is one suite file
// (NAME.probe.hcl, NAME.probe.json) or a directory of them. Expectations sit
// next to the source they are about:
//
//	invocaton "x" {}   # ERROR: Unsupported block type | Did you mean "invocation"?
//
// "# ERROR: S | D1 | D2" on a line expects an error diagnostic whose Subject
// starts on that line, whose Summary contains S and whose Detail contains
// each of D1, D2 (where \n stands for a line break). "# WARNING:" is the
// same for warnings. Several markers may share a line. Diagnostics that
// have no source (command-line problems) are expected with
// "# ERROR-NOSOURCE:" anywhere in the case.
//
// A JSON file cannot hold comments: NAME.probe.json has its expectations in
// NAME.errors, one "LINE: S | D" (or "NOSOURCE: S | D") a line.
//
// Directives in comments set what the command line would give:
//
//	# VAR: name=value        -var
//	# VAR-FILE: path         -var-file, relative to the case
//	# ENV: NAME=value        the environment
//	# TARGET: address        -target
//	# TAG: tag               -tag
//
// The set of expected diagnostics must equal the set reported, and every
// diagnostic must carry a Subject with a file name, line and column.

const errorsDir = "testdata/errors"

type marker struct {
	file     string // base name; "" for NOSOURCE
	line     int
	severity hcl.DiagnosticSeverity
	summary  string
	details  []string
	src      string // where the marker is, for messages
}

func (m marker) String() string {
	where := "(no source)"
	if m.file != "" {
		where = fmt.Sprintf("%s:%d", m.file, m.line)
	}
	sev := "error"
	if m.severity == hcl.DiagWarning {
		sev = "warning"
	}
	s := fmt.Sprintf("%s: %s: %q", where, sev, m.summary)
	for _, d := range m.details {
		s += fmt.Sprintf(" | %q", d)
	}
	return s
}

func (m marker) matches(d *hcl.Diagnostic) bool {
	if d.Severity != m.severity {
		return false
	}
	if m.file == "" {
		if !noSource(d) {
			return false
		}
	} else if noSource(d) || filepath.Base(d.Subject.Filename) != m.file || d.Subject.Start.Line != m.line {
		return false
	}
	if !strings.Contains(d.Summary, m.summary) {
		return false
	}
	for _, frag := range m.details {
		if !strings.Contains(d.Detail, frag) {
			return false
		}
	}
	return true
}

// noSource reports a diagnostic about something that is not in a file: a
// -var option, a -target, the value of an environment variable.
func noSource(d *hcl.Diagnostic) bool {
	return d.Subject == nil || strings.HasPrefix(d.Subject.Filename, "<")
}

func parseMarkerText(text string) (summary string, details []string) {
	parts := strings.Split(text, " | ")
	for i := range parts {
		parts[i] = strings.ReplaceAll(strings.TrimSpace(parts[i]), `\n`, "\n")
	}
	return parts[0], parts[1:]
}

var markerKinds = []struct {
	tag      string
	severity hcl.DiagnosticSeverity
	nosource bool
}{
	{"# ERROR-NOSOURCE:", hcl.DiagError, true},
	{"# ERROR:", hcl.DiagError, false},
	{"# WARNING:", hcl.DiagWarning, false},
}

// readCase reads the markers and directives of the case at path.
func readCase(t *testing.T, path string) ([]marker, pipeline) {
	t.Helper()
	var files []string
	base := path // what VAR-FILE paths are relative to
	if st, err := os.Stat(path); err != nil {
		t.Fatal(err)
	} else if st.IsDir() {
		entries, err := os.ReadDir(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			files = append(files, filepath.Join(path, e.Name()))
		}
	} else {
		files, base = []string{path}, filepath.Dir(path)
	}
	var ms []marker
	var o pipeline
	o.Env = map[string]string{}
	for _, f := range files {
		switch {
		case strings.HasSuffix(f, ".probe.json"):
			ms = append(ms, readSidecar(t, f)...)
			continue
		case strings.HasSuffix(f, ".hcl"):
		default:
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			n := i + 1
			src := fmt.Sprintf("%s:%d", filepath.Base(f), n)
			// Directives.
			if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok && strings.HasPrefix(k, "# ") {
				v = strings.TrimSpace(v)
				switch strings.TrimPrefix(k, "# ") {
				case "VAR":
					o.Vars = append(o.Vars, v)
				case "VAR-FILE":
					o.VarFiles = append(o.VarFiles, filepath.Join(base, v))
				case "ENV":
					name, val, _ := strings.Cut(v, "=")
					o.Env[name] = val
				case "TARGET":
					o.Targets = append(o.Targets, v)
				case "TAG":
					o.Tags = append(o.Tags, v)
				}
			}
			// Markers: split the line at every marker tag.
			rest := line
			for {
				at, kind := -1, -1
				for k, mk := range markerKinds {
					if i := strings.Index(rest, mk.tag); i >= 0 && (at < 0 || i < at) {
						at, kind = i, k
					}
				}
				if at < 0 {
					break
				}
				mk := markerKinds[kind]
				rest = rest[at+len(mk.tag):]
				text := rest
				for _, other := range markerKinds {
					if j := strings.Index(text, other.tag); j >= 0 {
						text = text[:j]
					}
				}
				summary, details := parseMarkerText(text)
				m := marker{severity: mk.severity, summary: summary, details: details, src: src}
				if !mk.nosource {
					m.file, m.line = filepath.Base(f), n
				}
				ms = append(ms, m)
			}
		}
	}
	return ms, o
}

// readSidecar reads NAME.errors next to NAME.probe.json.
func readSidecar(t *testing.T, jsonFile string) []marker {
	t.Helper()
	name := strings.TrimSuffix(jsonFile, ".probe.json") + ".errors"
	f, err := os.Open(name)
	if err != nil {
		t.Fatalf("%s needs its expectations in %s: %v", jsonFile, name, err)
	}
	defer f.Close()
	var ms []marker
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		where, text, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("%s:%d: want LINE: SUMMARY", name, n)
		}
		summary, details := parseMarkerText(text)
		m := marker{severity: hcl.DiagError, summary: summary, details: details, src: fmt.Sprintf("%s:%d", filepath.Base(name), n)}
		where = strings.TrimSpace(where)
		if strings.HasPrefix(where, "WARNING ") {
			m.severity = hcl.DiagWarning
			where = strings.TrimSpace(strings.TrimPrefix(where, "WARNING "))
		}
		if where != "NOSOURCE" {
			l, err := strconv.Atoi(where)
			if err != nil {
				t.Fatalf("%s:%d: %q is not a line number", name, n, where)
			}
			m.file, m.line = filepath.Base(jsonFile), l
		}
		ms = append(ms, m)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return ms
}

// errorCases lists the cases in testdata/errors.
func errorCases(t testing.TB) []string {
	t.Helper()
	entries, err := os.ReadDir(errorsDir)
	if err != nil {
		t.Fatal(err)
	}
	var cases []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || strings.HasSuffix(n, ".probe.hcl") || strings.HasSuffix(n, ".probe.json") {
			cases = append(cases, filepath.Join(errorsDir, n))
		}
	}
	sort.Strings(cases)
	return cases
}

func TestErrorFixtures(t *testing.T) {
	cases := errorCases(t)
	if len(cases) == 0 {
		t.Fatal("no fixtures in " + errorsDir)
	}
	for _, path := range cases {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			markers, o := readCase(t, path)
			if len(markers) == 0 {
				t.Fatal("the case has no markers; every fixture must expect at least one diagnostic")
			}
			plan, _, diags := o.run(path)
			if diags.HasErrors() && plan != nil {
				t.Errorf("Build returned a plan along with errors")
			}

			for _, d := range diags {
				if noSource(d) {
					continue
				}
				if d.Subject.Filename == "" || d.Subject.Start.Line < 1 || d.Subject.Start.Column < 1 {
					t.Errorf("diagnostic without a usable source range (file:line:column): %s", diagText(d))
				}
			}

			used := make([]bool, len(markers))
			for _, d := range diags {
				found := false
				for i, m := range markers {
					if !used[i] && m.matches(d) {
						used[i], found = true, true
						break
					}
				}
				if !found {
					t.Errorf("unexpected diagnostic: %s", diagText(d))
				}
			}
			for i, m := range markers {
				if !used[i] {
					t.Errorf("%s: expected diagnostic not reported: %s", m.src, m)
				}
			}
			if t.Failed() {
				t.Logf("all diagnostics:\n%s", diagsText(diags))
			}

			// The same input gives the same diagnostics, in the same order.
			_, _, again := o.run(path)
			if a, b := diagsText(diags), diagsText(again); a != b {
				t.Errorf("diagnostics differ between two runs:\n%s\n---\n%s", a, b)
			}
		})
	}
}

// The harness itself: markers and directives are read as documented.
func TestReadCase(t *testing.T) {
	dir := writeSuite(t, map[string]string{
		"c.probe.hcl": `# VAR: a=1
# VAR-FILE: x.probevars.hcl
# ENV: FNPROBE_VAR_b=2
# TARGET: invocation.x["k"]
# TAG: smoke
# ERROR-NOSOURCE: Invalid target | names no
x = 1 # ERROR: First | d1 | d2 # WARNING: Second
y = 2 # ERROR: Lines | a\nb
`,
		"c.probe.json":    "{}",
		"c.errors":        "# comment\n3: JSON summary | detail\nNOSOURCE: Nowhere\nWARNING 4: Careful\n",
		"x.probevars.hcl": "",
	})
	ms, o := readCase(t, dir)
	var got []string
	for _, m := range ms {
		got = append(got, m.String())
	}
	checkLines(t, "markers", got, []string{
		`(no source): error: "Invalid target" | "names no"`,
		`c.probe.hcl:7: error: "First" | "d1" | "d2"`,
		`c.probe.hcl:7: warning: "Second"`,
		`c.probe.hcl:8: error: "Lines" | "a\nb"`,
		`c.probe.json:3: error: "JSON summary" | "detail"`,
		`(no source): error: "Nowhere"`,
		`c.probe.json:4: warning: "Careful"`,
	})
	want := pipeline{
		Env:      map[string]string{"FNPROBE_VAR_b": "2"},
		Vars:     []string{"a=1"},
		VarFiles: []string{filepath.Join(dir, "x.probevars.hcl")},
		Targets:  []string{`invocation.x["k"]`},
		Tags:     []string{"smoke"},
	}
	if fmt.Sprint(o) != fmt.Sprint(want) {
		t.Errorf("directives: %+v, want %+v", o, want)
	}
}
