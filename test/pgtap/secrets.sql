-- Keys (issue 12, items 4c and 5): hash pseudonyms are keyed per column, so
-- a table owner who tags a column of their own and fills it with guesses
-- learns nothing about anyone else's column; holds, the request log, the
-- suppression list and the erasure ledger each use their own key, so none
-- of their hashes can be joined with another's; the suppression list keeps
-- every reason; the erasure ledger holds hashes and times only and
-- reapply_erasures erases again (with holds) whoever came back.
BEGIN;
SELECT plan(37);

SET LOCAL client_min_messages = warning;
SET LOCAL TimeZone = 'UTC';
-- Keep the background worker's runs out of this transaction's way.
SELECT FROM pg_advisory_xact_lock(x'7265746e'::int, 1);

-- SQLSTATE of a statement run as another role (NULL: no error).
CREATE FUNCTION pg_temp.sqlstate_as(r name, q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE state text;
BEGIN
    IF r IS NOT NULL THEN
        EXECUTE format('SET LOCAL ROLE %I', r);
    END IF;
    BEGIN
        EXECUTE q;
    EXCEPTION WHEN OTHERS THEN
        state := SQLSTATE;
    END;
    RESET ROLE;
    RETURN state;
END
$$;

CREATE ROLE regress_victim NOLOGIN;
CREATE ROLE regress_attacker NOLOGIN;
CREATE ROLE regress_plain NOLOGIN;
CREATE ROLE regress_admin NOLOGIN IN ROLE retention_admin;
CREATE ROLE regress_dsr NOLOGIN IN ROLE retention_dsr;
SELECT FROM retention.define_category('k_hash', '30 days', action => 'hash');
SELECT FROM retention.define_category('k_rows', '30 days');

-- =====================================================================
-- Pseudonyms keyed per column
-- =====================================================================
CREATE TABLE k_victim (id int PRIMARY KEY, at timestamptz, email text, other text, token uuid, blob bytea);
CREATE TABLE k_guess (id int PRIMARY KEY, at timestamptz, email text, token uuid, blob bytea);
ALTER TABLE k_victim OWNER TO regress_victim;
ALTER TABLE k_guess OWNER TO regress_attacker;
SELECT FROM unnest(ARRAY['email', 'other', 'token', 'blob']) c, LATERAL retention.tag_column('k_victim', c::name, 'k_hash', 'at');
SELECT FROM unnest(ARRAY['email', 'token', 'blob']) c, LATERAL retention.tag_column('k_guess', c::name, 'k_hash', 'at');
INSERT INTO k_victim VALUES
    (1, now() - interval '40 days', 'ana@example.com', 'ana@example.com',
     'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'ana'),
    (2, now() - interval '40 days', 'ana@example.com', 'bob@example.com',
     'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'ana');
-- the attacker's guesses: the very same values
INSERT INTO k_guess VALUES
    (1, now() - interval '40 days', 'ana@example.com', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'ana');
-- a partitioned table: one key for all of its partitions
CREATE TABLE k_parted (id int, at timestamptz, email text) PARTITION BY RANGE (id);
CREATE TABLE k_parted_1 PARTITION OF k_parted FOR VALUES FROM (0) TO (10);
CREATE TABLE k_parted_2 PARTITION OF k_parted FOR VALUES FROM (10) TO (20);
SELECT FROM retention.tag_column('k_parted', 'email', 'k_hash', 'at');
INSERT INTO k_parted VALUES (1, now() - interval '40 days', 'ana@example.com'),
                            (11, now() - interval '40 days', 'ana@example.com');
CALL retention.enforce();

SELECT ok((SELECT email ~ '^[0-9a-f]{64}$' FROM k_victim WHERE id = 1), 'the victim''s e-mail is a pseudonym');
SELECT isnt((SELECT email FROM k_guess), (SELECT email FROM k_victim WHERE id = 1),
    'text: the same value hashed in the attacker''s column gives another pseudonym');
SELECT isnt((SELECT token FROM k_guess), (SELECT token FROM k_victim WHERE id = 1),
    'uuid: the same value hashed in the attacker''s column gives another pseudonym');
SELECT isnt((SELECT blob FROM k_guess), (SELECT blob FROM k_victim WHERE id = 1),
    'bytea: the same value hashed in the attacker''s column gives another pseudonym');
SELECT is((SELECT count(DISTINCT (email, token, blob)) FROM k_victim), 1::bigint,
    'within one column the same value gives the same pseudonym (equality stays visible)');
SELECT isnt((SELECT other FROM k_victim WHERE id = 1), (SELECT email FROM k_victim WHERE id = 1),
    'another column of the same table gives another pseudonym for the same value');
SELECT is((SELECT count(DISTINCT email) FROM k_parted), 1::bigint,
    'the partitions of a tagged table share its column''s key');

-- a rename: pseudonyms made before are recognized (not hashed again), new
-- ones are made under the new name's key
CREATE TEMP TABLE k_before AS SELECT id, email FROM k_victim;
ALTER TABLE k_victim RENAME TO k_victim_renamed;
INSERT INTO k_victim_renamed VALUES (3, now() - interval '40 days', 'ana@example.com', NULL, NULL, NULL);
CALL retention.enforce();
SELECT results_eq('SELECT id, email FROM k_victim_renamed WHERE id < 3 ORDER BY id',
    'SELECT id, email FROM k_before ORDER BY id',
    'after a rename the pseudonyms made before are left alone');
SELECT isnt((SELECT email FROM k_victim_renamed WHERE id = 3), (SELECT email FROM k_before WHERE id = 1),
    'after a rename the same value gets another pseudonym');

-- =====================================================================
-- One key per purpose: holds, request log, suppression list, ledger
-- =====================================================================
CREATE TABLE k_person (id int PRIMARY KEY, closed_at timestamptz, email text);
CREATE TABLE k_order (id int PRIMARY KEY, person_id int REFERENCES k_person, total int);
SELECT FROM retention.tag_table('k_person', 'k_rows', 'closed_at');
SELECT FROM retention.tag_column('k_person', 'email', subject => 'email');
INSERT INTO k_person VALUES (1, NULL, 'ana@example.com'), (2, NULL, 'bob@example.com'),
                            (3, NULL, 'carl@example.com'), (4, NULL, 'dora@example.com');
INSERT INTO k_order VALUES (1, 1, 10), (2, 1, 20), (3, 3, 30);
CREATE TEMP TABLE k_saved_person AS SELECT * FROM k_person;
CREATE TEMP TABLE k_saved_order AS SELECT * FROM k_order;

SELECT FROM retention.place_hold('case 1', subject_kind => 'email', subject_value => 'dora@example.com');
SELECT FROM retention.erase_subject('{"email": "dora@example.com"}', dry_run => true);
SELECT FROM retention.suppress('email', 'ana@example.com');
SELECT FROM retention.erase_subject('{"email": " ANA@example.com"}');
SELECT FROM retention.erase_subject('{"email": "bob@example.com"}');

SELECT is((SELECT count(*) FROM retention.legal_hold h, retention.dsr_request r, unnest(r.identifier_hashes) x
            WHERE decode(split_part(x, ':', 2), 'hex') = h.subject_hash), 0::bigint,
    'a hold''s subject hash matches no hash of the request log (other keys)');
SELECT is((SELECT count(*) FROM retention.dsr_request r, unnest(r.identifier_hashes) x
            WHERE r.kind LIKE 'erase%' AND x ~ '^email:[0-9a-f]{64}$'), 3::bigint,
    'the request log still records every identifier as kind:hash');
SELECT is((SELECT count(*) FROM retention.suppression s, retention.dsr_request r, unnest(r.identifier_hashes) x
            WHERE decode(split_part(x, ':', 2), 'hex') IN (s.identifier_hash, s.ledger_hash)), 0::bigint,
    'no suppression or ledger hash matches a hash of the request log');
SELECT is((SELECT count(*) FROM retention.suppression s
            WHERE s.identifier_hash = s.ledger_hash), 0::bigint,
    'the suppression list''s own hash differs from the ledger hash');
SELECT is((SELECT array_agg(reason ORDER BY reason) FROM retention.suppression
            GROUP BY kind, identifier_hash HAVING count(*) > 1),
    ARRAY['erasure', 'opt-out'],
    'an opt-out followed by an erasure keeps both reasons');
SELECT ok(retention.is_suppressed('email', 'ana@example.com') AND retention.is_suppressed('email', 'Bob@Example.com ')
          AND NOT retention.is_suppressed('email', 'carl@example.com'),
    'is_suppressed: the erased are, the others not');

-- the one identifier rule of export, erasure and holds
SELECT is(pg_temp.sqlstate_as(NULL, $$SELECT retention.suppress('phone', 'withheld')$$), '22023',
    'suppress refuses an identifier that names nobody (22023)');
SELECT ok(NOT retention.is_suppressed('phone', 'withheld') AND NOT retention.is_suppressed('email', '  '),
    'is_suppressed: an identifier that names nobody is on no list');

-- =====================================================================
-- The ledger
-- =====================================================================
CREATE TEMP TABLE k_ledger AS SELECT retention.erasure_ledger() AS l;
SELECT is((SELECT jsonb_array_length(l -> 'erasures') FROM k_ledger), 2,
    'the ledger lists both erasures');
SELECT ok((SELECT bool_and(e ->> 'kind' = 'email' AND e ->> 'hash' ~ '^[0-9a-f]{64}$' AND (e ->> 'erased_at') IS NOT NULL)
             FROM k_ledger, jsonb_array_elements(l -> 'erasures') e),
    'each erasure: its kind, a 64-hex-digit hash and its time');
SELECT ok((SELECT l::text !~* 'ana|bob' AND l ->> 'format' = 'pg_retention erasure ledger'
                  AND l ->> 'version' = '1' AND l ->> 'key_id' ~ '^[0-9a-f]{16}$' FROM k_ledger),
    'the ledger names no one in clear, and says its format, version and key');
SELECT is((SELECT jsonb_array_length(retention.erasure_ledger(now() + interval '1 hour') -> 'erasures')), 0,
    'erasure_ledger(since): nothing erased since a later time');
SELECT is((SELECT count(*) FROM k_ledger, jsonb_array_elements(l -> 'erasures') e, retention.legal_hold h
            WHERE decode(e ->> 'hash', 'hex') = h.subject_hash), 0::bigint,
    'no ledger hash matches a hold''s subject hash');

SELECT is(pg_temp.sqlstate_as('regress_admin', 'SELECT retention.erasure_ledger()'), NULL,
    'retention_admin reads the ledger');
SELECT is(pg_temp.sqlstate_as('regress_dsr', 'SELECT retention.erasure_ledger()'), NULL,
    'retention_dsr reads the ledger');
SELECT is(pg_temp.sqlstate_as('regress_plain', 'SELECT retention.erasure_ledger()'), '42501',
    'a plain role cannot read the ledger');
SELECT is(pg_temp.sqlstate_as('regress_admin', $$SELECT retention.reapply_erasures('{}')$$), '42501',
    'retention_admin cannot reapply erasures (they erase: retention_dsr)');

-- bad ledgers
SELECT is(pg_temp.sqlstate_as(NULL, $$SELECT retention.reapply_erasures('[]')$$), '22023',
    'reapply_erasures refuses what is not a ledger');
SELECT is(pg_temp.sqlstate_as(NULL, $$SELECT retention.reapply_erasures(jsonb_set(
              (SELECT l FROM k_ledger), '{erasures,0,hash}', '"ana@example.com"'))$$), '22023',
    'reapply_erasures refuses a ledger whose hash is not one');
SELECT is(pg_temp.sqlstate_as(NULL, $$SELECT retention.reapply_erasures(jsonb_set(
              (SELECT l FROM k_ledger), '{key_id}', '"0000000000000000"'))$$), '55000',
    'reapply_erasures refuses a ledger made with another key');
SELECT is(pg_temp.sqlstate_as(NULL, 'SELECT retention.reapply_erasures(NULL)'), '22004',
    'reapply_erasures refuses NULL');

-- =====================================================================
-- Reapplying: the erased come back (a restore), and go again
-- =====================================================================
-- as if restored from a backup taken before the erasures: rows and
-- suppression list as they were
INSERT INTO k_person SELECT * FROM k_saved_person WHERE id IN (1, 2);
INSERT INTO k_order SELECT * FROM k_saved_order WHERE id IN (1, 2);
DELETE FROM retention.suppression;
-- bob is now under a hold: reapplying must honour it as erase_subject does
SELECT FROM retention.place_hold('case 2', subject_kind => 'email', subject_value => 'bob@example.com');

GRANT SELECT ON k_ledger TO regress_dsr;
SET LOCAL ROLE regress_dsr;
CREATE TEMP TABLE k_reapplied AS SELECT * FROM retention.reapply_erasures((SELECT l FROM k_ledger));
RESET ROLE;
SELECT results_eq(
    $$SELECT table_name::text, rows_found, rows_deleted, rows_anonymized, rows_held FROM k_reapplied ORDER BY 1$$,
    $$VALUES ('k_order', 2::bigint, 2::bigint, 0::bigint, 0::bigint),
             ('k_person', 2::bigint, 1::bigint, 0::bigint, 1::bigint)$$,
    'reapply_erasures: ana''s person and order rows deleted again, bob''s held row reported');
SELECT results_eq('SELECT id FROM k_person ORDER BY id', 'VALUES (2), (3), (4)',
    'ana is gone, bob is kept by his hold, the others are intact');
SELECT results_eq('SELECT id FROM k_order ORDER BY id', 'VALUES (3)',
    'ana''s orders are gone, the others'' intact');
SELECT ok(retention.is_suppressed('email', 'ana@example.com') AND retention.is_suppressed('email', 'bob@example.com'),
    'every identifier of the ledger is on the suppression list again');
SELECT is((SELECT count(*) FROM retention.dsr_request WHERE kind = 'erase'), 4::bigint,
    'each identifier found was erased by a logged request of its own (two before, two now)');
SELECT is((SELECT count(*) FROM retention.reapply_erasures((SELECT l FROM k_ledger)) WHERE rows_deleted > 0), 0::bigint,
    'reapplying again deletes nothing');
SELECT is((SELECT count(*) FROM retention.suppression WHERE reason = 'erasure'), 2::bigint,
    'reapplying again adds nothing to the suppression list');

SELECT * FROM finish();
ROLLBACK;
