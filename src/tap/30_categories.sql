
-- Categories: the retention rule a privacy notice promises (period, the
-- boundary it starts from, the action at expiry).

-- The verdict for a category that does not exist.
CREATE FUNCTION @extschema@._retention_tap_no_category(category text, description text)
RETURNS text
LANGUAGE sql
AS $$
    SELECT @extschema@._retention_tap_ok(false, description,
        pg_catalog.format('    Category %s does not exist; defined: %s', category,
            coalesce((SELECT pg_catalog.string_agg(c.name, ', ' ORDER BY c.name COLLATE "C")
                        FROM retention.category c), 'none')))
$$;
COMMENT ON FUNCTION @extschema@._retention_tap_no_category(text, text) IS
    'Internal (pg_retention_tap): a failing test result for a category that does not exist.';

-- A period in words for descriptions: 12 months is "1 year", 25 months
-- "25 months", zero "0".
CREATE FUNCTION @extschema@._retention_tap_period_words(period interval)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT coalesce(nullif(pg_catalog.concat_ws(' ',
               CASE WHEN m.months OPERATOR(pg_catalog.>) 0 AND m.months OPERATOR(pg_catalog.%) 12 OPERATOR(pg_catalog.=) 0
                    THEN (m.months OPERATOR(pg_catalog./) 12) OPERATOR(pg_catalog.||)
                         CASE WHEN m.months OPERATOR(pg_catalog.=) 12 THEN ' year' ELSE ' years' END
                    WHEN m.months OPERATOR(pg_catalog.>) 0
                    THEN m.months OPERATOR(pg_catalog.||)
                         CASE WHEN m.months OPERATOR(pg_catalog.=) 1 THEN ' month' ELSE ' months' END END,
               CASE WHEN m.days OPERATOR(pg_catalog.>) 0
                    THEN m.days OPERATOR(pg_catalog.||)
                         CASE WHEN m.days OPERATOR(pg_catalog.=) 1 THEN ' day' ELSE ' days' END END,
               CASE WHEN m.rest OPERATOR(pg_catalog.<>) '0'::pg_catalog.interval THEN m.rest::pg_catalog.text END), ''),
           '0')
      FROM (SELECT (pg_catalog.date_part('year', period) OPERATOR(pg_catalog.*) 12
                    OPERATOR(pg_catalog.+) pg_catalog.date_part('month', period))::integer AS months,
                   pg_catalog.date_part('day', period)::integer AS days,
                   period OPERATOR(pg_catalog.-) pg_catalog.date_trunc('day', period) AS rest) m
$$;
COMMENT ON FUNCTION @extschema@._retention_tap_period_words(interval) IS
    'Internal (pg_retention_tap): a retention period in words for test descriptions (1 year, 25 months, 0).';

CREATE FUNCTION @extschema@.category_period_is(category text, period interval, description text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
    descr text := coalesce(description,
        format('Category %s should have retention period %s', category,
               @extschema@._retention_tap_period_words(period)));
    cat retention.category;
    same boolean;
BEGIN
    SELECT c.* INTO cat FROM retention.category c WHERE c.name OPERATOR(pg_catalog.=) category_period_is.category;
    IF NOT FOUND THEN
        RETURN @extschema@._retention_tap_no_category(category, descr);
    END IF;
    -- field by field: '1 month' is not '30 days' on the calendar, though
    -- interval equality says they are equal
    same := extract(year FROM cat.period) * 12 + extract(month FROM cat.period)
                = extract(year FROM period) * 12 + extract(month FROM period)
            AND extract(day FROM cat.period) = extract(day FROM period)
            AND cat.period - date_trunc('day', cat.period) = period - date_trunc('day', period);
    RETURN @extschema@._retention_tap_ok(same, descr,
        @extschema@._retention_tap_have_want(@extschema@._retention_tap_period_words(cat.period),
                                             @extschema@._retention_tap_period_words(period))
        || E'\n    The category keeps data '
        || retention.rule_in_words(cat.period, cat.starts, cat.time_zone));
END
$$;
COMMENT ON FUNCTION @extschema@.category_period_is(text, interval, text) IS
    'pgTAP: ok if the category''s retention period is the interval, compared field by field (12 months equals 1 year; 1 month does not equal 30 days). On failure the diagnostics show the current period and the rule in words.';

CREATE FUNCTION @extschema@.category_action_is(category text, action text, description text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
    descr text := coalesce(description,
        format('Category %s should %s data at expiry', category, action));
    cat retention.category;
BEGIN
    SELECT c.* INTO cat FROM retention.category c WHERE c.name OPERATOR(pg_catalog.=) category_action_is.category;
    IF NOT FOUND THEN
        RETURN @extschema@._retention_tap_no_category(category, descr);
    END IF;
    RETURN @extschema@._retention_tap_ok(cat.action IS NOT DISTINCT FROM action, descr,
        @extschema@._retention_tap_have_want(cat.action, action)
        || coalesce(E'\n    Tags of the category with an action of their own: '
                    || (SELECT string_agg(format('%s (%s)', t.object, t.action), ', ' ORDER BY t.object COLLATE "C")
                          FROM retention.tags t
                         WHERE t.category OPERATOR(pg_catalog.=) category_action_is.category
                           AND t.action_source OPERATOR(pg_catalog.=) 'tag'), ''));
END
$$;
COMMENT ON FUNCTION @extschema@.category_action_is(text, text, text) IS
    'pgTAP: ok if the category''s default action at expiry is action (delete, nullify, default, hash, mask, generalize). Tags may override it; the diagnostics list those that do.';

CREATE FUNCTION @extschema@.category_starts_is(category text, starts text, description text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
    descr text := coalesce(description,
        format('Category %s should count its period from %s', category, starts));
    cat retention.category;
BEGIN
    SELECT c.* INTO cat FROM retention.category c WHERE c.name OPERATOR(pg_catalog.=) category_starts_is.category;
    IF NOT FOUND THEN
        RETURN @extschema@._retention_tap_no_category(category, descr);
    END IF;
    RETURN @extschema@._retention_tap_ok(cat.starts IS NOT DISTINCT FROM starts, descr,
        @extschema@._retention_tap_have_want(cat.starts, starts)
        || E'\n    The category keeps data '
        || retention.rule_in_words(cat.period, cat.starts, cat.time_zone));
END
$$;
COMMENT ON FUNCTION @extschema@.category_starts_is(text, text, text) IS
    'pgTAP: ok if the category''s period starts from the boundary starts (exact, end_of_day, end_of_month, end_of_year).';
