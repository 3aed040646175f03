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
#include "access/xact.h"
#include "catalog/namespace.h"
#include "common/hmac.h"
#include "common/unicode_norm.h"
#include "common/sha2.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "parser/scansup.h"
#include "storage/proc.h"
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

static void check_key(const uint8 *key);

/*
 * The value of the one row of retention.relname (_secret, _key_check: an
 * id and a varlena column), copied, or NULL when the table or its row is
 * absent.  Read with the latest snapshot, bypassing privileges on purpose
 * (neither table is readable by an ordinary role).
 */
static struct varlena *
one_row_value(const char *relname)
{
	Oid			relid = get_relname_relid(relname, get_namespace_oid(RETENTION_SCHEMA, false));
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tuple;
	Snapshot	snapshot;
	struct varlena *result = NULL;

	if (!OidIsValid(relid))
		return NULL;
	rel = table_open(relid, AccessShareLock);
	snapshot = RegisterSnapshot(GetLatestSnapshot());
	scan = table_beginscan(rel, snapshot, 0, NULL);
	if ((tuple = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		bool		isnull;
		Datum		value = heap_getattr(tuple, 2, RelationGetDescr(rel), &isnull);

		if (!isnull)
			result = PG_DETOAST_DATUM_COPY(value);
	}
	table_endscan(scan);
	UnregisterSnapshot(snapshot);
	table_close(rel, AccessShareLock);
	return result;
}

/* Reads the 32-byte key of this database into key[]. */
static void
load_key_unchecked(uint8 *key)
{
	struct varlena *bytes = one_row_value("_secret");

	if (bytes == NULL || VARSIZE_ANY_EXHDR(bytes) != RETENTION_KEY_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pg_retention's secret key is missing"),
				 errhint("Reinstall the extension, or restore retention._secret from a dump of this database.")));
	memcpy(key, VARDATA_ANY(bytes), RETENTION_KEY_BYTES);
	explicit_bzero(bytes, VARSIZE_ANY(bytes));
	pfree(bytes);
}

/*
 * retention_load_key
 *
 * The key of this database, once it is known to be the one the stored
 * hashes were made with (check_key).
 */
void
retention_load_key(uint8 *key)
{
	load_key_unchecked(key);
	check_key(key);
}

/*
 * The id of the key the stored hashes were made with (retention._key_check,
 * absent before the 0.2.0 update), or NULL.
 */
static char *
stored_key_id(void)
{
	struct varlena *id = one_row_value("_key_check");

	return id ? text_to_cstring((text *) id) : NULL;
}

/*
 * A restore that loaded the holds, the suppression list and the ledger of a
 * dump but not its key (retention._secret left out) would leave them made
 * with another key than the one in use: every hold and suppression would
 * then match no one, silently.  Refused instead, everywhere the key is used.
 */
static void
check_key(const uint8 *key)
{
	/* once per command: is_suppressed() loads the key for every row it checks */
	static LocalTransactionId checked_in = InvalidLocalTransactionId;
	static CommandId checked_at = InvalidCommandId;
	char	   *stored;
	char	   *current;

	if (checked_in == MyProc->lxid && checked_at == GetCurrentCommandId(false))
		return;
	stored = stored_key_id();
	if (stored == NULL)
		return;
	current = retention_ledger_key_id(key);
	if (strcmp(stored, current) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pg_retention's key is not the one its holds and suppression list were made with"),
				 errdetail("They were made with key %s; retention._secret holds key %s. A restore loaded them without their key.",
						   stored, current),
				 errhint("Restore retention._secret from the same dump, as a superuser (pg_restore --data-only -n retention -t _secret). Until then enforcement, erasure, export and the suppression list stop: held data would not be held.")));

	/*
	 * the key changes within a command only in _secret_restore, which reads
	 * it unchecked
	 */
	checked_in = MyProc->lxid;
	checked_at = GetCurrentCommandId(false);
}

/*
 * retention._key_id() RETURNS text
 *
 * The id of this database's key (as erasure ledgers name it), for
 * retention._key_check.
 */
PG_FUNCTION_INFO_V1(retention_key_id);

Datum
retention_key_id(PG_FUNCTION_ARGS)
{
	uint8		key[RETENTION_KEY_BYTES];
	char	   *id;

	load_key_unchecked(key);
	id = retention_ledger_key_id(key);
	explicit_bzero(key, sizeof(key));
	PG_RETURN_TEXT_P(cstring_to_text(id));
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
 * derive_key
 *
 * The key of one purpose (see the file header): HMAC(master, "pg_retention
 * derived key:" || purpose); out has RETENTION_KEY_BYTES bytes.
 */
static void
derive_key(const uint8 *master, const char *purpose, uint8 *out)
{
	StaticAssertStmt(RETENTION_KEY_BYTES == PG_SHA256_DIGEST_LENGTH,
					 "derived keys are HMAC-SHA-256 digests");
	retention_hmac(master, "pg_retention derived key:", purpose, strlen(purpose), out);
}

static const char *purpose_name(RetentionHashPurpose purpose);

/*
 * retention_purpose_key
 *
 * The derived key of one purpose, for callers that hash many values
 * (retention_hash_with_key); out has RETENTION_KEY_BYTES bytes.  Not for
 * RETENTION_HASH_SUPPRESSION, which is keyed over the ledger hash.
 */
void
retention_purpose_key(const uint8 *master, RetentionHashPurpose purpose, uint8 *out)
{
	Assert(purpose != RETENTION_HASH_SUPPRESSION);
	derive_key(master, purpose_name(purpose), out);
}

/* The hash of a digest under a derived key from retention_purpose_key. */
void
retention_hash_with_key(const uint8 *derived, const uint8 *digest, uint8 *out)
{
	retention_hmac(derived, "", digest, PG_SHA256_DIGEST_LENGTH, out);
}

static const char *
purpose_name(RetentionHashPurpose purpose)
{
	switch (purpose)
	{
		case RETENTION_HASH_HOLD:
			return "hold";
		case RETENTION_HASH_REQUEST_LOG:
			return "request log";
		case RETENTION_HASH_LEDGER:
			return "erasure ledger";
		case RETENTION_HASH_SUPPRESSION:
			return "suppression";
	}
	elog(ERROR, "unknown hash purpose %d", (int) purpose);
	return NULL;				/* keep the compiler quiet */
}

/*
 * retention_hash_from_digest
 *
 * The stored hash of one purpose from an identifier's digest D (0.1.0's
 * stored value; see the file header).  out has 32 bytes.
 */
void
retention_hash_from_digest(const uint8 *master, RetentionHashPurpose purpose,
						   const uint8 *digest, uint8 *out)
{
	uint8		derived[RETENTION_KEY_BYTES];

	if (purpose == RETENTION_HASH_SUPPRESSION)
	{
		uint8		ledger[PG_SHA256_DIGEST_LENGTH];

		retention_hash_from_digest(master, RETENTION_HASH_LEDGER, digest, ledger);
		retention_suppression_from_ledger(master, ledger, out);
		return;
	}
	derive_key(master, purpose_name(purpose), derived);
	retention_hmac(derived, "", digest, PG_SHA256_DIGEST_LENGTH, out);
	explicit_bzero(derived, sizeof(derived));
}

/*
 * retention_suppression_from_ledger
 *
 * The suppression list's hash of an identifier from its ledger hash: what
 * lets reapply_erasures put a ledger's entries back on the list.
 */
void
retention_suppression_from_ledger(const uint8 *master, const uint8 *ledger,
								  uint8 *out)
{
	uint8		derived[RETENTION_KEY_BYTES];

	derive_key(master, purpose_name(RETENTION_HASH_SUPPRESSION), derived);
	retention_hmac(derived, "", ledger, PG_SHA256_DIGEST_LENGTH, out);
	explicit_bzero(derived, sizeof(derived));
}

/*
 * retention_ledger_key_id
 *
 * 16 hex digits that name the key a ledger was made with (a keyed value of
 * no identifier), so that reapply_erasures can refuse a ledger from a
 * database with another key instead of silently matching nothing.
 */
char *
retention_ledger_key_id(const uint8 *master)
{
	uint8		derived[RETENTION_KEY_BYTES];
	uint8		id[PG_SHA256_DIGEST_LENGTH];
	char	   *hex = palloc(17);

	derive_key(master, purpose_name(RETENTION_HASH_LEDGER), derived);
	retention_hmac(derived, "key id", "", 0, id);
	explicit_bzero(derived, sizeof(derived));
	hex_encode((const char *) id, 8, hex);
	hex[16] = '\0';
	return hex;
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

/*
 * retention_identifier_digest
 *
 * D(kind, value): the keyed digest of a normalized identifier that every
 * stored hash derives from (0.1.0's stored value).  32 bytes.
 */
void
retention_identifier_digest(const uint8 *key, const char *kind,
							const char *value, uint8 *out)
{
	char	   *normalized = retention_normalize_identifier(kind, value);
	char	   *prefix = psprintf("subject:%s:", kind);

	retention_hmac(key, prefix, normalized, strlen(normalized), out);
}

/*
 * retention_legacy_hashes
 *
 * Whether the installed SQL objects are still 0.1.0's (the library was
 * updated, ALTER EXTENSION UPDATE has not run yet): then every stored hash
 * is the digest D itself, and must stay so until the update converts them
 * all.  Told by the column the update adds to retention.suppression.
 */
bool
retention_legacy_hashes(void)
{
	static LocalTransactionId checked_in = InvalidLocalTransactionId;
	static CommandId checked_at = InvalidCommandId;
	static bool legacy = false;
	Oid			nsp;
	Oid			relid;

	/* once per command: enforcement asks for every row it checks */
	if (checked_in == MyProc->lxid && checked_at == GetCurrentCommandId(false))
		return legacy;
	nsp = get_namespace_oid(RETENTION_SCHEMA, true);
	relid = OidIsValid(nsp) ? get_relname_relid("suppression", nsp) : InvalidOid;
	legacy = OidIsValid(relid) && get_attnum(relid, "ledger_hash") == InvalidAttrNumber;
	checked_in = MyProc->lxid;
	checked_at = GetCurrentCommandId(false);
	return legacy;
}

/*
 * retention_identifier_hash
 *
 * The hash under which legal holds store an identifier (32 bytes): what
 * enforcement and erasure compare with legal_hold.subject_hash.
 */
void
retention_identifier_hash(const uint8 *key, const char *kind,
						  const char *value, uint8 *out)
{
	uint8		digest[PG_SHA256_DIGEST_LENGTH];

	retention_identifier_digest(key, kind, value, digest);
	if (retention_legacy_hashes())
		memcpy(out, digest, PG_SHA256_DIGEST_LENGTH);
	else
		retention_hash_from_digest(key, RETENTION_HASH_HOLD, digest, out);
	explicit_bzero(digest, sizeof(digest));
}

/*
 * retention_subject_hash
 *
 * The hash of an identifier for one purpose, with this database's key
 * (loaded here): for callers that do not hold the key themselves.
 */
void
retention_subject_hash(RetentionHashPurpose purpose, const char *kind,
					   const char *value, uint8 *out)
{
	uint8		key[RETENTION_KEY_BYTES];
	uint8		digest[PG_SHA256_DIGEST_LENGTH];

	retention_load_key(key);
	retention_identifier_digest(key, kind, value, digest);
	if (retention_legacy_hashes() && purpose != RETENTION_HASH_LEDGER)
		memcpy(out, digest, PG_SHA256_DIGEST_LENGTH);
	else
		retention_hash_from_digest(key, purpose, digest, out);
	explicit_bzero(digest, sizeof(digest));
	explicit_bzero(key, sizeof(key));
}

/*
 * retention_pseudonym_column_arg
 *
 * The column argument of retention._pseudonym*() for a column of a tagged
 * table, as SQL text to append after the token: ", '"schema"."table"."column"'"
 * with the names as they are now (see the file header); relid is the table
 * that carries the tag (a partitioned table, not its partition).  Empty
 * while the installed SQL objects are still 0.1.0's, whose functions have
 * no such argument.
 */
char *
retention_pseudonym_column_arg(Oid relid, AttrNumber attnum)
{
	if (retention_legacy_hashes())
		return "";
	return psprintf(", %s",
					quote_literal_cstr(psprintf("%s.%s", retention_deparse_relation(relid),
												retention_deparse_column(relid, attnum))));
}

/* The digest key of one column's pseudonyms. */
static void
column_key(const uint8 *master, text *identity, uint8 *out)
{
	retention_hmac(master, "column key:", VARDATA_ANY(identity),
				   VARSIZE_ANY_EXHDR(identity), out);
}

/*
 * Fills out[0..len) with a keyed pseudonym of data: the digest, then a check
 * over the digest (see the file header).  Binary form: len <= 32 bytes.
 */
static void
pseudonym_bytes(const uint8 *digest_key, const uint8 *key, const void *data,
				size_t datalen, uint8 *out, int len)
{
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	uint8		check[PG_SHA256_DIGEST_LENGTH];

	retention_hmac(digest_key, "pseudonym:", data, datalen, digest);
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

/*
 * Hex form: len characters, the last CHECK_HEX_CHARS a check.  The digest is
 * keyed with digest_key (the column's), the check with the master key.
 */
static char *
pseudonym_hex(const uint8 *digest_key, const uint8 *key, const char *data,
			  size_t datalen, int len)
{
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	uint8		check[PG_SHA256_DIGEST_LENGTH];
	char	   *out = palloc(len + 1);
	int			body = len - CHECK_HEX_CHARS;
	int			i;

	retention_hmac(digest_key, "pseudonym:", data, datalen, digest);
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
 * retention._pseudonym(value text, maxlen integer, token bigint, column text) RETURNS text
 * retention._is_pseudonym(value text, maxlen integer, token bigint) RETURNS boolean
 * retention._pseudonym_bytea(bytea, token, column) / _is_pseudonym_bytea(bytea, token)
 * retention._pseudonym_uuid(uuid, token, column) / _is_pseudonym_uuid(uuid, token)
 *
 * The keyed pseudonym of a value in one column and the test for one; only
 * inside an enforcement batch, with its token (they would otherwise be an
 * oracle for the key).  column is the column's identity
 * (retention_pseudonym_column_arg); the 0.1.0 definitions, without it, call the
 * same entry points and get 0.1.0's pseudonyms under the master key.
 */
PG_FUNCTION_INFO_V1(retention_pseudonym_text);
PG_FUNCTION_INFO_V1(retention_is_pseudonym_text);
PG_FUNCTION_INFO_V1(retention_pseudonym_bytea);
PG_FUNCTION_INFO_V1(retention_is_pseudonym_bytea);
PG_FUNCTION_INFO_V1(retention_pseudonym_uuid);
PG_FUNCTION_INFO_V1(retention_is_pseudonym_uuid);

/* The digest key: the column's for argument argno if given, else the master key. */
static const uint8 *
pseudonym_digest_key(FunctionCallInfo fcinfo, int argno, const uint8 *key, uint8 *buf)
{
	if (PG_NARGS() <= argno)
		return key;
	if (PG_ARGISNULL(argno))
		elog(ERROR, "the column of a pseudonym must not be NULL");
	column_key(key, PG_GETARG_TEXT_PP(argno), buf);
	return buf;
}

Datum
retention_pseudonym_text(PG_FUNCTION_ARGS)
{
	text	   *value = PG_GETARG_TEXT_PP(0);
	const uint8 *key = retention_executor_key(PG_GETARG_INT64(2));
	uint8		buf[RETENTION_KEY_BYTES];
	const uint8 *digest_key = pseudonym_digest_key(fcinfo, 3, key, buf);
	char	   *result = pseudonym_hex(digest_key, key, VARDATA_ANY(value),
									   VARSIZE_ANY_EXHDR(value),
									   hex_length(PG_GETARG_INT32(1)));

	explicit_bzero(buf, sizeof(buf));
	PG_RETURN_TEXT_P(cstring_to_text(result));
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
	uint8		buf[RETENTION_KEY_BYTES];
	const uint8 *digest_key = pseudonym_digest_key(fcinfo, 2, key, buf);
	bytea	   *result = palloc(VARHDRSZ + PG_SHA256_DIGEST_LENGTH);

	SET_VARSIZE(result, VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	pseudonym_bytes(digest_key, key, VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value),
					(uint8 *) VARDATA(result), PG_SHA256_DIGEST_LENGTH);
	explicit_bzero(buf, sizeof(buf));
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
	uint8		buf[RETENTION_KEY_BYTES];
	const uint8 *digest_key = pseudonym_digest_key(fcinfo, 2, key, buf);
	pg_uuid_t  *result = palloc(sizeof(pg_uuid_t));

	pseudonym_bytes(digest_key, key, value->data, UUID_LEN, result->data, UUID_LEN);
	explicit_bzero(buf, sizeof(buf));
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
 * The keyed hash under which legal holds store an identifier.  EXECUTE is
 * revoked from PUBLIC: only the extension's SECURITY DEFINER functions call
 * it.
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

/*
 * retention._rehash_legacy(purpose text, digest bytea) RETURNS bytea
 *
 * The hash of one purpose ('hold', 'request log', 'erasure ledger',
 * 'suppression') from a hash that 0.1.0 stored (the digest D of the file
 * header): the update from 0.1.0 converts every stored hash with it, and
 * readers of rows restored from a 0.1.0 dump (hashed_with '0.1.0') convert
 * them with it, under the key the dump restored.  EXECUTE for no one but
 * the extension's owner.
 */
PG_FUNCTION_INFO_V1(retention_rehash_legacy);

Datum
retention_rehash_legacy(PG_FUNCTION_ARGS)
{
	char	   *purpose = text_to_cstring(PG_GETARG_TEXT_PP(0));
	bytea	   *digest = PG_GETARG_BYTEA_PP(1);
	uint8		key[RETENTION_KEY_BYTES];
	bytea	   *result;
	RetentionHashPurpose p;

	if (strcmp(purpose, "hold") == 0)
		p = RETENTION_HASH_HOLD;
	else if (strcmp(purpose, "request log") == 0)
		p = RETENTION_HASH_REQUEST_LOG;
	else if (strcmp(purpose, "erasure ledger") == 0)
		p = RETENTION_HASH_LEDGER;
	else if (strcmp(purpose, "suppression") == 0)
		p = RETENTION_HASH_SUPPRESSION;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown hash purpose \"%s\"", purpose),
				 errhint("Use hold, request log, erasure ledger or suppression.")));
	if (VARSIZE_ANY_EXHDR(digest) != PG_SHA256_DIGEST_LENGTH)
		PG_RETURN_NULL();
	retention_load_key(key);
	result = palloc(VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	SET_VARSIZE(result, VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	retention_hash_from_digest(key, p, (const uint8 *) VARDATA_ANY(digest),
							   (uint8 *) VARDATA(result));
	explicit_bzero(key, sizeof(key));
	PG_RETURN_BYTEA_P(result);
}
