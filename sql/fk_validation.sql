--
-- Foreign keys added or validated by the tables' owner, a role inside the
-- rules: PostgreSQL validates them row by row with the foreign key's own
-- checks, which see every tenant's rows, with or without a tenant.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS tenant_guard;
RESET client_min_messages;
CREATE ROLE regress_tg_owner;
CREATE ROLE regress_tg_app;
GRANT CREATE ON SCHEMA public TO regress_tg_owner;
SET ROLE regress_tg_owner;
CREATE TABLE orders (id int PRIMARY KEY, tenant_id int NOT NULL);
CREATE TABLE payments (id int PRIMARY KEY, order_id int, tenant_id int NOT NULL);
CREATE TABLE items (id int, order_id int, tenant_id int NOT NULL)
  PARTITION BY LIST (tenant_id);
CREATE TABLE items_1 PARTITION OF items FOR VALUES IN (1);
CREATE TABLE items_2 PARTITION OF items FOR VALUES IN (2);
GRANT SELECT, INSERT, UPDATE, DELETE ON orders, payments, items TO regress_tg_app;
RESET ROLE;
SET client_min_messages = warning;
SELECT tenant_guard.protect('orders'), tenant_guard.protect('payments'),
       tenant_guard.protect('items');
RESET client_min_messages;
-- rows of two tenants; payment 20 (tenant 2) references no order
INSERT INTO orders VALUES (1, 1), (2, 2);
INSERT INTO payments VALUES (10, 1, 1), (20, 99, 2), (30, NULL, 2);
INSERT INTO items VALUES (1, 1, 1), (2, 2, 2), (3, 77, 2);

SET ROLE regress_tg_owner;
-- Without a tenant: validated, and the broken row found.
ALTER TABLE payments ADD FOREIGN KEY (order_id) REFERENCES orders (id);
-- With a tenant: still every tenant's rows, not only tenant 1's.
BEGIN;
SET LOCAL app.current_tenant = '1';
ALTER TABLE payments ADD FOREIGN KEY (order_id) REFERENCES orders (id);
ROLLBACK;
-- NOT VALID, then VALIDATE CONSTRAINT.
ALTER TABLE payments ADD CONSTRAINT payments_order_fk
  FOREIGN KEY (order_id) REFERENCES orders (id) NOT VALID;
ALTER TABLE payments VALIDATE CONSTRAINT payments_order_fk;
-- A partitioned referencing table.
ALTER TABLE items ADD FOREIGN KEY (order_id) REFERENCES orders (id);
RESET ROLE;
DELETE FROM payments WHERE id = 20;
DELETE FROM items WHERE id = 3;
SET ROLE regress_tg_owner;
ALTER TABLE payments VALIDATE CONSTRAINT payments_order_fk;
ALTER TABLE payments DROP CONSTRAINT payments_order_fk;
ALTER TABLE payments ADD FOREIGN KEY (order_id) REFERENCES orders (id);
ALTER TABLE items ADD FOREIGN KEY (order_id) REFERENCES orders (id);
SELECT conname, convalidated FROM pg_constraint
 WHERE contype = 'f' AND conrelid IN ('payments'::regclass, 'items'::regclass)
 ORDER BY 1;
-- The keys work for the application as before.
SET ROLE regress_tg_app;
BEGIN;
SET LOCAL app.current_tenant = '1';
INSERT INTO payments (id, order_id) VALUES (11, 1);
SAVEPOINT s;
INSERT INTO payments (id, order_id) VALUES (12, 2);
ROLLBACK TO s;
ROLLBACK;
RESET ROLE;

--
-- Imitations of the validation query are checked like any statement: as
-- the owner and as the application, without a tenant, from a request, SQL
-- and PL/pgSQL functions, DO, a cursor.
--
\set VERBOSITY terse
CREATE FUNCTION fk_probe_sql() RETURNS SETOF int LANGUAGE sql AS $$
  SELECT fk."order_id" FROM ONLY "public"."payments" fk
    LEFT OUTER JOIN ONLY "public"."orders" pk ON (pk."id" OPERATOR(pg_catalog.=) fk."order_id")
   WHERE pk."id" IS NULL AND (fk."order_id" IS NOT NULL)
$$;
CREATE FUNCTION fk_probe_plpgsql() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE 'SELECT count(*) FROM ONLY public.payments fk LEFT OUTER JOIN ONLY public.orders pk ON pk.id = fk.order_id WHERE pk.id IS NULL' INTO n;
  RETURN n;
END $$;
SET ROLE regress_tg_owner;
SELECT fk."order_id" FROM ONLY "public"."payments" fk
  LEFT OUTER JOIN ONLY "public"."orders" pk ON (pk."id" OPERATOR(pg_catalog.=) fk."order_id")
 WHERE pk."id" IS NULL AND (fk."order_id" IS NOT NULL);
SELECT * FROM fk_probe_sql();
SELECT fk_probe_plpgsql();
DO $$ BEGIN PERFORM * FROM ONLY payments fk LEFT JOIN ONLY orders pk ON pk.id = fk.order_id; END $$;
BEGIN;
DECLARE c CURSOR FOR SELECT fk.order_id FROM ONLY payments fk
  LEFT JOIN ONLY orders pk ON pk.id = fk.order_id WHERE pk.id IS NULL;
ROLLBACK;
SET ROLE regress_tg_app;
SELECT * FROM fk_probe_sql();
SELECT fk_probe_plpgsql();
RESET ROLE;

--
-- A trigger that a referential action fires during the owner's statement
-- still may not read a table with row-level security, with the shape of
-- the validation query or any other.
--
-- (The key carries the tenant column: a referential action may change only
-- rows of the transaction's tenant.)
SET ROLE regress_tg_owner;
ALTER TABLE orders ADD UNIQUE (tenant_id, id);
CREATE TABLE notes (id int PRIMARY KEY, tenant_id int NOT NULL, order_id int,
                    FOREIGN KEY (tenant_id, order_id)
                      REFERENCES orders (tenant_id, id) ON DELETE CASCADE);
CREATE FUNCTION notes_probe() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM count(*) FROM ONLY payments fk LEFT JOIN ONLY orders pk ON pk.id = fk.order_id;
  RETURN OLD;
END $$;
CREATE TRIGGER notes_probe BEFORE DELETE ON notes
  FOR EACH ROW EXECUTE FUNCTION notes_probe();
RESET ROLE;
SET client_min_messages = warning;
SELECT tenant_guard.protect('notes');
RESET client_min_messages;
INSERT INTO orders VALUES (3, 1);
INSERT INTO notes VALUES (1, 1, 3);
SET ROLE regress_tg_owner;
BEGIN;
SET LOCAL app.current_tenant = '1';
DELETE FROM orders WHERE id = 3;
ROLLBACK;
RESET ROLE;
\set VERBOSITY default

SET client_min_messages = warning;
SELECT tenant_guard.unprotect('notes'), tenant_guard.unprotect('payments'),
       tenant_guard.unprotect('items'), tenant_guard.unprotect('orders');
RESET client_min_messages;
DROP TABLE notes, payments, items, orders;
DROP FUNCTION fk_probe_sql(), fk_probe_plpgsql(), notes_probe();
REVOKE CREATE ON SCHEMA public FROM regress_tg_owner;
DROP ROLE regress_tg_owner, regress_tg_app;
