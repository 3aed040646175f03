/*-------------------------------------------------------------------------
 *
 * src/label_provider.c
 *	  The "retention" security label provider: every label set with
 *	  SECURITY LABEL FOR retention is parsed and validated here, and refused
 *	  with an error if it is not a valid tag.
 *
 * PostgreSQL has already checked that the caller owns the object when the
 * hook runs, so only the table's owner can tag it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/objectaddress.h"
#include "catalog/pg_class.h"
#include "commands/seclabel.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "pg_retention.h"

/*
 * retention_restore_mode
 *
 * True while a dump is restored (pg_dump scripts set check_function_bodies
 * off, as for function bodies) or during pg_upgrade.  A dump sets labels
 * before it loads the categories and creates foreign keys, so only the
 * grammar and the shape of a label are checked then; retention.tags shows
 * any tag that does not resolve afterwards.
 */
bool
retention_restore_mode(void)
{
	return !check_function_bodies || IsBinaryUpgrade;
}

/*
 * retention_object_relabel
 *
 * The provider's hook: called by SECURITY LABEL FOR retention before the
 * label is stored.  A NULL label removes the tag and is always allowed.
 */
static void
retention_object_relabel(const ObjectAddress *object, const char *seclabel)
{
	RetentionTag tag;
	bool		check_references = !retention_restore_mode();
	List	   *categories = NIL;

	if (seclabel == NULL)
		return;
	if (object->classId != RelationRelationId)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("retention tags can only be set on tables and columns"),
				 errhint("Tag the table that stores the data, or one of its columns.")));
	if (!retention_extension_exists())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"pg_retention\" is not installed in this database"),
				 errhint("Run CREATE EXTENSION pg_retention first.")));

	memset(&tag, 0, sizeof(tag));
	tag.relid = object->objectId;
	tag.attnum = (AttrNumber) object->objectSubId;
	tag.label_text = (char *) seclabel;
	if (!retention_parse_label(seclabel, &tag.label, &tag.problem))
		retention_raise_problem(&tag.problem);
	if (check_references)
		categories = retention_load_categories();
	if (!retention_resolve_tag(&tag, categories, check_references))
		retention_raise_problem(&tag.problem);
}

/* Registers the provider; safe to call more than once per backend. */
void
retention_register_label_provider(void)
{
	static bool registered = false;

	if (registered)
		return;
	register_label_provider(RETENTION_PROVIDER, retention_object_relabel);
	registered = true;
}
