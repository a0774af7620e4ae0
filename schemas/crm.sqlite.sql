-- CampaignEtl embedded CRM, SQLite. Modelled on the Salesforce objects the nightly job touches
-- (Account, Contact, Lead, Campaign, CampaignMember, CampaignMemberStatus, Task, Note) plus the
-- consent and suppression facts an email platform needs.
--
-- Contacts and leads share one table, `person`, told apart by `entity_type`: they share one id
-- space (Salesforce-style 15-character ids, prefix 003 for contacts, 00Q for leads), one email
-- index for matching platform events, and one scan for exports. The views `contact` and `lead`
-- give the Salesforce shape back for people reading the data.
--
-- Timestamps are ISO 8601 UTC text (`2026-11-24T01:00:00.000Z`); date-only values are
-- `yyyy-MM-dd` in the configured business time zone.
-- Every row the pipeline changes carries its lineage (run id, archived file, line) and the
-- append-only `change_lineage` table keeps the history of those changes.

PRAGMA foreign_keys = ON;

CREATE TABLE IF NOT EXISTS schema_info (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS account (
    id          TEXT PRIMARY KEY CHECK (id LIKE '001%'),
    name        TEXT NOT NULL,
    industry    TEXT,
    country     TEXT,
    created_at  TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS person (
    id                      TEXT PRIMARY KEY,
    entity_type             TEXT NOT NULL CHECK (entity_type IN ('contact', 'lead')),
    account_id              TEXT REFERENCES account (id),          -- contacts only
    company                 TEXT,                                   -- leads only
    salutation              TEXT,
    first_name              TEXT,
    last_name               TEXT NOT NULL,
    email                   TEXT,
    email_normalized        TEXT GENERATED ALWAYS AS (lower(trim(email))) VIRTUAL,
    title                   TEXT,
    city                    TEXT,
    country                 TEXT,
    language                TEXT,
    -- Salesforce HasOptedOutOfEmail: the global stop for email.
    has_opted_out_of_email  INTEGER NOT NULL DEFAULT 0 CHECK (has_opted_out_of_email IN (0, 1)),
    opted_out_at            TEXT,
    -- Salesforce EmailBouncedDate / EmailBouncedReason, plus the soft-bounce counter.
    email_bounced_at        TEXT,
    email_bounced_reason    TEXT,
    soft_bounce_count       INTEGER NOT NULL DEFAULT 0 CHECK (soft_bounce_count >= 0),
    -- Leads: IsConverted / ConvertedContactId. A converted lead's events belong to its contact.
    is_converted            INTEGER NOT NULL DEFAULT 0 CHECK (is_converted IN (0, 1)),
    converted_contact_id    TEXT REFERENCES person (id),
    converted_at            TEXT,
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL,
    lineage_run_id          TEXT,
    lineage_file            TEXT,
    lineage_line            INTEGER,
    -- Derived, kept by the triggers below and never written by hand: the facts an export needs from
    -- other tables, so that it reads this one table in one pass in id order instead of looking up
    -- account, consents and list memberships per person. Sets are written ',501,,503,' and tested
    -- with instr(column, ',501,').
    account_name            TEXT,                                   -- the contact's Account.Name
    opt_ins_granted         TEXT NOT NULL DEFAULT '',               -- opt-ins with a granted consent
    opt_ins_revoked         TEXT NOT NULL DEFAULT '',               -- opt-ins with a revoked consent
    marketing_lists         TEXT NOT NULL DEFAULT '',               -- marketing lists the person is a member of
    CHECK ((entity_type = 'contact' AND id LIKE '003%') OR (entity_type = 'lead' AND id LIKE '00Q%')),
    CHECK (is_converted = 0 OR entity_type = 'lead')
) WITHOUT ROWID;   -- clustered by id: lookups by id are one search, and a scan comes in id order
CREATE INDEX IF NOT EXISTS ix_person_email ON person (email_normalized);
CREATE INDEX IF NOT EXISTS ix_person_account ON person (account_id) WHERE account_id IS NOT NULL;

CREATE VIEW IF NOT EXISTS contact AS
    SELECT id, account_id, salutation, first_name, last_name, email, title, city, country, language,
           has_opted_out_of_email, opted_out_at, email_bounced_at, email_bounced_reason,
           soft_bounce_count, created_at, updated_at
    FROM person WHERE entity_type = 'contact';

CREATE VIEW IF NOT EXISTS lead AS
    SELECT id, company, salutation, first_name, last_name, email, title, city, country, language,
           has_opted_out_of_email, opted_out_at, email_bounced_at, email_bounced_reason,
           soft_bounce_count, is_converted, converted_contact_id, converted_at, created_at, updated_at
    FROM person WHERE entity_type = 'lead';

-- An opt-in is one advertising consent, identified by the platform's opt-in process id.
CREATE TABLE IF NOT EXISTS opt_in (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL CHECK (kind IN ('single', 'double', 'confirmed')),
    description  TEXT
);

-- One consent per person and opt-in: granted or revoked, when, and by what.
CREATE TABLE IF NOT EXISTS consent (
    person_id       TEXT NOT NULL REFERENCES person (id),
    opt_in_id       INTEGER NOT NULL REFERENCES opt_in (id),
    status          TEXT NOT NULL CHECK (status IN ('granted', 'revoked')),
    changed_at      TEXT NOT NULL,
    changed_by      TEXT NOT NULL,   -- e.g. 'web-form', 'import', 'platform-unsubscribe'
    lineage_run_id  TEXT,
    lineage_file    TEXT,
    lineage_line    INTEGER,
    PRIMARY KEY (person_id, opt_in_id)
) WITHOUT ROWID;

-- Addresses or wildcard patterns (`*` one or more characters, `?` one) the platform blocks.
CREATE TABLE IF NOT EXISTS blocklist_entry (
    pattern         TEXT PRIMARY KEY,
    reason          TEXT,
    added_at        TEXT NOT NULL,
    source          TEXT NOT NULL,
    lineage_run_id  TEXT,
    lineage_file    TEXT,
    lineage_line    INTEGER
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS marketing_list (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    description  TEXT
);

CREATE TABLE IF NOT EXISTS marketing_list_member (
    list_id    INTEGER NOT NULL REFERENCES marketing_list (id),
    person_id  TEXT NOT NULL REFERENCES person (id),
    added_at   TEXT NOT NULL,
    PRIMARY KEY (list_id, person_id)
) WITHOUT ROWID;
-- A person's lists (the derived column person.marketing_lists is recomputed from it on every change).
CREATE INDEX IF NOT EXISTS ix_list_member_person ON marketing_list_member (person_id, list_id);

-- The derived columns of `person`, each recomputed from its source rows on every change, so they
-- cannot drift whatever the statement (UPDATE, UPSERT, INSERT OR REPLACE, DELETE).
CREATE TRIGGER IF NOT EXISTS person_account_name_on_insert AFTER INSERT ON person WHEN NEW.account_id IS NOT NULL
BEGIN
    UPDATE person SET account_name = (SELECT a.name FROM account a WHERE a.id = NEW.account_id) WHERE id = NEW.id;
END;

CREATE TRIGGER IF NOT EXISTS person_account_name_on_update AFTER UPDATE OF account_id ON person
BEGIN
    UPDATE person SET account_name = (SELECT a.name FROM account a WHERE a.id = NEW.account_id) WHERE id = NEW.id;
END;

CREATE TRIGGER IF NOT EXISTS account_name_to_people AFTER UPDATE OF name ON account
BEGIN
    UPDATE person SET account_name = NEW.name WHERE account_id = NEW.id;
END;

CREATE TRIGGER IF NOT EXISTS consent_to_person_on_insert AFTER INSERT ON consent
BEGIN
    UPDATE person SET
        opt_ins_granted = (SELECT ifnull(group_concat(',' || c.opt_in_id || ',', ''), '') FROM consent c WHERE c.person_id = NEW.person_id AND c.status = 'granted'),
        opt_ins_revoked = (SELECT ifnull(group_concat(',' || c.opt_in_id || ',', ''), '') FROM consent c WHERE c.person_id = NEW.person_id AND c.status = 'revoked')
    WHERE id = NEW.person_id;
END;

CREATE TRIGGER IF NOT EXISTS consent_to_person_on_update AFTER UPDATE OF person_id, opt_in_id, status ON consent
BEGIN
    UPDATE person SET
        opt_ins_granted = (SELECT ifnull(group_concat(',' || c.opt_in_id || ',', ''), '') FROM consent c WHERE c.person_id = person.id AND c.status = 'granted'),
        opt_ins_revoked = (SELECT ifnull(group_concat(',' || c.opt_in_id || ',', ''), '') FROM consent c WHERE c.person_id = person.id AND c.status = 'revoked')
    WHERE id IN (OLD.person_id, NEW.person_id);
END;

CREATE TRIGGER IF NOT EXISTS consent_to_person_on_delete AFTER DELETE ON consent
BEGIN
    UPDATE person SET
        opt_ins_granted = (SELECT ifnull(group_concat(',' || c.opt_in_id || ',', ''), '') FROM consent c WHERE c.person_id = OLD.person_id AND c.status = 'granted'),
        opt_ins_revoked = (SELECT ifnull(group_concat(',' || c.opt_in_id || ',', ''), '') FROM consent c WHERE c.person_id = OLD.person_id AND c.status = 'revoked')
    WHERE id = OLD.person_id;
END;

CREATE TRIGGER IF NOT EXISTS list_member_to_person_on_insert AFTER INSERT ON marketing_list_member
BEGIN
    UPDATE person SET marketing_lists = (SELECT ifnull(group_concat(',' || m.list_id || ',', ''), '') FROM marketing_list_member m WHERE m.person_id = NEW.person_id)
    WHERE id = NEW.person_id;
END;

CREATE TRIGGER IF NOT EXISTS list_member_to_person_on_update AFTER UPDATE OF list_id, person_id ON marketing_list_member
BEGIN
    UPDATE person SET marketing_lists = (SELECT ifnull(group_concat(',' || m.list_id || ',', ''), '') FROM marketing_list_member m WHERE m.person_id = person.id)
    WHERE id IN (OLD.person_id, NEW.person_id);
END;

CREATE TRIGGER IF NOT EXISTS list_member_to_person_on_delete AFTER DELETE ON marketing_list_member
BEGIN
    UPDATE person SET marketing_lists = (SELECT ifnull(group_concat(',' || m.list_id || ',', ''), '') FROM marketing_list_member m WHERE m.person_id = OLD.person_id)
    WHERE id = OLD.person_id;
END;

-- A saved filter is structured data: conditions ANDed over whitelisted person fields.
CREATE TABLE IF NOT EXISTS saved_filter (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    entity_types  TEXT NOT NULL DEFAULT 'contact,lead'
                  CHECK (entity_types IN ('contact', 'lead', 'contact,lead')),
    description   TEXT
);

CREATE TABLE IF NOT EXISTS saved_filter_condition (
    filter_id  INTEGER NOT NULL REFERENCES saved_filter (id),
    position   INTEGER NOT NULL,
    field      TEXT NOT NULL CHECK (field IN ('country', 'city', 'language', 'title', 'company',
                                              'account_id', 'email', 'last_name', 'first_name', 'created_at')),
    operator   TEXT NOT NULL CHECK (operator IN ('eq', 'ne', 'in', 'starts_with', 'ends_with',
                                                 'contains', 'is_null', 'is_not_null', 'gte', 'lte')),
    value      TEXT,                 -- for 'in': values separated by '|'
    PRIMARY KEY (filter_id, position)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS campaign (
    id                   TEXT PRIMARY KEY CHECK (id LIKE '701%'),
    name                 TEXT NOT NULL,
    type                 TEXT NOT NULL,
    status               TEXT NOT NULL,
    start_date           TEXT,
    end_date             TEXT,
    platform_mailing_id  INTEGER UNIQUE,   -- the Optimizely Campaign mailing this campaign is linked to
    sync_mode            TEXT NOT NULL DEFAULT 'campaign'
                         CHECK (sync_mode IN ('campaign', 'activity', 'campaign+activity', 'notes', 'campaign-only')),
    number_sent          INTEGER NOT NULL DEFAULT 0,
    number_opened        INTEGER NOT NULL DEFAULT 0,
    number_clicked       INTEGER NOT NULL DEFAULT 0,
    number_bounced       INTEGER NOT NULL DEFAULT 0,
    number_unsubscribed  INTEGER NOT NULL DEFAULT 0,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);

-- Per-campaign status picklist (Salesforce CampaignMemberStatus).
CREATE TABLE IF NOT EXISTS campaign_member_status (
    campaign_id    TEXT NOT NULL REFERENCES campaign (id),
    label          TEXT NOT NULL CHECK (length(label) BETWEEN 1 AND 40),
    has_responded  INTEGER NOT NULL CHECK (has_responded IN (0, 1)),
    is_default     INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    sort_order     INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, label),
    UNIQUE (campaign_id, sort_order)
) WITHOUT ROWID;

-- One member per campaign and person.
CREATE TABLE IF NOT EXISTS campaign_member (
    id                    INTEGER PRIMARY KEY,
    campaign_id           TEXT NOT NULL REFERENCES campaign (id),
    person_id             TEXT NOT NULL REFERENCES person (id),
    status                TEXT NOT NULL,
    first_responded_date  TEXT,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    lineage_run_id        TEXT,
    lineage_file          TEXT,
    lineage_line          INTEGER,
    -- The updated_at ingest last wrote. A member whose updated_at is still this value was not changed
    -- in the CRM since, so an earlier but stronger event read later (files out of time order) still
    -- upgrades it; any other, newer updated_at is a CRM change, and it is kept. (Earlier builds kept it
    -- in a table of its own, campaign_member_sync; opening such a CRM for writing moves it here.)
    ingest_updated_at     TEXT,
    UNIQUE (campaign_id, person_id),
    FOREIGN KEY (campaign_id, status) REFERENCES campaign_member_status (campaign_id, label)
);

-- Activities. A task on a lead has no campaign (Salesforce: WhatId must be empty for a Lead WhoId).
CREATE TABLE IF NOT EXISTS task (
    id              INTEGER PRIMARY KEY,
    who_id          TEXT NOT NULL REFERENCES person (id),
    what_id         TEXT REFERENCES campaign (id),
    subject         TEXT NOT NULL CHECK (length(subject) <= 255),
    description     TEXT,
    activity_date   TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'Completed',
    task_subtype    TEXT NOT NULL DEFAULT 'Email',
    external_key    TEXT UNIQUE,   -- keeps re-runs from creating the same activity twice
    created_at      TEXT NOT NULL,
    lineage_run_id  TEXT,
    lineage_file    TEXT,
    lineage_line    INTEGER
);

CREATE TABLE IF NOT EXISTS note (
    id              INTEGER PRIMARY KEY,
    parent_id       TEXT NOT NULL REFERENCES person (id),
    title           TEXT NOT NULL,
    body            TEXT,
    external_key    TEXT UNIQUE,
    created_at      TEXT NOT NULL,
    lineage_run_id  TEXT,
    lineage_file    TEXT,
    lineage_line    INTEGER
);

-- Append-only history of every change the pipeline makes.
CREATE TABLE IF NOT EXISTS change_lineage (
    id            INTEGER PRIMARY KEY,
    changed_at    TEXT NOT NULL,
    entity        TEXT NOT NULL,
    entity_key    TEXT NOT NULL,
    change        TEXT NOT NULL,
    run_id        TEXT NOT NULL,
    archive_file  TEXT NOT NULL,
    line          INTEGER
);

-- Suppression events (bounces, outbounces, unsubscribes from the platform) already applied, one row
-- per event: the key hashes kind, recipient id, address, list and event time, so an event read again
-- (overlapping windows, a re-run, a full export file) changes nothing.
CREATE TABLE IF NOT EXISTS suppression_event (
    event_key     TEXT PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('hard', 'soft', 'outbounce', 'unsubscribe')),
    occurred_at   TEXT NOT NULL,
    run_id        TEXT NOT NULL,
    archive_file  TEXT NOT NULL,
    line          INTEGER,
    applied_at    TEXT NOT NULL
) WITHOUT ROWID;

-- How far a platform read got (e.g. the end of the last applied suppress window), written in the
-- transaction that applies what was read, so a failed run does not move it.
CREATE TABLE IF NOT EXISTS sync_watermark (
    name        TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    run_id      TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) WITHOUT ROWID;

-- Response ingest's file ledger: one row per response export file, keyed by the platform's file name.
-- It is written in the transaction of each batch, so a crash between batches leaves 'partial' and
-- the last line applied; the next run resumes after that line and nothing is ingested twice. The
-- SHA-256 tells the same file from another one with the same name (never ingested silently).
CREATE TABLE IF NOT EXISTS ingested_file (
    name          TEXT PRIMARY KEY,
    sha256        TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('partial', 'complete')),
    last_line     INTEGER NOT NULL,
    run_id        TEXT NOT NULL,
    archive_file  TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
) WITHOUT ROWID;

-- The archived files response events were applied from, numbered so that the event ledger below stores a
-- small id per row instead of the path (the ledger gets a row per event: the path was most of its size).
CREATE TABLE IF NOT EXISTS response_file (
    id            INTEGER PRIMARY KEY,
    archive_file  TEXT NOT NULL UNIQUE,
    run_id        TEXT NOT NULL
);

-- Response events already applied, one row per event. The platform's exports can overlap, so an event met
-- again in another file changes nothing; met again in the same file it is a duplicate row and is rejected.
-- Keyed by mailing and recipient id first: an export lists a mailing's events recipient by recipient, so a
-- batch's lookups and inserts stay on a few neighbouring pages (a key of the hash alone spread each batch over
-- the whole ledger, which then cost more than everything else ingest writes). event_hash is the first 16 bytes
-- of the SHA-256 of type, mailing, recipient id, address, time and link, so no address is stored.
-- (Earlier builds kept the ledger in response_event, keyed by event_hash alone; where that table has rows,
-- ingest still looks events up in it, so nothing applied before the upgrade is applied again.)
CREATE TABLE IF NOT EXISTS response_event_ledger (
    mailing_id    INTEGER NOT NULL,
    recipient_id  TEXT NOT NULL,
    event_hash    BLOB NOT NULL,
    file_id       INTEGER NOT NULL REFERENCES response_file (id),
    line          INTEGER NOT NULL,
    PRIMARY KEY (mailing_id, recipient_id, event_hash)
) WITHOUT ROWID;

-- Custom fields of a task (Salesforce custom Task fields such as Email_Status__c or Clicked_URL__c)
-- that the Activity sync mode maps the status and the clicked URL to.
CREATE TABLE IF NOT EXISTS task_custom_field (
    task_id  INTEGER NOT NULL REFERENCES task (id),
    field    TEXT NOT NULL,
    value    TEXT,
    PRIMARY KEY (task_id, field)
) WITHOUT ROWID;

-- The member a response event changes is found by campaign and person (the UNIQUE constraint on
-- campaign_member already indexes it); notes and tasks by external_key (UNIQUE). Campaigns by
-- their mailing: platform_mailing_id is UNIQUE. No further index is needed for ingest.
