-- bench/subject/report.sql: the Markdown tables of the subject benchmark,
-- from bench_result and bench_check (medians; min-max in parentheses).
\set ON_ERROR_STOP 1
SET client_min_messages = warning;

CREATE FUNCTION pg_temp.f(ms float8) RETURNS text LANGUAGE sql AS $$
    SELECT CASE WHEN ms IS NULL THEN '-'
                WHEN ms < 10 THEN to_char(ms, 'FM990.00')
                WHEN ms < 1000 THEN to_char(ms, 'FM990.0')
                ELSE to_char(ms, 'FM999999990') END
$$;
CREATE FUNCTION pg_temp.r(a float8, b float8) RETURNS text LANGUAGE sql AS $$
    SELECT CASE WHEN a IS NULL OR b IS NULL OR b = 0 THEN '-' ELSE to_char(a / b, 'FM990.00') || 'x' END
$$;
CREATE TEMP VIEW m AS
SELECT experiment, label, subject, tables,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS med, min(ms) AS lo, max(ms) AS hi,
       min(n) AS n_min, max(n) AS n_max, count(*) AS runs
  FROM bench_result GROUP BY 1, 2, 3, 4;
CREATE FUNCTION pg_temp.cell(e text, l text, s integer, t integer) RETURNS text LANGUAGE sql AS $$
    SELECT pg_temp.f(med) || ' (' || pg_temp.f(lo) || '–' || pg_temp.f(hi) || ')'
      FROM m WHERE experiment = e AND label = l AND subject = s AND tables = t
$$;
CREATE FUNCTION pg_temp.med(e text, l text, s integer, t integer) RETURNS float8 LANGUAGE sql AS $$
    SELECT med FROM m WHERE experiment = e AND label = l AND subject = s AND tables = t
$$;
CREATE FUNCTION pg_temp.rows(e text, l text, s integer, t integer) RETURNS text LANGUAGE sql AS $$
    SELECT CASE WHEN n_min = n_max THEN n_min::text ELSE n_min || '..' || n_max END
      FROM m WHERE experiment = e AND label = l AND subject = s AND tables = t
$$;

\pset format unaligned
\pset tuples_only on

\echo '### Targets (issue 13): subject requests against the same work written by hand'
\echo
\echo 'Medians of the runs (ms).  Ratio: the median, over the runs, of each run''s time divided by the time of the'
\echo 'hand-written statement that ran next to it (drift of a shared machine cancels out); met: that ratio and the'
\echo 'median time within the target.'
\echo
\echo '| work | subject rows | hand-written | pg_retention | ratio | target | met |'
\echo '|---|---:|---:|---:|---:|---|---|'
CREATE FUNCTION pg_temp.paired(e text, ours text, base text, s integer, t integer) RETURNS float8 LANGUAGE sql AS $$
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY o.ms / nullif(b.ms, 0))
      FROM bench_result o JOIN bench_result b USING (experiment, subject, tables, run)
     WHERE o.experiment = e AND o.label = ours AND b.label = base AND o.subject = s AND o.tables = t
$$;
SELECT format('| %s | %s | %s | %s | %s | %s | %s |', w.work, b.footprint,
              pg_temp.f(pg_temp.med('main', w.base, b.subject, 10)), pg_temp.f(pg_temp.med('main', w.ours, b.subject, 10)),
              coalesce(to_char(pg_temp.paired('main', w.ours, w.base, b.subject, 10), 'FM990.00') || 'x', '-'),
              w.target,
              CASE WHEN pg_temp.paired('main', w.ours, w.base, b.subject, 10) IS NULL THEN '-'
                   WHEN pg_temp.paired('main', w.ours, w.base, b.subject, 10) <= w.max_ratio
                        AND pg_temp.med('main', w.ours, b.subject, 10) < w.max_ms
                   THEN 'yes' ELSE '**no**' END)
  FROM (VALUES (1, 'export, rows (`export_subject_rows`) vs UNION ALL', 'baseline_rows', 'export_rows', 1.5, 'infinity'::float8, '≤ 1.5x'),
               (2, 'export, JSON document (`export_subject`) vs UNION ALL + jsonb_agg', 'baseline_doc', 'export_doc', 1.5, 'infinity', '≤ 1.5x'),
               (3, 'erasure (`erase_subject`) vs hand-written erasure', 'manual_erase', 'erase', 2.0, 100, '≤ 2x and < 100 ms'))
       w(ord, work, base, ours, max_ratio, max_ms, target)
  JOIN bench_subject b ON b.footprint IN (1000, 10000)
 ORDER BY w.ord, b.footprint;
\echo
\echo '### Export: subject access vs a hand-written query (10 tables, expression indexes)'
\echo
\echo 'ms, median of the runs (min–max); target: each form ≤ 1.5x its hand-written query.'
\echo
\echo '| subject rows | hand-written rows query | `export_subject_rows` | ratio | met | hand-written JSON document | `export_subject` | ratio | met |'
\echo '|---:|---:|---:|---:|---|---:|---:|---:|---|'
SELECT format('| %s | %s | %s | %s | %s | %s | %s | %s | %s |',
              pg_temp.rows('main', 'export_rows', subject, 10),
              pg_temp.cell('main', 'baseline_rows', subject, 10), pg_temp.cell('main', 'export_rows', subject, 10),
              pg_temp.r(pg_temp.med('main', 'export_rows', subject, 10), pg_temp.med('main', 'baseline_rows', subject, 10)),
              CASE WHEN pg_temp.med('main', 'export_rows', subject, 10) <= 1.5 * pg_temp.med('main', 'baseline_rows', subject, 10)
                   THEN 'yes' ELSE 'no' END,
              pg_temp.cell('main', 'baseline_doc', subject, 10), pg_temp.cell('main', 'export_doc', subject, 10),
              pg_temp.r(pg_temp.med('main', 'export_doc', subject, 10), pg_temp.med('main', 'baseline_doc', subject, 10)),
              CASE WHEN pg_temp.med('main', 'export_doc', subject, 10) <= 1.5 * pg_temp.med('main', 'baseline_doc', subject, 10)
                   THEN 'yes' ELSE 'no' END)
  FROM bench_subject ORDER BY footprint;
\echo
\echo '### Erasure (10 tables, expression indexes; each run rolled back)'
\echo
\echo 'ms, median (min–max); target: `erase_subject` ≤ 2x the hand-written erasure and < 100 ms.'
\echo
\echo '| subject rows | `erase_subject` | `erase_subject(dry_run => true)` | hand-written erasure | erase / hand-written | met |'
\echo '|---:|---:|---:|---:|---:|---|'
SELECT format('| %s | %s | %s | %s | %s | %s |',
              pg_temp.rows('main', 'erase', subject, 10),
              pg_temp.cell('main', 'erase', subject, 10), pg_temp.cell('main', 'erase_dry', subject, 10),
              pg_temp.cell('main', 'manual_erase', subject, 10),
              pg_temp.r(pg_temp.med('main', 'erase', subject, 10), pg_temp.med('main', 'manual_erase', subject, 10)),
              CASE WHEN pg_temp.med('main', 'erase', subject, 10) < 100
                        AND pg_temp.med('main', 'erase', subject, 10) <= 2 * pg_temp.med('main', 'manual_erase', subject, 10)
                   THEN 'yes' ELSE 'no' END)
  FROM bench_subject ORDER BY footprint;
\echo
\echo '### Growth with the subject''s row count (10 tables)'
\echo
\echo 'Medians in ms; per row = (median − median of the 10-row subject) / (rows − 10).'
\echo
\echo '| subject rows | hand-written | `export_subject_rows` | per extra row | `erase_subject` | per extra row |'
\echo '|---:|---:|---:|---:|---:|---:|'
SELECT format('| %s | %s | %s | %s | %s | %s |', b.footprint,
              pg_temp.f(pg_temp.med('main', 'baseline_rows', b.subject, 10)),
              pg_temp.f(pg_temp.med('main', 'export_rows', b.subject, 10)),
              CASE WHEN b.footprint <= 10 THEN '-' ELSE to_char(1000 * (pg_temp.med('main', 'export_rows', b.subject, 10) - pg_temp.med('main', 'export_rows', 1, 10)) / (b.footprint - 10), 'FM9990.0') || ' µs' END,
              pg_temp.f(pg_temp.med('main', 'erase', b.subject, 10)),
              CASE WHEN b.footprint <= 10 THEN '-' ELSE to_char(1000 * (pg_temp.med('main', 'erase', b.subject, 10) - pg_temp.med('main', 'erase', 1, 10)) / (b.footprint - 10), 'FM9990.0') || ' µs' END)
  FROM bench_subject b ORDER BY footprint;
\echo
SELECT format('Fixed costs (medians): reading the retention.tags view (resolving all %s tags) %s ms; '
              'a request for a subject with no rows: export_subject_rows %s ms, erase_subject %s ms, hand-written query %s ms.',
              (SELECT count(*) FROM retention.tags), pg_temp.f(pg_temp.med('main', 'tags_view', 0, 10)),
              pg_temp.f(pg_temp.med('main', 'export_rows', 0, 10)), pg_temp.f(pg_temp.med('main', 'erase', 0, 10)),
              pg_temp.f(pg_temp.med('main', 'baseline_rows', 0, 10)));
\echo
\echo '### Growth with the number of tables searched'
\echo
\echo 'Tables outside the set lose their tags and foreign keys, so the functions neither search nor reach them; the subject''s rows in them no longer count. Medians in ms (min–max).'
\echo
\echo '| tables | subject | rows found | hand-written | `export_subject_rows` | ratio | `erase_subject` |'
\echo '|---:|---:|---:|---:|---:|---:|---:|'
SELECT format('| %s | %s-row | %s | %s | %s | %s | %s |', t.tables, b.footprint,
              pg_temp.rows(t.e, 'export_rows', b.subject, t.tables),
              pg_temp.cell(t.e, 'baseline_rows', b.subject, t.tables), pg_temp.cell(t.e, 'export_rows', b.subject, t.tables),
              pg_temp.r(pg_temp.med(t.e, 'export_rows', b.subject, t.tables), pg_temp.med(t.e, 'baseline_rows', b.subject, t.tables)),
              pg_temp.cell(t.e, 'erase', b.subject, t.tables))
  FROM (SELECT DISTINCT experiment AS e, tables FROM bench_result WHERE experiment IN ('main', 'tables')) t
  JOIN bench_subject b ON EXISTS (SELECT 1 FROM bench_result x WHERE x.experiment = 'tables' AND x.subject = b.subject)
 ORDER BY b.footprint, t.tables;
\echo
\echo '### Without the expression indexes (plain btree on the identifier columns only)'
\echo
SELECT format('ms, median (min–max) of %s runs.', max(runs)) FROM m WHERE experiment = 'noexpr';
\echo
\echo '| subject rows | hand-written (same normalized predicates) | `export_subject_rows` | ratio | `erase_subject` | `erase_subject(dry_run => true)` |'
\echo '|---:|---:|---:|---:|---:|---:|'
SELECT format('| %s | %s | %s | %s | %s | %s |',
              pg_temp.rows('noexpr', 'export_rows', subject, 10),
              pg_temp.cell('noexpr', 'baseline_rows', subject, 10), pg_temp.cell('noexpr', 'export_rows', subject, 10),
              pg_temp.r(pg_temp.med('noexpr', 'export_rows', subject, 10), pg_temp.med('noexpr', 'baseline_rows', subject, 10)),
              pg_temp.cell('noexpr', 'erase', subject, 10), pg_temp.cell('noexpr', 'erase_dry', subject, 10))
  FROM bench_subject b WHERE EXISTS (SELECT 1 FROM bench_result x WHERE x.experiment = 'noexpr' AND x.subject = b.subject)
 ORDER BY footprint;
\echo
\echo '### Correctness checks (run before the timings)'
\echo
\echo '| subject rows | check | expected | got | ok |'
\echo '|---:|---|---|---|---|'
SELECT format('| %s | %s | %s | %s | %s |', b.footprint, c.check_name, c.expected, c.actual, CASE WHEN c.ok THEN 'ok' ELSE '**FAILED**' END)
  FROM bench_check c JOIN bench_subject b USING (subject)
 ORDER BY b.footprint, c.ctid;
