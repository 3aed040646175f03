/*-------------------------------------------------------------------------
 *
 * src/enforce.c
 *	  The enforcement executor: CALL retention.enforce() and the background
 *	  worker run this code.
 *
 * A run takes a session advisory lock (one run per database at a time),
 * records itself in retention.run, plans its jobs (enforce_plan.c) and
 * works through them in batches:
 *
 *	 - one transaction per batch (when called as a procedure outside a
 *	   transaction block; inside one, a subtransaction per batch);
 *	 - each batch runs as the table's owner, in a security-restricted
 *	   operation, with search_path = pg_catalog, pg_temp, and with
 *	   retention.lock_timeout and retention.statement_timeout;
 *	 - rows locked by others are skipped (SKIP LOCKED) and left for a later
 *	   run; a failing batch is rolled back, recorded, and the run goes on
 *	   with the next job;
 *	 - the batch's evidence (retention.action_log) is updated in the batch's
 *	   own transaction, so after a crash the evidence says exactly what was
 *	   committed.
 *
 * Evidence never holds row values: errors are recorded by SQLSTATE and in
 * our own words (retention.log_error_details sends the full text to the
 * server log, for a DBA who accepts that risk).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "common/sha2.h"
#include "executor/instrument.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "nodes/value.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/date.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "pg_retention.h"

/* advisory lock key: "retn", 1 (documented in doc/enforcement.md) */
#define ENFORCE_LOCK_KEY1	0x7265746e
#define ENFORCE_LOCK_KEY2	1

/*
 * State visible to the functions that run inside a batch.  The keyed
 * functions also demand a random token that our statements pass as bound
 * parameter $1: the table owner's triggers run inside the batch too, and
 * must not use them as an oracle.  A bound value appears in no query text
 * or error context they could read.
 */
static bool executor_active = false;
static int64 executor_token = 0;
static uint8 executor_key[RETENTION_KEY_BYTES];
static const RetentionHolds *executor_holds = NULL;

typedef struct RunState
{
	int64		run_id;
	TimestampTz now;
	TimestampTz deadline;		/* 0: no budget */
	bool		nonatomic;
	RetentionHolds holds;
	int64		rows_deleted;
	int64		values_anonymized;
	int64		rows_held;
	int64		rows_blocked;
	int64		batches;
	int64		errors;
	int64		wal_bytes;
	bool		partial;
} RunState;

typedef struct JobResult
{
	int64		rows;			/* rows deleted or updated */
	int64	   *values;			/* per tag: values anonymized */
	int64		held;
	int64		blocked;
	int64		batches;
	int64		wal_bytes;
	const char *outcome;
	const char *error_sqlstate;
	const char *error;
} JobResult;

/*
 * retention_executor_key
 *
 * The key, for the keyed functions; only inside a batch and only with the
 * batch's token (they would otherwise be an oracle for the key).
 */
const uint8 *
retention_executor_key(int64 token)
{
	if (!executor_active || token != executor_token)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("this function can only run inside pg_retention enforcement"),
				 errhint("Use CALL retention.enforce() or retention.preview().")));
	return executor_key;
}

void
retention_set_executor_active(bool active, const RetentionHolds *holds)
{
	if (active)
	{
		retention_load_key(executor_key);
		if (!pg_strong_random(&executor_token, sizeof(executor_token)))
			elog(ERROR, "could not generate a random token");
	}
	else
	{
		explicit_bzero(executor_key, sizeof(executor_key));
		executor_token = 0;
	}
	executor_holds = holds;
	executor_active = active;
}

/*
 * retention_execute_job_sql
 *
 * Runs a statement built by enforce_plan.c (or subject.c): $1 is the
 * executor's token, the caller's own arguments follow as $2...
 */
int
retention_execute_job_sql(const char *sql, int nargs, Oid *types, Datum *values,
						  bool read_only, long tcount)
{
	Oid		   *alltypes = palloc(sizeof(Oid) * (nargs + 1));
	Datum	   *allvalues = palloc(sizeof(Datum) * (nargs + 1));

	alltypes[0] = INT8OID;
	allvalues[0] = Int64GetDatum(executor_token);
	for (int i = 0; i < nargs; i++)
	{
		alltypes[i + 1] = types[i];
		allvalues[i + 1] = values[i];
	}
	return SPI_execute_with_args(sql, nargs + 1, alltypes, allvalues, NULL, read_only, tcount);
}

/*
 * retention._subject_held(kind text, value text, token bigint) RETURNS boolean
 *
 * Whether an active legal hold protects this identifier; only inside
 * enforcement.
 */
PG_FUNCTION_INFO_V1(retention_subject_held);

Datum
retention_subject_held(PG_FUNCTION_ARGS)
{
	const uint8 *key = retention_executor_key(PG_GETARG_INT64(2));
	uint8		hash[PG_SHA256_DIGEST_LENGTH];
	bool		found = false;

	if (executor_holds == NULL || executor_holds->subject_hashes == NULL)
		PG_RETURN_BOOL(false);
	retention_identifier_hash(key, text_to_cstring(PG_GETARG_TEXT_PP(0)),
							  text_to_cstring(PG_GETARG_TEXT_PP(1)), hash);
	hash_search(executor_holds->subject_hashes, hash, HASH_FIND, &found);
	PG_RETURN_BOOL(found);
}

/*
 * retention_begin_as_owner / retention_end_as_owner
 *
 * Become owner (InvalidOid: stay who we are) in a security-restricted
 * operation with search_path = pg_catalog, pg_temp and the batch timeouts,
 * as VACUUM and REFRESH MATERIALIZED VIEW do.  An error in between is
 * undone by (sub)transaction abort.
 */
void
retention_begin_as_owner(Oid owner, int *nestlevel, Oid *save_userid,
						 int *save_sec_context)
{
	char		buf[32];

	GetUserIdAndSecContext(save_userid, save_sec_context);
	if (OidIsValid(owner))
		SetUserIdAndSecContext(owner, *save_sec_context |
							   SECURITY_LOCAL_USERID_CHANGE |
							   SECURITY_RESTRICTED_OPERATION);
	*nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	snprintf(buf, sizeof(buf), "%d", retention_lock_timeout);
	(void) set_config_option("lock_timeout", buf,
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
}

void
retention_end_as_owner(int nestlevel, Oid save_userid, int save_sec_context)
{
	/* false: settings the owner's code made in between are discarded too */
	AtEOXact_GUC(false, nestlevel);
	SetUserIdAndSecContext(save_userid, save_sec_context);
}

/* Arm the statement timeout for one batch; returns the caller's own. */
static TimestampTz
arm_statement_timeout(void)
{
	TimestampTz outer = get_timeout_active(STATEMENT_TIMEOUT)
		? get_timeout_finish_time(STATEMENT_TIMEOUT) : 0;

	if (retention_statement_timeout > 0)
	{
		TimestampTz fin = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													  retention_statement_timeout);

		enable_timeout_at(STATEMENT_TIMEOUT, (outer && outer < fin) ? outer : fin);
	}
	return outer;
}

static void
disarm_statement_timeout(TimestampTz outer)
{
	if (retention_statement_timeout <= 0)
		return;
	disable_timeout(STATEMENT_TIMEOUT, false);
	if (outer)
		enable_timeout_at(STATEMENT_TIMEOUT, outer);
}

/* The owner of the extension's tables (the role that created it). */
static Oid
extension_owner(void)
{
	Oid			relid = get_relname_relid("run", get_namespace_oid(RETENTION_SCHEMA, false));
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "retention.run is missing");
	owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);
	return owner;
}

/* Run one evidence statement as the extension's owner (it owns the logs). */


/*
 * Pacing: stop starting batches once the run wrote retention.max_wal_per_run
 * or while a standby replays more than retention.max_replay_lag behind.
 */
static bool
pacing_stop(RunState *run, JobResult *result)
{
	if (retention_max_wal_per_run > 0 &&
		run->wal_bytes + result->wal_bytes >= (int64) retention_max_wal_per_run * 1024)
	{
		result->outcome = "partial: retention.max_wal_per_run reached";
		return true;
	}
	if (retention_max_replay_lag > 0)
	{
		bool		isnull;
		Datum		lag;

		/* as the extension's owner: pg_stat_replication hides lag from others */
		retention_evidence_exec("SELECT pg_catalog.max(pg_catalog.date_part('epoch', replay_lag))"
					  " OPERATOR(pg_catalog.*) 1000 FROM pg_catalog.pg_stat_replication",
					  0, NULL, NULL, NULL, SPI_OK_SELECT);
		lag = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		if (!isnull && DatumGetFloat8(lag) > retention_max_replay_lag)
		{
			result->outcome = "partial: paused while a standby lags (retention.max_replay_lag)";
			return true;
		}
	}
	return false;
}

/* Run one evidence statement as the extension's owner (it owns the logs). */
void
retention_evidence_exec(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls,
			  int expected)
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
	rc = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);
	AtEOXact_GUC(false, nestlevel);
	SetUserIdAndSecContext(save_userid, save_sec);
	if (rc != expected)
		elog(ERROR, "evidence statement failed: %s", SPI_result_code_string(rc));
}

int64
retention_evidence_insert(const char *sql, int nargs, Oid *types, Datum *values,
							 const char *nulls)
{
	bool		isnull;

	retention_evidence_exec(sql, nargs, types, values, nulls, SPI_OK_INSERT_RETURNING);
	return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

/* Commit the batch (or, inside a transaction block, keep going). */
static void
end_batch_transaction(RunState *run)
{
	if (!run->nonatomic)
		return;
	SPI_commit();
#if PG_VERSION_NUM < 150000
	SPI_start_transaction();
#endif
}

/* Words for an error, without anything it may quote from a row. */
const char *
retention_error_in_words(int sqlerrcode)
{
	switch (sqlerrcode)
	{
		case ERRCODE_QUERY_CANCELED:
			return "batch cancelled (statement timeout: retention.statement_timeout)";
		case ERRCODE_LOCK_NOT_AVAILABLE:
			return "table lock not available within retention.lock_timeout";
		case ERRCODE_T_R_DEADLOCK_DETECTED:
			return "deadlock";
		case ERRCODE_T_R_SERIALIZATION_FAILURE:
			return "serialization failure";
		case ERRCODE_INSUFFICIENT_PRIVILEGE:
			return "the table owner lacks a privilege the batch needs (for a foreign-key anchor: SELECT on the parent table)";
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

/* Inserts the evidence row of a job (outcome running) and returns its id. */
static int64
start_job_evidence(RunState *run, EnforceJob *job)
{
	List	   *columns = NIL;
	List	   *categories = NIL;
	List	   *methods = NIL;
	ListCell   *lc;
	Oid			types[7] = {INT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID};
	Datum		values[7];
	char		nulls[8] = "       ";

	foreach(lc, job->tags)
	{
		RetentionTag *tag = lfirst(lc);

		categories = lappend(categories, tag->category->name);
		if (!job->is_delete)
		{
			columns = lappend(columns, retention_live_attname(tag->relid, tag->attnum));
			methods = lappend(methods, (char *) retention_action_name(tag->action));
		}
	}
	values[0] = Int64GetDatum(run->run_id);
	values[1] = CStringGetTextDatum(job->table_name);
	values[2] = CStringGetTextDatum(job->relation_name);
	values[3] = CStringGetTextDatum(job->is_delete ? "delete" : "anonymize");
	values[4] = text_array(columns);
	values[5] = text_array(categories);
	values[6] = text_array(methods);
	if (job->is_delete)
		nulls[4] = nulls[6] = 'n';
	return retention_evidence_insert(
										"INSERT INTO retention.action_log (run_id, table_name, relation_name, action, columns, categories, methods)"
										" VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING action_id",
										7, types, values, nulls);
}

static void
update_job_evidence(int64 action_id, JobResult *result, int ntags, bool finished)
{
	Oid			types[10] = {INT8OID, INT8OID, INT8ARRAYOID, INT8OID, INT8OID, INT8OID, TEXTOID, TEXTOID, TEXTOID, INT8OID};
	Datum		values[10];
	char		nulls[11] = "          ";

	values[0] = Int64GetDatum(action_id);
	values[1] = Int64GetDatum(result->rows);
	values[2] = int64_array(result->values, ntags);
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
	retention_evidence_exec("UPDATE retention.action_log SET rows_processed = $2, values_processed = $3,"
				  " rows_held = $4, batches = $5, wal_bytes = $6, outcome = $7, rows_blocked = $10,"
				  " error_sqlstate = $8, error = $9,"
				  " finished_at = CASE WHEN $7 OPERATOR(pg_catalog.<>) 'running' THEN pg_catalog.clock_timestamp() END"
				  " WHERE action_id OPERATOR(pg_catalog.=) $1",
				  10, types, values, nulls, SPI_OK_UPDATE);
}

/* Run a counting query as the job's owner. */
static int64
count_as_owner(EnforceJob *job, const char *sql, const RetentionHolds *holds)
{
	int			nestlevel;
	Oid			save_userid;
	int			save_sec;
	bool		isnull;
	int64		count;

	retention_begin_as_owner(job->owner, &nestlevel, &save_userid, &save_sec);
	retention_set_executor_active(true, holds);
	if (retention_execute_job_sql(sql, 0, NULL, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "count query failed");
	count = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	retention_set_executor_active(false, NULL);
	retention_end_as_owner(nestlevel, save_userid, save_sec);
	return count;
}

/*
 * One batch of a job: lock candidates, apply.  Returns the number of
 * candidate rows (0: nothing left).  Raises on error.
 */
static int64
run_batch(EnforceJob *job, RunState *run, JobResult *result)
{
	int			ntags = list_length(job->tags);
	Datum		args2[2];
	Oid			types2[2];
	uint64		n;
	Datum	   *tids;
	Datum	  **flags;
	uint64		wal_before = pgWalUsage.wal_bytes;
	int64	   *counted;
	int			rc;

	types2[0] = INT4OID;
	args2[0] = Int32GetDatum(retention_batch_size);
	if (job->resumable)
	{
		types2[1] = ((RetentionTag *) linitial(job->tags))->anchor_type;
		args2[1] = job->resume_from;
	}
	if (retention_execute_job_sql(job->candidates_sql, job->resumable ? 2 : 1, types2, args2,
								  false, 0) != SPI_OK_SELECT)
		elog(ERROR, "candidate query failed");
	n = SPI_processed;
	if (n == 0)
		return 0;
	if (job->resumable)
	{
		bool		isnull;
		Datum		last = SPI_getbinval(SPI_tuptable->vals[n - 1], SPI_tuptable->tupdesc,
										 SPI_tuptable->tupdesc->natts, &isnull);

		/* dates and timestamps are passed by value: no copy needed */
		if (!isnull)
			job->resume_from = last;
	}

	tids = palloc(sizeof(Datum) * n);
	flags = palloc(sizeof(Datum *) * ntags);
	counted = palloc0(sizeof(int64) * ntags);
	for (int t = 0; t < ntags; t++)
		flags[t] = palloc(sizeof(Datum) * n);
	for (uint64 i = 0; i < n; i++)
	{
		bool		isnull;

		tids[i] = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);
		for (int t = 0; !job->is_delete && t < ntags; t++)
		{
			Datum		f = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, t + 2, &isnull);
			bool		flag = !isnull && DatumGetBool(f);

			flags[t][i] = BoolGetDatum(flag);
			if (flag)
				counted[t]++;
		}
	}

	{
		int			nargs = job->is_delete ? 1 : ntags + 1;
		Oid		   *types = palloc(sizeof(Oid) * nargs);
		Datum	   *args = palloc(sizeof(Datum) * nargs);

		types[0] = TIDARRAYOID;
		args[0] = PointerGetDatum(construct_array(tids, n, TIDOID, sizeof(ItemPointerData), false, TYPALIGN_SHORT));
		for (int t = 1; t < nargs; t++)
		{
			types[t] = BOOLARRAYOID;
			args[t] = PointerGetDatum(construct_array(flags[t - 1], n, BOOLOID, 1, true, TYPALIGN_CHAR));
		}
		rc = retention_execute_job_sql(job->apply_sql, nargs, types, args, false, 0);
		if (rc != SPI_OK_DELETE && rc != SPI_OK_UPDATE_RETURNING)
			elog(ERROR, "apply statement failed: %s", SPI_result_code_string(rc));
	}
	/* an anonymized value must not look pending again, or we would loop */
	for (uint64 i = 0; !job->is_delete && i < SPI_processed; i++)
	{
		bool		isnull;
		Datum		still = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull && DatumGetBool(still))
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("anonymized values of %s still look due", job->relation_name),
					 errdetail("The anonymization method does not reach a fixed point for this column type."),
					 errhint("Choose another action for the column (nullify always converges).")));
	}
	/* counted only now: a batch that fails adds nothing */
	result->rows += SPI_processed;
	for (int t = 0; t < ntags; t++)
		result->values[t] += counted[t];
	result->wal_bytes += pgWalUsage.wal_bytes - wal_before;
	result->batches++;
	return (int64) n;
}

/* Drop or detach a wholly expired partition; false if it does not apply. */
static bool
try_partition_step(EnforceJob *job, RunState *run, JobResult *result)
{
	RetentionTag *tag = linitial(job->tags);
	Datum		bound;
	RetentionPartitions mode = tag->label.partitions;
	char	   *sql;
	char	   *count_sql;
	int64		rows;
	int			nestlevel;
	Oid			save_userid;
	int			save_sec;
	uint64		wal_before;

	if (!job->is_delete || job->relid == job->tagged_relid ||
		mode == RETENTION_PARTITIONS_ROWS || OidIsValid(tag->fk_conoid) ||
		result->held > 0 || job->held_sql != NULL || job->blocked_sql != NULL)
		return false;
	if (!retention_partition_upper_bound(job->relid,
										 get_attnum(job->relid, retention_live_attname(tag->relid, tag->anchor_attnum)),
										 &bound))
		return false;
	/* every anchor below the bound must be due: bound <= cutoff */
	if (tag->anchor_type == DATEOID ? DatumGetDateADT(bound) > DatumGetDateADT(job->cutoffs[0])
		: DatumGetInt64(bound) > DatumGetInt64(job->cutoffs[0]))
		return false;

	count_sql = psprintf("SELECT pg_catalog.count(*) FROM ONLY %s", job->relation_name);
	if (mode == RETENTION_PARTITIONS_DETACH)
		sql = psprintf("ALTER TABLE %s DETACH PARTITION %s", job->table_name, job->relation_name);
	else
		sql = psprintf("DROP TABLE %s", job->relation_name);

	retention_begin_as_owner(job->owner, &nestlevel, &save_userid, &save_sec);
	wal_before = pgWalUsage.wal_bytes;
	if (SPI_execute(count_sql, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "count failed");
	{
		bool		isnull;

		rows = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	if (SPI_execute(sql, false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "partition step failed");
	retention_end_as_owner(nestlevel, save_userid, save_sec);

	result->rows = rows;
	result->batches = 1;
	result->wal_bytes = pgWalUsage.wal_bytes - wal_before;
	result->outcome = (mode == RETENTION_PARTITIONS_DETACH) ? "detached partition" : "dropped partition";
	return true;
}

/* Runs one job to completion, the time budget, or an error. */
static void
run_job(EnforceJob *job, RunState *run)
{
	int			ntags = list_length(job->tags);
	JobResult	result = {0};
	int64		action_id;
	MemoryContext batch_cxt = AllocSetContextCreate(CurrentMemoryContext,
													"pg_retention batch",
													ALLOCSET_DEFAULT_SIZES);
	MemoryContext job_cxt = CurrentMemoryContext;

	result.values = palloc0(sizeof(int64) * ntags);
	result.outcome = "done";
	action_id = start_job_evidence(run, job);
	end_batch_transaction(run);

	/* the relation may have gone (a partition dropped since planning) */
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(job->relid)))
	{
		result.outcome = "skipped: relation dropped";
		update_job_evidence(action_id, &result, ntags, true);
		end_batch_transaction(run);
		return;
	}

	if (job->held)
	{
		result.held = count_as_owner(job, job->due_count_sql, &run->holds);
		result.outcome = "held";
		run->rows_held += result.held;
		update_job_evidence(action_id, &result, ntags, true);
		end_batch_transaction(run);
		return;
	}
	if (job->held_sql)
		result.held = count_as_owner(job, job->held_sql, &run->holds);
	if (job->blocked_sql)
		result.blocked = count_as_owner(job, job->blocked_sql, &run->holds);

	for (;;)
	{
		volatile int64 n = 0;
		TimestampTz outer;
		bool		failed = false;
		ResourceOwner batch_owner = CurrentResourceOwner;

		if (run->deadline && GetCurrentTimestamp() >= run->deadline)
		{
			result.outcome = "partial: time budget spent";
			run->partial = true;
			break;
		}
		if (pacing_stop(run, &result))
		{
			run->partial = true;
			break;
		}
		CHECK_FOR_INTERRUPTS();
		MemoryContextSwitchTo(batch_cxt);
		BeginInternalSubTransaction(NULL);
		outer = arm_statement_timeout();
		PG_TRY();
		{
			int			nestlevel;
			Oid			save_userid;
			int			save_sec;

			if (result.batches == 0 && try_partition_step(job, run, &result))
				n = -1;
			else
			{
				retention_begin_as_owner(job->owner, &nestlevel, &save_userid, &save_sec);
				retention_set_executor_active(true, &run->holds);
				n = run_batch(job, run, &result);
				retention_set_executor_active(false, NULL);
				retention_end_as_owner(nestlevel, save_userid, save_sec);
			}
			disarm_statement_timeout(outer);
			ReleaseCurrentSubTransaction();
		}
		PG_CATCH();
		{
			ErrorData  *edata;

			retention_set_executor_active(false, NULL);
			disarm_statement_timeout(outer);
			MemoryContextSwitchTo(batch_cxt);
			edata = CopyErrorData();
			FlushErrorState();
			RollbackAndReleaseCurrentSubTransaction();
			if (retention_log_error_details)
				ereport(WARNING,
						(errmsg("pg_retention: batch on %s failed: %s", job->relation_name, edata->message),
						 edata->detail ? errdetail_internal("%s", edata->detail) : 0));
			result.outcome = "error";
			result.error_sqlstate = pstrdup(unpack_sql_state(edata->sqlerrcode));
			result.error = pstrdup(retention_error_in_words(edata->sqlerrcode));
			failed = true;
		}
		PG_END_TRY();
		MemoryContextSwitchTo(job_cxt);
		CurrentResourceOwner = batch_owner;

		update_job_evidence(action_id, &result, ntags, failed || n <= 0 || n < retention_batch_size);
		end_batch_transaction(run);
		MemoryContextReset(batch_cxt);
		if (failed)
		{
			run->errors++;
			break;
		}
		if (n < 0 || n < retention_batch_size)
			break;
		/* pacing: an even pause between batches (between transactions) */
		if (retention_batch_delay > 0)
		{
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 retention_batch_delay, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
			CHECK_FOR_INTERRUPTS();
		}
	}

	run->batches += result.batches;
	run->wal_bytes += result.wal_bytes;
	if (job->is_delete)
		run->rows_deleted += result.rows;
	else
		for (int t = 0; t < ntags; t++)
			run->values_anonymized += result.values[t];
	run->rows_held += result.held;
	run->rows_blocked += result.blocked;
	if (strncmp(result.outcome, "partial", 7) == 0)
		update_job_evidence(action_id, &result, ntags, true);
	MemoryContextDelete(batch_cxt);
}

/* Records tags that do not resolve: they are reported, never enforced. */
static void
report_invalid_tag(RunState *run, RetentionTag *tag)
{
	JobResult	result = {0};
	EnforceJob	job = {0};
	int64		action_id;

	job.table_name = psprintf("%s", retention_describe_tag(tag));
	job.relation_name = job.table_name;
	job.is_delete = true;
	job.tags = NIL;
	action_id = retention_evidence_insert(
											 "INSERT INTO retention.action_log (run_id, table_name, relation_name, action, categories)"
											 " VALUES ($1, $2, $2, 'none', pg_catalog.array_remove(ARRAY[$3], NULL)) RETURNING action_id",
											 3, (Oid[]) {INT8OID, TEXTOID, TEXTOID},
											 (Datum[]) {Int64GetDatum(run->run_id), CStringGetTextDatum(job.table_name),
				tag->label.category ? CStringGetTextDatum(tag->label.category) : (Datum) 0},
											 tag->label.category ? "   " : "  n");
	result.outcome = "error";
	result.error_sqlstate = unpack_sql_state(tag->problem.sqlerrcode);
	result.error = psprintf("tag is not valid: %s", tag->problem.message);
	result.values = NULL;
	update_job_evidence(action_id, &result, 0, true);
	run->errors++;
}

/*
 * retention_load_holds
 *
 * Active holds as of now: category and table holds by name and OID, subject
 * holds as a set of keyed hashes.
 */
void
retention_load_holds(RetentionHolds *holds, TimestampTz now)
{
	MemoryContext caller = CurrentMemoryContext;
	Oid			type = TIMESTAMPTZOID;
	Datum		arg = TimestampTzGetDatum(now);
	HASHCTL		ctl;

	memset(holds, 0, sizeof(*holds));
	/* as the extension's owner: callers (retention_dsr) cannot read holds */
	retention_evidence_exec("SELECT scope, category, table_name::pg_catalog.oid, subject_kind, subject_hash"
							"  FROM retention.legal_hold"
							" WHERE released_at IS NULL"
							"   AND (ends_at IS NULL OR ends_at OPERATOR(pg_catalog.>) $1)",
							1, &type, &arg, NULL, SPI_OK_SELECT);

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = PG_SHA256_DIGEST_LENGTH;
	ctl.entrysize = PG_SHA256_DIGEST_LENGTH;
	ctl.hcxt = caller;
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *scope = SPI_getvalue(tuple, desc, 1);
		MemoryContext old = MemoryContextSwitchTo(caller);

		if (strcmp(scope, "category") == 0)
			holds->categories = lappend(holds->categories, makeString(SPI_getvalue(tuple, desc, 2)));
		else if (strcmp(scope, "table") == 0)
		{
			bool		isnull;

			holds->tables = lappend_oid(holds->tables,
										DatumGetObjectId(SPI_getbinval(tuple, desc, 3, &isnull)));
		}
		else
		{
			bool		isnull;
			bytea	   *hash = DatumGetByteaPP(SPI_getbinval(tuple, desc, 5, &isnull));
			char	   *kind = SPI_getvalue(tuple, desc, 4);

			if (holds->subject_hashes == NULL)
				holds->subject_hashes = hash_create("pg_retention subject holds", 64, &ctl,
													HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
			if (VARSIZE_ANY_EXHDR(hash) == PG_SHA256_DIGEST_LENGTH)
				hash_search(holds->subject_hashes, VARDATA_ANY(hash), HASH_ENTER, NULL);
			if (!list_member(holds->subject_kinds, makeString(kind)))
				holds->subject_kinds = lappend(holds->subject_kinds, makeString(kind));
		}
		MemoryContextSwitchTo(old);
	}
}

/*
 * retention_expire_evidence
 *
 * Deletes runs (and their actions) that the retention_evidence category
 * says are due.
 */
void
retention_expire_evidence(TimestampTz now)
{
	Oid			type = TIMESTAMPTZOID;
	Datum		arg = TimestampTzGetDatum(now);

	retention_evidence_exec("DELETE FROM retention.run r USING retention.category c"
				  " WHERE c.name OPERATOR(pg_catalog.=) 'retention_evidence' AND r.finished_at IS NOT NULL"
				  "   AND retention.due_time(r.finished_at, c.period, c.starts, c.time_zone) OPERATOR(pg_catalog.<=) $1",
				  1, &type, &arg, NULL, SPI_OK_DELETE);
}

/* Session advisory lock: one enforcement per database. */
static bool
lock_enforcement(bool acquire)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, ENFORCE_LOCK_KEY1, ENFORCE_LOCK_KEY2, 2);
	if (acquire)
		return LockAcquire(&tag, ExclusiveLock, true, true) != LOCKACQUIRE_NOT_AVAIL;
	LockRelease(&tag, ExclusiveLock, true);
	return true;
}

static const char *
run_origin(void)
{
	/* ours, or another extension's background worker (pg_cron's, say) */
	if (MyBackendType == B_BG_WORKER && MyBgworkerEntry != NULL)
	{
		if (strcmp(MyBgworkerEntry->bgw_library_name, "pg_retention") == 0)
			return "worker";
		if (strcmp(MyBgworkerEntry->bgw_library_name, "pg_cron") == 0)
			return "pg_cron";
		return "background worker";
	}
	if (application_name && strcmp(application_name, "pg_cron") == 0)
		return "pg_cron";
	return "call";
}

/*
 * retention_run_enforcement
 *
 * One enforcement run over every tag (or one table, or one category).
 * nonatomic: commit after each batch.  Must be called inside SPI_connect.
 * Returns the run id, or 0 if another run holds the lock.
 */
int64
retention_run_enforcement(Oid only_relid, const char *only_category,
						  int budget_ms, bool nonatomic)
{
	RunState	run = {0};
	List	   *jobs;
	List	   *invalid;
	ListCell   *lc;

	if (!lock_enforcement(true))
	{
		ereport(NOTICE,
				(errmsg("another pg_retention enforcement run is in progress in this database"),
				 errdetail("Only one run at a time acts on a database; this one did nothing."),
				 errhint("The other run (the background worker, pg_cron or a CALL) covers the same tags.")));
		return 0;
	}

	PG_TRY();
	{
		int			nestlevel;
		Oid			save_userid;
		int			save_sec;
		Oid			types[2] = {TIMESTAMPTZOID, TEXTOID};
		Datum		values[2];

		run.nonatomic = nonatomic;
		run.now = GetCurrentTransactionStartTimestamp();
		run.deadline = budget_ms > 0 ? TimestampTzPlusMilliseconds(GetCurrentTimestamp(), budget_ms) : 0;

		/* we hold the lock: a "running" run left over was interrupted */
		retention_evidence_exec("UPDATE retention.run r SET status = 'interrupted', finished_at = pg_catalog.clock_timestamp(),"
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
								"          FROM retention.action_log a GROUP BY a.run_id) t"
								" WHERE r.status OPERATOR(pg_catalog.=) 'running' AND t.run_id OPERATOR(pg_catalog.=) r.run_id",
								0, NULL, NULL, NULL, SPI_OK_UPDATE);
		retention_evidence_exec("UPDATE retention.run SET status = 'interrupted', finished_at = pg_catalog.clock_timestamp()"
								" WHERE status OPERATOR(pg_catalog.=) 'running'",
								0, NULL, NULL, NULL, SPI_OK_UPDATE);
		retention_evidence_exec("UPDATE retention.action_log SET outcome = 'interrupted' WHERE outcome OPERATOR(pg_catalog.=) 'running'",
					  0, NULL, NULL, NULL, SPI_OK_UPDATE);
		values[0] = TimestampTzGetDatum(run.now);
		values[1] = CStringGetTextDatum(run_origin());
		run.run_id = retention_evidence_insert("INSERT INTO retention.run (as_of, origin) VALUES ($1, $2) RETURNING run_id",
												  2, types, values, NULL);
		end_batch_transaction(&run);

		retention_load_holds(&run.holds, run.now);
		/* plan under the restricted search_path, so that deparsed SQL is qualified */
		retention_begin_as_owner(InvalidOid, &nestlevel, &save_userid, &save_sec);
		jobs = retention_plan_jobs(only_relid, only_category, &run.holds, run.now, &invalid);
		retention_end_as_owner(nestlevel, save_userid, save_sec);

		foreach(lc, invalid)
			report_invalid_tag(&run, lfirst(lc));
		foreach(lc, jobs)
		{
			JobResult	none = {0};

			if ((run.deadline && GetCurrentTimestamp() >= run.deadline) ||
				pacing_stop(&run, &none))
			{
				run.partial = true;
				break;
			}
			run_job(lfirst(lc), &run);
		}
		retention_expire_evidence(run.now);

		{
			Oid			t[10] = {INT8OID, TEXTOID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, INT4OID, INT8OID};
			Datum		v[10];

			v[0] = Int64GetDatum(run.run_id);
			v[1] = CStringGetTextDatum(run.errors ? "completed with errors" : run.partial ? "partial" : "completed");
			v[2] = Int64GetDatum(run.rows_deleted);
			v[3] = Int64GetDatum(run.values_anonymized);
			v[4] = Int64GetDatum(run.rows_held);
			v[5] = Int64GetDatum(run.batches);
			v[6] = Int64GetDatum(run.errors);
			v[7] = Int64GetDatum(run.wal_bytes);
			v[8] = Int32GetDatum(list_length(jobs));
			v[9] = Int64GetDatum(run.rows_blocked);
			retention_evidence_exec("UPDATE retention.run SET finished_at = pg_catalog.clock_timestamp(), status = $2,"
						  " rows_deleted = $3, values_anonymized = $4, rows_held = $5, batches = $6,"
						  " errors = $7, wal_bytes = $8, jobs = $9, rows_blocked = $10 WHERE run_id OPERATOR(pg_catalog.=) $1",
						  10, t, v, NULL, SPI_OK_UPDATE);
		}
		end_batch_transaction(&run);
	}
	PG_FINALLY();
	{
		lock_enforcement(false);
	}
	PG_END_TRY();
	return run.run_id;
}

/*
 * retention_enforce
 *
 * CALL retention.enforce(table_name regclass DEFAULT NULL,
 *                        category text DEFAULT NULL,
 *                        max_runtime interval DEFAULT NULL)
 *
 * Enforces the policy now.  Outside a transaction block each batch commits
 * on its own; inside one, everything commits with the caller.
 */
PG_FUNCTION_INFO_V1(retention_enforce);

Datum
retention_enforce(PG_FUNCTION_ARGS)
{
	Oid			only_relid = PG_ARGISNULL(0) ? InvalidOid : PG_GETARG_OID(0);
	char	   *only_category = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	int			budget_ms = retention_max_runtime;
	bool		nonatomic = fcinfo->context && IsA(fcinfo->context, CallContext) &&
		!castNode(CallContext, fcinfo->context)->atomic;

	if (!PG_ARGISNULL(2))
	{
		Interval   *iv = PG_GETARG_INTERVAL_P(2);
		double		ms = (iv->time / 1000.0) + (iv->day * 86400000.0) + (iv->month * 30.0 * 86400000.0);

		if (ms < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("max_runtime must not be negative"),
					 errhint("Pass an interval such as '5 minutes', or NULL for retention.max_runtime.")));
		budget_ms = (ms > INT_MAX) ? INT_MAX : (int) ms;
	}
	if (only_category && !retention_category_exists(only_category))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("retention category \"%s\" does not exist", only_category),
				 errhint("SELECT name FROM retention.category lists the categories.")));

	if (SPI_connect_ext(nonatomic ? SPI_OPT_NONATOMIC : 0) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	retention_run_enforcement(only_relid, only_category, budget_ms, nonatomic);
	SPI_finish();
	PG_RETURN_VOID();
}
