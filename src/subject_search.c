/*-------------------------------------------------------------------------
 *
 * src/subject_search.c
 *	  Finding one data subject's rows across the database, for export and
 *	  erasure; the request log.
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
 * One statement per table and step: step 1 reads a table once for all of
 * its identifier columns and the request's identifiers; step 2 reads a
 * child once per foreign key and level, for all the parent rows found at
 * that level.  A lookup of a plain table (no partitions, no inheritance)
 * also returns the row's key columns (the values its children and parents
 * are looked up by) and, for an export, the row's data and due dates (the
 * reader's select list): nothing is read twice.
 *
 * Every statement reads one table, as that table's owner, with row
 * security bypassed, in a security-restricted operation (subject_query.c).
 * A child lookup binds the parent rows' key values, read as the parent's
 * owner, as parameters of a statement that reads the child as the child's
 * owner.  So no role's code (a policy, a function in an index) ever runs
 * as another role, and the caller cannot point the search at untagged
 * tables (only tags and foreign keys decide where to look).
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

/*
 * The rows of one leaf relation the search has found, by TID: appended as
 * found, sorted when a later statement reads the relation again.  One
 * statement's scan returns a row once, so its rows are only checked
 * against those of earlier statements.
 */
typedef struct SeenRows
{
	Oid			relid;			/* hash key */
	ItemPointerData *tids;
	int			n;
	int			size;
	int			sorted;			/* tids[0..sorted) are in order */
	int			statement;		/* the lookup that appended last */
} SeenRows;

static int
compare_tids(const void *a, const void *b)
{
	return ItemPointerCompare((ItemPointer) a, (ItemPointer) b);
}

static SeenRows *
seen_rows(SubjectSearch *search, Oid relid)
{
	bool		found;
	SeenRows   *rows = hash_search(search->visited, &relid, HASH_ENTER, &found);

	if (!found)
	{
		rows->size = 64;
		rows->tids = MemoryContextAlloc(search->cxt, sizeof(ItemPointerData) * rows->size);
		rows->n = rows->sorted = 0;
		rows->statement = 0;
	}
	return rows;
}

/*
 * Was the row found before (by an earlier statement than lookup statement
 * number "statement"; 0: by any)?  add: if not, it is now.
 */
static bool
seen(SeenRows *rows, ItemPointer tid, int statement, bool add)
{
	int			unsorted_upto = rows->n;

	if (statement != 0 && rows->statement != statement)
	{
		/* a new statement: what earlier ones found, in order */
		if (rows->sorted < rows->n)
			qsort(rows->tids, rows->n, sizeof(ItemPointerData), compare_tids);
		rows->sorted = rows->n;
		rows->statement = statement;
	}
	if (statement != 0)
		unsorted_upto = rows->sorted;	/* this statement's own rows differ */
	else if (rows->n - rows->sorted > 16)
	{
		qsort(rows->tids, rows->n, sizeof(ItemPointerData), compare_tids);
		rows->sorted = unsorted_upto = rows->n;
	}
	if (bsearch(tid, rows->tids, rows->sorted, sizeof(ItemPointerData), compare_tids))
		return true;
	for (int i = rows->sorted; i < unsorted_upto; i++)
		if (ItemPointerEquals(&rows->tids[i], tid))
			return true;
	if (!add)
		return false;
	if (rows->n == rows->size)
	{
		rows->size *= 2;
		rows->tids = repalloc(rows->tids, sizeof(ItemPointerData) * rows->size);
	}
	rows->tids[rows->n++] = *tid;
	if (statement == 0)
		rows->statement = 0;	/* the next lookup sorts again */
	return false;
}

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

/* The ancestors of a partition, nearest first; NIL for any other relation. */
List *
subject_ancestors(Oid relid)
{
	/* the syscache answers for most relations: no scan of pg_inherits */
	return get_rel_relispartition(relid) ? get_partition_ancestors(relid) : NIL;
}

/* The table carrying tags for a leaf: its topmost partitioned ancestor. */
Oid
subject_tag_root(Oid relid)
{
	List	   *ancestors = subject_ancestors(relid);

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

/* The ancestors of a leaf and the leaf itself. */
static List *
self_and_ancestors(Oid relid)
{
	return lcons_oid(relid, subject_ancestors(relid));
}

/*
 * subject_foreign_keys
 *
 * Every foreign key of the database (SubjectForeignKey *), read from
 * pg_constraint once per request.
 */
List *
subject_foreign_keys(SubjectSearch *search)
{
	Relation	conrel;
	SysScanDesc scan;
	HeapTuple	tuple;
	MemoryContext old;

	if (search->foreign_keys != NIL)
		return search->foreign_keys;
	old = MemoryContextSwitchTo(search->cxt);
	conrel = table_open(ConstraintRelationId, AccessShareLock);
	scan = systable_beginscan(conrel, InvalidOid, false, NULL, 0, NULL);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tuple);
		SubjectForeignKey *fk;

		if (con->contype != CONSTRAINT_FOREIGN)
			continue;
		fk = palloc(sizeof(SubjectForeignKey));
		fk->oid = con->oid;
		fk->conrelid = con->conrelid;
		fk->confrelid = con->confrelid;
		fk->conparentid = con->conparentid;
		search->foreign_keys = lappend(search->foreign_keys, fk);
	}
	systable_endscan(scan);
	table_close(conrel, AccessShareLock);
	/* none at all: a list that says so, read once too */
	if (search->foreign_keys == NIL)
		search->foreign_keys = list_make1(palloc0(sizeof(SubjectForeignKey)));
	MemoryContextSwitchTo(old);
	return search->foreign_keys;
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
subject_referencing_keys(SubjectSearch *search, Oid leaf, bool self)
{
	List	   *targets = self_and_ancestors(leaf);
	List	   *fks = NIL;
	ListCell   *lc;

	foreach(lc, subject_foreign_keys(search))
	{
		SubjectForeignKey *con = lfirst(lc);

		if (OidIsValid(con->oid) && !OidIsValid(con->conparentid) &&
			list_member_oid(targets, con->confrelid) &&
			(self || (!list_member_oid(targets, con->conrelid) && con->conrelid != con->confrelid)))
			fks = lappend_oid(fks, con->oid);
	}
	return fks;
}

/* The foreign keys from a leaf (or its ancestors) to other tagged tables. */
static List *
parent_keys(SubjectSearch *search, Oid leaf)
{
	List	   *targets = self_and_ancestors(leaf);
	List	   *fks = NIL;
	ListCell   *lc;

	foreach(lc, subject_foreign_keys(search))
	{
		SubjectForeignKey *con = lfirst(lc);

		if (OidIsValid(con->oid) && !OidIsValid(con->conparentid) &&
			list_member_oid(targets, con->conrelid) &&
			!list_member_oid(targets, con->confrelid) &&
			table_is_tagged(search, subject_tag_root(con->confrelid)))
			fks = lappend_oid(fks, con->oid);
	}
	return fks;
}

/* One foreign key's columns and equality operators. */
typedef struct KeyColumns
{
	Oid			conrelid;		/* the referencing table as declared */
	Oid			confrelid;		/* the referenced table as declared */
	int			nkeys;
	AttrNumber	conkey[INDEX_MAX_KEYS];
	AttrNumber	confkey[INDEX_MAX_KEYS];
	Oid			pf_eq[INDEX_MAX_KEYS];
} KeyColumns;

static bool
key_columns(Oid conoid, KeyColumns *kc)
{
	HeapTuple	ctup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(conoid));

	if (!HeapTupleIsValid(ctup))
		return false;
	kc->conrelid = ((Form_pg_constraint) GETSTRUCT(ctup))->conrelid;
	kc->confrelid = ((Form_pg_constraint) GETSTRUCT(ctup))->confrelid;
	DeconstructFkConstraintRow(ctup, &kc->nkeys, kc->conkey, kc->confkey, kc->pf_eq,
							   NULL, NULL, NULL, NULL);
	ReleaseSysCache(ctup);
	return true;
}

/*
 * What the lookups of one relation read besides the row's address: for a
 * plain table (no partitions, no inheritance children, not a partition:
 * every row it returns is its own), the key columns its children and
 * parents are looked up by, and the reader's select list.
 */
typedef struct SubjectRelation
{
	Oid			relid;			/* hash key */
	bool		plain;
	int			nkeys;
	AttrNumber *keys;			/* attnums on relid */
	Oid		   *key_types;		/* their base types */
	char	   *keys_sql;		/* ", r.a, r.b" */
	char	   *data_sql;		/* ", ..." of the reader, or "" */
} SubjectRelation;

static void
add_key_column(SubjectRelation *rel, AttrNumber attnum)
{
	for (int i = 0; i < rel->nkeys; i++)
		if (rel->keys[i] == attnum)
			return;
	rel->keys = rel->nkeys ? repalloc(rel->keys, sizeof(AttrNumber) * (rel->nkeys + 1))
		: palloc(sizeof(AttrNumber));
	rel->keys[rel->nkeys++] = attnum;
}

static SubjectRelation *
relation_of(SubjectSearch *search, Oid relid)
{
	SubjectRelation *rel;
	bool		found;
	HeapTuple	tuple;
	MemoryContext old;
	StringInfoData buf;
	ListCell   *lc;

	rel = hash_search(search->relations, &relid, HASH_ENTER, &found);
	if (found)
		return rel;
	old = MemoryContextSwitchTo(search->cxt);
	rel->plain = false;
	rel->nkeys = 0;
	rel->keys_sql = "";
	rel->data_sql = "";
	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (HeapTupleIsValid(tuple))
	{
		Form_pg_class c = (Form_pg_class) GETSTRUCT(tuple);

		rel->plain = c->relkind == RELKIND_RELATION && !c->relhassubclass && !c->relispartition;
		ReleaseSysCache(tuple);
	}
	if (!rel->plain)
	{
		MemoryContextSwitchTo(old);
		return rel;
	}
	/* the referenced columns of its children's keys, its own keys to parents */
	foreach(lc, subject_referencing_keys(search, relid, false))
	{
		KeyColumns	kc;

		if (key_columns(lfirst_oid(lc), &kc))
			for (int k = 0; k < kc.nkeys; k++)
				add_key_column(rel, kc.confkey[k]);
	}
	foreach(lc, parent_keys(search, relid))
	{
		KeyColumns	kc;

		if (key_columns(lfirst_oid(lc), &kc))
			for (int k = 0; k < kc.nkeys; k++)
				add_key_column(rel, kc.conkey[k]);
	}
	initStringInfo(&buf);
	rel->key_types = palloc(sizeof(Oid) * Max(rel->nkeys, 1));
	for (int i = 0; i < rel->nkeys; i++)
	{
		appendStringInfo(&buf, ", r.%s", quote_identifier(subject_attname(relid, rel->keys[i])));
		rel->key_types[i] = getBaseType(get_atttype(relid, rel->keys[i]));
	}
	rel->keys_sql = buf.data;
	if (search->reader)
	{
		char	   *data = search->reader->data_sql(search, relid, relid);

		rel->data_sql = data ? psprintf(", %s", data) : "";
	}
	MemoryContextSwitchTo(old);
	return rel;
}

/* The key values of one row, as its lookup read them. */
typedef struct KeyRow
{
	Datum	   *values;
	bool	   *nulls;
} KeyRow;

/*
 * One lookup statement: what its rows are (depth, and per predicate of an
 * identifier lookup what found them) and what it reads with them.  Its
 * select list: tableoid, ctid, the predicate that matched (1...), the key
 * columns, the reader's columns.
 */
typedef struct Lookup
{
	SubjectSearch *search;
	SubjectRelation *rel;
	int			depth;
	const char **found_by;		/* per predicate */
	AttrNumber *matched;		/* per predicate */
	int			npredicates;
	int			added;
	int			statement;		/* its number in the search */
	SubjectGroup *last;
	SeenRows   *seen;			/* of the last row's relation */
	ItemPointer tids;			/* room for the next TIDs found */
	int			tids_left;
} Lookup;

static void
lookup_row(TupleTableSlot *slot, void *arg)
{
	Lookup	   *l = arg;
	SubjectSearch *search = l->search;
	Oid			relid = DatumGetObjectId(slot->tts_values[0]);
	ItemPointer found = (ItemPointer) DatumGetPointer(slot->tts_values[1]);
	int			which = 0;
	SubjectGroup *group;
	ItemPointer tid;
	int			col = 3;

	if (l->seen == NULL || l->seen->relid != relid)
		l->seen = seen_rows(search, relid);
	if (seen(l->seen, found, l->statement, true))
		return;
	if (!slot->tts_isnull[2])
		which = Min(Max(DatumGetInt32(slot->tts_values[2]), 1), l->npredicates) - 1;
	group = l->last;
	if (group == NULL || group->relid != relid ||
		group->matched_attnum != l->matched[which] || strcmp(group->found_by, l->found_by[which]) != 0)
		group = l->last = group_for(search, relid, l->depth, l->found_by[which], l->matched[which]);
	if (l->tids_left == 0)
	{
		/* TIDs in blocks: one allocation per 256 rows, not per row */
		l->tids = palloc(sizeof(ItemPointerData) * 256);
		l->tids_left = 256;
	}
	tid = l->tids++;
	l->tids_left--;
	*tid = *found;
	group->tids = lappend(group->tids, tid);
	l->added++;
	if (!l->rel->plain)
	{
		group->unread = search->reader != NULL;
		return;
	}
	if (l->rel->nkeys > 0)
	{
		KeyRow	   *kr = palloc(sizeof(KeyRow) + (sizeof(Datum) + sizeof(bool)) * l->rel->nkeys);
		TupleDesc	desc = slot->tts_tupleDescriptor;

		kr->values = (Datum *) (kr + 1);
		kr->nulls = (bool *) (kr->values + l->rel->nkeys);
		for (int k = 0; k < l->rel->nkeys; k++, col++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, col);

			kr->nulls[k] = slot->tts_isnull[col];
			kr->values[k] = kr->nulls[k] ? (Datum) 0
				: datumCopy(slot->tts_values[col], att->attbyval, att->attlen);
		}
		group->keyrows = lappend(group->keyrows, kr);
	}
	if (search->reader)
		search->reader->row(search, group, slot->tts_values + col, slot->tts_isnull + col);
}

/* Runs a lookup of relation relid (sql from lookup_sql); returns the rows new to the search. */
static int
run_lookup(Lookup *l, Oid relid, const char *sql, int nargs, Oid *types, Datum *values)
{
	l->added = 0;
	l->last = NULL;
	l->seen = NULL;
	l->statement = ++l->search->statements;
	subject_run(l->search, relid, sql, nargs, types, values, lookup_row, l);
	return l->added;
}

/* "SELECT ... FROM relid r WHERE where [FOR UPDATE OF r]" for a lookup. */
static char *
lookup_sql(Lookup *l, Oid relid, const char *which, const char *where)
{
	return psprintf("SELECT r.tableoid, r.ctid, %s%s%s FROM %s r WHERE %s%s",
					which, l->rel->plain ? l->rel->keys_sql : "", l->rel->plain ? l->rel->data_sql : "",
					subject_qualified_name(relid), where,
					l->search->lock ? " FOR UPDATE OF r" : "");
}

/* One identifier compared with one subject column (alias r). */
typedef struct Predicate
{
	char	   *lhs;			/* the column, or its normalized form */
	Oid			type;
	Datum		value;
	const char *kind;
	AttrNumber	matched;		/* the column, if it has its own rule */
} Predicate;

/*
 * The request's identifiers compared with the subject columns of a tag
 * root, in the order of the tags and of the identifiers.
 */
static List *
identifier_predicates(SubjectSearch *search, Oid root)
{
	List	   *result = NIL;
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

		if (tag->relid != root || tag->label.subject == NULL || tag->attnum == 0)
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
			Predicate  *p;

			if (strcmp(id->kind, tag->label.subject) != 0)
				continue;
			p = palloc(sizeof(Predicate));
			p->kind = id->kind;
			p->matched = tag->category ? tag->attnum : 0;
			if (integer)
			{
				/* not an integer of this type: nothing here can match */
				if (!integer_identifier(id->normalized, type, &p->value))
					continue;
				p->type = type;
				p->lhs = col;
			}
			else
			{
				p->type = TEXTOID;
				p->value = CStringGetTextDatum(id->normalized);
				p->lhs = psprintf("retention.normalize_identifier(%s, %s::pg_catalog.text)",
								  quote_literal_cstr(id->kind), col);
			}
			result = lappend(result, p);
		}
	}
	return result;
}

/*
 * "(p1 OR p2 ...)" with parameters $first...; which: the CASE that says
 * which predicate matched first, "1" for one.
 */
static char *
predicates_sql(List *predicates, int first, char **which, Oid *types, Datum *values)
{
	StringInfoData any;
	StringInfoData cases;
	ListCell   *lc;

	initStringInfo(&any);
	initStringInfo(&cases);
	appendStringInfoChar(&any, '(');
	appendStringInfoString(&cases, "CASE");
	foreach(lc, predicates)
	{
		Predicate  *p = lfirst(lc);
		int			i = foreach_current_index(lc);
		char	   *one = psprintf("%s OPERATOR(pg_catalog.=) $%d", p->lhs, first + i);

		appendStringInfo(&any, "%s%s", i ? " OR " : "", one);
		appendStringInfo(&cases, " WHEN %s THEN %d", one, i + 1);
		types[i] = p->type;
		values[i] = p->value;
	}
	appendStringInfoChar(&any, ')');
	appendStringInfoString(&cases, " END");
	if (which)
		*which = list_length(predicates) == 1 ? "1" : cases.data;
	return any.data;
}

/*
 * subject_search_identifiers
 *
 * Step 1: rows whose subject columns hold one of the identifiers, one
 * statement per tagged table.  A row matching several is found by the
 * first column and identifier, in the order of the tags and identifiers.
 */
void
subject_search_identifiers(SubjectSearch *search)
{
	List	   *roots = NIL;
	ListCell   *lc;

	foreach(lc, search->tags)
	{
		RetentionTag *tag = lfirst(lc);

		if (tag->label.subject && tag->attnum != 0 && !list_member_oid(roots, tag->relid))
			roots = lappend_oid(roots, tag->relid);
	}
	foreach(lc, roots)
	{
		Oid			root = lfirst_oid(lc);
		List	   *predicates = identifier_predicates(search, root);
		int			n = list_length(predicates);
		Lookup		l;
		Oid		   *types;
		Datum	   *values;
		char	   *which;
		char	   *where;
		ListCell   *pc;

		if (n == 0)
			continue;
		memset(&l, 0, sizeof(l));
		l.search = search;
		l.rel = relation_of(search, root);
		l.depth = 0;
		l.npredicates = n;
		l.found_by = palloc(sizeof(char *) * n);
		l.matched = palloc(sizeof(AttrNumber) * n);
		foreach(pc, predicates)
		{
			l.found_by[foreach_current_index(pc)] = ((Predicate *) lfirst(pc))->kind;
			l.matched[foreach_current_index(pc)] = ((Predicate *) lfirst(pc))->matched;
		}
		types = palloc(sizeof(Oid) * n);
		values = palloc(sizeof(Datum) * n);
		where = predicates_sql(predicates, 1, &which, types, values);
		run_lookup(&l, root, lookup_sql(&l, root, which, where), n, types, values);
	}
}

/*
 * subject_key_match_sql
 *
 * "Row alias of the referencing table matches one of the key values bound
 * as $first, $first+1, ..." (arrays of the referenced columns' values),
 * with the key's own equality operators.
 */
char *
subject_key_match_sql(Oid child, const char *alias, int nkeys, AttrNumber *conkey, Oid *pf_eq, int first)
{
	StringInfoData buf;
	Oid			left;
	Oid			right;

	initStringInfo(&buf);
	op_input_types(pf_eq[0], &left, &right);
	if (nkeys == 1 && left == right)
	{
		appendStringInfo(&buf, "%s.%s %s ANY ($%d)", alias,
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
		appendStringInfo(&buf, "%sk.v%d %s %s.%s", k ? " AND " : "", k, subject_operator_sql(pf_eq[k]),
						 alias, quote_identifier(subject_attname(child, conkey[k])));
	appendStringInfoChar(&buf, ')');
	return buf.data;
}

static int
compare_datums(const void *a, const void *b)
{
	Datum		x = *(const Datum *) a;
	Datum		y = *(const Datum *) b;

	return x < y ? -1 : x > y ? 1 : 0;
}

/*
 * The values of columns attnums[0..nkeys) of the rows of groups (all of
 * leaf relid), one array per column, rows with a NULL in one of them left
 * out (they reference nothing); false when no row is left.  Taken from what
 * their lookups read where they read it, else read now (subject_fetch_keys).
 */
static bool
group_keys(SubjectSearch *search, List *groups, Oid relid, int nkeys, AttrNumber *attnums,
		   Datum *arrays, Oid *types)
{
	SubjectRelation *rel = relation_of(search, relid);
	int			pos[INDEX_MAX_KEYS];
	List	   *tids = NIL;
	bool		read = rel->plain;
	ListCell   *lc;
	int			nrows = 0;

	foreach(lc, groups)
	{
		SubjectGroup *g = lfirst(lc);

		tids = list_concat(tids, g->tids);
		if (list_length(g->keyrows) != list_length(g->tids))
			read = false;
	}
	for (int k = 0; k < nkeys && read; k++)
	{
		pos[k] = -1;
		for (int i = 0; i < rel->nkeys; i++)
			if (rel->keys[i] == attnums[k])
				pos[k] = i;
		if (pos[k] < 0)
			read = false;
	}
	if (!read)
		return tids != NIL && subject_fetch_keys(search, relid, tids, nkeys, attnums, false, arrays, types);

	for (int k = 0; k < nkeys; k++)
	{
		Oid			type = rel->key_types[pos[k]];
		int16		typlen;
		bool		typbyval;
		char		typalign;
		Datum	   *datums = palloc(sizeof(Datum) * Max(list_length(tids), 1));
		int			n = 0;

		get_typlenbyvalalign(type, &typlen, &typbyval, &typalign);
		foreach(lc, groups)
		{
			ListCell   *rc;

			foreach(rc, ((SubjectGroup *) lfirst(lc))->keyrows)
			{
				KeyRow	   *kr = lfirst(rc);
				bool		skip = false;

				for (int j = 0; j < nkeys; j++)
					if (kr->nulls[pos[j]])
						skip = true;
				if (!skip)
					datums[n++] = kr->values[pos[k]];
			}
		}

		/*
		 * one by-value key column: each value once (a customer's 1,000
		 * orders)
		 */
		if (nkeys == 1 && typbyval && n > 1)
		{
			int			m = 1;

			qsort(datums, n, sizeof(Datum), compare_datums);
			for (int i = 1; i < n; i++)
				if (datums[i] != datums[m - 1])
					datums[m++] = datums[i];
			n = m;
		}
		nrows = n;
		arrays[k] = PointerGetDatum(construct_array(datums, n, type, typlen, typbyval, typalign));
		types[k] = get_array_type(type);
		if (!OidIsValid(types[k]))
			return tids != NIL && subject_fetch_keys(search, relid, tids, nkeys, attnums, false, arrays, types);
	}
	return nrows > 0;
}

/*
 * The identifier predicates of a plain child (rows step 1 found already),
 * as " AND NOT COALESCE(..., false)", their values appended to the
 * statement's *nargs parameters; "" when it has none.  An export leaves
 * those rows out of a child lookup so that their data is not read twice.
 */
static char *
found_already_sql(SubjectSearch *search, Oid child, int *nargs, Oid **types, Datum **values)
{
	List	   *predicates = identifier_predicates(search, child);
	int			n = list_length(predicates);
	int			first = *nargs + 1;

	if (n == 0)
		return "";
	*types = repalloc(*types, sizeof(Oid) * (*nargs + n));
	*values = repalloc(*values, sizeof(Datum) * (*nargs + n));
	*nargs += n;
	return psprintf(" AND NOT COALESCE(%s, false)",
					predicates_sql(predicates, first, NULL, *types + first - 1, *values + first - 1));
}

/*
 * The rows referencing, through foreign key conoid, the rows of relid found
 * at one level (level: their groups): one lookup of the referencing table,
 * as its owner, for all of them.  Returns whether it found new rows.
 */
static bool
lookup_children(SubjectSearch *search, List *level, Oid relid, Oid conoid, int depth,
				char *found_by)
{
	KeyColumns	kc;
	AttrNumber	leafkey[INDEX_MAX_KEYS];
	int			nargs;
	Oid		   *types;
	Datum	   *arrays;
	char	   *where;
	Lookup		l;
	AttrNumber	none = 0;

	if (!key_columns(conoid, &kc))
		return false;
	/* the referenced table may be an ancestor: same names on the leaf */
	for (int k = 0; k < kc.nkeys; k++)
		leafkey[k] = get_attnum(relid, subject_attname(kc.confrelid, kc.confkey[k]));
	nargs = kc.nkeys;
	types = palloc(sizeof(Oid) * nargs);
	arrays = palloc(sizeof(Datum) * nargs);
	if (!group_keys(search, level, relid, kc.nkeys, leafkey, arrays, types))
		return false;
	memset(&l, 0, sizeof(l));
	l.search = search;
	l.rel = relation_of(search, kc.conrelid);
	l.depth = depth + 1;
	l.npredicates = 1;
	l.found_by = (const char **) &found_by;
	l.matched = &none;
	where = subject_key_match_sql(kc.conrelid, "r", kc.nkeys, kc.conkey, kc.pf_eq, 1);
	if (search->reader && l.rel->plain)
		where = psprintf("%s%s", where, found_already_sql(search, kc.conrelid, &nargs, &types, &arrays));
	return run_lookup(&l, kc.conrelid, lookup_sql(&l, kc.conrelid, "1", where), nargs, types, arrays) > 0;
}

/*
 * subject_search_children
 *
 * Step 2: children of found rows through foreign keys, breadth first: per
 * level, one statement per referenced relation and foreign key, for all
 * the rows of the relation found at that level.
 */
void
subject_search_children(SubjectSearch *search)
{
	for (int depth = 0; depth < SUBJECT_MAX_DEPTH; depth++)
	{
		List	   *relids = NIL;
		ListCell   *lc;
		bool		more = false;

		foreach(lc, search->groups)
		{
			SubjectGroup *group = lfirst(lc);

			if (group->depth == depth && !list_member_oid(relids, group->relid))
				relids = lappend_oid(relids, group->relid);
		}
		foreach(lc, relids)
		{
			Oid			relid = lfirst_oid(lc);
			List	   *level = NIL;
			ListCell   *gc;
			char	   *found_by = psprintf("references %s", subject_qualified_name(subject_tag_root(relid)));

			foreach(gc, search->groups)
			{
				SubjectGroup *group = lfirst(gc);

				if (group->depth == depth && group->relid == relid)
					level = lappend(level, group);
			}
			foreach(gc, subject_referencing_keys(search, relid, false))
			{
				if (lookup_children(search, level, relid, lfirst_oid(gc), depth, found_by))
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

	foreach(fc, subject_referencing_keys(search, relid, true))
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
							   subject_key_match_sql(child, "c", nkeys, conkey, pf_eq, 1)),
					  nkeys, types, arrays);
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			bool		isnull;
			Oid			child_relid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
			ItemPointer child_tid = (ItemPointer) DatumGetPointer(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));

			if (!seen(seen_rows(search, child_relid), child_tid, 0, false))
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
		List	   *fks = parent_keys(search, group->relid);
		ListCell   *fc;

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
			if (!group_keys(search, list_make1(group), group->relid, nkeys, leafkey, arrays, types))
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

				if (seen(seen_rows(search, key->relid), &key->tid, 0, false) ||
					!referenced_only_by_subject(search, key->relid, &key->tid))
					continue;
				(void) seen(seen_rows(search, key->relid), &key->tid, 0, true);
				{
					SubjectGroup *pg = group_for(search, key->relid, -1, found_by, 0);
					ItemPointer tid = palloc(sizeof(ItemPointerData));

					*tid = key->tid;
					pg->tids = lappend(pg->tids, tid);
					pg->unread = search->reader != NULL;
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
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(SeenRows);
	ctl.hcxt = CurrentMemoryContext;
	search->visited = hash_create("pg_retention subject rows", 64, &ctl,
								  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(SubjectRelation);
	search->relations = hash_create("pg_retention subject relations", 64, &ctl,
									HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	search->cxt = CurrentMemoryContext;
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
	/* hashed_with: 0.1.0's SQL objects have no such column (keyed_hash.c) */
	retention_exec_as_extension_owner(retention_legacy_hashes() ?
									  "INSERT INTO retention.dsr_request (kind, identifier_hashes, dry_run, tables, rows_found, outcome, requested_by)"
									  " VALUES ($1, $2, $3, $4, $5, $6, pg_catalog.session_user())" :
									  "INSERT INTO retention.dsr_request (kind, identifier_hashes, dry_run, tables, rows_found, outcome, requested_by, hashed_with)"
									  " VALUES ($1, $2, $3, $4, $5, $6, pg_catalog.session_user(), '0.2.0')",
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
