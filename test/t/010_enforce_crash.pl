# A crash in the middle of an enforcement run loses nothing and leaves no
# half-processed batch.  A run over 20000 due rows in batches of 500 is
# slowed down by a statement trigger that sleeps after each batch's DELETE
# (or UPDATE); once two batches have committed and the backend sits in the
# sleep of a third, with its rows already changed but not committed, the
# backend is killed with SIGKILL and the postmaster goes through crash
# recovery.  Then:
#   (a) the rows gone (or anonymized) are exactly the rows the evidence says
#       were processed (retention.action_log, written in each batch's own
#       transaction);
#   (b) that number is a whole number of batches (the committed batches'
#       own log agrees);
#   (c) the run stays 'running' until the next run marks it and its job
#       'interrupted';
#   (d) the next run finishes the work: nothing due is left, and the totals
#       of both runs add up to the initial due count.
# Once for a table tag (delete) and once for two column tags of one table
# (nullify + mask), where no row may have one column anonymized and not the
# other.  Finally, a batch that fails is recorded without counting what it
# rolled back.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

my $batch_size = 500;
my $due_rows   = 20000;
my $fresh_rows = 100;     # not due: never touched

# The background workers are switched off (retention.enabled = off): every
# run here is the test's own CALL retention.enforce().
my $node = PostgreSQL::Test::Cluster->new('crash');
$node->init;
$node->append_conf(
	'postgresql.conf', qq{
shared_preload_libraries = 'pg_retention'
restart_after_crash = on
retention.enabled = off
retention.batch_size = $batch_size
retention.max_runtime = 0
});
$node->start;

$node->safe_psql('postgres', 'CREATE DATABASE app');
$node->safe_psql(
	'app', qq{
CREATE EXTENSION pg_retention;
SELECT retention.define_category('short_lived', '1 day');
SELECT retention.define_category('contact_data', '1 day', action => 'nullify');

-- every batch logs its rows and sleeps once they are changed, before it
-- commits: the log holds exactly the committed batches
CREATE TABLE batch_log (tbl text, n bigint);
CREATE FUNCTION slow_batch() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
    INSERT INTO public.batch_log SELECT TG_TABLE_NAME, count(*) FROM changed HAVING count(*) > 0;
    PERFORM pg_sleep(0.2);
    RETURN NULL;
END
\$\$;

CREATE TABLE event (
    id         integer PRIMARY KEY,
    created_at timestamptz NOT NULL,
    payload    text
);
INSERT INTO event
SELECT i, now() - interval '10 days', 'event ' || i FROM generate_series(1, $due_rows) i;
INSERT INTO event
SELECT $due_rows + i, now(), 'fresh ' || i FROM generate_series(1, $fresh_rows) i;
SECURITY LABEL FOR retention ON TABLE event IS 'category=short_lived anchor=created_at';
CREATE TRIGGER slow_batch AFTER DELETE ON event REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION slow_batch();

CREATE TABLE contact (
    id         integer PRIMARY KEY,
    created_at timestamptz NOT NULL,
    email      text,
    phone      text
);
INSERT INTO contact
SELECT i, now() - interval '10 days', 'user' || i || '\@example.com', '+385 91 ' || lpad(i::text, 7, '0')
  FROM generate_series(1, $due_rows) i;
INSERT INTO contact
SELECT $due_rows + i, now(), 'user' || ($due_rows + i) || '\@example.com',
       '+385 91 ' || lpad(($due_rows + i)::text, 7, '0')
  FROM generate_series(1, $fresh_rows) i;
SECURITY LABEL FOR retention ON COLUMN contact.email
    IS 'category=contact_data anchor=created_at action=nullify';
SECURITY LABEL FOR retention ON COLUMN contact.phone
    IS 'category=contact_data anchor=created_at action=mask keep=2';
CREATE TRIGGER slow_batch AFTER UPDATE ON contact REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION slow_batch();
});

is($node->safe_psql('app', 'SHOW retention.batch_size'), $batch_size, 'batch size is set');
is( $node->safe_psql(
		'app',
		q{SELECT string_agg(table_name::text || coalesce('.' || column_name, '') || '=' || rows_due, ' '
		                    ORDER BY table_name::text, column_name) FROM retention.preview()}),
	"contact.email=$due_rows contact.phone=$due_rows event=$due_rows",
	'preview: every tag has the due rows and only those');

# Starts CALL retention.enforce(<table>) in a psql of its own; returns the
# harness, its backend pid and the stderr buffer.
sub start_enforcement
{
	my ($table) = @_;
	my ($stdin, $stdout, $stderr) = ('', '', '');
	my $timer = IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default);
	my $h = IPC::Run::start(
		[
			'psql', '-XAtq', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('app'),
			'-f', '-'
		],
		'<', \$stdin, '>', \$stdout, '2>', \$stderr, $timer);

	$stdin .= "SELECT 'pid=' || pg_backend_pid();\n";
	pump_until($h, $timer, \$stdout, qr/^pid=(\d+)$/m)
	  or die "no backend pid from the enforcing session: $stderr";
	$stdout =~ /^pid=(\d+)$/m;
	my $pid = $1;
	$stdin .= "CALL retention.enforce('$table');\n";
	$h->pump_nb;
	return ($h, $pid, $timer, \$stderr);
}

# Kills the backend of an enforcement run of <table> once it is in the
# middle of batch 3 or later: at least 2 batches committed, and the backend
# sleeping in the trigger with its transaction open (its rows changed, not
# committed).  Waits for crash recovery.  Returns the run id.
sub crash_mid_run
{
	my ($table, $what) = @_;
	my ($h, $pid, $timer, $stderr) = start_enforcement($table);

	ok( $node->poll_query_until(
			'app', qq{
SELECT (SELECT coalesce(max(a.batches), 0)
          FROM retention.action_log a JOIN retention.run r USING (run_id)
         WHERE r.status = 'running' AND a.table_name = 'public.$table') >= 2
   AND EXISTS (SELECT 1 FROM pg_stat_activity
                WHERE pid = $pid AND wait_event = 'PgSleep' AND backend_xid IS NOT NULL)}),
		"$what: the run has committed 2 batches and is inside an uncommitted one");

	my $run_id = $node->safe_psql('app',
		q{SELECT run_id FROM retention.run WHERE status = 'running'});
	like($run_id, qr/^\d+$/, "$what: exactly one run is running");

	my $log_offset = -s $node->logfile;
	is(kill('KILL', $pid), 1, "$what: SIGKILL sent to the enforcing backend $pid");
	pump_until($h, $timer, $stderr,
		qr/server closed the connection unexpectedly|connection to server was lost/m);
	$h->finish;

	ok( $node->wait_for_log(
			qr/server process \(PID $pid\) was terminated by signal 9.*all server processes terminated; reinitializing/s,
			$log_offset),
		"$what: the postmaster saw the backend die and reinitialized");
	ok($node->poll_query_until('app', 'SELECT 1', '1'),
		"$what: the server is back after crash recovery");
	return $run_id;
}

# --- delete ---------------------------------------------------------------

my $run1 = crash_mid_run('event', 'delete');

my ($logged, $batches, $outcome) = split /\|/,
  $node->safe_psql('app',
	qq{SELECT rows_processed, batches, outcome FROM retention.action_log
	    WHERE run_id = $run1 AND table_name = 'public.event'});
my $remaining = $node->safe_psql('app',
	q{SELECT count(*) FROM event WHERE created_at < now() - interval '1 day'});
note("delete: evidence says $logged rows in $batches batches, $remaining due rows left");

cmp_ok($batches, '>=', 2, 'delete: at least 2 batches are in the evidence');
cmp_ok($logged, '>', 0, 'delete: and rows');
cmp_ok($logged, '<', $due_rows, 'delete: the run was interrupted before the end');
is($due_rows - $remaining, $logged,
	'delete (a): the rows gone are exactly the rows the evidence records');
# batch sizes vary (a sweep sizes its page ranges by density): the trigger's
# log holds the committed batches
is($node->safe_psql('app', q{SELECT count(*) || '|' || sum(n) FROM batch_log WHERE tbl = 'event'}),
	"$batches|$logged", 'delete (b): whole batches only: the evidence is exactly the committed batches');
is($node->safe_psql('app', "SELECT count(*) FROM event WHERE id > $due_rows"),
	$fresh_rows, 'delete: rows not due are all there');
is($outcome, 'running', 'delete (c): the job is still "running" after the crash');
is($node->safe_psql('app', "SELECT status, finished_at IS NULL FROM retention.run WHERE run_id = $run1"),
	'running|t', 'delete (c): the run is still "running" until the next run');

# The next run: marks the crashed one interrupted, finishes the work.
$node->safe_psql('app', q{CALL retention.enforce('event')});
my $run2 = $node->safe_psql('app', 'SELECT max(run_id) FROM retention.run');
cmp_ok($run2, '>', $run1, 'delete: the next run is a new run');

is($node->safe_psql('app', "SELECT status FROM retention.run WHERE run_id = $run1"),
	'interrupted', 'delete (c): the next run marks the crashed run "interrupted"');
is( $node->safe_psql(
		'app', "SELECT outcome, rows_processed FROM retention.action_log WHERE run_id = $run1"),
	"interrupted|$logged",
	'delete (c): ... and its job "interrupted", its rows processed unchanged');
is( $node->safe_psql(
		'app', "SELECT status, rows_deleted FROM retention.run WHERE run_id = $run2"),
	'completed|' . ($due_rows - $logged),
	'delete (d): the next run completes the remaining rows');
is( $node->safe_psql(
		'app',
		"SELECT outcome, rows_processed FROM retention.action_log WHERE run_id = $run2"),
	'done|' . ($due_rows - $logged),
	'delete (d): its job is done with the remaining rows');
is($node->safe_psql('app', q{SELECT count(*) FROM event WHERE created_at < now() - interval '1 day'}),
	'0', 'delete (d): no due row is left');
is($node->safe_psql('app', q{SELECT rows_due FROM retention.preview() WHERE table_name = 'event'::regclass}),
	'0', 'delete (d): preview agrees');
is($node->safe_psql('app', 'SELECT count(*) FROM event'),
	$fresh_rows, 'delete (d): the rows not due are untouched');
is( $node->safe_psql(
		'app',
		"SELECT sum(rows_processed) FROM retention.action_log WHERE run_id IN ($run1, $run2) AND table_name = 'public.event'"),
	$due_rows,
	'delete (d): action_log totals of both runs = the initial due count');
is( $node->safe_psql(
		'app', "SELECT sum(rows_deleted) FROM retention.run WHERE run_id IN ($run1, $run2)"),
	$due_rows,
	'delete (d): retention.run totals of both runs = the initial due count (the interrupted run counts what it committed)');

# --- anonymize: two column tags, one UPDATE per batch ---------------------

# A row is anonymized when both columns are; half of it must never happen.
my $original_phone = q{'+385 91 ' || lpad(id::text, 7, '0')};
my $done_sql = qq{email IS NULL AND phone = retention.mask($original_phone, 2)};
my $untouched_sql = qq{email = 'user' || id || '\@example.com' AND phone = $original_phone};

my $run3 = crash_mid_run('contact', 'anonymize');

my ($rows3, $values3, $batches3, $outcome3) = split /\|/,
  $node->safe_psql('app',
	qq{SELECT rows_processed, values_processed, batches, outcome FROM retention.action_log
	    WHERE run_id = $run3 AND table_name = 'public.contact'});
my $anonymized = $node->safe_psql('app', "SELECT count(*) FROM contact WHERE $done_sql");
note("anonymize: evidence says $rows3 rows ($values3 values) in $batches3 batches; $anonymized rows anonymized");

is($node->safe_psql('app', "SELECT count(*) FROM contact WHERE NOT ($done_sql) AND NOT ($untouched_sql)"),
	'0', 'anonymize: no row is half-anonymized (both columns or neither)');
is($node->safe_psql('app', q{SELECT count(*) FROM contact WHERE (email IS NULL) <> (phone LIKE '%*%')}),
	'0', 'anonymize: email nullified exactly where phone is masked');
cmp_ok($batches3, '>=', 2, 'anonymize: at least 2 batches are in the evidence');
cmp_ok($rows3, '>', 0, 'anonymize: and rows');
cmp_ok($rows3, '<', $due_rows, 'anonymize: the run was interrupted before the end');
is($anonymized, $rows3, 'anonymize (a): the rows anonymized are exactly the rows the evidence records');
is($values3, "{$rows3,$rows3}", 'anonymize (a): values_processed per column match');
is($node->safe_psql('app', q{SELECT count(*) || '|' || sum(n) FROM batch_log WHERE tbl = 'contact'}),
	"$batches3|$rows3", 'anonymize (b): whole batches only: the evidence is exactly the committed batches');
is($outcome3, 'running', 'anonymize (c): the job is still "running" after the crash');
is($node->safe_psql('app', "SELECT status FROM retention.run WHERE run_id = $run3"),
	'running', 'anonymize (c): the run is still "running" until the next run');

$node->safe_psql('app', q{CALL retention.enforce('contact')});
my $run4 = $node->safe_psql('app', 'SELECT max(run_id) FROM retention.run');
cmp_ok($run4, '>', $run3, 'anonymize: the next run is a new run');

is($node->safe_psql('app', "SELECT status FROM retention.run WHERE run_id = $run3"),
	'interrupted', 'anonymize (c): the next run marks the crashed run "interrupted"');
is($node->safe_psql('app', "SELECT outcome FROM retention.action_log WHERE run_id = $run3"),
	'interrupted', 'anonymize (c): ... and its job "interrupted"');
my $rest = $due_rows - $rows3;
is( $node->safe_psql(
		'app',
		"SELECT outcome, rows_processed, values_processed FROM retention.action_log WHERE run_id = $run4"),
	"done|$rest|{$rest,$rest}",
	'anonymize (d): the next run anonymizes exactly the remaining rows');
is( $node->safe_psql(
		'app', "SELECT status, values_anonymized FROM retention.run WHERE run_id = $run4"),
	'completed|' . (2 * $rest), 'anonymize (d): the next run completes');
is($node->safe_psql('app', "SELECT count(*) FROM contact WHERE $done_sql"),
	$due_rows, 'anonymize (d): every due row is anonymized, both columns');
is($node->safe_psql('app', "SELECT count(*) FROM contact WHERE id > $due_rows AND $untouched_sql"),
	$fresh_rows, 'anonymize (d): the rows not due are untouched');
is( $node->safe_psql(
		'app',
		q{SELECT string_agg(column_name || '=' || rows_due, ' ' ORDER BY column_name)
		    FROM retention.preview() WHERE table_name = 'contact'::regclass}),
	'email=0 phone=0', 'anonymize (d): preview shows nothing due');
is( $node->safe_psql(
		'app',
		"SELECT sum(rows_processed), sum(values_processed[1]), sum(values_processed[2])
		   FROM retention.action_log WHERE run_id IN ($run3, $run4)"),
	"$due_rows|$due_rows|$due_rows",
	'anonymize (d): action_log totals of both runs = the initial due count');
is( $node->safe_psql(
		'app', "SELECT sum(values_anonymized) FROM retention.run WHERE run_id IN ($run3, $run4)"),
	2 * $due_rows,
	'anonymize (d): retention.run totals of both runs = 2 values per due row (the interrupted run counts what it committed)');

# A run right after changes nothing.
$node->safe_psql('app', 'CALL retention.enforce()');
is( $node->safe_psql(
		'app',
		q{SELECT status, rows_deleted, values_anonymized FROM retention.run ORDER BY run_id DESC LIMIT 1}),
	'completed|0|0', 'a run after the recovery finds nothing left to do');

# --- a failing batch: the evidence counts nothing of what was rolled back -

$node->safe_psql(
	'app', q{
DROP TRIGGER slow_batch ON contact;
INSERT INTO contact
SELECT 30000 + i, now() - interval '10 days', 'late' || i || '@example.com', '+385 92 ' || lpad(i::text, 7, '0')
  FROM generate_series(1, 10) i;
CREATE FUNCTION refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'refused';
END
$$;
CREATE TRIGGER refuse_update BEFORE UPDATE ON contact
    FOR EACH ROW EXECUTE FUNCTION refuse_update();
CALL retention.enforce('contact');
});
is( $node->safe_psql(
		'app',
		q{SELECT outcome, error_sqlstate, rows_processed, values_processed, batches
		    FROM retention.action_log ORDER BY action_id DESC LIMIT 1}),
	'error|P0001|0|{0,0}|0',
	'failed batch: recorded as an error, with 0 rows and 0 values (nothing was committed)');
is( $node->safe_psql(
		'app', q{SELECT status, values_anonymized, errors FROM retention.run ORDER BY run_id DESC LIMIT 1}),
	'completed with errors|0|1', 'failed batch: the run counts 0 values anonymized');
is($node->safe_psql('app', 'SELECT count(*) FROM contact WHERE id > 30000 AND email IS NOT NULL'),
	'10', 'failed batch: the rows are unchanged');

$node->stop;

done_testing();
