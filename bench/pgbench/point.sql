-- bench/pgbench/point.sql - RLS point lookup (throughput.sh).
-- One transaction: the tenant set for the transaction only, then one row of
-- that tenant by primary key.  Variables (pgbench -D): tenants, rows.
\set t random(1, :tenants)
\set id :t + :tenants * random(0, :rows / :tenants - 1)
BEGIN;
SELECT set_config('app.current_tenant', :t::text, true);
SELECT id, balance FROM rls_accounts WHERE id = :id;
END;
