--
-- Rule 4: FORCE or nothing.  The owner of a table whose row-level security
-- is enabled but not forced bypasses every policy, so such a table is
-- refused to everyone inside the rules, and DDL may not leave a table in
-- that state at commit.
--
CREATE ROLE regress_tg_owner;
CREATE ROLE regress_tg_app;
GRANT CREATE ON SCHEMA public TO regress_tg_owner;

CREATE TABLE orders (id int PRIMARY KEY, tenant_id int NOT NULL);
INSERT INTO orders VALUES (1, 1), (2, 2);
ALTER TABLE orders OWNER TO regress_tg_owner;
-- a superuser is not refused, so this leaves the table unforced
ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY orders_tenant ON orders
  USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::int);
GRANT SELECT ON orders TO regress_tg_app;

-- Refused to the owner, who would see every row ...
SET ROLE regress_tg_owner;
BEGIN;
SET LOCAL app.current_tenant = '1';
SELECT id FROM orders;
ROLLBACK;
-- ... and to every other role inside the rules.
SET ROLE regress_tg_app;
BEGIN;
SET LOCAL app.current_tenant = '1';
\set VERBOSITY terse
SELECT id FROM orders;
\set VERBOSITY default
ROLLBACK;
-- COPY by the owner copies without a plan; it is refused too.
SET ROLE regress_tg_owner;
BEGIN;
SET LOCAL app.current_tenant = '1';
\set VERBOSITY terse
COPY orders TO STDOUT;
\set VERBOSITY default
ROLLBACK;

-- Once forced, the owner is bound by the policies like everyone else.
ALTER TABLE orders FORCE ROW LEVEL SECURITY;
BEGIN;
SET LOCAL app.current_tenant = '1';
SELECT id FROM orders;
COMMIT;

-- DDL by a role inside the rules may not leave RLS enabled but not forced.
CREATE TABLE items (id int, tenant_id int);
ALTER TABLE items ENABLE ROW LEVEL SECURITY;
SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = 'items'::regclass;
-- both in one statement, or both in one transaction, are fine
ALTER TABLE items ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE items DISABLE ROW LEVEL SECURITY, NO FORCE ROW LEVEL SECURITY;
BEGIN;
ALTER TABLE items ENABLE ROW LEVEL SECURITY;
ALTER TABLE items FORCE ROW LEVEL SECURITY;
COMMIT;
SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = 'items'::regclass;
-- NO FORCE alone, directly or from a function, fails at commit
ALTER TABLE items NO FORCE ROW LEVEL SECURITY;
\set VERBOSITY terse
DO $$BEGIN EXECUTE 'ALTER TABLE items NO FORCE ROW LEVEL SECURITY'; END$$;
\set VERBOSITY default
-- a savepoint that undoes the NO FORCE leaves nothing to complain about
BEGIN;
SAVEPOINT s;
ALTER TABLE items NO FORCE ROW LEVEL SECURITY;
ROLLBACK TO s;
COMMIT;
-- disabling row-level security altogether is not this rule's business
ALTER TABLE items DISABLE ROW LEVEL SECURITY;
ALTER TABLE items NO FORCE ROW LEVEL SECURITY;
SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = 'items'::regclass;

-- Superusers are not refused.
RESET ROLE;
ALTER TABLE items ENABLE ROW LEVEL SECURITY;
SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = 'items'::regclass;

DROP TABLE orders, items;
REVOKE CREATE ON SCHEMA public FROM regress_tg_owner;
DROP ROLE regress_tg_owner, regress_tg_app;
