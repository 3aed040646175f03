-- Enforcement entry points.

CREATE PROCEDURE retention.enforce(
    table_name  regclass DEFAULT NULL,
    category    text DEFAULT NULL,
    max_runtime interval DEFAULT NULL)
LANGUAGE C
AS 'MODULE_PATHNAME', 'retention_enforce';
COMMENT ON PROCEDURE retention.enforce(regclass, text, interval) IS
    'Deletes due rows and anonymizes due values of every tag (or one table, or one category), in batches of retention.batch_size, within max_runtime (default retention.max_runtime). Each batch runs as the table''s owner and, outside a transaction block, commits on its own. Skips data under legal hold. One run per database at a time.';
REVOKE ALL ON PROCEDURE retention.enforce(regclass, text, interval) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE retention.enforce(regclass, text, interval) TO retention_admin;
