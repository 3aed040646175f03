/* pg_retention 0.1.0 -> 0.2.0 (concatenated from updates/pg_retention--0.1.0--0.2.0.d/) */
\echo Use "ALTER EXTENSION pg_retention UPDATE TO '0.2.0'" to load this file. \quit
