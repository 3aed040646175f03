-- variant=: the due predicate selects by the widest band of the category's
-- rule and its variants (src/deparse.c, variant_band) and checks only rows
-- inside it with due_time().  Every variant's boundary, one second either
-- side, for a timestamptz and a date anchor; preview and enforcement must
-- agree with due_time() row by row.
BEGIN;
SELECT plan(10);

SET LOCAL client_min_messages = warning;
SET LOCAL TimeZone = 'UTC';

SELECT FROM retention.define_category('vb_year', '1 year');
SELECT FROM retention.define_category_variant('vb_year', 'S', '6 months');
SELECT FROM retention.define_category_variant('vb_year', 'L', '2 years');
SELECT FROM retention.define_category_variant('vb_year', 'M', '1 year', starts => 'end_of_month');
SELECT FROM retention.define_category_variant('vb_year', 'Z', '1 year', time_zone => 'Europe/Zagreb');

-- the rule of each variant (NULL: the category's), and one row either side
-- of each rule's boundary for each variant value
CREATE TEMP TABLE rules (variant text, period interval, starts text, zone text);
INSERT INTO rules VALUES (NULL, '1 year', 'exact', 'UTC'), ('S', '6 months', 'exact', 'UTC'),
    ('L', '2 years', 'exact', 'UTC'), ('M', '1 year', 'end_of_month', 'UTC'), ('Z', '1 year', 'exact', 'Europe/Zagreb');
CREATE TABLE vb_ts (id serial PRIMARY KEY, country text, a timestamptz);
INSERT INTO vb_ts (country, a)
SELECT v.country, now() - b.period + s.shift
  FROM (VALUES (NULL), ('S'), ('L'), ('M'), ('Z'), ('DE')) v(country),
       (SELECT DISTINCT period FROM rules) b,
       (VALUES (interval '-1 second'), (interval '1 second'), (interval '-40 days'), (interval '40 days')) s(shift);
-- end_of_month: due one second either side of now
INSERT INTO vb_ts (country, a)
SELECT 'M', date_trunc('month', now() - interval '1 year') - interval '1 microsecond' + s.shift
  FROM (VALUES (interval '-1 second'), (interval '1 second')) s(shift);
CREATE INDEX ON vb_ts (a);
SECURITY LABEL FOR retention ON TABLE vb_ts IS 'category=vb_year anchor=a variant=country';

CREATE TABLE vb_date (id int PRIMARY KEY, country text, d date);
INSERT INTO vb_date SELECT id, country, (a AT TIME ZONE 'UTC')::date FROM vb_ts;
SECURITY LABEL FOR retention ON TABLE vb_date IS 'category=vb_year anchor=d variant=country';

-- the reference: due_time() of each row under the rule of its variant
CREATE TEMP TABLE expected_ts AS
SELECT r.id FROM vb_ts r
  LEFT JOIN rules x ON x.variant = r.country
  CROSS JOIN (SELECT * FROM rules WHERE variant IS NULL) c
 WHERE retention.due_time(r.a, coalesce(x.period, c.period), coalesce(x.starts, c.starts), coalesce(x.zone, c.zone)) <= now();
CREATE TEMP TABLE expected_date AS
SELECT r.id FROM vb_date r
  LEFT JOIN rules x ON x.variant = r.country
  CROSS JOIN (SELECT * FROM rules WHERE variant IS NULL) c
 WHERE retention.due_time(r.d, coalesce(x.period, c.period), coalesce(x.starts, c.starts), coalesce(x.zone, c.zone)) <= now();

-- the rows the band must not get wrong
SELECT ok((SELECT id FROM vb_ts WHERE country = 'L' AND a = now() - interval '1 year 1 second') NOT IN (SELECT id FROM expected_ts),
          'an L row due under the category''s year is not due under L''s 2 years (a band cut at the shortest period would take it)');
SELECT ok((SELECT id FROM vb_ts WHERE country = 'S' AND a = now() - interval '6 months 1 second') IN (SELECT id FROM expected_ts),
          'an S row due after 6 months is due (a band cut at the longest period would miss it)');

SELECT is((SELECT rows_due FROM retention.preview() WHERE table_name = 'vb_ts'::regclass),
          (SELECT count(*) FROM expected_ts), 'preview: as many due rows as due_time() finds (timestamptz)');
SELECT is((SELECT rows_due FROM retention.preview() WHERE table_name = 'vb_date'::regclass),
          (SELECT count(*) FROM expected_date), 'preview: as many due rows as due_time() finds (date)');
SELECT is((SELECT rows_due FROM retention.preview(now() + interval '1 day') WHERE table_name = 'vb_ts'::regclass),
          (SELECT count(*) FROM vb_ts r LEFT JOIN rules x ON x.variant = r.country CROSS JOIN (SELECT * FROM rules WHERE variant IS NULL) c
            WHERE retention.due_time(r.a, coalesce(x.period, c.period), coalesce(x.starts, c.starts), coalesce(x.zone, c.zone)) <= now() + interval '1 day'),
          'preview a day ahead: as many due rows as due_time() finds');
SELECT ok((SELECT next_due FROM retention.status WHERE table_name = 'vb_ts'::regclass) BETWEEN now() AND now() + interval '2 seconds',
          'status: the next due time is a row due in a second');
SELECT is((SELECT oldest_overdue_for FROM retention.status WHERE table_name = 'vb_ts'::regclass),
          (SELECT max(now() - retention.due_time(r.a, coalesce(x.period, c.period), coalesce(x.starts, c.starts), coalesce(x.zone, c.zone)))
             FROM vb_ts r LEFT JOIN rules x ON x.variant = r.country CROSS JOIN (SELECT * FROM rules WHERE variant IS NULL) c
            WHERE r.id IN (SELECT id FROM expected_ts)),
          'status: overdue since the due time of the oldest due row');

CALL retention.enforce();

SELECT is(array(SELECT id FROM vb_ts ORDER BY id), array(SELECT id FROM vb_ts WHERE id NOT IN (SELECT id FROM expected_ts) ORDER BY id),
          'enforce deletes exactly the rows due_time() finds due (timestamptz)');
SELECT is(array(SELECT id FROM vb_date ORDER BY id), array(SELECT id FROM vb_date WHERE id NOT IN (SELECT id FROM expected_date) ORDER BY id),
          'enforce deletes exactly the rows due_time() finds due (date)');
SELECT is((SELECT count(*) FROM vb_ts WHERE id IN (SELECT id FROM expected_ts)), 0::bigint, 'no due row is left');

SELECT * FROM finish();
ROLLBACK;
