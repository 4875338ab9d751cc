--
-- Rule 1: no tenant, no rows.  A statement that reads or writes a table
-- with row-level security needs a tenant context, however it reaches the
-- table.
--
CREATE ROLE regress_tg_app;
CREATE ROLE regress_tg_bypass BYPASSRLS;

CREATE TABLE orders (id int PRIMARY KEY, tenant_id int NOT NULL, item text);
INSERT INTO orders VALUES (1, 1, 'apple'), (2, 1, 'pear'), (3, 2, 'plum'),
                          (4, 2, 'fig'), (5, 3, 'kiwi');
ALTER TABLE orders ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY orders_tenant ON orders
  USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::int);
GRANT SELECT, INSERT, UPDATE, DELETE ON orders TO regress_tg_app, regress_tg_bypass;

-- A table without row-level security needs no tenant.
CREATE TABLE colours (name text);
INSERT INTO colours VALUES ('red'), ('blue');
GRANT SELECT ON colours TO regress_tg_app;

-- Ways to reach the table: a view that checks as its caller, and SQL and
-- PL/pgSQL functions (SECURITY INVOKER, the default).
CREATE VIEW orders_view WITH (security_invoker = true) AS SELECT * FROM orders;
GRANT SELECT ON orders_view TO regress_tg_app;
CREATE FUNCTION orders_of_sql() RETURNS SETOF orders
  LANGUAGE sql STABLE AS 'SELECT * FROM orders';
CREATE FUNCTION count_orders_sql() RETURNS bigint
  LANGUAGE sql AS 'SELECT count(*) FROM orders';
CREATE FUNCTION count_orders_plpgsql() RETURNS bigint
  LANGUAGE plpgsql AS $$BEGIN RETURN (SELECT count(*) FROM orders); END$$;
CREATE FUNCTION count_orders_dynamic() RETURNS bigint
  LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM %I', 'orders') INTO n;
  RETURN n;
END$$;
-- EXPLAIN ANALYZE of a query, its output the same on every version:
-- PostgreSQL 18 shows row counts with two decimals and an index scan's
-- number of searches.
CREATE FUNCTION explain_analyze(query text) RETURNS SETOF text
  LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
  FOR line IN EXECUTE
    'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF) ' || query
  LOOP
    CONTINUE WHEN line ~ '^\s*Index Searches: ';
    RETURN NEXT regexp_replace(line, '\m(rows=[0-9]+)\.00\M', '\1', 'g');
  END LOOP;
END$$;

SET ROLE regress_tg_app;

-- Without a tenant, every path is refused.  The first refusal is shown in
-- full; the rest tersely.
SELECT * FROM orders;
\set VERBOSITY terse
INSERT INTO orders VALUES (10, 1, 'lime');
UPDATE orders SET item = 'peach' WHERE id = 1;
DELETE FROM orders WHERE id = 1;
MERGE INTO orders o USING (VALUES (1)) AS v(id) ON o.id = v.id
  WHEN MATCHED THEN UPDATE SET item = 'melon';
COPY orders TO STDOUT;
COPY (SELECT * FROM orders) TO STDOUT;
CREATE TEMP TABLE orders_copy AS SELECT * FROM orders;
SELECT * INTO TEMP orders_copy FROM orders;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF) SELECT * FROM orders;
SELECT * FROM explain_analyze('SELECT * FROM orders');
SELECT * FROM orders_view;
WITH o AS (SELECT * FROM orders) SELECT count(*) FROM o;
SELECT (SELECT count(*) FROM orders) AS n;
SELECT count(*) FROM colours WHERE EXISTS (SELECT FROM orders);
SELECT * FROM orders_of_sql();
SELECT count_orders_sql();
SELECT count_orders_plpgsql();
SELECT count_orders_dynamic();
-- (prepared by a role outside the rules: a statement the application role
-- prepared with SQL in an earlier transaction would keep it from setting a
-- tenant below, see session_state)
RESET ROLE;
PREPARE all_orders AS SELECT id FROM orders ORDER BY id;
SET ROLE regress_tg_app;
EXECUTE all_orders;
BEGIN;
DECLARE c CURSOR FOR SELECT * FROM orders;
ROLLBACK;
\set VERBOSITY default

-- Statements that touch no table with row-level security need no tenant,
-- and neither does EXPLAIN without ANALYZE, which reads no rows.
SELECT name FROM colours ORDER BY name;
SELECT 1 AS one;
EXPLAIN (COSTS OFF) SELECT * FROM orders WHERE id = 1;

-- With SET LOCAL, every path works and sees tenant 1 only.
BEGIN;
SET LOCAL app.current_tenant = '1';
SELECT * FROM orders ORDER BY id;
INSERT INTO orders VALUES (10, 1, 'lime');
SAVEPOINT s;
INSERT INTO orders VALUES (11, 2, 'lime');	-- the policy applies as usual
ROLLBACK TO s;
UPDATE orders SET item = 'peach' WHERE id = 1;
UPDATE orders SET item = 'peach' WHERE id = 3;	-- tenant 2's: no row
DELETE FROM orders WHERE id = 10;
MERGE INTO orders o USING (VALUES (2)) AS v(id) ON o.id = v.id
  WHEN MATCHED THEN UPDATE SET item = 'melon';
COPY orders TO STDOUT;
COPY (SELECT id FROM orders ORDER BY id) TO STDOUT;
CREATE TEMP TABLE orders_copy ON COMMIT DROP AS SELECT * FROM orders;
SELECT count(*) FROM orders_copy;
SELECT * FROM explain_analyze('SELECT * FROM orders WHERE id = 1');
SELECT id FROM orders_view ORDER BY id;
WITH o AS (SELECT * FROM orders) SELECT count(*) FROM o;
SELECT (SELECT count(*) FROM orders) AS n;
SELECT id FROM orders_of_sql() ORDER BY id;
SELECT count_orders_sql(), count_orders_plpgsql(), count_orders_dynamic();
EXECUTE all_orders;
DECLARE c CURSOR FOR SELECT id FROM orders ORDER BY id;
FETCH 1 FROM c;
FETCH 1 FROM c;
COMMIT;

-- A cached plan is judged when it runs, against the tenant of the
-- transaction that runs it.
SET plan_cache_mode = force_generic_plan;
RESET ROLE;
PREPARE generic_orders AS SELECT id FROM orders ORDER BY id;
SET ROLE regress_tg_app;
BEGIN;
SET LOCAL app.current_tenant = '1';
EXECUTE generic_orders;
COMMIT;
EXECUTE generic_orders;
BEGIN;
SET LOCAL app.current_tenant = '2';
EXECUTE generic_orders;
COMMIT;
RESET plan_cache_mode;

-- A policy written as current_setting(...)::int would fail to cast '' while
-- the query is planned; the guard explains what is missing before that.
RESET ROLE;
CREATE TABLE invoices (id int, tenant_id int);
ALTER TABLE invoices ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY invoices_tenant ON invoices
  USING (tenant_id = current_setting('app.current_tenant')::int);
GRANT SELECT ON invoices TO regress_tg_app;
SET ROLE regress_tg_app;
SELECT * FROM invoices WHERE tenant_id = 1;

-- Roles outside the rules: superusers and BYPASSRLS roles see every row.
RESET ROLE;
SELECT count(*) FROM orders;
SET ROLE regress_tg_bypass;
SELECT count(*) FROM orders;
RESET ROLE;

DROP TABLE orders, colours, invoices CASCADE;
DROP FUNCTION count_orders_sql(), count_orders_plpgsql(), count_orders_dynamic(),
  explain_analyze(text);
DROP ROLE regress_tg_app, regress_tg_bypass;
