package spec

import (
	"fmt"
	"math/big"
	"time"

	"github.com/agext/levenshtein"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

type timeDuration = time.Duration

// IntValue converts v to a whole number no smaller than min. The error reads
// after "The value of X ...".
func IntValue(v cty.Value, min int) (int, error) {
	v, _ = v.Unmark()
	if v.IsNull() {
		return 0, fmt.Errorf("must not be null")
	}
	if !v.IsKnown() {
		return 0, fmt.Errorf("must be known before anything is invoked")
	}
	n, err := convert.Convert(v, cty.Number)
	if err != nil {
		return 0, fmt.Errorf("must be a whole number")
	}
	bf := n.AsBigFloat()
	if !bf.IsInt() {
		return 0, fmt.Errorf("must be a whole number, not %s", bf.Text('f', -1))
	}
	i, acc := bf.Int64()
	if acc != big.Exact || i < int64(min) || i > 1<<31 {
		return 0, fmt.Errorf("must be a whole number of at least %d, not %s", min, bf.Text('f', -1))
	}
	return int(i), nil
}

// DurationValue converts v, a Go duration string such as "200ms" or "1m30s",
// to a positive time.Duration.
func DurationValue(v cty.Value) (time.Duration, error) {
	v, _ = v.Unmark()
	if v.IsNull() {
		return 0, fmt.Errorf("must not be null")
	}
	if !v.IsKnown() {
		return 0, fmt.Errorf("must be known before anything is invoked")
	}
	if v.Type() != cty.String {
		return 0, fmt.Errorf("must be a duration string such as \"500ms\" or \"30s\"")
	}
	d, err := time.ParseDuration(v.AsString())
	if err != nil {
		return 0, fmt.Errorf("must be a duration such as \"500ms\" or \"30s\", not %q", v.AsString())
	}
	if d <= 0 {
		return 0, fmt.Errorf("must be a positive duration, not %q", v.AsString())
	}
	return d, nil
}

// Suggest returns the candidate closest to given, or "" when none is close
// enough to be a likely typo.
func Suggest(given string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		d := levenshtein.Distance(given, c, nil)
		// Swapped letters (stauts) are one slip, not two edits: before
		// "stats", one deletion away, comes "status".
		if d == 2 && len(given) >= 3 && sameLetters(given, c) {
			d = 1
			if best != "" && bestDist == 1 && !sameLetters(given, best) {
				best, bestDist = c, d
				continue
			}
		}
		if d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// sameLetters reports whether a and b are made of the same letters.
func sameLetters(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	var count [256]int
	for i := 0; i < len(a); i++ {
		count[a[i]]++
		count[b[i]]--
	}
	for _, n := range count {
		if n != 0 {
			return false
		}
	}
	return true
}
