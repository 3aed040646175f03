/*-------------------------------------------------------------------------
 *
 * src/subject.h
 *	  What the data subject files share: a search for one person's rows
 *	  (subject_search.c), read by export (subject_export.c) and erasure
 *	  (subject_erase.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_RETENTION_SUBJECT_H
#define PG_RETENTION_SUBJECT_H

#include "common/sha2.h"
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
 * version (subject_refresh_tids) before each statement that uses it.
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

	/* erasure (subject_erase.c) */
	SubjectAction action;
	List	   *column_tags;	/* the column tags it applies */
	List	   *subject_columns;	/* identifier columns it removes */
	char	   *held;			/* others' subject holds (alias r), or NULL */
	int64		held_rows;		/* rows the predicate above keeps */
	int64		changed;		/* rows anonymized */
	char	   *anonymize_note; /* anonymized for a legal obligation: why */
} SubjectGroup;

typedef struct SubjectSearch
{
	List	   *identifiers;	/* SubjectIdentifier * */
	List	   *tags;			/* every valid tag */
	List	   *groups;			/* SubjectGroup *, in discovery order */
	HTAB	   *visited;
	Snapshot	snapshot;		/* export: one snapshot; erase: NULL */
	bool		lock;			/* erase: FOR UPDATE */
} SubjectSearch;

/* subject_search.c */
extern void subject_check_dsr_member(void);
extern SubjectSearch *subject_begin_search(Jsonb *identifiers, bool lock,
										   uint8 *key);
extern void subject_search_identifiers(SubjectSearch *search);
extern void subject_search_children(SubjectSearch *search);
extern void subject_search_parents(SubjectSearch *search);
extern void subject_begin_as_owner(Oid relid, int *nestlevel,
								   Oid *save_userid, int *save_sec_context);
extern void subject_query(SubjectSearch *search, Oid relid, const char *sql,
						  int nargs, Oid *types, Datum *values);
extern bool subject_fetch_keys(SubjectSearch *search, Oid relid, List *tids,
							   int nkeys, AttrNumber *attnums, bool with_tids,
							   Datum *arrays, Oid *types);
extern List *subject_referencing_keys(Oid leaf, bool self);
extern char *subject_key_match_sql(Oid child, int nkeys, AttrNumber *conkey,
								   Oid *pf_eq, int first);
extern Oid	subject_tag_root(Oid relid);
extern char *subject_operator_sql(Oid opno);
extern char *subject_attname(Oid relid, AttrNumber attnum);
extern char *subject_qualified_name(Oid relid);
extern Datum subject_tid_array(List *tids);
extern void subject_tags_of(SubjectSearch *search, Oid root,
							RetentionTag **table_tag, List **column_tags,
							List **subject_columns);
extern void subject_log_request(const char *kind, SubjectSearch *search,
								bool dry_run, Jsonb *tables, int64 rows,
								const char *outcome);

#endif							/* PG_RETENTION_SUBJECT_H */
