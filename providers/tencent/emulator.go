package tencent

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/fnprobe/fnprobe/emulator/sim"
)

// PayloadLimit is the request body limit the emulator enforces. CloudBase
// does not document one [?]; this is SCF's synchronous limit (6 MB).
const PayloadLimit = 6 << 20

// CredentialProvider scopes the emulator's tokens for CloudBase.
const CredentialProvider = "tencent"

const docsHint = ". For more information, please refer to https://docs.cloudbase.net/error-code/service"

// CloudBaseEmulator is the emulated CloudBase HTTP API: POST
// /v1/functions/{name} with a bearer token.
type CloudBaseEmulator struct{}

// Name implements sim.Provider.
func (CloudBaseEmulator) Name() string { return Type }

// Patterns implements sim.Provider.
func (CloudBaseEmulator) Patterns() []string { return []string{"/v1/functions/"} }

// Handler implements sim.Provider.
func (CloudBaseEmulator) Handler(env *sim.Env) http.Handler {
	a := &tcbAPI{env: env}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/functions/{name}", a.invoke)
	mux.HandleFunc("/v1/functions/", func(w http.ResponseWriter, r *http.Request) {
		a.writeError(w, a.requestID(), terr(http.StatusNotFound, "INVALID_PATH", "path %s %s is not supported", r.Method, r.URL.Path))
	})
	return mux
}

type tcbAPI struct{ env *sim.Env }

type tcbError struct {
	status     int
	code, msg  string
	retryAfter time.Duration
	verdict    sim.Verdict // for the access log; "" derives it from status
}

func terr(status int, code, format string, args ...any) *tcbError {
	return &tcbError{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}

// is sets the error's verdict.
func (e *tcbError) is(v sim.Verdict) *tcbError {
	e.verdict = v
	return e
}

func (a *tcbAPI) requestID() string { return "tcb-" + a.env.NewID() }

func (a *tcbAPI) writeError(w http.ResponseWriter, reqID string, e *tcbError) {
	sim.SetOutcome(w, e.verdict, e.code)
	h := w.Header()
	h.Set("X-Request-Id", reqID)
	sim.SetRetryAfter(h, e.retryAfter)
	sim.WriteJSON(w, e.status, map[string]string{"code": e.code, "message": e.msg + docsHint, "requestId": reqID})
}

// authenticate checks the bearer token: missing (MISSING_CREDENTIALS),
// malformed (INVALID_CREDENTIALS), unknown (ACCESS_TOKEN_INVALID), expired
// (ACCESS_TOKEN_EXPIRED), all 401.
func (a *tcbAPI) authenticate(r *http.Request) *tcbError {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return terr(http.StatusUnauthorized, "MISSING_CREDENTIALS", "missing credentials in the Authorization header").is(sim.VerdictUnauthenticated)
	}
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || strings.TrimSpace(token) == "" {
		return terr(http.StatusUnauthorized, "INVALID_CREDENTIALS", "the Authorization header must be 'Bearer <token>'").is(sim.VerdictUnauthenticated)
	}
	cred, found := a.env.Token(CredentialProvider, strings.TrimSpace(token))
	if !found {
		return terr(http.StatusUnauthorized, "ACCESS_TOKEN_INVALID", "access token is invalid").is(sim.VerdictUnknownKey)
	}
	if cred.Expired {
		return terr(http.StatusUnauthorized, "ACCESS_TOKEN_EXPIRED", "access token expired").is(sim.VerdictBadToken)
	}
	return nil
}

func (a *tcbAPI) invoke(w http.ResponseWriter, r *http.Request) {
	reqID := a.requestID()
	sim.SetFunction(w, r.PathValue("name"))
	// The bearer token is checked before any of the body is read. Bearer
	// tokens carry no nonce: a replay passes, as at the service.
	if e := a.authenticate(r); e != nil {
		a.writeError(w, reqID, e)
		return
	}
	body, err := sim.ReadBody(r, PayloadLimit, sim.DrainLimit)
	if errors.Is(err, sim.ErrBodyTooLarge) {
		a.writeError(w, reqID, terr(http.StatusRequestEntityTooLarge, "EXCEED_REQUEST_SIZE_LIMIT", "request body exceeds %d bytes", PayloadLimit).is(sim.VerdictTooLarge))
		return
	}
	if err != nil {
		a.writeError(w, reqID, terr(http.StatusBadRequest, "FUNCTION_PARAM_INVALID", "bad http request body (%v)", err).is(sim.VerdictReadError))
		return
	}
	name := r.PathValue("name")
	web := r.Header.Get("X-Tcb-Webfn") == "true" || r.URL.Query().Get("webfn") == "true"
	if !ValidName(name) {
		a.writeError(w, reqID, terr(http.StatusBadRequest, "FUNCTION_PARAM_INVALID", "invalid function name '%s'", name))
		return
	}
	// An event function's body is its event: a JSON value (empty means {}).
	if !web && len(body) > 0 && !json.Valid(body) {
		a.writeError(w, reqID, terr(http.StatusBadRequest, "FUNCTION_PARAM_INVALID", "bad http request body (not valid JSON)"))
		return
	}
	fn, ok := a.env.Function(name)
	if !ok {
		a.writeError(w, reqID, terr(http.StatusNotFound, "FUNCTION_NOT_FOUND", "function '%s' not found", name))
		return
	}
	qualifier := r.Header.Get("X-Qualifier")
	version, err := fn.Resolve(qualifier)
	if err != nil {
		a.writeError(w, reqID, terr(http.StatusNotFound, "FUNCTION_QUALIFIER_NOT_FOUND", "function '%s' has no version '%s'", name, qualifier))
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
		e := terr(http.StatusTooManyRequests, "FUNCTION_EXCEED_RESOURCE_LIMIT", "function '%s' exceeds its concurrency limit", name).is(sim.VerdictFault)
		if d.Status == http.StatusServiceUnavailable {
			e = terr(http.StatusServiceUnavailable, "SERVER_TIMEOUT", "the service is busy, please retry later").is(sim.VerdictFault)
		}
		e.retryAfter = d.RetryAfter
		a.writeError(w, reqID, e)
		return
	case d.Error:
		a.writeError(w, reqID, terr(http.StatusInternalServerError, "SYS_ERR", "system error (injected by the emulator)").is(sim.VerdictFault))
		return
	}

	if len(body) == 0 && !web {
		body = []byte("{}")
	}
	out, err := fn.Invoke(r.Context(), sim.Call{Payload: body, Version: version, RequestID: reqID})
	if err != nil {
		return // the client went away
	}
	if out.Failed {
		// The status CloudBase uses for a failed function is not documented
		// [?]; 500 with FUNCTION_INVOCATION_FAILED is what the emulator sends.
		var fe struct {
			ErrorMessage string `json:"errorMessage"`
		}
		_ = json.Unmarshal(out.Body, &fe)
		if fe.ErrorMessage == "" {
			fe.ErrorMessage = strings.TrimSpace(string(out.Body))
		}
		a.writeError(w, reqID, terr(http.StatusInternalServerError, "FUNCTION_INVOCATION_FAILED", "function invocation failed: %s", fe.ErrorMessage).is(sim.VerdictOK))
		return
	}
	h := w.Header()
	h.Set("X-Request-Id", reqID)
	if json.Valid(out.Body) {
		h.Set("Content-Type", "application/json")
	} else {
		h.Set("Content-Type", "text/plain; charset=utf-8")
	}
	d.WriteBody(w, http.StatusOK, out.Body)
}

// Binding implements sim.Bound: it aims the tencent_cloudbase driver at the
// emulator, with a bearer token.
func (CloudBaseEmulator) Binding() sim.Binding {
	return sim.Binding{Credential: CredentialProvider, Endpoint: "endpoint", Token: "access_token"}
}
