/*-------------------------------------------------------------------------
 *
 * src/guc.c
 *	  The retention.* configuration parameters.
 *
 * GUC retention.name <-> C variable retention_name.  Every parameter here
 * can be changed with a reload (SIGHUP) or per session by a superuser;
 * retention.* is reserved, so a typo in postgresql.conf is reported.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/varlena.h"

#include "pg_retention.h"

int			retention_batch_size = 1000;
int			retention_max_runtime = 60000;
int			retention_lock_timeout = 1000;
int			retention_statement_timeout = 60000;
int			retention_partition_lock_timeout = 100;
bool		retention_log_error_details = false;
int			retention_max_wal_per_run = 0;
int			retention_max_replay_lag = 0;
int			retention_batch_delay = 0;
int			retention_max_load = -1;

/* the background workers (launcher.c, worker.c) */
int			retention_naptime = 60;
bool		retention_enabled = true;
char	   *retention_databases = NULL;
int			retention_max_workers = 4;

/* retention.databases must be a list of identifiers. */
static bool
check_databases(char **newval, void **extra, GucSource source)
{
	char	   *copy = pstrdup(*newval);
	List	   *names;
	bool		ok = SplitIdentifierString(copy, ',', &names);

	list_free(names);
	pfree(copy);
	if (!ok)
	{
		GUC_check_errdetail("retention.databases must be a comma-separated list of database names.");
		return false;
	}
	return true;
}

/* retention.max_load: a percentage, or -1 for the default by origin */
static bool
check_max_load(int *newval, void **extra, GucSource source)
{
	if (*newval != 0)
		return true;
	GUC_check_errdetail("retention.max_load must be between 1 and 100 (percent), or -1.");
	GUC_check_errhint("100 means no pause; -1 means 20 for the worker and pg_cron, 100 for CALL retention.enforce().");
	return false;
}

/*
 * retention_database_wanted
 *
 * Whether the workers should serve the database named datname: it is in
 * retention.databases, or that list is empty.  Allocates in the current
 * memory context.
 */
bool
retention_database_wanted(const char *datname)
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
	list_free(names);
	pfree(copy);
	return wanted;
}

void
retention_define_gucs(void)
{
	static bool done = false;

	if (done)
		return;
	done = true;

	DefineCustomIntVariable("retention.batch_size",
							"Rows of an enforcement job's first batch, and the fewest a batch takes.",
							"Batches grow with a backlog, up to 16 times this, and shrink when one takes over 200 ms; each batch is one transaction.",
							&retention_batch_size,
							1000, 1, 1000000,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("retention.max_runtime",
							"Time budget of one enforcement run; 0 means no limit.",
							"A run stops starting new batches once the budget is spent; the next run resumes.",
							&retention_max_runtime,
							60000, 0, INT_MAX,
							PGC_SUSET, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("retention.lock_timeout",
							"lock_timeout of each enforcement batch; 0 means no limit.",
							"Row locks are never waited for (SKIP LOCKED); this bounds waits for table locks.",
							&retention_lock_timeout,
							1000, 0, INT_MAX,
							PGC_SUSET, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("retention.statement_timeout",
							"statement_timeout of each enforcement batch; 0 means no limit.",
							NULL,
							&retention_statement_timeout,
							60000, 0, INT_MAX,
							PGC_SUSET, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("retention.partition_lock_timeout",
							"lock_timeout of the step that drops or detaches a wholly due partition; 0 means no limit.",
							"The step needs ACCESS EXCLUSIVE on the partitioned table, and every later query of the table "
							"waits while it waits; a lock not granted in time postpones the step to the next run.",
							&retention_partition_lock_timeout,
							100, 0, INT_MAX,
							PGC_SUSET, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomBoolVariable("retention.log_error_details",
							 "Writes the full text of batch errors to the server log.",
							 "Off by default: error texts (from triggers, constraints) can quote row values, "
							 "and the evidence log keeps only the SQLSTATE.",
							 &retention_log_error_details,
							 false,
							 PGC_SUSET, 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("retention.max_wal_per_run",
							"WAL an enforcement run may write before it stops for this time; 0 means no limit.",
							"Paces a large backlog: the next run (the next naptime, for the worker) goes on.",
							&retention_max_wal_per_run,
							0, 0, INT_MAX,
							PGC_SUSET, GUC_UNIT_KB,
							NULL, NULL, NULL);
	DefineCustomIntVariable("retention.max_load",
							"Share of an enforcement run's time its batches may take, in percent; -1 means 20 for background runs, 100 for CALL.",
							"After each batch a run pauses in proportion to the batch's duration; 100 means no pause. "
							"Background runs are the worker's and pg_cron's.",
							&retention_max_load,
							-1, -1, 100,
							PGC_SUSET, 0,
							check_max_load, NULL, NULL);
	DefineCustomIntVariable("retention.batch_delay",
							"Shortest pause after each enforcement batch; 0 means none.",
							"Spreads a large backlog evenly over time, as vacuum_cost_delay does for VACUUM; retention.max_load may pause longer.",
							&retention_batch_delay,
							0, 0, 60000,
							PGC_SUSET, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("retention.max_replay_lag",
							"Pause enforcement while a standby's replay lag exceeds this; 0 means never.",
							"Checked before every batch, from pg_stat_replication.",
							&retention_max_replay_lag,
							0, 0, INT_MAX,
							PGC_SUSET, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("retention.naptime",
							"Time between two enforcement cycles of one database.",
							"The launcher starts a database's next cycle this long after its last one ended.",
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
	if (process_shared_preload_libraries_in_progress)
		DefineCustomIntVariable("retention.max_workers",
								"Maximum number of database workers running at once.",
								"Each running worker takes one of max_worker_processes, for one cycle; the launcher takes one more.",
								&retention_max_workers,
								4, 1, 256,
								PGC_POSTMASTER, 0,
								NULL, NULL, NULL);
}
