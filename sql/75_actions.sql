-- What happens to due and erased rows (issue 14 items 6, 7, 8): the label
-- keys blocked= and suppress=, and categories' on_erasure.  Every error a
-- user can get, with its valid counterpart.
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

SELECT name FROM retention.define_category('a_rows', '1 year');  -- ok
SELECT name FROM retention.define_category('a_values', '1 year', action => 'nullify'); -- ok
CREATE TABLE regress_a (id integer PRIMARY KEY, email text, phone text NOT NULL,
                        customer_no bigint NOT NULL, at timestamptz); -- ok

-- blocked=
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_a IS 'category=a_rows anchor=at blocked=anonymize'$$); -- ok
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_a IS 'category=a_rows anchor=at blocked=expected'$$);  -- ok
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_a IS 'category=a_rows anchor=at blocked=WAIT'$$);      -- ok: words are case-insensitive
SELECT label FROM retention.tags WHERE object = 'regress_a';     -- ok: the label as written
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_a IS 'category=a_rows anchor=at blocked=delete'$$);    -- fails: unknown value
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_a IS 'category=a_rows anchor=at blocked=wait blocked=wait'$$); -- fails: repeated
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_a IS 'category=a_rows anchor=at blocked='$$);          -- fails: no value
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_a IS 'category=a_rows anchor=at blocked=anonymize;'$$); -- fails: trailing text
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_a.email IS 'category=a_values anchor=at blocked=anonymize'$$); -- fails: on a column
-- a NOT NULL identifier of a type that has no pseudonym cannot be removed
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_a.customer_no IS 'subject=customer_id'$$); -- ok: table tag is blocked=wait
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_a IS 'category=a_rows anchor=at blocked=anonymize'$$); -- fails: customer_no
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_a.customer_no IS NULL$$); -- ok
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_a IS 'category=a_rows anchor=at blocked=anonymize'$$); -- ok
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_a.customer_no IS 'subject=customer_id'$$); -- fails: the other way round
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_a.phone IS 'subject=phone'$$); -- ok: NOT NULL text gets a pseudonym
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_a.email IS 'subject=email'$$); -- ok: nullable: nullified
-- and the DDL guard keeps it so
ALTER TABLE regress_a ADD COLUMN account_no bigint;              -- ok
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_a.account_no IS 'subject=customer_id'$$); -- ok: nullable
SELECT pg_temp.try($$ALTER TABLE regress_a ALTER COLUMN account_no SET NOT NULL$$); -- fails: would break the tag
SELECT pg_temp.try($$ALTER TABLE regress_a ALTER COLUMN phone TYPE bigint USING 0$$); -- fails: NOT NULL and no longer text

-- suppress=
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_a IS 'category=a_rows anchor=at suppress=true'$$);   -- ok
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_a IS 'category=a_rows anchor=at suppress=false blocked=expected'$$); -- ok
SELECT label FROM retention.tags WHERE object = 'regress_a';     -- ok: the label as written
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_a IS 'category=a_rows anchor=at suppress=yes'$$);    -- fails: not a boolean word
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_a IS 'category=a_rows anchor=at suppress=1'$$);      -- fails: not a word
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_a IS 'category=a_rows anchor=at suppress=true suppress=true'$$); -- fails: repeated
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_a.email IS 'subject=email suppress=true'$$);         -- fails: on a column
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_a IS 'category=a_rows anchor=at supress=true'$$);    -- fails: misspelt key

-- on_erasure
SELECT name, on_erasure FROM retention.define_category('a_receipts', '10 years', on_erasure => 'keep',
                                                       legal_basis => 'legal obligation: tax law'); -- ok
SELECT name, on_erasure FROM retention.define_category('a_plain', '1 year'); -- ok: delete by default
SELECT pg_temp.try($$SELECT retention.define_category('a_bad', '1 year', on_erasure => 'forget')$$); -- fails: unknown
SELECT pg_temp.try($$SELECT retention.define_category('a_bad', '1 year', on_erasure => NULL)$$);     -- fails: NULL
SELECT pg_temp.try($$SELECT retention.define_category('a_bad', '1 year', on_erasure => 'anonymize')$$); -- fails: no legal basis
SELECT pg_temp.try($$SELECT retention.alter_category('a_receipts', legal_basis => '')$$);           -- fails: clearing the basis of a kept category
SELECT pg_temp.try($$SELECT retention.alter_category('a_plain', on_erasure => 'keep')$$);           -- fails: no legal basis
SELECT on_erasure FROM retention.alter_category('a_plain', on_erasure => 'anonymize', legal_basis => 'contract'); -- ok
SELECT pg_temp.try($$UPDATE retention.category SET on_erasure = 'Keep' WHERE name = 'a_plain'$$);   -- fails: direct UPDATE validated too
SELECT on_erasure FROM retention.alter_category('a_plain', on_erasure => 'delete');                 -- ok

SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_a IS NULL$$); -- ok
DROP TABLE regress_a;                                            -- ok
SELECT retention.drop_category(n) FROM unnest(ARRAY['a_rows', 'a_values', 'a_receipts', 'a_plain']) n; -- ok
