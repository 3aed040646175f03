/*-------------------------------------------------------------------------
 *
 * src/as_owner.c
 *	  Acting as somebody else: the as-owner context of a batch, the
 *	  executor's state (active flag, per-batch token, key) and the batch
 *	  statement timeout.
 *
 * Every statement of a job runs as the table's owner, in a
 * security-restricted operation, with search_path = pg_catalog, pg_temp and
 * retention.lock_timeout, as VACUUM and REFRESH MATERIALIZED VIEW do.  A
 * probe of another table (is a due row still referenced?) runs as THAT
 * table's owner with row security bypassed, as ri_triggers.c runs foreign-key
 * checks.
 *
 * The keyed functions (pseudonyms, subject holds) work only while the
 * executor is active and only with the batch's random token, which our
 * statements pass as bound parameter $1: the table owner's triggers run
 * inside the batch too and must not use them as an oracle for the key.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/htup_details.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"

#include "pg_retention.h"

static bool executor_active = false;
static int64 executor_token = 0;
static uint8 executor_key[RETENTION_KEY_BYTES];
static const RetentionHolds *executor_holds = NULL;
static int	executor_level = 0; /* transaction nest level that activated it */
static bool callbacks_registered = false;

/* Wipes the executor's state. */
static void
executor_reset(void)
{
	explicit_bzero(executor_key, sizeof(executor_key));
	retention_forget_held_answers();
	executor_token = 0;
	executor_holds = NULL;
	executor_active = false;
	executor_level = 0;
}

/*
 * The executor's state never outlives the transaction, nor the
 * subtransaction that activated it (plpgsql_xact_cb's pattern): no error
 * path has to remember to reset it.  A subtransaction nested inside the
 * batch (a trigger's exception block) that aborts leaves it alone.
 */
static void
executor_xact_cb(XactEvent event, void *arg)
{
	if (executor_active || executor_token != 0)
		executor_reset();
}

static void
executor_subxact_cb(SubXactEvent event, SubTransactionId mySubid,
					SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB && executor_active &&
		GetCurrentTransactionNestLevel() <= executor_level)
		executor_reset();
}

/*
 * retention_executor_key
 *
 * The key, for the keyed functions; only inside a batch and only with the
 * batch's token (they would otherwise be an oracle for the key).
 */
const uint8 *
retention_executor_key(int64 token)
{
	if (!executor_active || token != executor_token)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("this function can only run inside pg_retention enforcement"),
				 errhint("Use CALL retention.enforce() or retention.preview().")));
	return executor_key;
}

/*
 * retention_executor_holds
 *
 * The holds of the active executor, or NULL.
 */
const RetentionHolds *
retention_executor_holds(void)
{
	return executor_active ? executor_holds : NULL;
}

/*
 * retention_set_executor_active
 *
 * Activates the executor (loads the key, draws a new token) or deactivates
 * it (wipes both).  Transaction and subtransaction abort deactivate it too.
 */
void
retention_set_executor_active(bool active, const RetentionHolds *holds)
{
	if (!callbacks_registered)
	{
		RegisterXactCallback(executor_xact_cb, NULL);
		RegisterSubXactCallback(executor_subxact_cb, NULL);
		callbacks_registered = true;
	}
	if (!active)
	{
		executor_reset();
		return;
	}
	retention_forget_held_answers();	/* answers were for other holds */
	retention_load_key(executor_key);
	if (!pg_strong_random(&executor_token, sizeof(executor_token)))
		elog(ERROR, "could not generate a random token");
	executor_holds = holds;
	executor_active = true;
	executor_level = GetCurrentTransactionNestLevel();
}

/*
 * retention_execute_job_sql
 *
 * Runs a statement built by deparse.c: $1 is the executor's token, the
 * caller's own arguments follow as $2...
 */
int
retention_execute_job_sql(const char *sql, int nargs, Oid *types, Datum *values,
						  bool read_only, long tcount)
{
	Oid		   *alltypes = palloc(sizeof(Oid) * (nargs + 1));
	Datum	   *allvalues = palloc(sizeof(Datum) * (nargs + 1));

	alltypes[0] = INT8OID;
	allvalues[0] = Int64GetDatum(executor_token);
	for (int i = 0; i < nargs; i++)
	{
		alltypes[i + 1] = types[i];
		allvalues[i + 1] = values[i];
	}
	return SPI_execute_with_args(sql, nargs + 1, alltypes, allvalues, NULL, read_only, tcount);
}

/*
 * retention_execute_job_plan
 *
 * Runs a kept plan of a statement built like those of
 * retention_execute_job_sql (prepared with $1 an int8, the token): values
 * are the caller's own arguments, $2...
 */
int
retention_execute_job_plan(SPIPlanPtr plan, int nargs, Datum *values,
						   bool read_only, long tcount)
{
	Datum	   *allvalues = palloc(sizeof(Datum) * (nargs + 1));

	allvalues[0] = Int64GetDatum(executor_token);
	for (int i = 0; i < nargs; i++)
		allvalues[i + 1] = values[i];
	return SPI_execute_plan(plan, allvalues, NULL, read_only, tcount);
}

/*
 * retention_relation_owner
 *
 * The owner of a relation, or InvalidOid if it no longer exists.
 */
Oid
retention_relation_owner(Oid relid)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tuple))
		return InvalidOid;
	owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);
	return owner;
}

/*
 * retention_foreign_rls_read
 *
 * The first relation of reads (OIDs) whose row-security policies would run
 * if role reader read it: row security enabled and another owner (a
 * superuser or a BYPASSRLS role never runs policies).  Such a read would
 * run the other owner's code with the reader's privileges.  InvalidOid when
 * there is none; a relation that no longer exists is skipped (the
 * statement then fails as "changed").  Never raises.
 */
Oid
retention_foreign_rls_read(List *reads, Oid reader)
{
	ListCell   *lc;

	if (superuser_arg(reader) || has_bypassrls_privilege(reader))
		return InvalidOid;
	foreach(lc, reads)
	{
		Oid			relid = lfirst_oid(lc);
		HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
		bool		foreign;

		if (!HeapTupleIsValid(tuple))
			continue;
		foreign = ((Form_pg_class) GETSTRUCT(tuple))->relrowsecurity &&
			((Form_pg_class) GETSTRUCT(tuple))->relowner != reader;
		ReleaseSysCache(tuple);
		if (foreign)
			return relid;
	}
	return InvalidOid;
}

/*
 * retention_check_reads_as
 *
 * Raises 42501 if a statement that runs as role reader and reads the
 * relations reads (see retention_collect_reads) would run another owner's
 * row-security policy with reader's privileges (see
 * retention_foreign_rls_read).  Call right before the statement runs, in
 * the job's guard or the request's transaction: nothing has been done yet.
 */
void
retention_check_reads_as(List *reads, Oid reader)
{
	Oid			relid = retention_foreign_rls_read(reads, reader);
	char	   *relname;

	if (!OidIsValid(relid))
		return;
	relname = retention_deparse_relation_or_oid(relid);
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg(RETENTION_FOREIGN_RLS_MESSAGE),
			 errdetail("Table %s has row level security enabled and is not owned by role %s, which the statement would run as; its policies would run with that role's privileges.",
					   relname, GetUserNameFromId(reader, true) ? GetUserNameFromId(reader, true) : "(dropped)"),
			 errhint("Give the tables the same owner, or disable row level security on %s.", relname)));
}

/* Common part: become role with these flags, restricted GUCs. */
static void
begin_as(Oid role, int flags, int *nestlevel, Oid *save_userid,
		 int *save_sec_context)
{
	char		buf[32];

	GetUserIdAndSecContext(save_userid, save_sec_context);
	if (OidIsValid(role))
		SetUserIdAndSecContext(role, *save_sec_context | flags);
	*nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	snprintf(buf, sizeof(buf), "%d", retention_lock_timeout);
	(void) set_config_option("lock_timeout", buf,
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	/* batches run each plan once: compiling it would cost more than it saves */
	(void) set_config_option("jit", "off",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
}

/*
 * retention_begin_as_owner / retention_end_as_owner
 *
 * Become owner (InvalidOid: stay who we are) in a security-restricted
 * operation with search_path = pg_catalog, pg_temp and the batch timeouts,
 * as VACUUM and REFRESH MATERIALIZED VIEW do.  An error in between is
 * undone by (sub)transaction abort.
 */
void
retention_begin_as_owner(Oid owner, int *nestlevel, Oid *save_userid,
						 int *save_sec_context)
{
	begin_as(owner, SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION,
			 nestlevel, save_userid, save_sec_context);
}

void
retention_end_as_owner(int nestlevel, Oid save_userid, int save_sec_context)
{
	/* false: settings the owner's code made in between are discarded too */
	AtEOXact_GUC(false, nestlevel);
	SetUserIdAndSecContext(save_userid, save_sec_context);
}

/*
 * retention_begin_as_probe_owner
 *
 * For a probe of relation relid (is a row of another table still
 * referenced from it?): become relid's owner with row security bypassed
 * (SECURITY_NOFORCE_RLS) in a security-restricted operation, the way
 * ri_triggers.c runs foreign-key checks.  Returns false, changing nothing,
 * if the relation no longer exists.  End with retention_end_as_owner().
 */
bool
retention_begin_as_probe_owner(Oid relid, int *nestlevel, Oid *save_userid,
							   int *save_sec_context)
{
	Oid			owner = retention_relation_owner(relid);

	if (!OidIsValid(owner))
		return false;
	begin_as(owner, SECURITY_LOCAL_USERID_CHANGE | SECURITY_NOFORCE_RLS |
			 SECURITY_RESTRICTED_OPERATION,
			 nestlevel, save_userid, save_sec_context);
	return true;
}

/*
 * retention_arm_statement_timeout / retention_disarm_statement_timeout
 *
 * Arm retention.statement_timeout for what follows (the earlier of it and
 * the caller's own); returns the caller's own deadline (0: none) for the
 * disarm.  *fin is set to the instant ours fires (0: not armed), so that a
 * cancel can be told from our timeout.
 */
TimestampTz
retention_arm_statement_timeout(TimestampTz *fin)
{
	TimestampTz outer = get_timeout_active(STATEMENT_TIMEOUT)
	? get_timeout_finish_time(STATEMENT_TIMEOUT) : 0;

	*fin = 0;
	if (retention_statement_timeout > 0)
	{
		*fin = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
										   retention_statement_timeout);
		enable_timeout_at(STATEMENT_TIMEOUT, (outer && outer < *fin) ? outer : *fin);
	}
	return outer;
}

void
retention_disarm_statement_timeout(TimestampTz outer)
{
	if (retention_statement_timeout <= 0)
		return;
	disable_timeout(STATEMENT_TIMEOUT, false);
	if (outer)
		enable_timeout_at(STATEMENT_TIMEOUT, outer);
}
