-- Lint: what the policy misses.  Columns that look like personal data but
-- carry no tag, tables whose subject identifiers have no retention rule,
-- anchors and subject columns no index serves, tags that no longer resolve,
-- categories no tag uses.  A finding that a person has reviewed is silenced
-- with a recorded reason (retention.lint_exception).
--
-- Privileges: retention.lint() runs as its caller and reads only what every
-- role can read already (pg_class, pg_attribute, pg_index, pg_seclabel
-- through retention.tags, the categories and the exception list), so it
-- tells no role anything new and PUBLIC may run it.  Exceptions are
-- recorded by members of retention_admin.

CREATE TABLE retention.lint_exception (
    check_name  text NOT NULL,
    table_name  regclass,
    column_name name,
    category    text REFERENCES retention.category (name) ON UPDATE CASCADE ON DELETE CASCADE,
    reason      text NOT NULL,
    ignored_by  name NOT NULL DEFAULT session_user,
    ignored_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT lint_exception_check_known CHECK (check_name OPERATOR(pg_catalog.=) ANY (ARRAY[
        'untagged_personal_data', 'untagged_personal_column', 'subject_without_retention',
        'anchor_without_index', 'subject_without_index', 'foreign_key_without_index',
        'invalid_tag', 'unused_category', 'foreign_partition'])),
    CONSTRAINT lint_exception_one_target CHECK (
        CASE WHEN check_name OPERATOR(pg_catalog.=) 'unused_category'
             THEN category IS NOT NULL AND table_name IS NULL AND column_name IS NULL
             ELSE table_name IS NOT NULL AND category IS NULL END),
    CONSTRAINT lint_exception_reason_given
        CHECK (pg_catalog.btrim(reason) OPERATOR(pg_catalog.<>) ''),
    CONSTRAINT lint_exception_unique
        UNIQUE NULLS NOT DISTINCT (check_name, table_name, column_name, category)
);
COMMENT ON TABLE retention.lint_exception IS
    'Reviewed retention.lint() findings that are not to be reported again: per check, a table (column_name NULL: all its columns) or a column, or for unused_category a category; with the reason, who recorded it and when. Change with retention.lint_ignore / lint_unignore (lint_ignore_category / lint_unignore_category). Readable by every role: write no personal data in the reason.';
COMMENT ON COLUMN retention.lint_exception.check_name IS 'The lint check silenced: untagged_personal_data, untagged_personal_column, subject_without_retention, anchor_without_index, subject_without_index, foreign_key_without_index, invalid_tag, foreign_partition (table_name is the foreign partition) or unused_category.';
COMMENT ON COLUMN retention.lint_exception.table_name IS 'The table the exception applies to (follows renames; an exception whose table is dropped is reported as stale).';
COMMENT ON COLUMN retention.lint_exception.column_name IS 'The column the exception applies to; NULL: every column of the table.';
COMMENT ON COLUMN retention.lint_exception.category IS 'For unused_category: the category that may stay unused.';
COMMENT ON COLUMN retention.lint_exception.reason IS 'Why the finding is acceptable, e.g. "synthetic test data" (required).';
COMMENT ON COLUMN retention.lint_exception.ignored_by IS 'The session user who recorded the exception.';
COMMENT ON COLUMN retention.lint_exception.ignored_at IS 'When the exception was recorded (or its reason last replaced).';

SELECT pg_catalog.pg_extension_config_dump('retention.lint_exception', '');
REVOKE ALL ON retention.lint_exception FROM PUBLIC;
GRANT SELECT ON retention.lint_exception TO PUBLIC;
GRANT INSERT, UPDATE, DELETE ON retention.lint_exception TO retention_admin;

-- Does the subject search compare this column with plain equality (integer
-- identifiers of kinds other than email and phone; see src/subject.c)?
CREATE FUNCTION retention._lint_subject_by_equality(kind text, type oid)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
RETURN kind NOT IN ('email', 'phone')
   AND (SELECT CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
          FROM pg_catalog.pg_type t WHERE t.oid = type)
       IN ('pg_catalog.int2'::pg_catalog.regtype, 'pg_catalog.int4'::pg_catalog.regtype,
           'pg_catalog.int8'::pg_catalog.regtype);
COMMENT ON FUNCTION retention._lint_subject_by_equality(text, oid) IS
    'Internal: whether the subject search compares a column of this kind and type by plain equality (else by retention.normalize_identifier).';

-- Is there a valid index whose first key is retention.normalize_identifier(kind, col)?
CREATE FUNCTION retention._lint_normalized_index(relid regclass, kind text, column_name name)
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

-- The personal-data term in a column name, or NULL.
CREATE FUNCTION retention._lint_name_term(column_name text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- single words (after splitting snake_case, camelCase and letters from
    -- digits: ipv4 is ipv, 4)
    singles constant text[] := ARRAY[
        'email', 'emails', 'mail', 'emailaddress', 'phone', 'phones', 'phonenumber',
        'telephone', 'tel', 'mobile', 'cellphone', 'msisdn', 'imsi', 'imei', 'iccid',
        'fax', 'ip', 'ipaddress', 'ipv', 'inet', 'address', 'street', 'city',
        'postcode', 'postalcode', 'zip', 'zipcode', 'birth', 'birthday', 'birthdate',
        'dob', 'dateofbirth', 'firstname', 'lastname', 'fullname', 'surname', 'forename',
        'givenname', 'familyname', 'maidenname', 'middlename', 'username', 'login',
        'ssn', 'passport', 'iban', 'latitude', 'longitude', 'geo', 'geolocation',
        'useragent', 'gender', 'nationality'];
    -- two consecutive words
    pairs constant text[] := ARRAY[
        'first name', 'last name', 'full name', 'given name', 'family name',
        'middle name', 'maiden name', 'user name', 'national id', 'tax id',
        'tax number', 'vat id', 'vat number', 'account number', 'card number',
        'credit card', 'bank account', 'user agent', 'postal code', 'post code',
        'zip code', 'ip address', 'ip addr', 'mac address', 'birth date',
        'social security', 'driver license', 'drivers license', 'driving licence',
        'driving license', 'phone number'];
    -- a name that ends in one of these describes something else (a key, a
    -- count, a setting), unless the personal-data term itself ends the name
    stop_words constant text[] := ARRAY[
        'id', 'ids', 'uuid', 'count', 'type', 'kind', 'status', 'format',
        'template', 'enabled', 'verified', 'flag', 'version'];
    words text[];
    n integer;
BEGIN
    words := array_remove(regexp_split_to_array(lower(
                 regexp_replace(regexp_replace(regexp_replace(column_name,
                     '([a-z0-9])([A-Z])', '\1_\2', 'g'),
                     '([A-Z]+)([A-Z][a-z])', '\1_\2', 'g'),
                     '([A-Za-z])([0-9])', '\1_\2', 'g')),
                 '[^a-z0-9]+'), '');
    n := cardinality(words);
    FOR i IN 1 .. n LOOP
        IF i < n AND words[i] || ' ' || words[i + 1] = ANY (pairs)
           AND (i + 1 = n OR words[n] <> ALL (stop_words)) THEN
            RETURN words[i] || '_' || words[i + 1];
        END IF;
        IF words[i] = ANY (singles) AND (i = n OR words[n] <> ALL (stop_words)) THEN
            RETURN words[i];
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION retention._lint_name_term(text) IS
    'Internal: the personal-data term (email, phone, ip_address, first_name, ...) that a column name contains on word boundaries of snake_case or camelCase, or NULL.';

-- Whether a valid index on relid leads with column attnum (with
-- allow_expression also an expression of it, such as lower(email)).
CREATE FUNCTION retention._lint_index_leads(relid oid, attnum smallint, allow_expression boolean)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (
        SELECT 1
          FROM pg_catalog.pg_index i
          JOIN pg_catalog.pg_attribute a
            ON a.attrelid OPERATOR(pg_catalog.=) i.indrelid AND a.attnum OPERATOR(pg_catalog.=) _lint_index_leads.attnum
         WHERE i.indrelid OPERATOR(pg_catalog.=) _lint_index_leads.relid
           AND i.indisvalid
           AND i.indnkeyatts OPERATOR(pg_catalog.>) 0
           AND (i.indkey[0] OPERATOR(pg_catalog.=) _lint_index_leads.attnum
                OR (allow_expression
                    AND i.indkey[0] OPERATOR(pg_catalog.=) 0
                    AND CASE WHEN pg_catalog.quote_ident(a.attname) OPERATOR(pg_catalog.=) a.attname::text
                             THEN pg_catalog.pg_get_indexdef(i.indexrelid, 1, false)
                                  OPERATOR(pg_catalog.~) ('\m' OPERATOR(pg_catalog.||)
                                      pg_catalog.replace(a.attname::text, '$', '\$') OPERATOR(pg_catalog.||) '\M')
                             ELSE pg_catalog.strpos(pg_catalog.pg_get_indexdef(i.indexrelid, 1, false),
                                                    pg_catalog.quote_ident(a.attname))
                                  OPERATOR(pg_catalog.>) 0 END)))
$$;
COMMENT ON FUNCTION retention._lint_index_leads(oid, smallint, boolean) IS
    'Internal: whether a valid index of the relation has the column as its first key (with allow_expression, also an expression of it such as lower(email)).';

-- Whether a valid index of relid has exactly these columns, in any order,
-- as its first keys (an expression key matches no column).
CREATE FUNCTION retention._lint_leading_columns(relid oid, cols name[])
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (
        SELECT 1
          FROM pg_catalog.pg_index i
         WHERE i.indrelid OPERATOR(pg_catalog.=) _lint_leading_columns.relid
           AND i.indisvalid
           AND i.indnkeyatts OPERATOR(pg_catalog.>=) pg_catalog.cardinality(cols)
           AND (SELECT pg_catalog.array_agg(a.attname::text ORDER BY a.attname::text COLLATE "C")
                  FROM pg_catalog.unnest(i.indkey) WITH ORDINALITY k(attnum, ord)
                  JOIN pg_catalog.pg_attribute a
                    ON a.attrelid OPERATOR(pg_catalog.=) i.indrelid AND a.attnum OPERATOR(pg_catalog.=) k.attnum
                 WHERE k.ord OPERATOR(pg_catalog.<=) pg_catalog.cardinality(cols))
               OPERATOR(pg_catalog.=)
               (SELECT pg_catalog.array_agg(c::text ORDER BY c::text COLLATE "C") FROM pg_catalog.unnest(cols) c))
$$;
COMMENT ON FUNCTION retention._lint_leading_columns(oid, name[]) IS
    'Internal: whether a valid index of the relation has exactly these columns (in any order) as its first keys.';

-- Whether an index serves a search of relid by the columns cols: 'columns'
-- (an index leads with exactly these columns), 'expression' (with the first
-- column or an expression of it, such as lower(email)) or 'normalized'
-- (with retention.normalize_identifier(subject, column)).  A partitioned
-- table is served by an index of its own or by one on every leaf partition
-- (indexes created on each partition, never on the parent, count).
CREATE FUNCTION retention._lint_indexed(relid oid, cols name[], how text, subject text DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r oid;
    served boolean;
    leaves integer := 0;
BEGIN
    FOR r IN SELECT _lint_indexed.relid
             UNION ALL
             SELECT t.relid FROM pg_catalog.pg_partition_tree(_lint_indexed.relid) t
              WHERE t.isleaf AND t.relid OPERATOR(pg_catalog.<>) _lint_indexed.relid
    LOOP
        served := CASE how
               WHEN 'columns' THEN retention._lint_leading_columns(r, cols)
               WHEN 'expression' THEN retention._lint_index_leads(r,
                   (SELECT a.attnum FROM pg_catalog.pg_attribute a
                     WHERE a.attrelid OPERATOR(pg_catalog.=) r AND a.attname OPERATOR(pg_catalog.=) cols[1]
                       AND NOT a.attisdropped), true)
               WHEN 'normalized' THEN retention._lint_normalized_index(r::pg_catalog.regclass, _lint_indexed.subject, cols[1])
           END;
        IF coalesce(served, false) THEN
            IF r OPERATOR(pg_catalog.=) _lint_indexed.relid THEN
                RETURN true;
            END IF;
        ELSIF r OPERATOR(pg_catalog.<>) _lint_indexed.relid THEN
            RETURN false;
        END IF;
        IF r OPERATOR(pg_catalog.<>) _lint_indexed.relid THEN
            leaves := leaves OPERATOR(pg_catalog.+) 1;
        END IF;
    END LOOP;
    RETURN leaves OPERATOR(pg_catalog.>) 0;
END
$$;
COMMENT ON FUNCTION retention._lint_indexed(oid, name[], text, text) IS
    'Internal: whether an index serves a search of the relation by these columns (how: columns, expression or normalized); a partitioned table is served by its own index or by one on every leaf partition.';

-- Does a table name look like it holds people (customer, user, staff, ...)?
-- There, a column called name (or ending in _name) is a person's name.
CREATE FUNCTION retention._lint_person_table(table_name text)
RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN pg_catalog.regexp_split_to_array(pg_catalog.lower(pg_catalog.regexp_replace(table_name,
           '([a-z0-9])([A-Z])', '\1_\2', 'g')), '[^a-z]+')
       OPERATOR(pg_catalog.&&) ARRAY[
           'customer', 'customers', 'client', 'clients', 'user', 'users', 'person', 'persons',
           'people', 'contact', 'contacts', 'member', 'members', 'staff', 'employee', 'employees',
           'lead', 'leads', 'patient', 'patients', 'subscriber', 'subscribers', 'applicant',
           'applicants', 'candidate', 'candidates', 'student', 'students', 'visitor', 'visitors',
           'guest', 'guests', 'driver', 'drivers', 'passenger', 'passengers', 'recipient',
           'recipients', 'sender', 'senders', 'actor', 'actors', 'author', 'authors'];
COMMENT ON FUNCTION retention._lint_person_table(text) IS
    'Internal: whether a table name (snake_case or camelCase words) names people: customer, user, staff, contact, lead, ... (then a column called name is a person''s name).';

-- The anchor lint suggests for a table: its first date or time column.
CREATE FUNCTION retention._lint_suggested_anchor(relid oid)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(
        (SELECT pg_catalog.quote_ident(a.attname)
           FROM pg_catalog.pg_attribute a
           JOIN pg_catalog.pg_type t ON t.oid OPERATOR(pg_catalog.=) a.atttypid
          WHERE a.attrelid OPERATOR(pg_catalog.=) _lint_suggested_anchor.relid
            AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
            AND (CASE WHEN t.typtype OPERATOR(pg_catalog.=) 'd' THEN t.typbasetype ELSE t.oid END)
                OPERATOR(pg_catalog.=) ANY (ARRAY['pg_catalog.timestamptz'::pg_catalog.regtype,
                                                  'pg_catalog.timestamp'::pg_catalog.regtype,
                                                  'pg_catalog.date'::pg_catalog.regtype]::oid[])
          ORDER BY a.attnum
          LIMIT 1),
        '<date column>')
$$;
COMMENT ON FUNCTION retention._lint_suggested_anchor(oid) IS
    'Internal: the anchor retention.lint() suggests for a table (its first date or timestamp column).';

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

CREATE FUNCTION retention.lint(schema_name name DEFAULT NULL)
RETURNS TABLE (severity   text,
               check_name text,
               object     text,
               message    text,
               hint       text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
-- the catalog queries are small, but the function scans' default estimates
-- make the plan look expensive enough for JIT, whose compilation then
-- costs seconds
SET jit = off
AS $$
WITH tags AS MATERIALIZED (
    SELECT t.table_name::oid AS relid, t.column_name, t.kind, t.category, t.anchor, t.action,
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
-- the columns of those tables, with the name term computed once each (and
-- only for them: materialized, so that the planner cannot run the term
-- function over every column of the catalogs first)
user_columns AS MATERIALIZED (
    SELECT u.relid, u.qualified, u.relname, a.attname, a.atttypid, a.atttypmod,
           retention._lint_name_term(a.attname) AS term
      FROM user_tables u
      JOIN pg_catalog.pg_attribute a ON a.attrelid = u.relid AND a.attnum > 0 AND NOT a.attisdropped
),
-- columns that look like personal data, and why
personal AS (
    SELECT u.relid, u.qualified, a.attname, m.term,
           CASE WHEN m.term IS NULL AND eff.typ NOT IN ('pg_catalog.inet'::pg_catalog.regtype, 'pg_catalog.cidr'::pg_catalog.regtype,
                                                        'pg_catalog.macaddr'::pg_catalog.regtype, 'pg_catalog.macaddr8'::pg_catalog.regtype)
                THEN pg_catalog.format('it is called %s in a table of people', a.attname)
                WHEN eff.typ IN ('pg_catalog.inet'::pg_catalog.regtype, 'pg_catalog.cidr'::pg_catalog.regtype,
                                 'pg_catalog.macaddr'::pg_catalog.regtype, 'pg_catalog.macaddr8'::pg_catalog.regtype)
                THEN pg_catalog.format('its type is %s', pg_catalog.format_type(a.atttypid, a.atttypmod))
                ELSE pg_catalog.format('its name contains "%s"', m.term) END AS why
      FROM user_columns u
      CROSS JOIN LATERAL (SELECT u.attname, u.atttypid, u.atttypmod) a
      CROSS JOIN LATERAL (SELECT u.term) m
      JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
      CROSS JOIN LATERAL (SELECT CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END AS oid) base
      JOIN pg_catalog.pg_type bt ON bt.oid = base.oid
      CROSS JOIN LATERAL (SELECT CASE WHEN bt.typcategory = 'A' THEN bt.typelem ELSE bt.oid END AS typ) eff
      JOIN pg_catalog.pg_type et ON et.oid = eff.typ
     WHERE eff.typ IN ('pg_catalog.inet'::pg_catalog.regtype, 'pg_catalog.cidr'::pg_catalog.regtype,
                       'pg_catalog.macaddr'::pg_catalog.regtype, 'pg_catalog.macaddr8'::pg_catalog.regtype)
        OR (m.term IS NOT NULL
            AND et.typcategory <> 'B'
            AND (et.typcategory NOT IN ('D', 'T')
                 OR m.term IN ('birth', 'birthday', 'birthdate', 'dob', 'dateofbirth', 'birth_date')))
        OR (m.term IS NULL AND et.typcategory OPERATOR(pg_catalog.=) 'S'
            AND a.attname OPERATOR(pg_catalog.~) '^([a-z]+_)?name$'
            AND a.attname OPERATOR(pg_catalog.!~) '^(file|host|table|schema|column|domain|product|company|business|brand|plan|service|event|template|queue|app|device|server|project|account)_name$'
            AND retention._lint_person_table(u.relname))
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
-- tables whose rows enforcement deletes (a table tag that deletes) or
-- erasure deletes (a person's rows: tables with subject identifiers), and,
-- through ON DELETE CASCADE, the tables that reference them
deleted AS (
    WITH RECURSIVE d(relid, why) AS (
        SELECT t.relid, CASE WHEN pg_catalog.bool_or(t.kind = 'table' AND t.action = 'delete')
                             THEN 'enforcement' ELSE 'erasure' END
          FROM tags t
         WHERE t.valid AND ((t.kind = 'table' AND t.action = 'delete') OR t.subject IS NOT NULL)
         GROUP BY t.relid
        UNION
        SELECT co.conrelid, CASE WHEN d.why LIKE '%CASCADE%' THEN d.why
                                 ELSE d.why OPERATOR(pg_catalog.||) ' (through ON DELETE CASCADE)' END
          FROM d
          JOIN pg_catalog.pg_constraint co
            ON co.confrelid = d.relid AND co.contype = 'f' AND co.confdeltype = 'c' AND co.conparentid = 0
    )
    SELECT DISTINCT ON (relid) relid, why FROM d ORDER BY relid, pg_catalog.length(why), why
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
    -- (1a) the same on a table whose tag deletes its rows, where the
    -- column is left out: its columns are tagged with categories one by one
    -- or its tag says blocked=anonymize (anonymization passes the column
    -- by), or it is an e-mail/phone column next to subject identifiers (the
    -- subject search passes it by)
    SELECT 'warning', 'untagged_personal_column', p.relid, p.attname, NULL,
           p.qualified OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(p.attname),
           pg_catalog.format('column looks like personal data (%s) but has no tag, while %s',
                             p.why,
                             CASE WHEN EXISTS (SELECT 1 FROM tags c WHERE c.relid = p.relid AND c.column_name IS NOT NULL
                                                  AND c.category IS NOT NULL)
                                  THEN 'other columns of its table have a retention rule of their own: anonymization passes it by'
                                  WHEN EXISTS (SELECT 1 FROM tags t WHERE t.relid = p.relid AND t.column_name IS NULL
                                                  AND t.label OPERATOR(pg_catalog.~) '(^|\s)blocked=anonymize(\s|$)')
                                  THEN 'its table tag anonymizes rows that stay referenced (blocked=anonymize): the anonymization passes it by'
                                  ELSE 'other identifiers of its table are subject columns: finding a person''s rows (access, erasure) passes it by' END),
           pg_catalog.format('Tag it: with a category and a method (SECURITY LABEL FOR retention ON COLUMN %s.%I IS %L), or as a subject identifier (%L); or, if it is not personal data, record why: SELECT retention.lint_ignore(%L, %L, ''<reason>'', ''untagged_personal_column'');',
                             p.qualified, p.attname,
                             'category=<category> anchor=' OPERATOR(pg_catalog.||) retention._lint_suggested_anchor(p.relid)
                                 OPERATOR(pg_catalog.||) ' action=nullify',
                             'subject=<kind>', p.qualified, p.attname)
      FROM personal p
     WHERE EXISTS (SELECT 1 FROM tags t WHERE t.relid = p.relid AND t.column_name IS NULL AND t.kind = 'table')
       AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.relid = p.relid AND t.column_name = p.attname)
       AND (EXISTS (SELECT 1 FROM tags c WHERE c.relid = p.relid AND c.column_name IS NOT NULL
                       AND c.category IS NOT NULL)
            OR EXISTS (SELECT 1 FROM tags t WHERE t.relid = p.relid AND t.column_name IS NULL
                          AND t.label OPERATOR(pg_catalog.~) '(^|\s)blocked=anonymize(\s|$)')
            OR (p.term OPERATOR(pg_catalog.=) ANY (ARRAY['email', 'emails', 'mail', 'emailaddress', 'phone',
                                                          'phones', 'phonenumber', 'phone_number', 'telephone',
                                                          'tel', 'mobile', 'cellphone', 'msisdn', 'fax'])
                AND EXISTS (SELECT 1 FROM tags s WHERE s.relid = p.relid AND s.subject IS NOT NULL)))
    UNION ALL
    -- (1c) foreign keys that enforcement or erasure deletes through: every
    -- deleted row of the referenced table looks up (and with ON DELETE
    -- CASCADE deletes) the referencing rows, a scan of the referencing
    -- table when no index leads with the key's columns
    -- (keys declared on each partition: one finding for the partitioned
    -- table, whose index covers every partition)
    SELECT 'warning', 'foreign_key_without_index', g.target, g.cols[1], NULL,
           pg_catalog.format('%I.%I', fn.nspname, fc.relname)
               OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(g.cols[1])
               OPERATOR(pg_catalog.||) CASE WHEN pg_catalog.cardinality(g.cols) OPERATOR(pg_catalog.>) 1
                                            THEN pg_catalog.format(' (%s)', g.collist) ELSE '' END,
           CASE WHEN g.target OPERATOR(pg_catalog.=) g.conrelid
                THEN pg_catalog.format('foreign key %I references %s, whose rows %s deletes, and no index leads with (%s): every deleted row scans this table',
                                       g.conname, g.confrelid::pg_catalog.regclass, g.why, g.collist)
                ELSE pg_catalog.format('foreign keys of %s partition(s) of %s reference %s, whose rows %s deletes, and no index leads with (%s) on them: every deleted row scans each',
                                       g.n, g.target::pg_catalog.regclass, g.confrelid::pg_catalog.regclass, g.why, g.collist) END,
           pg_catalog.format('CREATE INDEX ON %I.%I (%s);', fn.nspname, fc.relname, g.collist)
      FROM (SELECT coalesce(pg_catalog.pg_partition_root(fk.conrelid), fk.conrelid) AS target,
                   fk.cols, fk.collist, fk.confrelid, fk.why,
                   pg_catalog.count(*) AS n, pg_catalog.min(fk.conrelid) AS conrelid, pg_catalog.min(fk.conname) AS conname
              FROM (SELECT co.conname, co.conrelid, co.confrelid, d.why,
                           ARRAY(SELECT a.attname FROM pg_catalog.unnest(co.conkey) WITH ORDINALITY k(attnum, ord)
                                   JOIN pg_catalog.pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.attnum
                                  ORDER BY k.ord) AS cols,
                           (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY k.ord)
                              FROM pg_catalog.unnest(co.conkey) WITH ORDINALITY k(attnum, ord)
                              JOIN pg_catalog.pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.attnum) AS collist
                      FROM pg_catalog.pg_constraint co
                      JOIN deleted d ON d.relid = co.confrelid
                     WHERE co.contype = 'f' AND co.conparentid = 0) fk
             WHERE NOT retention._lint_indexed(fk.conrelid, fk.cols, 'columns')
             GROUP BY 1, 2, 3, 4, 5) g
      JOIN pg_catalog.pg_class fc ON fc.oid = g.target
      JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace
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
     WHERE NOT retention._lint_indexed(a.index_relid, ARRAY[a.index_attname], 'columns')
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
                    THEN retention._lint_indexed(t.relid, ARRAY[t.column_name], 'expression')
                    ELSE retention._lint_indexed(t.relid, ARRAY[t.column_name], 'normalized', t.subject) END
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
    'What the retention policy misses (every schema, or one): untagged_personal_data (warning: a column that looks like personal data by name or type, with no tag and no table tag), subject_without_retention (warning: subject identifiers on a table with no retention rule), invalid_tag (warning: a tag that no longer resolves), foreign_partition (warning: a foreign-table partition of a tagged table, which enforcement never reaches), untagged_personal_column (warning: a personal-looking column left out of a table tagged column by column, of blocked=anonymize, or next to subject identifiers), foreign_key_without_index (warning: a foreign key that enforcement or erasure deletes through, with no index), anchor_without_index and subject_without_index (notice), unused_category (notice), stale_lint_exception (notice). Each finding has a hint saying what to change. Findings recorded with retention.lint_ignore() are not reported. Runs as the caller and reads only what every role can read.';

CREATE FUNCTION retention.lint_ignore(
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
       OR lint_ignore.check_name NOT IN ('untagged_personal_data', 'untagged_personal_column',
                                         'subject_without_retention', 'anchor_without_index',
                                         'subject_without_index', 'foreign_key_without_index',
                                         'invalid_tag', 'foreign_partition') THEN
        RAISE EXCEPTION 'invalid lint check "%" for a table or column', lint_ignore.check_name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = CASE WHEN lint_ignore.check_name = 'unused_category'
                              THEN 'Unused categories are silenced with retention.lint_ignore_category(category, reason).'
                              ELSE 'check_name is one of untagged_personal_data, untagged_personal_column, subject_without_retention, anchor_without_index, subject_without_index, foreign_key_without_index, invalid_tag, foreign_partition.' END;
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

CREATE FUNCTION retention.lint_unignore(
    table_name  regclass,
    column_name name DEFAULT NULL,
    check_name  text DEFAULT 'untagged_personal_data')
RETURNS boolean
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    WITH gone AS (
        DELETE FROM retention.lint_exception e
         WHERE e.check_name = lint_unignore.check_name
           AND e.table_name = lint_unignore.table_name
           AND e.column_name IS NOT DISTINCT FROM lint_unignore.column_name
        RETURNING 1)
    SELECT EXISTS (SELECT 1 FROM gone)
$$;
COMMENT ON FUNCTION retention.lint_unignore(regclass, name, text) IS
    'Removes a lint exception recorded with retention.lint_ignore() (same table, column or NULL, and check); returns whether there was one. A dropped table is named by its OID, e.g. ''16384''. Members of retention_admin only.';

CREATE FUNCTION retention.lint_ignore_category(category text, reason text)
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

CREATE FUNCTION retention.lint_unignore_category(category text)
RETURNS boolean
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    WITH gone AS (
        DELETE FROM retention.lint_exception e
         WHERE e.check_name = 'unused_category'
           AND e.category = lint_unignore_category.category
        RETURNING 1)
    SELECT EXISTS (SELECT 1 FROM gone)
$$;
COMMENT ON FUNCTION retention.lint_unignore_category(text) IS
    'Removes the exception recorded with retention.lint_ignore_category(); returns whether there was one. Members of retention_admin only.';

REVOKE ALL ON FUNCTION retention.lint_ignore(regclass, name, text, text),
                       retention.lint_unignore(regclass, name, text),
                       retention.lint_ignore_category(text, text),
                       retention.lint_unignore_category(text)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION retention.lint_ignore(regclass, name, text, text),
                          retention.lint_unignore(regclass, name, text),
                          retention.lint_ignore_category(text, text),
                          retention.lint_unignore_category(text)
    TO retention_admin;
