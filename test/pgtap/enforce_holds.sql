-- Legal holds under enforcement.  A randomized data set (fixed seed: 2000
-- rows over six tables and seven categories, identifiers stored in many
-- formats) and holds of every scope: category, table, and data subject
-- (e-mail and phone, placed in other formats than the stored ones, some
-- twice).  What is due and what is held is computed here independently
-- (retention.due_time and our own normalization of identifiers) BEFORE
-- enforcing; afterwards no held row is touched, every unheld due row is
-- processed, no row that is not due is touched, and the evidence counts the
-- held rows.  Then releasing holds and holds ending let the data go; a
-- category hold on one of several column tags of a table; place_hold
-- argument errors; only retention_admin members may place or release holds.
BEGIN;
SELECT plan(59);

SET LOCAL client_min_messages = warning;
SET LOCAL TimeZone = 'UTC';
-- No background worker runs here: test/run-pgtap starts the server with
-- retention.enabled = off.  (The run lock is not an advisory lock a session
-- can take any more, see doc/enforcement.md.)
SELECT FROM setseed(0.4242);

CREATE FUNCTION pg_temp.last_run() RETURNS bigint LANGUAGE sql AS
$$ SELECT max(run_id) FROM retention.run WHERE origin = 'call' $$;

-- Our own idea of how identifiers are matched (see retention.normalize_identifier).
CREATE FUNCTION pg_temp.norm_email(v text) RETURNS text LANGUAGE sql IMMUTABLE AS
$$ SELECT lower(btrim(v)) $$;
CREATE FUNCTION pg_temp.norm_phone(v text) RETURNS text LANGUAGE sql IMMUTABLE AS
$$ SELECT '+' || regexp_replace(CASE WHEN btrim(v) LIKE '00%' THEN substr(btrim(v), 3) ELSE btrim(v) END, '[^0-9]', '', 'g') $$;

-- A random format of e-mail n / phone n (the same person each time)
CREATE FUNCTION pg_temp.email_as(n int, f int) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE f % 4 WHEN 0 THEN format('user%s@example.com', n)
                      WHEN 1 THEN format('USER%s@EXAMPLE.COM', n)
                      WHEN 2 THEN format('  User%s@Example.com ', n)
                      ELSE format('user%s@Example.COM', n) END $$;
CREATE FUNCTION pg_temp.phone_as(n int, f int) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE f % 4 WHEN 0 THEN format('+385 91 %s', lpad(n::text, 4, '0'))
                      WHEN 1 THEN format('00385 91 %s', lpad(n::text, 4, '0'))
                      WHEN 2 THEN format('+385-91-%s', lpad(n::text, 4, '0'))
                      ELSE format('0038591%s', lpad(n::text, 4, '0')) END $$;

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
-- Categories, tables, tags
-- =====================================================================
SELECT FROM retention.define_category('h_cust', '30 days');
SELECT FROM retention.define_category('h_ord', '1 year', 'end_of_month');
SELECT FROM retention.define_category('h_tbody', '90 days', action => 'nullify');
SELECT FROM retention.define_category('h_tcont', '60 days', action => 'hash');
SELECT FROM retention.define_category('h_visit', '7 days', 'end_of_day');
SELECT FROM retention.define_category('h_noted', '10 days', action => 'mask');

CREATE TABLE h_customer (id int PRIMARY KEY, email text, phone text, created_at timestamptz);
CREATE TABLE h_order (id int PRIMARY KEY, email text, placed_at timestamptz, amount int);
CREATE TABLE h_ticket (id int PRIMARY KEY, phone text, opened_at timestamptz, body text, contact text);
CREATE TABLE h_visit (id int PRIMARY KEY, email text, seen_at timestamptz);
CREATE TABLE h_archive (id int PRIMARY KEY, email text, phone text, created_at timestamptz);
CREATE TABLE h_note (id int PRIMARY KEY, email text, at timestamptz, note text);

SELECT FROM retention.tag_table('h_customer', 'h_cust', 'created_at');
SELECT FROM retention.tag_column('h_customer', 'email', subject => 'email');
SELECT FROM retention.tag_column('h_customer', 'phone', subject => 'phone');
SELECT FROM retention.tag_table('h_order', 'h_ord', 'placed_at');
SELECT FROM retention.tag_column('h_order', 'email', subject => 'email');
SELECT FROM retention.tag_column('h_ticket', 'phone', subject => 'phone');
SELECT FROM retention.tag_column('h_ticket', 'body', 'h_tbody', 'opened_at');
SELECT FROM retention.tag_column('h_ticket', 'contact', 'h_tcont', 'opened_at', subject => 'email');
SELECT FROM retention.tag_table('h_visit', 'h_visit', 'seen_at');
SELECT FROM retention.tag_column('h_visit', 'email', subject => 'email');
SELECT FROM retention.tag_table('h_archive', 'h_cust', 'created_at');
SELECT FROM retention.tag_column('h_archive', 'email', subject => 'email');
SELECT FROM retention.tag_column('h_archive', 'phone', subject => 'phone');
SELECT FROM retention.tag_column('h_note', 'email', subject => 'email');
SELECT FROM retention.tag_column('h_note', 'note', 'h_noted', 'at');

-- =====================================================================
-- Data: anchors up to 400 days back (about 5% NULL), 80 people, each
-- stored in one of four formats per row, about 5% of identifiers NULL
-- =====================================================================
CREATE TEMP TABLE h_rand AS
SELECT t.tbl, g AS id,
       CASE WHEN random() < 0.05 THEN NULL ELSE now() - random() * interval '400 days' END AS anchor,
       CASE WHEN random() < 0.05 THEN NULL ELSE pg_temp.email_as(1 + floor(random() * 80)::int, floor(random() * 4)::int) END AS email,
       CASE WHEN random() < 0.05 THEN NULL ELSE pg_temp.phone_as(1 + floor(random() * 80)::int, floor(random() * 4)::int) END AS phone,
       'text ' || g AS body
  FROM (VALUES ('customer', 600), ('order', 500), ('ticket', 400), ('visit', 250), ('archive', 200), ('note', 50)) AS t(tbl, n)
 CROSS JOIN LATERAL generate_series(1, t.n) g;

INSERT INTO h_customer SELECT id, email, phone, anchor FROM h_rand WHERE tbl = 'customer';
INSERT INTO h_order SELECT id, email, anchor, id FROM h_rand WHERE tbl = 'order';
INSERT INTO h_ticket SELECT id, phone, anchor, body, email FROM h_rand WHERE tbl = 'ticket';
INSERT INTO h_visit SELECT id, email, anchor FROM h_rand WHERE tbl = 'visit';
INSERT INTO h_archive SELECT id, email, phone, anchor FROM h_rand WHERE tbl = 'archive';
INSERT INTO h_note SELECT id, email, anchor, body FROM h_rand WHERE tbl = 'note';
-- Ana, as in the brief: stored one way, held another
INSERT INTO h_customer VALUES (9001, ' Ana@Example.com', '+385 91 123', now() - interval '100 days'),
                              (9002, 'ana@example.com', NULL, now() - interval '100 days'),
                              (9003, NULL, '0038591123', now() - interval '100 days'),
                              (9004, 'other@example.com', '+385 91 124', now() - interval '100 days');

-- =====================================================================
-- Holds.  h_my_hold is our own record: kind, normalized value, and
-- whether the hold should still protect at enforcement time.
-- =====================================================================
CREATE TEMP TABLE h_my_hold (hold_id bigint, kind text, norm text, active boolean DEFAULT true);

-- ten people held by e-mail and ten by phone, each placed in a format
-- chosen independently of the stored ones
CREATE TEMP TABLE h_pick AS
SELECT 'email'::text AS kind, n FROM (SELECT n FROM generate_series(1, 80) n ORDER BY random() LIMIT 10) e
UNION ALL
SELECT 'phone', n FROM (SELECT n FROM generate_series(1, 80) n ORDER BY random() LIMIT 10) p;

INSERT INTO h_my_hold (hold_id, kind, norm)
SELECT retention.place_hold('case 17: litigation', subject_kind => kind,
                            subject_value => CASE kind WHEN 'email' THEN pg_temp.email_as(n, n + 1)
                                                       ELSE pg_temp.phone_as(n, n + 1) END),
       kind,
       CASE kind WHEN 'email' THEN format('user%s@example.com', n) ELSE '+38591' || lpad(n::text, 4, '0') END
  FROM h_pick ORDER BY kind, n;

-- the same person held twice, in two formats (duplicates are fine)
INSERT INTO h_my_hold (hold_id, kind, norm)
SELECT retention.place_hold('case 17: second request', subject_kind => 'email',
                            subject_value => pg_temp.email_as(n, n + 2)),
       'email', format('user%s@example.com', n)
  FROM h_pick WHERE kind = 'email' ORDER BY n LIMIT 3;

INSERT INTO h_my_hold (hold_id, kind, norm) VALUES
    (retention.place_hold('case 18', subject_kind => 'email', subject_value => ' ANA@Example.com '), 'email', 'ana@example.com'),
    (retention.place_hold('case 19', subject_kind => 'email', subject_value => 'ana@example.com'), 'email', 'ana@example.com'),
    (retention.place_hold('case 18', subject_kind => 'phone', subject_value => '0038591123'), 'phone', '+38591123'),
    -- a hold that ends tomorrow still protects today
    (retention.place_hold('case 21', subject_kind => 'email', subject_value => 'USER77@example.com',
                          ends_at => now() + interval '1 day'), 'email', 'user77@example.com');

-- a released hold and an expired one protect nothing
INSERT INTO h_my_hold (hold_id, kind, norm, active) VALUES
    (retention.place_hold('case 22', subject_kind => 'email', subject_value => 'user78@example.com'), 'email', 'user78@example.com', false),
    (retention.place_hold('case 23', subject_kind => 'phone', subject_value => '+385 91 0079'), 'phone', '+385910079', false);
SELECT FROM retention.release_hold((SELECT hold_id FROM h_my_hold WHERE norm = 'user78@example.com'), 'case closed');
-- (place_hold refuses an end in the past, so the end is moved there: the
-- hold ran out while the data waited)
UPDATE retention.legal_hold SET ends_at = now() - interval '1 second'
 WHERE hold_id = (SELECT hold_id FROM h_my_hold WHERE norm = '+385910079');

SELECT retention.place_hold('audit of visits', category => 'h_visit') AS visit_hold \gset
SELECT retention.place_hold('archive kept for the tax audit', table_name => 'h_archive') AS archive_hold \gset
SELECT retention.place_hold('notes frozen', category => 'h_noted') AS note_hold \gset

-- =====================================================================
-- What should happen, computed before enforcing
-- =====================================================================
CREATE FUNCTION pg_temp.held(email text, phone text) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM h_my_hold h WHERE h.active AND h.kind = 'email' AND h.norm = pg_temp.norm_email(email))
        OR EXISTS (SELECT 1 FROM h_my_hold h WHERE h.active AND h.kind = 'phone' AND h.norm = pg_temp.norm_phone(phone)) $$;

CREATE TEMP TABLE h_expect AS
SELECT 'customer'::text AS tbl, id, retention.due_time(created_at, '30 days', 'exact', 'UTC') <= now() AS due,
       pg_temp.held(email, phone) AS held, NULL::text AS body, NULL::text AS contact, false AS due2
  FROM h_customer
UNION ALL
SELECT 'order', id, retention.due_time(placed_at, '1 year', 'end_of_month', 'UTC') <= now(),
       pg_temp.held(email, NULL), NULL, NULL, false
  FROM h_order
UNION ALL
SELECT 'ticket', id, retention.due_time(opened_at, '90 days', 'exact', 'UTC') <= now(),
       pg_temp.held(contact, phone), body, contact,
       retention.due_time(opened_at, '60 days', 'exact', 'UTC') <= now()
  FROM h_ticket
UNION ALL
SELECT 'visit', id, retention.due_time(seen_at, '7 days', 'end_of_day', 'UTC') <= now(), true, NULL, NULL, false
  FROM h_visit
UNION ALL
SELECT 'archive', id, retention.due_time(created_at, '30 days', 'exact', 'UTC') <= now(), true, NULL, NULL, false
  FROM h_archive
UNION ALL
SELECT 'note', id, retention.due_time(at, '10 days', 'exact', 'UTC') <= now(), true, note, NULL, false
  FROM h_note;
UPDATE h_expect SET due = coalesce(due, false), due2 = coalesce(due2, false);

CREATE TEMP TABLE h_preview AS SELECT * FROM retention.preview();

-- the data set is not degenerate: every kind of row exists
SELECT ok(
    (SELECT count(*) FILTER (WHERE due AND held) >= 20 AND count(*) FILTER (WHERE due AND NOT held) >= 100
            AND count(*) FILTER (WHERE NOT due) >= 100
       FROM h_expect WHERE tbl IN ('customer', 'order', 'ticket')),
    'the random data has due held rows, due unheld rows and rows not due');
SELECT ok(
    (SELECT count(*) > 0 FROM h_customer c JOIN h_expect e ON e.tbl = 'customer' AND e.id = c.id
      WHERE e.held AND e.due AND (c.email IS DISTINCT FROM pg_temp.norm_email(c.email)
                                  OR c.phone IS DISTINCT FROM pg_temp.norm_phone(c.phone))),
    'some held rows store their identifier in another format than the normalized one');
SELECT is(retention.normalize_identifier('email', ' ANA@Example.com '), 'ana@example.com',
          'an e-mail address is matched trimmed and lower-cased');
SELECT is(retention.normalize_identifier('phone', '+385 91 123'), retention.normalize_identifier('phone', '0038591123'),
          'a phone number is matched as + and its digits, 00 being the international prefix');
SELECT is_empty(
    $$SELECT DISTINCT pg_temp.norm_email(email) FROM h_rand WHERE email IS NOT NULL
       EXCEPT SELECT DISTINCT retention.normalize_identifier('email', email) FROM h_rand WHERE email IS NOT NULL$$,
    'our e-mail normalization agrees with retention.normalize_identifier on every stored address');
SELECT is_empty(
    $$SELECT DISTINCT pg_temp.norm_phone(phone) FROM h_rand WHERE phone IS NOT NULL
       EXCEPT SELECT DISTINCT retention.normalize_identifier('phone', phone) FROM h_rand WHERE phone IS NOT NULL$$,
    'our phone normalization agrees with retention.normalize_identifier on every stored number');

-- holds keep no identifier in clear, and duplicates hash alike
SELECT is((SELECT count(*) FROM retention.legal_hold h
            WHERE concat_ws('|', h.reason, h.category, h.table_name, h.subject_kind, h.release_reason) ~* '(example|385)'
               OR octet_length(h.subject_hash) <> 32),
          0::bigint,
          'retention.legal_hold stores no identifier in clear, only 32-byte keyed hashes');
SELECT is((SELECT count(DISTINCT subject_hash) FROM retention.legal_hold
            WHERE hold_id IN (SELECT hold_id FROM h_my_hold WHERE norm = 'ana@example.com')), 1::bigint,
          ''' ANA@Example.com '' and ''ana@example.com'' are held under the same keyed hash');
SELECT ok((SELECT bool_and(active) = false FROM retention.holds
            WHERE hold_id IN (SELECT hold_id FROM h_my_hold WHERE NOT active)),
          'retention.holds shows the released and the expired hold as inactive');

CALL retention.enforce();
CREATE TEMP TABLE h_runs AS SELECT 1 AS n, pg_temp.last_run() AS run_id;

-- =====================================================================
-- After the run: delete tags with subject holds
-- =====================================================================
SELECT is_empty(
    $$SELECT e.id FROM h_expect e WHERE e.tbl = 'customer' AND e.held AND e.due
       EXCEPT SELECT id FROM h_customer$$,
    'customer: no due row under a subject hold was deleted');
SELECT is_empty(
    $$SELECT id FROM h_customer
      INTERSECT SELECT e.id FROM h_expect e WHERE e.tbl = 'customer' AND e.due AND NOT e.held$$,
    'customer: every due row without a hold was deleted');
SELECT is_empty(
    $$SELECT e.id FROM h_expect e WHERE e.tbl = 'customer' AND NOT e.due
       EXCEPT SELECT id FROM h_customer$$,
    'customer: no row that is not due was deleted');
SELECT is_empty(
    $$SELECT e.id FROM h_expect e WHERE e.tbl = 'order' AND e.held AND e.due
       EXCEPT SELECT id FROM h_order$$,
    'order: no due row under a subject hold was deleted');
SELECT is_empty(
    $$SELECT id FROM h_order
      INTERSECT SELECT e.id FROM h_expect e WHERE e.tbl = 'order' AND e.due AND NOT e.held$$,
    'order: every due row without a hold was deleted');
SELECT is_empty(
    $$SELECT e.id FROM h_expect e WHERE e.tbl = 'order' AND NOT e.due
       EXCEPT SELECT id FROM h_order$$,
    'order: no row that is not due was deleted');
SELECT results_eq(
    'SELECT id FROM h_customer WHERE id > 9000 ORDER BY id',
    'VALUES (9001), (9002), (9003)',
    'Ana: rows stored as '' Ana@Example.com'', ''ana@example.com'' and ''0038591123'' are held; the other person''s row is deleted');

-- column tags with subject holds
SELECT is_empty(
    $$SELECT t.id FROM h_ticket t JOIN h_expect e ON e.tbl = 'ticket' AND e.id = t.id
       WHERE e.held AND (t.body IS DISTINCT FROM e.body OR t.contact IS DISTINCT FROM e.contact)$$,
    'ticket: no value of a row under a subject hold was anonymized');
SELECT is_empty(
    $$SELECT t.id FROM h_ticket t JOIN h_expect e ON e.tbl = 'ticket' AND e.id = t.id
       WHERE NOT e.held AND e.due AND t.body IS NOT NULL$$,
    'ticket: every due body without a hold was nullified');
SELECT is_empty(
    $$SELECT t.id FROM h_ticket t JOIN h_expect e ON e.tbl = 'ticket' AND e.id = t.id
       WHERE NOT e.held AND e.due2 AND e.contact IS NOT NULL AND t.contact !~ '^[0-9a-f]{64}$'$$,
    'ticket: every due contact without a hold was hashed');
SELECT is_empty(
    $$SELECT t.id FROM h_ticket t JOIN h_expect e ON e.tbl = 'ticket' AND e.id = t.id
       WHERE (NOT e.due AND t.body IS DISTINCT FROM e.body) OR (NOT e.due2 AND t.contact IS DISTINCT FROM e.contact)$$,
    'ticket: no value that is not due was touched');

-- category and table holds keep everything
SELECT is((SELECT count(*) FROM h_visit), 250::bigint, 'visit: the category hold keeps every row, due or not');
SELECT is((SELECT count(*) FROM h_archive), 200::bigint, 'archive: the table hold keeps every row, due or not');
SELECT is_empty(
    $$SELECT n.id FROM h_note n JOIN h_expect e ON e.tbl = 'note' AND e.id = n.id WHERE n.note IS DISTINCT FROM e.body$$,
    'note: the category hold on its column tag keeps every value');
SELECT ok((SELECT count(*) FROM h_customer) < 604, 'the table hold on h_archive does not reach h_customer (same category)');

-- evidence
SELECT results_eq(
    $$SELECT table_name, rows_held, outcome FROM retention.action_log
       WHERE run_id = (SELECT run_id FROM h_runs WHERE n = 1) AND action = 'delete' ORDER BY table_name$$,
    $$SELECT 'public.h_' || tbl, count(*) FILTER (WHERE due AND held),
             CASE WHEN tbl IN ('archive', 'visit') THEN 'held' ELSE 'done' END
        FROM h_expect WHERE tbl IN ('archive', 'customer', 'order', 'visit') GROUP BY tbl ORDER BY 1$$,
    'action_log.rows_held of each delete job is the number of due rows under a hold; category- and table-held jobs say held');
SELECT is(
    (SELECT rows_held FROM retention.action_log
      WHERE run_id = (SELECT run_id FROM h_runs WHERE n = 1) AND table_name = 'public.h_ticket'),
    (SELECT count(*) FROM h_expect WHERE tbl = 'ticket' AND held
        AND ((due AND body IS NOT NULL) OR (due2 AND contact IS NOT NULL))),
    'action_log.rows_held of the ticket job counts rows with a due value under a subject hold');
SELECT is(
    (SELECT rows_held FROM retention.run WHERE run_id = (SELECT run_id FROM h_runs WHERE n = 1)),
    (SELECT sum(rows_held)::bigint FROM retention.action_log WHERE run_id = (SELECT run_id FROM h_runs WHERE n = 1)),
    'retention.run.rows_held is the sum over its jobs');
SELECT results_eq(
    $$SELECT table_name::text, rows_held FROM h_preview WHERE column_name IS NULL ORDER BY 1$$,
    $$SELECT 'h_' || tbl, count(*) FILTER (WHERE due AND held)
        FROM h_expect WHERE tbl IN ('archive', 'customer', 'order', 'visit') GROUP BY tbl ORDER BY 1$$,
    'preview(now()) taken before the run counted the same held rows');
SELECT results_eq(
    $$SELECT table_name::text, rows_due FROM h_preview WHERE column_name IS NULL ORDER BY 1$$,
    $$SELECT 'h_' || tbl, count(*) FILTER (WHERE due AND NOT held)
        FROM h_expect WHERE tbl IN ('archive', 'customer', 'order', 'visit') GROUP BY tbl ORDER BY 1$$,
    'preview(now()) taken before the run counted as due exactly the unheld due rows');

-- preview at a later instant: the hold ending tomorrow no longer counts
SELECT is(
    (SELECT rows_held FROM retention.preview(now() + interval '2 days') WHERE table_name = 'h_customer'::regclass),
    (SELECT count(*) FROM h_customer c
      WHERE retention.due_time(c.created_at, '30 days', 'exact', 'UTC') <= now() + interval '2 days'
        AND (EXISTS (SELECT 1 FROM h_my_hold h WHERE h.active AND h.kind = 'email' AND h.norm = pg_temp.norm_email(c.email)
                       AND h.norm <> 'user77@example.com')
             OR EXISTS (SELECT 1 FROM h_my_hold h WHERE h.active AND h.kind = 'phone' AND h.norm = pg_temp.norm_phone(c.phone)))),
    'preview(now() + 2 days): rows held only by the hold ending tomorrow are no longer counted as held');

-- =====================================================================
-- Releasing holds lets the data go at the next run
-- =====================================================================
-- one of Ana's two e-mail holds: the other still protects her
SELECT FROM retention.release_hold((SELECT min(hold_id) FROM h_my_hold WHERE norm = 'ana@example.com'), 'request withdrawn');
UPDATE h_my_hold SET active = false WHERE hold_id = (SELECT min(hold_id) FROM h_my_hold WHERE norm = 'ana@example.com');
CALL retention.enforce();
INSERT INTO h_runs VALUES (2, pg_temp.last_run());

SELECT results_eq(
    'SELECT id FROM h_customer WHERE id > 9000 ORDER BY id',
    'VALUES (9001), (9002), (9003)',
    'releasing one of two holds on the same person keeps her rows held');

-- the second one, a random person's e-mail hold, and the table hold;
-- one phone hold runs out
SELECT FROM retention.release_hold((SELECT max(hold_id) FROM h_my_hold WHERE norm = 'ana@example.com'), 'request withdrawn');
UPDATE h_my_hold SET active = false WHERE norm = 'ana@example.com';
CREATE TEMP TABLE h_released AS
SELECT hold_id, norm FROM h_my_hold
 WHERE kind = 'email' AND active AND norm LIKE 'user%' AND norm <> 'user77@example.com'
   AND norm NOT IN (SELECT norm FROM h_my_hold GROUP BY norm HAVING count(*) > 1)
 ORDER BY hold_id LIMIT 1;
SELECT FROM h_released r, retention.release_hold(r.hold_id, 'case settled');
UPDATE h_my_hold SET active = false WHERE hold_id IN (SELECT hold_id FROM h_released);
UPDATE retention.legal_hold SET ends_at = now() - interval '1 second'
 WHERE hold_id = (SELECT hold_id FROM h_my_hold WHERE norm = '+38591123');
UPDATE h_my_hold SET active = false WHERE norm = '+38591123';
SELECT FROM retention.release_hold(:archive_hold, 'audit done');

SELECT ok(
    (SELECT count(*) > 0 FROM h_customer c JOIN h_released r ON pg_temp.norm_email(c.email) = r.norm
      WHERE retention.due_time(c.created_at, '30 days', 'exact', 'UTC') <= now()),
    'the released random hold protected due customer rows');

CALL retention.enforce();
INSERT INTO h_runs VALUES (3, pg_temp.last_run());

SELECT is_empty(
    'SELECT id FROM h_customer WHERE id > 9000',
    'Ana''s rows go once both e-mail holds are released and the phone hold has run out');
SELECT is_empty(
    $$SELECT c.id FROM h_customer c JOIN h_released r ON pg_temp.norm_email(c.email) = r.norm
       WHERE retention.due_time(c.created_at, '30 days', 'exact', 'UTC') <= now()
         AND NOT pg_temp.held(c.email, c.phone)$$,
    'the released person''s due rows (not held otherwise) are deleted by the next run');
SELECT set_eq(
    'SELECT id FROM h_customer',
    $$SELECT id FROM h_expect WHERE tbl = 'customer' AND id < 9000
         AND NOT (due AND NOT pg_temp.held((SELECT email FROM h_rand r WHERE r.tbl = 'customer' AND r.id = h_expect.id),
                                            (SELECT phone FROM h_rand r WHERE r.tbl = 'customer' AND r.id = h_expect.id)))$$,
    'customer: after the releases exactly the rows still due-and-held or not due remain');
SELECT set_eq(
    'SELECT id FROM h_archive',
    $$SELECT id FROM h_expect WHERE tbl = 'archive' AND NOT (due AND NOT pg_temp.held(
          (SELECT email FROM h_rand r WHERE r.tbl = 'archive' AND r.id = h_expect.id),
          (SELECT phone FROM h_rand r WHERE r.tbl = 'archive' AND r.id = h_expect.id)))$$,
    'archive: with the table hold released, due rows go except those under a subject hold');
SELECT is((SELECT count(*) FROM h_visit), 250::bigint, 'visit: the category hold still keeps every row');
SELECT is(
    (SELECT outcome FROM retention.action_log WHERE run_id = (SELECT run_id FROM h_runs WHERE n = 3)
        AND table_name = 'public.h_archive'),
    'done', 'archive: the job is no longer reported as held');
SELECT is(
    (SELECT rows_held FROM retention.action_log WHERE run_id = (SELECT run_id FROM h_runs WHERE n = 3)
        AND table_name = 'public.h_customer'),
    (SELECT count(*) FROM h_customer c
      WHERE retention.due_time(c.created_at, '30 days', 'exact', 'UTC') <= now() AND pg_temp.held(c.email, c.phone)),
    'customer: rows_held of the last run counts the rows still held');

-- =====================================================================
-- A category hold on one of several column tags of a table holds that
-- tag only; the other tag's values are anonymized when due
-- =====================================================================
SELECT FROM retention.define_category('h_first', '1 day', action => 'nullify');
SELECT FROM retention.define_category('h_second', '1 day', action => 'nullify');
CREATE TABLE h_two (id int PRIMARY KEY, at timestamptz, a text, b text);
CREATE TABLE h_two_b (id int PRIMARY KEY, at timestamptz, a text, b text);
SELECT FROM retention.tag_column('h_two', 'a', 'h_first', 'at');
SELECT FROM retention.tag_column('h_two', 'b', 'h_second', 'at');
SELECT FROM retention.tag_column('h_two_b', 'a', 'h_second', 'at');
SELECT FROM retention.tag_column('h_two_b', 'b', 'h_first', 'at');
INSERT INTO h_two VALUES (1, now() - interval '2 days', 'a1', 'b1');
INSERT INTO h_two_b VALUES (1, now() - interval '2 days', 'a1', 'b1');
SELECT retention.place_hold('hold on the second category', category => 'h_second') AS second_hold \gset

CALL retention.enforce(table_name => 'h_two');
CALL retention.enforce(table_name => 'h_two_b');

SELECT results_eq(
    'SELECT a, b FROM h_two',
    $$VALUES (NULL::text, 'b1'::text)$$,
    'category hold on the second column tag''s category: that column is kept, the first is nullified');
SELECT results_eq(
    'SELECT a, b FROM h_two_b',
    $$VALUES ('a1'::text, NULL::text)$$,
    'category hold on the first column tag''s category: that column is kept, the second is nullified');

-- A NULL identifier matches no hold: such a row is processed when due
CREATE TABLE h_nullsubj (id int PRIMARY KEY, email text, phone text, at timestamptz, note text);
SELECT FROM retention.tag_table('h_nullsubj', 'h_cust', 'at');
SELECT FROM retention.tag_column('h_nullsubj', 'email', subject => 'email');
SELECT FROM retention.tag_column('h_nullsubj', 'phone', subject => 'phone');
INSERT INTO h_nullsubj VALUES (1, NULL, '+1 555 0100', now() - interval '40 days'),
                              (2, 'free@example.com', NULL, now() - interval '40 days'),
                              (3, NULL, NULL, now() - interval '40 days'),
                              (4, 'kept@example.com', NULL, now() - interval '40 days');
SELECT FROM retention.place_hold('only kept@', subject_kind => 'email', subject_value => 'kept@example.com');
CALL retention.enforce(table_name => 'h_nullsubj');
SELECT results_eq(
    'SELECT id FROM h_nullsubj ORDER BY id',
    'VALUES (4)',
    'with an e-mail hold active, due rows whose e-mail is NULL are deleted like any unheld row; only the held one stays');

-- =====================================================================
-- place_hold and release_hold refuse bad arguments
-- =====================================================================
SELECT throws_ok($$SELECT retention.place_hold('no scope')$$, '22023', 'a legal hold has exactly one scope',
                 'place_hold without a scope');
SELECT throws_ok($$SELECT retention.place_hold('two scopes', category => 'h_cust', table_name => 'h_customer')$$,
                 '22023', 'a legal hold has exactly one scope', 'place_hold with a category and a table');
SELECT throws_ok($$SELECT retention.place_hold('two scopes', category => 'h_cust', subject_kind => 'email', subject_value => 'x@example.com')$$,
                 '22023', 'a legal hold has exactly one scope', 'place_hold with a category and a subject');
SELECT throws_ok($$SELECT retention.place_hold('   ', category => 'h_cust')$$, '22023', 'a legal hold needs a reason',
                 'place_hold with a blank reason');
SELECT throws_ok($$SELECT retention.place_hold(NULL, category => 'h_cust')$$, '22023', 'a legal hold needs a reason',
                 'place_hold without a reason');
SELECT throws_ok($$SELECT retention.place_hold('late', category => 'h_cust', ends_at => now() - interval '1 day')$$,
                 '22023', 'ends_at of a legal hold must be in the future', 'place_hold with ends_at in the past');
SELECT throws_ok($$SELECT retention.place_hold('now', category => 'h_cust', ends_at => now())$$,
                 '22023', 'ends_at of a legal hold must be in the future', 'place_hold with ends_at = now()');
SELECT throws_ok($$SELECT retention.place_hold('unknown', category => 'h_nope')$$,
                 '42704', 'retention category "h_nope" does not exist', 'place_hold on an unknown category');
SELECT throws_ok($$SELECT retention.place_hold('kind only', subject_kind => 'email')$$,
                 '22023', 'a subject hold needs both subject_kind and subject_value', 'place_hold with a kind but no value');
SELECT throws_ok($$SELECT retention.place_hold('value only', subject_value => 'x@example.com')$$,
                 '22023', 'a subject hold needs both subject_kind and subject_value', 'place_hold with a value but no kind');
SELECT throws_ok($$SELECT retention.place_hold('bad kind', subject_kind => 'E-Mail', subject_value => 'x@example.com')$$,
                 '22023', 'invalid subject kind', 'place_hold with a kind that is not a lower-case word');
SELECT throws_ok($$SELECT retention.release_hold(-1)$$, '42704', 'no active legal hold with id -1',
                 'release_hold of an unknown hold');
SELECT throws_ok(format('SELECT retention.release_hold(%s)', :archive_hold), '42704',
                 format('no active legal hold with id %s', :archive_hold),
                 'release_hold of a hold already released');

-- =====================================================================
-- Only retention_admin members place and release holds
-- =====================================================================
CREATE ROLE regress_holder;
CREATE ROLE regress_hold_admin IN ROLE retention_admin;
SELECT is(pg_temp.sqlstate_as('regress_holder', $$SELECT retention.place_hold('not mine', category => 'h_cust')$$),
          '42501', 'a role outside retention_admin cannot place a hold');
SELECT is(pg_temp.sqlstate_as('regress_holder', format('SELECT retention.release_hold(%s)', :visit_hold)),
          '42501', 'a role outside retention_admin cannot release a hold');
SELECT is(pg_temp.sqlstate_as('regress_hold_admin', $$SELECT retention.place_hold('mine', category => 'h_cust')$$),
          NULL, 'a member of retention_admin can place a hold');
SELECT ok((SELECT released_at IS NULL FROM retention.legal_hold WHERE hold_id = :visit_hold),
          'the refused release left the hold in place');

SELECT * FROM finish();
ROLLBACK;
