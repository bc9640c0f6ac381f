package wire

import (
	"io"
	"net/http"

	"github.com/fnprobe/fnprobe/providers"
)

// traceTransport records every request made with a context that carries a
// providers.Tracer (run -verbose): what was sent, headers as signed, and
// what came back, with a preview of each body. Without a Tracer it only
// passes the request on.
type traceTransport struct{ next http.RoundTripper }

func (t traceTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	tr := providers.TracerFrom(r.Context())
	if tr == nil {
		return t.next.RoundTrip(r)
	}
	m := providers.Message{Method: r.Method, URL: r.URL.String(), Size: r.ContentLength}
	h := r.Header.Clone()
	if r.Host != "" && r.Host != r.URL.Host {
		h.Set("Host", r.Host)
	}
	m.Headers = providers.Headers(h)
	if r.Body == nil || r.Body == http.NoBody {
		m.Size = 0
	} else if r.GetBody != nil {
		if body, err := r.GetBody(); err == nil {
			m.Body = providers.PreviewReader(body)
			body.Close()
		}
	}
	id := tr.Request(m)
	resp, err := t.next.RoundTrip(r)
	if err != nil {
		tr.Fail(id, err)
		return resp, err
	}
	tr.Response(id, providers.Message{Status: resp.StatusCode, Headers: providers.Headers(resp.Header), Size: resp.ContentLength})
	resp.Body = &tracedBody{ReadCloser: resp.Body, tr: tr, id: id}
	return resp, nil
}

// tracedBody copies what is read of a response body into its trace
// preview.
type tracedBody struct {
	io.ReadCloser
	tr   *providers.Tracer
	id   int
	read int64
}

func (b *tracedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 && b.read < providers.TracePreview {
		b.tr.ResponseBody(b.id, p[:n])
	}
	b.read += int64(n)
	if err == io.EOF {
		b.tr.ResponseSize(b.id, b.read)
	}
	return n, err
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the
// transport's pool.
func (t traceTransport) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
