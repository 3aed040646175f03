-- Which rows a batch takes (issue 13, items 1 and 2): a large backlog is
-- swept in physical order (page ranges, no row locks when nothing can keep
-- a row), a table without an index on the anchor is always swept, batches
-- grow with the backlog, and no batch ever deletes or anonymizes a row
-- that is not due, whatever the order.  Due and not-due rows are
-- interleaved on every page.  The companion isolation spec
-- enforce_skip_locked shows a lock-free batch meeting a row lock and
-- falling back to SKIP LOCKED.
BEGIN;
SELECT plan(19);

SET LOCAL client_min_messages = warning;
SET LOCAL retention.batch_size = 100;
SELECT FROM retention.define_category('regress_order', '30 days');
SELECT FROM retention.define_category('regress_order_anon', '30 days', action => 'nullify');

-- every third row is not due (anchor today), the others are (anchor 40 days
-- ago); ids 1..3000, 2000 due
CREATE FUNCTION pg_temp.fill(t regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format($q$INSERT INTO %s (id, created_at, email)
        SELECT g, CASE WHEN g %% 3 = 0 THEN now() ELSE now() - interval '40 days' END,
               'u' || g || '@example.com'
          FROM generate_series(1, 3000) g$q$, t);
    EXECUTE format('ANALYZE %s', t);
END $$;

-- 1: an index on the anchor, a backlog of two thirds of the table
CREATE TABLE regress_order_indexed (id int PRIMARY KEY, created_at timestamptz NOT NULL, email text);
CREATE INDEX ON regress_order_indexed (created_at);
SELECT pg_temp.fill('regress_order_indexed');
SECURITY LABEL FOR retention ON TABLE regress_order_indexed IS 'category=regress_order anchor=created_at';
-- 2: no index on the anchor
CREATE TABLE regress_order_plain (id int PRIMARY KEY, created_at timestamptz NOT NULL, email text);
SELECT pg_temp.fill('regress_order_plain');
SECURITY LABEL FOR retention ON TABLE regress_order_plain IS 'category=regress_order anchor=created_at';
-- 3: no index, a column tag (anonymize: always the locked path)
CREATE TABLE regress_order_anon (id int PRIMARY KEY, created_at timestamptz NOT NULL, email text);
SELECT pg_temp.fill('regress_order_anon');
SECURITY LABEL FOR retention ON COLUMN regress_order_anon.email
    IS 'category=regress_order_anon anchor=created_at';
-- 3b: the same with an index on the anchor: anonymizing stays in anchor order
CREATE TABLE regress_order_anon_idx (id int PRIMARY KEY, created_at timestamptz NOT NULL, email text);
CREATE INDEX ON regress_order_anon_idx (created_at);
SELECT pg_temp.fill('regress_order_anon_idx');
SECURITY LABEL FOR retention ON COLUMN regress_order_anon_idx.email
    IS 'category=regress_order_anon anchor=created_at';
-- 4: no index, referenced by another table: rows still referenced stay
-- (the locked path, with its probes), the others go
CREATE TABLE regress_order_parent (id int PRIMARY KEY, created_at timestamptz NOT NULL, email text);
SELECT pg_temp.fill('regress_order_parent');
CREATE TABLE regress_order_child (parent_id int REFERENCES regress_order_parent);
INSERT INTO regress_order_child SELECT g FROM generate_series(1, 3000, 10) g;
SECURITY LABEL FOR retention ON TABLE regress_order_parent IS 'category=regress_order anchor=created_at';

SELECT pg_stat_clear_snapshot();
CALL retention.enforce();

SELECT is((SELECT count(*) FROM regress_order_indexed), 1000::bigint,
          'indexed backlog: the 2000 due rows deleted');
SELECT is((SELECT count(*) FROM regress_order_indexed WHERE id % 3 <> 0), 0::bigint,
          'indexed backlog: no due row left');
SELECT is((SELECT count(*) FROM regress_order_plain), 1000::bigint,
          'no index: the 2000 due rows deleted');
SELECT is((SELECT count(*) FROM regress_order_plain WHERE id % 3 = 0), 1000::bigint,
          'no index: every row that is not due kept, though it shares its pages with due rows');
SELECT is((SELECT count(*) FILTER (WHERE email IS NULL) FROM regress_order_anon), 2000::bigint,
          'anonymize, no index: the 2000 due values nullified');
SELECT is((SELECT count(*) FROM regress_order_anon WHERE id % 3 = 0 AND email IS NOT NULL), 1000::bigint,
          'anonymize, no index: no value that is not due touched');
SELECT is((SELECT count(*) FROM regress_order_parent WHERE id % 3 <> 0),
          (SELECT count(*) FROM regress_order_child WHERE parent_id % 3 <> 0),
          'referenced, no index: only the due rows still referenced are left');
SELECT is((SELECT count(*) FROM regress_order_parent WHERE id % 3 = 0), 1000::bigint,
          'referenced, no index: every row that is not due kept');

SELECT is((SELECT count(*) FILTER (WHERE email IS NULL) FROM regress_order_anon_idx WHERE id % 3 <> 0), 2000::bigint,
          'anonymize, indexed backlog: the 2000 due values nullified');
SELECT cmp_ok((SELECT idx_tup_fetch FROM pg_stat_xact_user_tables WHERE relname = 'regress_order_anon_idx'),
              '>=', 2000::bigint, 'anonymize, indexed backlog: every batch in anchor order (no sweep for updates)');

-- the evidence of each job
SELECT is((SELECT (rows_processed, rows_blocked, outcome)::text FROM retention.action_log
            WHERE table_name = 'public.regress_order_indexed'),
          '(2000,0,done)', 'indexed backlog: evidence says 2000 rows, done');
SELECT is((SELECT (rows_processed, rows_blocked, outcome)::text FROM retention.action_log
            WHERE table_name = 'public.regress_order_parent'),
          (SELECT (2000 - count(*), count(*), 'done')::text FROM regress_order_child
            WHERE parent_id % 3 <> 0),
          'referenced: evidence counts the deleted and the blocked rows');
SELECT is((SELECT values_processed FROM retention.action_log
            WHERE table_name = 'public.regress_order_anon'),
          '{2000}'::bigint[], 'anonymize: evidence says 2000 values');

-- batches grow with the backlog: 2000 rows at batch_size 100 take far
-- fewer than 20 batches
SELECT cmp_ok((SELECT batches FROM retention.action_log WHERE table_name = 'public.regress_order_plain'),
              '<', 12::bigint, 'batches grow with the backlog (fewer than 12 for 20 x batch_size)');
SELECT cmp_ok((SELECT batches FROM retention.action_log WHERE table_name = 'public.regress_order_plain'),
              '>', 1::bigint, 'and a backlog still takes several batches');

-- the indexed backlog was swept in physical order: after its first batch
-- (in anchor order, through the index) no batch used the index
SELECT cmp_ok((SELECT idx_tup_fetch FROM pg_stat_xact_user_tables WHERE relname = 'regress_order_indexed'),
              '<', 1000::bigint, 'indexed backlog: the index served the first batch only, then a sweep');
SELECT cmp_ok((SELECT batches FROM retention.action_log WHERE table_name = 'public.regress_order_indexed'),
              '>', 2::bigint, 'indexed backlog: several batches');

-- a second run finds nothing, and in steady state the index answers
DELETE FROM retention.action_log;
CALL retention.enforce();
SELECT is((SELECT count(*) FROM retention.action_log WHERE rows_processed > 0 OR outcome <> 'done'),
          0::bigint, 'a second run has nothing to do');
SELECT is((SELECT count(*) FROM regress_order_plain), 1000::bigint, 'and deletes nothing more');

SELECT * FROM finish();
ROLLBACK;
