# Enforcement scheduled by pg_cron, on servers that do not preload
# pg_retention (no launcher, no workers):
#   - a cron job 'CALL retention.enforce()' deletes the due rows;
#   - its runs have origin 'pg_cron' in retention.run;
#   - cron.job_run_details shows the job succeeded;
#   - retention.worker_status() says the launcher is not running, and why.
# Two servers side by side, one for each way pg_cron runs a job: a libpq
# session (the default; application_name pg_cron; cron.host set to the
# socket directory so that no TCP is needed) and a background worker
# (cron.use_background_workers = on; backend type pg_cron).
# pg_cron >= 1.5 takes a schedule in seconds; older versions run at most
# once a minute, so the job may take up to about a minute to run (both
# servers wait for the same minute).

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

# poll_query_until, giving up after about $seconds.
sub poll_until
{
	my ($node, $db, $sql, $expected, $seconds) = @_;
	local $PostgreSQL::Test::Utils::timeout_default = $seconds;
	return $node->poll_query_until($db, $sql, $expected);
}

my %mode = (
	libpq      => q{cron.host = '%s'},
	bgworker   => q{cron.use_background_workers = on},);
my @modes = ('libpq', 'bgworker');
my (%node, %jobid);
my $wait;

foreach my $m (@modes)
{
	my $node = PostgreSQL::Test::Cluster->new("cron_$m");
	$node->init;
	$node->append_conf(
		'postgresql.conf', sprintf(qq{
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
$mode{$m}
}, $node->host));
	$node->start;
	$node{$m} = $node;

	is($node->safe_psql('postgres', 'SHOW shared_preload_libraries'),
		'pg_cron', "$m: pg_retention is not preloaded, pg_cron is");

	$node->safe_psql(
		'postgres', q{
CREATE EXTENSION pg_cron;
CREATE EXTENSION pg_retention;
SELECT retention.define_category('short_lived', '1 day');
CREATE TABLE event (id integer PRIMARY KEY, created_at timestamptz NOT NULL);
SECURITY LABEL FOR retention ON TABLE event IS 'category=short_lived anchor=created_at';
INSERT INTO event SELECT i, now() - interval '10 days' FROM generate_series(1, 200) i;
INSERT INTO event SELECT i, now() FROM generate_series(201, 210) i;
});

	# No worker of pg_retention's own.
	is( $node->safe_psql(
			'postgres', q{
SELECT count(*) FROM pg_stat_activity WHERE backend_type IN ('pg_retention launcher', 'pg_retention worker')}),
		'0', "$m: no pg_retention launcher or worker");
	is( $node->safe_psql(
			'postgres',
			q{SELECT string_agg(role || ': ' || state || ' (' || message || ')', ', ') FROM retention.worker_status()}),
		'launcher: not running (pg_retention is not in shared_preload_libraries: use CALL retention.enforce() or pg_cron)',
		"$m: retention.worker_status(): the launcher is not running, because the library is not preloaded");

	# Seconds schedules since pg_cron 1.5; otherwise every minute.
	my $cron_version = $node->safe_psql('postgres',
		q{SELECT extversion FROM pg_extension WHERE extname = 'pg_cron'});
	my ($major, $minor) = $cron_version =~ /^(\d+)\.(\d+)/;
	my $seconds  = ($major > 1 || ($major == 1 && $minor >= 5));
	my $schedule = $seconds ? '1 second' : '* * * * *';
	$wait = $seconds ? 30 : 75;
	note("$m: pg_cron $cron_version, schedule '$schedule'");

	$jobid{$m} = $node->safe_psql('postgres',
		qq{SELECT cron.schedule('retention', '$schedule', 'CALL retention.enforce()')});
	like($jobid{$m}, qr/^\d+$/, "$m: cron.schedule() accepts the job");
}

foreach my $m (@modes)
{
	my $node = $node{$m};

	ok(poll_until($node, 'postgres', 'SELECT count(*) FROM event', '10', $wait),
		"$m: the cron job deletes the due rows");
	is($node->safe_psql('postgres', 'SELECT count(*) FROM event WHERE id <= 200'),
		'0', "$m: ... all 200 of them; the 10 fresh rows stay");

	is( $node->safe_psql(
			'postgres', q{
SELECT r.status || '|' || a.rows_processed
  FROM retention.run r JOIN retention.action_log a USING (run_id)
 WHERE a.table_name = 'public.event' AND a.rows_processed > 0}),
		'completed|200', "$m: retention.run: one completed run deleted them");
	is( $node->safe_psql(
			'postgres', q{
SELECT string_agg(DISTINCT origin, ', ') FROM retention.run}),
		'pg_cron', "$m: retention.run: the runs have origin pg_cron");

	ok( poll_until(
			$node, 'postgres', qq{
SELECT count(*) > 0 FROM cron.job_run_details
 WHERE jobid = $jobid{$m} AND status = 'succeeded' AND command = 'CALL retention.enforce()'}, 't', 10),
		"$m: cron.job_run_details: the job succeeded");
	is( $node->safe_psql(
			'postgres', qq{
SELECT count(*) FROM cron.job_run_details WHERE jobid = $jobid{$m} AND status = 'failed'}),
		'0', "$m: cron.job_run_details: no failed run");
}

foreach my $m (@modes)
{
	$node{$m}->safe_psql('postgres', q{SELECT cron.unschedule('retention')});
	$node{$m}->stop;
}

done_testing();
