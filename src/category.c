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

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "pg_retention.h"

/* True if CREATE EXTENSION pg_retention has been run in this database. */
bool
retention_extension_exists(void)
{
	return OidIsValid(get_extension_oid("pg_retention", true));
}

/* Has retention.category the column on_erasure (0.2.0)? */
static bool
has_on_erasure(void)
{
	Oid			nsp = get_namespace_oid(RETENTION_SCHEMA, true);
	Oid			relid = OidIsValid(nsp) ? get_relname_relid("category", nsp) : InvalidOid;

	return OidIsValid(relid) && get_attnum(relid, "on_erasure") != InvalidAttrNumber;
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
	/* on_erasure is absent before the 0.2.0 update */
	rc = SPI_execute_plan(retention_kept_plan(has_on_erasure() ?
											  "SELECT name, period, starts, action, time_zone, legal_basis,"
											  " on_erasure FROM retention.category" :
											  "SELECT name, period, starts, action, time_zone, legal_basis,"
											  " NULL::pg_catalog.text FROM retention.category",
											  0, NULL, false),
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
 * retention_load_variants
 *
 * The variants of a category (RetentionVariant *, ordered by name), each
 * with its rule complete: a boundary or zone the variant leaves out is the
 * category's.  NIL before the 0.2.0 update.
 */
List *
retention_load_variants(const RetentionCategory *category)
{
	MemoryContext caller = CurrentMemoryContext;
	Oid			nsp = get_namespace_oid(RETENTION_SCHEMA, true);
	Oid			types[1] = {TEXTOID};
	Datum		args[1];
	List	   *result = NIL;
	int			rc;

	if (!OidIsValid(nsp) || !OidIsValid(get_relname_relid("category_variant", nsp)))
		return NIL;
	args[0] = CStringGetTextDatum(category->name);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rc = SPI_execute_plan(retention_kept_plan("SELECT variant, period, starts, time_zone"
											  "  FROM retention.category_variant"
											  " WHERE category OPERATOR(pg_catalog.=) $1 ORDER BY variant",
											  1, types, false),
						  args, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading retention.category_variant failed: %s",
			 SPI_result_code_string(rc));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		MemoryContext spi = MemoryContextSwitchTo(caller);
		RetentionVariant *variant = palloc0(sizeof(RetentionVariant));
		bool		isnull;
		Datum		period = SPI_getbinval(tuple, desc, 2, &isnull);

		variant->name = SPI_getvalue(tuple, desc, 1);
		variant->rule = category->rule;
		if (!isnull)
			variant->rule.period = *DatumGetIntervalP(period);
		variant->starts = SPI_getvalue(tuple, desc, 3);
		if (variant->starts == NULL)
			variant->starts = pstrdup(category->starts);
		variant->rule.starts = retention_starts_from_name(variant->starts);
		variant->rule.time_zone = SPI_getvalue(tuple, desc, 4);
		if (variant->rule.time_zone == NULL)
			variant->rule.time_zone = pstrdup(category->rule.time_zone);
		result = lappend(result, variant);
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
