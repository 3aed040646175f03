/*-------------------------------------------------------------------------
 *
 * src/evidence.c
 *	  The evidence writer: retention.run and retention.action_log, written
 *	  as the extension's owner (who owns the logs).
 *
 * Evidence never holds row values: errors are recorded by SQLSTATE and in
 * our own words (retention.log_error_details sends the full text to the
 * server log, for a DBA who accepts that risk).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "pg_retention.h"

/* The owner of the extension's tables (the role that created it). */
static Oid
extension_owner(void)
{
	Oid			relid = get_relname_relid("run", get_namespace_oid(RETENTION_SCHEMA, false));
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tuple))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table retention.run of extension pg_retention does not exist"),
				 errdetail("Enforcement records its runs there; it was dropped or renamed."),
				 errhint("Rename it back to retention.run (dropping and creating the extension again would lose its holds, suppression list and evidence).")));
	owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);
	return owner;
}

/*
 * Does an evidence table have this column?  The library may run before
 * ALTER EXTENSION pg_retention UPDATE has added the columns of 0.2.0
 * (rows_kept, rows_skipped_locked, paused): then those are not written.
 */
static bool
evidence_has_column(const char *table, const char *column)
{
	Oid			nsp = get_namespace_oid(RETENTION_SCHEMA, false);
	Oid			relid = get_relname_relid(table, nsp);

	return OidIsValid(relid) && get_attnum(relid, column) != InvalidAttrNumber;
}

/*
 * retention_exec_as_extension_owner
 *
 * Runs one statement of ours (evidence, holds, suppression list) as the
 * extension's owner with search_path = pg_catalog, pg_temp, from its kept
 * plan; raises unless SPI returns expected.  Results are in SPI_tuptable.
 */
void
retention_exec_as_extension_owner(const char *sql, int nargs, Oid *types,
								  Datum *values, const char *nulls, int expected)
{
	Oid			owner = extension_owner();
	int			nestlevel;
	Oid			save_userid;
	int			save_sec;
	int			rc;

	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(owner, save_sec | SECURITY_LOCAL_USERID_CHANGE);
	nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	rc = SPI_execute_plan(retention_kept_plan(sql, nargs, types, false), values, nulls, false, 0);
	AtEOXact_GUC(false, nestlevel);
	SetUserIdAndSecContext(save_userid, save_sec);
	if (rc != expected)
		elog(ERROR, "evidence statement failed: %s", SPI_result_code_string(rc));
}

/*
 * retention_evidence_insert
 *
 * An INSERT ... RETURNING <bigint> as the extension's owner; returns the
 * value.
 */
int64
retention_evidence_insert(const char *sql, int nargs, Oid *types, Datum *values,
						  const char *nulls)
{
	bool		isnull;

	retention_exec_as_extension_owner(sql, nargs, types, values, nulls, SPI_OK_INSERT_RETURNING);
	return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

/*
 * retention_error_in_words
 *
 * Words for an error, without anything it may quote from a row.
 */
const char *
retention_error_in_words(int sqlerrcode)
{
	switch (sqlerrcode)
	{
		case ERRCODE_QUERY_CANCELED:
			return "batch cancelled (statement timeout: retention.statement_timeout)";
		case ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE:
			return "relation changed since planning, or a prerequisite is missing";
		case ERRCODE_LOCK_NOT_AVAILABLE:
			return "table lock not available within retention.lock_timeout";
		case ERRCODE_T_R_DEADLOCK_DETECTED:
			return "deadlock";
		case ERRCODE_T_R_SERIALIZATION_FAILURE:
			return "serialization failure";
		case ERRCODE_INSUFFICIENT_PRIVILEGE:
			return "the table owner lacks a privilege the batch needs (for a foreign-key anchor: SELECT on the parent table), or a table this job reads has row security and another owner";
		case ERRCODE_FOREIGN_KEY_VIOLATION:
			return "a foreign key of another table still references the rows";
		case ERRCODE_RAISE_EXCEPTION:
			return "a trigger or rule raised an exception";
		default:
			return "the batch failed";
	}
}

static Datum
int64_array(int64 *values, int n)
{
	Datum	   *datums = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
		datums[i] = Int64GetDatum(values[i]);
	return PointerGetDatum(construct_array(datums, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

static Datum
text_array(List *strings)
{
	int			n = list_length(strings);
	Datum	   *datums = palloc(sizeof(Datum) * Max(n, 1));
	int			i = 0;
	ListCell   *lc;

	foreach(lc, strings)
		datums[i++] = CStringGetTextDatum((char *) lfirst(lc));
	return PointerGetDatum(construct_array(datums, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/*
 * retention_evidence_start_run
 *
 * Marks runs left "running" as interrupted (the caller holds the run lock,
 * so none is live), inserts the row of a new run and returns its id.
 */
int64
retention_evidence_start_run(TimestampTz now, const char *origin)
{
	Oid			types[2] = {TIMESTAMPTZOID, TEXTOID};
	Datum		values[2];

	retention_exec_as_extension_owner("UPDATE retention.run r SET status = 'interrupted', finished_at = pg_catalog.clock_timestamp(),"
									  " rows_deleted = t.deleted, values_anonymized = t.anonymized, rows_held = t.held,"
									  " batches = t.batches, wal_bytes = t.wal, errors = t.errors"
									  "  FROM (SELECT a.run_id,"
									  "               coalesce(pg_catalog.sum(a.rows_processed) FILTER (WHERE a.action OPERATOR(pg_catalog.<>) 'anonymize'), 0)::bigint AS deleted,"
									  "               coalesce(pg_catalog.sum((SELECT pg_catalog.sum(v) FROM pg_catalog.unnest(a.values_processed) v))"
									  "                        FILTER (WHERE a.action OPERATOR(pg_catalog.=) 'anonymize'), 0)::bigint AS anonymized,"
									  "               coalesce(pg_catalog.sum(a.rows_held), 0)::bigint AS held,"
									  "               coalesce(pg_catalog.sum(a.batches), 0)::bigint AS batches,"
									  "               coalesce(pg_catalog.sum(a.wal_bytes), 0)::bigint AS wal,"
									  "               pg_catalog.count(*) FILTER (WHERE a.outcome OPERATOR(pg_catalog.=) 'error') AS errors"
									  "          FROM retention.action_log a"
									  "         WHERE a.run_id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT r2.run_id FROM retention.run r2"
									  "                                                  WHERE r2.status OPERATOR(pg_catalog.=) 'running'))"
									  "         GROUP BY a.run_id) t"
									  " WHERE r.status OPERATOR(pg_catalog.=) 'running' AND t.run_id OPERATOR(pg_catalog.=) r.run_id",
									  0, NULL, NULL, NULL, SPI_OK_UPDATE);
	retention_exec_as_extension_owner("UPDATE retention.run SET status = 'interrupted', finished_at = pg_catalog.clock_timestamp()"
									  " WHERE status OPERATOR(pg_catalog.=) 'running'",
									  0, NULL, NULL, NULL, SPI_OK_UPDATE);
	retention_exec_as_extension_owner("UPDATE retention.action_log SET outcome = 'interrupted' WHERE outcome OPERATOR(pg_catalog.=) 'running'",
									  0, NULL, NULL, NULL, SPI_OK_UPDATE);
	values[0] = TimestampTzGetDatum(now);
	values[1] = CStringGetTextDatum(origin);
	return retention_evidence_insert("INSERT INTO retention.run (as_of, origin) VALUES ($1, $2) RETURNING run_id",
									 2, types, values, NULL);
}

/*
 * retention_evidence_finish_run
 *
 * Writes a run's status and totals.
 */
void
retention_evidence_finish_run(int64 run_id, const char *status,
							  const RetentionRunTotals *totals)
{
	Oid			t[12] = {INT8OID, TEXTOID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, INT4OID, INT8OID, INT8OID,
	INTERVALOID};
	Datum		v[12];
	Interval   *paused = palloc0(sizeof(Interval));
	StringInfoData sql;

	paused->time = totals->paused;
	v[0] = Int64GetDatum(run_id);
	v[1] = CStringGetTextDatum(status);
	v[2] = Int64GetDatum(totals->rows_deleted);
	v[3] = Int64GetDatum(totals->values_anonymized);
	v[4] = Int64GetDatum(totals->rows_held);
	v[5] = Int64GetDatum(totals->batches);
	v[6] = Int64GetDatum(totals->errors);
	v[7] = Int64GetDatum(totals->wal_bytes);
	v[8] = Int32GetDatum(totals->jobs);
	v[9] = Int64GetDatum(totals->rows_blocked);
	v[10] = Int64GetDatum(totals->skipped_locked);
	v[11] = IntervalPGetDatum(paused);
	initStringInfo(&sql);
	appendStringInfoString(&sql, "UPDATE retention.run SET finished_at = pg_catalog.clock_timestamp(), status = $2,"
						   " rows_deleted = $3, values_anonymized = $4, rows_held = $5, batches = $6,"
						   " errors = $7, wal_bytes = $8, jobs = $9, rows_blocked = $10");
	/* columns of 0.2.0: only once ALTER EXTENSION UPDATE has added them */
	if (evidence_has_column("run", "rows_skipped_locked"))
		appendStringInfoString(&sql, ", rows_skipped_locked = $11");
	if (evidence_has_column("run", "paused"))
		appendStringInfoString(&sql, ", paused = $12");
	appendStringInfoString(&sql, " WHERE run_id OPERATOR(pg_catalog.=) $1");
	retention_exec_as_extension_owner(sql.data, 12, t, v, NULL, SPI_OK_UPDATE);
}

/*
 * retention_evidence_skipped_run
 *
 * Records a run that yielded to another one in progress (one cheap row,
 * finished at once).
 */
void
retention_evidence_skipped_run(TimestampTz now, const char *origin)
{
	Oid			types[2] = {TIMESTAMPTZOID, TEXTOID};
	Datum		values[2];

	values[0] = TimestampTzGetDatum(now);
	values[1] = CStringGetTextDatum(origin);
	retention_exec_as_extension_owner("INSERT INTO retention.run (as_of, origin, status, finished_at)"
									  " VALUES ($1, $2, 'skipped: another run in progress', pg_catalog.clock_timestamp())",
									  2, types, values, NULL, SPI_OK_INSERT);
}

/*
 * retention_evidence_start_job
 *
 * Inserts the evidence row of a job (outcome running) and returns its id.
 * Column names are the ones the job was planned with.
 */
int64
retention_evidence_start_job(int64 run_id, const EnforceJob *job)
{
	List	   *columns = NIL;
	List	   *categories = NIL;
	List	   *methods = NIL;
	ListCell   *lc;
	int			i = 0;
	Oid			types[7] = {INT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID};
	Datum		values[7];
	char		nulls[8] = "       ";

	foreach(lc, job->tags)
	{
		RetentionTag *tag = lfirst(lc);

		categories = lappend(categories, tag->category->name);
		if (!job->is_delete)
		{
			columns = lappend(columns, job->column_names[i]);
			methods = lappend(methods, (char *) retention_action_name(tag->action));
		}
		i++;
	}
	values[0] = Int64GetDatum(run_id);
	values[1] = CStringGetTextDatum(job->table_name);
	values[2] = CStringGetTextDatum(job->relation_name);
	values[3] = CStringGetTextDatum(job->is_delete ? "delete" : "anonymize");
	values[4] = text_array(columns);
	values[5] = text_array(categories);
	values[6] = text_array(methods);
	if (job->is_delete)
		nulls[4] = nulls[6] = 'n';
	return retention_evidence_insert("INSERT INTO retention.action_log (run_id, table_name, relation_name, action, columns, categories, methods)"
									 " VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING action_id",
									 7, types, values, nulls);
}

/*
 * retention_evidence_update_job
 *
 * Writes a job's counts and, when finished, its outcome.  ntags: the
 * per-tag value counts of result->values to record; 0 records NULL (a job
 * that anonymizes nothing, not even none).
 */
void
retention_evidence_update_job(int64 action_id, const RetentionJobResult *result,
							  int ntags, bool finished)
{
	Oid			types[12] = {INT8OID, INT8OID, INT8ARRAYOID, INT8OID, INT8OID, INT8OID, TEXTOID, TEXTOID, TEXTOID, INT8OID,
	INT8OID, INT8OID};
	Datum		values[12];
	char		nulls[13] = "            ";

	values[0] = Int64GetDatum(action_id);
	values[1] = Int64GetDatum(result->rows);
	values[2] = int64_array(result->values, ntags);
	if (ntags == 0)
		nulls[2] = 'n';			/* no values to count: a delete job */
	values[3] = Int64GetDatum(result->held);
	values[4] = Int64GetDatum(result->batches);
	values[5] = Int64GetDatum(result->wal_bytes);
	values[6] = CStringGetTextDatum(finished ? result->outcome : "running");
	if (result->error_sqlstate)
		values[7] = CStringGetTextDatum(result->error_sqlstate);
	else
		nulls[7] = 'n';
	if (result->error)
		values[8] = CStringGetTextDatum(result->error);
	else
		nulls[8] = 'n';
	values[9] = Int64GetDatum(result->blocked);
	values[10] = Int64GetDatum(result->kept);
	values[11] = Int64GetDatum(result->skipped_locked);
	/* before ALTER EXTENSION UPDATE: the 0.1.0 columns only */
	retention_exec_as_extension_owner(evidence_has_column("action_log", "rows_kept")
									  ? "UPDATE retention.action_log SET rows_processed = $2, values_processed = $3,"
									  " rows_held = $4, batches = $5, wal_bytes = $6, outcome = $7, rows_blocked = $10,"
									  " error_sqlstate = $8, error = $9, rows_kept = $11, rows_skipped_locked = $12,"
									  " finished_at = CASE WHEN $7 OPERATOR(pg_catalog.<>) 'running' THEN pg_catalog.clock_timestamp() END"
									  " WHERE action_id OPERATOR(pg_catalog.=) $1"
									  : "UPDATE retention.action_log SET rows_processed = $2, values_processed = $3,"
									  " rows_held = $4, batches = $5, wal_bytes = $6, outcome = $7, rows_blocked = $10,"
									  " error_sqlstate = $8, error = $9,"
									  " finished_at = CASE WHEN $7 OPERATOR(pg_catalog.<>) 'running' THEN pg_catalog.clock_timestamp() END"
									  " WHERE action_id OPERATOR(pg_catalog.=) $1",
									  12, types, values, nulls, SPI_OK_UPDATE);
}

/*
 * retention_evidence_invalid_tag
 *
 * Records a tag that does not resolve: reported, never enforced.
 */
void
retention_evidence_invalid_tag(int64 run_id, RetentionTag *tag)
{
	RetentionJobResult result = {0};
	char	   *name = retention_describe_tag(tag);
	Oid			types[3] = {INT8OID, TEXTOID, TEXTOID};
	Datum		values[3];
	int64		action_id;

	values[0] = Int64GetDatum(run_id);
	values[1] = CStringGetTextDatum(name);
	values[2] = tag->label.category ? CStringGetTextDatum(tag->label.category) : (Datum) 0;
	action_id = retention_evidence_insert("INSERT INTO retention.action_log (run_id, table_name, relation_name, action, categories)"
										  " VALUES ($1, $2, $2, 'none', pg_catalog.array_remove(ARRAY[$3], NULL)) RETURNING action_id",
										  3, types, values, tag->label.category ? "   " : "  n");
	result.outcome = "error";
	result.error_sqlstate = unpack_sql_state(tag->problem.sqlerrcode);
	result.error = psprintf("tag is not valid: %s", tag->problem.message);
	result.values = NULL;
	retention_evidence_update_job(action_id, &result, 0, true);
}

/*
 * retention_expire_evidence
 *
 * Deletes runs (and their actions) that the retention_evidence category
 * says are due.  The cutoff is computed once (due_time.c), so that the
 * index on finished_at finds them; due_time() is called only for runs in
 * the band where the rule is irregular, not for every run.
 */
void
retention_expire_evidence(TimestampTz now)
{
	Oid			types[3] = {TIMESTAMPTZOID, TIMESTAMPTZOID, TIMESTAMPTZOID};
	Datum		values[3];
	Datum		cutoff;
	RetentionCategory *category;

	category = retention_find_category(retention_load_categories(), "retention_evidence");
	if (category == NULL)
		return;
	retention_cutoff(TIMESTAMPTZOID, &category->rule, now, &cutoff, &values[1], &values[2]);
	values[0] = TimestampTzGetDatum(now);
	retention_exec_as_extension_owner("DELETE FROM retention.run r USING retention.category c"
									  " WHERE c.name OPERATOR(pg_catalog.=) 'retention_evidence'"
									  "   AND r.finished_at OPERATOR(pg_catalog.<=) $3"
									  "   AND (r.finished_at OPERATOR(pg_catalog.<=) $2"
									  "        OR retention.due_time(r.finished_at, c.period, c.starts, c.time_zone) OPERATOR(pg_catalog.<=) $1)",
									  3, types, values, NULL, SPI_OK_DELETE);
}
