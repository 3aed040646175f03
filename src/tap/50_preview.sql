
-- What enforcement would do at an instant, through retention.preview(as_of)
-- (so the caller must be a member of retention_admin, as for preview).
--
-- retention_would_process(table, as_of, n): the table tag would delete n
-- rows.  retention_would_process(table, column, as_of, n): the column tag
-- would anonymize n values (one per row: rows whose anchor is due, whose
-- value is not anonymized yet and that no legal hold keeps).  Each tag is
-- counted on its own, as preview() counts it.

CREATE FUNCTION @extschema@._retention_tap_would_process(table_name regclass, column_name name,
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

CREATE FUNCTION @extschema@.retention_would_process(table_name regclass, as_of timestamptz, expected bigint,
                                                    description text DEFAULT NULL)
RETURNS text
LANGUAGE sql
AS $$
    SELECT @extschema@._retention_tap_would_process(table_name, NULL, as_of, expected, description)
$$;
COMMENT ON FUNCTION @extschema@.retention_would_process(regclass, timestamptz, bigint, text) IS
    'pgTAP: ok if enforcement at as_of (now or a future instant) would delete expected rows of the table through its table tag, as retention.preview(as_of) counts them (held rows, blocked rows -- still referenced by rows that stay -- and rows with a NULL anchor are not counted). Members of retention_admin only (as preview).';

CREATE FUNCTION @extschema@.retention_would_process(table_name text, as_of timestamptz, expected bigint,
                                                    description text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
    rel regclass := to_regclass(table_name);
BEGIN
    IF rel IS NULL THEN
        RETURN @extschema@._retention_tap_no_table(table_name, coalesce(description,
            format('Enforcement at %s should delete %s row%s of %s', as_of, expected,
                   CASE WHEN expected = 1 THEN '' ELSE 's' END, table_name)));
    END IF;
    RETURN @extschema@._retention_tap_would_process(rel, NULL, as_of, expected, description);
END
$$;
COMMENT ON FUNCTION @extschema@.retention_would_process(text, timestamptz, bigint, text) IS
    'pgTAP: retention_would_process() with the table named by text; a table that does not exist fails the test.';

CREATE FUNCTION @extschema@.retention_would_process(table_name regclass, column_name name, as_of timestamptz,
                                                    expected bigint, description text DEFAULT NULL)
RETURNS text
LANGUAGE sql
AS $$
    SELECT @extschema@._retention_tap_would_process(table_name, column_name, as_of, expected, description)
$$;
COMMENT ON FUNCTION @extschema@.retention_would_process(regclass, name, timestamptz, bigint, text) IS
    'pgTAP: ok if enforcement at as_of would anonymize expected values of the column through its column tag (one per row whose anchor is due, whose value is not anonymized yet and that no legal hold keeps), as retention.preview(as_of) counts them. Members of retention_admin only (as preview).';

CREATE FUNCTION @extschema@.retention_would_process(table_name text, column_name name, as_of timestamptz,
                                                    expected bigint, description text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
    rel regclass := to_regclass(table_name);
BEGIN
    IF rel IS NULL THEN
        RETURN @extschema@._retention_tap_no_table(table_name, coalesce(description,
            format('Enforcement at %s should anonymize %s value%s of %s.%s', as_of, expected,
                   CASE WHEN expected = 1 THEN '' ELSE 's' END, table_name, quote_ident(column_name))));
    END IF;
    RETURN @extschema@._retention_tap_would_process(rel, column_name, as_of, expected, description);
END
$$;
COMMENT ON FUNCTION @extschema@.retention_would_process(text, name, timestamptz, bigint, text) IS
    'pgTAP: the column form of retention_would_process() with the table named by text; a table that does not exist fails the test.';
