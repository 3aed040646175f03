-- What preview() and status say, against what CALL retention.enforce()
-- then does: rows_due (rows the run processes) and rows_blocked (due rows
-- it leaves, still referenced) are disjoint, a row whose referencing rows go
-- in the same run is not blocked, oldest_overdue_for is how long the oldest
-- due row has been overdue (now minus its due time, not the anchor's age);
-- anchors whose due time is beyond the range of timestamptz (date
-- '5874897-12-31', 'infinity') are never due and break nothing; a
-- partitions= key stays out of retention.tags.anchor; a foreign-table
-- partition of a tagged table is reported by lint() and status.
-- (test/run-pgtap runs the server with retention.enabled = off: no worker run
-- interferes.)
BEGIN;
SELECT plan(31);

SET LOCAL client_min_messages = warning;
SET LOCAL TimeZone = 'UTC';

SELECT FROM retention.define_category('m_30d', '30 days');

-- parents and children, both due under the same rule: the child of parent
-- 1 is due too (it goes first, then parent 1 can go), the child of parent
-- 2 is not (parent 2 stays, blocked); parent 3 is not referenced
CREATE TABLE m_parent (id int PRIMARY KEY, at timestamptz);
CREATE TABLE m_child (id int PRIMARY KEY, parent_id int REFERENCES m_parent, at timestamptz);
SELECT FROM retention.tag_table('m_parent', 'm_30d', 'at');
SELECT FROM retention.tag_table('m_child', 'm_30d', 'at');
INSERT INTO m_parent VALUES (1, now() - interval '40 days'), (2, now() - interval '50 days'),
                            (3, now() - interval '35 days'), (4, now() - interval '5 days');
INSERT INTO m_child VALUES (1, 1, now() - interval '31 days'), (2, 2, now() - interval '1 day');

-- far-future anchors next to one due row
CREATE TABLE m_far (id int PRIMARY KEY, d date, email text);
SELECT FROM retention.tag_table('m_far', 'm_30d', 'd');
SELECT FROM retention.tag_column('m_far', 'email', subject => 'email');
INSERT INTO m_far VALUES (1, '5874897-12-31', 'far@example.com'), (2, 'infinity', 'far@example.com'),
                         (3, current_date - 40, 'near@example.com');
CREATE TABLE m_far_ts (id int PRIMARY KEY, ts timestamptz);
SELECT FROM retention.tag_table('m_far_ts', 'm_30d', 'ts');
INSERT INTO m_far_ts VALUES (1, '294276-12-31 23:00:00+00'), (2, 'infinity'), (3, now() - interval '40 days'),
                            (4, '20000-01-01 00:00:00+00');

SELECT is(retention.due_time(date '5874897-12-31', '30 days', 'exact', 'UTC'), 'infinity'::timestamptz,
          'due_time of date 5874897-12-31: infinity (never due), not an error');
SELECT is(retention.due_time(timestamptz '294276-12-31 23:00:00+00', '30 days', 'end_of_month', 'Pacific/Kiritimati'),
          'infinity'::timestamptz, 'due_time past the end of timestamptz: infinity');
SELECT is(retention.due_time(date 'infinity', '30 days', 'exact', 'UTC'), 'infinity'::timestamptz,
          'due_time of infinity: infinity');

-- preview: disjoint counts
SELECT results_eq(
    $$SELECT table_name::text, rows_due, rows_blocked, rows_held FROM retention.preview()
       WHERE table_name::text LIKE 'm\_%' ORDER BY 1$$,
    $$VALUES ('m_child', 1::bigint, 0::bigint, 0::bigint), ('m_far', 1, 0, 0), ('m_far_ts', 1, 0, 0),
             ('m_parent', 2, 1, 0)$$,
    'preview: rows_due are the rows the run deletes; a parent whose child goes in the same run is not blocked');
-- status: the same counts, how long overdue, never-due rows have no next due time
SELECT results_eq(
    $$SELECT table_name::text, rows_overdue, rows_blocked, oldest_overdue_for FROM retention.status
       WHERE table_name::text LIKE 'm\_%' ORDER BY 1$$,
    $$VALUES ('m_child', 1::bigint, 0::bigint, interval '1 day'),
             ('m_far', 1, 0, now() - (current_date - 10)::timestamp AT TIME ZONE 'UTC'),
             ('m_far_ts', 1, 0, interval '10 days'), ('m_parent', 2, 1, interval '20 days')$$,
    'status: rows_overdue excludes blocked rows; oldest_overdue_for is now minus the oldest due time');
SELECT is((SELECT next_due FROM retention.status WHERE table_name = 'm_far'::regclass), NULL,
          'status: only never-due rows are left after the due one, so no next due time');
SELECT is((SELECT next_due FROM retention.status WHERE table_name = 'm_parent'::regclass),
          now() + interval '25 days', 'status: next due time of parent 4');
SELECT is((SELECT count(*) FROM retention.status WHERE note IS NOT NULL AND table_name::text LIKE 'm\_%'),
          0::bigint, 'status: no errors, no notes');
SELECT lives_ok($$SELECT retention.export_subject('{"email": "far@example.com"}')$$,
                'export of a person with far-future anchors works');
SELECT is((SELECT array_agg(due_at ORDER BY due_at)
             FROM retention.export_subject_rows('{"email": "far@example.com"}') WHERE table_name = 'm_far'::regclass),
          ARRAY['infinity', 'infinity']::timestamptz[], 'export: far-future rows are due at infinity (never)');

-- what enforcement then does matches the preview
CALL retention.enforce();
SELECT is((SELECT array_agg(id ORDER BY id) FROM m_parent), ARRAY[2, 4], 'enforce: parents 1 and 3 deleted, 2 blocked');
SELECT is((SELECT array_agg(id ORDER BY id) FROM m_child), ARRAY[2], 'enforce: the due child deleted');
SELECT is((SELECT array_agg(id ORDER BY id) FROM m_far), ARRAY[1, 2], 'enforce: far-future rows never due');
SELECT is((SELECT array_agg(id ORDER BY id) FROM m_far_ts), ARRAY[1, 2, 4], 'enforce: far-future timestamps never due');
SELECT is((SELECT errors FROM retention.run ORDER BY run_id DESC LIMIT 1), 0::bigint, 'the run had no errors');
SELECT results_eq(
    $$SELECT table_name::text, rows_overdue, rows_blocked FROM retention.status
       WHERE table_name::text LIKE 'm\_%' ORDER BY 1$$,
    $$VALUES ('m_child', 0::bigint, 0::bigint), ('m_far', 0, 0), ('m_far_ts', 0, 0), ('m_parent', 0, 1)$$,
    'status after the run: only the blocked parent is left overdue');
SELECT is((SELECT oldest_overdue_for FROM retention.status WHERE table_name = 'm_parent'::regclass),
          interval '20 days', 'status: the blocked parent counts as overdue');

-- previews far in the future count far anchors, and never fail
SELECT results_eq(
    $$SELECT table_name::text, rows_due FROM retention.preview('294276-12-30 00:00:00+00')
       WHERE table_name::text LIKE 'm\_far%' ORDER BY 1$$,
    $$VALUES ('m_far', 0::bigint), ('m_far_ts', 1::bigint)$$,
    'preview near the end of the range: the row of the year 20000 is due, those whose due time is past the end are not');
SELECT results_eq(
    $$SELECT table_name::text, rows_due FROM retention.preview('20001-01-01 00:00:00+00')
       WHERE table_name::text LIKE 'm\_far%' ORDER BY 1$$,
    $$VALUES ('m_far', 0::bigint), ('m_far_ts', 1::bigint)$$,
    'preview in the year 20001: the row anchored in 20000 is due then');
SELECT lives_ok($$SELECT * FROM retention.preview('infinity')$$, 'preview at infinity works');

-- the partitions= key is not part of the anchor; lint works
CREATE TABLE m_parted (id int, at timestamptz) PARTITION BY RANGE (at);
CREATE TABLE m_parted_2020 PARTITION OF m_parted FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
SECURITY LABEL FOR retention ON TABLE m_parted IS 'category=m_30d anchor=at partitions=rows';
SELECT is((SELECT anchor FROM retention.tags WHERE table_name = 'm_parted'::regclass), 'at',
          'retention.tags.anchor holds the anchor alone');
SELECT lives_ok($$SELECT * FROM retention.lint()$$, 'lint works with a partitions= key');
SELECT is((SELECT count(*) FROM retention.lint() WHERE check_name = 'anchor_without_index' AND object = 'public.m_parted'),
          1::bigint, 'lint reads the anchor of a partitioned table tag');

-- a foreign-table partition: lint and status say it is not enforced
CREATE EXTENSION file_fdw;
CREATE SERVER m_files FOREIGN DATA WRAPPER file_fdw;
CREATE FOREIGN TABLE m_parted_2019 PARTITION OF m_parted FOR VALUES FROM ('2019-01-01') TO ('2020-01-01')
    SERVER m_files OPTIONS (filename '/dev/null', format 'csv');
SELECT results_eq(
    $$SELECT severity, object, message FROM retention.lint() WHERE check_name = 'foreign_partition'$$,
    $$VALUES ('warning', 'public.m_parted_2019',
              'partition of tagged table public.m_parted is a foreign table: enforcement never deletes or anonymizes its rows')$$,
    'lint: the foreign partition is reported');
SELECT ok((SELECT hint FROM retention.lint() WHERE check_name = 'foreign_partition')
          LIKE '%ALTER TABLE public.m_parted DETACH PARTITION public.m_parted_2019;%',
          'lint: the hint says how to detach it');
SELECT results_eq(
    $$SELECT category, rows_overdue, note FROM retention.status
       WHERE table_name = 'm_parted'::regclass AND note IS NOT NULL$$,
    $$VALUES ('m_30d', NULL::bigint, 'not enforced: partition public.m_parted_2019 is a foreign table')$$,
    'status: a row for the foreign partition says it is not enforced');
SELECT is((SELECT count(*) FROM retention.status WHERE table_name = 'm_parted'::regclass AND note IS NULL),
          1::bigint, 'status: the local partitions keep their own row');
SELECT lives_ok($$SELECT * FROM retention.preview()$$, 'preview works with a foreign partition');
SELECT lives_ok($$CALL retention.enforce('m_parted')$$, 'enforce works with a foreign partition');
SELECT is((SELECT count(*) FROM retention.lint() WHERE check_name = 'invalid_tag'), 0::bigint,
          'no tag became invalid');
SELECT FROM retention.lint_ignore('m_parted_2019', NULL, 'archive kept on the archive server under its own rule',
                                  'foreign_partition');
SELECT is((SELECT count(*) FROM retention.lint() WHERE check_name = 'foreign_partition'), 0::bigint,
          'lint: a reviewed foreign partition can be silenced with lint_ignore');

SELECT * FROM finish();
ROLLBACK;
