\echo Use "ALTER EXTENSION pg_retention_tap UPDATE TO '0.2.0'" to load this file. \quit
/* pg_retention_tap 0.1.0 -> 0.2.0: released with 0.2.0, never edited; a later change goes into a script of its own. */

-- ==== 20_nullsafe ===================================================
-- 20_nullsafe: retention_would_process() counts what preview() now calls
-- rows_due (blocked rows apart) and says how many due rows are blocked.

CREATE OR REPLACE FUNCTION @extschema@._retention_tap_would_process(table_name regclass, column_name name,
                                                         as_of timestamptz, expected bigint,
                                                         description text)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
    qualified text := @extschema@._retention_tap_qualified(table_name);
    object text := qualified || coalesce('.' || quote_ident(column_name), '');
    unit text := CASE WHEN column_name IS NULL THEN 'row' ELSE 'value' END;
    descr text := coalesce(description,
        format('Enforcement at %s should %s %s %s%s of %s', as_of,
               CASE WHEN column_name IS NULL THEN 'delete' ELSE 'anonymize' END,
               expected, unit, CASE WHEN expected = 1 THEN '' ELSE 's' END, object));
    p record;
    found_tag boolean;
    other text;
BEGIN
    IF column_name IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM pg_catalog.pg_attribute a
         WHERE a.attrelid OPERATOR(pg_catalog.=) _retention_tap_would_process.table_name
           AND a.attname OPERATOR(pg_catalog.=) _retention_tap_would_process.column_name
           AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped) THEN
        RETURN @extschema@._retention_tap_ok(false, descr, format('    Column %s does not exist', object));
    END IF;
    BEGIN
        SELECT pv.rows_due, pv.rows_held, pv.rows_blocked, pv.anchor_cutoff, pv.category, pv.action, pv.note INTO p
          FROM retention.preview(as_of) pv
         WHERE pv.table_name OPERATOR(pg_catalog.=) _retention_tap_would_process.table_name
           AND pv.column_name IS NOT DISTINCT FROM _retention_tap_would_process.column_name;
        found_tag := FOUND;
    EXCEPTION WHEN insufficient_privilege THEN
        RETURN @extschema@._retention_tap_ok(false, descr,
            '    retention.preview() is for members of retention_admin: run this test as one');
    END;
    IF NOT found_tag THEN
        SELECT string_agg(t.object, ', ' ORDER BY t.object COLLATE "C") INTO other
          FROM retention.tags t
         WHERE t.table_name OPERATOR(pg_catalog.=) _retention_tap_would_process.table_name
           AND t.kind OPERATOR(pg_catalog.<>) 'subject';
        RETURN @extschema@._retention_tap_ok(false, descr,
            CASE WHEN column_name IS NULL
                 THEN format('    Table %s has no valid table tag: enforcement deletes none of its rows', qualified)
                 ELSE format('    Column %s has no valid retention tag with a category: enforcement anonymizes none of its values', object)
            END
            || coalesce(E'\n    Its tags with a retention rule: ' || other
                        || E'\n    (the table form counts rows the table tag deletes; pass a column to count the values a column tag anonymizes)', ''));
    END IF;
    RETURN @extschema@._retention_tap_ok(p.rows_due OPERATOR(pg_catalog.=) expected, descr,
        @extschema@._retention_tap_have_want(
            p.rows_due || ' ' || unit || CASE WHEN p.rows_due = 1 THEN '' ELSE 's' END,
            expected || ' ' || unit || CASE WHEN expected = 1 THEN '' ELSE 's' END)
        || format(E'\n    Due at %s: anchors up to %s (category %s, action %s)', as_of, p.anchor_cutoff, p.category, p.action)
        || CASE WHEN p.rows_held OPERATOR(pg_catalog.>) 0
                THEN format(E'\n    %s %s kept by a legal hold', p.rows_held,
                            CASE WHEN p.rows_held = 1 THEN 'row is' ELSE 'rows are' END) ELSE '' END
        || CASE WHEN p.rows_blocked OPERATOR(pg_catalog.>) 0
                THEN format(E'\n    %s more %s due but blocked: still referenced by rows that stay (foreign key)',
                            p.rows_blocked, CASE WHEN p.rows_blocked = 1 THEN 'row is' ELSE 'rows are' END) ELSE '' END
        || coalesce(E'\n    Note: ' || p.note, ''));
END
$$;
COMMENT ON FUNCTION @extschema@._retention_tap_would_process(regclass, name, timestamptz, bigint, text) IS
    'Internal (pg_retention_tap): the test behind retention_would_process().';

COMMENT ON FUNCTION @extschema@.retention_would_process(regclass, timestamptz, bigint, text) IS
    'pgTAP: ok if enforcement at as_of (now or a future instant) would delete expected rows of the table through its table tag, as retention.preview(as_of) counts them (held rows, blocked rows -- still referenced by rows that stay -- and rows with a NULL anchor are not counted). Members of retention_admin only (as preview).';

-- ==== 99_search_path ================================================
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
