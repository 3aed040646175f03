\echo Use "ALTER EXTENSION pg_retention UPDATE TO '0.2.0'" to load this file. \quit
-- 89_hardening: fixes found by attacking the 0.2.0 policy model (issue 14).
-- retention.policy_sql() writes every line of a label that does not resolve
-- as a comment (a line break in a label or a name ended the comment, and
-- the rest ran in the session of the DBA applying the script).  A category
-- variant's period is bounded like a category's (1000 years).  Both are
-- defined here only (moved from 80_tools.sql and 70_model.sql).

CREATE FUNCTION retention.policy_sql()
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- the policy tables, in the order they must be loaded (a variant
    -- references its category); absent ones are skipped
    policy_tables constant text[] := ARRAY['category', 'category_variant'];
    script text[];
    t text;
BEGIN
    script := ARRAY[
        '-- pg_retention policy: categories, category variants and tags, written by',
        '-- retention.policy_sql() of pg_retention '
            OPERATOR(pg_catalog.||) coalesce((SELECT e.extversion FROM pg_catalog.pg_extension e
                                               WHERE e.extname OPERATOR(pg_catalog.=) 'pg_retention'), '?')
            OPERATOR(pg_catalog.||) '.',
        '-- Apply with psql --single-transaction as a member of retention_admin who',
        '-- owns the tagged tables.  It adds or updates categories and variants and',
        '-- sets every tag; it removes nothing.',
        ''];
    FOREACH t IN ARRAY policy_tables LOOP
        IF pg_catalog.to_regclass(pg_catalog.format('retention.%I', t)) IS NOT NULL THEN
            script := script OPERATOR(pg_catalog.||) pg_catalog.format('-- retention.%I', t)
                OPERATOR(pg_catalog.||) ARRAY(SELECT r FROM retention._policy_sql_rows(t) r)
                OPERATOR(pg_catalog.||) ''::text;
        END IF;
    END LOOP;
    -- tags: every retention label on a relation or column that is not the
    -- extension's own, by schema, table, then the table's label before its
    -- columns' in column-name order; a label that does not resolve here is
    -- written as a comment (it would be refused), every line of it: the
    -- label and the names are the table owner's and may hold line breaks,
    -- and what followed one would run as SQL or as a psql meta-command
    script := script OPERATOR(pg_catalog.||) '-- tags'::text OPERATOR(pg_catalog.||) ARRAY(
        SELECT CASE WHEN coalesce(v.valid, true) THEN l.stmt
                    ELSE '-- does not resolve, not applied: ' OPERATOR(pg_catalog.||)
                         pg_catalog.regexp_replace(l.stmt, E'\r\n?|\n', E'\n-- ', 'g') END
          FROM pg_catalog.pg_seclabel s
          JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) s.objoid
          JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
          LEFT JOIN pg_catalog.pg_attribute a
            ON a.attrelid OPERATOR(pg_catalog.=) s.objoid AND a.attnum OPERATOR(pg_catalog.=) s.objsubid
          LEFT JOIN LATERAL (SELECT pg_catalog.bool_and(tg.valid) AS valid FROM retention.tags tg
                              WHERE tg.table_name OPERATOR(pg_catalog.=) c.oid::pg_catalog.regclass
                                AND tg.column_name IS NOT DISTINCT FROM a.attname) v ON true
         CROSS JOIN LATERAL (SELECT pg_catalog.format('SECURITY LABEL FOR retention ON %s %s IS %s;',
                   CASE WHEN s.objsubid OPERATOR(pg_catalog.=) 0 THEN 'TABLE' ELSE 'COLUMN' END,
                   pg_catalog.format('%I.%I', n.nspname, c.relname)
                       OPERATOR(pg_catalog.||) coalesce('.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(a.attname), ''),
                   pg_catalog.quote_literal(s.label)) AS stmt) l
         WHERE s.provider OPERATOR(pg_catalog.=) 'retention'
           AND s.classoid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
           AND (s.objsubid OPERATOR(pg_catalog.=) 0 OR a.attname IS NOT NULL)
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                            WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                              AND d.objid OPERATOR(pg_catalog.=) c.oid
                              AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
                              AND d.deptype OPERATOR(pg_catalog.=) 'e')
         ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C",
                  s.objsubid OPERATOR(pg_catalog.<>) 0, a.attname COLLATE "C");
    RETURN pg_catalog.array_to_string(script, E'\n') OPERATOR(pg_catalog.||) E'\n';
END
$$;
COMMENT ON FUNCTION retention.policy_sql() IS
    'The retention policy of this database as a deterministic SQL script: an INSERT ... ON CONFLICT DO UPDATE per category (and category variant), every column but the timestamps, then a SECURITY LABEL statement per tag, sorted by schema, table and column. Applied to a schema-only copy (pg_dump --schema-only drops the categories) it reproduces retention.tags exactly. Keep it in version control. Runs as the caller.';
GRANT EXECUTE ON FUNCTION retention.policy_sql() TO PUBLIC;

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
    -- the bound of a category's period (10_category.sql)
    IF extract(epoch FROM NEW.period) > extract(epoch FROM interval '1000 years') THEN
        RAISE EXCEPTION 'retention period of variant "%" of category "%" is too long', NEW.variant, NEW.category
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The period is %s; the longest period allowed is 1000 years.', NEW.period),
                  HINT = 'Give a period of at most 1000 years, as for a category.';
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
