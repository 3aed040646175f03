-- examples/cpaas/generate.sql: years of plausible history for the example
-- platform, deterministic for a given seed and scale.
--
--   psql -v scale=1 -v seed=0.42 -f generate.sql
--
-- scale 1: 2,000 customers, 1,000,000 communication records, and the rest
-- in proportion (about 2 minutes on 2 cores); scale 0.05 is what the demo
-- and the tests load.  Anchors spread over the past 11 years, so every
-- category has data that is due, data that is not, and data on the edge.

\if :{?scale}
\else
\set scale 1
\endif
\if :{?seed}
\else
\set seed 0.42
\endif

SELECT setseed(:seed);
SET search_path = cpaas, public;

-- Customers: 10% natural persons; 15% ended their relationship at some
-- point of the past 10 years.
INSERT INTO customer (is_natural_person, name, email, phone, billing_address, tax_id,
                      country, content_retention, created_at, relationship_ended_at)
SELECT random() < 0.10,
       CASE WHEN random() < 0.10 THEN 'Person ' ELSE 'Company ' END || g,
       'billing' || g || '@customer' || g || '.example',
       '+385 1 ' || lpad((g * 7919 % 10000000)::text, 7, '0'),
       'Street ' || g || ', City',
       'HR' || lpad((g * 104729 % 100000000000)::text, 11, '0'),
       (ARRAY['HR', 'HR', 'HR', 'DE', 'BR', 'AR'])[1 + (g % 6)],
       CASE WHEN g % 4 = 0 THEN interval '30 days' * (1 + g % 12) END,
       now() - interval '11 years' * random(),
       CASE WHEN random() < 0.15 THEN now() - interval '10 years' * random() END
  FROM generate_series(1::bigint, greatest(20, (2000 * :scale)::int)) g;

-- Account users: about 3 per customer.
INSERT INTO account_user (customer_id, full_name, email, phone, job_role, login, created_at)
SELECT c.customer_id,
       'User ' || c.customer_id || '-' || n,
       'user' || n || '.' || c.customer_id || '@customer' || c.customer_id || '.example',
       CASE WHEN random() < 0.7 THEN '+385 91 ' || lpad(((c.customer_id * 31 + n) * 7907 % 10000000)::text, 7, '0') END,
       (ARRAY['admin', 'developer', 'billing', 'support'])[1 + (n % 4)],
       'login' || c.customer_id || '_' || n,
       c.created_at + interval '1 day' * n
  FROM customer c, generate_series(1, 3) n
 WHERE random() < 0.95;

-- Support tickets (about 5 per customer over the years) and messages.
INSERT INTO support_ticket (customer_id, opened_by, title, opened_at, resolved_at)
SELECT u.customer_id, u.account_user_id, 'Ticket about ' || (ARRAY['billing', 'delivery', 'API', 'numbers'])[1 + (n % 4)],
       o.opened_at,
       CASE WHEN random() < 0.95 THEN o.opened_at + interval '10 days' * random() END
  FROM account_user u, generate_series(1, 2) n,
       LATERAL (SELECT now() - interval '10 years' * random() + interval '0' * n AS opened_at) o
 WHERE random() < 0.8;

INSERT INTO ticket_message (ticket_id, author_email, body, sent_at)
SELECT t.ticket_id,
       CASE WHEN n % 2 = 1 THEN u.email ELSE 'agent' || (n % 7) || '@cpaas.example' END,
       'Message ' || n || ' of ticket ' || t.ticket_id,
       t.opened_at + interval '1 hour' * n
  FROM support_ticket t JOIN account_user u ON u.account_user_id = t.opened_by,
       generate_series(1, 3) n;

-- Communication detail records: 1,000,000 per scale unit over 11 years,
-- more in recent years.  Content is kept per the customer's setting
-- (customer.content_retention).
INSERT INTO message_record (customer_id, sent_at, channel, direction, end_user_phone, end_user_email,
                            duration_s, route, content)
SELECT 1 + (g * 7 % cmax.n),
       s.sent_at,
       ch.channel,
       CASE WHEN random() < 0.8 THEN 'outbound' ELSE 'inbound' END,
       CASE WHEN ch.channel <> 'email' THEN '+3859' || lpad((g * 48271 % 100000000)::text, 8, '0') END,
       CASE WHEN ch.channel = 'email' THEN 'enduser' || (g * 16807 % 1000000) || '@mail.example' END,
       CASE WHEN ch.channel = 'voice' THEN (random() * 600)::int END,
       'route-' || (g % 17),
       CASE WHEN ch.channel <> 'voice' THEN 'Your code is ' || (g * 9973 % 1000000) END
  FROM generate_series(1::bigint, greatest(1000, (1000000 * :scale)::int)) g,
       (SELECT count(*) AS n FROM customer) cmax,
       LATERAL (SELECT now() - interval '11 years' * power(random(), 2) + interval '0' * g AS sent_at) s,
       LATERAL (SELECT (ARRAY['sms', 'sms', 'sms', 'email', 'voice'])[1 + (g % 5)] AS channel) ch;

-- Account users receive messages too: some records carry their number.
UPDATE message_record m SET end_user_phone = u.phone
  FROM account_user u
 WHERE u.phone IS NOT NULL AND m.channel = 'sms'
   AND m.message_id % 997 = u.account_user_id % 997 AND m.message_id % 13 = 0;

-- Usage logs (4 years) and web analytics (3 years).
INSERT INTO usage_log (customer_id, created_at, ip_address, activity)
SELECT 1 + (g % (SELECT count(*) FROM customer)),
       now() - interval '4 years' * random(),
       ('10.' || (g % 250) || '.' || (g * 7 % 250) || '.' || (g * 13 % 250))::inet,
       (ARRAY['login', 'api_call', 'number_purchase', 'settings_change'])[1 + (g % 4)]
  FROM generate_series(1::bigint, greatest(200, (200000 * :scale)::int)) g;

INSERT INTO web_event (occurred_at, page, feature, ip_address, user_agent)
SELECT now() - interval '3 years' * random(),
       '/dashboard/' || (ARRAY['sms', 'voice', 'billing', 'reports'])[1 + (g % 4)],
       'feature-' || (g % 23),
       ('192.0.2.' || (g % 250))::inet,
       'Browser/' || (g % 9) || '.0'
  FROM generate_series(1::bigint, greatest(200, (200000 * :scale)::int)) g;

-- Suppliers (a quarter natural persons) and their contacts.
INSERT INTO supplier (is_natural_person, name, email, bank_account, relationship_ended_at)
SELECT g % 4 = 0, 'Supplier ' || g, 'office@supplier' || g || '.example',
       'HR12' || lpad((g * 15485863 % 10000000000000)::text, 17, '0'),
       CASE WHEN random() < 0.3 THEN now() - interval '9 years' * random() END
  FROM generate_series(1::bigint, greatest(10, (200 * :scale)::int)) g;

INSERT INTO supplier_contact (supplier_id, full_name, email, phone)
SELECT s.supplier_id, 'Contact ' || s.supplier_id || '-' || n,
       'contact' || n || '@supplier' || s.supplier_id || '.example',
       '+44 20 ' || lpad((s.supplier_id * 10 + n)::text, 8, '0')
  FROM supplier s, generate_series(1, 2) n;

-- Sales leads (last contact over 2 years) and marketing contacts (20%
-- unsubscribed at some point).
INSERT INTO sales_lead (full_name, email, phone, company, last_contact_at, converted_at)
SELECT 'Lead ' || g, 'lead' || g || '@prospect.example', '+1 555 ' || lpad(g::text, 7, '0'),
       'Prospect ' || (g % 300), now() - interval '2 years' * random(),
       CASE WHEN g % 10 = 0 THEN now() - interval '1 year' * random() END
  FROM generate_series(1::bigint, greatest(50, (5000 * :scale)::int)) g;

INSERT INTO marketing_contact (email, phone, full_name, customer_id, subscribed_at, unsubscribed_at, objected_at)
SELECT 'reader' || g || '@newsletter.example',
       CASE WHEN g % 3 = 0 THEN '+385 98 ' || lpad(g::text, 7, '0') END,
       'Reader ' || g,
       CASE WHEN g % 7 = 0 THEN 1 + (g % (SELECT count(*) FROM customer)) END,
       s.subscribed_at,
       CASE WHEN random() < 0.2 THEN s.subscribed_at + (now() - s.subscribed_at) * random() END,
       CASE WHEN random() < 0.02 THEN s.subscribed_at + (now() - s.subscribed_at) * random() END
  FROM generate_series(1::bigint, greatest(100, (20000 * :scale)::int)) g,
       LATERAL (SELECT now() - interval '5 years' * random() + interval '0' * g AS subscribed_at) s;

-- Consents: stated for 1 to 3 years; 10% withdrawn early.
INSERT INTO consent_record (email, purpose, given_at, withdrawn_at, ends_at)
SELECT 'reader' || g || '@newsletter.example', 'product research interviews', c.given_at, c.withdrawn_at,
       c.given_at + interval '1 year' * (1 + g % 3)
  FROM generate_series(1::bigint, greatest(50, (5000 * :scale)::int)) g,
       LATERAL (SELECT now() - interval '4 years' * random() + interval '0' * g AS given_at) gv,
       LATERAL (SELECT gv.given_at,
                       CASE WHEN random() < 0.1 THEN gv.given_at + interval '100 days' * random() END AS withdrawn_at) c;

RESET search_path;
ANALYZE;
