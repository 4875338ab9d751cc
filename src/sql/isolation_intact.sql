--
-- isolation_intact(): is a protected table's own tenant isolation as
-- protect() made it, by the same judgement the drift guard applies after
-- DDL (src/protect.c): its tenant column exists and its policy
-- tenant_guard_isolation is restrictive, for every command and PUBLIC, and
-- enforces the tenant on that column.  NULL for a table that is not
-- protected.  protected_tables and audit() ask it.  SECURITY INVOKER, and
-- EXECUTE for PUBLIC on purpose: it reads only catalogs and the registry,
-- which everyone may read.
--
CREATE OR REPLACE FUNCTION @extschema@.isolation_intact(tbl regclass)
RETURNS boolean
AS 'MODULE_PATHNAME', 'tenant_guard_isolation_intact'
LANGUAGE C STRICT STABLE SECURITY INVOKER;

COMMENT ON FUNCTION @extschema@.isolation_intact(regclass) IS
'whether a protected table''s tenant column and its policy tenant_guard_isolation are as tenant_guard.protect() made them; NULL if the table is not protected';

GRANT EXECUTE ON FUNCTION @extschema@.isolation_intact(regclass) TO PUBLIC;
