/*-------------------------------------------------------------------------
 *
 * src/deparse.c
 *	  The one place that turns catalog objects into SQL text (the model is
 *	  postgres_fdw's deparse.c): qualified relation names, quoted column
 *	  names, literals, operators, anchor expressions, due and held
 *	  predicates, and the statements of an enforcement job.
 *
 * Every name comes from the catalogs by OID and is quoted here; every
 * object and operator is schema-qualified, since the SQL runs as a table's
 * owner with search_path = pg_catalog, pg_temp.  Nothing of a label's text
 * reaches the SQL except identifiers resolved through the catalogs.  A name
 * lookup that finds nothing (the object was dropped or the column is gone)
 * is never dereferenced: the _or_null forms return NULL, the others raise
 * "relation changed since planning" (callers validate first, see
 * enforce_plan.c).
 *
 * The statements of a job:
 *
 *	 candidates:  SELECT ctid, <flags> FROM ONLY rel r
 *				   WHERE <due and not done and not held>
 *				   LIMIT $2 FOR UPDATE SKIP LOCKED
 *	 apply:		  DELETE ... WHERE ctid = ANY($2)
 *				  UPDATE ... SET col = CASE WHEN flag THEN <anonymized> ...
 *	 held:		  SELECT count(*) of due rows that a hold protects
 *
 * The due predicate compares the raw anchor column with constants computed
 * once per run (see due_time.c), so an index on the anchor serves it; a
 * foreign-key anchor is a semi-join driven from the parent's anchor.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "nodes/value.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "pg_retention.h"

#define DEFAULT_MASK_KEEP	2

/*
 * retention_raise_changed
 *
 * The error for an object that changed under a job (dropped, renamed,
 * re-owned, untagged, detached): the executor records it as "skipped:
 * relation changed since planning".
 */
void
retention_raise_changed(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("relation changed since planning"),
			 errdetail("A relation or column of the job was dropped, renamed, re-owned, untagged or detached while the run was working."),
			 errhint("The next run plans the job again.")));
}

/*
 * retention_deparse_relation_or_null
 *
 * schema.table of a relation, quoted; NULL if it no longer exists.
 */
char *
retention_deparse_relation_or_null(Oid relid)
{
	char	   *relname = get_rel_name(relid);
	char	   *nspname;

	if (relname == NULL)
		return NULL;
	nspname = get_namespace_name(get_rel_namespace(relid));
	if (nspname == NULL)
		return NULL;
	return quote_qualified_identifier(nspname, relname);
}

/* Where retention_deparse_relation records the relations it names, or NULL. */
static List **reads_sink = NULL;

/*
 * retention_collect_reads
 *
 * From now on, every relation a statement names through
 * retention_deparse_relation (every table it reads or writes) is added to
 * *sink (OIDs, each once); NULL stops collecting.  Returns the previous
 * sink, to be restored by the caller, also on error (PG_FINALLY): the
 * statement's builder thereby says which tables it reads without each
 * builder having to, and retention_check_reads_as checks them before the
 * statement runs.
 */
List	  **
retention_collect_reads(List **sink)
{
	List	  **old = reads_sink;

	reads_sink = sink;
	return old;
}

/*
 * retention_deparse_relation
 *
 * schema.table of a relation, quoted; raises "relation changed since
 * planning" if it no longer exists.  Recorded as read when collecting (see
 * retention_collect_reads).
 */
char *
retention_deparse_relation(Oid relid)
{
	char	   *name = retention_deparse_relation_or_null(relid);

	if (name == NULL)
		retention_raise_changed();
	if (reads_sink)
		*reads_sink = list_append_unique_oid(*reads_sink, relid);
	return name;
}

/*
 * retention_deparse_relation_or_oid
 *
 * schema.table for messages: "relation with OID n" if it no longer exists.
 */
char *
retention_deparse_relation_or_oid(Oid relid)
{
	char	   *name = retention_deparse_relation_or_null(relid);

	return name ? name : psprintf("relation with OID %u", relid);
}

/*
 * retention_deparse_column
 *
 * The quoted name of a live user column; raises "relation changed since
 * planning" if it is dropped or gone.
 */
const char *
retention_deparse_column(Oid relid, AttrNumber attnum)
{
	char	   *name = retention_live_attname(relid, attnum);

	if (name == NULL)
		retention_raise_changed();
	return quote_identifier(name);
}

/* A constant of the anchor's type as SQL text: 'value'::type */
static char *
deparse_literal(Datum value, Oid type)
{
	Oid			output;
	bool		varlena;

	getTypeOutputInfo(type, &output, &varlena);
	return psprintf("%s::%s", quote_literal_cstr(OidOutputFunctionCall(output, value)),
					format_type_extended(type, -1, FORMAT_TYPE_FORCE_QUALIFY));
}

static char *
interval_literal(const Interval *period)
{
	Datum		out = DirectFunctionCall1(interval_out, IntervalPGetDatum(period));

	return psprintf("%s::pg_catalog.interval", quote_literal_cstr(DatumGetCString(out)));
}

/* OPERATOR(schema.name) for an operator OID */
static char *
operator_sql(Oid opno)
{
	HeapTuple	tuple = SearchSysCache1(OPEROID, ObjectIdGetDatum(opno));
	Form_pg_operator op;
	char	   *result;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for operator %u", opno);
	op = (Form_pg_operator) GETSTRUCT(tuple);
	result = psprintf("OPERATOR(%s.%s)", quote_identifier(get_namespace_name(op->oprnamespace)),
					  NameStr(op->oprname));
	ReleaseSysCache(tuple);
	return result;
}

/* The PK = FK equality operator of a single-column foreign key. */
static Oid
fk_equality_operator(Oid conoid)
{
	HeapTuple	tuple = SearchSysCache1(CONSTROID, ObjectIdGetDatum(conoid));
	AttrNumber	conkey[INDEX_MAX_KEYS];
	AttrNumber	confkey[INDEX_MAX_KEYS];
	Oid			pf_eq_oprs[INDEX_MAX_KEYS];
	int			numkeys;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for constraint %u", conoid);
	/* conkey and confkey are always written to */
	DeconstructFkConstraintRow(tuple, &numkeys, conkey, confkey, pf_eq_oprs, NULL, NULL, NULL, NULL);
	ReleaseSysCache(tuple);
	return pf_eq_oprs[0];
}

/* ----------------------------------------------------------------
 * The 0.2.0 policy model: anchor lists, latest(), period= and variant=
 * ----------------------------------------------------------------
 */

/*
 * The value of an item on alias r, in its own type: a column of the row,
 * the parent's column through the foreign key, or the latest value among
 * the child rows that reference the row (NULL when there are none).
 */
static char *
item_value_sql(RetentionTag *tag, RetentionItem *item)
{
	switch (item->kind)
	{
		case RETENTION_ITEM_COLUMN:
			return psprintf("r.%s", retention_deparse_column(tag->relid, item->attnum));
		case RETENTION_ITEM_FK:
			return psprintf("(SELECT p.%s FROM %s p WHERE p.%s %s r.%s)",
							retention_deparse_column(item->other_relid, item->other_attnum),
							retention_deparse_relation(item->other_relid),
							retention_deparse_column(item->other_relid, item->key_attnum),
							operator_sql(fk_equality_operator(item->conoid)),
							retention_deparse_column(tag->relid, item->attnum));
		case RETENTION_ITEM_LATEST:
			return psprintf("(SELECT pg_catalog.max(c.%s) FROM %s c WHERE r.%s %s c.%s)",
							retention_deparse_column(item->other_relid, item->other_attnum),
							retention_deparse_relation(item->other_relid),
							retention_deparse_column(tag->relid, item->ref_attnum),
							operator_sql(fk_equality_operator(item->conoid)),
							retention_deparse_column(item->other_relid, item->key_attnum));
	}
	return NULL;				/* keep compiler quiet */
}

/*
 * The variant of the row on alias r under a tag with variant=, as the FROM
 * and WHERE of a lookup in retention.category_variant: the variant whose
 * name equals the row's value cast to text (so a char(n) value without its
 * padding, a number as its type prints it, case as stored).
 */
static char *
variant_match_sql(RetentionTag *tag)
{
	return psprintf("FROM retention.category_variant v WHERE v.category OPERATOR(pg_catalog.=) %s"
					" AND v.variant OPERATOR(pg_catalog.=) (%s)::pg_catalog.text",
					quote_literal_cstr(tag->category->name),
					item_value_sql(tag, tag->label.variant));
}

/*
 * The rule of a tag as SQL on alias r: period, boundary and zone.  A
 * variant= key looks the row's variant up in retention.category_variant
 * (no match: the category's rule); a period= key overrides the period where
 * the row has one (never below zero).
 */
static void
rule_sql(RetentionTag *tag, char **period, char **starts, char **zone)
{
	RetentionRule *rule = &tag->category->rule;

	*period = interval_literal(&rule->period);
	*starts = quote_literal_cstr(tag->category->starts);
	*zone = quote_literal_cstr(rule->time_zone);
	if (tag->label.variant)
	{
		char	   *match = variant_match_sql(tag);

		*period = psprintf("COALESCE((SELECT v.period %s), %s)", match, *period);
		*starts = psprintf("COALESCE((SELECT v.starts %s), %s)", match, *starts);
		*zone = psprintf("COALESCE((SELECT v.time_zone %s), %s)", match, *zone);
	}
	if (tag->label.period)
		*period = psprintf("GREATEST(COALESCE(%s, %s), '0'::pg_catalog.interval)",
						   item_value_sql(tag, tag->label.period), *period);
}

/* due_time() of value under one rule, with period= over its period. */
static char *
one_rule_due_sql(RetentionTag *tag, const char *value, const RetentionRule *rule,
				 const char *starts)
{
	char	   *period = interval_literal(&rule->period);

	if (tag->label.period)
		period = psprintf("GREATEST(COALESCE(%s, %s), '0'::pg_catalog.interval)",
						  item_value_sql(tag, tag->label.period), period);
	return psprintf("retention.due_time(%s, %s, %s, %s)", value, period,
					quote_literal_cstr(starts), quote_literal_cstr(rule->time_zone));
}

/*
 * When value falls due under the tag's rule on alias r, with the variants
 * read when the statement is built (variant=: the variant whose name equals
 * the row's value as text, else the category's rule), so that no row looks
 * them up.  The same rule as rule_sql's, which reads them as the statement
 * runs.
 */
static char *
planned_due_sql(RetentionTag *tag, const char *value, List *variants)
{
	StringInfoData buf;
	char	   *selector;
	ListCell   *lc;

	if (variants == NIL)
		return one_rule_due_sql(tag, value, &tag->category->rule, tag->category->starts);
	selector = item_value_sql(tag, tag->label.variant);
	initStringInfo(&buf);
	appendStringInfoString(&buf, "CASE");
	foreach(lc, variants)
	{
		RetentionVariant *v = lfirst(lc);

		appendStringInfo(&buf, " WHEN (%s)::pg_catalog.text OPERATOR(pg_catalog.=) %s::pg_catalog.text THEN %s",
						 selector, quote_literal_cstr(v->name),
						 one_rule_due_sql(tag, value, &v->rule, v->starts));
	}
	appendStringInfo(&buf, " ELSE %s END",
					 one_rule_due_sql(tag, value, &tag->category->rule, tag->category->starts));
	return buf.data;
}

static List *
tag_variants(RetentionTag *tag)
{
	return tag->label.variant ? retention_load_variants(tag->category) : NIL;
}

/* Is a before b, as values of an anchor type? */
static bool
anchor_before(Datum a, Datum b, Oid type)
{
	if (type == DATEOID)
		return DatumGetDateADT(a) < DatumGetDateADT(b);
	return DatumGetInt64(a) < DatumGetInt64(b);
}

/*
 * The band of a tag with variant= (and no period=): every value up to *safe
 * is due under each of the rules, no value after *upper under any of them
 * (see retention_cutoff), so only the values between need due_time().
 */
static void
variant_band(RetentionTag *tag, List *variants, Oid type, TimestampTz now,
			 Datum *safe, Datum *upper)
{
	Datum		exact;
	ListCell   *lc;

	retention_cutoff(type, &tag->category->rule, now, &exact, safe, upper);
	foreach(lc, variants)
	{
		RetentionVariant *v = lfirst(lc);
		Datum		s,
					u;

		retention_cutoff(type, &v->rule, now, &exact, &s, &u);
		if (anchor_before(s, *safe, type))
			*safe = s;
		if (anchor_before(*upper, u, type))
			*upper = u;
	}
}

/*
 * The due predicate of one item (NULL when the item's value is NULL).  With
 * the category's rule, or variants of it, the value is compared with the
 * run's cutoffs, as for a 0.1.0 anchor (with variants: the widest band of
 * them all); with a period read from the row only anchors up to a day from
 * now can be due (no period is negative), and those are checked with
 * due_time() one by one.
 */
static char *
item_due_sql(RetentionTag *tag, RetentionItem *item, TimestampTz now)
{
	char	   *value = item_value_sql(tag, item);
	List	   *variants = tag_variants(tag);
	char	   *check;

	check = psprintf("%s OPERATOR(pg_catalog.<=) %s", planned_due_sql(tag, value, variants),
					 deparse_literal(TimestampTzGetDatum(now), TIMESTAMPTZOID));
	if (tag->label.period == NULL)
	{
		Datum		safe,
					upper;

		variant_band(tag, variants, item->type, now, &safe, &upper);
		return psprintf("(%s OPERATOR(pg_catalog.<=) %s AND (%s OPERATOR(pg_catalog.<=) %s OR %s))",
						value, deparse_literal(upper, item->type),
						value, deparse_literal(safe, item->type), check);
	}
	else
	{
		TimestampTz bound = now + USECS_PER_DAY;
		Datum		d;

		if (item->type == DATEOID)
			d = DirectFunctionCall1(timestamp_date, TimestampGetDatum(bound));
		else
			d = TimestampGetDatum(bound);
		return psprintf("(%s OPERATOR(pg_catalog.<=) %s AND %s)",
						value, deparse_literal(d, item->type), check);
	}
}

/*
 * The due predicate of a tag with several anchors, latest() or a rule read
 * from the row: anchor=a|b is due when one item is due; anchor=a,b when
 * every item with a value is due and one has a value.  NULL items are
 * ignored; all NULL is never due.
 */
static char *
complex_due_sql(RetentionTag *tag, TimestampTz now)
{
	StringInfoData buf;
	StringInfoData any;
	ListCell   *lc;

	initStringInfo(&buf);
	initStringInfo(&any);
	foreach(lc, tag->label.anchor_items)
	{
		RetentionItem *item = lfirst(lc);
		char	   *due = item_due_sql(tag, item, now);
		bool		first = foreach_current_index(lc) == 0;

		if (tag->label.anchor_mode == '|')
			appendStringInfo(&buf, "%sCOALESCE(%s, false)", first ? "" : " OR ", due);
		else
		{
			char	   *value = item_value_sql(tag, item);

			appendStringInfo(&buf, "%s(%s IS NULL OR %s)", first ? "" : " AND ", value, due);
			appendStringInfo(&any, "%s%s IS NOT NULL", first ? "" : " OR ", value);
		}
	}
	if (any.len)
		return psprintf("(%s AND (%s))", buf.data, any.data);
	return psprintf("(%s)", buf.data);
}

/*
 * due_at_sql
 *
 * When the row on alias r falls due under a tag, as a timestamptz
 * expression; NULL for a row that is never due or outside the tag (when=).
 * planned: the variants as read now (planned_due_sql), else as the
 * statement reads them (rule_sql).
 */
static char *
due_at_sql(RetentionTag *tag, bool planned)
{
	List	   *variants = planned ? tag_variants(tag) : NIL;
	char	   *period,
			   *starts,
			   *zone;
	char	   *result;
	char	   *condition;
	StringInfoData buf;
	ListCell   *lc;

	rule_sql(tag, &period, &starts, &zone);
	initStringInfo(&buf);
	if (!tag->complex)
		appendStringInfoString(&buf, retention_anchor_sql(tag));
	foreach(lc, tag->complex ? tag->label.anchor_items : NIL)
	{
		char	   *value = item_value_sql(tag, lfirst(lc));

		if (foreach_current_index(lc) > 0)
			appendStringInfoString(&buf, ", ");
		if (planned)
			appendStringInfoString(&buf, planned_due_sql(tag, value, variants));
		else
			appendStringInfo(&buf, "retention.due_time(%s, %s, %s, %s)", value, period, starts, zone);
	}
	if (!tag->complex)
		result = psprintf("retention.due_time(%s, %s, %s, %s)", buf.data, period, starts, zone);
	else
		result = list_length(tag->label.anchor_items) == 1 ? buf.data
			: psprintf("%s(%s)", tag->label.anchor_mode == '|' ? "LEAST" : "GREATEST", buf.data);
	condition = retention_condition_sql(tag, "r");
	if (condition)
		result = psprintf("CASE WHEN %s THEN %s END", condition, result);
	return result;
}

/*
 * retention_due_at_sql
 *
 * When the row on alias r falls due under a tag (see due_at_sql), reading
 * the variants in the statement's own snapshot: the export shows it.
 */
char *
retention_due_at_sql(RetentionTag *tag)
{
	return due_at_sql(tag, false);
}

/*
 * retention_planned_due_at_sql
 *
 * The same with the variants read now, for statements built and run at
 * once (preview's oldest and next due times).
 */
char *
retention_planned_due_at_sql(RetentionTag *tag)
{
	return due_at_sql(tag, true);
}

/*
 * retention_variant_sql
 *
 * The name of the category variant whose rule retention_due_at_sql applies
 * to the row on alias r, as a text expression (the same lookup); NULL when
 * no variant matches, the value is NULL or the row is outside the tag
 * (when=).  The tag has a variant= key.
 */
char *
retention_variant_sql(RetentionTag *tag)
{
	char	   *result = psprintf("(SELECT v.variant %s)", variant_match_sql(tag));
	char	   *condition = retention_condition_sql(tag, "r");

	if (condition)
		result = psprintf("CASE WHEN %s THEN %s END", condition, result);
	return result;
}

/*
 * retention_deparse_due
 *
 * The due predicate of a tag on alias r (see due_time.c for the band).
 * Also records the cutoff for preview and status.
 */
char *
retention_deparse_due(RetentionTag *tag, TimestampTz now, Datum *cutoff, Datum *exact)
{
	RetentionRule *rule = &tag->category->rule;
	Datum		safe,
				upper;
	char	   *column;
	char	   *prefix;
	char	   *check;
	char	   *condition = retention_condition_sql(tag, "r");

	if (tag->complex)
	{
		/* no single cutoff: see complex_due_sql */
		*cutoff = *exact = (Datum) 0;
		check = complex_due_sql(tag, now);
		return condition ? psprintf("(COALESCE(%s, false) AND %s)", condition, check) : check;
	}
	retention_cutoff(tag->anchor_type, rule, now, exact, &safe, &upper);
	*cutoff = safe;

	if (OidIsValid(tag->fk_conoid))
	{
		column = psprintf("p.%s", retention_deparse_column(tag->parent_relid,
														   tag->parent_attnum));
		prefix = psprintf("EXISTS (SELECT 1 FROM %s p WHERE p.%s %s r.%s AND ",
						  retention_deparse_relation(tag->parent_relid),
						  retention_deparse_column(tag->parent_relid, tag->parent_key_attnum),
						  operator_sql(fk_equality_operator(tag->fk_conoid)),
						  retention_deparse_column(tag->relid, tag->anchor_attnum));
	}
	else
	{
		column = psprintf("r.%s", retention_deparse_column(tag->relid,
														   tag->anchor_attnum));
		prefix = "(";
	}
	check = psprintf("retention.due_time(%s, %s, %s, %s) OPERATOR(pg_catalog.<=) %s",
					 column, interval_literal(&rule->period),
					 quote_literal_cstr(tag->category->starts),
					 quote_literal_cstr(rule->time_zone),
					 deparse_literal(TimestampTzGetDatum(now), TIMESTAMPTZOID));
	check = psprintf("%s%s OPERATOR(pg_catalog.<=) %s AND (%s OPERATOR(pg_catalog.<=) %s OR %s))",
					 prefix, column, deparse_literal(upper, tag->anchor_type),
					 column, deparse_literal(safe, tag->anchor_type), check);
	/* rows where the condition is not true are outside the tag */
	return condition ? psprintf("(COALESCE(%s, false) AND %s)", condition, check) : check;
}

/*
 * retention_held_sql
 *
 * "Row alias is protected by an active subject hold on one of its
 * identifier columns" (subject_columns: tags with subject=kind on its
 * table), parenthesized, or NULL when no active hold concerns a kind the
 * columns carry.  A NULL identifier matches no hold.  The one copy that
 * enforcement and erasure use.
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
						 alias, retention_deparse_column(tag->relid, tag->attnum));
	}
	return buf.len ? psprintf("(%s)", buf.data) : NULL;
}

/* How far up foreign keys a subject hold reaches: as far as the export goes down. */
#define HELD_PARENT_DEPTH	8

static char *held_through_parents(Oid relid, List *tags, const RetentionHolds *holds,
								  const char *alias, int depth);

/*
 * retention_held_through_parents_sql
 *
 * "Row alias of relid references, through a foreign key of relid and up to
 * HELD_PARENT_DEPTH keys further up, a row that an active subject hold
 * protects by its identifier columns", parenthesized; NULL when no hold can
 * reach relid that way.  A subject hold thereby covers the rows an export
 * of the person returns: the rows their identifiers are in and the rows
 * that reference those, at any depth.  tags: every tag (the identifier
 * columns of each parent are taken from it).  The parents are read by the
 * role the statement runs as (the table's owner).
 */
char *
retention_held_through_parents_sql(Oid relid, List *tags, const RetentionHolds *holds,
								   const char *alias)
{
	return held_through_parents(relid, tags, holds, alias, 0);
}

static char *
held_through_parents(Oid relid, List *tags, const RetentionHolds *holds,
					 const char *alias, int depth)
{
	Relation	conrel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tuple;
	StringInfoData buf;

	if (holds == NULL || holds->subject_kinds == NIL || depth >= HELD_PARENT_DEPTH)
		return NULL;
	initStringInfo(&buf);
	/* relid's own constraints, through the index: no lock on relid */
	conrel = table_open(ConstraintRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_constraint_conrelid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(relid));
	scan = systable_beginscan(conrel, ConstraintRelidTypidNameIndexId, true, NULL, 1, &key);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tuple);
		Oid			parent = con->confrelid;
		char	   *palias;
		List	   *subject_columns = NIL;
		ListCell   *lc;
		char	   *own;
		char	   *up;
		AttrNumber	conkey[INDEX_MAX_KEYS];
		AttrNumber	confkey[INDEX_MAX_KEYS];
		Oid			pf_eq[INDEX_MAX_KEYS];
		int			nkeys;

		if (con->contype != CONSTRAINT_FOREIGN || con->conrelid != relid)
			continue;
		palias = psprintf("p%d", depth + 1);
		foreach(lc, tags)
		{
			RetentionTag *tag = lfirst(lc);

			if (tag->relid == parent && tag->attnum != 0 && tag->label.subject &&
				tag->problem.sqlerrcode == 0)
				subject_columns = lappend(subject_columns, tag);
		}
		own = retention_held_sql(subject_columns, holds, palias);
		up = held_through_parents(parent, tags, holds, palias, depth + 1);
		if (own == NULL && up == NULL)
			continue;
		DeconstructFkConstraintRow(tuple, &nkeys, conkey, confkey, pf_eq, NULL, NULL, NULL, NULL);
		appendStringInfo(&buf, "%sEXISTS (SELECT 1 FROM %s %s WHERE ", buf.len ? " OR " : "",
						 retention_deparse_relation(parent), palias);
		for (int k = 0; k < nkeys; k++)
			appendStringInfo(&buf, "%s.%s %s %s.%s AND ", palias,
							 retention_deparse_column(parent, confkey[k]),
							 operator_sql(pf_eq[k]), alias,
							 retention_deparse_column(relid, conkey[k]));
		appendStringInfo(&buf, "(%s%s%s))", own ? own : "", own && up ? " OR " : "", up ? up : "");
	}
	systable_endscan(scan);
	table_close(conrel, AccessShareLock);
	return buf.len ? psprintf("(%s)", buf.data) : NULL;
}

/*
 * The disjunction of two held predicates, either of which may be NULL.
 */
char *
retention_held_or(char *a, char *b)
{
	if (a == NULL)
		return b;
	if (b == NULL)
		return a;
	return psprintf("(%s OR %s)", a, b);
}

/*
 * retention_row_held_sql
 *
 * Is row alias of relid (a table carrying tags) held?  "true" for a hold
 * on its table or on the category of one of its tags (the row inside the
 * tag's condition, where it has one: when=), the subject-hold
 * test of its identifier columns, NULL when no active hold can touch it.
 * tags: every tag (others are skipped).
 */
char *
retention_row_held_sql(Oid relid, List *tags, const RetentionHolds *holds,
					   const char *alias)
{
	List	   *subject_columns = NIL;
	char	   *by_category = NULL;
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
		{
			/* a category hold covers the rows inside the tag (when=) */
			char	   *condition = retention_condition_sql(tag, alias);

			if (condition == NULL)
				return "true";
			by_category = retention_held_or(by_category,
											psprintf("COALESCE(%s, false)", condition));
		}
		if (tag->attnum != 0 && tag->label.subject)
			subject_columns = lappend(subject_columns, tag);
	}
	return retention_held_or(by_category,
							 retention_held_or(retention_held_sql(subject_columns, holds, alias),
											   retention_held_through_parents_sql(relid, tags, holds, alias)));
}

static bool probe_applies(Form_pg_constraint con, List *tags,
						  const RetentionHolds *holds, char **held);

/*
 * Does this foreign key (pointing at the tagged table) keep a due row:
 * a key that refuses the delete, or a cascading key whose referencing rows
 * a hold protects?  *held gets the hold test for the latter.
 */
static bool
probe_applies(Form_pg_constraint con, List *tags, const RetentionHolds *holds,
			  char **held)
{
	*held = NULL;
	if (con->confdeltype == FKCONSTR_ACTION_NOACTION || con->confdeltype == FKCONSTR_ACTION_RESTRICT)
		return true;
	*held = retention_row_held_sql(con->conrelid, tags, holds, "c");
	return *held != NULL;
}

/*
 * retention_referenced_probes
 *
 * The foreign keys that can keep a due row of tagged_relid, as constraint
 * OIDs: a key that would refuse the delete (NO ACTION, RESTRICT), or one
 * that would delete or change held referencing rows (a delete must not
 * reach held data by cascade).  Keys declared on a partitioned table or on
 * a partition alike (not their clones).  Each is probed as its table's
 * owner (enforce.c), never inside the batch statement.
 */
List *
retention_referenced_probes(Oid tagged_relid, List *tags, const RetentionHolds *holds)
{
	Relation	conrel = table_open(ConstraintRelationId, AccessShareLock);
	SysScanDesc scan = systable_beginscan(conrel, InvalidOid, false, NULL, 0, NULL);
	HeapTuple	tuple;
	List	   *probes = NIL;

	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tuple);
		char	   *held;

		if (con->contype != CONSTRAINT_FOREIGN || con->confrelid != tagged_relid ||
			OidIsValid(con->conparentid))
			continue;
		if (probe_applies(con, tags, holds, &held))
			probes = lappend_oid(probes, con->oid);
	}
	systable_endscan(scan);
	table_close(conrel, AccessShareLock);
	return probes;
}

/*
 * retention_deparse_probe_keys
 *
 * ", r.k1, r.k2" for the referenced key columns of a probe's foreign key,
 * the columns a candidate query returns for it; *nkeys gets their number.
 */
static char *
deparse_probe_keys(Oid conoid, Oid tagged_relid, int *nkeys)
{
	HeapTuple	tuple = SearchSysCache1(CONSTROID, ObjectIdGetDatum(conoid));
	AttrNumber	conkey[INDEX_MAX_KEYS];
	AttrNumber	confkey[INDEX_MAX_KEYS];
	Oid			pf_eq[INDEX_MAX_KEYS];
	StringInfoData buf;

	if (!HeapTupleIsValid(tuple))
		retention_raise_changed();
	DeconstructFkConstraintRow(tuple, nkeys, conkey, confkey, pf_eq, NULL, NULL, NULL, NULL);
	ReleaseSysCache(tuple);
	initStringInfo(&buf);
	for (int k = 0; k < *nkeys; k++)
		appendStringInfo(&buf, ", r.%s", retention_deparse_column(tagged_relid, confkey[k]));
	return buf.data;
}

/*
 * retention_deparse_probe
 *
 * The probe of one foreign key for a batch: which of the candidate rows
 * (their key values given as arrays $2.., one per key column) are still
 * referenced from the key's table (by a held row, for a cascading key).
 * Returns the ordinals (1-based, possibly repeated) of those candidates.
 * NULL if the key no longer exists or no longer keeps rows (nothing to
 * probe).  Built at batch time, after the referencing table is locked, so
 * it names that table as it is now.  Runs as the referencing table's owner.
 */
char *
retention_deparse_probe(Oid conoid, List *tags, const RetentionHolds *holds,
						Oid *conrelid)
{
	return retention_deparse_probe_in_run(conoid, tags, holds, conrelid, NIL);
}

/* The delete job of a run on rows of relid (a table or partition), or NULL. */
static EnforceJob *
delete_job_of(List *jobs, Oid relid)
{
	ListCell   *lc;

	foreach(lc, jobs)
	{
		EnforceJob *job = lfirst(lc);

		if (job->is_delete && !job->held && !job->changed &&
			(job->tagged_relid == relid || job->relid == relid))
			return job;
	}
	return NULL;
}

/* How deep preview follows "kept by rows that stay" down the keys. */
#define IN_RUN_DEPTH	4

static char *going_in_run_sql(EnforceJob *job, List *run_jobs,
							  const RetentionHolds *holds, Oid reader, int depth);

/*
 * Does a row of the referencing table of conoid that stays keep row r of
 * job's table?  "EXISTS (...)", or NULL when the key keeps nothing or its
 * table has another owner than reader (a probe reads no other owner's
 * table: the row then counts as not kept, as one level would).
 */
static char *
kept_in_run_sql(Oid conoid, EnforceJob *job, List *run_jobs,
				const RetentionHolds *holds, Oid reader, int depth)
{
	HeapTuple	tuple = SearchSysCache1(CONSTROID, ObjectIdGetDatum(conoid));
	Form_pg_constraint con;
	AttrNumber	conkey[INDEX_MAX_KEYS];
	AttrNumber	confkey[INDEX_MAX_KEYS];
	Oid			pf_eq[INDEX_MAX_KEYS];
	int			nkeys;
	Oid			childrel;
	Oid			parentrel;
	char	   *held;
	char	   *child;
	char	   *alias = psprintf("d%d", depth);
	const char *stays = NULL;
	EnforceJob *going;
	StringInfoData cond;

	if (!HeapTupleIsValid(tuple))
		return NULL;
	con = (Form_pg_constraint) GETSTRUCT(tuple);
	childrel = con->conrelid;
	parentrel = con->confrelid;
	if (retention_relation_owner(childrel) != reader ||
		!probe_applies(con, job->all_tags, holds, &held))
	{
		ReleaseSysCache(tuple);
		return NULL;
	}
	DeconstructFkConstraintRow(tuple, &nkeys, conkey, confkey, pf_eq, NULL, NULL, NULL, NULL);
	ReleaseSysCache(tuple);
	child = retention_deparse_relation_or_null(childrel);
	if (child == NULL)
		return NULL;
	initStringInfo(&cond);
	for (int k = 0; k < nkeys; k++)
	{
		char	   *col = retention_live_attname(childrel, conkey[k]);
		char	   *pcol = retention_live_attname(parentrel, confkey[k]);

		if (col == NULL || pcol == NULL)
			return NULL;
		appendStringInfo(&cond, "%s%s.%s %s r.%s", k ? " AND " : "", alias, quote_identifier(col),
						 operator_sql(pf_eq[k]), quote_identifier(pcol));
	}
	going = delete_job_of(run_jobs, childrel);
	if (held)					/* a cascading key: held rows stay */
		stays = psprintf("EXISTS (SELECT 1 FROM (SELECT %s.*) c WHERE %s)", alias, held);
	else if (going)
		stays = psprintf("NOT EXISTS (SELECT 1 FROM (SELECT %s.*) r WHERE %s)", alias,
						 going_in_run_sql(going, run_jobs, holds, reader, depth + 1));
	return psprintf("EXISTS (SELECT 1 FROM %s %s WHERE %s%s%s)", child, alias, cond.data,
					stays ? " AND " : "", stays ? stays : "");
}

/*
 * The rows of job's table (alias r) that its delete job removes in this
 * run: due and not held (where_due_all), and not kept by referencing rows
 * that stay (a customer kept by tax records keeps the address it
 * references), followed IN_RUN_DEPTH levels down; below that a due row
 * counts as going.
 */
static char *
going_in_run_sql(EnforceJob *job, List *run_jobs, const RetentionHolds *holds,
				 Oid reader, int depth)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	appendStringInfo(&buf, "(%s)", job->where_due_all);
	if (depth >= IN_RUN_DEPTH)
		return buf.data;
	foreach(lc, job->probes)
	{
		char	   *kept = kept_in_run_sql(lfirst_oid(lc), job, run_jobs, holds, reader, depth);

		if (kept)
			appendStringInfo(&buf, " AND NOT %s", kept);
	}
	return buf.data;
}

/*
 * retention_deparse_probe_in_run
 *
 * retention_deparse_probe() for preview and status, which count what a
 * whole run would leave: with the run's jobs given, a referencing row that
 * a delete job of the same run removes first (going_in_run_sql) does not
 * keep a row through a NO ACTION / RESTRICT key, since jobs run children
 * before parents.  Runs, like every probe, as the referencing table's owner,
 * which is who that table's own job runs as.
 */
char *
retention_deparse_probe_in_run(Oid conoid, List *tags, const RetentionHolds *holds,
							   Oid *conrelid, List *run_jobs)
{
	HeapTuple	tuple = SearchSysCache1(CONSTROID, ObjectIdGetDatum(conoid));
	Form_pg_constraint con;
	AttrNumber	conkey[INDEX_MAX_KEYS];
	AttrNumber	confkey[INDEX_MAX_KEYS];
	Oid			pf_eq[INDEX_MAX_KEYS];
	int			nkeys;
	char	   *held;
	char	   *child;
	const char *ordinal;
	StringInfoData unnest;
	StringInfoData names;
	StringInfoData cond;

	if (!HeapTupleIsValid(tuple))
		return NULL;
	con = (Form_pg_constraint) GETSTRUCT(tuple);
	*conrelid = con->conrelid;
	if (!probe_applies(con, tags, holds, &held))
	{
		ReleaseSysCache(tuple);
		return NULL;
	}
	DeconstructFkConstraintRow(tuple, &nkeys, conkey, confkey, pf_eq, NULL, NULL, NULL, NULL);
	ReleaseSysCache(tuple);
	child = retention_deparse_relation_or_null(*conrelid);
	if (child == NULL)
		return NULL;
	initStringInfo(&unnest);
	initStringInfo(&names);
	initStringInfo(&cond);
	for (int k = 0; k < nkeys; k++)
	{
		char	   *col = retention_live_attname(*conrelid, conkey[k]);

		if (col == NULL)
			return NULL;
		appendStringInfo(&unnest, "%spg_catalog.unnest($%d)", k ? ", " : "", k + 2);
		appendStringInfo(&names, "v%d, ", k);
		appendStringInfo(&cond, "%sk.v%d %s c.%s", k ? " AND " : "", k,
						 operator_sql(pf_eq[k]), quote_identifier(col));
	}
	if (held == NULL && run_jobs != NIL)
	{
		EnforceJob *going = delete_job_of(run_jobs, *conrelid);

		if (going)
			held = psprintf("NOT EXISTS (SELECT 1 FROM (SELECT c.*) r WHERE %s)",
							going_in_run_sql(going, run_jobs, holds,
											 retention_relation_owner(*conrelid), 1));
	}
	if (held == NULL)
		return psprintf("SELECT k.i FROM ROWS FROM (%s) WITH ORDINALITY AS k(%si)"
						" WHERE EXISTS (SELECT 1 FROM %s c WHERE %s)",
						unnest.data, names.data, child, cond.data);

	/*
	 * The hold test (and preview's "goes in this run") calls volatile
	 * functions: inside the EXISTS they would keep the planner from making it
	 * a join, and the referencing table would be read once per candidate.  So
	 * join first, behind OFFSET 0 (no qual is pushed into it), and test only
	 * the rows that matched, under alias c with the table's columns (not a
	 * whole-row value: that would detoast every column) and the ordinal under
	 * a name none of them has.  A candidate may come out more than once.
	 */
	ordinal = "i";
	while (get_attnum(*conrelid, ordinal) != InvalidAttrNumber)
		ordinal = psprintf("%s_", ordinal);
	ordinal = quote_identifier(ordinal);
	return psprintf("SELECT c.%s FROM (SELECT k.i AS %s, c.* FROM ROWS FROM (%s) WITH ORDINALITY AS k(%si)"
					" JOIN %s c ON %s OFFSET 0) c WHERE %s",
					ordinal, ordinal, unnest.data, names.data, child, cond.data, held);
}

/* The column's type as SQL, schema-qualified, with its typmod. */
static char *
column_type_sql(Form_pg_attribute att)
{
	return format_type_extended(att->atttypid, att->atttypmod,
								FORMAT_TYPE_TYPEMOD_GIVEN | FORMAT_TYPE_FORCE_QUALIFY);
}

/*
 * retention_anonymized_value_sql
 *
 * The anonymized value of a column tag on alias r, and the predicate that
 * says a value still needs anonymizing (*pending).  Also used by erasure.
 */
char *
retention_anonymized_value_sql(RetentionTag *tag, Oid relid, char **pending)
{
	char	   *name = retention_live_attname(tag->relid, tag->attnum);
	AttrNumber	attnum;
	HeapTuple	tuple;
	FormData_pg_attribute attdata;
	Form_pg_attribute att = &attdata;
	char	   *col;
	char	   *type;
	int32		typmod;
	Oid			base;
	char	   *value;

	/* the column may be gone: never dereference a NULL name */
	if (name == NULL)
		retention_raise_changed();
	attnum = get_attnum(relid, name);	/* a leaf's own number */
	if (attnum == InvalidAttrNumber)
		retention_raise_changed();
	tuple = SearchSysCache2(ATTNUM, ObjectIdGetDatum(relid), Int16GetDatum(attnum));
	if (!HeapTupleIsValid(tuple))
		retention_raise_changed();
	col = psprintf("r.%s", quote_identifier(name));
	memcpy(&attdata, GETSTRUCT(tuple), ATTRIBUTE_FIXED_PART_SIZE);
	ReleaseSysCache(tuple);
	type = column_type_sql(att);
	typmod = att->atttypmod;
	base = getBaseTypeAndTypmod(att->atttypid, &typmod);

	switch (tag->action)
	{
		case RETENTION_ACTION_NULLIFY:
			*pending = psprintf("%s IS NOT NULL", col);
			return "NULL";
		case RETENTION_ACTION_DEFAULT:
			{
				Node	   *def = retention_column_default(relid, attnum);

				value = def ? psprintf("(%s)::%s", deparse_expression(def, NIL, false, false), type)
					: pstrdup("NULL");
				*pending = psprintf("%s IS DISTINCT FROM %s", col, value);
				return value;
			}
		case RETENTION_ACTION_HASH:
			/* keyed per column: the tagged table's column (keyed_hash.c) */
			if (base == BYTEAOID)
			{
				*pending = psprintf("NOT retention._is_pseudonym_bytea(%s::pg_catalog.bytea, $1)", col);
				return psprintf("retention._pseudonym_bytea(%s::pg_catalog.bytea, $1%s)::%s", col,
								retention_pseudonym_column_arg(tag->relid, tag->attnum), type);
			}
			if (base == UUIDOID)
			{
				*pending = psprintf("NOT retention._is_pseudonym_uuid(%s::pg_catalog.uuid, $1)", col);
				return psprintf("retention._pseudonym_uuid(%s::pg_catalog.uuid, $1%s)::%s", col,
								retention_pseudonym_column_arg(tag->relid, tag->attnum), type);
			}
			{
				int			maxlen = (typmod >= VARHDRSZ) ? typmod - VARHDRSZ : 0;

				*pending = psprintf("NOT retention._is_pseudonym(%s::pg_catalog.text, %d, $1)", col, maxlen);
				return psprintf("retention._pseudonym(%s::pg_catalog.text, %d, $1%s)::%s", col, maxlen,
								retention_pseudonym_column_arg(tag->relid, tag->attnum), type);
			}
		case RETENTION_ACTION_MASK:
			value = psprintf("retention.mask(%s::pg_catalog.text, %d)::%s", col,
							 tag->label.keep >= 0 ? tag->label.keep : DEFAULT_MASK_KEEP, type);
			break;
		case RETENTION_ACTION_GENERALIZE:
			if (base == TIMESTAMPTZOID)
				value = psprintf("pg_catalog.date_trunc('month', %s::pg_catalog.timestamptz, %s)::%s",
								 col, quote_literal_cstr(tag->category->rule.time_zone), type);
			else if (base == TIMESTAMPOID)
				value = psprintf("pg_catalog.date_trunc('month', %s::pg_catalog.timestamp)::%s", col, type);
			else if (base == DATEOID)
				value = psprintf("pg_catalog.date_trunc('month', %s::pg_catalog.date)::pg_catalog.date::%s", col, type);
			else if (base == INETOID || base == CIDROID)
				value = psprintf("retention.generalize_inet(%s::pg_catalog.inet)::%s", col, type);
			else
				value = psprintf("(pg_catalog.floor(%s::pg_catalog.numeric OPERATOR(pg_catalog./) " INT64_FORMAT
								 ") OPERATOR(pg_catalog.*) " INT64_FORMAT ")::%s",
								 col, tag->label.bucket, tag->label.bucket, type);
			break;
		default:
			elog(ERROR, "unexpected column action %d", tag->action);
	}
	/* mask and generalize are idempotent: done when applying changes nothing */
	*pending = psprintf("%s IS DISTINCT FROM %s", col, value);
	return value;
}


/*
 * retention_anchor_sql
 *
 * The anchor of a tag as an SQL expression on alias r, in its own type (a
 * scalar subquery on the parent for a foreign-key anchor).
 */
char *
retention_anchor_sql(RetentionTag *tag)
{
	const char *column = retention_deparse_column(tag->relid, tag->anchor_attnum);

	if (!OidIsValid(tag->fk_conoid))
		return psprintf("r.%s", column);
	return psprintf("(SELECT p.%s FROM %s p WHERE p.%s OPERATOR(pg_catalog.=) r.%s)",
					retention_deparse_column(tag->parent_relid, tag->parent_attnum),
					retention_deparse_relation(tag->parent_relid),
					retention_deparse_column(tag->parent_relid, tag->parent_key_attnum),
					column);
}

/*
 * suppress=true on the job's table tag: " RETURNING" and the identifier
 * columns of the table as text (job->suppress_kinds gets their kinds), so
 * that the executor can put them on the suppression list in the batch's
 * transaction; "" otherwise.
 */
static char *
suppress_returning_sql(EnforceJob *job, List *subject_columns)
{
	RetentionTag *table_tag = linitial(job->tags);
	StringInfoData buf;
	ListCell   *lc;

	if (table_tag->label.suppress != 1)
		return "";
	initStringInfo(&buf);
	foreach(lc, subject_columns)
	{
		RetentionTag *tag = lfirst(lc);
		char	   *name = retention_live_attname(tag->relid, tag->attnum);

		if (name == NULL)
			retention_raise_changed();
		appendStringInfo(&buf, "%sr.%s::pg_catalog.text", buf.len ? ", " : " RETURNING ",
						 quote_identifier(name));
		job->suppress_kinds = lappend(job->suppress_kinds, makeString(tag->label.subject));
	}
	return buf.data;
}

/*
 * blocked=anonymize on the job's table tag: the UPDATE that anonymizes the
 * due rows a batch found still referenced ($2: their tids), with the
 * personal columns of retention_blocked_anonymize_tags, each only where it
 * is still to do (so a row is anonymized once, and a second run changes
 * nothing); NULL when the tag does not ask for it or there is nothing to
 * anonymize.  Runs as the table's owner, inside the batch.
 */
static char *
blocked_anonymize_sql(EnforceJob *job, List *subject_columns, const RetentionHolds *holds,
					  List *all_tags)
{
	RetentionTag *table_tag = linitial(job->tags);
	List	   *column_tags = NIL;
	List	   *tags;
	ListCell   *lc;
	StringInfoData sets;
	StringInfoData pending_any;

	if (table_tag->label.blocked != RETENTION_BLOCKED_ANONYMIZE)
		return NULL;
	foreach(lc, all_tags)
	{
		RetentionTag *tag = lfirst(lc);

		if (tag->relid == job->tagged_relid && tag->attnum != 0 && tag->category &&
			tag->problem.sqlerrcode == 0 &&
			!(holds && list_member(holds->categories, makeString(tag->category->name))))
			column_tags = lappend(column_tags, tag);
	}
	tags = retention_blocked_anonymize_tags(table_tag, column_tags, subject_columns);
	if (tags == NIL)
		return NULL;
	initStringInfo(&sets);
	initStringInfo(&pending_any);
	foreach(lc, tags)
	{
		RetentionTag *tag = lfirst(lc);
		char	   *pending;
		char	   *value = retention_anonymized_value_sql(tag, job->relid, &pending);
		const char *col = retention_deparse_column(tag->relid, tag->attnum);

		appendStringInfo(&sets, "%s%s = CASE WHEN %s THEN %s ELSE r.%s END",
						 sets.len ? ", " : "", col, pending, value, col);
		appendStringInfo(&pending_any, "%s(%s)", pending_any.len ? " OR " : "", pending);
	}
	return psprintf("UPDATE ONLY %s r SET %s WHERE r.ctid OPERATOR(pg_catalog.=) ANY ($2) AND (%s)",
					job->relation_name, sets.data, pending_any.data);
}

/*
 * The other ways a batch can take its rows (batch_order.c): the candidates
 * without row locks (the lock-free path re-checks them as it deletes), the
 * candidates of a page range (a sweep in physical order: a TID range scan,
 * no sort), and the due rows as a whole, whose plan says whether the
 * planner would rather read the table than the index for them.
 */
static void
deparse_batch_variants(EnforceJob *job, const char *flags)
{
	const char *locked = " FOR UPDATE OF r SKIP LOCKED";
	size_t		len = strlen(job->candidates_sql) - strlen(locked);

	Assert(strcmp(job->candidates_sql + len, locked) == 0);
	job->candidates_unlocked_sql = pnstrdup(job->candidates_sql, len);
	job->range_candidates_sql = psprintf("SELECT r.ctid%s FROM ONLY %s r WHERE r.ctid OPERATOR(pg_catalog.>=) $4"
										 " AND r.ctid OPERATOR(pg_catalog.<) $5 AND %s LIMIT $2%s",
										 flags, job->relation_name, job->where_due, locked);
	job->due_rows_sql = psprintf("SELECT r.ctid FROM ONLY %s r WHERE %s",
								 job->relation_name, job->where_due_all);
}

/*
 * retention_deparse_job
 *
 * Fills in the statements of a job (and its cutoffs) whose relation, tags,
 * owner and names enforce_plan.c has checked.
 */
void
retention_deparse_job(EnforceJob *job, List *subject_columns,
					  const RetentionHolds *holds, TimestampTz now,
					  List *all_tags)
{
	List	   *tags = job->tags;
	bool		is_delete = job->is_delete;
	char	   *name = job->relation_name;
	char	   *held = retention_held_or(retention_held_sql(subject_columns, holds, "r"),
										 retention_held_through_parents_sql(job->relid, all_tags,
																			holds, "r"));
	StringInfoData due_any;
	StringInfoData flags;
	StringInfoData sets;
	StringInfoData unnest;
	const char *order_by = "";
	ListCell   *lc;
	int			i = 0;

	initStringInfo(&due_any);
	initStringInfo(&flags);
	initStringInfo(&sets);
	initStringInfo(&unnest);
	foreach(lc, tags)
	{
		RetentionTag *tag = lfirst(lc);
		char	   *due = retention_deparse_due(tag, now, &job->cutoffs[i], &job->exact_cutoffs[i]);

		job->due_sql = lappend(job->due_sql, due);
		if (is_delete)
		{
			appendStringInfoString(&due_any, due);
			job->pending_sql = lappend(job->pending_sql, NULL);
		}
		else
		{
			char	   *pending;
			char	   *value = retention_anonymized_value_sql(tag, job->relid, &pending);
			const char *col = retention_deparse_column(tag->relid, tag->attnum);

			job->pending_sql = lappend(job->pending_sql, pending);

			appendStringInfo(&due_any, "%s(%s AND %s)", i ? " OR " : "", due, pending);
			appendStringInfo(&flags, ", (%s AND %s)", due, pending);
			appendStringInfo(&sets, "%s%s = CASE WHEN v.f%d THEN %s ELSE r.%s END",
							 i ? ", " : "", col, i, value, col);
			appendStringInfo(&unnest, ", pg_catalog.unnest($%d::pg_catalog.bool[])", i + 3);
		}
		i++;
	}

	job->where_due_all = psprintf("(%s)%s%s", due_any.data,
								  held ? " AND NOT " : "", held ? held : "");

	/*
	 * Batches do not test references themselves: that would read the
	 * referencing tables as this table's owner.  They lock their candidates
	 * and probe each referencing table as its owner (enforce.c); the
	 * candidates return the referenced key columns for that, and rows found
	 * blocked are excluded from later batches ($3).
	 */
	job->where_due = psprintf("%s AND NOT (r.ctid OPERATOR(pg_catalog.=) ANY ($3))", job->where_due_all);
	job->probes = is_delete ? retention_referenced_probes(job->tagged_relid, all_tags, holds) : NIL;
	job->probe_nkeys = NIL;
	foreach(lc, job->probes)
	{
		int			nkeys;

		appendStringInfoString(&flags, deparse_probe_keys(lfirst_oid(lc), job->tagged_relid, &nkeys));
		job->probe_nkeys = lappend_int(job->probe_nkeys, nkeys);
	}
	job->skipped_count_sql = psprintf("SELECT pg_catalog.count(*) FROM ONLY %s r WHERE %s",
									  name, job->where_due);

	/*
	 * counting blocked rows without locking them (preview, status): chunks by
	 * ctid
	 */
	job->blocked_scan_sql = job->probes != NIL
		? psprintf("SELECT r.ctid%s FROM ONLY %s r WHERE %s AND r.ctid OPERATOR(pg_catalog.>) $2"
				   " ORDER BY r.ctid LIMIT $3",
				   flags.data, name, job->where_due_all)
		: NULL;
	job->held_sql = held
		? psprintf("SELECT pg_catalog.count(*) FROM ONLY %s r WHERE (%s) AND %s", name, due_any.data, held)
		: NULL;
	job->due_count_sql = psprintf("SELECT pg_catalog.count(*) FROM ONLY %s r WHERE (%s)", name, due_any.data);

	/*
	 * One tag on a column of the row: take batches in anchor order and let
	 * each start where the last one ended, so that no batch walks the index
	 * over what the ones before it deleted.
	 */
	job->resumable = list_length(tags) == 1 &&
		!OidIsValid(((RetentionTag *) linitial(tags))->fk_conoid) &&
		!((RetentionTag *) linitial(tags))->complex;
	if (job->resumable)
	{
		RetentionTag *tag = linitial(tags);
		const char *anchor = retention_deparse_column(tag->relid, tag->anchor_attnum);

		job->resume_from = tag->anchor_type == DATEOID ? DateADTGetDatum(DATEVAL_NOBEGIN)
			: TimestampGetDatum(DT_NOBEGIN);
		job->candidates_sql = psprintf("SELECT r.ctid%s, r.%s FROM ONLY %s r WHERE %s AND r.%s OPERATOR(pg_catalog.>=) $4"
									   " ORDER BY r.%s LIMIT $2 FOR UPDATE OF r SKIP LOCKED",
									   flags.data, anchor, name, job->where_due, anchor, anchor);
		order_by = psprintf(" ORDER BY r.%s", anchor);
	}
	else
		job->candidates_sql = psprintf("SELECT r.ctid%s FROM ONLY %s r WHERE %s LIMIT $2 FOR UPDATE OF r SKIP LOCKED",
									   flags.data, name, job->where_due);
	/* "any due row left?", in anchor order: the index answers it at once */
	job->any_due_sql = psprintf("SELECT pg_catalog.count(*) FROM (SELECT FROM ONLY %s r WHERE %s%s LIMIT 1) s",
								name, job->where_due, order_by);

	deparse_batch_variants(job, flags.data);
	if (is_delete)
	{
		const char *returning = suppress_returning_sql(job, subject_columns);

		job->apply_sql = psprintf("DELETE FROM ONLY %s r WHERE r.ctid OPERATOR(pg_catalog.=) ANY ($2)%s",
								  name, returning);
		/* the lock-free batches re-check every row version they delete */
		job->checked_delete_sql = psprintf("DELETE FROM ONLY %s r WHERE r.ctid OPERATOR(pg_catalog.=) ANY ($2) AND %s%s",
										   name, job->where_due_all, returning);
		/* the inner r (a page range's due rows, at most $2) hides the outer */
		job->range_delete_sql = psprintf("DELETE FROM ONLY %s r WHERE r.ctid OPERATOR(pg_catalog.=) ANY (ARRAY("
										 "SELECT r.ctid FROM ONLY %s r WHERE r.ctid OPERATOR(pg_catalog.>=) $4"
										 " AND r.ctid OPERATOR(pg_catalog.<) $5 AND %s LIMIT $2)) AND %s%s",
										 name, name, job->where_due, job->where_due_all, returning);
		job->blocked_apply_sql = blocked_anonymize_sql(job, subject_columns, holds, all_tags);
	}
	else
	{
		StringInfoData cols;
		StringInfoData vcols;

		initStringInfo(&cols);
		initStringInfo(&vcols);
		for (i = 0; i < list_length(tags); i++)
		{
			appendStringInfo(&cols, ", f%d", i);
			appendStringInfo(&vcols, ", v.f%d", i);
		}
		/* still_pending, then the flags of the rows actually updated */
		job->apply_sql = psprintf("UPDATE ONLY %s r SET %s FROM ROWS FROM (pg_catalog.unnest($2::pg_catalog.tid[])%s) AS v(tid%s) "
								  "WHERE r.ctid OPERATOR(pg_catalog.=) v.tid RETURNING (%s) AS still_pending%s",
								  name, sets.data, unnest.data, cols.data, due_any.data, vcols.data);
	}
}

/*
 * retention_deparse_partition_step
 *
 * The statements of the partition step (enforce_partition.c) for a job on
 * a partition: the probe of its re-check band ($2 = the cutoff below which
 * every anchor is due: is a row above it not due?), and the DROP TABLE, or
 * the DETACH PARTITION from its parent.
 */
void
retention_deparse_partition_step(const EnforceJob *job, bool detach,
								 char **probe_sql, char **step_sql)
{
	RetentionTag *tag = linitial(job->tags);

	*probe_sql = psprintf("SELECT 1 FROM ONLY %s r WHERE r.%s OPERATOR(pg_catalog.>) $2 AND (%s) IS NOT TRUE LIMIT 1",
						  job->relation_name, retention_deparse_column(tag->relid, tag->anchor_attnum),
						  (char *) linitial(job->due_sql));
	if (detach)
		*step_sql = psprintf("ALTER TABLE %s DETACH PARTITION %s",
							 retention_deparse_relation(get_partition_parent(job->relid, true)),
							 job->relation_name);
	else
		*step_sql = psprintf("DROP TABLE %s", job->relation_name);
}
