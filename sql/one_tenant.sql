--
-- Rule 3: one tenant per transaction.  Once a transaction has a tenant, no
-- later statement in it can switch to another, however it tries.
--
CREATE ROLE regress_tg_app;

CREATE TABLE orders (id int PRIMARY KEY, tenant_id int NOT NULL);
INSERT INTO orders VALUES (1, 1), (2, 1), (3, 2), (4, 3);
ALTER TABLE orders ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY orders_tenant ON orders
  USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::int);
GRANT SELECT ON orders TO regress_tg_app;

CREATE FUNCTION count_as_tenant_2() RETURNS bigint
  LANGUAGE sql SET app.current_tenant = '2'
  AS 'SELECT count(*) FROM orders';

SET ROLE regress_tg_app;

-- A second SET LOCAL: the same tenant again is fine, another is refused.
BEGIN;
SET LOCAL app.current_tenant = '1';
SET LOCAL app.current_tenant = '1';
SET LOCAL app.current_tenant = '2';
ROLLBACK;

\set VERBOSITY terse
-- set_config(..., true)
BEGIN;
SET LOCAL app.current_tenant = '1';
SELECT set_config('app.current_tenant', '2', true);
ROLLBACK;

-- Two assignments in one statement.
BEGIN;
SELECT set_config('app.current_tenant', '1', true),
       set_config('app.current_tenant', '2', true);
ROLLBACK;

-- A function's SET clause.
BEGIN;
SET LOCAL app.current_tenant = '1';
SELECT count_as_tenant_2();
ROLLBACK;

-- Savepoints: rolling back to before the tenant was set does not free the
-- transaction to act for another tenant; it has already acted for one.
BEGIN;
SAVEPOINT before_tenant;
SET LOCAL app.current_tenant = '1';
SELECT id FROM orders;
ROLLBACK TO before_tenant;
SET LOCAL app.current_tenant = '2';
ROLLBACK;

-- Clearing the tenant first does not help either.
BEGIN;
SET LOCAL app.current_tenant = '1';
SET LOCAL app.current_tenant = '';
SET LOCAL app.current_tenant = '2';
ROLLBACK;
\set VERBOSITY default

-- A switch in the middle of a statement fails at the assignment, before
-- one row of the second tenant is read.  Plain row-level security would
-- return every tenant's rows here.
BEGIN;
SET LOCAL app.current_tenant = '1';
SELECT t.n, o.id
  FROM generate_series(1, 3) AS t(n)
       CROSS JOIN LATERAL (SELECT id FROM orders
                            WHERE set_config('app.current_tenant', t.n::text, true) IS NOT NULL
                           OFFSET 0) AS o;
ROLLBACK;

-- A new transaction may act for another tenant.
BEGIN;
SET LOCAL app.current_tenant = '1';
SELECT id FROM orders ORDER BY id;
COMMIT;
BEGIN;
SET LOCAL app.current_tenant = '2';
SELECT id FROM orders ORDER BY id;
COMMIT;

-- Roles outside the rules may switch.
RESET ROLE;
BEGIN;
SET LOCAL app.current_tenant = '1';
SET LOCAL app.current_tenant = '2';
SHOW app.current_tenant;
COMMIT;

DROP FUNCTION count_as_tenant_2();
DROP TABLE orders;
DROP ROLE regress_tg_app;
