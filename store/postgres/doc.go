// Package postgres is Hatrack's PostgreSQL store.Store backend, for
// multi-node deployments: every node opens the same database.
//
// It owns the PostgreSQL schema (embedded, versioned migrations in
// migrations/NNNN_name.sql, recorded in hatrack_schema_migrations and
// applied by Open or Migrate under pg_advisory_lock, so nodes starting
// together do not race), the transaction discipline, the change log and
// Watch. PostgreSQL 13 or later is required (checked on open); the SQL
// used is otherwise PostgreSQL 11+.
//
// # Transactions
//
// View is a REPEATABLE READ READ ONLY transaction: one snapshot for all of
// fn's reads.
//
// Update is a SERIALIZABLE transaction whose first statement is
//
//	LOCK TABLE hatrack_write_lock IN EXCLUSIVE MODE
//
// (sent in the same round trip as BEGIN). Writers are therefore serialised
// across all nodes, and because LOCK TABLE takes no snapshot, the
// transaction's snapshot is taken after the lock is granted: it sees every
// earlier writer's commit, so read-modify-write callbacks do not even hit
// serialization failures among themselves. Update still retries, with
// jittered exponential backoff, on 40001 (serialization_failure), 40P01
// (deadlock_detected) and store.ErrConflict, up to 20 attempts: SERIALIZABLE
// remains the safety net against anything that writes without the lock.
// An Update is durable when it returns as far as the server's settings make
// a commit durable (synchronous_commit on, the default, and fsync on).
// Readers (View, Changes, LastSeq) never take the lock and are never blocked
// by it. The cost is that write throughput is one transaction at a time
// cluster-wide, which suits an IAM service (reads dominate); callbacks must
// be quick and do no I/O of their own.
//
// Each write is a single statement (a data-modifying CTE) that draws the
// seq with nextval, writes the record with Revision = seq and appends the
// change-log row. Create uses ON CONFLICT DO NOTHING and Put checks the id
// inside the statement, so "already exists" and "not found" come back as no
// row rather than as an error: PostgreSQL aborts a transaction on any
// error, and callbacks must be able to handle ErrAlreadyExists and go on.
// A server error that does abort the transaction (or a canceled context)
// is remembered: later calls in fn return it and the transaction never
// commits, even if fn ignores the error. A unique violation (23505) that
// still surfaces maps to store.ErrAlreadyExists.
//
// Text columns are COLLATE "C" and name_lower is strings.ToLower(name)
// computed in Go, so ordering and case folding are the same as in the SQLite
// backend whatever the database's collation (the tests run on an ICU en-US
// database to prove it). Text must be valid UTF-8 without NUL; records that
// are not are rejected (by both backends).
//
// # Change-log ordering
//
// Followers read Changes(since) and resume from the last Seq they saw, so
// a change must never become visible after one with a higher Seq. A plain
// sequence does not guarantee that: two transactions draw 7 and 8, 8
// commits first, a follower reads 8 and moves past 7 for good.
//
// Here every seq is drawn while holding the EXCLUSIVE lock on
// hatrack_write_lock, which is held until the transaction ends; PostgreSQL
// releases transaction locks only after the commit is visible to new
// snapshots. So if seq a < b, a's transaction ended (committed, visible, or
// rolled back) before b's transaction got the lock, and any snapshot that
// sees b also sees a. Rolled-back transactions leave gaps, which are never
// filled, so they are harmless. The sequence must keep CACHE 1 (per-session
// caching would hand out values out of time order). Nothing else in the
// schema allocates seqs; anything that writes hatrack_records or
// hatrack_changes by hand must take the same lock.
//
// LastSeq is max(seq) of the visible log (not the sequence's last_value,
// which may belong to a transaction still in flight). TrimChanges deletes
// old entries but always keeps the newest.
//
// # Event log
//
// store.EventLog is hatrack_events (bigserial key, one index on
// (account, time DESC, id), time in Unix nanoseconds). AppendEvents is one
// READ COMMITTED transaction per batch (COPY), without the write lock, a
// change-log row or a NOTIFY: events are not changes. TrimEvents deletes
// account by account, at most 5000 events per statement.
//
// # Watch
//
// Update issues NOTIFY hatrack_changes (payload: the last seq) in the same
// transaction as its writes, so the notification is delivered at commit and
// only if it commits. The first Watch starts a listener on a dedicated
// connection (application_name hatrack-listener, outside the pool) that
// reconnects with backoff and signals watchers after every (re)connect, as
// notifications may have been missed; a LastSeq poll every 2s while anyone
// watches is the fallback. Local commits signal local watchers at once.
//
// # CockroachDB
//
// Not supported as is; what would have to change:
//   - LOCK TABLE does not exist. Serialise writers and allocate seqs with a
//     single counter row that every Update increments (CockroachDB's
//     serializable transactions then order writers, at the price of
//     contention retries); the counter also replaces the sequence, whose
//     values are not ordered by commit there (nor is unique_rowid()).
//   - LISTEN/NOTIFY is not available: Watch would poll LastSeq (or use a
//     changefeed).
//   - pg_advisory_lock is not available for migrations: use a lease row.
//   - Retries must also cover 40001 returned at COMMIT ("restart
//     transaction"), which the retry loop already does.
//   - The write statements (data-modifying CTEs, ON CONFLICT, COLLATE "C")
//     would need checking against CockroachDB's SQL dialect.
package postgres
