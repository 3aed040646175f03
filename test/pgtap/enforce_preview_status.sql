-- retention.preview() and retention.status against what CALL
-- retention.enforce() then does: per-tag counts, a preview at a future
-- instant (more due, nothing changed), index_serves, status columns
-- (rows_overdue, rows_held, oldest_overdue_for, next_due, last_run,
-- last_outcome, last_error), a tag whose batch fails, a tag that does not
-- resolve (reported, never enforced), and runs limited to one table or one
-- category.
BEGIN;
SELECT plan(39);

SET LOCAL client_min_messages = warning;
SET LOCAL TimeZone = 'UTC';
-- No background worker runs here: test/run-pgtap starts the server with
-- retention.enabled = off.  (The run lock is not an advisory lock a session
-- can take any more, see doc/enforcement.md.)

CREATE FUNCTION pg_temp.last_run() RETURNS bigint LANGUAGE sql AS
$$ SELECT max(run_id) FROM retention.run WHERE origin = 'call' $$;

SELECT FROM retention.define_category('p_rows', '30 days');
SELECT FROM retention.define_category('p_anon', '30 days', action => 'nullify');
SELECT FROM retention.define_category('p_mask', '1 year', action => 'mask');
SELECT FROM retention.define_category('p_other', '30 days');

-- a delete tag whose anchor is indexed, with a subject column
CREATE TABLE p_del (id int PRIMARY KEY, at timestamptz, email text);
CREATE INDEX ON p_del (at);
SELECT FROM retention.tag_table('p_del', 'p_rows', 'at');
SELECT FROM retention.tag_column('p_del', 'email', subject => 'email');
INSERT INTO p_del SELECT g, now() - g * interval '5 days', format('user%s@example.com', g % 4) FROM generate_series(1, 20) g;
INSERT INTO p_del VALUES (21, NULL, 'user1@example.com');

-- a delete tag whose anchor is only the second column of an index
CREATE TABLE p_noidx (id int, at timestamptz);
CREATE INDEX ON p_noidx (id, at);
SELECT FROM retention.tag_table('p_noidx', 'p_rows', 'at');
INSERT INTO p_noidx SELECT g, now() - g * interval '10 days' FROM generate_series(1, 10) g;

-- three column tags: two categories, two anchors (one indexed)
CREATE TABLE p_anon (id int PRIMARY KEY, at timestamptz, at2 timestamptz, a text, b text, c text);
CREATE INDEX ON p_anon (at);
SELECT FROM retention.tag_column('p_anon', 'a', 'p_anon', 'at');
SELECT FROM retention.tag_column('p_anon', 'b', 'p_mask', 'at');
SELECT FROM retention.tag_column('p_anon', 'c', 'p_anon', 'at2');
INSERT INTO p_anon SELECT g, now() - g * interval '20 days', now() - g * interval '3 days',
                          'a' || g, 'bbbb' || g, 'c' || g
  FROM generate_series(1, 30) g;

-- another category
CREATE TABLE p_other (id int PRIMARY KEY, at timestamptz);
SELECT FROM retention.tag_table('p_other', 'p_other', 'at');
INSERT INTO p_other SELECT g, now() - g * interval '10 days' FROM generate_series(1, 10) g;

-- a tag whose batches fail: a trigger refuses deletes
CREATE TABLE p_fail (id int PRIMARY KEY, at timestamptz);
CREATE FUNCTION p_refuse() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN RAISE EXCEPTION 'rows of p_fail are never deleted'; END $$;
CREATE TRIGGER p_refuse BEFORE DELETE ON p_fail FOR EACH ROW EXECUTE FUNCTION p_refuse();
SELECT FROM retention.tag_table('p_fail', 'p_rows', 'at');
INSERT INTO p_fail SELECT g, now() - g * interval '20 days' FROM generate_series(1, 5) g;

-- a tag that does not resolve: written in restore mode, naming a category
-- that does not exist
CREATE TABLE p_invalid (id int PRIMARY KEY, at timestamptz);
INSERT INTO p_invalid SELECT g, now() - interval '10 years' FROM generate_series(1, 3) g;
SET LOCAL check_function_bodies = off;
SECURITY LABEL FOR retention ON TABLE p_invalid IS 'category=p_missing anchor=at';
SET LOCAL check_function_bodies = on;

-- md5 of all data of the test tables, to show that nothing changed
CREATE FUNCTION pg_temp.fingerprint() RETURNS text LANGUAGE sql AS $$
    SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (
        SELECT 'd' || d::text AS x FROM p_del d UNION ALL SELECT 'n' || n::text FROM p_noidx n
        UNION ALL SELECT 'a' || a::text FROM p_anon a UNION ALL SELECT 'o' || o::text FROM p_other o
        UNION ALL SELECT 'f' || f::text FROM p_fail f UNION ALL SELECT 'i' || i::text FROM p_invalid i) s $$;

SELECT retention.place_hold('complaint 5', subject_kind => 'email', subject_value => 'USER1@example.com') AS hold_id \gset

-- ---------------------------------------------------------------------
-- Before any run
-- ---------------------------------------------------------------------
CREATE TEMP TABLE p_fp0 AS SELECT pg_temp.fingerprint() AS fp, (SELECT count(*) FROM retention.run) AS runs;
CREATE TEMP TABLE p_now AS SELECT * FROM retention.preview(now());
CREATE TEMP TABLE p_future AS SELECT * FROM retention.preview(now() + interval '10 years');
CREATE TEMP TABLE p_status0 AS SELECT * FROM retention.status;

SELECT results_eq(
    $$SELECT table_name::text, (column_name::text COLLATE "default"), category, action, rows_due, rows_held FROM p_now ORDER BY 1, 2 NULLS FIRST$$,
    $$VALUES ('p_anon', 'a', 'p_anon', 'nullify', 29::bigint, 0::bigint),
             ('p_anon', 'b', 'p_mask', 'mask', 12, 0),
             ('p_anon', 'c', 'p_anon', 'nullify', 21, 0),
             ('p_del', NULL, 'p_rows', 'delete', 12, 3),
             ('p_fail', NULL, 'p_rows', 'delete', 4, 0),
             ('p_noidx', NULL, 'p_rows', 'delete', 8, 0),
             ('p_other', NULL, 'p_other', 'delete', 8, 0)$$,
    'preview(now()): one row per valid tag with what is due and what a hold keeps (the invalid tag is not previewed)');

SELECT is_empty(
    $$SELECT f.table_name, f.column_name FROM p_future f JOIN p_now n USING (table_name, column_name)
       WHERE f.rows_due + f.rows_held < n.rows_due + n.rows_held$$,
    'preview in ten years counts at least as much as now for every tag');
SELECT results_eq(
    $$SELECT sum(rows_due + rows_held)::bigint FROM p_future$$,
    $$SELECT (20 + 10 + 30 + 30 + 30 + 10 + 5)::bigint$$,
    'preview in ten years counts every row with an anchor (and every value) as due or held');
SELECT results_eq(
    $$SELECT pg_temp.fingerprint(), (SELECT count(*) FROM retention.run) FROM p_fp0$$,
    $$SELECT fp, runs FROM p_fp0$$,
    'preview(now()) and preview(now() + 10 years) changed no data and recorded no run');

SELECT results_eq(
    $$SELECT table_name::text, (column_name::text COLLATE "default"), index_serves FROM p_now ORDER BY 1, 2 NULLS FIRST$$,
    $$VALUES ('p_anon', 'a', true), ('p_anon', 'b', true), ('p_anon', 'c', false),
             ('p_del', NULL, true), ('p_fail', NULL, false), ('p_noidx', NULL, false), ('p_other', NULL, false)$$,
    'index_serves: true where an index leads with the anchor, false without one or with the anchor second');

SELECT is(
    (SELECT anchor_cutoff FROM p_now WHERE table_name = 'p_del'::regclass),
    (now() - interval '30 days')::text,
    'anchor_cutoff of an exact 30-day rule is now() - 30 days, as text of the anchor type');

-- status before the run
SELECT results_eq(
    $$SELECT table_name::text, (column_name::text COLLATE "default"), rows_overdue, rows_held FROM p_status0 ORDER BY 1, 2 NULLS FIRST$$,
    $$SELECT table_name::text, (column_name::text COLLATE "default"), rows_due, rows_held FROM p_now ORDER BY 1, 2 NULLS FIRST$$,
    'status: rows_overdue and rows_held are preview(now())''s numbers');
SELECT is(
    (SELECT oldest_overdue_for FROM p_status0 WHERE table_name = 'p_del'::regclass),
    now() - (SELECT min(retention.due_time(at, '30 days', 'exact', 'UTC')) FROM p_del
              WHERE retention.due_time(at, '30 days', 'exact', 'UTC') <= now() AND email <> 'user1@example.com'),
    'status: oldest_overdue_for is how long the oldest overdue row not under a hold has been overdue (now minus its due time)');
SELECT is(
    (SELECT next_due FROM p_status0 WHERE table_name = 'p_del'::regclass),
    (SELECT retention.due_time(min(at), '30 days', 'exact', 'UTC') FROM p_del
      WHERE retention.due_time(at, '30 days', 'exact', 'UTC') > now()),
    'status: next_due is the due time of the smallest anchor not yet due (delete tag)');
SELECT is(
    (SELECT next_due FROM p_status0 WHERE table_name = 'p_anon'::regclass AND column_name = 'b'),
    (SELECT retention.due_time(min(at), '1 year', 'exact', 'UTC') FROM p_anon
      WHERE retention.due_time(at, '1 year', 'exact', 'UTC') > now()),
    'status: next_due of a column tag follows its own category (1 year)');
SELECT ok(
    (SELECT bool_and(last_run IS NULL AND last_outcome IS NULL AND last_error IS NULL) FROM p_status0),
    'status: no last run before the first run');

-- ---------------------------------------------------------------------
-- A run limited to one table, then to one category
-- ---------------------------------------------------------------------
CALL retention.enforce(table_name => 'p_other');
CREATE TEMP TABLE p_runs AS SELECT 1 AS n, pg_temp.last_run() AS run_id;

SELECT results_eq(
    $$SELECT table_name, rows_processed FROM retention.action_log WHERE run_id = (SELECT run_id FROM p_runs WHERE n = 1)$$,
    $$VALUES ('public.p_other'::text, 8::bigint)$$,
    'enforce(table_name => p_other): one job, on that table only');
SELECT results_eq(
    $$SELECT (SELECT count(*) FROM p_del), (SELECT count(*) FROM p_noidx), (SELECT count(*) FROM p_anon WHERE a IS NULL),
             (SELECT count(*) FROM p_other)$$,
    $$VALUES (21::bigint, 10::bigint, 0::bigint, 2::bigint)$$,
    'enforce(table_name => p_other): the other tables are untouched');

CALL retention.enforce(category => 'p_anon');
INSERT INTO p_runs VALUES (2, pg_temp.last_run());

SELECT results_eq(
    $$SELECT table_name, columns, categories, values_processed FROM retention.action_log
       WHERE run_id = (SELECT run_id FROM p_runs WHERE n = 2) AND action <> 'none'$$,
    $$VALUES ('public.p_anon'::text, ARRAY['a', 'c'], ARRAY['p_anon', 'p_anon'], ARRAY[29, 21]::bigint[])$$,
    'enforce(category => p_anon): only the two p_anon column tags run');
SELECT results_eq(
    $$SELECT (SELECT count(*) FROM p_anon WHERE b LIKE '*%'), (SELECT count(*) FROM p_del), (SELECT count(*) FROM p_noidx)$$,
    $$VALUES (0::bigint, 21::bigint, 10::bigint)$$,
    'enforce(category => p_anon): the p_mask tag of the same table and the other categories are untouched');

CALL retention.enforce(table_name => 'p_anon', category => 'p_other');
INSERT INTO p_runs VALUES (3, pg_temp.last_run());
SELECT is_empty(
    $$SELECT 1 FROM retention.action_log WHERE run_id = (SELECT run_id FROM p_runs WHERE n = 3)$$,
    'enforce(table_name => p_anon, category => p_other): both limits apply, nothing matches');

SELECT throws_ok($$CALL retention.enforce(category => 'p_nope')$$, '42704',
                 'retention category "p_nope" does not exist', 'enforce with an unknown category fails');
SELECT throws_ok($$CALL retention.enforce(max_runtime => '-1 second')$$, '22023',
                 'max_runtime must not be negative', 'enforce with a negative max_runtime fails');

-- ---------------------------------------------------------------------
-- The full run
-- ---------------------------------------------------------------------
CALL retention.enforce();
INSERT INTO p_runs VALUES (4, pg_temp.last_run());

-- per tag, everything processed over the runs equals what preview(now())
-- counted before them; the failing tag processed nothing
CREATE TEMP TABLE p_done AS
SELECT a.table_name, NULL::text AS column_name, sum(a.rows_processed)::bigint AS n
  FROM retention.action_log a WHERE a.run_id IN (SELECT run_id FROM p_runs) AND a.action = 'delete'
 GROUP BY a.table_name
UNION ALL
SELECT a.table_name, u.col, sum(u.n)::bigint
  FROM retention.action_log a, unnest(a.columns, a.values_processed) u(col, n)
 WHERE a.run_id IN (SELECT run_id FROM p_runs) AND a.action = 'anonymize'
 GROUP BY a.table_name, u.col;

SELECT set_eq(
    $$SELECT table_name, column_name, n FROM p_done WHERE table_name <> 'public.p_fail'$$,
    $$SELECT 'public.' || table_name::text, (column_name::text COLLATE "default"), rows_due FROM p_now WHERE table_name <> 'p_fail'::regclass$$,
    'per tag, the rows deleted / values anonymized equal preview(now())''s rows_due taken before');
SELECT results_eq(
    $$SELECT (SELECT count(*) FROM p_del), (SELECT count(*) FROM p_noidx), (SELECT count(*) FROM p_other),
             (SELECT count(*) FROM p_anon WHERE a IS NULL), (SELECT count(*) FROM p_anon WHERE b LIKE '*%'),
             (SELECT count(*) FROM p_anon WHERE c IS NULL)$$,
    $$VALUES (21::bigint - 12, 10::bigint - 8, 10::bigint - 8, 29::bigint, 12::bigint, 21::bigint)$$,
    'the tables lost / changed exactly those rows and values');
SELECT is(
    (SELECT sum(rows_due) FROM retention.preview() WHERE table_name <> 'p_fail'::regclass), 0::numeric,
    'after the run nothing is due except on the failing tag');

-- the failing tag
SELECT results_eq(
    $$SELECT rows_processed, outcome, error_sqlstate, error FROM retention.action_log
       WHERE run_id = (SELECT run_id FROM p_runs WHERE n = 4) AND table_name = 'public.p_fail'$$,
    $$VALUES (0::bigint, 'error'::text, 'P0001'::text, 'a trigger or rule raised an exception'::text)$$,
    'a failing batch is rolled back and recorded: outcome error, SQLSTATE and a description in the extension''s words');
SELECT is((SELECT count(*) FROM p_fail), 5::bigint, 'the failing tag''s rows are all still there');
SELECT ok(
    (SELECT error NOT LIKE '%never deleted%' FROM retention.action_log
      WHERE run_id = (SELECT run_id FROM p_runs WHERE n = 4) AND table_name = 'public.p_fail'),
    'the recorded error does not repeat the trigger''s own message');

-- the tag that does not resolve
SELECT results_eq(
    $$SELECT action, categories, rows_processed, outcome, error_sqlstate FROM retention.action_log
       WHERE run_id = (SELECT run_id FROM p_runs WHERE n = 4) AND table_name LIKE '%p_invalid%'$$,
    $$VALUES ('none'::text, ARRAY['p_missing'], 0::bigint, 'error'::text, '42704'::text)$$,
    'a tag that does not resolve is reported in action_log: action none, outcome error, the problem''s SQLSTATE');
SELECT ok(
    (SELECT error LIKE '%p_missing%does not exist%' FROM retention.action_log
      WHERE run_id = (SELECT run_id FROM p_runs WHERE n = 4) AND table_name LIKE '%p_invalid%'),
    'the report says what is wrong with the tag');
SELECT is((SELECT count(*) FROM p_invalid), 3::bigint, 'the invalid tag is never enforced: its ten-year-old rows stay');
SELECT results_eq(
    $$SELECT status, errors FROM retention.run WHERE run_id = (SELECT run_id FROM p_runs WHERE n = 4)$$,
    $$VALUES ('completed with errors'::text, 2::bigint)$$,
    'the run completed with two errors (the failing batch and the invalid tag)');
SELECT results_eq(
    $$SELECT rows_deleted, values_anonymized, rows_held FROM retention.run WHERE run_id = (SELECT run_id FROM p_runs WHERE n = 4)$$,
    $$VALUES (12::bigint + 8, 12::bigint, 3::bigint)$$,
    'the run totals: rows deleted from p_del and p_noidx, the p_mask values, the held rows');

-- ---------------------------------------------------------------------
-- status after the run
-- ---------------------------------------------------------------------
SELECT results_eq(
    $$SELECT table_name::text, (column_name::text COLLATE "default"), rows_overdue, rows_held, last_outcome FROM retention.status ORDER BY 1, 2 NULLS FIRST$$,
    $$VALUES ('p_anon', 'a', 0::bigint, 0::bigint, 'done'::text),
             ('p_anon', 'b', 0, 0, 'done'),
             ('p_anon', 'c', 0, 0, 'done'),
             ('p_del', NULL, 0, 3, 'done'),
             ('p_fail', NULL, 4, 0, 'error'),
             ('p_noidx', NULL, 0, 0, 'done'),
             ('p_other', NULL, 0, 0, 'done')$$,
    'status after the run: nothing overdue except on the failing tag; held rows still counted; last outcomes');
SELECT is(
    (SELECT last_run FROM retention.status WHERE table_name = 'p_del'::regclass),
    (SELECT finished_at FROM retention.action_log
      WHERE run_id = (SELECT run_id FROM p_runs WHERE n = 4) AND table_name = 'public.p_del'),
    'status.last_run is when the tag''s last job finished');
SELECT is(
    (SELECT last_run FROM retention.status WHERE table_name = 'p_other'::regclass),
    (SELECT finished_at FROM retention.action_log
      WHERE run_id = (SELECT run_id FROM p_runs WHERE n = 1) AND table_name = 'public.p_other'),
    'status.last_run is the tag''s last job that did something: the full run, with nothing due on p_other, wrote no row for it');
SELECT results_eq(
    $$SELECT last_error, last_error_at IS NOT NULL FROM retention.status WHERE table_name = 'p_fail'::regclass$$,
    $$VALUES ('P0001: a trigger or rule raised an exception'::text, true)$$,
    'status.last_error of the failing tag: SQLSTATE and description, with its time');
SELECT is_empty(
    $$SELECT table_name FROM retention.status WHERE table_name <> 'p_fail'::regclass AND (last_error IS NOT NULL OR last_error_at IS NOT NULL)$$,
    'status: no error shown for the tags that succeeded');
SELECT is(
    (SELECT next_due FROM retention.status WHERE table_name = 'p_del'::regclass),
    (SELECT next_due FROM p_status0 WHERE table_name = 'p_del'::regclass),
    'status: next_due unchanged by the run (rows not yet due were not touched)');
SELECT is(
    (SELECT next_due FROM retention.status WHERE table_name = 'p_anon'::regclass AND column_name = 'a'),
    (SELECT retention.due_time(min(at), '30 days', 'exact', 'UTC') FROM p_anon WHERE a IS NOT NULL),
    'status: next_due of a column tag is the due time of the smallest anchor of a value not yet anonymized');

-- releasing the hold: the held rows become overdue
SELECT FROM retention.release_hold(:hold_id, 'complaint closed');
SELECT results_eq(
    $$SELECT rows_overdue, rows_held FROM retention.status WHERE table_name = 'p_del'::regclass$$,
    $$VALUES (3::bigint, 0::bigint)$$,
    'status after releasing the hold: the three held rows are overdue, none held');
CALL retention.enforce(table_name => 'p_del');
SELECT results_eq(
    $$SELECT rows_overdue, rows_held, last_outcome FROM retention.status WHERE table_name = 'p_del'::regclass$$,
    $$VALUES (0::bigint, 0::bigint, 'done'::text)$$,
    'and the next run deletes them');
SELECT is((SELECT count(*) FROM p_del WHERE retention.due_time(at, '30 days', 'exact', 'UTC') <= now()), 0::bigint,
          'no due row is left in p_del');

SELECT * FROM finish();
ROLLBACK;
