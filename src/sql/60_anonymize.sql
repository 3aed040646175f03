-- Anonymization methods and the due-time function, as the executor's SQL
-- uses them.  mask, generalize_inet and due_time are plain utilities; the
-- keyed functions work only inside an enforcement batch.

CREATE FUNCTION retention.mask(value text, keep integer DEFAULT 2)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN CASE WHEN pg_catalog.length(value) OPERATOR(pg_catalog.>) keep
            THEN pg_catalog.repeat('*', pg_catalog.length(value) OPERATOR(pg_catalog.-) keep)
                 OPERATOR(pg_catalog.||) pg_catalog."right"(value, keep)
            ELSE pg_catalog.repeat('*', pg_catalog.length(value)) END;
COMMENT ON FUNCTION retention.mask(text, integer) IS
    'action=mask: every character replaced by * except the last keep (a value no longer than keep is masked whole). Masking a masked value changes nothing.';

CREATE FUNCTION retention.generalize_inet(value inet)
RETURNS inet
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN pg_catalog.network(
           CASE WHEN pg_catalog.masklen(value) OPERATOR(pg_catalog.<=)
                     (CASE pg_catalog.family(value) WHEN 4 THEN 24 ELSE 48 END)
                THEN value
                ELSE pg_catalog.set_masklen(value, CASE pg_catalog.family(value) WHEN 4 THEN 24 ELSE 48 END)
           END)::pg_catalog.inet;
COMMENT ON FUNCTION retention.generalize_inet(inet) IS
    'action=generalize on inet/cidr: the /24 (IPv4) or /48 (IPv6) network of the address.';

CREATE FUNCTION retention.due_time(anchor timestamptz, period interval, starts text, time_zone text)
RETURNS timestamptz
LANGUAGE C STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'retention_due_time_sql';
CREATE FUNCTION retention.due_time(anchor timestamp, period interval, starts text, time_zone text)
RETURNS timestamptz
LANGUAGE C STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'retention_due_time_sql';
CREATE FUNCTION retention.due_time(anchor date, period interval, starts text, time_zone text)
RETURNS timestamptz
LANGUAGE C STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'retention_due_time_sql';
COMMENT ON FUNCTION retention.due_time(timestamptz, interval, text, text) IS
    'When data anchored at anchor falls due: the starts boundary (exact, end_of_day, end_of_month, end_of_year) of the anchor in time_zone, plus period on the local calendar. NULL anchor: NULL (never).';
COMMENT ON FUNCTION retention.due_time(timestamp, interval, text, text) IS
    'When data anchored at anchor (local time in time_zone) falls due; see the timestamptz form.';
COMMENT ON FUNCTION retention.due_time(date, interval, text, text) IS
    'When data anchored at anchor (local midnight in time_zone) falls due; see the timestamptz form.';

CREATE FUNCTION retention._pseudonym(value text, maxlen integer, token bigint, "column" text) RETURNS text
LANGUAGE C VOLATILE STRICT AS 'MODULE_PATHNAME', 'retention_pseudonym_text';
CREATE FUNCTION retention._is_pseudonym(value text, maxlen integer, token bigint) RETURNS boolean
LANGUAGE C VOLATILE STRICT AS 'MODULE_PATHNAME', 'retention_is_pseudonym_text';
CREATE FUNCTION retention._pseudonym_bytea(value bytea, token bigint, "column" text) RETURNS bytea
LANGUAGE C VOLATILE STRICT AS 'MODULE_PATHNAME', 'retention_pseudonym_bytea';
CREATE FUNCTION retention._is_pseudonym_bytea(value bytea, token bigint) RETURNS boolean
LANGUAGE C VOLATILE STRICT AS 'MODULE_PATHNAME', 'retention_is_pseudonym_bytea';
CREATE FUNCTION retention._pseudonym_uuid(value uuid, token bigint, "column" text) RETURNS uuid
LANGUAGE C VOLATILE STRICT AS 'MODULE_PATHNAME', 'retention_pseudonym_uuid';
CREATE FUNCTION retention._is_pseudonym_uuid(value uuid, token bigint) RETURNS boolean
LANGUAGE C VOLATILE STRICT AS 'MODULE_PATHNAME', 'retention_is_pseudonym_uuid';
-- STABLE (the holds are loaded once per run), so that the planner can join
-- a hold test through a parent instead of probing it per row; PARALLEL
-- UNSAFE (the default) on purpose: the holds live in this backend only.
CREATE FUNCTION retention._subject_held(kind text, value text, token bigint) RETURNS boolean
LANGUAGE C STABLE STRICT AS 'MODULE_PATHNAME', 'retention_subject_held';
COMMENT ON FUNCTION retention._pseudonym(text, integer, bigint, text) IS
    'Internal, enforcement only (token: the batch''s secret, a bound parameter): keyed HMAC-SHA-256 pseudonym in hex, maxlen characters (64 if 0), the last 8 a keyed check; keyed per column ("schema"."table"."column" of the tagged table).';
COMMENT ON FUNCTION retention._is_pseudonym(text, integer, bigint) IS 'Internal, enforcement only: whether a value is a pseudonym (checks the keyed check digits).';
COMMENT ON FUNCTION retention._pseudonym_bytea(bytea, bigint, text) IS 'Internal, enforcement only: 32-byte keyed pseudonym with a keyed check, keyed per column.';
COMMENT ON FUNCTION retention._is_pseudonym_bytea(bytea, bigint) IS 'Internal, enforcement only.';
COMMENT ON FUNCTION retention._pseudonym_uuid(uuid, bigint, text) IS 'Internal, enforcement only: a keyed pseudonym that fits a uuid, keyed per column.';
COMMENT ON FUNCTION retention._is_pseudonym_uuid(uuid, bigint) IS 'Internal, enforcement only.';
COMMENT ON FUNCTION retention._subject_held(text, text, bigint) IS 'Internal, enforcement only: whether an active legal hold protects this identifier.';
