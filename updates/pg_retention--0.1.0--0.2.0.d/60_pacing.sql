\echo Use "ALTER EXTENSION pg_retention UPDATE TO '0.2.0'" to load this file. \quit
-- 60_pacing (issue 13 item 4): a run paces itself by what its batches cost
-- (retention.max_load); the run log records how long it paused.

ALTER TABLE retention.run ADD COLUMN paused interval NOT NULL DEFAULT '0';
COMMENT ON COLUMN retention.run.paused IS
    'Time the run paused between batches (pacing: retention.max_load, retention.batch_delay).';
