-- Secrets (issue 12, item 4): privileges on every object of the extension
-- are set at install whatever default privileges say; the key
-- (retention._secret) is readable by superusers only, pg_read_all_data
-- included; a pre-existing schema "retention" that anyone but its owner
-- can create in, or that holds objects, is refused.  Each case in a
-- database of its own.
\set VERBOSITY default
\set SHOW_CONTEXT never
\set regress_db :DBNAME
-- the extension's roles exist once it was created anywhere
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_retention;                     -- ok
RESET client_min_messages;
CREATE ROLE regress_reporting;                                   -- ok
CREATE ROLE regress_creator;                                     -- ok
CREATE ROLE regress_reader IN ROLE pg_read_all_data;             -- ok
CREATE ROLE regress_bypass BYPASSRLS;                            -- ok
CREATE ROLE regress_admin IN ROLE retention_admin;               -- ok

--
-- (a) An empty, superuser-owned schema on which a plain role has CREATE:
-- the role could add overloads that win over the extension's functions.
--
CREATE DATABASE regress_secrets_schema;                          -- ok
\c regress_secrets_schema
CREATE SCHEMA retention;                                         -- ok
GRANT CREATE ON SCHEMA retention TO regress_creator;             -- ok
CREATE EXTENSION pg_retention;                                   -- fails: regress_creator can create in the schema
\echo SQLSTATE :LAST_ERROR_SQLSTATE
REVOKE CREATE ON SCHEMA retention FROM regress_creator;          -- ok
GRANT CREATE ON SCHEMA retention TO PUBLIC;                      -- ok
CREATE EXTENSION pg_retention;                                   -- fails: everyone can create in the schema
\echo SQLSTATE :LAST_ERROR_SQLSTATE
REVOKE CREATE ON SCHEMA retention FROM PUBLIC;                   -- ok
-- an overload placed there beforehand (by the superuser itself, even)
CREATE FUNCTION retention.define_category(name text, period text) RETURNS text
    LANGUAGE sql AS $$ SELECT 'planted' $$;                      -- ok
CREATE EXTENSION pg_retention;                                   -- fails: the schema holds an object
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DROP FUNCTION retention.define_category(text, text);             -- ok
CREATE TABLE retention.planted (id integer);                     -- ok
CREATE EXTENSION pg_retention;                                   -- fails: the schema holds a table (counted once, not with its types)
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DROP TABLE retention.planted;                                    -- ok
SELECT count(*) AS installed FROM pg_extension WHERE extname = 'pg_retention'; -- ok: 0

--
-- (b) Default privileges that grant to a reporting role, before CREATE
-- EXTENSION, in the schema and globally, for tables and functions; and
-- default privileges that revoke EXECUTE from PUBLIC.
--
ALTER DEFAULT PRIVILEGES IN SCHEMA retention GRANT SELECT ON TABLES TO regress_reporting; -- ok
ALTER DEFAULT PRIVILEGES GRANT SELECT, INSERT ON TABLES TO regress_reporting;              -- ok
ALTER DEFAULT PRIVILEGES GRANT SELECT, USAGE ON SEQUENCES TO regress_reporting;           -- ok
ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO regress_reporting, retention_admin; -- ok
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;                          -- ok
CREATE EXTENSION pg_retention;                                   -- ok: the empty, safe schema
SELECT count(*) AS installed FROM pg_extension WHERE extname = 'pg_retention'; -- ok: 1

-- nothing of the extension for anyone but its owner, PUBLIC and its roles
-- (and pg_monitor, which the metrics functions are granted to)
SELECT pg_describe_object(d.classid, d.objid, 0) AS object, a.privilege_type
  FROM pg_depend d
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'pg_retention'
  LEFT JOIN pg_class c ON d.classid = 'pg_class'::regclass AND c.oid = d.objid
  LEFT JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND p.oid = d.objid
  CROSS JOIN LATERAL aclexplode(coalesce(c.relacl, p.proacl)) a
 WHERE d.deptype = 'e'
   AND a.grantee NOT IN (0, e.extowner, 'retention_admin'::regrole, 'retention_dsr'::regrole)
   AND NOT (a.grantee = 'pg_monitor'::regrole AND p.proname IN ('metrics_database', 'metrics_tags'))
 ORDER BY 1, 2;                                                  -- ok: no rows
-- what PUBLIC and the extension's roles may do with the tables and views
SELECT c.oid::regclass AS relation,
       coalesce(string_agg(CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END
                           || '=' || a.privilege_type, ', '
                           ORDER BY a.grantee::regrole::text, a.privilege_type)
                FILTER (WHERE a.grantee <> c.relowner), '(owner only)') AS privileges
  FROM pg_depend d
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'pg_retention'
  JOIN pg_class c ON d.classid = 'pg_class'::regclass AND c.oid = d.objid
  LEFT JOIN LATERAL aclexplode(c.relacl) a ON true
 WHERE d.deptype = 'e'
 GROUP BY c.oid
 ORDER BY c.oid::regclass::text COLLATE "C";                     -- ok
-- functions keep PUBLIC's EXECUTE (default privileges revoked it), the
-- internal keyed ones have it for nobody
SELECT p.oid::regprocedure AS function,
       has_function_privilege('public', p.oid, 'EXECUTE') AS public_executes
  FROM pg_proc p
 WHERE p.oid IN ('retention.normalize_identifier(text, text)'::regprocedure,
                 'retention.mask(text, integer)'::regprocedure,
                 'retention._identifier_hash(text, text)'::regprocedure,
                 'retention._new_key()'::regprocedure,
                 'retention.erasure_ledger(timestamptz)'::regprocedure)
 ORDER BY p.oid::regprocedure::text COLLATE "C";                 -- ok
SELECT relname, relrowsecurity, relforcerowsecurity,
       (SELECT count(*) FROM pg_policy WHERE polrelid = c.oid) AS policies
  FROM pg_class c WHERE c.oid = 'retention._secret'::regclass;   -- ok: forced, no policy
SELECT nspacl FROM pg_namespace WHERE nspname = 'retention';     -- ok: USAGE for PUBLIC, CREATE for the owner only

SET ROLE regress_reporting;                                      -- ok
SELECT * FROM retention._secret;                                 -- fails: no privilege
SELECT * FROM retention.dsr_request;                             -- fails: no privilege
SELECT * FROM retention.suppression;                             -- fails: no privilege
SELECT * FROM retention.legal_hold;                              -- fails: no privilege
SELECT retention._identifier_hash('email', 'ana@example.com');   -- fails: no privilege
SELECT retention.erasure_ledger();                               -- fails: no privilege
RESET ROLE;                                                      -- ok
SET ROLE regress_admin;                                          -- ok
SELECT retention._identifier_hash('email', 'ana@example.com');   -- fails: no privilege, whatever default privileges granted retention_admin
SELECT count(*) FROM retention._secret;                          -- fails: no privilege
RESET ROLE;                                                      -- ok
-- pg_read_all_data does not bypass row security: no row
SET ROLE regress_reader;                                         -- ok
SELECT count(*) AS keys_seen FROM retention._secret;             -- ok: 0
RESET ROLE;                                                      -- ok
-- BYPASSRLS without a privilege: nothing either
SET ROLE regress_bypass;                                         -- ok
SELECT count(*) FROM retention._secret;                          -- fails: no privilege
RESET ROLE;                                                      -- ok
-- a superuser still sees the one key, and enforcement (C) still reads it
SELECT count(*) AS keys_seen FROM retention._secret;             -- ok: 1
SELECT length(retention._identifier_hash('email', 'ana@example.com')) AS hash_bytes; -- ok: 32

--
-- (c) A schema created by CREATE EXTENSION itself under default
-- privileges on schemas: its CREATE grant is taken back, not refused.
--
\c :regress_db
CREATE DATABASE regress_secrets_fresh;                           -- ok
\c regress_secrets_fresh
ALTER DEFAULT PRIVILEGES GRANT CREATE ON SCHEMAS TO regress_creator; -- ok
CREATE EXTENSION pg_retention;                                   -- ok
SELECT has_schema_privilege('regress_creator', 'retention', 'CREATE') AS creator_can_create; -- ok: f
ALTER DEFAULT PRIVILEGES REVOKE CREATE ON SCHEMAS FROM regress_creator; -- ok

--
-- Clean up
--
\c :regress_db
DROP DATABASE regress_secrets_schema;                            -- ok
DROP DATABASE regress_secrets_fresh;                             -- ok
DROP ROLE regress_reporting;                                     -- ok
DROP ROLE regress_creator;                                       -- ok
DROP ROLE regress_reader;                                        -- ok
DROP ROLE regress_bypass;                                        -- ok
DROP ROLE regress_admin;                                         -- ok
