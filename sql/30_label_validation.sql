-- Label validation against the catalogs (src/tag_resolve.c and the checks
-- of src/label_provider.c): every rule, with the error a user sees, and the
-- valid counterpart of each rule.
\set VERBOSITY default
\set SHOW_CONTEXT never
-- try(sql): 'ok' or the error (test/sql/try.sql, shared by the pg_regress files)
\set ECHO none
\i test/sql/try.sql
\set ECHO all

SELECT name FROM retention.define_category('v_rows', '1 year');                        -- ok: default action delete
SELECT name FROM retention.define_category('v_values', '1 year', action => 'nullify'); -- ok
CREATE DOMAIN regress_moment AS timestamptz;                     -- ok
CREATE SCHEMA regress_other;                                     -- ok
CREATE TABLE regress_parent (
    id       integer PRIMARY KEY,
    name     text,
    ended_at date,
    ended_ts timestamptz
);                                                               -- ok
CREATE TABLE regress_other.regress_parent (
    id       integer PRIMARY KEY,
    ended_at date
);                                                               -- ok: same name, another schema
CREATE TABLE regress_unrelated (id integer PRIMARY KEY, ended_at date); -- ok
CREATE TABLE regress_pair (
    a        integer,
    b        integer,
    ended_at date,
    PRIMARY KEY (a, b)
);                                                               -- ok
CREATE TABLE regress_v (
    id           integer PRIMARY KEY,
    created_at   timestamptz,
    created_on   date,
    created_ts   timestamp,
    moment       regress_moment,
    note         text,
    amount       integer,
    price        numeric,
    phone        varchar(8),
    email        varchar(64),
    token        bytea,
    uid          uuid,
    ip           inet,
    nn_plain     text NOT NULL,
    nn_default   text NOT NULL DEFAULT 'erased',
    ident        integer GENERATED ALWAYS AS IDENTITY,
    gen          text GENERATED ALWAYS AS (lower(note)) STORED,
    parent_id    integer REFERENCES regress_parent,
    other_id     integer REFERENCES regress_other.regress_parent,
    unrelated_id integer REFERENCES regress_unrelated,
    plain_id     integer,
    pair_a       integer,
    pair_b       integer,
    FOREIGN KEY (pair_a, pair_b) REFERENCES regress_pair
);                                                               -- ok

--
-- Objects that cannot be tagged
--
CREATE VIEW regress_v_view AS SELECT id, created_at, note FROM regress_v;   -- ok
CREATE MATERIALIZED VIEW regress_v_matview AS SELECT id, created_at, note FROM regress_v; -- ok
CREATE SEQUENCE regress_v_seq;                                   -- ok
CREATE INDEX regress_v_created ON regress_v (created_at);        -- ok
CREATE TYPE regress_composite AS (created_at timestamptz, note text); -- ok
CREATE FOREIGN DATA WRAPPER regress_fdw;                         -- ok
CREATE SERVER regress_server FOREIGN DATA WRAPPER regress_fdw;   -- ok
CREATE FOREIGN TABLE regress_foreign (created_at timestamptz, note text) SERVER regress_server; -- ok
CREATE FUNCTION regress_f() RETURNS int LANGUAGE sql AS 'SELECT 1'; -- ok
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON VIEW regress_v_view IS 'category=v_rows anchor=created_at'$$);       -- fails: view
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_v_view.note IS 'subject=email'$$);                    -- fails: column of a view
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON MATERIALIZED VIEW regress_v_matview IS 'category=v_rows anchor=created_at'$$); -- fails: materialized view
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_v_matview.note IS 'subject=email'$$);                 -- fails: column of a materialized view
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON SEQUENCE regress_v_seq IS 'category=v_rows anchor=created_at'$$);    -- fails: sequence
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON FOREIGN TABLE regress_foreign IS 'category=v_rows anchor=created_at'$$); -- fails: foreign table
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_composite.note IS 'subject=email'$$);                 -- fails: column of a composite type
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON INDEX regress_v_created IS 'category=v_rows anchor=created_at'$$);   -- fails: PostgreSQL has no labels on indexes
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_v_created.created_at IS 'subject=email'$$);           -- fails: nor on their columns
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON FUNCTION regress_f() IS 'category=v_rows anchor=created_at'$$);      -- fails: function
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON SCHEMA regress_other IS 'category=v_rows anchor=created_at'$$);      -- fails: schema
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON DOMAIN regress_moment IS 'subject=email'$$);                         -- fails: domain
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_v.xmin IS 'subject=email'$$);                         -- fails: system column
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_v.xmin IS 'subject=email'$$)
       ~ E'\n(DETAIL|HINT): ' AS has_detail_or_hint;            -- ok: t (BUG today: this error has neither)
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE retention.category IS 'category=v_rows anchor=created_at'$$);  -- fails: the extension's own table
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN retention.category.description IS 'subject=email'$$);         -- fails: the extension's own table
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE pg_catalog.pg_class IS 'subject=email'$$);                      -- fails: system catalog
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN pg_catalog.pg_description.description IS 'subject=email'$$);   -- fails: system catalog
-- removing a label (IS NULL) is never refused, whatever the object
SECURITY LABEL FOR retention ON FUNCTION regress_f() IS NULL;    -- ok
SECURITY LABEL FOR retention ON VIEW regress_v_view IS NULL;     -- ok

--
-- Partitions: tag the partitioned table, not its partitions
--
CREATE TABLE regress_events (
    id          integer,
    happened_at timestamptz NOT NULL,
    who         text
) PARTITION BY RANGE (happened_at);                              -- ok
CREATE TABLE regress_events_2024 PARTITION OF regress_events
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');            -- ok
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_events_2024 IS 'category=v_rows anchor=happened_at'$$);   -- fails: partition
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_events_2024.who IS 'category=v_values anchor=happened_at'$$); -- fails: column of a partition
SECURITY LABEL FOR retention ON TABLE regress_events IS 'category=v_rows anchor=happened_at';    -- ok: partitioned table
SECURITY LABEL FOR retention ON COLUMN regress_events.who IS 'category=v_values anchor=happened_at'; -- ok: column of the partitioned table
SELECT object, kind, category, anchor, action, valid
  FROM retention.tags WHERE table_name IN ('regress_events'::regclass, 'regress_events_2024'::regclass)
 ORDER BY object COLLATE "C";                                    -- ok: two tags, both on the parent

--
-- Shape of a table tag
--
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_v IS 'anchor=created_at'$$);                              -- fails: no category
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_v IS 'category=v_rows'$$);                                -- fails: no anchor
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_v IS 'subject=email'$$);                                  -- fails: subject on a table
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_v IS 'category=v_rows anchor=created_at subject=email'$$); -- fails: subject on a table
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_v IS 'category=v_rows anchor=created_at action=nullify'$$); -- fails: anonymization on a table
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_v IS 'category=v_rows anchor=created_at action=hash'$$);  -- fails: anonymization on a table
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_v IS 'category=v_rows anchor=created_at keep=2'$$);       -- fails: keep on a table
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_v IS 'category=v_rows anchor=created_at bucket=10'$$);    -- fails: bucket on a table

--
-- Shape of a column tag
--
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_v.note IS 'anchor=created_at'$$);                    -- fails: neither category nor subject
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_v.note IS 'action=hash'$$);                          -- fails: neither category nor subject
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_v.note IS 'subject=email anchor=created_at'$$);      -- fails: subject-only tag with an anchor
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_v.note IS 'subject=email action=hash'$$);            -- fails: subject-only tag with an action
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_v.note IS 'subject=email keep=2'$$);                 -- fails: subject-only tag with keep
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_v.amount IS 'subject=customer_id bucket=5'$$);       -- fails: subject-only tag with bucket
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_v.note IS 'category=v_values'$$);                    -- fails: category without anchor
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_v.note IS 'category=v_values action=hash'$$);        -- fails: category without anchor
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_v.note IS 'category=v_values anchor=created_at action=delete'$$); -- fails: delete on a column

--
-- Category
--
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_v IS 'category=no_such_category anchor=created_at'$$);       -- fails: category missing
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_v.note IS 'category=no_such_category anchor=created_at'$$); -- fails: category missing
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_v.note IS 'category="V_values" anchor=created_at'$$);       -- fails: quoted names keep their case
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_v.note IS 'category=v_rows anchor=created_at'$$);           -- fails: a delete category on a column
SECURITY LABEL FOR retention ON COLUMN regress_v.note IS 'category=v_rows anchor=created_at action=nullify';                     -- ok: the action overrides the category's
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_v IS 'category=v_values anchor=created_at'$$);               -- fails: a nullify category on a table
SECURITY LABEL FOR retention ON TABLE regress_v IS 'category=v_values anchor=created_at action=delete';                         -- ok: the action overrides the category's
SELECT object, category, action, action_source, valid
  FROM retention.tags WHERE table_name = 'regress_v'::regclass ORDER BY object COLLATE "C"; -- ok: action from the tag

--
-- Local anchor
--
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_v IS 'category=v_rows anchor=no_such_column'$$); -- fails: anchor column missing
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_v IS 'category=v_rows anchor=note'$$);           -- fails: text anchor
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_v IS 'category=v_rows anchor=amount'$$);         -- fails: integer anchor
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_v IS 'category=v_rows anchor=xmin'$$);           -- fails: system column
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_v.note IS 'category=v_values anchor=ip'$$);     -- fails: inet anchor on a column tag
SECURITY LABEL FOR retention ON TABLE regress_v IS 'category=v_rows anchor=created_on';   -- ok: date
SECURITY LABEL FOR retention ON TABLE regress_v IS 'category=v_rows anchor=created_ts';   -- ok: timestamp
SECURITY LABEL FOR retention ON TABLE regress_v IS 'category=v_rows anchor=moment';       -- ok: domain over timestamptz
SELECT object, anchor, valid FROM retention.tags WHERE table_name = 'regress_v'::regclass AND column_name IS NULL; -- ok: moment

--
-- Foreign-key anchor
--
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_v IS 'category=v_rows anchor=plain_id->regress_parent.ended_at'$$);      -- fails: no FK on the column
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_v IS 'category=v_rows anchor=no_such->regress_parent.ended_at'$$);       -- fails: FK column missing
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_v IS 'category=v_rows anchor=unrelated_id->regress_parent.ended_at'$$);  -- fails: the FK references another table
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_v IS 'category=v_rows anchor=pair_a->regress_pair.ended_at'$$);          -- fails: multi-column FK
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_v IS 'category=v_rows anchor=parent_id->regress_parent.no_such'$$);      -- fails: parent column missing
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_v IS 'category=v_rows anchor=parent_id->regress_parent.name'$$);         -- fails: parent column is text
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_v IS 'category=v_rows anchor=parent_id->regress_parent.id'$$);           -- fails: parent column is integer
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_v IS 'category=v_rows anchor=parent_id->regress_other.regress_parent.ended_at'$$); -- fails: the FK references public.regress_parent
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_v IS 'category=v_rows anchor=other_id->public.regress_parent.ended_at'$$); -- fails: the FK references regress_other.regress_parent
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_v IS 'category=v_rows anchor=parent_id->no_schema.regress_parent.ended_at'$$); -- fails: no such schema
SECURITY LABEL FOR retention ON TABLE regress_v IS 'category=v_rows anchor=parent_id->regress_parent.ended_at';           -- ok: date on the parent
SECURITY LABEL FOR retention ON TABLE regress_v IS 'category=v_rows anchor=parent_id->public.regress_parent.ended_ts';    -- ok: schema-qualified
SECURITY LABEL FOR retention ON COLUMN regress_v.phone IS 'category=v_values anchor=other_id->regress_other.regress_parent.ended_at'; -- ok: parent in another schema
SECURITY LABEL FOR retention ON COLUMN regress_v.email IS 'category=v_values anchor=other_id->regress_parent.ended_at';  -- ok: an unqualified table name matches in any schema
SELECT object, anchor, anchor_table, valid
  FROM retention.tags WHERE table_name = 'regress_v'::regclass
   AND (column_name IS NULL OR column_name IN ('phone', 'email'))
 ORDER BY object COLLATE "C";                                    -- ok

--
-- Action against the column's type
--
-- nullify and default
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_v.nn_plain IS 'category=v_values anchor=created_at'$$);                -- fails: nullify (from the category) on NOT NULL
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_v.nn_plain IS 'category=v_values anchor=created_at action=nullify'$$); -- fails: nullify on NOT NULL
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_v.nn_plain IS 'category=v_values anchor=created_at action=default'$$); -- fails: NOT NULL without default
SECURITY LABEL FOR retention ON COLUMN regress_v.nn_default IS 'category=v_values anchor=created_at action=default';  -- ok: NOT NULL with a default
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_v.ident IS 'category=v_values anchor=created_at action=default'$$); -- fails: an identity has no fixed default
SECURITY LABEL FOR retention ON COLUMN regress_v.nn_plain IS 'category=v_values anchor=created_at action=hash';       -- ok: hash keeps NOT NULL satisfied
-- hash
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_v.amount IS 'category=v_values anchor=created_at action=hash'$$); -- fails: integer
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_v.phone IS 'category=v_values anchor=created_at action=hash'$$);  -- fails: varchar(8) is too short (BUG today: the message drops the (8))
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_v.ip IS 'category=v_values anchor=created_at action=hash'$$);     -- fails: inet
SECURITY LABEL FOR retention ON COLUMN regress_v.note IS 'category=v_values anchor=created_at action=hash';   -- ok: text
SECURITY LABEL FOR retention ON COLUMN regress_v.email IS 'category=v_values anchor=created_at action=hash';  -- ok: varchar(64)
SECURITY LABEL FOR retention ON COLUMN regress_v.token IS 'category=v_values anchor=created_at action=hash';  -- ok: bytea
SECURITY LABEL FOR retention ON COLUMN regress_v.uid IS 'category=v_values anchor=created_at action=hash';    -- ok: uuid
-- mask
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_v.amount IS 'category=v_values anchor=created_at action=mask'$$); -- fails: integer
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_v.uid IS 'category=v_values anchor=created_at action=mask'$$);    -- fails: uuid
SECURITY LABEL FOR retention ON COLUMN regress_v.phone IS 'category=v_values anchor=created_at action=mask keep=2'; -- ok: varchar(8), last two kept
-- generalize
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_v.note IS 'category=v_values anchor=created_at action=generalize'$$);   -- fails: text
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_v.amount IS 'category=v_values anchor=created_at action=generalize'$$); -- fails: integer without bucket
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_v.price IS 'category=v_values anchor=created_at action=generalize'$$);  -- fails: numeric without bucket
SECURITY LABEL FOR retention ON COLUMN regress_v.amount IS 'category=v_values anchor=created_at action=generalize bucket=10';    -- ok
SECURITY LABEL FOR retention ON COLUMN regress_v.price IS 'category=v_values anchor=created_at action=generalize bucket=1000';   -- ok
SECURITY LABEL FOR retention ON COLUMN regress_v.created_ts IS 'category=v_values anchor=created_at action=generalize';          -- ok: timestamp
SECURITY LABEL FOR retention ON COLUMN regress_v.created_on IS 'category=v_values anchor=created_at action=generalize';          -- ok: date
SECURITY LABEL FOR retention ON COLUMN regress_v.moment IS 'category=v_values anchor=created_at action=generalize';              -- ok: domain over timestamptz
SECURITY LABEL FOR retention ON COLUMN regress_v.ip IS 'category=v_values anchor=created_at action=generalize';                  -- ok: inet
-- keep and bucket with the wrong action
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_v.note IS 'category=v_values anchor=created_at action=hash keep=2'$$);        -- fails: keep without mask
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_v.note IS 'category=v_values anchor=created_at keep=2'$$);                    -- fails: keep with the category's nullify
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_v.amount IS 'category=v_values anchor=created_at action=nullify bucket=10'$$); -- fails: bucket without generalize
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_v.created_ts IS 'category=v_values anchor=created_at action=generalize bucket=10'$$); -- fails: bucket on a timestamp
-- generated columns
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_v.gen IS 'category=v_values anchor=created_at'$$);             -- fails: generated
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_v.gen IS 'category=v_values anchor=created_at action=hash'$$);  -- fails: generated
SECURITY LABEL FOR retention ON COLUMN regress_v.gen IS 'subject=email';  -- ok: a generated column can identify a subject
-- what was accepted, all valid
SELECT object, kind, category, anchor, anchor_table, action, action_source, subject, keep, bucket, valid
  FROM retention.tags WHERE table_name = 'regress_v'::regclass ORDER BY object COLLATE "C"; -- ok

--
-- SECURITY LABEL ... IS NULL removes a tag
--
SECURITY LABEL FOR retention ON COLUMN regress_v.gen IS NULL;    -- ok
SECURITY LABEL FOR retention ON TABLE regress_v IS NULL;         -- ok
SECURITY LABEL FOR retention ON COLUMN regress_v.gen IS NULL;    -- ok: again, nothing to remove
SELECT count(*) FILTER (WHERE column_name IS NULL) AS table_tags,
       count(*) FILTER (WHERE column_name = 'gen') AS gen_tags,
       count(*) AS all_tags
  FROM retention.tags WHERE table_name = 'regress_v'::regclass;  -- ok: 0, 0, the other column tags remain

--
-- Restore mode (check_function_bodies = off, as in pg_dump scripts): only
-- the grammar and the shape are checked; retention.tags shows the problem
--
SET check_function_bodies = off;                                 -- ok
SECURITY LABEL FOR retention ON TABLE regress_v IS 'category=not_loaded_yet anchor=created_at'; -- ok: categories are loaded later in a dump
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_v.gen IS 'category=v_values anchor=created_at action=hash'$$); -- fails: a generated column is refused even here
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_v IS 'category=not_loaded_yet anchor=created_at;'$$); -- fails: grammar is still checked
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_v IS 'anchor=created_at'$$);                            -- fails: shape is still checked
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON VIEW regress_v_view IS 'category=v_rows anchor=created_at'$$);        -- fails: object kind is still checked
RESET check_function_bodies;                                     -- ok
SELECT object, valid, problem, problem_sqlstate, label
  FROM retention.tags WHERE table_name = 'regress_v'::regclass AND column_name IS NULL; -- ok: not valid, category missing
SELECT name FROM retention.define_category('not_loaded_yet', '2 years');  -- ok: the dump loads the category
SELECT object, valid, problem FROM retention.tags
 WHERE table_name = 'regress_v'::regclass AND column_name IS NULL; -- ok: now valid
SECURITY LABEL FOR retention ON TABLE regress_v IS NULL;         -- ok

--
-- Clean up this database
--
DROP VIEW regress_v_view;                                        -- ok
DROP MATERIALIZED VIEW regress_v_matview;                        -- ok
DROP TABLE regress_v, regress_events, regress_parent, regress_other.regress_parent,
           regress_unrelated, regress_pair;                      -- ok
DROP SEQUENCE regress_v_seq;                                     -- ok
DROP TYPE regress_composite;                                     -- ok
DROP FOREIGN TABLE regress_foreign;                              -- ok
DROP SERVER regress_server;                                      -- ok
DROP FOREIGN DATA WRAPPER regress_fdw;                           -- ok
DROP FUNCTION regress_f();                                       -- ok
DROP DOMAIN regress_moment;                                      -- ok
DROP SCHEMA regress_other;                                       -- ok
SELECT c.name FROM (VALUES ('v_rows'), ('v_values'), ('not_loaded_yet')) c(name),
       LATERAL retention.drop_category(c.name);                 -- ok
SELECT count(*) AS tags_left FROM retention.tags;                -- ok: 0

--
-- A database where the library is loaded but the extension is not installed
--
\set regress_db :DBNAME
CREATE DATABASE regress_noext;                                   -- ok
\c regress_noext
CREATE TABLE regress_untracked (id integer, created_at timestamptz); -- ok
SECURITY LABEL FOR retention ON TABLE regress_untracked
    IS 'category=anything anchor=created_at';                    -- fails: extension not installed
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SECURITY LABEL FOR retention ON COLUMN regress_untracked.id
    IS 'subject=customer_id';                                    -- fails: extension not installed
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SECURITY LABEL FOR retention ON TABLE regress_untracked IS NULL; -- ok: removing is always allowed
SELECT count(*) AS labels FROM pg_seclabel WHERE provider = 'retention'; -- ok: 0
\c :regress_db
DROP DATABASE regress_noext;                                     -- ok
