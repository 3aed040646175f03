-- Every function and procedure of the extension, found through pg_depend
-- (so functions added later are covered without anyone listing them), is
-- called with NULL in each argument position and with every argument NULL.
-- No call may crash the server (the statements after the calls still run)
-- and every error must carry an SQLSTATE of the documented set
-- (test/README.md, "NULL arguments"):
--   22004 null_value_not_allowed     a required argument is NULL
--   22023 invalid_parameter_value    an argument (or a sample value) is invalid
--   42704 undefined_object           what the other arguments name does not exist
-- "ok" means the call returned (NULL meaning "no answer", "not given" or
-- "all"); trigger and event-trigger functions cannot be called directly and
-- are left out.  Each call runs in a subtransaction that is rolled back, in
-- a database of its own whose only tag is on an empty table, so that NULLs
-- meaning "everything" (CALL retention.enforce(NULL, NULL, NULL)) touch
-- nothing.
\set VERBOSITY default
\set SHOW_CONTEXT never
\set regress_db :DBNAME
CREATE DATABASE regress_null_args;                               -- ok
\c regress_null_args
SET client_min_messages = warning;                               -- ok: erasure NOTICEs
CREATE EXTENSION pg_retention;                                   -- ok
SELECT name FROM retention.define_category('regress_null_cat', '1 day'); -- ok
SELECT name FROM retention.define_category('regress_null_values', '1 day', action => 'nullify'); -- ok
CREATE TABLE regress_null_t (
    id         integer PRIMARY KEY,
    email      text,
    created_at timestamptz
);                                                               -- ok
SELECT retention.tag_table('regress_null_t', 'regress_null_cat', 'created_at'); -- ok
SELECT retention.tag_column('regress_null_t', 'email', subject => 'email');     -- ok
-- a sample value per argument: by function and argument name, else by
-- argument name, else by type; chosen so that the call without NULLs is
-- valid wherever that is possible from SQL
CREATE TEMP TABLE sample (proname name, argname text, argtype regtype, value text); -- ok
INSERT INTO sample VALUES
    ('define_category', 'name', NULL, 'regress_null_new'),
    (NULL, 'name', NULL, 'regress_null_cat'),
    ('alter_category', 'new_name', NULL, NULL),
    ('tag_column', 'category', NULL, 'regress_null_values'),
    ('tag_column', 'anchor', NULL, 'created_at'),
    ('tag_column', 'action', NULL, 'nullify'),
    ('tag_column', 'keep', NULL, NULL),
    ('tag_column', 'bucket', NULL, NULL),
    ('tag_column', 'subject', NULL, NULL),
    ('tag_column', 'condition', NULL, 'email IS NOT NULL'),
    ('tag_column', 'period', NULL, NULL),
    ('tag_column', 'variant', NULL, NULL),
    ('tag_table', 'condition', NULL, 'id > 0'),
    ('tag_table', 'period', NULL, NULL),
    ('tag_table', 'variant', NULL, NULL),
    ('tag_table', 'blocked', NULL, 'wait'),
    ('tag_table', 'partitions', NULL, NULL),
    ('_label_quoted', 'key', NULL, 'when'),
    ('lint_ignore', 'check_name', NULL, 'untagged_personal_data'),
    ('lint_unignore', 'check_name', NULL, 'untagged_personal_data'),
    ('_label_word', 'key', NULL, 'category'),
    ('_lint_subject_by_equality', 'type', NULL, 'text'::regtype::oid::text),
    ('_lint_index_leads', 'attnum', NULL, '1'),
    ('release_hold', 'hold_id', NULL, '1'),
    ('_rehash_legacy', 'purpose', NULL, 'hold'),
    ('suppress', 'value', NULL, 'nobody@example.com'),
    ('_check_identifier', 'value', NULL, 'nobody@example.com'),
    ('place_hold', 'category', NULL, 'regress_null_cat'),
    ('place_hold', 'table_name', NULL, NULL),
    ('place_hold', 'subject_kind', NULL, NULL),
    ('place_hold', 'subject_value', NULL, NULL),
    ('place_hold', 'ends_at', NULL, NULL),
    (NULL, 'category', NULL, 'regress_null_cat'),
    (NULL, 'kind', NULL, 'email'),
    (NULL, 'subject_kind', NULL, 'email'),
    (NULL, 'starts', NULL, 'exact'),
    (NULL, 'time_zone', NULL, 'UTC'),
    (NULL, 'action', NULL, 'delete'),
    (NULL, 'on_erasure', NULL, 'delete'),
    (NULL, 'old_action', NULL, 'delete'),
    (NULL, 'anchor', 'text', 'created_at'),
    (NULL, 'column_name', NULL, 'email'),
    (NULL, 'schema_name', NULL, 'public'),
    (NULL, 'identifiers', NULL, '{"email": "nobody@example.com"}'),
    (NULL, 'dry_run', NULL, 'true'),
    (NULL, 'max_runtime', NULL, '1 minute'),
    (NULL, NULL, 'regclass', 'regress_null_t'),
    (NULL, NULL, 'oid', 'regress_null_t'::regclass::oid::text),
    (NULL, NULL, 'text', 'x'),
    (NULL, NULL, 'name', 'x'),
    (NULL, NULL, 'interval', '1 day'),
    (NULL, NULL, 'timestamptz', '2000-01-01 00:00:00+00'),
    (NULL, NULL, 'timestamp', '2000-01-01 00:00:00'),
    (NULL, NULL, 'date', '2000-01-01'),
    (NULL, NULL, 'boolean', 'true'),
    (NULL, NULL, 'integer', '1'),
    (NULL, NULL, 'smallint', '1'),
    (NULL, NULL, 'bigint', '1'),
    (NULL, NULL, 'jsonb', '{}'),
    (NULL, NULL, 'inet', '192.0.2.1'),
    (NULL, NULL, 'bytea', '\x00'),
    (NULL, NULL, 'uuid', '00000000-0000-0000-0000-000000000000');  -- ok
-- call(f, nulls): the statement calling f with the arguments in positions
-- nulls (1-based) NULL and samples elsewhere
CREATE FUNCTION pg_temp.call(f regprocedure, nulls integer[]) RETURNS text
LANGUAGE sql AS $$
    SELECT CASE p.prokind WHEN 'p' THEN 'CALL ' ELSE 'SELECT ' END
           || p.oid::regproc::text || '('
           || coalesce((SELECT string_agg(
                  CASE WHEN a.n = ANY (nulls) THEN 'NULL'
                       ELSE coalesce(quote_literal(
                                (SELECT s.value FROM sample s
                                  WHERE (s.proname IS NULL OR s.proname = p.proname)
                                    AND (s.argname IS NULL OR s.argname = p.proargnames[a.n])
                                    AND (s.argtype IS NULL OR s.argtype = a.t)
                                    AND (s.argname IS NOT NULL OR s.argtype IS NOT NULL)
                                  ORDER BY s.proname IS NULL, s.argname IS NULL
                                  LIMIT 1)), 'NULL') END
                  || '::' || format_type(a.t, NULL), ', ' ORDER BY a.n)
                FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY a(t, n)), '')
           || ')'
      FROM pg_proc p WHERE p.oid = f
$$;                                                              -- ok
-- outcome(sql): 'ok' or the SQLSTATE, with the call's effects rolled back
CREATE FUNCTION pg_temp.outcome(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE s text;
BEGIN
    BEGIN
        EXECUTE sql;
        RAISE EXCEPTION 'rolled back' USING ERRCODE = 'RTOK0';
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE;
    END;
    RETURN CASE s WHEN 'RTOK0' THEN 'ok' ELSE s END;
END $$;                                                          -- ok
CREATE TEMP TABLE outcome AS
SELECT p.oid::regprocedure AS f, p.pronargs,
       pg_temp.outcome(pg_temp.call(p.oid, '{}')) AS no_nulls,
       (SELECT array_agg(pg_temp.outcome(pg_temp.call(p.oid, ARRAY[i])) ORDER BY i)
          FROM generate_series(1, p.pronargs) i) AS one_null,
       pg_temp.outcome(pg_temp.call(p.oid, (SELECT array_agg(i) FROM generate_series(1, p.pronargs) i))) AS all_null
  FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_retention')
   AND p.prorettype NOT IN ('trigger'::regtype, 'event_trigger'::regtype); -- ok: the server is still up
-- per function: without NULLs, with NULL in argument 1, 2, ..., all NULL
SELECT f, no_nulls, array_to_string(one_null, ' ') AS one_null, all_null
  FROM outcome
 ORDER BY f::text;                                               -- ok
-- errors from NULL arguments outside the documented set: none
SELECT f, x AS sqlstate
  FROM outcome, unnest(one_null || all_null) x
 WHERE x NOT IN ('ok', '22004', '22023', '42704')
 ORDER BY 1, 2;                                                  -- ok: none
-- the suppression list is untouched by NULLs: suppress(kind, NULL) used to crash
SELECT pg_temp.outcome($$SELECT retention.suppress('email', NULL)$$) AS suppress_value_null,
       pg_temp.outcome($$SELECT retention.suppress(NULL, 'a@example.com')$$) AS suppress_kind_null; -- fails: 22004 both
\c :regress_db
DROP DATABASE regress_null_args;                                 -- ok
