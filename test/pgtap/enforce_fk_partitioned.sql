-- Foreign keys declared on a partitioned referencing table (issue 13 item 6,
-- the shape of older Pagila releases: payment, partitioned by month,
-- references rental through one key declared on payment): with a subject
-- hold, a due rental whose deletion would cascade to, or set NULL in, a held
-- payment is kept and counted blocked, in every partition, also one
-- attached with another column order; the others go and their payments
-- with them.  And the probe that asks this reads each partition once per
-- batch: it used to be a subplan run once per due row (the hold test calls
-- a volatile function, which kept the planner from making it a join), a
-- full read of the referencing table for every row enforced.
BEGIN;
SELECT plan(10);
SET LOCAL client_min_messages = warning;
SET LOCAL TimeZone = 'UTC';

SELECT FROM retention.define_category('fkp_rental', '1 day');
CREATE TABLE fkp_rental (rental_id int PRIMARY KEY, store_id int NOT NULL, rental_date timestamptz NOT NULL,
                         UNIQUE (rental_id, store_id));
SELECT FROM retention.tag_table('fkp_rental', 'fkp_rental', 'rental_date');

-- payment: a dropped column in the parent, one partition created with it,
-- one created apart with its own column order and attached
CREATE TABLE fkp_payment (payment_id int NOT NULL, gone text, customer_id int NOT NULL, rental_id int NOT NULL,
                          payment_date timestamptz NOT NULL)
    PARTITION BY RANGE (payment_date);
ALTER TABLE fkp_payment DROP COLUMN gone;
CREATE TABLE fkp_payment_2015_01 PARTITION OF fkp_payment FOR VALUES FROM ('2015-01-01') TO ('2015-02-01');
CREATE TABLE fkp_payment_2015_02 (payment_date timestamptz NOT NULL, rental_id int NOT NULL, other text,
                                  customer_id int NOT NULL, payment_id int NOT NULL);
ALTER TABLE fkp_payment_2015_02 DROP COLUMN other;
ALTER TABLE fkp_payment ATTACH PARTITION fkp_payment_2015_02 FOR VALUES FROM ('2015-02-01') TO ('2015-03-01');
ALTER TABLE fkp_payment ADD FOREIGN KEY (rental_id) REFERENCES fkp_rental ON DELETE CASCADE;
SELECT FROM retention.tag_column('fkp_payment', 'customer_id', subject => 'customer_id');

-- refund: a two-column key, ON DELETE SET NULL, and a column named i (the
-- probe's own name for a candidate's ordinal)
CREATE TABLE fkp_refund (refund_id int NOT NULL, rental_id int, store_id int, customer_id int NOT NULL,
                         refund_date timestamptz NOT NULL, i int)
    PARTITION BY RANGE (refund_date);
CREATE TABLE fkp_refund_2015 PARTITION OF fkp_refund FOR VALUES FROM ('2015-01-01') TO ('2016-01-01');
ALTER TABLE fkp_refund ADD FOREIGN KEY (rental_id, store_id) REFERENCES fkp_rental (rental_id, store_id)
    ON DELETE SET NULL;
SELECT FROM retention.tag_column('fkp_refund', 'customer_id', subject => 'customer_id');

-- 20 due rentals; customer 7 is held.  Rental 1: a held payment; 2: a held
-- payment in the attached partition; 5: one payment not held, one held (in
-- the other partition); 4: a held refund; 3 and 6: payments (and for 6 a
-- refund) not held; the others nothing.
INSERT INTO fkp_rental SELECT g, 1, now() - interval '10 days' FROM generate_series(1, 20) g;
INSERT INTO fkp_payment (payment_id, customer_id, rental_id, payment_date)
VALUES (1, 7, 1, '2015-01-10'), (3, 8, 3, '2015-01-10'), (5, 8, 5, '2015-01-10'),
       (2, 7, 2, '2015-02-10'), (6, 8, 6, '2015-02-10'), (7, 7, 5, '2015-02-10');
INSERT INTO fkp_refund VALUES (1, 4, 1, 7, '2015-03-01', 100), (2, 6, 1, 8, '2015-03-01', 4);
SELECT FROM retention.place_hold('case fkp', subject_kind => 'customer_id', subject_value => '7');
ANALYZE fkp_rental, fkp_payment, fkp_refund;

-- With so few rows the planner may well prefer a nested loop, which reads
-- the inner side once per outer row; with nested loops off a join is
-- hashed.  The old probe was no join at all but a subplan per due row.
SET LOCAL enable_nestloop = off;
SET LOCAL enable_mergejoin = off;
CREATE TEMP TABLE scans0 AS
SELECT relname, seq_scan FROM pg_stat_xact_user_tables WHERE relname LIKE 'fkp_payment_%';
SELECT is((SELECT rows_blocked FROM retention.preview() WHERE table_name = 'fkp_rental'::regclass), 4::bigint,
          'preview: 4 due rentals are kept by held payments or refunds');
SELECT is((SELECT pg_catalog.array_agg(s.relname || ':' || (s.seq_scan - s0.seq_scan) ORDER BY s.relname)
             FROM pg_stat_xact_user_tables s JOIN scans0 s0 USING (relname)),
          '{fkp_payment_2015_01:1,fkp_payment_2015_02:1}'::text[],
          'the probe read each payment partition once for all 20 due rentals, not once per rental');
RESET enable_nestloop;
RESET enable_mergejoin;

CALL retention.enforce();

SELECT is((SELECT pg_catalog.array_agg(rental_id ORDER BY rental_id) FROM fkp_rental), '{1,2,4,5}'::int[],
          'rentals whose payments or refunds are held stay; the others go');
SELECT is((SELECT rows_blocked FROM retention.action_log WHERE table_name = 'public.fkp_rental'), 4::bigint,
          'the kept rentals are counted blocked');
SELECT is((SELECT rows_processed FROM retention.action_log WHERE table_name = 'public.fkp_rental'), 16::bigint,
          'the 16 others are counted deleted');
SELECT is((SELECT pg_catalog.array_agg(payment_id ORDER BY payment_id) FROM fkp_payment), '{1,2,5,7}'::int[],
          'payments of deleted rentals went by cascade, in both partitions; held ones and their rentals'' stay');
SELECT is((SELECT pg_catalog.array_agg(payment_id ORDER BY payment_id) FROM fkp_payment_2015_02), '{2,7}'::int[],
          'the attached partition keeps its held payments');
SELECT is((SELECT (rental_id, store_id)::text FROM fkp_refund WHERE refund_id = 1), '(4,1)',
          'the held refund still references its rental');
SELECT is((SELECT (rental_id, store_id)::text FROM fkp_refund WHERE refund_id = 2), '(,)',
          'the refund of a deleted rental is set to NULL (both key columns)');

-- the hold released: the rest goes
SELECT FROM (SELECT retention.release_hold(h.hold_id) FROM retention.legal_hold h WHERE h.reason = 'case fkp') released;
CALL retention.enforce();
SELECT is((SELECT count(*) FROM fkp_rental) + (SELECT count(*) FROM fkp_payment), 0::bigint,
          'hold released: the kept rentals and their payments go');

SELECT * FROM finish();
ROLLBACK;
