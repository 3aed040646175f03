-- Erasure: retention.erase_subject deletes a person's rows where their
-- table deletes rows (a table tag, or no category tag at all), anonymizes
-- the tagged columns where the table keeps rows (column tags only) and
-- removes identifiers there, and only anonymizes the end user's identifier
-- column in somebody else's record.  Legal holds: a subject hold on the
-- person (nothing changes, everything reported held), a category hold, a
-- table hold, another person's subject hold on a shared row (that row kept
-- and counted).  Foreign keys: children deleted before parents (RESTRICT),
-- a kept row's nullable RESTRICT key to a deleted row set NULL, a kept
-- row's NOT NULL key to a deleted row fails the erasure (23503) with
-- nothing changed.  A second erasure finds nothing; a dry run reports what
-- the real run does and changes nothing.  The suppression list and the
-- request log; retention.suppress for an opt-out.  Finally no identifier
-- used here appears, in any form, in any table of the retention schema.
--
-- Every person p has the same set of rows (ids p*100+k), stored with the
-- identifiers in varied formats; the erasure is asked in other formats.
BEGIN;
SELECT plan(77);

SET LOCAL client_min_messages = warning;
SET LOCAL TimeZone = 'UTC';

-- =====================================================================
-- Categories, tables, tags
-- =====================================================================
SELECT FROM retention.define_category('dse_cust', '2 years');
SELECT FROM retention.define_category('dse_traffic', '10 years', 'end_of_year');
SELECT FROM retention.define_category('dse_enduser', '12 months', 'end_of_month', 'nullify');
SELECT FROM retention.define_category('dse_content', '30 days', action => 'nullify');
SELECT FROM retention.define_category('dse_ticket', '1 year', action => 'nullify');
SELECT FROM retention.define_category('dse_note', '1 year');

CREATE SCHEMA dse;
-- table tag: rows deleted
CREATE TABLE dse.customer (id int PRIMARY KEY, name text NOT NULL, email text, phone text, created_at timestamptz NOT NULL);
-- untagged children: deleted, deepest first (RESTRICT / NO ACTION keys)
CREATE TABLE dse.orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES dse.customer, total int);
CREATE TABLE dse.order_item (order_id int NOT NULL REFERENCES dse.orders ON DELETE RESTRICT, line int, sku text,
                             PRIMARY KEY (order_id, line));
-- table tag + column tags (like a communication record): the sender's
-- messages are deleted; in others' messages only the end user's number goes
CREATE TABLE dse.message (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES dse.customer,
                          end_user_phone text, content text, sent_at timestamptz NOT NULL);
-- column tags only: rows kept, tagged columns anonymized, identifiers removed
CREATE TABLE dse.ticket (id int PRIMARY KEY, customer_id int REFERENCES dse.customer ON DELETE RESTRICT,
                         contact_email text, body text, opened_at timestamptz NOT NULL, status text NOT NULL);
CREATE TABLE dse.signup (id int PRIMARY KEY, email text NOT NULL, source text, at timestamptz NOT NULL);
-- column tags only and a NOT NULL key to the customer: cannot be kept
-- without its customer
CREATE TABLE dse.audit (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES dse.customer, detail text,
                        at timestamptz NOT NULL);
-- two subject columns: a note written by one person about another
CREATE TABLE dse.note (id int PRIMARY KEY, author_email text, about_email text, body text, at timestamptz NOT NULL);
-- subject-only tag, no key: rows deleted
CREATE TABLE dse.newsletter (email text, since timestamptz);

SELECT FROM retention.tag_table('dse.customer', 'dse_cust', 'created_at');
SELECT FROM retention.tag_column('dse.customer', 'email', subject => 'email');
SELECT FROM retention.tag_column('dse.customer', 'phone', subject => 'phone');
SELECT FROM retention.tag_table('dse.message', 'dse_traffic', 'sent_at');
SELECT FROM retention.tag_column('dse.message', 'end_user_phone', 'dse_enduser', 'sent_at', subject => 'phone');
SELECT FROM retention.tag_column('dse.message', 'content', 'dse_content', 'sent_at');
SELECT FROM retention.tag_column('dse.ticket', 'contact_email', subject => 'email');
SELECT FROM retention.tag_column('dse.ticket', 'body', 'dse_ticket', 'opened_at');
SELECT FROM retention.tag_column('dse.signup', 'email', subject => 'email');
SELECT FROM retention.tag_column('dse.signup', 'source', 'dse_ticket', 'at');
SELECT FROM retention.tag_column('dse.audit', 'detail', 'dse_ticket', 'at');
SELECT FROM retention.tag_table('dse.note', 'dse_note', 'at');
SELECT FROM retention.tag_column('dse.note', 'author_email', subject => 'email');
SELECT FROM retention.tag_column('dse.note', 'about_email', subject => 'email');
SELECT FROM retention.tag_column('dse.newsletter', 'email', subject => 'email');

SELECT is((SELECT count(*)::int FROM retention.tags WHERE object LIKE 'dse.%' AND valid), 15,
          'fixture: fifteen valid tags');

-- =====================================================================
-- People
-- =====================================================================
CREATE FUNCTION pg_temp.email_of(p int, f int) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE f % 3 WHEN 0 THEN format('person%s@example.com', p)
                      WHEN 1 THEN format(' Person%s@Example.COM ', p)
                      ELSE format('PERSON%s@EXAMPLE.COM', p) END $$;
CREATE FUNCTION pg_temp.phone_of(p int, f int) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE f % 3 WHEN 0 THEN format('+385 91 %s 000', lpad(p::text, 3, '0'))
                      WHEN 1 THEN format('00385-91-%s-000', lpad(p::text, 3, '0'))
                      ELSE format(' 0038591%s000', lpad(p::text, 3, '0')) END $$;
-- the erasure request for person p, in yet other formats
CREATE FUNCTION pg_temp.ids_of(p int) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object('email', format('  PERSON%s@example.com', p),
                              'phone', format('+385 (91) %s-000', lpad(p::text, 3, '0'))) $$;

-- person 99 (Zed) is a customer who messages the others and on whose
-- account they open tickets
CREATE FUNCTION pg_temp.make_person(p int) RETURNS void LANGUAGE sql AS $$
    INSERT INTO dse.customer VALUES (p, 'Person ' || p, pg_temp.email_of(p, 1), pg_temp.phone_of(p, 0), now() - interval '10 days');
    INSERT INTO dse.orders VALUES (p * 100 + 1, p, 10), (p * 100 + 2, p, 20);
    INSERT INTO dse.order_item VALUES (p * 100 + 1, 1, 'a'), (p * 100 + 1, 2, 'b');
    -- a message the person sent, and one Zed sent to the person's number
    INSERT INTO dse.message VALUES (p * 100 + 1, p, '+1 202 555 0' || lpad(p::text, 3, '0'), 'sent by ' || p, now()),
                                   (p * 100 + 2, 99, pg_temp.phone_of(p, 1), 'sent to ' || p, now());
    -- a ticket on the person's account, and one the person opened on Zed's
    INSERT INTO dse.ticket VALUES (p * 100 + 1, p, pg_temp.email_of(p, 2), 'body ' || p, now(), 'open'),
                                  (p * 100 + 2, 99, pg_temp.email_of(p, 0), 'on zed''s account ' || p, now(), 'closed');
    INSERT INTO dse.signup VALUES (p * 100 + 1, pg_temp.email_of(p, 2), 'web', now());
    -- a note about Eve (who is under a legal hold) and one of the person's own
    INSERT INTO dse.note VALUES (p * 100 + 1, pg_temp.email_of(p, 0), 'Eve@Example.com', 'about eve', now()),
                                (p * 100 + 2, pg_temp.email_of(p, 1), NULL, 'own note', now());
    INSERT INTO dse.newsletter VALUES (pg_temp.email_of(p, 2), now());
$$;
SELECT pg_temp.make_person(99);
SELECT pg_temp.make_person(p) FROM generate_series(1, 8) p;
-- Nora (6) has an audit entry
INSERT INTO dse.audit VALUES (601, 6, 'audit of 6', now());

-- Eve is under a subject hold (placed in another format than stored)
SELECT FROM retention.place_hold('case 1: Eve', subject_kind => 'email', subject_value => ' EVE@example.COM');

-- Every row of every table, as text (for "nothing changed")
CREATE FUNCTION pg_temp.all_rows(except_person int DEFAULT NULL) RETURNS text[] LANGUAGE sql AS $$
    SELECT coalesce(array_agg(r ORDER BY r COLLATE "C"), '{}') FROM (
        SELECT 'customer ' || row_to_json(x)::text AS r FROM dse.customer x WHERE x.id IS DISTINCT FROM except_person
        UNION ALL SELECT 'orders ' || row_to_json(x)::text FROM dse.orders x WHERE x.id / 100 IS DISTINCT FROM except_person
        UNION ALL SELECT 'order_item ' || row_to_json(x)::text FROM dse.order_item x WHERE x.order_id / 100 IS DISTINCT FROM except_person
        UNION ALL SELECT 'message ' || row_to_json(x)::text FROM dse.message x WHERE x.id / 100 IS DISTINCT FROM except_person
        UNION ALL SELECT 'ticket ' || row_to_json(x)::text FROM dse.ticket x WHERE x.id / 100 IS DISTINCT FROM except_person
        UNION ALL SELECT 'signup ' || row_to_json(x)::text FROM dse.signup x WHERE x.id / 100 IS DISTINCT FROM except_person
        UNION ALL SELECT 'audit ' || row_to_json(x)::text FROM dse.audit x WHERE x.id / 100 IS DISTINCT FROM except_person
        UNION ALL SELECT 'note ' || row_to_json(x)::text FROM dse.note x WHERE x.id / 100 IS DISTINCT FROM except_person
        UNION ALL SELECT 'newsletter ' || row_to_json(x)::text FROM dse.newsletter x
                   WHERE lower(btrim(x.email)) IS DISTINCT FROM format('person%s@example.com', except_person)) s
$$;

-- an erasure report as sorted 'table found/deleted/anonymized/held' strings
CREATE TEMP TABLE e_report (label text, table_name regclass, rows_found bigint, rows_deleted bigint,
                            rows_anonymized bigint, rows_held bigint, rows_kept bigint, note text);
CREATE FUNCTION pg_temp.erase(label text, ids jsonb, dry boolean DEFAULT false) RETURNS void LANGUAGE sql AS $$
    INSERT INTO e_report SELECT label, r.* FROM retention.erase_subject(ids, dry) r;
$$;
CREATE FUNCTION pg_temp.report(l text) RETURNS text[] LANGUAGE sql AS $$
    SELECT coalesce(array_agg(format('%s %s/%s/%s/%s', table_name, rows_found, rows_deleted, rows_anonymized, rows_held)
                              ORDER BY table_name::text), '{}')
      FROM e_report WHERE label = l
$$;
CREATE FUNCTION pg_temp.last_request() RETURNS retention.dsr_request LANGUAGE sql AS $$
    SELECT * FROM retention.dsr_request ORDER BY request_id DESC LIMIT 1
$$;
-- "SQLSTATE" of a statement (NULL: no error)
CREATE FUNCTION pg_temp.sqlstate_of(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END
$$;

-- what an erasure of one person without holds of their own does
CREATE TEMP TABLE e_expected AS SELECT ARRAY[
    'dse.customer 1/1/0/0',
    'dse.message 2/1/1/0',      -- own message deleted; in Zed's only the number goes
    'dse.newsletter 1/1/0/0',
    'dse.note 2/1/0/1',         -- the note about Eve is held by her hold
    'dse.order_item 2/2/0/0',
    'dse.orders 2/2/0/0',
    'dse.signup 1/0/1/0',
    'dse.ticket 2/0/2/0'] AS r;

-- =====================================================================
-- Dry run (Ana, person 1): reports, changes nothing
-- =====================================================================
CREATE TEMP TABLE e_before AS SELECT pg_temp.all_rows() AS r;
SELECT pg_temp.erase('ana dry', pg_temp.ids_of(1), true);
SELECT is(pg_temp.report('ana dry'), (SELECT r FROM e_expected), 'dry run: the report');
SELECT is(pg_temp.all_rows(), (SELECT r FROM e_before), 'dry run: nothing changed');
SELECT ok(NOT retention.is_suppressed('email', 'person1@example.com'), 'dry run: not suppressed');
SELECT is((pg_temp.last_request()).kind || '/' || (pg_temp.last_request()).dry_run || '/' || (pg_temp.last_request()).outcome,
          'erase (dry run)/true/done', 'dry run: logged as a dry run');

-- =====================================================================
-- Erasure (Ana)
-- =====================================================================
SELECT pg_temp.erase('ana', pg_temp.ids_of(1));
SELECT is(pg_temp.report('ana'), (SELECT r FROM e_expected), 'erasure: the report');
SELECT is(pg_temp.report('ana'), pg_temp.report('ana dry'), 'erasure: the dry run reported the same counts');
SELECT is((SELECT count(*)::int FROM e_report WHERE label = 'ana' AND note IS NOT NULL AND table_name <> 'dse.note'::regclass), 0,
          'erasure: no note where nothing was held');

SELECT is((SELECT count(*)::int FROM dse.customer WHERE id = 1), 0, 'customer row deleted (table tag)');
SELECT is((SELECT count(*)::int FROM dse.orders WHERE customer_id = 1), 0, 'orders deleted (untagged table, NO ACTION key)');
SELECT is((SELECT count(*)::int FROM dse.order_item WHERE order_id / 100 = 1), 0,
          'order items deleted before their orders (RESTRICT key)');
SELECT is((SELECT count(*)::int FROM dse.message WHERE id = 101), 0, 'own message deleted (table tag)');
SELECT is((SELECT row(customer_id, end_user_phone, content)::text FROM dse.message WHERE id = 102),
          '(99,,"sent to 1")', 'Zed''s message to Ana: kept, only the end user''s number nullified');
SELECT is((SELECT row(customer_id, contact_email, body, status)::text FROM dse.ticket WHERE id = 101),
          '(,,,open)', 'ticket on her account: kept, body nullified, contact e-mail removed, RESTRICT key set NULL');
SELECT is((SELECT row(customer_id, contact_email, body, status)::text FROM dse.ticket WHERE id = 102),
          '(99,,,closed)', 'ticket she opened on Zed''s account: kept, body and contact removed, key to Zed kept');
SELECT ok((SELECT email ~ '^[0-9a-f]{64}$' AND source IS NULL FROM dse.signup WHERE id = 101),
          'signup: NOT NULL identifier replaced by a pseudonym, tagged column nullified');
SELECT is((SELECT count(*)::int FROM dse.signup WHERE email = pg_temp.email_of(1, 2)), 0, 'signup: the address is gone');
SELECT is((SELECT row(author_email, about_email, body)::text FROM dse.note WHERE id = 101),
          '(person1@example.com,Eve@Example.com,"about eve")', 'note about Eve (held by her hold): kept as it was');
SELECT is((SELECT count(*)::int FROM dse.note WHERE id = 102), 0, 'her own note deleted');
SELECT is((SELECT count(*)::int FROM dse.newsletter WHERE lower(btrim(email)) = 'person1@example.com'), 0,
          'newsletter row deleted (subject-only tag)');
SELECT is(pg_temp.all_rows(1), (SELECT array_agg(x ORDER BY x COLLATE "C") FROM (
              SELECT x FROM e_before, unnest(e_before.r) x
               WHERE x !~ '^(customer {"id":1,|orders {"id":10[0-9],|order_item {"order_id":10[0-9],|message {"id":10[0-9],|ticket {"id":10[0-9],|signup {"id":10[0-9],|note {"id":10[0-9],)'
                 AND x NOT LIKE 'newsletter {"email":"PERSON1@EXAMPLE.COM"%') y),
          'nobody else''s rows changed');
SELECT is((SELECT row(end_user_phone, content)::text FROM dse.message WHERE id = 202),
          '(00385-91-002-000,"sent to 2")', 'control: Zed''s message to another person untouched');

-- suppression
SELECT ok(retention.is_suppressed('email', 'Person1@EXAMPLE.com '), 'suppressed: her e-mail, in another format');
SELECT ok(retention.is_suppressed('phone', '0038591001000'), 'suppressed: her phone number, in another format');
SELECT ok(NOT retention.is_suppressed('email', 'person2@example.com'), 'not suppressed: someone else');
SELECT ok(NOT retention.is_suppressed('phone', 'person1@example.com'), 'not suppressed: her e-mail as a phone number');
SELECT is((SELECT count(*)::int FROM retention.suppression WHERE reason = 'erasure' AND octet_length(identifier_hash) = 32), 2,
          'suppression list: two keyed hashes, reason erasure');

-- request log
CREATE TEMP TABLE e_ana_log AS SELECT * FROM pg_temp.last_request();
SELECT is((SELECT kind || '/' || dry_run || '/' || outcome || '/' || rows_found FROM e_ana_log), 'erase/false/done/13',
          'request log: kind erase, outcome done, 13 rows found');
SELECT is((SELECT tables FROM e_ana_log),
          (SELECT jsonb_object_agg(table_name::text, jsonb_build_object('found', rows_found, 'deleted', rows_deleted,
                                                                        'anonymized', rows_anonymized, 'held', rows_held))
             FROM e_report WHERE label = 'ana'),
          'request log: per-table counts equal the returned report');
SELECT is((SELECT array_agg(split_part(h, ':', 1) ORDER BY h) FROM e_ana_log, unnest(identifier_hashes) h),
          ARRAY['email', 'phone'], 'request log: one hash per identifier');
SELECT is((SELECT count(*)::int FROM e_ana_log WHERE row_to_json(e_ana_log)::text ~* '(person1|001.?000)'), 0,
          'request log: no identifier in clear');

-- =====================================================================
-- A second erasure changes nothing: it finds only the held note
-- =====================================================================
CREATE TEMP TABLE e_after AS SELECT pg_temp.all_rows() AS r;
SELECT pg_temp.erase('ana again', pg_temp.ids_of(1));
SELECT is(pg_temp.report('ana again'), ARRAY['dse.note 1/0/0/1'], 'second erasure: only the held row is found, and held');
SELECT is(pg_temp.all_rows(), (SELECT r FROM e_after), 'second erasure: nothing changed');

-- =====================================================================
-- Holds
-- =====================================================================
-- Hana (2): a subject hold on her phone number -> nothing changes, all held
CREATE TEMP TABLE e_hold AS
SELECT retention.place_hold('case 2: Hana', subject_kind => 'phone', subject_value => pg_temp.phone_of(2, 2)) AS id;
DELETE FROM e_before; INSERT INTO e_before SELECT pg_temp.all_rows();
SELECT pg_temp.erase('hana', pg_temp.ids_of(2));
SELECT is(pg_temp.report('hana'),
          ARRAY['dse.customer 1/0/0/1', 'dse.message 2/0/0/2', 'dse.newsletter 1/0/0/1', 'dse.note 2/0/0/2',
                'dse.order_item 2/0/0/2', 'dse.orders 2/0/0/2', 'dse.signup 1/0/0/1', 'dse.ticket 2/0/0/2'],
          'subject hold: every row found, every row reported held');
SELECT is((SELECT array_agg(DISTINCT note) FROM e_report WHERE label = 'hana'),
          ARRAY['the subject is under a legal hold: nothing was changed'], 'subject hold: the note says so');
SELECT is(pg_temp.all_rows(), (SELECT r FROM e_before), 'subject hold: nothing changed');
SELECT ok(NOT retention.is_suppressed('email', 'person2@example.com'), 'subject hold: not put on the suppression list');
SELECT is((pg_temp.last_request()).outcome, 'held', 'subject hold: logged as held');
SELECT pg_temp.erase('hana dry', pg_temp.ids_of(2), true);
SELECT is(pg_temp.report('hana dry'), pg_temp.report('hana'), 'subject hold: a dry run reports the same');
DO $$ BEGIN PERFORM retention.release_hold(id, 'case closed') FROM e_hold; END $$;
DELETE FROM e_hold;
SELECT pg_temp.erase('hana released', pg_temp.ids_of(2), true);
SELECT is(pg_temp.report('hana released'), (SELECT r FROM e_expected), 'subject hold released: the erasure would proceed');

-- Cara (3): a category hold on the end users' numbers: Zed's message to
-- her is held; everything else erased
INSERT INTO e_hold SELECT retention.place_hold('case 3: numbers', category => 'dse_enduser');
DELETE FROM e_before; INSERT INTO e_before SELECT pg_temp.all_rows();
SELECT pg_temp.erase('cara', pg_temp.ids_of(3));
SELECT is(pg_temp.report('cara'),
          (SELECT array_agg(CASE WHEN x LIKE 'dse.message %' THEN 'dse.message 2/1/0/1' ELSE x END ORDER BY x) FROM e_expected, unnest(r) x),
          'category hold: the held category''s column is held, the rest erased');
SELECT is((SELECT note FROM e_report WHERE label = 'cara' AND table_name = 'dse.message'::regclass),
          'held by a legal hold on the category or table', 'category hold: the note says so');
SELECT is((SELECT row(customer_id, end_user_phone, content)::text FROM dse.message WHERE id = 302),
          '(99,00385-91-003-000,"sent to 3")', 'category hold: Zed''s message to her untouched');
SELECT is((SELECT count(*)::int FROM dse.message WHERE id = 301), 0, 'category hold: her own message (another category) deleted');
SELECT is((SELECT count(*)::int FROM dse.customer WHERE id = 3), 0, 'category hold: her customer row deleted');
DO $$ BEGIN PERFORM retention.release_hold(id, 'case closed') FROM e_hold; END $$;
DELETE FROM e_hold;

-- Tara (4): a table hold on the signups
INSERT INTO e_hold SELECT retention.place_hold('case 4: signups', table_name => 'dse.signup');
SELECT pg_temp.erase('tara', pg_temp.ids_of(4));
SELECT is(pg_temp.report('tara'),
          (SELECT array_agg(CASE WHEN x LIKE 'dse.signup %' THEN 'dse.signup 1/0/0/1' ELSE x END ORDER BY x) FROM e_expected, unnest(r) x),
          'table hold: the table''s rows held, the rest erased');
SELECT is((SELECT row(email, source)::text FROM dse.signup WHERE id = 401), '(PERSON4@EXAMPLE.COM,web)',
          'table hold: the signup untouched');
SELECT is((SELECT count(*)::int FROM dse.customer WHERE id = 4), 0, 'table hold: her customer row deleted');
DO $$ BEGIN PERFORM retention.release_hold(id, 'case closed') FROM e_hold; END $$;
DELETE FROM e_hold;

-- Another person's subject hold on a shared row: counted in every report
-- above (the note about Eve); Eve's own erasure is held as a whole
SELECT pg_temp.erase('eve', '{"email": "eve@example.com"}');
SELECT is(pg_temp.report('eve'),
          (SELECT ARRAY[format('dse.note %s/0/0/%s', count(*), count(*))] FROM dse.note WHERE about_email ILIKE 'eve@example.com'),
          'Eve (held): the notes about her found and held');
SELECT ok((SELECT count(*) FROM dse.note WHERE about_email ILIKE 'eve@example.com') >= 8,
          'Eve: the notes about her written by the people erased above are all still there');

-- Kira (5): a category hold on ticket bodies (and signup sources): her
-- ticket is held, so is the customer row it references (it cannot go
-- while a held row points at it); everything else is erased, no error
INSERT INTO e_hold SELECT retention.place_hold('case 5: tickets', category => 'dse_ticket');
SELECT is(pg_temp.sqlstate_of($$SELECT pg_temp.erase('kira', pg_temp.ids_of(5))$$), NULL,
          'hold on a child table: the erasure does not fail');
SELECT is((SELECT row(customer_id, contact_email, body)::text FROM dse.ticket WHERE id = 501),
          '(5,PERSON5@EXAMPLE.COM,"body 5")', 'hold on a child table: the held ticket untouched');
SELECT is((SELECT count(*)::int FROM dse.customer WHERE id = 5), 1, 'hold on a child table: the customer it references kept');
SELECT is((SELECT rows_held FROM e_report WHERE label = 'kira' AND table_name = 'dse.customer'::regclass), 1::bigint,
          'hold on a child table: the kept customer row reported held');
SELECT is((SELECT count(*)::int FROM dse.orders WHERE customer_id = 5), 0, 'hold on a child table: her orders erased');
DO $$ BEGIN PERFORM retention.release_hold(id, 'case closed') FROM e_hold; END $$;
DELETE FROM e_hold;

-- =====================================================================
-- A kept row that cannot lose its parent: the parent is anonymized
-- instead of deleted, so that it identifies nobody
-- =====================================================================
SELECT is(pg_temp.sqlstate_of($$SELECT pg_temp.erase('nora', pg_temp.ids_of(6))$$), NULL,
          'a kept row with a NOT NULL key to a person''s row: the erasure does not fail');
SELECT is((SELECT row(email, phone)::text FROM dse.customer WHERE id = 6), '(,)',
          'the referenced customer row stays, its identifiers removed');
SELECT is((SELECT count(*)::int FROM dse.audit WHERE id = 601 AND customer_id = 6), 1,
          'the audit row keeps its key to the customer');
SELECT is((SELECT rows_anonymized FROM e_report WHERE label = 'nora' AND table_name = 'dse.customer'::regclass), 1::bigint,
          'the customer row is reported anonymized, not deleted');
SELECT ok(retention.is_suppressed('email', 'person6@example.com'), 'Nora is on the suppression list');

-- =====================================================================
-- Arguments
-- =====================================================================
SELECT throws_ok($$SELECT * FROM retention.erase_subject('{"iban": "HR12"}')$$, '22023',
                 'no tag declares subject kind "iban"', 'erase: unknown kind: 22023');
SELECT throws_ok($$SELECT * FROM retention.erase_subject('["person7@example.com"]')$$, '22023',
                 'identifiers must be a JSON object', 'erase: identifiers not an object: 22023');
DELETE FROM e_before; INSERT INTO e_before SELECT pg_temp.all_rows();
SELECT is(pg_temp.all_rows(), (SELECT r FROM e_before), 'refused erasures changed nothing');

-- =====================================================================
-- Opt-out without erasure
-- =====================================================================
SELECT FROM retention.suppress('email', ' Person7@Example.COM');
SELECT FROM retention.suppress('phone', '+385 91 007 000', 'complaint');
SELECT FROM retention.suppress('email', 'person7@example.com');  -- twice: no error
SELECT ok(retention.is_suppressed('email', 'PERSON7@EXAMPLE.COM '), 'opt-out: e-mail suppressed');
SELECT ok(retention.is_suppressed('phone', '0038591007000'), 'opt-out: phone suppressed');
SELECT ok(NOT retention.is_suppressed('email', 'person8@example.com'), 'opt-out: others are not');
SELECT is((SELECT array_agg(reason ORDER BY reason) FROM retention.suppression WHERE reason <> 'erasure'),
          ARRAY['complaint', 'opt-out'], 'opt-out: one entry each, with its reason');
SELECT is((SELECT count(*)::int FROM dse.customer WHERE id = 7), 1, 'opt-out: nothing erased');

-- =====================================================================
-- No personal data in the retention schema
-- =====================================================================
INSERT INTO dse.customer VALUES (50, 'Sentinel Zq7k9x', 'Sentinel-ZQ7K9X@Example.com', '+385 99 731 9713', now());
INSERT INTO dse.orders VALUES (5001, 50, 1);
INSERT INTO dse.ticket VALUES (5001, 50, 'sentinel-zq7k9x@example.com', 'zq7k9x body', now(), 'open');
INSERT INTO dse.message VALUES (5002, 99, '00385997319713', 'to the sentinel zq7k9x', now());
INSERT INTO dse.note VALUES (5003, 'person8@example.com', 'Sentinel-Held-ZQ7K9X@Example.com', 'about a held sentinel', now());
SELECT FROM retention.place_hold('case 50', subject_kind => 'email', subject_value => 'Sentinel-Held-ZQ7K9X@Example.com');
SELECT FROM retention.export_subject('{"email": "Sentinel-ZQ7K9X@Example.com", "phone": "+385 99 731 9713"}');
SELECT FROM retention.export_subject_csv('{"email": "Sentinel-ZQ7K9X@Example.com"}');
SELECT pg_temp.erase('sentinel dry', '{"email": "Sentinel-ZQ7K9X@Example.com", "phone": "+385 99 731 9713"}', true);
SELECT pg_temp.erase('sentinel', '{"email": "Sentinel-ZQ7K9X@Example.com", "phone": "+385 99 731 9713"}');
SELECT pg_temp.erase('sentinel held', '{"email": "Sentinel-Held-ZQ7K9X@Example.com"}');
SELECT FROM retention.suppress('email', 'Sentinel-Optout-ZQ7K9X@Example.com', 'opt-out');
SELECT FROM retention.is_suppressed('email', 'Sentinel-Other-ZQ7K9X@Example.com');
SELECT is(pg_temp.report('sentinel'), ARRAY['dse.customer 1/1/0/0', 'dse.message 1/0/1/0', 'dse.orders 1/1/0/0', 'dse.ticket 1/0/1/0'],
          'sentinel: erased');
DELETE FROM e_after; INSERT INTO e_after SELECT pg_temp.all_rows();
SELECT pg_temp.erase('sentinel again', '{"email": "Sentinel-ZQ7K9X@Example.com", "phone": "+385 99 731 9713"}');
SELECT is(pg_temp.report('sentinel again'), '{}', 'second erasure without held rows: empty result');
SELECT is(pg_temp.all_rows(), (SELECT r FROM e_after), 'second erasure without held rows: nothing changed');
SELECT is((pg_temp.last_request()).outcome || '/' || (pg_temp.last_request()).rows_found, 'nothing found/0',
          'second erasure without held rows: logged as nothing found');
SELECT is((pg_temp.last_request()).tables, '{}'::jsonb, 'second erasure without held rows: no tables in the log');

CREATE FUNCTION pg_temp.tables_with_sentinel(schema_name name) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE t regclass; n bigint; found text[] := '{}';
BEGIN
    FOR t IN SELECT c.oid FROM pg_class c WHERE c.relnamespace = schema_name::regnamespace AND c.relkind IN ('r', 'p')
              ORDER BY c.relname LOOP
        EXECUTE format($q$SELECT count(*) FROM %s x WHERE row_to_json(x)::text ~* '(sentinel|zq7k9x|731\D?9713|385\D*99\D*731)'$q$, t)
           INTO n;
        IF n > 0 THEN
            found := found || t::text;
        END IF;
    END LOOP;
    RETURN found;
END
$$;
SELECT is(pg_temp.tables_with_sentinel('retention'), '{}', 'no table of the retention schema holds a sentinel in any form');
SELECT ok((SELECT count(*) FROM pg_class WHERE relnamespace = 'retention'::regnamespace AND relkind = 'r') >= 6
          AND (SELECT count(*) FROM retention.dsr_request) >= 10 AND (SELECT count(*) FROM retention.suppression) >= 5,
          'control: the retention schema has the request log, suppression list and holds to search');
SELECT is(pg_temp.tables_with_sentinel('dse'), ARRAY['dse.message', 'dse.note'],
          'control: the search finds what is left of the sentinels (the held note, the message text)');

-- (erase_subject(NULL) is tested in test/t/030_subject_requests.pl: it once
-- crashed the server, which would take the other pgTAP files down with it)
SELECT throws_ok($$SELECT * FROM retention.erase_subject('{"email": "nobody@nowhere.example"}', NULL)$$,
                 '22004', 'dry_run must not be NULL',
                 'erase: dry_run NULL is refused (it must not mean a real erasure)');

SELECT * FROM finish();
ROLLBACK;
