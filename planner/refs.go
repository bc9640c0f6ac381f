package planner

import (
	"fmt"
	"sort"

	"github.com/hashicorp/hcl/v2"

	"github.com/fnprobe/fnprobe/spec"
)

// Kind is the kind of a referenceable block.
type Kind int

const (
	KindLocal Kind = iota
	KindProvider
	KindFunction
	KindInvocation
	KindOutput
)

// Addr is the typed address of a block (not of a for_each instance).
type Addr struct {
	Kind Kind
	Name string // for providers: "TYPE" or "TYPE.ALIAS"
}

func (a Addr) String() string {
	switch a.Kind {
	case KindLocal:
		return "local." + a.Name
	case KindProvider:
		return "provider." + a.Name
	case KindFunction:
		return "function." + a.Name
	case KindInvocation:
		return "invocation." + a.Name
	case KindOutput:
		return "output." + a.Name
	}
	return a.Name
}

// Ref is one reference found in an expression.
type Ref struct {
	Addr  Addr
	Range hcl.Range
}

// scope says which special roots an expression may use.
type scope struct {
	self  bool   // self: inside an invocation's checks
	each  bool   // each: inside a block with for_each
	owner string // the invocation whose block this is, for a better self-reference message
}

// refs resolves the traversals of expressions to block addresses, checking
// each against the configuration. var references are checked but produce no
// Ref (variables are known before planning).
func refs(cfg *spec.Config, sc scope, exprs ...hcl.Expression) ([]Ref, hcl.Diagnostics) {
	var out []Ref
	var diags hcl.Diagnostics
	for _, e := range exprs {
		if e == nil {
			continue
		}
		for _, tr := range e.Variables() {
			r, moreDiags := ref(cfg, sc, tr)
			diags = append(diags, moreDiags...)
			if r != nil {
				out = append(out, *r)
			}
		}
	}
	return out, diags
}

var roots = []string{"var", "local", "provider", "function", "invocation", "self", "each"}

func ref(cfg *spec.Config, sc scope, tr hcl.Traversal) (*Ref, hcl.Diagnostics) {
	root := tr.RootName()
	rng := tr.SourceRange()
	name := ""
	if len(tr) > 1 {
		if a, ok := tr[1].(hcl.TraverseAttr); ok {
			name = a.Name
		}
	}
	bad := func(summary, detail string) (*Ref, hcl.Diagnostics) {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: rng.Ptr()}}
	}
	needName := func(what string) (*Ref, hcl.Diagnostics) {
		return bad("Invalid reference", fmt.Sprintf("The %q object cannot be used on its own; refer to one %s, like %s.NAME.", root, what, root))
	}
	undeclared := func(kind string, have []string) (*Ref, hcl.Diagnostics) {
		detail := fmt.Sprintf("There is no %s named %q in this suite.", kind, name)
		if s := spec.Suggest(name, have); s != "" {
			detail += fmt.Sprintf(" Did you mean %s.%s?", root, s)
		}
		return bad(fmt.Sprintf("Reference to undeclared %s", kind), detail)
	}
	switch root {
	case "var":
		if name == "" {
			return needName("variable")
		}
		if _, ok := cfg.Variables[name]; !ok && !cfg.Failed("variable", name) {
			return undeclared("input variable", spec.SortedKeys(cfg.Variables))
		}
		return nil, nil
	case "local":
		if name == "" {
			return needName("local value")
		}
		if _, ok := cfg.Locals[name]; !ok {
			return undeclared("local value", spec.SortedKeys(cfg.Locals))
		}
		return &Ref{Addr{KindLocal, name}, rng}, nil
	case "function":
		if name == "" {
			return needName("function")
		}
		if _, ok := cfg.Functions[name]; !ok && !cfg.Failed("function", name) {
			return undeclared("function", spec.SortedKeys(cfg.Functions))
		}
		return &Ref{Addr{KindFunction, name}, rng}, nil
	case "invocation":
		if name == "" {
			return needName("invocation")
		}
		if _, ok := cfg.Invocations[name]; !ok && !cfg.Failed("invocation", name) {
			return undeclared("invocation", spec.SortedKeys(cfg.Invocations))
		}
		if name == sc.owner {
			return bad("Invalid self-reference", fmt.Sprintf("An invocation cannot refer to its own result by name; inside invocation %q use self instead (self is available in expect, assert and retry.until).", name))
		}
		return &Ref{Addr{KindInvocation, name}, rng}, nil
	case "provider":
		if name == "" {
			return needName("provider")
		}
		addr := name
		if len(tr) > 2 {
			if a, ok := tr[2].(hcl.TraverseAttr); ok {
				if _, ok := cfg.Providers[name+"."+a.Name]; ok {
					addr = name + "." + a.Name
				}
			}
		}
		if len(tr) > 2 && cfg.Failed("provider", name+"."+attrName(tr[2])) {
			addr = name + "." + attrName(tr[2])
		}
		if _, ok := cfg.Providers[addr]; !ok && !cfg.Failed("provider", addr) {
			return undeclared("provider", spec.SortedKeys(cfg.Providers))
		}
		return &Ref{Addr{KindProvider, addr}, rng}, nil
	case "self":
		if !sc.self {
			return bad("Invalid reference to self", "self, the invocation's own result, is only available inside its expect, assert and retry blocks, once the function has answered.")
		}
		return nil, nil
	case "each":
		if !sc.each {
			return bad("Invalid reference to each", "each.key and each.value are only available in blocks that set for_each.")
		}
		if name != "key" && name != "value" {
			return bad("Invalid reference to each", "The each object has two attributes: each.key and each.value.")
		}
		return nil, nil
	}
	detail := fmt.Sprintf("There is no object named %q.", root)
	if s := spec.Suggest(root, roots); s != "" {
		detail += fmt.Sprintf(" Did you mean %q?", s)
	}
	detail += " References start with var, local, provider, function, invocation, self or each."
	return bad("Unknown reference", detail)
}

func attrName(t hcl.Traverser) string {
	if a, ok := t.(hcl.TraverseAttr); ok {
		return a.Name
	}
	return ""
}

// graph is the block-level reference graph.
type graph struct {
	nodes  []Addr
	edges  map[Addr][]Ref // node → what it references
	ranges map[Addr]hcl.Range
}

func (g *graph) add(a Addr, rng hcl.Range, rs []Ref) {
	if _, ok := g.ranges[a]; !ok {
		g.nodes = append(g.nodes, a)
	}
	g.ranges[a] = rng
	g.edges[a] = append(g.edges[a], rs...)
}

func addrLess(a, b Addr) bool {
	if a.Kind != b.Kind {
		return a.Kind < b.Kind
	}
	return a.Name < b.Name
}

// sccs returns the strongly connected components of g with Tarjan's
// algorithm, in reverse topological order (a component comes after every
// component it references... i.e. dependencies first). Nodes are visited in
// sorted order so the result is deterministic.
func (g *graph) sccs() [][]Addr {
	nodes := append([]Addr(nil), g.nodes...)
	sort.Slice(nodes, func(i, j int) bool { return addrLess(nodes[i], nodes[j]) })
	index := map[Addr]int{}
	low := map[Addr]int{}
	on := map[Addr]bool{}
	var stack []Addr
	var out [][]Addr
	next := 0
	// Iterative Tarjan: deep chains (thousands of invocations) must not
	// overflow anything, and recursion depth would be unbounded.
	type frame struct {
		v Addr
		i int
	}
	for _, start := range nodes {
		if _, seen := index[start]; seen {
			continue
		}
		work := []frame{{v: start}}
		index[start], low[start] = next, next
		next++
		stack = append(stack, start)
		on[start] = true
		for len(work) > 0 {
			top := &work[len(work)-1]
			es := g.edges[top.v]
			if top.i < len(es) {
				w := es[top.i].Addr
				top.i++
				if _, known := g.ranges[w]; !known {
					continue
				}
				if _, seen := index[w]; !seen {
					index[w], low[w] = next, next
					next++
					stack = append(stack, w)
					on[w] = true
					work = append(work, frame{v: w})
				} else if on[w] && index[w] < low[top.v] {
					low[top.v] = index[w]
				}
				continue
			}
			v := top.v
			work = work[:len(work)-1]
			if len(work) > 0 {
				p := work[len(work)-1].v
				if low[v] < low[p] {
					low[p] = low[v]
				}
			}
			if low[v] == index[v] {
				var comp []Addr
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					on[w] = false
					comp = append(comp, w)
					if w == v {
						break
					}
				}
				sort.Slice(comp, func(i, j int) bool { return addrLess(comp[i], comp[j]) })
				out = append(out, comp)
			}
		}
	}
	return out
}

// cycles reports every cycle with its members and their ranges, sorted,
// and marks the members in broken: none of them can be evaluated.
func (g *graph) cycles(comps [][]Addr, broken map[Addr]bool) hcl.Diagnostics {
	var diags hcl.Diagnostics
	var cyc [][]Addr
	for _, c := range comps {
		if len(c) > 1 {
			cyc = append(cyc, c)
			continue
		}
		for _, r := range g.edges[c[0]] {
			if r.Addr == c[0] {
				cyc = append(cyc, c)
				break
			}
		}
	}
	sort.Slice(cyc, func(i, j int) bool { return addrLess(cyc[i][0], cyc[j][0]) })
	for _, c := range cyc {
		for _, a := range c {
			broken[a] = true
		}
		detail := "These blocks refer to each other, so none of them can be evaluated first:\n"
		for _, a := range c {
			rng := g.ranges[a]
			detail += fmt.Sprintf("  - %s (%s)\n", a, rng.String())
		}
		detail += "Break the cycle by removing one of the references."
		rng := g.ranges[c[0]]
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Cycle in references",
			Detail:   detail,
			Subject:  rng.Ptr(),
		})
	}
	return diags
}
