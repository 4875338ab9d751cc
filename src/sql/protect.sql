--
-- protect() and unprotect(): run as the caller, who must own the table.
--
CREATE OR REPLACE FUNCTION @extschema@.protect(tbl regclass, tenant_column name DEFAULT 'tenant_id')
RETURNS void
AS 'MODULE_PATHNAME', 'tenant_guard_protect'
LANGUAGE C STRICT VOLATILE;

COMMENT ON FUNCTION @extschema@.protect(regclass, name) IS
'make a table (and its partitions) a tenant table: forced row-level security, the tenant_guard policies, a tenant default and index';

CREATE OR REPLACE FUNCTION @extschema@.unprotect(tbl regclass)
RETURNS void
AS 'MODULE_PATHNAME', 'tenant_guard_unprotect'
LANGUAGE C STRICT VOLATILE;

COMMENT ON FUNCTION @extschema@.unprotect(regclass) IS
'undo what tenant_guard.protect() did to a table and its partitions';

GRANT EXECUTE ON FUNCTION @extschema@.protect(regclass, name) TO PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.unprotect(regclass) TO PUBLIC;
