-- Parent rows of the person's rows (issue 14 item 8): a row of a tagged
-- table that only this person's rows reference (their own address) is
-- exported (depth -1) and erased; one that another person also references
-- (a shared address) is neither exported nor touched; an untagged parent
-- (a country) is never followed.  "Right person only": an export holds
-- nothing of anyone else, checked on the whole export text.
BEGIN;
SELECT plan(12);
SET LOCAL client_min_messages = warning;
SET LOCAL TimeZone = 'UTC';

SELECT FROM retention.define_category('par_cust', '2 years');
SELECT FROM retention.define_category('par_addr', '2 years');
CREATE TABLE par_country (code text PRIMARY KEY, name text);
CREATE TABLE par_address (id int PRIMARY KEY, street text NOT NULL, country text REFERENCES par_country,
                          updated_at timestamptz NOT NULL);
CREATE TABLE par_customer (id int PRIMARY KEY, email text, name text,
                           address_id int REFERENCES par_address, created_at timestamptz NOT NULL);
SELECT FROM retention.tag_table('par_customer', 'par_cust', 'created_at');
SELECT FROM retention.tag_column('par_customer', 'email', subject => 'email');
SELECT FROM retention.tag_table('par_address', 'par_addr', 'updated_at');

INSERT INTO par_country VALUES ('HR', 'Croatia');
INSERT INTO par_address VALUES (1, 'Shared street 1', 'HR', now()), (2, 'Eva own street 2', 'HR', now()),
                               (3, 'Nobody street 3', 'HR', now());
INSERT INTO par_customer VALUES (1, 'ana@example.com', 'Ana', 1, now()), (2, 'ivo@example.com', 'Ivo', 1, now()),
                                (3, 'eva@example.com', 'Eva', 2, now());

CREATE TEMP TABLE par_ana AS SELECT * FROM retention.export_subject_rows('{"email": "ana@example.com"}');
CREATE TEMP TABLE par_eva AS SELECT * FROM retention.export_subject_rows('{"email": "eva@example.com"}');

SELECT is((SELECT count(*) FROM par_ana WHERE table_name = 'par_address'::regclass), 0::bigint,
          'shared address: not in the export of one of the two people');
SELECT is((SELECT row_data ->> 'street' FROM par_eva WHERE table_name = 'par_address'::regclass), 'Eva own street 2',
          'exclusive address: exported');
SELECT is((SELECT row(depth, found_by)::text FROM par_eva WHERE table_name = 'par_address'::regclass),
          row(-1, 'referenced only by the subject''s rows of public.par_customer')::text,
          'exclusive address: depth -1, and why it is there');
SELECT is((SELECT count(*) FROM par_eva WHERE table_name = 'par_country'::regclass), 0::bigint,
          'untagged parent (country): never followed');
SELECT ok(retention.export_subject('{"email": "ana@example.com"}')::text !~ '(Ivo|ivo@|Shared street|Eva|Nobody)',
          'right person only: Ana''s export holds nothing of Ivo, Eva, or the shared or unrelated addresses');
SELECT ok(retention.export_subject('{"email": "eva@example.com"}')::text !~ '(Ivo|ivo@|Ana|ana@|Shared street|Nobody)',
          'right person only: Eva''s export holds her address and nothing of anyone else');

-- erasure
CREATE TEMP TABLE par_erase_eva AS SELECT * FROM retention.erase_subject('{"email": "eva@example.com"}');
SELECT is((SELECT count(*) FROM par_address WHERE id = 2), 0::bigint, 'exclusive address: erased with the person');
SELECT is((SELECT rows_deleted FROM par_erase_eva WHERE table_name = 'par_address'::regclass), 1::bigint,
          'exclusive address: reported deleted');
CREATE TEMP TABLE par_erase_ana AS SELECT * FROM retention.erase_subject('{"email": "ana@example.com"}');
SELECT is((SELECT street FROM par_address WHERE id = 1), 'Shared street 1', 'shared address: untouched by Ana''s erasure');
SELECT is((SELECT count(*) FROM par_erase_ana WHERE table_name = 'par_address'::regclass), 0::bigint,
          'shared address: not in Ana''s erasure report');
SELECT is((SELECT row(email, name)::text FROM par_customer WHERE id = 2), '(ivo@example.com,Ivo)',
          'the other person sharing the address: untouched');
SELECT is((SELECT count(*) FROM par_address WHERE id IN (1, 3)) + (SELECT count(*) FROM par_country), 3::bigint,
          'unrelated address and the country: untouched');

SELECT * FROM finish();
ROLLBACK;
