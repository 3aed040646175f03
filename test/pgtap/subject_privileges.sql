-- Data subject functions: who may call them, and what they can be made to
-- do.  PUBLIC and a plain role cannot call export_subject(_rows, _csv),
-- erase_subject, suppress or is_suppressed (42501), not even the C
-- functions when EXECUTE is granted to them directly; a member of
-- retention_dsr can, without any privilege on the tables searched.
-- Injection through kinds and values: unknown kinds are refused, values
-- are data (quotes, $$, backslashes, LIKE and regex wildcards, unicode);
-- identifiers with odd table and column names are quoted.  Look-alikes of
-- the functions and operators the generated SQL uses, planted in schema
-- public and put first on the caller's search_path, are never called.  The
-- search cannot be steered to untagged tables (only foreign-key children
-- of found rows are added).  Owner code (triggers) runs as the table's
-- owner, never as the caller or a superuser.
BEGIN;
SELECT plan(59);

SET LOCAL client_min_messages = warning;

-- SQLSTATE of a statement run as another role (NULL: no error).
CREATE FUNCTION pg_temp.sqlstate_as(r name, q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE state text;
BEGIN
    EXECUTE format('SET LOCAL ROLE %I', r);
    BEGIN
        EXECUTE q;
    EXCEPTION WHEN OTHERS THEN
        state := SQLSTATE;
    END;
    RESET ROLE;
    RETURN state;
END
$$;

-- =====================================================================
-- Roles, tables, tags
-- =====================================================================
CREATE ROLE regress_plain NOLOGIN;
CREATE ROLE regress_dsr_member NOLOGIN IN ROLE retention_dsr;
CREATE ROLE regress_owner NOLOGIN;
CREATE SCHEMA dsp AUTHORIZATION regress_owner;
SELECT FROM retention.define_category('dsp_rows', '1 year');
SELECT FROM retention.define_category('dsp_anon', '1 year', action => 'nullify');

SET LOCAL ROLE regress_owner;
CREATE TABLE dsp.person (id int PRIMARY KEY, email text, created_at timestamptz NOT NULL DEFAULT now());
-- column tags only: kept, anonymized
CREATE TABLE dsp.kept (id int PRIMARY KEY, person_id int REFERENCES dsp.person, email text, remark text,
                       at timestamptz NOT NULL DEFAULT now());
-- untagged, not linked: never searched, even though it holds e-mail addresses
CREATE TABLE dsp.crm (id int PRIMARY KEY, email text);
-- untagged, linked: a child of a found row
CREATE TABLE dsp.crm_child (id int PRIMARY KEY, person_id int NOT NULL REFERENCES dsp.person, email text);
-- a table and column whose names are SQL
CREATE TABLE dsp."we""ird; DROP TABLE dsp.crm; --" (id int PRIMARY KEY, "e-mail'$$ OR 1=1" text);
CREATE TABLE dsp."child $$ '" (id int PRIMARY KEY,
    "parent"")--" int REFERENCES dsp."we""ird; DROP TABLE dsp.crm; --");

-- what the owner's triggers saw
CREATE TABLE dsp.trig_log (op text, tbl text, cur name);
CREATE FUNCTION dsp.log_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO dsp.trig_log VALUES (TG_OP, TG_TABLE_NAME, current_user);
    RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END
$$;
CREATE TRIGGER log_update BEFORE UPDATE ON dsp.kept FOR EACH ROW EXECUTE FUNCTION dsp.log_trigger();
CREATE TRIGGER log_delete BEFORE DELETE ON dsp.person FOR EACH ROW EXECUTE FUNCTION dsp.log_trigger();
CREATE TRIGGER log_delete BEFORE DELETE ON dsp.crm_child FOR EACH ROW EXECUTE FUNCTION dsp.log_trigger();
RESET ROLE;

SELECT FROM retention.tag_table('dsp.person', 'dsp_rows', 'created_at');
SELECT FROM retention.tag_column('dsp.person', 'email', subject => 'email');
SELECT FROM retention.tag_column('dsp.kept', 'email', subject => 'email');
SELECT FROM retention.tag_column('dsp.kept', 'remark', 'dsp_anon', 'at');
SELECT FROM retention.tag_column('dsp."we""ird; DROP TABLE dsp.crm; --"', 'e-mail''$$ OR 1=1', subject => 'email');
SELECT is((SELECT count(*)::int FROM retention.tags WHERE object LIKE 'dsp.%' AND valid), 5, 'fixture: five valid tags');

INSERT INTO dsp.person VALUES (1, 'victim@example.com'), (2, 'other@example.com'), (3, 'o''brien$$\x%_@example.com'),
                              (4, 'Ána@Exämple.com'), (5, 'second@example.com'), (6, 'third@example.com');
INSERT INTO dsp.kept VALUES (11, 1, 'victim@example.com', 'r1'), (12, 2, 'other@example.com', 'r2'),
                            (15, 5, 'second@example.com', 'r5'), (16, 6, 'third@example.com', 'r6');
INSERT INTO dsp.crm VALUES (21, 'victim@example.com'), (22, 'VICTIM@example.com');
INSERT INTO dsp.crm_child VALUES (31, 1, 'victim@example.com'), (32, 2, 'other@example.com'),
                                 (35, 5, 'second@example.com'), (36, 6, 'third@example.com');
INSERT INTO dsp."we""ird; DROP TABLE dsp.crm; --" VALUES (41, ' Victim@Example.com'), (42, 'other@example.com');
INSERT INTO dsp."child $$ '" VALUES (51, 41), (52, 42);

-- =====================================================================
-- Who may call
-- =====================================================================
SELECT is((SELECT count(*)::int FROM pg_proc p
            WHERE p.oid IN ('retention.export_subject_rows(jsonb)'::regprocedure, 'retention.export_subject(jsonb)'::regprocedure,
                            'retention.export_subject_csv(jsonb)'::regprocedure, 'retention.erase_subject(jsonb, boolean)'::regprocedure,
                            'retention.suppress(text, text, text)'::regprocedure, 'retention.is_suppressed(text, text)'::regprocedure)
              AND p.proacl IS NOT NULL
              AND NOT EXISTS (SELECT FROM aclexplode(p.proacl) a WHERE a.grantee = 0)
              AND EXISTS (SELECT FROM aclexplode(p.proacl) a WHERE a.grantee = 'retention_dsr'::regrole AND a.privilege_type = 'EXECUTE')),
          6, 'the six functions: no EXECUTE for PUBLIC, EXECUTE for retention_dsr');

SELECT is(pg_temp.sqlstate_as('regress_plain', $$SELECT * FROM retention.export_subject_rows('{"email": "victim@example.com"}')$$),
          '42501', 'plain role: export_subject_rows refused');
SELECT is(pg_temp.sqlstate_as('regress_plain', $$SELECT retention.export_subject('{"email": "victim@example.com"}')$$),
          '42501', 'plain role: export_subject refused');
SELECT is(pg_temp.sqlstate_as('regress_plain', $$SELECT * FROM retention.export_subject_csv('{"email": "victim@example.com"}')$$),
          '42501', 'plain role: export_subject_csv refused');
SELECT is(pg_temp.sqlstate_as('regress_plain', $$SELECT * FROM retention.erase_subject('{"email": "victim@example.com"}')$$),
          '42501', 'plain role: erase_subject refused');
SELECT is(pg_temp.sqlstate_as('regress_plain', $$SELECT * FROM retention.erase_subject('{"email": "victim@example.com"}', true)$$),
          '42501', 'plain role: erase_subject dry run refused');
SELECT is(pg_temp.sqlstate_as('regress_plain', $$SELECT retention.suppress('email', 'victim@example.com')$$),
          '42501', 'plain role: suppress refused');
SELECT is(pg_temp.sqlstate_as('regress_plain', $$SELECT retention.is_suppressed('email', 'victim@example.com')$$),
          '42501', 'plain role: is_suppressed refused');
SELECT is(pg_temp.sqlstate_as('regress_plain', $$SELECT * FROM retention.dsr_request$$),
          '42501', 'plain role: cannot read the request log');
SELECT is(pg_temp.sqlstate_as('regress_plain', $$SELECT * FROM retention.suppression$$),
          '42501', 'plain role: cannot read the suppression list');

-- EXECUTE granted by mistake: the C functions still refuse non-members
GRANT EXECUTE ON FUNCTION retention.export_subject_rows(jsonb), retention.export_subject(jsonb),
                          retention.export_subject_csv(jsonb), retention.erase_subject(jsonb, boolean),
                          retention.suppress(text, text, text), retention.is_suppressed(text, text)
   TO regress_plain;
SELECT is(pg_temp.sqlstate_as('regress_plain', $$SELECT * FROM retention.export_subject_rows('{"email": "victim@example.com"}')$$),
          '42501', 'EXECUTE granted to a non-member: export_subject_rows still refused');
SELECT is(pg_temp.sqlstate_as('regress_plain', $$SELECT retention.export_subject('{"email": "victim@example.com"}')$$),
          '42501', 'EXECUTE granted to a non-member: export_subject still refused');
SELECT is(pg_temp.sqlstate_as('regress_plain', $$SELECT * FROM retention.erase_subject('{"email": "victim@example.com"}')$$),
          '42501', 'EXECUTE granted to a non-member: erase_subject still refused');
SELECT is(pg_temp.sqlstate_as('regress_plain', $$SELECT retention.suppress('email', 'victim@example.com')$$),
          '42501', 'EXECUTE granted to a non-member: suppress still refused');
-- is_suppressed is meant to be granted to importing roles (see its comment)
SELECT is(pg_temp.sqlstate_as('regress_plain', $$SELECT retention.is_suppressed('email', 'victim@example.com')$$),
          NULL, 'EXECUTE granted: is_suppressed answers (for imports)');
REVOKE EXECUTE ON FUNCTION retention.export_subject_rows(jsonb), retention.export_subject(jsonb),
                           retention.export_subject_csv(jsonb), retention.erase_subject(jsonb, boolean),
                           retention.suppress(text, text, text), retention.is_suppressed(text, text)
    FROM regress_plain;
SELECT is((SELECT count(*)::int FROM dsp.person), 6, 'refused calls changed nothing');
SELECT is((SELECT count(*)::int FROM retention.suppression), 0, 'refused calls suppressed nothing');

-- a member of retention_dsr may, without any privilege on the tables
SELECT is(pg_temp.sqlstate_as('regress_dsr_member', $$SELECT * FROM dsp.person$$), '42501',
          'the member cannot read the tables itself');
SELECT is(pg_temp.sqlstate_as('regress_dsr_member', $$SELECT * FROM retention.dsr_request$$), NULL,
          'the member can read the request log');
SELECT is(pg_temp.sqlstate_as('regress_dsr_member', $$SELECT * FROM retention.export_subject_rows('{"email": "nobody@example.com"}')$$),
          NULL, 'the member: export_subject_rows');
SELECT is(pg_temp.sqlstate_as('regress_dsr_member', $$SELECT retention.export_subject('{"email": "nobody@example.com"}')$$),
          NULL, 'the member: export_subject');
SELECT is(pg_temp.sqlstate_as('regress_dsr_member', $$SELECT * FROM retention.export_subject_csv('{"email": "nobody@example.com"}')$$),
          NULL, 'the member: export_subject_csv');
SELECT is(pg_temp.sqlstate_as('regress_dsr_member', $$SELECT * FROM retention.erase_subject('{"email": "nobody@example.com"}', true)$$),
          NULL, 'the member: erase_subject (dry run)');
SELECT is(pg_temp.sqlstate_as('regress_dsr_member', $$SELECT * FROM retention.erase_subject('{"email": "nobody@example.com"}')$$),
          NULL, 'the member: erase_subject');
SELECT is(pg_temp.sqlstate_as('regress_dsr_member', $$SELECT retention.suppress('email', 'member-test@example.com')$$),
          NULL, 'the member: suppress');
SELECT is(pg_temp.sqlstate_as('regress_dsr_member', $$SELECT retention.is_suppressed('email', 'member-test@example.com')$$),
          NULL, 'the member: is_suppressed');

-- =====================================================================
-- Hostile search_path: look-alikes in schema public, first on the path
-- =====================================================================
CREATE TABLE public.regress_marker (fn text);
GRANT INSERT, SELECT ON public.regress_marker TO PUBLIC;
CREATE FUNCTION public.normalize_identifier(kind text, value text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN INSERT INTO public.regress_marker VALUES ('normalize_identifier'); RETURN value; END $$;
CREATE FUNCTION public.to_jsonb(anyelement) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN INSERT INTO public.regress_marker VALUES ('to_jsonb'); RETURN '{}'; END $$;
CREATE FUNCTION public.jsonb_build_object(text, integer) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN INSERT INTO public.regress_marker VALUES ('jsonb_build_object'); RETURN '{}'; END $$;
CREATE FUNCTION public.due_time(timestamptz, interval, text, text) RETURNS timestamptz LANGUAGE plpgsql AS $$
BEGIN INSERT INTO public.regress_marker VALUES ('due_time'); RETURN NULL; END $$;
CREATE FUNCTION public.regress_text_eq(text, text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN INSERT INTO public.regress_marker VALUES ('= text'); RETURN true; END $$;
CREATE FUNCTION public.regress_int_eq(integer, integer) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN INSERT INTO public.regress_marker VALUES ('= integer'); RETURN true; END $$;
CREATE FUNCTION public.regress_tid_eq(tid, tid) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN INSERT INTO public.regress_marker VALUES ('= tid'); RETURN true; END $$;
CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.regress_text_eq);
CREATE OPERATOR public.= (LEFTARG = integer, RIGHTARG = integer, FUNCTION = public.regress_int_eq);
CREATE OPERATOR public.= (LEFTARG = tid, RIGHTARG = tid, FUNCTION = public.regress_tid_eq);

CREATE TEMP TABLE p_out (what text, n bigint);
GRANT ALL ON p_out TO regress_dsr_member;
CREATE TEMP TABLE p_log (caller text, op text, tbl text, cur name);
-- runs "INSERT INTO p_out SELECT what, (q)"; records a failure instead
-- (uses no operator that the look-alikes could capture)
CREATE FUNCTION pg_temp.try_out(what text, q text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE 'INSERT INTO p_out SELECT $1, (' || q || ')' USING what;
EXCEPTION WHEN OTHERS THEN
    INSERT INTO p_out VALUES (what || ' failed: ' || SQLSTATE, NULL);
END
$$;
SET LOCAL search_path = public, pg_catalog;
SET LOCAL ROLE regress_dsr_member;
SELECT pg_temp.try_out('rows', $$SELECT count(*) FROM retention.export_subject_rows('{"email": "victim@example.com"}')$$);
SELECT pg_temp.try_out('doc', $$SELECT jsonb_array_length(retention.export_subject('{"email": "victim@example.com"}') -> 'tables')$$);
SELECT pg_temp.try_out('csv', $$SELECT count(*) FROM retention.export_subject_csv('{"email": "victim@example.com"}')$$);
SELECT pg_temp.try_out('dry', $$SELECT sum(rows_found) FROM retention.erase_subject('{"email": "second@example.com"}', true)$$);
SELECT pg_temp.try_out('erase', $$SELECT sum(rows_found) FROM retention.erase_subject('{"email": "second@example.com"}')$$);
SELECT pg_temp.try_out('suppress', $$SELECT count(*) FROM (SELECT retention.suppress('email', 'optout@example.com')) x$$);
SELECT pg_temp.try_out('suppressed', $$SELECT retention.is_suppressed('email', 'optout@example.com')::int$$);
RESET ROLE;
RESET search_path;
INSERT INTO p_log SELECT 'member', * FROM dsp.trig_log;
DELETE FROM dsp.trig_log;

SELECT is((SELECT count(*)::int FROM public.regress_marker), 0,
          'no look-alike in public was called (normalize_identifier, to_jsonb, jsonb_build_object, due_time, = for text, integer, tid)');
SELECT is((SELECT array_agg(what || '=' || coalesce(n::text, '-') ORDER BY what) FROM p_out),
          ARRAY['csv=15', 'doc=5', 'dry=3', 'erase=3', 'rows=5', 'suppress=1', 'suppressed=1'],
          'the member''s calls did their work under the hostile path');
-- control: the look-alikes do fire when a name is resolved through public
SET LOCAL search_path = public, pg_catalog;
SELECT FROM normalize_identifier('email', 'x') WHERE 'a' = 'b';
RESET search_path;
SELECT is((SELECT array_agg(fn ORDER BY fn) FROM public.regress_marker), ARRAY['= text', 'normalize_identifier'],
          'control: the look-alikes are called when resolved through the path');
DROP OPERATOR public.= (text, text);
DROP OPERATOR public.= (integer, integer);
DROP OPERATOR public.= (tid, tid);

-- =====================================================================
-- Not steerable: only tagged columns are searched, FK children added
-- =====================================================================
SELECT is((SELECT array_agg(table_name::text || ' ' || row_key::text ORDER BY table_name::text, row_key::text)
             FROM retention.export_subject_rows('{"email": "VICTIM@example.com "}')),
          ARRAY['dsp."child $$ ''" {"id": 51}', 'dsp."we""ird; DROP TABLE dsp.crm; --" {"id": 41}',
                'dsp.crm_child {"id": 31}', 'dsp.kept {"id": 11}', 'dsp.person {"id": 1}'],
          'victim: tagged tables (also with odd names) and FK children; never the untagged dsp.crm');
SELECT is((SELECT row_data ->> 'e-mail''$$ OR 1=1' FROM retention.export_subject_rows('{"email": "victim@example.com"}')
            WHERE row_key = '{"id": 41}'), ' Victim@Example.com',
          'odd column name: its value exported under its name');

-- =====================================================================
-- Injection through kinds and values
-- =====================================================================
SELECT throws_ok($$SELECT * FROM retention.export_subject_rows('{"email; DROP TABLE dsp.crm; --": "x"}')$$, '22023',
                 'no tag declares subject kind "email; DROP TABLE dsp.crm; --"', 'a kind with SQL: unknown kind');
SELECT throws_ok($$SELECT * FROM retention.export_subject_rows('{"email''": "x"}')$$, '22023',
                 'no tag declares subject kind "email''"', 'a kind with a quote: unknown kind');
SELECT throws_ok($$SELECT * FROM retention.erase_subject('{"email'') OR true --": "x"}')$$, '22023',
                 NULL, 'erase: a kind with SQL: unknown kind');
SELECT throws_ok($q$SELECT * FROM retention.export_subject_rows('{"email": "x", "$$; DROP TABLE dsp.crm; $$": "y"}')$q$, '22023',
                 NULL, 'a kind with dollar quotes after a good one: unknown kind');
-- values that name nobody (no "@" with text on both sides) are refused
SELECT throws_ok(format('SELECT * FROM retention.export_subject_rows(%L)', v), '22023', NULL,
                 format('value %s: names nobody, refused', v))
  FROM (VALUES ('{"email": "x'' OR ''1''=''1"}'::jsonb),
               ('{"email": "'') OR true --"}'),
               ('{"email": "%"}'),
               ('{"email": ".*"}'),
               ('{"email": "*"}')) t(v);
SELECT is((SELECT count(*)::int FROM retention.export_subject_rows(v))
          , 0, format('value %s: treated as data, no match', v))
  FROM (VALUES ('{"email": "x'' OR ''1''=''1@example.com"}'::jsonb),
               ('{"email": "'') OR true --@example.com"}'),
               ('{"email": "$$; DROP TABLE dsp.crm; $$@example.com"}'),
               ('{"email": "\\\\''; SELECT 1; --@example.com"}'),
               ('{"email": "_%@example.com"}')) t(v);
SELECT is((SELECT array_agg(row_key::text ORDER BY row_key::text) FROM retention.export_subject_rows('{"email": " O''BRIEN$$\\x%_@Example.COM"}')),
          ARRAY['{"id": 3}'], 'a stored address full of quotes, $$, backslash and wildcards: found exactly');
SELECT is((SELECT array_agg(row_key::text ORDER BY row_key::text) FROM retention.export_subject_rows('{"email": " Ána@Exämple.COM"}')),
          ARRAY['{"id": 4}'], 'unicode: found in another case of its ASCII letters');
CREATE TEMP TABLE p_before AS SELECT (SELECT array_agg(row_to_json(p)::text ORDER BY id) FROM dsp.person p) AS person,
                                     (SELECT array_agg(row_to_json(k)::text ORDER BY id) FROM dsp.kept k) AS kept;
SELECT is((SELECT count(*)::int FROM retention.erase_subject('{"email": ["x'' OR ''1''=''1@example.com", "%@%", "$$; DELETE FROM dsp.person; $$@example.com"]}')),
          0, 'erase with hostile values: nothing found');
SELECT is((SELECT row(person, kept)::text FROM p_before),
          (SELECT row((SELECT array_agg(row_to_json(p)::text ORDER BY id) FROM dsp.person p),
                      (SELECT array_agg(row_to_json(k)::text ORDER BY id) FROM dsp.kept k))::text),
          'erase with hostile values: nothing changed');
SELECT has_table('dsp', 'crm', 'nothing was dropped');
SELECT is((SELECT count(*)::int FROM dsp.crm), 2, 'the untagged table is untouched');

-- =====================================================================
-- Owner code runs as the owner
-- =====================================================================
SELECT is(pg_temp.sqlstate_as('regress_dsr_member', $$SELECT * FROM retention.erase_subject('{"email": "victim@example.com"}')$$),
          NULL, 'the member erases the victim');
INSERT INTO p_log SELECT 'member', * FROM dsp.trig_log;
DELETE FROM dsp.trig_log;
SELECT FROM retention.erase_subject('{"email": "third@example.com"}');   -- as the superuser
INSERT INTO p_log SELECT 'superuser', * FROM dsp.trig_log;

SELECT is((SELECT array_agg(DISTINCT caller || ' ' || op || ' ' || tbl) FROM p_log),
          ARRAY['member DELETE crm_child', 'member DELETE person', 'member UPDATE kept',
                'superuser DELETE crm_child', 'superuser DELETE person', 'superuser UPDATE kept'],
          'the owner''s triggers fired on delete and update, for both callers');
SELECT is((SELECT array_agg(DISTINCT cur) FROM p_log), ARRAY['regress_owner'::name],
          'owner triggers ran as the owner, never as the caller or the superuser');
SELECT is((SELECT row(person_id, email, remark)::text FROM dsp.kept WHERE id = 11), '(,,)',
          'the member''s erasure: kept row anonymized');
SELECT is((SELECT count(*)::int FROM dsp.person WHERE id IN (1, 5, 6)), 0, 'the erased people are gone');
SELECT is((SELECT count(*)::int FROM dsp.person WHERE id IN (2, 3, 4)), 3, 'the others are not');
SELECT is((SELECT requested_by FROM retention.dsr_request WHERE kind = 'erase' ORDER BY request_id LIMIT 1),
          session_user::name, 'request log: requested_by is the session user');

SELECT * FROM finish();
ROLLBACK;
