# A dump of a 0.1.0 database restored straight into 0.2.0 (issue 14, item
# 12): what a DBA does with a plain pg_restore, whose CREATE EXTENSION IF
# NOT EXISTS installs the default version.  0.1.0 stored every identifier
# hash as its digest; 0.2.0 keys holds, the suppression list, the request
# log and the ledger with derived keys.  After the restore, with nothing
# else run:
#   - the dump's key replaces the one CREATE EXTENSION made;
#   - the restore reports no error, and the order of its tables does not
#     matter (the key restored last);
#   - a subject hold by identifier still protects the person: erase_subject
#     reports the row held and changes nothing, and enforcement keeps it;
#   - the suppressed identifiers (an opt-out, an erasure, an opt-out then an
#     erasure) are still suppressed;
#   - the erasures 0.1.0 made are in erasure_ledger(), and
#     reapply_erasures() with that ledger erases a person whose data came
#     back;
#   - new holds, suppressions and erasures work beside the restored ones;
#   - the restored rows keep their mark (hashed_with '0.1.0') through a dump
#     and restore of the 0.2.0 database.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $tempdir = PostgreSQL::Test::Utils::tempdir;

sub new_node
{
	my ($name) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->append_conf(
		'postgresql.conf', q{
shared_preload_libraries = 'pg_retention'
retention.enabled = off
});
	$node->start;
	return $node;
}

my $old = new_node('old_0_1_0');
$old->safe_psql('postgres', 'CREATE DATABASE shop');
$old->safe_psql(
	'shop', q{
CREATE EXTENSION pg_retention VERSION '0.1.0';
SELECT retention.define_category('customer_data', '1 day');
CREATE TABLE customer (id integer PRIMARY KEY, closed_at timestamptz, email text, phone text);
SECURITY LABEL FOR retention ON TABLE customer IS 'category=customer_data anchor=closed_at';
SECURITY LABEL FOR retention ON COLUMN customer.email IS 'subject=email';
SECURITY LABEL FOR retention ON COLUMN customer.phone IS 'subject=phone';
INSERT INTO customer VALUES
    (1, NULL, 'held@example.com', '+385 91 111'),
    (2, NULL, 'gone@example.com', '+385 91 222'),
    (3, NULL, 'carl@example.com', '+385 91 333'),
    (4, NULL, 'open@example.com', '+385 91 444');
SELECT retention.place_hold('litigation', subject_kind => 'email', subject_value => 'held@example.com');
SELECT retention.suppress('email', 'optout@example.com');
SELECT * FROM retention.erase_subject('{"email": "gone@example.com"}');
SELECT retention.suppress('email', 'carl@example.com');
SELECT * FROM retention.erase_subject('{"email": "carl@example.com"}');
});
is($old->safe_psql('shop', q{SELECT extversion FROM pg_extension WHERE extname = 'pg_retention'}),
	'0.1.0', 'the source database is 0.1.0');
is($old->safe_psql('shop', 'SELECT id FROM customer ORDER BY id'), "1\n4", '0.1.0: gone and carl erased');

my $dump = "$tempdir/shop_0_1_0.dump";
$old->command_ok([ 'pg_dump', '-h', $old->host, '-p', $old->port, '-Fc', '-f', $dump, 'shop' ],
	'pg_dump of the 0.1.0 database');

# A new cluster whose default version is the current one; the DBA restores
# with nothing but pg_restore.
my $new = new_node('new');
my $current = $new->safe_psql('postgres',
	q{SELECT default_version FROM pg_available_extensions WHERE name = 'pg_retention'});
isnt($current, '0.1.0', "the new cluster installs $current by default");
$new->safe_psql('postgres', 'CREATE DATABASE shop');
# no --exit-on-error: every error of the restore counts, none hides the rest
$new->command_ok([ 'pg_restore', '-h', $new->host, '-p', $new->port, '-d', 'shop', $dump ],
	'a plain pg_restore of the 0.1.0 dump into a database without the extension reports no error');
is($new->safe_psql('shop', q{SELECT extversion FROM pg_extension WHERE extname = 'pg_retention'}),
	$current, "the restored database has $current");
is( $new->safe_psql('shop', q{SELECT encode(key, 'hex') FROM retention._secret}),
	$old->safe_psql('shop', q{SELECT encode(key, 'hex') FROM retention._secret}),
	'the dump\'s key replaced the one CREATE EXTENSION made');
is($new->safe_psql('shop', 'SELECT count(*) FROM retention.legal_hold'), '1', 'the hold is restored');
is( $new->safe_psql(
		'shop', q{SELECT string_agg(DISTINCT on_erasure, ',') || ' ' || (SELECT count(*) FROM retention.tags WHERE NOT valid)
                    FROM retention.category}),
	'delete 0', 'the policy is restored: its categories erase as 0.1.0 did, every tag valid');

# The hold protects the person: erase_subject reports the row held and
# changes nothing.
is( $new->safe_psql(
		'shop', q{SELECT table_name || ' ' || rows_found || ' ' || rows_deleted || ' ' || rows_held
                    FROM retention.erase_subject('{"email": "held@example.com"}') ORDER BY table_name::text}),
	'customer 1 0 1', 'restored: erase_subject reports the held person\'s row as held');
is($new->safe_psql('shop', 'SELECT id FROM customer ORDER BY id'), "1\n4", 'restored: the held row is still there');
$new->safe_psql('shop', q{UPDATE customer SET closed_at = now() - interval '10 days'; CALL retention.enforce()});
is($new->safe_psql('shop', 'SELECT id FROM customer ORDER BY id'), '1',
	'restored: enforcement keeps the held row and deletes the due, unheld one');

# The suppression list still stops re-imports.
is( $new->safe_psql(
		'shop', q{SELECT retention.is_suppressed('email', 'optout@example.com'),
                         retention.is_suppressed('email', 'GONE@example.com'),
                         retention.is_suppressed('email', 'carl@example.com'),
                         retention.is_suppressed('email', 'held@example.com')}),
	't|t|t|f', 'restored: the opt-out and both erased people are suppressed, the held one is not');

# The erasures are in the ledger; a later reapply_erasures works with it.
my $ledger = $new->safe_psql('shop', 'SELECT retention.erasure_ledger()');
my @hashes = $ledger =~ /"hash": "([0-9a-f]{64})"/g;
is(scalar(@hashes), 2, 'restored: the ledger holds the two erasures 0.1.0 made (carl\'s after his opt-out too)');
$new->safe_psql('shop',
	q{INSERT INTO customer VALUES (2, NULL, 'gone@example.com', NULL), (3, NULL, 'carl@example.com', NULL), (5, NULL, 'bob@example.com', NULL)});
my $quoted = $ledger =~ s/'/''/gr;
is( $new->safe_psql(
		'shop', "SELECT table_name || ' ' || rows_found || ' ' || rows_deleted
                   FROM retention.reapply_erasures('$quoted') ORDER BY table_name::text"),
	'customer 2 2', 'restored: reapply_erasures with that ledger erases the two people whose data came back');
is($new->safe_psql('shop', 'SELECT id FROM customer ORDER BY id'), "1\n5", 'restored: only the held and bob are left');

# New entries beside the restored ones.
$new->safe_psql(
	'shop', q{
SELECT retention.place_hold('audit', subject_kind => 'email', subject_value => 'bob@example.com');
SELECT retention.suppress('email', 'new@example.com');
});
is( $new->safe_psql(
		'shop', q{SELECT rows_held FROM retention.erase_subject('{"email": "bob@example.com"}')}),
	'1', 'a hold placed after the restore protects too');
is( $new->safe_psql(
		'shop', q{SELECT retention.is_suppressed('email', 'new@example.com'),
                         retention.is_suppressed('email', 'optout@example.com')}),
	't|t', 'an identifier suppressed after the restore is suppressed, the restored one still is');

# The order of the restore does not matter: the key restored last.
my $list = "$tempdir/shop_0_1_0.list";
$new->command_ok([ 'pg_restore', '-l', '-f', $list, $dump ], 'the dump\'s table of contents');
my @toc = split /\n/, slurp_file($list);
my @secret = grep { /TABLE DATA retention _secret / } @toc;
is(scalar(@secret), 1, 'the dump carries the key');
open(my $fh, '>', $list) or die "could not write $list: $!";
print $fh join("\n", (grep { !/TABLE DATA retention _secret / } @toc), @secret), "\n";
close($fh);
$new->safe_psql('postgres', 'CREATE DATABASE shop_key_last');
$new->command_ok([ 'pg_restore', '-h', $new->host, '-p', $new->port, '-L', $list, '-d', 'shop_key_last', $dump ],
	'a restore that loads the key after every other table reports no error');
is( $new->safe_psql(
		'shop_key_last', q{SELECT (SELECT sum(rows_held) FROM retention.erase_subject('{"email": "held@example.com"}', dry_run => true))}
		  . q{ || ' ' || retention.is_suppressed('email', 'optout@example.com')::text}
		  . q{ || ' ' || jsonb_array_length(retention.erasure_ledger() -> 'erasures')}),
	'1 true 2', 'key restored last: the hold protects, the opt-out is suppressed, both erasures are in the ledger');

# The restored rows keep their mark through a dump of the 0.2.0 database.
is( $new->safe_psql(
		'shop', q{SELECT (SELECT count(*) FROM retention.legal_hold WHERE hashed_with = '0.1.0') || ' '
                      || (SELECT count(*) FROM retention.suppression WHERE hashed_with = '0.1.0')}),
	'1 3', 'the restored hold and suppression rows are marked as 0.1.0\'s');
my $again = "$tempdir/shop_again.dump";
$new->command_ok([ 'pg_dump', '-h', $new->host, '-p', $new->port, '-Fc', '-f', $again, 'shop' ],
	'pg_dump of the restored database');
$new->safe_psql('postgres', 'CREATE DATABASE shop_again');
$new->command_ok([ 'pg_restore', '-h', $new->host, '-p', $new->port, '-d', 'shop_again', $again ],
	'and its restore, with no error');
is( $new->safe_psql(
		'shop_again', q{SELECT (SELECT sum(rows_held) FROM retention.erase_subject('{"email": "held@example.com"}', dry_run => true))
                          || ',' || (SELECT sum(rows_held) FROM retention.erase_subject('{"email": "bob@example.com"}', dry_run => true))}),
	'1,1', 'restored again: both holds protect');
is( $new->safe_psql(
		'shop_again', q{SELECT retention.is_suppressed('email', 'optout@example.com'),
                               retention.is_suppressed('email', 'new@example.com'),
                               jsonb_array_length(retention.erasure_ledger() -> 'erasures')}),
	't|t|2', 'restored again: the suppression list and the ledger are the same');

$old->stop;
$new->stop;
done_testing();
