/*-------------------------------------------------------------------------
 *
 * src/subject_export.c
 *	  Subject access and portability: every row of one person, with its
 *	  table, key, content, category and due dates, read in one snapshot.
 *
 * The search (subject_search.c) and the reads here all use one registered
 * snapshot, so an export is consistent across tables even while
 * enforcement runs.  Every read runs as the owner of the table it reads.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "subject.h"

/*
 * When the row on alias r falls due under a tag (see deparse.c), for a
 * statement that runs as the owner of the tagged table.  Raises 42501 if it
 * would read a table with row security and another owner (a foreign-key
 * anchor's parent, a latest() child re-owned since tagging): that owner's
 * policies would run with the tagged table owner's privileges.
 */
static char *
due_sql(RetentionTag *tag)
{
	List	   *reads = NIL;
	List	  **save = retention_collect_reads(&reads);
	char	   *sql;

	PG_TRY();
	{
		sql = retention_due_at_sql(tag);
	}
	PG_FINALLY();
	{
		retention_collect_reads(save);
	}
	PG_END_TRY();
	retention_check_reads_as(reads, retention_relation_owner(tag->relid));
	return sql;
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
		Form_pg_index index;

		if (!HeapTupleIsValid(tuple))
			elog(ERROR, "cache lookup failed for index %u", pk);
		index = (Form_pg_index) GETSTRUCT(tuple);
		appendStringInfoString(&buf, "pg_catalog.jsonb_build_object(");
		for (int k = 0; k < index->indnkeyatts; k++)
		{
			char	   *name = subject_attname(relid, index->indkey.values[k]);

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
	SubjectSearch *search;
	MemoryContext cxt;
	ListCell   *lc;
	int64		rows = 0;

	InitMaterializedSRF(fcinfo, 0);
	cxt = CurrentMemoryContext;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	search = subject_begin_search(identifiers, false, key);
	search->snapshot = RegisterSnapshot(GetTransactionSnapshot());
	subject_search_identifiers(search);
	subject_search_children(search);
	subject_search_parents(search);

	foreach(lc, search->groups)
	{
		SubjectGroup *group = lfirst(lc);
		RetentionTag *table_tag;
		List	   *column_tags;
		List	   *subject_columns;
		StringInfoData columns_due;
		ListCell   *tc;
		char	   *sql;
		Oid			argtype = TIDARRAYOID;
		Datum		arg = subject_tid_array(group->tids);

		subject_tags_of(search, group->root, &table_tag, &column_tags, &subject_columns);
		initStringInfo(&columns_due);
		foreach(tc, column_tags)
		{
			RetentionTag *tag = lfirst(tc);

			appendStringInfo(&columns_due, "%s%s, pg_catalog.jsonb_build_object('category', %s, 'action', %s, 'due_at', %s)",
							 columns_due.len ? ", " : "",
							 quote_literal_cstr(subject_attname(tag->relid, tag->attnum)),
							 quote_literal_cstr(tag->category->name),
							 quote_literal_cstr(retention_action_name(tag->action)), due_sql(tag));
		}
		sql = psprintf("SELECT %s, pg_catalog.to_jsonb(r.*), %s, %s FROM ONLY %s r WHERE r.ctid OPERATOR(pg_catalog.=) ANY ($1)",
					   row_key_sql(group->relid),
					   table_tag ? due_sql(table_tag) : "NULL::pg_catalog.timestamptz",
					   columns_due.len ? psprintf("pg_catalog.jsonb_build_object(%s)", columns_due.data) : "NULL::pg_catalog.jsonb",
					   subject_qualified_name(group->relid));
		subject_query(search, group->relid, sql, 1, &argtype, &arg);

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
	subject_log_request("export", search, false,
						DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}"))), rows, "done");
	explicit_bzero(key, sizeof(key));
	SPI_finish();
	return (Datum) 0;
}
