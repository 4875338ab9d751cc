--
-- Built-in functions that read a table's rows outside a query, without
-- row-level security.  currtid2(relname, tid), kept for the ODBC driver,
-- follows a row's chain of updates by its physical address, whichever
-- tenant the row belongs to: refused to roles inside the rules, however it
-- is called.  (query_to_xml() and table_to_xml() run queries, to which
-- row-level security and the guard apply as to any other.)
--
CREATE ROLE regress_tg_tid_app;
CREATE TABLE tid_orders (id int, tenant_id int NOT NULL, item text);
INSERT INTO tid_orders VALUES (1, 2, 'SECRET-2');
UPDATE tid_orders SET item = 'SECRET-2 updated';
ALTER TABLE tid_orders ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY tid_orders_tenant ON tid_orders
  USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::int);
GRANT SELECT ON tid_orders TO regress_tg_tid_app;

SET ROLE regress_tg_tid_app;
BEGIN;
SET LOCAL app.current_tenant = '1';
SELECT currtid2('tid_orders', '(0,1)');
ROLLBACK;
SELECT currtid2('tid_orders', '(0,1)');
-- In PL/pgSQL, in a CHECK constraint of a temporary table.
DO $$BEGIN RAISE NOTICE '%', currtid2('tid_orders', '(0,1)'); END$$;
BEGIN;
CREATE TEMP TABLE tid_probe (t tid CHECK (currtid2('tid_orders', t) <> t));
INSERT INTO tid_probe VALUES ('(0,1)');
ROLLBACK;
-- Queries run by query_to_xml() and table_to_xml() are guarded as usual.
SELECT table_to_xml('tid_orders', false, false, '');
SELECT query_to_xml('SELECT item FROM tid_orders', false, false, '');
BEGIN;
SET LOCAL app.current_tenant = '1';
SELECT table_to_xml('tid_orders', false, false, '');
ROLLBACK;
RESET ROLE;

-- Roles outside the rules may call it.
SELECT currtid2('tid_orders', '(0,1)');

DROP TABLE tid_orders;
DROP ROLE regress_tg_tid_app;
