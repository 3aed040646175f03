/*-------------------------------------------------------------------------
 *
 * src/subject_search.c
 *	  Finding one data subject's rows across the database, for export and
 *	  erasure; the prepared plans of the search; the request log.
 *
 * Finding a person's rows:
 *	 1. every column tagged subject=kind, for the kinds in the request, is
 *		searched for the request's identifiers, compared in normalized form
 *		(retention.normalize_identifier; an expression index on
 *		retention.normalize_identifier('kind', col) serves it); integer
 *		columns of other kinds are compared with plain equality, and a value
 *		that is no integer of the column's type matches nothing there;
 *	 2. rows reachable from those through declared foreign keys (children
 *		of the person's rows) are added, breadth first, to SUBJECT_MAX_DEPTH
 *		levels; a row is visited once, so cycles end;
 *	 3. parent rows of tagged tables that only the person's rows reference
 *		(their own address) are added with depth -1; shared ones are not.
 * Rows are kept per leaf relation as TIDs.
 *
 * Every query reads one table, as that table's owner, with row security
 * bypassed, in a security-restricted operation with search_path =
 * pg_catalog, pg_temp -- the way ri_triggers.c checks foreign keys.  A
 * child lookup is two queries: the parent's key values, read as the
 * parent's owner, then the child's rows with those keys (bound as
 * parameters), read as the child's owner.  So no role's code (a policy, a
 * function in an index) ever runs as another role, and the caller cannot
 * point the search at untagged tables (only tags and foreign keys decide
 * where to look).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/partition.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "parser/parse_coerce.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "subject.h"

typedef struct VisitKey
{
	Oid			relid;
	ItemPointerData tid;
} VisitKey;

/* Schema-qualified, quoted name of a relation. */
char *
subject_qualified_name(Oid relid)
{
	char	   *name = get_rel_name(relid);

	if (name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("a table changed during the subject request"),
				 errdetail("Relation %u was dropped while the request ran.", relid),
				 errhint("Repeat the request.")));
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), name);
}

/*
 * subject_attname
 *
 * The live name of a column.  A column dropped since the tags were read
 * (concurrently, or by a trigger fired from an earlier statement of this
 * request) fails the request cleanly: it asked about a table that is no
 * longer what the tags described.
 */
char *
subject_attname(Oid relid, AttrNumber attnum)
{
	char	   *name = retention_live_attname(relid, attnum);

	if (name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("a table changed during the subject request"),
				 errdetail("Column %d of table %s was dropped while the request ran.",
						   attnum, subject_qualified_name(relid)),
				 errhint("Repeat the request.")));
	return name;
}

/* The table carrying tags for a leaf: its topmost partitioned ancestor. */
Oid
subject_tag_root(Oid relid)
{
	List	   *ancestors = get_partition_ancestors(relid);

	return ancestors ? llast_oid(ancestors) : relid;
}

/* "OPERATOR(schema.op)" for an operator OID. */
char *
subject_operator_sql(Oid opno)
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

/*
 * subject_check_dsr_member
 *
 * Refuses callers who are neither superusers nor members of retention_dsr.
 */
void
subject_check_dsr_member(void)
{
	Oid			dsr = get_role_oid("retention_dsr", true);

	if (superuser() || (OidIsValid(dsr) && has_privs_of_role(GetUserId(), dsr)))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to access or erase data subjects"),
			 errhint("Data subject requests are run by members of retention_dsr.")));
}

static int
compare_strings(const ListCell *a, const ListCell *b)
{
	return strcmp(strVal(lfirst(a)), strVal(lfirst(b)));
}

/* The subject kinds that valid tags declare, as String nodes, sorted. */
static List *
declared_kinds(List *tags)
{
	List	   *known = NIL;
	ListCell   *lc;

	foreach(lc, tags)
	{
		RetentionTag *tag = lfirst(lc);

		if (tag->problem.sqlerrcode == 0 && tag->label.subject &&
			!list_member(known, makeString(tag->label.subject)))
			known = lappend(known, makeString(tag->label.subject));
	}
	list_sort(known, compare_strings);
	return known;
}

/* Raises 22023 unless some tag declares the kind; lists the known ones. */
static void
check_kind(const char *kind, List *known)
{
	StringInfoData names;
	ListCell   *k;

	if (list_member(known, makeString((char *) kind)))
		return;
	initStringInfo(&names);
	foreach(k, known)
		appendStringInfo(&names, "%s%s", names.len ? ", " : "", strVal(lfirst(k)));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("no tag declares subject kind \"%s\"", kind),
			 errdetail("Known subject kinds: %s.", names.len ? names.data : "none"),
			 errhint("Tag identifier columns with subject=kind, e.g. SECURITY LABEL FOR retention ON COLUMN t.email IS 'subject=email'.")));
}

/*
 * Parses {"kind": "value" | ["v1", "v2"], ...}: every kind must be one that
 * some tag declares; values are normalized per kind and must be meaningful
 * (retention_check_identifier).
 */
static List *
parse_identifiers(Jsonb *json, List *tags, const uint8 *key)
{
	List	   *known = declared_kinds(tags);
	List	   *result = NIL;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *kind = NULL;
	int			depth = 0;

	if (!JB_ROOT_IS_OBJECT(json))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("identifiers must be a JSON object"),
				 errhint("Pass e.g. '{\"email\": \"ana@example.com\", \"phone\": \"+385911234567\"}'.")));

	it = JsonbIteratorInit(&json->root);
	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		if (tok == WJB_BEGIN_OBJECT || tok == WJB_BEGIN_ARRAY)
		{
			depth++;
			if (depth > 2 || (tok == WJB_BEGIN_OBJECT && depth > 1))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("identifier values must be strings, numbers or arrays of them"),
						 errhint("Pass e.g. '{\"email\": [\"ana@example.com\", \"ana@work.example\"]}'.")));
			continue;
		}
		if (tok == WJB_END_OBJECT || tok == WJB_END_ARRAY)
		{
			depth--;
			continue;
		}
		if (tok == WJB_KEY)
		{
			kind = pnstrdup(v.val.string.val, v.val.string.len);
			check_kind(kind, known);
			continue;
		}
		if (tok == WJB_VALUE || tok == WJB_ELEM)
		{
			SubjectIdentifier *id;
			char	   *value;

			if (v.type == jbvString)
				value = pnstrdup(v.val.string.val, v.val.string.len);
			else if (v.type == jbvNumeric)
				value = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v.val.numeric)));
			else if (v.type == jbvNull)
				continue;
			else
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("identifier values must be strings, numbers or arrays of them"),
						 errhint("Pass e.g. '{\"customer_id\": 42}'.")));
			id = palloc0(sizeof(SubjectIdentifier));
			id->kind = kind;
			id->normalized = retention_check_identifier(kind, value);
			retention_identifier_hash(key, kind, value, id->hash);
			result = lappend(result, id);
		}
	}
	return result;
}

/*
 * Prepared plans of the search queries, kept across calls: their text
 * depends only on the catalogs (tables, columns, tags), the values come as
 * parameters, so parsing and planning them again on every request is waste.
 * The plan cache revalidates them when the tables change.
 */
#define PLAN_BUCKETS	256
#define PLAN_CACHE_MAX	2000
#define PLAN_MAX_ARGS	(INDEX_MAX_KEYS + 2)

typedef struct CachedQuery
{
	uint32		hash;
	char	   *sql;
	int			nargs;
	Oid			types[PLAN_MAX_ARGS];
	SPIPlanPtr	plan;
	struct CachedQuery *next;
} CachedQuery;

static CachedQuery *plan_buckets[PLAN_BUCKETS];
static int	plan_count = 0;

static SPIPlanPtr
cached_plan(const char *sql, int nargs, Oid *types)
{
	uint32		hash = hash_bytes((const unsigned char *) sql, strlen(sql));
	CachedQuery *q;
	SPIPlanPtr	plan;

	if (nargs > PLAN_MAX_ARGS)
		elog(ERROR, "too many arguments for a subject query");
	for (q = plan_buckets[hash % PLAN_BUCKETS]; q; q = q->next)
		if (q->hash == hash && q->nargs == nargs && strcmp(q->sql, sql) == 0 &&
			memcmp(q->types, types, sizeof(Oid) * nargs) == 0)
			return q->plan;

	if (plan_count >= PLAN_CACHE_MAX)
	{
		/* many schema versions later: start over */
		for (int b = 0; b < PLAN_BUCKETS; b++)
			while (plan_buckets[b])
			{
				q = plan_buckets[b];
				plan_buckets[b] = q->next;
				SPI_freeplan(q->plan);
				pfree(q->sql);
				pfree(q);
			}
		plan_count = 0;
	}
	plan = SPI_prepare(sql, nargs, types);
	if (plan == NULL)
		elog(ERROR, "could not prepare subject query: %s", SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "could not keep subject query plan");
	q = MemoryContextAllocZero(TopMemoryContext, sizeof(CachedQuery));
	q->hash = hash;
	q->sql = MemoryContextStrdup(TopMemoryContext, sql);
	q->nargs = nargs;
	memcpy(q->types, types, sizeof(Oid) * nargs);
	q->plan = plan;
	q->next = plan_buckets[hash % PLAN_BUCKETS];
	plan_buckets[hash % PLAN_BUCKETS] = q;
	plan_count++;
	return plan;
}

/*
 * subject_begin_as_owner
 *
 * Become the owner of relid, with row security bypassed, in a
 * security-restricted operation (retention_begin_as_probe_owner, the way
 * ri_triggers.c checks foreign keys): a FORCE ROW LEVEL SECURITY policy
 * neither hides rows from the request nor runs its code in it, and no
 * role's code runs as another role.  A relation dropped meanwhile fails
 * the request.  End with retention_end_as_owner.
 */
void
subject_begin_as_owner(Oid relid, int *nestlevel, Oid *save_userid,
					   int *save_sec_context)
{
	if (!retention_begin_as_probe_owner(relid, nestlevel, save_userid, save_sec_context))
		(void) subject_qualified_name(relid);	/* raises: changed */
}

/*
 * subject_query
 *
 * Runs a SELECT that reads one table, relid, as that table's owner (see
 * subject_begin_as_owner), with the search's snapshot if any.
 */
void
subject_query(SubjectSearch *search, Oid relid, const char *sql, int nargs,
			  Oid *types, Datum *values)
{
	int			nestlevel;
	Oid			save_userid;
	int			save_sec;
	int			rc;

	subject_begin_as_owner(relid, &nestlevel, &save_userid, &save_sec);
	if (search && search->snapshot)
		rc = SPI_execute_snapshot(cached_plan(sql, nargs, types), values, NULL,
								  search->snapshot, InvalidSnapshot, true, false, 0);
	else
		rc = SPI_execute_plan(cached_plan(sql, nargs, types), values, NULL, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "subject query failed: %s", SPI_result_code_string(rc));
	retention_end_as_owner(nestlevel, save_userid, save_sec);
}

Datum
subject_tid_array(List *tids)
{
	Datum	   *datums = palloc(sizeof(Datum) * Max(list_length(tids), 1));
	int			i = 0;
	ListCell   *lc;

	foreach(lc, tids)
		datums[i++] = PointerGetDatum(lfirst(lc));
	return PointerGetDatum(construct_array(datums, i, TIDOID, sizeof(ItemPointerData), false, TYPALIGN_SHORT));
}

/*
 * subject_fetch_keys
 *
 * The values of columns attnums[0..nkeys) of the rows tids of leaf relid, as
 * one array per column (arrays[], their types in types[]), read as the
 * table's owner (in the search's snapshot, if any); with_tids: the rows'
 * TIDs first, in arrays[0].  Rows with
 * a NULL in a key column reference nothing and are left out.  false when no
 * row is left.  The values never appear in SQL text: callers bind them.
 */
bool
subject_fetch_keys(SubjectSearch *search, Oid relid, List *tids, int nkeys,
				   AttrNumber *attnums, bool with_tids, Datum *arrays, Oid *types)
{
	StringInfoData sql;
	Oid			argtype = TIDARRAYOID;
	Datum		arg = subject_tid_array(tids);
	int			first = with_tids ? 1 : 0;
	bool		isnull;

	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT ");
	if (with_tids)
		appendStringInfoString(&sql, "pg_catalog.array_agg(p.ctid), ");
	for (int k = 0; k < nkeys; k++)
		appendStringInfo(&sql, "%spg_catalog.array_agg(p.%s)", k ? ", " : "",
						 quote_identifier(subject_attname(relid, attnums[k])));
	appendStringInfo(&sql, " FROM ONLY %s p WHERE p.ctid OPERATOR(pg_catalog.=) ANY ($1)",
					 subject_qualified_name(relid));
	for (int k = 0; k < nkeys; k++)
		appendStringInfo(&sql, " AND p.%s IS NOT NULL",
						 quote_identifier(subject_attname(relid, attnums[k])));
	subject_query(search, relid, sql.data, 1, &argtype, &arg);
	if (SPI_processed != 1)
		return false;
	(void) SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		return false;
	for (int c = 0; c < nkeys + first; c++)
	{
		arrays[c] = datumCopy(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, c + 1, &isnull),
							  false, -1);
		types[c] = SPI_gettypeid(SPI_tuptable->tupdesc, c + 1);
	}
	return true;
}

static SubjectGroup *
group_for(SubjectSearch *search, Oid relid, int depth, const char *found_by, AttrNumber matched_attnum)
{
	ListCell   *lc;
	SubjectGroup *group;

	foreach(lc, search->groups)
	{
		group = lfirst(lc);
		if (group->relid == relid && group->depth == depth &&
			group->matched_attnum == matched_attnum && strcmp(group->found_by, found_by) == 0)
			return group;
	}
	group = palloc0(sizeof(SubjectGroup));
	group->relid = relid;
	group->root = subject_tag_root(relid);
	group->depth = depth;
	group->found_by = pstrdup(found_by);
	group->matched_attnum = matched_attnum;
	search->groups = lappend(search->groups, group);
	return group;
}

/* Adds the (tableoid, ctid) rows of the last query; returns how many were new. */
static int
collect_rows(SubjectSearch *search, int depth, const char *found_by, AttrNumber matched_attnum)
{
	int			added = 0;

	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		VisitKey	key;
		bool		found;

		memset(&key, 0, sizeof(key));
		key.relid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
		key.tid = *(ItemPointer) DatumGetPointer(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
		hash_search(search->visited, &key, HASH_ENTER, &found);
		if (!found)
		{
			SubjectGroup *group = group_for(search, key.relid, depth, found_by, matched_attnum);
			ItemPointer tid = palloc(sizeof(ItemPointerData));

			*tid = key.tid;
			group->tids = lappend(group->tids, tid);
			added++;
		}
	}
	return added;
}

/*
 * The identifier as a value of an integer column's type, if it is one
 * written canonically ("42", "-7"; not "042", "4.0", or out of range).
 * Otherwise it matches nothing in the column, and no cast of it is ever
 * attempted (its error would quote the value).
 */
static bool
integer_identifier(const char *text, Oid type, Datum *value)
{
	const char *p = (*text == '-') ? text +1 : text;
	uint64		magnitude = 0;
	int64		v;

	if (*p == '\0' || strlen(p) > 19)
		return false;
	for (; *p; p++)
	{
		if (*p < '0' || *p > '9')
			return false;
		magnitude = magnitude * 10 + (*p - '0');
	}
	if (magnitude > (uint64) PG_INT64_MAX + (*text == '-' ? 1 : 0))
		return false;
	v = (*text == '-') ? (int64) (0 - magnitude) : (int64) magnitude;
	if (strcmp(psprintf(INT64_FORMAT, v), text) != 0)
		return false;
	switch (type)
	{
		case INT2OID:
			if (v < PG_INT16_MIN || v > PG_INT16_MAX)
				return false;
			*value = Int16GetDatum((int16) v);
			return true;
		case INT4OID:
			if (v < PG_INT32_MIN || v > PG_INT32_MAX)
				return false;
			*value = Int32GetDatum((int32) v);
			return true;
		case INT8OID:
			*value = Int64GetDatum(v);
			return true;
	}
	return false;
}

/*
 * subject_search_identifiers
 *
 * Step 1: rows whose subject columns hold one of the identifiers.
 */
void
subject_search_identifiers(SubjectSearch *search)
{
	ListCell   *lc;

	foreach(lc, search->tags)
	{
		RetentionTag *tag = lfirst(lc);
		ListCell   *ic;
		Form_pg_attribute att;
		HeapTuple	tuple;
		Oid			type;
		int32		typmod;
		bool		integer;
		char	   *col;

		if (tag->label.subject == NULL || tag->attnum == 0)
			continue;
		tuple = SearchSysCache2(ATTNUM, ObjectIdGetDatum(tag->relid), Int16GetDatum(tag->attnum));
		if (!HeapTupleIsValid(tuple))
			continue;
		att = (Form_pg_attribute) GETSTRUCT(tuple);
		typmod = att->atttypmod;
		type = getBaseTypeAndTypmod(att->atttypid, &typmod);
		ReleaseSysCache(tuple);
		integer = (type == INT2OID || type == INT4OID || type == INT8OID) &&
			strcmp(tag->label.subject, "email") != 0 && strcmp(tag->label.subject, "phone") != 0;
		col = psprintf("r.%s", quote_identifier(subject_attname(tag->relid, tag->attnum)));

		foreach(ic, search->identifiers)
		{
			SubjectIdentifier *id = lfirst(ic);
			char	   *sql;
			Oid			argtype = TEXTOID;
			Datum		arg = CStringGetTextDatum(id->normalized);

			if (strcmp(id->kind, tag->label.subject) != 0)
				continue;
			if (integer)
			{
				/* not an integer of this type: nothing here can match */
				if (!integer_identifier(id->normalized, type, &arg))
					continue;
				argtype = type;
				sql = psprintf("SELECT r.tableoid, r.ctid FROM %s r WHERE %s OPERATOR(pg_catalog.=) $1%s",
							   subject_qualified_name(tag->relid), col,
							   search->lock ? " FOR UPDATE OF r" : "");
			}
			else
				sql = psprintf("SELECT r.tableoid, r.ctid FROM %s r WHERE retention.normalize_identifier(%s, %s::pg_catalog.text) OPERATOR(pg_catalog.=) $1%s",
							   subject_qualified_name(tag->relid), quote_literal_cstr(id->kind), col,
							   search->lock ? " FOR UPDATE OF r" : "");
			subject_query(search, tag->relid, sql, 1, &argtype, &arg);
			collect_rows(search, 0, id->kind, tag->category ? tag->attnum : 0);
		}
	}
}

/* The ancestors of a leaf and the leaf itself. */
static List *
self_and_ancestors(Oid relid)
{
	return lcons_oid(relid, get_partition_ancestors(relid));
}

/*
 * subject_referencing_keys
 *
 * The foreign keys (constraint OIDs) that reference a leaf or one of its
 * ancestors.  Keys declared on partitions count like keys on their
 * partitioned table.  self: also keys of the table referencing itself (the
 * search does not follow those: they link different people, a manager and
 * their reports).
 */
List *
subject_referencing_keys(Oid leaf, bool self)
{
	List	   *targets = self_and_ancestors(leaf);
	Relation	conrel = table_open(ConstraintRelationId, AccessShareLock);
	SysScanDesc scan = systable_beginscan(conrel, InvalidOid, false, NULL, 0, NULL);
	HeapTuple	tuple;
	List	   *fks = NIL;

	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tuple);

		if (con->contype == CONSTRAINT_FOREIGN && !OidIsValid(con->conparentid) &&
			list_member_oid(targets, con->confrelid) &&
			(self || (!list_member_oid(targets, con->conrelid) && con->conrelid != con->confrelid)))
			fks = lappend_oid(fks, con->oid);
	}
	systable_endscan(scan);
	table_close(conrel, AccessShareLock);
	return fks;
}

/*
 * subject_key_match_sql
 *
 * "Row c of the referencing table matches one of the key values bound as
 * $first, $first+1, ..." (arrays of the referenced columns' values), with
 * the key's own equality operators.
 */
char *
subject_key_match_sql(Oid child, int nkeys, AttrNumber *conkey, Oid *pf_eq, int first)
{
	StringInfoData buf;
	Oid			left;
	Oid			right;

	initStringInfo(&buf);
	op_input_types(pf_eq[0], &left, &right);
	if (nkeys == 1 && left == right)
	{
		appendStringInfo(&buf, "c.%s %s ANY ($%d)",
						 quote_identifier(subject_attname(child, conkey[0])),
						 subject_operator_sql(pf_eq[0]), first);
		return buf.data;
	}
	appendStringInfoString(&buf, "EXISTS (SELECT 1 FROM ROWS FROM (");
	for (int k = 0; k < nkeys; k++)
		appendStringInfo(&buf, "%spg_catalog.unnest($%d)", k ? ", " : "", first + k);
	appendStringInfoString(&buf, ") k(");
	for (int k = 0; k < nkeys; k++)
		appendStringInfo(&buf, "%sv%d", k ? ", " : "", k);
	appendStringInfoString(&buf, ") WHERE ");
	for (int k = 0; k < nkeys; k++)
		appendStringInfo(&buf, "%sk.v%d %s c.%s", k ? " AND " : "", k, subject_operator_sql(pf_eq[k]),
						 quote_identifier(subject_attname(child, conkey[k])));
	appendStringInfoChar(&buf, ')');
	return buf.data;
}

/*
 * subject_search_children
 *
 * Step 2: children of found rows through foreign keys, breadth first.
 */
void
subject_search_children(SubjectSearch *search)
{
	for (int depth = 0; depth < SUBJECT_MAX_DEPTH; depth++)
	{
		List	   *level = NIL;
		ListCell   *lc;
		bool		more = false;

		foreach(lc, search->groups)
		{
			SubjectGroup *group = lfirst(lc);

			if (group->depth == depth)
				level = lappend(level, group);
		}
		foreach(lc, level)
		{
			SubjectGroup *group = lfirst(lc);
			ListCell   *fc;

			foreach(fc, subject_referencing_keys(group->relid, false))
			{
				HeapTuple	ctup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(lfirst_oid(fc)));
				AttrNumber	conkey[INDEX_MAX_KEYS];
				AttrNumber	confkey[INDEX_MAX_KEYS];
				AttrNumber	leafkey[INDEX_MAX_KEYS];
				Oid			pf_eq[INDEX_MAX_KEYS];
				Datum		arrays[INDEX_MAX_KEYS];
				Oid			types[INDEX_MAX_KEYS];
				int			nkeys;
				Oid			child;
				Oid			referenced;
				char	   *sql;

				if (!HeapTupleIsValid(ctup))
					continue;
				child = ((Form_pg_constraint) GETSTRUCT(ctup))->conrelid;
				referenced = ((Form_pg_constraint) GETSTRUCT(ctup))->confrelid;
				DeconstructFkConstraintRow(ctup, &nkeys, conkey, confkey, pf_eq, NULL, NULL, NULL, NULL);
				ReleaseSysCache(ctup);

				/*
				 * the referenced table may be an ancestor: same names on the
				 * leaf
				 */
				for (int k = 0; k < nkeys; k++)
					leafkey[k] = get_attnum(group->relid, subject_attname(referenced, confkey[k]));
				if (!subject_fetch_keys(search, group->relid, group->tids, nkeys, leafkey, false, arrays, types))
					continue;
				sql = psprintf("SELECT c.tableoid, c.ctid FROM %s c WHERE %s%s",
							   subject_qualified_name(child),
							   subject_key_match_sql(child, nkeys, conkey, pf_eq, 1),
							   search->lock ? " FOR UPDATE OF c" : "");
				subject_query(search, child, sql, nkeys, types, arrays);
				if (collect_rows(search, depth + 1,
								 psprintf("references %s", subject_qualified_name(subject_tag_root(group->relid))), 0) > 0)
					more = true;
			}
		}
		if (!more)
			break;
		if (depth == SUBJECT_MAX_DEPTH - 1)
			ereport(NOTICE,
					(errmsg("the search for the subject's rows stopped at %d levels of foreign keys", SUBJECT_MAX_DEPTH),
					 errdetail("Rows further down the chain were not included.")));
	}
}

/* Does the table (a tag root) carry a retention tag of any kind? */
static bool
table_is_tagged(SubjectSearch *search, Oid root)
{
	ListCell   *lc;

	foreach(lc, search->tags)
		if (((RetentionTag *) lfirst(lc))->relid == root)
		return true;
	return false;
}

/*
 * Is every row that references the parent row (relid, tid), through any
 * foreign key, one of the subject's rows found so far?  Each referencing
 * table is asked as its owner, with the parent row's key values (read as
 * the parent's owner) bound as parameters.
 */
static bool
referenced_only_by_subject(SubjectSearch *search, Oid relid, ItemPointer tid)
{
	ListCell   *fc;

	foreach(fc, subject_referencing_keys(relid, true))
	{
		HeapTuple	ctup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(lfirst_oid(fc)));
		AttrNumber	conkey[INDEX_MAX_KEYS];
		AttrNumber	confkey[INDEX_MAX_KEYS];
		AttrNumber	leafkey[INDEX_MAX_KEYS];
		Oid			pf_eq[INDEX_MAX_KEYS];
		Datum		arrays[INDEX_MAX_KEYS];
		Oid			types[INDEX_MAX_KEYS];
		int			nkeys;
		Oid			child;
		Oid			referenced;

		if (!HeapTupleIsValid(ctup))
			continue;
		child = ((Form_pg_constraint) GETSTRUCT(ctup))->conrelid;
		referenced = ((Form_pg_constraint) GETSTRUCT(ctup))->confrelid;
		DeconstructFkConstraintRow(ctup, &nkeys, conkey, confkey, pf_eq, NULL, NULL, NULL, NULL);
		ReleaseSysCache(ctup);
		for (int k = 0; k < nkeys; k++)
			leafkey[k] = get_attnum(relid, subject_attname(referenced, confkey[k]));
		if (!subject_fetch_keys(search, relid, list_make1(tid), nkeys, leafkey, false, arrays, types))
			continue;
		subject_query(search, child,
					  psprintf("SELECT c.tableoid, c.ctid FROM %s c WHERE %s",
							   subject_qualified_name(child),
							   subject_key_match_sql(child, nkeys, conkey, pf_eq, 1)),
					  nkeys, types, arrays);
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			bool		isnull;
			VisitKey	key;
			bool		found;

			memset(&key, 0, sizeof(key));
			key.relid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
			key.tid = *(ItemPointer) DatumGetPointer(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
			hash_search(search->visited, &key, HASH_FIND, &found);
			if (!found)
				return false;
		}
	}
	return true;
}

/*
 * subject_search_parents
 *
 * Step 3: parent rows that hold the person's data and that only the
 * person references -- the address of the person's own rows.  For the rows
 * found by an identifier (depth 0, the whole row being the person's), every
 * foreign key of their table to another tagged table is followed up; a
 * parent row is added (depth -1, found_by "referenced only by ...") when
 * every row that references it, through any key, is one of the person's
 * rows found by steps 1 and 2.  A parent row someone else also references
 * (a shared address) is not the person's: it is neither exported nor
 * erased.  Untagged parents (a country, a product) are never followed.
 * Each table is read as its owner; key values are bound as parameters.
 */
void
subject_search_parents(SubjectSearch *search)
{
	List	   *own = NIL;
	ListCell   *lc;

	foreach(lc, search->groups)
	{
		SubjectGroup *group = lfirst(lc);

		if (group->depth == 0 && group->matched_attnum == 0)
			own = lappend(own, group);
	}
	foreach(lc, own)
	{
		SubjectGroup *group = lfirst(lc);
		List	   *targets = lcons_oid(group->relid, get_partition_ancestors(group->relid));
		Relation	conrel = table_open(ConstraintRelationId, AccessShareLock);
		SysScanDesc scan = systable_beginscan(conrel, InvalidOid, false, NULL, 0, NULL);
		HeapTuple	tuple;
		List	   *fks = NIL;
		ListCell   *fc;

		while (HeapTupleIsValid(tuple = systable_getnext(scan)))
		{
			Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tuple);

			if (con->contype == CONSTRAINT_FOREIGN && !OidIsValid(con->conparentid) &&
				list_member_oid(targets, con->conrelid) &&
				!list_member_oid(targets, con->confrelid) &&
				table_is_tagged(search, subject_tag_root(con->confrelid)))
				fks = lappend_oid(fks, con->oid);
		}
		systable_endscan(scan);
		table_close(conrel, AccessShareLock);

		foreach(fc, fks)
		{
			HeapTuple	ctup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(lfirst_oid(fc)));
			AttrNumber	conkey[INDEX_MAX_KEYS];
			AttrNumber	confkey[INDEX_MAX_KEYS];
			AttrNumber	leafkey[INDEX_MAX_KEYS];
			Oid			pf_eq[INDEX_MAX_KEYS];
			Datum		arrays[INDEX_MAX_KEYS];
			Oid			types[INDEX_MAX_KEYS];
			int			nkeys;
			Oid			declared_on;
			Oid			parent;
			StringInfoData sql;
			List	   *candidates = NIL;
			ListCell   *cc;
			char	   *found_by;

			if (!HeapTupleIsValid(ctup))
				continue;
			declared_on = ((Form_pg_constraint) GETSTRUCT(ctup))->conrelid;
			parent = ((Form_pg_constraint) GETSTRUCT(ctup))->confrelid;
			DeconstructFkConstraintRow(ctup, &nkeys, conkey, confkey, pf_eq, NULL, NULL, NULL, NULL);
			ReleaseSysCache(ctup);
			for (int k = 0; k < nkeys; k++)
				leafkey[k] = get_attnum(group->relid, subject_attname(declared_on, conkey[k]));
			if (!subject_fetch_keys(search, group->relid, group->tids, nkeys, leafkey, false, arrays, types))
				continue;

			/*
			 * the parent rows with those key values, read as the parent's
			 * owner
			 */
			initStringInfo(&sql);
			appendStringInfo(&sql, "SELECT c.tableoid, c.ctid FROM %s c WHERE EXISTS (SELECT 1 FROM ROWS FROM (",
							 subject_qualified_name(parent));
			for (int k = 0; k < nkeys; k++)
				appendStringInfo(&sql, "%spg_catalog.unnest($%d)", k ? ", " : "", k + 1);
			appendStringInfoString(&sql, ") k(");
			for (int k = 0; k < nkeys; k++)
				appendStringInfo(&sql, "%sv%d", k ? ", " : "", k);
			appendStringInfoString(&sql, ") WHERE ");
			for (int k = 0; k < nkeys; k++)
				appendStringInfo(&sql, "%sc.%s %s k.v%d", k ? " AND " : "",
								 quote_identifier(subject_attname(parent, confkey[k])),
								 subject_operator_sql(pf_eq[k]), k);
			appendStringInfo(&sql, ")%s", search->lock ? " FOR UPDATE OF c" : "");
			subject_query(search, parent, sql.data, nkeys, types, arrays);
			for (uint64 i = 0; i < SPI_processed; i++)
			{
				bool		isnull;
				VisitKey   *key = palloc0(sizeof(VisitKey));

				key->relid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
				key->tid = *(ItemPointer) DatumGetPointer(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
				candidates = lappend(candidates, key);
			}
			found_by = psprintf("referenced only by the subject's rows of %s",
								subject_qualified_name(group->root));
			foreach(cc, candidates)
			{
				VisitKey   *key = lfirst(cc);
				bool		found;

				hash_search(search->visited, key, HASH_FIND, &found);
				if (found || !referenced_only_by_subject(search, key->relid, &key->tid))
					continue;
				hash_search(search->visited, key, HASH_ENTER, &found);
				{
					SubjectGroup *pg = group_for(search, key->relid, -1, found_by, 0);
					ItemPointer tid = palloc(sizeof(ItemPointerData));

					*tid = key->tid;
					pg->tids = lappend(pg->tids, tid);
				}
			}
		}
	}
}

/*
 * subject_begin_search
 *
 * Starts a search: caller check, key, tags, identifiers.
 */
SubjectSearch *
subject_begin_search(Jsonb *identifiers, bool lock, uint8 *key)
{
	SubjectSearch *search = palloc0(sizeof(SubjectSearch));
	HASHCTL		ctl;
	List	   *tags = NIL;
	ListCell   *lc;

	subject_check_dsr_member();
	if (!retention_extension_exists())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"pg_retention\" is not installed in this database"),
				 errhint("Run CREATE EXTENSION pg_retention first.")));
	retention_load_key(key);
	foreach(lc, retention_read_tags(true, true))
	{
		RetentionTag *tag = lfirst(lc);

		if (tag->problem.sqlerrcode == 0)
			tags = lappend(tags, tag);
	}
	search->tags = tags;
	search->identifiers = parse_identifiers(identifiers, tags, key);
	search->lock = lock;
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(VisitKey);
	ctl.entrysize = sizeof(VisitKey);
	ctl.hcxt = CurrentMemoryContext;
	search->visited = hash_create("pg_retention subject rows", 256, &ctl,
								  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	return search;
}

/* The hashes of the request's identifiers, "kind:hex", for the request log. */
static Datum
identifier_hashes(List *identifiers)
{
	List	   *strings = NIL;
	ListCell   *lc;
	Datum	   *datums;
	int			i = 0;

	foreach(lc, identifiers)
	{
		SubjectIdentifier *id = lfirst(lc);
		char		hex[2 * PG_SHA256_DIGEST_LENGTH + 1];
		uint8		hash[PG_SHA256_DIGEST_LENGTH];

		/* the request log's own key: not joinable with holds (keyed_hash.c) */
		retention_subject_hash(RETENTION_HASH_REQUEST_LOG, id->kind, id->normalized, hash);
		hex_encode((const char *) hash, PG_SHA256_DIGEST_LENGTH, hex);
		hex[2 * PG_SHA256_DIGEST_LENGTH] = '\0';
		strings = lappend(strings, psprintf("%s:%s", id->kind, hex));
	}
	datums = palloc(sizeof(Datum) * Max(list_length(strings), 1));
	foreach(lc, strings)
		datums[i++] = CStringGetTextDatum(lfirst(lc));
	return PointerGetDatum(construct_array(datums, i, TEXTOID, -1, false, TYPALIGN_INT));
}

/*
 * subject_log_request
 *
 * Writes the request log row (never identifiers in clear).
 */
void
subject_log_request(const char *kind, SubjectSearch *search, bool dry_run, Jsonb *tables,
					int64 rows, const char *outcome)
{
	Oid			types[6] = {TEXTOID, TEXTARRAYOID, BOOLOID, JSONBOID, INT8OID, TEXTOID};
	Datum		values[6];

	values[0] = CStringGetTextDatum(kind);
	values[1] = identifier_hashes(search->identifiers);
	values[2] = BoolGetDatum(dry_run);
	values[3] = JsonbPGetDatum(tables);
	values[4] = Int64GetDatum(rows);
	values[5] = CStringGetTextDatum(outcome);
	retention_exec_as_extension_owner("INSERT INTO retention.dsr_request (kind, identifier_hashes, dry_run, tables, rows_found, outcome, requested_by)"
									  " VALUES ($1, $2, $3, $4, $5, $6, pg_catalog.session_user())",
									  6, types, values, NULL, SPI_OK_INSERT);
}

/*
 * subject_tags_of
 *
 * The tags of a table carrying tags (root): its table tag, its column tags
 * with a category, its identifier columns.
 */
void
subject_tags_of(SubjectSearch *search, Oid root, RetentionTag **table_tag, List **column_tags,
				List **subject_columns)
{
	ListCell   *lc;

	*table_tag = NULL;
	*column_tags = NIL;
	*subject_columns = NIL;
	foreach(lc, search->tags)
	{
		RetentionTag *tag = lfirst(lc);

		if (tag->relid != root)
			continue;
		if (tag->attnum == 0)
			*table_tag = tag;
		else
		{
			if (tag->category)
				*column_tags = lappend(*column_tags, tag);
			if (tag->label.subject)
				*subject_columns = lappend(*subject_columns, tag);
		}
	}
}

/*
 * retention_check_subject_identifier
 *
 * retention._check_identifier(kind text, value text) RETURNS void
 *
 * Raises the errors export and erasure raise for this identifier: a kind
 * no tag declares (listing the declared ones), a value that names nobody.
 * For place_hold().
 */
PG_FUNCTION_INFO_V1(retention_check_subject_identifier);

Datum
retention_check_subject_identifier(PG_FUNCTION_ARGS)
{
	char	   *kind = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *value = text_to_cstring(PG_GETARG_TEXT_PP(1));

	check_kind(kind, declared_kinds(retention_read_tags(true, true)));
	(void) retention_check_identifier(kind, value);
	PG_RETURN_VOID();
}
