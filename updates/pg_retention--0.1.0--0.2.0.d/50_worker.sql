\echo Use "ALTER EXTENSION pg_retention UPDATE TO '0.2.0'" to load this file. \quit

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
