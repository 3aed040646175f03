/*-------------------------------------------------------------------------
 *
 * src/hold_sql.c
 *	  SQL text of the legal-hold predicates, one copy for enforcement and
 *	  erasure: "this row is protected by a subject hold" and "this row of a
 *	  referencing table is held".
 *
 * The predicates call retention._subject_held(kind, value, $1), so they run
 * only inside the executor (retention_set_executor_active), with its token
 * bound as $1.  A column of a tag that no longer exists (dropped since the
 * tags were read) is an object that changed: the statement is refused, it
 * never runs without the hold.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "nodes/value.h"
#include "utils/builtins.h"

#include "pg_retention.h"

/* The live name of a tag's column, or a clean error if it was dropped. */
static const char *
held_column(RetentionTag *tag)
{
	char	   *name = retention_live_attname(tag->relid, tag->attnum);

	if (name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("a tagged column changed while pg_retention was working on it"),
				 errdetail("Column %d of relation %u was dropped.", tag->attnum, tag->relid),
				 errhint("Repeat the request; the tags are read again.")));
	return quote_identifier(name);
}

/*
 * retention_held_sql
 *
 * "Row alias is protected by an active subject hold on one of its
 * identifier columns" (subject_columns: tags with subject=kind on its
 * table), parenthesized, or NULL when no active hold concerns a kind the
 * columns carry.  A NULL identifier matches no hold.
 */
char *
retention_held_sql(List *subject_columns, const RetentionHolds *holds,
				   const char *alias)
{
	StringInfoData buf;
	ListCell   *lc;

	if (holds == NULL)
		return NULL;
	initStringInfo(&buf);
	foreach(lc, subject_columns)
	{
		RetentionTag *tag = lfirst(lc);

		if (tag->label.subject == NULL ||
			!list_member(holds->subject_kinds, makeString(tag->label.subject)))
			continue;
		appendStringInfo(&buf, "%scoalesce(retention._subject_held(%s, %s.%s::pg_catalog.text, $1), false)",
						 buf.len ? " OR " : "", quote_literal_cstr(tag->label.subject),
						 alias, held_column(tag));
	}
	return buf.len ? psprintf("(%s)", buf.data) : NULL;
}

/*
 * retention_row_held_sql
 *
 * "Row alias of table relid (a table carrying tags) is held": "true" for a
 * hold on the table or on the category of one of its tags, the subject-hold
 * test of its identifier columns, or NULL when no active hold can touch
 * it.  tags: every tag (others are skipped).
 */
char *
retention_row_held_sql(Oid relid, List *tags, const RetentionHolds *holds,
					   const char *alias)
{
	List	   *subject_columns = NIL;
	ListCell   *lc;

	if (holds == NULL)
		return NULL;
	if (list_member_oid(holds->tables, relid))
		return "true";
	foreach(lc, tags)
	{
		RetentionTag *tag = lfirst(lc);

		if (tag->relid != relid || tag->problem.sqlerrcode != 0)
			continue;
		if (tag->category && list_member(holds->categories, makeString(tag->category->name)))
			return "true";
		if (tag->attnum != 0 && tag->label.subject)
			subject_columns = lappend(subject_columns, tag);
	}
	return retention_held_sql(subject_columns, holds, alias);
}
