/*-------------------------------------------------------------------------
 *
 * src/tag_resolve.c
 *	  Checking a parsed retention label against the object it is set on and
 *	  the catalogs, and resolving it to attribute numbers and OIDs.
 *
 * One validator serves three callers: the label provider (a bad label is
 * refused), the retention.tags view (a tag broken behind our back is shown
 * with its problem) and the DDL guard (a schema change that would break a
 * tag is refused, naming the tag).  Problems are therefore returned as data,
 * never raised here.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "catalog/indexing.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_type.h"
#include "catalog/objectaddress.h"
#include "commands/seclabel.h"
#include "parser/parse_coerce.h"
#include "lib/stringinfo.h"
#include "optimizer/optimizer.h"
#include "rewrite/rewriteHandler.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "nodes/readfuncs.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/syscache.h"

#include "pg_retention.h"

#define ANCHOR_TYPES_DETAIL "An anchor must be of type date, timestamp or timestamptz."
#define COLUMN_ACTIONS "nullify, default, hash, mask or generalize"
#define MIN_HASH_LENGTH 16

/*
 * retention_live_attname
 *
 * The name of a user column that exists and is not dropped, else NULL
 * (get_attname alone returns "........pg.dropped.N........").
 */
char *
retention_live_attname(Oid relid, AttrNumber attnum)
{
	HeapTuple	tuple;
	Form_pg_attribute att;
	char	   *name = NULL;

	tuple = SearchSysCache2(ATTNUM, ObjectIdGetDatum(relid), Int16GetDatum(attnum));
	if (!HeapTupleIsValid(tuple))
		return NULL;
	att = (Form_pg_attribute) GETSTRUCT(tuple);
	if (!att->attisdropped && att->attnum > 0)
		name = pstrdup(NameStr(att->attname));
	ReleaseSysCache(tuple);
	return name;
}

/*
 * retention_describe_tag
 *
 * "table public.t" or "column public.t.c": how messages name a tag.
 */
char *
retention_describe_tag(const RetentionTag *tag)
{
	char	   *rel = retention_deparse_relation_or_oid(tag->relid);
	char	   *attname;

	if (tag->attnum == 0)
		return psprintf("table %s", rel);
	attname = retention_live_attname(tag->relid, tag->attnum);
	return psprintf("column %s.%s", rel,
					attname ? quote_identifier(attname) : "(dropped)");
}

/* The base type of a column (looking through domains), and its typmod. */
static Oid
column_base_type(Form_pg_attribute att, int32 *typmod)
{
	*typmod = att->atttypmod;
	return getBaseTypeAndTypmod(att->atttypid, typmod);
}

static bool
is_time_type(Oid type)
{
	return type == DATEOID || type == TIMESTAMPOID || type == TIMESTAMPTZOID;
}

static bool
is_bucketable_number(Oid type)
{
	return type == INT2OID || type == INT4OID || type == INT8OID ||
		type == NUMERICOID || type == FLOAT4OID || type == FLOAT8OID;
}

static bool
is_string_type(Oid type)
{
	char		category;
	bool		preferred;

	get_type_category_preferred(type, &category, &preferred);
	return category == TYPCATEGORY_STRING && type != NAMEOID;
}

/*
 * Fetches a live (not dropped) user column by name or number; NULL if none.
 * The result is a copy.
 */
static Form_pg_attribute
fetch_column(Oid relid, const char *name, AttrNumber attnum)
{
	HeapTuple	tuple;
	Form_pg_attribute att;

	if (name != NULL)
		tuple = SearchSysCacheAttName(relid, name);
	else
		tuple = SearchSysCache2(ATTNUM, ObjectIdGetDatum(relid),
								Int16GetDatum(attnum));
	if (!HeapTupleIsValid(tuple))
		return NULL;
	att = palloc(ATTRIBUTE_FIXED_PART_SIZE);
	memcpy(att, GETSTRUCT(tuple), ATTRIBUTE_FIXED_PART_SIZE);
	ReleaseSysCache(tuple);
	if (att->attisdropped || att->attnum <= 0)
		return NULL;
	return att;
}

/* Checks the object the label is set on: a table or one of its columns. */
static bool
check_object(RetentionTag *tag, Form_pg_attribute *column)
{
	RetentionProblem *p = &tag->problem;
	HeapTuple	tuple;
	Form_pg_class rel;
	char	   *relname;

	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(tag->relid));
	if (!HeapTupleIsValid(tuple))
	{
		retention_set_problem(p, ERRCODE_UNDEFINED_TABLE,
							  "the tagged table no longer exists", NULL, NULL);
		return false;
	}
	rel = (Form_pg_class) GETSTRUCT(tuple);
	relname = retention_deparse_relation_or_oid(tag->relid);

	if (rel->relkind != RELKIND_RELATION && rel->relkind != RELKIND_PARTITIONED_TABLE)
		retention_set_problem(p, ERRCODE_FEATURE_NOT_SUPPORTED,
							  psprintf("retention tags cannot be set on %s", relname),
							  "Retention tags apply to tables (ordinary and partitioned) and their columns.",
							  "Tag the table that stores the data.");
	else if (rel->relispartition)
		retention_set_problem(p, ERRCODE_FEATURE_NOT_SUPPORTED,
							  psprintf("retention tags cannot be set on partition %s", relname),
							  "A partition follows the retention tags of its partitioned table.",
							  "Tag the partitioned table instead.");
	else if (strcmp(get_namespace_name(rel->relnamespace), RETENTION_SCHEMA) == 0 ||
			 rel->relnamespace == PG_CATALOG_NAMESPACE)
		retention_set_problem(p, ERRCODE_FEATURE_NOT_SUPPORTED,
							  psprintf("retention tags cannot be set on %s", relname),
							  "System catalogs and the extension's own tables have their own retention rules.",
							  NULL);
	ReleaseSysCache(tuple);
	if (p->sqlerrcode != 0)
		return false;

	*column = NULL;
	if (tag->attnum != 0)
	{
		*column = fetch_column(tag->relid, NULL, tag->attnum);
		if (*column == NULL)
		{
			retention_set_problem(p, ERRCODE_FEATURE_NOT_SUPPORTED,
								  "retention tags can only be set on user columns",
								  "System columns (ctid, xmin, ...) hold no personal data of their own.",
								  "Tag a column of the table, or the table itself.");
			return false;
		}
	}
	return true;
}

/* Checks which keys the label combines, without the catalogs. */
static bool
check_shape(RetentionTag *tag)
{
	RetentionLabel *l = &tag->label;
	RetentionProblem *p = &tag->problem;

	if (tag->attnum == 0)
	{
		if (l->subject)
			retention_set_problem(p, ERRCODE_WRONG_OBJECT_TYPE,
								  "subject cannot be set on a table",
								  "A subject kind marks the column that identifies a person.",
								  "Tag the identifier column, for example SECURITY LABEL FOR retention ON COLUMN t.email IS 'subject=email'.");
		else if (l->category == NULL)
			retention_set_problem(p, ERRCODE_INVALID_PARAMETER_VALUE,
								  "a table tag needs a category",
								  NULL, "Write category=name anchor=column.");
		else if (l->anchor_items == NIL)
			retention_set_problem(p, ERRCODE_INVALID_PARAMETER_VALUE,
								  "a table tag needs an anchor",
								  "The anchor is the date the retention period is counted from.",
								  "Add anchor=column (a date or timestamp column) or anchor=fkcol->table.column.");
		else if (l->action != RETENTION_ACTION_NONE && l->action != RETENTION_ACTION_DELETE)
			retention_set_problem(p, ERRCODE_WRONG_OBJECT_TYPE,
								  psprintf("action %s cannot be set on a table",
										   retention_action_name(l->action)),
								  "A table tag deletes whole rows; anonymization methods apply to columns.",
								  "Use action=delete on the table, or tag the columns to anonymize.");
		else if (l->keep >= 0 || l->bucket > 0)
			retention_set_problem(p, ERRCODE_INVALID_PARAMETER_VALUE,
								  "keep and bucket cannot be set on a table",
								  NULL, "keep goes with action=mask and bucket with action=generalize, on columns.");
		else if (l->partitions != RETENTION_PARTITIONS_DEFAULT &&
				 get_rel_relkind(tag->relid) != RELKIND_PARTITIONED_TABLE)
			retention_set_problem(p, ERRCODE_WRONG_OBJECT_TYPE,
								  "partitions can only be set on a partitioned table",
								  NULL, "Remove partitions=...; an ordinary table's rows are deleted one by one.");
	}
	else if (l->partitions != RETENTION_PARTITIONS_DEFAULT)
		retention_set_problem(p, ERRCODE_WRONG_OBJECT_TYPE,
							  "partitions cannot be set on a column",
							  NULL, "partitions=drop|detach|rows goes on the tag of a partitioned table.");
	else if (l->category == NULL)
	{
		if (l->subject == NULL)
			retention_set_problem(p, ERRCODE_INVALID_PARAMETER_VALUE,
								  "a column tag needs a category or a subject",
								  NULL, "Write category=name anchor=column [action=method], or subject=kind.");
		else if (l->anchor_items || l->action != RETENTION_ACTION_NONE ||
				 l->keep >= 0 || l->bucket > 0)
			retention_set_problem(p, ERRCODE_INVALID_PARAMETER_VALUE,
								  "anchor, action, keep and bucket need a category",
								  "A subject-only tag marks an identifier column and has no retention rule of its own.",
								  "Add category=name, or keep only subject=kind.");
	}
	else if (l->anchor_items == NIL)
		retention_set_problem(p, ERRCODE_INVALID_PARAMETER_VALUE,
							  "a column tag with a category needs an anchor",
							  "The anchor is the date the retention period is counted from.",
							  "Add anchor=column (a date or timestamp column) or anchor=fkcol->table.column.");
	else if (l->action == RETENTION_ACTION_DELETE)
		retention_set_problem(p, ERRCODE_WRONG_OBJECT_TYPE,
							  "action delete cannot be set on a column",
							  "A column tag anonymizes the value and keeps the row.",
							  "Tag the table to delete whole rows, or choose " COLUMN_ACTIONS " for the column.");
	return p->sqlerrcode == 0;
}

/* Resolves the category and the effective action. */
static bool
check_category(RetentionTag *tag, List *categories)
{
	RetentionLabel *l = &tag->label;
	RetentionProblem *p = &tag->problem;

	if (l->category == NULL)
		return true;
	tag->category = retention_find_category(categories, l->category);
	if (tag->category == NULL)
	{
		retention_set_problem(p, ERRCODE_UNDEFINED_OBJECT,
							  psprintf("retention category \"%s\" does not exist", l->category),
							  NULL,
							  "Define it first with retention.define_category(); SELECT name FROM retention.category lists the categories.");
		return false;
	}
	tag->action_from_category = (l->action == RETENTION_ACTION_NONE);
	tag->action = tag->action_from_category ? tag->category->action : l->action;

	if (tag->attnum == 0 && tag->action != RETENTION_ACTION_DELETE)
		retention_set_problem(p, ERRCODE_INVALID_OBJECT_DEFINITION,
							  psprintf("category \"%s\" anonymizes values (action %s), but a table tag deletes rows",
									   l->category, retention_action_name(tag->action)),
							  NULL,
							  "Add action=delete to the table's label, or tag the columns to anonymize instead.");
	else if (tag->attnum != 0 && tag->action == RETENTION_ACTION_DELETE)
		retention_set_problem(p, ERRCODE_INVALID_OBJECT_DEFINITION,
							  psprintf("category \"%s\" deletes rows, but a column tag anonymizes values",
									   l->category),
							  NULL,
							  "Add action=" COLUMN_ACTIONS " to the column's label, or tag the table to delete whole rows.");
	return p->sqlerrcode == 0;
}

/* Checks that a column can serve as an anchor. */
static bool
check_anchor_type(RetentionTag *tag, Form_pg_attribute att, const char *relname)
{
	int32		typmod;
	Oid			type = column_base_type(att, &typmod);

	if (!is_time_type(type))
	{
		retention_set_problem(&tag->problem, ERRCODE_DATATYPE_MISMATCH,
							  psprintf("anchor column \"%s\" of %s has type %s",
									   NameStr(att->attname), relname,
									   format_type_with_typemod(att->atttypid, att->atttypmod)),
							  ANCHOR_TYPES_DETAIL,
							  "Anchor on the date the period is counted from, or convert the column.");
		return false;
	}
	tag->anchor_type = type;
	return true;
}

/* Resolves anchor=fkcol->[schema.]table.column through a declared FK. */
static bool
check_fk_anchor(RetentionTag *tag, Form_pg_attribute fkcol)
{
	RetentionLabel *l = &tag->label;
	RetentionProblem *p = &tag->problem;
	Relation	conrel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	Form_pg_attribute parent_col;
	char	   *parent_name;

	/* from pg_constraint, so that no lock on the table is needed */
	conrel = table_open(ConstraintRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_constraint_conrelid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(tag->relid));
	scan = systable_beginscan(conrel, ConstraintRelidTypidNameIndexId, true, NULL, 1, &key);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tuple);
		AttrNumber	conkey[INDEX_MAX_KEYS];
		AttrNumber	confkey[INDEX_MAX_KEYS];
		int			nkeys;
		char	   *confname;

		if (con->contype != CONSTRAINT_FOREIGN || OidIsValid(tag->fk_conoid))
			continue;
		DeconstructFkConstraintRow(tuple, &nkeys, conkey, confkey, NULL, NULL, NULL, NULL, NULL);
		if (nkeys != 1 || conkey[0] != fkcol->attnum)
			continue;
		confname = get_rel_name(con->confrelid);
		if (confname == NULL || strcmp(confname, l->anchor_table) != 0)
			continue;
		if (l->anchor_schema &&
			strcmp(get_namespace_name(get_rel_namespace(con->confrelid)),
				   l->anchor_schema) != 0)
			continue;
		tag->fk_conoid = con->oid;
		tag->parent_relid = con->confrelid;
		tag->parent_key_attnum = confkey[0];
	}
	systable_endscan(scan);
	table_close(conrel, AccessShareLock);

	if (!OidIsValid(tag->fk_conoid))
	{
		retention_set_problem(p, ERRCODE_INVALID_FOREIGN_KEY,
							  psprintf("no foreign key on column \"%s\" of %s references table \"%s\"",
									   NameStr(fkcol->attname), retention_deparse_relation_or_oid(tag->relid),
									   l->anchor_schema ? quote_qualified_identifier(l->anchor_schema, l->anchor_table)
									   : l->anchor_table),
							  "An anchor of the form fkcol->table.column follows a declared single-column foreign key.",
							  "Declare FOREIGN KEY (fkcol) REFERENCES table, or anchor on a column of this table.");
		return false;
	}

	parent_name = retention_deparse_relation_or_oid(tag->parent_relid);
	parent_col = fetch_column(tag->parent_relid, l->anchor_parent_column, 0);
	if (parent_col == NULL)
	{
		retention_set_problem(p, ERRCODE_UNDEFINED_COLUMN,
							  psprintf("anchor column \"%s\" of %s does not exist",
									   l->anchor_parent_column, parent_name),
							  NULL,
							  "Name a date, timestamp or timestamptz column of the referenced table.");
		return false;
	}
	tag->parent_attnum = parent_col->attnum;
	return check_anchor_type(tag, parent_col, parent_name);
}

/* Resolves the anchor, local or through a foreign key. */
static bool
check_anchor(RetentionTag *tag)
{
	RetentionLabel *l = &tag->label;
	Form_pg_attribute att;
	char	   *relname;

	if (l->anchor_column == NULL)
		return true;
	relname = retention_deparse_relation_or_oid(tag->relid);
	att = fetch_column(tag->relid, l->anchor_column, 0);
	if (att == NULL)
	{
		retention_set_problem(&tag->problem, ERRCODE_UNDEFINED_COLUMN,
							  psprintf("%s column \"%s\" of %s does not exist",
									   l->anchor_via_fk ? "foreign-key" : "anchor",
									   l->anchor_column, relname),
							  NULL,
							  "Anchor on a date, timestamp or timestamptz column of the table, or write anchor=fkcol->table.column.");
		return false;
	}
	tag->anchor_attnum = att->attnum;
	if (l->anchor_via_fk)
		return check_fk_anchor(tag, att);
	return check_anchor_type(tag, att, relname);
}

/*
 * retention_column_default
 *
 * The default expression of a column, read from pg_attrdef without opening
 * (and so without locking) the table: planning must never wait behind a
 * lock.  NULL if the column has none.
 */
Node *
retention_column_default(Oid relid, AttrNumber attnum)
{
	Relation	attrdef = table_open(AttrDefaultRelationId, AccessShareLock);
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tuple;
	Node	   *result = NULL;

	ScanKeyInit(&keys[0], Anum_pg_attrdef_adrelid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(relid));
	ScanKeyInit(&keys[1], Anum_pg_attrdef_adnum, BTEqualStrategyNumber, F_INT2EQ,
				Int16GetDatum(attnum));
	scan = systable_beginscan(attrdef, AttrDefaultIndexId, true, NULL, 2, keys);
	if (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		bool		isnull;
		Datum		bin = heap_getattr(tuple, Anum_pg_attrdef_adbin, RelationGetDescr(attrdef), &isnull);

		if (!isnull)
			result = stringToNode(TextDatumGetCString(bin));
	}
	systable_endscan(scan);
	table_close(attrdef, AccessShareLock);
	return result;
}

/* True if the column's default expression is not immutable. */
static bool
default_is_volatile(Oid relid, AttrNumber attnum)
{
	Node	   *def = retention_column_default(relid, attnum);

	return def != NULL && contain_mutable_functions(def);
}

/* Checks that the effective action can be applied to the column's type. */
static bool
check_action_fits_column(RetentionTag *tag, Form_pg_attribute att)
{
	RetentionProblem *p = &tag->problem;
	RetentionLabel *l = &tag->label;
	const char *col = NameStr(att->attname);
	const char *action = retention_action_name(tag->action);
	const char *type_name = format_type_with_typemod(att->atttypid, att->atttypmod);
	int32		typmod;
	Oid			type = column_base_type(att, &typmod);

	if (att->attgenerated)
	{
		retention_set_problem(p, ERRCODE_FEATURE_NOT_SUPPORTED,
							  psprintf("column \"%s\" is generated and cannot be anonymized", col),
							  NULL, "Tag the columns it is computed from.");
		return false;
	}

	switch (tag->action)
	{
		case RETENTION_ACTION_NULLIFY:
			if (att->attnotnull)
				retention_set_problem(p, ERRCODE_INVALID_OBJECT_DEFINITION,
									  psprintf("cannot nullify column \"%s\": it is NOT NULL", col),
									  NULL,
									  "Choose action=default, hash or mask, or drop the NOT NULL constraint.");
			break;
		case RETENTION_ACTION_DEFAULT:
			if (att->attidentity)
				retention_set_problem(p, ERRCODE_INVALID_OBJECT_DEFINITION,
									  psprintf("column \"%s\" is an identity column", col),
									  "action=default needs a fixed default value; an identity column draws a new one each time.",
									  "Choose action=nullify or hash for this column.");
			else if (att->attnotnull && !att->atthasdef)
				retention_set_problem(p, ERRCODE_INVALID_OBJECT_DEFINITION,
									  psprintf("column \"%s\" is NOT NULL and has no default", col),
									  "action=default sets the column to its default value.",
									  "Give the column a default with ALTER TABLE ... ALTER COLUMN ... SET DEFAULT, or choose another action.");
			else if (att->atthasdef && default_is_volatile(tag->relid, att->attnum))
				retention_set_problem(p, ERRCODE_INVALID_OBJECT_DEFINITION,
									  psprintf("the default of column \"%s\" is not immutable", col),
									  "action=default needs a fixed default value, so that a value already set to it is recognized and left alone.",
									  "Give the column a constant default, or choose action=nullify or hash.");
			break;
		case RETENTION_ACTION_HASH:
			if (!is_string_type(type) && type != BYTEAOID && type != UUIDOID)
				retention_set_problem(p, ERRCODE_DATATYPE_MISMATCH,
									  psprintf("action hash does not fit column \"%s\" of type %s", col, type_name),
									  "hash applies to text, varchar, char, bytea and uuid columns.",
									  "Choose action=nullify or default for this column.");
			else if ((type == VARCHAROID || type == BPCHAROID) && typmod >= 0 &&
					 typmod - VARHDRSZ < MIN_HASH_LENGTH)
				retention_set_problem(p, ERRCODE_DATATYPE_MISMATCH,
									  psprintf("column \"%s\" of type %s is too short for action hash", col, type_name),
									  psprintf("A hash pseudonym needs at least %d characters.", MIN_HASH_LENGTH),
									  "Widen the column, or choose action=mask or nullify.");
			break;
		case RETENTION_ACTION_MASK:
			if (!is_string_type(type))
				retention_set_problem(p, ERRCODE_DATATYPE_MISMATCH,
									  psprintf("action mask does not fit column \"%s\" of type %s", col, type_name),
									  "mask applies to text, varchar and char columns.",
									  "Choose action=nullify, default or hash for this column.");
			break;
		case RETENTION_ACTION_GENERALIZE:
			if (is_bucketable_number(type))
			{
				if (l->bucket <= 0)
					retention_set_problem(p, ERRCODE_INVALID_PARAMETER_VALUE,
										  psprintf("generalizing number column \"%s\" needs a bucket width", col),
										  NULL, "Add bucket=N: values are rounded down to a multiple of N.");
			}
			else if (!is_time_type(type) && type != INETOID && type != CIDROID)
				retention_set_problem(p, ERRCODE_DATATYPE_MISMATCH,
									  psprintf("action generalize does not fit column \"%s\" of type %s", col, type_name),
									  "generalize applies to dates and timestamps (to the month), inet and cidr (to the /24 or /48 network) and numbers (to a bucket).",
									  "Choose action=nullify, default, hash or mask for this column.");
			break;
		default:
			break;
	}
	if (p->sqlerrcode != 0)
		return false;

	if (l->keep >= 0 && tag->action != RETENTION_ACTION_MASK)
		retention_set_problem(p, ERRCODE_INVALID_PARAMETER_VALUE,
							  psprintf("keep does not apply to action %s", action),
							  NULL, "keep=N goes with action=mask: the number of trailing characters kept.");
	else if (l->bucket > 0 &&
			 (tag->action != RETENTION_ACTION_GENERALIZE || !is_bucketable_number(type)))
		retention_set_problem(p, ERRCODE_INVALID_PARAMETER_VALUE,
							  psprintf("bucket does not apply to action %s on column \"%s\"", action, col),
							  NULL, "bucket=N goes with action=generalize on a number column.");
	return p->sqlerrcode == 0;
}

/*
 * Can blocked=anonymize remove the identifier in this subject column?  A
 * nullable column is nullified, a NOT NULL text column gets a keyed
 * pseudonym (as erasure does); anything else cannot be anonymized.
 */
bool
retention_identifier_removable(Form_pg_attribute att)
{
	return !att->attnotnull ||
		TypeCategory(getBaseType(att->atttypid)) == TYPCATEGORY_STRING;
}

/* The parsed retention label of an object, or false if it has none. */
static bool
read_label(Oid relid, AttrNumber attnum, RetentionLabel *label)
{
	ObjectAddress address;
	char	   *text;
	RetentionProblem problem;

	ObjectAddressSubSet(address, RelationRelationId, relid, attnum);
	text = GetSecurityLabel(&address, RETENTION_PROVIDER);
	return text !=NULL && retention_parse_label(text, label, &problem);
}

static void
set_not_removable(RetentionTag *tag, Form_pg_attribute att)
{
	retention_set_problem(&tag->problem, ERRCODE_INVALID_OBJECT_DEFINITION,
						  psprintf("blocked=anonymize cannot remove the identifier in column %s",
								   quote_identifier(NameStr(att->attname))),
						  psprintf("The column is NOT NULL and of type %s: it can be neither nullified nor replaced by a pseudonym.",
								   format_type_be(att->atttypid)),
						  "Drop NOT NULL on the column, give it a text type, or use blocked=wait on the table tag.");
}

/*
 * check_action_keys
 *
 * blocked= and suppress= go on table tags only.  With check_references,
 * blocked=anonymize needs every subject-only column of the table to be
 * removable (see retention_identifier_removable): checked from the table
 * tag and from a subject tag set later.
 */
static bool
check_action_keys(RetentionTag *tag, Form_pg_attribute column, bool check_references)
{
	RetentionLabel *l = &tag->label;

	if (tag->attnum != 0)
	{
		RetentionLabel table_label;

		if (l->blocked != RETENTION_BLOCKED_DEFAULT || l->suppress >= 0)
		{
			retention_set_problem(&tag->problem, ERRCODE_WRONG_OBJECT_TYPE,
								  psprintf("%s cannot be set on a column",
										   l->blocked != RETENTION_BLOCKED_DEFAULT ? "blocked" : "suppress"),
								  "blocked and suppress say what happens to whole rows.",
								  "Put blocked=... or suppress=true on the tag of the table.");
			return false;
		}
		if (check_references && column && l->subject && l->category == NULL &&
			!retention_identifier_removable(column) &&
			read_label(tag->relid, 0, &table_label) &&
			table_label.blocked == RETENTION_BLOCKED_ANONYMIZE)
		{
			set_not_removable(tag, column);
			return false;
		}
		return true;
	}
	if (check_references && l->blocked == RETENTION_BLOCKED_ANONYMIZE)
	{
		/*
		 * the columns from the catalog, not the relation: opening it would
		 * wait for its owner's lock, and every reader of the tags with it
		 */
		HeapTuple	reltup = SearchSysCache1(RELOID, ObjectIdGetDatum(tag->relid));
		int			natts;

		if (!HeapTupleIsValid(reltup))
			return false;
		natts = ((Form_pg_class) GETSTRUCT(reltup))->relnatts;
		ReleaseSysCache(reltup);
		for (AttrNumber attnum = 1; attnum <= natts; attnum++)
		{
			HeapTuple	atttup = SearchSysCache2(ATTNUM, ObjectIdGetDatum(tag->relid),
												 Int16GetDatum(attnum));
			Form_pg_attribute att;
			RetentionLabel column_label;
			bool		found;

			if (!HeapTupleIsValid(atttup))
				continue;
			att = (Form_pg_attribute) GETSTRUCT(atttup);
			found = !att->attisdropped && !retention_identifier_removable(att) &&
				read_label(tag->relid, attnum, &column_label) &&
				column_label.subject != NULL && column_label.category == NULL;
			if (found)
				set_not_removable(tag, att);
			ReleaseSysCache(atttup);
			if (found)
				break;
		}
	}
	return tag->problem.sqlerrcode == 0;
}

/*
 * retention_resolve_tag
 *
 * Checks tag->label against the object (tag->relid, tag->attnum) and, when
 * check_references is true, against the categories and the catalogs, and
 * fills in the resolved fields.  Returns false with tag->problem set if the
 * tag is not valid.  Raises nothing for user-caused problems.
 */
bool
retention_resolve_tag(RetentionTag *tag, List *categories, bool check_references)
{
	Form_pg_attribute column = NULL;

	memset(&tag->problem, 0, sizeof(RetentionProblem));
	tag->category = NULL;
	tag->action = tag->label.action;
	tag->action_from_category = false;
	tag->anchor_attnum = InvalidAttrNumber;
	tag->fk_conoid = InvalidOid;
	tag->parent_relid = InvalidOid;
	tag->parent_attnum = InvalidAttrNumber;
	tag->parent_key_attnum = InvalidAttrNumber;
	tag->anchor_type = InvalidOid;
	tag->complex = false;
	tag->condition = NULL;

	if (!check_object(tag, &column) || !check_shape(tag) ||
		!check_action_keys(tag, column, check_references))
		return false;
	if (column && column->attgenerated && tag->label.category)
		return check_action_fits_column(tag, column);
	if (!check_references)
		return true;
	if (!check_category(tag, categories) || !check_anchor(tag) ||
		!retention_resolve_model(tag))
		return false;
	if (column && tag->category)
		return check_action_fits_column(tag, column);
	return true;
}
