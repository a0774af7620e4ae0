-- CampaignEtl run journal, SQLite: runs, stage attempts, the files each attempt produced, the
-- manifest chain of the archive, and who holds the run lock. Timestamps are ISO 8601 UTC text.

CREATE TABLE IF NOT EXISTS schema_info (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS run (
    run_id         TEXT PRIMARY KEY,
    business_date  TEXT NOT NULL,              -- yyyy-MM-dd in the business time zone
    time_zone      TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    trigger        TEXT NOT NULL CHECK (trigger IN ('manual', 'schedule', 'catch-up')),
    purged_at      TEXT                         -- set when retention removed its archive folder
);

CREATE TABLE IF NOT EXISTS stage_attempt (
    id             INTEGER PRIMARY KEY,
    run_id         TEXT NOT NULL REFERENCES run (run_id),
    stage          TEXT NOT NULL CHECK (stage IN ('suppress', 'export', 'refill', 'ingest')),
    attempt        INTEGER NOT NULL CHECK (attempt >= 1),
    status         TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted')),
    started_at     TEXT NOT NULL,
    ended_at       TEXT,
    duration_ms    INTEGER,
    rows_in        INTEGER NOT NULL DEFAULT 0,
    rows_out       INTEGER NOT NULL DEFAULT 0,
    rows_rejected  INTEGER NOT NULL DEFAULT 0,
    rows_excluded  INTEGER NOT NULL DEFAULT 0,
    platform_calls INTEGER NOT NULL DEFAULT 0,  -- SOAP calls to the platform made by this attempt
    counts_json    TEXT,                        -- per list / per rule counts, JSON object
    error          TEXT,                        -- one-line reason, never secrets or personal data
    overrides      TEXT,                        -- operator overrides used for this attempt, e.g. --allow-shrink
    UNIQUE (run_id, stage, attempt)
);

CREATE TABLE IF NOT EXISTS attempt_file (
    attempt_id     INTEGER NOT NULL REFERENCES stage_attempt (id),
    name           TEXT NOT NULL,
    relative_path  TEXT NOT NULL UNIQUE,        -- below the archive folder
    kind           TEXT NOT NULL,
    direction      TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound', 'internal')),
    rows           INTEGER,
    bytes          INTEGER NOT NULL,
    sha256         TEXT NOT NULL,
    counterpart    TEXT,
    PRIMARY KEY (attempt_id, name)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS manifest_chain (
    sequence       INTEGER PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN ('attempt', 'purge')),
    relative_path  TEXT NOT NULL UNIQUE,
    sha256         TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    attempt_id     INTEGER REFERENCES stage_attempt (id),
    purged_by      INTEGER REFERENCES manifest_chain (sequence)
);

-- The operating system's lock on <data>/run.lock is what excludes a second run; this row says who holds it.
CREATE TABLE IF NOT EXISTS run_lock (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    run_id       TEXT,
    process_id   INTEGER NOT NULL,
    host         TEXT NOT NULL,
    acquired_at  TEXT NOT NULL
);
