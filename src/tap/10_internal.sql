
-- Internal helpers.  Every function of this extension runs as its caller,
-- like pgTAP's own; 90_search_path.sql pins each one's search_path to
-- pg_catalog, this extension's schema, pgTAP's schema and pg_temp (pgTAP's
-- ok() and diag() are called unqualified, as pgTAP's functions call each
-- other).

-- A test result: pgTAP's ok() line, followed on failure by diagnostics
-- (lines prefixed "# " by pgTAP's diag()).
CREATE FUNCTION @extschema@._retention_tap_ok(result boolean, description text, diagnostics text)
RETURNS text
LANGUAGE plpgsql
AS $$
BEGIN
    RETURN ok(result, description)
        || CASE WHEN result IS NOT TRUE AND diagnostics IS NOT NULL
                THEN E'\n' || diag(diagnostics) ELSE '' END;
END
$$;
COMMENT ON FUNCTION @extschema@._retention_tap_ok(boolean, text, text) IS
    'Internal (pg_retention_tap): pgTAP''s ok() with diagnostics on failure.';

-- pgTAP's have/want diagnostic lines, as is() prints them.
CREATE FUNCTION @extschema@._retention_tap_have_want(have text, want text)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT '        have: ' OPERATOR(pg_catalog.||) coalesce(have, 'NULL')
        OPERATOR(pg_catalog.||) E'\n        want: ' OPERATOR(pg_catalog.||) coalesce(want, 'NULL')
$$;
COMMENT ON FUNCTION @extschema@._retention_tap_have_want(text, text) IS
    'Internal (pg_retention_tap): "have:" and "want:" diagnostic lines in pgTAP''s layout.';

-- A table as schema.table, whatever the search_path.
CREATE FUNCTION @extschema@._retention_tap_qualified(table_name regclass)
RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT pg_catalog.format('%I.%I', n.nspname, c.relname)
      FROM pg_catalog.pg_class c
      JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
     WHERE c.oid OPERATOR(pg_catalog.=) table_name
$$;
COMMENT ON FUNCTION @extschema@._retention_tap_qualified(regclass) IS
    'Internal (pg_retention_tap): a table''s name qualified with its schema.';

-- The verdict for a table named by text that does not exist.
CREATE FUNCTION @extschema@._retention_tap_no_table(table_name text, description text)
RETURNS text
LANGUAGE sql
AS $$
    SELECT @extschema@._retention_tap_ok(false, description,
        pg_catalog.format('    Table %s does not exist', table_name))
$$;
COMMENT ON FUNCTION @extschema@._retention_tap_no_table(text, text) IS
    'Internal (pg_retention_tap): a failing test result for a table that does not exist.';
