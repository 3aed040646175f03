-- Categories' on_erasure (issue 14 item 8, GDPR Art. 17(3)(b)): an erasure
-- deletes what it did in 0.1.0 (on_erasure 'delete', the default and what
-- the upgrade gives existing categories), keeps the rows of a 'keep'
-- category whole and reports them with the category's legal basis, and
-- anonymizes the rows of an 'anonymize' category (column tags' methods,
-- identifiers removed) except what the obligation needs.  A cascade from
-- the person's deleted rows never reaches kept rows: the customer they
-- reference is anonymized instead.  Another person's rows are untouched.
BEGIN;
SELECT plan(17);
SET LOCAL client_min_messages = warning;
SET LOCAL TimeZone = 'UTC';

SELECT FROM retention.define_category('obl_cust', '2 years');
SELECT FROM retention.define_category('obl_receipt', '10 years', 'end_of_year', on_erasure => 'keep',
                                      legal_basis => 'legal obligation: tax law');
SELECT FROM retention.define_category('obl_invoice', '10 years', 'end_of_year', on_erasure => 'anonymize',
                                      legal_basis => 'legal obligation: accounting law');
SELECT FROM retention.define_category('obl_addr', '2 years', action => 'nullify');
SELECT FROM retention.define_category('obl_rental', '2 years');

SELECT is((SELECT on_erasure FROM retention.category WHERE name = 'obl_cust'), 'delete', 'default on_erasure is delete');

CREATE TABLE obl_customer (id int PRIMARY KEY, email text, name text, created_at timestamptz NOT NULL);
CREATE TABLE obl_receipt (id int PRIMARY KEY, customer_id int REFERENCES obl_customer ON DELETE CASCADE,
                          amount numeric, issued_at timestamptz NOT NULL);
CREATE TABLE obl_invoice (id int PRIMARY KEY, customer_id int REFERENCES obl_customer ON DELETE CASCADE,
                          billing_name text, amount numeric, issued_at timestamptz NOT NULL);
CREATE TABLE obl_rental (id int PRIMARY KEY, customer_id int REFERENCES obl_customer ON DELETE CASCADE,
                         at timestamptz NOT NULL);
SELECT FROM retention.tag_table('obl_customer', 'obl_cust', 'created_at');
SELECT FROM retention.tag_column('obl_customer', 'email', subject => 'email');
SELECT FROM retention.tag_table('obl_receipt', 'obl_receipt', 'issued_at');
SELECT FROM retention.tag_table('obl_invoice', 'obl_invoice', 'issued_at');
SELECT FROM retention.tag_column('obl_invoice', 'billing_name', 'obl_addr', 'issued_at');
SELECT FROM retention.tag_table('obl_rental', 'obl_rental', 'at');

INSERT INTO obl_customer VALUES (1, 'ana@example.com', 'Ana', now()), (2, 'ivo@example.com', 'Ivo', now());
INSERT INTO obl_receipt VALUES (10, 1, 100, now()), (20, 2, 200, now());
INSERT INTO obl_invoice VALUES (10, 1, 'Ana Horvat', 100, now()), (20, 2, 'Ivo Ivić', 200, now());
INSERT INTO obl_rental VALUES (10, 1, now()), (11, 1, now()), (20, 2, now());

CREATE TEMP TABLE obl_result AS
SELECT table_name::text AS t, rows_found, rows_deleted, rows_anonymized, rows_held, rows_kept, note
  FROM retention.erase_subject('{"email": "ana@example.com"}');

SELECT is((SELECT count(*) FROM obl_rental WHERE customer_id = 1), 0::bigint, 'delete category: the rentals are gone');
SELECT is((SELECT row(customer_id, amount)::text FROM obl_receipt WHERE id = 10), '(1,100)',
          'keep category: the receipt is kept whole (a cascade from the customer does not reach it)');
SELECT is((SELECT row(rows_held, rows_kept, note)::text FROM obl_result WHERE t = 'obl_receipt'),
          row(0::bigint, 1::bigint, 'kept for a legal obligation (category obl_receipt): legal obligation: tax law'::text)::text,
          'keep: reported as kept (rows_kept, not rows_held), with the legal basis');
SELECT is((SELECT row(billing_name, amount)::text FROM obl_invoice WHERE id = 10), '(,100)',
          'anonymize category: tagged column anonymized, the amount the obligation needs kept');
SELECT is((SELECT row(rows_anonymized, rows_deleted, note)::text FROM obl_result WHERE t = 'obl_invoice'),
          row(1::bigint, 0::bigint, 'kept for a legal obligation (category obl_invoice): legal obligation: accounting law'::text)::text,
          'anonymize: reported as anonymized, with the legal basis');
SELECT is((SELECT row(email, name)::text FROM obl_customer WHERE id = 1), '(,Ana)',
          'the customer kept rows still reference is anonymized (identifier removed), not deleted');
SELECT is((SELECT rows_anonymized FROM obl_result WHERE t = 'obl_customer'), 1::bigint, 'customer reported anonymized');
SELECT is((SELECT count(*) FROM obl_customer WHERE id = 2 AND email = 'ivo@example.com'), 1::bigint,
          'another person: customer untouched');
SELECT is((SELECT count(*) FROM obl_receipt WHERE id = 20) + (SELECT count(*) FROM obl_invoice WHERE billing_name = 'Ivo Ivić')
          + (SELECT count(*) FROM obl_rental WHERE id = 20), 3::bigint, 'another person: receipts, invoices, rentals untouched');

-- a legal hold on an anonymize category keeps its rows untouched: the hold
-- comes before the obligation's anonymization
SELECT FROM retention.place_hold('Case 7: invoices as issued', category => 'obl_invoice');
CREATE TEMP TABLE obl_held AS
SELECT table_name::text AS t, rows_anonymized, rows_held, note FROM retention.erase_subject('{"email": "ivo@example.com"}');
SELECT is((SELECT billing_name FROM obl_invoice WHERE id = 20), 'Ivo Ivić', 'a category hold keeps an anonymize category''s row whole');
SELECT is((SELECT row(rows_anonymized, rows_held, note)::text FROM obl_held WHERE t = 'obl_invoice'),
          row(0::bigint, 1::bigint, 'held by a legal hold on the category or table'::text)::text,
          'reported held, not anonymized');
SELECT is((SELECT count(*) FROM obl_rental WHERE id = 20), 0::bigint, 'the rest of the erasure goes on');

-- changing the rule: alter_category, and validation
SELECT is((SELECT on_erasure FROM retention.alter_category('obl_receipt', on_erasure => 'delete')), 'delete',
          'alter_category changes on_erasure');
SELECT is((SELECT on_erasure FROM retention.alter_category('obl_receipt', period => '11 years')), 'delete',
          'alter_category without on_erasure keeps it');
SELECT throws_ok($$SELECT retention.define_category('obl_bad', '1 year', on_erasure => 'forget')$$,
                 '22023', 'invalid on_erasure "forget" for category "obl_bad"', 'unknown on_erasure refused');
SELECT throws_ok($$SELECT retention.define_category('obl_nolb', '1 year', on_erasure => 'keep')$$,
                 '22023', 'category "obl_nolb" keeps data through an erasure but states no legal basis',
                 'keep without a legal basis refused');

SELECT * FROM finish();
ROLLBACK;
