package huawei

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/fnprobe/fnprobe/emulator/sim"
)

// Limits and rules the FunctionGraph emulator enforces.
const (
	// SyncPayloadLimit and AsyncPayloadLimit are not documented [?]: 6 MB
	// and 256 KB are what the emulator enforces (PROTOCOLS.md §3.7).
	SyncPayloadLimit  = 6 << 20
	AsyncPayloadLimit = 256 << 10
	// MaxSkew is how far X-Sdk-Date may be from the service's clock [?].
	MaxSkew = 15 * time.Minute
	// logTailBytes is how much log X-Cff-Function-Log carries.
	logTailBytes = 2000
)

// CredentialProvider scopes the emulator's credentials for FunctionGraph:
// access keys (optionally with a security token) and IAM tokens.
const CredentialProvider = "huaweicloud"

// FunctionGraphEmulator is the emulated FunctionGraph v2 API: sync and
// async invocation and the async-invocation list, authenticated by
// X-Auth-Token or SDK-HMAC-SHA256.
//
// The emulator's FunctionSpec.Service doubles as the FunctionGraph package
// ("default" unless set).
type FunctionGraphEmulator struct{}

// Name implements sim.Provider.
func (FunctionGraphEmulator) Name() string { return Type }

// Patterns implements sim.Provider.
func (FunctionGraphEmulator) Patterns() []string { return []string{"/v2/", PodIdentityPath} }

// PodIdentityPath is the emulated CCE pod identity credential service: point
// HC_CONTAINER_CREDENTIALS_FULL_URI at it, and HC_CONTAINER_AUTHORIZATION_TOKEN_FILE
// at a file holding one of the emulator's huaweicloud tokens. The real
// service's address is the cluster's [?]: the path is the emulator's own.
const PodIdentityPath = "/huaweicloud/pod-identity/credentials"

// PodIdentityTTL is how long the temporary credentials the emulated pod
// identity service issues stay valid: longer than the 40 minutes before
// expiry at which the SDK fetches new ones.
const PodIdentityTTL = time.Hour

// Handler implements sim.Provider.
func (FunctionGraphEmulator) Handler(env *sim.Env) http.Handler {
	a := &fgAPI{env: env}
	mux := http.NewServeMux()
	const base = "/v2/{project}/fgs/functions/{urn}"
	mux.HandleFunc("POST "+base+"/invocations", func(w http.ResponseWriter, r *http.Request) { a.serve(w, r, "sync") })
	mux.HandleFunc("POST "+base+"/invocations-async", func(w http.ResponseWriter, r *http.Request) { a.serve(w, r, "async") })
	mux.HandleFunc("GET "+base+"/async-invocations", func(w http.ResponseWriter, r *http.Request) { a.serve(w, r, "list") })
	mux.HandleFunc("POST "+PodIdentityPath, a.podIdentity)
	mux.HandleFunc(PodIdentityPath, func(w http.ResponseWriter, r *http.Request) {
		a.writeError(w, a.requestID(), ferr(http.StatusMethodNotAllowed, "FSS.0405", "%s takes POST", PodIdentityPath))
	})
	mux.HandleFunc("/v2/", func(w http.ResponseWriter, r *http.Request) {
		a.writeError(w, a.requestID(), ferr(http.StatusNotFound, "FSS.0404", "the requested path %s %s is not supported", r.Method, r.URL.Path))
	})
	return mux
}

type fgAPI struct{ env *sim.Env }

type fgError struct {
	status     int
	code, msg  string
	retryAfter time.Duration
	verdict    sim.Verdict // for the access log; "" derives it from status
}

func ferr(status int, code, format string, args ...any) *fgError {
	return &fgError{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}

// is sets the error's verdict.
func (e *fgError) is(v sim.Verdict) *fgError {
	e.verdict = v
	return e
}

func (a *fgAPI) requestID() string { return a.env.NewUUID("a000") }

// writeError answers {"error_code","error_msg"} with X-Cff-Request-Id and
// X-Request-Id.
func (a *fgAPI) writeError(w http.ResponseWriter, reqID string, e *fgError) {
	sim.SetOutcome(w, e.verdict, e.code)
	h := w.Header()
	h.Set("X-Cff-Request-Id", reqID)
	h.Set("X-Request-Id", reqID)
	sim.SetRetryAfter(h, e.retryAfter)
	sim.WriteJSON(w, e.status, map[string]string{"error_code": e.code, "error_msg": e.msg, "request_id": reqID})
}

// authFailure is the API gateway's answer to bad credentials. The gateway
// code APIGW.0301 (401) is what the service is seen to answer; it is not in
// the FunctionGraph error table [?].
func authFailure(v sim.Verdict, format string, args ...any) *fgError {
	return ferr(http.StatusUnauthorized, "APIGW.0301", "Incorrect IAM authentication information: "+format, args...).is(v)
}

// akskAuth is a request's SDK-HMAC-SHA256 authorization, checked as far as
// the headers allow.
type akskAuth struct {
	p    ParsedAuthorization
	cred sim.Credential
	date string
}

// authenticate checks X-Auth-Token, or the SDK-HMAC-SHA256 authorization
// from the headers alone (access key, date window, security token,
// project), before any of the body is read. It returns nil for a token.
func (a *fgAPI) authenticate(r *http.Request, project string) (*akskAuth, *fgError) {
	if tok := r.Header.Get("X-Auth-Token"); tok != "" {
		cred, ok := a.env.Token(CredentialProvider, tok)
		switch {
		case !ok:
			return nil, authFailure(sim.VerdictUnknownKey, "token is invalid")
		case cred.Expired:
			return nil, authFailure(sim.VerdictBadToken, "token expired")
		case cred.ProjectID != "" && cred.ProjectID != project:
			return nil, ferr(http.StatusForbidden, "FSS.0403", "the token is not valid for project %s", project).is(sim.VerdictDenied)
		}
		return nil, nil
	}
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return nil, authFailure(sim.VerdictUnauthenticated, "no X-Auth-Token and no Authorization header")
	}
	p, err := ParseAuthorization(auth)
	if err != nil {
		return nil, authFailure(sim.VerdictUnauthenticated, "malformed Authorization header: %v", err)
	}
	ds := r.Header.Get(HeaderDate)
	date, err := time.Parse(DateFormat, ds)
	if err != nil {
		return nil, authFailure(sim.VerdictInvalid, "%s %q is not of the form %s", HeaderDate, ds, DateFormat)
	}
	if d := a.env.Now().Sub(date); d > MaxSkew || d < -MaxSkew {
		return nil, authFailure(sim.VerdictSkew, "the request time %s differs from the server time by more than %s", ds, MaxSkew)
	}
	cred, ok := a.env.Credential(CredentialProvider, p.AccessKey)
	if !ok {
		return nil, authFailure(sim.VerdictUnknownKey, "the access key %s does not exist", p.AccessKey)
	}
	if cred.Expired {
		return nil, authFailure(sim.VerdictBadToken, "the security token has expired")
	}
	if tok := r.Header.Get("X-Security-Token"); tok != cred.SecurityToken {
		return nil, authFailure(sim.VerdictBadToken, "the security token is invalid or missing")
	}
	if pid := r.Header.Get("X-Project-Id"); pid != "" && pid != project {
		return nil, ferr(http.StatusBadRequest, "FSS.0400", "X-Project-Id %s does not match the project %s in the path", pid, project)
	}
	if cred.ProjectID != "" && cred.ProjectID != project {
		return nil, ferr(http.StatusForbidden, "FSS.0403", "the access key is not valid for project %s", project).is(sim.VerdictDenied)
	}
	return &akskAuth{p: p, cred: cred, date: ds}, nil
}

// verify checks the signature over the client's own SignedHeaders and the
// given payload hash.
func (a *fgAPI) verify(r *http.Request, k *akskAuth, payloadHash string) *fgError {
	headers := map[string][]string{}
	signed := map[string]bool{}
	for _, name := range k.p.SignedHeaders {
		signed[name] = true
		if name == "host" {
			headers[name] = []string{r.Host}
			continue
		}
		vs := r.Header.Values(name)
		if len(vs) == 0 {
			return authFailure(sim.VerdictSignatureMismatch, "signed header %s is missing", name)
		}
		headers[name] = vs
	}
	if !signed["x-sdk-date"] {
		return authFailure(sim.VerdictSignatureMismatch, "x-sdk-date must be signed")
	}
	want := Signature(k.cred.Secret, StringToSign(k.date, CanonicalRequest(r.Method, r.URL.Path, r.URL.Query(), headers, k.p.SignedHeaders, payloadHash)))
	if !hmac.Equal([]byte(want), []byte(k.p.Signature)) {
		return authFailure(sim.VerdictSignatureMismatch, "verify aksk signature fail")
	}
	return nil
}

// authenticateAndRead authenticates a request and reads its body (at
// most limit bytes). With X-Sdk-Content-Sha256 (a hash or
// UNSIGNED-PAYLOAD) the signature is checked before the body is read and
// the body against the hash after; without it the signature covers the
// body's own hash, so the body is read once everything else passed, and
// the signature checked after. SDK-HMAC-SHA256 has no nonce: a replay
// within the skew window passes [?].
func (a *fgAPI) authenticateAndRead(r *http.Request, project string, limit int64) ([]byte, *fgError) {
	k, e := a.authenticate(r, project)
	if e != nil {
		return nil, e
	}
	declared := r.Header.Get(HeaderContentHash)
	if k != nil && declared != "" {
		if e := a.verify(r, k, declared); e != nil {
			return nil, e
		}
	}
	h := sha256.New()
	body, err := sim.ReadBody(r, limit, sim.DrainLimit, h)
	if errors.Is(err, sim.ErrBodyTooLarge) {
		return nil, ferr(http.StatusRequestEntityTooLarge, "FSS.1201", "request body too large: more than %d bytes", limit).is(sim.VerdictTooLarge)
	}
	if err != nil {
		return nil, ferr(http.StatusBadRequest, "FSS.0400", "reading the request body: %v", err).is(sim.VerdictReadError)
	}
	if k == nil {
		return body, nil
	}
	sum := hex.EncodeToString(h.Sum(nil))
	switch declared {
	case "":
		if e := a.verify(r, k, sum); e != nil {
			return nil, e
		}
	case "UNSIGNED-PAYLOAD", sum:
	default:
		return nil, authFailure(sim.VerdictBodyMismatch, "the body does not match %s", HeaderContentHash)
	}
	return body, nil
}

// target resolves the path's URN to a function and the version it runs.
func (a *fgAPI) target(project, raw string) (*sim.Function, URN, string, *fgError) {
	u, err := ParseURN(raw)
	if err != nil {
		return nil, u, "", ferr(http.StatusBadRequest, "FSS.1309", "%v", err)
	}
	if u.Project != "" && u.Project != project {
		return nil, u, "", ferr(http.StatusBadRequest, "FSS.1309", "the project in URN %s is not %s", raw, project)
	}
	pkg := u.Package
	if pkg == "" {
		pkg = "default"
	}
	fn, ok := a.env.Function(u.Name)
	if !ok || fn.Service() != pkg {
		return nil, u, "", ferr(http.StatusNotFound, "FSS.1051", "Not found the function")
	}
	q := u.Alias
	if u.Version != "" {
		q = u.Version
		if q == "latest" {
			q = sim.Latest
		}
	}
	v, err := fn.Resolve(q)
	switch {
	case err == nil:
	case u.Alias != "":
		return nil, u, "", ferr(http.StatusNotFound, "FSS.1053", "Not found the alias %s", u.Alias)
	default:
		return nil, u, "", ferr(http.StatusNotFound, "FSS.1052", "Not found the version %s", u.Version)
	}
	if v == sim.Latest {
		v = "latest"
	}
	return fn, u, v, nil
}

func (a *fgAPI) serve(w http.ResponseWriter, r *http.Request, op string) {
	reqID := a.requestID()
	limit := int64(SyncPayloadLimit)
	if op == "async" {
		limit = AsyncPayloadLimit
	}
	project := r.PathValue("project")
	sim.SetFunction(w, r.PathValue("urn"))
	body, e := a.authenticateAndRead(r, project, limit)
	if e != nil {
		a.writeError(w, reqID, e)
		return
	}
	fn, u, version, e := a.target(project, r.PathValue("urn"))
	if e != nil {
		a.writeError(w, reqID, e)
		return
	}
	if op == "list" {
		a.list(w, r, reqID, fn)
		return
	}
	if len(body) > 0 && !json.Valid(body) {
		a.writeError(w, reqID, ferr(http.StatusBadRequest, "FSS.0400", "the request body is not valid JSON"))
		return
	}
	if len(body) == 0 {
		body = []byte("{}")
	}
	reqVersion := r.Header.Get("X-Cff-Request-Version")
	if reqVersion == "" {
		reqVersion = "v0"
	}
	if reqVersion != "v0" && reqVersion != "v1" {
		a.writeError(w, reqID, ferr(http.StatusBadRequest, "FSS.0400", "X-CFF-Request-Version must be v0 or v1"))
		return
	}

	d := fn.Decide()
	if err := d.Wait(r.Context()); err != nil {
		return
	}
	switch {
	case d.Drop:
		sim.Drop(w)
		return
	case d.Throttle:
		e := ferr(http.StatusTooManyRequests, "FSS.0429", "too many requests").is(sim.VerdictFault)
		if d.Status == http.StatusServiceUnavailable {
			e = ferr(http.StatusServiceUnavailable, "FSS.0503", "service unavailable").is(sim.VerdictFault)
		}
		e.retryAfter = d.RetryAfter
		a.writeError(w, reqID, e)
		return
	case d.Error:
		a.writeError(w, reqID, ferr(http.StatusInternalServerError, "FSS.0500", "internal error (injected by the emulator)").is(sim.VerdictFault))
		return
	}

	h := w.Header()
	h.Set("X-Cff-Request-Id", reqID)
	if op == "async" {
		// The SDK sends the event as the body; an old doc example wraps it
		// in {"body": ...} [?]: either is passed to the function as is.
		if _, err := a.env.Submit(fn, reqID, u.Qualifier(), version, body, reqID); err != nil {
			a.writeError(w, reqID, ferr(http.StatusInternalServerError, "FSS.0500", "could not queue the invocation: %v", err))
			return
		}
		sim.WriteJSON(w, http.StatusAccepted, map[string]string{"request_id": reqID})
		return
	}
	out, err := fn.Invoke(r.Context(), sim.Call{Payload: body, Version: version, RequestID: reqID})
	if err != nil {
		return // the client went away
	}
	ms := float64(out.Duration.Microseconds()) / 1000
	billed := max(1, int(math.Ceil(ms)))
	sum, _ := json.Marshal(map[string]any{"duration": ms, "billingDuration": billed, "memorySize": 128, "memoryUsed": out.MemoryMB})
	h.Set("X-Cff-Invoke-Summary", string(sum))
	h.Set("X-Cff-Billing-Duration", strconv.Itoa(billed))
	h.Set("X-Cff-Response-Version", reqVersion)
	status, errCode, isErr := http.StatusOK, "0", "false"
	if out.Failed {
		// The exact error code of a failed function is not documented [?].
		status, errCode, isErr = http.StatusInternalServerError, "1", "true"
	}
	h.Set("X-Func-Err-Code", errCode)
	h.Set("X-Is-Func-Err", isErr)
	tail := sim.Tail(out.Log, logTailBytes)
	if strings.EqualFold(r.Header.Get("X-Cff-Log-Type"), "tail") {
		h.Set("X-Cff-Function-Log", base64.StdEncoding.EncodeToString([]byte(tail)))
	}
	resBody := out.Body
	if reqVersion == "v1" {
		h.Set("Content-Type", "application/json")
		resBody, _ = json.Marshal(map[string]any{"request_id": reqID, "result": string(out.Body), "log": tail, "status": status})
	} else {
		h.Set("Content-Type", "text/plain; charset=utf-8")
	}
	d.WriteBody(w, http.StatusOK, resBody)
}

// asyncStatus maps a task state onto FunctionGraph's words.
func asyncStatus(s sim.TaskState) string {
	switch s {
	case sim.TaskEnqueued:
		return "WAIT"
	case sim.TaskRunning:
		return "RUNNING"
	case sim.TaskSucceeded:
		return "SUCCESS"
	case sim.TaskFailed:
		return "FAIL"
	}
	return "DISCARD"
}

// list serves the async-invocation list, filtered by request_id and status.
func (a *fgAPI) list(w http.ResponseWriter, r *http.Request, reqID string, fn *sim.Function) {
	q := r.URL.Query()
	limit := 10
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 100 {
			a.writeError(w, reqID, ferr(http.StatusBadRequest, "FSS.0400", "limit must be between 1 and 100"))
			return
		}
		limit = n
	}
	invs := []map[string]any{}
	for _, t := range a.env.Tasks(fn.Name()) {
		st := asyncStatus(t.State)
		if id := q.Get("request_id"); id != "" && t.RequestID != id || q.Get("status") != "" && q.Get("status") != st {
			continue
		}
		m := map[string]any{"request_id": t.RequestID, "status": st, "error_code": 0, "error_message": "",
			"start_time": t.Started.UTC().Format("2006-01-02T15:04:05")}
		if !t.Ended.IsZero() {
			m["end_time"] = t.Ended.UTC().Format("2006-01-02T15:04:05")
		}
		if t.State == sim.TaskFailed {
			var fe struct {
				ErrorMessage string `json:"errorMessage"`
			}
			if json.Unmarshal(t.Outcome.Body, &fe) != nil || fe.ErrorMessage == "" {
				fe.ErrorMessage = string(t.Outcome.Body)
			}
			m["error_code"], m["error_message"] = 1, fe.ErrorMessage
		}
		invs = append(invs, m)
		if len(invs) == limit {
			break
		}
	}
	w.Header().Set("X-Cff-Request-Id", reqID)
	sim.WriteJSON(w, http.StatusOK, map[string]any{"invocations": invs, "count": len(invs), "next_marker": 0})
}

// podIdentity issues temporary credentials (access key, secret, security
// token) to the holder of a huaweicloud token, as CCE pod identity does
// for a pod's service-account token: the SDK sends the token file's content
// as the Authorization header (no scheme) and reads
// {"credentials":{"accessKeyId","secretAccessKey","securityToken","expiration"}}
// (core/auth/internal/pod_identity_accessor.go). The credentials keep the
// token's project, and expire after PodIdentityTTL.
func (a *fgAPI) podIdentity(w http.ResponseWriter, r *http.Request) {
	reqID := a.requestID()
	tok := r.Header.Get("Authorization")
	if tok == "" {
		a.writeError(w, reqID, authFailure(sim.VerdictUnauthenticated, "no Authorization header"))
		return
	}
	parent, ok := a.env.Token(CredentialProvider, tok)
	switch {
	case !ok:
		a.writeError(w, reqID, authFailure(sim.VerdictUnknownKey, "token is invalid"))
		return
	case parent.Expired:
		a.writeError(w, reqID, authFailure(sim.VerdictBadToken, "token expired"))
		return
	}
	c := a.env.IssueCredential(CredentialProvider, "STS", parent, PodIdentityTTL)
	sim.SetOutcome(w, sim.VerdictOK, "")
	w.Header().Set("X-Request-Id", reqID)
	sim.WriteJSON(w, http.StatusOK, map[string]any{
		"credentials": map[string]string{
			"accessKeyId": c.AccessKeyID, "secretAccessKey": c.Secret, "securityToken": c.SecurityToken,
			"expiration": c.Expires.UTC().Format("2006-01-02T15:04:05.000000Z"),
		},
	})
}

// Binding implements sim.Bound: it aims the huaweicloud_functiongraph
// driver at the emulator, with an access key or an IAM token.
func (FunctionGraphEmulator) Binding() sim.Binding {
	return sim.Binding{
		Credential: CredentialProvider, Endpoint: "endpoint",
		AccessKeyID: "access_key", Secret: "secret_key", SecurityToken: "security_token",
		Token: "auth_token", ProjectID: "project_id", Region: "region",
	}
}
