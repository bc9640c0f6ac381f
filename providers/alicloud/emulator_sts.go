package alicloud

import (
	"crypto/hmac"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/fnprobe/fnprobe/emulator/sim"
)

// The emulated Security Token Service (STS, API 2015-04-01): AssumeRole,
// signed with the RPC signature (HMAC-SHA1 over the canonicalized
// parameters), and AssumeRoleWithOIDC, unsigned, whose OIDC token is a
// token credential of the alicloud kind in the emulator's configuration.
// Both issue temporary credentials through sim.Env.IssueCredential, which
// the FC APIs then accept, with their security token, until they expire.
//
// The real service answers at the root of sts[.REGION].aliyuncs.com. The
// emulator serves it under STSPath, so that it does not share "/" with
// another cloud's STS: credentials-go takes an STS "endpoint" that it
// puts between "https://" and the query, so an endpoint of
// "127.0.0.1:PORT/alicloud-sts/" reaches it.
const (
	// STSPath is the emulated STS's path prefix.
	STSPath = "/alicloud-sts/"
	// STSVersion is the STS API version credentials-go speaks.
	STSVersion = "2015-04-01"
	// STSMinDuration and STSMaxDuration bound DurationSeconds: 900 s up to
	// the role's maximum session duration, at most 12 hours.
	STSMinDuration = 900 * time.Second
	STSMaxDuration = 12 * time.Hour
	// STSDefaultDuration is the duration when DurationSeconds is absent.
	STSDefaultDuration = time.Hour
	// stsBodyLimit bounds an STS request's form body.
	stsBodyLimit = 64 << 10
	// stsTimeFormat is the RPC Timestamp and the Expiration format.
	stsTimeFormat = "2006-01-02T15:04:05Z"
)

// STSEmulator is the emulated Alibaba Cloud STS.
type STSEmulator struct{}

// Name implements sim.Provider.
func (STSEmulator) Name() string { return "alicloud_sts" }

// Patterns implements sim.Provider.
func (STSEmulator) Patterns() []string { return []string{STSPath} }

// AuxiliaryTo implements sim.Auxiliary: no driver invokes the STS; the
// alicloud drivers' credential chains reach it.
func (STSEmulator) AuxiliaryTo() string { return credentialProvider }

// Handler implements sim.Provider.
func (STSEmulator) Handler(env *sim.Env) http.Handler {
	return &stsAPI{env: env}
}

type stsAPI struct{ env *sim.Env }

// stsError is an STS answer in Alibaba Cloud's RPC error shape.
type stsError struct {
	status    int
	code, msg string
	verdict   sim.Verdict
}

func stsErr(status int, code, msg string, v sim.Verdict) *stsError {
	return &stsError{status: status, code: code, msg: msg, verdict: v}
}

func (a *stsAPI) writeError(w http.ResponseWriter, reqID string, e *stsError) {
	sim.SetOutcome(w, e.verdict, e.code)
	sim.WriteJSON(w, e.status, map[string]string{
		"RequestId": reqID,
		"HostId":    "sts.aliyuncs.com",
		"Code":      e.code,
		"Message":   e.msg,
		"Recommend": "https://api.aliyun.com/troubleshoot?q=" + e.code,
	})
}

// roleARN is acs:ram::ACCOUNT:role/NAME.
var roleARN = regexp.MustCompile(`^acs:ram::[0-9]+:role/[A-Za-z0-9._@-]{1,64}$`)

// sessionName is RoleSessionName: 2-64 letters, digits, '.', '@', '-', '_'.
var sessionName = regexp.MustCompile(`^[A-Za-z0-9._@-]{2,64}$`)

func (a *stsAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := strings.ToUpper(a.env.NewID())
	if r.URL.Path != STSPath && r.URL.Path+"/" != STSPath {
		a.writeError(w, reqID, stsErr(http.StatusNotFound, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.", sim.VerdictNotFound))
		return
	}
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		a.writeError(w, reqID, stsErr(http.StatusBadRequest, "UnsupportedHTTPMethod", "This http method is not supported.", sim.VerdictInvalid))
		return
	}
	params, e := a.params(r)
	if e != nil {
		a.writeError(w, reqID, e)
		return
	}
	if v := params["Version"]; v != STSVersion {
		a.writeError(w, reqID, stsErr(http.StatusBadRequest, "InvalidVersion", "Specified parameter Version is not valid.", sim.VerdictInvalid))
		return
	}
	var (
		parent sim.Credential
		action = params["Action"]
	)
	switch action {
	case "AssumeRole":
		parent, e = a.checkSignature(r.Method, params)
	case "AssumeRoleWithOIDC":
		parent, e = a.checkOIDC(params)
	default:
		e = stsErr(http.StatusNotFound, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.", sim.VerdictNotFound)
	}
	if e != nil {
		a.writeError(w, reqID, e)
		return
	}
	role, session := params["RoleArn"], params["RoleSessionName"]
	switch {
	case role == "":
		e = stsErr(http.StatusBadRequest, "MissingRoleArn", "RoleArn is mandatory for this action.", sim.VerdictInvalid)
	case !roleARN.MatchString(role):
		e = stsErr(http.StatusBadRequest, "InvalidParameter.RoleArn", "The parameter RoleArn is wrongly formed.", sim.VerdictInvalid)
	case session == "":
		e = stsErr(http.StatusBadRequest, "MissingRoleSessionName", "RoleSessionName is mandatory for this action.", sim.VerdictInvalid)
	case !sessionName.MatchString(session):
		e = stsErr(http.StatusBadRequest, "InvalidParameter.RoleSessionName", "The parameter RoleSessionName is wrongly formed.", sim.VerdictInvalid)
	}
	if e != nil {
		a.writeError(w, reqID, e)
		return
	}
	ttl, e := stsDuration(params["DurationSeconds"])
	if e != nil {
		a.writeError(w, reqID, e)
		return
	}
	c := a.env.IssueCredential(credentialProvider, "STS.", parent, ttl)
	account := strings.TrimPrefix(role, "acs:ram::")
	account, roleName, _ := strings.Cut(account, ":role/")
	sim.WriteJSON(w, http.StatusOK, map[string]any{
		"RequestId": reqID,
		"AssumedRoleUser": map[string]string{
			"Arn":           "acs:ram::" + account + ":assumed-role/" + roleName + "/" + session,
			"AssumedRoleId": "3" + strings.TrimPrefix(c.AccessKeyID, "STS.")[:15] + ":" + session,
		},
		"Credentials": map[string]string{
			"AccessKeyId":     c.AccessKeyID,
			"AccessKeySecret": c.Secret,
			"SecurityToken":   c.SecurityToken,
			"Expiration":      c.Expires.UTC().Format(stsTimeFormat),
		},
	})
}

// params are the request's query and form parameters, one value each
// (the form's win, as the service reads both).
func (a *stsAPI) params(r *http.Request) (map[string]string, *stsError) {
	out := map[string]string{}
	for k, vs := range r.URL.Query() {
		out[k] = vs[0]
	}
	if r.Method != http.MethodPost {
		return out, nil
	}
	body, err := sim.ReadBody(r, stsBodyLimit, drainLimit)
	if errors.Is(err, sim.ErrBodyTooLarge) {
		return nil, stsErr(http.StatusBadRequest, "InvalidParameter", "the request body is too large", sim.VerdictTooLarge)
	}
	if err != nil {
		return nil, stsErr(http.StatusBadRequest, "InvalidParameter", "reading the request body: "+err.Error(), sim.VerdictReadError)
	}
	if len(body) == 0 {
		return out, nil
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		return nil, stsErr(http.StatusBadRequest, "InvalidParameter", "the request body must be application/x-www-form-urlencoded", sim.VerdictInvalid)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, stsErr(http.StatusBadRequest, "InvalidParameter", "the request body is not a form: "+err.Error(), sim.VerdictInvalid)
	}
	for k, vs := range form {
		out[k] = vs[0]
	}
	return out, nil
}

// checkSignature checks an RPC-signed request: the signature method and
// version, the timestamp window, the access key (and its security token
// when it is a temporary one), the HMAC-SHA1 signature over every other
// parameter, and the nonce.
func (a *stsAPI) checkSignature(method string, p map[string]string) (sim.Credential, *stsError) {
	for _, k := range []string{"AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp"} {
		if p[k] == "" {
			return sim.Credential{}, stsErr(http.StatusBadRequest, "MissingParameter", "The input parameter \""+k+"\" that is mandatory for processing this request is not supplied.", sim.VerdictUnauthenticated)
		}
	}
	if p["SignatureMethod"] != "HMAC-SHA1" || p["SignatureVersion"] != "1.0" {
		return sim.Credential{}, stsErr(http.StatusBadRequest, "InvalidSignatureMethod", "Specified signature method is not supported.", sim.VerdictUnauthenticated)
	}
	ts, err := time.Parse(stsTimeFormat, p["Timestamp"])
	if err != nil {
		return sim.Credential{}, stsErr(http.StatusBadRequest, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.", sim.VerdictInvalid)
	}
	if d := a.env.Now().Sub(ts); d > MaxSkew || d < -MaxSkew {
		return sim.Credential{}, stsErr(http.StatusBadRequest, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.", sim.VerdictSkew)
	}
	c, ok := a.env.Credential(credentialProvider, p["AccessKeyId"])
	if !ok {
		return c, stsErr(http.StatusNotFound, "InvalidAccessKeyId.NotFound", "Specified access key is not found.", sim.VerdictUnknownKey)
	}
	if c.SecurityToken != p["SecurityToken"] {
		return c, stsErr(http.StatusBadRequest, "InvalidSecurityToken.MismatchWithAccessKey", "Specified SecurityToken mismatch with the AccessKey.", sim.VerdictBadToken)
	}
	if c.Expired {
		return c, stsErr(http.StatusBadRequest, "InvalidSecurityToken.Expired", "Specified SecurityToken is expired.", sim.VerdictBadToken)
	}
	signed := make(map[string]string, len(p))
	for k, v := range p {
		if k != "Signature" {
			signed[k] = v
		}
	}
	if !hmac.Equal([]byte(RPCSignature(c.Secret, RPCStringToSign(method, signed))), []byte(p["Signature"])) {
		return c, stsErr(http.StatusBadRequest, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation.", sim.VerdictSignatureMismatch)
	}
	if !a.env.UseNonce(p["AccessKeyId"], p["SignatureNonce"], ts.Add(MaxSkew)) {
		return c, stsErr(http.StatusBadRequest, "SignatureNonceUsed", "Specified signature nonce was used already.", sim.VerdictReplay)
	}
	return c, nil
}

// checkOIDC checks AssumeRoleWithOIDC's token against the configured
// token credentials of the alicloud kind.
func (a *stsAPI) checkOIDC(p map[string]string) (sim.Credential, *stsError) {
	switch {
	case p["OIDCProviderArn"] == "":
		return sim.Credential{}, stsErr(http.StatusBadRequest, "MissingOIDCProviderArn", "OIDCProviderArn is mandatory for this action.", sim.VerdictInvalid)
	case p["OIDCToken"] == "":
		return sim.Credential{}, stsErr(http.StatusBadRequest, "MissingOIDCToken", "OIDCToken is mandatory for this action.", sim.VerdictUnauthenticated)
	}
	c, ok := a.env.Token(credentialProvider, p["OIDCToken"])
	if !ok {
		return c, stsErr(http.StatusBadRequest, "AuthenticationFail.OIDCToken.Invalid", "The OIDC token is invalid: the emulator knows no alicloud token credential with this value.", sim.VerdictUnknownKey)
	}
	if c.Expired {
		return c, stsErr(http.StatusBadRequest, "AuthenticationFail.OIDCToken.Expired", "The OIDC token has expired.", sim.VerdictBadToken)
	}
	return c, nil
}

// stsDuration reads DurationSeconds, bounded to [STSMinDuration,
// STSMaxDuration]; absent means STSDefaultDuration.
func stsDuration(s string) (time.Duration, *stsError) {
	if s == "" {
		return STSDefaultDuration, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	d := time.Duration(n) * time.Second
	if err != nil || d < STSMinDuration || d > STSMaxDuration {
		return 0, stsErr(http.StatusBadRequest, "InvalidParameter.DurationSeconds",
			"The parameter DurationSeconds must be between 900 and 43200 (the role's maximum session duration).", sim.VerdictInvalid)
	}
	return d, nil
}
