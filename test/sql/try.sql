-- try(sql): the shared pg_regress helper (test/README.md).  Runs sql and
-- returns 'ok', or the error as "SQLSTATE: message", DETAIL and HINT (never
-- CONTEXT: that holds line numbers).  Load it with
--   \set ECHO none
--   \i test/sql/try.sql
--   \set ECHO all
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE m text; d text; h text; s text;
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, m = MESSAGE_TEXT,
                            d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
    RETURN s || ': ' || m || coalesce(E'\nDETAIL: ' || nullif(d, ''), '')
             || coalesce(E'\nHINT: ' || nullif(h, ''), '');
END $$;
