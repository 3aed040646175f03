/*-------------------------------------------------------------------------
 *
 * src/worker.c
 *	  The background workers: a launcher, and one worker per database that
 *	  has the extension, which runs CALL retention.enforce() every
 *	  retention.naptime.
 *
 * With shared_preload_libraries = 'pg_retention':
 *
 *	- the launcher (a static worker, restarted by the postmaster after a
 *	  crash) connects to no database, lists pg_database every naptime and
 *	  starts a dynamic worker for each database allowed by
 *	  retention.databases that has no worker yet, within
 *	  retention.max_workers slots;
 *	- a database worker connects, exits at once if the extension is not
 *	  installed (the launcher asks again later, or at once when CREATE
 *	  EXTENSION wakes it), and otherwise runs enforcement, sleeps on its
 *	  latch, and repeats;
 *	- on a hot standby the launcher logs once and waits; after promotion it
 *	  starts the workers within one naptime;
 *	- retention.enabled = off stops the workers without a restart; SIGHUP
 *	  reloads the settings; SIGTERM ends a worker (its current batch rolls
 *	  back) and the launcher starts it again;
 *	- DROP DATABASE, ALTER DATABASE ... RENAME / SET TABLESPACE, CREATE
 *	  DATABASE ... TEMPLATE and DROP EXTENSION pg_retention first stop the
 *	  database's worker and keep it away for a moment, so that they never
 *	  fail or wait because of it.
 *
 * Shared state (one slot per database worker) lives in shared memory and
 * is shown by retention.worker_status().
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>
#include <unistd.h>

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_database.h"
#include "commands/dbcommands.h"
#include "commands/defrem.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "tcop/dest.h"
#include "tcop/pquery.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/portal.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/varlena.h"
#include "utils/wait_event.h"

#include "pg_retention.h"

#define MAX_UNSERVED		64
#define PAUSE_SECONDS		10
#define RECHECK_NAPTIMES	10	/* databases without the extension */

typedef enum WorkerState
{
	SLOT_FREE = 0,
	SLOT_STARTING,
	SLOT_RUNNING,				/* in an enforcement run */
	SLOT_SLEEPING,
	SLOT_NO_EXTENSION,
	SLOT_FAILED
} WorkerState;

static const char *const state_names[] = {
	"free", "starting", "enforcing", "sleeping", "no extension", "failed to start"
};

typedef struct WorkerSlot
{
	Oid			dboid;
	pid_t		pid;			/* 0: not running */
	WorkerState state;
	TimestampTz state_since;
	TimestampTz last_cycle_end;
	int64		last_run_id;
	TimestampTz paused_until;	/* DDL on the database: keep away */
	char		message[128];
} WorkerSlot;

typedef struct RetentionShared
{
	LWLock	   *lock;
	pid_t		launcher_pid;
	Latch	   *launcher_latch;
	bool		wake;			/* CREATE EXTENSION ran somewhere: look now */
	bool		standby;
	int			nunserved;
	Oid			unserved[MAX_UNSERVED];	/* databases that found no slot */
	int			nslots;
	WorkerSlot	slots[FLEXIBLE_ARRAY_MEMBER];
} RetentionShared;

static RetentionShared *shared = NULL;
static bool preloaded = false;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;
#if PG_VERSION_NUM >= 150000
static shmem_request_hook_type prev_shmem_request_hook = NULL;
#endif
static ProcessUtility_hook_type prev_process_utility_hook = NULL;

/* worker GUCs */
int			retention_naptime = 60;
bool		retention_enabled = true;
char	   *retention_databases = NULL;
int			retention_max_workers = 4;

void		retention_worker_main(Datum main_arg);
void		retention_launcher_main(Datum main_arg);

static Size
shared_size(void)
{
	return add_size(offsetof(RetentionShared, slots),
					mul_size(sizeof(WorkerSlot), retention_max_workers));
}

#if PG_VERSION_NUM >= 150000
static void
retention_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(shared_size());
	RequestNamedLWLockTranche("pg_retention", 1);
}
#endif

static void
retention_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared = ShmemInitStruct("pg_retention", shared_size(), &found);
	if (!found)
	{
		memset(shared, 0, shared_size());
		shared->lock = &(GetNamedLWLockTranche("pg_retention"))->lock;
		shared->nslots = retention_max_workers;
	}
	LWLockRelease(AddinShmemInitLock);
}

static uint32
worker_wait_event(void)
{
#if PG_VERSION_NUM >= 170000
	static uint32 event = 0;

	if (event == 0)
		event = WaitEventExtensionNew("RetentionNaptime");
	return event;
#else
	return PG_WAIT_EXTENSION;
#endif
}

/* Sleep on the latch for ms, waking on SIGHUP/SIGTERM/SetLatch. */
static void
nap(long ms)
{
	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					 ms, worker_wait_event());
	ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
	if (ConfigReloadPending)
	{
		ConfigReloadPending = false;
		ProcessConfigFile(PGC_SIGHUP);
	}
}

static WorkerSlot *
find_slot(Oid dboid)
{
	for (int i = 0; i < shared->nslots; i++)
		if (shared->slots[i].state != SLOT_FREE && shared->slots[i].dboid == dboid)
			return &shared->slots[i];
	return NULL;
}

static void
set_state(WorkerSlot *slot, WorkerState state, const char *message)
{
	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	slot->state = state;
	slot->state_since = GetCurrentTimestamp();
	if (message)
		strlcpy(slot->message, message, sizeof(slot->message));
	LWLockRelease(shared->lock);
}

/*
 * Is this database one the workers should serve (retention.databases, or
 * every database when it is empty)?
 */
static bool
database_wanted(const char *datname)
{
	char	   *copy;
	List	   *names;
	ListCell   *lc;
	bool		wanted = false;

	if (retention_databases == NULL || retention_databases[0] == '\0')
		return true;
	copy = pstrdup(retention_databases);
	if (!SplitIdentifierString(copy, ',', &names))
		return false;			/* rejected by the check hook */
	foreach(lc, names)
		if (strcmp((char *) lfirst(lc), datname) == 0)
			wanted = true;
	return wanted;
}

static bool
check_databases(char **newval, void **extra, GucSource source)
{
	char	   *copy = pstrdup(*newval);
	List	   *names;

	if (!SplitIdentifierString(copy, ',', &names))
	{
		GUC_check_errdetail("retention.databases must be a comma-separated list of database names.");
		return false;
	}
	return true;
}

/* Databases the launcher should serve: allow connections, not templates. */
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

		if (!db->datallowconn || db->datistemplate || !database_wanted(NameStr(db->datname)))
			continue;
		{
			MemoryContext old = MemoryContextSwitchTo(caller);

			result = lappend_oid(result, db->oid);
			MemoryContextSwitchTo(old);
		}
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	PopActiveSnapshot();
	CommitTransactionCommand();
	return result;
}

static bool
start_worker(WorkerSlot *slot, BackgroundWorkerHandle **handle)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;	/* the launcher restarts it */
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "pg_retention");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "retention_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "pg_retention worker for database %u", slot->dboid);
	snprintf(worker.bgw_type, BGW_MAXLEN, "pg_retention worker");
	worker.bgw_main_arg = ObjectIdGetDatum(slot->dboid);
	worker.bgw_notify_pid = MyProcPid;
	return RegisterDynamicBackgroundWorker(&worker, handle);
}

/* Stop every database worker (kill switch). */
static void
stop_all_workers(void)
{
	LWLockAcquire(shared->lock, LW_SHARED);
	for (int i = 0; i < shared->nslots; i++)
		if (shared->slots[i].pid != 0)
			kill(shared->slots[i].pid, SIGTERM);
	LWLockRelease(shared->lock);
}

/* Launcher-local: databases found without the extension, and when. */
typedef struct NoExtensionEntry
{
	Oid			dboid;
	TimestampTz checked;
} NoExtensionEntry;

static HTAB *no_extension = NULL;

/*
 * One pass of the launcher: start a worker for every wanted database that
 * has none, forget databases that are gone.  A database without the
 * extension holds no slot; it is asked again every RECHECK_NAPTIMES
 * naptimes, or at once when CREATE EXTENSION wakes the launcher.
 */
static void
launcher_pass(BackgroundWorkerHandle **handles)
{
	List	   *databases = list_databases();
	ListCell   *lc;
	TimestampTz now = GetCurrentTimestamp();
	int			nunserved = 0;
	Oid			unserved[MAX_UNSERVED];
	bool		wake;

	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	wake = shared->wake;
	shared->wake = false;
	for (int i = 0; i < shared->nslots; i++)
	{
		WorkerSlot *slot = &shared->slots[i];
		pid_t		pid;

		if (slot->state == SLOT_FREE)
			continue;
		/* a database no longer wanted (retention.databases, or dropped) */
		if (slot->pid != 0)
		{
			if (!list_member_oid(databases, slot->dboid))
				kill(slot->pid, SIGTERM);
			continue;
		}
		if (handles[i] != NULL && GetBackgroundWorkerPid(handles[i], &pid) != BGWH_STOPPED)
			continue;
		if (slot->state == SLOT_NO_EXTENSION)
		{
			NoExtensionEntry *entry = hash_search(no_extension, &slot->dboid, HASH_ENTER, NULL);

			entry->checked = slot->state_since;
		}
		/* free the slot of a database without the extension, gone or unwanted */
		if (slot->state == SLOT_NO_EXTENSION || !list_member_oid(databases, slot->dboid))
		{
			memset(slot, 0, sizeof(WorkerSlot));
			handles[i] = NULL;
		}
	}
	LWLockRelease(shared->lock);

	/* after the slots were read: a wake clears what they just recorded too */
	if (wake)
	{
		HASH_SEQ_STATUS status;
		NoExtensionEntry *entry;

		hash_seq_init(&status, no_extension);
		while ((entry = hash_seq_search(&status)) != NULL)
			hash_search(no_extension, &entry->dboid, HASH_REMOVE, NULL);
	}

	foreach(lc, databases)
	{
		Oid			dboid = lfirst_oid(lc);
		NoExtensionEntry *entry = hash_search(no_extension, &dboid, HASH_FIND, NULL);
		WorkerSlot *slot;
		int			index;
		pid_t		pid;

		if (entry && !TimestampDifferenceExceeds(entry->checked, now,
												 retention_naptime * 1000 * RECHECK_NAPTIMES))
			continue;

		LWLockAcquire(shared->lock, LW_EXCLUSIVE);
		slot = find_slot(dboid);
		if (slot == NULL)
		{
			for (int i = 0; i < shared->nslots && slot == NULL; i++)
				if (shared->slots[i].state == SLOT_FREE)
				{
					slot = &shared->slots[i];
					memset(slot, 0, sizeof(WorkerSlot));
					slot->dboid = dboid;
					slot->state = SLOT_STARTING;
					slot->state_since = now;
				}
			if (slot == NULL)
			{
				LWLockRelease(shared->lock);
				if (nunserved < MAX_UNSERVED)
					unserved[nunserved++] = dboid;
				continue;
			}
		}
		index = slot - shared->slots;
		LWLockRelease(shared->lock);

		/* running, or registered and about to run */
		if (slot->pid != 0)
			continue;
		if (handles[index] != NULL &&
			GetBackgroundWorkerPid(handles[index], &pid) != BGWH_STOPPED)
			continue;
		if (slot->paused_until > now)
			continue;
		if (!start_worker(slot, &handles[index]))
		{
			handles[index] = NULL;
			set_state(slot, SLOT_FAILED,
					  "no background worker slot free: raise max_worker_processes");
			ereport(WARNING,
					(errmsg("pg_retention: could not start the worker for database %u", dboid),
					 errhint("Raise max_worker_processes (it must cover retention.max_workers plus the launcher).")));
		}
		else
			set_state(slot, SLOT_STARTING, "");
	}

	/* databases left without a worker: say so, once each */
	for (int i = 0; i < nunserved; i++)
	{
		bool		known = false;

		for (int j = 0; j < shared->nunserved; j++)
			if (shared->unserved[j] == unserved[i])
				known = true;
		if (!known)
			ereport(WARNING,
					(errmsg("pg_retention: no worker slot for database %u", unserved[i]),
					 errdetail("All %d slots (retention.max_workers) are in use.", retention_max_workers),
					 errhint("Raise retention.max_workers (needs a restart), or limit retention.databases to the databases with the extension.")));
	}
	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	shared->nunserved = nunserved;
	memcpy(shared->unserved, unserved, sizeof(Oid) * nunserved);
	LWLockRelease(shared->lock);
}

/*
 * retention_launcher_main
 *
 * Entry point of the launcher (registered in _PG_init).
 */
void
retention_launcher_main(Datum main_arg)
{
	BackgroundWorkerHandle **handles;
	bool		said_standby = false;
	HASHCTL		ctl;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	pgstat_report_appname("pg_retention launcher");

	handles = MemoryContextAllocZero(TopMemoryContext, sizeof(void *) * shared->nslots);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(NoExtensionEntry);
	no_extension = hash_create("pg_retention databases without the extension", 64, &ctl,
							   HASH_ELEM | HASH_BLOBS);
	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	shared->launcher_pid = MyProcPid;
	shared->launcher_latch = MyLatch;
	LWLockRelease(shared->lock);

	for (;;)
	{
		bool		standby = RecoveryInProgress();

		shared->standby = standby;
		if (standby)
		{
			if (!said_standby)
				ereport(LOG,
						(errmsg("pg_retention launcher: this server is a standby; enforcement starts after promotion")));
			said_standby = true;
		}
		else if (!retention_enabled)
			stop_all_workers();
		else
			launcher_pass(handles);
		nap(standby ? 1000L : (long) retention_naptime * 1000L);
	}
}

static void
clear_slot_pid(int code, Datum arg)
{
	WorkerSlot *slot = (WorkerSlot *) DatumGetPointer(arg);

	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	slot->pid = 0;
	if (slot->state == SLOT_RUNNING || slot->state == SLOT_SLEEPING || slot->state == SLOT_STARTING)
		slot->state = SLOT_STARTING;
	LWLockRelease(shared->lock);
	if (shared->launcher_latch)
		SetLatch(shared->launcher_latch);
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
#if PG_VERSION_NUM >= 150000
	querytrees = pg_analyze_and_rewrite_fixedparams(raw, sql, NULL, 0, NULL);
#else
	querytrees = pg_analyze_and_rewrite(raw, sql, NULL, 0, NULL);
#endif
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
 * retention_worker_main
 *
 * Entry point of a database worker (main_arg: the database OID).
 */
void
retention_worker_main(Datum main_arg)
{
	Oid			dboid = DatumGetObjectId(main_arg);
	WorkerSlot *slot;
	MemoryContext cycle_cxt;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	slot = find_slot(dboid);
	if (slot == NULL || slot->pid != 0)
	{
		LWLockRelease(shared->lock);
		proc_exit(0);			/* not ours, or a second copy */
	}
	slot->pid = MyProcPid;
	LWLockRelease(shared->lock);
	before_shmem_exit(clear_slot_pid, PointerGetDatum(slot));

	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	pgstat_report_appname("pg_retention worker");
	SetConfigOption("application_name", "pg_retention worker", PGC_USERSET, PGC_S_SESSION);
	cycle_cxt = AllocSetContextCreate(TopMemoryContext, "pg_retention worker cycle",
									  ALLOCSET_DEFAULT_SIZES);

	for (;;)
	{
		int64		run_id = 0;
		MemoryContext old;

		CHECK_FOR_INTERRUPTS();
		if (!retention_enabled || RecoveryInProgress())
			proc_exit(0);		/* the launcher starts us again when it may */

		set_state(slot, SLOT_RUNNING, NULL);
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
			ereport(LOG,
					(errmsg("pg_retention worker: enforcement cycle failed (SQLSTATE %s); retrying after retention.naptime",
							unpack_sql_state(edata->sqlerrcode)),
					 retention_log_error_details ? errdetail_internal("%s", edata->message) : 0));
			snprintf(slot->message, sizeof(slot->message), "last cycle failed: SQLSTATE %s",
					 unpack_sql_state(edata->sqlerrcode));
			pgstat_report_activity(STATE_IDLE, NULL);
		}
		PG_END_TRY();
		MemoryContextSwitchTo(old);
		MemoryContextReset(cycle_cxt);

		if (run_id < 0)
		{
			set_state(slot, SLOT_NO_EXTENSION, "extension pg_retention is not installed");
			proc_exit(0);
		}
		LWLockAcquire(shared->lock, LW_EXCLUSIVE);
		slot->last_cycle_end = GetCurrentTimestamp();
		if (run_id > 0)
			slot->last_run_id = run_id;
		slot->state = SLOT_SLEEPING;
		slot->state_since = slot->last_cycle_end;
		if (run_id > 0)
			slot->message[0] = '\0';
		LWLockRelease(shared->lock);
		nap((long) retention_naptime * 1000L);
	}
}

/*
 * retention_pause_database
 *
 * Stops the worker of a database and keeps it away for PAUSE_SECONDS, so
 * that commands needing the database to themselves are not blocked by it.
 * Waits up to 10 s for the worker to exit.
 */
static void
retention_pause_database(Oid dboid)
{
	WorkerSlot *slot;
	pid_t		pid = 0;

	if (shared == NULL || !OidIsValid(dboid))
		return;
	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	slot = find_slot(dboid);
	if (slot)
	{
		slot->paused_until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), PAUSE_SECONDS * 1000);
		pid = slot->pid;
	}
	LWLockRelease(shared->lock);
	if (pid == 0 || pid == MyProcPid)
		return;
	kill(pid, SIGTERM);
	for (int i = 0; i < 1000; i++)
	{
		bool		gone;

		LWLockAcquire(shared->lock, LW_SHARED);
		gone = (slot->pid != pid);
		LWLockRelease(shared->lock);
		if (gone)
			break;
		pg_usleep(10000L);
		CHECK_FOR_INTERRUPTS();
	}
}

/* The database a utility statement needs to itself, if any. */
static Oid
database_needed_alone(Node *stmt)
{
	switch (nodeTag(stmt))
	{
		case T_DropdbStmt:
			return get_database_oid(((DropdbStmt *) stmt)->dbname, true);
		case T_RenameStmt:
			if (((RenameStmt *) stmt)->renameType == OBJECT_DATABASE)
				return get_database_oid(((RenameStmt *) stmt)->subname, true);
			break;
		case T_AlterDatabaseStmt:
			return get_database_oid(((AlterDatabaseStmt *) stmt)->dbname, true);
		case T_CreatedbStmt:
			{
				ListCell   *lc;

				foreach(lc, ((CreatedbStmt *) stmt)->options)
				{
					DefElem    *def = lfirst(lc);

					if (strcmp(def->defname, "template") == 0 && def->arg)
						return get_database_oid(defGetString(def), true);
				}
				break;
			}
		case T_DropStmt:
			{
				DropStmt   *drop = (DropStmt *) stmt;
				ListCell   *lc;

				if (drop->removeType != OBJECT_EXTENSION)
					break;
				foreach(lc, drop->objects)
					if (strcmp(strVal(lfirst(lc)), "pg_retention") == 0)
						return MyDatabaseId;
				break;
			}
		default:
			break;
	}
	return InvalidOid;
}

static void
retention_process_utility(PlannedStmt *pstmt, const char *queryString,
						  bool readOnlyTree, ProcessUtilityContext context,
						  ParamListInfo params, QueryEnvironment *queryEnv,
						  DestReceiver *dest, QueryCompletion *qc)
{
	retention_pause_database(database_needed_alone(pstmt->utilityStmt));
	if (prev_process_utility_hook)
		prev_process_utility_hook(pstmt, queryString, readOnlyTree, context,
								  params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
}

/*
 * retention_worker_init
 *
 * From _PG_init: the worker settings, and at preload the shared memory,
 * the launcher and the utility hook.
 */
void
retention_worker_init(void)
{
	BackgroundWorker worker;

	DefineCustomIntVariable("retention.naptime",
							"Time between enforcement runs of the background workers.",
							NULL,
							&retention_naptime,
							60, 1, 86400,
							PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);
	DefineCustomBoolVariable("retention.enabled",
							 "Whether the background workers enforce the policy (the kill switch).",
							 "Off stops the workers at once, without a restart; CALL retention.enforce() still works.",
							 &retention_enabled,
							 true,
							 PGC_SIGHUP, 0,
							 NULL, NULL, NULL);
	DefineCustomStringVariable("retention.databases",
							   "Databases the background workers serve (comma-separated); empty means every database.",
							   "A database is served only if it also has the extension installed.",
							   &retention_databases,
							   "",
							   PGC_SIGHUP, GUC_LIST_INPUT,
							   check_databases, NULL, NULL);
	/* a postmaster setting can only be defined while preloading */
	if (!process_shared_preload_libraries_in_progress)
		return;
	DefineCustomIntVariable("retention.max_workers",
							"Maximum number of database workers.",
							"Each takes one of max_worker_processes; the launcher takes one more.",
							&retention_max_workers,
							4, 1, 256,
							PGC_POSTMASTER, 0,
							NULL, NULL, NULL);
	preloaded = true;

#if PG_VERSION_NUM >= 150000
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = retention_shmem_request;
#else
	RequestAddinShmemSpace(shared_size());
	RequestNamedLWLockTranche("pg_retention", 1);
#endif
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = retention_shmem_startup;
	prev_process_utility_hook = ProcessUtility_hook;
	ProcessUtility_hook = retention_process_utility;

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

/*
 * retention__worker_wake
 *
 * retention._worker_wake() RETURNS void: tells the launcher to look at
 * this database as soon as the transaction commits (called by CREATE
 * EXTENSION).  Does nothing when the library is not preloaded.
 */
static bool wake_registered = false;

/*
 * At commit of the CREATE EXTENSION transaction, not before: a worker woken
 * earlier would not see the extension yet.
 */
static void
wake_at_commit(XactEvent event, void *arg)
{
	WorkerSlot *slot;

	if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT)
		return;
	UnregisterXactCallback(wake_at_commit, NULL);
	wake_registered = false;
	if (event != XACT_EVENT_COMMIT || shared == NULL)
		return;
	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	shared->wake = true;
	slot = find_slot(MyDatabaseId);
	if (slot)
		slot->paused_until = 0;
	LWLockRelease(shared->lock);
	if (shared->launcher_latch)
		SetLatch(shared->launcher_latch);
}

PG_FUNCTION_INFO_V1(retention_worker_wake);

Datum
retention_worker_wake(PG_FUNCTION_ARGS)
{
	if (shared != NULL && !wake_registered)
	{
		RegisterXactCallback(wake_at_commit, NULL);
		wake_registered = true;
	}
	PG_RETURN_VOID();
}

/*
 * retention_worker_status
 *
 * retention.worker_status() RETURNS SETOF record: the launcher and every
 * database worker, from shared memory.
 */
PG_FUNCTION_INFO_V1(retention_worker_status);

Datum
retention_worker_status(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum		values[8];
	bool		nulls[8];

	InitMaterializedSRF(fcinfo, 0);
	if (shared == NULL)
	{
		memset(nulls, true, sizeof(nulls));
		values[0] = CStringGetTextDatum("launcher");
		values[3] = CStringGetTextDatum("not running");
		values[7] = CStringGetTextDatum("pg_retention is not in shared_preload_libraries: use CALL retention.enforce() or pg_cron");
		nulls[0] = nulls[3] = nulls[7] = false;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		return (Datum) 0;
	}

	LWLockAcquire(shared->lock, LW_SHARED);
	memset(nulls, true, sizeof(nulls));
	values[0] = CStringGetTextDatum("launcher");
	nulls[0] = false;
	values[2] = Int32GetDatum(shared->launcher_pid);
	nulls[2] = shared->launcher_pid == 0;
	values[3] = CStringGetTextDatum(shared->launcher_pid == 0 ? "not running" :
									shared->standby ? "standby: waiting for promotion" :
									retention_enabled ? "running" : "disabled (retention.enabled = off)");
	nulls[3] = false;
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);

	for (int i = 0; i < shared->nslots; i++)
	{
		WorkerSlot *slot = &shared->slots[i];
		char	   *datname;

		if (slot->state == SLOT_FREE)
			continue;
		memset(nulls, false, sizeof(nulls));
		datname = get_database_name(slot->dboid);
		values[0] = CStringGetTextDatum("worker");
		values[1] = CStringGetTextDatum(datname ? datname : "(dropped)");
		values[2] = Int32GetDatum(slot->pid);
		nulls[2] = slot->pid == 0;
		values[3] = CStringGetTextDatum(slot->paused_until > GetCurrentTimestamp() ? "paused for DDL on the database" :
										state_names[slot->state]);
		values[4] = TimestampTzGetDatum(slot->state_since);
		nulls[4] = slot->state_since == 0;
		values[5] = TimestampTzGetDatum(slot->last_cycle_end);
		nulls[5] = slot->last_cycle_end == 0;
		values[6] = Int64GetDatum(slot->last_run_id);
		nulls[6] = slot->last_run_id == 0;
		values[7] = CStringGetTextDatum(slot->message);
		nulls[7] = slot->message[0] == '\0';
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	for (int i = 0; i < shared->nunserved; i++)
	{
		char	   *datname = get_database_name(shared->unserved[i]);

		memset(nulls, true, sizeof(nulls));
		values[0] = CStringGetTextDatum("worker");
		values[1] = CStringGetTextDatum(datname ? datname : "(dropped)");
		values[3] = CStringGetTextDatum("no slot");
		values[7] = CStringGetTextDatum("all retention.max_workers slots are in use");
		nulls[0] = nulls[1] = nulls[3] = nulls[7] = false;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	LWLockRelease(shared->lock);
	return (Datum) 0;
}
