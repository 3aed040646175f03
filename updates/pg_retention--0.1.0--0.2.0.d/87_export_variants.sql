\echo Use "ALTER EXTENSION pg_retention UPDATE TO '0.2.0'" to load this file. \quit
-- 87_export_variants: the export shows the category variant each row's due
-- date follows (variant= on a column of the row or through its foreign
-- key, matched as enforcement matches it), export_subject_rows and
-- export_subject_csv in a new column variant; the document states each
-- category's on_erasure.

DROP FUNCTION retention.export_subject_csv(jsonb);
DROP FUNCTION retention.export_subject_rows(jsonb);
CREATE FUNCTION retention.export_subject_rows(
    identifiers       jsonb,
    OUT table_name    regclass,
    OUT relation_name regclass,
    OUT row_key       jsonb,
    OUT row_data      jsonb,
    OUT category      text,
    OUT due_at        timestamptz,
    OUT columns_due   jsonb,
    OUT found_by      text,
    OUT depth         integer,
    OUT variant       text)
RETURNS SETOF record
LANGUAGE C VOLATILE STRICT
AS 'MODULE_PATHNAME', 'retention_export_subject_rows';
COMMENT ON FUNCTION retention.export_subject_rows(jsonb) IS
    'Every row of one data subject, e.g. ''{"email": "ana@example.com"}'': rows whose subject-tagged columns hold one of the identifiers (normalized), and rows reachable from them through foreign keys; per row its table, key, content, category and due date (table tag) with the category variant that date follows (variant=; NULL: the category''s rule), and per anonymizable column its own due date (and variant). One snapshot; logged without identifiers in clear. Members of retention_dsr only.';

COMMENT ON FUNCTION retention.export_subject(jsonb) IS
    'Subject access and portability: one JSON document with all of a person''s tagged data across the database (and rows linked to it by foreign keys), taken in one snapshot; for every category the description, purpose, legal basis, retention rule in words and what an erasure request does to its data (on_erasure); for every row the date it is due to be deleted (and the category variant that date follows, for a tag with variant=, read from the row or through its foreign key), and for every anonymizable column its own due date. Members of retention_dsr only.';

CREATE FUNCTION retention.export_subject_csv(
    identifiers      jsonb,
    OUT table_name   text,
    OUT row_key      text,
    OUT column_name  text,
    OUT value        text,
    OUT category     text,
    OUT due_at       timestamptz,
    OUT variant      text)
RETURNS SETOF record
LANGUAGE sql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT r.table_name::text, r.row_key::text, f.key, f.value #>> '{}',
           coalesce(r.columns_due -> f.key ->> 'category', r.category),
           coalesce((r.columns_due -> f.key ->> 'due_at')::timestamptz, r.due_at),
           CASE WHEN r.columns_due ? f.key THEN r.columns_due -> f.key ->> 'variant' ELSE r.variant END
      FROM retention.export_subject_rows(identifiers) r, jsonb_each(r.row_data) f
     ORDER BY 1, 2, 3
$$;
COMMENT ON FUNCTION retention.export_subject_csv(jsonb) IS
    'Portability in a plain tabular form: one row per table, row and column, with the column''s category and due date (and the category variant that date follows, if any); \copy (SELECT * FROM retention.export_subject_csv(...)) TO ''ana.csv'' CSV HEADER. Members of retention_dsr only.';

REVOKE ALL ON FUNCTION retention.export_subject_rows(jsonb), retention.export_subject_csv(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION retention.export_subject_rows(jsonb), retention.export_subject_csv(jsonb) TO retention_dsr;
