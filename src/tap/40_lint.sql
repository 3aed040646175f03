
-- Lint: the findings of retention.lint() that should turn a build red.

CREATE FUNCTION @extschema@.no_untagged_personal_data(schema_name name, description text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
    descr text := coalesce(description,
        format('Schema %s should have no untagged personal data', schema_name));
    columns text;
    tables text;
    labels text;
    example text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace n
                    WHERE n.nspname OPERATOR(pg_catalog.=) schema_name) THEN
        RETURN @extschema@._retention_tap_ok(false, descr,
            format('    Schema %s does not exist', quote_ident(schema_name)));
    END IF;
    WITH findings AS (
        SELECT l.check_name, l.object, p[1] AS schema_part, p[2] AS table_part, p[3] AS column_part,
               -- the reason alone ("its type is inet"), or the whole message
               coalesce(substring(l.message FROM '^column looks like personal data \((.*)\) but '),
                        substring(l.message FROM '^table has subject identifier columns \((.*)\) but '),
                        l.message) AS why
          FROM retention.lint(schema_name) l
         CROSS JOIN LATERAL pg_catalog.parse_ident(l.object) p
         WHERE l.check_name OPERATOR(pg_catalog.=) ANY (ARRAY['untagged_personal_data', 'subject_without_retention']))
    SELECT (SELECT string_agg(format(E'\n        %s (%s)', f.object, f.why), '' ORDER BY f.object COLLATE "C")
              FROM findings f WHERE f.check_name OPERATOR(pg_catalog.=) 'untagged_personal_data'),
           (SELECT string_agg(format(E'\n        %s (%s)', f.object, f.why), '' ORDER BY f.object COLLATE "C")
              FROM findings f WHERE f.check_name OPERATOR(pg_catalog.=) 'subject_without_retention'),
           (SELECT string_agg(format(E'\n        SECURITY LABEL FOR retention ON TABLE %I.%I IS %L;',
                                     s.schema_part, s.table_part,
                                     'category=<category> anchor='
                                     || retention._lint_suggested_anchor(
                                            to_regclass(format('%I.%I', s.schema_part, s.table_part)))),
                              '' ORDER BY s.schema_part COLLATE "C", s.table_part COLLATE "C")
              FROM (SELECT DISTINCT f.schema_part, f.table_part FROM findings f) s),
           (SELECT format('SELECT retention.lint_ignore(%L, %L, ''<reason>'');',
                          format('%I.%I', f.schema_part, f.table_part), f.column_part)
              FROM findings f WHERE f.check_name OPERATOR(pg_catalog.=) 'untagged_personal_data'
             ORDER BY f.object COLLATE "C" LIMIT 1)
      INTO columns, tables, labels, example;

    RETURN @extschema@._retention_tap_ok(columns IS NULL AND tables IS NULL, descr,
        coalesce('    Columns that look like personal data, with no retention tag on the column or its table:'
                 || columns || E'\n', '')
        || coalesce('    Tables with subject identifiers but no retention rule:' || tables || E'\n', '')
        || '    Give each table a retention rule (or tag the columns with a category):' || labels
        || coalesce(E'\n    or, if a column is not personal data, record why, e.g.: ' || example, ''));
END
$$;
COMMENT ON FUNCTION @extschema@.no_untagged_personal_data(name, text) IS
    'pgTAP: ok if retention.lint() finds no untagged personal data in the schema: no column that looks like personal data (by name or type) without a tag on it or on its table, and no table with subject identifiers but no retention rule. On failure the diagnostics list each finding and the SECURITY LABEL to add. Reviewed columns are silenced with retention.lint_ignore(). A schema that does not exist fails.';

CREATE FUNCTION @extschema@.retention_tags_are_valid(schema_name name, description text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
    descr text := coalesce(description,
        format('Retention tags in schema %s should all resolve', schema_name));
    problems text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace n
                    WHERE n.nspname OPERATOR(pg_catalog.=) schema_name) THEN
        RETURN @extschema@._retention_tap_ok(false, descr,
            format('    Schema %s does not exist', quote_ident(schema_name)));
    END IF;
    SELECT string_agg(format(E'\n        %s: %s\n            %s', l.object, l.message, l.hint), '')
      INTO problems
      FROM retention.lint(schema_name) l
     WHERE l.check_name OPERATOR(pg_catalog.=) 'invalid_tag';
    RETURN @extschema@._retention_tap_ok(problems IS NULL, descr,
        '    Tags that no longer resolve (enforcement skips them):' || problems);
END
$$;
COMMENT ON FUNCTION @extschema@.retention_tags_are_valid(name, text) IS
    'pgTAP: ok if every retention tag on the schema''s tables still resolves (category exists, anchor and action fit the column). On failure the diagnostics name each broken tag, its problem and how to fix it.';
