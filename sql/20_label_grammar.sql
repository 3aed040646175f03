-- The label grammar (src/label_grammar.c): every error a user can get from
-- a malformed label, with its position, and the valid forms as stored and
-- as read back through retention.tags.
\set VERBOSITY default
\set SHOW_CONTEXT never
-- try(sql): 'ok' or the error (test/sql/try.sql, shared by the pg_regress files)
\set ECHO none
\i test/sql/try.sql
\set ECHO all

SELECT name FROM retention.define_category('grammar_rows', '1 year');                 -- ok
SELECT name FROM retention.define_category('grammar_values', '1 year', action => 'nullify'); -- ok
CREATE TABLE regress_account (
    id       integer PRIMARY KEY,
    ended_at date
);                                                               -- ok
CREATE TABLE regress_grammar (
    id         integer PRIMARY KEY,
    sent_at    timestamptz,
    "SentAt"   timestamptz,
    "we""ird"  timestamptz,
    msisdn     text,
    email      text,
    amount     bigint,
    account_id integer REFERENCES regress_account
);                                                               -- ok

--
-- Errors: empty labels
--
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS ''$$);                 -- fails: empty
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS E' \t\n\r '$$);        -- fails: white space only
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_grammar.msisdn IS '   '$$);      -- fails: white space only, on a column

--
-- Errors: keys
--
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS 'category=grammar_rows anchor=sent_at retention=5'$$); -- fails: unknown key
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS 'period=1 category=grammar_rows'$$);       -- fails: unknown key first
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS 'category=grammar_rows anchor=sent_at category=grammar_values'$$); -- fails: repeated key
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS 'anchor=sent_at category=grammar_rows ANCHOR=sent_at'$$); -- fails: repeated key in another case
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS '"category"=grammar_rows'$$);  -- fails: a key is a bare word
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS '=grammar_rows'$$);            -- fails: no key
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS 'category'$$);                 -- fails: missing "=" at the end
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS 'category:grammar_rows'$$);    -- fails: ":" instead of "="
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS 'keep2=1'$$);                  -- fails: digits are not part of a key
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS 'category =grammar_rows anchor=sent_at'$$); -- fails: space before "="
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS 'category= grammar_rows anchor=sent_at'$$); -- fails: space after "="
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS 'category = grammar_rows'$$);  -- fails: spaces around "="

--
-- Errors: identifiers
--
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS 'category="grammar_rows anchor=sent_at'$$); -- fails: unterminated quoted identifier
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS 'category=grammar_rows anchor="SentAt'$$);  -- fails: unterminated quoted identifier
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS 'category=grammar_rows anchor="we""ird'$$); -- fails: unterminated after a doubled quote
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS 'category="" anchor=sent_at'$$);            -- fails: zero-length quoted identifier
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS 'category=grammar_rows anchor=""'$$);       -- fails: zero-length quoted identifier
SELECT pg_temp.try(format($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS %L$$,
                          'category=' || repeat('c', 64) || ' anchor=sent_at'));        -- fails: 64-byte identifier
SELECT pg_temp.try(format($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS %L$$,
                          'category=grammar_rows anchor="' || repeat('A', 64) || '"')); -- fails: 64-byte quoted identifier
SELECT pg_temp.try(format($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS %L$$,
                          'category=' || repeat('c', 63) || ' anchor=sent_at'));        -- fails: 63 bytes pass the grammar; the category does not exist
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS 'category=1year anchor=sent_at'$$);    -- fails: identifier starts with a digit
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS 'category=grammar_rows anchor=$1'$$);  -- fails: "$" cannot start an identifier
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS 'category=grammar_rows anchor='$$);    -- fails: value missing at the end
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS 'category= anchor=sent_at'$$);         -- fails: value missing
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS 'category=grammar_rows anchor=sent$at'$$); -- fails: "$" inside an unquoted identifier

--
-- Errors: action
--
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_grammar.msisdn IS 'category=grammar_values anchor=sent_at action=purge'$$); -- fails: unknown action
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_grammar.msisdn IS 'category=grammar_values anchor=sent_at action=none'$$);  -- fails: "none" is not an action
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_grammar.msisdn IS 'category=grammar_values anchor=sent_at action='$$);      -- fails: action missing
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_grammar.msisdn IS 'category=grammar_values anchor=sent_at action="hash"'$$); -- fails: an action is a bare word
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_grammar.msisdn IS 'category=grammar_values anchor=sent_at action=hash2'$$); -- fails: trailing digit after the action

--
-- Errors: subject
--
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_grammar.email IS 'subject="Email"'$$);   -- fails: quoted upper case
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_grammar.email IS 'subject="2fa"'$$);     -- fails: quoted digit start
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_grammar.email IS 'subject=2fa'$$);       -- fails: unquoted digit start
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_grammar.email IS 'subject="e-mail"'$$);  -- fails: hyphen
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_grammar.email IS 'subject=e-mail'$$);    -- fails: text after the subject
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_grammar.email IS 'subject=_email'$$);    -- fails: underscore start

--
-- Errors: keep and bucket
--
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_grammar.msisdn IS 'category=grammar_values anchor=sent_at action=mask keep=65'$$);  -- fails: keep above 64
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_grammar.msisdn IS 'category=grammar_values anchor=sent_at action=mask keep=-1'$$);  -- fails: negative keep
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_grammar.msisdn IS 'category=grammar_values anchor=sent_at action=mask keep=two'$$); -- fails: not a number
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_grammar.msisdn IS 'category=grammar_values anchor=sent_at action=mask keep='$$);    -- fails: number missing
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_grammar.msisdn IS 'category=grammar_values anchor=sent_at action=mask keep=2.5'$$); -- fails: not a whole number
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_grammar.amount IS 'category=grammar_values anchor=sent_at action=generalize bucket=0'$$);    -- fails: bucket below 1
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_grammar.amount IS 'category=grammar_values anchor=sent_at action=generalize bucket=1000000000000001'$$); -- fails: bucket above 1e15
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_grammar.amount IS 'category=grammar_values anchor=sent_at action=generalize bucket=99999999999999999999999999'$$); -- fails: far above 1e15, no overflow
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_grammar.amount IS 'category=grammar_values anchor=sent_at action=generalize bucket=1e3'$$);  -- fails: not a whole number
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON COLUMN regress_grammar.amount IS 'category=grammar_values anchor=sent_at action=generalize bucket=+10'$$);  -- fails: sign

--
-- Errors: foreign-key anchors
--
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS 'category=grammar_rows anchor=account_id->regress_account'$$);            -- fails: no column
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS 'category=grammar_rows anchor=account_id->'$$);                           -- fails: no table
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS 'category=grammar_rows anchor=account_id->regress_account.'$$);           -- fails: no column after "."
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS 'category=grammar_rows anchor=account_id-> regress_account.ended_at'$$); -- fails: space after "->"
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS 'category=grammar_rows anchor=account_id ->regress_account.ended_at'$$); -- fails: space before "->"
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS 'category=grammar_rows anchor=account_id-regress_account.ended_at'$$);  -- fails: "-" instead of "->"
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS 'category=grammar_rows anchor=account_id->db.public.regress_account.ended_at'$$); -- fails: four names
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS 'category=grammar_rows anchor=sent_at.x'$$);                               -- fails: a local anchor is one name

--
-- Errors: trailing garbage and separators
--
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS 'category=grammar_rows anchor=sent_at;'$$);     -- fails: ";"
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS 'category=grammar_rows anchor=sent_at)'$$);     -- fails: ")"
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS 'category=grammar_rows anchor=sent_at --'$$);   -- fails: a comment is not a key
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS 'category=grammar_rows anchor=sent_at x'$$);    -- fails: a word without "="
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS 'category=grammar_rows anchor="SentAt"x'$$);    -- fails: text right after a quoted identifier
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS 'category=grammar_rows,anchor=sent_at'$$);      -- fails: "," separator
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS 'category=grammar_rows, anchor=sent_at'$$);     -- fails: ", " separator
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar IS 'category=grammar_rows;anchor=sent_at'$$);      -- fails: ";" separator

-- nothing of the above was stored
SELECT count(*) AS labels_after_errors
  FROM pg_seclabel WHERE provider = 'retention'
   AND objoid = 'regress_grammar'::regclass;                     -- ok: 0

--
-- Valid forms: the label is stored as written, and read back resolved
--
SECURITY LABEL FOR retention ON TABLE regress_grammar
    IS 'category=grammar_rows anchor="SentAt"';                  -- ok: quoted mixed-case column
SELECT object, kind, category, anchor, action, action_source, valid, label
  FROM retention.tags WHERE table_name = 'regress_grammar'::regclass ORDER BY object COLLATE "C"; -- ok
SELECT pg_temp.try($$SECURITY LABEL FOR retention ON TABLE regress_grammar
    IS 'category=grammar_rows anchor=SentAt'$$);                 -- fails: unquoted SentAt is folded to sentat
SECURITY LABEL FOR retention ON TABLE regress_grammar
    IS 'CATEGORY=grammar_rows Anchor=SENT_AT ACTION=DELETE';     -- ok: keys, unquoted names and actions fold to lower case
SELECT object, kind, category, anchor, action, action_source, valid, label
  FROM retention.tags WHERE table_name = 'regress_grammar'::regclass ORDER BY object COLLATE "C"; -- ok
SECURITY LABEL FOR retention ON TABLE regress_grammar
    IS E'\t category=grammar_rows\n\tanchor="we""ird"\r\n';      -- ok: tabs, newlines, leading and trailing white space, doubled quote
SELECT object, kind, category, anchor, action, valid,
       replace(replace(replace(label, E'\t', '\t'), E'\n', '\n'), E'\r', '\r') AS label_escaped
  FROM retention.tags WHERE table_name = 'regress_grammar'::regclass ORDER BY object COLLATE "C"; -- ok: anchor shown as "we""ird"
SECURITY LABEL FOR retention ON TABLE regress_grammar
    IS 'anchor=account_id->public.regress_account.ended_at category=grammar_rows'; -- ok: schema-qualified FK anchor, keys in any order
SELECT object, kind, category, anchor, anchor_table, action, valid, label
  FROM retention.tags WHERE table_name = 'regress_grammar'::regclass ORDER BY object COLLATE "C"; -- ok
SECURITY LABEL FOR retention ON COLUMN regress_grammar.msisdn
    IS 'category=grammar_values anchor=account_id->"regress_account"."ended_at" action=mask keep=64'; -- ok: quoted FK anchor, keep at its maximum
SECURITY LABEL FOR retention ON COLUMN regress_grammar.amount
    IS 'category=grammar_values anchor=sent_at action=generalize bucket=1000000000000000'; -- ok: bucket at its maximum
SECURITY LABEL FOR retention ON COLUMN regress_grammar.email
    IS 'subject=Email';                                          -- ok: an unquoted subject folds to email
SECURITY LABEL FOR retention ON COLUMN regress_grammar."SentAt"
    IS 'subject=customer_id2';                                   -- ok: digits and "_" after the first letter
SELECT object, kind, category, anchor, anchor_table, action, action_source, subject, keep, bucket, valid, label
  FROM retention.tags WHERE table_name = 'regress_grammar'::regclass ORDER BY object COLLATE "C"; -- ok
SECURITY LABEL FOR retention ON COLUMN regress_grammar.msisdn
    IS 'category=grammar_values anchor=sent_at action=mask keep=0'; -- ok: keep at its minimum replaces the previous label
SELECT label FROM pg_seclabel
 WHERE provider = 'retention' AND objoid = 'regress_grammar'::regclass
 ORDER BY objsubid;                                              -- ok: pg_seclabel holds the text as written

--
-- Clean up
--
DROP TABLE regress_grammar;                                      -- ok
DROP TABLE regress_account;                                      -- ok
SELECT retention.drop_category('grammar_rows');                  -- ok
SELECT retention.drop_category('grammar_values');                -- ok
