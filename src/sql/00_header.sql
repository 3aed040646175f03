\echo Use "CREATE EXTENSION pg_retention" to load this file. \quit

-- pg_retention install script, concatenated from src/sql/*.sql in name order.
-- Every object is schema-qualified and every operator is
-- OPERATOR(pg_catalog.x): nothing here resolves through a caller's
-- search_path.

-- A schema "retention" that someone else created before us could hold
-- objects that our functions would find; refuse to install into it.
DO $guard$
DECLARE
    owner_is_superuser boolean;
BEGIN
    SELECT r.rolsuper INTO owner_is_superuser
      FROM pg_catalog.pg_namespace n
      JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) n.nspowner
     WHERE n.nspname OPERATOR(pg_catalog.=) 'retention';
    IF NOT owner_is_superuser
       OR EXISTS (SELECT 1 FROM pg_catalog.pg_class c
                   WHERE c.relnamespace OPERATOR(pg_catalog.=) 'retention'::pg_catalog.regnamespace)
       OR EXISTS (SELECT 1 FROM pg_catalog.pg_proc p
                   WHERE p.pronamespace OPERATOR(pg_catalog.=) 'retention'::pg_catalog.regnamespace)
       OR EXISTS (SELECT 1 FROM pg_catalog.pg_operator o
                   WHERE o.oprnamespace OPERATOR(pg_catalog.=) 'retention'::pg_catalog.regnamespace)
       OR EXISTS (SELECT 1 FROM pg_catalog.pg_type t
                   WHERE t.typnamespace OPERATOR(pg_catalog.=) 'retention'::pg_catalog.regnamespace)
    THEN
        RAISE EXCEPTION 'schema "retention" already exists and is not empty or not owned by a superuser'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'pg_retention installs into its own schema "retention"; objects someone else placed there could be run by the extension.',
                  HINT = 'Drop or rename the existing schema "retention", then run CREATE EXTENSION pg_retention again.';
    END IF;
END
$guard$;

-- Roles: created if absent, never dropped by the extension (roles are
-- cluster-wide and may own or be granted things in other databases).
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles
                    WHERE rolname OPERATOR(pg_catalog.=) 'retention_admin') THEN
        CREATE ROLE retention_admin NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles
                    WHERE rolname OPERATOR(pg_catalog.=) 'retention_dsr') THEN
        CREATE ROLE retention_dsr NOLOGIN;
    END IF;
END
$roles$;

COMMENT ON SCHEMA retention IS
    'pg_retention: retention categories, tags (security labels of provider "retention"), enforcement, evidence and data subject functions';

GRANT USAGE ON SCHEMA retention TO PUBLIC;

-- retention._load(): loads the library (and so the label provider) into
-- the calling session.
CREATE FUNCTION retention._load()
RETURNS void
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'retention_load';
COMMENT ON FUNCTION retention._load() IS
    'Internal: loads the pg_retention library into this session so that the "retention" label provider exists.';
