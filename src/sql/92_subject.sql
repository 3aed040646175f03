-- Data subject rights: access / portability (export), erasure, the
-- suppression list, and the request log.  Members of retention_dsr (and
-- superusers) only; the C functions check that themselves as well.

CREATE TABLE retention.suppression (
    kind            text NOT NULL,
    identifier_hash bytea NOT NULL,
    reason          text NOT NULL,
    added_at        timestamptz NOT NULL DEFAULT pg_catalog.now(),
    ledger_hash     bytea,
    hashed_with     text NOT NULL DEFAULT '0.1.0'
                    CONSTRAINT suppression_hashed_with CHECK (hashed_with OPERATOR(pg_catalog.=) ANY (ARRAY['0.1.0', '0.2.0'])),
    PRIMARY KEY (kind, identifier_hash, reason),
    -- 0.1.0's erasure rows (restored from its dump) have no ledger hash
    CONSTRAINT suppression_ledger_hash CHECK
        (hashed_with OPERATOR(pg_catalog.=) '0.1.0' OR
         (reason OPERATOR(pg_catalog.=) 'erasure') OPERATOR(pg_catalog.=) (ledger_hash IS NOT NULL))
);
COMMENT ON TABLE retention.suppression IS
    'The suppression list: keyed hashes of normalized identifiers that must not be imported or contacted again, one row per identifier and reason (erasure, opt-out, ...); erasure rows carry the identifier''s erasure ledger hash and the time of its last erasure. Never identifiers in clear; no role but the extension''s owner reads it. Check with retention.is_suppressed(kind, value).';
COMMENT ON COLUMN retention.suppression.hashed_with IS
    'The version whose hash scheme made identifier_hash: ''0.2.0'' for every row added now; the default ''0.1.0'' marks the rows of a 0.1.0 dump restored into this version (their hash is 0.1.0''s, erasures without a ledger hash; read by converting them, see retention._rehash_legacy).';
SELECT pg_catalog.pg_extension_config_dump('retention.suppression', '');
REVOKE ALL ON retention.suppression FROM PUBLIC;

CREATE TABLE retention.dsr_request (
    request_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind              text NOT NULL,
    identifier_hashes text[] NOT NULL,
    dry_run           boolean NOT NULL DEFAULT false,
    requested_by      name NOT NULL,
    requested_at      timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    rows_found        bigint NOT NULL DEFAULT 0,
    tables            jsonb NOT NULL DEFAULT '{}',
    outcome           text NOT NULL,
    hashed_with       text NOT NULL DEFAULT '0.1.0'
                      CONSTRAINT dsr_request_hashed_with CHECK (hashed_with OPERATOR(pg_catalog.=) ANY (ARRAY['0.1.0', '0.2.0']))
);
COMMENT ON TABLE retention.dsr_request IS
    'The request log of data subject requests: kind (export, erase, erase (dry run)), the identifiers as "kind:keyed hash" (never in clear; the request log''s own key, not comparable with legal_hold.subject_hash), who asked and when, rows found, per-table counts (found, deleted, anonymized, held: legal holds, kept: legal obligations) and the outcome.';
COMMENT ON COLUMN retention.dsr_request.hashed_with IS
    'The version whose hash scheme made identifier_hashes: ''0.2.0'' for every request logged now; the default ''0.1.0'' marks the rows of a 0.1.0 dump restored into this version (their erasures count in the erasure ledger).';
SELECT pg_catalog.pg_extension_config_dump('retention.dsr_request', '');
SELECT pg_catalog.pg_extension_config_dump('retention.dsr_request_request_id_seq', '');
REVOKE ALL ON retention.dsr_request FROM PUBLIC;
GRANT SELECT ON retention.dsr_request TO retention_admin, retention_dsr;

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

CREATE FUNCTION retention.export_subject(identifiers jsonb)
RETURNS jsonb
LANGUAGE C VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'retention_export_subject';
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

CREATE FUNCTION retention._check_identifier(kind text, value text)
RETURNS void
LANGUAGE C STABLE STRICT
AS 'MODULE_PATHNAME', 'retention_check_subject_identifier';
COMMENT ON FUNCTION retention._check_identifier(text, text) IS
    'Internal: raises the error export and erasure raise for this identifier (a kind no tag declares, 22023 with the declared kinds; a value that names nobody once normalized, 22023), never quoting the value. Used by place_hold().';
REVOKE ALL ON FUNCTION retention._check_identifier(text, text) FROM PUBLIC;

CREATE FUNCTION retention.suppress(kind text, value text, reason text DEFAULT 'opt-out')
RETURNS void
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'retention_suppress';
COMMENT ON FUNCTION retention.suppress(text, text, text) IS
    'Adds an identifier (e.g. a marketing opt-out) to the suppression list as a keyed hash with a reason, without erasing anything; an identifier keeps every reason it was added for (reason ''erasure'' records an erasure in the ledger as erase_subject does). Members of retention_dsr only.';

CREATE FUNCTION retention.is_suppressed(kind text, value text)
RETURNS boolean
LANGUAGE C STABLE STRICT
AS 'MODULE_PATHNAME', 'retention_is_suppressed';
COMMENT ON FUNCTION retention.is_suppressed(text, text) IS
    'Whether an identifier is on the suppression list (compared in normalized form), for imports that must refuse it. Grant EXECUTE to the roles that import.';

CREATE FUNCTION retention.erasure_ledger(since timestamptz DEFAULT NULL)
RETURNS jsonb
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'retention_erasure_ledger';
COMMENT ON FUNCTION retention.erasure_ledger(timestamptz) IS
    'The erasure ledger: every erasure since since (all with NULL) as the keyed hash of the normalized identifier (the ledger''s own key) and its time, never identifiers in clear, with the id of the key it was made with. Keep it outside the database; after restoring an older backup pass it to retention.reapply_erasures(). Members of retention_admin or retention_dsr.';

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

REVOKE ALL ON FUNCTION retention.export_subject_rows(jsonb), retention.export_subject(jsonb),
                       retention.export_subject_csv(jsonb), retention.erase_subject(jsonb, boolean),
                       retention.suppress(text, text, text), retention.is_suppressed(text, text)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION retention.export_subject_rows(jsonb), retention.export_subject(jsonb),
                          retention.export_subject_csv(jsonb), retention.erase_subject(jsonb, boolean),
                          retention.suppress(text, text, text), retention.is_suppressed(text, text)
    TO retention_dsr;

REVOKE ALL ON FUNCTION retention.erasure_ledger(timestamptz), retention.reapply_erasures(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION retention.erasure_ledger(timestamptz) TO retention_admin, retention_dsr;
GRANT EXECUTE ON FUNCTION retention.reapply_erasures(jsonb) TO retention_dsr;
