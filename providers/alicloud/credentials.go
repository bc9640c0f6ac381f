package alicloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	credp "github.com/aliyun/credentials-go/credentials/providers"
	"github.com/fnprobe/fnprobe/providers"
	"github.com/zclconf/go-cty/cty"
	"gopkg.in/ini.v1"
)

// Environment variables of credentials-go's default chain that fnprobe
// reads (to choose a source and name it for plan) and the library reads
// again (to build it).
const (
	EnvProfile             = "ALIBABA_CLOUD_PROFILE"
	EnvCredentialsFile     = "ALIBABA_CLOUD_CREDENTIALS_FILE"
	EnvConfigFile          = "ALIBABA_CLOUD_CONFIG_FILE"
	EnvCLIProfileDisabled  = "ALIBABA_CLOUD_CLI_PROFILE_DISABLED"
	EnvRoleARN             = "ALIBABA_CLOUD_ROLE_ARN"
	EnvRoleSessionName     = "ALIBABA_CLOUD_ROLE_SESSION_NAME"
	EnvOIDCProviderARN     = "ALIBABA_CLOUD_OIDC_PROVIDER_ARN"
	EnvOIDCTokenFile       = "ALIBABA_CLOUD_OIDC_TOKEN_FILE"
	EnvOIDCToken           = "ALIBABA_CLOUD_OIDC_TOKEN"
	EnvECSMetadata         = "ALIBABA_CLOUD_ECS_METADATA"
	EnvECSMetadataDisabled = "ALIBABA_CLOUD_ECS_METADATA_DISABLED"
	EnvIMDSv1Disabled      = "ALIBABA_CLOUD_IMDSV1_DISABLED"
	EnvCredentialsURI      = "ALIBABA_CLOUD_CREDENTIALS_URI"
	EnvSTSRegion           = "ALIBABA_CLOUD_STS_REGION"
	EnvVPCEndpointEnabled  = "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED"
)

// chainEnv is every variable that changes what the chain resolves to: a
// provider configuration's cached credential is keyed by their values too.
var chainEnv = [...]string{
	EnvAccessKeyID, EnvAccessKeySecret, EnvSecurityToken, EnvProfile, EnvCredentialsFile,
	EnvConfigFile, EnvCLIProfileDisabled, EnvRoleARN, EnvRoleSessionName, EnvOIDCProviderARN,
	EnvOIDCTokenFile, EnvOIDCToken, EnvECSMetadata, EnvECSMetadataDisabled, EnvIMDSv1Disabled,
	EnvCredentialsURI, EnvSTSRegion, EnvVPCEndpointEnabled, "HOME", "USERPROFILE",
}

// sourceBlock names the provider block's own keys as the source.
const sourceBlock = "provider block"

// assumeRole is the provider block's assume_role block.
type assumeRole struct {
	roleARN, sessionName, externalID string
	duration                         int // seconds; 0: credentials-go's 3600
}

// credConfig is what of a provider block decides its credentials.
type credConfig struct {
	ak, secret, token string
	profile           string
	stsEndpoint       string // host[:port][/path], as credentials-go takes it
	assume            *assumeRole
}

func readCredConfig(p cty.Value) credConfig {
	c := credConfig{
		ak:          providers.String(p, "access_key_id"),
		secret:      providers.String(p, "access_key_secret"),
		token:       providers.String(p, "security_token"),
		profile:     providers.String(p, "profile"),
		stsEndpoint: stsHost(providers.String(p, "sts_endpoint")),
	}
	if p == cty.NilVal || p.IsNull() || !p.IsKnown() || !p.Type().IsObjectType() || !p.Type().HasAttribute("assume_role") {
		return c
	}
	ar := p.GetAttr("assume_role")
	if ar.IsNull() || !ar.IsKnown() {
		return c
	}
	c.assume = &assumeRole{
		roleARN:     providers.String(ar, "role_arn"),
		sessionName: providers.String(ar, "session_name"),
		externalID:  providers.String(ar, "external_id"),
	}
	if ar.Type().HasAttribute("duration_seconds") {
		if v := ar.GetAttr("duration_seconds"); !v.IsNull() && v.IsKnown() && v.Type() == cty.Number {
			n, _ := v.AsBigFloat().Int64()
			c.assume.duration = int(n)
		}
	}
	return c
}

// stsHost is an sts_endpoint as credentials-go takes it: without the
// https:// it always adds.
func stsHost(s string) string {
	return strings.TrimSuffix(strings.TrimPrefix(s, "https://"), "?")
}

// credKey identifies a provider configuration and the environment its
// chain reads: compared as it is, without hashing (like the aws driver's
// chainKey, it holds the block's keys, which the driver holds anyway).
type credKey struct {
	ak, secret, token string
	profile           string
	stsEndpoint       string
	hasAssume         bool
	assume            assumeRole
	env               [len(chainEnv)]string
}

func (c credConfig) key() credKey {
	k := credKey{ak: c.ak, secret: c.secret, token: c.token, profile: c.profile, stsEndpoint: c.stsEndpoint}
	if c.assume != nil {
		k.hasAssume, k.assume = true, *c.assume
	}
	for i, e := range chainEnv {
		k.env[i] = os.Getenv(e)
	}
	return k
}

// STSHint is the hint of an STS refusal.
const STSHint = "STS refused to issue temporary credentials: check the role ARN, the OIDC provider ARN and token, and the credentials that assume the role."

// stsRefused reports an STS answer other than 200 (a refusal, which
// retrying cannot heal) as credentials-go words it: "refresh session
// token failed: BODY" (AssumeRole) or "get session token failed: BODY"
// (AssumeRoleWithOIDC). A transport error is not one.
func stsRefused(err error) bool {
	return strings.Contains(err.Error(), "session token failed: ")
}

// ECSHint is the hint of the instance metadata service's refusal.
const ECSHint = "The ECS instance metadata refused the RAM role's credentials: check that ALIBABA_CLOUD_ECS_METADATA names the RAM role attached to the instance."

// metadataRefused reports an ECS metadata answer of 4xx (no such role, no
// role attached), as credentials-go words it: "refresh Ecs sts token err,
// httpStatus: 404, message = BODY". A transport error ("refresh Ecs sts
// token err: ...") or a 5xx is not one.
func metadataRefused(err error) bool {
	const marker = "refresh Ecs sts token err, httpStatus: "
	_, rest, ok := strings.Cut(err.Error(), marker)
	return ok && len(rest) >= 3 && rest[0] == '4'
}

// credCache holds one resolved chain per distinct provider configuration
// (and environment). It is safe for concurrent use.
type credCache struct {
	mu      sync.Mutex
	entries map[credKey]*credEntry
}

// maxEntries bounds the chains a driver keeps: a suite has few distinct
// provider configurations, so past this the cache is dropped and rebuilt
// rather than grown.
const maxEntries = 1024

// credEntry is one configuration's chain. credentials-go's providers are
// not safe for concurrent use (they cache and refresh in place), so calls
// take turns through sem, a one-slot semaphore a waiter can give up on
// when its context ends.
type credEntry struct {
	source string
	err    error // the chain cannot work (plan shows it; run fails with it)
	p      credp.CredentialsProvider
	sem    chan struct{}
	// static is the block's own keys, read once: they never change, so
	// invocations need neither the semaphore nor a goroutine.
	static *credp.Credentials
}

// entry returns the chain for c, building it on first use (no network).
// A chain that cannot work is returned but not kept: a long-lived driver
// (watch) sees a fixed file or environment on a later run.
func (cc *credCache) entry(c credConfig) *credEntry {
	k := c.key()
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if e, ok := cc.entries[k]; ok {
		return e
	}
	e := &credEntry{sem: make(chan struct{}, 1)}
	e.p, e.source, e.err = buildChain(c)
	if e.err == nil && e.source == sourceBlock {
		e.static, e.err = e.p.GetCredentials()
	}
	if e.err != nil {
		return e
	}
	if cc.entries == nil || len(cc.entries) >= maxEntries {
		cc.entries = map[credKey]*credEntry{}
	}
	cc.entries[k] = e
	return e
}

// ErrNoCredentials is wrapped by the error of a chain that finds nothing.
var ErrNoCredentials = errors.New("no credentials")

// credentials returns the credential the chain yields now. The library
// caches temporary credentials and refreshes them itself within 180 s of
// their expiry. Its calls take no context: they are bounded by its own
// timeouts (STS: 5 s to connect, 10 s to read; ECS metadata: 1 s and 1
// s); ctx ending returns at once and leaves the call to finish in the
// background.
func (e *credEntry) credentials(ctx context.Context) (*credp.Credentials, error) {
	if e.err != nil {
		return nil, e.err
	}
	if e.static != nil {
		return e.static, nil
	}
	c, err := providers.Detached(ctx, e.sem, e.p.GetCredentials)
	switch {
	case err != nil:
		return nil, fmt.Errorf("credentials from %s: %w", e.source, err)
	case c == nil || c.AccessKeyId == "" || c.AccessKeySecret == "":
		return nil, fmt.Errorf("credentials from %s: no access key", e.source)
	}
	return c, nil
}

func homeDir() string {
	if h := os.Getenv("HOME"); h != "" {
		return h
	}
	h, _ := os.UserHomeDir()
	return h
}

// credentialsFilePath is credentials-go's credentials file.
func credentialsFilePath() string {
	if p := os.Getenv(EnvCredentialsFile); p != "" {
		return p
	}
	return filepath.Join(homeDir(), ".alibabacloud", "credentials")
}

// cliConfigPath is the Alibaba Cloud CLI's configuration.
func cliConfigPath() string {
	if p := os.Getenv(EnvConfigFile); p != "" {
		return p
	}
	return filepath.Join(homeDir(), ".aliyun", "config.json")
}

// buildChain chooses the source of a provider block's credentials, in
// credentials-go's default order, and builds its provider (no network):
//
//  1. access_key_id and access_key_secret (and security_token) in the block;
//  2. the block's profile: the credentials file's section, else the CLI
//     configuration's profile of that name;
//  3. the environment (ALIBABA_CLOUD_ACCESS_KEY_ID ...);
//  4. OIDC role ARN (ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN,
//     ALIBABA_CLOUD_OIDC_TOKEN_FILE or ALIBABA_CLOUD_OIDC_TOKEN);
//  5. the CLI configuration (~/.aliyun/config.json), profile
//     ALIBABA_CLOUD_PROFILE or its current one;
//  6. the credentials file (~/.alibabacloud/credentials), profile
//     ALIBABA_CLOUD_PROFILE or "default";
//  7. the ECS RAM role named by ALIBABA_CLOUD_ECS_METADATA (unless
//     ALIBABA_CLOUD_ECS_METADATA_DISABLED=true);
//  8. ALIBABA_CLOUD_CREDENTIALS_URI.
//
// The first source configured is the one used: unlike the library's
// DefaultCredentialsProvider, a source that fails does not fall through
// to the next, so what plan names is what run uses; and the instance
// metadata (100.100.100.200) is asked only when ALIBABA_CLOUD_ECS_METADATA
// names the role (or a profile of type ecs_ram_role does), never probed
// by a run that found nothing else. An assume_role block
// then assumes the role with that source's credential.
func buildChain(c credConfig) (credp.CredentialsProvider, string, error) {
	base, source, err := baseProvider(c)
	if err != nil {
		return nil, source, err
	}
	if c.assume == nil {
		return base, source, nil
	}
	b := credp.NewRAMRoleARNCredentialsProviderBuilder().
		WithCredentialsProvider(base).
		WithRoleArn(c.assume.roleARN).
		WithRoleSessionName(sessionNameOr(c.assume.sessionName)).
		WithExternalId(c.assume.externalID).
		WithDurationSeconds(c.assume.duration).
		WithStsEndpoint(c.stsEndpoint)
	p, err := b.Build()
	source = fmt.Sprintf("RAM role %s via %s", c.assume.roleARN, source)
	if err != nil {
		return nil, source, fmt.Errorf("assume_role: %w", err)
	}
	return p, source, nil
}

// sessionNameOr is the role session name, else "fnprobe-<unix time>".
func sessionNameOr(s string) string {
	if s == "" {
		s = os.Getenv(EnvRoleSessionName)
	}
	if s == "" {
		s = "fnprobe-" + strconv.FormatInt(time.Now().Unix(), 10)
	}
	return s
}

func baseProvider(c credConfig) (credp.CredentialsProvider, string, error) {
	switch {
	case c.ak != "" && c.secret != "":
		if c.token != "" {
			p, err := credp.NewStaticSTSCredentialsProviderBuilder().WithAccessKeyId(c.ak).WithAccessKeySecret(c.secret).WithSecurityToken(c.token).Build()
			return p, sourceBlock, err
		}
		p, err := credp.NewStaticAKCredentialsProviderBuilder().WithAccessKeyId(c.ak).WithAccessKeySecret(c.secret).Build()
		return p, sourceBlock, err
	case c.ak != "" || c.secret != "":
		return nil, sourceBlock, errors.New("access_key_id and access_key_secret must be set together")
	case c.profile != "":
		if p, source, found, err := fileProfile(c, c.profile); found {
			return p, source, err
		}
		if p, source, found, err := cliProfile(c.profile); found {
			return p, source, err
		}
		return nil, fmt.Sprintf("profile %q", c.profile), fmt.Errorf("profile %q is in neither the credentials file %s nor the CLI configuration %s", c.profile, credentialsFilePath(), cliConfigPath())
	case os.Getenv(EnvAccessKeyID) != "":
		source := "environment (" + EnvAccessKeyID + ")"
		if os.Getenv(EnvAccessKeySecret) == "" {
			return nil, source, fmt.Errorf("%s is set but %s is not", EnvAccessKeyID, EnvAccessKeySecret)
		}
		p, err := credp.NewEnvironmentVariableCredentialsProviderBuilder().Build()
		return p, source, err
	case os.Getenv(EnvRoleARN) != "" && os.Getenv(EnvOIDCProviderARN) != "" && (os.Getenv(EnvOIDCTokenFile) != "" || os.Getenv(EnvOIDCToken) != ""):
		from := EnvOIDCTokenFile
		if os.Getenv(EnvOIDCToken) != "" {
			from = EnvOIDCToken
		}
		source := fmt.Sprintf("OIDC role %s (%s)", os.Getenv(EnvRoleARN), from)
		// credentials-go reads the token file unbounded at every refresh.
		if err := providers.CheckCredentialFiles(os.Getenv(EnvOIDCTokenFile)); err != nil {
			return nil, source, err
		}
		p, err := credp.NewOIDCCredentialsProviderBuilder().
			WithRoleSessionName(sessionNameOr("")).
			WithSTSEndpoint(c.stsEndpoint).
			Build()
		return p, source, err
	}
	if !strings.EqualFold(os.Getenv(EnvCLIProfileDisabled), "true") {
		if p, source, found, err := cliProfile(os.Getenv(EnvProfile)); found {
			return p, source, err
		}
	}
	name := os.Getenv(EnvProfile)
	if name == "" {
		name = "default"
	}
	if p, source, found, err := fileProfile(c, name); found {
		return p, source, err
	}
	if r := os.Getenv(EnvECSMetadata); r != "" && !strings.EqualFold(os.Getenv(EnvECSMetadataDisabled), "true") {
		p, err := credp.NewECSRAMRoleCredentialsProviderBuilder().WithRoleName(r).Build()
		return p, "ECS RAM role " + r, err
	}
	if u := os.Getenv(EnvCredentialsURI); u != "" {
		p, err := credp.NewURLCredentialsProviderBuilder().WithUrl(u).Build()
		return p, "credentials URI (" + EnvCredentialsURI + ")", err
	}
	return nil, "none", fmt.Errorf("%w: set access_key_id and access_key_secret in the provider block, or %s and %s, or the OIDC variables %s, %s and %s, or a profile in ~/.alibabacloud/credentials (%s) or ~/.aliyun/config.json (%s), or %s to an ECS RAM role's name",
		ErrNoCredentials, EnvAccessKeyID, EnvAccessKeySecret, EnvRoleARN, EnvOIDCProviderARN, EnvOIDCTokenFile,
		EnvCredentialsFile, EnvConfigFile, EnvECSMetadata)
}

// fileProfile reads a section of the credentials file (an INI file whose
// sections have type = access_key, ram_role_arn or ecs_ram_role, as
// credentials-go reads it). found is false when the file or the section
// does not exist. A ram_role_arn section is built here, rather than by
// the library's ProfileCredentialsProvider, so that sts_endpoint applies
// to it.
func fileProfile(c credConfig, name string) (p credp.CredentialsProvider, source string, found bool, err error) {
	path := credentialsFilePath()
	data, err := providers.ReadCredentialFile(context.Background(), path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", false, nil
	}
	source = fmt.Sprintf("credentials file %s, profile %q", path, name)
	if err != nil {
		return nil, source, true, err
	}
	f, err := ini.Load(data)
	if err != nil {
		return nil, source, true, fmt.Errorf("reading %s: %w", path, err)
	}
	sec, err := f.GetSection(name)
	if err != nil {
		return nil, "", false, nil
	}
	get := func(k string) string { return sec.Key(k).String() }
	switch typ := get("type"); typ {
	case "access_key":
		p, err = credp.NewStaticAKCredentialsProviderBuilder().WithAccessKeyId(get("access_key_id")).WithAccessKeySecret(get("access_key_secret")).Build()
		if err == nil && (get("access_key_id") == "" || get("access_key_secret") == "") {
			err = errors.New("access_key_id and access_key_secret must both be set")
		}
	case "ram_role_arn":
		source += " (RAM role " + get("role_arn") + ")"
		var prev credp.CredentialsProvider
		prev, err = credp.NewStaticAKCredentialsProviderBuilder().WithAccessKeyId(get("access_key_id")).WithAccessKeySecret(get("access_key_secret")).Build()
		if err == nil {
			p, err = credp.NewRAMRoleARNCredentialsProviderBuilder().
				WithCredentialsProvider(prev).
				WithRoleArn(get("role_arn")).
				WithRoleSessionName(sessionNameOr(get("role_session_name"))).
				WithPolicy(get("policy")).
				WithExternalId(get("external_id")).
				WithStsEndpoint(c.stsEndpoint).
				Build()
		}
		if err == nil && get("role_arn") == "" {
			err = errors.New("role_arn is empty")
		}
	case "ecs_ram_role":
		source += " (ECS RAM role " + get("role_name") + ")"
		p, err = credp.NewECSRAMRoleCredentialsProviderBuilder().WithRoleName(get("role_name")).Build()
	default:
		err = fmt.Errorf("type %q is not access_key, ram_role_arn or ecs_ram_role", typ)
	}
	if err != nil {
		return nil, source, true, fmt.Errorf("%s: %w", source, err)
	}
	return p, source, true, nil
}

// cliProfile finds a profile of the Alibaba Cloud CLI's configuration
// (name "" is its current profile) and hands it to credentials-go's
// CLIProfileCredentialsProvider, which reads every mode the CLI writes.
// found is false when the file or the profile does not exist.
func cliProfile(name string) (p credp.CredentialsProvider, source string, found bool, err error) {
	path := cliConfigPath()
	data, err := providers.ReadCredentialFile(context.Background(), path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", false, nil
	}
	source = fmt.Sprintf("CLI configuration %s", path)
	if err != nil {
		return nil, source, true, err
	}
	var conf struct {
		Current  string `json:"current"`
		Profiles []struct {
			Name    string `json:"name"`
			Mode    string `json:"mode"`
			RoleARN string `json:"ram_role_arn"`
		} `json:"profiles"`
	}
	if err := json.Unmarshal(data, &conf); err != nil {
		return nil, source, true, fmt.Errorf("reading %s: %w", path, err)
	}
	if name == "" {
		name = conf.Current
	}
	for _, pr := range conf.Profiles {
		if pr.Name != name {
			continue
		}
		source = fmt.Sprintf("CLI configuration %s, profile %q (mode %s)", path, name, pr.Mode)
		if pr.RoleARN != "" {
			source = fmt.Sprintf("CLI configuration %s, profile %q (mode %s, RAM role %s)", path, name, pr.Mode, pr.RoleARN)
		}
		p, err = credp.NewCLIProfileCredentialsProviderBuilder().WithProfileFile(path).WithProfileName(name).Build()
		if err != nil {
			return nil, source, true, fmt.Errorf("%s: %w", source, err)
		}
		return p, source, true, nil
	}
	return nil, "", false, nil
}

// credProblems are what validate reports of a provider block's
// credential settings.
func credProblems(c credConfig, rawSTS string) []string {
	var pp []string
	if (c.ak == "") != (c.secret == "") {
		pp = append(pp, "access_key_id and access_key_secret must be set together")
	}
	if c.token != "" && c.ak == "" {
		pp = append(pp, "security_token needs access_key_id and access_key_secret")
	}
	if strings.HasPrefix(rawSTS, "http://") {
		pp = append(pp, fmt.Sprintf("sts_endpoint %q must be https: credentials-go speaks only https to STS", rawSTS))
	}
	if a := c.assume; a != nil {
		if a.roleARN != "" && !roleARN.MatchString(a.roleARN) {
			pp = append(pp, fmt.Sprintf("assume_role: role_arn %q is not of the form acs:ram::ACCOUNT_ID:role/NAME", a.roleARN))
		}
		if a.sessionName != "" && !sessionName.MatchString(a.sessionName) {
			pp = append(pp, fmt.Sprintf("assume_role: session_name %q must be 2-64 letters, digits, '.', '@', '-' or '_'", a.sessionName))
		}
		if a.duration != 0 && (a.duration < 900 || a.duration > 43200) {
			pp = append(pp, fmt.Sprintf("assume_role: duration_seconds %d is not between 900 and 43200", a.duration))
		}
	}
	return pp
}
