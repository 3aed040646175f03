# The per-database secret survives pg_dump and restore, and with it
# everything keyed by it:
#   - retention._secret holds the same key in the source and the restored
#     database (and a database with a fresh CREATE EXTENSION has another);
#   - action=hash gives the same pseudonym for the same input in both
#     (text, varchar(n), uuid and bytea columns), and a pseudonym made
#     before the dump is recognized as one after the restore and left alone;
#   - a subject hold placed before the dump still protects its rows after
#     the restore, including rows inserted after it, in another spelling.
# Both a plain dump restored with psql and a custom-format dump restored
# with pg_restore, each into a fresh database; a dump that left the key out
# is refused until its key is restored.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $tempdir = PostgreSQL::Test::Utils::tempdir;

# The background workers are switched off (retention.enabled = off): every
# run here is the test's own CALL retention.enforce().
my $node = PostgreSQL::Test::Cluster->new('secret');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'pg_retention'
retention.enabled = off
});
$node->start;

my $schema = q{
CREATE EXTENSION pg_retention;
SELECT retention.define_category('contact_data', '1 day', action => 'hash');
SELECT retention.define_category('customer_data', '1 day');

-- hashed before the dump
CREATE TABLE message (
    id      integer PRIMARY KEY,
    sent_at timestamptz NOT NULL,
    email   text
);
SECURITY LABEL FOR retention ON COLUMN message.email
    IS 'category=contact_data anchor=sent_at';

-- hashed only after the restore, in both databases
CREATE TABLE device (
    id      integer PRIMARY KEY,
    seen_at timestamptz NOT NULL,
    email   text,
    label   varchar(40),
    token   uuid,
    secret  bytea
);
SECURITY LABEL FOR retention ON COLUMN device.email IS 'category=contact_data anchor=seen_at';
SECURITY LABEL FOR retention ON COLUMN device.label IS 'category=contact_data anchor=seen_at';
SECURITY LABEL FOR retention ON COLUMN device.token IS 'category=contact_data anchor=seen_at';
SECURITY LABEL FOR retention ON COLUMN device.secret IS 'category=contact_data anchor=seen_at';

-- rows deleted when due, unless a subject hold protects them
CREATE TABLE customer (
    id        integer PRIMARY KEY,
    closed_at timestamptz NOT NULL,
    email     text
);
SECURITY LABEL FOR retention ON TABLE customer IS 'category=customer_data anchor=closed_at';
SECURITY LABEL FOR retention ON COLUMN customer.email IS 'subject=email';
};

my $device_rows = q{
INSERT INTO device VALUES
    (1, now() - interval '10 days', 'x@example.com', 'x@example.com',
     'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\x00010203'),
    (2, now() - interval '10 days', 'y@example.com', 'device 2',
     'b1ffcd88-8d1a-4ef8-bb6d-6bb9bd380a22', 'y@example.com'::bytea);
};
my $device_sql = q{SELECT id, email, label, token, encode(secret, 'hex') FROM device ORDER BY id};
my $key_sql    = q{SELECT encode(key, 'hex') FROM retention._secret};

# The source: a pseudonym, a subject hold, rows it protects and rows it does not.
$node->safe_psql('postgres', 'CREATE DATABASE source');
$node->safe_psql('source', $schema);
$node->safe_psql(
	'source', q{
INSERT INTO message VALUES (1, now() - interval '10 days', 'x@example.com');
INSERT INTO customer VALUES
    (1, now() - interval '10 days', 'held@example.com'),
    (2, now() - interval '10 days', 'free@example.com');
SELECT retention.place_hold('Litigation hold, case 17', subject_kind => 'email',
                            subject_value => ' Held@Example.COM');
CALL retention.enforce();
});

my $source_key = $node->safe_psql('source', $key_sql);
like($source_key, qr/^[0-9a-f]{64}$/, 'source: the key is 32 bytes');
my $source_pseudonym = $node->safe_psql('source', 'SELECT email FROM message WHERE id = 1');
like($source_pseudonym, qr/^[0-9a-f]{64}$/, 'source: the e-mail is now a 64-hex-digit pseudonym');
is($node->safe_psql('source', 'SELECT id FROM customer ORDER BY id'),
	'1', 'source: the held customer is kept, the other deleted');

# Control: a database with its own CREATE EXTENSION has another key and
# other pseudonyms (so equality below means something).
$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('fresh', $schema);
$node->safe_psql('fresh', $device_rows . 'CALL retention.enforce();');
my $fresh_key = $node->safe_psql('fresh', $key_sql);
like($fresh_key, qr/^[0-9a-f]{64}$/, 'fresh database: a key of its own');
isnt($fresh_key, $source_key, 'control: a fresh CREATE EXTENSION makes another key');

# The dumps, taken before anything else happens in the source.
my $plain  = "$tempdir/source.sql";
my $custom = "$tempdir/source.dump";
$node->command_ok([ 'pg_dump', '-h', $node->host, '-p', $node->port, '-f', $plain, 'source' ],
	'pg_dump plain format');
$node->command_ok(
	[ 'pg_dump', '-h', $node->host, '-p', $node->port, '-Fc', '-f', $custom, 'source' ],
	'pg_dump custom format');
my ($hold_data) = slurp_file($plain) =~ /^(COPY retention\.legal_hold .*?^\\\.$)/ms;
like($hold_data, qr/Litigation hold, case 17/, 'the plain dump carries retention.legal_hold');
unlike($hold_data, qr/held\@example\.com/i, '... with the subject hold\'s identifier only as a hash');

# The source after the dump: the same rows as the restored databases get.
$node->safe_psql('source', $device_rows . 'CALL retention.enforce();');
my $source_devices = $node->safe_psql('source', $device_sql);
note("source devices:\n$source_devices");
like($source_devices, qr/^1\|[0-9a-f]{64}\|[0-9a-f]{40}\|[0-9a-f-]{36}\|[0-9a-f]{64}\n2\|/,
	'source: every device column is a pseudonym');
isnt($node->safe_psql('fresh', $device_sql),
	$source_devices, 'control: a fresh database gives other pseudonyms for the same input');

sub check_restored
{
	my ($db, $what) = @_;

	is($node->safe_psql($db, $key_sql), $source_key, "$what: retention._secret holds the source's key");
	is($node->safe_psql($db, 'SELECT count(*) FROM retention._secret'),
		'1', "$what: and only that key");

	# A pseudonym made before the dump is recognized as one: not hashed again.
	is($node->safe_psql($db, 'SELECT email FROM message WHERE id = 1'),
		$source_pseudonym, "$what: the restored pseudonym is the source's");
	$node->safe_psql($db,
		q{INSERT INTO message VALUES (2, now() - interval '10 days', 'x@example.com')});

	# New rows: the hold placed before the dump protects them too.
	$node->safe_psql(
		$db, q{
INSERT INTO customer VALUES
    (3, now() - interval '10 days', 'HELD@example.com '),
    (4, now() - interval '10 days', 'gone@example.com');
});
	$node->safe_psql($db, $device_rows . 'CALL retention.enforce();');

	is( $node->safe_psql(
			$db,
			q{SELECT status, rows_deleted, values_anonymized, rows_held FROM retention.run
			   ORDER BY run_id DESC LIMIT 1}),
		'completed|1|9|2',
		"$what: the run deletes 1 row, anonymizes 9 values (8 device, 1 message), holds 2 rows");
	is($node->safe_psql($db, 'SELECT email FROM message ORDER BY id'),
		"$source_pseudonym\n$source_pseudonym",
		"$what: the restored pseudonym is left alone, and the same input hashes to it again");
	is($node->safe_psql($db, $device_sql),
		$source_devices, "$what: hash gives the same pseudonyms as the source (text, varchar, uuid, bytea)");
	is($node->safe_psql($db, 'SELECT id FROM customer ORDER BY id'),
		"1\n3", "$what: the subject hold still protects its rows, old and new; the others are deleted");
	is( $node->safe_psql(
			$db, q{SELECT scope, applies_to, reason, active FROM retention.holds ORDER BY hold_id}),
		'subject|email (one subject)|Litigation hold, case 17|t',
		"$what: the hold is restored as it was");

	# A second run changes nothing.
	$node->safe_psql($db, 'CALL retention.enforce()');
	is( $node->safe_psql(
			$db,
			q{SELECT rows_deleted, values_anonymized, rows_held FROM retention.run
			   ORDER BY run_id DESC LIMIT 1}),
		'0|0|2', "$what: a second run finds nothing to do (pseudonyms recognized)");

	# The hold identity sequence came along: a new hold gets a new id.
	my $id = $node->safe_psql($db,
		q{SELECT retention.place_hold('Audit 2026', subject_kind => 'email', subject_value => 'gone@example.com')});
	cmp_ok($id, '>', 1, "$what: a new hold gets an id after the restored one");
}

# (a) plain format, restored with psql.
$node->safe_psql('postgres', 'CREATE DATABASE restored_plain');
$node->command_ok(
	[
		'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', $node->host, '-p', $node->port,
		'-d', 'restored_plain', '-f', $plain
	],
	'plain dump restores with psql');
check_restored('restored_plain', 'plain restore');

# (b) custom format, restored with pg_restore.
$node->safe_psql('postgres', 'CREATE DATABASE restored_custom');
$node->command_ok(
	[
		'pg_restore', '-h', $node->host, '-p', $node->port, '--exit-on-error',
		'-d', 'restored_custom', $custom
	],
	'custom dump restores with pg_restore');
check_restored('restored_custom', 'pg_restore');

# (c) a dump that left the key out (--exclude-table-data): the restored
# holds were made with a key the database does not have.  Nothing keyed
# works until the key is restored -- enforcement would otherwise delete
# the held customer -- and restoring it from the full dump repairs it.
my $nokey = "$tempdir/source-nokey.dump";
$node->command_ok(
	[
		'pg_dump', '-h', $node->host, '-p', $node->port, '-Fc',
		'--exclude-table-data=retention._secret', '-f', $nokey, 'source'
	],
	'pg_dump without the key\'s data');
$node->safe_psql('postgres', 'CREATE DATABASE restored_nokey');
$node->command_ok(
	[ 'pg_restore', '-h', $node->host, '-p', $node->port, '--exit-on-error', '-d', 'restored_nokey', $nokey ],
	'that dump restores');
isnt($node->safe_psql('restored_nokey', $key_sql), $source_key, 'without the key: CREATE EXTENSION\'s own key');
$node->safe_psql('restored_nokey', 'CALL retention.enforce()');
is( $node->safe_psql(
		'restored_nokey', q{SELECT a.outcome || ' ' || a.error_sqlstate FROM retention.action_log a
		 WHERE a.run_id = (SELECT max(run_id) FROM retention.run) AND a.relation_name = 'public.customer'}),
	'error 55000', 'without the key: the customer job refuses (55000)');
is($node->safe_psql('restored_nokey', 'SELECT id FROM customer ORDER BY id'),
	'1', '... and the held customer is still there');
my ($rc, $out, $err) = $node->psql('restored_nokey',
	q{SELECT * FROM retention.erase_subject('{"email": "held@example.com"}')});
like($err, qr/pg_retention's key is not the one its holds and suppression list were made with/,
	'... erasure refuses too, naming the problem');
($rc, $out, $err) = $node->psql('restored_nokey', q{SELECT retention.is_suppressed('email', 'x@example.com')});
like($err, qr/is not the one its holds/, '... and the suppression list');
$node->command_ok(
	[
		'pg_restore', '-h', $node->host, '-p', $node->port, '--exit-on-error', '--data-only',
		'-n', 'retention', '-t', '_secret', '-d', 'restored_nokey', $custom
	],
	'the key restored from the full dump');
is($node->safe_psql('restored_nokey', $key_sql), $source_key, '... is the source\'s key');
$node->safe_psql('restored_nokey',
	q{INSERT INTO customer VALUES (4, now() - interval '10 days', 'gone@example.com'); CALL retention.enforce();});
is($node->safe_psql('restored_nokey', 'SELECT id FROM customer ORDER BY id'),
	'1', '... then enforcement works again and the hold protects its customer');

# The source itself behaves the same with the same new rows.
$node->safe_psql(
	'source', q{
INSERT INTO customer VALUES
    (3, now() - interval '10 days', 'HELD@example.com '),
    (4, now() - interval '10 days', 'gone@example.com');
CALL retention.enforce();
});
is($node->safe_psql('source', 'SELECT id FROM customer ORDER BY id'),
	"1\n3", 'source: the same rows are kept as in the restored databases');
is($node->safe_psql('source', $key_sql), $source_key, 'source: its key is unchanged');

$node->stop;

done_testing();
