-- The event log (store.EventLog): append-only, no change-log rows and no
-- NOTIFY. The one index serves listing an account newest first, paging by
-- (time, id), the exact-id lookup (id is in the index) and trimming.
CREATE TABLE hatrack_events (
    seq     bigserial PRIMARY KEY,
    account text COLLATE "C" NOT NULL,
    time    bigint NOT NULL, -- unix nanoseconds, UTC
    id      text COLLATE "C" NOT NULL,
    data    bytea  NOT NULL
);

CREATE INDEX hatrack_events_account_time ON hatrack_events (account, time DESC, id);

-- Move the audit trail's events out of the records table (kind 'event',
-- named by internal/audit.Key: 19 digits of MaxInt64 - unix nanoseconds,
-- '-', the event id; the data is kept as it is).
INSERT INTO hatrack_events (account, time, id, data)
    SELECT account, 9223372036854775807 - substr(name, 1, 19)::bigint, id, data
    FROM hatrack_records
    WHERE kind = 'event' AND name ~ '^[0-9]{19}-'
    ORDER BY 2;

DELETE FROM hatrack_records WHERE kind = 'event' AND name ~ '^[0-9]{19}-';
