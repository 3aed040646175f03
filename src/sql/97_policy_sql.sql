-- Policy as code: retention.policy_sql() writes the policy of this database
-- (categories, category variants, tags) as a SQL script that recreates it.
--
-- pg_dump --schema-only keeps the tags (they are security labels) but not
-- the categories (rows of an extension configuration table), so every tag of
-- a schema-only copy is invalid until its categories are back.  The script
-- is what a DBA keeps in version control and applies after a schema-only
-- migration.
--
-- The policy tables are dumped generically, from the catalog: every column
-- except the bookkeeping timestamps, in column order, as typed literals, one
-- INSERT ... ON CONFLICT (primary key) DO UPDATE per row, rows ordered by
-- primary key.  A column added to retention.category (or a new policy table
-- added to policy_tables below) is in the script without further code.
--
-- Privileges: runs as its caller and reads only what every role can read
-- (retention.category and its variants, pg_seclabel), so PUBLIC may run it.

-- One policy table as INSERT statements (empty when the table does not exist).
CREATE FUNCTION retention._policy_sql_rows(policy_table text)
RETURNS SETOF text
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'postgres'
SET TimeZone = 'UTC'
SET extra_float_digits = 3
AS $$
DECLARE
    relid oid := pg_catalog.to_regclass(pg_catalog.format('retention.%I', policy_table));
    cols name[];
    types text[];
    keycols name[];
    conflict text := '';
    vals text[];
    lits text[];
BEGIN
    IF relid IS NULL THEN
        RETURN;
    END IF;
    SELECT pg_catalog.array_agg(a.attname ORDER BY a.attnum),
           pg_catalog.array_agg(pg_catalog.format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum)
      INTO cols, types
      FROM pg_catalog.pg_attribute a
     WHERE a.attrelid OPERATOR(pg_catalog.=) relid
       AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
       AND a.attgenerated OPERATOR(pg_catalog.=) ''
       AND a.attname OPERATOR(pg_catalog.<>) ALL (ARRAY['created_at', 'updated_at']::name[]);
    SELECT pg_catalog.array_agg(a.attname ORDER BY k.ord)
      INTO keycols
      FROM pg_catalog.pg_constraint co
     CROSS JOIN LATERAL pg_catalog.unnest(co.conkey) WITH ORDINALITY k(attnum, ord)
      JOIN pg_catalog.pg_attribute a
        ON a.attrelid OPERATOR(pg_catalog.=) co.conrelid AND a.attnum OPERATOR(pg_catalog.=) k.attnum
     WHERE co.conrelid OPERATOR(pg_catalog.=) relid AND co.contype OPERATOR(pg_catalog.=) 'p';
    IF keycols IS NULL THEN
        keycols := cols;
    ELSE
        conflict := pg_catalog.format(E'\n    ON CONFLICT (%s) DO ',
                        (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(k), ', ') FROM pg_catalog.unnest(keycols) k))
            OPERATOR(pg_catalog.||) coalesce(
                'UPDATE SET ' OPERATOR(pg_catalog.||)
                (SELECT pg_catalog.string_agg(pg_catalog.format('%1$I = excluded.%1$I', c), ', ' ORDER BY o)
                   FROM pg_catalog.unnest(cols) WITH ORDINALITY u(c, o)
                  WHERE c OPERATOR(pg_catalog.<>) ALL (keycols)),
                'NOTHING');
    END IF;
    FOR vals IN EXECUTE pg_catalog.format(
        'SELECT ARRAY[%s]::pg_catalog.text[] FROM retention.%I t ORDER BY %s',
        (SELECT pg_catalog.string_agg(pg_catalog.format('t.%I::pg_catalog.text', c), ', ' ORDER BY o)
           FROM pg_catalog.unnest(cols) WITH ORDINALITY u(c, o)),
        policy_table,
        (SELECT pg_catalog.string_agg(pg_catalog.format('t.%I::pg_catalog.text COLLATE "C"', k), ', ' ORDER BY o)
           FROM pg_catalog.unnest(keycols) WITH ORDINALITY u(k, o)))
    LOOP
        SELECT pg_catalog.array_agg(CASE WHEN v IS NULL THEN 'NULL'
                                         WHEN types[o] OPERATOR(pg_catalog.=) 'text' THEN pg_catalog.quote_literal(v)
                                         ELSE pg_catalog.quote_literal(v) OPERATOR(pg_catalog.||) '::'
                                              OPERATOR(pg_catalog.||) types[o] END ORDER BY o)
          INTO lits
          FROM pg_catalog.unnest(vals) WITH ORDINALITY u(v, o);
        RETURN NEXT pg_catalog.format(E'INSERT INTO retention.%I (%s)\n    VALUES (%s)%s;',
                        policy_table,
                        (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(c), ', ' ORDER BY o)
                           FROM pg_catalog.unnest(cols) WITH ORDINALITY u(c, o)),
                        pg_catalog.array_to_string(lits, ', '),
                        conflict);
    END LOOP;
END
$$;
COMMENT ON FUNCTION retention._policy_sql_rows(text) IS
    'Internal: the rows of one policy table of the retention schema as INSERT ... ON CONFLICT statements, for retention.policy_sql().';

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
