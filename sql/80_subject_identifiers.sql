-- Subject identifiers (issue 12 items 1 and 2): how retention.normalize_identifier
-- normalizes (Unicode in UTF-8 databases: NFKC, Unicode lower case, Unicode
-- white space; ASCII rules in other encodings), that export and erasure find
-- non-ASCII addresses however they are written, that an expression index on
-- the function still serves the search, and the identifiers that are refused
-- because they name nobody (22023, the value never quoted).
\set VERBOSITY default
\set SHOW_CONTEXT never
\set regress_home :DBNAME
CREATE DATABASE regress_subject_utf8 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0; -- ok
CREATE DATABASE regress_subject_latin1 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0; -- ok
\c regress_subject_utf8
SET client_encoding = 'UTF8';
SET client_min_messages = warning;
CREATE EXTENSION pg_retention;                                    -- ok
RESET client_min_messages;
-- try(sql): 'ok' or the error (test/sql/try.sql, shared by the pg_regress files)
\set ECHO none
\i test/sql/try.sql
\set ECHO all

--
-- Normalization in a UTF-8 database: every form of an address gives one value
--
SELECT v AS written, retention.normalize_identifier('email', v) AS normalized
  FROM (VALUES ('ÄNA@MÜNCHEN.DE'),                       -- Unicode upper case
               (U&'A\0308NA@MU\0308NCHEN.DE'),           -- decomposed (NFD) umlauts
               (U&'\00A0äna@münchen.de\00A0'),           -- no-break spaces
               (U&'\2003\3000Äna@München.de\200B\FEFF'), -- em space, ideographic space, zero-width space, BOM
               (U&'\FF21NA@EXAMPLE.COM'),                -- full-width A (NFKC)
               ('ΣΟΦΊΑ@ΠΑΡΆΔΕΙΓΜΑ.ΕΛ'),                  -- Greek
               ('ЖЕНЯ@ПРИМЕР.РФ'),                       -- Cyrillic
               ('İREM@ÖRNEK.COM.TR'),                    -- dotted capital I: simple mapping
               (E' \t ana@example.com \n ')) t(v);       -- ok
SELECT retention.normalize_identifier('email', U&'A\0308NA@MU\0308NCHEN.DE')
     = retention.normalize_identifier('email', 'äna@münchen.de') AS nfd_equals_nfc; -- ok: true
SELECT v AS written, retention.normalize_identifier('phone', v) AS normalized
  FROM (VALUES (U&'\FF10\FF10\FF13\FF18\FF15 91 123 4567'),  -- full-width digits
               (U&'+385\00A091\00A0123\00A04567'),
               ('00385 (91) 123-4567')) t(v);               -- ok
SELECT v AS written, retention.normalize_identifier('customer_id', v) AS normalized
  FROM (VALUES (U&'\00A042\3000'), (U&'Mu\0308ller')) t(v);  -- ok: NFC, trimmed, case kept
-- the function is immutable and gives the same result in any UTF-8 database
SELECT p.provolatile, p.proisstrict, p.proparallel FROM pg_proc p
 WHERE p.oid = 'retention.normalize_identifier(text, text)'::regprocedure; -- ok: i, t, s

--
-- Export and erasure find non-ASCII addresses however they were stored or asked
--
CREATE TABLE regress_person (id int PRIMARY KEY, email text);              -- ok
SECURITY LABEL FOR retention ON COLUMN regress_person.email IS 'subject=email'; -- ok
CREATE INDEX regress_person_email ON regress_person (retention.normalize_identifier('email', email)); -- ok: the index lint suggests
INSERT INTO regress_person VALUES
    (1, 'Äna@München.de'), (2, U&'a\0308na@mu\0308nchen.de'), (3, U&'\00A0ÄNA@MÜNCHEN.DE\3000'),
    (4, 'ana@munchen.de'), (5, 'bob@example.com'), (6, ''), (7, '   ');      -- ok
SELECT v AS asked, (SELECT array_agg((row_key ->> 'id')::int ORDER BY (row_key ->> 'id')::int)
                      FROM retention.export_subject_rows(jsonb_build_object('email', v))) AS found
  FROM (VALUES ('ÄNA@MÜNCHEN.DE'), (U&'A\0308NA@MU\0308NCHEN.DE'), (U&'\00A0äna@münchen.de'),
               ('ana@munchen.de')) t(v);                                   -- ok: 1, 2, 3 every time; 4 only for itself
SELECT table_name, rows_found, rows_deleted FROM retention.erase_subject('{"email": "ÄNA@MÜNCHEN.DE"}', dry_run => true); -- ok: 3
-- the index serves the search's expression
SET enable_seqscan = off;
EXPLAIN (COSTS OFF)
SELECT id FROM regress_person r
 WHERE retention.normalize_identifier('email', r.email::text) OPERATOR(pg_catalog.=) 'äna@münchen.de'; -- ok: an index scan
SELECT array_agg(id ORDER BY id) AS through_index FROM regress_person r
 WHERE retention.normalize_identifier('email', r.email::text) = retention.normalize_identifier('email', 'ÄNA@MÜNCHEN.DE'); -- ok: 1, 2, 3
RESET enable_seqscan;

--
-- Identifiers that name nobody are refused, and never quoted
--
SELECT pg_temp.try(format('SELECT * FROM retention.export_subject_rows(%L)', v)) AS export
  FROM (VALUES ('{"email": ""}'), (U&'{"email": "\00A0\3000"}'), ('{"email": "ana.example.com"}'),
               ('{"email": "@münchen.de"}'), ('{"email": "äna@"}'), ('{"email": "a@b@münchen.de"}')) t(v); -- fails: names nobody
SELECT pg_temp.try($$SELECT * FROM retention.erase_subject('{"email": "withheld"}')$$) AS erase; -- fails: names nobody
SELECT count(*) AS persons_left FROM regress_person;                          -- ok: 7
SELECT pg_temp.try($$SELECT retention.place_hold('case 1', subject_kind => 'email', subject_value => ' ')$$) AS place_hold; -- fails: names nobody
SELECT pg_temp.try($$SELECT retention.place_hold('case 1', subject_kind => 'mail', subject_value => 'äna@münchen.de')$$) AS place_hold; -- fails: no such kind

--
-- Another encoding: ASCII letters lower-cased, ASCII white space trimmed
--
\c regress_subject_latin1
SET client_encoding = 'UTF8';
SET client_min_messages = warning;
CREATE EXTENSION pg_retention;                                    -- ok
RESET client_min_messages;
SELECT retention.normalize_identifier('email', ' ÄNA@Example.COM ') AS latin1; -- ok: Ä stays upper case
SELECT retention.normalize_identifier('phone', ' 00385 91 123 4567 ') AS latin1; -- ok

\c :regress_home
DROP DATABASE regress_subject_utf8;                               -- ok
DROP DATABASE regress_subject_latin1;                             -- ok
