package alicloud

import (
	"net/http"
	"strings"
	"time"

	"github.com/fnprobe/fnprobe/emulator/sim"
)

// The emulated ECS instance metadata service, as far as credentials-go's
// ECS RAM role provider asks it (credentials/providers/ecs_ram_role.go):
// PUT /latest/api/token with X-aliyun-ecs-metadata-token-ttl-seconds (the
// hardened mode's session token), then GET
// /latest/meta-data/ram/security-credentials/[ROLE] with the token in
// X-aliyun-ecs-metadata-token. As on an instance in the normal mode, a GET
// without a token is answered too; one with a token the service did not
// issue, or one that has expired, is refused (401).
//
// credentials-go always asks http://100.100.100.200, which cannot be
// configured; it does build its transport from net/http's default one,
// which follows HTTP_PROXY. The emulator therefore serves the metadata
// only to requests whose host is MetadataHost: a request sent through the
// emulator as an HTTP proxy (HTTP_PROXY=<emulator URL>) arrives in
// absolute form with that host, and the mux's host pattern routes it here,
// apart from the AWS instance metadata that shares the /latest/ paths.
//
// The instance's RAM role is ECSRoleName; it runs as the first unexpired
// alicloud token credential of the configuration (whose account it keeps),
// and without one has no role attached (404).
const (
	// MetadataHost is the ECS metadata service's address.
	MetadataHost = "100.100.100.200"
	// ECSRoleName is the RAM role attached to the emulated instance.
	ECSRoleName = "fnprobe-emulator-ecs-role"
	// ecsSessionTTL is an issued credential's lifetime (the service
	// rotates them well before; credentials-go refreshes within 180 s of
	// the expiry).
	ecsSessionTTL = 6 * time.Hour
	// maxECSTokenTTL bounds a metadata token's lifetime: 21600 s.
	maxECSTokenTTL = 21600 * time.Second
	// ecsCredsPrefix is the path of the role list and, followed by a
	// role's name, of its credentials.
	ecsCredsPrefix = "/latest/meta-data/ram/security-credentials/"
)

// ECSMetadataEmulator is the emulated ECS instance metadata service
// (sim.Provider).
type ECSMetadataEmulator struct{}

// Name implements sim.Provider.
func (ECSMetadataEmulator) Name() string { return "alicloud_ecs_metadata" }

// AuxiliaryTo implements sim.Auxiliary: the alicloud drivers' credential
// chains reach it.
func (ECSMetadataEmulator) AuxiliaryTo() string { return credentialProvider }

// Patterns implements sim.Provider: /latest/ of requests to MetadataHost
// only (a host pattern takes precedence over the AWS IMDS's "/latest/").
func (ECSMetadataEmulator) Patterns() []string { return []string{MetadataHost + "/latest/"} }

// Handler implements sim.Provider.
func (ECSMetadataEmulator) Handler(env *sim.Env) http.Handler {
	s := &ecsMetadata{env: env}
	return http.HandlerFunc(s.serve)
}

type ecsMetadata struct {
	env *sim.Env

	tokens sim.SessionTokens
}

// ecsCredentials is the role's credentials document.
type ecsCredentials struct {
	Code            string `json:"Code"`
	AccessKeyID     string `json:"AccessKeyId"`
	AccessKeySecret string `json:"AccessKeySecret"`
	SecurityToken   string `json:"SecurityToken"`
	Expiration      string `json:"Expiration"`
	LastUpdated     string `json:"LastUpdated"`
}

func (s *ecsMetadata) serve(w http.ResponseWriter, r *http.Request) {
	text := func(status int, v sim.Verdict, body string) { sim.WriteText(w, status, v, body) }
	switch {
	case r.URL.Path == "/latest/api/token":
		s.tokens.ServeNew(w, r, s.env.Now(), "X-Aliyun-Ecs-Metadata-Token-Ttl-Seconds", maxECSTokenTTL)
		return
	case r.Method != http.MethodGet:
		text(http.StatusMethodNotAllowed, sim.VerdictInvalid, "")
		return
	}
	if tok := r.Header.Get("X-Aliyun-Ecs-Metadata-Token"); tok != "" && !s.tokens.Valid(s.env.Now(), tok) {
		text(http.StatusUnauthorized, sim.VerdictUnauthenticated, "")
		return
	}
	identity, ok := s.env.FirstToken(credentialProvider)
	role, isCreds := strings.CutPrefix(r.URL.Path, ecsCredsPrefix)
	switch {
	case !isCreds || !ok:
		// No such metadata, or no RAM role attached to the instance.
		text(http.StatusNotFound, sim.VerdictNotFound, "Not Found")
	case role == "":
		text(http.StatusOK, sim.VerdictOK, ECSRoleName)
	case role != ECSRoleName:
		text(http.StatusNotFound, sim.VerdictNotFound, "Not Found")
	default:
		c := s.env.IssueCredential(credentialProvider, "STS.", identity, ecsSessionTTL)
		sim.SetOutcome(w, sim.VerdictOK, "")
		sim.WriteJSON(w, http.StatusOK, ecsCredentials{
			Code:        "Success",
			AccessKeyID: c.AccessKeyID, AccessKeySecret: c.Secret, SecurityToken: c.SecurityToken,
			Expiration:  c.Expires.UTC().Format(stsTimeFormat),
			LastUpdated: s.env.Now().UTC().Format(stsTimeFormat),
		})
	}
}
