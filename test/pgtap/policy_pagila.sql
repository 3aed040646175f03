-- A new DBA's policy on the Pagila sample schema, in 0.2.0 keys and nothing
-- else (issue 14): no trigger-maintained "last activity" column (latest()),
-- no schema change to keep rentals from being blocked for ten years
-- (blocked=expected), no hold-erase-release dance to keep tax receipts
-- through an erasure (on_erasure => 'keep'), shared addresses left alone,
-- inactive staff only (when=).  The tables keep Pagila's own columns,
-- constraints and foreign keys (payment partitioned by month, its keys
-- declared on the partitions, NO ACTION / RESTRICT everywhere).
BEGIN;
SELECT plan(28);
SET LOCAL client_min_messages = warning;
SET LOCAL TimeZone = 'UTC';

CREATE SCHEMA pagila;
CREATE TABLE pagila.address (
    address_id  serial PRIMARY KEY,
    address     text NOT NULL,
    district    text NOT NULL,
    postal_code text,
    phone       text NOT NULL,
    last_update timestamptz NOT NULL DEFAULT now());
CREATE TABLE pagila.customer (
    customer_id serial PRIMARY KEY,
    store_id    integer NOT NULL,
    first_name  text NOT NULL,
    last_name   text NOT NULL,
    email       text,
    address_id  integer NOT NULL REFERENCES pagila.address ON UPDATE CASCADE ON DELETE RESTRICT,
    activebool  boolean NOT NULL DEFAULT true,
    create_date date NOT NULL DEFAULT CURRENT_DATE,
    last_update timestamptz DEFAULT now(),
    active      integer);
CREATE TABLE pagila.staff (
    staff_id    serial PRIMARY KEY,
    first_name  text NOT NULL,
    last_name   text NOT NULL,
    address_id  integer NOT NULL REFERENCES pagila.address ON UPDATE CASCADE ON DELETE RESTRICT,
    email       text,
    store_id    integer NOT NULL,
    active      boolean NOT NULL DEFAULT true,
    username    text NOT NULL,
    password    text,
    last_update timestamptz NOT NULL DEFAULT now());
CREATE TABLE pagila.rental (
    rental_id    serial PRIMARY KEY,
    rental_date  timestamptz NOT NULL,
    inventory_id integer NOT NULL,
    customer_id  integer NOT NULL REFERENCES pagila.customer ON UPDATE CASCADE ON DELETE RESTRICT,
    return_date  timestamptz,
    staff_id     integer NOT NULL REFERENCES pagila.staff ON UPDATE CASCADE ON DELETE RESTRICT,
    last_update  timestamptz NOT NULL DEFAULT now());
CREATE INDEX idx_fk_customer_id ON pagila.rental (customer_id);
CREATE TABLE pagila.payment (
    payment_id   serial NOT NULL,
    customer_id  integer NOT NULL,
    staff_id     integer NOT NULL,
    rental_id    integer NOT NULL,
    amount       numeric(5,2) NOT NULL,
    payment_date timestamptz NOT NULL,
    PRIMARY KEY (payment_date, payment_id))
  PARTITION BY RANGE (payment_date);
-- twelve years of monthly partitions would be noise: one per year does
CREATE FUNCTION pg_temp.payment_partition(y int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE p text := format('payment_p%s', y);
BEGIN
    EXECUTE format('CREATE TABLE pagila.%I PARTITION OF pagila.payment FOR VALUES FROM (%L) TO (%L)',
                   p, make_date(y, 1, 1), make_date(y + 1, 1, 1));
    EXECUTE format('ALTER TABLE pagila.%I ADD FOREIGN KEY (customer_id) REFERENCES pagila.customer', p);
    EXECUTE format('ALTER TABLE pagila.%I ADD FOREIGN KEY (rental_id) REFERENCES pagila.rental', p);
    EXECUTE format('ALTER TABLE pagila.%I ADD FOREIGN KEY (staff_id) REFERENCES pagila.staff', p);
END $$;
SELECT pg_temp.payment_partition(y) FROM generate_series(extract(year FROM now())::int - 12, extract(year FROM now())::int) y;
COMMENT ON COLUMN pagila.rental.rental_date IS 'the date of your last rental';
COMMENT ON COLUMN pagila.customer.create_date IS 'the date you signed up';
COMMENT ON COLUMN pagila.payment.payment_date IS 'the date of the payment';

-- The policy.  Customers: 3 years after their last rental (or after they
-- signed up, if they never rented); payments: 10 years after the end of the
-- year (tax), kept through an erasure; rentals: 3 years after the return,
-- those a kept payment still references are expected to stay; addresses:
-- shared, unreferenced ones go; staff: inactive ones, 1 year after the last
-- change.
SELECT FROM retention.define_category('pagila_customer', '3 years',
    description => 'Your account', purpose => 'Renting you films', legal_basis => 'Contract');
SELECT FROM retention.define_category('pagila_rental', '3 years');
SELECT FROM retention.define_category('pagila_payment', '10 years', 'end_of_year', on_erasure => 'keep',
    legal_basis => 'legal obligation: tax law');
SELECT FROM retention.define_category('pagila_address', '3 years');
SELECT FROM retention.define_category('pagila_staff', '1 year');

SELECT FROM retention.tag_table('pagila.customer', 'pagila_customer',
                                'create_date,latest(pagila.rental.rental_date)', blocked => 'anonymize');
SELECT FROM retention.tag_column('pagila.customer', 'email', subject => 'email');
SELECT retention.tag_column('pagila.customer', c, 'pagila_customer',
                            'create_date,latest(pagila.rental.rental_date)', action => 'hash') IS NOT NULL
  FROM unnest(ARRAY['first_name', 'last_name']) c;
SELECT FROM retention.tag_table('pagila.rental', 'pagila_rental', 'return_date', blocked => 'expected');
SELECT FROM retention.tag_table('pagila.payment', 'pagila_payment', 'payment_date');
SELECT FROM retention.tag_table('pagila.address', 'pagila_address', 'last_update', blocked => 'expected');
SELECT FROM retention.tag_column('pagila.address', 'phone', subject => 'phone');
SELECT FROM retention.tag_table('pagila.staff', 'pagila_staff', 'last_update', condition => 'NOT active',
                                blocked => 'anonymize');
SELECT FROM retention.tag_column('pagila.staff', 'email', subject => 'email');

SELECT is((SELECT count(*) FROM retention.tags WHERE object::text LIKE 'pagila.%' AND NOT valid), 0::bigint,
          'every tag of the policy is valid');
SELECT is((SELECT array_agg(object ORDER BY object) FROM retention.lint()
            WHERE check_name = 'foreign_key_without_index' AND object LIKE 'pagila.payment%'),
          '{pagila.payment.customer_id,pagila.payment.rental_id,pagila.payment.staff_id}'::text[],
          'lint: keys declared on each payment partition without an index: one finding per key column, for the partitioned table');

-- The data, relative to now: old (due) and recent (not due).
CREATE TEMP TABLE ago AS SELECT now() - interval '5 years' AS old, now() - interval '1 year' AS recent;
INSERT INTO pagila.address (address_id, address, district, phone, last_update)
SELECT i, 'street ' || i, 'district', '+385 1 555 000' || i, old FROM ago, generate_series(1, 6) i;
INSERT INTO pagila.staff (staff_id, first_name, last_name, address_id, email, store_id, active, username, last_update)
SELECT 1, 'Mike', 'Hillyer', 1, 'mike@example.com', 1, true, 'mike', old FROM ago UNION ALL
SELECT 2, 'Jon', 'Stephens', 2, 'jon@example.com', 2, false, 'jon', old FROM ago UNION ALL
SELECT 3, 'Ann', 'Left', 2, 'ann@example.com', 2, false, 'ann', old FROM ago;
-- 1 Mary: signed up long ago, rented recently (the child's date keeps her)
-- 2 Patricia: last rental long ago, a payment from then (tax keeps it)
-- 3 Linda: signed up long ago, never rented
-- 4 Barbara: signed up recently
-- 5 Elizabeth and 6 Jennifer share address 5
INSERT INTO pagila.customer (customer_id, store_id, first_name, last_name, email, address_id, create_date)
SELECT 1, 1, 'Mary', 'Smith', 'mary@example.com', 3, old::date FROM ago UNION ALL
SELECT 2, 1, 'Patricia', 'Johnson', 'patricia@example.com', 4, old::date FROM ago UNION ALL
SELECT 3, 1, 'Linda', 'Williams', 'linda@example.com', 6, old::date FROM ago UNION ALL
SELECT 4, 2, 'Barbara', 'Jones', 'barbara@example.com', 6, recent::date FROM ago UNION ALL
SELECT 5, 2, 'Elizabeth', 'Brown', 'elizabeth@example.com', 5, old::date FROM ago UNION ALL
SELECT 6, 2, 'Jennifer', 'Davis', 'jennifer@example.com', 5, old::date FROM ago;
INSERT INTO pagila.rental (rental_id, rental_date, inventory_id, customer_id, return_date, staff_id)
SELECT 1, old, 1, 1, old + interval '3 days', 1 FROM ago UNION ALL
SELECT 2, recent, 2, 1, recent + interval '3 days', 1 FROM ago UNION ALL
SELECT 3, old, 3, 2, old + interval '3 days', 2 FROM ago UNION ALL
SELECT 4, old, 4, 5, old + interval '3 days', 3 FROM ago UNION ALL
SELECT 5, old, 5, 6, old + interval '3 days', 3 FROM ago;
INSERT INTO pagila.payment (customer_id, staff_id, rental_id, amount, payment_date)
SELECT 1, 1, 2, 2.99, recent FROM ago UNION ALL
SELECT 2, 2, 3, 4.99, old FROM ago UNION ALL
SELECT 6, 3, 5, 0.99, old FROM ago;

-- Preview says what enforcement does, before it does it.
SELECT is((SELECT sum(rows_due) FROM retention.preview() WHERE table_name = 'pagila.customer'::regclass AND column_name IS NULL), 2::numeric,
          'preview: two customers go (Linda, and Elizabeth whose rental goes in the same run); the others are kept by a recent date or anonymized');
SELECT is((SELECT sum(rows_blocked) FROM retention.preview() WHERE table_name = 'pagila.rental'::regclass), 0::numeric,
          'preview: rentals kept by tax records are expected, not blocked');
SELECT is((SELECT row(rows_due, rows_blocked, note)::text FROM retention.preview() WHERE table_name = 'pagila.address'::regclass),
          '(0,0,"6 referenced (expected)")',
          'preview: no address goes; the customers and staff that reference them stay, some only because tax records keep them');

CALL retention.enforce();

SELECT is(array(SELECT customer_id FROM pagila.customer ORDER BY 1), '{1,2,4,6}'::int[],
          'customers: Mary (recent rental) and Barbara (recent sign-up) stay, Patricia and Jennifer are kept by tax records; Linda and Elizabeth go');
SELECT is((SELECT row(email IS NULL, first_name <> 'Patricia', last_name <> 'Johnson')::text FROM pagila.customer WHERE customer_id = 2),
          '(t,t,t)', 'blocked=anonymize: the customer only a tax record keeps loses name and e-mail');
SELECT is((SELECT row(email, first_name)::text FROM pagila.customer WHERE customer_id = 1), '(mary@example.com,Mary)',
          'latest(): a recent rental keeps a customer who signed up long ago whole');
SELECT is(array(SELECT rental_id FROM pagila.rental ORDER BY 1), '{2,3,5}'::int[],
          'rentals: those a kept payment references stay (expected), a recent one stays, the unreferenced old ones go');
SELECT is((SELECT count(*) FROM pagila.payment), 3::bigint, 'payments: all within 10 years of the end of their year');
SELECT is(array(SELECT address_id FROM pagila.address ORDER BY 1), '{1,2,3,4,5,6}'::int[],
          'addresses: every one is still referenced (expected)');
SELECT is(array(SELECT staff_id FROM pagila.staff ORDER BY 1), '{1,2,3}'::int[],
          'staff: referenced by rentals and payments, so none is deleted');
SELECT is(array(SELECT row(staff_id, email IS NULL)::text FROM pagila.staff ORDER BY 1), '{"(1,f)","(2,t)","(3,t)"}'::text[],
          'when=: only the inactive staff are anonymized; the active one is outside the tag');
SELECT is((SELECT sum(rows_blocked) FROM retention.status WHERE table_name::text LIKE 'pagila.%'), 0::numeric,
          'status: nothing blocked, nothing for the DBA to chase');
SELECT is((SELECT count(*) FROM retention.status WHERE table_name::text LIKE 'pagila.%' AND rows_overdue > 0), 0::bigint,
          'status: nothing overdue after the run');
SELECT is((SELECT count(*) FROM retention.status WHERE table_name::text LIKE 'pagila.%' AND oldest_overdue_for IS NOT NULL), 0::bigint,
          'status: no "overdue for" either: the rows blocked= keeps are no alarm');

-- The same run again finds nothing to do.
CALL retention.enforce();
SELECT is((SELECT coalesce(sum(rows_processed), 0) + coalesce(sum((SELECT sum(v) FROM unnest(values_processed) v)), 0) FROM retention.action_log a JOIN retention.run r USING (run_id)
            WHERE r.run_id = (SELECT max(run_id) FROM retention.run) AND a.table_name LIKE 'pagila.%'), 0::numeric,
          'a second run acts on nothing');

-- Access: Mary's export has her account, rentals, payment and address, in words.
CREATE TEMP TABLE mary AS SELECT retention.export_subject('{"email": "mary@example.com"}') AS doc;
SELECT is((SELECT array_agg(t ->> 'table' ORDER BY t ->> 'table') FROM mary, jsonb_array_elements(doc -> 'tables') t),
          '{pagila.address,pagila.customer,pagila.payment,pagila.rental}'::text[],
          'export: the customer, her rentals and payment, and her own address');
SELECT is((SELECT doc #>> '{categories,pagila_customer,retention}' FROM mary),
          '3 years after the latest of the date you signed up and the date of your last rental',
          'export: the period in words, from the rental date''s comment');
SELECT is((SELECT (r ->> 'due_at')::timestamptz FROM mary, jsonb_array_elements(doc -> 'tables') t, jsonb_array_elements(t -> 'rows') r
            WHERE t ->> 'table' = 'pagila.customer'),
          (SELECT rental_date + interval '3 years' FROM pagila.rental WHERE rental_id = 2),
          'export: the customer is due 3 years after her last rental');

-- Erasure: Mary's rentals and account go; her tax record is kept with its
-- legal basis; the customer row the record references is anonymized; her
-- own address goes, nobody else's is touched.
CREATE TEMP TABLE erased AS
SELECT table_name::text AS t, rows_deleted, rows_anonymized, note FROM retention.erase_subject('{"email": "mary@example.com"}');
SELECT is((SELECT count(*) FROM pagila.payment WHERE customer_id = 1), 1::bigint, 'erasure: the tax record is kept');
SELECT ok((SELECT note FROM erased WHERE t = 'pagila.payment') LIKE 'kept for a legal obligation (category pagila_payment): legal obligation: tax law',
          'erasure: reported as kept, with the legal basis');
SELECT is((SELECT row(email IS NULL, first_name <> 'Mary')::text FROM pagila.customer WHERE customer_id = 1), '(t,t)',
          'erasure: the customer the kept record references is anonymized, not deleted');
SELECT is(array(SELECT rental_id FROM pagila.rental WHERE customer_id = 1 ORDER BY 1), '{2}'::int[],
          'erasure: the rental a kept payment references stays, the other went');
SELECT is((SELECT row(phone <> '+385 1 555 0003', address)::text FROM pagila.address WHERE address_id = 3), '(t,"street 3")',
          'erasure: the address only Mary referenced, still referenced by her kept row, loses its identifier');
SELECT is((SELECT count(*) FROM pagila.address WHERE address_id = 5), 1::bigint,
          'erasure: a shared address is not touched');
SELECT ok(retention.is_suppressed('email', 'mary@example.com'), 'erasure: her e-mail is on the suppression list');
SELECT is((SELECT count(*) FROM pagila.customer WHERE customer_id <> 1 AND email IS NOT NULL), 1::bigint,
          'erasure: the other customers are untouched (Barbara keeps her e-mail)');

SELECT * FROM finish();
ROLLBACK;
