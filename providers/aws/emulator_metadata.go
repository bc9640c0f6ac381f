package aws

import (
	"net/http"
	"strings"
	"time"

	"github.com/fnprobe/fnprobe/emulator/sim"
)

// The emulated credential endpoints of compute platforms, which the SDK's
// chain asks last: the container credentials endpoint (ECS, EKS Pod
// Identity; AWS_CONTAINER_CREDENTIALS_FULL_URI may name a loopback URL)
// and the EC2 instance metadata service, IMDSv2 (the SDK reaches it at
// AWS_EC2_METADATA_SERVICE_ENDPOINT, taking only its scheme and host: the
// paths are /latest/...). Both issue temporary credentials from the
// identity of an aws token credential of the emulator: the container
// endpoint's caller presents one as its authorization token; the instance
// runs as the first unexpired one in the configuration, and without one
// has no instance profile.

// ContainerCredentialsPath is where the emulator serves container
// credentials: AWS_CONTAINER_CREDENTIALS_FULL_URI=<emulator URL>/aws/container-credentials,
// with the token credential in AWS_CONTAINER_AUTHORIZATION_TOKEN.
const ContainerCredentialsPath = "/aws/container-credentials"

// InstanceRoleName is the role the emulated instance profile names.
const InstanceRoleName = "fnprobe-emulator-instance-role"

// Session lifetimes of the metadata endpoints (the platforms rotate
// credentials every few hours; the SDK refreshes them before expiry).
const (
	metadataSessionTTL = 6 * time.Hour
	// maxIMDSTokenTTL is IMDSv2's bound on a session token's lifetime.
	maxIMDSTokenTTL = 21600 * time.Second
)

// metadataJSON is the credentials document of both endpoints.
type metadataJSON struct {
	Code            string `json:"Code,omitempty"`
	LastUpdated     string `json:"LastUpdated,omitempty"`
	Type            string `json:"Type,omitempty"`
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	Token           string `json:"Token"`
	Expiration      string `json:"Expiration"`
	AccountID       string `json:"AccountId,omitempty"`
}

func issueMetadata(env *sim.Env, parent sim.Credential, imds bool) metadataJSON {
	c := env.IssueCredential(CredentialProvider, "ASIA", parent, metadataSessionTTL)
	doc := metadataJSON{
		AccessKeyID: c.AccessKeyID, SecretAccessKey: c.Secret, Token: c.SecurityToken,
		Expiration: c.Expires.UTC().Format(time.RFC3339),
	}
	if imds {
		doc.Code, doc.Type, doc.LastUpdated = "Success", "AWS-HMAC", env.Now().UTC().Format(time.RFC3339)
	} else {
		doc.AccountID = parent.AccountID
	}
	return doc
}

// ContainerCredentialsEmulator serves the container credentials endpoint
// (sim.Provider): GET with the Authorization header set to an aws token
// credential of the emulator.
type ContainerCredentialsEmulator struct{}

// Name implements sim.Provider.
func (ContainerCredentialsEmulator) Name() string { return "aws_container_credentials" }

// AuxiliaryTo implements sim.Auxiliary.
func (ContainerCredentialsEmulator) AuxiliaryTo() string { return CredentialProvider }

// Patterns implements sim.Provider.
func (ContainerCredentialsEmulator) Patterns() []string { return []string{ContainerCredentialsPath} }

// Handler implements sim.Provider.
func (ContainerCredentialsEmulator) Handler(env *sim.Env) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail := func(status int, v sim.Verdict, code, msg string) {
			sim.SetOutcome(w, v, code)
			sim.WriteJSON(w, status, map[string]string{"code": code, "message": msg})
		}
		if r.Method != http.MethodGet {
			fail(http.StatusMethodNotAllowed, sim.VerdictInvalid, "InvalidRequest", "GET only")
			return
		}
		token := r.Header.Get("Authorization")
		if token == "" {
			fail(http.StatusUnauthorized, sim.VerdictUnauthenticated, "AccessDenied", "The Authorization header is missing")
			return
		}
		c, ok := env.Token(CredentialProvider, token)
		switch {
		case !ok:
			fail(http.StatusForbidden, sim.VerdictUnknownKey, "AccessDenied", "The authorization token is not valid")
			return
		case c.Expired:
			fail(http.StatusForbidden, sim.VerdictBadToken, "AccessDenied", "The authorization token has expired")
			return
		}
		sim.SetOutcome(w, sim.VerdictOK, "")
		sim.WriteJSON(w, http.StatusOK, issueMetadata(env, c, false))
	})
}

// IMDSEmulator serves the IMDSv2 calls of the SDK's instance role
// provider (sim.Provider): PUT /latest/api/token, then GET
// /latest/meta-data/iam/security-credentials/[ROLE] with the session
// token. IMDSv1 (no token) is refused, as on instances that require v2.
type IMDSEmulator struct{}

// Name implements sim.Provider.
func (IMDSEmulator) Name() string { return "aws_imds" }

// AuxiliaryTo implements sim.Auxiliary.
func (IMDSEmulator) AuxiliaryTo() string { return CredentialProvider }

// Patterns implements sim.Provider.
func (IMDSEmulator) Patterns() []string { return []string{"/latest/"} }

// Handler implements sim.Provider.
func (IMDSEmulator) Handler(env *sim.Env) http.Handler {
	s := &imdsAPI{env: env}
	return http.HandlerFunc(s.serve)
}

type imdsAPI struct {
	env *sim.Env

	tokens sim.SessionTokens
}

const credsPrefix = "/latest/meta-data/iam/security-credentials/"

func (s *imdsAPI) serve(w http.ResponseWriter, r *http.Request) {
	text := func(status int, v sim.Verdict, body string) { sim.WriteText(w, status, v, body) }
	switch {
	case r.URL.Path == "/latest/api/token":
		s.tokens.ServeNew(w, r, s.env.Now(), "X-Aws-Ec2-Metadata-Token-Ttl-Seconds", maxIMDSTokenTTL)
		return
	case r.Method != http.MethodGet:
		text(http.StatusMethodNotAllowed, sim.VerdictInvalid, "")
		return
	}
	if !s.tokens.Valid(s.env.Now(), r.Header.Get("X-Aws-Ec2-Metadata-Token")) {
		text(http.StatusUnauthorized, sim.VerdictUnauthenticated, "")
		return
	}
	identity, ok := s.env.FirstToken(CredentialProvider)
	role, isCreds := strings.CutPrefix(r.URL.Path, credsPrefix)
	switch {
	case !isCreds || !ok:
		// No such metadata, or no instance profile attached.
		text(http.StatusNotFound, sim.VerdictNotFound, "")
	case role == "":
		text(http.StatusOK, sim.VerdictOK, InstanceRoleName)
	case role != InstanceRoleName:
		text(http.StatusNotFound, sim.VerdictNotFound, "")
	default:
		sim.SetOutcome(w, sim.VerdictOK, "")
		sim.WriteJSON(w, http.StatusOK, issueMetadata(s.env, identity, true))
	}
}

// SSOPath is where the emulator serves the IAM Identity Center (SSO)
// portal's GetRoleCredentials: point the SDK at it with
// AWS_ENDPOINT_URL_SSO=<emulator URL>/aws/sso or the profile's services
// section. The access token the SDK reads from its SSO cache
// (~/.aws/sso/cache) must be an aws token credential of the emulator.
const SSOPath = "/aws/sso"

// SSOEmulator serves GET /federation/credentials of the SSO portal API
// (sim.Provider), REST-JSON [V] aws/aws-sdk-go-v2 service/sso
// request_snapshot and response_snapshot.
type SSOEmulator struct{}

// Name implements sim.Provider.
func (SSOEmulator) Name() string { return "aws_sso" }

// AuxiliaryTo implements sim.Auxiliary.
func (SSOEmulator) AuxiliaryTo() string { return CredentialProvider }

// Patterns implements sim.Provider.
func (SSOEmulator) Patterns() []string { return []string{SSOPath + "/"} }

// Handler implements sim.Provider.
func (SSOEmulator) Handler(env *sim.Env) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail := func(status int, v sim.Verdict, code, msg string) {
			sim.SetOutcome(w, v, code)
			w.Header().Set("X-Amzn-Errortype", code)
			sim.WriteJSON(w, status, map[string]string{"__type": code, "message": msg})
		}
		if r.URL.Path != SSOPath+"/federation/credentials" || r.Method != http.MethodGet {
			fail(http.StatusNotFound, sim.VerdictNotFound, "ResourceNotFoundException", "Unknown operation "+r.Method+" "+r.URL.Path)
			return
		}
		c, ok := env.Token(CredentialProvider, r.Header.Get("X-Amz-Sso_bearer_token"))
		switch {
		case !ok:
			fail(http.StatusUnauthorized, sim.VerdictUnknownKey, "UnauthorizedException", "Session token not found or invalid")
			return
		case c.Expired:
			fail(http.StatusUnauthorized, sim.VerdictBadToken, "UnauthorizedException", "Session token expired")
			return
		}
		q := r.URL.Query()
		account, role := q.Get("account_id"), q.Get("role_name")
		if len(account) != 12 || strings.Trim(account, "0123456789") != "" || role == "" {
			fail(http.StatusBadRequest, sim.VerdictInvalid, "InvalidRequestException", "account_id must be 12 digits and role_name is required")
			return
		}
		c.AccountID = account
		issued := env.IssueCredential(CredentialProvider, "ASIA", c, time.Hour)
		sim.SetOutcome(w, sim.VerdictOK, "")
		sim.WriteJSON(w, http.StatusOK, map[string]any{"roleCredentials": map[string]any{
			"accessKeyId": issued.AccessKeyID, "secretAccessKey": issued.Secret, "sessionToken": issued.SecurityToken,
			"expiration": issued.Expires.UnixMilli(),
		}})
	})
}
