-- examples/cpaas/demo.sql: what scripts/demo shows.  Run in an empty
-- database of a server that preloads pg_retention and starts with
-- retention.enabled = off and retention.naptime = 1s (scripts/demo sets
-- both), with psql variable scale (default 0.05).
\if :{?scale}
\else
\set scale 0.05
\endif
\pset border 2
\pset null '-'
\set QUIET on

\echo
\echo '=== 1. Install pg_retention and the example platform (examples/cpaas/schema.sql, policy.sql)'
CREATE EXTENSION pg_retention;
\o /dev/null
\i schema.sql
\i policy.sql
\o
SELECT count(*) AS tables FROM pg_class WHERE relnamespace = 'cpaas'::regnamespace AND relkind = 'r' \gset
SELECT count(*) AS tags FROM retention.tags \gset
\echo :tables tables, 13 categories and :tags tags. For example:
\echo '  SECURITY LABEL FOR retention ON COLUMN cpaas.message_record.end_user_phone'
\echo '      IS ''category=end_user_identifiers anchor=sent_at subject=phone'';'

\echo
\echo '=== 2. The retention schedule, as the database now enforces it (retention.schedule)'
SELECT category, kept, anchors AS "counted from", at_expiry AS "at expiry", applies_to AS "applies to"
  FROM retention.schedule WHERE category <> 'retention_evidence';

\echo
\echo '=== 2b. Rules per row: a condition (when=), country variants (variant=), blocked=anonymize, several anchors, a period from the data, suppression at deletion'
SELECT object, label FROM retention.tags
 WHERE label ~ '(when|variant|blocked|period|suppress)=' OR anchor ~ '[|,]' ORDER BY object;
SELECT category, variant, period, note FROM retention.category_variant ORDER BY 1, 2;

\echo
\echo '=== 3. Eleven years of history (examples/cpaas/generate.sql)'
\o /dev/null
\i generate.sql
\o
SELECT c.relname AS "table", s.n_live_tup AS rows
  FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
 WHERE s.schemaname = 'cpaas' ORDER BY 2 DESC;

\echo
\echo '=== 4. A legal hold: support tickets and their messages are kept for a court case, whatever their age'
SELECT retention.place_hold('Case 2026-117: preserve all support records', category => 'customer_support_data') AS hold_id;

\echo
\echo '=== 5. Status before enforcement (retention.status): what is overdue per tag'
SELECT table_name, coalesce(column_name, '(row)') AS "column", category, action,
       rows_overdue AS overdue, rows_held AS held, rows_blocked AS blocked,
       date_trunc('day', oldest_overdue_for) AS "oldest overdue for", next_due::date AS "next due", index_serves AS indexed
  FROM retention.status ORDER BY 1, 2;

\echo
\echo '=== 6. The background worker drains the backlog (retention.enabled = on)'
ALTER SYSTEM SET retention.enabled = on;
SELECT pg_reload_conf() \gset
DO $$
DECLARE
    started timestamptz := clock_timestamp();
    runs bigint; deleted bigint; anonymized bigint; last_work bigint;
BEGIN
    LOOP
        PERFORM pg_sleep(1);
        SELECT count(*), coalesce(sum(rows_deleted), 0), coalesce(sum(values_anonymized), 0)
          INTO runs, deleted, anonymized
          FROM retention.run WHERE origin = 'worker' AND status <> 'running';
        SELECT rows_deleted + values_anonymized INTO last_work
          FROM retention.run WHERE origin = 'worker' AND status <> 'running'
         ORDER BY run_id DESC LIMIT 1;
        RAISE NOTICE '% s: % worker runs, % rows deleted, % values anonymized',
            round(extract(epoch FROM clock_timestamp() - started)), runs, deleted, anonymized;
        EXIT WHEN (runs >= 2 AND last_work = 0) OR clock_timestamp() - started > interval '60 seconds';
    END LOOP;
END
$$;

\echo
\echo '=== 7. Status after: nothing overdue; held rows kept, and rows their held children still reference (blocked)'
SELECT table_name, coalesce(column_name, '(row)') AS "column", category,
       rows_overdue AS overdue, rows_held AS held, rows_blocked AS blocked, last_run::time(0) AS "last run", last_outcome AS outcome
  FROM retention.status ORDER BY 1, 2;

\echo
\echo '=== 7b. Customers: natural persons past their period are deleted or, while traffic records still reference them, anonymized (blocked=anonymize); companies are not under the rule (when=)'
SELECT country, is_natural_person AS person,
       count(*) FILTER (WHERE relationship_ended_at IS NOT NULL) AS ended,
       count(*) FILTER (WHERE email IS NULL AND billing_address IS NULL AND relationship_ended_at IS NOT NULL) AS anonymized,
       min(relationship_ended_at)::date AS "oldest end kept"
  FROM cpaas.customer GROUP BY 1, 2 ORDER BY 1, 2;
SELECT table_name, note FROM retention.status WHERE note IS NOT NULL ORDER BY 1;

\echo
\echo '=== 8. Preview: what falls due in the next 90 days (retention.preview)'
SELECT table_name, coalesce(column_name, '(row)') AS "column", category, action, rows_due AS "due by then", rows_held AS held
  FROM retention.preview(now() + interval '90 days') WHERE rows_due > 0 OR rows_held > 0 ORDER BY 1, 2;

\echo
\echo '=== 9. An access request: everything about one account user, with due dates (retention.export_subject)'
SELECT email AS subject_email FROM cpaas.account_user ORDER BY account_user_id LIMIT 1 \gset
\echo Identifier searched: :subject_email
SELECT jsonb_pretty(jsonb_set(d, '{tables}',
         (SELECT jsonb_agg(jsonb_set(t, '{rows}', (SELECT jsonb_agg(r) FROM (SELECT r FROM jsonb_array_elements(t -> 'rows') r LIMIT 2) x)))
            FROM jsonb_array_elements(d -> 'tables') t))) AS "export (first 2 rows per table)"
  FROM retention.export_subject(jsonb_build_object('email', :'subject_email')) d;

\echo
\echo '=== 10. An erasure request for another person (retention.erase_subject)'
-- someone with no support tickets (those are under the legal hold)
SELECT u.email AS erase_email, u.phone AS erase_phone FROM cpaas.account_user u
 WHERE u.phone IS NOT NULL
   AND NOT EXISTS (SELECT FROM cpaas.support_ticket t WHERE t.opened_by = u.account_user_id)
   AND NOT EXISTS (SELECT FROM cpaas.ticket_message m WHERE lower(m.author_email) = lower(u.email))
 ORDER BY EXISTS (SELECT FROM cpaas.message_record r   -- preferably one who also received SMS
                   WHERE r.end_user_phone = u.phone) DESC, u.account_user_id DESC
 LIMIT 1 \gset
SELECT * FROM retention.erase_subject(jsonb_build_object('email', :'erase_email', 'phone', :'erase_phone'));
SELECT retention.is_suppressed('email', upper(:'erase_email')) AS "on the suppression list (any spelling)";
SELECT kind, requested_by, rows_found, outcome, left(identifier_hashes[1], 22) || '...' AS "identifier (keyed hash)"
  FROM retention.dsr_request ORDER BY request_id;

\echo
\echo '=== 11. The evidence log (retention.run, retention.action_log): what was done, no personal data'
SELECT run_id, origin, status, jobs, rows_deleted, values_anonymized, rows_held, rows_blocked, batches,
       pg_size_pretty(wal_bytes) AS wal, (finished_at - started_at)::interval(2) AS took
  FROM retention.run WHERE rows_deleted + values_anonymized > 0 OR run_id = (SELECT max(run_id) FROM retention.run) ORDER BY run_id;
SELECT table_name, action, array_to_string(columns, ', ') AS columns, array_to_string(methods, ', ') AS methods,
       sum(rows_processed) AS rows, sum(rows_held) AS held, sum(batches) AS batches, string_agg(DISTINCT outcome, ', ') AS outcomes
  FROM retention.action_log GROUP BY 1, 2, 3, 4 HAVING sum(rows_processed) + sum(rows_held) > 0 ORDER BY 1, 2;
SELECT role, database, state, last_run_id FROM retention.worker_status();
