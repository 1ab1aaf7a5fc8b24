// Package store defines Hatrack's persistence contract: a transactional
// record store that every backend (embedded SQLite, PostgreSQL) implements
// identically, and the sentinel errors the domain maps to AWS errors.
//
// The domain packages (internal/iam, internal/sts, internal/orgs) keep their
// entities as typed Go structs serialised into Record.Data; the store only
// knows kinds, accounts, names and unique ids, and enforces what must hold
// even under concurrency: names unique per (kind, account) ignoring case,
// unique ids unique per kind, and every Update callback atomic.
//
// Every committed change is appended to a change log (Store.Changes) that
// other nodes follow to invalidate their in-memory caches.
//
// Optional interfaces: Backup (an online copy) and EventLog, an append-only
// log of opaque events (the audit trail) kept beside the records, listed per
// account newest first and trimmed by time, without change-log entries.
// Every backend here implements EventLog; decorators must forward it.
//
// This package imports nothing of Hatrack's. Backends live in subpackages;
// storetest holds the conformance suite each of them runs.
package store
