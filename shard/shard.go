// Package shard splits the selected invocation instances of a plan into
// deterministic parts for CI matrices (`fnprobe run -shard I/N`).
//
// It is pure: it takes nodes (addresses) and edges and returns the nodes
// of one shard. Whole weakly connected components of the dependency graph
// (Instance.Deps and sample interleaving) go to one shard, so a chain is
// never cut; components are balanced by instance count. The result
// depends only on the nodes and edges given, never on their order.
package shard

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Spec is a shard: Index of Count, 1-based.
type Spec struct {
	Index, Count int
}

// String renders the spec as on the command line: "2/4".
func (s Spec) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// ErrSyntax is wrapped by Parse's errors.
var ErrSyntax = errors.New("invalid shard")

// Parse reads "I/N": 1 ≤ I ≤ N.
func Parse(s string) (Spec, error) {
	i, n, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Spec{}, fmt.Errorf("%w %q: want I/N, e.g. 1/4", ErrSyntax, s)
	}
	index, err1 := strconv.Atoi(i)
	count, err2 := strconv.Atoi(n)
	switch {
	case err1 != nil || err2 != nil:
		return Spec{}, fmt.Errorf("%w %q: want I/N with whole numbers, e.g. 1/4", ErrSyntax, s)
	case count < 1:
		return Spec{}, fmt.Errorf("%w %q: the shard count N must be at least 1", ErrSyntax, s)
	case index < 1 || index > count:
		return Spec{}, fmt.Errorf("%w %q: the shard index I must be between 1 and %d", ErrSyntax, s, count)
	}
	return Spec{Index: index, Count: count}, nil
}

// Node is one instance to place: its address and the addresses it is
// connected to (dependencies, interleaved partner). Edges to addresses
// that are not nodes are ignored (instances not selected).
type Node struct {
	Addr  string
	Edges []string
}

// Assign returns, for each of count shards, the sorted addresses of its
// nodes. Every node lands in exactly one shard. Components are placed
// largest first (ties: the smallest address first), each on the least
// loaded shard (ties: the lowest index). Duplicate addresses are one node.
func Assign(nodes []Node, count int) [][]string {
	if count < 1 {
		count = 1
	}
	// Union-find over the addresses, sorted first so that nothing
	// depends on the input's order.
	addrs := make([]string, 0, len(nodes))
	index := make(map[string]int, len(nodes))
	for _, n := range nodes {
		if _, ok := index[n.Addr]; !ok {
			index[n.Addr] = -1
			addrs = append(addrs, n.Addr)
		}
	}
	sort.Strings(addrs)
	for i, a := range addrs {
		index[a] = i
	}
	parent := make([]int, len(addrs))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	union := func(a, b int) {
		ra, rb := find(a), find(b)
		if ra == rb {
			return
		}
		if rb < ra {
			ra, rb = rb, ra
		}
		parent[rb] = ra // the root is the component's smallest address
	}
	for _, n := range nodes {
		for _, e := range n.Edges {
			if j, ok := index[e]; ok {
				union(index[n.Addr], j)
			}
		}
	}
	comps := map[int][]string{}
	for i, a := range addrs {
		r := find(i)
		comps[r] = append(comps[r], a) // addrs sorted: each component sorted
	}
	list := make([][]string, 0, len(comps))
	for _, c := range comps {
		list = append(list, c)
	}
	sort.Slice(list, func(i, j int) bool {
		if len(list[i]) != len(list[j]) {
			return len(list[i]) > len(list[j])
		}
		return list[i][0] < list[j][0]
	})
	out := make([][]string, count)
	load := make([]int, count)
	for _, c := range list {
		best := 0
		for s := 1; s < count; s++ {
			if load[s] < load[best] {
				best = s
			}
		}
		load[best] += len(c)
		out[best] = append(out[best], c...)
	}
	for _, s := range out {
		sort.Strings(s)
	}
	return out
}

// Select returns the addresses of shard s of nodes, sorted.
func Select(nodes []Node, s Spec) []string {
	parts := Assign(nodes, s.Count)
	if s.Index < 1 || s.Index > len(parts) {
		return nil
	}
	return parts[s.Index-1]
}

// Fingerprint identifies a suite and selection: the hex SHA-256 of the
// version and the sorted, distinct addresses of every selected instance
// (before sharding). Shards of one suite and selection agree on it.
func Fingerprint(version string, addrs []string) string {
	sorted := append([]string(nil), addrs...)
	sort.Strings(sorted)
	h := sha256.New()
	fmt.Fprintf(h, "fnprobe %s\n", version)
	prev := ""
	for i, a := range sorted {
		if i > 0 && a == prev {
			continue
		}
		prev = a
		// Length-prefixed: no address can be confused with two.
		fmt.Fprintf(h, "%d:%s\n", len(a), a)
	}
	return hex.EncodeToString(h.Sum(nil))
}
