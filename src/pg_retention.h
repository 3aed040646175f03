/*-------------------------------------------------------------------------
 *
 * src/pg_retention.h
 *	  Internal declarations shared by the C files of pg_retention.
 *
 * Externs are grouped under the file that defines them.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_RETENTION_H
#define PG_RETENTION_H

#include "access/attnum.h"
#include "datatype/timestamp.h"
#include "nodes/pg_list.h"

#define RETENTION_PROVIDER		"retention"
#define RETENTION_SCHEMA		"retention"

/* A retention tag's action: deletion of the row or one anonymization method. */
typedef enum RetentionAction
{
	RETENTION_ACTION_NONE = 0,	/* not given */
	RETENTION_ACTION_DELETE,
	RETENTION_ACTION_NULLIFY,
	RETENTION_ACTION_DEFAULT,
	RETENTION_ACTION_HASH,
	RETENTION_ACTION_MASK,
	RETENTION_ACTION_GENERALIZE
} RetentionAction;

/*
 * A user-caused problem, kept as data so that one validator can serve the
 * label hook (raise it), the tags view (show it) and the DDL guard (raise it
 * naming the tag).
 */
typedef struct RetentionProblem
{
	int			sqlerrcode;		/* 0 = no problem */
	char	   *message;
	char	   *detail;
	char	   *hint;
} RetentionProblem;

/* A label as written, parsed but not checked against the catalogs. */
typedef struct RetentionLabel
{
	char	   *category;		/* NULL: absent */
	char	   *anchor_column;	/* local anchor, or the FK column */
	bool		anchor_via_fk;	/* anchor=fkcol->[schema.]table.column */
	char	   *anchor_schema;	/* NULL: not written */
	char	   *anchor_table;
	char	   *anchor_parent_column;
	RetentionAction action;
	char	   *subject;		/* NULL: absent */
	int			keep;			/* mask: trailing characters kept; -1 absent */
	int64		bucket;			/* generalize numbers: bucket width; 0 absent */
} RetentionLabel;

/* One category row, as the C code needs it. */
typedef struct RetentionCategory
{
	char	   *name;
	Interval	period;
	char	   *starts;
	RetentionAction action;
	char	   *time_zone;
} RetentionCategory;

/* A tag: a label on a table or a column, resolved against the catalogs. */
typedef struct RetentionTag
{
	Oid			relid;
	AttrNumber	attnum;			/* 0 for a table tag */
	char	   *label_text;		/* as stored in pg_seclabel */
	RetentionLabel label;

	/* filled in by retention_resolve_tag */
	RetentionCategory *category;	/* NULL for subject-only tags */
	RetentionAction action;		/* effective action */
	bool		action_from_category;
	AttrNumber	anchor_attnum;	/* local anchor or FK column, on relid */
	Oid			fk_conoid;		/* FK behind an FK anchor */
	Oid			parent_relid;
	AttrNumber	parent_attnum;	/* anchor column on the parent */
	AttrNumber	parent_key_attnum;	/* referenced key column on the parent */
	Oid			anchor_type;	/* base type of the anchor column */

	RetentionProblem problem;	/* sqlerrcode 0 when the tag is valid */
} RetentionTag;

/* label_grammar.c */
extern bool retention_parse_label(const char *text, RetentionLabel *label,
								  RetentionProblem *problem);
extern char *retention_label_to_text(const RetentionLabel *label);
extern const char *retention_action_name(RetentionAction action);
extern RetentionAction retention_action_from_name(const char *name);

/* category.c */
extern List *retention_load_categories(void);
extern RetentionCategory *retention_find_category(List *categories,
												  const char *name);
extern bool retention_extension_exists(void);

/* tag_resolve.c */
extern bool retention_resolve_tag(RetentionTag *tag, List *categories,
								  bool check_references);
extern char *retention_describe_tag(const RetentionTag *tag);
extern char *retention_live_attname(Oid relid, AttrNumber attnum);
extern void retention_raise_problem(const RetentionProblem *problem);
extern void retention_set_problem(RetentionProblem *problem, int sqlerrcode,
								  const char *message, const char *detail,
								  const char *hint);

/* tag_catalog.c */
extern List *retention_read_tags(bool resolve, bool check_references);

/* label_provider.c */
extern void retention_register_label_provider(void);
extern bool retention_restore_mode(void);

/* guc.c */
extern PGDLLIMPORT int retention_batch_size;
extern PGDLLIMPORT int retention_max_runtime;
extern PGDLLIMPORT int retention_lock_timeout;
extern PGDLLIMPORT int retention_statement_timeout;
extern PGDLLIMPORT bool retention_log_error_details;
extern void retention_define_gucs(void);

/* ddl_guard.c */
extern void retention_ddl_guard_init(void);

#endif							/* PG_RETENTION_H */
