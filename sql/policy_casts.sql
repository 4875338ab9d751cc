--
-- Which casts policy_enforces_tenant() (and so audit()) looks through: only
-- those that keep distinct tenants distinct.  Each row is a policy on a
-- table whose tenant column has the type the table's name says, with the
-- verdict expected; the query at the end lists every verdict, both ways.
--
CREATE COLLATION regress_tg_nocase
  (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TABLE c_int (tenant_id int);
CREATE TABLE c_bigint (tenant_id bigint);
CREATE TABLE c_text (tenant_id text);
CREATE TABLE c_uuid (tenant_id uuid);
CREATE TABLE c_num (tenant_id numeric);
CREATE TABLE c_char (tenant_id char(8));
CREATE TABLE cast_cases (tbl text, expr text, expected boolean);
INSERT INTO cast_cases VALUES
 ('c_int', $$tenant_id = current_setting('app.current_tenant')::int$$, true),
 ('c_int', $$tenant_id = current_setting('app.current_tenant')::bigint$$, true),
 ('c_int', $$tenant_id::bigint = current_setting('app.current_tenant')::bigint$$, true),
 ('c_int', $$tenant_id::smallint = current_setting('app.current_tenant')::smallint$$, true),
 ('c_int', $$tenant_id::text = current_setting('app.current_tenant')$$, true),
 ('c_int', $$tenant_id::varchar = current_setting('app.current_tenant')::varchar$$, true),
 ('c_int', $$tenant_id = tenant_guard.tenant()::int$$, true),
 ('c_int', $$tenant_id = ANY (current_setting('app.current_tenant')::int[])$$, true),
 ('c_int', $$tenant_id = ANY (string_to_array(current_setting('app.current_tenant'), ',')::int[])$$, true),
 ('c_bigint', $$tenant_id = (SELECT tenant_guard.tenant()::bigint)$$, true),
 ('c_bigint', $$tenant_id::int = current_setting('app.current_tenant')::int$$, true),
 ('c_text', $$tenant_id = current_setting('app.current_tenant')$$, true),
 ('c_text', $$tenant_id::varchar = current_setting('app.current_tenant')::varchar$$, true),
 ('c_text', $$tenant_id = tenant_guard.tenant()::text COLLATE "C"$$, true),
 ('c_uuid', $$tenant_id = current_setting('app.current_tenant')::uuid$$, true),
 ('c_uuid', $$tenant_id::text = current_setting('app.current_tenant')$$, true),
 ('c_num', $$tenant_id = current_setting('app.current_tenant')::numeric$$, true),
 ('c_char', $$tenant_id = current_setting('app.current_tenant')::bpchar$$, true),
 ('c_char', $$tenant_id::text = current_setting('app.current_tenant')$$, true),
 -- lossy: refused
 ('c_int', $$tenant_id::boolean = current_setting('app.current_tenant')::boolean$$, false),
 ('c_int', $$tenant_id::boolean = current_setting('app.current_tenant')::int::boolean$$, false),
 ('c_text', $$tenant_id::char = current_setting('app.current_tenant')::char$$, false),
 ('c_text', $$tenant_id::"char" = current_setting('app.current_tenant')::"char"$$, false),
 ('c_text', $$tenant_id::varchar(1) = current_setting('app.current_tenant')::varchar(1)$$, false),
 ('c_text', $$tenant_id::name = current_setting('app.current_tenant')::name$$, false),
 ('c_text', $$tenant_id::int = current_setting('app.current_tenant')::int$$, false),
 ('c_text', $$tenant_id::uuid = current_setting('app.current_tenant')::uuid$$, false),
 ('c_text', $$tenant_id::bpchar = current_setting('app.current_tenant')::bpchar$$, false),
 ('c_text', $$tenant_id = current_setting('app.current_tenant')::char(1)$$, false),
 ('c_num', $$tenant_id::int = current_setting('app.current_tenant')::int$$, false),
 ('c_num', $$tenant_id::float8 = current_setting('app.current_tenant')::float8$$, false),
 ('c_int', $$tenant_id = current_setting('app.current_tenant')::numeric::int$$, false),
 ('c_int', $$tenant_id = current_setting('app.current_tenant')::float8::int$$, false),
 ('c_int', $$tenant_id::numeric = current_setting('app.current_tenant')::numeric$$, true),
 ('c_text', $$tenant_id = ANY (string_to_array(current_setting('app.current_tenant'), ',')::char[])$$, false),
 -- a collation that compares case-insensitively makes "A" and "a" one tenant
 ('c_text', $$tenant_id = current_setting('app.current_tenant') COLLATE regress_tg_nocase$$, false),
 ('c_text', $$tenant_id COLLATE regress_tg_nocase = ANY (string_to_array(current_setting('app.current_tenant'), ','))$$, false);
DO $$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT *, row_number() OVER () AS n FROM cast_cases LOOP
    EXECUTE format('CREATE POLICY p%s ON %I USING (%s)', r.n, r.tbl, r.expr);
  END LOOP;
END
$$;
SELECT c.expected, tenant_guard.policy_enforces_tenant(p.oid, 'tenant_id') AS enforces,
       c.tbl, c.expr
  FROM (SELECT *, row_number() OVER () AS n FROM cast_cases) c
  JOIN pg_policy p ON p.polname = 'p' || c.n
 ORDER BY c.n;
-- none differs from what is expected
SELECT count(*) AS wrong
  FROM (SELECT *, row_number() OVER () AS n FROM cast_cases) c
  JOIN pg_policy p ON p.polname = 'p' || c.n
 WHERE tenant_guard.policy_enforces_tenant(p.oid, 'tenant_id') IS DISTINCT FROM c.expected;

-- audit() reports a lossy cast like any other policy that does not enforce
-- the tenant.
ALTER TABLE c_int ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE INDEX ON c_int (tenant_id);
SELECT finding, object_name FROM tenant_guard.audit()
 WHERE object_name LIKE '% ON public.c_int' ORDER BY object_name COLLATE "C";

DROP TABLE cast_cases, c_int, c_bigint, c_text, c_uuid, c_num, c_char;
DROP COLLATION regress_tg_nocase;
