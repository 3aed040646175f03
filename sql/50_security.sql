-- Attacks: tagging someone else's table, label injection, hostile objects
-- planted before CREATE EXTENSION, a hostile pre-created schema, and a
-- planted broken tag.  Every attack must fail or be harmless, and nothing
-- of a label may ever run as SQL.
\set VERBOSITY default
\set SHOW_CONTEXT never
-- try(sql): 'ok' or the error (test/sql/try.sql, shared by the pg_regress files)
\set ECHO none
\i test/sql/try.sql
\set ECHO all
\set regress_db :DBNAME

SELECT name FROM retention.define_category('sec_rows', '1 year');                          -- ok
SELECT name FROM retention.define_category('sec_values', '1 year', action => 'nullify');   -- ok
CREATE ROLE regress_owner;                                       -- ok
CREATE ROLE regress_intruder;                                    -- ok
CREATE TABLE regress_secret (
    id         integer PRIMARY KEY,
    created_at timestamptz,
    email      text,
    note       text
);                                                               -- ok
ALTER TABLE regress_secret OWNER TO regress_owner;               -- ok
GRANT SELECT, INSERT, UPDATE, DELETE ON regress_secret TO regress_intruder; -- ok: everything but ownership
SET ROLE regress_owner;                                          -- ok
SELECT retention.tag_table('regress_secret', 'sec_rows', 'created_at');            -- ok: the owner tags, no superuser needed
SELECT retention.tag_column('regress_secret', 'email', 'sec_values', 'created_at'); -- ok
RESET ROLE;                                                      -- ok

--
-- (a) Only the owner tags: a user with every table privilege but ownership
-- gets PostgreSQL's own "must be owner" error, through SECURITY LABEL and
-- through the helpers alike
--
SET ROLE regress_intruder;                                       -- ok
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_secret IS 'category=sec_rows anchor=created_at action=delete'$$); -- fails: not owner
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_secret IS NULL$$);                              -- fails: not owner, not even to remove
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_secret.note IS 'category=sec_values anchor=created_at'$$); -- fails: not owner
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_secret.email IS NULL$$);                       -- fails: not owner
SELECT pg_temp.try($$SELECT retention.tag_table('regress_secret', 'sec_rows', 'created_at', 'delete')$$);          -- fails: not owner
SELECT pg_temp.try($$SELECT retention.tag_column('regress_secret', 'note', 'sec_values', 'created_at')$$);         -- fails: not owner
SELECT pg_temp.try($$SELECT retention.tag_column('regress_secret', 'email', subject => 'email')$$);                -- fails: not owner
SELECT pg_temp.try($$SELECT retention.untag('regress_secret')$$);                                                  -- fails: not owner
SELECT pg_temp.try($$SELECT retention.untag('regress_secret', 'email')$$);                                         -- fails: not owner
RESET ROLE;                                                      -- ok
SELECT object, label FROM retention.tags
 WHERE table_name = 'regress_secret'::regclass ORDER BY object COLLATE "C"; -- ok: the owner's two tags, unchanged

--
-- (b) Label injection: nothing in a label is ever executed.  regress_mark()
-- records every call; the marker table must stay empty.
--
CREATE TABLE regress_marker (what text);                         -- ok
CREATE FUNCTION regress_mark() RETURNS text LANGUAGE sql
    AS $$ INSERT INTO public.regress_marker VALUES ('called') RETURNING what $$; -- ok
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_secret IS 'category=sec_rows anchor=regress_mark()'$$);           -- fails: a call
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_secret IS 'category=sec_rows anchor=created_at; SELECT regress_mark()'$$); -- fails: ";"
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_secret IS 'category=sec_rows anchor="a"; SELECT regress_mark()'$$); -- fails: ";" after a quoted name
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_secret IS 'category=sec_rows anchor=created_at''; SELECT regress_mark(); --'$$); -- fails: single quote
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_secret IS 'category=$x$sec_rows$x$ anchor=created_at'$$);     -- fails: dollar quoting
SELECT pg_temp.try($t$SECURITY LABEL FOR retention ON TABLE regress_secret IS 'category=sec_rows anchor=$$created_at$$'$t$);   -- fails: dollar quoting
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_secret IS 'category=sec_rows anchor=(SELECT 1)'$$);           -- fails: a subquery
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_secret IS 'category=sec_rows anchor=(SELECT regress_mark())'$$); -- fails: a subquery
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_secret IS 'category=sec_rows anchor=now()'$$);                -- fails: a call
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_secret IS 'category=sec_rows anchor=created_at action=pg_sleep(10)'$$); -- fails: unknown action, no sleep
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_secret.note IS 'category=sec_values anchor=created_at action=mask keep=1;SELECT/**/regress_mark()'$$); -- fails: after a number
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_secret IS E'category=sec_rows anchor=created_at\n; SELECT regress_mark()'$$); -- fails: a new line does not start a statement
-- well-formed labels whose quoted names contain SQL: they are names, nothing more
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_secret IS 'category="x""; SELECT regress_mark(); --" anchor=created_at'$$);  -- fails: no such category
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_secret IS 'category=sec_rows anchor="created_at); SELECT regress_mark(); --"'$$); -- fails: no such column
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_secret IS 'category=sec_rows anchor=id->"regress_secret; SELECT regress_mark()".created_at'$$); -- fails: no such foreign key
-- the same through the helpers (they quote what they pass on)
SELECT pg_temp.try($$SELECT retention.tag_column('regress_secret', 'note', 'sec_values', 'created_at;select/**/regress_mark()')$$); -- fails: grammar
SELECT pg_temp.try($$SELECT retention.tag_column('regress_secret', 'note', 'sec_values', 'created_at; SELECT regress_mark()')$$);   -- fails: white space
SELECT pg_temp.try($$SELECT retention.tag_column('regress_secret', 'note', $c$sec_values'); SELECT regress_mark(); --$c$, 'created_at')$$); -- fails: no such category
SELECT pg_temp.try($$SELECT retention.tag_column('regress_secret', 'note', 'sec_values', 'created_at', 'hash'' IS NULL; SELECT regress_mark(); --')$$); -- fails: white space
SELECT pg_temp.try($$SELECT retention.tag_column('regress_secret', 'note"; SELECT regress_mark(); --', 'sec_values', 'created_at')$$); -- fails: no such column
SELECT pg_temp.try($$SELECT retention.tag_column('regress_secret', 'note', subject => $s$email'; SELECT regress_mark(); --$s$)$$);  -- fails: white space
SELECT pg_temp.try($$SELECT retention.tag_table('regress_secret; SELECT regress_mark()', 'sec_rows', 'created_at')$$);  -- fails: not a table name
SELECT pg_temp.try($$SELECT retention.untag('regress_secret', 'note"; SELECT regress_mark(); --')$$);                  -- fails: no such column
SELECT pg_temp.try($$SELECT retention.define_category('x''); SELECT regress_mark(); --', '1 day')$$);                 -- fails: invalid name
-- a column renamed to a name full of SQL: the DDL guard rewrites the label with the name quoted
ALTER TABLE regress_secret RENAME COLUMN created_at TO "created_at""); SELECT regress_mark(); --"; -- ok: NOTICE, label follows
SELECT object, anchor, valid, label FROM retention.tags
 WHERE table_name = 'regress_secret'::regclass ORDER BY object COLLATE "C"; -- ok: anchor quoted, still valid
ALTER TABLE regress_secret RENAME COLUMN "created_at""); SELECT regress_mark(); --" TO created_at; -- ok: NOTICE, back again
SELECT count(*) AS marker_rows FROM regress_marker;              -- ok: 0, nothing was executed
-- the marker does work: a direct call is recorded
BEGIN;                                                           -- ok
SELECT regress_mark();                                           -- ok
SELECT count(*) AS marker_rows FROM regress_marker;              -- ok: 1
ROLLBACK;                                                        -- ok

--
-- A broken tag planted by an unprivileged table owner (restore mode is open
-- to everyone) must not stop retention_admin from changing the category
--
CREATE TABLE regress_planted (id integer, created_at timestamptz); -- ok
ALTER TABLE regress_planted OWNER TO regress_intruder;           -- ok
SET ROLE regress_intruder;                                       -- ok
SET check_function_bodies = off;                                 -- ok
SECURITY LABEL FOR retention ON TABLE regress_planted IS 'category=sec_rows anchor=no_such_column'; -- ok: only the shape is checked
RESET check_function_bodies;                                     -- ok
RESET ROLE;                                                      -- ok
SELECT object, valid, problem FROM retention.tags WHERE table_name = 'regress_planted'::regclass; -- ok: not valid
SELECT pg_temp.try($$SELECT retention.alter_category('sec_rows', description => 'Rows of regress_secret')$$); -- ok: a description change breaks no tag (BUG today: refused)
SELECT pg_temp.try($$SELECT retention.alter_category('sec_rows', period => '2 years')$$);                     -- ok: a period change breaks no tag (BUG today: refused)
DROP TABLE regress_planted;                                      -- ok

--
-- Internal functions called directly
--
SELECT pg_temp.try($$SELECT retention._ddl_guard_start()$$);     -- fails: only for event triggers
SELECT pg_temp.try($$SELECT retention._ddl_guard_start()$$)
       ~ E'\n(DETAIL|HINT): ' AS has_detail_or_hint;             -- ok: t (BUG today: this error has neither)

DROP TABLE regress_secret, regress_marker;                       -- ok
DROP FUNCTION regress_mark();                                    -- ok
SELECT retention.drop_category('sec_rows');                      -- ok
SELECT retention.drop_category('sec_values');                    -- ok

--
-- (c) Hostile objects planted in schema public before CREATE EXTENSION, by
-- a non-superuser, named like what the extension calls; then the extension
-- is installed and used by a superuser whose search_path is public.
-- (No pg_temp.try here: its own || and coalesce would resolve through the
-- hostile objects.  Errors are shown by psql, SQLSTATE by \echo.)
--
CREATE ROLE regress_hostile;                                     -- ok
CREATE DATABASE regress_hostile;                                 -- ok
\c regress_hostile
GRANT CREATE ON SCHEMA public TO regress_hostile;                -- ok: a careless but common setup
SET ROLE regress_hostile;                                        -- ok
CREATE TABLE public.regress_marker (what text);                  -- ok
GRANT SELECT, INSERT ON public.regress_marker TO PUBLIC;         -- ok
CREATE FUNCTION public.regress_mark(what text) RETURNS void LANGUAGE sql
    AS $$ INSERT INTO public.regress_marker VALUES (what) $$;    -- ok
-- functions named like the extension's
CREATE FUNCTION public.define_category(name text, period interval, starts text DEFAULT 'exact',
    action text DEFAULT 'delete', description text DEFAULT NULL, purpose text DEFAULT NULL,
    legal_basis text DEFAULT NULL, time_zone text DEFAULT 'UTC') RETURNS void LANGUAGE sql
    AS $$ SELECT public.regress_mark('define_category') $$;      -- ok
CREATE FUNCTION public.tag_table(regclass, text, text, text DEFAULT NULL) RETURNS text LANGUAGE sql
    AS $$ SELECT public.regress_mark('tag_table'); SELECT 'x' $$; -- ok
CREATE FUNCTION public.tag_column(regclass, name, text DEFAULT NULL, text DEFAULT NULL, text DEFAULT NULL,
    text DEFAULT NULL, integer DEFAULT NULL, bigint DEFAULT NULL) RETURNS text LANGUAGE sql
    AS $$ SELECT public.regress_mark('tag_column'); SELECT 'x' $$; -- ok
CREATE FUNCTION public.untag(regclass, name DEFAULT NULL) RETURNS boolean LANGUAGE sql
    AS $$ SELECT public.regress_mark('untag'); SELECT true $$;   -- ok
CREATE FUNCTION public._label_word(text, text) RETURNS text LANGUAGE sql
    AS $$ SELECT public.regress_mark('_label_word'); SELECT '' $$; -- ok
-- functions named like built-ins, some with a closer signature than pg_catalog's
CREATE FUNCTION public.quote_ident(text) RETURNS text LANGUAGE sql
    AS $$ SELECT public.regress_mark('quote_ident(text)'); SELECT $1 $$;    -- ok
CREATE FUNCTION public.quote_ident(name) RETURNS text LANGUAGE sql
    AS $$ SELECT public.regress_mark('quote_ident(name)'); SELECT $1::text $$; -- ok
CREATE FUNCTION public.format(text, text) RETURNS text LANGUAGE sql
    AS $$ SELECT public.regress_mark('format(text,text)'); SELECT $1 $$;    -- ok
CREATE FUNCTION public.format(text, regclass, text) RETURNS text LANGUAGE sql
    AS $$ SELECT public.regress_mark('format(text,regclass,text)'); SELECT 'SELECT 1' $$; -- ok
CREATE FUNCTION public.format(text, regclass, name, text) RETURNS text LANGUAGE sql
    AS $$ SELECT public.regress_mark('format(text,regclass,name,text)'); SELECT 'SELECT 1' $$; -- ok
CREATE FUNCTION public.format(text, regclass) RETURNS text LANGUAGE sql
    AS $$ SELECT public.regress_mark('format(text,regclass)'); SELECT 'SELECT 1' $$; -- ok
CREATE FUNCTION public.format(text, regclass, name) RETURNS text LANGUAGE sql
    AS $$ SELECT public.regress_mark('format(text,regclass,name)'); SELECT 'SELECT 1' $$; -- ok
CREATE FUNCTION public.now() RETURNS timestamptz LANGUAGE sql
    AS $$ SELECT public.regress_mark('now'); SELECT pg_catalog.now() $$;   -- ok
CREATE FUNCTION public.lower(text) RETURNS text LANGUAGE sql
    AS $$ SELECT public.regress_mark('lower'); SELECT $1 $$;                -- ok
CREATE FUNCTION public.ltrim(text) RETURNS text LANGUAGE sql
    AS $$ SELECT public.regress_mark('ltrim'); SELECT $1 $$;                -- ok
CREATE FUNCTION public.regexp_replace(text, text, text, text) RETURNS text LANGUAGE sql
    AS $$ SELECT public.regress_mark('regexp_replace'); SELECT $1 $$;       -- ok
CREATE FUNCTION public.string_agg_mark(text, text, text) RETURNS text LANGUAGE sql
    AS $$ SELECT public.regress_mark('string_agg'); SELECT $1 $$;           -- ok
CREATE AGGREGATE public.string_agg(text, text) (SFUNC = public.string_agg_mark, STYPE = text); -- ok
-- operators the extension uses, on the types it uses them on
CREATE FUNCTION public.regress_text_eq(text, text) RETURNS boolean LANGUAGE sql
    AS $$ SELECT public.regress_mark('='); SELECT $1 OPERATOR(pg_catalog.=) $2 $$;  -- ok
CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.regress_text_eq); -- ok
CREATE FUNCTION public.regress_text_ne(text, text) RETURNS boolean LANGUAGE sql
    AS $$ SELECT public.regress_mark('<>'); SELECT $1 OPERATOR(pg_catalog.<>) $2 $$; -- ok
CREATE OPERATOR public.<> (LEFTARG = text, RIGHTARG = text, FUNCTION = public.regress_text_ne); -- ok
CREATE FUNCTION public.regress_text_match(text, text) RETURNS boolean LANGUAGE sql
    AS $$ SELECT public.regress_mark('~'); SELECT $1 OPERATOR(pg_catalog.~) $2 $$;  -- ok
CREATE OPERATOR public.~ (LEFTARG = text, RIGHTARG = text, FUNCTION = public.regress_text_match); -- ok
CREATE OPERATOR public.!~ (LEFTARG = text, RIGHTARG = text, FUNCTION = public.regress_text_match); -- ok
CREATE FUNCTION public.regress_text_cat(text, text) RETURNS text LANGUAGE sql
    AS $$ SELECT public.regress_mark('||'); SELECT $1 OPERATOR(pg_catalog.||) $2 $$; -- ok
CREATE OPERATOR public.|| (LEFTARG = text, RIGHTARG = text, FUNCTION = public.regress_text_cat); -- ok
CREATE FUNCTION public.regress_oid_eq(oid, oid) RETURNS boolean LANGUAGE sql
    AS $$ SELECT public.regress_mark('oid ='); SELECT $1 OPERATOR(pg_catalog.=) $2 $$; -- ok
CREATE OPERATOR public.= (LEFTARG = oid, RIGHTARG = oid, FUNCTION = public.regress_oid_eq); -- ok
-- tables and views named like the extension's
CREATE TABLE public.category (name text, period interval, starts text, action text, time_zone text); -- ok
INSERT INTO public.category VALUES ('hostile', '0', 'exact', 'delete', 'UTC'); -- ok
CREATE VIEW public.pg_timezone_names AS
    SELECT z.name, public.regress_mark('pg_timezone_names') IS NULL AS marked FROM pg_catalog.pg_timezone_names z; -- ok
RESET ROLE;                                                      -- ok

SET search_path = public;                                        -- ok
CREATE EXTENSION pg_retention;                                   -- ok
SELECT name FROM retention.define_category('h_rows', '1 year');  -- ok
SELECT name FROM retention.define_category('h_values', '1 year', 'end_of_month', 'nullify',
                                           time_zone => 'Europe/Zagreb'); -- ok
SELECT name, period FROM retention.alter_category('h_values', period => '2 years', description => ''); -- ok
CREATE TABLE public.regress_victim (
    id         integer PRIMARY KEY,
    created_at timestamptz NOT NULL,
    email      text,
    phone      text
);                                                               -- ok
SELECT retention.tag_table('regress_victim', 'h_rows', 'created_at');                   -- ok
SELECT retention.tag_column('regress_victim', 'email', 'h_values', 'created_at', 'hash'); -- ok
SELECT retention.tag_column('regress_victim', 'phone', subject => 'phone');             -- ok
SELECT retention.untag('regress_victim', 'phone');               -- ok: t
SECURITY LABEL FOR retention ON COLUMN regress_victim.phone IS 'category=h_values anchor=created_at'; -- ok
SECURITY LABEL FOR retention ON COLUMN regress_victim.phone IS 'category=hostile anchor=created_at'; -- fails: public.category is not retention.category
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT object, kind, category, period, anchor, action, action_source, valid
  FROM retention.tags ORDER BY object COLLATE "C";              -- ok
SELECT category, kept, at_expiry, applies_to FROM retention.schedule ORDER BY category COLLATE "C"; -- ok
-- DDL that fires the DDL guard
ALTER TABLE regress_victim RENAME COLUMN created_at TO created;  -- ok: NOTICE, labels follow
ALTER TABLE regress_victim DROP COLUMN created;                  -- fails: it is the anchor
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ALTER TABLE regress_victim ALTER COLUMN email TYPE integer USING 0; -- fails: hash does not fit integer
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ALTER TABLE regress_victim ADD COLUMN extra text;                -- ok
ALTER TABLE regress_victim RENAME TO regress_victim2;            -- ok
SELECT retention.drop_category('h_rows');                        -- fails: used by a tag
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT retention.untag('regress_victim2');                       -- ok: t
SELECT retention.drop_category('h_rows');                        -- ok
DROP TABLE regress_victim2;                                      -- ok
-- and with public searched before pg_catalog: the extension is still immune
SET search_path = public, pg_catalog;                            -- ok
SELECT (retention.define_category('h_rows', '1 year')).name;     -- ok
CREATE TABLE public.regress_victim (id integer, created_at timestamptz, email text); -- ok
SELECT retention.tag_table('regress_victim', 'h_rows', 'created_at') IS NOT NULL AS tagged; -- ok
SELECT retention.tag_column('regress_victim', 'email', 'h_values', 'created_at', 'hash') IS NOT NULL AS tagged; -- ok
SELECT (SELECT count(*) FROM retention.tags) AS tags, (SELECT count(*) FROM retention.schedule) AS schedule_rows; -- ok
ALTER TABLE regress_victim RENAME COLUMN created_at TO created;  -- ok: NOTICE, labels follow
SELECT retention.untag('regress_victim', 'email') AS untagged;  -- ok: t
SELECT (retention.alter_category('h_values', action => 'hash')).action; -- ok
DROP TABLE regress_victim;                                       -- ok
SELECT retention.drop_category('h_rows');                        -- ok
RESET search_path;                                               -- ok
SELECT what, count(*) FROM public.regress_marker GROUP BY what ORDER BY what COLLATE "C"; -- ok: no rows, no hostile object ever ran
-- the hostile objects do work for a caller who resolves through them
BEGIN;                                                           -- ok
SET LOCAL search_path = public, pg_catalog;                      -- ok
SELECT quote_ident('x') AS hijacked;                             -- ok: runs public.quote_ident
RESET search_path;                                               -- ok
SELECT what FROM public.regress_marker;                          -- ok: quote_ident(text)
ROLLBACK;                                                        -- ok

--
-- (d) A schema "retention" created beforehand by a non-superuser: CREATE
-- EXTENSION refuses to install into it
--
CREATE DATABASE regress_hostile2;                                -- ok
\c regress_hostile2
CREATE SCHEMA retention AUTHORIZATION regress_hostile;           -- ok
CREATE EXTENSION pg_retention;                                   -- fails: schema owned by a non-superuser
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) AS installed FROM pg_extension WHERE extname = 'pg_retention'; -- ok: 0
DROP SCHEMA retention;                                           -- ok
-- owned by a superuser, but a non-superuser could (and did) create in it
CREATE SCHEMA retention;                                         -- ok
GRANT CREATE ON SCHEMA retention TO regress_hostile;             -- ok
SET ROLE regress_hostile;                                        -- ok
CREATE FUNCTION retention.now() RETURNS timestamptz LANGUAGE sql AS $$ SELECT pg_catalog.now() $$; -- ok
RESET ROLE;                                                      -- ok
CREATE EXTENSION pg_retention;                                   -- fails: another role can create in it (and did)
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) AS installed FROM pg_extension WHERE extname = 'pg_retention'; -- ok: 0
DROP SCHEMA retention CASCADE;                                   -- ok
CREATE EXTENSION pg_retention;                                   -- ok: once the schema is gone
SELECT count(*) AS installed FROM pg_extension WHERE extname = 'pg_retention'; -- ok: 1

--
-- Clean up
--
\c :regress_db
DROP DATABASE regress_hostile;                                   -- ok
DROP DATABASE regress_hostile2;                                  -- ok
DROP ROLE regress_hostile;                                       -- ok
DROP ROLE regress_intruder;                                      -- ok
DROP ROLE regress_owner;                                         -- ok
