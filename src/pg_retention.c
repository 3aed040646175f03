/*-------------------------------------------------------------------------
 *
 * src/pg_retention.c
 *	  Module entry point: registers the label provider and the DDL guard.
 *
 * The library is normally preloaded (shared_preload_libraries); without
 * that, it is loaded by CREATE EXTENSION and by the extension's event
 * triggers and functions in any session that needs it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "pg_retention.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	retention_define_gucs();
	retention_register_label_provider();
	retention_ddl_guard_init();
	retention_worker_init();
	/* last: placeholders of retention.* settings defined above are kept */
	MarkGUCPrefixReserved("retention");
}

/*
 * retention_load
 *
 * retention._load() RETURNS void: does nothing but load the library, so
 * that the label provider exists in this session.  Called by the SQL
 * helpers before they run SECURITY LABEL.
 */
PG_FUNCTION_INFO_V1(retention_load);

Datum
retention_load(PG_FUNCTION_ARGS)
{
	PG_RETURN_VOID();
}
