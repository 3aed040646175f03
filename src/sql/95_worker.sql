-- The background workers (src/launcher.c, src/worker.c), when the library is
-- preloaded.

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

CREATE FUNCTION retention._worker_wake()
RETURNS void
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'retention_worker_wake';
COMMENT ON FUNCTION retention._worker_wake() IS
    'Internal: asks the launcher to start this database''s worker now (run by CREATE EXTENSION).';
REVOKE ALL ON FUNCTION retention._worker_wake() FROM PUBLIC;

SELECT retention._worker_wake();
