-- Legal holds: a recorded reason to keep data beyond its period, scoped to
-- a category, a table, or one data subject (identifier stored as a keyed
-- hash, never in clear).

CREATE TABLE retention.legal_hold (
    hold_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scope          text NOT NULL CHECK (scope OPERATOR(pg_catalog.=) ANY (ARRAY['category', 'table', 'subject'])),
    category       text REFERENCES retention.category (name) ON UPDATE CASCADE,
    table_name     regclass,
    subject_kind   text,
    subject_hash   bytea,
    reason         text NOT NULL,
    placed_by      name NOT NULL DEFAULT session_user,
    placed_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    ends_at        timestamptz,
    released_by    name,
    released_at    timestamptz,
    release_reason text,
    hashed_with    text NOT NULL DEFAULT '0.1.0'
                   CONSTRAINT legal_hold_hashed_with CHECK (hashed_with OPERATOR(pg_catalog.=) ANY (ARRAY['0.1.0', '0.2.0'])),
    CONSTRAINT legal_hold_one_scope CHECK (
        (scope OPERATOR(pg_catalog.=) 'category' AND category IS NOT NULL AND table_name IS NULL AND subject_hash IS NULL) OR
        (scope OPERATOR(pg_catalog.=) 'table' AND table_name IS NOT NULL AND category IS NULL AND subject_hash IS NULL) OR
        (scope OPERATOR(pg_catalog.=) 'subject' AND subject_kind IS NOT NULL AND subject_hash IS NOT NULL
         AND category IS NULL AND table_name IS NULL))
);
COMMENT ON TABLE retention.legal_hold IS
    'Legal holds: while a hold is active (not released, not past ends_at) enforcement and erasure leave its data alone and count it. Subject holds store the identifier only as a keyed hash.';
COMMENT ON COLUMN retention.legal_hold.hashed_with IS
    'The version whose hash scheme made subject_hash: ''0.2.0'' for every hold placed now; the default ''0.1.0'' marks the rows of a 0.1.0 dump restored into this version (read by converting them, see retention._rehash_legacy).';
SELECT pg_catalog.pg_extension_config_dump('retention.legal_hold', '');
SELECT pg_catalog.pg_extension_config_dump('retention.legal_hold_hold_id_seq', '');
REVOKE ALL ON retention.legal_hold FROM PUBLIC;
GRANT SELECT ON retention.legal_hold TO retention_admin;

CREATE FUNCTION retention.place_hold(
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
COMMENT ON FUNCTION retention.place_hold(text, text, regclass, text, text, timestamptz) IS
    'Places a legal hold on one category, one table, or one data subject (identifier kind and value, stored as a keyed hash; the kind must be one a tag declares and the value must name somebody, as for export and erasure), with a reason and an optional end. Returns the hold id. Members of retention_admin only.';

CREATE FUNCTION retention.release_hold(hold_id bigint, reason text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT pg_has_role(session_user, 'retention_admin', 'MEMBER') THEN
        RAISE EXCEPTION 'permission denied to release a legal hold'
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Legal holds are released by members of retention_admin.';
    END IF;
    UPDATE retention.legal_hold h
       SET released_at = now(), released_by = session_user, release_reason = release_hold.reason
     WHERE h.hold_id = release_hold.hold_id AND h.released_at IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no active legal hold with id %', release_hold.hold_id
            USING ERRCODE = 'undefined_object',
                  HINT = 'SELECT * FROM retention.holds lists the active holds.';
    END IF;
END
$$;
COMMENT ON FUNCTION retention.release_hold(bigint, text) IS
    'Releases a legal hold: its data falls due at the next enforcement run. Members of retention_admin only.';

REVOKE ALL ON FUNCTION retention.place_hold(text, text, regclass, text, text, timestamptz),
                       retention.release_hold(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION retention.place_hold(text, text, regclass, text, text, timestamptz),
                          retention.release_hold(bigint, text) TO retention_admin;

CREATE VIEW retention.holds AS
SELECT h.hold_id, h.scope,
       coalesce(h.category, h.table_name::text, h.subject_kind OPERATOR(pg_catalog.||) ' (one subject)') AS applies_to,
       h.reason, h.placed_by, h.placed_at, h.ends_at,
       (h.released_at IS NULL AND (h.ends_at IS NULL OR h.ends_at OPERATOR(pg_catalog.>) pg_catalog.now())) AS active,
       h.released_by, h.released_at, h.release_reason
  FROM retention.legal_hold h;
COMMENT ON VIEW retention.holds IS 'Legal holds, active and past, without the subject hashes.';
REVOKE ALL ON retention.holds FROM PUBLIC;
GRANT SELECT ON retention.holds TO retention_admin;
