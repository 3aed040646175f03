/*-------------------------------------------------------------------------
 *
 * src/enforce.c
 *	  The enforcement executor: CALL retention.enforce() and the background
 *	  worker run this code.
 *
 * A run takes the run lock (one run per database at a time; a lock no SQL
 * function can take), records itself in retention.run, plans its jobs
 * (enforce_plan.c) and works through them step by step:
 *
 *	 - one transaction per step (when called as a procedure outside a
 *	   transaction block; inside one, a subtransaction per step);
 *	 - everything a step runs (the first step's counts and partition step,
 *	   each batch, its probes) is inside the job's guarded subtransaction,
 *	   as the table's owner in a security-restricted operation, with
 *	   search_path = pg_catalog, pg_temp, retention.lock_timeout and
 *	   retention.statement_timeout: a failing or slow job costs that job
 *	   only;
 *	 - each step first re-validates the relation under the lock the batch
 *	   holds (retention_job_still_valid); a relation that changed since
 *	   planning is left alone;
 *	 - a batch locks its candidates (SKIP LOCKED: rows locked by others are
 *	   left and counted), probes each referencing table as that table's
 *	   owner, and deletes or updates the unblocked rows; fewer rows changed
 *	   than locked (a trigger kept them) ends the job;
 *	 - the step's evidence (retention.action_log) is updated in the step's
 *	   own transaction, so after a crash the evidence says exactly what was
 *	   committed;
 *	 - a user's cancel stops the run ("cancelled"); our own statement
 *	   timeout costs only the job.
 *
 * The statements come from deparse.c, the as-owner context and the
 * executor's token from as_owner.c, the evidence from evidence.c, the
 * legal holds from holds.c and the partition step (a wholly due partition
 * dropped or detached) from enforce_partition.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/instrument.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/date.h"
#include "utils/guc.h"
#include "utils/rel.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"

#include "pg_retention.h"

/*
 * The run lock: one run per database at a time.  An advisory lock tag, but
 * with a field4 that no SQL function produces (pg_advisory_lock and friends
 * use 1 for a bigint key and 2 for two integer keys, see lockfuncs.c), so
 * that no role can take it and silence enforcement.  Documented in
 * doc/enforcement.md; visible in pg_locks as locktype advisory, objsubid 3.
 */
#define ENFORCE_LOCK_KEY1	0x7265746e	/* "retn" */
#define ENFORCE_LOCK_KEY2	1
#define ENFORCE_LOCK_FIELD4 3

/*
 * lock_timeout of a lock-free batch: a row lock held by someone else sends
 * the batch to the SKIP LOCKED path after this long instead of making it
 * wait (long enough for a lock held a moment, short enough for a batch).
 */
#define LOCK_FREE_LOCK_TIMEOUT	"100ms"

typedef struct RunState
{
	int64		run_id;
	TimestampTz now;
	TimestampTz deadline;		/* 0: no budget */
	bool		nonatomic;
	RetentionHolds holds;
	RetentionRunTotals totals;
	RetentionPacing pacing;
	bool		partial;
	bool		uncommitted;	/* a partition step waits for the next commit */
	char	   *hold_ids;		/* the unreleased holds the run was planned
								 * with */
} RunState;

/*
 * The unreleased legal holds, as a list of their ids ("" for none).  The
 * run plans its jobs with the holds of its start; a hold placed since (or
 * released) changes this, and the jobs still to run stop (job_step) rather
 * than delete or anonymize what the new hold protects.
 */
static char *
current_hold_ids(void)
{
	MemoryContext caller = CurrentMemoryContext;
	char	   *ids;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	retention_exec_as_extension_owner("SELECT COALESCE(pg_catalog.string_agg(h.hold_id::pg_catalog.text, ','"
									  " ORDER BY h.hold_id), '') FROM retention.legal_hold h WHERE h.released_at IS NULL",
									  0, NULL, NULL, NULL, SPI_OK_SELECT);
	ids = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	ids = MemoryContextStrdup(caller, ids ? ids : "");
	SPI_finish();
	return ids;
}

/* Pacing (pacing.c): stop starting batches?  The outcome says why. */
static bool
pacing_stop(RunState *run, RetentionJobResult *result)
{
	const char *why = retention_pacing_stop(run->totals.wal_bytes + result->wal_bytes);

	if (why != NULL)
		result->outcome = why;
	return why != NULL;
}

/* Commit the batch (or, inside a transaction block, keep going). */
static void
end_batch_transaction(RunState *run)
{
	if (!run->nonatomic)
		return;
	SPI_commit();
	run->uncommitted = false;
}

/* The job's rows left out of later batches (found blocked), as tid[]. */
static Datum
left_out_tids(EnforceJob *job)
{
	Datum	   *datums = palloc(sizeof(Datum) * Max(job->nleft_out, 1));

	for (int i = 0; i < job->nleft_out; i++)
		datums[i] = PointerGetDatum(&job->left_out[i]);
	return PointerGetDatum(construct_array(datums, job->nleft_out, TIDOID,
										   sizeof(ItemPointerData), false, TYPALIGN_SHORT));
}

/* Remembers rows found blocked, in the job's memory. */
static void
add_left_out(EnforceJob *job, ItemPointerData *tids, int n)
{
	MemoryContext old = MemoryContextSwitchTo(job->left_out_cxt);

	if (job->left_out == NULL)
		job->left_out = palloc(sizeof(ItemPointerData) * n);
	else
		job->left_out = repalloc(job->left_out, sizeof(ItemPointerData) * (job->nleft_out + n));
	memcpy(job->left_out + job->nleft_out, tids, sizeof(ItemPointerData) * n);
	job->nleft_out += n;
	MemoryContextSwitchTo(old);
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
 * Run a count as whoever we are now; $3 (if used) is the job's left-out
 * tids.  Not read-only: it must see what this run's batches did.
 */
static int64
count_rows(EnforceJob *job, const char *sql)
{
	Oid			types[2] = {INT4OID, TIDARRAYOID};
	Datum		args[2];
	bool		isnull;
	Datum		d;

	args[0] = Int32GetDatum(0);
	args[1] = left_out_tids(job);
	if (retention_execute_job_sql(sql, 2, types, args, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "count query failed");
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? 0 : DatumGetInt64(d);
}

/*
 * Probes every foreign key that can keep the candidates: each referencing
 * table is locked, then read as ITS owner with row security bypassed (as
 * ri_triggers.c does), never as this table's owner.  Marks blocked[i] for
 * candidates still referenced; returns how many.  keys[c][i] is the value
 * of the candidates' key column c (0-based, in probe order).
 */
static int64
probe_candidates(EnforceJob *job, const RetentionHolds *holds, List *run_jobs, uint64 n,
				 Datum **keys, bool **keynulls, Oid *keytypes, bool *blocked)
{
	ListCell   *pc;
	ListCell   *kc;
	int			col = 0;
	int64		nblocked = 0;

	forboth(pc, job->probes, kc, job->probe_nkeys)
	{
		Oid			conoid = lfirst_oid(pc);
		int			nkeys = lfirst_int(kc);
		Oid			conrelid = InvalidOid;
		char	   *sql = retention_deparse_probe_in_run(conoid, job->all_tags, holds, &conrelid, run_jobs);
		Oid		   *types = palloc(sizeof(Oid) * nkeys);
		Datum	   *args = palloc(sizeof(Datum) * nkeys);
		int			nestlevel;
		Oid			save_userid;
		int			save_sec;
		List	   *reads = NIL;
		List	  **save_sink;

		if (sql == NULL)
		{
			col += nkeys;
			continue;
		}
		/* lock the referencing table first, then read its name as it is now */
		LockRelationOid(conrelid, AccessShareLock);
		save_sink = retention_collect_reads(&reads);
		PG_TRY();
		{
			sql = retention_deparse_probe_in_run(conoid, job->all_tags, holds, &conrelid, run_jobs);
		}
		PG_FINALLY();
		{
			retention_collect_reads(save_sink);
		}
		PG_END_TRY();
		if (sql == NULL)
		{
			col += nkeys;
			continue;
		}
		/* as conrelid's owner: no other owner's policy (held test's parents) */
		retention_check_reads_as(reads, retention_relation_owner(conrelid));
		for (int k = 0; k < nkeys; k++)
		{
			int16		typlen;
			bool		typbyval;
			char		typalign;
			int			dims[1] = {(int) n};
			int			lbs[1] = {1};

			types[k] = get_array_type(keytypes[col + k]);
			if (!OidIsValid(types[k]))
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("the key type of a foreign key to %s has no array type", job->table_name),
						 errhint("Rows referenced through such a key cannot be checked; untag the table or change the key.")));
			get_typlenbyvalalign(keytypes[col + k], &typlen, &typbyval, &typalign);
			args[k] = PointerGetDatum(construct_md_array(keys[col + k], keynulls[col + k], 1, dims, lbs,
														 keytypes[col + k], typlen, typbyval, typalign));
		}
		if (!retention_begin_as_probe_owner(conrelid, &nestlevel, &save_userid, &save_sec))
		{
			col += nkeys;
			continue;
		}
		if (retention_execute_job_sql(sql, nkeys, types, args, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "reference probe failed");
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			bool		isnull;
			int64		i = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1, &isnull));

			if (!isnull && i >= 1 && i <= (int64) n && !blocked[i - 1])
			{
				blocked[i - 1] = true;
				nblocked++;
			}
		}
		retention_end_as_owner(nestlevel, save_userid, save_sec);
		col += nkeys;
	}
	return nblocked;
}

/* Due rows looked at per probe when counting blocked rows. */
#define BLOCKED_CHUNK	10000

/*
 * retention_count_blocked
 *
 * How many due rows of a delete job are still referenced, as preview and
 * status report it: the due rows are read in chunks (not locked) and each
 * referencing table is probed as its owner, like a batch does.  With the
 * run's jobs (run_jobs), a referencing row that the run deletes first does
 * not count (see retention_deparse_probe_in_run).  Call as the job's owner
 * with the executor active.
 */
int64
retention_count_blocked(EnforceJob *job, const RetentionHolds *holds, List *run_jobs)
{
	ItemPointerData after;
	int			nkeycols = 0;
	int64		total = 0;
	ListCell   *lc;

	if (job->blocked_scan_sql == NULL)
		return 0;
	foreach(lc, job->probe_nkeys)
		nkeycols += lfirst_int(lc);
	ItemPointerSet(&after, 0, 0);
	for (;;)
	{
		Oid			types[2] = {TIDOID, INT4OID};
		Datum		args[2];
		SPITupleTable *rows;
		uint64		n;
		Datum	  **keys = palloc(sizeof(Datum *) * Max(nkeycols, 1));
		bool	  **keynulls = palloc(sizeof(bool *) * Max(nkeycols, 1));
		Oid		   *keytypes = palloc(sizeof(Oid) * Max(nkeycols, 1));
		bool	   *blocked;
		bool		isnull;

		args[0] = PointerGetDatum(&after);
		args[1] = Int32GetDatum(BLOCKED_CHUNK);
		if (retention_execute_job_sql(job->blocked_scan_sql, 2, types, args, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "blocked row scan failed");
		rows = SPI_tuptable;
		n = SPI_processed;
		if (n == 0)
			break;
		for (int c = 0; c < nkeycols; c++)
		{
			keys[c] = palloc(sizeof(Datum) * n);
			keynulls[c] = palloc(sizeof(bool) * n);
			keytypes[c] = SPI_gettypeid(rows->tupdesc, 2 + c);
			for (uint64 i = 0; i < n; i++)
				keys[c][i] = SPI_getbinval(rows->vals[i], rows->tupdesc, 2 + c, &keynulls[c][i]);
		}
		after = *((ItemPointer) DatumGetPointer(SPI_getbinval(rows->vals[n - 1], rows->tupdesc, 1, &isnull)));
		blocked = palloc0(sizeof(bool) * n);
		total += probe_candidates(job, holds, run_jobs, n, keys, keynulls, keytypes, blocked);
		if (n < BLOCKED_CHUNK)
			break;
	}
	return total;
}

/* What one batch did; added to the job's result only when it commits. */
typedef struct BatchDelta
{
	int64		candidates;		/* rows locked as candidates */
	int64		rows;			/* rows deleted or updated */
	int64	   *values;			/* per tag */
	int64		blocked;
	int64		kept;
	int64		wal_bytes;
	ItemPointerData *new_left_out;	/* rows found blocked */
	int			nnew_left_out;
	bool		truncated;		/* a page range's rows stopped at the limit */
} BatchDelta;

/* Where a batch takes its rows: a page range of a sweep, or anchor order. */
typedef struct BatchRows
{
	bool		physical;
	ItemPointerData from;		/* physical: from <= ctid < to */
	ItemPointerData to;
	int			limit;
} BatchRows;

/*
 * The batch's still referenced rows (delta->new_left_out), as the table
 * tag's blocked= says: anonymize (their personal columns anonymized now,
 * once: counted as values anonymized, values[0], not as blocked), expected
 * (no alarm: not counted blocked), or wait (counted blocked).  They stay
 * left out of the job's later batches in every case.
 */
static void
blocked_as_declared(EnforceJob *job, BatchDelta *delta)
{
	RetentionBlocked blocked = ((RetentionTag *) linitial(job->tags))->label.blocked;

	if (blocked == RETENTION_BLOCKED_ANONYMIZE && job->blocked_apply_sql)
	{
		Oid			type = TIDARRAYOID;
		Datum		arg;
		Datum	   *tids = palloc(sizeof(Datum) * delta->nnew_left_out);

		for (int i = 0; i < delta->nnew_left_out; i++)
			tids[i] = PointerGetDatum(&delta->new_left_out[i]);
		arg = PointerGetDatum(construct_array(tids, delta->nnew_left_out, TIDOID,
											  sizeof(ItemPointerData), false, TYPALIGN_SHORT));
		if (retention_execute_job_sql(job->blocked_apply_sql, 1, &type, &arg, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "blocked=anonymize statement failed");
		delta->values[0] += SPI_processed;
	}
	if (blocked == RETENTION_BLOCKED_ANONYMIZE || blocked == RETENTION_BLOCKED_EXPECTED)
		delta->blocked = 0;
}

static void run_locked_batch(EnforceJob *job, RunState *run, const BatchRows *rows,
							 BatchDelta *delta);

/*
 * Runs a batch's candidate query: sql (anchor order, resuming where the
 * last batch ended, or no order) or range_sql (a sweep's page range).
 * Leaves the candidates in SPI_tuptable.
 */
static void
fetch_candidates(EnforceJob *job, const BatchRows *rows, const char *sql, const char *range_sql)
{
	Oid			types[4] = {INT4OID, TIDARRAYOID, InvalidOid, InvalidOid};
	Datum		args[4];
	int			nargs = 2;
	SPITupleTable *cands;

	args[0] = Int32GetDatum(rows->limit);
	args[1] = left_out_tids(job);
	if (rows->physical)
	{
		types[2] = types[3] = TIDOID;
		args[2] = PointerGetDatum(&rows->from);
		args[3] = PointerGetDatum(&rows->to);
		nargs = 4;
		sql = range_sql;
	}
	else if (job->resumable)
	{
		types[2] = ((RetentionTag *) linitial(job->tags))->anchor_type;
		args[2] = job->resume_from;
		nargs = 3;
	}
	if (retention_execute_job_sql(sql, nargs, types, args, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "candidate query failed");
	cands = SPI_tuptable;
	if (!rows->physical && job->resumable && SPI_processed > 0)
	{
		bool		isnull;
		Datum		last = SPI_getbinval(cands->vals[SPI_processed - 1], cands->tupdesc,
										 cands->tupdesc->natts, &isnull);

		/* dates and timestamps are passed by value: no copy needed */
		if (!isnull)
			job->resume_from = last;
	}
}

/*
 * Whether a delete batch may go without row locks: no referencing table
 * can keep its rows (no probes), and nothing on the table can make a
 * DELETE change fewer rows than it matched without an error (a BEFORE
 * DELETE row trigger, a DELETE rule, forced row security): the locked path
 * counts those as kept.
 */
static bool
lock_free_allowed(EnforceJob *job)
{
	Relation	rel;
	bool		allowed;

	if (!job->is_delete || job->probes != NIL || job->blocked_apply_sql != NULL)
		return false;
	rel = relation_open(job->relid, NoLock);
	allowed = !(rel->trigdesc && rel->trigdesc->trig_delete_before_row) &&
		rel->rd_rules == NULL &&
		!(rel->rd_rel->relrowsecurity && rel->rd_rel->relforcerowsecurity);
	relation_close(rel, NoLock);
	return allowed;
}

/* Checks the result of a lock-free DELETE, and suppresses what it deleted. */
static void
deleted(EnforceJob *job, int rc)
{
	if (rc != SPI_OK_DELETE && !(rc == SPI_OK_DELETE_RETURNING && job->suppress_kinds != NIL))
		elog(ERROR, "lock-free delete failed: %s", SPI_result_code_string(rc));
	if (rc == SPI_OK_DELETE_RETURNING)
		suppress_deleted(job);
}

/* DELETE the due rows of a page range, without row locks. */
static void
delete_range(EnforceJob *job, const BatchRows *rows)
{
	Oid			types[4] = {INT4OID, TIDARRAYOID, TIDOID, TIDOID};
	Datum		args[4];

	args[0] = Int32GetDatum(rows->limit);
	args[1] = left_out_tids(job);
	args[2] = PointerGetDatum(&rows->from);
	args[3] = PointerGetDatum(&rows->to);
	deleted(job, retention_execute_job_sql(job->range_delete_sql, 4, types, args, false, 0));
}

/* DELETE the candidates in SPI_tuptable (read without locks) still due. */
static void
delete_checked(EnforceJob *job)
{
	uint64		n = SPI_processed;
	Datum	   *tids = palloc(sizeof(Datum) * n);
	Oid			type = TIDARRAYOID;
	Datum		arg;

	for (uint64 i = 0; i < n; i++)
	{
		bool		isnull;

		tids[i] = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);
	}
	arg = PointerGetDatum(construct_array(tids, (int) n, TIDOID, sizeof(ItemPointerData),
										  false, TYPALIGN_SHORT));
	deleted(job, retention_execute_job_sql(job->checked_delete_sql, 1, &type, &arg, false, 0));
}

/*
 * The lock-free batch: the due rows of the range, or of the candidates read
 * without locks, deleted by a DELETE that re-checks the due predicate on the
 * row version it deletes (so nothing early is deleted), under a very short
 * lock_timeout.  Returns false, having undone everything, when it met a row
 * lock: the caller then takes the SKIP LOCKED path.
 */
static bool
run_lock_free_batch(EnforceJob *job, const BatchRows *rows, BatchDelta *delta)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	Datum		resume_from = job->resume_from;
	volatile bool done = true;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		int			nestlevel = NewGUCNestLevel();

		(void) set_config_option("lock_timeout", LOCK_FREE_LOCK_TIMEOUT,
								 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
		if (rows->physical)
		{
			delete_range(job, rows);
			delta->candidates = SPI_processed;
			delta->truncated = SPI_processed >= (uint64) rows->limit;
		}
		else
		{
			fetch_candidates(job, rows, job->candidates_unlocked_sql, NULL);
			delta->candidates = SPI_processed;
			if (SPI_processed > 0)
				delete_checked(job);
		}
		delta->rows = SPI_processed;
		AtEOXact_GUC(true, nestlevel);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		if (edata->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE)
			ReThrowError(edata);
		job->resume_from = resume_from;
		delta->candidates = delta->rows = 0;
		delta->truncated = false;
		done = false;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
	return done;
}

/*
 * One batch of a job.  The SKIP LOCKED path locks its candidates (FOR
 * UPDATE SKIP LOCKED: this also stops new references to them), probes the
 * referencing tables, and applies to the unblocked ones; a delete that no
 * referencing table can stop goes without row locks first.  Raises on
 * error.
 */
static void
run_batch(EnforceJob *job, RunState *run, const BatchRows *rows, BatchDelta *delta)
{
	uint64		wal_before = pgWalUsage.wal_bytes;

	if (!(lock_free_allowed(job) && run_lock_free_batch(job, rows, delta)))
		run_locked_batch(job, run, rows, delta);
	delta->wal_bytes = pgWalUsage.wal_bytes - wal_before;
}

/*
 * One batch of a job: lock candidates (FOR UPDATE SKIP LOCKED: this also
 * stops new references to them), probe the referencing tables, apply to
 * the unblocked ones.  Raises on error.
 */
static void
run_locked_batch(EnforceJob *job, RunState *run, const BatchRows *rows, BatchDelta *delta)
{
	int			ntags = list_length(job->tags);
	SPITupleTable *cands;
	uint64		n;
	Datum	   *tids;
	Datum	  **flags;
	bool	   *blocked;
	int			nkeycols = 0;
	Datum	  **keys = NULL;
	bool	  **keynulls = NULL;
	Oid		   *keytypes = NULL;
	uint64		napply = 0;
	ListCell   *lc;
	int			rc;

	job->order.met_lock = true;
	fetch_candidates(job, rows, job->candidates_sql, job->range_candidates_sql);
	cands = SPI_tuptable;
	n = SPI_processed;
	delta->candidates = n;
	delta->truncated = rows->physical && n >= (uint64) rows->limit;
	if (n == 0)
		return;

	foreach(lc, job->probe_nkeys)
		nkeycols += lfirst_int(lc);
	tids = palloc(sizeof(Datum) * n);
	flags = palloc(sizeof(Datum *) * ntags);
	blocked = palloc0(sizeof(bool) * n);
	for (int t = 0; t < ntags; t++)
		flags[t] = palloc(sizeof(Datum) * n);
	if (nkeycols > 0)
	{
		keys = palloc(sizeof(Datum *) * nkeycols);
		keynulls = palloc(sizeof(bool *) * nkeycols);
		keytypes = palloc(sizeof(Oid) * nkeycols);
		for (int c = 0; c < nkeycols; c++)
		{
			keys[c] = palloc(sizeof(Datum) * n);
			keynulls[c] = palloc(sizeof(bool) * n);
			keytypes[c] = SPI_gettypeid(cands->tupdesc, 2 + c);
		}
	}
	for (uint64 i = 0; i < n; i++)
	{
		bool		isnull;

		tids[i] = SPI_getbinval(cands->vals[i], cands->tupdesc, 1, &isnull);
		for (int t = 0; !job->is_delete && t < ntags; t++)
		{
			Datum		f = SPI_getbinval(cands->vals[i], cands->tupdesc, t + 2, &isnull);

			flags[t][i] = BoolGetDatum(!isnull && DatumGetBool(f));
		}
		for (int c = 0; c < nkeycols; c++)
			keys[c][i] = SPI_getbinval(cands->vals[i], cands->tupdesc, 2 + c, &keynulls[c][i]);
	}

	/*
	 * which candidates are still referenced: asked of each referencing
	 * table's owner
	 */
	if (job->probes != NIL)
	{
		delta->blocked = probe_candidates(job, &run->holds, NIL, n, keys, keynulls, keytypes, blocked);
		if (delta->blocked > 0)
		{
			delta->new_left_out = palloc(sizeof(ItemPointerData) * delta->blocked);
			for (uint64 i = 0; i < n; i++)
				if (blocked[i])
					delta->new_left_out[delta->nnew_left_out++] = *((ItemPointer) DatumGetPointer(tids[i]));
			blocked_as_declared(job, delta);
		}
	}

	/* the unblocked candidates, compacted */
	for (uint64 i = 0; i < n; i++)
	{
		if (blocked[i])
			continue;
		tids[napply] = tids[i];
		for (int t = 0; !job->is_delete && t < ntags; t++)
			flags[t][napply] = flags[t][i];
		napply++;
	}
	if (napply > 0)
	{
		int			nargs = job->is_delete ? 1 : ntags + 1;
		Oid		   *types = palloc(sizeof(Oid) * nargs);
		Datum	   *args = palloc(sizeof(Datum) * nargs);

		types[0] = TIDARRAYOID;
		args[0] = PointerGetDatum(construct_array(tids, napply, TIDOID, sizeof(ItemPointerData), false, TYPALIGN_SHORT));
		for (int t = 1; t < nargs; t++)
		{
			types[t] = BOOLARRAYOID;
			args[t] = PointerGetDatum(construct_array(flags[t - 1], napply, BOOLOID, 1, true, TYPALIGN_CHAR));
		}
		rc = retention_execute_job_sql(job->apply_sql, nargs, types, args, false, 0);
		if (rc != SPI_OK_DELETE && rc != SPI_OK_UPDATE_RETURNING &&
			!(rc == SPI_OK_DELETE_RETURNING && job->suppress_kinds != NIL))
			elog(ERROR, "apply statement failed: %s", SPI_result_code_string(rc));
		delta->rows = SPI_processed;
		/* fewer rows changed than locked: a trigger kept them (soft delete) */
		delta->kept = napply - SPI_processed;
		if (rc == SPI_OK_DELETE_RETURNING)
			suppress_deleted(job);
	}
	/* an anonymized value must not look pending again, or we would loop */
	for (uint64 i = 0; !job->is_delete && napply > 0 && i < SPI_processed; i++)
	{
		bool		isnull;
		Datum		still = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull && DatumGetBool(still))
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("anonymized values of %s still look due", job->relation_name),
					 errdetail("The anonymization method does not reach a fixed point for this column type."),
					 errhint("Choose another action for the column (nullify always converges).")));
		/* values counted from the rows actually updated */
		for (int t = 0; t < ntags; t++)
		{
			Datum		f = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, t + 2, &isnull);

			if (!isnull && DatumGetBool(f))
				delta->values[t]++;
		}
	}
}

/*
 * The batch of a job step (batch_order.c chooses its rows and its size);
 * true when the job is finished.  In anchor order the job ends with a batch
 * that is not full; a sweep ends after its last page range.  A job that
 * took the SKIP LOCKED path counts the due rows others held locked.
 */
static bool
batch_step(EnforceJob *job, RunState *run, RetentionJobResult *result, BatchDelta *delta)
{
	BatchRows	rows = {0};
	bool		first = !job->order.decided;
	TimestampTz start = GetCurrentTimestamp();
	long		secs;
	int			usecs;
	bool		done;

	if (first)
		retention_order_first_step(job);
	rows.physical = job->order.physical;
	rows.limit = job->order.target_rows;
	if (rows.physical)
		retention_order_next_range(job, &rows.from, &rows.to);
	run_batch(job, run, &rows, delta);
	TimestampDifference(start, GetCurrentTimestamp(), &secs, &usecs);

	if (delta->kept > 0)
	{
		result->outcome = psprintf("stopped: a trigger kept " INT64_FORMAT " of the rows (it returned NULL)",
								   delta->kept);
		return true;
	}
	if (rows.physical)
	{
		retention_order_after_batch(job, delta->candidates >= job->order.target_rows / 2,
									secs * 1000 + usecs / 1000);
		retention_order_after_range(job, delta->candidates, delta->truncated);
		done = retention_order_swept(job);
	}
	else
	{
		done = delta->candidates < rows.limit;
		if (!done && first)
			retention_order_after_first_batch(job, delta->candidates);
		if (!done)
			retention_order_after_batch(job, true, secs * 1000 + usecs / 1000);
	}
	if (done && (job->order.met_lock || !rows.physical))
	{
		/*
		 * nothing due is left but what others held locked (SKIP LOCKED):
		 * counted only if there is any, which the index answers at once
		 */
		if (delta->nnew_left_out > 0)
			add_left_out(job, delta->new_left_out, delta->nnew_left_out);
		if (count_rows(job, job->any_due_sql) > 0)
			result->skipped_locked = count_rows(job, job->skipped_count_sql);
	}
	return done;
}

/*
 * One step of a job, inside its guarded subtransaction, as the table's
 * owner: re-validate the relation under the batch's lock; on the first
 * step also count held rows and try the partition step; then one batch.
 * Returns true when the job is finished (result->outcome says how).
 */
static bool
job_step(EnforceJob *job, RunState *run, RetentionJobResult *result, bool first)
{
	int			ntags = list_length(job->tags);
	int			nestlevel;
	Oid			save_userid;
	int			save_sec;
	BatchDelta	delta = {0};
	bool		done = false;
	bool		dropped;

	retention_begin_as_owner(job->owner, &nestlevel, &save_userid, &save_sec);
	retention_set_executor_active(true, &run->holds);
	/* a cancel that arrived between batches is seen here, inside the guard */
	CHECK_FOR_INTERRUPTS();

	if (strcmp(current_hold_ids(), run->hold_ids) != 0 ||
		!retention_job_still_valid(job, &dropped))
	{
		result->outcome = dropped ? "skipped: relation dropped"
			: "skipped: relation changed since planning";
		done = true;
	}
	else if (first && job->held)
	{
		result->held = count_rows(job, job->due_count_sql);
		result->outcome = "held";
		done = true;
	}
	else
	{
		if (first && job->held_sql)
			result->held = count_rows(job, job->held_sql);
		if (first && retention_partition_step(job, run->now, result))
			done = true;
	}
	if (!done)
	{
		delta.values = palloc0(sizeof(int64) * ntags);
		done = batch_step(job, run, result, &delta);
	}
	retention_set_executor_active(false, NULL);
	retention_end_as_owner(nestlevel, save_userid, save_sec);

	/* everything succeeded: the batch counts */
	if (delta.values)
	{
		result->rows += delta.rows;
		for (int t = 0; t < ntags; t++)
			result->values[t] += delta.values[t];
		result->blocked += delta.blocked;
		result->kept += delta.kept;
		result->wal_bytes += delta.wal_bytes;
		if (delta.candidates > 0)
			result->batches++;
		if (delta.nnew_left_out > 0 && !done)
			add_left_out(job, delta.new_left_out, delta.nnew_left_out);
	}
	return done;
}

/*
 * Whether a job has something to record: anything processed, held, blocked,
 * kept or skipped, or an outcome other than "done" ("held" with nothing
 * held aside).  A run writes evidence for what it did (issue 11), not a row
 * per job whether or not anything was due.
 */
static bool
job_has_news(const RetentionJobResult *result, int ntags)
{
	if (result->rows > 0 || result->held > 0 || result->blocked > 0 ||
		result->kept > 0 || result->skipped_locked > 0 || result->batches > 0)
		return true;
	for (int t = 0; t < ntags; t++)
		if (result->values[t] > 0)
			return true;
	return strcmp(result->outcome, "done") != 0 && strcmp(result->outcome, "held") != 0;
}

/*
 * How many per-tag value counts the job's evidence records: none (NULL) for
 * a delete job that anonymizes nothing (no blocked=anonymize), not {0}.
 */
static int
evidence_values(EnforceJob *job, int ntags)
{
	return job->is_delete && job->blocked_apply_sql == NULL ? 0 : ntags;
}

/* The job's evidence row, inserted the first time it has news. */
static int64
job_evidence(int64 action_id, RunState *run, EnforceJob *job)
{
	return action_id != 0 ? action_id : retention_evidence_start_job(run->run_id, job);
}

/* Adds one job's result to the run's totals. */
static void
add_to_totals(RunState *run, EnforceJob *job, RetentionJobResult *result)
{
	run->totals.batches += result->batches;
	run->totals.wal_bytes += result->wal_bytes;
	if (job->is_delete)
	{
		run->totals.rows_deleted += result->rows;
		/* blocked=anonymize: referenced rows anonymized instead */
		run->totals.values_anonymized += result->values[0];
	}
	else
		for (int t = 0; t < list_length(job->tags); t++)
			run->totals.values_anonymized += result->values[t];
	run->totals.rows_held += result->held;
	run->totals.rows_blocked += result->blocked;
	run->totals.skipped_locked += result->skipped_locked;
}

/* Whether two jobs are partitions of the same partitioned table. */
static bool
same_partitioned_table(const EnforceJob *a, const EnforceJob *b)
{
	return a->relid != a->tagged_relid && b->relid != b->tagged_relid &&
		a->tagged_relid == b->tagged_relid;
}

/*
 * Runs one job to completion, the time budget, an error or a cancel.
 * Everything the job runs is inside its own guarded subtransaction, one per
 * step, under retention.statement_timeout: a failing or slow job costs this
 * job only.  A user's cancel stops the run: the evidence says "cancelled"
 * and the cancel is raised again.  share_commit: the next job is another
 * partition of the same table (see the end of a step).
 */
static void
run_job(EnforceJob *job, RunState *run, bool share_commit)
{
	int			ntags = list_length(job->tags);
	RetentionJobResult result = {0};
	int64		action_id = 0;	/* no evidence row until the job has news */
	MemoryContext batch_cxt = AllocSetContextCreate(CurrentMemoryContext,
													"pg_retention batch",
													ALLOCSET_DEFAULT_SIZES);
	MemoryContext job_cxt = CurrentMemoryContext;
	bool		first = true;

	result.values = palloc0(sizeof(int64) * ntags);
	result.outcome = "done";
	job->left_out_cxt = job_cxt;

	for (;;)
	{
		volatile bool done = false;
		TimestampTz outer = 0;
		TimestampTz fin = 0;
		bool		failed = false;
		ErrorData  *cancel = NULL;
		ResourceOwner batch_owner = CurrentResourceOwner;

		/* never pause holding a partition step's locks: after the commit */
		if (!run->uncommitted)
			run->totals.paused += retention_pacing_pause(&run->pacing, run->deadline);
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
		retention_pacing_batch_start(&run->pacing);
		MemoryContextSwitchTo(batch_cxt);
		BeginInternalSubTransaction(NULL);
		PG_TRY();
		{
			outer = retention_arm_statement_timeout(&fin);
			done = job_step(job, run, &result, first);
			retention_disarm_statement_timeout(outer);
			ReleaseCurrentSubTransaction();
		}
		PG_CATCH();
		{
			ErrorData  *edata;

			retention_disarm_statement_timeout(outer);
			MemoryContextSwitchTo(batch_cxt);
			edata = CopyErrorData();
			FlushErrorState();
			RollbackAndReleaseCurrentSubTransaction();
			if (retention_log_error_details)
				ereport(WARNING,
						(errmsg("pg_retention: batch on %s failed: %s", job->relation_name, edata->message),
						 edata->detail ? errdetail_internal("%s", edata->detail) : 0));

			/*
			 * our statement timeout, or a user's cancel (or the caller's own
			 * timeout)?
			 */
			if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED &&
				!(fin != 0 && GetCurrentTimestamp() >= fin))
			{
				result.outcome = "cancelled";
				cancel = edata;
			}
			else
			{
				result.outcome = "error";
				result.error_sqlstate = pstrdup(unpack_sql_state(edata->sqlerrcode));
				result.error = pstrdup(retention_error_in_words(edata->sqlerrcode));
			}
			failed = true;
		}
		PG_END_TRY();
		MemoryContextSwitchTo(job_cxt);
		CurrentResourceOwner = batch_owner;
		first = false;

		/* in the batch's transaction: the row and the batch commit together */
		if (action_id != 0 || job_has_news(&result, ntags))
		{
			action_id = job_evidence(action_id, run, job);
			retention_evidence_update_job(action_id, &result, evidence_values(job, ntags), failed || done);
		}
		if (cancel)
		{
			add_to_totals(run, job, &result);
			retention_evidence_finish_run(run->run_id, "cancelled", &run->totals);
			end_batch_transaction(run);
			ReThrowError(cancel);
		}

		/*
		 * Drops of one table's partitions share a transaction (one WAL flush,
		 * the parent's lock taken once), as pg_partman's do; the next job's
		 * step commits them.
		 */
		if (done && !failed && result.partition_step && share_commit && run->nonatomic)
			run->uncommitted = true;
		else
			end_batch_transaction(run);
		retention_pacing_batch_end(&run->pacing);
		MemoryContextReset(batch_cxt);
		if (failed)
		{
			run->totals.errors++;
			break;
		}
		if (done)
			break;
	}

	add_to_totals(run, job, &result);
	if (strncmp(result.outcome, "partial", 7) == 0)
	{
		action_id = job_evidence(action_id, run, job);
		retention_evidence_update_job(action_id, &result, evidence_values(job, ntags), true);
	}
	MemoryContextDelete(batch_cxt);
}

/* Session advisory lock: one enforcement per database. */
static bool
lock_enforcement(bool acquire)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, ENFORCE_LOCK_KEY1, ENFORCE_LOCK_KEY2, ENFORCE_LOCK_FIELD4);
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
		/* the yield is evidence too: a run row that says so */
		retention_evidence_skipped_run(GetCurrentTransactionStartTimestamp(), run_origin());
		return 0;
	}

	PG_TRY();
	{
		int			nestlevel;
		Oid			save_userid;
		int			save_sec;

		run.nonatomic = nonatomic;
		/* CALL from a session: someone waits for it (retention.max_load) */
		retention_pacing_start(&run.pacing, strcmp(run_origin(), "call") != 0, nonatomic);
		run.now = GetCurrentTransactionStartTimestamp();
		run.deadline = budget_ms > 0 ? TimestampTzPlusMilliseconds(GetCurrentTimestamp(), budget_ms) : 0;

		/* we hold the lock: a "running" run left over was interrupted */
		run.run_id = retention_evidence_start_run(run.now, run_origin());
		end_batch_transaction(&run);

		retention_load_holds(&run.holds, run.now);
		run.hold_ids = current_hold_ids();

		/*
		 * plan under the restricted search_path, so that deparsed SQL is
		 * qualified
		 */
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
			RetentionJobResult none = {0};

			if ((run.deadline && GetCurrentTimestamp() >= run.deadline) ||
				pacing_stop(&run, &none))
			{
				run.partial = true;
				break;
			}
			run_job(lfirst(lc), &run, lnext(jobs, lc) != NULL &&
					same_partitioned_table(lfirst(lc), lfirst(lnext(jobs, lc))));
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
