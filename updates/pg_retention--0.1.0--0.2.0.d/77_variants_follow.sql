\echo Use "ALTER EXTENSION pg_retention UPDATE TO '0.2.0'" to load this file. \quit
-- 77_variants_follow: a category's variants are renamed and dropped with
-- the category (issue 14: they used to linger after drop_category, and lose
-- their category on a rename).
DELETE FROM retention.category_variant v
 WHERE NOT EXISTS (SELECT 1 FROM retention.category c WHERE c.name = v.category);

-- A category's variants follow it: renamed with it, dropped with it (there
-- is no foreign key: both tables are extension configuration, dumped and
-- restored table by table).
CREATE FUNCTION retention._category_variants_follow()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM retention.category_variant v WHERE v.category = OLD.name;
    ELSIF NEW.name <> OLD.name THEN
        UPDATE retention.category_variant v SET category = NEW.name WHERE v.category = OLD.name;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION retention._category_variants_follow() IS
    'Internal: renames and drops a category''s variants with the category.';

CREATE TRIGGER category_variants_follow
    AFTER UPDATE OF name OR DELETE ON retention.category
    FOR EACH ROW EXECUTE FUNCTION retention._category_variants_follow();
