--
-- A statement without a tenant in autocommit mode (outside a transaction
-- block), or after the tenant's transaction ended, is told so.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS tenant_guard;
RESET client_min_messages;
CREATE ROLE regress_tg_app;
CREATE TABLE tickets (id int, tenant_id text NOT NULL);
SET client_min_messages = warning;
SELECT tenant_guard.protect('tickets');
RESET client_min_messages;
INSERT INTO tickets VALUES (1, '1'), (2, '2');
GRANT SELECT ON tickets TO regress_tg_app;
SET ROLE regress_tg_app;

-- A forgetful request in a transaction block: the message as before.
BEGIN;
SELECT id FROM tickets;
ROLLBACK;
-- Autocommit, no tenant anywhere.
SELECT id FROM tickets;
-- Autocommit: the tenant set by the statement before ended with it.
SELECT set_config('app.current_tenant', '1', true);
SELECT id FROM tickets;
-- SET LOCAL outside a transaction block: PostgreSQL warns, the same.
SET LOCAL app.current_tenant = '1';
SELECT id FROM tickets;
-- In a transaction block after a transaction with a tenant.
BEGIN;
SET LOCAL app.current_tenant = '2';
SELECT id FROM tickets;
COMMIT;
BEGIN;
SELECT id FROM tickets;
ROLLBACK;
-- The planner's early refusal (a stable expression evaluated for the
-- estimate) says the same.
SELECT id FROM tickets WHERE id::text = current_setting('app.current_tenant');
-- Properly done.
BEGIN;
SET LOCAL app.current_tenant = '2';
SELECT id FROM tickets;
COMMIT;
RESET ROLE;

SET client_min_messages = warning;
SELECT tenant_guard.unprotect('tickets');
RESET client_min_messages;
DROP TABLE tickets;
DROP ROLE regress_tg_app;
