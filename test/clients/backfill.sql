-- test/clients/backfill.sql: the two ways of README: Migrations to migrate
-- data across tenants, run with psql (ON_ERROR_STOP) as tg_migrator with
-- role tg_owner, on a database whose orders the load filled for tenants 1
-- to 8 (items "apple" and "pear").  run.sh then checks that every row was
-- changed by both: upper case, and a final dot.
\set ON_ERROR_STOP 1
CREATE TABLE tenants (id bigint PRIMARY KEY);  -- no row-level security
INSERT INTO tenants SELECT generate_series(1, 8);

-- The owner is inside the rules: without a tenant, refused.
DO $$
BEGIN
    UPDATE orders SET item = item;
    RAISE EXCEPTION 'an UPDATE of the owner without a tenant was not refused';
EXCEPTION WHEN insufficient_privilege THEN
    NULL;
END
$$;

-- One transaction per tenant.
-- README: backfill-per-tenant
DO $$
DECLARE
    t bigint := 0;
BEGIN
    LOOP
        SELECT min(id) INTO t FROM tenants WHERE id > t;
        EXIT WHEN t IS NULL;
        PERFORM set_config('app.current_tenant', t::text, true);
        UPDATE orders SET item = upper(item);
        COMMIT;
    END LOOP;
END
$$;
-- END README
-- A role outside the rules.
-- README: backfill-bypassrls
GRANT SELECT, UPDATE ON orders TO tg_backfill;
BEGIN;
SET LOCAL ROLE tg_backfill;
UPDATE orders SET item = item || '.';
COMMIT;
-- END README
