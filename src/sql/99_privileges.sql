\echo Use "CREATE EXTENSION pg_retention" (or ALTER EXTENSION pg_retention UPDATE) to load this file. \quit
-- Privileges on every object of the extension, set explicitly at the end
-- of the install (and of every upgrade), whatever default privileges
-- (ALTER DEFAULT PRIVILEGES, global or IN SCHEMA retention) gave the objects
-- when they were created.  A restore runs CREATE EXTENSION and so this too;
-- pg_dump then re-applies only the grants made after the install.
--
-- The declared objects below get exactly the privileges listed (none when
-- the list is empty).  Any other object keeps what this script itself
-- granted to PUBLIC, retention_admin and retention_dsr, without what default
-- privileges added, and nothing for anyone else; a function keeps EXECUTE
-- for PUBLIC (the built-in default) even if default privileges revoked it.

CREATE FUNCTION retention._reset_privileges()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ext      oid := (SELECT e.oid FROM pg_extension e WHERE e.extname = 'pg_retention');
    nsp      oid := 'retention'::regnamespace;
    admin    oid := (SELECT r.oid FROM pg_roles r WHERE r.rolname = 'retention_admin');
    dsr      oid := (SELECT r.oid FROM pg_roles r WHERE r.rolname = 'retention_dsr');
    -- object name (functions: every overload) -> grantee -> privileges
    declared jsonb := $json${
        "retention._secret": {},
        "retention._key_check": {},
        "retention.suppression": {},
        "retention.category": {"PUBLIC": ["SELECT"], "retention_admin": ["INSERT", "UPDATE", "DELETE"]},
        "retention.tags": {"PUBLIC": ["SELECT"]},
        "retention.schedule": {"PUBLIC": ["SELECT"]},
        "retention.legal_hold": {"retention_admin": ["SELECT"]},
        "retention.holds": {"retention_admin": ["SELECT"]},
        "retention.run": {"retention_admin": ["SELECT"]},
        "retention.action_log": {"retention_admin": ["SELECT"]},
        "retention.status": {"retention_admin": ["SELECT"]},
        "retention.dsr_request": {"retention_admin": ["SELECT"], "retention_dsr": ["SELECT"]},
        "retention.lint_exception": {"PUBLIC": ["SELECT"], "retention_admin": ["INSERT", "UPDATE", "DELETE"]},
        "retention._new_key": {},
        "retention._key_id": {},
        "retention._identifier_hash": {},
        "retention._rehash_legacy": {},
        "retention._worker_wake": {},
        "retention._reset_privileges": {},
        "retention._check_identifier": {},
        "retention.define_category": {"retention_admin": ["EXECUTE"]},
        "retention.alter_category": {"retention_admin": ["EXECUTE"]},
        "retention.drop_category": {"retention_admin": ["EXECUTE"]},
        "retention.place_hold": {"retention_admin": ["EXECUTE"]},
        "retention.release_hold": {"retention_admin": ["EXECUTE"]},
        "retention.enforce": {"retention_admin": ["EXECUTE"]},
        "retention._tag_stats": {"retention_admin": ["EXECUTE"]},
        "retention.preview": {"retention_admin": ["EXECUTE"]},
        "retention.worker_status": {"retention_admin": ["EXECUTE"]},
        "retention.metrics_database": {"retention_admin": ["EXECUTE"], "pg_monitor": ["EXECUTE"]},
        "retention.metrics_tags": {"retention_admin": ["EXECUTE"], "pg_monitor": ["EXECUTE"]},
        "retention.lint_ignore": {"retention_admin": ["EXECUTE"]},
        "retention.lint_unignore": {"retention_admin": ["EXECUTE"]},
        "retention.lint_ignore_category": {"retention_admin": ["EXECUTE"]},
        "retention.lint_unignore_category": {"retention_admin": ["EXECUTE"]},
        "retention.export_subject_rows": {"retention_dsr": ["EXECUTE"]},
        "retention.export_subject": {"retention_dsr": ["EXECUTE"]},
        "retention.export_subject_csv": {"retention_dsr": ["EXECUTE"]},
        "retention.erase_subject": {"retention_dsr": ["EXECUTE"]},
        "retention.suppress": {"retention_dsr": ["EXECUTE"]},
        "retention.is_suppressed": {"retention_dsr": ["EXECUTE"]},
        "retention.erasure_ledger": {"retention_admin": ["EXECUTE"], "retention_dsr": ["EXECUTE"]},
        "retention.reapply_erasures": {"retention_dsr": ["EXECUTE"]}
    }$json$;
    obj      record;
    g        record;
BEGIN
    FOR obj IN
        SELECT 'ROUTINE' AS kind, p.oid::regprocedure::text AS ident,
               'retention.' || quote_ident(p.proname) AS name,
               p.proowner AS owner, p.proacl AS acl, 'f'::"char" AS objtype,
               acldefault('f', p.proowner) AS builtin
          FROM pg_depend d JOIN pg_proc p ON p.oid = d.objid
         WHERE d.classid = 'pg_proc'::regclass AND d.refclassid = 'pg_extension'::regclass
           AND d.refobjid = ext AND d.deptype = 'e'
        UNION ALL
        SELECT CASE WHEN c.relkind = 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, c.oid::regclass::text,
               c.oid::regclass::text, c.relowner, c.relacl,
               CASE WHEN c.relkind = 'S' THEN 'S' ELSE 'r' END::"char",
               acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner)
          FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
         WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_extension'::regclass
           AND d.refobjid = ext AND d.deptype = 'e'
           AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
    LOOP
        EXECUTE format('REVOKE ALL ON %s %s FROM PUBLIC', obj.kind, obj.ident);
        FOR g IN
            SELECT DISTINCT r.rolname FROM aclexplode(coalesce(obj.acl, obj.builtin)) a
              JOIN pg_roles r ON r.oid = a.grantee
             WHERE a.grantee <> obj.owner
        LOOP
            EXECUTE format('REVOKE ALL ON %s %s FROM %I', obj.kind, obj.ident, g.rolname);
        END LOOP;
        -- what the object gets: as declared, or what this script granted
        FOR g IN
            WITH target (grantee, priv) AS (
                SELECT t.key, p.value
                  FROM jsonb_each(declared -> obj.name) t, jsonb_array_elements_text(t.value) p
                UNION ALL
                SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC'
                            ELSE (SELECT r.rolname FROM pg_roles r WHERE r.oid = a.grantee) END,
                       a.privilege_type
                  FROM aclexplode(coalesce(obj.acl, obj.builtin)) a
                 WHERE NOT declared ? obj.name
                   AND a.grantee IN (0, admin, dsr) AND a.grantee <> obj.owner
                   -- not what default privileges added beyond the built-in default
                   AND NOT EXISTS (
                       SELECT 1 FROM pg_default_acl da, aclexplode(da.defaclacl) x
                        WHERE da.defaclrole = obj.owner AND da.defaclobjtype = obj.objtype
                          AND da.defaclnamespace IN (0, nsp)
                          AND x.grantee = a.grantee AND x.privilege_type = a.privilege_type
                          AND NOT EXISTS (SELECT 1 FROM aclexplode(obj.builtin) b
                                           WHERE b.grantee = x.grantee
                                             AND b.privilege_type = x.privilege_type))
                UNION ALL
                -- a function keeps PUBLIC's EXECUTE if default privileges revoked it
                SELECT 'PUBLIC', 'EXECUTE'
                 WHERE NOT declared ? obj.name AND obj.kind = 'ROUTINE'
                   AND EXISTS (
                       SELECT 1 FROM pg_default_acl da
                        WHERE da.defaclrole = obj.owner AND da.defaclobjtype = 'f'
                          AND da.defaclnamespace = 0
                          AND NOT EXISTS (SELECT 1 FROM aclexplode(da.defaclacl) x
                                           WHERE x.grantee = 0 AND x.privilege_type = 'EXECUTE')))
            SELECT t.grantee, string_agg(DISTINCT t.priv, ', ') AS privs
              FROM target t GROUP BY t.grantee
        LOOP
            EXECUTE format('GRANT %s ON %s %s TO %s', g.privs, obj.kind, obj.ident,
                           CASE WHEN g.grantee = 'PUBLIC' THEN 'PUBLIC' ELSE quote_ident(g.grantee) END);
        END LOOP;
    END LOOP;

    -- the schema: USAGE for everyone, CREATE for its owner only
    EXECUTE 'REVOKE ALL ON SCHEMA retention FROM PUBLIC';
    FOR g IN
        SELECT DISTINCT r.rolname FROM pg_namespace n, aclexplode(n.nspacl) a
          JOIN pg_roles r ON r.oid = a.grantee
         WHERE n.oid = nsp AND a.grantee <> n.nspowner
    LOOP
        EXECUTE format('REVOKE ALL ON SCHEMA retention FROM %I', g.rolname);
    END LOOP;
    EXECUTE 'GRANT USAGE ON SCHEMA retention TO PUBLIC';
END
$$;
COMMENT ON FUNCTION retention._reset_privileges() IS
    'Internal: sets the privileges of every object of the extension to the intended ones, whatever default privileges gave them; run at the end of CREATE EXTENSION and of every upgrade.';
REVOKE ALL ON FUNCTION retention._reset_privileges() FROM PUBLIC;

SELECT retention._reset_privileges();
