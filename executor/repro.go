package executor

import (
	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/repro"
)

// ReproInfo says how to make a failed invocation's request again: the
// cloud's own command-line tool making it, and the fnprobe command that
// reruns just that invocation (repro.Builder makes it). Every string is
// secret-free (the caller of Options.Repro sees to it) and shell-quoted.
type ReproInfo = repro.Result

// ReproFunc makes the ReproInfo of an invocation instance (its address)
// whose request req, sent through driver, failed or errored. It is called
// from the invocations' goroutines, concurrently, once per instance.
type ReproFunc func(addr string, driver providers.Driver, req *providers.Request) *ReproInfo

// repro fills out.Repro when the invocation failed or errored after its
// request was made, and a ReproFunc is given. A sample gets one, of its
// request, however many of its calls failed.
func (e *executor) repro(addr string, driver providers.Driver, req *providers.Request, out *ResultInfo) {
	if e.opts.Repro == nil || out.Status != StatusFail && out.Status != StatusError {
		return
	}
	out.Repro = e.opts.Repro(addr, driver, req)
}
