-- pg_retention_tap: the pgTAP assertions themselves, passing and failing
-- (the "not ok" lines and their diagnostics are the output users see in
-- CI).  Run outside a plan with no_plan()/finish(), as pgTAP's own tests
-- do.  The extension goes into a schema of its own here, to show that it
-- finds pgTAP (in public) wherever it is installed.
\set VERBOSITY default
\set SHOW_CONTEXT never
SET TimeZone = 'UTC';                                            -- ok
SET DateStyle = 'ISO, YMD';                                      -- ok: values print in the session's styles, as in pgTAP
SET IntervalStyle = 'postgres';                                  -- ok
SET client_min_messages = warning;                               -- ok
CREATE EXTENSION pgtap;                                          -- ok
CREATE SCHEMA regress_tap_ext;                                   -- ok
CREATE EXTENSION pg_retention_tap SCHEMA regress_tap_ext;        -- ok
SELECT e.extversion = (SELECT default_version FROM pg_available_extensions
                        WHERE name = 'pg_retention_tap') AS version_matches_control
  FROM pg_extension e WHERE e.extname = 'pg_retention_tap';      -- ok
-- every function has a comment and a search_path pinned to pg_catalog,
-- its own schema, pgTAP's schema and pg_temp
SELECT p.oid::regprocedure AS function_without_comment
  FROM pg_proc p
 WHERE p.pronamespace = 'regress_tap_ext'::regnamespace
   AND obj_description(p.oid, 'pg_proc') IS NULL;                -- ok: none
SELECT DISTINCT array_to_string(p.proconfig, ' ') AS settings, count(*) > 10 AS many_functions
  FROM pg_proc p
 WHERE p.pronamespace = 'regress_tap_ext'::regnamespace
 GROUP BY 1;                                                     -- ok: one setting for all
SELECT p.proname, p.prosecdef
  FROM pg_proc p
 WHERE p.pronamespace = 'regress_tap_ext'::regnamespace AND p.prosecdef; -- ok: none, they run as the caller
SET search_path = public, regress_tap_ext;                       -- ok

--
-- A policy to test
--
SELECT name FROM retention.define_category('regress_tap_rows', '1 year', 'end_of_month'); -- ok
SELECT name FROM retention.define_category('regress_tap_values', '6 months', action => 'nullify'); -- ok
SELECT name FROM retention.define_category('regress_tap_month', '1 month', action => 'nullify'); -- ok
CREATE SCHEMA regress_tap;                                       -- ok
CREATE TABLE regress_tap.customer (
    id         integer PRIMARY KEY,
    email      text,
    created_at timestamptz NOT NULL
);                                                               -- ok
CREATE INDEX ON regress_tap.customer (created_at);               -- ok
CREATE INDEX ON regress_tap.customer (email);                    -- ok
CREATE TABLE regress_tap.message (
    id          integer PRIMARY KEY,
    customer_id integer REFERENCES regress_tap.customer ON DELETE CASCADE,
    sent_at     timestamptz NOT NULL,
    phone       text,
    route       text
);                                                               -- ok
CREATE INDEX ON regress_tap.message (sent_at);                   -- ok
CREATE INDEX ON regress_tap.message (phone);                     -- ok
SELECT retention.tag_table('regress_tap.customer', 'regress_tap_rows', 'created_at'); -- ok
SELECT retention.tag_column('regress_tap.customer', 'email', subject => 'email'); -- ok
SELECT retention.tag_column('regress_tap.message', 'phone', 'regress_tap_values', 'sent_at',
                            subject => 'phone');                 -- ok
SELECT retention.tag_column('regress_tap.message', 'route', 'regress_tap_values', 'sent_at',
                            action => 'mask');                   -- ok
-- due: 1 year after the end of the month of created_at
INSERT INTO regress_tap.customer VALUES
    (1, 'ana@example.com',  '2024-01-15 10:00Z'),   -- due 2025-02-01
    (2, 'ben@example.com',  '2024-02-20 10:00Z'),   -- due 2025-03-01
    (3, 'cleo@example.com', '2024-03-05 10:00Z');   -- due 2025-04-01 -- ok
-- due: 6 months after sent_at
INSERT INTO regress_tap.message VALUES
    (1, 1, '2024-01-10 00:00Z', '+385911111111', 'A'),   -- due 2024-07-10
    (2, 1, '2024-06-01 00:00Z', '+385911111111', 'B'),   -- due 2024-12-01
    (3, 2, '2024-06-01 00:00Z', NULL, 'C');              -- no phone to anonymize -- ok

\pset format unaligned
\pset tuples_only true
SELECT no_plan();                                                -- ok

--
-- table_has_retention
--
SELECT table_has_retention('regress_tap.customer', 'regress_tap_rows');          -- ok
SELECT table_has_retention('regress_tap.customer'::regclass, 'regress_tap_rows',
                           'customers are kept a year');         -- ok: regclass and a description
SELECT table_has_retention('regress_tap.customer', 'regress_tap_values');        -- fails: another category
SELECT table_has_retention('regress_tap.message', 'regress_tap_rows');           -- fails: no table tag; the label to add
SELECT table_has_retention('regress_tap.message', 'regress_tap_nope');           -- fails: and the category does not exist
SELECT table_has_retention('regress_tap.no_such_table', 'regress_tap_rows');     -- fails: no such table

--
-- column_has_retention, column_is_subject
--
SELECT column_has_retention('regress_tap.message', 'phone', 'regress_tap_values');   -- ok
SELECT column_has_retention('regress_tap.message', 'phone', 'regress_tap_rows');     -- fails: another category
SELECT column_has_retention('regress_tap.customer', 'email', 'regress_tap_values');  -- fails: subject only; the label keeps the subject
SELECT column_has_retention('regress_tap.customer', 'id', 'regress_tap_values');     -- fails: no tag
SELECT column_has_retention('regress_tap.customer', 'no_such_column', 'regress_tap_values'); -- fails: no such column
SELECT column_has_retention('regress_tap.no_such_table', 'phone', 'regress_tap_values'); -- fails: no such table
SELECT column_is_subject('regress_tap.customer', 'email', 'email');                  -- ok
SELECT column_is_subject('regress_tap.message', 'phone', 'phone', 'phone numbers find a person'); -- ok
SELECT column_is_subject('regress_tap.customer', 'email', 'phone');                  -- fails: another kind
SELECT column_is_subject('regress_tap.message', 'route', 'route');                   -- fails: tagged, no subject
SELECT column_is_subject('regress_tap.customer', 'id', 'customer_id');               -- fails: no tag

--
-- category_period_is, category_action_is, category_starts_is
--
SELECT category_period_is('regress_tap_rows', '1 year');                             -- ok
SELECT category_period_is('regress_tap_rows', '12 months', 'kept twelve months');    -- ok: the same period
SELECT category_period_is('regress_tap_rows', '2 years');                            -- fails: the current period and the rule in words
SELECT category_period_is('regress_tap_month', '30 days');                           -- fails: a month is not 30 days on the calendar
SELECT category_period_is('regress_tap_nope', '1 year');                             -- fails: no such category
SELECT category_action_is('regress_tap_values', 'nullify');                          -- ok
SELECT category_action_is('regress_tap_values', 'delete');                           -- fails: and which tags override it
SELECT category_action_is('regress_tap_nope', 'delete');                             -- fails: no such category
SELECT category_starts_is('regress_tap_rows', 'end_of_month');                       -- ok
SELECT category_starts_is('regress_tap_rows', 'exact');                              -- fails

--
-- no_untagged_personal_data, retention_tags_are_valid
--
SELECT no_untagged_personal_data('regress_tap');                                     -- ok
SELECT retention_tags_are_valid('regress_tap');                                      -- ok
CREATE TABLE regress_tap.lead (
    id         integer PRIMARY KEY,
    created_at timestamptz,
    email      text,
    "firstName" text,
    client_ip  inet,
    note       text
);                                                               -- ok
CREATE TABLE regress_tap.newsletter (
    id    integer PRIMARY KEY,
    email text
);                                                               -- ok
SELECT retention.tag_column('regress_tap.newsletter', 'email', subject => 'email'); -- ok
SELECT no_untagged_personal_data('regress_tap');                                     -- fails: each column, the labels to add
SELECT no_untagged_personal_data('regress_tap', 'no personal data without a retention rule'); -- fails: with a description
SELECT (retention.lint_ignore('regress_tap.lead', 'client_ip', 'our proxy address, reviewed')).check_name; -- ok
SELECT retention.tag_table('regress_tap.lead', 'regress_tap_rows', 'created_at');   -- ok
ALTER TABLE regress_tap.newsletter ADD COLUMN joined_at timestamptz; -- ok
SELECT retention.tag_column('regress_tap.newsletter', 'email', 'regress_tap_values', 'joined_at',
                            subject => 'email');                 -- ok
SELECT no_untagged_personal_data('regress_tap');                                     -- ok: all tagged or reviewed
SELECT no_untagged_personal_data('regress_tap_no_such_schema');                      -- fails: a typo must not pass
SET check_function_bodies = off;                                 -- ok
SECURITY LABEL FOR retention ON COLUMN regress_tap.lead.note
    IS 'category=regress_tap_gone anchor=created_at action=nullify'; -- ok: as a restore without the category leaves it
RESET check_function_bodies;                                     -- ok
SELECT retention_tags_are_valid('regress_tap');                                      -- fails: the broken tag and how to fix it
SELECT retention.untag('regress_tap.lead', 'note');              -- ok

--
-- retention_would_process: rows a table tag deletes, values a column tag
-- anonymizes, at an instant
--
SELECT retention_would_process('regress_tap.customer', '2025-01-31 23:59Z', 0);      -- ok: nothing due yet
SELECT retention_would_process('regress_tap.customer', '2025-03-01 00:00Z', 2);      -- ok: due at the instant itself
SELECT retention_would_process('regress_tap.customer'::regclass, '2030-01-01 00:00Z'::timestamptz, 3,
                               'all customers are gone by 2030'); -- ok
SELECT retention_would_process('regress_tap.customer', '2025-03-01 00:00Z', 3);      -- fails: have, want and the cutoff
SELECT retention_would_process('regress_tap.message', 'phone', '2024-07-10 00:00Z', 1); -- ok
SELECT retention_would_process('regress_tap.message', 'phone', '2030-01-01 00:00Z', 2); -- ok: the NULL phone is not counted
SELECT retention_would_process('regress_tap.message', 'route', '2030-01-01 00:00Z', 3); -- ok
SELECT retention_would_process('regress_tap.message', 'phone', '2030-01-01 00:00Z', 3); -- fails: values, not rows
SELECT retention_would_process('regress_tap.message', '2030-01-01 00:00Z', 3);         -- fails: no table tag; pass a column
SELECT retention_would_process('regress_tap.message', 'customer_id', '2030-01-01 00:00Z', 0); -- fails: the column has no tag
SELECT retention_would_process('regress_tap.message', 'no_such_column', '2030-01-01 00:00Z', 0); -- fails: no such column
SELECT retention_would_process('regress_tap.no_such_table', '2030-01-01 00:00Z', 0);  -- fails: no such table
SELECT place_hold FROM retention.place_hold('regress: audit', table_name => 'regress_tap.customer') \gset
SELECT retention_would_process('regress_tap.customer', '2030-01-01 00:00Z', 3);      -- fails: a legal hold keeps them
SELECT retention.release_hold(:place_hold, 'regress: done');    -- ok
-- preview is for retention_admin: so is this assertion
CREATE ROLE regress_tap_user;                                    -- ok
GRANT USAGE ON SCHEMA regress_tap, regress_tap_ext TO regress_tap_user; -- ok
SET ROLE regress_tap_user;                                       -- ok
SELECT retention_would_process('regress_tap.customer', '2030-01-01 00:00Z', 3);      -- fails: not retention_admin
RESET ROLE;                                                      -- ok

--
-- export_contains: rows of the subject's export, per table (counts only)
--
SELECT export_contains('{"email": "ana@example.com"}', 'regress_tap.customer', 1);  -- ok
SELECT export_contains('{"email": "ANA@example.com "}'::jsonb, 'regress_tap.customer'::regclass, 1,
                       'identifiers are matched normalized'); -- ok
SELECT export_contains('{"email": "ana@example.com"}', 'regress_tap.customer', 2);  -- fails: have, want, tables in the export
SELECT export_contains('{"email": "nobody@example.com"}', 'regress_tap.customer', 1); -- fails: an empty export
SELECT export_contains('{"email": "ana@example.com"}', 'regress_tap.no_such_table', 1); -- fails: no such table
SET ROLE regress_tap_user;                                       -- ok
SELECT export_contains('{"email": "ana@example.com"}', 'regress_tap.customer', 1);  -- fails: not retention_dsr
RESET ROLE;                                                      -- ok
-- without subject export (a pg_retention before it): a clear failure
ALTER FUNCTION retention.export_subject_rows(jsonb) RENAME TO regress_hidden_export_subject_rows; -- ok
SELECT export_contains('{"email": "ana@example.com"}', 'regress_tap.customer', 1);  -- fails: no subject export
ALTER FUNCTION retention.regress_hidden_export_subject_rows(jsonb) RENAME TO export_subject_rows; -- ok

SELECT * FROM finish();                                          -- ok: the count of failures above

\pset format aligned
\pset tuples_only false
--
-- Clean up
--
DROP SCHEMA regress_tap CASCADE;                                 -- ok
DELETE FROM retention.lint_exception WHERE reason = 'our proxy address, reviewed'; -- ok
DELETE FROM retention.legal_hold WHERE reason = 'regress: audit';  -- ok
SELECT retention.drop_category(c)
  FROM unnest(ARRAY['regress_tap_rows', 'regress_tap_values', 'regress_tap_month']) c; -- ok
DROP EXTENSION pg_retention_tap;                                 -- ok
DROP SCHEMA regress_tap_ext;                                     -- ok
DROP ROLE regress_tap_user;                                      -- ok
DROP EXTENSION pgtap;                                            -- ok
RESET search_path;                                               -- ok
