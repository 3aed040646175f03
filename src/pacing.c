/*-------------------------------------------------------------------------
 *
 * src/pacing.c
 *	  Pacing of enforcement runs: the pause between batches and the limits
 *	  that stop a run early.
 *
 * A batch's cost is its wall-clock time, from the start of its step to its
 * commit: CPU, reads, lock waits and WAL flushes alike, and on a busy
 * machine a batch takes longer, so the pause grows with the load.  After a
 * batch that took t, a run pauses t * (100 - L) / L, so that batches take
 * at most L percent of the run's time (L = retention.max_load): a cheap
 * batch earns a short pause, an expensive one a long one, and the worker
 * never holds a CPU for long at a time.  retention.batch_delay is the
 * shortest pause after every batch (0.1.0's fixed pause).
 *
 * The pause earned by a batch is taken before the next one, so a run does
 * not pause after its last batch, and pauses of less than a millisecond add
 * up until they are worth a sleep.  Inside a transaction block a run never
 * pauses: nothing has committed, and a pause would only hold the locks of
 * its batches longer.
 *
 * retention.max_wal_per_run and retention.max_replay_lag stop a run (the
 * next run goes on).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/timestamp.h"

#include "pg_retention.h"

/* retention.max_load = -1: this for background runs, no pacing for CALL */
#define BACKGROUND_MAX_LOAD 20

/*
 * retention_pacing_start
 *
 * Starts the pacing of a run.  background: nobody waits for the run (the
 * worker, pg_cron); nonatomic: its batches commit one by one.
 */
void
retention_pacing_start(RetentionPacing *pacing, bool background, bool nonatomic)
{
	memset(pacing, 0, sizeof(*pacing));
	pacing->background = background;
	pacing->may_pause = nonatomic;
}

/*
 * retention_effective_max_load
 *
 * The share of a run's time its batches may take, in percent (100: no
 * pause): retention.max_load, or for -1 BACKGROUND_MAX_LOAD in a background
 * run and 100 in a CALL from a session.
 */
int
retention_effective_max_load(bool background)
{
	if (retention_max_load > 0)
		return retention_max_load;
	return background ? BACKGROUND_MAX_LOAD : 100;
}

/* A batch (one step of a job) starts now. */
void
retention_pacing_batch_start(RetentionPacing *pacing)
{
	pacing->batch_start = GetCurrentTimestamp();
}

/*
 * retention_pacing_batch_end
 *
 * The batch started by retention_pacing_batch_start has committed: adds the
 * pause it earns to the pause owed.
 */
void
retention_pacing_batch_end(RetentionPacing *pacing)
{
	int			load = retention_effective_max_load(pacing->background);
	int64		cost = GetCurrentTimestamp() - pacing->batch_start;
	int64		pause = 0;

	if (!pacing->may_pause || cost < 0)
		return;
	if (load < 100)
		pause = cost * (100 - load) / load;
	pause = Max(pause, (int64) retention_batch_delay * 1000);
	pacing->owed += pause;
}

/*
 * retention_pacing_pause
 *
 * Takes the pause owed (not past deadline, if not 0) before the next batch.
 * Returns the time paused, in microseconds.  An interrupt ends the pause
 * early: the next step sees it inside its guard.
 */
int64
retention_pacing_pause(RetentionPacing *pacing, TimestampTz deadline)
{
	TimestampTz start;
	TimestampTz end;
	TimestampTz now;

	if (pacing->owed < 1000)
		return 0;				/* less than a millisecond: kept for later */
	start = now = GetCurrentTimestamp();
	end = start + pacing->owed;
	if (deadline != 0 && end > deadline)
		end = deadline;
	pacing->owed = 0;
	while (now < end && !InterruptPending)
	{
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 (long) ((end - now + 999) / 1000), retention_wait_event());
		ResetLatch(MyLatch);
		now = GetCurrentTimestamp();
	}
	return now - start;
}

/*
 * retention_pacing_stop
 *
 * Whether a run should stop starting batches: it wrote wal_bytes, at least
 * retention.max_wal_per_run, or a standby replays more than
 * retention.max_replay_lag behind.  Returns the outcome to record, or NULL
 * to go on.
 */
const char *
retention_pacing_stop(int64 wal_bytes)
{
	if (retention_max_wal_per_run > 0 &&
		wal_bytes >= (int64) retention_max_wal_per_run * 1024)
		return "partial: retention.max_wal_per_run reached";
	/* a cancel waiting here is the next step's to see, inside its guard */
	if (retention_max_replay_lag > 0 && !InterruptPending)
	{
		bool		isnull;
		Datum		lag;

		/* as the extension's owner: pg_stat_replication hides lag from others */
		retention_exec_as_extension_owner("SELECT pg_catalog.max(pg_catalog.date_part('epoch', replay_lag))"
										  " OPERATOR(pg_catalog.*) 1000 FROM pg_catalog.pg_stat_replication",
										  0, NULL, NULL, NULL, SPI_OK_SELECT);
		lag = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		if (!isnull && DatumGetFloat8(lag) > retention_max_replay_lag)
			return "partial: paused while a standby lags (retention.max_replay_lag)";
	}
	return NULL;
}
