-- examples/cpaas/demo.sql: what scripts/demo shows.  Run in an empty
-- database of a server that preloads pg_retention.
\pset border 2
\pset null '-'
\echo
\echo '=== 1. Install the extension: schema "retention", roles retention_admin and retention_dsr'
CREATE EXTENSION pg_retention;
SELECT extname, extversion FROM pg_extension WHERE extname = 'pg_retention';

\echo
\echo '=== 2. The platform''s tables (examples/cpaas/schema.sql)'
\i schema.sql
SELECT c.relname AS "table", pg_catalog.obj_description(c.oid) AS note,
       (SELECT count(*) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns
  FROM pg_class c WHERE c.relnamespace = 'cpaas'::regnamespace AND c.relkind = 'r' ORDER BY 1;

\echo
\echo '=== 3. The privacy notice''s schedule as categories and tags (examples/cpaas/policy.sql)'
\o /dev/null
\i policy.sql
\o
\echo 'For example, the end user''s phone number in a communication record:'
\echo '  SECURITY LABEL FOR retention ON COLUMN cpaas.message_record.end_user_phone'
\echo '      IS ''category=end_user_identifiers anchor=sent_at subject=phone'';'

\echo
\echo '=== 4. The retention schedule as the database knows it (retention.schedule)'
SELECT category, kept, anchors, at_expiry, applies_to FROM retention.schedule;

\echo
\echo '=== 5. Every tag, resolved (retention.tags)'
SELECT object, kind, category, anchor, action, action_source AS "action from", subject, valid
  FROM retention.tags ORDER BY object;

\echo
\echo '=== 6. Labels are validated when set: a few mistakes and what the DBA is told'
\set ON_ERROR_STOP 0
SECURITY LABEL FOR retention ON COLUMN cpaas.message_record.end_user_phone
    IS 'category=end_user_identifiers anchor=sent_at; DROP TABLE cpaas.customer';
SECURITY LABEL FOR retention ON COLUMN cpaas.account_user.email
    IS 'category=end_user_identifiers anchor=created_at action=nullify';
SECURITY LABEL FOR retention ON TABLE cpaas.web_event IS 'category=web_analytics anchor=occurred_at';
\echo
\echo '=== 7. Schema changes keep tags correct, or are refused'
ALTER TABLE cpaas.message_record RENAME COLUMN sent_at TO occurred_at;
SELECT object, label FROM retention.tags WHERE object LIKE 'cpaas.message_record%' ORDER BY object;
ALTER TABLE cpaas.customer DROP COLUMN relationship_ended_at CASCADE;
\set ON_ERROR_STOP 1
