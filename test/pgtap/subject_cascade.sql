-- Erasure across ON DELETE SET NULL, SET DEFAULT and CASCADE keys onto
-- partitioned children (the Pagila shape: rental -> payment, partitioned by
-- month, with SET NULL keys declared on each partition), issue 12 item 6.
-- The rental delete rewrites the person's payment and feedback rows (SET
-- NULL, SET DEFAULT) and deletes their late fees (CASCADE) before those
-- groups' own deletes run: every one of the person's rows must still be
-- deleted, and the report and the request log must say exactly what
-- changed, as counted here from the tables themselves.  Other people's
-- rows are untouched.
BEGIN;
SELECT plan(13);

SET LOCAL client_min_messages = warning;

CREATE SCHEMA dsc;
CREATE TABLE dsc.customer (customer_id int PRIMARY KEY, email text NOT NULL);
CREATE TABLE dsc.rental (rental_id int PRIMARY KEY,
                         customer_id int NOT NULL REFERENCES dsc.customer ON DELETE RESTRICT,
                         rented_on date NOT NULL);
-- Pagila: payment partitioned by month, keys declared on the partitions
CREATE TABLE dsc.payment (payment_id int NOT NULL, customer_id int NOT NULL, rental_id int,
                          amount numeric NOT NULL, payment_date date NOT NULL,
                          PRIMARY KEY (payment_date, payment_id)) PARTITION BY RANGE (payment_date);
CREATE TABLE dsc.payment_p2022_01 PARTITION OF dsc.payment FOR VALUES FROM ('2022-01-01') TO ('2022-02-01');
CREATE TABLE dsc.payment_p2022_02 PARTITION OF dsc.payment FOR VALUES FROM ('2022-02-01') TO ('2022-03-01');
ALTER TABLE dsc.payment_p2022_01 ADD FOREIGN KEY (customer_id) REFERENCES dsc.customer ON DELETE RESTRICT,
                                 ADD FOREIGN KEY (rental_id) REFERENCES dsc.rental ON DELETE SET NULL;
ALTER TABLE dsc.payment_p2022_02 ADD FOREIGN KEY (customer_id) REFERENCES dsc.customer ON DELETE RESTRICT,
                                 ADD FOREIGN KEY (rental_id) REFERENCES dsc.rental ON DELETE SET NULL;
-- SET DEFAULT, key on the partitioned table (rental 0: "no rental")
CREATE TABLE dsc.feedback (feedback_id int NOT NULL, customer_id int NOT NULL REFERENCES dsc.customer,
                           rental_id int NOT NULL DEFAULT 0 REFERENCES dsc.rental ON DELETE SET DEFAULT,
                           channel text NOT NULL, PRIMARY KEY (channel, feedback_id)) PARTITION BY LIST (channel);
CREATE TABLE dsc.feedback_web PARTITION OF dsc.feedback FOR VALUES IN ('web');
CREATE TABLE dsc.feedback_app PARTITION OF dsc.feedback FOR VALUES IN ('app');
-- CASCADE, key on the partitioned table
CREATE TABLE dsc.late_fee (fee_id int NOT NULL, customer_id int NOT NULL REFERENCES dsc.customer,
                           rental_id int NOT NULL REFERENCES dsc.rental ON DELETE CASCADE,
                           due date NOT NULL, PRIMARY KEY (due, fee_id)) PARTITION BY RANGE (due);
CREATE TABLE dsc.late_fee_p2022_01 PARTITION OF dsc.late_fee FOR VALUES FROM ('2022-01-01') TO ('2022-02-01');
CREATE TABLE dsc.late_fee_p2022_02 PARTITION OF dsc.late_fee FOR VALUES FROM ('2022-02-01') TO ('2022-03-01');

-- the person's rows are found by her id (depth 0) as well as through the
-- rental (depth 1): the rental goes first
SELECT FROM retention.tag_column('dsc.customer', 'email', subject => 'email');
SELECT FROM retention.tag_column('dsc.customer', 'customer_id', subject => 'customer_id');
SELECT FROM retention.tag_column('dsc.payment', 'customer_id', subject => 'customer_id');
SELECT FROM retention.tag_column('dsc.feedback', 'customer_id', subject => 'customer_id');
SELECT FROM retention.tag_column('dsc.late_fee', 'customer_id', subject => 'customer_id');

-- Ana (1) and Bob (2)
INSERT INTO dsc.customer VALUES (1, 'ana@example.com'), (2, 'bob@example.com');
INSERT INTO dsc.rental VALUES (0, 2, '2022-01-01'), (11, 1, '2022-01-05'), (12, 1, '2022-02-03'), (13, 1, '2022-02-20'),
                              (21, 2, '2022-01-07');
INSERT INTO dsc.payment VALUES (101, 1, 11, 2.99, '2022-01-05'), (102, 1, 12, 4.99, '2022-02-03'),
                               (103, 1, 13, 0.99, '2022-02-20'), (104, 1, NULL, 1.99, '2022-01-09'),
                               (105, 1, 11, 3.99, '2022-02-01'),
                               (201, 2, 21, 5.99, '2022-01-07');
INSERT INTO dsc.feedback VALUES (1, 1, 11, 'web'), (2, 1, 12, 'app'), (3, 2, 21, 'web');
INSERT INTO dsc.late_fee VALUES (1, 1, 11, '2022-01-20'), (2, 1, 13, '2022-02-25'), (3, 2, 21, '2022-01-25');

-- what there is of Ana, counted here
CREATE TEMP TABLE c_ana AS
SELECT t.table_name, t.n FROM (VALUES
    ('dsc.customer', (SELECT count(*) FROM dsc.customer WHERE customer_id = 1)),
    ('dsc.rental', (SELECT count(*) FROM dsc.rental WHERE customer_id = 1)),
    ('dsc.payment', (SELECT count(*) FROM dsc.payment WHERE customer_id = 1)),
    ('dsc.feedback', (SELECT count(*) FROM dsc.feedback WHERE customer_id = 1)),
    ('dsc.late_fee', (SELECT count(*) FROM dsc.late_fee WHERE customer_id = 1))) t(table_name, n);
CREATE FUNCTION pg_temp.others() RETURNS text LANGUAGE sql AS $$
    SELECT concat_ws(' ',
        (SELECT array_agg(row_to_json(c)::text ORDER BY customer_id) FROM dsc.customer c WHERE customer_id <> 1),
        (SELECT array_agg(row_to_json(r)::text ORDER BY rental_id) FROM dsc.rental r WHERE customer_id <> 1),
        (SELECT array_agg(row_to_json(p)::text ORDER BY payment_id) FROM dsc.payment p WHERE customer_id <> 1),
        (SELECT array_agg(row_to_json(f)::text ORDER BY feedback_id) FROM dsc.feedback f WHERE customer_id <> 1),
        (SELECT array_agg(row_to_json(l)::text ORDER BY fee_id) FROM dsc.late_fee l WHERE customer_id <> 1)) $$;
CREATE TEMP TABLE c_others AS SELECT pg_temp.others() AS rows;

SELECT is((SELECT array_agg(table_name || ' ' || n ORDER BY table_name) FROM c_ana),
          ARRAY['dsc.customer 1', 'dsc.feedback 2', 'dsc.late_fee 2', 'dsc.payment 5', 'dsc.rental 3'],
          'fixture: Ana''s rows');

CREATE TEMP TABLE c_dry AS
SELECT * FROM retention.erase_subject('{"email": "ana@example.com", "customer_id": 1}', dry_run => true);
SELECT is((SELECT array_agg(table_name::text || ' ' || rows_found ORDER BY table_name::text) FROM c_dry),
          (SELECT array_agg(table_name || ' ' || n ORDER BY table_name) FROM c_ana),
          'dry run: every one of Ana''s rows found, nobody else''s');

CREATE TEMP TABLE c_report AS
SELECT * FROM retention.erase_subject('{"email": "ana@example.com", "customer_id": 1}');

SELECT is((SELECT count(*)::int FROM dsc.payment WHERE customer_id = 1), 0,
          'SET NULL onto monthly partitions: every payment of Ana deleted');
SELECT is((SELECT count(*)::int FROM dsc.feedback WHERE customer_id = 1), 0,
          'SET DEFAULT onto list partitions: every feedback of Ana deleted');
SELECT is((SELECT count(*)::int FROM dsc.late_fee WHERE customer_id = 1), 0,
          'CASCADE onto partitions: every late fee of Ana gone');
SELECT is((SELECT count(*)::int FROM dsc.rental WHERE customer_id = 1), 0, 'her rentals deleted');
SELECT is((SELECT count(*)::int FROM dsc.customer WHERE customer_id = 1), 0, 'her customer row deleted');
SELECT is(pg_temp.others(), (SELECT rows FROM c_others), 'Bob''s rows untouched');

SELECT is((SELECT array_agg(table_name::text || ' ' || rows_found || '/' || rows_deleted || '/' || rows_anonymized || '/' || rows_held
                            ORDER BY table_name::text) FROM c_report),
          (SELECT array_agg(table_name || ' ' || n || '/' || n || '/0/0' ORDER BY table_name) FROM c_ana),
          'the report: every row found was deleted, as counted before');
SELECT is((SELECT sum(rows_deleted) FROM c_report)::bigint, (SELECT sum(n) FROM c_ana)::bigint,
          'the report''s deleted rows are the rows that are gone');
SELECT is((SELECT tables FROM retention.dsr_request WHERE kind = 'erase' ORDER BY request_id DESC LIMIT 1),
          (SELECT jsonb_object_agg(table_name, jsonb_build_object('found', n, 'deleted', n, 'anonymized', 0, 'held', 0)) FROM c_ana),
          'the request log holds the same numbers');
SELECT is((SELECT rows_found FROM retention.dsr_request WHERE kind = 'erase' ORDER BY request_id DESC LIMIT 1),
          (SELECT sum(n) FROM c_ana)::bigint, 'the request log: rows found');
SELECT is((SELECT sum(rows_found) FROM retention.erase_subject('{"email": "ana@example.com", "customer_id": 1}'))::bigint, NULL::bigint,
          'a second erasure finds nothing');

SELECT * FROM finish();
ROLLBACK;
