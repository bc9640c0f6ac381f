package emulator

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// Limits are the emulator's HTTP server limits; README.md documents the
// defaults. A zero field takes its default.
type Limits struct {
	// ReadHeaderTimeout bounds reading a request line and its headers,
	// from the first byte; a client trickling headers is cut off.
	ReadHeaderTimeout time.Duration
	// BodyReadTimeout bounds reading a request body, from the moment the
	// headers are authenticated and the emulator starts reading it; a
	// client trickling a body is answered (if it can still read) and cut
	// off. It is lifted once the body is read, so a long function keeps
	// its connection.
	BodyReadTimeout time.Duration
	// IdleTimeout is how long a keep-alive connection may wait for its
	// next request.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds the request line and headers; more is
	// answered 431.
	MaxHeaderBytes int
	// MaxConns bounds the connections served at once; further clients
	// wait in the listen backlog until one closes.
	MaxConns int
	// BodyBudget bounds the bytes of request bodies held at once, across
	// every connection. Each body reserves its Content-Length (the API's
	// payload limit when it declares none) before it is read and keeps
	// it until its answer is written; a request that cannot reserve
	// waits, in arrival order, until its BodyReadTimeout runs out, and is
	// then answered as a body that could not be read. A body larger than
	// the whole budget is answered as too large.
	BodyBudget int64
}

// DefaultLimits are the limits `fnprobe emulate` and Start use.
func DefaultLimits() Limits {
	return Limits{
		ReadHeaderTimeout: 10 * time.Second,
		BodyReadTimeout:   60 * time.Second, // 32 MB (FC's sync limit) at ~0.5 MB/s
		IdleTimeout:       90 * time.Second, // FC's own keep-alive timeout (PROTOCOLS.md §1.6)
		MaxHeaderBytes:    64 << 10,
		MaxConns:          1024,
		BodyBudget:        256 << 20, // 8 bodies at FC's 32 MB sync limit
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.ReadHeaderTimeout <= 0 {
		l.ReadHeaderTimeout = d.ReadHeaderTimeout
	}
	if l.BodyReadTimeout <= 0 {
		l.BodyReadTimeout = d.BodyReadTimeout
	}
	if l.IdleTimeout <= 0 {
		l.IdleTimeout = d.IdleTimeout
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = d.MaxHeaderBytes
	}
	if l.MaxConns <= 0 {
		l.MaxConns = d.MaxConns
	}
	if l.BodyBudget <= 0 {
		l.BodyBudget = d.BodyBudget
	}
	return l
}

// serve applies the limits to s and serves it on ln (wrapped to bound the
// connections) in a new goroutine; errc receives Serve's error.
func (l Limits) serve(s *Server, ln net.Listener) (*http.Server, <-chan error) {
	l = l.withDefaults()
	s.SetBodyReadTimeout(l.BodyReadTimeout)
	s.SetBodyBudget(l.BodyBudget)
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
		// No ReadTimeout or WriteTimeout: they would bound the whole
		// exchange, and a function may run for minutes.
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(limitListener(ln, l.MaxConns)) }()
	return srv, errc
}

// beyondLoopback reports whether a listener bound to addr can be reached
// from other machines: an unspecified address (0.0.0.0, ::) or any IP that
// is not a loopback one.
func beyondLoopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return true
	}
	return tcp.IP == nil || tcp.IP.IsUnspecified() || !tcp.IP.IsLoopback()
}

// limitListener accepts at most n connections open at once.
func limitListener(ln net.Listener, n int) net.Listener {
	return &boundedListener{Listener: ln, slots: make(chan struct{}, n), done: make(chan struct{})}
}

type boundedListener struct {
	net.Listener
	slots chan struct{}
	done  chan struct{}
	once  sync.Once
}

func (l *boundedListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &boundedConn{Conn: c, release: func() { <-l.slots }}, nil
}

func (l *boundedListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// boundedConn gives its slot back when closed. It keeps CloseWrite, which
// net/http uses to close gracefully after an answer that left the request
// body unread.
type boundedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *boundedConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}

func (c *boundedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
