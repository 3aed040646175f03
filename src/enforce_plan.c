/*-------------------------------------------------------------------------
 *
 * src/enforce_plan.c
 *	  Turning tags into enforcement jobs and the SQL they run.
 *
 * A job is one relation that rows live in (a table, or a leaf partition of
 * a tagged partitioned table) and what to do there: delete due rows (table
 * tag) or anonymize due values (all column tags of the table, applied in one
 * UPDATE).  Each job carries its statements, built once per run by
 * deparse.c, and the names they were built with.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/objectaddress.h"
#include "catalog/partition.h"
#include "catalog/pg_inherits.h"
#include "commands/seclabel.h"
#include "executor/spi.h"
#include "storage/lmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "nodes/makefuncs.h"
#include "nodes/value.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "pg_retention.h"

/*
 * A job for one relation, with its statements.  The names the statements
 * use are recorded with the job, so that each batch can check that they
 * still mean the same objects; a name that no longer resolves makes the job
 * "changed" (recorded and skipped), never a NULL dereference.
 */
static EnforceJob *
make_job(Oid tagged_relid, Oid relid, List *tags, bool is_delete,
		 List *subject_columns, const RetentionHolds *holds, TimestampTz now,
		 List *all_tags)
{
	EnforceJob *job = palloc0(sizeof(EnforceJob));
	int			ntags = list_length(tags);
	ListCell   *lc;
	int			i = 0;

	job->tagged_relid = tagged_relid;
	job->relid = relid;
	/* no lock: planning never waits; each batch takes its own locks */
	job->owner = retention_relation_owner(relid);
	job->is_delete = is_delete;
	job->tags = tags;
	job->cutoffs = palloc0(sizeof(Datum) * ntags);
	job->exact_cutoffs = palloc0(sizeof(Datum) * ntags);
	job->column_names = palloc0(sizeof(char *) * ntags);
	job->anchor_names = palloc0(sizeof(char *) * ntags);
	job->parent_names = palloc0(sizeof(char *) * ntags);
	job->all_tags = all_tags;
	job->relation_name = retention_deparse_relation_or_null(relid);
	job->table_name = retention_deparse_relation_or_null(tagged_relid);
	job->changed = !OidIsValid(job->owner) || job->relation_name == NULL ||
		job->table_name == NULL;
	foreach(lc, tags)
	{
		RetentionTag *tag = lfirst(lc);

		/* several anchors or latest(): no single anchor column */
		if (tag->anchor_attnum != InvalidAttrNumber)
		{
			job->anchor_names[i] = retention_live_attname(tag->relid, tag->anchor_attnum);
			if (job->anchor_names[i] == NULL)
				job->changed = true;
		}
		if (tag->attnum != 0)
		{
			job->column_names[i] = retention_live_attname(tag->relid, tag->attnum);
			if (job->column_names[i] == NULL)
				job->changed = true;
		}
		if (OidIsValid(tag->fk_conoid))
		{
			job->parent_names[i] = retention_deparse_relation_or_null(tag->parent_relid);
			if (job->parent_names[i] == NULL ||
				retention_live_attname(tag->parent_relid, tag->parent_attnum) == NULL ||
				retention_live_attname(tag->parent_relid, tag->parent_key_attnum) == NULL)
				job->changed = true;
		}
		i++;
	}

	/*
	 * the subject columns its statements name (hold tests, blocked=,
	 * suppress=)
	 */
	job->subject_tags = subject_columns;
	job->subject_names = palloc0(sizeof(char *) * Max(list_length(subject_columns), 1));
	foreach(lc, subject_columns)
	{
		RetentionTag *tag = lfirst(lc);

		job->subject_names[foreach_current_index(lc)] = retention_live_attname(tag->relid, tag->attnum);
		if (job->subject_names[foreach_current_index(lc)] == NULL)
			job->changed = true;
	}
	if (job->table_name == NULL)
		job->table_name = retention_deparse_relation_or_oid(tagged_relid);
	if (job->relation_name == NULL)
		job->relation_name = retention_deparse_relation_or_oid(relid);
	/* before the statements read them: a change in between is seen */
	foreach(lc, tags)
	{
		RetentionTag *tag = lfirst(lc);

		job->variant_rules = lappend(job->variant_rules,
									 tag->label.variant ? retention_load_variants(tag->category) : NIL);
	}
	if (!job->changed)
	{
		List	  **save = retention_collect_reads(&job->reads);

		PG_TRY();
		{
			retention_deparse_job(job, subject_columns, holds, now, all_tags);
		}
		PG_FINALLY();
		{
			retention_collect_reads(save);
		}
		PG_END_TRY();
	}
	return job;
}

/*
 * retention_blocked_anonymize_tags
 *
 * blocked=anonymize: the personal columns a delete job anonymizes in the
 * due rows that other rows still reference.  Each is a copy of a column tag of the
 * table (its method), or of a subject-only column (nullified, or a keyed
 * pseudonym where NOT NULL: see retention_identifier_removable), with the
 * table tag's category and anchor, so that its due predicate is the table
 * tag's.  Columns whose category is under a hold are left out by the
 * caller (deparse.c).
 */
List *
retention_blocked_anonymize_tags(RetentionTag *table_tag, List *column_tags, List *subject_columns)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, list_concat_copy(column_tags, subject_columns))
	{
		RetentionTag *column = lfirst(lc);
		RetentionTag *tag;

		/* a subject column with a category goes by its column tag, if any */
		if (foreach_current_index(lc) >= list_length(column_tags) && column->category)
			continue;
		if (column->category == NULL)
		{
			HeapTuple	tuple = SearchSysCache2(ATTNUM, ObjectIdGetDatum(column->relid),
												Int16GetDatum(column->attnum));
			bool		removable;
			bool		notnull;

			if (!HeapTupleIsValid(tuple))
				continue;
			removable = retention_identifier_removable((Form_pg_attribute) GETSTRUCT(tuple));
			notnull = ((Form_pg_attribute) GETSTRUCT(tuple))->attnotnull;
			ReleaseSysCache(tuple);
			if (!removable)
				continue;
			tag = palloc(sizeof(RetentionTag));
			*tag = *column;
			tag->action = notnull ? RETENTION_ACTION_HASH : RETENTION_ACTION_NULLIFY;
		}
		else
		{
			tag = palloc(sizeof(RetentionTag));
			*tag = *column;
		}
		tag->category = table_tag->category;
		tag->anchor_attnum = table_tag->anchor_attnum;
		tag->fk_conoid = table_tag->fk_conoid;
		tag->parent_relid = table_tag->parent_relid;
		tag->parent_attnum = table_tag->parent_attnum;
		tag->parent_key_attnum = table_tag->parent_key_attnum;
		tag->anchor_type = table_tag->anchor_type;
		result = lappend(result, tag);
	}
	return result;
}

/* Both present and equal. */
static bool
name_is(const char *now, const char *planned)
{
	return now != NULL && planned != NULL && strcmp(now, planned) == 0;
}

/* The same variants (RetentionVariant *, by name) with the same rules? */
static bool
variants_equal(List *now, List *planned)
{
	ListCell   *a,
			   *b;

	if (list_length(now) != list_length(planned))
		return false;
	forboth(a, now, b, planned)
	{
		RetentionVariant *x = lfirst(a);
		RetentionVariant *y = lfirst(b);

		if (!name_is(x->name, y->name) || !name_is(x->starts, y->starts) ||
			!name_is(x->rule.time_zone, y->rule.time_zone) ||
			x->rule.period.month != y->rule.period.month ||
			x->rule.period.day != y->rule.period.day ||
			x->rule.period.time != y->rule.period.time)
			return false;
	}
	return true;
}

/*
 * Is the category's rule still the one the job's statements were built
 * with (period field by field, boundary, zone, action)?  Read by each
 * batch in its own snapshot: an administrator's change during a run (a
 * longer period) must not leave later batches deleting by the old rule.
 */
static bool
category_unchanged(const RetentionCategory *planned)
{
	Oid			argtype = TEXTOID;
	Datum		arg = CStringGetTextDatum(planned->name);
	bool		same = false;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_plan(retention_kept_plan("SELECT period, starts, time_zone, action FROM retention.category"
											 " WHERE name OPERATOR(pg_catalog.=) $1", 1, &argtype, false),
						 &arg, NULL, true, 1) == SPI_OK_SELECT && SPI_processed == 1)
	{
		HeapTuple	tuple = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		period = SPI_getbinval(tuple, desc, 1, &isnull);
		char	   *starts = SPI_getvalue(tuple, desc, 2);
		char	   *zone = SPI_getvalue(tuple, desc, 3);
		char	   *action = SPI_getvalue(tuple, desc, 4);

		same = !isnull &&
			DatumGetIntervalP(period)->month == planned->rule.period.month &&
			DatumGetIntervalP(period)->day == planned->rule.period.day &&
			DatumGetIntervalP(period)->time == planned->rule.period.time &&
			name_is(starts, planned->starts) && name_is(zone, planned->rule.time_zone) &&
			action != NULL && retention_action_from_name(action) == planned->action;
	}
	SPI_finish();
	return same;
}


/* The topmost partitioned table of a partition, else the relation itself. */
static Oid
partition_root(Oid relid)
{
	List	   *ancestors;

	if (!get_rel_relispartition(relid))
		return relid;
	ancestors = get_partition_ancestors(relid);
	return ancestors ? llast_oid(ancestors) : relid;
}

/*
 * retention_job_still_valid
 *
 * Before each batch, under the lock the batch will hold (RowExclusiveLock on
 * the relation, AccessShareLock on the tagged table and on an anchor's
 * parent): is the job's relation still the one it was planned for?  It must
 * exist by OID under the same name and owner, still carry the same tag text
 * (a partition: still be a partition of the tagged table), and the columns
 * its statements name must still be the same live columns.  False: the job
 * stops, "relation changed since planning" (*dropped: "relation dropped").
 * The locks wait at most retention.lock_timeout (the caller is in the
 * as-owner context).  Raises 42501 if a statement of the job would read a
 * table with row security and another owner (retention_check_reads_as),
 * which also re-checks what tagging checked for latest() anchors.
 */
bool
retention_job_still_valid(EnforceJob *job, bool *dropped)
{
	ListCell   *lc;
	int			i = 0;

	*dropped = false;
	if (job->changed)
		return false;
	LockRelationOid(job->relid, RowExclusiveLock);
	if (job->relid != job->tagged_relid)
		LockRelationOid(job->tagged_relid, AccessShareLock);
	foreach(lc, job->tags)
	{
		RetentionTag *tag = lfirst(lc);

		if (OidIsValid(tag->fk_conoid))
			LockRelationOid(tag->parent_relid, AccessShareLock);
	}

	/* same relation: by OID, under the planned name, same owner */
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(job->relid)))
	{
		*dropped = true;
		return false;
	}
	if (retention_relation_owner(job->relid) != job->owner)
		return false;
	if (!name_is(retention_deparse_relation_or_null(job->relid), job->relation_name) ||
		!name_is(retention_deparse_relation_or_null(job->tagged_relid), job->table_name))
		return false;
	/* a partition still under the tagged table */
	if (job->relid != job->tagged_relid &&
		!list_member_oid(get_partition_ancestors(job->relid), job->tagged_relid))
		return false;

	foreach(lc, job->tags)
	{
		RetentionTag *tag = lfirst(lc);
		ObjectAddress object;

		/* the same tag text on the same object */
		ObjectAddressSubSet(object, RelationRelationId, tag->relid, tag->attnum);
		if (!name_is(GetSecurityLabel(&object, RETENTION_PROVIDER), tag->label_text))
			return false;
		/* the same rule: the statements carry the category's period */
		if (!category_unchanged(tag->category))
			return false;
		/* and variants: the statements carry their rules too */
		if (tag->label.variant &&
			!variants_equal(retention_load_variants(tag->category), list_nth(job->variant_rules, i)))
			return false;

		/*
		 * the same live columns, present on the relation acted on (a tag with
		 * several anchors or latest() has no single anchor column: its names
		 * are in the label text, which a rename rewrites)
		 */
		if (tag->anchor_attnum != InvalidAttrNumber &&
			(!name_is(retention_live_attname(tag->relid, tag->anchor_attnum), job->anchor_names[i]) ||
			 get_attnum(job->relid, job->anchor_names[i]) == InvalidAttrNumber))
			return false;
		if (tag->attnum != 0 &&
			(!name_is(retention_live_attname(tag->relid, tag->attnum), job->column_names[i]) ||
			 get_attnum(job->relid, job->column_names[i]) == InvalidAttrNumber))
			return false;
		if (OidIsValid(tag->fk_conoid) &&
			(!SearchSysCacheExists1(CONSTROID, ObjectIdGetDatum(tag->fk_conoid)) ||
			 !name_is(retention_deparse_relation_or_null(tag->parent_relid), job->parent_names[i]) ||
			 retention_live_attname(tag->parent_relid, tag->parent_attnum) == NULL ||
			 retention_live_attname(tag->parent_relid, tag->parent_key_attnum) == NULL))
			return false;
		i++;
	}

	/*
	 * the subject columns under their planned names and tags: names swapped
	 * between batches would test one kind's values as another's (a hold) or
	 * file them under it (suppress=)
	 */
	foreach(lc, job->subject_tags)
	{
		RetentionTag *tag = lfirst(lc);
		char	   *planned = job->subject_names[foreach_current_index(lc)];
		ObjectAddress object;

		ObjectAddressSubSet(object, RelationRelationId, tag->relid, tag->attnum);
		if (!name_is(retention_live_attname(tag->relid, tag->attnum), planned) ||
			get_attnum(job->relid, planned) == InvalidAttrNumber ||
			!name_is(GetSecurityLabel(&object, RETENTION_PROVIDER), tag->label_text))
			return false;
	}

	/*
	 * no other owner's row-security policy runs as this job's owner (a
	 * foreign-key anchor's parent, the parents a subject hold reaches
	 * through): refused, recorded with 42501, re-checked before each batch
	 */
	retention_check_reads_as(job->reads, job->owner);
	return true;
}

/*
 * Orders jobs so that a table's job comes after the jobs of the tables whose
 * foreign keys reference it: rows that reference a due parent are deleted
 * first, in the same run.  Tables in a cycle keep their order.
 */
static List *
order_children_first(List *jobs)
{
	Relation	conrel = table_open(ConstraintRelationId, AccessShareLock);
	SysScanDesc scan = systable_beginscan(conrel, InvalidOid, false, NULL, 0, NULL);
	HeapTuple	tuple;
	List	   *edges = NIL;	/* pairs: child, parent */
	List	   *ordered = NIL;
	List	   *remaining = list_copy(jobs);

	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tuple);

		/*
		 * a key declared on a partition counts as one on its partitioned
		 * table
		 */
		if (con->contype == CONSTRAINT_FOREIGN && !OidIsValid(con->conparentid))
		{
			Oid			child = partition_root(con->conrelid);
			Oid			parent = partition_root(con->confrelid);

			if (child != parent)
				edges = lappend(edges, list_make2_oid(child, parent));
		}
	}
	systable_endscan(scan);
	table_close(conrel, AccessShareLock);

	while (remaining != NIL)
	{
		ListCell   *lc;
		EnforceJob *ready = NULL;

		foreach(lc, remaining)
		{
			EnforceJob *job = lfirst(lc);
			ListCell   *ec;
			ListCell   *oc;
			bool		waits = false;

			/* does a remaining job's table reference this job's table? */
			foreach(ec, edges)
			{
				List	   *edge = lfirst(ec);

				if (linitial_oid(edge) == job->tagged_relid || lsecond_oid(edge) != job->tagged_relid)
					continue;
				foreach(oc, remaining)
					if (((EnforceJob *) lfirst(oc))->tagged_relid == linitial_oid(edge))
					waits = true;
			}
			if (!waits)
			{
				ready = job;
				break;
			}
		}
		if (ready == NULL)
			ready = linitial(remaining);	/* a cycle */
		ordered = lappend(ordered, ready);
		remaining = list_delete_ptr(remaining, ready);
	}
	return ordered;
}

/*
 * retention_plan_jobs
 *
 * Every job of this database as of now, optionally only for one tagged
 * table and/or one category.  Tags that do not resolve are returned in
 * *invalid (they are reported, never enforced).
 */
List *
retention_plan_jobs(Oid only_relid, const char *only_category,
					const RetentionHolds *holds, TimestampTz now, List **invalid)
{
	List	   *tags = retention_read_tags(true, true);
	List	   *jobs = NIL;
	Oid			current = InvalidOid;
	RetentionTag *table_tag = NULL;
	List	   *column_tags = NIL;
	List	   *held_column_tags = NIL;
	List	   *subject_columns = NIL;

	*invalid = NIL;
	/* tags come sorted by table: flush the jobs of each table in turn */
	for (int i = 0; i <= list_length(tags); i++)
	{
		RetentionTag *tag = (i < list_length(tags)) ? list_nth(tags, i) : NULL;

		if (tag == NULL || tag->relid != current)
		{
			if (OidIsValid(current) && (table_tag || column_tags || held_column_tags))
			{
				List	   *leaves = list_make1_oid(current);
				ListCell   *leaf;
				bool		table_held = list_member_oid(holds->tables, current);

				if (get_rel_relkind(current) == RELKIND_PARTITIONED_TABLE)
					leaves = find_all_inheritors(current, NoLock, NULL);

				foreach(leaf, leaves)
				{
					EnforceJob *job;

					if (get_rel_relkind(lfirst_oid(leaf)) != RELKIND_RELATION)
						continue;
					if (table_tag)
					{
						job = make_job(current, lfirst_oid(leaf), list_make1(table_tag),
									   true, subject_columns, holds, now, tags);
						job->held = table_held ||
							list_member(holds->categories, makeString(table_tag->category->name));
						jobs = lappend(jobs, job);
					}
					if (column_tags)
					{
						job = make_job(current, lfirst_oid(leaf), column_tags,
									   false, subject_columns, holds, now, tags);
						job->held = table_held;
						jobs = lappend(jobs, job);
					}
					/* column tags of held categories: counted, never applied */
					if (held_column_tags)
					{
						job = make_job(current, lfirst_oid(leaf), held_column_tags,
									   false, subject_columns, holds, now, tags);
						job->held = true;
						jobs = lappend(jobs, job);
					}
				}
			}
			if (tag == NULL)
				break;
			current = tag->relid;
			table_tag = NULL;
			column_tags = NIL;
			held_column_tags = NIL;
			subject_columns = NIL;
		}
		if (OidIsValid(only_relid) && tag->relid != only_relid)
			continue;
		if (tag->problem.sqlerrcode != 0)
		{
			*invalid = lappend(*invalid, tag);
			continue;
		}
		if (tag->label.subject && tag->attnum != 0)
			subject_columns = lappend(subject_columns, tag);
		if (tag->category == NULL ||
			(only_category && strcmp(tag->category->name, only_category) != 0))
			continue;
		if (tag->attnum == 0)
			table_tag = tag;
		else if (list_member(holds->categories, makeString(tag->category->name)))
			held_column_tags = lappend(held_column_tags, tag);
		else
			column_tags = lappend(column_tags, tag);
	}
	return order_children_first(jobs);
}
