--
-- PostgreSQL's own permission checks come before tenant_guard's refusals:
-- a role without the privilege gets "permission denied", as it would
-- without tenant_guard, and never an error naming a table (a partition, an
-- inheritance child) it may not know of.  PostgreSQL checks privileges when
-- the executor starts, after tenant_guard's planner and executor hooks have
-- looked at the statement.
--
CREATE ROLE regress_tg_po_app;
CREATE ROLE regress_tg_po_super SUPERUSER;
CREATE TABLE po_orders (id int, tenant_id int NOT NULL);
ALTER TABLE po_orders ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY po_orders_tenant ON po_orders
  USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::int);
-- Row-level security enabled but not forced (rule 4).
CREATE TABLE po_unforced (id int, tenant_id int);
ALTER TABLE po_unforced ENABLE ROW LEVEL SECURITY;
-- A partition without row-level security under a parent with it.
CREATE TABLE po_events (id int, tenant_id int NOT NULL) PARTITION BY LIST (tenant_id);
ALTER TABLE po_events ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE TABLE po_events_1 PARTITION OF po_events FOR VALUES IN (1);
-- A parent without row-level security over a child with it.
CREATE TABLE po_archive (id int, tenant_id int);
CREATE TABLE po_archive_2026 () INHERITS (po_archive);
ALTER TABLE po_archive_2026 ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
-- A view owned by a superuser.
CREATE VIEW po_orders_view AS SELECT * FROM po_orders;
ALTER VIEW po_orders_view OWNER TO regress_tg_po_super;
-- The role may read one column of po_orders, nothing else.
GRANT SELECT (id) ON po_orders TO regress_tg_po_app;

SET ROLE regress_tg_po_app;
-- Without a tenant (the planner's refusal), in every query level.
SELECT * FROM po_orders;
SELECT id FROM (SELECT * FROM po_events) s;
SELECT 1 WHERE EXISTS (SELECT 1 FROM po_events);
WITH e AS (SELECT * FROM po_events) SELECT count(*) FROM e;
-- The column it may read: the guard's refusal, since PostgreSQL would
-- allow the statement.
SELECT id FROM po_orders;
-- With a tenant (the executor's refusals).
BEGIN;
SET LOCAL app.current_tenant = '1';
SAVEPOINT s;
SELECT * FROM po_unforced;
ROLLBACK TO SAVEPOINT s;
SELECT * FROM po_events_1;
ROLLBACK TO SAVEPOINT s;
SELECT * FROM po_archive;
ROLLBACK TO SAVEPOINT s;
SELECT * FROM po_orders_view;
ROLLBACK TO SAVEPOINT s;
-- A cursor WITH HOLD over a table it may not read.
DECLARE c CURSOR WITH HOLD FOR SELECT * FROM po_events;
ROLLBACK;
-- TRUNCATE and COPY, without and with a tenant.
TRUNCATE po_orders;
TRUNCATE po_events;
COPY po_events TO STDOUT;
BEGIN;
SET LOCAL app.current_tenant = '1';
TRUNCATE po_events_1;
ROLLBACK;
-- COPY of the column it may read: the guard's refusal.
COPY po_orders (id) TO STDOUT;
RESET ROLE;

DROP VIEW po_orders_view;
DROP TABLE po_orders, po_unforced, po_events, po_archive CASCADE;
DROP ROLE regress_tg_po_app, regress_tg_po_super;
