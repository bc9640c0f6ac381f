package huawei

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/fnprobe/fnprobe/limits"
	"github.com/fnprobe/fnprobe/providers"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/provider"
	"github.com/zclconf/go-cty/cty"
	"gopkg.in/ini.v1"
)

// The environment variables the SDK's credential providers read
// (core/auth/provider: env_provider.go, profile_provider.go,
// pod_identity_provider.go).
const (
	EnvAccessKey     = "HUAWEICLOUD_SDK_AK"
	EnvSecretKey     = "HUAWEICLOUD_SDK_SK"
	EnvSecurityToken = "HUAWEICLOUD_SDK_SECURITY_TOKEN"
	EnvProjectID     = "HUAWEICLOUD_SDK_PROJECT_ID"
	// EnvCredentialsFile overrides the profile file ~/.huaweicloud/credentials.
	EnvCredentialsFile = "HUAWEICLOUD_SDK_CREDENTIALS_FILE"
	// EnvIdpID and EnvIDTokenFile select federated (OIDC) identity, which
	// fnprobe does not support: it needs the SDK's IAM client.
	EnvIdpID       = "HUAWEICLOUD_SDK_IDP_ID"
	EnvIDTokenFile = "HUAWEICLOUD_SDK_ID_TOKEN_FILE"
	// EnvPodIdentityURI and EnvPodIdentityTokenFile select CCE pod
	// identity: the SDK posts the token file's content to the URI and gets
	// temporary credentials back.
	EnvPodIdentityURI       = "HC_CONTAINER_CREDENTIALS_FULL_URI"
	EnvPodIdentityTokenFile = "HC_CONTAINER_AUTHORIZATION_TOKEN_FILE"
	// EnvMetadataDisabled ("true") takes the ECS metadata service out of
	// the chain. The SDK has no such switch, nor a way to aim it anywhere
	// but 169.254.169.254 (short of HTTP_PROXY, which its client follows:
	// TestECSMetadataChain): tests and machines off Huawei Cloud set it so
	// that a missing credential fails at once, without a network probe.
	// The name is fnprobe's.
	EnvMetadataDisabled = "FNPROBE_HUAWEICLOUD_METADATA_DISABLED"
)

// ProfileSection is the only section of the profile file the SDK reads
// for FunctionGraph's (project-scoped, "basic") credentials: the SDK names
// the section after the credential type, so no other profile can be
// chosen.
const ProfileSection = "basic"

// credentialFileLimit bounds the profile file and the pod identity token
// file fnprobe reads: both are a few hundred bytes.
const credentialFileLimit = 64 << 10

// defaultProfileFile is the profile file the SDK reads, as plan shows it.
const defaultProfileFile = "~/.huaweicloud/credentials"

// sourceKind is where a provider block's credentials come from, in the
// order the chain tries them.
type sourceKind int

const (
	srcBlock sourceKind = iota
	srcEnv
	srcProfile
	srcPodIdentity
	srcMetadata
)

// source is the located source of a provider block's credentials: what
// plan shows and what Invoke resolves, read from the environment and files
// only.
type source struct {
	kind  sourceKind
	label string
	// path is the profile file, or the pod identity token file.
	path string
	// stamp changes when the profile file does (its size and mtime).
	stamp string
	// projectID is the profile's project_id, if any.
	projectID string
}

// creds are resolved credentials: an IAM token, or an access key with its
// secret and, for temporary credentials, a security token.
type creds struct {
	token, ak, sk, securityToken string
	projectID                    string
}

// blockHasCredentials reports whether the provider block sets credentials
// itself: they win over every other source.
func blockHasCredentials(p cty.Value) bool {
	return providers.String(p, "auth_token") != "" || providers.String(p, "access_key") != "" ||
		providers.String(p, "secret_key") != ""
}

// locate finds the source the chain will take for a provider block: the
// block, the environment, the profile file, CCE pod identity, else the ECS
// metadata service (unless FNPROBE_HUAWEICLOUD_METADATA_DISABLED). It reads the
// environment and local files, never the network, and returns no secret.
func (d *Driver) locate(ctx context.Context, p cty.Value) (source, error) {
	if blockHasCredentials(p) {
		return source{kind: srcBlock, label: "provider block"}, nil
	}
	ak, sk := os.Getenv(EnvAccessKey), os.Getenv(EnvSecretKey)
	switch {
	case ak != "" && sk != "":
		label := "environment (" + EnvAccessKey + ")"
		if os.Getenv(EnvSecurityToken) != "" {
			label = "environment (" + EnvAccessKey + ", temporary: " + EnvSecurityToken + ")"
		}
		return source{kind: srcEnv, label: label}, nil
	case ak != "":
		return source{}, fmt.Errorf("%s is set but %s is not", EnvAccessKey, EnvSecretKey)
	case sk != "":
		return source{}, fmt.Errorf("%s is set but %s is not", EnvSecretKey, EnvAccessKey)
	case os.Getenv(EnvIdpID) != "" || os.Getenv(EnvIDTokenFile) != "":
		return source{}, fmt.Errorf("federated identity (%s, %s) is not supported: set %s and %s, or use a profile file", EnvIdpID, EnvIDTokenFile, EnvAccessKey, EnvSecretKey)
	}
	src, found, err := d.creds.locateProfile(ctx)
	if err != nil || found {
		return src, err
	}
	uri, tokenFile := os.Getenv(EnvPodIdentityURI), os.Getenv(EnvPodIdentityTokenFile)
	switch {
	case uri != "" && tokenFile != "":
		return source{kind: srcPodIdentity, label: "CCE pod identity " + uri + " (temporary)", path: tokenFile}, nil
	case uri != "" || tokenFile != "":
		return source{}, fmt.Errorf("CCE pod identity needs both %s and %s", EnvPodIdentityURI, EnvPodIdentityTokenFile)
	}
	if metadataDisabled() {
		return source{}, fmt.Errorf("%w (the ECS metadata service is not asked: %s is set)", errNoCredentials, EnvMetadataDisabled)
	}
	return source{kind: srcMetadata, label: "ECS metadata (temporary)"}, nil
}

// errNoCredentials is the chain finding nothing.
var errNoCredentials = fmt.Errorf("no credentials: set auth_token, or access_key and secret_key, in the provider block; or %s and %s; or a [%s] section with ak and sk in %s",
	EnvAccessKey, EnvSecretKey, ProfileSection, defaultProfileFile)

// metadataDisabled reports whether EnvMetadataDisabled is set true.
func metadataDisabled() bool {
	v, err := strconv.ParseBool(os.Getenv(EnvMetadataDisabled))
	return err == nil && v
}

// locateProfile finds the profile file the SDK would read and reports
// whether its [basic] section holds an access key. A missing default file
// is no error; a file named by HUAWEICLOUD_SDK_CREDENTIALS_FILE must exist
// and hold one. The file is read (bounded: a FIFO or a huge file is
// refused, never read) and parsed only when its stamp, size and mtime,
// differs from that of the last read: c keeps the last result per file.
func (c *credCache) locateProfile(ctx context.Context) (source, bool, error) {
	path, display := os.Getenv(EnvCredentialsFile), ""
	explicit := path != ""
	if explicit {
		display = path + " (" + EnvCredentialsFile + ")"
	} else {
		home, err := os.UserHomeDir()
		if err != nil {
			return source{}, false, nil // no home: no profile file
		}
		path, display = filepath.Join(home, ".huaweicloud", "credentials"), defaultProfileFile
	}
	st, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) && !explicit {
		return source{}, false, nil
	}
	if err != nil {
		return source{}, false, fmt.Errorf("profile file %s: %w", display, err)
	}
	stamp := providers.FileStamp(st)
	key := profileKey{path: path, explicit: explicit}
	if err := ctx.Err(); err != nil {
		// As the read would have failed.
		return source{}, false, fmt.Errorf("profile file %s: %w", display, context.Cause(ctx))
	}
	if p, ok := c.profile(key, stamp); ok {
		return p.src, p.found, nil
	}
	src, found, err := readProfile(ctx, path, display, explicit)
	c.mu.Lock()
	c.profileReads++
	c.mu.Unlock()
	if err != nil {
		// Not kept: the file is read again, so that a fixed one is seen.
		return source{}, false, err
	}
	if found {
		src.stamp = stamp
	}
	c.keepProfile(key, located{stamp: stamp, src: src, found: found})
	return src, found, nil
}

// readProfile reads and parses the profile file at path (display is its
// name as errors show it), bounded.
func readProfile(ctx context.Context, path, display string, explicit bool) (source, bool, error) {
	b, err := limits.ReadFile(ctx, path, credentialFileLimit)
	if err != nil {
		return source{}, false, fmt.Errorf("profile file %s: %s", display, limits.Reason(err))
	}
	f, err := ini.Load(b)
	if err != nil {
		return source{}, false, fmt.Errorf("profile file %s: %w", display, err)
	}
	sec := f.Section(ProfileSection)
	if sec.Key("ak").String() == "" && sec.Key("idp_id").String() != "" {
		return source{}, false, fmt.Errorf("profile file %s: federated identity (idp_id, id_token_file) is not supported: set ak and sk in its [%s] section", display, ProfileSection)
	}
	if sec.Key("ak").String() == "" || sec.Key("sk").String() == "" {
		if explicit {
			return source{}, false, fmt.Errorf("profile file %s: no ak and sk in its [%s] section", display, ProfileSection)
		}
		return source{}, false, nil
	}
	label := fmt.Sprintf("profile file %s, profile %q", display, ProfileSection)
	if sec.Key("security_token").String() != "" {
		label += " (temporary)"
	}
	return source{
		kind: srcProfile, label: label, path: path,
		projectID: sec.Key("project_id").String(),
	}, true, nil
}

// profileKey names a profile file as locate reads it: a file named by
// HUAWEICLOUD_SDK_CREDENTIALS_FILE must hold credentials, the default one
// need not.
type profileKey struct {
	path     string
	explicit bool
}

// located is what locateProfile found in a profile file with a stamp.
type located struct {
	stamp string
	src   source
	found bool
}

// maxProfiles bounds the profile files a driver remembers: a run reads one
// or two, so past this the memory is dropped rather than grown.
const maxProfiles = 64

// profile returns what was located in the profile file k when it had
// stamp.
func (c *credCache) profile(k profileKey, stamp string) (located, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.profiles[k]
	return p, ok && p.stamp == stamp
}

// keepProfile remembers what was located in the profile file k.
func (c *credCache) keepProfile(k profileKey, p located) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.profiles[k]; !ok && len(c.profiles) >= maxProfiles || c.profiles == nil {
		c.profiles = map[profileKey]located{}
	}
	c.profiles[k] = p
}

// CredentialSource implements providers.CredentialSourcer.
func (d *Driver) CredentialSource(ctx context.Context, p cty.Value) (string, error) {
	src, err := d.locate(ctx, p)
	return src.label, err
}

// credCache keeps the credentials resolved for each source, so that a
// profile file is read and parsed again (by fnprobe and by the SDK) only
// when it changes and temporary credentials are fetched again only when
// the SDK finds them near expiry.
type credCache struct {
	mu      sync.Mutex
	entries map[string]*credEntry
	// profiles is the last located result of each profile file, with
	// its stamp.
	profiles map[profileKey]located
	// profileReads counts the reads of profile files (for tests).
	profileReads int
}

// credEntry is one source's credentials. lock (capacity 1) is held while
// the SDK resolves them: a waiter can give up when its context ends.
type credEntry struct {
	lock  chan struct{}
	stamp string
	sdk   *auth.BasicCredentials // temporary credentials the SDK refreshes
	creds creds
	ok    bool
	// err is the metadata service's failure, kept for the driver's
	// lifetime: off Huawei Cloud, every invocation would wait for it again.
	err error
}

func (c *credCache) entry(key string) *credEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]*credEntry{}
	}
	e, ok := c.entries[key]
	if !ok {
		e = &credEntry{lock: make(chan struct{}, 1)}
		c.entries[key] = e
	}
	return e
}

// resolve returns the credentials of a provider block, and the source they
// came from. Configuration faults (nothing found, a bad file) are
// Permanent; a failed fetch of temporary credentials is not.
func (d *Driver) resolve(ctx context.Context, p cty.Value) (creds, source, error) {
	src, err := d.locate(ctx, p)
	if err != nil && ctx.Err() != nil {
		return creds{}, src, fmt.Errorf("%s: %w", Type, context.Cause(ctx))
	}
	if err != nil {
		return creds{}, src, providers.Permanent(fmt.Errorf("%s: %w", Type, err), providers.ConfigHint)
	}
	if src.kind == srcBlock {
		return creds{
			token: providers.String(p, "auth_token"), ak: providers.String(p, "access_key"),
			sk: providers.String(p, "secret_key"), securityToken: providers.String(p, "security_token"),
		}, src, nil
	}
	var key string
	var fetch func(e *credEntry) (auth.ICredential, error)
	switch src.kind {
	case srcEnv:
		// Nothing to cache: the environment is read anew.
		c, err := sdkCredentials(provider.BasicCredentialEnvProvider().GetCredentials())
		if err != nil {
			return creds{}, src, providers.Permanent(fmt.Errorf("%s: credentials from the environment: %w", Type, err), providers.ConfigHint)
		}
		return c, src, nil
	case srcProfile:
		key = "profile\x00" + src.path
		fetch = func(*credEntry) (auth.ICredential, error) {
			return provider.BasicCredentialProfileProvider().GetCredentials()
		}
	case srcPodIdentity:
		key = "pod\x00" + os.Getenv(EnvPodIdentityURI) + "\x00" + src.path
		// The SDK reads the token file unbounded (at every fetch of
		// temporary credentials): check it first, by its metadata only —
		// its content is the SDK's to read. Unlike
		// providers.CheckCredentialFiles, a missing file is refused here,
		// and with this package's tighter bound.
		if ctx.Err() != nil {
			return creds{}, src, fmt.Errorf("%s: %w", Type, context.Cause(ctx))
		}
		if err := limits.CheckFile(src.path, credentialFileLimit); err != nil {
			return creds{}, src, providers.Permanent(fmt.Errorf("%s: CCE pod identity token file %s: %s", Type, src.path, limits.Reason(err)), providers.ConfigHint)
		}
		fetch = func(e *credEntry) (auth.ICredential, error) {
			return refresh(e, provider.BasicCredentialPodIdentityProvider())
		}
	case srcMetadata:
		key = "metadata"
		fetch = func(e *credEntry) (auth.ICredential, error) {
			ic, err := refresh(e, provider.BasicCredentialMetadataProvider())
			if err != nil && e.sdk == nil {
				// Never answered: not an ECS instance with an agency.
				e.err = providers.Permanent(fmt.Errorf("%s: %w; or run on an ECS instance with an agency (the ECS metadata service, tried last, answered: %w)", Type, errNoCredentials, err), providers.ConfigHint)
			}
			return ic, err
		}
	}
	e := d.creds.entry(key)
	c, err := e.get(ctx, src.stamp, fetch)
	var pe *providers.PermanentError
	if errors.As(err, &pe) {
		return creds{}, src, err
	}
	if err != nil {
		err = fmt.Errorf("%s: credentials from %s: %w", Type, src.label, err)
		if src.kind == srcProfile {
			err = providers.Permanent(err, providers.ConfigHint)
		}
		return creds{}, src, err
	}
	return c, src, nil
}

// refresh returns the entry's temporary credentials, which the SDK fetches
// again once they are near expiry (ProcessSts), or asks p for new ones.
func refresh(e *credEntry, p provider.ICredentialProvider) (auth.ICredential, error) {
	if e.sdk != nil {
		if err := e.sdk.ProcessSts(nil); err != nil {
			return nil, err
		}
		return e.sdk, nil
	}
	return p.GetCredentials()
}

// get returns the entry's credentials when its stamp is current, else
// fetches them. The SDK's providers take no context: the fetch runs in its
// own goroutine (bounded by the SDK's HTTP timeouts, 3 s for metadata and
// 10 s for pod identity, and holding the entry), and get returns when ctx
// ends.
func (e *credEntry) get(ctx context.Context, stamp string, fetch func(*credEntry) (auth.ICredential, error)) (creds, error) {
	select {
	case e.lock <- struct{}{}:
	case <-ctx.Done():
		return creds{}, context.Cause(ctx)
	}
	if e.settled(stamp) {
		c, err := e.creds, e.err
		<-e.lock
		return c, err
	}
	<-e.lock
	return providers.Detached(ctx, e.lock, func() (creds, error) {
		if e.settled(stamp) { // another call fetched them meanwhile
			return e.creds, e.err
		}
		ic, err := fetch(e)
		var c creds
		if err == nil {
			c, err = sdkCredentials(ic, nil)
		}
		if err != nil {
			e.ok = false
			if e.err != nil {
				err = e.err
			}
			return creds{}, err
		}
		if b, ok := ic.(*auth.BasicCredentials); ok && b.StsAccessor != nil {
			e.sdk = b
		}
		e.creds, e.stamp, e.ok = c, stamp, true
		return c, nil
	})
}

// settled says the entry's answer stands for stamp: credentials that are
// current and not the SDK's temporary ones, or an error for good. The
// caller holds e.lock.
func (e *credEntry) settled(stamp string) bool {
	return e.ok && e.sdk == nil && e.stamp == stamp || e.err != nil
}

// sdkCredentials takes the access key, secret, security token and project
// from the SDK's answer.
func sdkCredentials(ic auth.ICredential, err error) (creds, error) {
	if err != nil {
		return creds{}, err
	}
	b, ok := ic.(*auth.BasicCredentials)
	if !ok {
		return creds{}, fmt.Errorf("the SDK answered %T, not basic credentials", ic)
	}
	if b.AK == "" || b.SK == "" {
		return creds{}, errors.New("the SDK answered no access key")
	}
	return creds{ak: b.AK, sk: b.SK, securityToken: b.SecurityToken, projectID: b.ProjectId}, nil
}
