/* pg_retention_tap 0.1.0 -> 0.2.0 (concatenated from updates/pg_retention_tap--0.1.0--0.2.0.d/) */
\echo Use "ALTER EXTENSION pg_retention_tap UPDATE TO '0.2.0'" to load this file. \quit
