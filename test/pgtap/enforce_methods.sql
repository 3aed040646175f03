-- Enforcement methods: what each anonymization method writes (nullify,
-- default, hash on text / varchar / char / bytea / uuid, mask, generalize on
-- timestamps, dates, inet, cidr and numbers), several column tags with
-- different anchors in one UPDATE, idempotence (a second run changes
-- nothing, processes 0 rows and writes 0 WAL), late rows caught by the next
-- run, and delete tags removing exactly the due rows that preview counted
-- (their evidence counts no values: values_processed NULL).
BEGIN;
SELECT plan(52);

SET LOCAL client_min_messages = warning;
SET LOCAL TimeZone = 'UTC';
-- No background worker runs here: test/run-pgtap starts the server with
-- retention.enabled = off.  (The run lock is not an advisory lock a session
-- can take any more, see doc/enforcement.md.)

-- The run id of the latest CALL.
CREATE FUNCTION pg_temp.last_run() RETURNS bigint LANGUAGE sql AS
$$ SELECT max(run_id) FROM retention.run WHERE origin = 'call' $$;

SELECT FROM retention.define_category('m_anon', '30 days', action => 'nullify');
SELECT FROM retention.define_category('m_zg', '30 days', action => 'generalize', time_zone => 'Europe/Zagreb');
SELECT FROM retention.define_category('m_day', '1 day', action => 'mask');
SELECT FROM retention.define_category('m_rows', '30 days');

-- =====================================================================
-- One table, one tag per method and type.  Rows 1-3 and 5 are due (anchor
-- 40 days ago), row 4 is not (10 days ago), row 6 has a NULL anchor.
-- =====================================================================
CREATE TABLE m_val (
    id      int PRIMARY KEY,
    at      timestamptz,
    n_text  text,
    d_const text DEFAULT 'gone',
    d_none  int,
    h_text  text,
    h_vc    varchar(20),
    h_ch    char(70),
    h_by    bytea,
    h_uu    uuid,
    mk      text,
    mk0     text,
    mk_vc   varchar(10),
    g_tz    timestamptz,
    g_ts    timestamp,
    g_d     date,
    g_i4    inet,
    g_i6    inet,
    g_c     cidr,
    g_int   int,
    g_num   numeric(12,2)
);
SELECT FROM retention.tag_column('m_val', 'n_text', 'm_anon', 'at');
SELECT FROM retention.tag_column('m_val', 'd_const', 'm_anon', 'at', 'default');
SELECT FROM retention.tag_column('m_val', 'd_none', 'm_anon', 'at', 'default');
SELECT FROM retention.tag_column('m_val', 'h_text', 'm_anon', 'at', 'hash');
SELECT FROM retention.tag_column('m_val', 'h_vc', 'm_anon', 'at', 'hash');
SELECT FROM retention.tag_column('m_val', 'h_ch', 'm_anon', 'at', 'hash');
SELECT FROM retention.tag_column('m_val', 'h_by', 'm_anon', 'at', 'hash');
SELECT FROM retention.tag_column('m_val', 'h_uu', 'm_anon', 'at', 'hash');
SELECT FROM retention.tag_column('m_val', 'mk', 'm_anon', 'at', 'mask');
SELECT FROM retention.tag_column('m_val', 'mk0', 'm_anon', 'at', 'mask', keep => 0);
SELECT FROM retention.tag_column('m_val', 'mk_vc', 'm_anon', 'at', 'mask', keep => 4);
SELECT FROM retention.tag_column('m_val', 'g_tz', 'm_zg', 'at');
SELECT FROM retention.tag_column('m_val', 'g_ts', 'm_zg', 'at');
SELECT FROM retention.tag_column('m_val', 'g_d', 'm_zg', 'at');
SELECT FROM retention.tag_column('m_val', 'g_i4', 'm_zg', 'at');
SELECT FROM retention.tag_column('m_val', 'g_i6', 'm_zg', 'at');
SELECT FROM retention.tag_column('m_val', 'g_c', 'm_zg', 'at');
SELECT FROM retention.tag_column('m_val', 'g_int', 'm_zg', 'at', bucket => 10);
SELECT FROM retention.tag_column('m_val', 'g_num', 'm_zg', 'at', bucket => 1000);

INSERT INTO m_val VALUES
    (1, now() - interval '40 days', 'note 1', 'x', 5,
     'ana@example.com', 'ana@example.com', 'ana@example.com', '\x616e61', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
     'secret123', 'secret123', '0123456789',
     '2024-03-01 00:30+01', '2024-03-15 13:14:15', '2024-03-15', '192.168.17.42', '2001:db8:abcd:1234::1', '10.1.2.16/28',
     47, 12345.67),
    (2, now() - interval '40 days', 'note 2', 'y', 6,
     'ana@example.com', 'ana@example.com', 'ana@example.com', '\x616e61', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
     'ab', 'a', 'abc',
     '2024-03-31 23:30+02', '2024-01-01 00:00', '2024-01-01', '10.20.30.40', '::1', '10.0.0.0/8',
     -3, -0.5),
    (3, now() - interval '40 days', 'note 3', 'z', 7,
     'bob@example.com', 'bob@example.com', 'bob@example.com', '\x626f62', 'b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
     'x', '', 'abcd',
     '2024-01-31 23:30+00', '2024-12-31 23:59:59', '2024-12-31', '192.168.17.0/24', '2001:db8:abcd::/48', '192.168.0.0/16',
     -47, -1000),
    (4, now() - interval '10 days', 'note 4', 'w', 8,
     'ana@example.com', 'ana@example.com', 'ana@example.com', '\x616e61', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
     'secret123', 'secret123', '0123456789',
     '2024-03-01 00:30+01', '2024-03-15 13:14:15', '2024-03-15', '192.168.17.42', '2001:db8:abcd:1234::1', '10.1.2.16/28',
     47, 12345.67),
    (5, now() - interval '40 days', NULL, 'gone', NULL,
     NULL, NULL, NULL, NULL, NULL,
     NULL, NULL, NULL,
     NULL, NULL, NULL, NULL, NULL, NULL,
     40, 2000),
    (6, NULL, 'note 6', 'v', 9,
     'ana@example.com', 'ana@example.com', 'ana@example.com', '\x616e61', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
     'secret123', 'secret123', '0123456789',
     '2024-03-01 00:30+01', '2024-03-15 13:14:15', '2024-03-15', '192.168.17.42', '2001:db8:abcd:1234::1', '10.1.2.16/28',
     47, 12345.67);

-- =====================================================================
-- Several column tags of one table with different anchors and rules
-- =====================================================================
CREATE TABLE m_multi (id int PRIMARY KEY, created_at timestamptz, closed_at timestamptz, a text, b text);
SELECT FROM retention.tag_column('m_multi', 'a', 'm_anon', 'created_at');
SELECT FROM retention.tag_column('m_multi', 'b', 'm_day', 'closed_at');
INSERT INTO m_multi VALUES
    (1, now() - interval '40 days', now() - interval '2 days', 'a1', 'b1'),   -- both due
    (2, now() - interval '40 days', now() - interval '1 hour', 'a2', 'b2'),   -- only a
    (3, now() - interval '10 days', now() - interval '2 days', 'a3', 'b3'),   -- only b
    (4, now() - interval '10 days', now() - interval '1 hour', 'a4', 'b4'),   -- neither
    (5, now() - interval '40 days', NULL, 'a5', 'b5');                        -- only a

-- =====================================================================
-- A delete tag
-- =====================================================================
CREATE TABLE m_rows (id int PRIMARY KEY, at timestamptz);
SELECT FROM retention.tag_table('m_rows', 'm_rows', 'at');
INSERT INTO m_rows SELECT g, now() - g * interval '1 day' - interval '1 minute' FROM generate_series(1, 60) g;
INSERT INTO m_rows VALUES (100, NULL), (101, now() - interval '30 days'), (102, now() - interval '30 days' + interval '1 second');

-- A column of 64-hex-digit tokens looks like pseudonyms but is not: the
-- keyed check tells them apart
CREATE TABLE m_tok (id int PRIMARY KEY, at timestamptz, tok text);
SELECT FROM retention.tag_column('m_tok', 'tok', 'm_anon', 'at', 'hash');
INSERT INTO m_tok VALUES (1, now() - interval '40 days', md5('device') || md5('token'));

-- before: values and what preview says will happen
CREATE TEMP TABLE m_before AS SELECT * FROM m_val;
CREATE TEMP TABLE m_preview AS SELECT * FROM retention.preview();

CALL retention.enforce();
CREATE TEMP TABLE m_runs AS SELECT 1 AS n, pg_temp.last_run() AS run_id;

-- ---------------------------------------------------------------------
-- nullify and default
-- ---------------------------------------------------------------------
SELECT results_eq(
    'SELECT id, n_text FROM m_val ORDER BY id',
    $$VALUES (1, NULL::text), (2, NULL), (3, NULL), (4, 'note 4'), (5, NULL), (6, 'note 6')$$,
    'nullify: due values become NULL; the not-due and the NULL-anchored rows keep theirs');

SELECT results_eq(
    'SELECT id, d_const FROM m_val ORDER BY id',
    $$VALUES (1, 'gone'::text), (2, 'gone'), (3, 'gone'), (4, 'w'), (5, 'gone'), (6, 'v')$$,
    'default: due values become the column''s constant default');

SELECT results_eq(
    'SELECT id, d_none FROM m_val ORDER BY id',
    $$VALUES (1, NULL::int), (2, NULL), (3, NULL), (4, 8), (5, NULL), (6, 9)$$,
    'default on a column without a default: due values become NULL');

-- ---------------------------------------------------------------------
-- hash
-- ---------------------------------------------------------------------
SELECT is(
    (SELECT count(*) FROM m_val WHERE id IN (1, 2, 3) AND h_text ~ '^[0-9a-f]{64}$'), 3::bigint,
    'hash on text: a 64-character lower-case hex pseudonym');
SELECT is(
    (SELECT count(*) FROM m_val WHERE id IN (1, 2, 3) AND h_vc ~ '^[0-9a-f]{20}$'), 3::bigint,
    'hash on varchar(20): a hex pseudonym of exactly the column''s 20 characters');
SELECT is(
    (SELECT count(*) FROM m_val WHERE id IN (1, 2, 3) AND h_ch::text ~ '^[0-9a-f]{64}$' AND octet_length(h_ch) = 70), 3::bigint,
    'hash on char(70): a 64-character hex pseudonym (at most 64), blank-padded to the column width');
SELECT is(
    (SELECT count(*) FROM m_val WHERE id IN (1, 2, 3) AND octet_length(h_by) = 32), 3::bigint,
    'hash on bytea: a 32-byte pseudonym');
SELECT is(
    (SELECT count(*) FROM m_val v JOIN m_before b USING (id) WHERE id IN (1, 2, 3) AND v.h_uu IS DISTINCT FROM b.h_uu), 3::bigint,
    'hash on uuid: every due uuid replaced');
SELECT is(
    (SELECT count(*) FROM m_val v JOIN m_before b USING (id)
      WHERE id IN (1, 2, 3)
        AND (v.h_text = b.h_text OR v.h_vc = b.h_vc OR v.h_ch = b.h_ch OR v.h_by = b.h_by OR v.h_uu = b.h_uu)), 0::bigint,
    'hash: no due value is left as it was');
SELECT ok(
    (SELECT (a.h_text, a.h_vc, a.h_ch, a.h_by, a.h_uu) = (b.h_text, b.h_vc, b.h_ch, b.h_by, b.h_uu)
       FROM m_val a, m_val b WHERE a.id = 1 AND b.id = 2),
    'hash: the same input gives the same pseudonym in different rows, for every type');
SELECT ok(
    (SELECT a.h_text <> b.h_text AND a.h_vc <> b.h_vc AND a.h_ch <> b.h_ch AND a.h_by <> b.h_by AND a.h_uu <> b.h_uu
       FROM m_val a, m_val b WHERE a.id = 1 AND b.id = 3),
    'hash: different inputs give different pseudonyms, for every type');
SELECT ok(
    (SELECT (v.h_text, v.h_vc, v.h_ch, v.h_by, v.h_uu) = (b.h_text, b.h_vc, b.h_ch, b.h_by, b.h_uu)
       FROM m_val v JOIN m_before b USING (id) WHERE id = 4),
    'hash: the not-due row keeps its values');
SELECT ok(
    (SELECT h_text IS NULL AND h_vc IS NULL AND h_ch IS NULL AND h_by IS NULL AND h_uu IS NULL FROM m_val WHERE id = 5),
    'hash: a NULL stays NULL');

SELECT ok(
    (SELECT tok <> md5('device') || md5('token') AND tok ~ '^[0-9a-f]{64}$' FROM m_tok),
    'hash: a 64-hex-digit value that is not a pseudonym is still pseudonymized');

-- ---------------------------------------------------------------------
-- mask
-- ---------------------------------------------------------------------
SELECT results_eq(
    'SELECT id, mk FROM m_val WHERE id <= 4 ORDER BY id',
    $$VALUES (1, '*******23'::text), (2, '**'), (3, '*'), (4, 'secret123')$$,
    'mask with the default keep 2: all but the last two characters starred; a value not longer than keep is starred whole');
SELECT results_eq(
    'SELECT id, mk0 FROM m_val WHERE id <= 4 ORDER BY id',
    $$VALUES (1, '*********'::text), (2, '*'), (3, ''), (4, 'secret123')$$,
    'mask with keep=0: every character starred; the empty string stays empty');
SELECT results_eq(
    'SELECT id, mk_vc FROM m_val WHERE id <= 4 ORDER BY id',
    $$VALUES (1, '******6789'::varchar), (2, '***'), (3, '****'), (4, '0123456789')$$,
    'mask with keep=4 on varchar(10): the last four kept; values of up to four characters starred whole');

-- ---------------------------------------------------------------------
-- generalize
-- ---------------------------------------------------------------------
SELECT results_eq(
    'SELECT id, g_tz FROM m_val WHERE id <= 4 ORDER BY id',
    $$VALUES (1, '2024-03-01 00:00+01'::timestamptz), (2, '2024-03-01 00:00+01'), (3, '2024-02-01 00:00+01'),
             (4, '2024-03-01 00:30+01')$$,
    'generalize on timestamptz: the start of the month in the category''s zone (Europe/Zagreb), not in UTC');
SELECT results_eq(
    'SELECT id, g_ts FROM m_val WHERE id <= 4 ORDER BY id',
    $$VALUES (1, '2024-03-01 00:00'::timestamp), (2, '2024-01-01 00:00'), (3, '2024-12-01 00:00'), (4, '2024-03-15 13:14:15')$$,
    'generalize on timestamp: the start of the month');
SELECT results_eq(
    'SELECT id, g_d FROM m_val WHERE id <= 4 ORDER BY id',
    $$VALUES (1, '2024-03-01'::date), (2, '2024-01-01'), (3, '2024-12-01'), (4, '2024-03-15')$$,
    'generalize on date: the first of the month');
SELECT results_eq(
    'SELECT id, g_i4 FROM m_val WHERE id <= 4 ORDER BY id',
    $$VALUES (1, '192.168.17.0/24'::inet), (2, '10.20.30.0/24'), (3, '192.168.17.0/24'), (4, '192.168.17.42')$$,
    'generalize on IPv4 inet: the /24 network');
SELECT results_eq(
    'SELECT id, g_i6 FROM m_val WHERE id <= 4 ORDER BY id',
    $$VALUES (1, '2001:db8:abcd::/48'::inet), (2, '::/48'), (3, '2001:db8:abcd::/48'), (4, '2001:db8:abcd:1234::1')$$,
    'generalize on IPv6 inet: the /48 network');
SELECT results_eq(
    'SELECT id, g_c FROM m_val WHERE id <= 4 ORDER BY id',
    $$VALUES (1, '10.1.2.0/24'::cidr), (2, '10.0.0.0/8'), (3, '192.168.0.0/16'), (4, '10.1.2.16/28')$$,
    'generalize on cidr: a /28 becomes its /24; networks already /24 or wider are kept');
SELECT results_eq(
    'SELECT id, g_int FROM m_val ORDER BY id',
    $$VALUES (1, 40), (2, -10), (3, -50), (4, 47), (5, 40), (6, 47)$$,
    'generalize on int with bucket=10: rounded down (floor) to a multiple of 10, negative numbers too');
SELECT results_eq(
    'SELECT id, g_num FROM m_val ORDER BY id',
    $$VALUES (1, 12000.00::numeric(12,2)), (2, -1000.00), (3, -1000.00), (4, 12345.67), (5, 2000.00), (6, 12345.67)$$,
    'generalize on numeric with bucket=1000: floor to a multiple of 1000 (-0.5 becomes -1000)');

-- ---------------------------------------------------------------------
-- evidence of the first run: every changed value counted, nothing else
-- ---------------------------------------------------------------------
CREATE TEMP TABLE m_changed AS
SELECT c.column_name::text AS column_name,
       count(*) FILTER (WHERE c.changed) AS n
  FROM (SELECT b.id, col.column_name, col.changed
          FROM m_before b JOIN m_val v USING (id)
         CROSS JOIN LATERAL (VALUES
               ('n_text', v.n_text IS DISTINCT FROM b.n_text), ('d_const', v.d_const IS DISTINCT FROM b.d_const),
               ('d_none', v.d_none IS DISTINCT FROM b.d_none), ('h_text', v.h_text IS DISTINCT FROM b.h_text),
               ('h_vc', v.h_vc IS DISTINCT FROM b.h_vc), ('h_ch', v.h_ch IS DISTINCT FROM b.h_ch),
               ('h_by', v.h_by IS DISTINCT FROM b.h_by), ('h_uu', v.h_uu IS DISTINCT FROM b.h_uu),
               ('mk', v.mk IS DISTINCT FROM b.mk), ('mk0', v.mk0 IS DISTINCT FROM b.mk0),
               ('mk_vc', v.mk_vc IS DISTINCT FROM b.mk_vc), ('g_tz', v.g_tz IS DISTINCT FROM b.g_tz),
               ('g_ts', v.g_ts IS DISTINCT FROM b.g_ts), ('g_d', v.g_d IS DISTINCT FROM b.g_d),
               ('g_i4', v.g_i4 IS DISTINCT FROM b.g_i4), ('g_i6', v.g_i6 IS DISTINCT FROM b.g_i6),
               ('g_c', v.g_c IS DISTINCT FROM b.g_c), ('g_int', v.g_int IS DISTINCT FROM b.g_int),
               ('g_num', v.g_num IS DISTINCT FROM b.g_num)) AS col(column_name, changed)) c
 GROUP BY c.column_name;

SELECT set_eq(
    $$SELECT u.col, u.n FROM retention.action_log a, unnest(a.columns, a.values_processed) AS u(col, n)
       WHERE a.run_id = (SELECT run_id FROM m_runs WHERE n = 1) AND a.table_name = 'public.m_val'$$,
    'SELECT column_name, n FROM m_changed',
    'action_log.values_processed counts, per column, exactly the values that changed');

SELECT is(
    (SELECT rows_processed FROM retention.action_log
      WHERE run_id = (SELECT run_id FROM m_runs WHERE n = 1) AND table_name = 'public.m_val'),
    (SELECT count(*) FROM m_before b JOIN m_val v USING (id) WHERE row(b.*)::text <> row(v.*)::text),
    'action_log.rows_processed counts the rows updated (all column tags of a row in one UPDATE)');

SELECT set_eq(
    $$SELECT u.col::name, u.n FROM retention.action_log a, unnest(a.columns, a.values_processed) AS u(col, n)
       WHERE a.run_id = (SELECT run_id FROM m_runs WHERE n = 1) AND a.table_name = 'public.m_val'$$,
    $$SELECT column_name, rows_due FROM m_preview WHERE table_name = 'm_val'::regclass$$,
    'preview(now()) taken before the run predicted every column''s count');

-- ---------------------------------------------------------------------
-- several column tags, different anchors, one run
-- ---------------------------------------------------------------------
SELECT results_eq(
    'SELECT id, a, b FROM m_multi ORDER BY id',
    $$VALUES (1, NULL::text, '**'::text), (2, NULL, 'b2'), (3, 'a3', '**'), (4, 'a4', 'b4'), (5, NULL, 'b5')$$,
    'two column tags on different anchors: each value anonymized exactly when its own anchor is due');

SELECT results_eq(
    $$SELECT columns, categories, methods, values_processed, rows_processed, outcome FROM retention.action_log
       WHERE run_id = (SELECT run_id FROM m_runs WHERE n = 1) AND table_name = 'public.m_multi'$$,
    $$VALUES (ARRAY['a', 'b'], ARRAY['m_anon', 'm_day'], ARRAY['nullify', 'mask'], ARRAY[3, 2]::bigint[], 4::bigint, 'done'::text)$$,
    'the two tags run as one anonymize job: one action_log row, values per column, four rows updated');

-- ---------------------------------------------------------------------
-- delete tag
-- ---------------------------------------------------------------------
SELECT is(
    (SELECT rows_processed FROM retention.action_log
      WHERE run_id = (SELECT run_id FROM m_runs WHERE n = 1) AND table_name = 'public.m_rows'),
    (SELECT rows_due FROM m_preview WHERE table_name = 'm_rows'::regclass),
    'delete: the rows deleted are as many as preview counted just before');
SELECT is(
    (SELECT count(*) FROM m_rows), 63 - (SELECT rows_due FROM m_preview WHERE table_name = 'm_rows'::regclass),
    'delete: the table lost exactly that many rows');
SELECT is(
    (SELECT rows_due FROM m_preview WHERE table_name = 'm_rows'::regclass), 32::bigint,
    'delete: anchors 30..60 days and a minute ago (31 rows) and exactly 30 days ago (1 row) are due: 32');
SELECT is_empty(
    $$SELECT id FROM m_rows WHERE retention.due_time(at, '30 days', 'exact', 'UTC') <= now()$$,
    'delete: no due row is left');
SELECT results_eq(
    $$SELECT id FROM m_rows WHERE id >= 29 ORDER BY id$$,
    $$VALUES (29), (100), (102)$$,
    'delete: rows due later (29 days and a minute, 30 days less a second) and the NULL anchor are kept');
SELECT is(
    (SELECT values_processed FROM retention.action_log
      WHERE run_id = (SELECT run_id FROM m_runs WHERE n = 1) AND table_name = 'public.m_rows'),
    NULL::bigint[],
    'delete: values_processed is NULL (no values to count), not {0}');
SELECT is(
    (SELECT values_processed FROM retention.action_log
      WHERE run_id = (SELECT run_id FROM m_runs WHERE n = 1) AND table_name = 'public.m_multi'),
    ARRAY[3, 2]::bigint[],
    'anonymize: values_processed counts the values per column');

-- =====================================================================
-- Idempotence: a second CALL changes nothing and says so
-- =====================================================================
CREATE TEMP TABLE m_after1 AS SELECT * FROM m_val;
CREATE TEMP TABLE m_multi_after1 AS SELECT * FROM m_multi;
CALL retention.enforce();
INSERT INTO m_runs VALUES (2, pg_temp.last_run());

SELECT ok(pg_temp.last_run() > (SELECT run_id FROM m_runs WHERE n = 1), 'the second CALL made a run of its own');
SELECT set_eq('SELECT * FROM m_val', 'SELECT * FROM m_after1',
              'second run: every value identical, pseudonyms included');
SELECT set_eq('SELECT * FROM m_multi', 'SELECT * FROM m_multi_after1',
              'second run: the two-anchor table unchanged');
SELECT is_empty(
    $$SELECT table_name FROM retention.action_log WHERE run_id = (SELECT run_id FROM m_runs WHERE n = 2)$$,
    'second run: nothing to do, so no action_log row (evidence only of what a run did)');
SELECT results_eq(
    $$SELECT rows_deleted, values_anonymized, wal_bytes, status FROM retention.run
       WHERE run_id = (SELECT run_id FROM m_runs WHERE n = 2)$$,
    $$VALUES (0::bigint, 0::bigint, 0::bigint, 'completed'::text)$$,
    'second run: the run totals are zero too');
SELECT is(
    (SELECT sum(rows_due) FROM retention.preview()), 0::numeric,
    'after the run, preview(now()) has nothing left to do');

-- =====================================================================
-- Late rows: inserted after a run, with old anchors, caught by the next
-- =====================================================================
INSERT INTO m_val (id, at, n_text, d_const, d_none, h_text, h_vc, h_ch, h_by, h_uu, mk, g_int)
VALUES (7, now() - interval '90 days', 'late', 'q', 1, 'ana@example.com', 'ana@example.com', 'ana@example.com',
        '\x616e61', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'late value', 1234),
       (8, now() - interval '31 days', 'late', 'q', 1, 'carl@example.com', 'carl@example.com', 'carl@example.com',
        '\x6361726c', 'c0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'late value', -1);
INSERT INTO m_rows VALUES (200, now() - interval '400 days'), (201, now() - interval '29 days');
CALL retention.enforce();
INSERT INTO m_runs VALUES (3, pg_temp.last_run());

SELECT results_eq(
    $$SELECT id, n_text, d_const, d_none, mk, g_int FROM m_val WHERE id IN (7, 8) ORDER BY id$$,
    $$VALUES (7, NULL::text, 'gone'::text, NULL::int, '********ue'::text, 1230), (8, NULL, 'gone', NULL, '********ue', -10)$$,
    'late rows: the next run anonymizes them');
SELECT ok(
    (SELECT (a.h_text, a.h_vc, a.h_ch, a.h_by, a.h_uu) = (b.h_text, b.h_vc, b.h_ch, b.h_by, b.h_uu)
       FROM m_val a, m_val b WHERE a.id = 7 AND b.id = 1),
    'late rows: the same input gets the same pseudonym as in the earlier run');
SELECT ok(
    (SELECT a.h_text <> b.h_text FROM m_val a, m_val b WHERE a.id = 8 AND b.id = 1),
    'late rows: a new input gets a new pseudonym');
SELECT set_eq(
    'SELECT * FROM m_val WHERE id <= 6', 'SELECT * FROM m_after1',
    'late rows: values anonymized by the first run are left exactly as they were');
SELECT results_eq(
    $$SELECT rows_processed, (SELECT u.n FROM unnest(columns, values_processed) u(col, n) WHERE u.col = 'h_text'),
             (SELECT u.n FROM unnest(columns, values_processed) u(col, n) WHERE u.col = 'g_num')
        FROM retention.action_log WHERE run_id = (SELECT run_id FROM m_runs WHERE n = 3) AND table_name = 'public.m_val'$$,
    $$VALUES (2::bigint, 2::bigint, 0::bigint)$$,
    'late rows: the run counts the two late rows only (anonymized rows are not counted again; a NULL is no value)');
SELECT ok(
    (SELECT wal_bytes > 0 FROM retention.action_log
      WHERE run_id = (SELECT run_id FROM m_runs WHERE n = 3) AND table_name = 'public.m_val'),
    'late rows: the run that did work reports WAL written');
SELECT results_eq(
    'SELECT id FROM m_rows WHERE id >= 200 ORDER BY id',
    'VALUES (201)',
    'late rows: a late due row of the delete tag is deleted, a late not-due one kept');
SELECT is(
    (SELECT rows_processed FROM retention.action_log
      WHERE run_id = (SELECT run_id FROM m_runs WHERE n = 3) AND table_name = 'public.m_rows'),
    1::bigint,
    'late rows: the delete job counts one row');
SELECT results_eq(
    $$SELECT rows_deleted, values_anonymized FROM retention.run WHERE run_id = (SELECT run_id FROM m_runs WHERE n = 3)$$,
    $$VALUES (1::bigint, 20::bigint)$$,
    'late rows: run totals are one row deleted and the late rows'' 20 values (10 tagged non-NULL values each)');

SELECT * FROM finish();
ROLLBACK;
