/*-------------------------------------------------------------------------
 *
 * src/subject_query.c
 *	  Running the statements of a data subject request: each as the owner of
 *	  the table it reads, from plans kept across requests, its rows handed
 *	  to the caller as the executor produces them.
 *
 * Every statement reads one table, as that table's owner, with row
 * security bypassed, in a security-restricted operation with search_path =
 * pg_catalog, pg_temp -- the way ri_triggers.c checks foreign keys.  Their
 * text depends only on the catalogs (tables, columns, tags); the values
 * come as parameters.  So each is parsed and planned once per backend, with
 * a generic plan: the statements are index and TID scans whose parameters
 * are arrays, and a custom plan for the 10,000 TIDs of a large subject
 * would scan the whole table instead.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "nodes/params.h"
#include "tcop/dest.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/snapmgr.h"

#include "subject.h"

/*
 * subject_plan
 *
 * The kept generic plan of a statement of the search (see above).
 */
SPIPlanPtr
subject_plan(const char *sql, int nargs, Oid *types)
{
	return retention_kept_plan(sql, nargs, types, true);
}

/*
 * subject_begin_as_owner
 *
 * Become the owner of relid, with row security bypassed, in a
 * security-restricted operation (retention_begin_as_probe_owner, the way
 * ri_triggers.c checks foreign keys): a FORCE ROW LEVEL SECURITY policy
 * neither hides rows from the request nor runs its code in it, and no
 * role's code runs as another role.  A relation dropped meanwhile fails
 * the request.  End with retention_end_as_owner.
 */
void
subject_begin_as_owner(Oid relid, int *nestlevel, Oid *save_userid,
					   int *save_sec_context)
{
	if (!retention_begin_as_probe_owner(relid, nestlevel, save_userid, save_sec_context))
		(void) subject_qualified_name(relid);	/* raises: changed */
}

/*
 * subject_query
 *
 * Runs a SELECT that reads one table, relid, as that table's owner (see
 * subject_begin_as_owner), with the search's snapshot if any.  The rows
 * are in SPI_tuptable.
 */
void
subject_query(SubjectSearch *search, Oid relid, const char *sql, int nargs,
			  Oid *types, Datum *values)
{
	int			nestlevel;
	Oid			save_userid;
	int			save_sec;
	int			rc;

	if (search && search->reader)
		search->reader->running = relid;
	subject_begin_as_owner(relid, &nestlevel, &save_userid, &save_sec);
	if (search && search->snapshot)
		rc = SPI_execute_snapshot(subject_plan(sql, nargs, types), values, NULL,
								  search->snapshot, InvalidSnapshot, true, false, 0);
	else
		rc = SPI_execute_plan(subject_plan(sql, nargs, types), values, NULL, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "subject query failed: %s", SPI_result_code_string(rc));
	retention_end_as_owner(nestlevel, save_userid, save_sec);
}

/* Hands each row of a statement to a callback, in the search's context. */
typedef struct RowReceiver
{
	DestReceiver pub;
	SubjectRowFn fn;
	void	   *arg;
	MemoryContext cxt;
} RowReceiver;

static bool
receive_row(TupleTableSlot *slot, DestReceiver *self)
{
	RowReceiver *r = (RowReceiver *) self;
	MemoryContext old = MemoryContextSwitchTo(r->cxt);

	slot_getallattrs(slot);
	r->fn(slot, r->arg);
	MemoryContextSwitchTo(old);
	return true;
}

static void
receive_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
}

static void
receive_shutdown(DestReceiver *self)
{
}

static void
receive_destroy(DestReceiver *self)
{
}

/*
 * subject_run
 *
 * Runs a SELECT that reads one table, relid, as that table's owner (see
 * subject_begin_as_owner), with the search's snapshot if any, and hands
 * each row to fn(slot, arg) as the executor produces it, in the search's
 * memory context: no copy of the result is made.  fn must not run SQL.
 */
void
subject_run(SubjectSearch *search, Oid relid, const char *sql, int nargs,
			Oid *types, Datum *values, SubjectRowFn fn, void *arg)
{
	RowReceiver receiver;
	SPIExecuteOptions options;
	ParamListInfo params = makeParamList(nargs);
	int			nestlevel;
	Oid			save_userid;
	int			save_sec;
	int			rc;

	memset(&receiver, 0, sizeof(receiver));
	receiver.pub.receiveSlot = receive_row;
	receiver.pub.rStartup = receive_startup;
	receiver.pub.rShutdown = receive_shutdown;
	receiver.pub.rDestroy = receive_destroy;
	receiver.pub.mydest = DestTuplestore;
	receiver.fn = fn;
	receiver.arg = arg;
	receiver.cxt = search->cxt;
	for (int i = 0; i < nargs; i++)
	{
		params->params[i].value = values[i];
		params->params[i].isnull = false;
		params->params[i].pflags = PARAM_FLAG_CONST;
		params->params[i].ptype = types[i];
	}
	memset(&options, 0, sizeof(options));
	options.params = params;
	options.dest = &receiver.pub;
	/* read-only: the active snapshot, the search's, serves every statement */
	options.read_only = search->snapshot != NULL;

	if (search->reader)
		search->reader->running = relid;
	subject_begin_as_owner(relid, &nestlevel, &save_userid, &save_sec);
	if (search->snapshot)
		PushActiveSnapshot(search->snapshot);
	rc = SPI_execute_plan_extended(subject_plan(sql, nargs, types), &options);
	if (search->snapshot)
		PopActiveSnapshot();
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "subject query failed: %s", SPI_result_code_string(rc));
	retention_end_as_owner(nestlevel, save_userid, save_sec);
}

Datum
subject_tid_array(List *tids)
{
	Datum	   *datums = palloc(sizeof(Datum) * Max(list_length(tids), 1));
	int			i = 0;
	ListCell   *lc;

	foreach(lc, tids)
		datums[i++] = PointerGetDatum(lfirst(lc));
	return PointerGetDatum(construct_array(datums, i, TIDOID, sizeof(ItemPointerData), false, TYPALIGN_SHORT));
}

/*
 * subject_fetch_keys
 *
 * The values of columns attnums[0..nkeys) of the rows tids of leaf relid, as
 * one array per column (arrays[], their types in types[]), read as the
 * table's owner (in the search's snapshot, if any); with_tids: the rows'
 * TIDs first, in arrays[0].  Rows with
 * a NULL in a key column reference nothing and are left out.  false when no
 * row is left.  The values never appear in SQL text: callers bind them.
 */
bool
subject_fetch_keys(SubjectSearch *search, Oid relid, List *tids, int nkeys,
				   AttrNumber *attnums, bool with_tids, Datum *arrays, Oid *types)
{
	StringInfoData sql;
	Oid			argtype = TIDARRAYOID;
	Datum		arg = subject_tid_array(tids);
	int			first = with_tids ? 1 : 0;
	bool		isnull;

	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT ");
	if (with_tids)
		appendStringInfoString(&sql, "pg_catalog.array_agg(p.ctid), ");
	for (int k = 0; k < nkeys; k++)
		appendStringInfo(&sql, "%spg_catalog.array_agg(p.%s)", k ? ", " : "",
						 quote_identifier(subject_attname(relid, attnums[k])));
	appendStringInfo(&sql, " FROM ONLY %s p WHERE p.ctid OPERATOR(pg_catalog.=) ANY ($1)",
					 subject_qualified_name(relid));
	for (int k = 0; k < nkeys; k++)
		appendStringInfo(&sql, " AND p.%s IS NOT NULL",
						 quote_identifier(subject_attname(relid, attnums[k])));
	subject_query(search, relid, sql.data, 1, &argtype, &arg);
	if (SPI_processed != 1)
		return false;
	(void) SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		return false;
	for (int c = 0; c < nkeys + first; c++)
	{
		arrays[c] = datumCopy(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, c + 1, &isnull),
							  false, -1);
		types[c] = SPI_gettypeid(SPI_tuptable->tupdesc, c + 1);
	}
	return true;
}
