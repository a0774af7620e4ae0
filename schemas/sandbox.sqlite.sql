-- CampaignEtl sandbox platform, SQLite. The state of the embedded stand-in for Optimizely Campaign:
-- recipient lists and their members, unsubscribes, blocklist, bounce counters, mailings and response
-- events. Applied (idempotently) when the sandbox starts; embedded in CampaignEtl.Sandbox.
--
-- Times are integers: milliseconds since the Unix epoch, UTC (the unit of the ClosedLoop API's
-- since/until and getCurrentTime). Recipient ids and addresses compare case-insensitively (ASCII).

CREATE TABLE IF NOT EXISTS schema_info (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- A recipient list. is_opt_in = 1: adding an unsubscribed recipient re-activates it (code 0, the
-- unsubscribe is removed); 0 (a regular list): the unsubscribe is kept and addAll3 answers 2.
-- attribute_names: JSON array of the list's attribute (field) names.
CREATE TABLE IF NOT EXISTS recipient_list (
    list_id         INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL,
    is_opt_in       INTEGER NOT NULL DEFAULT 0 CHECK (is_opt_in IN (0, 1)),
    attribute_names TEXT    NOT NULL DEFAULT '[]',
    created_at      INTEGER NOT NULL
);

-- The members of a list, keyed by recipient id. attributes: JSON object name -> string value.
CREATE TABLE IF NOT EXISTS recipient (
    list_id      INTEGER NOT NULL,
    recipient_id TEXT    NOT NULL COLLATE NOCASE,
    email        TEXT    NOT NULL COLLATE NOCASE,
    attributes   TEXT    NOT NULL DEFAULT '{}',
    added_at     INTEGER NOT NULL,
    PRIMARY KEY (list_id, recipient_id)
) WITHOUT ROWID;

-- Unsubscribes by recipient id or address; list_id 0 = client-wide (the platform's default: one
-- unsubscribe list per client), otherwise that list only (list-based unsubscribes).
CREATE TABLE IF NOT EXISTS unsubscribe (
    recipient_id TEXT    NOT NULL COLLATE NOCASE,
    list_id      INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (recipient_id, list_id)
) WITHOUT ROWID;

-- Blocklist entries: an exact address or a pattern with * (any run) and ? (one character),
-- matched case-insensitively against the whole address, e.g. *@example.org.
CREATE TABLE IF NOT EXISTS blocklist_entry (
    entry_id   INTEGER PRIMARY KEY,
    entry      TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    reason     TEXT,
    created_at INTEGER NOT NULL
);

-- Bounce counters per address; over the limit when hard >= the hard threshold or soft >= the soft
-- threshold (options). outbounced_at: when the address first went over the limit.
CREATE TABLE IF NOT EXISTS bounce_counter (
    email         TEXT    PRIMARY KEY COLLATE NOCASE,
    hard          INTEGER NOT NULL DEFAULT 0,
    soft          INTEGER NOT NULL DEFAULT 0,
    outbounced_at INTEGER
) WITHOUT ROWID;

-- Simulated mailings. recorded_at: when the sandbox produced the mailing's response data (the
-- ClosedLoop time window refers to it, as the real one refers to its export files' times).
CREATE TABLE IF NOT EXISTS mailing (
    mailing_id  INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    list_id     INTEGER NOT NULL,
    seed        INTEGER NOT NULL,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER NOT NULL,
    recorded_at INTEGER NOT NULL
);

-- Response events served by ClosedLoopWebservice and written to the response export files.
-- mailing_id is NULL for unsubscribes made through UnsubscribeWebservice and for outbounces.
CREATE TABLE IF NOT EXISTS response_event (
    event_id      INTEGER PRIMARY KEY,
    event_type    TEXT    NOT NULL CHECK (event_type IN ('send', 'open', 'click', 'softbounce', 'hardbounce', 'unsubscribe', 'outbounce')),
    occurred_at   INTEGER NOT NULL,
    recorded_at   INTEGER NOT NULL,
    mailing_id    INTEGER,
    recipient_id  TEXT    NOT NULL,
    email         TEXT    NOT NULL,
    list_id       INTEGER,
    link_url      TEXT,
    bounce_reason TEXT
);

CREATE INDEX IF NOT EXISTS response_event_by_type ON response_event (event_type, recorded_at, event_id);
