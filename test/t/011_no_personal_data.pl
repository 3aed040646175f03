# The evidence never holds personal data.  Sentinel values go into tagged
# personal-data columns of several tables (a delete tag, and nullify, hash
# and mask column tags), into a table whose BEFORE DELETE trigger fails with
# an error that quotes the row's value, into a table whose CHECK constraint
# makes a nullify batch fail with the row in the error's DETAIL, and into
# subject holds (e-mail and phone).  After enforcement (a CALL and a
# background worker run), preview() and the status view, neither the
# retention schema's data (every table in it, read as superuser, and its
# pg_dump) nor the views an administrator reads nor the server log (at
# log_min_messages = info) contain a sentinel in any form: as inserted,
# lower-cased, or as a normalized phone number.
#
# Controls that the searches can find what they look for: the user tables'
# dump does contain the sentinels, and with retention.log_error_details = on
# (the documented opt-in) the failing batch's error, with the sentinel,
# reaches the server log and the client.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $tempdir = PostgreSQL::Test::Utils::tempdir;

# The sentinels.  "zq7k9x" is not hexadecimal, so no key, hash or pseudonym
# printed in hex can contain it by chance.
my $email      = 'Sentinel-ZQ7K9X@Example.com';
my $held_email = 'Sentinel-Held-ZQ7K9X@Example.com';
my $lead_email = 'Sentinel-Lead-ZQ7K9X@Example.com';
my $phone      = '+385 99 731 9713';
my $held_phone = '+385 99 246 8024';
my $name       = 'Sentinel Zq7k9x';

# Every form a sentinel could take: as given, lower-cased, normalized.
my @patterns = (
	qr/sentinel/i,            # every e-mail and the name, any case
	qr/zq7k9x/i,
	qr/731\D?9713/,           # the phone as written, with or without blanks
	qr/385\D*99\D*731/,       # ... and as normalized (+385997319713)
	qr/246\D?8024/,
	qr/385\D*99\D*246/,
	qr/\Q$email\E/i,
	qr/\Q$held_email\E/i,
	qr/\Q$lead_email\E/i,
	qr/\Q$name\E/i);

# Which patterns match $text (empty list: none).
sub sentinels_in
{
	my ($text) = @_;
	return grep { $text =~ $_ } @patterns;
}

# The background workers are switched off (retention.enabled = off): every
# run here is the test's own CALL retention.enforce().
my $node = PostgreSQL::Test::Cluster->new('evidence');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'pg_retention'
retention.enabled = off
log_min_messages = info
log_statement = 'none'
retention.log_error_details = off
});
$node->start;

is($node->safe_psql('postgres', 'SHOW log_statement'), 'none', 'statements are not logged');
is($node->safe_psql('postgres', 'SHOW retention.log_error_details'),
	'off', 'retention.log_error_details is off');

$node->safe_psql('postgres', 'CREATE DATABASE app');
$node->safe_psql(
	'app', q{
CREATE EXTENSION pg_retention;
SELECT retention.define_category('customer_data', '1 day');
SELECT retention.define_category('contact_data', '1 day', action => 'nullify');
SELECT retention.define_category('lead_data', '1 day');

-- a delete tag, with subject columns
CREATE TABLE customer (
    id        integer PRIMARY KEY,
    closed_at timestamptz,
    email     text,
    phone     text,
    full_name text
);
SECURITY LABEL FOR retention ON TABLE customer IS 'category=customer_data anchor=closed_at';
SECURITY LABEL FOR retention ON COLUMN customer.email IS 'subject=email';
SECURITY LABEL FOR retention ON COLUMN customer.phone IS 'subject=phone';

-- column tags: hash, mask, nullify (from the category)
CREATE TABLE message (
    id          integer PRIMARY KEY,
    sent_at     timestamptz,
    email       text,
    phone       varchar(40),
    sender_name text
);
SECURITY LABEL FOR retention ON COLUMN message.email
    IS 'category=contact_data anchor=sent_at action=hash subject=email';
SECURITY LABEL FOR retention ON COLUMN message.phone
    IS 'category=contact_data anchor=sent_at action=mask keep=2 subject=phone';
SECURITY LABEL FOR retention ON COLUMN message.sender_name
    IS 'category=contact_data anchor=sent_at';

-- a table whose rows cannot be deleted: the error quotes the row
CREATE TABLE lead (
    id         integer PRIMARY KEY,
    created_at timestamptz,
    email      text
);
SECURITY LABEL FOR retention ON TABLE lead IS 'category=lead_data anchor=created_at';
SECURITY LABEL FOR retention ON COLUMN lead.email IS 'subject=email';
CREATE FUNCTION refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'bad row %', OLD.email;
END
$$;
CREATE TRIGGER refuse_delete BEFORE DELETE ON lead
    FOR EACH ROW EXECUTE FUNCTION refuse_delete();

-- a table whose values cannot be nullified: the error's DETAIL quotes the row
CREATE TABLE signup (
    id         integer PRIMARY KEY,
    created_at timestamptz,
    email      text CHECK (email IS NOT NULL),
    full_name  text
);
SECURITY LABEL FOR retention ON COLUMN signup.email
    IS 'category=contact_data anchor=created_at action=nullify';
});

# The personal data, all of it due.
$node->safe_psql(
	'app', qq{
INSERT INTO customer VALUES
    (1, now() - interval '10 days', '$email', '$phone', '$name'),
    (2, now() - interval '10 days', lower('$email'), '00385 99 731-9713', upper('$name')),
    (3, now() - interval '10 days', '$held_email', '$phone', '$name'),
    (4, now() - interval '10 days', 'other\@example.com', '$held_phone', '$name');
INSERT INTO message VALUES
    (1, now() - interval '10 days', '$email', '$phone', '$name'),
    (2, now() - interval '10 days', upper('$email'), '$phone', lower('$name')),
    (3, now() - interval '10 days', '$held_email', '$phone', '$name'),
    (4, now() - interval '10 days', 'other\@example.com', '$held_phone', '$name');
INSERT INTO lead VALUES
    (1, now() - interval '10 days', '$lead_email'),
    (2, now() - interval '10 days', lower('$lead_email'));
INSERT INTO signup VALUES
    (1, now() - interval '10 days', '$email', '$name');
});

# Subject holds, placed with the sentinel identifiers in other spellings.
my $hold_email = $node->safe_psql('app',
	qq{SELECT retention.place_hold('Litigation hold, case 17', subject_kind => 'email',
	                               subject_value => '  ' || upper('$held_email') || ' ')});
my $hold_phone = $node->safe_psql('app',
	q{SELECT retention.place_hold('Litigation hold, case 18', subject_kind => 'phone',
	                              subject_value => '00385 (99) 246-8024')});
like($hold_email, qr/^\d+$/, 'subject hold by e-mail placed');
like($hold_phone, qr/^\d+$/, 'subject hold by phone placed');

# Enforcement, preview, status: what an administrator would run and read.
my ($ret, $stdout, $stderr) = $node->psql('app', 'CALL retention.enforce()');
is($ret, 0, 'CALL retention.enforce() succeeds');
is(join(',', sentinels_in($stdout . $stderr)), '', 'the CALL sends no sentinel to the client');

# It did what it should: something to find in the evidence.
is($node->safe_psql('app', 'SELECT id FROM customer ORDER BY id'),
	"3\n4", 'customer: the held rows (by e-mail and by phone) are kept, the others deleted');
is( $node->safe_psql(
		'app',
		q{SELECT id, email LIKE '%@%', phone LIKE '%*%', sender_name IS NULL FROM message ORDER BY id}),
	"1|f|t|t\n2|f|t|t\n3|t|f|f\n4|t|f|f",
	'message: anonymized (hash, mask, nullify) except the held rows');
is($node->safe_psql('app', 'SELECT count(*) FROM lead'), '2', 'lead: the failing batch deleted nothing');
is($node->safe_psql('app', 'SELECT count(*) FROM signup WHERE email IS NOT NULL'),
	'1', 'signup: the failing batch changed nothing');
is( $node->safe_psql(
		'app',
		q{SELECT table_name, action, rows_processed, rows_held, outcome, error_sqlstate
		    FROM retention.action_log ORDER BY table_name}),
	"public.customer|delete|2|2|done|\n"
	  . "public.lead|delete|0|0|error|P0001\n"
	  . "public.message|anonymize|2|2|done|\n"
	  . "public.signup|anonymize|0|0|error|23514",
	'the evidence records the deletes, the anonymization, the holds and the failure');

my $views = '';
foreach my $q (
	'SELECT * FROM retention.preview()',
	'SELECT * FROM retention.status',
	'SELECT * FROM retention.holds',
	'SELECT * FROM retention.tags',
	'SELECT * FROM retention.run',
	'SELECT * FROM retention.action_log')
{
	($ret, $stdout, $stderr) = $node->psql('app', $q);
	is($ret, 0, "'$q' runs");
	$views .= "$q\n$stdout\n$stderr\n";
}
note($views);
like($views, qr/P0001: a trigger or rule raised an exception/,
	'retention.status shows the failure in the extension\'s words');
is(join(',', sentinels_in($views)), '', 'no sentinel in preview, status, holds, tags or the logs');

# The background worker's runs too: switched on until it has run once (it
# meets the same failing batches), then off again.
$node->append_conf('postgresql.conf', "retention.enabled = on\nretention.naptime = 1");
$node->reload;
ok( $node->poll_query_until(
		'app',
		q{SELECT count(*) > 0 FROM retention.run WHERE origin = 'worker' AND finished_at IS NOT NULL}),
	'the background worker has run');
$node->append_conf('postgresql.conf', 'retention.enabled = off');
$node->reload;
ok( $node->poll_query_until(
		'app',
		q{SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = 'pg_retention worker'}),
	'the background worker has stopped');
is( $node->safe_psql(
		'app',
		q{SELECT status, errors FROM retention.run WHERE origin = 'worker' ORDER BY run_id LIMIT 1}),
	'completed with errors|2', 'the worker run met both failing batches');
($ret, $stdout, $stderr) = $node->psql('app', 'SELECT * FROM retention.status');
is(join(',', sentinels_in($stdout . $stderr)), '', 'no sentinel in the status view after the worker run');

# Every table of the retention schema, read whole as superuser, and the
# schema's pg_dump.
sub evidence_dump
{
	my $tables = $node->safe_psql(
		'app', q{
SELECT format('%I.%I', n.nspname, c.relname)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'retention' AND c.relkind IN ('r', 'p')
 ORDER BY 1});
	my @tables = split /\n/, $tables;
	my $text = '';
	foreach my $t (@tables)
	{
		$text .= "-- $t\n" . $node->safe_psql('app', "COPY $t TO STDOUT") . "\n";
	}
	my $file = "$tempdir/retention_schema.sql";
	$node->command_ok(
		[
			'pg_dump', '-h', $node->host, '-p', $node->port, '--schema=retention',
			'-f', $file, 'app'
		],
		'pg_dump of the retention schema');
	$text .= slurp_file($file);
	return (\@tables, $text);
}

my ($tables, $dump) = evidence_dump();
note('retention tables: ' . join(' ', @$tables));
ok( (grep { $_ eq 'retention.legal_hold' } @$tables)
	  && (grep { $_ eq 'retention.action_log' } @$tables)
	  && (grep { $_ eq 'retention.run' } @$tables),
	'the dump covers legal_hold, run and action_log');
like($dump, qr/Litigation hold, case 17/, 'the dump holds the legal holds');
like($dump, qr/public\.lead\tpublic\.lead\tdelete\t.*\terror\tP0001\t/,
	'the dump holds the action log, with the failure');
is(join(',', sentinels_in($dump)), '', 'no sentinel in any table of the retention schema or its dump');

# Control: the same search finds the sentinels in the user tables' dump.
my $user_dump = "$tempdir/user_tables.sql";
$node->command_ok(
	[
		'pg_dump', '-h', $node->host, '-p', $node->port, '--data-only',
		'--table=public.customer', '--table=public.lead', '-f', $user_dump, 'app'
	],
	'pg_dump of the user tables');
my $user_text = slurp_file($user_dump);
ok(scalar(sentinels_in($user_text)) >= 5, 'control: the search finds the sentinels in the user tables')
  or diag(join(',', sentinels_in($user_text)));

# The server log, whole.
my $log = slurp_file($node->logfile);
is(join(',', sentinels_in($log)), '', 'no sentinel anywhere in the server log');

# Control: with retention.log_error_details = on, the failing batch's error,
# which quotes the row, goes to the server log (and to the client).
my $log_offset = -s $node->logfile;
($ret, $stdout, $stderr) = $node->psql('app',
	"SET retention.log_error_details = on;\nCALL retention.enforce();");
is($ret, 0, 'another run with retention.log_error_details = on');
like($stderr, qr/WARNING:  pg_retention: batch on public\.lead failed: bad row \Q$lead_email\E/i,
	'control: the client gets the full error, with the row value');
ok( $node->wait_for_log(qr/pg_retention: batch on public\.lead failed: bad row \Q$lead_email\E/i,
		$log_offset),
	'control: the full error, with the sentinel, is in the server log');
like($stderr, qr/WARNING:  pg_retention: batch on public\.signup failed: .*check constraint.*\nDETAIL:  Failing row contains \(1, .*\Q$name\E\)/,
	'control: ... and a constraint error with the row in its DETAIL');
my $new_log = substr(slurp_file($node->logfile), $log_offset);
ok(scalar(sentinels_in($new_log)) > 0, 'control: the log search finds it');

# Even then the evidence holds no sentinel.
($tables, $dump) = evidence_dump();
like($dump, qr/public\.lead\tpublic\.lead\tdelete\t.*\terror\tP0001\t/,
	'the second run is in the action log too');
is(join(',', sentinels_in($dump)), '', 'with log_error_details = on, still no sentinel in the evidence');

$node->stop;

done_testing();
