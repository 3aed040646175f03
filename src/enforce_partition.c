/*-------------------------------------------------------------------------
 *
 * src/enforce_partition.c
 *	  The partition step: a range partition whose every row is due is
 *	  dropped (partitions=drop, the default) or detached (partitions=detach)
 *	  in one statement instead of being emptied batch by batch.
 *
 * When.  A partition [a, b) of a table range-partitioned on the anchor
 * holds no anchor above b - 1 unit (1 microsecond for timestamps, 1 day for
 * dates).  It is wholly due when that largest anchor is at or below the
 * cutoff below which every anchor is due (due_time.c's "safe"), or, where
 * the rule has a re-check band and b - 1 unit falls in it, when a probe
 * finds no row of the partition above that cutoff that the job's due
 * predicate does not pass.  The probe reads only the band (an index on the
 * anchor serves it) and stops at the first such row.
 *
 * Locks (PostgreSQL 15: RangeVarCallbackForDropRelation and
 * heap_drop_with_catalog; ATExecDetachPartition).  DROP TABLE of a
 * partition and ALTER TABLE ... DETACH PARTITION both take ACCESS EXCLUSIVE
 * on the parent, on the partition and on the parent's default partition, if
 * any.  Detaching first and dropping afterwards takes the same locks on the
 * parent, so the step drops directly; only DETACH ... CONCURRENTLY takes a
 * weaker lock (SHARE UPDATE EXCLUSIVE on the parent), and it cannot run in a
 * transaction block.  A waiting ACCESS EXCLUSIVE request blocks every later
 * query of the table, so each lock of the step is waited for at most
 * retention.partition_lock_timeout; one not granted in time leaves
 * everything as it was ("postponed") and the next run tries again.
 *
 * Evidence.  The rows are not counted: a count(*) reads the whole
 * partition (from disk, for a cold one) for a number, under the step's
 * statement timeout, and a partition whose count did not fit was neither
 * dropped nor emptied, run after run.  The planner's estimate of its rows
 * is recorded instead (reltuples scaled to its current size, as the
 * planner computes it), and the outcome says so: "dropped partition (rows
 * estimated)".  A probe of the band runs under SHARE on the partition,
 * taken first, so that no row can be added or changed between it and the
 * statement; readers of the table are not held up by it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_type.h"
#include "executor/instrument.h"
#include "executor/spi.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/plancat.h"
#include "storage/lmgr.h"
#include "utils/date.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/partcache.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "pg_retention.h"

/*
 * For a range partition whose key is exactly the anchor column: the
 * exclusive upper bound of its key (as a Datum of the anchor type), or false
 * if it has none (MAXVALUE, default partition, other keys).
 */
static bool
partition_upper_bound(Oid leaf, AttrNumber anchor_attnum, Datum *bound)
{
	Expr	   *qual = get_partition_qual_relid(leaf);
	List	   *clauses;
	ListCell   *lc;
	bool		found = false;

	if (qual == NULL)
		return false;
	clauses = make_ands_implicit(qual);
	foreach(lc, clauses)
	{
		OpExpr	   *op = lfirst(lc);
		Var		   *var;
		Const	   *c;
		char	   *opname;

		if (!IsA(op, OpExpr) || list_length(op->args) != 2)
			continue;
		var = linitial(op->args);
		c = lsecond(op->args);
		if (IsA(var, RelabelType))
			var = (Var *) ((RelabelType *) var)->arg;
		if (!IsA(var, Var) || !IsA(c, Const) || c->constisnull)
			continue;
		opname = get_opname(op->opno);
		if (var->varattno != anchor_attnum || opname == NULL || strcmp(opname, "<") != 0)
			continue;
		*bound = c->constvalue;
		found = true;
	}
	return found;
}

/*
 * The largest anchor below an exclusive bound: one day (date) or one
 * microsecond (timestamp, timestamptz) less.  False for an infinite bound.
 */
static bool
last_anchor_below(Oid type, Datum bound, Datum *last)
{
	if (type == DATEOID)
	{
		if (DATE_NOT_FINITE(DatumGetDateADT(bound)))
			return false;
		*last = DateADTGetDatum(DatumGetDateADT(bound) - 1);
		return true;
	}
	if (TIMESTAMP_NOT_FINITE(DatumGetInt64(bound)))
		return false;
	*last = Int64GetDatum(DatumGetInt64(bound) - 1);
	return true;
}

/* a <= b for two anchors of the given type */
static bool
anchor_le(Oid type, Datum a, Datum b)
{
	if (type == DATEOID)
		return DatumGetDateADT(a) <= DatumGetDateADT(b);
	return DatumGetInt64(a) <= DatumGetInt64(b);
}

/* Does a foreign key reference the relation (DROP and DETACH would fail)? */
static bool
is_referenced(Oid relid)
{
	Relation	conrel = table_open(ConstraintRelationId, AccessShareLock);
	SysScanDesc scan = systable_beginscan(conrel, InvalidOid, false, NULL, 0, NULL);
	HeapTuple	tuple;
	bool		found = false;

	while (!found && HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tuple);

		found = con->contype == CONSTRAINT_FOREIGN && con->confrelid == relid;
	}
	systable_endscan(scan);
	table_close(conrel, AccessShareLock);
	return found;
}

/* Does row security apply to the relation's owner (FORCE)? */
static bool
row_security_forced(Oid relid)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	bool		forced;

	if (!HeapTupleIsValid(tuple))
		return false;
	forced = ((Form_pg_class) GETSTRUCT(tuple))->relforcerowsecurity;
	ReleaseSysCache(tuple);
	return forced;
}

/*
 * Whether the step may apply to the job at all: a delete job on a
 * partition, nothing that needs each row read (a hold, a foreign-key anchor,
 * when=, several anchors, suppress=true, keys that reference the rows).
 */
static bool
step_applies(EnforceJob *job, RetentionJobResult *result)
{
	RetentionTag *tag = linitial(job->tags);

	return job->is_delete && job->relid != job->tagged_relid &&
		tag->label.partitions != RETENTION_PARTITIONS_ROWS &&
		!OidIsValid(tag->fk_conoid) &&
		tag->label.suppress != 1 && /* identifiers are read from each row */
		!tag->complex &&tag->condition == NULL &&
		result->held == 0 && job->held_sql == NULL && job->probes == NIL &&
		!is_referenced(job->relid);
}

/*
 * Can every row of the partition be due, by its bound?  *probe: only if no
 * row above *safe fails the due predicate (the bound is in the band).
 */
static bool
bound_is_due(EnforceJob *job, TimestampTz now, bool *probe, Datum *safe)
{
	RetentionTag *tag = linitial(job->tags);
	AttrNumber	attnum = get_attnum(job->relid, job->anchor_names[0]);
	Datum		bound;
	Datum		last;
	Datum		exact;
	Datum		upper;

	if (attnum == InvalidAttrNumber ||
		!partition_upper_bound(job->relid, attnum, &bound) ||
		!last_anchor_below(tag->anchor_type, bound, &last))
		return false;
	/* the job's own cutoffs: the same rule and instant */
	retention_cutoff(tag->anchor_type, &tag->category->rule, now, &exact, safe, &upper);
	*probe = !anchor_le(tag->anchor_type, last, *safe);
	return anchor_le(tag->anchor_type, last, upper);
}

/* Is there a row above safe that is not due?  Reads a fresh snapshot. */
static bool
band_has_row_not_due(EnforceJob *job, const char *probe_sql, Datum safe)
{
	Oid			type = ((RetentionTag *) linitial(job->tags))->anchor_type;

	if (retention_execute_job_sql(probe_sql, 1, &type, &safe, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "partition probe failed");
	return SPI_processed > 0;
}

/* The planner's estimate of the relation's rows. */
static int64
estimated_rows(Oid relid)
{
	Relation	rel = relation_open(relid, NoLock);
	BlockNumber pages;
	double		tuples;
	double		allvisfrac;

	estimate_rel_size(rel, NULL, &pages, &tuples, &allvisfrac);
	relation_close(rel, NoLock);
	return (int64) tuples;
}

/*
 * Check the band (under SHARE on the partition, so that no row can be
 * added or changed until the statement), then drop or detach.  False if a
 * row in the band is not due (nothing done).
 */
static bool
check_and_apply(EnforceJob *job, RetentionJobResult *result, bool probe, Datum safe)
{
	bool		detach = ((RetentionTag *) linitial(job->tags))->label.partitions == RETENTION_PARTITIONS_DETACH;
	char	   *probe_sql;
	char	   *step_sql;
	char		buf[32];
	uint64		wal_before = pgWalUsage.wal_bytes;
	int64		rows;

	snprintf(buf, sizeof(buf), "%d", retention_partition_lock_timeout);
	(void) set_config_option("lock_timeout", buf, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	retention_deparse_partition_step(job, detach, &probe_sql, &step_sql);
	if (probe)
	{
		LockRelationOid(job->relid, ShareLock);
		if (band_has_row_not_due(job, probe_sql, safe))
			return false;
	}
	rows = estimated_rows(job->relid);
	if (SPI_execute(step_sql, false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "partition step failed");

	result->rows = rows;
	result->batches = 1;
	result->wal_bytes = pgWalUsage.wal_bytes - wal_before;
	result->outcome = detach ? "detached partition (rows estimated)" : "dropped partition (rows estimated)";
	return true;
}

/*
 * retention_partition_step
 *
 * On a job's first step, as the table's owner inside the job's guarded
 * subtransaction, after re-validation: drop or detach the job's partition
 * if every row of it is due as of now.  Returns true when the job is done
 * (result says what happened: the partition dropped or detached, or the
 * step postponed because a lock was not granted within
 * retention.partition_lock_timeout); false when the job goes on in batches.
 */
bool
retention_partition_step(EnforceJob *job, TimestampTz now, RetentionJobResult *result)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	volatile bool done = false;
	bool		probe;
	Datum		safe;

	if (!step_applies(job, result) || !bound_is_due(job, now, &probe, &safe))
		return false;

	/*
	 * the probe must see every row: those committed since the transaction
	 * began, and those a policy would hide from the owner
	 */
	if (probe && (IsolationUsesXactSnapshot() || row_security_forced(job->relid)))
		return false;

	/* a subtransaction: a lock not granted in time undoes only the step */
	BeginInternalSubTransaction(NULL);
	PG_TRY();
	{
		done = check_and_apply(job, result, probe, safe);
		/* not wholly due: give the SHARE lock back */
		if (done)
			ReleaseCurrentSubTransaction();
		else
			RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
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
		result->outcome = "postponed: partition lock not available";
		done = true;
	}
	PG_END_TRY();
	return done;
}
