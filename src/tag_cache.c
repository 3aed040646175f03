/*-------------------------------------------------------------------------
 *
 * src/tag_cache.c
 *	  A per-backend cache of resolved retention tags, so that reading the
 *	  tags (retention.tags, schedule, status, preview, lint, policy_sql,
 *	  planning) does not open every conditioned table, run the parser and
 *	  scan pg_constraint each time.
 *
 * A cached resolution is reused only while nothing it was resolved from has
 * changed:
 *
 * - the labels: pg_seclabel has no syscache, so no invalidation reaches us
 *	 when a label changes; every read compares all retention labels with
 *	 those the cache was filled from, and any difference clears the cache;
 * - the category: every read loads the categories, and an entry is used
 *	 only while its category exists with the action it was resolved with;
 * - the settings a condition's literals are parsed with (TimeZone,
 *	 DateStyle, IntervalStyle, standard_conforming_strings);
 * - the catalogs: a relcache invalidation of a relation the tags involve
 *	 (the tagged tables and every table at either end of a foreign key of
 *	 theirs) or of all relations, and any change of pg_namespace, pg_proc
 *	 or pg_type, clears the cache, as PostgreSQL's own caches are cleared
 *	 (ALTER TABLE, renames, DROP, a new foreign key: each invalidates the
 *	 tables concerned).  An invalidation that arrives while a tag is being
 *	 resolved keeps that resolution out of the cache.
 *
 * Only valid tags are cached: a broken tag is resolved again on every read,
 * so whatever repairs it shows at once.  Entries are copied out, so clearing
 * the cache never frees what a caller holds.  Enforcement does not rely on
 * the cache being right: it re-validates every batch.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_constraint.h"
#include "nodes/nodes.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "pg_retention.h"

typedef struct TagCacheKey
{
	Oid			relid;
	AttrNumber	attnum;
} TagCacheKey;

typedef struct TagCacheEntry
{
	TagCacheKey key;
	RetentionAction category_action;	/* the category's action then */
	RetentionTag *tag;			/* resolved, valid, in TagCacheContext */
} TagCacheEntry;

static MemoryContext TagCacheContext = NULL;
static HTAB *TagCacheHash = NULL;
static List *TagCacheLabels = NIL;	/* RetentionTag *: the labels read */
static List *TagCacheRelids = NIL;	/* relations whose change clears it */
static char *TagCacheSettings = NULL;	/* see parse_settings() */
static bool TagCacheStale = true;
static uint64 TagCacheGeneration = 0;

/* Clears the cache: freed at the next read, never inside a callback. */
static void
tag_cache_flush(void)
{
	TagCacheStale = true;
	TagCacheGeneration++;
}

static void
relcache_callback(Datum arg, Oid relid)
{
	if (!OidIsValid(relid) || list_member_oid(TagCacheRelids, relid))
		tag_cache_flush();
}

static void
syscache_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	tag_cache_flush();
}

/* The tables at either end of a foreign key of one of the tagged tables. */
static List *
foreign_key_neighbours(List *relids)
{
	Relation	conrel = table_open(ConstraintRelationId, AccessShareLock);
	SysScanDesc scan = systable_beginscan(conrel, InvalidOid, false, NULL, 0, NULL);
	HeapTuple	tuple;
	List	   *result = NIL;

	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tuple);

		if (con->contype != CONSTRAINT_FOREIGN ||
			(!list_member_oid(relids, con->conrelid) &&
			 !list_member_oid(relids, con->confrelid)))
			continue;
		result = list_append_unique_oid(result, con->conrelid);
		result = list_append_unique_oid(result, con->confrelid);
	}
	systable_endscan(scan);
	table_close(conrel, AccessShareLock);
	return result;
}

/*
 * The settings that parsing a when= condition depends on: how literals are
 * read (a date, an interval, a time without zone, a backslash).
 */
static char *
parse_settings(void)
{
	return psprintf("%s|%s|%s|%s", GetConfigOption("TimeZone", false, false),
					GetConfigOption("DateStyle", false, false),
					GetConfigOption("IntervalStyle", false, false),
					GetConfigOption("standard_conforming_strings", false, false));
}

/* Are these the labels the cache was filled from (same order)? */
static bool
same_labels(List *tags)
{
	ListCell   *a,
			   *b;

	if (list_length(tags) != list_length(TagCacheLabels))
		return false;
	forboth(a, tags, b, TagCacheLabels)
	{
		RetentionTag *x = lfirst(a);
		RetentionTag *y = lfirst(b);

		if (x->relid != y->relid || x->attnum != y->attnum ||
			strcmp(x->label_text, y->label_text) != 0)
			return false;
	}
	return true;
}

/*
 * retention_tag_cache_begin
 *
 * Starts a read of the tags (the labels just read from pg_seclabel, sorted):
 * clears the cache if anything changed, else keeps it.  Returns the
 * generation to hand to retention_tag_cache_store.
 */
uint64
retention_tag_cache_begin(List *tags)
{
	static bool registered = false;
	MemoryContext old;
	HASHCTL		ctl;
	List	   *relids = NIL;
	ListCell   *lc;
	uint64		generation;
	char	   *settings;

	if (!registered)
	{
		CacheRegisterRelcacheCallback(relcache_callback, (Datum) 0);
		CacheRegisterSyscacheCallback(NAMESPACEOID, syscache_callback, (Datum) 0);
		CacheRegisterSyscacheCallback(PROCOID, syscache_callback, (Datum) 0);
		CacheRegisterSyscacheCallback(TYPEOID, syscache_callback, (Datum) 0);
		registered = true;
	}
	AcceptInvalidationMessages();
	settings = parse_settings();
	if (!TagCacheStale && same_labels(tags) && strcmp(settings, TagCacheSettings) == 0)
		return TagCacheGeneration;

	/* start over: the relations to watch first, then an empty table */
	foreach(lc, tags)
		relids = list_append_unique_oid(relids, ((RetentionTag *) lfirst(lc))->relid);
	relids = list_concat_unique_oid(relids, foreign_key_neighbours(relids));

	if (TagCacheContext == NULL)
		TagCacheContext = AllocSetContextCreate(CacheMemoryContext, "retention tag cache",
												ALLOCSET_DEFAULT_SIZES);
	else
		MemoryContextReset(TagCacheContext);
	TagCacheHash = NULL;
	TagCacheLabels = NIL;
	TagCacheRelids = NIL;
	TagCacheSettings = NULL;

	old = MemoryContextSwitchTo(TagCacheContext);
	foreach(lc, tags)
	{
		RetentionTag *src = lfirst(lc);
		RetentionTag *copy = palloc0(sizeof(RetentionTag));

		copy->relid = src->relid;
		copy->attnum = src->attnum;
		copy->label_text = pstrdup(src->label_text);
		TagCacheLabels = lappend(TagCacheLabels, copy);
	}
	TagCacheRelids = list_copy(relids);
	TagCacheSettings = pstrdup(settings);
	MemoryContextSwitchTo(old);

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(TagCacheKey);
	ctl.entrysize = sizeof(TagCacheEntry);
	ctl.hcxt = TagCacheContext;
	TagCacheHash = hash_create("retention tag cache", Max(list_length(tags), 16), &ctl,
							   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	/*
	 * Valid from here; the relations to watch are known, so an invalidation
	 * of a change the reads above missed clears it again.
	 */
	TagCacheStale = false;
	generation = ++TagCacheGeneration;
	AcceptInvalidationMessages();
	return generation;
}

static char *
dup_or_null(const char *s)
{
	return s ? pstrdup(s) : NULL;
}

static RetentionItem *
copy_item(const RetentionItem *src)
{
	RetentionItem *item;

	if (src == NULL)
		return NULL;
	item = palloc(sizeof(RetentionItem));
	*item = *src;
	item->column = dup_or_null(src->column);
	item->schema = dup_or_null(src->schema);
	item->table = dup_or_null(src->table);
	item->other_column = dup_or_null(src->other_column);
	item->via = dup_or_null(src->via);
	return item;
}

/*
 * Copies a resolved tag into dst, in the current memory context, every
 * pointer with it (keep in step with RetentionTag and RetentionLabel).
 * The category is the caller's to set.
 */
static void
copy_tag(RetentionTag *dst, const RetentionTag *src)
{
	RetentionLabel *l = &dst->label;
	ListCell   *lc;

	*dst = *src;
	dst->label_text = pstrdup(src->label_text);
	l->category = dup_or_null(src->label.category);
	l->anchor_column = dup_or_null(src->label.anchor_column);
	l->anchor_schema = dup_or_null(src->label.anchor_schema);
	l->anchor_table = dup_or_null(src->label.anchor_table);
	l->anchor_parent_column = dup_or_null(src->label.anchor_parent_column);
	l->subject = dup_or_null(src->label.subject);
	l->when = dup_or_null(src->label.when);
	l->anchor_items = NIL;
	foreach(lc, src->label.anchor_items)
		l->anchor_items = lappend(l->anchor_items, copy_item(lfirst(lc)));
	l->period = copy_item(src->label.period);
	l->variant = copy_item(src->label.variant);
	dst->condition = copyObject(src->condition);
	dst->category = NULL;
	memset(&dst->problem, 0, sizeof(RetentionProblem));
}

/*
 * retention_tag_cache_lookup
 *
 * Fills tag (relid, attnum and label_text set) from the cache and returns
 * true if it holds a resolution of the same label whose category still
 * exists in categories with the same action.
 */
bool
retention_tag_cache_lookup(RetentionTag *tag, List *categories)
{
	TagCacheKey key;
	TagCacheEntry *entry;
	RetentionCategory *category = NULL;
	char	   *label_text = tag->label_text;

	if (TagCacheStale || TagCacheHash == NULL)
		return false;
	memset(&key, 0, sizeof(key));
	key.relid = tag->relid;
	key.attnum = tag->attnum;
	entry = hash_search(TagCacheHash, &key, HASH_FIND, NULL);
	if (entry == NULL || strcmp(entry->tag->label_text, label_text) != 0)
		return false;
	if (entry->tag->label.category)
	{
		category = retention_find_category(categories, entry->tag->label.category);
		if (category == NULL || category->action != entry->category_action)
			return false;
	}
	copy_tag(tag, entry->tag);
	tag->category = category;
	return true;
}

/*
 * retention_tag_cache_store
 *
 * Keeps a copy of a tag just resolved, if it is valid and no invalidation
 * arrived since retention_tag_cache_begin returned generation.
 */
void
retention_tag_cache_store(const RetentionTag *tag, uint64 generation)
{
	TagCacheKey key;
	TagCacheEntry *entry;
	RetentionTag *copy;
	MemoryContext old;
	bool		found;

	if (TagCacheStale || generation != TagCacheGeneration ||
		tag->problem.sqlerrcode != 0 || TagCacheHash == NULL)
		return;
	memset(&key, 0, sizeof(key));
	key.relid = tag->relid;
	key.attnum = tag->attnum;
	/* the copy first: an entry never points at a half-made tag */
	old = MemoryContextSwitchTo(TagCacheContext);
	copy = palloc(sizeof(RetentionTag));
	copy_tag(copy, tag);
	entry = hash_search(TagCacheHash, &key, HASH_ENTER, &found);
	if (!found)
	{
		entry->tag = copy;
		entry->category_action = tag->category ? tag->category->action : RETENTION_ACTION_NONE;
	}
	MemoryContextSwitchTo(old);
}
