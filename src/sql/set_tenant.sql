--
-- set_tenant(): SET LOCAL of the tenant setting, callable with a bind
-- parameter of whatever type the driver sends.  SECURITY INVOKER, and
-- EXECUTE for PUBLIC on purpose: it can do nothing SET LOCAL cannot.
--
CREATE OR REPLACE FUNCTION @extschema@.set_tenant(tenant text)
RETURNS text
AS 'MODULE_PATHNAME', 'tenant_guard_set_tenant'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY INVOKER;

CREATE OR REPLACE FUNCTION @extschema@.set_tenant(tenant bigint)
RETURNS text
AS 'MODULE_PATHNAME', 'tenant_guard_set_tenant'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY INVOKER;

CREATE OR REPLACE FUNCTION @extschema@.set_tenant(tenant integer)
RETURNS text
AS 'MODULE_PATHNAME', 'tenant_guard_set_tenant'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY INVOKER;

CREATE OR REPLACE FUNCTION @extschema@.set_tenant(tenant uuid)
RETURNS text
AS 'MODULE_PATHNAME', 'tenant_guard_set_tenant'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY INVOKER;

-- psycopg 3 binds a small Python int as smallint, which integer and bigint
-- would both take: without this variant the call is ambiguous.
CREATE OR REPLACE FUNCTION @extschema@.set_tenant(tenant smallint)
RETURNS text
AS 'MODULE_PATHNAME', 'tenant_guard_set_tenant'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY INVOKER;

COMMENT ON FUNCTION @extschema@.set_tenant(text) IS
'set the tenant for the current transaction only (SET LOCAL); refused outside a transaction block, for NULL and for empty values';
COMMENT ON FUNCTION @extschema@.set_tenant(bigint) IS
'set the tenant for the current transaction only (SET LOCAL); refused outside a transaction block and for NULL';
COMMENT ON FUNCTION @extschema@.set_tenant(integer) IS
'set the tenant for the current transaction only (SET LOCAL); refused outside a transaction block and for NULL';
COMMENT ON FUNCTION @extschema@.set_tenant(uuid) IS
'set the tenant for the current transaction only (SET LOCAL); refused outside a transaction block and for NULL';
COMMENT ON FUNCTION @extschema@.set_tenant(smallint) IS
'set the tenant for the current transaction only (SET LOCAL); refused outside a transaction block and for NULL';

GRANT EXECUTE ON FUNCTION @extschema@.set_tenant(text) TO PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.set_tenant(bigint) TO PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.set_tenant(integer) TO PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.set_tenant(uuid) TO PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.set_tenant(smallint) TO PUBLIC;

