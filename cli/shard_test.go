package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fnprobe/fnprobe/cli"
	"github.com/fnprobe/fnprobe/executor"
)

const shardSuite = `
function "echo" {
  provider = provider.local
  command  = ["cat"]
}

invocation "a" {
  function = function.echo
  payload  = "hi"
  expect {
    body = "hi"
  }
}

invocation "b" {
  function = function.echo
  payload  = invocation.a.body
}

invocation "c" {
  function = function.echo
  payload  = invocation.b.body
}

invocation "x" {
  function = function.echo
  payload  = "x"
  expect {
    body = "nope"
  }
}

invocation "after_x" {
  function = function.echo
  payload  = invocation.x.body
}

invocation "p" {
  for_each = toset(["k1", "k2", "k3"])
  function = function.echo
  payload  = each.key
}

invocation "y" {
  function = function.echo
  payload  = "y"
}
`

// fnprobe runs the command line and returns its exit code and outputs.
func fnprobe(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := cli.Main(context.Background(), args, cli.Env{
		Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }, Registry: cli.NewRegistry(), Width: -1,
	})
	return code, stdout.String(), stderr.String()
}

// lastSummary returns the summary event of a JSON stream.
func lastSummary(t *testing.T, stream []byte) map[string]any {
	t.Helper()
	var sum map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(stream), []byte("\n")) {
		var e map[string]any
		if err := json.Unmarshal(line, &e); err != nil {
			t.Fatalf("not JSON: %s", line)
		}
		if e["type"] == "summary" {
			sum = e["summary"].(map[string]any)
		}
	}
	if sum == nil {
		t.Fatalf("no summary in\n%s", stream)
	}
	return sum
}

// TestShardsMerge runs a suite as 3 shards and merges their streams: the
// merged counts and exit code are those of the unsharded run, and streams
// that do not belong together are refused.
func TestShardsMerge(t *testing.T) {
	dir := t.TempDir()
	suite := filepath.Join(dir, "suite")
	if err := os.MkdirAll(suite, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(suite, "main.probe.hcl"), []byte(shardSuite), 0o644); err != nil {
		t.Fatal(err)
	}
	whole := filepath.Join(dir, "whole.jsonl")
	wantCode, _, stderr := fnprobe(t, "run", "-no-color", "-json-out", whole, suite)
	if wantCode != 1 {
		t.Fatalf("unsharded run: exit %d, want 1\n%s", wantCode, stderr)
	}
	wholeStream, _ := os.ReadFile(whole)
	want := lastSummary(t, wholeStream)

	var shards []string
	seen := map[string]string{}
	for i := 1; i <= 3; i++ {
		f := filepath.Join(dir, "shard-"+string(rune('0'+i))+".jsonl")
		code, _, stderr := fnprobe(t, "run", "-no-color", "-shard", string(rune('0'+i))+"/3", "-json-out", f, suite)
		if code != 0 && code != 1 {
			t.Fatalf("shard %d: exit %d\n%s", i, code, stderr)
		}
		shards = append(shards, f)
		// Every instance runs in exactly one shard.
		b, _ := os.ReadFile(f)
		for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
			var e struct {
				Type       string `json:"type"`
				Invocation struct {
					Addr string `json:"addr"`
				} `json:"invocation"`
			}
			_ = json.Unmarshal(line, &e)
			if e.Type == "invocation_result" {
				if prev, dup := seen[e.Invocation.Addr]; dup {
					t.Errorf("%s ran in %s and %s", e.Invocation.Addr, prev, f)
				}
				seen[e.Invocation.Addr] = f
			}
		}
	}
	if seen["invocation.a"] != seen["invocation.c"] || seen["invocation.x"] != seen["invocation.after_x"] {
		t.Errorf("a chain was cut: %v", seen)
	}
	if len(seen) != int(want["total"].(float64)) {
		t.Errorf("%d instances ran in the shards, %v unsharded", len(seen), want["total"])
	}

	junit := filepath.Join(dir, "out", "junit.xml")
	code, stdout, stderr := fnprobe(t, append([]string{"report", "merge", "-no-color", "-junit", junit}, shards...)...)
	if code != wantCode {
		t.Errorf("merge: exit %d, want %d\n%s%s", code, wantCode, stdout, stderr)
	}
	for _, s := range []string{"Merged 3 of 3 shards of suite", "invocation.x: fail", "Expected body \"nope\", got \"x\".", "invocation.after_x: skip"} {
		if !strings.Contains(stdout, s) {
			t.Errorf("merge output lacks %q:\n%s", s, stdout)
		}
	}
	wantLine := "Failure! " + strings.Join([]string{
		jsonInt(want["passed"]) + " passed", jsonInt(want["failed"]) + " failed", jsonInt(want["errored"]) + " errored", jsonInt(want["skipped"]) + " skipped.",
	}, ", ")
	if !strings.Contains(stdout, wantLine) {
		t.Errorf("merge output lacks the unsharded counts %q:\n%s", wantLine, stdout)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Cases []struct {
				Name string `xml:"name,attr"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	b, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Tests != int(want["total"].(float64)) || doc.Failures != int(want["failed"].(float64)) || len(doc.Suites) != 1 {
		t.Errorf("JUnit: %d tests, %d failures, %d suites; want %v, %v, 1", doc.Tests, doc.Failures, len(doc.Suites), want["total"], want["failed"])
	}

	// The merged JSON stream has the unsharded summary.
	code, stdout, _ = fnprobe(t, append([]string{"report", "merge", "-json"}, shards...)...)
	got := lastSummary(t, []byte(stdout))
	for _, k := range []string{"total", "passed", "failed", "errored", "skipped", "exit_code"} {
		if got[k] != want[k] {
			t.Errorf("merged summary.%s = %v, unsharded %v", k, got[k], want[k])
		}
	}
	if code != wantCode {
		t.Errorf("merge -json: exit %d, want %d", code, wantCode)
	}

	// Refusals: exit 2 with a message naming the files.
	foreign := filepath.Join(dir, "foreign.jsonl")
	if code, _, stderr := fnprobe(t, "run", "-no-color", "-shard", "2/3", "-tag", "none", "-target", "y", "-json-out", foreign, suite); code > 1 {
		t.Fatalf("foreign shard: exit %d\n%s", code, stderr)
	}
	dup := filepath.Join(dir, "copy-of-1.jsonl")
	b, _ = os.ReadFile(shards[0])
	os.WriteFile(dup, b, 0o644)
	cut := filepath.Join(dir, "cut.jsonl")
	b, _ = os.ReadFile(shards[1])
	os.WriteFile(cut, b[:bytes.LastIndex(bytes.TrimSpace(b), []byte("\n"))+10], 0o644)
	for _, tc := range []struct {
		name  string
		files []string
		want  string
	}{
		{"foreign", []string{shards[0], foreign, shards[2]}, "are streams of different suites or selections"},
		{"overlap", []string{shards[0], dup, shards[1], shards[2]}, "are both shard 1/3"},
		{"unsharded with shards", []string{whole, shards[0]}, "different shard counts"},
		{"missing", []string{shards[0], shards[2]}, "shard 2 of 3 missing"},
		{"interrupted", []string{shards[0], cut, shards[2]}, "cut.jsonl has no summary"},
		{"not a stream", []string{shards[0], filepath.Join(suite, "main.probe.hcl")}, "is not an fnprobe JSON stream"},
		{"no file", []string{shards[0], filepath.Join(dir, "nope.jsonl")}, "nope.jsonl"},
	} {
		code, stdout, stderr := fnprobe(t, append([]string{"report", "merge"}, tc.files...)...)
		if code != 2 || !strings.Contains(stderr, tc.want) || stdout != "" {
			t.Errorf("%s: exit %d, stderr %q, stdout %q; want exit 2 and %q", tc.name, code, stderr, stdout, tc.want)
		}
	}
	// -allow-missing merges what there is, with a warning, and does not
	// change the exit code: the worst of the shards given, 0 without the
	// failing shard 2 and 1 with it.
	for _, tc := range []struct {
		given   []string
		missing int
		want    int
	}{
		{[]string{shards[0], shards[2]}, 2, executor.ExitOK},
		{[]string{shards[0], shards[1]}, 3, executor.ExitFailed},
	} {
		worst := executor.ExitOK
		for _, f := range tc.given {
			b, _ := os.ReadFile(f)
			worst = executor.WorstExit(worst, int(lastSummary(t, b)["exit_code"].(float64)))
		}
		if worst != tc.want {
			t.Fatalf("the shards given without shard %d exit %d, want %d: the split changed", tc.missing, worst, tc.want)
		}
		code, stdout, _ = fnprobe(t, append([]string{"report", "merge", "-allow-missing"}, tc.given...)...)
		warning := fmt.Sprintf("Warning: shard %d of 3 not given (-allow-missing)", tc.missing)
		if code != tc.want || !strings.Contains(stdout, warning) {
			t.Errorf("-allow-missing without shard %d: exit %d, want %d\n%s", tc.missing, code, tc.want, stdout)
		}
	}
}

func jsonInt(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
