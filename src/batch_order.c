/*-------------------------------------------------------------------------
 *
 * src/batch_order.c
 *	  Which rows a job's next batch takes, and how many.
 *
 * Two orders, chosen on the job's first step:
 *
 *	 - anchor order, through an index on the anchor, each batch resuming
 *	   where the last one ended: the steady state (the index answers "nothing
 *	   due" at once) and short backlogs;
 *	 - a sweep in physical order: each batch is the due rows of a range of
 *	   pages (a TID range scan), from the first page to the relation's size
 *	   when the sweep began.  Taken when the planner would read the whole
 *	   table for the due rows (a backlog so large that visiting them in
 *	   anchor order means a random page per row), and always when no index
 *	   serves the anchor: never a sort of every remaining due row.
 *
 * A job that has an index starts in anchor order and moves to a sweep only
 * after a full first batch, so that statistics taken before a large delete
 * do not send every later run into a sweep of a table with nothing due;
 * only a delete job moves (see retention_order_after_first_batch).
 *
 * Batch size adapts to the backlog: retention.batch_size is the first
 * batch's size and the smallest; each full batch of a delete job doubles
 * the target (up to BATCH_GROWTH times retention.batch_size), and a batch
 * that takes more than BATCH_SLOW_MS halves it.  Growth depends on the rows only, so that a
 * run's batches are the same on a fast and a slow machine; the time bound
 * only keeps a slow table's batches short.  A sweep sizes each page range
 * from the density of due rows in the ranges before it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "catalog/pg_am.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "nodes/plannodes.h"
#include "storage/bufmgr.h"
#include "utils/plancache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "pg_retention.h"

#define BATCH_SLOW_MS	200
#define BATCH_GROWTH	16
#define CHUNK_GROWTH	8		/* a range at most this many times the last */

/* Whether a valid btree index of relid starts with column attnum. */
static bool
anchor_has_index(Relation rel, AttrNumber attnum)
{
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;
	bool		found = false;

	foreach(lc, indexes)
	{
		HeapTuple	itup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(lfirst_oid(lc)));
		HeapTuple	ctup;
		Form_pg_index index;

		if (!HeapTupleIsValid(itup))
			continue;
		index = (Form_pg_index) GETSTRUCT(itup);
		ctup = SearchSysCache1(RELOID, ObjectIdGetDatum(index->indexrelid));
		if (HeapTupleIsValid(ctup))
		{
			found = index->indisvalid && index->indnatts > 0 &&
				index->indkey.values[0] == attnum &&
				((Form_pg_class) GETSTRUCT(ctup))->relam == BTREE_AM_OID;
			ReleaseSysCache(ctup);
		}
		ReleaseSysCache(itup);
		if (found)
			break;
	}
	list_free(indexes);
	return found;
}

/*
 * Whether the planner would read the table rather than an index for all
 * the job's due rows: a sequential scan, or a bitmap scan expected to
 * return more than one batch.  Planned generically ($1, the token, unknown),
 * never executed.
 */
static bool
planner_reads_table(EnforceJob *job)
{
	Oid			types[1] = {INT8OID};
	SPIPlanPtr	plan = SPI_prepare(job->due_rows_sql, 1, types);
	CachedPlan *cplan;
	Plan	   *top;
	bool		reads;

	if (plan == NULL)
		elog(ERROR, "could not plan the due rows of %s: %s", job->relation_name,
			 SPI_result_code_string(SPI_result));
	cplan = SPI_plan_get_cached_plan(plan);
	if (cplan == NULL)
	{
		SPI_freeplan(plan);
		return false;
	}
	top = linitial_node(PlannedStmt, cplan->stmt_list)->planTree;
	while (top && (IsA(top, Gather) || IsA(top, GatherMerge)))
		top = outerPlan(top);
	reads = top != NULL &&
		(IsA(top, SeqScan) ||
		 (IsA(top, BitmapHeapScan) && top->plan_rows > retention_batch_size));
	ReleaseCachedPlan(cplan, NULL);
	SPI_freeplan(plan);
	return reads;
}

/* Starts a sweep over the pages the relation has now. */
static void
begin_sweep(EnforceJob *job)
{
	Relation	rel = relation_open(job->relid, NoLock);
	double		per_page = rel->rd_rel->relpages > 0 && rel->rd_rel->reltuples > 0
	? rel->rd_rel->reltuples / rel->rd_rel->relpages : 50;

	job->order.physical = true;
	job->order.next_block = 0;
	job->order.end_block = RelationGetNumberOfBlocks(rel);
	/* as if every row were due: the first range is the smallest */
	job->order.chunk_pages = Max(1, (BlockNumber) (job->order.target_rows / Max(per_page, 1)));
	relation_close(rel, NoLock);
}

/*
 * retention_order_first_step
 *
 * Chooses the order of a job's batches, before its first one, as the
 * table's owner with the relation locked.  Anchor order needs one local
 * anchor with a btree index that starts with it (job->resumable, see
 * deparse.c); a job without one sweeps when the planner would read the
 * table for its due rows.
 */
void
retention_order_first_step(EnforceJob *job)
{
	RetentionTag *tag = linitial(job->tags);
	bool		indexed = false;

	job->order.decided = true;
	job->order.target_rows = retention_batch_size;
	if (job->resumable)
	{
		Relation	rel = relation_open(job->relid, NoLock);

		indexed = anchor_has_index(rel, tag->anchor_attnum);
		relation_close(rel, NoLock);
	}
	if (job->resumable ? !indexed : planner_reads_table(job))
		begin_sweep(job);
}

/*
 * retention_order_after_first_batch
 *
 * A full first batch of deletes in anchor order means a backlog: sweep it
 * in physical order if the planner would read the table for it.  Updates
 * stay in anchor order: there each batch's new row versions fit on the
 * pages the batches before it freed (HOT updates, a third less WAL than one
 * bulk UPDATE), which a sweep's pages, full of live rows, do not offer.
 */
void
retention_order_after_first_batch(EnforceJob *job, int64 candidates)
{
	if (job->is_delete && !job->order.physical &&
		candidates >= job->order.target_rows && planner_reads_table(job))
		begin_sweep(job);
}

/*
 * retention_order_next_range
 *
 * The page range [*from, *to) of the sweep's next batch.
 */
void
retention_order_next_range(EnforceJob *job, ItemPointerData *from, ItemPointerData *to)
{
	BlockNumber end = job->order.next_block + job->order.chunk_pages;

	if (end > job->order.end_block || end < job->order.next_block)
		end = job->order.end_block;
	ItemPointerSet(from, job->order.next_block, 0);
	/* the last page's every line pointer: a TID one past them all */
	if (end >= MaxBlockNumber)
		ItemPointerSet(to, MaxBlockNumber, MaxOffsetNumber);
	else
		ItemPointerSet(to, end, 0);
}

/*
 * retention_order_after_range
 *
 * A sweep's batch covered its range, found rows in it, and either took
 * them all or stopped at the batch's limit (truncated: the same range
 * again, halved).  The next range aims at the target from the density seen.
 */
void
retention_order_after_range(EnforceJob *job, int64 found, bool truncated)
{
	BatchOrder *order = &job->order;
	BlockNumber pages = Min(order->chunk_pages, order->end_block - order->next_block);
	double		next;

	if (truncated)
	{
		order->chunk_pages = Max(1, pages / 2);
		return;
	}
	order->next_block += pages;
	if (found == 0)
		next = (double) pages * CHUNK_GROWTH;
	else
		next = Min((double) order->target_rows * pages / found, (double) pages * CHUNK_GROWTH);
	order->chunk_pages = (BlockNumber) Max(1, Min(next, (double) MaxBlockNumber / 2));
}

/* Whether the sweep has covered every page it began with. */
bool
retention_order_swept(const EnforceJob *job)
{
	return job->order.physical && job->order.next_block >= job->order.end_block;
}

/*
 * retention_order_after_batch
 *
 * Adapts the batch size after a batch: full (a backlog) doubles a delete
 * job's, slow halves it.  An anonymize job keeps retention.batch_size: its
 * UPDATE joins the batch's tids, and past a few ten thousand of them the
 * planner would rather hash-join them against the whole table.
 */
void
retention_order_after_batch(EnforceJob *job, bool full, long elapsed_ms)
{
	BatchOrder *order = &job->order;
	int64		most = Min((int64) retention_batch_size * BATCH_GROWTH, 1000000);

	if (elapsed_ms > BATCH_SLOW_MS)
		order->target_rows = Max(order->target_rows / 2, retention_batch_size);
	else if (full && job->is_delete && order->target_rows < most)
		order->target_rows = (int) Min((int64) order->target_rows * 2, most);
}
