package aws

import (
	"context"
	"crypto/hmac"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/fnprobe/fnprobe/emulator/sim"
)

// Limits and rules the Lambda emulator enforces (PROTOCOLS.md §5).
const (
	SyncPayloadLimit  = 6 << 20 // bytes, request and response
	AsyncPayloadLimit = 1 << 20 // bytes
	// MaxSkew is how far X-Amz-Date may be from the service's clock.
	MaxSkew = 5 * time.Minute
	// logTailBytes is how much log X-Amz-Log-Result carries.
	logTailBytes = 4 << 10
	// DefaultAccount is the account of credentials without an AccountID.
	DefaultAccount = "123456789012"
)

// CredentialProvider scopes the emulator's credentials for Lambda.
const CredentialProvider = "aws"

const sigV4 = "AWS4-HMAC-SHA256"

// LambdaEmulator is the emulated Lambda Invoke API (2015-03-31), verifying
// SigV4 by re-signing each request with the SDK's signer.
type LambdaEmulator struct{}

// Name implements sim.Provider.
func (LambdaEmulator) Name() string { return Type }

// Patterns implements sim.Provider.
func (LambdaEmulator) Patterns() []string { return []string{"/" + APIVersion + "/"} }

// Handler implements sim.Provider.
func (LambdaEmulator) Handler(env *sim.Env) http.Handler {
	l := &lambdaAPI{env: env}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /"+APIVersion+"/functions/{fn}/invocations", l.invoke)
	mux.HandleFunc("/"+APIVersion+"/", func(w http.ResponseWriter, r *http.Request) {
		l.writeError(w, l.requestID(), lerr(http.StatusNotFound, "UnknownOperationException", "Unknown operation %s %s", r.Method, r.URL.Path))
	})
	return mux
}

type lambdaAPI struct {
	env *sim.Env
}

// apiError is an answer of the Lambda front end or service.
type apiError struct {
	status     int
	code, msg  string
	extra      map[string]string
	retryAfter time.Duration
}

func lerr(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}

func (l *lambdaAPI) requestID() string { return l.env.NewUUID("8000") }

// writeError answers in Lambda's REST-JSON error format: the code in
// X-Amzn-ErrorType, {"Type","message"} (capital Message for
// ResourceNotFoundException and ServiceException, as the model has it).
func (l *lambdaAPI) writeError(w http.ResponseWriter, reqID string, e *apiError) {
	h := w.Header()
	h.Set("X-Amzn-Requestid", reqID)
	h.Set("X-Amzn-Errortype", e.code)
	sim.SetRetryAfter(h, e.retryAfter)
	typ := "User"
	if e.status >= 500 {
		typ = "Service"
	}
	body := map[string]string{"Type": typ}
	msgKey := "message"
	if e.code == "ResourceNotFoundException" || e.code == "ServiceException" {
		msgKey = "Message"
	}
	body[msgKey] = e.msg
	for k, v := range e.extra {
		body[k] = v
	}
	sim.WriteJSON(w, e.status, body)
}

// parseAuth splits "AWS4-HMAC-SHA256 Credential=AK/DATE/REGION/SERVICE/aws4_request, SignedHeaders=a;b, Signature=hex".
func parseAuth(auth string) (ak, date, region, service string, signed []string, sig string, ok bool) {
	rest, found := strings.CutPrefix(auth, sigV4+" ")
	if !found {
		return
	}
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			f := strings.Split(v, "/")
			if len(f) != 5 || f[4] != "aws4_request" {
				return
			}
			ak, date, region, service = f[0], f[1], f[2], f[3]
		case "SignedHeaders":
			signed = strings.Split(v, ";")
		case "Signature":
			sig = v
		}
	}
	ok = ak != "" && len(signed) > 0 && sig != ""
	return
}

func invalidSignature() *apiError {
	return lerr(http.StatusForbidden, "InvalidSignatureException",
		"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
}

// authenticate verifies SigV4 as the front end does: known key, session
// token, scope, clock skew, and the signature recomputed with the SDK's
// own signer over the client's signed headers. It returns the credential
// and the signing region.
func (l *lambdaAPI) authenticate(r *http.Request, body []byte) (sim.Credential, string, *apiError) {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return sim.Credential{}, "", lerr(http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token")
	}
	ak, date, region, service, signed, sig, ok := parseAuth(auth)
	if !ok {
		return sim.Credential{}, "", lerr(http.StatusBadRequest, "IncompleteSignatureException",
			"Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters. Authorization=%s", sigV4)
	}
	cred, found := l.env.Credential(CredentialProvider, ak)
	if !found {
		return cred, "", lerr(http.StatusForbidden, "UnrecognizedClientException", "The security token included in the request is invalid.")
	}
	token := r.Header.Get("X-Amz-Security-Token")
	if cred.SecurityToken != "" && token != cred.SecurityToken || cred.SecurityToken == "" && token != "" {
		return cred, "", lerr(http.StatusForbidden, "UnrecognizedClientException", "The security token included in the request is invalid.")
	}
	if cred.Expired {
		return cred, "", lerr(http.StatusForbidden, "ExpiredTokenException", "The security token included in the request is expired")
	}
	if service != SigningName {
		return cred, "", lerr(http.StatusForbidden, "InvalidSignatureException", "Credential should be scoped to correct service: '%s'. ", SigningName)
	}
	if cred.Region != "" && region != cred.Region {
		return cred, "", lerr(http.StatusForbidden, "InvalidSignatureException", "Credential should be scoped to a valid region. ")
	}
	ds := r.Header.Get("X-Amz-Date")
	t, err := time.Parse("20060102T150405Z", ds)
	if err != nil || !strings.HasPrefix(ds, date) {
		return cred, "", lerr(http.StatusBadRequest, "IncompleteSignatureException", "Date must be in ISO-8601 'basic format'. Got '%s'.", ds)
	}
	now := l.env.Now().UTC()
	if d := now.Sub(t); d > MaxSkew || d < -MaxSkew {
		return cred, "", lerr(http.StatusForbidden, "InvalidSignatureException",
			"Signature expired: %s is now earlier than %s (%s - 5 min.)", ds,
			now.Add(-MaxSkew).Format("20060102T150405Z"), now.Format("20060102T150405Z"))
	}
	// Rebuild the request from the client's signed headers only, and sign
	// it again with the same signer.
	re, err := http.NewRequestWithContext(context.Background(), r.Method, "http://"+r.Host+r.RequestURI, nil)
	if err != nil {
		return cred, "", invalidSignature()
	}
	hasHost := false
	for _, name := range signed {
		switch name {
		case "host":
			hasHost = true
		case "content-length":
			re.ContentLength = int64(len(body))
		case "x-amz-date", "x-amz-security-token":
		default:
			vs := r.Header.Values(name)
			if len(vs) == 0 {
				return cred, "", invalidSignature()
			}
			re.Header[http.CanonicalHeaderKey(name)] = vs
		}
	}
	if !hasHost {
		return cred, "", invalidSignature()
	}
	creds := aws.Credentials{AccessKeyID: ak, SecretAccessKey: cred.Secret, SessionToken: token}
	// A fresh signer: the SDK's derived-key cache is keyed by access key id
	// only, and must never stand in for checking the secret.
	if err := v4.NewSigner().SignHTTP(r.Context(), creds, re, PayloadHash(body), service, region, t); err != nil {
		return cred, "", invalidSignature()
	}
	_, _, _, _, _, want, _ := parseAuth(re.Header.Get("Authorization"))
	if !hmac.Equal([]byte(want), []byte(sig)) {
		return cred, "", invalidSignature()
	}
	return cred, region, nil
}

func tooLarge(limit int) *apiError {
	return lerr(http.StatusRequestEntityTooLarge, "RequestTooLargeException",
		"Request must be smaller than %d bytes for the InvokeFunction operation", limit)
}

func validation(value, member, constraint string) *apiError {
	return lerr(http.StatusBadRequest, "ValidationException",
		"1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, member, constraint)
}

func (l *lambdaAPI) invoke(w http.ResponseWriter, r *http.Request) {
	reqID := l.requestID()
	body, err := sim.ReadBody(r, SyncPayloadLimit, 2*SyncPayloadLimit)
	if errors.Is(err, sim.ErrBodyTooLarge) {
		l.writeError(w, reqID, tooLarge(SyncPayloadLimit))
		return
	}
	if err != nil {
		l.writeError(w, reqID, lerr(http.StatusBadRequest, "InvalidRequestContentException", "Could not read the request body: %v", err))
		return
	}
	cred, region, e := l.authenticate(r, body)
	if e != nil {
		l.writeError(w, reqID, e)
		return
	}
	account := cred.AccountID
	if account == "" {
		account = DefaultAccount
	}
	invType := r.Header.Get("X-Amz-Invocation-Type")
	if invType == "" {
		invType = "RequestResponse"
	}
	logType := r.Header.Get("X-Amz-Log-Type")
	name := r.PathValue("fn")
	qualifier := r.URL.Query().Get("Qualifier")
	switch {
	case invType != "RequestResponse" && invType != "Event" && invType != "DryRun":
		e = validation(invType, "invocationType", "Member must satisfy enum value set: [Event, RequestResponse, DryRun]")
	case logType != "" && logType != "None" && logType != "Tail":
		e = validation(logType, "logType", "Member must satisfy enum value set: [None, Tail]")
	case !ValidFunctionName(name):
		e = validation(name, "functionName", "Member must satisfy regular expression pattern: "+functionNameRE.String())
	case r.URL.Query().Has("Qualifier") && !ValidQualifier(qualifier):
		e = validation(qualifier, "qualifier", "Member must satisfy regular expression pattern: "+qualifierRE.String())
	case invType == "Event" && len(body) > AsyncPayloadLimit:
		e = tooLarge(AsyncPayloadLimit)
	}
	if e != nil {
		l.writeError(w, reqID, e)
		return
	}
	ref, _ := ParseFunctionName(name)
	if ref.Qualifier != "" {
		if qualifier != "" && qualifier != ref.Qualifier {
			l.writeError(w, reqID, lerr(http.StatusBadRequest, "InvalidParameterValueException",
				"The derived qualifier from the function name does not match the specified qualifier."))
			return
		}
		qualifier = ref.Qualifier
	}
	arn := "arn:aws:lambda:" + region + ":" + account + ":function:" + ref.Name
	if qualifier != "" {
		arn += ":" + qualifier
	}
	fn, ok := l.env.Function(ref.Name)
	if !ok || ref.Account != "" && ref.Account != account || ref.Region != "" && ref.Region != region {
		l.writeError(w, reqID, lerr(http.StatusNotFound, "ResourceNotFoundException", "Function not found: %s", arn))
		return
	}
	simQ := qualifier
	if simQ == "$LATEST" {
		simQ = sim.Latest
	}
	version, err := fn.Resolve(simQ)
	if err != nil {
		// Lambda answers an unknown version or alias like an unknown
		// function, naming the qualified ARN.
		l.writeError(w, reqID, lerr(http.StatusNotFound, "ResourceNotFoundException", "Function not found: %s", arn))
		return
	}
	if version == sim.Latest {
		version = "$LATEST"
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
		e := lerr(http.StatusTooManyRequests, "TooManyRequestsException", "Rate Exceeded.")
		e.extra = map[string]string{"Reason": "ReservedFunctionConcurrentInvocationLimitExceeded"}
		if d.Status == http.StatusServiceUnavailable {
			e = lerr(http.StatusServiceUnavailable, "ServiceException", "The service is temporarily unavailable (injected by the emulator).")
		}
		if d.RetryAfter > 0 {
			if e.extra == nil {
				e.extra = map[string]string{}
			}
			e.extra["retryAfterSeconds"] = sim.RetryAfterSeconds(d.RetryAfter)
		}
		e.retryAfter = d.RetryAfter
		l.writeError(w, reqID, e)
		return
	case d.Error:
		l.writeError(w, reqID, lerr(http.StatusInternalServerError, "ServiceException", "An internal error occurred (injected by the emulator)."))
		return
	}

	h := w.Header()
	h.Set("X-Amzn-Requestid", reqID)
	switch invType {
	case "DryRun":
		w.WriteHeader(http.StatusNoContent)
		return
	case "Event":
		if _, err := l.env.Submit(fn, "", qualifier, version, body, reqID); err != nil {
			l.writeError(w, reqID, lerr(http.StatusInternalServerError, "ServiceException", "could not queue the event: %v", err))
			return
		}
		h.Set("Content-Length", "0")
		w.WriteHeader(http.StatusAccepted)
		return
	}
	out, err := fn.Invoke(r.Context(), sim.Call{Payload: body, Version: version, RequestID: reqID})
	if err != nil {
		return // the client went away
	}
	if len(out.Body) > SyncPayloadLimit {
		out.Failed = true
		out.Body, _ = json.Marshal(map[string]string{
			"errorMessage": fmt.Sprintf("Response payload size (%d bytes) exceeded maximum allowed payload size (%d bytes).", len(out.Body), SyncPayloadLimit),
			"errorType":    "Function.ResponseSizeTooLarge",
		})
	}
	h.Set("Content-Type", "application/json")
	h.Set("X-Amz-Executed-Version", version)
	if out.Failed {
		h.Set("X-Amz-Function-Error", "Unhandled")
	}
	if logType == "Tail" {
		h.Set("X-Amz-Log-Result", base64.StdEncoding.EncodeToString([]byte(logTail(reqID, version, out))))
	}
	d.WriteBody(w, http.StatusOK, out.Body)
}

// logTail renders the function's log as Lambda's log stream does, with the
// START, END and REPORT lines, keeping the last 4 KB.
func logTail(reqID, version string, out sim.Outcome) string {
	ms := float64(out.Duration.Microseconds()) / 1000
	log := fmt.Sprintf("START RequestId: %s Version: %s\n%sEND RequestId: %s\n"+
		"REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: 128 MB\tMax Memory Used: %.0f MB\t\n",
		reqID, version, out.Log, reqID, reqID, ms, max(1, int(math.Ceil(ms))), out.MemoryMB)
	return sim.Tail(log, logTailBytes)
}
