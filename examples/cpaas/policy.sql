-- examples/cpaas/policy.sql: the reference retention schedule as
-- pg_retention categories and tags on examples/cpaas/schema.sql.
-- Where the schedule says "up to", the stated maximum is used.

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
SELECT retention.define_category('communication_content', '0', 'exact', 'nullify',
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

-- 1. Account users: 12 months after the customer relationship ends.
SELECT retention.tag_table('cpaas.account_user', 'account_user_data',
                           'customer_id->customer.relationship_ended_at');
SELECT retention.tag_column('cpaas.account_user', 'email', subject => 'email');
SELECT retention.tag_column('cpaas.account_user', 'phone', subject => 'phone');
-- 2. Customers (natural persons' data, billing): 7 years after the end.
SELECT retention.tag_table('cpaas.customer', 'individual_customer_data', 'relationship_ended_at');
SELECT retention.tag_column('cpaas.customer', 'email', subject => 'email');
SELECT retention.tag_column('cpaas.customer', 'phone', subject => 'phone');
SELECT retention.tag_column('cpaas.customer', 'customer_id', subject => 'customer_id');
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
-- 6. Content: as the customer instructs (content_expires_at).
SELECT retention.tag_column('cpaas.message_record', 'content', 'communication_content',
                            'content_expires_at');
-- 7. Usage data: 3 years.
SELECT retention.tag_table('cpaas.usage_log', 'usage_data', 'created_at');
-- 8. Behavioural analytics: 25 months.
SELECT retention.tag_table('cpaas.web_event', 'behavioural_analytics', 'occurred_at');
-- 9. Supplier contacts: 12 months after the supplier relationship ends.
SELECT retention.tag_table('cpaas.supplier_contact', 'supplier_business_contacts',
                           'supplier_id->supplier.relationship_ended_at');
SELECT retention.tag_column('cpaas.supplier_contact', 'email', subject => 'email');
SELECT retention.tag_column('cpaas.supplier_contact', 'phone', subject => 'phone');
-- 10. Suppliers: 7 years after the relationship ends.
SELECT retention.tag_table('cpaas.supplier', 'individual_supplier_data', 'relationship_ended_at');
SELECT retention.tag_column('cpaas.supplier', 'email', subject => 'email');
-- 11. Prospects: 6 months after the last contact.
SELECT retention.tag_table('cpaas.sales_lead', 'sales_prospects', 'last_contact_at');
SELECT retention.tag_column('cpaas.sales_lead', 'email', subject => 'email');
SELECT retention.tag_column('cpaas.sales_lead', 'phone', subject => 'phone');
-- 12. Marketing contacts: at the unsubscribe.
SELECT retention.tag_table('cpaas.marketing_contact', 'marketing_contacts', 'unsubscribed_at');
SELECT retention.tag_column('cpaas.marketing_contact', 'email', subject => 'email');
SELECT retention.tag_column('cpaas.marketing_contact', 'phone', subject => 'phone');
-- 13. Consent: at the end of the consent (stated period or withdrawal).
SELECT retention.tag_table('cpaas.consent_record', 'consent_based_data', 'ends_at');
SELECT retention.tag_column('cpaas.consent_record', 'email', subject => 'email');
