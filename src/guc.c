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

#include "utils/guc.h"

#include "pg_retention.h"

int			retention_batch_size = 1000;
int			retention_max_runtime = 60000;
int			retention_lock_timeout = 1000;
int			retention_statement_timeout = 60000;
bool		retention_log_error_details = false;
int			retention_max_wal_per_run = 0;
int			retention_max_replay_lag = 0;
int			retention_batch_delay = 0;

void
retention_define_gucs(void)
{
	static bool done = false;

	if (done)
		return;
	done = true;

	DefineCustomIntVariable("retention.batch_size",
							"Rows deleted or updated per batch (one transaction each).",
							"Smaller batches hold row locks for less time; larger ones cost less per row.",
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
	DefineCustomIntVariable("retention.batch_delay",
							"Pause after each enforcement batch; 0 means none.",
							"Spreads a large backlog evenly over time, as vacuum_cost_delay does for VACUUM.",
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
}
