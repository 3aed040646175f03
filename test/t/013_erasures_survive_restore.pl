# Erasures survive a restore of an older backup (issue 12, item 5):
#   - a custom-format pg_dump is taken, then a person is erased (and another
#     one opted out, then erased: both reasons are kept);
#   - the ledger (retention.erasure_ledger()) names no one in clear;
#   - the OLD dump is restored into a NEW cluster: the person is back and not
#     suppressed (the dump carries the same secret);
#   - retention.reapply_erasures(ledger) erases them again: gone, with their
#     child rows; everyone else intact; is_suppressed true; the request log
#     and the server log never hold the identifiers;
#   - a database updated from 0.1.0 keeps the erasures 0.1.0 made in its
#     ledger, an opt-out followed by an erasure with both reasons.

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
log_min_duration_statement = -1
log_statement = 'none'
});
	$node->start;
	return $node;
}

my $schema = q{
CREATE EXTENSION pg_retention;
SELECT retention.define_category('customer_data', '10 years');
CREATE TABLE customer (id integer PRIMARY KEY, closed_at timestamptz, email text, phone text);
CREATE TABLE orders (id integer PRIMARY KEY, customer_id integer REFERENCES customer, total integer);
SECURITY LABEL FOR retention ON TABLE customer IS 'category=customer_data anchor=closed_at';
SECURITY LABEL FOR retention ON COLUMN customer.email IS 'subject=email';
SECURITY LABEL FOR retention ON COLUMN customer.phone IS 'subject=phone';
INSERT INTO customer VALUES
    (1, NULL, 'ana@example.com', '+385 91 111'),
    (2, NULL, 'bob@example.com', '+385 91 222'),
    (3, NULL, 'carl@example.com', '+385 91 333'),
    (4, NULL, 'dora@example.com', '+385 91 444');
INSERT INTO orders VALUES (1, 1, 10), (2, 1, 20), (3, 2, 30), (4, 3, 40);
};

my $old = new_node('old');
$old->safe_psql('postgres', 'CREATE DATABASE shop');
$old->safe_psql('shop', $schema);

# The backup, taken before the erasures.
my $dump = "$tempdir/shop.dump";
$old->command_ok([ 'pg_dump', '-h', $old->host, '-p', $old->port, '-Fc', '-f', $dump, 'shop' ],
	'pg_dump custom format before the erasures');

# After the backup: ana is erased; carl opts out, then is erased; dora only
# opts out (no erasure: not in the ledger).
$old->safe_psql(
	'shop', q{
SELECT * FROM retention.erase_subject('{"email": "ana@example.com"}');
SELECT retention.suppress('email', 'carl@example.com');
SELECT * FROM retention.erase_subject('{"email": "carl@example.com", "phone": "+385 91 333"}');
SELECT retention.suppress('email', 'dora@example.com');
});
is($old->safe_psql('shop', 'SELECT id FROM customer ORDER BY id'), "2\n4", 'old: ana and carl erased');
is( $old->safe_psql(
		'shop', q{SELECT string_agg(reasons, ' ' ORDER BY reasons) FROM (
                    SELECT string_agg(reason, ',' ORDER BY reason) AS reasons
                      FROM retention.suppression GROUP BY kind, identifier_hash) r}),
	'erasure erasure erasure,opt-out opt-out',
	'old: the suppression list keeps every reason (ana: erasure; carl: opt-out and erasure of his e-mail, erasure of his phone; dora: opt-out)'
);

my $ledger = $old->safe_psql('shop', 'SELECT retention.erasure_ledger()');
like($ledger, qr/"format": "pg_retention erasure ledger"/, 'the ledger says what it is');
my @hashes = $ledger =~ /"hash": "([0-9a-f]{64})"/g;
is(scalar(@hashes), 3, 'the ledger holds the three identifiers erased');
unlike($ledger, qr/ana|carl|bob|dora|\+385|91 [1-4]{3}/i, 'the ledger names no one in clear');

# The OLD backup restored into a NEW cluster.
my $new = new_node('new');
$new->safe_psql('postgres', 'CREATE DATABASE shop');
# default privileges in the target database must not reach the key or the
# request log through the restore's CREATE EXTENSION
$new->safe_psql('postgres', 'CREATE ROLE regress_reporting LOGIN');
$new->safe_psql('shop', 'ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO regress_reporting');
$new->command_ok(
	[ 'pg_restore', '-h', $new->host, '-p', $new->port, '--exit-on-error', '-d', 'shop', $dump ],
	'the old dump restores into a new cluster');
is( $new->safe_psql('shop', q{SELECT encode(key, 'hex') FROM retention._secret}),
	$old->safe_psql('shop', q{SELECT encode(key, 'hex') FROM retention._secret}),
	'the restored database has the old database\'s key');
is($new->safe_psql('shop', 'SELECT id FROM customer ORDER BY id'),
	"1\n2\n3\n4", 'restored: the erased people are back');
foreach my $table ('retention._secret', 'retention.dsr_request', 'retention.suppression')
{
	my ($rc, $out, $err) =
	  $new->psql('shop', "SELECT count(*) FROM $table", extra_params => [ '-U', 'regress_reporting' ]);
	like($err, qr/permission denied/, "restored: default privileges give regress_reporting nothing on $table");
}
is($new->safe_psql('shop', q{SELECT retention.is_suppressed('email', 'ana@example.com')}),
	'f', 'restored: ana is not on the suppression list');

# Reapply, as a member of retention_dsr.
$new->safe_psql('shop', 'CREATE ROLE regress_dsr LOGIN IN ROLE retention_dsr');
my $quoted = $ledger =~ s/'/''/gr;
my ($rc, $out, $err) = $new->psql(
	'shop',
	"SELECT table_name, rows_found, rows_deleted, rows_anonymized, rows_held
       FROM retention.reapply_erasures('$quoted') ORDER BY table_name::text",
	extra_params => [ '-U', 'regress_dsr' ]);
is($rc, 0, 'reapply_erasures runs as a member of retention_dsr');
is($out, "customer|2|2|0|0\norders|3|3|0|0",
	'reapply_erasures reports per table: 2 customers and their 3 orders deleted (carl once, found by e-mail and phone)');
like($err, qr/3 of 3 erasures of the ledger found data/, 'and says how many erasures found data');
is($new->safe_psql('shop', 'SELECT id FROM customer ORDER BY id'), "2\n4", 'reapplied: ana and carl are gone');
is($new->safe_psql('shop', 'SELECT id, customer_id, total FROM orders ORDER BY id'),
	'3|2|30', 'reapplied: their orders are gone, bob\'s intact');
is( $new->safe_psql(
		'shop', q{SELECT retention.is_suppressed('email', 'ana@example.com'),
                         retention.is_suppressed('phone', '+38591333'),
                         retention.is_suppressed('email', 'bob@example.com')}),
	't|t|f',
	'reapplied: the erased are on the suppression list, bob is not');
is( $new->safe_psql(
		'shop', q{SELECT count(*) FROM retention.dsr_request WHERE kind = 'erase' AND outcome = 'done'}),
	'2', 'reapplied: one logged erasure per identifier found');

# Again: nothing left to do.
is( $new->safe_psql(
		'shop', "SELECT coalesce(sum(rows_deleted), 0) FROM retention.reapply_erasures('$quoted')"),
	'0', 'a second reapply deletes nothing');

# Nothing in clear in the request logs or the server logs.
foreach my $node ($old, $new)
{
	my $log = $node->safe_psql('shop', 'SELECT r::text FROM retention.dsr_request r');
	unlike($log, qr/ana|carl|\+385|91 [1-4]{3}/i, $node->name . ': the request log names no one in clear');
	unlike(slurp_file($node->logfile), qr/ana\@|carl\@|91 333|91333/,
		$node->name . ': the server log names no one in clear');
}

# A ledger from another database (another key) is refused, not silently empty.
$new->safe_psql('postgres', 'CREATE DATABASE other');
$new->safe_psql('other', 'CREATE EXTENSION pg_retention');
($rc, $out, $err) = $new->psql('other', "SELECT * FROM retention.reapply_erasures('$quoted')");
like($err, qr/the erasure ledger was made with another key than this database's/,
	'a ledger made under another key is refused');

# An update from 0.1.0 keeps the erasures 0.1.0 made: opt-out then erasure,
# and an erasure alone, both in the ledger after ALTER EXTENSION UPDATE.
$old->safe_psql('postgres', 'CREATE DATABASE legacy');
$old->safe_psql('legacy', $schema =~ s/CREATE EXTENSION pg_retention;/CREATE EXTENSION pg_retention VERSION '0.1.0';/r);
$old->safe_psql(
	'legacy', q{
SELECT retention.suppress('email', 'carl@example.com');
SELECT * FROM retention.erase_subject('{"email": "carl@example.com"}');
SELECT * FROM retention.erase_subject('{"email": "ana@example.com"}');
SELECT retention.place_hold('case 3', subject_kind => 'email', subject_value => 'bob@example.com');
ALTER EXTENSION pg_retention UPDATE;
});
is( $old->safe_psql(
		'legacy', q{SELECT string_agg(reasons, ' ' ORDER BY reasons) FROM (
                      SELECT string_agg(reason, ',' ORDER BY reason) AS reasons
                        FROM retention.suppression GROUP BY kind, identifier_hash) r}),
	'erasure erasure,opt-out',
	'updated from 0.1.0: carl\'s erasure after his opt-out is recorded too');
is( $old->safe_psql(
		'legacy', q{SELECT jsonb_array_length(retention.erasure_ledger() -> 'erasures'),
                           retention.is_suppressed('email', 'carl@example.com'),
                           retention.is_suppressed('email', 'ANA@example.com')}),
	'2|t|t', 'updated from 0.1.0: both erasures in the ledger, both still suppressed');
is( $old->safe_psql(
		'legacy', q{SELECT count(*) FROM retention.legal_hold h, retention.dsr_request r, unnest(r.identifier_hashes) x
                     WHERE decode(split_part(x, ':', 2), 'hex') = h.subject_hash}),
	'0', 'updated from 0.1.0: hold hashes and request log hashes no longer match');
$old->safe_psql('legacy',
	q{UPDATE customer SET closed_at = now() - interval '20 years'; CALL retention.enforce()});
is($old->safe_psql('legacy', 'SELECT id FROM customer ORDER BY id'),
	'2', 'updated from 0.1.0: the hold placed before the update still protects bob');

$old->stop;
$new->stop;
done_testing();
