// Package metrics is Hatrack's Prometheus instrumentation, on its own
// registry (never the global default one) served at GET /metrics:
//
//   - hatrack_requests_total{service,action,code}: every request that
//     reached an operation, by outcome ("OK" or the wire error code);
//   - hatrack_request_duration_seconds{service,action}: their latency;
//   - hatrack_http_requests_total{code}: every HTTP answer by status;
//   - hatrack_authz_decisions_total{result}: allow, deny or error, from the
//     Authorizer decorator;
//   - hatrack_sessions_issued_total{kind}: temporary credentials issued
//     (STS calls SessionIssued);
//   - hatrack_store_operation_duration_seconds{op}: the record store, from
//     the Store decorator (a proxy around any backend);
//   - hatrack_audit_events_written_total and
//     hatrack_audit_write_duration_seconds: the audit trail's commits;
//   - the Go runtime and process collectors.
//
// Labels are bounded: service and action come from the operation table,
// code from the error vocabulary, op and kind from fixed sets; no label
// ever carries a caller, an account or a request value.
//
// Imports: prometheus' client, the store contract and internal/authz (the
// request type the Authorizer decorator passes on); never internal/api,
// which calls into this package (so STS operations may call SessionIssued).
package metrics
