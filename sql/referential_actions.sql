--
-- A foreign key's ON UPDATE or ON DELETE action changes the referencing
-- rows without row-level security, whatever their tenant.  For a session
-- inside the rules it may change only rows of the transaction's tenant:
-- its query must compare the tenant column with the tenant, and keep it.
-- spy() shows each row a trigger is given: a NOTICE naming tenant 2 while
-- the transaction is tenant 1's, or has none, is a leak.
--
-- (the action's query is in the CONTEXT lines, which versions word differently)
\set SHOW_CONTEXT never
CREATE ROLE regress_tg_owner;
CREATE ROLE regress_tg_app;
GRANT CREATE ON SCHEMA public TO regress_tg_owner;
SET ROLE regress_tg_owner;
CREATE FUNCTION spy() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE NOTICE 'trigger saw tenant % row %', OLD.tenant_id, OLD.id;
  IF TG_OP = 'UPDATE' THEN
    RETURN NEW;
  END IF;
  RETURN OLD;
END$$;
-- a global table the owner controls, and a table of tenants
CREATE TABLE items (id int PRIMARY KEY);
INSERT INTO items SELECT generate_series(1, 10);
CREATE TABLE tenants (id int PRIMARY KEY);
INSERT INTO tenants VALUES (1), (2);
GRANT SELECT, UPDATE, DELETE ON items, tenants TO regress_tg_app;
CREATE TABLE orders (id int PRIMARY KEY, tenant_id int NOT NULL
                       REFERENCES tenants ON UPDATE CASCADE ON DELETE CASCADE,
                     item_id int REFERENCES items ON UPDATE CASCADE
                                                  ON DELETE SET NULL);
SELECT tenant_guard.protect('orders');
CREATE TRIGGER spy BEFORE UPDATE OR DELETE ON orders
  FOR EACH ROW EXECUTE FUNCTION spy();
GRANT SELECT, UPDATE, DELETE ON orders TO regress_tg_app;
RESET ROLE;
INSERT INTO orders VALUES (1, 1, 1), (2, 2, 1), (3, 2, 2);

-- (a) a key without the tenant column reaches every tenant: refused with a
-- tenant or without, trigger or none
SET ROLE regress_tg_owner;
UPDATE items SET id = 100 WHERE id = 1;
BEGIN;
SET LOCAL app.current_tenant = '1';
UPDATE items SET id = 100 WHERE id = 1;
ROLLBACK;
BEGIN;
SET LOCAL app.current_tenant = '1';
DELETE FROM items WHERE id = 2;
ROLLBACK;
RESET ROLE;
SELECT id, tenant_id, item_id FROM orders ORDER BY id;

-- (b) the tenant column itself: a transaction may delete or change its own
-- tenant's rows through it, not another tenant's, and may not move its
-- rows to another tenant
SET ROLE regress_tg_app;
BEGIN;
SET LOCAL app.current_tenant = '1';
UPDATE tenants SET id = 3 WHERE id = 2;		-- 2's rows would become 3's
ROLLBACK;
BEGIN;
SET LOCAL app.current_tenant = '1';
UPDATE tenants SET id = 1001 WHERE id = 1;	-- 1's rows would become 1001's
ROLLBACK;
BEGIN;
SET LOCAL app.current_tenant = '1';
DELETE FROM tenants WHERE id = 2;
ROLLBACK;
BEGIN;
SET LOCAL app.current_tenant = '1';
DELETE FROM tenants WHERE id = 1;			-- its own rows: allowed
SELECT id, tenant_id FROM orders ORDER BY id;
ROLLBACK;
RESET ROLE;
SELECT id, tenant_id, item_id FROM orders ORDER BY id;

-- (c) a key that carries the tenant column, through two levels and into a
-- partitioned table, in the tenant's own transaction: allowed, and
-- every trigger sees the tenant's rows only; another tenant's key is not
SET ROLE regress_tg_owner;
CREATE TABLE customers (tenant_id int NOT NULL REFERENCES tenants
                          ON UPDATE CASCADE ON DELETE CASCADE,
                        id int, PRIMARY KEY (tenant_id, id));
SELECT tenant_guard.protect('customers');
CREATE TABLE visits (id int, tenant_id int NOT NULL, customer_id int,
                     FOREIGN KEY (tenant_id, customer_id)
                       REFERENCES customers ON UPDATE CASCADE ON DELETE CASCADE)
  PARTITION BY LIST (tenant_id);
CREATE TABLE visits_1 PARTITION OF visits FOR VALUES IN (1);
CREATE TABLE visits_2 PARTITION OF visits FOR VALUES IN (2);
SELECT tenant_guard.protect('visits');
CREATE TRIGGER spy AFTER UPDATE OR DELETE ON visits_1
  FOR EACH ROW EXECUTE FUNCTION spy();
CREATE TRIGGER spy AFTER UPDATE OR DELETE ON visits_2
  FOR EACH ROW EXECUTE FUNCTION spy();
GRANT SELECT, UPDATE, DELETE ON customers, visits TO regress_tg_app;
RESET ROLE;
INSERT INTO customers SELECT t, c FROM generate_series(1, 2) t, generate_series(1, 10) c;
INSERT INTO visits SELECT t * 100 + c, t, c FROM generate_series(1, 2) t, generate_series(1, 10) c;
SET ROLE regress_tg_app;
BEGIN;
SET LOCAL app.current_tenant = '1';
UPDATE customers SET id = 11 WHERE id = 1;
DELETE FROM customers WHERE id = 11;
SET LOCAL plan_cache_mode = force_generic_plan;	-- parameters, not values
UPDATE customers SET id = 12 WHERE id = 10;
SET LOCAL plan_cache_mode = auto;
-- the same statements many times: custom plans first, then generic ones
DO $$ BEGIN FOR i IN 2..9 LOOP DELETE FROM customers WHERE id = i; END LOOP; END $$;
SELECT count(*) FROM visits;
COMMIT;
BEGIN;
SET LOCAL app.current_tenant = '1';
UPDATE tenants SET id = 3 WHERE id = 2;		-- tenant 2's customers and visits
ROLLBACK;
RESET ROLE;
SELECT tenant_id, count(*) FROM visits GROUP BY tenant_id ORDER BY 1;
-- no policy's WITH CHECK applies to the action's rows: a BEFORE UPDATE
-- trigger the owner controls could move them to another tenant, so an
-- UPDATE action is refused while one is there
SET ROLE regress_tg_owner;
CREATE FUNCTION mover() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.tenant_id := 2; RETURN NEW; END$$;
CREATE TRIGGER mover BEFORE UPDATE ON visits_1
  FOR EACH ROW EXECUTE FUNCTION mover();
RESET ROLE;
SET ROLE regress_tg_app;
BEGIN;
SET LOCAL app.current_tenant = '1';
UPDATE customers SET id = 12 WHERE id = 10;
ROLLBACK;
RESET ROLE;
DROP TRIGGER mover ON visits_1;
DROP FUNCTION mover();
-- nor a BEFORE INSERT trigger of a partition the update moves rows to
SET ROLE regress_tg_owner;
CREATE TABLE stays (tenant_id int NOT NULL, id int, customer_id int,
                    FOREIGN KEY (tenant_id, customer_id)
                      REFERENCES customers ON UPDATE CASCADE)
  PARTITION BY RANGE (customer_id);
CREATE TABLE stays_low PARTITION OF stays FOR VALUES FROM (0) TO (100);
CREATE TABLE stays_high PARTITION OF stays FOR VALUES FROM (100) TO (1000);
SELECT tenant_guard.protect('stays');
CREATE FUNCTION mover() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.tenant_id := 2; RETURN NEW; END$$;
CREATE TRIGGER mover BEFORE INSERT ON stays_high
  FOR EACH ROW EXECUTE FUNCTION mover();
GRANT SELECT ON stays TO regress_tg_app;
RESET ROLE;
INSERT INTO stays VALUES (1, 1, 12);
SET ROLE regress_tg_app;
BEGIN;
SET LOCAL app.current_tenant = '1';
UPDATE customers SET id = 500 WHERE id = 12;
ROLLBACK;
RESET ROLE;
DROP TABLE stays;
DROP FUNCTION mover();
-- under a nondeterministic collation equal keys need not be equal tenants
CREATE COLLATION regress_tg_nocase (provider = icu, locale = 'und-u-ks-level2',
                                    deterministic = false);
SET ROLE regress_tg_owner;
CREATE TABLE orgs (id text COLLATE regress_tg_nocase PRIMARY KEY);
CREATE TABLE members (id int PRIMARY KEY,
                      tenant_id text COLLATE regress_tg_nocase NOT NULL
                        REFERENCES orgs ON DELETE CASCADE);
SELECT tenant_guard.protect('members');
GRANT SELECT, DELETE ON orgs, members TO regress_tg_app;
RESET ROLE;
INSERT INTO orgs VALUES ('acme');
INSERT INTO members VALUES (1, 'acme');
ALTER TABLE members DROP CONSTRAINT members_tenant_id_fkey;
INSERT INTO members VALUES (2, 'ACME');
ALTER TABLE members ADD FOREIGN KEY (tenant_id) REFERENCES orgs
  ON DELETE CASCADE NOT VALID;
SET ROLE regress_tg_app;
BEGIN;
SET LOCAL app.current_tenant = 'acme';
DELETE FROM orgs WHERE id = 'acme';			-- would delete ACME's member
ROLLBACK;
RESET ROLE;
DROP TABLE members, orgs;
DROP COLLATION regress_tg_nocase;

-- (d) a key without the tenant column between two protected tables, as
-- knex, Rails or Prisma make them: the referenced row the request changes
-- is its tenant's own, under the referenced table's policies, and so are
-- the rows that reference it: allowed
SET ROLE regress_tg_owner;
CREATE TABLE invoices (id int PRIMARY KEY, tenant_id int NOT NULL);
SELECT tenant_guard.protect('invoices');
CREATE TABLE invoice_lines (id int PRIMARY KEY, tenant_id int NOT NULL,
                            invoice_id int REFERENCES invoices
                              ON UPDATE CASCADE ON DELETE CASCADE);
SELECT tenant_guard.protect('invoice_lines');
CREATE TRIGGER spy AFTER UPDATE OR DELETE ON invoice_lines
  FOR EACH ROW EXECUTE FUNCTION spy();
GRANT SELECT, UPDATE, DELETE ON invoices, invoice_lines TO regress_tg_app;
RESET ROLE;
INSERT INTO invoices VALUES (1, 1), (2, 2);
INSERT INTO invoice_lines VALUES (10, 1, 1), (20, 2, 2);
SET ROLE regress_tg_app;
BEGIN;
SET LOCAL app.current_tenant = '1';
UPDATE invoices SET id = 3 WHERE id = 1;
DELETE FROM invoices WHERE id = 3;
DELETE FROM invoices WHERE id = 2;			-- not its row: nothing happens
COMMIT;
RESET ROLE;
SELECT id, tenant_id, invoice_id FROM invoice_lines ORDER BY id;
-- but not when a row of another tenant holds the key: made so by that
-- tenant, by the owner, or left from before the key was valid
RESET ROLE;
INSERT INTO invoices VALUES (5, 1);
ALTER TABLE invoice_lines DROP CONSTRAINT invoice_lines_invoice_id_fkey;
INSERT INTO invoice_lines VALUES (21, 2, 5);
ALTER TABLE invoice_lines ADD FOREIGN KEY (invoice_id) REFERENCES invoices
  ON UPDATE CASCADE ON DELETE CASCADE NOT VALID;
SET ROLE regress_tg_app;
BEGIN;
SET LOCAL app.current_tenant = '1';
DELETE FROM invoices WHERE id = 5;
ROLLBACK;
BEGIN;
SET LOCAL app.current_tenant = '1';
UPDATE invoices SET id = 6 WHERE id = 5;
ROLLBACK;
RESET ROLE;
-- nor when the referenced table is not protected, and its policies let a
-- request change another tenant's key
SET ROLE regress_tg_owner;
CREATE TABLE bills (id int PRIMARY KEY, tenant_id int NOT NULL);
ALTER TABLE bills ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY everyone ON bills USING (true);
CREATE TABLE bill_lines (id int PRIMARY KEY, tenant_id int NOT NULL,
                         bill_id int REFERENCES bills ON DELETE CASCADE);
SELECT tenant_guard.protect('bill_lines');
RESET ROLE;
INSERT INTO bills VALUES (1, 1), (2, 2);
INSERT INTO bill_lines VALUES (1, 1, 1), (2, 2, 2);
SET ROLE regress_tg_owner;
BEGIN;
SET LOCAL app.current_tenant = '1';
DELETE FROM bills WHERE id = 2;				-- tenant 2's lines
ROLLBACK;
RESET ROLE;

-- (e) roles outside the rules may run any action
UPDATE items SET id = 100 WHERE id = 1;
SELECT id, tenant_id, item_id FROM orders ORDER BY id;

-- (f) warn mode reports and lets it run
SET tenant_guard.mode = warn;
SET ROLE regress_tg_owner;
UPDATE items SET id = 200 WHERE id = 100;
RESET ROLE;
RESET tenant_guard.mode;

-- (g) an action on a table without row-level security is not judged, also
-- when the table was just altered (FORCE alone does not enable it) and is
-- not in tenant_guard's relation cache
SET ROLE regress_tg_owner;
CREATE TABLE plain_parent (a int PRIMARY KEY);
CREATE TABLE plain_child (a int REFERENCES plain_parent ON DELETE CASCADE
                                                      ON UPDATE CASCADE);
INSERT INTO plain_parent VALUES (10), (20);
INSERT INTO plain_child VALUES (10), (20);
ALTER TABLE plain_child FORCE ROW LEVEL SECURITY;
DELETE FROM plain_parent WHERE a = 10;
ALTER TABLE plain_child NO FORCE ROW LEVEL SECURITY;
UPDATE plain_parent SET a = 30 WHERE a = 20;
TABLE plain_child;
DROP TABLE plain_child, plain_parent;
RESET ROLE;

-- audit() lists the foreign keys whose actions reach other tenants
SELECT severity, finding, object_name, detail, fix FROM tenant_guard.audit()
 WHERE finding = 'referential_action_without_tenant' ORDER BY object_name;

DROP TABLE bill_lines, bills, invoice_lines, invoices, visits, customers, orders, items, tenants;
DROP FUNCTION spy();
REVOKE CREATE ON SCHEMA public FROM regress_tg_owner;
DROP ROLE regress_tg_owner, regress_tg_app;
