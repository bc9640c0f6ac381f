package spec

import (
	"sort"
	"strings"
	"sync"

	"github.com/zclconf/go-cty/cty"
)

// Sensitive is the cty mark carried by values that must never be printed:
// sensitive variables, sensitive outputs and everything derived from them.
const Sensitive = "sensitive"

// Unset is the cty mark on the unknown value that stands for a variable
// given no value, when a command (validate) checks a suite regardless of
// the values it will get. Marks propagate, so anything computed from such a
// variable carries it too.
const Unset = "unset"

// FromUnset reports whether v is not wholly known because of an unset
// variable (rather than because of an invocation result).
func FromUnset(v cty.Value) bool {
	if v.IsWhollyKnown() {
		return false
	}
	if v.HasMark(Unset) {
		return true
	}
	_, pvm := v.UnmarkDeepWithPaths()
	for _, pm := range pvm {
		if _, ok := pm.Marks[Unset]; ok {
			return true
		}
	}
	return false
}

// Redacted is what is printed in place of a sensitive value.
const Redacted = "(sensitive)"

// minSecretLen is the shortest secret the Redactor replaces in free text;
// shorter strings ("", "1", "ab") would shred unrelated output.
const minSecretLen = 4

// Redactor replaces known secret strings in free text with "(sensitive)". It
// is the last line of defence: values are also carried with the Sensitive mark,
// but error messages from drivers and the OS are plain strings.
//
// A Redactor is safe for concurrent use. The zero value redacts nothing.
type Redactor struct {
	mu      sync.RWMutex
	secrets []string // longest first, so a secret containing another wins
	r       *strings.Replacer
}

// Add registers secret strings.
func (r *Redactor) Add(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range secrets {
		if len(s) < minSecretLen {
			continue
		}
		dup := false
		for _, have := range r.secrets {
			if have == s {
				dup = true
				break
			}
		}
		if !dup {
			r.secrets = append(r.secrets, s)
		}
	}
	sort.Slice(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
	pairs := make([]string, 0, 2*len(r.secrets))
	for _, s := range r.secrets {
		pairs = append(pairs, s, Redacted)
	}
	r.r = strings.NewReplacer(pairs...)
}

// AddValue registers every string inside v (recursively).
func (r *Redactor) AddValue(v cty.Value) {
	v, _ = v.UnmarkDeep()
	var found []string
	_ = cty.Walk(v, func(_ cty.Path, v cty.Value) (bool, error) {
		if v.IsKnown() && !v.IsNull() {
			switch v.Type() {
			case cty.String:
				found = append(found, v.AsString())
			case cty.Number:
				found = append(found, v.AsBigFloat().Text('f', -1))
			}
		}
		return true, nil
	})
	r.Add(found...)
}

// String returns s with every registered secret replaced.
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	r.mu.RLock()
	rep := r.r
	r.mu.RUnlock()
	if rep == nil {
		return s
	}
	return rep.Replace(s)
}

// Bytes is String for byte slices.
func (r *Redactor) Bytes(b []byte) []byte {
	if r == nil {
		return b
	}
	r.mu.RLock()
	rep := r.r
	r.mu.RUnlock()
	if rep == nil {
		return b
	}
	return []byte(rep.Replace(string(b)))
}
