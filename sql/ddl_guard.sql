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
CREATE RULE feed AS ON INSERT TO orders DO ALSO INSERT INTO loot VALUES (NEW.item);
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
SELECT finding, object_name FROM tenant_guard.audit() WHERE object_name LIKE '%orders%' ORDER BY 1, 2;
DROP TABLE orders, archive, all_orders, history, loot CASCADE;
DROP DOMAIN loud, quiet;
DROP FUNCTION leak(text);
REVOKE CREATE ON SCHEMA public FROM regress_tg_owner;
DROP ROLE regress_tg_owner, regress_tg_app;
