package alicloud

import (
	"net/http"
	"strings"

	"github.com/fnprobe/fnprobe/emulator/sim"
)

// FC3Emulator is the emulated Function Compute 3.0 API (2023-03-30):
// InvokeFunction and the async-task get, list and stop APIs, signed with
// ACS3-HMAC-SHA256.
type FC3Emulator struct{}

// Name implements sim.Provider.
func (FC3Emulator) Name() string { return "alicloud_fc3" }

// Patterns implements sim.Provider.
func (FC3Emulator) Patterns() []string { return []string{"/2023-03-30/"} }

// Handler implements sim.Provider.
func (FC3Emulator) Handler(env *sim.Env) http.Handler {
	a := &fcAPI{env: env}
	mux := http.NewServeMux()
	const base = "/2023-03-30/functions/{fn}"
	mux.HandleFunc("POST "+base+"/invocations", func(w http.ResponseWriter, r *http.Request) {
		a.serve(w, r, "", r.PathValue("fn"), r.URL.Query().Get("qualifier"), "", "invoke", "X-Fc-Async-Task-Id")
	})
	mux.HandleFunc("GET "+base+"/async-tasks", func(w http.ResponseWriter, r *http.Request) {
		a.serve(w, r, "", r.PathValue("fn"), r.URL.Query().Get("qualifier"), "", "list", "")
	})
	mux.HandleFunc("GET "+base+"/async-tasks/{id}", func(w http.ResponseWriter, r *http.Request) {
		a.serve(w, r, "", r.PathValue("fn"), r.URL.Query().Get("qualifier"), r.PathValue("id"), "get", "")
	})
	mux.HandleFunc("PUT "+base+"/async-tasks/{id}/stop", func(w http.ResponseWriter, r *http.Request) {
		a.serve(w, r, "", r.PathValue("fn"), r.URL.Query().Get("qualifier"), r.PathValue("id"), "stop", "")
	})
	mux.HandleFunc("/2023-03-30/", a.notSupported)
	return mux
}

// FC2Emulator is the emulated Function Compute 2.0 API: InvokeFunction and
// the stateful-async-invocation get, list and stop APIs, on both the
// 2016-08-15 and the 2021-04-06 paths, accepting both the FC and the ACS3
// signature (PROTOCOLS.md §1.8).
type FC2Emulator struct{}

// Name implements sim.Provider.
func (FC2Emulator) Name() string { return "alicloud_fc2" }

// Patterns implements sim.Provider.
func (FC2Emulator) Patterns() []string { return []string{"/2016-08-15/", "/2021-04-06/"} }

// Handler implements sim.Provider.
func (FC2Emulator) Handler(env *sim.Env) http.Handler {
	a := &fcAPI{env: env, fc2: true}
	mux := http.NewServeMux()
	for _, v := range []string{"2016-08-15", "2021-04-06"} {
		base := "/" + v + "/services/{svc}/functions/{fn}"
		// svc is "service" or, in the 2016-08-15 form, "service.qualifier";
		// 2021-04-06 passes the qualifier as ?qualifier= (both accepted).
		split := func(r *http.Request) (string, string) {
			svc, q, _ := strings.Cut(r.PathValue("svc"), ".")
			if qq := r.URL.Query().Get("qualifier"); qq != "" && q == "" {
				q = qq
			}
			return svc, q
		}
		route := func(op string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				svc, q := split(r)
				a.serve(w, r, svc, r.PathValue("fn"), q, r.PathValue("id"), op, "X-Fc-Stateful-Async-Invocation-Id")
			}
		}
		mux.HandleFunc("POST "+base+"/invocations", route("invoke"))
		mux.HandleFunc("GET "+base+"/stateful-async-invocations", route("list"))
		mux.HandleFunc("GET "+base+"/stateful-async-invocations/{id}", route("get"))
		mux.HandleFunc("PUT "+base+"/stateful-async-invocations/{id}", route("stop"))
		mux.HandleFunc("/"+v+"/", a.notSupported)
	}
	return mux
}

func (a *fcAPI) notSupported(w http.ResponseWriter, r *http.Request) {
	a.writeError(w, a.requestID(), errorf(http.StatusNotFound, "PathNotSupported", "the requested path %s %s is not supported", r.Method, r.URL.Path))
}

// serve authenticates, routes and answers one FC API request. The
// headers are authenticated before any of the body is read.
func (a *fcAPI) serve(w http.ResponseWriter, r *http.Request, service, name, qualifier, id, op, asyncHeader string) {
	reqID := a.requestID()
	sim.SetFunction(w, name)
	check, e := a.authenticate(r, a.fc2)
	if e != nil {
		a.writeError(w, reqID, e)
		return
	}
	limit := int64(0)
	if op == "invoke" {
		limit = SyncPayloadLimit
		invType := r.Header.Get("X-Fc-Invocation-Type")
		if invType == "Async" || a.fc2 && invType == "" && r.Header.Get(asyncHeader) != "" {
			limit = AsyncPayloadLimit
		}
	}
	body, e := readBody(r, limit, check)
	if e != nil {
		a.writeError(w, reqID, e)
		return
	}
	t, e := a.resolve(service, name, qualifier)
	if e != nil {
		a.writeError(w, reqID, e)
		return
	}
	if op == "invoke" {
		a.invoke(w, r, reqID, body, t, asyncHeader)
		return
	}
	a.taskOp(w, r, reqID, service, t, id, op)
}

// fcBinding aims the alicloud_fc2 and alicloud_fc3 drivers at the emulator.
var fcBinding = sim.Binding{
	Credential: credentialProvider, Endpoint: "endpoint",
	AccessKeyID: "access_key_id", Secret: "access_key_secret", SecurityToken: "security_token",
	Endpoints: map[string]sim.EndpointPath{"sts_endpoint": {Path: STSPath, HTTPS: true}},
	Chain:     []string{"profile", "assume_role"},
}

// Binding implements sim.Bound.
func (FC3Emulator) Binding() sim.Binding { return fcBinding }

// Binding implements sim.Bound.
func (FC2Emulator) Binding() sim.Binding { return fcBinding }
