
-- Subject access: what retention.export_subject_rows(identifiers) returns
-- for a table.  The function is looked up when the test runs, so this
-- extension installs on a pg_retention without subject export too (the
-- test then fails saying so).

CREATE FUNCTION @extschema@.export_contains(identifiers jsonb, table_name regclass, expected_rows bigint,
                                            description text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
    qualified text := @extschema@._retention_tap_qualified(table_name);
    kinds text := CASE WHEN jsonb_typeof(identifiers) OPERATOR(pg_catalog.=) 'object'
                       THEN (SELECT string_agg(k, ', ' ORDER BY k COLLATE "C") FROM jsonb_object_keys(identifiers) k) END;
    descr text := coalesce(description,
        format('The export of the subject%s should hold %s row%s of %s',
               coalesce(' (' || kinds || ')', ''), expected_rows,
               CASE WHEN expected_rows = 1 THEN '' ELSE 's' END, qualified));
    have bigint;
    tables text;
BEGIN
    IF to_regprocedure('retention.export_subject_rows(jsonb)') IS NULL THEN
        RETURN @extschema@._retention_tap_ok(false, descr,
            '    retention.export_subject_rows(jsonb) does not exist: this version of pg_retention has no subject export');
    END IF;
    -- counts only: the exported data never reaches the test output
    BEGIN
        EXECUTE 'SELECT coalesce(pg_catalog.sum(s.n) FILTER (WHERE s.t OPERATOR(pg_catalog.=) $2), 0)::pg_catalog.int8,
                        pg_catalog.string_agg(pg_catalog.format(''%s: %s'', s.t, s.n), '', ''
                                              ORDER BY s.t::pg_catalog.text COLLATE "C")
                   FROM (SELECT e.table_name::pg_catalog.regclass AS t, pg_catalog.count(*) AS n
                           FROM retention.export_subject_rows($1) e
                          GROUP BY 1) s'
           INTO have, tables
          USING identifiers, table_name;
    EXCEPTION WHEN insufficient_privilege THEN
        RETURN @extschema@._retention_tap_ok(false, descr,
            '    retention.export_subject_rows() is for members of retention_dsr: run this test as one');
    END;
    RETURN @extschema@._retention_tap_ok(have OPERATOR(pg_catalog.=) expected_rows, descr,
        @extschema@._retention_tap_have_want(
            have || CASE WHEN have = 1 THEN ' row' ELSE ' rows' END,
            expected_rows || CASE WHEN expected_rows = 1 THEN ' row' ELSE ' rows' END)
        || E'\n    The export holds rows of: ' || coalesce(tables, 'no table'));
END
$$;
COMMENT ON FUNCTION @extschema@.export_contains(jsonb, regclass, bigint, text) IS
    'pgTAP: ok if the subject export for the identifiers (retention.export_subject_rows(identifiers)) holds expected_rows rows of the table. Only counts appear in the output, never exported data. Fails, saying so, if this pg_retention has no subject export.';

CREATE FUNCTION @extschema@.export_contains(identifiers jsonb, table_name text, expected_rows bigint,
                                            description text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
    rel regclass := to_regclass(table_name);
BEGIN
    IF rel IS NULL THEN
        RETURN @extschema@._retention_tap_no_table(table_name, coalesce(description,
            format('The export of the subject should hold %s row%s of %s', expected_rows,
                   CASE WHEN expected_rows = 1 THEN '' ELSE 's' END, table_name)));
    END IF;
    RETURN @extschema@.export_contains(identifiers, rel, expected_rows, description);
END
$$;
COMMENT ON FUNCTION @extschema@.export_contains(jsonb, text, bigint, text) IS
    'pgTAP: export_contains() with the table named by text; a table that does not exist fails the test.';
