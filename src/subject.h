/*-------------------------------------------------------------------------
 *
 * src/subject.h
 *	  What the data subject files share: a search for one person's rows
 *	  (subject_search.c, its statements run by subject_query.c), read by
 *	  export (subject_export.c) and erasure (subject_erase.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_RETENTION_SUBJECT_H
#define PG_RETENTION_SUBJECT_H

#include "common/sha2.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "lib/stringinfo.h"
#include "storage/itemptr.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/snapshot.h"

#include "pg_retention.h"

#define SUBJECT_MAX_DEPTH	8

/* One identifier of the request. */
typedef struct SubjectIdentifier
{
	char	   *kind;
	char	   *normalized;		/* meaningful (retention_check_identifier) */
	uint8		hash[PG_SHA256_DIGEST_LENGTH];
} SubjectIdentifier;

/* What an erasure does with a group's rows (subject_erase.c). */
typedef enum SubjectAction
{
	SUBJECT_UNDECIDED = 0,
	SUBJECT_DELETE,
	SUBJECT_ANONYMIZE,
	SUBJECT_HELD,				/* held as a whole: nothing is done */
	SUBJECT_KEPT				/* kept for a legal obligation (on_erasure) */
} SubjectAction;

/*
 * A person's rows in one leaf relation, by TID.  A TID is only good until
 * the row is next written: erasure follows every TID to the row's current
 * version (refresh_tids in subject_erase.c) before each statement that
 * uses it.
 */
typedef struct SubjectGroup
{
	Oid			relid;			/* leaf relation */
	Oid			root;			/* the table that carries the tags */
	int			depth;			/* 0: found by an identifier */
	char	   *found_by;		/* "email", or "references public.customer" */
	AttrNumber	matched_attnum; /* found by an identifier column with its own
								 * anonymization rule: erasure anonymizes it */
	List	   *tids;			/* ItemPointer, in order found */

	/* search (subject_search.c) */
	List	   *keyrows;		/* per TID, its key columns as the lookup read
								 * them (subject_search.c); NIL: not read */
	bool		unread;			/* export: rows found without their data */

	/* export (subject_export.c) */
	void	   *export_state;

	/* erasure (subject_erase.c) */
	bool		outside_tag;	/* rows outside the table tag's condition
								 * (when=): as if the table had no table tag */
	SubjectAction action;
	List	   *column_tags;	/* the column tags it applies */
	List	   *subject_columns;	/* identifier columns it removes */
	char	   *held;			/* others' subject holds (alias r), or NULL */
	int64		held_rows;		/* rows the predicate above keeps */
	int64		changed;		/* rows anonymized */
	char	   *anonymize_note; /* anonymized for a legal obligation: why */
	bool		deleted_all;	/* its DELETE removed every one of its rows */
	int			refreshed;		/* its TIDs were followed after this many
								 * writes (plus one; 0: never) */
} SubjectGroup;

struct SubjectSearch;

/*
 * What an export reads with each row it finds: select-list items on alias
 * r of relation relid, whose tags are on root (data_sql), handed to row()
 * with the row's group.  A lookup that cannot read them with the row (a
 * partitioned table, a parent row) marks the group unread instead.
 */
typedef struct SubjectReader
{
	char	   *(*data_sql) (struct SubjectSearch *search, Oid relid, Oid root);
	void		(*row) (struct SubjectSearch *search, SubjectGroup *group,
						Datum *values, bool *nulls);
	void	   *arg;
	Oid			running;		/* the relation of the statement running */
} SubjectReader;

/* A foreign key, as read once per request. */
typedef struct SubjectForeignKey
{
	Oid			oid;
	Oid			conrelid;
	Oid			confrelid;
	Oid			conparentid;
} SubjectForeignKey;

typedef struct SubjectSearch
{
	List	   *identifiers;	/* SubjectIdentifier * */
	List	   *tags;			/* every valid tag */
	List	   *groups;			/* SubjectGroup *, in discovery order */
	HTAB	   *visited;		/* the rows found, per leaf relation */
	int			statements;		/* lookups run so far */
	Snapshot	snapshot;		/* export: one snapshot; erase: NULL */
	bool		lock;			/* erase: FOR UPDATE */
	SubjectReader *reader;		/* export: the rows' data; erase: NULL */
	MemoryContext cxt;			/* where what the search finds lives */
	List	   *foreign_keys;	/* every foreign key (SubjectForeignKey *) */
	HTAB	   *relations;		/* what the lookups of a relation read */
} SubjectSearch;

/* subject_search.c */
extern void subject_check_dsr_member(void);
extern SubjectSearch *subject_begin_search(Jsonb *identifiers, bool lock,
										   uint8 *key);
extern void subject_search_identifiers(SubjectSearch *search);
extern void subject_search_children(SubjectSearch *search);
extern void subject_search_parents(SubjectSearch *search);
extern List *subject_foreign_keys(SubjectSearch *search);
extern List *subject_referencing_keys(SubjectSearch *search, Oid leaf,
									  bool self);
extern char *subject_key_match_sql(Oid child, const char *alias, int nkeys,
								   AttrNumber *conkey, Oid *pf_eq, int first);
extern List *subject_ancestors(Oid relid);
extern Oid	subject_tag_root(Oid relid);
extern char *subject_operator_sql(Oid opno);
extern char *subject_attname(Oid relid, AttrNumber attnum);
extern char *subject_qualified_name(Oid relid);
extern void subject_tags_of(SubjectSearch *search, Oid root,
							RetentionTag **table_tag, List **column_tags,
							List **subject_columns);
extern void subject_log_request(const char *kind, SubjectSearch *search,
								bool dry_run, Jsonb *tables, int64 rows,
								const char *outcome);

/* subject_json.c */
typedef struct SubjectRowJson SubjectRowJson;
extern SubjectRowJson *subject_row_json_prepare(Oid relid, StringInfo select);
extern int	subject_row_json_columns(SubjectRowJson *rj);
extern Jsonb *subject_row_json(SubjectRowJson *rj, Datum *values, bool *nulls);

/* subject_query.c */
typedef void (*SubjectRowFn) (TupleTableSlot *slot, void *arg);
extern SPIPlanPtr subject_plan(const char *sql, int nargs, Oid *types);
extern void subject_begin_as_owner(Oid relid, int *nestlevel,
								   Oid *save_userid, int *save_sec_context);
extern void subject_query(SubjectSearch *search, Oid relid, const char *sql,
						  int nargs, Oid *types, Datum *values);
extern void subject_run(SubjectSearch *search, Oid relid, const char *sql,
						int nargs, Oid *types, Datum *values,
						SubjectRowFn fn, void *arg);
extern Datum subject_tid_array(List *tids);
extern bool subject_fetch_keys(SubjectSearch *search, Oid relid, List *tids,
							   int nkeys, AttrNumber *attnums, bool with_tids,
							   Datum *arrays, Oid *types);

#endif							/* PG_RETENTION_SUBJECT_H */
