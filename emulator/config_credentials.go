package emulator

import (
	"fmt"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/fnprobe/fnprobe/emulator/sim"
	"github.com/hashicorp/hcl/v2"
)

// checkKind reports a credential block whose label names no cloud the
// emulator serves, with a did-you-mean.
func (d *decoder) checkKind(b *hcl.Block) {
	kinds := CredentialKinds()
	given := b.Labels[0]
	for _, k := range kinds {
		if k == given {
			return
		}
	}
	detail := fmt.Sprintf("The emulator serves credentials of kind %s; %q is none of them.", strings.Join(quoteAll(kinds), ", "), given)
	s := suggest(given, kinds)
	if b, ok := Bindings()[given]; ok {
		s = b.Credential // a provider type: credential "aws_lambda"
	}
	for _, k := range kinds {
		if s == "" && len(given) >= 3 && strings.HasPrefix(k, given) {
			s = k // credential "huawei"
		}
	}
	if s != "" {
		detail = fmt.Sprintf("Did you mean %q? The emulator serves credentials of kind %s.", s, strings.Join(quoteAll(kinds), ", "))
	}
	d.errorAt(b.LabelRanges[0], "Unknown credential kind", detail)
}

// suggest returns the candidate closest to given, within an edit distance
// of 2, or "" — as the suite's diagnostics suggest names.
func suggest(given string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := levenshtein.Distance(given, c, nil); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

func quoteAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// checkCredential reports a credential block that is neither an access key
// (access_key_id + access_key_secret) nor a token.
func (d *decoder) checkCredential(b *hcl.Block, content *hcl.BodyContent, c sim.Credential) {
	_, hasAK := content.Attributes["access_key_id"]
	_, hasSecret := content.Attributes["access_key_secret"]
	_, hasToken := content.Attributes["token"]
	switch {
	case hasAK && !hasSecret:
		d.errorAt(b.Body.MissingItemRange(), "Missing required argument",
			"The argument \"access_key_secret\" is required with access_key_id, but no definition was found.")
	case hasSecret && !hasAK:
		d.errorAt(b.Body.MissingItemRange(), "Missing required argument",
			"The argument \"access_key_id\" is required with access_key_secret, but no definition was found.")
	case !hasAK && !hasToken:
		d.errorAt(b.Body.MissingItemRange(), "Missing required argument",
			"A credential needs access_key_id and access_key_secret (an access key), or token (a bearer or IAM token).")
	case hasToken && c.Token == "" && !hasAK:
		d.errorAt(content.Attributes["token"].Expr.Range(), "Empty token", "A token credential needs a non-empty token.")
	}
}
