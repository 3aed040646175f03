-- Tags: the retention.tags view and the helpers tag_table, tag_column and
-- untag: kinds, action inheritance, foreign-key anchors, partitioned
-- tables, quoted identifiers, ownership, and tags broken behind the
-- provider's back (as a restore can leave them).
BEGIN;
SELECT plan(55);

SET LOCAL client_min_messages = warning;

SELECT FROM retention.define_category('regress_rows', '1 year');
SELECT FROM retention.define_category('regress_anon', '6 months', action => 'nullify');

CREATE TABLE regress_account (id int PRIMARY KEY, ended_at timestamptz);
CREATE SCHEMA regress_crm;
CREATE TABLE regress_crm.account (id int PRIMARY KEY, closed_on date);
CREATE TABLE regress_contact (
    id          int PRIMARY KEY,
    account_id  int REFERENCES regress_account,
    created_at  timestamptz NOT NULL,
    email       text,
    phone       text,
    note        text,
    customer_no text,
    loose_id    int
);

-- ---------------------------------------------------------------------
-- Kinds and action inheritance
-- ---------------------------------------------------------------------
SELECT is(
    retention.tag_table('regress_contact', 'regress_rows', 'created_at'),
    'category=regress_rows anchor=created_at',
    'tag_table writes and returns the label');

SELECT is(
    retention.tag_column('regress_contact', 'email', 'regress_anon', 'created_at'),
    'category=regress_anon anchor=created_at',
    'tag_column without an action writes a label that inherits the category''s action');

SELECT is(
    retention.tag_column('regress_contact', 'phone', 'regress_anon', 'created_at',
                         action => 'hash', subject => 'phone'),
    'category=regress_anon anchor=created_at action=hash subject=phone',
    'tag_column with an action and a subject writes both');

SELECT is(
    retention.tag_column('regress_contact', 'customer_no', subject => 'customer_id'),
    'subject=customer_id',
    'tag_column with only a subject writes a subject-only label');

SELECT is(
    (SELECT label FROM pg_seclabel
      WHERE provider = 'retention' AND objoid = 'regress_contact'::regclass
        AND objsubid = (SELECT attnum FROM pg_attribute
                         WHERE attrelid = 'regress_contact'::regclass AND attname = 'phone')),
    'category=regress_anon anchor=created_at action=hash subject=phone',
    'the helper stores the label as a security label of provider retention');

SELECT results_eq(
    $$SELECT column_name, kind, category, period, anchor, subject, valid
        FROM retention.tags WHERE table_name = 'regress_contact'::regclass
       ORDER BY column_name NULLS FIRST$$,
    $$VALUES (NULL::name, 'table'::text, 'regress_rows'::text, '1 year'::interval, 'created_at'::text, NULL::text, true),
             ('customer_no', 'subject', NULL, NULL, NULL, 'customer_id', true),
             ('email', 'column', 'regress_anon', '6 months', 'created_at', NULL, true),
             ('phone', 'column', 'regress_anon', '6 months', 'created_at', 'phone', true)$$,
    'retention.tags shows a table tag, two column tags and a subject-only tag with their categories resolved');

SELECT results_eq(
    $$SELECT column_name, action, action_source
        FROM retention.tags WHERE table_name = 'regress_contact'::regclass
       ORDER BY column_name NULLS FIRST$$,
    $$VALUES (NULL::name, 'delete'::text, 'category'::text),
             ('customer_no', NULL, NULL),
             ('email', 'nullify', 'category'),
             ('phone', 'hash', 'tag')$$,
    'the effective action comes from the category unless the tag overrides it, and action_source says which');

SELECT is(
    (SELECT object FROM retention.tags
      WHERE table_name = 'regress_contact'::regclass AND column_name = 'email')::text,
    'regress_contact.email',
    'object names the tagged column as table.column');

CREATE TABLE regress_visit (id int, seen_at timestamptz NOT NULL, ip inet);

SELECT lives_ok(
    $$SELECT retention.tag_table('regress_visit', 'regress_anon', 'seen_at', 'delete')$$,
    'a table tag may override an anonymizing category with action=delete');

SELECT results_eq(
    $$SELECT kind, action, action_source FROM retention.tags
       WHERE table_name = 'regress_visit'::regclass AND column_name IS NULL$$,
    $$VALUES ('table'::text, 'delete'::text, 'tag'::text)$$,
    'the overriding table tag deletes, and says the action is its own');

SELECT throws_ok(
    $$SELECT retention.tag_table('regress_account', 'regress_anon', 'ended_at')$$,
    '42P17', 'category "regress_anon" anonymizes values (action nullify), but a table tag deletes rows',
    'a table tag cannot inherit an anonymizing action');

SELECT throws_ok(
    $$SELECT retention.tag_column('regress_visit', 'ip', 'regress_rows', 'seen_at')$$,
    '42P17', 'category "regress_rows" deletes rows, but a column tag anonymizes values',
    'a column tag cannot inherit the delete action');

SELECT throws_ok(
    $$SELECT retention.tag_column('regress_visit', 'ip', 'regress_anon', 'seen_at', 'mask')$$,
    '42804', 'action mask does not fit column "ip" of type inet',
    'an overriding action is checked against the column type');

SELECT throws_ok(
    $$SELECT retention.tag_table('regress_visit', 'regress_rows', 'seen_at action=nullify')$$,
    '22023', 'invalid anchor "seen_at action=nullify"',
    'the helpers refuse a value that would add keys to the label');

SELECT throws_ok(
    $$SELECT retention.tag_table('regress_visit', 'regress_missing', 'seen_at')$$,
    '42704', 'retention category "regress_missing" does not exist',
    'a tag naming an unknown category is refused when set');

-- ---------------------------------------------------------------------
-- Foreign-key anchors
-- ---------------------------------------------------------------------
SELECT lives_ok(
    $$SELECT retention.tag_column('regress_contact', 'note', 'regress_anon',
                                  'account_id->regress_account.ended_at')$$,
    'a column tag can anchor on a column of the referenced table');

SELECT results_eq(
    $$SELECT anchor, anchor_table, valid FROM retention.tags
       WHERE table_name = 'regress_contact'::regclass AND column_name = 'note'$$,
    $$VALUES ('account_id->regress_account.ended_at'::text, 'regress_account'::regclass, true)$$,
    'an FK anchor resolves anchor_table to the referenced table');

SELECT is(
    (SELECT anchor_table FROM retention.tags
      WHERE table_name = 'regress_contact'::regclass AND column_name = 'email'),
    NULL::regclass,
    'a local anchor has no anchor_table');

CREATE TABLE regress_lead (
    id        int PRIMARY KEY,
    crm_id    int REFERENCES regress_crm.account,
    source    text
);

SELECT lives_ok(
    $$SELECT retention.tag_table('regress_lead', 'regress_rows', 'crm_id->regress_crm.account.closed_on')$$,
    'a table tag can anchor through an FK on a schema-qualified table with a date column');

SELECT results_eq(
    $$SELECT anchor, anchor_table, valid FROM retention.tags
       WHERE table_name = 'regress_lead'::regclass AND column_name IS NULL$$,
    $$VALUES ('crm_id->regress_crm.account.closed_on'::text, 'regress_crm.account'::regclass, true)$$,
    'a schema-qualified FK anchor resolves anchor_table in that schema');

SELECT throws_ok(
    $$SELECT retention.tag_column('regress_contact', 'note', 'regress_anon',
                                  'loose_id->regress_account.ended_at')$$,
    '42830', 'no foreign key on column "loose_id" of public.regress_contact references table "regress_account"',
    'an FK anchor needs a declared foreign key');

SELECT throws_ok(
    $$SELECT retention.tag_column('regress_contact', 'note', 'regress_anon',
                                  'account_id->regress_account.id')$$,
    '42804', 'anchor column "id" of public.regress_account has type integer',
    'the anchor column on the referenced table must be a date or timestamp');

-- ---------------------------------------------------------------------
-- Partitioned tables
-- ---------------------------------------------------------------------
CREATE TABLE regress_event (
    id  bigint,
    at  timestamptz NOT NULL,
    ip  inet
) PARTITION BY RANGE (at);
CREATE TABLE regress_event_2024 PARTITION OF regress_event
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');

SELECT lives_ok(
    $$SELECT retention.tag_table('regress_event', 'regress_rows', 'at')$$,
    'a partitioned table can be tagged');

SELECT lives_ok(
    $$SELECT retention.tag_column('regress_event', 'ip', 'regress_anon', 'at', 'generalize')$$,
    'a column of a partitioned table can be tagged');

SELECT throws_ok(
    $$SECURITY LABEL FOR retention ON TABLE regress_event_2024 IS 'category=regress_rows anchor=at'$$,
    '0A000', 'retention tags cannot be set on partition public.regress_event_2024',
    'a partition cannot be tagged');

SELECT throws_ok(
    $$SELECT retention.tag_column('regress_event_2024', 'ip', 'regress_anon', 'at')$$,
    '0A000', 'retention tags cannot be set on partition public.regress_event_2024',
    'a column of a partition cannot be tagged');

SELECT lives_ok(
    $$CREATE TABLE regress_event_2025 PARTITION OF regress_event
          FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')$$,
    'a partition can be created after the partitioned table was tagged');

CREATE TABLE regress_event_2026 (id bigint, at timestamptz NOT NULL, ip inet);
SELECT lives_ok(
    $$ALTER TABLE regress_event ATTACH PARTITION regress_event_2026
          FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')$$,
    'an untagged table can be attached as a partition of a tagged table');

SELECT results_eq(
    $$SELECT table_name, column_name, action, valid FROM retention.tags
       WHERE table_name::text LIKE 'regress\_event%' ORDER BY column_name NULLS FIRST$$,
    $$VALUES ('regress_event'::regclass, NULL::name, 'delete'::text, true),
             ('regress_event'::regclass, 'ip'::name, 'generalize'::text, true)$$,
    'only the partitioned table carries tags, and they stay valid with new partitions');

-- ---------------------------------------------------------------------
-- untag
-- ---------------------------------------------------------------------
SELECT is(
    retention.untag('regress_contact', 'email'),
    true,
    'untag of a tagged column reports that there was a tag');

SELECT is(
    (SELECT count(*)::int FROM retention.tags
      WHERE table_name = 'regress_contact'::regclass AND column_name = 'email'),
    0,
    'the untagged column has no tag');

SELECT is(
    retention.untag('regress_contact', 'email'),
    false,
    'untag of an untagged column reports that there was none');

SELECT is(
    retention.untag('regress_contact'),
    true,
    'untag of a tagged table reports that there was a tag');

SELECT results_eq(
    $$SELECT column_name FROM retention.tags
       WHERE table_name = 'regress_contact'::regclass ORDER BY column_name NULLS FIRST$$,
    $$VALUES ('customer_no'::name), ('note'), ('phone')$$,
    'untagging the table removes the table tag only, the column tags stay');

SELECT throws_ok(
    $$SELECT retention.untag('regress_contact', 'no_such_column')$$,
    '42703', 'column "no_such_column" of relation public.regress_contact does not exist',
    'untag of a column that does not exist is refused');

-- ---------------------------------------------------------------------
-- Mixed-case and quoted identifiers round-trip
-- ---------------------------------------------------------------------
CREATE TABLE "RegressParent" (id int PRIMARY KEY, "EndedAt" timestamptz);
CREATE TABLE "Regress Mixed" (
    id       int PRIMARY KEY,
    "Parent" int REFERENCES "RegressParent",
    "SentAt" timestamptz,
    "E-Mail" text
);

SELECT lives_ok(
    $$SECURITY LABEL FOR retention ON COLUMN "Regress Mixed"."E-Mail"
          IS 'category=regress_anon anchor="SentAt" subject=email'$$,
    'a label with a quoted mixed-case anchor is accepted on a quoted column');

SELECT results_eq(
    $$SELECT column_name, anchor, subject, valid, label FROM retention.tags
       WHERE table_name = '"Regress Mixed"'::regclass AND column_name IS NOT NULL$$,
    $$VALUES ('E-Mail'::name, '"SentAt"'::text, 'email'::text, true,
              'category=regress_anon anchor="SentAt" subject=email'::text)$$,
    'the quoted column and anchor are shown as written and the tag resolves');

SELECT is(
    (SELECT object FROM retention.tags
      WHERE table_name = '"Regress Mixed"'::regclass AND column_name IS NOT NULL)::text,
    '"Regress Mixed"."E-Mail"',
    'object quotes the table and column names where SQL needs it');

SELECT is(
    retention.tag_table('"Regress Mixed"', 'regress_rows', '"Parent"->"RegressParent"."EndedAt"'),
    'category=regress_rows anchor="Parent"->"RegressParent"."EndedAt"',
    'tag_table accepts a quoted FK anchor');

SELECT results_eq(
    $$SELECT anchor, anchor_table, valid FROM retention.tags
       WHERE table_name = '"Regress Mixed"'::regclass AND column_name IS NULL$$,
    $$VALUES ('"Parent"->"RegressParent"."EndedAt"'::text, '"RegressParent"'::regclass, true)$$,
    'a quoted FK anchor resolves to the mixed-case parent table');

SELECT throws_ok(
    $$SECURITY LABEL FOR retention ON COLUMN "Regress Mixed"."E-Mail"
          IS 'category=regress_anon anchor=SentAt'$$,
    '42703', 'anchor column "sentat" of public."Regress Mixed" does not exist',
    'an unquoted anchor is folded to lower case, as in SQL');

ALTER TABLE "Regress Mixed" RENAME COLUMN "SentAt" TO "Sent ""At""";

SELECT results_eq(
    $$SELECT anchor, valid, label FROM retention.tags
       WHERE table_name = '"Regress Mixed"'::regclass AND column_name IS NOT NULL$$,
    $$VALUES ('"Sent ""At"""'::text, true,
              'category=regress_anon anchor="Sent ""At""" subject=email'::text)$$,
    'an anchor renamed to a name with a space and double quotes is written back quoted and still resolves');

SELECT lives_ok(
    format('SECURITY LABEL FOR retention ON COLUMN "Regress Mixed"."E-Mail" IS %L',
           (SELECT label FROM retention.tags
             WHERE table_name = '"Regress Mixed"'::regclass AND column_name IS NOT NULL)),
    'the label read back from retention.tags can be set again as it is');

SELECT lives_ok(
    format($$SELECT retention.tag_column('"Regress Mixed"', 'E-Mail', 'regress_anon', %L, subject => 'email')$$,
           (SELECT anchor FROM retention.tags
             WHERE table_name = '"Regress Mixed"'::regclass AND column_name IS NOT NULL)),
    'the anchor read back from retention.tags (a quoted name with a space) can be passed to tag_column');

SELECT is(
    (SELECT label FROM retention.tags
      WHERE table_name = '"Regress Mixed"'::regclass AND column_name IS NOT NULL),
    'category=regress_anon anchor="Sent ""At""" subject=email',
    'after tagging again with the same anchor the label is unchanged');

-- ---------------------------------------------------------------------
-- Ownership and visibility
-- ---------------------------------------------------------------------
CREATE ROLE regress_stranger NOLOGIN;
SET LOCAL ROLE regress_stranger;
SELECT throws_ok(
    $$SELECT retention.tag_table('regress_account', 'regress_rows', 'ended_at')$$,
    '42501', 'must be owner of table regress_account',
    'only the table''s owner can tag it');
SELECT throws_ok(
    $$SELECT retention.untag('regress_contact', 'phone')$$,
    '42501', 'must be owner of relation regress_contact',
    'only the table''s owner can untag it');
SELECT isnt_empty(
    $$SELECT 1 FROM retention.tags WHERE table_name = 'regress_contact'::regclass$$,
    'any role can read retention.tags');
RESET ROLE;

-- ---------------------------------------------------------------------
-- A tag broken behind the provider's back (as during a restore)
-- ---------------------------------------------------------------------
CREATE TABLE regress_restored (id int, created_at timestamptz, secret text);

SET LOCAL check_function_bodies = off;
SELECT lives_ok(
    $$SECURITY LABEL FOR retention ON TABLE regress_restored
          IS 'category=regress_not_loaded anchor=created_at'$$,
    'in restore mode a label naming a category that does not exist yet is accepted');
SELECT lives_ok(
    $$SECURITY LABEL FOR retention ON COLUMN regress_restored.secret
          IS 'category=regress_anon anchor=no_such_column'$$,
    'in restore mode a label naming a column that does not exist is accepted');
SELECT throws_ok(
    $$SECURITY LABEL FOR retention ON TABLE regress_restored IS 'category=regress_rows anchr=created_at'$$,
    '42601', 'unknown key "anchr" in retention label',
    'in restore mode the grammar is still checked');
RESET check_function_bodies;

SELECT results_eq(
    $$SELECT column_name, valid, problem_sqlstate, period FROM retention.tags
       WHERE table_name = 'regress_restored'::regclass ORDER BY column_name NULLS FIRST$$,
    $$VALUES (NULL::name, false, '42704'::text, NULL::interval),
             ('secret', false, '42703', '6 months')$$,
    'retention.tags shows both broken tags as invalid with their SQLSTATEs');

SELECT matches(
    (SELECT problem FROM retention.tags
      WHERE table_name = 'regress_restored'::regclass AND column_name IS NULL),
    'regress_not_loaded.*does not exist',
    'the problem names the missing category');

SELECT matches(
    (SELECT problem FROM retention.tags
      WHERE table_name = 'regress_restored'::regclass AND column_name = 'secret'),
    'no_such_column.*does not exist',
    'the problem names the missing anchor column');

SELECT FROM retention.define_category('regress_not_loaded', '3 years');

SELECT results_eq(
    $$SELECT valid, problem, action, period FROM retention.tags
       WHERE table_name = 'regress_restored'::regclass AND column_name IS NULL$$,
    $$VALUES (true, NULL::text, 'delete'::text, '3 years'::interval)$$,
    'once the category is loaded the restored tag resolves');

SELECT * FROM finish();
ROLLBACK;
