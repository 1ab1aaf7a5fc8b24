// Package audit is Hatrack's trail: every authenticated request, every role
// assumption (allowed or denied) and every change becomes an event shaped
// like a CloudTrail record (eventVersion, userIdentity, requestParameters,
// responseElements, errorCode, sharedEventID, …), derived generically from
// the request — the operation's service and name, its parameters, the
// caller and the result — so an operation needs no audit code of its own.
//
// Events never carry secrets: secret request members (passwords, MFA codes,
// SAML assertions, web identity tokens, private keys) are replaced by
// HIDDEN_DUE_TO_SECURITY_REASONS, and secret response members (secret
// access keys, session tokens, MFA seeds) are dropped.
//
// A Trail stores events durably in the store's append-only event log
// (store.EventLog: account = the recipient account, time, event id; no
// record and no change-log entry per event), copies them as JSON lines to
// an optional writer, answers LookupEvents queries (newest first, paged by
// time and id) and trims events past the retention. The trail requires a
// store with an event log: every backend has one and the metrics decorator
// forwards it; with any other store, events are counted as failed and
// lookups return an error. Events stored as records (kind "event") by
// earlier versions are moved to the event log by the backends' schema
// migration 2.
//
// Delivery guarantee: Record only enqueues (it blocks when the queue is
// full, it never drops); one writer goroutine commits what is queued in
// batches (group commit: a batch collects for at most Options.Linger,
// 20 ms by default, or until it is full or a Flush asks for it), so an
// event is durable within about 20 ms plus one commit. Close (graceful shutdown) writes
// everything queued before it returns. An abrupt crash (SIGKILL, power
// loss) can lose the events still queued: about the last 20 ms.
//
// Imports: the store contract, internal/authn (the caller), internal/token
// and internal/awserr; never the transport (internal/api imports this
// package) nor a domain package.
package audit
