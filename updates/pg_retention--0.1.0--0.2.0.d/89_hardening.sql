\echo Use "ALTER EXTENSION pg_retention UPDATE TO '0.2.0'" to load this file. \quit
-- 89_hardening: fixes found by attacking the 0.2.0 policy model (issue 14).
-- retention.policy_sql() writes every line of a label that does not resolve
-- as a comment (a line break in a label or a name ended the comment, and
-- the rest ran in the session of the DBA applying the script).

CREATE OR REPLACE FUNCTION retention.policy_sql()
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
