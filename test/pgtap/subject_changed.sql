-- A column dropped while an erasure runs (issue 10 item 2b, subject side):
-- the owner's BEFORE DELETE trigger on a child table drops an identifier
-- column of the parent.  The parent cannot be deleted (a kept row still
-- references it), so the erasure goes on to anonymize it and needs the
-- dropped column's name: the live name is NULL, and the request fails
-- cleanly with 40001 (nothing changed, the server up) instead of using it.
BEGIN;
SELECT plan(5);

SET LOCAL client_min_messages = warning;

CREATE SCHEMA dsx;
CREATE TABLE dsx.customer (id int PRIMARY KEY, email text, phone text);
CREATE TABLE dsx.orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES dsx.customer);
-- kept rows (column tags only) with a NOT NULL key: the customer stays
CREATE TABLE dsx.invoice (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES dsx.customer, body text,
                          at timestamptz NOT NULL);
SELECT FROM retention.define_category('dsx_invoice', '1 year', action => 'nullify');
SELECT FROM retention.tag_column('dsx.customer', 'email', subject => 'email');
SELECT FROM retention.tag_column('dsx.customer', 'phone', subject => 'phone');
SELECT FROM retention.tag_column('dsx.invoice', 'body', 'dsx_invoice', 'at');
CREATE FUNCTION dsx.drop_phone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    ALTER TABLE dsx.customer DROP COLUMN IF EXISTS phone;
    RETURN OLD;
END
$$;
CREATE TRIGGER drop_phone BEFORE DELETE ON dsx.orders FOR EACH ROW EXECUTE FUNCTION dsx.drop_phone();
INSERT INTO dsx.customer VALUES (1, 'ana@example.com', '+385 91 123 4567'), (2, 'bob@example.com', NULL);
INSERT INTO dsx.orders VALUES (10, 1), (20, 2);
INSERT INTO dsx.invoice VALUES (100, 1, 'invoice', now());

SELECT throws_ok($$SELECT * FROM retention.erase_subject('{"email": "ana@example.com"}')$$, '40001',
                 'erasure failed: a table or column changed while it ran',
                 'a column dropped during the erasure: a clean error, no crash');
SELECT is((SELECT count(*)::int FROM pg_attribute WHERE attrelid = 'dsx.customer'::regclass AND attname = 'phone'), 1,
          'nothing was changed (the trigger''s DROP COLUMN rolled back too)');
SELECT is((SELECT array_agg(id ORDER BY id) FROM dsx.orders), ARRAY[10, 20], 'her order is still there');
SELECT is((SELECT body FROM dsx.invoice WHERE id = 100), 'invoice', 'her invoice is untouched');
DROP TRIGGER drop_phone ON dsx.orders;
SELECT is((SELECT array_agg(table_name::text || ' ' || rows_deleted || '/' || rows_anonymized ORDER BY table_name::text)
             FROM retention.erase_subject('{"email": "ana@example.com"}')),
          ARRAY['dsx.customer 0/1', 'dsx.invoice 0/1', 'dsx.orders 1/0'],
          'repeated without the trigger, the erasure goes through');

SELECT * FROM finish();
ROLLBACK;
