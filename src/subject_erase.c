/*-------------------------------------------------------------------------
 *
 * src/subject_erase.c
 *	  Erasure: delete or anonymize one person's rows now, honouring legal
 *	  holds, then put their identifiers on the suppression list and log the
 *	  request.
 *
 * retention_erase_subject runs named steps over the groups of rows the
 * search found (subject_search.c), all in the caller's transaction:
 *	 split_by_condition	rows outside their table tag's condition (when=)
 *						apart, as rows of a table without a table tag;
 *	 classify			what each group gets: deleted, anonymized, or held as
 *						a whole; rows other people's holds protect;
 *	 anonymize_kept		tagged columns and identifiers of kept rows, and
 *						their nullable keys to rows this erasure deletes;
 *	 delete_to_fixpoint	deletes, children first, repeated while they make
 *						progress; a row still referenced by a row that
 *						stays (a RESTRICT key, or a held row a cascade would
 *						reach) waits or stays;
 *	 settle_remaining	rows that could not go: kept as they are next to
 *						held rows that reference them, else anonymized;
 *	 account			what actually changed, counted from the rows;
 *	 suppress_and_log	the suppression list and the request log;
 *	 report				one result row per tagged table.
 *
 * Rows are identified by TID, and a TID is only good until the row is next
 * written: a DELETE's ON DELETE SET NULL / SET DEFAULT action rewrites rows
 * of other groups, CASCADE removes them.  Before every statement that uses
 * a group's TIDs they are followed to the rows' current versions
 * (refresh_tids), and every count is taken from the rows, never derived
 * from TIDs taken before a write.
 *
 * Every statement reads or writes one table, as its owner, with row
 * security bypassed (subject_begin_as_owner).  Whether a row is still
 * referenced is asked of each referencing table as that table's owner,
 * with the row's key values bound as parameters, as ri_triggers.c does.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "parser/parse_coerce.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "subject.h"

/* Per tagged table, what an erasure found and did. */
typedef struct EraseReport
{
	Oid			root;
	int64		found;
	int64		deleted;
	int64		anonymized;
	int64		held;
	int64		kept;			/* kept for a legal obligation (on_erasure) */
	char	   *note;
} EraseReport;

/* One erasure request. */
typedef struct Erasure
{
	SubjectSearch *search;
	RetentionHolds holds;
	bool		dry_run;
	bool		subject_held;	/* the person is under a legal hold */
	List	   *ordered;		/* SubjectGroup *, deepest first */
	List	   *reports;		/* EraseReport * */
	int64		found;
	int			writes;			/* DELETE and UPDATE statements run */
} Erasure;

static EraseReport *
report_for(Erasure *e, Oid root)
{
	ListCell   *lc;
	EraseReport *r;

	foreach(lc, e->reports)
	{
		r = lfirst(lc);
		if (r->root == root)
			return r;
	}
	r = palloc0(sizeof(EraseReport));
	r->root = root;
	e->reports = lappend(e->reports, r);
	return r;
}

static bool
category_held(const RetentionHolds *holds, const char *category)
{
	return list_member(holds->categories, makeString((char *) category));
}

/*
 * Does the table (a tag root) keep its row alias through an erasure, whole
 * or anonymized, because its table tag's category says so (on_erasure keep
 * or anonymize)?  Then a delete must not reach it by cascade either.  As
 * SQL: "true", the tag's condition (when=: rows outside it are not kept),
 * or NULL for none.
 */
static char *
kept_by_obligation_sql(Erasure *e, Oid root, const char *alias)
{
	RetentionTag *table_tag;
	List	   *column_tags;
	List	   *subject_columns;
	char	   *condition;

	subject_tags_of(e->search, root, &table_tag, &column_tags, &subject_columns);
	if (table_tag == NULL || table_tag->category == NULL ||
		table_tag->category->on_erasure == RETENTION_ON_ERASURE_DELETE)
		return NULL;
	condition = retention_condition_sql(table_tag, alias);
	return condition ? psprintf("COALESCE(%s, false)", condition) : "true";
}

/* Column tags whose category does not keep its data through an erasure. */
static List *
erasable_column_tags(List *column_tags, RetentionCategory **kept_by)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, column_tags)
	{
		RetentionTag *tag = lfirst(lc);

		if (tag->category && tag->category->on_erasure == RETENTION_ON_ERASURE_KEEP)
			*kept_by = tag->category;
		else
			result = lappend(result, tag);
	}
	return result;
}

/* Does one of the tags have a condition (when=)? */
static bool
any_condition(List *tags)
{
	ListCell   *lc;

	foreach(lc, tags)
		if (((RetentionTag *) lfirst(lc))->condition != NULL)
		return true;
	return false;
}

/* The report's note for data kept for a legal obligation. */
static char *
kept_note(RetentionCategory *category)
{
	return psprintf("kept for a legal obligation (category %s): %s", category->name,
					category->legal_basis ? category->legal_basis : "no legal basis stated");
}

static int
compare_depth_desc(const ListCell *a, const ListCell *b)
{
	return ((SubjectGroup *) lfirst(b))->depth - ((SubjectGroup *) lfirst(a))->depth;
}

/* Does a foreign key lead from a's table to b's (or their ancestors)? */
static bool
group_references(Erasure *e, SubjectGroup *a, SubjectGroup *b)
{
	List	   *from = lappend_oid(lcons_oid(a->relid, subject_ancestors(a->relid)), a->root);
	List	   *to = lappend_oid(lcons_oid(b->relid, subject_ancestors(b->relid)), b->root);
	ListCell   *lc;

	foreach(lc, subject_foreign_keys(e->search))
	{
		SubjectForeignKey *fk = lfirst(lc);

		if (OidIsValid(fk->oid) && list_member_oid(from, fk->conrelid) &&
			list_member_oid(to, fk->confrelid))
			return true;
	}
	return false;
}

/*
 * Among groups found at the same depth, a group whose table references
 * another's goes before it (a ticket's messages before the ticket): its
 * rows then go by its own DELETE, not by a cascade that leaves the group a
 * second round and counts.  Only an order: deletes stay exact either way.
 */
static void
children_first(Erasure *e)
{
	int			n = list_length(e->ordered);

	for (int round = 0; round < n; round++)
	{
		bool		moved = false;

		for (int i = 0; i < n && !moved; i++)
			for (int j = i + 1; j < n && !moved; j++)
			{
				SubjectGroup *a = list_nth(e->ordered, i);
				SubjectGroup *b = list_nth(e->ordered, j);

				if (a->depth == b->depth && a->root != b->root &&
					group_references(e, b, a) && !group_references(e, a, b))
				{
					e->ordered = list_delete_nth_cell(e->ordered, j);
					e->ordered = list_insert_nth(e->ordered, i, b);
					moved = true;
				}
			}
		if (!moved)
			break;
	}
}

/*
 * Follows every TID of a group to the current version of its row (the end
 * of its update chain, as seen by this transaction now).  A row deleted
 * since keeps its old TID, which no statement finds any more.  Rows change
 * only through this erasure's statements (it holds their row locks), so a
 * group followed since the last of them is current.
 */
static void
refresh_tids(Erasure *e, SubjectGroup *group)
{
	Relation	rel;
	Snapshot	snapshot;
	TableScanDesc scan;
	ListCell   *lc;

	if (group->refreshed == e->writes + 1)
		return;
	group->refreshed = e->writes + 1;
	if (group->tids == NIL || get_rel_relkind(group->relid) != RELKIND_RELATION)
		return;
	CommandCounterIncrement();
	rel = table_open(group->relid, AccessShareLock);
	snapshot = RegisterSnapshot(GetLatestSnapshot());
	scan = table_beginscan_tid(rel, snapshot);
	foreach(lc, group->tids)
		table_tuple_get_latest_tid(scan, (ItemPointer) lfirst(lc));
	table_endscan(scan);
	UnregisterSnapshot(snapshot);
	table_close(rel, AccessShareLock);
}

/*
 * Runs a statement on a group's rows as the leaf's owner, inside the
 * executor (holds, token as $1); $2 is tids (NIL: the group's current
 * TIDs).  Returns the rows processed, or a count's value.
 */
static uint64
group_statement(Erasure *e, SubjectGroup *group, const char *sql, List *tids,
				int expected)
{
	int			nestlevel;
	Oid			save_userid;
	int			save_sec;
	Oid			types[2] = {INT8OID, TIDARRAYOID};
	Datum		arg;
	int			rc;
	uint64		n;

	if (tids == NIL)
	{
		refresh_tids(e, group);
		tids = group->tids;
	}
	if (expected == SPI_OK_DELETE || expected == SPI_OK_UPDATE)
		e->writes++;
	arg = subject_tid_array(tids);
	subject_begin_as_owner(group->relid, &nestlevel, &save_userid, &save_sec);
	retention_set_executor_active(true, &e->holds);
	rc = retention_execute_job_plan(subject_plan(sql, 2, types), 1, &arg, false, 0);
	if (rc != expected)
		elog(ERROR, "erasure statement failed: %s", SPI_result_code_string(rc));
	n = SPI_processed;
	if (rc == SPI_OK_SELECT && n == 1)
	{
		bool		isnull;

		n = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	retention_set_executor_active(false, NULL);
	retention_end_as_owner(nestlevel, save_userid, save_sec);
	return n;
}

/* The group's rows that still exist and no other person's hold protects. */
static int64
rows_left(Erasure *e, SubjectGroup *group)
{
	return (int64) group_statement(e, group,
								   psprintf("SELECT pg_catalog.count(*) FROM ONLY %s r WHERE r.ctid OPERATOR(pg_catalog.=) ANY ($2)%s%s",
											subject_qualified_name(group->relid),
											group->held ? " AND NOT " : "", group->held ? group->held : ""),
								   NIL, SPI_OK_SELECT);
}

/*
 * The held-through-parents test of alias r of relid for a statement that
 * runs as the owner of reader_relid; raises 42501 (nothing changed yet) if
 * it would read a parent with row security and another owner, whose
 * policies would then run with that owner's privileges.
 */
static char *
held_through_parents_checked(Oid relid, List *tags, const RetentionHolds *holds,
							 Oid reader_relid)
{
	List	   *reads = NIL;
	List	  **save = retention_collect_reads(&reads);
	char	   *sql;

	PG_TRY();
	{
		sql = retention_held_through_parents_sql(relid, tags, holds, "r");
	}
	PG_FINALLY();
	{
		retention_collect_reads(save);
	}
	PG_END_TRY();
	retention_check_reads_as(reads, retention_relation_owner(reader_relid));
	return sql;
}

/*
 * Is row c of relid held (retention_row_held_sql), for a probe that runs
 * as the owner of reader_relid; raises 42501 as held_through_parents_checked.
 */
static char *
row_held_checked(Oid relid, List *tags, const RetentionHolds *holds, Oid reader_relid)
{
	List	   *reads = NIL;
	List	  **save = retention_collect_reads(&reads);
	char	   *sql;

	PG_TRY();
	{
		sql = retention_row_held_sql(relid, tags, holds, "c");
	}
	PG_FINALLY();
	{
		retention_collect_reads(save);
	}
	PG_END_TRY();
	retention_check_reads_as(reads, retention_relation_owner(reader_relid));
	return sql;
}

/*
 * Step: classify.  What each group gets -- its table's rule decides
 * (deleted where the table deletes rows: a table tag, or no category tag;
 * else its tagged columns anonymized), except for a group found through an
 * identifier column with its own anonymization rule (an end user's number
 * in someone else's record: only that value goes).  Held as a whole: the
 * person, the table or the categories are under a legal hold.  Rows other
 * people's subject holds protect are counted (group->held).
 */
static void
classify(Erasure *e)
{
	ListCell   *lc;

	foreach(lc, e->ordered)
	{
		SubjectGroup *group = lfirst(lc);
		EraseReport *report = report_for(e, group->root);
		RetentionTag *table_tag;
		List	   *subject_columns;
		bool		deleting;
		bool		whole_held;
		int64		rows = list_length(group->tids);

		subject_tags_of(e->search, group->root, &table_tag, &group->column_tags, &subject_columns);
		group->subject_columns = subject_columns;
		if (group->outside_tag)
			table_tag = NULL;
		if (group->matched_attnum != 0)
		{
			ListCell   *tc;
			List	   *own = NIL;

			foreach(tc, group->column_tags)
				if (((RetentionTag *) lfirst(tc))->attnum == group->matched_attnum)
				own = lappend(own, lfirst(tc));
			group->column_tags = own;
			/* only its own value: removed where outside its tag (when=) */
			group->subject_columns = own;
			deleting = false;
		}
		else
			deleting = (table_tag != NULL || group->column_tags == NIL);
		report->found += rows;
		e->found += rows;

		/* on_erasure: the category of the table tag, then of each column */
		if (table_tag && table_tag->category &&
			table_tag->category->on_erasure != RETENTION_ON_ERASURE_DELETE &&
			group->matched_attnum == 0 && !e->subject_held)
		{
			if (table_tag->category->on_erasure == RETENTION_ON_ERASURE_KEEP)
			{
				group->action = SUBJECT_KEPT;
				report->kept += rows;
				report->note = kept_note(table_tag->category);
				continue;
			}
			deleting = false;
			group->anonymize_note = kept_note(table_tag->category);
		}
		if (!deleting)
		{
			RetentionCategory *kept_by = NULL;
			bool		had_tags = group->column_tags != NIL;

			group->column_tags = erasable_column_tags(group->column_tags, &kept_by);
			if (kept_by && !e->subject_held && had_tags && group->column_tags == NIL &&
				(group->matched_attnum != 0 ? !any_condition(group->subject_columns)
				 : group->subject_columns == NIL))
			{
				group->action = SUBJECT_KEPT;
				report->kept += rows;
				report->note = kept_note(kept_by);
				continue;
			}
			if (kept_by && group->anonymize_note == NULL)
				group->anonymize_note = kept_note(kept_by);
		}

		/*
		 * a hold on the table tag's category keeps its rows, whatever
		 * on_erasure
		 */
		whole_held = e->subject_held || list_member_oid(e->holds.tables, group->root) ||
			(table_tag && group->matched_attnum == 0 &&
			 category_held(&e->holds, table_tag->category->name));
		if (!deleting && !whole_held)
		{
			ListCell   *tc;

			whole_held = group->column_tags != NIL;
			foreach(tc, group->column_tags)
				if (!category_held(&e->holds, ((RetentionTag *) lfirst(tc))->category->name))
				whole_held = false;
		}
		if (whole_held)
		{
			group->action = SUBJECT_HELD;
			report->held += rows;
			report->note = e->subject_held ? "the subject is under a legal hold: nothing was changed"
				: "held by a legal hold on the category or table";
			continue;
		}
		group->action = deleting ? SUBJECT_DELETE : SUBJECT_ANONYMIZE;
		/* a shared row: any identifier column of the table may be held */
		group->held = retention_held_or(retention_held_sql(subject_columns, &e->holds, "r"),
										held_through_parents_checked(group->relid, e->search->tags,
																	 &e->holds, group->relid));
		if (group->held)
			group->held_rows = (int64) group_statement(e, group,
													   psprintf("SELECT pg_catalog.count(*) FROM ONLY %s r WHERE r.ctid OPERATOR(pg_catalog.=) ANY ($2) AND %s",
																subject_qualified_name(group->relid), group->held),
													   NIL, SPI_OK_SELECT);
		report->held += group->held_rows;
		if (e->dry_run)
		{
			if (deleting)
				report->deleted += rows - group->held_rows;
			else
				report->anonymized += rows - group->held_rows;
		}
	}
}

/* Is the leaf (or an ancestor) the referenced table of a key? */
static bool
references_group(Oid confrelid, SubjectGroup *g)
{
	return g->root == confrelid || g->relid == confrelid ||
		list_member_oid(subject_ancestors(g->relid), confrelid);
}

/*
 * An identifier column of a kept row, removed: NULL, or a pseudonym where
 * NOT NULL; NULL (nothing to set) for a NOT NULL column of another type.
 */
static char *
identifier_removed_sql(Relation rel, RetentionTag *tag, const char *name)
{
	AttrNumber	attnum = get_attnum(RelationGetRelid(rel), name);
	Form_pg_attribute att;

	if (attnum <= 0)
		return NULL;
	att = TupleDescAttr(RelationGetDescr(rel), attnum - 1);
	if (!att->attnotnull)
		return "NULL";
	if (TypeCategory(getBaseType(att->atttypid)) == TYPCATEGORY_STRING)
		return psprintf("retention._pseudonym(r.%s::pg_catalog.text, %d, $1%s)::%s",
						quote_identifier(name),
						att->atttypmod > VARHDRSZ ? att->atttypmod - VARHDRSZ : 0,
						retention_pseudonym_column_arg(tag->relid, tag->attnum),
						format_type_extended(att->atttypid, att->atttypmod,
											 FORMAT_TYPE_TYPEMOD_GIVEN | FORMAT_TYPE_FORCE_QUALIFY));
	return NULL;
}

/*
 * value where the row is inside the tag's condition (when=), else
 * otherwise (the column as if untagged), in the UPDATE that sets it.
 */
static char *
inside_condition_sql(RetentionTag *tag, const char *value, const char *otherwise)
{
	char	   *condition = retention_condition_sql(tag, "r");

	if (condition == NULL)
		return (char *) value;
	return psprintf("CASE WHEN COALESCE(%s, false) THEN %s ELSE %s END", condition, value, otherwise);
}

/*
 * SET list for a kept row: every column tag's method (unless its category
 * is held), and identifiers of subject-only columns removed (NULL, or a
 * pseudonym where NOT NULL).  A value outside its column tag's condition
 * (when=) is an untagged value: it stays, unless it is an identifier,
 * which is removed.  NULL when there is nothing to set.
 */
static char *
kept_row_set_list(SubjectGroup *group, List *column_tags, List *subject_columns,
				  const RetentionHolds *holds)
{
	Relation	rel = table_open(group->relid, AccessShareLock);
	StringInfoData buf;
	ListCell   *lc;
	List	   *done = NIL;

	initStringInfo(&buf);
	foreach(lc, column_tags)
	{
		RetentionTag *tag = lfirst(lc);
		char	   *pending;
		char	   *name = subject_attname(tag->relid, tag->attnum);
		char	   *value;
		char	   *removed = NULL;

		if (category_held(holds, tag->category->name))
			continue;
		/* the method's expression reads the leaf's own column */
		value = retention_anonymized_value_sql(tag, group->relid, &pending);
		if (tag->label.subject && list_member_ptr(subject_columns, tag))
			removed = identifier_removed_sql(rel, tag, name);
		value = inside_condition_sql(tag, value,
									 removed ? removed : psprintf("r.%s", quote_identifier(name)));
		appendStringInfo(&buf, "%s%s = %s", buf.len ? ", " : "", quote_identifier(name), value);
		done = lappend(done, makeString(name));
	}
	foreach(lc, subject_columns)
	{
		RetentionTag *tag = lfirst(lc);
		char	   *name = subject_attname(tag->relid, tag->attnum);
		char	   *removed;

		/* a kept or held category keeps the value inside its condition */
		if (list_member(done, makeString(name)) || (tag->category && tag->condition == NULL))
			continue;
		removed = identifier_removed_sql(rel, tag, name);
		if (removed == NULL)
			continue;
		if (tag->category)
			removed = inside_condition_sql(tag, psprintf("r.%s", quote_identifier(name)), removed);
		appendStringInfo(&buf, "%s%s = %s", buf.len ? ", " : "", quote_identifier(name), removed);
	}
	table_close(rel, AccessShareLock);
	return buf.len ? buf.data : NULL;
}

/*
 * A kept row's nullable RESTRICT / NO ACTION keys to rows this erasure
 * deletes are set NULL (they would block the delete), and only those:
 * which of the group's rows point at a deleted row is asked per key, with
 * the deleted rows' key values read as their table's owner.
 */
static void
cut_keys_to_deleted(Erasure *e, SubjectGroup *group)
{
	Relation	rel = table_open(group->relid, AccessShareLock);
	List	   *fks = list_copy(RelationGetFKeyList(rel));
	TupleDesc	desc = CreateTupleDescCopyConstr(RelationGetDescr(rel));
	ListCell   *lc;

	table_close(rel, AccessShareLock);
	foreach(lc, fks)
	{
		ForeignKeyCacheInfo *fk = lfirst(lc);
		HeapTuple	tuple = SearchSysCache1(CONSTROID, ObjectIdGetDatum(fk->conoid));
		char		deltype;
		bool		nullable = true;
		ListCell   *gc;
		StringInfoData set;

		if (!HeapTupleIsValid(tuple))
			continue;
		deltype = ((Form_pg_constraint) GETSTRUCT(tuple))->confdeltype;
		ReleaseSysCache(tuple);
		if (deltype != FKCONSTR_ACTION_NOACTION && deltype != FKCONSTR_ACTION_RESTRICT)
			continue;
		for (int k = 0; k < fk->nkeys; k++)
			if (TupleDescAttr(desc, fk->conkey[k] - 1)->attnotnull)
				nullable = false;
		if (!nullable)
			continue;
		initStringInfo(&set);
		for (int k = 0; k < fk->nkeys; k++)
			appendStringInfo(&set, "%s%s = NULL", k ? ", " : "",
							 quote_identifier(NameStr(TupleDescAttr(desc, fk->conkey[k] - 1)->attname)));
		foreach(gc, e->ordered)
		{
			SubjectGroup *g = lfirst(gc);
			AttrNumber	parentkey[INDEX_MAX_KEYS];
			Datum		arrays[INDEX_MAX_KEYS];
			Oid			types[INDEX_MAX_KEYS];
			char	   *sql;
			List	   *cut = NIL;

			if (g->action != SUBJECT_DELETE || !references_group(fk->confrelid, g))
				continue;
			for (int k = 0; k < fk->nkeys; k++)
				parentkey[k] = get_attnum(g->relid, subject_attname(fk->confrelid, fk->confkey[k]));
			refresh_tids(e, g);
			if (!subject_fetch_keys(e->search, g->relid, g->tids, fk->nkeys, parentkey, false, arrays, types))
				continue;
			/* the group's rows that point at one of them, read as its owner */
			refresh_tids(e, group);
			{
				Oid			argtypes[INDEX_MAX_KEYS + 1];
				Datum		args[INDEX_MAX_KEYS + 1];

				argtypes[0] = TIDARRAYOID;
				args[0] = subject_tid_array(group->tids);
				for (int k = 0; k < fk->nkeys; k++)
				{
					argtypes[k + 1] = types[k];
					args[k + 1] = arrays[k];
				}
				sql = psprintf("SELECT c.ctid FROM ONLY %s c WHERE c.ctid OPERATOR(pg_catalog.=) ANY ($1) AND %s",
							   subject_qualified_name(group->relid),
							   subject_key_match_sql(group->relid, "c", fk->nkeys, fk->conkey, fk->conpfeqop, 2));
				subject_query(e->search, group->relid, sql, fk->nkeys + 1, argtypes, args);
			}
			for (uint64 i = 0; i < SPI_processed; i++)
			{
				bool		isnull;
				ItemPointer tid = palloc(sizeof(ItemPointerData));

				*tid = *(ItemPointer) DatumGetPointer(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
				cut = lappend(cut, tid);
			}
			if (cut != NIL)
				group_statement(e, group,
								psprintf("UPDATE ONLY %s r SET %s WHERE r.ctid OPERATOR(pg_catalog.=) ANY ($2)%s%s",
										 subject_qualified_name(group->relid), set.data,
										 group->held ? " AND NOT " : "", group->held ? group->held : ""),
								cut, SPI_OK_UPDATE);
		}
	}
}

/*
 * Step: anonymize_kept.  Kept rows: their tagged columns anonymized and
 * identifiers removed, then their keys to deleted rows cut.
 */
static void
anonymize_kept(Erasure *e)
{
	ListCell   *lc;

	foreach(lc, e->ordered)
	{
		SubjectGroup *group = lfirst(lc);
		char	   *set;

		if (group->action != SUBJECT_ANONYMIZE)
			continue;
		if (group->anonymize_note)
			report_for(e, group->root)->note = group->anonymize_note;
		set = kept_row_set_list(group, group->column_tags, group->subject_columns, &e->holds);
		if (set)
			group->changed += group_statement(e, group,
											  psprintf("UPDATE ONLY %s r SET %s WHERE r.ctid OPERATOR(pg_catalog.=) ANY ($2)%s%s",
													   subject_qualified_name(group->relid), set,
													   group->held ? " AND NOT " : "", group->held ? group->held : ""),
											  NIL, SPI_OK_UPDATE);
		cut_keys_to_deleted(e, group);
	}
}

/*
 * The group's rows that another row still references so that they cannot
 * go now: through a key that refuses the delete (NO ACTION, RESTRICT), or
 * held rows through a key that would delete or change them (CASCADE, SET
 * NULL, SET DEFAULT: a delete must not reach held data by cascade).  Each
 * referencing table is asked as its owner, row security bypassed, with the
 * rows' key values bound as parameters.
 */
static List *
blocked_rows(Erasure *e, SubjectGroup *group)
{
	List	   *blocked = NIL;
	ListCell   *fc;

	foreach(fc, subject_referencing_keys(e->search, group->relid, true))
	{
		HeapTuple	ctup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(lfirst_oid(fc)));
		Form_pg_constraint con;
		AttrNumber	conkey[INDEX_MAX_KEYS];
		AttrNumber	confkey[INDEX_MAX_KEYS];
		AttrNumber	leafkey[INDEX_MAX_KEYS];
		Oid			pf_eq[INDEX_MAX_KEYS];
		Datum		arrays[INDEX_MAX_KEYS + 1];
		Oid			types[INDEX_MAX_KEYS + 1];
		int			nkeys;
		Oid			child;
		Oid			referenced;
		char	   *held = NULL;
		StringInfoData sql;
		int			nestlevel;
		Oid			save_userid;
		int			save_sec;

		if (!HeapTupleIsValid(ctup))
			continue;
		con = (Form_pg_constraint) GETSTRUCT(ctup);
		child = con->conrelid;
		referenced = con->confrelid;
		if (con->confdeltype != FKCONSTR_ACTION_NOACTION && con->confdeltype != FKCONSTR_ACTION_RESTRICT)
		{
			held = kept_by_obligation_sql(e, subject_tag_root(child), "c");
			if (held == NULL || strcmp(held, "true") != 0)
				held = retention_held_or(held, row_held_checked(subject_tag_root(child), e->search->tags,
																&e->holds, child));
			if (held == NULL)
			{
				ReleaseSysCache(ctup);
				continue;
			}
		}
		DeconstructFkConstraintRow(ctup, &nkeys, conkey, confkey, pf_eq, NULL, NULL, NULL, NULL);
		ReleaseSysCache(ctup);
		for (int k = 0; k < nkeys; k++)
			leafkey[k] = get_attnum(group->relid, subject_attname(referenced, confkey[k]));
		if (!subject_fetch_keys(e->search, group->relid, group->tids, nkeys, leafkey, true, arrays, types))
			continue;

		/* $1 is the executor's token, $2 the TIDs, $3... the key values */
		initStringInfo(&sql);
		appendStringInfoString(&sql, "SELECT k.tid FROM ROWS FROM (pg_catalog.unnest($2)");
		for (int k = 0; k < nkeys; k++)
			appendStringInfo(&sql, ", pg_catalog.unnest($%d)", k + 3);
		appendStringInfoString(&sql, ") k(tid");
		for (int k = 0; k < nkeys; k++)
			appendStringInfo(&sql, ", v%d", k);
		appendStringInfo(&sql, ") WHERE EXISTS (SELECT 1 FROM %s c WHERE ", subject_qualified_name(child));
		for (int k = 0; k < nkeys; k++)
			appendStringInfo(&sql, "%sk.v%d %s c.%s", k ? " AND " : "", k, subject_operator_sql(pf_eq[k]),
							 quote_identifier(subject_attname(child, conkey[k])));
		if (held)
			appendStringInfo(&sql, " AND %s", held);
		appendStringInfoChar(&sql, ')');

		subject_begin_as_owner(child, &nestlevel, &save_userid, &save_sec);
		retention_set_executor_active(true, &e->holds);
		{
			Oid			alltypes[INDEX_MAX_KEYS + 2];

			alltypes[0] = INT8OID;
			memcpy(alltypes + 1, types, sizeof(Oid) * (nkeys + 1));
			if (retention_execute_job_plan(subject_plan(sql.data, nkeys + 2, alltypes), nkeys + 1, arrays,
										   false, 0) != SPI_OK_SELECT)
				elog(ERROR, "erasure probe failed");
		}
		if (false)
			elog(ERROR, "erasure probe failed");
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			bool		isnull;
			ItemPointer tid = palloc(sizeof(ItemPointerData));

			*tid = *(ItemPointer) DatumGetPointer(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
			blocked = lappend(blocked, tid);
		}
		retention_set_executor_active(false, NULL);
		retention_end_as_owner(nestlevel, save_userid, save_sec);
	}
	return blocked;
}

static int
compare_tids(const void *a, const void *b)
{
	return ItemPointerCompare((ItemPointer) a, (ItemPointer) b);
}

/* tids without those in minus */
static List *
tids_except(List *tids, List *minus)
{
	List	   *result = NIL;
	ItemPointerData *sorted;
	int			n = 0;
	ListCell   *lc;

	if (minus == NIL)
		return tids;
	sorted = palloc(sizeof(ItemPointerData) * list_length(minus));
	foreach(lc, minus)
		sorted[n++] = *(ItemPointer) lfirst(lc);
	qsort(sorted, n, sizeof(ItemPointerData), compare_tids);
	foreach(lc, tids)
		if (bsearch(lfirst(lc), sorted, n, sizeof(ItemPointerData), compare_tids) == NULL)
		result = lappend(result, lfirst(lc));
	pfree(sorted);
	return result;
}

/*
 * Step: split_by_condition.  A row outside its table tag's condition
 * (when=; NULL counts as outside) is a row of a table without a table tag:
 * a group whose table tag has a condition keeps the rows inside it, and a
 * new group right after it takes the rows outside (outside_tag).  Which
 * side a row is on is read once, here, from the rows as the search found
 * and locked them (FOR UPDATE: no other transaction changes them before
 * commit), so that no statement of this erasure (an anonymized column, a
 * SET NULL cascade) moves a row to the other side halfway; a dry run reads
 * the same.
 */
/* The table whose when= is being read, for the error (raise_in_own_words). */
static const char *reading_condition_of = NULL;

static void
split_by_condition(Erasure *e)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, e->ordered)
	{
		SubjectGroup *group = lfirst(lc);
		RetentionTag *table_tag;
		List	   *column_tags;
		List	   *subject_columns;
		char	   *condition;
		Oid			type = TIDARRAYOID;
		Datum		arg;
		List	   *outside = NIL;

		result = lappend(result, group);
		if (group->matched_attnum != 0 || e->subject_held || group->tids == NIL)
			continue;
		subject_tags_of(e->search, group->root, &table_tag, &column_tags, &subject_columns);
		if (table_tag == NULL || (condition = retention_condition_sql(table_tag, "r")) == NULL)
			continue;
		arg = subject_tid_array(group->tids);

		/*
		 * a condition that fails for a row (its owner's expression) says
		 * where
		 */
		reading_condition_of = subject_qualified_name(group->root);
		subject_query(e->search, group->relid,
					  psprintf("SELECT r.ctid FROM ONLY %s r WHERE r.ctid OPERATOR(pg_catalog.=) ANY ($1)"
							   " AND NOT COALESCE(%s, false)",
							   subject_qualified_name(group->relid), condition),
					  1, &type, &arg);
		reading_condition_of = NULL;
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			bool		isnull;
			ItemPointer tid = palloc(sizeof(ItemPointerData));

			*tid = *(ItemPointer) DatumGetPointer(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
			outside = lappend(outside, tid);
		}
		if (outside == NIL)
			continue;
		if (list_length(outside) == list_length(group->tids))
		{
			group->outside_tag = true;
			continue;
		}
		{
			SubjectGroup *rest = palloc(sizeof(SubjectGroup));

			memcpy(rest, group, sizeof(SubjectGroup));
			rest->tids = outside;
			rest->keyrows = NIL;
			rest->outside_tag = true;
			group->tids = tids_except(group->tids, outside);
			result = lappend(result, rest);
		}
	}
	e->ordered = result;
}

/*
 * Step: delete_to_fixpoint.  Deletes, children first, repeated while they
 * make progress: a row referenced by a row deleted later in the same
 * erasure goes in a later round; a row that kept rows (held, or kept by
 * their table's rule) still reference stays.  Each round starts from the
 * rows' current versions.  A group whose DELETE removed every one of its
 * rows (nothing blocked, nothing held, none gone before) is done: later
 * rounds and steps skip it.
 */
static void
delete_to_fixpoint(Erasure *e)
{
	bool		progress = true;

	while (progress)
	{
		ListCell   *lc;

		progress = false;
		foreach(lc, e->ordered)
		{
			SubjectGroup *group = lfirst(lc);
			List	   *blocked;
			List	   *deletable;
			uint64		deleted;

			if (group->action != SUBJECT_DELETE || group->deleted_all)
				continue;
			refresh_tids(e, group);
			blocked = blocked_rows(e, group);
			deletable = tids_except(group->tids, blocked);
			if (deletable == NIL)
				continue;
			deleted = group_statement(e, group,
									  psprintf("DELETE FROM ONLY %s r WHERE r.ctid OPERATOR(pg_catalog.=) ANY ($2)%s%s",
											   subject_qualified_name(group->relid),
											   group->held ? " AND NOT " : "", group->held ? group->held : ""),
									  deletable, SPI_OK_DELETE);
			if (deleted > 0)
				progress = true;
			group->deleted_all = blocked == NIL && deleted == (uint64) list_length(group->tids);
		}
	}
}

/*
 * Does a foreign key lead from a table with held rows in this erasure to
 * root?  Then root's rows that cannot be deleted are kept as they are.
 */
static bool
referenced_by_held(Erasure *e, Oid root)
{
	ListCell   *fc;

	foreach(fc, subject_foreign_keys(e->search))
	{
		SubjectForeignKey *con = lfirst(fc);
		ListCell   *lc;

		if (!OidIsValid(con->oid) || con->confrelid != root)
			continue;
		foreach(lc, e->reports)
		{
			EraseReport *r = lfirst(lc);

			if (r->held > 0 && r->root == subject_tag_root(con->conrelid))
				return true;
		}
	}
	return false;
}

/*
 * Step: settle_remaining.  Rows of deleted groups that are still there:
 * next to held rows that reference them they are kept as they are (and
 * reported held); otherwise kept rows still reference them, so they are
 * anonymized instead, so that they identify nobody.
 */
static void
settle_remaining(Erasure *e)
{
	ListCell   *lc;

	foreach(lc, e->ordered)
	{
		SubjectGroup *group = lfirst(lc);
		EraseReport *report = report_for(e, group->root);
		int64		remaining;
		RetentionTag *table_tag;
		List	   *column_tags;
		List	   *subject_columns;
		char	   *set;

		if (group->action != SUBJECT_DELETE || group->deleted_all)
			continue;
		remaining = rows_left(e, group);
		if (remaining == 0)
			continue;
		if (referenced_by_held(e, group->root))
		{
			report->held += remaining;
			report->note = "kept: held rows still reference them";
			group->held_rows += remaining;
			continue;
		}
		subject_tags_of(e->search, group->root, &table_tag, &column_tags, &subject_columns);
		set = kept_row_set_list(group, column_tags, subject_columns, &e->holds);
		if (set)
			group_statement(e, group,
							psprintf("UPDATE ONLY %s r SET %s WHERE r.ctid OPERATOR(pg_catalog.=) ANY ($2)%s%s",
									 subject_qualified_name(group->relid), set,
									 group->held ? " AND NOT " : "", group->held ? group->held : ""),
							NIL, SPI_OK_UPDATE);
		group->changed += remaining;
		report->note = "anonymized instead of deleted: rows that are kept still reference them";
	}
}

/*
 * Step: account.  What actually changed, counted from the rows as they are
 * now: a found row that no longer exists was deleted (by this erasure's
 * statements or by their cascades); rows still there were anonymized as
 * counted, or held.  A group its DELETE removed whole needs no count.
 */
static void
account(Erasure *e)
{
	ListCell   *lc;

	foreach(lc, e->ordered)
	{
		SubjectGroup *group = lfirst(lc);
		EraseReport *report = report_for(e, group->root);
		int64		rows = list_length(group->tids);
		int64		gone;

		if (group->action == SUBJECT_HELD || group->action == SUBJECT_KEPT)
			continue;
		if (group->deleted_all)
			gone = rows;
		else
			gone = rows - (int64) group_statement(e, group,
												  psprintf("SELECT pg_catalog.count(*) FROM ONLY %s r WHERE r.ctid OPERATOR(pg_catalog.=) ANY ($2)",
														   subject_qualified_name(group->relid)),
												  NIL, SPI_OK_SELECT);
		report->deleted += gone;
		/* anonymized rows a later cascade deleted count once, as deleted */
		report->anonymized += Max(0, Min(group->changed, rows - gone - group->held_rows));
	}
}

/* Step: suppress_and_log.  The suppression list and the request log. */
static void
suppress_and_log(Erasure *e)
{
	StringInfoData tables;
	ListCell   *lc;

	initStringInfo(&tables);
	appendStringInfoChar(&tables, '{');
	foreach(lc, e->reports)
	{
		EraseReport *r = lfirst(lc);

		if (tables.len > 1)
			appendStringInfoString(&tables, ", ");
		escape_json(&tables, subject_qualified_name(r->root));
		/* held: legal holds; kept (where any): legal obligations */
		appendStringInfo(&tables, ": {\"found\": " INT64_FORMAT ", \"deleted\": " INT64_FORMAT
						 ", \"anonymized\": " INT64_FORMAT ", \"held\": " INT64_FORMAT,
						 r->found, r->deleted, r->anonymized, r->held);
		if (r->kept > 0)
			appendStringInfo(&tables, ", \"kept\": " INT64_FORMAT, r->kept);
		appendStringInfoChar(&tables, '}');
	}
	appendStringInfoChar(&tables, '}');
	if (!e->dry_run && !e->subject_held)
	{
		foreach(lc, e->search->identifiers)
		{
			SubjectIdentifier *id = lfirst(lc);

			/* the suppression list and the erasure ledger (suppression.c) */
			retention_record_erasure(id->kind, id->normalized);
		}
	}
	subject_log_request(e->dry_run ? "erase (dry run)" : "erase", e->search, e->dry_run,
						DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(tables.data))), e->found,
						e->subject_held ? "held" : e->found == 0 ? "nothing found" : "done");
	if (e->found == 0)
		ereport(NOTICE,
				(errmsg("no data of this subject was found"),
				 errdetail("Nothing was changed. An erasure that ran before leaves nothing to find.")));
}

/* Result columns of erase_subject: 0.2.0, and 0.1.0 before its update */
#define ERASE_REPORT_COLS		7
#define ERASE_REPORT_COLS_0_1	6

/*
 * Step: report.  One result row per tagged table.  Under the 0.1.0 SQL
 * definition (no rows_kept, until ALTER EXTENSION UPDATE) rows_held counts
 * the rows kept for a legal obligation too, as the note says.
 */
static void
report(Erasure *e, ReturnSetInfo *rsinfo, MemoryContext cxt)
{
	int			natts = rsinfo->setDesc->natts;
	ListCell   *lc;

	if (natts != ERASE_REPORT_COLS && natts != ERASE_REPORT_COLS_0_1)
		elog(ERROR, "retention.erase_subject() has %d result columns, expected %d",
			 natts, ERASE_REPORT_COLS);
	foreach(lc, e->reports)
	{
		EraseReport *r = lfirst(lc);
		Datum		values[ERASE_REPORT_COLS];
		bool		nulls[ERASE_REPORT_COLS];
		MemoryContext spi = MemoryContextSwitchTo(cxt);

		memset(nulls, false, sizeof(nulls));
		values[0] = ObjectIdGetDatum(r->root);
		values[1] = Int64GetDatum(r->found);
		values[2] = Int64GetDatum(r->deleted);
		values[3] = Int64GetDatum(r->anonymized);
		values[4] = Int64GetDatum(natts == ERASE_REPORT_COLS ? r->held : r->held + r->kept);
		if (natts == ERASE_REPORT_COLS)
			values[5] = Int64GetDatum(r->kept);
		if (r->note)
			values[natts - 1] = CStringGetTextDatum(r->note);
		else
			nulls[natts - 1] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		MemoryContextSwitchTo(spi);
	}
}

/*
 * Errors of the erasure's statements (constraints, the owner's triggers)
 * can quote row values, the person's identifiers among them: they are
 * raised again in the extension's words (the details go to the server log
 * only with retention.log_error_details).
 */
static void
raise_in_own_words(MemoryContext cxt)
{
	ErrorData  *edata;

	MemoryContextSwitchTo(cxt);
	edata = CopyErrorData();
	FlushErrorState();
	if (retention_log_error_details)
		ereport(LOG,
				(errmsg_internal("pg_retention: erasure failed: %s", edata->message),
				 edata->detail ? errdetail_internal("%s", edata->detail) : 0));
	/* our own refusal (no row values in it): its detail and hint stay */
	if (edata->sqlerrcode == ERRCODE_INSUFFICIENT_PRIVILEGE &&
		strcmp(edata->message, RETENTION_FOREIGN_RLS_MESSAGE) == 0)
		ereport(ERROR,
				(errcode(edata->sqlerrcode),
				 errmsg("erasure failed: %s", edata->message),
				 edata->detail ? errdetail_internal("%s", edata->detail) : 0,
				 errhint("Nothing was changed. %s", edata->hint ? edata->hint : "")));
	if (edata->sqlerrcode == ERRCODE_T_R_SERIALIZATION_FAILURE)
		ereport(ERROR,
				(errcode(edata->sqlerrcode),
				 errmsg("erasure failed: a table or column changed while it ran"),
				 errhint("Nothing was changed. Repeat the request.")));
	if (reading_condition_of)
	{
		const char *table = reading_condition_of;

		reading_condition_of = NULL;
		ereport(ERROR,
				(errcode(edata->sqlerrcode),
				 errmsg("erasure failed: the when= condition of the tag of %s fails for the person's rows", table),
				 errdetail("Whether a row is inside the tag decides what the erasure does to it (%s).",
						   retention_error_in_words(edata->sqlerrcode)),
				 errhint("Nothing was changed. Fix the condition of the tag, then repeat the request.")));
	}
	ereport(ERROR,
			(errcode(edata->sqlerrcode),
			 errmsg("erasure failed: %s", retention_error_in_words(edata->sqlerrcode)),
			 edata->constraint_name ?
			 errdetail("Constraint \"%s\" of table \"%s\".", edata->constraint_name,
					   edata->table_name ? edata->table_name : "?") : 0,
			 errhint("Nothing was changed. Check the constraint or trigger named, then repeat the request.")));
}

/*
 * retention_erase_subject
 *
 * retention.erase_subject(identifiers jsonb, dry_run boolean DEFAULT false)
 * RETURNS TABLE(table_name regclass, rows_found bigint, rows_deleted bigint,
 *               rows_anonymized bigint, rows_held bigint, rows_kept bigint,
 *               note text)
 *
 * Deletes the person's rows where their table deletes rows (a table tag, or
 * no tag at all), anonymizes their tagged columns where it keeps them,
 * children before parents, all in the caller's transaction; honours legal
 * holds; then puts the identifiers on the suppression list.  dry_run
 * reports and changes nothing.  The counts are of rows that changed.
 */
PG_FUNCTION_INFO_V1(retention_erase_subject);

Datum
retention_erase_subject(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	uint8		key[RETENTION_KEY_BYTES];
	Erasure		e;
	ListCell   *lc;
	MemoryContext cxt;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("identifiers must not be NULL"),
				 errhint("Pass e.g. '{\"email\": \"ana@example.com\"}'.")));
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("dry_run must not be NULL"),
				 errhint("Pass dry_run => true to see what would happen, or false to erase.")));
	memset(&e, 0, sizeof(e));
	e.dry_run = PG_GETARG_BOOL(1);
	InitMaterializedSRF(fcinfo, 0);
	cxt = CurrentMemoryContext;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	e.search = subject_begin_search(PG_GETARG_JSONB_P(0), !e.dry_run, key);
	retention_load_holds(&e.holds, GetCurrentTransactionStartTimestamp());
	foreach(lc, e.search->identifiers)
	{
		SubjectIdentifier *id = lfirst(lc);

		if (e.holds.subject_hashes && hash_search(e.holds.subject_hashes, id->hash, HASH_FIND, NULL))
			e.subject_held = true;
	}
	if (e.subject_held)
		e.search->lock = false;
	subject_search_identifiers(e.search);
	subject_search_children(e.search);
	subject_search_parents(e.search);

	/* deepest children first: fewer keys block a delete */
	e.ordered = list_copy(e.search->groups);
	list_sort(e.ordered, compare_depth_desc);
	children_first(&e);

	reading_condition_of = NULL;	/* left set by an earlier cancel */
	PG_TRY();
	{
		split_by_condition(&e);
		classify(&e);
		if (!e.dry_run)
		{
			anonymize_kept(&e);
			delete_to_fixpoint(&e);
			settle_remaining(&e);
			account(&e);
		}
	}
	PG_CATCH();
	{
		raise_in_own_words(cxt);
	}
	PG_END_TRY();

	suppress_and_log(&e);
	report(&e, rsinfo, cxt);
	explicit_bzero(key, sizeof(key));
	SPI_finish();
	return (Datum) 0;
}
