// Package aws implements the aws_lambda driver (AWS Lambda Invoke, API
// 2015-03-31), signed with the AWS SDK's SigV4 signer, and the emulated
// Lambda invoke API for fnprobe's emulator.
//
// Wire facts and their sources are collected in shared/PROTOCOLS.md §5.
package aws

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/providers/wire"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"
)

// Type is the provider type name.
const Type = "aws_lambda"

// APIVersion is the Lambda API version in the invoke path.
const APIVersion = "2015-03-31"

// SigningName is the SigV4 service name of Lambda.
const SigningName = "lambda"

// Environment variables the provider falls back to (the AWS standard ones).
const (
	EnvAccessKeyID     = "AWS_ACCESS_KEY_ID"
	EnvSecretAccessKey = "AWS_SECRET_ACCESS_KEY"
	EnvSessionToken    = "AWS_SESSION_TOKEN"
	EnvRegion          = "AWS_REGION"
	EnvDefaultRegion   = "AWS_DEFAULT_REGION"
)

const userAgent = "fnprobe (aws_lambda)"

// Function name and qualifier rules (botocore service-2.json, Invoke).
var (
	functionNameRE = regexp.MustCompile(`^(arn:(aws[a-zA-Z-]*)?:lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:|(((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?))(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?$`)
	qualifierRE    = regexp.MustCompile(`^(\$(LATEST(\.PUBLISHED)?)|[a-zA-Z0-9-_$]+)$`)
)

// ValidFunctionName reports whether s is a valid Invoke FunctionName: a
// name, name:qualifier, a partial ARN or a full ARN, 1-256 characters.
func ValidFunctionName(s string) bool {
	return len(s) >= 1 && len(s) <= 256 && functionNameRE.MatchString(s)
}

// ValidQualifier reports whether s is a valid Invoke Qualifier.
func ValidQualifier(s string) bool {
	return len(s) >= 1 && len(s) <= 128 && qualifierRE.MatchString(s)
}

// FunctionRef is a parsed FunctionName.
type FunctionRef struct {
	Region, Account, Name, Qualifier string
}

// ParseFunctionName splits a valid FunctionName into its parts; the parts
// it does not carry are "".
func ParseFunctionName(s string) (FunctionRef, bool) {
	m := functionNameRE.FindStringSubmatch(s)
	if m == nil || len(s) > 256 {
		return FunctionRef{}, false
	}
	ref := FunctionRef{Name: m[17]}
	if m[18] != "" {
		ref.Qualifier = m[18][1:]
	}
	// The prefix (group 1) is "arn:PARTITION:lambda:REGION:ACCOUNT:" or
	// "[REGION:][ACCOUNT:]".
	prefix := strings.TrimSuffix(m[1], ":")
	parts := strings.Split(prefix, ":")
	if strings.HasPrefix(prefix, "arn:") {
		ref.Region, ref.Account = parts[3], parts[4]
		return ref, true
	}
	for _, p := range parts {
		switch {
		case p == "":
		case len(p) == 12 && strings.Trim(p, "0123456789") == "":
			ref.Account = p
		default:
			ref.Region = p
		}
	}
	return ref, true
}

// Driver is the aws_lambda driver. It is safe for concurrent use.
type Driver struct {
	client wire.Client
	// chains holds each provider configuration's credential chain.
	chains chains
	// regions holds the region of each shared config profile.
	regions regions
}

// New returns the aws_lambda driver.
func New() *Driver { return &Driver{client: wire.NewClient(wire.DefaultPool)} }

// Close releases idle connections (providers.Closer).
func (d *Driver) Close() error { return d.client.Close() }

// Schema implements providers.Driver.
func (d *Driver) Schema() providers.Schema {
	attr := func(name string, required bool) hcldec.Spec {
		return &hcldec.AttrSpec{Name: name, Type: cty.String, Required: required}
	}
	return providers.Schema{
		Provider: hcldec.ObjectSpec{
			"region":        attr("region", false),
			"access_key":    attr("access_key", false),
			"secret_key":    attr("secret_key", false),
			"session_token": attr("session_token", false),
			"endpoint":      attr("endpoint", false),
			"profile":       attr("profile", false),
			"sts_endpoint":  attr("sts_endpoint", false),
			"assume_role": &hcldec.BlockSpec{TypeName: "assume_role", Nested: hcldec.ObjectSpec{
				"role_arn":     attr("role_arn", true),
				"session_name": attr("session_name", false),
				"external_id":  attr("external_id", false),
			}},
		},
		Function: hcldec.ObjectSpec{
			"name":      attr("name", true),
			"qualifier": attr("qualifier", false),
		},
		Sensitive: []string{"access_key", "secret_key", "session_token"},
		SecretEnv: []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN"},
		Types:     []string{providers.TypeSync, providers.TypeAsync, providers.TypeDryRun},
	}
}

// region is the signing region: the provider's, the environment's, or the
// one in a full ARN. The credential chain may find one more, in the
// profile (profileRegion).
func (d *Driver) region(provider cty.Value, name string) string {
	if r := providers.String(provider, "region"); r != "" {
		return r
	}
	if r := os.Getenv(EnvRegion); r != "" {
		return r
	}
	if r := os.Getenv(EnvDefaultRegion); r != "" {
		return r
	}
	if ref, ok := ParseFunctionName(name); ok {
		return ref.Region
	}
	return ""
}

// profileRegion is the region of the shared config profile the SDK would
// read for provider (its profile, AWS_PROFILE or "default"), "" when there
// is none. It reads the files only, and only when they changed (their size
// or mtime) since the profile's region was last read.
func (d *Driver) profileRegion(ctx context.Context, provider cty.Value) string {
	env, err := config.NewEnvConfig()
	if err != nil {
		return ""
	}
	name := providers.String(provider, "profile")
	if name == "" {
		name = env.SharedConfigProfile
	}
	if name == "" {
		name = "default"
	}
	cfgFiles, credFiles := sharedFiles(env)
	files := append(slices.Clone(cfgFiles), credFiles...)
	k := regionKey{profile: name, files: strings.Join(files, "\x00")}
	stamp := filesStamp(files)
	if r, ok := d.regions.get(k, stamp); ok {
		return r
	}
	sc, err := loadProfile(ctx, name, env)
	d.regions.loaded()
	if err != nil {
		// Not kept: a long-lived driver (watch) sees a fixed file later.
		return ""
	}
	d.regions.keep(k, regionEntry{stamp: stamp, region: sc.Region})
	return sc.Region
}

// regionKey identifies a profile's region: the profile and the shared
// files it is read from.
type regionKey struct {
	profile string
	files   string // NUL-separated
}

// regionEntry is a profile's region, read when the files had stamp.
type regionEntry struct {
	stamp, region string
}

// regions caches each profile's region, so that an invocation whose
// region comes from the profile (static keys: no chain holds it) does not
// read and parse the shared files again.
type regions struct {
	mu    sync.Mutex
	m     map[regionKey]regionEntry
	loads int // reads of the shared files (for tests)
}

func (rs *regions) get(k regionKey, stamp string) (string, bool) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	e, ok := rs.m[k]
	return e.region, ok && e.stamp == stamp
}

// keep remembers k's region; like chains, the cache is dropped rather
// than grown past maxChains.
func (rs *regions) keep(k regionKey, e regionEntry) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if _, ok := rs.m[k]; rs.m == nil || !ok && len(rs.m) >= maxChains {
		rs.m = make(map[regionKey]regionEntry)
	}
	rs.m[k] = e
}

func (rs *regions) loaded() {
	rs.mu.Lock()
	rs.loads++
	rs.mu.Unlock()
}

// filesStamp changes when one of files does: its size and mtime, or
// whether it can be found.
func filesStamp(files []string) string {
	var b strings.Builder
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			b.WriteString("-;")
			continue
		}
		b.WriteString(providers.FileStamp(st))
		b.WriteByte(';')
	}
	return b.String()
}

// ValidateFunction implements providers.FunctionValidator.
func (d *Driver) ValidateFunction(provider, function cty.Value) map[string]string {
	problems := map[string]string{}
	name := providers.String(function, "name")
	if !ValidFunctionName(name) {
		problems["name"] = fmt.Sprintf("function name %q must be a function name (letters, digits, '-', '_', '.', at most 64), "+
			"name:qualifier, a partial ARN (123456789012:function:NAME) or a full ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME)", name)
	}
	q := providers.String(function, "qualifier")
	if q != "" && !ValidQualifier(q) {
		problems["qualifier"] = fmt.Sprintf("qualifier %q must be a version number, an alias name or $LATEST (at most 128 characters)", q)
	}
	if ref, ok := ParseFunctionName(name); ok && q != "" && ref.Qualifier != "" && ref.Qualifier != q {
		problems["qualifier"] = fmt.Sprintf("qualifier %q differs from the qualifier %q in the function name", q, ref.Qualifier)
	}
	if d.region(provider, name) == "" && d.profileRegion(context.Background(), provider) == "" {
		problems["provider"] = "aws_lambda provider: region is required (or " + EnvRegion + ", a region in the shared config profile, or a full ARN as the function name)"
	}
	if len(problems) == 0 {
		return nil
	}
	return problems
}

// endpoint is the provider's endpoint, else Lambda's public endpoint for
// the region.
func endpoint(configured, region string) string {
	switch {
	case configured != "":
		return wire.Endpoint(configured)
	case region == "":
		return ""
	case strings.HasPrefix(region, "cn-"):
		return "https://lambda." + region + ".amazonaws.com.cn"
	default:
		return "https://lambda." + region + ".amazonaws.com"
	}
}

// Describe implements providers.Describer: the endpoint, the signing
// region and the qualifier ($LATEST when none is given).
func (d *Driver) Describe(req *providers.Request) providers.Target {
	name := providers.String(req.Function, "name")
	region := d.region(req.Provider, name)
	if region == "" {
		region = d.profileRegion(context.Background(), req.Provider)
	}
	q := providers.String(req.Function, "qualifier")
	if ref, ok := ParseFunctionName(name); ok && q == "" {
		q = ref.Qualifier
	}
	if q == "" {
		q = "$LATEST"
	}
	return providers.Target{Endpoint: endpoint(providers.String(req.Provider, "endpoint"), region), Region: region, Qualifier: q}
}

// EscapePath percent-encodes a path segment the way the AWS SDK's REST
// binding does: everything but the RFC 3986 unreserved characters, so an
// ARN's colons travel as %3A.
func EscapePath(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// InvocationType maps a fnprobe invocation type onto X-Amz-Invocation-Type.
func InvocationType(typ string) (string, bool) {
	switch typ {
	case providers.TypeSync, "":
		return "RequestResponse", true
	case providers.TypeAsync:
		return "Event", true
	case providers.TypeDryRun:
		return "DryRun", true
	}
	return "", false
}

// PayloadHash is the hex SHA-256 of a request body, as SigV4 signs it.
func PayloadHash(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// Invoke implements providers.Driver.
func (d *Driver) Invoke(ctx context.Context, req *providers.Request) (*providers.Result, error) {
	invType, ok := InvocationType(req.Type)
	if !ok {
		return nil, &providers.TypeError{Provider: Type, Type: req.Type}
	}
	name := providers.String(req.Function, "name")
	qualifier := providers.String(req.Function, "qualifier")
	creds, region, err := d.credentials(ctx, req, d.region(req.Provider, name))
	if err != nil {
		return nil, err
	}
	if region == "" {
		region = d.profileRegion(ctx, req.Provider)
	}
	if region == "" {
		return nil, providers.Permanent(fmt.Errorf("%s: region is required: set region or %s", Type, EnvRegion), providers.ConfigHint)
	}
	u := endpoint(providers.String(req.Provider, "endpoint"), region) + "/" + APIVersion + "/functions/" + EscapePath(name) + "/invocations"
	if qualifier != "" {
		u += "?Qualifier=" + url.QueryEscape(qualifier)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(req.Payload))
	if err != nil {
		return nil, fmt.Errorf("%s: building request: %w", Type, err)
	}
	h := hreq.Header
	h.Set("User-Agent", userAgent)
	h.Set("X-Amz-Invocation-Type", invType)
	if len(req.Payload) > 0 {
		// As the SDK serializes an Invoke payload.
		h.Set("Content-Type", "application/octet-stream")
	}
	if req.Logs && invType == "RequestResponse" {
		h.Set("X-Amz-Log-Type", "Tail")
	}
	for k, v := range req.Headers {
		h.Set(k, v)
	}
	// A signer per call: the SDK signer caches derived keys by access key
	// id alone, so a shared one would keep signing with a previous secret
	// when two provider blocks share an access key id.
	if err := v4.NewSigner().SignHTTP(ctx, creds, hreq, PayloadHash(req.Payload), SigningName, region, time.Now()); err != nil {
		return nil, fmt.Errorf("%s: signing: %w", Type, err)
	}
	resp, err := d.client.Do(hreq)
	if err != nil {
		return nil, wire.Classify(fmt.Errorf("%s: POST %s: %w", Type, hreq.URL.Path, err))
	}
	defer resp.Body.Close()
	body, release, err := wire.ReadBody(ctx, resp.Body, resp.ContentLength, wire.CloudLimit, req.Budget)
	if err != nil {
		return nil, fmt.Errorf("%s: reading the answer (HTTP %d): %w", Type, resp.StatusCode, err)
	}
	res, err := MapResponse(resp, body, invType)
	if err != nil {
		release()
		return nil, err
	}
	res.Release = release
	return res, nil
}

// reportRE reads the REPORT line Lambda writes at the end of a log tail.
var reportRE = regexp.MustCompile(`REPORT RequestId: \S+\s+Duration: ([0-9.]+) ms\s+Billed Duration: ([0-9.]+) ms\s+Memory Size: ([0-9.]+) MB`)

// initRE finds the Init Duration of a REPORT line (a cold start).
var initRE = regexp.MustCompile(`\tInit Duration: [0-9.]+ ms`)

// MapResponse maps a Lambda Invoke answer onto a Result.
func MapResponse(resp *http.Response, body []byte, invType string) (*providers.Result, error) {
	res := &providers.Result{Status: resp.StatusCode, Body: body, Headers: wire.Headers(resp.Header)}
	h := resp.Header
	res.RequestID = h.Get("X-Amzn-Requestid")
	res.Version = h.Get("X-Amz-Executed-Version")
	if fe := h.Get("X-Amz-Function-Error"); fe != "" {
		res.Error, res.ErrorType = true, fe
	}
	log, err := wire.Base64Header(h, "X-Amz-Log-Result")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Type, err)
	}
	res.Log = log
	if m := reportRE.FindStringSubmatch(log); m != nil {
		res.FunctionDurationMs, res.BilledDurationMs, res.MemoryMB = wire.Float(m[1]), wire.Float(m[2]), wire.Float(m[3])
		// The REPORT line of a call that started its execution
		// environment carries Init Duration: a cold start.
		cold := initRE.MatchString(log[strings.LastIndex(log, "REPORT RequestId:"):])
		res.ColdStart = &cold
	}
	if resp.StatusCode < 300 {
		if invType == "Event" {
			res.AsyncID = res.RequestID
		}
		return res, nil
	}
	res.ErrorCode, res.ErrorMessage = ErrorInfo(h, body)
	res.Transient = resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 || throttleCodes[res.ErrorCode]
	if res.Transient {
		res.RetryAfter = retryAfter(h, body, time.Now())
	}
	return res, nil
}

// throttleCodes are the error codes the SDK's standard retryer treats as
// throttling (aws/retry/standard.go).
var throttleCodes = map[string]bool{
	"Throttling": true, "ThrottlingException": true, "ThrottledException": true, "RequestThrottledException": true,
	"TooManyRequestsException": true, "ProvisionedThroughputExceededException": true, "TransactionInProgressException": true,
	"RequestLimitExceeded": true, "BandwidthLimitExceeded": true, "LimitExceededException": true, "RequestThrottled": true,
	"SlowDown": true, "PriorRequestNotComplete": true, "EC2ThrottledException": true,
	"RequestTimeout": true, "RequestTimeoutException": true,
}

// ErrorInfo reads a REST-JSON error the way the SDK does: the code from
// X-Amzn-ErrorType (before any ':'), else the body's code / __type (after
// any '#'); the message from the body's message, case-insensitively.
func ErrorInfo(h http.Header, body []byte) (code, msg string) {
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	code = h.Get("X-Amzn-Errortype")
	if code == "" {
		code = wire.Field(m, "code", "__type")
	}
	if i := strings.IndexByte(code, ':'); i >= 0 {
		code = code[:i]
	}
	if i := strings.LastIndexByte(code, '#'); i >= 0 {
		code = code[i+1:]
	}
	msg = wire.Field(m, "message", "errorMessage")
	if code == "" && msg == "" {
		msg = wire.Excerpt(body)
	}
	if code == "" {
		code = "UnknownError"
	}
	return code, msg
}

// retryAfter reads Retry-After, or when there is none a
// TooManyRequestsException body's retryAfterSeconds (same syntax).
func retryAfter(h http.Header, body []byte, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		var m struct {
			RetryAfterSeconds string `json:"retryAfterSeconds"`
		}
		if json.Unmarshal(body, &m) == nil {
			v = m.RetryAfterSeconds
		}
	}
	return wire.RetryAfter(v, now)
}
