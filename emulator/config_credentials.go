package emulator

import (
	"github.com/fnprobe/fnprobe/emulator/sim"
	"github.com/hashicorp/hcl/v2"
)

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
