/*-------------------------------------------------------------------------
 *
 * src/problem.c
 *	  RetentionProblem: a user-caused problem kept as data, so that one
 *	  validator can serve the label hook (raise it), the tags view (show it)
 *	  and the DDL guard (raise it naming the tag).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pg_retention.h"

/*
 * retention_set_problem
 *
 * Records a problem unless one is recorded already (the first one wins).
 */
void
retention_set_problem(RetentionProblem *problem, int sqlerrcode,
					  const char *message, const char *detail,
					  const char *hint)
{
	if (problem->sqlerrcode != 0)
		return;
	problem->sqlerrcode = sqlerrcode;
	problem->message = pstrdup(message);
	problem->detail = detail ? pstrdup(detail) : NULL;
	problem->hint = hint ? pstrdup(hint) : NULL;
}

/*
 * retention_raise_problem
 *
 * Raises a recorded problem as an ERROR.
 */
void
retention_raise_problem(const RetentionProblem *problem)
{
	Assert(problem->sqlerrcode != 0);
	ereport(ERROR,
			(errcode(problem->sqlerrcode),
			 errmsg_internal("%s", problem->message),
			 problem->detail ? errdetail_internal("%s", problem->detail) : 0,
			 problem->hint ? errhint("%s", problem->hint) : 0));
}
