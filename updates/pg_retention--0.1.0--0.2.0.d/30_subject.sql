\echo Use "ALTER EXTENSION pg_retention UPDATE TO '0.2.0'" to load this file. \quit
-- 30_subject: subject rights (issue 12 items 1, 2, 3, 6, 7, 8).
--  * retention._check_identifier(kind, value): the one rule for identifiers
--    (a kind some tag declares, a value that names somebody), used by
--    place_hold(), which now refuses undeclared kinds and meaningless values;
--  * retention.normalize_identifier now normalizes Unicode (NFKC, Unicode
--    case mapping and white space): indexes on it must be rebuilt.

CREATE FUNCTION retention._check_identifier(kind text, value text)
RETURNS void
LANGUAGE C STABLE STRICT
AS 'MODULE_PATHNAME', 'retention_check_subject_identifier';
COMMENT ON FUNCTION retention._check_identifier(text, text) IS
    'Internal: raises the error export and erasure raise for this identifier (a kind no tag declares, 22023 with the declared kinds; a value that names nobody once normalized, 22023), never quoting the value. Used by place_hold().';
REVOKE ALL ON FUNCTION retention._check_identifier(text, text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION retention.place_hold(
    reason        text,
    category      text DEFAULT NULL,
    table_name    regclass DEFAULT NULL,
    subject_kind  text DEFAULT NULL,
    subject_value text DEFAULT NULL,
    ends_at       timestamptz DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    scopes integer := (place_hold.category IS NOT NULL)::integer
                    + (place_hold.table_name IS NOT NULL)::integer
                    + (place_hold.subject_kind IS NOT NULL OR place_hold.subject_value IS NOT NULL)::integer;
    id bigint;
BEGIN
    IF NOT pg_has_role(session_user, 'retention_admin', 'MEMBER') THEN
        RAISE EXCEPTION 'permission denied to place a legal hold'
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Legal holds are placed by members of retention_admin.';
    END IF;
    IF place_hold.reason IS NULL OR btrim(place_hold.reason) = '' THEN
        RAISE EXCEPTION 'a legal hold needs a reason'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Say why the data must be kept, e.g. the case or request it is kept for (no personal data).';
    END IF;
    IF scopes <> 1 THEN
        RAISE EXCEPTION 'a legal hold has exactly one scope'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('%s scopes were given.', scopes),
                  HINT = 'Pass category, or table_name, or subject_kind with subject_value.';
    END IF;
    IF place_hold.ends_at IS NOT NULL AND place_hold.ends_at <= now() THEN
        RAISE EXCEPTION 'ends_at of a legal hold must be in the future'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass NULL for a hold without an end, or release it with retention.release_hold().';
    END IF;
    IF place_hold.category IS NOT NULL AND NOT EXISTS (SELECT 1 FROM retention.category c WHERE c.name = place_hold.category) THEN
        RAISE EXCEPTION 'retention category "%" does not exist', place_hold.category
            USING ERRCODE = 'undefined_object',
                  HINT = 'SELECT name FROM retention.category lists the categories.';
    END IF;
    IF (place_hold.subject_kind IS NULL) <> (place_hold.subject_value IS NULL) THEN
        RAISE EXCEPTION 'a subject hold needs both subject_kind and subject_value'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'For example subject_kind => ''email'', subject_value => ''ana@example.com''.';
    END IF;
    IF place_hold.subject_kind IS NOT NULL AND place_hold.subject_kind !~ '^[a-z][a-z0-9_]*$' THEN
        RAISE EXCEPTION 'invalid subject kind'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'A subject kind is a lower-case word such as email, phone or customer_id.';
    END IF;
    -- a kind some tag declares, a value that names somebody: as export and erasure
    IF place_hold.subject_kind IS NOT NULL THEN
        PERFORM retention._check_identifier(place_hold.subject_kind, place_hold.subject_value);
    END IF;
    INSERT INTO retention.legal_hold AS h (scope, category, table_name, subject_kind, subject_hash, reason, ends_at, placed_by)
    VALUES (CASE WHEN place_hold.category IS NOT NULL THEN 'category'
                 WHEN place_hold.table_name IS NOT NULL THEN 'table' ELSE 'subject' END,
            place_hold.category, place_hold.table_name, place_hold.subject_kind,
            CASE WHEN place_hold.subject_kind IS NOT NULL
                 THEN retention._identifier_hash(place_hold.subject_kind, place_hold.subject_value) END,
            place_hold.reason, place_hold.ends_at, session_user)
    RETURNING h.hold_id INTO id;
    RETURN id;
END
$$;
COMMENT ON FUNCTION retention.place_hold(text, text, regclass, text, text, timestamptz) IS
    'Places a legal hold on one category, one table, or one data subject (identifier kind and value, stored as a keyed hash; the kind must be one a tag declares and the value must name somebody, as for export and erasure), with a reason and an optional end. Returns the hold id. Members of retention_admin only.';

COMMENT ON FUNCTION retention.normalize_identifier(text, text) IS
    'The form in which identifiers of a kind are matched (UTF-8 databases): email in Unicode NFKC, white space trimmed, lower-cased by Unicode''s case mapping whatever the collation; phone as "+" and digits (NFKC first, so full-width digits count; a leading 00 is the international prefix); other kinds NFC and trimmed. Identical in every UTF-8 database, so an expression index on it stays valid.';

DO $$
DECLARE
    n integer;
BEGIN
    SELECT pg_catalog.count(*) INTO n
      FROM pg_catalog.pg_index i
     WHERE i.indexprs IS NOT NULL
       AND pg_catalog.pg_get_expr(i.indexprs, i.indrelid) OPERATOR(pg_catalog.~) 'normalize_identifier';
    IF n OPERATOR(pg_catalog.>) 0 THEN
        RAISE WARNING '% index(es) on retention.normalize_identifier must be rebuilt', n
            USING DETAIL = 'Identifiers are now compared in Unicode normal form, lower-cased beyond ASCII.',
                  HINT = 'Run REINDEX INDEX on each; SELECT indexrelid::regclass FROM pg_index WHERE pg_get_expr(indexprs, indrelid) ~ ''normalize_identifier'' lists them.';
    END IF;
END
$$;
