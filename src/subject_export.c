/*-------------------------------------------------------------------------
 *
 * src/subject_export.c
 *	  Subject access and portability: every row of one person, with its
 *	  table, key, content, category and due dates, read in one snapshot;
 *	  as rows (export_subject_rows) or as one JSON document
 *	  (export_subject).
 *
 * The search (subject_search.c) reads each row's key, content and due
 * dates with the row itself, in the statement that finds it (see
 * export_data_sql), and hands them here; only rows its lookups cannot read
 * that way (partitions, parents) are read afterwards by TID.  All reads use
 * one registered snapshot, so an export is consistent across tables even
 * while enforcement runs, and every read runs as the owner of the table it
 * reads.  The document is assembled once, from those values, at the end.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"
#include "utils/timestamp.h"
#include "utils/varlena.h"

#include "subject.h"

/*
 * What the rows of one relation carry, in export_data_sql's order: the
 * columns of its content (subject_json.c), the key where the content has
 * none (no primary key: the ctid) else NULL, when the row is due under the
 * table tag and (variant=) the variant that rule follows, then per column
 * tag when its value is due and (variant=) the variant.
 */
typedef struct ExportLayout
{
	Oid			relid;
	Oid			root;
	SubjectRowJson *content;
	int			key_at;			/* the key column; then the due date */
	int			variant_at;		/* the table tag's variant, or -1 */
	int			nkeys;			/* primary key columns; 0: read the key */
	char	  **keys;			/* their names */
	int			ncolumns;		/* column tags */
	char	  **columns;		/* their columns' names */
	char	  **categories;
	const char **actions;
	int		   *column_at;		/* per column tag: its due date */
	int		   *column_variant_at;	/* and its variant, or -1 */
	char	   *undated;		/* SQLSTATE of the when= that failed: the
								 * conditioned tags' due dates not read */
} ExportLayout;

/* What every row of a group states besides its own values. */
typedef struct ExportGroup
{
	ExportLayout *layout;
	RetentionTag *table_tag;	/* or NULL */
	Datum		category;		/* text of the table tag's category */
	Datum		found_by;		/* text */
	char	   *table_name;		/* document: the table's name */
} ExportGroup;

/* One row, kept for the document. */
typedef struct ExportRow
{
	SubjectGroup *group;
	char	   *key_text;		/* the key as text: rows are sorted by it */
	Jsonb	   *key;
	Jsonb	   *data;
	TimestampTz due_at;
	bool		due_null;
	char	   *variant;		/* the variant due_at follows, or NULL */
	TimestampTz *columns_due;	/* per column tag */
	bool	   *columns_null;
	char	  **columns_variant;
} ExportRow;

/* One export request. */
typedef struct Export
{
	ReturnSetInfo *rsinfo;		/* rows: the result set; document: NULL */
	List	   *layouts;		/* ExportLayout * */
	MemoryContext row_cxt;		/* rows: reset after each row */
	List	   *rows;			/* document: ExportRow * */
	int64		count;
	List	   *undated;		/* relations whose when= fails: no due dates */
	char	   *undated_code;	/* its SQLSTATE, for the rows' note */
} Export;

/*
 * Columns of export_subject_rows: 0.2.0 added variant; the 0.1.0
 * definition has one fewer until ALTER EXTENSION UPDATE.
 */
#define EXPORT_ROWS_COLS	10
#define EXPORT_ROWS_COLS_0_1	9

static Jsonb *empty_object(void);

/*
 * What build says of the row on alias r under a tag (see deparse.c: when
 * it falls due, the variant of its rule), for a statement that runs as the
 * owner of the tagged table.  Raises 42501 if it would read a table with
 * row security and another owner (a foreign-key anchor's or variant's
 * parent, a latest() child re-owned since tagging): that owner's policies
 * would run with the tagged table owner's privileges.
 */
static char *
tag_sql(RetentionTag *tag, char *(*build) (RetentionTag *tag))
{
	List	   *reads = NIL;
	List	  **save = retention_collect_reads(&reads);
	char	   *sql;

	PG_TRY();
	{
		sql = build(tag);
	}
	PG_FINALLY();
	{
		retention_collect_reads(save);
	}
	PG_END_TRY();
	retention_check_reads_as(reads, retention_relation_owner(tag->relid));
	return sql;
}

/*
 * The layout of relid's rows: the names of its primary key columns (none:
 * the key is read from the ctid), the column tags of root.
 */
static ExportLayout *
export_layout(Export *ex, SubjectSearch *search, Oid relid, Oid root)
{
	ExportLayout *layout;
	Relation	rel;
	Oid			pk;
	RetentionTag *table_tag;
	List	   *column_tags;
	List	   *subject_columns;
	ListCell   *lc;

	foreach(lc, ex->layouts)
	{
		layout = lfirst(lc);
		if (layout->relid == relid && layout->root == root)
			return layout;
	}
	layout = palloc0(sizeof(ExportLayout));
	layout->relid = relid;
	layout->root = root;
	rel = table_open(relid, AccessShareLock);
	(void) RelationGetIndexList(rel);
	pk = rel->rd_pkindex;
	table_close(rel, AccessShareLock);
	if (OidIsValid(pk))
	{
		HeapTuple	tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(pk));
		Form_pg_index index;

		if (!HeapTupleIsValid(tuple))
			elog(ERROR, "cache lookup failed for index %u", pk);
		index = (Form_pg_index) GETSTRUCT(tuple);
		layout->nkeys = index->indnkeyatts;
		layout->keys = palloc(sizeof(char *) * layout->nkeys);
		for (int k = 0; k < layout->nkeys; k++)
			layout->keys[k] = subject_attname(relid, index->indkey.values[k]);
		ReleaseSysCache(tuple);
	}
	subject_tags_of(search, root, &table_tag, &column_tags, &subject_columns);
	layout->ncolumns = list_length(column_tags);
	layout->columns = palloc(sizeof(char *) * Max(layout->ncolumns, 1));
	layout->categories = palloc(sizeof(char *) * Max(layout->ncolumns, 1));
	layout->actions = palloc(sizeof(char *) * Max(layout->ncolumns, 1));
	layout->column_at = palloc(sizeof(int) * Max(layout->ncolumns, 1));
	layout->column_variant_at = palloc(sizeof(int) * Max(layout->ncolumns, 1));
	foreach(lc, column_tags)
	{
		RetentionTag *tag = lfirst(lc);
		int			i = foreach_current_index(lc);

		layout->columns[i] = subject_attname(tag->relid, tag->attnum);
		layout->categories[i] = tag->category->name;
		layout->actions[i] = retention_action_name(tag->action);
	}
	ex->layouts = lappend(ex->layouts, layout);
	return layout;
}

/*
 * What the export reads with each row of relid (alias r; tags on root), in
 * one pass: its content, its key where the content has none, when it is
 * due under the table tag and when each tagged column's value is, and for
 * a tag with variant= the variant its due date follows (the lookup
 * enforcement makes, in the same statement and snapshot).  The key (the
 * primary key's columns of the content) and the columns' due dates as JSON
 * are assembled from those here, once.
 */
/*
 * tag_sql() for the export, or the NULL of its type where the relation's
 * rows make the tag's when= fail (export_search): the rest of the export
 * goes on without those due dates.
 */
static char *
dated_sql(ExportLayout *layout, RetentionTag *tag, char *(*build) (RetentionTag *tag),
		  const char *null_sql)
{
	if (layout->undated && tag->condition)
		return pstrdup(null_sql);
	return tag_sql(tag, build);
}

static char *
export_data_sql(SubjectSearch *search, Oid relid, Oid root)
{
	Export	   *ex = search->reader->arg;
	ExportLayout *layout = export_layout(ex, search, relid, root);
	RetentionTag *table_tag;
	List	   *column_tags;
	List	   *subject_columns;
	StringInfoData buf;
	ListCell   *tc;
	int			at;

	subject_tags_of(search, root, &table_tag, &column_tags, &subject_columns);
	layout->undated = list_member_oid(ex->undated, relid) ? ex->undated_code : NULL;
	initStringInfo(&buf);
	layout->content = subject_row_json_prepare(relid, &buf);
	layout->key_at = subject_row_json_columns(layout->content);
	appendStringInfo(&buf, ", %s, %s",
					 layout->nkeys ? "NULL::pg_catalog.jsonb"
					 : "pg_catalog.jsonb_build_object('ctid', r.ctid::pg_catalog.text)",
					 table_tag ? dated_sql(layout, table_tag, retention_due_at_sql, "NULL::pg_catalog.timestamptz")
					 : "NULL::pg_catalog.timestamptz");
	at = layout->key_at + 2;
	layout->variant_at = -1;
	if (table_tag && table_tag->label.variant)
	{
		appendStringInfo(&buf, ", %s", dated_sql(layout, table_tag, retention_variant_sql, "NULL::pg_catalog.text"));
		layout->variant_at = at++;
	}
	foreach(tc, column_tags)
	{
		RetentionTag *tag = lfirst(tc);
		int			i = foreach_current_index(tc);

		appendStringInfo(&buf, ", %s", dated_sql(layout, tag, retention_due_at_sql, "NULL::pg_catalog.timestamptz"));
		layout->column_at[i] = at++;
		layout->column_variant_at[i] = -1;
		if (tag->label.variant)
		{
			appendStringInfo(&buf, ", %s", dated_sql(layout, tag, retention_variant_sql, "NULL::pg_catalog.text"));
			layout->column_variant_at[i] = at++;
		}
	}
	return buf.data + 2;		/* without the first ", " */
}

/* Pushes a key. */
static void
push_key(JsonbParseState **state, const char *key)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) key;
	v.val.string.len = strlen(key);
	(void) pushJsonbValue(state, WJB_KEY, &v);
}

/* Pushes "key": value (a string, or null for NULL). */
static void
push_string(JsonbParseState **state, const char *key, const char *value)
{
	JsonbValue	v;

	push_key(state, key);
	if (value == NULL)
		v.type = jbvNull;
	else
	{
		v.type = jbvString;
		v.val.string.val = (char *) value;
		v.val.string.len = strlen(value);
	}
	(void) pushJsonbValue(state, WJB_VALUE, &v);
}

/* Pushes "key": a jsonb value (null for NULL). */
static void
push_jsonb(JsonbParseState **state, const char *key, Jsonb *value)
{
	JsonbValue	v;

	push_key(state, key);
	if (value == NULL)
		v.type = jbvNull;
	else
	{
		v.type = jbvBinary;
		v.val.binary.data = &value->root;
		v.val.binary.len = VARSIZE(value) - VARHDRSZ;
	}
	(void) pushJsonbValue(state, WJB_VALUE, &v);
}

/* A timestamp as JSON writes it (to_jsonb's ISO form), or NULL. */
static char *
timestamp_json(TimestampTz t, bool isnull)
{
	return isnull ? NULL : JsonEncodeDateTime(NULL, TimestampTzGetDatum(t), TIMESTAMPTZOID, NULL);
}

/*
 * The row's key: its primary key's columns and their values, taken from
 * its content (to_jsonb writes every column as jsonb_build_object would).
 */
static Jsonb *
row_key(ExportLayout *layout, Jsonb *data)
{
	JsonbParseState *state = NULL;

	(void) pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	for (int k = 0; k < layout->nkeys; k++)
	{
		JsonbValue	null;
		JsonbValue *v = getKeyJsonValueFromContainer(&data->root, layout->keys[k],
													 strlen(layout->keys[k]), NULL);

		push_key(&state, layout->keys[k]);
		if (v == NULL)
		{
			null.type = jbvNull;
			v = &null;
		}
		(void) pushJsonbValue(&state, WJB_VALUE, v);
	}
	return JsonbValueToJsonb(pushJsonbValue(&state, WJB_END_OBJECT, NULL));
}

/*
 * Pushes the row's columns_due: per tagged column its category, action and
 * due time, and the variant that time follows if one does ({"col":
 * {"category": ..., "action": ..., "due_at": ..., "variant": ...}}).
 */
static JsonbValue *
push_columns_due(JsonbParseState **state, ExportLayout *layout, TimestampTz *due, bool *isnull,
				 char **variants)
{
	(void) pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
	for (int i = 0; i < layout->ncolumns; i++)
	{
		push_key(state, layout->columns[i]);
		(void) pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
		push_string(state, "category", layout->categories[i]);
		push_string(state, "action", layout->actions[i]);
		push_string(state, "due_at", timestamp_json(due[i], isnull[i]));
		if (variants[i])
			push_string(state, "variant", variants[i]);
		(void) pushJsonbValue(state, WJB_END_OBJECT, NULL);
	}
	return pushJsonbValue(state, WJB_END_OBJECT, NULL);
}

/* The export's state of a group, made with its first row. */
static ExportGroup *
export_group(SubjectSearch *search, SubjectGroup *group)
{
	ExportGroup *eg = group->export_state;
	List	   *column_tags;
	List	   *subject_columns;

	if (eg)
		return eg;
	eg = palloc0(sizeof(ExportGroup));
	eg->layout = export_layout(search->reader->arg, search, group->relid, group->root);
	subject_tags_of(search, group->root, &eg->table_tag, &column_tags, &subject_columns);
	if (eg->table_tag)
		eg->category = CStringGetTextDatum(eg->table_tag->category->name);
	eg->found_by = CStringGetTextDatum(group->found_by);
	group->export_state = eg;
	return eg;
}

/* The variant read at position at (-1: none asked for), or NULL. */
static char *
read_variant(Datum *values, bool *nulls, int at)
{
	return at < 0 || nulls[at] ? NULL : TextDatumGetCString(values[at]);
}

/*
 * The due dates and variants of the row's column tags, read with the row
 * (see export_data_sql).
 */
static void
read_columns_due(ExportLayout *layout, Datum *values, bool *nulls,
				 TimestampTz *due, bool *isnull, char **variants)
{
	for (int i = 0; i < layout->ncolumns; i++)
	{
		int			at = layout->column_at[i];

		isnull[i] = nulls[at];
		due[i] = isnull[i] ? 0 : DatumGetTimestampTz(values[at]);
		variants[i] = read_variant(values, nulls, layout->column_variant_at[i]);
	}
}

/*
 * The reader's row(): a row of the result set (export_subject_rows), or a
 * row kept for the document (export_subject).  Runs inside the statement
 * that read the row: no SQL here.
 */
static void
export_row(SubjectSearch *search, SubjectGroup *group, Datum *values, bool *nulls)
{
	Export	   *ex = search->reader->arg;
	ExportGroup *eg = export_group(search, group);
	ExportLayout *layout = eg->layout;
	MemoryContext old = MemoryContextSwitchTo(ex->rsinfo ? ex->row_cxt : search->cxt);
	int			at = layout->key_at;	/* the key, the due date */
	Jsonb	   *data = subject_row_json(layout->content, values, nulls);
	Jsonb	   *key = layout->nkeys ? row_key(layout, data) : (Jsonb *) PG_DETOAST_DATUM_COPY(values[at]);

	ex->count++;
	if (ex->rsinfo)
	{
		Datum		out[EXPORT_ROWS_COLS];
		bool		outnull[EXPORT_ROWS_COLS];
		char	   *variant = read_variant(values, nulls, layout->variant_at);

		memset(outnull, false, sizeof(outnull));
		out[0] = ObjectIdGetDatum(group->root);
		out[1] = ObjectIdGetDatum(group->relid);
		out[2] = JsonbPGetDatum(key);
		out[3] = JsonbPGetDatum(data);
		out[4] = eg->category;
		outnull[4] = eg->table_tag == NULL;
		out[5] = values[at + 1];
		outnull[5] = nulls[at + 1];
		outnull[6] = layout->ncolumns == 0;
		if (layout->ncolumns > 0)
		{
			JsonbParseState *state = NULL;
			TimestampTz *due = palloc(sizeof(TimestampTz) * layout->ncolumns);
			bool	   *isnull = palloc(sizeof(bool) * layout->ncolumns);
			char	  **variants = palloc(sizeof(char *) * layout->ncolumns);

			read_columns_due(layout, values, nulls, due, isnull, variants);
			out[6] = JsonbPGetDatum(JsonbValueToJsonb(push_columns_due(&state, layout, due, isnull, variants)));
		}
		out[7] = eg->found_by;
		out[8] = Int32GetDatum(group->depth);
		/* the 0.1.0 definition (before UPDATE) has no column 9 */
		out[9] = variant ? CStringGetTextDatum(variant) : (Datum) 0;
		outnull[9] = variant == NULL;
		tuplestore_putvalues(ex->rsinfo->setResult, ex->rsinfo->setDesc, out, outnull);
		MemoryContextSwitchTo(old);
		MemoryContextReset(ex->row_cxt);
	}
	else
	{
		ExportRow  *row = palloc(sizeof(ExportRow));

		row->group = group;
		row->data = data;
		row->key = key;
		row->key_text = key ? JsonbToCString(NULL, &key->root, VARSIZE(key)) : "";
		row->due_null = nulls[at + 1];
		row->due_at = row->due_null ? 0 : DatumGetTimestampTz(values[at + 1]);
		row->variant = read_variant(values, nulls, layout->variant_at);
		row->columns_due = palloc(sizeof(TimestampTz) * Max(layout->ncolumns, 1));
		row->columns_null = palloc(sizeof(bool) * Max(layout->ncolumns, 1));
		row->columns_variant = palloc(sizeof(char *) * Max(layout->ncolumns, 1));
		read_columns_due(layout, values, nulls, row->columns_due, row->columns_null,
						 row->columns_variant);
		ex->rows = lappend(ex->rows, row);
		MemoryContextSwitchTo(old);
	}
}

/*
 * Rows the lookups found without reading them (partitions, parents): read
 * now by TID, per group, as the leaf's owner.
 */
static void
read_unread(SubjectSearch *search)
{
	ListCell   *lc;

	foreach(lc, search->groups)
	{
		SubjectGroup *group = lfirst(lc);
		Oid			argtype = TIDARRAYOID;
		Datum		arg;
		char	   *sql;

		if (!group->unread)
			continue;
		arg = subject_tid_array(group->tids);
		sql = psprintf("SELECT %s FROM ONLY %s r WHERE r.ctid OPERATOR(pg_catalog.=) ANY ($1)",
					   export_data_sql(search, group->relid, group->root),
					   subject_qualified_name(group->relid));
		subject_query(search, group->relid, sql, 1, &argtype, &arg);
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			int			natts = SPI_tuptable->tupdesc->natts;
			Datum	   *values = palloc(sizeof(Datum) * natts);
			bool	   *nulls = palloc(sizeof(bool) * natts);

			heap_deform_tuple(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, values, nulls);
			export_row(search, group, values, nulls);
		}
	}
}

/*
 * The search of an export: every row of the person with its data, in one
 * snapshot (registered: the caller unregisters it); the request logged.
 */
static SubjectSearch *
export_search_once(Jsonb *identifiers, Export *ex, uint8 *key, SubjectReader *reader,
				   Snapshot snapshot)
{
	SubjectSearch *search = subject_begin_search(identifiers, false, key);

	search->reader = reader;
	search->snapshot = snapshot;
	subject_search_identifiers(search);
	subject_search_children(search);
	subject_search_parents(search);
	read_unread(search);
	subject_log_request("export", search, false, empty_object(), ex->count, "done");
	return search;
}

/*
 * A data exception while reading a relation whose tags have a when=
 * condition: the condition fails for some of its rows (a division by zero
 * in its table owner's expression).  That must not cost the person the
 * rest of their export: the relation is read again without the due dates
 * of its conditioned tags, its rows saying so.
 */
static bool
undate_failed_relation(Export *ex, Oid relid, ErrorData *edata)
{
	if (ERRCODE_TO_CATEGORY(edata->sqlerrcode) != ERRCODE_DATA_EXCEPTION ||
		!OidIsValid(relid) || list_member_oid(ex->undated, relid))
		return false;
	ex->undated = lappend_oid(ex->undated, relid);
	ex->undated_code = pstrdup(unpack_sql_state(edata->sqlerrcode));
	return true;
}

/*
 * The search of an export: every row of the person with its data, in one
 * snapshot (registered: the caller unregisters it); the request logged.
 * Runs in a subtransaction, again without a relation's conditioned due
 * dates when their when= fails (undate_failed_relation).
 */
static SubjectSearch *
export_search(Jsonb *identifiers, Export *ex, uint8 *key)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	SubjectReader *reader = palloc0(sizeof(SubjectReader));
	Snapshot	snapshot = RegisterSnapshot(GetTransactionSnapshot());

	reader->data_sql = export_data_sql;
	reader->row = export_row;
	reader->arg = ex;
	for (;;)
	{
		SubjectSearch *search = NULL;
		ErrorData  *edata = NULL;

		reader->running = InvalidOid;
		BeginInternalSubTransaction(NULL);
		MemoryContextSwitchTo(cxt);
		PG_TRY();
		{
			search = export_search_once(identifiers, ex, key, reader, snapshot);
			ReleaseCurrentSubTransaction();
		}
		PG_CATCH();
		{
			MemoryContextSwitchTo(cxt);
			edata = CopyErrorData();
			FlushErrorState();
			RollbackAndReleaseCurrentSubTransaction();
		}
		PG_END_TRY();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		if (edata == NULL)
			return search;
		if (!undate_failed_relation(ex, reader->running, edata))
			ReThrowError(edata);
		/* again from the start: what the failed attempt gathered is gone */
		ex->layouts = NIL;
		ex->rows = NIL;
		ex->count = 0;
		if (ex->rsinfo)
			tuplestore_clear(ex->rsinfo->setResult);
	}
}

static Jsonb *
empty_object(void)
{
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
}

/*
 * The caller reads the result once, in order: at most EXPORT_MEMORY_KB of
 * it stays in memory (less if work_mem is smaller), the rest goes to a
 * temporary file as a tuplestore's does beyond work_mem.  A large
 * subject's rows are then written once instead of first filling megabytes
 * of fresh memory that are written out anyway, and memory stays small.
 */
#define EXPORT_MEMORY_KB	1024

static void
result_in_file(ReturnSetInfo *rsinfo)
{
	MemoryContext old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);

	tuplestore_end(rsinfo->setResult);
	rsinfo->setResult = tuplestore_begin_heap((rsinfo->allowedModes & SFRM_Materialize_Random) != 0,
											  false, Min(work_mem, EXPORT_MEMORY_KB));
	MemoryContextSwitchTo(old);
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
	Jsonb	   *identifiers = PG_GETARG_JSONB_P(0);
	uint8		key[RETENTION_KEY_BYTES];
	Export		ex;
	SubjectSearch *search;

	InitMaterializedSRF(fcinfo, 0);
	memset(&ex, 0, sizeof(ex));
	ex.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	if (ex.rsinfo->setDesc->natts != EXPORT_ROWS_COLS &&
		ex.rsinfo->setDesc->natts != EXPORT_ROWS_COLS_0_1)
		elog(ERROR, "retention.export_subject_rows() has %d result columns, expected %d",
			 ex.rsinfo->setDesc->natts, EXPORT_ROWS_COLS);
	result_in_file(ex.rsinfo);
	/* a block that holds one row's JSON, kept across resets */
	ex.row_cxt = AllocSetContextCreate(CurrentMemoryContext, "pg_retention export row",
									   0, 32 * 1024, ALLOCSET_DEFAULT_MAXSIZE);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	search = export_search(identifiers, &ex, key);
	UnregisterSnapshot(search->snapshot);
	explicit_bzero(key, sizeof(key));
	SPI_finish();
	return (Datum) 0;
}

static int
compare_text(const char *a, const char *b)
{
	return varstr_cmp(a, strlen(a), b, strlen(b), DEFAULT_COLLATION_OID);
}

static int
compare_strings(const ListCell *a, const ListCell *b)
{
	return compare_text(strVal(lfirst(a)), strVal(lfirst(b)));
}

/* The document orders tables by name, a table's rows by their key's text. */
static int
compare_rows(const ListCell *a, const ListCell *b)
{
	ExportRow  *x = lfirst(a);
	ExportRow  *y = lfirst(b);
	int			c;

	if (x->group->root != y->group->root)
	{
		c = compare_text(((ExportGroup *) x->group->export_state)->table_name,
						 ((ExportGroup *) y->group->export_state)->table_name);
		if (c != 0)
			return c;
	}
	return compare_text(x->key_text, y->key_text);
}

/*
 * What the retention period of a category counts from, in words: the
 * distinct anchors of its tags, sorted, "a or b" (as retention.schedule
 * says it).
 */
static char *
anchor_words(SubjectSearch *search, const char *category)
{
	List	   *words = NIL;
	StringInfoData buf;
	ListCell   *lc;

	foreach(lc, search->tags)
	{
		RetentionTag *tag = lfirst(lc);
		char	   *w;

		if (tag->category == NULL || strcmp(tag->category->name, category) != 0)
			continue;
		w = retention_anchor_words(tag);
		if (!list_member(words, makeString(w)))
			words = lappend(words, makeString(w));
	}
	if (words == NIL)
		return "the anchor date";
	list_sort(words, compare_strings);
	initStringInfo(&buf);
	foreach(lc, words)
		appendStringInfo(&buf, "%s%s", buf.len ? " or " : "", strVal(lfirst(lc)));
	return buf.data;
}

/*
 * "categories": for every category of the rows and columns exported, its
 * description, purpose, legal basis, retention rule in words (and its
 * variants' rules) and what an erasure request does to its data
 * (on_erasure), as retention.schedule states them.
 */
static void
push_categories(JsonbParseState **state, SubjectSearch *search, List *used)
{
	Oid			types[2] = {TEXTARRAYOID, TEXTARRAYOID};
	Datum		args[2];
	Datum	   *names = palloc(sizeof(Datum) * Max(list_length(used), 1));
	Datum	   *words = palloc(sizeof(Datum) * Max(list_length(used), 1));
	ListCell   *lc;

	foreach(lc, used)
	{
		names[foreach_current_index(lc)] = CStringGetTextDatum(strVal(lfirst(lc)));
		words[foreach_current_index(lc)] = CStringGetTextDatum(anchor_words(search, strVal(lfirst(lc))));
	}
	args[0] = PointerGetDatum(construct_array(names, list_length(used), TEXTOID, -1, false, TYPALIGN_INT));
	args[1] = PointerGetDatum(construct_array(words, list_length(used), TEXTOID, -1, false, TYPALIGN_INT));
	if (SPI_execute_snapshot(subject_plan("SELECT c.name, pg_catalog.jsonb_build_object("
										  "'description', c.description, 'purpose', c.purpose, 'legal_basis', c.legal_basis,"
										  " 'on_erasure', c.on_erasure,"
										  " 'retention', retention.rule_in_words(c.period, c.starts, c.time_zone, w.words))"
										  " OPERATOR(pg_catalog.||) COALESCE((SELECT pg_catalog.jsonb_build_object('variants',"
										  " pg_catalog.jsonb_object_agg(v.variant, pg_catalog.jsonb_build_object("
										  "'retention', retention.rule_in_words("
										  "COALESCE(v.period, c.period), COALESCE(v.starts, c.starts),"
										  " COALESCE(v.time_zone, c.time_zone), w.words),"
										  " 'legal_basis', COALESCE(v.legal_basis, c.legal_basis), 'note', v.note)))"
										  " FROM retention.category_variant v WHERE v.category OPERATOR(pg_catalog.=) c.name"
										  " HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 0), '{}')"
										  " FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) w(name, words)"
										  " JOIN retention.category c ON c.name OPERATOR(pg_catalog.=) w.name", 2, types),
							 args, NULL, search->snapshot, InvalidSnapshot, true, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the categories");
	(void) pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;

		push_jsonb(state, SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1),
				   DatumGetJsonbP(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull)));
	}
	(void) pushJsonbValue(state, WJB_END_OBJECT, NULL);
}

/*
 * One row of "tables": key, data, category, due dates, found_by, and the
 * variant its due date follows where one does.
 */
static void
push_row(JsonbParseState **state, ExportRow *row)
{
	ExportGroup *eg = row->group->export_state;

	(void) pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
	push_jsonb(state, "key", row->key);
	push_jsonb(state, "data", row->data);
	push_string(state, "category", eg->table_tag ? eg->table_tag->category->name : NULL);
	push_string(state, "due_at", timestamp_json(row->due_at, row->due_null));
	push_key(state, "columns_due");
	if (eg->layout->ncolumns == 0)
	{
		JsonbValue	null;

		null.type = jbvNull;
		(void) pushJsonbValue(state, WJB_VALUE, &null);
	}
	else
		(void) push_columns_due(state, eg->layout, row->columns_due, row->columns_null,
								row->columns_variant);
	push_string(state, "found_by", row->group->found_by);
	if (row->variant)
		push_string(state, "variant", row->variant);
	if (eg->layout->undated)
		push_string(state, "note", psprintf("due dates not computed: the when= condition of this table's tag fails (SQLSTATE %s)",
											eg->layout->undated));
	(void) pushJsonbValue(state, WJB_END_OBJECT, NULL);
}

/*
 * The categories of the rows and columns exported (String, sorted), and
 * per group what the document names it by.
 */
static List *
prepare_groups(SubjectSearch *search)
{
	List	   *used = NIL;
	List	   *roots = NIL;
	ListCell   *lc;

	foreach(lc, search->groups)
	{
		SubjectGroup *group = lfirst(lc);
		ExportGroup *eg = group->export_state;
		RetentionTag *table_tag;
		List	   *column_tags;
		List	   *subject_columns;
		ListCell   *tc;

		if (eg == NULL)
			continue;			/* no row left of it */
		eg->table_name = DatumGetCString(DirectFunctionCall1(regclassout, ObjectIdGetDatum(group->root)));
		if (list_member_oid(roots, group->root))
			continue;
		roots = lappend_oid(roots, group->root);
		subject_tags_of(search, group->root, &table_tag, &column_tags, &subject_columns);
		if (table_tag && !list_member(used, makeString(table_tag->category->name)))
			used = lappend(used, makeString(table_tag->category->name));
		foreach(tc, column_tags)
		{
			RetentionTag *tag = lfirst(tc);

			if (!list_member(used, makeString(tag->category->name)))
				used = lappend(used, makeString(tag->category->name));
		}
	}
	return used;
}

/* The document, assembled once from the rows kept. */
static Jsonb *
export_document(SubjectSearch *search, Export *ex, Jsonb *identifiers)
{
	JsonbParseState *state = NULL;
	List	   *used = prepare_groups(search);
	Oid			table = InvalidOid;
	ListCell   *lc;

	list_sort(ex->rows, compare_rows);
	(void) pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	push_string(&state, "generated_at", timestamp_json(GetCurrentTimestamp(), false));
	push_jsonb(&state, "identifiers_searched", identifiers);
	push_key(&state, "categories");
	push_categories(&state, search, used);
	push_key(&state, "tables");
	(void) pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
	foreach(lc, ex->rows)
	{
		ExportRow  *row = lfirst(lc);

		if (row->group->root != table)
		{
			if (OidIsValid(table))
			{
				(void) pushJsonbValue(&state, WJB_END_ARRAY, NULL);
				(void) pushJsonbValue(&state, WJB_END_OBJECT, NULL);
			}
			table = row->group->root;
			(void) pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
			push_string(&state, "table", ((ExportGroup *) row->group->export_state)->table_name);
			push_key(&state, "rows");
			(void) pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
		}
		push_row(&state, row);
	}
	if (OidIsValid(table))
	{
		(void) pushJsonbValue(&state, WJB_END_ARRAY, NULL);
		(void) pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	}
	(void) pushJsonbValue(&state, WJB_END_ARRAY, NULL);
	return JsonbValueToJsonb(pushJsonbValue(&state, WJB_END_OBJECT, NULL));
}

/*
 * retention_export_subject
 *
 * retention.export_subject(identifiers jsonb) RETURNS jsonb: one document
 * with every row of the person (per table, in key order), the categories
 * of their data with the rules in words; read in one snapshot.  Logs the
 * request.
 */
PG_FUNCTION_INFO_V1(retention_export_subject);

Datum
retention_export_subject(PG_FUNCTION_ARGS)
{
	Jsonb	   *identifiers = PG_GETARG_JSONB_P(0);
	uint8		key[RETENTION_KEY_BYTES];
	Export		ex;
	SubjectSearch *search;
	Jsonb	   *doc;

	memset(&ex, 0, sizeof(ex));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	search = export_search(identifiers, &ex, key);
	explicit_bzero(key, sizeof(key));
	doc = export_document(search, &ex, identifiers);
	UnregisterSnapshot(search->snapshot);
	doc = (Jsonb *) SPI_datumTransfer(JsonbPGetDatum(doc), false, -1);
	SPI_finish();
	PG_RETURN_JSONB_P(doc);
}
