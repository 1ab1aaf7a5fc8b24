package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hatrack/hatrack/internal/authz"
	"github.com/hatrack/hatrack/internal/awserr"
)

// Registry holds every Hatrack metric. It is not Prometheus' default
// registry, so libraries cannot add to it behind our back.
var Registry = prometheus.NewRegistry()

var (
	requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hatrack_requests_total",
		Help: "Requests that reached an operation, by service, action and outcome (OK or the AWS error code).",
	}, []string{"service", "action", "code"})
	latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "hatrack_request_duration_seconds",
		Help:    "Time from receiving a request to its answer being ready, by service and action.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"service", "action"})
	httpAnswers = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hatrack_http_requests_total",
		Help: "HTTP answers by status code (every path, including unknown actions and health checks).",
	}, []string{"code"})
	inFlight = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "hatrack_http_requests_in_flight",
		Help: "HTTP requests being served.",
	})
	decisions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hatrack_authz_decisions_total",
		Help: "Authorization decisions by result: allow, deny or error.",
	}, []string{"result"})
	sessions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hatrack_sessions_issued_total",
		Help: "Temporary credentials issued, by kind (AssumeRole, AssumeRoleWithWebIdentity, AssumeRoleWithSAML, GetSessionToken, GetFederationToken, …).",
	}, []string{"kind"})
	storeLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "hatrack_store_operation_duration_seconds",
		Help:    "Record-store operation latency by operation.",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
	}, []string{"op"})
	storeErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hatrack_store_errors_total",
		Help: "Record-store operations that failed with something other than not-found or already-exists, by operation.",
	}, []string{"op"})
	auditWritten = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hatrack_audit_events_written_total",
		Help: "Audit events committed to the store.",
	})
	auditWrite = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "hatrack_audit_write_duration_seconds",
		Help:    "Time to commit one batch of audit events.",
		Buckets: prometheus.DefBuckets,
	})
)

func init() {
	Registry.MustRegister(requests, latency, httpAnswers, inFlight, decisions, sessions, storeLatency, storeErrors,
		auditWritten, auditWrite,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
}

// Handler serves the registry in Prometheus' exposition format.
func Handler() http.Handler {
	return promhttp.HandlerFor(Registry, promhttp.HandlerOpts{Registry: Registry})
}

// ObserveRequest counts one request that reached an operation; code is ""
// on success.
func ObserveRequest(service, action, code string, elapsed time.Duration) {
	if code == "" {
		code = "OK"
	}
	requests.WithLabelValues(service, action, code).Inc()
	latency.WithLabelValues(service, action).Observe(elapsed.Seconds())
}

// SessionIssued counts temporary credentials issued; kind is the STS
// operation that issued them ("AssumeRole", "GetSessionToken", …).
func SessionIssued(kind string) {
	sessions.WithLabelValues(kind).Inc()
}

// AuditWritten counts a committed batch of audit events.
func AuditWritten(events int, elapsed time.Duration) {
	auditWritten.Add(float64(events))
	auditWrite.Observe(elapsed.Seconds())
}

// Middleware counts every HTTP answer by status and the requests in
// flight.
func Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inFlight.Inc()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			inFlight.Dec()
			httpAnswers.WithLabelValues(strconv.Itoa(sw.status)).Inc()
		}()
		next.ServeHTTP(sw, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Decider is what the Authorizer decorator wraps (api.Authorizer).
type Decider interface {
	Authorize(ctx context.Context, req *authz.Request) error
}

// Authorizer counts the decisions of the authorizer it wraps.
type Authorizer struct{ Next Decider }

// Authorize implements api.Authorizer.
func (a Authorizer) Authorize(ctx context.Context, req *authz.Request) error {
	err := a.Next.Authorize(ctx, req)
	switch {
	case err == nil:
		decisions.WithLabelValues("allow").Inc()
	case awserr.HasCode(err, "AccessDenied"):
		decisions.WithLabelValues("deny").Inc()
	default:
		decisions.WithLabelValues("error").Inc()
	}
	return err
}
