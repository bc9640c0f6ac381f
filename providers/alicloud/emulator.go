package alicloud

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/fnprobe/fnprobe/emulator/sim"
)

// Limits and rules the FC emulators enforce (PROTOCOLS.md §1.3, §1.6).
const (
	SyncPayloadLimit  = 32 << 20  // bytes
	AsyncPayloadLimit = 128 << 10 // bytes
	// MaxSkew is how far a request's Date / x-acs-date may be from the
	// service's clock.
	MaxSkew = 15 * time.Minute
	// logTailBytes is how much log X-Fc-Log-Result carries.
	logTailBytes = 4 << 10
	// drainLimit bounds how much of an oversized body the emulator reads
	// before answering EntityTooLarge.
	drainLimit = sim.DrainLimit
)

// credentialProvider scopes the emulator's credentials for both FC APIs.
const credentialProvider = "alicloud"

// ValidName reports whether s is a valid FC service, function or async
// task id: a letter or "_" first, then letters, digits, "_" or "-", at most
// 128 characters. (FC documents 1-128 for service and function names; the
// 2.0 console says 64 for function names [?], so the emulator accepts 128.)
func ValidName(s string) bool {
	if s == "" || len(s) > 128 || s[0] == '-' || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	return ValidQualifier(s)
}

// ValidQualifier reports whether s is a valid version or alias name.
func ValidQualifier(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// apiError is an answer of the FC API itself.
type apiError struct {
	status     int
	code, msg  string
	retryAfter time.Duration
	verdict    sim.Verdict // for the access log; "" derives it from status
}

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}

// is sets the error's verdict.
func (e *apiError) is(v sim.Verdict) *apiError {
	e.verdict = v
	return e
}

// fcAPI serves one FC API flavour over an Env.
type fcAPI struct {
	env *sim.Env
	fc2 bool // FC 2.0: ErrorCode/ErrorMessage bodies, services, stateful async invocations
}

func (a *fcAPI) requestID() string { return "1-" + a.env.NewID() }

func (a *fcAPI) writeError(w http.ResponseWriter, reqID string, e *apiError) {
	sim.SetOutcome(w, e.verdict, e.code)
	h := w.Header()
	h.Set("X-Fc-Request-Id", reqID)
	sim.SetRetryAfter(h, e.retryAfter)
	var body any
	if a.fc2 {
		body = map[string]string{"ErrorCode": e.code, "ErrorMessage": e.msg}
	} else {
		body = map[string]string{"Code": e.code, "Message": e.msg, "RequestId": reqID}
	}
	sim.WriteJSON(w, e.status, body)
}

// bodyCheck is what the authenticated headers say the body hashes to.
type bodyCheck struct {
	sha256 string // x-acs-content-sha256 (hex); "" for none
	md5    string // Content-MD5 as sent (hex or base64); "" for none
}

// authenticate checks the request from its headers alone, before any of
// the body is read: the Authorization header (FC scheme when fcScheme
// allows it, ACS3 always), the date window, the access key, the security
// token, the signature over the declared body hash, and the ACS3 nonce. It
// returns what the body must then hash to.
func (a *fcAPI) authenticate(r *http.Request, fcScheme bool) (bodyCheck, *apiError) {
	auth := r.Header.Get("Authorization")
	switch {
	case auth == "":
		return bodyCheck{}, errorf(http.StatusForbidden, "AccessDenied", "required HTTP header Authorization was not specified").is(sim.VerdictUnauthenticated)
	case strings.HasPrefix(auth, ACS3+" "):
		return a.checkACS3(r, auth)
	case fcScheme && strings.HasPrefix(auth, "FC "):
		return a.checkFC(r, auth)
	}
	return bodyCheck{}, errorf(http.StatusForbidden, "AccessDenied", "unsupported authorization scheme").is(sim.VerdictUnauthenticated)
}

func (a *fcAPI) checkTime(t time.Time, header string) *apiError {
	now := a.env.Now()
	if d := now.Sub(t); d > MaxSkew || d < -MaxSkew {
		// The service's error code for skew is not documented [?].
		return errorf(http.StatusForbidden, "RequestTimeTooSkewed",
			"the difference between the request time (%s: %s) and the server's time (%s) is larger than %s",
			header, t.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), MaxSkew).is(sim.VerdictSkew)
	}
	return nil
}

func (a *fcAPI) credential(ak, token string) (sim.Credential, *apiError) {
	c, ok := a.env.Credential(credentialProvider, ak)
	if !ok {
		return c, errorf(http.StatusForbidden, "InvalidAccessKeyID", "invalid access key ID '%s'", ak).is(sim.VerdictUnknownKey)
	}
	if c.SecurityToken != token {
		return c, errorf(http.StatusForbidden, "InvalidSecurityToken", "the security token you provided is invalid or missing").is(sim.VerdictBadToken)
	}
	if c.Expired {
		// A temporary credential past its Expiration (or one the
		// configuration marks expired). FC's code for it is not
		// documented [?]; STS and the POP gateway say
		// InvalidSecurityToken.Expired.
		return c, errorf(http.StatusForbidden, "InvalidSecurityToken.Expired", "the security token you provided has expired").is(sim.VerdictBadToken)
	}
	return c, nil
}

func signatureMismatch() *apiError {
	return errorf(http.StatusForbidden, "SignatureNotMatch",
		"The request signature we calculated does not match the signature you provided. Check your access key and signing method").is(sim.VerdictSignatureMismatch)
}

// acs3Required are the headers an ACS3 request must carry and sign: the
// V3 signature documentation makes x-acs-signature-nonce mandatory ("a
// unique random number ... to prevent replay attacks") and every common
// header present part of the signature.
var acs3Required = []string{"x-acs-date", "x-acs-content-sha256", "x-acs-signature-nonce"}

func (a *fcAPI) checkACS3(r *http.Request, auth string) (bodyCheck, *apiError) {
	parsed, err := ParseACS3(auth)
	if err != nil {
		return bodyCheck{}, errorf(http.StatusForbidden, "AccessDenied", "malformed Authorization header: %v", err).is(sim.VerdictUnauthenticated)
	}
	for _, h := range acs3Required {
		if r.Header.Get(h) == "" {
			return bodyCheck{}, errorf(http.StatusBadRequest, "MissingRequiredHeader", "required HTTP header %s was not specified", h)
		}
	}
	date, err := time.Parse("2006-01-02T15:04:05Z", r.Header.Get("x-acs-date"))
	if err != nil {
		return bodyCheck{}, errorf(http.StatusBadRequest, "InvalidArgument", "x-acs-date %q is not of the form 2006-01-02T15:04:05Z", r.Header.Get("x-acs-date"))
	}
	if e := a.checkTime(date, "x-acs-date"); e != nil {
		return bodyCheck{}, e
	}
	cred, e := a.credential(parsed.AccessKeyID, r.Header.Get("x-acs-security-token"))
	if e != nil {
		return bodyCheck{}, e
	}
	hashed := r.Header.Get("x-acs-content-sha256")
	signed := map[string]bool{}
	headers := map[string][]string{}
	for _, name := range parsed.SignedHeaders {
		signed[name] = true
		if name == "host" {
			headers[name] = []string{r.Host}
			continue
		}
		vs := r.Header.Values(name)
		if len(vs) == 0 {
			return bodyCheck{}, signatureMismatch()
		}
		headers[name] = vs
	}
	if !signed["host"] {
		return bodyCheck{}, signatureMismatch()
	}
	for _, h := range acs3Required {
		if !signed[h] {
			return bodyCheck{}, signatureMismatch()
		}
	}
	query := map[string]string{}
	for k, vs := range r.URL.Query() {
		query[k] = vs[0]
	}
	path, _, _ := strings.Cut(sim.RequestTarget(r), "?")
	canon, _ := ACS3CanonicalRequest(r.Method, path, query, headers, hashed)
	if !hmac.Equal([]byte(ACS3Signature(cred.Secret, canon)), []byte(parsed.Signature)) {
		return bodyCheck{}, signatureMismatch()
	}
	// Only a correctly signed nonce is remembered, until the request's
	// date leaves the skew window (after which the date check refuses it).
	// SignatureNonceUsed is Alibaba Cloud's gateway code (POP); FC's own
	// answer is not documented [?].
	if !a.env.UseNonce(parsed.AccessKeyID, r.Header.Get("x-acs-signature-nonce"), date.Add(MaxSkew)) {
		return bodyCheck{}, errorf(http.StatusBadRequest, "SignatureNonceUsed", "Specified signature nonce was used already.").is(sim.VerdictReplay)
	}
	if hashed == "UNSIGNED-PAYLOAD" {
		hashed = ""
	}
	return bodyCheck{sha256: hashed}, nil
}

// checkFC checks the FC scheme (2016-08-15). It has no nonce, so a replay
// within the 15-minute window passes, as it would at the service.
func (a *fcAPI) checkFC(r *http.Request, auth string) (bodyCheck, *apiError) {
	ak, sig, err := ParseFC(auth)
	if err != nil {
		return bodyCheck{}, errorf(http.StatusForbidden, "AccessDenied", "malformed Authorization header: %v", err).is(sim.VerdictUnauthenticated)
	}
	ds := r.Header.Get("Date")
	if ds == "" {
		return bodyCheck{}, errorf(http.StatusBadRequest, "MissingRequiredHeader", "required HTTP header Date was not specified")
	}
	date, err := http.ParseTime(ds)
	if err != nil {
		return bodyCheck{}, errorf(http.StatusBadRequest, "InvalidArgument", "Date %q is not an HTTP date", ds)
	}
	if e := a.checkTime(date, "Date"); e != nil {
		return bodyCheck{}, e
	}
	cred, e := a.credential(ak, r.Header.Get("X-Fc-Security-Token"))
	if e != nil {
		return bodyCheck{}, e
	}
	// Content-MD5 is part of the string to sign: checking the signature
	// now and the body against it later covers the body.
	headers := make(map[string]string, len(r.Header))
	for k, vs := range r.Header {
		headers[k] = vs[0]
	}
	want := FCSignature(cred.Secret, FCStringToSign(r.Method, headers, FCResource(r.URL.Path, nil, false)))
	if !hmac.Equal([]byte(want), []byte(sig)) {
		return bodyCheck{}, signatureMismatch()
	}
	return bodyCheck{md5: r.Header.Get("Content-MD5")}, nil
}

// readBody reads at most limit bytes while hashing them, and checks the
// body against c. A longer body is drained (up to drainLimit) and
// answered EntityTooLarge.
func readBody(r *http.Request, limit int64, c bodyCheck) ([]byte, *apiError) {
	var hashes []hash.Hash
	sh, mh := sha256.New(), md5.New()
	if c.sha256 != "" {
		hashes = append(hashes, sh)
	}
	if c.md5 != "" {
		hashes = append(hashes, mh)
	}
	body, err := sim.ReadBody(r, limit, drainLimit, hashes...)
	if errors.Is(err, sim.ErrBodyTooLarge) {
		return nil, tooLarge(limit)
	}
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "InvalidArgument", "reading the request body: %v", err).is(sim.VerdictReadError)
	}
	if c.sha256 != "" && hex.EncodeToString(sh.Sum(nil)) != c.sha256 {
		return nil, errorf(http.StatusBadRequest, "InvalidArgument", "x-acs-content-sha256 does not match the SHA-256 of the body").is(sim.VerdictBodyMismatch)
	}
	if c.md5 != "" {
		sum := mh.Sum(nil)
		// fc-go-sdk sends hex, the documentation shows base64: accept both.
		if c.md5 != hex.EncodeToString(sum) && c.md5 != base64.StdEncoding.EncodeToString(sum) {
			return nil, errorf(http.StatusBadRequest, "InvalidArgument", "Content-MD5 does not match the body").is(sim.VerdictBodyMismatch)
		}
	}
	return body, nil
}

func tooLarge(limit int64) *apiError {
	return errorf(http.StatusBadRequest, "EntityTooLarge", "payload size exceeds maximum allowed size (%d bytes)", limit).is(sim.VerdictTooLarge)
}

// target is the function an invocation or task request addresses.
type target struct {
	fn        *sim.Function
	qualifier string
	version   string
}

func (a *fcAPI) resolve(service, name, qualifier string) (target, *apiError) {
	if a.fc2 && !ValidName(service) {
		return target{}, errorf(http.StatusBadRequest, "InvalidArgument", "service name '%s' is invalid", service)
	}
	if !ValidName(name) {
		return target{}, errorf(http.StatusBadRequest, "InvalidArgument", "function name '%s' is invalid", name)
	}
	if qualifier != "" && !ValidQualifier(qualifier) {
		return target{}, errorf(http.StatusBadRequest, "InvalidArgument", "qualifier '%s' is invalid", qualifier)
	}
	fn, ok := a.env.Function(name)
	if a.fc2 {
		if !a.env.HasService(service) {
			return target{}, errorf(http.StatusNotFound, "ServiceNotFound", "service '%s' does not exist", service)
		}
		if !ok || fn.Service() != service {
			return target{}, errorf(http.StatusNotFound, "FunctionNotFound", "function '%s' does not exist in service '%s'", name, service)
		}
	} else if !ok {
		return target{}, errorf(http.StatusNotFound, "FunctionNotFound", "function '%s' does not exist", name)
	}
	v, err := fn.Resolve(qualifier)
	if err != nil {
		var qe *sim.QualifierError
		if errors.As(err, &qe) && qe.Alias {
			return target{}, errorf(http.StatusNotFound, "AliasNotFound", "%v", err)
		}
		return target{}, errorf(http.StatusNotFound, "VersionNotFound", "%v", err)
	}
	return target{fn: fn, qualifier: qualifier, version: v}, nil
}

// invoke serves InvokeFunction after routing: t addresses the function,
// asyncHeader names the header carrying the task id.
func (a *fcAPI) invoke(w http.ResponseWriter, r *http.Request, reqID string, body []byte, t target, asyncHeader string) {
	invType := r.Header.Get("X-Fc-Invocation-Type")
	taskID := r.Header.Get(asyncHeader)
	if taskID != "" && a.fc2 && invType == "" {
		invType = "Async" // fc-go-sdk forces Async with a stateful id
	}
	logType := r.Header.Get("X-Fc-Log-Type")
	switch {
	case invType != "" && invType != "Sync" && invType != "Async":
		a.writeError(w, reqID, errorf(http.StatusBadRequest, "InvalidArgument", "invalid X-Fc-Invocation-Type '%s': Sync or Async", invType))
		return
	case logType != "" && logType != "None" && logType != "Tail":
		a.writeError(w, reqID, errorf(http.StatusBadRequest, "InvalidArgument", "invalid X-Fc-Log-Type '%s': None or Tail", logType))
		return
	case taskID != "" && !ValidName(taskID):
		a.writeError(w, reqID, errorf(http.StatusBadRequest, "InvalidArgument",
			"invalid async task id '%s': start with a letter or '_', then letters, digits, '_' or '-', at most 128 characters", taskID))
		return
	}
	async := invType == "Async"
	if async && len(body) > AsyncPayloadLimit {
		a.writeError(w, reqID, tooLarge(AsyncPayloadLimit))
		return
	}

	d := t.fn.Decide()
	if err := d.Wait(r.Context()); err != nil {
		return
	}
	switch {
	case d.Drop:
		sim.Drop(w)
		return
	case d.Throttle:
		code := "ResourceExhausted"
		if d.Status == http.StatusServiceUnavailable {
			code = "ResourceThrottled"
		}
		e := errorf(d.Status, code, "function '%s' is throttled: too many concurrent invocations", t.fn.Name()).is(sim.VerdictFault)
		e.retryAfter = d.RetryAfter
		a.writeError(w, reqID, e)
		return
	case d.Error:
		a.writeError(w, reqID, errorf(http.StatusInternalServerError, "InternalServerError", "an internal error occurred (injected by the emulator)").is(sim.VerdictFault))
		return
	}

	h := w.Header()
	h.Set("X-Fc-Request-Id", reqID)
	if async {
		stateful := taskID != "" || !a.fc2 || r.Header.Get("X-Fc-Stateful-Async-Invocation-Enable") == "true"
		task, err := a.env.Submit(t.fn, taskID, t.qualifier, t.version, body, reqID)
		if err != nil {
			a.writeError(w, reqID, errorf(http.StatusConflict, "AsyncTaskAlreadyExists", "async task '%s' already exists", taskID))
			return
		}
		if stateful {
			h.Set(asyncHeader, task.ID)
		}
		w.WriteHeader(http.StatusAccepted)
		return
	}
	out, err := t.fn.Invoke(r.Context(), sim.Call{Payload: body, Version: t.version, RequestID: reqID})
	if err != nil {
		return // the client went away
	}
	h.Set("Content-Type", "application/octet-stream")
	h.Set("X-Fc-Invocation-Duration", strconv.FormatInt(out.Duration.Milliseconds(), 10))
	h.Set("X-Fc-Max-Memory-Usage", strconv.FormatFloat(out.MemoryMB, 'f', 2, 64))
	h.Set("X-Fc-Instance-Id", t.fn.InstanceID())
	h.Set("X-Fc-Invocation-Service-Version", t.version)
	h.Set("X-Fc-Code-Checksum", "5697641582914695457")
	if out.Failed {
		h.Set("X-Fc-Error-Type", "UnhandledInvocationError")
	}
	if logType == "Tail" {
		h.Set("X-Fc-Log-Result", base64.StdEncoding.EncodeToString([]byte(sim.Tail(out.Log, logTailBytes))))
	}
	d.WriteBody(w, http.StatusOK, out.Body)
}

// taskJSON renders a task as FC 3.0's AsyncTask or FC 2.0's
// StatefulAsyncInvocation.
func (a *fcAPI) taskJSON(t sim.Task, service string, includePayload bool) map[string]any {
	events := make([]map[string]any, 0, len(t.Events))
	for _, e := range t.Events {
		events = append(events, map[string]any{"eventId": e.ID, "status": string(e.State), "timestamp": e.Time.UnixMilli(), "eventDetail": e.Detail})
	}
	m := map[string]any{
		"alreadyRetriedTimes": 0,
		"destinationStatus":   "",
		"events":              events,
		"instanceId":          "",
		"qualifier":           t.Qualifier,
		"requestId":           t.RequestID,
		"startedTime":         t.Started.UnixMilli(),
		"status":              string(t.State),
	}
	if !t.Ended.IsZero() {
		m["endTime"] = t.Ended.UnixMilli()
		m["durationMs"] = t.Ended.Sub(t.Started).Milliseconds()
	}
	var errMsg string
	if t.State == sim.TaskFailed {
		errMsg = "UnhandledInvocationError"
	}
	if t.State == sim.TaskSucceeded || t.State == sim.TaskFailed {
		m["returnPayload"] = string(t.Outcome.Body)
	}
	if a.fc2 {
		m["invocationId"] = t.ID
		m["serviceName"] = service
		m["functionName"] = t.Function
		m["invocationErrorMessage"] = errMsg
		if includePayload {
			m["invocationPayload"] = string(t.Payload)
		}
	} else {
		m["taskId"] = t.ID
		m["functionArn"] = "acs:fc:emulator:0000000000000000:functions/" + t.Function
		m["taskErrorMessage"] = errMsg
		if includePayload {
			m["taskPayload"] = string(t.Payload)
		}
	}
	return m
}

func (a *fcAPI) writeJSON(w http.ResponseWriter, reqID string, v any) {
	w.Header().Set("X-Fc-Request-Id", reqID)
	sim.WriteJSON(w, http.StatusOK, v)
}

// taskOp serves get, stop and list of async tasks for t.
func (a *fcAPI) taskOp(w http.ResponseWriter, r *http.Request, reqID, service string, t target, id, op string) {
	var (
		task sim.Task
		err  error
	)
	switch op {
	case "list":
		prefix := r.URL.Query().Get("prefix")
		if a.fc2 {
			prefix = r.URL.Query().Get("invocationIdPrefix")
		}
		status := r.URL.Query().Get("status")
		include := r.URL.Query().Get("includePayload") == "true"
		list := []map[string]any{}
		for _, tk := range a.env.Tasks(t.fn.Name()) {
			if strings.HasPrefix(tk.ID, prefix) && (status == "" || string(tk.State) == status) {
				list = append(list, a.taskJSON(tk, service, include))
			}
		}
		key := "asyncTasks"
		if a.fc2 {
			key = "invocations"
		}
		a.writeJSON(w, reqID, map[string]any{key: list, "nextToken": ""})
		return
	case "get":
		task, err = a.env.Task(t.fn.Name(), id)
	case "stop":
		task, err = a.env.StopTask(t.fn.Name(), id)
	}
	if err != nil {
		code := "AsyncTaskNotFound"
		if a.fc2 {
			code = "StatefulAsyncInvocationNotFound"
		}
		a.writeError(w, reqID, errorf(http.StatusNotFound, code, "async task '%s' does not exist", id))
		return
	}
	if op == "stop" && !a.fc2 {
		a.writeJSON(w, reqID, map[string]any{})
		return
	}
	a.writeJSON(w, reqID, a.taskJSON(task, service, true))
}
