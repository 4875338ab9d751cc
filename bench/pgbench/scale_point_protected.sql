-- bench/pgbench/scale_point_protected.sql - lookup by id on docs_protected (scale.sh),
-- protected by the standard policy: the policy adds the tenant filter.
-- Same transaction shape for both tables, so only the filter differs.
-- Variables (pgbench -D): tenants, rows.
\set t random(1, :tenants)
\set id :t + :tenants * random(0, :rows / :tenants - 1)
BEGIN;
SELECT set_config('app.current_tenant', :t::text, true);
SELECT id, amount, title FROM docs_protected WHERE id = :id;
END;
