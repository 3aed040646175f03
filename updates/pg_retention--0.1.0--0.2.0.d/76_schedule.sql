\echo Use "ALTER EXTENSION pg_retention UPDATE TO '0.2.0'" to load this file. \quit
-- 76_schedule: retention.schedule shows what an erasure request does to
-- each category's data (on_erasure, added by 75_actions), next to what
-- happens at expiry (issue 14).
CREATE OR REPLACE VIEW retention.schedule AS
-- the tags are read once: every subquery below scans this
WITH t AS MATERIALIZED (
    SELECT t.category, t.anchor, t.action, t.object, t.anchor_words FROM retention.tags t)
SELECT c.name AS category,
       c.description AS data,
       retention.rule_in_words(coalesce(v.period, c.period), coalesce(v.starts, c.starts),
                               coalesce(v.time_zone, c.time_zone),
                               coalesce(w.words, 'the anchor date')) AS kept,
       (SELECT pg_catalog.string_agg(DISTINCT t.anchor, ', ')
          FROM t
         WHERE t.category OPERATOR(pg_catalog.=) c.name) AS anchors,
       coalesce((SELECT pg_catalog.string_agg(DISTINCT t.action, ', ')
                   FROM t
                  WHERE t.category OPERATOR(pg_catalog.=) c.name), c.action) AS at_expiry,
       c.purpose,
       coalesce(v.legal_basis, c.legal_basis) AS legal_basis,
       CASE WHEN c.name OPERATOR(pg_catalog.=) 'retention_evidence'
            THEN 'retention.run, retention.action_log'
            ELSE (SELECT pg_catalog.string_agg(t.object, ', ' ORDER BY t.object)
                    FROM t
                   WHERE t.category OPERATOR(pg_catalog.=) c.name) END AS applies_to,
       v.variant,
       v.note AS variant_note,
       c.on_erasure
  FROM retention.category c
  LEFT JOIN LATERAL (SELECT pg_catalog.string_agg(DISTINCT t.anchor_words, ' or ') AS words
                       FROM t
                      WHERE t.category OPERATOR(pg_catalog.=) c.name) w ON true
  LEFT JOIN LATERAL (SELECT NULL::text AS variant, NULL::text AS note, NULL::interval AS period,
                            NULL::text AS starts, NULL::text AS time_zone, NULL::text AS legal_basis
                     UNION ALL
                     SELECT cv.variant, cv.note, cv.period, cv.starts, cv.time_zone, cv.legal_basis
                       FROM retention.category_variant cv
                      WHERE cv.category OPERATOR(pg_catalog.=) c.name) v ON true;

COMMENT ON VIEW retention.schedule IS
    'The retention schedule as the database enforces it, in the shape of a privacy notice: per category the data, how long it is kept (counted from the anchors of its tags, in the words of the anchor columns'' comments), what happens at expiry, purpose, legal basis and the tables and columns it applies to; one more row per variant of the category (variant, variant_note) with the variant''s rule; and what an erasure request does to the category''s data (on_erasure: delete, anonymize or keep).';

