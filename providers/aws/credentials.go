package aws

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/providers/wire"
	"github.com/zclconf/go-cty/cty"
)

// The credential chain: static keys in the provider block win; otherwise
// the AWS SDK's default chain (config.LoadDefaultConfig) resolves them —
// the environment, the shared config and credentials files with their
// profiles (static keys, role_arn + source_profile, web identity,
// credential_source, SSO, credential_process), web identity from the
// environment, container credentials, instance metadata — and an
// assume_role block on the provider assumes a role on top of whichever
// base the chain found.

// credentialHTTPTimeout bounds each HTTP call the chain makes (STS,
// container credentials, instance metadata). The credentials cache runs
// a refresh detached from the caller's context, so this is what keeps a
// hung credential endpoint from holding a goroutine for ever; callers
// still give up at their own deadline.
const credentialHTTPTimeout = 30 * time.Second

// assumeRole is a provider's assume_role block.
type assumeRole struct {
	roleARN, sessionName, externalID string
}

func assumeRoleOf(p cty.Value) assumeRole {
	if p.IsNull() || !p.IsKnown() || !p.Type().IsObjectType() || !p.Type().HasAttribute("assume_role") {
		return assumeRole{}
	}
	b := p.GetAttr("assume_role")
	if b.IsNull() || !b.IsKnown() {
		return assumeRole{}
	}
	return assumeRole{
		roleARN:     providers.String(b, "role_arn"),
		sessionName: providers.String(b, "session_name"),
		externalID:  providers.String(b, "external_id"),
	}
}

// staticCreds are the keys in the provider block, if any.
func staticCreds(p cty.Value) aws.Credentials {
	return aws.Credentials{
		AccessKeyID:     providers.String(p, "access_key"),
		SecretAccessKey: providers.String(p, "secret_key"),
		SessionToken:    providers.String(p, "session_token"),
		Source:          "fnprobe provider block",
	}
}

// chainKey identifies the credential chain of one distinct provider
// configuration: the driver is shared by every provider block of its
// type, and each block gets its own chain.
type chainKey struct {
	static      aws.Credentials
	profile     string
	region      string
	role        assumeRole
	stsEndpoint string // for the assume_role block's STS calls
}

// chain is one provider configuration's resolved credentials provider.
// It is built once (the configuration, the environment and the files do
// not change during a run); its CredentialsCache retrieves and refreshes
// the credentials, concurrency-safe.
type chain struct {
	once     sync.Once
	provider aws.CredentialsProvider
	region   string // the region the chain resolved (e.g. the profile's)
	// fallback says nothing was configured: the SDK's chain ended at
	// instance metadata, so its failure means "no credentials".
	fallback bool
	// tokens and tokenFiles are the chain's inputs that are secrets
	// themselves: the container authorization token, and the files of
	// the web identity and container tokens it will send (read again on
	// every call: they rotate).
	tokens     []string
	tokenFiles []string
	err        error
}

// chains caches a driver's chains by configuration.
type chains struct {
	mu sync.Mutex
	m  map[chainKey]*chain
}

// maxChains bounds the chains a driver keeps: a suite has few distinct
// provider configurations, so past this the cache is dropped and rebuilt
// rather than grown.
const maxChains = 1024

func (cs *chains) get(k chainKey) *chain {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if c, ok := cs.m[k]; ok {
		return c
	}
	if cs.m == nil || len(cs.m) >= maxChains {
		cs.m = make(map[chainKey]*chain)
	}
	c := &chain{}
	cs.m[k] = c
	return c
}

// forget drops k's chain if it is still c.
func (cs *chains) forget(k chainKey, c *chain) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.m[k] == c {
		delete(cs.m, k)
	}
}

// credentials returns the credentials to sign with, from the provider
// block's keys or the chain, retrieved within ctx. Every secret it yields
// goes to req's secret sink. Errors the configuration causes are
// Permanent; STS throttling, 5xx answers and transport failures are not.
func (d *Driver) credentials(ctx context.Context, req *providers.Request, region string) (aws.Credentials, string, error) {
	p := req.Provider
	static := staticCreds(p)
	role := assumeRoleOf(p)
	if (static.AccessKeyID == "") != (static.SecretAccessKey == "") {
		return aws.Credentials{}, "", providers.Permanent(fmt.Errorf("%s: access_key and secret_key go together: set both, or neither to use the AWS credential chain", Type), providers.ConfigHint)
	}
	if static.HasKeys() && role.roleARN == "" {
		return static, region, nil
	}
	k := chainKey{profile: providers.String(p, "profile"), region: region, role: role, stsEndpoint: providers.String(p, "sts_endpoint")}
	if static.HasKeys() {
		// The block's keys win: its profile, if any, plays no part.
		k.static, k.profile = static, ""
	}
	c := d.chains.get(k)
	c.once.Do(func() { c.build(context.WithoutCancel(ctx), k) })
	if c.err != nil {
		// Not kept: a long-lived driver (watch) sees a fixed profile on a
		// later run.
		d.chains.forget(k, c)
		return aws.Credentials{}, "", c.err
	}
	if region == "" {
		region = c.region
	}
	creds, err := c.provider.Retrieve(ctx)
	if err != nil {
		return aws.Credentials{}, "", c.classify(ctx, k, err)
	}
	req.AddSecrets(c.tokens...)
	for _, f := range c.tokenFiles {
		if b, err := providers.ReadCredentialFile(ctx, f); err == nil {
			req.AddSecrets(strings.TrimSpace(string(b)))
		}
	}
	req.AddSecrets(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)
	return creds, region, nil
}

// build resolves the chain for k with the SDK, without any network call:
// the SDK's providers fetch lazily, on Retrieve.
func (c *chain) build(ctx context.Context, k chainKey) {
	// The SDK's own buildable client, so that AWS_CA_BUNDLE and the
	// profile's ca_bundle still apply (the SDK refuses them on any other).
	opts := []func(*config.LoadOptions) error{
		config.WithHTTPClient(awshttp.NewBuildableClient().WithTimeout(credentialHTTPTimeout)),
	}
	if k.region != "" {
		opts = append(opts, config.WithRegion(k.region))
	}
	if k.profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(k.profile))
	}
	if k.static.HasKeys() {
		opts = append(opts, config.WithCredentialsProvider(credentials.StaticCredentialsProvider{Value: k.static}))
	}
	if err := checkSharedFiles(); err != nil {
		c.err = providers.Permanent(fmt.Errorf("%s: %w", Type, err), providers.ConfigHint)
		return
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		c.err = providers.Permanent(loadError(k, err), providers.ConfigHint)
		return
	}
	c.region = cfg.Region
	if cfg.Credentials == nil {
		c.err = providers.Permanent(fmt.Errorf("%s: no credentials: the AWS credential chain has no source", Type), providers.ConfigHint)
		return
	}
	c.provider = cfg.Credentials
	if !k.static.HasKeys() {
		env, _ := config.NewEnvConfig()
		src, err := baseSource(ctx, k.profile, env)
		c.fallback = err != nil || src == sourceIMDS
		c.tokens, c.tokenFiles = tokenSecrets(ctx, k.profile, env)
		// A profile's web identity token file too: the SDK reads it
		// unbounded at every refresh.
		if err := providers.CheckCredentialFiles(c.tokenFiles...); err != nil {
			c.err = providers.Permanent(fmt.Errorf("%s: %w", Type, err), providers.ConfigHint)
			return
		}
	}
	if k.role.roleARN != "" {
		client := sts.NewFromConfig(cfg, func(o *sts.Options) {
			if k.stsEndpoint != "" {
				o.BaseEndpoint = aws.String(wire.Endpoint(k.stsEndpoint))
			}
		})
		c.provider = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(client, k.role.roleARN, func(o *stscreds.AssumeRoleOptions) {
			if k.role.sessionName != "" {
				o.RoleSessionName = k.role.sessionName
			}
			if k.role.externalID != "" {
				o.ExternalID = aws.String(k.role.externalID)
			}
		}))
	}
}

// tokenSecrets returns the tokens the chain may send — the container
// authorization token — and the files it reads others from: the web
// identity token file (of the environment or the profile) and the
// container token file, so that outputs redact them too.
func tokenSecrets(ctx context.Context, profile string, env config.EnvConfig) (tokens, files []string) {
	if env.ContainerAuthorizationToken != "" {
		tokens = append(tokens, env.ContainerAuthorizationToken)
	}
	files = []string{env.WebIdentityTokenFilePath, os.Getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")}
	name := profile
	if name == "" {
		name = env.SharedConfigProfile
	}
	if name == "" {
		name = "default"
	}
	if sc, err := loadProfile(ctx, name, env); err == nil {
		files = append(files, sc.WebIdentityTokenFile)
		for src := sc.Source; src != nil; src = src.Source {
			files = append(files, src.WebIdentityTokenFile)
		}
	}
	return tokens, slices.DeleteFunc(files, func(s string) bool { return s == "" })
}

// loadError explains why the SDK could not build the chain.
func loadError(k chainKey, err error) error {
	var nx config.SharedConfigProfileNotExistError
	if errors.As(err, &nx) {
		return fmt.Errorf("%s: profile %q does not exist in the shared config files (%s): %w",
			Type, nx.Profile, strings.Join(nx.Filename, ", "), err)
	}
	if k.profile != "" {
		return fmt.Errorf("%s: loading the AWS credential chain (profile %q): %w", Type, k.profile, err)
	}
	return fmt.Errorf("%s: loading the AWS credential chain: %w", Type, err)
}

// classify marks a retrieval error: a cancelled or timed-out attempt stays
// as it is; a throttled or failing STS (429, 5xx, a throttling code) or a
// transport failure may heal, so it is retried; anything else — an unknown
// key, a refused token, a chain that found nothing — is Permanent.
func (c *chain) classify(ctx context.Context, k chainKey, err error) error {
	what := "retrieving credentials"
	if k.role.roleARN != "" {
		what = "assuming role " + k.role.roleARN
	}
	wrapped := fmt.Errorf("%s: %s: %w", Type, what, err)
	if ctx.Err() != nil {
		return wrapped
	}
	// With nothing configured the base is instance metadata: its failure
	// is "no credentials"; an assume_role block's STS refusal is not.
	if c.fallback && (calls(err, "ec2imds") || !calls(err, "STS")) {
		return providers.Permanent(fmt.Errorf("%s: no credentials: set access_key and secret_key, or %s and %s, a profile, "+
			"web identity, container or instance credentials; the AWS credential chain found none: %w",
			Type, EnvAccessKeyID, EnvSecretAccessKey, err), providers.ConfigHint)
	}
	var re *awshttp.ResponseError
	errors.As(err, &re)
	var api smithy.APIError
	if errors.As(err, &api) {
		// The service's answer, without the SDK's layers of context
		// (request ids differ on every call).
		msg := fmt.Sprintf("%s: %s: %s", Type, what, api.ErrorCode())
		var oe *smithy.OperationError
		if errors.As(err, &oe) {
			msg = fmt.Sprintf("%s: %s: %s %s refused: %s", Type, what, oe.Service(), oe.Operation(), api.ErrorCode())
		}
		if re != nil {
			msg += fmt.Sprintf(" (HTTP %d)", re.HTTPStatusCode())
		}
		if m := api.ErrorMessage(); m != "" {
			msg += ": " + m
		}
		answered := &answerError{msg: msg, err: err}
		if re != nil && (re.HTTPStatusCode() == http.StatusTooManyRequests || re.HTTPStatusCode() >= 500) || throttleCodes[api.ErrorCode()] {
			return answered
		}
		return providers.Permanent(answered, "")
	}
	if re != nil && (re.HTTPStatusCode() == http.StatusTooManyRequests || re.HTTPStatusCode() >= 500) {
		return wrapped
	}
	if re == nil && transportFailure(err) {
		return wrapped
	}
	return providers.Permanent(wrapped, providers.ConfigHint)
}

// calls reports whether err comes from an operation of the named SDK
// service, at any depth.
func calls(err error, service string) bool {
	for ; err != nil; err = errors.Unwrap(err) {
		if oe, ok := err.(*smithy.OperationError); ok && oe.Service() == service {
			return true
		}
	}
	return false
}

// answerError is a credential service's error answer, told briefly; it
// unwraps to the SDK's error.
type answerError struct {
	msg string
	err error
}

func (e *answerError) Error() string { return e.msg }
func (e *answerError) Unwrap() error { return e.err }

// transportFailure reports an error sending the request or receiving its
// answer (a connection refused or reset, a timeout), as opposed to an
// answer or a configuration.
func transportFailure(err error) bool {
	var se *smithyhttp.RequestSendError
	var ne net.Error
	return errors.As(err, &se) || errors.As(err, &ne)
}

// checkSharedFiles refuses the files the SDK would read unbounded (the
// shared config and credentials files, the web identity and container
// token files) when one is not a regular file or is too large: a FIFO
// there would hang the SDK's read, /dev/zero exhaust memory.
func checkSharedFiles() error {
	or := func(env, def string) string {
		if v := os.Getenv(env); v != "" {
			return v
		}
		return def
	}
	return providers.CheckCredentialFiles(
		or("AWS_CONFIG_FILE", config.DefaultSharedConfigFilename()),
		or("AWS_SHARED_CREDENTIALS_FILE", config.DefaultSharedCredentialsFilename()),
		os.Getenv("AWS_WEB_IDENTITY_TOKEN_FILE"),
		os.Getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"),
	)
}

// sourceIMDS is where the SDK's chain ends when nothing is configured.
const sourceIMDS = "instance metadata (IMDS)"

// CredentialSource implements providers.CredentialSourcer: it names where
// a provider block's credentials will come from, following the SDK's
// order, from the provider block, the environment and the shared files
// only — never the network, never a secret.
func (d *Driver) CredentialSource(ctx context.Context, p cty.Value) (string, error) {
	if err := checkSharedFiles(); err != nil {
		return "", err
	}
	var base string
	static := staticCreds(p)
	switch {
	case (static.AccessKeyID == "") != (static.SecretAccessKey == ""):
		return "", errors.New("access_key and secret_key go together: set both, or neither to use the AWS credential chain")
	case static.HasKeys():
		base = "provider block"
	default:
		env, err := config.NewEnvConfig()
		if err != nil {
			return "", fmt.Errorf("reading the AWS environment: %w", err)
		}
		base, err = baseSource(ctx, providers.String(p, "profile"), env)
		if err != nil {
			return "", err
		}
		_, files := tokenSecrets(ctx, providers.String(p, "profile"), env)
		if err := providers.CheckCredentialFiles(files...); err != nil {
			return "", err
		}
	}
	if r := assumeRoleOf(p); r.roleARN != "" {
		return "assume role " + r.roleARN + " via " + base, nil
	}
	return base, nil
}

// baseSource names the source the SDK's default chain picks (see
// config.resolveCredentialChain): a profile given in the provider block;
// else keys in the environment; else web identity from the environment;
// else the profile of AWS_PROFILE or "default", and when it holds no
// credentials, container credentials or instance metadata.
func baseSource(ctx context.Context, profile string, env config.EnvConfig) (string, error) {
	switch {
	case profile != "":
		return profileSource(ctx, profile, true, env)
	case env.Credentials.HasKeys():
		return "environment (AWS_ACCESS_KEY_ID)", nil
	case env.WebIdentityTokenFilePath != "" && env.RoleARN == "":
		return "", errors.New("AWS_WEB_IDENTITY_TOKEN_FILE is set without AWS_ROLE_ARN: web identity needs the role to assume")
	case env.WebIdentityTokenFilePath != "":
		return "web identity (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN " + env.RoleARN + ")", nil
	}
	if env.SharedConfigProfile != "" {
		return profileSource(ctx, env.SharedConfigProfile, true, env)
	}
	return profileSource(ctx, "default", false, env)
}

// sharedFiles are the shared config and credentials files the SDK reads.
func sharedFiles(env config.EnvConfig) (cfgFiles, credFiles []string) {
	cfgFiles, credFiles = config.DefaultSharedConfigFiles, config.DefaultSharedCredentialsFiles
	if env.SharedConfigFile != "" {
		cfgFiles = []string{env.SharedConfigFile}
	}
	if env.SharedCredentialsFile != "" {
		credFiles = []string{env.SharedCredentialsFile}
	}
	return cfgFiles, credFiles
}

// loadProfile reads a profile from the shared files as the SDK does.
func loadProfile(ctx context.Context, name string, env config.EnvConfig) (config.SharedConfig, error) {
	cfgFiles, credFiles := sharedFiles(env)
	return config.LoadSharedConfigProfile(ctx, name, func(o *config.LoadSharedConfigOptions) {
		o.ConfigFiles, o.CredentialsFiles = cfgFiles, credFiles
	})
}

// profileSource names the source of a profile; explicit says it was asked
// for (a missing one is an error), else a missing "default" falls through
// to container credentials and instance metadata.
func profileSource(ctx context.Context, name string, explicit bool, env config.EnvConfig) (string, error) {
	sc, err := loadProfile(ctx, name, env)
	var nx config.SharedConfigProfileNotExistError
	switch {
	case errors.As(err, &nx) && !explicit:
		sc = config.SharedConfig{}
	case err != nil:
		return "", loadError(chainKey{profile: name}, err)
	}
	src := describeProfile(name, sc, env)
	if src == "" {
		return "", errors.New("no credentials: none in the provider block, the environment or the shared files, " +
			"and instance metadata is disabled (AWS_EC2_METADATA_DISABLED)")
	}
	return src, nil
}

// describeProfile follows config.resolveCredsFromProfile.
func describeProfile(name string, sc config.SharedConfig, env config.EnvConfig) string {
	var base string
	q := fmt.Sprintf("profile %q", name)
	switch {
	case sc.Source != nil:
		if base = describeProfile(sc.SourceProfileName, *sc.Source, env); base == "" {
			return ""
		}
	case sc.Credentials.HasKeys():
		// The SDK names the file the keys came from in Source.
		file := "shared config file"
		if _, credFiles := sharedFiles(env); slices.ContainsFunc(credFiles, func(f string) bool {
			return strings.HasSuffix(sc.Credentials.Source, " "+f)
		}) {
			file = "shared credentials file"
		}
		base = file + ", " + q
	case sc.CredentialSource != "":
		base = q + ", credential_source " + sc.CredentialSource
	case sc.WebIdentityTokenFile != "":
		return "web identity (" + q + ", role_arn " + sc.RoleARN + ")"
	case sc.SSOSession != nil || sc.SSOStartURL != "" || sc.SSOAccountID != "":
		base = "SSO (" + q + ", cached token)"
	case sc.LoginSession != "":
		base = "console login (" + q + ")"
	case sc.CredentialProcess != "":
		base = "credential_process (" + q + ")"
	case env.ContainerCredentialsRelativePath != "":
		base = "container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI)"
	case env.ContainerCredentialsEndpoint != "":
		base = "container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI)"
	case env.EC2IMDSClientEnableState == imds.ClientDisabled:
		return ""
	default:
		base = sourceIMDS
	}
	if sc.RoleARN != "" {
		return "assume role " + sc.RoleARN + " via " + base + " (" + q + ")"
	}
	return base
}
