-- A when= condition is stored as it is enforced: after SECURITY LABEL, the
-- label is rewritten with the condition deparsed from the checked tree.

CREATE FUNCTION retention._normalize_labels()
RETURNS event_trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'retention_normalize_labels';
COMMENT ON FUNCTION retention._normalize_labels() IS
    'Internal: after SECURITY LABEL, stores every when= condition of a retention tag in its normalized form.';

CREATE EVENT TRIGGER retention_normalize_labels ON ddl_command_end
    WHEN TAG IN ('SECURITY LABEL')
    EXECUTE FUNCTION retention._normalize_labels();

ALTER EVENT TRIGGER retention_normalize_labels ENABLE ALWAYS;
