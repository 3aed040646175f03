-- The per-database secret behind pseudonyms (action=hash) and the keyed
-- hashes of identifiers (holds, request log, suppression list, erasure
-- ledger; each with a key derived from it, see src/keyed_hash.c).  Readable
-- by superusers only: no privilege for anyone (see 99_privileges.sql), and
-- row security enabled and forced with no policy, so that neither
-- pg_read_all_data nor a privilege granted by mistake (or by default
-- privileges) shows its row.  The C code reads it with a heap scan, which
-- row security does not apply to.  Dumped with the database (it must survive
-- a restore, or pseudonyms, holds and the suppression list would change):
-- dump as a superuser.

CREATE FUNCTION retention._new_key()
RETURNS bytea
LANGUAGE C VOLATILE STRICT
AS 'MODULE_PATHNAME', 'retention_new_key';
COMMENT ON FUNCTION retention._new_key() IS 'Internal: 32 bytes from the strong random source.';
REVOKE ALL ON FUNCTION retention._new_key() FROM PUBLIC;

CREATE TABLE retention._secret (
    id  integer PRIMARY KEY CHECK (id OPERATOR(pg_catalog.=) 1),
    key bytea NOT NULL CHECK (pg_catalog.length(key) OPERATOR(pg_catalog.=) 32)
);
COMMENT ON TABLE retention._secret IS
    'Internal: the per-database key of pg_retention''s keyed hashes. Readable by superusers only (no privileges, row security forced with no policy); kept by pg_dump run as a superuser.';
REVOKE ALL ON retention._secret FROM PUBLIC;
ALTER TABLE retention._secret ENABLE ROW LEVEL SECURITY;
ALTER TABLE retention._secret FORCE ROW LEVEL SECURITY;
INSERT INTO retention._secret VALUES (1, retention._new_key());
SELECT pg_catalog.pg_extension_config_dump('retention._secret', '');

-- The id of the key the stored hashes (holds, suppression list, request
-- log, ledger) were made with.  A restore that loads them but leaves the
-- key out (a dump without retention._secret's data) keeps the key that
-- CREATE EXTENSION made, and the library then refuses to work with a key
-- that does not match (keyed_hash.c): held data would otherwise not be
-- held, and suppressed identifiers could come back.
CREATE FUNCTION retention._key_id()
RETURNS text
LANGUAGE C VOLATILE STRICT
AS 'MODULE_PATHNAME', 'retention_key_id';
COMMENT ON FUNCTION retention._key_id() IS
    'Internal: the id of this database''s key (16 hex digits, as erasure ledgers name it; no key material).';
REVOKE ALL ON FUNCTION retention._key_id() FROM PUBLIC;

CREATE TABLE retention._key_check (
    id     integer PRIMARY KEY CHECK (id OPERATOR(pg_catalog.=) 1),
    key_id text NOT NULL
);
COMMENT ON TABLE retention._key_check IS
    'Internal: the id of the key the stored hashes were made with (no key material). A restore loads it with the data; when it differs from the key in retention._secret, pg_retention refuses to work until the dump''s key is restored.';
REVOKE ALL ON retention._key_check FROM PUBLIC;
INSERT INTO retention._key_check VALUES (1, retention._key_id());
SELECT pg_catalog.pg_extension_config_dump('retention._key_check', '');

-- The restored row replaces the one CREATE EXTENSION made.
CREATE FUNCTION retention._key_check_restore()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM retention._key_check k WHERE k.id OPERATOR(pg_catalog.=) NEW.id) THEN
        UPDATE retention._key_check k SET key_id = NEW.key_id WHERE k.id OPERATOR(pg_catalog.=) NEW.id;
        RETURN NULL;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION retention._key_check_restore() IS
    'Internal: a restored key id replaces the one CREATE EXTENSION recorded.';
CREATE TRIGGER key_check_restore BEFORE INSERT ON retention._key_check
    FOR EACH ROW EXECUTE FUNCTION retention._key_check_restore();

-- A restore first runs CREATE EXTENSION (a new key), then loads the dumped
-- row: the dumped key must win, and the stored hashes are then its own (a
-- dump of 0.1.0 has no retention._key_check to say so).
CREATE FUNCTION retention._secret_restore()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM retention._secret s WHERE s.id OPERATOR(pg_catalog.=) NEW.id) THEN
        UPDATE retention._secret s SET key = NEW.key WHERE s.id OPERATOR(pg_catalog.=) NEW.id;
        UPDATE retention._key_check k SET key_id = retention._key_id();
        RETURN NULL;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION retention._secret_restore() IS
    'Internal: a restored key replaces the one CREATE EXTENSION made, and is recorded as the key of the stored hashes.';
CREATE TRIGGER secret_restore BEFORE INSERT ON retention._secret
    FOR EACH ROW EXECUTE FUNCTION retention._secret_restore();

CREATE FUNCTION retention.normalize_identifier(kind text, value text)
RETURNS text
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'retention_normalize_identifier_sql';
COMMENT ON FUNCTION retention.normalize_identifier(text, text) IS
    'The form in which identifiers of a kind are matched (UTF-8 databases): email in Unicode NFKC, white space trimmed, lower-cased by Unicode''s case mapping whatever the collation; phone as "+" and digits (NFKC first, so full-width digits count; a leading 00 is the international prefix); other kinds NFC and trimmed. Identical in every UTF-8 database, so an expression index on it stays valid.';

CREATE FUNCTION retention._identifier_hash(kind text, value text)
RETURNS bytea
LANGUAGE C STABLE STRICT
AS 'MODULE_PATHNAME', 'retention_identifier_hash_sql';
COMMENT ON FUNCTION retention._identifier_hash(text, text) IS
    'Internal: keyed hash of a normalized identifier, as legal holds store it (the request log, the suppression list and the erasure ledger use other keys).';
REVOKE ALL ON FUNCTION retention._identifier_hash(text, text) FROM PUBLIC;

-- A dump of a 0.1.0 database restored into 0.2.0 brings back rows whose
-- hashes are 0.1.0's (their hashed_with column says so: its default is
-- '0.1.0', and 0.2.0 writes '0.2.0' explicitly); holds, the suppression list
-- and the erasure ledger convert them with this when they read them.
CREATE FUNCTION retention._rehash_legacy(purpose text, digest bytea)
RETURNS bytea
LANGUAGE C STABLE STRICT
AS 'MODULE_PATHNAME', 'retention_rehash_legacy';
COMMENT ON FUNCTION retention._rehash_legacy(text, bytea) IS
    'Internal: the hash of one purpose (hold, request log, erasure ledger, suppression) from a hash 0.1.0 stored, with this database''s key; how rows marked hashed_with ''0.1.0'' (restored from a 0.1.0 dump) are read. No privileges for anyone.';
REVOKE ALL ON FUNCTION retention._rehash_legacy(text, bytea) FROM PUBLIC;
