-- retention.lint(), 0.2.0 checks: indexes on partitions count, foreign keys
-- that enforcement or erasure deletes through need an index, and personal
-- columns of a table tagged column by column need a tag of their own
-- (a new customer.mobile_phone column draws a finding).
\set VERBOSITY default
\set SHOW_CONTEXT never

SELECT name FROM retention.define_category('regress_cov_rows', '1 year');                        -- ok
SELECT name FROM retention.define_category('regress_cov_values', '6 months', action => 'nullify'); -- ok
CREATE SCHEMA regress_cov;                                       -- ok

--
-- Indexes on partitions count
--
CREATE TABLE regress_cov.call (
    call_id     bigint,
    started_at  timestamptz NOT NULL,
    caller      text
) PARTITION BY RANGE (started_at);                               -- ok
CREATE TABLE regress_cov.call_2024 PARTITION OF regress_cov.call
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');            -- ok
CREATE TABLE regress_cov.call_2025 PARTITION OF regress_cov.call
    FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');            -- ok
SELECT retention.tag_table('regress_cov.call', 'regress_cov_rows', 'started_at'); -- ok
SELECT retention.tag_column('regress_cov.call', 'caller', subject => 'phone');     -- ok
SELECT check_name, object FROM retention.lint('regress_cov') ORDER BY 1, 2;        -- ok: no index anywhere
-- an index on one partition only: still a scan of the other
CREATE INDEX ON regress_cov.call_2024 (started_at);              -- ok
SELECT check_name, object FROM retention.lint('regress_cov') WHERE check_name = 'anchor_without_index'; -- ok: reported
-- an index on every partition (none on the parent) serves the anchor
CREATE INDEX ON regress_cov.call_2025 (started_at);              -- ok
CREATE INDEX ON ONLY regress_cov.call (call_id);                 -- ok: an invalid parent index serves nothing
CREATE INDEX ON regress_cov.call_2024 (retention.normalize_identifier('phone', caller)); -- ok
CREATE INDEX ON regress_cov.call_2025 (retention.normalize_identifier('phone', caller)); -- ok
SELECT check_name, object FROM retention.lint('regress_cov') ORDER BY 1, 2;        -- ok: 0 rows, both served on every partition
-- a new partition without the index is reported again
CREATE TABLE regress_cov.call_2026 PARTITION OF regress_cov.call
    FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');            -- ok
SELECT check_name, object FROM retention.lint('regress_cov') ORDER BY 1, 2;        -- ok: anchor and subject again
DROP TABLE regress_cov.call_2026;                                -- ok

--
-- Foreign keys that enforcement or erasure deletes through
--
CREATE TABLE regress_cov.customer (
    customer_id  integer PRIMARY KEY,
    region       text NOT NULL,
    email        text,
    ended_at     timestamptz,
    UNIQUE (customer_id, region)
);                                                               -- ok
CREATE INDEX ON regress_cov.customer (ended_at);                 -- ok
CREATE INDEX ON regress_cov.customer (retention.normalize_identifier('email', email)); -- ok
SELECT retention.tag_table('regress_cov.customer', 'regress_cov_rows', 'ended_at');   -- ok
SELECT retention.tag_column('regress_cov.customer', 'email', subject => 'email');     -- ok
-- a child without an index on its key, one with, one with a two-column key
-- in the other order, and a grandchild that ON DELETE CASCADE reaches
CREATE TABLE regress_cov.invoice (
    invoice_id  integer PRIMARY KEY,
    customer_id integer REFERENCES regress_cov.customer
);                                                               -- ok
CREATE TABLE regress_cov.note (
    note_id     integer PRIMARY KEY,
    customer_id integer REFERENCES regress_cov.customer ON DELETE CASCADE
);                                                               -- ok
CREATE INDEX ON regress_cov.note (customer_id, note_id);         -- ok: leads with the key
CREATE TABLE regress_cov.contract (
    contract_id integer PRIMARY KEY,
    customer_id integer,
    region      text,
    FOREIGN KEY (customer_id, region) REFERENCES regress_cov.customer (customer_id, region) ON DELETE CASCADE
);                                                               -- ok
CREATE INDEX ON regress_cov.contract (region, customer_id);      -- ok: same columns, other order: serves
CREATE TABLE regress_cov.contract_line (
    line_id     integer PRIMARY KEY,
    contract_id integer REFERENCES regress_cov.contract ON DELETE CASCADE
);                                                               -- ok: deleted through contract
CREATE TABLE regress_cov.price_list (id integer PRIMARY KEY);    -- ok
CREATE TABLE regress_cov.offer (
    offer_id integer PRIMARY KEY,
    list_id  integer REFERENCES regress_cov.price_list
);                                                               -- ok: price_list rows are never deleted by us: quiet
-- a partitioned child with the index on every partition
CREATE TABLE regress_cov.usage (
    customer_id integer REFERENCES regress_cov.customer,
    day         date NOT NULL
) PARTITION BY RANGE (day);                                      -- ok
CREATE TABLE regress_cov.usage_2024 PARTITION OF regress_cov.usage
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');            -- ok
CREATE INDEX ON regress_cov.usage_2024 (customer_id);            -- ok
SELECT severity, check_name, object, message, hint
  FROM retention.lint('regress_cov')
 WHERE check_name = 'foreign_key_without_index';                 -- ok: invoice and contract_line
-- a table with subject identifiers only: erasure deletes the person's rows
CREATE TABLE regress_cov.subscriber (id integer PRIMARY KEY, email text);      -- ok
CREATE INDEX ON regress_cov.subscriber (retention.normalize_identifier('email', email)); -- ok
SELECT retention.tag_column('regress_cov.subscriber', 'email', subject => 'email');     -- ok
CREATE TABLE regress_cov.subscription (id integer PRIMARY KEY,
    subscriber_id integer REFERENCES regress_cov.subscriber ON DELETE CASCADE); -- ok
SELECT object, message FROM retention.lint('regress_cov')
 WHERE check_name = 'foreign_key_without_index' AND object LIKE '%subscription%'; -- ok: erasure
CREATE INDEX ON regress_cov.invoice (customer_id);               -- ok
CREATE INDEX ON regress_cov.contract_line (contract_id);         -- ok
CREATE INDEX ON regress_cov.subscription (subscriber_id);        -- ok
SELECT count(*) AS fk_findings FROM retention.lint('regress_cov')
 WHERE check_name = 'foreign_key_without_index';                 -- ok: 0
SELECT check_name FROM retention.lint_ignore('regress_cov.offer', 'list_id', 'reviewed', 'foreign_key_without_index'); -- ok: the check can be silenced

--
-- Likely-personal columns without a tag, on a table whose tag deletes rows
--
-- an e-mail or phone column next to subject identifiers: the subject search
-- misses it (customer has subject=email on email)
ALTER TABLE regress_cov.customer ADD COLUMN mobile_phone text;   -- ok
ALTER TABLE regress_cov.customer ADD COLUMN name text;           -- ok: a person's name, in a table of people
ALTER TABLE regress_cov.customer ADD COLUMN "billingAddress" text; -- ok
ALTER TABLE regress_cov.customer ADD COLUMN birth_date date;     -- ok
ALTER TABLE regress_cov.customer ADD COLUMN last_ip inet;        -- ok
ALTER TABLE regress_cov.customer ADD COLUMN plan_name text;      -- ok: not personal
ALTER TABLE regress_cov.customer ADD COLUMN mobile_app_version text; -- ok: not personal
SELECT severity, check_name, object, message
  FROM retention.lint('regress_cov')
 WHERE check_name LIKE 'untagged%';                              -- ok: mobile_phone only
SELECT hint FROM retention.lint('regress_cov')
 WHERE object = 'regress_cov.customer.mobile_phone';             -- ok
-- once a column has a retention rule of its own, every personal column
-- needs one (anonymization would pass it by)
ALTER TABLE regress_cov.customer ADD COLUMN street text;         -- ok
SELECT retention.tag_column('regress_cov.customer', 'street', 'regress_cov_values', 'ended_at'); -- ok
SELECT check_name, object, message
  FROM retention.lint('regress_cov')
 WHERE check_name LIKE 'untagged%';                              -- ok: mobile_phone, name, billingAddress, birth_date, last_ip
-- "name" counts only in a table of people
CREATE TABLE regress_cov.product (id integer PRIMARY KEY, name text, remark text, created_at timestamptz); -- ok
SELECT retention.tag_table('regress_cov.product', 'regress_cov_rows', 'created_at'); -- ok
SELECT retention.tag_column('regress_cov.product', 'remark', 'regress_cov_values', 'created_at'); -- ok: a column with a rule of its own
SELECT count(*) AS product_name_findings FROM retention.lint('regress_cov')
 WHERE object = 'regress_cov.product.name';                      -- ok: 0
-- a table tagged as a whole with no column tags: the row goes, nothing to report
CREATE TABLE regress_cov.visit_log (id integer, visited_at timestamptz, visitor_email text); -- ok
SELECT retention.tag_table('regress_cov.visit_log', 'regress_cov_rows', 'visited_at'); -- ok
SELECT count(*) AS visit_log_findings FROM retention.lint('regress_cov')
 WHERE object LIKE 'regress_cov.visit_log.%' AND check_name LIKE 'untagged%'; -- ok: 0
-- tagging or an exception silences the finding
SELECT retention.tag_column('regress_cov.customer', 'mobile_phone', 'regress_cov_values', 'ended_at',
                            subject => 'phone');                 -- ok
CREATE INDEX ON regress_cov.customer (retention.normalize_identifier('phone', mobile_phone)); -- ok
SELECT check_name FROM retention.lint_ignore('regress_cov.customer', 'last_ip', 'our own proxy address',
                                             'untagged_personal_column'); -- ok
SELECT object FROM retention.lint('regress_cov')
 WHERE check_name LIKE 'untagged%' ORDER BY 1;                   -- ok: name, billingAddress, birth_date
-- the exceptions accept the new checks, the argument check names them
SELECT check_name, column_name FROM retention.lint_exception
 WHERE table_name::text LIKE 'regress_cov.%' ORDER BY 1, 2;      -- ok

--
-- Clean up
--
DELETE FROM retention.lint_exception WHERE table_name::text LIKE 'regress_cov.%'; -- ok
DROP SCHEMA regress_cov CASCADE;                                 -- ok
SELECT retention.drop_category(c) FROM unnest(ARRAY['regress_cov_rows', 'regress_cov_values']) c; -- ok
