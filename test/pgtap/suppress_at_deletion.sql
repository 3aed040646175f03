-- suppress=true on a table tag (issue 14 item 7): rows deleted by
-- enforcement leave their subject identifiers (the table's subject=
-- columns) on the suppression list as keyed hashes with reason
-- "retention", in the batch's transaction.  Rows not due, held rows and
-- rows of a table without the key leave nothing; NULL identifiers are
-- skipped; nothing in clear reaches the list.
BEGIN;
SELECT plan(10);
SET LOCAL client_min_messages = warning;
SET LOCAL TimeZone = 'UTC';

SELECT FROM retention.define_category('sup_mkt', '0', description => 'marketing consent');
CREATE TABLE sup_consent (id int PRIMARY KEY, email text, phone text, withdrawn_at timestamptz);
SECURITY LABEL FOR retention ON TABLE sup_consent IS 'category=sup_mkt anchor=withdrawn_at suppress=true';
SELECT FROM retention.tag_column('sup_consent', 'email', subject => 'email');
SELECT FROM retention.tag_column('sup_consent', 'phone', subject => 'phone');
CREATE TABLE sup_plain (id int PRIMARY KEY, email text, withdrawn_at timestamptz);
SELECT FROM retention.tag_table('sup_plain', 'sup_mkt', 'withdrawn_at');
SELECT FROM retention.tag_column('sup_plain', 'email', subject => 'email');

INSERT INTO sup_consent VALUES
  (1, 'Ana@Example.com', '+385 91 111 1111', now() - interval '1 second'),   -- due
  (2, 'ivo@example.com', NULL, now() - interval '1 day'),                     -- due, no phone
  (3, 'eva@example.com', '+385 91 333 3333', now() + interval '1 second'),   -- not due
  (4, 'ema@example.com', '+385 91 444 4444', NULL),                           -- never due
  (5, 'ida@example.com', '+385 91 555 5555', now() - interval '1 day');      -- held
INSERT INTO sup_plain VALUES (1, 'plain@example.com', now() - interval '1 day');
SELECT FROM retention.place_hold('case 9', subject_kind => 'email', subject_value => 'ida@example.com');

SELECT is(retention.is_suppressed('email', 'ana@example.com'), false, 'before enforcement: not suppressed');

CALL retention.enforce();

SELECT is((SELECT array_agg(id ORDER BY id) FROM sup_consent), '{3,4,5}'::int[], 'due unheld rows deleted');
SELECT ok(retention.is_suppressed('email', 'ana@example.com') AND retention.is_suppressed('phone', '+385911111111'),
          'deleted row: both identifiers suppressed (compared normalized)');
SELECT ok(retention.is_suppressed('email', 'IVO@example.com'), 'second deleted row suppressed');
SELECT is((SELECT count(*) FROM retention.suppression WHERE reason = 'retention'), 3::bigint,
          'three identifiers, reason retention (a NULL phone is skipped)');
SELECT ok(NOT retention.is_suppressed('email', 'eva@example.com') AND NOT retention.is_suppressed('email', 'ema@example.com'),
          'rows not due leave nothing');
SELECT ok(NOT retention.is_suppressed('email', 'ida@example.com'), 'a held row is neither deleted nor suppressed');
SELECT ok(NOT retention.is_suppressed('email', 'plain@example.com')
          AND NOT EXISTS (SELECT FROM sup_plain), 'a table without suppress=true: deleted, not suppressed');
SELECT is((SELECT count(*) FROM retention.suppression s
            WHERE s.identifier_hash::text ~* 'example' OR s.kind NOT IN ('email', 'phone')), 0::bigint,
          'the list holds hashes, never identifiers in clear');

-- in the batch's transaction: a delete that fails leaves nothing on the list
CREATE TABLE sup_fail (id int PRIMARY KEY, email text, withdrawn_at timestamptz);
SECURITY LABEL FOR retention ON TABLE sup_fail IS 'category=sup_mkt anchor=withdrawn_at suppress=true';
SELECT FROM retention.tag_column('sup_fail', 'email', subject => 'email');
CREATE FUNCTION sup_refuse() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION 'kept'; END$$;
CREATE TRIGGER sup_refuse BEFORE DELETE ON sup_fail FOR EACH ROW EXECUTE FUNCTION sup_refuse();
INSERT INTO sup_fail VALUES (1, 'rolled@example.com', now() - interval '1 day');
CALL retention.enforce(table_name => 'sup_fail');
SELECT ok(NOT retention.is_suppressed('email', 'rolled@example.com') AND EXISTS (SELECT FROM sup_fail),
          'a batch that fails: the row stays and its identifier is not suppressed (same transaction)');

SELECT * FROM finish();
ROLLBACK;
