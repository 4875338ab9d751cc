--
-- Loading and status: the library is preloaded on this server
-- (test/tenant_guard.conf), so creating the extension gives no warning and
-- status() says so.
--
CREATE EXTENSION tenant_guard;

SELECT version, active, preloaded, loaded_via, mode, tenant_setting,
       tenant, tenant_origin, exempt
  FROM tenant_guard.status();

-- Everything lives in schema tenant_guard, which cannot move.
SELECT e.extname, n.nspname, e.extrelocatable
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE e.extname = 'tenant_guard';
ALTER EXTENSION tenant_guard SET SCHEMA public;

-- The settings, and the tenant setting tenant_guard defines.
SELECT name, setting, context, vartype
  FROM pg_settings
 WHERE name LIKE 'tenant\_guard.%' OR name = 'app.current_tenant'
 ORDER BY name;

-- The prefix is reserved: a misspelt setting is an error, not a placeholder.
SET tenant_guard.mod = 'off';

-- An application role can neither turn the guard off nor repoint it.
CREATE ROLE regress_tg_app;
SET ROLE regress_tg_app;
SET tenant_guard.mode = 'off';
SELECT set_config('tenant_guard.mode', 'off', false);
SET tenant_guard.tenant_setting = 'app.other';
ALTER ROLE regress_tg_app SET tenant_guard.mode = 'off';
SHOW tenant_guard.mode;
RESET ROLE;

-- A role granted SET on the parameter may change the mode.
GRANT SET ON PARAMETER tenant_guard.mode TO regress_tg_app;
SET ROLE regress_tg_app;
SET tenant_guard.mode = 'warn';
SHOW tenant_guard.mode;
RESET tenant_guard.mode;
RESET ROLE;
REVOKE SET ON PARAMETER tenant_guard.mode FROM regress_tg_app;

-- The tenant setting must be a custom setting name outside tenant_guard's
-- prefix.
ALTER SYSTEM SET tenant_guard.tenant_setting = 'current_tenant';
ALTER SYSTEM SET tenant_guard.tenant_setting = 'app.1tenant';
ALTER SYSTEM SET tenant_guard.tenant_setting = 'tenant_guard.tenant';

-- tenant() is the tenant of the current transaction, NULL without one.
SET ROLE regress_tg_app;
SELECT tenant_guard.tenant() IS NULL AS no_tenant;
BEGIN;
SET LOCAL app.current_tenant = 'acme';
SELECT tenant_guard.tenant();
SELECT tenant, tenant_origin, exempt FROM tenant_guard.status();
COMMIT;
SELECT tenant_guard.tenant() IS NULL AS no_tenant_after_commit;
RESET ROLE;

-- For a superuser, who is outside the rules, tenant() is the raw setting.
SET app.current_tenant = 'acme';
SELECT tenant_guard.tenant(), tenant_origin, exempt FROM tenant_guard.status();
RESET app.current_tenant;

DROP ROLE regress_tg_app;
