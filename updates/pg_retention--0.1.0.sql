\echo Use "CREATE EXTENSION pg_retention" to load this file. \quit

-- pg_retention install script, concatenated from src/sql/*.sql in name order.
-- Every object is schema-qualified and every operator is
-- OPERATOR(pg_catalog.x): nothing here resolves through a caller's
-- search_path.

-- A schema "retention" that someone else created before us could hold
-- objects that our functions would find; refuse to install into it.
DO $guard$
DECLARE
    owner_is_superuser boolean;
BEGIN
    SELECT r.rolsuper INTO owner_is_superuser
      FROM pg_catalog.pg_namespace n
      JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) n.nspowner
     WHERE n.nspname OPERATOR(pg_catalog.=) 'retention';
    IF NOT owner_is_superuser
       OR EXISTS (SELECT 1 FROM pg_catalog.pg_class c
                   WHERE c.relnamespace OPERATOR(pg_catalog.=) 'retention'::pg_catalog.regnamespace)
       OR EXISTS (SELECT 1 FROM pg_catalog.pg_proc p
                   WHERE p.pronamespace OPERATOR(pg_catalog.=) 'retention'::pg_catalog.regnamespace)
       OR EXISTS (SELECT 1 FROM pg_catalog.pg_operator o
                   WHERE o.oprnamespace OPERATOR(pg_catalog.=) 'retention'::pg_catalog.regnamespace)
       OR EXISTS (SELECT 1 FROM pg_catalog.pg_type t
                   WHERE t.typnamespace OPERATOR(pg_catalog.=) 'retention'::pg_catalog.regnamespace)
    THEN
        RAISE EXCEPTION 'schema "retention" already exists and is not empty or not owned by a superuser'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'pg_retention installs into its own schema "retention"; objects someone else placed there could be run by the extension.',
                  HINT = 'Drop or rename the existing schema "retention", then run CREATE EXTENSION pg_retention again.';
    END IF;
END
$guard$;

-- Roles: created if absent, never dropped by the extension (roles are
-- cluster-wide and may own or be granted things in other databases).
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles
                    WHERE rolname OPERATOR(pg_catalog.=) 'retention_admin') THEN
        CREATE ROLE retention_admin NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles
                    WHERE rolname OPERATOR(pg_catalog.=) 'retention_dsr') THEN
        CREATE ROLE retention_dsr NOLOGIN;
    END IF;
END
$roles$;

COMMENT ON SCHEMA retention IS
    'pg_retention: retention categories, tags (security labels of provider "retention"), enforcement, evidence and data subject functions';

GRANT USAGE ON SCHEMA retention TO PUBLIC;

-- retention._load(): loads the library (and so the label provider) into
-- the calling session.
CREATE FUNCTION retention._load()
RETURNS void
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'retention_load';
COMMENT ON FUNCTION retention._load() IS
    'Internal: loads the pg_retention library into this session so that the "retention" label provider exists.';
-- Categories: a named class of personal data with one retention rule and
-- the facts a data subject is owed (GDPR Art. 13/15).

CREATE TABLE retention.category (
    name        text PRIMARY KEY,
    period      interval NOT NULL,
    starts      text NOT NULL DEFAULT 'exact',
    action      text NOT NULL DEFAULT 'delete',
    description text,
    purpose     text,
    legal_basis text,
    time_zone   text NOT NULL DEFAULT 'UTC',
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT category_name_format
        CHECK (name OPERATOR(pg_catalog.~) '^[a-z_][a-z0-9_]{0,62}$'),
    CONSTRAINT category_starts_known
        CHECK (starts OPERATOR(pg_catalog.=) ANY (ARRAY['exact', 'end_of_day', 'end_of_month', 'end_of_year'])),
    CONSTRAINT category_action_known
        CHECK (action OPERATOR(pg_catalog.=) ANY (ARRAY['delete', 'nullify', 'default', 'hash', 'mask', 'generalize']))
);

COMMENT ON TABLE retention.category IS
    'Retention categories: one retention rule (period counted from a calendar boundary of the anchor, in a time zone; default action at expiry) and the facts owed to data subjects. Change with retention.define_category / alter_category / drop_category.';
COMMENT ON COLUMN retention.category.name IS 'Category name, as written in tags (category=name): lower-case letters, digits and _.';
COMMENT ON COLUMN retention.category.period IS 'How long data is kept after the boundary; zero means "due at the boundary itself".';
COMMENT ON COLUMN retention.category.starts IS 'Where the period starts relative to the anchor: exact, end_of_day, end_of_month or end_of_year (in time_zone).';
COMMENT ON COLUMN retention.category.action IS 'Default action of tags of this category: delete (table tags) or nullify, default, hash, mask, generalize (column tags).';
COMMENT ON COLUMN retention.category.description IS 'What data this is, in words a data subject understands.';
COMMENT ON COLUMN retention.category.purpose IS 'Why the data is processed.';
COMMENT ON COLUMN retention.category.legal_basis IS 'The legal basis of the processing (GDPR Art. 6).';
COMMENT ON COLUMN retention.category.time_zone IS 'Time zone in which calendar boundaries are evaluated (a name from pg_timezone_names).';

SELECT pg_catalog.pg_extension_config_dump('retention.category', '');

REVOKE ALL ON retention.category FROM PUBLIC;
GRANT SELECT ON retention.category TO PUBLIC;
GRANT INSERT, UPDATE, DELETE ON retention.category TO retention_admin;

-- Validation with messages a DBA can act on; runs for the functions below
-- and for direct INSERT/UPDATE alike (the CHECK constraints are a backstop).
CREATE FUNCTION retention._category_validate()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    given_zone text := NEW.time_zone;
BEGIN
    IF NEW.name IS NULL OR NEW.name !~ '^[a-z_][a-z0-9_]{0,62}$' THEN
        RAISE EXCEPTION 'invalid category name "%"', NEW.name
            USING ERRCODE = 'invalid_name',
                  HINT = 'Use 1 to 63 lower-case letters, digits and underscores, starting with a letter or underscore.';
    END IF;
    IF NEW.period IS NULL
       OR extract(year FROM NEW.period) < 0 OR extract(month FROM NEW.period) < 0
       OR extract(day FROM NEW.period) < 0 OR extract(hour FROM NEW.period) < 0
       OR extract(minute FROM NEW.period) < 0 OR extract(second FROM NEW.period) < 0 THEN
        RAISE EXCEPTION 'invalid retention period for category "%"', NEW.name
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The period is %s; no part of it may be negative.', coalesce(NEW.period::text, 'NULL')),
                  HINT = 'Give a positive interval such as ''12 months'' or ''7 years'', or ''0'' for data due at its boundary.';
    END IF;
    IF NEW.starts IS NULL OR NEW.starts <> ALL (ARRAY['exact', 'end_of_day', 'end_of_month', 'end_of_year']) THEN
        RAISE EXCEPTION 'invalid boundary "%" for category "%"', NEW.starts, NEW.name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'starts is one of exact, end_of_day, end_of_month, end_of_year.';
    END IF;
    IF NEW.action IS NULL OR NEW.action <> ALL (ARRAY['delete', 'nullify', 'default', 'hash', 'mask', 'generalize']) THEN
        RAISE EXCEPTION 'invalid action "%" for category "%"', NEW.action, NEW.name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'action is delete (for table tags) or nullify, default, hash, mask, generalize (for column tags).';
    END IF;
    -- zone names match case-insensitively (as in SET TIME ZONE) and are
    -- stored as the time zone database spells them
    SELECT z.name INTO NEW.time_zone
      FROM pg_catalog.pg_timezone_names z
     WHERE lower(z.name) = lower(NEW.time_zone)
     ORDER BY z.name = NEW.time_zone DESC, z.name
     LIMIT 1;
    IF NEW.time_zone IS NULL THEN
        RAISE EXCEPTION 'unknown time zone "%" for category "%"', given_zone, NEW.name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use a full zone name from pg_timezone_names, such as ''UTC'' or ''Europe/Zagreb''.';
    END IF;
    -- bookkeeping for changes made by statements, not for the restore
    -- trigger's own update (which carries the dumped timestamps)
    IF TG_OP = 'UPDATE' AND pg_trigger_depth() = 1 THEN
        NEW.created_at := OLD.created_at;
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION retention._category_validate() IS
    'Internal: validates retention.category rows before they are written.';

CREATE TRIGGER category_validate
    BEFORE INSERT OR UPDATE ON retention.category
    FOR EACH ROW EXECUTE FUNCTION retention._category_validate();

-- A category that tags use cannot be dropped or renamed, and a change of
-- its default action must still fit every tag that inherits it.
CREATE FUNCTION retention._category_guard()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    users text;
BEGIN
    IF TG_OP = 'DELETE' OR NEW.name <> OLD.name THEN
        SELECT string_agg(t.object, ', ' ORDER BY t.object) INTO users
          FROM retention.tags t
         WHERE t.category = OLD.name;
        IF users IS NOT NULL THEN
            RAISE EXCEPTION 'category "%" is used by retention tags', OLD.name
                USING ERRCODE = 'dependent_objects_still_exist',
                      DETAIL = format('Tagged: %s.', users),
                      HINT = 'Untag these objects or tag them with another category first (retention.untag, retention.tag_table, retention.tag_column).';
        END IF;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        PERFORM retention._check_category_tags(NEW.name, OLD.action);
        RETURN NEW;
    END IF;
    RETURN OLD;
END
$$;
COMMENT ON FUNCTION retention._category_guard() IS
    'Internal: refuses to drop or rename a category that tags use, and checks the tags of a changed category.';

CREATE CONSTRAINT TRIGGER category_guard
    AFTER UPDATE OR DELETE ON retention.category
    FOR EACH ROW EXECUTE FUNCTION retention._category_guard();

CREATE FUNCTION retention.define_category(
    name        text,
    period      interval,
    starts      text DEFAULT 'exact',
    action      text DEFAULT 'delete',
    description text DEFAULT NULL,
    purpose     text DEFAULT NULL,
    legal_basis text DEFAULT NULL,
    time_zone   text DEFAULT 'UTC')
RETURNS retention.category
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result retention.category;
BEGIN
    IF EXISTS (SELECT 1 FROM retention.category c WHERE c.name = define_category.name) THEN
        RAISE EXCEPTION 'retention category "%" already exists', define_category.name
            USING ERRCODE = 'duplicate_object',
                  HINT = 'Change it with retention.alter_category(), or choose another name.';
    END IF;
    INSERT INTO retention.category AS c
           (name, period, starts, action, description, purpose, legal_basis, time_zone)
    VALUES (define_category.name, define_category.period, define_category.starts,
            define_category.action, define_category.description, define_category.purpose,
            define_category.legal_basis, define_category.time_zone)
    RETURNING c.* INTO result;
    RETURN result;
END
$$;
COMMENT ON FUNCTION retention.define_category(text, interval, text, text, text, text, text, text) IS
    'Defines a retention category: data of this category is due period after the starts boundary (exact, end_of_day, end_of_month, end_of_year in time_zone) of its anchor; action is the default for its tags. Members of retention_admin only.';

CREATE FUNCTION retention.alter_category(
    name        text,
    period      interval DEFAULT NULL,
    starts      text DEFAULT NULL,
    action      text DEFAULT NULL,
    description text DEFAULT NULL,
    purpose     text DEFAULT NULL,
    legal_basis text DEFAULT NULL,
    time_zone   text DEFAULT NULL,
    new_name    text DEFAULT NULL)
RETURNS retention.category
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result retention.category;
BEGIN
    IF alter_category.new_name IS NOT NULL AND alter_category.new_name <> alter_category.name
       AND EXISTS (SELECT 1 FROM retention.category c WHERE c.name = alter_category.new_name) THEN
        RAISE EXCEPTION 'retention category "%" already exists', alter_category.new_name
            USING ERRCODE = 'duplicate_object',
                  HINT = 'Choose another new_name.';
    END IF;
    UPDATE retention.category AS c SET
        name        = coalesce(alter_category.new_name, c.name),
        period      = coalesce(alter_category.period, c.period),
        starts      = coalesce(alter_category.starts, c.starts),
        action      = coalesce(alter_category.action, c.action),
        description = CASE WHEN alter_category.description IS NULL THEN c.description
                           ELSE nullif(alter_category.description, '') END,
        purpose     = CASE WHEN alter_category.purpose IS NULL THEN c.purpose
                           ELSE nullif(alter_category.purpose, '') END,
        legal_basis = CASE WHEN alter_category.legal_basis IS NULL THEN c.legal_basis
                           ELSE nullif(alter_category.legal_basis, '') END,
        time_zone   = coalesce(alter_category.time_zone, c.time_zone)
     WHERE c.name = alter_category.name
    RETURNING c.* INTO result;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'retention category "%" does not exist', alter_category.name
            USING ERRCODE = 'undefined_object',
                  HINT = 'SELECT name FROM retention.category lists the categories; define one with retention.define_category().';
    END IF;
    RETURN result;
END
$$;
COMMENT ON FUNCTION retention.alter_category(text, interval, text, text, text, text, text, text, text) IS
    'Changes a retention category; NULL arguments leave a field as it is, an empty string clears description, purpose or legal_basis. The change applies to every tag of the category. Members of retention_admin only.';

CREATE FUNCTION retention.drop_category(name text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM retention.category c WHERE c.name = drop_category.name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'retention category "%" does not exist', drop_category.name
            USING ERRCODE = 'undefined_object',
                  HINT = 'SELECT name FROM retention.category lists the categories.';
    END IF;
END
$$;
COMMENT ON FUNCTION retention.drop_category(text) IS
    'Drops a retention category; refused while tags use it. Members of retention_admin only.';

REVOKE ALL ON FUNCTION retention.define_category(text, interval, text, text, text, text, text, text),
                       retention.alter_category(text, interval, text, text, text, text, text, text, text),
                       retention.drop_category(text)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION retention.define_category(text, interval, text, text, text, text, text, text),
                          retention.alter_category(text, interval, text, text, text, text, text, text, text),
                          retention.drop_category(text)
    TO retention_admin;

-- The retention rule in words, as a privacy notice states it.
CREATE FUNCTION retention.rule_in_words(period interval, starts text, time_zone text DEFAULT 'UTC',
                                        anchor text DEFAULT 'the anchor date')
RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    parts text[] := '{}';
    months integer := (extract(year FROM period) * 12 + extract(month FROM period))::integer;
    days integer := extract(day FROM period)::integer;
    secs numeric := extract(epoch FROM period) - extract(epoch FROM date_trunc('day', period));
    boundary text;
BEGIN
    IF months >= 24 AND months % 12 = 0 THEN
        parts := parts || format('%s years', months / 12);
    ELSIF months > 0 THEN
        parts := parts || format('%s month%s', months, CASE WHEN months = 1 THEN '' ELSE 's' END);
    END IF;
    IF days > 0 THEN
        parts := parts || format('%s day%s', days, CASE WHEN days = 1 THEN '' ELSE 's' END);
    END IF;
    IF secs > 0 THEN
        parts := parts || (secs * interval '1 second')::text;
    END IF;
    boundary := CASE starts
        WHEN 'exact'        THEN anchor
        WHEN 'end_of_day'   THEN 'the end of the day of ' || anchor
        WHEN 'end_of_month' THEN 'the end of the month of ' || anchor
        WHEN 'end_of_year'  THEN 'the end of the year of ' || anchor
    END;
    RETURN CASE WHEN cardinality(parts) = 0 THEN 'at ' || boundary
                ELSE array_to_string(parts, ' ') || ' after ' || boundary END
        || CASE WHEN starts <> 'exact' AND time_zone <> 'UTC' THEN format(' (%s time)', time_zone) ELSE '' END;
END
$$;
COMMENT ON FUNCTION retention.rule_in_words(interval, text, text, text) IS
    'A retention rule in words, e.g. "12 months after the end of the month of sent_at".';
-- Tags: security labels of provider "retention" on tables and columns.
-- They live in pg_seclabel; these objects read them back, resolved.

CREATE FUNCTION retention._tag_rows(
    OUT table_name        pg_catalog.regclass,
    OUT column_name       name,
    OUT label             text,
    OUT kind              text,
    OUT category          text,
    OUT anchor            text,
    OUT anchor_table      pg_catalog.regclass,
    OUT action            text,
    OUT action_source     text,
    OUT subject           text,
    OUT keep              integer,
    OUT bucket            bigint,
    OUT valid             boolean,
    OUT problem           text,
    OUT problem_sqlstate  text)
RETURNS SETOF record
LANGUAGE C STABLE STRICT
AS 'MODULE_PATHNAME', 'retention_tag_rows';
COMMENT ON FUNCTION retention._tag_rows() IS
    'Internal: every retention label of this database, parsed and resolved. Use the retention.tags view.';

CREATE VIEW retention.tags AS
SELECT t.table_name,
       t.column_name,
       t.table_name::text
           OPERATOR(pg_catalog.||) coalesce('.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(t.column_name::text), '')
           COLLATE "default" AS object,
       t.kind,
       t.category,
       c.period,
       c.starts,
       c.time_zone,
       t.anchor,
       t.anchor_table,
       t.action,
       t.action_source,
       t.subject,
       t.keep,
       t.bucket,
       t.valid,
       t.problem,
       t.problem_sqlstate,
       t.label
  FROM retention._tag_rows() t
  LEFT JOIN retention.category c ON c.name OPERATOR(pg_catalog.=) t.category;

COMMENT ON VIEW retention.tags IS
    'Every retention tag with its category resolved: kind (table: rows are deleted; column: the value is anonymized; subject: identifier column only), period, boundary, time zone, anchor, effective action (from the tag or the category), subject kind. valid is false, with the problem, for a tag that no longer resolves (e.g. after a restore whose categories were not loaded).';

GRANT SELECT ON retention.tags TO PUBLIC;

CREATE FUNCTION retention._check_category_tags(category text, old_action text)
RETURNS void
LANGUAGE C STABLE STRICT
AS 'MODULE_PATHNAME', 'retention_check_category_tags';
COMMENT ON FUNCTION retention._check_category_tags(text, text) IS
    'Internal: raises an error naming the first tag of the category that a change of its default action from old_action broke.';

CREATE VIEW retention.schedule AS
SELECT c.name AS category,
       c.description AS data,
       retention.rule_in_words(c.period, c.starts, c.time_zone) AS kept,
       (SELECT pg_catalog.string_agg(DISTINCT t.anchor, ', ')
          FROM retention.tags t
         WHERE t.category OPERATOR(pg_catalog.=) c.name) AS anchors,
       coalesce((SELECT pg_catalog.string_agg(DISTINCT t.action, ', ')
                   FROM retention.tags t
                  WHERE t.category OPERATOR(pg_catalog.=) c.name), c.action) AS at_expiry,
       c.purpose,
       c.legal_basis,
       CASE WHEN c.name OPERATOR(pg_catalog.=) 'retention_evidence'
            THEN 'retention.run, retention.action_log'
            ELSE (SELECT pg_catalog.string_agg(t.object, ', ' ORDER BY t.object)
                    FROM retention.tags t
                   WHERE t.category OPERATOR(pg_catalog.=) c.name) END AS applies_to
  FROM retention.category c;

COMMENT ON VIEW retention.schedule IS
    'The retention schedule as the database enforces it, in the shape of a privacy notice: per category the data, how long it is kept (counted from the anchors of its tags), what happens at expiry, purpose, legal basis and the tables and columns it applies to.';

GRANT SELECT ON retention.schedule TO PUBLIC;
-- Helpers that write the labels for people who prefer functions.  They run
-- as the caller: PostgreSQL's own rule (only the owner labels an object)
-- applies unchanged, and the label text is validated by the provider.

CREATE FUNCTION retention._label_word(key text, value text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF value IS NULL THEN
        RETURN '';
    END IF;
    -- white space is allowed only inside double-quoted identifiers
    IF value = '' OR pg_catalog.regexp_replace(value, '"([^"]|"")*"', '', 'g') ~ '\s' THEN
        RAISE EXCEPTION 'invalid % "%"', key, value
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The %s of a tag is one word; white space is allowed only inside double-quoted names.', key),
                  HINT = CASE key WHEN 'anchor' THEN 'Pass a column name, or fkcol->table.column.'
                                  ELSE 'Pass a single word.' END;
    END IF;
    RETURN format(' %s=%s', key, value);
END
$$;
COMMENT ON FUNCTION retention._label_word(text, text) IS
    'Internal: one key=value pair of a label, refusing values that would split into several pairs.';

CREATE FUNCTION retention.tag_table(
    table_name regclass,
    category   text,
    anchor     text,
    action     text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    label text;
BEGIN
    PERFORM retention._load();
    label := ltrim(retention._label_word('category', quote_ident(tag_table.category))
                || retention._label_word('anchor', tag_table.anchor)
                || retention._label_word('action', tag_table.action));
    EXECUTE format('SECURITY LABEL FOR retention ON TABLE %s IS %L', tag_table.table_name, label);
    RETURN label;
END
$$;
COMMENT ON FUNCTION retention.tag_table(regclass, text, text, text) IS
    'Tags a table: its rows are deleted when due (category period after the boundary of anchor). Returns the label written. Only the table''s owner can tag it.';

CREATE FUNCTION retention.tag_column(
    table_name  regclass,
    column_name name,
    category    text DEFAULT NULL,
    anchor      text DEFAULT NULL,
    action      text DEFAULT NULL,
    subject     text DEFAULT NULL,
    keep        integer DEFAULT NULL,
    bucket      bigint DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    label text;
BEGIN
    PERFORM retention._load();
    label := ltrim(retention._label_word('category', quote_ident(tag_column.category))
                || retention._label_word('anchor', tag_column.anchor)
                || retention._label_word('action', tag_column.action)
                || retention._label_word('subject', tag_column.subject)
                || retention._label_word('keep', tag_column.keep::text)
                || retention._label_word('bucket', tag_column.bucket::text));
    EXECUTE format('SECURITY LABEL FOR retention ON COLUMN %s.%I IS %L',
                   tag_column.table_name, tag_column.column_name, label);
    RETURN label;
END
$$;
COMMENT ON FUNCTION retention.tag_column(regclass, name, text, text, text, text, integer, bigint) IS
    'Tags a column: with a category, its value is anonymized when due (action, or the category''s default); with subject only, marks it as a data subject identifier of that kind. Returns the label written. Only the table''s owner can tag it.';

CREATE FUNCTION retention.untag(table_name regclass, column_name name DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    had_tag boolean;
BEGIN
    PERFORM retention._load();
    IF untag.column_name IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM pg_catalog.pg_attribute a
         WHERE a.attrelid = untag.table_name AND a.attname = untag.column_name
           AND a.attnum > 0 AND NOT a.attisdropped) THEN
        RAISE EXCEPTION 'column "%" of relation % does not exist', untag.column_name, untag.table_name
            USING ERRCODE = 'undefined_column',
                  HINT = 'Name a column of the table, or omit column_name to untag the table itself.';
    END IF;
    SELECT EXISTS (
        SELECT 1 FROM pg_catalog.pg_seclabel s
          LEFT JOIN pg_catalog.pg_attribute a
                 ON a.attrelid = s.objoid AND a.attnum = s.objsubid
         WHERE s.provider = 'retention'
           AND s.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass
           AND s.objoid = untag.table_name
           AND ((untag.column_name IS NULL AND s.objsubid = 0)
                OR a.attname = untag.column_name))
      INTO had_tag;
    IF untag.column_name IS NULL THEN
        EXECUTE format('SECURITY LABEL FOR retention ON TABLE %s IS NULL', untag.table_name);
    ELSE
        EXECUTE format('SECURITY LABEL FOR retention ON COLUMN %s.%I IS NULL',
                       untag.table_name, untag.column_name);
    END IF;
    RETURN had_tag;
END
$$;
COMMENT ON FUNCTION retention.untag(regclass, name) IS
    'Removes the retention tag of a table (column_name NULL) or of one of its columns. Returns whether there was one. Only the table''s owner can untag it.';

GRANT EXECUTE ON FUNCTION retention.tag_table(regclass, text, text, text),
                          retention.tag_column(regclass, name, text, text, text, text, integer, bigint),
                          retention.untag(regclass, name)
    TO PUBLIC;
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
-- The per-database secret behind pseudonyms (action=hash) and the keyed
-- hashes of identifiers (holds, suppression list).  Readable by no ordinary
-- role; the C code reads it directly.  Dumped with the database (it must
-- survive a restore, or pseudonyms and the suppression list would change).

CREATE FUNCTION retention._new_key()
RETURNS bytea
LANGUAGE C VOLATILE STRICT
AS 'MODULE_PATHNAME', 'retention_new_key';
COMMENT ON FUNCTION retention._new_key() IS 'Internal: 32 bytes from the strong random source.';
REVOKE ALL ON FUNCTION retention._new_key() FROM PUBLIC;

CREATE TABLE retention._secret (
    id  integer PRIMARY KEY CHECK (id OPERATOR(pg_catalog.=) 1),
    key bytea NOT NULL CHECK (pg_catalog.length(key) OPERATOR(pg_catalog.=) 32)
);
COMMENT ON TABLE retention._secret IS
    'Internal: the per-database key of pg_retention''s keyed hashes. Readable by no ordinary role; kept by pg_dump.';
REVOKE ALL ON retention._secret FROM PUBLIC;
INSERT INTO retention._secret VALUES (1, retention._new_key());
SELECT pg_catalog.pg_extension_config_dump('retention._secret', '');

-- A restore first runs CREATE EXTENSION (a new key), then loads the dumped
-- row: the dumped key must win.
CREATE FUNCTION retention._secret_restore()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM retention._secret s WHERE s.id = NEW.id) THEN
        UPDATE retention._secret s SET key = NEW.key WHERE s.id = NEW.id;
        RETURN NULL;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION retention._secret_restore() IS
    'Internal: a restored key replaces the one CREATE EXTENSION made.';
CREATE TRIGGER secret_restore BEFORE INSERT ON retention._secret
    FOR EACH ROW EXECUTE FUNCTION retention._secret_restore();

CREATE FUNCTION retention.normalize_identifier(kind text, value text)
RETURNS text
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'retention_normalize_identifier_sql';
COMMENT ON FUNCTION retention.normalize_identifier(text, text) IS
    'The form in which identifiers of a kind are matched: email trimmed and lower-cased; phone as "+" and digits (a leading 00 is the international prefix); other kinds trimmed.';

CREATE FUNCTION retention._identifier_hash(kind text, value text)
RETURNS bytea
LANGUAGE C STABLE STRICT
AS 'MODULE_PATHNAME', 'retention_identifier_hash_sql';
COMMENT ON FUNCTION retention._identifier_hash(text, text) IS
    'Internal: keyed hash of a normalized identifier, as holds and the suppression list store it.';
REVOKE ALL ON FUNCTION retention._identifier_hash(text, text) FROM PUBLIC;
-- Anonymization methods and the due-time function, as the executor's SQL
-- uses them.  mask, generalize_inet and due_time are plain utilities; the
-- keyed functions work only inside an enforcement batch.

CREATE FUNCTION retention.mask(value text, keep integer DEFAULT 2)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN CASE WHEN pg_catalog.length(value) OPERATOR(pg_catalog.>) keep
            THEN pg_catalog.repeat('*', pg_catalog.length(value) OPERATOR(pg_catalog.-) keep)
                 OPERATOR(pg_catalog.||) pg_catalog."right"(value, keep)
            ELSE pg_catalog.repeat('*', pg_catalog.length(value)) END;
COMMENT ON FUNCTION retention.mask(text, integer) IS
    'action=mask: every character replaced by * except the last keep (a value no longer than keep is masked whole). Masking a masked value changes nothing.';

CREATE FUNCTION retention.generalize_inet(value inet)
RETURNS inet
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN pg_catalog.network(
           CASE WHEN pg_catalog.masklen(value) OPERATOR(pg_catalog.<=)
                     (CASE pg_catalog.family(value) WHEN 4 THEN 24 ELSE 48 END)
                THEN value
                ELSE pg_catalog.set_masklen(value, CASE pg_catalog.family(value) WHEN 4 THEN 24 ELSE 48 END)
           END)::pg_catalog.inet;
COMMENT ON FUNCTION retention.generalize_inet(inet) IS
    'action=generalize on inet/cidr: the /24 (IPv4) or /48 (IPv6) network of the address.';

CREATE FUNCTION retention.due_time(anchor timestamptz, period interval, starts text, time_zone text)
RETURNS timestamptz
LANGUAGE C STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'retention_due_time_sql';
CREATE FUNCTION retention.due_time(anchor timestamp, period interval, starts text, time_zone text)
RETURNS timestamptz
LANGUAGE C STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'retention_due_time_sql';
CREATE FUNCTION retention.due_time(anchor date, period interval, starts text, time_zone text)
RETURNS timestamptz
LANGUAGE C STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'retention_due_time_sql';
COMMENT ON FUNCTION retention.due_time(timestamptz, interval, text, text) IS
    'When data anchored at anchor falls due: the starts boundary (exact, end_of_day, end_of_month, end_of_year) of the anchor in time_zone, plus period on the local calendar. NULL anchor: NULL (never).';
COMMENT ON FUNCTION retention.due_time(timestamp, interval, text, text) IS
    'When data anchored at anchor (local time in time_zone) falls due; see the timestamptz form.';
COMMENT ON FUNCTION retention.due_time(date, interval, text, text) IS
    'When data anchored at anchor (local midnight in time_zone) falls due; see the timestamptz form.';

CREATE FUNCTION retention._pseudonym(value text, maxlen integer, token bigint) RETURNS text
LANGUAGE C VOLATILE STRICT AS 'MODULE_PATHNAME', 'retention_pseudonym_text';
CREATE FUNCTION retention._is_pseudonym(value text, maxlen integer, token bigint) RETURNS boolean
LANGUAGE C VOLATILE STRICT AS 'MODULE_PATHNAME', 'retention_is_pseudonym_text';
CREATE FUNCTION retention._pseudonym_bytea(value bytea, token bigint) RETURNS bytea
LANGUAGE C VOLATILE STRICT AS 'MODULE_PATHNAME', 'retention_pseudonym_bytea';
CREATE FUNCTION retention._is_pseudonym_bytea(value bytea, token bigint) RETURNS boolean
LANGUAGE C VOLATILE STRICT AS 'MODULE_PATHNAME', 'retention_is_pseudonym_bytea';
CREATE FUNCTION retention._pseudonym_uuid(value uuid, token bigint) RETURNS uuid
LANGUAGE C VOLATILE STRICT AS 'MODULE_PATHNAME', 'retention_pseudonym_uuid';
CREATE FUNCTION retention._is_pseudonym_uuid(value uuid, token bigint) RETURNS boolean
LANGUAGE C VOLATILE STRICT AS 'MODULE_PATHNAME', 'retention_is_pseudonym_uuid';
CREATE FUNCTION retention._subject_held(kind text, value text, token bigint) RETURNS boolean
LANGUAGE C VOLATILE STRICT AS 'MODULE_PATHNAME', 'retention_subject_held';
COMMENT ON FUNCTION retention._pseudonym(text, integer, bigint) IS
    'Internal, enforcement only (token: the batch''s secret, a bound parameter): keyed HMAC-SHA-256 pseudonym in hex, maxlen characters (64 if 0), the last 8 a keyed check.';
COMMENT ON FUNCTION retention._is_pseudonym(text, integer, bigint) IS 'Internal, enforcement only: whether a value is a pseudonym (checks the keyed check digits).';
COMMENT ON FUNCTION retention._pseudonym_bytea(bytea, bigint) IS 'Internal, enforcement only: 32-byte keyed pseudonym with a keyed check.';
COMMENT ON FUNCTION retention._is_pseudonym_bytea(bytea, bigint) IS 'Internal, enforcement only.';
COMMENT ON FUNCTION retention._pseudonym_uuid(uuid, bigint) IS 'Internal, enforcement only: a keyed pseudonym that fits a uuid.';
COMMENT ON FUNCTION retention._is_pseudonym_uuid(uuid, bigint) IS 'Internal, enforcement only.';
COMMENT ON FUNCTION retention._subject_held(text, text, bigint) IS 'Internal, enforcement only: whether an active legal hold protects this identifier.';
-- Legal holds: a recorded reason to keep data beyond its period, scoped to
-- a category, a table, or one data subject (identifier stored as a keyed
-- hash, never in clear).

CREATE TABLE retention.legal_hold (
    hold_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scope          text NOT NULL CHECK (scope OPERATOR(pg_catalog.=) ANY (ARRAY['category', 'table', 'subject'])),
    category       text REFERENCES retention.category (name) ON UPDATE CASCADE,
    table_name     regclass,
    subject_kind   text,
    subject_hash   bytea,
    reason         text NOT NULL,
    placed_by      name NOT NULL DEFAULT session_user,
    placed_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    ends_at        timestamptz,
    released_by    name,
    released_at    timestamptz,
    release_reason text,
    CONSTRAINT legal_hold_one_scope CHECK (
        (scope OPERATOR(pg_catalog.=) 'category' AND category IS NOT NULL AND table_name IS NULL AND subject_hash IS NULL) OR
        (scope OPERATOR(pg_catalog.=) 'table' AND table_name IS NOT NULL AND category IS NULL AND subject_hash IS NULL) OR
        (scope OPERATOR(pg_catalog.=) 'subject' AND subject_kind IS NOT NULL AND subject_hash IS NOT NULL
         AND category IS NULL AND table_name IS NULL))
);
COMMENT ON TABLE retention.legal_hold IS
    'Legal holds: while a hold is active (not released, not past ends_at) enforcement and erasure leave its data alone and count it. Subject holds store the identifier only as a keyed hash.';
SELECT pg_catalog.pg_extension_config_dump('retention.legal_hold', '');
SELECT pg_catalog.pg_extension_config_dump('retention.legal_hold_hold_id_seq', '');
REVOKE ALL ON retention.legal_hold FROM PUBLIC;
GRANT SELECT ON retention.legal_hold TO retention_admin;

CREATE FUNCTION retention.place_hold(
    reason        text,
    category      text DEFAULT NULL,
    table_name    regclass DEFAULT NULL,
    subject_kind  text DEFAULT NULL,
    subject_value text DEFAULT NULL,
    ends_at       timestamptz DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    scopes integer := (place_hold.category IS NOT NULL)::integer
                    + (place_hold.table_name IS NOT NULL)::integer
                    + (place_hold.subject_kind IS NOT NULL OR place_hold.subject_value IS NOT NULL)::integer;
    id bigint;
BEGIN
    IF NOT pg_has_role(session_user, 'retention_admin', 'MEMBER') THEN
        RAISE EXCEPTION 'permission denied to place a legal hold'
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Legal holds are placed by members of retention_admin.';
    END IF;
    IF place_hold.reason IS NULL OR btrim(place_hold.reason) = '' THEN
        RAISE EXCEPTION 'a legal hold needs a reason'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Say why the data must be kept, e.g. the case or request it is kept for (no personal data).';
    END IF;
    IF scopes <> 1 THEN
        RAISE EXCEPTION 'a legal hold has exactly one scope'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('%s scopes were given.', scopes),
                  HINT = 'Pass category, or table_name, or subject_kind with subject_value.';
    END IF;
    IF place_hold.ends_at IS NOT NULL AND place_hold.ends_at <= now() THEN
        RAISE EXCEPTION 'ends_at of a legal hold must be in the future'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass NULL for a hold without an end, or release it with retention.release_hold().';
    END IF;
    IF place_hold.category IS NOT NULL AND NOT EXISTS (SELECT 1 FROM retention.category c WHERE c.name = place_hold.category) THEN
        RAISE EXCEPTION 'retention category "%" does not exist', place_hold.category
            USING ERRCODE = 'undefined_object',
                  HINT = 'SELECT name FROM retention.category lists the categories.';
    END IF;
    IF (place_hold.subject_kind IS NULL) <> (place_hold.subject_value IS NULL) THEN
        RAISE EXCEPTION 'a subject hold needs both subject_kind and subject_value'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'For example subject_kind => ''email'', subject_value => ''ana@example.com''.';
    END IF;
    IF place_hold.subject_kind IS NOT NULL AND place_hold.subject_kind !~ '^[a-z][a-z0-9_]*$' THEN
        RAISE EXCEPTION 'invalid subject kind'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'A subject kind is a lower-case word such as email, phone or customer_id.';
    END IF;
    INSERT INTO retention.legal_hold AS h (scope, category, table_name, subject_kind, subject_hash, reason, ends_at, placed_by)
    VALUES (CASE WHEN place_hold.category IS NOT NULL THEN 'category'
                 WHEN place_hold.table_name IS NOT NULL THEN 'table' ELSE 'subject' END,
            place_hold.category, place_hold.table_name, place_hold.subject_kind,
            CASE WHEN place_hold.subject_kind IS NOT NULL
                 THEN retention._identifier_hash(place_hold.subject_kind, place_hold.subject_value) END,
            place_hold.reason, place_hold.ends_at, session_user)
    RETURNING h.hold_id INTO id;
    RETURN id;
END
$$;
COMMENT ON FUNCTION retention.place_hold(text, text, regclass, text, text, timestamptz) IS
    'Places a legal hold on one category, one table, or one data subject (identifier kind and value, stored as a keyed hash), with a reason and an optional end. Returns the hold id. Members of retention_admin only.';

CREATE FUNCTION retention.release_hold(hold_id bigint, reason text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT pg_has_role(session_user, 'retention_admin', 'MEMBER') THEN
        RAISE EXCEPTION 'permission denied to release a legal hold'
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Legal holds are released by members of retention_admin.';
    END IF;
    UPDATE retention.legal_hold h
       SET released_at = now(), released_by = session_user, release_reason = release_hold.reason
     WHERE h.hold_id = release_hold.hold_id AND h.released_at IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no active legal hold with id %', release_hold.hold_id
            USING ERRCODE = 'undefined_object',
                  HINT = 'SELECT * FROM retention.holds lists the active holds.';
    END IF;
END
$$;
COMMENT ON FUNCTION retention.release_hold(bigint, text) IS
    'Releases a legal hold: its data falls due at the next enforcement run. Members of retention_admin only.';

REVOKE ALL ON FUNCTION retention.place_hold(text, text, regclass, text, text, timestamptz),
                       retention.release_hold(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION retention.place_hold(text, text, regclass, text, text, timestamptz),
                          retention.release_hold(bigint, text) TO retention_admin;

CREATE VIEW retention.holds AS
SELECT h.hold_id, h.scope,
       coalesce(h.category, h.table_name::text, h.subject_kind OPERATOR(pg_catalog.||) ' (one subject)') AS applies_to,
       h.reason, h.placed_by, h.placed_at, h.ends_at,
       (h.released_at IS NULL AND (h.ends_at IS NULL OR h.ends_at OPERATOR(pg_catalog.>) pg_catalog.now())) AS active,
       h.released_by, h.released_at, h.release_reason
  FROM retention.legal_hold h;
COMMENT ON VIEW retention.holds IS 'Legal holds, active and past, without the subject hashes.';
REVOKE ALL ON retention.holds FROM PUBLIC;
GRANT SELECT ON retention.holds TO retention_admin;
-- Evidence: what enforcement did, never the personal data itself.  One row
-- per run and one per job (a table or partition, and the tags acted on).
-- The logs have a retention rule of their own: category retention_evidence.

CREATE TABLE retention.run (
    run_id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    origin            text NOT NULL,
    as_of             timestamptz NOT NULL,
    started_at        timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    finished_at       timestamptz,
    status            text NOT NULL DEFAULT 'running',
    jobs              integer NOT NULL DEFAULT 0,
    rows_deleted      bigint NOT NULL DEFAULT 0,
    values_anonymized bigint NOT NULL DEFAULT 0,
    rows_held         bigint NOT NULL DEFAULT 0,
    batches           bigint NOT NULL DEFAULT 0,
    errors            bigint NOT NULL DEFAULT 0,
    wal_bytes         bigint NOT NULL DEFAULT 0,
    rows_blocked      bigint NOT NULL DEFAULT 0
);
COMMENT ON TABLE retention.run IS
    'Enforcement runs: origin (call, worker, pg_cron), the instant due times were computed for (as_of), status (running, completed, completed with errors, partial, interrupted) and totals. No personal data.';
CREATE INDEX run_finished_at ON retention.run (finished_at);

CREATE TABLE retention.action_log (
    action_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id           bigint NOT NULL REFERENCES retention.run ON DELETE CASCADE,
    table_name       text NOT NULL,
    relation_name    text NOT NULL,
    action           text NOT NULL,
    columns          text[],
    categories       text[] NOT NULL DEFAULT '{}',
    methods          text[],
    rows_processed   bigint NOT NULL DEFAULT 0,
    values_processed bigint[],
    rows_held        bigint NOT NULL DEFAULT 0,
    batches          bigint NOT NULL DEFAULT 0,
    wal_bytes        bigint NOT NULL DEFAULT 0,
    started_at       timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    finished_at      timestamptz,
    outcome          text NOT NULL DEFAULT 'running',
    error_sqlstate   text,
    error            text,
    rows_blocked     bigint NOT NULL DEFAULT 0
);
COMMENT ON TABLE retention.action_log IS
    'One row per enforcement job: the tagged table, the relation acted on (the table or a partition), action (delete, anonymize), the columns, categories and methods, rows processed (deleted or updated) and values anonymized per column, rows held, rows blocked (due but still referenced by a foreign key that forbids the delete), batches, WAL bytes, start and end, outcome (done, held, partial, error, dropped/detached partition, interrupted) and, for errors, the SQLSTATE and a description in the extension''s own words. Never row values or identifiers.';
CREATE INDEX action_log_run ON retention.action_log (run_id);
CREATE INDEX action_log_table ON retention.action_log (table_name, action_id);

-- dumped with the database: the evidence must outlive a restore
SELECT pg_catalog.pg_extension_config_dump('retention.run', '');
SELECT pg_catalog.pg_extension_config_dump('retention.run_run_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('retention.action_log', '');
SELECT pg_catalog.pg_extension_config_dump('retention.action_log_action_id_seq', '');

REVOKE ALL ON retention.run, retention.action_log FROM PUBLIC;
GRANT SELECT ON retention.run, retention.action_log TO retention_admin;

-- The logs' own retention rule, adjustable with alter_category().  A restore
-- loads the dumped row over the one CREATE EXTENSION made.
INSERT INTO retention.category (name, period, starts, action, description, purpose, legal_basis)
VALUES ('retention_evidence', '2 years', 'exact', 'delete',
        'pg_retention''s own evidence: enforcement runs and actions (no personal data)',
        'Demonstrating that the retention policy is enforced (accountability)',
        'Legal obligation / accountability (GDPR Art. 5(2))');

CREATE FUNCTION retention._category_restore()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.name = 'retention_evidence'
       AND EXISTS (SELECT 1 FROM retention.category c WHERE c.name = NEW.name) THEN
        UPDATE retention.category c
           SET period = NEW.period, starts = NEW.starts, description = NEW.description,
               purpose = NEW.purpose, legal_basis = NEW.legal_basis, time_zone = NEW.time_zone,
               created_at = NEW.created_at, updated_at = NEW.updated_at
         WHERE c.name = NEW.name;
        RETURN NULL;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION retention._category_restore() IS
    'Internal: a restored retention_evidence row replaces the one CREATE EXTENSION made.';
CREATE TRIGGER category_restore BEFORE INSERT ON retention.category
    FOR EACH ROW EXECUTE FUNCTION retention._category_restore();

CREATE FUNCTION retention._protect_evidence_category()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF OLD.name = 'retention_evidence' AND (TG_OP = 'DELETE' OR NEW.name <> OLD.name OR NEW.action <> 'delete') THEN
        RAISE EXCEPTION 'category "retention_evidence" cannot be dropped, renamed or given another action'
            USING ERRCODE = 'object_in_use',
                  DETAIL = 'It is the retention rule of pg_retention''s own evidence log.',
                  HINT = 'Change its period with retention.alter_category(''retention_evidence'', period => ...).';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
COMMENT ON FUNCTION retention._protect_evidence_category() IS
    'Internal: keeps the retention_evidence category in place.';
CREATE TRIGGER category_protect_evidence BEFORE UPDATE OR DELETE ON retention.category
    FOR EACH ROW EXECUTE FUNCTION retention._protect_evidence_category();
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

CREATE FUNCTION retention._tag_stats(
    as_of       timestamptz,
    with_times  boolean,
    OUT table_name    regclass,
    OUT relation_name regclass,
    OUT column_name   name,
    OUT category      text,
    OUT action        text,
    OUT anchor_cutoff text,
    OUT rows_due      bigint,
    OUT rows_held     bigint,
    OUT index_serves  boolean,
    OUT oldest_due_anchor timestamptz,
    OUT next_due      timestamptz,
    OUT note          text,
    OUT rows_blocked  bigint)
RETURNS SETOF record
LANGUAGE C STABLE STRICT
AS 'MODULE_PATHNAME', 'retention_tag_stats';
COMMENT ON FUNCTION retention._tag_stats(timestamptz, boolean) IS
    'Internal: per tag and relation, what enforcement as of as_of would process. Use retention.preview() or retention.status.';
REVOKE ALL ON FUNCTION retention._tag_stats(timestamptz, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION retention._tag_stats(timestamptz, boolean) TO retention_admin;

CREATE FUNCTION retention.preview(as_of timestamptz DEFAULT pg_catalog.now())
RETURNS TABLE (table_name    regclass,
               column_name   name,
               category      text,
               action        text,
               anchor_cutoff text,
               rows_due      bigint,
               rows_held     bigint,
               index_serves  boolean,
               note          text,
               rows_blocked  bigint)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT s.table_name, s.column_name, s.category, s.action,
           min(s.anchor_cutoff), sum(s.rows_due)::bigint, sum(s.rows_held)::bigint,
           bool_and(s.index_serves), string_agg(DISTINCT s.note, '; '), sum(s.rows_blocked)::bigint
      FROM retention._tag_stats(as_of, false) s
     GROUP BY s.table_name, s.column_name, s.category, s.action
     ORDER BY s.table_name::text, s.column_name NULLS FIRST
$$;
COMMENT ON FUNCTION retention.preview(timestamptz) IS
    'What enforcement would do at as_of (now, or a future instant), without changing data: per tag, the rows (table tags) or values (column tags) it would delete or anonymize, the rows a legal hold keeps, the rows still referenced by a foreign key that forbids their deletion (rows_blocked), the anchor cutoff (anchors up to it are due), and whether an index serves the due predicate. Members of retention_admin only.';
REVOKE ALL ON FUNCTION retention.preview(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION retention.preview(timestamptz) TO retention_admin;

CREATE VIEW retention.status AS
WITH stats AS (
    SELECT s.table_name,
           (SELECT pg_catalog.format('%I.%I', n.nspname, c.relname)
              FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
             WHERE c.oid OPERATOR(pg_catalog.=) s.table_name) AS qualified_name,
           s.column_name, s.category, s.action,
           sum(s.rows_due)::bigint AS rows_overdue, sum(s.rows_held)::bigint AS rows_held,
           min(s.oldest_due_anchor) AS oldest_overdue_anchor,
           min(s.next_due) AS next_due, bool_and(s.index_serves) AS index_serves,
           string_agg(DISTINCT s.note, '; ') AS note, sum(s.rows_blocked)::bigint AS rows_blocked
      FROM retention._tag_stats(pg_catalog.now(), true) s
     GROUP BY s.table_name, 2, s.column_name, s.category, s.action)
SELECT st.table_name, st.column_name, st.category, st.action,
       st.rows_overdue, st.rows_held,
       pg_catalog.now() OPERATOR(pg_catalog.-) st.oldest_overdue_anchor AS oldest_overdue_age,
       st.next_due, st.index_serves,
       last.finished_at AS last_run,
       last.outcome AS last_outcome,
       err.finished_at AS last_error_at,
       err.error_sqlstate OPERATOR(pg_catalog.||) ': ' OPERATOR(pg_catalog.||) err.error AS last_error,
       st.note,
       st.rows_blocked
  FROM stats st
  LEFT JOIN LATERAL (
        SELECT a.finished_at, a.outcome FROM retention.action_log a
         WHERE a.table_name OPERATOR(pg_catalog.=) st.qualified_name
           AND (CASE WHEN st.column_name IS NULL THEN a.action OPERATOR(pg_catalog.=) 'delete'
                     ELSE st.column_name::text OPERATOR(pg_catalog.=) ANY (a.columns) END)
         ORDER BY a.action_id DESC LIMIT 1) last ON true
  LEFT JOIN LATERAL (
        SELECT a.finished_at, a.error_sqlstate, a.error FROM retention.action_log a
         WHERE a.table_name OPERATOR(pg_catalog.=) st.qualified_name
           AND a.outcome OPERATOR(pg_catalog.=) 'error'
           AND (CASE WHEN st.column_name IS NULL THEN a.action OPERATOR(pg_catalog.=) 'delete'
                     ELSE st.column_name::text OPERATOR(pg_catalog.=) ANY (a.columns) END)
         ORDER BY a.action_id DESC LIMIT 1) err ON true;
COMMENT ON VIEW retention.status IS
    'Per tag: rows (or values) overdue now, rows under legal hold, rows blocked (due, but still referenced by a foreign key that forbids the delete), age of the oldest overdue anchor, the next due time, whether an index serves the anchor, the last enforcement of the tag and its outcome, and the last error (SQLSTATE and description). Members of retention_admin only.';
REVOKE ALL ON retention.status FROM PUBLIC;
GRANT SELECT ON retention.status TO retention_admin;
-- Data subject rights: access / portability (export), erasure, the
-- suppression list, and the request log.  Members of retention_dsr (and
-- superusers) only; the C functions check that themselves as well.

CREATE TABLE retention.suppression (
    kind            text NOT NULL,
    identifier_hash bytea NOT NULL,
    reason          text NOT NULL,
    added_at        timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (kind, identifier_hash)
);
COMMENT ON TABLE retention.suppression IS
    'The suppression list: keyed hashes of normalized identifiers that must not be imported or contacted again (after an erasure, or an opt-out). Never identifiers in clear. Check with retention.is_suppressed(kind, value).';
SELECT pg_catalog.pg_extension_config_dump('retention.suppression', '');
REVOKE ALL ON retention.suppression FROM PUBLIC;

CREATE TABLE retention.dsr_request (
    request_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind              text NOT NULL,
    identifier_hashes text[] NOT NULL,
    dry_run           boolean NOT NULL DEFAULT false,
    requested_by      name NOT NULL,
    requested_at      timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    rows_found        bigint NOT NULL DEFAULT 0,
    tables            jsonb NOT NULL DEFAULT '{}',
    outcome           text NOT NULL
);
COMMENT ON TABLE retention.dsr_request IS
    'The request log of data subject requests: kind (export, erase, erase (dry run)), the identifiers as "kind:keyed hash" (never in clear), who asked and when, rows found, per-table counts (found, deleted, anonymized, held) and the outcome.';
SELECT pg_catalog.pg_extension_config_dump('retention.dsr_request', '');
SELECT pg_catalog.pg_extension_config_dump('retention.dsr_request_request_id_seq', '');
REVOKE ALL ON retention.dsr_request FROM PUBLIC;
GRANT SELECT ON retention.dsr_request TO retention_admin, retention_dsr;

CREATE FUNCTION retention.export_subject_rows(
    identifiers       jsonb,
    OUT table_name    regclass,
    OUT relation_name regclass,
    OUT row_key       jsonb,
    OUT row_data      jsonb,
    OUT category      text,
    OUT due_at        timestamptz,
    OUT columns_due   jsonb,
    OUT found_by      text,
    OUT depth         integer)
RETURNS SETOF record
LANGUAGE C VOLATILE STRICT
AS 'MODULE_PATHNAME', 'retention_export_subject_rows';
COMMENT ON FUNCTION retention.export_subject_rows(jsonb) IS
    'Every row of one data subject, e.g. ''{"email": "ana@example.com"}'': rows whose subject-tagged columns hold one of the identifiers (normalized), and rows reachable from them through foreign keys; per row its table, key, content, category and due date (table tag), and per anonymizable column its own due date. One snapshot; logged without identifiers in clear. Members of retention_dsr only.';

CREATE FUNCTION retention.export_subject(identifiers jsonb)
RETURNS jsonb
LANGUAGE sql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
    WITH r AS MATERIALIZED (SELECT * FROM retention.export_subject_rows(identifiers)),
    used AS (
        SELECT r.category AS name FROM r WHERE r.category IS NOT NULL
        UNION
        SELECT d.value ->> 'category' FROM r, jsonb_each(r.columns_due) d)
    SELECT jsonb_build_object(
        'generated_at', clock_timestamp(),
        'identifiers_searched', identifiers,
        'categories', coalesce((
            SELECT jsonb_object_agg(c.name, jsonb_build_object(
                       'description', c.description,
                       'purpose', c.purpose,
                       'legal_basis', c.legal_basis,
                       'retention', retention.rule_in_words(c.period, c.starts, c.time_zone)))
              FROM retention.category c WHERE c.name IN (SELECT name FROM used)), '{}'),
        'tables', coalesce((
            SELECT jsonb_agg(t ORDER BY t ->> 'table')
              FROM (SELECT jsonb_build_object(
                           'table', r.table_name::text,
                           'rows', jsonb_agg(jsonb_build_object(
                                       'key', r.row_key,
                                       'data', r.row_data,
                                       'category', r.category,
                                       'due_at', r.due_at,
                                       'columns_due', r.columns_due,
                                       'found_by', r.found_by)
                                   ORDER BY r.row_key::text)) AS t
                      FROM r GROUP BY r.table_name) tables), '[]'))
$$;
COMMENT ON FUNCTION retention.export_subject(jsonb) IS
    'Subject access and portability: one JSON document with all of a person''s tagged data across the database (and rows linked to it by foreign keys), taken in one snapshot; for every category the description, purpose, legal basis and retention rule in words; for every row the date it is due to be deleted, and for every anonymizable column its own due date. Members of retention_dsr only.';

CREATE FUNCTION retention.export_subject_csv(
    identifiers      jsonb,
    OUT table_name   text,
    OUT row_key      text,
    OUT column_name  text,
    OUT value        text,
    OUT category     text,
    OUT due_at       timestamptz)
RETURNS SETOF record
LANGUAGE sql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT r.table_name::text, r.row_key::text, f.key, f.value #>> '{}',
           coalesce(r.columns_due -> f.key ->> 'category', r.category),
           coalesce((r.columns_due -> f.key ->> 'due_at')::timestamptz, r.due_at)
      FROM retention.export_subject_rows(identifiers) r, jsonb_each(r.row_data) f
     ORDER BY 1, 2, 3
$$;
COMMENT ON FUNCTION retention.export_subject_csv(jsonb) IS
    'Portability in a plain tabular form: one row per table, row and column, with the column''s category and due date; \copy (SELECT * FROM retention.export_subject_csv(...)) TO ''ana.csv'' CSV HEADER. Members of retention_dsr only.';

CREATE FUNCTION retention.erase_subject(
    identifiers         jsonb,
    dry_run             boolean DEFAULT false,
    OUT table_name      regclass,
    OUT rows_found      bigint,
    OUT rows_deleted    bigint,
    OUT rows_anonymized bigint,
    OUT rows_held       bigint,
    OUT note            text)
RETURNS SETOF record
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'retention_erase_subject';
COMMENT ON FUNCTION retention.erase_subject(jsonb, boolean) IS
    'Erasure: deletes the person''s rows where their table deletes rows (a table tag, or no tag at all), anonymizes the tagged columns (and removes identifiers) where it keeps them, children before parents, in the caller''s transaction; data under a legal hold is reported and left alone; then the identifiers go on the suppression list. dry_run reports and changes nothing. Members of retention_dsr only.';

CREATE FUNCTION retention.suppress(kind text, value text, reason text DEFAULT 'opt-out')
RETURNS void
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'retention_suppress';
COMMENT ON FUNCTION retention.suppress(text, text, text) IS
    'Adds an identifier (e.g. a marketing opt-out) to the suppression list as a keyed hash, without erasing anything. Members of retention_dsr only.';

CREATE FUNCTION retention.is_suppressed(kind text, value text)
RETURNS boolean
LANGUAGE C STABLE STRICT
AS 'MODULE_PATHNAME', 'retention_is_suppressed';
COMMENT ON FUNCTION retention.is_suppressed(text, text) IS
    'Whether an identifier is on the suppression list (compared in normalized form), for imports that must refuse it. Grant EXECUTE to the roles that import.';

REVOKE ALL ON FUNCTION retention.export_subject_rows(jsonb), retention.export_subject(jsonb),
                       retention.export_subject_csv(jsonb), retention.erase_subject(jsonb, boolean),
                       retention.suppress(text, text, text), retention.is_suppressed(text, text)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION retention.export_subject_rows(jsonb), retention.export_subject(jsonb),
                          retention.export_subject_csv(jsonb), retention.erase_subject(jsonb, boolean),
                          retention.suppress(text, text, text), retention.is_suppressed(text, text)
    TO retention_dsr;
-- The background workers (src/worker.c), when the library is preloaded.

CREATE FUNCTION retention.worker_status(
    OUT role           text,
    OUT database       text,
    OUT pid            integer,
    OUT state          text,
    OUT state_since    timestamptz,
    OUT last_cycle_end timestamptz,
    OUT last_run_id    bigint,
    OUT message        text)
RETURNS SETOF record
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'retention_worker_status';
COMMENT ON FUNCTION retention.worker_status() IS
    'The pg_retention launcher and database workers: state (enforcing, sleeping, no extension, no slot, paused for DDL on the database, standby), pid, last cycle, last run id, and why a database has no worker.';
REVOKE ALL ON FUNCTION retention.worker_status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION retention.worker_status() TO retention_admin;

CREATE FUNCTION retention._worker_wake()
RETURNS void
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'retention_worker_wake';
COMMENT ON FUNCTION retention._worker_wake() IS
    'Internal: asks the launcher to start this database''s worker now (run by CREATE EXTENSION).';
REVOKE ALL ON FUNCTION retention._worker_wake() FROM PUBLIC;

SELECT retention._worker_wake();
-- Lint: what the policy misses.  Columns that look like personal data but
-- carry no tag, tables whose subject identifiers have no retention rule,
-- anchors and subject columns no index serves, tags that no longer resolve,
-- categories no tag uses.  A finding that a person has reviewed is silenced
-- with a recorded reason (retention.lint_exception).
--
-- Privileges: retention.lint() runs as its caller and reads only what every
-- role can read already (pg_class, pg_attribute, pg_index, pg_seclabel
-- through retention.tags, the categories and the exception list), so it
-- tells no role anything new and PUBLIC may run it.  Exceptions are
-- recorded by members of retention_admin.

CREATE TABLE retention.lint_exception (
    check_name  text NOT NULL,
    table_name  regclass,
    column_name name,
    category    text REFERENCES retention.category (name) ON UPDATE CASCADE ON DELETE CASCADE,
    reason      text NOT NULL,
    ignored_by  name NOT NULL DEFAULT session_user,
    ignored_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT lint_exception_check_known CHECK (check_name OPERATOR(pg_catalog.=) ANY (ARRAY[
        'untagged_personal_data', 'subject_without_retention', 'anchor_without_index',
        'subject_without_index', 'invalid_tag', 'unused_category'])),
    CONSTRAINT lint_exception_one_target CHECK (
        CASE WHEN check_name OPERATOR(pg_catalog.=) 'unused_category'
             THEN category IS NOT NULL AND table_name IS NULL AND column_name IS NULL
             ELSE table_name IS NOT NULL AND category IS NULL END),
    CONSTRAINT lint_exception_reason_given
        CHECK (pg_catalog.btrim(reason) OPERATOR(pg_catalog.<>) ''),
    CONSTRAINT lint_exception_unique
        UNIQUE NULLS NOT DISTINCT (check_name, table_name, column_name, category)
);
COMMENT ON TABLE retention.lint_exception IS
    'Reviewed retention.lint() findings that are not to be reported again: per check, a table (column_name NULL: all its columns) or a column, or for unused_category a category; with the reason, who recorded it and when. Change with retention.lint_ignore / lint_unignore (lint_ignore_category / lint_unignore_category). Readable by every role: write no personal data in the reason.';
COMMENT ON COLUMN retention.lint_exception.check_name IS 'The lint check silenced: untagged_personal_data, subject_without_retention, anchor_without_index, subject_without_index, invalid_tag or unused_category.';
COMMENT ON COLUMN retention.lint_exception.table_name IS 'The table the exception applies to (follows renames; an exception whose table is dropped is reported as stale).';
COMMENT ON COLUMN retention.lint_exception.column_name IS 'The column the exception applies to; NULL: every column of the table.';
COMMENT ON COLUMN retention.lint_exception.category IS 'For unused_category: the category that may stay unused.';
COMMENT ON COLUMN retention.lint_exception.reason IS 'Why the finding is acceptable, e.g. "synthetic test data" (required).';
COMMENT ON COLUMN retention.lint_exception.ignored_by IS 'The session user who recorded the exception.';
COMMENT ON COLUMN retention.lint_exception.ignored_at IS 'When the exception was recorded (or its reason last replaced).';

SELECT pg_catalog.pg_extension_config_dump('retention.lint_exception', '');
REVOKE ALL ON retention.lint_exception FROM PUBLIC;
GRANT SELECT ON retention.lint_exception TO PUBLIC;
GRANT INSERT, UPDATE, DELETE ON retention.lint_exception TO retention_admin;

-- Does the subject search compare this column with plain equality (integer
-- identifiers of kinds other than email and phone; see src/subject.c)?
CREATE FUNCTION retention._lint_subject_by_equality(kind text, type oid)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
RETURN kind NOT IN ('email', 'phone')
   AND (SELECT CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
          FROM pg_catalog.pg_type t WHERE t.oid = type)
       IN ('pg_catalog.int2'::pg_catalog.regtype, 'pg_catalog.int4'::pg_catalog.regtype,
           'pg_catalog.int8'::pg_catalog.regtype);
COMMENT ON FUNCTION retention._lint_subject_by_equality(text, oid) IS
    'Internal: whether the subject search compares a column of this kind and type by plain equality (else by retention.normalize_identifier).';

-- Is there a valid index whose first key is retention.normalize_identifier(kind, col)?
CREATE FUNCTION retention._lint_normalized_index(relid regclass, kind text, column_name name)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
RETURN EXISTS (
    SELECT 1 FROM pg_catalog.pg_index i
     WHERE i.indrelid = relid AND i.indisvalid AND i.indkey[0] = 0
       AND pg_catalog.regexp_replace(pg_catalog.pg_get_indexdef(i.indexrelid, 1, false), '[()]', '', 'g')
           = pg_catalog.format('retention.normalize_identifier%L::text, %I', kind, column_name)
             OR pg_catalog.regexp_replace(pg_catalog.pg_get_indexdef(i.indexrelid, 1, false), '[()]', '', 'g')
           = pg_catalog.format('retention.normalize_identifier%L::text, %I::text', kind, column_name));
COMMENT ON FUNCTION retention._lint_normalized_index(regclass, text, name) IS
    'Internal: whether an index leads with retention.normalize_identifier(kind, column), the expression the subject search compares.';

-- The personal-data term in a column name, or NULL.
CREATE FUNCTION retention._lint_name_term(column_name text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- single words (after splitting snake_case, camelCase and letters from
    -- digits: ipv4 is ipv, 4)
    singles constant text[] := ARRAY[
        'email', 'emails', 'mail', 'emailaddress', 'phone', 'phones', 'phonenumber',
        'telephone', 'tel', 'mobile', 'cellphone', 'msisdn', 'imsi', 'imei', 'iccid',
        'fax', 'ip', 'ipaddress', 'ipv', 'inet', 'address', 'street', 'city',
        'postcode', 'postalcode', 'zip', 'zipcode', 'birth', 'birthday', 'birthdate',
        'dob', 'dateofbirth', 'firstname', 'lastname', 'fullname', 'surname', 'forename',
        'givenname', 'familyname', 'maidenname', 'middlename', 'username', 'login',
        'ssn', 'passport', 'iban', 'latitude', 'longitude', 'geo', 'geolocation',
        'useragent', 'gender', 'nationality'];
    -- two consecutive words
    pairs constant text[] := ARRAY[
        'first name', 'last name', 'full name', 'given name', 'family name',
        'middle name', 'maiden name', 'user name', 'national id', 'tax id',
        'tax number', 'vat id', 'vat number', 'account number', 'card number',
        'credit card', 'bank account', 'user agent', 'postal code', 'post code',
        'zip code', 'ip address', 'ip addr', 'mac address', 'birth date',
        'social security', 'driver license', 'drivers license', 'driving licence',
        'driving license', 'phone number'];
    -- a name that ends in one of these describes something else (a key, a
    -- count, a setting), unless the personal-data term itself ends the name
    stop_words constant text[] := ARRAY[
        'id', 'ids', 'uuid', 'count', 'type', 'kind', 'status', 'format',
        'template', 'enabled', 'verified', 'flag', 'version'];
    words text[];
    n integer;
BEGIN
    words := array_remove(regexp_split_to_array(lower(
                 regexp_replace(regexp_replace(regexp_replace(column_name,
                     '([a-z0-9])([A-Z])', '\1_\2', 'g'),
                     '([A-Z]+)([A-Z][a-z])', '\1_\2', 'g'),
                     '([A-Za-z])([0-9])', '\1_\2', 'g')),
                 '[^a-z0-9]+'), '');
    n := cardinality(words);
    FOR i IN 1 .. n LOOP
        IF i < n AND words[i] || ' ' || words[i + 1] = ANY (pairs)
           AND (i + 1 = n OR words[n] <> ALL (stop_words)) THEN
            RETURN words[i] || '_' || words[i + 1];
        END IF;
        IF words[i] = ANY (singles) AND (i = n OR words[n] <> ALL (stop_words)) THEN
            RETURN words[i];
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION retention._lint_name_term(text) IS
    'Internal: the personal-data term (email, phone, ip_address, first_name, ...) that a column name contains on word boundaries of snake_case or camelCase, or NULL.';

-- Whether a valid index on relid leads with column attnum (with
-- allow_expression also an expression of it, such as lower(email)).
CREATE FUNCTION retention._lint_index_leads(relid oid, attnum smallint, allow_expression boolean)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (
        SELECT 1
          FROM pg_catalog.pg_index i
          JOIN pg_catalog.pg_attribute a
            ON a.attrelid OPERATOR(pg_catalog.=) i.indrelid AND a.attnum OPERATOR(pg_catalog.=) _lint_index_leads.attnum
         WHERE i.indrelid OPERATOR(pg_catalog.=) _lint_index_leads.relid
           AND i.indisvalid
           AND i.indnkeyatts OPERATOR(pg_catalog.>) 0
           AND (i.indkey[0] OPERATOR(pg_catalog.=) _lint_index_leads.attnum
                OR (allow_expression
                    AND i.indkey[0] OPERATOR(pg_catalog.=) 0
                    AND CASE WHEN pg_catalog.quote_ident(a.attname) OPERATOR(pg_catalog.=) a.attname::text
                             THEN pg_catalog.pg_get_indexdef(i.indexrelid, 1, false)
                                  OPERATOR(pg_catalog.~) ('\m' OPERATOR(pg_catalog.||)
                                      pg_catalog.replace(a.attname::text, '$', '\$') OPERATOR(pg_catalog.||) '\M')
                             ELSE pg_catalog.strpos(pg_catalog.pg_get_indexdef(i.indexrelid, 1, false),
                                                    pg_catalog.quote_ident(a.attname))
                                  OPERATOR(pg_catalog.>) 0 END)))
$$;
COMMENT ON FUNCTION retention._lint_index_leads(oid, smallint, boolean) IS
    'Internal: whether a valid index of the relation has the column as its first key (with allow_expression, also an expression of it such as lower(email)).';

-- The anchor lint suggests for a table: its first date or time column.
CREATE FUNCTION retention._lint_suggested_anchor(relid oid)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(
        (SELECT pg_catalog.quote_ident(a.attname)
           FROM pg_catalog.pg_attribute a
           JOIN pg_catalog.pg_type t ON t.oid OPERATOR(pg_catalog.=) a.atttypid
          WHERE a.attrelid OPERATOR(pg_catalog.=) _lint_suggested_anchor.relid
            AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
            AND (CASE WHEN t.typtype OPERATOR(pg_catalog.=) 'd' THEN t.typbasetype ELSE t.oid END)
                OPERATOR(pg_catalog.=) ANY (ARRAY['pg_catalog.timestamptz'::pg_catalog.regtype,
                                                  'pg_catalog.timestamp'::pg_catalog.regtype,
                                                  'pg_catalog.date'::pg_catalog.regtype]::oid[])
          ORDER BY a.attnum
          LIMIT 1),
        '<date column>')
$$;
COMMENT ON FUNCTION retention._lint_suggested_anchor(oid) IS
    'Internal: the anchor retention.lint() suggests for a table (its first date or timestamp column).';

CREATE FUNCTION retention.lint(schema_name name DEFAULT NULL)
RETURNS TABLE (severity   text,
               check_name text,
               object     text,
               message    text,
               hint       text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
WITH tags AS MATERIALIZED (
    SELECT t.table_name::oid AS relid, t.column_name, t.kind, t.category, t.anchor,
           t.anchor_table::oid AS anchor_relid, t.subject, t.valid, t.problem,
           t.problem_sqlstate, t.label
      FROM retention.tags t
),
-- user tables: not the catalogs', not an extension's, not partitions (the
-- parent's tags cover them), not temporary
user_tables AS (
    SELECT c.oid AS relid, n.nspname, c.relname,
           pg_catalog.format('%I.%I', n.nspname, c.relname) AS qualified
      FROM pg_catalog.pg_class c
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p')
       AND NOT c.relispartition
       AND c.relpersistence <> 't'
       AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'retention', 'pg_toast')
       AND n.nspname NOT LIKE 'pg\_temp\_%'
       AND n.nspname NOT LIKE 'pg\_toast\_temp\_%'
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                        WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                          AND d.objid = c.oid
                          AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
                          AND d.deptype = 'e')
),
-- columns that look like personal data, and why
personal AS (
    SELECT u.relid, u.qualified, a.attname,
           CASE WHEN eff.typ IN ('pg_catalog.inet'::pg_catalog.regtype, 'pg_catalog.cidr'::pg_catalog.regtype,
                                 'pg_catalog.macaddr'::pg_catalog.regtype, 'pg_catalog.macaddr8'::pg_catalog.regtype)
                THEN pg_catalog.format('its type is %s', pg_catalog.format_type(a.atttypid, a.atttypmod))
                ELSE pg_catalog.format('its name contains "%s"', m.term) END AS why
      FROM user_tables u
      JOIN pg_catalog.pg_attribute a ON a.attrelid = u.relid AND a.attnum > 0 AND NOT a.attisdropped
      JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
      CROSS JOIN LATERAL (SELECT CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END AS oid) base
      JOIN pg_catalog.pg_type bt ON bt.oid = base.oid
      CROSS JOIN LATERAL (SELECT CASE WHEN bt.typcategory = 'A' THEN bt.typelem ELSE bt.oid END AS typ) eff
      JOIN pg_catalog.pg_type et ON et.oid = eff.typ
      CROSS JOIN LATERAL (SELECT retention._lint_name_term(a.attname) AS term) m
     WHERE eff.typ IN ('pg_catalog.inet'::pg_catalog.regtype, 'pg_catalog.cidr'::pg_catalog.regtype,
                       'pg_catalog.macaddr'::pg_catalog.regtype, 'pg_catalog.macaddr8'::pg_catalog.regtype)
        OR (m.term IS NOT NULL
            AND et.typcategory <> 'B'
            AND (et.typcategory NOT IN ('D', 'T')
                 OR m.term IN ('birth', 'birthday', 'birthdate', 'dob', 'dateofbirth', 'birth_date')))
),
-- anchors resolved to (relation, column): the parent's column for
-- foreign-key anchors
anchors AS (
    SELECT t.*, ar.relid AS index_relid, aa.attnum AS index_attnum, aa.attname AS index_attname
      FROM tags t
      CROSS JOIN LATERAL (SELECT pg_catalog.regexp_match(t.anchor, '^("(?:[^"]|"")*"|[^"]*?)->(.*)$') AS fk) p
      CROSS JOIN LATERAL (SELECT coalesce(t.anchor_relid, t.relid) AS relid,
                                 CASE WHEN p.fk IS NULL THEN (pg_catalog.parse_ident(t.anchor))[1]
                                      ELSE (SELECT x[pg_catalog.cardinality(x)]
                                              FROM pg_catalog.parse_ident(p.fk[2]) x) END AS attname) ar
      JOIN pg_catalog.pg_attribute aa
        ON aa.attrelid = ar.relid AND aa.attname = ar.attname AND aa.attnum > 0 AND NOT aa.attisdropped
     WHERE t.valid AND t.anchor IS NOT NULL
),
findings AS (
    -- (1) columns that look like personal data and have no tag, on a table without one
    SELECT 'warning' AS severity, 'untagged_personal_data' AS check_name,
           p.relid, p.attname AS column_name, NULL::text AS category,
           p.qualified OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(p.attname) AS object,
           pg_catalog.format('column looks like personal data (%s) but has no retention tag, and neither has its table', p.why) AS message,
           pg_catalog.format('Tag the table, e.g. SECURITY LABEL FOR retention ON TABLE %s IS %L; or tag the column with a category (its value is anonymized when due) or a subject kind; or, if it is not personal data, record why: SELECT retention.lint_ignore(%L, %L, ''<reason>'');',
                             p.qualified, 'category=<category> anchor=' OPERATOR(pg_catalog.||) retention._lint_suggested_anchor(p.relid),
                             p.qualified, p.attname) AS hint
      FROM personal p
     WHERE NOT EXISTS (SELECT 1 FROM tags t
                        WHERE t.relid = p.relid
                          AND (t.column_name IS NULL OR t.column_name = p.attname))
    UNION ALL
    -- (1b) tables with subject identifiers but no retention rule at all
    SELECT 'warning', 'subject_without_retention', u.relid, NULL, NULL, u.qualified,
           pg_catalog.format('table has subject identifier columns (%s) but no retention rule: neither a table tag nor a column tag with a category',
                             (SELECT pg_catalog.string_agg(pg_catalog.format('%I: subject=%s', s.column_name, s.subject), ', '
                                                           ORDER BY s.column_name COLLATE "C")
                                FROM tags s WHERE s.relid = u.relid AND s.subject IS NOT NULL)),
           pg_catalog.format('Give the table a retention rule, e.g. SECURITY LABEL FOR retention ON TABLE %s IS %L; or tag its personal-data columns with a category.',
                             u.qualified, 'category=<category> anchor=' OPERATOR(pg_catalog.||) retention._lint_suggested_anchor(u.relid))
      FROM user_tables u
     WHERE EXISTS (SELECT 1 FROM tags s WHERE s.relid = u.relid AND s.subject IS NOT NULL)
       AND NOT EXISTS (SELECT 1 FROM tags r WHERE r.relid = u.relid AND r.kind IN ('table', 'column'))
    UNION ALL
    -- (2) anchors no index serves
    SELECT 'notice', 'anchor_without_index', a.relid, a.column_name, NULL,
           pg_catalog.format('%I.%I', n.nspname, c.relname)
               OPERATOR(pg_catalog.||) coalesce('.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(a.column_name), ''),
           pg_catalog.format('no index leads with the anchor %s%s, so enforcement scans the table to find due rows',
                             a.anchor,
                             CASE WHEN a.anchor_relid IS NOT NULL
                                  THEN pg_catalog.format(' (column %I of %s)', a.index_attname,
                                                         pg_catalog.format('%I.%I', pn.nspname, pc.relname))
                                  ELSE '' END),
           pg_catalog.format('CREATE INDEX ON %I.%I (%I);', pn.nspname, pc.relname, a.index_attname)
      FROM anchors a
      JOIN pg_catalog.pg_class c ON c.oid = a.relid
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_catalog.pg_class pc ON pc.oid = a.index_relid
      JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
     WHERE NOT retention._lint_index_leads(a.index_relid, a.index_attnum, false)
    UNION ALL
    -- (3) subject identifier columns no index serves
    -- (the index the subject search uses: plain equality for integer
    -- identifiers, retention.normalize_identifier('kind', col) otherwise)
    SELECT 'notice', 'subject_without_index', t.relid, t.column_name, NULL,
           pg_catalog.format('%I.%I.%I', n.nspname, c.relname, t.column_name),
           pg_catalog.format('no index serves the search for this subject identifier column (subject=%s), so finding a person''s rows scans the table', t.subject),
           CASE WHEN retention._lint_subject_by_equality(t.subject, a.atttypid)
                THEN pg_catalog.format('CREATE INDEX ON %I.%I (%I);', n.nspname, c.relname, t.column_name)
                ELSE pg_catalog.format('CREATE INDEX ON %I.%I (retention.normalize_identifier(%L, %I%s));',
                                       n.nspname, c.relname, t.subject, t.column_name,
                                       CASE WHEN a.atttypid OPERATOR(pg_catalog.=) 'pg_catalog.text'::pg_catalog.regtype
                                            THEN '' ELSE '::text' END)
           END
      FROM tags t
      JOIN pg_catalog.pg_class c ON c.oid = t.relid
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_catalog.pg_attribute a ON a.attrelid = t.relid AND a.attname = t.column_name
     WHERE t.subject IS NOT NULL AND t.column_name IS NOT NULL
       AND NOT CASE WHEN retention._lint_subject_by_equality(t.subject, a.atttypid)
                    THEN retention._lint_index_leads(t.relid, a.attnum, true)
                    ELSE retention._lint_normalized_index(t.relid, t.subject, t.column_name) END
    UNION ALL
    -- (4) tags that no longer resolve
    SELECT 'warning', 'invalid_tag', t.relid, t.column_name, NULL,
           pg_catalog.format('%I.%I', n.nspname, c.relname)
               OPERATOR(pg_catalog.||) coalesce('.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(t.column_name), ''),
           pg_catalog.format('retention tag no longer resolves (SQLSTATE %s): %s; enforcement skips it', t.problem_sqlstate, t.problem),
           pg_catalog.format('Correct the label (%s) with SECURITY LABEL FOR retention ON %s %s IS ''...'' or the retention.tag_table / tag_column helpers, or remove it with SELECT retention.untag(%L%s);',
                             t.label,
                             CASE WHEN t.column_name IS NULL THEN 'TABLE' ELSE 'COLUMN' END,
                             pg_catalog.format('%I.%I', n.nspname, c.relname)
                                 OPERATOR(pg_catalog.||) coalesce('.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(t.column_name), ''),
                             pg_catalog.format('%I.%I', n.nspname, c.relname),
                             CASE WHEN t.column_name IS NULL THEN ''
                                  ELSE pg_catalog.format(', %L', t.column_name) END)
      FROM tags t
      JOIN pg_catalog.pg_class c ON c.oid = t.relid
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE NOT t.valid
    UNION ALL
    -- (5) categories no tag uses (retention_evidence is the logs' own)
    SELECT 'notice', 'unused_category', NULL, NULL, cat.name, cat.name,
           'no retention tag uses this category',
           pg_catalog.format('Tag the tables or columns it applies to, or drop it: SELECT retention.drop_category(%L);', cat.name)
      FROM retention.category cat
     WHERE cat.name <> 'retention_evidence'
       AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.category = cat.name)
),
reported AS (
    SELECT f.*
      FROM findings f
     WHERE NOT EXISTS (
            SELECT 1 FROM retention.lint_exception e
             WHERE e.check_name = f.check_name
               AND CASE WHEN f.category IS NOT NULL THEN e.category = f.category
                        ELSE e.table_name::oid = f.relid
                             AND (e.column_name IS NULL OR e.column_name = f.column_name) END)
    UNION ALL
    -- (6) exceptions whose table or column no longer exists
    SELECT 'notice', 'stale_lint_exception', e.table_name::oid, e.column_name, NULL,
           CASE WHEN c.oid IS NULL THEN e.table_name::oid::text
                ELSE pg_catalog.format('%I.%I', n.nspname, c.relname) END
               OPERATOR(pg_catalog.||) coalesce('.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(e.column_name), ''),
           pg_catalog.format('lint exception for %s (%s) names a %s that no longer exists',
                             e.check_name, e.reason, CASE WHEN c.oid IS NULL THEN 'table' ELSE 'column' END),
           pg_catalog.format('Remove it: SELECT retention.lint_unignore(%s, %L, %L);',
                             CASE WHEN c.oid IS NULL THEN pg_catalog.quote_literal(e.table_name::oid::text)
                                  ELSE pg_catalog.quote_literal(pg_catalog.format('%I.%I', n.nspname, c.relname)) END,
                             e.column_name, e.check_name)
      FROM retention.lint_exception e
      LEFT JOIN pg_catalog.pg_class c ON c.oid = e.table_name::oid
      LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE e.table_name IS NOT NULL
       AND (c.oid IS NULL
            OR (e.column_name IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                                 WHERE a.attrelid = c.oid AND a.attname = e.column_name
                                   AND a.attnum > 0 AND NOT a.attisdropped)))
)
SELECT r.severity, r.check_name, r.object, r.message, r.hint
  FROM reported r
 WHERE schema_name IS NULL
    OR EXISTS (SELECT 1 FROM pg_catalog.pg_class c
                WHERE c.oid = r.relid
                  AND c.relnamespace = (SELECT n.oid FROM pg_catalog.pg_namespace n
                                         WHERE n.nspname = lint.schema_name))
 ORDER BY CASE r.severity WHEN 'warning' THEN 0 ELSE 1 END,
          r.check_name COLLATE "C", r.object COLLATE "C", r.message COLLATE "C"
$$;
COMMENT ON FUNCTION retention.lint(name) IS
    'What the retention policy misses (every schema, or one): untagged_personal_data (warning: a column that looks like personal data by name or type, with no tag and no table tag), subject_without_retention (warning: subject identifiers on a table with no retention rule), invalid_tag (warning: a tag that no longer resolves), anchor_without_index and subject_without_index (notice), unused_category (notice), stale_lint_exception (notice). Each finding has a hint saying what to change. Findings recorded with retention.lint_ignore() are not reported. Runs as the caller and reads only what every role can read.';

CREATE FUNCTION retention.lint_ignore(
    table_name  regclass,
    column_name name,
    reason      text,
    check_name  text DEFAULT 'untagged_personal_data')
RETURNS retention.lint_exception
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result retention.lint_exception;
BEGIN
    IF lint_ignore.check_name IS NULL
       OR lint_ignore.check_name NOT IN ('untagged_personal_data', 'subject_without_retention',
                                         'anchor_without_index', 'subject_without_index', 'invalid_tag') THEN
        RAISE EXCEPTION 'invalid lint check "%" for a table or column', lint_ignore.check_name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = CASE WHEN lint_ignore.check_name = 'unused_category'
                              THEN 'Unused categories are silenced with retention.lint_ignore_category(category, reason).'
                              ELSE 'check_name is one of untagged_personal_data, subject_without_retention, anchor_without_index, subject_without_index, invalid_tag.' END;
    END IF;
    IF lint_ignore.table_name IS NULL THEN
        RAISE EXCEPTION 'a lint exception needs a table'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass the table, and a column or NULL for all its columns.';
    END IF;
    IF lint_ignore.column_name IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM pg_catalog.pg_attribute a
         WHERE a.attrelid = lint_ignore.table_name AND a.attname = lint_ignore.column_name
           AND a.attnum > 0 AND NOT a.attisdropped) THEN
        RAISE EXCEPTION 'column "%" of relation % does not exist', lint_ignore.column_name, lint_ignore.table_name
            USING ERRCODE = 'undefined_column',
                  HINT = 'Name a column of the table, or pass NULL to cover all its columns.';
    END IF;
    IF lint_ignore.reason IS NULL OR btrim(lint_ignore.reason) = '' THEN
        RAISE EXCEPTION 'a lint exception needs a reason'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Say why the finding is acceptable, e.g. ''holds synthetic test data'' (no personal data).';
    END IF;
    INSERT INTO retention.lint_exception AS e (check_name, table_name, column_name, reason)
    VALUES (lint_ignore.check_name, lint_ignore.table_name, lint_ignore.column_name, lint_ignore.reason)
    ON CONFLICT ON CONSTRAINT lint_exception_unique
    DO UPDATE SET reason = excluded.reason, ignored_by = excluded.ignored_by, ignored_at = excluded.ignored_at
    RETURNING e.* INTO result;
    RETURN result;
END
$$;
COMMENT ON FUNCTION retention.lint_ignore(regclass, name, text, text) IS
    'Records that a retention.lint() finding on a column (or, column_name NULL, on every column of the table) has been reviewed, with the reason; lint() no longer reports it. check_name defaults to untagged_personal_data. Recording it again replaces the reason. Members of retention_admin only.';

CREATE FUNCTION retention.lint_unignore(
    table_name  regclass,
    column_name name DEFAULT NULL,
    check_name  text DEFAULT 'untagged_personal_data')
RETURNS boolean
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    WITH gone AS (
        DELETE FROM retention.lint_exception e
         WHERE e.check_name = lint_unignore.check_name
           AND e.table_name = lint_unignore.table_name
           AND e.column_name IS NOT DISTINCT FROM lint_unignore.column_name
        RETURNING 1)
    SELECT EXISTS (SELECT 1 FROM gone)
$$;
COMMENT ON FUNCTION retention.lint_unignore(regclass, name, text) IS
    'Removes a lint exception recorded with retention.lint_ignore() (same table, column or NULL, and check); returns whether there was one. A dropped table is named by its OID, e.g. ''16384''. Members of retention_admin only.';

CREATE FUNCTION retention.lint_ignore_category(category text, reason text)
RETURNS retention.lint_exception
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result retention.lint_exception;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM retention.category c WHERE c.name = lint_ignore_category.category) THEN
        RAISE EXCEPTION 'retention category "%" does not exist', lint_ignore_category.category
            USING ERRCODE = 'undefined_object',
                  HINT = 'SELECT name FROM retention.category lists the categories.';
    END IF;
    IF lint_ignore_category.reason IS NULL OR btrim(lint_ignore_category.reason) = '' THEN
        RAISE EXCEPTION 'a lint exception needs a reason'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Say why the category may stay unused, e.g. ''for the archive tables planned in Q3''.';
    END IF;
    INSERT INTO retention.lint_exception AS e (check_name, category, reason)
    VALUES ('unused_category', lint_ignore_category.category, lint_ignore_category.reason)
    ON CONFLICT ON CONSTRAINT lint_exception_unique
    DO UPDATE SET reason = excluded.reason, ignored_by = excluded.ignored_by, ignored_at = excluded.ignored_at
    RETURNING e.* INTO result;
    RETURN result;
END
$$;
COMMENT ON FUNCTION retention.lint_ignore_category(text, text) IS
    'Records that a category may stay unused, with the reason; retention.lint() no longer reports it as unused_category. Dropping the category removes the exception. Members of retention_admin only.';

CREATE FUNCTION retention.lint_unignore_category(category text)
RETURNS boolean
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    WITH gone AS (
        DELETE FROM retention.lint_exception e
         WHERE e.check_name = 'unused_category'
           AND e.category = lint_unignore_category.category
        RETURNING 1)
    SELECT EXISTS (SELECT 1 FROM gone)
$$;
COMMENT ON FUNCTION retention.lint_unignore_category(text) IS
    'Removes the exception recorded with retention.lint_ignore_category(); returns whether there was one. Members of retention_admin only.';

REVOKE ALL ON FUNCTION retention.lint_ignore(regclass, name, text, text),
                       retention.lint_unignore(regclass, name, text),
                       retention.lint_ignore_category(text, text),
                       retention.lint_unignore_category(text)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION retention.lint_ignore(regclass, name, text, text),
                          retention.lint_unignore(regclass, name, text),
                          retention.lint_ignore_category(text, text),
                          retention.lint_unignore_category(text)
    TO retention_admin;
