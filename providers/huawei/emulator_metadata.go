package huawei

import (
	"net/http"
	"time"

	"github.com/fnprobe/fnprobe/emulator/sim"
)

// The emulated ECS metadata service, the last link of the SDK's chain
// (core/auth/internal/metadata_accessor.go): a session token from
// PUT /meta-data/latest/api/token, then temporary credentials from
// GET /openstack/latest/securitykey with the token in X-Metadata-Token.
// The SDK hard-codes http://169.254.169.254, but its client is an
// http.Client on http.DefaultTransport, which follows HTTP_PROXY: with
// HTTP_PROXY=<emulator URL>, the emulator receives the absolute-form
// requests (http://169.254.169.254/openstack/...) and serves them on these
// paths. The instance's agency is the first unexpired huaweicloud token
// credential of the configuration; without one, the instance has none.
const (
	MetadataTokenPath       = "/meta-data/latest/api/token"
	MetadataSecurityKeyPath = "/openstack/latest/securitykey"
)

// ECSMetadataTTL is how long the credentials the emulated metadata service
// issues stay valid [?]: longer than the 40 minutes before expiry at which
// the SDK fetches new ones.
const ECSMetadataTTL = 6 * time.Hour

// NoAgencyMessage is the metadata service's answer when the instance has
// no agency: the SDK recognises it in a 401 and does not retry with a new
// session token (metadata_accessor.go ConfigAgencyError) [?].
const NoAgencyMessage = "Please configure Cloud Service Agency first"

const (
	// maxMetadataTokenTTL bounds X-Metadata-Token-Ttl-Seconds: the SDK
	// asks for 6 hours [?].
	maxMetadataTokenTTL = 21600 * time.Second
)

// ECSMetadataEmulator serves the ECS metadata requests of the SDK's
// MetadataCredentialProvider (sim.Provider).
type ECSMetadataEmulator struct{}

// Name implements sim.Provider.
func (ECSMetadataEmulator) Name() string { return "huaweicloud_ecs_metadata" }

// AuxiliaryTo implements sim.Auxiliary.
func (ECSMetadataEmulator) AuxiliaryTo() string { return CredentialProvider }

// Patterns implements sim.Provider. They do not overlap the IMDS paths
// of other clouds (/latest/...).
func (ECSMetadataEmulator) Patterns() []string {
	return []string{"/meta-data/latest/", "/openstack/latest/"}
}

// Handler implements sim.Provider.
func (ECSMetadataEmulator) Handler(env *sim.Env) http.Handler {
	s := &ecsMetadata{env: env}
	return http.HandlerFunc(s.serve)
}

type ecsMetadata struct {
	env *sim.Env

	tokens sim.SessionTokens
}

func (s *ecsMetadata) serve(w http.ResponseWriter, r *http.Request) {
	text := func(status int, v sim.Verdict, body string) { sim.WriteText(w, status, v, body) }
	switch r.URL.Path {
	case MetadataTokenPath:
		s.tokens.ServeNew(w, r, s.env.Now(), "X-Metadata-Token-Ttl-Seconds", maxMetadataTokenTTL)
	case MetadataSecurityKeyPath:
		if r.Method != http.MethodGet {
			text(http.StatusMethodNotAllowed, sim.VerdictInvalid, "GET only")
			return
		}
		if !s.tokens.Valid(s.env.Now(), r.Header.Get("X-Metadata-Token")) {
			// The SDK fetches a new session token and asks again.
			text(http.StatusUnauthorized, sim.VerdictUnauthenticated, "X-Metadata-Token is missing, invalid or expired")
			return
		}
		parent, ok := s.env.FirstToken(CredentialProvider)
		if !ok {
			text(http.StatusUnauthorized, sim.VerdictDenied, NoAgencyMessage)
			return
		}
		c := s.env.IssueCredential(CredentialProvider, "STS", parent, ECSMetadataTTL)
		sim.SetOutcome(w, sim.VerdictOK, "")
		sim.WriteJSON(w, http.StatusOK, map[string]any{
			"credential": map[string]string{
				"access": c.AccessKeyID, "secret": c.Secret, "securitytoken": c.SecurityToken,
				"expires_at": c.Expires.UTC().Format("2006-01-02T15:04:05.000000Z"),
			},
		})
	default:
		text(http.StatusNotFound, sim.VerdictNotFound, "not found")
	}
}
