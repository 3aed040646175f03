/*-------------------------------------------------------------------------
 *
 * src/tag_model.c
 *	  The keys of the 0.2.0 policy model: resolving anchor lists and
 *	  latest() items, period= and variant= columns and when= conditions;
 *	  following renames for the DDL guard; the normalized storage of
 *	  conditions; and the rows that the tags view and lint read of them.
 *
 * Like tag_resolve.c, problems are returned as data (RetentionProblem),
 * never raised for user-caused trouble.  A when= condition is parsed by
 * PostgreSQL's parser and transformed against the tagged table, and only
 * built-in immutable functions and operators, constants and the row's own
 * columns are accepted; the SQL that enforcement runs is deparsed from the
 * checked tree, never taken from the label text.  The condition is checked
 * again every time the tag is read.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/comment.h"
#include "commands/event_trigger.h"
#include "commands/seclabel.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_coerce.h"
#include "parser/parse_collate.h"
#include "parser/parse_expr.h"
#include "parser/parse_node.h"
#include "parser/parse_relation.h"
#include "parser/parse_type.h"
#include "parser/parser.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "pg_retention.h"

#define ANCHOR_TYPES_DETAIL "An anchor must be of type date, timestamp or timestamptz."

/* A live user column by name: its number and base type, or false. */
static bool
lookup_column(Oid relid, const char *name, AttrNumber *attnum, Oid *type)
{
	HeapTuple	tuple = SearchSysCacheAttName(relid, name);
	Form_pg_attribute att;
	int32		typmod;

	if (!HeapTupleIsValid(tuple))
		return false;
	att = (Form_pg_attribute) GETSTRUCT(tuple);
	*attnum = att->attnum;
	typmod = att->atttypmod;
	*type = getBaseTypeAndTypmod(att->atttypid, &typmod);
	ReleaseSysCache(tuple);
	return *attnum > 0;
}

static bool
is_time_type(Oid type)
{
	return type == DATEOID || type == TIMESTAMPOID || type == TIMESTAMPTZOID;
}

/*
 * A variant= column's value selects a variant by its text form: only types
 * whose text form is built in and does not depend on session settings
 * (DateStyle, extra_float_digits), so the worker and an export agree.
 */
static bool
is_variant_type(Oid type)
{
	Oid			base = getBaseType(type);

	switch (base)
	{
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case BOOLOID:
			return true;
		default:
			return type_is_enum(base);
	}
}

static bool
name_matches(Oid relid, const char *schema, const char *table)
{
	char	   *relname = get_rel_name(relid);

	if (relname == NULL || strcmp(relname, table) != 0)
		return false;
	return schema == NULL ||
		strcmp(get_namespace_name(get_rel_namespace(relid)), schema) == 0;
}

static char *
item_table_name(const RetentionItem *item)
{
	return item->schema ? quote_qualified_identifier(item->schema, item->table)
		: (char *) quote_identifier(item->table);
}

/*
 * Finds the single-column foreign key of an item: for FK items the key on
 * the tagged table's column to the named parent; for LATEST items the key of
 * the named child table that references the tagged table (through "via"
 * where given).  Counts the candidates.
 */
static int
find_item_fk(RetentionTag *tag, RetentionItem *item)
{
	Relation	conrel = table_open(ConstraintRelationId, AccessShareLock);
	SysScanDesc scan = systable_beginscan(conrel, InvalidOid, false, NULL, 0, NULL);
	HeapTuple	tuple;
	int			found = 0;

	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tuple);
		AttrNumber	conkey[INDEX_MAX_KEYS];
		AttrNumber	confkey[INDEX_MAX_KEYS];
		int			nkeys;

		if (con->contype != CONSTRAINT_FOREIGN || OidIsValid(con->conparentid))
			continue;
		if (item->kind == RETENTION_ITEM_FK)
		{
			if (con->conrelid != tag->relid)
				continue;
			DeconstructFkConstraintRow(tuple, &nkeys, conkey, confkey, NULL, NULL, NULL, NULL, NULL);
			if (nkeys != 1 || conkey[0] != item->attnum ||
				!name_matches(con->confrelid, item->schema, item->table))
				continue;
			item->other_relid = con->confrelid;
			item->key_attnum = confkey[0];
		}
		else
		{
			if (con->confrelid != tag->relid ||
				!name_matches(con->conrelid, item->schema, item->table))
				continue;
			DeconstructFkConstraintRow(tuple, &nkeys, conkey, confkey, NULL, NULL, NULL, NULL, NULL);
			if (nkeys != 1)
				continue;
			if (item->via)
			{
				char	   *attname = get_attname(con->conrelid, conkey[0], true);

				if (attname == NULL || strcmp(attname, item->via) != 0)
					continue;
			}
			item->other_relid = con->conrelid;
			item->key_attnum = conkey[0];
			item->ref_attnum = confkey[0];
		}
		if (found++ == 0)
			item->conoid = con->oid;
	}
	systable_endscan(scan);
	table_close(conrel, AccessShareLock);
	return found;
}

/*
 * resolve_item
 *
 * Resolves one anchor item (what = "anchor"), or the period= or variant=
 * column.  Fills the item's resolved fields.
 */
static bool
resolve_item(RetentionTag *tag, RetentionItem *item, const char *what)
{
	RetentionProblem *p = &tag->problem;
	char	   *relname = retention_deparse_relation_or_oid(tag->relid);
	bool		anchor = strcmp(what, "anchor") == 0;
	char	   *other_name;
	int			n;

	item->conoid = InvalidOid;
	item->other_relid = InvalidOid;
	item->other_attnum = item->key_attnum = item->ref_attnum = InvalidAttrNumber;
	if (item->kind != RETENTION_ITEM_LATEST)
	{
		if (!lookup_column(tag->relid, item->column, &item->attnum, &item->type))
		{
			retention_set_problem(p, ERRCODE_UNDEFINED_COLUMN,
								  psprintf("%s column \"%s\" of %s does not exist",
										   item->kind == RETENTION_ITEM_FK ? "foreign-key" : what,
										   item->column, relname),
								  NULL,
								  psprintf("Name a column of the table, or write %s=fkcol->table.column.", what));
			return false;
		}
		if (item->kind == RETENTION_ITEM_COLUMN)
			goto check_type;
	}

	n = find_item_fk(tag, item);
	if (n == 0)
	{
		if (item->kind == RETENTION_ITEM_FK)
			retention_set_problem(p, ERRCODE_INVALID_FOREIGN_KEY,
								  psprintf("no foreign key on column \"%s\" of %s references table \"%s\"",
										   item->column, relname, item_table_name(item)),
								  psprintf("A %s of the form fkcol->table.column follows a declared single-column foreign key.", what),
								  "Declare FOREIGN KEY (fkcol) REFERENCES table, or name a column of this table.");
		else
			retention_set_problem(p, ERRCODE_INVALID_FOREIGN_KEY,
								  psprintf("no foreign key of table \"%s\" references %s%s%s",
										   item_table_name(item), relname,
										   item->via ? " through column " : "",
										   item->via ? quote_identifier(item->via) : ""),
								  "latest(table.column) reads the rows of table that reference this row through a declared single-column foreign key.",
								  "Declare FOREIGN KEY (fkcol) REFERENCES this table on the child table.");
		return false;
	}
	if (n > 1)
	{
		retention_set_problem(p, ERRCODE_INVALID_FOREIGN_KEY,
							  psprintf("several foreign keys of table \"%s\" reference %s",
									   item_table_name(item), relname),
							  "latest() must know which foreign key links the child rows to this row.",
							  psprintf("Write latest(%s.%s via fkcol), naming the foreign-key column of \"%s\".",
									   item_table_name(item), quote_identifier(item->other_column), item->table));
		return false;
	}
	other_name = retention_deparse_relation_or_oid(item->other_relid);
	if (!lookup_column(item->other_relid, item->other_column, &item->other_attnum, &item->type))
	{
		retention_set_problem(p, ERRCODE_UNDEFINED_COLUMN,
							  psprintf("%s column \"%s\" of %s does not exist", what,
									   item->other_column, other_name),
							  NULL, psprintf("Name a column of %s.", other_name));
		return false;
	}
	if (item->kind == RETENTION_ITEM_LATEST &&
		retention_relation_owner(item->other_relid) != retention_relation_owner(tag->relid))
	{
		retention_set_problem(p, ERRCODE_INVALID_OBJECT_DEFINITION,
							  psprintf("table %s of latest() is not owned by the owner of %s",
									   other_name, relname),
							  "Enforcement reads the child rows as the tagged table's owner, and reads no table of another owner with that owner's rights.",
							  psprintf("Give both tables the same owner (ALTER TABLE %s OWNER TO ...), or anchor on a column of this table.", other_name));
		return false;
	}

check_type:
	if (anchor && !is_time_type(item->type))
		retention_set_problem(p, ERRCODE_DATATYPE_MISMATCH,
							  psprintf("anchor column \"%s\" has type %s",
									   item->kind == RETENTION_ITEM_COLUMN ? item->column : item->other_column,
									   format_type_be(item->type)),
							  ANCHOR_TYPES_DETAIL,
							  "Anchor on the date the period is counted from, or convert the column.");
	else if (strcmp(what, "period") == 0 && item->type != INTERVALOID)
		retention_set_problem(p, ERRCODE_DATATYPE_MISMATCH,
							  psprintf("period column \"%s\" has type %s",
									   item->kind == RETENTION_ITEM_COLUMN ? item->column : item->other_column,
									   format_type_be(item->type)),
							  "period=column reads the retention period from the data: an interval column.",
							  "Name an interval column, or leave period out to use the category's period.");
	else if (strcmp(what, "variant") == 0 && !is_variant_type(item->type))
		retention_set_problem(p, ERRCODE_DATATYPE_MISMATCH,
							  psprintf("variant column \"%s\" has type %s",
									   item->kind == RETENTION_ITEM_COLUMN ? item->column : item->other_column,
									   format_type_be(item->type)),
							  "variant=column selects the variant whose name equals the value as text: a text, varchar, char, integer, boolean or enum column (or a domain over one), whose text form does not depend on session settings.",
							  "Name such a column (e.g. a country code), or leave variant out.");
	return p->sqlerrcode == 0;
}

/* Only built-in immutable functions (operators, casts, I/O) in pg_catalog. */
static bool
builtin_immutable(Oid func_id, void *context)
{
	return func_id >= FirstNormalObjectId ||
		get_func_namespace(func_id) != PG_CATALOG_NAMESPACE ||
		func_volatile(func_id) != PROVOLATILE_IMMUTABLE;
}

typedef struct ConditionCheck
{
	const char *refused;		/* what was found, or NULL */
} ConditionCheck;

static bool
condition_walker(Node *node, ConditionCheck *check)
{
	if (node == NULL)
		return false;
	switch (nodeTag(node))
	{
		case T_Var:
			{
				Var		   *var = (Var *) node;

				if (var->varlevelsup != 0 || var->varattno <= 0)
				{
					check->refused = "system columns and whole-row references";
					return true;
				}
				return false;
			}
		case T_SubLink:
			check->refused = "subqueries";
			return true;
		case T_Const:
		case T_FuncExpr:
		case T_OpExpr:
		case T_DistinctExpr:
		case T_NullIfExpr:
		case T_ScalarArrayOpExpr:
		case T_BoolExpr:
		case T_NullTest:
		case T_BooleanTest:
		case T_CaseExpr:
		case T_CaseWhen:
		case T_CaseTestExpr:
		case T_CoalesceExpr:
		case T_RelabelType:
		case T_CoerceViaIO:
		case T_ArrayCoerceExpr:
		case T_ArrayExpr:
		case T_CollateExpr:
		case T_List:
			break;
		default:
			check->refused = "this kind of expression";
			return true;
	}
	if (check_functions_in_node(node, builtin_immutable, NULL))
	{
		check->refused = "functions and operators that are not built-in and immutable";
		return true;
	}
	return expression_tree_walker(node, condition_walker, check);
}

static bool type_runs_code(Oid type);

/* Does a domain's CHECK expression run code a condition could not? */
static bool
check_runs_code(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (check_functions_in_node(node, builtin_immutable, NULL) ||
		(IsA(node, CoerceToDomain) && type_runs_code(((CoerceToDomain *) node)->resulttype)))
		return true;
	return expression_tree_walker(node, check_runs_code, context);
}

/*
 * A domain's CHECK constraints run when a value of it is read from text:
 * code, unless they use only what a condition may use (built-in immutable
 * functions and operators), like pagila's year domain (VALUE >= 1901 AND
 * VALUE <= 2155).
 */
static bool
domain_checks_run_code(Oid type)
{
	Relation	conrel = table_open(ConstraintRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	bool		result = false;

	ScanKeyInit(&key, Anum_pg_constraint_contypid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(type));
	scan = systable_beginscan(conrel, ConstraintTypidIndexId, true, NULL, 1, &key);
	while (!result && HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		bool		isnull;
		Datum		bin;

		if (((Form_pg_constraint) GETSTRUCT(tuple))->contype != CONSTRAINT_CHECK)
			continue;
		bin = heap_getattr(tuple, Anum_pg_constraint_conbin, RelationGetDescr(conrel), &isnull);
		result = isnull || check_runs_code(stringToNode(TextDatumGetCString(bin)), NULL);
	}
	systable_endscan(scan);
	table_close(conrel, AccessShareLock);
	return result;
}

/*
 * Could a value of this type, read from text, run code other than built-in
 * input functions?  The parser converts literals while it parses, before
 * any check of the tree: a domain's constraints (reached through an array,
 * a composite or a range of the domain) and a non-built-in input function
 * would run then, as whoever reads the tag (the worker, a DBA).
 */
static bool
type_runs_code(Oid type)
{
	HeapTuple	tuple;
	Form_pg_type typ;
	bool		result = false;

	check_stack_depth();
	tuple = SearchSysCache1(TYPEOID, ObjectIdGetDatum(type));
	if (!HeapTupleIsValid(tuple))
		return true;
	typ = (Form_pg_type) GETSTRUCT(tuple);
	if (typ->typtype == TYPTYPE_DOMAIN)
		result = domain_checks_run_code(type) || type_runs_code(typ->typbasetype);
	else if (typ->typinput >= FirstNormalObjectId)
		result = true;
	else if (OidIsValid(typ->typelem))
		result = type_runs_code(typ->typelem);
	else if (typ->typtype == TYPTYPE_RANGE)
		result = type_runs_code(get_range_subtype(type));
	else if (typ->typtype == TYPTYPE_MULTIRANGE)
		result = type_runs_code(get_multirange_range(type));
	else if (typ->typtype == TYPTYPE_COMPOSITE)
	{
		TupleDesc	desc = lookup_rowtype_tupdesc(type, -1);

		for (int i = 0; i < desc->natts && !result; i++)
			if (!TupleDescAttr(desc, i)->attisdropped)
				result = type_runs_code(TupleDescAttr(desc, i)->atttypid);
		ReleaseTupleDesc(desc);
	}
	ReleaseSysCache(tuple);
	return result;
}

static void
refuse_type(Oid type, const char *column)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 column ? errmsg("column \"%s\" has type %s, whose input runs functions a condition may not use (in a domain's CHECK or as the input function)",
							 column, format_type_be(type))
			 : errmsg("the condition converts to type %s, whose input runs functions a condition may not use (in a domain's CHECK or as the input function)",
					  format_type_be(type))));
}

/* A name qualified with a schema other than pg_catalog. */
static void
refuse_qualified(List *names, const char *what)
{
	if (list_length(names) > 1 &&
		strcmp(strVal(list_nth(names, list_length(names) - 2)), "pg_catalog") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("the condition names %s %s outside pg_catalog", what,
						NameListToString(names))));
}

/*
 * Before the raw condition is transformed (which converts its literals):
 * no function or operator named outside pg_catalog (their argument types
 * would be the caller's choice), no conversion to a type whose input runs
 * code.  Unqualified names resolve in pg_catalog only (search_path is
 * pinned; pg_temp is never searched for functions and operators).
 */
static bool
raw_condition_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, TypeCast))
	{
		Oid			type = typenameTypeId(NULL, ((TypeCast *) node)->typeName);

		if (type_runs_code(type))
			refuse_type(type, NULL);
	}
	else if (IsA(node, FuncCall))
		refuse_qualified(((FuncCall *) node)->funcname, "function");
	else if (IsA(node, A_Expr))
		refuse_qualified(((A_Expr *) node)->name, "operator");
	return raw_expression_tree_walker(node, raw_condition_walker, context);
}

/* Every column the condition uses, as soon as it is resolved: see above. */
static Node *
condition_column_hook(ParseState *pstate, ColumnRef *cref, Node *var)
{
	if (var != NULL && type_runs_code(exprType(var)))
		refuse_type(exprType(var), NameListToString(cref->fields));
	return NULL;
}

/*
 * Raw-parses "SELECT (text)" and returns the one expression, or NULL if the
 * text is more than one expression (a FROM, a second statement...).
 */
static Node *
raw_condition(const char *text)
{
	char	   *sql = psprintf("SELECT (%s)", text);
	List	   *stmts = raw_parser(sql, RAW_PARSE_DEFAULT);
	SelectStmt *select;
	ResTarget  *target;

	if (list_length(stmts) != 1 || !IsA(linitial_node(RawStmt, stmts)->stmt, SelectStmt))
		return NULL;
	select = (SelectStmt *) linitial_node(RawStmt, stmts)->stmt;
	if (select->op != SETOP_NONE || list_length(select->targetList) != 1 ||
		select->fromClause || select->whereClause || select->groupClause ||
		select->havingClause || select->windowClause || select->valuesLists ||
		select->sortClause || select->limitOffset || select->limitCount ||
		select->lockingClause || select->withClause || select->distinctClause ||
		select->intoClause)
		return NULL;
	target = linitial_node(ResTarget, select->targetList);
	if (target->name != NULL || target->indirection != NIL)
		return NULL;
	return target->val;
}

/* Pins search_path while names of a condition are resolved or printed. */
static int
pin_search_path(void)
{
	int			nestlevel = NewGUCNestLevel();

	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
							 true, 0, false);
	return nestlevel;
}

/*
 * parse_condition
 *
 * Parses and checks a when= condition against the table; the transformed
 * boolean expression (varno 1), or NULL with a problem.  Errors of the
 * parser are caught and returned as the problem.
 */
static Node *
parse_condition(Oid relid, const char *text, RetentionProblem *problem)
{
	MemoryContext old = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	Node	   *volatile result = NULL;
	ConditionCheck check = {NULL};

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(old);
	PG_TRY();
	{
		int			nestlevel = pin_search_path();
		Node	   *raw = raw_condition(text);

		if (raw == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_SYNTAX_ERROR),
					 errmsg("when= must be one expression")));
		else
		{
			Relation	rel;
			ParseState *pstate;
			ParseNamespaceItem *nsitem;
			Node	   *expr;

			(void) raw_condition_walker(raw, NULL);

			/*
			 * never wait: every reader of the tags comes here (the worker's
			 * planning, every SECURITY LABEL's event trigger), and the
			 * table's owner can hold a lock for as long as they like
			 */
			if (!ConditionalLockRelationOid(relid, AccessShareLock))
				ereport(ERROR,
						(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
						 errmsg("another session holds a lock on %s", retention_deparse_relation_or_oid(relid))));
			rel = relation_open(relid, NoLock);
			pstate = make_parsestate(NULL);
			pstate->p_sourcetext = text;

			pstate->p_post_columnref_hook = condition_column_hook;
			nsitem = addRangeTableEntryForRelation(pstate, rel, AccessShareLock,
												   NULL, false, false);
			addNSItemToQuery(pstate, nsitem, false, true, true);
			expr = transformExpr(pstate, raw, EXPR_KIND_WHERE);
			expr = coerce_to_boolean(pstate, expr, "when");
			assign_expr_collations(pstate, expr);
			free_parsestate(pstate);
			relation_close(rel, NoLock);
			if (!condition_walker(expr, &check))
				result = copyObject(expr);
		}
		AtEOXact_GUC(true, nestlevel);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(old);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(old);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(old);
		CurrentResourceOwner = owner;
		/* a cancel (statement_timeout, pg_cancel_backend) is not the tag's */
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
			ReThrowError(edata);
		if (edata->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE)
		{
			retention_set_problem(problem, ERRCODE_LOCK_NOT_AVAILABLE,
								  "condition in when= not checked: the table is locked",
								  psprintf("%s.", edata->message),
								  "The tag is checked again when it is next read; a run leaves the table alone meanwhile.");
			return NULL;
		}
		retention_set_problem(problem,
							  edata->sqlerrcode == ERRCODE_UNDEFINED_COLUMN ? ERRCODE_UNDEFINED_COLUMN
							  : edata->sqlerrcode == ERRCODE_SYNTAX_ERROR ? ERRCODE_SYNTAX_ERROR
							  : edata->sqlerrcode == ERRCODE_FEATURE_NOT_SUPPORTED ? ERRCODE_FEATURE_NOT_SUPPORTED
							  : ERRCODE_INVALID_OBJECT_DEFINITION,
							  "invalid condition in when=",
							  psprintf("%s.", edata->message),
							  "when= is one boolean expression over the row's own columns, with built-in immutable operators and functions and constants, for example when='kind = ''person'''.");
		return NULL;
	}
	PG_END_TRY();

	if (check.refused)
	{
		retention_set_problem(problem, ERRCODE_FEATURE_NOT_SUPPORTED,
							  "invalid condition in when=",
							  psprintf("The condition uses %s.", check.refused),
							  "when= allows the row's own columns, constants, and built-in immutable operators and functions only: no subqueries, no user-defined or volatile functions.");
		return NULL;
	}
	return result;
}

/*
 * retention_resolve_model
 *
 * Resolves the 0.2.0 keys of a tag whose 0.1.0 keys are already resolved:
 * every anchor item, period=, variant=, when=.  Sets tag->complex.
 */
bool
retention_resolve_model(RetentionTag *tag)
{
	RetentionLabel *l = &tag->label;
	ListCell   *lc;

	tag->complex = false;
	tag->condition = NULL;
	if (tag->category == NULL)
	{
		if (l->when || l->period || l->variant)
		{
			retention_set_problem(&tag->problem, ERRCODE_INVALID_PARAMETER_VALUE,
								  "when, period and variant need a category",
								  "A subject-only tag has no retention rule of its own.",
								  "Add category=name anchor=column, or keep only subject=kind.");
			return false;
		}
		return true;
	}
	foreach(lc, l->anchor_items)
		if (!resolve_item(tag, lfirst(lc), "anchor"))
		return false;
	if (l->period && !resolve_item(tag, l->period, "period"))
		return false;
	if (l->variant && !resolve_item(tag, l->variant, "variant"))
		return false;
	if (l->when)
	{
		tag->condition = parse_condition(tag->relid, l->when, &tag->problem);
		if (tag->condition == NULL)
			return false;
		/* the normalized form is stored: it must scan again */
		if (strlen(retention_condition_text(tag)) > RETENTION_MAX_CONDITION)
		{
			retention_set_problem(&tag->problem, ERRCODE_PROGRAM_LIMIT_EXCEEDED,
								  "condition in when= is too long once normalized",
								  psprintf("Normalized, the condition is longer than %d bytes.", RETENTION_MAX_CONDITION),
								  "Shorten the condition: the normalized form adds parentheses and casts, as retention.tags.condition shows.");
			return false;
		}
	}
	tag->complex = list_length(l->anchor_items) > 1 || l->period || l->variant ||
		((RetentionItem *) linitial(l->anchor_items))->kind == RETENTION_ITEM_LATEST;
	if ((tag->complex ||tag->condition) &&tag->attnum == 0 &&
		tag->label.partitions != RETENTION_PARTITIONS_DEFAULT &&
		tag->label.partitions != RETENTION_PARTITIONS_ROWS)
	{
		retention_set_problem(&tag->problem, ERRCODE_INVALID_PARAMETER_VALUE,
							  "partitions=drop or detach needs one anchor column, the category's period and no condition",
							  "A partition can be dropped whole only when every row in it is due by its partition key alone.",
							  "Write partitions=rows, or anchor on the partition key without when=, period= or variant=.");
		return false;
	}
	return true;
}

/*
 * retention_condition_sql
 *
 * The checked when= condition as SQL on the given alias (NULL: no
 * condition), deparsed from the tree with search_path pinned to pg_catalog,
 * so that every function and operator it names is a built-in one.
 */
char *
retention_condition_sql(RetentionTag *tag, const char *alias)
{
	int			nestlevel;
	char	   *sql;

	if (tag->condition == NULL)
		return NULL;
	if (retention_deparse_relation_or_null(tag->relid) == NULL)
		retention_raise_changed();
	nestlevel = pin_search_path();
	sql = deparse_expression(tag->condition,
							 deparse_context_for(alias ? alias : get_rel_name(tag->relid), tag->relid),
							 alias != NULL, false);
	AtEOXact_GUC(true, nestlevel);
	return sql;
}

/* The normalized condition, as retention.tags shows it. */
char *
retention_condition_text(RetentionTag *tag)
{
	return retention_condition_sql(tag, NULL);
}

/* A column in words: its COMMENT, or its name. */
static char *
column_words(Oid relid, AttrNumber attnum)
{
	char	   *comment = GetComment(relid, RelationRelationId, attnum);

	if (comment != NULL && comment[0] != '\0')
		return comment;
	comment = retention_live_attname(relid, attnum);
	return comment ? comment : "the anchor date";
}

/*
 * retention_anchor_words
 *
 * What the period of a tag counts from, in words for a data subject: each
 * anchor item's column COMMENT (or its name), "the later of" / "the earlier
 * of" for lists; with period=, that the row's own period comes first.
 */
char *
retention_anchor_words(RetentionTag *tag)
{
	RetentionLabel *l = &tag->label;
	StringInfoData buf;
	ListCell   *lc;
	int			n = list_length(l->anchor_items);

	initStringInfo(&buf);
	if (n > 1)
		appendStringInfoString(&buf, l->anchor_mode == '|' ? "the earliest of " : "the latest of ");
	foreach(lc, l->anchor_items)
	{
		RetentionItem *item = lfirst(lc);
		int			i = foreach_current_index(lc);

		if (i > 0)
			appendStringInfoString(&buf, i == n - 1 ? " and " : ", ");
		if (item->kind == RETENTION_ITEM_COLUMN)
			appendStringInfoString(&buf, column_words(tag->relid, item->attnum));
		else
			appendStringInfoString(&buf, column_words(item->other_relid, item->other_attnum));
	}
	/* period=: the rule in words is the fallback; say so */
	if (l->period)
		appendStringInfo(&buf, " (or, where %s is set, that period after it)",
						 l->period->kind == RETENTION_ITEM_COLUMN
						 ? column_words(tag->relid, l->period->attnum)
						 : column_words(l->period->other_relid, l->period->other_attnum));
	return buf.data;
}

/* Rewrites one item's names from what it resolved to before a command. */
static bool
renamed_item(const RetentionTag *before, const RetentionItem *old,
			 RetentionItem *item, RetentionProblem *problem)
{
	char	   *name;

	*item = *old;
	if (old->kind != RETENTION_ITEM_LATEST)
	{
		name = retention_live_attname(before->relid, old->attnum);
		if (name == NULL)
		{
			retention_set_problem(problem, ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST,
								  psprintf("column \"%s\" is used by the tag", old->column),
								  NULL, NULL);
			return false;
		}
		item->column = name;
		if (old->kind == RETENTION_ITEM_COLUMN)
			return true;
	}
	if (get_rel_name(old->other_relid) == NULL ||
		(name = retention_live_attname(old->other_relid, old->other_attnum)) == NULL)
	{
		retention_set_problem(problem, ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST,
							  psprintf("column \"%s\" of table \"%s\" is used by the tag",
									   old->other_column, old->table),
							  NULL, NULL);
		return false;
	}
	item->other_column = name;
	item->table = get_rel_name(old->other_relid);
	if (item->schema)
		item->schema = get_namespace_name(get_rel_namespace(old->other_relid));
	if (old->via)
	{
		item->via = retention_live_attname(old->other_relid, old->key_attnum);
		if (item->via == NULL)
		{
			retention_set_problem(problem, ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST,
								  psprintf("column \"%s\" of table \"%s\" is used by the tag",
										   old->via, old->table),
								  NULL, NULL);
			return false;
		}
	}
	return true;
}

/*
 * retention_renamed_model
 *
 * For the DDL guard: the 0.2.0 parts of a label rewritten with the names
 * that the objects resolved before the command have now (anchor items,
 * period=, variant=, and the when= condition deparsed again).  False with a
 * problem if one of them is gone.
 */
bool
retention_renamed_model(const RetentionTag *before, RetentionLabel *label,
						RetentionProblem *problem)
{
	ListCell   *lc;

	if (before->category == NULL)
		return true;
	label->anchor_items = NIL;
	foreach(lc, before->label.anchor_items)
	{
		RetentionItem *item = palloc(sizeof(RetentionItem));

		if (!renamed_item(before, lfirst(lc), item, problem))
			return false;
		label->anchor_items = lappend(label->anchor_items, item);
	}
	if (before->label.period)
	{
		label->period = palloc(sizeof(RetentionItem));
		if (!renamed_item(before, before->label.period, label->period, problem))
			return false;
	}
	if (before->label.variant)
	{
		label->variant = palloc(sizeof(RetentionItem));
		if (!renamed_item(before, before->label.variant, label->variant, problem))
			return false;
	}
	if (before->condition)
	{
		Bitmapset  *attrs = NULL;
		int			k = -1;

		pull_varattnos(before->condition, 1, &attrs);
		while ((k = bms_next_member(attrs, k)) >= 0)
		{
			AttrNumber	attnum = k + FirstLowInvalidHeapAttributeNumber;

			if (retention_live_attname(before->relid, attnum) == NULL)
			{
				retention_set_problem(problem, ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST,
									  "a column is used by the tag's condition (when=)",
									  NULL, NULL);
				return false;
			}
		}
		label->when = retention_condition_text((RetentionTag *) before);
	}
	return true;
}

/* Is the relation owned by the current user (or are we superuser)? */
static bool
relation_owned_by_user(Oid relid)
{
#if PG_VERSION_NUM >= 160000
	return object_ownercheck(RelationRelationId, relid, GetUserId());
#else
	return pg_class_ownercheck(relid, GetUserId());
#endif
}

/*
 * retention_normalize_labels
 *
 * retention._normalize_labels() RETURNS event_trigger, on ddl_command_end
 * of SECURITY LABEL: stores every valid when= condition in its normalized
 * form (deparsed from the checked tree), so that the label says exactly
 * what is enforced.  Stands aside while a dump is restored.
 */
PG_FUNCTION_INFO_V1(retention_normalize_labels);

Datum
retention_normalize_labels(PG_FUNCTION_ARGS)
{
	ListCell   *lc;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_EVENT_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("retention._normalize_labels() must be called as an event trigger")));
	if (retention_restore_mode() || !retention_extension_exists())
		PG_RETURN_VOID();

	foreach(lc, retention_read_tags(true, true))
	{
		RetentionTag *tag = lfirst(lc);
		RetentionLabel label;
		char	   *text;
		ObjectAddress address;

		/* only the caller's own tables: labels are their owner's to set */
		if (tag->problem.sqlerrcode != 0 || tag->condition == NULL ||
			!relation_owned_by_user(tag->relid))
			continue;
		label = tag->label;
		label.when = retention_condition_text(tag);
		if (strcmp(label.when, tag->label.when) == 0)
			continue;
		text = retention_label_to_text(&label);

		ObjectAddressSubSet(address, RelationRelationId, tag->relid, tag->attnum);
		SetSecurityLabel(&address, RETENTION_PROVIDER, text);
	}
	PG_RETURN_VOID();
}

/*
 * retention_tag_model_rows
 *
 * retention._tag_model_rows() RETURNS SETOF record (table_name regclass,
 * column_name name, condition text, anchor_words text, period_from text,
 * variant_from text): the 0.2.0 parts of every valid tag, for the
 * retention.tags view.
 */
PG_FUNCTION_INFO_V1(retention_tag_model_rows);

Datum
retention_tag_model_rows(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, 0);
	foreach(lc, retention_read_tags(true, true))
	{
		RetentionTag *tag = lfirst(lc);
		Datum		values[6];
		bool		nulls[6];
		char	   *attname = NULL;

		if (tag->problem.sqlerrcode != 0 || tag->category == NULL)
			continue;
		if (tag->attnum != 0)
		{
			attname = retention_live_attname(tag->relid, tag->attnum);
			if (attname == NULL)
				continue;
		}
		memset(nulls, true, sizeof(nulls));
		values[0] = ObjectIdGetDatum(tag->relid);
		nulls[0] = false;
		if (attname)
		{
			values[1] = CStringGetDatum(attname);
			nulls[1] = false;
		}
		if (tag->condition)
		{
			values[2] = CStringGetTextDatum(retention_condition_text(tag));
			nulls[2] = false;
		}
		values[3] = CStringGetTextDatum(retention_anchor_words(tag));
		nulls[3] = false;
		if (tag->label.period)
		{
			values[4] = CStringGetTextDatum(retention_item_to_text(tag->label.period));
			nulls[4] = false;
		}
		if (tag->label.variant)
		{
			values[5] = CStringGetTextDatum(retention_item_to_text(tag->label.variant));
			nulls[5] = false;
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * retention_tag_anchor_items
 *
 * retention._tag_anchor_items() RETURNS SETOF record (table_name regclass,
 * column_name name, item text, index_relid oid, index_attnum smallint,
 * index_columns text): per anchor item of every valid tag, the relation and
 * column an index must lead with to serve it, and the columns of the index
 * to suggest (for latest(): the child's foreign-key column, then the
 * column).  Backs the anchor check of retention.lint().
 */
PG_FUNCTION_INFO_V1(retention_tag_anchor_items);

Datum
retention_tag_anchor_items(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, 0);
	foreach(lc, retention_read_tags(true, true))
	{
		RetentionTag *tag = lfirst(lc);
		char	   *attname = NULL;
		ListCell   *ic;

		if (tag->problem.sqlerrcode != 0 || tag->category == NULL)
			continue;
		if (tag->attnum != 0 &&
			(attname = retention_live_attname(tag->relid, tag->attnum)) == NULL)
			continue;
		foreach(ic, tag->label.anchor_items)
		{
			RetentionItem *item = lfirst(ic);
			Datum		values[6];
			bool		nulls[6] = {false, attname == NULL, false, false, false, false};
			Oid			relid = item->kind == RETENTION_ITEM_COLUMN ? tag->relid : item->other_relid;
			AttrNumber	lead = item->kind == RETENTION_ITEM_COLUMN ? item->attnum
			: item->kind == RETENTION_ITEM_FK ? item->other_attnum : item->key_attnum;
			char	   *lead_name = retention_live_attname(relid, lead);
			char	   *columns;

			if (lead_name == NULL)
				continue;
			columns = pstrdup(quote_identifier(lead_name));
			if (item->kind == RETENTION_ITEM_LATEST)
			{
				char	   *other = retention_live_attname(relid, item->other_attnum);

				if (other == NULL)
					continue;
				columns = psprintf("%s, %s", columns, quote_identifier(other));
			}
			values[0] = ObjectIdGetDatum(tag->relid);
			values[1] = attname ? CStringGetDatum(attname) : (Datum) 0;
			values[2] = CStringGetTextDatum(retention_item_to_text(item));
			values[3] = ObjectIdGetDatum(relid);
			values[4] = Int16GetDatum(lead);
			values[5] = CStringGetTextDatum(columns);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	return (Datum) 0;
}
