-- The event log (store.EventLog): append-only, no change-log rows. A rowid
-- table, so an append writes at the right edge of the table's b-tree; the
-- one index serves listing an account newest first, paging by (time, id),
-- the exact-id lookup (index-only: id is in the index) and trimming.
CREATE TABLE hatrack_events (
    seq     INTEGER PRIMARY KEY,
    account TEXT    NOT NULL,
    time    INTEGER NOT NULL, -- unix nanoseconds, UTC
    id      TEXT    NOT NULL,
    data    BLOB    NOT NULL
);

CREATE INDEX hatrack_events_account_time ON hatrack_events (account, time DESC, id);

-- Move the audit trail's events out of the records table (kind 'event',
-- named by internal/audit.Key: 19 digits of MaxInt64 - unix nanoseconds,
-- '-', the event id; the data is kept as it is).
INSERT INTO hatrack_events (account, time, id, data)
    SELECT account, 9223372036854775807 - CAST(substr(name, 1, 19) AS INTEGER), id, data
    FROM hatrack_records
    WHERE kind = 'event' AND length(name) > 20 AND substr(name, 20, 1) = '-'
    ORDER BY 2;

DELETE FROM hatrack_records WHERE kind = 'event' AND length(name) > 20 AND substr(name, 20, 1) = '-';
