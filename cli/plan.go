package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/fnprobe/fnprobe/planner"
	"github.com/fnprobe/fnprobe/spec"
)

// writePlan prints the plan for humans: each selected invocation, its
// function and provider, its dependencies and what is known only later.
func writePlan(w io.Writer, p *planner.Plan, color bool) {
	bold := func(s string) string {
		if color {
			return "\x1b[1m" + s + "\x1b[0m"
		}
		return s
	}
	fmt.Fprintf(w, "fnprobe will make %d invocation%s:\n\n", len(p.Selected), plural(len(p.Selected)))
	for _, inst := range p.Selected {
		fmt.Fprintf(w, "  %s\n", bold(inst.Addr))
		fmt.Fprintf(w, "      function   = %s (%s)\n", inst.Function.Addr, inst.Function.Provider.Addr)
		fmt.Fprintf(w, "      type       = %s\n", inst.Type)
		if len(inst.Tags) > 0 {
			fmt.Fprintf(w, "      tags       = [%s]\n", strings.Join(inst.Tags, ", "))
		}
		if deps := inst.DependencyNames(); len(deps) > 0 {
			fmt.Fprintf(w, "      depends on = %s\n", "invocation."+strings.Join(deps, ", invocation."))
		}
		for _, a := range inst.Unknown {
			from := "invocation." + strings.Join(inst.UnknownFrom, ", invocation.")
			if len(inst.UnknownFrom) == 0 {
				from = "its dependencies"
			}
			fmt.Fprintf(w, "      %-10s = (known after %s)\n", a, from)
		}
		fmt.Fprintln(w)
	}
	if n := len(p.Instances) - len(p.Selected); n > 0 {
		fmt.Fprintf(w, "%d invocation%s not selected by -target / -tag.\n", n, plural(n))
	}
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
}

type planInvocation struct {
	Addr      string   `json:"addr"`
	Function  string   `json:"function"`
	Provider  string   `json:"provider"`
	Type      string   `json:"type"`
	Tags      []string `json:"tags"`
	DependsOn []string `json:"depends_on"`
	Unknown   []string `json:"known_after_invocation"`
}

// writePlanJSON prints the plan as one JSON event on one line; suite is
// the suite's name when the command was given several.
func writePlanJSON(w io.Writer, p *planner.Plan, r *spec.Redactor, now time.Time, suite string) {
	out := planJSON{
		Level: "info", Type: "plan", Timestamp: now.UTC().Format(time.RFC3339Nano), Suite: suite,
		Message: fmt.Sprintf("plan: %d invocation%s", len(p.Selected), plural(len(p.Selected))),
		Plan:    planBody{Invocations: []planInvocation{}},
	}
	for _, inst := range p.Selected {
		pi := planInvocation{
			Addr: inst.Addr, Function: inst.Function.Addr, Provider: inst.Function.Provider.Addr,
			Type: inst.Type, Tags: nonNil(inst.Tags), DependsOn: []string{}, Unknown: nonNil(inst.Unknown),
		}
		for _, d := range inst.Deps {
			pi.DependsOn = append(pi.DependsOn, d.Addr)
		}
		out.Plan.Invocations = append(out.Plan.Invocations, pi)
	}
	b, _ := json.Marshal(out)
	fmt.Fprintf(w, "%s\n", r.Bytes(b))
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// writeGraph prints the selected instances and their dependency edges as
// Graphviz DOT, nodes and edges sorted.
func writeGraph(w io.Writer, p *planner.Plan) {
	fmt.Fprintln(w, "digraph fnprobe {")
	fmt.Fprintln(w, "  rankdir = \"BT\";")
	fmt.Fprintln(w, "  node [shape = box];")
	for _, inst := range p.Selected {
		fmt.Fprintf(w, "  %s [label = %s];\n", dotID(inst.Addr), dotID(inst.Addr+"\\n"+inst.Function.Addr))
	}
	for _, inst := range p.Selected {
		for _, d := range inst.Deps {
			fmt.Fprintf(w, "  %s -> %s;\n", dotID(inst.Addr), dotID(d.Addr))
		}
	}
	fmt.Fprintln(w, "}")
}

func dotID(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}
