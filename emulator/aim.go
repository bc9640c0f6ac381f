package emulator

import (
	"sort"
	"strings"

	"github.com/fnprobe/fnprobe/emulator/sim"
	"github.com/zclconf/go-cty/cty"
)

// Bindings returns how each emulated API's driver is aimed at the
// emulator, by provider type (alicloud_fc3, aws_lambda, ...).
func Bindings() map[string]sim.Binding {
	out := map[string]sim.Binding{}
	for _, p := range Providers() {
		if b, ok := p.(sim.Bound); ok {
			out[p.Name()] = b.Binding()
		}
	}
	return out
}

// CredentialKinds returns the labels a credential block may carry
// (alicloud, aws, ...), sorted.
func CredentialKinds() []string {
	seen := map[string]bool{}
	var out []string
	for _, b := range Bindings() {
		if !seen[b.Credential] {
			seen[b.Credential] = true
			out = append(out, b.Credential)
		}
	}
	sort.Strings(out)
	return out
}

// Aimed is a provider configuration aimed at the emulator by Aim.
type Aimed struct {
	// Config is the provider block's configuration, aimed.
	Config cty.Value
	// Credential is the emulator's credential filled in, nil when the
	// block names its own or the emulator has none the driver can use.
	Credential *sim.Credential
	// Own says the block names its own credential, which it keeps.
	Own bool
}

// Secrets are the values filled in that must be redacted: the secret and
// the tokens.
func (a Aimed) Secrets() []string {
	if a.Credential == nil {
		return nil
	}
	return nonEmpty([]string{a.Credential.Secret, a.Credential.SecurityToken, a.Credential.Token})
}

// Aim returns a provider block's decoded configuration (an object) aimed
// at the emulator serving cfg at url, for `fnprobe run -emulate`:
//
//   - the endpoint becomes url, whatever the block says, and so do the
//     binding's other endpoints (Binding.Endpoints: url followed by their
//     path) and its STS endpoint (Binding.STSEndpoint); the attributes
//     choosing a credential chain (Binding.Chain: a profile, a role to
//     assume) are cleared;
//   - when the block names no credential (none of its access key, secret
//     or token attributes is set), the first credential of cfg for that
//     cloud that the driver can use and that has not expired is filled in,
//     with its region and project when the block leaves them unset. The
//     environment's credentials are not consulted: they are the real
//     cloud's, which the emulator does not know. A block that names its
//     own credential keeps it, so a suite can test a wrong one.
//
// ok is false for a provider type the emulator does not serve (local,
// http): the configuration is returned unchanged.
func Aim(typ string, provider cty.Value, url string, cfg Config) (a Aimed, ok bool) {
	a.Config = provider
	b, ok := Bindings()[typ]
	if !ok || provider.IsNull() || !provider.IsKnown() || !provider.Type().IsObjectType() {
		return a, false
	}
	attrs := provider.AsValueMap()
	if attrs == nil {
		attrs = map[string]cty.Value{}
	}
	set := func(name, v string, always bool) {
		if name == "" || v == "" || !provider.Type().HasAttribute(name) {
			return
		}
		if always || str(attrs[name]) == "" {
			attrs[name] = cty.StringVal(v)
		}
	}
	set(b.Endpoint, url, true)
	for _, n := range b.Chain {
		if v, ok := attrs[n]; ok && provider.Type().HasAttribute(n) {
			attrs[n] = cty.NullVal(v.Type())
		}
	}
	for name, ep := range b.Endpoints {
		base := url
		if ep.HTTPS {
			base = "https://" + strings.TrimPrefix(url, "http://")
		}
		set(name, base+ep.Path, true)
	}
	for _, n := range []string{b.AccessKeyID, b.Secret, b.Token} {
		a.Own = a.Own || n != "" && str(attrs[n]) != ""
	}
	if !a.Own {
		if c, found := credentialFor(b, cfg.Credentials); found {
			if c.AccessKeyID != "" && b.AccessKeyID != "" {
				set(b.AccessKeyID, c.AccessKeyID, true)
				set(b.Secret, c.Secret, true)
				set(b.SecurityToken, c.SecurityToken, true)
				c.Token = ""
			} else {
				set(b.Token, c.Token, true)
				c.AccessKeyID, c.Secret, c.SecurityToken = "", "", ""
			}
			set(b.Region, c.Region, false)
			set(b.ProjectID, c.ProjectID, false)
			a.Credential = &c
		}
	}
	a.Config = cty.ObjectVal(attrs)
	return a, true
}

// credentialFor picks the first credential for b's cloud that its driver
// can send and that has not expired.
func credentialFor(b sim.Binding, creds []sim.Credential) (sim.Credential, bool) {
	for _, c := range creds {
		if c.Provider != b.Credential || c.Expired {
			continue
		}
		if c.AccessKeyID != "" && b.AccessKeyID != "" || c.Token != "" && b.Token != "" {
			return c, true
		}
	}
	return sim.Credential{}, false
}

func str(v cty.Value) string {
	if v == cty.NilVal || v.IsNull() || !v.IsKnown() || v.Type() != cty.String {
		return ""
	}
	return v.AsString()
}

func nonEmpty(list []string) []string {
	var out []string
	for _, s := range list {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
