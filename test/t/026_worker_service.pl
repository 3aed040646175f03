# Every database is served, nobody without the privileges can pause it, and
# worker_status() says how each stands (issue 11, items 1, 2 and 3b):
#   - 12 databases with the extension and retention.max_workers = 3: each
#     database's due rows are gone within the bound (about ceil(N/W)
#     cycles), never more than 3 workers at once, every database listed
#     with its last completed cycle;
#   - a plain role repeating failing DROP DATABASE, ALTER DATABASE RENAME,
#     CREATE DATABASE ... TEMPLATE and DROP EXTENSION does not stop the
#     database's worker: its runs go on;
#   - a cycle that fails as a whole: one WARNING when the database starts
#     failing, not one per cycle; the retry waits retention.naptime; state
#     'failing' with the count of failures; a LOG and state 'idle' once it
#     completes again;
#   - with max_worker_processes = 5 (the launcher, the logical replication
#     launcher, retention.max_workers = 3) and three databases, a parallel query gets its two workers while the databases
#     wait for their next turn (no slot held while idle);
#   - a cycle cancelled (pg_cancel_backend) or terminated
#     (pg_terminate_backend) shows as 'cancelled' / 'terminated' at once;
#   - worker_status() works with the 0.1.0 definition of the function (8
#     columns) until ALTER EXTENSION UPDATE, then with the new columns.

use strict;
use warnings;

use POSIX qw(ceil);
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

my $ndb      = 12;
my $nworkers = 3;
my $naptime  = 2;

my $node = PostgreSQL::Test::Cluster->new('worker_service');
$node->init;
$node->append_conf(
	'postgresql.conf', qq{
shared_preload_libraries = 'pg_retention'
retention.naptime = $naptime
retention.max_workers = $nworkers
max_worker_processes = 8
});
$node->start;

# Every new database comes with the extension and a tagged table.
$node->safe_psql(
	'template1', q{
CREATE EXTENSION pg_retention;
SELECT retention.define_category('short_lived', '1 day');
CREATE TABLE event (id integer PRIMARY KEY, created_at timestamptz NOT NULL);
SECURITY LABEL FOR retention ON TABLE event IS 'category=short_lived anchor=created_at';
});
my @dbs = map { "db$_" } 1 .. $ndb;
$node->safe_psql('postgres', "CREATE DATABASE $_") foreach @dbs;
my $in_dbs = join(', ', map { "'$_'" } @dbs);

# worker_status() is per cluster; ask it from db1.
ok( poll_until(
		$node, 'db1', qq{
SELECT count(*) FROM retention.worker_status()
 WHERE role = 'worker' AND database IN ($in_dbs) AND last_completed IS NOT NULL}, $ndb, 60),
	"all $ndb databases have completed a cycle");

# ---------------------------------------------------------------------------
# Fair service: due rows in every database at once.
# ---------------------------------------------------------------------------
my $t0 = time;
foreach my $db (@dbs)
{
	$node->safe_psql($db,
		q{INSERT INTO event SELECT i, now() - interval '10 days' FROM generate_series(1, 50) i});
}
my $inserted = time - $t0;
my %left = map { $_ => 1 } @dbs;
my $most = 0;
my $deadline = time + 60;
while (%left && time < $deadline)
{
	foreach my $db (keys %left)
	{
		delete $left{$db} if $node->safe_psql($db, 'SELECT count(*) FROM event') eq '0';
	}
	my $n = $node->safe_psql('postgres',
		q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_retention worker'});
	$most = $n if $n > $most;
	usleep(100_000) if %left;
}
my $elapsed = time - $t0;
is(join(' ', sort keys %left), '', "every database's due rows are gone");
# Each database is due a naptime after its last cycle ended and waits for
# at most ceil(N/W) - 1 cycles of others before it: allow ceil(N/W) + 1
# naptimes (cycles here take well under a naptime), plus the inserts.
my $bound = (ceil($ndb / $nworkers) + 1) * $naptime + $inserted;
cmp_ok($elapsed, '<', $bound,
	sprintf('... within the bound of %.1f s (took %.1f s)', $bound, $elapsed));
cmp_ok($most, '<=', $nworkers, "... never more than $nworkers workers at once (saw $most)");
foreach my $db (@dbs)
{
	is( $node->safe_psql(
			$db, q{
SELECT min(r.origin) || '|' || sum(a.rows_processed)
  FROM retention.action_log a JOIN retention.run r USING (run_id)
 WHERE a.table_name = 'public.event' AND a.rows_processed > 0}),
		'worker|50', "$db: the 50 rows were deleted by a worker run");
}
is( $node->safe_psql(
		'db1', qq{
SELECT count(*) FROM retention.worker_status()
 WHERE role = 'worker' AND state IN ('idle', 'starting', 'enforcing') AND failures = 0
   AND since_completed < interval '30 s'}),
	$ndb, "worker_status(): $ndb databases, each recently completed, none failing");
is($node->safe_psql('db1', q{SELECT count(*) FROM retention.worker_status() WHERE database = 'postgres'}),
	'0', 'worker_status(): database postgres (no extension) is not listed');
ok(!$node->log_contains(qr/WARNING:  pg_retention/), 'no pg_retention WARNING in the log');

# ---------------------------------------------------------------------------
# A plain role cannot pause a database's worker with failing commands.
# ---------------------------------------------------------------------------
$node->safe_psql('postgres', 'CREATE ROLE regress_attacker LOGIN');
my $runs_before = $node->safe_psql('db1', 'SELECT max(run_id) FROM retention.run');
my ($attempts, $refused, $new_runs) = (0, 0, 0);
$deadline = time + 30;
while (time < $deadline)
{
	foreach my $attack (
		[ 'postgres', 'DROP DATABASE db1' ],
		[ 'postgres', 'ALTER DATABASE db1 RENAME TO stolen' ],
		[ 'postgres', 'CREATE DATABASE copied TEMPLATE db1' ],
		[ 'db1',      'DROP EXTENSION pg_retention' ])
	{
		my ($ret, $stdout, $stderr) = $node->psql($attack->[0],
			"SET ROLE regress_attacker;\n$attack->[1];",
			on_error_stop => 1);
		$attempts++;
		$refused++ if $ret != 0 && $stderr =~ /must be owner|permission denied/;
	}
	$new_runs = $node->safe_psql('db1',
		qq{SELECT count(*) FROM retention.run WHERE run_id > $runs_before AND status = 'completed'});
	last if $new_runs >= 3;
}
is($refused, $attempts, "a plain role's DROP/RENAME/TEMPLATE/DROP EXTENSION are refused ($attempts attempts)");
cmp_ok($new_runs, '>=', 3, "... and db1's worker runs went on meanwhile ($new_runs completed runs)");
is( $node->safe_psql(
		'db1', q{SELECT count(*) FROM retention.run WHERE status = 'interrupted'}),
	'0', '... none of them interrupted');
is($node->safe_psql('db1', q{SELECT state FROM retention.worker_status() WHERE database = 'db1'}) =~
	  /paused|terminated/ ? 'paused' : 'not paused',
	'not paused', '... worker_status() never shows db1 paused or terminated');

# ---------------------------------------------------------------------------
# A cycle failing as a whole: one WARNING, retries a naptime apart.
# ---------------------------------------------------------------------------
my $offset = -s $node->logfile;
$node->safe_psql('db2', 'ALTER TABLE retention.run RENAME TO run_away');
ok( poll_until(
		$node, 'db2', q{
SELECT failures >= 1 AND state = 'failing' FROM retention.worker_status() WHERE database = 'db2'}, 't', 20),
	'a cycle failing as a whole: state failing');
my $failing_since = time;
ok( poll_until(
		$node, 'db2', q{SELECT failures >= 3 FROM retention.worker_status() WHERE database = 'db2'},
		't', 20),
	'... retried');
my $took = time - $failing_since;
cmp_ok($took, '>=', 2 * $naptime - 0.5,
	sprintf('... each retry after retention.naptime: 2 more failures took %.1f s', $took));
like(
	$node->safe_psql('db2', q{SELECT message FROM retention.worker_status() WHERE database = 'db2'}),
	qr/^last cycle failed: SQLSTATE [0-9A-Z]{5}; retrying after retention.naptime$/,
	'... worker_status() says why, with the SQLSTATE');
# one WARNING per SQLSTATE, not one per cycle (a cycle already running when
# the table was renamed may fail with another SQLSTATE than the next ones)
my @warnings = (slurp_file($node->logfile, $offset) =~
	  /WARNING:  pg_retention worker: enforcement in database "db2" is failing \(SQLSTATE (\w+)\)/g);
my %distinct = map { $_ => 1 } @warnings;
cmp_ok(scalar(@warnings), '>=', 1, '... a WARNING in the log');
is(scalar(@warnings), scalar(keys %distinct),
	'... one WARNING per SQLSTATE, not one per cycle (' . join(', ', @warnings) . ')');
$node->safe_psql('db2', 'ALTER TABLE retention.run_away RENAME TO run');
ok( poll_until(
		$node, 'db2', q{
SELECT state || '|' || failures FROM retention.worker_status() WHERE database = 'db2'}, 'idle|0', 20),
	'... completes again once repaired: idle, no failures');
ok(eval { $node->wait_for_log(qr/LOG:  pg_retention worker: enforcement in database "db2" completed again/, $offset) },
	'... and the log says so');

$node->stop;

# ---------------------------------------------------------------------------
# No slot held while idle: a parallel query gets its workers.
# ---------------------------------------------------------------------------
my $small = PostgreSQL::Test::Cluster->new('worker_slots');
$small->init;
$small->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'pg_retention'
retention.naptime = 3600
retention.max_workers = 3
max_worker_processes = 5
max_parallel_workers = 4
max_parallel_workers_per_gather = 2
});
$small->start;
$small->safe_psql('template1', 'CREATE EXTENSION pg_retention');
$small->safe_psql('postgres', "CREATE DATABASE $_") foreach qw(a b c);
ok( poll_until(
		$small, 'a', q{
SELECT count(*) FROM retention.worker_status()
 WHERE database IN ('a', 'b', 'c') AND state = 'idle' AND last_completed IS NOT NULL}, '3', 30),
	'max_worker_processes = 5, three databases: each has completed a cycle and waits for its next turn');
$small->safe_psql(
	'a', q{
CREATE TABLE big AS SELECT i FROM generate_series(1, 100000) i;
ANALYZE big;
});
my $plan = $small->safe_psql(
	'a', q{
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT count(*) FROM big;
});
like($plan, qr/Workers Planned: 2/, 'a parallel query plans 2 workers');
like($plan, qr/Workers Launched: 2/, '... and gets both: no worker slot is held by an idle database');

# ---------------------------------------------------------------------------
# Cancelled and terminated cycles show as such at once.
# ---------------------------------------------------------------------------
# One transaction: CREATE EXTENSION wakes the launcher at commit, and the
# cycle then finds the slow table (every deleted row sleeps 20 ms).
$small->safe_psql('postgres', 'CREATE DATABASE slowdb');
$small->safe_psql(
	'slowdb', q{
BEGIN;
CREATE TABLE slow (id integer PRIMARY KEY, created_at timestamptz NOT NULL);
CREATE FUNCTION slow_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_sleep(0.02);
    RETURN OLD;
END
$$;
CREATE TRIGGER slow_row BEFORE DELETE ON slow FOR EACH ROW EXECUTE FUNCTION slow_row();
INSERT INTO slow SELECT i, now() - interval '10 days' FROM generate_series(1, 3000) i;
DROP EXTENSION IF EXISTS pg_retention;
CREATE EXTENSION pg_retention;
SELECT retention.define_category('short_lived', '1 day');
SECURITY LABEL FOR retention ON TABLE slow IS 'category=short_lived anchor=created_at';
COMMIT;
});
my $busy_sql = q{
SELECT pid FROM pg_stat_activity
 WHERE backend_type = 'pg_retention worker' AND datname = 'slowdb' AND wait_event = 'PgSleep'};
ok( poll_until(
		$small, 'slowdb', "SELECT count(*) FROM ($busy_sql) w", '1', 30),
	'slowdb: its worker is in the middle of a slow batch');
is( $small->safe_psql(
		'slowdb', q{SELECT state || '|' || (pid IS NOT NULL) FROM retention.worker_status() WHERE database = 'slowdb'}),
	'enforcing|true', '... worker_status(): enforcing, with its pid');
my $pid = $small->safe_psql('slowdb', $busy_sql);
$small->safe_psql('slowdb', "SELECT pg_cancel_backend($pid)");
ok( poll_until(
		$small, 'slowdb', q{
SELECT state || '|' || message || '|' || (pid IS NULL)
  FROM retention.worker_status() WHERE database = 'slowdb'}, 'cancelled|the cycle was cancelled|true', 10),
	'pg_cancel_backend(): worker_status() shows the cycle cancelled at once');

# The next cycle: ask for it as CREATE EXTENSION does.
$small->safe_psql('slowdb', 'BEGIN; SELECT retention._worker_wake(); COMMIT;');
ok( poll_until(
		$small, 'slowdb', "SELECT count(*) FROM ($busy_sql) w", '1', 30),
	'woken again: the worker is in the middle of a slow batch');
$pid = $small->safe_psql('slowdb', $busy_sql);
$small->safe_psql('slowdb', "SELECT pg_terminate_backend($pid)");
ok( poll_until(
		$small, 'slowdb', q{
SELECT state || '|' || message || '|' || (pid IS NULL)
  FROM retention.worker_status() WHERE database = 'slowdb'}, 'terminated|the cycle was terminated|true', 10),
	'pg_terminate_backend(): worker_status() shows the cycle terminated at once');

# ---------------------------------------------------------------------------
# worker_status() with the 0.1.0 definition, then after the update.
# ---------------------------------------------------------------------------
$small->safe_psql('postgres', 'CREATE DATABASE old TEMPLATE template0');
$small->safe_psql('old', q{CREATE EXTENSION pg_retention VERSION '0.1.0'});
is( $small->safe_psql(
		'old', q{
SELECT count(*) > 0 AND count(*) FILTER (WHERE role = 'launcher' AND state = 'running') = 1
  FROM retention.worker_status()}),
	't', 'worker_status() of 0.1.0 (8 columns) works with the new library');
$small->safe_psql('old', 'ALTER EXTENSION pg_retention UPDATE');
ok( poll_until(
		$small, 'old', q{
SELECT count(*) FROM retention.worker_status()
 WHERE database = 'old' AND last_completed IS NOT NULL AND since_completed IS NOT NULL AND failures = 0}, '1', 30),
	'... and after ALTER EXTENSION UPDATE, its new columns');

$small->stop;

done_testing();
