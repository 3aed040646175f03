-- The 0.2.0 keys written by a table owner who is not retention_admin, at
-- run time: a when= condition that errors for some rows (division by zero,
-- a cast that fails) and a variant= read through a foreign key into
-- another owner's table with row security each cost that table's job only,
-- recorded with their SQLSTATE; the other tables of the run are enforced;
-- a subject's export has every table, the failing one without due dates.
-- A negative period= counts as zero, a huge one as never due.  (Errors at
-- label-set time are in sql/36_when_attacks.sql; concurrent changes in
-- test/isolation/specs/when_locked.spec, enforce_category_changed.spec and
-- enforce_hold_placed.spec.)
BEGIN;
SELECT plan(16);

SET LOCAL client_min_messages = warning;

CREATE ROLE regress_pma_owner NOLOGIN;
CREATE ROLE regress_pma_other NOLOGIN;
CREATE SCHEMA regress_pma;
GRANT USAGE, CREATE ON SCHEMA regress_pma TO regress_pma_owner, regress_pma_other;
SELECT FROM retention.define_category('regress_pma', '1 day');
-- a variant: the variant column is read (without one, the category's rule applies to every row)
SELECT FROM retention.define_category_variant('regress_pma', 'fr', '1 year');

SET LOCAL ROLE regress_pma_other;
CREATE TABLE regress_pma.country (id int PRIMARY KEY, code text);
INSERT INTO regress_pma.country VALUES (1, 'de');
ALTER TABLE regress_pma.country ENABLE ROW LEVEL SECURITY;
CREATE POLICY everyone ON regress_pma.country USING (true);
GRANT SELECT, REFERENCES ON regress_pma.country TO regress_pma_owner;
RESET ROLE;

SET LOCAL ROLE regress_pma_owner;
CREATE TABLE regress_pma.divides (id int PRIMARY KEY, d date, x int, email text);
INSERT INTO regress_pma.divides VALUES (1, '2000-01-01', 1, 'ana@example.com');
SECURITY LABEL FOR retention ON TABLE regress_pma.divides IS 'category=regress_pma anchor=d when=''1/(x-x) = 1''';
SECURITY LABEL FOR retention ON COLUMN regress_pma.divides.email IS 'subject=email';
CREATE TABLE regress_pma.casts (id int PRIMARY KEY, d date, s text);
INSERT INTO regress_pma.casts VALUES (1, '2000-01-01', '12'), (2, '2000-01-01', 'twelve');
SECURITY LABEL FOR retention ON TABLE regress_pma.casts IS 'category=regress_pma anchor=d when=''s::integer > 0''';
CREATE TABLE regress_pma.customer (id int PRIMARY KEY, d date, country_id int REFERENCES regress_pma.country);
INSERT INTO regress_pma.customer VALUES (1, '2000-01-01', 1);
SECURITY LABEL FOR retention ON TABLE regress_pma.customer IS 'category=regress_pma anchor=d variant=country_id->regress_pma.country.code';
CREATE TABLE regress_pma.keeps (id int PRIMARY KEY, d date, keep_for interval);
INSERT INTO regress_pma.keeps VALUES (1, now()::date, '-5 years'), (2, '2000-01-01', '177999999 years');
SECURITY LABEL FOR retention ON TABLE regress_pma.keeps IS 'category=regress_pma anchor=d period=keep_for';
CREATE TABLE regress_pma.plain (id int PRIMARY KEY, d date, email text);
INSERT INTO regress_pma.plain VALUES (1, '2000-01-01', 'ana@example.com');
SECURITY LABEL FOR retention ON TABLE regress_pma.plain IS 'category=regress_pma anchor=d';
SECURITY LABEL FOR retention ON COLUMN regress_pma.plain.email IS 'subject=email';
RESET ROLE;

CREATE TEMP VIEW job AS
SELECT pg_catalog.split_part(a.relation_name, '.', 2) AS rel, a.*
  FROM retention.action_log a
 WHERE a.run_id = (SELECT pg_catalog.max(run_id) FROM retention.run);

-- the export of a person with rows in a table whose condition fails: the
-- rest of the export is complete, that table's rows without due dates
CREATE TEMP TABLE ana AS SELECT retention.export_subject('{"email": "ana@example.com"}') AS doc;
CREATE TEMP VIEW ana_rows AS
SELECT t ->> 'table' AS tab, r FROM ana, jsonb_array_elements(doc -> 'tables') t, jsonb_array_elements(t -> 'rows') r;
SELECT is((SELECT array_agg(tab ORDER BY tab) FROM ana_rows), '{regress_pma.divides,regress_pma.plain}'::text[],
          'export: a condition that fails costs no table of the export');
SELECT is((SELECT row(r ->> 'due_at', r ->> 'note')::text FROM ana_rows WHERE tab = 'regress_pma.divides'),
          row(NULL::text, 'due dates not computed: the when= condition of this table''s tag fails (SQLSTATE 22012)')::text,
          'export: that table''s rows say their due date could not be computed, and why');
SELECT is((SELECT (r ->> 'due_at')::timestamptz FROM ana_rows WHERE tab = 'regress_pma.plain'),
          '2000-01-02 00:00:00+00'::timestamptz, 'export: the other tables'' rows keep their due dates');
SELECT is((SELECT count(*) FROM retention.export_subject_rows('{"email": "ana@example.com"}')), 2::bigint,
          'export_subject_rows: every row, once');
SELECT is((SELECT count(*) FROM retention.export_subject_csv('{"email": "ana@example.com"}') WHERE table_name = 'regress_pma.divides'),
          4::bigint, 'export_subject_csv: that table''s values are there');
SELECT throws_ok($$SELECT retention.erase_subject('{"email": "ana@example.com"}')$$, '22012', NULL,
                 'erasure: refused as a whole (whether the rows are inside the tag decides what erasure does to them)');
SELECT throws_ok($$SELECT retention.erase_subject('{"email": "ana@example.com"}')$$, '22012',
                 'erasure failed: the when= condition of the tag of regress_pma.divides fails for the person''s rows',
               'erasure: the error names the table whose condition fails');

SELECT lives_ok($$ CALL retention.enforce() $$, 'the run completes');
SELECT is((SELECT outcome || ' ' || error_sqlstate FROM job WHERE rel = 'divides'), 'error 22012',
          'a condition that divides by zero: that job fails, with its SQLSTATE');
SELECT is((SELECT outcome || ' ' || error_sqlstate FROM job WHERE rel = 'casts'), 'error 22P02',
          'a condition whose cast fails for one row: that job fails, with its SQLSTATE');
SELECT is((SELECT outcome || ' ' || error_sqlstate FROM job WHERE rel = 'customer'), 'error 42501',
          'variant= through a foreign key into another owner''s table with row security: refused, that job only');
SELECT is((SELECT count(*) FROM regress_pma.customer), 1::bigint, 'nothing of that table was deleted');
SELECT is((SELECT outcome FROM job WHERE rel = 'plain'), 'done', 'the other tables are enforced');
SELECT is((SELECT count(*) FROM regress_pma.plain), 0::bigint, 'their due rows are gone');
SELECT is((SELECT array_agg(id ORDER BY id) FROM regress_pma.keeps), ARRAY[2],
          'period=: a negative period counts as zero (row 1 due today), a huge one as never due (row 2)');
SELECT is((SELECT count(*) FROM regress_pma.divides) + (SELECT count(*) FROM regress_pma.casts), 3::bigint,
          'the failing jobs changed nothing');

SELECT * FROM finish();
ROLLBACK;
