\echo Use "ALTER EXTENSION pg_retention UPDATE TO '0.2.0'" to load this file. \quit
-- 78_tag_helpers: retention.tag_table() and retention.tag_column() write
-- every key of the 0.2.0 policy model (issue 14): condition (when=),
-- period, variant, and for tables blocked, suppress and partitions; anchors
-- may be latest(table.column via fkcol).  The old signatures go (the new
-- ones accept every call the old ones did).
DROP FUNCTION retention.tag_table(regclass, text, text, text);
DROP FUNCTION retention.tag_column(regclass, name, text, text, text, text, integer, bigint);

CREATE OR REPLACE FUNCTION retention._label_word(key text, value text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF value IS NULL THEN
        RETURN '';
    END IF;
    -- white space is allowed only inside double-quoted identifiers and
    -- inside latest(...) (latest(child.col via fkcol))
    IF value = '' OR pg_catalog.regexp_replace(
           pg_catalog.regexp_replace(value, '"([^"]|"")*"', '', 'g'),
           'latest\([^()]*\)', '', 'gi') ~ '\s' THEN
        RAISE EXCEPTION 'invalid % "%"', key, value
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The %s of a tag is one word; white space is allowed only inside double-quoted names.', key),
                  HINT = CASE WHEN key IN ('anchor', 'period', 'variant')
                              THEN 'Pass a column name, fkcol->table.column or latest(table.column via fkcol).'
                              ELSE 'Pass a single word.' END;
    END IF;
    RETURN format(' %s=%s', key, value);
END
$$;
COMMENT ON FUNCTION retention._label_word(text, text) IS
    'Internal: one key=value pair of a label, refusing values that would split into several pairs.';

CREATE FUNCTION retention._label_quoted(key text, value text)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    -- when='...': single quotes, doubled inside; the provider parses it
    SELECT CASE WHEN value IS NULL THEN ''
                ELSE format(' %s=''%s''', key, pg_catalog.replace(value, '''', '''''')) END
$$;
COMMENT ON FUNCTION retention._label_quoted(text, text) IS
    'Internal: one key=''value'' pair of a label (when=), the value single-quoted with quotes doubled.';

CREATE FUNCTION retention.tag_table(
    table_name regclass,
    category   text,
    anchor     text,
    action     text DEFAULT NULL,
    condition  text DEFAULT NULL,
    period     text DEFAULT NULL,
    variant    text DEFAULT NULL,
    blocked    text DEFAULT NULL,
    suppress   boolean DEFAULT NULL,
    partitions text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    label text;
BEGIN
    IF tag_table.table_name IS NULL THEN
        RAISE EXCEPTION '% must not be NULL', CASE WHEN tag_table.table_name IS NULL THEN 'table_name' ELSE 'column_name' END
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass the table to tag.';
    END IF;
    PERFORM retention._load();
    label := ltrim(retention._label_word('category', quote_ident(tag_table.category))
                || retention._label_word('anchor', tag_table.anchor)
                || retention._label_word('action', tag_table.action)
                || retention._label_quoted('when', tag_table.condition)
                || retention._label_word('period', tag_table.period)
                || retention._label_word('variant', tag_table.variant)
                || retention._label_word('blocked', tag_table.blocked)
                || retention._label_word('suppress', tag_table.suppress::text)
                || retention._label_word('partitions', tag_table.partitions));
    EXECUTE format('SECURITY LABEL FOR retention ON TABLE %s IS %L', tag_table.table_name, label);
    RETURN label;
END
$$;
COMMENT ON FUNCTION retention.tag_table(regclass, text, text, text, text, text, text, text, boolean, text) IS
    'Tags a table: its rows are deleted when due (category period after the boundary of anchor). The other arguments write the keys of the same names (condition writes when=). Returns the label written. Only the table''s owner can tag it.';

CREATE FUNCTION retention.tag_column(
    table_name  regclass,
    column_name name,
    category    text DEFAULT NULL,
    anchor      text DEFAULT NULL,
    action      text DEFAULT NULL,
    subject     text DEFAULT NULL,
    keep        integer DEFAULT NULL,
    bucket      bigint DEFAULT NULL,
    condition   text DEFAULT NULL,
    period      text DEFAULT NULL,
    variant     text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    label text;
BEGIN
    IF tag_column.table_name IS NULL OR tag_column.column_name IS NULL THEN
        RAISE EXCEPTION '% must not be NULL', CASE WHEN tag_column.table_name IS NULL THEN 'table_name' ELSE 'column_name' END
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass the table and the column to tag.';
    END IF;
    PERFORM retention._load();
    label := ltrim(retention._label_word('category', quote_ident(tag_column.category))
                || retention._label_word('anchor', tag_column.anchor)
                || retention._label_word('action', tag_column.action)
                || retention._label_word('subject', tag_column.subject)
                || retention._label_word('keep', tag_column.keep::text)
                || retention._label_word('bucket', tag_column.bucket::text)
                || retention._label_quoted('when', tag_column.condition)
                || retention._label_word('period', tag_column.period)
                || retention._label_word('variant', tag_column.variant));
    EXECUTE format('SECURITY LABEL FOR retention ON COLUMN %s.%I IS %L',
                   tag_column.table_name, tag_column.column_name, label);
    RETURN label;
END
$$;
COMMENT ON FUNCTION retention.tag_column(regclass, name, text, text, text, text, integer, bigint, text, text, text) IS
    'Tags a column: with a category, its value is anonymized when due (action, or the category''s default); with subject only, marks it as a data subject identifier of that kind. The other arguments write the keys of the same names (condition writes when=). Returns the label written. Only the table''s owner can tag it.';

GRANT EXECUTE ON FUNCTION retention.tag_table(regclass, text, text, text, text, text, text, text, boolean, text),
                          retention.tag_column(regclass, name, text, text, text, text, integer, bigint, text, text, text)
    TO PUBLIC;
