# The workers and a streaming standby:
#   - on a hot standby (preloading the library) the launcher starts no
#     worker, logs exactly once that enforcement starts after promotion,
#     and nothing of pg_retention logs an error;
#   - what the primary's workers delete is gone on the standby after replay,
#     while due rows and new tags keep arriving on the primary;
#   - after the primary stops and the standby is promoted, the promoted
#     server's workers enforce within a few naptimes.

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

my $standby_line = qr/pg_retention launcher: this server is a standby; enforcement starts after promotion/;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'pg_retention'
retention.naptime = 1
});
$primary->start;

# The extension comes with the database (from template1).
$primary->safe_psql('template1', 'CREATE EXTENSION pg_retention');
$primary->safe_psql('postgres',  'CREATE DATABASE app');
$primary->safe_psql(
	'app', q{
SELECT retention.define_category('short_lived', '1 day');
CREATE TABLE event (id integer PRIMARY KEY, created_at timestamptz NOT NULL);
SECURITY LABEL FOR retention ON TABLE event IS 'category=short_lived anchor=created_at';
INSERT INTO event SELECT i, now() - interval '10 days' FROM generate_series(1, 100) i;
INSERT INTO event SELECT i, now() FROM generate_series(100001, 100010) i;
});
ok(poll_until($primary, 'app', 'SELECT count(*) FROM event', '10', 20),
	'primary: the worker deletes the due rows');

# A standby from a base backup; the configuration (preload, naptime) comes
# with it.
$primary->backup('base');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'base', has_streaming => 1);
$standby->start;
my $standby_started = time;
is($standby->safe_psql('postgres', 'SHOW shared_preload_libraries'),
	'pg_retention', 'the standby preloads pg_retention');
is($standby->safe_psql('postgres', 'SELECT pg_is_in_recovery()'), 't', 'the standby is in recovery');

# Due rows and tags keep arriving on the primary; the standby follows.
for my $round (1 .. 3)
{
	my $lo = $round * 1000;
	my $hi = $lo + 199;
	$primary->safe_psql('app',
		"INSERT INTO event SELECT i, now() - interval '10 days' FROM generate_series($lo, $hi) i");
	if ($round == 2)
	{
		$primary->safe_psql(
			'app', q{
CREATE TABLE visit (id integer PRIMARY KEY, seen_at timestamptz NOT NULL);
SECURITY LABEL FOR retention ON TABLE visit IS 'category=short_lived anchor=seen_at';
INSERT INTO visit SELECT i, now() - interval '3 days' FROM generate_series(1, 50) i;
});
	}
	ok(poll_until($primary, 'app',
			'SELECT count(*) FROM event', '10', 15),
		"round $round: primary deletes the new due rows");
	$primary->wait_for_catchup($standby);
	is($standby->safe_psql('app', 'SELECT count(*) FROM event'),
		'10', "round $round: after replay the rows are gone on the standby too");
}
ok(poll_until($primary, 'app', 'SELECT count(*) FROM visit', '0', 10),
	'primary: the table tagged while the standby runs is enforced');
$primary->wait_for_catchup($standby);
is($standby->safe_psql('app', 'SELECT count(*) FROM visit'),
	'0', '... and its rows are gone on the standby');
is( $standby->safe_psql(
		'app', q{SELECT count(*) > 0 FROM retention.run WHERE origin = 'worker' AND rows_deleted > 0}),
	't', 'the standby has the primary\'s evidence');

# On the standby: the launcher, no worker.
is( $standby->safe_psql(
		'postgres', q{
SELECT count(*) FILTER (WHERE backend_type = 'pg_retention launcher') || '|' ||
       count(*) FILTER (WHERE backend_type = 'pg_retention worker')
  FROM pg_stat_activity}),
	'1|0', 'standby: the launcher runs, no pg_retention worker');
is( $standby->safe_psql(
		'app', q{SELECT string_agg(role || ': ' || state, ', ') FROM retention.worker_status()}),
	'launcher: standby: waiting for promotion', 'standby: worker_status() says it waits for promotion');

# The launcher has looked at least three times (it naps 1 s on a standby).
my $left = 3 - (time - $standby_started);
usleep($left * 1_000_000) if $left > 0;
my $log = slurp_file($standby->logfile);
my @said = ($log =~ /$standby_line/g);
is(scalar(@said), 1, 'standby: the launcher said once that it is a standby');
my @errors = grep {
	/\b(ERROR|FATAL|PANIC):/
	  && !/FATAL:  the database system is (starting up|not yet accepting connections)/
} split /\n/, $log;
is(join("\n", @errors), '', 'standby: no errors in the log');

# Promotion.
$primary->stop;
my $promoted_at = time;
$standby->promote;
ok(poll_until($standby, 'postgres', 'SELECT pg_is_in_recovery()', 'f', 30), 'the standby is promoted');
$standby->safe_psql('app',
	q{INSERT INTO event SELECT i, now() - interval '10 days' FROM generate_series(5000, 5099) i});
ok(poll_until($standby, 'app', 'SELECT count(*) FROM event', '10', 20),
	'promoted: the new due rows are deleted');
my $elapsed = time - $promoted_at;
cmp_ok($elapsed, '<', 8,
	"... within a few naptimes of the promotion (${\ sprintf('%.1f', $elapsed)} s)");
is( $standby->safe_psql(
		'app', q{
SELECT count(*) > 0 FROM retention.run r JOIN retention.action_log a USING (run_id)
 WHERE r.origin = 'worker' AND a.table_name = 'public.event' AND a.rows_processed = 100}),
	't', '... by a worker run of the promoted server');
is( $standby->safe_psql(
		'app', q{
SELECT s.state IN ('idle', 'starting', 'enforcing') AND s.last_completed IS NOT NULL
  FROM retention.worker_status() s
 WHERE s.database = 'app'}),
	't', 'promoted: worker_status() shows the worker of app');
is( $standby->safe_psql(
		'app', q{SELECT state FROM retention.worker_status() WHERE role = 'launcher'}),
	'running', 'promoted: the launcher is running');
$log = slurp_file($standby->logfile);
@said = ($log =~ /$standby_line/g);
is(scalar(@said), 1, 'promoted: still only one "this server is a standby" line');
unlike($log, qr/(ERROR|FATAL|PANIC):.*retention/, 'promoted: no pg_retention errors in the log');

$standby->stop;

done_testing();
