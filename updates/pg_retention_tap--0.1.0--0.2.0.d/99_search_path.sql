\echo Use "ALTER EXTENSION pg_retention_tap UPDATE TO '0.2.0'" to load this file. \quit
-- 99_search_path: last, after every fragment that (re)creates functions
-- (CREATE OR REPLACE drops a function's SET search_path): the same pin as
-- src/tap/90_search_path.sql.

-- Pin every function's search_path, now that we know where pgTAP lives:
-- pg_catalog first (nothing in a shared schema such as public can shadow a
-- built-in), then this extension's schema and pgTAP's (ok(), diag() and
-- pgTAP's own helpers are called unqualified), then pg_temp (pgTAP keeps
-- its plan in temporary tables).
DO $pin$
DECLARE
    own_schema name;
    tap_schema name;
    fn regprocedure;
BEGIN
    SELECT n.nspname INTO tap_schema
      FROM pg_catalog.pg_extension e
      JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) e.extnamespace
     WHERE e.extname OPERATOR(pg_catalog.=) 'pgtap';
    SELECT n.nspname INTO own_schema
      FROM pg_catalog.pg_extension e
      JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) e.extnamespace
     WHERE e.extname OPERATOR(pg_catalog.=) 'pg_retention_tap';
    FOR fn IN
        SELECT d.objid::pg_catalog.regprocedure
          FROM pg_catalog.pg_depend d
         WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
           AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
           AND d.refobjid OPERATOR(pg_catalog.=) (SELECT e.oid FROM pg_catalog.pg_extension e
                                                  WHERE e.extname OPERATOR(pg_catalog.=) 'pg_retention_tap')
           AND d.deptype OPERATOR(pg_catalog.=) 'e'
    LOOP
        EXECUTE pg_catalog.format('ALTER FUNCTION %s SET search_path = pg_catalog, %I, %I, pg_temp',
                                  fn, own_schema, tap_schema);
    END LOOP;
END
$pin$;
