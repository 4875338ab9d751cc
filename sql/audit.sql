--
-- tenant_guard.audit(): each finding is made on purpose, seen, fixed with
-- the SQL the audit gives, and gone.
--
CREATE ROLE regress_tg_owner;
CREATE ROLE regress_tg_login LOGIN;
CREATE ROLE regress_tg_super SUPERUSER;

-- A database with nothing wrong has nothing to report.
SELECT * FROM tenant_guard.audit();

-- A table with a tenant column but no row-level security, and no index on
-- the tenant column.
CREATE TABLE customers (id int PRIMARY KEY, tenant_id int NOT NULL, name text);
ALTER TABLE customers OWNER TO regress_tg_owner;
SELECT severity, finding, object_type, object_name, detail, fix FROM tenant_guard.audit();
SELECT tenant_guard.protect('public.customers', 'tenant_id');
SELECT finding, object_name FROM tenant_guard.audit();

-- Row-level security enabled but not forced.
CREATE TABLE invoices (id int, tenant_id int NOT NULL);
CREATE INDEX ON invoices (tenant_id);
ALTER TABLE invoices OWNER TO regress_tg_owner;
ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
CREATE POLICY invoices_tenant ON invoices
  USING (tenant_id = current_setting('app.current_tenant')::int);
SELECT finding, object_name, fix FROM tenant_guard.audit();
ALTER TABLE public.invoices FORCE ROW LEVEL SECURITY;
SELECT finding, object_name FROM tenant_guard.audit();

-- Row-level security without any policy.
CREATE TABLE notes (id int, tenant_id int NOT NULL);
CREATE INDEX ON notes (tenant_id);
ALTER TABLE notes OWNER TO regress_tg_owner;
ALTER TABLE notes ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
SELECT severity, finding, object_name, fix FROM tenant_guard.audit();
SELECT tenant_guard.protect('public.notes', 'tenant_id');
SELECT finding, object_name FROM tenant_guard.audit();

-- Permissive policies that do not enforce the tenant condition on their
-- own, read from their expression trees: an OR, true, no mention of the
-- tenant, a COALESCE that falls back to the row's own tenant, a WITH CHECK
-- that lets anything in.  Those that do enforce it are not reported:
-- equality with the setting (cast or not, in a subquery or not), ANDed with
-- more, ANY over the setting, commands without a USING or a WITH CHECK.
CREATE TABLE tickets (id int, tenant_id int NOT NULL, is_admin boolean,
                      author name, flag boolean);
CREATE INDEX ON tickets (tenant_id);
ALTER TABLE tickets OWNER TO regress_tg_owner;
ALTER TABLE tickets ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY bad_or ON tickets
  USING (tenant_id = current_setting('app.current_tenant')::int OR is_admin);
CREATE POLICY bad_true ON tickets USING (true);
CREATE POLICY bad_author ON tickets USING (author = current_user);
CREATE POLICY bad_coalesce ON tickets
  USING (tenant_id = COALESCE(NULLIF(current_setting('app.current_tenant', true), '')::int, tenant_id));
CREATE POLICY bad_check ON tickets
  USING (tenant_id = current_setting('app.current_tenant')::int) WITH CHECK (true);
CREATE POLICY bad_insert ON tickets FOR INSERT WITH CHECK (flag);
-- mentions the tenant, but maps it to something else
CREATE POLICY bad_case ON tickets
  USING (tenant_id = CASE WHEN current_setting('app.current_tenant') <> '' THEN 2 END);
CREATE POLICY bad_function ON tickets
  USING (tenant_id = length(current_setting('app.current_tenant')));
CREATE POLICY bad_array ON tickets
  USING (tenant_id = ANY (ARRAY[current_setting('app.current_tenant')::int, 2]));
-- an "=" that is no equality
CREATE SCHEMA evil;
CREATE FUNCTION evil.always(int, int) RETURNS boolean
  LANGUAGE sql IMMUTABLE AS 'SELECT true';
CREATE OPERATOR evil.= (LEFTARG = int, RIGHTARG = int, FUNCTION = evil.always);
CREATE POLICY bad_operator ON tickets
  USING (tenant_id OPERATOR(evil.=) current_setting('app.current_tenant')::int);
CREATE POLICY good_plain ON tickets
  USING (tenant_id = current_setting('app.current_tenant')::int);
CREATE POLICY good_subquery ON tickets
  USING ((SELECT tenant_guard.tenant()::int) = tenant_id);
CREATE POLICY good_and ON tickets
  USING (flag AND tenant_id::text = current_setting('app.current_tenant'));
CREATE POLICY good_both_branches ON tickets
  USING ((tenant_id = current_setting('app.current_tenant')::int AND is_admin)
         OR (tenant_id = current_setting('app.current_tenant')::int AND flag));
CREATE POLICY good_any ON tickets
  USING (tenant_id = ANY (string_to_array(current_setting('app.current_tenant'), ',')::int[]));
CREATE POLICY good_select ON tickets FOR SELECT
  USING (tenant_id = current_setting('app.current_tenant')::int);
CREATE POLICY good_insert ON tickets FOR INSERT
  WITH CHECK (tenant_id = current_setting('app.current_tenant')::int);
CREATE POLICY good_cross_type ON tickets
  USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::bigint);
CREATE POLICY good_list ON tickets
  USING (tenant_id = ANY (ARRAY[current_setting('app.current_tenant')::int]));
CREATE POLICY good_restrictive_or ON tickets AS RESTRICTIVE
  USING (tenant_id > 0 OR is_admin);
SELECT finding, object_name FROM tenant_guard.audit();
SELECT detail FROM tenant_guard.audit() WHERE object_name LIKE 'bad_or %';
-- A restrictive tenant policy for every command and role, which protect()
-- installs, makes every permissive one harmless.
SELECT tenant_guard.protect('public.tickets', 'tenant_id');
SELECT finding, object_name FROM tenant_guard.audit();

-- A protected table whose policies were changed behind protect()'s back.
BEGIN;
SET LOCAL tenant_guard.mode = off;
ALTER POLICY tenant_guard_isolation ON customers USING (true);
DROP POLICY tenant_guard_baseline ON notes;
ALTER POLICY tenant_guard_isolation ON tickets
  USING (tenant_id = CASE WHEN (SELECT tenant_guard.tenant()) IS NOT NULL THEN 2 END);
COMMIT;
SELECT severity, finding, object_name, fix FROM tenant_guard.audit();
SELECT tenant_guard.protect('public.customers', 'tenant_id');
SELECT tenant_guard.protect('public.notes', 'tenant_id');
SELECT tenant_guard.protect('public.tickets', 'tenant_id');
SELECT finding, object_name FROM tenant_guard.audit();

-- A partition without row-level security under a parent with it.
CREATE TABLE events (id int, tenant_id int NOT NULL) PARTITION BY LIST (tenant_id);
CREATE INDEX ON events (tenant_id);
CREATE TABLE events_1 PARTITION OF events FOR VALUES IN (1);
ALTER TABLE events OWNER TO regress_tg_owner;
ALTER TABLE events_1 OWNER TO regress_tg_owner;
ALTER TABLE events ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY events_tenant ON events
  USING (tenant_id = current_setting('app.current_tenant')::int);
SELECT severity, finding, object_name, detail, fix FROM tenant_guard.audit();
SELECT tenant_guard.protect('public.events_1', 'tenant_id');
SELECT finding, object_name FROM tenant_guard.audit();

-- A foreign key between tenant tables without the tenant column.
CREATE TABLE orders (id int PRIMARY KEY, tenant_id int NOT NULL,
                     customer_id int REFERENCES customers (id));
ALTER TABLE orders OWNER TO regress_tg_owner;
SELECT tenant_guard.protect('orders');
SELECT severity, finding, object_name, detail, fix FROM tenant_guard.audit();
ALTER TABLE public.customers ADD UNIQUE (tenant_id, id); ALTER TABLE public.orders DROP CONSTRAINT orders_customer_id_fkey, ADD FOREIGN KEY (tenant_id, customer_id) REFERENCES public.customers (tenant_id, id);
SELECT finding, object_name FROM tenant_guard.audit();

-- Views and materialized views over tenant tables.
CREATE VIEW customers_by_super AS SELECT * FROM customers;
ALTER VIEW customers_by_super OWNER TO regress_tg_super;
CREATE VIEW customers_by_owner AS SELECT * FROM customers;
ALTER VIEW customers_by_owner OWNER TO regress_tg_owner;
CREATE MATERIALIZED VIEW customer_names AS SELECT name FROM customers;
SELECT severity, finding, object_type, object_name, detail, fix FROM tenant_guard.audit();
ALTER VIEW public.customers_by_super SET (security_invoker = true);
DROP MATERIALIZED VIEW public.customer_names;
SELECT finding, object_name FROM tenant_guard.audit();

-- SECURITY DEFINER functions owned by roles that bypass row-level
-- security; one exempted deliberately is not reported.
CREATE FUNCTION count_customers() RETURNS bigint
  LANGUAGE sql SECURITY DEFINER SET search_path = public
  AS 'SELECT count(*) FROM customers';
CREATE FUNCTION count_all_customers() RETURNS bigint
  LANGUAGE sql SECURITY DEFINER SET search_path = public
  SET tenant_guard.mode = off
  AS 'SELECT count(*) FROM customers';
SELECT severity, finding, object_type, object_name, fix FROM tenant_guard.audit();
ALTER FUNCTION public.count_customers() SECURITY INVOKER;
SELECT finding, object_name FROM tenant_guard.audit();

-- A login role that owns a tenant table.
ALTER TABLE invoices OWNER TO regress_tg_login;
SELECT severity, finding, object_name, detail FROM tenant_guard.audit();
ALTER TABLE invoices OWNER TO regress_tg_owner;
SELECT finding, object_name FROM tenant_guard.audit();

-- Another tenant column name.
CREATE TABLE projects (id int, org_id uuid);
SELECT finding, object_name FROM tenant_guard.audit();
SELECT finding, object_name, fix FROM tenant_guard.audit('org_id');
SELECT tenant_guard.protect('projects', 'org_id');
-- a protected table is audited by its own tenant column
BEGIN;
SET LOCAL tenant_guard.mode = off;
ALTER TABLE projects DISABLE ROW LEVEL SECURITY;
SELECT finding, object_name, fix FROM tenant_guard.audit();
ROLLBACK;

DROP TABLE orders, customers, invoices, notes, tickets, events, projects CASCADE;
DROP FUNCTION count_customers(), count_all_customers();
DROP SCHEMA evil CASCADE;
DROP ROLE regress_tg_owner, regress_tg_login, regress_tg_super;
SELECT * FROM tenant_guard.audit();
