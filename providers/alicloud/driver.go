// Package alicloud implements the Alibaba Cloud Function Compute drivers
// alicloud_fc2 (API 2016-08-15 and 2021-04-06) and alicloud_fc3 (API
// 2023-03-30), their request signers (the FC scheme and
// ACS3-HMAC-SHA256), and their emulated APIs for fnprobe's emulator.
//
// Wire facts and their sources are collected in shared/PROTOCOLS.md §1-2.
package alicloud

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/providers/wire"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"
)

// Provider type names.
const (
	TypeFC2 = "alicloud_fc2"
	TypeFC3 = "alicloud_fc3"
)

// API versions.
const (
	FC2Version2016 = "2016-08-15"
	FC2Version2021 = "2021-04-06"
	FC3Version     = "2023-03-30"
)

// Environment variables of the credential chain's environment source.
const (
	EnvAccessKeyID     = "ALIBABA_CLOUD_ACCESS_KEY_ID"
	EnvAccessKeySecret = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
	EnvSecurityToken   = "ALIBABA_CLOUD_SECURITY_TOKEN"
)

const userAgent = "fnprobe (alicloud)"

// Driver is the alicloud_fc2 or alicloud_fc3 driver. It is safe for
// concurrent use; its http.Client keeps connections alive between calls.
type Driver struct {
	fc2    bool
	client wire.Client
	// creds caches the credential chain of each distinct provider
	// configuration (credentials.go).
	creds credCache
	// PollInterval is the first wait between async task polls (doubling up
	// to 2s); zero means 100ms.
	PollInterval time.Duration
}

// NewFC2 returns the alicloud_fc2 driver.
func NewFC2() *Driver { return &Driver{fc2: true, client: newClient()} }

// NewFC3 returns the alicloud_fc3 driver.
func NewFC3() *Driver { return &Driver{client: newClient()} }

func newClient() wire.Client {
	p := wire.DefaultPool
	// fc-go-sdk: "FC server has a keepalive timeout of 90s".
	p.IdleTimeout = 50 * time.Second
	return wire.NewClient(p)
}

// Close releases idle connections (providers.Closer).
func (d *Driver) Close() error { return d.client.Close() }

func (d *Driver) typ() string {
	if d.fc2 {
		return TypeFC2
	}
	return TypeFC3
}

// Schema implements providers.Driver.
func (d *Driver) Schema() providers.Schema {
	attr := func(name string, required bool) hcldec.Spec {
		return &hcldec.AttrSpec{Name: name, Type: cty.String, Required: required}
	}
	p := hcldec.ObjectSpec{
		"region":            attr("region", false),
		"account_id":        attr("account_id", false),
		"access_key_id":     attr("access_key_id", false),
		"access_key_secret": attr("access_key_secret", false),
		"security_token":    attr("security_token", false),
		"endpoint":          attr("endpoint", false),
		"profile":           attr("profile", false),
		"sts_endpoint":      attr("sts_endpoint", false),
		"assume_role": &hcldec.BlockSpec{TypeName: "assume_role", Nested: hcldec.ObjectSpec{
			"role_arn":         attr("role_arn", true),
			"session_name":     attr("session_name", false),
			"external_id":      attr("external_id", false),
			"duration_seconds": &hcldec.AttrSpec{Name: "duration_seconds", Type: cty.Number},
		}},
	}
	f := hcldec.ObjectSpec{
		"name":      attr("name", true),
		"qualifier": attr("qualifier", false),
	}
	if d.fc2 {
		p["api_version"] = attr("api_version", false)
		f["service"] = attr("service", true)
	}
	return providers.Schema{
		Provider:  p,
		Function:  f,
		Sensitive: []string{"access_key_secret", "security_token"},
		SecretEnv: []string{EnvAccessKeySecret, EnvSecurityToken, EnvOIDCToken},
		Types:     []string{providers.TypeSync, providers.TypeAsync},
		Wait:      true,
	}
}

// ValidateFunction implements providers.FunctionValidator.
func (d *Driver) ValidateFunction(provider, function cty.Value) map[string]string {
	problems := map[string]string{}
	nameRule := "must start with a letter or '_' and contain only letters, digits, '_' and '-' (at most 128 characters)"
	if n := providers.String(function, "name"); !ValidName(n) {
		problems["name"] = fmt.Sprintf("function name %q %s", n, nameRule)
	}
	if d.fc2 {
		if s := providers.String(function, "service"); !ValidName(s) {
			problems["service"] = fmt.Sprintf("service name %q %s", s, nameRule)
		}
	}
	if q := providers.String(function, "qualifier"); q != "" && !ValidQualifier(q) {
		problems["qualifier"] = fmt.Sprintf("qualifier %q must be a version number, an alias name or LATEST (letters, digits, '_', '-')", q)
	}
	var pp []string
	c := readConfig(provider, d.fc2)
	if d.fc2 && c.apiVersion != FC2Version2016 && c.apiVersion != FC2Version2021 {
		pp = append(pp, fmt.Sprintf("api_version %q is not %s or %s", c.apiVersion, FC2Version2016, FC2Version2021))
	}
	if c.endpoint == "" {
		if c.region == "" {
			pp = append(pp, "region is required unless endpoint is set")
		}
		if d.fc2 && c.accountID == "" {
			pp = append(pp, "account_id is required unless endpoint is set")
		}
	}
	pp = append(pp, credProblems(readCredConfig(provider), providers.String(provider, "sts_endpoint"))...)
	if len(pp) > 0 {
		problems["provider"] = d.typ() + " provider: " + strings.Join(pp, "; ")
	}
	if len(problems) == 0 {
		return nil
	}
	return problems
}

type config struct {
	region, accountID, endpoint, apiVersion string
	ak, secret, token                       string
}

func readConfig(p cty.Value, fc2 bool) config {
	c := config{
		region:     providers.String(p, "region"),
		accountID:  providers.String(p, "account_id"),
		endpoint:   providers.String(p, "endpoint"),
		apiVersion: FC3Version,
		ak:         providers.String(p, "access_key_id"),
		secret:     providers.String(p, "access_key_secret"),
		token:      providers.String(p, "security_token"),
	}
	if fc2 {
		c.apiVersion = providers.String(p, "api_version")
		if c.apiVersion == "" {
			c.apiVersion = FC2Version2016
		}
	}
	return c
}

// config reads the provider block and resolves its credentials through
// the chain (credentials.go), handing every part of them to req's
// secrets. A configuration error, a chain that cannot work, an STS
// refusal and the ECS metadata's refusal of the role are Permanent; an
// STS or a metadata service that cannot be reached is not.
func (d *Driver) config(ctx context.Context, req *providers.Request) (config, error) {
	c := readConfig(req.Provider, d.fc2)
	switch {
	case c.endpoint != "":
	case c.region == "":
		return c, providers.Permanent(fmt.Errorf("%s: region is required unless endpoint is set", d.typ()), providers.ConfigHint)
	case d.fc2 && c.accountID == "":
		return c, providers.Permanent(fmt.Errorf("%s: account_id is required unless endpoint is set", d.typ()), providers.ConfigHint)
	}
	c.endpoint = c.publicEndpoint(d.fc2)
	e := d.creds.entry(readCredConfig(req.Provider))
	switch {
	case errors.Is(e.err, ErrNoCredentials):
		return c, providers.Permanent(fmt.Errorf("%s: %w", d.typ(), e.err), providers.ConfigHint)
	case e.err != nil:
		return c, providers.Permanent(fmt.Errorf("%s: credentials from %s: %w", d.typ(), e.source, e.err), providers.ConfigHint)
	}
	cred, err := e.credentials(ctx)
	if err != nil {
		err = fmt.Errorf("%s: %w", d.typ(), err)
		if stsRefused(err) {
			return c, providers.Permanent(err, STSHint)
		}
		if metadataRefused(err) {
			return c, providers.Permanent(err, ECSHint)
		}
		return c, err
	}
	if e.source != sourceBlock {
		// Learnt at run time (the environment, a file, STS): redacted
		// wherever fnprobe prints. The block's own secret and token are
		// Sensitive already; its access key id stays readable, as it
		// was, so a refusal names it.
		req.AddSecrets(cred.AccessKeyId, cred.AccessKeySecret, cred.SecurityToken)
	}
	c.ak, c.secret, c.token = cred.AccessKeyId, cred.AccessKeySecret, cred.SecurityToken
	return c, nil
}

// CredentialSource implements providers.CredentialSourcer: the source
// the provider block's credentials come from, read from the block, the
// environment and the files only.
func (d *Driver) CredentialSource(_ context.Context, provider cty.Value) (string, error) {
	e := d.creds.entry(readCredConfig(provider))
	if errors.Is(e.err, ErrNoCredentials) {
		// run says where to set them; plan keeps to one line.
		return "", fmt.Errorf("%w in the provider block, the environment, the OIDC variables, a profile or ALIBABA_CLOUD_ECS_METADATA", ErrNoCredentials)
	}
	return e.source, e.err
}

// publicEndpoint is the configured endpoint, else Function Compute's public
// endpoint for the region ("" when the region, or for FC 2.0 the account,
// is missing).
func (c config) publicEndpoint(fc2 bool) string {
	switch {
	case c.endpoint != "":
		return wire.Endpoint(c.endpoint)
	case c.region == "", fc2 && c.accountID == "":
		return ""
	case fc2:
		return "https://" + c.accountID + "." + c.region + ".fc.aliyuncs.com"
	case c.region == "me-central-1" || c.region == "cn-hangzhou-finance":
		return "https://" + c.region + ".fc.aliyuncs.com"
	default:
		return "https://fcv3." + c.region + ".aliyuncs.com"
	}
}

// Describe implements providers.Describer: the endpoint, the region and
// the qualifier (LATEST when none is given).
func (d *Driver) Describe(req *providers.Request) providers.Target {
	c := readConfig(req.Provider, d.fc2)
	q := providers.String(req.Function, "qualifier")
	if q == "" {
		q = "LATEST"
	}
	return providers.Target{Endpoint: c.publicEndpoint(d.fc2), Region: c.region, Qualifier: q}
}

// call is one signed API request.
type call struct {
	method  string
	path    string            // escaped, as sent
	query   map[string]string // one value per key
	headers map[string]string // x-fc-* and user headers
	body    []byte
	action  string // ACS3 x-acs-action
}

// send signs and sends c, and reads the answer (at most wire.CloudLimit,
// drawn from budget); release gives the body's memory back.
func (d *Driver) send(ctx context.Context, cfg config, c call, budget *providers.Budget) (*http.Response, []byte, func(), error) {
	u := cfg.endpoint + c.path
	if len(c.query) > 0 {
		var q []string
		for k, v := range c.query {
			q = append(q, PercentEncode(k)+"="+PercentEncode(v))
		}
		u += "?" + strings.Join(q, "&")
	}
	var rd io.Reader = http.NoBody
	if len(c.body) > 0 {
		rd = bytes.NewReader(c.body)
	}
	req, err := http.NewRequestWithContext(ctx, c.method, u, rd)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: building request: %w", d.typ(), err)
	}
	h := map[string]string{"User-Agent": userAgent, "Accept": "application/json"}
	for k, v := range c.headers {
		h[k] = v
	}
	now := time.Now().UTC()
	if cfg.apiVersion == FC2Version2016 {
		h["Date"] = now.Format(http.TimeFormat)
		if cfg.accountID != "" {
			h["X-Fc-Account-Id"] = cfg.accountID
		}
		if cfg.token != "" {
			h["X-Fc-Security-Token"] = cfg.token
		}
		if len(c.body) > 0 {
			h["Content-Type"] = "application/octet-stream"
			h["Content-MD5"] = ContentMD5(c.body)
		}
		h["Authorization"] = FCAuthorization(cfg.ak, cfg.secret, c.method, h, FCResource(req.URL.Path, nil, false))
		for k, v := range h {
			req.Header.Set(k, v)
		}
	} else {
		nonce := make([]byte, 16)
		_, _ = rand.Read(nonce)
		h["host"] = req.URL.Host
		h["x-acs-version"] = cfg.apiVersion
		h["x-acs-action"] = c.action
		h["x-acs-date"] = now.Format("2006-01-02T15:04:05Z")
		h["x-acs-signature-nonce"] = hex.EncodeToString(nonce)
		hashed := SHA256Hex(c.body)
		h["x-acs-content-sha256"] = hashed
		if cfg.token != "" {
			h["x-acs-accesskey-id"] = cfg.ak
			h["x-acs-security-token"] = cfg.token
		}
		// FC 3.0's SDK sends the body as a stream (octet-stream); FC 2.0's
		// 2021-04-06 SDK sends "byte" bodies without a content-type.
		if len(c.body) > 0 && cfg.apiVersion == FC3Version {
			h["content-type"] = "application/octet-stream"
		}
		signing := make(map[string][]string, len(h))
		for k, v := range h {
			signing[k] = []string{v}
		}
		h["Authorization"] = ACS3Authorization(cfg.ak, cfg.secret, c.method, c.path, c.query, signing, hashed)
		for k, v := range h {
			if k != "host" {
				req.Header.Set(k, v)
			}
		}
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return nil, nil, nil, wire.Classify(fmt.Errorf("%s: %s %s: %w", d.typ(), c.method, c.path, err))
	}
	defer resp.Body.Close()
	body, release, err := wire.ReadBody(ctx, resp.Body, resp.ContentLength, wire.CloudLimit, budget)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: reading the answer to %s %s (HTTP %d): %w", d.typ(), c.method, c.path, resp.StatusCode, err)
	}
	return resp, body, release, nil
}

// Invoke implements providers.Driver.
func (d *Driver) Invoke(ctx context.Context, req *providers.Request) (*providers.Result, error) {
	if req.Type != providers.TypeSync && req.Type != providers.TypeAsync && req.Type != "" {
		return nil, &providers.TypeError{Provider: d.typ(), Type: req.Type}
	}
	cfg, err := d.config(ctx, req)
	if err != nil {
		return nil, err
	}
	name := providers.String(req.Function, "name")
	service := providers.String(req.Function, "service")
	qualifier := providers.String(req.Function, "qualifier")
	async := req.Type == providers.TypeAsync

	headers := map[string]string{"X-Fc-Invocation-Type": "Sync", "X-Fc-Log-Type": "None"}
	if async {
		headers["X-Fc-Invocation-Type"] = "Async"
	}
	if req.Logs {
		headers["X-Fc-Log-Type"] = "Tail"
	}
	idHeader := "X-Fc-Async-Task-Id"
	if d.fc2 {
		idHeader = "X-Fc-Stateful-Async-Invocation-Id"
	}
	for k, v := range req.Headers {
		headers[k] = v
	}
	taskID := headerValue(headers, idHeader)
	if async && req.Wait && taskID == "" {
		// Polling needs an id; ask for a stateful task under our own.
		taskID = "fnprobe_" + strings.ToLower(rand.Text())
		headers[idHeader] = taskID
	}

	c := call{method: http.MethodPost, query: map[string]string{}, headers: headers, body: req.Payload, action: "InvokeFunction"}
	c.path, c.query = d.functionPath(cfg, service, name, qualifier, "/invocations")
	resp, body, release, err := d.send(ctx, cfg, c, req.Budget)
	if err != nil {
		return nil, err
	}
	res, err := d.mapResponse(resp, body)
	if err != nil {
		release()
		return nil, err
	}
	res.Release = release
	if async && res.Status < 300 {
		res.Body = nil
		release()
		res.Release = nil
		if res.AsyncID == "" {
			res.AsyncID = taskID
		}
		if req.Wait {
			if res.AsyncID == "" {
				return nil, fmt.Errorf("%s: the service returned no async task id to wait for", d.typ())
			}
			return d.wait(ctx, cfg, service, name, qualifier, res, req.Budget)
		}
	}
	return res, nil
}

func headerValue(h map[string]string, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// functionPath returns the escaped path of a function sub-resource and the
// query carrying the qualifier, per API version.
func (d *Driver) functionPath(cfg config, service, name, qualifier, suffix string) (string, map[string]string) {
	query := map[string]string{}
	switch cfg.apiVersion {
	case FC3Version:
		if qualifier != "" {
			query["qualifier"] = qualifier
		}
		return "/" + FC3Version + "/functions/" + PercentEncode(name) + suffix, query
	case FC2Version2021:
		if qualifier != "" {
			query["qualifier"] = qualifier
		}
		return "/" + FC2Version2021 + "/services/" + PercentEncode(service) + "/functions/" + PercentEncode(name) + suffix, query
	}
	svc := PercentEncode(service)
	if qualifier != "" {
		svc += "." + PercentEncode(qualifier)
	}
	return "/" + FC2Version2016 + "/services/" + svc + "/functions/" + PercentEncode(name) + suffix, query
}

// mapResponse maps an FC answer onto a Result.
func (d *Driver) mapResponse(resp *http.Response, body []byte) (*providers.Result, error) {
	res := &providers.Result{Status: resp.StatusCode, Body: body, Headers: wire.Headers(resp.Header)}
	h := resp.Header
	res.RequestID = h.Get("X-Fc-Request-Id")
	res.InstanceID = h.Get("X-Fc-Instance-Id")
	res.Version = h.Get("X-Fc-Invocation-Service-Version")
	res.FunctionDurationMs = wire.Float(h.Get("X-Fc-Invocation-Duration"))
	res.MemoryMB = wire.Float(h.Get("X-Fc-Max-Memory-Usage"))
	res.AsyncID = h.Get("X-Fc-Async-Task-Id")
	if res.AsyncID == "" {
		res.AsyncID = h.Get("X-Fc-Stateful-Async-Invocation-Id")
	}
	if et := h.Get("X-Fc-Error-Type"); et != "" {
		res.Error, res.ErrorType = true, et
	}
	log, err := wire.Base64Header(h, "X-Fc-Log-Result")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.typ(), err)
	}
	res.Log = log
	if resp.StatusCode >= 300 {
		res.Body = body
		res.ErrorCode, res.ErrorMessage = parseAPIError(body)
		if res.ErrorCode == "" && res.ErrorMessage == "" {
			res.ErrorMessage = wire.Excerpt(body)
		}
		if res.ErrorCode == "" {
			// Not an FC error body (a gateway's or proxy's page, another
			// service): still an API error, never a function's answer.
			res.ErrorCode = UnknownErrorCode
		}
		res.Transient = resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 ||
			res.ErrorCode == "ResourceThrottled" || res.ErrorCode == "ResourceExhausted" ||
			strings.HasPrefix(res.ErrorCode, "Throttling")
		if res.Transient {
			res.RetryAfter = retryAfter(h, time.Now())
		}
	}
	return res, nil
}

// UnknownErrorCode is the error_code of an error answer whose body carries
// no code, as the AWS SDKs name it.
const UnknownErrorCode = "UnknownError"

// parseAPIError reads an FC error body: FC 2.0 {"ErrorCode","ErrorMessage"}
// (documented as errorCode/errorMessage) or FC 3.0 / darabonba
// {"Code","Message"}.
func parseAPIError(body []byte) (code, msg string) {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return "", ""
	}
	return wire.Field(m, "ErrorCode", "Code"), wire.Field(m, "ErrorMessage", "Message")
}

// retryAfter reads Retry-After, or when that asks for no wait darabonba's
// x-acs-retry-after (milliseconds).
func retryAfter(h http.Header, now time.Time) time.Duration {
	if d := wire.RetryAfter(h.Get("Retry-After"), now); d > 0 {
		return d
	}
	if v := strings.TrimSpace(h.Get("X-Acs-Retry-After")); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
			return time.Duration(n) * time.Millisecond
		}
	}
	return 0
}

// task is the subset of FC 3.0 AsyncTask / FC 2.0 StatefulAsyncInvocation
// the driver reads.
type task struct {
	Status                 string   `json:"status"`
	ReturnPayload          string   `json:"returnPayload"`
	TaskErrorMessage       string   `json:"taskErrorMessage"`
	InvocationErrorMessage string   `json:"invocationErrorMessage"`
	RequestID              string   `json:"requestId"`
	InstanceID             string   `json:"instanceId"`
	DurationMs             *float64 `json:"durationMs"`
}

func terminal(status string) bool {
	switch status {
	case "Succeeded", "Failed", "Stopped", "Invalid", "Expired":
		return true
	}
	return false
}

// wait polls the task API until the task reaches a terminal state and
// fills res from it.
func (d *Driver) wait(ctx context.Context, cfg config, service, name, qualifier string, res *providers.Result, budget *providers.Budget) (*providers.Result, error) {
	suffix, action := "/async-tasks/"+PercentEncode(res.AsyncID), "GetAsyncTask"
	if d.fc2 {
		suffix, action = "/stateful-async-invocations/"+PercentEncode(res.AsyncID), "GetStatefulAsyncInvocation"
	}
	c := call{method: http.MethodGet, action: action}
	c.path, c.query = d.functionPath(cfg, service, name, qualifier, suffix)
	first := d.PollInterval
	if first <= 0 {
		first = 100 * time.Millisecond
	}
	poll := wire.NewPoller(first, 2*time.Second)
	for {
		if err := poll.Wait(ctx); err != nil {
			return nil, fmt.Errorf("%s: waiting for async task %s: %w", d.typ(), res.AsyncID, err)
		}
		resp, body, release, err := d.send(ctx, cfg, c, budget)
		if err != nil {
			return nil, fmt.Errorf("waiting for async task %s: %w", res.AsyncID, err)
		}
		if resp.StatusCode >= 300 {
			pr, err := d.mapResponse(resp, body)
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
		var tk task
		err = json.Unmarshal(body, &tk)
		release()
		if err != nil {
			return nil, fmt.Errorf("%s: async task %s: garbled answer: %w", d.typ(), res.AsyncID, err)
		}
		if !terminal(tk.Status) {
			continue
		}
		res.Body = []byte(tk.ReturnPayload)
		if tk.Status != "Succeeded" {
			res.Error = true
			res.ErrorType = tk.TaskErrorMessage + tk.InvocationErrorMessage
			if res.ErrorType == "" {
				res.ErrorType = tk.Status
			}
		}
		if tk.InstanceID != "" {
			res.InstanceID = tk.InstanceID
		}
		if res.RequestID == "" {
			res.RequestID = tk.RequestID
		}
		res.FunctionDurationMs = tk.DurationMs
		return res, nil
	}
}
