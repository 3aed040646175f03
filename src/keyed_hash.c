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
#include "common/unicode_norm.h"
#include "common/sha2.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "parser/scansup.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/uuid.h"

#include "pg_retention.h"
#include "unicode_lower_table.h"

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
 * Unicode white space (the White_Space property) and the invisible
 * characters that copy and paste leaves around an address (zero-width
 * space, word joiner, byte order mark, Mongolian vowel separator).
 */
static bool
is_trimmed_char(pg_wchar c)
{
	return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 ||
		c == 0x1680 || c == 0x180E || (c >= 0x2000 && c <= 0x200B) ||
		c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
		c == 0x2060 || c == 0x3000 || c == 0xFEFF;
}

/* Simple Unicode lower case of a code point (unicode_lower_table.h). */
static pg_wchar
unicode_lower(pg_wchar c)
{
	int			lo = 0;
	int			hi = lengthof(unicode_lower_ranges) - 1;

	if (c < 0x80)
		return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		const UnicodeLowerRange *r = &unicode_lower_ranges[mid];

		if (c < r->first)
			hi = mid - 1;
		else if (c > r->last)
			lo = mid + 1;
		else
			return ((c - r->first) % r->step == 0) ? (pg_wchar) ((int32) c + r->delta) : c;
	}
	return c;
}

/* value as a zero-terminated array of code points (UTF-8 input) */
static pg_wchar *
utf8_to_wchars(const char *value, int *len)
{
	int			bytes = strlen(value);
	pg_wchar   *out = palloc(sizeof(pg_wchar) * (bytes + 1));

	*len = pg_encoding_mb2wchar_with_len(PG_UTF8, value, out, bytes);
	out[*len] = 0;
	return out;
}

static pg_wchar *
normalize_wchars(UnicodeNormalizationForm form, pg_wchar *in, int *len)
{
	pg_wchar   *out;
	int			n = 0;

	/* most input is normalized already: the quick check says so cheaply */
	if (unicode_is_normalized_quickcheck(form, in) == UNICODE_NORM_QC_YES)
	{
		while (in[n])
			n++;
		*len = n;
		return in;
	}
	out = unicode_normalize(form, in);

	if (out == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	while (out[n])
		n++;
	*len = n;
	return out;
}

/*
 * The UTF-8 steps of retention_normalize_identifier (see there); appends
 * the result to buf.
 */
static void
normalize_utf8(const char *kind, const char *value, StringInfo buf)
{
	bool		phone = strcmp(kind, "phone") == 0;
	bool		email = strcmp(kind, "email") == 0;
	int			len;
	pg_wchar   *w;
	int			start = 0;
	int			end;
	const unsigned char *p;

	/*
	 * ASCII only (most identifiers): every normal form is the text itself,
	 * and only ASCII white space and letters are involved.  Same result as
	 * below, much faster (index builds call this once per row).
	 */
	for (p = (const unsigned char *) value; *p && !IS_HIGHBIT_SET(*p); p++)
		;
	if (*p == '\0')
	{
		const char *b = value;
		const char *e = (const char *) p;

		while (b < e && is_trimmed_char((unsigned char) *b))
			b++;
		while (e > b && is_trimmed_char((unsigned char) e[-1]))
			e--;
		if (phone)
		{
			appendStringInfoChar(buf, '+');
			if (e - b >= 2 && b[0] == '0' && b[1] == '0')
				b += 2;
			for (; b < e; b++)
				if (*b >= '0' && *b <= '9')
					appendStringInfoChar(buf, *b);
		}
		else if (email)
			for (; b < e; b++)
				appendStringInfoChar(buf, pg_ascii_tolower((unsigned char) *b));
		else
			appendBinaryStringInfo(buf, b, e - b);
		return;
	}

	w = utf8_to_wchars(value, &len);
	w = normalize_wchars((phone || email) ? UNICODE_NFKC : UNICODE_NFC, w, &len);
	end = len;
	while (start < end && is_trimmed_char(w[start]))
		start++;
	while (end > start && is_trimmed_char(w[end - 1]))
		end--;
	if (phone)
	{
		appendStringInfoChar(buf, '+');
		if (end - start >= 2 && w[start] == '0' && w[start + 1] == '0')
			start += 2;
		for (int i = start; i < end; i++)
			if (w[i] >= '0' && w[i] <= '9')
				appendStringInfoChar(buf, (char) w[i]);
		return;
	}
	if (email)
	{
		/* lower-casing can leave a string that is not NFKC: normalize again */
		for (int i = start; i < end; i++)
			w[i] = unicode_lower(w[i]);
		w[end] = 0;
		w = normalize_wchars(UNICODE_NFKC, w + start, &len);
		start = 0;
		end = len;
	}
	for (int i = start; i < end; i++)
	{
		unsigned char utf8[8];

		unicode_to_utf8(w[i], utf8);
		appendBinaryStringInfo(buf, (char *) utf8, pg_utf_mblen(utf8));
	}
}

/*
 * retention_normalize_identifier
 *
 * The form in which identifiers of a kind are compared (and hashed), the
 * same in every UTF-8 database whatever its collation:
 *	- email: Unicode NFKC, Unicode white space trimmed, every letter
 *	  lower-cased with Unicode's simple case mapping, NFKC again;
 *	- phone: NFKC (full-width digits become digits), trimmed, then "+" and
 *	  the ASCII digits (a leading "00" is the international prefix);
 *	- any other kind: NFC, trimmed.
 * In a database of another encoding only ASCII letters are lower-cased and
 * only ASCII white space is trimmed.  The result may be meaningless ("",
 * "+"): see retention_identifier_is_meaningful.
 */
char *
retention_normalize_identifier(const char *kind, const char *value)
{
	StringInfoData buf;
	const char *p = value;
	const char *end = value + strlen(value);

	initStringInfo(&buf);
	if (GetDatabaseEncoding() == PG_UTF8)
	{
		normalize_utf8(kind, value, &buf);
		return buf.data;
	}
	while (p < end && scanner_isspace(*p))
		p++;
	while (end > p && scanner_isspace(end[-1]))
		end--;
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

/*
 * retention_identifier_is_meaningful
 *
 * Whether a normalized identifier can name one person: not empty; a phone
 * number has at least one digit; an e-mail address has exactly one "@"
 * with text on both sides.  The one rule of export, erasure, holds and the
 * suppression list: a request with a meaningless identifier is refused
 * (retention_check_identifier), and a stored value that normalizes to
 * something meaningless never equals a meaningful one.
 */
bool
retention_identifier_is_meaningful(const char *kind, const char *normalized)
{
	if (normalized[0] == '\0')
		return false;
	if (strcmp(kind, "phone") == 0)
		return strspn(normalized + 1, "0123456789") > 0;
	if (strcmp(kind, "email") == 0)
	{
		const char *at = strchr(normalized, '@');

		return at != NULL && at != normalized && at[1] != '\0' &&
			strchr(at + 1, '@') == NULL;
	}
	return true;
}

/*
 * retention_check_identifier
 *
 * Normalizes a requested identifier and returns it, or raises 22023 if it
 * is meaningless (never quoting the value).
 */
char *
retention_check_identifier(const char *kind, const char *value)
{
	char	   *normalized = retention_normalize_identifier(kind, value);

	if (!retention_identifier_is_meaningful(kind, normalized))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("identifier of kind \"%s\" names nobody", kind),
				 errdetail("%s",
						   normalized[0] == '\0' ? "The value is empty once white space is trimmed." :
						   strcmp(kind, "phone") == 0 ? "A phone number needs at least one digit." :
						   "An e-mail address needs exactly one \"@\" with text on both sides."),
				 errhint("Pass the identifier as the person gave it, e.g. '{\"email\": \"ana@example.com\"}' or '{\"phone\": \"+385 91 123 4567\"}'.")));
	return normalized;
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
