package watch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Server timeouts: a slow or idle client holds a connection for a bounded
// time. WriteTimeout bounds a scrape's answer.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 3 * time.Minute // a /probe may run as long as the scrape timeout
	idleTimeout       = 2 * time.Minute
	// maxScrapes bounds concurrent /metrics requests; more get 503.
	maxScrapes = 10
	// serverShutdown bounds the wait for requests in flight at exit.
	serverShutdown = 5 * time.Second
)

// NewRegistry returns the registry /metrics serves: m, the Go and process
// collectors, and fnprobe_build_info. It is not the global default
// registry: nothing else can add to it.
func NewRegistry(m *Metrics, version string) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		m,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "fnprobe_build_info",
		Help:        "A metric with a constant value of 1, labelled with fnprobe's version and the Go version it was built with.",
		ConstLabels: prometheus.Labels{"version": version, "goversion": runtime.Version()},
	})
	info.Set(1)
	reg.MustRegister(info)
	return reg
}

// handler serves the watch endpoints.
type handler struct {
	reg   *prometheus.Registry
	ready *atomic.Bool
	log   *slog.Logger
	probe *probeHandler  // nil: no /probe
	page  *statusHandler // nil: no status page
}

func (h *handler) routes() http.Handler {
	mux := http.NewServeMux()
	metrics := promhttp.HandlerFor(h.reg, promhttp.HandlerOpts{
		EnableOpenMetrics:   true,
		Registry:            h.reg, // promhttp_metric_handler_errors_total
		ErrorLog:            promLogger{h.log},
		MaxRequestsInFlight: maxScrapes,
	})
	mux.Handle("GET /metrics", promhttp.InstrumentMetricHandler(h.reg, metrics))
	if h.probe != nil {
		mux.Handle("GET /probe", h.probe)
	}
	if h.page != nil {
		mux.Handle("GET /{$}", h.page)
	}
	mux.HandleFunc("GET /-/healthy", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "fnprobe is healthy.")
	})
	mux.HandleFunc("GET /-/ready", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !h.ready.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "fnprobe is not ready: the first run has not finished.")
			return
		}
		fmt.Fprintln(w, "fnprobe is ready.")
	})
	return mux
}

// promLogger passes promhttp's errors to the log.
type promLogger struct{ log *slog.Logger }

func (l promLogger) Println(v ...any) { l.log.Error("serving metrics", "error", fmt.Sprint(v...)) }

// server is the HTTP server on the -listen address.
type server struct {
	srv  *http.Server
	done chan struct{}
}

// serve starts serving h on ln.
func serve(ln net.Listener, h http.Handler, log *slog.Logger) *server {
	s := &server{
		srv: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: readHeaderTimeout,
			ReadTimeout:       readTimeout,
			WriteTimeout:      writeTimeout,
			IdleTimeout:       idleTimeout,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		},
		done: make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("serving HTTP", "error", err)
		}
	}()
	return s
}

// shutdown stops the server, giving requests in flight serverShutdown.
func (s *server) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), serverShutdown)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		s.srv.Close()
	}
	<-s.done
}

// IsLoopback reports whether addr (host:port, as net.Listener.Addr
// prints it) can be reached only from this machine.
func IsLoopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}
