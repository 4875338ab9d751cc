-- bench/pgbench/scale_range_protected.sql - small range scan within one tenant on
-- docs_protected (scale.sh): the tenant's 10 consecutive rows from a random one,
-- protected by the standard policy: the policy adds the tenant filter.
-- Variables (pgbench -D): tenants, rows.
\set t random(1, :tenants)
\set lo :t + :tenants * random(0, :rows / :tenants - 10)
\set hi :lo + :tenants * 9
BEGIN;
SELECT set_config('app.current_tenant', :t::text, true);
SELECT id, amount, title FROM docs_protected WHERE id BETWEEN :lo AND :hi ORDER BY id;
END;
