package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// stream builds a shard's JSON stream: version, run_start, one result per
// address (x fails), summary, which says the run took durationMS.
func stream(suite string, index, count, durationMS int, addrs ...string) string {
	var b strings.Builder
	b.WriteString(`{"@level":"info","@message":"fnprobe 0.1.0","@timestamp":"T","type":"version","fnprobe":"0.1.0","schema_version":"1.2"}` + "\n")
	shard := ""
	if count > 0 {
		shard = fmt.Sprintf(`,"shard":{"index":%d,"count":%d}`, index, count)
	}
	q := make([]string, len(addrs))
	for i, a := range addrs {
		q[i] = `"` + a + `"`
	}
	fmt.Fprintf(&b, `{"@level":"info","@message":"m","@timestamp":"T","type":"run_start","run":{"total":%d,"suite":"%s"%s,"instances":[%s]}}`+"\n", len(addrs), suite, shard, strings.Join(q, ","))
	passed, failed, code := 0, 0, 0
	for _, a := range addrs {
		status, diags := "pass", "[]"
		if strings.HasSuffix(a, ".x") {
			status, diags = "fail", `[{"severity":"error","summary":"Unexpected body","detail":"Expected body \"nope\", got \"x\".","address":"`+a+`","range":{"filename":"main.probe.hcl","start":{"line":3,"column":12,"byte":40},"end":{"line":3,"column":18,"byte":46}},"snippet":{"context":"invocation \"x\"","code":"    body = \"nope\"","start_line":3,"highlight_start_offset":11,"highlight_end_offset":17,"values":[]}}]`
			failed++
			code = 1
		} else {
			passed++
		}
		fmt.Fprintf(&b, `{"@level":"info","@message":"m","@timestamp":"T","type":"invocation_result","invocation":{"addr":"%s"},"result":{"status":"%s","reason":"","duration_ms":2,"attempts":1,"value":null,"diagnostics":%s}}`+"\n", a, status, diags)
	}
	fmt.Fprintf(&b, `{"@level":"info","@message":"m","@timestamp":"T","type":"summary","summary":{"total":%d,"passed":%d,"failed":%d,"errored":0,"skipped":0,"warnings":0,"duration_ms":%d,"exit_code":%d,"interrupted":false}}`+"\n", len(addrs), passed, failed, durationMS, code)
	return b.String()
}

func read(t *testing.T, name, s string) (*MergeStream, error) {
	t.Helper()
	return MergeRead(name, strings.NewReader(s), MaxMergeLine)
}

func mustRead(t *testing.T, name, s string) *MergeStream {
	t.Helper()
	st, err := read(t, name, s)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestMerge(t *testing.T) {
	// Shard 2 took longest: the merged run took as long (the shards run
	// side by side).
	as, bs := stream("S", 2, 2, 40, "invocation.x", "invocation.y"), stream("S", 1, 2, 25, "invocation.a", "invocation.b")
	a := mustRead(t, "a.jsonl", as)
	b := mustRead(t, "b.jsonl", bs)
	m, err := Merge([]*MergeStream{a, b}, false)
	if err != nil {
		t.Fatal(err)
	}
	if m.Streams[0] != b || m.Count != 2 || m.Summary.Total != 4 || m.Summary.Passed != 3 || m.Summary.Failed != 1 || m.Summary.ExitCode != 1 {
		t.Errorf("merged = %+v", m.Summary)
	}
	if m.Summary.Duration != 40*time.Millisecond {
		t.Errorf("merged duration %v, want the longest shard's, 40ms", m.Summary.Duration)
	}
	var buf bytes.Buffer
	if err := m.WriteHuman(&buf, Options{Width: -1}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"Merged 2 of 2 shards of suite S: b.jsonl, a.jsonl", "invocation.x: fail", "3:     body = \"nope\"", "Expected body \"nope\", got \"x\".", "Failure! 3 passed, 1 failed, 0 errored, 0 skipped."} {
		if !strings.Contains(out, want) {
			t.Errorf("human output lacks %q:\n%s", want, out)
		}
	}
	var junit bytes.Buffer
	if _, err := m.JUnit(Options{}).WriteTo(&junit); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(junit.String(), `tests="4" failures="1"`) || !strings.Contains(junit.String(), `classname="x" name="invocation.x"`) {
		t.Errorf("JUnit:\n%s", junit.String())
	}
	var js bytes.Buffer
	sources := map[string]MergeSource{
		"a.jsonl": {Name: "a.jsonl", Open: opener(as)},
		"b.jsonl": {Name: "b.jsonl", Open: opener(bs)},
	}
	if err := m.WriteJSON(&js, Options{Version: "0.1.0"}, sources); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(js.String()), "\n")
	if len(lines) != 7 || !strings.Contains(lines[1], `"instances":["invocation.a","invocation.b","invocation.x","invocation.y"]`) ||
		!strings.Contains(lines[6], `"total":4,"passed":3,"failed":1`) || !strings.Contains(lines[6], `"exit_code":1`) ||
		!strings.Contains(lines[6], `"duration_ms":40,`) {
		t.Errorf("merged stream:\n%s", js.String())
	}
	// The merged stream merges again, as one unsharded stream.
	again := mustRead(t, "merged.jsonl", js.String())
	if m2, err := Merge([]*MergeStream{again}, false); err != nil || m2.Summary.Total != 4 {
		t.Errorf("merging the merged stream: %v", err)
	}
}

func opener(s string) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(s)), nil }
}

func TestMergeRefuses(t *testing.T) {
	one := stream("S", 1, 3, 5, "invocation.a")
	two := stream("S", 2, 3, 5, "invocation.b")
	three := stream("S", 3, 3, 5, "invocation.c")
	for _, tc := range []struct {
		name         string
		streams      []string
		allowMissing bool
		want         string
	}{
		{name: "different suites", streams: []string{one, stream("T", 2, 3, 5, "invocation.b"), three}, want: "different suites"},
		{name: "same index", streams: []string{one, two, stream("S", 2, 3, 5, "invocation.c")}, want: "are both shard 2/3"},
		{name: "overlapping instances", streams: []string{one, two, stream("S", 3, 3, 5, "invocation.a")}, want: "invocation.a is in both s0 and s2"},
		{name: "different counts", streams: []string{one, stream("S", 2, 4, 5, "invocation.b")}, want: "different shard counts"},
		{name: "sharded and not", streams: []string{one, stream("S", 0, 0, 5, "invocation.b")}, want: "different shard counts"},
		{name: "missing shard", streams: []string{one, three}, want: "shard 2 of 3 missing (given: 1, 3)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var list []*MergeStream
			for i, s := range tc.streams {
				list = append(list, mustRead(t, fmt.Sprintf("s%d", i), s))
			}
			_, err := Merge(list, tc.allowMissing)
			if err == nil || !errors.Is(err, ErrMerge) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Merge: %v, want %q", err, tc.want)
			}
		})
	}
	m, err := Merge([]*MergeStream{mustRead(t, "one", one), mustRead(t, "three", three)}, true)
	if err != nil || len(m.Missing) != 1 || m.Missing[0] != 2 {
		t.Errorf("-allow-missing: %v, %v", m, err)
	}
}

func TestMergeReadRefuses(t *testing.T) {
	good := stream("S", 1, 2, 5, "invocation.a")
	noSummary := good[:strings.LastIndex(strings.TrimSuffix(good, "\n"), "\n")+1]
	cut := good[:len(good)-20]
	for _, tc := range []struct {
		name, in, want string
		max            int
	}{
		{name: "not JSON", in: "hello\n", want: "x is not an fnprobe JSON stream"},
		{name: "not fnprobe", in: `{"type":"other"}` + "\n", want: "first line is not the version event"},
		{name: "empty", in: "", want: "x is empty"},
		{name: "unknown major", in: strings.Replace(good, `"schema_version":"1.2"`, `"schema_version":"2.0"`, 1), want: "schema version 2.0"},
		{name: "no summary", in: noSummary, want: "has no summary event: the shard was interrupted"},
		{name: "cut off", in: cut, want: "its line 4 is cut off"},
		{name: "bad line", in: strings.Replace(good, "\n{", "\nnope\n{", 2), want: "x:2: not a JSON event"},
		{name: "long line", in: good, max: 100, want: "x:1: the line is longer than 100 bytes"},
		{name: "no run.suite", in: strings.Replace(good, `"suite":"S",`, ``, 1), want: "has no run.suite"},
		{name: "config error", in: good[:strings.Index(good, "\n")+1] + `{"type":"diagnostic","diagnostic":{"severity":"error","summary":"Bad","detail":""}}` + "\n", want: "the shard did not run"},
		{name: "several suites", in: strings.ReplaceAll(good, `"type":"run_start"`, `"type":"run_start","suite":"a"`), want: "several suites"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			max := tc.max
			if max == 0 {
				max = MaxMergeLine
			}
			_, err := MergeRead("x", strings.NewReader(tc.in), max)
			if err == nil || !errors.Is(err, ErrMerge) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("MergeRead: %v, want %q", err, tc.want)
			}
		})
	}
	// A complete stream without a final newline is fine.
	if _, err := read(t, "x", strings.TrimSuffix(good, "\n")); err != nil {
		t.Errorf("no final newline: %v", err)
	}
}
