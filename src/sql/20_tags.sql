-- Tags: security labels of provider "retention" on tables and columns.
-- They live in pg_seclabel; these objects read them back, resolved.

CREATE FUNCTION retention._tag_rows(
    OUT table_name        pg_catalog.regclass,
    OUT column_name       name,
    OUT label             text,
    OUT kind              text,
    OUT category          text,
    OUT anchor            text,
    OUT anchor_table      pg_catalog.regclass,
    OUT action            text,
    OUT action_source     text,
    OUT subject           text,
    OUT keep              integer,
    OUT bucket            bigint,
    OUT valid             boolean,
    OUT problem           text,
    OUT problem_sqlstate  text)
RETURNS SETOF record
LANGUAGE C STABLE STRICT
AS 'MODULE_PATHNAME', 'retention_tag_rows';
COMMENT ON FUNCTION retention._tag_rows() IS
    'Internal: every retention label of this database, parsed and resolved. Use the retention.tags view.';

CREATE FUNCTION retention._tag_model_rows(
    OUT table_name        pg_catalog.regclass,
    OUT column_name       name,
    OUT condition         text,
    OUT anchor_words      text,
    OUT period_from       text,
    OUT variant_from      text)
RETURNS SETOF record
LANGUAGE C STABLE STRICT
AS 'MODULE_PATHNAME', 'retention_tag_model_rows';
COMMENT ON FUNCTION retention._tag_model_rows() IS
    'Internal: the 0.2.0 policy keys of every valid retention tag (normalized condition, anchor in words, period and variant columns). Use the retention.tags view.';

CREATE VIEW retention.tags AS
SELECT t.table_name,
       t.column_name,
       t.table_name::text
           OPERATOR(pg_catalog.||) coalesce('.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(t.column_name::text), '')
           COLLATE "default" AS object,
       t.kind,
       t.category,
       c.period,
       c.starts,
       c.time_zone,
       t.anchor,
       t.anchor_table,
       t.action,
       t.action_source,
       t.subject,
       t.keep,
       t.bucket,
       t.valid,
       t.problem,
       t.problem_sqlstate,
       t.label,
       m.condition,
       m.period_from,
       m.variant_from,
       m.anchor_words
  FROM retention._tag_rows() t
  LEFT JOIN retention.category c ON c.name OPERATOR(pg_catalog.=) t.category
  LEFT JOIN retention._tag_model_rows() m
         ON m.table_name OPERATOR(pg_catalog.=) t.table_name
        AND m.column_name IS NOT DISTINCT FROM t.column_name;

COMMENT ON VIEW retention.tags IS
    'Every retention tag with its category resolved: kind (table: rows are deleted; column: the value is anonymized; subject: identifier column only), period, boundary, time zone, anchor, effective action (from the tag or the category), subject kind. valid is false, with the problem, for a tag that no longer resolves (e.g. after a restore whose categories were not loaded). condition is the normalized when= expression (rows where it is not true are outside the tag), period_from and variant_from the columns that period= and variant= read, anchor_words what the period counts from in words (the anchor columns'' comments).';

GRANT SELECT ON retention.tags TO PUBLIC;

CREATE FUNCTION retention._check_category_tags(category text, old_action text)
RETURNS void
LANGUAGE C STABLE STRICT
AS 'MODULE_PATHNAME', 'retention_check_category_tags';
COMMENT ON FUNCTION retention._check_category_tags(text, text) IS
    'Internal: raises an error naming the first tag of the category that a change of its default action from old_action broke.';

CREATE VIEW retention.schedule AS
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

GRANT SELECT ON retention.schedule TO PUBLIC;
