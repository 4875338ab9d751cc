--
-- The standard policy is index-friendly: tenant_guard.tenant() is read
-- once per statement (an InitPlan), so the tenant condition is an index
-- condition on a table of realistic size.
--
CREATE ROLE regress_tg_app;
CREATE TABLE orders (id bigint PRIMARY KEY, tenant_id bigint NOT NULL,
                     placed date NOT NULL, amount numeric);
INSERT INTO orders
SELECT g, g % 1000 + 1, date '2026-01-01' + (g % 300), g % 97
  FROM generate_series(1, 100000) AS g;
SELECT tenant_guard.protect('orders');
ANALYZE orders;
GRANT SELECT ON orders TO regress_tg_app;

-- The index scans of a query's plan, whatever their kind (an index scan or
-- a bitmap index scan, both of which read the index).  An InitPlan's result
-- is shown as "(InitPlan result)": EXPLAIN calls it $0 up to PostgreSQL 16,
-- (InitPlan 1).col1 from 17 on.
CREATE FUNCTION index_use(query text)
RETURNS TABLE (index_name text, index_cond text)
LANGUAGE plpgsql AS $$
DECLARE plan jsonb;
BEGIN
  EXECUTE 'EXPLAIN (FORMAT JSON, COSTS OFF) ' || query INTO plan;
  RETURN QUERY
    SELECT n->>'Index Name',
           regexp_replace(n->>'Index Cond',
                          '\$[0-9]+|\(InitPlan [0-9]+\)\.col[0-9]+',
                          '(InitPlan result)', 'g')
      FROM jsonb_path_query(plan, 'strict $.** ? (exists (@."Index Name"))') AS n;
END$$;

SET ROLE regress_tg_app;
BEGIN;
SET LOCAL app.current_tenant = '42';
-- all of one tenant's rows
SELECT * FROM index_use('SELECT * FROM orders');
SELECT count(*) FROM orders;
-- a small range within one tenant
SELECT * FROM index_use($q$SELECT * FROM orders WHERE placed BETWEEN '2026-02-10' AND '2026-02-12'$q$);
SELECT count(*) FROM orders WHERE placed BETWEEN '2026-02-10' AND '2026-02-12';
-- a lookup by primary key: the tenant condition filters the one row
SELECT * FROM index_use('SELECT * FROM orders WHERE id = 42042');
SELECT id, tenant_id FROM orders WHERE id = 42041;
SELECT id, tenant_id FROM orders WHERE id = 42042;
COMMIT;
RESET ROLE;

DROP TABLE orders;
DROP FUNCTION index_use(text);
DROP ROLE regress_tg_app;
