/*-------------------------------------------------------------------------
 *
 * src/worker_state.c
 *	  What the launcher, the database workers and the utility hook share:
 *	  one entry per database in shared memory, and the SQL functions that
 *	  read it (retention.worker_status()) or poke it (retention._worker_wake()).
 *
 * Every field of RetentionShared is read and written under its LWLock.
 * Nothing that can look up a catalog (database names, extension checks)
 * runs while the lock is held: callers copy what they need first.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/dbcommands.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/ipc.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "pg_retention.h"

RetentionShared *retention_shared = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static const char *const db_state_names[] = {
	[DBSTATE_NEW] = "new",
	[DBSTATE_IDLE] = "idle",
	[DBSTATE_STARTING] = "starting",
	[DBSTATE_ENFORCING] = "enforcing",
	[DBSTATE_NO_SLOT] = "no slot",
	[DBSTATE_FAILING] = "failing",
	[DBSTATE_CANCELLED] = "cancelled",
	[DBSTATE_TERMINATED] = "terminated",
	[DBSTATE_NO_EXTENSION] = "no extension",
	[DBSTATE_DISABLED] = "disabled",
	[DBSTATE_STANDBY] = "standby"
};

static Size
shared_size(void)
{
	return add_size(offsetof(RetentionShared, dbs),
					mul_size(sizeof(RetentionDb), RETENTION_MAX_DATABASES));
}

static void
retention_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(shared_size());
	RequestNamedLWLockTranche("pg_retention", 1);
}

static void
retention_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	retention_shared = ShmemInitStruct("pg_retention", shared_size(), &found);
	if (!found)
	{
		memset(retention_shared, 0, shared_size());
		retention_shared->lock = &(GetNamedLWLockTranche("pg_retention"))->lock;
		ConditionVariableInit(&retention_shared->worker_exited);
	}
	LWLockRelease(AddinShmemInitLock);
}

/*
 * retention_shmem_init
 *
 * From _PG_init while preloading: asks for the shared memory and the lock.
 */
void
retention_shmem_init(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = retention_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = retention_shmem_startup;
}

/*
 * retention_find_db
 *
 * The entry of database dboid, or NULL.  The caller holds the lock.
 */
RetentionDb *
retention_find_db(Oid dboid)
{
	for (int i = 0; i < RETENTION_MAX_DATABASES; i++)
		if (retention_shared->dbs[i].dboid == dboid && OidIsValid(dboid))
			return &retention_shared->dbs[i];
	return NULL;
}

/*
 * retention_add_db
 *
 * The entry of database dboid, made (state new, due now) if there is none;
 * NULL when every entry is taken.  The caller holds the lock exclusively.
 */
RetentionDb *
retention_add_db(Oid dboid)
{
	RetentionDb *db = retention_find_db(dboid);

	if (db != NULL)
		return db;
	for (int i = 0; i < RETENTION_MAX_DATABASES; i++)
		if (!OidIsValid(retention_shared->dbs[i].dboid))
		{
			db = &retention_shared->dbs[i];
			memset(db, 0, sizeof(RetentionDb));
			db->dboid = dboid;
			db->state = DBSTATE_NEW;
			db->state_since = GetCurrentTimestamp();
			db->listed = true;
			return db;
		}
	retention_shared->overflow = true;
	return NULL;
}

/*
 * retention_set_db_state
 *
 * Sets a database's state (and its message, unless NULL), noting since when
 * if it changed; returns the previous state.  The caller holds the lock
 * exclusively, and logs the change, if it wants to, after releasing it.
 */
RetentionDbState
retention_set_db_state(RetentionDb *db, RetentionDbState state, const char *message)
{
	RetentionDbState old = db->state;

	if (old != state)
	{
		db->state = state;
		db->state_since = GetCurrentTimestamp();
	}
	if (message)
		strlcpy(db->message, message, sizeof(db->message));
	return old;
}

/* The name of a state, as retention.worker_status() shows it. */
const char *
retention_db_state_name(RetentionDbState state)
{
	return db_state_names[state];
}

/*
 * retention_wait_event
 *
 * The wait event of the workers' waits: the extension's own on 17 and
 * later ("RetentionWait"), the generic Extension one before.
 */
uint32
retention_wait_event(void)
{
#if PG_VERSION_NUM >= 170000
	static uint32 event = 0;

	if (event == 0)
		event = WaitEventExtensionNew("RetentionWait");
	return event;
#else
	return PG_WAIT_EXTENSION;
#endif
}

/*
 * At commit of the CREATE EXTENSION transaction, not before: a worker
 * started earlier would not see the extension yet.
 */
static bool wake_registered = false;
static bool wake_this_database = false;

static void
wake_at_commit(XactEvent event, void *arg)
{
	RetentionDb *db;

	if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT)
		return;
	UnregisterXactCallback(wake_at_commit, NULL);
	wake_registered = false;
	if (event != XACT_EVENT_COMMIT || retention_shared == NULL)
	{
		wake_this_database = false;
		return;
	}
	LWLockAcquire(retention_shared->lock, LW_EXCLUSIVE);
	db = wake_this_database ? retention_add_db(MyDatabaseId) : NULL;
	if (db)
	{
		db->next_due = 0;
		db->paused_until = 0;
		if (db->state == DBSTATE_NO_EXTENSION)
			retention_set_db_state(db, DBSTATE_NEW, "");
	}
	LWLockRelease(retention_shared->lock);
	wake_this_database = false;
	if (retention_shared->launcher_latch)
		SetLatch(retention_shared->launcher_latch);
}

/*
 * retention_wake_launcher_at_commit
 *
 * Wakes the launcher when the transaction commits, so that it lists the
 * databases again (CREATE DATABASE); with this_database, also makes this
 * database due at once (CREATE EXTENSION).
 */
void
retention_wake_launcher_at_commit(bool this_database)
{
	if (retention_shared == NULL)
		return;
	wake_this_database |= this_database;
	if (!wake_registered)
	{
		RegisterXactCallback(wake_at_commit, NULL);
		wake_registered = true;
	}
}

/*
 * retention_worker_wake
 *
 * retention._worker_wake() RETURNS void: makes this database due at once
 * when the transaction commits (called by CREATE EXTENSION).  Does nothing
 * when the library is not preloaded.
 */
PG_FUNCTION_INFO_V1(retention_worker_wake);

Datum
retention_worker_wake(PG_FUNCTION_ARGS)
{
	retention_wake_launcher_at_commit(true);
	PG_RETURN_VOID();
}

/* result columns of retention.worker_status(): 8 in 0.1.0, 12 since 0.2.0 */
#define STATUS_COLS_0_1		8
#define STATUS_COLS			12

/* Emits one row, cut to the number of columns the SQL definition has. */
static void
put_row(ReturnSetInfo *rsinfo, Datum *values, bool *nulls)
{
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * retention_worker_status
 *
 * retention.worker_status() RETURNS SETOF record: the launcher, then every
 * database with the extension (or with a worker at the moment): state,
 * pid of its running worker, since when, end of its last cycle and of its
 * last completed one, time since that, when it is due next, consecutive
 * failures, and a message saying why it is not served when it is not.
 *
 * Works with the 0.1.0 definition of the function (8 columns) as well as
 * with the current one (12), so that a new library serves an extension
 * not yet updated.
 */
PG_FUNCTION_INFO_V1(retention_worker_status);

Datum
retention_worker_status(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum		values[STATUS_COLS];
	bool		nulls[STATUS_COLS];
	RetentionDb *copy;
	int			ncopy = 0;
	pid_t		launcher_pid;
	bool		standby;
	TimestampTz now = GetCurrentTimestamp();

	InitMaterializedSRF(fcinfo, 0);
	if (rsinfo->setDesc->natts != STATUS_COLS && rsinfo->setDesc->natts != STATUS_COLS_0_1)
		elog(ERROR, "retention.worker_status() has %d result columns, expected %d",
			 rsinfo->setDesc->natts, STATUS_COLS);

	memset(nulls, true, sizeof(nulls));
	values[0] = CStringGetTextDatum("launcher");
	nulls[0] = false;
	if (retention_shared == NULL)
	{
		values[3] = CStringGetTextDatum("not running");
		values[7] = CStringGetTextDatum("pg_retention is not in shared_preload_libraries: use CALL retention.enforce() or pg_cron");
		nulls[3] = nulls[7] = false;
		put_row(rsinfo, values, nulls);
		return (Datum) 0;
	}

	/* copy under the lock, look names up after */
	copy = palloc(sizeof(RetentionDb) * RETENTION_MAX_DATABASES);
	LWLockAcquire(retention_shared->lock, LW_SHARED);
	launcher_pid = retention_shared->launcher_pid;
	standby = retention_shared->standby;
	for (int i = 0; i < RETENTION_MAX_DATABASES; i++)
	{
		RetentionDb *db = &retention_shared->dbs[i];

		if (!OidIsValid(db->dboid) || db->state == DBSTATE_NO_EXTENSION)
			continue;
		/* never served yet: shown only once a worker is on it */
		if (db->state == DBSTATE_NEW && !db->launched)
			continue;
		copy[ncopy++] = *db;
	}
	LWLockRelease(retention_shared->lock);

	values[2] = Int32GetDatum(launcher_pid);
	nulls[2] = launcher_pid == 0;
	values[3] = CStringGetTextDatum(launcher_pid == 0 ? "not running" :
									standby ? "standby: waiting for promotion" :
									retention_enabled ? "running" : "disabled");
	nulls[3] = false;
	if (launcher_pid != 0 && !standby && !retention_enabled)
	{
		values[7] = CStringGetTextDatum("retention.enabled = off");
		nulls[7] = false;
	}
	put_row(rsinfo, values, nulls);

	for (int i = 0; i < ncopy; i++)
	{
		RetentionDb *db = &copy[i];
		char	   *datname = get_database_name(db->dboid);
		const char *state = retention_db_state_name(db->state);

		if (db->paused_until > now && db->pid == 0)
			state = "paused for DDL on the database";
		memset(nulls, false, sizeof(nulls));
		values[0] = CStringGetTextDatum("worker");
		values[1] = CStringGetTextDatum(datname ? datname : "(dropped)");
		values[2] = Int32GetDatum(db->pid);
		nulls[2] = db->pid == 0;
		values[3] = CStringGetTextDatum(state);
		values[4] = TimestampTzGetDatum(db->state_since);
		nulls[4] = db->state_since == 0;
		values[5] = TimestampTzGetDatum(db->last_cycle_end);
		nulls[5] = db->last_cycle_end == 0;
		values[6] = Int64GetDatum(db->last_run_id);
		nulls[6] = db->last_run_id == 0;
		values[7] = CStringGetTextDatum(db->message);
		nulls[7] = db->message[0] == '\0';
		values[8] = TimestampTzGetDatum(db->last_completed);
		nulls[8] = db->last_completed == 0;
		if (db->last_completed != 0)
			values[9] = DirectFunctionCall2(timestamp_mi,
											TimestampTzGetDatum(now),
											TimestampTzGetDatum(db->last_completed));
		nulls[9] = db->last_completed == 0;
		values[10] = TimestampTzGetDatum(db->next_due);
		nulls[10] = db->next_due == 0 || db->launched;
		values[11] = Int32GetDatum(db->failures);
		put_row(rsinfo, values, nulls);
	}
	return (Datum) 0;
}
