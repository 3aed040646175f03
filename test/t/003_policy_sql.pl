# Policy as code: pg_dump --schema-only keeps the tags (security labels) but
# not the categories, so every tag of a schema-only copy is invalid;
# applying retention.policy_sql()'s script to the copy brings the policy
# back: retention.tags and the categories equal the source's, the script is
# deterministic, and applying it again changes nothing.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $tempdir = PostgreSQL::Test::Utils::tempdir;

my $node = PostgreSQL::Test::Cluster->new('policy');
$node->init;
$node->append_conf('postgresql.conf',
	"shared_preload_libraries = 'pg_retention'\nretention.enabled = off");
$node->start;

$node->safe_psql('postgres', 'CREATE DATABASE source');
$node->safe_psql(
	'source', q{
CREATE EXTENSION pg_retention;
SELECT retention.define_category('support_data', '7 years', 'end_of_year', 'delete',
    'Support tickets and their messages', 'Answering support requests',
    'Contract (GDPR Art. 6(1)(b)); the customer''s "request"', 'Europe/Zagreb');
SELECT retention.define_category('end_user_identifiers', '12 months', 'end_of_month', 'nullify',
    'Phone numbers of end users', NULL, NULL, 'Asia/Tokyo');
SELECT retention.define_category('event_log', '30 days 12:00:00');
SELECT retention.alter_category('retention_evidence', period => '3 years');

CREATE SCHEMA "Billing Data";
CREATE TABLE account (id integer PRIMARY KEY, relationship_ended_at timestamptz);
CREATE TABLE "Billing Data"."Support Ticket" (
    id          integer PRIMARY KEY,
    account_id  integer REFERENCES account (id),
    "Resolved"  date,
    customer_id integer,
    "it's body" text
);
CREATE TABLE message (id integer PRIMARY KEY, sent_at timestamptz NOT NULL, msisdn text, card varchar(40));
CREATE TABLE event (id bigint, created_at timestamptz NOT NULL) PARTITION BY RANGE (created_at);
CREATE TABLE event_2024 PARTITION OF event FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');

SECURITY LABEL FOR retention ON TABLE "Billing Data"."Support Ticket"
    IS 'category=support_data anchor="Resolved"';
SECURITY LABEL FOR retention ON COLUMN "Billing Data"."Support Ticket"."it's body"
    IS 'category=support_data anchor=account_id->public.account.relationship_ended_at action=nullify';
SECURITY LABEL FOR retention ON COLUMN "Billing Data"."Support Ticket".customer_id IS 'subject=customer_id';
SECURITY LABEL FOR retention ON COLUMN message.msisdn
    IS 'category=end_user_identifiers anchor=sent_at subject=phone';
SECURITY LABEL FOR retention ON COLUMN message.card
    IS 'category=end_user_identifiers anchor=sent_at action=mask keep=3';
SELECT retention.tag_table('event', 'event_log', 'created_at');

-- 0.2.0: a variant, a condition, an anchor list, a period from the data
SELECT retention.define_category_variant('support_data', 'BR', '5 years', note => 'Brazil: it''s "5"');
ALTER TABLE account ADD COLUMN country text, ADD COLUMN kind text, ADD COLUMN keep_for interval,
    ADD COLUMN closed_at timestamptz;
SECURITY LABEL FOR retention ON TABLE account
    IS 'category=support_data anchor=relationship_ended_at|closed_at when=''kind = ''''person'''''' variant=country period=keep_for';
});

my $categories_sql = q{
SELECT name, period, starts, action, description, purpose, legal_basis, time_zone,
       (SELECT string_agg(v::text, ', ' ORDER BY v.variant) FROM
          (SELECT variant, period, starts, time_zone, legal_basis, note
             FROM retention.category_variant cv WHERE cv.category = c.name) v) AS variants
  FROM retention.category c ORDER BY name};
my $tags_sql = q{SELECT t.* FROM retention.tags t ORDER BY object COLLATE "C"};

my $script = $node->safe_psql('source', 'SELECT retention.policy_sql()');
note($script);
is($node->safe_psql('source', 'SELECT retention.policy_sql()'), $script,
	'the script is the same every time');
like($script, qr/^SECURITY LABEL FOR retention ON COLUMN "Billing Data"\."Support Ticket"\."it's body" IS 'category=support_data anchor=account_id->public\.account\.relationship_ended_at action=nullify';$/m,
	'identifiers are quoted with quote_ident, labels with quote_literal');
unlike($script, qr/event_2024/, 'partitions carry no tag of their own and are not in the script');
is($node->safe_psql('source', q{SELECT count(*) FROM retention.tags WHERE valid}), '7',
	'source: 7 valid tags');
like($script, qr/^INSERT INTO retention\.category_variant \(category, variant, period, starts, time_zone, legal_basis, note\)\n    VALUES \('support_data', 'BR', '5 years'::interval, NULL, NULL, NULL, 'Brazil: it''s "5"'\)$/m,
	'category variants are in the script');

# a schema-only copy: the tags are there, the categories are not
my $dump = "$tempdir/schema.sql";
$node->command_ok(
	[ 'pg_dump', '--schema-only', '-d', $node->connstr('source'), '-f', $dump ],
	'pg_dump --schema-only');
$node->safe_psql('postgres', 'CREATE DATABASE copy');
$node->command_ok(
	[ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('copy'), '-f', $dump ],
	'the schema-only dump restores');
is($node->safe_psql('copy', q{SELECT count(*) || '/' || count(*) FILTER (WHERE NOT valid) FROM retention.tags}),
	'7/6', 'schema-only copy: the 7 tags are there, the 6 with a category are invalid');
isnt($node->safe_psql('copy', $categories_sql), $node->safe_psql('source', $categories_sql),
	'schema-only copy: the categories are not');

# apply the script
my $file = "$tempdir/policy.sql";
PostgreSQL::Test::Utils::append_to_file($file, $script);
$node->command_ok(
	[ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '-d', $node->connstr('copy'), '-f', $file ],
	'the policy script applies to the schema-only copy');
is($node->safe_psql('copy', $tags_sql), $node->safe_psql('source', $tags_sql),
	'retention.tags of the copy equals the source\'s, every column');
is($node->safe_psql('copy', $categories_sql), $node->safe_psql('source', $categories_sql),
	'the categories of the copy equal the source\'s');
is($node->safe_psql('copy', 'SELECT retention.policy_sql()'), $script,
	'the copy writes the same script');

# applying it again changes nothing (the categories are updated in place)
$node->command_ok(
	[ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '-d', $node->connstr('copy'), '-f', $file ],
	'the policy script applies a second time');
is($node->safe_psql('copy', $tags_sql), $node->safe_psql('source', $tags_sql),
	'retention.tags unchanged by the second application');

# and it restores a changed category to what the script says
$node->safe_psql('copy', q{SELECT retention.alter_category('event_log', period => '1 day')});
$node->command_ok(
	[ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '-d', $node->connstr('copy'), '-f', $file ],
	'the policy script applies over a changed category');
is($node->safe_psql('copy', $categories_sql), $node->safe_psql('source', $categories_sql),
	'the changed category is back to the script\'s period');

# A label that no longer resolves is written as a comment.  Its text and
# its table's name are the table owner's (who need not be retention_admin)
# and may hold line breaks: every line of the statement must stay inside the
# comment, or the rest runs as SQL (or as psql meta-commands) in the
# session of the DBA who applies the script.
$node->safe_psql('postgres', 'CREATE DATABASE hostile');
$node->safe_psql(
	'hostile', q{
CREATE EXTENSION pg_retention;
SELECT retention.define_category('rows', '1 year');
CREATE ROLE regress_tenant;
GRANT CREATE ON SCHEMA public TO regress_tenant;
SET ROLE regress_tenant;
CREATE COLLATION public.tenant_c (locale = 'C');
CREATE TABLE public.plain (id integer PRIMARY KEY, d date, k text);
CREATE TABLE public."x
;CREATE TABLE public.injected_by_name ();--" (id integer PRIMARY KEY, d date, k text);
SECURITY LABEL FOR retention ON TABLE public.plain IS E'category=rows anchor=d\nwhen=''k COLLATE public.tenant_c = ''''\n;CREATE TABLE public.injected_by_label ();--''''''';
SECURITY LABEL FOR retention ON TABLE public."x
;CREATE TABLE public.injected_by_name ();--" IS 'category=rows anchor=d when=''k COLLATE public.tenant_c = ''''x''''''';
-- the guard does not watch collations: both labels stop resolving
DROP COLLATION public.tenant_c;
});
is($node->safe_psql('hostile', q{SELECT count(*) FROM retention.tags WHERE NOT valid}), '2',
	'hostile: two labels no longer resolve');
my $hostile = $node->safe_psql('hostile', 'SELECT retention.policy_sql()');
note($hostile);
my $in_comment = 1;
foreach my $stmt (split /(?=^-- does not resolve)|(?=^SECURITY LABEL)/m, $hostile)
{
	next unless $stmt =~ /^-- does not resolve/;
	$in_comment = 0 if grep { !/^--/ } split /\r\n|\r|\n/, $stmt;
}
ok($in_comment, 'every line of a label that does not resolve is a comment');
my $hostile_file = "$tempdir/hostile.sql";
PostgreSQL::Test::Utils::append_to_file($hostile_file, $hostile);
$node->command_ok(
	[ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '-d', $node->connstr('hostile'), '-f', $hostile_file ],
	'the script with hostile labels applies');
is($node->safe_psql('hostile',
		q{SELECT count(*) FROM pg_class WHERE relname IN ('injected_by_label', 'injected_by_name')}),
	'0', 'nothing of a label or a table name ran as SQL');

$node->stop;
done_testing();
