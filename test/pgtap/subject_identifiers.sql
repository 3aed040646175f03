-- Identifiers that name nobody, values that cannot match a column's type,
-- and holds on kinds no tag declares (issue 12, items 1, 3 and 6).
--  * A requested identifier that normalizes to nothing meaningful (empty,
--    a phone number without digits, an e-mail address without exactly one
--    "@" with text on both sides) is refused with 22023 by export, erasure
--    and place_hold, and the error never quotes the value; a request with
--    one such value among good ones is refused as a whole.
--  * Stored values that normalize to nothing never match anybody.
--  * A value that cannot be an integer of an integer subject column's type
--    (15 digits for integer, 20 for bigint, 'abc', 40000 for smallint)
--    matches nothing there, raises no error, and the request is logged.
--  * place_hold refuses subject kinds no tag declares, listing the declared
--    ones, as export and erasure do.
BEGIN;
SELECT plan(53);

SET LOCAL client_min_messages = warning;

-- SQLSTATE, message, detail and hint of a statement's error, or NULL.
CREATE FUNCTION pg_temp.error_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE s text; m text; d text; h text;
BEGIN
    EXECUTE q;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
    RETURN concat_ws(' | ', s, m, d, h);
END
$$;

CREATE SCHEMA dsi;
CREATE TABLE dsi.person (id int PRIMARY KEY, email text, phone text);
CREATE TABLE dsi.account (account_no bigint PRIMARY KEY, person_id int REFERENCES dsi.person, small smallint);
SELECT FROM retention.tag_column('dsi.person', 'email', subject => 'email');
SELECT FROM retention.tag_column('dsi.person', 'phone', subject => 'phone');
SELECT FROM retention.tag_column('dsi.person', 'id', subject => 'customer_id');
SELECT FROM retention.tag_column('dsi.account', 'account_no', subject => 'account_no');
SELECT FROM retention.tag_column('dsi.account', 'small', subject => 'customer_id');
-- person 1 is Ana; 2..7 hold identifiers that name nobody
INSERT INTO dsi.person VALUES (1, 'ana@example.com', '+385 91 123 4567'),
    (2, '', 'withheld'), (3, '   ', 'n/a'), (4, NULL, '+'), (5, '@', ''), (6, 'bob@', '00'),
    (7, '@example.com', ' ');
INSERT INTO dsi.account VALUES (10, 1, 1), (11, 2, 2);
CREATE TEMP TABLE i_before AS SELECT (SELECT count(*) FROM dsi.person) AS persons,
                                     (SELECT count(*) FROM retention.dsr_request) AS requests;

-- =====================================================================
-- 12.1: identifiers that name nobody are refused (22023), never quoted
-- =====================================================================
SELECT is(left(pg_temp.error_of(format('SELECT * FROM retention.%s(%L)', f, v)), 5), '22023',
          format('%s(%s): refused with 22023', f, v))
  FROM (VALUES ('export_subject_rows'), ('erase_subject')) fs(f),
       (VALUES ('{"phone": "withheld"}'), ('{"phone": "+"}'), ('{"phone": " - "}'), ('{"email": "  "}'),
               ('{"email": ""}'), ('{"email": "ana"}'), ('{"email": "@example.com"}'), ('{"email": "ana@"}'),
               ('{"email": "a@b@example.com"}'), ('{"customer_id": " "}')) vs(v);
SELECT is(left(pg_temp.error_of($$SELECT retention.export_subject('{"phone": "n/a"}')$$), 5), '22023',
          'export_subject: refused with 22023');
SELECT is(pg_temp.error_of($$SELECT * FROM retention.erase_subject('{"phone": "withheld-by-request"}')$$),
          '22023 | identifier of kind "phone" names nobody | A phone number needs at least one digit. | '
          'Pass the identifier as the person gave it, e.g. ''{"email": "ana@example.com"}'' or ''{"phone": "+385 91 123 4567"}''.',
          'the refusal says why, and never quotes the value');
SELECT unalike(pg_temp.error_of($$SELECT * FROM retention.export_subject_rows('{"email": "secret-local-part"}')$$),
              '%secret-local-part%', 'an e-mail address without "@": not in the error');
SELECT is(left(pg_temp.error_of($$SELECT * FROM retention.erase_subject('{"email": ["ana@example.com", " "]}')$$), 5),
          '22023', 'one meaningless value among good ones: the whole request is refused');
SELECT is((SELECT count(*) FROM dsi.person), (SELECT persons FROM i_before), 'refused erasures deleted nothing');

-- stored values that name nobody never match
SELECT is((SELECT array_agg(row_key::text ORDER BY row_key::text) FROM retention.export_subject_rows('{"email": "ANA@example.com"}')
            WHERE table_name = 'dsi.person'::regclass),
          ARRAY['{"id": 1}'], 'e-mail: Ana only, no stored empty or "@"-less address');
SELECT is((SELECT array_agg(row_key::text ORDER BY row_key::text) FROM retention.export_subject_rows('{"phone": "00385 91 123 4567"}')
            WHERE table_name = 'dsi.person'::regclass),
          ARRAY['{"id": 1}'], 'phone: Ana only, no stored digit-less number');
SELECT is((SELECT sum(rows_found) FROM retention.erase_subject('{"email": "ana@example.com", "phone": "+385911234567"}', dry_run => true)),
          2::numeric, 'erasure (dry run): Ana''s person row and her account, nobody else');

-- =====================================================================
-- 12.3: a value that cannot match a column's type matches nothing there
-- =====================================================================
SELECT is(pg_temp.error_of(format('SELECT * FROM retention.%s(%L)', f, v)), NULL,
          format('%s(%s): no error', f, v))
  FROM (VALUES ('export_subject_rows'), ('erase_subject')) fs(f),
       (VALUES ('{"customer_id": "123456789012345"}'), ('{"customer_id": 123456789012345}'),
               ('{"customer_id": "abc"}'), ('{"account_no": "99999999999999999999"}'),
               ('{"customer_id": "-9223372036854775809"}')) vs(v);
SELECT is((SELECT count(*) FROM retention.dsr_request), (SELECT requests FROM i_before) + 10 + 3,
          'every request that was not refused is logged (10 here, 3 exports and a dry run above)');
SELECT is((SELECT array_agg(outcome ORDER BY request_id) FROM (SELECT * FROM retention.dsr_request ORDER BY request_id DESC LIMIT 10) r
            WHERE kind = 'erase'), ARRAY['nothing found', 'nothing found', 'nothing found', 'nothing found', 'nothing found'],
          'the erasures are logged as having found nothing');
SELECT is((SELECT count(*) FROM dsi.person), (SELECT persons FROM i_before), 'nothing was erased');
-- 40000 fits integer, not smallint: person 40000 (none) is searched, the
-- smallint column is skipped
SELECT is(pg_temp.error_of($$SELECT * FROM retention.export_subject_rows('{"customer_id": 40000}')$$), NULL,
          'smallint column and 40000: no error');
SELECT is((SELECT array_agg(relation_name::text || ' ' || row_key::text ORDER BY relation_name::text) FROM retention.export_subject_rows('{"customer_id": 2}')),
          ARRAY['dsi.account {"account_no": 11}', 'dsi.person {"id": 2}'],
          'a number that fits: found in the integer and the smallint column');
SELECT is((SELECT count(*)::int FROM retention.export_subject_rows('{"customer_id": "02"}')), 0,
          'an integer not written canonically matches nothing');

-- =====================================================================
-- 12.6: place_hold refuses kinds no tag declares, and values that name nobody
-- =====================================================================
SELECT is(pg_temp.error_of(format('SELECT retention.place_hold(%L, subject_kind => %L, subject_value => %L)', 'case 1', k, 'ana@example.com')),
          format('22023 | no tag declares subject kind "%s" | Known subject kinds: account_no, customer_id, email, phone. | '
                 'Tag identifier columns with subject=kind, e.g. SECURITY LABEL FOR retention ON COLUMN t.email IS ''subject=email''.', k),
          format('place_hold(subject_kind => %s): refused, the declared kinds listed', k))
  FROM (VALUES ('mail'), ('customer')) ks(k);
SELECT is(left(pg_temp.error_of(format('SELECT retention.place_hold(%L, subject_kind => %L, subject_value => %L)', 'case 2', k, v)), 5),
          '22023', format('place_hold(%s, %s): refused', k, v))
  FROM (VALUES ('phone', 'withheld'), ('email', '  '), ('email', 'ana')) kv(k, v);
SELECT is((SELECT count(*)::int FROM retention.legal_hold), 0, 'no hold was placed');
-- a hold that 0.1.0 stored on a value that names nobody ("withheld": "+")
-- protects nobody: not person 2, whose stored phone has no digits either
INSERT INTO retention.legal_hold (scope, subject_kind, subject_hash, reason, hashed_with)
VALUES ('subject', 'phone', retention._identifier_hash('phone', 'withheld'), 'stored by 0.1.0', '0.2.0');
SELECT is((SELECT sum(rows_held) FROM retention.erase_subject('{"customer_id": 2}', dry_run => true))::int, 0,
          'a stored digit-less phone matches no hold');
DELETE FROM retention.legal_hold;
SELECT lives_ok($$SELECT retention.place_hold('case 3', subject_kind => 'email', subject_value => ' Ana@Example.com ')$$,
                'place_hold: a declared kind and a value that names somebody');
SELECT is((SELECT sum(rows_held) FROM retention.erase_subject('{"email": "ana@example.com"}')), 2::numeric,
          'the hold protects Ana''s rows');

SELECT * FROM finish();
ROLLBACK;
