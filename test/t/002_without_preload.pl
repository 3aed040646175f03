# Without shared_preload_libraries the extension still works in every new
# session: its ddl_command_start event trigger loads the library (and so the
# "retention" label provider) before SECURITY LABEL runs, the DDL guard runs
# from its event triggers, and the SQL helpers load it through
# retention._load().  Each safe_psql/psql call below is a new session, so
# each starts without the library.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('no_preload');
$node->init;
$node->start;

is($node->safe_psql('postgres', 'SHOW shared_preload_libraries'),
	'', 'the server does not preload anything');

$node->safe_psql('postgres', 'CREATE DATABASE app');

# One session: the extension, categories, tables.
$node->safe_psql(
	'app', q{
CREATE EXTENSION pg_retention;
SELECT retention.define_category('support_data', '7 years', 'end_of_year', 'delete',
    'Support tickets', 'Answering support requests', 'Contract', 'Europe/Zagreb');
SELECT retention.define_category('contact_data', '12 months', 'end_of_month', 'nullify',
    'Contact details', 'Answering support requests', 'Contract', 'Europe/Zagreb');
CREATE TABLE ticket (
    id          integer PRIMARY KEY,
    resolved_at timestamptz,
    email       text,
    phone       text
);
});

# Label of an object, read straight from pg_seclabel.
my $label_sql = q{
SELECT coalesce(string_agg(coalesce(a.attname::text, '(table)') || ': ' || s.label, E'\n'
                           ORDER BY s.objsubid), '(none)')
  FROM pg_seclabel s
  LEFT JOIN pg_attribute a ON a.attrelid = s.objoid AND a.attnum = s.objsubid
 WHERE s.provider = 'retention' AND s.objoid = 'ticket'::regclass};

my ($ret, $stdout, $stderr);

# SECURITY LABEL as the first statement of a new session.
($ret, $stdout, $stderr) = $node->psql('app',
	q{SECURITY LABEL FOR retention ON TABLE ticket IS 'category=support_data anchor=resolved_at'});
is($ret, 0, 'new session: SECURITY LABEL FOR retention works without preloading');
unlike($stderr, qr/not loaded/, 'new session: the provider was loaded');
is($node->safe_psql('app', $label_sql),
	'(table): category=support_data anchor=resolved_at', 'the label is stored');

# A bad label as the first statement of a new session: the extension's own
# message, not PostgreSQL's "provider is not loaded".
($ret, $stdout, $stderr) = $node->psql('app',
	q{SECURITY LABEL FOR retention ON TABLE ticket IS 'category=support_data anchor=resolved_at colour=blue'});
isnt($ret, 0, 'new session: label with an unknown key is refused');
like($stderr, qr/unknown key "colour" in retention label/,
	'new session: ... with the extension\'s message');
unlike($stderr, qr/security label provider "retention" is not loaded/,
	'new session: ... not with PostgreSQL\'s "not loaded"');

($ret, $stdout, $stderr) = $node->psql('app',
	q{SECURITY LABEL FOR retention ON COLUMN ticket.phone IS 'category=no_such_category anchor=resolved_at'});
isnt($ret, 0, 'new session: label naming an unknown category is refused');
like($stderr, qr/retention category "no_such_category" does not exist/,
	'new session: ... with the extension\'s message');

is($node->safe_psql('app', $label_sql),
	'(table): category=support_data anchor=resolved_at',
	'the refused labels changed nothing');

# The DDL guard in a new session.
($ret, $stdout, $stderr) = $node->psql('app', 'ALTER TABLE ticket DROP COLUMN resolved_at');
isnt($ret, 0, 'new session: dropping the anchor column is refused');
like($stderr, qr/this command would break the retention tag on table public\.ticket/,
	'new session: ... by the DDL guard');
is( $node->safe_psql(
		'app',
		q{SELECT count(*) FROM pg_attribute
		   WHERE attrelid = 'ticket'::regclass AND attname = 'resolved_at' AND NOT attisdropped}),
	'1', 'the anchor column is still there');

# A rename in a new session rewrites the label.
($ret, $stdout, $stderr) = $node->psql('app',
	'ALTER TABLE ticket RENAME COLUMN resolved_at TO closed_at');
is($ret, 0, 'new session: renaming the anchor column succeeds');
like($stderr, qr/retention tag on table public\.ticket updated to follow the change/,
	'new session: ... with the DDL guard\'s notice');
is($node->safe_psql('app', $label_sql),
	'(table): category=support_data anchor=closed_at',
	'the label follows the renamed anchor');

# The helpers in a new session whose first statement sets
# session_replication_role = replica.
is( $node->safe_psql(
		'app', q{
SET session_replication_role = replica;
SELECT retention.tag_column('ticket', 'email', 'contact_data', 'closed_at', 'nullify', 'email');}),
	'category=contact_data anchor=closed_at action=nullify subject=email',
	'new session, replica role: retention.tag_column works');
is($node->safe_psql('app', $label_sql),
	"(table): category=support_data anchor=closed_at\n"
	  . 'email: category=contact_data anchor=closed_at action=nullify subject=email',
	'the column label is stored');

($ret, $stdout, $stderr) = $node->psql(
	'app', q{
SET session_replication_role = replica;
SELECT retention.tag_column('ticket', 'phone', 'contact_data', 'closed_at', 'mask', keep => 99);});
isnt($ret, 0, 'new session, replica role: retention.tag_column with a bad keep is refused');
like($stderr, qr/keep is out of range/, 'new session, replica role: ... with the extension\'s message');

($ret, $stdout, $stderr) = $node->psql(
	'app', q{
SET session_replication_role = replica;
ALTER TABLE ticket DROP COLUMN closed_at;});
isnt($ret, 0, 'new session, replica role: dropping the anchor column is refused');
like($stderr, qr/this command would break the retention tag on (table public\.ticket|column public\.ticket\.email)/,
	'new session, replica role: ... by the DDL guard');

# The tags view in a new session.
is( $node->safe_psql(
		'app', q{SELECT object || ' ' || kind || ' ' || valid FROM retention.tags ORDER BY object}),
	"ticket table true\nticket.email column true",
	'new session: retention.tags lists both tags, valid');

is($node->safe_psql('app', $label_sql),
	"(table): category=support_data anchor=closed_at\n"
	  . 'email: category=contact_data anchor=closed_at action=nullify subject=email',
	'the refused commands changed nothing');

# A database of the same server without the extension.
$node->safe_psql('postgres', 'CREATE DATABASE plain');
$node->safe_psql('plain', 'CREATE TABLE ticket (id integer, resolved_at timestamptz)');
my $none_sql = q{SELECT count(*) FROM pg_seclabel WHERE provider = 'retention'};

($ret, $stdout, $stderr) = $node->psql('plain',
	q{SECURITY LABEL FOR retention ON TABLE ticket IS 'category=support_data anchor=resolved_at'});
isnt($ret, 0, 'database without the extension: SECURITY LABEL FOR retention fails');
like($stderr, qr/security label provider "retention" is not loaded|extension "pg_retention" is not installed/,
	'database without the extension: ... because there is no provider or no extension');
is($node->safe_psql('plain', $none_sql), '0', 'database without the extension: nothing is stored');

# Even with the library loaded by hand, the provider refuses to label in a
# database without the extension.
($ret, $stdout, $stderr) = $node->psql(
	'plain', q{
LOAD 'pg_retention';
SECURITY LABEL FOR retention ON TABLE ticket IS 'category=support_data anchor=resolved_at';});
isnt($ret, 0, 'database without the extension, library loaded: SECURITY LABEL FOR retention fails');
like($stderr, qr/extension "pg_retention" is not installed in this database/,
	'database without the extension, library loaded: ... with the extension\'s message');
is($node->safe_psql('plain', $none_sql), '0',
	'database without the extension, library loaded: nothing is stored');

$node->stop;

done_testing();
