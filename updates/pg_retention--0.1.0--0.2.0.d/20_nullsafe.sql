\echo Use "ALTER EXTENSION pg_retention UPDATE TO '0.2.0'" to load this file. \quit

-- 20_nullsafe: NULL arguments named (22004), period limit, status and preview
-- columns that say what they mean, foreign-table partitions in lint and
-- status (the same objects as src/sql/10_category.sql, 30_tag_helpers.sql,
-- 90_enforce.sql, 96_lint.sql).

COMMENT ON COLUMN retention.category.period IS 'How long data is kept after the boundary: from zero ("due at the boundary itself") to 1000 years.';

CREATE OR REPLACE FUNCTION retention.drop_category(name text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF drop_category.name IS NULL THEN
        RAISE EXCEPTION 'name must not be NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass the name of the category to drop.';
    END IF;
    DELETE FROM retention.category c WHERE c.name = drop_category.name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'retention category "%" does not exist', drop_category.name
            USING ERRCODE = 'undefined_object',
                  HINT = 'SELECT name FROM retention.category lists the categories.';
    END IF;
END
$$;
COMMENT ON FUNCTION retention.drop_category(text) IS
    'Drops a retention category; refused while tags use it. Members of retention_admin only.';

CREATE OR REPLACE FUNCTION retention.untag(table_name regclass, column_name name DEFAULT NULL)
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

-- lint: foreign_partition findings, which can be recorded as reviewed
ALTER TABLE retention.lint_exception DROP CONSTRAINT lint_exception_check_known;
ALTER TABLE retention.lint_exception ADD CONSTRAINT lint_exception_check_known CHECK (check_name OPERATOR(pg_catalog.=) ANY (ARRAY[
        'untagged_personal_data', 'subject_without_retention', 'anchor_without_index',
        'subject_without_index', 'invalid_tag', 'unused_category', 'foreign_partition']));

COMMENT ON COLUMN retention.lint_exception.check_name IS 'The lint check silenced: untagged_personal_data, subject_without_retention, anchor_without_index, subject_without_index, invalid_tag, foreign_partition (table_name is the foreign partition) or unused_category.';

-- status: columns renamed (oldest_overdue_for) and a row per foreign-table
-- partition; _tag_stats: oldest_due instead of oldest_due_anchor
DROP VIEW retention.status;
DROP FUNCTION retention._tag_stats(timestamptz, boolean);

CREATE FUNCTION retention._tag_stats(
    as_of       timestamptz,
    with_times  boolean,
    OUT table_name    regclass,
    OUT relation_name regclass,
    OUT column_name   name,
    OUT category      text,
    OUT action        text,
    OUT anchor_cutoff text,
    OUT rows_due      bigint,
    OUT rows_held     bigint,
    OUT index_serves  boolean,
    OUT oldest_due    timestamptz,
    OUT next_due      timestamptz,
    OUT note          text,
    OUT rows_blocked  bigint)
RETURNS SETOF record
LANGUAGE C STABLE STRICT
AS 'MODULE_PATHNAME', 'retention_tag_stats';
COMMENT ON FUNCTION retention._tag_stats(timestamptz, boolean) IS
    'Internal: per tag and relation, what enforcement as of as_of would process (rows_due), leave because still referenced (rows_blocked) or keep for a legal hold (rows_held), and with with_times the due time of the earliest due anchor (oldest_due) and the next due time. Use retention.preview() or retention.status.';
REVOKE ALL ON FUNCTION retention._tag_stats(timestamptz, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION retention._tag_stats(timestamptz, boolean) TO retention_admin;

CREATE OR REPLACE FUNCTION retention.preview(as_of timestamptz DEFAULT pg_catalog.now())
RETURNS TABLE (table_name    regclass,
               column_name   name,
               category      text,
               action        text,
               anchor_cutoff text,
               rows_due      bigint,
               rows_held     bigint,
               index_serves  boolean,
               note          text,
               rows_blocked  bigint)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT s.table_name, s.column_name, s.category, s.action,
           min(s.anchor_cutoff), sum(s.rows_due)::bigint, sum(s.rows_held)::bigint,
           bool_and(s.index_serves), string_agg(DISTINCT s.note, '; '), sum(s.rows_blocked)::bigint
      FROM retention._tag_stats(as_of, false) s
     GROUP BY s.table_name, s.column_name, s.category, s.action
     ORDER BY s.table_name::text, s.column_name NULLS FIRST
$$;
COMMENT ON FUNCTION retention.preview(timestamptz) IS
    'What enforcement would do at as_of (now, or a future instant), without changing data: per tag, the rows (table tags) or values (column tags) it would delete or anonymize (rows_due), the due rows it would leave because rows that stay still reference them through a foreign key that forbids their deletion (rows_blocked; rows whose referencing rows go in the same run are not blocked), the due rows a legal hold keeps (rows_held), the anchor cutoff (anchors up to it are due), and whether an index serves the due predicate. The three counts are disjoint. Members of retention_admin only.';

CREATE VIEW retention.status AS
WITH stats AS (
    SELECT s.table_name,
           (SELECT pg_catalog.format('%I.%I', n.nspname, c.relname)
              FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
             WHERE c.oid OPERATOR(pg_catalog.=) s.table_name) AS qualified_name,
           s.column_name, s.category, s.action,
           sum(s.rows_due)::bigint AS rows_overdue, sum(s.rows_held)::bigint AS rows_held,
           min(s.oldest_due) AS oldest_due,
           min(s.next_due) AS next_due, bool_and(s.index_serves) AS index_serves,
           string_agg(DISTINCT s.note, '; ') AS note, sum(s.rows_blocked)::bigint AS rows_blocked
      FROM retention._tag_stats(pg_catalog.now(), true) s
     GROUP BY s.table_name, 2, s.column_name, s.category, s.action)
SELECT st.table_name, st.column_name, st.category, st.action,
       st.rows_overdue, st.rows_held,
       pg_catalog.now() OPERATOR(pg_catalog.-) st.oldest_due AS oldest_overdue_for,
       st.next_due, st.index_serves,
       last.finished_at AS last_run,
       last.outcome AS last_outcome,
       err.finished_at AS last_error_at,
       err.error_sqlstate OPERATOR(pg_catalog.||) ': ' OPERATOR(pg_catalog.||) err.error AS last_error,
       st.note,
       st.rows_blocked
  FROM stats st
  LEFT JOIN LATERAL (
        SELECT a.finished_at, a.outcome FROM retention.action_log a
         WHERE a.table_name OPERATOR(pg_catalog.=) st.qualified_name
           AND (CASE WHEN st.column_name IS NULL THEN a.action OPERATOR(pg_catalog.=) 'delete'
                     ELSE st.column_name::text OPERATOR(pg_catalog.=) ANY (a.columns) END)
         ORDER BY a.action_id DESC LIMIT 1) last ON true
  LEFT JOIN LATERAL (
        SELECT a.finished_at, a.error_sqlstate, a.error FROM retention.action_log a
         WHERE a.table_name OPERATOR(pg_catalog.=) st.qualified_name
           AND a.outcome OPERATOR(pg_catalog.=) 'error'
           AND (CASE WHEN st.column_name IS NULL THEN a.action OPERATOR(pg_catalog.=) 'delete'
                     ELSE st.column_name::text OPERATOR(pg_catalog.=) ANY (a.columns) END)
         ORDER BY a.action_id DESC LIMIT 1) err ON true
UNION ALL
-- foreign-table partitions of tagged tables: enforcement never reaches them
SELECT t.table_name, t.column_name, t.category, t.action,
       NULL::bigint, NULL::bigint, NULL::interval, NULL::timestamptz, NULL::boolean,
       NULL::timestamptz, NULL::text, NULL::timestamptz, NULL::text,
       pg_catalog.format('not enforced: partition %I.%I is a foreign table', n.nspname, c.relname) COLLATE "default",
       NULL::bigint
  FROM retention.tags t
 CROSS JOIN LATERAL pg_catalog.pg_partition_tree(t.table_name) pt
  JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) pt.relid
  JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
 WHERE t.valid AND t.kind OPERATOR(pg_catalog.=) ANY (ARRAY['table', 'column'])
   AND c.relkind OPERATOR(pg_catalog.=) 'f';
COMMENT ON VIEW retention.status IS
    'Per tag: rows (or values) overdue now that the next run would process (rows_overdue), due rows under legal hold (rows_held), due rows the run would leave because rows that stay still reference them through a foreign key that forbids the delete (rows_blocked), how long the oldest due row (blocked ones included) has been overdue (oldest_overdue_for: now minus its due time), the next due time (NULL: nothing will fall due), whether an index serves the anchor, the last enforcement of the tag and its outcome, and the last error (SQLSTATE and description). A foreign-table partition of a tagged table, which enforcement never reaches, has a row of its own whose note says so. Members of retention_admin only.';
REVOKE ALL ON retention.status FROM PUBLIC;
GRANT SELECT ON retention.status TO retention_admin;
