# Categories and tags survive pg_dump and restore: a plain-format dump
# restored with psql into another database of the same server, and a
# custom-format dump restored with pg_restore on a second server, give the
# same retention.category rows and the same retention.tags, every tag valid,
# and the restored database still refuses bad labels and tag-breaking DDL.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $tempdir = PostgreSQL::Test::Utils::tempdir;

# Two servers, both preloading the library.
my $node = PostgreSQL::Test::Cluster->new('primary');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pg_retention'\n# the test checks restored state: no worker runs in between\nretention.enabled = off");
$node->start;

my $node2 = PostgreSQL::Test::Cluster->new('other');
$node2->init;
$node2->append_conf('postgresql.conf', "shared_preload_libraries = 'pg_retention'\n# the test checks restored state: no worker runs in between\nretention.enabled = off");
$node2->start;

# The source database: categories with every field, tags of every kind.
$node->safe_psql('postgres', 'CREATE DATABASE source');
$node->safe_psql(
	'source', q{
CREATE EXTENSION pg_retention;

SELECT retention.define_category('support_data', '7 years', 'end_of_year', 'delete',
    'Support tickets and their messages', 'Answering support requests',
    'Contract (GDPR Art. 6(1)(b))', 'Europe/Zagreb');
SELECT retention.define_category('account_user_data', '12 months', 'end_of_month', 'delete',
    'Users of a customer account', 'Providing the service to the account',
    'Contract (GDPR Art. 6(1)(b))', 'America/New_York');
SELECT retention.define_category('end_user_identifiers', '12 months', 'end_of_month', 'nullify',
    'Phone numbers and e-mail addresses of end users', 'Routing and billing communications',
    'Legal obligation (GDPR Art. 6(1)(c))', 'Europe/Zagreb');
SELECT retention.define_category('communication_records', '10 years 6 mons', 'end_of_day', 'hash',
    'Time, type, duration and routing of communications', 'Billing and dispute resolution',
    'Legitimate interest (GDPR Art. 6(1)(f))', 'Asia/Tokyo');
SELECT retention.define_category('event_log', '30 days 12:00:00', 'exact', 'delete',
    'Application events', 'Security monitoring', 'Legitimate interest (GDPR Art. 6(1)(f))',
    'Australia/Adelaide');
-- a category no tag uses, with the optional texts left out
SELECT retention.define_category('unused_category', '1 day');
-- a category variant (extension configuration, like the categories)
SELECT retention.define_category_variant('support_data', 'BR', '5 years', note => 'Brazil');

CREATE TABLE account (
    id                    integer PRIMARY KEY,
    relationship_ended_at timestamptz
);
CREATE TABLE account_user (
    id         integer PRIMARY KEY,
    account_id integer REFERENCES account (id),
    email      text
);
CREATE TABLE support_ticket (
    id          integer PRIMARY KEY,
    account_id  integer REFERENCES account (id),
    resolved_at date,
    customer_id integer,
    body        text
);
CREATE TABLE message (
    id           integer PRIMARY KEY,
    sent_at      timestamptz NOT NULL,
    msisdn       text,
    email        text,
    card_number  varchar(40),
    caller_age   integer,
    "CallerName" text,
    "SentLocal"  timestamp
);
CREATE TABLE event (
    id         bigint,
    created_at timestamptz NOT NULL,
    payload    text
) PARTITION BY RANGE (created_at);
CREATE TABLE event_2024 PARTITION OF event
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE event_2025 PARTITION OF event
    FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');

INSERT INTO account VALUES (1, NULL), (2, '2024-03-01 10:00+00');
INSERT INTO account_user VALUES (1, 1, 'a@example.org'), (2, 2, 'b@example.org');
INSERT INTO support_ticket VALUES (1, 1, '2024-02-01', 42, 'help');
INSERT INTO message VALUES (1, '2024-05-01 12:00+00', '+385911234567', 'c@example.org',
                            '4111111111111111', 37, 'Ana', '2024-05-01 14:00');
INSERT INTO event VALUES (1, '2024-06-01 00:00+00', 'login'), (2, '2025-06-01 00:00+00', 'logout');

-- table tag, local anchor
SECURITY LABEL FOR retention ON TABLE support_ticket
    IS 'category=support_data anchor=resolved_at';
-- table tag, anchor through a foreign key
SECURITY LABEL FOR retention ON TABLE account_user
    IS 'category=account_user_data anchor=account_id->account.relationship_ended_at';
-- column tag, schema-qualified foreign-key anchor
SECURITY LABEL FOR retention ON COLUMN support_ticket.body
    IS 'category=support_data anchor=account_id->public.account.relationship_ended_at action=nullify';
-- column tags: nullify, hash, mask keep=3, generalize bucket=10
SECURITY LABEL FOR retention ON COLUMN message.msisdn
    IS 'category=end_user_identifiers anchor=sent_at action=nullify subject=phone';
SECURITY LABEL FOR retention ON COLUMN message.email
    IS 'category=communication_records anchor=sent_at action=hash subject=email';
SECURITY LABEL FOR retention ON COLUMN message.card_number
    IS 'category=end_user_identifiers anchor=sent_at action=mask keep=3';
SELECT retention.tag_column('message', 'caller_age', 'communication_records', 'sent_at',
                            'generalize', bucket => 10);
-- mixed-case quoted column and anchor; action from the category (nullify)
SECURITY LABEL FOR retention ON COLUMN message."CallerName"
    IS 'category=end_user_identifiers anchor="SentLocal"';
-- subject-only tags
SECURITY LABEL FOR retention ON COLUMN support_ticket.customer_id IS 'subject=customer_id';
SELECT retention.tag_column('account_user', 'email', subject => 'email');
-- partitioned table
SELECT retention.tag_table('event', 'event_log', 'created_at', 'delete');
-- the 0.2.0 keys: an anchor list with a parent's date, a condition, a
-- period and a variant from the row, and latest() from the children
CREATE TABLE lead (
    id           integer PRIMARY KEY,
    account_id   integer REFERENCES account (id),
    kind         text,
    country      text,
    last_contact date,
    keep_for     interval
);
CREATE TABLE lead_contact (id integer PRIMARY KEY, lead_id integer REFERENCES lead, at timestamptz);
SECURITY LABEL FOR retention ON TABLE lead
    IS 'category=support_data anchor=last_contact,account_id->account.relationship_ended_at,latest(lead_contact.at) when=''kind = ''''person'''''' period=keep_for variant=country';
});

my $categories_sql = q{
SELECT name, period, starts, action, description, purpose, legal_basis, time_zone,
       created_at, updated_at
  FROM retention.category ORDER BY name};
my $tags_sql = q{
SELECT object, label, kind, category, period, starts, time_zone, action, subject, valid,
       condition, period_from, variant_from, anchor_words
  FROM retention.tags ORDER BY object};
my $variants_sql = q{
SELECT category, variant, period, starts, time_zone, legal_basis, note
  FROM retention.category_variant ORDER BY 1, 2};
my $summary_sql = q{
SELECT count(*), count(*) FILTER (WHERE valid), count(DISTINCT kind)
  FROM retention.tags};

my $source_categories = $node->safe_psql('source', $categories_sql);
my $source_tags       = $node->safe_psql('source', $tags_sql);
note("source categories:\n$source_categories");
note("source tags:\n$source_tags");

# The source itself is what we think it is: 12 tags of 3 kinds, all valid,
# 7 categories (6 defined here, plus retention_evidence from CREATE EXTENSION).
is($node->safe_psql('source', $summary_sql),
	'12|12|3', 'source: 12 tags of kinds table, column and subject, all valid');
is(scalar(split /\n/, $source_categories), 7, 'source: 7 categories');
is(scalar(split /\n/, $source_tags), 12, 'source: 12 rows in retention.tags');
my $source_variants = $node->safe_psql('source', $variants_sql);
is($source_variants, 'support_data|BR|5 years||||Brazil', 'source: one category variant');
like($source_tags, qr/^lead\|.*\|\(kind = 'person'::text\)\|keep_for\|country\|/m,
	'source: the 0.2.0 keys are listed');
like($source_tags, qr/^message\."CallerName"\|category=end_user_identifiers anchor="SentLocal"\|column\|end_user_identifiers\|1 year\|end_of_month\|Europe\/Zagreb\|nullify\|\|t\|\|\|\|SentLocal$/m,
	'source: mixed-case column tag is listed with its quoted name');
like($source_tags, qr/^event\|category=event_log anchor=created_at action=delete\|table\|/m,
	'source: partitioned table tag is listed');

# Checks a restored database against the source.
sub check_restored
{
	my ($n, $db, $what) = @_;

	is($n->safe_psql($db, $categories_sql),
		$source_categories, "$what: retention.category identical to the source");
	is($n->safe_psql($db, $tags_sql),
		$source_tags, "$what: retention.tags identical to the source");
	is($n->safe_psql($db, $summary_sql),
		'12|12|3', "$what: every tag is valid");
	is($n->safe_psql($db, $variants_sql),
		$source_variants, "$what: retention.category_variant identical to the source");
	is($n->safe_psql($db, 'SELECT count(*) FROM retention.tags WHERE problem IS NOT NULL'),
		'0', "$what: no tag reports a problem");
}

# Checks that a restored database still enforces the rules.
sub check_enforced
{
	my ($n, $db, $what) = @_;
	my ($ret, $stdout, $stderr);

	($ret, $stdout, $stderr) = $n->psql($db,
		q{SECURITY LABEL FOR retention ON COLUMN message.msisdn
		      IS 'category=no_such_category anchor=sent_at action=nullify'});
	isnt($ret, 0, "$what: label naming an unknown category is refused");
	like($stderr, qr/retention category "no_such_category" does not exist/,
		"$what: ... with the extension's message");

	($ret, $stdout, $stderr) = $n->psql($db,
		q{SECURITY LABEL FOR retention ON TABLE support_ticket
		      IS 'category=support_data anchor=resolved_at colour=blue'});
	isnt($ret, 0, "$what: label with an unknown key is refused");
	like($stderr, qr/unknown key "colour" in retention label/,
		"$what: ... with the extension's message");

	($ret, $stdout, $stderr) = $n->psql($db,
		q{SECURITY LABEL FOR retention ON COLUMN message.caller_age
		      IS 'category=communication_records anchor=sent_at action=mask keep=3'});
	isnt($ret, 0, "$what: label whose action does not fit the column type is refused");
	like($stderr, qr/action mask does not fit column "caller_age" of type integer/,
		"$what: ... with the extension's message");

	($ret, $stdout, $stderr) = $n->psql($db,
		q{SECURITY LABEL FOR retention ON TABLE event_2024
		      IS 'category=event_log anchor=created_at'});
	isnt($ret, 0, "$what: label on a partition is refused");
	like($stderr, qr/retention tags cannot be set on partition public\.event_2024/,
		"$what: ... with the extension's message");

	($ret, $stdout, $stderr) = $n->psql($db,
		'ALTER TABLE support_ticket DROP COLUMN resolved_at');
	isnt($ret, 0, "$what: dropping a local anchor column is refused");
	like($stderr,
		qr/this command would break the retention tag on table public\.support_ticket/,
		"$what: ... by the DDL guard");

	($ret, $stdout, $stderr) = $n->psql($db,
		'ALTER TABLE message DROP COLUMN "SentLocal"');
	isnt($ret, 0, "$what: dropping a mixed-case anchor column is refused");
	like($stderr,
		qr/this command would break the retention tag on column public\.message\."CallerName"/,
		"$what: ... by the DDL guard");

	($ret, $stdout, $stderr) = $n->psql($db,
		'ALTER TABLE account DROP COLUMN relationship_ended_at');
	isnt($ret, 0, "$what: dropping an anchor column behind a foreign key is refused");
	like($stderr,
		qr/this command would break the retention tag on (table public\.account_user|column public\.support_ticket\.body)/,
		"$what: ... by the DDL guard");

	($ret, $stdout, $stderr) = $n->psql($db,
		'ALTER TABLE account_user DROP CONSTRAINT account_user_account_id_fkey');
	isnt($ret, 0, "$what: dropping the foreign key behind an anchor (restored after the labels) is refused");
	like($stderr,
		qr/this command would break the retention tag on table public\.account_user/,
		"$what: ... by the DDL guard");

	# A rename is followed, not refused (rolled back afterwards).
	is( $n->safe_psql(
			$db, q{
BEGIN;
ALTER TABLE message RENAME COLUMN sent_at TO sent_on;
SELECT label FROM retention.tags WHERE object = 'message.msisdn';
ROLLBACK;}),
		'category=end_user_identifiers anchor=sent_on action=nullify subject=phone',
		"$what: renaming an anchor column rewrites the label");

	# Nothing of the refused commands changed anything.
	is($n->safe_psql($db, $tags_sql),
		$source_tags, "$what: tags unchanged after the refused commands");
	is( $n->safe_psql(
			$db, q{
SELECT count(*) FROM pg_attribute
 WHERE attrelid IN ('support_ticket'::regclass, 'message'::regclass, 'account'::regclass)
   AND attname IN ('resolved_at', 'SentLocal', 'relationship_ended_at', 'sent_at')
   AND NOT attisdropped}),
		'4', "$what: the anchor columns are still there");
	is( $n->safe_psql(
			$db,
			q{SELECT count(*) FROM pg_constraint WHERE conname = 'account_user_account_id_fkey'}),
		'1', "$what: the foreign key is still there");
}

# (a) plain format, restored with psql into a fresh database of the same node.
my $plain = "$tempdir/source.sql";
$node->command_ok(
	[ 'pg_dump', '-h', $node->host, '-p', $node->port, '-f', $plain, 'source' ],
	'pg_dump plain format');
my $dump_text = slurp_file($plain);
like($dump_text,
	qr/SECURITY LABEL FOR retention ON COLUMN public\.message\."CallerName" IS 'category=end_user_identifiers anchor="SentLocal"';/,
	'plain dump carries the labels');
$node->safe_psql('postgres', 'CREATE DATABASE restored_plain');
$node->command_ok(
	[
		'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', $node->host,
		'-p', $node->port, '-d', 'restored_plain', '-f', $plain
	],
	'plain dump restores with psql -v ON_ERROR_STOP=1');
check_restored($node, 'restored_plain', 'plain restore');

# (b) custom format, restored with pg_restore on the second node.
my $custom = "$tempdir/source.dump";
$node->command_ok(
	[
		'pg_dump', '-h', $node->host, '-p', $node->port, '-Fc', '-f', $custom,
		'source'
	],
	'pg_dump custom format');
$node2->safe_psql('postgres', 'CREATE DATABASE restored_custom');
$node2->command_ok(
	[
		'pg_restore', '-h', $node2->host, '-p', $node2->port, '--exit-on-error',
		'-d', 'restored_custom', $custom
	],
	'custom dump restores with pg_restore on another server');
check_restored($node2, 'restored_custom', 'pg_restore on second node');

# (c) the restored databases still enforce the rules.
check_enforced($node,  'restored_plain',  'plain restore');
check_enforced($node2, 'restored_custom', 'pg_restore on second node');

# The source was not touched by any of this.
is($node->safe_psql('source', $tags_sql), $source_tags, 'source tags unchanged');

$node->stop;
$node2->stop;

done_testing();
