-- The DDL guard (src/ddl_guard.c): schema changes never leave a silently
-- broken tag.  The same triggers load the library for SECURITY LABEL, so the
-- "retention" provider exists in every session, preloaded or not.

CREATE FUNCTION retention._ddl_guard_start()
RETURNS event_trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'retention_ddl_guard_start';
COMMENT ON FUNCTION retention._ddl_guard_start() IS
    'Internal: snapshots the tags before a DDL command (and loads the label provider for SECURITY LABEL).';

CREATE FUNCTION retention._ddl_guard_end()
RETURNS event_trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'retention_ddl_guard_end';
COMMENT ON FUNCTION retention._ddl_guard_end() IS
    'Internal: after a DDL command, rewrites labels whose names changed and refuses changes that break a tag.';

CREATE EVENT TRIGGER retention_ddl_guard_start ON ddl_command_start
    WHEN TAG IN ('ALTER TABLE', 'DROP TABLE', 'ALTER SCHEMA', 'DROP SCHEMA',
                 'DROP OWNED', 'ALTER TYPE', 'DROP TYPE', 'ALTER DOMAIN',
                 'DROP DOMAIN', 'DROP SEQUENCE', 'DROP FUNCTION',
                 'SECURITY LABEL')
    EXECUTE FUNCTION retention._ddl_guard_start();

CREATE EVENT TRIGGER retention_ddl_guard_end ON ddl_command_end
    WHEN TAG IN ('ALTER TABLE', 'DROP TABLE', 'ALTER SCHEMA', 'DROP SCHEMA',
                 'DROP OWNED', 'ALTER TYPE', 'DROP TYPE', 'ALTER DOMAIN',
                 'DROP DOMAIN', 'DROP SEQUENCE', 'DROP FUNCTION')
    EXECUTE FUNCTION retention._ddl_guard_end();

-- Also with session_replication_role = replica: the guard is not optional.
ALTER EVENT TRIGGER retention_ddl_guard_start ENABLE ALWAYS;
ALTER EVENT TRIGGER retention_ddl_guard_end ENABLE ALWAYS;
