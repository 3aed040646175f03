-- Limits and far-away values: category periods are bounded when defined
-- (22023, the limit in the DETAIL); due times beyond the range of
-- timestamptz are 'infinity' (never due), never an error; a partitions= key
-- stays out of the anchor that retention.tags shows.
\set VERBOSITY default
\set SHOW_CONTEXT never
\set ECHO none
\i test/sql/try.sql
\set ECHO all
SET TimeZone = 'UTC';                                            -- ok
SELECT pg_temp.try($$SELECT retention.define_category('limit_huge', '300000 years')$$); -- fails: too long
SELECT pg_temp.try($$SELECT retention.define_category('limit_over', '1000 years 1 day')$$); -- fails: just over
SELECT name, period FROM retention.define_category('limit_max', '1000 years'); -- ok: the limit itself
SELECT name, period FROM retention.define_category('limit_days', '365000 days'); -- ok: under 1000 years of 365.25 days
SELECT pg_temp.try($$SELECT retention.alter_category('limit_max', period => '285000 years')$$); -- fails: too long
SELECT pg_temp.try($$UPDATE retention.category SET period = '999999 months' WHERE name = 'limit_max'$$); -- fails: direct writes too
SELECT pg_temp.try($$SELECT retention.define_category(NULL, '1 year')$$); -- fails: name NULL
-- due times: never an error, 'infinity' beyond the range
SELECT retention.due_time(date '5874897-12-31', '1000 years', 'end_of_year', 'UTC') AS date_at_end,
       retention.due_time(date 'infinity', '1 day', 'exact', 'UTC') AS date_infinity,
       retention.due_time(timestamptz '294276-12-31 23:00:00+00', '1 day', 'exact', 'Pacific/Kiritimati') AS timestamptz_near_end,
       retention.due_time(timestamp '294276-06-01 00:00:00', '1 year', 'exact', 'UTC') AS timestamp_plus_year,
       retention.due_time(date '292000-01-01', '1000 years', 'exact', 'UTC') AS period_past_end,
       retention.due_time(date '2000-01-31', '1 month', 'exact', 'Europe/Zagreb') AS ordinary; -- ok
SELECT retention.due_time(timestamptz '4714-11-24 12:00:00+00 BC', '1 day', 'exact', 'UTC') AS at_range_start; -- ok: -infinity, due since always
-- the anchor of a tag is the anchor alone
CREATE TABLE regress_limits_parted (id int, at timestamptz) PARTITION BY RANGE (at); -- ok
SECURITY LABEL FOR retention ON TABLE regress_limits_parted
    IS 'category=limit_max anchor=at partitions=rows';          -- ok
SELECT label, anchor FROM retention.tags WHERE table_name = 'regress_limits_parted'::regclass; -- ok: anchor "at"
SELECT count(*) AS lint_findings_on_it FROM retention.lint()
 WHERE object = 'public.regress_limits_parted';                  -- ok: lint works (anchor_without_index)
DROP TABLE regress_limits_parted;                                -- ok
SELECT retention.drop_category('limit_max'), retention.drop_category('limit_days'); -- ok
