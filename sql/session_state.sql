--
-- Rule 2, the session state an earlier request leaves: after any request,
-- the next request on the same server connection runs exactly the SQL its
-- own client sent and sees only its own tenant's rows.  A transaction
-- cannot set its tenant while the session holds temporary objects (see
-- transaction_scope), statements made with SQL PREPARE in an earlier
-- transaction, or a session-level search_path from an earlier transaction
-- that names a schema the role can create objects in.  This holds whatever
-- sets the tenant, a function exempted with SET tenant_guard.mode = off
-- included; and such a function cannot help a session-level tenant survive.
--
SELECT current_user AS superuser \gset
CREATE ROLE regress_ss_app LOGIN;
CREATE SCHEMA ss_writable AUTHORIZATION regress_ss_app;
CREATE SCHEMA ss_readonly;
GRANT USAGE ON SCHEMA ss_readonly TO regress_ss_app;

CREATE TABLE orders (id int PRIMARY KEY, tenant_id int NOT NULL, item text NOT NULL);
INSERT INTO orders VALUES (1, 1, 'one'), (2, 2, 'two');
ALTER TABLE orders ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY orders_tenant ON orders
  USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::int);
GRANT SELECT, UPDATE ON orders TO regress_ss_app;

-- The README's pattern: a superuser's SECURITY DEFINER function, exempted
-- from the guard, sets the tenant from an API key.
CREATE SCHEMA auth;
CREATE TABLE auth.keys (key text PRIMARY KEY, tenant_id int NOT NULL);
INSERT INTO auth.keys VALUES ('key-1', 1), ('key-2', 2);
CREATE FUNCTION auth.enter_tenant(k text) RETURNS text
  LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog
  AS $$SELECT set_config('app.current_tenant', tenant_id::text, true)
         FROM auth.keys WHERE key = k$$;
ALTER FUNCTION auth.enter_tenant(text) SET tenant_guard.mode = off;
GRANT USAGE ON SCHEMA auth TO regress_ss_app;

SET ROLE regress_ss_app;

--
-- Prepared statements.  A pool or driver keeps protocol-level named
-- statements on a shared connection; a request that replaces one with SQL
-- PREPARE would run its SQL in the next client's transaction.
--
PREPARE hijacked AS UPDATE orders SET item = 'stolen';
BEGIN;
SET LOCAL app.current_tenant = '2';
ROLLBACK;
-- A statement made with SQL PREPARE in an earlier transaction that would
-- set the tenant itself does not even run (see below).
PREPARE setter(text) AS SELECT set_config('app.current_tenant', $1, true);
EXECUTE setter('2');
DEALLOCATE hijacked;
EXECUTE setter('2');
-- DEALLOCATE (or DISCARD ALL, DEALLOCATE ALL) clears the session
DEALLOCATE setter;
BEGIN;
SET LOCAL app.current_tenant = '2';
SELECT id, item FROM orders;
COMMIT;
-- A statement prepared with SQL in the transaction that sets the tenant is
-- its own; it must be gone before the next transaction sets one.
BEGIN;
SET LOCAL app.current_tenant = '1';
PREPARE mine AS SELECT id, item FROM orders;
EXECUTE mine;
COMMIT;
SELECT set_config('app.current_tenant', '1', true);
DEALLOCATE ALL;
SELECT set_config('app.current_tenant', '1', true);
-- Prepared statements survive ROLLBACK, and PREPARE can run as dynamic SQL.
BEGIN;
DO $$BEGIN EXECUTE 'PREPARE from_do AS SELECT 1'; END$$;
ROLLBACK;
SELECT name, from_sql FROM pg_prepared_statements;
SELECT set_config('app.current_tenant', '1', true);
DISCARD ALL;
SET ROLE regress_ss_app;
SELECT set_config('app.current_tenant', '1', true);
-- A function exempted from the guard that sets the tenant is held to the
-- same rule.
PREPARE hijacked AS UPDATE orders SET item = 'stolen';
SELECT auth.enter_tenant('key-2');
DEALLOCATE hijacked;
SELECT auth.enter_tenant('key-2');
-- and so are temporary objects: a request leaves a temporary view orders
-- that copies what it reads into a temporary table.  In enforce mode the
-- request that makes them cannot commit (see transaction_scope); what a
-- request left in warn mode is refused when the tenant is set.
RESET ROLE;
SET tenant_guard.mode = warn;
SET ROLE regress_ss_app;
BEGIN;
SET LOCAL app.current_tenant = '1';
CREATE TEMP TABLE loot (item text);
CREATE FUNCTION pg_temp.grab(t text) RETURNS boolean LANGUAGE sql
  AS $$INSERT INTO pg_temp.loot VALUES (t) RETURNING true$$;
CREATE TEMP VIEW orders AS SELECT o.* FROM public.orders o WHERE pg_temp.grab(o.item);
COMMIT;
RESET ROLE;
RESET tenant_guard.mode;
SET ROLE regress_ss_app;
BEGIN;
SELECT auth.enter_tenant('key-2');
SELECT id, item FROM orders;
ROLLBACK;
SELECT item FROM pg_temp.loot;
DISCARD TEMP;
RESET ROLE;
-- Statements a role outside the rules prepared (pgTAP's set-up, say) were
-- not left by a request.
PREPARE superuser_statement AS SELECT 1;
SET ROLE regress_ss_app;
SELECT set_config('app.current_tenant', '1', true);
RESET ROLE;
DEALLOCATE superuser_statement;
SET ROLE regress_ss_app;

--
-- search_path.  A session-level search_path naming a schema the role can
-- create objects in puts whatever it creates there in front of the next
-- request's tables and functions.
--
CREATE VIEW ss_writable.orders AS SELECT * FROM public.orders;
-- A transaction of a role inside the rules cannot commit while it leaves
-- such a search_path to the session: the error aborts it, and the abort
-- undoes the setting.
SET search_path = ss_writable, public;
SHOW search_path;
SELECT set_config('search_path', 'ss_writable, public', false);
-- later in the path as well: a function there can be a better match than
-- the one the next request means
SET search_path = public, ss_writable;
-- set in the transaction itself with SET LOCAL: its own choice
BEGIN;
SET LOCAL search_path = ss_writable, public;
SET LOCAL app.current_tenant = '2';
SELECT id, item FROM orders;
COMMIT;
-- set with SET, it would stay for the next transaction: the commit fails
BEGIN;
SET search_path = ss_writable, public;
SET LOCAL app.current_tenant = '2';
SELECT id, item FROM orders;
COMMIT;
SHOW search_path;
-- a SET LOCAL after it does not change what stays; a RESET does
BEGIN;
SET search_path = ss_writable, public;
SET LOCAL search_path = public;
COMMIT;
BEGIN;
SET search_path = ss_writable, public;
RESET search_path;
COMMIT;
-- In warn mode the commit says so and goes through; the search_path it
-- leaves is refused when the next transaction sets its tenant, whatever
-- sets it.
RESET ROLE;
SET tenant_guard.mode = warn;
SET ROLE regress_ss_app;
SET search_path = ss_writable, public;
RESET ROLE;
RESET tenant_guard.mode;
SET ROLE regress_ss_app;
BEGIN;
SET LOCAL app.current_tenant = '2';
ROLLBACK;
SELECT auth.enter_tenant('key-2');
RESET search_path;
DROP VIEW ss_writable.orders;
-- The schema's owner can create objects there even after revoking the
-- privilege from itself: it can grant it back at any time.
REVOKE CREATE ON SCHEMA ss_writable FROM regress_ss_app;
SET search_path = ss_writable, public;
GRANT CREATE ON SCHEMA ss_writable TO regress_ss_app;
-- Schemas the role cannot create objects in are fine, and so is an empty
-- search_path (what pg_dump's scripts set).
SET search_path = ss_readonly, public;
SELECT set_config('app.current_tenant', '2', true);
SELECT set_config('search_path', '', false);
SELECT pg_catalog.set_config('app.current_tenant', '2', true);
SET search_path = pg_catalog, public, pg_temp;
SELECT set_config('app.current_tenant', '2', true);
RESET search_path;
-- A schema that does not exist counts when the role can create schemas.
-- It could not when the search_path was set, so its commit went through;
-- the tenant is refused once the role can.
SET search_path = ss_not_yet, public;
SELECT set_config('app.current_tenant', '2', true);
RESET ROLE;
GRANT CREATE ON DATABASE :"DBNAME" TO regress_ss_app;
SET ROLE regress_ss_app;
SELECT set_config('app.current_tenant', '2', true);
RESET ROLE;
REVOKE CREATE ON DATABASE :"DBNAME" FROM regress_ss_app;
SET ROLE regress_ss_app;
RESET search_path;
-- Where the role can create objects in a schema of the configured
-- search_path, a session-level search_path that exposes no more than the
-- configured one (the same schema, followed by the same ones or fewer) is
-- not refused; one that puts it in front of another schema is.
RESET ROLE;
GRANT CREATE ON SCHEMA public TO regress_ss_app;
\c - regress_ss_app
SHOW search_path;
SET search_path = public;
SELECT set_config('app.current_tenant', '2', true);
SET search_path = public, ss_readonly;
SHOW search_path;
-- nor one that leaves out a schema the configured one puts before it,
-- whose tables and functions the writable schema would then take the place
-- of (pg_catalog aside, which is searched first when not named)
\c - :superuser
ALTER ROLE regress_ss_app SET search_path = ss_readonly, pg_catalog, public;
\c - regress_ss_app
SET search_path = public;
SET search_path = public, ss_readonly;
SET search_path = ss_readonly, public;
SHOW search_path;
\c - :superuser
ALTER ROLE regress_ss_app RESET search_path;
REVOKE CREATE ON SCHEMA public FROM regress_ss_app;

--
-- A session-level tenant cannot survive COMMIT by being assigned next to a
-- call of an exempted function, whose inner statement would otherwise
-- clear the pending check.
--
SET ROLE regress_ss_app;
SELECT set_config('app.current_tenant', '2', false) || auth.enter_tenant('key-2');
SHOW app.current_tenant;
BEGIN;
SELECT set_config('app.current_tenant', '2', false) || auth.enter_tenant('key-2');
ROLLBACK;
SHOW app.current_tenant;
SELECT count(*) FROM orders;
-- the function alone works
BEGIN;
SELECT auth.enter_tenant('key-1');
SELECT id, item FROM orders;
COMMIT;
RESET ROLE;

--
-- A statement that SQL PREPARE made in an earlier transaction, while a role
-- inside the rules was the session's role, does not run at all: refused
-- before any of it runs, whether it sets a tenant or not.  Otherwise the
-- hijacked statement runs before the check at tenant assignment, and can
-- erase its traces (DEALLOCATE itself, drop its function) and then set the
-- victim's tenant; or capture the victim's parameters (an API key) into
-- session state that survives the abort, such as advisory locks.
--
-- (The attack's temporary function is left in warn mode: in enforce mode
-- its transaction could not commit.)
SET tenant_guard.mode = warn;
SET ROLE regress_ss_app;
BEGIN;
SET LOCAL app.current_tenant = '1';
CREATE FUNCTION pg_temp.evil(t text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
  r text;
BEGIN
  EXECUTE 'DEALLOCATE "PGBOUNCER_1"';
  EXECUTE 'DROP FUNCTION pg_temp.evil(text)';
  PERFORM set_config('app.current_tenant', t, true);
  SELECT string_agg(item, ',') INTO r FROM public.orders;
  PERFORM set_config('x.leak', r, false);
  RETURN t;
END $f$;
PREPARE "PGBOUNCER_1"(text) AS SELECT pg_temp.evil($1);
COMMIT;
RESET ROLE;
RESET tenant_guard.mode;
SET ROLE regress_ss_app;
BEGIN;
EXECUTE "PGBOUNCER_1"('2');
ROLLBACK;
SELECT coalesce(current_setting('x.leak', true), '') AS leak,
  (SELECT count(*) FROM pg_prepared_statements WHERE name = 'PGBOUNCER_1') AS still_there;
-- one that never sets a tenant: EXECUTE, EXPLAIN EXECUTE (planning a
-- custom plan evaluates immutable functions with the parameters), CREATE
-- TABLE AS EXECUTE, and EXECUTE as dynamic SQL
PREPARE capture(text) AS SELECT count(pg_advisory_lock(i, ascii(substr($1, i, 1))))
  FROM generate_series(1, length($1)) i;
EXECUTE capture('key-2');
EXPLAIN (COSTS OFF) EXECUTE capture('key-2');
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE capture('key-2');
CREATE TEMP TABLE captured AS EXECUTE capture('key-2');
DO $$BEGIN EXECUTE 'EXECUTE capture(''key-2'')'; END$$;
SELECT count(*) AS advisory_locks FROM pg_locks
  WHERE locktype = 'advisory' AND pid = pg_backend_pid();
-- nor for a role outside the rules, which would run it with more rights
RESET ROLE;
EXECUTE capture('key-2');
-- The transaction that prepared a statement may run it (pgTAP's tests
-- PREPARE and EXECUTE in one transaction).
SET ROLE regress_ss_app;
BEGIN;
PREPARE own(int) AS SELECT $1 AS own;
EXECUTE own(1);
EXPLAIN (COSTS OFF) EXECUTE own(1);
CREATE TEMP TABLE owned ON COMMIT DROP AS EXECUTE own(2);
COMMIT;
EXECUTE own(3);
-- A parameter whose conversion runs code the role can write or change (a
-- domain's CHECK, a composite type's attributes) would run at Bind, before
-- any check of the statement: refused when the statement is made.
RESET ROLE;
SET tenant_guard.mode = warn;
SET ROLE regress_ss_app;
CREATE DOMAIN pg_temp.key_capture AS text
  CHECK (set_config('x.leak', VALUE, false) IS NOT NULL);
RESET ROLE;
RESET tenant_guard.mode;
SET ROLE regress_ss_app;
PREPARE by_domain(pg_temp.key_capture) AS SELECT $1;
PREPARE by_array(pg_temp.key_capture[]) AS SELECT $1;
CREATE TABLE ss_writable.keyrow (k text);
PREPARE by_row(ss_writable.keyrow) AS SELECT $1;
SELECT name FROM pg_prepared_statements ORDER BY name;
DROP TABLE ss_writable.keyrow;
-- built-in types and a superuser's domain are fine
RESET ROLE;
CREATE DOMAIN ss_readonly.positive AS int CHECK (VALUE > 0);
GRANT USAGE ON TYPE ss_readonly.positive TO regress_ss_app;
SET ROLE regress_ss_app;
BEGIN;
PREPARE by_su_domain(ss_readonly.positive, int[], text) AS SELECT $1 + $2[1];
EXECUTE by_su_domain(1, '{2}', 'x');
COMMIT;
-- a statement of a role outside the rules runs in later transactions
RESET ROLE;
PREPARE superuser_statement AS SELECT 'superuser' AS prepared_by;
SET ROLE regress_ss_app;
EXECUTE superuser_statement;
DISCARD ALL;
SET ROLE regress_ss_app;

--
-- ALTER ROLE/DATABASE ... SET or RESET make the settings of later
-- sessions, which serve other tenants' requests: an earlier request would
-- choose the search_path (a view ss_writable.orders) of the next.  Refused
-- to roles inside the rules, whatever the setting.
--
ALTER ROLE regress_ss_app SET search_path = ss_writable, public;
ALTER ROLE CURRENT_USER SET work_mem = '64MB';
ALTER ROLE regress_ss_app IN DATABASE :"DBNAME" SET search_path = ss_writable;
ALTER ROLE regress_ss_app RESET ALL;
DO $$BEGIN
  ALTER ROLE regress_ss_app SET search_path = ss_writable;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'refused';
END$$;
RESET ROLE;
ALTER DATABASE :"DBNAME" OWNER TO regress_ss_app;
SET ROLE regress_ss_app;
ALTER DATABASE :"DBNAME" SET search_path = ss_writable, public;
RESET ROLE;
ALTER DATABASE :"DBNAME" OWNER TO :"superuser";
SELECT count(*) AS role_settings FROM pg_db_role_setting s
  JOIN pg_roles r ON r.oid = s.setrole WHERE r.rolname = 'regress_ss_app';
SELECT count(*) AS database_search_path FROM pg_db_role_setting s
  JOIN pg_database d ON d.oid = s.setdatabase, unnest(s.setconfig) c
  WHERE d.datname = current_database() AND c LIKE 'search_path=%';
-- a role outside the rules may (a tenant there still gets the warning)
ALTER ROLE regress_ss_app SET work_mem = '64MB';
ALTER ROLE regress_ss_app RESET work_mem;
-- PostgreSQL's own refusal comes first
SET ROLE regress_ss_app;
-- (the wording of PostgreSQL's refusal changed in 16: say only whose it is)
SET regress.superuser = :'superuser';
DO $$
BEGIN
  EXECUTE format('ALTER ROLE %I SET work_mem = %L',
                 current_setting('regress.superuser'), '64MB');
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'refused by %',
    CASE WHEN SQLERRM LIKE '% cannot change the settings of %'
         THEN 'tenant_guard' ELSE 'PostgreSQL' END;
END$$;
ALTER SYSTEM SET work_mem = '64MB';
RESET ROLE;

--
-- Only a guard that is really off for the session skips the check: a
-- superuser who turned it off, or warn mode, which reports it.
--
SET tenant_guard.mode = warn;
SET ROLE regress_ss_app;
PREPARE hijacked AS SELECT 1;
BEGIN;
SET LOCAL app.current_tenant = '1';
SELECT id, item FROM orders;
COMMIT;
RESET ROLE;
SET tenant_guard.mode = off;
SET ROLE regress_ss_app;
SELECT set_config('app.current_tenant', '1', true);
RESET ROLE;
RESET tenant_guard.mode;
DEALLOCATE ALL;

DROP TABLE orders;
DROP DOMAIN ss_readonly.positive;
DROP SCHEMA auth CASCADE;
DROP SCHEMA ss_writable, ss_readonly;
DROP ROLE regress_ss_app;
