-- examples/cpaas/policy.sql: the reference retention schedule as
-- pg_retention categories and tags on examples/cpaas/schema.sql.
-- Where the schedule says "up to", the stated maximum is used.  Every rule
-- is stated in the policy itself (0.2.0 keys: when=, anchor=a|b, period=,
-- variant=, blocked=anonymize, suppress=true); no application code keeps
-- a date for it.

SELECT retention.define_category('account_user_data', '12 months',
    description => 'Registration data of account users and business contacts: name, business address, phone, e-mail, company, role, login',
    purpose     => 'Providing the platform to the customer and managing the account',
    legal_basis => 'Contract (GDPR Art. 6(1)(b)) and legitimate interest (Art. 6(1)(f))');
SELECT retention.define_category('individual_customer_data', '7 years',
    description => 'Data of customers who are natural persons, including billing and financial details',
    purpose     => 'Contract performance, invoicing, accounting',
    legal_basis => 'Contract (Art. 6(1)(b)); legal obligation for accounting records (Art. 6(1)(c))');
SELECT retention.define_category('customer_support_data', '7 years',
    description => 'Support tickets and their messages',
    purpose     => 'Answering support requests and keeping a record of them',
    legal_basis => 'Contract (Art. 6(1)(b)) and legitimate interest (Art. 6(1)(f))');
SELECT retention.define_category('end_user_identifiers', '12 months', 'end_of_month', 'nullify',
    description => 'End users'' phone numbers and e-mail addresses inside communication detail records',
    purpose     => 'Delivering communications, billing disputes, fraud prevention',
    legal_basis => 'Contract with the customer (Art. 6(1)(b)); legitimate interest (Art. 6(1)(f))');
SELECT retention.define_category('traffic_metadata', '10 years', 'end_of_year',
    description => 'Communication detail records without end-user identifiers: time, type, duration, routing',
    purpose     => 'Billing, reconciliation with carriers, regulatory reporting',
    legal_basis => 'Legal obligation (Art. 6(1)(c)) and legitimate interest (Art. 6(1)(f))');
-- the period is the customer's instruction (customer.content_retention);
-- for customers who give none the example keeps content 90 days (the
-- notice leaves it to the customer: choose your own default)
SELECT retention.define_category('communication_content', '90 days', 'exact', 'nullify',
    description => 'Message text, media and documents carried for the customer',
    purpose     => 'Delivering the communication as the customer instructs',
    legal_basis => 'Contract with the customer, as processor (Art. 28)');
SELECT retention.define_category('usage_data', '3 years',
    description => 'IP addresses, usage information, routing information, platform activity logs',
    purpose     => 'Security, troubleshooting, service improvement',
    legal_basis => 'Legitimate interest (Art. 6(1)(f))');
SELECT retention.define_category('behavioural_analytics', '25 months',
    description => 'Web-interface behaviour records: pages, features, IP address, browser',
    purpose     => 'Understanding and improving the web interface',
    legal_basis => 'Consent (Art. 6(1)(a)) or legitimate interest (Art. 6(1)(f))');
SELECT retention.define_category('supplier_business_contacts', '12 months',
    description => 'Contact data of supplier representatives',
    purpose     => 'Managing the supplier relationship',
    legal_basis => 'Legitimate interest (Art. 6(1)(f))');
SELECT retention.define_category('individual_supplier_data', '7 years',
    description => 'Data of suppliers who are natural persons, including billing data',
    purpose     => 'Contract performance and accounting',
    legal_basis => 'Contract (Art. 6(1)(b)); legal obligation (Art. 6(1)(c))');
SELECT retention.define_category('sales_prospects', '6 months',
    description => 'Name, contact details and business information of prospects',
    purpose     => 'Answering sales inquiries',
    legal_basis => 'Legitimate interest (Art. 6(1)(f)) or pre-contractual steps (Art. 6(1)(b))');
SELECT retention.define_category('marketing_contacts', '0',
    description => 'Name and contact details of newsletter and B2B marketing recipients',
    purpose     => 'Sending newsletters and marketing communications',
    legal_basis => 'Consent (Art. 6(1)(a)) or legitimate interest for B2B (Art. 6(1)(f))');
SELECT retention.define_category('consent_based_data', '0',
    description => 'Data processed on the basis of consent, for the period stated in the consent',
    purpose     => 'As stated in the consent',
    legal_basis => 'Consent (Art. 6(1)(a)); withdrawal ends it (Art. 7(3))');

-- Country appendices: a jurisdiction can change a category's period.  The
-- variant is selected by the customer's country (variant=country).  The
-- periods below are illustrative: take each from the notice's appendix for
-- that country.
SELECT retention.define_category_variant('individual_customer_data', 'BR', '5 years',
    note => 'Brazil appendix (illustrative period)');
SELECT retention.define_category_variant('individual_customer_data', 'AR', '10 years',
    note => 'Argentina appendix (illustrative period)');

-- 1. Account users: 12 months after the customer relationship ends.
SELECT retention.tag_table('cpaas.account_user', 'account_user_data',
                           'customer_id->customer.relationship_ended_at');
SELECT retention.tag_column('cpaas.account_user', 'email', subject => 'email');
SELECT retention.tag_column('cpaas.account_user', 'phone', subject => 'phone');
-- 2. Customers who are natural persons (companies' data is not personal
-- data: when=), 7 years after the end, or their country's period
-- (variant=country).  A customer still referenced by traffic records, which
-- are kept 10 years, is anonymized then instead of staying whole
-- (blocked=anonymize): its name, contact and billing columns get their
-- column tags' methods.
SECURITY LABEL FOR retention ON TABLE cpaas.customer IS
    'category=individual_customer_data anchor=relationship_ended_at when=''is_natural_person'' variant=country blocked=anonymize';
SECURITY LABEL FOR retention ON COLUMN cpaas.customer.name IS
    'category=individual_customer_data anchor=relationship_ended_at when=''is_natural_person'' variant=country action=hash';
SECURITY LABEL FOR retention ON COLUMN cpaas.customer.email IS
    'category=individual_customer_data anchor=relationship_ended_at when=''is_natural_person'' variant=country action=nullify subject=email';
SECURITY LABEL FOR retention ON COLUMN cpaas.customer.phone IS
    'category=individual_customer_data anchor=relationship_ended_at when=''is_natural_person'' variant=country action=nullify subject=phone';
SECURITY LABEL FOR retention ON COLUMN cpaas.customer.billing_address IS
    'category=individual_customer_data anchor=relationship_ended_at when=''is_natural_person'' variant=country action=nullify';
SECURITY LABEL FOR retention ON COLUMN cpaas.customer.tax_id IS
    'category=individual_customer_data anchor=relationship_ended_at when=''is_natural_person'' variant=country action=nullify';
-- (customer_id is the key traffic records keep referencing: a subject tag
-- on it would be an identifier blocked=anonymize cannot remove)
-- 3. Support: 7 years after resolution, messages with their ticket.
SELECT retention.tag_table('cpaas.support_ticket', 'customer_support_data', 'resolved_at');
SELECT retention.tag_table('cpaas.ticket_message', 'customer_support_data',
                           'ticket_id->support_ticket.resolved_at');
SELECT retention.tag_column('cpaas.ticket_message', 'author_email', subject => 'email');
-- 4. End-user identifiers: 12 months after the end of the month.
SELECT retention.tag_column('cpaas.message_record', 'end_user_phone', 'end_user_identifiers',
                            'sent_at', subject => 'phone');
SELECT retention.tag_column('cpaas.message_record', 'end_user_email', 'end_user_identifiers',
                            'sent_at', subject => 'email');
-- 5. The rest of the record: 10 years from the start of the next year.
SELECT retention.tag_table('cpaas.message_record', 'traffic_metadata', 'sent_at');
-- 6. Content: as the customer instructs (period= from the customer row).
SECURITY LABEL FOR retention ON COLUMN cpaas.message_record.content IS
    'category=communication_content anchor=sent_at period=customer_id->customer.content_retention';
-- 7. Usage data: 3 years.
SELECT retention.tag_table('cpaas.usage_log', 'usage_data', 'created_at');
-- 8. Behavioural analytics: 25 months.
SELECT retention.tag_table('cpaas.web_event', 'behavioural_analytics', 'occurred_at');
-- 9. Supplier contacts: 12 months after the supplier relationship ends.
SELECT retention.tag_table('cpaas.supplier_contact', 'supplier_business_contacts',
                           'supplier_id->supplier.relationship_ended_at');
SELECT retention.tag_column('cpaas.supplier_contact', 'email', subject => 'email');
SELECT retention.tag_column('cpaas.supplier_contact', 'phone', subject => 'phone');
-- 10. Suppliers who are natural persons: 7 years after the relationship ends.
SECURITY LABEL FOR retention ON TABLE cpaas.supplier IS
    'category=individual_supplier_data anchor=relationship_ended_at when=''is_natural_person''';
SELECT retention.tag_column('cpaas.supplier', 'email', subject => 'email');
-- 11. Prospects: 6 months after the last contact, unless a contract is
-- concluded (a converted lead is outside the tag).
SECURITY LABEL FOR retention ON TABLE cpaas.sales_lead IS
    'category=sales_prospects anchor=last_contact_at when=''converted_at IS NULL''';
SELECT retention.tag_column('cpaas.sales_lead', 'email', subject => 'email');
SELECT retention.tag_column('cpaas.sales_lead', 'phone', subject => 'phone');
-- 12. Marketing contacts: at the unsubscribe, the objection or the end of
-- the B2B customer's relationship, whichever comes first; their e-mail and
-- phone stay in the suppression list (suppress=true).
SECURITY LABEL FOR retention ON TABLE cpaas.marketing_contact IS
    'category=marketing_contacts anchor=unsubscribed_at|objected_at|customer_id->customer.relationship_ended_at suppress=true';
SELECT retention.tag_column('cpaas.marketing_contact', 'email', subject => 'email');
SELECT retention.tag_column('cpaas.marketing_contact', 'phone', subject => 'phone');
-- 13. Consent: at the end the consent states or at its withdrawal,
-- whichever comes first.
SELECT retention.tag_table('cpaas.consent_record', 'consent_based_data', 'ends_at|withdrawn_at');
SELECT retention.tag_column('cpaas.consent_record', 'email', subject => 'email');
