// Package sqlite is Hatrack's embedded store.Store backend: one SQLite
// database file (pure-Go driver modernc.org/sqlite), for single-node
// deployments and development.
//
// It owns the SQLite schema (embedded, versioned migrations in
// migrations/NNNN_name.sql, recorded in hatrack_schema_migrations and
// applied by Open or Migrate), the connection discipline, the change log
// table, Watch, and online backup / offline restore.
//
// Durability and concurrency:
//
//   - journal_mode=WAL and synchronous=FULL: a commit returns only after
//     the WAL has been fsynced, so an acknowledged Update survives a
//     process kill and, as far as SQLite and the disk honour fsync, a
//     power loss.
//   - One writer connection. Update takes a mutex and then BEGIN IMMEDIATE,
//     so writers in this process queue on the mutex and writers in other
//     processes (another Store on the same file) on SQLite's write lock,
//     with a 10s busy timeout; SQLITE_BUSY becomes store.ErrConflict and
//     Update retries. Writes are therefore serialised: transactions are
//     serializable and read-modify-write callbacks never lose updates.
//   - A pool of query_only reader connections serves View, Changes and
//     LastSeq; in WAL mode a read transaction sees the snapshot of its first
//     read and neither blocks nor is blocked by the writer.
//
// Names are unique per (kind, account) through the primary key
// (kind, account, name_lower), name_lower being strings.ToLower(name)
// computed in Go (SQLite's lower() only folds ASCII). Lists are ordered by
// name_lower in byte order.
//
// The change log is hatrack_changes; seq is an AUTOINCREMENT key (never
// reused, even after TrimChanges). As writes are serialised, seqs become
// visible in order. Record.Revision is the seq of the record's last write.
//
// Watch signals watchers of this handle right after each commit, and polls
// LastSeq every 250ms while anyone watches so that commits from another
// process on the same file are noticed too.
//
// The event log (store.EventLog) is hatrack_events, a rowid table with one
// index (account, time DESC, id): AppendEvents is one BEGIN IMMEDIATE
// transaction per batch on the writer, with no change-log row and no
// Watch signal; TrimEvents deletes account by account in transactions of
// at most 5000 events.
//
// BackupTo makes an online consistent copy (VACUUM INTO); Restore puts a
// backup in place while the server is stopped.
package sqlite
