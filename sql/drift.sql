--
-- The drift guard: DDL that would weaken a protected table is refused,
-- for superusers too, unless it comes from unprotect() or is made with
-- tenant_guard.mode = off.
--
CREATE ROLE regress_tg_owner;
CREATE TABLE orders (id int PRIMARY KEY, tenant_id int, note text);
ALTER TABLE orders OWNER TO regress_tg_owner;
SELECT tenant_guard.protect('orders');

-- Refused for the owner ...
SET ROLE regress_tg_owner;
ALTER TABLE orders DISABLE ROW LEVEL SECURITY;
\set VERBOSITY terse
ALTER TABLE orders NO FORCE ROW LEVEL SECURITY;
DROP POLICY tenant_guard_isolation ON orders;
DROP POLICY IF EXISTS tenant_guard_baseline ON orders;
ALTER POLICY tenant_guard_isolation ON orders USING (true);
ALTER POLICY tenant_guard_baseline ON orders TO regress_tg_owner;
ALTER POLICY tenant_guard_isolation ON orders RENAME TO old_isolation;
ALTER TABLE orders DROP COLUMN tenant_id;
ALTER TABLE orders DROP COLUMN tenant_id CASCADE;
ALTER TABLE orders ALTER COLUMN tenant_id TYPE bigint;
-- ... within other statements and functions ...
ALTER TABLE orders ADD COLUMN extra int, DISABLE ROW LEVEL SECURITY;
DO $$BEGIN EXECUTE 'DROP POLICY tenant_guard_isolation ON orders'; END$$;
-- ... and for superusers.
RESET ROLE;
ALTER TABLE orders DISABLE ROW LEVEL SECURITY;
DROP POLICY tenant_guard_isolation ON orders;
\set VERBOSITY default

-- ... and however the policy or the tenant column would go: as dependent
-- objects of a column renamed behind its back, of a collation, of a parent
-- table's column, or of the extension itself.
CREATE COLLATION tenant_collation (locale = 'C');
CREATE TABLE notes (id int, tenant_id text COLLATE tenant_collation, body text);
ALTER TABLE notes OWNER TO regress_tg_owner;
SELECT tenant_guard.protect('notes');
ALTER VIEW notes RENAME COLUMN tenant_id TO org;
SELECT tenant_column FROM tenant_guard.registry WHERE relation = 'notes'::regclass;
ALTER TABLE notes DROP COLUMN org CASCADE;
DROP COLLATION tenant_collation CASCADE;
CREATE TABLE events (id int, tenant_id int NOT NULL) PARTITION BY RANGE (id);
CREATE TABLE events_1 PARTITION OF events FOR VALUES FROM (1) TO (100);
SELECT tenant_guard.protect('events_1');
ALTER TABLE events DROP COLUMN tenant_id CASCADE;
DROP EXTENSION tenant_guard CASCADE;
SELECT relation, tenant_column, isolation_intact FROM tenant_guard.protected_tables
 ORDER BY relation::text;

-- Nothing changed.
SELECT rls_enabled, rls_forced, isolation_intact FROM tenant_guard.protected_tables
 WHERE relation = 'orders'::regclass;
SELECT count(*) AS extra_columns FROM pg_attribute
 WHERE attrelid = 'orders'::regclass AND attname = 'extra';

-- Changes that do not weaken the protection go through: other policies
-- (a permissive one cannot widen the restrictive tenant policy), other
-- columns, renaming the tenant column, enabling row-level security again.
SET ROLE regress_tg_owner;
CREATE POLICY everything ON orders USING (true);
DROP POLICY everything ON orders;
ALTER TABLE orders DROP COLUMN note;
ALTER TABLE orders ALTER COLUMN id TYPE bigint;
ALTER TABLE orders RENAME COLUMN tenant_id TO org_id;
ALTER TABLE orders RENAME COLUMN org_id TO tenant_id;
ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
RESET ROLE;

-- warn mode reports and proceeds.
BEGIN;
SET LOCAL tenant_guard.mode = warn;
ALTER TABLE orders NO FORCE ROW LEVEL SECURITY;
SELECT rls_forced FROM tenant_guard.protected_tables
 WHERE relation = 'orders'::regclass;
ROLLBACK;

-- off mode lets a deliberate change through silently ...
BEGIN;
SET LOCAL tenant_guard.mode = off;
DROP POLICY tenant_guard_baseline ON orders;
SELECT count(*) FROM pg_policy WHERE polrelid = 'orders'::regclass;
ROLLBACK;

-- isolation_intact() answers with the drift guard's own judgement: true
-- while the isolation policy is as protect() made it, false once it is not
-- (as protected_tables and audit() then say), NULL for a table that is not
-- protected.
SELECT tenant_guard.isolation_intact('orders') AS intact,
       tenant_guard.isolation_intact('pg_class') AS not_protected;
BEGIN;
SET LOCAL tenant_guard.mode = off;
ALTER POLICY tenant_guard_isolation ON orders USING (true);
SELECT tenant_guard.isolation_intact('orders') AS intact, isolation_intact AS in_view
  FROM tenant_guard.protected_tables WHERE relation = 'orders'::regclass;
SELECT finding FROM tenant_guard.audit() WHERE object_name = 'public.orders'
   AND severity = 'critical';
ROLLBACK;

-- ... as does unprotect(), after which the table is an ordinary one.
SET ROLE regress_tg_owner;
SELECT tenant_guard.unprotect('orders');
ALTER TABLE orders ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE orders DISABLE ROW LEVEL SECURITY, NO FORCE ROW LEVEL SECURITY;
ALTER TABLE orders DROP COLUMN tenant_id;
RESET ROLE;

DROP TABLE orders, notes, events;
DROP COLLATION tenant_collation;
DROP ROLE regress_tg_owner;
