--
-- Per-tenant statistics and the violations view (tenant_stats.c,
-- violations.c): exact counts for a known workload, who sees which rows,
-- each refusal counted with the rule and the SQLSTATE its error carries,
-- and the reset.  Timing columns are only checked for sanity.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS tenant_guard;
RESET client_min_messages;
CREATE ROLE regress_stats_app;
CREATE ROLE regress_stats_reader IN ROLE pg_read_all_stats;
CREATE TABLE stats_orders (id int, tenant_id text NOT NULL, v int);
SET client_min_messages = warning;
SELECT tenant_guard.protect('stats_orders');
RESET client_min_messages;
INSERT INTO stats_orders SELECT g, 'sa-' || (g % 3), g FROM generate_series(1, 30) g;
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON stats_orders TO regress_stats_app;
SELECT tenant_guard.stats_reset();
SELECT tenants, violations, tenant_evictions, violation_evictions
  FROM tenant_guard.stats_info();

SET ROLE regress_stats_app;
-- tenant sa-1: two transactions, five statements that run a plan
BEGIN;
SET LOCAL app.current_tenant = 'sa-1';          -- a utility statement: not counted
SELECT count(*) FROM stats_orders;              -- 1 row returned
SELECT id FROM stats_orders WHERE id < 8;       -- 3 rows
COMMIT;
BEGIN;
SELECT tenant_guard.set_tenant('sa-1');         -- 1 row
UPDATE stats_orders SET v = v + 1;              -- 10 rows written
INSERT INTO stats_orders VALUES (100, 'sa-1', 0), (101, 'sa-1', 0);  -- 2
COMMIT;
-- tenant sa-2: one transaction; a DO block runs no plan of its own, so its
-- statements count as top-level ones, and a function's are nested
BEGIN;
SELECT set_config('app.current_tenant', 'sa-2', true);   -- 1 row
DO $$ BEGIN PERFORM count(*) FROM stats_orders; PERFORM 1; END $$;  -- 2, 2 rows
SELECT count(*) FROM (SELECT tenant_guard.tenant() FROM stats_orders) s;  -- 1 row, 1 statement
DELETE FROM stats_orders WHERE id = 2;                   -- 1 row written
COMMIT;
-- a transaction without a tenant is not counted
SELECT 1;
RESET ROLE;

SELECT tenant, transactions, statements, rows_returned, rows_written,
	   refusals_rule1 + refusals_rule2 + refusals_rule3 + refusals_rule4
	   + refusals_rule5 + refusals_rule6 + refusals_drift AS refusals,
	   total_time >= 0 AS timed, mean_time * transactions = total_time AS mean,
	   datname = current_database() AS here,
	   first_activity <= last_activity AS ordered
  FROM tenant_guard.tenant_stats ORDER BY tenant;

-- Refusals: counted in violations, and for the transaction's tenant.
SET ROLE regress_stats_app;
SELECT count(*) FROM stats_orders;              -- rule 1, no tenant
BEGIN;
SET LOCAL app.current_tenant = 'sa-1';
SET LOCAL app.current_tenant = 'sa-2';          -- rule 3
ROLLBACK;
BEGIN;
SELECT tenant_guard.set_tenant('sa-2');
TRUNCATE stats_orders;                          -- rule 5
ROLLBACK;
BEGIN;
SELECT tenant_guard.set_tenant('sa-2');
SELECT count(*) FROM stats_orders;
-- a role without pg_read_all_stats sees its own tenant's row only ...
SELECT tenant, transactions FROM tenant_guard.tenant_stats;
-- ... and its own violations under that tenant (the TRUNCATE, not the switch
-- from sa-1 nor the refusal without a tenant), without the sample statements
SELECT rule, refusal, object, occurrences, sample
  FROM tenant_guard.violations ORDER BY rule, refusal;
COMMIT;
-- without a tenant, no tenant's row
SELECT count(*) FROM tenant_guard.tenant_stats;
-- and it may not reset
SELECT tenant_guard.stats_reset();
RESET ROLE;

-- warn mode: the same violation, once more, as a warning of its own row
SET tenant_guard.mode = warn;
SET ROLE regress_stats_app;
SELECT count(*) FROM stats_orders;
RESET ROLE;
RESET tenant_guard.mode;

-- with a query id, where PostgreSQL computes one: a row of its own
SET compute_query_id = on;
SET ROLE regress_stats_app;
SELECT count(*) FROM stats_orders;
RESET ROLE;
RESET compute_query_id;

SET ROLE regress_stats_reader;
SELECT role_name, tenant, rule, refusal, sqlstate, object, mode, occurrences,
	   queryid IS NOT NULL AS has_queryid,
	   datname = current_database() AS here, sample,
	   first_seen <= last_seen AS ordered
  FROM tenant_guard.violations ORDER BY rule, refusal, mode, has_queryid;
SELECT tenant, transactions, statements, refusals_rule1, refusals_rule3,
	   refusals_rule5
  FROM tenant_guard.tenant_stats ORDER BY tenant;
RESET ROLE;

-- The SQLSTATE the view gives is the one the error carried.
CREATE FUNCTION pg_temp.sqlstate_of(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	state text;
BEGIN
	EXECUTE sql;
	RETURN NULL;
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE;
	RETURN state;
END $$;
GRANT EXECUTE ON FUNCTION pg_temp.sqlstate_of(text) TO regress_stats_app;
CREATE TABLE stats_unforced (id int, tenant_id text);
ALTER TABLE stats_unforced ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON stats_unforced TO regress_stats_app;
SELECT tenant_guard.stats_reset();
SET ROLE regress_stats_app;
BEGIN;
SELECT tenant_guard.set_tenant('sa-0');
SELECT pg_temp.sqlstate_of('SELECT * FROM stats_unforced') AS rule4,
	   pg_temp.sqlstate_of('TRUNCATE stats_orders') AS rule5,
	   pg_temp.sqlstate_of('SET LOCAL app.current_tenant = ''sa-9''') AS rule3;
-- a token set_tenant_token() refuses, named by what was wrong with it
SELECT pg_temp.sqlstate_of('SELECT tenant_guard.set_tenant_token(''x.y.z'')')
		AS malformed,
	   pg_temp.sqlstate_of('SELECT tenant_guard.set_tenant_token(NULL)') AS null;
COMMIT;
SELECT pg_temp.sqlstate_of('SELECT * FROM stats_orders') AS rule1;
RESET ROLE;
SELECT rule, refusal, sqlstate, object FROM tenant_guard.violations
 ORDER BY rule, refusal, object;
SELECT tenant, transactions, refusals_rule1, refusals_rule3, refusals_rule4,
	   refusals_rule5
  FROM tenant_guard.tenant_stats;

-- No sample of a statement that passed a refused token, even through a
-- function of the application's that the statement names instead.
CREATE FUNCTION stats_login(tok text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	RETURN tenant_guard.set_tenant_token(tok);
END $$;
SET ROLE regress_stats_app;
BEGIN;
SELECT stats_login('not' || '.a.' || 'token');
ROLLBACK;
RESET ROLE;
SELECT rule, refusal, object, sample FROM tenant_guard.violations
 WHERE tenant IS NULL AND refusal = 'token_refused';

-- stats_off: nothing more is counted
SET tenant_guard.stats = off;
SET ROLE regress_stats_app;
BEGIN;
SELECT tenant_guard.set_tenant('sa-0');
SELECT count(*) FROM stats_orders;
COMMIT;
SELECT count(*) FROM stats_orders;
RESET ROLE;
RESET tenant_guard.stats;
SELECT tenant, transactions FROM tenant_guard.tenant_stats;
SELECT count(*) FROM tenant_guard.violations WHERE refusal = 'no_tenant';

-- Top-level statements only: an AFTER trigger's statements are nested
-- (they run in ExecutorFinish); an error thrown inside a function leaves no
-- depth behind, neither for the next transaction nor, caught at a
-- savepoint, for the transaction's next statement.
CREATE TABLE stats_log (id int);
GRANT INSERT ON stats_log TO regress_stats_app;
CREATE FUNCTION stats_log_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO stats_log VALUES (NEW.id);
	RETURN NULL;
END $$;
CREATE TRIGGER stats_log_insert AFTER INSERT ON stats_orders
	FOR EACH ROW EXECUTE FUNCTION stats_log_insert();
CREATE FUNCTION stats_fail() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
	PERFORM count(*) FROM stats_orders;
	RAISE EXCEPTION 'stats_fail';
END $$;
SELECT tenant_guard.stats_reset();
SET ROLE regress_stats_app;
BEGIN;
SET LOCAL app.current_tenant = 'sa-3';
INSERT INTO stats_orders VALUES (300, 'sa-3', 0);   -- 1 statement, 1 row
COMMIT;
BEGIN;
SET LOCAL app.current_tenant = 'sa-3';
SELECT stats_fail();                                -- not counted
ROLLBACK;
BEGIN;
SET LOCAL app.current_tenant = 'sa-3';
SELECT count(*) FROM stats_orders;                  -- 1 statement, 1 row
SAVEPOINT s;
SELECT stats_fail();
ROLLBACK TO SAVEPOINT s;
SELECT id FROM stats_orders WHERE id = 300;         -- 1 statement, 1 row
COMMIT;
RESET ROLE;
SELECT tenant, transactions, statements, rows_returned, rows_written
  FROM tenant_guard.tenant_stats;
-- A tenant's row is the tenant's data: a cursor may not keep it past
-- COMMIT, where the next request on the connection could fetch it.
SET ROLE regress_stats_app;
BEGIN;
SET LOCAL app.current_tenant = 'sa-3';
DECLARE held CURSOR WITH HOLD FOR
	SELECT tenant, transactions FROM tenant_guard.tenant_stats;
COMMIT;
RESET ROLE;
DROP TRIGGER stats_log_insert ON stats_orders;
DROP FUNCTION stats_log_insert(), stats_fail();
DROP TABLE stats_log;

-- the reset, and who may run it
SELECT tenant_guard.stats_reset();
SELECT count(*) FROM tenant_guard.tenant_stats;
SELECT count(*) FROM tenant_guard.violations;
SELECT tenants, violations, max_tenants FROM tenant_guard.stats_info();
GRANT EXECUTE ON FUNCTION tenant_guard.stats_reset() TO regress_stats_reader;
SET ROLE regress_stats_reader;
SELECT tenant_guard.stats_reset();
RESET ROLE;
-- settings: the bound is fixed at server start
SET tenant_guard.stats_max_tenants = 10;
SET ROLE regress_stats_app;
SET tenant_guard.stats = off;
SET tenant_guard.log_violations = on;
SET tenant_guard.log_tenant_context = on;
RESET ROLE;

-- No sample of a statement that passed a valid token either, through a
-- function of the application's and in pieces, when a violation of the
-- same statement comes after it (rule 2, here).
SET tenant_guard.token_max_age = '20000d';
SET ROLE regress_stats_app;
BEGIN;
SELECT stats_login('eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.' ||
	'eyJ0ZW5hbnQiOiIxIiwic3ViIjoidXNlci0xNyIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjozNDcxMjkyODAwfQ.' ||
	'8n4e2XiH8sxNo-eo2CJPg94LG3Uq1VaHMqmXqYIppZ4') AS login_probe,
	   set_config('app.current_tenant', '1', false) IS NULL;
ROLLBACK;
RESET ROLE;
SELECT tenant, sample FROM tenant_guard.violations
 WHERE refusal = 'session_tenant' AND tenant = '1';
DROP FUNCTION stats_login(text);
RESET tenant_guard.token_max_age;

-- A token in the statement of a violation is replaced whole, its signature
-- included, also after a run of base64url characters and a dot.
SET ROLE regress_stats_app;
SELECT 'acme_corp_prod.eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJ0ZW5hbnQiOiIxIiwic3ViIjoidXNlci0xNyIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjozNDcxMjkyODAwfQ.8n4e2XiH8sxNo-eo2CJPg94LG3Uq1VaHMqmXqYIppZ4' AS redaction_probe,
	   set_config('app.current_tenant', 'sa-5', false) IS NULL;
RESET ROLE;
SELECT sample FROM tenant_guard.violations
 WHERE refusal = 'session_tenant' AND sample LIKE '%redaction_probe%';

DROP FUNCTION pg_temp.sqlstate_of(text);
DROP TABLE stats_orders, stats_unforced;
REVOKE EXECUTE ON FUNCTION tenant_guard.stats_reset() FROM regress_stats_reader;
DROP ROLE regress_stats_app, regress_stats_reader;
SELECT tenant_guard.stats_reset();
