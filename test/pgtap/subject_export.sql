-- Subject access: retention.export_subject_rows / export_subject /
-- export_subject_csv return exactly one person's rows.
--
-- A randomized data set (fixed seed): 210 customers (ten of them duplicate
-- records of another customer, households sharing a phone number, fifteen
-- employers shared by many), their orders, order items (composite key,
-- FK-anchored tag) and shipments (composite FK, three levels down),
-- messages of customers with an end user's phone number in a column tagged
-- category + nullify + subject=phone, loyalty cards found by an integer
-- customer_id subject column without a foreign key, accounts and contacts
-- referencing each other (an FK cycle), and a visit log without a primary
-- key; identifiers stored in many formats.  For 30 sampled subjects,
-- searched by e-mail, phone, customer id (number or string), arrays and
-- combinations in yet other formats, the rows that belong to them are
-- computed here independently (our own normalization, hand-written
-- foreign-key edges, a recursive closure) and compared with the export.
-- Then: a self-referencing table with a cycle and a chain eight levels
-- deep; row contents, categories and due dates (retention.due_time of each
-- tag's anchor); the export_subject document; export_subject_csv; argument
-- errors (unknown kind with the known kinds in DETAIL, identifiers not an
-- object, nested values); unknown subjects; the request log.
BEGIN;
SELECT plan(115);

SET LOCAL client_min_messages = warning;
SET LOCAL TimeZone = 'UTC';
SELECT FROM setseed(0.5151);

-- Our own idea of how identifiers are matched (see retention.normalize_identifier).
CREATE FUNCTION pg_temp.norm_email(v text) RETURNS text LANGUAGE sql IMMUTABLE AS
$$ SELECT lower(btrim(v, E' \t\n\r')) $$;
CREATE FUNCTION pg_temp.norm_phone(v text) RETURNS text LANGUAGE sql IMMUTABLE AS
$$ SELECT '+' || regexp_replace(CASE WHEN btrim(v, E' \t\n\r') LIKE '00%' THEN substr(btrim(v, E' \t\n\r'), 3) ELSE v END, '[^0-9]', '', 'g') $$;

-- Person n's e-mail address and phone number, in format f.
CREATE FUNCTION pg_temp.email_as(n int, f int) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE f % 5 WHEN 0 THEN format('user%s@example.com', n)
                      WHEN 1 THEN format('USER%s@EXAMPLE.COM', n)
                      WHEN 2 THEN format('  User%s@Example.com ', n)
                      WHEN 3 THEN format('User%s@Example.COM ', n)
                      ELSE format(E'\tuser%s@example.COM', n) END $$;
CREATE FUNCTION pg_temp.phone_as(n int, f int) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE f % 5 WHEN 0 THEN format('+385 91 %s', lpad(n::text, 4, '0'))
                      WHEN 1 THEN format('00385 91 %s', lpad(n::text, 4, '0'))
                      WHEN 2 THEN format('+385-91-%s', lpad(n::text, 4, '0'))
                      WHEN 3 THEN format(' 0038591%s ', lpad(n::text, 4, '0'))
                      ELSE format('+385 (91) %s-%s', lpad(n::text, 4, '0'), '') END $$;

-- "SQLSTATE|message|detail" of a statement (NULL: no error).
CREATE FUNCTION pg_temp.error_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text;
BEGIN
    EXECUTE q;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
    RETURN st || '|' || msg || '|' || coalesce(det, '');
END
$$;

-- =====================================================================
-- Categories, tables, tags
-- =====================================================================
SELECT FROM retention.define_category('dsx_customer', '2 years',
    description => 'Customer master data', purpose => 'Contract', legal_basis => 'Art. 6(1)(b)');
SELECT FROM retention.define_category('dsx_order', '1 year', 'end_of_month', time_zone => 'Europe/Zagreb',
    description => 'Orders and their lines', purpose => 'Delivery and invoicing', legal_basis => 'Art. 6(1)(c)');
SELECT FROM retention.define_category('dsx_traffic', '10 years', 'end_of_year',
    description => 'Message records', purpose => 'Billing', legal_basis => 'Art. 6(1)(c)');
SELECT FROM retention.define_category('dsx_enduser', '12 months', 'end_of_month', 'nullify',
    description => 'End users'' numbers', purpose => 'Delivery', legal_basis => 'Art. 6(1)(f)');
SELECT FROM retention.define_category('dsx_content', '30 days', action => 'nullify', time_zone => 'America/New_York',
    description => 'Message text', purpose => 'Delivery', legal_basis => 'Art. 28');
SELECT FROM retention.define_category('dsx_loyalty', '3 years', 'end_of_day',
    description => 'Loyalty programme', purpose => 'Rewards', legal_basis => 'Art. 6(1)(a)');
SELECT FROM retention.define_category('dsx_unused', '1 day', description => 'Never part of an export');

CREATE SCHEMA dsx;
-- untagged; its e-mail column is not a subject column and never searched
CREATE TABLE dsx.employer (id int PRIMARY KEY, name text NOT NULL, email text);
CREATE TABLE dsx.customer (
    id int PRIMARY KEY, email text, phone text,
    employer_id int REFERENCES dsx.employer, created_at timestamptz NOT NULL);
CREATE TABLE dsx.orders (
    id int PRIMARY KEY, customer_id int NOT NULL REFERENCES dsx.customer, placed_at timestamptz NOT NULL);
CREATE TABLE dsx.order_item (
    order_id int REFERENCES dsx.orders, line int, sku text, PRIMARY KEY (order_id, line));
CREATE TABLE dsx.shipment (
    id int PRIMARY KEY, order_id int NOT NULL, line int NOT NULL, shipped_at timestamptz,
    FOREIGN KEY (order_id, line) REFERENCES dsx.order_item);
CREATE TABLE dsx.message (
    id int PRIMARY KEY, customer_id int NOT NULL REFERENCES dsx.customer,
    end_user_phone text, content text, sent_at timestamptz NOT NULL, read_at timestamptz);
CREATE TABLE dsx.loyalty (card_id int PRIMARY KEY, customer_no int, points int, joined_at date);
CREATE TABLE dsx.account (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES dsx.customer, primary_contact int);
CREATE TABLE dsx.contact (id int PRIMARY KEY, account_id int NOT NULL REFERENCES dsx.account, name text);
ALTER TABLE dsx.account ADD FOREIGN KEY (primary_contact) REFERENCES dsx.contact DEFERRABLE INITIALLY DEFERRED;
CREATE TABLE dsx.visit_log (email text, page text, seen_at timestamptz);

SELECT FROM retention.tag_table('dsx.customer', 'dsx_customer', 'created_at');
SELECT FROM retention.tag_column('dsx.customer', 'email', subject => 'email');
SELECT FROM retention.tag_column('dsx.customer', 'phone', subject => 'phone');
SELECT FROM retention.tag_column('dsx.customer', 'id', subject => 'customer_id');
SELECT FROM retention.tag_table('dsx.orders', 'dsx_order', 'placed_at');
SELECT FROM retention.tag_table('dsx.order_item', 'dsx_order', 'order_id->dsx.orders.placed_at');
SELECT FROM retention.tag_table('dsx.message', 'dsx_traffic', 'sent_at');
SELECT FROM retention.tag_column('dsx.message', 'end_user_phone', 'dsx_enduser', 'sent_at', subject => 'phone');
SELECT FROM retention.tag_column('dsx.message', 'content', 'dsx_content', 'read_at');
SELECT FROM retention.tag_table('dsx.loyalty', 'dsx_loyalty', 'joined_at');
SELECT FROM retention.tag_column('dsx.loyalty', 'customer_no', subject => 'customer_id');
SELECT FROM retention.tag_column('dsx.visit_log', 'email', subject => 'email');

SELECT is((SELECT count(*)::int FROM retention.tags WHERE object LIKE 'dsx.%' AND valid), 12,
          'fixture: twelve valid tags');

-- =====================================================================
-- Data
-- =====================================================================
INSERT INTO dsx.employer SELECT e, 'Employer ' || e, format('hr@employer%s.example', e) FROM generate_series(1, 15) e;

-- person(n): the person behind customer n (customers 201..210 are second
-- records of an earlier customer); phone_of(n): the number customer n
-- stores (about 15% share the previous customer's number: a household)
CREATE TEMP TABLE x_cust AS
SELECT n,
       CASE WHEN n > 200 THEN 1 + floor(random() * 200)::int ELSE n END AS person,
       CASE WHEN n BETWEEN 2 AND 200 AND random() < 0.15 THEN n - 1 ELSE n END AS phone_of,
       random() < 0.07 AS no_email,
       random() < 0.07 AS no_phone,
       floor(random() * 5)::int AS f_email,
       floor(random() * 5)::int AS f_phone,
       1 + floor(random() * 15)::int AS employer,
       now() - random() * interval '1000 days' AS created_at
  FROM generate_series(1, 210) n;
-- a duplicate record stores the person's own number
UPDATE x_cust d SET phone_of = p.phone_of FROM x_cust p WHERE d.n > 200 AND p.n = d.person;

INSERT INTO dsx.customer
SELECT n, CASE WHEN no_email THEN NULL ELSE pg_temp.email_as(person, f_email) END,
          CASE WHEN no_phone THEN NULL ELSE pg_temp.phone_as(phone_of, f_phone) END,
          employer, created_at
  FROM x_cust ORDER BY n;

INSERT INTO dsx.orders
SELECT row_number() OVER (ORDER BY c.n, k)::int, c.n, now() - random() * interval '700 days'
  FROM x_cust c CROSS JOIN LATERAL generate_series(1, floor(random() * 4)::int + (c.n * 0)) k;
INSERT INTO dsx.order_item
SELECT o.id, k, 'sku-' || floor(random() * 1000)::int
  FROM dsx.orders o CROSS JOIN LATERAL generate_series(1, floor(random() * 4)::int + (o.id * 0)) k;
INSERT INTO dsx.shipment
SELECT row_number() OVER (ORDER BY i.order_id, i.line)::int, i.order_id, i.line, now() - random() * interval '600 days'
  FROM dsx.order_item i WHERE random() < 0.6;

-- messages: sent by a random customer, to a random end user (numbers of
-- people 1..260: some are customers, some are not; 5% NULL), in any format
INSERT INTO dsx.message
SELECT g, 1 + floor(random() * 210)::int,
       CASE WHEN random() < 0.05 THEN NULL ELSE pg_temp.phone_as(1 + floor(random() * 260)::int, floor(random() * 5)::int) END,
       'text ' || g,
       now() - random() * interval '900 days',
       CASE WHEN random() < 0.3 THEN NULL ELSE now() - random() * interval '100 days' END
  FROM generate_series(1, 800) g;

INSERT INTO dsx.loyalty
SELECT g, CASE WHEN random() < 0.05 THEN NULL ELSE 1 + floor(random() * 260)::int END,
       floor(random() * 5000)::int, current_date - floor(random() * 900)::int
  FROM generate_series(1, 150) g;

-- every third customer has an account with two contacts; the account's
-- primary contact is one of them (account <-> contact: a cycle)
INSERT INTO dsx.account SELECT n, n, n * 10 + 1 FROM generate_series(3, 210, 3) n;
INSERT INTO dsx.contact SELECT a.id * 10 + k, a.id, 'contact ' || k FROM dsx.account a, generate_series(1, 2) k;

INSERT INTO dsx.visit_log
SELECT pg_temp.email_as(1 + floor(random() * 260)::int, floor(random() * 5)::int), '/page/' || g, now() - g * interval '1 hour'
  FROM generate_series(1, 300) g;
-- a few NULL and empty e-mails in the visit log match nobody
INSERT INTO dsx.visit_log VALUES (NULL, '/anon', now()), ('', '/empty', now()), ('   ', '/blank', now());

-- =====================================================================
-- Our own model: every row as (table, key) and every FK edge parent -> child
-- =====================================================================
CREATE TEMP TABLE x_edge (ptbl regclass, pkey jsonb, ctbl regclass, ckey jsonb);
INSERT INTO x_edge
SELECT 'dsx.customer', jsonb_build_object('id', o.customer_id), 'dsx.orders', jsonb_build_object('id', o.id) FROM dsx.orders o
UNION ALL
SELECT 'dsx.customer', jsonb_build_object('id', m.customer_id), 'dsx.message', jsonb_build_object('id', m.id) FROM dsx.message m
UNION ALL
SELECT 'dsx.customer', jsonb_build_object('id', a.customer_id), 'dsx.account', jsonb_build_object('id', a.id) FROM dsx.account a
UNION ALL
SELECT 'dsx.orders', jsonb_build_object('id', i.order_id), 'dsx.order_item', jsonb_build_object('order_id', i.order_id, 'line', i.line) FROM dsx.order_item i
UNION ALL
SELECT 'dsx.order_item', jsonb_build_object('order_id', s.order_id, 'line', s.line), 'dsx.shipment', jsonb_build_object('id', s.id) FROM dsx.shipment s
UNION ALL
SELECT 'dsx.account', jsonb_build_object('id', k.account_id), 'dsx.contact', jsonb_build_object('id', k.id) FROM dsx.contact k
UNION ALL
SELECT 'dsx.contact', jsonb_build_object('id', a.primary_contact), 'dsx.account', jsonb_build_object('id', a.id) FROM dsx.account a;

-- The rows of whoever is identified by these normalized e-mails, phones
-- and customer ids: sorted 'table key' strings.
CREATE FUNCTION pg_temp.expected(e text[], p text[], c int[]) RETURNS text[] LANGUAGE sql AS $$
    WITH RECURSIVE seed(tbl, key) AS (
        SELECT 'dsx.customer'::regclass, jsonb_build_object('id', x.id) FROM dsx.customer x
         WHERE pg_temp.norm_email(x.email) = ANY (e) OR pg_temp.norm_phone(x.phone) = ANY (p) OR x.id = ANY (c)
        UNION
        SELECT 'dsx.message', jsonb_build_object('id', m.id) FROM dsx.message m
         WHERE pg_temp.norm_phone(m.end_user_phone) = ANY (p)
        UNION
        SELECT 'dsx.loyalty', jsonb_build_object('card_id', l.card_id) FROM dsx.loyalty l
         WHERE l.customer_no = ANY (c)
        UNION
        SELECT 'dsx.visit_log', jsonb_build_object('ctid', v.ctid::text) FROM dsx.visit_log v
         WHERE pg_temp.norm_email(v.email) = ANY (e)),
    reach(tbl, key) AS (
        SELECT * FROM seed
        UNION
        SELECT x.ctbl, x.ckey FROM reach r JOIN x_edge x ON x.ptbl = r.tbl AND x.pkey = r.key)
    SELECT coalesce(array_agg(tbl::text || ' ' || key::text ORDER BY tbl::text || ' ' || key::text COLLATE "C"), '{}')
      FROM reach
$$;

CREATE FUNCTION pg_temp.exported(ids jsonb) RETURNS text[] LANGUAGE sql AS $$
    SELECT coalesce(array_agg(table_name::text || ' ' || row_key::text
                              ORDER BY table_name::text || ' ' || row_key::text COLLATE "C"), '{}')
      FROM retention.export_subject_rows(ids)
$$;

-- =====================================================================
-- 30 sampled subjects, each searched in one of six ways (in turn)
-- =====================================================================
CREATE TEMP TABLE x_pick AS SELECT n FROM x_cust ORDER BY random() LIMIT 30;
CREATE TEMP TABLE x_sample AS
SELECT s.n, s.person, s.phone_of, s.mode, s.f1, s.f2,
       CASE s.mode
           WHEN 0 THEN jsonb_build_object('email', pg_temp.email_as(s.person, s.f1))
           WHEN 1 THEN jsonb_build_object('phone', pg_temp.phone_as(s.phone_of, s.f1))
           WHEN 2 THEN jsonb_build_object('customer_id', s.n)
           WHEN 3 THEN jsonb_build_object('customer_id', s.n::text)
           WHEN 4 THEN jsonb_build_object('email', jsonb_build_array(pg_temp.email_as(s.person, s.f1), pg_temp.email_as(s.person, s.f2)),
                                          'phone', jsonb_build_array(pg_temp.phone_as(s.phone_of, s.f2)))
           ELSE jsonb_build_object('email', pg_temp.email_as(s.person, s.f2), 'customer_id', jsonb_build_array(s.n, s.person))
       END AS ids,
       CASE WHEN s.mode IN (0, 4, 5) THEN ARRAY[format('user%s@example.com', s.person)] ELSE '{}' END AS e,
       CASE WHEN s.mode IN (1, 4) THEN ARRAY['+38591' || lpad(s.phone_of::text, 4, '0')] ELSE '{}' END AS p,
       CASE s.mode WHEN 2 THEN ARRAY[s.n] WHEN 3 THEN ARRAY[s.n] WHEN 5 THEN ARRAY[s.n, s.person] ELSE '{}' END AS c
  FROM (SELECT x.n, x.person, x.phone_of, (row_number() OVER (ORDER BY x.n))::int % 6 AS mode,
               floor(random() * 5)::int AS f1, floor(random() * 5)::int AS f2
          FROM x_pick JOIN x_cust x USING (n)) s;

CREATE TEMP TABLE x_result AS
SELECT n, mode, ids, pg_temp.expected(e, p, c) AS expected, pg_temp.exported(ids) AS exported
  FROM x_sample;

SELECT is(exported, expected,
          format('subject %s (customer %s, searched by %s): exactly their rows', x_sample.person, n, x_sample.ids::text))
  FROM x_result JOIN x_sample USING (n) ORDER BY n;

-- the sample is not trivial: every mode, every table, households and duplicates
SELECT is((SELECT count(DISTINCT mode)::int FROM x_sample), 6, 'sample: every way of searching is used');
SELECT ok((SELECT sum(cardinality(expected)) FROM x_result) > 300, 'sample: more than 300 rows expected in all');
SELECT is((SELECT count(DISTINCT split_part(r, ' ', 1))::int FROM x_result, unnest(expected) r), 9,
          'sample: rows of all nine searched tables are expected');
SELECT ok(EXISTS (SELECT FROM x_result, unnest(expected) r WHERE r LIKE 'dsx.shipment %'),
          'sample: three levels of foreign keys (shipments) are reached');
SELECT ok(EXISTS (SELECT FROM x_sample s WHERE s.mode IN (1, 4)
                     AND (SELECT count(*) FROM x_cust x WHERE x.phone_of = s.phone_of AND NOT x.no_phone) > 1),
          'sample: a household phone number is searched');

-- no row is found twice
SELECT is((SELECT count(*) FROM x_result, unnest(exported) r),
          (SELECT count(*) FROM (SELECT DISTINCT n, r FROM x_result, unnest(exported) r) d),
          'no row is exported twice for one subject');

-- =====================================================================
-- Somebody else's data stays out
-- =====================================================================
-- a household: two customers share a number; searched by e-mail only, one
-- gets nothing of the other
INSERT INTO dsx.customer VALUES (901, 'ana.h@example.com', '+385 91 9999', 1, now()),
                                (902, 'bob.h@example.com', '00385919999', 1, now());
INSERT INTO dsx.orders VALUES (9011, 901, now()), (9021, 902, now());
SELECT is(pg_temp.exported('{"email": " ANA.H@example.com"}'),
          ARRAY['dsx.customer {"id": 901}', 'dsx.orders {"id": 9011}'],
          'household: searched by e-mail, only her own rows, none of the other member''s');
SELECT is(pg_temp.exported('{"phone": "+385-91-9999"}'),
          ARRAY['dsx.customer {"id": 901}', 'dsx.customer {"id": 902}', 'dsx.orders {"id": 9011}', 'dsx.orders {"id": 9021}'],
          'household: searched by the shared number, both members'' rows');
-- an employer shared by many customers is a parent, not a child: neither
-- it nor colleagues are exported
SELECT ok(NOT EXISTS (SELECT FROM x_result, unnest(exported) r WHERE r LIKE 'dsx.employer %'),
          'no employer row (a referenced parent) is exported');
SELECT is((SELECT count(*)::int FROM retention.export_subject_rows('{"customer_id": 901}') r
            WHERE r.table_name = 'dsx.customer'::regclass), 1,
          'an employer shared with 15 colleagues brings none of them');
-- an untagged table with an e-mail column is not searched
INSERT INTO dsx.employer VALUES (99, 'Ana''s shop', 'ana.h@example.com');
SELECT is(pg_temp.exported('{"email": "ana.h@example.com"}'),
          ARRAY['dsx.customer {"id": 901}', 'dsx.orders {"id": 9011}'],
          'an untagged table holding the same e-mail address is not searched');

-- =====================================================================
-- Cycles and depth: a self-referencing table
-- =====================================================================
CREATE TABLE dsx.employee (id int PRIMARY KEY, email text, manager_id int REFERENCES dsx.employee);
SELECT FROM retention.tag_column('dsx.employee', 'email', subject => 'email');
-- 1 -> 2 -> 3 -> 1 (a cycle: 1's manager is 3), 4 reports to 2
INSERT INTO dsx.employee VALUES (1, 'boss@corp.example', NULL), (2, 'mid@corp.example', 1),
                                (3, 'low@corp.example', 2), (4, 'side@corp.example', 2);
UPDATE dsx.employee SET manager_id = 3 WHERE id = 1;
-- a chain 100 -> 101 -> ... -> 108: eight levels below the root
INSERT INTO dsx.employee SELECT 100 + g, CASE WHEN g = 0 THEN 'chain@corp.example' END, CASE WHEN g > 0 THEN 99 + g END
  FROM generate_series(0, 8) g;

-- a table that references itself links different people (a manager and
-- their reports): the export does not follow such a key
SELECT is(pg_temp.exported('{"email": "BOSS@corp.example"}'),
          ARRAY['dsx.employee {"id": 1}'],
          'a self-referencing key is not followed: the boss''s export holds none of the reports');
SELECT is((SELECT array_agg(depth ORDER BY (row_key ->> 'id')::int)
             FROM retention.export_subject_rows('{"email": "mid@corp.example"}')),
          ARRAY[0],
          'self-reference: only the matched row, at depth 0');
SELECT is((SELECT count(*)::int FROM retention.export_subject_rows('{"email": "chain@corp.example"}')), 1,
          'a chain of self-references is not followed (every link is another person)');
SELECT is((SELECT max(depth) FROM retention.export_subject_rows('{"email": "chain@corp.example"}')), 0,
          'the chain''s root is found at depth 0');
-- the account <-> contact cycle, searched through the customer
SELECT is((SELECT array_agg(table_name::text || ' ' || row_key::text || ' ' || depth ORDER BY depth, row_key::text)
             FROM retention.export_subject_rows('{"customer_id": 3}') r
            WHERE r.table_name IN ('dsx.account'::regclass, 'dsx.contact'::regclass)),
          ARRAY['dsx.account {"id": 3} 1', 'dsx.contact {"id": 31} 2', 'dsx.contact {"id": 32} 2'],
          'a two-table cycle (account <-> contact) ends, every row once');

-- =====================================================================
-- What a row says: content, found_by, category, due dates
-- =====================================================================
CREATE TEMP TABLE x_rows AS
SELECT x.n, r.* FROM x_sample x, retention.export_subject_rows(x.ids) r;

SELECT is((SELECT count(*)::int FROM x_rows r JOIN dsx.customer c ON c.id = (r.row_key ->> 'id')::int
            WHERE r.table_name = 'dsx.customer'::regclass AND r.row_data IS DISTINCT FROM to_jsonb(c)), 0,
          'customer rows: row_data is the row');
SELECT is((SELECT count(*)::int FROM x_rows r JOIN dsx.message m ON m.id = (r.row_key ->> 'id')::int
            WHERE r.table_name = 'dsx.message'::regclass AND r.row_data IS DISTINCT FROM to_jsonb(m)), 0,
          'message rows: row_data is the row');
SELECT is((SELECT count(*)::int FROM x_rows r JOIN dsx.order_item i
             ON (i.order_id, i.line) = ((r.row_key ->> 'order_id')::int, (r.row_key ->> 'line')::int)
            WHERE r.table_name = 'dsx.order_item'::regclass AND r.row_data IS DISTINCT FROM to_jsonb(i)), 0,
          'order items: composite key, row_data is the row');
SELECT is((SELECT count(*)::int FROM x_rows WHERE relation_name <> table_name), 0,
          'relation_name is the table itself (no partitions)');
SELECT is((SELECT count(*)::int FROM x_rows r
            WHERE r.category IS DISTINCT FROM CASE r.table_name::text
                      WHEN 'dsx.customer' THEN 'dsx_customer' WHEN 'dsx.orders' THEN 'dsx_order'
                      WHEN 'dsx.order_item' THEN 'dsx_order' WHEN 'dsx.message' THEN 'dsx_traffic'
                      WHEN 'dsx.loyalty' THEN 'dsx_loyalty' END), 0,
          'category: the table tag''s, NULL for untagged and subject-only tables');

SELECT is((SELECT count(*)::int FROM x_rows r JOIN dsx.customer c ON c.id = (r.row_key ->> 'id')::int
            WHERE r.table_name = 'dsx.customer'::regclass
              AND r.due_at IS DISTINCT FROM retention.due_time(c.created_at, '2 years', 'exact', 'UTC')), 0,
          'customer: due_at = due_time(created_at, 2 years)');
SELECT ok((SELECT count(*) FROM x_rows WHERE table_name = 'dsx.customer'::regclass AND due_at IS NOT NULL) > 10,
          'customer: due dates are there to compare');
SELECT is((SELECT count(*)::int FROM x_rows r JOIN dsx.orders o ON o.id = (r.row_key ->> 'id')::int
            WHERE r.table_name = 'dsx.orders'::regclass
              AND r.due_at IS DISTINCT FROM retention.due_time(o.placed_at, '1 year', 'end_of_month', 'Europe/Zagreb')), 0,
          'orders: due_at = due_time(placed_at, 1 year, end of month, Europe/Zagreb)');
SELECT is((SELECT count(*)::int FROM x_rows r JOIN dsx.orders o ON o.id = (r.row_key ->> 'order_id')::int
            WHERE r.table_name = 'dsx.order_item'::regclass
              AND r.due_at IS DISTINCT FROM retention.due_time(o.placed_at, '1 year', 'end_of_month', 'Europe/Zagreb')), 0,
          'order items (FK anchor): due_at = due_time of the parent order''s placed_at');
SELECT is((SELECT count(*)::int FROM x_rows r JOIN dsx.message m ON m.id = (r.row_key ->> 'id')::int
            WHERE r.table_name = 'dsx.message'::regclass
              AND r.due_at IS DISTINCT FROM retention.due_time(m.sent_at, '10 years', 'end_of_year', 'UTC')), 0,
          'messages: due_at = due_time(sent_at, 10 years, end of year)');
SELECT is((SELECT count(*)::int FROM x_rows r JOIN dsx.loyalty l ON l.card_id = (r.row_key ->> 'card_id')::int
            WHERE r.table_name = 'dsx.loyalty'::regclass
              AND r.due_at IS DISTINCT FROM retention.due_time(l.joined_at, '3 years', 'end_of_day', 'UTC')), 0,
          'loyalty (date anchor): due_at = due_time(joined_at, 3 years, end of day)');
SELECT ok((SELECT count(*) FROM x_rows WHERE table_name = 'dsx.loyalty'::regclass) > 0,
          'loyalty rows are there to compare');
SELECT is((SELECT count(*)::int FROM x_rows
            WHERE table_name IN ('dsx.account'::regclass, 'dsx.contact'::regclass, 'dsx.shipment'::regclass, 'dsx.visit_log'::regclass)
              AND (due_at IS NOT NULL OR columns_due IS NOT NULL OR category IS NOT NULL)), 0,
          'untagged and subject-only tables: no category, no due dates');

SELECT is((SELECT count(*)::int FROM x_rows r JOIN dsx.message m ON m.id = (r.row_key ->> 'id')::int
            WHERE r.table_name = 'dsx.message'::regclass
              AND r.columns_due IS DISTINCT FROM jsonb_build_object(
                  'end_user_phone', jsonb_build_object('category', 'dsx_enduser', 'action', 'nullify',
                      'due_at', retention.due_time(m.sent_at, '12 months', 'end_of_month', 'UTC')),
                  'content', jsonb_build_object('category', 'dsx_content', 'action', 'nullify',
                      'due_at', retention.due_time(m.read_at, '30 days', 'exact', 'America/New_York')))), 0,
          'messages: columns_due has each column tag''s category, action and due_time of its anchor');
SELECT ok((SELECT count(*) FROM x_rows WHERE table_name = 'dsx.message'::regclass AND columns_due #> '{content,due_at}' = 'null') > 0
          AND (SELECT count(*) FROM x_rows WHERE table_name = 'dsx.message'::regclass AND columns_due #> '{content,due_at}' <> 'null') > 0,
          'messages: a NULL anchor gives a NULL column due date, others a date');
SELECT is((SELECT count(*)::int FROM x_rows WHERE table_name <> 'dsx.message'::regclass AND columns_due IS NOT NULL), 0,
          'columns_due is NULL where a table has no column tags');

SELECT is((SELECT count(*)::int FROM x_rows
            WHERE (depth = 0) <> (found_by IN ('email', 'phone', 'customer_id'))), 0,
          'found_by: the kind at depth 0, a reference below');
SELECT is((SELECT array_agg(DISTINCT found_by ORDER BY found_by) FROM x_rows WHERE depth > 0),
          ARRAY['references dsx.account', 'references dsx.customer',
                'references dsx.order_item', 'references dsx.orders'],
          'found_by below depth 0 names the parent table');
SELECT is((SELECT count(*)::int FROM x_rows WHERE depth = 0 AND table_name = 'dsx.message'::regclass AND found_by <> 'phone'), 0,
          'messages matched by the end user''s number are found by phone');

-- =====================================================================
-- export_subject: the document
-- =====================================================================
CREATE TEMP TABLE x_doc AS
SELECT retention.export_subject('{"email": "User7@Example.com", "customer_id": [7, "202"]}') AS d;
CREATE TEMP TABLE x_doc_rows AS
SELECT * FROM retention.export_subject_rows('{"email": "User7@Example.com", "customer_id": [7, "202"]}');

SELECT is((SELECT array_agg(k ORDER BY k) FROM x_doc, jsonb_object_keys(d) k),
          ARRAY['categories', 'generated_at', 'identifiers_searched', 'tables'],
          'export_subject: the document''s keys');
SELECT is((SELECT d -> 'identifiers_searched' FROM x_doc),
          '{"email": "User7@Example.com", "customer_id": [7, "202"]}'::jsonb,
          'export_subject: identifiers_searched as given');
SELECT ok((SELECT (d ->> 'generated_at')::timestamptz BETWEEN now() AND clock_timestamp() FROM x_doc),
          'export_subject: generated_at is a timestamp of this request');
SELECT is((SELECT array_agg(k ORDER BY k) FROM x_doc, jsonb_object_keys(d -> 'categories') k),
          (SELECT array_agg(DISTINCT c ORDER BY c) FROM (
               SELECT category AS c FROM x_doc_rows WHERE category IS NOT NULL
               UNION SELECT v ->> 'category' FROM x_doc_rows, jsonb_each(columns_due) j(k, v)) u),
          'export_subject: exactly the categories of the rows and columns exported');
SELECT is((SELECT d #> '{categories,dsx_order}' FROM x_doc),
          (SELECT jsonb_build_object('description', description, 'purpose', purpose, 'legal_basis', legal_basis,
                                     'on_erasure', on_erasure,
                                     'retention', (SELECT kept FROM retention.schedule
                                                    WHERE schedule.category = 'dsx_order' AND variant IS NULL))
             FROM retention.category WHERE name = 'dsx_order'),
          'export_subject: a category''s description, purpose, legal basis, retention in words and on_erasure');
SELECT is((SELECT count(*)::int FROM x_doc, jsonb_each(d -> 'categories') c(k, v)
            WHERE (SELECT array_agg(x ORDER BY x) FROM jsonb_object_keys(v) x)
                  IS DISTINCT FROM ARRAY['description', 'legal_basis', 'on_erasure', 'purpose', 'retention']
               OR v ->> 'retention' IS NULL OR v ->> 'description' IS NULL OR v ->> 'on_erasure' IS NULL), 0,
          'export_subject: every category has description, purpose, legal_basis, retention and on_erasure');
SELECT is((SELECT array_agg(t ->> 'table' ORDER BY t ->> 'table') FROM x_doc, jsonb_array_elements(d -> 'tables') t),
          (SELECT array_agg(DISTINCT table_name::text ORDER BY table_name::text) FROM x_doc_rows),
          'export_subject: one entry per table');
SELECT is((SELECT count(*)::int FROM x_doc, jsonb_array_elements(d -> 'tables') t, jsonb_array_elements(t -> 'rows') r),
          (SELECT count(*)::int FROM x_doc_rows),
          'export_subject: as many rows as export_subject_rows');
SELECT is((SELECT count(*)::int FROM x_doc, jsonb_array_elements(d -> 'tables') t, jsonb_array_elements(t -> 'rows') r
            WHERE (SELECT array_agg(x ORDER BY x) FROM jsonb_object_keys(r) x)
                  IS DISTINCT FROM ARRAY['category', 'columns_due', 'data', 'due_at', 'found_by', 'key']), 0,
          'export_subject: every row has key, data, category, due_at, columns_due, found_by');
SELECT is((SELECT count(*)::int FROM x_doc, jsonb_array_elements(d -> 'tables') t, jsonb_array_elements(t -> 'rows') r
            WHERE NOT EXISTS (SELECT FROM x_doc_rows x
                               WHERE x.table_name::text = t ->> 'table' AND x.row_key = r -> 'key' AND x.row_data = r -> 'data'
                                 AND x.due_at IS NOT DISTINCT FROM (r ->> 'due_at')::timestamptz
                                 AND x.columns_due IS NOT DISTINCT FROM nullif(r -> 'columns_due', 'null')
                                 AND x.category IS NOT DISTINCT FROM r ->> 'category')), 0,
          'export_subject: each row''s key, data, category and due dates are those of export_subject_rows');
SELECT ok((SELECT count(*) FROM x_doc, jsonb_array_elements(d -> 'tables') t, jsonb_array_elements(t -> 'rows') r
            WHERE r ->> 'due_at' IS NOT NULL) > 0
          AND (SELECT count(*) FROM x_doc, jsonb_array_elements(d -> 'tables') t, jsonb_array_elements(t -> 'rows') r
            WHERE r -> 'columns_due' <> 'null') > 0,
          'export_subject: rows carry due dates (table and column)');
SELECT is((SELECT array_agg(r ->> 'key' ORDER BY r ->> 'key') FROM x_doc, jsonb_array_elements(d -> 'tables') t, jsonb_array_elements(t -> 'rows') r
            WHERE t ->> 'table' = 'dsx.customer'),
          (SELECT array_agg(jsonb_build_object('id', id)::text ORDER BY jsonb_build_object('id', id)::text) FROM dsx.customer
            WHERE id IN (7, 202) OR pg_temp.norm_email(email) = 'user7@example.com'),
          'export_subject: customers 7 and 202 (an array of a number and a string) and records with the e-mail');
SELECT is(retention.export_subject('{"email": "nobody@nowhere.example"}') - 'generated_at',
          '{"tables": [], "categories": {}, "identifiers_searched": {"email": "nobody@nowhere.example"}}'::jsonb,
          'export_subject of an unknown subject: empty tables and categories');

-- =====================================================================
-- export_subject_csv
-- =====================================================================
SELECT is((SELECT count(*)::int FROM retention.export_subject_csv('{"email": "User7@Example.com", "customer_id": [7, "202"]}')),
          (SELECT sum((SELECT count(*) FROM jsonb_object_keys(row_data)))::int FROM x_doc_rows),
          'export_subject_csv: one row per column of every exported row');
SELECT is((SELECT count(*)::int FROM retention.export_subject_csv('{"customer_id": 7}') c
             JOIN dsx.message m ON c.table_name = 'dsx.message' AND (c.row_key::jsonb ->> 'id')::int = m.id
            WHERE c.column_name = 'end_user_phone'
              AND (c.category IS DISTINCT FROM 'dsx_enduser'
                   OR c.due_at IS DISTINCT FROM retention.due_time(m.sent_at, '12 months', 'end_of_month', 'UTC')
                   OR c.value IS DISTINCT FROM m.end_user_phone)), 0,
          'export_subject_csv: a tagged column carries its own category and due date');
SELECT is((SELECT count(*)::int FROM retention.export_subject_csv('{"customer_id": 7}') c
             JOIN dsx.message m ON c.table_name = 'dsx.message' AND (c.row_key::jsonb ->> 'id')::int = m.id
            WHERE c.column_name = 'sent_at'
              AND (c.category IS DISTINCT FROM 'dsx_traffic'
                   OR c.due_at IS DISTINCT FROM retention.due_time(m.sent_at, '10 years', 'end_of_year', 'UTC'))), 0,
          'export_subject_csv: other columns carry the table tag''s category and due date');
SELECT ok((SELECT count(*) FROM retention.export_subject_csv('{"customer_id": 7}') WHERE table_name = 'dsx.message') > 0,
          'export_subject_csv: customer 7 has messages to compare');
SELECT is((SELECT count(*)::int FROM retention.export_subject_csv('{"phone": "+1 555 000"}')), 0,
          'export_subject_csv of an unknown subject: no rows');

-- =====================================================================
-- Row contents exactly as to_jsonb(row) writes them, for every kind of
-- column (the export converts most columns itself, see subject_json.c)
-- =====================================================================
CREATE TYPE dsx.mood AS ENUM ('sad', 'ok');
CREATE TYPE dsx.pair AS (a int, b text);
CREATE DOMAIN dsx.positive AS int CHECK (VALUE > 0);
CREATE DOMAIN dsx.words AS text[];
CREATE TABLE dsx.kinds (
    id bigint PRIMARY KEY, email text, b boolean, i2 smallint, i4 int, i8 bigint, f4 real, f8 float8,
    n numeric, n2 numeric(6,2), d date, ts timestamp, tz timestamptz, t time, tt timetz, iv interval,
    c char(4), v varchar(8), u uuid, ip inet, by bytea, j json, jb jsonb, a int[], ta text[], p dsx.pair,
    m dsx.mood, pos dsx.positive, w dsx.words, bits bit(3), mo money, x xml, rng int4range, dropme int, pt point);
ALTER TABLE dsx.kinds DROP COLUMN dropme;
SELECT FROM retention.tag_table('dsx.kinds', 'dsx_customer', 'tz');
SELECT FROM retention.tag_column('dsx.kinds', 'email', subject => 'email');
INSERT INTO dsx.kinds VALUES
    (1, 'kinds@example.com', true, -32768, 2147483647, -9223372036854775808, 'NaN', 'Infinity',
     'NaN', 12.50, 'infinity', '-infinity', '2024-02-29 23:59:59.123456+00', '24:00', '12:00+05:30', '1 year 2 mons -3 days 04:05:06.7',
     'ab', 'héllo', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '10.0.0.1/8', '\x00ff', '{"a": 1, "a": 2, "b": [1, 2.50]}',
     '{"z": null, "y": "\u00e9"}', '{{1,2},{3,NULL}}', '{"x y", NULL}', ROW(1, 'one'), 'ok', 7, '{a,b}', B'101', 12.34,
     '<a>x</a>', '[1,5)', '(1,2)'),
    (2, 'KINDS@example.com ', false, 0, 0, 0, '-Infinity', '1e-300', '-1.0e+30', -0.01, '2000-01-01', '2000-01-01 00:00',
     '1999-12-31 23:00-05', '00:00', '00:00+00', '0', '', '', NULL, '::1', '', '[]', '[]', '{}', '{}', NULL,
     'sad', 1, '{}', B'000', 0, '<b/>', 'empty', '(0,0)'),
    (3, 'kinds@example.com', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
     NULL, NULL, NULL, NULL, NULL, 'null', 'null', NULL, NULL, ROW(NULL, NULL), NULL, NULL, NULL, NULL, NULL, NULL,
     NULL, NULL);
CREATE TABLE dsx.kinds_nokey (email text, n numeric, note text);
SELECT FROM retention.tag_column('dsx.kinds_nokey', 'email', subject => 'email');
INSERT INTO dsx.kinds_nokey VALUES ('kinds@example.com', 1.50, 'no primary key');
CREATE TEMP TABLE x_kinds AS
SELECT * FROM retention.export_subject_rows('{"email": "kinds@example.com"}')
 WHERE table_name IN ('dsx.kinds'::regclass, 'dsx.kinds_nokey'::regclass);
SELECT is((SELECT count(*)::int FROM x_kinds), 4, 'kinds: the three rows and the row without a key are exported');
SELECT is_empty($$SELECT k.id FROM x_kinds x JOIN dsx.kinds k ON x.row_key = jsonb_build_object('id', k.id)
                   WHERE x.row_data::text IS DISTINCT FROM to_jsonb(k)::text$$,
                'kinds: each row''s content is exactly to_jsonb(row), value for value and as text');
SELECT is((SELECT array_agg(row_key::text ORDER BY row_key::text) FROM x_kinds WHERE table_name = 'dsx.kinds'::regclass),
          ARRAY['{"id": 1}', '{"id": 2}', '{"id": 3}'], 'kinds: the key is the primary key');
SELECT is((SELECT row_key = jsonb_build_object('ctid', k.ctid::text) AND row_data = to_jsonb(k)
             FROM x_kinds, dsx.kinds_nokey k WHERE table_name = 'dsx.kinds_nokey'::regclass),
          true, 'kinds: without a primary key the key is the ctid; the content is to_jsonb(row)');
SELECT is_empty($$SELECT r FROM jsonb_array_elements(retention.export_subject('{"email": "kinds@example.com"}') -> 'tables') t,
                               jsonb_array_elements(t -> 'rows') r
                   WHERE t ->> 'table' = 'dsx.kinds'
                     AND (r -> 'data')::text IS DISTINCT FROM
                         (SELECT to_jsonb(k)::text FROM dsx.kinds k WHERE k.id = (r -> 'key' ->> 'id')::bigint)$$,
                'kinds: export_subject carries the same contents');

-- =====================================================================
-- Partitioned tables: tags on the parent, rows in the partitions
-- =====================================================================
CREATE TABLE dsx.event (id int, email text, at timestamptz NOT NULL, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE dsx.event_old PARTITION OF dsx.event FOR VALUES FROM ('2000-01-01') TO ('2020-01-01');
CREATE TABLE dsx.event_new PARTITION OF dsx.event FOR VALUES FROM ('2020-01-01') TO ('2100-01-01');
CREATE TABLE dsx.event_note (id int PRIMARY KEY, event_id int NOT NULL, event_at timestamptz NOT NULL,
                             FOREIGN KEY (event_id, event_at) REFERENCES dsx.event);
SELECT FROM retention.tag_table('dsx.event', 'dsx_customer', 'at');
SELECT FROM retention.tag_column('dsx.event', 'email', subject => 'email');
INSERT INTO dsx.event VALUES (1, 'part@example.com', '2010-05-01'), (2, ' PART@example.com', '2024-05-01'),
                             (3, 'other@example.com', '2024-05-01');
INSERT INTO dsx.event_note VALUES (1, 1, '2010-05-01'), (2, 2, '2024-05-01'), (3, 3, '2024-05-01');
SELECT is((SELECT array_agg(format('%s %s %s %s', table_name, relation_name, row_key ->> 'id', due_at) ORDER BY row_key ->> 'id')
             FROM retention.export_subject_rows('{"email": "part@example.com"}') WHERE table_name = 'dsx.event'::regclass),
          ARRAY[format('dsx.event dsx.event_old 1 %s', retention.due_time('2010-05-01'::timestamptz, '2 years', 'exact', 'UTC')),
                format('dsx.event dsx.event_new 2 %s', retention.due_time('2024-05-01'::timestamptz, '2 years', 'exact', 'UTC'))],
          'partitioned: rows of every partition, table_name the tagged parent, relation_name the partition, due dates');
SELECT is((SELECT array_agg(row_key ->> 'id' ORDER BY row_key ->> 'id')
             FROM retention.export_subject_rows('{"email": "part@example.com"}') WHERE table_name = 'dsx.event_note'::regclass),
          ARRAY['1', '2'], 'partitioned: children referencing the partitioned table are found');

-- =====================================================================
-- Arguments
-- =====================================================================
SELECT is(split_part(pg_temp.error_of($$SELECT * FROM retention.export_subject_rows('{"iban": "HR12 3456"}')$$), '|', 1),
          '22023', 'unknown kind: 22023');
SELECT is(split_part(pg_temp.error_of($$SELECT * FROM retention.export_subject_rows('{"iban": "HR12 3456"}')$$), '|', 2),
          'no tag declares subject kind "iban"', 'unknown kind: the message names it');
SELECT is((SELECT array_agg(k ORDER BY k) FROM regexp_split_to_table(
               rtrim(substr(split_part(pg_temp.error_of($$SELECT * FROM retention.export_subject_rows('{"email": "a@b.c", "iban": "x"}')$$), '|', 3),
                            length('Known subject kinds: ') + 1), '.'), ', ') k),
          ARRAY['customer_id', 'email', 'phone'],
          'unknown kind: DETAIL lists the known kinds (even after a known one)');
SELECT throws_ok($$SELECT * FROM retention.export_subject('{"Email": "ana@example.com"}')$$, '22023',
                 'no tag declares subject kind "Email"', 'kinds are case-sensitive (export_subject)');
SELECT throws_ok($$SELECT * FROM retention.export_subject_csv('{"": "x"}')$$, '22023',
                 'no tag declares subject kind ""', 'an empty kind is unknown (export_subject_csv)');
SELECT throws_ok($$SELECT * FROM retention.export_subject_rows('["ana@example.com"]')$$, '22023',
                 'identifiers must be a JSON object', 'identifiers as an array: 22023');
SELECT throws_ok($$SELECT * FROM retention.export_subject_rows('"ana@example.com"')$$, '22023',
                 'identifiers must be a JSON object', 'identifiers as a string: 22023');
SELECT throws_ok($$SELECT * FROM retention.export_subject_rows('42')$$, '22023',
                 'identifiers must be a JSON object', 'identifiers as a number: 22023');
SELECT throws_ok($$SELECT * FROM retention.export_subject_rows('{"email": {"value": "ana@example.com"}}')$$, '22023',
                 'identifier values must be strings, numbers or arrays of them', 'a nested object value: 22023');
SELECT throws_ok($$SELECT * FROM retention.export_subject_rows('{"email": [["ana@example.com"]]}')$$, '22023',
                 'identifier values must be strings, numbers or arrays of them', 'a nested array value: 22023');
SELECT throws_ok($$SELECT * FROM retention.export_subject_rows('{"email": true}')$$, '22023',
                 'identifier values must be strings, numbers or arrays of them', 'a boolean value: 22023');
SELECT is((SELECT count(*)::int FROM retention.export_subject_rows(NULL)), 0, 'NULL identifiers: nothing (strict)');
SELECT is((SELECT count(*)::int FROM retention.export_subject_rows('{}')), 0, 'no identifiers: nothing');
SELECT is((SELECT count(*)::int FROM retention.export_subject_rows('{"email": null, "phone": []}')), 0,
          'null and empty values: nothing');
SELECT is(pg_temp.exported('{"customer_id": 901}'), pg_temp.exported('{"customer_id": " 901 "}'),
          'a customer id as a number or as a string with blanks: the same rows');
SELECT is(pg_temp.exported('{"email": "nobody@nowhere.example", "phone": "+1 555 000", "customer_id": 424242}'), '{}',
          'an unknown subject: no rows, no error');

-- =====================================================================
-- The request log
-- =====================================================================
CREATE TEMP TABLE x_log_before AS SELECT coalesce(max(request_id), 0) AS id FROM retention.dsr_request;
SELECT is((SELECT count(*)::int FROM retention.export_subject_rows(
               '{"email": ["  Sentinel.QZX@Example.com", "x9.qzx@example.com"], "phone": "00385 91 7777 321"}')), 0,
          'request log: a sentinel request (finds nothing)');
SELECT FROM retention.export_subject_rows('{"email": "ana.h@example.com"}');
CREATE TEMP TABLE x_log AS SELECT * FROM retention.dsr_request WHERE request_id > (SELECT id FROM x_log_before) ORDER BY request_id;

SELECT is((SELECT array_agg(kind || ':' || rows_found || ':' || outcome || ':' || dry_run ORDER BY request_id) FROM x_log),
          ARRAY['export:0:done:false', 'export:2:done:false'],
          'request log: one row per export, with the rows found');
SELECT is((SELECT requested_by FROM x_log ORDER BY request_id LIMIT 1), session_user::name,
          'request log: who asked');
SELECT is((SELECT cardinality(identifier_hashes) FROM x_log ORDER BY request_id LIMIT 1), 3,
          'request log: one hash per identifier');
SELECT is((SELECT count(*)::int FROM x_log, unnest(identifier_hashes) h WHERE h !~ '^(email|phone):[0-9a-f]{64}$'), 0,
          'request log: identifiers only as kind:hex hash');
SELECT is((SELECT count(*)::int FROM x_log l
            WHERE row_to_json(l)::text ~* '(sentinel|qzx|7777|ana\.h|example\.com)'), 0,
          'request log: no identifier in clear, in any form');
SELECT FROM retention.export_subject_rows('{"email": " ANA.H@EXAMPLE.com "}');
SELECT is((SELECT identifier_hashes FROM retention.dsr_request ORDER BY request_id DESC LIMIT 1),
          (SELECT identifier_hashes FROM x_log ORDER BY request_id DESC LIMIT 1),
          'request log: the same person in another format gets the same hash');
SELECT isnt((SELECT identifier_hashes[1] FROM x_log ORDER BY request_id LIMIT 1),
            (SELECT identifier_hashes[1] FROM x_log ORDER BY request_id DESC LIMIT 1),
            'request log: different people get different hashes');

SELECT * FROM finish();
ROLLBACK;
