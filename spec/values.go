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
		if d := levenshtein.Distance(given, c, nil); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}
