# The background workers do their job without anyone calling anything:
#   - due rows are deleted within about one retention.naptime, by runs whose
#     origin is 'worker';
#   - rows that fall due later are deleted shortly after they fall due, and
#     not before;
#   - pg_stat_activity shows the launcher (sleeping on wait_event_type
#     Extension); a worker runs one cycle and exits, so none stays connected
#     between cycles; retention.worker_status() shows the database idle,
#     with its last completed cycle and run;
#   - a database without the extension gets no permanent worker and is not
#     listed;
#   - CREATE EXTENSION in a new database starts its worker at once (the
#     launcher is woken; it would otherwise look again only after 10
#     naptimes), DROP EXTENSION makes it go away for good;
#   - retention.databases limits the databases served, on reload;
#   - retention.max_workers = 1 with two databases that have the extension:
#     both are served, in turn, by one worker at a time.

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

# Samples the pids of the pg_retention workers connected to $db $n times,
# half a second apart; returns the largest number of samples one pid was
# seen in (a worker that stays shows up in every sample).
sub worker_persistence
{
	my ($node, $db, $n) = @_;
	my %seen;
	for (1 .. $n)
	{
		my $pids = $node->safe_psql('postgres',
			qq{SELECT string_agg(pid::text, ' ') FROM pg_stat_activity
			    WHERE backend_type = 'pg_retention worker' AND datname = '$db'});
		$seen{$_}++ foreach split ' ', $pids;
		usleep(500_000);
	}
	my $max = 0;
	foreach (values %seen) { $max = $_ if $_ > $max; }
	return $max;
}

my $node = PostgreSQL::Test::Cluster->new('worker_basics');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'pg_retention'
retention.naptime = 1
});
$node->start;

$node->safe_psql('postgres', 'CREATE DATABASE app');
$node->safe_psql(
	'app', q{
CREATE EXTENSION pg_retention;
SELECT retention.define_category('short_lived', '1 day');
SELECT retention.define_category('instant', '0');
CREATE TABLE event (id integer PRIMARY KEY, created_at timestamptz NOT NULL);
SECURITY LABEL FOR retention ON TABLE event IS 'category=short_lived anchor=created_at';
CREATE TABLE reminder (id integer PRIMARY KEY, remind_at timestamptz NOT NULL);
SECURITY LABEL FOR retention ON TABLE reminder IS 'category=instant anchor=remind_at';
});

# The worker of app is up (CREATE EXTENSION woke the launcher; this is
# tested on its own below).
ok( poll_until(
		$node, 'app', q{
SELECT count(*) FROM retention.worker_status()
 WHERE database = 'app' AND last_completed IS NOT NULL}, '1', 20),
	'the worker of app has completed a cycle');

# ---------------------------------------------------------------------------
# Due rows are processed within about one naptime, with no call.
# ---------------------------------------------------------------------------
my $t0 = time;
$node->safe_psql(
	'app', q{
INSERT INTO event SELECT i, now() - interval '10 days' FROM generate_series(1, 300) i;
INSERT INTO event SELECT i, now() FROM generate_series(301, 320) i;
});
ok(poll_until($node, 'app', 'SELECT count(*) FROM event', '20', 20),
	'due rows are deleted by the worker');
my $elapsed = time - $t0;
cmp_ok($elapsed, '<', 5, "... within a few naptimes (took ${\ sprintf('%.1f', $elapsed)} s)");
is( $node->safe_psql(
		'app', q{
SELECT sum(a.rows_processed), count(DISTINCT r.origin), min(r.origin)
  FROM retention.action_log a JOIN retention.run r USING (run_id)
 WHERE a.table_name = 'public.event' AND a.rows_processed > 0}),
	'300|1|worker',
	'the evidence: 300 rows deleted, by runs of origin worker');
is($node->safe_psql('app', q{SELECT count(*) FROM retention.run WHERE origin <> 'worker'}),
	'0', 'no run of another origin');
is($node->safe_psql('app', q{SELECT count(*) FROM event WHERE created_at < now() - interval '1 day'}),
	'0', 'no due row left; the 20 fresh rows stay');

# ---------------------------------------------------------------------------
# Rows that fall due later: deleted shortly after they fall due, not before.
# ---------------------------------------------------------------------------
my $due_at = $node->safe_psql('app',
	q{SELECT (clock_timestamp() + interval '3 seconds')::text});
my $due_epoch = $node->safe_psql('app', qq{SELECT extract(epoch FROM '$due_at'::timestamptz)});
$node->safe_psql('app',
	qq{INSERT INTO reminder SELECT i, '$due_at' FROM generate_series(1, 50) i});
ok(poll_until($node, 'app', 'SELECT count(*) FROM reminder', '0', 20),
	'rows anchored 3 s ahead (period 0) are deleted');
$elapsed = time - $due_epoch;
cmp_ok($elapsed, '<', 4,
	"... shortly after they fell due (${\ sprintf('%.1f', $elapsed)} s after)");
is( $node->safe_psql(
		'app', qq{
SELECT count(*) FILTER (WHERE r.as_of < '$due_at'), sum(a.rows_processed)
  FROM retention.action_log a JOIN retention.run r USING (run_id)
 WHERE a.table_name = 'public.reminder' AND a.rows_processed > 0}),
	'0|50', '... and not before: every run that deleted them computed due times after the due time');
cmp_ok(
	$node->safe_psql(
		'app', qq{
SELECT count(*) FROM retention.run
 WHERE origin = 'worker' AND as_of < '$due_at' AND as_of > '$due_at'::timestamptz - interval '3 seconds'}),
	'>=', 1, '... although worker runs happened while they were not yet due');

# ---------------------------------------------------------------------------
# pg_stat_activity and retention.worker_status().
# ---------------------------------------------------------------------------
is( $node->safe_psql(
		'app', q{
SELECT count(*), min(application_name), count(datname)
  FROM pg_stat_activity WHERE backend_type = 'pg_retention launcher'}),
	'1|pg_retention launcher|0',
	'pg_stat_activity: one launcher, connected to no database');
ok( poll_until(
		$node, 'app', q{
SELECT wait_event_type || '|' || wait_event
  FROM pg_stat_activity WHERE backend_type = 'pg_retention launcher'},
		'Extension|Extension', 10),
	'pg_stat_activity: the launcher sleeps on wait_event_type Extension');
cmp_ok(worker_persistence($node, 'app', 6), '<=', 2,
	'database app: its workers run one cycle each, none stays connected between cycles');
is( $node->safe_psql(
		'app', q{
SELECT s.state || '|' || (s.pid = a.pid)
  FROM retention.worker_status() s
  JOIN pg_stat_activity a ON a.backend_type = 'pg_retention launcher'
 WHERE s.role = 'launcher'}),
	'running|true',
	'worker_status(): the launcher is running, with its pid');
ok( poll_until(
		$node, 'app', q{
SELECT s.state IN ('idle', 'starting', 'enforcing')
       AND (s.pid IS NULL) = (s.state <> 'enforcing')
       AND s.last_cycle_end IS NOT NULL
       AND s.last_completed IS NOT NULL
       AND s.since_completed < interval '10 s'
       AND s.failures = 0
       AND EXISTS (SELECT FROM retention.run r WHERE r.run_id = s.last_run_id AND r.origin = 'worker')
  FROM retention.worker_status() s
 WHERE s.role = 'worker' AND s.database = 'app'}, 't', 10),
	'worker_status(): database app idle or enforcing, a pid only while enforcing, its last completed cycle and run (origin worker)'
);
is( $node->safe_psql(
		'app', q{SELECT count(*) FROM retention.worker_status() WHERE role = 'worker' AND database = 'app'}),
	'1', 'worker_status(): one row for database app');

# ---------------------------------------------------------------------------
# A database without the extension gets no permanent worker.
# ---------------------------------------------------------------------------
is( $node->safe_psql(
		'app', q{
SELECT count(*) FROM retention.worker_status() WHERE database = 'postgres'}),
	'0', 'worker_status(): database postgres (no extension) is not listed');
cmp_ok(worker_persistence($node, 'postgres', 6), '<=', 1,
	'database postgres (no extension): no worker stays connected');

# ---------------------------------------------------------------------------
# CREATE EXTENSION in a new database starts its worker at once.
# ---------------------------------------------------------------------------
$node->safe_psql('postgres', 'CREATE DATABASE late');
my $late_oid = $node->safe_psql('postgres', q{SELECT oid FROM pg_database WHERE datname = 'late'});

# Wait until the launcher has looked at "late" and found no extension (the
# postmaster says at DEBUG1 that its worker there has ended): from then on
# it would look again only after 10 naptimes.
my $offset = -s $node->logfile;
$node->safe_psql('postgres', q{ALTER SYSTEM SET log_min_messages = debug1; SELECT pg_reload_conf()});
{
	local $PostgreSQL::Test::Utils::timeout_default = 30;
	$node->wait_for_log(qr/unregistering background worker "pg_retention worker for database $late_oid"/,
		$offset);
}

$t0 = time;
$node->safe_psql(
	'late', q{
CREATE EXTENSION pg_retention;
SELECT retention.define_category('short_lived', '1 day');
CREATE TABLE event (id integer PRIMARY KEY, created_at timestamptz NOT NULL);
SECURITY LABEL FOR retention ON TABLE event IS 'category=short_lived anchor=created_at';
INSERT INTO event SELECT i, now() - interval '10 days' FROM generate_series(1, 10) i;
});
ok( poll_until(
		$node, 'app', q{
SELECT count(*) FROM retention.worker_status()
 WHERE database = 'late' AND last_completed IS NOT NULL}, '1', 15),
	'CREATE EXTENSION in a new database: its worker runs');
$elapsed = time - $t0;
cmp_ok($elapsed, '<', 5,
	"... within a few seconds, not after 10 naptimes (took ${\ sprintf('%.1f', $elapsed)} s)");
ok(poll_until($node, 'late', 'SELECT count(*) FROM event', '0', 10),
	'... and enforces there');
# (DEBUG1 stayed on until here: the log shows when the worker of late
# started and ended, should the above fail.)
$node->safe_psql('postgres', q{ALTER SYSTEM RESET log_min_messages; SELECT pg_reload_conf()});

# ---------------------------------------------------------------------------
# DROP EXTENSION: the worker goes away.
# ---------------------------------------------------------------------------
$node->safe_psql('late', 'DROP EXTENSION pg_retention');
ok( poll_until(
		$node, 'postgres', q{
SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_retention worker' AND datname = 'late'},
		'0', 10),
	'DROP EXTENSION: the worker of the database exits');
is( $node->safe_psql(
		'app', q{
SELECT count(*) FROM retention.worker_status() WHERE database = 'late' AND pid IS NOT NULL}),
	'0', '... worker_status() no longer shows it running');
my $dropped_at = time;

# ---------------------------------------------------------------------------
# retention.databases = 'other' (reload): database app is no longer served.
# ---------------------------------------------------------------------------
$node->safe_psql('postgres',
	q{ALTER SYSTEM SET retention.databases = 'other'; SELECT pg_reload_conf()});
ok( poll_until(
		$node, 'postgres', q{
SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_retention worker' AND datname = 'app'},
		'0', 10),
	"retention.databases = 'other': the worker of app exits");
$node->safe_psql('app',
	q{INSERT INTO event SELECT i, now() - interval '10 days' FROM generate_series(1001, 1010) i});
my $kept = 1;
for (1 .. 4)
{
	usleep(1_000_000);
	$kept = 0
	  unless $node->safe_psql('app', 'SELECT count(*) FROM event WHERE id > 1000') eq '10';
}
ok($kept, '... due rows in app are not processed for several naptimes');
is( $node->safe_psql(
		'app', q{
SELECT count(*) FROM retention.worker_status() WHERE database = 'app' AND pid IS NOT NULL}),
	'0', '... worker_status() shows no running worker for app');

$node->safe_psql('postgres',
	q{ALTER SYSTEM RESET retention.databases; SELECT pg_reload_conf()});
ok(poll_until($node, 'app', 'SELECT count(*) FROM event WHERE id > 1000', '0', 10),
	'retention.databases reset: app is served again');

# The database that dropped the extension stayed without a worker, past
# the pause DROP EXTENSION asked for (10 s) and a recheck.
my $wait = 12 - (time - $dropped_at);
usleep($wait * 1_000_000) if $wait > 0;
cmp_ok(worker_persistence($node, 'late', 4), '<=', 1,
	'DROP EXTENSION: no worker stays in the database afterwards');
ok( poll_until(
		$node, 'app', q{SELECT count(*) FROM retention.worker_status() WHERE database = 'late'},
		'0', 15),
	'... worker_status() no longer lists it (no extension)');

# ---------------------------------------------------------------------------
# retention.max_workers = 1 and two databases with the extension.
# ---------------------------------------------------------------------------
$node->safe_psql('postgres', 'CREATE DATABASE app2');
$node->safe_psql('app2', 'CREATE EXTENSION pg_retention');
my %oid;
foreach my $db ('app', 'app2')
{
	$oid{$db} = $node->safe_psql('postgres', qq{SELECT oid FROM pg_database WHERE datname = '$db'});
}
$node->stop;
$node->append_conf('postgresql.conf', 'retention.max_workers = 1');
$offset = -s $node->logfile;
$node->start;

ok( poll_until(
		$node, 'app', q{
SELECT count(*) FILTER (WHERE last_completed > pg_postmaster_start_time())
  FROM retention.worker_status() WHERE role = 'worker' AND database IN ('app', 'app2')}, '2', 15),
	'retention.max_workers = 1: both databases are served');
my $most = 0;
for (1 .. 10)
{
	my $n = $node->safe_psql('postgres',
		q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_retention worker'});
	$most = $n if $n > $most;
	usleep(200_000);
}
cmp_ok($most, '<=', 1, '... by one worker at a time');
ok(!$node->log_contains(qr/WARNING:  pg_retention/, $offset), '... with no WARNING in the log');
$node->stop;

done_testing();
