-- Evidence: what enforcement did, never the personal data itself.  One row
-- per run and one per job (a table or partition, and the tags acted on).
-- The logs have a retention rule of their own: category retention_evidence.

CREATE TABLE retention.run (
    run_id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    origin            text NOT NULL,
    as_of             timestamptz NOT NULL,
    started_at        timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    finished_at       timestamptz,
    status            text NOT NULL DEFAULT 'running',
    jobs              integer NOT NULL DEFAULT 0,
    rows_deleted      bigint NOT NULL DEFAULT 0,
    values_anonymized bigint NOT NULL DEFAULT 0,
    rows_held         bigint NOT NULL DEFAULT 0,
    batches           bigint NOT NULL DEFAULT 0,
    errors            bigint NOT NULL DEFAULT 0,
    wal_bytes         bigint NOT NULL DEFAULT 0,
    rows_blocked      bigint NOT NULL DEFAULT 0,
    rows_skipped_locked bigint NOT NULL DEFAULT 0,
    paused            interval NOT NULL DEFAULT '0'
);
COMMENT ON TABLE retention.run IS
    'Enforcement runs: origin (call, worker, pg_cron), the instant due times were computed for (as_of), status (running, completed, completed with errors, partial, cancelled, interrupted, or "skipped: another run in progress" for a run that yielded to one in progress) and totals, including rows_skipped_locked (due rows left because another session held their row lock). No personal data.';
COMMENT ON COLUMN retention.run.paused IS
    'Time the run paused between batches (pacing: retention.max_load, retention.batch_delay).';
CREATE INDEX run_finished_at ON retention.run (finished_at);
-- runs left running (interrupted): found without reading the whole log
CREATE INDEX run_running ON retention.run (run_id) WHERE status = 'running';

CREATE TABLE retention.action_log (
    action_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id           bigint NOT NULL REFERENCES retention.run ON DELETE CASCADE,
    table_name       text NOT NULL,
    relation_name    text NOT NULL,
    action           text NOT NULL,
    columns          text[],
    categories       text[] NOT NULL DEFAULT '{}',
    methods          text[],
    rows_processed   bigint NOT NULL DEFAULT 0,
    values_processed bigint[],
    rows_held        bigint NOT NULL DEFAULT 0,
    batches          bigint NOT NULL DEFAULT 0,
    wal_bytes        bigint NOT NULL DEFAULT 0,
    started_at       timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    finished_at      timestamptz,
    outcome          text NOT NULL DEFAULT 'running',
    error_sqlstate   text,
    error            text,
    rows_blocked     bigint NOT NULL DEFAULT 0,
    rows_kept        bigint NOT NULL DEFAULT 0,
    rows_skipped_locked bigint NOT NULL DEFAULT 0
);
COMMENT ON TABLE retention.action_log IS
    'One row per enforcement job: the tagged table, the relation acted on (the table or a partition), action (delete, anonymize), the columns, categories and methods, rows processed (deleted or updated) and values anonymized per column, rows held, rows blocked (due but still referenced by a foreign key that forbids the delete), batches, WAL bytes, start and end, outcome (done, held, partial, error, cancelled, "dropped partition (rows estimated)" and "detached partition (rows estimated)" (rows processed is then the planner''s estimate, not a count), "postponed: partition lock not available", "skipped: relation changed since planning", "stopped: a trigger kept ..." with rows_kept the rows a trigger kept, interrupted), rows_skipped_locked (due rows left because another session held their row lock) and, for errors, the SQLSTATE and a description in the extension''s own words. Never row values or identifiers.';
CREATE INDEX action_log_run ON retention.action_log (run_id);
CREATE INDEX action_log_table ON retention.action_log (table_name, action_id);
-- jobs left running, and each table's last error: retention.status compares
-- table_name with a name built from the catalogs (collation "C")
CREATE INDEX action_log_running ON retention.action_log (run_id) WHERE outcome = 'running';
CREATE INDEX action_log_error ON retention.action_log (table_name COLLATE "C", action_id) WHERE outcome = 'error';

-- dumped with the database: the evidence must outlive a restore
SELECT pg_catalog.pg_extension_config_dump('retention.run', '');
SELECT pg_catalog.pg_extension_config_dump('retention.run_run_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('retention.action_log', '');
SELECT pg_catalog.pg_extension_config_dump('retention.action_log_action_id_seq', '');

REVOKE ALL ON retention.run, retention.action_log FROM PUBLIC;
GRANT SELECT ON retention.run, retention.action_log TO retention_admin;

-- The logs' own retention rule, adjustable with alter_category().  A restore
-- loads the dumped row over the one CREATE EXTENSION made.
INSERT INTO retention.category (name, period, starts, action, description, purpose, legal_basis)
VALUES ('retention_evidence', '2 years', 'exact', 'delete',
        'pg_retention''s own evidence: enforcement runs and actions (no personal data)',
        'Demonstrating that the retention policy is enforced (accountability)',
        'Legal obligation / accountability (GDPR Art. 5(2))');

CREATE FUNCTION retention._category_restore()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.name = 'retention_evidence'
       AND EXISTS (SELECT 1 FROM retention.category c WHERE c.name = NEW.name) THEN
        UPDATE retention.category c
           SET period = NEW.period, starts = NEW.starts, description = NEW.description,
               purpose = NEW.purpose, legal_basis = NEW.legal_basis, time_zone = NEW.time_zone,
               created_at = NEW.created_at, updated_at = NEW.updated_at
         WHERE c.name = NEW.name;
        RETURN NULL;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION retention._category_restore() IS
    'Internal: a restored retention_evidence row replaces the one CREATE EXTENSION made.';
CREATE TRIGGER category_restore BEFORE INSERT ON retention.category
    FOR EACH ROW EXECUTE FUNCTION retention._category_restore();

CREATE FUNCTION retention._protect_evidence_category()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF OLD.name = 'retention_evidence' AND (TG_OP = 'DELETE' OR NEW.name <> OLD.name OR NEW.action <> 'delete') THEN
        RAISE EXCEPTION 'category "retention_evidence" cannot be dropped, renamed or given another action'
            USING ERRCODE = 'object_in_use',
                  DETAIL = 'It is the retention rule of pg_retention''s own evidence log.',
                  HINT = 'Change its period with retention.alter_category(''retention_evidence'', period => ...).';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
COMMENT ON FUNCTION retention._protect_evidence_category() IS
    'Internal: keeps the retention_evidence category in place.';
CREATE TRIGGER category_protect_evidence BEFORE UPDATE OR DELETE ON retention.category
    FOR EACH ROW EXECUTE FUNCTION retention._protect_evidence_category();
