\echo Use "CREATE EXTENSION pg_retention_tap" to load this file. \quit

-- pg_retention_tap: pgTAP assertions over pg_retention's policy, for users'
-- own CI suites.  Concatenated from src/tap/*.sql in name order.
