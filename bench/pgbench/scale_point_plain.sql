-- bench/pgbench/scale_point_plain.sql - lookup by id on docs_plain (scale.sh),
-- no RLS: the application adds WHERE tenant_id = :t.
-- Same transaction shape for both tables, so only the filter differs.
-- Variables (pgbench -D): tenants, rows.
\set t random(1, :tenants)
\set id :t + :tenants * random(0, :rows / :tenants - 1)
BEGIN;
SELECT set_config('app.current_tenant', :t::text, true);
SELECT id, amount, title FROM docs_plain WHERE id = :id AND tenant_id = :t;
END;
