\echo Use "ALTER EXTENSION pg_retention UPDATE TO '0.2.0'" to load this file. \quit
-- 86_erasure_report: erase_subject() and reapply_erasures() report rows
-- kept for a legal obligation in their own column, rows_kept (issue 14 item
-- 8); rows_held counts legal holds only.  A new OUT column changes the row
-- type: both functions are dropped and created again, with their comments
-- and privileges.  Until this runs, the library fills the 0.1.0 columns
-- (rows_held then counts both, kept rows noted).

COMMENT ON TABLE retention.dsr_request IS
    'The request log of data subject requests: kind (export, erase, erase (dry run)), the identifiers as "kind:keyed hash" (never in clear; the request log''s own key, not comparable with legal_hold.subject_hash), who asked and when, rows found, per-table counts (found, deleted, anonymized, held: legal holds, kept: legal obligations) and the outcome.';

DROP FUNCTION retention.erase_subject(jsonb, boolean);
DROP FUNCTION retention.reapply_erasures(jsonb);

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
