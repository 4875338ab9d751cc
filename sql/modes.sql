--
-- tenant_guard.mode: warn reports each violation as a WARNING and lets the
-- statement run (for rolling the guard out on a live system); off does
-- nothing.
--
CREATE ROLE regress_tg_app;
CREATE TABLE orders (id int PRIMARY KEY, tenant_id int NOT NULL);
INSERT INTO orders VALUES (1, 1), (2, 2);
ALTER TABLE orders ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY orders_tenant ON orders
  USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::int);
CREATE TABLE unforced (id int, tenant_id int);
INSERT INTO unforced VALUES (1, 1);
ALTER TABLE unforced ENABLE ROW LEVEL SECURITY;
CREATE POLICY unforced_tenant ON unforced
  USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::int);
GRANT SELECT, TRUNCATE ON orders, unforced TO regress_tg_app;

SET tenant_guard.mode = warn;
SET ROLE regress_tg_app;
\set VERBOSITY terse

-- No tenant: a warning, then plain row-level security (no rows).
SELECT id FROM orders;
-- A session-level tenant: a warning where it is set (at SET, or at the end
-- of the statement that called set_config), and at each use.
SET app.current_tenant = '1';
SELECT id FROM orders;
SELECT set_config('app.current_tenant', '2', false);
RESET app.current_tenant;
-- A tenant switch.
BEGIN;
SET LOCAL app.current_tenant = '1';
SET LOCAL app.current_tenant = '2';
SELECT id FROM orders;
COMMIT;
-- An unforced table, and TRUNCATE.
BEGIN;
SET LOCAL app.current_tenant = '1';
SELECT id FROM unforced;
TRUNCATE unforced;
COMMIT;
\set VERBOSITY default

-- tenant() answers as plain row-level security would.
SELECT tenant_guard.tenant() IS NULL AS no_tenant;

-- off: nothing at all.
RESET ROLE;
SET tenant_guard.mode = off;
INSERT INTO unforced VALUES (1, 1);
SET ROLE regress_tg_app;
SELECT id FROM orders;
SET app.current_tenant = '2';
SELECT id FROM orders;
SELECT id FROM unforced;
BEGIN;
SET LOCAL app.current_tenant = '1';
SET LOCAL app.current_tenant = '2';
COMMIT;
RESET app.current_tenant;
RESET ROLE;

SELECT mode, active FROM tenant_guard.status();
RESET tenant_guard.mode;
SELECT mode, active FROM tenant_guard.status();

DROP TABLE orders, unforced;
DROP ROLE regress_tg_app;
