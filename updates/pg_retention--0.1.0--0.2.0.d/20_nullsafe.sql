\echo Use "ALTER EXTENSION pg_retention UPDATE TO '0.2.0'" to load this file. \quit

-- 20_nullsafe: NULL arguments named (22004), period limit, status and preview
-- columns that say what they mean, foreign-table partitions in lint and
-- status (the same objects as src/sql/10_category.sql, 30_tag_helpers.sql,
-- 90_enforce.sql, 96_lint.sql).

COMMENT ON COLUMN retention.category.period IS 'How long data is kept after the boundary: from zero ("due at the boundary itself") to 1000 years.';

CREATE OR REPLACE FUNCTION retention._category_validate()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    given_zone text := NEW.time_zone;
    missing text := CASE WHEN NEW.name IS NULL THEN 'name' WHEN NEW.period IS NULL THEN 'period'
                         WHEN NEW.starts IS NULL THEN 'starts' WHEN NEW.action IS NULL THEN 'action'
                         WHEN NEW.time_zone IS NULL THEN 'time_zone' END;
BEGIN
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION '% of a retention category must not be NULL', missing
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Give name and period; starts, action and time_zone have defaults (exact, delete, UTC) when omitted.';
    END IF;
    IF NEW.name !~ '^[a-z_][a-z0-9_]{0,62}$' THEN
        RAISE EXCEPTION 'invalid category name "%"', NEW.name
            USING ERRCODE = 'invalid_name',
                  HINT = 'Use 1 to 63 lower-case letters, digits and underscores, starting with a letter or underscore.';
    END IF;
    IF NEW.period IS NULL
       OR extract(year FROM NEW.period) < 0 OR extract(month FROM NEW.period) < 0
       OR extract(day FROM NEW.period) < 0 OR extract(hour FROM NEW.period) < 0
       OR extract(minute FROM NEW.period) < 0 OR extract(second FROM NEW.period) < 0 THEN
        RAISE EXCEPTION 'invalid retention period for category "%"', NEW.name
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The period is %s; no part of it may be negative.', coalesce(NEW.period::text, 'NULL')),
                  HINT = 'Give a positive interval such as ''12 months'' or ''7 years'', or ''0'' for data due at its boundary.';
    END IF;
    -- bounded so that due times stay representable (later ones count as
    -- never due); extract(epoch) counts a year as 365.25 days
    IF extract(epoch FROM NEW.period) > extract(epoch FROM interval '1000 years') THEN
        RAISE EXCEPTION 'retention period of category "%" is too long', NEW.name
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The period is %s; the longest period allowed is 1000 years.', NEW.period),
                  HINT = 'Give a period of at most 1000 years. Data that is never due needs no retention tag.';
    END IF;
    IF NEW.starts IS NULL OR NEW.starts <> ALL (ARRAY['exact', 'end_of_day', 'end_of_month', 'end_of_year']) THEN
        RAISE EXCEPTION 'invalid boundary "%" for category "%"', NEW.starts, NEW.name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'starts is one of exact, end_of_day, end_of_month, end_of_year.';
    END IF;
    IF NEW.action IS NULL OR NEW.action <> ALL (ARRAY['delete', 'nullify', 'default', 'hash', 'mask', 'generalize']) THEN
        RAISE EXCEPTION 'invalid action "%" for category "%"', NEW.action, NEW.name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'action is delete (for table tags) or nullify, default, hash, mask, generalize (for column tags).';
    END IF;
    -- zone names match case-insensitively (as in SET TIME ZONE) and are
    -- stored as the time zone database spells them
    SELECT z.name INTO NEW.time_zone
      FROM pg_catalog.pg_timezone_names z
     WHERE lower(z.name) = lower(NEW.time_zone)
     ORDER BY z.name = NEW.time_zone DESC, z.name
     LIMIT 1;
    IF NEW.time_zone IS NULL THEN
        RAISE EXCEPTION 'unknown time zone "%" for category "%"', given_zone, NEW.name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use a full zone name from pg_timezone_names, such as ''UTC'' or ''Europe/Zagreb''.';
    END IF;
    -- bookkeeping for changes made by statements, not for the restore
    -- trigger's own update (which carries the dumped timestamps)
    IF TG_OP = 'UPDATE' AND pg_trigger_depth() = 1 THEN
        NEW.created_at := OLD.created_at;
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION retention._category_validate() IS
    'Internal: validates retention.category rows before they are written.';

CREATE OR REPLACE FUNCTION retention.alter_category(
    name        text,
    period      interval DEFAULT NULL,
    starts      text DEFAULT NULL,
    action      text DEFAULT NULL,
    description text DEFAULT NULL,
    purpose     text DEFAULT NULL,
    legal_basis text DEFAULT NULL,
    time_zone   text DEFAULT NULL,
    new_name    text DEFAULT NULL)
RETURNS retention.category
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result retention.category;
BEGIN
    IF alter_category.name IS NULL THEN
        RAISE EXCEPTION 'name must not be NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass the name of the category to change.';
    END IF;
    IF alter_category.new_name IS NOT NULL AND alter_category.new_name <> alter_category.name
       AND EXISTS (SELECT 1 FROM retention.category c WHERE c.name = alter_category.new_name) THEN
        RAISE EXCEPTION 'retention category "%" already exists', alter_category.new_name
            USING ERRCODE = 'duplicate_object',
                  HINT = 'Choose another new_name.';
    END IF;
    UPDATE retention.category AS c SET
        name        = coalesce(alter_category.new_name, c.name),
        period      = coalesce(alter_category.period, c.period),
        starts      = coalesce(alter_category.starts, c.starts),
        action      = coalesce(alter_category.action, c.action),
        description = CASE WHEN alter_category.description IS NULL THEN c.description
                           ELSE nullif(alter_category.description, '') END,
        purpose     = CASE WHEN alter_category.purpose IS NULL THEN c.purpose
                           ELSE nullif(alter_category.purpose, '') END,
        legal_basis = CASE WHEN alter_category.legal_basis IS NULL THEN c.legal_basis
                           ELSE nullif(alter_category.legal_basis, '') END,
        time_zone   = coalesce(alter_category.time_zone, c.time_zone)
     WHERE c.name = alter_category.name
    RETURNING c.* INTO result;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'retention category "%" does not exist', alter_category.name
            USING ERRCODE = 'undefined_object',
                  HINT = 'SELECT name FROM retention.category lists the categories; define one with retention.define_category().';
    END IF;
    RETURN result;
END
$$;
COMMENT ON FUNCTION retention.alter_category(text, interval, text, text, text, text, text, text, text) IS
    'Changes a retention category; NULL arguments leave a field as it is, an empty string clears description, purpose or legal_basis. The change applies to every tag of the category. Members of retention_admin only.';

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

CREATE OR REPLACE FUNCTION retention.tag_table(
    table_name regclass,
    category   text,
    anchor     text,
    action     text DEFAULT NULL)
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
                || retention._label_word('action', tag_table.action));
    EXECUTE format('SECURITY LABEL FOR retention ON TABLE %s IS %L', tag_table.table_name, label);
    RETURN label;
END
$$;
COMMENT ON FUNCTION retention.tag_table(regclass, text, text, text) IS
    'Tags a table: its rows are deleted when due (category period after the boundary of anchor). Returns the label written. Only the table''s owner can tag it.';

CREATE OR REPLACE FUNCTION retention.tag_column(
    table_name  regclass,
    column_name name,
    category    text DEFAULT NULL,
    anchor      text DEFAULT NULL,
    action      text DEFAULT NULL,
    subject     text DEFAULT NULL,
    keep        integer DEFAULT NULL,
    bucket      bigint DEFAULT NULL)
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
                || retention._label_word('bucket', tag_column.bucket::text));
    EXECUTE format('SECURITY LABEL FOR retention ON COLUMN %s.%I IS %L',
                   tag_column.table_name, tag_column.column_name, label);
    RETURN label;
END
$$;
COMMENT ON FUNCTION retention.tag_column(regclass, name, text, text, text, text, integer, bigint) IS
    'Tags a column: with a category, its value is anonymized when due (action, or the category''s default); with subject only, marks it as a data subject identifier of that kind. Returns the label written. Only the table''s owner can tag it.';

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

CREATE OR REPLACE FUNCTION retention._lint_normalized_index(relid regclass, kind text, column_name name)
RETURNS boolean
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp
RETURN EXISTS (
    SELECT 1 FROM pg_catalog.pg_index i
     WHERE i.indrelid = relid AND i.indisvalid AND i.indkey[0] = 0
       AND pg_catalog.regexp_replace(pg_catalog.pg_get_indexdef(i.indexrelid, 1, false), '[()]', '', 'g')
           = pg_catalog.format('retention.normalize_identifier%L::text, %I', kind, column_name)
             OR pg_catalog.regexp_replace(pg_catalog.pg_get_indexdef(i.indexrelid, 1, false), '[()]', '', 'g')
           = pg_catalog.format('retention.normalize_identifier%L::text, %I::text', kind, column_name));
COMMENT ON FUNCTION retention._lint_normalized_index(regclass, text, name) IS
    'Internal: whether an index leads with retention.normalize_identifier(kind, column), the expression the subject search compares.';

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
-- anchors resolved to (relation, column): the parent's column for
-- foreign-key anchors
anchors AS (
    SELECT t.*, ar.relid AS index_relid, aa.attnum AS index_attnum, aa.attname AS index_attname
      FROM tags t
      CROSS JOIN LATERAL (SELECT pg_catalog.regexp_match(t.anchor, '^("(?:[^"]|"")*"|[^"]*?)->(.*)$') AS fk) p
      CROSS JOIN LATERAL (SELECT coalesce(t.anchor_relid, t.relid) AS relid,
                                 CASE WHEN p.fk IS NULL THEN (pg_catalog.parse_ident(t.anchor))[1]
                                      ELSE (SELECT x[pg_catalog.cardinality(x)]
                                              FROM pg_catalog.parse_ident(p.fk[2]) x) END AS attname) ar
      JOIN pg_catalog.pg_attribute aa
        ON aa.attrelid = ar.relid AND aa.attname = ar.attname AND aa.attnum > 0 AND NOT aa.attisdropped
     WHERE t.valid AND t.anchor IS NOT NULL
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
                             a.anchor,
                             CASE WHEN a.anchor_relid IS NOT NULL
                                  THEN pg_catalog.format(' (column %I of %s)', a.index_attname,
                                                         pg_catalog.format('%I.%I', pn.nspname, pc.relname))
                                  ELSE '' END),
           pg_catalog.format('CREATE INDEX ON %I.%I (%I);', pn.nspname, pc.relname, a.index_attname)
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

CREATE OR REPLACE FUNCTION retention.lint_ignore(
    table_name  regclass,
    column_name name,
    reason      text,
    check_name  text DEFAULT 'untagged_personal_data')
RETURNS retention.lint_exception
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result retention.lint_exception;
BEGIN
    IF lint_ignore.check_name IS NULL
       OR lint_ignore.check_name NOT IN ('untagged_personal_data', 'subject_without_retention',
                                         'anchor_without_index', 'subject_without_index', 'invalid_tag',
                                         'foreign_partition') THEN
        RAISE EXCEPTION 'invalid lint check "%" for a table or column', lint_ignore.check_name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = CASE WHEN lint_ignore.check_name = 'unused_category'
                              THEN 'Unused categories are silenced with retention.lint_ignore_category(category, reason).'
                              ELSE 'check_name is one of untagged_personal_data, subject_without_retention, anchor_without_index, subject_without_index, invalid_tag, foreign_partition.' END;
    END IF;
    IF lint_ignore.table_name IS NULL THEN
        RAISE EXCEPTION 'a lint exception needs a table'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass the table, and a column or NULL for all its columns.';
    END IF;
    IF lint_ignore.column_name IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM pg_catalog.pg_attribute a
         WHERE a.attrelid = lint_ignore.table_name AND a.attname = lint_ignore.column_name
           AND a.attnum > 0 AND NOT a.attisdropped) THEN
        RAISE EXCEPTION 'column "%" of relation % does not exist', lint_ignore.column_name, lint_ignore.table_name
            USING ERRCODE = 'undefined_column',
                  HINT = 'Name a column of the table, or pass NULL to cover all its columns.';
    END IF;
    IF lint_ignore.reason IS NULL OR btrim(lint_ignore.reason) = '' THEN
        RAISE EXCEPTION 'a lint exception needs a reason'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Say why the finding is acceptable, e.g. ''holds synthetic test data'' (no personal data).';
    END IF;
    INSERT INTO retention.lint_exception AS e (check_name, table_name, column_name, reason)
    VALUES (lint_ignore.check_name, lint_ignore.table_name, lint_ignore.column_name, lint_ignore.reason)
    ON CONFLICT ON CONSTRAINT lint_exception_unique
    DO UPDATE SET reason = excluded.reason, ignored_by = excluded.ignored_by, ignored_at = excluded.ignored_at
    RETURNING e.* INTO result;
    RETURN result;
END
$$;
COMMENT ON FUNCTION retention.lint_ignore(regclass, name, text, text) IS
    'Records that a retention.lint() finding on a column (or, column_name NULL, on every column of the table) has been reviewed, with the reason; lint() no longer reports it. check_name defaults to untagged_personal_data. Recording it again replaces the reason. Members of retention_admin only.';

CREATE OR REPLACE FUNCTION retention.lint_ignore_category(category text, reason text)
RETURNS retention.lint_exception
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result retention.lint_exception;
BEGIN
    IF lint_ignore_category.category IS NULL THEN
        RAISE EXCEPTION 'category must not be NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass the name of the unused category.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM retention.category c WHERE c.name = lint_ignore_category.category) THEN
        RAISE EXCEPTION 'retention category "%" does not exist', lint_ignore_category.category
            USING ERRCODE = 'undefined_object',
                  HINT = 'SELECT name FROM retention.category lists the categories.';
    END IF;
    IF lint_ignore_category.reason IS NULL OR btrim(lint_ignore_category.reason) = '' THEN
        RAISE EXCEPTION 'a lint exception needs a reason'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Say why the category may stay unused, e.g. ''for the archive tables planned in Q3''.';
    END IF;
    INSERT INTO retention.lint_exception AS e (check_name, category, reason)
    VALUES ('unused_category', lint_ignore_category.category, lint_ignore_category.reason)
    ON CONFLICT ON CONSTRAINT lint_exception_unique
    DO UPDATE SET reason = excluded.reason, ignored_by = excluded.ignored_by, ignored_at = excluded.ignored_at
    RETURNING e.* INTO result;
    RETURN result;
END
$$;
COMMENT ON FUNCTION retention.lint_ignore_category(text, text) IS
    'Records that a category may stay unused, with the reason; retention.lint() no longer reports it as unused_category. Dropping the category removes the exception. Members of retention_admin only.';

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
