\echo Use "CREATE EXTENSION pg_retention_tap" to load this file. \quit

-- pg_retention_tap: pgTAP assertions over pg_retention's policy, for users'
-- own CI suites.  Concatenated from src/tap/*.sql in name order.

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

-- Tags: the table's or column's retention tag has the category, the column
-- is a subject identifier of the kind.  Each takes the table as regclass
-- or as text (a table named by text that does not exist fails the test
-- instead of aborting the suite); the description is optional and last.

CREATE FUNCTION @extschema@.table_has_retention(table_name regclass, category text, description text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
    qualified text := @extschema@._retention_tap_qualified(table_name);
    descr text := coalesce(description,
        format('Table %s should have retention category %s', qualified, category));
    tag record;
    suggestion text;
BEGIN
    SELECT t.category, t.label, t.valid, t.problem INTO tag
      FROM retention.tags t
     WHERE t.table_name OPERATOR(pg_catalog.=) table_has_retention.table_name
       AND t.column_name IS NULL;
    IF FOUND AND tag.category IS NOT DISTINCT FROM category AND tag.valid THEN
        RETURN @extschema@._retention_tap_ok(true, descr, NULL);
    END IF;
    suggestion := format('SECURITY LABEL FOR retention ON TABLE %s IS %L;', qualified,
                         format('category=%s anchor=%s', quote_ident(category),
                                retention._lint_suggested_anchor(table_name)));
    RETURN @extschema@._retention_tap_ok(false, descr,
        CASE WHEN NOT FOUND THEN
                 @extschema@._retention_tap_have_want('no table tag', 'category=' || category)
                 || E'\n    Tag the table: ' || suggestion
             WHEN tag.category IS DISTINCT FROM category THEN
                 @extschema@._retention_tap_have_want(tag.label, 'category=' || category)
             ELSE
                 @extschema@._retention_tap_have_want(tag.label, 'a tag that resolves')
                 || E'\n    The tag no longer resolves: ' || tag.problem
         END
        || CASE WHEN NOT EXISTS (SELECT 1 FROM retention.category c
                                  WHERE c.name OPERATOR(pg_catalog.=) table_has_retention.category)
                THEN format(E'\n    Category %s does not exist: define it with retention.define_category()', category)
                ELSE '' END);
END
$$;
COMMENT ON FUNCTION @extschema@.table_has_retention(regclass, text, text) IS
    'pgTAP: ok if the table has a valid retention tag of the category (its rows are deleted when due). On failure the diagnostics show the tag it has and the label to add.';

CREATE FUNCTION @extschema@.table_has_retention(table_name text, category text, description text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
    rel regclass := to_regclass(table_name);
BEGIN
    IF rel IS NULL THEN
        RETURN @extschema@._retention_tap_no_table(table_name, coalesce(description,
            format('Table %s should have retention category %s', table_name, category)));
    END IF;
    RETURN @extschema@.table_has_retention(rel, category, description);
END
$$;
COMMENT ON FUNCTION @extschema@.table_has_retention(text, text, text) IS
    'pgTAP: table_has_retention() with the table named by text; a table that does not exist fails the test.';

CREATE FUNCTION @extschema@.column_has_retention(table_name regclass, column_name name, category text,
                                                 description text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
    qualified text := @extschema@._retention_tap_qualified(table_name);
    descr text := coalesce(description,
        format('Column %s.%s should have retention category %s', qualified, quote_ident(column_name), category));
    tag record;
    suggestion text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                    WHERE a.attrelid OPERATOR(pg_catalog.=) column_has_retention.table_name
                      AND a.attname OPERATOR(pg_catalog.=) column_has_retention.column_name
                      AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped) THEN
        RETURN @extschema@._retention_tap_ok(false, descr,
            format('    Column %s.%s does not exist', qualified, quote_ident(column_name)));
    END IF;
    SELECT t.category, t.label, t.valid, t.problem, t.subject INTO tag
      FROM retention.tags t
     WHERE t.table_name OPERATOR(pg_catalog.=) column_has_retention.table_name
       AND t.column_name OPERATOR(pg_catalog.=) column_has_retention.column_name;
    IF FOUND AND tag.category IS NOT DISTINCT FROM category AND tag.valid THEN
        RETURN @extschema@._retention_tap_ok(true, descr, NULL);
    END IF;
    suggestion := format('SECURITY LABEL FOR retention ON COLUMN %s.%I IS %L;', qualified, column_name,
                         format('category=%s anchor=%s', quote_ident(category),
                                retention._lint_suggested_anchor(table_name))
                         || coalesce(' subject=' || tag.subject, ''));
    RETURN @extschema@._retention_tap_ok(false, descr,
        CASE WHEN NOT FOUND THEN
                 @extschema@._retention_tap_have_want('no column tag', 'category=' || category)
                 || E'\n    Tag the column: ' || suggestion
             WHEN tag.category IS NULL THEN
                 @extschema@._retention_tap_have_want(tag.label, 'category=' || category)
                 || E'\n    Tag the column: ' || suggestion
             WHEN tag.category IS DISTINCT FROM category THEN
                 @extschema@._retention_tap_have_want(tag.label, 'category=' || category)
             ELSE
                 @extschema@._retention_tap_have_want(tag.label, 'a tag that resolves')
                 || E'\n    The tag no longer resolves: ' || tag.problem
         END
        || CASE WHEN NOT EXISTS (SELECT 1 FROM retention.category c
                                  WHERE c.name OPERATOR(pg_catalog.=) column_has_retention.category)
                THEN format(E'\n    Category %s does not exist: define it with retention.define_category()', category)
                ELSE '' END);
END
$$;
COMMENT ON FUNCTION @extschema@.column_has_retention(regclass, name, text, text) IS
    'pgTAP: ok if the column has a valid retention tag of the category (its value is anonymized when due). On failure the diagnostics show the tag it has and the label to add.';

CREATE FUNCTION @extschema@.column_has_retention(table_name text, column_name name, category text,
                                                 description text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
    rel regclass := to_regclass(table_name);
BEGIN
    IF rel IS NULL THEN
        RETURN @extschema@._retention_tap_no_table(table_name, coalesce(description,
            format('Column %s.%s should have retention category %s', table_name, quote_ident(column_name), category)));
    END IF;
    RETURN @extschema@.column_has_retention(rel, column_name, category, description);
END
$$;
COMMENT ON FUNCTION @extschema@.column_has_retention(text, name, text, text) IS
    'pgTAP: column_has_retention() with the table named by text; a table that does not exist fails the test.';

CREATE FUNCTION @extschema@.column_is_subject(table_name regclass, column_name name, kind text,
                                              description text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
    qualified text := @extschema@._retention_tap_qualified(table_name);
    descr text := coalesce(description,
        format('Column %s.%s should identify data subjects by %s', qualified, quote_ident(column_name), kind));
    tag record;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                    WHERE a.attrelid OPERATOR(pg_catalog.=) column_is_subject.table_name
                      AND a.attname OPERATOR(pg_catalog.=) column_is_subject.column_name
                      AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped) THEN
        RETURN @extschema@._retention_tap_ok(false, descr,
            format('    Column %s.%s does not exist', qualified, quote_ident(column_name)));
    END IF;
    SELECT t.subject, t.label INTO tag
      FROM retention.tags t
     WHERE t.table_name OPERATOR(pg_catalog.=) column_is_subject.table_name
       AND t.column_name OPERATOR(pg_catalog.=) column_is_subject.column_name;
    IF FOUND AND tag.subject IS NOT DISTINCT FROM kind THEN
        RETURN @extschema@._retention_tap_ok(true, descr, NULL);
    END IF;
    RETURN @extschema@._retention_tap_ok(false, descr,
        @extschema@._retention_tap_have_want(coalesce(tag.label, 'no column tag'), 'subject=' || kind)
        || CASE WHEN NOT FOUND
                THEN format(E'\n    Tag the column: SECURITY LABEL FOR retention ON COLUMN %s.%I IS %L;',
                            qualified, column_name, 'subject=' || kind)
                WHEN tag.subject IS NULL
                THEN format(E'\n    Add subject=%s to its label: SECURITY LABEL FOR retention ON COLUMN %s.%I IS %L;',
                            kind, qualified, column_name, tag.label || ' subject=' || kind)
                ELSE '' END);
END
$$;
COMMENT ON FUNCTION @extschema@.column_is_subject(regclass, name, text, text) IS
    'pgTAP: ok if the column''s retention tag marks it as a data subject identifier of the kind (subject=kind), so subject access and erasure find a person''s rows by it.';

CREATE FUNCTION @extschema@.column_is_subject(table_name text, column_name name, kind text,
                                              description text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
    rel regclass := to_regclass(table_name);
BEGIN
    IF rel IS NULL THEN
        RETURN @extschema@._retention_tap_no_table(table_name, coalesce(description,
            format('Column %s.%s should identify data subjects by %s', table_name, quote_ident(column_name), kind)));
    END IF;
    RETURN @extschema@.column_is_subject(rel, column_name, kind, description);
END
$$;
COMMENT ON FUNCTION @extschema@.column_is_subject(text, name, text, text) IS
    'pgTAP: column_is_subject() with the table named by text; a table that does not exist fails the test.';

-- Categories: the retention rule a privacy notice promises (period, the
-- boundary it starts from, the action at expiry).

-- The verdict for a category that does not exist.
CREATE FUNCTION @extschema@._retention_tap_no_category(category text, description text)
RETURNS text
LANGUAGE sql
AS $$
    SELECT @extschema@._retention_tap_ok(false, description,
        pg_catalog.format('    Category %s does not exist; defined: %s', category,
            coalesce((SELECT pg_catalog.string_agg(c.name, ', ' ORDER BY c.name COLLATE "C")
                        FROM retention.category c), 'none')))
$$;
COMMENT ON FUNCTION @extschema@._retention_tap_no_category(text, text) IS
    'Internal (pg_retention_tap): a failing test result for a category that does not exist.';

-- A period in words for descriptions: 12 months is "1 year", 25 months
-- "25 months", zero "0".
CREATE FUNCTION @extschema@._retention_tap_period_words(period interval)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT coalesce(nullif(pg_catalog.concat_ws(' ',
               CASE WHEN m.months OPERATOR(pg_catalog.>) 0 AND m.months OPERATOR(pg_catalog.%) 12 OPERATOR(pg_catalog.=) 0
                    THEN (m.months OPERATOR(pg_catalog./) 12) OPERATOR(pg_catalog.||)
                         CASE WHEN m.months OPERATOR(pg_catalog.=) 12 THEN ' year' ELSE ' years' END
                    WHEN m.months OPERATOR(pg_catalog.>) 0
                    THEN m.months OPERATOR(pg_catalog.||)
                         CASE WHEN m.months OPERATOR(pg_catalog.=) 1 THEN ' month' ELSE ' months' END END,
               CASE WHEN m.days OPERATOR(pg_catalog.>) 0
                    THEN m.days OPERATOR(pg_catalog.||)
                         CASE WHEN m.days OPERATOR(pg_catalog.=) 1 THEN ' day' ELSE ' days' END END,
               CASE WHEN m.rest OPERATOR(pg_catalog.<>) '0'::pg_catalog.interval THEN m.rest::pg_catalog.text END), ''),
           '0')
      FROM (SELECT (pg_catalog.date_part('year', period) OPERATOR(pg_catalog.*) 12
                    OPERATOR(pg_catalog.+) pg_catalog.date_part('month', period))::integer AS months,
                   pg_catalog.date_part('day', period)::integer AS days,
                   period OPERATOR(pg_catalog.-) pg_catalog.date_trunc('day', period) AS rest) m
$$;
COMMENT ON FUNCTION @extschema@._retention_tap_period_words(interval) IS
    'Internal (pg_retention_tap): a retention period in words for test descriptions (1 year, 25 months, 0).';

CREATE FUNCTION @extschema@.category_period_is(category text, period interval, description text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
    descr text := coalesce(description,
        format('Category %s should have retention period %s', category,
               @extschema@._retention_tap_period_words(period)));
    cat retention.category;
    same boolean;
BEGIN
    SELECT c.* INTO cat FROM retention.category c WHERE c.name OPERATOR(pg_catalog.=) category_period_is.category;
    IF NOT FOUND THEN
        RETURN @extschema@._retention_tap_no_category(category, descr);
    END IF;
    -- field by field: '1 month' is not '30 days' on the calendar, though
    -- interval equality says they are equal
    same := extract(year FROM cat.period) * 12 + extract(month FROM cat.period)
                = extract(year FROM period) * 12 + extract(month FROM period)
            AND extract(day FROM cat.period) = extract(day FROM period)
            AND cat.period - date_trunc('day', cat.period) = period - date_trunc('day', period);
    RETURN @extschema@._retention_tap_ok(same, descr,
        @extschema@._retention_tap_have_want(@extschema@._retention_tap_period_words(cat.period),
                                             @extschema@._retention_tap_period_words(period))
        || E'\n    The category keeps data '
        || retention.rule_in_words(cat.period, cat.starts, cat.time_zone));
END
$$;
COMMENT ON FUNCTION @extschema@.category_period_is(text, interval, text) IS
    'pgTAP: ok if the category''s retention period is the interval, compared field by field (12 months equals 1 year; 1 month does not equal 30 days). On failure the diagnostics show the current period and the rule in words.';

CREATE FUNCTION @extschema@.category_action_is(category text, action text, description text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
    descr text := coalesce(description,
        format('Category %s should %s data at expiry', category, action));
    cat retention.category;
BEGIN
    SELECT c.* INTO cat FROM retention.category c WHERE c.name OPERATOR(pg_catalog.=) category_action_is.category;
    IF NOT FOUND THEN
        RETURN @extschema@._retention_tap_no_category(category, descr);
    END IF;
    RETURN @extschema@._retention_tap_ok(cat.action IS NOT DISTINCT FROM action, descr,
        @extschema@._retention_tap_have_want(cat.action, action)
        || coalesce(E'\n    Tags of the category with an action of their own: '
                    || (SELECT string_agg(format('%s (%s)', t.object, t.action), ', ' ORDER BY t.object COLLATE "C")
                          FROM retention.tags t
                         WHERE t.category OPERATOR(pg_catalog.=) category_action_is.category
                           AND t.action_source OPERATOR(pg_catalog.=) 'tag'), ''));
END
$$;
COMMENT ON FUNCTION @extschema@.category_action_is(text, text, text) IS
    'pgTAP: ok if the category''s default action at expiry is action (delete, nullify, default, hash, mask, generalize). Tags may override it; the diagnostics list those that do.';

CREATE FUNCTION @extschema@.category_starts_is(category text, starts text, description text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
    descr text := coalesce(description,
        format('Category %s should count its period from %s', category, starts));
    cat retention.category;
BEGIN
    SELECT c.* INTO cat FROM retention.category c WHERE c.name OPERATOR(pg_catalog.=) category_starts_is.category;
    IF NOT FOUND THEN
        RETURN @extschema@._retention_tap_no_category(category, descr);
    END IF;
    RETURN @extschema@._retention_tap_ok(cat.starts IS NOT DISTINCT FROM starts, descr,
        @extschema@._retention_tap_have_want(cat.starts, starts)
        || E'\n    The category keeps data '
        || retention.rule_in_words(cat.period, cat.starts, cat.time_zone));
END
$$;
COMMENT ON FUNCTION @extschema@.category_starts_is(text, text, text) IS
    'pgTAP: ok if the category''s period starts from the boundary starts (exact, end_of_day, end_of_month, end_of_year).';

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
        SELECT pv.rows_due, pv.rows_held, pv.anchor_cutoff, pv.category, pv.action, pv.note INTO p
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
    'pgTAP: ok if enforcement at as_of (now or a future instant) would delete expected rows of the table through its table tag, as retention.preview(as_of) counts them (held rows and rows with a NULL anchor are not counted). Members of retention_admin only (as preview).';

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
