package shard

import (
	"errors"
	"fmt"
	"math/rand"
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Spec
		bad  bool
	}{
		{in: "1/4", want: Spec{1, 4}},
		{in: "4/4", want: Spec{4, 4}},
		{in: "1/1", want: Spec{1, 1}},
		{in: " 2/3 ", want: Spec{2, 3}},
		{in: "0/4", bad: true},
		{in: "5/4", bad: true},
		{in: "a/b", bad: true},
		{in: "1/0", bad: true},
		{in: "-1/4", bad: true},
		{in: "1", bad: true},
		{in: "", bad: true},
		{in: "1/4/2", bad: true},
	} {
		got, err := Parse(tc.in)
		if tc.bad {
			if err == nil || !errors.Is(err, ErrSyntax) {
				t.Errorf("Parse(%q) = %v, %v; want an ErrSyntax", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if got.String() != fmt.Sprintf("%d/%d", tc.want.Index, tc.want.Count) {
			t.Errorf("String() = %q", got.String())
		}
	}
}

func TestAssign(t *testing.T) {
	chain := []Node{
		{Addr: "invocation.a"},
		{Addr: "invocation.b", Edges: []string{"invocation.a"}},
		{Addr: "invocation.c", Edges: []string{"invocation.b"}},
	}
	for _, tc := range []struct {
		name  string
		nodes []Node
		count int
		want  [][]string
	}{
		{
			name: "a chain is never cut", nodes: chain, count: 3,
			want: [][]string{{"invocation.a", "invocation.b", "invocation.c"}, nil, nil},
		},
		{
			name: "chain and singles balance",
			nodes: append(append([]Node(nil), chain...),
				Node{Addr: "invocation.x"}, Node{Addr: "invocation.y"}, Node{Addr: "invocation.z"}),
			count: 2,
			want:  [][]string{{"invocation.a", "invocation.b", "invocation.c"}, {"invocation.x", "invocation.y", "invocation.z"}},
		},
		{
			name:  "singles round robin by address",
			nodes: []Node{{Addr: "d"}, {Addr: "c"}, {Addr: "b"}, {Addr: "a"}},
			count: 3,
			want:  [][]string{{"a", "d"}, {"b"}, {"c"}},
		},
		{
			name:  "interleave joins two instances",
			nodes: []Node{{Addr: "canary", Edges: []string{"stable"}}, {Addr: "stable"}, {Addr: "other"}},
			count: 2,
			want:  [][]string{{"canary", "stable"}, {"other"}},
		},
		{
			name:  "edges to unselected instances are ignored",
			nodes: []Node{{Addr: "a", Edges: []string{"gone"}}, {Addr: "b"}},
			count: 2,
			want:  [][]string{{"a"}, {"b"}},
		},
		{
			name:  "more shards than instances",
			nodes: []Node{{Addr: "a"}},
			count: 3,
			want:  [][]string{{"a"}, nil, nil},
		},
		{
			name:  "weakly connected: a common dependency joins",
			nodes: []Node{{Addr: "a"}, {Addr: "b", Edges: []string{"a"}}, {Addr: "c", Edges: []string{"a"}}, {Addr: "d"}},
			count: 2,
			want:  [][]string{{"a", "b", "c"}, {"d"}},
		},
		{name: "nothing", nodes: nil, count: 2, want: [][]string{nil, nil}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Assign(tc.nodes, tc.count)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Assign = %q, want %q", got, tc.want)
			}
			for i := range tc.count {
				if sel := Select(tc.nodes, Spec{i + 1, tc.count}); !reflect.DeepEqual(sel, tc.want[i]) {
					t.Errorf("Select %d/%d = %q, want %q", i+1, tc.count, sel, tc.want[i])
				}
			}
		})
	}
}

// randomGraph is a DAG of n nodes with some chains, fans and singles.
func randomGraph(rng *rand.Rand, n int) []Node {
	nodes := make([]Node, n)
	for i := range nodes {
		nodes[i].Addr = fmt.Sprintf("invocation.n%03d", i)
		if i > 0 && rng.Intn(3) == 0 {
			for range 1 + rng.Intn(2) {
				nodes[i].Edges = append(nodes[i].Edges, nodes[rng.Intn(i)].Addr)
			}
		}
	}
	return nodes
}

// TestAssignProperties checks, on a random graph with a fixed seed, for N
// = 1..7: every instance is in exactly one shard, no edge crosses shards,
// the loads are balanced as well as whole components allow, and shuffling
// the input changes nothing.
func TestAssignProperties(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	for round := range 20 {
		nodes := randomGraph(rng, 10+rng.Intn(80))
		comp := components(nodes)
		largest := 0
		for _, c := range comp {
			largest = max(largest, c)
		}
		for n := 1; n <= 7; n++ {
			parts := Assign(nodes, n)
			if len(parts) != n {
				t.Fatalf("round %d: %d shards, want %d", round, len(parts), n)
			}
			where := map[string]int{}
			minLoad, maxLoad := len(nodes), 0
			for i, p := range parts {
				for _, a := range p {
					if prev, dup := where[a]; dup {
						t.Fatalf("round %d N=%d: %s in shards %d and %d", round, n, a, prev+1, i+1)
					}
					where[a] = i
				}
				minLoad, maxLoad = min(minLoad, len(p)), max(maxLoad, len(p))
			}
			if len(where) != len(nodes) {
				t.Fatalf("round %d N=%d: %d instances placed, want %d", round, n, len(where), len(nodes))
			}
			for _, nd := range nodes {
				for _, e := range nd.Edges {
					if where[nd.Addr] != where[e] {
						t.Errorf("round %d N=%d: edge %s → %s cut", round, n, nd.Addr, e)
					}
				}
			}
			// Greedy largest-first: no shard exceeds the lightest by more
			// than the largest component.
			if maxLoad-minLoad > largest {
				t.Errorf("round %d N=%d: loads %d..%d, largest component %d", round, n, minLoad, maxLoad, largest)
			}
			shuffled := append([]Node(nil), nodes...)
			rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			if again := Assign(shuffled, n); !reflect.DeepEqual(again, parts) {
				t.Errorf("round %d N=%d: shuffled input gives another assignment", round, n)
			}
		}
	}
}

// components returns the sizes of the weakly connected components.
func components(nodes []Node) map[string]int {
	adj := map[string][]string{}
	for _, n := range nodes {
		adj[n.Addr] = append(adj[n.Addr], n.Edges...)
		for _, e := range n.Edges {
			adj[e] = append(adj[e], n.Addr)
		}
	}
	seen := map[string]bool{}
	sizes := map[string]int{}
	for _, n := range nodes {
		if seen[n.Addr] {
			continue
		}
		stack := []string{n.Addr}
		seen[n.Addr] = true
		for len(stack) > 0 {
			a := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			sizes[n.Addr]++
			for _, b := range adj[a] {
				if !seen[b] {
					seen[b] = true
					stack = append(stack, b)
				}
			}
		}
	}
	return sizes
}

func TestFingerprint(t *testing.T) {
	a := Fingerprint("0.1.0", []string{"invocation.b", "invocation.a"})
	if b := Fingerprint("0.1.0", []string{"invocation.a", "invocation.b", "invocation.a"}); a != b {
		t.Errorf("order or duplicates change the fingerprint: %s != %s", a, b)
	}
	if len(a) != 64 {
		t.Errorf("fingerprint %q is not a hex SHA-256", a)
	}
	for _, other := range []string{
		Fingerprint("0.2.0", []string{"invocation.a", "invocation.b"}),
		Fingerprint("0.1.0", []string{"invocation.a"}),
		Fingerprint("0.1.0", []string{"invocation.a", "invocation.b", "invocation.c"}),
	} {
		if other == a {
			t.Errorf("a different suite or version has the same fingerprint")
		}
	}
}
