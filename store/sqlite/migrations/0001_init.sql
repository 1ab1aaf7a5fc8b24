-- Records: (kind, account, name_lower) is the primary key, which makes names
-- unique per kind and account ignoring case. name_lower is computed in Go
-- (strings.ToLower) so that every backend folds case identically.
CREATE TABLE hatrack_records (
    kind       TEXT    NOT NULL,
    account    TEXT    NOT NULL,
    name_lower TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    id         TEXT    NOT NULL DEFAULT '',
    parent     TEXT    NOT NULL DEFAULT '',
    data       BLOB    NOT NULL DEFAULT x'',
    revision   INTEGER NOT NULL,
    created    INTEGER NOT NULL, -- unix microseconds, UTC
    updated    INTEGER NOT NULL, -- unix microseconds, UTC
    PRIMARY KEY (kind, account, name_lower)
) WITHOUT ROWID;

-- Unique ids per kind; the empty id never collides.
CREATE UNIQUE INDEX hatrack_records_id ON hatrack_records (kind, id) WHERE id <> '';

-- Children of a parent, in list order.
CREATE INDEX hatrack_records_parent ON hatrack_records (kind, account, parent, name_lower);

-- The change log. AUTOINCREMENT: a seq is never reused, even after the
-- newest entries are trimmed.
CREATE TABLE hatrack_changes (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    kind    TEXT    NOT NULL,
    account TEXT    NOT NULL,
    name    TEXT    NOT NULL,
    op      TEXT    NOT NULL,
    at      INTEGER NOT NULL -- unix microseconds, UTC
);
