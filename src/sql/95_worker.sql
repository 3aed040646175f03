-- The background workers (src/worker.c), when the library is preloaded.

CREATE FUNCTION retention.worker_status(
    OUT role           text,
    OUT database       text,
    OUT pid            integer,
    OUT state          text,
    OUT state_since    timestamptz,
    OUT last_cycle_end timestamptz,
    OUT last_run_id    bigint,
    OUT message        text)
RETURNS SETOF record
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'retention_worker_status';
COMMENT ON FUNCTION retention.worker_status() IS
    'The pg_retention launcher and database workers: state (enforcing, sleeping, no extension, no slot, paused for DDL on the database, standby), pid, last cycle, last run id, and why a database has no worker.';
REVOKE ALL ON FUNCTION retention.worker_status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION retention.worker_status() TO retention_admin;

CREATE FUNCTION retention._worker_wake()
RETURNS void
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'retention_worker_wake';
COMMENT ON FUNCTION retention._worker_wake() IS
    'Internal: asks the launcher to start this database''s worker now (run by CREATE EXTENSION).';
REVOKE ALL ON FUNCTION retention._worker_wake() FROM PUBLIC;

SELECT retention._worker_wake();
