# When max_worker_processes leaves no slot for a database's worker (issue
# 11, items 1 and 2): the database shows 'no slot' with the reason, the log
# has one WARNING for it, not one per attempt, while the launcher keeps
# trying (DEBUG1 says so at every attempt); once a slot is free the
# database is served.

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

# max_worker_processes = 3: the launcher, the logical replication launcher
# and one pg_retention worker.
my $node = PostgreSQL::Test::Cluster->new('worker_no_slot');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'pg_retention'
retention.naptime = 1
retention.max_workers = 2
max_worker_processes = 3
});
$node->start;

# busy: a cycle that takes long (every deleted row sleeps 20 ms); idle: a
# database that needs a worker too.
$node->safe_psql('postgres', 'CREATE DATABASE busy');
$node->safe_psql('postgres', 'CREATE DATABASE idle');
$node->safe_psql('idle', 'CREATE EXTENSION pg_retention');
ok( poll_until(
		$node, 'idle', q{
SELECT count(*) FROM retention.worker_status() WHERE database = 'idle' AND last_completed IS NOT NULL}, '1', 20),
	'idle is served while the slot is free');
my $offset = -s $node->logfile;
$node->safe_psql(
	'busy', q{
BEGIN;
CREATE EXTENSION pg_retention;
SELECT retention.define_category('short_lived', '1 day');
CREATE TABLE slow (id integer PRIMARY KEY, created_at timestamptz NOT NULL);
CREATE FUNCTION slow_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_sleep(0.02);
    RETURN OLD;
END
$$;
CREATE TRIGGER slow_row BEFORE DELETE ON slow FOR EACH ROW EXECUTE FUNCTION slow_row();
SECURITY LABEL FOR retention ON TABLE slow IS 'category=short_lived anchor=created_at';
INSERT INTO slow SELECT i, now() - interval '10 days' FROM generate_series(1, 3000) i;
COMMIT;
});
ok( poll_until(
		$node, 'busy', q{
SELECT count(*) FROM pg_stat_activity
 WHERE backend_type = 'pg_retention worker' AND datname = 'busy' AND wait_event = 'PgSleep'}, '1', 20),
	'busy: its worker holds the only slot, in a long cycle');

$node->safe_psql('postgres', q{ALTER SYSTEM SET log_min_messages = debug1; SELECT pg_reload_conf()});
ok( poll_until(
		$node, 'busy', q{
SELECT state || '|' || message FROM retention.worker_status() WHERE database = 'idle'},
		'no slot|no background worker slot: raise max_worker_processes', 20),
	"idle: 'no slot', with the reason");
my $oid = $node->safe_psql('postgres', q{SELECT oid FROM pg_database WHERE datname = 'idle'});
# the launcher keeps trying (every naptime): wait for three attempts
my $attempts = 0;
my $deadline = time + 30;
while (time < $deadline)
{
	my @d = (slurp_file($node->logfile, $offset) =~
		  /DEBUG:  pg_retention launcher: no background worker slot for database $oid\b/g);
	$attempts = scalar(@d);
	last if $attempts >= 3;
	usleep(200_000);
}
cmp_ok($attempts, '>=', 3, "the launcher tries again and again ($attempts attempts)");
my @warnings = (slurp_file($node->logfile, $offset) =~ /WARNING:  pg_retention launcher: could not start a worker for database $oid\b/g);
is(scalar(@warnings), 1, '... with one WARNING in the log, not one per attempt');
$node->safe_psql('postgres', q{ALTER SYSTEM RESET log_min_messages; SELECT pg_reload_conf()});

# Free the slot: the busy worker's cycle ends (terminated), idle is served.
$node->safe_psql('busy', q{
SELECT pg_terminate_backend(pid) FROM pg_stat_activity
 WHERE backend_type = 'pg_retention worker' AND datname = 'busy'});
ok( poll_until(
		$node, 'busy', q{
SELECT state FROM retention.worker_status() WHERE database = 'idle' AND last_completed > now() - interval '10 s'},
		'idle', 30),
	'once a slot is free, idle is served again');

$node->stop;

done_testing();
