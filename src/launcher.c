/*-------------------------------------------------------------------------
 *
 * src/launcher.c
 *	  The launcher: hands the databases to a bounded pool of workers in
 *	  turn, the way autovacuum's launcher does.
 *
 * With shared_preload_libraries = 'pg_retention' the launcher (a static
 * background worker, restarted by the postmaster after a crash) connects to
 * no database.  Each pass it
 *
 *	1. lists pg_database (databases that allow connections, not templates,
 *	   allowed by retention.databases), outside any lock;
 *	2. reaps the workers that have exited, freeing their slots;
 *	3. brings the shared list of databases in line with pg_database;
 *	4. starts workers for the databases that are due, longest-waiting
 *	   first, while fewer than retention.max_workers run;
 *	5. sleeps until the next database falls due, or until a worker exits
 *	   (the postmaster wakes the launcher: bgw_notify_pid).
 *
 * A worker runs one cycle for its database and exits (worker.c), so no slot
 * is held while a database waits for its next turn, and with N databases
 * and W workers a database waits at most about ceil(N/W) cycles.  A
 * database's next turn is retention.naptime after its last cycle ended.  A
 * database without the extension is asked again every RECHECK_NAPTIMES
 * naptimes, or at once when CREATE EXTENSION runs there.
 *
 * retention.enabled = off terminates the running workers and starts no
 * more; on a hot standby the launcher waits for promotion.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_database.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "pg_retention.h"

#define RECHECK_NAPTIMES	10	/* databases without the extension */

/* A worker slot: the launcher's handle of a running database worker. */
typedef struct LauncherSlot
{
	BackgroundWorkerHandle *handle; /* NULL: free */
	Oid			dboid;
} LauncherSlot;

static LauncherSlot *slots;		/* retention_max_workers of them */
static bool said_overflow = false;

/*
 * list_databases
 *
 * The OIDs of the databases the workers may serve: allowing connections,
 * not templates, allowed by retention.databases.  Reads pg_database in a
 * transaction of its own; the list is allocated in the caller's context.
 */
static List *
list_databases(void)
{
	List	   *result = NIL;
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tuple;
	MemoryContext caller = CurrentMemoryContext;

	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while ((tuple = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tuple);
		MemoryContext old;

		if (!db->datallowconn || db->datistemplate ||
			!retention_database_wanted(NameStr(db->datname)))
			continue;
		old = MemoryContextSwitchTo(caller);
		result = lappend_oid(result, db->oid);
		MemoryContextSwitchTo(old);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	PopActiveSnapshot();
	CommitTransactionCommand();
	return result;
}

/*
 * reap_workers
 *
 * Frees the slots of workers that have exited.  A worker records how its
 * cycle ended itself; one that exited before it could (it failed to start,
 * or its database went away) leaves its database "starting": that becomes
 * "terminated", due again after a naptime, as does a database never served
 * yet whose worker did not get that far.
 */
static void
reap_workers(TimestampTz now)
{
	for (int i = 0; i < retention_max_workers; i++)
	{
		pid_t		pid;
		RetentionDb *db;

		if (slots[i].handle == NULL ||
			GetBackgroundWorkerPid(slots[i].handle, &pid) != BGWH_STOPPED)
			continue;
		LWLockAcquire(retention_shared->lock, LW_EXCLUSIVE);
		db = retention_find_db(slots[i].dboid);
		if (db != NULL)
		{
			db->launched = false;
			db->pid = 0;
			if (db->state == DBSTATE_STARTING || db->state == DBSTATE_ENFORCING)
			{
				retention_set_db_state(db, DBSTATE_TERMINATED, "the worker exited before its cycle ended");
				db->next_due = TimestampTzPlusMilliseconds(now, retention_naptime * 1000L);
			}
			else if (db->state == DBSTATE_NEW && db->last_cycle_end == 0)
				db->next_due = TimestampTzPlusMilliseconds(now, retention_naptime * 1000L);
		}
		LWLockRelease(retention_shared->lock);
		pfree(slots[i].handle);
		slots[i].handle = NULL;
		slots[i].dboid = InvalidOid;
	}
}

/*
 * sync_databases
 *
 * Adds the databases of the list that the shared list lacks (due now), and
 * forgets those no longer in it (dropped, or left out of
 * retention.databases), terminating their worker first.
 */
static void
sync_databases(List *databases)
{
	ListCell   *lc;
	bool		overflow;

	LWLockAcquire(retention_shared->lock, LW_EXCLUSIVE);
	for (int i = 0; i < RETENTION_MAX_DATABASES; i++)
		retention_shared->dbs[i].listed = false;
	retention_shared->overflow = false;
	foreach(lc, databases)
	{
		RetentionDb *db = retention_add_db(lfirst_oid(lc));

		if (db)
			db->listed = true;
	}
	for (int i = 0; i < RETENTION_MAX_DATABASES; i++)
	{
		RetentionDb *db = &retention_shared->dbs[i];

		if (!OidIsValid(db->dboid) || db->listed)
			continue;
		if (db->pid != 0)
			kill(db->pid, SIGTERM);
		else if (!db->launched)
			memset(db, 0, sizeof(RetentionDb));
	}
	overflow = retention_shared->overflow;
	LWLockRelease(retention_shared->lock);

	if (overflow && !said_overflow)
		ereport(WARNING,
				(errmsg("pg_retention launcher: more than %d databases, some are not served",
						RETENTION_MAX_DATABASES),
				 errhint("Limit retention.databases to the databases that have the extension.")));
	said_overflow = overflow;
}

/*
 * set_all_states
 *
 * Puts every known database in state (disabled, standby), terminating
 * running workers when terminate is set.
 */
static void
set_all_states(RetentionDbState state, const char *message, bool terminate)
{
	LWLockAcquire(retention_shared->lock, LW_EXCLUSIVE);
	for (int i = 0; i < RETENTION_MAX_DATABASES; i++)
	{
		RetentionDb *db = &retention_shared->dbs[i];

		if (!OidIsValid(db->dboid) || db->state == DBSTATE_NO_EXTENSION ||
			db->state == DBSTATE_NEW)
			continue;
		if (terminate && db->pid != 0)
			kill(db->pid, SIGTERM);
		else if (db->pid == 0)
			retention_set_db_state(db, state, message);
	}
	LWLockRelease(retention_shared->lock);
}

/*
 * next_database
 *
 * The database to serve next: due (next_due <= now), no worker, not paused
 * for DDL; the one that has waited longest.  Its OID, or InvalidOid.  The
 * caller holds the lock.
 */
static RetentionDb *
next_database(TimestampTz now)
{
	RetentionDb *best = NULL;

	for (int i = 0; i < RETENTION_MAX_DATABASES; i++)
	{
		RetentionDb *db = &retention_shared->dbs[i];

		if (!OidIsValid(db->dboid) || !db->listed || db->launched ||
			db->next_due > now || db->paused_until > now)
			continue;
		if (best == NULL || db->next_due < best->next_due)
			best = db;
	}
	return best;
}

static bool
start_worker(Oid dboid, BackgroundWorkerHandle **handle)
{
	BackgroundWorker worker;
	MemoryContext old;
	bool		ok;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;	/* one cycle, then exit */
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "pg_retention");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "retention_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "pg_retention worker for database %u", dboid);
	snprintf(worker.bgw_type, BGW_MAXLEN, "pg_retention worker");
	worker.bgw_main_arg = ObjectIdGetDatum(dboid);
	worker.bgw_notify_pid = MyProcPid;
	/* the handle outlives the pass */
	old = MemoryContextSwitchTo(TopMemoryContext);
	ok = RegisterDynamicBackgroundWorker(&worker, handle);
	MemoryContextSwitchTo(old);
	return ok;
}

/*
 * Logs a database's entering "no slot", once until it is served again
 * (called without the lock; warned is what the entry said before).
 */
static void
log_no_slot(Oid dboid, bool warned, bool registration_failed)
{
	if (registration_failed)
		elog(DEBUG1, "pg_retention launcher: no background worker slot for database %u", dboid);
	if (warned)
		return;
	if (registration_failed)
		ereport(WARNING,
				(errmsg("pg_retention launcher: could not start a worker for database %u", dboid),
				 errdetail("No background worker slot is free."),
				 errhint("Raise max_worker_processes: it must cover retention.max_workers, the launcher and the other background workers (parallel query, replication).")));
	else
		ereport(WARNING,
				(errmsg("pg_retention launcher: database %u has waited more than retention.naptime for a worker", dboid),
				 errdetail("All %d workers (retention.max_workers) were busy.", retention_max_workers),
				 errhint("Raise retention.max_workers (needs a restart), or lower retention.max_runtime so that cycles are shorter.")));
}

/*
 * start_due_workers
 *
 * Starts workers for due databases, longest-waiting first, while slots are
 * free.  A due database that waits more than a naptime for a slot, or whose
 * worker could not be registered, is "no slot".  Returns false if a
 * registration failed (the postmaster has no slot free).
 */
static bool
start_due_workers(TimestampTz now)
{
	for (;;)
	{
		RetentionDb *db;
		Oid			dboid;
		int			free_slot = -1;
		bool		warned;

		for (int i = 0; i < retention_max_workers && free_slot < 0; i++)
			if (slots[i].handle == NULL)
				free_slot = i;

		LWLockAcquire(retention_shared->lock, LW_EXCLUSIVE);
		db = next_database(now);
		if (db == NULL)
		{
			LWLockRelease(retention_shared->lock);
			return true;
		}
		dboid = db->dboid;
		if (free_slot < 0)
		{
			/* every slot busy: say so for those waiting too long */
			Oid			late[RETENTION_MAX_DATABASES];
			bool		warneds[RETENTION_MAX_DATABASES];
			int			nlate = 0;

			for (int i = 0; i < RETENTION_MAX_DATABASES; i++)
			{
				RetentionDb *d = &retention_shared->dbs[i];

				if (!OidIsValid(d->dboid) || !d->listed || d->launched ||
					d->state == DBSTATE_NEW || d->state == DBSTATE_NO_EXTENSION ||
					!TimestampDifferenceExceeds(d->next_due, now, retention_naptime * 1000))
					continue;
				retention_set_db_state(d, DBSTATE_NO_SLOT,
									   "all retention.max_workers workers are busy");
				warneds[nlate] = d->no_slot_warned;
				d->no_slot_warned = true;
				late[nlate++] = d->dboid;
			}
			LWLockRelease(retention_shared->lock);
			for (int i = 0; i < nlate; i++)
				log_no_slot(late[i], warneds[i], false);
			return true;
		}
		db->launched = true;
		LWLockRelease(retention_shared->lock);

		if (!start_worker(dboid, &slots[free_slot].handle))
		{
			slots[free_slot].handle = NULL;
			LWLockAcquire(retention_shared->lock, LW_EXCLUSIVE);
			db = retention_find_db(dboid);
			warned = true;
			if (db)
			{
				db->launched = false;
				/* not shown until known to have the extension */
				if (db->state != DBSTATE_NEW)
					retention_set_db_state(db, DBSTATE_NO_SLOT,
										   "no background worker slot: raise max_worker_processes");
				warned = db->no_slot_warned;
				db->no_slot_warned = true;
			}
			LWLockRelease(retention_shared->lock);
			log_no_slot(dboid, warned, true);
			return false;
		}
		slots[free_slot].dboid = dboid;
		LWLockAcquire(retention_shared->lock, LW_EXCLUSIVE);
		db = retention_find_db(dboid);
		if (db && db->state != DBSTATE_NEW)
			retention_set_db_state(db, DBSTATE_STARTING, NULL);
		LWLockRelease(retention_shared->lock);
	}
}

/*
 * determine_sleep
 *
 * How long the launcher may sleep: until the next database falls due, at
 * most a naptime; a full naptime when every slot is busy (an exiting worker
 * wakes it) or a registration failed.
 */
static long
determine_sleep(TimestampTz now, bool registration_failed)
{
	TimestampTz next = 0;
	bool		slot_free = false;
	long		ms = retention_naptime * 1000L;

	for (int i = 0; i < retention_max_workers; i++)
		if (slots[i].handle == NULL)
			slot_free = true;
	if (!slot_free || registration_failed)
		return ms;

	LWLockAcquire(retention_shared->lock, LW_SHARED);
	for (int i = 0; i < RETENTION_MAX_DATABASES; i++)
	{
		RetentionDb *db = &retention_shared->dbs[i];
		TimestampTz due;

		if (!OidIsValid(db->dboid) || !db->listed || db->launched)
			continue;
		due = Max(db->next_due, db->paused_until);
		if (next == 0 || due < next)
			next = due;
	}
	LWLockRelease(retention_shared->lock);

	if (next != 0)
	{
		long		secs;
		int			usecs;

		if (next <= now)
			return 1;
		TimestampDifference(now, next, &secs, &usecs);
		ms = Min(ms, secs * 1000L + usecs / 1000 + 1);
	}
	return ms;
}

/*
 * launcher_pass
 *
 * One pass of the launcher (see the file header); returns how long to
 * sleep.  Allocates in the current (per-pass) memory context.
 */
static long
launcher_pass(void)
{
	TimestampTz now;
	List	   *databases = list_databases();
	bool		registered;

	now = GetCurrentTimestamp();
	reap_workers(now);
	sync_databases(databases);
	if (!retention_enabled)
	{
		set_all_states(DBSTATE_DISABLED, "retention.enabled = off", true);
		return retention_naptime * 1000L;
	}
	registered = start_due_workers(now);
	return determine_sleep(GetCurrentTimestamp(), !registered);
}

/*
 * retention_launcher_main
 *
 * Entry point of the launcher (registered by retention_worker_init).
 */
void
retention_launcher_main(Datum main_arg)
{
	bool		said_standby = false;
	MemoryContext pass_cxt;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	pgstat_report_appname("pg_retention launcher");

	slots = MemoryContextAllocZero(TopMemoryContext, sizeof(LauncherSlot) * retention_max_workers);
	pass_cxt = AllocSetContextCreate(TopMemoryContext, "pg_retention launcher pass",
									 ALLOCSET_DEFAULT_SIZES);
	LWLockAcquire(retention_shared->lock, LW_EXCLUSIVE);
	retention_shared->launcher_pid = MyProcPid;
	retention_shared->launcher_latch = MyLatch;
	/* after a restart of the launcher: workers it no longer has handles of */
	for (int i = 0; i < RETENTION_MAX_DATABASES; i++)
	{
		RetentionDb *db = &retention_shared->dbs[i];

		db->orphan = db->launched && db->pid != 0;
		db->launched = db->orphan;
	}
	LWLockRelease(retention_shared->lock);

	for (;;)
	{
		bool		standby = RecoveryInProgress();
		long		sleep_ms;
		MemoryContext old;

		LWLockAcquire(retention_shared->lock, LW_EXCLUSIVE);
		retention_shared->standby = standby;
		LWLockRelease(retention_shared->lock);

		old = MemoryContextSwitchTo(pass_cxt);
		if (standby)
		{
			if (!said_standby)
				ereport(LOG,
						(errmsg("pg_retention launcher: this server is a standby; enforcement starts after promotion")));
			said_standby = true;
			set_all_states(DBSTATE_STANDBY, "the server is a standby", false);
			sleep_ms = 1000L;
		}
		else
			sleep_ms = launcher_pass();
		MemoryContextSwitchTo(old);
		MemoryContextReset(pass_cxt);

		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 sleep_ms, retention_wait_event());
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
	}
}

/*
 * retention_worker_init
 *
 * From _PG_init while preloading: the shared memory, the launcher and the
 * utility hook.  Does nothing otherwise.
 */
void
retention_worker_init(void)
{
	BackgroundWorker worker;

	if (!process_shared_preload_libraries_in_progress)
		return;
	retention_shmem_init();
	retention_utility_hook_init();

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_ConsistentState;
	worker.bgw_restart_time = 5;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "pg_retention");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "retention_launcher_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "pg_retention launcher");
	snprintf(worker.bgw_type, BGW_MAXLEN, "pg_retention launcher");
	RegisterBackgroundWorker(&worker);
}
