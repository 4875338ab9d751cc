--
-- An INSERT that sends an explicit NULL for the tenant column, as ORMs do,
-- gets the transaction's tenant, as the column default would give it.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS tenant_guard;
RESET client_min_messages;
CREATE ROLE regress_tg_app;
CREATE TABLE orders (id int PRIMARY KEY, tenant_id int, item text);
CREATE TABLE devices (id int PRIMARY KEY, org uuid, name text);
CREATE TABLE events (id int, tenant_id bigint, what text) PARTITION BY RANGE (id);
CREATE TABLE events_1 PARTITION OF events FOR VALUES FROM (1) TO (100);
CREATE TABLE by_tenant (id int, tenant_id text) PARTITION BY LIST (tenant_id);
CREATE TABLE by_tenant_7 PARTITION OF by_tenant FOR VALUES IN ('7');
SET client_min_messages = warning;
SELECT tenant_guard.protect('orders'), tenant_guard.protect('devices', 'org'),
       tenant_guard.protect('events'), tenant_guard.protect('by_tenant');
RESET client_min_messages;
GRANT SELECT, INSERT, UPDATE ON orders, devices, events, by_tenant TO regress_tg_app;
SELECT c.relname, pg_get_triggerdef(t.oid)
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE t.tgname = 'tenant_guard_fill_tenant' ORDER BY 1;

SET ROLE regress_tg_app;
BEGIN;
SET LOCAL app.current_tenant = '7';
-- explicit NULL, as Django and SQLAlchemy send it
INSERT INTO orders (id, tenant_id, item) VALUES (1, NULL, 'apple') RETURNING *;
-- a NULL bind parameter
PREPARE ins(int, int, text) AS INSERT INTO orders VALUES ($1, $2, $3) RETURNING *;
EXECUTE ins(2, NULL, 'pear');
DEALLOCATE ins;
-- several rows, INSERT ... SELECT, ON CONFLICT
INSERT INTO orders VALUES (3, NULL, 'fig'), (4, 7, 'kiwi') RETURNING *;
INSERT INTO orders SELECT 5, NULL, 'lime' RETURNING *;
INSERT INTO orders VALUES (1, NULL, 'plum') ON CONFLICT (id) DO NOTHING RETURNING *;
INSERT INTO orders VALUES (1, NULL, 'plum')
  ON CONFLICT (id) DO UPDATE SET item = EXCLUDED.item RETURNING *;
-- bigint, a partition reached through its parent and named directly
INSERT INTO events VALUES (1, NULL, 'login') RETURNING *;
INSERT INTO events_1 VALUES (2, NULL, 'logout') RETURNING *;
-- another tenant's row is still refused by the policy
INSERT INTO orders VALUES (6, 8, 'grape');
ROLLBACK;
BEGIN;
SET LOCAL app.current_tenant = '1c0b5d0e-7a2f-4f4e-9d1b-2b3c4d5e6f70';
INSERT INTO devices VALUES (2, NULL, 'scanner') RETURNING *;
ROLLBACK;
-- a table partitioned by the tenant column routes the row before any
-- trigger runs: PostgreSQL names the column
BEGIN;
SET LOCAL app.current_tenant = '7';
INSERT INTO by_tenant VALUES (1, NULL);
ROLLBACK;
-- no tenant: the guard refuses, as before
INSERT INTO orders VALUES (7, NULL, 'pear');
-- a tenant that is not the column's type
BEGIN;
SET LOCAL app.current_tenant = 'acme';
INSERT INTO orders VALUES (8, NULL, 'pear');
ROLLBACK;
RESET ROLE;

-- A role outside the rules without a tenant: a clear error naming the column.
INSERT INTO orders VALUES (9, NULL, 'pear');
-- with one, as the default would
BEGIN;
SET LOCAL app.current_tenant = '8';
INSERT INTO orders VALUES (9, NULL, 'pear') RETURNING *;
COPY orders FROM STDIN;
10	\N	copied
\.
SELECT * FROM orders WHERE id = 10;
ROLLBACK;

-- Not as a plain function, nor a trigger of another kind.
SELECT tenant_guard.fill_tenant();
CREATE TABLE plain (id int, tenant_id int);
CREATE TRIGGER wrong AFTER INSERT ON plain FOR EACH ROW
  EXECUTE FUNCTION tenant_guard.fill_tenant();
INSERT INTO plain VALUES (1, NULL);
DROP TRIGGER wrong ON plain;
CREATE TRIGGER no_when BEFORE INSERT ON plain FOR EACH ROW
  EXECUTE FUNCTION tenant_guard.fill_tenant();
INSERT INTO plain VALUES (1, NULL);
DROP TABLE plain;

-- Later partitions get it; a second protect() restores it; unprotect()
-- removes it.
CREATE TABLE events_2 PARTITION OF events FOR VALUES FROM (100) TO (200);
DROP TRIGGER tenant_guard_fill_tenant ON orders;
SELECT tenant_guard.protect('orders');
SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE t.tgname = 'tenant_guard_fill_tenant' ORDER BY 1;
-- a renamed tenant column: the trigger follows
ALTER TABLE orders RENAME COLUMN tenant_id TO tenant;
BEGIN;
SET LOCAL app.current_tenant = '7';
INSERT INTO orders VALUES (11, NULL, 'renamed') RETURNING *;
ROLLBACK;
SET client_min_messages = warning;
SELECT tenant_guard.unprotect('orders'), tenant_guard.unprotect('devices'),
       tenant_guard.unprotect('events'), tenant_guard.unprotect('by_tenant');
RESET client_min_messages;
SELECT count(*) AS triggers_left FROM pg_trigger
 WHERE tgname = 'tenant_guard_fill_tenant';
DROP TABLE orders, devices, events, by_tenant;

-- Tables protected under 1.1 get the trigger when the extension is updated.
DROP EXTENSION tenant_guard;
CREATE EXTENSION tenant_guard VERSION '1.1';
CREATE TABLE legacy (id int, tenant_id int);
SET client_min_messages = warning;
SELECT tenant_guard.protect('legacy');
RESET client_min_messages;
SELECT count(*) AS triggers_at_1_1 FROM pg_trigger
 WHERE tgname = 'tenant_guard_fill_tenant';
ALTER EXTENSION tenant_guard UPDATE;
SELECT c.relname, pg_get_triggerdef(t.oid)
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE t.tgname = 'tenant_guard_fill_tenant' ORDER BY 1;
BEGIN;
SET LOCAL app.current_tenant = '7';
INSERT INTO legacy VALUES (1, NULL) RETURNING *;
ROLLBACK;
SET client_min_messages = warning;
SELECT tenant_guard.unprotect('legacy');
RESET client_min_messages;
DROP TABLE legacy;
DROP ROLE regress_tg_app;
