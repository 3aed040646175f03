\echo Use "ALTER EXTENSION pg_retention UPDATE TO '0.2.0'" to load this file. \quit
-- 75_actions: what happens to due and erased rows (issue 14 items 6, 7, 8).
--  * retention.category.on_erasure (delete | anonymize | keep): what an
--    erasure does to a category's data.  Existing categories get 'delete',
--    which is what 0.1.0's erasure did to every category;
--  * define_category / alter_category take on_erasure (new signatures);
--  * the label keys blocked= and suppress= need no SQL objects.

ALTER TABLE retention.category
    ADD COLUMN on_erasure text NOT NULL DEFAULT 'delete',
    ADD CONSTRAINT category_on_erasure_known
        CHECK (on_erasure OPERATOR(pg_catalog.=) ANY (ARRAY['delete', 'anonymize', 'keep']));
COMMENT ON COLUMN retention.category.on_erasure IS 'What an erasure request does to data of this category (GDPR Art. 17(3)(b)): delete (as its tags do at expiry: rows deleted, values anonymized), anonymize (rows kept, their tagged columns anonymized and identifiers removed) or keep (kept whole for a legal obligation, reported with legal_basis).';

-- after 20_nullsafe: the same function as src/sql/10_category.sql, with on_erasure
CREATE OR REPLACE FUNCTION retention._category_validate()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    given_zone text := NEW.time_zone;
    missing text := CASE WHEN NEW.name IS NULL THEN 'name' WHEN NEW.period IS NULL THEN 'period'
                         WHEN NEW.starts IS NULL THEN 'starts' WHEN NEW.action IS NULL THEN 'action'
                         WHEN NEW.time_zone IS NULL THEN 'time_zone'
                         WHEN NEW.on_erasure IS NULL THEN 'on_erasure' END;
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
    IF NEW.on_erasure IS NULL OR NEW.on_erasure <> ALL (ARRAY['delete', 'anonymize', 'keep']) THEN
        RAISE EXCEPTION 'invalid on_erasure "%" for category "%"', NEW.on_erasure, NEW.name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'on_erasure is delete (erasure removes the data), anonymize (rows kept, personal columns anonymized) or keep (kept for a legal obligation).';
    END IF;
    IF NEW.on_erasure <> 'delete' AND coalesce(btrim(NEW.legal_basis), '') = '' THEN
        RAISE EXCEPTION 'category "%" keeps data through an erasure but states no legal basis', NEW.name
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('on_erasure is %s; an erasure reports the legal basis as the reason the data stays.', NEW.on_erasure),
                  HINT = 'Give legal_basis (e.g. ''legal obligation: tax law, GDPR Art. 6(1)(c), Art. 17(3)(b)''), or use on_erasure => ''delete''.';
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

DROP FUNCTION retention.define_category(text, interval, text, text, text, text, text, text);
DROP FUNCTION retention.alter_category(text, interval, text, text, text, text, text, text, text);

CREATE FUNCTION retention.define_category(
    name        text,
    period      interval,
    starts      text DEFAULT 'exact',
    action      text DEFAULT 'delete',
    description text DEFAULT NULL,
    purpose     text DEFAULT NULL,
    legal_basis text DEFAULT NULL,
    time_zone   text DEFAULT 'UTC',
    on_erasure  text DEFAULT 'delete')
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
           (name, period, starts, action, description, purpose, legal_basis, time_zone, on_erasure)
    VALUES (define_category.name, define_category.period, define_category.starts,
            define_category.action, define_category.description, define_category.purpose,
            define_category.legal_basis, define_category.time_zone, define_category.on_erasure)
    RETURNING c.* INTO result;
    RETURN result;
END
$$;
COMMENT ON FUNCTION retention.define_category(text, interval, text, text, text, text, text, text, text) IS
    'Defines a retention category: data of this category is due period after the starts boundary (exact, end_of_day, end_of_month, end_of_year in time_zone) of its anchor; action is the default for its tags; on_erasure (delete, anonymize, keep) is what an erasure request does to its data. Members of retention_admin only.';

CREATE FUNCTION retention.alter_category(
    name        text,
    period      interval DEFAULT NULL,
    starts      text DEFAULT NULL,
    action      text DEFAULT NULL,
    description text DEFAULT NULL,
    purpose     text DEFAULT NULL,
    legal_basis text DEFAULT NULL,
    time_zone   text DEFAULT NULL,
    new_name    text DEFAULT NULL,
    on_erasure  text DEFAULT NULL)
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
        time_zone   = coalesce(alter_category.time_zone, c.time_zone),
        on_erasure  = coalesce(alter_category.on_erasure, c.on_erasure)
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
COMMENT ON FUNCTION retention.alter_category(text, interval, text, text, text, text, text, text, text, text) IS
    'Changes a retention category; NULL arguments leave a field as it is, an empty string clears description, purpose or legal_basis. The change applies to every tag of the category. Members of retention_admin only.';

REVOKE ALL ON FUNCTION retention.define_category(text, interval, text, text, text, text, text, text, text),
                       retention.alter_category(text, interval, text, text, text, text, text, text, text, text)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION retention.define_category(text, interval, text, text, text, text, text, text, text),
                          retention.alter_category(text, interval, text, text, text, text, text, text, text, text)
    TO retention_admin;
