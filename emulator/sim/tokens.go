package sim

// Token looks up a token credential (Credential.Token) for a provider.
func (e *Env) Token(provider, token string) (Credential, bool) {
	c, ok := e.tokens[provider+"\x00"+token]
	return c, ok
}
