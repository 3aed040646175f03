-- retention.lint(): each check fires on a small schema (and stays quiet
-- where it should), exceptions silence reviewed findings and are reported
-- once stale, the output order is fixed, and who may do what.
\set VERBOSITY default
\set SHOW_CONTEXT never
-- try(sql): 'ok' or the error (test/sql/try.sql, shared by the pg_regress files)
\set ECHO none
\i test/sql/try.sql
\set ECHO all

--
-- Which names look like personal data (word boundaries of snake_case and
-- camelCase; a trailing id/count/type/... describes something else)
--
SELECT n AS column_name, retention._lint_name_term(n) AS term
  FROM unnest(ARRAY['email', 'e_mail', 'EmailAddress', 'customerEmail', 'firstName',
                    'last_name', 'surname', 'msisdn', 'phone2', 'fax', 'IPAddress',
                    'ip_addr', 'client_ipv4', 'user_agent', 'postal_code', 'zip', 'street',
                    'date_of_birth', 'dob', 'tax_id', 'iban', 'card_number', 'passport_no',
                    'latitude', 'mac_address',
                    'address_id', 'email_status', 'email_count', 'ship_date', 'zipper',
                    'shipment', 'name', 'company', 'description', 'emailed',
                    'mobile_app_version']) n;                    -- ok: the last ten are not personal data

--
-- A small schema
--
SELECT name FROM retention.define_category('regress_lint_rows', '1 year');                       -- ok
SELECT name FROM retention.define_category('regress_lint_values', '6 months', action => 'nullify'); -- ok
SELECT name FROM retention.define_category('regress_lint_unused', '2 years');                    -- ok
SELECT name FROM retention.define_category('regress_lint_planned', '2 years');                   -- ok
CREATE SCHEMA regress_lint;                                      -- ok
-- no tag at all: personal data by name (snake_case, camelCase, a date of
-- birth) and by type; the rest is not personal data
CREATE TABLE regress_lint.visitor (
    id            integer PRIMARY KEY,
    created_at    timestamptz NOT NULL,
    email         text,
    "firstName"   text,
    phone_number  varchar(20),
    client        inet,
    device        macaddr,
    date_of_birth date,
    email_verified boolean,
    email_sent_at timestamptz,
    address_id    integer,
    note          text
);                                                               -- ok
-- a table tag covers every column
CREATE TABLE regress_lint.covered (
    id         integer PRIMARY KEY,
    created_at timestamptz NOT NULL,
    email      text,
    ip         inet
);                                                               -- ok
SELECT retention.tag_table('regress_lint.covered', 'regress_lint_rows', 'created_at'); -- ok
-- column tags cover their columns only; a column tag with a category is a
-- retention rule for the table
CREATE TABLE regress_lint.contact (
    id         integer PRIMARY KEY,
    created_at timestamptz NOT NULL,
    email      text,
    phone      text,
    city       text
);                                                               -- ok
CREATE INDEX ON regress_lint.contact (created_at);               -- ok
CREATE INDEX ON regress_lint.contact (lower(email));             -- ok: but the search does not use it
CREATE INDEX ON regress_lint.contact (retention.normalize_identifier('email', email)); -- ok: the expression the search uses
SELECT retention.tag_column('regress_lint.contact', 'email', subject => 'email');       -- ok
SELECT retention.tag_column('regress_lint.contact', 'phone', 'regress_lint_values', 'created_at',
                            subject => 'phone');                 -- ok
-- subject identifiers but no retention rule at all
CREATE TABLE regress_lint.subscriber (
    id    integer PRIMARY KEY,
    email text,
    "Phone" text
);                                                               -- ok
SELECT retention.tag_column('regress_lint.subscriber', 'email', subject => 'email');    -- ok
SELECT retention.tag_column('regress_lint.subscriber', 'Phone', subject => 'phone');    -- ok
-- foreign-key anchor: the index that matters is on the parent's column
CREATE TABLE regress_lint.account (
    id       integer PRIMARY KEY,
    ended_at timestamptz
);                                                               -- ok
CREATE TABLE regress_lint.member (
    id         integer PRIMARY KEY,
    account_id integer REFERENCES regress_lint.account,
    full_name  text
);                                                               -- ok
CREATE INDEX ON regress_lint.member (account_id);                -- ok: not the anchor
SELECT retention.tag_table('regress_lint.member', 'regress_lint_rows', 'account_id->account.ended_at'); -- ok
-- partitions are covered by their parent's tag and never reported
CREATE TABLE regress_lint.event (
    occurred_at timestamptz NOT NULL,
    ip_address  inet
) PARTITION BY RANGE (occurred_at);                              -- ok
CREATE TABLE regress_lint.event_2024 PARTITION OF regress_lint.event
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');            -- ok
CREATE INDEX ON regress_lint.event (occurred_at);                -- ok
SELECT retention.tag_table('regress_lint.event', 'regress_lint_rows', 'occurred_at'); -- ok
-- a tag broken behind the provider's back (a restore without the category)
CREATE TABLE regress_lint.legacy (
    id         integer PRIMARY KEY,
    created_at timestamptz
);                                                               -- ok
SET check_function_bodies = off;                                 -- ok: restore mode checks the grammar only
SECURITY LABEL FOR retention ON TABLE regress_lint.legacy
    IS 'category=regress_lint_gone anchor=created_at';           -- ok
RESET check_function_bodies;                                     -- ok
-- temporary tables are nobody's policy
CREATE TEMP TABLE regress_lint_scratch (email text);             -- ok

--
-- The findings, in their fixed order: warnings first, then by check and object
--
SELECT severity, check_name, object, message
  FROM retention.lint('regress_lint');                           -- ok
SELECT severity, check_name, object, message
  FROM retention.lint()
 WHERE check_name = 'unused_category' AND object LIKE 'regress\_lint%'; -- ok: categories are not in a schema
SELECT count(*) AS evidence_category_reported FROM retention.lint()
 WHERE object = 'retention_evidence';                            -- ok: 0, it is the logs' own rule
SELECT count(*) AS findings_outside_regress_lint
  FROM retention.lint('regress_lint') l
 WHERE l.object NOT LIKE 'regress\_lint.%';                      -- ok: 0
-- the hints say what to change
SELECT check_name, object, hint
  FROM retention.lint('regress_lint')
 WHERE object IN ('regress_lint.visitor.email', 'regress_lint.subscriber',
                  'regress_lint.member', 'regress_lint.subscriber.email',
                  'regress_lint.legacy')
 ORDER BY check_name, object;                                    -- ok
SELECT hint FROM retention.lint()
 WHERE check_name = 'unused_category' AND object = 'regress_lint_unused'; -- ok
-- the same order every time
SELECT array_agg(l ORDER BY ordinality) = (SELECT array_agg(l2 ORDER BY ordinality)
                                             FROM retention.lint('regress_lint') WITH ORDINALITY l2)
       AS same_order
  FROM retention.lint('regress_lint') WITH ORDINALITY l;         -- ok: t
SELECT count(*) AS findings_in_empty_schema FROM retention.lint('pg_toast'); -- ok: 0
SELECT count(*) AS findings_in_missing_schema FROM retention.lint('regress_no_such_schema'); -- ok: 0

--
-- Fixing things makes findings go away
--
CREATE INDEX ON regress_lint.account (ended_at);                 -- ok
CREATE INDEX ON regress_lint.subscriber (retention.normalize_identifier('phone', "Phone")); -- ok
SELECT retention.tag_table('regress_lint.subscriber', 'regress_lint_rows', 'id'); -- fails: id is no date
SELECT retention.tag_column('regress_lint.visitor', 'email', 'regress_lint_values', 'created_at'); -- ok
SELECT retention.tag_table('regress_lint.legacy', 'regress_lint_rows', 'created_at');              -- ok: repaired
SELECT severity, check_name, object
  FROM retention.lint('regress_lint');                           -- ok: member, legacy, visitor.email, subscriber."Phone" fixed; visitor.email's new anchor has no index

--
-- Exceptions
--
SELECT check_name, table_name, column_name, category, reason, ignored_by = session_user AS by_me
  FROM retention.lint_ignore('regress_lint.visitor', 'note', 'a free-text remark, reviewed'); -- ok: lint never reported it, the exception is harmless
SELECT check_name, table_name, column_name, reason
  FROM retention.lint_ignore('regress_lint.visitor', 'client', 'the address of our own load balancer'); -- ok
SELECT check_name, table_name, column_name, reason
  FROM retention.lint_ignore('regress_lint.visitor', 'client', 'the address of our load balancer, not a visitor''s'); -- ok: replaces the reason
SELECT check_name, table_name, column_name, reason
  FROM retention.lint_ignore('regress_lint.subscriber', NULL, 'mailing list of test accounts',
                             'subject_without_retention'); -- ok: a whole table
SELECT check_name, table_name, column_name, reason
  FROM retention.lint_ignore('regress_lint.covered', NULL, 'reviewed: small table',
                             'anchor_without_index');            -- ok
SELECT check_name, category, reason
  FROM retention.lint_ignore_category('regress_lint_planned', 'for the archive tables planned next quarter'); -- ok
SELECT check_name, table_name, column_name, reason FROM retention.lint_exception
 ORDER BY check_name, table_name::text, column_name;             -- ok: one per target, the latest reason
SELECT severity, check_name, object
  FROM retention.lint('regress_lint');                           -- ok: client, subscriber and covered silenced
SELECT object FROM retention.lint()
 WHERE check_name = 'unused_category' AND object LIKE 'regress\_lint%'; -- ok: only regress_lint_unused
-- argument checks
SELECT pg_temp.try($$SELECT retention.lint_ignore('regress_lint.visitor', 'email', 'x', 'no_such_check')$$); -- fails: unknown check
SELECT pg_temp.try($$SELECT retention.lint_ignore('regress_lint.visitor', 'email', 'x', 'unused_category')$$); -- fails: categories have their own function
SELECT pg_temp.try($$SELECT retention.lint_ignore('regress_lint.visitor', 'no_such_column', 'x')$$); -- fails: no such column
SELECT pg_temp.try($$SELECT retention.lint_ignore('regress_lint.visitor', 'email', '  ')$$);      -- fails: empty reason
SELECT pg_temp.try($$SELECT retention.lint_ignore('regress_lint.visitor', 'email', NULL)$$);      -- fails: no reason
SELECT pg_temp.try($$SELECT retention.lint_ignore('regress_lint.no_such_table', 'email', 'x')$$); -- fails: no such table
SELECT pg_temp.try($$SELECT retention.lint_ignore_category('regress_lint_nope', 'x')$$);         -- fails: no such category
SELECT pg_temp.try($$SELECT retention.lint_ignore_category('regress_lint_unused', '')$$);        -- fails: empty reason
SELECT pg_temp.try($$INSERT INTO retention.lint_exception (check_name, category, reason, ignored_by, ignored_at)
                     VALUES ('untagged_personal_data', 'regress_lint_unused', 'x', 'regress_x', '2024-01-01 00:00Z')$$); -- fails: a column check needs a table
-- stale exceptions: the column or the table is gone
ALTER TABLE regress_lint.visitor DROP COLUMN client;             -- ok
SELECT severity, check_name, object, message, hint
  FROM retention.lint('regress_lint')
 WHERE check_name = 'stale_lint_exception';                      -- ok: the dropped column
CREATE TABLE regress_lint.doomed (id integer, email text);       -- ok
SELECT check_name FROM retention.lint_ignore('regress_lint.doomed', 'email', 'fixture'); -- ok
SELECT 'regress_lint.doomed'::regclass::oid AS doomed_oid \gset
DROP TABLE regress_lint.doomed;                                  -- ok
SELECT severity, check_name, object = :'doomed_oid' || '.email' AS object_is_the_oid, message,
       hint = format('Remove it: SELECT retention.lint_unignore(%L, %L, %L);', :'doomed_oid', 'email',
                     'untagged_personal_data') AS hint_names_the_oid
  FROM retention.lint()
 WHERE check_name = 'stale_lint_exception' AND object LIKE :'doomed_oid' || '.%'; -- ok: a dropped table is named by its OID
SELECT count(*) AS stale_in_schema_lint
  FROM retention.lint('regress_lint')
 WHERE check_name = 'stale_lint_exception' AND object LIKE :'doomed_oid' || '.%'; -- ok: 0, no longer in any schema
SELECT retention.lint_unignore(:'doomed_oid', 'email');            -- ok: t
SELECT retention.lint_unignore('regress_lint.visitor', 'client');   -- ok: t
SELECT retention.lint_unignore('regress_lint.visitor', 'client');   -- ok: f, already gone
SELECT retention.lint_unignore('regress_lint.subscriber', NULL, 'subject_without_retention'); -- ok: t
SELECT retention.lint_unignore_category('regress_lint_planned');    -- ok: t
SELECT retention.lint_unignore_category('regress_lint_planned');    -- ok: f
SELECT (retention.lint_ignore_category('regress_lint_unused', 'kept for a while')).check_name; -- ok
SELECT retention.drop_category('regress_lint_unused');           -- ok: the category goes, and its exception with it
SELECT count(*) AS exceptions_of_dropped_category
  FROM retention.lint_exception WHERE category = 'regress_lint_unused'; -- ok: 0

--
-- Privileges: anyone may lint (it shows only what the catalogs show);
-- exceptions are for retention_admin
--
CREATE ROLE regress_lint_user;                                   -- ok
CREATE ROLE regress_lint_admin IN ROLE retention_admin;          -- ok
GRANT USAGE ON SCHEMA regress_lint TO regress_lint_user, regress_lint_admin; -- ok
SET ROLE regress_lint_user;                                      -- ok
SELECT count(*) > 0 AS sees_findings FROM retention.lint('regress_lint'); -- ok: t
SELECT count(*) AS exceptions_visible FROM retention.lint_exception;      -- ok
SELECT pg_temp.try($$SELECT retention.lint_ignore('regress_lint.visitor', 'email', 'x')$$); -- fails: not retention_admin
SELECT pg_temp.try($$INSERT INTO retention.lint_exception (check_name, table_name, column_name, reason)
                     VALUES ('untagged_personal_data', 'regress_lint.visitor', 'email', 'x')$$); -- fails: not retention_admin
SELECT pg_temp.try($$SELECT retention.lint_ignore_category('regress_lint_rows', 'x')$$); -- fails: not retention_admin
RESET ROLE;                                                      -- ok
SET ROLE regress_lint_admin;                                     -- ok
SELECT check_name, column_name, ignored_by
  FROM retention.lint_ignore('regress_lint.visitor', 'phone_number', 'a company switchboard number'); -- ok: recorded as the session user
SELECT retention.lint_unignore('regress_lint.visitor', 'phone_number'); -- ok: t
RESET ROLE;                                                      -- ok
-- lint_exception is dumped with the database
SELECT c.relname, e.extconfig IS NOT NULL AS dumped
  FROM pg_extension e, pg_class c
 WHERE e.extname = 'pg_retention' AND c.oid = ANY (e.extconfig) AND c.relname = 'lint_exception'; -- ok

--
-- Clean up
--
DROP SCHEMA regress_lint CASCADE;                                -- ok
SELECT count(*) AS stale_after_drop FROM retention.lint() WHERE check_name = 'stale_lint_exception'; -- ok: 2, the remaining exceptions (visitor.note, covered) are stale
DELETE FROM retention.lint_exception;                            -- ok: those two
SELECT retention.drop_category(c) FROM unnest(ARRAY['regress_lint_rows', 'regress_lint_values',
                                                    'regress_lint_planned']) c; -- ok
DROP ROLE regress_lint_user;                                     -- ok: the schema and its grants are gone
DROP ROLE regress_lint_admin;                                    -- ok
