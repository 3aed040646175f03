-- No other owner's row-security code runs as a table's owner (issue 10,
-- item 4, the rest of the class): a statement that runs as the owner of a
-- tagged table and reads another table (a foreign-key anchor's parent, the
-- parents a subject hold reaches through) refuses to read it when that
-- table has row security and another owner, since its policies would run
-- with the reader's privileges.  The attacker owns the parent, with a
-- policy that records current_user; the victim's tables reference it.
-- Enforcement records those jobs as errors (42501) and enforces the rest;
-- preview and status note the job instead of counting it; erasure and
-- export fail with 42501, nothing changed.  Control: the same layout with
-- a parent without row security works as before.
BEGIN;
SELECT plan(20);
SET LOCAL client_min_messages = warning;

CREATE ROLE regress_fr_victim NOLOGIN;
CREATE ROLE regress_fr_attacker NOLOGIN;
CREATE SCHEMA regress_fr;
GRANT USAGE, CREATE ON SCHEMA regress_fr TO regress_fr_victim, regress_fr_attacker;
SELECT FROM retention.define_category('regress_fr', '1 day');

-- the attacker's parents: acct with a policy that records who runs it,
-- acct_open the same without row security (the control)
SET LOCAL ROLE regress_fr_attacker;
CREATE TABLE regress_fr.spy_log (who name NOT NULL);
GRANT INSERT ON regress_fr.spy_log TO PUBLIC;
CREATE FUNCTION regress_fr.spy() RETURNS boolean
LANGUAGE plpgsql SECURITY INVOKER AS $$
BEGIN
    INSERT INTO regress_fr.spy_log VALUES (current_user);
    RETURN true;
END $$;
CREATE TABLE regress_fr.acct (id int PRIMARY KEY, email text, closed_on timestamptz NOT NULL);
ALTER TABLE regress_fr.acct ENABLE ROW LEVEL SECURITY;
CREATE POLICY spy ON regress_fr.acct USING (regress_fr.spy());
CREATE TABLE regress_fr.acct_open (id int PRIMARY KEY, email text, closed_on timestamptz NOT NULL);
GRANT SELECT, REFERENCES ON regress_fr.acct, regress_fr.acct_open TO regress_fr_victim;
RESET ROLE;
INSERT INTO regress_fr.acct VALUES (1, 'held@example.com', now() - interval '10 days');
INSERT INTO regress_fr.acct_open VALUES (1, 'held@example.com', now() - interval '10 days'),
    (2, 'other@example.com', now()), (3, 'other@example.com', now() - interval '10 days');

-- the victim's tables
SET LOCAL ROLE regress_fr_victim;
CREATE TABLE regress_fr.v_fk (id int PRIMARY KEY, acct_id int REFERENCES regress_fr.acct,
                              email text, created_at timestamptz NOT NULL);
CREATE TABLE regress_fr.v_hold (id int PRIMARY KEY, acct_id int REFERENCES regress_fr.acct,
                                created_at timestamptz NOT NULL);
CREATE TABLE regress_fr.v_ok (id int PRIMARY KEY, acct_id int REFERENCES regress_fr.acct_open,
                              created_at timestamptz NOT NULL);
CREATE TABLE regress_fr.v_plain (id int PRIMARY KEY, created_at timestamptz NOT NULL);
RESET ROLE;
INSERT INTO regress_fr.v_fk VALUES (1, 1, 'ana@example.com', now() - interval '10 days');
INSERT INTO regress_fr.v_hold VALUES (1, 1, now() - interval '10 days');
INSERT INTO regress_fr.v_ok VALUES (1, 1, now()), (2, 2, now()), (3, 3, now());
INSERT INTO regress_fr.v_plain VALUES (1, now() - interval '10 days'), (2, now() - interval '10 days');
SELECT FROM retention.tag_column('regress_fr.acct', 'email', subject => 'email');
SELECT FROM retention.tag_column('regress_fr.acct_open', 'email', subject => 'email');
SELECT FROM retention.tag_table('regress_fr.v_fk', 'regress_fr', 'acct_id->regress_fr.acct.closed_on');
SELECT FROM retention.tag_column('regress_fr.v_fk', 'email', subject => 'email');
SELECT FROM retention.tag_table('regress_fr.v_hold', 'regress_fr', 'created_at');
SELECT FROM retention.tag_table('regress_fr.v_ok', 'regress_fr', 'acct_id->regress_fr.acct_open.closed_on');
SELECT FROM retention.tag_table('regress_fr.v_plain', 'regress_fr', 'created_at');
-- a subject hold: the held test of v_hold and v_ok reads their parents
SELECT FROM retention.place_hold('case 1', subject_kind => 'email', subject_value => 'held@example.com');
-- what tagging and the fixture did does not count
DELETE FROM regress_fr.spy_log;

CREATE TEMP VIEW job AS
SELECT pg_catalog.split_part(a.relation_name, '.', 2) AS rel, a.*
  FROM retention.action_log a
 WHERE a.run_id = (SELECT pg_catalog.max(run_id) FROM retention.run);

-- enforcement
SELECT lives_ok($$ CALL retention.enforce() $$, 'the run completes');
SELECT is((SELECT count(*) FROM regress_fr.spy_log WHERE who = 'regress_fr_victim'), 0::bigint,
          'enforce: the attacker''s policy never ran as the victim');
SELECT is((SELECT outcome || ' ' || error_sqlstate FROM job WHERE rel = 'v_fk'), 'error 42501',
          'foreign-key anchor on a parent with row security and another owner: the job is an error, 42501');
SELECT ok((SELECT error FROM job WHERE rel = 'v_fk') LIKE '%row security and another owner%',
          'the evidence says why, in the extension''s words');
SELECT is((SELECT outcome || ' ' || error_sqlstate FROM job WHERE rel = 'v_hold'), 'error 42501',
          'subject hold reaching through that parent: the job is an error, 42501');
SELECT is((SELECT count(*) FROM regress_fr.v_fk) + (SELECT count(*) FROM regress_fr.v_hold), 2::bigint,
          'their rows stay');
SELECT is((SELECT count(*) FROM regress_fr.v_plain), 0::bigint,
          'an unrelated table in the same run is enforced');
SELECT is((SELECT outcome || ' ' || rows_held FROM job WHERE rel = 'v_ok'), 'done 1',
          'control: the same layout without row security is enforced, the hold read through the parent');
SELECT is((SELECT array_agg(id ORDER BY id) FROM regress_fr.v_ok), ARRAY[1, 2],
          'control: the due row is deleted; the one the hold reaches through its parent and the one not due stay');
SELECT ok((SELECT last_error FROM retention.status WHERE table_name = 'regress_fr.v_fk'::regclass) LIKE '42501:%',
          'status shows the job''s error');

-- preview and status: the job is noted, not counted, and the view works
SELECT lives_ok($$ CREATE TEMP TABLE fr_preview AS SELECT * FROM retention.preview(now()) $$,
                'preview works');
SELECT lives_ok($$ CREATE TEMP TABLE fr_status AS SELECT * FROM retention.status $$,
                'status works');
SELECT is((SELECT note FROM fr_preview WHERE table_name = 'regress_fr.v_fk'::regclass AND column_name IS NULL),
          'SQLSTATE 42501', 'preview notes the refused job');
SELECT is((SELECT note FROM fr_status WHERE table_name = 'regress_fr.v_hold'::regclass AND column_name IS NULL),
          'SQLSTATE 42501', 'status notes the refused job');
SELECT is((SELECT rows_due FROM fr_preview WHERE table_name = 'regress_fr.v_ok'::regclass), 0::bigint,
          'control: preview counts the other table (its due row is gone)');
SELECT is((SELECT count(*) FROM regress_fr.spy_log WHERE who = 'regress_fr_victim'), 0::bigint,
          'preview, status: the attacker''s policy never ran as the victim');

-- erasure and export of a person in the victim's table
SELECT throws_ok($$ SELECT * FROM retention.erase_subject('{"email": "ana@example.com"}') $$, '42501',
                 'erasure failed: a table this job reads has row security and another owner',
                 'erasure refuses to read the parent as the victim');
SELECT throws_ok($$ SELECT * FROM retention.export_subject_rows('{"email": "ana@example.com"}') $$, '42501',
                 'a table this job reads has row security and another owner',
                 'export refuses to read the parent as the victim');
SELECT is((SELECT count(*) FROM regress_fr.v_fk WHERE email = 'ana@example.com'), 1::bigint,
          'erasure changed nothing');
SELECT is((SELECT count(*) FROM regress_fr.spy_log WHERE who = 'regress_fr_victim'), 0::bigint,
          'erasure, export: the attacker''s policy never ran as the victim');

SELECT * FROM finish();
ROLLBACK;
