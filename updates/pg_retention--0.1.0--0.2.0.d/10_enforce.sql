\echo Use "ALTER EXTENSION pg_retention UPDATE TO '0.2.0'" to load this file. \quit
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
