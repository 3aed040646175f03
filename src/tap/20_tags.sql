
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
