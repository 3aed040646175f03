# Commands that need a database to themselves succeed while that
# database's worker is in the middle of a long batch (a row trigger that
# sleeps): DROP DATABASE, ALTER DATABASE ... RENAME TO, CREATE DATABASE ...
# TEMPLATE, and DROP EXTENSION pg_retention.  Without help from the
# extension the first three fail with "database ... is being accessed by
# other users" and the last waits for the batch.  Each must complete
# promptly, without that error; the worker of another database is not
# disturbed; the renamed database is served again; after DROP EXTENSION and
# CREATE EXTENSION the worker comes back and enforces a tag on a table
# created after the re-creation.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

# poll_query_until, giving up after about $seconds.
sub poll_until
{
	my ($node, $db, $sql, $expected, $seconds) = @_;
	local $PostgreSQL::Test::Utils::timeout_default = $seconds;
	return $node->poll_query_until($db, $sql, $expected);
}

my $node = PostgreSQL::Test::Cluster->new('worker_lifecycle');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'pg_retention'
retention.naptime = 1
retention.max_workers = 10
max_worker_processes = 16
});
$node->start;

# The extension comes with every new database (from template1).
$node->safe_psql('template1', 'CREATE EXTENSION pg_retention');

# The control database: its worker must not be disturbed.
$node->safe_psql('postgres', 'CREATE DATABASE app');
my $worker_of = q{
SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_retention worker' AND datname = '%s'};

# A database whose worker is busy: 3000 due rows, each delete sleeps 10 ms,
# so a batch (retention.batch_size 1000) takes 10 s.
sub busy_database
{
	my ($db) = @_;
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql(
		$db, q{
SELECT retention.define_category('short_lived', '1 day');
CREATE TABLE slow (id integer PRIMARY KEY, created_at timestamptz NOT NULL);
CREATE FUNCTION slow_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_sleep(0.01);
    RETURN OLD;
END
$$;
CREATE TRIGGER slow_row BEFORE DELETE ON slow FOR EACH ROW EXECUTE FUNCTION slow_row();
SECURITY LABEL FOR retention ON TABLE slow IS 'category=short_lived anchor=created_at';
INSERT INTO slow SELECT i, now() - interval '10 days' FROM generate_series(1, 3000) i;
});
	ok( poll_until(
			$node, 'postgres', qq{
SELECT count(*) FROM pg_stat_activity
 WHERE backend_type = 'pg_retention worker' AND datname = '$db' AND wait_event = 'PgSleep'}, '1', 20),
		"$db: the worker is in the middle of a slow batch");
	return $node->safe_psql('postgres', sprintf($worker_of, $db));
}

# Runs a command that needs $db to itself, with a 30 s guard; checks that it
# succeeded promptly, without "being accessed by other users".
sub runs_alone
{
	my ($from, $sql, $what) = @_;
	my ($stdout, $stderr, $timed_out);
	my $t0  = time;
	my $ret = $node->psql(
		$from, "SET statement_timeout = '30s';\n$sql",
		stdout    => \$stdout,
		stderr    => \$stderr,
		timeout   => 40,
		timed_out => \$timed_out);
	my $elapsed = time - $t0;
	ok(!$timed_out && $ret == 0, "$what: succeeds") or diag("stderr: $stderr");
	unlike($stderr, qr/being accessed by other users/, "$what: no 'being accessed by other users'");
	cmp_ok($elapsed, '<', 8,
		"$what: completes without waiting for the batch (${\ sprintf('%.1f', $elapsed)} s)");
}

ok( poll_until(
		$node, 'app', q{
SELECT count(*) FROM retention.worker_status()
 WHERE database = 'app' AND last_completed IS NOT NULL}, '1', 20),
	'the worker of app has completed a cycle');
my $app_runs = $node->safe_psql('app', 'SELECT max(run_id) FROM retention.run');

# ---------------------------------------------------------------------------
# DROP DATABASE
# ---------------------------------------------------------------------------
my $pid = busy_database('doomed');
my $doomed_oid = $node->safe_psql('postgres', q{SELECT oid FROM pg_database WHERE datname = 'doomed'});
runs_alone('postgres', 'DROP DATABASE doomed', 'DROP DATABASE');
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_database WHERE datname = 'doomed'}),
	'0', 'DROP DATABASE: the database is gone');
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_stat_activity WHERE pid = $pid"),
	'0', 'DROP DATABASE: its worker is gone');
ok( poll_until(
		$node, 'app', q{
SELECT count(*) FROM retention.worker_status() WHERE database IN ('doomed', '(dropped)')}, '0', 10),
	'DROP DATABASE: worker_status() forgets the database');

# ---------------------------------------------------------------------------
# ALTER DATABASE ... RENAME TO
# ---------------------------------------------------------------------------
$pid = busy_database('oldname');
runs_alone('postgres', 'ALTER DATABASE oldname RENAME TO newname', 'ALTER DATABASE RENAME');
is($node->safe_psql('newname', 'SELECT current_database()'), 'newname',
	'ALTER DATABASE RENAME: the database has its new name');
my $left = $node->safe_psql('newname', 'SELECT count(*) FROM slow');
is($left % 1000, 0, "ALTER DATABASE RENAME: the batch in progress rolled back ($left rows left)");
ok( poll_until(
		$node, 'app', q{
SELECT count(*) FROM retention.worker_status()
 WHERE database = 'newname' AND pid IS NOT NULL AND state = 'enforcing'}, '1', 25),
	'ALTER DATABASE RENAME: the worker comes back for the renamed database');
ok( poll_until(
		$node, 'postgres', q{
SELECT count(*) FROM pg_stat_activity
 WHERE backend_type = 'pg_retention worker' AND datname = 'newname' AND wait_event = 'PgSleep'}, '1', 10),
	'... and goes on enforcing there');

# ---------------------------------------------------------------------------
# CREATE DATABASE ... TEMPLATE
# ---------------------------------------------------------------------------
$pid = busy_database('source');
runs_alone('postgres', 'CREATE DATABASE copy TEMPLATE source', 'CREATE DATABASE TEMPLATE');
$left = $node->safe_psql('copy', 'SELECT count(*) FROM slow');
is($left % 1000, 0, "CREATE DATABASE TEMPLATE: the copy has no half batch ($left rows)");

# ---------------------------------------------------------------------------
# DROP EXTENSION pg_retention, then CREATE EXTENSION again.
# ---------------------------------------------------------------------------
$pid = busy_database('cycle');
runs_alone('cycle', 'DROP EXTENSION pg_retention', 'DROP EXTENSION');
is($node->safe_psql('cycle', q{SELECT count(*) FROM pg_extension WHERE extname = 'pg_retention'}),
	'0', 'DROP EXTENSION: the extension is gone');
ok( poll_until(
		$node, 'postgres',
		q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_retention worker' AND datname = 'cycle'},
		'0', 10),
	'DROP EXTENSION: the worker of the database is gone');
$left = $node->safe_psql('cycle', 'SELECT count(*) FROM slow');
is($left % 1000, 0, "DROP EXTENSION: the batch in progress rolled back ($left rows left)");

# Re-create; the old table goes, a new table is tagged.
$node->safe_psql('cycle', 'DROP TABLE slow');
my $t0 = time;
$node->safe_psql(
	'cycle', q{
CREATE EXTENSION pg_retention;
SELECT retention.define_category('brief', '1 hour');
CREATE TABLE visit (id integer PRIMARY KEY, seen_at timestamptz NOT NULL);
SECURITY LABEL FOR retention ON TABLE visit IS 'category=brief anchor=seen_at';
INSERT INTO visit SELECT i, now() - interval '2 hours' FROM generate_series(1, 100) i;
INSERT INTO visit SELECT i, now() FROM generate_series(101, 110) i;
});
ok(poll_until($node, 'cycle', 'SELECT count(*) FROM visit', '10', 25),
	'CREATE EXTENSION again: the worker comes back and enforces a tag on a new table');
my $elapsed = time - $t0;
cmp_ok($elapsed, '<', 5,
	"... promptly: CREATE EXTENSION lifts the pause (${\ sprintf('%.1f', $elapsed)} s)");
is( $node->safe_psql(
		'cycle', q{
SELECT r.origin || '|' || a.rows_processed || '|' || r.status
  FROM retention.action_log a JOIN retention.run r USING (run_id)
 WHERE a.table_name = 'public.visit' AND a.rows_processed > 0}),
	'worker|100|completed', '... with fresh evidence in the new extension\'s tables');
ok( poll_until(
		$node, 'app', q{
SELECT last_completed IS NOT NULL AND failures = 0
  FROM retention.worker_status() WHERE database = 'cycle'}, 't', 10),
	'... and worker_status() shows it');

# The workers of app went on through all of this, never cut short.
is( $node->safe_psql(
		'app', qq{
SELECT count(*) > 5 AND count(*) = count(*) FILTER (WHERE status = 'completed')
  FROM retention.run WHERE run_id > $app_runs AND finished_at IS NOT NULL}),
	't', 'the workers of app were not disturbed: their runs went on and completed');
is($node->safe_psql('app', q{SELECT state <> 'terminated' FROM retention.worker_status() WHERE database = 'app'}),
	't', '... and worker_status() shows none terminated');

$node->stop;

done_testing();
