-- Text columns use COLLATE "C" so that ordering and comparisons are byte
-- order whatever the database's default collation is, matching the SQLite
-- backend. name_lower is strings.ToLower(name), computed in Go.
CREATE TABLE hatrack_records (
    kind       text COLLATE "C" NOT NULL,
    account    text COLLATE "C" NOT NULL,
    name_lower text COLLATE "C" NOT NULL,
    name       text COLLATE "C" NOT NULL,
    id         text COLLATE "C" NOT NULL DEFAULT '',
    parent     text COLLATE "C" NOT NULL DEFAULT '',
    data       bytea       NOT NULL DEFAULT '\x',
    revision   bigint      NOT NULL,
    created    timestamptz NOT NULL,
    updated    timestamptz NOT NULL,
    PRIMARY KEY (kind, account, name_lower)
);

CREATE UNIQUE INDEX hatrack_records_id ON hatrack_records (kind, id) WHERE id <> '';

CREATE INDEX hatrack_records_parent ON hatrack_records (kind, account, parent, name_lower);

-- Change-log sequence numbers. CACHE 1 (the default) matters: with a
-- per-session cache, values would not be handed out in time order across
-- sessions, and the ordering argument in doc.go would not hold.
CREATE SEQUENCE hatrack_change_seq AS bigint START 1 CACHE 1 NO CYCLE;

CREATE TABLE hatrack_changes (
    seq     bigint PRIMARY KEY,
    kind    text COLLATE "C" NOT NULL,
    account text COLLATE "C" NOT NULL,
    name    text COLLATE "C" NOT NULL,
    op      text COLLATE "C" NOT NULL,
    at      timestamptz NOT NULL
);

ALTER SEQUENCE hatrack_change_seq OWNED BY hatrack_changes.seq;

-- Never holds rows. Every Update takes LOCK TABLE hatrack_write_lock IN
-- EXCLUSIVE MODE as its first statement: writers are serialised cluster-wide
-- and change-log seqs become visible in seq order. A table that is never
-- written is never autovacuumed, so the lock never queues behind vacuum.
CREATE TABLE hatrack_write_lock (unused boolean);
