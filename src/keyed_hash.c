/*-------------------------------------------------------------------------
 *
 * src/keyed_hash.c
 *	  The per-database secret key and everything keyed with it: HMAC-SHA-256
 *	  pseudonyms (action=hash) and hashes of data subject identifiers (legal
 *	  holds, the suppression list).
 *
 * The key is 32 random bytes in retention._secret, created at CREATE
 * EXTENSION, readable by no ordinary role (REVOKE ALL FROM PUBLIC) and read
 * here directly, without a privilege check.  Nothing SQL-callable returns a
 * keyed value to an arbitrary caller: the pseudonym functions work only
 * inside an enforcement batch, and identifier hashes only reach SECURITY
 * DEFINER functions of the extension.
 *
 * Pseudonyms carry a keyed check value, so that "already a pseudonym" is
 * decided with a 2^-32 error rate rather than by the shape of the value (a
 * column of 64-hex-digit device tokens must still be pseudonymized).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "common/hmac.h"
#include "common/sha2.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/uuid.h"

#include "pg_retention.h"

#define CHECK_HEX_CHARS		8	/* hex pseudonyms: trailing check digits */
#define CHECK_BYTES			4	/* binary pseudonyms: trailing check bytes */

static const char hexdigits[] = "0123456789abcdef";

/*
 * retention_load_key
 *
 * Reads the 32-byte key of this database into key[].  Bypasses privileges on
 * purpose (the table is readable by no ordinary role).
 */
void
retention_load_key(uint8 *key)
{
	Oid			nsp = get_namespace_oid(RETENTION_SCHEMA, false);
	Oid			relid = get_relname_relid("_secret", nsp);
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tuple;
	Snapshot	snapshot;
	bool		found = false;

	if (!OidIsValid(relid))
		elog(ERROR, "retention._secret is missing");
	rel = table_open(relid, AccessShareLock);
	snapshot = RegisterSnapshot(GetLatestSnapshot());
	scan = table_beginscan(rel, snapshot, 0, NULL);
	while ((tuple = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		bool		isnull;
		Datum		value = heap_getattr(tuple, 2, RelationGetDescr(rel), &isnull);
		bytea	   *bytes;

		if (isnull)
			continue;
		bytes = DatumGetByteaPP(value);
		if (VARSIZE_ANY_EXHDR(bytes) != RETENTION_KEY_BYTES)
			continue;
		memcpy(key, VARDATA_ANY(bytes), RETENTION_KEY_BYTES);
		found = true;
		break;
	}
	table_endscan(scan);
	UnregisterSnapshot(snapshot);
	table_close(rel, AccessShareLock);
	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pg_retention's secret key is missing"),
				 errhint("Reinstall the extension, or restore retention._secret from a dump of this database.")));
}

/* HMAC-SHA-256 of (prefix, data) under key; out has 32 bytes. */
void
retention_hmac(const uint8 *key, const char *prefix, const void *data,
			   size_t len, uint8 *out)
{
	pg_hmac_ctx *ctx = pg_hmac_create(PG_SHA256);

	if (ctx == NULL ||
		pg_hmac_init(ctx, key, RETENTION_KEY_BYTES) < 0 ||
		pg_hmac_update(ctx, (const uint8 *) prefix, strlen(prefix)) < 0 ||
		pg_hmac_update(ctx, (const uint8 *) data, len) < 0 ||
		pg_hmac_final(ctx, out, PG_SHA256_DIGEST_LENGTH) < 0)
		elog(ERROR, "could not compute HMAC: %s", ctx ? pg_hmac_error(ctx) : "out of memory");
	pg_hmac_free(ctx);
}

/*
 * retention_normalize_identifier
 *
 * The form in which identifiers of a kind are compared: e-mail addresses
 * trimmed and lower-cased; phone numbers reduced to their digits with a
 * leading "+" (a leading "00" is the international prefix); anything else
 * trimmed.
 */
char *
retention_normalize_identifier(const char *kind, const char *value)
{
	StringInfoData buf;
	const char *p = value;
	const char *end = value + strlen(value);

	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
		end--;
	initStringInfo(&buf);
	if (strcmp(kind, "phone") == 0)
	{
		appendStringInfoChar(&buf, '+');
		if (end - p >= 2 && p[0] == '0' && p[1] == '0')
			p += 2;
		for (; p < end; p++)
			if (*p >= '0' && *p <= '9')
				appendStringInfoChar(&buf, *p);
	}
	else if (strcmp(kind, "email") == 0)
	{
		for (; p < end; p++)
			appendStringInfoChar(&buf, pg_ascii_tolower((unsigned char) *p));
	}
	else
		appendBinaryStringInfo(&buf, p, end - p);
	return buf.data;
}

/* The keyed hash of a subject identifier: 32 bytes. */
void
retention_identifier_hash(const uint8 *key, const char *kind,
						  const char *value, uint8 *out)
{
	char	   *normalized = retention_normalize_identifier(kind, value);
	char	   *prefix = psprintf("subject:%s:", kind);

	retention_hmac(key, prefix, normalized, strlen(normalized), out);
}

/*
 * Fills out[0..len) with a keyed pseudonym of data: the digest, then a check
 * over the digest (see the file header).  Binary form: len <= 32 bytes.
 */
static void
pseudonym_bytes(const uint8 *key, const void *data, size_t datalen,
				uint8 *out, int len)
{
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	uint8		check[PG_SHA256_DIGEST_LENGTH];

	retention_hmac(key, "pseudonym:", data, datalen, digest);
	memcpy(out, digest, len - CHECK_BYTES);
	retention_hmac(key, "check:", out, len - CHECK_BYTES, check);
	memcpy(out + len - CHECK_BYTES, check, CHECK_BYTES);
}

static bool
is_pseudonym_bytes(const uint8 *key, const uint8 *value, int len)
{
	uint8		check[PG_SHA256_DIGEST_LENGTH];

	if (len <= CHECK_BYTES)
		return false;
	retention_hmac(key, "check:", value, len - CHECK_BYTES, check);
	return memcmp(value + len - CHECK_BYTES, check, CHECK_BYTES) == 0;
}

/* Hex form: len characters, the last CHECK_HEX_CHARS a check. */
static char *
pseudonym_hex(const uint8 *key, const char *data, size_t datalen, int len)
{
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	uint8		check[PG_SHA256_DIGEST_LENGTH];
	char	   *out = palloc(len + 1);
	int			body = len - CHECK_HEX_CHARS;
	int			i;

	retention_hmac(key, "pseudonym:", data, datalen, digest);
	for (i = 0; i < body; i++)
		out[i] = hexdigits[(digest[i / 2] >> ((i % 2) ? 0 : 4)) & 0xF];
	retention_hmac(key, "check:", out, body, check);
	for (i = 0; i < CHECK_HEX_CHARS; i++)
		out[body + i] = hexdigits[(check[i / 2] >> ((i % 2) ? 0 : 4)) & 0xF];
	out[len] = '\0';
	return out;
}

static bool
is_pseudonym_hex(const uint8 *key, const char *value, int vlen, int len)
{
	uint8		check[PG_SHA256_DIGEST_LENGTH];
	int			body = len - CHECK_HEX_CHARS;
	int			i;

	if (vlen != len)
		return false;
	for (i = 0; i < vlen; i++)
		if (!((value[i] >= '0' && value[i] <= '9') || (value[i] >= 'a' && value[i] <= 'f')))
			return false;
	retention_hmac(key, "check:", value, body, check);
	for (i = 0; i < CHECK_HEX_CHARS; i++)
		if (value[body + i] != hexdigits[(check[i / 2] >> ((i % 2) ? 0 : 4)) & 0xF])
			return false;
	return true;
}

/* Length of a hex pseudonym for a column of at most maxlen characters. */
static int
hex_length(int32 maxlen)
{
	if (maxlen <= 0 || maxlen > 2 * PG_SHA256_DIGEST_LENGTH)
		return 2 * PG_SHA256_DIGEST_LENGTH;
	return maxlen;
}

/*
 * retention._pseudonym(value text, maxlen integer, token bigint) RETURNS text
 * retention._is_pseudonym(value text, maxlen integer, token bigint) RETURNS boolean
 * retention._pseudonym_bytea(bytea, token) / _is_pseudonym_bytea(bytea, token)
 * retention._pseudonym_uuid(uuid, token) / _is_pseudonym_uuid(uuid, token)
 *
 * The keyed pseudonym of a value and the test for one; only inside an
 * enforcement batch, with its token (they would otherwise be an oracle for
 * the key).
 */
PG_FUNCTION_INFO_V1(retention_pseudonym_text);
PG_FUNCTION_INFO_V1(retention_is_pseudonym_text);
PG_FUNCTION_INFO_V1(retention_pseudonym_bytea);
PG_FUNCTION_INFO_V1(retention_is_pseudonym_bytea);
PG_FUNCTION_INFO_V1(retention_pseudonym_uuid);
PG_FUNCTION_INFO_V1(retention_is_pseudonym_uuid);

Datum
retention_pseudonym_text(PG_FUNCTION_ARGS)
{
	text	   *value = PG_GETARG_TEXT_PP(0);
	const uint8 *key = retention_executor_key(PG_GETARG_INT64(2));

	PG_RETURN_TEXT_P(cstring_to_text(pseudonym_hex(key, VARDATA_ANY(value),
												   VARSIZE_ANY_EXHDR(value),
												   hex_length(PG_GETARG_INT32(1)))));
}

Datum
retention_is_pseudonym_text(PG_FUNCTION_ARGS)
{
	text	   *value = PG_GETARG_TEXT_PP(0);
	const uint8 *key = retention_executor_key(PG_GETARG_INT64(2));

	PG_RETURN_BOOL(is_pseudonym_hex(key, VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value),
									hex_length(PG_GETARG_INT32(1))));
}

Datum
retention_pseudonym_bytea(PG_FUNCTION_ARGS)
{
	bytea	   *value = PG_GETARG_BYTEA_PP(0);
	const uint8 *key = retention_executor_key(PG_GETARG_INT64(1));
	bytea	   *result = palloc(VARHDRSZ + PG_SHA256_DIGEST_LENGTH);

	SET_VARSIZE(result, VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	pseudonym_bytes(key, VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value),
					(uint8 *) VARDATA(result), PG_SHA256_DIGEST_LENGTH);
	PG_RETURN_BYTEA_P(result);
}

Datum
retention_is_pseudonym_bytea(PG_FUNCTION_ARGS)
{
	bytea	   *value = PG_GETARG_BYTEA_PP(0);
	const uint8 *key = retention_executor_key(PG_GETARG_INT64(1));

	PG_RETURN_BOOL(VARSIZE_ANY_EXHDR(value) == PG_SHA256_DIGEST_LENGTH &&
				   is_pseudonym_bytes(key, (const uint8 *) VARDATA_ANY(value),
									  PG_SHA256_DIGEST_LENGTH));
}

Datum
retention_pseudonym_uuid(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *value = PG_GETARG_UUID_P(0);
	const uint8 *key = retention_executor_key(PG_GETARG_INT64(1));
	pg_uuid_t  *result = palloc(sizeof(pg_uuid_t));

	pseudonym_bytes(key, value->data, UUID_LEN, result->data, UUID_LEN);
	PG_RETURN_UUID_P(result);
}

Datum
retention_is_pseudonym_uuid(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *value = PG_GETARG_UUID_P(0);
	const uint8 *key = retention_executor_key(PG_GETARG_INT64(1));

	PG_RETURN_BOOL(is_pseudonym_bytes(key, value->data, UUID_LEN));
}

/*
 * retention._new_key() RETURNS bytea: 32 bytes from the strong random
 * source, for the install script.
 */
PG_FUNCTION_INFO_V1(retention_new_key);

Datum
retention_new_key(PG_FUNCTION_ARGS)
{
	bytea	   *result = palloc(VARHDRSZ + RETENTION_KEY_BYTES);

	SET_VARSIZE(result, VARHDRSZ + RETENTION_KEY_BYTES);
	if (!pg_strong_random(VARDATA(result), RETENTION_KEY_BYTES))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate a random key"),
				 errhint("Check the server's source of random numbers.")));
	PG_RETURN_BYTEA_P(result);
}

/*
 * retention.normalize_identifier(kind text, value text) RETURNS text
 *
 * The normalized form in which identifiers of that kind are matched.
 */
PG_FUNCTION_INFO_V1(retention_normalize_identifier_sql);

Datum
retention_normalize_identifier_sql(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(
									 retention_normalize_identifier(text_to_cstring(PG_GETARG_TEXT_PP(0)),
																	text_to_cstring(PG_GETARG_TEXT_PP(1)))));
}

/*
 * retention._identifier_hash(kind text, value text) RETURNS bytea
 *
 * The keyed hash under which holds and the suppression list store an
 * identifier.  EXECUTE is revoked from PUBLIC: only the extension's
 * SECURITY DEFINER functions call it.
 */
PG_FUNCTION_INFO_V1(retention_identifier_hash_sql);

Datum
retention_identifier_hash_sql(PG_FUNCTION_ARGS)
{
	uint8		key[RETENTION_KEY_BYTES];
	bytea	   *result = palloc(VARHDRSZ + PG_SHA256_DIGEST_LENGTH);

	retention_load_key(key);
	SET_VARSIZE(result, VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	retention_identifier_hash(key, text_to_cstring(PG_GETARG_TEXT_PP(0)),
							  text_to_cstring(PG_GETARG_TEXT_PP(1)),
							  (uint8 *) VARDATA(result));
	explicit_bzero(key, sizeof(key));
	PG_RETURN_BYTEA_P(result);
}
