package aws

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
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
	// service is the SigV4 service name requests must be scoped to; ""
	// means Lambda's. The emulated STS verifies with this code too.
	service string
}

// apiError is an answer of the Lambda front end or service.
type apiError struct {
	status     int
	code, msg  string
	extra      map[string]string
	retryAfter time.Duration
	verdict    sim.Verdict // for the access log; "" derives it from status
}

func lerr(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}

// is sets the error's verdict.
func (e *apiError) is(v sim.Verdict) *apiError {
	e.verdict = v
	return e
}

func (l *lambdaAPI) requestID() string { return l.env.NewUUID("8000") }

// writeError answers in Lambda's REST-JSON error format: the code in
// X-Amzn-ErrorType, {"Type","message"} (capital Message for
// ResourceNotFoundException and ServiceException, as the model has it).
func (l *lambdaAPI) writeError(w http.ResponseWriter, reqID string, e *apiError) {
	sim.SetOutcome(w, e.verdict, e.code)
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
		"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.").is(sim.VerdictSignatureMismatch)
}

// sigV4Auth is a request's SigV4 authorization, checked as far as the
// headers allow.
type sigV4Auth struct {
	ak, region, service string
	signed              []string
	sig                 string
	t                   time.Time
	cred                sim.Credential
	token               string
}

// authenticate verifies SigV4 as the front end does, from the headers
// alone: known key, session token, scope and clock skew. The signature
// itself is checked by verify.
func (l *lambdaAPI) authenticate(r *http.Request) (*sigV4Auth, *apiError) {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return nil, lerr(http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token").is(sim.VerdictUnauthenticated)
	}
	ak, date, region, service, signed, sig, ok := parseAuth(auth)
	if !ok {
		return nil, lerr(http.StatusBadRequest, "IncompleteSignatureException",
			"Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters. Authorization=%s", sigV4).is(sim.VerdictUnauthenticated)
	}
	cred, found := l.env.Credential(CredentialProvider, ak)
	if !found {
		return nil, lerr(http.StatusForbidden, "UnrecognizedClientException", "The security token included in the request is invalid.").is(sim.VerdictUnknownKey)
	}
	token := r.Header.Get("X-Amz-Security-Token")
	if cred.SecurityToken != "" && token != cred.SecurityToken || cred.SecurityToken == "" && token != "" {
		return nil, lerr(http.StatusForbidden, "UnrecognizedClientException", "The security token included in the request is invalid.").is(sim.VerdictBadToken)
	}
	if cred.Expired {
		return nil, lerr(http.StatusForbidden, "ExpiredTokenException", "The security token included in the request is expired").is(sim.VerdictBadToken)
	}
	want := l.service
	if want == "" {
		want = SigningName
	}
	if service != want {
		return nil, lerr(http.StatusForbidden, "InvalidSignatureException", "Credential should be scoped to correct service: '%s'. ", want).is(sim.VerdictSignatureMismatch)
	}
	if cred.Region != "" && region != cred.Region {
		return nil, lerr(http.StatusForbidden, "InvalidSignatureException", "Credential should be scoped to a valid region. ").is(sim.VerdictSignatureMismatch)
	}
	ds := r.Header.Get("X-Amz-Date")
	t, err := time.Parse("20060102T150405Z", ds)
	if err != nil || !strings.HasPrefix(ds, date) {
		return nil, lerr(http.StatusBadRequest, "IncompleteSignatureException", "Date must be in ISO-8601 'basic format'. Got '%s'.", ds)
	}
	now := l.env.Now().UTC()
	if d := now.Sub(t); d > MaxSkew || d < -MaxSkew {
		return nil, lerr(http.StatusForbidden, "InvalidSignatureException",
			"Signature expired: %s is now earlier than %s (%s - 5 min.)", ds,
			now.Add(-MaxSkew).Format("20060102T150405Z"), now.Format("20060102T150405Z")).is(sim.VerdictSkew)
	}
	return &sigV4Auth{ak: ak, region: region, service: service, signed: signed, sig: sig, t: t, cred: cred, token: token}, nil
}

// verify recomputes the signature with the SDK's own signer over the
// client's signed headers and the given payload hash.
func (l *lambdaAPI) verify(r *http.Request, a *sigV4Auth, payloadHash string) *apiError {
	// Rebuild the request from the client's signed headers only, and sign
	// it again with the same signer.
	re, err := http.NewRequestWithContext(context.Background(), r.Method, "http://"+r.Host+sim.RequestTarget(r), nil)
	if err != nil {
		return invalidSignature()
	}
	hasHost := false
	for _, name := range a.signed {
		switch name {
		case "host":
			hasHost = true
		case "content-length":
			re.ContentLength = max(r.ContentLength, 0)
		case "x-amz-date", "x-amz-security-token":
		default:
			vs := r.Header.Values(name)
			if len(vs) == 0 {
				return invalidSignature()
			}
			re.Header[http.CanonicalHeaderKey(name)] = vs
		}
	}
	if !hasHost {
		return invalidSignature()
	}
	creds := aws.Credentials{AccessKeyID: a.ak, SecretAccessKey: a.cred.Secret, SessionToken: a.token}
	// A fresh signer: the SDK's derived-key cache is keyed by access key id
	// only, and must never stand in for checking the secret.
	if err := v4.NewSigner().SignHTTP(r.Context(), creds, re, payloadHash, a.service, a.region, a.t); err != nil {
		return invalidSignature()
	}
	_, _, _, _, _, want, _ := parseAuth(re.Header.Get("Authorization"))
	if !hmac.Equal([]byte(want), []byte(a.sig)) {
		return invalidSignature()
	}
	return nil
}

// authenticateAndRead authenticates a request and reads its body. With
// X-Amz-Content-Sha256 the signature covers the declared hash and is
// checked before the body is read, the body after; without it (the Lambda
// SDK sends none) the signature covers the body's own hash, so the body —
// at most limit bytes — is read once the key, token, scope and date pass,
// and the signature checked after. SigV4 has no nonce: a replay within the
// skew window passes, as it does at AWS.
func (l *lambdaAPI) authenticateAndRead(r *http.Request, limit int) (*sigV4Auth, []byte, *apiError) {
	a, e := l.authenticate(r)
	if e != nil {
		return nil, nil, e
	}
	declared := r.Header.Get("X-Amz-Content-Sha256")
	if declared != "" {
		if e := l.verify(r, a, declared); e != nil {
			return nil, nil, e
		}
	}
	h := sha256.New()
	body, err := sim.ReadBody(r, int64(limit), sim.DrainLimit, h)
	if errors.Is(err, sim.ErrBodyTooLarge) {
		return nil, nil, tooLarge(limit)
	}
	if err != nil {
		return nil, nil, lerr(http.StatusBadRequest, "InvalidRequestContentException", "Could not read the request body: %v", err).is(sim.VerdictReadError)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	switch declared {
	case "":
		if e := l.verify(r, a, sum); e != nil {
			return nil, nil, e
		}
	case "UNSIGNED-PAYLOAD", sum:
		// UNSIGNED-PAYLOAD is SigV4's unsigned body; whether Lambda
		// accepts it is not documented [?]: accepted.
	default:
		return nil, nil, lerr(http.StatusBadRequest, "XAmzContentSHA256Mismatch",
			"The provided 'x-amz-content-sha256' header does not match what was computed.").is(sim.VerdictBodyMismatch)
	}
	return a, body, nil
}

func tooLarge(limit int) *apiError {
	return lerr(http.StatusRequestEntityTooLarge, "RequestTooLargeException",
		"Request must be smaller than %d bytes for the InvokeFunction operation", limit).is(sim.VerdictTooLarge)
}

func validation(value, member, constraint string) *apiError {
	return lerr(http.StatusBadRequest, "ValidationException",
		"1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, member, constraint)
}

func (l *lambdaAPI) invoke(w http.ResponseWriter, r *http.Request) {
	reqID := l.requestID()
	sim.SetFunction(w, r.PathValue("fn"))
	limit := SyncPayloadLimit
	if r.Header.Get("X-Amz-Invocation-Type") == "Event" {
		limit = AsyncPayloadLimit
	}
	auth, body, e := l.authenticateAndRead(r, limit)
	if e != nil {
		l.writeError(w, reqID, e)
		return
	}
	cred, region := auth.cred, auth.region
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
		e := lerr(http.StatusTooManyRequests, "TooManyRequestsException", "Rate Exceeded.").is(sim.VerdictFault)
		e.extra = map[string]string{"Reason": "ReservedFunctionConcurrentInvocationLimitExceeded"}
		if d.Status == http.StatusServiceUnavailable {
			e = lerr(http.StatusServiceUnavailable, "ServiceException", "The service is temporarily unavailable (injected by the emulator).").is(sim.VerdictFault)
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
		l.writeError(w, reqID, lerr(http.StatusInternalServerError, "ServiceException", "An internal error occurred (injected by the emulator).").is(sim.VerdictFault))
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
	// A cold start adds Init Duration to the REPORT line, as Lambda does.
	initDuration := ""
	if out.ColdStart {
		initDuration = "Init Duration: 0.50 ms\t"
	}
	log := fmt.Sprintf("START RequestId: %s Version: %s\n%sEND RequestId: %s\n"+
		"REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: 128 MB\tMax Memory Used: %.0f MB\t%s\n",
		reqID, version, out.Log, reqID, reqID, ms, max(1, int(math.Ceil(ms))), out.MemoryMB, initDuration)
	return sim.Tail(log, logTailBytes)
}

// Binding implements sim.Bound: it aims the aws_lambda driver at the
// emulator.
func (LambdaEmulator) Binding() sim.Binding {
	return sim.Binding{
		Credential: CredentialProvider, Endpoint: "endpoint",
		AccessKeyID: "access_key", Secret: "secret_key", SecurityToken: "session_token",
		Region:    "region",
		Endpoints: map[string]sim.EndpointPath{"sts_endpoint": {Path: STSPath}},
	}
}
