/*-------------------------------------------------------------------------
 *
 * src/subject_json.c
 *	  A table's rows as JSON objects, exactly as to_jsonb(row) writes them,
 *	  with each column's conversion looked up once per request instead of
 *	  once per value.
 *
 * to_jsonb(r.*) copies the row into a composite datum, then for every
 * column of every row looks up the column type's JSON category and output
 * function again.  An export reads thousands of rows of a few tables: here
 * the statement returns the columns themselves and the conversion of each
 * column is decided once.  Columns of the categories to_jsonb converts
 * value by value (booleans, numbers, dates and times, jsonb, and text
 * through the type's output function) are converted here the way it does;
 * the others (json, arrays, composites, types with a cast to json) are
 * converted by the statement itself, to_jsonb(r.col), and embedded.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/transam.h"
#include "catalog/pg_type.h"
#include "common/jsonapi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "parser/parse_coerce.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/rel.h"

#include "subject.h"

/* How one column becomes a JSON value (to_jsonb's categories). */
typedef enum ColumnJson
{
	COLUMN_BOOL,
	COLUMN_INTEGER,				/* int2, int4, int8: a number */
	COLUMN_NUMBER,				/* float, numeric: a number unless NaN or
								 * infinite, then a string */
	COLUMN_DATE,
	COLUMN_TIMESTAMP,
	COLUMN_TIMESTAMPTZ,
	COLUMN_JSONB,
	COLUMN_TEXT,				/* text, varchar, char: the string itself */
	COLUMN_OTHER,				/* the output function's string */
	COLUMN_BY_SQL				/* to_jsonb(r.col), read with the row */
} ColumnJson;

struct SubjectRowJson
{
	int			ncolumns;
	char	  **names;
	Oid		   *types;			/* base types */
	ColumnJson *kinds;
	FmgrInfo   *output;			/* COLUMN_NUMBER, COLUMN_OTHER */
};

/*
 * The JSON category of a column type, as to_jsonb decides it (jsonb.c,
 * jsonb_categorize_type): through domains; a type of an extension with a
 * cast to json, arrays, composites and json itself are left to to_jsonb.
 */
static ColumnJson
column_json(Oid type, Oid *output)
{
	bool		varlena;
	Oid			cast;

	*output = InvalidOid;
	switch (type)
	{
		case BOOLOID:
			return COLUMN_BOOL;
		case INT2OID:
		case INT4OID:
		case INT8OID:
			return COLUMN_INTEGER;
		case FLOAT4OID:
		case FLOAT8OID:
		case NUMERICOID:
			getTypeOutputInfo(type, output, &varlena);
			return COLUMN_NUMBER;
		case DATEOID:
			return COLUMN_DATE;
		case TIMESTAMPOID:
			return COLUMN_TIMESTAMP;
		case TIMESTAMPTZOID:
			return COLUMN_TIMESTAMPTZ;
		case JSONBOID:
			return COLUMN_JSONB;
		case JSONOID:
			return COLUMN_BY_SQL;
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
			return COLUMN_TEXT;
	}
	if (OidIsValid(get_element_type(type)) || type == ANYARRAYOID ||
		type == ANYCOMPATIBLEARRAYOID || type == RECORDARRAYOID || type_is_rowtype(type))
		return COLUMN_BY_SQL;
	if (type >= FirstNormalObjectId &&
		find_coercion_pathway(JSONOID, type, COERCION_EXPLICIT, &cast) == COERCION_PATH_FUNC &&
		OidIsValid(cast))
		return COLUMN_BY_SQL;
	getTypeOutputInfo(type, output, &varlena);
	return COLUMN_OTHER;
}

/*
 * subject_row_json_prepare
 *
 * How the rows of relid become JSON; appends to select what the statement
 * that reads a row (alias r) must return for it: ", r.col" per column, or
 * ", pg_catalog.to_jsonb(r.col)" where to_jsonb converts it.  The result
 * lives in the current memory context.
 */
SubjectRowJson *
subject_row_json_prepare(Oid relid, StringInfo select)
{
	Relation	rel = table_open(relid, AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	SubjectRowJson *rj = palloc0(sizeof(SubjectRowJson));

	rj->names = palloc(sizeof(char *) * Max(desc->natts, 1));
	rj->types = palloc(sizeof(Oid) * Max(desc->natts, 1));
	rj->kinds = palloc(sizeof(ColumnJson) * Max(desc->natts, 1));
	rj->output = palloc0(sizeof(FmgrInfo) * Max(desc->natts, 1));
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		int			c = rj->ncolumns;
		Oid			output;

		if (att->attisdropped)
			continue;
		rj->names[c] = pstrdup(NameStr(att->attname));
		rj->types[c] = getBaseType(att->atttypid);
		rj->kinds[c] = column_json(rj->types[c], &output);
		if (OidIsValid(output))
			fmgr_info(output, &rj->output[c]);
		appendStringInfo(select, rj->kinds[c] == COLUMN_BY_SQL ? ", pg_catalog.to_jsonb(r.%s)" : ", r.%s",
						 quote_identifier(rj->names[c]));
		rj->ncolumns++;
	}
	table_close(rel, AccessShareLock);
	return rj;
}

/* Columns the statement returns for the row (see subject_row_json_prepare). */
int
subject_row_json_columns(SubjectRowJson *rj)
{
	return rj->ncolumns;
}

/* A string value; to_jsonb refuses one too long for jsonb. */
static void
string_value(JsonbValue *v, char *s, int len)
{
	if (len > JENTRY_OFFLENMASK)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("string too long to represent as jsonb string"),
				 errdetail("Due to an implementation restriction, jsonb strings cannot exceed %d bytes.",
						   JENTRY_OFFLENMASK)));
	v->type = jbvString;
	v->val.string.val = s;
	v->val.string.len = len;
}

/* One column's value as to_jsonb writes it. */
static void
column_value(SubjectRowJson *rj, int c, Datum value, JsonbValue *v)
{
	char	   *s;

	switch (rj->kinds[c])
	{
		case COLUMN_BOOL:
			v->type = jbvBool;
			v->val.boolean = DatumGetBool(value);
			return;
		case COLUMN_INTEGER:
			v->type = jbvNumeric;
			v->val.numeric = int64_to_numeric(rj->types[c] == INT2OID ? DatumGetInt16(value)
											  : rj->types[c] == INT4OID ? DatumGetInt32(value)
											  : DatumGetInt64(value));
			return;
		case COLUMN_NUMBER:
			s = OutputFunctionCall(&rj->output[c], value);
			if (IsValidJsonNumber(s, strlen(s)))
			{
				v->type = jbvNumeric;
				v->val.numeric = DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(s),
																	 ObjectIdGetDatum(InvalidOid),
																	 Int32GetDatum(-1)));
			}
			else
				string_value(v, s, strlen(s));
			return;
		case COLUMN_DATE:
		case COLUMN_TIMESTAMP:
		case COLUMN_TIMESTAMPTZ:
			s = JsonEncodeDateTime(NULL, value, rj->types[c], NULL);
			string_value(v, s, strlen(s));
			return;
		case COLUMN_JSONB:
		case COLUMN_BY_SQL:
			{
				Jsonb	   *j = DatumGetJsonbP(value);

				v->type = jbvBinary;
				v->val.binary.data = &j->root;
				v->val.binary.len = VARSIZE(j) - VARHDRSZ;
				return;
			}
		case COLUMN_TEXT:
			{
				text	   *t = DatumGetTextPP(value);

				string_value(v, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
				return;
			}
		case COLUMN_OTHER:
			s = OutputFunctionCall(&rj->output[c], value);
			string_value(v, s, strlen(s));
			return;
	}
}

/*
 * subject_row_json
 *
 * The row whose columns (as subject_row_json_prepare asked for them) are
 * values[0..], as a JSON object: the value of to_jsonb(row).
 */
Jsonb *
subject_row_json(SubjectRowJson *rj, Datum *values, bool *nulls)
{
	JsonbParseState *state = NULL;
	JsonbValue	v;

	(void) pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	for (int c = 0; c < rj->ncolumns; c++)
	{
		v.type = jbvString;
		v.val.string.val = rj->names[c];
		v.val.string.len = strlen(rj->names[c]);
		(void) pushJsonbValue(&state, WJB_KEY, &v);
		if (nulls[c])
			v.type = jbvNull;
		else
			column_value(rj, c, values[c], &v);
		(void) pushJsonbValue(&state, WJB_VALUE, &v);
	}
	return JsonbValueToJsonb(pushJsonbValue(&state, WJB_END_OBJECT, NULL));
}
