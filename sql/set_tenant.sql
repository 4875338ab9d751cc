--
-- tenant_guard.set_tenant(): the tenant for the current transaction only,
-- from a bind parameter of any of the usual key types.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS tenant_guard;
RESET client_min_messages;
CREATE ROLE regress_tg_app;
CREATE TABLE accounts (id int, tenant_id text NOT NULL);
SET client_min_messages = warning;
SELECT tenant_guard.protect('accounts');
RESET client_min_messages;
INSERT INTO accounts VALUES (1, '7'), (2, '8'),
  (3, '1c0b5d0e-7a2f-4f4e-9d1b-2b3c4d5e6f70');
GRANT SELECT, INSERT ON accounts TO regress_tg_app;
CREATE FUNCTION open_request(t int) RETURNS void LANGUAGE sql
  AS $$ SELECT tenant_guard.set_tenant(t) $$;
SET ROLE regress_tg_app;

-- Each overload, and an unknown literal, which resolves to text.
BEGIN;
SELECT tenant_guard.set_tenant('7');
SELECT id FROM accounts;
SELECT tenant_guard.tenant(), current_setting('app.current_tenant');
COMMIT;
BEGIN;
SELECT tenant_guard.set_tenant(8);
SELECT tenant_guard.set_tenant(8::bigint);
SELECT tenant_guard.set_tenant(8::smallint);
SELECT id FROM accounts;
COMMIT;
BEGIN;
SELECT tenant_guard.set_tenant('1c0b5d0e-7a2f-4f4e-9d1b-2b3c4d5e6f70'::uuid);
SELECT id FROM accounts;
COMMIT;
SELECT p.oid::regprocedure
  FROM pg_proc p
 WHERE p.pronamespace = 'tenant_guard'::regnamespace AND p.proname = 'set_tenant'
 ORDER BY 1::text;

-- Bind parameters of each type (a driver's Parse with parameter types),
-- and one of unknown type: it resolves to text, as a literal does.  Made
-- by a role outside the rules: statements the application role makes with
-- SQL PREPARE do not outlive their transaction (rule 2), and a driver's
-- protocol-level statements are not SQL PREPARE's.
RESET ROLE;
PREPARE by_int2(int2) AS SELECT tenant_guard.set_tenant($1);
PREPARE by_int4(int4) AS SELECT tenant_guard.set_tenant($1);
PREPARE by_int8(int8) AS SELECT tenant_guard.set_tenant($1);
PREPARE by_text(text) AS SELECT tenant_guard.set_tenant($1);
PREPARE by_uuid(uuid) AS SELECT tenant_guard.set_tenant($1);
PREPARE by_unknown AS SELECT tenant_guard.set_tenant($1);
SET ROLE regress_tg_app;
SELECT name, parameter_types FROM pg_prepared_statements ORDER BY name;
BEGIN;
EXECUTE by_int4(7);
SELECT id FROM accounts;
COMMIT;
BEGIN;
EXECUTE by_int2(7);
COMMIT;
BEGIN;
EXECUTE by_int8(8);
SELECT id FROM accounts;
COMMIT;
BEGIN;
EXECUTE by_text('7');
COMMIT;
BEGIN;
EXECUTE by_uuid('1c0b5d0e-7a2f-4f4e-9d1b-2b3c4d5e6f70');
COMMIT;
BEGIN;
EXECUTE by_unknown('8');
SELECT id FROM accounts;
COMMIT;
-- what set_config() does with an integer parameter
PREPARE by_set_config(int4) AS SELECT set_config('app.current_tenant', $1, true);
DEALLOCATE ALL;

-- The tenant ends with the transaction.
SELECT tenant, tenant_origin FROM tenant_guard.status();
SELECT id FROM accounts;

-- Refused: NULL, empty, and outside a transaction block.
BEGIN;
SELECT tenant_guard.set_tenant(NULL);
ROLLBACK;
BEGIN;
SELECT tenant_guard.set_tenant(NULL::int);
ROLLBACK;
BEGIN;
SELECT tenant_guard.set_tenant('');
ROLLBACK;
SELECT tenant_guard.set_tenant(7);
SELECT tenant, tenant_origin FROM tenant_guard.status();

-- It is SET LOCAL: one tenant per transaction, the same one again is fine.
BEGIN;
SELECT tenant_guard.set_tenant(7);
SELECT tenant_guard.set_tenant('7');
SELECT tenant_guard.set_tenant(8);
ROLLBACK;
BEGIN;
SET LOCAL app.current_tenant = '7';
SELECT tenant_guard.set_tenant(8);
ROLLBACK;
-- and the temporary-object rule applies: to state left in warn mode (in
-- enforce mode its commit fails).
RESET ROLE;
SET tenant_guard.mode = warn;
SET ROLE regress_tg_app;
CREATE TEMP TABLE leftover (x int);
RESET ROLE;
RESET tenant_guard.mode;
SET ROLE regress_tg_app;
BEGIN;
SELECT tenant_guard.set_tenant(7);
ROLLBACK;
DISCARD TEMP;
-- In a function: the tenant it sets is the transaction's.
BEGIN;
SELECT open_request(8);
SELECT id FROM accounts;
COMMIT;
RESET ROLE;

-- SECURITY INVOKER, executable by everyone.
SELECT p.oid::regprocedure, p.prosecdef, p.provolatile, p.proparallel,
       has_function_privilege('public', p.oid, 'EXECUTE') AS public_execute
  FROM pg_proc p
 WHERE p.pronamespace = 'tenant_guard'::regnamespace AND p.proname = 'set_tenant'
 ORDER BY 1::text;

DROP FUNCTION open_request(int);
SET client_min_messages = warning;
SELECT tenant_guard.unprotect('accounts');
RESET client_min_messages;
DROP TABLE accounts;
DROP ROLE regress_tg_app;
