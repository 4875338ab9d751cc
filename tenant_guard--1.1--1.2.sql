/* tenant_guard--1.1--1.2.sql: set_tenant(), and audit() findings for session state and owner-written code */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION tenant_guard UPDATE TO '1.2'" to load this file. \quit

--
-- set_tenant(): SET LOCAL of the tenant setting, callable with a bind
-- parameter of whatever type the driver sends.  SECURITY INVOKER, and
-- EXECUTE for PUBLIC on purpose: it can do nothing SET LOCAL cannot.
--
CREATE FUNCTION @extschema@.set_tenant(tenant text)
RETURNS text
AS 'MODULE_PATHNAME', 'tenant_guard_set_tenant'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY INVOKER;

CREATE FUNCTION @extschema@.set_tenant(tenant bigint)
RETURNS text
AS 'MODULE_PATHNAME', 'tenant_guard_set_tenant'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY INVOKER;

CREATE FUNCTION @extschema@.set_tenant(tenant integer)
RETURNS text
AS 'MODULE_PATHNAME', 'tenant_guard_set_tenant'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY INVOKER;

CREATE FUNCTION @extschema@.set_tenant(tenant uuid)
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

GRANT EXECUTE ON FUNCTION @extschema@.set_tenant(text) TO PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.set_tenant(bigint) TO PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.set_tenant(integer) TO PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.set_tenant(uuid) TO PUBLIC;

--
-- fill_tenant(): the trigger protect() installs on each protected table
-- that holds rows, so that an INSERT sending an explicit NULL for the
-- tenant column (as ORMs do) gets the transaction's tenant, as the column
-- default would give it.  Tables protected under 1.1 get the trigger here
-- (protect() called again adds it too).
--
CREATE FUNCTION @extschema@.fill_tenant()
RETURNS trigger
AS 'MODULE_PATHNAME', 'tenant_guard_fill_tenant'
LANGUAGE C VOLATILE SECURITY INVOKER;

COMMENT ON FUNCTION @extschema@.fill_tenant() IS
'trigger installed by protect(): gives a row inserted with a NULL tenant column the transaction''s tenant';

GRANT EXECUTE ON FUNCTION @extschema@.fill_tenant() TO PUBLIC;

DO $$
DECLARE
	r record;
BEGIN
	FOR r IN
		SELECT g.relation, g.tenant_column
		  FROM @extschema@.registry g
		  JOIN pg_catalog.pg_class c ON c.oid = g.relation
		 WHERE c.relkind = 'r'
		   AND NOT EXISTS (SELECT FROM pg_catalog.pg_trigger t
							WHERE t.tgrelid = g.relation
							  AND t.tgname = 'tenant_guard_fill_tenant')
	LOOP
		EXECUTE pg_catalog.format(
			'CREATE TRIGGER tenant_guard_fill_tenant BEFORE INSERT ON %s FOR EACH ROW WHEN (NEW.%I IS NULL) EXECUTE FUNCTION @extschema@.fill_tenant()',
			r.relation, r.tenant_column);
	END LOOP;
END
$$;
