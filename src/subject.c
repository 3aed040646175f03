/*-------------------------------------------------------------------------
 *
 * src/subject.c
 *	  Data subject rights: find one person's rows across the database, export
 *	  them (access, portability) or erase them (deletion, anonymization),
 *	  honouring legal holds.
 *
 * Finding a person's rows:
 *	 1. every column tagged subject=kind, for the kinds in the request, is
 *		searched for the request's identifiers, compared in normalized form
 *		(retention.normalize_identifier; an expression index on
 *		retention.normalize_identifier('kind', col) serves it; non-text
 *		columns of other kinds are compared with plain equality);
 *	 2. rows reachable from those through declared foreign keys (children
 *		of the person's rows) are added, breadth first, to MAX_DEPTH levels;
 *		a row is visited once, so cycles end.
 * Rows are kept per leaf relation as TIDs.  Every query runs as the owner
 * of the table it reads, in a security-restricted operation with
 * search_path = pg_catalog, pg_temp (as enforcement does): no caller's code
 * runs, and the caller cannot point the search at untagged tables (only
 * tags and foreign keys decide where to look).
 *
 * An export reads everything with one registered snapshot, so it is
 * consistent across tables even while enforcement runs.  An erasure locks
 * the rows it finds (FOR UPDATE) and acts in the caller's transaction.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/partition.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "common/sha2.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "parser/parse_coerce.h"
#include "storage/itemptr.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "pg_retention.h"

#define MAX_DEPTH	8

/* One identifier of the request. */
typedef struct Identifier
{
	char	   *kind;
	char	   *normalized;
	uint8		hash[PG_SHA256_DIGEST_LENGTH];
} Identifier;

/* A person's rows in one leaf relation. */
typedef struct FoundGroup
{
	Oid			relid;			/* leaf relation */
	Oid			root;			/* the table that carries the tags */
	int			depth;			/* 0: found by an identifier */
	char	   *found_by;		/* "email", or "references public.customer" */
	AttrNumber	matched_attnum; /* found by an identifier column with its own
								 * anonymization rule: erasure anonymizes it */
	List	   *tids;			/* ItemPointer, in order found */
	char	   *sql;			/* erasure: its DELETE */
	char	   *remaining_sql;	/* erasure: count of its unheld rows left */
	int64		to_delete;		/* erasure: rows not held */
	int64		left;			/* erasure: of those, not yet deleted by us */
} FoundGroup;

typedef struct VisitKey
{
	Oid			relid;
	ItemPointerData tid;
} VisitKey;

typedef struct Search
{
	List	   *identifiers;	/* Identifier * */
	List	   *tags;			/* every valid tag */
	List	   *groups;			/* FoundGroup *, in discovery order */
	HTAB	   *visited;
	Snapshot	snapshot;		/* export: one snapshot; erase: NULL */
	bool		lock;			/* erase: FOR UPDATE */
} Search;

static char *
qualified_name(Oid relid)
{
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  get_rel_name(relid));
}

static Oid
relation_owner(Oid relid)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);
	return owner;
}

/* The table carrying tags for a leaf: its topmost partitioned ancestor. */
static Oid
tag_root(Oid relid)
{
	List	   *ancestors = get_partition_ancestors(relid);

	return ancestors ? llast_oid(ancestors) : relid;
}

/* Refuses callers who are neither superusers nor members of retention_dsr. */
static void
check_dsr_member(void)
{
	Oid			dsr = get_role_oid("retention_dsr", true);

	if (superuser() || (OidIsValid(dsr) && has_privs_of_role(GetUserId(), dsr)))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to access or erase data subjects"),
			 errhint("Data subject requests are run by members of retention_dsr.")));
}

/*
 * Parses {"kind": "value" | ["v1", "v2"], ...}: every kind must be one that
 * some tag declares; values are normalized per kind.
 */
static List *
parse_identifiers(Jsonb *json, List *tags, const uint8 *key)
{
	List	   *known = NIL;
	List	   *result = NIL;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *kind = NULL;
	ListCell   *lc;
	int			depth = 0;

	foreach(lc, tags)
	{
		RetentionTag *tag = lfirst(lc);

		if (tag->label.subject && !list_member(known, makeString(tag->label.subject)))
			known = lappend(known, makeString(tag->label.subject));
	}
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
			StringInfoData names;
			ListCell   *k;

			kind = pnstrdup(v.val.string.val, v.val.string.len);
			if (list_member(known, makeString(kind)))
				continue;
			initStringInfo(&names);
			foreach(k, known)
				appendStringInfo(&names, "%s%s", names.len ? ", " : "", strVal(lfirst(k)));
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("no tag declares subject kind \"%s\"", kind),
					 errdetail("Known subject kinds: %s.", names.len ? names.data : "none"),
					 errhint("Tag identifier columns with subject=kind, e.g. SECURITY LABEL FOR retention ON COLUMN t.email IS 'subject=email'.")));
		}
		if (tok == WJB_VALUE || tok == WJB_ELEM)
		{
			Identifier *id;
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
			id = palloc0(sizeof(Identifier));
			id->kind = kind;
			id->normalized = retention_normalize_identifier(kind, value);
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

typedef struct CachedQuery
{
	uint32		hash;
	char	   *sql;
	int			nargs;
	Oid			types[4];
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

	Assert(nargs <= lengthof(q->types));
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

/* Runs a query as owner (restricted), with the search's snapshot if any. */
static void
query_as_owner(Search *search, Oid owner, const char *sql, int nargs,
			   Oid *types, Datum *values)
{
	int			nestlevel;
	Oid			save_userid;
	int			save_sec;
	int			rc;

	retention_begin_as_owner(owner, &nestlevel, &save_userid, &save_sec);
	if (search->snapshot)
		rc = SPI_execute_snapshot(cached_plan(sql, nargs, types), values, NULL,
								  search->snapshot, InvalidSnapshot, true, false, 0);
	else
		rc = SPI_execute_plan(cached_plan(sql, nargs, types), values, NULL, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "subject query failed: %s", SPI_result_code_string(rc));
	retention_end_as_owner(nestlevel, save_userid, save_sec);
}

static FoundGroup *
group_for(Search *search, Oid relid, int depth, const char *found_by, AttrNumber matched_attnum)
{
	ListCell   *lc;
	FoundGroup *group;

	foreach(lc, search->groups)
	{
		group = lfirst(lc);
		if (group->relid == relid && group->depth == depth &&
			group->matched_attnum == matched_attnum && strcmp(group->found_by, found_by) == 0)
			return group;
	}
	group = palloc0(sizeof(FoundGroup));
	group->relid = relid;
	group->root = tag_root(relid);
	group->depth = depth;
	group->found_by = pstrdup(found_by);
	group->matched_attnum = matched_attnum;
	search->groups = lappend(search->groups, group);
	return group;
}

/* Adds the (tableoid, ctid) rows of the last query; returns how many were new. */
static int
collect_rows(Search *search, int depth, const char *found_by, AttrNumber matched_attnum)
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
			FoundGroup *group = group_for(search, key.relid, depth, found_by, matched_attnum);
			ItemPointer tid = palloc(sizeof(ItemPointerData));

			*tid = key.tid;
			group->tids = lappend(group->tids, tid);
			added++;
		}
	}
	return added;
}

/*
 * Whether an identifier can be compared with a column of this type by
 * plain (indexable) equality: integers written as digits.  Everything else
 * is compared as text.
 */
static bool
value_fits_type(const char *text, Oid type)
{
	const char *p = (*text == '-') ? text + 1 : text;

	if (type != INT2OID && type != INT4OID && type != INT8OID)
		return false;
	if (*p == '\0' || strlen(p) > 18)
		return false;
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

/* Step 1: rows whose subject columns hold one of the identifiers. */
static void
search_identifiers(Search *search)
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
		bool		textual;

		if (tag->label.subject == NULL || tag->attnum == 0)
			continue;
		tuple = SearchSysCache2(ATTNUM, ObjectIdGetDatum(tag->relid), Int16GetDatum(tag->attnum));
		if (!HeapTupleIsValid(tuple))
			continue;
		att = (Form_pg_attribute) GETSTRUCT(tuple);
		typmod = att->atttypmod;
		type = getBaseTypeAndTypmod(att->atttypid, &typmod);
		ReleaseSysCache(tuple);
		textual = TypeCategory(type) == TYPCATEGORY_STRING;

		foreach(ic, search->identifiers)
		{
			Identifier *id = lfirst(ic);
			char	   *col = psprintf("r.%s", quote_identifier(retention_live_attname(tag->relid, tag->attnum)));
			char	   *sql;
			Oid			argtype = TEXTOID;
			Datum		arg = CStringGetTextDatum(id->normalized);
			bool		email_or_phone = strcmp(id->kind, "email") == 0 || strcmp(id->kind, "phone") == 0;

			if (strcmp(id->kind, tag->label.subject) != 0)
				continue;
			if (textual || email_or_phone || !value_fits_type(id->normalized, type))
				sql = psprintf("SELECT r.tableoid, r.ctid FROM %s r WHERE retention.normalize_identifier(%s, %s::pg_catalog.text) OPERATOR(pg_catalog.=) $1%s",
							   qualified_name(tag->relid), quote_literal_cstr(id->kind), col,
							   search->lock ? " FOR UPDATE OF r" : "");
			else
				sql = psprintf("SELECT r.tableoid, r.ctid FROM %s r WHERE %s::pg_catalog.text OPERATOR(pg_catalog.=) $1 AND %s OPERATOR(pg_catalog.=) $1::%s%s",
							   qualified_name(tag->relid), col, col,
							   format_type_extended(type, -1, FORMAT_TYPE_FORCE_QUALIFY),
							   search->lock ? " FOR UPDATE OF r" : "");
			query_as_owner(search, relation_owner(tag->relid), sql, 1, &argtype, &arg);
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

/* Step 2: children of found rows through foreign keys, breadth first. */
static void
search_children(Search *search)
{
	for (int depth = 0; depth < MAX_DEPTH; depth++)
	{
		List	   *level = NIL;
		ListCell   *lc;
		bool		more = false;

		foreach(lc, search->groups)
		{
			FoundGroup *group = lfirst(lc);

			if (group->depth == depth)
				level = lappend(level, group);
		}
		foreach(lc, level)
		{
			FoundGroup *group = lfirst(lc);
			List	   *targets = self_and_ancestors(group->relid);
			Relation	conrel;
			SysScanDesc scan;
			HeapTuple	tuple;
			List	   *fks = NIL;
			ListCell   *fc;

			/* foreign keys that reference this leaf or an ancestor */
			conrel = table_open(ConstraintRelationId, AccessShareLock);
			scan = systable_beginscan(conrel, InvalidOid, false, NULL, 0, NULL);
			while (HeapTupleIsValid(tuple = systable_getnext(scan)))
			{
				Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tuple);

				/*
				 * A table referencing itself links different people (a
				 * manager and their reports): not followed.
				 */
				if (con->contype == CONSTRAINT_FOREIGN && !OidIsValid(con->conparentid) &&
					list_member_oid(targets, con->confrelid) &&
					!list_member_oid(targets, con->conrelid) && con->conrelid != con->confrelid)
					fks = lappend_oid(fks, con->oid);
			}
			systable_endscan(scan);
			table_close(conrel, AccessShareLock);

			foreach(fc, fks)
			{
				HeapTuple	ctup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(lfirst_oid(fc)));
				Form_pg_constraint con;
				AttrNumber	conkey[INDEX_MAX_KEYS];
				AttrNumber	confkey[INDEX_MAX_KEYS];
				int			nkeys;
				StringInfoData ccols;
				StringInfoData pcols;
				char	   *sql;
				Oid			argtype = TIDARRAYOID;
				Datum		arg;
				Datum	   *tids;
				int			i = 0;
				ListCell   *tc;
				Oid			child;
				Oid			con_referenced;

				if (!HeapTupleIsValid(ctup))
					continue;
				con = (Form_pg_constraint) GETSTRUCT(ctup);
				child = con->conrelid;
				con_referenced = con->confrelid;
				DeconstructFkConstraintRow(ctup, &nkeys, conkey, confkey, NULL, NULL, NULL, NULL, NULL);
				ReleaseSysCache(ctup);

				initStringInfo(&ccols);
				initStringInfo(&pcols);
				for (int k = 0; k < nkeys; k++)
				{
					appendStringInfo(&ccols, "%sc.%s", k ? ", " : "",
									 quote_identifier(retention_live_attname(child, conkey[k])));
					/* the referenced table may be an ancestor: same names on the leaf */
					appendStringInfo(&pcols, "%sp.%s", k ? ", " : "",
									 quote_identifier(retention_live_attname(con_referenced, confkey[k])));
				}
				tids = palloc(sizeof(Datum) * list_length(group->tids));
				foreach(tc, group->tids)
					tids[i++] = PointerGetDatum(lfirst(tc));
				arg = PointerGetDatum(construct_array(tids, i, TIDOID, sizeof(ItemPointerData), false, TYPALIGN_SHORT));
				sql = psprintf("SELECT c.tableoid, c.ctid FROM %s c WHERE (%s) IN (SELECT %s FROM ONLY %s p WHERE p.ctid OPERATOR(pg_catalog.=) ANY ($1))%s",
							   qualified_name(child), ccols.data, pcols.data, qualified_name(group->relid),
							   search->lock ? " FOR UPDATE OF c" : "");
				query_as_owner(search, relation_owner(child), sql, 1, &argtype, &arg);
				if (collect_rows(search, depth + 1, psprintf("references %s", qualified_name(tag_root(group->relid))), 0) > 0)
					more = true;
			}
		}
		if (!more)
			break;
		if (depth == MAX_DEPTH - 1)
			ereport(NOTICE,
					(errmsg("the search for the subject's rows stopped at %d levels of foreign keys", MAX_DEPTH),
					 errdetail("Rows further down the chain were not included.")));
	}
}

/* Starts a search: caller check, key, tags, identifiers. */
static Search *
begin_search(Jsonb *identifiers, bool lock, uint8 *key)
{
	Search	   *search = palloc0(sizeof(Search));
	HASHCTL		ctl;
	List	   *tags = NIL;
	ListCell   *lc;

	check_dsr_member();
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

static Datum
tid_array(List *tids)
{
	Datum	   *datums = palloc(sizeof(Datum) * Max(list_length(tids), 1));
	int			i = 0;
	ListCell   *lc;

	foreach(lc, tids)
		datums[i++] = PointerGetDatum(lfirst(lc));
	return PointerGetDatum(construct_array(datums, i, TIDOID, sizeof(ItemPointerData), false, TYPALIGN_SHORT));
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
		Identifier *id = lfirst(lc);
		char		hex[2 * PG_SHA256_DIGEST_LENGTH + 1];

		hex_encode((const char *) id->hash, PG_SHA256_DIGEST_LENGTH, hex);
		hex[2 * PG_SHA256_DIGEST_LENGTH] = '\0';
		strings = lappend(strings, psprintf("%s:%s", id->kind, hex));
	}
	datums = palloc(sizeof(Datum) * Max(list_length(strings), 1));
	foreach(lc, strings)
		datums[i++] = CStringGetTextDatum(lfirst(lc));
	return PointerGetDatum(construct_array(datums, i, TEXTOID, -1, false, TYPALIGN_INT));
}

/* Writes the request log row (never identifiers in clear). */
static void
log_request(const char *kind, Search *search, bool dry_run, Jsonb *tables,
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

/* The tags of a table carrying tags (root). */
static void
tags_of(Search *search, Oid root, RetentionTag **table_tag, List **column_tags, List **subject_columns)
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

static char *
due_sql(RetentionTag *tag)
{
	RetentionRule *rule = &tag->category->rule;
	Datum		period = DirectFunctionCall1(interval_out, IntervalPGetDatum(&rule->period));

	return psprintf("retention.due_time(%s, %s::pg_catalog.interval, %s, %s)",
					retention_anchor_sql(tag), quote_literal_cstr(DatumGetCString(period)),
					quote_literal_cstr(tag->category->starts), quote_literal_cstr(rule->time_zone));
}

/* jsonb of the primary key columns of r, or of its ctid without one. */
static char *
row_key_sql(Oid relid)
{
	Relation	rel = table_open(relid, AccessShareLock);
	Oid			pk;
	StringInfoData buf;

	(void) RelationGetIndexList(rel);
	pk = rel->rd_pkindex;
	initStringInfo(&buf);
	if (OidIsValid(pk))
	{
		HeapTuple	tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(pk));
		Form_pg_index index = (Form_pg_index) GETSTRUCT(tuple);

		appendStringInfoString(&buf, "pg_catalog.jsonb_build_object(");
		for (int k = 0; k < index->indnkeyatts; k++)
		{
			char	   *name = retention_live_attname(relid, index->indkey.values[k]);

			appendStringInfo(&buf, "%s%s, r.%s", k ? ", " : "", quote_literal_cstr(name), quote_identifier(name));
		}
		appendStringInfoChar(&buf, ')');
		ReleaseSysCache(tuple);
	}
	else
		appendStringInfoString(&buf, "pg_catalog.jsonb_build_object('ctid', r.ctid::pg_catalog.text)");
	table_close(rel, AccessShareLock);
	return buf.data;
}

/*
 * retention_export_subject_rows
 *
 * retention.export_subject_rows(identifiers jsonb) RETURNS TABLE(...): every
 * row of the person, with its table, key, content, category and due dates,
 * read in one snapshot.  Logs the request.
 */
PG_FUNCTION_INFO_V1(retention_export_subject_rows);

Datum
retention_export_subject_rows(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Jsonb	   *identifiers = PG_GETARG_JSONB_P(0);
	uint8		key[RETENTION_KEY_BYTES];
	Search	   *search;
	MemoryContext cxt;
	ListCell   *lc;
	int64		rows = 0;

	InitMaterializedSRF(fcinfo, 0);
	cxt = CurrentMemoryContext;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	search = begin_search(identifiers, false, key);
	search->snapshot = RegisterSnapshot(GetTransactionSnapshot());
	search_identifiers(search);
	search_children(search);

	foreach(lc, search->groups)
	{
		FoundGroup *group = lfirst(lc);
		RetentionTag *table_tag;
		List	   *column_tags;
		List	   *subject_columns;
		StringInfoData columns_due;
		ListCell   *tc;
		char	   *sql;
		Oid			argtype = TIDARRAYOID;
		Datum		arg = tid_array(group->tids);

		tags_of(search, group->root, &table_tag, &column_tags, &subject_columns);
		initStringInfo(&columns_due);
		foreach(tc, column_tags)
		{
			RetentionTag *tag = lfirst(tc);

			appendStringInfo(&columns_due, "%s%s, pg_catalog.jsonb_build_object('category', %s, 'action', %s, 'due_at', %s)",
							 columns_due.len ? ", " : "",
							 quote_literal_cstr(retention_live_attname(tag->relid, tag->attnum)),
							 quote_literal_cstr(tag->category->name),
							 quote_literal_cstr(retention_action_name(tag->action)), due_sql(tag));
		}
		sql = psprintf("SELECT %s, pg_catalog.to_jsonb(r.*), %s, %s FROM ONLY %s r WHERE r.ctid OPERATOR(pg_catalog.=) ANY ($1)",
					   row_key_sql(group->relid),
					   table_tag ? due_sql(table_tag) : "NULL::pg_catalog.timestamptz",
					   columns_due.len ? psprintf("pg_catalog.jsonb_build_object(%s)", columns_due.data) : "NULL::pg_catalog.jsonb",
					   qualified_name(group->relid));
		query_as_owner(search, relation_owner(group->relid), sql, 1, &argtype, &arg);

		for (uint64 i = 0; i < SPI_processed; i++)
		{
			Datum		values[9];
			bool		nulls[9];
			bool		isnull;
			MemoryContext spi = MemoryContextSwitchTo(cxt);

			memset(nulls, false, sizeof(nulls));
			values[0] = ObjectIdGetDatum(group->root);
			values[1] = ObjectIdGetDatum(group->relid);
			for (int c = 0; c < 2; c++)
			{
				Datum		d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, c + 1, &isnull);

				values[2 + c] = isnull ? (Datum) 0 : datumCopy(d, false, -1);
				nulls[2 + c] = isnull;
			}
			if (table_tag)
				values[4] = CStringGetTextDatum(table_tag->category->name);
			else
				nulls[4] = true;
			values[5] = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 3, &isnull);
			nulls[5] = isnull;
			values[6] = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 4, &isnull);
			if (!isnull)
				values[6] = datumCopy(values[6], false, -1);
			nulls[6] = isnull;
			values[7] = CStringGetTextDatum(group->found_by);
			values[8] = Int32GetDatum(group->depth);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
			MemoryContextSwitchTo(spi);
			rows++;
		}
	}
	UnregisterSnapshot(search->snapshot);
	search->snapshot = NULL;
	log_request("export", search, false,
				DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}"))), rows, "done");
	explicit_bzero(key, sizeof(key));
	SPI_finish();
	return (Datum) 0;
}

/* Per tagged table, what an erasure found and did. */
typedef struct EraseReport
{
	Oid			root;
	int64		found;
	int64		deleted;
	int64		anonymized;
	int64		held;
	char	   *note;
} EraseReport;

static EraseReport *
report_for(List **reports, Oid root)
{
	ListCell   *lc;
	EraseReport *r;

	foreach(lc, *reports)
	{
		r = lfirst(lc);
		if (r->root == root)
			return r;
	}
	r = palloc0(sizeof(EraseReport));
	r->root = root;
	*reports = lappend(*reports, r);
	return r;
}

static bool
category_held(const RetentionHolds *holds, const char *category)
{
	return list_member(holds->categories, makeString((char *) category));
}

/* "held by someone else's subject hold" predicate on alias r, or NULL */
static char *
others_held_sql(List *subject_columns, const RetentionHolds *holds)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, subject_columns)
	{
		RetentionTag *tag = lfirst(lc);

		if (!list_member(holds->subject_kinds, makeString(tag->label.subject)))
			continue;
		/* a NULL identifier matches no hold */
		appendStringInfo(&buf, "%scoalesce(retention._subject_held(%s, r.%s::pg_catalog.text, $1), false)",
						 buf.len ? " OR " : "", quote_literal_cstr(tag->label.subject),
						 quote_identifier(retention_live_attname(tag->relid, tag->attnum)));
	}
	return buf.len ? buf.data : NULL;
}

/* Does a group of a table with this root get deleted (else anonymized)? */
static bool
deletes_rows(Search *search, Oid root)
{
	RetentionTag *table_tag;
	List	   *column_tags;
	List	   *subject_columns;

	tags_of(search, root, &table_tag, &column_tags, &subject_columns);
	return table_tag != NULL || column_tags == NIL;
}

/*
 * SET list for a kept row: every column tag's method, identifiers of
 * subject-only columns removed (NULL, or a pseudonym where NOT NULL), and
 * nullable foreign keys that point at rows this erasure deletes cut
 * (a RESTRICT key would otherwise block the delete).
 */
static char *
kept_row_set_list(Search *search, FoundGroup *group, List *column_tags,
				  List *subject_columns, const RetentionHolds *holds)
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
		char	   *name = retention_live_attname(tag->relid, tag->attnum);
		char	   *value;

		if (category_held(holds, tag->category->name))
			continue;
		/* the method's expression reads the leaf's own column */
		value = retention_anonymized_value_sql(tag, group->relid, &pending);
		appendStringInfo(&buf, "%s%s = %s", buf.len ? ", " : "", quote_identifier(name), value);
		done = lappend(done, name);
	}
	foreach(lc, subject_columns)
	{
		RetentionTag *tag = lfirst(lc);
		char	   *name = retention_live_attname(tag->relid, tag->attnum);
		AttrNumber	attnum = get_attnum(group->relid, name);
		Form_pg_attribute att = TupleDescAttr(RelationGetDescr(rel), attnum - 1);

		if (list_member(done, makeString(name)) || tag->category)
			continue;
		if (!att->attnotnull)
			appendStringInfo(&buf, "%s%s = NULL", buf.len ? ", " : "", quote_identifier(name));
		else if (TypeCategory(getBaseType(att->atttypid)) == TYPCATEGORY_STRING)
			appendStringInfo(&buf, "%s%s = retention._pseudonym(r.%s::pg_catalog.text, %d, $1)::%s",
							 buf.len ? ", " : "", quote_identifier(name), quote_identifier(name),
							 att->atttypmod > VARHDRSZ ? att->atttypmod - VARHDRSZ : 0,
							 format_type_extended(att->atttypid, att->atttypmod,
												  FORMAT_TYPE_TYPEMOD_GIVEN | FORMAT_TYPE_FORCE_QUALIFY));
	}
	/* cut nullable RESTRICT / NO ACTION keys to rows being deleted */
	foreach(lc, RelationGetFKeyList(rel))
	{
		ForeignKeyCacheInfo *fk = lfirst(lc);
		HeapTuple	tuple = SearchSysCache1(CONSTROID, ObjectIdGetDatum(fk->conoid));
		char		deltype;
		bool		nullable = true;
		bool		target_deleted = false;
		ListCell   *gc;

		if (!HeapTupleIsValid(tuple))
			continue;
		deltype = ((Form_pg_constraint) GETSTRUCT(tuple))->confdeltype;
		ReleaseSysCache(tuple);
		if (deltype != FKCONSTR_ACTION_NOACTION && deltype != FKCONSTR_ACTION_RESTRICT)
			continue;
		foreach(gc, search->groups)
		{
			FoundGroup *g = lfirst(gc);

			if ((g->root == fk->confrelid || g->relid == fk->confrelid ||
				 list_member_oid(get_partition_ancestors(g->relid), fk->confrelid)) &&
				deletes_rows(search, g->root))
				target_deleted = true;
		}
		for (int k = 0; k < fk->nkeys; k++)
			if (TupleDescAttr(RelationGetDescr(rel), fk->conkey[k] - 1)->attnotnull)
				nullable = false;
		if (!target_deleted || !nullable)
			continue;
		/* only where this row's own parent is one this erasure deletes */
		{
			StringInfoData parent;
			StringInfoData match;
			ListCell   *pc;

			initStringInfo(&match);
			for (int k = 0; k < fk->nkeys; k++)
				appendStringInfo(&match, "%sp.%s OPERATOR(pg_catalog.=) r.%s", k ? " AND " : "",
								 quote_identifier(retention_live_attname(fk->confrelid, fk->confkey[k])),
								 quote_identifier(NameStr(TupleDescAttr(RelationGetDescr(rel), fk->conkey[k] - 1)->attname)));
			initStringInfo(&parent);
			foreach(pc, search->groups)
			{
				FoundGroup *g = lfirst(pc);
				StringInfoData tids;
				ListCell   *tc;

				if (!(g->root == fk->confrelid || g->relid == fk->confrelid ||
					  list_member_oid(get_partition_ancestors(g->relid), fk->confrelid)) ||
					!deletes_rows(search, g->root) || g->matched_attnum != 0)
					continue;
				initStringInfo(&tids);
				foreach(tc, g->tids)
				{
					ItemPointer tid = lfirst(tc);

					appendStringInfo(&tids, "%s\"(%u,%u)\"", tids.len ? "," : "",
									 ItemPointerGetBlockNumber(tid), ItemPointerGetOffsetNumber(tid));
				}
				appendStringInfo(&parent, "%sEXISTS (SELECT 1 FROM ONLY %s p WHERE p.ctid OPERATOR(pg_catalog.=) ANY ('{%s}'::pg_catalog.tid[]) AND %s)",
								 parent.len ? " OR " : "", qualified_name(g->relid), tids.data, match.data);
			}
			for (int k = 0; k < fk->nkeys; k++)
			{
				char	   *name = NameStr(TupleDescAttr(RelationGetDescr(rel), fk->conkey[k] - 1)->attname);

				if (!list_member(done, makeString(name)) && parent.len)
					appendStringInfo(&buf, "%s%s = CASE WHEN %s THEN NULL ELSE r.%s END",
									 buf.len ? ", " : "", quote_identifier(name), parent.data,
									 quote_identifier(name));
			}
		}
	}
	table_close(rel, AccessShareLock);
	return buf.len ? buf.data : NULL;
}

/*
 * Does a foreign key lead from a table with held rows in this erasure to
 * root?  Then root's rows that cannot be deleted are kept as they are.
 */
static bool
referenced_by_held(Search *search, List *reports, Oid root)
{
	Relation	conrel = table_open(ConstraintRelationId, AccessShareLock);
	SysScanDesc scan = systable_beginscan(conrel, InvalidOid, false, NULL, 0, NULL);
	HeapTuple	tuple;
	bool		found = false;

	while (!found && HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tuple);
		ListCell   *lc;

		if (con->contype != CONSTRAINT_FOREIGN || con->confrelid != root)
			continue;
		foreach(lc, reports)
		{
			EraseReport *r = lfirst(lc);

			if (r->held > 0 && r->root == con->conrelid)
				found = true;
		}
	}
	systable_endscan(scan);
	table_close(conrel, AccessShareLock);
	return found;
}

static int
compare_depth_desc(const ListCell *a, const ListCell *b)
{
	return ((FoundGroup *) lfirst(b))->depth - ((FoundGroup *) lfirst(a))->depth;
}

/* Runs a DML or count statement on a group's rows as the leaf's owner. */
static uint64
group_statement(Search *search, FoundGroup *group, const char *sql, const RetentionHolds *holds,
				int expected)
{
	int			nestlevel;
	Oid			save_userid;
	int			save_sec;
	Oid			argtype = TIDARRAYOID;
	Datum		arg = tid_array(group->tids);
	int			rc;
	uint64		n;

	retention_begin_as_owner(relation_owner(group->relid), &nestlevel, &save_userid, &save_sec);
	retention_set_executor_active(true, holds);
	rc = retention_execute_job_sql(sql, 1, &argtype, &arg, false, 0);
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

/*
 * retention_erase_subject
 *
 * retention.erase_subject(identifiers jsonb, dry_run boolean DEFAULT false)
 * RETURNS TABLE(table_name regclass, rows_found bigint, rows_deleted bigint,
 *               rows_anonymized bigint, rows_held bigint, note text)
 *
 * Deletes the person's rows where their table deletes rows (a table tag, or
 * no tag at all), anonymizes their tagged columns where it keeps them,
 * children before parents, all in the caller's transaction; honours legal
 * holds; then puts the identifiers on the suppression list.  dry_run
 * reports and changes nothing.
 */
PG_FUNCTION_INFO_V1(retention_erase_subject);

Datum
retention_erase_subject(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Jsonb	   *identifiers;
	bool		dry_run;
	uint8		key[RETENTION_KEY_BYTES];
	Search	   *search;
	RetentionHolds holds;
	List	   *reports = NIL;
	List	   *ordered;
	ListCell   *lc;
	bool		subject_held = false;
	int64		found = 0;
	MemoryContext cxt;
	StringInfoData tables;

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
	identifiers = PG_GETARG_JSONB_P(0);
	dry_run = PG_GETARG_BOOL(1);
	InitMaterializedSRF(fcinfo, 0);
	cxt = CurrentMemoryContext;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	search = begin_search(identifiers, !dry_run, key);
	retention_load_holds(&holds, GetCurrentTransactionStartTimestamp());
	foreach(lc, search->identifiers)
	{
		Identifier *id = lfirst(lc);

		if (holds.subject_hashes && hash_search(holds.subject_hashes, id->hash, HASH_FIND, NULL))
			subject_held = true;
	}
	if (subject_held)
		search->lock = false;
	search_identifiers(search);
	search_children(search);

	/* deepest children first: fewer keys block a delete */
	ordered = list_copy(search->groups);
	list_sort(ordered, compare_depth_desc);

	/*
	 * Errors of the statements below (constraints, the owner's triggers) can
	 * quote row values, the person's identifiers among them: they are
	 * raised again in the extension's words.
	 */
	PG_TRY();
	{

	/* pass 0: rows that are kept (anonymized); pass 1: rows deleted */
	for (int pass = 0; pass < 2; pass++)
	{
		List	   *deletes = NIL;

		foreach(lc, ordered)
		{
			FoundGroup *group = lfirst(lc);
			EraseReport *report = report_for(&reports, group->root);
			RetentionTag *table_tag;
			List	   *column_tags;
			List	   *subject_columns;
			bool		deleting;
			char	   *held;
			int64		rows = list_length(group->tids);
			int64		held_rows = 0;
			bool		whole_held;

			tags_of(search, group->root, &table_tag, &column_tags, &subject_columns);
			/*
			 * Found through an identifier column with its own anonymization
			 * rule (an end user's number in someone else's record): only that
			 * value goes.  Otherwise the table's rule decides.
			 */
			if (group->matched_attnum != 0)
			{
				ListCell   *tc;
				List	   *own = NIL;

				foreach(tc, column_tags)
					if (((RetentionTag *) lfirst(tc))->attnum == group->matched_attnum)
						own = lappend(own, lfirst(tc));
				column_tags = own;
				subject_columns = NIL;
				deleting = false;
			}
			else
				deleting = (table_tag != NULL || column_tags == NIL);
			if (deleting != (pass == 1))
				continue;
			report->found += rows;
			found += rows;

			whole_held = subject_held || list_member_oid(holds.tables, group->root) ||
				(deleting && table_tag && category_held(&holds, table_tag->category->name));
			if (!deleting && !whole_held)
			{
				ListCell   *tc;

				whole_held = true;
				foreach(tc, column_tags)
					if (!category_held(&holds, ((RetentionTag *) lfirst(tc))->category->name))
						whole_held = false;
			}
			if (whole_held)
			{
				report->held += rows;
				report->note = subject_held ? "the subject is under a legal hold: nothing was changed"
					: "held by a legal hold on the category or table";
				continue;
			}

			tags_of(search, group->root, &table_tag, &column_tags, &subject_columns);
			held = others_held_sql(subject_columns, &holds);
			if (held)
				held_rows = group_statement(search, group,
											psprintf("SELECT pg_catalog.count(*) FROM ONLY %s r WHERE r.ctid OPERATOR(pg_catalog.=) ANY ($2) AND (%s)",
													 qualified_name(group->relid), held),
											&holds, SPI_OK_SELECT);
			report->held += held_rows;
			if (dry_run)
			{
				if (deleting)
					report->deleted += rows - held_rows;
				else
					report->anonymized += rows - held_rows;
				continue;
			}
			if (deleting)
			{
				char	   *referenced = retention_referenced_sql(group->root, search->tags, &holds);

				/* rows that kept rows still reference stay (and are reported) */
				group->sql = psprintf("DELETE FROM ONLY %s r WHERE r.ctid OPERATOR(pg_catalog.=) ANY ($2)%s%s%s%s%s",
									  qualified_name(group->relid),
									  held ? " AND NOT (" : "", held ? held : "", held ? ")" : "",
									  referenced ? " AND NOT " : "", referenced ? referenced : "");
				group->remaining_sql = psprintf("SELECT pg_catalog.count(*) FROM ONLY %s r WHERE r.ctid OPERATOR(pg_catalog.=) ANY ($2)%s%s%s",
												qualified_name(group->relid),
												held ? " AND NOT (" : "", held ? held : "", held ? ")" : "");
				group->to_delete = rows - held_rows;
				deletes = lappend(deletes, group);
			}
			else
			{
				char	   *set;

				if (group->matched_attnum != 0)
				{
					ListCell   *tc;
					List	   *own = NIL;

					foreach(tc, column_tags)
						if (((RetentionTag *) lfirst(tc))->attnum == group->matched_attnum)
							own = lappend(own, lfirst(tc));
					set = kept_row_set_list(search, group, own, NIL, &holds);
				}
				else
					set = kept_row_set_list(search, group, column_tags, subject_columns, &holds);
				if (set)
					report->anonymized += group_statement(search, group,
														  psprintf("UPDATE ONLY %s r SET %s WHERE r.ctid OPERATOR(pg_catalog.=) ANY ($2)%s%s%s",
																   qualified_name(group->relid), set,
																   held ? " AND NOT (" : "", held ? held : "", held ? ")" : ""),
														  &holds, SPI_OK_UPDATE);
			}
		}

		/*
		 * Deletes, children first, repeated while they make progress: a row
		 * referenced by a row deleted later in the same erasure goes in a
		 * later pass; a row that kept rows (held, or kept by their table's
		 * rule) still reference stays and is reported held.
		 */
		{
			bool		progress = true;
			ListCell   *dc;

			foreach(dc, deletes)
				((FoundGroup *) lfirst(dc))->left = ((FoundGroup *) lfirst(dc))->to_delete;
			while (progress)
			{
				progress = false;
				foreach(dc, deletes)
				{
					FoundGroup *group = lfirst(dc);
					uint64		n;

					if (group->left <= 0)
						continue;
					n = group_statement(search, group, group->sql, &holds, SPI_OK_DELETE);
					group->left -= n;
					if (n > 0)
						progress = true;
				}
			}
			foreach(dc, deletes)
			{
				FoundGroup *group = lfirst(dc);
				EraseReport *report = report_for(&reports, group->root);
				/* rows may also have gone by cascade: count what is left */
				int64		remaining = group->left <= 0 ? 0 :
					(int64) group_statement(search, group, group->remaining_sql, &holds, SPI_OK_SELECT);

				report->deleted += group->to_delete - remaining;
				if (remaining > 0 && referenced_by_held(search, reports, group->root))
				{
					/* what held rows point at is kept as it is, with them */
					report->held += remaining;
					report->note = "kept: held rows still reference them";
				}
				else if (remaining > 0)
				{
					/*
					 * Rows that kept rows still reference cannot go: they are
					 * anonymized instead, so that they identify nobody.
					 */
					RetentionTag *table_tag;
					List	   *column_tags;
					List	   *subject_columns;
					char	   *set;

					tags_of(search, group->root, &table_tag, &column_tags, &subject_columns);
					set = kept_row_set_list(search, group, column_tags, subject_columns, &holds);
					if (set)
						group_statement(search, group,
										psprintf("UPDATE ONLY %s r SET %s WHERE r.ctid OPERATOR(pg_catalog.=) ANY ($2)",
												 qualified_name(group->relid), set),
										&holds, SPI_OK_UPDATE);
					report->anonymized += remaining;
					report->note = "anonymized instead of deleted: rows that are kept still reference them";
				}
			}
		}
	}

	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		if (retention_log_error_details)
			ereport(LOG,
					(errmsg_internal("pg_retention: erasure failed: %s", edata->message),
					 edata->detail ? errdetail_internal("%s", edata->detail) : 0));
		ereport(ERROR,
				(errcode(edata->sqlerrcode),
				 errmsg("erasure failed: %s", retention_error_in_words(edata->sqlerrcode)),
				 edata->constraint_name ?
				 errdetail("Constraint \"%s\" of table \"%s\".", edata->constraint_name,
						   edata->table_name ? edata->table_name : "?") : 0,
				 errhint("Nothing was changed. Check the constraint or trigger named, then repeat the request.")));
	}
	PG_END_TRY();

	/* the suppression list and the request log */
	initStringInfo(&tables);
	appendStringInfoChar(&tables, '{');
	foreach(lc, reports)
	{
		EraseReport *r = lfirst(lc);

		if (tables.len > 1)
			appendStringInfoString(&tables, ", ");
		escape_json(&tables, qualified_name(r->root));
		appendStringInfo(&tables, ": {\"found\": " INT64_FORMAT ", \"deleted\": " INT64_FORMAT
						 ", \"anonymized\": " INT64_FORMAT ", \"held\": " INT64_FORMAT "}",
						 r->found, r->deleted, r->anonymized, r->held);
	}
	appendStringInfoChar(&tables, '}');
	if (!dry_run && !subject_held)
	{
		foreach(lc, search->identifiers)
		{
			Identifier *id = lfirst(lc);
			Oid			types[3] = {TEXTOID, BYTEAOID, TEXTOID};
			Datum		values[3];
			bytea	   *hash = palloc(VARHDRSZ + PG_SHA256_DIGEST_LENGTH);

			SET_VARSIZE(hash, VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
			memcpy(VARDATA(hash), id->hash, PG_SHA256_DIGEST_LENGTH);
			values[0] = CStringGetTextDatum(id->kind);
			values[1] = PointerGetDatum(hash);
			values[2] = CStringGetTextDatum("erasure");
			retention_exec_as_extension_owner("INSERT INTO retention.suppression (kind, identifier_hash, reason) VALUES ($1, $2, $3)"
									" ON CONFLICT (kind, identifier_hash) DO NOTHING",
									3, types, values, NULL, SPI_OK_INSERT);
		}
	}
	log_request(dry_run ? "erase (dry run)" : "erase", search, dry_run,
				DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(tables.data))), found,
				subject_held ? "held" : found == 0 ? "nothing found" : "done");
	if (found == 0)
		ereport(NOTICE,
				(errmsg("no data of this subject was found"),
				 errdetail("Nothing was changed. An erasure that ran before leaves nothing to find.")));

	foreach(lc, reports)
	{
		EraseReport *r = lfirst(lc);
		Datum		values[6];
		bool		nulls[6] = {false, false, false, false, false, false};
		MemoryContext spi = MemoryContextSwitchTo(cxt);

		values[0] = ObjectIdGetDatum(r->root);
		values[1] = Int64GetDatum(r->found);
		values[2] = Int64GetDatum(r->deleted);
		values[3] = Int64GetDatum(r->anonymized);
		values[4] = Int64GetDatum(r->held);
		if (r->note)
			values[5] = CStringGetTextDatum(r->note);
		else
			nulls[5] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		MemoryContextSwitchTo(spi);
	}
	explicit_bzero(key, sizeof(key));
	SPI_finish();
	return (Datum) 0;
}

/*
 * retention_suppress / retention_is_suppressed
 *
 * retention.suppress(kind text, value text, reason text DEFAULT 'opt-out')
 * retention.is_suppressed(kind text, value text) RETURNS boolean
 *
 * The suppression list holds keyed hashes of normalized identifiers only.
 */
static bytea *
identifier_hash_datum(const char *kind, const char *value)
{
	uint8		key[RETENTION_KEY_BYTES];
	bytea	   *hash = palloc(VARHDRSZ + PG_SHA256_DIGEST_LENGTH);

	retention_load_key(key);
	SET_VARSIZE(hash, VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	retention_identifier_hash(key, kind, value, (uint8 *) VARDATA(hash));
	explicit_bzero(key, sizeof(key));
	return hash;
}

PG_FUNCTION_INFO_V1(retention_suppress);

Datum
retention_suppress(PG_FUNCTION_ARGS)
{
	char	   *kind = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *value = text_to_cstring(PG_GETARG_TEXT_PP(1));
	Oid			types[3] = {TEXTOID, BYTEAOID, TEXTOID};
	Datum		values[3];

	check_dsr_member();
	values[0] = PG_GETARG_DATUM(0);
	values[1] = PointerGetDatum(identifier_hash_datum(kind, value));
	values[2] = PG_ARGISNULL(2) ? CStringGetTextDatum("opt-out") : PG_GETARG_DATUM(2);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	retention_exec_as_extension_owner("INSERT INTO retention.suppression (kind, identifier_hash, reason) VALUES ($1, $2, $3)"
							" ON CONFLICT (kind, identifier_hash) DO NOTHING",
							3, types, values, NULL, SPI_OK_INSERT);
	SPI_finish();
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(retention_is_suppressed);

Datum
retention_is_suppressed(PG_FUNCTION_ARGS)
{
	Oid			types[2] = {TEXTOID, BYTEAOID};
	Datum		values[2];
	bool		found;

	values[0] = PG_GETARG_DATUM(0);
	values[1] = PointerGetDatum(identifier_hash_datum(text_to_cstring(PG_GETARG_TEXT_PP(0)),
													  text_to_cstring(PG_GETARG_TEXT_PP(1))));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	retention_exec_as_extension_owner("SELECT 1 FROM retention.suppression WHERE kind OPERATOR(pg_catalog.=) $1"
							" AND identifier_hash OPERATOR(pg_catalog.=) $2",
							2, types, values, NULL, SPI_OK_SELECT);
	found = SPI_processed > 0;
	SPI_finish();
	PG_RETURN_BOOL(found);
}
