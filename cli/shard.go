package cli

import (
	"fmt"
	"io"

	"github.com/fnprobe/fnprobe/planner"
	"github.com/fnprobe/fnprobe/report"
	"github.com/fnprobe/fnprobe/shard"
)

// shardFlag is -shard I/N: parsed when set, so that a bad value is a flag
// error (exit 2) like any other.
type shardFlag struct {
	spec *shard.Spec
}

func (s *shardFlag) String() string {
	if s == nil || s.spec == nil {
		return ""
	}
	return s.spec.String()
}

func (s *shardFlag) Set(v string) error {
	sp, err := shard.Parse(v)
	if err != nil {
		return err
	}
	s.spec = &sp
	return nil
}

// sharding is what -shard did to one suite's plan.
type sharding struct {
	spec  *shard.Spec // nil without -shard
	total int         // instances selected before sharding
	info  *report.RunInfo
}

// applyShard computes the suite's fingerprint over the whole selection
// and, with -shard, keeps in p.Selected only the shard's instances (whole
// components of the dependency graph: see package shard).
func applyShard(p *planner.Plan, spec *shard.Spec) sharding {
	all := make([]string, 0, len(p.Selected))
	for _, inst := range p.Selected {
		all = append(all, inst.Addr)
	}
	s := sharding{spec: spec, total: len(p.Selected), info: &report.RunInfo{Suite: shard.Fingerprint(Version, all)}}
	if spec == nil {
		s.info.Instances = all
		return s
	}
	// The dependency graph, only to shard it.
	nodes := make([]shard.Node, 0, len(p.Selected))
	for _, inst := range p.Selected {
		n := shard.Node{Addr: inst.Addr}
		for _, d := range inst.Deps {
			n.Edges = append(n.Edges, d.Addr)
		}
		for _, partner := range []*planner.Instance{inst.Interleave, inst.InterleavedBy} {
			if partner != nil {
				n.Edges = append(n.Edges, partner.Addr)
			}
		}
		nodes = append(nodes, n)
	}
	s.info.Shard = &report.ShardInfo{Index: spec.Index, Count: spec.Count}
	keep := map[string]bool{}
	for _, a := range shard.Select(nodes, *spec) {
		keep[a] = true
	}
	sel := make([]*planner.Instance, 0, len(keep))
	for _, inst := range p.Selected { // sorted by address, as before
		if keep[inst.Addr] {
			sel = append(sel, inst)
		}
	}
	p.Selected = sel
	s.info.Instances = make([]string, 0, len(sel))
	for _, inst := range sel {
		s.info.Instances = append(s.info.Instances, inst.Addr)
	}
	return s
}

// empty says the shard has no invocation although the selection has some:
// normal in a CI matrix, not the "Nothing selected" error.
func (s sharding) empty() bool {
	return s.spec != nil && s.total > 0 && len(s.info.Instances) == 0
}

// writeLine prints "shard I of N: K of M invocations", or that the shard
// has none.
func (s sharding) writeLine(w io.Writer) {
	if s.spec == nil || s.total == 0 {
		return // the whole selection is empty: "Nothing selected" says so
	}
	if s.empty() {
		fmt.Fprintf(w, "shard %s has no invocations (%d selected in all).\n", s.spec, s.total)
		return
	}
	fmt.Fprintf(w, "shard %d of %d: %d of %d invocation%s\n", s.spec.Index, s.spec.Count, len(s.info.Instances), s.total, plural(s.total))
}
