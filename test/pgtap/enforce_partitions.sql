-- The partition step (issue 13, item 3): a partition whose every row is due
-- is dropped (or detached) in one statement, on the first run after its
-- last row's due time, never while it holds a row that is not due yet.
--   1. end_of_month, timestamptz, UTC (no re-check band): not due at
--      now() + 1 s, nothing deleted; due at now() - 1 s, dropped, once.
--      0.1.0 compared the cutoff with the exclusive upper bound, so the
--      partition was emptied row by row and dropped a month later.
--   2. the same with date anchors and end_of_year (bound - 1 day).
--   3. a daylight-saving zone (a 3-hour band around the cutoff): dropped
--      after a probe of the band finds every row in it due.
--   4. a band with a row not due yet ('1 month' from 28 and from 31 January
--      both end on 28 February): not dropped; its due rows are deleted.
--   5. a partition that takes longer to read than the statement timeout
--      allows: dropped all the same, without reading it; the evidence has
--      the planner's estimate of its rows (0.1.0 counted them first: error
--      57014 on every run, nothing deleted).
--   6. a cascading foreign key references the table: emptied row by row,
--      the cascade deletes the referencing rows (0.1.0: 2BP01 on every run).
--   7. partitions=detach on a sub-partitioned table: detached from its own
--      parent (0.1.0 named the tagged table: error on every run).
--   8. as 4, but a policy hides the row that is not due from the owner: the
--      probe could not see it, so the partition is not dropped.
BEGIN;
SELECT plan(25);

SET LOCAL client_min_messages = warning;
SET LOCAL TimeZone = 'UTC';

CREATE SCHEMA regress_parts;

-- the evidence of this file's runs, per partition
CREATE FUNCTION pg_temp.outcomes(rel text) RETURNS text[]
LANGUAGE sql AS $$
    SELECT pg_catalog.array_agg(outcome || ':' || rows_processed ORDER BY action_id)
      FROM retention.action_log WHERE relation_name = 'regress_parts.' || rel
$$;

-- =====================================================================
-- 1. end_of_month, timestamptz, UTC
-- =====================================================================
CREATE TABLE regress_parts.eom (id int, at timestamptz NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE regress_parts.eom_2001_01 PARTITION OF regress_parts.eom
    FOR VALUES FROM ('2001-01-01 00:00+00') TO ('2001-02-01 00:00+00');
CREATE TABLE regress_parts.eom_2001_02 PARTITION OF regress_parts.eom
    FOR VALUES FROM ('2001-02-01 00:00+00') TO ('2001-03-01 00:00+00');
CREATE INDEX ON regress_parts.eom (at);
-- the first and the last anchor January can hold; one in February
INSERT INTO regress_parts.eom VALUES (1, '2001-01-01 00:00+00'), (2, '2001-01-31 23:59:59.999999+00'),
                                     (3, '2001-02-01 00:00+00');
ANALYZE regress_parts.eom;
-- January's rows are due at 2001-02-01 + period: one second after now()
SELECT FROM retention.define_category('regress_parts_eom',
    (now() + interval '1 second') - timestamptz '2001-02-01 00:00+00', 'end_of_month');
SELECT FROM retention.tag_table('regress_parts.eom', 'regress_parts_eom', 'at');

CALL retention.enforce('regress_parts.eom');
SELECT is((SELECT pg_catalog.array_agg(id ORDER BY id) FROM regress_parts.eom), '{1,2,3}'::int[],
          'end_of_month: one second before its rows are due, nothing of the partition is deleted');
SELECT isnt(pg_catalog.to_regclass('regress_parts.eom_2001_01'), NULL, 'and it is not dropped');

-- now due one second ago
SELECT FROM retention.alter_category('regress_parts_eom',
    period => (now() - interval '1 second') - timestamptz '2001-02-01 00:00+00');
CALL retention.enforce('regress_parts.eom');
SELECT is(pg_temp.outcomes('eom_2001_01'), '{"dropped partition (rows estimated):2"}',
          'end_of_month: the first run after its last row is due drops the partition (its 2 rows, as estimated after ANALYZE)');
SELECT is(pg_catalog.to_regclass('regress_parts.eom_2001_01'), NULL, 'the partition is gone');
SELECT is((SELECT pg_catalog.array_agg(id ORDER BY id) FROM regress_parts.eom), '{3}'::int[],
          'February, not due, is left alone');
CALL retention.enforce('regress_parts.eom');
SELECT is(pg_temp.outcomes('eom_2001_01'), '{"dropped partition (rows estimated):2"}', 'a later run has nothing to drop');
SELECT is(pg_temp.outcomes('eom_2001_02'), NULL, 'nor anything to do in February');

-- =====================================================================
-- 2. end_of_year, date
-- =====================================================================
CREATE TABLE regress_parts.eoy (id int, day date NOT NULL) PARTITION BY RANGE (day);
CREATE TABLE regress_parts.eoy_2001 PARTITION OF regress_parts.eoy FOR VALUES FROM ('2001-01-01') TO ('2002-01-01');
CREATE TABLE regress_parts.eoy_2002 PARTITION OF regress_parts.eoy FOR VALUES FROM ('2002-01-01') TO ('2003-01-01');
INSERT INTO regress_parts.eoy VALUES (1, '2001-06-01'), (2, '2001-12-31'), (3, '2002-01-01');
ANALYZE regress_parts.eoy;
SELECT FROM retention.define_category('regress_parts_eoy',
    (now() - interval '1 second') - timestamptz '2002-01-01 00:00+00', 'end_of_year');
SELECT FROM retention.tag_table('regress_parts.eoy', 'regress_parts_eoy', 'day');
CALL retention.enforce('regress_parts.eoy');
SELECT is(pg_temp.outcomes('eoy_2001'), '{"dropped partition (rows estimated):2"}',
          'end_of_year, date anchor: the year that is due is dropped (its last anchor is the bound - 1 day)');
SELECT is((SELECT pg_catalog.array_agg(id ORDER BY id) FROM regress_parts.eoy), '{3}'::int[],
          'the next year is left alone');

-- =====================================================================
-- 3. a re-check band: Europe/Zagreb has daylight saving time
-- =====================================================================
CREATE TABLE regress_parts.zg (id int, at timestamptz NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE regress_parts.zg_2001_01 PARTITION OF regress_parts.zg
    FOR VALUES FROM ('2001-01-01 00:00+01') TO ('2001-02-01 00:00+01');
CREATE TABLE regress_parts.zg_2001_02 PARTITION OF regress_parts.zg
    FOR VALUES FROM ('2001-02-01 00:00+01') TO ('2001-03-01 00:00+01');
INSERT INTO regress_parts.zg VALUES (1, '2001-01-15 12:00+01'), (2, '2001-01-31 23:59:59.999999+01'),
                                    (3, '2001-02-01 00:00+01');
ANALYZE regress_parts.zg;
-- due an hour or so before now() (the zone's offset then and now may differ)
SELECT FROM retention.define_category('regress_parts_zg',
    (now() - interval '1 second') - timestamptz '2001-02-01 00:00+01', 'end_of_month',
    time_zone => 'Europe/Zagreb');
SELECT FROM retention.tag_table('regress_parts.zg', 'regress_parts_zg', 'at');
CALL retention.enforce('regress_parts.zg');
SELECT is(pg_temp.outcomes('zg_2001_01'), '{"dropped partition (rows estimated):2"}',
          'a rule with a re-check band: the partition is dropped once the band holds no row that is not due');
SELECT is((SELECT pg_catalog.array_agg(id ORDER BY id) FROM regress_parts.zg), '{3}'::int[],
          'and the next month is left alone');

-- =====================================================================
-- 4. a band with a row that is not due yet
-- =====================================================================
-- '1 month' exact takes 28, 29, 30 and 31 January to 28 February: with the
-- period's days and time making 2001-02-28 12:00 "now", an anchor of
-- 31 January 01:00 is due and one of 28 January 23:00 is not.  The cutoff
-- (one of those noon transitions) has a band of 4 days around it, which
-- the partition's bound falls in.
CREATE TABLE regress_parts.clamp (id int, at timestamptz NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE regress_parts.clamp_a PARTITION OF regress_parts.clamp
    FOR VALUES FROM ('2001-01-01 00:00+00') TO ('2001-01-31 06:00+00');
CREATE TABLE regress_parts.clamp_b PARTITION OF regress_parts.clamp
    FOR VALUES FROM ('2001-01-31 06:00+00') TO ('2001-03-01 00:00+00');
CREATE INDEX ON regress_parts.clamp (at);
INSERT INTO regress_parts.clamp VALUES (1, '2001-01-10 00:00+00'), (2, '2001-01-28 23:00+00'),
                                       (3, '2001-01-31 01:00+00'), (4, '2001-02-15 00:00+00');
SELECT FROM retention.define_category('regress_parts_clamp',
    interval '1 month' + (now() - timestamptz '2001-02-28 12:00+00'));
SELECT FROM retention.tag_table('regress_parts.clamp', 'regress_parts_clamp', 'at');
SELECT is((SELECT pg_catalog.array_agg(id ORDER BY id) FROM regress_parts.clamp
            WHERE retention.due_time(at, (SELECT period FROM retention.category WHERE name = 'regress_parts_clamp'),
                                     'exact', 'UTC') <= now()),
          '{1,3}'::int[], 'the setup: of the first partition, rows 1 and 3 are due, row 2 is not');
CALL retention.enforce('regress_parts.clamp');
SELECT isnt(pg_catalog.to_regclass('regress_parts.clamp_a'), NULL,
            'a partition with a row in the band that is not due yet is not dropped');
SELECT is(pg_temp.outcomes('clamp_a'), '{done:2}', 'its due rows are deleted in batches');
SELECT is((SELECT pg_catalog.array_agg(id ORDER BY id) FROM regress_parts.clamp), '{2,4}'::int[],
          'rows 1 and 3 are deleted, the rows not due stay');

-- =====================================================================
-- 5. a partition that cannot be read within the statement timeout
-- =====================================================================
-- a policy the owner is subject to (FORCE) makes reading each row take 50 ms:
-- a count(*) of its 40 rows takes 2 s
CREATE ROLE regress_parts_owner NOLOGIN;
GRANT USAGE ON SCHEMA regress_parts TO regress_parts_owner;
CREATE FUNCTION regress_parts.slow_true() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_catalog.pg_sleep(0.05);
    RETURN true;
END $$;
SELECT FROM retention.define_category('regress_parts_days', '1 day');
CREATE TABLE regress_parts.slow (id int, at timestamptz NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE regress_parts.slow_old PARTITION OF regress_parts.slow
    FOR VALUES FROM ('2001-01-01 00:00+00') TO ('2001-02-01 00:00+00');
CREATE TABLE regress_parts.slow_now PARTITION OF regress_parts.slow
    FOR VALUES FROM ('2001-02-01 00:00+00') TO (MAXVALUE);
ALTER TABLE regress_parts.slow OWNER TO regress_parts_owner;
ALTER TABLE regress_parts.slow_old OWNER TO regress_parts_owner;
ALTER TABLE regress_parts.slow_now OWNER TO regress_parts_owner;
INSERT INTO regress_parts.slow SELECT g, '2001-01-10 00:00+00' FROM generate_series(1, 40) g;
INSERT INTO regress_parts.slow VALUES (41, now());
ALTER TABLE regress_parts.slow_old ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY slow ON regress_parts.slow_old USING (regress_parts.slow_true());
SELECT FROM retention.tag_table('regress_parts.slow', 'regress_parts_days', 'at');
SET LOCAL retention.statement_timeout = '400ms';
CALL retention.enforce('regress_parts.slow');
RESET retention.statement_timeout;
SELECT is((SELECT outcome FROM retention.action_log WHERE relation_name = 'regress_parts.slow_old'),
          'dropped partition (rows estimated)',
          'a partition slower to count than the statement timeout allows: dropped all the same, its rows estimated');
SELECT is(pg_catalog.to_regclass('regress_parts.slow_old'), NULL, 'it is gone');
SELECT is((SELECT pg_catalog.array_agg(id) FROM regress_parts.slow), '{41}'::int[], 'the current row stays');

-- =====================================================================
-- 6. a cascading foreign key references the partitioned table
-- =====================================================================
CREATE TABLE regress_parts.ref_p (id int, at timestamptz NOT NULL, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE regress_parts.ref_p_old PARTITION OF regress_parts.ref_p
    FOR VALUES FROM ('2001-01-01 00:00+00') TO ('2001-02-01 00:00+00');
CREATE TABLE regress_parts.ref_p_now PARTITION OF regress_parts.ref_p
    FOR VALUES FROM ('2001-02-01 00:00+00') TO (MAXVALUE);
CREATE TABLE regress_parts.ref_c (id int, at timestamptz,
    FOREIGN KEY (id, at) REFERENCES regress_parts.ref_p ON DELETE CASCADE);
INSERT INTO regress_parts.ref_p VALUES (1, '2001-01-10 00:00+00'), (2, '2001-01-11 00:00+00'), (3, now());
INSERT INTO regress_parts.ref_c VALUES (1, '2001-01-10 00:00+00'), (3, now());
SELECT FROM retention.tag_table('regress_parts.ref_p', 'regress_parts_days', 'at');
CALL retention.enforce('regress_parts.ref_p');
SELECT is(pg_temp.outcomes('ref_p_old'), '{done:2}',
          'a partition that a cascading foreign key references is emptied row by row (DROP would fail)');
SELECT is((SELECT pg_catalog.array_agg(id ORDER BY id) FROM regress_parts.ref_c), '{3}'::int[],
          'and the cascade deletes the referencing row of the due one');

-- =====================================================================
-- 7. partitions=detach, sub-partitioned
-- =====================================================================
CREATE TABLE regress_parts.sub (id int, at timestamptz NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE regress_parts.sub_2001 PARTITION OF regress_parts.sub
    FOR VALUES FROM ('2001-01-01 00:00+00') TO ('2002-01-01 00:00+00') PARTITION BY RANGE (at);
CREATE TABLE regress_parts.sub_2001_01 PARTITION OF regress_parts.sub_2001
    FOR VALUES FROM ('2001-01-01 00:00+00') TO ('2001-02-01 00:00+00');
CREATE TABLE regress_parts.sub_2001_rest PARTITION OF regress_parts.sub_2001
    FOR VALUES FROM ('2001-02-01 00:00+00') TO ('2002-01-01 00:00+00');
INSERT INTO regress_parts.sub VALUES (1, '2001-01-10 00:00+00'), (2, '2001-01-20 00:00+00');
ANALYZE regress_parts.sub;
SECURITY LABEL FOR retention ON TABLE regress_parts.sub IS 'category=regress_parts_days anchor=at partitions=detach';
CALL retention.enforce('regress_parts.sub');
SELECT is(pg_temp.outcomes('sub_2001_01'), '{"detached partition (rows estimated):2"}',
          'partitions=detach on a sub-partitioned table: the partition is detached from its own parent');
SELECT is((SELECT relispartition FROM pg_catalog.pg_class WHERE oid = 'regress_parts.sub_2001_01'::regclass), false,
          'it is no longer a partition');
SELECT is((SELECT pg_catalog.count(*)::int FROM regress_parts.sub_2001_01), 2, 'and keeps its rows');
SELECT is((SELECT pg_catalog.count(*)::int FROM regress_parts.sub), 0, 'which the tagged table no longer has');

-- =====================================================================
-- 8. as 4, with the row that is not due hidden from the owner by a policy
-- =====================================================================
CREATE TABLE regress_parts.hidden (id int, at timestamptz NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE regress_parts.hidden_a PARTITION OF regress_parts.hidden
    FOR VALUES FROM ('2001-01-01 00:00+00') TO ('2001-01-31 06:00+00');
CREATE TABLE regress_parts.hidden_b PARTITION OF regress_parts.hidden
    FOR VALUES FROM ('2001-01-31 06:00+00') TO ('2001-03-01 00:00+00');
ALTER TABLE regress_parts.hidden OWNER TO regress_parts_owner;
ALTER TABLE regress_parts.hidden_a OWNER TO regress_parts_owner;
ALTER TABLE regress_parts.hidden_b OWNER TO regress_parts_owner;
INSERT INTO regress_parts.hidden SELECT * FROM regress_parts.clamp;
INSERT INTO regress_parts.hidden VALUES (1, '2001-01-10 00:00+00'), (3, '2001-01-31 01:00+00');
ALTER TABLE regress_parts.hidden_a ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY not_2 ON regress_parts.hidden_a USING (id <> 2);
SELECT FROM retention.tag_table('regress_parts.hidden', 'regress_parts_clamp', 'at');
CALL retention.enforce('regress_parts.hidden');
SELECT is((SELECT pg_catalog.array_agg(id ORDER BY id) FROM regress_parts.hidden), '{2,4}'::int[],
          'a row the owner cannot see, not due, in the band: the partition is not dropped, the visible due rows go');

SELECT * FROM finish();
ROLLBACK;
