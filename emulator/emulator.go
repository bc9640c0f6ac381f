// Package emulator is fnprobe's local stand-in for the clouds' invoke APIs:
// `fnprobe emulate`, and an in-process server for tests.
//
// The provider-neutral machinery (functions, behaviours, credentials, async
// tasks, faults, clock) lives in emulator/sim; each cloud's wire format
// lives in its provider package as a sim.Provider. This package assembles
// them, parses the HCL configuration (see README.md) and runs the server.
package emulator

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/fnprobe/fnprobe/emulator/sim"
	"github.com/fnprobe/fnprobe/providers/alicloud"
	"github.com/fnprobe/fnprobe/providers/aws"
	"github.com/fnprobe/fnprobe/providers/huawei"
	"github.com/fnprobe/fnprobe/providers/tencent"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
)

// Server is the emulator's http.Handler.
type Server = sim.Server

// Providers returns the emulated APIs, one per cloud API. Adding a cloud is
// adding its sim.Provider here.
func Providers() []sim.Provider {
	return []sim.Provider{
		alicloud.FC2Emulator{},
		alicloud.FC3Emulator{},
		alicloud.STSEmulator{},
		alicloud.ECSMetadataEmulator{},
		aws.LambdaEmulator{},
		aws.STSEmulator{},
		aws.ContainerCredentialsEmulator{},
		aws.IMDSEmulator{},
		aws.SSOEmulator{},
		tencent.CloudBaseEmulator{},
		huawei.FunctionGraphEmulator{},
		huawei.ECSMetadataEmulator{},
	}
}

// DefaultConfig is what `fnprobe emulate` serves without -config: the
// documented demo credential and one function per built-in behaviour.
func DefaultConfig() *Config {
	return &Config{
		Seed: 1,
		Credentials: []sim.Credential{
			{Provider: "alicloud", AccessKeyID: "emulator", Secret: "emulator-secret"},
			{Provider: "aws", AccessKeyID: "emulator", Secret: "emulator-secret"},
			{Provider: "huaweicloud", AccessKeyID: "emulator", Secret: "emulator-secret"},
			{Provider: "huaweicloud", Token: "emulator-token"},
			{Provider: "tencent", Token: "emulator-token"},
		},
		Functions: []sim.FunctionSpec{
			{Name: "echo", Behavior: sim.Echo},
			{Name: "fail", Behavior: sim.Fail, Message: "emulated failure"},
			{Name: "sleep", Behavior: sim.Sleep, Sleep: 200 * time.Millisecond},
			{Name: "counter", Behavior: sim.Counter},
		},
	}
}

// NewServer builds a Server with every provider over a new Env. The caller
// closes the Env.
func NewServer(cfg Config) (*Server, error) {
	env, err := sim.New(cfg)
	if err != nil {
		return nil, err
	}
	return sim.NewServer(env, Providers()...), nil
}

// Running is an emulator started by Start.
type Running struct {
	// URL is the base URL, e.g. "http://127.0.0.1:41234".
	URL string
	// Env is the emulator's state: tests set its clock or read counters.
	Env *sim.Env

	srv *http.Server
}

// Options configure how Start serves, beyond the emulated functions and
// credentials.
type Options struct {
	// Limits are the server's limits; zero fields take DefaultLimits.
	Limits Limits
	// AccessLog receives one log/slog text line per request; nil logs
	// nothing.
	AccessLog io.Writer
}

// Start serves cfg on an ephemeral loopback port until Close, with the
// default limits and no access log.
func Start(cfg Config) (*Running, error) { return StartWith(cfg, Options{}) }

// StartWith serves cfg on an ephemeral loopback port until Close.
func StartWith(cfg Config, opts Options) (*Running, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	return startOn(ln, cfg, opts)
}

// startOn serves cfg on ln, which it closes on error or Close.
func startOn(ln net.Listener, cfg Config, opts Options) (*Running, error) {
	s, err := NewServer(cfg)
	if err != nil {
		_ = ln.Close()
		return nil, err
	}
	if opts.AccessLog != nil {
		s.SetAccessLog(sim.NewAccessLog(opts.AccessLog))
	}
	srv, _ := opts.Limits.serve(s, ln)
	return &Running{URL: "http://" + ln.Addr().String(), Env: s.Env(), srv: srv}, nil
}

// Close stops the server, its connections and its async tasks.
func (r *Running) Close() {
	_ = r.srv.Close()
	r.Env.Close()
}

// DiagnosticWriter renders configuration diagnostics on w, with snippets
// from files; the CLI passes one printing them as `fnprobe validate` does.
type DiagnosticWriter func(w io.Writer, diags hcl.Diagnostics, files map[string]*hcl.File)

// Command implements `fnprobe emulate -listen ADDR [-config FILE]`. It
// serves until ctx is cancelled and returns the exit code: 0 after a clean
// stop, 1 when it cannot listen or serve, 2 for bad flags or configuration.
// It logs every request on stderr, and warns there when it listens beyond
// loopback. Configuration diagnostics go through diags (nil: HCL's own
// text format).
func Command(ctx context.Context, args []string, stdout, stderr io.Writer, diags DiagnosticWriter) int {
	if diags == nil {
		diags = func(w io.Writer, d hcl.Diagnostics, files map[string]*hcl.File) {
			_ = hcl.NewDiagnosticTextWriter(w, files, 100, false).WriteDiagnostics(d)
		}
	}
	fs := flag.NewFlagSet("emulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:9000", "`address` to listen on")
	config := fs.String("config", "", "emulator configuration `file` (HCL); default: built-in demo functions")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: fnprobe emulate [-listen ADDR] [-config FILE]")
		fmt.Fprintln(stderr, "\nServes the supported clouds' invoke APIs locally. Options:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "emulate: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	cfg := DefaultConfig()
	if *config != "" {
		p := hclparse.NewParser()
		var d hcl.Diagnostics
		cfg, d = LoadConfigWith(p, *config)
		if d.HasErrors() {
			diags(stderr, d, p.Files())
			return 2
		}
	}
	s, err := NewServer(*cfg)
	if err != nil {
		fmt.Fprintf(stderr, "emulate: %v\n", err)
		return 2
	}
	defer s.Env().Close()
	s.SetAccessLog(sim.NewAccessLog(stderr))
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", *listen)
	if err != nil {
		fmt.Fprintf(stderr, "emulate: %v\n", err)
		return 1
	}
	if beyondLoopback(ln.Addr()) {
		fmt.Fprintln(stderr, exposureWarning(ln.Addr(), *config))
	}
	srv, errc := DefaultLimits().serve(s, ln)
	fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr())
	select {
	case err := <-errc:
		fmt.Fprintf(stderr, "emulate: %v\n", err)
		return 1
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
	}
	return 0
}

// exposureWarning is the one line Command prints when it listens beyond
// loopback: the emulator is a test double, and without -config its
// credentials are the published demo ones.
func exposureWarning(addr net.Addr, config string) string {
	creds := "the credentials of " + config
	if config == "" {
		creds = "the published demo credentials (emulator / emulator-secret, emulator-token)"
	}
	return fmt.Sprintf("emulate: warning: listening on %s, reachable from other machines; "+
		"anyone who can connect can invoke the emulated functions with %s — "+
		"listen on 127.0.0.1 unless that is intended", addr, creds)
}
