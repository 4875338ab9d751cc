--
-- policy_enforces_tenant(): does a policy require the tenant column to
-- match the tenant, whatever else it says?  (src/policy_analysis.c)
--
CREATE OR REPLACE FUNCTION @extschema@.policy_enforces_tenant(policy oid, tenant_column name)
RETURNS boolean
AS 'MODULE_PATHNAME', 'tenant_guard_policy_enforces_tenant'
LANGUAGE C STRICT STABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.policy_enforces_tenant(oid, name) IS
'whether a row-level security policy lets a row through only if its tenant column matches the tenant setting';

GRANT EXECUTE ON FUNCTION @extschema@.policy_enforces_tenant(oid, name) TO PUBLIC;
