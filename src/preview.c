/*-------------------------------------------------------------------------
 *
 * src/preview.c
 *	  What enforcement would do at an instant, without changing data: the
 *	  numbers behind retention.preview() and the retention.status view.
 *
 * The same jobs and predicates as enforcement (enforce_plan.c) are counted
 * as each table's owner, read-only.  A job that cannot be counted (say, the
 * owner lacks SELECT on the parent of a foreign-key anchor) reports its
 * error in its row and the others go on.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/indexing.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/value.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "pg_retention.h"

#define STATS_COLUMNS 13

/* Is there an index (partial ones count) whose first key is attnum?  Read
 * from pg_index, so a table locked by DDL does not make this wait. */
static bool
index_leads_with(Oid relid, AttrNumber attnum)
{
	Relation	pg_index = table_open(IndexRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	bool		found = false;

	ScanKeyInit(&key, Anum_pg_index_indrelid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(relid));
	scan = systable_beginscan(pg_index, IndexIndrelidIndexId, true, NULL, 1, &key);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_index index = (Form_pg_index) GETSTRUCT(tuple);

		if (index->indnkeyatts > 0 && index->indkey.values[0] == attnum && index->indisvalid)
			found = true;
	}
	systable_endscan(scan);
	table_close(pg_index, AccessShareLock);
	return found;
}

/*
 * retention_anchor_indexed
 *
 * Whether an index can serve the tag's due predicate on relation relid (the
 * table or a partition): an index leading with the anchor column, or for a
 * foreign-key anchor one on the parent's anchor column.
 */
bool
retention_anchor_indexed(RetentionTag *tag, Oid relid)
{
	char	   *anchor;

	if (tag->complex)
	{
		/* the first anchor item: the one a DBA indexes first */
		RetentionItem *item = linitial(tag->label.anchor_items);

		if (item->kind == RETENTION_ITEM_LATEST)
			return index_leads_with(item->other_relid, item->key_attnum);
		if (item->kind == RETENTION_ITEM_FK)
			return index_leads_with(item->other_relid, item->other_attnum);
		anchor = retention_live_attname(tag->relid, item->attnum);
		return anchor != NULL && index_leads_with(relid, get_attnum(relid, anchor));
	}
	if (OidIsValid(tag->fk_conoid))
		return index_leads_with(tag->parent_relid, tag->parent_attnum);
	anchor = retention_live_attname(tag->relid, tag->anchor_attnum);
	if (anchor == NULL)
		return false;			/* dropped since the tag was read */
	return index_leads_with(relid, get_attnum(relid, anchor));
}

typedef struct TagStats
{
	int64		due;			/* due, not held (blocked ones included) */
	int64		held;
	int64		blocked;		/* of due: left by this run, still referenced */
	char	   *note;			/* blocked=anonymize / expected, or NULL */
	bool		oldest_null;
	TimestampTz oldest;			/* due time of the earliest due anchor */
	bool		next_null;
	TimestampTz next;
} TagStats;

/*
 * A table tag that says what its referenced due rows get (blocked=anonymize
 * or blocked=expected): they are not an alarm, so they are counted neither
 * as blocked nor as overdue; the note says how many there are and why they
 * stay.
 */
static void
blocked_as_declared(EnforceJob *job, TagStats *stats)
{
	RetentionTag *tag = linitial(job->tags);

	if (!job->is_delete || stats[0].blocked == 0 ||
		(tag->label.blocked != RETENTION_BLOCKED_ANONYMIZE &&
		 tag->label.blocked != RETENTION_BLOCKED_EXPECTED))
		return;
	stats[0].note = psprintf(INT64_FORMAT " %s", stats[0].blocked,
							 tag->label.blocked == RETENTION_BLOCKED_EXPECTED
							 ? "referenced (expected)"
							 : "still referenced: anonymized instead of deleted (blocked=anonymize)");
	/* not overdue either: they stay by the policy's own word */
	stats[0].due = Max(0, stats[0].due - stats[0].blocked);
	stats[0].blocked = 0;
	/* nor is the time they have been due an alarm when they are all there is */
	if (stats[0].due == 0)
		stats[0].oldest_null = true;
}

/*
 * What the next-due and oldest-due queries read: the anchor (an index
 * serves it), or for tags with several anchors, a rule from the row or a
 * condition, the due time itself (NULL outside the tag).
 */
static char *
retention_anchor_sql_or_due_at(RetentionTag *tag)
{
	if (tag->complex ||tag->condition)
		return retention_planned_due_at_sql(tag);
	return retention_anchor_sql(tag);
}

/*
 * Counts one job as its owner; fills stats[] per tag.  jobs are the whole
 * run's: a referencing row that one of them deletes first does not block.
 */
static void
count_job(EnforceJob *job, List *jobs, const RetentionHolds *holds, bool whole_hold,
		  bool with_times, TagStats *stats)
{
	int			ntags = list_length(job->tags);
	StringInfoData sql;
	int			nestlevel;
	Oid			save_userid;
	int			save_sec;
	int64		held = 0;
	bool		isnull;

	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT 0");
	for (int t = 0; t < ntags; t++)
	{
		RetentionTag *tag = list_nth(job->tags, t);
		char	   *due = list_nth(job->due_sql, t);
		char	   *pending = list_nth(job->pending_sql, t);
		char	   *cond = pending ? psprintf("(%s AND %s)", due, pending) : due;

		appendStringInfo(&sql, ", pg_catalog.count(*) FILTER (WHERE %s)", cond);
		if (with_times)
			appendStringInfo(&sql, ", pg_catalog.min(%s) FILTER (WHERE %s)",
							 retention_anchor_sql_or_due_at(tag), cond);
	}
	appendStringInfo(&sql, " FROM ONLY %s r WHERE %s", job->relation_name,
					 whole_hold ? "true" : job->where_due_all);

	/*
	 * no other owner's row-security policy runs as this owner: the job is not
	 * counted and its note gives the SQLSTATE (42501)
	 */
	retention_check_reads_as(job->reads, job->owner);
	retention_begin_as_owner(job->owner, &nestlevel, &save_userid, &save_sec);
	retention_set_executor_active(true, holds);
	if (retention_execute_job_sql(sql.data, 0, NULL, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "preview count failed");
	for (int t = 0; t < ntags; t++)
	{
		int			col = with_times ? 2 + 2 * t : 2 + t;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col, &isnull);

		stats[t].due = isnull ? 0 : DatumGetInt64(d);
		stats[t].oldest_null = true;
		stats[t].next_null = true;
		if (with_times)
		{
			RetentionTag *tag = list_nth(job->tags, t);

			/* overdue since the due time of its earliest anchor */
			d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col + 1, &isnull);
			stats[t].oldest_null = isnull;
			if (!isnull)
				stats[t].oldest = (tag->complex ||tag->condition) ? DatumGetTimestampTz(d)
					: retention_due_time(d, tag->anchor_type, &tag->category->rule);
		}
	}
	if (whole_hold)
	{
		for (int t = 0; t < ntags; t++)
		{
			held = Max(held, stats[t].due);
			stats[t].due = 0;
		}
	}
	else if (job->held_sql)
	{
		if (retention_execute_job_sql(job->held_sql, 0, NULL, NULL, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "preview held count failed");
		held = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	for (int t = 0; t < ntags; t++)
		stats[t].held = held;
	if (job->blocked_scan_sql && !whole_hold)
	{
		/* each referencing table is read as its owner, never as this one's */
		int64		blocked = retention_count_blocked(job, holds, jobs);

		for (int t = 0; t < ntags; t++)
			stats[t].blocked = Min(blocked, stats[t].due);
		blocked_as_declared(job, stats);
	}

	/* next due: the smallest anchor that is not due yet */
	for (int t = 0; with_times && t < ntags; t++)
	{
		RetentionTag *tag = list_nth(job->tags, t);
		char	   *due = list_nth(job->due_sql, t);
		char	   *pending = list_nth(job->pending_sql, t);
		char	   *anchor = retention_anchor_sql_or_due_at(tag);

		resetStringInfo(&sql);
		appendStringInfo(&sql, "SELECT %s FROM ONLY %s r WHERE %s IS NOT NULL AND NOT %s%s%s ORDER BY 1 LIMIT 1",
						 anchor, job->relation_name, anchor, due,
						 pending ? " AND " : "", pending ? pending : "");
		if (retention_execute_job_sql(sql.data, 0, NULL, NULL, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "preview next-due query failed");
		if (SPI_processed > 0)
		{
			Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

			if (!isnull)
			{
				stats[t].next = (tag->complex ||tag->condition) ? DatumGetTimestampTz(d)
					: retention_due_time(d, tag->anchor_type, &tag->category->rule);
				/* beyond the range of timestamptz: never due */
				stats[t].next_null = TIMESTAMP_IS_NOEND(stats[t].next);
			}
		}
	}
	retention_set_executor_active(false, NULL);
	retention_end_as_owner(nestlevel, save_userid, save_sec);
}

/* The cutoff as text in the anchor's type: anchors up to it are due. */
static char *
cutoff_text(RetentionTag *tag, Datum cutoff)
{
	Oid			output;
	bool		varlena;

	getTypeOutputInfo(tag->anchor_type, &output, &varlena);
	return OidOutputFunctionCall(output, cutoff);
}

/*
 * retention_tag_stats
 *
 * retention._tag_stats(as_of timestamptz, with_times boolean) RETURNS SETOF
 * record: per tag and relation (table or partition), what enforcement as of
 * as_of would process (rows_due), leave because rows that stay still
 * reference them (rows_blocked) and leave for a hold (rows_held) -- three
 * disjoint counts --, the anchor cutoff, whether an index serves it, and
 * with with_times the due time of the earliest due anchor (oldest_due) and
 * the next due time (NULL: nothing will fall due).  Changes nothing.
 */
PG_FUNCTION_INFO_V1(retention_tag_stats);

Datum
retention_tag_stats(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TimestampTz as_of = PG_GETARG_TIMESTAMPTZ(0);
	bool		with_times = PG_GETARG_BOOL(1);
	RetentionHolds holds;
	List	   *jobs;
	List	   *invalid;
	ListCell   *lc;
	int			nestlevel;
	Oid			save_userid;
	int			save_sec;
	MemoryContext cxt;

	InitMaterializedSRF(fcinfo, 0);
	cxt = CurrentMemoryContext;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	retention_load_holds(&holds, as_of);
	retention_begin_as_owner(InvalidOid, &nestlevel, &save_userid, &save_sec);
	jobs = retention_plan_jobs(InvalidOid, NULL, &holds, as_of, &invalid);
	retention_end_as_owner(nestlevel, save_userid, save_sec);

	foreach(lc, jobs)
	{
		EnforceJob *job = lfirst(lc);
		int			ntags = list_length(job->tags);
		TagStats   *stats = palloc0(sizeof(TagStats) * ntags);
		bool		whole_hold = job->held;
		char	   *error = NULL;
		MemoryContext old = CurrentMemoryContext;
		ResourceOwner owner = CurrentResourceOwner;

		/* changed since its tags were read: nothing to count */
		if (job->changed)
			continue;
		BeginInternalSubTransaction(NULL);
		PG_TRY();
		{
			count_job(job, jobs, &holds, whole_hold, with_times, stats);
			ReleaseCurrentSubTransaction();
		}
		PG_CATCH();
		{
			ErrorData  *edata;

			retention_set_executor_active(false, NULL);
			MemoryContextSwitchTo(old);
			edata = CopyErrorData();
			FlushErrorState();
			RollbackAndReleaseCurrentSubTransaction();
			error = psprintf("SQLSTATE %s", unpack_sql_state(edata->sqlerrcode));
		}
		PG_END_TRY();
		MemoryContextSwitchTo(old);
		CurrentResourceOwner = owner;

		for (int t = 0; t < ntags; t++)
		{
			RetentionTag *tag = list_nth(job->tags, t);
			Datum		values[STATS_COLUMNS];
			bool		nulls[STATS_COLUMNS];
			char	   *attname = tag->attnum ? retention_live_attname(tag->relid, tag->attnum) : NULL;
			MemoryContext spi = MemoryContextSwitchTo(cxt);

			memset(nulls, false, sizeof(nulls));
			values[0] = ObjectIdGetDatum(job->tagged_relid);
			values[1] = ObjectIdGetDatum(job->relid);
			if (attname)
				values[2] = retention_name_datum(attname);
			else
				nulls[2] = true;
			values[3] = CStringGetTextDatum(tag->category->name);
			values[4] = CStringGetTextDatum(retention_action_name(tag->action));
			/* several anchors or a rule from the row: no single cutoff */
			if (tag->complex)
				nulls[5] = true;
			else
				values[5] = CStringGetTextDatum(cutoff_text(tag, job->exact_cutoffs[t]));
			values[6] = Int64GetDatum(stats[t].due - stats[t].blocked);
			values[7] = Int64GetDatum(stats[t].held);
			values[8] = BoolGetDatum(retention_anchor_indexed(tag, job->relid));
			values[9] = TimestampTzGetDatum(stats[t].oldest);
			nulls[9] = stats[t].oldest_null;
			values[10] = TimestampTzGetDatum(stats[t].next);
			nulls[10] = stats[t].next_null;
			if (error)
				values[11] = CStringGetTextDatum(error);
			else if (whole_hold)
				values[11] = CStringGetTextDatum("held as a whole (category or table hold)");
			else if (stats[t].note)
				values[11] = CStringGetTextDatum(stats[t].note);
			else
				nulls[11] = true;
			values[12] = Int64GetDatum(stats[t].blocked);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
			MemoryContextSwitchTo(spi);
		}
	}
	SPI_finish();
	return (Datum) 0;
}
