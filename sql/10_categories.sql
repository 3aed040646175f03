-- Categories: retention.define_category / alter_category / drop_category,
-- the validation they share with direct writes to retention.category,
-- created_at / updated_at, privileges, and the guard that protects
-- categories used by tags.
\set VERBOSITY default
\set SHOW_CONTEXT never
-- try(sql): 'ok' or the error (test/sql/try.sql, shared by the pg_regress files)
\set ECHO none
\i test/sql/try.sql
\set ECHO all

--
-- define_category: valid calls
--
SELECT name, period, starts, action, description, purpose, legal_basis, time_zone
  FROM retention.define_category('support_data', '7 years');     -- ok: defaults exact, delete, UTC
SELECT name, period, starts, action, description, purpose, legal_basis, time_zone
  FROM retention.define_category(
           name        => 'end_user_identifiers',
           period      => '12 months',
           starts      => 'end_of_month',
           action      => 'nullify',
           description => 'Phone numbers and e-mail addresses of end users',
           purpose     => 'Routing and billing of communications',
           legal_basis => 'Contract (GDPR Art. 6(1)(b))',
           time_zone   => 'Europe/Zagreb');                     -- ok: named arguments
SELECT name, period, starts, action, time_zone
  FROM retention.define_category('due_at_boundary', '0', starts => 'end_of_day'); -- ok: zero period allowed
SELECT name, period
  FROM retention.define_category('eleven_months', '1 year -1 month'); -- ok: normalizes to 11 months, no negative part
SELECT name, starts, action, time_zone
  FROM retention.define_category('yearly', '10 years', 'end_of_year', 'hash', time_zone => 'Etc/GMT-2'); -- ok: positional and named mixed
SELECT length(name)
  FROM retention.define_category(repeat('n', 63), '1 day');     -- ok: 63 characters is the longest name
SELECT retention.drop_category(repeat('n', 63));                 -- ok
-- created_at and updated_at are the time of the defining transaction
BEGIN;                                                           -- ok
SELECT name FROM retention.define_category('in_transaction', '1 day'); -- ok
SELECT created_at = now() AS created_now, updated_at = now() AS updated_now
  FROM retention.category WHERE name = 'in_transaction';         -- ok: both true
COMMIT;                                                          -- ok

--
-- define_category: every validation error
--
SELECT pg_temp.try($$SELECT retention.define_category('Support', '1 day')$$);        -- fails: upper case
SELECT pg_temp.try($$SELECT retention.define_category('1st', '1 day')$$);            -- fails: starts with a digit
SELECT pg_temp.try($$SELECT retention.define_category('a-b', '1 day')$$);            -- fails: hyphen
SELECT pg_temp.try($$SELECT retention.define_category('a b', '1 day')$$);            -- fails: space
SELECT pg_temp.try($$SELECT retention.define_category('', '1 day')$$);               -- fails: empty
SELECT pg_temp.try($$SELECT retention.define_category(NULL, '1 day')$$);             -- fails: NULL
SELECT pg_temp.try($$SELECT retention.define_category(repeat('n', 64), '1 day')$$);  -- fails: 64 characters
SELECT pg_temp.try($$SELECT retention.define_category('neg', '-1 day')$$);           -- fails: negative period
SELECT pg_temp.try($$SELECT retention.define_category('neg', '1 month -40 days')$$); -- fails: mixed signs
SELECT pg_temp.try($$SELECT retention.define_category('neg', '1 day -1 hour')$$);    -- fails: mixed signs
SELECT pg_temp.try($$SELECT retention.define_category('neg', '-0.5 seconds')$$);     -- fails: negative seconds
SELECT pg_temp.try($$SELECT retention.define_category('neg', NULL)$$);               -- fails: NULL period
SELECT pg_temp.try($$SELECT retention.define_category('bad', '1 day', 'end_of_week')$$); -- fails: unknown boundary
SELECT pg_temp.try($$SELECT retention.define_category('bad', '1 day', 'EXACT')$$);   -- fails: boundaries are lower case
SELECT pg_temp.try($$SELECT retention.define_category('bad', '1 day', NULL)$$);      -- fails: NULL boundary
SELECT pg_temp.try($$SELECT retention.define_category('bad', '1 day', action => 'purge')$$);  -- fails: unknown action
SELECT pg_temp.try($$SELECT retention.define_category('bad', '1 day', action => 'Delete')$$); -- fails: actions are lower case
SELECT pg_temp.try($$SELECT retention.define_category('bad', '1 day', action => NULL)$$);     -- fails: NULL action
SELECT pg_temp.try($$SELECT retention.define_category('bad', '1 day', time_zone => 'Mars/Olympus_Mons')$$); -- fails: unknown zone
SELECT pg_temp.try($$SELECT retention.define_category('bad', '1 day', time_zone => '+02')$$);  -- fails: POSIX offset, not a zone name
SELECT pg_temp.try($$SELECT retention.define_category('bad', '1 day', time_zone => 'UTC+2')$$); -- fails: POSIX offset, not a zone name
SELECT pg_temp.try($$SELECT retention.define_category('bad', '1 day', time_zone => 'CEST')$$);  -- fails: abbreviation, not a zone name
SELECT pg_temp.try($$SELECT retention.define_category('bad', '1 day', time_zone => NULL)$$);    -- fails: NULL zone
SELECT pg_temp.try($$SELECT retention.define_category('support_data', '1 day')$$);   -- fails: duplicate name
SELECT count(*) AS refused_categories_stored
  FROM retention.category WHERE name IN ('neg', 'bad', 'Support', '1st', 'a-b', 'a b', ''); -- ok: 0

--
-- alter_category
--
SELECT pg_temp.try($$SELECT retention.alter_category('no_such_category', period => '1 day')$$); -- fails: does not exist
SELECT name, period, starts, action, description, purpose, legal_basis, time_zone
  FROM retention.alter_category('end_user_identifiers', period => '13 months'); -- ok: only the period changes
SELECT name, period, starts, action, description, purpose, legal_basis, time_zone
  FROM retention.alter_category('end_user_identifiers', description => '', legal_basis => ''); -- ok: '' clears, purpose kept
SELECT name, period, starts, action, description, purpose, legal_basis, time_zone
  FROM retention.alter_category('end_user_identifiers', period => '12 months',
                                description => 'Phone numbers and e-mail addresses',
                                time_zone => 'UTC', starts => 'end_of_day', action => 'hash'); -- ok: several fields
SELECT name, period FROM retention.alter_category('eleven_months', new_name => 'almost_a_year'); -- ok: rename an unused category
SELECT pg_temp.try($$SELECT retention.alter_category('almost_a_year', period => '1 month -40 days')$$); -- fails: mixed signs
SELECT pg_temp.try($$SELECT retention.alter_category('almost_a_year', starts => 'end_of_week')$$);     -- fails: unknown boundary
SELECT pg_temp.try($$SELECT retention.alter_category('almost_a_year', action => 'purge')$$);           -- fails: unknown action
SELECT pg_temp.try($$SELECT retention.alter_category('almost_a_year', time_zone => '+02')$$);          -- fails: POSIX offset
SELECT pg_temp.try($$SELECT retention.alter_category('almost_a_year', new_name => 'Almost')$$);        -- fails: bad new name
SELECT pg_temp.try($$SELECT retention.alter_category('almost_a_year', new_name => 'support_data')$$);  -- fails: name taken
SELECT name, period, starts, action, time_zone
  FROM retention.category WHERE name = 'almost_a_year';          -- ok: unchanged by the refused calls

--
-- drop_category
--
SELECT pg_temp.try($$SELECT retention.drop_category('no_such_category')$$); -- fails: does not exist
SELECT retention.drop_category('almost_a_year');                 -- ok
SELECT pg_temp.try($$SELECT retention.drop_category('almost_a_year')$$);    -- fails: already dropped

--
-- Direct INSERT / UPDATE on retention.category: the same validation
--
SELECT pg_temp.try($$INSERT INTO retention.category (name, period) VALUES ('Bad', '1 day')$$);            -- fails: bad name
SELECT pg_temp.try($$INSERT INTO retention.category (name, period) VALUES ('bad', '1 month -40 days')$$); -- fails: mixed signs
SELECT pg_temp.try($$INSERT INTO retention.category (name, period, starts) VALUES ('bad', '1 day', 'weekly')$$); -- fails: unknown boundary
SELECT pg_temp.try($$INSERT INTO retention.category (name, period, action) VALUES ('bad', '1 day', 'purge')$$);  -- fails: unknown action
SELECT pg_temp.try($$INSERT INTO retention.category (name, period, time_zone) VALUES ('bad', '1 day', '+02')$$); -- fails: POSIX offset
SELECT pg_temp.try($$INSERT INTO retention.category (name, period) VALUES ('support_data', '1 day')$$);   -- fails: duplicate key
INSERT INTO retention.category (name, period, starts, action)
VALUES ('inserted_directly', '30 days', 'end_of_month', 'mask');  -- ok
SELECT name, period, starts, action, time_zone
  FROM retention.category WHERE name = 'inserted_directly';       -- ok: defaults filled in
SELECT pg_temp.try($$UPDATE retention.category SET name = 'Inserted' WHERE name = 'inserted_directly'$$);       -- fails: bad name
SELECT pg_temp.try($$UPDATE retention.category SET period = '-1 year' WHERE name = 'inserted_directly'$$);      -- fails: negative period
SELECT pg_temp.try($$UPDATE retention.category SET starts = 'end_of_week' WHERE name = 'inserted_directly'$$);  -- fails: unknown boundary
SELECT pg_temp.try($$UPDATE retention.category SET action = 'shred' WHERE name = 'inserted_directly'$$);        -- fails: unknown action
SELECT pg_temp.try($$UPDATE retention.category SET time_zone = 'UTC+2' WHERE name = 'inserted_directly'$$);     -- fails: POSIX offset
SELECT pg_temp.try($$UPDATE retention.category SET time_zone = NULL WHERE name = 'inserted_directly'$$);        -- fails: NULL zone
SELECT name, period, starts, action, time_zone
  FROM retention.category WHERE name = 'inserted_directly';       -- ok: unchanged
UPDATE retention.category SET period = '31 days' WHERE name = 'inserted_directly'; -- ok
SELECT period FROM retention.category WHERE name = 'inserted_directly';  -- ok: 31 days

--
-- created_at / updated_at: updated_at follows every change, created_at never
-- moves, not even when written directly
--
CREATE TEMP TABLE before_change AS
SELECT created_at, updated_at FROM retention.category WHERE name = 'support_data'; -- ok
SELECT pg_sleep(0.01);                                           -- ok: let the clock move
SELECT name FROM retention.alter_category('support_data', purpose => 'Handling support requests'); -- ok
SELECT c.created_at = b.created_at AS created_at_kept,
       c.updated_at > b.updated_at AS updated_at_advanced,
       c.updated_at > c.created_at AS updated_after_created
  FROM retention.category c, before_change b WHERE c.name = 'support_data'; -- ok: t, t, t
UPDATE before_change b SET updated_at = c.updated_at
  FROM retention.category c WHERE c.name = 'support_data';       -- ok
SELECT pg_sleep(0.01);                                           -- ok
UPDATE retention.category
   SET created_at = '2000-01-01 00:00:00+00', updated_at = '2000-01-01 00:00:00+00'
 WHERE name = 'support_data';                                    -- ok: the timestamps written are ignored
SELECT c.created_at = b.created_at AS created_at_kept,
       c.updated_at > b.updated_at AS updated_at_advanced
  FROM retention.category c, before_change b WHERE c.name = 'support_data'; -- ok: t, t
DROP TABLE before_change;                                        -- ok

--
-- Privileges: PUBLIC reads, retention_admin writes
--
CREATE ROLE regress_plain;                                       -- ok
CREATE ROLE regress_admin IN ROLE retention_admin;              -- ok
SET ROLE regress_plain;                                          -- ok
SELECT pg_temp.try($$SELECT retention.define_category('plain_cat', '1 day')$$);  -- fails: not a retention_admin
SELECT pg_temp.try($$SELECT retention.alter_category('support_data', period => '1 day')$$); -- fails: not a retention_admin
SELECT pg_temp.try($$SELECT retention.drop_category('inserted_directly')$$);     -- fails: not a retention_admin
SELECT pg_temp.try($$INSERT INTO retention.category (name, period) VALUES ('plain_cat', '1 day')$$); -- fails: no INSERT privilege
SELECT pg_temp.try($$UPDATE retention.category SET period = '1 day'$$);          -- fails: no UPDATE privilege
SELECT pg_temp.try($$DELETE FROM retention.category$$);                          -- fails: no DELETE privilege
SELECT name, period FROM retention.category
 WHERE name IN ('support_data', 'inserted_directly') ORDER BY name COLLATE "C"; -- ok: PUBLIC can read
RESET ROLE;                                                      -- ok
SET ROLE regress_admin;                                          -- ok
SELECT name, period FROM retention.define_category('admin_cat', '2 days');       -- ok
SELECT name, period FROM retention.alter_category('admin_cat', period => '3 days'); -- ok
INSERT INTO retention.category (name, period) VALUES ('admin_direct', '1 day');  -- ok
UPDATE retention.category SET period = '4 days' WHERE name = 'admin_direct';     -- ok
SELECT pg_temp.try($$INSERT INTO retention.category (name, period) VALUES ('Admin', '1 day')$$); -- fails: validated for admins too
SELECT retention.drop_category('admin_cat');                     -- ok
DELETE FROM retention.category WHERE name = 'admin_direct';      -- ok
RESET ROLE;                                                      -- ok
SELECT count(*) AS plain_or_admin_left
  FROM retention.category WHERE name IN ('plain_cat', 'admin_cat', 'admin_direct'); -- ok: 0

--
-- A category used by tags cannot be dropped or renamed, and a change of its
-- default action must still fit every tag that inherits it
--
CREATE TABLE regress_message (
    id      bigint PRIMARY KEY,
    sent_at timestamptz NOT NULL,
    msisdn  text,
    email   text
);                                                               -- ok
SECURITY LABEL FOR retention ON TABLE regress_message
    IS 'category=support_data anchor=sent_at';                   -- ok
SECURITY LABEL FOR retention ON COLUMN regress_message.msisdn
    IS 'category=end_user_identifiers anchor=sent_at';           -- ok: inherits action hash
SECURITY LABEL FOR retention ON COLUMN regress_message.email
    IS 'category=end_user_identifiers anchor=sent_at action=nullify'; -- ok: own action
SELECT pg_temp.try($$SELECT retention.drop_category('support_data')$$);         -- fails: used by the table tag
SELECT pg_temp.try($$SELECT retention.drop_category('end_user_identifiers')$$); -- fails: used by two column tags
SELECT pg_temp.try($$DELETE FROM retention.category WHERE name = 'end_user_identifiers'$$); -- fails: same guard for direct DELETE
SELECT pg_temp.try($$SELECT retention.alter_category('support_data', new_name => 'support')$$); -- fails: rename of a used category
SELECT pg_temp.try($$UPDATE retention.category SET name = 'support' WHERE name = 'support_data'$$); -- fails: same guard for direct UPDATE
SELECT pg_temp.try($$SELECT retention.alter_category('end_user_identifiers', action => 'generalize')$$); -- fails: generalize does not fit the text column msisdn
SELECT pg_temp.try($$SELECT retention.alter_category('end_user_identifiers', action => 'delete')$$);     -- fails: a column tag cannot delete rows
SELECT pg_temp.try($$SELECT retention.alter_category('support_data', action => 'nullify')$$);           -- fails: a table tag deletes rows
SELECT pg_temp.try($$UPDATE retention.category SET action = 'delete' WHERE name = 'end_user_identifiers'$$); -- fails: same check for direct UPDATE
SELECT name, action FROM retention.category
 WHERE name IN ('support_data', 'end_user_identifiers') ORDER BY name COLLATE "C"; -- ok: unchanged
SELECT name, action FROM retention.alter_category('end_user_identifiers', action => 'mask'); -- ok: mask fits msisdn, email keeps nullify
SELECT name, period FROM retention.alter_category('support_data', period => '8 years');     -- ok: a period change breaks no tag
SELECT object, kind, category, period, action, action_source, valid
  FROM retention.tags WHERE table_name = 'regress_message'::regclass ORDER BY object COLLATE "C"; -- ok: all valid
SECURITY LABEL FOR retention ON COLUMN regress_message.msisdn IS NULL; -- ok
SECURITY LABEL FOR retention ON COLUMN regress_message.email IS NULL;  -- ok
SELECT name, action FROM retention.alter_category('end_user_identifiers', action => 'generalize'); -- ok: no tag left to break
SELECT retention.drop_category('end_user_identifiers');          -- ok: no tag left
DROP TABLE regress_message;                                      -- ok: its tags go with it
SELECT retention.drop_category('support_data');                  -- ok

--
-- Clean up
--
SELECT pg_temp.try($$DELETE FROM retention.category$$);         -- fails: retention_evidence is protected
WITH dropped AS (DELETE FROM retention.category WHERE name <> 'retention_evidence' RETURNING name)
SELECT name FROM dropped ORDER BY name COLLATE "C";                          -- ok: the categories still defined
SELECT name AS categories_left FROM retention.category;          -- ok: only retention_evidence
DROP ROLE regress_plain;                                         -- ok
DROP ROLE regress_admin;                                         -- ok
