-- Enforcement privileges: a superuser's CALL retention.enforce() must give a
-- table owner nothing.  A non-superuser owner plants code that runs inside
-- the batches on its tables (row triggers, a rule, a CHECK constraint, a
-- column default disguised as immutable, a trigger that changes settings)
-- and look-alikes of catalog functions and operators in schema public; the
-- run must execute owner code only as the owner in a security-restricted
-- operation, never resolve a name through public, leave the caller's
-- settings alone, and still process the due rows.  Also: the internal
-- keyed functions refuse direct calls, and PUBLIC can neither run
-- enforcement nor read its tables.
BEGIN;
SELECT plan(46);

SET LOCAL client_min_messages = warning;

-- ---------------------------------------------------------------------
-- The attacker: a plain login role that owns tagged tables, and may create
-- in schema public (as before PostgreSQL 15)
-- ---------------------------------------------------------------------
CREATE ROLE regress_owner LOGIN NOSUPERUSER;
CREATE ROLE regress_nobody NOLOGIN;
GRANT CREATE ON SCHEMA public TO regress_owner;
CREATE SCHEMA regress_priv AUTHORIZATION regress_owner;
SELECT FROM retention.define_category('regress_priv_rows', '1 day');
SELECT FROM retention.define_category('regress_priv_anon', '1 day', action => 'nullify');

SET LOCAL ROLE regress_owner;

-- what the planted code tried, as whom, and how it ended
CREATE TABLE regress_priv.attempts (
    via      text NOT NULL,
    what     text NOT NULL,
    cur      name NOT NULL,
    sess     name NOT NULL,
    outcome  text NOT NULL,
    sqlstate text,
    message  text
);
-- the planted code acts only once armed: while the superuser builds the
-- fixture as the owner (SET ROLE), it would otherwise run with the session
-- user's right to SET ROLE to anyone, which proves nothing about enforcement
CREATE TABLE regress_priv.armed (since timestamptz);
-- calls of the look-alikes in schema public (any caller may record)
CREATE TABLE regress_priv.marker (fn text NOT NULL, cur name NOT NULL);
GRANT USAGE ON SCHEMA regress_priv TO PUBLIC;
GRANT INSERT ON regress_priv.marker TO PUBLIC;

-- Everything below runs where search_path may be pg_catalog, pg_temp:
-- every name is qualified.
CREATE FUNCTION regress_priv.attempt(via text, what text, cmd text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    BEGIN
        EXECUTE cmd;
        INSERT INTO regress_priv.attempts
        VALUES (via, what, current_user, session_user, 'succeeded', NULL, NULL);
    EXCEPTION WHEN OTHERS THEN
        INSERT INTO regress_priv.attempts
        VALUES (via, what, current_user, session_user, 'failed', SQLSTATE, SQLERRM);
    END;
END
$$;

CREATE FUNCTION regress_priv.attempt_all(via text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM regress_priv.armed) THEN
        RETURN true;
    END IF;
    PERFORM regress_priv.attempt(via, 'alter role superuser', 'ALTER ROLE regress_owner SUPERUSER');
    PERFORM regress_priv.attempt(via, 'grant pg_read_server_files', 'GRANT pg_read_server_files TO regress_owner');
    PERFORM regress_priv.attempt(via, 'grant retention_admin', 'GRANT retention_admin TO regress_owner');
    PERFORM regress_priv.attempt(via, 'create role', 'CREATE ROLE regress_evil');
    PERFORM regress_priv.attempt(via, 'set role to the session user',
                                 pg_catalog.format('SET ROLE %I', session_user));
    PERFORM regress_priv.attempt(via, 'copy to program', 'COPY (SELECT 1) TO PROGRAM ''cat >/dev/null''');
    PERFORM regress_priv.attempt(via, 'read the key', 'SELECT key FROM retention._secret');
    PERFORM regress_priv.attempt(via, 'erase the evidence', 'DELETE FROM retention.action_log');
    -- the keyed functions are live during a batch: owner code must not
    -- use them as an oracle (pseudonym of a chosen value, hold probe)
    PERFORM regress_priv.attempt(via, 'pseudonym oracle',
                                 'SELECT retention._pseudonym(''ana@example.com'', 0, 0, ''public.t.c'')');  -- a guessed token
    PERFORM regress_priv.attempt(via, 'hold oracle',
                                 'SELECT retention._subject_held(''email'', ''ana@example.com'', 0)');
    RETURN true;
END
$$;

CREATE FUNCTION regress_priv.attack_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM regress_priv.attempt_all(TG_ARGV[0]);
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;

-- (e) a trigger that changes settings, to follow the caller out of the
-- batch; its table is created first, so that its job runs first and every
-- later job and evidence statement of the run would meet the settings
CREATE FUNCTION regress_priv.settings_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM regress_priv.armed) THEN
        RETURN OLD;
    END IF;
    PERFORM pg_catalog.set_config('search_path', 'public, pg_catalog', false);
    PERFORM pg_catalog.set_config('statement_timeout', '4242', false);
    PERFORM pg_catalog.set_config('lock_timeout', '4343', true);
    INSERT INTO regress_priv.attempts
    VALUES ('settings trigger', 'set search_path', current_user, session_user, 'ran', NULL, NULL);
    RETURN OLD;
END
$$;
CREATE TABLE regress_priv.t_settings (id int PRIMARY KEY, created_at timestamptz NOT NULL);
CREATE TRIGGER attack BEFORE DELETE ON regress_priv.t_settings
    FOR EACH ROW EXECUTE FUNCTION regress_priv.settings_trigger();
INSERT INTO regress_priv.t_settings VALUES (1, now() - interval '10 days'), (2, now());
SECURITY LABEL FOR retention ON TABLE regress_priv.t_settings
    IS 'category=regress_priv_rows anchor=created_at';

-- (a) a BEFORE DELETE row trigger on a table tag
CREATE TABLE regress_priv.t_delete (id int PRIMARY KEY, created_at timestamptz NOT NULL);
CREATE TRIGGER attack BEFORE DELETE ON regress_priv.t_delete
    FOR EACH ROW EXECUTE FUNCTION regress_priv.attack_trigger('delete trigger');
INSERT INTO regress_priv.t_delete VALUES
    (1, now() - interval '10 days'), (2, now() - interval '10 days'), (3, now());
SECURITY LABEL FOR retention ON TABLE regress_priv.t_delete
    IS 'category=regress_priv_rows anchor=created_at';

-- (b) a rule ON UPDATE on a table with a column tag
CREATE TABLE regress_priv.t_rule (id int PRIMARY KEY, created_at timestamptz NOT NULL, email text);
CREATE RULE attack AS ON UPDATE TO regress_priv.t_rule
    DO ALSO SELECT regress_priv.attempt_all('update rule');
INSERT INTO regress_priv.t_rule VALUES
    (1, now() - interval '10 days', 'ana@example.com'), (2, now(), 'bo@example.com');
SECURITY LABEL FOR retention ON COLUMN regress_priv.t_rule.email
    IS 'category=regress_priv_anon anchor=created_at';

-- (c) action=default with a default that claims to be immutable, a CHECK
-- constraint and a BEFORE UPDATE trigger
CREATE FUNCTION regress_priv.fake_default() RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    PERFORM regress_priv.attempt_all('column default');
    RETURN 'redacted';
END
$$;
CREATE FUNCTION regress_priv.check_attack(value text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    RETURN regress_priv.attempt_all('check constraint');
END
$$;
CREATE TABLE regress_priv.t_default (
    id         int PRIMARY KEY,
    created_at timestamptz NOT NULL,
    phone      text DEFAULT regress_priv.fake_default() CHECK (regress_priv.check_attack(phone))
);
CREATE TRIGGER attack BEFORE UPDATE ON regress_priv.t_default
    FOR EACH ROW EXECUTE FUNCTION regress_priv.attack_trigger('update trigger');
INSERT INTO regress_priv.t_default VALUES
    (1, now() - interval '10 days', '+15550001'), (2, now(), '+15550002');
SECURITY LABEL FOR retention ON COLUMN regress_priv.t_default.phone
    IS 'category=regress_priv_anon anchor=created_at action=default';

-- a deferred constraint trigger would fire at commit, after the batch, as
-- whoever commits: PostgreSQL refuses to queue it in a security-restricted
-- operation, so the job fails (recorded) and keeps its rows
CREATE TABLE regress_priv.t_deferred (id int PRIMARY KEY, created_at timestamptz NOT NULL);
CREATE CONSTRAINT TRIGGER attack AFTER DELETE ON regress_priv.t_deferred
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION regress_priv.attack_trigger('deferred trigger');
INSERT INTO regress_priv.t_deferred VALUES (1, now() - interval '10 days');
SECURITY LABEL FOR retention ON TABLE regress_priv.t_deferred
    IS 'category=regress_priv_rows anchor=created_at';

-- (d) look-alikes in schema public of what batch SQL might call unqualified
CREATE FUNCTION public.regress_mark(fn text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM regress_priv.armed) THEN
        RETURN;
    END IF;
    INSERT INTO regress_priv.marker VALUES (fn, current_user);
END
$$;
CREATE FUNCTION public.regress_count_final(n bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM public.regress_mark('count');
    RETURN n;
END
$$;
CREATE AGGREGATE public.count("any") (
    SFUNC = pg_catalog.int8inc_any, STYPE = bigint, INITCOND = '0',
    FINALFUNC = public.regress_count_final);
CREATE AGGREGATE public.count(*) (
    SFUNC = pg_catalog.int8inc, STYPE = bigint, INITCOND = '0',
    FINALFUNC = public.regress_count_final);
CREATE FUNCTION public.unnest(a anyarray) RETURNS SETOF anyelement
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM public.regress_mark('unnest');
    RETURN QUERY SELECT pg_catalog.unnest(a);
END
$$;
CREATE FUNCTION public.date_trunc(f text, v timestamptz, z text) RETURNS timestamptz
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM public.regress_mark('date_trunc');
    RETURN pg_catalog.date_trunc(f, v, z);
END
$$;
CREATE FUNCTION public.floor(v numeric) RETURNS numeric
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM public.regress_mark('floor');
    RETURN pg_catalog.floor(v);
END
$$;
CREATE FUNCTION public.now() RETURNS timestamptz
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM public.regress_mark('now');
    RETURN pg_catalog.now();
END
$$;
CREATE FUNCTION public.clock_timestamp() RETURNS timestamptz
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM public.regress_mark('clock_timestamp');
    RETURN pg_catalog.clock_timestamp();
END
$$;
CREATE FUNCTION public.length(v text) RETURNS integer
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM public.regress_mark('length');
    RETURN pg_catalog.length(v);
END
$$;
CREATE FUNCTION public.regress_le(a timestamptz, b timestamptz) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM public.regress_mark('<= (timestamptz, timestamptz)');
    RETURN a OPERATOR(pg_catalog.<=) b;
END
$$;
CREATE OPERATOR public.<= (LEFTARG = timestamptz, RIGHTARG = timestamptz,
                           FUNCTION = public.regress_le);
CREATE FUNCTION public.regress_tideq(a tid, b tid) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM public.regress_mark('= (tid, tid)');
    RETURN a OPERATOR(pg_catalog.=) b;
END
$$;
CREATE OPERATOR public.= (LEFTARG = tid, RIGHTARG = tid, FUNCTION = public.regress_tideq);
CREATE FUNCTION public.regress_texteq(a text, b text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM public.regress_mark('= (text, text)');
    RETURN a OPERATOR(pg_catalog.=) b;
END
$$;
CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.regress_texteq);

RESET ROLE;

SELECT is_empty(
    $$SELECT * FROM regress_priv.attempts$$,
    'the fixture was built without running the planted code');
INSERT INTO regress_priv.armed VALUES (now());

-- ---------------------------------------------------------------------
-- The planted code is really reached (else the assertions below prove
-- nothing): preview() evaluates the default as the owner
-- ---------------------------------------------------------------------
SELECT results_eq(
    $$SELECT table_name::text, column_name, rows_due
        FROM retention.preview() WHERE table_name::text LIKE 'regress\_priv.%'
       ORDER BY 1, 2 NULLS FIRST$$,
    $$VALUES ('regress_priv.t_default'::text, 'phone'::name, 1::bigint),
             ('regress_priv.t_deferred', NULL, 1),
             ('regress_priv.t_delete', NULL, 2),
             ('regress_priv.t_rule', 'email', 1),
             ('regress_priv.t_settings', NULL, 1)$$,
    'preview() as superuser counts the due rows of every planted table');

SELECT ok(
    EXISTS (SELECT 1 FROM regress_priv.attempts WHERE via = 'column default'),
    'preview() evaluated the owner''s default (the planted code runs)');

SELECT is(
    (SELECT pg_catalog.array_agg(DISTINCT cur) FROM regress_priv.attempts),
    ARRAY['regress_owner']::name[],
    'during preview() the owner''s code ran as the owner, not as the superuser');

SELECT is(
    (SELECT pg_catalog.count(*) FROM regress_priv.attempts
      WHERE what NOT IN ('pseudonym oracle', 'hold oracle')
        AND (outcome <> 'failed' OR sqlstate <> '42501')),
    0::bigint,
    'during preview() every privileged attempt of the owner''s code failed with 42501');

TRUNCATE regress_priv.attempts, regress_priv.marker;

-- ---------------------------------------------------------------------
-- The run, as superuser
-- ---------------------------------------------------------------------
CREATE TEMP TABLE regress_before AS
SELECT pg_catalog.current_setting('search_path') AS search_path,
       pg_catalog.current_setting('statement_timeout') AS statement_timeout,
       pg_catalog.current_setting('lock_timeout') AS lock_timeout;

CALL retention.enforce();

-- capture the settings at once, with qualified names only (if the owner's
-- search_path followed us out, unqualified names would reach public), then
-- put them back so that the rest of the file is not at the owner's mercy
CREATE TEMP TABLE regress_after AS
SELECT pg_catalog.current_setting('search_path') AS search_path,
       pg_catalog.current_setting('statement_timeout') AS statement_timeout,
       pg_catalog.current_setting('lock_timeout') AS lock_timeout;
RESET search_path;
RESET statement_timeout;
RESET lock_timeout;

-- ---------------------------------------------------------------------
-- Nothing was gained
-- ---------------------------------------------------------------------
SELECT is(
    (SELECT rolsuper FROM pg_roles WHERE rolname = 'regress_owner'),
    false,
    'regress_owner is still not a superuser');

SELECT ok(
    NOT pg_has_role('regress_owner', 'pg_read_server_files', 'MEMBER'),
    'regress_owner is not a member of pg_read_server_files');

SELECT ok(
    NOT pg_has_role('regress_owner', 'retention_admin', 'MEMBER'),
    'regress_owner is not a member of retention_admin');

SELECT hasnt_role('regress_evil', 'role regress_evil was not created');

SELECT is(
    (SELECT pg_catalog.count(*) FROM retention.action_log
      WHERE table_name LIKE 'regress\_priv.%'),
    5::bigint,
    'the evidence of the run is intact (one row per planted table)');

-- ---------------------------------------------------------------------
-- Every vector was reached, as the owner, and failed
-- ---------------------------------------------------------------------
SELECT set_eq(
    $$SELECT DISTINCT via FROM regress_priv.attempts$$,
    $$VALUES ('delete trigger'), ('update rule'), ('column default'),
             ('check constraint'), ('update trigger'), ('settings trigger')$$,
    'the delete trigger, the rule, the default, the CHECK constraint, the update trigger and the settings trigger all ran during the run');

SELECT is(
    (SELECT pg_catalog.array_agg(DISTINCT cur) FROM regress_priv.attempts),
    ARRAY['regress_owner']::name[],
    'all planted code ran as current_user regress_owner, never as the superuser');

SELECT is(
    (SELECT pg_catalog.array_agg(DISTINCT sess) FROM regress_priv.attempts),
    ARRAY[session_user]::name[],
    'while the session user was the superuser who called enforce()');

SELECT set_eq(
    $$SELECT DISTINCT what FROM regress_priv.attempts WHERE via = 'delete trigger'$$,
    ARRAY['alter role superuser', 'grant pg_read_server_files', 'grant retention_admin',
          'create role', 'set role to the session user', 'copy to program', 'read the key',
          'erase the evidence', 'pseudonym oracle', 'hold oracle'],
    'every attempt of the delete trigger was recorded');

SELECT is(
    (SELECT pg_catalog.count(*) FROM regress_priv.attempts
      WHERE via <> 'settings trigger' AND what NOT IN ('pseudonym oracle', 'hold oracle')
        AND outcome <> 'failed'),
    0::bigint,
    'no privileged attempt succeeded');

SELECT set_eq(
    $$SELECT DISTINCT what, sqlstate FROM regress_priv.attempts
       WHERE via <> 'settings trigger' AND what NOT IN ('pseudonym oracle', 'hold oracle')$$,
    $$VALUES ('alter role superuser', '42501'), ('grant pg_read_server_files', '42501'),
             ('grant retention_admin', '42501'), ('create role', '42501'),
             ('set role to the session user', '42501'), ('copy to program', '42501'),
             ('read the key', '42501'), ('erase the evidence', '42501')$$,
    'each privileged attempt failed with insufficient_privilege (42501), from every vector');

SELECT ok(
    EXISTS (SELECT 1 FROM regress_priv.attempts
             WHERE what = 'alter role superuser' AND via = 'delete trigger'
               AND message LIKE '%superuser%'),
    'ALTER ROLE ... SUPERUSER was refused for want of superuser');

SELECT ok(
    EXISTS (SELECT 1 FROM regress_priv.attempts
             WHERE what = 'set role to the session user'
               AND message LIKE 'cannot set parameter "role" within security-%'),
    'SET ROLE (the session user may become anyone) was refused: the batch runs with a local user id change');

SELECT is(
    (SELECT pg_catalog.string_agg(DISTINCT via || ': ' || what || ' ' || outcome, '; ')
       FROM regress_priv.attempts
      WHERE what IN ('pseudonym oracle', 'hold oracle') AND sqlstate IS DISTINCT FROM '42501'),
    NULL,
    'owner code inside a batch cannot use retention._pseudonym or retention._subject_held as an oracle (42501)');

SELECT is_empty(
    $$SELECT fn, cur FROM regress_priv.marker$$,
    'none of the look-alike functions and operators in schema public ran');

SELECT results_eq(
    $$SELECT search_path, statement_timeout, lock_timeout FROM regress_after$$,
    $$SELECT search_path, statement_timeout, lock_timeout FROM regress_before$$,
    'settings changed by the owner''s trigger (search_path, statement_timeout, lock_timeout) do not outlive the batch');

-- ---------------------------------------------------------------------
-- The due rows were processed all the same
-- ---------------------------------------------------------------------
SELECT results_eq(
    $$SELECT id FROM regress_priv.t_delete ORDER BY id$$,
    ARRAY[3],
    'the due rows of the table with the delete trigger were deleted, the other kept');

SELECT results_eq(
    $$SELECT id, email FROM regress_priv.t_rule ORDER BY id$$,
    $$VALUES (1, NULL::text), (2, 'bo@example.com')$$,
    'the due value of the table with the rule was nullified, the other kept');

SELECT results_eq(
    $$SELECT id, phone FROM regress_priv.t_default ORDER BY id$$,
    $$VALUES (1, 'redacted'), (2, '+15550002')$$,
    'the due value of the table with the default, CHECK and update trigger was set to the default, the other kept');

SELECT results_eq(
    $$SELECT id FROM regress_priv.t_settings ORDER BY id$$,
    ARRAY[2],
    'the due row of the table with the settings trigger was deleted');

SELECT results_eq(
    $$SELECT id FROM regress_priv.t_deferred ORDER BY id$$,
    ARRAY[1],
    'the row of the table with the deferred trigger was kept (its batch was rolled back)');

SELECT results_eq(
    $$SELECT table_name, rows_processed, outcome, error_sqlstate FROM retention.action_log
       WHERE table_name LIKE 'regress\_priv.%' ORDER BY table_name$$,
    $$VALUES ('regress_priv.t_default'::text, 1::bigint, 'done'::text, NULL::text),
             ('regress_priv.t_deferred', 0, 'error', '42501'),
             ('regress_priv.t_delete', 2, 'done', NULL),
             ('regress_priv.t_rule', 1, 'done', NULL),
             ('regress_priv.t_settings', 1, 'done', NULL)$$,
    'the evidence records every planted table as done, but the one with the deferred trigger as failed with 42501');

-- ---------------------------------------------------------------------
-- Internal keyed functions refuse direct calls (even from a superuser)
-- ---------------------------------------------------------------------
SELECT throws_ok(
    $$SELECT retention._pseudonym('x', 0, 0, 'public.t.c')$$,
    '42501', 'this function can only run inside pg_retention enforcement',
    'retention._pseudonym called directly raises 42501');
SELECT throws_ok(
    $$SELECT retention._is_pseudonym('x', 0, 0)$$,
    '42501', 'this function can only run inside pg_retention enforcement',
    'retention._is_pseudonym called directly raises 42501');
SELECT throws_ok(
    $$SELECT retention._subject_held('email', 'x', 0)$$,
    '42501', 'this function can only run inside pg_retention enforcement',
    'retention._subject_held called directly raises 42501');
SELECT throws_ok(
    $$SELECT retention._pseudonym_bytea('\x00'::bytea, 0, 'public.t.c')$$,
    '42501', 'this function can only run inside pg_retention enforcement',
    'retention._pseudonym_bytea called directly raises 42501');
SELECT throws_ok(
    $$SELECT retention._pseudonym_uuid('00000000-0000-0000-0000-000000000000'::uuid, 0, 'public.t.c')$$,
    '42501', 'this function can only run inside pg_retention enforcement',
    'retention._pseudonym_uuid called directly raises 42501');

-- ---------------------------------------------------------------------
-- PUBLIC can neither enforce nor read enforcement's tables
-- ---------------------------------------------------------------------
SELECT ok(
    NOT has_function_privilege('public', 'retention.enforce(regclass, text, interval)', 'EXECUTE')
    AND NOT has_function_privilege('public', 'retention.preview(timestamptz)', 'EXECUTE')
    AND NOT has_function_privilege('public', 'retention._tag_stats(timestamptz, boolean)', 'EXECUTE'),
    'PUBLIC may not execute retention.enforce, retention.preview or retention._tag_stats');

SELECT ok(
    NOT has_table_privilege('public', 'retention.status', 'SELECT')
    AND NOT has_table_privilege('public', 'retention.run', 'SELECT')
    AND NOT has_table_privilege('public', 'retention.action_log', 'SELECT')
    AND NOT has_table_privilege('public', 'retention.legal_hold', 'SELECT')
    AND NOT has_table_privilege('public', 'retention._secret', 'SELECT'),
    'PUBLIC may not select retention.status, run, action_log, legal_hold or _secret');

SELECT ok(
    NOT has_function_privilege('regress_owner', 'retention.enforce(regclass, text, interval)', 'EXECUTE')
    AND NOT has_table_privilege('regress_owner', 'retention._secret', 'SELECT'),
    'a table owner as such may neither enforce nor read the key');

SET LOCAL ROLE regress_nobody;
SELECT throws_ok(
    $$CALL retention.enforce()$$,
    '42501', NULL,
    'a role without retention_admin cannot CALL retention.enforce()');
SELECT throws_ok(
    $$SELECT * FROM retention.preview()$$,
    '42501', NULL,
    'a role without retention_admin cannot call retention.preview()');
SELECT throws_ok(
    $$SELECT * FROM retention._tag_stats(now(), true)$$,
    '42501', NULL,
    'a role without retention_admin cannot call retention._tag_stats()');
SELECT throws_ok(
    $$SELECT * FROM retention.status$$,
    '42501', NULL,
    'a role without retention_admin cannot select retention.status');
SELECT throws_ok(
    $$SELECT * FROM retention.run$$,
    '42501', NULL,
    'a role without retention_admin cannot select retention.run');
SELECT throws_ok(
    $$SELECT * FROM retention.action_log$$,
    '42501', NULL,
    'a role without retention_admin cannot select retention.action_log');
SELECT throws_ok(
    $$SELECT * FROM retention.legal_hold$$,
    '42501', NULL,
    'a role without retention_admin cannot select retention.legal_hold');
SELECT throws_ok(
    $$SELECT * FROM retention._secret$$,
    '42501', NULL,
    'a role without retention_admin cannot select retention._secret');
RESET ROLE;

-- the owner, too, is refused (it is not a retention_admin)
SET LOCAL ROLE regress_owner;
SELECT throws_ok(
    $$CALL retention.enforce(table_name => 'regress_priv.t_delete')$$,
    '42501', NULL,
    'the table owner cannot CALL retention.enforce() on its own table');
SELECT throws_ok(
    $$SELECT key FROM retention._secret$$,
    '42501', NULL,
    'the table owner cannot read the key');
RESET ROLE;

-- ---------------------------------------------------------------------
-- Sanity: the look-alikes do record when public comes before pg_catalog
-- (so the empty marker above means they were not reached)
-- ---------------------------------------------------------------------
SET LOCAL search_path = public, pg_catalog;
CREATE TEMP TABLE regress_sanity AS
SELECT count(*) AS n, count(x) AS nx, max(date_trunc('month', now(), 'UTC')) AS month,
       floor(1.5::numeric) AS f, length('abc'::text) AS l,
       bool_and(clock_timestamp() <= clock_timestamp()) AS le,
       bool_and('(0,1)'::tid = '(0,1)'::tid) AS tideq, bool_and('a'::text = 'a'::text) AS texteq
  FROM unnest(ARRAY[1, 2]) x;
RESET search_path;
SELECT set_eq(
    $$SELECT DISTINCT fn FROM regress_priv.marker$$,
    ARRAY['count', 'unnest', 'date_trunc', 'now', 'floor', 'length', 'clock_timestamp',
          '<= (timestamptz, timestamptz)', '= (tid, tid)', '= (text, text)'],
    'with public first on the search_path every look-alike records its call (the plants work)');

SELECT * FROM finish();
ROLLBACK;
