/*-------------------------------------------------------------------------
 *
 * src/ddl_guard.c
 *	  Keeps tags correct across schema changes, or refuses the change.
 *
 * Two event triggers bracket every DDL command that could break a tag
 * (ALTER TABLE, DROP TABLE/SCHEMA/TYPE/..., see src/sql/40_ddl_guard.sql).
 * At ddl_command_start we resolve every valid tag to OIDs and attribute
 * numbers; at ddl_command_end we look those up again:
 *
 *	- a renamed anchor column, foreign-key column, parent table or schema:
 *	  the label is rewritten with the new names (the tag stays correct);
 *	- a dropped anchor column or foreign key, a type change the action no
 *	  longer fits, a NOT NULL that forbids nullify, a tagged table attached
 *	  as a partition: the command fails with an error naming the tag.
 *
 * A tag on a dropped table or column vanishes with it (PostgreSQL deletes
 * the label), which is not a broken tag.  Event triggers load the library
 * in every session, so the guard works without preloading.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_class.h"
#include "commands/event_trigger.h"
#include "commands/seclabel.h"
#include "fmgr.h"
#include "tcop/cmdtag.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "pg_retention.h"

/*
 * Snapshots of the tags taken at ddl_command_start, innermost command first
 * (a DDL command can run another one, e.g. from a function).  Each lives in
 * its own context under TopTransactionContext and is forgotten at the end
 * of the transaction.
 */
typedef struct GuardSnapshot
{
	MemoryContext context;
	List	   *tags;			/* valid RetentionTags, resolved */
} GuardSnapshot;

static List *guard_stack = NIL;

static void
guard_xact_callback(XactEvent event, void *arg)
{
	/* the memory goes with TopTransactionContext */
	guard_stack = NIL;
}

void
retention_ddl_guard_init(void)
{
	static bool done = false;

	if (done)
		return;
	RegisterXactCallback(guard_xact_callback, NULL);
	done = true;
}

static EventTriggerData *
event_trigger_data(FunctionCallInfo fcinfo)
{
	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function can only be called by an event trigger"),
				 errhint("It is part of pg_retention's DDL guard and runs by itself on schema changes.")));
	return (EventTriggerData *) fcinfo->context;
}

/*
 * retention_ddl_guard_start
 *
 * retention._ddl_guard_start() RETURNS event_trigger, on ddl_command_start.
 * For SECURITY LABEL it only makes sure the library (and so the provider)
 * is loaded; for other commands it snapshots the resolved tags.
 */
PG_FUNCTION_INFO_V1(retention_ddl_guard_start);

Datum
retention_ddl_guard_start(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata = event_trigger_data(fcinfo);
	GuardSnapshot *snapshot;
	MemoryContext old;
	ListCell   *lc;

	if (trigdata->tag == CMDTAG_SECURITY_LABEL)
		PG_RETURN_VOID();

	old = MemoryContextSwitchTo(TopTransactionContext);
	snapshot = palloc0(sizeof(GuardSnapshot));
	snapshot->context = AllocSetContextCreate(TopTransactionContext,
											  "pg_retention DDL guard",
											  ALLOCSET_SMALL_SIZES);
	guard_stack = lcons(snapshot, guard_stack);

	if (!retention_restore_mode())
	{
		MemoryContextSwitchTo(snapshot->context);
		foreach(lc, retention_read_tags(true, true))
		{
			RetentionTag *tag = lfirst(lc);

			if (tag->problem.sqlerrcode == 0)
				snapshot->tags = lappend(snapshot->tags, tag);
		}
	}
	MemoryContextSwitchTo(old);
	PG_RETURN_VOID();
}

/* Raises a problem found after a DDL command, naming the tag it breaks. */
static void
raise_broken_tag(const RetentionTag *tag, const RetentionProblem *problem,
				 int sqlerrcode)
{
	ereport(ERROR,
			(errcode(sqlerrcode ? sqlerrcode : problem->sqlerrcode),
			 errmsg("this command would break the retention tag on %s",
					retention_describe_tag(tag)),
			 errdetail("%c%s. Label: %s", pg_toupper((unsigned char) problem->message[0]),
					   problem->message + 1, tag->label_text),
			 errhint("%s", problem->hint ? problem->hint :
					 "Change or remove the tag first (retention.tag_table, retention.tag_column, retention.untag), then repeat the command.")));
}

/*
 * Rewrites the names in a tag's label from the OIDs and attribute numbers
 * resolved before the command.  Returns false with a problem if one of the
 * objects the tag depends on is gone.
 */
static bool
renamed_label(const RetentionTag *before, RetentionLabel *label,
			  RetentionProblem *problem)
{
	char	   *name;

	*label = before->label;
	if (before->anchor_attnum != InvalidAttrNumber)
	{
		name = retention_live_attname(before->relid, before->anchor_attnum);
		if (name == NULL)
		{
			retention_set_problem(problem, ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST,
								  psprintf("column \"%s\" is the tag's %s",
										   before->label.anchor_column,
										   before->label.anchor_via_fk ? "foreign-key column" : "anchor"),
								  NULL, NULL);
			return false;
		}
		label->anchor_column = name;
	}
	if (OidIsValid(before->fk_conoid))
	{
		/*
		 * The foreign key itself is looked up again by name when the tag is
		 * resolved: ALTER COLUMN TYPE rebuilds it under a new OID, and an
		 * equivalent key still carries the anchor.
		 */
		char	   *relname = get_rel_name(before->parent_relid);

		name = relname ? retention_live_attname(before->parent_relid, before->parent_attnum) : NULL;
		if (name == NULL)
		{
			retention_set_problem(problem, ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST,
								  psprintf("column \"%s\" of table \"%s\" is the tag's anchor",
										   before->label.anchor_parent_column, before->label.anchor_table),
								  NULL, NULL);
			return false;
		}
		label->anchor_table = relname;
		label->anchor_parent_column = name;
		if (label->anchor_schema)
			label->anchor_schema = get_namespace_name(get_rel_namespace(before->parent_relid));
	}
	return retention_renamed_model(before, label, problem);
}

/*
 * retention_ddl_guard_end
 *
 * retention._ddl_guard_end() RETURNS event_trigger, on ddl_command_end.
 * Compares every tag that was valid before the command with the catalogs
 * now: rewrites labels whose names changed, refuses changes that break one.
 */
PG_FUNCTION_INFO_V1(retention_ddl_guard_end);

Datum
retention_ddl_guard_end(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata = event_trigger_data(fcinfo);
	GuardSnapshot *snapshot;
	List	   *categories = NIL;
	ListCell   *lc;

	if (trigdata->tag == CMDTAG_SECURITY_LABEL || guard_stack == NIL)
		PG_RETURN_VOID();
	snapshot = linitial(guard_stack);
	guard_stack = list_delete_first(guard_stack);

	if (snapshot->tags != NIL && retention_extension_exists())
		categories = retention_load_categories();

	foreach(lc, snapshot->tags)
	{
		RetentionTag *before = lfirst(lc);
		RetentionTag after;
		ObjectAddress address;
		char	   *current;
		char	   *old_text;
		char	   *new_text;

		/* A tag on a dropped table or column went away with it. */
		if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(before->relid)))
			continue;
		if (before->attnum != 0 &&
			retention_live_attname(before->relid, before->attnum) == NULL)
			continue;
		ObjectAddressSubSet(address, RelationRelationId, before->relid, before->attnum);
		current = GetSecurityLabel(&address, RETENTION_PROVIDER);
		if (current == NULL || strcmp(current, before->label_text) != 0)
			continue;

		after = *before;
		memset(&after.problem, 0, sizeof(RetentionProblem));
		if (!renamed_label(before, &after.label, &after.problem))
			raise_broken_tag(before, &after.problem, 0);
		/* a condition whose table another session has locked is not checked */
		if (!retention_resolve_tag(&after, categories, true) &&
			after.problem.sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE)
		{
			/* something the tag needs was dropped (e.g. the foreign key) */
			bool		dropped = after.problem.sqlerrcode == ERRCODE_INVALID_FOREIGN_KEY ||
			after.problem.sqlerrcode == ERRCODE_UNDEFINED_COLUMN;

			raise_broken_tag(before, &after.problem,
							 dropped ? ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST : 0);
		}

		old_text = retention_label_to_text(&before->label);
		new_text = retention_label_to_text(&after.label);
		if (strcmp(old_text, new_text) != 0)
		{
			SetSecurityLabel(&address, RETENTION_PROVIDER, new_text);
			ereport(NOTICE,
					(errmsg("retention tag on %s updated to follow the change",
							retention_describe_tag(before)),
					 errdetail("New label: %s", new_text)));
		}
	}
	MemoryContextDelete(snapshot->context);
	PG_RETURN_VOID();
}
