// Package huawei implements the huaweicloud_functiongraph driver (Huawei
// Cloud FunctionGraph v2), its SDK-HMAC-SHA256 signer, and the emulated
// FunctionGraph invoke API for fnprobe's emulator.
//
// Wire facts and their sources are collected in shared/PROTOCOLS.md §3.
package huawei

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/providers/wire"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"
)

// Type is the provider type name.
const Type = "huaweicloud_functiongraph"

// FunctionStatusHeader is the (fnprobe-made) response header under which
// the function's own status from the v1 envelope is kept, since the result
// object's status is the invoke API's HTTP status.
const FunctionStatusHeader = "x-cff-function-status"

const userAgent = "fnprobe (huaweicloud_functiongraph)"

// Driver is the huaweicloud_functiongraph driver. It is safe for concurrent
// use.
type Driver struct {
	client wire.Client
	creds  credCache
	// PollInterval is the first wait between async-invocation polls
	// (doubling up to 2s); zero means 200ms.
	PollInterval time.Duration
}

// New returns the huaweicloud_functiongraph driver.
func New() *Driver { return &Driver{client: wire.NewClient(wire.DefaultPool)} }

// Close releases idle connections (providers.Closer).
func (d *Driver) Close() error { return d.client.Close() }

// Schema implements providers.Driver.
func (d *Driver) Schema() providers.Schema {
	str := func(name string) hcldec.Spec { return &hcldec.AttrSpec{Name: name, Type: cty.String} }
	p := hcldec.ObjectSpec{}
	for _, n := range []string{"region", "project_id", "auth_token", "access_key", "secret_key", "security_token", "endpoint", "request_version"} {
		p[n] = str(n)
	}
	f := hcldec.ObjectSpec{}
	for _, n := range []string{"urn", "package", "name", "version", "alias"} {
		f[n] = str(n)
	}
	return providers.Schema{
		Provider:  p,
		Function:  f,
		Sensitive: []string{"auth_token", "access_key", "secret_key", "security_token"},
		SecretEnv: []string{EnvSecretKey, EnvSecurityToken},
		Types:     []string{providers.TypeSync, providers.TypeAsync},
		Wait:      true,
	}
}

// projectHint is the project of a provider block as far as it is known
// without resolving credentials: project_id, HUAWEICLOUD_SDK_PROJECT_ID,
// or the project_id of the profile the chain would read.
func (d *Driver) projectHint(p cty.Value) string {
	if s := providers.String(p, "project_id"); s != "" {
		return s
	}
	if s := os.Getenv(EnvProjectID); s != "" {
		return s
	}
	if src, err := d.locate(context.Background(), p); err == nil && src.kind == srcProfile {
		return src.projectID
	}
	return ""
}

// functionURN builds the URN of a function block.
func functionURN(provider, function cty.Value, project string) (URN, error) {
	if s := providers.String(function, "urn"); s != "" {
		return ParseURN(s)
	}
	u := URN{
		Region:  providers.String(provider, "region"),
		Project: project,
		Package: providers.String(function, "package"),
		Name:    providers.String(function, "name"),
		Version: providers.String(function, "version"),
		Alias:   strings.TrimPrefix(providers.String(function, "alias"), "!"),
	}
	if u.Package == "" {
		u.Package = "default"
	}
	return u, u.check(u.String(), false)
}

// ValidateFunction implements providers.FunctionValidator.
func (d *Driver) ValidateFunction(provider, function cty.Value) map[string]string {
	problems := map[string]string{}
	urn, name := providers.String(function, "urn"), providers.String(function, "name")
	switch {
	case urn != "" && (name != "" || providers.String(function, "package") != "" ||
		providers.String(function, "version") != "" || providers.String(function, "alias") != ""):
		problems["urn"] = "set either urn, or package + name + version / alias, not both"
	case urn == "" && name == "":
		problems["name"] = "set urn, or name (with optional package, version or alias)"
	case providers.String(function, "version") != "" && providers.String(function, "alias") != "":
		problems["alias"] = "set version or alias, not both"
	default:
		if _, err := functionURN(provider, function, "p"); err != nil {
			key := "name"
			if urn != "" {
				key = "urn"
			}
			problems[key] = err.Error()
		}
	}
	var pp []string
	if providers.String(provider, "endpoint") == "" && providers.String(provider, "region") == "" {
		pp = append(pp, "region is required unless endpoint is set")
	}
	if providers.String(provider, "security_token") != "" && (providers.String(provider, "access_key") == "" || providers.String(provider, "secret_key") == "") {
		pp = append(pp, "security_token needs access_key and secret_key in the provider block")
	}
	if rv := providers.String(provider, "request_version"); rv != "" && rv != "v0" && rv != "v1" {
		pp = append(pp, fmt.Sprintf("request_version %q is not v0 or v1", rv))
	}
	if u, err := ParseURN(urn); urn == "" || err == nil && u.Project == "" {
		if d.projectHint(provider) == "" {
			pp = append(pp, "project_id is required (or "+EnvProjectID+", or project_id in the profile file, or a URN that names the project)")
		}
	}
	if len(pp) > 0 {
		problems["provider"] = Type + " provider: " + strings.Join(pp, "; ")
	}
	if len(problems) == 0 {
		return nil
	}
	return problems
}

type config struct {
	endpoint, project, requestVersion string
	token, ak, sk, securityToken      string
	urn                               URN
}

// config resolves a request's configuration: its credentials come from
// the chain (resolve), whose secrets are handed to req.AddSecrets.
func (d *Driver) config(ctx context.Context, req *providers.Request) (config, error) {
	p, f := req.Provider, req.Function
	if providers.String(p, "endpoint") == "" && providers.String(p, "region") == "" {
		return config{}, providers.Permanent(fmt.Errorf("%s: region is required unless endpoint is set", Type), providers.ConfigHint)
	}
	cr, src, err := d.resolve(ctx, p)
	if err != nil {
		return config{}, err
	}
	if src.kind != srcBlock {
		req.AddSecrets(cr.sk, cr.securityToken, cr.ak)
	}
	c := config{
		endpoint:       providers.String(p, "endpoint"),
		project:        providers.String(p, "project_id"),
		requestVersion: providers.String(p, "request_version"),
		token:          cr.token,
		ak:             cr.ak,
		sk:             cr.sk,
		securityToken:  cr.securityToken,
	}
	if c.requestVersion == "" {
		c.requestVersion = "v1"
	}
	if c.project == "" {
		c.project = cr.projectID
	}
	if c.project == "" {
		c.project = os.Getenv(EnvProjectID)
	}
	if s := providers.String(f, "urn"); s != "" && c.project == "" {
		if u, err := ParseURN(s); err == nil {
			c.project = u.Project
		}
	}
	if c.project == "" {
		return c, providers.Permanent(fmt.Errorf("%s: project_id is required: set project_id or %s", Type, EnvProjectID), providers.ConfigHint)
	}
	urn, err := functionURN(p, f, c.project)
	if err != nil {
		return c, providers.Permanent(fmt.Errorf("%s: %w", Type, err), providers.ConfigHint)
	}
	c.urn = urn
	if c.token == "" && (c.ak == "" || c.sk == "") {
		return c, providers.Permanent(fmt.Errorf("%s: incomplete credentials in the provider block: set auth_token, or both access_key and secret_key", Type), providers.ConfigHint)
	}
	c.endpoint = endpoint(c.endpoint, providers.String(p, "region"))
	return c, nil
}

// endpoint is the provider's endpoint, else FunctionGraph's public endpoint
// for the region.
func endpoint(configured, region string) string {
	switch {
	case configured != "":
		return wire.Endpoint(configured)
	case region == "":
		return ""
	default:
		return "https://functiongraph." + region + ".myhuaweicloud.com"
	}
}

// Describe implements providers.Describer: the endpoint, the region and
// the qualifier (a version, "!ALIAS", or "latest" when none is given).
func (d *Driver) Describe(req *providers.Request) providers.Target {
	region := providers.String(req.Provider, "region")
	project := d.projectHint(req.Provider)
	q := ""
	if u, err := functionURN(req.Provider, req.Function, project); err == nil {
		q = u.Qualifier()
		if region == "" {
			region = u.Region
		}
	}
	if q == "" {
		q = "latest"
	}
	return providers.Target{Endpoint: endpoint(providers.String(req.Provider, "endpoint"), region), Region: region, Qualifier: q}
}

// send authenticates (X-Auth-Token or SDK-HMAC-SHA256) and sends one API
// request; path is unescaped (the URN travels raw, as the SDK sends it).
// It reads the answer (at most wire.CloudLimit, drawn from budget); release
// gives the body's memory back.
func (d *Driver) send(ctx context.Context, cfg config, method, path string, query url.Values, headers map[string]string, body []byte, budget *providers.Budget) (*http.Response, []byte, func(), error) {
	u, err := url.Parse(cfg.endpoint)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: endpoint: %w", Type, err)
	}
	u.Path = strings.TrimRight(u.Path, "/") + path
	u.RawQuery = query.Encode()
	var rd io.Reader = http.NoBody
	if len(body) > 0 {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: building request: %w", Type, err)
	}
	h := map[string]string{}
	for k, v := range headers {
		h[k] = v
	}
	if cfg.token != "" {
		h["X-Auth-Token"] = cfg.token
	} else {
		h[HeaderDate] = time.Now().UTC().Format(DateFormat)
		h["X-Project-Id"] = cfg.project
		if cfg.securityToken != "" {
			h["X-Security-Token"] = cfg.securityToken
		}
		auth, err := Sign(cfg.ak, cfg.sk, method, u.Path, query, h, body)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s: signing: %w", Type, err)
		}
		h["Authorization"] = auth
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	req.Header.Set("User-Agent", userAgent)
	resp, err := d.client.Do(req)
	if err != nil {
		return nil, nil, nil, wire.Classify(fmt.Errorf("%s: %s %s: %w", Type, method, u.Path, err))
	}
	defer resp.Body.Close()
	rb, release, err := wire.ReadBody(ctx, resp.Body, resp.ContentLength, wire.CloudLimit, budget)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: reading the answer to %s %s (HTTP %d): %w", Type, method, u.Path, resp.StatusCode, err)
	}
	return resp, rb, release, nil
}

func (cfg config) functionPath(suffix string) string {
	return "/v2/" + cfg.project + "/fgs/functions/" + cfg.urn.String() + suffix
}

// Invoke implements providers.Driver.
func (d *Driver) Invoke(ctx context.Context, req *providers.Request) (*providers.Result, error) {
	async := req.Type == providers.TypeAsync
	if req.Type != providers.TypeSync && !async && req.Type != "" {
		return nil, &providers.TypeError{Provider: Type, Type: req.Type}
	}
	cfg, err := d.config(ctx, req)
	if err != nil {
		return nil, err
	}
	headers := map[string]string{"Content-Type": "application/json"}
	suffix := "/invocations"
	if async {
		suffix = "/invocations-async"
	} else {
		headers["X-CFF-Request-Version"] = cfg.requestVersion
		if req.Logs {
			headers["X-Cff-Log-Type"] = "tail"
		}
	}
	for k, v := range req.Headers {
		headers[k] = v
	}
	resp, body, release, err := d.send(ctx, cfg, http.MethodPost, cfg.functionPath(suffix), nil, headers, req.Payload, req.Budget)
	if err != nil {
		return nil, err
	}
	res, err := MapResponse(resp, body, cfg.requestVersion)
	if err != nil {
		release()
		return nil, err
	}
	res.Release = release
	if !async || res.Status >= 300 {
		return res, nil
	}
	var accepted struct {
		RequestID string `json:"request_id"`
	}
	err = json.Unmarshal(body, &accepted)
	release()
	res.Release = nil
	if err != nil || accepted.RequestID == "" {
		return nil, fmt.Errorf("%s: async invocation accepted without a request_id (HTTP %d)", Type, resp.StatusCode)
	}
	res.Body, res.AsyncID = nil, accepted.RequestID
	if res.RequestID == "" {
		res.RequestID = accepted.RequestID
	}
	if req.Wait {
		return d.wait(ctx, cfg, res, req.Budget)
	}
	return res, nil
}

// summary is X-Cff-Invoke-Summary.
type summary struct {
	Duration        *float64 `json:"duration"`
	BillingDuration *float64 `json:"billingDuration"`
	MemorySize      *float64 `json:"memorySize"`
}

// envelope is the X-CFF-Request-Version v1 response body.
type envelope struct {
	RequestID *string `json:"request_id"`
	Result    *string `json:"result"`
	Log       *string `json:"log"`
	Status    *int    `json:"status"`
}

// MapResponse maps a FunctionGraph answer onto a Result; requested is the
// X-CFF-Request-Version sent (the answer's X-Cff-Response-Version wins).
func MapResponse(resp *http.Response, body []byte, requested string) (*providers.Result, error) {
	res := &providers.Result{Status: resp.StatusCode, Body: body, Headers: wire.Headers(resp.Header)}
	h := resp.Header
	res.RequestID = h.Get("X-Cff-Request-Id")
	if res.RequestID == "" {
		res.RequestID = h.Get("X-Request-Id")
	}
	if s := h.Get("X-Cff-Invoke-Summary"); s != "" {
		var sum summary
		if json.Unmarshal([]byte(s), &sum) == nil {
			res.FunctionDurationMs, res.BilledDurationMs, res.MemoryMB = sum.Duration, sum.BillingDuration, sum.MemorySize
		}
	}
	if res.BilledDurationMs == nil {
		res.BilledDurationMs = wire.Float(h.Get("X-Cff-Billing-Duration"))
	}
	log, err := wire.Base64Header(h, "X-Cff-Function-Log")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Type, err)
	}
	res.Log = log
	if resp.StatusCode >= 300 {
		res.ErrorCode, res.ErrorMessage = parseAPIError(body)
		if res.ErrorCode == "" {
			// Not a FunctionGraph error body (a gateway's or proxy's page,
			// another service): still an API error, never a function's answer.
			res.ErrorCode = UnknownErrorCode
		}
		if res.RequestID == "" {
			res.RequestID = requestIDFromBody(body)
		}
		res.Transient = resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout ||
			resp.StatusCode >= 500 || res.ErrorCode == "FSS.0429"
		if res.Transient {
			res.RetryAfter = wire.RetryAfter(h.Get("Retry-After"), time.Now())
		}
		return res, nil
	}
	version := h.Get("X-Cff-Response-Version")
	if version == "" {
		version = requested
	}
	funcStatus := 0
	if version == "v1" && resp.StatusCode == http.StatusOK {
		// The v1 envelope: unwrap it; tolerate a raw body if it is not one.
		var env envelope
		if json.Unmarshal(body, &env) == nil && env.Result != nil {
			res.Body = []byte(*env.Result)
			if env.Log != nil && res.Log == "" {
				res.Log = *env.Log
			}
			if env.Status != nil {
				funcStatus = *env.Status
				res.Headers[FunctionStatusHeader] = strconv.Itoa(funcStatus)
			}
			if env.RequestID != nil && res.RequestID == "" {
				res.RequestID = *env.RequestID
			}
		}
	}
	isFuncErr := strings.EqualFold(h.Get("X-Is-Func-Err"), "true")
	code := h.Get("X-Func-Err-Code")
	switch {
	case isFuncErr:
		res.Error, res.ErrorType = true, "FunctionError"
	case code != "" && code != "0", funcStatus != 0 && funcStatus != http.StatusOK:
		res.Error, res.ErrorType = true, "SystemError"
	}
	return res, nil
}

// UnknownErrorCode is the error_code of an error answer whose body carries
// no code, as the AWS SDKs name it.
const UnknownErrorCode = "UnknownError"

// parseAPIError reads {"error_code","error_msg"} (FSS.*, APIGW.*), or the
// {"code","message"} form the SDK also accepts.
func parseAPIError(body []byte) (code, msg string) {
	var m map[string]any
	if json.Unmarshal(body, &m) == nil {
		get := func(keys ...string) string {
			for _, k := range keys {
				if s, ok := m[k].(string); ok && s != "" {
					return s
				}
			}
			return ""
		}
		code, msg = get("error_code", "code"), get("error_msg", "message", "encoded_authorization_message")
	}
	if code == "" && msg == "" {
		msg = wire.Excerpt(body)
	}
	return code, msg
}

func requestIDFromBody(body []byte) string {
	var m struct {
		RequestID string `json:"request_id"`
	}
	_ = json.Unmarshal(body, &m)
	return m.RequestID
}

// asyncInvocation is one entry of the async-invocations list.
type asyncInvocation struct {
	RequestID    string `json:"request_id"`
	Status       string `json:"status"` // WAIT RUNNING SUCCESS FAIL DISCARD
	ErrorMessage string `json:"error_message"`
	ErrorCode    *int   `json:"error_code"`
}

// wait polls the async-invocation list by request id until the invocation
// reaches SUCCESS, FAIL or DISCARD, and fills res from it.
func (d *Driver) wait(ctx context.Context, cfg config, res *providers.Result, budget *providers.Budget) (*providers.Result, error) {
	query := url.Values{"request_id": {res.AsyncID}, "limit": {"1"}}
	first := d.PollInterval
	if first <= 0 {
		first = 200 * time.Millisecond
	}
	poll := wire.NewPoller(first, 2*time.Second)
	for {
		if err := poll.Wait(ctx); err != nil {
			return nil, fmt.Errorf("%s: waiting for async invocation %s: %w", Type, res.AsyncID, err)
		}
		resp, body, release, err := d.send(ctx, cfg, http.MethodGet, cfg.functionPath("/async-invocations"), query, nil, nil, budget)
		if err != nil {
			return nil, fmt.Errorf("waiting for async invocation %s: %w", res.AsyncID, err)
		}
		if resp.StatusCode >= 300 {
			pr, err := MapResponse(resp, body, "")
			if err != nil || pr.Transient {
				release()
			}
			if err != nil {
				return nil, err
			}
			if pr.Transient {
				poll.AtLeast(pr.RetryAfter)
				continue
			}
			res.Status, res.ErrorCode, res.ErrorMessage, res.Body = pr.Status, pr.ErrorCode, pr.ErrorMessage, pr.Body
			res.Release = release
			return res, nil
		}
		var list struct {
			Invocations []asyncInvocation `json:"invocations"`
		}
		err = json.Unmarshal(body, &list)
		release()
		if err != nil {
			return nil, fmt.Errorf("%s: async invocation %s: garbled answer: %w", Type, res.AsyncID, err)
		}
		var inv *asyncInvocation
		for i := range list.Invocations {
			if list.Invocations[i].RequestID == res.AsyncID {
				inv = &list.Invocations[i]
			}
		}
		if inv == nil {
			continue // not listed yet
		}
		switch inv.Status {
		case "SUCCESS":
			return res, nil
		case "FAIL", "DISCARD":
			// The list carries no result, only the error message.
			res.Error, res.ErrorType, res.Body = true, inv.Status, []byte(inv.ErrorMessage)
			return res, nil
		}
	}
}
