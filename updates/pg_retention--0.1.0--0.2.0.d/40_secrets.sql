\echo Use "ALTER EXTENSION pg_retention UPDATE TO '0.2.0'" to load this file. \quit
-- 40_secrets: secrets that stay secret and erasures that survive a restore
-- (issue 12, items 4 and 5).
--
--  - retention._secret: row security enabled and forced, no policy;
--  - pseudonyms keyed per column: _pseudonym*(..., "column") replace the
--    0.1.0 forms (their C entry points still serve a 0.1.0 install);
--  - holds, the request log, the suppression list and the erasure ledger
--    each keyed with their own derived key: every hash 0.1.0 stored is
--    converted exactly (retention._rehash_legacy, dropped again), so no
--    hold and no suppression is lost;
--  - the suppression list keeps one row per reason; erasures recorded by
--    0.1.0 (its request log) come back as "erasure" rows in the ledger;
--  - retention.erasure_ledger() and retention.reapply_erasures().
-- Privileges of every object are set by 99_privileges.sql, last.

ALTER TABLE retention._secret ENABLE ROW LEVEL SECURITY;
ALTER TABLE retention._secret FORCE ROW LEVEL SECURITY;
COMMENT ON TABLE retention._secret IS
    'Internal: the per-database key of pg_retention''s keyed hashes. Readable by superusers only (no privileges, row security forced with no policy); kept by pg_dump run as a superuser.';
COMMENT ON FUNCTION retention._identifier_hash(text, text) IS
    'Internal: keyed hash of a normalized identifier, as legal holds store it (the request log, the suppression list and the erasure ledger use other keys).';

DROP FUNCTION retention._pseudonym(text, integer, bigint);
DROP FUNCTION retention._pseudonym_bytea(bytea, bigint);
DROP FUNCTION retention._pseudonym_uuid(uuid, bigint);
CREATE FUNCTION retention._pseudonym(value text, maxlen integer, token bigint, "column" text) RETURNS text
LANGUAGE C VOLATILE STRICT AS 'MODULE_PATHNAME', 'retention_pseudonym_text';
CREATE FUNCTION retention._pseudonym_bytea(value bytea, token bigint, "column" text) RETURNS bytea
LANGUAGE C VOLATILE STRICT AS 'MODULE_PATHNAME', 'retention_pseudonym_bytea';
CREATE FUNCTION retention._pseudonym_uuid(value uuid, token bigint, "column" text) RETURNS uuid
LANGUAGE C VOLATILE STRICT AS 'MODULE_PATHNAME', 'retention_pseudonym_uuid';
COMMENT ON FUNCTION retention._pseudonym(text, integer, bigint, text) IS
    'Internal, enforcement only (token: the batch''s secret, a bound parameter): keyed HMAC-SHA-256 pseudonym in hex, maxlen characters (64 if 0), the last 8 a keyed check; keyed per column ("schema"."table"."column" of the tagged table).';
COMMENT ON FUNCTION retention._pseudonym_bytea(bytea, bigint, text) IS 'Internal, enforcement only: 32-byte keyed pseudonym with a keyed check, keyed per column.';
COMMENT ON FUNCTION retention._pseudonym_uuid(uuid, bigint, text) IS 'Internal, enforcement only: a keyed pseudonym that fits a uuid, keyed per column.';

-- 0.1.0's hashes, converted for their purpose (see src/keyed_hash.c).
CREATE FUNCTION retention._rehash_legacy(purpose text, digest bytea)
RETURNS bytea
LANGUAGE C STRICT
AS 'MODULE_PATHNAME', 'retention_rehash_legacy';
REVOKE ALL ON FUNCTION retention._rehash_legacy(text, bytea) FROM PUBLIC;

ALTER TABLE retention.suppression DROP CONSTRAINT suppression_pkey;
ALTER TABLE retention.suppression ADD COLUMN ledger_hash bytea;
UPDATE retention.suppression s
   SET identifier_hash = retention._rehash_legacy('suppression', s.identifier_hash),
       ledger_hash = CASE WHEN s.reason OPERATOR(pg_catalog.=) 'erasure'
                          THEN retention._rehash_legacy('erasure ledger', s.identifier_hash) END;
ALTER TABLE retention.suppression
    ADD PRIMARY KEY (kind, identifier_hash, reason),
    ADD CONSTRAINT suppression_ledger_hash CHECK
        ((reason OPERATOR(pg_catalog.=) 'erasure') OPERATOR(pg_catalog.=) (ledger_hash IS NOT NULL));

-- 0.1.0 kept one reason per identifier: an erasure after an opt-out was
-- recorded only in the request log.  Every erasure it logged (not dry runs,
-- not refused for a hold) goes into the list, and so into the ledger.
INSERT INTO retention.suppression AS s (kind, identifier_hash, reason, added_at, ledger_hash)
SELECT pg_catalog.split_part(h.value, ':', 1),
       retention._rehash_legacy('suppression', pg_catalog.decode(pg_catalog.split_part(h.value, ':', 2), 'hex')),
       'erasure', pg_catalog.max(r.requested_at),
       retention._rehash_legacy('erasure ledger', pg_catalog.decode(pg_catalog.split_part(h.value, ':', 2), 'hex'))
  FROM retention.dsr_request r, pg_catalog.unnest(r.identifier_hashes) AS h(value)
 WHERE r.kind OPERATOR(pg_catalog.=) 'erase'
   AND r.outcome OPERATOR(pg_catalog.=) ANY (ARRAY['done', 'nothing found'])
   AND h.value OPERATOR(pg_catalog.~) '^[a-z][a-z0-9_]*:[0-9a-f]{64}$'
 GROUP BY 1, 2, 5
ON CONFLICT (kind, identifier_hash, reason) DO UPDATE
   SET added_at = GREATEST(s.added_at, excluded.added_at);

UPDATE retention.dsr_request r
   SET identifier_hashes = ARRAY(
       SELECT CASE WHEN h.value OPERATOR(pg_catalog.~) '^[a-z][a-z0-9_]*:[0-9a-f]{64}$'
                   THEN pg_catalog.split_part(h.value, ':', 1) OPERATOR(pg_catalog.||) ':'
                        OPERATOR(pg_catalog.||) pg_catalog.encode(retention._rehash_legacy('request log',
                            pg_catalog.decode(pg_catalog.split_part(h.value, ':', 2), 'hex')), 'hex')
                   ELSE h.value END
         FROM pg_catalog.unnest(r.identifier_hashes) WITH ORDINALITY AS h(value, n)
        ORDER BY h.n);

UPDATE retention.legal_hold h
   SET subject_hash = retention._rehash_legacy('hold', h.subject_hash)
 WHERE h.subject_hash IS NOT NULL;

DROP FUNCTION retention._rehash_legacy(text, bytea);

COMMENT ON TABLE retention.suppression IS
    'The suppression list: keyed hashes of normalized identifiers that must not be imported or contacted again, one row per identifier and reason (erasure, opt-out, ...); erasure rows carry the identifier''s erasure ledger hash and the time of its last erasure. Never identifiers in clear; no role but the extension''s owner reads it. Check with retention.is_suppressed(kind, value).';
COMMENT ON TABLE retention.dsr_request IS
    'The request log of data subject requests: kind (export, erase, erase (dry run)), the identifiers as "kind:keyed hash" (never in clear; the request log''s own key, not comparable with legal_hold.subject_hash), who asked and when, rows found, per-table counts (found, deleted, anonymized, held) and the outcome.';
COMMENT ON FUNCTION retention.suppress(text, text, text) IS
    'Adds an identifier (e.g. a marketing opt-out) to the suppression list as a keyed hash with a reason, without erasing anything; an identifier keeps every reason it was added for (reason ''erasure'' records an erasure in the ledger as erase_subject does). Members of retention_dsr only.';

CREATE FUNCTION retention.erasure_ledger(since timestamptz DEFAULT NULL)
RETURNS jsonb
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'retention_erasure_ledger';
COMMENT ON FUNCTION retention.erasure_ledger(timestamptz) IS
    'The erasure ledger: every erasure since since (all with NULL) as the keyed hash of the normalized identifier (the ledger''s own key) and its time, never identifiers in clear, with the id of the key it was made with. Keep it outside the database; after restoring an older backup pass it to retention.reapply_erasures(). Members of retention_admin or retention_dsr.';

CREATE FUNCTION retention.reapply_erasures(
    ledger              jsonb,
    OUT table_name      regclass,
    OUT rows_found      bigint,
    OUT rows_deleted    bigint,
    OUT rows_anonymized bigint,
    OUT rows_held       bigint,
    OUT note            text)
RETURNS SETOF record
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'retention_reapply_erasures';
COMMENT ON FUNCTION retention.reapply_erasures(jsonb) IS
    'After a restore of an older backup: erases again every person of the ledger (from retention.erasure_ledger() of the database the erasures happened in, same key) whose data is back, with erase_subject and so the same holds and rules, one request per identifier found; puts every identifier of the ledger back on the suppression list; returns what the erasures did per table. In the caller''s transaction. Members of retention_dsr only.';

REVOKE ALL ON FUNCTION retention.erasure_ledger(timestamptz), retention.reapply_erasures(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION retention.erasure_ledger(timestamptz) TO retention_admin, retention_dsr;
GRANT EXECUTE ON FUNCTION retention.reapply_erasures(jsonb) TO retention_dsr;
