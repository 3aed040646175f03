-- bench/subject/harness.sql: timing harness, the hand-written baselines,
-- the correctness checks and the table-set switch of the subject benchmark.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;

-- the identifiers of a planted subject as a request would pass them
-- (un-normalized: the functions normalize them)
ALTER TABLE bench_subject ADD COLUMN ids jsonb;
UPDATE bench_subject
   SET ids = jsonb_build_object('email', format(' Subject%s.Bench@Example.com', subject),
                                'phone', format('+385 99 000 %s', lpad(subject::text, 4, '0')),
                                'customer_id', subject);
-- subject 0 owns nothing: what a request costs before it finds anything
INSERT INTO bench_subject (subject, footprint, n_orders, items_per_order, n_tickets, messages_per_ticket,
                           n_messages, n_logins, email, phone, ids)
VALUES (0, 0, 0, 0, 0, 0, 0, 0, 'nobody.bench@example.com', '+385990000000',
        '{"email": "nobody.bench@example.com", "phone": "+385 99 000 0000", "customer_id": 0}');

CREATE TABLE bench_result (
    experiment text NOT NULL,   -- main, tables, noexpr
    label      text NOT NULL,
    subject    integer NOT NULL,
    tables     integer NOT NULL,
    run        integer NOT NULL,
    ms         float8 NOT NULL,
    n          bigint);

CREATE TABLE bench_check (
    check_name text NOT NULL,
    subject    integer NOT NULL,
    expected   text,
    actual     text,
    ok         boolean NOT NULL);

-- One timed execution of q (a query returning one bigint), server side.
-- roll: inside a subtransaction that is rolled back after the clock stops,
-- so an erasure can repeat on the same data.  run <= 0: warm-up, not kept.
CREATE PROCEDURE bench_once(experiment text, label text, subject integer, tables integer,
                            run integer, q text, roll boolean)
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    elapsed float8;
    n bigint;
BEGIN
    IF roll THEN
        BEGIN
            t0 := clock_timestamp();
            EXECUTE q INTO n;
            elapsed := extract(epoch FROM clock_timestamp() - t0) * 1000;
            RAISE EXCEPTION USING ERRCODE = 'XB001', MESSAGE = 'bench rollback';
        EXCEPTION WHEN SQLSTATE 'XB001' THEN
            NULL;
        END;
    ELSE
        t0 := clock_timestamp();
        EXECUTE q INTO n;
        elapsed := extract(epoch FROM clock_timestamp() - t0) * 1000;
    END IF;
    IF run > 0 THEN
        INSERT INTO bench_result VALUES (experiment, label, subject, tables, run, elapsed, n);
    END IF;
END
$$;

CREATE FUNCTION bench_all_tables() RETURNS text[] LANGUAGE sql AS $$
    SELECT ARRAY['customers', 'accounts', 'orders', 'order_items', 'payments', 'tickets',
                 'ticket_messages', 'messages', 'login_events', 'newsletter']
$$;

-- The hand-written query a DBA would write for the same rows: per table the
-- same normalized predicates the extension uses (so the same expression
-- indexes serve it) and the same foreign-key joins, each row once; table,
-- primary key as jsonb, row as jsonb.  Only the tables in tbls (each with
-- its parents) are searched.  mode: rows (count them), doc (one JSON
-- document grouped by table), keys (table and key, for the checks).
CREATE FUNCTION bench_baseline(s integer, tbls text[], mode text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    e text;
    p text;
    ctes text[] := '{}';
    sels text[] := '{}';
    u text;
    piece record;
BEGIN
    SELECT quote_literal(email), quote_literal(phone) INTO e, p FROM bench_subject WHERE subject = s;
    FOR piece IN
        SELECT * FROM (VALUES
          (1, 'customers', 'c', format('retention.normalize_identifier(''email'', r.email) = %s OR retention.normalize_identifier(''phone'', r.phone) = %s OR r.id = %s', e, p, s)),
          (2, 'accounts', 'a', format('retention.normalize_identifier(''email'', r.billing_email) = %s OR r.customer_id = ANY (ARRAY(SELECT id FROM c))', e)),
          (3, 'orders', 'o', format('retention.normalize_identifier(''phone'', r.shipping_phone) = %s OR r.customer_id = ANY (ARRAY(SELECT id FROM c))', p)),
          (4, 'order_items', 'oi', 'r.order_id = ANY (ARRAY(SELECT id FROM o))'),
          (5, 'payments', 'pay', 'r.order_id = ANY (ARRAY(SELECT id FROM o))'),
          (6, 'tickets', 't', format('retention.normalize_identifier(''email'', r.contact_email) = %s OR r.customer_id = ANY (ARRAY(SELECT id FROM c))', e)),
          (7, 'ticket_messages', 'tm', format('retention.normalize_identifier(''email'', r.author_email) = %s OR r.ticket_id = ANY (ARRAY(SELECT id FROM t))', e)),
          (8, 'messages', 'm', format('retention.normalize_identifier(''phone'', r.to_phone) = %s OR r.account_id = ANY (ARRAY(SELECT id FROM a))', p)),
          (9, 'login_events', 'l', format('r.customer_id = %s', s)),
          (10, 'newsletter', 'n', format('retention.normalize_identifier(''email'', r.email) = %s', e))) v(ord, tbl, alias, pred)
         WHERE tbl = ANY (tbls)
         ORDER BY ord
    LOOP
        ctes := ctes || format('%s AS (SELECT * FROM shop.%s r WHERE %s)', piece.alias, piece.tbl, piece.pred);
        sels := sels || format('SELECT %L::regclass AS tbl, jsonb_build_object(''id'', x.id) AS k, to_jsonb(x.*) AS d FROM %s x',
                               'shop.' || piece.tbl, piece.alias);
    END LOOP;
    u := array_to_string(sels, ' UNION ALL ');
    RETURN 'WITH ' || array_to_string(ctes, ', ') || ' ' ||
        CASE mode
        WHEN 'rows' THEN format('SELECT count(*) FILTER (WHERE k IS NOT NULL AND d IS NOT NULL) FROM (%s) s', u)
        WHEN 'doc' THEN format('SELECT (SELECT coalesce(sum(jsonb_array_length(t -> ''rows'')), 0) FROM jsonb_array_elements(doc -> ''tables'') t)::bigint'
                               ' FROM (SELECT jsonb_build_object(''tables'', coalesce(jsonb_agg(jsonb_build_object(''table'', tbl, ''rows'', rows) ORDER BY tbl), ''[]'')) AS doc'
                               ' FROM (SELECT tbl::text AS tbl, jsonb_agg(jsonb_build_object(''key'', k, ''data'', d) ORDER BY k::text) AS rows'
                               ' FROM (%s) s GROUP BY tbl) g) z', u)
        WHEN 'keys' THEN format('SELECT tbl, k FROM (%s) s', u)
        END;
END
$$;

-- A hand-written erasure with the same outcome as erase_subject on this
-- schema: rows locked, the subject's number in other people's messages
-- replaced (md5 here: the extension's keyed pseudonym is internal to it),
-- everything else deleted, children first.  Returns the rows touched.
CREATE FUNCTION bench_manual_erase(s integer) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    e text;
    p text;
    cust bigint[];
    acc bigint[];
    ord bigint[];
    tix bigint[];
    n bigint := 0;
    k bigint;
BEGIN
    SELECT email, phone INTO e, p FROM bench_subject WHERE subject = s;
    cust := ARRAY(SELECT r.id FROM shop.customers r
                   WHERE retention.normalize_identifier('email', r.email) = e
                      OR retention.normalize_identifier('phone', r.phone) = p OR r.id = s FOR UPDATE);
    acc := ARRAY(SELECT r.id FROM shop.accounts r
                  WHERE retention.normalize_identifier('email', r.billing_email) = e OR r.customer_id = ANY (cust) FOR UPDATE);
    ord := ARRAY(SELECT r.id FROM shop.orders r
                  WHERE retention.normalize_identifier('phone', r.shipping_phone) = p OR r.customer_id = ANY (cust) FOR UPDATE);
    tix := ARRAY(SELECT r.id FROM shop.tickets r
                  WHERE retention.normalize_identifier('email', r.contact_email) = e OR r.customer_id = ANY (cust) FOR UPDATE);
    UPDATE shop.messages r SET to_phone = md5(r.to_phone)
     WHERE retention.normalize_identifier('phone', r.to_phone) = p;
    GET DIAGNOSTICS k = ROW_COUNT; n := n + k;
    DELETE FROM shop.messages r WHERE r.account_id = ANY (acc);
    GET DIAGNOSTICS k = ROW_COUNT; n := n + k;
    DELETE FROM shop.order_items r WHERE r.order_id = ANY (ord);
    GET DIAGNOSTICS k = ROW_COUNT; n := n + k;
    DELETE FROM shop.payments r WHERE r.order_id = ANY (ord);
    GET DIAGNOSTICS k = ROW_COUNT; n := n + k;
    DELETE FROM shop.ticket_messages r
     WHERE retention.normalize_identifier('email', r.author_email) = e OR r.ticket_id = ANY (tix);
    GET DIAGNOSTICS k = ROW_COUNT; n := n + k;
    DELETE FROM shop.tickets r WHERE r.id = ANY (tix);
    GET DIAGNOSTICS k = ROW_COUNT; n := n + k;
    DELETE FROM shop.orders r WHERE r.id = ANY (ord);
    GET DIAGNOSTICS k = ROW_COUNT; n := n + k;
    DELETE FROM shop.accounts r WHERE r.id = ANY (acc);
    GET DIAGNOSTICS k = ROW_COUNT; n := n + k;
    DELETE FROM shop.customers r WHERE r.id = ANY (cust);
    GET DIAGNOSTICS k = ROW_COUNT; n := n + k;
    DELETE FROM shop.login_events r WHERE r.customer_id = s;
    GET DIAGNOSTICS k = ROW_COUNT; n := n + k;
    DELETE FROM shop.newsletter r WHERE retention.normalize_identifier('email', r.email) = e;
    GET DIAGNOSTICS k = ROW_COUNT; n := n + k;
    RETURN n;
END
$$;

-- The timed statements.  Each returns one bigint: the rows it produced.
CREATE FUNCTION bench_sql(label text, s integer, tbls text[]) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    ids text := quote_literal((SELECT b.ids FROM bench_subject b WHERE b.subject = s)::text);
BEGIN
    RETURN CASE label
    WHEN 'baseline_rows' THEN bench_baseline(s, tbls, 'rows')
    WHEN 'export_rows' THEN
        format('SELECT count(*) FILTER (WHERE row_key IS NOT NULL AND row_data IS NOT NULL) FROM retention.export_subject_rows(%s::jsonb)', ids)
    WHEN 'baseline_doc' THEN bench_baseline(s, tbls, 'doc')
    WHEN 'export_doc' THEN
        format('SELECT (SELECT coalesce(sum(jsonb_array_length(t -> ''rows'')), 0) FROM jsonb_array_elements(d -> ''tables'') t)::bigint FROM retention.export_subject(%s::jsonb) d', ids)
    WHEN 'erase' THEN format('SELECT coalesce(sum(rows_found), 0)::bigint FROM retention.erase_subject(%s::jsonb)', ids)
    WHEN 'erase_dry' THEN format('SELECT coalesce(sum(rows_found), 0)::bigint FROM retention.erase_subject(%s::jsonb, dry_run => true)', ids)
    WHEN 'manual_erase' THEN format('SELECT bench_manual_erase(%s)', s)
    WHEN 'tags_view' THEN 'SELECT count(*) FROM retention.tags'
    END;
END
$$;

-- Correctness of what is timed, per subject (all ten tables searched):
-- the export returns exactly the planted rows, the same as the baseline;
-- a dry run and an erasure (rolled back) report them; after the erasure
-- nothing of the subject is found and other people's data is unchanged.
CREATE PROCEDURE bench_checks(s integer)
LANGUAGE plpgsql AS $$
DECLARE
    f bigint;
    subj bench_subject;
    n bigint;
    m bigint;
    found bigint; deleted bigint; anonymized bigint; held bigint;
    left_after bigint; other_changed bigint; other_body_changed bigint; suppressed boolean;
    left_after_rollback bigint;
BEGIN
    SELECT * INTO subj FROM bench_subject WHERE subject = s;
    f := subj.footprint;
    SELECT count(*) INTO n FROM retention.export_subject_rows(subj.ids);
    INSERT INTO bench_check VALUES ('export_subject_rows: rows', s, f::text, n::text, n = f);
    EXECUTE format('SELECT count(*) FROM (SELECT table_name, row_key FROM retention.export_subject_rows(%L::jsonb)'
                   ' EXCEPT ALL SELECT tbl, k FROM (%s) b) d', subj.ids, bench_baseline(s, bench_all_tables(), 'keys')) INTO n;
    EXECUTE format('SELECT count(*) FROM (SELECT tbl, k FROM (%s) b EXCEPT ALL'
                   ' SELECT table_name, row_key FROM retention.export_subject_rows(%L::jsonb)) d',
                   bench_baseline(s, bench_all_tables(), 'keys'), subj.ids) INTO m;
    INSERT INTO bench_check VALUES ('export rows not in baseline / baseline rows not in export', s, '0 / 0', n || ' / ' || m, n = 0 AND m = 0);
    EXECUTE bench_sql('export_doc', s, NULL) INTO n;
    INSERT INTO bench_check VALUES ('export_subject: rows in the document', s, f::text, n::text, n = f);
    EXECUTE bench_sql('baseline_doc', s, bench_all_tables()) INTO n;
    INSERT INTO bench_check VALUES ('baseline document: rows', s, f::text, n::text, n = f);

    SELECT sum(rows_found), sum(rows_deleted), sum(rows_anonymized), sum(rows_held)
      INTO found, deleted, anonymized, held FROM retention.erase_subject(subj.ids, dry_run => true);
    INSERT INTO bench_check VALUES ('dry run: found / deleted / anonymized / held', s,
        format('%s / %s / %s / 0', f, f - subj.n_messages, subj.n_messages),
        format('%s / %s / %s / %s', found, deleted, anonymized, held),
        found = f AND deleted = f - subj.n_messages AND anonymized = subj.n_messages AND held = 0);

    -- the erasure, rolled back; the accounts and bodies of the messages to
    -- the subject's phone belong to others and must not change
    CREATE TEMP TABLE bench_msg_before ON COMMIT DROP AS
        SELECT id, account_id, body FROM shop.messages
         WHERE retention.normalize_identifier('phone', to_phone) = subj.phone;
    BEGIN
        SELECT sum(rows_found), sum(rows_deleted), sum(rows_anonymized), sum(rows_held)
          INTO found, deleted, anonymized, held FROM retention.erase_subject(subj.ids);
        EXECUTE bench_sql('baseline_rows', s, bench_all_tables()) INTO left_after;
        SELECT count(*) FILTER (WHERE m.account_id IS DISTINCT FROM b.account_id),
               count(*) FILTER (WHERE m.body IS DISTINCT FROM b.body)
          INTO other_changed, other_body_changed
          FROM bench_msg_before b JOIN shop.messages m USING (id);
        suppressed := retention.is_suppressed('email', subj.email);
        RAISE EXCEPTION USING ERRCODE = 'XB001', MESSAGE = 'bench rollback';
    EXCEPTION WHEN SQLSTATE 'XB001' THEN
        NULL;
    END;
    INSERT INTO bench_check VALUES ('erase: found / deleted / anonymized / held', s,
        format('%s / %s / %s / 0', f, f - subj.n_messages, subj.n_messages),
        format('%s / %s / %s / %s', found, deleted, anonymized, held),
        found = f AND deleted = f - subj.n_messages AND anonymized = subj.n_messages AND held = 0);
    INSERT INTO bench_check VALUES ('erase: subject rows the baseline still finds', s, '0', left_after::text, left_after = 0);
    INSERT INTO bench_check VALUES ('erase: messages to the subject''s phone (other people''s records) whose account_id changed', s, '0',
                                    other_changed::text, other_changed = 0);
    INSERT INTO bench_check VALUES ('erase: messages to the subject''s phone whose body changed', s, '0',
                                    other_body_changed::text, other_body_changed = 0);
    INSERT INTO bench_check VALUES ('erase: email on the suppression list', s, 'true', suppressed::text, suppressed);
    EXECUTE bench_sql('baseline_rows', s, bench_all_tables()) INTO left_after_rollback;
    INSERT INTO bench_check VALUES ('after rollback: rows back', s, f::text, left_after_rollback::text, left_after_rollback = f);
    DROP TABLE bench_msg_before;
END
$$;

-- The table-set switch: search only the tables in keep.  The others lose
-- their tags and their foreign keys (so nothing reaches them);
-- bench_restore() puts both back.
CREATE TABLE bench_saved_label AS
    SELECT objoid::regclass AS rel, objsubid, label FROM pg_seclabel
     WHERE provider = 'retention' AND classoid = 'pg_class'::regclass;
CREATE TABLE bench_saved_fk AS
    SELECT conrelid::regclass AS rel, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
     WHERE contype = 'f' AND connamespace = 'shop'::regnamespace;

CREATE PROCEDURE bench_restrict(keep text[])
LANGUAGE plpgsql AS $$
DECLARE
    l record;
BEGIN
    FOR l IN SELECT * FROM bench_saved_label
              WHERE rel NOT IN (SELECT ('shop.' || t)::regclass FROM unnest(keep) t)
                AND EXISTS (SELECT 1 FROM pg_seclabel x WHERE x.objoid = rel AND x.objsubid = bench_saved_label.objsubid
                               AND x.provider = 'retention')
              ORDER BY objsubid DESC
    LOOP
        IF l.objsubid = 0 THEN
            EXECUTE format('SECURITY LABEL FOR retention ON TABLE %s IS NULL', l.rel);
        ELSE
            EXECUTE format('SECURITY LABEL FOR retention ON COLUMN %s.%I IS NULL', l.rel,
                           (SELECT attname FROM pg_attribute WHERE attrelid = l.rel AND attnum = l.objsubid));
        END IF;
    END LOOP;
    FOR l IN SELECT * FROM bench_saved_fk
              WHERE rel NOT IN (SELECT ('shop.' || t)::regclass FROM unnest(keep) t)
                AND EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conrelid = rel AND c.conname = bench_saved_fk.conname)
    LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', l.rel, l.conname);
    END LOOP;
END
$$;

CREATE PROCEDURE bench_restore()
LANGUAGE plpgsql AS $$
DECLARE
    l record;
BEGIN
    FOR l IN SELECT * FROM bench_saved_fk f
              WHERE NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conrelid = f.rel AND c.conname = f.conname)
    LOOP
        EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s', l.rel, l.conname, l.def);
    END LOOP;
    FOR l IN SELECT * FROM bench_saved_label s
              WHERE NOT EXISTS (SELECT 1 FROM pg_seclabel x WHERE x.objoid = s.rel AND x.objsubid = s.objsubid
                                   AND x.provider = 'retention')
              ORDER BY objsubid
    LOOP
        IF l.objsubid = 0 THEN
            EXECUTE format('SECURITY LABEL FOR retention ON TABLE %s IS %L', l.rel, l.label);
        ELSE
            EXECUTE format('SECURITY LABEL FOR retention ON COLUMN %s.%I IS %L', l.rel,
                           (SELECT attname FROM pg_attribute WHERE attrelid = l.rel AND attnum = l.objsubid), l.label);
        END IF;
    END LOOP;
END
$$;
