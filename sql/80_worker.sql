-- The workers' SQL surface: retention.worker_status() and the metrics
-- functions for monitoring (postgres_exporter), and who may call them.
-- The regression instance preloads the library with retention.enabled = off.
\set VERBOSITY terse
-- worker_status(): the launcher says the kill switch is off
SELECT role, state, message FROM retention.worker_status() WHERE role = 'launcher';  -- ok
SELECT pg_catalog.array_to_string(proargnames, ', ') AS columns
  FROM pg_catalog.pg_proc WHERE oid = 'retention.worker_status()'::pg_catalog.regprocedure;  -- ok

-- a table with a known backlog, and a held one
SELECT name FROM retention.define_category('regress_w_short', '1 day');    -- ok
CREATE TABLE regress_w_event (id integer PRIMARY KEY, created_at timestamptz NOT NULL, email text);  -- ok
SELECT retention.tag_table('regress_w_event', 'regress_w_short', 'created_at');  -- ok
INSERT INTO regress_w_event
SELECT i, now() - interval '10 days', 'w' || i || '@example.org' FROM generate_series(1, 12) i;  -- ok
CREATE TABLE regress_w_kept (id integer PRIMARY KEY, created_at timestamptz NOT NULL);  -- ok
SELECT retention.tag_table('regress_w_kept', 'regress_w_short', 'created_at');  -- ok
SELECT retention.place_hold('regress: litigation', table_name => 'regress_w_kept') > 0 AS held;  -- ok
INSERT INTO regress_w_kept SELECT i, now() - interval '10 days' FROM generate_series(1, 3) i;  -- ok

CREATE ROLE regress_monitor IN ROLE pg_monitor;   -- ok
CREATE ROLE regress_nobody;                       -- ok

-- pg_monitor reads the metrics, counts only
SET ROLE regress_monitor;
SELECT table_name, column_name, category, rows_overdue, oldest_overdue_seconds > 8 * 86400 AS old,
       rows_held, rows_blocked, errors_last_run
  FROM retention.metrics_tags() WHERE table_name LIKE 'public.regress_w_%' ORDER BY 1;  -- ok
SELECT runs_24h >= 0 AS runs_known, worker_failures, worker_state
  FROM retention.metrics_database();  -- ok: no worker row while disabled
-- but not the worker's details, nor the evidence itself
SELECT count(*) FROM retention.worker_status();   -- fails: retention_admin only
SELECT count(*) FROM retention.run;               -- fails: retention_admin only
RESET ROLE;

-- after a run on the table: the backlog is gone, the run counted
CALL retention.enforce(table_name => 'regress_w_event');  -- ok
SET ROLE regress_monitor;
SELECT table_name, rows_overdue, oldest_overdue_seconds FROM retention.metrics_tags()
 WHERE table_name = 'public.regress_w_event';  -- ok
SELECT runs_24h >= 1 AS ran, seconds_since_completed BETWEEN 0 AND 600 AS recent
  FROM retention.metrics_database();  -- ok
RESET ROLE;

-- a role without pg_monitor gets nothing
SET ROLE regress_nobody;
SELECT * FROM retention.metrics_database();   -- fails: permission denied
SELECT * FROM retention.metrics_tags();       -- fails: permission denied
RESET ROLE;

-- The evidence's own cost stays flat as it grows: partial indexes for runs
-- and jobs left running, and for each table's last error in the collation
-- retention.status compares with
SELECT indexname, indexdef FROM pg_catalog.pg_indexes
 WHERE schemaname = 'retention' AND indexname IN ('run_running', 'action_log_running', 'action_log_error')
 ORDER BY 1;  -- ok

-- The evidence's expiry, with its cutoff computed once: exactly the runs
-- whose due time (end of the month they finished in, UTC, plus 2 years) has
-- passed go, with their actions
SELECT name, starts FROM retention.alter_category('retention_evidence', starts => 'end_of_month');  -- ok
CREATE TEMP TABLE regress_w_old AS
WITH m AS (SELECT date_trunc('month', now() - interval '2 years', 'UTC') AS start)  -- the category's zone
SELECT v.label, v.finished_at FROM m, LATERAL (VALUES
    ('3 years ago', now() - interval '3 years'),
    ('last second of the month 2 years ago', m.start - interval '1 second'),
    ('first second of the month 2 years ago', m.start + interval '1 second'),
    ('yesterday', now() - interval '1 day')) v(label, finished_at);  -- ok
INSERT INTO retention.run (origin, as_of, started_at, finished_at, status)
SELECT 'regress: ' || label, finished_at, finished_at, finished_at, 'completed' FROM regress_w_old;  -- ok
INSERT INTO retention.action_log (run_id, table_name, relation_name, action, outcome)
SELECT run_id, 'public.regress_w_gone', 'public.regress_w_gone', 'delete', 'done'
  FROM retention.run WHERE origin LIKE 'regress: %';  -- ok
CALL retention.enforce(table_name => 'regress_w_event');  -- ok
SELECT substr(origin, 10) AS kept FROM retention.run WHERE origin LIKE 'regress: %' ORDER BY finished_at;  -- ok: the last two
SELECT count(*) AS actions_kept FROM retention.action_log WHERE table_name = 'public.regress_w_gone';  -- ok: 2
SELECT name, starts FROM retention.alter_category('retention_evidence', starts => 'exact');  -- ok
DELETE FROM retention.run WHERE origin LIKE 'regress: %';  -- ok

DROP TABLE regress_w_event, regress_w_kept;   -- ok
DROP ROLE regress_monitor, regress_nobody;    -- ok
