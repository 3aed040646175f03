-- The backend's cache of resolved tags (src/tag_cache.c) follows every
-- change in the same session: a column type, rename or drop behind a when=
-- condition, a new label, a category's action, a variant's period, and a
-- table renamed into the name a latest() anchor reads.  Each change comes
-- after a read that filled the cache.
BEGIN;
SELECT plan(18);

SET LOCAL client_min_messages = warning;
SET LOCAL TimeZone = 'UTC';

SELECT FROM retention.define_category('tc_year', '1 year');
SELECT FROM retention.define_category('tc_anon', '1 year', action => 'nullify');
CREATE TEMP TABLE t AS SELECT now() - interval '1 year 1 second' AS due;

CREATE TABLE tc_when (id int PRIMARY KEY, kind text, code int, a timestamptz);
INSERT INTO tc_when SELECT 1, 'person', 1, due FROM t UNION ALL SELECT 2, 'company', 2, due FROM t;
SECURITY LABEL FOR retention ON TABLE tc_when IS 'category=tc_year anchor=a when=''kind = ''''person''''''';

-- the column type behind the condition changes: the label does not
SELECT is((SELECT condition FROM retention.tags WHERE object = 'tc_when'), '(kind = ''person''::text)',
          'the condition as first read');
ALTER TABLE tc_when ALTER COLUMN kind TYPE varchar(20);
SELECT is((SELECT condition FROM retention.tags WHERE object = 'tc_when'), '((kind)::text = ''person''::text)',
          'after ALTER COLUMN TYPE the condition is resolved again against the new type');

-- the column is renamed (the DDL guard rewrites the label)
ALTER TABLE tc_when RENAME COLUMN kind TO party;
SELECT is((SELECT condition FROM retention.tags WHERE object = 'tc_when'), '((party)::text = ''person''::text)',
          'after RENAME COLUMN the condition names the new column');

-- the label changes
SECURITY LABEL FOR retention ON TABLE tc_when IS 'category=tc_year anchor=a when=''code = 2''';
SELECT is((SELECT condition FROM retention.tags WHERE object = 'tc_when'), '(code = 2)',
          'a new label is read at once');
SELECT is((SELECT rows_due FROM retention.preview() WHERE table_name = 'tc_when'::regclass), 1::bigint,
          'preview counts the rows of the new condition');

-- the column is dropped behind the guard's back (restore mode)
SET LOCAL check_function_bodies = off;
ALTER TABLE tc_when DROP COLUMN code;
RESET check_function_bodies;
SELECT is((SELECT (valid, problem_sqlstate) FROM retention.tags WHERE object = 'tc_when'), (false, '42703'::text),
          'after DROP COLUMN the tag shows invalid');
SELECT is((SELECT count(*) FROM retention.preview() WHERE table_name = 'tc_when'::regclass), 0::bigint,
          'preview leaves the invalid tag out');

-- the table is dropped (restore mode again: the guard stands aside)
CREATE TABLE tc_gone (id int, a timestamptz);
SECURITY LABEL FOR retention ON TABLE tc_gone IS 'category=tc_year anchor=a';
SELECT is((SELECT count(*) FROM retention.tags WHERE object = 'tc_gone'), 1::bigint, 'the tag of a table');
DROP TABLE tc_gone;
SELECT is((SELECT count(*) FROM retention.tags WHERE object = 'tc_gone'), 0::bigint, 'gone with DROP TABLE');

-- the category's action: a change that would break a tag is refused
CREATE TABLE tc_col (id int PRIMARY KEY, n int, a timestamptz);
SECURITY LABEL FOR retention ON COLUMN tc_col.n IS 'category=tc_anon anchor=a';
SELECT is((SELECT action FROM retention.tags WHERE object = 'tc_col.n'), 'nullify', 'the action from the category');
SELECT throws_ok($$SELECT retention.alter_category('tc_anon', action => 'hash')$$, '42804', NULL,
                 'a category action the tagged column cannot take is refused though the tag was read before');
SELECT FROM retention.alter_category('tc_anon', action => 'default');
SELECT is((SELECT action FROM retention.tags WHERE object = 'tc_col.n'), 'default', 'the new action of the category');

-- a variant's period changes
SELECT FROM retention.define_category_variant('tc_year', 'BR', '2 years');
CREATE TABLE tc_variant (id int PRIMARY KEY, country text, a timestamptz);
INSERT INTO tc_variant SELECT 1, 'BR', due FROM t UNION ALL SELECT 2, 'DE', due FROM t;
SECURITY LABEL FOR retention ON TABLE tc_variant IS 'category=tc_year anchor=a variant=country';
SELECT is((SELECT rows_due FROM retention.preview() WHERE table_name = 'tc_variant'::regclass), 1::bigint,
          'the BR row keeps 2 years');
SELECT FROM retention.define_category_variant('tc_year', 'BR', '6 months');
SELECT is((SELECT rows_due FROM retention.preview() WHERE table_name = 'tc_variant'::regclass), 2::bigint,
          'with BR at 6 months both rows are due');

-- latest(): the child's column is dropped (restore mode); only the child's
-- relcache entry is invalidated
CREATE TABLE tc_order (id int PRIMARY KEY, created timestamptz);
CREATE TABLE tc_line (id int PRIMARY KEY, order_id int REFERENCES tc_order, at timestamptz);
SECURITY LABEL FOR retention ON TABLE tc_order IS 'category=tc_year anchor=created,latest(tc_line.at)';
SELECT is((SELECT valid FROM retention.tags WHERE object = 'tc_order'), true, 'latest() resolves to tc_line.at');
SET LOCAL check_function_bodies = off;
ALTER TABLE tc_line DROP COLUMN at;
RESET check_function_bodies;
SELECT is((SELECT (valid, problem_sqlstate) FROM retention.tags WHERE object = 'tc_order'), (false, '42703'::text),
          'after the child''s column is dropped the tag shows invalid');

-- latest(): another table with a key to the parent is renamed into the
-- child's name (in another schema): the anchor is no longer unambiguous
CREATE TABLE tc_parent (id int PRIMARY KEY, created timestamptz);
CREATE TABLE tc_child (id int PRIMARY KEY, parent_id int REFERENCES tc_parent, at timestamptz);
CREATE SCHEMA tc_other;
CREATE TABLE tc_other.tc_elsewhere (id int PRIMARY KEY, parent_id int REFERENCES tc_parent, at timestamptz);
SECURITY LABEL FOR retention ON TABLE tc_parent IS 'category=tc_year anchor=created,latest(tc_child.at)';
SELECT is((SELECT valid FROM retention.tags WHERE object = 'tc_parent'), true, 'latest() resolves to tc_child');
SET LOCAL check_function_bodies = off;
ALTER TABLE tc_other.tc_elsewhere RENAME TO tc_child;
RESET check_function_bodies;
SELECT is((SELECT (valid, problem_sqlstate) FROM retention.tags WHERE object = 'tc_parent'), (false, '42830'::text),
          'after the rename two tables of that name reference the parent: the tag shows invalid');

SELECT * FROM finish();
ROLLBACK;
