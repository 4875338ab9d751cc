--
-- Rule 2: a tenant counts only when set in the current transaction with
-- SET LOCAL or set_config(..., true).  A session-level tenant, which a
-- pooled connection would hand to the next request, is refused, and values
-- from configuration never count.
--
SELECT current_user AS superuser \gset
CREATE ROLE regress_tg_app LOGIN;

CREATE TABLE orders (id int PRIMARY KEY, tenant_id int NOT NULL);
INSERT INTO orders VALUES (1, 1), (2, 1), (3, 2);
ALTER TABLE orders ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY orders_tenant ON orders
  USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::int);
GRANT SELECT ON orders TO regress_tg_app;

SET ROLE regress_tg_app;

-- SET without LOCAL is refused before it runs.
SET app.current_tenant = '1';
\set VERBOSITY terse
SET SESSION app.current_tenant = '1';
BEGIN;
SET app.current_tenant = '1';
ROLLBACK;
-- SET ... FROM CURRENT would turn a SET LOCAL value into a session one.
BEGIN;
SET LOCAL app.current_tenant = '1';
SET app.current_tenant FROM CURRENT;
ROLLBACK;
\set VERBOSITY default

-- set_config(..., false) does not pass through SET; it fails at the end of
-- its statement, whose transaction rolls back and takes the value with it.
SELECT set_config('app.current_tenant', '1', false);
SHOW app.current_tenant;
\set VERBOSITY terse
BEGIN;
SELECT set_config('app.current_tenant', '1', false) AS inside_a_block;
ROLLBACK;
DO $$BEGIN PERFORM set_config('app.current_tenant', '1', false); END$$;
SHOW app.current_tenant;
\set VERBOSITY default

-- An exception block that swallows the refusal does not save the value:
-- it is refused again when the block's statement ends.
BEGIN;
DO $$
DECLARE x text;
BEGIN
  x := set_config('app.current_tenant', '7', false);
  BEGIN
    PERFORM count(*) FROM pg_class;
  EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'swallowed: %', SQLERRM;
  END;
END$$;
ROLLBACK;
SHOW app.current_tenant;

-- Clearing the setting at session level is always allowed.
SET app.current_tenant = '';
RESET app.current_tenant;
SET app.current_tenant TO DEFAULT;
SELECT set_config('app.current_tenant', '', false) AS cleared;

-- SET LOCAL counts until the transaction ends, then the next transaction
-- starts with no tenant, whether it committed or rolled back.
BEGIN;
SET LOCAL app.current_tenant = '1';
SELECT count(*) FROM orders;
COMMIT;
SELECT count(*) FROM orders;
BEGIN;
SET LOCAL app.current_tenant = '1';
ROLLBACK;
\set VERBOSITY terse
SELECT count(*) FROM orders;
\set VERBOSITY default

-- set_config(..., true) is SET LOCAL.
BEGIN;
SELECT set_config('app.current_tenant', '2', true);
SELECT id FROM orders;
COMMIT;

-- Outside a transaction block SET LOCAL lasts for its own statement only.
SET LOCAL app.current_tenant = '1';
\set VERBOSITY terse
SELECT count(*) FROM orders;
\set VERBOSITY default

-- A function's SET clause fixes the value in the function's definition; it
-- is not a tenant context, unless it repeats the transaction's own tenant.
RESET ROLE;
CREATE FUNCTION count_as_tenant_1() RETURNS bigint
  LANGUAGE sql SET app.current_tenant = '1'
  AS 'SELECT count(*) FROM orders';
SET ROLE regress_tg_app;
-- (without the error's context line, which PostgreSQL 18 words differently)
\set SHOW_CONTEXT never
SELECT count_as_tenant_1();
\set SHOW_CONTEXT errors
BEGIN;
SET LOCAL app.current_tenant = '1';
SELECT count_as_tenant_1();
COMMIT;

-- A session-level value set by a role outside the rules does not count
-- once the session acts as an application role.
RESET ROLE;
SET app.current_tenant = '1';
SET ROLE regress_tg_app;
SELECT count(*) FROM orders;
-- but SET LOCAL on top of it does
BEGIN;
SET LOCAL app.current_tenant = '1';
SELECT count(*) FROM orders;
COMMIT;
RESET ROLE;
RESET app.current_tenant;

-- Values from configuration never count: tenant_guard keeps them out of
-- the setting (so RESET cannot bring them back either), and the error says
-- where they came from.
ALTER ROLE regress_tg_app SET app.current_tenant = '1';
\c - regress_tg_app
SHOW app.current_tenant;
SELECT count(*) FROM orders;
SELECT tenant, tenant_origin FROM tenant_guard.status();
-- RESET, SET LOCAL ... TO DEFAULT and set_config(name, NULL, true) restore
-- the configured value without passing through tenant_guard's check: it
-- stays empty.
BEGIN;
SET LOCAL app.current_tenant TO DEFAULT;
SELECT set_config('app.current_tenant', NULL, true) AS after_reset;
\set VERBOSITY terse
SELECT count(*) FROM orders;
\set VERBOSITY default
ROLLBACK;
-- Nor can it come back row by row in the middle of a statement.
BEGIN;
SET LOCAL app.current_tenant = '2';
SELECT v.n, s.tenant, o.id
  FROM (VALUES (1), (2)) AS v(n)
       CROSS JOIN LATERAL (SELECT set_config('app.current_tenant',
                                             CASE WHEN v.n = 1 THEN '2' END,
                                             true) AS tenant) AS s
       CROSS JOIN LATERAL (SELECT id FROM orders
                            WHERE s.tenant IS NOT DISTINCT FROM s.tenant
                           OFFSET 0) AS o;
ROLLBACK;
\c - :superuser
ALTER ROLE regress_tg_app RESET app.current_tenant;

ALTER DATABASE :"DBNAME" SET app.current_tenant = '2';
\c - regress_tg_app
SELECT count(*) FROM orders;
\c - :superuser
ALTER DATABASE :"DBNAME" RESET app.current_tenant;

\set conninfo 'dbname=' :DBNAME ' user=regress_tg_app options=-capp.current_tenant=2'
\c :conninfo
SELECT count(*) FROM orders;
-- SET LOCAL still works on top of any of them.
BEGIN;
SET LOCAL app.current_tenant = '2';
SELECT id FROM orders;
COMMIT;
\c - :superuser

-- Temporary objects outlive their transaction, and with them what they
-- hold and the names they hide (pg_temp comes first in the search path for
-- tables and types): a request of tenant 1 leaves a temporary view named
-- orders, which would copy whatever the next request on the connection
-- reads through "orders" into its temporary table.  A transaction of a role
-- inside the rules cannot commit while it leaves temporary objects in the
-- session: the error aborts it, and the abort drops them.
SET ROLE regress_tg_app;
BEGIN;
SET LOCAL app.current_tenant = '1';
CREATE TEMP TABLE loot (id int, tenant_id int);
CREATE FUNCTION pg_temp.grab(o orders) RETURNS boolean LANGUAGE sql
  AS $$INSERT INTO pg_temp.loot VALUES (o.id, o.tenant_id) RETURNING true$$;
CREATE TEMP VIEW orders AS SELECT o.* FROM public.orders o WHERE pg_temp.grab(o);
-- made after the tenant, in this transaction: usable
SELECT id FROM orders ORDER BY id;
COMMIT;
SELECT count(*) AS temporary_objects FROM pg_class
  WHERE relnamespace = pg_my_temp_schema();
-- A temporary domain is found before the built-in type of the same name,
-- so its CHECK would run in the next request's casts, while its statement
-- is parsed and bound, before anything of it could set or check a tenant
-- (a key handed to set_tenant($1::text) would be captured).  Its own
-- transaction cannot commit, whether it has a tenant or not.
-- Temporary types are refused when they are made: PL/pgSQL functions
-- compiled while one exists would keep it after the abort.
CREATE DOMAIN pg_temp.text AS pg_catalog.text;
BEGIN;
SET LOCAL app.current_tenant = '1';
CREATE DOMAIN pg_temp.text AS pg_catalog.text;
ROLLBACK;
CREATE TYPE pg_temp.orders AS (id int, tenant_id int);
CREATE TYPE pg_temp.state AS ENUM ('open');
CREATE TYPE pg_temp.span AS RANGE (subtype = int);
SELECT 'key'::text AS built_in_text;
-- nor can a temporary table kept past the transaction (ON COMMIT DELETE
-- ROWS keeps the table)
CREATE TEMP TABLE kept (id int) ON COMMIT DELETE ROWS;
-- and CREATE TEMP TABLE IF NOT EXISTS ... ON COMMIT DROP does not make the
-- commit drop a table that exists already
BEGIN;
CREATE TEMP TABLE kept (id int);
CREATE TEMP TABLE IF NOT EXISTS kept (id int) ON COMMIT DROP;
COMMIT;
-- temporary objects dropped before the commit leave nothing
BEGIN;
CREATE TEMP TABLE scratch (id int);
CREATE FUNCTION pg_temp.helper() RETURNS int LANGUAGE sql AS 'SELECT 1';
DROP TABLE scratch;
DROP FUNCTION pg_temp.helper();
COMMIT;
-- In warn mode the commit says so and goes through; the state it leaves is
-- then refused when the next transaction sets its tenant.
RESET ROLE;
SET tenant_guard.mode = warn;
SET ROLE regress_tg_app;
BEGIN;
SET LOCAL app.current_tenant = '1';
CREATE TEMP TABLE loot (id int, tenant_id int);
CREATE FUNCTION pg_temp.grab(o orders) RETURNS boolean LANGUAGE sql
  AS $$INSERT INTO pg_temp.loot VALUES (o.id, o.tenant_id) RETURNING true$$;
CREATE TEMP VIEW orders AS SELECT o.* FROM public.orders o WHERE pg_temp.grab(o);
SELECT id FROM orders ORDER BY id;
COMMIT;
RESET ROLE;
RESET tenant_guard.mode;
SET ROLE regress_tg_app;
-- the next request, of tenant 2, cannot set its tenant
BEGIN;
SET LOCAL app.current_tenant = '2';
ROLLBACK;
SELECT set_config('app.current_tenant', '2', true);
-- without a tenant the rules do not look at them (and RLS tables are
-- refused all the same); nothing was captured
SELECT id, tenant_id FROM pg_temp.loot ORDER BY id;
DISCARD TEMP;
-- A temporary table made after the tenant and dropped at commit leaves
-- nothing behind: the next transaction sets its tenant as usual.
BEGIN;
SET LOCAL app.current_tenant = '2';
CREATE TEMP TABLE staging ON COMMIT DROP AS SELECT id FROM public.orders;
SELECT id FROM staging;
-- with the sequences of its columns, and by EXPLAIN ANALYZE
CREATE TEMP TABLE numbered (n serial, m int GENERATED ALWAYS AS IDENTITY)
  ON COMMIT DROP;
DO $$BEGIN
  EXECUTE 'EXPLAIN ANALYZE CREATE TEMP TABLE explained ON COMMIT DROP AS SELECT 1';
END$$;
COMMIT;
-- The table the commit drops is the one the statement created, not one
-- that code it runs (the query of CREATE TABLE AS, a partition key's
-- function) put under its name: a view orders swapped in for it is kept.
BEGIN;
SET LOCAL app.current_tenant = '2';
CREATE FUNCTION pg_temp.swap() RETURNS int LANGUAGE plpgsql AS $f$
BEGIN
  ALTER TABLE pg_temp.orders RENAME TO orders_gone;
  CREATE TEMP VIEW orders AS SELECT 2 AS id, 2 AS tenant_id;
  RETURN 1;
END$f$;
CREATE TEMP TABLE orders ON COMMIT DROP AS SELECT pg_temp.swap() AS x;
DROP TABLE pg_temp.orders_gone;
DROP FUNCTION pg_temp.swap();
COMMIT;
BEGIN;
CREATE FUNCTION pg_temp.swap(a int) RETURNS int LANGUAGE plpgsql AS $f$
BEGIN
  IF (SELECT relkind FROM pg_class
      WHERE oid = to_regclass('pg_temp.orders')) = 'r' THEN
    ALTER TABLE pg_temp.orders RENAME TO orders_gone;
    CREATE TEMP VIEW orders AS SELECT 2 AS id, 2 AS tenant_id;
  END IF;
  RETURN a;
END$f$;
CREATE FUNCTION pg_temp.key(a int) RETURNS int LANGUAGE plpgsql IMMUTABLE
  AS $f$BEGIN RETURN pg_temp.swap(a); END$f$;
CREATE TEMP TABLE parts (a int) PARTITION BY LIST (pg_temp.key(a));
CREATE TEMP TABLE parts_default PARTITION OF parts DEFAULT;
INSERT INTO parts VALUES (99);
CREATE TEMP TABLE orders PARTITION OF parts FOR VALUES IN (1) ON COMMIT DROP;
DROP TABLE parts CASCADE;
DROP FUNCTION pg_temp.key(int), pg_temp.swap(int);
COMMIT;
SELECT count(*) AS temporary_objects FROM pg_class
  WHERE relnamespace = pg_my_temp_schema();
BEGIN;
SET LOCAL app.current_tenant = '1';
SELECT id FROM orders ORDER BY id;
COMMIT;
RESET ROLE;

-- Temporary objects of a role outside the rules were not left by a
-- request (pgTAP keeps its results in temporary tables, made by whoever
-- calls plan(), often a superuser before SET ROLE): they do not count.
CREATE TEMP TABLE superuser_notes (n int);
SET ROLE regress_tg_app;
BEGIN;
SET LOCAL app.current_tenant = '1';
SELECT id FROM orders ORDER BY id;
COMMIT;
RESET ROLE;
DISCARD TEMP;

-- A SET LOCAL made in an exception block inside a function with a SET
-- clause of the tenant becomes that clause's value when the block ends:
-- what runs after the block acts in the function's tenant context, also a
-- statement whose plan was made inside the block, and is refused.
CREATE FUNCTION count_orders() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  SELECT count(*) INTO n FROM orders;
  RETURN n;
END $$;
CREATE FUNCTION count_after_block() RETURNS bigint LANGUAGE plpgsql
SET app.current_tenant = '1' AS $$
BEGIN
  BEGIN
    PERFORM set_config('app.current_tenant', '1', true);
    RAISE NOTICE 'inside the block: % rows', count_orders();
  EXCEPTION WHEN division_by_zero THEN NULL;
  END;
  RETURN count_orders();
END $$;
SET ROLE regress_tg_app;
BEGIN;
SELECT count_after_block();
ROLLBACK;
RESET ROLE;

-- A session-level tenant that a role outside the rules assigned stays
-- refused when a role inside the rules sets the tenant above it, in a
-- savepoint.
BEGIN;
SELECT set_config('app.current_tenant', '1', false);
SET ROLE regress_tg_app;
SAVEPOINT s;
SELECT set_config('app.current_tenant', '1', true);
ROLLBACK;
RESET ROLE;
SHOW app.current_tenant;

DROP FUNCTION count_after_block(), count_orders();
DROP FUNCTION count_as_tenant_1();
DROP TABLE orders;
DROP ROLE regress_tg_app;
