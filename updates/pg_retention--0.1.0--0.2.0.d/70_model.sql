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

CREATE OR REPLACE VIEW retention.schedule AS
SELECT c.name AS category,
       c.description AS data,
       retention.rule_in_words(coalesce(v.period, c.period), coalesce(v.starts, c.starts),
                               coalesce(v.time_zone, c.time_zone),
                               coalesce(w.words, 'the anchor date')) AS kept,
       (SELECT pg_catalog.string_agg(DISTINCT t.anchor, ', ')
          FROM retention.tags t
         WHERE t.category OPERATOR(pg_catalog.=) c.name) AS anchors,
       coalesce((SELECT pg_catalog.string_agg(DISTINCT t.action, ', ')
                   FROM retention.tags t
                  WHERE t.category OPERATOR(pg_catalog.=) c.name), c.action) AS at_expiry,
       c.purpose,
       coalesce(v.legal_basis, c.legal_basis) AS legal_basis,
       CASE WHEN c.name OPERATOR(pg_catalog.=) 'retention_evidence'
            THEN 'retention.run, retention.action_log'
            ELSE (SELECT pg_catalog.string_agg(t.object, ', ' ORDER BY t.object)
                    FROM retention.tags t
                   WHERE t.category OPERATOR(pg_catalog.=) c.name) END AS applies_to,
       v.variant,
       v.note AS variant_note
  FROM retention.category c
  LEFT JOIN LATERAL (SELECT pg_catalog.string_agg(DISTINCT t.anchor_words, ' or ') AS words
                       FROM retention.tags t
                      WHERE t.category OPERATOR(pg_catalog.=) c.name) w ON true
  LEFT JOIN LATERAL (SELECT NULL::text AS variant, NULL::text AS note, NULL::interval AS period,
                            NULL::text AS starts, NULL::text AS time_zone, NULL::text AS legal_basis
                     UNION ALL
                     SELECT cv.variant, cv.note, cv.period, cv.starts, cv.time_zone, cv.legal_basis
                       FROM retention.category_variant cv
                      WHERE cv.category OPERATOR(pg_catalog.=) c.name) v ON true;

COMMENT ON VIEW retention.schedule IS
    'The retention schedule as the database enforces it, in the shape of a privacy notice: per category the data, how long it is kept (counted from the anchors of its tags, in the words of the anchor columns'' comments), what happens at expiry, purpose, legal basis and the tables and columns it applies to; one more row per variant of the category (variant, variant_note) with the variant''s rule.';

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

CREATE OR REPLACE FUNCTION retention.export_subject(identifiers jsonb)
RETURNS jsonb
LANGUAGE sql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
    WITH r AS MATERIALIZED (SELECT * FROM retention.export_subject_rows(identifiers)),
    -- table tags whose rule varies by a column of the row (read once)
    vt AS MATERIALIZED (
        SELECT t.table_name, t.category, t.variant_from FROM retention.tags t
         WHERE t.column_name IS NULL AND t.variant_from IS NOT NULL),
    used AS (
        SELECT r.category AS name FROM r WHERE r.category IS NOT NULL
        UNION
        SELECT d.value ->> 'category' FROM r, jsonb_each(r.columns_due) d)
    SELECT jsonb_build_object(
        'generated_at', clock_timestamp(),
        'identifiers_searched', identifiers,
        'categories', coalesce((
            SELECT jsonb_object_agg(c.name, jsonb_build_object(
                       'description', c.description,
                       'purpose', c.purpose,
                       'legal_basis', c.legal_basis,
                       'retention', (SELECT s.kept FROM retention.schedule s
                                      WHERE s.category OPERATOR(pg_catalog.=) c.name AND s.variant IS NULL))
                   -- a category with variants also lists their rules
                   OPERATOR(pg_catalog.||) coalesce((SELECT jsonb_build_object('variants', jsonb_object_agg(s.variant, s.kept))
                                                       FROM retention.schedule s
                                                      WHERE s.category OPERATOR(pg_catalog.=) c.name AND s.variant IS NOT NULL
                                                     HAVING count(*) OPERATOR(pg_catalog.>) 0), '{}'))
              FROM retention.category c WHERE c.name IN (SELECT name FROM used)), '{}'),
        'tables', coalesce((
            SELECT jsonb_agg(t ORDER BY t ->> 'table')
              FROM (SELECT jsonb_build_object(
                           'table', r.table_name::text,
                           'rows', jsonb_agg(jsonb_build_object(
                                       'key', r.row_key,
                                       'data', r.row_data,
                                       'category', r.category,
                                       'due_at', r.due_at,
                                       'columns_due', r.columns_due,
                                       'found_by', r.found_by)
                                   -- the category variant the row follows, where one applies
                                   OPERATOR(pg_catalog.||) coalesce(
                                       (SELECT jsonb_build_object('variant', cv.variant)
                                          FROM vt t
                                          JOIN retention.category_variant cv
                                            ON cv.category OPERATOR(pg_catalog.=) t.category
                                           AND cv.variant OPERATOR(pg_catalog.=) (r.row_data ->> t.variant_from)
                                         WHERE t.table_name OPERATOR(pg_catalog.=) r.table_name), '{}')
                                   ORDER BY r.row_key::text)) AS t
                      FROM r GROUP BY r.table_name) tables), '[]'))
$$;
COMMENT ON FUNCTION retention.export_subject(jsonb) IS
    'Subject access and portability: one JSON document with all of a person''s tagged data across the database (and rows linked to it by foreign keys), taken in one snapshot; for every category the description, purpose, legal basis and retention rule in words; for every row the date it is due to be deleted (and the category variant that applies to it, for a tag with variant=column), and for every anonymizable column its own due date. Members of retention_dsr only.';

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

CREATE OR REPLACE FUNCTION retention.lint(schema_name name DEFAULT NULL)
RETURNS TABLE (severity   text,
               check_name text,
               object     text,
               message    text,
               hint       text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
WITH tags AS MATERIALIZED (
    SELECT t.table_name::oid AS relid, t.column_name, t.kind, t.category, t.anchor,
           t.anchor_table::oid AS anchor_relid, t.subject, t.valid, t.problem,
           t.problem_sqlstate, t.label
      FROM retention.tags t
),
-- user tables: not the catalogs', not an extension's, not partitions (the
-- parent's tags cover them), not temporary
user_tables AS (
    SELECT c.oid AS relid, n.nspname, c.relname,
           pg_catalog.format('%I.%I', n.nspname, c.relname) AS qualified
      FROM pg_catalog.pg_class c
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p')
       AND NOT c.relispartition
       AND c.relpersistence <> 't'
       AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'retention', 'pg_toast')
       AND n.nspname NOT LIKE 'pg\_temp\_%'
       AND n.nspname NOT LIKE 'pg\_toast\_temp\_%'
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                        WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                          AND d.objid = c.oid
                          AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
                          AND d.deptype = 'e')
),
-- columns that look like personal data, and why
personal AS (
    SELECT u.relid, u.qualified, a.attname,
           CASE WHEN eff.typ IN ('pg_catalog.inet'::pg_catalog.regtype, 'pg_catalog.cidr'::pg_catalog.regtype,
                                 'pg_catalog.macaddr'::pg_catalog.regtype, 'pg_catalog.macaddr8'::pg_catalog.regtype)
                THEN pg_catalog.format('its type is %s', pg_catalog.format_type(a.atttypid, a.atttypmod))
                ELSE pg_catalog.format('its name contains "%s"', m.term) END AS why
      FROM user_tables u
      JOIN pg_catalog.pg_attribute a ON a.attrelid = u.relid AND a.attnum > 0 AND NOT a.attisdropped
      JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
      CROSS JOIN LATERAL (SELECT CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END AS oid) base
      JOIN pg_catalog.pg_type bt ON bt.oid = base.oid
      CROSS JOIN LATERAL (SELECT CASE WHEN bt.typcategory = 'A' THEN bt.typelem ELSE bt.oid END AS typ) eff
      JOIN pg_catalog.pg_type et ON et.oid = eff.typ
      CROSS JOIN LATERAL (SELECT retention._lint_name_term(a.attname) AS term) m
     WHERE eff.typ IN ('pg_catalog.inet'::pg_catalog.regtype, 'pg_catalog.cidr'::pg_catalog.regtype,
                       'pg_catalog.macaddr'::pg_catalog.regtype, 'pg_catalog.macaddr8'::pg_catalog.regtype)
        OR (m.term IS NOT NULL
            AND et.typcategory <> 'B'
            AND (et.typcategory NOT IN ('D', 'T')
                 OR m.term IN ('birth', 'birthday', 'birthdate', 'dob', 'dateofbirth', 'birth_date')))
),
-- anchor items resolved to the (relation, column) an index must lead
-- with: the column, the parent's column for foreign-key items, the child's
-- foreign-key column for latest()
anchors AS (
    SELECT t.*, ai.item, ai.index_relid, ai.index_attnum, ai.index_columns,
           aa.attname AS index_attname
      FROM tags t
      JOIN retention._tag_anchor_items() ai
        ON ai.table_name::oid = t.relid AND ai.column_name IS NOT DISTINCT FROM t.column_name
      JOIN pg_catalog.pg_attribute aa
        ON aa.attrelid = ai.index_relid AND aa.attnum = ai.index_attnum
     WHERE t.valid
),
findings AS (
    -- (1) columns that look like personal data and have no tag, on a table without one
    SELECT 'warning' AS severity, 'untagged_personal_data' AS check_name,
           p.relid, p.attname AS column_name, NULL::text AS category,
           p.qualified OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(p.attname) AS object,
           pg_catalog.format('column looks like personal data (%s) but has no retention tag, and neither has its table', p.why) AS message,
           pg_catalog.format('Tag the table, e.g. SECURITY LABEL FOR retention ON TABLE %s IS %L; or tag the column with a category (its value is anonymized when due) or a subject kind; or, if it is not personal data, record why: SELECT retention.lint_ignore(%L, %L, ''<reason>'');',
                             p.qualified, 'category=<category> anchor=' OPERATOR(pg_catalog.||) retention._lint_suggested_anchor(p.relid),
                             p.qualified, p.attname) AS hint
      FROM personal p
     WHERE NOT EXISTS (SELECT 1 FROM tags t
                        WHERE t.relid = p.relid
                          AND (t.column_name IS NULL OR t.column_name = p.attname))
    UNION ALL
    -- (1b) tables with subject identifiers but no retention rule at all
    SELECT 'warning', 'subject_without_retention', u.relid, NULL, NULL, u.qualified,
           pg_catalog.format('table has subject identifier columns (%s) but no retention rule: neither a table tag nor a column tag with a category',
                             (SELECT pg_catalog.string_agg(pg_catalog.format('%I: subject=%s', s.column_name, s.subject), ', '
                                                           ORDER BY s.column_name COLLATE "C")
                                FROM tags s WHERE s.relid = u.relid AND s.subject IS NOT NULL)),
           pg_catalog.format('Give the table a retention rule, e.g. SECURITY LABEL FOR retention ON TABLE %s IS %L; or tag its personal-data columns with a category.',
                             u.qualified, 'category=<category> anchor=' OPERATOR(pg_catalog.||) retention._lint_suggested_anchor(u.relid))
      FROM user_tables u
     WHERE EXISTS (SELECT 1 FROM tags s WHERE s.relid = u.relid AND s.subject IS NOT NULL)
       AND NOT EXISTS (SELECT 1 FROM tags r WHERE r.relid = u.relid AND r.kind IN ('table', 'column'))
    UNION ALL
    -- (2) anchors no index serves
    SELECT 'notice', 'anchor_without_index', a.relid, a.column_name, NULL,
           pg_catalog.format('%I.%I', n.nspname, c.relname)
               OPERATOR(pg_catalog.||) coalesce('.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(a.column_name), ''),
           pg_catalog.format('no index leads with the anchor %s%s, so enforcement scans the table to find due rows',
                             a.item,
                             CASE WHEN a.index_relid OPERATOR(pg_catalog.<>) a.relid
                                  THEN pg_catalog.format(' (column %I of %s)', a.index_attname,
                                                         pg_catalog.format('%I.%I', pn.nspname, pc.relname))
                                  ELSE '' END),
           pg_catalog.format('CREATE INDEX ON %I.%I (%s);', pn.nspname, pc.relname, a.index_columns)
      FROM anchors a
      JOIN pg_catalog.pg_class c ON c.oid = a.relid
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_catalog.pg_class pc ON pc.oid = a.index_relid
      JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
     WHERE NOT retention._lint_index_leads(a.index_relid, a.index_attnum, false)
    UNION ALL
    -- (3) subject identifier columns no index serves
    -- (the index the subject search uses: plain equality for integer
    -- identifiers, retention.normalize_identifier('kind', col) otherwise)
    SELECT 'notice', 'subject_without_index', t.relid, t.column_name, NULL,
           pg_catalog.format('%I.%I.%I', n.nspname, c.relname, t.column_name),
           pg_catalog.format('no index serves the search for this subject identifier column (subject=%s), so finding a person''s rows scans the table', t.subject),
           CASE WHEN retention._lint_subject_by_equality(t.subject, a.atttypid)
                THEN pg_catalog.format('CREATE INDEX ON %I.%I (%I);', n.nspname, c.relname, t.column_name)
                ELSE pg_catalog.format('CREATE INDEX ON %I.%I (retention.normalize_identifier(%L, %I%s));',
                                       n.nspname, c.relname, t.subject, t.column_name,
                                       CASE WHEN a.atttypid OPERATOR(pg_catalog.=) 'pg_catalog.text'::pg_catalog.regtype
                                            THEN '' ELSE '::text' END)
           END
      FROM tags t
      JOIN pg_catalog.pg_class c ON c.oid = t.relid
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_catalog.pg_attribute a ON a.attrelid = t.relid AND a.attname = t.column_name
     WHERE t.subject IS NOT NULL AND t.column_name IS NOT NULL
       AND NOT CASE WHEN retention._lint_subject_by_equality(t.subject, a.atttypid)
                    THEN retention._lint_index_leads(t.relid, a.attnum, true)
                    ELSE retention._lint_normalized_index(t.relid, t.subject, t.column_name) END
    UNION ALL
    -- (4) tags that no longer resolve
    SELECT 'warning', 'invalid_tag', t.relid, t.column_name, NULL,
           pg_catalog.format('%I.%I', n.nspname, c.relname)
               OPERATOR(pg_catalog.||) coalesce('.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(t.column_name), ''),
           pg_catalog.format('retention tag no longer resolves (SQLSTATE %s): %s; enforcement skips it', t.problem_sqlstate, t.problem),
           pg_catalog.format('Correct the label (%s) with SECURITY LABEL FOR retention ON %s %s IS ''...'' or the retention.tag_table / tag_column helpers, or remove it with SELECT retention.untag(%L%s);',
                             t.label,
                             CASE WHEN t.column_name IS NULL THEN 'TABLE' ELSE 'COLUMN' END,
                             pg_catalog.format('%I.%I', n.nspname, c.relname)
                                 OPERATOR(pg_catalog.||) coalesce('.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(t.column_name), ''),
                             pg_catalog.format('%I.%I', n.nspname, c.relname),
                             CASE WHEN t.column_name IS NULL THEN ''
                                  ELSE pg_catalog.format(', %L', t.column_name) END)
      FROM tags t
      JOIN pg_catalog.pg_class c ON c.oid = t.relid
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE NOT t.valid
    UNION ALL
    -- (4b) foreign-table partitions of tagged tables: enforcement skips them
    SELECT 'warning', 'foreign_partition', fc.oid, NULL::name, NULL,
           pg_catalog.format('%I.%I', fn.nspname, fc.relname),
           pg_catalog.format('partition of tagged table %s is a foreign table: enforcement never deletes or anonymizes its rows',
                             pg_catalog.format('%I.%I', n.nspname, c.relname)),
           pg_catalog.format('Apply the retention rule where the data lives (tag the remote table in its own database), or detach the partition: ALTER TABLE %s DETACH PARTITION %I.%I; if its data is kept elsewhere under its own rule, record why: SELECT retention.lint_ignore(%L, NULL, ''<reason>'', ''foreign_partition'');',
                             pt.parentrelid::pg_catalog.regclass, fn.nspname, fc.relname,
                             pg_catalog.format('%I.%I', fn.nspname, fc.relname))
      FROM (SELECT DISTINCT tt.relid FROM tags tt
             WHERE tt.valid AND tt.kind IN ('table', 'column')) t
      JOIN pg_catalog.pg_class c ON c.oid = t.relid
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     CROSS JOIN LATERAL pg_catalog.pg_partition_tree(t.relid) pt
      JOIN pg_catalog.pg_class fc ON fc.oid = pt.relid AND fc.relkind = 'f'
      JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace
    UNION ALL
    -- (5) categories no tag uses (retention_evidence is the logs' own)
    SELECT 'notice', 'unused_category', NULL, NULL, cat.name, cat.name,
           'no retention tag uses this category',
           pg_catalog.format('Tag the tables or columns it applies to, or drop it: SELECT retention.drop_category(%L);', cat.name)
      FROM retention.category cat
     WHERE cat.name <> 'retention_evidence'
       AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.category = cat.name)
),
reported AS (
    SELECT f.*
      FROM findings f
     WHERE NOT EXISTS (
            SELECT 1 FROM retention.lint_exception e
             WHERE e.check_name = f.check_name
               AND CASE WHEN f.category IS NOT NULL THEN e.category = f.category
                        ELSE e.table_name::oid = f.relid
                             AND (e.column_name IS NULL OR e.column_name = f.column_name) END)
    UNION ALL
    -- (6) exceptions whose table or column no longer exists
    SELECT 'notice', 'stale_lint_exception', e.table_name::oid, e.column_name, NULL,
           CASE WHEN c.oid IS NULL THEN e.table_name::oid::text
                ELSE pg_catalog.format('%I.%I', n.nspname, c.relname) END
               OPERATOR(pg_catalog.||) coalesce('.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(e.column_name), ''),
           pg_catalog.format('lint exception for %s (%s) names a %s that no longer exists',
                             e.check_name, e.reason, CASE WHEN c.oid IS NULL THEN 'table' ELSE 'column' END),
           pg_catalog.format('Remove it: SELECT retention.lint_unignore(%s, %L, %L);',
                             CASE WHEN c.oid IS NULL THEN pg_catalog.quote_literal(e.table_name::oid::text)
                                  ELSE pg_catalog.quote_literal(pg_catalog.format('%I.%I', n.nspname, c.relname)) END,
                             e.column_name, e.check_name)
      FROM retention.lint_exception e
      LEFT JOIN pg_catalog.pg_class c ON c.oid = e.table_name::oid
      LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE e.table_name IS NOT NULL
       AND (c.oid IS NULL
            OR (e.column_name IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                                 WHERE a.attrelid = c.oid AND a.attname = e.column_name
                                   AND a.attnum > 0 AND NOT a.attisdropped)))
)
SELECT r.severity, r.check_name, r.object, r.message, r.hint
  FROM reported r
 WHERE schema_name IS NULL
    OR EXISTS (SELECT 1 FROM pg_catalog.pg_class c
                WHERE c.oid = r.relid
                  AND c.relnamespace = (SELECT n.oid FROM pg_catalog.pg_namespace n
                                         WHERE n.nspname = lint.schema_name))
 ORDER BY CASE r.severity WHEN 'warning' THEN 0 ELSE 1 END,
          r.check_name COLLATE "C", r.object COLLATE "C", r.message COLLATE "C"
$$;
COMMENT ON FUNCTION retention.lint(name) IS
    'What the retention policy misses (every schema, or one): untagged_personal_data (warning: a column that looks like personal data by name or type, with no tag and no table tag), subject_without_retention (warning: subject identifiers on a table with no retention rule), invalid_tag (warning: a tag that no longer resolves), foreign_partition (warning: a foreign-table partition of a tagged table, which enforcement never reaches), anchor_without_index and subject_without_index (notice), unused_category (notice), stale_lint_exception (notice). Each finding has a hint saying what to change. Findings recorded with retention.lint_ignore() are not reported. Runs as the caller and reads only what every role can read.';
