/*-------------------------------------------------------------------------
 *
 * src/utility_hook.c
 *	  Keeps the database workers out of the way of commands that need a
 *	  database to themselves.
 *
 * DROP DATABASE, ALTER DATABASE ... RENAME / SET TABLESPACE, CREATE
 * DATABASE ... TEMPLATE and DROP EXTENSION pg_retention fail or wait while
 * another session is connected to the database, and a worker is one.  For
 * these commands the hook terminates the database's worker, waits (on a
 * condition variable, at most PAUSE_SECONDS) until it has left, and keeps
 * the launcher away from the database for PAUSE_SECONDS.
 *
 * After CREATE DATABASE the launcher is woken at commit: the new database
 * may have the extension from its template.
 *
 * Only a role that may run the command is given that: the hook checks the
 * same privileges PostgreSQL checks afterwards (owner of the database or
 * superuser; CREATEDB where PostgreSQL demands it; owner of the
 * extension).  Anyone else's command goes on unchanged, to fail in
 * PostgreSQL's own checks, and the worker is not disturbed.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>

#include "catalog/pg_database.h"
#include "catalog/pg_extension.h"
#include "commands/dbcommands.h"
#include "commands/defrem.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "storage/condition_variable.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/timestamp.h"

#include "pg_retention.h"

#define PAUSE_SECONDS		10

static ProcessUtility_hook_type prev_process_utility_hook = NULL;

/* Is the current user the owner of database dboid, or a superuser? */
static bool
owns_database(Oid dboid)
{
#if PG_VERSION_NUM >= 160000
	return object_ownercheck(DatabaseRelationId, dboid, GetUserId());
#else
	return pg_database_ownercheck(dboid, GetUserId());
#endif
}

/* Is the current user the owner of extension extoid, or a superuser? */
static bool
owns_extension(Oid extoid)
{
#if PG_VERSION_NUM >= 160000
	return object_ownercheck(ExtensionRelationId, extoid, GetUserId());
#else
	return pg_extension_ownercheck(extoid, GetUserId());
#endif
}

/* Does ALTER DATABASE change the tablespace (the one form needing it alone)? */
static bool
sets_tablespace(AlterDatabaseStmt *stmt)
{
	ListCell   *lc;

	foreach(lc, stmt->options)
		if (strcmp(((DefElem *) lfirst(lc))->defname, "tablespace") == 0)
		return true;
	return false;
}

/*
 * database_to_pause
 *
 * The database a utility statement needs to itself, if the current user
 * passes the privilege checks PostgreSQL will make for it; InvalidOid
 * otherwise.
 */
static Oid
database_to_pause(Node *stmt)
{
	Oid			dboid = InvalidOid;

	switch (nodeTag(stmt))
	{
		case T_DropdbStmt:
			dboid = get_database_oid(((DropdbStmt *) stmt)->dbname, true);
			break;
		case T_RenameStmt:
			if (((RenameStmt *) stmt)->renameType == OBJECT_DATABASE &&
				have_createdb_privilege())
				dboid = get_database_oid(((RenameStmt *) stmt)->subname, true);
			break;
		case T_AlterDatabaseStmt:
			if (sets_tablespace((AlterDatabaseStmt *) stmt))
				dboid = get_database_oid(((AlterDatabaseStmt *) stmt)->dbname, true);
			break;
		case T_CreatedbStmt:
			{
				ListCell   *lc;

				if (!have_createdb_privilege())
					break;
				foreach(lc, ((CreatedbStmt *) stmt)->options)
				{
					DefElem    *def = lfirst(lc);

					if (strcmp(def->defname, "template") == 0 && def->arg)
						dboid = get_database_oid(defGetString(def), true);
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
				{
					Oid			extoid = get_extension_oid("pg_retention", true);

					if (OidIsValid(extoid) && owns_extension(extoid))
						return MyDatabaseId;
				}
				return InvalidOid;
			}
		default:
			return InvalidOid;
	}
	if (!OidIsValid(dboid) || !owns_database(dboid))
		return InvalidOid;
	return dboid;
}

/*
 * pause_database
 *
 * Terminates the worker of database dboid, if it has one, and waits until
 * it has left (at most PAUSE_SECONDS); keeps the launcher away from the
 * database for PAUSE_SECONDS.
 */
static void
pause_database(Oid dboid)
{
	RetentionDb *db;
	pid_t		pid = 0;
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													   PAUSE_SECONDS * 1000L);

	LWLockAcquire(retention_shared->lock, LW_EXCLUSIVE);
	db = retention_add_db(dboid);
	if (db)
	{
		db->paused_until = deadline;
		pid = db->pid;
	}
	LWLockRelease(retention_shared->lock);
	if (pid == 0 || pid == MyProcPid)
		return;

	kill(pid, SIGTERM);
	ConditionVariablePrepareToSleep(&retention_shared->worker_exited);
	for (;;)
	{
		bool		gone;
		long		secs;
		int			usecs;
		TimestampTz now;

		LWLockAcquire(retention_shared->lock, LW_SHARED);
		gone = (db->dboid != dboid || db->pid != pid);
		LWLockRelease(retention_shared->lock);
		now = GetCurrentTimestamp();
		if (gone || now >= deadline)
			break;
		TimestampDifference(now, deadline, &secs, &usecs);
		(void) ConditionVariableTimedSleep(&retention_shared->worker_exited,
										   secs * 1000L + usecs / 1000 + 1,
										   retention_wait_event());
	}
	ConditionVariableCancelSleep();
}

static void
retention_process_utility(PlannedStmt *pstmt, const char *queryString,
						  bool readOnlyTree, ProcessUtilityContext context,
						  ParamListInfo params, QueryEnvironment *queryEnv,
						  DestReceiver *dest, QueryCompletion *qc)
{
	if (retention_shared != NULL)
	{
		Oid			dboid = database_to_pause(pstmt->utilityStmt);

		if (OidIsValid(dboid))
			pause_database(dboid);
	}
	if (prev_process_utility_hook)
		prev_process_utility_hook(pstmt, queryString, readOnlyTree, context,
								  params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);

	/* a new database may have the extension (from its template): look now */
	if (IsA(pstmt->utilityStmt, CreatedbStmt))
		retention_wake_launcher_at_commit(false);
}

/*
 * retention_utility_hook_init
 *
 * From _PG_init while preloading: installs the hook.
 */
void
retention_utility_hook_init(void)
{
	prev_process_utility_hook = ProcessUtility_hook;
	ProcessUtility_hook = retention_process_utility;
}
