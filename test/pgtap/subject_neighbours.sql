-- Export and erasure with a hostile neighbour (issue 12 item 7, issue 10
-- item 4, subject side).  regress_attacker holds only REFERENCES on the
-- victim's customer table and owns a table that references it, with a
-- FORCE ROW LEVEL SECURITY policy whose function records current_user.
-- Every lookup of a request reads one table as that table's owner with row
-- security bypassed, as PostgreSQL's foreign-key checks do: export and
-- erasure succeed (no "permission denied" from reading the customer table
-- as the attacker), the attacker's rows of the person are found and
-- erased, and the policy never runs -- not as the victim, not as the
-- caller, not at all.
BEGIN;
SELECT plan(9);

SET LOCAL client_min_messages = warning;

CREATE ROLE regress_victim NOLOGIN;
CREATE ROLE regress_attacker NOLOGIN;
CREATE ROLE regress_dsr_caller NOLOGIN IN ROLE retention_dsr;

CREATE SCHEMA dsn AUTHORIZATION regress_victim;
CREATE SCHEMA dsn_att AUTHORIZATION regress_attacker;
GRANT USAGE ON SCHEMA dsn TO regress_attacker;

SET LOCAL ROLE regress_victim;
CREATE TABLE dsn.customer (id int PRIMARY KEY, email text NOT NULL);
SECURITY LABEL FOR retention ON COLUMN dsn.customer.email IS 'subject=email';
INSERT INTO dsn.customer VALUES (1, 'ana@example.com'), (2, 'bob@example.com');
GRANT REFERENCES ON dsn.customer TO regress_attacker;
RESET ROLE;

SET LOCAL ROLE regress_attacker;
CREATE TABLE dsn_att.seen (who name, caller name);
GRANT INSERT ON dsn_att.seen TO PUBLIC;
CREATE FUNCTION dsn_att.spy() RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    INSERT INTO dsn_att.seen VALUES (current_user, session_user);
    RETURN true;
END
$$;
CREATE TABLE dsn_att.orders (id int PRIMARY KEY, customer_id int REFERENCES dsn.customer);
INSERT INTO dsn_att.orders VALUES (10, 1), (11, 1), (20, 2);
ALTER TABLE dsn_att.orders ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY spy ON dsn_att.orders USING (dsn_att.spy());
-- anyone may read it: a probe run as the victim would run the policy as the victim
GRANT SELECT, DELETE ON dsn_att.orders TO PUBLIC;
RESET ROLE;

SET LOCAL ROLE regress_dsr_caller;
SELECT lives_ok($$SELECT retention.export_subject('{"email": "ana@example.com"}')$$,
                'export: succeeds although the caller, the victim and the attacker each lack privileges on the other tables');
SELECT is((SELECT array_agg(relation_name::text || ' ' || row_key::text ORDER BY relation_name::text, row_key::text)
             FROM retention.export_subject_rows('{"email": "ana@example.com"}')),
          ARRAY['dsn.customer {"id": 1}', 'dsn_att.orders {"id": 10}', 'dsn_att.orders {"id": 11}'],
          'export: Ana''s customer row and the attacker''s rows that reference it');
SELECT lives_ok($$SELECT * FROM retention.erase_subject('{"email": "ana@example.com"}')$$,
                'erasure: succeeds');
RESET ROLE;

SELECT is((SELECT count(*)::int FROM dsn_att.seen), 0, 'the attacker''s policy never ran');
SELECT is((SELECT count(*)::int FROM dsn_att.seen WHERE who IN ('regress_victim', 'regress_dsr_caller') OR caller <> who), 0,
          'in particular, nothing of the attacker''s ran as the victim or the caller');
SELECT is((SELECT count(*)::int FROM dsn.customer WHERE id = 1), 0, 'Ana''s customer row erased');
SELECT is((SELECT array_agg(id ORDER BY id) FROM dsn_att.orders), ARRAY[20], 'her rows in the attacker''s table erased, Bob''s kept');
SELECT is((SELECT array_agg(id ORDER BY id) FROM dsn.customer), ARRAY[2], 'Bob''s customer row kept');
SELECT is((SELECT tables -> 'dsn.customer' ->> 'deleted' FROM retention.dsr_request WHERE kind = 'erase' ORDER BY request_id DESC LIMIT 1),
          '1', 'the request log records the deletion');

SELECT * FROM finish();
ROLLBACK;
