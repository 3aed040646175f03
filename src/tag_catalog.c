/*-------------------------------------------------------------------------
 *
 * src/tag_catalog.c
 *	  Reading every retention tag of the database from pg_seclabel, and the
 *	  SQL function behind the retention.tags view.
 *
 * Tags live only in pg_seclabel (so they follow renames, vanish with DROP
 * and are kept by pg_dump); this file is the one place that scans it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_class.h"
#include "catalog/pg_seclabel.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "pg_retention.h"

/* list_sort comparator: by table, then column (0 = the table tag first) */
static int
compare_tags(const ListCell *a, const ListCell *b)
{
	const RetentionTag *x = lfirst(a);
	const RetentionTag *y = lfirst(b);

	if (x->relid != y->relid)
		return x->relid < y->relid ? -1 : 1;
	return (int) x->attnum - (int) y->attnum;
}

/*
 * retention_read_tags
 *
 * Every retention label on a table or column of this database, parsed, as a
 * List of RetentionTag ordered by (relid, attnum).  With resolve, each tag
 * is also checked and resolved (see retention_resolve_tag); a label that
 * does not parse or resolve is returned with its problem set, never raised.
 * Full resolutions (resolve and check_references) come from the backend's
 * cache where nothing they depend on changed (see tag_cache.c).
 */
List *
retention_read_tags(bool resolve, bool check_references)
{
	Relation	seclabel;
	SysScanDesc scan;
	ScanKeyData key[1];
	HeapTuple	tuple;
	List	   *tags = NIL;
	List	   *categories = NIL;
	ListCell   *lc;
	bool		cached;
	uint64		generation = 0;

	ScanKeyInit(&key[0], Anum_pg_seclabel_provider, BTEqualStrategyNumber,
				F_TEXTEQ, CStringGetTextDatum(RETENTION_PROVIDER));
	seclabel = table_open(SecLabelRelationId, AccessShareLock);
	scan = systable_beginscan(seclabel, InvalidOid, false, NULL, 1, key);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		FormData_pg_seclabel *form = (FormData_pg_seclabel *) GETSTRUCT(tuple);
		RetentionTag *tag;
		bool		isnull;
		Datum		label;

		if (form->classoid != RelationRelationId)
			continue;
		label = heap_getattr(tuple, Anum_pg_seclabel_label,
							 RelationGetDescr(seclabel), &isnull);
		tag = palloc0(sizeof(RetentionTag));
		tag->relid = form->objoid;
		tag->attnum = (AttrNumber) form->objsubid;
		tag->label_text = isnull ? pstrdup("") : TextDatumGetCString(label);
		tags = lappend(tags, tag);
	}
	systable_endscan(scan);
	table_close(seclabel, AccessShareLock);
	list_sort(tags, compare_tags);

	cached = resolve && check_references;
	if (cached)
	{
		if (tags != NIL)
			categories = retention_load_categories();
		generation = retention_tag_cache_begin(tags);
	}
	foreach(lc, tags)
	{
		RetentionTag *tag = lfirst(lc);

		if (cached && retention_tag_cache_lookup(tag, categories))
			continue;
		if (retention_parse_label(tag->label_text, &tag->label, &tag->problem) &&
			resolve)
		{
			retention_resolve_tag(tag, categories, check_references);
			if (cached)
				retention_tag_cache_store(tag, generation);
		}
	}
	return tags;
}

/*
 * retention_name_datum
 *
 * A Datum of type name holding str (a catalog name, so shorter than
 * NAMEDATALEN).  A name is a fixed-length NAMEDATALEN-byte type: handing out
 * a shorter palloc'd cstring as one makes every copy of the tuple read past
 * the end of the string, so every name column is built here.
 */
Datum
retention_name_datum(const char *str)
{
	Name		name = (Name) palloc0(sizeof(NameData));

	namestrcpy(name, str);
	return NameGetDatum(name);
}

/*
 * retention_tag_rows
 *
 * retention._tag_rows() RETURNS SETOF record: one row per tag, resolved,
 * with the problem that makes it invalid (NULL when valid).  Backs the
 * retention.tags view.
 */
PG_FUNCTION_INFO_V1(retention_tag_rows);

Datum
retention_tag_rows(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, 0);

	foreach(lc, retention_read_tags(true, true))
	{
		RetentionTag *tag = lfirst(lc);
		RetentionLabel *l = &tag->label;
		Datum		values[15];
		bool		nulls[15];
		char	   *attname = NULL;

		memset(nulls, true, sizeof(nulls));
		/* a tag on a relation that is going away right now: skip it */
		if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(tag->relid)))
			continue;
		if (tag->attnum != 0)
			attname = retention_live_attname(tag->relid, tag->attnum);

		values[0] = ObjectIdGetDatum(tag->relid);
		nulls[0] = false;
		if (attname)
		{
			values[1] = retention_name_datum(attname);
			nulls[1] = false;
		}
		values[2] = CStringGetTextDatum(tag->label_text);
		nulls[2] = false;
		values[3] = CStringGetTextDatum(tag->attnum == 0 ? "table" :
										l->category ? "column" : "subject");
		nulls[3] = false;
		if (l->category)
		{
			values[4] = CStringGetTextDatum(l->category);
			nulls[4] = false;
		}
		if (l->anchor_items)
		{
			values[5] = CStringGetTextDatum(retention_anchor_to_text(l));
			nulls[5] = false;
		}
		if (OidIsValid(tag->parent_relid))
		{
			values[6] = ObjectIdGetDatum(tag->parent_relid);
			nulls[6] = false;
		}
		if (tag->action != RETENTION_ACTION_NONE)
		{
			values[7] = CStringGetTextDatum(retention_action_name(tag->action));
			nulls[7] = false;
			values[8] = CStringGetTextDatum(tag->action_from_category ? "category" : "tag");
			nulls[8] = false;
		}
		if (l->subject)
		{
			values[9] = CStringGetTextDatum(l->subject);
			nulls[9] = false;
		}
		if (l->keep >= 0)
		{
			values[10] = Int32GetDatum(l->keep);
			nulls[10] = false;
		}
		if (l->bucket > 0)
		{
			values[11] = Int64GetDatum(l->bucket);
			nulls[11] = false;
		}
		values[12] = BoolGetDatum(tag->problem.sqlerrcode == 0);
		nulls[12] = false;
		if (tag->problem.sqlerrcode != 0)
		{
			values[13] = CStringGetTextDatum(tag->problem.message);
			nulls[13] = false;
			values[14] = CStringGetTextDatum(unpack_sql_state(tag->problem.sqlerrcode));
			nulls[14] = false;
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * retention_check_category_tags
 *
 * retention._check_category_tags(category text, old_action text) RETURNS
 * void: after a category's default action changed from old_action, raises
 * an error naming the first tag of the category that the change broke (it
 * resolved with the old action and does not with the new one).  Tags that
 * were broken before are not the change's fault and do not block it.
 */
PG_FUNCTION_INFO_V1(retention_check_category_tags);

Datum
retention_check_category_tags(PG_FUNCTION_ARGS)
{
	char	   *category = text_to_cstring(PG_GETARG_TEXT_PP(0));
	RetentionAction old_action = retention_action_from_name(text_to_cstring(PG_GETARG_TEXT_PP(1)));
	List	   *categories = retention_load_categories();
	RetentionCategory *current = retention_find_category(categories, category);
	ListCell   *lc;

	if (current == NULL || current->action == old_action)
		PG_RETURN_VOID();
	foreach(lc, retention_read_tags(true, true))
	{
		RetentionTag *tag = lfirst(lc);
		RetentionTag before;
		RetentionAction new_action = current->action;

		if (tag->problem.sqlerrcode == 0 || tag->label.category == NULL ||
			strcmp(tag->label.category, category) != 0)
			continue;
		/* would it resolve with the old action? */
		before = *tag;
		current->action = old_action;
		retention_resolve_tag(&before, categories, true);
		current->action = new_action;
		if (before.problem.sqlerrcode != 0)
			continue;
		ereport(ERROR,
				(errcode(tag->problem.sqlerrcode),
				 errmsg("this change to category \"%s\" would break the retention tag on %s",
						category, retention_describe_tag(tag)),
				 errdetail("%c%s. Label: %s", pg_toupper((unsigned char) tag->problem.message[0]),
						   tag->problem.message + 1, tag->label_text),
				 errhint("%s", tag->problem.hint ? tag->problem.hint :
						 "Change the tag first, then the category.")));
	}
	PG_RETURN_VOID();
}
