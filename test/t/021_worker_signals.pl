# The workers and signals:
#   - SIGHUP (reload): new retention.batch_size and retention.naptime are
#     used by the next runs (batches in retention.action_log, gaps between
#     runs in retention.run);
#   - retention.enabled = off (reload): the workers exit, new due rows stay
#     for several naptimes; on again: they are processed;
#   - SIGTERM (pg_terminate_backend) of a worker in the middle of a slow
#     batch: the batch rolls back (the rows gone are exactly the committed
#     batches the evidence counts), the launcher starts a new worker that
#     finishes the job, and the interrupted run is marked 'interrupted';
#   - SIGKILL of a worker in the middle of a slow batch: the postmaster goes
#     through crash recovery, the launcher comes back, enforcement resumes
#     and finishes, and the evidence adds up.

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

my $node = PostgreSQL::Test::Cluster->new('worker_signals');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'pg_retention'
restart_after_crash = on
retention.naptime = 1
retention.batch_size = 100
# batches of seconds here: no pauses of four times that (029_pacing.pl)
retention.max_load = 100
});
$node->start;

# The extension comes with the database (from template1), so the launcher
# finds it on its first look.
$node->safe_psql('template1', 'CREATE EXTENSION pg_retention');
$node->safe_psql('postgres',  'CREATE DATABASE app');
$node->safe_psql(
	'app', q{
SELECT retention.define_category('short_lived', '1 day');
CREATE TABLE event (id integer PRIMARY KEY, created_at timestamptz NOT NULL);
SECURITY LABEL FOR retention ON TABLE event IS 'category=short_lived anchor=created_at';

-- every deleted row costs 5 ms: a batch of 500 takes 2.5 s
CREATE TABLE slow (id integer PRIMARY KEY, created_at timestamptz NOT NULL);
CREATE FUNCTION slow_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_sleep(0.005);
    RETURN OLD;
END
$$;
CREATE TRIGGER slow_row BEFORE DELETE ON slow FOR EACH ROW EXECUTE FUNCTION slow_row();
SECURITY LABEL FOR retention ON TABLE slow IS 'category=short_lived anchor=created_at';
});

my $worker_pid_sql = q{
SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_retention worker' AND datname = 'app'};

ok( poll_until(
		$node, 'app', q{
SELECT count(*) FROM retention.worker_status()
 WHERE database = 'app' AND last_completed IS NOT NULL}, '1', 20),
	'the worker of app has completed a cycle');

# ---------------------------------------------------------------------------
# SIGHUP: batch size and naptime.
# ---------------------------------------------------------------------------
$node->safe_psql('app',
	q{INSERT INTO event SELECT i, now() - interval '10 days' FROM generate_series(1, 250) i});
ok(poll_until($node, 'app', 'SELECT count(*) FROM event', '0', 15),
	'retention.batch_size = 100: 250 due rows deleted');
is( $node->safe_psql(
		'app', q{
SELECT string_agg(rows_processed || ' rows in ' || batches || ' batches', ', ')
  FROM retention.action_log WHERE table_name = 'public.event' AND rows_processed > 0}),
	'250 rows in 3 batches', '... in batches of 100');

my $reload_at = $node->safe_psql('app', 'SELECT clock_timestamp()');
$node->append_conf(
	'postgresql.conf', q{
retention.batch_size = 40
retention.naptime = 3
});
$node->reload;

# Three runs that started after the reload: the new settings are in force.
ok( poll_until(
		$node, 'app', qq{
SELECT count(*) >= 3 FROM retention.run
 WHERE origin = 'worker' AND started_at > '$reload_at' AND finished_at IS NOT NULL}, 't', 30),
	'runs go on after the reload');
$node->safe_psql('app',
	q{INSERT INTO event SELECT i, now() - interval '10 days' FROM generate_series(1001, 1130) i});
ok(poll_until($node, 'app', 'SELECT count(*) FROM event', '0', 15),
	'after the reload: 130 due rows deleted');
is( $node->safe_psql(
		'app', q{
SELECT string_agg(rows_processed || ' rows in ' || batches || ' batches', ', ' ORDER BY action_id)
  FROM retention.action_log WHERE table_name = 'public.event' AND rows_processed > 0}),
	'250 rows in 3 batches, 130 rows in 3 batches',
	'... in batches of 40: the new retention.batch_size is used (40, then more with the backlog; 100 would take 2)');

# Gaps between the end of a worker run and the start of the next one.
my $gaps_sql = q{
SELECT coalesce(round(min(gap)::numeric, 2), -1) || '|' || coalesce(round(max(gap)::numeric, 2), -1)
  FROM (SELECT extract(epoch FROM started_at - lag(finished_at) OVER (ORDER BY run_id)) AS gap,
               started_at, lag(started_at) OVER (ORDER BY run_id) AS prev_started
          FROM retention.run WHERE origin = 'worker') g
 WHERE %s};
my (undef, $max_before) = split /\|/,
  $node->safe_psql('app', sprintf($gaps_sql, "started_at < '$reload_at'"));
my ($min_after, $max_after) = split /\|/,
  $node->safe_psql('app',
	sprintf($gaps_sql, "prev_started > '$reload_at'::timestamptz + interval '0.5 s'"));
note("largest gap before the reload: $max_before s; after: $min_after .. $max_after s");
cmp_ok($max_before, '<', 2.5, 'retention.naptime = 1: runs follow each other about 1 s apart');
cmp_ok($min_after, '>=', 2.5, 'after the reload with retention.naptime = 3: about 3 s apart');

# ---------------------------------------------------------------------------
# retention.enabled = off: the kill switch.
# ---------------------------------------------------------------------------
$node->append_conf(
	'postgresql.conf', q{
retention.naptime = 1
retention.enabled = off
});
$node->reload;
ok( poll_until(
		$node, 'app', q{
SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_retention worker'}, '0', 10),
	'retention.enabled = off: no pg_retention worker left');
is( $node->safe_psql(
		'app', q{
SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_retention launcher'}),
	'1', '... the launcher stays');
is( $node->safe_psql(
		'app', q{SELECT state FROM retention.worker_status() WHERE role = 'launcher'}),
	'disabled', '... and says it is disabled');
ok( poll_until(
		$node, 'app', q{
SELECT state || '|' || message || '|' || (pid IS NULL) FROM retention.worker_status() WHERE database = 'app'},
		'disabled|retention.enabled = off|true', 10),
	'... so does database app in worker_status(), with no pid');
my $off_runs = $node->safe_psql('app', 'SELECT max(run_id) FROM retention.run');
$node->safe_psql('app',
	q{INSERT INTO event SELECT i, now() - interval '10 days' FROM generate_series(2001, 2020) i});
my $kept = 1;
for (1 .. 4)
{
	usleep(1_000_000);
	$kept = 0 unless $node->safe_psql('app', 'SELECT count(*) FROM event') eq '20';
}
ok($kept, '... due rows are not processed for several naptimes');
is($node->safe_psql('app', 'SELECT max(run_id) FROM retention.run'),
	$off_runs, '... and no run was started');
is($node->safe_psql('app', $worker_pid_sql), '', '... no worker came back');

$node->append_conf('postgresql.conf', 'retention.enabled = on');
$node->reload;
ok(poll_until($node, 'app', 'SELECT count(*) FROM event', '0', 10),
	'retention.enabled = on: the due rows are processed');

# ---------------------------------------------------------------------------
# SIGTERM in the middle of a batch.
# ---------------------------------------------------------------------------
$reload_at = $node->safe_psql('app', 'SELECT clock_timestamp()');
$node->append_conf('postgresql.conf', 'retention.batch_size = 500');
$node->reload;
ok( poll_until(
		$node, 'app', qq{
SELECT EXISTS (SELECT FROM retention.run WHERE started_at > '$reload_at' AND finished_at IS NOT NULL)},
		't', 10),
	'a run started after the reload to retention.batch_size = 500');
$node->safe_psql('app',
	q{INSERT INTO slow SELECT i, now() - interval '10 days' FROM generate_series(1, 2000) i});

# One batch committed, the worker deep in the next one (sleeping in the trigger).
my $mid_batch_sql = q{
SELECT (SELECT coalesce(sum(rows_processed), 0) FROM retention.action_log WHERE table_name = 'public.slow') >= 500
   AND EXISTS (SELECT FROM pg_stat_activity
                WHERE backend_type = 'pg_retention worker' AND datname = 'app' AND wait_event = 'PgSleep')};
ok(poll_until($node, 'app', $mid_batch_sql, 't', 20),
	'SIGTERM: the worker has committed a batch and is in the middle of the next');
my $pid = $node->safe_psql('app', $worker_pid_sql);
is($node->safe_psql('app', "SELECT pg_terminate_backend($pid)"), 't', '... pg_terminate_backend()');
ok( poll_until(
		$node, 'app', "SELECT count(*) FROM pg_stat_activity WHERE pid = $pid", '0', 10),
	'... the worker exits');

# In one snapshot: the rows gone are the rows the evidence counts, and whole
# batches only (the batch in progress rolled back).
my ($gone, $counted) = split /\|/, $node->safe_psql(
	'app', q{
SELECT 2000 - (SELECT count(*) FROM slow),
       (SELECT coalesce(sum(rows_processed), 0) FROM retention.action_log WHERE table_name = 'public.slow')});
is($gone, $counted, "... rows deleted ($gone) = rows_processed in retention.action_log");
is($gone % 500, 0, '... a whole number of batches of 500: the batch in progress was rolled back');
cmp_ok($gone, '<', 2000, '... the job was not finished');

ok(poll_until($node, 'app', 'SELECT count(*) FROM slow', '0', 30),
	'... a new worker finishes the job');
is( $node->safe_psql(
		'app', q{
SELECT count(DISTINCT a.run_id) FROM retention.action_log a JOIN retention.run r USING (run_id)
 WHERE a.table_name = 'public.slow' AND a.rows_processed > 0 AND r.origin = 'worker'
   AND r.status = 'completed'}),
	'1', '... the launcher started a new worker, whose run completed the job');
is( $node->safe_psql(
		'app', q{
SELECT sum(rows_processed) FROM retention.action_log WHERE table_name = 'public.slow'}),
	'2000', '... the evidence counts all 2000 rows');
is( $node->safe_psql(
		'app', q{
SELECT string_agg(r.status || '/' || (a.rows_processed % 500 = 0 AND a.rows_processed > 0), ', ')
  FROM retention.action_log a JOIN retention.run r USING (run_id)
 WHERE a.table_name = 'public.slow' AND a.outcome = 'interrupted'}),
	'interrupted/true',
	'... the terminated run and its job are marked interrupted, with whole batches');
ok($node->log_contains(qr/\[$pid\] FATAL:  terminating background worker "pg_retention worker" due to administrator command/),
	'... the log says the worker was terminated');

# ---------------------------------------------------------------------------
# SIGKILL in the middle of a batch: crash recovery.
# ---------------------------------------------------------------------------
my $launcher_pid = $node->safe_psql('app',
	q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_retention launcher'});
$node->safe_psql('app',
	q{INSERT INTO slow SELECT i, now() - interval '10 days' FROM generate_series(2001, 4000) i});
$mid_batch_sql =~ s/>= 500/>= 2500/;
ok(poll_until($node, 'app', $mid_batch_sql, 't', 20),
	'SIGKILL: the worker has committed a batch and is in the middle of the next');
$pid = $node->safe_psql('app', $worker_pid_sql);
my $offset = -s $node->logfile;
is(kill('KILL', $pid), 1, "... kill -9 of the worker (pid $pid)");
$node->wait_for_log(qr/all server processes terminated; reinitializing/, $offset);
pass('... the postmaster reinitializes (crash recovery)');

ok( poll_until(
		$node, 'app', qq{
SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_retention launcher' AND pid <> $launcher_pid},
		'1', 30),
	'... the launcher comes back');
ok(poll_until($node, 'app', 'SELECT count(*) FROM slow', '0', 30),
	'... enforcement resumes and finishes');
ok( poll_until(
		$node, 'app', q{
SELECT count(*) FROM retention.run
 WHERE status NOT IN ('completed', 'interrupted')
   AND run_id < (SELECT max(run_id) FROM retention.run)}, '0', 10),
	'... every run but the newest is completed or interrupted');
is( $node->safe_psql(
		'app', q{
SELECT count(DISTINCT run_id)
  FROM retention.action_log a JOIN retention.run r USING (run_id)
 WHERE a.table_name = 'public.slow' AND a.rows_processed > 0
   AND a.outcome = 'interrupted' AND r.status = 'interrupted'}),
	'2', '... the two runs cut short (SIGTERM, SIGKILL) and their jobs are marked interrupted');
is( $node->safe_psql(
		'app', q{
SELECT sum(rows_processed) FROM retention.action_log WHERE table_name = 'public.slow'}),
	'4000', '... the evidence counts the 4000 rows deleted');
is( $node->safe_psql(
		'app', q{
SELECT count(*) FROM retention.action_log
 WHERE table_name = 'public.slow' AND rows_processed % 500 <> 0 AND outcome <> 'done'}),
	'0', '... every unfinished job counts whole batches only');
is( $node->safe_psql(
		'app', q{
SELECT sum(rows_processed) FROM retention.action_log WHERE table_name = 'public.event'}),
	'400', '... and the 400 rows of the other table');

$node->stop;

done_testing();
