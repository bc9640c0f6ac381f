package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/fnprobe/fnprobe/executor"
)

// MaxMergeLine is the longest line MergeRead accepts in a JSON stream.
const MaxMergeLine = 64 << 20

// ErrMerge is wrapped by every error that refuses a merge: the streams do
// not belong together, or one is not a complete fnprobe stream.
var ErrMerge = errors.New("cannot merge")

// MergeSource is one shard's JSON stream (run -json-out): a name for
// messages and a way to open it (twice: to check, then to copy events).
type MergeSource struct {
	Name string
	Open func() (io.ReadCloser, error)
}

// MergeStream is what a shard's stream says: its version, its run
// (fingerprint, shard, instances), its results and its summary.
type MergeStream struct {
	Name          string
	FnProbe       string
	SchemaVersion string
	Suite         string     // run.suite
	Shard         *ShardInfo // nil: not sharded
	Instances     []string
	Results       []MergeResult
	RunDiags      []Diagnostic // run-level diagnostic events
	Summary       *jsonSummary
	runStarts     int
	configDiags   int    // diagnostics before any run_start
	truncated     int    // the number of a last line cut short, else 0
	suiteNames    string // the "suite" field, when a command ran several
	names         map[string]string
}

// MergeResult is one invocation_result event.
type MergeResult struct {
	Addr, Name, Status, Reason string
	DurationMS                 float64
	Diagnostics                []Diagnostic
	Repro                      *jsonRepro // result.repro, nil when none
}

// mergeEvent is the part of an event that merging reads.
type mergeEvent struct {
	Type          string `json:"type"`
	Suite         string `json:"suite"`
	FnProbe       string `json:"fnprobe"`
	SchemaVersion string `json:"schema_version"`
	Run           *struct {
		Total     int        `json:"total"`
		Suite     string     `json:"suite"`
		Shard     *ShardInfo `json:"shard"`
		Instances []string   `json:"instances"`
	} `json:"run"`
	Invocation *struct {
		Addr string `json:"addr"`
		Name string `json:"name"`
	} `json:"invocation"`
	Result *struct {
		Status      string       `json:"status"`
		Reason      string       `json:"reason"`
		DurationMS  float64      `json:"duration_ms"`
		Diagnostics []Diagnostic `json:"diagnostics"`
		Repro       *jsonRepro   `json:"repro"`
	} `json:"result"`
	Diagnostic *Diagnostic  `json:"diagnostic"`
	Summary    *jsonSummary `json:"summary"`
}

// eachLine calls fn with every line of r, without its line ending, and
// its 1-based number; last says the line had no final newline (a stream
// cut short). Reading is bounded: a line longer than max is an error
// naming name:line. fn must not keep line.
func eachLine(name string, r io.Reader, max int, fn func(n int, line []byte, last bool) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var buf []byte
	for n := 1; ; n++ {
		buf = buf[:0]
		for {
			chunk, err := br.ReadSlice('\n')
			if len(buf)+len(chunk) > max+1 {
				return fmt.Errorf("%w: %s:%d: the line is longer than %d bytes", ErrMerge, name, n, max)
			}
			buf = append(buf, chunk...)
			switch {
			case err == bufio.ErrBufferFull:
				continue
			case err == io.EOF:
				if len(buf) == 0 {
					return nil
				}
				return fn(n, buf, true)
			case err != nil:
				return fmt.Errorf("reading %s, line %d: %w", name, n, err)
			}
			break
		}
		if err := fn(n, bytes.TrimRight(buf, "\r\n"), false); err != nil {
			return err
		}
	}
}

// MergeRead reads one shard's stream, checking that it is an fnprobe JSON
// stream of a schema version this fnprobe knows (major 1).
func MergeRead(name string, r io.Reader, maxLine int) (*MergeStream, error) {
	s := &MergeStream{Name: name, names: map[string]string{}}
	first := true // the first line that is not blank
	err := eachLine(name, r, maxLine, func(n int, line []byte, last bool) error {
		if len(bytes.TrimSpace(line)) == 0 {
			return nil
		}
		var e mergeEvent
		if err := json.Unmarshal(line, &e); err != nil {
			switch {
			case first:
				return fmt.Errorf("%w: %s is not an fnprobe JSON stream (run -json-out FILE writes one): line %d is not JSON: %w", ErrMerge, name, n, err)
			case last:
				s.truncated = n
				return nil
			}
			return fmt.Errorf("%w: %s:%d: not a JSON event: %w", ErrMerge, name, n, err)
		}
		if first {
			first = false
			if e.Type != "version" || e.SchemaVersion == "" {
				return fmt.Errorf("%w: %s is not an fnprobe JSON stream: its first line is not the version event", ErrMerge, name)
			}
			major, _, _ := strings.Cut(e.SchemaVersion, ".")
			if want, _, _ := strings.Cut(SchemaVersion, "."); major != want {
				return fmt.Errorf("%w: %s has schema version %s, whose major version this fnprobe (schema %s) does not know", ErrMerge, name, e.SchemaVersion, SchemaVersion)
			}
			s.FnProbe, s.SchemaVersion = e.FnProbe, e.SchemaVersion
			return nil
		}
		if e.Suite != "" {
			s.suiteNames = e.Suite
		}
		switch e.Type {
		case "run_start":
			s.runStarts++
			if e.Run != nil {
				s.Suite, s.Shard, s.Instances = e.Run.Suite, e.Run.Shard, e.Run.Instances
			}
		case "invocation_start":
			if e.Invocation != nil {
				s.names[e.Invocation.Addr] = e.Invocation.Name
			}
		case "invocation_result":
			if e.Invocation == nil || e.Result == nil {
				return nil
			}
			s.Results = append(s.Results, MergeResult{
				Addr: e.Invocation.Addr, Name: s.names[e.Invocation.Addr], Status: e.Result.Status, Reason: e.Result.Reason,
				DurationMS: e.Result.DurationMS, Diagnostics: e.Result.Diagnostics, Repro: e.Result.Repro,
			})
		case "diagnostic":
			if e.Diagnostic == nil {
				return nil
			}
			if s.runStarts == 0 {
				s.configDiags++
			}
			s.RunDiags = append(s.RunDiags, *e.Diagnostic)
		case "summary":
			s.Summary = e.Summary
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if s.SchemaVersion == "" {
		return nil, fmt.Errorf("%w: %s is empty: not an fnprobe JSON stream", ErrMerge, name)
	}
	return s, s.complete()
}

// complete checks that the stream is one whole run.
func (s *MergeStream) complete() error {
	name := s.Name
	switch {
	case s.runStarts == 0 && s.configDiags > 0:
		return fmt.Errorf("%w: %s: the shard did not run: its configuration or command line is invalid (%s in the stream)", ErrMerge, name, plural(s.configDiags, "diagnostic"))
	case s.runStarts == 0:
		return fmt.Errorf("%w: %s has no run_start event: not the stream of a run", ErrMerge, name)
	case s.runStarts > 1 || s.suiteNames != "":
		return fmt.Errorf("%w: %s holds the runs of several suites; merge the streams of one suite (run each PATH with its own -json-out)", ErrMerge, name)
	case s.Summary == nil && s.truncated > 0:
		return fmt.Errorf("%w: %s has no summary and its line %d is cut off: the shard was interrupted or its stream is incomplete", ErrMerge, name, s.truncated)
	case s.Summary == nil:
		return fmt.Errorf("%w: %s has no summary event: the shard was interrupted or its stream is incomplete", ErrMerge, name)
	case s.Suite == "":
		return fmt.Errorf("%w: %s has no run.suite (written by fnprobe %s, schema %s; run.suite came with schema 1.2), so it cannot be checked to belong with the other shards: run the shards again with this fnprobe", ErrMerge, name, s.FnProbe, s.SchemaVersion)
	}
	return nil
}

// Merged is the shards' streams, checked to belong together.
type Merged struct {
	Streams []*MergeStream // by shard index
	Suite   string
	Count   int   // the shard count; 0 when the streams are not sharded
	Missing []int // shard indices not given (-allow-missing)
	Summary executor.Summary
}

// Merge checks that streams are distinct shards of one suite and
// selection, and sums them. Missing shards are an error unless
// allowMissing; then Merged.Missing lists them.
func Merge(streams []*MergeStream, allowMissing bool) (*Merged, error) {
	if len(streams) == 0 {
		return nil, fmt.Errorf("%w: no stream given", ErrMerge)
	}
	m := &Merged{Streams: append([]*MergeStream(nil), streams...), Suite: streams[0].Suite}
	first := streams[0]
	shardText := func(s *MergeStream) string {
		if s.Shard == nil {
			return "not sharded"
		}
		return fmt.Sprintf("shard %d/%d", s.Shard.Index, s.Shard.Count)
	}
	for _, s := range streams[1:] {
		if s.Suite != first.Suite {
			return nil, fmt.Errorf("%w: %s and %s are streams of different suites or selections (run.suite %.12s… and %.12s…)", ErrMerge, first.Name, s.Name, first.Suite, s.Suite)
		}
		if (s.Shard == nil) != (first.Shard == nil) || s.Shard != nil && s.Shard.Count != first.Shard.Count {
			return nil, fmt.Errorf("%w: %s (%s) and %s (%s) have different shard counts", ErrMerge, first.Name, shardText(first), s.Name, shardText(s))
		}
	}
	if first.Shard != nil {
		m.Count = first.Shard.Count
		sort.SliceStable(m.Streams, func(i, j int) bool { return m.Streams[i].Shard.Index < m.Streams[j].Shard.Index })
		byIndex := map[int]string{}
		for _, s := range m.Streams {
			if prev, dup := byIndex[s.Shard.Index]; dup {
				return nil, fmt.Errorf("%w: %s and %s are both %s", ErrMerge, prev, s.Name, shardText(s))
			}
			byIndex[s.Shard.Index] = s.Name
		}
		var given []string
		for i := 1; i <= m.Count; i++ {
			if _, ok := byIndex[i]; ok {
				given = append(given, fmt.Sprintf("%d", i))
			} else {
				m.Missing = append(m.Missing, i)
			}
		}
		if len(m.Missing) > 0 && !allowMissing {
			return nil, fmt.Errorf("%w: %s of %d missing (given: %s): the invocations of a missing shard would go unchecked; pass every shard's stream, or -allow-missing", ErrMerge, m.MissingText(), m.Count, strings.Join(given, ", "))
		}
	}
	owner := map[string]string{}
	for _, s := range m.Streams {
		for _, a := range s.Instances {
			if prev, dup := owner[a]; dup {
				return nil, fmt.Errorf("%w: %s is in both %s and %s: the streams overlap", ErrMerge, a, prev, s.Name)
			}
			owner[a] = s.Name
		}
		for _, r := range s.Results {
			if prev, dup := owner[r.Addr]; dup && prev != s.Name {
				return nil, fmt.Errorf("%w: %s is in both %s and %s: the streams overlap", ErrMerge, r.Addr, prev, s.Name)
			}
			owner[r.Addr] = s.Name
		}
	}
	sum := &m.Summary
	for _, s := range m.Streams {
		x := s.Summary
		sum.Total += x.Total
		sum.Passed += x.Passed
		sum.Failed += x.Failed
		sum.Errored += x.Errored
		sum.Skipped += x.Skipped
		sum.Warnings += x.Warnings
		sum.Duration = max(sum.Duration, time.Duration(x.DurationMS*float64(time.Millisecond)))
		sum.Interrupted = sum.Interrupted || x.Interrupted
		sum.ExitCode = executor.WorstExit(sum.ExitCode, x.ExitCode)
	}
	return m, nil
}

// MissingText names the missing shards: "shard 3" or "shards 2, 4".
func (m *Merged) MissingText() string {
	var list []string
	for _, i := range m.Missing {
		list = append(list, fmt.Sprintf("%d", i))
	}
	if len(list) == 1 {
		return "shard " + list[0]
	}
	return "shards " + strings.Join(list, ", ")
}

// WriteHuman writes the merged run for people: a line naming the shards,
// a line per invocation that did not pass, the failures' diagnostics as
// recorded in the streams (errors first, by address), the run-level
// diagnostics once each, and the counts line.
func (m *Merged) WriteHuman(w io.Writer, opts Options) error {
	p := palette(opts.Color)
	var b strings.Builder
	names := make([]string, 0, len(m.Streams))
	for _, s := range m.Streams {
		names = append(names, escapeLine(s.Name))
	}
	switch {
	case m.Count > 0:
		fmt.Fprintf(&b, "Merged %d of %d shards of suite %.12s: %s\n", len(m.Streams), m.Count, m.Suite, strings.Join(names, ", "))
	default:
		fmt.Fprintf(&b, "Merged %s of suite %.12s: %s\n", plural(len(m.Streams), "stream"), m.Suite, strings.Join(names, ", "))
	}
	if len(m.Missing) > 0 {
		fmt.Fprintf(&b, "%s %s of %d not given (-allow-missing): the invocations in it are not in this result.\n",
			p.paint("Warning:", ansiBold, ansiYellow), m.MissingText(), m.Count)
	}
	var results []MergeResult
	var diags []Diagnostic
	for _, s := range m.Streams {
		results = append(results, s.Results...)
	}
	sort.SliceStable(results, func(i, j int) bool { return results[i].Addr < results[j].Addr })
	lines := 0
	for _, r := range results {
		diags = append(diags, r.Diagnostics...)
		if r.Status == "pass" {
			continue
		}
		if lines == 0 {
			b.WriteString("\n")
		}
		lines++
		line := escapeLine(r.Addr) + ": " + escapeLine(r.Status)
		if r.Reason != "" {
			line += ": " + escapeLine(r.Reason)
		}
		b.WriteString(line + "\n")
	}
	seen := map[string]bool{}
	for _, s := range m.Streams {
		for _, d := range s.RunDiags {
			key := d.Severity + "\x00" + d.Summary + "\x00" + d.Detail
			if !seen[key] {
				seen[key] = true
				diags = append(diags, d)
			}
		}
	}
	errorsFirst(diags)
	if len(diags) > 0 {
		b.WriteString("\n")
	}
	for _, d := range diags {
		b.WriteString(formatDiagnostic(d, p, opts.width(), true))
	}
	b.WriteString("\n" + summaryMessage(&m.Summary, p) + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// JUnit returns the merged run as one JUnit testsuite: every invocation
// result of every stream.
func (m *Merged) JUnit(opts Options) *JUnit {
	j := NewJUnit(opts)
	for _, s := range m.Streams {
		for _, r := range s.Results {
			name := r.Name
			if name == "" {
				name = nameOf(r.Addr)
			}
			j.cases = append(j.cases, junitCase{
				addr: r.Addr, name: name, status: parseStatus(r.Status), reason: r.Reason,
				duration: time.Duration(r.DurationMS * float64(time.Millisecond)), diags: r.Diagnostics,
				repro: r.Repro.info(),
			})
		}
		j.runDiags = append(j.runDiags, s.RunDiags...)
	}
	j.duration, j.haveSummary = m.Summary.Duration, true
	return j
}

// nameOf is NAME of invocation.NAME or invocation.NAME["KEY"].
func nameOf(addr string) string {
	s := strings.TrimPrefix(addr, "invocation.")
	if i := strings.IndexByte(s, '['); i >= 0 {
		s = s[:i]
	}
	return s
}

func parseStatus(s string) executor.Status {
	for _, st := range []executor.Status{executor.StatusPass, executor.StatusFail, executor.StatusError, executor.StatusSkip} {
		if st.String() == s {
			return st
		}
	}
	return executor.StatusError
}

// WriteJSON writes one merged stream to w: a version event, a run_start
// with the suite's fingerprint and every instance, every event of every
// shard but their version, run_start, outputs and summary (in shard
// order, verbatim), and the merged summary. sources are read again, in
// the order of m.Streams.
func (m *Merged) WriteJSON(w io.Writer, opts Options, sources map[string]MergeSource) error {
	j := NewJSON(w, opts)
	var all []string
	for _, s := range m.Streams {
		all = append(all, s.Instances...)
	}
	sort.Strings(all)
	o := opts
	o.Run = &RunInfo{Suite: m.Suite, Instances: all}
	j.Begin(o)
	j.Event(executor.Event{Type: executor.EventRunStart, Summary: &executor.Summary{Total: m.Summary.Total}})
	if err := j.Err(); err != nil {
		return err
	}
	for _, s := range m.Streams {
		src, ok := sources[s.Name]
		if !ok {
			return fmt.Errorf("report: no source for %s", s.Name)
		}
		rc, err := src.Open()
		if err != nil {
			return fmt.Errorf("reopening %s: %w", s.Name, err)
		}
		err = eachLine(s.Name, rc, MaxMergeLine, func(n int, line []byte, last bool) error {
			if last && !json.Valid(line) || len(bytes.TrimSpace(line)) == 0 {
				return nil
			}
			var e struct {
				Type string `json:"type"`
			}
			if err := json.Unmarshal(line, &e); err != nil {
				return fmt.Errorf("%s:%d: %w", s.Name, n, err)
			}
			switch e.Type {
			case "version", "run_start", "outputs", "summary":
				return nil
			}
			j.writeRaw(append(bytes.TrimRight(line, "\r\n"), '\n'))
			return j.Err()
		})
		if cerr := rc.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	j.Event(executor.Event{Type: executor.EventSummary, Summary: &m.Summary})
	return j.Err()
}
