--
-- Rule 5: no back doors around row-level security.  A role inside the rules
-- may not reach another tenant's rows by a path that skips the policies.
--
CREATE ROLE regress_tg_owner;
CREATE ROLE regress_tg_app;
CREATE ROLE regress_tg_bypass BYPASSRLS;
CREATE ROLE regress_tg_super SUPERUSER;

CREATE TABLE orders (id int PRIMARY KEY, tenant_id int NOT NULL);
INSERT INTO orders VALUES (1, 1), (2, 1), (3, 2);
ALTER TABLE orders ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY orders_tenant ON orders
  USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::int);
ALTER TABLE orders OWNER TO regress_tg_owner;
GRANT SELECT, DELETE, TRUNCATE ON orders TO regress_tg_app;

--
-- TRUNCATE empties the table for every tenant.
--
SET ROLE regress_tg_app;
BEGIN;
SET LOCAL app.current_tenant = '1';
TRUNCATE orders;
ROLLBACK;
-- DELETE is what a tenant may do.
BEGIN;
SET LOCAL app.current_tenant = '1';
DELETE FROM orders;
ROLLBACK;
RESET ROLE;

--
-- Views read their tables as the view's owner.
--
CREATE VIEW orders_by_superuser AS SELECT * FROM orders;
ALTER VIEW orders_by_superuser OWNER TO regress_tg_super;
CREATE VIEW orders_by_bypass AS SELECT * FROM orders;
ALTER VIEW orders_by_bypass OWNER TO regress_tg_bypass;
CREATE VIEW orders_by_owner AS SELECT * FROM orders;
ALTER VIEW orders_by_owner OWNER TO regress_tg_owner;
GRANT SELECT ON orders TO regress_tg_bypass;
GRANT SELECT ON orders_by_superuser, orders_by_bypass, orders_by_owner
  TO regress_tg_app;

SET ROLE regress_tg_app;
BEGIN;
SET LOCAL app.current_tenant = '1';
SELECT id FROM orders_by_superuser;
ROLLBACK;
BEGIN;
SET LOCAL app.current_tenant = '1';
SELECT id FROM orders_by_bypass;
ROLLBACK;
-- A view owned by a role inside the rules is fine: the policies apply to
-- its owner (row-level security is forced).
BEGIN;
SET LOCAL app.current_tenant = '1';
SELECT id FROM orders_by_owner ORDER BY id;
COMMIT;
RESET ROLE;
-- The fix the hint gives.
ALTER VIEW orders_by_superuser SET (security_invoker = true);
SET ROLE regress_tg_app;
BEGIN;
SET LOCAL app.current_tenant = '1';
SELECT id FROM orders_by_superuser ORDER BY id;
COMMIT;
RESET ROLE;

--
-- SECURITY DEFINER functions run as their owner.
--
CREATE FUNCTION count_orders_definer() RETURNS bigint
  LANGUAGE sql SECURITY DEFINER SET search_path = public
  AS 'SELECT count(*) FROM orders';
ALTER FUNCTION count_orders_definer() OWNER TO regress_tg_super;
CREATE FUNCTION count_orders_owner() RETURNS bigint
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
  AS $$BEGIN RETURN (SELECT count(*) FROM orders); END$$;
ALTER FUNCTION count_orders_owner() OWNER TO regress_tg_owner;
-- a SECURITY DEFINER function that bypasses deliberately, exempted by a
-- superuser: the guard does not look inside it
CREATE FUNCTION count_all_orders() RETURNS bigint
  LANGUAGE sql SECURITY DEFINER SET search_path = public
  SET tenant_guard.mode = off
  AS 'SELECT count(*) FROM orders';

SET ROLE regress_tg_app;
BEGIN;
SET LOCAL app.current_tenant = '1';
SELECT count_orders_definer();
ROLLBACK;
BEGIN;
SET LOCAL app.current_tenant = '1';
SELECT count_orders_owner();
SELECT count_all_orders();
COMMIT;
RESET ROLE;

--
-- Partitions: naming a partition skips its parent's policies, and naming
-- a parent skips its partitions'.
--
CREATE TABLE events (id int, tenant_id int NOT NULL) PARTITION BY LIST (tenant_id);
CREATE TABLE events_1 PARTITION OF events FOR VALUES IN (1);
CREATE TABLE events_2 PARTITION OF events FOR VALUES IN (2);
INSERT INTO events VALUES (10, 1), (20, 2);
ALTER TABLE events ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY events_tenant ON events
  USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::int);
GRANT SELECT, UPDATE, TRUNCATE ON events, events_1, events_2 TO regress_tg_app;

SET ROLE regress_tg_app;
BEGIN;
SET LOCAL app.current_tenant = '1';
SELECT id FROM events;
SELECT id FROM events_2;
ROLLBACK;
BEGIN;
SET LOCAL app.current_tenant = '1';
\set VERBOSITY terse
UPDATE events_2 SET id = 21;
\set VERBOSITY default
ROLLBACK;
BEGIN;
SET LOCAL app.current_tenant = '1';
\set VERBOSITY terse
TRUNCATE events_2;
\set VERBOSITY default
ROLLBACK;
RESET ROLE;
-- Protecting the partition itself closes the hole.
ALTER TABLE events_2 ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY events_2_tenant ON events_2
  USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::int);
SET ROLE regress_tg_app;
BEGIN;
SET LOCAL app.current_tenant = '1';
SELECT id FROM events_2;
COMMIT;
RESET ROLE;

-- The other way round: partitions with row-level security under a parent
-- without it.
CREATE TABLE notes (id int, tenant_id int NOT NULL) PARTITION BY LIST (tenant_id);
CREATE TABLE notes_1 PARTITION OF notes FOR VALUES IN (1);
INSERT INTO notes VALUES (1, 1);
ALTER TABLE notes_1 ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY notes_1_tenant ON notes_1
  USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::int);
GRANT SELECT, TRUNCATE ON notes, notes_1 TO regress_tg_app;
SET ROLE regress_tg_app;
BEGIN;
SET LOCAL app.current_tenant = '2';
SELECT id FROM notes;
ROLLBACK;
BEGIN;
SET LOCAL app.current_tenant = '2';
SELECT id FROM notes_1;
COMMIT;
BEGIN;
SET LOCAL app.current_tenant = '2';
\set VERBOSITY terse
TRUNCATE notes;
\set VERBOSITY default
ROLLBACK;
RESET ROLE;

--
-- Inheritance children (INHERITS): the same holes as partitions, both
-- ways, including a child that joins its parent later.
--
CREATE TABLE accounts (id int, tenant_id int NOT NULL);
ALTER TABLE accounts ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY accounts_tenant ON accounts
  USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::int);
CREATE TABLE accounts_old () INHERITS (accounts);
CREATE TABLE accounts_new (id int, tenant_id int NOT NULL);
INSERT INTO accounts_old VALUES (1, 1), (2, 2);
INSERT INTO accounts_new VALUES (3, 1), (4, 2);
GRANT SELECT, TRUNCATE ON accounts, accounts_old, accounts_new TO regress_tg_app;
SET ROLE regress_tg_app;
-- accounts_new is nobody's child yet: an ordinary table.
BEGIN;
SET LOCAL app.current_tenant = '1';
SELECT id FROM accounts_new ORDER BY id;
COMMIT;
RESET ROLE;
ALTER TABLE accounts_new INHERIT accounts;
SET ROLE regress_tg_app;
BEGIN;
SET LOCAL app.current_tenant = '1';
SELECT id FROM accounts ORDER BY id;
SELECT id FROM accounts_old;
ROLLBACK;
BEGIN;
SET LOCAL app.current_tenant = '1';
\set VERBOSITY terse
SELECT id FROM accounts_new;
ROLLBACK;
BEGIN;
SET LOCAL app.current_tenant = '1';
TRUNCATE accounts_old;
\set VERBOSITY default
ROLLBACK;
RESET ROLE;
-- A child with row-level security under a parent without it.
CREATE TABLE ledger (id int, tenant_id int NOT NULL);
CREATE TABLE ledger_2026 () INHERITS (ledger);
INSERT INTO ledger_2026 VALUES (1, 1), (2, 2);
ALTER TABLE ledger_2026 ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY ledger_2026_tenant ON ledger_2026
  USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::int);
GRANT SELECT ON ledger, ledger_2026 TO regress_tg_app;
SET ROLE regress_tg_app;
BEGIN;
SET LOCAL app.current_tenant = '1';
SELECT id FROM ledger_2026;
SELECT id FROM ledger;
ROLLBACK;
RESET ROLE;
DROP TABLE accounts, ledger CASCADE;

--
-- A holdable cursor keeps its rows after the transaction and its tenant
-- are gone.
--
CREATE TABLE colours (name text);
GRANT SELECT ON colours TO regress_tg_app;
SET ROLE regress_tg_app;
BEGIN;
SET LOCAL app.current_tenant = '1';
DECLARE held CURSOR WITH HOLD FOR SELECT id FROM orders;
ROLLBACK;
BEGIN;
DECLARE held CURSOR WITH HOLD FOR SELECT name FROM colours;
COMMIT;
CLOSE held;
RESET ROLE;

--
-- A FOR loop in a procedure that commits keeps its cursor past COMMIT, as
-- WITH HOLD does.
--
CREATE PROCEDURE walk_orders() LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
  PERFORM set_config('app.current_tenant', '1', true);
  FOR r IN SELECT id FROM orders LOOP
    COMMIT;
    RAISE NOTICE 'order %, tenant "%"', r.id, current_setting('app.current_tenant');
  END LOOP;
END$$;
SET ROLE regress_tg_app;
CALL walk_orders();
RESET ROLE;
DROP PROCEDURE walk_orders();

--
-- Foreign keys are checked as usual: PostgreSQL runs the check as the
-- referenced table's owner with row-level security off, here a superuser.
-- (That the check sees other tenants' keys is for tenant_guard.audit().)
--
ALTER TABLE orders OWNER TO regress_tg_super;
CREATE TABLE order_lines (order_id int REFERENCES orders, tenant_id int NOT NULL);
ALTER TABLE order_lines ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY order_lines_tenant ON order_lines
  USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::int);
GRANT SELECT, INSERT ON order_lines TO regress_tg_app;
SET ROLE regress_tg_app;
BEGIN;
SET LOCAL app.current_tenant = '1';
INSERT INTO order_lines VALUES (1, 1);
SAVEPOINT s;
INSERT INTO order_lines VALUES (99, 1);
ROLLBACK TO s;
SELECT order_id FROM order_lines;
ROLLBACK;
RESET ROLE;

--
-- But a trigger fired by a referential action (ON DELETE CASCADE) runs as
-- the table owner, and PostgreSQL does not apply FORCE ROW LEVEL SECURITY
-- there: reading a row-level security table in it is refused.
--
-- (The key carries the tenant column: a referential action may change only
-- rows of the transaction's tenant.)
CREATE TABLE customers (id int, tenant_id int NOT NULL,
                        PRIMARY KEY (tenant_id, id));
CREATE TABLE visits (id int PRIMARY KEY, tenant_id int NOT NULL,
                     customer_id int,
                     FOREIGN KEY (tenant_id, customer_id) REFERENCES customers
                       ON DELETE CASCADE);
INSERT INTO customers VALUES (10, 1), (20, 2);
INSERT INTO visits VALUES (100, 1, 10), (200, 2, 20);
CREATE TABLE secrets (tenant_id int NOT NULL, secret text);
INSERT INTO secrets VALUES (1, 'one'), (2, 'two');
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['customers', 'visits', 'secrets'] LOOP
    EXECUTE format('ALTER TABLE %I OWNER TO regress_tg_owner', t);
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY tenant ON %I USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::int)$p$, t);
    EXECUTE format('GRANT SELECT, DELETE ON %I TO regress_tg_app', t);
  END LOOP;
END$$;
CREATE FUNCTION visit_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE NOTICE 'secrets seen: %', (SELECT string_agg(secret, ',' ORDER BY secret) FROM secrets);
  RETURN OLD;
END$$;
CREATE TRIGGER visit_gone BEFORE DELETE ON visits
  FOR EACH ROW EXECUTE FUNCTION visit_gone();
SET ROLE regress_tg_app;
BEGIN;
SET LOCAL app.current_tenant = '1';
DELETE FROM visits WHERE id = 100;		-- the trigger runs as the caller
ROLLBACK;
BEGIN;
SET LOCAL app.current_tenant = '1';
-- (without the error's context lines, which PostgreSQL 18 words
-- differently: the error's message says where it happened)
\set SHOW_CONTEXT never
DELETE FROM customers WHERE id = 10;	-- the trigger runs in the cascade
\set SHOW_CONTEXT errors
ROLLBACK;
RESET ROLE;
DROP TABLE visits, customers, secrets;
DROP FUNCTION visit_gone();

--
-- A foreign table cannot have row-level security: as a partition of a
-- table that has it, it is reachable only through its parent.
--
CREATE EXTENSION file_fdw;
CREATE SERVER files FOREIGN DATA WRAPPER file_fdw;
CREATE FOREIGN TABLE events_3 PARTITION OF events FOR VALUES IN (3)
  SERVER files OPTIONS (filename '/dev/null', format 'csv');
GRANT SELECT ON events_3 TO regress_tg_app;
SET ROLE regress_tg_app;
BEGIN;
SET LOCAL app.current_tenant = '3';
SELECT id FROM events;
\set VERBOSITY terse
SELECT id FROM events_3;
\set VERBOSITY default
ROLLBACK;
RESET ROLE;
DROP FOREIGN TABLE events_3;
DROP EXTENSION file_fdw CASCADE;

DROP TABLE order_lines, orders, events, notes, colours CASCADE;
DROP FUNCTION count_orders_definer(), count_orders_owner(), count_all_orders();
DROP ROLE regress_tg_owner, regress_tg_app, regress_tg_bypass, regress_tg_super;
