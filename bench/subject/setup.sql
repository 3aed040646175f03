-- bench/subject/setup.sql: the schema the subject access / erasure benchmark
-- runs on.  Ten tables of :rows rows each in schema shop, with foreign keys
--
--   customers -> accounts -> messages
--             -> orders   -> order_items, payments
--             -> tickets  -> ticket_messages
--   login_events (customer_id, no foreign key), newsletter (email)
--
-- identifier columns tagged subject=email / phone / customer_id, table tags
-- on all ten, and a few column tags (mask, hash, generalize).
--
-- Four planted data subjects (customer ids 1..4) own exactly 10, 100, 1,000
-- and 10,000 rows across the ten tables (bench_subject.footprint); their
-- identifiers are stored un-normalized (mixed case, spaces, "00" prefix,
-- punctuation) so that only normalized matching finds them.  Everything
-- else is bulk data of other people (customer ids 101 and up).
\set ON_ERROR_STOP 1
SET client_min_messages = warning;

CREATE EXTENSION pg_retention;
CREATE SCHEMA shop;

-- the planted subjects and how many rows each owns per table
CREATE TABLE bench_subject AS
SELECT s AS subject, f AS footprint,
       CASE WHEN f = 10 THEN 1 ELSE f / 10 END      AS n_orders,      -- and as many payments
       CASE WHEN f = 10 THEN 1 ELSE 2 END           AS items_per_order,
       CASE WHEN f = 10 THEN 1 ELSE f / 20 END      AS n_tickets,
       CASE WHEN f = 10 THEN 1 ELSE 3 END           AS messages_per_ticket,
       CASE WHEN f = 10 THEN 1 ELSE f / 5 - 1 END   AS n_messages,    -- SMS to the subject's phone, sent by other accounts
       CASE WHEN f = 10 THEN 1 ELSE f / 5 - 2 END   AS n_logins,
       format('subject%s.bench@example.com', s)      AS email,         -- normalized forms
       format('+38599000%s', lpad(s::text, 4, '0'))  AS phone
  FROM (VALUES (1, 10), (2, 100), (3, 1000), (4, 10000)) v(s, f);
-- 1 customer + 1 account + orders + items + payments + tickets + ticket
-- messages + messages + logins + 1 newsletter row = footprint
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM bench_subject
                WHERE 3 + 2 * n_orders + n_orders * items_per_order + n_tickets
                      + n_tickets * messages_per_ticket + n_messages + n_logins <> footprint) THEN
        RAISE EXCEPTION 'bench_subject counts do not add up';
    END IF;
END
$$;

SELECT retention.define_category('customer_account', '3 years',
       description => 'Customer master data', purpose => 'Running the customer relationship',
       legal_basis => 'Contract (GDPR Art. 6(1)(b))');
SELECT retention.define_category('billing', '10 years',
       description => 'Accounts and payments', purpose => 'Book-keeping',
       legal_basis => 'Legal obligation (GDPR Art. 6(1)(c))');
SELECT retention.define_category('payment_details', '1 year', action => 'mask',
       description => 'Bank account numbers', purpose => 'Collecting payments',
       legal_basis => 'Contract (GDPR Art. 6(1)(b))');
SELECT retention.define_category('orders', '10 years',
       description => 'Orders and their items', purpose => 'Delivering orders, book-keeping',
       legal_basis => 'Legal obligation (GDPR Art. 6(1)(c))');
SELECT retention.define_category('support', '2 years',
       description => 'Support tickets', purpose => 'Answering questions',
       legal_basis => 'Legitimate interest (GDPR Art. 6(1)(f))');
SELECT retention.define_category('messaging', '1 year',
       description => 'Messages sent by business accounts', purpose => 'Delivering messages, billing',
       legal_basis => 'Contract (GDPR Art. 6(1)(b))');
SELECT retention.define_category('end_user_identifiers', '90 days', action => 'hash',
       description => 'Phone numbers of message recipients', purpose => 'Delivering messages',
       legal_basis => 'Legitimate interest (GDPR Art. 6(1)(f))');
SELECT retention.define_category('security_log', '90 days',
       description => 'Logins', purpose => 'Security',
       legal_basis => 'Legitimate interest (GDPR Art. 6(1)(f))');
SELECT retention.define_category('network_data', '30 days', action => 'generalize',
       description => 'IP addresses of logins', purpose => 'Security',
       legal_basis => 'Legitimate interest (GDPR Art. 6(1)(f))');
SELECT retention.define_category('marketing', '2 years',
       description => 'Newsletter subscriptions', purpose => 'Marketing',
       legal_basis => 'Consent (GDPR Art. 6(1)(a))');

CREATE TABLE shop.customers (
    id bigint NOT NULL, email text NOT NULL, phone text, full_name text NOT NULL,
    created_at timestamptz NOT NULL, closed_at timestamptz);
CREATE TABLE shop.accounts (
    id bigint NOT NULL, customer_id bigint NOT NULL, billing_email text, iban text,
    opened_at timestamptz NOT NULL);
CREATE TABLE shop.orders (
    id bigint NOT NULL, customer_id bigint NOT NULL, placed_at timestamptz NOT NULL,
    total numeric(12,2) NOT NULL, shipping_phone text, status text NOT NULL);
CREATE TABLE shop.order_items (
    id bigint NOT NULL, order_id bigint NOT NULL, sku text NOT NULL, qty integer NOT NULL,
    price numeric(12,2) NOT NULL, created_at timestamptz NOT NULL);
CREATE TABLE shop.payments (
    id bigint NOT NULL, order_id bigint NOT NULL, amount numeric(12,2) NOT NULL,
    card_last4 text, paid_at timestamptz NOT NULL);
CREATE TABLE shop.tickets (
    id bigint NOT NULL, customer_id bigint, contact_email text, subject_line text NOT NULL,
    opened_at timestamptz NOT NULL);
CREATE TABLE shop.ticket_messages (
    id bigint NOT NULL, ticket_id bigint NOT NULL, author_email text, body text NOT NULL,
    sent_at timestamptz NOT NULL);
CREATE TABLE shop.messages (
    id bigint NOT NULL, account_id bigint, to_phone text, body text NOT NULL,
    sent_at timestamptz NOT NULL);
CREATE TABLE shop.login_events (
    id bigint NOT NULL, customer_id bigint NOT NULL, ip inet, at timestamptz NOT NULL);
CREATE TABLE shop.newsletter (
    id bigint NOT NULL, email text NOT NULL, source text NOT NULL, subscribed_at timestamptz NOT NULL);

-- bulk rows point at customers 101..:rows; planted ids come first
SELECT :rows - 100 AS bulk_customers \gset

INSERT INTO shop.customers
SELECT i,
       CASE WHEN i <= 4 THEN format('  Subject%s.Bench@Example.COM ', i) ELSE format('User%s@Example.com', i) END,
       CASE WHEN i <= 4 THEN format('00385 99 000 %s', lpad(i::text, 4, '0')) ELSE format('+385 91 %s', lpad(i::text, 7, '0')) END,
       'Customer ' || i,
       now() - (i % 3650) * interval '1 day',
       CASE WHEN i % 10 = 0 THEN now() - (i % 700) * interval '1 day' END
  FROM generate_series(1, :rows) i;

INSERT INTO shop.accounts
SELECT i, i, CASE WHEN i <= 4 THEN format('SUBJECT%s.bench@example.com', i) END, 'HR1210010051863000160', now() - interval '2 years'
  FROM generate_series(1, 4) i;
INSERT INTO shop.accounts
SELECT i, 101 + (i::bigint * 7919) % :bulk_customers,
       format('user%s@example.com', 101 + (i::bigint * 7919) % :bulk_customers),
       'HR' || lpad((i * 31)::text, 19, '0'), now() - (i % 3000) * interval '1 day'
  FROM generate_series(5, :rows) i;

INSERT INTO shop.orders
SELECT row_number() OVER (ORDER BY s.subject, g), s.subject, now() - g * interval '1 hour', 10 + g % 90,
       format('+385 (99) 000-%s', lpad(s.subject::text, 4, '0')), 'delivered'
  FROM bench_subject s, generate_series(1, s.n_orders) g;
SELECT count(*) AS planted_orders FROM shop.orders \gset
INSERT INTO shop.orders
SELECT i, 101 + (i::bigint * 7919) % :bulk_customers, now() - (i % 3650) * interval '1 day', (i % 500) + 0.99,
       CASE WHEN i % 3 <> 0 THEN format('+385 91 %s', lpad((101 + (i::bigint * 7919) % :bulk_customers)::text, 7, '0')) END,
       'delivered'
  FROM generate_series(:planted_orders + 1, :rows) i;

INSERT INTO shop.order_items
SELECT row_number() OVER (ORDER BY o.id, g), o.id, 'SKU-' || g, 1, 9.99, o.placed_at
  FROM shop.orders o JOIN bench_subject s ON s.subject = o.customer_id, generate_series(1, s.items_per_order) g;
SELECT count(*) AS planted_items FROM shop.order_items \gset
INSERT INTO shop.order_items
SELECT i, :planted_orders + 1 + (i::bigint * 7919) % (:rows - :planted_orders), 'SKU-' || (i % 5000), 1 + i % 3, 5 + i % 100,
       now() - (i % 3650) * interval '1 day'
  FROM generate_series(:planted_items + 1, :rows) i;

INSERT INTO shop.payments
SELECT o.id, o.id, o.total, '4242', o.placed_at
  FROM shop.orders o WHERE o.customer_id <= 4;
INSERT INTO shop.payments
SELECT i, :planted_orders + 1 + (i::bigint * 7919) % (:rows - :planted_orders), 10 + i % 500, lpad((i % 10000)::text, 4, '0'),
       now() - (i % 3650) * interval '1 day'
  FROM generate_series(:planted_orders + 1, :rows) i;

INSERT INTO shop.tickets
SELECT row_number() OVER (ORDER BY s.subject, g), s.subject, format(' Subject%s.Bench@example.com', s.subject),
       'Question ' || g, now() - g * interval '1 day'
  FROM bench_subject s, generate_series(1, s.n_tickets) g;
SELECT count(*) AS planted_tickets FROM shop.tickets \gset
INSERT INTO shop.tickets
SELECT i, CASE WHEN i % 5 <> 0 THEN 101 + (i::bigint * 7919) % :bulk_customers END,
       format('user%s@example.com', 101 + (i::bigint * 7919) % :bulk_customers),
       'Question ' || i, now() - (i % 700) * interval '1 day'
  FROM generate_series(:planted_tickets + 1, :rows) i;

-- the subject writes the first message of each of their tickets, agents the rest
INSERT INTO shop.ticket_messages
SELECT row_number() OVER (ORDER BY t.id, g), t.id,
       CASE WHEN g = 1 THEN format('subject%s.BENCH@example.com', t.customer_id) ELSE 'agent7@support.example' END,
       'Message ' || g, t.opened_at + g * interval '1 hour'
  FROM shop.tickets t JOIN bench_subject s ON s.subject = t.customer_id, generate_series(1, s.messages_per_ticket) g;
SELECT count(*) AS planted_ticket_messages FROM shop.ticket_messages \gset
INSERT INTO shop.ticket_messages
SELECT i, :planted_tickets + 1 + (i::bigint * 7919) % (:rows - :planted_tickets),
       CASE WHEN i % 2 = 0 THEN format('user%s@example.com', 101 + (i::bigint * 7919) % :bulk_customers)
            ELSE format('agent%s@support.example', i % 50) END,
       'Message ' || i, now() - (i % 700) * interval '1 day'
  FROM generate_series(:planted_ticket_messages + 1, :rows) i;

-- messages to the subject's phone, sent by other people's accounts
INSERT INTO shop.messages
SELECT row_number() OVER (ORDER BY s.subject, g), 5 + (g * 7919) % (:rows - 4),
       format('+385-99-000-%s', lpad(s.subject::text, 4, '0')), 'Your code is ' || g,
       now() - g * interval '1 hour'
  FROM bench_subject s, generate_series(1, s.n_messages) g;
SELECT count(*) AS planted_messages FROM shop.messages \gset
INSERT INTO shop.messages
SELECT i, CASE WHEN i % 10 <> 0 THEN 5 + (i::bigint * 7919) % (:rows - 4) END,
       format('+385 91 %s', lpad((101 + (i::bigint * 104729) % :bulk_customers)::text, 7, '0')),
       'Your code is ' || (i % 10000), now() - (i % 365) * interval '1 day'
  FROM generate_series(:planted_messages + 1, :rows) i;

INSERT INTO shop.login_events
SELECT row_number() OVER (ORDER BY s.subject, g), s.subject, ('10.0.' || (g % 250) || '.' || (g % 200))::inet,
       now() - g * interval '1 minute'
  FROM bench_subject s, generate_series(1, s.n_logins) g;
SELECT count(*) AS planted_logins FROM shop.login_events \gset
INSERT INTO shop.login_events
SELECT i, 101 + (i::bigint * 7919) % :bulk_customers, ('10.' || (i % 250) || '.' || (i % 199) || '.' || (i % 197))::inet,
       now() - (i % 90) * interval '1 day'
  FROM generate_series(:planted_logins + 1, :rows) i;

INSERT INTO shop.newsletter
SELECT s.subject, upper(s.email), 'web', now() - interval '100 days' FROM bench_subject s;
INSERT INTO shop.newsletter
SELECT i, format('user%s@example.com', 101 + (i::bigint * 104729) % :bulk_customers), 'import', now() - (i % 700) * interval '1 day'
  FROM generate_series(5, :rows) i;

-- keys and foreign keys (with indexes on the referencing columns)
ALTER TABLE shop.customers ADD PRIMARY KEY (id);
ALTER TABLE shop.accounts ADD PRIMARY KEY (id);
ALTER TABLE shop.orders ADD PRIMARY KEY (id);
ALTER TABLE shop.order_items ADD PRIMARY KEY (id);
ALTER TABLE shop.payments ADD PRIMARY KEY (id);
ALTER TABLE shop.tickets ADD PRIMARY KEY (id);
ALTER TABLE shop.ticket_messages ADD PRIMARY KEY (id);
ALTER TABLE shop.messages ADD PRIMARY KEY (id);
ALTER TABLE shop.login_events ADD PRIMARY KEY (id);
ALTER TABLE shop.newsletter ADD PRIMARY KEY (id);
CREATE INDEX ON shop.accounts (customer_id);
CREATE INDEX ON shop.orders (customer_id);
CREATE INDEX ON shop.order_items (order_id);
CREATE INDEX ON shop.payments (order_id);
CREATE INDEX ON shop.tickets (customer_id);
CREATE INDEX ON shop.ticket_messages (ticket_id);
CREATE INDEX ON shop.messages (account_id);
ALTER TABLE shop.accounts ADD FOREIGN KEY (customer_id) REFERENCES shop.customers ON DELETE CASCADE;
ALTER TABLE shop.orders ADD FOREIGN KEY (customer_id) REFERENCES shop.customers;
ALTER TABLE shop.order_items ADD FOREIGN KEY (order_id) REFERENCES shop.orders ON DELETE CASCADE;
ALTER TABLE shop.payments ADD FOREIGN KEY (order_id) REFERENCES shop.orders;
ALTER TABLE shop.tickets ADD FOREIGN KEY (customer_id) REFERENCES shop.customers;
ALTER TABLE shop.ticket_messages ADD FOREIGN KEY (ticket_id) REFERENCES shop.tickets ON DELETE CASCADE;
ALTER TABLE shop.messages ADD FOREIGN KEY (account_id) REFERENCES shop.accounts;

-- subject columns: an expression index on exactly the search expression for
-- email and phone (text) columns, a plain btree for the integer customer_id
CREATE INDEX customers_email_norm ON shop.customers (retention.normalize_identifier('email', email));
CREATE INDEX customers_phone_norm ON shop.customers (retention.normalize_identifier('phone', phone));
CREATE INDEX accounts_billing_email_norm ON shop.accounts (retention.normalize_identifier('email', billing_email));
CREATE INDEX orders_shipping_phone_norm ON shop.orders (retention.normalize_identifier('phone', shipping_phone));
CREATE INDEX tickets_contact_email_norm ON shop.tickets (retention.normalize_identifier('email', contact_email));
CREATE INDEX ticket_messages_author_email_norm ON shop.ticket_messages (retention.normalize_identifier('email', author_email));
CREATE INDEX messages_to_phone_norm ON shop.messages (retention.normalize_identifier('phone', to_phone));
CREATE INDEX newsletter_email_norm ON shop.newsletter (retention.normalize_identifier('email', email));
CREATE INDEX ON shop.login_events (customer_id);
-- customers.id (subject=customer_id) is served by the primary key

-- tags
SELECT retention.tag_table('shop.customers', 'customer_account', 'closed_at');
SELECT retention.tag_column('shop.customers', 'email', subject => 'email');
SELECT retention.tag_column('shop.customers', 'phone', subject => 'phone');
SELECT retention.tag_column('shop.customers', 'id', subject => 'customer_id');
SELECT retention.tag_table('shop.accounts', 'billing', 'opened_at');
SELECT retention.tag_column('shop.accounts', 'billing_email', subject => 'email');
SELECT retention.tag_column('shop.accounts', 'iban', 'payment_details', 'opened_at', 'mask', keep => 4);
SELECT retention.tag_table('shop.orders', 'orders', 'placed_at');
SELECT retention.tag_column('shop.orders', 'shipping_phone', subject => 'phone');
SELECT retention.tag_table('shop.order_items', 'orders', 'created_at');
SELECT retention.tag_table('shop.payments', 'billing', 'paid_at');
SELECT retention.tag_table('shop.tickets', 'support', 'opened_at');
SELECT retention.tag_column('shop.tickets', 'contact_email', subject => 'email');
SELECT retention.tag_table('shop.ticket_messages', 'support', 'sent_at');
SELECT retention.tag_column('shop.ticket_messages', 'author_email', subject => 'email');
SELECT retention.tag_table('shop.messages', 'messaging', 'sent_at');
SELECT retention.tag_column('shop.messages', 'to_phone', 'end_user_identifiers', 'sent_at', 'hash', 'phone');
SELECT retention.tag_table('shop.login_events', 'security_log', 'at');
SELECT retention.tag_column('shop.login_events', 'customer_id', subject => 'customer_id');
SELECT retention.tag_column('shop.login_events', 'ip', 'network_data', 'at', 'generalize');
SELECT retention.tag_table('shop.newsletter', 'marketing', 'subscribed_at');
SELECT retention.tag_column('shop.newsletter', 'email', subject => 'email');

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM retention.tags WHERE NOT valid) THEN
        RAISE EXCEPTION 'a benchmark tag does not resolve';
    END IF;
END
$$;
