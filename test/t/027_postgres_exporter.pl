# The postgres_exporter query file (monitoring/postgres_exporter.yaml) with
# the real exporter (Debian's prometheus-postgres-exporter, 0.11): started
# against a test cluster with a known backlog, as a role that has only
# pg_monitor, listening on 127.0.0.1 and connecting over the unix socket;
# its /metrics must show, per database and per tag, the rows overdue, the
# age of the oldest overdue row, the seconds since the last completed run,
# the runs failed, the rows held, and no row value.  Skipped only if the
# exporter is not installed.

use strict;
use warnings;

use File::Basename qw(dirname);
use HTTP::Tiny;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

my $exporter = '/usr/bin/prometheus-postgres-exporter';
plan skip_all => "$exporter is not installed (Debian package prometheus-postgres-exporter)"
  unless -x $exporter;

my $queries = dirname(__FILE__) . '/../../monitoring/postgres_exporter.yaml';
$queries = File::Spec->rel2abs($queries);
ok(-r $queries, 'the query file is there');

my $node = PostgreSQL::Test::Cluster->new('exporter');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'pg_retention'
# the backlog must stay: no worker deletes it, runs are made by hand
retention.enabled = off
});
$node->start;

$node->safe_psql('postgres', 'CREATE DATABASE shop');
$node->safe_psql('postgres', 'CREATE DATABASE quiet');
$node->safe_psql('postgres', 'CREATE ROLE regress_exporter LOGIN IN ROLE pg_monitor');
$node->safe_psql('quiet', 'CREATE EXTENSION pg_retention');

# shop: a table whose trigger refuses every delete (a failed run), then a
# backlog on a healthy table, and held rows.
$node->safe_psql(
	'shop', q{
CREATE EXTENSION pg_retention;
SELECT retention.define_category('short_lived', '1 day');
CREATE TABLE stubborn (id integer PRIMARY KEY, created_at timestamptz NOT NULL, email text);
CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'no';
END
$$;
CREATE TRIGGER refuse BEFORE DELETE ON stubborn FOR EACH ROW EXECUTE FUNCTION refuse();
SECURITY LABEL FOR retention ON TABLE stubborn IS 'category=short_lived anchor=created_at';
INSERT INTO stubborn SELECT i, now() - interval '3 days', 'person' || i || '@example.org'
  FROM generate_series(1, 5) i;
CREATE TABLE event (id integer PRIMARY KEY, created_at timestamptz NOT NULL, email text);
SECURITY LABEL FOR retention ON TABLE event IS 'category=short_lived anchor=created_at';
CREATE TABLE ticket (id integer PRIMARY KEY, created_at timestamptz NOT NULL);
SECURITY LABEL FOR retention ON TABLE ticket IS 'category=short_lived anchor=created_at';
SELECT retention.place_hold('litigation', table_name => 'public.ticket');
INSERT INTO ticket SELECT i, now() - interval '10 days' FROM generate_series(1, 7) i;
});
$node->safe_psql('shop', 'CALL retention.enforce()');
$node->safe_psql('shop',
	q{INSERT INTO event SELECT i, now() - interval '10 days', 'person' || i || '@example.org'
	    FROM generate_series(1, 40) i});
is( $node->safe_psql('shop', q{SELECT status FROM retention.run}),
	'completed with errors', 'shop: one run, completed with errors');

# The exporter, as regress_exporter, over the socket; shop is its database,
# quiet is added with --include-databases.
my $port = PostgreSQL::Test::Cluster::get_free_port();
my $dsn = sprintf('host=%s port=%d user=regress_exporter dbname=shop sslmode=disable',
	$node->host, $node->port);
my ($out, $err) = ('', '');
my $h = IPC::Run::start(
	[
		$exporter, "--web.listen-address=127.0.0.1:$port",
		"--extend.query-path=$queries", '--auto-discover-databases',
		'--include-databases=quiet', '--disable-settings-metrics'
	],
	'>', \$out, '2>', \$err,
	init => sub { $ENV{DATA_SOURCE_NAME} = $dsn; });

my $http = HTTP::Tiny->new(timeout => 10);
my $metrics = '';
my $deadline = time + 60;
while (time < $deadline)
{
	my $res = $http->get("http://127.0.0.1:$port/metrics");
	$metrics = $res->{content} if $res->{success};
	last if $metrics =~ /pg_retention_tag_rows_overdue\{/ && $metrics =~ /pg_retention_database_runs_24h\{[^}]*datname="quiet"/;
	usleep(200_000);
}
$h->kill_kill;
note("exporter stderr:\n$err") if $err =~ /level=error/;

# value of metric $name whose labels include every pair of %labels
sub metric
{
	my ($name, %labels) = @_;
	foreach my $line (split /\n/, $metrics)
	{
		next unless $line =~ /^\Q$name\E\{([^}]*)\} (\S+)$/;
		my ($l, $v) = ($1, $2);
		my $all = 1;
		foreach my $k (keys %labels)
		{
			$all = 0 unless $l =~ /(^|,)$k="\Q$labels{$k}\E"/;
		}
		return $v if $all;
	}
	return undef;
}

like($metrics, qr/^pg_up 1$/m, 'the exporter scraped the cluster');
is(metric('pg_exporter_user_queries_load_error'), '0', 'the query file loads without error');
is(metric('pg_retention_tag_rows_overdue', datname => 'shop', table_name => 'public.event'),
	'40', 'per tag: the 40 overdue rows of event');
is(metric('pg_retention_tag_rows_overdue', datname => 'shop', table_name => 'public.stubborn'),
	'5', '... the 5 of stubborn, which the failed run left');
is(metric('pg_retention_tag_errors_last_run', datname => 'shop', table_name => 'public.stubborn'),
	'1', '... whose last job ended in an error');
is(metric('pg_retention_tag_rows_overdue', datname => 'shop', table_name => 'public.ticket'),
	'0', '... none for ticket, which is held');
is(metric('pg_retention_tag_rows_held', datname => 'shop', table_name => 'public.ticket'),
	'7', '... its 7 due rows counted as held');
my $age = metric('pg_retention_tag_oldest_overdue_seconds', datname => 'shop', table_name => 'public.event', category => 'short_lived');
ok(defined $age && $age > 8 * 86400 && $age < 11 * 86400,
	"per tag: the oldest overdue row of event is 9 to 10 days overdue ($age s)");
is(metric('pg_retention_tag_rows_blocked', datname => 'shop', table_name => 'public.event'),
	'0', 'per tag: no row blocked');
is(metric('pg_retention_database_runs_24h', datname => 'shop'), '1', 'per database: shop had one run');
is(metric('pg_retention_database_runs_failed_24h', datname => 'shop'), '1', '... which failed');
my $since = metric('pg_retention_database_seconds_since_completed', datname => 'shop');
ok(defined $since && $since >= 0 && $since < 120, "... and completed seconds ago ($since s)");
is(metric('pg_retention_database_seconds_since_completed', datname => 'quiet'),
	'NaN', 'per database: quiet never had a completed run (NaN)');
is(metric('pg_retention_database_runs_24h', datname => 'quiet'), '0', '... and no run');
unlike($metrics, qr/example\.org|person\d/, 'no row value in the metrics');

$node->stop;

done_testing();
