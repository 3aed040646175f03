# Data subject requests leave no personal data behind in the server log or
# the retention schema, and bad input cannot crash the server.
#
# Sentinel identifiers (e-mail and phone, in several spellings) are used in
# every data subject function: export_subject(_rows, _csv), erase_subject
# (dry run, real, again: NOTICE), suppress, is_suppressed, export and
# erasure with a 15-digit identifier for an integer column (matches nothing,
# no error), a phone number without digits (refused), an erasure of a
# subject under a legal hold, an erasure refused for an unknown kind, and an
# erasure that fails on a foreign key whose key is the sentinel e-mail
# address.  The server logs every message from NOTICE up, but not the
# statements (log_statement = none, log_min_error_statement = panic: the
# client's own SQL is not the extension's to keep out of the log).
# Afterwards neither the server log nor a data dump of the retention schema
# contains a sentinel in any form.  Controls: the log does hold the
# NOTICE and the errors, and the user tables' dump does hold the sentinels.
#
# erase_subject(NULL) (the function is not STRICT because of dry_run)
# returns nothing or raises an error; the server stays up.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

# "zq7k9x" is not hexadecimal: no key, hash or pseudonym in hex contains it
my $email      = 'Sentinel-ZQ7K9X@Example.com';
my $held_email = 'Sentinel-Held-ZQ7K9X@Example.com';
my $optout     = 'Sentinel-Optout-ZQ7K9X@Example.com';
my $fk_email   = 'Sentinel-Key-ZQ7K9X@Example.com';
my $phone      = '+385 99 731 9713';

my @patterns = (
	qr/sentinel/i,
	qr/zq7k9x/i,
	qr/731\D?9713/,        # the phone as written
	qr/385\D*99\D*731/);    # ... and normalized (+385997319713)

sub sentinels_in
{
	my ($text) = @_;
	return grep { $text =~ $_ } @patterns;
}

my $node = PostgreSQL::Test::Cluster->new('subject');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'pg_retention'
retention.enabled = off
log_min_messages = notice
client_min_messages = notice
log_statement = 'none'
log_min_error_statement = panic
retention.log_error_details = off
});
$node->start;

$node->safe_psql('postgres', 'CREATE DATABASE app');
$node->safe_psql(
	'app', q{
CREATE EXTENSION pg_retention;
SELECT retention.define_category('customer_data', '2 years');
SELECT retention.define_category('contact_data', '1 year', action => 'nullify');

CREATE TABLE customer (id int PRIMARY KEY, email text, phone text, created_at timestamptz NOT NULL);
SECURITY LABEL FOR retention ON TABLE customer IS 'category=customer_data anchor=created_at';
SECURITY LABEL FOR retention ON COLUMN customer.email IS 'subject=email';
SECURITY LABEL FOR retention ON COLUMN customer.phone IS 'subject=phone';
SECURITY LABEL FOR retention ON COLUMN customer.id IS 'subject=customer_id';
CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customer, total int);
CREATE TABLE message (id int PRIMARY KEY, sent_at timestamptz NOT NULL, end_user_phone text, body text);
SECURITY LABEL FOR retention ON COLUMN message.end_user_phone
    IS 'category=contact_data anchor=sent_at subject=phone';
CREATE TABLE note (id int PRIMARY KEY, about_email text, body text, at timestamptz NOT NULL);
SECURITY LABEL FOR retention ON TABLE note IS 'category=customer_data anchor=at';
SECURITY LABEL FOR retention ON COLUMN note.about_email IS 'subject=email';

-- subscribers keyed by e-mail; a kept table refers to them with a NOT NULL
-- key: erasing a subscriber fails on the key (23503)
CREATE TABLE subscriber (email text PRIMARY KEY, since timestamptz NOT NULL);
SECURITY LABEL FOR retention ON TABLE subscriber IS 'category=customer_data anchor=since';
SECURITY LABEL FOR retention ON COLUMN subscriber.email IS 'subject=email';
CREATE TABLE delivery (id int PRIMARY KEY, subscriber text NOT NULL REFERENCES subscriber, body text,
                       at timestamptz NOT NULL);
SECURITY LABEL FOR retention ON COLUMN delivery.body IS 'category=contact_data anchor=at';
});

$node->safe_psql(
	'app', qq{
INSERT INTO customer VALUES (1, '$email', '$phone', now()), (2, 'other\@example.com', NULL, now());
INSERT INTO orders VALUES (10, 1, 5), (20, 2, 7);
INSERT INTO message VALUES (100, now(), '00385 99 731-9713', 'hello'), (200, now(), '+1 555 0100', 'hi');
INSERT INTO note VALUES (300, '$held_email', 'kept for a case', now());
INSERT INTO subscriber VALUES ('$fk_email', now());
INSERT INTO delivery VALUES (400, '$fk_email', 'newsletter', now());
SELECT retention.place_hold('Case 17', subject_kind => 'email', subject_value => upper('$held_email'));
});

# Every data subject function, with the sentinels in other spellings.
my $all_output = '';
foreach my $q (
	qq{SELECT retention.export_subject('{"email": " \U$email\E", "phone": "$phone"}')},
	qq{SELECT * FROM retention.export_subject_rows('{"email": "\L$email\E"}')},
	qq{SELECT * FROM retention.export_subject_csv('{"phone": "0038599 731 9713"}')},
	qq{SELECT * FROM retention.erase_subject('{"email": "$email", "phone": "$phone"}', true)},
	qq{SELECT * FROM retention.erase_subject('{"email": "$email", "phone": "$phone"}')},
	qq{SELECT * FROM retention.erase_subject('{"email": "$email", "phone": "$phone"}')},
	qq{SELECT * FROM retention.erase_subject('{"email": "$held_email"}')},
	qq{SELECT retention.suppress('email', '$optout')},
	qq{SELECT retention.is_suppressed('email', '\U$optout\E')},
	qq{SELECT retention.is_suppressed('email', '\L$email\E')},
	# identifiers that cannot be an integer column's value: no match, no
	# error quoting them, and the request is logged
	qq{SELECT * FROM retention.export_subject_rows('{"customer_id": "385997319713000"}')},
	qq{SELECT * FROM retention.erase_subject('{"customer_id": 385997319713000}')})
{
	my ($ret, $stdout, $stderr) = $node->psql('app', $q);
	is($ret, 0, "succeeds: " . substr($q, 0, 60) . '...');
	$all_output .= $stdout . $stderr;
}
like($all_output, qr/no data of this subject was found/, 'the second erasure says it found nothing');

# Failing requests: an unknown kind, and a key that cannot go.
my ($ret, $stdout, $stderr) =
  $node->psql('app', qq{SELECT * FROM retention.erase_subject('{"iban": "$email"}')});
like($stderr, qr/no tag declares subject kind "iban"/, 'unknown kind refused');
($ret, $stdout, $stderr) =
  $node->psql('app', q{SELECT * FROM retention.erase_subject('{"phone": "Sentinel, withheld"}')});
like($stderr, qr/identifier of kind "phone" names nobody/, 'a phone number without digits refused');
is(join(',', sentinels_in($stderr)), '', 'the refusal does not quote the value');
($ret, $stdout, $stderr) =
  $node->psql('app', qq{SELECT * FROM retention.erase_subject('{"email": "$fk_email"}')});
like($stderr, qr/erasure failed: a foreign key of another table still references the rows/,
	'an erasure blocked by a NOT NULL key fails, in the extension\'s words (no key values)');

# It did what it should.
is($node->safe_psql('app', 'SELECT string_agg(id::text, \',\' ORDER BY id) FROM customer'), '2',
	'the sentinel customer was erased');
is($node->safe_psql('app', 'SELECT end_user_phone IS NULL FROM message WHERE id = 100'), 't',
	'the sentinel phone number was removed from the message');
is($node->safe_psql('app', qq{SELECT retention.is_suppressed('email', '$email')}), 't',
	'the sentinel is on the suppression list');
is($node->safe_psql('app', 'SELECT count(*) FROM retention.dsr_request'), '9', 'nine requests logged');
is($node->safe_psql('app', q{SELECT string_agg(kind || ' ' || outcome, ',' ORDER BY request_id) FROM retention.dsr_request
                              WHERE identifier_hashes[1] LIKE 'customer_id:%'}),
	'export done,erase nothing found', 'the requests with a 15-digit customer_id are logged');

# The retention schema, dumped, and the server log.
my $dump = $node->safe_psql('app', q{
SELECT string_agg(t, E'\n') FROM (
    SELECT row_to_json(r)::text AS t FROM retention.dsr_request r
    UNION ALL SELECT row_to_json(s)::text FROM retention.suppression s
    UNION ALL SELECT row_to_json(h)::text FROM retention.legal_hold h) x});
isnt($dump, '', 'the request log, suppression list and holds have rows');
is(join(',', sentinels_in($dump)), '', 'request log, suppression list and holds: no sentinel');

my $tmp = PostgreSQL::Test::Utils::tempdir;
$node->command_ok(
	[ 'pg_dump', '--data-only', '--schema=retention', '-f', "$tmp/retention.sql", $node->connstr('app') ],
	'pg_dump of the retention schema');
is(join(',', sentinels_in(slurp_file("$tmp/retention.sql"))), '', 'dump of the retention schema: no sentinel');
$node->command_ok(
	[ 'pg_dump', '--data-only', '--schema=public', '-f', "$tmp/public.sql", $node->connstr('app') ],
	'pg_dump of the user tables');
ok(scalar(sentinels_in(slurp_file("$tmp/public.sql"))) > 0, 'control: the user tables still hold sentinels (held, kept)');

my $log = slurp_file($node->logfile);
like($log, qr/no data of this subject was found/, 'control: the NOTICE reached the server log');
unlike($log, qr/violates foreign key constraint/, 'the failed erasure reached the server log only in the extension\'s words');
# the failed erasure's lines, and all the others
my @fk_lines = grep { /violates foreign key constraint|is still referenced/ } split /\n/, $log;
my @other_lines = grep { !/violates foreign key constraint|is still referenced/ } split /\n/, $log;
is(join(',', sentinels_in(join("\n", @other_lines))), '', 'server log: no sentinel');
is(join(',', sentinels_in(join("\n", @fk_lines))), '',
	'server log: the erasure that failed on a foreign key does not quote the key (the e-mail address)');

# NULL identifiers: nothing or an error, never a crash.  Last: a crash
# stops this server (restart_after_crash is off in these tests), so it is
# started again to go on.
foreach my $q ('SELECT * FROM retention.erase_subject(NULL)', 'SELECT * FROM retention.erase_subject(NULL, true)')
{
	($ret, $stdout, $stderr) = $node->psql('app', $q);
	unlike($stderr, qr/server closed the connection|terminated abnormally|connection to server was lost/,
		"$q: no crash");
	my ($alive) = $node->psql('app', 'SELECT 1');
	if ($alive != 0)
	{
		# wait for the postmaster to finish shutting down, then start it
		my $pidfile = $node->data_dir . '/postmaster.pid';
		for (my $i = 0; $i < 300 && -f $pidfile; $i++)
		{
			usleep(100_000);
		}
		$node->_update_pid(0);
		$node->start;
	}
	is($alive, 0, "$q: the server is still up");
}
is($node->safe_psql('app', 'SELECT count(*) FROM customer'), '1', 'the data is intact');

$node->stop;
done_testing();
