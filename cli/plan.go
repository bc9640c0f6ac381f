package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/fnprobe/fnprobe/planner"
	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/report"
	"github.com/fnprobe/fnprobe/spec"
)

// writePlan prints the plan for humans: each selected invocation, its
// function and provider, its dependencies and what is known only later.
// Every name passes through r and is escaped for the terminal (keys and
// tags may hold any text).
func writePlan(w io.Writer, p *planner.Plan, color bool, r *spec.Redactor, sh sharding) {
	clean := func(s string) string { return report.EscapeLine(r.String(s)) }
	bold := func(s string) string {
		s = clean(s)
		if color {
			return "\x1b[1m" + s + "\x1b[0m"
		}
		return s
	}
	cleanAll := func(list []string) []string {
		out := make([]string, len(list))
		for i, s := range list {
			out[i] = clean(s)
		}
		return out
	}
	creds := credentialSources{}
	sh.writeLine(w)
	fmt.Fprintf(w, "fnprobe will make %d invocation%s:\n\n", len(p.Selected), plural(len(p.Selected)))
	for _, inst := range p.Selected {
		fmt.Fprintf(w, "  %s\n", bold(inst.Addr))
		fmt.Fprintf(w, "      function    = %s (%s)\n", clean(inst.Function.Addr), clean(inst.Function.Provider.Addr))
		fmt.Fprintf(w, "      type        = %s\n", clean(inst.Type))
		t := planTarget(inst)
		if t.Endpoint != "" {
			ep := t.Endpoint
			if t.Method != "" {
				ep = t.Method + " " + ep
			}
			fmt.Fprintf(w, "      endpoint    = %s\n", clean(ep))
		}
		if t.Region != "" {
			fmt.Fprintf(w, "      region      = %s\n", clean(t.Region))
		}
		if t.Qualifier != "" {
			fmt.Fprintf(w, "      qualifier   = %s\n", clean(t.Qualifier))
		}
		if c := creds.of(inst.Function.Provider); c != "" {
			fmt.Fprintf(w, "      credentials = %s\n", clean(c))
		}
		if inst.Sample != nil {
			fmt.Fprintf(w, "      sample      = %s\n", clean(sampleText(inst)))
		}
		if len(inst.Tags) > 0 {
			fmt.Fprintf(w, "      tags        = [%s]\n", strings.Join(cleanAll(inst.Tags), ", "))
		}
		if deps := inst.DependencyNames(); len(deps) > 0 {
			fmt.Fprintf(w, "      depends on  = %s\n", "invocation."+strings.Join(cleanAll(deps), ", invocation."))
		}
		for _, a := range inst.Unknown {
			fmt.Fprintf(w, "      %-11s = (known after %s)\n", clean(a), clean(knownAfter(inst)))
		}
		fmt.Fprintln(w)
	}
	if n := len(p.Instances) - sh.total; n > 0 {
		fmt.Fprintf(w, "%d invocation%s not selected by -target / -tag.\n", n, plural(n))
	}
}

// credentialSources names, once per provider block, where its credentials
// come from (providers.CredentialSourcer); "" for drivers that do not say.
type credentialSources map[*planner.ProviderInstance]string

func (c credentialSources) of(p *planner.ProviderInstance) string {
	if s, ok := c[p]; ok {
		return s
	}
	var s string
	if p.CredentialSource != "" {
		c[p] = p.CredentialSource
		return p.CredentialSource
	}
	if d, ok := p.Driver.(providers.CredentialSourcer); ok {
		src, err := d.CredentialSource(context.Background(), p.Config)
		s = src
		if err != nil {
			s = "none usable: " + err.Error()
		}
	}
	c[p] = s
	return s
}

// knownAfter names what the instance's unknown attributes wait for.
func knownAfter(inst *planner.Instance) string {
	if len(inst.UnknownFrom) == 0 {
		return "its dependencies"
	}
	return "invocation." + strings.Join(inst.UnknownFrom, ", invocation.")
}

// planTarget is where an instance goes, as its driver describes it
// (providers.Describer), with the addressing known only at run time marked
// "(known after ...)": https://api/orders/(known after invocation.create).
func planTarget(inst *planner.Instance) providers.Target {
	d, ok := inst.Function.Provider.Driver.(providers.Describer)
	if !ok {
		return providers.Target{}
	}
	t := d.Describe(&providers.Request{
		Provider: inst.Function.Provider.Config, Function: inst.Function.Config, Type: inst.Type,
		Logs: inst.Logs, Wait: inst.Wait, BaseDir: inst.Function.BaseDir,
		Path: inst.Path, Query: inst.Query, Method: inst.Method,
	})
	later := "(known after " + knownAfter(inst) + ")"
	for _, a := range inst.Unknown {
		switch a {
		case "path":
			if t.Endpoint != "" {
				base, query, hasQuery := strings.Cut(t.Endpoint, "?")
				t.Endpoint = strings.TrimSuffix(base, "/") + "/" + later
				if hasQuery {
					t.Endpoint += "?" + query
				}
			}
		case "query":
			if t.Endpoint != "" {
				sep := "?"
				if strings.Contains(t.Endpoint, "?") {
					sep = "&"
				}
				t.Endpoint += sep + later
			}
		case "method":
			t.Method = later
		}
	}
	return t
}

// planJSON is the `plan -json` event: the common fields of every JSON
// event (docs/output.md, "JSON event stream") and the plan.
type planJSON struct {
	Level     string   `json:"@level"`
	Message   string   `json:"@message"`
	Timestamp string   `json:"@timestamp"`
	Type      string   `json:"type"`
	Suite     string   `json:"suite,omitempty"`
	Plan      planBody `json:"plan"`
}

type planBody struct {
	Invocations []planInvocation `json:"invocations"`
	Shard       *planShard       `json:"shard,omitempty"` // -shard
}

// planShard is the shard a plan shows: Index of Count, Total being the
// instances selected before sharding.
type planShard struct {
	Index int `json:"index"`
	Count int `json:"count"`
	Total int `json:"total"`
}

type planInvocation struct {
	Addr      string   `json:"addr"`
	Function  string   `json:"function"`
	Provider  string   `json:"provider"`
	Type      string   `json:"type"`
	Tags      []string `json:"tags"`
	DependsOn []string `json:"depends_on"`
	Unknown   []string `json:"known_after_invocation"`
	Endpoint  string   `json:"endpoint,omitempty"`
	Method    string   `json:"method,omitempty"`
	Region    string   `json:"region,omitempty"`
	Qualifier string   `json:"qualifier,omitempty"`
	// Credentials names where the provider's credentials come from
	// (never a secret); empty for providers without credentials.
	Credentials string      `json:"credentials,omitempty"`
	Sample      *planSample `json:"sample,omitempty"`
}

// planSample is an invocation's sample block, as planned.
type planSample struct {
	Count       int     `json:"count"`
	Concurrency int     `json:"concurrency"`
	Rate        float64 `json:"rate"`
	Warmup      int     `json:"warmup"`
	Interleave  string  `json:"interleave,omitempty"` // the partner's address
}

// sampleText describes a sample for the plan: "200 calls, 10 at once, at
// most 20 calls/s, after 10 warmup calls".
func sampleText(inst *planner.Instance) string {
	s := inst.Sample
	t := fmt.Sprintf("%d call%s, %d at once", s.Count, plural(s.Count), s.Concurrency)
	if s.Rate > 0 {
		t += fmt.Sprintf(", at most %g calls/s", s.Rate)
	}
	if s.Warmup > 0 {
		t += fmt.Sprintf(", after %d warmup call%s", s.Warmup, plural(s.Warmup))
	}
	if inst.Interleave != nil {
		t += ", interleaved with " + inst.Interleave.Addr
	}
	return t
}

// writePlanJSON prints the plan as one JSON event on one line; suite is
// the suite's name when the command was given several.
func writePlanJSON(w io.Writer, p *planner.Plan, r *spec.Redactor, now time.Time, suite string, sh sharding) {
	out := planJSON{
		Level: "info", Type: "plan", Timestamp: now.UTC().Format(time.RFC3339Nano), Suite: suite,
		Message: fmt.Sprintf("plan: %d invocation%s", len(p.Selected), plural(len(p.Selected))),
		Plan:    planBody{Invocations: []planInvocation{}},
	}
	if sh.spec != nil {
		out.Plan.Shard = &planShard{Index: sh.spec.Index, Count: sh.spec.Count, Total: sh.total}
	}
	// Every string is redacted before it is JSON-escaped, and the encoded
	// event once more.
	all := func(list []string) []string {
		out := make([]string, 0, len(list))
		for _, s := range list {
			out = append(out, r.String(s))
		}
		return out
	}
	creds := credentialSources{}
	for _, inst := range p.Selected {
		pi := planInvocation{
			Addr: r.String(inst.Addr), Function: r.String(inst.Function.Addr), Provider: r.String(inst.Function.Provider.Addr),
			Type: r.String(inst.Type), Tags: all(inst.Tags), DependsOn: []string{}, Unknown: all(inst.Unknown),
		}
		for _, d := range inst.Deps {
			pi.DependsOn = append(pi.DependsOn, r.String(d.Addr))
		}
		t := planTarget(inst)
		pi.Endpoint, pi.Method, pi.Region, pi.Qualifier = r.String(t.Endpoint), r.String(t.Method), r.String(t.Region), r.String(t.Qualifier)
		pi.Credentials = r.String(creds.of(inst.Function.Provider))
		if sm := inst.Sample; sm != nil {
			pi.Sample = &planSample{Count: sm.Count, Concurrency: sm.Concurrency, Rate: sm.Rate, Warmup: sm.Warmup}
			if inst.Interleave != nil {
				pi.Sample.Interleave = r.String(inst.Interleave.Addr)
			}
		}
		out.Plan.Invocations = append(out.Plan.Invocations, pi)
	}
	b, _ := json.Marshal(out)
	fmt.Fprintf(w, "%s\n", r.Bytes(b))
}

// writeGraph prints the selected instances and their dependency edges as
// Graphviz DOT, nodes and edges sorted. Names pass through r before they
// are quoted.
func writeGraph(w io.Writer, p *planner.Plan, r *spec.Redactor) {
	id := func(s string) string { return dotID(report.EscapeLine(r.String(s))) }
	fmt.Fprintln(w, "digraph fnprobe {")
	fmt.Fprintln(w, "  rankdir = \"BT\";")
	fmt.Fprintln(w, "  node [shape = box];")
	for _, inst := range p.Selected {
		label := report.EscapeLine(r.String(inst.Addr)) + "\\n" + report.EscapeLine(r.String(inst.Function.Addr))
		fmt.Fprintf(w, "  %s [label = %s];\n", id(inst.Addr), dotID(label))
	}
	for _, inst := range p.Selected {
		for _, d := range inst.Deps {
			fmt.Fprintf(w, "  %s -> %s;\n", id(inst.Addr), id(d.Addr))
		}
	}
	fmt.Fprintln(w, "}")
}

func dotID(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}
