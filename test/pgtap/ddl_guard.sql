-- The DDL guard: schema changes on tagged tables either keep the tags
-- correct (renames rewrite the labels) or are refused with an error naming
-- the tag they would break, and then change nothing.
BEGIN;
SELECT plan(63);

-- The rewrites report themselves with a NOTICE; keep the TAP stream clean.
SET LOCAL client_min_messages = warning;

-- The full error of a statement that fails (pgTAP checks SQLSTATE and
-- message only; DETAIL and HINT are part of the contract too).
CREATE FUNCTION pg_temp.regress_error_of(statement text,
    OUT state text, OUT message text, OUT detail text, OUT hint text)
LANGUAGE plpgsql AS $fn$
BEGIN
    EXECUTE statement;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
                            detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
END
$fn$;

SELECT FROM retention.define_category('regress_rows', '1 year');
SELECT FROM retention.define_category('regress_anon', '6 months', action => 'nullify');

CREATE SCHEMA regress_sales;
CREATE TABLE regress_sales.account (id int PRIMARY KEY, ended_at timestamptz);
CREATE TABLE regress_customer (id int PRIMARY KEY, ended_at timestamptz);
CREATE TABLE regress_order (
    id          int PRIMARY KEY,
    customer_id int REFERENCES regress_customer,
    account_id  int REFERENCES regress_sales.account,
    placed_at   timestamptz NOT NULL,
    shipped_on  timestamp,
    email       text,
    phone       text,
    postcode    text NOT NULL DEFAULT '00000',
    memo        text,
    untagged    text
);

SECURITY LABEL FOR retention ON TABLE regress_order
    IS 'category=regress_rows anchor=placed_at';
SECURITY LABEL FOR retention ON COLUMN regress_order.email
    IS 'category=regress_anon anchor=customer_id->regress_customer.ended_at';
SECURITY LABEL FOR retention ON COLUMN regress_order.phone
    IS 'category=regress_anon anchor=account_id->regress_sales.account.ended_at action=hash';
SECURITY LABEL FOR retention ON COLUMN regress_order.postcode
    IS 'category=regress_anon anchor=shipped_on action=default';
SECURITY LABEL FOR retention ON COLUMN regress_order.memo
    IS 'category=regress_anon anchor=placed_at';

SELECT results_eq(
    $$SELECT count(*)::int, bool_and(valid) FROM retention.tags
       WHERE table_name = 'regress_order'::regclass$$,
    $$VALUES (5, true)$$,
    'setup: five valid tags on regress_order');

-- ---------------------------------------------------------------------
-- Renames rewrite the labels
-- ---------------------------------------------------------------------
SELECT lives_ok(
    $$ALTER TABLE regress_order RENAME COLUMN placed_at TO ordered_at$$,
    'a local anchor column can be renamed');

SELECT results_eq(
    $$SELECT column_name, anchor, label, valid FROM retention.tags
       WHERE table_name = 'regress_order'::regclass AND (column_name IS NULL OR column_name = 'memo')
       ORDER BY column_name NULLS FIRST$$,
    $$VALUES (NULL::name, 'ordered_at'::text, 'category=regress_rows anchor=ordered_at'::text, true),
             ('memo', 'ordered_at', 'category=regress_anon anchor=ordered_at', true)$$,
    'every label anchored on the renamed column now names its new name');

SELECT lives_ok(
    $$ALTER TABLE regress_order RENAME COLUMN customer_id TO buyer_id$$,
    'the column behind an FK anchor can be renamed');

SELECT results_eq(
    $$SELECT anchor, label, valid FROM retention.tags
       WHERE table_name = 'regress_order'::regclass AND column_name = 'email'$$,
    $$VALUES ('buyer_id->regress_customer.ended_at'::text,
              'category=regress_anon anchor=buyer_id->regress_customer.ended_at'::text, true)$$,
    'the FK anchor names the renamed FK column');

SELECT lives_ok(
    $$ALTER TABLE regress_customer RENAME TO regress_buyer$$,
    'the parent table of an FK anchor can be renamed');

SELECT results_eq(
    $$SELECT anchor, anchor_table, valid FROM retention.tags
       WHERE table_name = 'regress_order'::regclass AND column_name = 'email'$$,
    $$VALUES ('buyer_id->regress_buyer.ended_at'::text, 'regress_buyer'::regclass, true)$$,
    'the FK anchor names the renamed parent table');

SELECT lives_ok(
    $$ALTER TABLE regress_buyer RENAME COLUMN ended_at TO left_at$$,
    'the parent''s anchor column can be renamed');

SELECT results_eq(
    $$SELECT label, valid FROM retention.tags
       WHERE table_name = 'regress_order'::regclass AND column_name = 'email'$$,
    $$VALUES ('category=regress_anon anchor=buyer_id->regress_buyer.left_at'::text, true)$$,
    'the child''s label names the renamed parent column');

CREATE SCHEMA regress_archive;
SELECT lives_ok(
    $$ALTER TABLE regress_sales.account SET SCHEMA regress_archive$$,
    'the parent of a schema-qualified FK anchor can move to another schema');

SELECT results_eq(
    $$SELECT label, anchor_table, valid FROM retention.tags
       WHERE table_name = 'regress_order'::regclass AND column_name = 'phone'$$,
    $$VALUES ('category=regress_anon anchor=account_id->regress_archive.account.ended_at action=hash'::text,
              'regress_archive.account'::regclass, true)$$,
    'the schema-qualified FK anchor names the new schema');

SELECT lives_ok(
    $$ALTER SCHEMA regress_archive RENAME TO regress_history$$,
    'the schema of a schema-qualified FK anchor can be renamed');

SELECT results_eq(
    $$SELECT label, anchor_table, valid FROM retention.tags
       WHERE table_name = 'regress_order'::regclass AND column_name = 'phone'$$,
    $$VALUES ('category=regress_anon anchor=account_id->regress_history.account.ended_at action=hash'::text,
              'regress_history.account'::regclass, true)$$,
    'the schema-qualified FK anchor names the renamed schema');

SELECT lives_ok(
    $$ALTER TABLE regress_order RENAME TO regress_purchase$$,
    'a tagged table can be renamed');

SELECT results_eq(
    $$SELECT column_name, label FROM retention.tags
       WHERE table_name = 'regress_purchase'::regclass ORDER BY column_name NULLS FIRST$$,
    $$VALUES (NULL::name, 'category=regress_rows anchor=ordered_at'::text),
             ('email', 'category=regress_anon anchor=buyer_id->regress_buyer.left_at'),
             ('memo', 'category=regress_anon anchor=ordered_at'),
             ('phone', 'category=regress_anon anchor=account_id->regress_history.account.ended_at action=hash'),
             ('postcode', 'category=regress_anon anchor=shipped_on action=default')$$,
    'the renamed table keeps all of its tags');

-- ---------------------------------------------------------------------
-- Dropping a tagged column or table: the tag goes with it
-- ---------------------------------------------------------------------
SELECT lives_ok(
    $$ALTER TABLE regress_purchase DROP COLUMN memo$$,
    'a tagged column that nothing anchors on can be dropped');

SELECT results_eq(
    $$SELECT count(*)::int FROM retention.tags WHERE table_name = 'regress_purchase'::regclass$$,
    $$VALUES (4)$$,
    'the dropped column''s tag is gone, the others remain');

CREATE TABLE regress_scratch (id int, at timestamptz, note text);
SECURITY LABEL FOR retention ON TABLE regress_scratch IS 'category=regress_rows anchor=at';
SECURITY LABEL FOR retention ON COLUMN regress_scratch.note IS 'category=regress_anon anchor=at';
SELECT lives_ok(
    $$DROP TABLE regress_scratch$$,
    'a tagged table can be dropped');
SELECT is(
    (SELECT count(*)::int FROM pg_seclabel WHERE provider = 'retention'
        AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = objoid)),
    0,
    'no retention label is left behind by the dropped table');

-- ---------------------------------------------------------------------
-- Changes that would break a tag are refused and change nothing
-- ---------------------------------------------------------------------
SELECT throws_ok(
    $$ALTER TABLE regress_purchase DROP COLUMN ordered_at$$,
    '2BP01', 'this command would break the retention tag on table public.regress_purchase',
    'dropping a local anchor column is refused');
SELECT has_column('regress_purchase', 'ordered_at',
    'the refused drop left the anchor column in place');
SELECT results_eq(
    $$SELECT * FROM pg_temp.regress_error_of('ALTER TABLE regress_purchase DROP COLUMN ordered_at')$$,
    $$VALUES ('2BP01'::text,
              'this command would break the retention tag on table public.regress_purchase'::text,
              'Column "ordered_at" is the tag''s anchor. Label: category=regress_rows anchor=ordered_at'::text,
              'Change or remove the tag first (retention.tag_table, retention.tag_column, retention.untag), then repeat the command.'::text)$$,
    'the refusal''s DETAIL names the problem and the label, and its HINT says what to do');

SELECT throws_like(
    $$ALTER TABLE regress_buyer DROP COLUMN left_at$$,
    'this command would break the retention tag on%',
    'dropping the parent''s anchor column is refused');
SELECT throws_ok(
    $$ALTER TABLE regress_buyer DROP COLUMN left_at$$,
    '2BP01', 'this command would break the retention tag on column public.regress_purchase.email',
    'the refusal names the tag anchored on the parent''s column');
SELECT has_column('regress_buyer', 'left_at',
    'the refused drop left the parent''s anchor column in place');

SELECT throws_ok(
    $$ALTER TABLE regress_purchase DROP CONSTRAINT regress_order_customer_id_fkey$$,
    '2BP01', 'this command would break the retention tag on column public.regress_purchase.email',
    'dropping the foreign key behind an FK anchor is refused');
SELECT fk_ok('public', 'regress_purchase', 'buyer_id', 'public', 'regress_buyer', 'id',
    'the refused drop left the foreign key in place');

SELECT throws_ok(
    $$DROP TABLE regress_buyer CASCADE$$,
    '2BP01', 'this command would break the retention tag on column public.regress_purchase.email',
    'dropping the parent of an FK anchor with CASCADE is refused');
SELECT has_table('regress_buyer',
    'the refused DROP TABLE left the parent in place');

SELECT throws_ok(
    $$DROP SCHEMA regress_history CASCADE$$,
    '2BP01', 'this command would break the retention tag on column public.regress_purchase.phone',
    'dropping the schema that holds the parent of an FK anchor is refused');
SELECT has_table('regress_history', 'account',
    'the refused DROP SCHEMA left the parent in place');

SELECT throws_ok(
    $$ALTER TABLE regress_purchase ALTER COLUMN ordered_at TYPE text$$,
    '42804', 'this command would break the retention tag on table public.regress_purchase',
    'changing an anchor to a type that is not a date or timestamp is refused');
SELECT col_type_is('regress_purchase', 'ordered_at', 'timestamp with time zone',
    'the refused type change left the anchor''s type');

SELECT throws_ok(
    $$ALTER TABLE regress_buyer ALTER COLUMN left_at TYPE text$$,
    '42804', 'this command would break the retention tag on column public.regress_purchase.email',
    'changing the parent''s anchor to text is refused');

SELECT lives_ok(
    $$ALTER TABLE regress_purchase ALTER COLUMN shipped_on TYPE timestamptz$$,
    'changing an anchor from timestamp to timestamptz is allowed');
SELECT results_eq(
    $$SELECT label, valid FROM retention.tags
       WHERE table_name = 'regress_purchase'::regclass AND column_name = 'postcode'$$,
    $$VALUES ('category=regress_anon anchor=shipped_on action=default'::text, true)$$,
    'the tag anchored on the retyped column is unchanged and valid');

SELECT throws_ok(
    $$ALTER TABLE regress_purchase ALTER COLUMN phone TYPE integer USING length(phone)$$,
    '42804', 'this command would break the retention tag on column public.regress_purchase.phone',
    'changing a hash-tagged text column to integer is refused');
SELECT throws_ok(
    $$ALTER TABLE regress_purchase ALTER COLUMN phone TYPE varchar(8)$$,
    '42804', 'this command would break the retention tag on column public.regress_purchase.phone',
    'narrowing a hash-tagged column below the pseudonym length is refused');
SELECT col_type_is('regress_purchase', 'phone', 'text',
    'the refused type changes left the hash-tagged column as text');

SELECT throws_ok(
    $$ALTER TABLE regress_purchase ALTER COLUMN email SET NOT NULL$$,
    '42P17', 'this command would break the retention tag on column public.regress_purchase.email',
    'SET NOT NULL on a column whose tag nullifies it is refused');
SELECT col_is_null('regress_purchase', 'email',
    'the refused SET NOT NULL left the column nullable');

SELECT throws_ok(
    $$ALTER TABLE regress_purchase ALTER COLUMN postcode DROP DEFAULT$$,
    '42P17', 'this command would break the retention tag on column public.regress_purchase.postcode',
    'DROP DEFAULT on a NOT NULL column whose tag resets it to its default is refused');
SELECT col_has_default('regress_purchase', 'postcode',
    'the refused DROP DEFAULT left the default');

-- ---------------------------------------------------------------------
-- Partitions
-- ---------------------------------------------------------------------
CREATE TABLE regress_log (id bigint, at timestamptz NOT NULL, ip inet) PARTITION BY RANGE (at);
CREATE TABLE regress_log_2024 (id bigint, at timestamptz NOT NULL, ip inet);
SECURITY LABEL FOR retention ON TABLE regress_log_2024 IS 'category=regress_rows anchor=at';

SELECT throws_ok(
    $$ALTER TABLE regress_log ATTACH PARTITION regress_log_2024
          FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')$$,
    '0A000', 'this command would break the retention tag on table public.regress_log_2024',
    'attaching a tagged table as a partition is refused');
SELECT is(
    (SELECT relispartition FROM pg_class WHERE oid = 'regress_log_2024'::regclass),
    false,
    'the refused ATTACH left the table standalone');

SECURITY LABEL FOR retention ON TABLE regress_log IS 'category=regress_rows anchor=at';
CREATE TABLE regress_log_2025 PARTITION OF regress_log
    FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
SELECT lives_ok(
    $$ALTER TABLE regress_log DETACH PARTITION regress_log_2025$$,
    'a partition of a tagged table can be detached');
SELECT results_eq(
    $$SELECT table_name, valid FROM retention.tags
       WHERE table_name IN ('regress_log'::regclass, 'regress_log_2025'::regclass)$$,
    $$VALUES ('regress_log'::regclass, true)$$,
    'after DETACH the partitioned table keeps its valid tag and the detached table has none');

-- ---------------------------------------------------------------------
-- DROP OWNED that would take the parent of an FK anchor
-- ---------------------------------------------------------------------
CREATE ROLE regress_vendor_owner NOLOGIN;
CREATE TABLE regress_vendor (id int PRIMARY KEY, contract_end date);
ALTER TABLE regress_vendor OWNER TO regress_vendor_owner;
CREATE TABLE regress_invoice (id int, vendor_id int REFERENCES regress_vendor);
SECURITY LABEL FOR retention ON TABLE regress_invoice
    IS 'category=regress_rows anchor=vendor_id->regress_vendor.contract_end';
SELECT throws_ok(
    $$DROP OWNED BY regress_vendor_owner CASCADE$$,
    '2BP01', 'this command would break the retention tag on table public.regress_invoice',
    'DROP OWNED that would drop the parent of an FK anchor is refused');
SELECT has_table('regress_vendor', 'the refused DROP OWNED left the parent in place');

-- ---------------------------------------------------------------------
-- Changes that rebuild the foreign key keep the tag
-- ---------------------------------------------------------------------
SELECT lives_ok(
    $$ALTER TABLE regress_purchase ALTER COLUMN buyer_id TYPE bigint$$,
    'widening the FK column behind an FK anchor (int to bigint) is allowed');
SELECT lives_ok(
    $$ALTER TABLE regress_buyer ALTER COLUMN id TYPE bigint$$,
    'widening the key the FK anchor references (int to bigint) is allowed');
SELECT lives_ok(
    $$ALTER TABLE regress_purchase
          DROP CONSTRAINT regress_order_customer_id_fkey,
          ADD CONSTRAINT regress_purchase_buyer_fkey FOREIGN KEY (buyer_id)
              REFERENCES regress_buyer ON DELETE SET NULL$$,
    'replacing the FK behind an FK anchor in one ALTER TABLE (to change ON DELETE) is allowed');
SELECT results_eq(
    $$SELECT label, anchor_table, valid FROM retention.tags
       WHERE table_name = 'regress_purchase'::regclass AND column_name = 'email'$$,
    $$VALUES ('category=regress_anon anchor=buyer_id->regress_buyer.left_at'::text,
              'regress_buyer'::regclass, true)$$,
    'the FK-anchored tag is unchanged and valid after the FK was rebuilt');

-- ---------------------------------------------------------------------
-- Untagged objects are not affected
-- ---------------------------------------------------------------------
CREATE TABLE regress_untagged (id int PRIMARY KEY, at timestamptz, note text);
CREATE TABLE regress_untagged_child (id int, parent_id int REFERENCES regress_untagged);
SELECT lives_ok(
    $$ALTER TABLE regress_untagged RENAME COLUMN at TO happened_at$$,
    'renaming a column of an untagged table works');
SELECT lives_ok(
    $$ALTER TABLE regress_untagged ALTER COLUMN happened_at TYPE text$$,
    'changing a column type of an untagged table works');
SELECT lives_ok(
    $$ALTER TABLE regress_untagged DROP COLUMN happened_at$$,
    'dropping a column of an untagged table works');
SELECT lives_ok(
    $$DROP TABLE regress_untagged CASCADE$$,
    'dropping an untagged table with CASCADE works');
SELECT lives_ok(
    $$ALTER TABLE regress_purchase ALTER COLUMN untagged TYPE varchar(3)$$,
    'changing the type of an untagged column of a tagged table works');
SELECT lives_ok(
    $$ALTER TABLE regress_purchase DROP COLUMN untagged$$,
    'dropping an untagged column of a tagged table works');

-- ---------------------------------------------------------------------
-- session_replication_role = replica does not switch the guard off
-- ---------------------------------------------------------------------
SET LOCAL session_replication_role = replica;
SELECT throws_ok(
    $$ALTER TABLE regress_purchase DROP COLUMN ordered_at$$,
    '2BP01', 'this command would break the retention tag on table public.regress_purchase',
    'with session_replication_role = replica the guard still refuses dropping an anchor');
SELECT lives_ok(
    $$ALTER TABLE regress_purchase RENAME COLUMN ordered_at TO booked_at$$,
    'with session_replication_role = replica an anchor can be renamed');
SELECT is(
    (SELECT label FROM retention.tags
      WHERE table_name = 'regress_purchase'::regclass AND column_name IS NULL),
    'category=regress_rows anchor=booked_at',
    'with session_replication_role = replica the label still follows the rename');
RESET session_replication_role;

SELECT results_eq(
    $$SELECT count(*)::int, bool_and(valid) FROM retention.tags$$,
    $$VALUES (7, true)$$,
    'at the end every tag of this file is still valid');

SELECT * FROM finish();
ROLLBACK;
