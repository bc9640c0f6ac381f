package http

import (
	"encoding/json"
	"maps"
	"net/textproto"
	"net/url"
	"slices"
	"strings"

	"github.com/fnprobe/fnprobe/providers"
)

// reproDoc is curl's manual.
const reproDoc = "https://curl.se/docs/manpage.html"

// Repro implements providers.Reproducer: curl making the same request
// (reproDoc):
//
//	curl -sS -i -X METHOD -H 'NAME: VALUE' ... --data-binary @FILE
//	  --url-query 'NAME=VALUE' ... URL
//
// The headers are those Invoke sends: its defaults, then the provider's,
// the function's and the invocation's, later ones winning. The query goes
// in --url-query words (curl 7.87 or later), which curl percent-encodes,
// so that a value is written as it is, and a secret in it can be a
// reference to its variable. An empty header value is written "NAME;",
// curl's way of sending it empty. Inline, the payload goes in --data-raw,
// which reads no file even for a leading '@'.
func (d *Driver) Repro(req *providers.Request, p providers.ReproPayload) (providers.Repro, bool) {
	if req.Type != "" && req.Type != providers.TypeSync {
		return providers.Repro{}, false
	}
	target, method, err := address(req)
	if err != nil {
		return providers.Repro{}, false
	}
	args := []string{"curl", "-sS", "-i", "-X", method}

	headers := map[string]string{"User-Agent": defaultUserAgent}
	if len(req.Payload) > 0 && json.Valid(req.Payload) {
		headers["Content-Type"] = "application/json"
	}
	for _, layer := range []map[string]string{
		providers.StringMap(req.Provider, "headers"),
		providers.StringMap(req.Function, "headers"),
		req.Headers,
	} {
		for k, v := range layer {
			headers[textproto.CanonicalMIMEHeaderKey(k)] = v
		}
	}
	names := slices.Sorted(maps.Keys(headers))
	for _, k := range names {
		if v := headers[k]; v == "" {
			args = append(args, "-H", k+";")
		} else {
			args = append(args, "-H", k+": "+v)
		}
	}

	if len(req.Payload) > 0 {
		if p.Inline {
			args = append(args, "--data-raw", string(req.Payload))
		} else {
			args = append(args, "--data-binary", "@"+p.File)
		}
	}

	q := target.Query()
	keys := slices.Sorted(maps.Keys(q))
	for _, k := range keys {
		for _, v := range q[k] {
			// curl encodes the part after the first '='; the name is
			// given encoded already.
			args = append(args, "--url-query", url.QueryEscape(k)+"="+v)
		}
	}
	u := *target
	u.RawQuery, u.ForceQuery = "", false
	args = append(args, u.String())
	r := providers.Repro{Tool: "curl", Doc: reproDoc, Args: args}
	if strings.Contains(u.String(), "#") {
		r.Note = "curl does not send a URL's fragment"
	}
	return r, true
}
