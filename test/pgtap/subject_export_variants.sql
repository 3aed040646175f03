-- The export and category variants (issue 14 items 5, 8, 9): the variant
-- each exported row's due date follows is the one enforcement applies --
-- variant= on a column of the row (text, integer, char(n), varchar, enum)
-- or through a foreign key, no match and NULL (the category's rule, no
-- "variant" key), a column tag's variant, a row outside the tag (when=);
-- period= through a foreign key -- and a row due under its variant but not under the category is deleted
-- by CALL retention.enforce() exactly when the export's due_at says so.
-- Then: each category's on_erasure, and its rules in words as
-- retention.schedule says them (foreign-key, latest() and several anchors).
BEGIN;
SELECT plan(38);

SET LOCAL client_min_messages = warning;
SET LOCAL TimeZone = 'UTC';

-- 1 year for the category, 1 month for its variants: a row anchored one
-- month and a second ago is due only if its variant applies
SELECT FROM retention.define_category('sev_cat', '1 year', legal_basis => 'Contract');
SELECT FROM retention.define_category('sev_keep', '1 year', legal_basis => 'Tax law', on_erasure => 'keep');
SELECT FROM retention.define_category_variant('sev_cat', 'BR', '1 month', legal_basis => 'LGPD Art. 16', note => 'Brazil');
SELECT FROM retention.define_category_variant('sev_cat', '42', '1 month');
SELECT FROM retention.define_category_variant('sev_keep', 'V1', '1 month');
CREATE TEMP TABLE t AS SELECT now() - interval '1 month 1 second' AS due, now() - interval '1 month' + interval '1 second' AS not_due;

-- variant through a foreign key
CREATE TABLE sev_account (id int PRIMARY KEY, country text);
CREATE TABLE sev_user (id int PRIMARY KEY, account_id int REFERENCES sev_account, email text, a timestamptz);
INSERT INTO sev_account VALUES (1, 'BR'), (2, 'DE'), (3, NULL);
INSERT INTO sev_user SELECT 1, 1, 'sev@example.com', due FROM t UNION ALL SELECT 2, 1, 'sev@example.com', not_due FROM t
    UNION ALL SELECT 3, 2, 'sev@example.com', due FROM t UNION ALL SELECT 4, 3, 'sev@example.com', due FROM t
    UNION ALL SELECT 5, NULL, 'sev@example.com', due FROM t;
SECURITY LABEL FOR retention ON TABLE sev_user IS 'category=sev_cat anchor=a variant=account_id->sev_account.country';
-- variant on a column of the row, of several types
CREATE TABLE sev_int (id int PRIMARY KEY, region int, email text, a timestamptz);
INSERT INTO sev_int SELECT 1, 42, 'sev@example.com', due FROM t UNION ALL SELECT 2, 7, 'sev@example.com', due FROM t
    UNION ALL SELECT 3, NULL, 'sev@example.com', due FROM t UNION ALL SELECT 4, 42, 'sev@example.com', not_due FROM t;
SECURITY LABEL FOR retention ON TABLE sev_int IS 'category=sev_cat anchor=a variant=region';
CREATE TABLE sev_char3 (id int PRIMARY KEY, country char(3), email text, a timestamptz);
INSERT INTO sev_char3 SELECT 1, 'BR', 'sev@example.com', due FROM t UNION ALL SELECT 2, 'br', 'sev@example.com', due FROM t;
SECURITY LABEL FOR retention ON TABLE sev_char3 IS 'category=sev_cat anchor=a variant=country';
CREATE TABLE sev_char2 (id int PRIMARY KEY, country char(2), email text, a timestamptz);
INSERT INTO sev_char2 SELECT 1, 'BR', 'sev@example.com', due FROM t UNION ALL SELECT 2, 'DE', 'sev@example.com', due FROM t;
SECURITY LABEL FOR retention ON TABLE sev_char2 IS 'category=sev_cat anchor=a variant=country';
CREATE TABLE sev_varchar (id int PRIMARY KEY, country varchar(5), email text, a timestamptz);
INSERT INTO sev_varchar SELECT 1, 'BR', 'sev@example.com', due FROM t UNION ALL SELECT 2, 'BR ', 'sev@example.com', due FROM t;
SECURITY LABEL FOR retention ON TABLE sev_varchar IS 'category=sev_cat anchor=a variant=country';
CREATE TYPE sev_region AS ENUM ('V1', 'V2');
CREATE TABLE sev_enum (id int PRIMARY KEY, region sev_region, email text, a timestamptz);
INSERT INTO sev_enum SELECT 1, 'V1'::sev_region, 'sev@example.com', due FROM t UNION ALL SELECT 2, 'V2'::sev_region, 'sev@example.com', due FROM t;
SECURITY LABEL FOR retention ON TABLE sev_enum IS 'category=sev_keep anchor=a variant=region';
-- a column tag with variant=, and a table tag with when=
CREATE TABLE sev_col (id int PRIMARY KEY, country text, phone text, email text, a timestamptz);
INSERT INTO sev_col SELECT 1, 'BR', '123', 'sev@example.com', due FROM t UNION ALL SELECT 2, 'DE', '456', 'sev@example.com', due FROM t;
SECURITY LABEL FOR retention ON COLUMN sev_col.phone IS 'category=sev_cat anchor=a action=nullify variant=country';
CREATE TABLE sev_when (id int PRIMARY KEY, kind text, country text, email text, a timestamptz);
INSERT INTO sev_when SELECT 1, 'person', 'BR', 'sev@example.com', due FROM t UNION ALL SELECT 2, 'company', 'BR', 'sev@example.com', due FROM t;
SECURITY LABEL FOR retention ON TABLE sev_when IS 'category=sev_cat anchor=a variant=country when=''kind = ''''person''''''';
-- period= through a foreign key: the parent's interval, NULL the category's
CREATE TABLE sev_plan (id int PRIMARY KEY, keep_for interval);
CREATE TABLE sev_doc (id int PRIMARY KEY, plan_id int REFERENCES sev_plan, email text, a timestamptz);
INSERT INTO sev_plan VALUES (1, '1 month'), (2, NULL);
INSERT INTO sev_doc SELECT 1, 1, 'sev@example.com', due FROM t UNION ALL SELECT 2, 2, 'sev@example.com', due FROM t;
SECURITY LABEL FOR retention ON TABLE sev_doc IS 'category=sev_cat anchor=a period=plan_id->sev_plan.keep_for';
SECURITY LABEL FOR retention ON COLUMN sev_doc.email IS 'subject=email';
SECURITY LABEL FOR retention ON COLUMN sev_user.email IS 'subject=email';
SECURITY LABEL FOR retention ON COLUMN sev_int.email IS 'subject=email';
SECURITY LABEL FOR retention ON COLUMN sev_char3.email IS 'subject=email';
SECURITY LABEL FOR retention ON COLUMN sev_char2.email IS 'subject=email';
SECURITY LABEL FOR retention ON COLUMN sev_varchar.email IS 'subject=email';
SECURITY LABEL FOR retention ON COLUMN sev_enum.email IS 'subject=email';
SECURITY LABEL FOR retention ON COLUMN sev_col.email IS 'subject=email';
SECURITY LABEL FOR retention ON COLUMN sev_when.email IS 'subject=email';

-- words for the data subject: latest(), a foreign-key anchor, several anchors
SELECT FROM retention.define_category('sev_rent', '3 years');
SELECT FROM retention.define_category('sev_fk', '2 years');
SELECT FROM retention.define_category('sev_multi', '1 year');
CREATE TABLE sev_shop (id int PRIMARY KEY, email text, created timestamptz);
CREATE TABLE sev_rental (id int PRIMARY KEY, shop_id int REFERENCES sev_shop, rented_at timestamptz, returned_at timestamptz);
CREATE TABLE sev_ticket (id int PRIMARY KEY, shop_id int REFERENCES sev_shop);
COMMENT ON COLUMN sev_shop.created IS 'the date you signed up';
COMMENT ON COLUMN sev_rental.rented_at IS 'the date of your last rental';
COMMENT ON COLUMN sev_rental.returned_at IS 'the date you returned the film';
INSERT INTO sev_shop VALUES (1, 'sev@example.com', now());
INSERT INTO sev_rental VALUES (1, 1, now(), NULL);
INSERT INTO sev_ticket VALUES (1, 1);
SECURITY LABEL FOR retention ON COLUMN sev_shop.email IS 'subject=email';
SECURITY LABEL FOR retention ON TABLE sev_shop IS 'category=sev_rent anchor=latest(sev_rental.rented_at)';
SECURITY LABEL FOR retention ON TABLE sev_ticket IS 'category=sev_fk anchor=shop_id->sev_shop.created';
SECURITY LABEL FOR retention ON TABLE sev_rental IS 'category=sev_multi anchor=returned_at|shop_id->sev_shop.created';

SELECT is((SELECT count(*) FROM retention.tags WHERE object LIKE 'sev\_%' AND NOT valid), 0::bigint, 'every tag valid');

CREATE TEMP TABLE doc AS SELECT retention.export_subject('{"email": "sev@example.com"}') AS d;
-- table, id, variant, due_at and the phone column's variant and due date, per exported row
CREATE TEMP TABLE x AS
SELECT (t ->> 'table')::regclass::text AS tbl, (r #>> '{key,id}')::int AS id, r ->> 'variant' AS variant, r ? 'variant' AS has_variant,
       (r ->> 'due_at')::timestamptz AS due_at, r #>> '{columns_due,phone,variant}' AS phone_variant,
       (r #>> '{columns_due,phone,due_at}')::timestamptz AS phone_due_at
  FROM doc, jsonb_array_elements(d -> 'tables') t, jsonb_array_elements(t -> 'rows') r
 WHERE (t ->> 'table')::regclass::text LIKE 'sev\_%';
CREATE TEMP TABLE xr AS SELECT * FROM retention.export_subject_rows('{"email": "sev@example.com"}') WHERE table_name::text LIKE 'sev\_%';

-- "tbl: id=variant,..." (- for no variant key)
CREATE FUNCTION pg_temp.variants(tb text) RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(id || '=' || coalesce(variant, '-'), ',' ORDER BY id) FROM x WHERE tbl = tb $$;

SELECT is(pg_temp.variants('sev_user'), '1=BR,2=BR,3=-,4=-,5=-', 'FK path: the parent''s value selects the variant; no match, NULL value and NULL key: none');
SELECT is((SELECT count(*) FROM x WHERE has_variant AND variant IS NULL), 0::bigint, 'no row has a null "variant": the key is left out');
SELECT is(pg_temp.variants('sev_int'), '1=42,2=-,3=-,4=42', 'integer column: 42 selects variant ''42''');
SELECT is(pg_temp.variants('sev_char3'), '1=BR,2=-', 'char(3): ''BR'' (stored padded) selects BR, as enforcement compares it; case matters');
SELECT is(pg_temp.variants('sev_char2'), '1=BR,2=-', 'char(2)');
SELECT is(pg_temp.variants('sev_varchar'), '1=BR,2=-', 'varchar: a trailing space is part of the value');
SELECT is(pg_temp.variants('sev_enum'), '1=V1,2=-', 'enum: its label selects the variant');
SELECT is(pg_temp.variants('sev_when'), '1=BR,2=-', 'when=: a row outside the tag follows no variant');
SELECT is((SELECT due_at FROM x WHERE tbl = 'sev_when' AND id = 2), NULL, '...and has no due date');
SELECT is((SELECT string_agg(id || '=' || coalesce(phone_variant, '-'), ',' ORDER BY id) FROM x WHERE tbl = 'sev_col'),
          '1=BR,2=-', 'column tag with variant=: columns_due says the variant of the value''s due date');
SELECT is(pg_temp.variants('sev_col'), '1=-,2=-', '...and the row, without a table tag, none');

-- the due dates follow the same rule
SELECT is((SELECT due_at FROM x WHERE tbl = 'sev_user' AND id = 1), (SELECT a + interval '1 month' FROM sev_user WHERE id = 1), 'FK path: due date under the variant');
SELECT is((SELECT due_at FROM x WHERE tbl = 'sev_user' AND id = 3), (SELECT a + interval '1 year' FROM sev_user WHERE id = 3), 'FK path, no match: due date under the category');
SELECT is((SELECT due_at FROM x WHERE tbl = 'sev_user' AND id = 5), (SELECT a + interval '1 year' FROM sev_user WHERE id = 5), 'FK path, NULL key: due date under the category');
SELECT is(array(SELECT due_at FROM x WHERE tbl = 'sev_doc' ORDER BY id),
          array(SELECT a + CASE id WHEN 1 THEN interval '1 month' ELSE interval '1 year' END FROM sev_doc ORDER BY id),
          'period= through a foreign key: the parent''s period, NULL the category''s');
SELECT is((SELECT due_at FROM x WHERE tbl = 'sev_char3' AND id = 1), (SELECT a + interval '1 month' FROM sev_char3 WHERE id = 1), 'char(3): due date under the variant');
SELECT is((SELECT phone_due_at FROM x WHERE tbl = 'sev_col' AND id = 1), (SELECT a + interval '1 month' FROM sev_col WHERE id = 1), 'column tag: due date under the variant');
SELECT is(array(SELECT tbl || ':' || id FROM x WHERE due_at <= now() ORDER BY 1),
          '{sev_char2:1,sev_char3:1,sev_doc:1,sev_enum:1,sev_int:1,sev_user:1,sev_varchar:1,sev_when:1}'::text[],
          'due now: the rows whose variant (or parent''s period) applies, anchored a month and a second ago');
SELECT is(array(SELECT tbl || ':' || id || '@' || (due_at - now()) FROM x WHERE variant IS NOT NULL AND due_at > now() ORDER BY 1),
          '{sev_int:4@00:00:01,sev_user:2@00:00:01}'::text[], '...and due in a second: those anchored a second later');

-- export_subject_rows: the same variants and due dates in its own column
SELECT is(array(SELECT table_name::text || ':' || (row_key ->> 'id') || '=' || coalesce(variant, '-') || '@' || coalesce(due_at::text, '-') FROM xr ORDER BY 1),
          array(SELECT tbl || ':' || id || '=' || coalesce(variant, '-') || '@' || coalesce(due_at::text, '-') FROM x ORDER BY 1),
          'export_subject_rows: variant and due_at as in the document');
SELECT is((SELECT columns_due #>> '{phone,variant}' FROM xr WHERE table_name = 'sev_col'::regclass AND row_key ->> 'id' = '1'), 'BR',
          'export_subject_rows: columns_due with the column''s variant');

-- export_subject_csv: per column the variant its due date follows
CREATE TEMP TABLE xc AS SELECT * FROM retention.export_subject_csv('{"email": "sev@example.com"}') WHERE table_name LIKE '%sev\_%';
SELECT is(array(SELECT DISTINCT split_part(table_name, '.', 2) || ':' || (row_key::jsonb ->> 'id') || '=' || coalesce(variant, '-') || '@' || coalesce(due_at::text, '-')
                  FROM xc WHERE table_name NOT LIKE '%sev\_col' ORDER BY 1),
          array(SELECT tbl || ':' || id || '=' || coalesce(variant, '-') || '@' || coalesce(due_at::text, '-') FROM x WHERE tbl <> 'sev_col' ORDER BY 1),
          'export_subject_csv: each column of a row with the row''s variant and due date');
SELECT is(array(SELECT (row_key::jsonb ->> 'id') || '.' || column_name || '=' || coalesce(variant, '-') FROM xc WHERE table_name LIKE '%sev\_col' ORDER BY 1),
          '{1.a=-,1.country=-,1.email=-,1.id=-,1.phone=BR,2.a=-,2.country=-,2.email=-,2.id=-,2.phone=-}'::text[],
          'export_subject_csv: a tagged column with its own variant');

-- enforcement deletes (anonymizes) exactly the rows the export says are due
CREATE TEMP TABLE due_by_export AS SELECT tbl, id FROM x WHERE due_at <= now() AND tbl <> 'sev_enum';
CALL retention.enforce();
CREATE FUNCTION pg_temp.gone() RETURNS TABLE(tbl text, id int) LANGUAGE plpgsql AS $$
DECLARE r record; present boolean;
BEGIN
    FOR r IN SELECT x.tbl, x.id FROM x WHERE x.tbl NOT IN ('sev_col') LOOP
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE id = $1)', r.tbl) INTO present USING r.id;
        IF NOT present THEN tbl := r.tbl; id := r.id; RETURN NEXT; END IF;
    END LOOP;
END
$$;
SELECT is((SELECT array_agg(g.tbl || ':' || g.id ORDER BY 1) FROM pg_temp.gone() g WHERE g.tbl <> 'sev_enum'),
          (SELECT array_agg(tbl || ':' || id ORDER BY 1) FROM due_by_export WHERE tbl <> 'sev_col'),
          'enforcement deleted exactly the rows whose export due_at had passed');
SELECT is((SELECT array_agg(g.tbl || ':' || g.id ORDER BY 1) FROM pg_temp.gone() g WHERE g.tbl = 'sev_enum'), '{sev_enum:1}'::text[],
          'enum: the V1 row went under its variant, the V2 row stays');
SELECT is(array(SELECT id FROM sev_user ORDER BY id), '{2,3,4,5}'::int[], 'FK path: the BR row due a second ago went; the one due in a second stays');
SELECT is(array(SELECT id FROM sev_char3 ORDER BY id), '{2}'::int[], 'char(3): the padded BR row went');
SELECT is(array(SELECT coalesce(phone, '-') FROM sev_col ORDER BY id), '{-,456}'::text[], 'column tag: the BR value was anonymized, the DE value stays');

-- categories: on_erasure, and the rules in words as the schedule says them
SELECT is((SELECT d #>> '{categories,sev_keep,on_erasure}' FROM doc), 'keep', 'on_erasure: keep');
SELECT is((SELECT d #>> '{categories,sev_cat,on_erasure}' FROM doc), 'delete', 'on_erasure: delete (the default)');
SELECT is((SELECT d #>> '{categories,sev_keep,legal_basis}' FROM doc), 'Tax law', '...with the legal basis that keeps the data');
SELECT is((SELECT d #>> '{categories,sev_cat,variants,BR,retention}' FROM doc),
          (SELECT kept FROM retention.schedule WHERE category = 'sev_cat' AND variant = 'BR'), 'variants in words as the schedule says them');
SELECT is((SELECT row(d #>> '{categories,sev_cat,variants,BR,legal_basis}', d #>> '{categories,sev_cat,variants,BR,note}')::text FROM doc),
          (SELECT row(legal_basis, variant_note)::text FROM retention.schedule WHERE category = 'sev_cat' AND variant = 'BR'),
          'each variant with its legal basis and note, as the schedule states them');
SELECT is((SELECT d #>> '{categories,sev_cat,retention}' FROM doc),
          (SELECT kept FROM retention.schedule WHERE category = 'sev_cat' AND variant IS NULL), 'the category''s rule in words as the schedule says it');
SELECT is((SELECT d #>> '{categories,sev_rent,retention}' FROM doc), '3 years after the date of your last rental', 'words: latest()');
SELECT is((SELECT d #>> '{categories,sev_fk,retention}' FROM doc), '2 years after the date you signed up', 'words: a foreign-key anchor');
SELECT is((SELECT d #>> '{categories,sev_multi,retention}' FROM doc), '12 months after the earliest of the date you returned the film and the date you signed up',
          'words: several anchors');

SELECT * FROM finish();
ROLLBACK;
