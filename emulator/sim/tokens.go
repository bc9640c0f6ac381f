package sim

// Token looks up a token credential (Credential.Token) for a provider.
func (e *Env) Token(provider, token string) (Credential, bool) {
	c, ok := e.tokens[provider+"\x00"+token]
	return c, ok
}

// FirstToken returns the first token credential of provider, in
// configuration order, that has not expired: the identity an emulated
// metadata service (an instance, a container) runs as.
func (e *Env) FirstToken(provider string) (Credential, bool) {
	for _, c := range e.tokenList {
		if c.Provider == provider && !c.Expired {
			return c, true
		}
	}
	return Credential{}, false
}
