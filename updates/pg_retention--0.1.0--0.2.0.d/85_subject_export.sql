\echo Use "ALTER EXTENSION pg_retention UPDATE TO '0.2.0'" to load this file. \quit
-- 85_subject_export: export_subject assembles its document in C, from the
-- rows its search reads once (issue 13 item 5); same document.

CREATE OR REPLACE FUNCTION retention.export_subject(identifiers jsonb)
RETURNS jsonb
LANGUAGE C VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'retention_export_subject';
