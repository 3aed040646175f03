/*-------------------------------------------------------------------------
 *
 * src/category.c
 *	  Reading retention categories from retention.category for the C code.
 *
 * Categories are few; callers load them once per operation and look them up
 * in the list, so validating many tags costs one query.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "pg_retention.h"

/* True if CREATE EXTENSION pg_retention has been run in this database. */
bool
retention_extension_exists(void)
{
	return OidIsValid(get_extension_oid("pg_retention", true));
}

/*
 * retention_load_categories
 *
 * Every category, allocated in the caller's memory context.  The caller
 * must have checked retention_extension_exists().
 */
List *
retention_load_categories(void)
{
	MemoryContext caller = CurrentMemoryContext;
	List	   *result = NIL;
	uint64		i;
	int			rc;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* on_erasure read through to_jsonb: absent before the 0.2.0 update */
	rc = SPI_execute_plan(retention_kept_plan("SELECT name, period, starts, action, time_zone, legal_basis,"
											  " pg_catalog.to_jsonb(c) OPERATOR(pg_catalog.->>) 'on_erasure'"
											  "  FROM retention.category c", 0, NULL, false),
						  NULL, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading retention.category failed: %s",
			 SPI_result_code_string(rc));

	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		MemoryContext spi = MemoryContextSwitchTo(caller);
		RetentionCategory *category = palloc0(sizeof(RetentionCategory));
		bool		isnull;
		Datum		period;
		char	   *action;

		category->name = SPI_getvalue(tuple, desc, 1);
		period = SPI_getbinval(tuple, desc, 2, &isnull);
		if (!isnull)
			category->rule.period = *DatumGetIntervalP(period);
		category->starts = SPI_getvalue(tuple, desc, 3);
		category->rule.starts = retention_starts_from_name(category->starts);
		action = SPI_getvalue(tuple, desc, 4);
		category->action = retention_action_from_name(action);
		category->rule.time_zone = SPI_getvalue(tuple, desc, 5);
		category->legal_basis = SPI_getvalue(tuple, desc, 6);
		category->on_erasure = retention_on_erasure_from_name(SPI_getvalue(tuple, desc, 7));
		result = lappend(result, category);
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();
	return result;
}

/*
 * retention_on_erasure_from_name
 *
 * A category's on_erasure as stored (NULL before the 0.2.0 update: what
 * 0.1.0 did, delete).
 */
RetentionOnErasure
retention_on_erasure_from_name(const char *name)
{
	if (name != NULL && strcmp(name, "keep") == 0)
		return RETENTION_ON_ERASURE_KEEP;
	if (name != NULL && strcmp(name, "anonymize") == 0)
		return RETENTION_ON_ERASURE_ANONYMIZE;
	return RETENTION_ON_ERASURE_DELETE;
}

/* The category of that name in the list, or NULL. */
RetentionCategory *
retention_find_category(List *categories, const char *name)
{
	ListCell   *lc;

	foreach(lc, categories)
	{
		RetentionCategory *category = lfirst(lc);

		if (strcmp(category->name, name) == 0)
			return category;
	}
	return NULL;
}

/* True if a category of that name exists. */
bool
retention_category_exists(const char *name)
{
	Oid			type = TEXTOID;
	Datum		arg = CStringGetTextDatum(name);
	bool		found;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT 1 FROM retention.category WHERE name OPERATOR(pg_catalog.=) $1",
							  1, &type, &arg, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "reading retention.category failed");
	found = SPI_processed > 0;
	SPI_finish();
	return found;
}
