-- The 0.2.0 policy model (issue 14 items 1-5, 9): anchor lists, latest(),
-- when=, period=, variant= and category variants; every error a user sees
-- and the valid counterpart.  Boundaries are in test/pgtap/policy_model.sql.
\set VERBOSITY default
\set SHOW_CONTEXT never
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE m text; d text; h text; s text;
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, m = MESSAGE_TEXT,
                            d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
    RETURN s || ': ' || m || coalesce(E'\nDETAIL: ' || nullif(d, ''), '')
             || coalesce(E'\nHINT: ' || nullif(h, ''), '');
END $$;                                                          -- ok

SELECT name FROM retention.define_category('m_rows', '2 years');  -- ok
CREATE TABLE regress_customer (
    id          integer PRIMARY KEY,
    kind        text,
    country     text,
    active      integer,
    created_at  timestamptz,
    left_at     date,
    keep_for    interval,
    note        text
);                                                               -- ok
COMMENT ON COLUMN regress_customer.left_at IS 'the end of your contract'; -- ok
CREATE TABLE regress_rental (
    id          integer PRIMARY KEY,
    customer_id integer REFERENCES regress_customer,
    returned_by integer REFERENCES regress_customer,
    rented_at   timestamptz,
    title       text
);                                                               -- ok
CREATE TABLE regress_payment (
    id          integer PRIMARY KEY,
    customer_id integer REFERENCES regress_customer,
    paid_at     date
);                                                               -- ok
COMMENT ON COLUMN regress_payment.paid_at IS 'the date of your last payment'; -- ok
CREATE FUNCTION regress_is_person(text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT $1 = 'person' $$; -- ok

-- anchor lists
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_customer IS 'category=m_rows anchor=created_at|left_at'$$);     -- ok: first due
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_customer IS 'category=m_rows anchor=created_at,left_at'$$);     -- ok: last due
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_customer IS 'category=m_rows anchor=created_at|left_at,x'$$);   -- fails: mixes | and ,
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_customer IS 'category=m_rows anchor=created_at|'$$);            -- fails: empty item
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_customer IS 'category=m_rows anchor=created_at|kind'$$);        -- fails: not a date
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_customer IS 'category=m_rows anchor=created_at|nope'$$);        -- fails: no such column
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_customer IS 'category=m_rows anchor=a|b|c|d|e|f|g|h|i'$$);      -- fails: too many items

-- latest()
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_customer IS 'category=m_rows anchor=left_at,latest(regress_payment.paid_at)'$$); -- ok
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_customer IS 'category=m_rows anchor=latest(regress_rental.rented_at)'$$);         -- fails: two keys, which one?
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_customer IS 'category=m_rows anchor=latest( public.regress_rental.rented_at via customer_id )'$$); -- ok: via names the key
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_customer IS 'category=m_rows anchor=latest(regress_rental.rented_at via title)'$$); -- fails: not a key column
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_customer IS 'category=m_rows anchor=latest(regress_rental.title via customer_id)'$$); -- fails: not a date
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_customer IS 'category=m_rows anchor=latest(regress_rental)'$$);  -- fails: needs table.column
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_customer IS 'category=m_rows anchor=latest(regress_payment.paid_at'$$); -- fails: unclosed
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_customer IS 'category=m_rows anchor=created_at period=latest(regress_payment.paid_at)'$$); -- fails: latest is an anchor item
CREATE ROLE regress_model_other;                                 -- ok
ALTER TABLE regress_payment OWNER TO regress_model_other;        -- ok
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_customer IS 'category=m_rows anchor=latest(regress_payment.paid_at)'$$); -- fails: another owner
ALTER TABLE regress_payment OWNER TO CURRENT_USER;               -- ok

-- when=
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_customer IS 'category=m_rows anchor=created_at when=''kind = ''''person'''''''$$); -- ok
SELECT label, condition FROM retention.tags WHERE object = 'regress_customer'; -- ok: stored normalized
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_customer IS 'category=m_rows anchor=created_at when=''active = 0 AND lower(note) LIKE ''''x%'''''''$$); -- ok
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_customer IS 'category=m_rows anchor=created_at when=''created_at < now()'''$$);    -- fails: now() is not immutable
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_customer IS 'category=m_rows anchor=created_at when=''regress_is_person(kind)'''$$); -- fails: user function
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_customer IS 'category=m_rows anchor=created_at when=''id IN (SELECT 1)'''$$);     -- fails: subquery
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_customer IS 'category=m_rows anchor=created_at when=''true) FROM pg_authid WHERE (true'''$$); -- fails: not one expression
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_customer IS 'category=m_rows anchor=created_at when=''nope = 1'''$$);            -- fails: no such column
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_customer IS 'category=m_rows anchor=created_at when=''kind'''$$);                -- fails: not boolean
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_customer IS 'category=m_rows anchor=created_at when=''ctid IS NULL'''$$);        -- fails: system column
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_customer IS 'category=m_rows anchor=created_at when=''kind = 1'$$);             -- fails: unterminated
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_customer IS 'category=m_rows anchor=created_at when='''''$$);                    -- fails: empty
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_customer IS 'category=m_rows anchor=created_at when=kind'$$);                   -- fails: not quoted
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_customer.kind IS 'subject=kind when=''true'''$$);                              -- fails: needs a category
-- the DDL guard: a renamed column is followed, a dropped one refused
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_customer IS 'category=m_rows anchor=created_at when=''kind = ''''person'''''''$$); -- ok
ALTER TABLE regress_customer RENAME COLUMN kind TO party_kind;   -- ok: the label follows
SELECT condition FROM retention.tags WHERE object = 'regress_customer'; -- ok
SELECT pg_temp.try($$ALTER TABLE regress_customer DROP COLUMN party_kind$$); -- fails: used by the condition

-- period= and variant=
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_customer IS 'category=m_rows anchor=created_at period=keep_for variant=country'$$); -- ok
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_customer IS 'category=m_rows anchor=created_at period=left_at'$$);   -- fails: not an interval
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_customer IS 'category=m_rows anchor=created_at variant=nope'$$);     -- fails: no such column
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_customer IS 'category=m_rows anchor=created_at variant=left_at'$$);  -- fails: a date's text form depends on DateStyle
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_customer IS 'category=m_rows anchor=created_at variant=active'$$);   -- ok: an integer
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_rental IS 'category=m_rows anchor=rented_at variant=customer_id->regress_customer.country'$$); -- ok: through the key
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_rental IS 'category=m_rows anchor=rented_at variant=title->regress_customer.country'$$); -- fails: no such key

-- partitions=drop|detach needs the due time to follow from the partition key
CREATE TABLE regress_traffic (id integer, sent_at timestamptz, kind text, keep_for interval) PARTITION BY RANGE (sent_at); -- ok
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_traffic IS 'category=m_rows anchor=sent_at partitions=drop when=''kind = ''''sms'''''''$$); -- fails: a condition
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_traffic IS 'category=m_rows anchor=sent_at partitions=detach period=keep_for'$$); -- fails: period from the row
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_traffic IS 'category=m_rows anchor=sent_at partitions=rows when=''kind = ''''sms'''''''$$); -- ok: row by row
DROP TABLE regress_traffic;                                      -- ok

-- category variants
SELECT category, variant, period FROM retention.define_category_variant('m_rows', 'BR', '5 years');               -- ok
SELECT pg_temp.try($$SELECT retention.define_category_variant('nope', 'BR', '5 years')$$);                         -- fails: unknown category
SELECT pg_temp.try($$SELECT retention.define_category_variant('m_rows', 'AR', '-1 year')$$);                        -- fails: negative period
SELECT pg_temp.try($$SELECT retention.define_category_variant('m_rows', 'AR', '1 year', starts => 'never')$$);      -- fails: boundary
SELECT pg_temp.try($$SELECT retention.define_category_variant('m_rows', 'AR', '1 year', time_zone => 'Mars/Base')$$); -- fails: zone
SELECT pg_temp.try($$SELECT retention.drop_category_variant('m_rows', 'XX')$$);                                    -- fails: no such variant
SET ROLE regress_model_other;                                    -- ok
SELECT pg_temp.try($$SELECT retention.define_category_variant('m_rows', 'AR', '1 year')$$);                        -- fails: not retention_admin
RESET ROLE;                                                      -- ok

-- words for the data subject (item 9)
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_customer IS 'category=m_rows anchor=left_at,latest(regress_payment.paid_at)'$$); -- ok
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_rental IS NULL$$); -- ok
SELECT category, kept, variant, on_erasure FROM retention.schedule WHERE category = 'm_rows' ORDER BY variant NULLS FIRST; -- ok: on_erasure per category, on every variant row

DROP TABLE regress_rental, regress_payment, regress_customer;    -- ok
DROP FUNCTION regress_is_person(text);                           -- ok
DROP ROLE regress_model_other;                                   -- ok
SELECT retention.drop_category_variant('m_rows', 'BR');          -- ok
SELECT retention.drop_category('m_rows');                        -- ok
-- a category's variants follow it: renamed with it, dropped with it
SELECT name FROM retention.define_category('regress_follow', '1 year'); -- ok
SELECT variant FROM retention.define_category_variant('regress_follow', 'BR', '5 years'); -- ok
SELECT name FROM retention.alter_category('regress_follow', new_name => 'regress_followed'); -- ok
SELECT category, variant FROM retention.category_variant WHERE category LIKE 'regress_follow%'; -- ok: renamed with it
SELECT retention.drop_category('regress_followed');              -- ok
SELECT count(*) AS variants_left FROM retention.category_variant WHERE category LIKE 'regress_follow%'; -- ok: 0
