// Package providers defines the driver interface that every provider type
// implements, and the registry the rest of fnprobe looks drivers up in.
//
// A driver knows one cloud's wire format: how to address a function, how to
// sign a request, and how to map the answer onto the common result shape. It
// knows nothing about graphs, assertions or reports. Each provider type lives
// in its own sub-package (providers/local, providers/http, ...).
package providers

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"
)

// Invocation types a driver may support.
const (
	TypeSync   = "sync"
	TypeAsync  = "async"
	TypeDryRun = "dry_run"
)

// Schema is what a provider type declares about its configuration.
type Schema struct {
	// Provider describes the body of a `provider "TYPE"` block. The `alias`
	// attribute is handled by fnprobe and must not appear here.
	Provider hcldec.ObjectSpec
	// Function describes the provider-specific part of a `function` block body
	// (everything except `provider` and `for_each`).
	Function hcldec.ObjectSpec
	// Sensitive names provider attributes that hold secrets. Their values are
	// redacted from every output, and they are never exposed to expressions.
	Sensitive []string
	// SecretEnv names the environment variables the driver falls back to
	// for secrets; fnprobe redacts their values from every output too.
	SecretEnv []string
	// Types lists the invocation types the provider supports (TypeSync, ...).
	Types []string
	// Wait reports whether the provider can poll an async task to completion
	// (`wait = true`).
	Wait bool
	// Addressing reports whether the provider honours an invocation's
	// run-time addressing: Request.Path, Request.Query and Request.Method.
	// fnprobe rejects those arguments at validate for the others.
	Addressing bool
}

// Request is one attempt at invoking a function.
type Request struct {
	// Provider is the decoded provider block: an object conforming to
	// Schema.Provider, fully known and unmarked.
	Provider cty.Value
	// Function is the decoded function block: an object conforming to
	// Schema.Function, fully known and unmarked.
	Function cty.Value
	// Payload is the request body, sent as is.
	Payload []byte
	// Type is one of TypeSync, TypeAsync, TypeDryRun.
	Type string
	// Logs asks for the provider's log tail.
	Logs bool
	// Wait asks an async invocation to poll until the task reaches a
	// terminal state and fill the result from it.
	Wait bool
	// Headers are extra request headers given by the user.
	Headers map[string]string
	// Path, Query and Method are the invocation's run-time addressing
	// (only for drivers whose Schema says Addressing): a path appended
	// below the function's URL, query parameters merged into it, and a
	// method that overrides the function's. Empty means unset.
	Path   string
	Query  map[string]string
	Method string
	// BaseDir is the directory of the file that declares the function;
	// drivers resolve relative paths against it.
	BaseDir string
	// Budget is the run's memory budget for response bodies (see Budget);
	// nil bounds nothing. Drivers read bodies with wire.ReadBody, which
	// draws on it, and hand the hold to the executor in Result.Release.
	Budget *Budget
	// Secrets receives every secret the driver learns while it runs and
	// that the suite did not name: keys read from a credentials file,
	// temporary credentials from STS or instance metadata. Every output
	// redacts them from then on. nil drops them (tests).
	Secrets SecretSink
}

// SecretSink receives secrets to redact (spec.Redactor implements it).
type SecretSink interface {
	Add(secrets ...string)
}

// AddSecrets hands secrets to req.Secrets when there is one.
func (req *Request) AddSecrets(secrets ...string) {
	if req != nil && req.Secrets != nil {
		req.Secrets.Add(secrets...)
	}
}

// Result is a driver's answer, mapped onto the common result object. The
// executor adds duration_ms, attempts and json.
type Result struct {
	Status       int               // HTTP status of the invoke API response
	Error        bool              // the function itself failed
	ErrorType    string            // provider's word for the function error
	ErrorCode    string            // API-level error code (the invoke API refused)
	ErrorMessage string            // API-level error message
	Body         []byte            // function result, unwrapped from envelopes
	Headers      map[string]string // response headers, lower-case names
	Log          string            // decoded log tail
	RequestID    string
	InstanceID   string
	Version      string // executed version or alias
	AsyncID      string

	FunctionDurationMs *float64
	BilledDurationMs   *float64
	MemoryMB           *float64
	// ColdStart says whether the call started a new instance, where the
	// provider reveals it (Lambda's "Init Duration" in the log tail); nil
	// where it does not.
	ColdStart *bool

	// Transient marks an answer that should be retried per the retry policy:
	// throttling (429, a throttling error code) or an unavailable service
	// (5xx from the invoke API, not from the function).
	Transient bool
	// RetryAfter is the wait the service asked for (Retry-After and
	// equivalents), zero when none.
	RetryAfter time.Duration

	// Release, when set, returns the memory Body holds to the run's
	// Budget. The executor calls it once it is done with the answer; it
	// may be called more than once.
	Release func()
}

// Free calls r.Release when r and its Release are set.
func (r *Result) Free() {
	if r != nil && r.Release != nil {
		r.Release()
	}
}

// Driver is one provider type.
type Driver interface {
	// Schema describes the provider and function bodies.
	Schema() Schema
	// Invoke makes one attempt. A non-nil error means the call could not be
	// made or answered (transport failure, timeout, garbled answer); every
	// answer the service gave, errors included, is a Result. An error that
	// retrying cannot heal is wrapped with Permanent.
	Invoke(ctx context.Context, req *Request) (*Result, error)
}

// FunctionValidator is implemented by drivers that can check a function's
// addressing before anything runs (name rules, URN forms ...). It returns a
// message per problem, keyed by the attribute name it concerns ("" for the
// block as a whole).
type FunctionValidator interface {
	ValidateFunction(provider, function cty.Value) map[string]string
}

// Target is where an invocation goes, as the plan shows it: the endpoint
// called (the function's URL, or the cloud's API endpoint), the region and
// the qualifier (version or alias). Empty fields are unknown or do not
// apply.
type Target struct {
	Endpoint  string
	Method    string
	Region    string
	Qualifier string
}

// Describer is implemented by drivers that can say where a request goes
// before anything is sent. req carries Provider, Function and the
// invocation's addressing known before the run; Payload is not set.
type Describer interface {
	Describe(req *Request) Target
}

// CredentialSourcer is implemented by drivers whose credentials come from
// a chain (the provider block, the environment, files, roles, metadata).
// CredentialSource names, for `plan`, the source a provider block's
// credentials will come from: "provider block", "environment
// (AWS_ACCESS_KEY_ID)", "shared config profile \"ci\" (assume role
// arn:aws:iam::123456789012:role/deploy)", "instance metadata" ... It
// reads local files and the environment only, never the network, and
// never returns a secret. An error is a source that cannot work (a
// profile that does not exist); plan shows it and run fails the same way.
type CredentialSourcer interface {
	CredentialSource(ctx context.Context, provider cty.Value) (string, error)
}

// AddressingValidator is implemented by drivers with Schema.Addressing
// that can check an invocation's path, query and method before anything
// runs. req carries Provider, Function and the addressing known before the
// run (unset or unknown parts are empty). It returns a message per
// problem, keyed by "path", "query" or "method".
type AddressingValidator interface {
	ValidateAddressing(req *Request) map[string]string
}

// Closer is implemented by drivers that hold resources (idle connections).
type Closer interface {
	Close() error
}

// Registry maps provider type names to drivers. It is built by main and
// passed down; there is no global registry.
type Registry map[string]Driver

// Lookup returns the driver for a provider type.
func (r Registry) Lookup(typ string) (Driver, error) {
	d, ok := r[typ]
	if !ok {
		return nil, fmt.Errorf("unsupported provider type %q", typ)
	}
	return d, nil
}

// Types returns the registered provider type names, sorted.
func (r Registry) Types() []string {
	names := make([]string, 0, len(r))
	for n := range r {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// TypeError is returned by Invoke when the request's invocation type is not
// supported by the provider. Drivers should prefer rejecting it at validate
// time through Schema.Types, which fnprobe checks.
type TypeError struct{ Provider, Type string }

func (e *TypeError) Error() string {
	return fmt.Sprintf("provider %s does not support invocation type %q", e.Provider, e.Type)
}
