-- CampaignEtl CRM on PostgreSQL: the part of schemas/crm.sqlite.sql that the export reads (people,
-- accounts, opt-ins, consents, blocklist, marketing lists, saved filters), with the same columns and
-- the same derived columns on `person`. In this version PostgreSQL serves the export only; the write
-- side (suppress, refill feedback, ingest) stays on SQLite.
--
-- Text is compared and ordered by bytes (COLLATE "C"), as SQLite's BINARY collation does, so the
-- id order of an export and the saved filters' comparisons are the same on both stores.
-- Timestamps stay ISO 8601 UTC text, as in SQLite, so exported values are byte for byte the same.

CREATE TABLE IF NOT EXISTS schema_info (
    key    text COLLATE "C" PRIMARY KEY,
    value  text NOT NULL
);

CREATE TABLE IF NOT EXISTS account (
    id          text COLLATE "C" PRIMARY KEY CHECK (id LIKE '001%'),
    name        text COLLATE "C" NOT NULL,
    industry    text COLLATE "C",
    country     text COLLATE "C",
    created_at  text COLLATE "C" NOT NULL
);

CREATE TABLE IF NOT EXISTS person (
    id                      text COLLATE "C" PRIMARY KEY,
    entity_type             text COLLATE "C" NOT NULL CHECK (entity_type IN ('contact', 'lead')),
    account_id              text COLLATE "C" REFERENCES account (id),
    company                 text COLLATE "C",
    salutation              text COLLATE "C",
    first_name              text COLLATE "C",
    last_name               text COLLATE "C" NOT NULL,
    email                   text COLLATE "C",
    -- SQLite's lower() folds ASCII letters only and its trim() strips spaces only. lower() under the C
    -- collation folds ASCII letters only too, so an address normalises to the same key on both stores
    -- (duplicate-address detection, blocklist). (translate() does the same at twice the cost of a load.)
    email_normalized        text COLLATE "C" GENERATED ALWAYS AS (lower(btrim(email, ' ') COLLATE "C")) STORED,
    title                   text COLLATE "C",
    city                    text COLLATE "C",
    country                 text COLLATE "C",
    language                text COLLATE "C",
    has_opted_out_of_email  integer NOT NULL DEFAULT 0 CHECK (has_opted_out_of_email IN (0, 1)),
    opted_out_at            text COLLATE "C",
    email_bounced_at        text COLLATE "C",
    email_bounced_reason    text COLLATE "C",
    soft_bounce_count       integer NOT NULL DEFAULT 0 CHECK (soft_bounce_count >= 0),
    is_converted            integer NOT NULL DEFAULT 0 CHECK (is_converted IN (0, 1)),
    converted_contact_id    text COLLATE "C",   -- no foreign key: a bulk load copies people in id order
    converted_at            text COLLATE "C",
    created_at              text COLLATE "C" NOT NULL,
    updated_at              text COLLATE "C" NOT NULL,
    lineage_run_id          text COLLATE "C",
    lineage_file            text COLLATE "C",
    lineage_line            bigint,
    -- Derived, kept by the triggers below (as in SQLite): the export reads this one table in one pass.
    -- Sets are written ',501,,503,' and tested with strpos(column, ',501,').
    account_name            text COLLATE "C",
    opt_ins_granted         text COLLATE "C" NOT NULL DEFAULT '',
    opt_ins_revoked         text COLLATE "C" NOT NULL DEFAULT '',
    marketing_lists         text COLLATE "C" NOT NULL DEFAULT '',
    CHECK ((entity_type = 'contact' AND id LIKE '003%') OR (entity_type = 'lead' AND id LIKE '00Q%')),
    CHECK (is_converted = 0 OR entity_type = 'lead')
);
CREATE INDEX IF NOT EXISTS ix_person_email ON person (email_normalized);
CREATE INDEX IF NOT EXISTS ix_person_account ON person (account_id) WHERE account_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS opt_in (
    id           bigint PRIMARY KEY,
    name         text COLLATE "C" NOT NULL UNIQUE,
    kind         text COLLATE "C" NOT NULL CHECK (kind IN ('single', 'double', 'confirmed')),
    description  text COLLATE "C"
);

CREATE TABLE IF NOT EXISTS consent (
    person_id       text COLLATE "C" NOT NULL REFERENCES person (id),
    opt_in_id       bigint NOT NULL REFERENCES opt_in (id),
    status          text COLLATE "C" NOT NULL CHECK (status IN ('granted', 'revoked')),
    changed_at      text COLLATE "C" NOT NULL,
    changed_by      text COLLATE "C" NOT NULL,
    lineage_run_id  text COLLATE "C",
    lineage_file    text COLLATE "C",
    lineage_line    bigint,
    PRIMARY KEY (person_id, opt_in_id)
);

CREATE TABLE IF NOT EXISTS blocklist_entry (
    pattern         text COLLATE "C" PRIMARY KEY,
    reason          text COLLATE "C",
    added_at        text COLLATE "C" NOT NULL,
    source          text COLLATE "C" NOT NULL,
    lineage_run_id  text COLLATE "C",
    lineage_file    text COLLATE "C",
    lineage_line    bigint
);

CREATE TABLE IF NOT EXISTS marketing_list (
    id           bigint PRIMARY KEY,
    name         text COLLATE "C" NOT NULL UNIQUE,
    description  text COLLATE "C"
);

CREATE TABLE IF NOT EXISTS marketing_list_member (
    list_id    bigint NOT NULL REFERENCES marketing_list (id),
    person_id  text COLLATE "C" NOT NULL REFERENCES person (id),
    added_at   text COLLATE "C" NOT NULL,
    PRIMARY KEY (list_id, person_id)
);
CREATE INDEX IF NOT EXISTS ix_list_member_person ON marketing_list_member (person_id, list_id);

CREATE TABLE IF NOT EXISTS saved_filter (
    id            bigint PRIMARY KEY,
    name          text COLLATE "C" NOT NULL UNIQUE,
    entity_types  text COLLATE "C" NOT NULL DEFAULT 'contact,lead'
                  CHECK (entity_types IN ('contact', 'lead', 'contact,lead')),
    description   text COLLATE "C"
);

CREATE TABLE IF NOT EXISTS saved_filter_condition (
    filter_id  bigint NOT NULL REFERENCES saved_filter (id),
    position   integer NOT NULL,
    field      text COLLATE "C" NOT NULL CHECK (field IN ('country', 'city', 'language', 'title', 'company',
                                              'account_id', 'email', 'last_name', 'first_name', 'created_at')),
    operator   text COLLATE "C" NOT NULL CHECK (operator IN ('eq', 'ne', 'in', 'starts_with', 'ends_with',
                                                 'contains', 'is_null', 'is_not_null', 'gte', 'lte')),
    value      text COLLATE "C",
    PRIMARY KEY (filter_id, position)
);

-- The derived columns of `person`, recomputed from their source rows on every change (as the SQLite
-- triggers do). A bulk load (PostgreSqlCrmLoader) copies people with their derived columns already
-- computed by SQLite and disables these triggers for the copy.
CREATE OR REPLACE FUNCTION person_account_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.account_name := (SELECT a.name FROM account a WHERE a.id = NEW.account_id);
    RETURN NEW;
END $$;

CREATE OR REPLACE TRIGGER person_account_name BEFORE INSERT OR UPDATE OF account_id ON person
    FOR EACH ROW EXECUTE FUNCTION person_account_name();

CREATE OR REPLACE FUNCTION account_name_to_people() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE person SET account_name = NEW.name WHERE account_id = NEW.id;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER account_name_to_people AFTER UPDATE OF name ON account
    FOR EACH ROW EXECUTE FUNCTION account_name_to_people();

CREATE OR REPLACE FUNCTION person_consents(target_id text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE person p SET
        opt_ins_granted = coalesce((SELECT string_agg(',' || c.opt_in_id || ',', '' ORDER BY c.opt_in_id)
                                    FROM consent c WHERE c.person_id = target_id AND c.status = 'granted'), ''),
        opt_ins_revoked = coalesce((SELECT string_agg(',' || c.opt_in_id || ',', '' ORDER BY c.opt_in_id)
                                    FROM consent c WHERE c.person_id = target_id AND c.status = 'revoked'), '')
    WHERE p.id = target_id;
END $$;

CREATE OR REPLACE FUNCTION consent_to_person() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM person_consents(OLD.person_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM person_consents(NEW.person_id);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER consent_to_person AFTER INSERT OR UPDATE OF person_id, opt_in_id, status OR DELETE ON consent
    FOR EACH ROW EXECUTE FUNCTION consent_to_person();

CREATE OR REPLACE FUNCTION person_lists(target_id text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE person p SET
        marketing_lists = coalesce((SELECT string_agg(',' || m.list_id || ',', '' ORDER BY m.list_id)
                                    FROM marketing_list_member m WHERE m.person_id = target_id), '')
    WHERE p.id = target_id;
END $$;

CREATE OR REPLACE FUNCTION list_member_to_person() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM person_lists(OLD.person_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM person_lists(NEW.person_id);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER list_member_to_person AFTER INSERT OR UPDATE OF list_id, person_id OR DELETE ON marketing_list_member
    FOR EACH ROW EXECUTE FUNCTION list_member_to_person();
