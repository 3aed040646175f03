-- Enforcement boundaries: when a row falls due.  For every boundary kind
-- (exact, end_of_day, end_of_month, end_of_year) and for timestamptz,
-- timestamp and date anchors, a row due one second before now() is
-- processed by CALL retention.enforce() and one due one second after now()
-- is not; month ends and leap days; daylight-saving changes in
-- Europe/Zagreb and America/New_York (checked with retention.preview(as_of)
-- at fixed instants, since enforce() always works as of now()); NULL and
-- infinite anchors; foreign-key anchors.
BEGIN;
SELECT plan(94);

SET LOCAL client_min_messages = warning;
SET LOCAL TimeZone = 'UTC';
-- No background worker runs here: test/run-pgtap starts the server with
-- retention.enabled = off.  (The run lock is not an advisory lock a session
-- can take any more, see doc/enforcement.md.)

-- Does row id of table tbl still exist?
CREATE FUNCTION pg_temp.row_exists(tbl text, row_id int) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE found boolean;
BEGIN
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE id = $1)', tbl) INTO found USING row_id;
    RETURN found;
END
$$;

-- rows_due of the tag on tbl (table tag) as of an instant
CREATE FUNCTION pg_temp.due_at(tbl regclass, as_of timestamptz) RETURNS bigint
LANGUAGE sql AS $$
    SELECT p.rows_due FROM retention.preview(as_of) p
     WHERE p.table_name = tbl AND p.column_name IS NULL
$$;

-- =====================================================================
-- 1. One second either side of now(), for every boundary kind and anchor
--    type.
--
-- Due times of end_of_* rules are quantized to the boundaries, so no one
-- rule puts two anchors one second before and one second after now().
-- Each case therefore gets two categories whose periods are computed from
-- now(): "past" makes the anchor due at now() - 1 s, "future" (2 s longer)
-- at now() + 1 s.  The boundary itself is computed here independently
-- (date_trunc on the local time), the period as the distance from it.
-- Anchors lie two units back so that every period is positive.  Zones
-- without daylight saving (UTC, Asia/Tokyo) keep the arithmetic exact.
-- =====================================================================
CREATE TEMP TABLE bnd_case AS
SELECT c.name, c.starts, c.unit, c.trunc_unit, c.zone, c.anchor_type,
       -- the anchor as local wall-clock time in the category's zone
       CASE c.anchor_type
            WHEN 'date' THEN ((now() AT TIME ZONE c.zone) - 2 * c.unit)::date::timestamp
            ELSE (now() AT TIME ZONE c.zone) - 2 * c.unit END AS local_anchor
  FROM (VALUES ('tz_exact', 'exact',        interval '1 day',   NULL,    'UTC',        'timestamptz'),
               ('tz_eod',   'end_of_day',   interval '1 day',   'day',   'UTC',        'timestamptz'),
               ('tz_eom',   'end_of_month', interval '1 month', 'month', 'UTC',        'timestamptz'),
               ('tz_eoy',   'end_of_year',  interval '1 year',  'year',  'UTC',        'timestamptz'),
               ('ts_exact', 'exact',        interval '1 day',   NULL,    'Asia/Tokyo', 'timestamp'),
               ('ts_eom',   'end_of_month', interval '1 month', 'month', 'Asia/Tokyo', 'timestamp'),
               ('dt_exact', 'exact',        interval '1 day',   NULL,    'Asia/Tokyo', 'date'),
               ('dt_eod',   'end_of_day',   interval '1 day',   'day',   'Asia/Tokyo', 'date'))
       AS c(name, starts, unit, trunc_unit, zone, anchor_type);

ALTER TABLE bnd_case ADD local_boundary timestamp, ADD period_past interval, ADD period_future interval,
                     ADD anchor_text text;
UPDATE bnd_case SET local_boundary = CASE WHEN trunc_unit IS NULL THEN local_anchor
                                          ELSE date_trunc(trunc_unit, local_anchor) + ('1 ' || trunc_unit)::interval END;
UPDATE bnd_case SET period_past = ((now() - interval '1 second') AT TIME ZONE zone) - local_boundary,
                    period_future = ((now() + interval '1 second') AT TIME ZONE zone) - local_boundary,
                    anchor_text = CASE anchor_type
                                       WHEN 'timestamptz' THEN (local_anchor AT TIME ZONE zone)::text
                                       WHEN 'timestamp' THEN local_anchor::text
                                       ELSE local_anchor::date::text END;

DO $$
DECLARE c record;
BEGIN
    FOR c IN SELECT * FROM bnd_case LOOP
        PERFORM retention.define_category('bnd_' || c.name || '_past', c.period_past, c.starts, time_zone => c.zone);
        PERFORM retention.define_category('bnd_' || c.name || '_future', c.period_future, c.starts, time_zone => c.zone);
        EXECUTE format('CREATE TABLE %I (id int PRIMARY KEY, at %s)', 'bnd_' || c.name || '_past', c.anchor_type);
        EXECUTE format('CREATE TABLE %I (id int PRIMARY KEY, at %s)', 'bnd_' || c.name || '_future', c.anchor_type);
        -- row 1: the anchor under test; row 2: a NULL anchor (never due)
        EXECUTE format('INSERT INTO %I VALUES (1, %L), (2, NULL)', 'bnd_' || c.name || '_past', c.anchor_text);
        EXECUTE format('INSERT INTO %I VALUES (1, %L), (2, NULL)', 'bnd_' || c.name || '_future', c.anchor_text);
        PERFORM retention.tag_table(('bnd_' || c.name || '_past')::regclass, 'bnd_' || c.name || '_past', 'at');
        PERFORM retention.tag_table(('bnd_' || c.name || '_future')::regclass, 'bnd_' || c.name || '_future', 'at');
    END LOOP;
END
$$;

-- retention.due_time agrees with the independently computed boundary
-- (period zero: due at the boundary itself) ...
SELECT is(
    CASE anchor_type
         WHEN 'timestamptz' THEN retention.due_time(anchor_text::timestamptz, '0', starts, zone)
         WHEN 'timestamp' THEN retention.due_time(anchor_text::timestamp, '0', starts, zone)
         ELSE retention.due_time(anchor_text::date, '0', starts, zone) END,
    local_boundary AT TIME ZONE zone,
    format('%s: with a zero period a %s anchor is due at its %s boundary in %s', name, anchor_type, starts, zone))
  FROM bnd_case ORDER BY name;

-- ... and the two periods put the anchor one second before / after now()
SELECT is(
    CASE anchor_type
         WHEN 'timestamptz' THEN retention.due_time(anchor_text::timestamptz, period_past, starts, zone)
         WHEN 'timestamp' THEN retention.due_time(anchor_text::timestamp, period_past, starts, zone)
         ELSE retention.due_time(anchor_text::date, period_past, starts, zone) END,
    now() - interval '1 second',
    format('%s: retention.due_time puts the anchor one second before now() under the "past" rule', name))
  FROM bnd_case ORDER BY name;

SELECT is(
    CASE anchor_type
         WHEN 'timestamptz' THEN retention.due_time(anchor_text::timestamptz, period_future, starts, zone)
         WHEN 'timestamp' THEN retention.due_time(anchor_text::timestamp, period_future, starts, zone)
         ELSE retention.due_time(anchor_text::date, period_future, starts, zone) END,
    now() + interval '1 second',
    format('%s: retention.due_time puts the anchor one second after now() under the "future" rule', name))
  FROM bnd_case ORDER BY name;

-- The exact rule of a fixed period needs no tuning: one table, both rows.
SELECT FROM retention.define_category('bnd_day', '1 day');
CREATE TABLE bnd_day (id int PRIMARY KEY, at timestamptz);
INSERT INTO bnd_day VALUES (1, now() - interval '1 day 1 second'),
                           (2, now() - interval '1 day' + interval '1 second'),
                           (3, now() - interval '1 day'),
                           (4, '-infinity'), (5, 'infinity'), (6, NULL);
SELECT FROM retention.tag_table('bnd_day', 'bnd_day', 'at');

SELECT results_eq(
    $$SELECT id, retention.due_time(at, '1 day', 'exact', 'UTC') - now() FROM bnd_day WHERE id <= 3 ORDER BY id$$,
    $$VALUES (1, interval '-1 second'), (2, interval '1 second'), (3, interval '0')$$,
    'exact 1 day: the three anchors fall due one second before, one second after and exactly at now()');

SELECT is(pg_temp.due_at('bnd_day', now()), 3::bigint,
          'preview(now()) counts the row due a second ago, the row due exactly now and the -infinity anchor');

CALL retention.enforce();

SELECT ok(NOT pg_temp.row_exists('bnd_' || name || '_past', 1),
          format('%s: the row due one second before now() was deleted', name))
  FROM bnd_case ORDER BY name;

SELECT ok(pg_temp.row_exists('bnd_' || name || '_future', 1),
          format('%s: the row due one second after now() is untouched', name))
  FROM bnd_case ORDER BY name;

SELECT is(
    (SELECT sum(rows_processed) FROM retention.action_log WHERE table_name LIKE 'public.bnd\_%\_past'),
    (SELECT count(*) FROM bnd_case)::numeric,
    'action_log: exactly one row deleted in each "past" table');

SELECT is(
    (SELECT coalesce(sum(rows_processed), 0) FROM retention.action_log WHERE table_name LIKE 'public.bnd\_%\_future'),
    0::numeric,
    'action_log: nothing deleted in any "future" table');

SELECT is(
    (SELECT sum(n) FROM (SELECT (SELECT count(*) FROM bnd_tz_exact_past WHERE id = 2) + (SELECT count(*) FROM bnd_tz_exact_future WHERE id = 2)
                       + (SELECT count(*) FROM bnd_tz_eod_past WHERE id = 2) + (SELECT count(*) FROM bnd_tz_eod_future WHERE id = 2)
                       + (SELECT count(*) FROM bnd_tz_eom_past WHERE id = 2) + (SELECT count(*) FROM bnd_tz_eom_future WHERE id = 2)
                       + (SELECT count(*) FROM bnd_tz_eoy_past WHERE id = 2) + (SELECT count(*) FROM bnd_tz_eoy_future WHERE id = 2)
                       + (SELECT count(*) FROM bnd_ts_exact_past WHERE id = 2) + (SELECT count(*) FROM bnd_ts_exact_future WHERE id = 2)
                       + (SELECT count(*) FROM bnd_ts_eom_past WHERE id = 2) + (SELECT count(*) FROM bnd_ts_eom_future WHERE id = 2)
                       + (SELECT count(*) FROM bnd_dt_exact_past WHERE id = 2) + (SELECT count(*) FROM bnd_dt_exact_future WHERE id = 2)
                       + (SELECT count(*) FROM bnd_dt_eod_past WHERE id = 2) + (SELECT count(*) FROM bnd_dt_eod_future WHERE id = 2)) AS s(n)),
    16::numeric,
    'NULL anchors are never due: the NULL-anchored row of every table is still there');

SELECT results_eq(
    'SELECT id FROM bnd_day ORDER BY id',
    'VALUES (2), (5), (6)',
    'exact 1 day: rows due a second ago, exactly now and at -infinity deleted; due in a second, infinity and NULL kept');

SELECT is(pg_temp.due_at('bnd_day', now() + interval '1000 years'), 1::bigint,
          'even a thousand years on, only the row due a second from now is due: infinity and NULL never are');

-- =====================================================================
-- 2. Month ends and leap days (fixed instants, UTC unless stated)
-- =====================================================================
SELECT is(retention.due_time('2023-01-31 12:00+00'::timestamptz, '1 month', 'exact', 'UTC'),
          '2023-02-28 12:00+00'::timestamptz,
          'Jan 31 + 1 month in a common year is Feb 28');
SELECT is(retention.due_time('2024-01-31 12:00+00'::timestamptz, '1 month', 'exact', 'UTC'),
          '2024-02-29 12:00+00'::timestamptz,
          'Jan 31 + 1 month in a leap year is Feb 29');
SELECT is(retention.due_time('2024-02-29 12:00+00'::timestamptz, '1 year', 'exact', 'UTC'),
          '2025-02-28 12:00+00'::timestamptz,
          'Feb 29 + 1 year is Feb 28 of the next year');
SELECT is(retention.due_time('2024-02-29 12:00+00'::timestamptz, '4 years', 'exact', 'UTC'),
          '2028-02-29 12:00+00'::timestamptz,
          'Feb 29 + 4 years is Feb 29 again');
SELECT is(retention.due_time('2024-03-31 12:00+00'::timestamptz, '1 month', 'exact', 'UTC'),
          '2024-04-30 12:00+00'::timestamptz,
          'Mar 31 + 1 month is Apr 30');
SELECT is(retention.due_time('2023-01-31'::date, '1 month', 'exact', 'UTC'),
          '2023-02-28 00:00+00'::timestamptz,
          'a date anchor Jan 31 + 1 month is local midnight of Feb 28');
SELECT is(retention.due_time('2024-01-31 23:59:59+00'::timestamptz, '1 month', 'end_of_month', 'UTC'),
          '2024-03-01 00:00+00'::timestamptz,
          'end_of_month: the last second of January counts from Feb 1, due Mar 1');
SELECT is(retention.due_time('2024-01-31 23:59:59+00'::timestamptz, '1 month', 'end_of_month', 'Europe/Zagreb'),
          '2024-03-31 22:00+00'::timestamptz,
          'end_of_month in Europe/Zagreb: 23:59:59 UTC on Jan 31 is already February there, so due Apr 1 local (CEST)');
SELECT is(retention.due_time('2024-12-31 23:30+00'::timestamptz, '1 year', 'end_of_year', 'Asia/Tokyo'),
          '2026-12-31 15:00+00'::timestamptz,
          'end_of_year in Asia/Tokyo: 23:30 UTC on Dec 31 is already the new year there');
SELECT is(retention.due_time('2024-12-31 23:30+00'::timestamptz, '1 year', 'end_of_year', 'UTC'),
          '2026-01-01 00:00+00'::timestamptz,
          'end_of_year in UTC: the same instant is still in the old year');
SELECT is(retention.due_time('2024-06-15 08:00+00'::timestamptz, '0', 'end_of_day', 'UTC'),
          '2024-06-16 00:00+00'::timestamptz,
          'end_of_day with a zero period: due at the next local midnight');
SELECT is(retention.due_time(NULL::timestamptz, '1 day', 'exact', 'UTC'), NULL::timestamptz,
          'a NULL anchor has no due time');

SELECT FROM retention.define_category('bnd_month', '1 month');
SELECT FROM retention.define_category('bnd_year', '1 year');
CREATE TABLE bnd_month (id int PRIMARY KEY, at timestamptz);
CREATE TABLE bnd_year (id int PRIMARY KEY, at timestamptz);
INSERT INTO bnd_month VALUES (1, '2023-01-28 12:00+00'), (2, '2023-01-31 12:00+00'), (3, '2023-02-28 12:00+00'),
                             (4, '2024-01-31 12:00+00'), (5, '2024-02-29 12:00+00'), (6, '2024-03-31 12:00+00');
INSERT INTO bnd_year VALUES (1, '2024-02-28 12:00+00'), (2, '2024-02-29 12:00+00'), (3, '2024-03-01 12:00+00');
SELECT FROM retention.tag_table('bnd_month', 'bnd_month', 'at');
SELECT FROM retention.tag_table('bnd_year', 'bnd_year', 'at');

SELECT results_eq(
    $$SELECT as_of, pg_temp.due_at('bnd_month', as_of)
        FROM unnest(ARRAY['2023-02-28 11:59:59+00', '2023-02-28 12:00:00+00', '2023-03-28 11:59:59+00',
                          '2023-03-28 12:00:00+00', '2024-02-29 11:59:59+00', '2024-02-29 12:00:00+00',
                          '2024-03-29 12:00:00+00', '2024-04-30 11:59:59+00', '2024-04-30 12:00:00+00']::timestamptz[]) AS as_of$$,
    $$VALUES ('2023-02-28 11:59:59+00'::timestamptz, 0::bigint), ('2023-02-28 12:00:00+00', 2),
             ('2023-03-28 11:59:59+00', 2), ('2023-03-28 12:00:00+00', 3),
             ('2024-02-29 11:59:59+00', 3), ('2024-02-29 12:00:00+00', 4),
             ('2024-03-29 12:00:00+00', 5), ('2024-04-30 11:59:59+00', 5), ('2024-04-30 12:00:00+00', 6)$$,
    'preview(as_of) of a 1-month rule: Jan 28 and Jan 31 fall due together on Feb 28, Jan 31 2024 on Feb 29, Mar 31 on Apr 30');

SELECT results_eq(
    $$SELECT as_of, pg_temp.due_at('bnd_year', as_of)
        FROM unnest(ARRAY['2025-02-28 11:59:59+00', '2025-02-28 12:00:00+00',
                          '2025-03-01 11:59:59+00', '2025-03-01 12:00:00+00']::timestamptz[]) AS as_of$$,
    $$VALUES ('2025-02-28 11:59:59+00'::timestamptz, 0::bigint), ('2025-02-28 12:00:00+00', 2),
             ('2025-03-01 11:59:59+00', 2), ('2025-03-01 12:00:00+00', 3)$$,
    'preview(as_of) of a 1-year rule: Feb 28 and Feb 29 2024 both fall due on Feb 28 2025');

-- every due instant, a second either side, and a daily grid: preview
-- agrees with a count by retention.due_time
SELECT is_empty(
    $$WITH a(as_of) AS (
          SELECT retention.due_time(at, '1 month', 'exact', 'UTC') + d
            FROM bnd_month, unnest(ARRAY[interval '-1 second', '0', '1 second']) d
          UNION
          SELECT generate_series('2023-01-25 00:00+00'::timestamptz, '2024-05-05 00:00+00', '1 day'))
      SELECT as_of FROM a
       WHERE pg_temp.due_at('bnd_month', as_of)
             <> (SELECT count(*) FROM bnd_month WHERE retention.due_time(at, '1 month', 'exact', 'UTC') <= as_of)$$,
    'month ends: at every due instant (and a second either side) and every midnight, preview counts what retention.due_time says is due');

-- The same with CALL retention.enforce(), which always works as of now():
-- a period of one month plus the distance from 2023-02-28 12:00 to one
-- second before now() makes Jan 28 12:00 and Jan 31 12:00 (2023) due one
-- second ago (both clamp to Feb 28 12:00), Jan 29 00:00 twelve hours ago,
-- and Jan 28 12:00:02 / Feb 1 00:00 due in the future.
SELECT FROM retention.define_category('bnd_clamp',
    interval '1 month' + ((now() - interval '1 second') - '2023-02-28 12:00+00'::timestamptz));
CREATE TABLE bnd_clamp (id int PRIMARY KEY, at timestamptz);
INSERT INTO bnd_clamp VALUES (1, '2023-01-28 12:00+00'), (2, '2023-01-28 12:00:02+00'), (3, '2023-01-29 00:00+00'),
                             (4, '2023-01-31 12:00+00'), (5, '2023-02-01 00:00+00');
SELECT FROM retention.tag_table('bnd_clamp', 'bnd_clamp', 'at');

SELECT results_eq(
    $$SELECT b.id, retention.due_time(b.at, c.period, 'exact', 'UTC') - now()
        FROM bnd_clamp b, retention.category c WHERE c.name = 'bnd_clamp' ORDER BY b.id$$,
    $$VALUES (1, interval '-1 second'), (2, interval '1 second'), (3, interval '-12:00:01'),
             (4, interval '-1 second'), (5, interval '11:59:59')$$,
    'month-end clamp relative to now(): retention.due_time makes rows 1, 3 and 4 due, rows 2 and 5 not');

CALL retention.enforce(table_name => 'bnd_clamp');

SELECT results_eq(
    'SELECT id FROM bnd_clamp ORDER BY id',
    'VALUES (2), (5)',
    'month-end clamp: enforce() deletes every row retention.due_time says is due (Jan 28, 29 and 31 alike), and only those');

-- =====================================================================
-- 3. Daylight saving: the period is added on the local calendar.
--    Europe/Zagreb: CET -> CEST 2024-03-31 01:00 UTC, back 2024-10-27
--    01:00 UTC.  America/New_York: EST -> EDT 2024-03-10 07:00 UTC, back
--    2024-11-03 06:00 UTC.
-- =====================================================================
SELECT FROM retention.define_category('dst_zg_eod', '1 day', 'end_of_day', time_zone => 'Europe/Zagreb');
SELECT FROM retention.define_category('dst_zg_exact', '1 day', 'exact', time_zone => 'Europe/Zagreb');
SELECT FROM retention.define_category('dst_ny_eod', '1 day', 'end_of_day', time_zone => 'America/New_York');
SELECT FROM retention.define_category('dst_ny_exact', '1 day', 'exact', time_zone => 'America/New_York');

CREATE TABLE dst_zg_eod (id int PRIMARY KEY, at timestamptz);
CREATE TABLE dst_zg_exact (id int PRIMARY KEY, at timestamptz);
CREATE TABLE dst_ny_eod (id int PRIMARY KEY, at timestamptz);
CREATE TABLE dst_ny_exact (id int PRIMARY KEY, at timestamptz);
CREATE TABLE dst_zg_ts (id int PRIMARY KEY, at timestamp);
CREATE TABLE dst_zg_date (id int PRIMARY KEY, at date);
CREATE TABLE dst_ny_ts (id int PRIMARY KEY, at timestamp);
SELECT FROM retention.tag_table('dst_zg_eod', 'dst_zg_eod', 'at');
SELECT FROM retention.tag_table('dst_zg_exact', 'dst_zg_exact', 'at');
SELECT FROM retention.tag_table('dst_ny_eod', 'dst_ny_eod', 'at');
SELECT FROM retention.tag_table('dst_ny_exact', 'dst_ny_exact', 'at');
SELECT FROM retention.tag_table('dst_zg_ts', 'dst_zg_exact', 'at');
SELECT FROM retention.tag_table('dst_zg_date', 'dst_zg_eod', 'at');
SELECT FROM retention.tag_table('dst_ny_ts', 'dst_ny_exact', 'at');

-- (table, category, anchor, hand-computed due instant); row 1 before the
-- spring change, row 2 before the autumn one
CREATE TEMP TABLE dst_case (tbl text, category text, id int, anchor text, due timestamptz, why text);
INSERT INTO dst_case VALUES
    ('dst_zg_eod', 'dst_zg_eod', 1, '2024-03-30 10:00+01', '2024-03-31 22:00+00',
     'end of Mar 30 is Mar 31 00:00 CET; one local day later is Apr 1 00:00 CEST: 23 hours'),
    ('dst_zg_eod', 'dst_zg_eod', 2, '2024-10-26 10:00+02', '2024-10-27 23:00+00',
     'end of Oct 26 is Oct 27 00:00 CEST; one local day later is Oct 28 00:00 CET: 25 hours'),
    ('dst_zg_exact', 'dst_zg_exact', 1, '2024-03-30 12:00+01', '2024-03-31 10:00+00',
     'Mar 30 12:00 CET + 1 day is Mar 31 12:00 CEST, 23 hours later'),
    ('dst_zg_exact', 'dst_zg_exact', 2, '2024-10-26 12:00+02', '2024-10-27 11:00+00',
     'Oct 26 12:00 CEST + 1 day is Oct 27 12:00 CET, 25 hours later'),
    ('dst_ny_eod', 'dst_ny_eod', 1, '2024-03-09 10:00-05', '2024-03-11 04:00+00',
     'end of Mar 9 is Mar 10 00:00 EST; one local day later is Mar 11 00:00 EDT'),
    ('dst_ny_eod', 'dst_ny_eod', 2, '2024-11-02 10:00-04', '2024-11-04 05:00+00',
     'end of Nov 2 is Nov 3 00:00 EDT; one local day later is Nov 4 00:00 EST'),
    ('dst_ny_exact', 'dst_ny_exact', 1, '2024-03-09 12:00-05', '2024-03-10 16:00+00',
     'Mar 9 12:00 EST + 1 day is Mar 10 12:00 EDT, 23 hours later'),
    ('dst_ny_exact', 'dst_ny_exact', 2, '2024-11-02 12:00-04', '2024-11-03 17:00+00',
     'Nov 2 12:00 EDT + 1 day is Nov 3 12:00 EST, 25 hours later'),
    ('dst_zg_ts', 'dst_zg_exact', 1, '2024-03-30 12:00', '2024-03-31 10:00+00',
     'timestamp anchor, local Zagreb time: Mar 30 12:00 + 1 day is Mar 31 12:00 CEST'),
    ('dst_zg_ts', 'dst_zg_exact', 2, '2024-10-26 12:00', '2024-10-27 11:00+00',
     'timestamp anchor, local Zagreb time: Oct 26 12:00 + 1 day is Oct 27 12:00 CET'),
    ('dst_zg_date', 'dst_zg_eod', 1, '2024-03-30', '2024-03-31 22:00+00',
     'date anchor Mar 30 (local midnight): end of day Mar 31 00:00, + 1 day Apr 1 00:00 CEST'),
    ('dst_zg_date', 'dst_zg_eod', 2, '2024-10-26', '2024-10-27 23:00+00',
     'date anchor Oct 26: end of day Oct 27 00:00, + 1 day Oct 28 00:00 CET'),
    ('dst_ny_ts', 'dst_ny_exact', 1, '2024-03-09 12:00', '2024-03-10 16:00+00',
     'timestamp anchor, local New York time: Mar 9 12:00 + 1 day is Mar 10 12:00 EDT'),
    ('dst_ny_ts', 'dst_ny_exact', 2, '2024-11-02 12:00', '2024-11-03 17:00+00',
     'timestamp anchor, local New York time: Nov 2 12:00 + 1 day is Nov 3 12:00 EST');

DO $$
DECLARE c record;
BEGIN
    FOR c IN SELECT * FROM dst_case LOOP
        EXECUTE format('INSERT INTO %I VALUES ($1, $2::text::%s)', c.tbl,
                       (SELECT format_type(atttypid, atttypmod) FROM pg_attribute
                         WHERE attrelid = c.tbl::regclass AND attname = 'at'))
            USING c.id, c.anchor;
    END LOOP;
END
$$;

SELECT is(
    CASE pg_typeof_at
         WHEN 'timestamp with time zone' THEN retention.due_time(anchor::timestamptz, cat.period, cat.starts, cat.time_zone)
         WHEN 'timestamp without time zone' THEN retention.due_time(anchor::timestamp, cat.period, cat.starts, cat.time_zone)
         ELSE retention.due_time(anchor::date, cat.period, cat.starts, cat.time_zone) END,
    d.due,
    format('%s row %s: %s', d.tbl, d.id, d.why))
  FROM dst_case d
  JOIN retention.category cat ON cat.name = d.category
 CROSS JOIN LATERAL (SELECT format_type(atttypid, NULL) AS pg_typeof_at FROM pg_attribute
                      WHERE attrelid = d.tbl::regclass AND attname = 'at') t
 ORDER BY d.tbl, d.id;

-- one second before each due instant the row is not yet counted, at it it is
SELECT results_eq(
    format($$SELECT pg_temp.due_at(%L, d.due + s.delta)
               FROM dst_case d CROSS JOIN unnest(ARRAY[interval '-1 second', '0']) WITH ORDINALITY s(delta, o)
              WHERE d.tbl = %L ORDER BY d.id, s.o$$, t.tbl, t.tbl),
    $$VALUES (0::bigint), (1::bigint), (1::bigint), (2::bigint)$$,
    format('%s: preview(as_of) counts 0 / 1 just before / at the spring due instant and 1 / 2 at the autumn one', t.tbl))
  FROM (SELECT DISTINCT tbl FROM dst_case) t ORDER BY t.tbl;

-- The autumn change repeats the local hour 02:00-03:00, the spring one
-- skips it: due() is not monotonic in the anchor there.  Anchors 10 min
-- apart across both changes, checked at as_of instants 10 min apart.
CREATE TABLE dst_grid_zg (id serial PRIMARY KEY, at timestamptz);
CREATE TABLE dst_grid_ny (id serial PRIMARY KEY, at timestamptz);
CREATE TABLE dst_grid_zg_ts (id serial PRIMARY KEY, at timestamp);
INSERT INTO dst_grid_zg (at)
SELECT generate_series('2024-03-29 20:00+00'::timestamptz, '2024-03-30 06:00+00', '10 min')
UNION ALL SELECT generate_series('2024-10-26 20:00+00'::timestamptz, '2024-10-27 06:00+00', '10 min');
INSERT INTO dst_grid_ny (at)
SELECT generate_series('2024-03-09 04:00+00'::timestamptz, '2024-03-09 12:00+00', '10 min')
UNION ALL SELECT generate_series('2024-11-02 02:00+00'::timestamptz, '2024-11-02 10:00+00', '10 min');
INSERT INTO dst_grid_zg_ts (at)
SELECT generate_series('2024-03-29 22:00'::timestamp, '2024-03-30 06:00', '10 min')
UNION ALL SELECT generate_series('2024-10-26 22:00'::timestamp, '2024-10-27 06:00', '10 min');
SELECT FROM retention.tag_table('dst_grid_zg', 'dst_zg_exact', 'at');
SELECT FROM retention.tag_table('dst_grid_ny', 'dst_ny_exact', 'at');
SELECT FROM retention.tag_table('dst_grid_zg_ts', 'dst_zg_exact', 'at');

SELECT is_empty(
    $$SELECT as_of FROM (SELECT generate_series('2024-03-30 19:55+00'::timestamptz, '2024-03-31 06:05+00', '10 min')
                         UNION ALL SELECT generate_series('2024-10-27 19:55+00'::timestamptz, '2024-10-28 06:05+00', '10 min')) a(as_of)
       WHERE pg_temp.due_at('dst_grid_zg', as_of)
             <> (SELECT count(*) FROM dst_grid_zg WHERE retention.due_time(at, '1 day', 'exact', 'Europe/Zagreb') <= as_of)$$,
    'Europe/Zagreb, exact, anchors across both changes: preview agrees with retention.due_time at every instant');

SELECT is_empty(
    $$SELECT as_of FROM (SELECT generate_series('2024-03-10 03:55+00'::timestamptz, '2024-03-10 13:05+00', '10 min')
                         UNION ALL SELECT generate_series('2024-11-03 01:55+00'::timestamptz, '2024-11-03 11:05+00', '10 min')) a(as_of)
       WHERE pg_temp.due_at('dst_grid_ny', as_of)
             <> (SELECT count(*) FROM dst_grid_ny WHERE retention.due_time(at, '1 day', 'exact', 'America/New_York') <= as_of)$$,
    'America/New_York, exact, anchors across both changes: preview agrees with retention.due_time at every instant');

SELECT is_empty(
    $$SELECT as_of FROM (SELECT generate_series('2024-03-30 19:55+00'::timestamptz, '2024-03-31 06:05+00', '10 min')
                         UNION ALL SELECT generate_series('2024-10-27 19:55+00'::timestamptz, '2024-10-28 06:05+00', '10 min')) a(as_of)
       WHERE pg_temp.due_at('dst_grid_zg_ts', as_of)
             <> (SELECT count(*) FROM dst_grid_zg_ts WHERE retention.due_time(at, '1 day', 'exact', 'Europe/Zagreb') <= as_of)$$,
    'Europe/Zagreb, exact, timestamp anchors across both changes: preview agrees with retention.due_time');

-- A hand-checked instant inside the repeated hour: as of 2024-10-28
-- 01:30 UTC (02:30 CET), anchors on Oct 27 at
--   23:45 UTC Oct 26 (01:45 CEST) -> due 00:45 UTC  due
--   00:00 UTC (02:00 CEST)        -> due 01:00 UTC  due
--   00:30 UTC (02:30 CEST)        -> due 01:30 UTC  due
--   00:59 UTC (02:59 CEST)        -> due 01:59 UTC  not due
--   01:00 UTC (02:00 CET)         -> due 01:00 UTC  due
--   01:29 UTC (02:29 CET)         -> due 01:29 UTC  due
--   01:31 UTC (02:31 CET)         -> due 01:31 UTC  not due
--   02:00 UTC (03:00 CET)         -> due 02:00 UTC  not due
CREATE TABLE dst_fallback (id int PRIMARY KEY, at timestamptz);
INSERT INTO dst_fallback VALUES (1, '2024-10-26 23:45+00'), (2, '2024-10-27 00:00+00'), (3, '2024-10-27 00:30+00'),
                                (4, '2024-10-27 00:59+00'), (5, '2024-10-27 01:00+00'), (6, '2024-10-27 01:29+00'),
                                (7, '2024-10-27 01:31+00'), (8, '2024-10-27 02:00+00');
SELECT FROM retention.tag_table('dst_fallback', 'dst_zg_exact', 'at');

SELECT results_eq(
    $$SELECT id FROM dst_fallback
       WHERE retention.due_time(at, '1 day', 'exact', 'Europe/Zagreb') <= '2024-10-28 01:30+00' ORDER BY id$$,
    $$VALUES (1), (2), (3), (5), (6)$$,
    'repeated hour: retention.due_time makes anchors 1, 2, 3, 5, 6 due as of 2024-10-28 01:30 UTC (4 is due later than 5)');

SELECT is(pg_temp.due_at('dst_fallback', '2024-10-28 01:30+00'), 5::bigint,
          'repeated hour: preview counts exactly those five, although the anchor order differs from the due order');

-- =====================================================================
-- 4. Foreign-key anchors: a child row falls due with its parent's anchor
-- =====================================================================
SELECT FROM retention.define_category('bnd_fk', '30 days');
SELECT FROM retention.define_category('bnd_fk_anon', '30 days', action => 'nullify');
CREATE TABLE bnd_parent (id int PRIMARY KEY, closed_at timestamptz);
CREATE TABLE bnd_child (id int PRIMARY KEY, parent_id int REFERENCES bnd_parent, note text);
CREATE SCHEMA bnd_s;
CREATE TABLE bnd_s.parent (id int PRIMARY KEY, closed_on date);
CREATE TABLE bnd_child2 (id int PRIMARY KEY, parent_id int REFERENCES bnd_s.parent, note text);
INSERT INTO bnd_parent VALUES (1, now() - interval '31 days'), (2, now() - interval '29 days'), (3, NULL);
INSERT INTO bnd_child VALUES (10, 1, 'a'), (11, 1, 'b'), (20, 2, 'c'), (30, 3, 'd'), (31, 3, 'e'), (40, NULL, 'f');
INSERT INTO bnd_s.parent VALUES (1, current_date - 31), (2, current_date - 29), (3, NULL);
INSERT INTO bnd_child2 VALUES (10, 1, 'a'), (20, 2, 'c'), (30, 3, 'd'), (40, NULL, 'f');
SELECT FROM retention.tag_table('bnd_child', 'bnd_fk', 'parent_id->bnd_parent.closed_at');
SELECT FROM retention.tag_column('bnd_child2', 'note', 'bnd_fk_anon', 'parent_id->bnd_s.parent.closed_on');

SELECT is(pg_temp.due_at('bnd_child', now()), 2::bigint,
          'FK anchor: preview counts the two children of the parent closed 31 days ago');

CALL retention.enforce();

SELECT results_eq(
    'SELECT id FROM bnd_child ORDER BY id',
    'VALUES (20), (30), (31), (40)',
    'FK anchor: children of the due parent deleted; children of a not-yet-due parent, of a parent with a NULL anchor, and without a parent kept');

SELECT is((SELECT count(*) FROM bnd_parent), 3::bigint,
          'FK anchor: the untagged parent table is not touched');

SELECT results_eq(
    'SELECT id, note FROM bnd_child2 ORDER BY id',
    $$VALUES (10, NULL::text), (20, 'c'), (30, 'd'), (40, 'f')$$,
    'FK anchor on a date column of a parent in another schema: only the due child''s value is nullified');

SELECT * FROM finish();
ROLLBACK;
