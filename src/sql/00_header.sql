\echo Use "CREATE EXTENSION pg_retention" to load this file. \quit

-- pg_retention install script, concatenated from src/sql/*.sql in name order.
-- Every object is schema-qualified and every operator is
-- OPERATOR(pg_catalog.x): nothing here resolves through a caller's
-- search_path.

-- A schema "retention" created before CREATE EXTENSION could hold objects
-- that our functions would find, or let someone else add them later
-- (overloads that win over ours for literal arguments, run by whoever calls
-- the function, superusers included).  Refuse to install into one that is
-- not owned by a superuser, that anyone but its owner can create objects
-- in, or that holds anything.  A schema CREATE EXTENSION itself made in
-- this transaction gets its privileges set below (retention._reset_privileges
-- at the end of the script), whatever default privileges gave it.
DO $guard$
DECLARE
    nsp         oid;
    owner_super boolean;
    created_now boolean;
    creators    text;
    objects     bigint;
BEGIN
    SELECT n.oid, r.rolsuper,
           n.xmin OPERATOR(pg_catalog.=) pg_catalog.pg_current_xact_id()::pg_catalog.xid
      INTO nsp, owner_super, created_now
      FROM pg_catalog.pg_namespace n
      JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) n.nspowner
     WHERE n.nspname OPERATOR(pg_catalog.=) 'retention';
    IF NOT owner_super THEN
        RAISE EXCEPTION 'schema "retention" already exists and is not owned by a superuser'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'pg_retention installs into its own schema "retention"; its owner could add objects there that the extension''s functions would run.',
                  HINT = 'Drop or rename the existing schema "retention" (or make a superuser its owner), then run CREATE EXTENSION pg_retention again.';
    END IF;
    SELECT pg_catalog.string_agg(CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
                                      ELSE pg_catalog.quote_ident(g.rolname) END, ', ' ORDER BY 1)
      INTO creators
      FROM pg_catalog.pg_namespace n,
           LATERAL pg_catalog.aclexplode(n.nspacl) a
      LEFT JOIN pg_catalog.pg_roles g ON g.oid OPERATOR(pg_catalog.=) a.grantee
     WHERE n.oid OPERATOR(pg_catalog.=) nsp
       AND a.privilege_type OPERATOR(pg_catalog.=) 'CREATE'
       AND a.grantee OPERATOR(pg_catalog.<>) n.nspowner;
    IF creators IS NOT NULL AND NOT created_now THEN
        RAISE EXCEPTION 'schema "retention" already exists and roles other than its owner can create objects in it'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = pg_catalog.format('CREATE on schema "retention" is granted to %s; objects they place there could be run by the extension''s functions.', creators),
                  HINT = 'REVOKE CREATE ON SCHEMA retention FROM those roles (or drop the schema), then run CREATE EXTENSION pg_retention again.';
    END IF;
    SELECT (SELECT pg_catalog.count(*) FROM pg_catalog.pg_class WHERE relnamespace OPERATOR(pg_catalog.=) nsp)
         + (SELECT pg_catalog.count(*) FROM pg_catalog.pg_proc WHERE pronamespace OPERATOR(pg_catalog.=) nsp)
         -- types, but not a table's row type and array types, counted with their table or type
         + (SELECT pg_catalog.count(*) FROM pg_catalog.pg_type t
             WHERE t.typnamespace OPERATOR(pg_catalog.=) nsp AND t.typrelid OPERATOR(pg_catalog.=) 0
               AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type e
                                WHERE e.typarray OPERATOR(pg_catalog.=) t.oid))
         + (SELECT pg_catalog.count(*) FROM pg_catalog.pg_operator WHERE oprnamespace OPERATOR(pg_catalog.=) nsp)
         + (SELECT pg_catalog.count(*) FROM pg_catalog.pg_collation WHERE collnamespace OPERATOR(pg_catalog.=) nsp)
         + (SELECT pg_catalog.count(*) FROM pg_catalog.pg_conversion WHERE connamespace OPERATOR(pg_catalog.=) nsp)
         + (SELECT pg_catalog.count(*) FROM pg_catalog.pg_opclass WHERE opcnamespace OPERATOR(pg_catalog.=) nsp)
         + (SELECT pg_catalog.count(*) FROM pg_catalog.pg_opfamily WHERE opfnamespace OPERATOR(pg_catalog.=) nsp)
         + (SELECT pg_catalog.count(*) FROM pg_catalog.pg_ts_config WHERE cfgnamespace OPERATOR(pg_catalog.=) nsp)
         + (SELECT pg_catalog.count(*) FROM pg_catalog.pg_ts_dict WHERE dictnamespace OPERATOR(pg_catalog.=) nsp)
         + (SELECT pg_catalog.count(*) FROM pg_catalog.pg_ts_parser WHERE prsnamespace OPERATOR(pg_catalog.=) nsp)
         + (SELECT pg_catalog.count(*) FROM pg_catalog.pg_ts_template WHERE tmplnamespace OPERATOR(pg_catalog.=) nsp)
         + (SELECT pg_catalog.count(*) FROM pg_catalog.pg_statistic_ext WHERE stxnamespace OPERATOR(pg_catalog.=) nsp)
         + (SELECT pg_catalog.count(*) FROM pg_catalog.pg_extension WHERE extnamespace OPERATOR(pg_catalog.=) nsp
                                                                        AND extname OPERATOR(pg_catalog.<>) 'pg_retention')
      INTO objects;
    IF objects OPERATOR(pg_catalog.>) 0 THEN
        RAISE EXCEPTION 'schema "retention" already exists and is not empty'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('Objects in it: %s. pg_retention''s functions could find and run them.', objects),
                  HINT = 'Move the objects out of schema "retention" or drop them (or drop the schema), then run CREATE EXTENSION pg_retention again.';
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

-- Every object's privileges, the schema's included, are set at the end of
-- the script (retention._reset_privileges in 99_privileges.sql).
GRANT USAGE ON SCHEMA retention TO PUBLIC;

-- retention._load(): loads the library (and so the label provider) into
-- the calling session.
CREATE FUNCTION retention._load()
RETURNS void
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'retention_load';
COMMENT ON FUNCTION retention._load() IS
    'Internal: loads the pg_retention library into this session so that the "retention" label provider exists.';
