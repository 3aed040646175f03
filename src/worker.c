/*-------------------------------------------------------------------------
 *
 * src/worker.c
 *	  A database worker: runs one enforcement cycle (CALL
 *	  retention.enforce()) for the database the launcher gave it, records
 *	  how it ended, and exits, giving its slot back.
 *
 * The launcher (launcher.c) starts it and decides when the database's next
 * cycle is due.  The worker:
 *
 *	- exits at once if retention.enabled is off or the server is a standby;
 *	- finds out whether the extension is installed (a database without it is
 *	  asked again only after a while, or when CREATE EXTENSION runs);
 *	- runs CALL retention.enforce(), which commits batch by batch;
 *	- records the result in the database's shared entry: "idle" (completed),
 *	  "failing" (an error: retried after retention.naptime), or, from its
 *	  exit callback, "cancelled" (SIGINT: pg_cancel_backend ends the cycle
 *	  and the worker) or "terminated" (SIGTERM: pg_terminate_backend, the
 *	  kill switch, DDL on the database);
 *	- logs a WARNING when its database starts failing, and a LOG when it
 *	  recovers: not at every cycle.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>
#include <unistd.h>

#include "access/xact.h"
#include "commands/dbcommands.h"
#include "access/xlog.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/condition_variable.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/dest.h"
#include "tcop/pquery.h"
#include "tcop/tcopprot.h"
#include "utils/elog.h"
#include "utils/memutils.h"
#include "utils/portal.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "pg_retention.h"

#define RECHECK_NAPTIMES	10	/* databases without the extension */

static RetentionDb *my_db = NULL;
static bool cycle_recorded = false;
static volatile sig_atomic_t cancel_requested = false;
static char *my_dbname = NULL;	/* for messages */

/*
 * Exit callback: the worker leaves its database.  If the cycle did not
 * record its end, the worker was terminated in the middle of it.
 */
static void
worker_exit(int code, Datum arg)
{
	TimestampTz now = GetCurrentTimestamp();

	LWLockAcquire(retention_shared->lock, LW_EXCLUSIVE);
	if (my_db->pid == MyProcPid)
	{
		my_db->pid = 0;
		/* ended before it could say how (FATAL, SIGTERM): not again at once */
		if (!cycle_recorded)
			my_db->next_due = TimestampTzPlusMilliseconds(now, retention_naptime * 1000L);
		if (my_db->state == DBSTATE_ENFORCING || my_db->state == DBSTATE_STARTING)
		{
			if (cancel_requested)
				retention_set_db_state(my_db, DBSTATE_CANCELLED, "the cycle was cancelled");
			else
				retention_set_db_state(my_db, DBSTATE_TERMINATED, "the cycle was terminated");
			my_db->last_cycle_end = now;
			my_db->next_due = TimestampTzPlusMilliseconds(now, retention_naptime * 1000L);
		}
		if (my_db->orphan)
		{
			my_db->orphan = false;
			my_db->launched = false;
		}
	}
	LWLockRelease(retention_shared->lock);
	ConditionVariableBroadcast(&retention_shared->worker_exited);
	if (retention_shared->launcher_latch)
		SetLatch(retention_shared->launcher_latch);
}

/*
 * Runs sql as a top-level statement through an unnamed portal, as the
 * simple-query protocol does, so that a procedure can commit inside it.
 */
static void
run_toplevel(const char *sql, CommandTag tag, MemoryContext cxt)
{
	List	   *parsetrees;
	RawStmt    *raw;
	List	   *querytrees;
	List	   *plantrees;
	Portal		portal;
	DestReceiver *dest = CreateDestReceiver(DestNone);
	QueryCompletion qc;
	MemoryContext old;

	/*
	 * The trees must outlive the transaction: the procedure commits, and the
	 * portal reads its statement list again afterwards (the simple-query
	 * protocol keeps them in MessageContext for the same reason).
	 */
	old = MemoryContextSwitchTo(cxt);
	parsetrees = pg_parse_query(sql);
	raw = linitial_node(RawStmt, parsetrees);
	PushActiveSnapshot(GetTransactionSnapshot());
	querytrees = pg_analyze_and_rewrite_fixedparams(raw, sql, NULL, 0, NULL);
	plantrees = pg_plan_queries(querytrees, sql, CURSOR_OPT_PARALLEL_OK, NULL);
	PopActiveSnapshot();
	MemoryContextSwitchTo(old);

	portal = CreatePortal("", true, true);
	portal->visible = false;
	PortalDefineQuery(portal, NULL, sql, tag, plantrees, NULL);
	PortalStart(portal, NULL, 0, InvalidSnapshot);
	InitializeQueryCompletion(&qc);
	(void) PortalRun(portal, FETCH_ALL, true, true, dest, dest, &qc);
	PortalDrop(portal, false);
}

/*
 * One enforcement cycle: CALL retention.enforce(), which commits batch by
 * batch.  Returns the run id, 0 if none was recorded, -1 if the extension
 * is not installed.
 */
static int64
worker_cycle(MemoryContext cxt)
{
	int64		run_id = 0;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (!retention_extension_exists())
	{
		CommitTransactionCommand();
		return -1;
	}
	LWLockAcquire(retention_shared->lock, LW_EXCLUSIVE);
	retention_set_db_state(my_db, DBSTATE_ENFORCING, "");
	my_db->no_slot_warned = false;
	LWLockRelease(retention_shared->lock);
	pgstat_report_activity(STATE_RUNNING, "CALL retention.enforce()");
	run_toplevel("CALL retention.enforce()", CMDTAG_CALL, cxt);
	CommitTransactionCommand();

	/* the run id, for retention.worker_status() */
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute("SELECT pg_catalog.max(run_id) FROM retention.run", true, 1) == SPI_OK_SELECT &&
		SPI_processed == 1)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		run_id = isnull ? 0 : DatumGetInt64(d);
	}
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
	pgstat_report_stat(true);
	return run_id;
}

/*
 * SIGINT (pg_cancel_backend): cancels the cycle.  The worker exists for this
 * one cycle, so it ends as for SIGTERM (the batch in progress rolls back),
 * and its database shows "cancelled".
 */
static void
worker_sigint(SIGNAL_ARGS)
{
	cancel_requested = true;
	die(postgres_signal_arg);
}

/*
 * record_cycle_end
 *
 * Records how the cycle ended in the database's entry (state, message, next
 * due time) and logs a change between served and failing.  sqlstate is 0
 * for a completed cycle.
 */
static void
record_cycle_end(RetentionDbState state, int64 run_id, int sqlstate)
{
	TimestampTz now = GetCurrentTimestamp();
	int			old_sqlstate;
	int			old_failures;
	int			failures;
	char		message[96];
	long		wait_ms = retention_naptime * 1000L;

	if (state == DBSTATE_FAILING)
		snprintf(message, sizeof(message), "last cycle failed: SQLSTATE %s; retrying after retention.naptime",
				 unpack_sql_state(sqlstate));
	else if (state == DBSTATE_NO_EXTENSION)
	{
		snprintf(message, sizeof(message), "extension pg_retention is not installed");
		wait_ms *= RECHECK_NAPTIMES;
	}
	else
		message[0] = '\0';

	LWLockAcquire(retention_shared->lock, LW_EXCLUSIVE);
	old_sqlstate = my_db->last_sqlstate;
	old_failures = my_db->failures;
	retention_set_db_state(my_db, state, message);
	my_db->last_cycle_end = now;
	my_db->next_due = TimestampTzPlusMilliseconds(now, wait_ms);
	if (state == DBSTATE_IDLE)
	{
		my_db->last_completed = now;
		my_db->failures = 0;
		my_db->last_sqlstate = 0;
	}
	else if (state == DBSTATE_FAILING)
	{
		my_db->failures++;
		my_db->last_sqlstate = sqlstate;
	}
	if (run_id > 0)
		my_db->last_run_id = run_id;
	failures = my_db->failures;
	cycle_recorded = true;
	LWLockRelease(retention_shared->lock);

	if (state == DBSTATE_FAILING && (failures == 1 || old_sqlstate != sqlstate))
		ereport(WARNING,
				(errmsg("pg_retention worker: enforcement in database \"%s\" is failing (SQLSTATE %s); retrying after retention.naptime",
						my_dbname, unpack_sql_state(sqlstate)),
				 errhint("See retention.worker_status() and the action log; retention.log_error_details = on logs the error text.")));
	else if (state == DBSTATE_IDLE && old_failures > 0)
		ereport(LOG,
				(errmsg("pg_retention worker: enforcement in database \"%s\" completed again",
						my_dbname)));
}

/*
 * retention_worker_main
 *
 * Entry point of a database worker (main_arg: the database OID).
 */
void
retention_worker_main(Datum main_arg)
{
	Oid			dboid = DatumGetObjectId(main_arg);
	MemoryContext cycle_cxt;
	MemoryContext old;
	int64		run_id = 0;
	int			sqlstate = 0;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	pqsignal(SIGINT, worker_sigint);
	BackgroundWorkerUnblockSignals();

	LWLockAcquire(retention_shared->lock, LW_EXCLUSIVE);
	my_db = retention_find_db(dboid);
	if (my_db == NULL || my_db->pid != 0)
	{
		LWLockRelease(retention_shared->lock);
		proc_exit(0);			/* not ours, or a second copy */
	}
	my_db->pid = MyProcPid;
	LWLockRelease(retention_shared->lock);
	before_shmem_exit(worker_exit, (Datum) 0);

	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	pgstat_report_appname("pg_retention worker");
	SetConfigOption("application_name", "pg_retention worker", PGC_USERSET, PGC_S_SESSION);
	StartTransactionCommand();
	{
		char	   *name = get_database_name(dboid);

		my_dbname = MemoryContextStrdup(TopMemoryContext, name ? name : "(dropped)");
	}
	CommitTransactionCommand();

	if (!retention_enabled || RecoveryInProgress())
	{
		record_cycle_end(retention_enabled ? DBSTATE_STANDBY : DBSTATE_DISABLED, 0, 0);
		proc_exit(0);
	}

	cycle_cxt = AllocSetContextCreate(TopMemoryContext, "pg_retention worker cycle",
									  ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cycle_cxt);
	PG_TRY();
	{
		run_id = worker_cycle(cycle_cxt);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cycle_cxt);
		edata = CopyErrorData();
		FlushErrorState();
		AbortOutOfAnyTransaction();
		sqlstate = edata->sqlerrcode;
		ereport(LOG,
				(errmsg("pg_retention worker: enforcement cycle failed (SQLSTATE %s)",
						unpack_sql_state(sqlstate)),
				 retention_log_error_details ? errdetail_internal("%s", edata->message) : 0));
		pgstat_report_activity(STATE_IDLE, NULL);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(old);

	if (run_id < 0)
		record_cycle_end(DBSTATE_NO_EXTENSION, 0, 0);
	else if (sqlstate != 0)
		record_cycle_end(DBSTATE_FAILING, 0, sqlstate);
	else
		record_cycle_end(DBSTATE_IDLE, run_id, 0);
	proc_exit(0);
}
