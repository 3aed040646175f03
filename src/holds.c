/*-------------------------------------------------------------------------
 *
 * src/holds.c
 *	  Legal holds as enforcement and erasure see them: loaded once per run,
 *	  subject holds as a set of keyed hashes.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/sha2.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "nodes/value.h"
#include "utils/builtins.h"
#include "common/hashfn.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "pg_retention.h"

/*
 * retention_load_holds
 *
 * Active holds as of now: category and table holds by name and OID, subject
 * holds as a set of keyed hashes.
 */
void
retention_load_holds(RetentionHolds *holds, TimestampTz now)
{
	MemoryContext caller = CurrentMemoryContext;
	Oid			type = TIMESTAMPTZOID;
	Datum		arg = TimestampTzGetDatum(now);
	HASHCTL		ctl;

	memset(holds, 0, sizeof(*holds));

	/*
	 * As the extension's owner: callers (retention_dsr) cannot read holds.
	 * Holds restored from a 0.1.0 dump (hashed_with '0.1.0') are converted
	 * here, under the key the dump restored; 0.1.0's own SQL objects have no
	 * such column and all their hashes are 0.1.0's (keyed_hash.c).
	 */
	retention_exec_as_extension_owner(retention_legacy_hashes() ?
									  "SELECT scope, category, table_name::pg_catalog.oid, subject_kind, subject_hash"
									  "  FROM retention.legal_hold"
									  " WHERE released_at IS NULL"
									  "   AND (ends_at IS NULL OR ends_at OPERATOR(pg_catalog.>) $1)" :
									  "SELECT scope, category, table_name::pg_catalog.oid, subject_kind,"
									  "       CASE WHEN hashed_with OPERATOR(pg_catalog.=) '0.1.0'"
									  "            THEN retention._rehash_legacy('hold', subject_hash)"
									  "            ELSE subject_hash END"
									  "  FROM retention.legal_hold"
									  " WHERE released_at IS NULL"
									  "   AND (ends_at IS NULL OR ends_at OPERATOR(pg_catalog.>) $1)",
									  1, &type, &arg, NULL, SPI_OK_SELECT);

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = PG_SHA256_DIGEST_LENGTH;
	ctl.entrysize = PG_SHA256_DIGEST_LENGTH;
	ctl.hcxt = caller;
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *scope = SPI_getvalue(tuple, desc, 1);
		MemoryContext old = MemoryContextSwitchTo(caller);

		if (strcmp(scope, "category") == 0)
			holds->categories = lappend(holds->categories, makeString(SPI_getvalue(tuple, desc, 2)));
		else if (strcmp(scope, "table") == 0)
		{
			bool		isnull;

			holds->tables = lappend_oid(holds->tables,
										DatumGetObjectId(SPI_getbinval(tuple, desc, 3, &isnull)));
		}
		else
		{
			bool		isnull;
			Datum		value = SPI_getbinval(tuple, desc, 5, &isnull);
			bytea	   *hash = isnull ? NULL : DatumGetByteaPP(value);
			char	   *kind = SPI_getvalue(tuple, desc, 4);

			if (holds->subject_hashes == NULL)
				holds->subject_hashes = hash_create("pg_retention subject holds", 64, &ctl,
													HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
			/* NULL: a 0.1.0 hash of the wrong length, which matched nothing */
			if (hash != NULL && VARSIZE_ANY_EXHDR(hash) == PG_SHA256_DIGEST_LENGTH)
				hash_search(holds->subject_hashes, VARDATA_ANY(hash), HASH_ENTER, NULL);
			if (!list_member(holds->subject_kinds, makeString(kind)))
				holds->subject_kinds = lappend(holds->subject_kinds, makeString(kind));
		}
		MemoryContextSwitchTo(old);
	}
}

/*
 * The answers of _subject_held() while one executor is active, by identifier:
 * preview and the hold-through-parents test ask for the same parent's
 * identifiers once per child row, and each answer costs two keyed hashes.
 * Wiped with the executor's state (retention_forget_held_answers), so no
 * identifier outlives the statement's executor.
 */
#define HELD_ANSWERS_MAX	65536

typedef struct HeldAnswer
{
	uint64		hash;			/* of kind and value: the key */
	char	   *kind_value;		/* kind, '\0', value: told apart on collision */
	Size		len;
	bool		held;
} HeldAnswer;

static MemoryContext held_answers_cxt = NULL;
static HTAB *held_answers = NULL;

void
retention_forget_held_answers(void)
{
	HASH_SEQ_STATUS seq;
	HeldAnswer *answer;

	if (held_answers == NULL)
		return;
	/* identifiers in clear: wiped before their memory is given back */
	hash_seq_init(&seq, held_answers);
	while ((answer = hash_seq_search(&seq)) != NULL)
		explicit_bzero(answer->kind_value, answer->len);
	MemoryContextReset(held_answers_cxt);
	held_answers = NULL;
}

static bool
subject_held_uncached(const uint8 *key, const RetentionHolds *holds,
					  const char *kind, const char *value)
{
	uint8		hash[PG_SHA256_DIGEST_LENGTH];
	bool		found = false;

	/* a stored value that names nobody ("withheld") matches no hold */
	if (!retention_identifier_is_meaningful(kind, retention_normalize_identifier(kind, value)))
		return false;
	retention_identifier_hash(key, kind, value, hash);
	hash_search(holds->subject_hashes, hash, HASH_FIND, &found);
	return found;
}

/*
 * retention._subject_held(kind text, value text, token bigint) RETURNS boolean
 *
 * Whether an active legal hold protects this identifier; only inside
 * enforcement.  A value that names nobody once normalized (an empty
 * address, a phone number without digits) is protected by no hold
 * (retention_identifier_is_meaningful).
 */
PG_FUNCTION_INFO_V1(retention_subject_held);

Datum
retention_subject_held(PG_FUNCTION_ARGS)
{
	const uint8 *key = retention_executor_key(PG_GETARG_INT64(2));
	const RetentionHolds *holds = retention_executor_holds();
	text	   *kind = PG_GETARG_TEXT_PP(0);
	text	   *value = PG_GETARG_TEXT_PP(1);
	Size		klen = VARSIZE_ANY_EXHDR(kind);
	Size		len = klen + 1 + VARSIZE_ANY_EXHDR(value);
	char	   *kind_value;
	uint64		h;
	HeldAnswer *answer;
	bool		found;
	bool		held;

	if (holds == NULL || holds->subject_hashes == NULL)
		PG_RETURN_BOOL(false);
	if (held_answers_cxt == NULL)
		held_answers_cxt = AllocSetContextCreate(TopMemoryContext, "pg_retention held answers",
												 ALLOCSET_DEFAULT_SIZES);
	if (held_answers == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(uint64);
		ctl.entrysize = sizeof(HeldAnswer);
		ctl.hcxt = held_answers_cxt;
		held_answers = hash_create("pg_retention held answers", 1024, &ctl,
								   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	kind_value = MemoryContextAlloc(held_answers_cxt, len);
	memcpy(kind_value, VARDATA_ANY(kind), klen);
	kind_value[klen] = '\0';
	memcpy(kind_value + klen + 1, VARDATA_ANY(value), len - klen - 1);
	h = DatumGetUInt64(hash_any_extended((unsigned char *) kind_value, len, 0));
	answer = hash_search(held_answers, &h, HASH_FIND, &found);
	if (found && answer->len == len && memcmp(answer->kind_value, kind_value, len) == 0)
	{
		explicit_bzero(kind_value, len);
		pfree(kind_value);
		PG_RETURN_BOOL(answer->held);
	}
	held = subject_held_uncached(key, holds, text_to_cstring(kind), text_to_cstring(value));
	/* kept unless the table is full or the hash is another value's */
	if (!found && hash_get_num_entries(held_answers) < HELD_ANSWERS_MAX)
	{
		/* nothing can fail between the entry and its fields */
		answer = hash_search(held_answers, &h, HASH_ENTER, NULL);
		answer->kind_value = kind_value;
		answer->len = len;
		answer->held = held;
	}
	else
	{
		explicit_bzero(kind_value, len);
		pfree(kind_value);
	}
	PG_RETURN_BOOL(held);
}
