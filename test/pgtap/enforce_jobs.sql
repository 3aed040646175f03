-- One table's trouble costs that table's job only (issue 10, items 2b, 3, 4
-- and 7).  First, on its own: a role with only REFERENCES on a tagged table
-- gives its referencing table a FORCE'd policy that records current_user
-- and tries to read a table only the victim can read; nothing of theirs
-- may run as the victim.  Then one CALL retention.enforce() meets, in this
-- order of jobs:
--   - a table tag whose BEFORE DELETE trigger (the owner's code) drops a
--     tagged column of a table enforced later: that job is "changed", no
--     crash;
--   - a row-level security policy (FORCE) that raises, on a table that a
--     foreign key references and that a subject hold concerns (0.1.0 counted
--     its held rows outside the guard: the whole CALL failed with P0001);
--   - a policy that sleeps: bounded by retention.statement_timeout;
--   - a soft-delete trigger (BEFORE DELETE returning NULL): the job ends
--     after one batch and says how many rows the trigger kept;
--   - a table whose owner cannot SELECT the table that references it: the
--     probe runs as the referencing table's owner;
--   - the Pagila layout: foreign keys declared on the partitions of payment
--     (not on payment) reference rental; a wholly expired partition is
--     dropped in the same run; rental's job comes after payment's and
--     neither names a dropped partition (0.1.0: 42P01, run left running);
--   - a plain table, enforced all the same.
BEGIN;
SELECT plan(29);

SET LOCAL client_min_messages = warning;
SET LOCAL retention.statement_timeout = '1s';
SET LOCAL retention.batch_size = 2;

CREATE ROLE regress_jobs_owner NOLOGIN;
CREATE ROLE regress_jobs_other NOLOGIN;
CREATE ROLE regress_jobs_victim NOLOGIN;
CREATE ROLE regress_jobs_attacker NOLOGIN;
CREATE SCHEMA regress_jobs;
GRANT USAGE, CREATE ON SCHEMA regress_jobs TO regress_jobs_owner, regress_jobs_other,
    regress_jobs_victim, regress_jobs_attacker;
SELECT FROM retention.define_category('regress_jobs', '1 day');
SELECT FROM retention.define_category('regress_jobs_anon', '1 day', action => 'nullify');

-- ---------------------------------------------------------------------
-- tables in job order (tags are enforced in the order of the tables' OIDs,
-- children first)
-- ---------------------------------------------------------------------

-- 4: a REFERENCES-only attacker
SET LOCAL ROLE regress_jobs_victim;
CREATE TABLE regress_jobs.victim (id int PRIMARY KEY, created_at timestamptz NOT NULL);
CREATE TABLE regress_jobs.victim_secret (secret text);
SECURITY LABEL FOR retention ON TABLE regress_jobs.victim IS 'category=regress_jobs anchor=created_at';
GRANT REFERENCES ON regress_jobs.victim TO regress_jobs_attacker;
SET LOCAL ROLE regress_jobs_attacker;
CREATE TABLE regress_jobs.spy_log (who name NOT NULL, read_secret boolean NOT NULL);
GRANT INSERT ON regress_jobs.spy_log TO PUBLIC;
CREATE FUNCTION regress_jobs.spy() RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    ok boolean := true;
BEGIN
    BEGIN
        PERFORM pg_catalog.count(*) FROM regress_jobs.victim_secret;
    EXCEPTION WHEN insufficient_privilege THEN
        ok := false;
    END;
    INSERT INTO regress_jobs.spy_log VALUES (current_user, ok);
    RETURN true;
END $$;
CREATE TABLE regress_jobs.spy_ref (id int PRIMARY KEY, victim_id int REFERENCES regress_jobs.victim);
ALTER TABLE regress_jobs.spy_ref ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY spy ON regress_jobs.spy_ref USING (regress_jobs.spy());
-- readable by anyone: 0.1.0's probe read it as the victim, running the policy
GRANT SELECT ON regress_jobs.spy_ref TO PUBLIC;
RESET ROLE;
INSERT INTO regress_jobs.victim VALUES (1, now() - interval '10 days'), (2, now() - interval '10 days');
INSERT INTO regress_jobs.victim_secret VALUES ('only the victim reads this');
-- the superuser's insert bypasses the attacker's policy
INSERT INTO regress_jobs.spy_ref VALUES (1, 1);

CREATE TEMP VIEW job AS
SELECT pg_catalog.split_part(a.relation_name, '.', 2) AS rel, a.*
  FROM retention.action_log a
 WHERE a.run_id = (SELECT pg_catalog.max(run_id) FROM retention.run);

-- 4, on its own first: what the attacker's code did must survive the run
SELECT lives_ok($$ CALL retention.enforce(table_name => 'regress_jobs.victim') $$,
                'a run over the victim''s table completes');
-- 4
SELECT is((SELECT pg_catalog.count(*)::int FROM regress_jobs.spy_log WHERE who = 'regress_jobs_victim'), 0,
          'nothing of the REFERENCES-only attacker ran as the victim');
SELECT is((SELECT pg_catalog.count(*)::int FROM regress_jobs.spy_log WHERE read_secret AND who <> 'regress_jobs_attacker'), 0,
          'the attacker''s code never read the victim''s table');
SELECT is((SELECT pg_catalog.array_agg(id ORDER BY id) FROM regress_jobs.victim), '{1}'::int[],
          'the victim''s table is enforced: the referenced row stays, the other goes');
SELECT is((SELECT rows_blocked FROM job WHERE rel = 'victim'), 1::bigint,
          'the row referenced from the attacker''s table is counted as blocked');
SELECT is((SELECT rows_blocked FROM retention.preview() WHERE table_name = 'regress_jobs.victim'::regclass), 1::bigint,
          'preview counts the blocked row too ...');
SELECT is((SELECT pg_catalog.count(*)::int FROM regress_jobs.spy_log WHERE who = 'regress_jobs_victim'), 0,
          '... without running the attacker''s code as the victim either');

-- 2b: the owner's trigger on an earlier job drops a tagged column of a later one
CREATE TABLE regress_jobs.dropper (id int PRIMARY KEY, created_at timestamptz NOT NULL);
CREATE TABLE regress_jobs.anon_target (id int PRIMARY KEY, created_at timestamptz NOT NULL, email text);
CREATE FUNCTION regress_jobs.drop_email() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    ALTER TABLE regress_jobs.anon_target DROP COLUMN email;
    RETURN OLD;
END $$;
CREATE TRIGGER drop_email BEFORE DELETE ON regress_jobs.dropper
    FOR EACH ROW EXECUTE FUNCTION regress_jobs.drop_email();
SECURITY LABEL FOR retention ON TABLE regress_jobs.dropper IS 'category=regress_jobs anchor=created_at';
SECURITY LABEL FOR retention ON COLUMN regress_jobs.anon_target.email IS 'category=regress_jobs_anon anchor=created_at';
INSERT INTO regress_jobs.dropper VALUES (1, now() - interval '10 days');
INSERT INTO regress_jobs.anon_target VALUES (1, now() - interval '10 days', 'a@example.com');

-- 3: a policy that raises, and one that sleeps; both tables are referenced
CREATE FUNCTION regress_jobs.boom() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'policy refuses';
END $$;
CREATE FUNCTION regress_jobs.nap() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_catalog.pg_sleep(20);
    RETURN true;
END $$;
SET LOCAL ROLE regress_jobs_owner;
CREATE TABLE regress_jobs.raising (id int PRIMARY KEY, created_at timestamptz NOT NULL, email text);
CREATE TABLE regress_jobs.raising_ref (id int PRIMARY KEY, raising_id int REFERENCES regress_jobs.raising);
ALTER TABLE regress_jobs.raising ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY refuse ON regress_jobs.raising USING (regress_jobs.boom());
CREATE TABLE regress_jobs.sleepy (id int PRIMARY KEY, created_at timestamptz NOT NULL);
CREATE TABLE regress_jobs.sleepy_ref (id int PRIMARY KEY, sleepy_id int REFERENCES regress_jobs.sleepy);
ALTER TABLE regress_jobs.sleepy ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY nap ON regress_jobs.sleepy USING (regress_jobs.nap());
SECURITY LABEL FOR retention ON TABLE regress_jobs.raising IS 'category=regress_jobs anchor=created_at';
SECURITY LABEL FOR retention ON COLUMN regress_jobs.raising.email IS 'subject=email';
SECURITY LABEL FOR retention ON TABLE regress_jobs.sleepy IS 'category=regress_jobs anchor=created_at';
RESET ROLE;
INSERT INTO regress_jobs.raising VALUES (1, now() - interval '10 days');
INSERT INTO regress_jobs.sleepy VALUES (1, now() - interval '10 days');
-- referenced rows (not due), so that counting blocked rows has to read the
-- tables (0.1.0 did that outside the job's guard)
INSERT INTO regress_jobs.raising VALUES (2, now());
-- a subject hold on a kind the table carries: its held rows are counted first
SELECT FROM retention.place_hold('regress_jobs', subject_kind => 'email', subject_value => 'held@example.com');
INSERT INTO regress_jobs.sleepy VALUES (2, now());
INSERT INTO regress_jobs.raising_ref VALUES (1, 2);
INSERT INTO regress_jobs.sleepy_ref VALUES (1, 2);

-- 3: soft delete
CREATE TABLE regress_jobs.soft (id int PRIMARY KEY, created_at timestamptz NOT NULL, deleted_at timestamptz);
CREATE FUNCTION regress_jobs.soft_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE regress_jobs.soft SET deleted_at = pg_catalog.now() WHERE id OPERATOR(pg_catalog.=) OLD.id;
    RETURN NULL;
END $$;
CREATE TRIGGER soft BEFORE DELETE ON regress_jobs.soft
    FOR EACH ROW EXECUTE FUNCTION regress_jobs.soft_delete();
SECURITY LABEL FOR retention ON TABLE regress_jobs.soft IS 'category=regress_jobs anchor=created_at';
INSERT INTO regress_jobs.soft SELECT g, now() - interval '10 days' FROM generate_series(1, 5) g;

-- 3: the owner of parent_t cannot SELECT ref_r, which references it
SET LOCAL ROLE regress_jobs_owner;
CREATE TABLE regress_jobs.parent_t (id int PRIMARY KEY, created_at timestamptz NOT NULL);
SECURITY LABEL FOR retention ON TABLE regress_jobs.parent_t IS 'category=regress_jobs anchor=created_at';
GRANT REFERENCES ON regress_jobs.parent_t TO regress_jobs_other;
SET LOCAL ROLE regress_jobs_other;
CREATE TABLE regress_jobs.ref_r (id int PRIMARY KEY, parent_id int REFERENCES regress_jobs.parent_t);
RESET ROLE;
INSERT INTO regress_jobs.parent_t VALUES (1, now() - interval '10 days'), (2, now() - interval '10 days');
INSERT INTO regress_jobs.ref_r VALUES (1, 1);

-- 7: Pagila: keys declared on payment's partitions, not on payment
CREATE TABLE regress_jobs.rental (rental_id int PRIMARY KEY, rental_date timestamptz NOT NULL);
CREATE TABLE regress_jobs.payment (payment_id int, rental_id int NOT NULL, payment_date timestamptz NOT NULL)
    PARTITION BY RANGE (payment_date);
CREATE TABLE regress_jobs.payment_p2015_01 PARTITION OF regress_jobs.payment
    FOR VALUES FROM ('2015-01-01') TO ('2015-02-01');
CREATE TABLE regress_jobs.payment_p_now PARTITION OF regress_jobs.payment
    FOR VALUES FROM ('2015-02-01') TO (MAXVALUE);
ALTER TABLE regress_jobs.payment_p2015_01 ADD FOREIGN KEY (rental_id) REFERENCES regress_jobs.rental;
ALTER TABLE regress_jobs.payment_p_now ADD FOREIGN KEY (rental_id) REFERENCES regress_jobs.rental;
SECURITY LABEL FOR retention ON TABLE regress_jobs.rental IS 'category=regress_jobs anchor=rental_date';
SECURITY LABEL FOR retention ON TABLE regress_jobs.payment IS 'category=regress_jobs anchor=payment_date';
-- rental 1: its only payment is in the expired partition; 2: a current
-- payment references it; 3: no payment
INSERT INTO regress_jobs.rental VALUES (1, '2015-01-01'), (2, '2015-01-01'), (3, '2015-01-01');
INSERT INTO regress_jobs.payment VALUES (1, 1, '2015-01-10'), (2, 2, now());

-- and a plain table, enforced last
CREATE TABLE regress_jobs.plain (id int PRIMARY KEY, created_at timestamptz NOT NULL);
SECURITY LABEL FOR retention ON TABLE regress_jobs.plain IS 'category=regress_jobs anchor=created_at';
INSERT INTO regress_jobs.plain VALUES (1, now() - interval '10 days'), (2, now() - interval '10 days'), (3, now());

-- ---------------------------------------------------------------------
-- one run
-- ---------------------------------------------------------------------
-- then everything in one run
CREATE TEMP TABLE t0 AS SELECT pg_catalog.clock_timestamp() AS t;
SELECT lives_ok($$ CALL retention.enforce(max_runtime => '30 seconds') $$,
                'one run over all of them completes without an error');
SELECT is((SELECT status FROM retention.run ORDER BY run_id DESC LIMIT 1), 'completed with errors',
          'the run is finished (its failing jobs counted as errors), not left running');

-- 2b
SELECT is((SELECT outcome FROM job WHERE rel = 'anon_target'), 'skipped: relation changed since planning',
          'a tagged column dropped by an earlier job''s trigger: the job is skipped as changed, no crash');
SELECT is((SELECT outcome FROM job WHERE rel = 'dropper'), 'done', 'the job whose trigger dropped it is done');

-- 3
SELECT is((SELECT outcome || ' ' || error_sqlstate FROM job WHERE rel = 'raising'), 'error P0001',
          'a policy that raises: that job records the error with its SQLSTATE');
SELECT is((SELECT outcome || ' ' || error_sqlstate FROM job WHERE rel = 'sleepy'), 'error 57014',
          'a policy that sleeps: that job is cancelled by retention.statement_timeout');
SELECT cmp_ok((SELECT pg_catalog.clock_timestamp() - t FROM t0), '<', interval '15 seconds',
              'the sleeping policy costs about the statement timeout, not its 20 seconds');
SELECT is((SELECT outcome FROM job WHERE rel = 'soft'), 'stopped: a trigger kept 2 of the rows (it returned NULL)',
          'a soft-delete trigger: the job ends after its first batch');
SELECT is((SELECT (batches, rows_processed, rows_kept)::text FROM job WHERE rel = 'soft'), '(1,0,2)',
          'its evidence: one batch, nothing deleted, 2 rows kept by the trigger');
SELECT is((SELECT pg_catalog.count(*)::int FROM regress_jobs.soft WHERE deleted_at IS NOT NULL), 2,
          'the trigger ran for one batch only');
SELECT is((SELECT outcome FROM job WHERE rel = 'parent_t'), 'done',
          'an owner who cannot SELECT the referencing table: the job is done');
SELECT is((SELECT pg_catalog.array_agg(id ORDER BY id) FROM regress_jobs.parent_t), '{1}'::int[],
          'the unreferenced due row is deleted, the referenced one kept');
SELECT is((SELECT rows_blocked FROM job WHERE rel = 'parent_t'), 1::bigint,
          'and counted as blocked');

-- 7
SELECT is((SELECT outcome FROM job WHERE rel = 'payment_p2015_01'), 'dropped partition (rows estimated)',
          'Pagila: the wholly expired payment partition is dropped');
SELECT ok((SELECT pg_catalog.max(action_id) FROM job WHERE rel LIKE 'payment%')
          < (SELECT action_id FROM job WHERE rel = 'rental'),
          'keys declared on partitions order the jobs: payment''s before rental''s');
SELECT is((SELECT outcome FROM job WHERE rel = 'rental'), 'done',
          'rental''s job names no dropped partition (no 42P01)');
SELECT is((SELECT pg_catalog.array_agg(rental_id ORDER BY rental_id) FROM regress_jobs.rental), '{2}'::int[],
          'rentals whose payments went in the same run are deleted; the one a current payment references stays');
SELECT is((SELECT rows_blocked FROM job WHERE rel = 'rental'), 1::bigint,
          'and is counted as blocked');

-- the rest of the run
SELECT is((SELECT pg_catalog.array_agg(id ORDER BY id) FROM regress_jobs.plain), '{3}'::int[],
          'a plain table after all of them is enforced');
SELECT is((SELECT pg_catalog.count(*)::int FROM job WHERE outcome = 'running'), 0,
          'no job is left running');

-- the executor's state does not outlive the run
SELECT throws_ok($$ SELECT retention._subject_held('email', 'x', 0) $$, '42501', NULL,
                 'after the run the keyed functions refuse again');
SELECT is((SELECT pg_catalog.count(*)::int FROM job WHERE error_sqlstate = '42P01'), 0,
          'no job failed on a relation that does not exist');

SELECT * FROM finish();
ROLLBACK;
