-- examples/cpaas/schema.sql: the data model of a cloud communications
-- platform (SMS, e-mail, voice), the reference workload of pg_retention
-- (see the project's reference policy).  Plain tables; the retention policy
-- is attached separately in policy.sql.  Identifier columns get the
-- expression index that data subject requests search with
-- (retention.normalize_identifier), so load this after CREATE EXTENSION.

CREATE SCHEMA IF NOT EXISTS cpaas;
SET search_path = cpaas, public;

-- Customers: companies and natural persons.  relationship_ended_at is NULL
-- while the business relationship lasts.  country selects the country
-- appendix of the notice; content_retention is the customer's instruction
-- for how long message content is kept (NULL: the default).
CREATE TABLE customer (
    customer_id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    is_natural_person     boolean NOT NULL DEFAULT false,
    name                  text NOT NULL,
    email                 text,
    phone                 text,
    billing_address       text,
    tax_id                text,
    country               text NOT NULL DEFAULT 'HR',
    content_retention     interval,
    created_at            timestamptz NOT NULL DEFAULT now(),
    relationship_ended_at timestamptz
);
COMMENT ON COLUMN customer.relationship_ended_at IS 'the end of your business relationship with us';
COMMENT ON COLUMN customer.content_retention IS 'the retention period you set for your messages';
CREATE INDEX ON customer (relationship_ended_at);
CREATE INDEX ON customer (retention.normalize_identifier('email', email));
CREATE INDEX ON customer (retention.normalize_identifier('phone', phone));

-- Users of a customer's account, and business contacts at the customer.
CREATE TABLE account_user (
    account_user_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id     bigint NOT NULL REFERENCES customer,
    full_name       text NOT NULL,
    email           text NOT NULL,
    phone           text,
    job_role        text,
    login           text,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON account_user (customer_id);
CREATE INDEX ON account_user (retention.normalize_identifier('email', email));
CREATE INDEX ON account_user (retention.normalize_identifier('phone', phone));

-- Support tickets and their messages.
CREATE TABLE support_ticket (
    ticket_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id  bigint NOT NULL REFERENCES customer,
    opened_by    bigint REFERENCES account_user ON DELETE SET NULL,
    title        text NOT NULL,
    opened_at    timestamptz NOT NULL DEFAULT now(),
    resolved_at  timestamptz
);
CREATE INDEX ON support_ticket (resolved_at);
CREATE INDEX ON support_ticket (customer_id);
CREATE INDEX ON support_ticket (opened_by);

CREATE TABLE ticket_message (
    ticket_message_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id         bigint NOT NULL REFERENCES support_ticket ON DELETE CASCADE,
    author_email      text,
    body              text NOT NULL,
    sent_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON ticket_message (ticket_id);
CREATE INDEX ON ticket_message (retention.normalize_identifier('email', author_email));

-- Communication detail records: one row per SMS, e-mail or call.  The end
-- user's phone number and e-mail address expire long before the record.
CREATE TABLE message_record (
    message_id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id        bigint NOT NULL REFERENCES customer,
    sent_at            timestamptz NOT NULL,
    channel            text NOT NULL CHECK (channel IN ('sms', 'email', 'voice')),
    direction          text NOT NULL CHECK (direction IN ('outbound', 'inbound')),
    end_user_phone     text,
    end_user_email     text,
    duration_s         integer,
    route              text,
    content            text          -- kept as the customer instructs (customer.content_retention)
);
COMMENT ON COLUMN message_record.sent_at IS 'the time of the communication';
CREATE INDEX ON message_record (sent_at);
CREATE INDEX ON message_record (customer_id);
CREATE INDEX ON message_record (retention.normalize_identifier('phone', end_user_phone));
CREATE INDEX ON message_record (retention.normalize_identifier('email', end_user_email));

-- Usage data: platform activity logs with IP addresses.
CREATE TABLE usage_log (
    usage_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint REFERENCES customer,
    created_at  timestamptz NOT NULL DEFAULT now(),
    ip_address  inet,
    activity    text NOT NULL
);
CREATE INDEX ON usage_log (created_at);
CREATE INDEX ON usage_log (customer_id);

-- Behavioural analytics of the web interface.
CREATE TABLE web_event (
    event_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    page        text NOT NULL,
    feature     text,
    ip_address  inet,
    user_agent  text
);
CREATE INDEX ON web_event (occurred_at);

-- Suppliers (some are natural persons) and their contacts.
CREATE TABLE supplier (
    supplier_id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    is_natural_person     boolean NOT NULL DEFAULT false,
    name                  text NOT NULL,
    email                 text,
    bank_account          text,
    relationship_ended_at timestamptz
);
CREATE INDEX ON supplier (relationship_ended_at);
CREATE INDEX ON supplier (retention.normalize_identifier('email', email));

CREATE TABLE supplier_contact (
    supplier_contact_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    supplier_id         bigint NOT NULL REFERENCES supplier,
    full_name           text NOT NULL,
    email               text,
    phone               text
);
CREATE INDEX ON supplier_contact (supplier_id);
CREATE INDEX ON supplier_contact (retention.normalize_identifier('email', email));
CREATE INDEX ON supplier_contact (retention.normalize_identifier('phone', phone));

-- Sales inquiries and prospects.
CREATE TABLE sales_lead (
    lead_id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    full_name       text NOT NULL,
    email           text,
    phone           text,
    company         text,
    last_contact_at timestamptz NOT NULL DEFAULT now(),
    converted_at    timestamptz      -- a contract was concluded: the lead is now a customer
);
COMMENT ON COLUMN sales_lead.last_contact_at IS 'our last contact with you';
CREATE INDEX ON sales_lead (last_contact_at);
CREATE INDEX ON sales_lead (retention.normalize_identifier('email', email));
CREATE INDEX ON sales_lead (retention.normalize_identifier('phone', phone));

-- Newsletter and B2B marketing recipients.  An objection to marketing
-- (GDPR Art. 21(2)) is recorded apart from an unsubscribe; customer_id is
-- the customer a B2B recipient works for.
CREATE TABLE marketing_contact (
    marketing_contact_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email                text,
    phone                text,
    full_name            text,
    customer_id          bigint REFERENCES customer,
    subscribed_at        timestamptz NOT NULL DEFAULT now(),
    unsubscribed_at      timestamptz,
    objected_at          timestamptz
);
CREATE INDEX ON marketing_contact (unsubscribed_at);
CREATE INDEX ON marketing_contact (objected_at);
CREATE INDEX ON marketing_contact (customer_id);
CREATE INDEX ON marketing_contact (retention.normalize_identifier('email', email));
CREATE INDEX ON marketing_contact (retention.normalize_identifier('phone', phone));

-- Data processed on consent: ends at the end the consent states (ends_at)
-- or at its withdrawal, whichever comes first.
CREATE TABLE consent_record (
    consent_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email        text NOT NULL,
    purpose      text NOT NULL,
    given_at     timestamptz NOT NULL DEFAULT now(),
    withdrawn_at timestamptz,
    ends_at      timestamptz
);
CREATE INDEX ON consent_record (ends_at);
CREATE INDEX ON consent_record (withdrawn_at);
CREATE INDEX ON consent_record (retention.normalize_identifier('email', email));

RESET search_path;
