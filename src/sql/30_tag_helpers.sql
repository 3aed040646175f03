-- Helpers that write the labels for people who prefer functions.  They run
-- as the caller: PostgreSQL's own rule (only the owner labels an object)
-- applies unchanged, and the label text is validated by the provider.

CREATE FUNCTION retention._label_word(key text, value text)
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

CREATE FUNCTION retention.untag(table_name regclass, column_name name DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    had_tag boolean;
BEGIN
    IF untag.table_name IS NULL THEN
        RAISE EXCEPTION '% must not be NULL', CASE WHEN untag.table_name IS NULL THEN 'table_name' ELSE 'column_name' END
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass the table, and the column or NULL for the table''s own tag.';
    END IF;
    PERFORM retention._load();
    IF untag.column_name IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM pg_catalog.pg_attribute a
         WHERE a.attrelid = untag.table_name AND a.attname = untag.column_name
           AND a.attnum > 0 AND NOT a.attisdropped) THEN
        RAISE EXCEPTION 'column "%" of relation % does not exist', untag.column_name, untag.table_name
            USING ERRCODE = 'undefined_column',
                  HINT = 'Name a column of the table, or omit column_name to untag the table itself.';
    END IF;
    SELECT EXISTS (
        SELECT 1 FROM pg_catalog.pg_seclabel s
          LEFT JOIN pg_catalog.pg_attribute a
                 ON a.attrelid = s.objoid AND a.attnum = s.objsubid
         WHERE s.provider = 'retention'
           AND s.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass
           AND s.objoid = untag.table_name
           AND ((untag.column_name IS NULL AND s.objsubid = 0)
                OR a.attname = untag.column_name))
      INTO had_tag;
    IF untag.column_name IS NULL THEN
        EXECUTE format('SECURITY LABEL FOR retention ON TABLE %s IS NULL', untag.table_name);
    ELSE
        EXECUTE format('SECURITY LABEL FOR retention ON COLUMN %s.%I IS NULL',
                       untag.table_name, untag.column_name);
    END IF;
    RETURN had_tag;
END
$$;
COMMENT ON FUNCTION retention.untag(regclass, name) IS
    'Removes the retention tag of a table (column_name NULL) or of one of its columns. Returns whether there was one. Only the table''s owner can untag it.';

GRANT EXECUTE ON FUNCTION retention.tag_table(regclass, text, text, text, text, text, text, text, boolean, text),
                          retention.tag_column(regclass, name, text, text, text, text, integer, bigint, text, text, text),
                          retention.untag(regclass, name)
    TO PUBLIC;
