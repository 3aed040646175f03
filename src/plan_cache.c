/*-------------------------------------------------------------------------
 *
 * src/plan_cache.c
 *	  Plans kept across calls for the statements the extension runs again
 *	  and again (subject requests, evidence, holds, categories).
 *
 * Their text depends only on the catalogs; the values come as parameters.
 * A plan is kept by statement text and argument types; the plan cache
 * revalidates it when its tables change.  A renamed table gives new text;
 * after PLAN_CACHE_MAX statements, further ones are planned per call.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "executor/spi.h"
#include "utils/memutils.h"

#include "pg_retention.h"

#define PLAN_BUCKETS	256
#define PLAN_CACHE_MAX	2000

typedef struct KeptPlan
{
	uint32		hash;
	char	   *sql;
	int			nargs;
	Oid		   *types;
	bool		generic;
	SPIPlanPtr	plan;
	struct KeptPlan *next;
} KeptPlan;

static KeptPlan *plan_buckets[PLAN_BUCKETS];
static int	plan_count = 0;

/*
 * retention_kept_plan
 *
 * The kept plan of a statement (prepared in the current SPI connection the
 * first time).  generic: always the generic plan (statements whose array
 * parameters a custom plan would misjudge); else the plan cache chooses.
 */
SPIPlanPtr
retention_kept_plan(const char *sql, int nargs, Oid *types, bool generic)
{
	uint32		hash = hash_bytes((const unsigned char *) sql, strlen(sql));
	KeptPlan   *q;
	SPIPlanPtr	plan;

	for (q = plan_buckets[hash % PLAN_BUCKETS]; q; q = q->next)
		if (q->hash == hash && q->nargs == nargs && q->generic == generic &&
			strcmp(q->sql, sql) == 0 &&
			(nargs == 0 || memcmp(q->types, types, sizeof(Oid) * nargs) == 0))
			return q->plan;

	plan = SPI_prepare_cursor(sql, nargs, types, generic ? CURSOR_OPT_GENERIC_PLAN : 0);
	if (plan == NULL)
		elog(ERROR, "could not prepare statement: %s", SPI_result_code_string(SPI_result));

	/*
	 * A full cache keeps nothing more: the plan lives until SPI_finish.  No
	 * kept plan is ever freed, as one may be running further up the stack (a
	 * statement whose function runs another kept statement).
	 */
	if (plan_count >= PLAN_CACHE_MAX)
		return plan;
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "could not keep a statement's plan");
	q = MemoryContextAllocZero(TopMemoryContext, sizeof(KeptPlan));
	q->hash = hash;
	q->sql = MemoryContextStrdup(TopMemoryContext, sql);
	q->nargs = nargs;
	if (nargs > 0)
	{
		q->types = MemoryContextAlloc(TopMemoryContext, sizeof(Oid) * nargs);
		memcpy(q->types, types, sizeof(Oid) * nargs);
	}
	q->generic = generic;
	q->plan = plan;
	q->next = plan_buckets[hash % PLAN_BUCKETS];
	plan_buckets[hash % PLAN_BUCKETS] = q;
	plan_count++;
	return plan;
}
