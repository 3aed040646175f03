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
-- pacing settings: retention.max_load is a percentage or -1 (the default:
-- 20 for the worker and pg_cron, 100 for CALL); the others have their bounds
SELECT boot_val, min_val, max_val, context FROM pg_settings WHERE name = 'retention.max_load'; -- ok: -1, -1..100, superuser
SELECT pg_temp.try($$SET retention.max_load = 0$$);              -- fails: 0 would never run a batch
SELECT pg_temp.try($$SET retention.max_load = 101$$);            -- fails: over 100 percent
SELECT pg_temp.try($$SET retention.max_load = -2$$);             -- fails: below -1
SELECT pg_temp.try($$SET retention.max_load = '20%'$$);          -- fails: a plain number
SELECT pg_temp.try($$SET retention.max_load = 1$$), current_setting('retention.max_load'); -- ok: the smallest share
SELECT pg_temp.try($$SET retention.max_load = 100$$), current_setting('retention.max_load'); -- ok: no pause
RESET retention.max_load;                                        -- ok
SELECT pg_temp.try($$SET retention.batch_delay = '61s'$$);       -- fails: at most 60 s
SELECT pg_temp.try($$SET retention.batch_delay = -1$$);          -- fails: not negative
SELECT pg_temp.try($$SET retention.max_wal_per_run = -1$$);      -- fails: not negative
SELECT pg_temp.try($$SET retention.max_replay_lag = -1$$);       -- fails: not negative
SELECT name, boot_val, unit FROM pg_settings
 WHERE name IN ('retention.batch_delay', 'retention.max_wal_per_run', 'retention.max_replay_lag')
 ORDER BY name;                                                  -- ok: 0 (off) by default
CREATE ROLE regress_limits_plain;                                -- ok
SET ROLE regress_limits_plain;                                   -- ok
SELECT pg_temp.try($$SET retention.max_load = 100$$);            -- fails: superuser only
RESET ROLE;                                                      -- ok
DROP ROLE regress_limits_plain;                                  -- ok
