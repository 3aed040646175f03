-- Erasure and per-row conditions (issue 14 items 3 and 8): a row outside
-- its table tag's condition (when=; a NULL result counts as outside) is a
-- row of a table without a table tag, whatever the tag's category says on
-- erasure (keep, anonymize) and whatever category holds there are; a value
-- outside its column tag's condition is an untagged value (it stays, an
-- identifier is removed).  The report counts rows kept for a legal
-- obligation in rows_kept, rows under a legal hold in rows_held; a dry run
-- reports the same split.
BEGIN;
SELECT plan(17);
SET LOCAL client_min_messages = warning;
SET LOCAL TimeZone = 'UTC';

SELECT FROM retention.define_category('ec_cust', '2 years');
SELECT FROM retention.define_category('ec_keep', '10 years', on_erasure => 'keep',
                                      legal_basis => 'legal obligation: tax law');
SELECT FROM retention.define_category('ec_anon', '10 years', on_erasure => 'anonymize',
                                      legal_basis => 'legal obligation: accounting law');
SELECT FROM retention.define_category('ec_note', '2 years', action => 'nullify');
SELECT FROM retention.define_category('ec_ticket', '2 years');

-- keep + when=: receipts of individuals are kept, a company's are not
CREATE TABLE ec_customer (id int PRIMARY KEY, email text, created_at timestamptz NOT NULL);
CREATE TABLE ec_receipt (id int PRIMARY KEY, customer_id int REFERENCES ec_customer ON DELETE CASCADE,
                         kind text, amount numeric, issued_at timestamptz NOT NULL);
SELECT FROM retention.tag_table('ec_customer', 'ec_cust', 'created_at');
SELECT FROM retention.tag_column('ec_customer', 'email', subject => 'email');
SELECT FROM retention.tag_table('ec_receipt', 'ec_keep', 'issued_at', condition => 'kind = ''person''');

-- anonymize + when=: no column tags, so rows outside are deleted
CREATE TABLE ec_invoice (id int PRIMARY KEY, email text, kind text, amount numeric, issued_at timestamptz NOT NULL);
SELECT FROM retention.tag_table('ec_invoice', 'ec_anon', 'issued_at', condition => 'kind = ''person''');
SELECT FROM retention.tag_column('ec_invoice', 'email', subject => 'email');

-- column tags with when= on kept rows (an anonymize category keeps them)
CREATE TABLE ec_order (id int PRIMARY KEY, email text, phone text, kind text, remark text,
                       at timestamptz NOT NULL);
SELECT FROM retention.tag_table('ec_order', 'ec_anon', 'at');
SELECT FROM retention.tag_column('ec_order', 'email', subject => 'email');
SELECT FROM retention.tag_column('ec_order', 'phone', 'ec_note', 'at', action => 'hash', subject => 'phone',
                                 condition => 'kind = ''person''');
SELECT FROM retention.tag_column('ec_order', 'remark', 'ec_note', 'at', condition => 'kind = ''person''');

-- a category hold + when=: it covers the rows inside the condition only
CREATE TABLE ec_ticket (id int PRIMARY KEY, email text, kind text, at timestamptz NOT NULL);
SELECT FROM retention.tag_table('ec_ticket', 'ec_ticket', 'at', condition => 'kind = ''person''');
SELECT FROM retention.tag_column('ec_ticket', 'email', subject => 'email');
SELECT FROM retention.place_hold('case 21: tickets', category => 'ec_ticket');

INSERT INTO ec_customer VALUES (1, 'ana@example.com', now()), (2, 'ivo@example.com', now());
INSERT INTO ec_receipt VALUES (10, 1, 'person', 100, now()), (11, 1, 'company', 110, now()),
                              (12, 1, NULL, 120, now()), (20, 2, 'company', 200, now());
INSERT INTO ec_invoice VALUES (10, 'ana@example.com', 'person', 100, now()),
                              (11, 'ana@example.com', 'company', 110, now()),
                              (12, 'ana@example.com', NULL, 120, now());
INSERT INTO ec_order VALUES (10, 'ana@example.com', '+385911111111', 'person', 'r10', now()),
                            (11, 'ana@example.com', '+385912222222', 'company', 'r11', now()),
                            (12, 'ana@example.com', '+385913333333', NULL, 'r12', now());
INSERT INTO ec_ticket VALUES (10, 'ana@example.com', 'person', now()), (11, 'ana@example.com', 'company', now()),
                             (12, 'ana@example.com', NULL, now());

CREATE TEMP TABLE ec_dry AS
SELECT table_name::text AS t, rows_found, rows_deleted, rows_anonymized, rows_held, rows_kept
  FROM retention.erase_subject('{"email": "ana@example.com"}', dry_run => true);
CREATE TEMP TABLE ec_result AS
SELECT table_name::text AS t, rows_found, rows_deleted, rows_anonymized, rows_held, rows_kept, note
  FROM retention.erase_subject('{"email": "ana@example.com"}');

-- keep + when=
SELECT is((SELECT array_agg(id ORDER BY id) FROM ec_receipt), '{10,20}'::int[],
          'keep + when=: the person receipt is kept; the company one and the one whose condition is NULL are deleted');
SELECT is((SELECT row(rows_found, rows_deleted, rows_held, rows_kept, note)::text FROM ec_result WHERE t = 'ec_receipt'),
          row(3::bigint, 2::bigint, 0::bigint, 1::bigint,
              'kept for a legal obligation (category ec_keep): legal obligation: tax law'::text)::text,
          'keep + when=: 1 kept (rows_kept, not rows_held), 2 deleted');
SELECT is((SELECT email FROM ec_customer WHERE id = 1), NULL,
          'the customer the kept receipt references is anonymized instead of deleted');

-- anonymize + when=
SELECT is((SELECT array_agg(row(id, email, amount)::text ORDER BY id) FROM ec_invoice), '{"(10,,100)"}',
          'anonymize + when=: the person invoice is anonymized, the rows outside the condition are deleted');
SELECT is((SELECT row(rows_found, rows_deleted, rows_anonymized, rows_kept)::text FROM ec_result WHERE t = 'ec_invoice'),
          '(3,2,1,0)', 'anonymize + when=: reported 1 anonymized, 2 deleted');

-- column tags with when=
SELECT is((SELECT row(email, remark)::text FROM ec_order WHERE id = 10), '(,)',
          'column when=, inside: the value is anonymized with its method');
SELECT ok((SELECT phone IS NOT NULL AND phone <> '+385911111111' FROM ec_order WHERE id = 10),
          'column when=, inside: the identifier is hashed, its tag''s method');
SELECT is((SELECT array_agg(row(id, email, phone, remark)::text ORDER BY id) FROM ec_order WHERE id > 10),
          '{"(11,,,r11)","(12,,,r12)"}',
          'column when=, outside (or NULL): an untagged value stays, an identifier is removed');
SELECT is((SELECT row(rows_found, rows_anonymized)::text FROM ec_result WHERE t = 'ec_order'), '(3,3)',
          'column when=: every kept row reported anonymized');

-- category hold + when=
SELECT is((SELECT array_agg(id ORDER BY id) FROM ec_ticket), '{10}'::int[],
          'category hold + when=: the row inside is held, the rows outside are deleted');
SELECT is((SELECT row(rows_found, rows_deleted, rows_held, rows_kept)::text FROM ec_result WHERE t = 'ec_ticket'),
          '(3,2,1,0)', 'category hold + when=: 1 held (rows_held), 2 deleted');

-- a legal hold and an obligation in the same erasure, counted apart
SELECT is((SELECT row(sum(rows_held), sum(rows_kept))::text FROM ec_result), '(1,1)',
          'rows_held counts the legal hold, rows_kept the obligation');
SELECT is((SELECT j.value FROM retention.dsr_request r, jsonb_each(r.tables) j
            WHERE r.kind = 'erase' AND j.key LIKE '%.ec_receipt' ORDER BY r.request_id DESC LIMIT 1),
          '{"found": 3, "deleted": 2, "anonymized": 0, "held": 0, "kept": 1}'::jsonb,
          'the request log counts kept rows apart from held ones');
SELECT is((SELECT j.value ->> 'held' FROM retention.dsr_request r, jsonb_each(r.tables) j
            WHERE r.kind = 'erase' AND j.key LIKE '%.ec_ticket' ORDER BY r.request_id DESC LIMIT 1), '1', 'the request log counts the held row');

-- dry run: the same split
SELECT set_eq($$SELECT t, rows_found, rows_held, rows_kept FROM ec_dry
                 WHERE t IN ('ec_receipt', 'ec_invoice', 'ec_ticket', 'ec_order')$$,
              $$SELECT t, rows_found, rows_held, rows_kept FROM ec_result
                 WHERE t IN ('ec_receipt', 'ec_invoice', 'ec_ticket', 'ec_order')$$,
              'dry run: the same rows found, held and kept');
SELECT set_eq($$SELECT t, rows_deleted, rows_anonymized FROM ec_dry WHERE t IN ('ec_receipt', 'ec_invoice', 'ec_ticket')$$,
              $$SELECT t, rows_deleted, rows_anonymized FROM ec_result WHERE t IN ('ec_receipt', 'ec_invoice', 'ec_ticket')$$,
              'dry run: the same rows deleted and anonymized');

-- another person untouched
SELECT is((SELECT row(c.email, r.id)::text FROM ec_customer c JOIN ec_receipt r ON r.customer_id = c.id WHERE c.id = 2),
          '(ivo@example.com,20)', 'another person: customer and company receipt untouched');

SELECT * FROM finish();
ROLLBACK;
