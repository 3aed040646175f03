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
 * The statements come from deparse.c, the as-owner context and the
 * executor's token from as_owner.c, the evidence from evidence.c and the
 * legal holds from holds.c.
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

typedef struct RunState
{
	int64		run_id;
	TimestampTz now;
	TimestampTz deadline;		/* 0: no budget */
	bool		nonatomic;
	RetentionHolds holds;
	RetentionRunTotals totals;
	bool		partial;
} RunState;

/*
 * Pacing: stop starting batches once the run wrote retention.max_wal_per_run
 * or while a standby replays more than retention.max_replay_lag behind.
 */
static bool
pacing_stop(RunState *run, RetentionJobResult *result)
{
	if (retention_max_wal_per_run > 0 &&
		run->totals.wal_bytes + result->wal_bytes >= (int64) retention_max_wal_per_run * 1024)
	{
		result->outcome = "partial: retention.max_wal_per_run reached";
		return true;
	}
	if (retention_max_replay_lag > 0)
	{
		bool		isnull;
		Datum		lag;

		/* as the extension's owner: pg_stat_replication hides lag from others */
		retention_exec_as_extension_owner("SELECT pg_catalog.max(pg_catalog.date_part('epoch', replay_lag))"
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

/* Commit the batch (or, inside a transaction block, keep going). */
static void
end_batch_transaction(RunState *run)
{
	if (!run->nonatomic)
		return;
	SPI_commit();
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
 * suppress=true: the identifiers of the rows the batch just deleted (the
 * RETURNING columns of job->apply_sql, in SPI_tuptable) go on the
 * suppression list as keyed hashes with reason "retention" (suppression.c),
 * in the batch's transaction: rolled back with it.  Identifiers that name nobody once
 * normalized are skipped.  Leaves SPI_processed as the delete set it.
 */
static void
suppress_deleted(EnforceJob *job)
{
	SPITupleTable *deleted = SPI_tuptable;
	uint64		n = SPI_processed;
	List	   *kinds = NIL;
	List	   *identifiers = NIL;
	ListCell   *kc;
	ListCell   *vc;

	/* copied first: each insert replaces SPI_tuptable */
	for (uint64 i = 0; i < n; i++)
	{
		int			col = 1;

		foreach(kc, job->suppress_kinds)
		{
			const char *kind = strVal(lfirst(kc));
			bool		isnull;
			Datum		value = SPI_getbinval(deleted->vals[i], deleted->tupdesc, col++, &isnull);
			char	   *normalized;

			if (isnull)
				continue;
			normalized = retention_normalize_identifier(kind, TextDatumGetCString(value));
			if (!retention_identifier_is_meaningful(kind, normalized))
				continue;
			kinds = lappend(kinds, (char *) kind);
			identifiers = lappend(identifiers, normalized);
		}
	}
	forboth(kc, kinds, vc, identifiers)
		retention_suppress_identifier((char *) lfirst(kc), (char *) lfirst(vc), "retention");
	SPI_processed = n;
}

/*
 * One batch of a job: lock candidates, apply.  Returns the number of
 * candidate rows (0: nothing left).  Raises on error.
 */
static int64
run_batch(EnforceJob *job, RunState *run, RetentionJobResult *result)
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
		if (rc != SPI_OK_DELETE && rc != SPI_OK_UPDATE_RETURNING &&
			!(rc == SPI_OK_DELETE_RETURNING && job->suppress_kinds != NIL))
			elog(ERROR, "apply statement failed: %s", SPI_result_code_string(rc));
		if (rc == SPI_OK_DELETE_RETURNING)
			suppress_deleted(job);
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
try_partition_step(EnforceJob *job, RunState *run, RetentionJobResult *result)
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
		tag->label.suppress == 1 ||	/* identifiers are read from each row */
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

	retention_deparse_partition_step(job, mode == RETENTION_PARTITIONS_DETACH, &count_sql, &sql);

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
	RetentionJobResult	result = {0};
	int64		action_id;
	MemoryContext batch_cxt = AllocSetContextCreate(CurrentMemoryContext,
													"pg_retention batch",
													ALLOCSET_DEFAULT_SIZES);
	MemoryContext job_cxt = CurrentMemoryContext;

	result.values = palloc0(sizeof(int64) * ntags);
	result.outcome = "done";
	action_id = retention_evidence_start_job(run->run_id, job);
	end_batch_transaction(run);

	/* the relation may have gone (a partition dropped since planning) */
	if (job->changed || !SearchSysCacheExists1(RELOID, ObjectIdGetDatum(job->relid)))
	{
		result.outcome = job->changed ? "skipped: relation changed since planning" : "skipped: relation dropped";
		retention_evidence_update_job(action_id, &result, ntags, true);
		end_batch_transaction(run);
		return;
	}

	if (job->held)
	{
		result.held = count_as_owner(job, job->due_count_sql, &run->holds);
		result.outcome = "held";
		run->totals.rows_held += result.held;
		retention_evidence_update_job(action_id, &result, ntags, true);
		end_batch_transaction(run);
		return;
	}
	if (job->held_sql)
		result.held = count_as_owner(job, job->held_sql, &run->holds);
	/* blocked=anonymize / expected: referenced due rows are no alarm */
	if (job->blocked_sql &&
		((RetentionTag *) linitial(job->tags))->label.blocked != RETENTION_BLOCKED_ANONYMIZE &&
		((RetentionTag *) linitial(job->tags))->label.blocked != RETENTION_BLOCKED_EXPECTED)
		result.blocked = count_as_owner(job, job->blocked_sql, &run->holds);

	for (;;)
	{
		volatile int64 n = 0;
		TimestampTz outer;
		TimestampTz fin;
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
		outer = retention_arm_statement_timeout(&fin);
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
			retention_disarm_statement_timeout(outer);
			ReleaseCurrentSubTransaction();
		}
		PG_CATCH();
		{
			ErrorData  *edata;

			retention_set_executor_active(false, NULL);
			retention_disarm_statement_timeout(outer);
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

		retention_evidence_update_job(action_id, &result, ntags, failed || n <= 0 || n < retention_batch_size);
		end_batch_transaction(run);
		MemoryContextReset(batch_cxt);
		if (failed)
		{
			run->totals.errors++;
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

	run->totals.batches += result.batches;
	run->totals.wal_bytes += result.wal_bytes;
	if (job->is_delete)
		run->totals.rows_deleted += result.rows;
	else
		for (int t = 0; t < ntags; t++)
			run->totals.values_anonymized += result.values[t];
	run->totals.rows_held += result.held;
	run->totals.rows_blocked += result.blocked;
	if (strncmp(result.outcome, "partial", 7) == 0)
		retention_evidence_update_job(action_id, &result, ntags, true);
	MemoryContextDelete(batch_cxt);
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

		run.nonatomic = nonatomic;
		run.now = GetCurrentTransactionStartTimestamp();
		run.deadline = budget_ms > 0 ? TimestampTzPlusMilliseconds(GetCurrentTimestamp(), budget_ms) : 0;

		/* we hold the lock: a "running" run left over was interrupted */
		run.run_id = retention_evidence_start_run(run.now, run_origin());
		end_batch_transaction(&run);

		retention_load_holds(&run.holds, run.now);
		/* plan under the restricted search_path, so that deparsed SQL is qualified */
		retention_begin_as_owner(InvalidOid, &nestlevel, &save_userid, &save_sec);
		jobs = retention_plan_jobs(only_relid, only_category, &run.holds, run.now, &invalid);
		retention_end_as_owner(nestlevel, save_userid, save_sec);

		foreach(lc, invalid)
		{
			retention_evidence_invalid_tag(run.run_id, lfirst(lc));
			run.totals.errors++;
		}
		foreach(lc, jobs)
		{
			RetentionJobResult	none = {0};

			if ((run.deadline && GetCurrentTimestamp() >= run.deadline) ||
				pacing_stop(&run, &none))
			{
				run.partial = true;
				break;
			}
			run_job(lfirst(lc), &run);
		}
		retention_expire_evidence(run.now);

		run.totals.jobs = list_length(jobs);
		retention_evidence_finish_run(run.run_id,
									  run.totals.errors ? "completed with errors" : run.partial ? "partial" : "completed",
									  &run.totals);
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
