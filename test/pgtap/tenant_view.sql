-- pgTAP: what an application role acting for tenant 1 sees and may do on
-- tables protected by tenant_guard.protect().  The transaction acts for
-- tenant 1 throughout: the tenant is set first, as a pooled request would.
BEGIN;
SET LOCAL client_min_messages = warning;
SELECT plan(17);

CREATE ROLE regress_tap_app;
CREATE TABLE tap_orders (id int PRIMARY KEY, tenant_id int NOT NULL,
                         item text, is_admin boolean DEFAULT false);
INSERT INTO tap_orders VALUES (1, 1, 'apple', false), (2, 1, 'pear', false),
                              (3, 2, 'plum', true), (4, 3, 'fig', true);
SELECT tenant_guard.protect('tap_orders');
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON tap_orders TO regress_tap_app;

CREATE TABLE tap_unforced (id int, tenant_id int);
ALTER TABLE tap_unforced ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON tap_unforced TO regress_tap_app;

SET LOCAL app.current_tenant = '1';
SET LOCAL ROLE regress_tap_app;

SELECT is(tenant_guard.tenant(), '1', 'the transaction acts for tenant 1');
SELECT results_eq('SELECT id FROM tap_orders ORDER BY id', ARRAY[1, 2],
                  'tenant 1 sees exactly its rows');
SELECT is_empty('SELECT * FROM tap_orders WHERE tenant_id <> 1',
                'no row of another tenant is visible, even when asked for');
SELECT lives_ok($$INSERT INTO tap_orders (id, item) VALUES (10, 'lime')$$,
                'tenant 1 inserts without naming the tenant');
SELECT results_eq('SELECT tenant_id FROM tap_orders WHERE id = 10', ARRAY[1],
                  'the new row belongs to tenant 1');
SELECT throws_ok($$INSERT INTO tap_orders VALUES (11, 2, 'kiwi')$$, '42501',
                 'new row violates row-level security policy "tenant_guard_isolation" for table "tap_orders"',
                 'tenant 1 cannot insert a row of tenant 2');
SELECT throws_ok('UPDATE tap_orders SET tenant_id = 2 WHERE id = 1', '42501', NULL,
                 'tenant 1 cannot move its row to tenant 2');
SELECT results_eq($$WITH u AS (UPDATE tap_orders SET item = 'x' WHERE id = 3 RETURNING id)
                    SELECT count(*) FROM u$$, ARRAY[0::bigint],
                  'an UPDATE of a row of tenant 2 changes nothing');
SELECT results_eq($$WITH d AS (DELETE FROM tap_orders WHERE id = 4 RETURNING id)
                    SELECT count(*) FROM d$$, ARRAY[0::bigint],
                  'a DELETE of a row of tenant 3 removes nothing');

SELECT throws_ok($$SET LOCAL app.current_tenant = '2'$$, '42501',
                 'cannot change tenant from "1" to "2" within a transaction',
                 'the transaction cannot switch to tenant 2');
SELECT throws_ok($$SELECT set_config('app.current_tenant', '2', true)$$, '42501', NULL,
                 'not even with set_config()');
SELECT throws_ok('TRUNCATE tap_orders', '42501', NULL,
                 'TRUNCATE, which skips row-level security, is refused');
SELECT throws_ok('SELECT * FROM tap_unforced', '55000',
                 'row-level security on table "public.tap_unforced" is not forced',
                 'a table whose owner bypasses its policies is refused');

-- Permissive policies added later cannot widen the tenant condition.
RESET ROLE;
CREATE POLICY tap_everything ON tap_orders USING (true) WITH CHECK (true);
CREATE POLICY tap_admins ON tap_orders USING (tenant_id = 1 OR is_admin);
SET LOCAL ROLE regress_tap_app;
SELECT results_eq('SELECT id FROM tap_orders ORDER BY id', ARRAY[1, 2, 10],
                  'a USING (true) policy and an OR policy do not widen what tenant 1 sees');
SELECT throws_ok($$INSERT INTO tap_orders VALUES (12, 2, 'kiwi')$$, '42501', NULL,
                 'nor let tenant 1 write rows of tenant 2');
SELECT is((SELECT count(*) FROM tenant_guard.audit() WHERE object_name LIKE '%tap_orders%'),
          0::bigint, 'audit() finds nothing wrong with the protected table');
SELECT ok(tenant_guard.policy_enforces_tenant(
            (SELECT oid FROM pg_policy WHERE polname = 'tenant_guard_isolation'
               AND polrelid = 'tap_orders'::regclass), 'tenant_id'),
          'the isolation policy enforces the tenant condition');

SELECT * FROM finish();
ROLLBACK;
