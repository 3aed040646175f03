\echo Use "ALTER EXTENSION pg_retention UPDATE TO '0.2.0'" to load this file. \quit
/* pg_retention 0.1.0 -> 0.2.0: released with 0.2.0, never edited; a later change goes into a script of its own. */

-- ==== 10_enforce ====================================================
-- 10_enforce: the enforcement engine you can trust (issue 10, issue 11 items 2 and 3a).
-- Evidence of rows a trigger kept (soft delete) and of due rows left because
-- another session held their row lock; run statuses cancelled and
-- "skipped: another run in progress" (text, no schema change).

ALTER TABLE retention.run ADD COLUMN rows_skipped_locked bigint NOT NULL DEFAULT 0;
ALTER TABLE retention.action_log ADD COLUMN rows_kept bigint NOT NULL DEFAULT 0;
ALTER TABLE retention.action_log ADD COLUMN rows_skipped_locked bigint NOT NULL DEFAULT 0;

COMMENT ON TABLE retention.run IS
    'Enforcement runs: origin (call, worker, pg_cron), the instant due times were computed for (as_of), status (running, completed, completed with errors, partial, cancelled, interrupted, or "skipped: another run in progress" for a run that yielded to one in progress) and totals, including rows_skipped_locked (due rows left because another session held their row lock). No personal data.';
COMMENT ON TABLE retention.action_log IS
    'One row per enforcement job: the tagged table, the relation acted on (the table or a partition), action (delete, anonymize), the columns, categories and methods, rows processed (deleted or updated) and values anonymized per column, rows held, rows blocked (due but still referenced by a foreign key that forbids the delete), batches, WAL bytes, start and end, outcome (done, held, partial, error, cancelled, "dropped partition (rows estimated)" and "detached partition (rows estimated)" (rows processed is then the planner''s estimate, not a count), "postponed: partition lock not available", "skipped: relation changed since planning", "stopped: a trigger kept ..." with rows_kept the rows a trigger kept, interrupted), rows_skipped_locked (due rows left because another session held their row lock) and, for errors, the SQLSTATE and a description in the extension''s own words. Never row values or identifiers.';

-- ==== 20_nullsafe ===================================================
-- 20_nullsafe: NULL arguments named (22004), period limit, status and preview
-- columns that say what they mean, foreign-table partitions in lint and
-- status (the same objects as src/sql/10_category.sql, 30_tag_helpers.sql,
-- 90_enforce.sql, 96_lint.sql).

COMMENT ON COLUMN retention.category.period IS 'How long data is kept after the boundary: from zero ("due at the boundary itself") to 1000 years.';

CREATE OR REPLACE FUNCTION retention.drop_category(name text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF drop_category.name IS NULL THEN
        RAISE EXCEPTION 'name must not be NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass the name of the category to drop.';
    END IF;
    DELETE FROM retention.category c WHERE c.name = drop_category.name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'retention category "%" does not exist', drop_category.name
            USING ERRCODE = 'undefined_object',
                  HINT = 'SELECT name FROM retention.category lists the categories.';
    END IF;
END
$$;
COMMENT ON FUNCTION retention.drop_category(text) IS
    'Drops a retention category; refused while tags use it. Members of retention_admin only.';

CREATE OR REPLACE FUNCTION retention.untag(table_name regclass, column_name name DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    had_tag boolean;
BEGIN
    IF untag.table_name IS NULL THEN
        RAISE EXCEPTION '% must not be NULL', CASE WHEN untag.table_name IS NULL THEN 'table_name' ELSE 'column_name' END
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass the table, and the column or NULL for the table''s own tag.';
    END IF;
    PERFORM retention._load();
    IF untag.column_name IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM pg_catalog.pg_attribute a
         WHERE a.attrelid = untag.table_name AND a.attname = untag.column_name
           AND a.attnum > 0 AND NOT a.attisdropped) THEN
        RAISE EXCEPTION 'column "%" of relation % does not exist', untag.column_name, untag.table_name
            USING ERRCODE = 'undefined_column',
                  HINT = 'Name a column of the table, or omit column_name to untag the table itself.';
    END IF;
    SELECT EXISTS (
        SELECT 1 FROM pg_catalog.pg_seclabel s
          LEFT JOIN pg_catalog.pg_attribute a
                 ON a.attrelid = s.objoid AND a.attnum = s.objsubid
         WHERE s.provider = 'retention'
           AND s.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass
           AND s.objoid = untag.table_name
           AND ((untag.column_name IS NULL AND s.objsubid = 0)
                OR a.attname = untag.column_name))
      INTO had_tag;
    IF untag.column_name IS NULL THEN
        EXECUTE format('SECURITY LABEL FOR retention ON TABLE %s IS NULL', untag.table_name);
    ELSE
        EXECUTE format('SECURITY LABEL FOR retention ON COLUMN %s.%I IS NULL',
                       untag.table_name, untag.column_name);
    END IF;
    RETURN had_tag;
END
$$;
COMMENT ON FUNCTION retention.untag(regclass, name) IS
    'Removes the retention tag of a table (column_name NULL) or of one of its columns. Returns whether there was one. Only the table''s owner can untag it.';

-- lint: foreign_partition findings, which can be recorded as reviewed
ALTER TABLE retention.lint_exception DROP CONSTRAINT lint_exception_check_known;
ALTER TABLE retention.lint_exception ADD CONSTRAINT lint_exception_check_known CHECK (check_name OPERATOR(pg_catalog.=) ANY (ARRAY[
        'untagged_personal_data', 'subject_without_retention', 'anchor_without_index',
        'subject_without_index', 'invalid_tag', 'unused_category', 'foreign_partition']));

COMMENT ON COLUMN retention.lint_exception.check_name IS 'The lint check silenced: untagged_personal_data, subject_without_retention, anchor_without_index, subject_without_index, invalid_tag, foreign_partition (table_name is the foreign partition) or unused_category.';

-- status: columns renamed (oldest_overdue_for) and a row per foreign-table
-- partition; _tag_stats: oldest_due instead of oldest_due_anchor
DROP VIEW retention.status;
DROP FUNCTION retention._tag_stats(timestamptz, boolean);

CREATE FUNCTION retention._tag_stats(
    as_of       timestamptz,
    with_times  boolean,
    OUT table_name    regclass,
    OUT relation_name regclass,
    OUT column_name   name,
    OUT category      text,
    OUT action        text,
    OUT anchor_cutoff text,
    OUT rows_due      bigint,
    OUT rows_held     bigint,
    OUT index_serves  boolean,
    OUT oldest_due    timestamptz,
    OUT next_due      timestamptz,
    OUT note          text,
    OUT rows_blocked  bigint)
RETURNS SETOF record
LANGUAGE C STABLE STRICT
AS 'MODULE_PATHNAME', 'retention_tag_stats';
COMMENT ON FUNCTION retention._tag_stats(timestamptz, boolean) IS
    'Internal: per tag and relation, what enforcement as of as_of would process (rows_due), leave because still referenced (rows_blocked) or keep for a legal hold (rows_held), and with with_times the due time of the earliest due anchor (oldest_due) and the next due time. Use retention.preview() or retention.status.';
REVOKE ALL ON FUNCTION retention._tag_stats(timestamptz, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION retention._tag_stats(timestamptz, boolean) TO retention_admin;

CREATE OR REPLACE FUNCTION retention.preview(as_of timestamptz DEFAULT pg_catalog.now())
RETURNS TABLE (table_name    regclass,
               column_name   name,
               category      text,
               action        text,
               anchor_cutoff text,
               rows_due      bigint,
               rows_held     bigint,
               index_serves  boolean,
               note          text,
               rows_blocked  bigint)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT s.table_name, s.column_name, s.category, s.action,
           min(s.anchor_cutoff), sum(s.rows_due)::bigint, sum(s.rows_held)::bigint,
           bool_and(s.index_serves), string_agg(DISTINCT s.note, '; '), sum(s.rows_blocked)::bigint
      FROM retention._tag_stats(as_of, false) s
     GROUP BY s.table_name, s.column_name, s.category, s.action
     ORDER BY s.table_name::text, s.column_name NULLS FIRST
$$;
COMMENT ON FUNCTION retention.preview(timestamptz) IS
    'What enforcement would do at as_of (now, or a future instant), without changing data: per tag, the rows (table tags) or values (column tags) it would delete or anonymize (rows_due), the due rows it would leave because rows that stay still reference them through a foreign key that forbids their deletion (rows_blocked; rows whose referencing rows go in the same run are not blocked), the due rows a legal hold keeps (rows_held), the anchor cutoff (anchors up to it are due), and whether an index serves the due predicate. The three counts are disjoint. Members of retention_admin only.';

CREATE VIEW retention.status AS
WITH stats AS (
    SELECT s.table_name,
           (SELECT pg_catalog.format('%I.%I', n.nspname, c.relname)
              FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
             WHERE c.oid OPERATOR(pg_catalog.=) s.table_name) AS qualified_name,
           s.column_name, s.category, s.action,
           sum(s.rows_due)::bigint AS rows_overdue, sum(s.rows_held)::bigint AS rows_held,
           min(s.oldest_due) AS oldest_due,
           min(s.next_due) AS next_due, bool_and(s.index_serves) AS index_serves,
           string_agg(DISTINCT s.note, '; ') AS note, sum(s.rows_blocked)::bigint AS rows_blocked
      FROM retention._tag_stats(pg_catalog.now(), true) s
     GROUP BY s.table_name, 2, s.column_name, s.category, s.action)
SELECT st.table_name, st.column_name, st.category, st.action,
       st.rows_overdue, st.rows_held,
       pg_catalog.now() OPERATOR(pg_catalog.-) st.oldest_due AS oldest_overdue_for,
       st.next_due, st.index_serves,
       last.finished_at AS last_run,
       last.outcome AS last_outcome,
       err.finished_at AS last_error_at,
       err.error_sqlstate OPERATOR(pg_catalog.||) ': ' OPERATOR(pg_catalog.||) err.error AS last_error,
       st.note,
       st.rows_blocked
  FROM stats st
  LEFT JOIN LATERAL (
        SELECT a.finished_at, a.outcome FROM retention.action_log a
         WHERE a.table_name OPERATOR(pg_catalog.=) st.qualified_name
           AND (CASE WHEN st.column_name IS NULL THEN a.action OPERATOR(pg_catalog.=) 'delete'
                     ELSE st.column_name::text OPERATOR(pg_catalog.=) ANY (a.columns) END)
         ORDER BY a.action_id DESC LIMIT 1) last ON true
  LEFT JOIN LATERAL (
        SELECT a.finished_at, a.error_sqlstate, a.error FROM retention.action_log a
         WHERE a.table_name OPERATOR(pg_catalog.=) st.qualified_name
           AND a.outcome OPERATOR(pg_catalog.=) 'error'
           AND (CASE WHEN st.column_name IS NULL THEN a.action OPERATOR(pg_catalog.=) 'delete'
                     ELSE st.column_name::text OPERATOR(pg_catalog.=) ANY (a.columns) END)
         ORDER BY a.action_id DESC LIMIT 1) err ON true
UNION ALL
-- foreign-table partitions of tagged tables: enforcement never reaches them
SELECT t.table_name, t.column_name, t.category, t.action,
       NULL::bigint, NULL::bigint, NULL::interval, NULL::timestamptz, NULL::boolean,
       NULL::timestamptz, NULL::text, NULL::timestamptz, NULL::text,
       pg_catalog.format('not enforced: partition %I.%I is a foreign table', n.nspname, c.relname) COLLATE "default",
       NULL::bigint
  FROM retention.tags t
 CROSS JOIN LATERAL pg_catalog.pg_partition_tree(t.table_name) pt
  JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) pt.relid
  JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
 WHERE t.valid AND t.kind OPERATOR(pg_catalog.=) ANY (ARRAY['table', 'column'])
   AND c.relkind OPERATOR(pg_catalog.=) 'f';
COMMENT ON VIEW retention.status IS
    'Per tag: rows (or values) overdue now that the next run would process (rows_overdue), due rows under legal hold (rows_held), due rows the run would leave because rows that stay still reference them through a foreign key that forbids the delete (rows_blocked), how long the oldest due row (blocked ones included) has been overdue (oldest_overdue_for: now minus its due time), the next due time (NULL: nothing will fall due), whether an index serves the anchor, the last enforcement of the tag and its outcome, and the last error (SQLSTATE and description). A foreign-table partition of a tagged table, which enforcement never reaches, has a row of its own whose note says so. Members of retention_admin only.';
REVOKE ALL ON retention.status FROM PUBLIC;
GRANT SELECT ON retention.status TO retention_admin;

-- ==== 30_subject ====================================================
-- 30_subject: subject rights (issue 12 items 1, 2, 3, 6, 7, 8).
--  * retention._check_identifier(kind, value): the one rule for identifiers
--    (a kind some tag declares, a value that names somebody), used by
--    place_hold(), which now refuses undeclared kinds and meaningless values;
--  * retention.normalize_identifier now normalizes Unicode (NFKC, Unicode
--    case mapping and white space): indexes on it must be rebuilt.

CREATE FUNCTION retention._check_identifier(kind text, value text)
RETURNS void
LANGUAGE C STABLE STRICT
AS 'MODULE_PATHNAME', 'retention_check_subject_identifier';
COMMENT ON FUNCTION retention._check_identifier(text, text) IS
    'Internal: raises the error export and erasure raise for this identifier (a kind no tag declares, 22023 with the declared kinds; a value that names nobody once normalized, 22023), never quoting the value. Used by place_hold().';
REVOKE ALL ON FUNCTION retention._check_identifier(text, text) FROM PUBLIC;

COMMENT ON FUNCTION retention.place_hold(text, text, regclass, text, text, timestamptz) IS
    'Places a legal hold on one category, one table, or one data subject (identifier kind and value, stored as a keyed hash; the kind must be one a tag declares and the value must name somebody, as for export and erasure), with a reason and an optional end. Returns the hold id. Members of retention_admin only.';

COMMENT ON FUNCTION retention.normalize_identifier(text, text) IS
    'The form in which identifiers of a kind are matched (UTF-8 databases): email in Unicode NFKC, white space trimmed, lower-cased by Unicode''s case mapping whatever the collation; phone as "+" and digits (NFKC first, so full-width digits count; a leading 00 is the international prefix); other kinds NFC and trimmed. Identical in every UTF-8 database, so an expression index on it stays valid.';

DO $$
DECLARE
    n integer;
BEGIN
    SELECT pg_catalog.count(*) INTO n
      FROM pg_catalog.pg_index i
     WHERE i.indexprs IS NOT NULL
       AND pg_catalog.pg_get_expr(i.indexprs, i.indrelid) OPERATOR(pg_catalog.~) 'normalize_identifier';
    IF n OPERATOR(pg_catalog.>) 0 THEN
        RAISE WARNING '% index(es) on retention.normalize_identifier must be rebuilt', n
            USING DETAIL = 'Identifiers are now compared in Unicode normal form, lower-cased beyond ASCII.',
                  HINT = 'Run REINDEX INDEX on each; SELECT indexrelid::regclass FROM pg_index WHERE pg_get_expr(indexprs, indrelid) ~ ''normalize_identifier'' lists them.';
    END IF;
END
$$;

-- ==== 40_secrets ====================================================
-- 40_secrets: secrets that stay secret and erasures that survive a restore
-- (issue 12, items 4 and 5).
--
--  - retention._secret: row security enabled and forced, no policy;
--  - pseudonyms keyed per column: _pseudonym*(..., "column") replace the
--    0.1.0 forms (their C entry points still serve a 0.1.0 install);
--  - holds, the request log, the suppression list and the erasure ledger
--    each keyed with their own derived key: every hash 0.1.0 stored is
--    converted exactly (retention._rehash_legacy, dropped again), so no
--    hold and no suppression is lost;
--  - the suppression list keeps one row per reason; erasures recorded by
--    0.1.0 (its request log) come back as "erasure" rows in the ledger;
--  - retention.erasure_ledger() (retention.reapply_erasures() is created by
--    86_erasure_report, with its final result columns).
-- Privileges of every object are set by 99_privileges.sql, last.

ALTER TABLE retention._secret ENABLE ROW LEVEL SECURITY;
ALTER TABLE retention._secret FORCE ROW LEVEL SECURITY;
COMMENT ON TABLE retention._secret IS
    'Internal: the per-database key of pg_retention''s keyed hashes. Readable by superusers only (no privileges, row security forced with no policy); kept by pg_dump run as a superuser.';
COMMENT ON FUNCTION retention._identifier_hash(text, text) IS
    'Internal: keyed hash of a normalized identifier, as legal holds store it (the request log, the suppression list and the erasure ledger use other keys).';

DROP FUNCTION retention._pseudonym(text, integer, bigint);
DROP FUNCTION retention._pseudonym_bytea(bytea, bigint);
DROP FUNCTION retention._pseudonym_uuid(uuid, bigint);
CREATE FUNCTION retention._pseudonym(value text, maxlen integer, token bigint, "column" text) RETURNS text
LANGUAGE C VOLATILE STRICT AS 'MODULE_PATHNAME', 'retention_pseudonym_text';
CREATE FUNCTION retention._pseudonym_bytea(value bytea, token bigint, "column" text) RETURNS bytea
LANGUAGE C VOLATILE STRICT AS 'MODULE_PATHNAME', 'retention_pseudonym_bytea';
CREATE FUNCTION retention._pseudonym_uuid(value uuid, token bigint, "column" text) RETURNS uuid
LANGUAGE C VOLATILE STRICT AS 'MODULE_PATHNAME', 'retention_pseudonym_uuid';
COMMENT ON FUNCTION retention._pseudonym(text, integer, bigint, text) IS
    'Internal, enforcement only (token: the batch''s secret, a bound parameter): keyed HMAC-SHA-256 pseudonym in hex, maxlen characters (64 if 0), the last 8 a keyed check; keyed per column ("schema"."table"."column" of the tagged table).';
COMMENT ON FUNCTION retention._pseudonym_bytea(bytea, bigint, text) IS 'Internal, enforcement only: 32-byte keyed pseudonym with a keyed check, keyed per column.';
COMMENT ON FUNCTION retention._pseudonym_uuid(uuid, bigint, text) IS 'Internal, enforcement only: a keyed pseudonym that fits a uuid, keyed per column.';

-- 0.1.0's hashes, converted for their purpose (see src/keyed_hash.c).
CREATE FUNCTION retention._rehash_legacy(purpose text, digest bytea)
RETURNS bytea
LANGUAGE C STRICT
AS 'MODULE_PATHNAME', 'retention_rehash_legacy';
REVOKE ALL ON FUNCTION retention._rehash_legacy(text, bytea) FROM PUBLIC;

ALTER TABLE retention.suppression DROP CONSTRAINT suppression_pkey;
ALTER TABLE retention.suppression ADD COLUMN ledger_hash bytea;
UPDATE retention.suppression s
   SET identifier_hash = retention._rehash_legacy('suppression', s.identifier_hash),
       ledger_hash = CASE WHEN s.reason OPERATOR(pg_catalog.=) 'erasure'
                          THEN retention._rehash_legacy('erasure ledger', s.identifier_hash) END;
ALTER TABLE retention.suppression
    ADD PRIMARY KEY (kind, identifier_hash, reason),
    ADD CONSTRAINT suppression_ledger_hash CHECK
        ((reason OPERATOR(pg_catalog.=) 'erasure') OPERATOR(pg_catalog.=) (ledger_hash IS NOT NULL));

-- 0.1.0 kept one reason per identifier: an erasure after an opt-out was
-- recorded only in the request log.  Every erasure it logged (not dry runs,
-- not refused for a hold) goes into the list, and so into the ledger.
INSERT INTO retention.suppression AS s (kind, identifier_hash, reason, added_at, ledger_hash)
SELECT pg_catalog.split_part(h.value, ':', 1),
       retention._rehash_legacy('suppression', pg_catalog.decode(pg_catalog.split_part(h.value, ':', 2), 'hex')),
       'erasure', pg_catalog.max(r.requested_at),
       retention._rehash_legacy('erasure ledger', pg_catalog.decode(pg_catalog.split_part(h.value, ':', 2), 'hex'))
  FROM retention.dsr_request r, pg_catalog.unnest(r.identifier_hashes) AS h(value)
 WHERE r.kind OPERATOR(pg_catalog.=) 'erase'
   AND r.outcome OPERATOR(pg_catalog.=) ANY (ARRAY['done', 'nothing found'])
   AND h.value OPERATOR(pg_catalog.~) '^[a-z][a-z0-9_]*:[0-9a-f]{64}$'
 GROUP BY 1, 2, 5
ON CONFLICT (kind, identifier_hash, reason) DO UPDATE
   SET added_at = GREATEST(s.added_at, excluded.added_at);

UPDATE retention.dsr_request r
   SET identifier_hashes = ARRAY(
       SELECT CASE WHEN h.value OPERATOR(pg_catalog.~) '^[a-z][a-z0-9_]*:[0-9a-f]{64}$'
                   THEN pg_catalog.split_part(h.value, ':', 1) OPERATOR(pg_catalog.||) ':'
                        OPERATOR(pg_catalog.||) pg_catalog.encode(retention._rehash_legacy('request log',
                            pg_catalog.decode(pg_catalog.split_part(h.value, ':', 2), 'hex')), 'hex')
                   ELSE h.value END
         FROM pg_catalog.unnest(r.identifier_hashes) WITH ORDINALITY AS h(value, n)
        ORDER BY h.n);

UPDATE retention.legal_hold h
   SET subject_hash = retention._rehash_legacy('hold', h.subject_hash)
 WHERE h.subject_hash IS NOT NULL;

DROP FUNCTION retention._rehash_legacy(text, bytea);

COMMENT ON TABLE retention.suppression IS
    'The suppression list: keyed hashes of normalized identifiers that must not be imported or contacted again, one row per identifier and reason (erasure, opt-out, ...); erasure rows carry the identifier''s erasure ledger hash and the time of its last erasure. Never identifiers in clear; no role but the extension''s owner reads it. Check with retention.is_suppressed(kind, value).';
COMMENT ON TABLE retention.dsr_request IS
    'The request log of data subject requests: kind (export, erase, erase (dry run)), the identifiers as "kind:keyed hash" (never in clear; the request log''s own key, not comparable with legal_hold.subject_hash), who asked and when, rows found, per-table counts (found, deleted, anonymized, held) and the outcome.';
COMMENT ON FUNCTION retention.suppress(text, text, text) IS
    'Adds an identifier (e.g. a marketing opt-out) to the suppression list as a keyed hash with a reason, without erasing anything; an identifier keeps every reason it was added for (reason ''erasure'' records an erasure in the ledger as erase_subject does). Members of retention_dsr only.';

CREATE FUNCTION retention.erasure_ledger(since timestamptz DEFAULT NULL)
RETURNS jsonb
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'retention_erasure_ledger';
COMMENT ON FUNCTION retention.erasure_ledger(timestamptz) IS
    'The erasure ledger: every erasure since since (all with NULL) as the keyed hash of the normalized identifier (the ledger''s own key) and its time, never identifiers in clear, with the id of the key it was made with. Keep it outside the database; after restoring an older backup pass it to retention.reapply_erasures(). Members of retention_admin or retention_dsr.';

REVOKE ALL ON FUNCTION retention.erasure_ledger(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION retention.erasure_ledger(timestamptz) TO retention_admin, retention_dsr;

-- ==== 50_worker =====================================================
-- 50_worker.sql (issue 11): the workers serve every database in turn.
-- retention.worker_status() has more result columns (last completed run,
-- time since, next due, failures): dropped and created again.

DROP FUNCTION retention.worker_status();
CREATE FUNCTION retention.worker_status(
    OUT role            text,
    OUT database        text,
    OUT pid             integer,
    OUT state           text,
    OUT state_since     timestamptz,
    OUT last_cycle_end  timestamptz,
    OUT last_run_id     bigint,
    OUT message         text,
    OUT last_completed  timestamptz,
    OUT since_completed interval,
    OUT next_due        timestamptz,
    OUT failures        integer)
RETURNS SETOF record
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'retention_worker_status';
COMMENT ON FUNCTION retention.worker_status() IS
    'The pg_retention launcher (running, disabled, standby: waiting for promotion, not running) and every database with the extension: state (starting, enforcing, idle, no slot, failing, cancelled, terminated, disabled, standby, paused for DDL on the database), the pid of its running worker, since when, the end of its last cycle and of its last completed one, the time since that, when it is due next, consecutive failed cycles, and why it is not served.';
REVOKE ALL ON FUNCTION retention.worker_status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION retention.worker_status() TO retention_admin;

-- Metrics for monitoring (src/sql/97_metrics.sql).
CREATE FUNCTION retention.metrics_database(
    OUT last_completed              timestamptz,
    OUT seconds_since_completed     double precision,
    OUT runs_24h                    bigint,
    OUT runs_failed_24h             bigint,
    OUT worker_failures             integer,
    OUT worker_state                text)
RETURNS record
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT c.finished_at,
           pg_catalog.date_part('epoch', pg_catalog.now() OPERATOR(pg_catalog.-) c.finished_at),
           d.runs, d.failed,
           w.failures, w.state
      FROM (SELECT pg_catalog.max(r.finished_at) AS finished_at
              FROM retention.run r
             WHERE r.status OPERATOR(pg_catalog.=) ANY ('{completed,"completed with errors",partial}'::text[])) c,
           (SELECT pg_catalog.count(*) AS runs,
                   pg_catalog.count(*) FILTER (WHERE r.status OPERATOR(pg_catalog.=) ANY ('{"completed with errors",interrupted}'::text[])) AS failed
              FROM retention.run r
             WHERE r.finished_at OPERATOR(pg_catalog.>) (pg_catalog.now() OPERATOR(pg_catalog.-) '1 day'::interval)) d
      LEFT JOIN retention.worker_status() w
        ON w.role OPERATOR(pg_catalog.=) 'worker' AND w.database OPERATOR(pg_catalog.=) pg_catalog.current_database()
$$;
COMMENT ON FUNCTION retention.metrics_database() IS
    'For monitoring (pg_monitor): the end of the last completed enforcement run of this database and the seconds since, runs and failed runs (completed with errors, interrupted) in the last 24 hours, and from the worker: consecutive failed cycles and its state (NULL without the background worker).';
REVOKE ALL ON FUNCTION retention.metrics_database() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION retention.metrics_database() TO pg_monitor, retention_admin;

CREATE FUNCTION retention.metrics_tags(
    OUT table_name              text,
    OUT column_name             text,
    OUT category                text,
    OUT rows_overdue            bigint,
    OUT oldest_overdue_seconds  double precision,
    OUT rows_held               bigint,
    OUT rows_blocked            bigint,
    OUT errors_last_run         integer)
RETURNS SETOF record
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT s.table_name::text, s.column_name::text, s.category::text,
           s.rows_overdue,
           pg_catalog.date_part('epoch', s.oldest_overdue_for),
           s.rows_held, s.rows_blocked,
           COALESCE(s.last_outcome OPERATOR(pg_catalog.=) 'error', false)::integer
      FROM retention.status s
$$;
COMMENT ON FUNCTION retention.metrics_tags() IS
    'For monitoring (pg_monitor): per tag, the rows (or values) overdue, how long in seconds the oldest of them has been overdue, rows held, rows blocked, and whether the tag''s last job ended in an error. Counts only.';
REVOKE ALL ON FUNCTION retention.metrics_tags() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION retention.metrics_tags() TO pg_monitor, retention_admin;

-- The evidence's own cost stays constant as it grows (issue 11, item 4):
-- runs and jobs left running, and each table's last error, by index.
CREATE INDEX run_running ON retention.run (run_id) WHERE status = 'running';
CREATE INDEX action_log_running ON retention.action_log (run_id) WHERE outcome = 'running';
CREATE INDEX action_log_error ON retention.action_log (table_name COLLATE "C", action_id) WHERE outcome = 'error';

-- ==== 60_pacing =====================================================
-- 60_pacing (issue 13 item 4): a run paces itself by what its batches cost
-- (retention.max_load); the run log records how long it paused.

ALTER TABLE retention.run ADD COLUMN paused interval NOT NULL DEFAULT '0';
COMMENT ON COLUMN retention.run.paused IS
    'Time the run paused between batches (pacing: retention.max_load, retention.batch_delay).';

-- ==== 70_model ======================================================
-- 70_model: the 0.2.0 policy model, part 1 (issue 14 items 1-5, 9): category
-- variants, the tags view's condition/period/variant/anchor-words columns, the
-- schedule with anchor words and variant rows, the export's rule in words and
-- variant, and the event trigger that stores when= conditions normalized.

CREATE TABLE retention.category_variant (
    category    text NOT NULL,
    variant     text NOT NULL,
    period      interval NOT NULL,
    starts      text,
    time_zone   text,
    legal_basis text,
    note        text,
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (category, variant),
    CONSTRAINT category_variant_starts_known
        CHECK (starts IS NULL OR starts OPERATOR(pg_catalog.=) ANY (ARRAY['exact', 'end_of_day', 'end_of_month', 'end_of_year']))
);

COMMENT ON TABLE retention.category_variant IS
    'Variants of a category''s rule, e.g. per country: a tag with variant=column applies the variant whose name equals the row''s value (as text); no match uses the category''s rule. Change with retention.define_category_variant / drop_category_variant.';
COMMENT ON COLUMN retention.category_variant.category IS 'The category the variant belongs to.';
COMMENT ON COLUMN retention.category_variant.variant IS 'The value of the tag''s variant column that selects this rule, e.g. a country code.';
COMMENT ON COLUMN retention.category_variant.period IS 'How long data is kept after the boundary under this variant.';
COMMENT ON COLUMN retention.category_variant.starts IS 'The boundary of the variant (exact, end_of_day, end_of_month, end_of_year); NULL: the category''s.';
COMMENT ON COLUMN retention.category_variant.time_zone IS 'The time zone of the variant''s boundary; NULL: the category''s.';
COMMENT ON COLUMN retention.category_variant.legal_basis IS 'The legal basis under this variant; NULL: the category''s.';
COMMENT ON COLUMN retention.category_variant.note IS 'What a data subject is told about this variant, e.g. the law that sets it.';

SELECT pg_catalog.pg_extension_config_dump('retention.category_variant', '');

REVOKE ALL ON retention.category_variant FROM PUBLIC;
GRANT SELECT ON retention.category_variant TO PUBLIC;
GRANT INSERT, UPDATE, DELETE ON retention.category_variant TO retention_admin;

-- retention._category_variant_validate() and its trigger: 89_hardening.sql

CREATE FUNCTION retention.define_category_variant(
    category    text,
    variant     text,
    period      interval,
    starts      text DEFAULT NULL,
    time_zone   text DEFAULT NULL,
    legal_basis text DEFAULT NULL,
    note        text DEFAULT NULL)
RETURNS retention.category_variant
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result retention.category_variant;
BEGIN
    INSERT INTO retention.category_variant AS v
           (category, variant, period, starts, time_zone, legal_basis, note)
    VALUES (define_category_variant.category, define_category_variant.variant,
            define_category_variant.period, define_category_variant.starts,
            define_category_variant.time_zone, define_category_variant.legal_basis,
            define_category_variant.note)
    ON CONFLICT ON CONSTRAINT category_variant_pkey DO UPDATE
       SET period = EXCLUDED.period, starts = EXCLUDED.starts, time_zone = EXCLUDED.time_zone,
           legal_basis = EXCLUDED.legal_basis, note = EXCLUDED.note
    RETURNING v.* INTO result;
    RETURN result;
END
$$;
COMMENT ON FUNCTION retention.define_category_variant(text, text, interval, text, text, text, text) IS
    'Defines (or redefines) the variant of a category''s rule that applies to rows whose variant column (tag key variant=column) equals variant, e.g. a country code: its period, and optionally its own boundary, time zone and legal basis (NULL: the category''s). Members of retention_admin only.';

CREATE FUNCTION retention.drop_category_variant(category text, variant text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM retention.category_variant v
     WHERE v.category = drop_category_variant.category
       AND v.variant = drop_category_variant.variant;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'variant "%" of category "%" does not exist', drop_category_variant.variant, drop_category_variant.category
            USING ERRCODE = 'undefined_object',
                  HINT = 'SELECT category, variant FROM retention.category_variant lists the variants.';
    END IF;
END
$$;
COMMENT ON FUNCTION retention.drop_category_variant(text, text) IS
    'Drops a variant of a category: rows it selected follow the category''s rule again. Members of retention_admin only.';

REVOKE ALL ON FUNCTION retention.define_category_variant(text, text, interval, text, text, text, text),
                       retention.drop_category_variant(text, text)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION retention.define_category_variant(text, text, interval, text, text, text, text),
                          retention.drop_category_variant(text, text)
    TO retention_admin;
CREATE FUNCTION retention._tag_model_rows(
    OUT table_name        pg_catalog.regclass,
    OUT column_name       name,
    OUT condition         text,
    OUT anchor_words      text,
    OUT period_from       text,
    OUT variant_from      text)
RETURNS SETOF record
LANGUAGE C STABLE STRICT
AS 'MODULE_PATHNAME', 'retention_tag_model_rows';
COMMENT ON FUNCTION retention._tag_model_rows() IS
    'Internal: the 0.2.0 policy keys of every valid retention tag (normalized condition, anchor in words, period and variant columns). Use the retention.tags view.';

CREATE OR REPLACE VIEW retention.tags AS
SELECT t.table_name,
       t.column_name,
       t.table_name::text
           OPERATOR(pg_catalog.||) coalesce('.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(t.column_name::text), '')
           COLLATE "default" AS object,
       t.kind,
       t.category,
       c.period,
       c.starts,
       c.time_zone,
       t.anchor,
       t.anchor_table,
       t.action,
       t.action_source,
       t.subject,
       t.keep,
       t.bucket,
       t.valid,
       t.problem,
       t.problem_sqlstate,
       t.label,
       m.condition,
       m.period_from,
       m.variant_from,
       m.anchor_words
  FROM retention._tag_rows() t
  LEFT JOIN retention.category c ON c.name OPERATOR(pg_catalog.=) t.category
  LEFT JOIN retention._tag_model_rows() m
         ON m.table_name OPERATOR(pg_catalog.=) t.table_name
        AND m.column_name IS NOT DISTINCT FROM t.column_name;

COMMENT ON VIEW retention.tags IS
    'Every retention tag with its category resolved: kind (table: rows are deleted; column: the value is anonymized; subject: identifier column only), period, boundary, time zone, anchor, effective action (from the tag or the category), subject kind. valid is false, with the problem, for a tag that no longer resolves (e.g. after a restore whose categories were not loaded). condition is the normalized when= expression (rows where it is not true are outside the tag), period_from and variant_from the columns that period= and variant= read, anchor_words what the period counts from in words (the anchor columns'' comments).';

CREATE FUNCTION retention._normalize_labels()
RETURNS event_trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'retention_normalize_labels';
COMMENT ON FUNCTION retention._normalize_labels() IS
    'Internal: after SECURITY LABEL, stores every when= condition of a retention tag in its normalized form.';

CREATE EVENT TRIGGER retention_normalize_labels ON ddl_command_end
    WHEN TAG IN ('SECURITY LABEL')
    EXECUTE FUNCTION retention._normalize_labels();

ALTER EVENT TRIGGER retention_normalize_labels ENABLE ALWAYS;

-- Every anchor item of every valid tag and the index that would serve it.
CREATE FUNCTION retention._tag_anchor_items(
    OUT table_name    pg_catalog.regclass,
    OUT column_name   name,
    OUT item          text,
    OUT index_relid   oid,
    OUT index_attnum  smallint,
    OUT index_columns text)
RETURNS SETOF record
LANGUAGE C STABLE STRICT
AS 'MODULE_PATHNAME', 'retention_tag_anchor_items';
COMMENT ON FUNCTION retention._tag_anchor_items() IS
    'Internal: per anchor item of every valid retention tag, the relation and column an index must lead with to serve it, and the index columns to suggest (for latest(): the child''s foreign-key column, then the column).';

-- ==== 75_actions ====================================================
-- 75_actions: what happens to due and erased rows (issue 14 items 6, 7, 8).
--  * retention.category.on_erasure (delete | anonymize | keep): what an
--    erasure does to a category's data.  Existing categories get 'delete',
--    which is what 0.1.0's erasure did to every category;
--  * define_category / alter_category take on_erasure (new signatures);
--  * the label keys blocked= and suppress= need no SQL objects.

ALTER TABLE retention.category
    ADD COLUMN on_erasure text NOT NULL DEFAULT 'delete',
    ADD CONSTRAINT category_on_erasure_known
        CHECK (on_erasure OPERATOR(pg_catalog.=) ANY (ARRAY['delete', 'anonymize', 'keep']));
COMMENT ON COLUMN retention.category.on_erasure IS 'What an erasure request does to data of this category (GDPR Art. 17(3)(b)): delete (as its tags do at expiry: rows deleted, values anonymized), anonymize (rows kept, their tagged columns anonymized and identifiers removed) or keep (kept whole for a legal obligation, reported with legal_basis).';

-- after 20_nullsafe: the same function as src/sql/10_category.sql, with on_erasure
CREATE OR REPLACE FUNCTION retention._category_validate()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    given_zone text := NEW.time_zone;
    missing text := CASE WHEN NEW.name IS NULL THEN 'name' WHEN NEW.period IS NULL THEN 'period'
                         WHEN NEW.starts IS NULL THEN 'starts' WHEN NEW.action IS NULL THEN 'action'
                         WHEN NEW.time_zone IS NULL THEN 'time_zone'
                         WHEN NEW.on_erasure IS NULL THEN 'on_erasure' END;
BEGIN
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION '% of a retention category must not be NULL', missing
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Give name and period; starts, action and time_zone have defaults (exact, delete, UTC) when omitted.';
    END IF;
    IF NEW.name !~ '^[a-z_][a-z0-9_]{0,62}$' THEN
        RAISE EXCEPTION 'invalid category name "%"', NEW.name
            USING ERRCODE = 'invalid_name',
                  HINT = 'Use 1 to 63 lower-case letters, digits and underscores, starting with a letter or underscore.';
    END IF;
    IF NEW.period IS NULL
       OR extract(year FROM NEW.period) < 0 OR extract(month FROM NEW.period) < 0
       OR extract(day FROM NEW.period) < 0 OR extract(hour FROM NEW.period) < 0
       OR extract(minute FROM NEW.period) < 0 OR extract(second FROM NEW.period) < 0 THEN
        RAISE EXCEPTION 'invalid retention period for category "%"', NEW.name
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The period is %s; no part of it may be negative.', coalesce(NEW.period::text, 'NULL')),
                  HINT = 'Give a positive interval such as ''12 months'' or ''7 years'', or ''0'' for data due at its boundary.';
    END IF;
    -- bounded so that due times stay representable (later ones count as
    -- never due); extract(epoch) counts a year as 365.25 days
    IF extract(epoch FROM NEW.period) > extract(epoch FROM interval '1000 years') THEN
        RAISE EXCEPTION 'retention period of category "%" is too long', NEW.name
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The period is %s; the longest period allowed is 1000 years.', NEW.period),
                  HINT = 'Give a period of at most 1000 years. Data that is never due needs no retention tag.';
    END IF;
    IF NEW.starts IS NULL OR NEW.starts <> ALL (ARRAY['exact', 'end_of_day', 'end_of_month', 'end_of_year']) THEN
        RAISE EXCEPTION 'invalid boundary "%" for category "%"', NEW.starts, NEW.name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'starts is one of exact, end_of_day, end_of_month, end_of_year.';
    END IF;
    IF NEW.action IS NULL OR NEW.action <> ALL (ARRAY['delete', 'nullify', 'default', 'hash', 'mask', 'generalize']) THEN
        RAISE EXCEPTION 'invalid action "%" for category "%"', NEW.action, NEW.name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'action is delete (for table tags) or nullify, default, hash, mask, generalize (for column tags).';
    END IF;
    IF NEW.on_erasure IS NULL OR NEW.on_erasure <> ALL (ARRAY['delete', 'anonymize', 'keep']) THEN
        RAISE EXCEPTION 'invalid on_erasure "%" for category "%"', NEW.on_erasure, NEW.name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'on_erasure is delete (erasure removes the data), anonymize (rows kept, personal columns anonymized) or keep (kept for a legal obligation).';
    END IF;
    IF NEW.on_erasure <> 'delete' AND coalesce(btrim(NEW.legal_basis), '') = '' THEN
        RAISE EXCEPTION 'category "%" keeps data through an erasure but states no legal basis', NEW.name
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('on_erasure is %s; an erasure reports the legal basis as the reason the data stays.', NEW.on_erasure),
                  HINT = 'Give legal_basis (e.g. ''legal obligation: tax law, GDPR Art. 6(1)(c), Art. 17(3)(b)''), or use on_erasure => ''delete''.';
    END IF;
    -- zone names match case-insensitively (as in SET TIME ZONE) and are
    -- stored as the time zone database spells them
    SELECT z.name INTO NEW.time_zone
      FROM pg_catalog.pg_timezone_names z
     WHERE lower(z.name) = lower(NEW.time_zone)
     ORDER BY z.name = NEW.time_zone DESC, z.name
     LIMIT 1;
    IF NEW.time_zone IS NULL THEN
        RAISE EXCEPTION 'unknown time zone "%" for category "%"', given_zone, NEW.name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use a full zone name from pg_timezone_names, such as ''UTC'' or ''Europe/Zagreb''.';
    END IF;
    -- bookkeeping for changes made by statements, not for the restore
    -- trigger's own update (which carries the dumped timestamps)
    IF TG_OP = 'UPDATE' AND pg_trigger_depth() = 1 THEN
        NEW.created_at := OLD.created_at;
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END
$$;

DROP FUNCTION retention.define_category(text, interval, text, text, text, text, text, text);
DROP FUNCTION retention.alter_category(text, interval, text, text, text, text, text, text, text);

CREATE FUNCTION retention.define_category(
    name        text,
    period      interval,
    starts      text DEFAULT 'exact',
    action      text DEFAULT 'delete',
    description text DEFAULT NULL,
    purpose     text DEFAULT NULL,
    legal_basis text DEFAULT NULL,
    time_zone   text DEFAULT 'UTC',
    on_erasure  text DEFAULT 'delete')
RETURNS retention.category
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result retention.category;
BEGIN
    IF EXISTS (SELECT 1 FROM retention.category c WHERE c.name = define_category.name) THEN
        RAISE EXCEPTION 'retention category "%" already exists', define_category.name
            USING ERRCODE = 'duplicate_object',
                  HINT = 'Change it with retention.alter_category(), or choose another name.';
    END IF;
    INSERT INTO retention.category AS c
           (name, period, starts, action, description, purpose, legal_basis, time_zone, on_erasure)
    VALUES (define_category.name, define_category.period, define_category.starts,
            define_category.action, define_category.description, define_category.purpose,
            define_category.legal_basis, define_category.time_zone, define_category.on_erasure)
    RETURNING c.* INTO result;
    RETURN result;
END
$$;
COMMENT ON FUNCTION retention.define_category(text, interval, text, text, text, text, text, text, text) IS
    'Defines a retention category: data of this category is due period after the starts boundary (exact, end_of_day, end_of_month, end_of_year in time_zone) of its anchor; action is the default for its tags; on_erasure (delete, anonymize, keep) is what an erasure request does to its data. Members of retention_admin only.';

CREATE FUNCTION retention.alter_category(
    name        text,
    period      interval DEFAULT NULL,
    starts      text DEFAULT NULL,
    action      text DEFAULT NULL,
    description text DEFAULT NULL,
    purpose     text DEFAULT NULL,
    legal_basis text DEFAULT NULL,
    time_zone   text DEFAULT NULL,
    new_name    text DEFAULT NULL,
    on_erasure  text DEFAULT NULL)
RETURNS retention.category
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result retention.category;
BEGIN
    IF alter_category.name IS NULL THEN
        RAISE EXCEPTION 'name must not be NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass the name of the category to change.';
    END IF;
    IF alter_category.new_name IS NOT NULL AND alter_category.new_name <> alter_category.name
       AND EXISTS (SELECT 1 FROM retention.category c WHERE c.name = alter_category.new_name) THEN
        RAISE EXCEPTION 'retention category "%" already exists', alter_category.new_name
            USING ERRCODE = 'duplicate_object',
                  HINT = 'Choose another new_name.';
    END IF;
    UPDATE retention.category AS c SET
        name        = coalesce(alter_category.new_name, c.name),
        period      = coalesce(alter_category.period, c.period),
        starts      = coalesce(alter_category.starts, c.starts),
        action      = coalesce(alter_category.action, c.action),
        description = CASE WHEN alter_category.description IS NULL THEN c.description
                           ELSE nullif(alter_category.description, '') END,
        purpose     = CASE WHEN alter_category.purpose IS NULL THEN c.purpose
                           ELSE nullif(alter_category.purpose, '') END,
        legal_basis = CASE WHEN alter_category.legal_basis IS NULL THEN c.legal_basis
                           ELSE nullif(alter_category.legal_basis, '') END,
        time_zone   = coalesce(alter_category.time_zone, c.time_zone),
        on_erasure  = coalesce(alter_category.on_erasure, c.on_erasure)
     WHERE c.name = alter_category.name
    RETURNING c.* INTO result;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'retention category "%" does not exist', alter_category.name
            USING ERRCODE = 'undefined_object',
                  HINT = 'SELECT name FROM retention.category lists the categories; define one with retention.define_category().';
    END IF;
    RETURN result;
END
$$;
COMMENT ON FUNCTION retention.alter_category(text, interval, text, text, text, text, text, text, text, text) IS
    'Changes a retention category; NULL arguments leave a field as it is, an empty string clears description, purpose or legal_basis. The change applies to every tag of the category. Members of retention_admin only.';

REVOKE ALL ON FUNCTION retention.define_category(text, interval, text, text, text, text, text, text, text),
                       retention.alter_category(text, interval, text, text, text, text, text, text, text, text)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION retention.define_category(text, interval, text, text, text, text, text, text, text),
                          retention.alter_category(text, interval, text, text, text, text, text, text, text, text)
    TO retention_admin;

-- ==== 76_schedule ===================================================
-- 76_schedule: retention.schedule shows what an erasure request does to
-- each category's data (on_erasure, added by 75_actions), next to what
-- happens at expiry (issue 14).
CREATE OR REPLACE VIEW retention.schedule AS
-- the tags are read once: every subquery below scans this
WITH t AS MATERIALIZED (
    SELECT t.category, t.anchor, t.action, t.object, t.anchor_words FROM retention.tags t)
SELECT c.name AS category,
       c.description AS data,
       retention.rule_in_words(coalesce(v.period, c.period), coalesce(v.starts, c.starts),
                               coalesce(v.time_zone, c.time_zone),
                               coalesce(w.words, 'the anchor date')) AS kept,
       (SELECT pg_catalog.string_agg(DISTINCT t.anchor, ', ')
          FROM t
         WHERE t.category OPERATOR(pg_catalog.=) c.name) AS anchors,
       coalesce((SELECT pg_catalog.string_agg(DISTINCT t.action, ', ')
                   FROM t
                  WHERE t.category OPERATOR(pg_catalog.=) c.name), c.action) AS at_expiry,
       c.purpose,
       coalesce(v.legal_basis, c.legal_basis) AS legal_basis,
       CASE WHEN c.name OPERATOR(pg_catalog.=) 'retention_evidence'
            THEN 'retention.run, retention.action_log'
            ELSE (SELECT pg_catalog.string_agg(t.object, ', ' ORDER BY t.object)
                    FROM t
                   WHERE t.category OPERATOR(pg_catalog.=) c.name) END AS applies_to,
       v.variant,
       v.note AS variant_note,
       c.on_erasure
  FROM retention.category c
  LEFT JOIN LATERAL (SELECT pg_catalog.string_agg(DISTINCT t.anchor_words, ' or ') AS words
                       FROM t
                      WHERE t.category OPERATOR(pg_catalog.=) c.name) w ON true
  LEFT JOIN LATERAL (SELECT NULL::text AS variant, NULL::text AS note, NULL::interval AS period,
                            NULL::text AS starts, NULL::text AS time_zone, NULL::text AS legal_basis
                     UNION ALL
                     SELECT cv.variant, cv.note, cv.period, cv.starts, cv.time_zone, cv.legal_basis
                       FROM retention.category_variant cv
                      WHERE cv.category OPERATOR(pg_catalog.=) c.name) v ON true;

COMMENT ON VIEW retention.schedule IS
    'The retention schedule as the database enforces it, in the shape of a privacy notice: per category the data, how long it is kept (counted from the anchors of its tags, in the words of the anchor columns'' comments), what happens at expiry, purpose, legal basis and the tables and columns it applies to; one more row per variant of the category (variant, variant_note) with the variant''s rule; and what an erasure request does to the category''s data (on_erasure: delete, anonymize or keep).';

-- ==== 77_variants_follow ============================================
-- 77_variants_follow: a category's variants are renamed and dropped with
-- the category (issue 14: they used to linger after drop_category, and lose
-- their category on a rename).
DELETE FROM retention.category_variant v
 WHERE NOT EXISTS (SELECT 1 FROM retention.category c WHERE c.name = v.category);

-- A category's variants follow it: renamed with it, dropped with it (there
-- is no foreign key: both tables are extension configuration, dumped and
-- restored table by table).
CREATE FUNCTION retention._category_variants_follow()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM retention.category_variant v WHERE v.category = OLD.name;
    ELSIF NEW.name <> OLD.name THEN
        UPDATE retention.category_variant v SET category = NEW.name WHERE v.category = OLD.name;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION retention._category_variants_follow() IS
    'Internal: renames and drops a category''s variants with the category.';

CREATE TRIGGER category_variants_follow
    AFTER UPDATE OF name OR DELETE ON retention.category
    FOR EACH ROW EXECUTE FUNCTION retention._category_variants_follow();

-- ==== 78_tag_helpers ================================================
-- 78_tag_helpers: retention.tag_table() and retention.tag_column() write
-- every key of the 0.2.0 policy model (issue 14): condition (when=),
-- period, variant, and for tables blocked, suppress and partitions; anchors
-- may be latest(table.column via fkcol).  The old signatures go (the new
-- ones accept every call the old ones did).
DROP FUNCTION retention.tag_table(regclass, text, text, text);
DROP FUNCTION retention.tag_column(regclass, name, text, text, text, text, integer, bigint);

CREATE OR REPLACE FUNCTION retention._label_word(key text, value text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF value IS NULL THEN
        RETURN '';
    END IF;
    -- white space is allowed only inside double-quoted identifiers and
    -- inside latest(...) (latest(child.col via fkcol))
    IF value = '' OR pg_catalog.regexp_replace(
           pg_catalog.regexp_replace(value, '"([^"]|"")*"', '', 'g'),
           'latest\([^()]*\)', '', 'gi') ~ '\s' THEN
        RAISE EXCEPTION 'invalid % "%"', key, value
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The %s of a tag is one word; white space is allowed only inside double-quoted names.', key),
                  HINT = CASE WHEN key IN ('anchor', 'period', 'variant')
                              THEN 'Pass a column name, fkcol->table.column or latest(table.column via fkcol).'
                              ELSE 'Pass a single word.' END;
    END IF;
    RETURN format(' %s=%s', key, value);
END
$$;
COMMENT ON FUNCTION retention._label_word(text, text) IS
    'Internal: one key=value pair of a label, refusing values that would split into several pairs.';

CREATE FUNCTION retention._label_quoted(key text, value text)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    -- when='...': single quotes, doubled inside; the provider parses it
    SELECT CASE WHEN value IS NULL THEN ''
                ELSE format(' %s=''%s''', key, pg_catalog.replace(value, '''', '''''')) END
$$;
COMMENT ON FUNCTION retention._label_quoted(text, text) IS
    'Internal: one key=''value'' pair of a label (when=), the value single-quoted with quotes doubled.';

CREATE FUNCTION retention.tag_table(
    table_name regclass,
    category   text,
    anchor     text,
    action     text DEFAULT NULL,
    condition  text DEFAULT NULL,
    period     text DEFAULT NULL,
    variant    text DEFAULT NULL,
    blocked    text DEFAULT NULL,
    suppress   boolean DEFAULT NULL,
    partitions text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    label text;
BEGIN
    IF tag_table.table_name IS NULL THEN
        RAISE EXCEPTION '% must not be NULL', CASE WHEN tag_table.table_name IS NULL THEN 'table_name' ELSE 'column_name' END
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass the table to tag.';
    END IF;
    PERFORM retention._load();
    label := ltrim(retention._label_word('category', quote_ident(tag_table.category))
                || retention._label_word('anchor', tag_table.anchor)
                || retention._label_word('action', tag_table.action)
                || retention._label_quoted('when', tag_table.condition)
                || retention._label_word('period', tag_table.period)
                || retention._label_word('variant', tag_table.variant)
                || retention._label_word('blocked', tag_table.blocked)
                || retention._label_word('suppress', tag_table.suppress::text)
                || retention._label_word('partitions', tag_table.partitions));
    EXECUTE format('SECURITY LABEL FOR retention ON TABLE %s IS %L', tag_table.table_name, label);
    RETURN label;
END
$$;
COMMENT ON FUNCTION retention.tag_table(regclass, text, text, text, text, text, text, text, boolean, text) IS
    'Tags a table: its rows are deleted when due (category period after the boundary of anchor). The other arguments write the keys of the same names (condition writes when=). Returns the label written. Only the table''s owner can tag it.';

CREATE FUNCTION retention.tag_column(
    table_name  regclass,
    column_name name,
    category    text DEFAULT NULL,
    anchor      text DEFAULT NULL,
    action      text DEFAULT NULL,
    subject     text DEFAULT NULL,
    keep        integer DEFAULT NULL,
    bucket      bigint DEFAULT NULL,
    condition   text DEFAULT NULL,
    period      text DEFAULT NULL,
    variant     text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    label text;
BEGIN
    IF tag_column.table_name IS NULL OR tag_column.column_name IS NULL THEN
        RAISE EXCEPTION '% must not be NULL', CASE WHEN tag_column.table_name IS NULL THEN 'table_name' ELSE 'column_name' END
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass the table and the column to tag.';
    END IF;
    PERFORM retention._load();
    label := ltrim(retention._label_word('category', quote_ident(tag_column.category))
                || retention._label_word('anchor', tag_column.anchor)
                || retention._label_word('action', tag_column.action)
                || retention._label_word('subject', tag_column.subject)
                || retention._label_word('keep', tag_column.keep::text)
                || retention._label_word('bucket', tag_column.bucket::text)
                || retention._label_quoted('when', tag_column.condition)
                || retention._label_word('period', tag_column.period)
                || retention._label_word('variant', tag_column.variant));
    EXECUTE format('SECURITY LABEL FOR retention ON COLUMN %s.%I IS %L',
                   tag_column.table_name, tag_column.column_name, label);
    RETURN label;
END
$$;
COMMENT ON FUNCTION retention.tag_column(regclass, name, text, text, text, text, integer, bigint, text, text, text) IS
    'Tags a column: with a category, its value is anonymized when due (action, or the category''s default); with subject only, marks it as a data subject identifier of that kind. The other arguments write the keys of the same names (condition writes when=). Returns the label written. Only the table''s owner can tag it.';

GRANT EXECUTE ON FUNCTION retention.tag_table(regclass, text, text, text, text, text, text, text, boolean, text),
                          retention.tag_column(regclass, name, text, text, text, text, integer, bigint, text, text, text)
    TO PUBLIC;

-- ==== 80_tools ======================================================
-- 0.1.0 -> 0.2.0, topic "tools" (issue 14 items 10 and 11).
--
-- Lint (src/sql/96_lint.sql): the checks untagged_personal_column and
-- foreign_key_without_index, indexes on partitions, "name" in tables of
-- people.  Every lint function is (re)created as the install script creates
-- it (CREATE OR REPLACE keeps the grants of the existing ones), and the
-- exception list accepts the new check names.
--
-- Policy as code (src/sql/97_policy_sql.sql): retention.policy_sql(), new.
-- This fragment runs after those of the other topics: the lint functions
-- here are the merged result of every topic's changes to 96_lint.sql.

ALTER TABLE retention.lint_exception
    DROP CONSTRAINT lint_exception_check_known,
    ADD CONSTRAINT lint_exception_check_known CHECK (check_name OPERATOR(pg_catalog.=) ANY (ARRAY[
        'untagged_personal_data', 'untagged_personal_column', 'subject_without_retention',
        'anchor_without_index', 'subject_without_index', 'foreign_key_without_index',
        'invalid_tag', 'unused_category', 'foreign_partition']));

COMMENT ON COLUMN retention.lint_exception.check_name IS 'The lint check silenced: untagged_personal_data, untagged_personal_column, subject_without_retention, anchor_without_index, subject_without_index, foreign_key_without_index, invalid_tag, foreign_partition (table_name is the foreign partition) or unused_category.';

-- Does the subject search compare this column with plain equality (integer
-- identifiers of kinds other than email and phone; see src/subject.c)?
CREATE OR REPLACE FUNCTION retention._lint_subject_by_equality(kind text, type oid)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
RETURN kind NOT IN ('email', 'phone')
   AND (SELECT CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
          FROM pg_catalog.pg_type t WHERE t.oid = type)
       IN ('pg_catalog.int2'::pg_catalog.regtype, 'pg_catalog.int4'::pg_catalog.regtype,
           'pg_catalog.int8'::pg_catalog.regtype);
COMMENT ON FUNCTION retention._lint_subject_by_equality(text, oid) IS
    'Internal: whether the subject search compares a column of this kind and type by plain equality (else by retention.normalize_identifier).';

-- Is there a valid index whose first key is retention.normalize_identifier(kind, col)?
CREATE OR REPLACE FUNCTION retention._lint_normalized_index(relid regclass, kind text, column_name name)
RETURNS boolean
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp
RETURN EXISTS (
    SELECT 1 FROM pg_catalog.pg_index i
     WHERE i.indrelid = relid AND i.indisvalid AND i.indkey[0] = 0
       AND pg_catalog.regexp_replace(pg_catalog.pg_get_indexdef(i.indexrelid, 1, false), '[()]', '', 'g')
           = pg_catalog.format('retention.normalize_identifier%L::text, %I', kind, column_name)
             OR pg_catalog.regexp_replace(pg_catalog.pg_get_indexdef(i.indexrelid, 1, false), '[()]', '', 'g')
           = pg_catalog.format('retention.normalize_identifier%L::text, %I::text', kind, column_name));
COMMENT ON FUNCTION retention._lint_normalized_index(regclass, text, name) IS
    'Internal: whether an index leads with retention.normalize_identifier(kind, column), the expression the subject search compares.';

-- The personal-data term in a column name, or NULL.
CREATE OR REPLACE FUNCTION retention._lint_name_term(column_name text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- single words (after splitting snake_case, camelCase and letters from
    -- digits: ipv4 is ipv, 4)
    singles constant text[] := ARRAY[
        'email', 'emails', 'mail', 'emailaddress', 'phone', 'phones', 'phonenumber',
        'telephone', 'tel', 'mobile', 'cellphone', 'msisdn', 'imsi', 'imei', 'iccid',
        'fax', 'ip', 'ipaddress', 'ipv', 'inet', 'address', 'street', 'city',
        'postcode', 'postalcode', 'zip', 'zipcode', 'birth', 'birthday', 'birthdate',
        'dob', 'dateofbirth', 'firstname', 'lastname', 'fullname', 'surname', 'forename',
        'givenname', 'familyname', 'maidenname', 'middlename', 'username', 'login',
        'ssn', 'passport', 'iban', 'latitude', 'longitude', 'geo', 'geolocation',
        'useragent', 'gender', 'nationality'];
    -- two consecutive words
    pairs constant text[] := ARRAY[
        'first name', 'last name', 'full name', 'given name', 'family name',
        'middle name', 'maiden name', 'user name', 'national id', 'tax id',
        'tax number', 'vat id', 'vat number', 'account number', 'card number',
        'credit card', 'bank account', 'user agent', 'postal code', 'post code',
        'zip code', 'ip address', 'ip addr', 'mac address', 'birth date',
        'social security', 'driver license', 'drivers license', 'driving licence',
        'driving license', 'phone number'];
    -- a name that ends in one of these describes something else (a key, a
    -- count, a setting), unless the personal-data term itself ends the name
    stop_words constant text[] := ARRAY[
        'id', 'ids', 'uuid', 'count', 'type', 'kind', 'status', 'format',
        'template', 'enabled', 'verified', 'flag', 'version'];
    words text[];
    n integer;
BEGIN
    words := array_remove(regexp_split_to_array(lower(
                 regexp_replace(regexp_replace(regexp_replace(column_name,
                     '([a-z0-9])([A-Z])', '\1_\2', 'g'),
                     '([A-Z]+)([A-Z][a-z])', '\1_\2', 'g'),
                     '([A-Za-z])([0-9])', '\1_\2', 'g')),
                 '[^a-z0-9]+'), '');
    n := cardinality(words);
    FOR i IN 1 .. n LOOP
        IF i < n AND words[i] || ' ' || words[i + 1] = ANY (pairs)
           AND (i + 1 = n OR words[n] <> ALL (stop_words)) THEN
            RETURN words[i] || '_' || words[i + 1];
        END IF;
        IF words[i] = ANY (singles) AND (i = n OR words[n] <> ALL (stop_words)) THEN
            RETURN words[i];
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION retention._lint_name_term(text) IS
    'Internal: the personal-data term (email, phone, ip_address, first_name, ...) that a column name contains on word boundaries of snake_case or camelCase, or NULL.';

-- Whether a valid index on relid leads with column attnum (with
-- allow_expression also an expression of it, such as lower(email)).
CREATE OR REPLACE FUNCTION retention._lint_index_leads(relid oid, attnum smallint, allow_expression boolean)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (
        SELECT 1
          FROM pg_catalog.pg_index i
          JOIN pg_catalog.pg_attribute a
            ON a.attrelid OPERATOR(pg_catalog.=) i.indrelid AND a.attnum OPERATOR(pg_catalog.=) _lint_index_leads.attnum
         WHERE i.indrelid OPERATOR(pg_catalog.=) _lint_index_leads.relid
           AND i.indisvalid
           AND i.indnkeyatts OPERATOR(pg_catalog.>) 0
           AND (i.indkey[0] OPERATOR(pg_catalog.=) _lint_index_leads.attnum
                OR (allow_expression
                    AND i.indkey[0] OPERATOR(pg_catalog.=) 0
                    AND CASE WHEN pg_catalog.quote_ident(a.attname) OPERATOR(pg_catalog.=) a.attname::text
                             THEN pg_catalog.pg_get_indexdef(i.indexrelid, 1, false)
                                  OPERATOR(pg_catalog.~) ('\m' OPERATOR(pg_catalog.||)
                                      pg_catalog.replace(a.attname::text, '$', '\$') OPERATOR(pg_catalog.||) '\M')
                             ELSE pg_catalog.strpos(pg_catalog.pg_get_indexdef(i.indexrelid, 1, false),
                                                    pg_catalog.quote_ident(a.attname))
                                  OPERATOR(pg_catalog.>) 0 END)))
$$;
COMMENT ON FUNCTION retention._lint_index_leads(oid, smallint, boolean) IS
    'Internal: whether a valid index of the relation has the column as its first key (with allow_expression, also an expression of it such as lower(email)).';

-- Whether a valid index of relid has exactly these columns, in any order,
-- as its first keys (an expression key matches no column).
CREATE OR REPLACE FUNCTION retention._lint_leading_columns(relid oid, cols name[])
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (
        SELECT 1
          FROM pg_catalog.pg_index i
         WHERE i.indrelid OPERATOR(pg_catalog.=) _lint_leading_columns.relid
           AND i.indisvalid
           AND i.indnkeyatts OPERATOR(pg_catalog.>=) pg_catalog.cardinality(cols)
           AND (SELECT pg_catalog.array_agg(a.attname::text ORDER BY a.attname::text COLLATE "C")
                  FROM pg_catalog.unnest(i.indkey) WITH ORDINALITY k(attnum, ord)
                  JOIN pg_catalog.pg_attribute a
                    ON a.attrelid OPERATOR(pg_catalog.=) i.indrelid AND a.attnum OPERATOR(pg_catalog.=) k.attnum
                 WHERE k.ord OPERATOR(pg_catalog.<=) pg_catalog.cardinality(cols))
               OPERATOR(pg_catalog.=)
               (SELECT pg_catalog.array_agg(c::text ORDER BY c::text COLLATE "C") FROM pg_catalog.unnest(cols) c))
$$;
COMMENT ON FUNCTION retention._lint_leading_columns(oid, name[]) IS
    'Internal: whether a valid index of the relation has exactly these columns (in any order) as its first keys.';

-- Whether an index serves a search of relid by the columns cols: 'columns'
-- (an index leads with exactly these columns), 'expression' (with the first
-- column or an expression of it, such as lower(email)) or 'normalized'
-- (with retention.normalize_identifier(subject, column)).  A partitioned
-- table is served by an index of its own or by one on every leaf partition
-- (indexes created on each partition, never on the parent, count).
CREATE OR REPLACE FUNCTION retention._lint_indexed(relid oid, cols name[], how text, subject text DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r oid;
    served boolean;
    leaves integer := 0;
BEGIN
    FOR r IN SELECT _lint_indexed.relid
             UNION ALL
             SELECT t.relid FROM pg_catalog.pg_partition_tree(_lint_indexed.relid) t
              WHERE t.isleaf AND t.relid OPERATOR(pg_catalog.<>) _lint_indexed.relid
    LOOP
        served := CASE how
               WHEN 'columns' THEN retention._lint_leading_columns(r, cols)
               WHEN 'expression' THEN retention._lint_index_leads(r,
                   (SELECT a.attnum FROM pg_catalog.pg_attribute a
                     WHERE a.attrelid OPERATOR(pg_catalog.=) r AND a.attname OPERATOR(pg_catalog.=) cols[1]
                       AND NOT a.attisdropped), true)
               WHEN 'normalized' THEN retention._lint_normalized_index(r::pg_catalog.regclass, _lint_indexed.subject, cols[1])
           END;
        IF coalesce(served, false) THEN
            IF r OPERATOR(pg_catalog.=) _lint_indexed.relid THEN
                RETURN true;
            END IF;
        ELSIF r OPERATOR(pg_catalog.<>) _lint_indexed.relid THEN
            RETURN false;
        END IF;
        IF r OPERATOR(pg_catalog.<>) _lint_indexed.relid THEN
            leaves := leaves OPERATOR(pg_catalog.+) 1;
        END IF;
    END LOOP;
    RETURN leaves OPERATOR(pg_catalog.>) 0;
END
$$;
COMMENT ON FUNCTION retention._lint_indexed(oid, name[], text, text) IS
    'Internal: whether an index serves a search of the relation by these columns (how: columns, expression or normalized); a partitioned table is served by its own index or by one on every leaf partition.';

-- Does a table name look like it holds people (customer, user, staff, ...)?
-- There, a column called name (or ending in _name) is a person's name.
CREATE OR REPLACE FUNCTION retention._lint_person_table(table_name text)
RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN pg_catalog.regexp_split_to_array(pg_catalog.lower(pg_catalog.regexp_replace(table_name,
           '([a-z0-9])([A-Z])', '\1_\2', 'g')), '[^a-z]+')
       OPERATOR(pg_catalog.&&) ARRAY[
           'customer', 'customers', 'client', 'clients', 'user', 'users', 'person', 'persons',
           'people', 'contact', 'contacts', 'member', 'members', 'staff', 'employee', 'employees',
           'lead', 'leads', 'patient', 'patients', 'subscriber', 'subscribers', 'applicant',
           'applicants', 'candidate', 'candidates', 'student', 'students', 'visitor', 'visitors',
           'guest', 'guests', 'driver', 'drivers', 'passenger', 'passengers', 'recipient',
           'recipients', 'sender', 'senders', 'actor', 'actors', 'author', 'authors'];
COMMENT ON FUNCTION retention._lint_person_table(text) IS
    'Internal: whether a table name (snake_case or camelCase words) names people: customer, user, staff, contact, lead, ... (then a column called name is a person''s name).';

-- The anchor lint suggests for a table: its first date or time column.
CREATE OR REPLACE FUNCTION retention._lint_suggested_anchor(relid oid)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(
        (SELECT pg_catalog.quote_ident(a.attname)
           FROM pg_catalog.pg_attribute a
           JOIN pg_catalog.pg_type t ON t.oid OPERATOR(pg_catalog.=) a.atttypid
          WHERE a.attrelid OPERATOR(pg_catalog.=) _lint_suggested_anchor.relid
            AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
            AND (CASE WHEN t.typtype OPERATOR(pg_catalog.=) 'd' THEN t.typbasetype ELSE t.oid END)
                OPERATOR(pg_catalog.=) ANY (ARRAY['pg_catalog.timestamptz'::pg_catalog.regtype,
                                                  'pg_catalog.timestamp'::pg_catalog.regtype,
                                                  'pg_catalog.date'::pg_catalog.regtype]::oid[])
          ORDER BY a.attnum
          LIMIT 1),
        '<date column>')
$$;
COMMENT ON FUNCTION retention._lint_suggested_anchor(oid) IS
    'Internal: the anchor retention.lint() suggests for a table (its first date or timestamp column).';

CREATE OR REPLACE FUNCTION retention.lint(schema_name name DEFAULT NULL)
RETURNS TABLE (severity   text,
               check_name text,
               object     text,
               message    text,
               hint       text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
-- the catalog queries are small, but the function scans' default estimates
-- make the plan look expensive enough for JIT, whose compilation then
-- costs seconds
SET jit = off
AS $$
WITH tags AS MATERIALIZED (
    SELECT t.table_name::oid AS relid, t.column_name, t.kind, t.category, t.anchor, t.action,
           t.anchor_table::oid AS anchor_relid, t.subject, t.valid, t.problem,
           t.problem_sqlstate, t.label
      FROM retention.tags t
),
-- user tables: not the catalogs', not an extension's, not partitions (the
-- parent's tags cover them), not temporary
user_tables AS (
    SELECT c.oid AS relid, n.nspname, c.relname,
           pg_catalog.format('%I.%I', n.nspname, c.relname) AS qualified
      FROM pg_catalog.pg_class c
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p')
       AND NOT c.relispartition
       AND c.relpersistence <> 't'
       AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'retention', 'pg_toast')
       AND n.nspname NOT LIKE 'pg\_temp\_%'
       AND n.nspname NOT LIKE 'pg\_toast\_temp\_%'
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                        WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                          AND d.objid = c.oid
                          AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
                          AND d.deptype = 'e')
),
-- the columns of those tables, with the name term computed once each (and
-- only for them: materialized, so that the planner cannot run the term
-- function over every column of the catalogs first)
user_columns AS MATERIALIZED (
    SELECT u.relid, u.qualified, u.relname, a.attname, a.atttypid, a.atttypmod,
           retention._lint_name_term(a.attname) AS term
      FROM user_tables u
      JOIN pg_catalog.pg_attribute a ON a.attrelid = u.relid AND a.attnum > 0 AND NOT a.attisdropped
),
-- columns that look like personal data, and why
personal AS (
    SELECT u.relid, u.qualified, a.attname, m.term,
           CASE WHEN m.term IS NULL AND eff.typ NOT IN ('pg_catalog.inet'::pg_catalog.regtype, 'pg_catalog.cidr'::pg_catalog.regtype,
                                                        'pg_catalog.macaddr'::pg_catalog.regtype, 'pg_catalog.macaddr8'::pg_catalog.regtype)
                THEN pg_catalog.format('it is called %s in a table of people', a.attname)
                WHEN eff.typ IN ('pg_catalog.inet'::pg_catalog.regtype, 'pg_catalog.cidr'::pg_catalog.regtype,
                                 'pg_catalog.macaddr'::pg_catalog.regtype, 'pg_catalog.macaddr8'::pg_catalog.regtype)
                THEN pg_catalog.format('its type is %s', pg_catalog.format_type(a.atttypid, a.atttypmod))
                ELSE pg_catalog.format('its name contains "%s"', m.term) END AS why
      FROM user_columns u
      CROSS JOIN LATERAL (SELECT u.attname, u.atttypid, u.atttypmod) a
      CROSS JOIN LATERAL (SELECT u.term) m
      JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
      CROSS JOIN LATERAL (SELECT CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END AS oid) base
      JOIN pg_catalog.pg_type bt ON bt.oid = base.oid
      CROSS JOIN LATERAL (SELECT CASE WHEN bt.typcategory = 'A' THEN bt.typelem ELSE bt.oid END AS typ) eff
      JOIN pg_catalog.pg_type et ON et.oid = eff.typ
     WHERE eff.typ IN ('pg_catalog.inet'::pg_catalog.regtype, 'pg_catalog.cidr'::pg_catalog.regtype,
                       'pg_catalog.macaddr'::pg_catalog.regtype, 'pg_catalog.macaddr8'::pg_catalog.regtype)
        OR (m.term IS NOT NULL
            AND et.typcategory <> 'B'
            AND (et.typcategory NOT IN ('D', 'T')
                 OR m.term IN ('birth', 'birthday', 'birthdate', 'dob', 'dateofbirth', 'birth_date')))
        OR (m.term IS NULL AND et.typcategory OPERATOR(pg_catalog.=) 'S'
            AND a.attname OPERATOR(pg_catalog.~) '^([a-z]+_)?name$'
            AND a.attname OPERATOR(pg_catalog.!~) '^(file|host|table|schema|column|domain|product|company|business|brand|plan|service|event|template|queue|app|device|server|project|account)_name$'
            AND retention._lint_person_table(u.relname))
),
-- anchor items resolved to the (relation, column) an index must lead
-- with: the column, the parent's column for foreign-key items, the child's
-- foreign-key column for latest()
anchors AS (
    SELECT t.*, ai.item, ai.index_relid, ai.index_attnum, ai.index_columns,
           aa.attname AS index_attname
      FROM tags t
      JOIN retention._tag_anchor_items() ai
        ON ai.table_name::oid = t.relid AND ai.column_name IS NOT DISTINCT FROM t.column_name
      JOIN pg_catalog.pg_attribute aa
        ON aa.attrelid = ai.index_relid AND aa.attnum = ai.index_attnum
     WHERE t.valid
),
-- tables whose rows enforcement deletes (a table tag that deletes) or
-- erasure deletes (a person's rows: tables with subject identifiers), and,
-- through ON DELETE CASCADE, the tables that reference them
deleted AS (
    WITH RECURSIVE d(relid, why) AS (
        SELECT t.relid, CASE WHEN pg_catalog.bool_or(t.kind = 'table' AND t.action = 'delete')
                             THEN 'enforcement' ELSE 'erasure' END
          FROM tags t
         WHERE t.valid AND ((t.kind = 'table' AND t.action = 'delete') OR t.subject IS NOT NULL)
         GROUP BY t.relid
        UNION
        SELECT co.conrelid, CASE WHEN d.why LIKE '%CASCADE%' THEN d.why
                                 ELSE d.why OPERATOR(pg_catalog.||) ' (through ON DELETE CASCADE)' END
          FROM d
          JOIN pg_catalog.pg_constraint co
            ON co.confrelid = d.relid AND co.contype = 'f' AND co.confdeltype = 'c' AND co.conparentid = 0
    )
    SELECT DISTINCT ON (relid) relid, why FROM d ORDER BY relid, pg_catalog.length(why), why
),
findings AS (
    -- (1) columns that look like personal data and have no tag, on a table without one
    SELECT 'warning' AS severity, 'untagged_personal_data' AS check_name,
           p.relid, p.attname AS column_name, NULL::text AS category,
           p.qualified OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(p.attname) AS object,
           pg_catalog.format('column looks like personal data (%s) but has no retention tag, and neither has its table', p.why) AS message,
           pg_catalog.format('Tag the table, e.g. SECURITY LABEL FOR retention ON TABLE %s IS %L; or tag the column with a category (its value is anonymized when due) or a subject kind; or, if it is not personal data, record why: SELECT retention.lint_ignore(%L, %L, ''<reason>'');',
                             p.qualified, 'category=<category> anchor=' OPERATOR(pg_catalog.||) retention._lint_suggested_anchor(p.relid),
                             p.qualified, p.attname) AS hint
      FROM personal p
     WHERE NOT EXISTS (SELECT 1 FROM tags t
                        WHERE t.relid = p.relid
                          AND (t.column_name IS NULL OR t.column_name = p.attname))
    UNION ALL
    -- (1a) the same on a table whose tag deletes its rows, where the
    -- column is left out: its columns are tagged with categories one by one
    -- or its tag says blocked=anonymize (anonymization passes the column
    -- by), or it is an e-mail/phone column next to subject identifiers (the
    -- subject search passes it by)
    SELECT 'warning', 'untagged_personal_column', p.relid, p.attname, NULL,
           p.qualified OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(p.attname),
           pg_catalog.format('column looks like personal data (%s) but has no tag, while %s',
                             p.why,
                             CASE WHEN EXISTS (SELECT 1 FROM tags c WHERE c.relid = p.relid AND c.column_name IS NOT NULL
                                                  AND c.category IS NOT NULL)
                                  THEN 'other columns of its table have a retention rule of their own: anonymization passes it by'
                                  WHEN EXISTS (SELECT 1 FROM tags t WHERE t.relid = p.relid AND t.column_name IS NULL
                                                  AND t.label OPERATOR(pg_catalog.~) '(^|\s)blocked=anonymize(\s|$)')
                                  THEN 'its table tag anonymizes rows that stay referenced (blocked=anonymize): the anonymization passes it by'
                                  ELSE 'other identifiers of its table are subject columns: finding a person''s rows (access, erasure) passes it by' END),
           pg_catalog.format('Tag it: with a category and a method (SECURITY LABEL FOR retention ON COLUMN %s.%I IS %L), or as a subject identifier (%L); or, if it is not personal data, record why: SELECT retention.lint_ignore(%L, %L, ''<reason>'', ''untagged_personal_column'');',
                             p.qualified, p.attname,
                             'category=<category> anchor=' OPERATOR(pg_catalog.||) retention._lint_suggested_anchor(p.relid)
                                 OPERATOR(pg_catalog.||) ' action=nullify',
                             'subject=<kind>', p.qualified, p.attname)
      FROM personal p
     WHERE EXISTS (SELECT 1 FROM tags t WHERE t.relid = p.relid AND t.column_name IS NULL AND t.kind = 'table')
       AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.relid = p.relid AND t.column_name = p.attname)
       AND (EXISTS (SELECT 1 FROM tags c WHERE c.relid = p.relid AND c.column_name IS NOT NULL
                       AND c.category IS NOT NULL)
            OR EXISTS (SELECT 1 FROM tags t WHERE t.relid = p.relid AND t.column_name IS NULL
                          AND t.label OPERATOR(pg_catalog.~) '(^|\s)blocked=anonymize(\s|$)')
            OR (p.term OPERATOR(pg_catalog.=) ANY (ARRAY['email', 'emails', 'mail', 'emailaddress', 'phone',
                                                          'phones', 'phonenumber', 'phone_number', 'telephone',
                                                          'tel', 'mobile', 'cellphone', 'msisdn', 'fax'])
                AND EXISTS (SELECT 1 FROM tags s WHERE s.relid = p.relid AND s.subject IS NOT NULL)))
    UNION ALL
    -- (1c) foreign keys that enforcement or erasure deletes through: every
    -- deleted row of the referenced table looks up (and with ON DELETE
    -- CASCADE deletes) the referencing rows, a scan of the referencing
    -- table when no index leads with the key's columns
    -- (keys declared on each partition: one finding for the partitioned
    -- table, whose index covers every partition)
    SELECT 'warning', 'foreign_key_without_index', g.target, g.cols[1], NULL,
           pg_catalog.format('%I.%I', fn.nspname, fc.relname)
               OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(g.cols[1])
               OPERATOR(pg_catalog.||) CASE WHEN pg_catalog.cardinality(g.cols) OPERATOR(pg_catalog.>) 1
                                            THEN pg_catalog.format(' (%s)', g.collist) ELSE '' END,
           CASE WHEN g.target OPERATOR(pg_catalog.=) g.conrelid
                THEN pg_catalog.format('foreign key %I references %s, whose rows %s deletes, and no index leads with (%s): every deleted row scans this table',
                                       g.conname, g.confrelid::pg_catalog.regclass, g.why, g.collist)
                ELSE pg_catalog.format('foreign keys of %s partition(s) of %s reference %s, whose rows %s deletes, and no index leads with (%s) on them: every deleted row scans each',
                                       g.n, g.target::pg_catalog.regclass, g.confrelid::pg_catalog.regclass, g.why, g.collist) END,
           pg_catalog.format('CREATE INDEX ON %I.%I (%s);', fn.nspname, fc.relname, g.collist)
      FROM (SELECT coalesce(pg_catalog.pg_partition_root(fk.conrelid), fk.conrelid) AS target,
                   fk.cols, fk.collist, fk.confrelid, fk.why,
                   pg_catalog.count(*) AS n, pg_catalog.min(fk.conrelid) AS conrelid, pg_catalog.min(fk.conname) AS conname
              FROM (SELECT co.conname, co.conrelid, co.confrelid, d.why,
                           ARRAY(SELECT a.attname FROM pg_catalog.unnest(co.conkey) WITH ORDINALITY k(attnum, ord)
                                   JOIN pg_catalog.pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.attnum
                                  ORDER BY k.ord) AS cols,
                           (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY k.ord)
                              FROM pg_catalog.unnest(co.conkey) WITH ORDINALITY k(attnum, ord)
                              JOIN pg_catalog.pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.attnum) AS collist
                      FROM pg_catalog.pg_constraint co
                      JOIN deleted d ON d.relid = co.confrelid
                     WHERE co.contype = 'f' AND co.conparentid = 0) fk
             WHERE NOT retention._lint_indexed(fk.conrelid, fk.cols, 'columns')
             GROUP BY 1, 2, 3, 4, 5) g
      JOIN pg_catalog.pg_class fc ON fc.oid = g.target
      JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace
    UNION ALL
    -- (1b) tables with subject identifiers but no retention rule at all
    SELECT 'warning', 'subject_without_retention', u.relid, NULL, NULL, u.qualified,
           pg_catalog.format('table has subject identifier columns (%s) but no retention rule: neither a table tag nor a column tag with a category',
                             (SELECT pg_catalog.string_agg(pg_catalog.format('%I: subject=%s', s.column_name, s.subject), ', '
                                                           ORDER BY s.column_name COLLATE "C")
                                FROM tags s WHERE s.relid = u.relid AND s.subject IS NOT NULL)),
           pg_catalog.format('Give the table a retention rule, e.g. SECURITY LABEL FOR retention ON TABLE %s IS %L; or tag its personal-data columns with a category.',
                             u.qualified, 'category=<category> anchor=' OPERATOR(pg_catalog.||) retention._lint_suggested_anchor(u.relid))
      FROM user_tables u
     WHERE EXISTS (SELECT 1 FROM tags s WHERE s.relid = u.relid AND s.subject IS NOT NULL)
       AND NOT EXISTS (SELECT 1 FROM tags r WHERE r.relid = u.relid AND r.kind IN ('table', 'column'))
    UNION ALL
    -- (2) anchors no index serves
    SELECT 'notice', 'anchor_without_index', a.relid, a.column_name, NULL,
           pg_catalog.format('%I.%I', n.nspname, c.relname)
               OPERATOR(pg_catalog.||) coalesce('.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(a.column_name), ''),
           pg_catalog.format('no index leads with the anchor %s%s, so enforcement scans the table to find due rows',
                             a.item,
                             CASE WHEN a.index_relid OPERATOR(pg_catalog.<>) a.relid
                                  THEN pg_catalog.format(' (column %I of %s)', a.index_attname,
                                                         pg_catalog.format('%I.%I', pn.nspname, pc.relname))
                                  ELSE '' END),
           pg_catalog.format('CREATE INDEX ON %I.%I (%s);', pn.nspname, pc.relname, a.index_columns)
      FROM anchors a
      JOIN pg_catalog.pg_class c ON c.oid = a.relid
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_catalog.pg_class pc ON pc.oid = a.index_relid
      JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
     WHERE NOT retention._lint_indexed(a.index_relid, ARRAY[a.index_attname], 'columns')
    UNION ALL
    -- (3) subject identifier columns no index serves
    -- (the index the subject search uses: plain equality for integer
    -- identifiers, retention.normalize_identifier('kind', col) otherwise)
    SELECT 'notice', 'subject_without_index', t.relid, t.column_name, NULL,
           pg_catalog.format('%I.%I.%I', n.nspname, c.relname, t.column_name),
           pg_catalog.format('no index serves the search for this subject identifier column (subject=%s), so finding a person''s rows scans the table', t.subject),
           CASE WHEN retention._lint_subject_by_equality(t.subject, a.atttypid)
                THEN pg_catalog.format('CREATE INDEX ON %I.%I (%I);', n.nspname, c.relname, t.column_name)
                ELSE pg_catalog.format('CREATE INDEX ON %I.%I (retention.normalize_identifier(%L, %I%s));',
                                       n.nspname, c.relname, t.subject, t.column_name,
                                       CASE WHEN a.atttypid OPERATOR(pg_catalog.=) 'pg_catalog.text'::pg_catalog.regtype
                                            THEN '' ELSE '::text' END)
           END
      FROM tags t
      JOIN pg_catalog.pg_class c ON c.oid = t.relid
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_catalog.pg_attribute a ON a.attrelid = t.relid AND a.attname = t.column_name
     WHERE t.subject IS NOT NULL AND t.column_name IS NOT NULL
       AND NOT CASE WHEN retention._lint_subject_by_equality(t.subject, a.atttypid)
                    THEN retention._lint_indexed(t.relid, ARRAY[t.column_name], 'expression')
                    ELSE retention._lint_indexed(t.relid, ARRAY[t.column_name], 'normalized', t.subject) END
    UNION ALL
    -- (4) tags that no longer resolve
    SELECT 'warning', 'invalid_tag', t.relid, t.column_name, NULL,
           pg_catalog.format('%I.%I', n.nspname, c.relname)
               OPERATOR(pg_catalog.||) coalesce('.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(t.column_name), ''),
           pg_catalog.format('retention tag no longer resolves (SQLSTATE %s): %s; enforcement skips it', t.problem_sqlstate, t.problem),
           pg_catalog.format('Correct the label (%s) with SECURITY LABEL FOR retention ON %s %s IS ''...'' or the retention.tag_table / tag_column helpers, or remove it with SELECT retention.untag(%L%s);',
                             t.label,
                             CASE WHEN t.column_name IS NULL THEN 'TABLE' ELSE 'COLUMN' END,
                             pg_catalog.format('%I.%I', n.nspname, c.relname)
                                 OPERATOR(pg_catalog.||) coalesce('.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(t.column_name), ''),
                             pg_catalog.format('%I.%I', n.nspname, c.relname),
                             CASE WHEN t.column_name IS NULL THEN ''
                                  ELSE pg_catalog.format(', %L', t.column_name) END)
      FROM tags t
      JOIN pg_catalog.pg_class c ON c.oid = t.relid
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE NOT t.valid
    UNION ALL
    -- (4b) foreign-table partitions of tagged tables: enforcement skips them
    SELECT 'warning', 'foreign_partition', fc.oid, NULL::name, NULL,
           pg_catalog.format('%I.%I', fn.nspname, fc.relname),
           pg_catalog.format('partition of tagged table %s is a foreign table: enforcement never deletes or anonymizes its rows',
                             pg_catalog.format('%I.%I', n.nspname, c.relname)),
           pg_catalog.format('Apply the retention rule where the data lives (tag the remote table in its own database), or detach the partition: ALTER TABLE %s DETACH PARTITION %I.%I; if its data is kept elsewhere under its own rule, record why: SELECT retention.lint_ignore(%L, NULL, ''<reason>'', ''foreign_partition'');',
                             pt.parentrelid::pg_catalog.regclass, fn.nspname, fc.relname,
                             pg_catalog.format('%I.%I', fn.nspname, fc.relname))
      FROM (SELECT DISTINCT tt.relid FROM tags tt
             WHERE tt.valid AND tt.kind IN ('table', 'column')) t
      JOIN pg_catalog.pg_class c ON c.oid = t.relid
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     CROSS JOIN LATERAL pg_catalog.pg_partition_tree(t.relid) pt
      JOIN pg_catalog.pg_class fc ON fc.oid = pt.relid AND fc.relkind = 'f'
      JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace
    UNION ALL
    -- (5) categories no tag uses (retention_evidence is the logs' own)
    SELECT 'notice', 'unused_category', NULL, NULL, cat.name, cat.name,
           'no retention tag uses this category',
           pg_catalog.format('Tag the tables or columns it applies to, or drop it: SELECT retention.drop_category(%L);', cat.name)
      FROM retention.category cat
     WHERE cat.name <> 'retention_evidence'
       AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.category = cat.name)
),
reported AS (
    SELECT f.*
      FROM findings f
     WHERE NOT EXISTS (
            SELECT 1 FROM retention.lint_exception e
             WHERE e.check_name = f.check_name
               AND CASE WHEN f.category IS NOT NULL THEN e.category = f.category
                        ELSE e.table_name::oid = f.relid
                             AND (e.column_name IS NULL OR e.column_name = f.column_name) END)
    UNION ALL
    -- (6) exceptions whose table or column no longer exists
    SELECT 'notice', 'stale_lint_exception', e.table_name::oid, e.column_name, NULL,
           CASE WHEN c.oid IS NULL THEN e.table_name::oid::text
                ELSE pg_catalog.format('%I.%I', n.nspname, c.relname) END
               OPERATOR(pg_catalog.||) coalesce('.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(e.column_name), ''),
           pg_catalog.format('lint exception for %s (%s) names a %s that no longer exists',
                             e.check_name, e.reason, CASE WHEN c.oid IS NULL THEN 'table' ELSE 'column' END),
           pg_catalog.format('Remove it: SELECT retention.lint_unignore(%s, %L, %L);',
                             CASE WHEN c.oid IS NULL THEN pg_catalog.quote_literal(e.table_name::oid::text)
                                  ELSE pg_catalog.quote_literal(pg_catalog.format('%I.%I', n.nspname, c.relname)) END,
                             e.column_name, e.check_name)
      FROM retention.lint_exception e
      LEFT JOIN pg_catalog.pg_class c ON c.oid = e.table_name::oid
      LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE e.table_name IS NOT NULL
       AND (c.oid IS NULL
            OR (e.column_name IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                                 WHERE a.attrelid = c.oid AND a.attname = e.column_name
                                   AND a.attnum > 0 AND NOT a.attisdropped)))
)
SELECT r.severity, r.check_name, r.object, r.message, r.hint
  FROM reported r
 WHERE schema_name IS NULL
    OR EXISTS (SELECT 1 FROM pg_catalog.pg_class c
                WHERE c.oid = r.relid
                  AND c.relnamespace = (SELECT n.oid FROM pg_catalog.pg_namespace n
                                         WHERE n.nspname = lint.schema_name))
 ORDER BY CASE r.severity WHEN 'warning' THEN 0 ELSE 1 END,
          r.check_name COLLATE "C", r.object COLLATE "C", r.message COLLATE "C"
$$;
COMMENT ON FUNCTION retention.lint(name) IS
    'What the retention policy misses (every schema, or one): untagged_personal_data (warning: a column that looks like personal data by name or type, with no tag and no table tag), subject_without_retention (warning: subject identifiers on a table with no retention rule), invalid_tag (warning: a tag that no longer resolves), foreign_partition (warning: a foreign-table partition of a tagged table, which enforcement never reaches), untagged_personal_column (warning: a personal-looking column left out of a table tagged column by column, of blocked=anonymize, or next to subject identifiers), foreign_key_without_index (warning: a foreign key that enforcement or erasure deletes through, with no index), anchor_without_index and subject_without_index (notice), unused_category (notice), stale_lint_exception (notice). Each finding has a hint saying what to change. Findings recorded with retention.lint_ignore() are not reported. Runs as the caller and reads only what every role can read.';

CREATE OR REPLACE FUNCTION retention.lint_ignore(
    table_name  regclass,
    column_name name,
    reason      text,
    check_name  text DEFAULT 'untagged_personal_data')
RETURNS retention.lint_exception
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result retention.lint_exception;
BEGIN
    IF lint_ignore.check_name IS NULL
       OR lint_ignore.check_name NOT IN ('untagged_personal_data', 'untagged_personal_column',
                                         'subject_without_retention', 'anchor_without_index',
                                         'subject_without_index', 'foreign_key_without_index',
                                         'invalid_tag', 'foreign_partition') THEN
        RAISE EXCEPTION 'invalid lint check "%" for a table or column', lint_ignore.check_name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = CASE WHEN lint_ignore.check_name = 'unused_category'
                              THEN 'Unused categories are silenced with retention.lint_ignore_category(category, reason).'
                              ELSE 'check_name is one of untagged_personal_data, untagged_personal_column, subject_without_retention, anchor_without_index, subject_without_index, foreign_key_without_index, invalid_tag, foreign_partition.' END;
    END IF;
    IF lint_ignore.table_name IS NULL THEN
        RAISE EXCEPTION 'a lint exception needs a table'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass the table, and a column or NULL for all its columns.';
    END IF;
    IF lint_ignore.column_name IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM pg_catalog.pg_attribute a
         WHERE a.attrelid = lint_ignore.table_name AND a.attname = lint_ignore.column_name
           AND a.attnum > 0 AND NOT a.attisdropped) THEN
        RAISE EXCEPTION 'column "%" of relation % does not exist', lint_ignore.column_name, lint_ignore.table_name
            USING ERRCODE = 'undefined_column',
                  HINT = 'Name a column of the table, or pass NULL to cover all its columns.';
    END IF;
    IF lint_ignore.reason IS NULL OR btrim(lint_ignore.reason) = '' THEN
        RAISE EXCEPTION 'a lint exception needs a reason'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Say why the finding is acceptable, e.g. ''holds synthetic test data'' (no personal data).';
    END IF;
    INSERT INTO retention.lint_exception AS e (check_name, table_name, column_name, reason)
    VALUES (lint_ignore.check_name, lint_ignore.table_name, lint_ignore.column_name, lint_ignore.reason)
    ON CONFLICT ON CONSTRAINT lint_exception_unique
    DO UPDATE SET reason = excluded.reason, ignored_by = excluded.ignored_by, ignored_at = excluded.ignored_at
    RETURNING e.* INTO result;
    RETURN result;
END
$$;
COMMENT ON FUNCTION retention.lint_ignore(regclass, name, text, text) IS
    'Records that a retention.lint() finding on a column (or, column_name NULL, on every column of the table) has been reviewed, with the reason; lint() no longer reports it. check_name defaults to untagged_personal_data. Recording it again replaces the reason. Members of retention_admin only.';

CREATE OR REPLACE FUNCTION retention.lint_unignore(
    table_name  regclass,
    column_name name DEFAULT NULL,
    check_name  text DEFAULT 'untagged_personal_data')
RETURNS boolean
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    WITH gone AS (
        DELETE FROM retention.lint_exception e
         WHERE e.check_name = lint_unignore.check_name
           AND e.table_name = lint_unignore.table_name
           AND e.column_name IS NOT DISTINCT FROM lint_unignore.column_name
        RETURNING 1)
    SELECT EXISTS (SELECT 1 FROM gone)
$$;
COMMENT ON FUNCTION retention.lint_unignore(regclass, name, text) IS
    'Removes a lint exception recorded with retention.lint_ignore() (same table, column or NULL, and check); returns whether there was one. A dropped table is named by its OID, e.g. ''16384''. Members of retention_admin only.';

CREATE OR REPLACE FUNCTION retention.lint_ignore_category(category text, reason text)
RETURNS retention.lint_exception
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result retention.lint_exception;
BEGIN
    IF lint_ignore_category.category IS NULL THEN
        RAISE EXCEPTION 'category must not be NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass the name of the unused category.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM retention.category c WHERE c.name = lint_ignore_category.category) THEN
        RAISE EXCEPTION 'retention category "%" does not exist', lint_ignore_category.category
            USING ERRCODE = 'undefined_object',
                  HINT = 'SELECT name FROM retention.category lists the categories.';
    END IF;
    IF lint_ignore_category.reason IS NULL OR btrim(lint_ignore_category.reason) = '' THEN
        RAISE EXCEPTION 'a lint exception needs a reason'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Say why the category may stay unused, e.g. ''for the archive tables planned in Q3''.';
    END IF;
    INSERT INTO retention.lint_exception AS e (check_name, category, reason)
    VALUES ('unused_category', lint_ignore_category.category, lint_ignore_category.reason)
    ON CONFLICT ON CONSTRAINT lint_exception_unique
    DO UPDATE SET reason = excluded.reason, ignored_by = excluded.ignored_by, ignored_at = excluded.ignored_at
    RETURNING e.* INTO result;
    RETURN result;
END
$$;
COMMENT ON FUNCTION retention.lint_ignore_category(text, text) IS
    'Records that a category may stay unused, with the reason; retention.lint() no longer reports it as unused_category. Dropping the category removes the exception. Members of retention_admin only.';

CREATE OR REPLACE FUNCTION retention.lint_unignore_category(category text)
RETURNS boolean
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    WITH gone AS (
        DELETE FROM retention.lint_exception e
         WHERE e.check_name = 'unused_category'
           AND e.category = lint_unignore_category.category
        RETURNING 1)
    SELECT EXISTS (SELECT 1 FROM gone)
$$;
COMMENT ON FUNCTION retention.lint_unignore_category(text) IS
    'Removes the exception recorded with retention.lint_ignore_category(); returns whether there was one. Members of retention_admin only.';


-- retention.policy_sql()

-- Policy as code: retention.policy_sql() writes the policy of this database
-- (categories, category variants, tags) as a SQL script that recreates it.
--
-- pg_dump --schema-only keeps the tags (they are security labels) but not
-- the categories (rows of an extension configuration table), so every tag of
-- a schema-only copy is invalid until its categories are back.  The script
-- is what a DBA keeps in version control and applies after a schema-only
-- migration.
--
-- The policy tables are dumped generically, from the catalog: every column
-- except the bookkeeping timestamps, in column order, as typed literals, one
-- INSERT ... ON CONFLICT (primary key) DO UPDATE per row, rows ordered by
-- primary key.  A column added to retention.category (or a new policy table
-- added to policy_tables below) is in the script without further code.
--
-- Privileges: runs as its caller and reads only what every role can read
-- (retention.category and its variants, pg_seclabel), so PUBLIC may run it.

-- One policy table as INSERT statements (empty when the table does not exist).
CREATE FUNCTION retention._policy_sql_rows(policy_table text)
RETURNS SETOF text
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'postgres'
SET TimeZone = 'UTC'
SET extra_float_digits = 3
AS $$
DECLARE
    relid oid := pg_catalog.to_regclass(pg_catalog.format('retention.%I', policy_table));
    cols name[];
    types text[];
    keycols name[];
    conflict text := '';
    vals text[];
    lits text[];
BEGIN
    IF relid IS NULL THEN
        RETURN;
    END IF;
    SELECT pg_catalog.array_agg(a.attname ORDER BY a.attnum),
           pg_catalog.array_agg(pg_catalog.format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum)
      INTO cols, types
      FROM pg_catalog.pg_attribute a
     WHERE a.attrelid OPERATOR(pg_catalog.=) relid
       AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
       AND a.attgenerated OPERATOR(pg_catalog.=) ''
       AND a.attname OPERATOR(pg_catalog.<>) ALL (ARRAY['created_at', 'updated_at']::name[]);
    SELECT pg_catalog.array_agg(a.attname ORDER BY k.ord)
      INTO keycols
      FROM pg_catalog.pg_constraint co
     CROSS JOIN LATERAL pg_catalog.unnest(co.conkey) WITH ORDINALITY k(attnum, ord)
      JOIN pg_catalog.pg_attribute a
        ON a.attrelid OPERATOR(pg_catalog.=) co.conrelid AND a.attnum OPERATOR(pg_catalog.=) k.attnum
     WHERE co.conrelid OPERATOR(pg_catalog.=) relid AND co.contype OPERATOR(pg_catalog.=) 'p';
    IF keycols IS NULL THEN
        keycols := cols;
    ELSE
        conflict := pg_catalog.format(E'\n    ON CONFLICT (%s) DO ',
                        (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(k), ', ') FROM pg_catalog.unnest(keycols) k))
            OPERATOR(pg_catalog.||) coalesce(
                'UPDATE SET ' OPERATOR(pg_catalog.||)
                (SELECT pg_catalog.string_agg(pg_catalog.format('%1$I = excluded.%1$I', c), ', ' ORDER BY o)
                   FROM pg_catalog.unnest(cols) WITH ORDINALITY u(c, o)
                  WHERE c OPERATOR(pg_catalog.<>) ALL (keycols)),
                'NOTHING');
    END IF;
    FOR vals IN EXECUTE pg_catalog.format(
        'SELECT ARRAY[%s]::pg_catalog.text[] FROM retention.%I t ORDER BY %s',
        (SELECT pg_catalog.string_agg(pg_catalog.format('t.%I::pg_catalog.text', c), ', ' ORDER BY o)
           FROM pg_catalog.unnest(cols) WITH ORDINALITY u(c, o)),
        policy_table,
        (SELECT pg_catalog.string_agg(pg_catalog.format('t.%I::pg_catalog.text COLLATE "C"', k), ', ' ORDER BY o)
           FROM pg_catalog.unnest(keycols) WITH ORDINALITY u(k, o)))
    LOOP
        SELECT pg_catalog.array_agg(CASE WHEN v IS NULL THEN 'NULL'
                                         WHEN types[o] OPERATOR(pg_catalog.=) 'text' THEN pg_catalog.quote_literal(v)
                                         ELSE pg_catalog.quote_literal(v) OPERATOR(pg_catalog.||) '::'
                                              OPERATOR(pg_catalog.||) types[o] END ORDER BY o)
          INTO lits
          FROM pg_catalog.unnest(vals) WITH ORDINALITY u(v, o);
        RETURN NEXT pg_catalog.format(E'INSERT INTO retention.%I (%s)\n    VALUES (%s)%s;',
                        policy_table,
                        (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(c), ', ' ORDER BY o)
                           FROM pg_catalog.unnest(cols) WITH ORDINALITY u(c, o)),
                        pg_catalog.array_to_string(lits, ', '),
                        conflict);
    END LOOP;
END
$$;
COMMENT ON FUNCTION retention._policy_sql_rows(text) IS
    'Internal: the rows of one policy table of the retention schema as INSERT ... ON CONFLICT statements, for retention.policy_sql().';

-- retention.policy_sql() itself: 89_hardening.sql

-- ==== 85_subject_export =============================================
-- 85_subject_export: export_subject assembles its document in C, from the
-- rows its search reads once (issue 13 item 5); same document.

CREATE OR REPLACE FUNCTION retention.export_subject(identifiers jsonb)
RETURNS jsonb
LANGUAGE C VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'retention_export_subject';

-- ==== 86_erasure_report =============================================
-- 86_erasure_report: erase_subject() and reapply_erasures() report rows
-- kept for a legal obligation in their own column, rows_kept (issue 14 item
-- 8); rows_held counts legal holds only.  A new OUT column changes the row
-- type: both functions are dropped and created again, with their comments
-- and privileges.  Until this runs, the library fills the 0.1.0 columns
-- (rows_held then counts both, kept rows noted).

COMMENT ON TABLE retention.dsr_request IS
    'The request log of data subject requests: kind (export, erase, erase (dry run)), the identifiers as "kind:keyed hash" (never in clear; the request log''s own key, not comparable with legal_hold.subject_hash), who asked and when, rows found, per-table counts (found, deleted, anonymized, held: legal holds, kept: legal obligations) and the outcome.';

DROP FUNCTION retention.erase_subject(jsonb, boolean);

CREATE FUNCTION retention.erase_subject(
    identifiers         jsonb,
    dry_run             boolean DEFAULT false,
    OUT table_name      regclass,
    OUT rows_found      bigint,
    OUT rows_deleted    bigint,
    OUT rows_anonymized bigint,
    OUT rows_held       bigint,
    OUT rows_kept       bigint,
    OUT note            text)
RETURNS SETOF record
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'retention_erase_subject';
COMMENT ON FUNCTION retention.erase_subject(jsonb, boolean) IS
    'Erasure: deletes the person''s rows where their table deletes rows (a table tag, or no tag at all), anonymizes the tagged columns (and removes identifiers) where it keeps them, children before parents, in the caller''s transaction; data under a legal hold is reported and left alone; then the identifiers go on the suppression list. rows_held counts rows a legal hold protects, rows_kept rows a category keeps for a legal obligation (on_erasure keep). A tag with when= applies to the rows inside its condition only. dry_run reports and changes nothing. Members of retention_dsr only.';

CREATE FUNCTION retention.reapply_erasures(
    ledger              jsonb,
    OUT table_name      regclass,
    OUT rows_found      bigint,
    OUT rows_deleted    bigint,
    OUT rows_anonymized bigint,
    OUT rows_held       bigint,
    OUT rows_kept       bigint,
    OUT note            text)
RETURNS SETOF record
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'retention_reapply_erasures';
COMMENT ON FUNCTION retention.reapply_erasures(jsonb) IS
    'After a restore of an older backup: erases again every person of the ledger (from retention.erasure_ledger() of the database the erasures happened in, same key) whose data is back, with erase_subject and so the same holds and rules, one request per identifier found; puts every identifier of the ledger back on the suppression list; returns what the erasures did per table. In the caller''s transaction. Members of retention_dsr only.';

REVOKE ALL ON FUNCTION retention.erase_subject(jsonb, boolean), retention.reapply_erasures(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION retention.erase_subject(jsonb, boolean), retention.reapply_erasures(jsonb) TO retention_dsr;

-- ==== 87_export_variants ============================================
-- 87_export_variants: the export shows the category variant each row's due
-- date follows (variant= on a column of the row or through its foreign
-- key, matched as enforcement matches it), export_subject_rows and
-- export_subject_csv in a new column variant; the document states each
-- category's on_erasure.

DROP FUNCTION retention.export_subject_csv(jsonb);
DROP FUNCTION retention.export_subject_rows(jsonb);
CREATE FUNCTION retention.export_subject_rows(
    identifiers       jsonb,
    OUT table_name    regclass,
    OUT relation_name regclass,
    OUT row_key       jsonb,
    OUT row_data      jsonb,
    OUT category      text,
    OUT due_at        timestamptz,
    OUT columns_due   jsonb,
    OUT found_by      text,
    OUT depth         integer,
    OUT variant       text)
RETURNS SETOF record
LANGUAGE C VOLATILE STRICT
AS 'MODULE_PATHNAME', 'retention_export_subject_rows';
COMMENT ON FUNCTION retention.export_subject_rows(jsonb) IS
    'Every row of one data subject, e.g. ''{"email": "ana@example.com"}'': rows whose subject-tagged columns hold one of the identifiers (normalized), and rows reachable from them through foreign keys; per row its table, key, content, category and due date (table tag) with the category variant that date follows (variant=; NULL: the category''s rule), and per anonymizable column its own due date (and variant). One snapshot; logged without identifiers in clear. Members of retention_dsr only.';

COMMENT ON FUNCTION retention.export_subject(jsonb) IS
    'Subject access and portability: one JSON document with all of a person''s tagged data across the database (and rows linked to it by foreign keys), taken in one snapshot; for every category the description, purpose, legal basis, retention rule in words and what an erasure request does to its data (on_erasure); for every row the date it is due to be deleted (and the category variant that date follows, for a tag with variant=, read from the row or through its foreign key), and for every anonymizable column its own due date. Members of retention_dsr only.';

CREATE FUNCTION retention.export_subject_csv(
    identifiers      jsonb,
    OUT table_name   text,
    OUT row_key      text,
    OUT column_name  text,
    OUT value        text,
    OUT category     text,
    OUT due_at       timestamptz,
    OUT variant      text)
RETURNS SETOF record
LANGUAGE sql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT r.table_name::text, r.row_key::text, f.key, f.value #>> '{}',
           coalesce(r.columns_due -> f.key ->> 'category', r.category),
           coalesce((r.columns_due -> f.key ->> 'due_at')::timestamptz, r.due_at),
           CASE WHEN r.columns_due ? f.key THEN r.columns_due -> f.key ->> 'variant' ELSE r.variant END
      FROM retention.export_subject_rows(identifiers) r, jsonb_each(r.row_data) f
     ORDER BY 1, 2, 3
$$;
COMMENT ON FUNCTION retention.export_subject_csv(jsonb) IS
    'Portability in a plain tabular form: one row per table, row and column, with the column''s category and due date (and the category variant that date follows, if any); \copy (SELECT * FROM retention.export_subject_csv(...)) TO ''ana.csv'' CSV HEADER. Members of retention_dsr only.';

REVOKE ALL ON FUNCTION retention.export_subject_rows(jsonb), retention.export_subject_csv(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION retention.export_subject_rows(jsonb), retention.export_subject_csv(jsonb) TO retention_dsr;

-- ==== 88_legacy_restore =============================================
-- 88_legacy_restore: a dump of a 0.1.0 database restored straight into
-- 0.2.0 (a plain pg_restore, whose CREATE EXTENSION IF NOT EXISTS installs
-- the default version) keeps its holds, suppression list and erasures.
--
-- Each hashed table says which version's scheme made a row's hash
-- (hashed_with).  Its default is '0.1.0': a 0.1.0 dump's COPY lists only
-- 0.1.0's columns, so its rows land marked; 0.2.0 always writes '0.2.0'.
-- Readers convert the marked rows with retention._rehash_legacy (kept now,
-- with no privileges for anyone) under the key the dump restored.  Rows
-- that exist when this update runs were converted by 40_secrets: they get
-- '0.2.0', then the default becomes '0.1.0'.

ALTER TABLE retention.legal_hold
    ADD COLUMN hashed_with text NOT NULL DEFAULT '0.2.0'
        CONSTRAINT legal_hold_hashed_with CHECK (hashed_with OPERATOR(pg_catalog.=) ANY (ARRAY['0.1.0', '0.2.0']));
ALTER TABLE retention.legal_hold ALTER COLUMN hashed_with SET DEFAULT '0.1.0';
ALTER TABLE retention.suppression
    ADD COLUMN hashed_with text NOT NULL DEFAULT '0.2.0'
        CONSTRAINT suppression_hashed_with CHECK (hashed_with OPERATOR(pg_catalog.=) ANY (ARRAY['0.1.0', '0.2.0']));
ALTER TABLE retention.suppression
    ALTER COLUMN hashed_with SET DEFAULT '0.1.0',
    DROP CONSTRAINT suppression_ledger_hash,
    -- 0.1.0's erasure rows (restored from its dump) have no ledger hash
    ADD CONSTRAINT suppression_ledger_hash CHECK
        (hashed_with OPERATOR(pg_catalog.=) '0.1.0' OR
         (reason OPERATOR(pg_catalog.=) 'erasure') OPERATOR(pg_catalog.=) (ledger_hash IS NOT NULL));
ALTER TABLE retention.dsr_request
    ADD COLUMN hashed_with text NOT NULL DEFAULT '0.2.0'
        CONSTRAINT dsr_request_hashed_with CHECK (hashed_with OPERATOR(pg_catalog.=) ANY (ARRAY['0.1.0', '0.2.0']));
ALTER TABLE retention.dsr_request ALTER COLUMN hashed_with SET DEFAULT '0.1.0';
COMMENT ON COLUMN retention.legal_hold.hashed_with IS
    'The version whose hash scheme made subject_hash: ''0.2.0'' for every hold placed now; the default ''0.1.0'' marks the rows of a 0.1.0 dump restored into this version (read by converting them, see retention._rehash_legacy).';
COMMENT ON COLUMN retention.suppression.hashed_with IS
    'The version whose hash scheme made identifier_hash: ''0.2.0'' for every row added now; the default ''0.1.0'' marks the rows of a 0.1.0 dump restored into this version (their hash is 0.1.0''s, erasures without a ledger hash; read by converting them, see retention._rehash_legacy).';
COMMENT ON COLUMN retention.dsr_request.hashed_with IS
    'The version whose hash scheme made identifier_hashes: ''0.2.0'' for every request logged now; the default ''0.1.0'' marks the rows of a 0.1.0 dump restored into this version (their erasures count in the erasure ledger).';

CREATE FUNCTION retention._rehash_legacy(purpose text, digest bytea)
RETURNS bytea
LANGUAGE C STABLE STRICT
AS 'MODULE_PATHNAME', 'retention_rehash_legacy';
COMMENT ON FUNCTION retention._rehash_legacy(text, bytea) IS
    'Internal: the hash of one purpose (hold, request log, erasure ledger, suppression) from a hash 0.1.0 stored, with this database''s key; how rows marked hashed_with ''0.1.0'' (restored from a 0.1.0 dump) are read. No privileges for anyone.';
REVOKE ALL ON FUNCTION retention._rehash_legacy(text, bytea) FROM PUBLIC;

CREATE OR REPLACE FUNCTION retention.place_hold(
    reason        text,
    category      text DEFAULT NULL,
    table_name    regclass DEFAULT NULL,
    subject_kind  text DEFAULT NULL,
    subject_value text DEFAULT NULL,
    ends_at       timestamptz DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    scopes integer := (place_hold.category IS NOT NULL)::integer
                    + (place_hold.table_name IS NOT NULL)::integer
                    + (place_hold.subject_kind IS NOT NULL OR place_hold.subject_value IS NOT NULL)::integer;
    id bigint;
BEGIN
    IF NOT pg_has_role(session_user, 'retention_admin', 'MEMBER') THEN
        RAISE EXCEPTION 'permission denied to place a legal hold'
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Legal holds are placed by members of retention_admin.';
    END IF;
    IF place_hold.reason IS NULL OR btrim(place_hold.reason) = '' THEN
        RAISE EXCEPTION 'a legal hold needs a reason'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Say why the data must be kept, e.g. the case or request it is kept for (no personal data).';
    END IF;
    IF scopes <> 1 THEN
        RAISE EXCEPTION 'a legal hold has exactly one scope'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('%s scopes were given.', scopes),
                  HINT = 'Pass category, or table_name, or subject_kind with subject_value.';
    END IF;
    IF place_hold.ends_at IS NOT NULL AND place_hold.ends_at <= now() THEN
        RAISE EXCEPTION 'ends_at of a legal hold must be in the future'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass NULL for a hold without an end, or release it with retention.release_hold().';
    END IF;
    IF place_hold.category IS NOT NULL AND NOT EXISTS (SELECT 1 FROM retention.category c WHERE c.name = place_hold.category) THEN
        RAISE EXCEPTION 'retention category "%" does not exist', place_hold.category
            USING ERRCODE = 'undefined_object',
                  HINT = 'SELECT name FROM retention.category lists the categories.';
    END IF;
    IF (place_hold.subject_kind IS NULL) <> (place_hold.subject_value IS NULL) THEN
        RAISE EXCEPTION 'a subject hold needs both subject_kind and subject_value'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'For example subject_kind => ''email'', subject_value => ''ana@example.com''.';
    END IF;
    IF place_hold.subject_kind IS NOT NULL AND place_hold.subject_kind !~ '^[a-z][a-z0-9_]*$' THEN
        RAISE EXCEPTION 'invalid subject kind'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'A subject kind is a lower-case word such as email, phone or customer_id.';
    END IF;
    -- a kind some tag declares, a value that names somebody: as export and erasure
    IF place_hold.subject_kind IS NOT NULL THEN
        PERFORM retention._check_identifier(place_hold.subject_kind, place_hold.subject_value);
    END IF;
    INSERT INTO retention.legal_hold AS h (scope, category, table_name, subject_kind, subject_hash, reason, ends_at, placed_by, hashed_with)
    VALUES (CASE WHEN place_hold.category IS NOT NULL THEN 'category'
                 WHEN place_hold.table_name IS NOT NULL THEN 'table' ELSE 'subject' END,
            place_hold.category, place_hold.table_name, place_hold.subject_kind,
            CASE WHEN place_hold.subject_kind IS NOT NULL
                 THEN retention._identifier_hash(place_hold.subject_kind, place_hold.subject_value) END,
            place_hold.reason, place_hold.ends_at, session_user, '0.2.0')
    RETURNING h.hold_id INTO id;
    RETURN id;
END
$$;

-- ==== 89_hardening ==================================================
-- 89_hardening: fixes found by attacking the 0.2.0 policy model (issue 14).
-- retention.policy_sql() writes every line of a label that does not resolve
-- as a comment (a line break in a label or a name ended the comment, and
-- the rest ran in the session of the DBA applying the script).  A category
-- variant's period is bounded like a category's (1000 years).  Both are
-- defined here only (moved from 80_tools.sql and 70_model.sql).

CREATE FUNCTION retention.policy_sql()
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- the policy tables, in the order they must be loaded (a variant
    -- references its category); absent ones are skipped
    policy_tables constant text[] := ARRAY['category', 'category_variant'];
    script text[];
    t text;
BEGIN
    script := ARRAY[
        '-- pg_retention policy: categories, category variants and tags, written by',
        '-- retention.policy_sql() of pg_retention '
            OPERATOR(pg_catalog.||) coalesce((SELECT e.extversion FROM pg_catalog.pg_extension e
                                               WHERE e.extname OPERATOR(pg_catalog.=) 'pg_retention'), '?')
            OPERATOR(pg_catalog.||) '.',
        '-- Apply with psql --single-transaction as a member of retention_admin who',
        '-- owns the tagged tables.  It adds or updates categories and variants and',
        '-- sets every tag; it removes nothing.',
        ''];
    FOREACH t IN ARRAY policy_tables LOOP
        IF pg_catalog.to_regclass(pg_catalog.format('retention.%I', t)) IS NOT NULL THEN
            script := script OPERATOR(pg_catalog.||) pg_catalog.format('-- retention.%I', t)
                OPERATOR(pg_catalog.||) ARRAY(SELECT r FROM retention._policy_sql_rows(t) r)
                OPERATOR(pg_catalog.||) ''::text;
        END IF;
    END LOOP;
    -- tags: every retention label on a relation or column that is not the
    -- extension's own, by schema, table, then the table's label before its
    -- columns' in column-name order; a label that does not resolve here is
    -- written as a comment (it would be refused), every line of it: the
    -- label and the names are the table owner's and may hold line breaks,
    -- and what followed one would run as SQL or as a psql meta-command
    script := script OPERATOR(pg_catalog.||) '-- tags'::text OPERATOR(pg_catalog.||) ARRAY(
        SELECT CASE WHEN coalesce(v.valid, true) THEN l.stmt
                    ELSE '-- does not resolve, not applied: ' OPERATOR(pg_catalog.||)
                         pg_catalog.regexp_replace(l.stmt, E'\r\n?|\n', E'\n-- ', 'g') END
          FROM pg_catalog.pg_seclabel s
          JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) s.objoid
          JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
          LEFT JOIN pg_catalog.pg_attribute a
            ON a.attrelid OPERATOR(pg_catalog.=) s.objoid AND a.attnum OPERATOR(pg_catalog.=) s.objsubid
          LEFT JOIN LATERAL (SELECT pg_catalog.bool_and(tg.valid) AS valid FROM retention.tags tg
                              WHERE tg.table_name OPERATOR(pg_catalog.=) c.oid::pg_catalog.regclass
                                AND tg.column_name IS NOT DISTINCT FROM a.attname) v ON true
         CROSS JOIN LATERAL (SELECT pg_catalog.format('SECURITY LABEL FOR retention ON %s %s IS %s;',
                   CASE WHEN s.objsubid OPERATOR(pg_catalog.=) 0 THEN 'TABLE' ELSE 'COLUMN' END,
                   pg_catalog.format('%I.%I', n.nspname, c.relname)
                       OPERATOR(pg_catalog.||) coalesce('.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(a.attname), ''),
                   pg_catalog.quote_literal(s.label)) AS stmt) l
         WHERE s.provider OPERATOR(pg_catalog.=) 'retention'
           AND s.classoid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
           AND (s.objsubid OPERATOR(pg_catalog.=) 0 OR a.attname IS NOT NULL)
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                            WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                              AND d.objid OPERATOR(pg_catalog.=) c.oid
                              AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
                              AND d.deptype OPERATOR(pg_catalog.=) 'e')
         ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C",
                  s.objsubid OPERATOR(pg_catalog.<>) 0, a.attname COLLATE "C");
    RETURN pg_catalog.array_to_string(script, E'\n') OPERATOR(pg_catalog.||) E'\n';
END
$$;
COMMENT ON FUNCTION retention.policy_sql() IS
    'The retention policy of this database as a deterministic SQL script: an INSERT ... ON CONFLICT DO UPDATE per category (and category variant), every column but the timestamps, then a SECURITY LABEL statement per tag, sorted by schema, table and column. Applied to a schema-only copy (pg_dump --schema-only drops the categories) it reproduces retention.tags exactly. Keep it in version control. Runs as the caller.';
GRANT EXECUTE ON FUNCTION retention.policy_sql() TO PUBLIC;

CREATE FUNCTION retention._category_variant_validate()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    given_zone text := NEW.time_zone;
BEGIN
    -- a restore loads variants in any order relative to the categories
    IF current_setting('check_function_bodies')::boolean
       AND NOT EXISTS (SELECT 1 FROM retention.category c WHERE c.name = NEW.category) THEN
        RAISE EXCEPTION 'retention category "%" does not exist', NEW.category
            USING ERRCODE = 'undefined_object',
                  HINT = 'Define the category first with retention.define_category().';
    END IF;
    IF NEW.variant IS NULL OR NEW.variant = '' THEN
        RAISE EXCEPTION 'invalid variant name for category "%"', NEW.category
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Name the variant by the value of the tag''s variant column, e.g. ''BR''.';
    END IF;
    IF NEW.period IS NULL
       OR extract(year FROM NEW.period) < 0 OR extract(month FROM NEW.period) < 0
       OR extract(day FROM NEW.period) < 0 OR extract(hour FROM NEW.period) < 0
       OR extract(minute FROM NEW.period) < 0 OR extract(second FROM NEW.period) < 0 THEN
        RAISE EXCEPTION 'invalid retention period for variant "%" of category "%"', NEW.variant, NEW.category
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The period is %s; no part of it may be negative.', coalesce(NEW.period::text, 'NULL')),
                  HINT = 'Give a positive interval such as ''12 months'' or ''7 years'', or ''0'' for data due at its boundary.';
    END IF;
    -- the bound of a category's period (10_category.sql)
    IF extract(epoch FROM NEW.period) > extract(epoch FROM interval '1000 years') THEN
        RAISE EXCEPTION 'retention period of variant "%" of category "%" is too long', NEW.variant, NEW.category
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The period is %s; the longest period allowed is 1000 years.', NEW.period),
                  HINT = 'Give a period of at most 1000 years, as for a category.';
    END IF;
    IF NEW.starts IS NOT NULL AND NEW.starts <> ALL (ARRAY['exact', 'end_of_day', 'end_of_month', 'end_of_year']) THEN
        RAISE EXCEPTION 'invalid boundary "%" for variant "%" of category "%"', NEW.starts, NEW.variant, NEW.category
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'starts is one of exact, end_of_day, end_of_month, end_of_year, or NULL for the category''s.';
    END IF;
    IF NEW.time_zone IS NOT NULL THEN
        SELECT z.name INTO NEW.time_zone
          FROM pg_catalog.pg_timezone_names z
         WHERE lower(z.name) = lower(NEW.time_zone)
         ORDER BY z.name = NEW.time_zone DESC, z.name
         LIMIT 1;
        IF NEW.time_zone IS NULL THEN
            RAISE EXCEPTION 'unknown time zone "%" for variant "%" of category "%"', given_zone, NEW.variant, NEW.category
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Use a full zone name from pg_timezone_names, such as ''UTC'' or ''America/Sao_Paulo'', or NULL for the category''s.';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION retention._category_variant_validate() IS
    'Internal: validates retention.category_variant rows before they are written.';

CREATE TRIGGER category_variant_validate
    BEFORE INSERT OR UPDATE ON retention.category_variant
    FOR EACH ROW EXECUTE FUNCTION retention._category_variant_validate();

-- ==== 90_key_check ==============================================
-- The id of the key the stored hashes (holds, suppression list, request
-- log, ledger) were made with.  A restore that loads them but leaves the
-- key out (a dump without retention._secret's data) keeps the key that
-- CREATE EXTENSION made, and the library then refuses to work with a key
-- that does not match (keyed_hash.c): held data would otherwise not be
-- held, and suppressed identifiers could come back.
CREATE FUNCTION retention._key_id()
RETURNS text
LANGUAGE C VOLATILE STRICT
AS 'MODULE_PATHNAME', 'retention_key_id';
COMMENT ON FUNCTION retention._key_id() IS
    'Internal: the id of this database''s key (16 hex digits, as erasure ledgers name it; no key material).';
REVOKE ALL ON FUNCTION retention._key_id() FROM PUBLIC;

CREATE TABLE retention._key_check (
    id     integer PRIMARY KEY CHECK (id OPERATOR(pg_catalog.=) 1),
    key_id text NOT NULL
);
COMMENT ON TABLE retention._key_check IS
    'Internal: the id of the key the stored hashes were made with (no key material). A restore loads it with the data; when it differs from the key in retention._secret, pg_retention refuses to work until the dump''s key is restored.';
REVOKE ALL ON retention._key_check FROM PUBLIC;
INSERT INTO retention._key_check VALUES (1, retention._key_id());
SELECT pg_catalog.pg_extension_config_dump('retention._key_check', '');

-- The restored row replaces the one CREATE EXTENSION made.
CREATE FUNCTION retention._key_check_restore()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM retention._key_check k WHERE k.id OPERATOR(pg_catalog.=) NEW.id) THEN
        UPDATE retention._key_check k SET key_id = NEW.key_id WHERE k.id OPERATOR(pg_catalog.=) NEW.id;
        RETURN NULL;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION retention._key_check_restore() IS
    'Internal: a restored key id replaces the one CREATE EXTENSION recorded.';
CREATE TRIGGER key_check_restore BEFORE INSERT ON retention._key_check
    FOR EACH ROW EXECUTE FUNCTION retention._key_check_restore();

-- A restore first runs CREATE EXTENSION (a new key), then loads the dumped
-- row: the dumped key must win, and the stored hashes are then its own (a
-- dump of 0.1.0 has no retention._key_check to say so).
CREATE OR REPLACE FUNCTION retention._secret_restore()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM retention._secret s WHERE s.id OPERATOR(pg_catalog.=) NEW.id) THEN
        UPDATE retention._secret s SET key = NEW.key WHERE s.id OPERATOR(pg_catalog.=) NEW.id;
        UPDATE retention._key_check k SET key_id = retention._key_id();
        RETURN NULL;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION retention._secret_restore() IS
    'Internal: a restored key replaces the one CREATE EXTENSION made, and is recorded as the key of the stored hashes.';

-- ==== 91_hold_test ================================================
-- _subject_held is STABLE (the holds are loaded once per run): the planner
-- can join a hold test through a parent instead of probing it per row.  It
-- stays PARALLEL UNSAFE: the holds live in the backend that loaded them.
ALTER FUNCTION retention._subject_held(text, text, bigint) STABLE;

-- ==== 99_privileges =================================================
-- Privileges on every object of the extension, set explicitly at the end
-- of the install (and of every upgrade), whatever default privileges
-- (ALTER DEFAULT PRIVILEGES, global or IN SCHEMA retention) gave the objects
-- when they were created.  A restore runs CREATE EXTENSION and so this too;
-- pg_dump then re-applies only the grants made after the install.
--
-- The declared objects below get exactly the privileges listed (none when
-- the list is empty).  Any other object keeps what this script itself
-- granted to PUBLIC, retention_admin and retention_dsr, without what default
-- privileges added, and nothing for anyone else; a function keeps EXECUTE
-- for PUBLIC (the built-in default) even if default privileges revoked it.

CREATE FUNCTION retention._reset_privileges()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ext      oid := (SELECT e.oid FROM pg_extension e WHERE e.extname = 'pg_retention');
    nsp      oid := 'retention'::regnamespace;
    admin    oid := (SELECT r.oid FROM pg_roles r WHERE r.rolname = 'retention_admin');
    dsr      oid := (SELECT r.oid FROM pg_roles r WHERE r.rolname = 'retention_dsr');
    -- object name (functions: every overload) -> grantee -> privileges
    declared jsonb := $json${
        "retention._secret": {},
        "retention._key_check": {},
        "retention.suppression": {},
        "retention.category": {"PUBLIC": ["SELECT"], "retention_admin": ["INSERT", "UPDATE", "DELETE"]},
        "retention.tags": {"PUBLIC": ["SELECT"]},
        "retention.schedule": {"PUBLIC": ["SELECT"]},
        "retention.legal_hold": {"retention_admin": ["SELECT"]},
        "retention.holds": {"retention_admin": ["SELECT"]},
        "retention.run": {"retention_admin": ["SELECT"]},
        "retention.action_log": {"retention_admin": ["SELECT"]},
        "retention.status": {"retention_admin": ["SELECT"]},
        "retention.dsr_request": {"retention_admin": ["SELECT"], "retention_dsr": ["SELECT"]},
        "retention.lint_exception": {"PUBLIC": ["SELECT"], "retention_admin": ["INSERT", "UPDATE", "DELETE"]},
        "retention._new_key": {},
        "retention._key_id": {},
        "retention._identifier_hash": {},
        "retention._rehash_legacy": {},
        "retention._worker_wake": {},
        "retention._reset_privileges": {},
        "retention._check_identifier": {},
        "retention.define_category": {"retention_admin": ["EXECUTE"]},
        "retention.alter_category": {"retention_admin": ["EXECUTE"]},
        "retention.drop_category": {"retention_admin": ["EXECUTE"]},
        "retention.place_hold": {"retention_admin": ["EXECUTE"]},
        "retention.release_hold": {"retention_admin": ["EXECUTE"]},
        "retention.enforce": {"retention_admin": ["EXECUTE"]},
        "retention._tag_stats": {"retention_admin": ["EXECUTE"]},
        "retention.preview": {"retention_admin": ["EXECUTE"]},
        "retention.worker_status": {"retention_admin": ["EXECUTE"]},
        "retention.metrics_database": {"retention_admin": ["EXECUTE"], "pg_monitor": ["EXECUTE"]},
        "retention.metrics_tags": {"retention_admin": ["EXECUTE"], "pg_monitor": ["EXECUTE"]},
        "retention.lint_ignore": {"retention_admin": ["EXECUTE"]},
        "retention.lint_unignore": {"retention_admin": ["EXECUTE"]},
        "retention.lint_ignore_category": {"retention_admin": ["EXECUTE"]},
        "retention.lint_unignore_category": {"retention_admin": ["EXECUTE"]},
        "retention.export_subject_rows": {"retention_dsr": ["EXECUTE"]},
        "retention.export_subject": {"retention_dsr": ["EXECUTE"]},
        "retention.export_subject_csv": {"retention_dsr": ["EXECUTE"]},
        "retention.erase_subject": {"retention_dsr": ["EXECUTE"]},
        "retention.suppress": {"retention_dsr": ["EXECUTE"]},
        "retention.is_suppressed": {"retention_dsr": ["EXECUTE"]},
        "retention.erasure_ledger": {"retention_admin": ["EXECUTE"], "retention_dsr": ["EXECUTE"]},
        "retention.reapply_erasures": {"retention_dsr": ["EXECUTE"]}
    }$json$;
    obj      record;
    g        record;
BEGIN
    FOR obj IN
        SELECT 'ROUTINE' AS kind, p.oid::regprocedure::text AS ident,
               'retention.' || quote_ident(p.proname) AS name,
               p.proowner AS owner, p.proacl AS acl, 'f'::"char" AS objtype,
               acldefault('f', p.proowner) AS builtin
          FROM pg_depend d JOIN pg_proc p ON p.oid = d.objid
         WHERE d.classid = 'pg_proc'::regclass AND d.refclassid = 'pg_extension'::regclass
           AND d.refobjid = ext AND d.deptype = 'e'
        UNION ALL
        SELECT CASE WHEN c.relkind = 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, c.oid::regclass::text,
               c.oid::regclass::text, c.relowner, c.relacl,
               CASE WHEN c.relkind = 'S' THEN 'S' ELSE 'r' END::"char",
               acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner)
          FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
         WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_extension'::regclass
           AND d.refobjid = ext AND d.deptype = 'e'
           AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
    LOOP
        EXECUTE format('REVOKE ALL ON %s %s FROM PUBLIC', obj.kind, obj.ident);
        FOR g IN
            SELECT DISTINCT r.rolname FROM aclexplode(coalesce(obj.acl, obj.builtin)) a
              JOIN pg_roles r ON r.oid = a.grantee
             WHERE a.grantee <> obj.owner
        LOOP
            EXECUTE format('REVOKE ALL ON %s %s FROM %I', obj.kind, obj.ident, g.rolname);
        END LOOP;
        -- what the object gets: as declared, or what this script granted
        FOR g IN
            WITH target (grantee, priv) AS (
                SELECT t.key, p.value
                  FROM jsonb_each(declared -> obj.name) t, jsonb_array_elements_text(t.value) p
                UNION ALL
                SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC'
                            ELSE (SELECT r.rolname FROM pg_roles r WHERE r.oid = a.grantee) END,
                       a.privilege_type
                  FROM aclexplode(coalesce(obj.acl, obj.builtin)) a
                 WHERE NOT declared ? obj.name
                   AND a.grantee IN (0, admin, dsr) AND a.grantee <> obj.owner
                   -- not what default privileges added beyond the built-in default
                   AND NOT EXISTS (
                       SELECT 1 FROM pg_default_acl da, aclexplode(da.defaclacl) x
                        WHERE da.defaclrole = obj.owner AND da.defaclobjtype = obj.objtype
                          AND da.defaclnamespace IN (0, nsp)
                          AND x.grantee = a.grantee AND x.privilege_type = a.privilege_type
                          AND NOT EXISTS (SELECT 1 FROM aclexplode(obj.builtin) b
                                           WHERE b.grantee = x.grantee
                                             AND b.privilege_type = x.privilege_type))
                UNION ALL
                -- a function keeps PUBLIC's EXECUTE if default privileges revoked it
                SELECT 'PUBLIC', 'EXECUTE'
                 WHERE NOT declared ? obj.name AND obj.kind = 'ROUTINE'
                   AND EXISTS (
                       SELECT 1 FROM pg_default_acl da
                        WHERE da.defaclrole = obj.owner AND da.defaclobjtype = 'f'
                          AND da.defaclnamespace = 0
                          AND NOT EXISTS (SELECT 1 FROM aclexplode(da.defaclacl) x
                                           WHERE x.grantee = 0 AND x.privilege_type = 'EXECUTE')))
            SELECT t.grantee, string_agg(DISTINCT t.priv, ', ') AS privs
              FROM target t GROUP BY t.grantee
        LOOP
            EXECUTE format('GRANT %s ON %s %s TO %s', g.privs, obj.kind, obj.ident,
                           CASE WHEN g.grantee = 'PUBLIC' THEN 'PUBLIC' ELSE quote_ident(g.grantee) END);
        END LOOP;
    END LOOP;

    -- the schema: USAGE for everyone, CREATE for its owner only
    EXECUTE 'REVOKE ALL ON SCHEMA retention FROM PUBLIC';
    FOR g IN
        SELECT DISTINCT r.rolname FROM pg_namespace n, aclexplode(n.nspacl) a
          JOIN pg_roles r ON r.oid = a.grantee
         WHERE n.oid = nsp AND a.grantee <> n.nspowner
    LOOP
        EXECUTE format('REVOKE ALL ON SCHEMA retention FROM %I', g.rolname);
    END LOOP;
    EXECUTE 'GRANT USAGE ON SCHEMA retention TO PUBLIC';
END
$$;
COMMENT ON FUNCTION retention._reset_privileges() IS
    'Internal: sets the privileges of every object of the extension to the intended ones, whatever default privileges gave them; run at the end of CREATE EXTENSION and of every upgrade.';
REVOKE ALL ON FUNCTION retention._reset_privileges() FROM PUBLIC;

SELECT retention._reset_privileges();
