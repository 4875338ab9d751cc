--
-- Rule 6 at run time: a foreign key's ON UPDATE or ON DELETE action
-- changes the referencing rows of every tenant, without row-level security.
-- A row trigger that the tables' owner, a role inside the rules, wrote
-- must not fire on them; it may when the foreign key carries the tenant
-- column to a protected table, which keeps the action inside one tenant.
-- spy() shows each row it is given: a NOTICE naming tenant 2 while the
-- statement runs for nobody or for tenant 1 is a leak.
--
-- (the action's query is in the CONTEXT lines, which versions word differently)
\set SHOW_CONTEXT never
CREATE ROLE regress_tg_owner;
CREATE ROLE regress_tg_app;
GRANT CREATE ON SCHEMA public TO regress_tg_owner;
SET ROLE regress_tg_owner;
CREATE TABLE items (id int PRIMARY KEY);			-- the owner's, no tenant
INSERT INTO items SELECT generate_series(1, 10);
CREATE TABLE orders (id int PRIMARY KEY, tenant_id int NOT NULL,
                     item_id int REFERENCES items ON UPDATE CASCADE
                                                  ON DELETE CASCADE,
                     amount int);
SELECT tenant_guard.protect('orders');
CREATE FUNCTION spy() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE NOTICE 'trigger saw tenant % row %', OLD.tenant_id, OLD.id;
  IF TG_OP = 'UPDATE' THEN
    RETURN NEW;
  END IF;
  RETURN OLD;
END$$;
CREATE TRIGGER spy BEFORE UPDATE OR DELETE ON orders
  FOR EACH ROW EXECUTE FUNCTION spy();
RESET ROLE;
INSERT INTO orders VALUES (1, 1, 1, 10), (2, 2, 1, 20), (3, 2, 2, 30);

-- (a) the owner changes its own key: the cascade would reach every tenant
SET ROLE regress_tg_owner;
UPDATE items SET id = 100 WHERE id = 1;
DELETE FROM items WHERE id = 2;
BEGIN;
SET LOCAL app.current_tenant = '1';	-- a tenant does not narrow the cascade
UPDATE items SET id = 100 WHERE id = 1;
ROLLBACK;
RESET ROLE;
SELECT id, tenant_id, item_id, amount FROM orders ORDER BY id;

-- (b) the WHEN condition counts as the trigger's code
SET ROLE regress_tg_owner;
CREATE FUNCTION peek(r orders) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN RAISE NOTICE 'condition saw tenant % row %', r.tenant_id, r.id; RETURN false; END$$;
DROP TRIGGER spy ON orders;
CREATE TRIGGER peek AFTER UPDATE ON orders
  FOR EACH ROW WHEN (peek(OLD)) EXECUTE FUNCTION tsvector_update_trigger(x, 'pg_catalog.simple', item_id);
UPDATE items SET id = 100 WHERE id = 1;
DROP TRIGGER peek ON orders;
-- without an owner trigger the action runs (no code of the owner's sees
-- the rows)
UPDATE items SET id = 100 WHERE id = 1;
RESET ROLE;
SELECT id, tenant_id, item_id, amount FROM orders ORDER BY id;

-- (c) a partition's trigger counts too
SET ROLE regress_tg_owner;
CREATE TABLE events (id int, tenant_id int NOT NULL,
                     item_id int REFERENCES items ON DELETE CASCADE)
  PARTITION BY LIST (tenant_id);
CREATE TABLE events_1 PARTITION OF events FOR VALUES IN (1);
CREATE TABLE events_2 PARTITION OF events FOR VALUES IN (2);
SELECT tenant_guard.protect('events');
CREATE TRIGGER spy BEFORE DELETE ON events_2
  FOR EACH ROW EXECUTE FUNCTION spy();
RESET ROLE;
INSERT INTO events VALUES (1, 1, 3), (2, 2, 3);
SET ROLE regress_tg_owner;
DELETE FROM items WHERE id = 3;
RESET ROLE;
SELECT id, tenant_id FROM events ORDER BY id;

-- (d) a foreign key that carries the tenant column to a protected table
-- keeps the action inside the tenant whose row the request changed: allowed
SET ROLE regress_tg_owner;
CREATE TABLE customers (tenant_id int NOT NULL, id int,
                        PRIMARY KEY (tenant_id, id));
SELECT tenant_guard.protect('customers');
CREATE TABLE visits (id int PRIMARY KEY, tenant_id int NOT NULL,
                     customer_id int,
                     FOREIGN KEY (tenant_id, customer_id)
                       REFERENCES customers ON UPDATE CASCADE ON DELETE CASCADE);
SELECT tenant_guard.protect('visits');
CREATE TRIGGER spy BEFORE UPDATE OR DELETE ON visits
  FOR EACH ROW EXECUTE FUNCTION spy();
GRANT SELECT, UPDATE, DELETE ON customers, visits TO regress_tg_app;
RESET ROLE;
INSERT INTO customers VALUES (1, 7), (2, 7);
INSERT INTO visits VALUES (1, 1, 7), (2, 2, 7);
SET ROLE regress_tg_app;
BEGIN;
SET LOCAL app.current_tenant = '1';
UPDATE customers SET id = 8 WHERE id = 7;	-- the trigger sees tenant 1 only
DELETE FROM customers WHERE id = 8;
COMMIT;
RESET ROLE;
SELECT id, tenant_id, customer_id FROM visits ORDER BY id;
-- ... but not once another foreign key of the table leaves the tenant
-- column out, even for the application's own request: which key fired is
-- not known when the action's query starts
SET ROLE regress_tg_owner;
ALTER TABLE visits ADD COLUMN other int REFERENCES items ON DELETE SET NULL;
RESET ROLE;
SET ROLE regress_tg_app;
BEGIN;
SET LOCAL app.current_tenant = '2';
UPDATE customers SET id = 9 WHERE id = 7;
ROLLBACK;
RESET ROLE;

-- audit() lists the foreign keys whose actions are refused
SELECT severity, finding, object_name, detail, fix FROM tenant_guard.audit()
 WHERE finding = 'referential_action_fires_owner_trigger' ORDER BY object_name;

-- (e) a trigger function owned by a role outside the rules is the owner's
-- to choose only through the search_path, when that names a schema the
-- owner may create objects in (public here); roles outside the rules may
-- run the cascade
CREATE TRIGGER spy BEFORE UPDATE OR DELETE ON orders
  FOR EACH ROW EXECUTE FUNCTION spy();
ALTER FUNCTION spy() OWNER TO CURRENT_USER;
SET ROLE regress_tg_owner;
UPDATE items SET id = 200 WHERE id = 100;
BEGIN;
SET LOCAL search_path = pg_catalog;
UPDATE public.items SET id = 200 WHERE id = 100;
ROLLBACK;
RESET ROLE;
ALTER FUNCTION spy() SET search_path = pg_catalog;
SET ROLE regress_tg_owner;
UPDATE items SET id = 200 WHERE id = 100;
RESET ROLE;
ALTER FUNCTION spy() RESET search_path;
ALTER FUNCTION spy() OWNER TO regress_tg_owner;
UPDATE items SET id = 300 WHERE id = 200;	-- a superuser
SELECT id, tenant_id, item_id, amount FROM orders ORDER BY id;

-- (f) warn mode reports and lets it run
SET tenant_guard.mode = warn;
SET ROLE regress_tg_owner;
UPDATE items SET id = 400 WHERE id = 300;
RESET ROLE;
RESET tenant_guard.mode;

DROP FUNCTION peek(orders);
DROP TABLE visits, customers, events, orders, items;
DROP FUNCTION spy();
REVOKE CREATE ON SCHEMA public FROM regress_tg_owner;
DROP ROLE regress_tg_owner, regress_tg_app;
