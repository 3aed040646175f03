-- when= conditions from a table owner who is not retention_admin: no code
-- of theirs runs when the label is set or when anyone reads the tags (the
-- worker, a DBA reading retention.tags).  The parser converts literals
-- while it parses, so a literal of a type whose input runs code (an array,
-- composite or range of a domain whose CHECK calls other than built-in
-- immutable functions) or of an argument type
-- chosen through a function or operator outside pg_catalog is refused
-- before it is converted.  Boundaries of when= are in 35_policy_model.
\set VERBOSITY default
\set SHOW_CONTEXT never
\set regress_db :DBNAME
CREATE DATABASE regress_when_attacks;                            -- ok
\c regress_when_attacks
SET client_min_messages = warning;
CREATE EXTENSION pg_retention;                                   -- ok
RESET client_min_messages;
\set ECHO none
\i test/sql/try.sql
\set ECHO all
SELECT name FROM retention.define_category('w_rows', '1 year');  -- ok
CREATE ROLE regress_when_owner;                                  -- ok
GRANT CREATE ON SCHEMA public TO regress_when_owner;             -- ok
GRANT EXECUTE ON FUNCTION pg_temp.try(text) TO regress_when_owner; -- ok
SET ROLE regress_when_owner;                                     -- ok
-- the owner's code: says when it runs
CREATE FUNCTION regress_snitch(integer) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    RAISE NOTICE 'regress_snitch ran';
    RETURN true;
END $$;                                                          -- ok
CREATE DOMAIN regress_checked AS integer CHECK (regress_snitch(VALUE)); -- ok
CREATE DOMAIN regress_plain AS integer;                          -- ok
CREATE DOMAIN regress_year AS integer CHECK (VALUE >= 1901 AND VALUE <= 2155); -- ok: pagila's year
CREATE DOMAIN regress_volatile AS integer CHECK (VALUE > 0 OR pg_catalog.random() > 2); -- ok: a built-in, volatile function
CREATE DOMAIN regress_late AS integer;                           -- ok
CREATE TYPE regress_pair AS (a integer, b regress_checked);      -- ok
CREATE TYPE regress_kind AS ENUM ('person', 'company');          -- ok
CREATE FUNCTION regress_takes(regress_checked[]) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT true $$; -- ok
CREATE FUNCTION regress_eq(text, regress_checked[]) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT true $$; -- ok
CREATE OPERATOR public.=== (LEFTARG = text, RIGHTARG = regress_checked[], FUNCTION = regress_eq); -- ok
CREATE TABLE regress_w (
    id     integer PRIMARY KEY,
    d      date,
    k      text,
    x      integer,
    arr    regress_checked[],
    plain  regress_plain,
    year   regress_year,
    kind   regress_kind
);                                                               -- ok

-- refused before anything is converted: no NOTICE
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_w IS 'category=w_rows anchor=d when=''''''{1}''''::public.regress_checked[] IS NOT NULL'''$$); -- fails: array of a checked domain
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_w IS 'category=w_rows anchor=d when=''''''(1,1)''''::public.regress_pair IS NOT NULL'''$$); -- fails: composite with a checked domain
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_w IS 'category=w_rows anchor=d when=''arr = ''''{1}'''''''$$); -- fails: column of a checked type
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_w IS 'category=w_rows anchor=d when=''ARRAY[arr] IS NOT NULL'''$$); -- fails: column of a checked type
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_w IS 'category=w_rows anchor=d when=''regress_w IS NOT NULL'''$$); -- fails: whole row, of a checked type
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_w IS 'category=w_rows anchor=d when=''public.regress_takes(''''{1}'''')'''$$); -- fails: function outside pg_catalog
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_w IS 'category=w_rows anchor=d when=''k OPERATOR(public.===) ''''{1}'''''''$$); -- fails: operator outside pg_catalog
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_w IS 'category=w_rows anchor=d when=''pg_temp.lower(k) = ''''x'''''''$$); -- fails: function outside pg_catalog
-- what stays allowed
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_w IS 'category=w_rows anchor=d when=''''''{1,2}''''::integer[] @> ARRAY[x]'''$$); -- ok: built-in types
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_w IS 'category=w_rows anchor=d when=''plain = 1 AND kind = ''''person'''''''$$); -- ok: unconstrained domain, enum
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_w IS 'category=w_rows anchor=d when=''year < 2000 AND ''''{1999}''''::public.regress_year[] @> ARRAY[year]'''$$); -- ok: a CHECK of built-in immutable operators
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_w IS 'category=w_rows anchor=d when=''''''{1}''''::public.regress_volatile[] IS NOT NULL'''$$); -- fails: its CHECK calls a volatile function
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_w IS 'category=w_rows anchor=d when=''x OPERATOR(pg_catalog.=) 1 AND pg_catalog.lower(k) = ''''x'''''''$$); -- ok: qualified with pg_catalog

-- every reader parses the condition again: its length is capped (8192 bytes)
SELECT pg_temp.try(format($$SECURITY LABEL FOR retention ON TABLE regress_w IS 'category=w_rows anchor=d when=''x IN (%s)'''$$,
       (SELECT string_agg(i::text, ',') FROM generate_series(1, 2000) i))); -- fails: too long
SELECT pg_temp.try(format($$SECURITY LABEL FOR retention ON TABLE regress_w IS 'category=w_rows anchor=d when=''k IN (%s)'''$$,
       (SELECT string_agg(repeat('''', 4) || 'a' || repeat('''', 4), ',') FROM generate_series(1, 1000) i))); -- fails: too long once normalized
SELECT pg_temp.try(format($$SECURITY LABEL FOR retention ON TABLE regress_w IS 'category=w_rows anchor=d when=''x IN (%s)'''$$,
       (SELECT string_agg(i::text, ',') FROM generate_series(1, 1000) i))); -- ok: under the cap

-- a condition that was harmless when set, whose type gains a constraint
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_w IS 'category=w_rows anchor=d when=''''''{1}''''::public.regress_late[] IS NOT NULL'''$$); -- ok: no constraint yet
ALTER DOMAIN regress_late ADD CONSTRAINT regress_late_check CHECK (regress_snitch(VALUE)); -- fails: the DDL guard sees the tag break
-- the guard stands aside while a dump is restored (check_function_bodies off)
SET check_function_bodies = off;                                 -- ok
ALTER DOMAIN regress_late ADD CONSTRAINT regress_late_check CHECK (regress_snitch(VALUE)); -- ok
RESET check_function_bodies;                                     -- ok
RESET ROLE;                                                      -- ok
-- a superuser reads the tags: the owner's code does not run, the tag is invalid
SELECT table_name, valid, problem FROM retention.tags;           -- ok: invalid, no NOTICE
SELECT count(*) FROM retention.preview();                        -- ok: no NOTICE

\c :regress_db
DROP DATABASE regress_when_attacks;                              -- ok
DROP ROLE regress_when_owner;                                    -- ok
