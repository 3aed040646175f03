# Pacing (src/pacing.c): a run pauses between batches in proportion to
# what each batch cost, and retention.run records the time it paused.
# Every batch here costs at least 50 ms (a statement trigger sleeps), so
# the pauses have a known lower bound:
#   - retention.max_load = L: after a batch that took t a run pauses
#     t * (100 - L) / L (at least 50 ms at 50%, 150 ms at 25%), and the
#     pauses are real time of the run;
#   - CALL from a session runs at full speed by default (max_load -1), and
#     never pauses inside a transaction block;
#   - the worker is paced by default (20%: 4 x the batch's time);
#   - retention.batch_delay is the shortest pause (0.1.0's fixed pause);
#   - the kill switch ends a worker in the middle of a long pause;
#   - retention.max_wal_per_run stops a run after the batch that wrote the
#     budget, and retention.max_replay_lag stops a run while a standby's
#     replay lags; the next run goes on.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

# poll_query_until, giving up after about $seconds.
sub poll_until
{
	my ($node, $db, $sql, $expected, $seconds) = @_;
	local $PostgreSQL::Test::Utils::timeout_default = $seconds;
	return $node->poll_query_until($db, $sql, $expected);
}

my $batch_ms = 50;    # the least a batch costs (the trigger's sleep)

my $node = PostgreSQL::Test::Cluster->new('pacing');
$node->init(allows_streaming => 1);
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'pg_retention'
retention.naptime = 1
retention.enabled = off
retention.batch_size = 10
});
$node->start;
$node->safe_psql(
	'postgres', q{
CREATE EXTENSION pg_retention;
SELECT retention.define_category('short_lived', '1 day');
CREATE TABLE event (id integer PRIMARY KEY, created_at timestamptz NOT NULL);
SELECT retention.tag_table('event', 'short_lived', 'created_at');
-- every delete statement (one per batch) costs at least 50 ms
CREATE FUNCTION slow_batch() RETURNS trigger LANGUAGE plpgsql
    AS $$BEGIN PERFORM pg_sleep(0.05); RETURN NULL; END$$;
CREATE TRIGGER slow_batch BEFORE DELETE ON event
    FOR EACH STATEMENT EXECUTE FUNCTION slow_batch();
CREATE TABLE scratch (n integer);
});

# A fresh backlog of $n due rows.
sub fill
{
	my ($n) = @_;
	$node->safe_psql('postgres',
		"TRUNCATE event; INSERT INTO event SELECT i, now() - interval '10 days' FROM generate_series(1, $n) i"
	);
}

# The last run of $origin: status, rows deleted, batches, pause and
# duration (ms), as a hash.
sub last_run
{
	my ($origin) = @_;
	my $row = $node->safe_psql(
		'postgres', qq{
SELECT status, rows_deleted, batches,
       round(extract(epoch FROM paused) * 1000),
       round(extract(epoch FROM finished_at - started_at) * 1000)
  FROM retention.run WHERE origin = '$origin' AND status <> 'running'
 ORDER BY run_id DESC LIMIT 1});
	my %r;
	@r{qw(status rows batches paused duration)} = split /\|/, $row;
	return \%r;
}

# CALL retention.enforce() at top level (batches commit one by one) after
# the given SET statements; returns last_run('call').
sub call_enforce
{
	my ($settings) = @_;
	$node->safe_psql('postgres', "$settings\nCALL retention.enforce();");
	return last_run('call');
}

# --- a CALL paced by retention.max_load
for my $load (50, 25)
{
	fill(60);
	my $r = call_enforce("SET retention.max_load = $load;");
	my $factor = (100 - $load) / $load;
	is($r->{rows}, 60, "max_load $load: every due row deleted");
	cmp_ok($r->{batches}, '>=', 2, "max_load $load: in several batches");
	cmp_ok($r->{paused}, '>=', ($r->{batches} - 1) * $batch_ms * $factor,
		"max_load $load: paused at least $factor x each batch's cost before the next ($r->{paused} ms)");
	cmp_ok($r->{duration}, '>=', $r->{paused} + $r->{batches} * $batch_ms,
		"max_load $load: the pauses are time the run took, besides its batches ($r->{duration} ms)");
}

# --- CALL defaults: full speed; a transaction block never pauses
fill(60);
my $r = call_enforce('');
is($r->{rows},   60, 'CALL with the defaults: every due row deleted');
is($r->{paused}, 0,  'CALL with the defaults: no pause (max_load -1 is 100 for CALL)');

fill(60);
$node->safe_psql('postgres',
	"BEGIN;\nSET LOCAL retention.max_load = 25;\nCALL retention.enforce();\nCOMMIT;");
$r = last_run('call');
is($r->{rows}, 60, 'CALL in a transaction block: every due row deleted');
cmp_ok($r->{batches}, '>=', 2, 'CALL in a transaction block: several batches');
is($r->{paused}, 0, 'CALL in a transaction block: no pause (it would only hold the locks longer)');

# --- retention.batch_delay: the shortest pause, whatever max_load
fill(60);
$r = call_enforce("SET retention.max_load = 100;\nSET retention.batch_delay = '100ms';");
is($r->{rows}, 60, 'batch_delay: every due row deleted');
cmp_ok($r->{paused}, '>=', ($r->{batches} - 1) * 100,
	"batch_delay 100ms: at least 100 ms after every batch but the last ($r->{paused} ms)");

# --- retention.max_wal_per_run stops a run; the next one goes on
fill(120);
$r = call_enforce("SET retention.batch_size = 50;\nSET retention.max_wal_per_run = '1kB';");
is($r->{status},  'partial', 'max_wal_per_run: the run stops early');
is($r->{batches}, 1,         'max_wal_per_run: after the batch that wrote the budget');
cmp_ok($r->{rows}, '<', 120, 'max_wal_per_run: rows are left for the next run');
is( $node->safe_psql(
		'postgres',
		'SELECT outcome FROM retention.action_log ORDER BY action_id DESC LIMIT 1'),
	'partial: retention.max_wal_per_run reached',
	'max_wal_per_run: the job says why it stopped');
$r = call_enforce('SET retention.batch_size = 50;');
is($node->safe_psql('postgres', 'SELECT count(*) FROM event'), '0', 'max_wal_per_run: the next run goes on');

# --- the worker is paced by default: 20% of its time in batches
fill(60);
$node->safe_psql('postgres', 'ALTER SYSTEM SET retention.enabled = on; SELECT pg_reload_conf()');
ok( poll_until(
		$node, 'postgres',
		"SELECT count(*) > 0 FROM retention.run WHERE origin = 'worker' AND rows_deleted = 60 AND status = 'completed'",
		't', 60),
	'worker: drains the backlog in one run');
$r = last_run('worker');
cmp_ok($r->{batches}, '>=', 2, 'worker: in several batches');
cmp_ok($r->{paused}, '>=', ($r->{batches} - 1) * $batch_ms * 4,
	"worker with the defaults: paused at least 4 x each batch's cost ($r->{paused} ms)");

# --- the kill switch ends a worker in the middle of a long pause (about
# 99 x 50 ms after each batch at max_load 1)
$node->safe_psql('postgres', 'ALTER SYSTEM SET retention.enabled = off; SELECT pg_reload_conf()');
ok( poll_until(
		$node, 'postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_retention worker'",
		'0', 30),
	'kill switch: the worker is gone');
fill(60);
$node->safe_psql('postgres',
	'ALTER SYSTEM SET retention.max_load = 1; ALTER SYSTEM SET retention.enabled = on; SELECT pg_reload_conf()');
ok( poll_until(
		$node, 'postgres',
		"SELECT count(*) FROM retention.action_log a JOIN retention.run r USING (run_id)
		  WHERE r.origin = 'worker' AND r.status = 'running' AND a.batches >= 1",
		'1', 60),
	'max_load 1: the worker has done a batch and pauses');
$node->safe_psql('postgres', 'ALTER SYSTEM SET retention.enabled = off; SELECT pg_reload_conf()');
ok( poll_until(
		$node, 'postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_retention worker'",
		'0', 3),
	'kill switch: the worker ends during its pause, not after it');
$node->safe_psql('postgres', 'ALTER SYSTEM RESET retention.max_load; SELECT pg_reload_conf()');

# --- retention.max_replay_lag: no batch while a standby's replay lags
$node->backup('base');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($node, 'base', has_streaming => 1);
$standby->start;
$node->wait_for_catchup($standby);
$standby->safe_psql('postgres', 'SELECT pg_wal_replay_pause()');
fill(60);
# WAL keeps arriving while replay stands still: the replay lag grows
my $lagging = 0;
for (1 .. 300)
{
	$node->safe_psql('postgres', 'INSERT INTO scratch VALUES (1)');
	$lagging = $node->safe_psql('postgres',
		"SELECT coalesce(max(replay_lag) > interval '500 ms', false) FROM pg_stat_replication");
	last if $lagging eq 't';
	usleep(100_000);
}
is($lagging, 't', 'max_replay_lag: the standby lags');
$r = call_enforce("SET retention.max_replay_lag = '200ms';");
is($r->{status}, 'partial', 'max_replay_lag: the run stops while the standby lags');
is($r->{rows},   0,         'max_replay_lag: before any batch');
is($node->safe_psql('postgres', 'SELECT count(*) FROM event'), '60', 'max_replay_lag: the due rows are still there');

$standby->safe_psql('postgres', 'SELECT pg_wal_replay_resume()');
$node->wait_for_catchup($standby);
ok( poll_until(
		$node, 'postgres',
		"SELECT coalesce(max(replay_lag) <= interval '200 ms', true) FROM pg_stat_replication",
		't', 60),
	'max_replay_lag: the standby has caught up');
$r = call_enforce("SET retention.max_replay_lag = '200ms';");
is($r->{status}, 'completed', 'max_replay_lag: once the standby caught up, the run goes on');
is($r->{rows},   60,          'max_replay_lag: and deletes the due rows');

$standby->stop;
$node->stop;
done_testing();
