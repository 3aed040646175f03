-- Retention categories: defaults, stored fields, alter/rename/drop, the
-- guard against dropping or breaking a category that tags use, privileges,
-- and registration for pg_dump.
BEGIN;
SELECT plan(51);

SET LOCAL client_min_messages = warning;

-- ---------------------------------------------------------------------
-- define_category: defaults and stored fields
-- ---------------------------------------------------------------------
SELECT lives_ok(
    $$SELECT retention.define_category('regress_minimal', '3 months')$$,
    'define_category with only a name and a period succeeds');

SELECT results_eq(
    $$SELECT period, starts, action, time_zone, description, purpose, legal_basis
        FROM retention.category WHERE name = 'regress_minimal'$$,
    $$VALUES ('3 months'::interval, 'exact'::text, 'delete'::text, 'UTC'::text,
              NULL::text, NULL::text, NULL::text)$$,
    'a category defined with defaults starts exact, deletes, counts in UTC and has no texts');

SELECT results_eq(
    $$SELECT (c).name, (c).period, (c).starts, (c).action, (c).time_zone
        FROM (SELECT retention.define_category('regress_returned', '1 day') AS c) s$$,
    $$VALUES ('regress_returned'::text, '1 day'::interval, 'exact'::text, 'delete'::text, 'UTC'::text)$$,
    'define_category returns the row it stored');

SELECT lives_ok(
    $$SELECT retention.define_category(
          name        => 'regress_full',
          period      => '10 years',
          starts      => 'end_of_year',
          action      => 'nullify',
          description => 'Routing data of calls',
          purpose     => 'Billing disputes',
          legal_basis => 'Art. 6(1)(c) GDPR',
          time_zone   => 'Europe/Zagreb')$$,
    'define_category with every field succeeds');

SELECT results_eq(
    $$SELECT period, starts, action, time_zone, description, purpose, legal_basis
        FROM retention.category WHERE name = 'regress_full'$$,
    $$VALUES ('10 years'::interval, 'end_of_year'::text, 'nullify'::text, 'Europe/Zagreb'::text,
              'Routing data of calls'::text, 'Billing disputes'::text, 'Art. 6(1)(c) GDPR'::text)$$,
    'every field given to define_category is stored');

SELECT throws_ok(
    $$SELECT retention.define_category('regress_full', '1 year')$$,
    '42710', 'retention category "regress_full" already exists',
    'defining an existing category again is refused');

SELECT throws_ok(
    $$SELECT retention.define_category('Regress Bad', '1 year')$$,
    '42602', 'invalid category name "Regress Bad"',
    'a category name that cannot be written in a tag is refused');

SELECT throws_ok(
    $$SELECT retention.define_category('regress_negative', '-1 month')$$,
    '22023', 'invalid retention period for category "regress_negative"',
    'a negative period is refused');

SELECT throws_ok(
    $$SELECT retention.define_category('regress_badzone', '1 year', time_zone => 'Mars/Olympus')$$,
    '22023', 'unknown time zone "Mars/Olympus" for category "regress_badzone"',
    'an unknown time zone is refused');

SELECT throws_ok(
    $$SELECT retention.define_category('regress_badstarts', '1 year', starts => 'end_of_week')$$,
    '22023', 'invalid boundary "end_of_week" for category "regress_badstarts"',
    'an unknown boundary is refused');

SELECT is(
    (SELECT count(*)::int FROM retention.category WHERE name LIKE 'regress\_bad%' OR name = 'regress_negative'),
    0,
    'refused definitions stored nothing');

-- ---------------------------------------------------------------------
-- alter_category: only what is given changes; '' clears texts
-- ---------------------------------------------------------------------
SELECT lives_ok(
    $$SELECT retention.alter_category('regress_full', period => '7 years')$$,
    'alter_category with only a period succeeds');

SELECT results_eq(
    $$SELECT period, starts, action, time_zone, description, purpose, legal_basis
        FROM retention.category WHERE name = 'regress_full'$$,
    $$VALUES ('7 years'::interval, 'end_of_year'::text, 'nullify'::text, 'Europe/Zagreb'::text,
              'Routing data of calls'::text, 'Billing disputes'::text, 'Art. 6(1)(c) GDPR'::text)$$,
    'alter_category changed the period and nothing else');

SELECT lives_ok(
    $$SELECT retention.alter_category('regress_full', starts => 'end_of_month',
                                      time_zone => 'America/New_York',
                                      purpose => 'Fraud prevention')$$,
    'alter_category with boundary, time zone and purpose succeeds');

SELECT results_eq(
    $$SELECT period, starts, action, time_zone, description, purpose, legal_basis
        FROM retention.category WHERE name = 'regress_full'$$,
    $$VALUES ('7 years'::interval, 'end_of_month'::text, 'nullify'::text, 'America/New_York'::text,
              'Routing data of calls'::text, 'Fraud prevention'::text, 'Art. 6(1)(c) GDPR'::text)$$,
    'alter_category changed boundary, time zone and purpose only');

SELECT lives_ok(
    $$SELECT retention.alter_category('regress_full', description => '')$$,
    'alter_category with an empty description succeeds');

SELECT results_eq(
    $$SELECT description, purpose, legal_basis FROM retention.category WHERE name = 'regress_full'$$,
    $$VALUES (NULL::text, 'Fraud prevention'::text, 'Art. 6(1)(c) GDPR'::text)$$,
    'an empty description clears the description and keeps purpose and legal basis');

SELECT lives_ok(
    $$SELECT retention.alter_category('regress_full', purpose => '', legal_basis => '')$$,
    'alter_category with empty purpose and legal basis succeeds');

SELECT results_eq(
    $$SELECT description, purpose, legal_basis, period FROM retention.category WHERE name = 'regress_full'$$,
    $$VALUES (NULL::text, NULL::text, NULL::text, '7 years'::interval)$$,
    'empty purpose and legal basis clear them; the period is untouched');

SELECT throws_ok(
    $$SELECT retention.alter_category('regress_missing', period => '1 year')$$,
    '42704', 'retention category "regress_missing" does not exist',
    'altering a category that does not exist is refused');

SELECT throws_ok(
    $$SELECT retention.alter_category('regress_full', period => '-2 days')$$,
    '22023', 'invalid retention period for category "regress_full"',
    'alter_category validates like define_category');

SELECT lives_ok(
    $$SELECT retention.alter_category('regress_minimal', new_name => 'regress_renamed')$$,
    'an unused category can be renamed');

SELECT results_eq(
    $$SELECT name, period FROM retention.category
       WHERE name IN ('regress_minimal', 'regress_renamed')$$,
    $$VALUES ('regress_renamed'::text, '3 months'::interval)$$,
    'the renamed category exists under its new name only, with its fields');

-- ---------------------------------------------------------------------
-- A category's rule is seen through every tag of it
-- ---------------------------------------------------------------------
CREATE TABLE regress_call (
    id        int PRIMARY KEY,
    placed_at timestamptz NOT NULL,
    caller    text,
    callee    text,
    duration  int
);

SELECT FROM retention.define_category('regress_calls', '12 months', 'end_of_month', 'nullify');
SELECT FROM retention.tag_table('regress_call', 'regress_calls', 'placed_at', 'delete');
SELECT FROM retention.tag_column('regress_call', 'caller', 'regress_calls', 'placed_at');
SELECT FROM retention.tag_column('regress_call', 'callee', 'regress_calls', 'placed_at');

SELECT results_eq(
    $$SELECT object COLLATE "default", period, starts, time_zone FROM retention.tags
       WHERE category = 'regress_calls' ORDER BY object$$,
    $$VALUES ('regress_call'::text, '12 mons'::interval, 'end_of_month'::text, 'UTC'::text),
             ('regress_call.callee', '12 mons', 'end_of_month', 'UTC'),
             ('regress_call.caller', '12 mons', 'end_of_month', 'UTC')$$,
    'every tag shows its category''s rule');

SELECT FROM retention.alter_category('regress_calls', period => '18 months', starts => 'end_of_year',
                                time_zone => 'Europe/Berlin');

SELECT results_eq(
    $$SELECT object COLLATE "default", period, starts, time_zone FROM retention.tags
       WHERE category = 'regress_calls' ORDER BY object$$,
    $$VALUES ('regress_call'::text, '18 mons'::interval, 'end_of_year'::text, 'Europe/Berlin'::text),
             ('regress_call.callee', '18 mons', 'end_of_year', 'Europe/Berlin'),
             ('regress_call.caller', '18 mons', 'end_of_year', 'Europe/Berlin')$$,
    'a changed period, boundary and time zone are seen through every tag of the category');

-- ---------------------------------------------------------------------
-- drop_category and the guard
-- ---------------------------------------------------------------------
SELECT lives_ok(
    $$SELECT retention.drop_category('regress_renamed')$$,
    'an unused category can be dropped');

SELECT is(
    (SELECT count(*)::int FROM retention.category WHERE name = 'regress_renamed'),
    0,
    'the dropped category is gone');

SELECT throws_ok(
    $$SELECT retention.drop_category('regress_renamed')$$,
    '42704', 'retention category "regress_renamed" does not exist',
    'dropping a category that does not exist is refused');

SELECT throws_ok(
    $$SELECT retention.drop_category('regress_calls')$$,
    '2BP01', 'category "regress_calls" is used by retention tags',
    'a category that tags use cannot be dropped');

SELECT throws_ok(
    $$DELETE FROM retention.category WHERE name = 'regress_calls'$$,
    '2BP01', 'category "regress_calls" is used by retention tags',
    'a category that tags use cannot be deleted directly either');

SELECT throws_ok(
    $$SELECT retention.alter_category('regress_calls', new_name => 'regress_calls_v2')$$,
    '2BP01', 'category "regress_calls" is used by retention tags',
    'a category that tags use cannot be renamed');

SELECT results_eq(
    $$SELECT count(*)::int, bool_and(valid) FROM retention.tags WHERE category = 'regress_calls'$$,
    $$VALUES (3, true)$$,
    'after the refused drop and rename the category and its three tags are intact');

-- A change of default action is checked against every tag that inherits
-- it; tags that name their own action are unaffected.
SELECT lives_ok(
    $$SELECT retention.alter_category('regress_calls', action => 'hash')$$,
    'a new default action that fits every inheriting tag is accepted');

SELECT results_eq(
    $$SELECT object COLLATE "default", action, action_source FROM retention.tags
       WHERE category = 'regress_calls' ORDER BY object$$,
    $$VALUES ('regress_call'::text, 'delete'::text, 'tag'::text),
             ('regress_call.callee', 'hash', 'category'),
             ('regress_call.caller', 'hash', 'category')$$,
    'inheriting column tags follow the new default action; the table tag keeps its own');

SELECT throws_ok(
    $$SELECT retention.alter_category('regress_calls', action => 'delete')$$,
    '42P17',
    'this change to category "regress_calls" would break the retention tag on column public.regress_call.caller',
    'a default action of delete is refused while column tags inherit it, naming the first such tag');

CREATE TABLE regress_meter (
    id      int PRIMARY KEY,
    read_at timestamptz NOT NULL,
    reading int
);
SELECT FROM retention.define_category('regress_readings', '2 years', action => 'nullify');
SELECT FROM retention.tag_column('regress_meter', 'reading', 'regress_readings', 'read_at');

SELECT throws_ok(
    $$SELECT retention.alter_category('regress_readings', action => 'hash')$$,
    '42804',
    'this change to category "regress_readings" would break the retention tag on column public.regress_meter.reading',
    'a new default action that does not fit an inheriting column''s type is refused');

SELECT results_eq(
    $$SELECT c.action, t.action, t.valid
        FROM retention.category c JOIN retention.tags t ON t.category = c.name
       WHERE c.name = 'regress_readings'$$,
    $$VALUES ('nullify'::text, 'nullify'::text, true)$$,
    'the refused change left the category and its tag as they were');

SELECT throws_ok(
    $$SELECT retention.alter_category('regress_readings', action => 'generalize')$$,
    '22023',
    'this change to category "regress_readings" would break the retention tag on column public.regress_meter.reading',
    'generalize as the default action is refused for an inheriting number column without a bucket');

-- ---------------------------------------------------------------------
-- Privileges: retention_admin members define, PUBLIC reads
-- ---------------------------------------------------------------------
CREATE ROLE regress_admin NOLOGIN;
CREATE ROLE regress_plain NOLOGIN;
GRANT retention_admin TO regress_admin;

SET LOCAL ROLE regress_admin;
SELECT lives_ok(
    $$SELECT retention.define_category('regress_by_admin', '6 months', description => 'Leads')$$,
    'a member of retention_admin can define a category');
SELECT lives_ok(
    $$SELECT retention.alter_category('regress_by_admin', period => '9 months')$$,
    'a member of retention_admin can alter a category');
SELECT FROM retention.define_category('regress_admin_tmp', '1 day');
SELECT lives_ok(
    $$SELECT retention.drop_category('regress_admin_tmp')$$,
    'a member of retention_admin can drop a category');
RESET ROLE;

SELECT results_eq(
    $$SELECT name, period, description FROM retention.category
       WHERE name IN ('regress_by_admin', 'regress_admin_tmp')$$,
    $$VALUES ('regress_by_admin'::text, '9 mons'::interval, 'Leads'::text)$$,
    'the admin''s definition and change are stored, the dropped category is gone');

SET LOCAL ROLE regress_plain;
SELECT throws_ok(
    $$SELECT retention.define_category('regress_by_plain', '1 year')$$,
    '42501', 'permission denied for function define_category',
    'a role without retention_admin cannot define a category');
SELECT throws_ok(
    $$SELECT retention.alter_category('regress_by_admin', period => '1 day')$$,
    '42501', 'permission denied for function alter_category',
    'a role without retention_admin cannot alter a category');
SELECT throws_ok(
    $$SELECT retention.drop_category('regress_by_admin')$$,
    '42501', 'permission denied for function drop_category',
    'a role without retention_admin cannot drop a category');
SELECT throws_ok(
    $$INSERT INTO retention.category (name, period) VALUES ('regress_by_plain', '1 year')$$,
    '42501', 'permission denied for table category',
    'a role without retention_admin cannot insert into retention.category');
SELECT throws_ok(
    $$UPDATE retention.category SET period = '1 day' WHERE name = 'regress_by_admin'$$,
    '42501', 'permission denied for table category',
    'a role without retention_admin cannot update retention.category');
SELECT results_eq(
    $$SELECT name, period FROM retention.category WHERE name LIKE 'regress\_by\_%'$$,
    $$VALUES ('regress_by_admin'::text, '9 mons'::interval)$$,
    'PUBLIC can read the categories, and the refused changes changed nothing');
RESET ROLE;

SELECT ok(
    has_table_privilege('public', 'retention.category', 'SELECT')
    AND NOT has_table_privilege('public', 'retention.category', 'INSERT')
    AND NOT has_table_privilege('public', 'retention.category', 'UPDATE')
    AND NOT has_table_privilege('public', 'retention.category', 'DELETE'),
    'PUBLIC may SELECT retention.category and nothing more');

-- ---------------------------------------------------------------------
-- pg_dump keeps the categories
-- ---------------------------------------------------------------------
SELECT ok(
    (SELECT 'retention.category'::regclass::oid = ANY (extconfig)
       FROM pg_extension WHERE extname = 'pg_retention'),
    'retention.category is registered with pg_extension_config_dump');

SELECT is(
    (SELECT extcondition[array_position(extconfig, 'retention.category'::regclass::oid)]
       FROM pg_extension WHERE extname = 'pg_retention'),
    '',
    'every row of retention.category is dumped (no filter condition)');

SELECT * FROM finish();
ROLLBACK;
