-- pgTAP: an application role without a tenant context is refused
-- everywhere, and cannot make a session-level or configured tenant count.
-- Each file runs in one transaction that is rolled back; a transaction
-- acts for one tenant at most, so this file sets none.
BEGIN;
SET LOCAL client_min_messages = warning;
SELECT plan(16);

CREATE ROLE regress_tap_app;
CREATE TABLE tap_orders (id int PRIMARY KEY, tenant_id int NOT NULL, item text);
INSERT INTO tap_orders VALUES (1, 1, 'apple'), (2, 2, 'plum');
SELECT tenant_guard.protect('tap_orders');
CREATE TABLE tap_colours (name text);
INSERT INTO tap_colours VALUES ('red');
CREATE FUNCTION tap_count_orders() RETURNS bigint
  LANGUAGE plpgsql AS $$BEGIN RETURN (SELECT count(*) FROM tap_orders); END$$;
GRANT SELECT, INSERT, UPDATE, DELETE ON tap_orders TO regress_tap_app;
GRANT SELECT ON tap_colours TO regress_tap_app;

SET LOCAL ROLE regress_tap_app;

SELECT isnt_superuser('regress_tap_app', 'the application role is no superuser');
SELECT is((SELECT rolbypassrls FROM pg_roles WHERE rolname = 'regress_tap_app'),
          false, 'the application role does not bypass row-level security');
SELECT is((SELECT exempt FROM tenant_guard.status()), false,
          'tenant_guard applies its rules to the application role');

SELECT throws_ok('SELECT * FROM tap_orders', '42501',
                 'tenant context required for table "public.tap_orders"',
                 'SELECT without a tenant is refused');
SELECT throws_ok($$INSERT INTO tap_orders VALUES (3, 1, 'fig')$$, '42501', NULL,
                 'INSERT without a tenant is refused');
SELECT throws_ok($$UPDATE tap_orders SET item = 'x'$$, '42501', NULL,
                 'UPDATE without a tenant is refused');
SELECT throws_ok('DELETE FROM tap_orders', '42501', NULL,
                 'DELETE without a tenant is refused');
SELECT throws_ok('SELECT tap_count_orders()', '42501', NULL,
                 'a function reading the table without a tenant is refused');
SELECT lives_ok('SELECT * FROM tap_colours',
                'a table without row-level security needs no tenant');

SELECT throws_ok($$SET app.current_tenant = '1'$$, '42501',
                 'cannot set "app.current_tenant" at session level',
                 'a session-level SET of the tenant is refused');
SELECT throws_ok($$SELECT set_config('app.current_tenant', '1', false)$$, '42501',
                 '"app.current_tenant" was set at session level',
                 'set_config(..., false) of the tenant is refused');
SELECT is(current_setting('app.current_tenant'), '',
          'the refused assignments left no tenant behind');
SELECT is(tenant_guard.tenant(), NULL, 'tenant() is NULL without a tenant');

SELECT throws_ok('SET tenant_guard.mode = off', '42501', NULL,
                 'the application role cannot turn the guard off');
SELECT throws_ok($$SELECT set_config('tenant_guard.mode', 'warn', true)$$, '42501', NULL,
                 'nor switch it to warn');
SELECT throws_ok($$SELECT tenant_guard.unprotect('tap_orders')$$, '42501', NULL,
                 'nor unprotect a table it does not own');

SELECT * FROM finish();
ROLLBACK;
