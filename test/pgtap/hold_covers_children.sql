-- A hold by an identifier covers the rows an export of the person returns
-- (issue 14 item 8): the rows the identifier is in and the rows that
-- reference them, at any depth -- in enforcement (rows kept, counted held
-- in preview) and in another person's erasure.  Another customer's rows
-- are enforced as usual; the hold's end releases them.
BEGIN;
SELECT plan(9);
SET LOCAL client_min_messages = warning;
SET LOCAL TimeZone = 'UTC';

SELECT FROM retention.define_category('hc_cust', '5 years');
SELECT FROM retention.define_category('hc_rental', '1 year');
SELECT FROM retention.define_category('hc_pay', '1 year');
CREATE TABLE hc_customer (id int PRIMARY KEY, email text, created_at timestamptz NOT NULL);
CREATE TABLE hc_rental (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES hc_customer ON DELETE CASCADE,
                        at timestamptz NOT NULL);
CREATE TABLE hc_payment (id int PRIMARY KEY, rental_id int NOT NULL REFERENCES hc_rental ON DELETE CASCADE,
                         at timestamptz NOT NULL);
-- a row that references two customers: a transfer between them
CREATE TABLE hc_transfer (id int PRIMARY KEY, from_id int REFERENCES hc_customer ON DELETE CASCADE,
                          to_id int REFERENCES hc_customer ON DELETE CASCADE, at timestamptz NOT NULL);
SELECT FROM retention.tag_table('hc_customer', 'hc_cust', 'created_at');
SELECT FROM retention.tag_column('hc_customer', 'email', subject => 'email');
SELECT FROM retention.tag_table('hc_rental', 'hc_rental', 'at');
SELECT FROM retention.tag_table('hc_payment', 'hc_pay', 'at');
SELECT FROM retention.tag_table('hc_transfer', 'hc_rental', 'at');

INSERT INTO hc_customer VALUES (1, 'ana@example.com', now()), (2, 'ivo@example.com', now());
INSERT INTO hc_rental VALUES (10, 1, now() - interval '2 years'), (20, 2, now() - interval '2 years');
INSERT INTO hc_payment VALUES (10, 10, now() - interval '2 years'), (20, 20, now() - interval '2 years');
INSERT INTO hc_transfer VALUES (1, 2, 1, now() - interval '2 years'), (2, 2, NULL, now() - interval '2 years');
SELECT FROM retention.place_hold('case 12', subject_kind => 'email', subject_value => 'ANA@example.com');

SELECT is((SELECT rows_held FROM retention.preview() WHERE table_name = 'hc_rental'::regclass), 1::bigint,
          'preview: the held person''s rental counts as held');
SELECT is((SELECT rows_held FROM retention.preview() WHERE table_name = 'hc_payment'::regclass), 1::bigint,
          'preview: and the payment of that rental (two keys up)');

CALL retention.enforce();

SELECT is((SELECT array_agg(id) FROM hc_rental), '{10}'::int[], 'the held person''s rental stays, the other goes');
SELECT is((SELECT array_agg(id) FROM hc_payment), '{10}'::int[], 'the held person''s payment stays (grandchild), the other goes');
SELECT is((SELECT array_agg(id) FROM hc_transfer), '{1}'::int[],
          'a transfer that references the held person stays; one that does not goes');

-- another person's erasure does not reach rows the hold covers
CREATE TEMP TABLE hc_result AS SELECT * FROM retention.erase_subject('{"email": "ivo@example.com"}');
SELECT is((SELECT array_agg(id) FROM hc_transfer), '{1}'::int[],
          'erasure of the other party: the transfer the held person is in is kept');
SELECT is((SELECT count(*) FROM hc_customer WHERE id = 1), 1::bigint, 'the held person is untouched');
SELECT is((SELECT rows_held FROM hc_result WHERE table_name = 'hc_transfer'::regclass), 1::bigint,
          'erasure reports the covered transfer as held');

-- the hold released: the next run enforces
SELECT FROM (SELECT retention.release_hold(h.hold_id) FROM retention.legal_hold h WHERE h.reason = 'case 12') released;
CALL retention.enforce();
SELECT is((SELECT count(*) FROM hc_rental) + (SELECT count(*) FROM hc_payment), 0::bigint,
          'hold released: rental and payment go');

SELECT * FROM finish();
ROLLBACK;
