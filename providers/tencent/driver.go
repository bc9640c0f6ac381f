// Package tencent implements the tencent_cloudbase driver (Tencent
// CloudBase HTTP API v1, invoking cloud functions with a bearer token) and
// the emulated API for fnprobe's emulator.
//
// Wire facts and their sources are collected in shared/PROTOCOLS.md §4.
package tencent

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/providers/wire"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"
)

// Type is the provider type name.
const Type = "tencent_cloudbase"

// EnvAccessToken is the environment variable the token falls back to.
const EnvAccessToken = "TCB_ACCESS_TOKEN"

const userAgent = "fnprobe (tencent_cloudbase)"

// nameRE is the documented function name rule: 2-60 characters, a letter
// first, letters, digits, '_' and '-', not ending with '_' or '-'.
var nameRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_-]{0,58}[a-zA-Z0-9]$`)

// envIDRE is a loose check of an environment id, which becomes a host name
// label.
var envIDRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9-]{0,62}$`)

// ValidName reports whether s is a valid cloud function name.
func ValidName(s string) bool { return nameRE.MatchString(s) }

// functionErrors are the error codes that mean the function itself failed
// (as opposed to the gateway refusing the call).
var functionErrors = map[string]bool{
	"FUNCTION_INVOCATION_FAILED":     true,
	"FUNCTION_TIME_LIMIT_EXCEEDED":   true,
	"FUNCTION_MEMORY_LIMIT_EXCEEDED": true,
}

// throttleCodes are answered when the gateway or the function is over a
// rate, quota or concurrency limit.
var throttleCodes = map[string]bool{
	"EXCEED_RATELIMIT":                true,
	"EXCEED_CONCURRENT_REQUEST_LIMIT": true,
	"FUNCTION_EXCEED_RESOURCE_LIMIT":  true,
	"SYS_ERR":                         true,
	"SERVER_TIMEOUT":                  true,
}

// Driver is the tencent_cloudbase driver. It is safe for concurrent use.
type Driver struct {
	client wire.Client
	// Getenv reads TCB_ACCESS_TOKEN and TCB_ACCESS_TOKEN_FILE; nil means
	// os.Getenv.
	Getenv func(string) string
}

// New returns the tencent_cloudbase driver.
func New() *Driver { return &Driver{client: wire.NewClient(wire.DefaultPool)} }

// Close releases idle connections (providers.Closer).
func (d *Driver) Close() error { return d.client.Close() }

// Schema implements providers.Driver.
func (d *Driver) Schema() providers.Schema {
	str := func(name string, required bool) hcldec.Spec {
		return &hcldec.AttrSpec{Name: name, Type: cty.String, Required: required}
	}
	return providers.Schema{
		Provider: hcldec.ObjectSpec{
			"env_id":            str("env_id", false),
			"access_token":      str("access_token", false),
			"access_token_file": str("access_token_file", false),
			"endpoint":          str("endpoint", false),
		},
		Function: hcldec.ObjectSpec{
			"name":    str("name", true),
			"version": str("version", false),
			"web":     &hcldec.AttrSpec{Name: "web", Type: cty.Bool},
		},
		Sensitive: []string{"access_token"},
		SecretEnv: []string{"TCB_ACCESS_TOKEN"},
		Types:     []string{providers.TypeSync},
	}
}

// ValidateFunction implements providers.FunctionValidator.
func (d *Driver) ValidateFunction(provider, function cty.Value) map[string]string {
	problems := map[string]string{}
	if n := providers.String(function, "name"); !ValidName(n) {
		problems["name"] = fmt.Sprintf("function name %q must be 2-60 characters, start with a letter, contain only letters, digits, '_' and '-', and end with a letter or digit", n)
	}
	env, endpoint := providers.String(provider, "env_id"), providers.String(provider, "endpoint")
	switch {
	case env == "" && endpoint == "":
		problems["provider"] = "tencent_cloudbase provider: env_id is required unless endpoint is set"
	case env != "" && !envIDRE.MatchString(env):
		problems["provider"] = fmt.Sprintf("tencent_cloudbase provider: env_id %q is not a valid environment id", env)
	}
	if len(problems) == 0 {
		return nil
	}
	return problems
}

type config struct{ endpoint, token string }

func (d *Driver) config(ctx context.Context, req *providers.Request) (config, error) {
	p := req.Provider
	if providers.String(p, "endpoint") == "" && providers.String(p, "env_id") == "" {
		return config{}, providers.Permanent(fmt.Errorf("%s: env_id is required unless endpoint is set", Type), providers.ConfigHint)
	}
	tok, err := d.token(ctx, req)
	if err != nil {
		return config{}, err
	}
	return config{endpoint: endpoint(p), token: tok}, nil
}

// endpoint is the provider's endpoint, else the CloudBase gateway of its
// environment ("" when neither is set).
func endpoint(p cty.Value) string {
	if e := providers.String(p, "endpoint"); e != "" {
		return wire.Endpoint(e)
	}
	if env := providers.String(p, "env_id"); env != "" {
		return wire.Endpoint("https://" + env + ".api.tcloudbasegateway.com")
	}
	return ""
}

// Describe implements providers.Describer: the endpoint and the version
// (CloudBase has no regions in its API: the environment is in the host).
func (d *Driver) Describe(req *providers.Request) providers.Target {
	return providers.Target{Endpoint: endpoint(req.Provider), Qualifier: providers.String(req.Function, "version")}
}

// Invoke implements providers.Driver.
func (d *Driver) Invoke(ctx context.Context, req *providers.Request) (*providers.Result, error) {
	if req.Type != providers.TypeSync && req.Type != "" {
		return nil, &providers.TypeError{Provider: Type, Type: req.Type}
	}
	cfg, err := d.config(ctx, req)
	if err != nil {
		return nil, err
	}
	name := providers.String(req.Function, "name")
	u := cfg.endpoint + "/v1/functions/" + url.PathEscape(name)
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(req.Payload))
	if err != nil {
		return nil, fmt.Errorf("%s: building request: %w", Type, err)
	}
	h := hreq.Header
	h.Set("User-Agent", userAgent)
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json")
	if v := providers.String(req.Function, "version"); v != "" {
		h.Set("X-Qualifier", v)
	}
	if providers.Bool(req.Function, "web") {
		h.Set("X-Tcb-Webfn", "true")
	}
	for k, v := range req.Headers {
		h.Set(k, v)
	}
	h.Set("Authorization", "Bearer "+cfg.token)
	resp, err := d.client.Do(hreq)
	if err != nil {
		return nil, wire.Classify(fmt.Errorf("%s: POST %s: %w", Type, hreq.URL.Path, err))
	}
	defer resp.Body.Close()
	body, release, err := wire.ReadBody(ctx, resp.Body, resp.ContentLength, wire.CloudLimit, req.Budget)
	if err != nil {
		return nil, fmt.Errorf("%s: reading the answer (HTTP %d): %w", Type, resp.StatusCode, err)
	}
	res := MapResponse(resp, body)
	res.Release = release
	return res, nil
}

// UnknownErrorCode is the error_code of an error answer whose body carries
// no code, as the AWS SDKs name it.
const UnknownErrorCode = "UnknownError"

// apiError is the gateway's error body.
type apiError struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"requestId"`
}

// MapResponse maps a CloudBase answer onto a Result: the body verbatim,
// X-Request-Id, and the {code, message, requestId} error body.
func MapResponse(resp *http.Response, body []byte) *providers.Result {
	res := &providers.Result{Status: resp.StatusCode, Body: body, Headers: wire.Headers(resp.Header)}
	res.RequestID = resp.Header.Get("X-Request-Id")
	if resp.StatusCode < 300 {
		return res
	}
	var e apiError
	if json.Unmarshal(body, &e) == nil && e.Code != "" {
		res.ErrorCode, res.ErrorMessage = e.Code, e.Message
		if res.RequestID == "" {
			res.RequestID = e.RequestID
		}
	} else {
		res.ErrorMessage = wire.Excerpt(body)
	}
	if res.ErrorCode == "" {
		// Not a CloudBase error body (a gateway's or proxy's page, another
		// service): still an API error, never a function's answer.
		res.ErrorCode = UnknownErrorCode
	}
	if functionErrors[res.ErrorCode] {
		// The function ran and failed: an answer, not a transient fault.
		res.Error, res.ErrorType = true, res.ErrorCode
		return res
	}
	res.Transient = resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 || throttleCodes[res.ErrorCode]
	if res.Transient {
		res.RetryAfter = wire.RetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return res
}
