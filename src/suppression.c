/*-------------------------------------------------------------------------
 *
 * src/suppression.c
 *	  The suppression list (keyed hashes of identifiers that must not be
 *	  imported or contacted again: after an erasure, or an opt-out) and the
 *	  erasure ledger that brings erasures back after a restore.
 *
 * retention.suppression holds one row per identifier and reason, so an
 * opt-out followed by an erasure keeps both.  Erasure rows also carry the
 * identifier's ledger hash (keyed_hash.c: HMAC(K_ledger, D)); the list's
 * own hash is derived from it, HMAC(K_suppression, ledger hash).
 *
 * retention.erasure_ledger(since) returns the erasure rows as ledger hashes
 * and times.  retention.reapply_erasures(ledger), in a database restored
 * from an older backup, scans every subject-tagged column of the ledger's
 * kinds as the table's owner, hashes each stored value in C (values never
 * leave this file, nor reach a message or a log), and calls
 * retention.erase_subject() for every stored identifier whose ledger hash
 * is in the ledger: the same holds and rules as any erasure.  Then every
 * ledger entry goes back on the suppression list, found or not.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "common/sha2.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

#include "subject.h"

#define LEDGER_FORMAT	"pg_retention erasure ledger"
#define LEDGER_VERSION	1
#define SCAN_BATCH		1000

/* Refuses callers who are neither superusers nor members of retention_dsr. */
static void
check_dsr_member(void)
{
	subject_check_dsr_member();
}

/* Refuses NULL for a required argument, naming it. */
static void
check_not_null(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", name),
				 errhint("Pass a value for %s.", name)));
}

static bytea *
hash_to_bytea(const uint8 *hash)
{
	bytea	   *result = palloc(VARHDRSZ + PG_SHA256_DIGEST_LENGTH);

	SET_VARSIZE(result, VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	memcpy(VARDATA(result), hash, PG_SHA256_DIGEST_LENGTH);
	return result;
}

/*
 * add_erasure
 *
 * Puts one erased identifier, given by its ledger hash, on the suppression
 * list as of when (a later erasure moves the time forward, never back).
 * Needs SPI; runs as the extension's owner.
 */
static void
add_erasure(const uint8 *key, const char *kind, const uint8 *ledger,
			TimestampTz when)
{
	uint8		suppression[PG_SHA256_DIGEST_LENGTH];
	Oid			types[4] = {TEXTOID, BYTEAOID, BYTEAOID, TIMESTAMPTZOID};
	Datum		values[4];

	retention_suppression_from_ledger(key, ledger, suppression);
	values[0] = CStringGetTextDatum(kind);
	values[1] = PointerGetDatum(hash_to_bytea(suppression));
	values[2] = PointerGetDatum(hash_to_bytea(ledger));
	values[3] = TimestampTzGetDatum(when);
	retention_exec_as_extension_owner("INSERT INTO retention.suppression AS s (kind, identifier_hash, reason, added_at, ledger_hash, hashed_with)"
									  " VALUES ($1, $2, 'erasure', $4, $3, '0.2.0')"
									  " ON CONFLICT (kind, identifier_hash, reason) DO UPDATE"
									  " SET added_at = GREATEST(s.added_at, excluded.added_at)",
									  4, types, values, NULL, SPI_OK_INSERT);
}

/*
 * legacy_insert
 *
 * Adds an identifier as 0.1.0's table has it (one reason, its digest D as
 * the hash): while the installed SQL objects are still 0.1.0's, until ALTER
 * EXTENSION UPDATE converts them.
 */
static void
legacy_insert(const char *kind, const uint8 *digest, const char *reason)
{
	Oid			types[3] = {TEXTOID, BYTEAOID, TEXTOID};
	Datum		values[3];

	values[0] = CStringGetTextDatum(kind);
	values[1] = PointerGetDatum(hash_to_bytea(digest));
	values[2] = CStringGetTextDatum(reason);
	retention_exec_as_extension_owner("INSERT INTO retention.suppression (kind, identifier_hash, reason) VALUES ($1, $2, $3)"
									  " ON CONFLICT (kind, identifier_hash) DO NOTHING",
									  3, types, values, NULL, SPI_OK_INSERT);
}

/*
 * retention_record_erasure
 *
 * Records that an identifier (kind, value; normalized here) was erased: on
 * the suppression list with reason "erasure", and so in the ledger.  Called
 * by erase_subject inside its SPI connection.
 */
void
retention_record_erasure(const char *kind, const char *value)
{
	uint8		key[RETENTION_KEY_BYTES];
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	uint8		ledger[PG_SHA256_DIGEST_LENGTH];

	retention_load_key(key);
	retention_identifier_digest(key, kind, value, digest);
	if (retention_legacy_hashes())
		legacy_insert(kind, digest, "erasure");
	else
	{
		retention_hash_from_digest(key, RETENTION_HASH_LEDGER, digest, ledger);
		add_erasure(key, kind, ledger, GetCurrentTransactionStartTimestamp());
	}
	explicit_bzero(digest, sizeof(digest));
	explicit_bzero(key, sizeof(key));
}

/*
 * retention_suppress / retention_is_suppressed
 *
 * retention.suppress(kind text, value text, reason text DEFAULT 'opt-out')
 * retention.is_suppressed(kind text, value text) RETURNS boolean
 *
 * The suppression list holds keyed hashes of normalized identifiers only;
 * one row per identifier and reason.  reason 'erasure' records an erasure
 * (and so enters the ledger) as erase_subject does.
 */
static bytea *
identifier_hash_datum(const char *kind, const char *value)
{
	uint8		hash[PG_SHA256_DIGEST_LENGTH];

	retention_subject_hash(RETENTION_HASH_SUPPRESSION, kind, value, hash);
	return hash_to_bytea(hash);
}

PG_FUNCTION_INFO_V1(retention_suppress);

Datum
retention_suppress(PG_FUNCTION_ARGS)
{
	char	   *kind;
	char	   *value;
	char	   *reason;

	check_dsr_member();
	check_not_null(fcinfo, 0, "kind");
	check_not_null(fcinfo, 1, "value");
	kind = text_to_cstring(PG_GETARG_TEXT_PP(0));
	value = text_to_cstring(PG_GETARG_TEXT_PP(1));
	/* the one rule of export, erasure and holds: 22023 if it names nobody */
	(void) retention_check_identifier(kind, value);
	reason = PG_ARGISNULL(2) ? pstrdup("opt-out") : text_to_cstring(PG_GETARG_TEXT_PP(2));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (strcmp(reason, "erasure") == 0)
		retention_record_erasure(kind, value);
	else
		retention_suppress_identifier(kind, value, reason);
	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * retention_suppress_identifier
 *
 * Puts an identifier (kind, value; normalized here, and meaningful: the
 * caller checked) on the suppression list with a reason other than
 * "erasure" (e.g. "opt-out", or "retention" for rows enforcement deleted
 * under suppress=true), as a keyed hash.  Inside the caller's SPI
 * connection and transaction.
 */
void
retention_suppress_identifier(const char *kind, const char *value, const char *reason)
{
	Oid			types[3] = {TEXTOID, BYTEAOID, TEXTOID};
	Datum		values[3];

	if (retention_legacy_hashes())
	{
		uint8		hash[PG_SHA256_DIGEST_LENGTH];

		retention_subject_hash(RETENTION_HASH_SUPPRESSION, kind, value, hash);
		legacy_insert(kind, hash, reason);
		return;
	}
	values[0] = CStringGetTextDatum(kind);
	values[1] = PointerGetDatum(identifier_hash_datum(kind, value));
	values[2] = CStringGetTextDatum(reason);
	retention_exec_as_extension_owner("INSERT INTO retention.suppression (kind, identifier_hash, reason, hashed_with)"
									  " VALUES ($1, $2, $3, '0.2.0')"
									  " ON CONFLICT (kind, identifier_hash, reason) DO NOTHING",
									  3, types, values, NULL, SPI_OK_INSERT);
}

PG_FUNCTION_INFO_V1(retention_is_suppressed);

Datum
retention_is_suppressed(PG_FUNCTION_ARGS)
{
	Oid			types[3] = {TEXTOID, BYTEAOID, BYTEAOID};
	Datum		values[3];
	bool		found;
	char	   *kind = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *value = text_to_cstring(PG_GETARG_TEXT_PP(1));
	uint8		key[RETENTION_KEY_BYTES];
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	uint8		hash[PG_SHA256_DIGEST_LENGTH];

	/* an identifier that names nobody is on no list */
	if (!retention_identifier_is_meaningful(kind, retention_normalize_identifier(kind, value)))
		PG_RETURN_BOOL(false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	values[0] = PG_GETARG_DATUM(0);
	if (retention_legacy_hashes())
	{
		values[1] = PointerGetDatum(identifier_hash_datum(kind, value));
		retention_exec_as_extension_owner("SELECT 1 FROM retention.suppression WHERE kind OPERATOR(pg_catalog.=) $1"
										  " AND identifier_hash OPERATOR(pg_catalog.=) $2 LIMIT 1",
										  2, types, values, NULL, SPI_OK_SELECT);
	}
	else
	{
		/* rows restored from a 0.1.0 dump store the digest D itself */
		retention_load_key(key);
		retention_identifier_digest(key, kind, value, digest);
		retention_hash_from_digest(key, RETENTION_HASH_SUPPRESSION, digest, hash);
		values[1] = PointerGetDatum(hash_to_bytea(hash));
		values[2] = PointerGetDatum(hash_to_bytea(digest));
		explicit_bzero(digest, sizeof(digest));
		explicit_bzero(key, sizeof(key));
		retention_exec_as_extension_owner("SELECT 1 FROM retention.suppression WHERE kind OPERATOR(pg_catalog.=) $1"
										  " AND identifier_hash OPERATOR(pg_catalog.=) ANY (ARRAY[$2, $3])"
										  " AND hashed_with OPERATOR(pg_catalog.=) CASE WHEN identifier_hash OPERATOR(pg_catalog.=) $2"
										  "     THEN '0.2.0' ELSE '0.1.0' END LIMIT 1",
										  3, types, values, NULL, SPI_OK_SELECT);
	}
	found = SPI_processed > 0;
	SPI_finish();
	PG_RETURN_BOOL(found);
}

/*
 * The erasures as (kind, ledger_hash, added_at), one row per erasure
 * recorded.  Rows restored from a 0.1.0 dump (hashed_with '0.1.0') hold
 * 0.1.0's digests and no ledger hash: converted here as the update from
 * 0.1.0 converts them, erasures 0.1.0 logged only in its request log (an
 * erasure after an opt-out) included.
 */
#define LEDGER_ROWS \
	"SELECT s.kind, s.ledger_hash, s.added_at FROM retention.suppression s" \
	" WHERE s.reason OPERATOR(pg_catalog.=) 'erasure' AND s.hashed_with OPERATOR(pg_catalog.=) '0.2.0'" \
	" UNION ALL" \
	" SELECT s.kind, retention._rehash_legacy('erasure ledger', s.identifier_hash), s.added_at" \
	"  FROM retention.suppression s" \
	" WHERE s.reason OPERATOR(pg_catalog.=) 'erasure' AND s.hashed_with OPERATOR(pg_catalog.=) '0.1.0'" \
	" UNION ALL" \
	" SELECT pg_catalog.split_part(h.value, ':', 1)," \
	"        retention._rehash_legacy('erasure ledger'," \
	"            pg_catalog.decode(pg_catalog.split_part(h.value, ':', 2), 'hex'))," \
	"        r.requested_at" \
	"  FROM retention.dsr_request r, pg_catalog.unnest(r.identifier_hashes) AS h(value)" \
	" WHERE r.hashed_with OPERATOR(pg_catalog.=) '0.1.0'" \
	"   AND r.kind OPERATOR(pg_catalog.=) 'erase'" \
	"   AND r.outcome OPERATOR(pg_catalog.=) ANY (ARRAY['done', 'nothing found'])" \
	"   AND h.value OPERATOR(pg_catalog.~) '^[a-z][a-z0-9_]*:[0-9a-f]{64}$'"

/*
 * retention.erasure_ledger(since timestamptz DEFAULT NULL) RETURNS jsonb
 *
 * Every erasure recorded since since (all with NULL) as ledger hashes and
 * times, never identifiers:
 *	 {"format": "pg_retention erasure ledger", "version": 1,
 *	  "key_id": "<16 hex digits>", "since": ..., "generated_at": ...,
 *	  "erasures": [{"kind": "email", "hash": "<64 hex digits>",
 *					"erased_at": "..."}, ...]}
 * Members of retention_admin or retention_dsr.
 */
PG_FUNCTION_INFO_V1(retention_erasure_ledger);

Datum
retention_erasure_ledger(PG_FUNCTION_ARGS)
{
	Oid			admin = get_role_oid("retention_admin", true);
	Oid			dsr = get_role_oid("retention_dsr", true);
	uint8		key[RETENTION_KEY_BYTES];
	Oid			types[2] = {TIMESTAMPTZOID, TEXTOID};
	Datum		values[2];
	char		nulls[2] = {' ', ' '};
	bool		isnull;
	Datum		result;

	if (!superuser() &&
		!(OidIsValid(admin) && has_privs_of_role(GetUserId(), admin)) &&
		!(OidIsValid(dsr) && has_privs_of_role(GetUserId(), dsr)))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to read the erasure ledger"),
				 errhint("The erasure ledger is read by members of retention_admin or retention_dsr.")));
	retention_load_key(key);
	if (PG_ARGISNULL(0))
		nulls[0] = 'n';
	else
		values[0] = PG_GETARG_DATUM(0);
	values[1] = CStringGetTextDatum(retention_ledger_key_id(key));
	explicit_bzero(key, sizeof(key));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	retention_exec_as_extension_owner("SELECT pg_catalog.jsonb_build_object("
									  "  'format', '" LEDGER_FORMAT "',"
									  "  'version', " CppAsString2(LEDGER_VERSION) ","
									  "  'key_id', $2,"
									  "  'since', $1,"
									  "  'generated_at', pg_catalog.clock_timestamp(),"
									  "  'erasures', COALESCE(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object("
									  "      'kind', s.kind,"
									  "      'hash', pg_catalog.encode(s.ledger_hash, 'hex'),"
									  "      'erased_at', s.added_at)"
									  "    ORDER BY s.added_at, s.kind, s.ledger_hash), '[]'::pg_catalog.jsonb))"
									  "  FROM (SELECT e.kind, e.ledger_hash, pg_catalog.max(e.added_at) AS added_at"
									  "          FROM (" LEDGER_ROWS ") e"
									  "         GROUP BY e.kind, e.ledger_hash) s"
									  " WHERE $1 IS NULL OR s.added_at OPERATOR(pg_catalog.>=) $1",
									  2, types, values, nulls, SPI_OK_SELECT);
	result = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	result = SPI_datumTransfer(result, false, -1);
	SPI_finish();
	PG_RETURN_DATUM(result);
}

/* One entry of a ledger, by its hash. */
typedef struct LedgerEntry
{
	uint8		hash[PG_SHA256_DIGEST_LENGTH];	/* hash key */
	char	   *kind;
	TimestampTz erased_at;
	bool		found;			/* its identifier is stored somewhere here */
} LedgerEntry;

/* One stored identifier to erase again (kept in clear in memory only). */
typedef struct FoundIdentifier
{
	char	   *kind;
	char	   *value;
} FoundIdentifier;

/* What the erasures did to one table, summed. */
typedef struct TableTotals
{
	Oid			relid;
	int64		found;
	int64		deleted;
	int64		anonymized;
	int64		held;
	int64		kept;
	char	   *note;
} TableTotals;

static void
ledger_error(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("not an erasure ledger of pg_retention"),
			 errdetail("%s", detail),
			 errhint("Pass the unchanged result of retention.erasure_ledger() taken in the database whose erasures are to be reapplied.")));
}

/*
 * Reads and checks a ledger (its key id against this database's key) into
 * a hash table of LedgerEntry by hash; *kinds gets the kinds it names.
 */
static HTAB *
read_ledger(Jsonb *ledger, const uint8 *key, List **kinds)
{
	Oid			type = JSONBOID;
	Datum		value = JsonbPGetDatum(ledger);
	HASHCTL		ctl;
	HTAB	   *entries;
	MemoryContext caller = CurrentMemoryContext;
	char	   *key_id = retention_ledger_key_id(key);
	char	   *s;

	*kinds = NIL;
	if (SPI_execute_with_args("SELECT pg_catalog.jsonb_typeof($1),"
							  "       $1 OPERATOR(pg_catalog.->>) 'format',"
							  "       $1 OPERATOR(pg_catalog.->>) 'version',"
							  "       $1 OPERATOR(pg_catalog.->>) 'key_id',"
							  "       pg_catalog.jsonb_typeof($1 OPERATOR(pg_catalog.->) 'erasures')",
							  1, &type, &value, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the ledger");
	s = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	if (s == NULL || strcmp(s, "object") != 0)
		ledger_error("A ledger is a JSON object.");
	s = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
	if (s == NULL || strcmp(s, LEDGER_FORMAT) != 0)
		ledger_error("Its \"format\" is not \"" LEDGER_FORMAT "\".");
	s = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);
	if (s == NULL || strcmp(s, CppAsString2(LEDGER_VERSION)) != 0)
		ledger_error("Its \"version\" is not " CppAsString2(LEDGER_VERSION) ".");
	s = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 5);
	if (s == NULL || strcmp(s, "array") != 0)
		ledger_error("It has no \"erasures\" array.");
	s = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4);
	if (s == NULL || strcmp(s, key_id) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the erasure ledger was made with another key than this database's"),
				 errdetail("Ledger hashes are keyed with the database's secret (retention._secret); under another key they match nothing."),
				 errhint("Restore retention._secret from a dump of the database the ledger comes from, or take the ledger in a database that has this database's key.")));

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = PG_SHA256_DIGEST_LENGTH;
	ctl.entrysize = sizeof(LedgerEntry);
	ctl.hcxt = caller;
	entries = hash_create("pg_retention erasure ledger", 256, &ctl,
						  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	if (SPI_execute_with_args("SELECT e OPERATOR(pg_catalog.->>) 'kind',"
							  "       e OPERATOR(pg_catalog.->>) 'hash',"
							  "       (e OPERATOR(pg_catalog.->>) 'erased_at')::pg_catalog.timestamptz,"
							  "       pg_catalog.jsonb_typeof(e)"
							  "  FROM pg_catalog.jsonb_array_elements($1 OPERATOR(pg_catalog.->) 'erasures') e",
							  1, &type, &value, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the ledger");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *kind = SPI_getvalue(tuple, desc, 1);
		char	   *hex = SPI_getvalue(tuple, desc, 2);
		char	   *typ = SPI_getvalue(tuple, desc, 4);
		bool		isnull;
		Datum		when = SPI_getbinval(tuple, desc, 3, &isnull);
		uint8		hash[PG_SHA256_DIGEST_LENGTH];
		LedgerEntry *entry;
		bool		found;
		MemoryContext old;

		if (typ == NULL || strcmp(typ, "object") != 0 || kind == NULL || hex == NULL || isnull)
			ledger_error("Every erasure is an object with \"kind\", \"hash\" and \"erased_at\".");
		if (!(kind[0] >= 'a' && kind[0] <= 'z'))
			ledger_error("A \"kind\" is a lower-case word such as email or phone.");
		for (const char *p = kind; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
				ledger_error("A \"kind\" is a lower-case word such as email or phone.");
		if (strlen(hex) != 2 * PG_SHA256_DIGEST_LENGTH ||
			strspn(hex, "0123456789abcdef") != 2 * PG_SHA256_DIGEST_LENGTH)
			ledger_error("A \"hash\" is 64 lower-case hexadecimal digits.");
		hex_decode(hex, 2 * PG_SHA256_DIGEST_LENGTH, (char *) hash);
		entry = hash_search(entries, hash, HASH_ENTER, &found);
		old = MemoryContextSwitchTo(caller);
		if (!found)
		{
			entry->kind = pstrdup(kind);
			entry->erased_at = DatumGetTimestampTz(when);
			entry->found = false;
		}
		else if (DatumGetTimestampTz(when) > entry->erased_at)
			entry->erased_at = DatumGetTimestampTz(when);
		if (!list_member(*kinds, makeString(entry->kind)))
			*kinds = lappend(*kinds, makeString(pstrdup(kind)));
		MemoryContextSwitchTo(old);
	}
	return entries;
}

/*
 * Scans one subject column (tag) as its table's owner, row security
 * bypassed (as PostgreSQL's foreign-key checks do), and appends to *found
 * the stored identifiers whose ledger hash is in the ledger.  Values stay in
 * memory; nothing is logged.
 */
static void
scan_subject_column(RetentionTag *tag, const uint8 *key, HTAB *entries,
					HTAB *seen, List **found)
{
	const char *column = retention_deparse_column(tag->relid, tag->attnum);
	char	   *sql = psprintf("SELECT DISTINCT r.%s::pg_catalog.text FROM %s r WHERE r.%s IS NOT NULL",
							   column, retention_deparse_relation(tag->relid), column);
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext batch;
	uint8		ledger_key[RETENTION_KEY_BYTES];
	Oid			save_userid;
	int			save_sec;
	int			nestlevel;
	Portal		portal;

	retention_purpose_key(key, RETENTION_HASH_LEDGER, ledger_key);
	/* as the table's owner, row security bypassed (as_owner.c) */
	if (!retention_begin_as_probe_owner(tag->relid, &nestlevel, &save_userid, &save_sec))
		return;
	portal = SPI_cursor_open_with_args(NULL, sql, 0, NULL, NULL, NULL, true, 0);
	batch = AllocSetContextCreate(caller, "pg_retention ledger scan", ALLOCSET_DEFAULT_SIZES);
	for (;;)
	{
		MemoryContext old;

		SPI_cursor_fetch(portal, true, SCAN_BATCH);
		if (SPI_processed == 0)
			break;
		old = MemoryContextSwitchTo(batch);
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			char	   *value = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
			char	   *normalized;
			uint8		digest[PG_SHA256_DIGEST_LENGTH];
			uint8		ledger[PG_SHA256_DIGEST_LENGTH];
			LedgerEntry *entry;

			if (value == NULL)
				continue;
			normalized = retention_normalize_identifier(tag->label.subject, value);
			/* a value that normalizes to nothing meaningful names nobody */
			if (!retention_identifier_is_meaningful(tag->label.subject, normalized))
				continue;
			retention_identifier_digest(key, tag->label.subject, value, digest);
			retention_hash_with_key(ledger_key, digest, ledger);
			entry = hash_search(entries, ledger, HASH_FIND, NULL);
			if (entry != NULL && strcmp(entry->kind, tag->label.subject) == 0)
			{
				bool		dup;

				/* one erasure per identifier, whichever column holds it */
				hash_search(seen, ledger, HASH_ENTER, &dup);
				entry->found = true;
				if (!dup)
				{
					MemoryContext in_batch = MemoryContextSwitchTo(caller);
					FoundIdentifier *id = palloc(sizeof(FoundIdentifier));

					id->kind = pstrdup(tag->label.subject);
					id->value = pstrdup(value);
					*found = lappend(*found, id);
					MemoryContextSwitchTo(in_batch);
				}
			}
			explicit_bzero(digest, sizeof(digest));
			explicit_bzero(value, strlen(value));
		}
		MemoryContextSwitchTo(old);
		MemoryContextReset(batch);
		SPI_freetuptable(SPI_tuptable);
	}
	MemoryContextDelete(batch);
	SPI_cursor_close(portal);
	explicit_bzero(ledger_key, sizeof(ledger_key));
	retention_end_as_owner(nestlevel, save_userid, save_sec);
}

static TableTotals *
totals_for(List **totals, Oid relid)
{
	ListCell   *lc;
	TableTotals *t;

	foreach(lc, *totals)
	{
		t = lfirst(lc);
		if (t->relid == relid)
			return t;
	}
	t = palloc0(sizeof(TableTotals));
	t->relid = relid;
	*totals = lappend(*totals, t);
	return t;
}

/*
 * Erases one stored identifier again with retention.erase_subject() (as the
 * caller, so its own checks apply) and adds what it did to *totals.
 */
static void
erase_again(FoundIdentifier *id, List **totals, MemoryContext caller, bool with_kept)
{
	StringInfoData json;
	Oid			type = JSONBOID;
	Datum		value;

	initStringInfo(&json);
	appendStringInfoChar(&json, '{');
	escape_json(&json, id->kind);
	appendStringInfoString(&json, ": ");
	escape_json(&json, id->value);
	appendStringInfoChar(&json, '}');
	value = DirectFunctionCall1(jsonb_in, CStringGetDatum(json.data));
	/* before ALTER EXTENSION UPDATE, rows_held counts kept rows too */
	if (SPI_execute_with_args(with_kept ?
							  "SELECT table_name::pg_catalog.oid, rows_found, rows_deleted,"
							  "       rows_anonymized, rows_held, note, rows_kept"
							  "  FROM retention.erase_subject($1)" :
							  "SELECT table_name::pg_catalog.oid, rows_found, rows_deleted,"
							  "       rows_anonymized, rows_held, note"
							  "  FROM retention.erase_subject($1)",
							  1, &type, &value, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not erase a subject again");
	explicit_bzero(json.data, json.len);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Oid			relid = DatumGetObjectId(SPI_getbinval(tuple, desc, 1, &isnull));
		MemoryContext old = MemoryContextSwitchTo(caller);
		TableTotals *t = totals_for(totals, relid);
		char	   *note = SPI_getvalue(tuple, desc, 6);

		t->found += DatumGetInt64(SPI_getbinval(tuple, desc, 2, &isnull));
		t->deleted += DatumGetInt64(SPI_getbinval(tuple, desc, 3, &isnull));
		t->anonymized += DatumGetInt64(SPI_getbinval(tuple, desc, 4, &isnull));
		t->held += DatumGetInt64(SPI_getbinval(tuple, desc, 5, &isnull));
		if (with_kept)
			t->kept += DatumGetInt64(SPI_getbinval(tuple, desc, 7, &isnull));
		if (note != NULL && t->note == NULL)
			t->note = pstrdup(note);
		MemoryContextSwitchTo(old);
	}
}

/*
 * erase_again_or_skip
 *
 * erase_again in a subtransaction: an identifier erase_subject refuses as
 * meaningless (22023; stored before that rule, or erased by 0.1.0) is
 * skipped and false returned; any other error is raised.
 */
static bool
erase_again_or_skip(FoundIdentifier *id, List **totals, MemoryContext caller,
					bool with_kept)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	bool		done = true;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcontext);
	PG_TRY();
	{
		erase_again(id, totals, caller, with_kept);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcontext);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcontext);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcontext);
		CurrentResourceOwner = oldowner;
		if (edata->sqlerrcode != ERRCODE_INVALID_PARAMETER_VALUE)
			ReThrowError(edata);
		FreeErrorData(edata);
		done = false;
	}
	PG_END_TRY();
	return done;
}

/*
 * retention.reapply_erasures(ledger jsonb, OUT table_name regclass,
 *		OUT rows_found bigint, OUT rows_deleted bigint,
 *		OUT rows_anonymized bigint, OUT rows_held bigint,
 *		OUT rows_kept bigint, OUT note text)
 *		RETURNS SETOF record
 *
 * Erases again, in this database (restored from an older backup), every
 * person of the ledger whose data came back, with the same holds and rules
 * as erase_subject (one erase_subject call per stored identifier found),
 * and puts every ledger entry back on the suppression list.  Returns what
 * the erasures did per table.  Members of retention_dsr; in the caller's
 * transaction.
 */
PG_FUNCTION_INFO_V1(retention_reapply_erasures);

/* Result columns: 0.2.0, and before the 86_erasure_report fragment */
#define REAPPLY_COLS		7
#define REAPPLY_COLS_OLD	6

Datum
retention_reapply_erasures(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext caller = CurrentMemoryContext;
	uint8		key[RETENTION_KEY_BYTES];
	List	   *kinds;
	List	   *found = NIL;
	List	   *totals = NIL;
	HTAB	   *entries;
	HTAB	   *seen;
	HASHCTL		ctl;
	HASH_SEQ_STATUS status;
	LedgerEntry *entry;
	long		matched = 0;
	long		skipped = 0;
	int			natts;
	ListCell   *lc;

	check_dsr_member();
	check_not_null(fcinfo, 0, "ledger");
	if (!retention_extension_exists())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"pg_retention\" is not installed in this database"),
				 errhint("Run CREATE EXTENSION pg_retention first.")));
	InitMaterializedSRF(fcinfo, 0);
	/* the 0.1.0--0.2.0 update defines it without rows_kept until 86 runs */
	natts = rsinfo->setDesc->natts;
	if (natts != REAPPLY_COLS && natts != REAPPLY_COLS_OLD)
		elog(ERROR, "retention.reapply_erasures() has %d result columns, expected %d",
			 natts, REAPPLY_COLS);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	retention_load_key(key);
	entries = read_ledger(PG_GETARG_JSONB_P(0), key, &kinds);

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = PG_SHA256_DIGEST_LENGTH;
	ctl.entrysize = PG_SHA256_DIGEST_LENGTH;
	ctl.hcxt = caller;
	seen = hash_create("pg_retention identifiers found", 64, &ctl,
					   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	foreach(lc, retention_read_tags(true, true))
	{
		RetentionTag *tag = lfirst(lc);

		if (tag->problem.sqlerrcode != 0 || tag->attnum <= 0 || tag->label.subject == NULL ||
			!list_member(kinds, makeString(tag->label.subject)))
			continue;
		scan_subject_column(tag, key, entries, seen, &found);
	}

	foreach(lc, found)
		if (!erase_again_or_skip(lfirst(lc), &totals, caller, natts == REAPPLY_COLS))
		skipped++;

	/* every ledger entry back on the suppression list, found or not */
	hash_seq_init(&status, entries);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		add_erasure(key, entry->kind, entry->hash, entry->erased_at);
		if (entry->found)
			matched++;
	}
	explicit_bzero(key, sizeof(key));
	if (skipped > 0)
		ereport(WARNING,
				(errmsg("%ld stored identifiers of the ledger were not erased again", skipped),
				 errdetail("erase_subject refuses them as identifiers that match nothing meaningful."),
				 errhint("Find and remove such values by hand; they are on the suppression list.")));
	ereport(NOTICE,
			(errmsg("%ld of %ld erasures of the ledger found data in this database",
					matched, hash_get_num_entries(entries)),
			 errdetail("Every identifier of the ledger is on the suppression list.")));

	foreach(lc, totals)
	{
		TableTotals *t = lfirst(lc);
		Datum		values[REAPPLY_COLS];
		bool		nulls[REAPPLY_COLS];
		MemoryContext old = MemoryContextSwitchTo(caller);

		memset(nulls, false, sizeof(nulls));
		values[0] = ObjectIdGetDatum(t->relid);
		values[1] = Int64GetDatum(t->found);
		values[2] = Int64GetDatum(t->deleted);
		values[3] = Int64GetDatum(t->anonymized);
		values[4] = Int64GetDatum(natts == REAPPLY_COLS ? t->held : t->held + t->kept);
		if (natts == REAPPLY_COLS)
			values[5] = Int64GetDatum(t->kept);
		if (t->note)
			values[natts - 1] = CStringGetTextDatum(t->note);
		else
			nulls[natts - 1] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		MemoryContextSwitchTo(old);
	}
	foreach(lc, found)
	{
		FoundIdentifier *id = lfirst(lc);

		explicit_bzero(id->value, strlen(id->value));
	}
	SPI_finish();
	return (Datum) 0;
}
