package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/fnprobe/fnprobe/executor"
	"github.com/fnprobe/fnprobe/stats"
)

// decodeLines checks that every line of out is a JSON object with the common
// fields, and returns them.
func decodeLines(t *testing.T, out []byte) []map[string]any {
	t.Helper()
	var lines []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<24)
	for n := 1; sc.Scan(); n++ {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %d is not valid JSON: %v\n%s", n, err, sc.Text())
		}
		for _, k := range []string{"@level", "@message", "@timestamp", "type"} {
			if _, ok := m[k].(string); !ok {
				t.Errorf("line %d: %q missing or not a string", n, k)
			}
		}
		if ts, _ := m["@timestamp"].(string); ts != "" {
			if _, err := time.Parse(time.RFC3339Nano, ts); err != nil {
				t.Errorf("line %d: @timestamp: %v", n, err)
			}
		}
		lines = append(lines, m)
	}
	return lines
}

func TestJSON(t *testing.T) {
	f := newFixture(t)
	var buf bytes.Buffer
	j := NewJSON(&buf, f.opts)
	run(j, f.events(t))
	if err := j.Err(); err != nil {
		t.Fatal(err)
	}
	out := buf.Bytes()
	if bytes.Contains(out, []byte(secret)) {
		t.Errorf("the secret leaked into JSON output")
	}
	lines := decodeLines(t, out)
	if len(lines) == 0 {
		t.Fatal("no output")
	}
	first := lines[0]
	if first["type"] != "version" || first["fnprobe"] != "0.1.0" || first["schema_version"] != SchemaVersion {
		t.Errorf("first line is not the version event: %v", first)
	}
	last := lines[len(lines)-1]
	if last["type"] != "summary" {
		t.Errorf("last line is %v, want the summary", last["type"])
	}
	// Every event type of the stream appears.
	seen := map[string]bool{}
	for _, l := range lines {
		seen[l["type"].(string)] = true
	}
	for _, typ := range []string{"version", "run_start", "invocation_start", "attempt", "assertion", "invocation_result", "outputs", "diagnostic", "summary"} {
		if !seen[typ] {
			t.Errorf("no %q event", typ)
		}
	}
	golden(t, "json.golden", out)
}

func TestJSONDiagnostics(t *testing.T) {
	f := newFixture(t)
	var buf bytes.Buffer
	j := NewJSON(&buf, f.opts)
	j.Diagnostics(configDiags(t, f))
	lines := decodeLines(t, buf.Bytes())
	if len(lines) != 5 {
		t.Fatalf("got %d lines, want the version event and 4 diagnostics", len(lines))
	}
	golden(t, "json_diagnostics.golden", buf.Bytes())
}

// TestHumanAndJSONAgree checks that both views show the same diagnostic
// facts: everything in the JSON diagnostic appears in the human text.
func TestHumanAndJSONAgree(t *testing.T) {
	f := newFixture(t)
	var buf bytes.Buffer
	j := NewJSON(&buf, f.opts)
	run(j, f.events(t))
	var human bytes.Buffer
	run(NewHuman(&human, Options{Files: f.opts.Files, Redactor: f.opts.Redactor, Width: -1}), f.events(t))
	for _, l := range decodeLines(t, buf.Bytes()) {
		res, ok := l["result"].(map[string]any)
		if !ok {
			continue
		}
		for _, d := range res["diagnostics"].([]any) {
			dm := d.(map[string]any)
			for _, k := range []string{"summary", "detail"} {
				if s := dm[k].(string); !strings.Contains(human.String(), s) {
					t.Errorf("human output lacks %s %q", k, s)
				}
			}
			if snip, ok := dm["snippet"].(map[string]any); ok {
				for _, v := range snip["values"].([]any) {
					vm := v.(map[string]any)
					want := vm["traversal"].(string) + " " + vm["statement"].(string)
					if !strings.Contains(human.String(), want) {
						t.Errorf("human output lacks %q", want)
					}
				}
			}
		}
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrors(t *testing.T) {
	j := NewJSON(failingWriter{}, Options{})
	j.Event(executor.Event{Type: executor.EventSummary, Summary: &executor.Summary{}})
	if err := j.Err(); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("JSON.Err() = %v, want the write error", err)
	}
	h := NewHuman(failingWriter{}, Options{})
	h.Event(executor.Event{Type: executor.EventSummary, Summary: &executor.Summary{}})
	if err := h.Err(); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Human.Err() = %v, want the write error", err)
	}
	if _, err := NewJUnit(Options{}).WriteTo(failingWriter{}); err == nil {
		t.Errorf("JUnit.WriteTo: no error from a failing writer")
	}
}

// TestSchemaDocumented keeps the documented schema (docs/output.md) and the renderer together: every
// event type and field the renderer writes is documented, and the example
// lines are valid events.
func TestSchemaDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/output.md")
	if err != nil {
		t.Fatal(err)
	}
	// The schema is the "JSON event stream" section, up to the
	// next section of the same level.
	schema := string(doc)
	start := strings.Index(schema, "## JSON event stream")
	if start < 0 {
		t.Fatal("docs/output.md has no \"## JSON event stream\" section")
	}
	schema = schema[start:]
	if end := strings.Index(schema[3:], "\n## "); end >= 0 {
		schema = schema[:end+3]
	}
	f := newFixture(t)
	var buf bytes.Buffer
	j := NewJSON(&buf, f.opts)
	run(j, f.events(t))
	j.Diagnostics(configDiags(t, f))
	// Fields written only when one command runs several suites.
	several := f.opts
	several.Suite = "suites/orders"
	// Fields of run_start written by cli (the suite's fingerprint, -shard).
	several.Run = &RunInfo{Suite: "9f86d08", Shard: &ShardInfo{Index: 1, Count: 2}, Instances: []string{"invocation.create"}}
	j.Begin(several)
	run(j, f.events(t))
	// A sample's events, which the shared fixture has not.
	run(j, sampleEvents(t, f))

	documented := func(s string) {
		t.Helper()
		if !strings.Contains(schema, "`"+s+"`") {
			t.Errorf("the documented schema does not document `%s`", s)
		}
	}
	// diagFields checks the fields of a diagnostic object; positions are
	// documented as start.line etc.
	var diagFields func(m map[string]any, parent string)
	diagFields = func(m map[string]any, parent string) {
		for k, v := range m {
			name := k
			if parent == "start" || parent == "end" {
				name = parent + "." + k
			}
			documented(name)
			if sub, ok := v.(map[string]any); ok {
				diagFields(sub, k)
			}
			if list, ok := v.([]any); ok {
				for _, e := range list {
					if sub, ok := e.(map[string]any); ok {
						for sk := range sub {
							documented(k + "[]." + sk)
						}
					}
				}
			}
		}
	}
	for _, l := range decodeLines(t, buf.Bytes()) {
		typ := l["type"].(string)
		if !strings.Contains(schema, "#### `"+typ+"`") {
			t.Errorf("the documented schema has no section for event type %q", typ)
		}
		for k, v := range l {
			switch k {
			case "@level", "@message", "@timestamp", "type":
				continue
			case "diagnostic":
				diagFields(v.(map[string]any), "")
				continue
			case "outputs":
				for _, o := range v.(map[string]any) {
					for sk := range o.(map[string]any) {
						documented("outputs.NAME." + sk)
					}
				}
				continue
			}
			sub, ok := v.(map[string]any)
			if !ok {
				documented(k)
				continue
			}
			for sk, sv := range sub {
				documented(k + "." + sk)
				if d, ok := sv.(map[string]any); ok && (sk == "diagnostic") {
					diagFields(d, "")
				}
				if list, ok := sv.([]any); ok && sk == "diagnostics" {
					for _, d := range list {
						diagFields(d.(map[string]any), "")
					}
				}
			}
		}
	}

	// The example is a valid stream.
	_, example, ok := strings.Cut(schema, "### Example\n")
	if ok {
		_, example, ok = strings.Cut(example, "```json\n")
	}
	if !ok {
		t.Fatal("the documented schema has no example")
	}
	example, _, _ = strings.Cut(example, "```")
	// The example is normalised output: durations read D.
	example = strings.NewReplacer(`_ms":D`, `_ms":0`, `"@timestamp":"T"`, `"@timestamp":"2026-01-01T00:00:00Z"`).Replace(example)
	lines := decodeLines(t, []byte(example))
	if len(lines) < 3 || lines[0]["type"] != "version" || lines[len(lines)-1]["type"] != "summary" {
		t.Errorf("the example does not start with version and end with summary")
	}
}

// sampleEvents are the events of a sampled invocation: a call's attempt
// (-sample-calls), progress at 10 s, and the sample with a gate.
func sampleEvents(t *testing.T, f fixture) []executor.Event {
	inv := f.info(t, "health", "")
	var acc stats.Sample
	fd := 3.0
	acc.Add(stats.Call{Outcome: stats.Passed, RoundTrip: 12 * time.Millisecond, FunctionDuration: &fd, Version: "7"})
	si := &executor.SampleInfo{Planned: 1, Concurrency: 1, Done: 1, Elapsed: 10 * time.Second, Stats: cty.NilVal}
	done := *si
	done.Stats = acc.Value()
	done.Gates = []*executor.AssertionInfo{{Kind: "assert", Name: "assert[0]", Passed: true, Severity: "error"}}
	return []executor.Event{
		{Type: executor.EventAttempt, Invocation: inv, Call: 1, Attempt: &executor.AttemptInfo{Number: 1, HTTPStatus: 200, Duration: 12 * time.Millisecond}},
		{Type: executor.EventProgress, Invocation: inv, Sample: si},
		{Type: executor.EventSample, Invocation: inv, Sample: &done},
	}
}
