-- The SQL helpers retention.tag_table / tag_column / untag: the label they
-- write (their return value), what retention.tags then shows, and their
-- own argument checks.
\set VERBOSITY default
\set SHOW_CONTEXT never
-- try(sql): 'ok' or the error (test/sql/try.sql, shared by the pg_regress files)
\set ECHO none
\i test/sql/try.sql
\set ECHO all

SELECT name FROM retention.define_category('sales_leads', '6 months', starts => 'end_of_month',
                                           time_zone => 'Europe/Zagreb');        -- ok
SELECT name FROM retention.define_category('lead_contact', '12 months', action => 'nullify'); -- ok
CREATE TABLE regress_account (
    id       integer PRIMARY KEY,
    ended_at date
);                                                               -- ok
CREATE TABLE regress_lead (
    id            integer PRIMARY KEY,
    contacted_at  timestamptz,
    "LastContact" timestamptz,
    email         text,
    "Phone"       text,
    "E-Mail"      text,
    amount        integer,
    note          text,
    account_id    integer REFERENCES regress_account
);                                                               -- ok
CREATE TABLE "Regress Lead Archive" (
    id        integer,
    "SentAt"  timestamptz,
    "Sent At" timestamptz,
    "Phone"   text
);                                                               -- ok: a table whose name needs quoting

--
-- tag_table
--
SELECT retention.tag_table('regress_lead', 'sales_leads', 'contacted_at');       -- ok: returns the label
SELECT object, kind, category, period, starts, time_zone, anchor, anchor_table, action, action_source, valid, label
  FROM retention.tags WHERE table_name = 'regress_lead'::regclass; -- ok: action from the category
SELECT retention.tag_table('regress_lead', 'sales_leads', 'contacted_at', 'delete'); -- ok: explicit action replaces the tag
SELECT object, action, action_source, label
  FROM retention.tags WHERE table_name = 'regress_lead'::regclass; -- ok: action from the tag
SELECT retention.tag_table(table_name => 'regress_lead', category => 'sales_leads',
                           anchor => 'account_id->regress_account.ended_at'); -- ok: FK anchor, named arguments
SELECT object, kind, anchor, anchor_table, valid, label
  FROM retention.tags WHERE table_name = 'regress_lead'::regclass; -- ok: anchor_table is regress_account
SELECT retention.tag_table('regress_lead', 'sales_leads', '"LastContact"');      -- ok: a mixed-case anchor is written quoted
SELECT pg_temp.try($$SELECT retention.tag_table('regress_lead', 'sales_leads', 'LastContact')$$); -- fails: unquoted, it folds to lastcontact
SELECT retention.tag_table('"Regress Lead Archive"', 'sales_leads', '"Sent At"'); -- ok: white space inside a quoted name
SELECT pg_temp.try($$SELECT retention.tag_table('"Regress Lead Archive"', 'sales_leads', 'Sent At')$$); -- fails: unquoted, the space would split the label
SELECT retention.tag_table('"Regress Lead Archive"', 'sales_leads', '"SentAt"'); -- ok: the table name is quoted by regclass
SELECT object, kind, anchor, valid, label
  FROM retention.tags WHERE table_name IN ('regress_lead'::regclass, '"Regress Lead Archive"'::regclass)
 ORDER BY object COLLATE "C";                                    -- ok
SELECT pg_temp.try($$SELECT retention.tag_table('regress_lead', 'no_such_category', 'contacted_at')$$); -- fails: category missing (checked by the label provider)
SELECT pg_temp.try($$SELECT retention.tag_table('regress_lead', 'lead_contact', 'contacted_at')$$);     -- fails: a nullify category on a table
SELECT pg_temp.try($$SELECT retention.tag_table('regress_lead', 'sales_leads', 'note')$$);              -- fails: text anchor
SELECT pg_temp.try($$SELECT retention.tag_table('regress_lead', 'sales_leads', 'contacted_at', 'hash')$$); -- fails: hash on a table
SELECT pg_temp.try($$SELECT retention.tag_table('regress_lead', NULL, 'contacted_at')$$);               -- fails: no category
SELECT pg_temp.try($$SELECT retention.tag_table('regress_lead', 'sales_leads', NULL)$$);                -- fails: no anchor
SELECT pg_temp.try($$SELECT retention.tag_table('regress_no_such_table', 'sales_leads', 'contacted_at')$$); -- fails: no such table
SELECT label FROM retention.tags WHERE table_name = 'regress_lead'::regclass; -- ok: still the "LastContact" label

--
-- tag_column
--
SELECT retention.tag_column('regress_lead', 'email', 'lead_contact', 'contacted_at');            -- ok: action from the category
SELECT retention.tag_column('regress_lead', 'note', 'lead_contact', 'contacted_at', 'hash');     -- ok: explicit action
SELECT retention.tag_column('regress_lead', 'Phone', 'lead_contact', 'contacted_at', 'mask', keep => 2); -- ok: mixed-case column, keep
SELECT retention.tag_column('regress_lead', 'amount', 'lead_contact', '"LastContact"', 'generalize', bucket => 100); -- ok: bucket
SELECT retention.tag_column('regress_lead', 'E-Mail', subject => 'email');                       -- ok: subject only, column name needing quotes
SELECT retention.tag_column('regress_lead', 'id', subject => 'customer_id');                     -- ok
SELECT retention.tag_column('regress_lead', 'contacted_at', 'lead_contact',
                            'account_id->public.regress_account.ended_at', 'generalize');        -- ok: FK anchor
SELECT retention.tag_column('"Regress Lead Archive"', 'Phone', 'lead_contact', '"SentAt"', subject => 'phone'); -- ok: category and subject together
SELECT object, kind, category, period, anchor, anchor_table, action, action_source, subject, keep, bucket, valid
  FROM retention.tags WHERE table_name IN ('regress_lead'::regclass, '"Regress Lead Archive"'::regclass)
 ORDER BY object COLLATE "C";                                    -- ok
SELECT object, label
  FROM retention.tags WHERE table_name IN ('regress_lead'::regclass, '"Regress Lead Archive"'::regclass)
 ORDER BY object COLLATE "C";                                    -- ok: the labels the helpers returned
SELECT pg_temp.try($$SELECT retention.tag_column('regress_lead', 'no_such_column', 'lead_contact', 'contacted_at')$$); -- fails: no such column
SELECT pg_temp.try($$SELECT retention.tag_column('regress_lead', 'phone', 'lead_contact', 'contacted_at')$$);         -- fails: the column is "Phone"
SELECT pg_temp.try($$SELECT retention.tag_column('regress_lead', 'email')$$);                                         -- fails: nothing to write
SELECT pg_temp.try($$SELECT retention.tag_column('regress_lead', 'email', 'sales_leads', 'contacted_at')$$);          -- fails: a delete category on a column
SELECT pg_temp.try($$SELECT retention.tag_column('regress_lead', 'amount', 'lead_contact', 'contacted_at', 'hash')$$); -- fails: hash on integer
SELECT pg_temp.try($$SELECT retention.tag_column('regress_lead', 'note', 'lead_contact', 'contacted_at', 'mask', keep => -1)$$); -- fails: negative keep
SELECT pg_temp.try($$SELECT retention.tag_column('regress_lead', 'amount', 'lead_contact', 'contacted_at', 'generalize', bucket => 0)$$); -- fails: bucket 0
SELECT pg_temp.try($$SELECT retention.tag_column('regress_lead', 'email', subject => 'E-mail')$$);                    -- fails: not a subject kind

--
-- Values with white space would split into several key=value pairs: refused
-- before any label is written
--
SELECT pg_temp.try($$SELECT retention.tag_column('regress_lead', 'email', 'lead_contact', 'contacted_at action=hash')$$);   -- fails: anchor with a space
SELECT pg_temp.try($$SELECT retention.tag_column('regress_lead', 'email', 'lead_contact', E'contacted_at\taction=hash')$$); -- fails: anchor with a tab
SELECT pg_temp.try($$SELECT retention.tag_column('regress_lead', 'email', 'lead_contact', E'contacted_at\naction=hash')$$); -- fails: anchor with a newline
SELECT pg_temp.try($$SELECT retention.tag_column('regress_lead', 'email', 'lead_contact', 'contacted_at', 'hash keep=2')$$); -- fails: action with a space
SELECT pg_temp.try($$SELECT retention.tag_column('regress_lead', 'email', subject => 'email category=x')$$);               -- fails: subject with a space
SELECT pg_temp.try($$SELECT retention.tag_column('regress_lead', 'email', 'lead contact', 'contacted_at')$$);              -- fails: the category is quoted, so one (unknown) name
SELECT pg_temp.try($$SELECT retention.tag_column('regress_lead', 'email', 'lead_contact', '')$$);                          -- fails: empty anchor
SELECT pg_temp.try($$SELECT retention.tag_table('regress_lead', 'sales_leads', 'contacted_at subject=email')$$);           -- fails: anchor with a space
SELECT pg_temp.try($$SELECT retention.tag_table('regress_lead', 'sales_leads', 'contacted_at', 'delete ')$$);              -- fails: trailing space in action
SELECT object, label FROM retention.tags
 WHERE table_name = 'regress_lead'::regclass AND column_name IN ('email', 'note') OR
       (table_name = 'regress_lead'::regclass AND column_name IS NULL)
 ORDER BY object COLLATE "C";                                    -- ok: unchanged by the refused calls

--
-- the 0.2.0 keys: condition (when=), period, variant, blocked, suppress,
-- partitions, latest() anchors
--
CREATE TABLE regress_visit (lead_id integer REFERENCES regress_lead, visited_at timestamptz,
                            country text, keep_for interval);  -- ok
SELECT retention.tag_table('regress_lead', 'sales_leads', 'latest(regress_visit.visited_at via lead_id)',
                           condition => $$note = 'closed'$$, blocked => 'expected', suppress => false); -- ok: spaces inside latest(), quotes doubled in when=
SELECT object, valid, label, condition
  FROM retention.tags WHERE table_name = 'regress_lead'::regclass AND kind = 'table'; -- ok: the provider accepted it
SELECT retention.tag_table('regress_visit', 'sales_leads', 'visited_at', period => 'keep_for', variant => 'country'); -- ok
CREATE TABLE regress_pvisit (visited_at timestamptz) PARTITION BY RANGE (visited_at); -- ok
SELECT retention.tag_table('regress_pvisit', 'sales_leads', 'visited_at', partitions => 'detach'); -- ok
SELECT retention.tag_column('regress_visit', 'country', 'lead_contact', 'visited_at',
                            condition => 'keep_for IS NULL', period => 'keep_for'); -- ok
SELECT object, valid, label
  FROM retention.tags WHERE table_name = 'regress_visit'::regclass ORDER BY object COLLATE "C"; -- ok
SELECT pg_temp.try($$SELECT retention.tag_table('regress_lead', 'sales_leads', 'latest (regress_visit.visited_at)')$$); -- fails: white space outside latest(...)
SELECT pg_temp.try($$SELECT retention.tag_table('regress_lead', 'sales_leads', 'contacted_at', period => 'keep for')$$); -- fails: two words
SELECT pg_temp.try($$SELECT retention.tag_table('regress_lead', 'sales_leads', 'contacted_at', condition => 'note = ')$$); -- fails: the provider parses the condition
SELECT pg_temp.try($$SELECT retention.tag_table('regress_lead', 'sales_leads', 'contacted_at', condition => $c$x' anchor=id$c$)$$); -- fails: a quote cannot end the value
SELECT retention.untag('regress_visit'), retention.untag('regress_visit', 'country'); -- ok: t, t
SELECT retention.tag_table('regress_lead', 'sales_leads', '"LastContact"'); -- ok: the tag as before this section
DROP TABLE regress_visit, regress_pvisit;                        -- ok

--
-- untag
--
SELECT retention.untag('regress_lead', 'email');                 -- ok: t
SELECT retention.untag('regress_lead', 'email');                 -- ok: f, no tag any more
SELECT retention.untag('regress_lead', 'Phone');                 -- ok: t, mixed-case column
SELECT retention.untag('regress_lead', 'E-Mail');                -- ok: t
SELECT retention.untag('regress_lead');                          -- ok: t, the table tag
SELECT retention.untag('regress_lead');                          -- ok: f
SELECT retention.untag('regress_lead', NULL);                    -- ok: f, NULL column is the table
SELECT retention.untag(table_name => '"Regress Lead Archive"', column_name => 'Phone'); -- ok: t
SELECT pg_temp.try($$SELECT retention.untag('regress_lead', 'no_such_column')$$);  -- fails: no such column
SELECT pg_temp.try($$SELECT retention.untag('regress_lead', 'phone')$$);           -- fails: the column is "Phone"
SELECT pg_temp.try($$SELECT retention.untag('regress_lead', 'xmin')$$);            -- fails: system column
SELECT object, label
  FROM retention.tags WHERE table_name IN ('regress_lead'::regclass, '"Regress Lead Archive"'::regclass)
 ORDER BY object COLLATE "C";                                    -- ok: what is left
SELECT retention.untag('regress_lead', c) AS had_tag, c
  FROM unnest(ARRAY['id', 'note', 'amount', 'contacted_at', 'LastContact']::name[]) c; -- ok: t, t, t, t, f
SELECT retention.untag('"Regress Lead Archive"');                -- ok: t
SELECT count(*) AS tags_left FROM retention.tags;                -- ok: 0

--
-- Clean up
--
DROP TABLE regress_lead, regress_account, "Regress Lead Archive"; -- ok
SELECT retention.drop_category('sales_leads');                   -- ok
SELECT retention.drop_category('lead_contact');                  -- ok
