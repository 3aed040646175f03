# Upgrades: every released version updates to the current one, keeps its
# data, and ends with exactly the objects of a fresh install.
#
#   - CREATE EXTENSION pg_retention VERSION '<released>' with the current
#     library (C functions must serve the old SQL definitions until the
#     update runs), filled with categories, tags, holds, evidence, the
#     suppression list and the secret;
#   - ALTER EXTENSION pg_retention UPDATE (and pg_retention_tap);
#   - the data is all there, the secret unchanged, a hold still protects;
#   - before the update, the C functions that return rows serve the old SQL
#     definitions (status, preview, worker_status, the tags, export, erasure
#     dry run): the pg_stat_statements pattern;
#   - a catalog fingerprint of the extension's objects (definitions,
#     columns, constraints, indexes, triggers, policies, privileges,
#     comments, row security) equals a fresh install's, for pg_retention
#     and for pg_retention_tap.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('upgrade');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'pg_retention'
retention.enabled = off
});
$node->start;

my $current = $node->safe_psql('postgres',
	q{SELECT default_version FROM pg_available_extensions WHERE name = 'pg_retention'});
my @released = grep { $_ ne $current } split /\n/, $node->safe_psql('postgres',
	q{SELECT version FROM pg_available_extension_versions WHERE name = 'pg_retention' ORDER BY version});
ok(scalar(@released) >= 1, "released versions to upgrade from: @released");

# One line per fact about each object of the extension, sorted: a
# difference names the object and the fact.
my $fingerprint = q{
WITH ext AS (
    SELECT classid, objid FROM pg_depend
     WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
       AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'EXTNAME')
), facts AS (
    SELECT pg_describe_object(classid, objid, 0) AS obj, 'exists' AS fact FROM ext
    UNION ALL
    SELECT pg_describe_object(e.classid, e.objid, 0),
           'def ' || pg_get_functiondef(p.oid) || ' acl ' || coalesce(p.proacl::text, '-')
           || ' owner-is-ext ' || (p.proowner = (SELECT extowner FROM pg_extension WHERE extname = 'EXTNAME'))
      FROM ext e JOIN pg_proc p ON e.classid = 'pg_proc'::regclass AND p.oid = e.objid
    UNION ALL
    SELECT pg_describe_object(e.classid, e.objid, 0),
           'rel kind=' || c.relkind::text || ' rls=' || c.relrowsecurity || '/' || c.relforcerowsecurity
           || ' acl ' || coalesce(c.relacl::text, '-')
           || CASE WHEN c.relkind = 'v' THEN ' view ' || pg_get_viewdef(c.oid) ELSE '' END
      FROM ext e JOIN pg_class c ON e.classid = 'pg_class'::regclass AND c.oid = e.objid
    UNION ALL
    SELECT pg_describe_object(e.classid, e.objid, 0),
           'column ' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
           || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
           || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
           || ' acl ' || coalesce(a.attacl::text, '-')
      FROM ext e JOIN pg_attribute a ON e.classid = 'pg_class'::regclass AND a.attrelid = e.objid
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT pg_describe_object(e.classid, e.objid, 0),
           'constraint ' || co.conname || ' ' || pg_get_constraintdef(co.oid)
      FROM ext e JOIN pg_constraint co ON e.classid = 'pg_class'::regclass AND co.conrelid = e.objid
    UNION ALL
    SELECT pg_describe_object(e.classid, e.objid, 0), 'index ' || pg_get_indexdef(i.indexrelid)
      FROM ext e JOIN pg_index i ON e.classid = 'pg_class'::regclass AND i.indrelid = e.objid
    UNION ALL
    SELECT pg_describe_object(e.classid, e.objid, 0),
           'trigger ' || pg_get_triggerdef(t.oid) || ' enabled=' || t.tgenabled::text
      FROM ext e JOIN pg_trigger t ON e.classid = 'pg_class'::regclass AND t.tgrelid = e.objid
     WHERE NOT t.tgisinternal
    UNION ALL
    SELECT pg_describe_object(e.classid, e.objid, 0),
           'policy ' || po.polname || ' ' || po.polcmd::text || ' ' || coalesce(pg_get_expr(po.polqual, po.polrelid), '')
      FROM ext e JOIN pg_policy po ON e.classid = 'pg_class'::regclass AND po.polrelid = e.objid
    UNION ALL
    SELECT pg_describe_object(e.classid, e.objid, 0), 'comment ' || d.description
      FROM ext e JOIN pg_description d ON d.classoid = e.classid AND d.objoid = e.objid
    UNION ALL
    SELECT 'schema ' || n.nspname, 'acl ' || coalesce(n.nspacl::text, '-')
      FROM pg_namespace n JOIN pg_extension x ON x.extnamespace = n.oid WHERE x.extname = 'EXTNAME'
    UNION ALL
    -- one fact per configuration table: an update registers new ones after
    -- the old ones, a fresh install in script order
    SELECT 'extension', 'config ' || u.rel::regclass::text || ' ' || coalesce(u.cond, '-')
      FROM pg_extension e, unnest(e.extconfig, e.extcondition) u(rel, cond)
     WHERE e.extname = 'EXTNAME'
)
SELECT obj || ' | ' || fact FROM facts ORDER BY 1;
};
sub fingerprint_of { my ($ext) = @_; return $fingerprint =~ s/EXTNAME/$ext/gr; }

# Compares the fingerprints of one extension in two databases.
sub same_objects
{
	my ($ext, $db, $fresh, $min, $what) = @_;
	my @updated = split /\n/, $node->safe_psql($db, fingerprint_of($ext));
	my @installed = split /\n/, $node->safe_psql($fresh, fingerprint_of($ext));
	my %in_fresh = map { $_ => 1 } @installed;
	my %in_updated = map { $_ => 1 } @updated;
	my @missing = grep { !$in_updated{$_} } @installed;
	my @extra = grep { !$in_fresh{$_} } @updated;
	diag("$ext: only in a fresh install: $_") foreach @missing;
	diag("$ext: only after the update: $_") foreach @extra;
	ok(@missing == 0 && @extra == 0 && @installed > $min,
		"$what: after the update ${ext}'s objects equal a fresh install's (" . scalar(@installed) . " facts)");
}

my $fill = q{
SELECT retention.define_category('customer_data', '1 day',
    description => 'Customers', purpose => 'Contract', legal_basis => 'Art. 6(1)(b)');
SELECT retention.define_category('contact_data', '1 day', action => 'nullify');
CREATE TABLE customer (id integer PRIMARY KEY, closed_at timestamptz, email text, phone text);
SECURITY LABEL FOR retention ON TABLE customer IS 'category=customer_data anchor=closed_at';
SECURITY LABEL FOR retention ON COLUMN customer.email IS 'subject=email';
SECURITY LABEL FOR retention ON COLUMN customer.phone IS 'category=contact_data anchor=closed_at';
INSERT INTO customer VALUES
    (1, now() - interval '10 days', 'held@example.com', '+4411'),
    (2, now() - interval '10 days', 'gone@example.com', '+4412'),
    (3, NULL, 'open@example.com', '+4413'),
    (4, NULL, 'later@example.com', '+4414');
SELECT retention.place_hold('litigation', subject_kind => 'email', subject_value => 'held@example.com');
SELECT retention.suppress('email', 'optout@example.com');
};

foreach my $old (@released)
{
	my $db = 'upgrade_from_' . ($old =~ s/\W/_/gr);
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, "CREATE EXTENSION pg_retention VERSION '$old'");
	is($node->safe_psql($db, q{SELECT extversion FROM pg_extension WHERE extname = 'pg_retention'}),
		$old, "$old installs with the current library");
	$node->safe_psql($db, $fill);
	$node->safe_psql($db, 'CALL retention.enforce()');
	# customer 4's anchor is set only after the first run: due again later
	$node->safe_psql($db, q{UPDATE customer SET closed_at = now() - interval '10 days' WHERE id = 4});

	# the new library serves the old SQL definitions of the C functions
	# that return rows, before ALTER EXTENSION UPDATE runs
	my %old_calls = (
		'status' => q{SELECT count(*) FROM retention.status},
		'preview' => q{SELECT string_agg(table_name::text || '.' || coalesce(column_name::text, '') || ' ' || action || ' ' || rows_due, ', ' ORDER BY table_name::text, column_name)
		                 FROM retention.preview(now() + interval '1 year')},
		'worker_status' => q{SELECT count(*) >= 0 FROM retention.worker_status()},
		'tags' => q{SELECT string_agg(object || ' ' || valid, ', ' ORDER BY object) FROM retention.tags},
		'export_subject' => q{SELECT jsonb_typeof(retention.export_subject('{"email": "held@example.com"}'))},
		'export_subject_csv' => q{SELECT count(*) > 0 FROM retention.export_subject_csv('{"email": "held@example.com"}')},
		'erase_subject (dry run)' => q{SELECT string_agg(table_name::text || ' ' || rows_found || ' ' || rows_held || ' ' || note, ', ')
		                                 FROM retention.erase_subject('{"email": "held@example.com"}', dry_run => true)});
	my %old_results;
	foreach my $f (sort keys %old_calls)
	{
		my ($ret, $out, $err) = $node->psql($db, $old_calls{$f});
		is($ret, 0, "$old: $f works with the $old definitions and the new library")
		  or diag($err);
		$old_results{$f} = $out;
	}
	is($old_results{'status'}, '2', "$old: status lists the two retention tags before the update");
	is($old_results{'export_subject'}, 'object', "$old: export_subject returns a document before the update");
	is($old_results{'erase_subject (dry run)'}, 'customer 1 1 the subject is under a legal hold: nothing was changed',
		"$old: an erasure dry run finds the held row before the update (6 result columns, the note last)");

	my $key_before = $node->safe_psql($db, q{SELECT encode(key, 'hex') FROM retention._secret});
	my $counts_sql = q{SELECT (SELECT count(*) FROM retention.category) || ' categories, '
	  || (SELECT count(*) FROM retention.tags) || ' tags, '
	  || (SELECT count(*) FROM retention.legal_hold) || ' holds, '
	  || (SELECT count(*) FROM retention.run) || ' runs, '
	  || (SELECT count(*) FROM retention.action_log) || ' actions, '
	  || (SELECT count(*) FROM retention.suppression) || ' suppressed'};
	my $counts_before = $node->safe_psql($db, $counts_sql);
	is($node->safe_psql($db, 'SELECT id FROM customer ORDER BY id'), "1\n3\n4",
		"$old: the first run deleted the due, unheld row");

	$node->safe_psql($db, 'ALTER EXTENSION pg_retention UPDATE');
	is($node->safe_psql($db, q{SELECT extversion FROM pg_extension WHERE extname = 'pg_retention'}),
		$current, "$old updates to $current");
	is($node->safe_psql($db, $counts_sql), $counts_before, "$old: policy, holds, evidence and suppression list kept");
	is($node->safe_psql($db, q{SELECT encode(key, 'hex') FROM retention._secret}), $key_before,
		"$old: the secret is unchanged");
	is($node->safe_psql($db, q{SELECT retention.is_suppressed('email', 'optout@example.com')}), 't',
		"$old: a suppressed identifier is still suppressed");
	# 0.1.0's erasure deleted every category's data: its categories say so
	is($node->safe_psql($db, q{SELECT string_agg(DISTINCT on_erasure, ',') FROM retention.category}), 'delete',
		"$old: existing categories get on_erasure = delete, what ${old}'s erasure did");

	foreach my $f ('status', 'preview', 'tags', 'export_subject', 'erase_subject (dry run)')
	{
		is($node->safe_psql($db, $old_calls{$f}), $old_results{$f}, "$old: $f says the same after the update");
	}
	is($node->safe_psql($db, q{SELECT rows_held || ' ' || rows_kept FROM retention.erase_subject('{"email": "held@example.com"}', dry_run => true)}),
		'1 0', "$old: after the update erase_subject reports rows_kept apart");

	$node->safe_psql($db, 'CALL retention.enforce()');
	is($node->safe_psql($db, 'SELECT id FROM customer ORDER BY id'), "1\n3",
		"$old: after the update the hold still protects and due rows still go");

	# the companion extension updates too
	$node->safe_psql($db, 'CREATE EXTENSION pgtap');
	$node->safe_psql($db, "CREATE EXTENSION pg_retention_tap VERSION '$old'");
	$node->safe_psql($db, 'ALTER EXTENSION pg_retention_tap UPDATE');
	is($node->safe_psql($db, q{SELECT extversion FROM pg_extension WHERE extname = 'pg_retention_tap'}),
		$current, "$old: pg_retention_tap updates to $current");

	my $fresh = "fresh_for_$db";
	$node->safe_psql('postgres', "CREATE DATABASE $fresh");
	$node->safe_psql($fresh, 'CREATE EXTENSION pg_retention');
	same_objects('pg_retention', $db, $fresh, 100, $old);

	# the same for the companion
	$node->safe_psql($fresh, 'CREATE EXTENSION pgtap; CREATE EXTENSION pg_retention_tap');
	same_objects('pg_retention_tap', $db, $fresh, 5, "$old (pg_retention_tap)");
}

$node->stop;
done_testing();
