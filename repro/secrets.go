package repro

import (
	"sort"
	"strings"

	"github.com/fnprobe/fnprobe/limits"
)

// Secrets maps secret values to the environment variables they can come
// from (FNPROBE_VAR_token for a sensitive variable, AWS_SESSION_TOKEN for
// a driver's secret read from the environment). The zero value knows
// none. A Secrets is read-only once built and safe for concurrent use.
type Secrets struct {
	refs   map[string]string
	values []string // longest first
}

// NewSecrets returns the mapping of refs (secret value → variable name).
// Values shorter than limits.MinSecretLen are left out.
func NewSecrets(refs map[string]string) *Secrets {
	s := &Secrets{refs: map[string]string{}}
	for v, name := range refs {
		if len(v) >= limits.MinSecretLen && name != "" {
			s.refs[v] = name
			s.values = append(s.values, v)
		}
	}
	sort.Slice(s.values, func(i, j int) bool {
		if len(s.values[i]) != len(s.values[j]) {
			return len(s.values[i]) > len(s.values[j])
		}
		return s.values[i] < s.values[j]
	})
	return s
}

// Word splits text into a word whose secrets are references to their
// variables: "Bearer s3cr3t" becomes 'Bearer '"${FNPROBE_VAR_token}". At
// each position the longest secret wins.
func (s *Secrets) Word(text string) Word {
	if s == nil || len(s.values) == 0 {
		return Lit(text)
	}
	var w Word
	rest := text
	for rest != "" {
		at, val := -1, ""
		for _, v := range s.values { // longest first: on a tie of position, the longest wins
			if i := strings.Index(rest, v); i >= 0 && (at < 0 || i < at) {
				at, val = i, v
			}
		}
		if at < 0 {
			w = append(w, Part{Text: rest})
			break
		}
		if at > 0 {
			w = append(w, Part{Text: rest[:at]})
		}
		w = append(w, Part{Env: s.refs[val]})
		rest = rest[at+len(val):]
	}
	if len(w) == 0 {
		return Lit("")
	}
	return w
}

// Words splits each of texts (see Word).
func (s *Secrets) Words(texts ...string) []Word {
	out := make([]Word, len(texts))
	for i, t := range texts {
		out[i] = s.Word(t)
	}
	return out
}

// Names returns the variables of the secrets found in text, as a shell
// refers to them (EnvName), sorted.
func (s *Secrets) Names(text string) []string {
	seen := map[string]bool{}
	for _, p := range s.Word(text) {
		if p.Env != "" {
			seen[EnvName(p.Env)] = true
		}
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
