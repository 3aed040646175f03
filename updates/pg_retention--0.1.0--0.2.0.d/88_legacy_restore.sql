\echo Use "ALTER EXTENSION pg_retention UPDATE TO '0.2.0'" to load this file. \quit
-- 88_legacy_restore: a dump of a 0.1.0 database restored straight into
-- 0.2.0 (a plain pg_restore, whose CREATE EXTENSION IF NOT EXISTS installs
-- the default version) keeps its holds, suppression list and erasures.
--
-- Each hashed table says which version's scheme made a row's hash
-- (hashed_with).  Its default is '0.1.0': a 0.1.0 dump's COPY lists only
-- 0.1.0's columns, so its rows land marked; 0.2.0 always writes '0.2.0'.
-- Readers convert the marked rows with retention._rehash_legacy (kept now,
-- with no privileges for anyone) under the key the dump restored.  Rows
-- that exist when this update runs were converted by 40_secrets: they get
-- '0.2.0', then the default becomes '0.1.0'.

ALTER TABLE retention.legal_hold
    ADD COLUMN hashed_with text NOT NULL DEFAULT '0.2.0'
        CONSTRAINT legal_hold_hashed_with CHECK (hashed_with OPERATOR(pg_catalog.=) ANY (ARRAY['0.1.0', '0.2.0']));
ALTER TABLE retention.legal_hold ALTER COLUMN hashed_with SET DEFAULT '0.1.0';
ALTER TABLE retention.suppression
    ADD COLUMN hashed_with text NOT NULL DEFAULT '0.2.0'
        CONSTRAINT suppression_hashed_with CHECK (hashed_with OPERATOR(pg_catalog.=) ANY (ARRAY['0.1.0', '0.2.0']));
ALTER TABLE retention.suppression
    ALTER COLUMN hashed_with SET DEFAULT '0.1.0',
    DROP CONSTRAINT suppression_ledger_hash,
    -- 0.1.0's erasure rows (restored from its dump) have no ledger hash
    ADD CONSTRAINT suppression_ledger_hash CHECK
        (hashed_with OPERATOR(pg_catalog.=) '0.1.0' OR
         (reason OPERATOR(pg_catalog.=) 'erasure') OPERATOR(pg_catalog.=) (ledger_hash IS NOT NULL));
ALTER TABLE retention.dsr_request
    ADD COLUMN hashed_with text NOT NULL DEFAULT '0.2.0'
        CONSTRAINT dsr_request_hashed_with CHECK (hashed_with OPERATOR(pg_catalog.=) ANY (ARRAY['0.1.0', '0.2.0']));
ALTER TABLE retention.dsr_request ALTER COLUMN hashed_with SET DEFAULT '0.1.0';
COMMENT ON COLUMN retention.legal_hold.hashed_with IS
    'The version whose hash scheme made subject_hash: ''0.2.0'' for every hold placed now; the default ''0.1.0'' marks the rows of a 0.1.0 dump restored into this version (read by converting them, see retention._rehash_legacy).';
COMMENT ON COLUMN retention.suppression.hashed_with IS
    'The version whose hash scheme made identifier_hash: ''0.2.0'' for every row added now; the default ''0.1.0'' marks the rows of a 0.1.0 dump restored into this version (their hash is 0.1.0''s, erasures without a ledger hash; read by converting them, see retention._rehash_legacy).';
COMMENT ON COLUMN retention.dsr_request.hashed_with IS
    'The version whose hash scheme made identifier_hashes: ''0.2.0'' for every request logged now; the default ''0.1.0'' marks the rows of a 0.1.0 dump restored into this version (their erasures count in the erasure ledger).';

CREATE FUNCTION retention._rehash_legacy(purpose text, digest bytea)
RETURNS bytea
LANGUAGE C STABLE STRICT
AS 'MODULE_PATHNAME', 'retention_rehash_legacy';
COMMENT ON FUNCTION retention._rehash_legacy(text, bytea) IS
    'Internal: the hash of one purpose (hold, request log, erasure ledger, suppression) from a hash 0.1.0 stored, with this database''s key; how rows marked hashed_with ''0.1.0'' (restored from a 0.1.0 dump) are read. No privileges for anyone.';
REVOKE ALL ON FUNCTION retention._rehash_legacy(text, bytea) FROM PUBLIC;

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
    INSERT INTO retention.legal_hold AS h (scope, category, table_name, subject_kind, subject_hash, reason, ends_at, placed_by, hashed_with)
    VALUES (CASE WHEN place_hold.category IS NOT NULL THEN 'category'
                 WHEN place_hold.table_name IS NOT NULL THEN 'table' ELSE 'subject' END,
            place_hold.category, place_hold.table_name, place_hold.subject_kind,
            CASE WHEN place_hold.subject_kind IS NOT NULL
                 THEN retention._identifier_hash(place_hold.subject_kind, place_hold.subject_value) END,
            place_hold.reason, place_hold.ends_at, session_user, '0.2.0')
    RETURNING h.hold_id INTO id;
    RETURN id;
END
$$;
