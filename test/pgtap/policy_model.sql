-- The 0.2.0 policy model at its boundaries (issue 14 items 1-5, 9): which
-- rows CALL retention.enforce() deletes under anchor=a|b, anchor=a,b,
-- latest(), when=, period= and variant=, one second either side of the due
-- time; NULL items ignored, all NULL never due; the schedule in words.
BEGIN;
SELECT plan(37);

SET LOCAL client_min_messages = warning;
SET LOCAL TimeZone = 'UTC';

SELECT FROM retention.define_category('pm_year', '1 year');
-- due 1 s ago / due in 1 s under a 1-year rule
CREATE TEMP TABLE t AS SELECT now() - interval '1 year 1 second' AS due, now() - interval '1 year' + interval '1 second' AS not_due;

-- 1. anchor=a|b: the first item that falls due
CREATE TABLE pm_first (id int PRIMARY KEY, a timestamptz, b timestamptz);
INSERT INTO pm_first SELECT 1, due, NULL FROM t UNION ALL SELECT 2, not_due, due FROM t
    UNION ALL SELECT 3, NULL, NULL UNION ALL SELECT 4, not_due, not_due FROM t;
SECURITY LABEL FOR retention ON TABLE pm_first IS 'category=pm_year anchor=a|b';
-- 2. anchor=a,b: the last item that falls due
CREATE TABLE pm_last (id int PRIMARY KEY, a timestamptz, b date);
INSERT INTO pm_last SELECT 1, due, (due - interval '1 day')::date FROM t UNION ALL SELECT 2, due, (not_due + interval '1 day')::date FROM t
    UNION ALL SELECT 3, due, NULL FROM t UNION ALL SELECT 4, NULL, NULL;
SECURITY LABEL FOR retention ON TABLE pm_last IS 'category=pm_year anchor=a,b';
-- 3. latest(): the parent's own date and its children's
CREATE TABLE pm_parent (id int PRIMARY KEY, created timestamptz);
CREATE TABLE pm_child (id int PRIMARY KEY, parent_id int REFERENCES pm_parent ON DELETE CASCADE, at timestamptz);
CREATE INDEX ON pm_child (parent_id, at);
INSERT INTO pm_parent SELECT 1, due FROM t UNION ALL SELECT 2, due FROM t UNION ALL SELECT 3, due FROM t
    UNION ALL SELECT 4, NULL UNION ALL SELECT 5, not_due FROM t;
INSERT INTO pm_child SELECT 1, 1, due FROM t UNION ALL SELECT 2, 1, due - interval '1 day' FROM t
    UNION ALL SELECT 3, 2, due FROM t UNION ALL SELECT 4, 2, not_due FROM t UNION ALL SELECT 5, 5, due FROM t;
SECURITY LABEL FOR retention ON TABLE pm_parent IS 'category=pm_year anchor=created,latest(pm_child.at)';
-- 4. when=: rows where the condition is not true are outside the tag
CREATE TABLE pm_when (id int PRIMARY KEY, kind text, a timestamptz);
INSERT INTO pm_when SELECT 1, 'person', due FROM t UNION ALL SELECT 2, 'company', due FROM t
    UNION ALL SELECT 3, NULL, due FROM t UNION ALL SELECT 4, 'person', not_due FROM t;
SECURITY LABEL FOR retention ON TABLE pm_when IS 'category=pm_year anchor=a when=''kind = ''''person''''''';
-- 5. period=: the period read from the row, NULL uses the category's
CREATE TABLE pm_period (id int PRIMARY KEY, a timestamptz, keep_for interval);
INSERT INTO pm_period SELECT 1, due, '2 years'::interval FROM t UNION ALL SELECT 2, due, NULL FROM t
    UNION ALL SELECT 3, now() - interval '1 month 1 second', '1 month'
    UNION ALL SELECT 4, now() - interval '1 month' + interval '1 second', '1 month'
    UNION ALL SELECT 5, now() - interval '1 second', '-1 day';
SECURITY LABEL FOR retention ON TABLE pm_period IS 'category=pm_year anchor=a period=keep_for';
-- 6. variant=: the row's value selects the variant, no match the category
SELECT FROM retention.define_category_variant('pm_year', 'BR', '2 years');
CREATE TABLE pm_variant (id int PRIMARY KEY, country text, a timestamptz);
INSERT INTO pm_variant SELECT 1, 'BR', due FROM t UNION ALL SELECT 2, 'DE', due FROM t
    UNION ALL SELECT 3, 'BR', now() - interval '2 years 1 second' UNION ALL SELECT 4, NULL, due FROM t
    UNION ALL SELECT 5, 'BR', now() - interval '2 years' + interval '1 second';
SECURITY LABEL FOR retention ON TABLE pm_variant IS 'category=pm_year anchor=a variant=country';

-- preview agrees with enforcement before it runs
SELECT is((SELECT sum(rows_due) FROM retention.preview() WHERE table_name = 'pm_first'::regclass), 2::numeric, 'preview: a|b has 2 due rows');
SELECT is((SELECT sum(rows_due) FROM retention.preview() WHERE table_name = 'pm_parent'::regclass), 2::numeric, 'preview: latest() has 2 due rows');
SELECT is((SELECT sum(rows_due) FROM retention.preview() WHERE table_name = 'pm_when'::regclass), 1::numeric, 'preview: when= counts only rows under the tag');
SELECT is((SELECT anchor_cutoff FROM retention.preview() WHERE table_name = 'pm_first'::regclass), NULL, 'preview: no single cutoff for several anchors');
SELECT ok((SELECT next_due FROM retention.status WHERE table_name = 'pm_variant'::regclass) BETWEEN now() AND now() + interval '2 seconds',
          'status: next due of the variant rows is the BR row due in a second');

CALL retention.enforce();

SELECT is(array(SELECT id FROM pm_first ORDER BY id), '{3,4}'::int[], 'a|b: due when the first item is due; NULLs ignored; all NULL never due');
SELECT is(array(SELECT id FROM pm_last ORDER BY id), '{2,4}'::int[], 'a,b: due when the last item is due; NULLs ignored; all NULL never due');
SELECT is(array(SELECT id FROM pm_parent ORDER BY id), '{2,4,5}'::int[], 'latest(): due when own date and every child date are due; no children: own date decides');
SELECT is(array(SELECT id FROM pm_child ORDER BY id), '{3,4,5}'::int[], 'latest(): the children of deleted parents went by cascade, the others stay');
SELECT is(array(SELECT id FROM pm_when ORDER BY id), '{2,3,4}'::int[], 'when=: only rows where the condition is true are due (NULL is not true)');
SELECT is(array(SELECT id FROM pm_period ORDER BY id), '{1,4}'::int[], 'period=: the row''s period, NULL the category''s, a negative one counts as zero');
SELECT is(array(SELECT id FROM pm_variant ORDER BY id), '{1,5}'::int[], 'variant=: BR keeps 2 years, other values and NULL follow the category');

-- the due dates the export shows come from the same module
SELECT is((SELECT retention.due_time(a, '2 years', 'exact', 'UTC') FROM pm_variant WHERE id = 5),
          now() + interval '1 second', 'variant: due time of the BR row');
SELECT ok(EXISTS (SELECT 1 FROM retention.tags WHERE object = 'pm_when' AND condition = '(kind = ''person''::text)'), 'tags: the condition normalized');
SELECT is((SELECT label FROM retention.tags WHERE object = 'pm_when'), 'category=pm_year anchor=a when=''(kind = ''''person''''::text)''', 'the label is stored normalized');
SELECT is((SELECT period_from FROM retention.tags WHERE object = 'pm_period'), 'keep_for', 'tags: period_from');
SELECT is((SELECT variant_from FROM retention.tags WHERE object = 'pm_variant'), 'country', 'tags: variant_from');

-- 7. words for the data subject
COMMENT ON COLUMN pm_child.at IS 'the date of your last rental';
COMMENT ON COLUMN pm_parent.created IS 'the date you signed up';
SELECT is((SELECT anchor_words FROM retention.tags WHERE object = 'pm_parent'),
          'the latest of the date you signed up and the date of your last rental', 'anchor words from the columns'' comments');
SELECT FROM retention.define_category('pm_rentals', '3 years');
CREATE TABLE pm_customer (id int PRIMARY KEY);
CREATE TABLE pm_rental (id int PRIMARY KEY, customer_id int REFERENCES pm_customer, rented_at date);
COMMENT ON COLUMN pm_rental.rented_at IS 'the date of your last rental';
SECURITY LABEL FOR retention ON TABLE pm_customer IS 'category=pm_rentals anchor=latest(pm_rental.rented_at)';
SELECT is((SELECT kept FROM retention.schedule WHERE category = 'pm_rentals'), '3 years after the date of your last rental', 'schedule: the period in words');
SELECT is((SELECT kept FROM retention.schedule WHERE category = 'pm_year' AND variant = 'BR'),
          '2 years after a or a (or, where keep_for is set, that period after it) or the earliest of a and b or the latest of a and b or the latest of the date you signed up and the date of your last rental', 'schedule: a variant row with its own period');

-- 8. latest() with no children and a NULL own date: never due
INSERT INTO pm_customer VALUES (1), (2);
INSERT INTO pm_rental VALUES (1, 2, now()::date - 3 * 366 - 1);
-- (the due customer is still referenced by its rental: due, and blocked)
SELECT is((SELECT sum(rows_due + rows_blocked) FROM retention.preview() WHERE table_name = 'pm_customer'::regclass), 1::numeric, 'latest() alone: no children is never due, old children are');
SELECT is((SELECT sum(rows_due + rows_blocked) FROM retention.preview(now() + interval '1 day') WHERE table_name = 'pm_customer'::regclass), 1::numeric, 'latest() alone: still one tomorrow');
INSERT INTO pm_rental VALUES (2, 2, now()::date);
SELECT is((SELECT sum(rows_due + rows_blocked) FROM retention.preview() WHERE table_name = 'pm_customer'::regclass), 0::numeric, 'latest(): a recent child keeps the parent');

-- 9. the condition is checked again when used: a renamed column is followed
ALTER TABLE pm_when RENAME COLUMN kind TO party;
SELECT is((SELECT condition FROM retention.tags WHERE object = 'pm_when'), '(party = ''person''::text)', 'rename: the condition follows');
SELECT throws_ok('ALTER TABLE pm_when DROP COLUMN party', '2BP01', NULL, 'drop: refused while the condition uses the column');
-- a when= on a column tag
CREATE TABLE pm_col (id int PRIMARY KEY, a timestamptz, phone text, kind text);
INSERT INTO pm_col SELECT 1, due, '123', 'person' FROM t UNION ALL SELECT 2, due, '456', 'company' FROM t;
SECURITY LABEL FOR retention ON COLUMN pm_col.phone IS 'category=pm_year anchor=a action=nullify when=''kind = ''''person''''''';
CALL retention.enforce();
SELECT is(array(SELECT coalesce(phone, '-') FROM pm_col ORDER BY id), '{-,456}'::text[], 'column tag with when=: only the person''s value anonymized');

-- 10. the tags stay valid and enforcement ran without errors
SELECT is((SELECT count(*) FROM retention.tags WHERE NOT valid), 0::bigint, 'every tag valid');
SELECT is((SELECT count(*) FROM retention.action_log WHERE error IS NOT NULL AND table_name LIKE 'public.pm_%'), 0::bigint, 'no job failed');
SELECT ok((SELECT count(*) FROM retention.action_log WHERE table_name LIKE 'public.pm_%' AND outcome = 'done') >= 6, 'the jobs of the new keys are done');

-- 11. anchor=a|b with a date and a timestamptz and an FK item
CREATE TABLE pm_acct (id int PRIMARY KEY, ended date);
CREATE TABLE pm_user (id int PRIMARY KEY, acct int REFERENCES pm_acct, withdrawn timestamptz);
INSERT INTO pm_acct VALUES (1, now()::date - 400), (2, NULL);
INSERT INTO pm_user SELECT 1, 1, NULL UNION ALL SELECT 2, 2, due FROM t UNION ALL SELECT 3, 2, not_due FROM t;
SECURITY LABEL FOR retention ON TABLE pm_user IS 'category=pm_year anchor=acct->pm_acct.ended|withdrawn';
CALL retention.enforce();
SELECT is(array(SELECT id FROM pm_user ORDER BY id), '{3}'::int[], 'a|b with a parent''s date: whichever falls due first');
SELECT is((SELECT anchor FROM retention.tags WHERE object = 'pm_user'), 'acct->pm_acct.ended|withdrawn', 'tags: the anchor list as written');
SELECT is((SELECT count(*) FROM retention.category_variant WHERE category = 'pm_year'), 1::bigint, 'variant stored');

-- 12. lint names the index that makes latest() cheap
SELECT ok(EXISTS (SELECT 1 FROM retention.lint() WHERE check_name = 'anchor_without_index'
                     AND hint = 'CREATE INDEX ON public.pm_rental (customer_id, rented_at);'), 'lint: the index latest() needs');
SELECT ok(NOT EXISTS (SELECT 1 FROM retention.lint() WHERE check_name = 'anchor_without_index'
                         AND object = 'public.pm_parent' AND message LIKE '%latest%'), 'lint: an index on (parent_id, at) serves latest()');
-- 13. the export: the variant that applies to each row, the rules in words
ALTER TABLE pm_variant ADD COLUMN email text;
UPDATE pm_variant SET email = 'ana@example.com';
SECURITY LABEL FOR retention ON COLUMN pm_variant.email IS 'subject=email';
CREATE TEMP TABLE ana AS SELECT retention.export_subject('{"email": "ana@example.com"}') AS d;
SELECT is((SELECT array_agg(r ->> 'variant' ORDER BY r -> 'key' ->> 'id') FROM ana, jsonb_array_elements(d -> 'tables') t, jsonb_array_elements(t -> 'rows') r),
          '{BR,BR}'::text[], 'export: each row with the variant that applies');
SELECT is((SELECT array_agg((r ->> 'due_at')::timestamptz ORDER BY r -> 'key' ->> 'id') FROM ana, jsonb_array_elements(d -> 'tables') t, jsonb_array_elements(t -> 'rows') r),
          (SELECT array_agg(a + interval '2 years' ORDER BY id) FROM pm_variant), 'export: due dates follow the variant');
SELECT ok((SELECT d #>> '{categories,pm_year,variants,BR,retention}' FROM ana) LIKE '2 years after %', 'export: the category''s variants in words');

SELECT * FROM finish();
ROLLBACK;
