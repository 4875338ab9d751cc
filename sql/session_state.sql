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
-- set_config() too, and from inside the statement itself: the check runs
-- inside the hijacked statement, before it reads a row
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
-- that copies what it reads into a temporary table
BEGIN;
SET LOCAL app.current_tenant = '1';
CREATE TEMP TABLE loot (item text);
CREATE FUNCTION pg_temp.grab(t text) RETURNS boolean LANGUAGE sql
  AS $$INSERT INTO pg_temp.loot VALUES (t) RETURNING true$$;
CREATE TEMP VIEW orders AS SELECT o.* FROM public.orders o WHERE pg_temp.grab(o.item);
COMMIT;
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
SET search_path = ss_writable, public;
BEGIN;
SET LOCAL app.current_tenant = '2';
ROLLBACK;
SELECT auth.enter_tenant('key-2');
-- later in the path as well: a function there can be a better match than
-- the one the next request means
SET search_path = public, ss_writable;
SELECT set_config('app.current_tenant', '2', true);
-- set in the transaction itself, with SET LOCAL or SET: its own choice
RESET search_path;
BEGIN;
SET LOCAL search_path = ss_writable, public;
SET LOCAL app.current_tenant = '2';
SELECT id, item FROM orders;
COMMIT;
BEGIN;
SET search_path = ss_writable, public;
SET LOCAL app.current_tenant = '2';
COMMIT;
-- ... but it stays for the next transaction, which is refused
SELECT set_config('app.current_tenant', '2', true);
RESET search_path;
DROP VIEW ss_writable.orders;
-- The schema's owner can create objects there even after revoking the
-- privilege from itself: it can grant it back at any time.
REVOKE CREATE ON SCHEMA ss_writable FROM regress_ss_app;
SET search_path = ss_writable, public;
SELECT set_config('app.current_tenant', '2', true);
RESET search_path;
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
SELECT set_config('app.current_tenant', '2', true);
\c - :superuser
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
DROP SCHEMA auth CASCADE;
DROP SCHEMA ss_writable, ss_readonly;
DROP ROLE regress_ss_app;
