-- The retention policy of the example CPaaS platform (examples/cpaas), as
-- a user's CI would test it with pg_retention_tap: the promises of the
-- privacy notice (periods, boundaries, actions), the tags that carry them,
-- the subject identifiers, no personal data without a retention rule, and
-- what enforcement would do to a small data set at future instants.
-- doc/testing-your-policy.md shows this suite.
BEGIN;
SET LOCAL client_min_messages = warning;
SET LOCAL TimeZone = 'UTC';
CREATE EXTENSION pg_retention_tap;

-- the schema and the policy under test (their own output is not TAP)
\o /dev/null
\i examples/cpaas/schema.sql
\i examples/cpaas/policy.sql
\o

SELECT plan(53);

-- ---------------------------------------------------------------------
-- The privacy notice's promises
-- ---------------------------------------------------------------------
SELECT category_period_is('account_user_data', '12 months');
SELECT category_period_is('individual_customer_data', '7 years');
SELECT category_period_is('customer_support_data', '7 years');
SELECT category_period_is('end_user_identifiers', '12 months',
    'end users'' phone numbers and e-mail addresses are kept 12 months...');
SELECT category_starts_is('end_user_identifiers', 'end_of_month',
    '...after the end of the month of the communication...');
SELECT category_action_is('end_user_identifiers', 'nullify',
    '...and then removed from the record, which stays');
SELECT category_period_is('traffic_metadata', '10 years');
SELECT category_starts_is('traffic_metadata', 'end_of_year');
SELECT category_action_is('traffic_metadata', 'delete');
SELECT category_period_is('communication_content', '90 days',
    'content is kept as the customer instructs; 90 days where it gives no instruction');
SELECT category_action_is('communication_content', 'nullify');
SELECT category_period_is('usage_data', '3 years');
SELECT category_period_is('behavioural_analytics', '25 months');
SELECT category_period_is('sales_prospects', '6 months');
SELECT category_period_is('marketing_contacts', '0');
SELECT category_period_is('consent_based_data', '0');

-- ---------------------------------------------------------------------
-- The tags that carry them
-- ---------------------------------------------------------------------
SELECT table_has_retention('cpaas.customer', 'individual_customer_data');
SELECT table_has_retention('cpaas.account_user', 'account_user_data');
SELECT table_has_retention('cpaas.support_ticket', 'customer_support_data');
SELECT table_has_retention('cpaas.ticket_message', 'customer_support_data');
SELECT table_has_retention('cpaas.message_record', 'traffic_metadata');
SELECT table_has_retention('cpaas.usage_log', 'usage_data');
SELECT table_has_retention('cpaas.web_event', 'behavioural_analytics');
SELECT table_has_retention('cpaas.supplier', 'individual_supplier_data');
SELECT table_has_retention('cpaas.supplier_contact', 'supplier_business_contacts');
SELECT table_has_retention('cpaas.sales_lead', 'sales_prospects');
SELECT table_has_retention('cpaas.marketing_contact', 'marketing_contacts');
SELECT table_has_retention('cpaas.consent_record', 'consent_based_data');
SELECT column_has_retention('cpaas.message_record', 'end_user_phone', 'end_user_identifiers');
SELECT column_has_retention('cpaas.message_record', 'end_user_email', 'end_user_identifiers');
SELECT column_has_retention('cpaas.message_record', 'content', 'communication_content');

-- ---------------------------------------------------------------------
-- Subject identifiers: how access and erasure find a person
-- ---------------------------------------------------------------------
SELECT column_is_subject('cpaas.customer', 'email', 'email');
SELECT column_is_subject('cpaas.customer', 'phone', 'phone');
SELECT column_is_subject('cpaas.supplier_contact', 'phone', 'phone');
SELECT column_is_subject('cpaas.account_user', 'email', 'email');
SELECT column_is_subject('cpaas.ticket_message', 'author_email', 'email');
SELECT column_is_subject('cpaas.message_record', 'end_user_phone', 'phone');
SELECT column_is_subject('cpaas.message_record', 'end_user_email', 'email');

-- ---------------------------------------------------------------------
-- Nothing slips through: every column that looks like personal data is
-- covered, and every tag still resolves
-- ---------------------------------------------------------------------
SELECT no_untagged_personal_data('cpaas');
SELECT retention_tags_are_valid('cpaas');

-- ---------------------------------------------------------------------
-- What enforcement would do to a small data set, at future instants
-- ---------------------------------------------------------------------
-- a natural person whose contract ended on 2020-06-30, and a customer
-- whose relationship goes on
INSERT INTO cpaas.customer (customer_id, is_natural_person, name, email, relationship_ended_at)
OVERRIDING SYSTEM VALUE
VALUES (1, true, 'Ana Horvat', 'ana@example.com', '2020-06-30 12:00Z'),
       (2, false, 'Acme d.o.o.', 'billing@acme.example', NULL),
       (3, true, 'Ivo Ivić', 'ivo.ivic@example.com', '2020-06-30 12:00Z');
INSERT INTO cpaas.account_user (customer_id, full_name, email)
VALUES (1, 'Ana Horvat', 'ana@example.com'),
       (1, 'Ivo Horvat', 'ivo@example.com'),
       (2, 'Maja Kovač', 'maja@acme.example');
-- two messages: identifiers due 12 months after the end of their month,
-- the record 10 years after the end of its year
INSERT INTO cpaas.message_record (customer_id, sent_at, channel, direction, end_user_phone, end_user_email)
VALUES (2, '2024-03-15 10:00Z', 'sms', 'outbound', '+385911234567', NULL),
       (2, '2024-04-02 09:30Z', 'email', 'outbound', NULL, 'end.user@example.com');
INSERT INTO cpaas.usage_log (customer_id, created_at, ip_address, activity)
VALUES (2, '2024-01-10 08:00Z', '192.0.2.10', 'login');

-- account users: 12 months after the customer relationship ended
SELECT retention_would_process('cpaas.account_user', '2021-06-30 11:59Z', 0);
SELECT retention_would_process('cpaas.account_user', '2021-06-30 12:00Z', 2,
    'Ana''s account users are deleted 12 months after her contract ended; Acme''s stay');
-- the customer record: 7 years after the end (natural persons; the
-- company is not under the rule).  Ana's account users still reference her
-- record, but they fell due in 2021 and go first in the same run, so her
-- record is deleted with Ivo's rather than anonymized (blocked=anonymize).
SELECT retention_would_process('cpaas.customer', '2027-06-30 11:59Z', 0);
SELECT retention_would_process('cpaas.customer', '2027-06-30 12:00Z', 2);
-- end-user identifiers: from the first of the month after next March
SELECT retention_would_process('cpaas.message_record', 'end_user_phone', '2025-03-31 23:59Z', 0);
SELECT retention_would_process('cpaas.message_record', 'end_user_phone', '2025-04-01 00:00Z', 1);
SELECT retention_would_process('cpaas.message_record', 'end_user_email', '2025-04-01 00:00Z', 0);
SELECT retention_would_process('cpaas.message_record', 'end_user_email', '2025-05-01 00:00Z', 1);
-- the records themselves: 10 years from the start of 2025
SELECT retention_would_process('cpaas.message_record', '2034-12-31 23:59Z', 0);
SELECT retention_would_process('cpaas.message_record', '2035-01-01 00:00Z', 2);
-- usage data: 3 years
SELECT retention_would_process('cpaas.usage_log', '2027-01-10 08:00Z', 1);

-- subject access finds Ana's data across tables (counts only)
SELECT export_contains('{"email": "ana@example.com"}', 'cpaas.customer', 1);

-- the notice's "as the customer instructs", in the schedule's words
SELECT is((SELECT kept FROM retention.schedule WHERE category = 'communication_content'),
          '90 days after the time of the communication (or, where the retention period you set for your messages is set, that period after it)',
          'schedule: content is kept as the customer instructs, 90 days otherwise');

SELECT * FROM finish();
ROLLBACK;
