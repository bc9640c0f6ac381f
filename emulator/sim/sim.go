// Package sim is the provider-neutral core of fnprobe's emulator: the
// registry of emulated functions with their versions and aliases, the
// built-in behaviours, the credential store, background async tasks, fault
// injection and a settable clock.
//
// It knows no cloud's wire format. Each provider package contributes a
// Provider: the URL patterns it serves and an http.Handler built over an
// *Env. Server multiplexes them on one port.
package sim

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Behavior names a built-in function behaviour.
type Behavior string

// Built-in behaviours.
const (
	Echo    Behavior = "echo"    // returns the payload
	Fail    Behavior = "fail"    // the function fails with Message
	Sleep   Behavior = "sleep"   // waits Sleep, then echoes
	Counter Behavior = "counter" // returns {"count":N}, N counting invocations of the function
	Command Behavior = "command" // runs a local command: payload on stdin, stdout body, stderr log
)

// Behaviors lists the valid behaviours, for validation and documentation.
func Behaviors() []Behavior { return []Behavior{Echo, Fail, Sleep, Counter, Command} }

// Latest is the qualifier an unqualified invocation executes.
const Latest = "LATEST"

// Fault describes the faults injected into one function's invocations.
// Rates are probabilities in [0, 1], drawn from the Env's seeded source.
type Fault struct {
	Latency        time.Duration // added before every answer
	ErrorRate      float64       // the service answers an internal error (HTTP 500)
	ThrottleRate   float64       // the service throttles the call
	ThrottleStatus int           // 429 (default) or 503
	RetryAfter     time.Duration // Retry-After on throttling; 0 sends none
	DropRate       float64       // the connection is closed without an answer
	TruncateRate   float64       // the body is cut short of its Content-Length
}

// FunctionSpec declares one emulated function.
type FunctionSpec struct {
	// Name is the provider-neutral function name, unique in the emulator.
	Name string
	// Service is the Alibaba Cloud FC 2.0 service the function lives in;
	// "" means "default". Other providers ignore it.
	Service string
	// Behavior is what the function does; "" means Echo.
	Behavior Behavior
	// Message is the error message of a Fail function.
	Message string
	// Sleep is how long a Sleep function waits.
	Sleep time.Duration
	// Command is the argv of a Command function; Dir its working directory.
	Command []string
	Dir     string
	// Versions are the published versions (besides LATEST); Aliases map an
	// alias name to one of them (or LATEST), its primary version.
	Versions []string
	Aliases  map[string]string
	// AliasWeights makes aliases weighted, the way the clouds route
	// traffic (Lambda's RoutingConfig.AdditionalVersionWeights, FC's
	// additionalVersionWeight, FunctionGraph's additional_version_weights):
	// alias name → additional version → the share of its invocations, in
	// [0, 1]. The alias's primary version gets the rest. Each alias must be
	// in Aliases, each additional version in Versions, and the weights of
	// one alias must sum to at most 1.
	AliasWeights map[string]map[string]float64
	// MemoryMB is the memory usage reported; 0 means 32.
	MemoryMB float64
	// Fault is injected into every invocation.
	Fault Fault
}

// Credential is an access key (or token) the emulator accepts.
type Credential struct {
	// Provider scopes the credential: "alicloud", "huaweicloud", ...
	Provider      string
	AccessKeyID   string
	Secret        string
	SecurityToken string // when set, requests must carry it

	// Token, when set, makes this a token credential instead of (or as
	// well as) an access key: a bearer token (Tencent CloudBase) or an IAM
	// token sent as X-Auth-Token (Huawei Cloud). Look it up with Env.Token.
	Token string
	// Expired marks a credential the service knows but no longer accepts
	// (an expired access token or session token).
	Expired bool
	// ProjectID is the Huawei Cloud project the credential is valid for;
	// "" accepts any project.
	ProjectID string
	// Region is the region the credential is valid for (AWS, Huawei
	// Cloud); "" accepts any region.
	Region string
	// AccountID is the AWS account the credential belongs to; "" means
	// 123456789012.
	AccountID string
	// Expires, when set, is when a temporary credential (IssueCredential)
	// stops being accepted: Credential reports it Expired from then on.
	Expires time.Time
}

// Options configure an Env.
type Options struct {
	// Seed makes fault injection deterministic (per function).
	Seed        uint64
	Functions   []FunctionSpec
	Credentials []Credential
	// Now is the emulator's clock; nil means time.Now. Env.SetClock changes
	// it later.
	Now func() time.Time
}

// Env is the emulator's shared state. It is safe for concurrent use.
type Env struct {
	seed      uint64
	functions map[string]*Function
	creds     map[string]Credential // provider + "\x00" + access key id
	tokens    map[string]Credential // provider + "\x00" + token
	tokenList []Credential          // the token credentials, in configuration order

	clockMu sync.RWMutex
	now     func() time.Time

	ids atomic.Uint64

	tasks taskStore

	nonces nonceSet

	issued issuedStore
}

// New builds an Env from options; it reports invalid options as errors.
func New(opts Options) (*Env, error) {
	e := &Env{
		seed:      opts.Seed,
		functions: make(map[string]*Function, len(opts.Functions)),
		creds:     make(map[string]Credential, len(opts.Credentials)),
		tokens:    make(map[string]Credential),
		now:       opts.Now,
	}
	if e.now == nil {
		e.now = time.Now
	}
	e.tasks.init()
	for _, spec := range opts.Functions {
		f, err := newFunction(spec, opts.Seed)
		if err != nil {
			return nil, err
		}
		if _, dup := e.functions[f.spec.Name]; dup {
			return nil, fmt.Errorf("function %q declared twice", spec.Name)
		}
		e.functions[f.spec.Name] = f
	}
	for _, c := range opts.Credentials {
		if c.Token != "" {
			e.tokens[c.Provider+"\x00"+c.Token] = c
			e.tokenList = append(e.tokenList, c)
			if c.AccessKeyID == "" {
				continue
			}
		}
		if c.AccessKeyID == "" {
			return nil, fmt.Errorf("credential for %q has no access key id", c.Provider)
		}
		e.creds[c.Provider+"\x00"+c.AccessKeyID] = c
	}
	return e, nil
}

// Close stops every running async task and waits for them.
func (e *Env) Close() { e.tasks.close() }

// Now returns the emulator's current time.
func (e *Env) Now() time.Time {
	e.clockMu.RLock()
	defer e.clockMu.RUnlock()
	return e.now()
}

// SetClock replaces the emulator's clock (nil restores time.Now). Tests use
// it to provoke clock-skew rejections.
func (e *Env) SetClock(now func() time.Time) {
	if now == nil {
		now = time.Now
	}
	e.clockMu.Lock()
	defer e.clockMu.Unlock()
	e.now = now
}

// Credential looks up an access key id for a provider: a configured
// credential, or a temporary one the emulated STS issued.
func (e *Env) Credential(provider, accessKeyID string) (Credential, bool) {
	if c, ok := e.creds[provider+"\x00"+accessKeyID]; ok {
		return c, true
	}
	return e.lookupIssued(provider, accessKeyID)
}

// Function returns the function with the given name.
func (e *Env) Function(name string) (*Function, bool) {
	f, ok := e.functions[name]
	return f, ok
}

// HasService reports whether any function lives in the FC 2.0 service.
func (e *Env) HasService(service string) bool {
	for _, f := range e.functions {
		if f.Service() == service {
			return true
		}
	}
	return false
}

// Functions returns every function, sorted by name.
func (e *Env) Functions() []*Function {
	out := make([]*Function, 0, len(e.functions))
	for _, f := range e.functions {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].spec.Name < out[j].spec.Name })
	return out
}

// NewID returns a fresh identifier, unique within this Env, made of the
// current time and a counter: "64e70cf1-000000000001".
func (e *Env) NewID() string {
	return fmt.Sprintf("%08x-%012x", e.Now().Unix(), e.ids.Add(1))
}

// Provider is one cloud's emulated API.
type Provider interface {
	// Name is the provider type, e.g. "alicloud_fc3".
	Name() string
	// Patterns are the http.ServeMux patterns it serves, e.g. "/2023-03-30/".
	Patterns() []string
	// Handler serves the patterns over the given Env.
	Handler(env *Env) http.Handler
}

// Auxiliary is implemented by an emulated service that no driver invokes
// (a security token service, container credentials, instance metadata,
// an SSO portal: reached through a driver's credential chain): it has no
// Binding. AuxiliaryTo names the credential kind it
// serves, e.g. "alicloud".
type Auxiliary interface {
	AuxiliaryTo() string
}

// Server is an http.Handler serving every registered provider on its own
// path prefix. It gives every request a body read deadline and writes one
// access log line per request.
type Server struct {
	env         *Env
	mux         *http.ServeMux
	log         *slog.Logger
	bodyTimeout time.Duration
	budget      *bodyBudget
}

// NewServer builds a Server over env for the given providers. It logs
// nothing and sets no body read deadline until told to (SetAccessLog,
// SetBodyReadTimeout).
func NewServer(env *Env, providers ...Provider) *Server {
	s := &Server{env: env, mux: http.NewServeMux()}
	for _, p := range providers {
		h := tagged{name: p.Name(), h: p.Handler(env)}
		for _, pat := range p.Patterns() {
			s.mux.Handle(pat, h)
		}
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, "{\"error\":\"fnprobe emulator: no emulated API serves %s %s\"}\n", r.Method, jsonEscape(r.URL.Path))
	})
	return s
}

// SetAccessLog makes the server log every request on l (nil: none). Call
// it before serving.
func (s *Server) SetAccessLog(l *slog.Logger) { s.log = l }

// SetBodyReadTimeout bounds the time a handler may spend reading a request
// body, from the moment it is handed the request; 0 means no bound. Call
// it before serving.
func (s *Server) SetBodyReadTimeout(d time.Duration) { s.bodyTimeout = d }

// tagged names the provider serving a request, for the access log.
type tagged struct {
	name string
	h    http.Handler
}

func (t tagged) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if x, ok := w.(*exchange); ok {
		x.provider = t.name
	}
	t.h.ServeHTTP(w, r)
}

// Env returns the server's state.
func (s *Server) Env() *Env { return s.env }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	x := &exchange{ResponseWriter: w}
	if r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
		rc := http.NewResponseController(w)
		if s.bodyTimeout > 0 {
			_ = rc.SetReadDeadline(start.Add(s.bodyTimeout))
		}
		orig := r.Body
		x.body = &trackedBody{ReadCloser: orig, rc: rc}
		r.Body = x.body
		// net/http looks at the request's own body after the handler to
		// decide on a graceful close (FIN, then a pause for the client to
		// read the answer, rather than a reset): give it back.
		defer func(r *http.Request) { r.Body = orig }(r)
		if s.budget != nil {
			var deadline time.Time
			if s.bodyTimeout > 0 {
				deadline = start.Add(s.bodyTimeout)
			}
			var release func()
			r, release = s.budget.withAccount(r, deadline)
			defer release()
		}
	}
	if s.log != nil {
		defer func() { s.logRequest(r, x, time.Since(start)) }()
	}
	s.mux.ServeHTTP(x, r)
}

func jsonEscape(s string) string {
	out := make([]byte, 0, len(s))
	for _, c := range []byte(s) {
		switch {
		case c == '"' || c == '\\':
			out = append(out, '\\', c)
		case c < 0x20:
			out = append(out, ' ')
		default:
			out = append(out, c)
		}
	}
	return string(out)
}

// Function is one emulated function.
type Function struct {
	spec       FunctionSpec
	instanceID string

	mu       sync.Mutex // guards count, rng, routeRNG and warm
	count    int
	warm     map[string]bool // versions that have run: their next call is warm
	rng      *rand.Rand      // faults
	routeRNG *rand.Rand      // weighted aliases
	routes   map[string][]route
}

func newFunction(spec FunctionSpec, seed uint64) (*Function, error) {
	if spec.Name == "" {
		return nil, fmt.Errorf("function without a name")
	}
	if spec.Behavior == "" {
		spec.Behavior = Echo
	}
	valid := false
	for _, b := range Behaviors() {
		valid = valid || b == spec.Behavior
	}
	if !valid {
		return nil, fmt.Errorf("function %q: unknown behavior %q", spec.Name, spec.Behavior)
	}
	if spec.Behavior == Command && len(spec.Command) == 0 {
		return nil, fmt.Errorf("function %q: behavior \"command\" needs a command", spec.Name)
	}
	if spec.Service == "" {
		spec.Service = "default"
	}
	if spec.MemoryMB == 0 {
		spec.MemoryMB = 32
	}
	if spec.Fault.ThrottleStatus == 0 {
		spec.Fault.ThrottleStatus = http.StatusTooManyRequests
	}
	for alias, v := range spec.Aliases {
		if !contains(spec.Versions, v) && v != Latest {
			return nil, fmt.Errorf("function %q: alias %q points to undeclared version %q", spec.Name, alias, v)
		}
	}
	routes, err := routing(spec)
	if err != nil {
		return nil, err
	}
	h := fnv.New64a()
	h.Write([]byte(spec.Name))
	sum := h.Sum64()
	return &Function{
		spec:       spec,
		instanceID: fmt.Sprintf("c-%016x", sum),
		rng:        rand.New(rand.NewPCG(seed, sum)),
		// Routing draws from a stream of its own, seeded like the fault
		// stream, so that weighting an alias leaves the faults drawn for
		// the same seed unchanged.
		routeRNG: rand.New(rand.NewPCG(seed, sum^routeStream)),
		routes:   routes,
	}, nil
}

// routeStream separates the routing stream of a function from its fault
// stream.
const routeStream = 0x9e3779b97f4a7c15

// weightSlack absorbs rounding in a sum of weights written in decimal
// (0.1 + 0.2 + 0.7 is 1.0000000000000002).
const weightSlack = 1e-9

// route is one additional version of a weighted alias.
type route struct {
	version string
	upTo    float64 // cumulative weight: a draw below it picks version
}

// routing validates spec.AliasWeights and turns each alias's weights into
// cumulative routes, in version order so that a seed gives the same draws.
func routing(spec FunctionSpec) (map[string][]route, error) {
	if len(spec.AliasWeights) == 0 {
		return nil, nil
	}
	out := make(map[string][]route, len(spec.AliasWeights))
	for alias, weights := range spec.AliasWeights {
		primary, ok := spec.Aliases[alias]
		if !ok {
			return nil, fmt.Errorf("function %q: weights for alias %q, which is not declared", spec.Name, alias)
		}
		versions := make([]string, 0, len(weights))
		for v := range weights {
			versions = append(versions, v)
		}
		sort.Strings(versions)
		var rs []route
		total := 0.0
		for _, v := range versions {
			w := weights[v]
			switch {
			case !contains(spec.Versions, v):
				return nil, fmt.Errorf("function %q: alias %q weighs undeclared version %q", spec.Name, alias, v)
			case v == primary:
				return nil, fmt.Errorf("function %q: alias %q weighs its own version %q", spec.Name, alias, v)
			case !(w >= 0 && w <= 1):
				return nil, fmt.Errorf("function %q: alias %q: weight %v of version %q is not in [0, 1]", spec.Name, alias, w, v)
			}
			total += w
			if w > 0 {
				rs = append(rs, route{version: v, upTo: total})
			}
		}
		if total > 1+weightSlack {
			return nil, fmt.Errorf("function %q: alias %q: the weights sum to %v, more than 1", spec.Name, alias, total)
		}
		if len(rs) > 0 {
			out[alias] = rs
		}
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Name returns the function's name.
func (f *Function) Name() string { return f.spec.Name }

// Service returns the FC 2.0 service the function lives in.
func (f *Function) Service() string { return f.spec.Service }

// InstanceID returns the (stable) id of the function's emulated instance.
func (f *Function) InstanceID() string { return f.instanceID }

// Fault returns the function's fault configuration.
func (f *Function) Fault() Fault { return f.spec.Fault }

// QualifierError reports a version or alias that does not exist.
type QualifierError struct {
	Function, Qualifier string
	Alias               bool // the qualifier is not a version number, so it named an alias
}

func (e *QualifierError) Error() string {
	if e.Alias {
		return fmt.Sprintf("alias '%s' does not exist", e.Qualifier)
	}
	return fmt.Sprintf("version '%s' does not exist", e.Qualifier)
}

// Resolve maps a qualifier ("" and "LATEST", a version, or an alias) to the
// version this invocation executes, or returns a *QualifierError. For a
// weighted alias the version is drawn per call from the function's seeded
// routing source: additional version v with probability AliasWeights[alias][v],
// the alias's primary version otherwise. Call it once per invocation.
func (f *Function) Resolve(qualifier string) (string, error) {
	switch {
	case qualifier == "" || qualifier == Latest:
		return Latest, nil
	case contains(f.spec.Versions, qualifier):
		return qualifier, nil
	}
	if v, ok := f.spec.Aliases[qualifier]; ok {
		if rs := f.routes[qualifier]; len(rs) > 0 {
			f.mu.Lock()
			u := f.routeRNG.Float64()
			f.mu.Unlock()
			for _, r := range rs {
				if u < r.upTo {
					return r.version, nil
				}
			}
		}
		return v, nil
	}
	numeric := qualifier != ""
	for _, c := range qualifier {
		numeric = numeric && c >= '0' && c <= '9'
	}
	return "", &QualifierError{Function: f.spec.Name, Qualifier: qualifier, Alias: !numeric}
}

// Decision is the fault drawn for one invocation.
type Decision struct {
	Latency    time.Duration
	Error      bool
	Throttle   bool
	Status     int           // throttle status
	RetryAfter time.Duration // throttle Retry-After, 0 for none
	Drop       bool
	Truncate   bool
}

// Decide draws the faults for one invocation from the function's seeded
// source. At most one of Drop, Throttle, Error holds (checked in that order);
// Truncate may accompany none of them.
func (f *Function) Decide() Decision {
	ft := f.spec.Fault
	d := Decision{Latency: ft.Latency, Status: ft.ThrottleStatus, RetryAfter: ft.RetryAfter}
	f.mu.Lock()
	defer f.mu.Unlock()
	hit := func(rate float64) bool {
		if rate <= 0 {
			return false
		}
		return f.rng.Float64() < rate
	}
	switch {
	case hit(ft.DropRate):
		d.Drop = true
	case hit(ft.ThrottleRate):
		d.Throttle = true
	case hit(ft.ErrorRate):
		d.Error = true
	case hit(ft.TruncateRate):
		d.Truncate = true
	}
	return d
}

// Wait sleeps for the decision's latency, or until ctx is done.
func (d Decision) Wait(ctx context.Context) error {
	if d.Latency <= 0 {
		return nil
	}
	t := time.NewTimer(d.Latency)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
