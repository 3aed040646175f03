-- blocked= on a table tag (issue 14 item 6): what a due row gets while rows
-- kept longer still reference it.
--   blocked=anonymize: its column tags' methods and its subject columns
--     (nullified; a NOT NULL text column gets a pseudonym), once, in the
--     delete batch that found them referenced; counted as anonymized in the
--     evidence and neither blocked nor overdue in preview/status;
--     unreferenced due rows are deleted; rows not yet due are untouched;
--     a subject hold keeps the row whole.
--   blocked=expected: unreferenced due rows go, referenced ones stay whole
--     and are not counted blocked (note: "referenced (expected)").
--   blocked=wait (and no key): 0.1.0's behaviour, counted blocked.
BEGIN;
SELECT plan(25);
SET LOCAL client_min_messages = warning;
SET LOCAL TimeZone = 'UTC';

SELECT FROM retention.define_category('blk_cust', '2 years');
SELECT FROM retention.define_category('blk_traffic', '10 years');
SELECT FROM retention.define_category('blk_name', '2 years', action => 'mask');

CREATE TABLE blk_customer (id int PRIMARY KEY, name text, email text, phone text NOT NULL,
                           plan text, last_seen timestamptz NOT NULL);
CREATE TABLE blk_traffic (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES blk_customer,
                          at timestamptz NOT NULL);
SELECT FROM retention.tag_table('blk_customer', 'blk_cust', 'last_seen');
SECURITY LABEL FOR retention ON TABLE blk_customer IS 'category=blk_cust anchor=last_seen blocked=anonymize';
SELECT FROM retention.tag_column('blk_customer', 'name', 'blk_name', 'last_seen');
SELECT FROM retention.tag_column('blk_customer', 'email', subject => 'email');
SELECT FROM retention.tag_column('blk_customer', 'phone', subject => 'phone');
SELECT FROM retention.tag_table('blk_traffic', 'blk_traffic', 'at');

-- 1: due, referenced; 2: due, unreferenced; 3: not due, referenced;
-- 4: due (one second ago), referenced; 5: due, referenced, under a subject hold
INSERT INTO blk_customer VALUES
  (1, 'Ana Horvat', 'ana@example.com', '+385911111111', 'gold', now() - interval '3 years'),
  (2, 'Ivo Ivić', 'ivo@example.com', '+385912222222', 'gold', now() - interval '3 years'),
  (3, 'Eva Kos', 'eva@example.com', '+385913333333', 'gold', now() - interval '2 years' + interval '1 hour'),
  (4, 'Ema Lun', 'ema@example.com', '+385914444444', 'gold', now() - interval '2 years' - interval '1 second'),
  (5, 'Ida Mak', 'ida@example.com', '+385915555555', 'gold', now() - interval '3 years');
INSERT INTO blk_traffic VALUES (1, 1, now()), (3, 3, now()), (4, 4, now()), (5, 5, now());
SELECT FROM retention.place_hold('case 7', subject_kind => 'email', subject_value => 'ida@example.com');

SELECT is((SELECT rows_blocked FROM retention.preview() WHERE table_name = 'blk_customer'::regclass AND column_name IS NULL),
          0::bigint, 'preview: referenced due rows of a blocked=anonymize table are not counted blocked');
SELECT ok((SELECT note FROM retention.preview() WHERE table_name = 'blk_customer'::regclass AND column_name IS NULL)
          LIKE '2 still referenced: anonymized instead of deleted%', 'preview: the note says how many are anonymized instead');

CALL retention.enforce(table_name => 'blk_customer');

SELECT is((SELECT count(*) FROM blk_customer WHERE id = 2), 0::bigint, 'due unreferenced row deleted');
SELECT is((SELECT row(name, email, plan) FROM blk_customer WHERE id = 1)::text,
          row('********at', NULL::text, 'gold')::text,
          'due referenced row: column tag method (mask), nullable subject column nullified, other columns kept');
SELECT ok((SELECT phone <> '+385911111111' AND length(phone) = 64 FROM blk_customer WHERE id = 1),
          'NOT NULL subject column replaced by a keyed pseudonym');
SELECT is((SELECT row(name, email, phone) FROM blk_customer WHERE id = 4)::text,
          row('*****un', NULL::text, (SELECT phone FROM blk_customer WHERE id = 4))::text,
          'due one second ago: anonymized');
SELECT is((SELECT row(name, email, phone) FROM blk_customer WHERE id = 3)::text,
          row('Eva Kos', 'eva@example.com', '+385913333333')::text,
          'not due yet (an hour left): untouched');
SELECT is((SELECT row(name, email, phone) FROM blk_customer WHERE id = 5)::text,
          row('Ida Mak', 'ida@example.com', '+385915555555')::text,
          'under a subject hold: kept whole');
SELECT is((SELECT rows_blocked FROM retention.action_log WHERE table_name = 'public.blk_customer' AND action = 'delete'),
          0::bigint, 'evidence: the delete job counts no blocked rows');
SELECT is((SELECT rows_processed FROM retention.action_log WHERE table_name = 'public.blk_customer' AND action = 'delete'),
          1::bigint, 'evidence: one row deleted');
SELECT is((SELECT values_processed[1] FROM retention.action_log WHERE table_name = 'public.blk_customer' AND action = 'delete'),
          2::bigint, 'evidence: two referenced rows anonymized instead (values_processed of the delete job)');

SELECT is((SELECT row(rows_overdue, rows_blocked)::text FROM retention.status
            WHERE table_name = 'blk_customer'::regclass AND column_name IS NULL), '(0,0)',
          'status after the run: the anonymized referenced rows are neither overdue nor blocked');
SELECT is((SELECT rows_blocked FROM retention.run ORDER BY run_id DESC LIMIT 1), 0::bigint,
          'run evidence: nothing counted blocked');

-- once: a second run changes nothing
CREATE TEMP TABLE blk_before AS SELECT * FROM blk_customer;
CALL retention.enforce(table_name => 'blk_customer');
SELECT is((SELECT count(*) FROM blk_customer c JOIN blk_before b USING (id)
            WHERE row(c.*)::text = row(b.*)::text), 4::bigint, 'second run: nothing anonymized again');
SELECT is((SELECT values_processed[1] FROM retention.action_log
            WHERE table_name = 'public.blk_customer' AND action = 'delete'
              AND run_id = (SELECT max(run_id) FROM retention.run)), 0::bigint,
          'second run: evidence records no anonymization');

-- blocked=expected: shared addresses
SELECT FROM retention.define_category('blk_addr', '1 year');
CREATE TABLE blk_address (id int PRIMARY KEY, street text, updated_at timestamptz NOT NULL);
CREATE TABLE blk_person (id int PRIMARY KEY, address_id int REFERENCES blk_address);
SECURITY LABEL FOR retention ON TABLE blk_address IS 'category=blk_addr anchor=updated_at blocked=expected';
INSERT INTO blk_address VALUES (1, 'Ilica 1', now() - interval '2 years'), (2, 'Ilica 2', now() - interval '2 years'),
                               (3, 'Ilica 3', now());
INSERT INTO blk_person VALUES (1, 1), (2, 1);
SELECT is((SELECT rows_blocked FROM retention.preview() WHERE table_name = 'blk_address'::regclass), 0::bigint,
          'blocked=expected: referenced due rows are not counted blocked');
SELECT is((SELECT note FROM retention.preview() WHERE table_name = 'blk_address'::regclass), '1 referenced (expected)',
          'blocked=expected: the note says referenced (expected)');
CALL retention.enforce(table_name => 'blk_address');
SELECT is((SELECT row(rows_overdue, rows_blocked, note)::text FROM retention.status WHERE table_name = 'blk_address'::regclass),
          row(0, 0, '1 referenced (expected)')::text, 'blocked=expected: status shows nothing to flag, and says why');
SELECT is((SELECT array_agg(id ORDER BY id) FROM blk_address), '{1,3}'::int[],
          'blocked=expected: the unreferenced due address went, the referenced one and the new one stay');
SELECT is((SELECT street FROM blk_address WHERE id = 1), 'Ilica 1', 'blocked=expected: the referenced row stays whole');
SELECT is((SELECT rows_blocked FROM retention.action_log WHERE table_name = 'public.blk_address'), 0::bigint,
          'blocked=expected: evidence counts no blocked rows');

-- blocked=wait: as in 0.1.0
SELECT FROM retention.define_category('blk_w', '1 year');
CREATE TABLE blk_wait (id int PRIMARY KEY, at timestamptz NOT NULL);
CREATE TABLE blk_wait_ref (id int PRIMARY KEY, wait_id int REFERENCES blk_wait);
SECURITY LABEL FOR retention ON TABLE blk_wait IS 'category=blk_w anchor=at blocked=wait';
INSERT INTO blk_wait VALUES (1, now() - interval '2 years'), (2, now() - interval '2 years');
INSERT INTO blk_wait_ref VALUES (1, 1);
SELECT is((SELECT rows_blocked FROM retention.preview() WHERE table_name = 'blk_wait'::regclass), 1::bigint,
          'blocked=wait: counted blocked');
CALL retention.enforce(table_name => 'blk_wait');
SELECT is((SELECT array_agg(id) FROM blk_wait), '{1}'::int[], 'blocked=wait: the referenced row stays');
SELECT is((SELECT rows_blocked FROM retention.action_log WHERE table_name = 'public.blk_wait'), 1::bigint,
          'blocked=wait: evidence counts it blocked');

-- validation at tag time: a NOT NULL identifier that cannot be removed
CREATE TABLE blk_nn (id int PRIMARY KEY, customer_no bigint NOT NULL, at timestamptz NOT NULL);
SELECT FROM retention.tag_column('blk_nn', 'customer_no', subject => 'customer_id');
SELECT throws_ok($$SECURITY LABEL FOR retention ON TABLE blk_nn IS 'category=blk_w anchor=at blocked=anonymize'$$,
                 '42P17', 'blocked=anonymize cannot remove the identifier in column customer_no',
                 'blocked=anonymize refused while a NOT NULL non-text subject column cannot be removed');

SELECT * FROM finish();
ROLLBACK;
