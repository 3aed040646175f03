/*-------------------------------------------------------------------------
 *
 * src/enforce_plan.c
 *	  Turning tags into enforcement jobs and the SQL they run.
 *
 * A job is one relation that rows live in (a table, or a leaf partition of
 * a tagged partitioned table) and what to do there: delete due rows (table
 * tag) or anonymize due values (all column tags of the table, applied in one
 * UPDATE).  Each job carries its statements, built once per run:
 *
 *	 candidates:  SELECT ctid, <flags> FROM ONLY rel r
 *				   WHERE <due and not done and not held>
 *				   LIMIT $1 FOR UPDATE SKIP LOCKED
 *	 apply:		  DELETE ... WHERE ctid = ANY($1)
 *				  UPDATE ... SET col = CASE WHEN flag THEN <anonymized> ...
 *	 held:		  SELECT count(*) of due rows that a hold protects
 *
 * The due predicate compares the raw anchor column with constants computed
 * once per run (see due_time.c), so an index on the anchor serves it; a
 * foreign-key anchor is a semi-join driven from the parent's anchor.  Names
 * are quoted and every object and operator is schema-qualified: the SQL runs
 * as the table's owner with search_path = pg_catalog, pg_temp.  Nothing of a
 * label's text reaches the SQL except identifiers resolved through the
 * catalogs.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "partitioning/partdesc.h"
#include "rewrite/rewriteHandler.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/timestamp.h"
#include "utils/lsyscache.h"
#include "utils/partcache.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"

#include "pg_retention.h"

#define DEFAULT_MASK_KEEP	2

static char *
qualified_name(Oid relid)
{
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  get_rel_name(relid));
}

/* A constant of the anchor's type as SQL text: 'value'::type */
static char *
anchor_literal(Datum value, Oid type)
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
	Datum		text = DirectFunctionCall1(interval_out, IntervalPGetDatum(period));

	return psprintf("%s::pg_catalog.interval", quote_literal_cstr(DatumGetCString(text)));
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

/*
 * The due predicate of a tag on alias r (see due_time.c for the band).
 * Also records the cutoff for preview and status.
 */
static char *
due_clause(RetentionTag *tag, TimestampTz now, Datum *cutoff, Datum *exact)
{
	RetentionRule *rule = &tag->category->rule;
	Datum		safe,
				upper;
	char	   *column;
	char	   *prefix;
	char	   *check;

	retention_cutoff(tag->anchor_type, rule, now, exact, &safe, &upper);
	*cutoff = safe;

	if (OidIsValid(tag->fk_conoid))
	{
		column = psprintf("p.%s", quote_identifier(retention_live_attname(tag->parent_relid,
																		  tag->parent_attnum)));
		prefix = psprintf("EXISTS (SELECT 1 FROM %s p WHERE p.%s %s r.%s AND ",
						  qualified_name(tag->parent_relid),
						  quote_identifier(retention_live_attname(tag->parent_relid, tag->parent_key_attnum)),
						  operator_sql(fk_equality_operator(tag->fk_conoid)),
						  quote_identifier(retention_live_attname(tag->relid, tag->anchor_attnum)));
	}
	else
	{
		column = psprintf("r.%s", quote_identifier(retention_live_attname(tag->relid,
																		  tag->anchor_attnum)));
		prefix = "(";
	}
	check = psprintf("retention.due_time(%s, %s, %s, %s) OPERATOR(pg_catalog.<=) %s",
					 column, interval_literal(&rule->period),
					 quote_literal_cstr(tag->category->starts),
					 quote_literal_cstr(rule->time_zone),
					 anchor_literal(TimestampTzGetDatum(now), TIMESTAMPTZOID));
	return psprintf("%s%s OPERATOR(pg_catalog.<=) %s AND (%s OPERATOR(pg_catalog.<=) %s OR %s))",
					prefix, column, anchor_literal(upper, tag->anchor_type),
					column, anchor_literal(safe, tag->anchor_type), check);
}

/*
 * The "held" predicate of the table's subject columns, or NULL when no
 * active subject hold concerns a kind the table carries.
 */
static char *
held_clause(List *subject_columns, const RetentionHolds *holds)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, subject_columns)
	{
		RetentionTag *tag = lfirst(lc);
		char	   *attname = retention_live_attname(tag->relid, tag->attnum);

		if (!list_member(holds->subject_kinds, makeString(tag->label.subject)))
			continue;
		/* a NULL identifier matches no hold */
		appendStringInfo(&buf, "%scoalesce(retention._subject_held(%s, r.%s::pg_catalog.text, $1), false)",
						 buf.len ? " OR " : "", quote_literal_cstr(tag->label.subject),
						 quote_identifier(attname));
	}
	return buf.len ? psprintf("(%s)", buf.data) : NULL;
}

/*
 * Is a row of relid (alias c) held?  true for a hold on its table or on the
 * category of one of its tags, a subject-hold test for its identifier
 * columns, NULL when no active hold can touch it.
 */
static char *
child_held_sql(Oid relid, List *tags, const RetentionHolds *holds)
{
	StringInfoData buf;
	ListCell   *lc;

	if (holds == NULL)
		return NULL;
	if (list_member_oid(holds->tables, relid))
		return "true";
	initStringInfo(&buf);
	foreach(lc, tags)
	{
		RetentionTag *tag = lfirst(lc);

		if (tag->relid != relid || tag->problem.sqlerrcode != 0)
			continue;
		if (tag->category && list_member(holds->categories, makeString(tag->category->name)))
			return "true";
		if (tag->attnum != 0 && tag->label.subject &&
			list_member(holds->subject_kinds, makeString(tag->label.subject)))
			appendStringInfo(&buf, "%scoalesce(retention._subject_held(%s, c.%s::pg_catalog.text, $1), false)",
							 buf.len ? " OR " : "", quote_literal_cstr(tag->label.subject),
							 quote_identifier(retention_live_attname(tag->relid, tag->attnum)));
	}
	return buf.len ? psprintf("(%s)", buf.data) : NULL;
}

/*
 * retention_referenced_sql
 *
 * "This row cannot go now" on alias r, from the foreign keys that point at
 * the tagged table: any row that references it through a key that would
 * refuse the delete (NO ACTION, RESTRICT), or a held row that references it
 * through a key that would delete or change that row (CASCADE, SET NULL,
 * SET DEFAULT) -- a delete must not reach held data by cascade.  Such rows
 * are left out of delete batches and counted as blocked.  NULL if nothing
 * can block.  tags and holds may be NIL/NULL (then only the first kind).
 */
char *
retention_referenced_sql(Oid tagged_relid, List *tags, const RetentionHolds *holds)
{
	Relation	conrel = table_open(ConstraintRelationId, AccessShareLock);
	SysScanDesc scan = systable_beginscan(conrel, InvalidOid, false, NULL, 0, NULL);
	HeapTuple	tuple;
	StringInfoData buf;

	initStringInfo(&buf);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tuple);
		AttrNumber	conkey[INDEX_MAX_KEYS];
		AttrNumber	confkey[INDEX_MAX_KEYS];
		Oid			pf_eq[INDEX_MAX_KEYS];
		int			nkeys;
		char	   *held = NULL;

		if (con->contype != CONSTRAINT_FOREIGN || con->confrelid != tagged_relid ||
			OidIsValid(con->conparentid))
			continue;
		if (con->confdeltype != FKCONSTR_ACTION_NOACTION && con->confdeltype != FKCONSTR_ACTION_RESTRICT)
		{
			held = child_held_sql(con->conrelid, tags, holds);
			if (held == NULL)
				continue;
		}
		DeconstructFkConstraintRow(tuple, &nkeys, conkey, confkey, pf_eq, NULL, NULL, NULL, NULL);
		appendStringInfo(&buf, "%sEXISTS (SELECT 1 FROM %s c WHERE ", buf.len ? " OR " : "",
						 qualified_name(con->conrelid));
		for (int k = 0; k < nkeys; k++)
			appendStringInfo(&buf, "%sr.%s %s c.%s", k ? " AND " : "",
							 quote_identifier(retention_live_attname(tagged_relid, confkey[k])),
							 operator_sql(pf_eq[k]),
							 quote_identifier(retention_live_attname(con->conrelid, conkey[k])));
		if (held)
			appendStringInfo(&buf, " AND %s", held);
		appendStringInfoChar(&buf, ')');
	}
	systable_endscan(scan);
	table_close(conrel, AccessShareLock);
	return buf.len ? psprintf("(%s)", buf.data) : NULL;
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
	AttrNumber	attnum = get_attnum(relid, name);	/* a leaf's own number */
	HeapTuple	tuple = SearchSysCache2(ATTNUM, ObjectIdGetDatum(relid), Int16GetDatum(attnum));
	FormData_pg_attribute attdata;
	Form_pg_attribute att = &attdata;
	char	   *col = psprintf("r.%s", quote_identifier(name));
	char	   *type;
	int32		typmod;
	Oid			base;
	char	   *value;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for column %d of relation %u", attnum, relid);
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

/* A job for one relation, with its statements. */
static EnforceJob *
make_job(Oid tagged_relid, Oid relid, List *tags, bool is_delete,
		 List *subject_columns, const RetentionHolds *holds, TimestampTz now,
		 List *all_tags)
{
	EnforceJob *job = palloc0(sizeof(EnforceJob));
	HeapTuple	reltup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	char	   *name = qualified_name(relid);
	char	   *held = held_clause(subject_columns, holds);
	char	   *referenced;
	StringInfoData due_any;
	StringInfoData flags;
	StringInfoData sets;
	StringInfoData unnest;
	ListCell   *lc;
	int			i = 0;

	job->tagged_relid = tagged_relid;
	job->relid = relid;
	/* no lock: planning never waits; each batch takes its own locks */
	if (!HeapTupleIsValid(reltup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	job->owner = ((Form_pg_class) GETSTRUCT(reltup))->relowner;
	ReleaseSysCache(reltup);
	job->is_delete = is_delete;
	job->tags = tags;
	job->cutoffs = palloc0(sizeof(Datum) * list_length(tags));
	job->exact_cutoffs = palloc0(sizeof(Datum) * list_length(tags));
	job->relation_name = name;
	job->table_name = qualified_name(tagged_relid);

	initStringInfo(&due_any);
	initStringInfo(&flags);
	initStringInfo(&sets);
	initStringInfo(&unnest);
	foreach(lc, tags)
	{
		RetentionTag *tag = lfirst(lc);
		char	   *due = due_clause(tag, now, &job->cutoffs[i], &job->exact_cutoffs[i]);

		job->due_sql = lappend(job->due_sql, due);
		if (is_delete)
		{
			appendStringInfoString(&due_any, due);
			job->pending_sql = lappend(job->pending_sql, NULL);
		}
		else
		{
			char	   *pending;
			char	   *value = retention_anonymized_value_sql(tag, relid, &pending);
			const char *col = quote_identifier(retention_live_attname(tag->relid, tag->attnum));

			job->pending_sql = lappend(job->pending_sql, pending);

			appendStringInfo(&due_any, "%s(%s AND %s)", i ? " OR " : "", due, pending);
			appendStringInfo(&flags, ", (%s AND %s)", due, pending);
			appendStringInfo(&sets, "%s%s = CASE WHEN v.f%d THEN %s ELSE r.%s END",
							 i ? ", " : "", col, i, value, col);
			appendStringInfo(&unnest, ", pg_catalog.unnest($%d::pg_catalog.bool[])", i + 3);
		}
		i++;
	}

	referenced = is_delete ? retention_referenced_sql(tagged_relid, all_tags, holds) : NULL;
	job->where_due_all = psprintf("(%s)%s%s", due_any.data,
								  held ? " AND NOT " : "", held ? held : "");
	job->where_due = psprintf("(%s)%s%s%s%s", due_any.data,
							  held ? " AND NOT " : "", held ? held : "",
							  referenced ? " AND NOT " : "", referenced ? referenced : "");
	job->held_sql = held
		? psprintf("SELECT pg_catalog.count(*) FROM ONLY %s r WHERE (%s) AND %s", name, due_any.data, held)
		: NULL;
	job->blocked_sql = referenced
		? psprintf("SELECT pg_catalog.count(*) FROM ONLY %s r WHERE (%s)%s%s AND %s", name, due_any.data,
				   held ? " AND NOT " : "", held ? held : "", referenced)
		: NULL;
	job->due_count_sql = psprintf("SELECT pg_catalog.count(*) FROM ONLY %s r WHERE (%s)", name, due_any.data);
	/*
	 * One tag on a column of the row: take batches in anchor order and let
	 * each start where the last one ended, so that no batch walks the index
	 * over what the ones before it deleted.
	 */
	job->resumable = list_length(tags) == 1 &&
		!OidIsValid(((RetentionTag *) linitial(tags))->fk_conoid);
	if (job->resumable)
	{
		RetentionTag *tag = linitial(tags);
		const char *anchor = quote_identifier(retention_live_attname(tag->relid, tag->anchor_attnum));

		job->resume_from = tag->anchor_type == DATEOID ? DateADTGetDatum(DATEVAL_NOBEGIN)
			: TimestampGetDatum(DT_NOBEGIN);
		job->candidates_sql = psprintf("SELECT r.ctid%s, r.%s FROM ONLY %s r WHERE %s AND r.%s OPERATOR(pg_catalog.>=) $3"
									   " ORDER BY r.%s LIMIT $2 FOR UPDATE OF r SKIP LOCKED",
									   flags.data, anchor, name, job->where_due, anchor, anchor);
	}
	else
		job->candidates_sql = psprintf("SELECT r.ctid%s FROM ONLY %s r WHERE %s LIMIT $2 FOR UPDATE OF r SKIP LOCKED",
									   flags.data, name, job->where_due);
	if (is_delete)
		job->apply_sql = psprintf("DELETE FROM ONLY %s r WHERE r.ctid OPERATOR(pg_catalog.=) ANY ($2)", name);
	else
	{
		StringInfoData cols;

		initStringInfo(&cols);
		for (i = 0; i < list_length(tags); i++)
			appendStringInfo(&cols, ", f%d", i);
		job->apply_sql = psprintf("UPDATE ONLY %s r SET %s FROM ROWS FROM (pg_catalog.unnest($2::pg_catalog.tid[])%s) AS v(tid%s) "
								  "WHERE r.ctid OPERATOR(pg_catalog.=) v.tid RETURNING (%s) AS still_pending",
								  name, sets.data, unnest.data, cols.data, due_any.data);
	}
	return job;
}

/*
 * For a range partition whose key is exactly the anchor column: the
 * exclusive upper bound of its key (as a Datum of the anchor type), or false
 * if it has none (MAXVALUE, default partition, other keys).
 */
bool
retention_partition_upper_bound(Oid leaf, AttrNumber anchor_attnum, Datum *bound)
{
	Expr	   *qual = get_partition_qual_relid(leaf);
	List	   *clauses;
	ListCell   *lc;
	bool		found = false;

	if (qual == NULL)
		return false;
	clauses = make_ands_implicit(qual);
	foreach(lc, clauses)
	{
		OpExpr	   *op = lfirst(lc);
		Var		   *var;
		Const	   *c;
		char	   *opname;

		if (!IsA(op, OpExpr) || list_length(op->args) != 2)
			continue;
		var = linitial(op->args);
		c = lsecond(op->args);
		if (IsA(var, RelabelType))
			var = (Var *) ((RelabelType *) var)->arg;
		if (!IsA(var, Var) || !IsA(c, Const) || c->constisnull)
			continue;
		opname = get_opname(op->opno);
		if (var->varattno != anchor_attnum || opname == NULL || strcmp(opname, "<") != 0)
			continue;
		*bound = c->constvalue;
		found = true;
	}
	return found;
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

		if (con->contype == CONSTRAINT_FOREIGN && !OidIsValid(con->conparentid) &&
			con->conrelid != con->confrelid)
			edges = lappend(edges, list_make2_oid(con->conrelid, con->confrelid));
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
	ListCell   *lc;
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
	(void) lc;
	return order_children_first(jobs);
}
