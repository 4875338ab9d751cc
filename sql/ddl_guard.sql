--
-- DDL on tables with row-level security: a protected table may not become
-- the child of a parent that does not enforce its tenant isolation (drift
-- guard), and a role inside the rules may not make DDL run its own code
-- over every tenant's rows (rule 6).  The attacker is the table owner, a
-- role inside the rules who runs migrations.
--
CREATE ROLE regress_tg_owner;
CREATE ROLE regress_tg_app;
GRANT CREATE ON SCHEMA public TO regress_tg_owner;
SET ROLE regress_tg_owner;
CREATE TABLE orders (id int PRIMARY KEY, tenant_id int NOT NULL, item text,
                     amount int);
SELECT tenant_guard.protect('orders');
GRANT SELECT, INSERT, UPDATE, DELETE ON orders TO regress_tg_app;
RESET ROLE;
INSERT INTO orders VALUES (1, 1, 'apple', 10), (2, 2, 'pear', 20);
SET ROLE regress_tg_owner;

-- A parent whose policy lets everything through.
CREATE TABLE archive (id int, tenant_id int NOT NULL, item text, amount int);
ALTER TABLE archive ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY open ON archive USING (true);
GRANT SELECT, UPDATE ON archive TO regress_tg_app;
ALTER TABLE orders INHERIT archive;
-- ... nor a partitioned one, by ATTACH PARTITION
CREATE TABLE all_orders (id int, tenant_id int NOT NULL, item text, amount int)
  PARTITION BY RANGE (id);
ALTER TABLE all_orders ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY open ON all_orders USING (true);
ALTER TABLE all_orders ATTACH PARTITION orders FOR VALUES FROM (0) TO (1000);
-- A parent that enforces the tenant is fine: protected ...
SELECT tenant_guard.protect('archive');
ALTER TABLE orders INHERIT archive;
-- ... and stays so: weakening it later fails at commit
BEGIN;
DROP POLICY open ON archive;
CREATE POLICY open ON archive USING (true);
COMMIT;
BEGIN;
ALTER TABLE archive NO FORCE ROW LEVEL SECURITY;
ROLLBACK;
RESET ROLE;
BEGIN;
SET LOCAL tenant_guard.mode = off;
ALTER POLICY tenant_guard_isolation ON archive USING (true);
SET LOCAL tenant_guard.mode = enforce;
COMMIT;
BEGIN;
-- a superuser too, unless the guard is off
ALTER POLICY tenant_guard_isolation ON archive USING (true);
ROLLBACK;
SET ROLE regress_tg_owner;
ALTER TABLE orders NO INHERIT archive;
-- a hand-made parent whose policies enforce the tenant passes as well
CREATE TABLE history (id int, tenant_id int NOT NULL, item text, amount int);
ALTER TABLE history ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON history
  USING (tenant_id = current_setting('app.current_tenant')::int);
ALTER TABLE orders INHERIT history;
-- until a permissive policy widens it
BEGIN;
CREATE POLICY wide ON history USING (true);
COMMIT;
-- which is checked before a statement reads a table with row-level
-- security, not only at commit
BEGIN;
SET LOCAL app.current_tenant = '1';
CREATE POLICY wide ON history USING (true);
SELECT count(*) FROM history;
ROLLBACK;
BEGIN;
SET LOCAL app.current_tenant = '1';
DROP POLICY tenant ON history;
CREATE POLICY tenant ON history
  USING (tenant_id = current_setting('app.current_tenant')::int);
SELECT count(*) FROM history;		-- dropped and made again: passes
ROLLBACK;
ALTER TABLE orders NO INHERIT history;
-- protected_tables shows the state, and unprotect() or the guard turned
-- off by a superuser is the way to do it deliberately
RESET ROLE;
BEGIN;
SET LOCAL tenant_guard.mode = off;
ALTER TABLE orders INHERIT archive;
ROLLBACK;
BEGIN;
SET LOCAL tenant_guard.mode = off;
CREATE TABLE loose (id int, tenant_id int NOT NULL, item text, amount int);
ALTER TABLE orders INHERIT loose;
SELECT relation, isolation_intact FROM tenant_guard.protected_tables
 WHERE relation = 'orders'::regclass;
SELECT finding, object_name FROM tenant_guard.audit()
 WHERE finding LIKE 'parent%';
ROLLBACK;
BEGIN;
SET LOCAL tenant_guard.mode = off;
CREATE POLICY wide ON history USING (true);
ALTER TABLE orders INHERIT history;
SELECT relation, isolation_intact FROM tenant_guard.protected_tables
 WHERE relation = 'orders'::regclass;
SELECT finding, object_name, detail FROM tenant_guard.audit()
 WHERE finding LIKE 'parent%';
ROLLBACK;

-- audit(): the privileges of login roles inside the rules that pooled
-- connection attacks use.
CREATE ROLE regress_tg_login LOGIN;
GRANT SELECT ON orders TO regress_tg_login;
CREATE SCHEMA regress_tg_login;
ALTER SCHEMA regress_tg_login OWNER TO regress_tg_login;
SELECT severity, finding, object_name, fix FROM tenant_guard.audit()
 WHERE finding = 'login_role_can_create_in_search_path';
ALTER ROLE regress_tg_login SET search_path = public;
SELECT severity, finding, object_name FROM tenant_guard.audit()
 WHERE object_type = 'role';
DO $$BEGIN EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database()); END$$;
SELECT severity, finding, object_name FROM tenant_guard.audit()
 WHERE object_type = 'role';
DO $$BEGIN EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO PUBLIC', current_database()); END$$;
DROP SCHEMA regress_tg_login;
REVOKE SELECT ON orders FROM regress_tg_login;
DROP ROLE regress_tg_login;

-- Rule 6: the owner's code over every tenant's rows.
SET ROLE regress_tg_owner;
CREATE TABLE loot (v text);
CREATE FUNCTION grab(r orders) RETURNS boolean LANGUAGE plpgsql VOLATILE
  AS $$BEGIN INSERT INTO loot VALUES (r::text); RETURN true; END$$;
CREATE FUNCTION leak(v text) RETURNS text LANGUAGE plpgsql IMMUTABLE
  AS $$BEGIN RAISE NOTICE 'row %', v; RETURN v; END$$;
ALTER TABLE orders ADD CONSTRAINT c CHECK (grab(orders));
ALTER TABLE orders ADD CONSTRAINT c CHECK (leak(item) IS NOT NULL) NOT VALID;
CREATE INDEX orders_leak ON orders (leak(item));
CREATE INDEX orders_leak ON orders (id) WHERE leak(item) IS NOT NULL;
ALTER TABLE orders ADD COLUMN copy text GENERATED ALWAYS AS (leak(item)) STORED;
ALTER TABLE orders ALTER COLUMN amount TYPE bigint
  USING (CASE WHEN tenant_id = 2 THEN 0 ELSE amount END);
ALTER TABLE orders ALTER COLUMN item TYPE text USING (leak(item));
CREATE DOMAIN loud AS text CHECK (leak(VALUE) IS NOT NULL);
ALTER TABLE orders ALTER COLUMN item TYPE loud;
CREATE DOMAIN quiet AS text;
ALTER TABLE orders ALTER COLUMN item TYPE quiet;
ALTER DOMAIN quiet ADD CONSTRAINT loud CHECK (leak(VALUE) IS NOT NULL);
-- volatile built-in functions carry values elsewhere too
ALTER TABLE orders ADD CONSTRAINT c CHECK (pg_notify('loot', item) IS NULL);
ALTER TABLE orders ALTER COLUMN item TYPE text
  USING (set_config('loot.item', item, false));
CREATE POLICY spy ON orders USING (set_config('loot.item', item, false) <> '');
CREATE RULE feed AS ON INSERT TO orders DO ALSO INSERT INTO loot VALUES (NEW.item);
CREATE STATISTICS orders_stats ON (leak(item)) FROM orders;
-- a policy that hands the row's columns to the owner's function sees every
-- tenant's rows whenever anyone queries (the planner orders conditions by
-- cost); one that only reads the tenant is fine
CREATE POLICY spy ON orders USING (leak(item) IS NOT NULL);
CREATE POLICY spy ON orders USING (true);
ALTER POLICY spy ON orders USING (leak(item) IS NOT NULL);
DROP POLICY spy ON orders;
CREATE FUNCTION current_tenant_id() RETURNS int LANGUAGE sql STABLE
  AS $$SELECT nullif(current_setting('app.current_tenant', true), '')::int$$;
CREATE POLICY mine ON orders USING (tenant_id = current_tenant_id());
DROP POLICY mine ON orders;
SELECT * FROM loot;
-- ordinary migrations go through: built-in code, plain columns
ALTER TABLE orders ADD COLUMN note text DEFAULT 'none';
ALTER TABLE orders ADD CONSTRAINT positive CHECK (amount >= 0 AND length(item) < 100);
CREATE INDEX orders_item ON orders (lower(item)) WHERE amount > 0;
ALTER TABLE orders ALTER COLUMN amount TYPE bigint USING (amount * 100);
ALTER TABLE orders ALTER COLUMN note TYPE varchar(20);
ALTER TABLE orders ADD COLUMN total bigint GENERATED ALWAYS AS (amount * 2) STORED;
CREATE TRIGGER t BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger();
-- tables without row-level security are no concern of the guard
CREATE INDEX ON loot (leak(v));
-- a superuser may
RESET ROLE;
CREATE INDEX orders_leak ON orders (leak(item));
CREATE STATISTICS orders_stats ON (leak(item)) FROM orders;
-- but then the owner may neither change the function nor make PostgreSQL
-- run it again over every row
SET ROLE regress_tg_owner;
CREATE OR REPLACE FUNCTION leak(v text) RETURNS text LANGUAGE plpgsql IMMUTABLE
  AS $$BEGIN INSERT INTO loot VALUES (v); RETURN v; END$$;
REINDEX TABLE orders;
REINDEX INDEX orders_leak;
ANALYZE orders;
VACUUM (FULL) orders;
CLUSTER orders USING orders_pkey;
ALTER TABLE orders ALTER COLUMN amount TYPE numeric;
VACUUM orders;
RESET ROLE;
-- built-in code of the superuser's is no concern: a table without owner code
SET ROLE regress_tg_owner;
ANALYZE archive;
REINDEX TABLE archive;
RESET ROLE;
SELECT finding, object_name FROM tenant_guard.audit() WHERE object_name LIKE '%orders%' ORDER BY 1, 2;
DROP TABLE orders, archive, all_orders, history, loot CASCADE;
DROP DOMAIN loud, quiet;
DROP FUNCTION leak(text), current_tenant_id();
REVOKE CREATE ON SCHEMA public FROM regress_tg_owner;
DROP ROLE regress_tg_owner, regress_tg_app;
