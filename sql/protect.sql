--
-- tenant_guard.protect() and unprotect()
--
CREATE EXTENSION IF NOT EXISTS tenant_guard;
CREATE ROLE regress_tg_owner;
CREATE ROLE regress_tg_app;
CREATE ROLE regress_tg_other;
GRANT CREATE ON SCHEMA public TO regress_tg_owner;

-- A helper that shows what protect() did to a table.
CREATE FUNCTION show_protection(tbl regclass) RETURNS TABLE (item text, value text)
LANGUAGE sql AS $$
  SELECT 'rls', format('enabled=%s forced=%s', relrowsecurity, relforcerowsecurity)
    FROM pg_class WHERE oid = tbl
  UNION ALL
  SELECT 'policy ' || polname,
         format('%s %s using: %s check: %s',
                CASE WHEN polpermissive THEN 'permissive' ELSE 'restrictive' END,
                polcmd, pg_get_expr(polqual, polrelid), pg_get_expr(polwithcheck, polrelid))
    FROM pg_policy WHERE polrelid = tbl
  UNION ALL
  SELECT 'column ' || attname,
         format('%s%s default %s', format_type(atttypid, atttypmod),
                CASE WHEN attnotnull THEN ' not null' ELSE '' END,
                coalesce(pg_get_expr(d.adbin, d.adrelid), 'none'))
    FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
   WHERE a.attrelid = tbl AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT 'index ' || i.indexrelid::regclass, pg_get_indexdef(i.indexrelid)
    FROM pg_index i WHERE i.indrelid = tbl
  UNION ALL
  SELECT 'registry', format('column=%s partition_of=%s not_null=%s default=%s enabled=%s forced=%s index=%s',
                            tenant_column, partition_of, set_not_null, previous_default,
                            enabled_rls, forced_rls, created_index)
    FROM tenant_guard.registry WHERE relation = tbl
  ORDER BY 1
$$;

SET ROLE regress_tg_owner;

--
-- An integer tenant column: NOT NULL, forced RLS, the two policies, the
-- default and an index are added; the registry records what changed.
--
CREATE TABLE orders (id int PRIMARY KEY, tenant_id int, item text);
INSERT INTO orders VALUES (1, 1, 'apple'), (2, 1, 'pear'), (3, 2, 'plum');
SELECT tenant_guard.protect('orders');
SELECT * FROM show_protection('orders');
SELECT protected_by FROM tenant_guard.protected_tables WHERE relation = 'orders'::regclass;

-- The second call changes nothing, and says so.
SELECT tenant_guard.protect('orders');

-- The application sees its tenant's rows only, inserts without naming the
-- tenant, and cannot write rows of another tenant.
GRANT SELECT, INSERT, UPDATE, DELETE ON orders TO regress_tg_app;
SET ROLE regress_tg_app;
BEGIN;
SET LOCAL app.current_tenant = '1';
SELECT * FROM orders ORDER BY id;
INSERT INTO orders (id, item) VALUES (4, 'fig') RETURNING *;
SAVEPOINT s;
INSERT INTO orders VALUES (5, 2, 'kiwi');
ROLLBACK TO s;
UPDATE orders SET tenant_id = 2 WHERE id = 1;
ROLLBACK;
BEGIN;
SET LOCAL app.current_tenant = '2';
UPDATE orders SET item = 'grape' WHERE id = 1;	-- tenant 1's row: untouched
SELECT * FROM orders ORDER BY id;
COMMIT;
SET ROLE regress_tg_owner;

-- unprotect() undoes exactly what protect() did.
SELECT tenant_guard.unprotect('orders');
SELECT * FROM show_protection('orders');
SELECT tenant_guard.unprotect('orders');

--
-- bigint, uuid and text tenant columns; a column that was already NOT NULL
-- with a default of its own, an index that already leads with the tenant
-- column, and RLS already enabled and forced: all kept, and restored.
--
CREATE TABLE accounts (id bigint PRIMARY KEY, tenant_id bigint NOT NULL DEFAULT 0);
CREATE INDEX accounts_by_tenant ON accounts (tenant_id, id);
SELECT tenant_guard.protect('accounts');
SELECT * FROM show_protection('accounts');
SELECT tenant_guard.unprotect('accounts');
SELECT * FROM show_protection('accounts');

CREATE TABLE documents (id int, org uuid);
ALTER TABLE documents ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
SELECT tenant_guard.protect('documents', 'org');
SELECT * FROM show_protection('documents');
SELECT tenant_guard.unprotect('documents');
SELECT * FROM show_protection('documents');

-- Quoted and mixed-case names are identifiers, quoted wherever they are
-- used.
RESET ROLE;
CREATE SCHEMA "Sales Data" AUTHORIZATION regress_tg_owner;
SET ROLE regress_tg_owner;
CREATE TABLE "Sales Data"."Invoices" ("Id" int, "Tenant Key" text);
SELECT tenant_guard.protect('"Sales Data"."Invoices"', 'Tenant Key');
SELECT * FROM show_protection('"Sales Data"."Invoices"');
GRANT USAGE ON SCHEMA "Sales Data" TO regress_tg_app;
GRANT SELECT, INSERT ON "Sales Data"."Invoices" TO regress_tg_app;
SET ROLE regress_tg_app;
BEGIN;
SET LOCAL app.current_tenant = 'acme';
INSERT INTO "Sales Data"."Invoices" ("Id") VALUES (1);
SELECT * FROM "Sales Data"."Invoices";
COMMIT;
SET ROLE regress_tg_owner;

--
-- Bad input.
--
-- a column that does not exist, or of an unsupported type
SELECT tenant_guard.protect('orders', 'customer_id');
CREATE TABLE widgets (id int, tenant_id numeric);
SELECT tenant_guard.protect('widgets');
-- rows without a tenant
CREATE TABLE gadgets (id int, tenant_id int);
INSERT INTO gadgets VALUES (1, 1), (2, NULL);
SELECT tenant_guard.protect('gadgets');
SELECT count(*) FROM tenant_guard.registry WHERE relation = 'gadgets'::regclass;
-- not a table
CREATE VIEW orders_view AS SELECT * FROM orders;
SELECT tenant_guard.protect('orders_view');
-- a name is a name: this is no table
SELECT tenant_guard.protect('orders; DROP TABLE orders');
SELECT tenant_guard.protect('"orders; DROP TABLE orders"');
SELECT count(*) FROM orders;
-- NULL arguments
SELECT tenant_guard.protect(NULL);
-- a temporary table disappears without a trace tenant_guard could follow
BEGIN;
CREATE TEMP TABLE scratch (id int, tenant_id int);
DO $$
BEGIN
  PERFORM tenant_guard.protect('scratch');
EXCEPTION WHEN wrong_object_type THEN
  RAISE NOTICE '%', regexp_replace(SQLERRM, 'pg_temp_[0-9]+', 'pg_temp_N');
END$$;
DROP TABLE scratch;
COMMIT;
-- only the owner (or a superuser) may protect or unprotect
SELECT tenant_guard.protect('orders');
SET ROLE regress_tg_other;
SELECT tenant_guard.unprotect('orders');
SELECT tenant_guard.protect('accounts');
SET ROLE regress_tg_owner;
-- another tenant column for a protected table
SELECT tenant_guard.protect('orders', 'id');

--
-- A protected table changed behind protect()'s back (tenant_guard.mode =
-- off lets a superuser do that) is repaired by the next protect(), which
-- says what it restored.
--
RESET ROLE;
BEGIN;
SET LOCAL tenant_guard.mode = off;
ALTER TABLE orders DISABLE ROW LEVEL SECURITY;
DROP POLICY tenant_guard_isolation ON orders;
ALTER TABLE orders ALTER COLUMN tenant_id DROP DEFAULT;
COMMIT;
SELECT tenant_guard.protect('orders');
SELECT * FROM show_protection('orders');

-- unprotect() leaves the NOT NULL it added if the tenant column has since
-- joined the primary key (dropping it would fail).
CREATE TABLE ledger (id int NOT NULL, tenant_id int);
SELECT tenant_guard.protect('ledger');
ALTER TABLE ledger ADD PRIMARY KEY (tenant_id, id);
SELECT tenant_guard.unprotect('ledger');
SELECT attnotnull AS tenant_id_not_null FROM pg_attribute
 WHERE attrelid = 'ledger'::regclass AND attname = 'tenant_id';
DROP TABLE ledger;

DROP TABLE orders, accounts, documents, widgets, gadgets CASCADE;
DROP SCHEMA "Sales Data" CASCADE;
SELECT count(*) AS registry_rows_left FROM tenant_guard.registry;
DROP FUNCTION show_protection(regclass);
REVOKE CREATE ON SCHEMA public FROM regress_tg_owner;
DROP ROLE regress_tg_owner, regress_tg_app, regress_tg_other;
