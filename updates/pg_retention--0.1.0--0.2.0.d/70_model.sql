\echo Use "ALTER EXTENSION pg_retention UPDATE TO '0.2.0'" to load this file. \quit
-- 70_model: the 0.2.0 policy model, part 1 (issue 14 items 1-5, 9): category
-- variants, the tags view's condition/period/variant/anchor-words columns, the
-- schedule with anchor words and variant rows, the export's rule in words and
-- variant, and the event trigger that stores when= conditions normalized.

CREATE TABLE retention.category_variant (
    category    text NOT NULL,
    variant     text NOT NULL,
    period      interval NOT NULL,
    starts      text,
    time_zone   text,
    legal_basis text,
    note        text,
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (category, variant),
    CONSTRAINT category_variant_starts_known
        CHECK (starts IS NULL OR starts OPERATOR(pg_catalog.=) ANY (ARRAY['exact', 'end_of_day', 'end_of_month', 'end_of_year']))
);

COMMENT ON TABLE retention.category_variant IS
    'Variants of a category''s rule, e.g. per country: a tag with variant=column applies the variant whose name equals the row''s value (as text); no match uses the category''s rule. Change with retention.define_category_variant / drop_category_variant.';
COMMENT ON COLUMN retention.category_variant.category IS 'The category the variant belongs to.';
COMMENT ON COLUMN retention.category_variant.variant IS 'The value of the tag''s variant column that selects this rule, e.g. a country code.';
COMMENT ON COLUMN retention.category_variant.period IS 'How long data is kept after the boundary under this variant.';
COMMENT ON COLUMN retention.category_variant.starts IS 'The boundary of the variant (exact, end_of_day, end_of_month, end_of_year); NULL: the category''s.';
COMMENT ON COLUMN retention.category_variant.time_zone IS 'The time zone of the variant''s boundary; NULL: the category''s.';
COMMENT ON COLUMN retention.category_variant.legal_basis IS 'The legal basis under this variant; NULL: the category''s.';
COMMENT ON COLUMN retention.category_variant.note IS 'What a data subject is told about this variant, e.g. the law that sets it.';

SELECT pg_catalog.pg_extension_config_dump('retention.category_variant', '');

REVOKE ALL ON retention.category_variant FROM PUBLIC;
GRANT SELECT ON retention.category_variant TO PUBLIC;
GRANT INSERT, UPDATE, DELETE ON retention.category_variant TO retention_admin;

CREATE FUNCTION retention._category_variant_validate()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    given_zone text := NEW.time_zone;
BEGIN
    -- a restore loads variants in any order relative to the categories
    IF current_setting('check_function_bodies')::boolean
       AND NOT EXISTS (SELECT 1 FROM retention.category c WHERE c.name = NEW.category) THEN
        RAISE EXCEPTION 'retention category "%" does not exist', NEW.category
            USING ERRCODE = 'undefined_object',
                  HINT = 'Define the category first with retention.define_category().';
    END IF;
    IF NEW.variant IS NULL OR NEW.variant = '' THEN
        RAISE EXCEPTION 'invalid variant name for category "%"', NEW.category
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Name the variant by the value of the tag''s variant column, e.g. ''BR''.';
    END IF;
    IF NEW.period IS NULL
       OR extract(year FROM NEW.period) < 0 OR extract(month FROM NEW.period) < 0
       OR extract(day FROM NEW.period) < 0 OR extract(hour FROM NEW.period) < 0
       OR extract(minute FROM NEW.period) < 0 OR extract(second FROM NEW.period) < 0 THEN
        RAISE EXCEPTION 'invalid retention period for variant "%" of category "%"', NEW.variant, NEW.category
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The period is %s; no part of it may be negative.', coalesce(NEW.period::text, 'NULL')),
                  HINT = 'Give a positive interval such as ''12 months'' or ''7 years'', or ''0'' for data due at its boundary.';
    END IF;
    IF NEW.starts IS NOT NULL AND NEW.starts <> ALL (ARRAY['exact', 'end_of_day', 'end_of_month', 'end_of_year']) THEN
        RAISE EXCEPTION 'invalid boundary "%" for variant "%" of category "%"', NEW.starts, NEW.variant, NEW.category
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'starts is one of exact, end_of_day, end_of_month, end_of_year, or NULL for the category''s.';
    END IF;
    IF NEW.time_zone IS NOT NULL THEN
        SELECT z.name INTO NEW.time_zone
          FROM pg_catalog.pg_timezone_names z
         WHERE lower(z.name) = lower(NEW.time_zone)
         ORDER BY z.name = NEW.time_zone DESC, z.name
         LIMIT 1;
        IF NEW.time_zone IS NULL THEN
            RAISE EXCEPTION 'unknown time zone "%" for variant "%" of category "%"', given_zone, NEW.variant, NEW.category
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Use a full zone name from pg_timezone_names, such as ''UTC'' or ''America/Sao_Paulo'', or NULL for the category''s.';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION retention._category_variant_validate() IS
    'Internal: validates retention.category_variant rows before they are written.';

CREATE TRIGGER category_variant_validate
    BEFORE INSERT OR UPDATE ON retention.category_variant
    FOR EACH ROW EXECUTE FUNCTION retention._category_variant_validate();

CREATE FUNCTION retention.define_category_variant(
    category    text,
    variant     text,
    period      interval,
    starts      text DEFAULT NULL,
    time_zone   text DEFAULT NULL,
    legal_basis text DEFAULT NULL,
    note        text DEFAULT NULL)
RETURNS retention.category_variant
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result retention.category_variant;
BEGIN
    INSERT INTO retention.category_variant AS v
           (category, variant, period, starts, time_zone, legal_basis, note)
    VALUES (define_category_variant.category, define_category_variant.variant,
            define_category_variant.period, define_category_variant.starts,
            define_category_variant.time_zone, define_category_variant.legal_basis,
            define_category_variant.note)
    ON CONFLICT ON CONSTRAINT category_variant_pkey DO UPDATE
       SET period = EXCLUDED.period, starts = EXCLUDED.starts, time_zone = EXCLUDED.time_zone,
           legal_basis = EXCLUDED.legal_basis, note = EXCLUDED.note
    RETURNING v.* INTO result;
    RETURN result;
END
$$;
COMMENT ON FUNCTION retention.define_category_variant(text, text, interval, text, text, text, text) IS
    'Defines (or redefines) the variant of a category''s rule that applies to rows whose variant column (tag key variant=column) equals variant, e.g. a country code: its period, and optionally its own boundary, time zone and legal basis (NULL: the category''s). Members of retention_admin only.';

CREATE FUNCTION retention.drop_category_variant(category text, variant text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM retention.category_variant v
     WHERE v.category = drop_category_variant.category
       AND v.variant = drop_category_variant.variant;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'variant "%" of category "%" does not exist', drop_category_variant.variant, drop_category_variant.category
            USING ERRCODE = 'undefined_object',
                  HINT = 'SELECT category, variant FROM retention.category_variant lists the variants.';
    END IF;
END
$$;
COMMENT ON FUNCTION retention.drop_category_variant(text, text) IS
    'Drops a variant of a category: rows it selected follow the category''s rule again. Members of retention_admin only.';

REVOKE ALL ON FUNCTION retention.define_category_variant(text, text, interval, text, text, text, text),
                       retention.drop_category_variant(text, text)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION retention.define_category_variant(text, text, interval, text, text, text, text),
                          retention.drop_category_variant(text, text)
    TO retention_admin;
CREATE FUNCTION retention._tag_model_rows(
    OUT table_name        pg_catalog.regclass,
    OUT column_name       name,
    OUT condition         text,
    OUT anchor_words      text,
    OUT period_from       text,
    OUT variant_from      text)
RETURNS SETOF record
LANGUAGE C STABLE STRICT
AS 'MODULE_PATHNAME', 'retention_tag_model_rows';
COMMENT ON FUNCTION retention._tag_model_rows() IS
    'Internal: the 0.2.0 policy keys of every valid retention tag (normalized condition, anchor in words, period and variant columns). Use the retention.tags view.';

CREATE OR REPLACE VIEW retention.tags AS
SELECT t.table_name,
       t.column_name,
       t.table_name::text
           OPERATOR(pg_catalog.||) coalesce('.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(t.column_name::text), '')
           COLLATE "default" AS object,
       t.kind,
       t.category,
       c.period,
       c.starts,
       c.time_zone,
       t.anchor,
       t.anchor_table,
       t.action,
       t.action_source,
       t.subject,
       t.keep,
       t.bucket,
       t.valid,
       t.problem,
       t.problem_sqlstate,
       t.label,
       m.condition,
       m.period_from,
       m.variant_from,
       m.anchor_words
  FROM retention._tag_rows() t
  LEFT JOIN retention.category c ON c.name OPERATOR(pg_catalog.=) t.category
  LEFT JOIN retention._tag_model_rows() m
         ON m.table_name OPERATOR(pg_catalog.=) t.table_name
        AND m.column_name IS NOT DISTINCT FROM t.column_name;

COMMENT ON VIEW retention.tags IS
    'Every retention tag with its category resolved: kind (table: rows are deleted; column: the value is anonymized; subject: identifier column only), period, boundary, time zone, anchor, effective action (from the tag or the category), subject kind. valid is false, with the problem, for a tag that no longer resolves (e.g. after a restore whose categories were not loaded). condition is the normalized when= expression (rows where it is not true are outside the tag), period_from and variant_from the columns that period= and variant= read, anchor_words what the period counts from in words (the anchor columns'' comments).';

CREATE FUNCTION retention._normalize_labels()
RETURNS event_trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'retention_normalize_labels';
COMMENT ON FUNCTION retention._normalize_labels() IS
    'Internal: after SECURITY LABEL, stores every when= condition of a retention tag in its normalized form.';

CREATE EVENT TRIGGER retention_normalize_labels ON ddl_command_end
    WHEN TAG IN ('SECURITY LABEL')
    EXECUTE FUNCTION retention._normalize_labels();

ALTER EVENT TRIGGER retention_normalize_labels ENABLE ALWAYS;

-- Every anchor item of every valid tag and the index that would serve it.
CREATE FUNCTION retention._tag_anchor_items(
    OUT table_name    pg_catalog.regclass,
    OUT column_name   name,
    OUT item          text,
    OUT index_relid   oid,
    OUT index_attnum  smallint,
    OUT index_columns text)
RETURNS SETOF record
LANGUAGE C STABLE STRICT
AS 'MODULE_PATHNAME', 'retention_tag_anchor_items';
COMMENT ON FUNCTION retention._tag_anchor_items() IS
    'Internal: per anchor item of every valid retention tag, the relation and column an index must lead with to serve it, and the index columns to suggest (for latest(): the child''s foreign-key column, then the column).';
