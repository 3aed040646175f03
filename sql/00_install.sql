-- Installation: schema, roles, objects, and what PUBLIC may do.
CREATE EXTENSION pg_retention;                                   -- ok
SELECT rolname, rolcanlogin, rolsuper
  FROM pg_roles WHERE rolname IN ('retention_admin', 'retention_dsr')
 ORDER BY rolname;                                               -- ok: both NOLOGIN
SELECT e.extversion = (SELECT default_version FROM pg_available_extensions
                        WHERE name = 'pg_retention') AS version_matches_control
  FROM pg_extension e WHERE e.extname = 'pg_retention';          -- ok
-- every function, view and table of the extension has a comment
SELECT pg_describe_object(d.classid, d.objid, 0) AS object_without_comment
  FROM pg_depend d
 WHERE d.refclassid = 'pg_extension'::regclass
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_retention')
   AND d.deptype = 'e'
   AND d.classid IN ('pg_proc'::regclass, 'pg_class'::regclass)
   AND obj_description(d.objid, d.classid::regclass::name) IS NULL
   AND NOT (d.classid = 'pg_class'::regclass
            AND (SELECT relkind FROM pg_class WHERE oid = d.objid) IN ('i', 'S', 't'))
 ORDER BY 1;                                                     -- ok: none
-- every function pins its search_path (C functions need none)
SELECT p.oid::regprocedure AS function_without_search_path
  FROM pg_proc p
 WHERE p.pronamespace = 'retention'::regnamespace
   AND p.prolang <> (SELECT oid FROM pg_language WHERE lanname = 'c')
   AND p.prosqlbody IS NULL  -- SQL-standard bodies are bound when created
   AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')
 ORDER BY 1;                                                     -- ok: none
-- administrative functions are not executable by PUBLIC
SELECT p.oid::regprocedure AS function, has_function_privilege('public', p.oid, 'EXECUTE') AS public_can_execute
  FROM pg_proc p
 WHERE p.pronamespace = 'retention'::regnamespace
   AND p.proname IN ('define_category', 'alter_category', 'drop_category')
 ORDER BY 1;                                                     -- ok: all false
