/*-------------------------------------------------------------------------
 *
 * src/subject.c
 *	  The suppression list: identifiers (as keyed hashes) that must not be
 *	  imported or contacted again.
 *
 * Finding, exporting and erasing a person's data live in subject_search.c,
 * subject_export.c and subject_erase.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/sha2.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"

#include "subject.h"

static void
check_dsr_member(void)
{
	subject_check_dsr_member();
}

/*
 * retention_suppress / retention_is_suppressed
 *
 * retention.suppress(kind text, value text, reason text DEFAULT 'opt-out')
 * retention.is_suppressed(kind text, value text) RETURNS boolean
 *
 * The suppression list holds keyed hashes of normalized identifiers only.
 */
static bytea *
identifier_hash_datum(const char *kind, const char *value)
{
	uint8		key[RETENTION_KEY_BYTES];
	bytea	   *hash = palloc(VARHDRSZ + PG_SHA256_DIGEST_LENGTH);

	retention_load_key(key);
	SET_VARSIZE(hash, VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	retention_identifier_hash(key, kind, value, (uint8 *) VARDATA(hash));
	explicit_bzero(key, sizeof(key));
	return hash;
}

PG_FUNCTION_INFO_V1(retention_suppress);

Datum
retention_suppress(PG_FUNCTION_ARGS)
{
	char	   *kind = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *value = text_to_cstring(PG_GETARG_TEXT_PP(1));
	Oid			types[3] = {TEXTOID, BYTEAOID, TEXTOID};
	Datum		values[3];

	check_dsr_member();
	values[0] = PG_GETARG_DATUM(0);
	values[1] = PointerGetDatum(identifier_hash_datum(kind, value));
	values[2] = PG_ARGISNULL(2) ? CStringGetTextDatum("opt-out") : PG_GETARG_DATUM(2);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	retention_exec_as_extension_owner("INSERT INTO retention.suppression (kind, identifier_hash, reason) VALUES ($1, $2, $3)"
							" ON CONFLICT (kind, identifier_hash) DO NOTHING",
							3, types, values, NULL, SPI_OK_INSERT);
	SPI_finish();
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(retention_is_suppressed);

Datum
retention_is_suppressed(PG_FUNCTION_ARGS)
{
	Oid			types[2] = {TEXTOID, BYTEAOID};
	Datum		values[2];
	bool		found;

	values[0] = PG_GETARG_DATUM(0);
	values[1] = PointerGetDatum(identifier_hash_datum(text_to_cstring(PG_GETARG_TEXT_PP(0)),
													  text_to_cstring(PG_GETARG_TEXT_PP(1))));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	retention_exec_as_extension_owner("SELECT 1 FROM retention.suppression WHERE kind OPERATOR(pg_catalog.=) $1"
							" AND identifier_hash OPERATOR(pg_catalog.=) $2",
							2, types, values, NULL, SPI_OK_SELECT);
	found = SPI_processed > 0;
	SPI_finish();
	PG_RETURN_BOOL(found);
}
