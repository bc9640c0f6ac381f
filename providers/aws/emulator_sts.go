package aws

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/fnprobe/fnprobe/emulator/sim"
)

// The emulated AWS Security Token Service: the Query API (version
// 2011-06-15) calls the SDK's credential chain makes — AssumeRole, signed
// with SigV4 for service "sts" by a credential the emulator knows, and
// AssumeRoleWithWebIdentity, unsigned, whose WebIdentityToken must be a
// token credential of kind "aws" in the emulator's configuration. Both
// issue temporary credentials (sim.Env.IssueCredential) that the Lambda
// invoke API then accepts, security token and expiry checked.
//
// Wire format [V] aws/aws-sdk-go-v2 service/sts request_snapshot and
// response_snapshot (the SDK's own serde tests) and the STS API reference:
// POST, Content-Type application/x-www-form-urlencoded, body
// Action=AssumeRole&Version=2011-06-15&RoleArn=…; answers in XML,
// <AssumeRoleResponse><AssumeRoleResult>…; errors as
// <ErrorResponse><Error><Type>Sender</Type><Code>…</Code><Message>…</Message></Error><RequestId>…</RequestId></ErrorResponse>.

// STSPath is where the emulator serves STS. The SDK keeps an endpoint's
// path, so point it there with AWS_ENDPOINT_URL_STS=<emulator URL>/aws/sts,
// or endpoint_url in the profile's services section.
const STSPath = "/aws/sts"

// STSVersion is the STS API version.
const STSVersion = "2011-06-15"

const stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"

// STS limits [V] STS API reference (AssumeRole, AssumeRoleWithWebIdentity).
const (
	MinSessionDuration     = 900 * time.Second
	MaxSessionDuration     = 43200 * time.Second
	DefaultSessionDuration = time.Hour
	// chainedSessionLimit bounds a session assumed with temporary
	// credentials (role chaining).
	chainedSessionLimit = time.Hour
	// stsBodyLimit bounds a request body: web identity tokens are at most
	// 20,000 characters, policies 2,048.
	stsBodyLimit = 64 << 10
)

var (
	roleARNRE     = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:iam::(\d{12}):role/((?:[\w+=,.@-]+/)*)([\w+=,.@-]{1,64})$`)
	sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	externalIDRE  = regexp.MustCompile(`^[\w+=,.@:/-]*$`)
)

// STSEmulator is the emulated STS (sim.Provider).
type STSEmulator struct{}

// Name implements sim.Provider.
func (STSEmulator) Name() string { return "aws_sts" }

// AuxiliaryTo implements sim.Auxiliary: STS serves credentials, not
// functions.
func (STSEmulator) AuxiliaryTo() string { return CredentialProvider }

// Patterns implements sim.Provider.
func (STSEmulator) Patterns() []string { return []string{STSPath, STSPath + "/"} }

// Handler implements sim.Provider.
func (STSEmulator) Handler(env *sim.Env) http.Handler {
	s := &stsAPI{env: env, sig: &lambdaAPI{env: env, service: "sts"}}
	return http.HandlerFunc(s.serve)
}

type stsAPI struct {
	env *sim.Env
	sig *lambdaAPI // SigV4 verification, scoped to "sts"
}

// stsError is an STS error answer.
type stsError struct {
	status    int
	code, msg string
	verdict   sim.Verdict
}

func serr(status int, code, format string, args ...any) *stsError {
	return &stsError{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}

// stsCodes maps the SigV4 front end's Lambda-flavoured codes onto STS's.
var stsCodes = map[string]struct {
	status int
	code   string
}{
	"MissingAuthenticationTokenException": {http.StatusForbidden, "MissingAuthenticationToken"},
	"IncompleteSignatureException":        {http.StatusBadRequest, "IncompleteSignature"},
	"UnrecognizedClientException":         {http.StatusForbidden, "InvalidClientTokenId"},
	"ExpiredTokenException":               {http.StatusBadRequest, "ExpiredToken"},
	"InvalidSignatureException":           {http.StatusForbidden, "SignatureDoesNotMatch"},
	"XAmzContentSHA256Mismatch":           {http.StatusBadRequest, "SignatureDoesNotMatch"},
	"RequestTooLargeException":            {http.StatusRequestEntityTooLarge, "RequestEntityTooLarge"},
	"InvalidRequestContentException":      {http.StatusBadRequest, "MalformedInput"},
}

func fromAPIError(e *apiError) *stsError {
	out := &stsError{status: e.status, code: e.code, msg: e.msg, verdict: e.verdict}
	if m, ok := stsCodes[e.code]; ok {
		out.status, out.code = m.status, m.code
	}
	return out
}

type xmlError struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Xmlns     string   `xml:"xmlns,attr"`
	Type      string   `xml:"Error>Type"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
}

func (s *stsAPI) writeError(w http.ResponseWriter, reqID string, e *stsError) {
	v := e.verdict
	if v == "" && e.status >= 400 && e.status < 500 && e.status != http.StatusForbidden {
		v = sim.VerdictInvalid
	}
	sim.SetOutcome(w, v, e.code)
	typ := "Sender"
	if e.status >= 500 {
		typ = "Receiver"
	}
	writeXML(w, e.status, reqID, xmlError{Xmlns: stsNamespace, Type: typ, Code: e.code, Message: e.msg, RequestID: reqID})
}

func writeXML(w http.ResponseWriter, status int, reqID string, v any) {
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("X-Amzn-Requestid", reqID)
	w.WriteHeader(status)
	_, _ = w.Write([]byte(xml.Header))
	_ = xml.NewEncoder(w).Encode(v)
}

func (s *stsAPI) serve(w http.ResponseWriter, r *http.Request) {
	reqID := s.env.NewUUID("5e75")
	if strings.TrimSuffix(r.URL.Path, "/") != STSPath {
		s.writeError(w, reqID, serr(http.StatusNotFound, "InvalidAction", "Unknown path %s", r.URL.Path))
		return
	}
	if r.Method != http.MethodPost {
		s.writeError(w, reqID, serr(http.StatusBadRequest, "InvalidAction", "The emulated STS accepts POST requests only"))
		return
	}
	var (
		caller *sigV4Auth
		body   []byte
	)
	if r.Header.Get("Authorization") != "" {
		a, b, e := s.sig.authenticateAndRead(r, stsBodyLimit)
		if e != nil {
			s.writeError(w, reqID, fromAPIError(e))
			return
		}
		caller, body = a, b
	} else {
		// AssumeRoleWithWebIdentity is unsigned: its token is in the body.
		b, err := sim.ReadBody(r, stsBodyLimit, sim.DrainLimit)
		if errors.Is(err, sim.ErrBodyTooLarge) {
			s.writeError(w, reqID, &stsError{status: http.StatusRequestEntityTooLarge, code: "RequestEntityTooLarge", msg: "Request body too large", verdict: sim.VerdictTooLarge})
			return
		}
		if err != nil {
			s.writeError(w, reqID, &stsError{status: http.StatusBadRequest, code: "MalformedInput", msg: err.Error(), verdict: sim.VerdictReadError})
			return
		}
		body = b
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		s.writeError(w, reqID, serr(http.StatusBadRequest, "MalformedQueryString", "Could not parse the request body: %v", err))
		return
	}
	action := form.Get("Action")
	if v := form.Get("Version"); v != STSVersion {
		s.writeError(w, reqID, serr(http.StatusBadRequest, "InvalidAction", "Could not find operation %s for version %s", action, v))
		return
	}
	var (
		out any
		e   *stsError
	)
	switch action {
	case "AssumeRole":
		if caller == nil {
			e = &stsError{status: http.StatusForbidden, code: "MissingAuthenticationToken", msg: "Request is missing Authentication Token", verdict: sim.VerdictUnauthenticated}
			break
		}
		out, e = s.assumeRole(form, caller, reqID)
	case "AssumeRoleWithWebIdentity":
		out, e = s.assumeRoleWithWebIdentity(form, reqID)
	default:
		e = serr(http.StatusBadRequest, "InvalidAction", "Could not find operation %s for version %s", action, STSVersion)
	}
	if e != nil {
		s.writeError(w, reqID, e)
		return
	}
	sim.SetOutcome(w, sim.VerdictOK, "")
	writeXML(w, http.StatusOK, reqID, out)
}

func validationError(value, member, constraint string) *stsError {
	return serr(http.StatusBadRequest, "ValidationError",
		"1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, member, constraint)
}

// roleParams are the parameters both calls share.
type roleParams struct {
	roleARN, account, roleName, session string
	duration                            time.Duration
}

func parseRoleParams(form url.Values) (roleParams, *stsError) {
	p := roleParams{roleARN: form.Get("RoleArn"), session: form.Get("RoleSessionName"), duration: DefaultSessionDuration}
	switch {
	case p.roleARN == "":
		return p, validationError("null", "roleArn", "Member must not be null")
	case len(p.roleARN) < 20 || len(p.roleARN) > 2048:
		return p, validationError(p.roleARN, "roleArn", "Member must have length between 20 and 2048")
	}
	m := roleARNRE.FindStringSubmatch(p.roleARN)
	if m == nil {
		return p, serr(http.StatusBadRequest, "ValidationError", "%s is invalid: RoleArn must be an IAM role ARN, arn:aws:iam::ACCOUNT:role/NAME", p.roleARN)
	}
	p.account, p.roleName = m[1], m[3]
	switch {
	case p.session == "":
		return p, validationError("null", "roleSessionName", "Member must not be null")
	case !sessionNameRE.MatchString(p.session):
		return p, validationError(p.session, "roleSessionName", `Member must have length between 2 and 64 and satisfy regular expression pattern: [\w+=,.@-]*`)
	}
	if v := form.Get("DurationSeconds"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return p, serr(http.StatusBadRequest, "MalformedInput", "DurationSeconds %q is not a number", v)
		}
		d := time.Duration(n) * time.Second
		if d < MinSessionDuration || d > MaxSessionDuration {
			return p, validationError(v, "durationSeconds", "Member must have value between 900 and 43200")
		}
		p.duration = d
	}
	return p, nil
}

type xmlCredentials struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

type xmlAssumedRoleUser struct {
	Arn           string `xml:"Arn"`
	AssumedRoleID string `xml:"AssumedRoleId"`
}

type assumeRoleResponse struct {
	XMLName         xml.Name           `xml:"AssumeRoleResponse"`
	Xmlns           string             `xml:"xmlns,attr"`
	AssumedRoleUser xmlAssumedRoleUser `xml:"AssumeRoleResult>AssumedRoleUser"`
	Credentials     xmlCredentials     `xml:"AssumeRoleResult>Credentials"`
	RequestID       string             `xml:"ResponseMetadata>RequestId"`
}

type assumeRoleWithWebIdentityResponse struct {
	XMLName         xml.Name           `xml:"AssumeRoleWithWebIdentityResponse"`
	Xmlns           string             `xml:"xmlns,attr"`
	Subject         string             `xml:"AssumeRoleWithWebIdentityResult>SubjectFromWebIdentityToken"`
	Audience        string             `xml:"AssumeRoleWithWebIdentityResult>Audience"`
	AssumedRoleUser xmlAssumedRoleUser `xml:"AssumeRoleWithWebIdentityResult>AssumedRoleUser"`
	Credentials     xmlCredentials     `xml:"AssumeRoleWithWebIdentityResult>Credentials"`
	Provider        string             `xml:"AssumeRoleWithWebIdentityResult>Provider"`
	RequestID       string             `xml:"ResponseMetadata>RequestId"`
}

// issue mints the role session's credentials from parent.
func (s *stsAPI) issue(p roleParams, parent sim.Credential) (xmlAssumedRoleUser, xmlCredentials) {
	parent.AccountID = p.account // the session belongs to the role's account
	c := s.env.IssueCredential(CredentialProvider, "ASIA", parent, p.duration)
	user := xmlAssumedRoleUser{
		Arn:           "arn:aws:sts::" + p.account + ":assumed-role/" + p.roleName + "/" + p.session,
		AssumedRoleID: "AROA" + strings.ToUpper(c.AccessKeyID[4:]) + ":" + p.session,
	}
	creds := xmlCredentials{
		AccessKeyID: c.AccessKeyID, SecretAccessKey: c.Secret, SessionToken: c.SecurityToken,
		Expiration: c.Expires.UTC().Format(time.RFC3339),
	}
	return user, creds
}

func (s *stsAPI) assumeRole(form url.Values, caller *sigV4Auth, reqID string) (any, *stsError) {
	p, e := parseRoleParams(form)
	if e != nil {
		return nil, e
	}
	if ext := form.Get("ExternalId"); ext != "" && (len(ext) < 2 || len(ext) > 1224 || !externalIDRE.MatchString(ext)) {
		return nil, validationError(ext, "externalId", `Member must have length between 2 and 1224 and satisfy regular expression pattern: [\w+=,.@:/-]*`)
	}
	if !caller.cred.Expires.IsZero() && p.duration > chainedSessionLimit {
		// Temporary credentials assuming a role: role chaining.
		return nil, serr(http.StatusBadRequest, "ValidationError",
			"The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	user, creds := s.issue(p, caller.cred)
	return assumeRoleResponse{Xmlns: stsNamespace, AssumedRoleUser: user, Credentials: creds, RequestID: reqID}, nil
}

func (s *stsAPI) assumeRoleWithWebIdentity(form url.Values, reqID string) (any, *stsError) {
	p, e := parseRoleParams(form)
	if e != nil {
		return nil, e
	}
	token := form.Get("WebIdentityToken")
	if token == "" {
		return nil, validationError("null", "webIdentityToken", "Member must not be null")
	}
	if len(token) < 4 || len(token) > 20000 {
		return nil, validationError("*****", "webIdentityToken", "Member must have length between 4 and 20000")
	}
	cred, ok := s.env.Token(CredentialProvider, token)
	if !ok {
		return nil, &stsError{status: http.StatusBadRequest, code: "InvalidIdentityToken",
			msg: "The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request.", verdict: sim.VerdictUnknownKey}
	}
	if cred.Expired {
		return nil, &stsError{status: http.StatusBadRequest, code: "ExpiredTokenException",
			msg: "Token expired: the web identity token is past its expiration time", verdict: sim.VerdictBadToken}
	}
	if cred.AccountID != "" && cred.AccountID != p.account {
		// The identity provider is trusted by the roles of its account only.
		return nil, &stsError{status: http.StatusForbidden, code: "AccessDenied",
			msg: "Not authorized to perform sts:AssumeRoleWithWebIdentity", verdict: sim.VerdictDenied}
	}
	user, creds := s.issue(p, cred)
	return assumeRoleWithWebIdentityResponse{
		Xmlns: stsNamespace, Subject: "fnprobe-emulator-subject", Audience: "sts.amazonaws.com",
		AssumedRoleUser: user, Credentials: creds, Provider: "fnprobe-emulator", RequestID: reqID,
	}, nil
}
