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
COMMENT ON COLUMN retention.category.period IS 'How long data is kept after the boundary: from zero ("due at the boundary itself") to 1000 years.';
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
    missing text := CASE WHEN NEW.name IS NULL THEN 'name' WHEN NEW.period IS NULL THEN 'period'
                         WHEN NEW.starts IS NULL THEN 'starts' WHEN NEW.action IS NULL THEN 'action'
                         WHEN NEW.time_zone IS NULL THEN 'time_zone' END;
BEGIN
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION '% of a retention category must not be NULL', missing
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Give name and period; starts, action and time_zone have defaults (exact, delete, UTC) when omitted.';
    END IF;
    IF NEW.name !~ '^[a-z_][a-z0-9_]{0,62}$' THEN
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
    -- bounded so that due times stay representable (later ones count as
    -- never due); extract(epoch) counts a year as 365.25 days
    IF extract(epoch FROM NEW.period) > extract(epoch FROM interval '1000 years') THEN
        RAISE EXCEPTION 'retention period of category "%" is too long', NEW.name
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The period is %s; the longest period allowed is 1000 years.', NEW.period),
                  HINT = 'Give a period of at most 1000 years. Data that is never due needs no retention tag.';
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
    IF alter_category.name IS NULL THEN
        RAISE EXCEPTION 'name must not be NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass the name of the category to change.';
    END IF;
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
    IF drop_category.name IS NULL THEN
        RAISE EXCEPTION 'name must not be NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass the name of the category to drop.';
    END IF;
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
