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
#include "catalog/pg_attribute.h"
#include "datatype/timestamp.h"
#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "storage/condition_variable.h"
#include "storage/itemptr.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "utils/relcache.h"

#define RETENTION_PROVIDER		"retention"
#define RETENTION_SCHEMA		"retention"
/*
 * The longest when= condition, in bytes, as written and once normalized:
 * every reader of the tags parses it again (the worker, the tags view,
 * every SECURITY LABEL's event trigger).
 */
#define RETENTION_MAX_CONDITION 8192

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

/* What a partitioned table's tag does with a wholly expired partition. */
typedef enum RetentionPartitions
{
	RETENTION_PARTITIONS_DEFAULT = 0,	/* not given: drop */
	RETENTION_PARTITIONS_DROP,
	RETENTION_PARTITIONS_DETACH,
	RETENTION_PARTITIONS_ROWS	/* delete row by row like any table */
} RetentionPartitions;

/* What a table tag does with a due row other rows still reference. */
typedef enum RetentionBlocked
{
	RETENTION_BLOCKED_DEFAULT = 0,	/* not given: wait */
	RETENTION_BLOCKED_WAIT,		/* stays whole until it can go (counted
								 * blocked) */
	RETENTION_BLOCKED_ANONYMIZE,	/* its personal columns anonymized now */
	RETENTION_BLOCKED_EXPECTED	/* waits, and that is expected: no alarm */
} RetentionBlocked;

/*
 * One item of an anchor list (anchor=a|b, anchor=a,b), or the column of a
 * period= or variant= key: a column of the row, a column of the row's
 * parent through a foreign key, or (anchors only) the latest value of a
 * column among the rows of a child table that reference the row.
 */
typedef enum RetentionItemKind
{
	RETENTION_ITEM_COLUMN,		/* column */
	RETENTION_ITEM_FK,			/* fkcol->[schema.]table.column */
	RETENTION_ITEM_LATEST		/* latest([schema.]table.column [via fkcol]) */
} RetentionItemKind;

typedef struct RetentionItem
{
	RetentionItemKind kind;
	char	   *column;			/* local column, or the FK column (FK) */
	char	   *schema;			/* NULL: not written */
	char	   *table;			/* parent (FK) or child (LATEST) */
	char	   *other_column;	/* column of the parent or child */
	char	   *via;			/* LATEST: the child's FK column, or NULL */

	/* filled in by retention_resolve_tag */
	AttrNumber	attnum;			/* COLUMN/FK: column of the tagged table */
	Oid			conoid;			/* FK, LATEST: the foreign key */
	Oid			other_relid;	/* parent (FK) or child (LATEST) */
	AttrNumber	other_attnum;	/* the column read on other_relid */
	AttrNumber	key_attnum;		/* FK: parent's key; LATEST: child's FK column */
	AttrNumber	ref_attnum;		/* LATEST: the referenced key of the tagged
								 * table */
	Oid			type;			/* base type of the value */
} RetentionItem;

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
	RetentionPartitions partitions; /* table tags on partitioned tables */
	RetentionBlocked blocked;	/* table tags: due rows still referenced */
	int			suppress;		/* table tags: -1 absent, 0 false, 1 true */

	/* the 0.2.0 policy model (see doc/policy-model.md) */
	char		anchor_mode;	/* '\0': one item; '|': first due; ',': last
								 * due */
	List	   *anchor_items;	/* RetentionItem *: every anchor item */
	char	   *when;			/* when='...': the condition as written */
	RetentionItem *period;		/* period=: an interval column, or NULL */
	RetentionItem *variant;		/* variant=: the column selecting a variant */
} RetentionLabel;

/* Where a retention period starts, relative to the anchor. */
typedef enum RetentionStarts
{
	RETENTION_STARTS_EXACT,
	RETENTION_STARTS_END_OF_DAY,
	RETENTION_STARTS_END_OF_MONTH,
	RETENTION_STARTS_END_OF_YEAR
} RetentionStarts;

/* A retention rule: due = boundary(anchor) + period, in time_zone. */
typedef struct RetentionRule
{
	Interval	period;
	RetentionStarts starts;
	char	   *time_zone;
} RetentionRule;

/* What an erasure request does to a category's data (on_erasure). */
typedef enum RetentionOnErasure
{
	RETENTION_ON_ERASURE_DELETE = 0,	/* as at expiry: rows go, values
										 * anonymized */
	RETENTION_ON_ERASURE_ANONYMIZE, /* rows stay, personal columns anonymized */
	RETENTION_ON_ERASURE_KEEP	/* kept whole for a legal obligation */
} RetentionOnErasure;

/* One category row, as the C code needs it. */
typedef struct RetentionCategory
{
	char	   *name;
	RetentionRule rule;
	char	   *starts;			/* as stored, for SQL text */
	RetentionAction action;
	RetentionOnErasure on_erasure;
	char	   *legal_basis;	/* NULL: none stated */
} RetentionCategory;

/* A variant of a category's rule (variant=), complete. */
typedef struct RetentionVariant
{
	char	   *name;
	RetentionRule rule;
	char	   *starts;			/* as stored (or the category's), for SQL */
} RetentionVariant;

#define RETENTION_KEY_BYTES		32

/* What a keyed identifier hash is stored for: each has its own key. */
typedef enum RetentionHashPurpose
{
	RETENTION_HASH_HOLD,		/* legal_hold.subject_hash */
	RETENTION_HASH_REQUEST_LOG, /* dsr_request.identifier_hashes */
	RETENTION_HASH_LEDGER,		/* the erasure ledger */
	RETENTION_HASH_SUPPRESSION	/* suppression.identifier_hash */
} RetentionHashPurpose;

/*
 * A tag: a label on a table or a column, resolved against the catalogs.
 * tag_cache.c copies it with every pointer it holds: keep it in step.
 */
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

	/* filled in by retention_resolve_tag for the 0.2.0 keys */
	bool complex;				/* several anchors, latest(), period= or
								 * variant= */
	struct Node *condition;		/* when=: the checked expression (varno 1) */

	RetentionProblem problem;	/* sqlerrcode 0 when the tag is valid */
} RetentionTag;

/* Active legal holds, loaded once per enforcement run. */
typedef struct RetentionHolds
{
	List	   *categories;		/* String: categories held as a whole */
	List	   *tables;			/* OIDs of tables held as a whole */
	List	   *subject_kinds;	/* String: kinds with at least one subject
								 * hold */
	struct HTAB *subject_hashes;	/* keyed hashes of held identifiers */
} RetentionHolds;

/*
 * How a job picks the rows of its next batch (batch_order.c): in anchor
 * order through an index (the steady state and a short backlog), or a sweep
 * over page ranges in physical order (a large backlog, or no index).
 */
typedef struct BatchOrder
{
	bool		decided;		/* the first batch has chosen the order */
	bool		physical;		/* batches are page ranges of a sweep */
	BlockNumber next_block;		/* the sweep's next page */
	BlockNumber end_block;		/* the relation's size when the sweep began */
	BlockNumber chunk_pages;	/* pages the next range covers */
	int			target_rows;	/* rows the next batch aims at */
	bool		met_lock;		/* a batch took the SKIP LOCKED path */
} BatchOrder;

/* One relation to enforce on, and its statements (see enforce_plan.c). */
typedef struct EnforceJob
{
	Oid			tagged_relid;	/* the tagged table */
	Oid			relid;			/* the table or leaf partition acted on */
	Oid			owner;			/* runs as this role */
	bool		is_delete;		/* table tag: delete rows; else anonymize */
	bool		held;			/* a category or table hold keeps it all */
	List	   *tags;			/* RetentionTag *: one, or every column tag */
	List	   *variant_rules;	/* per tag: its category's variants as the
								 * statements were built (variant=), or NIL */
	Datum	   *cutoffs;		/* per tag: every anchor up to it is due */
	Datum	   *exact_cutoffs;	/* per tag: the largest due anchor */
	char	   *table_name;		/* qualified, for evidence */
	char	   *relation_name;
	char	   *where_due;		/* due, not done, not held, not blocked (alias
								 * r) */
	char	   *where_due_all;	/* due, not done, not held (alias r) */
	List	   *due_sql;		/* per tag: due predicate (alias r) */
	List	   *pending_sql;	/* per tag: value still to anonymize; NULL for
								 * delete */
	char	   *due_count_sql;	/* count of due rows, held or not */
	char	   *held_sql;		/* count of due rows a subject hold protects */
	char	   *candidates_sql; /* $2 = limit, $3 = tids to leave out: ctid,
								 * per-tag flags, probes' key columns */
	char	   *candidates_unlocked_sql;	/* the same, rows not locked */
	char	   *range_candidates_sql;	/* the same in a page range: $4 <=
										 * ctid < $5 */
	char	   *range_delete_sql;	/* delete: up to $2 due rows of a page
									 * range ($3..$5 as above), without row
									 * locks */
	char	   *checked_delete_sql; /* delete: $2 = tid[], each still due */
	char	   *due_rows_sql;	/* the due rows' tids, for the planner's view */
	BatchOrder	order;
	bool		resumable;		/* one tag, local anchor: batches go in anchor
								 * order, $4 = where the last batch ended */
	List	   *probes;			/* OIDs of foreign keys that can keep rows */
	List	   *probe_nkeys;	/* int: key columns of each probe */
	char	   *skipped_count_sql;	/* $3 as candidates: due rows left */
	char	   *any_due_sql;	/* the same, 1 if any, else 0 */
	char	   *blocked_scan_sql;	/* $2 = after this ctid, $3 = limit: due
									 * rows with the probes' key columns */
	List	   *all_tags;		/* every tag (for the probes' hold tests) */
	List	   *reads;			/* OIDs of the tables its statements name
								 * (checked before each batch: see
								 * retention_check_reads_as) */
	ItemPointerData *left_out;	/* rows found blocked: not candidates again */
	int			nleft_out;
	MemoryContext left_out_cxt;
	Datum		resume_from;	/* of the anchor's (pass-by-value) type */
	char	   *apply_sql;		/* delete: $2 = tid[]; update: $2 tid[], $3..
								 * bool[] */
	/* in every job statement $1 is the executor's token (see as_owner.c) */

	/* the names the statements were built with, checked before each batch */
	char	  **column_names;	/* per tag: the tagged column (NULL: table
								 * tag) */
	char	  **anchor_names;	/* per tag: the anchor (or FK) column */
	char	  **parent_names;	/* per tag: FK anchor's parent table, or NULL */
	bool		changed;		/* a name no longer resolved when planning */

	/* what happens to due rows beyond deleting them (blocked=, suppress=) */
	char	   *blocked_apply_sql;	/* blocked=anonymize: $2 = tid[] of the
									 * batch's referenced rows; else NULL */
	List	   *subject_tags;	/* RetentionTag *: the table's subject=
								 * columns, named in its statements (holds,
								 * blocked=, suppress=) */
	char	  **subject_names;	/* their names when the statements were built */
	List	   *suppress_kinds; /* String: subject kind of each RETURNING
								 * column of apply_sql (suppress=true) */
} EnforceJob;

/* What a job did, for its evidence (see evidence.c). */
typedef struct RetentionJobResult
{
	int64		rows;			/* rows deleted or updated */
	int64	   *values;			/* per tag: values anonymized */
	int64		held;
	int64		blocked;
	int64		batches;
	int64		wal_bytes;
	int64		kept;			/* rows a trigger kept (returned NULL) */
	int64		skipped_locked; /* due rows left: another session held them */
	bool		partition_step; /* the job dropped or detached its partition */
	const char *outcome;
	const char *error_sqlstate;
	const char *error;
} RetentionJobResult;

/* What a run did, for its evidence. */
typedef struct RetentionRunTotals
{
	int64		rows_deleted;
	int64		values_anonymized;
	int64		rows_held;
	int64		rows_blocked;
	int64		batches;
	int64		errors;
	int64		wal_bytes;
	int64		skipped_locked;
	int64		paused;			/* microseconds spent in pacing pauses */
	int			jobs;
} RetentionRunTotals;

/* The pacing of one run (pacing.c). */
typedef struct RetentionPacing
{
	bool		background;		/* nobody waits for it: worker, pg_cron */
	bool		may_pause;		/* its batches commit one by one */
	TimestampTz batch_start;
	int64		owed;			/* pause earned, not yet taken (us) */
} RetentionPacing;

/* label_grammar.c */
extern bool retention_parse_label(const char *text, RetentionLabel *label,
								  RetentionProblem *problem);
extern char *retention_label_to_text(const RetentionLabel *label);
extern char *retention_anchor_to_text(const RetentionLabel *label);
extern const char *retention_action_name(RetentionAction action);
extern RetentionAction retention_action_from_name(const char *name);
extern char *retention_item_to_text(const RetentionItem *item);

/* tag_model.c */
extern bool retention_resolve_model(RetentionTag *tag);
extern bool retention_renamed_model(const RetentionTag *before,
									RetentionLabel *label,
									RetentionProblem *problem);
extern char *retention_condition_sql(RetentionTag *tag, const char *alias);
extern char *retention_condition_text(RetentionTag *tag);
extern char *retention_anchor_words(RetentionTag *tag);

/* due_time.c */
extern TimestampTz retention_due_time(Datum anchor, Oid type,
									  const RetentionRule *rule);
extern void retention_cutoff(Oid type, const RetentionRule *rule,
							 TimestampTz now, Datum *cutoff, Datum *safe,
							 Datum *upper);
extern RetentionStarts retention_starts_from_name(const char *name);

/* keyed_hash.c */
extern void retention_load_key(uint8 *key);
extern void retention_hmac(const uint8 *key, const char *prefix,
						   const void *data, size_t len, uint8 *out);
extern char *retention_normalize_identifier(const char *kind, const char *value);
extern bool retention_identifier_is_meaningful(const char *kind,
											   const char *normalized);
extern char *retention_check_identifier(const char *kind, const char *value);
extern void retention_identifier_hash(const uint8 *key, const char *kind,
									  const char *value, uint8 *out);
extern void retention_identifier_digest(const uint8 *key, const char *kind,
										const char *value, uint8 *out);
extern void retention_hash_from_digest(const uint8 *master,
									   RetentionHashPurpose purpose,
									   const uint8 *digest, uint8 *out);
extern void retention_purpose_key(const uint8 *master, RetentionHashPurpose purpose,
								  uint8 *out);
extern void retention_hash_with_key(const uint8 *derived, const uint8 *digest,
									uint8 *out);
extern void retention_suppression_from_ledger(const uint8 *master,
											  const uint8 *ledger, uint8 *out);
extern char *retention_ledger_key_id(const uint8 *master);
extern void retention_subject_hash(RetentionHashPurpose purpose, const char *kind,
								   const char *value, uint8 *out);
extern char *retention_pseudonym_column_arg(Oid relid, AttrNumber attnum);
extern bool retention_legacy_hashes(void);

/* suppression.c */
extern void retention_suppress_identifier(const char *kind, const char *value,
										  const char *reason);
extern void retention_record_erasure(const char *kind, const char *value);

/* enforce_plan.c */
extern List *retention_plan_jobs(Oid only_relid, const char *only_category,
								 const RetentionHolds *holds, TimestampTz now,
								 List **invalid);
extern List *retention_blocked_anonymize_tags(RetentionTag *table_tag,
											  List *column_tags,
											  List *subject_columns);
extern bool retention_job_still_valid(EnforceJob *job, bool *dropped);

/* deparse.c */
extern void retention_raise_changed(void) pg_attribute_noreturn();
extern char *retention_deparse_relation_or_null(Oid relid);
extern char *retention_deparse_relation(Oid relid);
extern List **retention_collect_reads(List **sink);
extern char *retention_deparse_relation_or_oid(Oid relid);
extern const char *retention_deparse_column(Oid relid, AttrNumber attnum);
extern char *retention_deparse_due(RetentionTag *tag, TimestampTz now,
								   Datum *cutoff, Datum *exact);
extern List *retention_referenced_probes(Oid tagged_relid, List *tags,
										 const RetentionHolds *holds);
extern char *retention_deparse_probe(Oid conoid, List *tags,
									 const RetentionHolds *holds, Oid *conrelid);
extern char *retention_deparse_probe_in_run(Oid conoid, List *tags,
											const RetentionHolds *holds,
											Oid *conrelid, List *run_jobs);
extern char *retention_held_sql(List *subject_columns,
								const RetentionHolds *holds, const char *alias);
extern char *retention_held_through_parents_sql(Oid relid, List *tags,
												const RetentionHolds *holds,
												const char *alias);
extern char *retention_held_or(char *a, char *b);
extern char *retention_row_held_sql(Oid relid, List *tags,
									const RetentionHolds *holds,
									const char *alias);
extern char *retention_anonymized_value_sql(RetentionTag *tag, Oid relid,
											char **pending);
extern char *retention_anchor_sql(RetentionTag *tag);
extern char *retention_due_at_sql(RetentionTag *tag);
extern char *retention_planned_due_at_sql(RetentionTag *tag);
extern char *retention_variant_sql(RetentionTag *tag);
extern void retention_deparse_job(EnforceJob *job, List *subject_columns,
								  const RetentionHolds *holds, TimestampTz now,
								  List *all_tags);
extern void retention_deparse_partition_step(const EnforceJob *job, bool detach,
											 char **probe_sql, char **step_sql);

/* plan_cache.c */
struct _SPI_plan;				/* executor/spi.h */
extern struct _SPI_plan *retention_kept_plan(const char *sql, int nargs,
											 Oid *types, bool generic);

/* as_owner.c */
extern const uint8 *retention_executor_key(int64 token);
extern const RetentionHolds *retention_executor_holds(void);
extern void retention_forget_held_answers(void);
extern void retention_set_executor_active(bool active, const RetentionHolds *holds);

/* batch_order.c */
extern void retention_order_first_step(EnforceJob *job);
extern void retention_order_after_first_batch(EnforceJob *job, int64 candidates);
extern void retention_order_next_range(EnforceJob *job, ItemPointerData *from,
									   ItemPointerData *to);
extern void retention_order_after_range(EnforceJob *job, int64 found, bool truncated);
extern bool retention_order_swept(const EnforceJob *job);
extern void retention_order_after_batch(EnforceJob *job, bool full, long elapsed_ms);

extern int	retention_execute_job_sql(const char *sql, int nargs, Oid *types,
									  Datum *values, bool read_only, long tcount);
extern int	retention_execute_job_plan(struct _SPI_plan *plan, int nargs,
									   Datum *values, bool read_only, long tcount);
extern Oid	retention_relation_owner(Oid relid);
extern Oid	retention_foreign_rls_read(List *reads, Oid reader);
extern void retention_check_reads_as(List *reads, Oid reader);

/* the message of retention_check_reads_as (callers that reword errors keep it) */
#define RETENTION_FOREIGN_RLS_MESSAGE "a table this job reads has row security and another owner"
extern void retention_begin_as_owner(Oid owner, int *nestlevel,
									 Oid *save_userid, int *save_sec_context);
extern bool retention_begin_as_probe_owner(Oid relid, int *nestlevel,
										   Oid *save_userid, int *save_sec_context);
extern void retention_end_as_owner(int nestlevel, Oid save_userid,
								   int save_sec_context);
extern TimestampTz retention_arm_statement_timeout(TimestampTz *fin);
extern void retention_disarm_statement_timeout(TimestampTz outer);

/* holds.c */
extern void retention_load_holds(RetentionHolds *holds, TimestampTz now);

/* evidence.c */
extern void retention_exec_as_extension_owner(const char *sql, int nargs,
											  Oid *types, Datum *values,
											  const char *nulls, int expected);
extern int64 retention_evidence_insert(const char *sql, int nargs, Oid *types,
									   Datum *values, const char *nulls);
extern const char *retention_error_in_words(int sqlerrcode);
extern int64 retention_evidence_start_run(TimestampTz now, const char *origin);
extern void retention_evidence_finish_run(int64 run_id, const char *status,
										  const RetentionRunTotals *totals);
extern void retention_evidence_skipped_run(TimestampTz now, const char *origin);
extern int64 retention_evidence_start_job(int64 run_id, const EnforceJob *job);
extern void retention_evidence_update_job(int64 action_id,
										  const RetentionJobResult *result,
										  int ntags, bool finished);
extern void retention_evidence_invalid_tag(int64 run_id, RetentionTag *tag);
extern void retention_expire_evidence(TimestampTz now);

/* enforce_partition.c */
extern bool retention_partition_step(EnforceJob *job, TimestampTz now,
									 RetentionJobResult *result);

/* enforce.c */
extern int64 retention_count_blocked(EnforceJob *job, const RetentionHolds *holds,
									 List *run_jobs);
extern int64 retention_run_enforcement(Oid only_relid, const char *only_category,
									   int budget_ms, bool nonatomic);

/* pacing.c */
extern void retention_pacing_start(RetentionPacing *pacing, bool background,
								   bool nonatomic);
extern int	retention_effective_max_load(bool background);
extern void retention_pacing_batch_start(RetentionPacing *pacing);
extern void retention_pacing_batch_end(RetentionPacing *pacing);
extern int64 retention_pacing_pause(RetentionPacing *pacing, TimestampTz deadline);
extern const char *retention_pacing_stop(int64 wal_bytes);

/* preview.c */
extern bool retention_anchor_indexed(RetentionTag *tag, Oid relid);

/* category.c */
extern List *retention_load_categories(void);
extern List *retention_load_variants(const RetentionCategory *category);
extern RetentionOnErasure retention_on_erasure_from_name(const char *name);
extern RetentionCategory *retention_find_category(List *categories,
												  const char *name);
extern bool retention_extension_exists(void);
extern bool retention_category_exists(const char *name);

/* tag_resolve.c */
extern bool retention_resolve_tag(RetentionTag *tag, List *categories,
								  bool check_references);
extern char *retention_describe_tag(const RetentionTag *tag);
extern bool retention_identifier_removable(Form_pg_attribute att);
extern char *retention_live_attname(Oid relid, AttrNumber attnum);
extern struct Node *retention_column_default(Oid relid, AttrNumber attnum);

/* problem.c */
extern void retention_raise_problem(const RetentionProblem *problem);
extern void retention_set_problem(RetentionProblem *problem, int sqlerrcode,
								  const char *message, const char *detail,
								  const char *hint);

/* tag_cache.c */
extern uint64 retention_tag_cache_begin(List *tags);
extern bool retention_tag_cache_lookup(RetentionTag *tag, List *categories);
extern void retention_tag_cache_store(const RetentionTag *tag, uint64 generation);

/* tag_catalog.c */
extern List *retention_read_tags(bool resolve, bool check_references);
extern Datum retention_name_datum(const char *str);

/* label_provider.c */
extern void retention_register_label_provider(void);
extern bool retention_restore_mode(void);

/* guc.c */
extern PGDLLIMPORT int retention_batch_size;
extern PGDLLIMPORT int retention_max_runtime;
extern PGDLLIMPORT int retention_lock_timeout;
extern PGDLLIMPORT int retention_statement_timeout;
extern PGDLLIMPORT int retention_partition_lock_timeout;
extern PGDLLIMPORT bool retention_log_error_details;
extern PGDLLIMPORT int retention_max_wal_per_run;
extern PGDLLIMPORT int retention_max_replay_lag;
extern PGDLLIMPORT int retention_batch_delay;
extern PGDLLIMPORT int retention_max_load;
extern PGDLLIMPORT int retention_naptime;
extern PGDLLIMPORT bool retention_enabled;
extern PGDLLIMPORT char *retention_databases;
extern PGDLLIMPORT int retention_max_workers;
extern void retention_define_gucs(void);
extern bool retention_database_wanted(const char *datname);

/* worker_state.c: what the launcher and the workers share */

/* Where a database stands with the workers (see worker_state.c). */
typedef enum RetentionDbState
{
	DBSTATE_NEW = 0,			/* listed, never served: extension unknown */
	DBSTATE_IDLE,				/* served; waits for its next turn */
	DBSTATE_STARTING,			/* a worker is registered for it */
	DBSTATE_ENFORCING,			/* its worker runs the cycle */
	DBSTATE_NO_SLOT,			/* due, no worker could be started */
	DBSTATE_FAILING,			/* the last cycle failed */
	DBSTATE_CANCELLED,			/* the last cycle was cancelled */
	DBSTATE_TERMINATED,			/* the last cycle's worker was terminated */
	DBSTATE_NO_EXTENSION,		/* the extension is not installed */
	DBSTATE_DISABLED,			/* retention.enabled = off */
	DBSTATE_STANDBY				/* the server is a standby */
} RetentionDbState;

/* One database known to the launcher. */
typedef struct RetentionDb
{
	Oid			dboid;			/* InvalidOid: a free entry */
	RetentionDbState state;
	TimestampTz state_since;
	TimestampTz next_due;		/* its next cycle may start then */
	TimestampTz last_cycle_end; /* end of its last cycle, however it ended */
	TimestampTz last_completed; /* end of its last successful cycle */
	TimestampTz paused_until;	/* DDL on the database: keep away */
	int64		last_run_id;
	int			failures;		/* consecutive failed cycles */
	int			last_sqlstate;	/* of the last failure */
	bool		launched;		/* a worker is registered or running */
	bool		listed;			/* seen in pg_database in the last pass */
	bool		no_slot_warned; /* WARNING given; cleared when served */
	bool		orphan;			/* its worker was started by an earlier
								 * launcher: it frees the entry itself */
	pid_t		pid;			/* its running worker, 0 none */
	char		message[96];
} RetentionDb;

typedef struct RetentionShared
{
	LWLock	   *lock;			/* every field below */
	pid_t		launcher_pid;
	Latch	   *launcher_latch;
	bool		standby;
	bool		overflow;		/* more databases than entries */
	ConditionVariable worker_exited;	/* a worker left its database */
	RetentionDb dbs[FLEXIBLE_ARRAY_MEMBER];
} RetentionShared;

#define RETENTION_MAX_DATABASES 1024

extern PGDLLIMPORT RetentionShared *retention_shared;
extern void retention_shmem_init(void);
extern RetentionDb *retention_find_db(Oid dboid);
extern RetentionDb *retention_add_db(Oid dboid);
extern RetentionDbState retention_set_db_state(RetentionDb *db, RetentionDbState state,
											   const char *message);
extern const char *retention_db_state_name(RetentionDbState state);
extern uint32 retention_wait_event(void);
extern void retention_wake_launcher_at_commit(bool this_database);

/* launcher.c */
extern void retention_worker_init(void);
extern PGDLLEXPORT void retention_launcher_main(Datum main_arg);

/* worker.c */
extern PGDLLEXPORT void retention_worker_main(Datum main_arg);

/* utility_hook.c */
extern void retention_utility_hook_init(void);

/* ddl_guard.c */
extern void retention_ddl_guard_init(void);

#endif							/* PG_RETENTION_H */
